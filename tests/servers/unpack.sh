#!/usr/bin/env bash
# Unpack the FTP daemons of the test matrix (ProFTPD, Pure-FTPd, GNU inetutils
# ftpd) without installing them: they conflict with each other and with
# vsftpd as system services, and an installed one would start at boot.
#
#   tests/servers/unpack.sh [DIR]
#
# DIR (default $FTPFS_DAEMONS_DIR, else build/daemons) gets one tree per
# package group, e.g. DIR/proftpd/usr/sbin/proftpd, DIR/pure-ftpd/usr/sbin/
# pure-ftpd, DIR/inetutils-ftpd/usr/sbin/inetutils-ftpd, made with
# `apt-get download` + `dpkg -x`.  A tree that is already there (its
# .unpacked stamp names the same package versions) is re-used.  Exits non-zero
# if a package cannot be downloaded or unpacked: the matrix tests then fail
# for that daemon (they do not skip).
#
# The daemons' shared libraries that are not part of a base system are
# installed by scripts/test.sh (MATRIX_LIB_PACKAGES in scripts/deps.sh).
set -euo pipefail
dir=${1:-${FTPFS_DAEMONS_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/build/daemons}}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

updated=
candidate() { # pkg -> version apt would download (after one apt-get update
	# if the package lists are missing, as in a fresh container)
	local v
	v=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')
	if { [ -z "$v" ] || [ "$v" = "(none)" ]; } && [ -z "$updated" ]; then
		updated=1
		local sudo=()
		[ "$(id -u)" -eq 0 ] || sudo=(sudo)
		"${sudo[@]}" apt-get update -q >&2 || true
		v=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')
	fi
	echo "$v"
}

unpack() { # name pkg...
	local name=$1; shift
	local want=() p v
	for p in "$@"; do
		v=$(candidate "$p")
		if [ -z "$v" ] || [ "$v" = "(none)" ]; then
			echo "unpack.sh: no candidate for package $p (apt-get update?)" >&2
			return 1
		fi
		want+=("$p=$v")
	done
	local stamp="$dir/$name/.unpacked"
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${want[*]}" ]; then
		return 0
	fi
	local dl
	dl=$(mktemp -d "$dir/.dl-$name.XXXXXX")
	rm -rf "$dir/$name.new"
	mkdir -p "$dir/$name.new"
	# apt-get download writes into the current directory; as root it drops
	# privileges to _apt, which must be able to write there
	chmod 777 "$dl"
	if ! (cd "$dl" && apt-get download -q "${want[@]}" >&2); then
		echo "unpack.sh: apt-get download ${want[*]} failed" >&2
		rm -rf "$dl" "$dir/$name.new"
		return 1
	fi
	for p in "$dl"/*.deb; do
		dpkg -x "$p" "$dir/$name.new"
	done
	rm -rf "$dl" "$dir/$name"
	echo "${want[*]}" >"$dir/$name.new/.unpacked"
	mv "$dir/$name.new" "$dir/$name"
	echo "unpack.sh: $name: ${want[*]} in $dir/$name" >&2
}

rc=0
unpack proftpd proftpd-core proftpd-mod-crypto || rc=1
unpack pure-ftpd pure-ftpd pure-ftpd-common || rc=1
unpack inetutils-ftpd inetutils-ftpd || rc=1
exit $rc
