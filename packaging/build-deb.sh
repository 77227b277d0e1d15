#!/usr/bin/env bash
# Build the ftpfs Debian package from a clean copy of this source tree.
#
# Usage: packaging/build-deb.sh [-o OUTDIR] [-s] [-k]
#   -o OUTDIR  where to put the .deb (default: ./dist, relative to the
#              current directory); the script prints its path on stdout
#   -s         also build the source package (.dsc, orig and debian tarballs)
#   -k         keep the temporary build directory (its path is logged)
#
# The tree (git-tracked files plus new, not ignored ones; without git, the
# working tree minus build*/, dist/, mnt/, .demo/, .git/) is copied to a
# temporary directory, packaging/debian becomes debian/ there, missing
# build dependencies are installed with apt-get (as root or through sudo),
# and dpkg-buildpackage -us -uc -b runs. Nothing is written in the source
# tree except OUTDIR. Needs no terminal: safe to run from CI.
#
# DEB_BUILD_OPTIONS is passed through (e.g. DEB_BUILD_OPTIONS=nocheck skips
# the unit tests); parallel=$(nproc) is added unless it sets parallel=.
set -euo pipefail

log() { printf 'build-deb: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

outdir=dist source=0 keep=0
while getopts 'o:skh' opt; do
	case $opt in
	o) outdir=$OPTARG ;;
	s) source=1 ;;
	k) keep=1 ;;
	h) sed -n '2,18s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || outdir=$1   # a bare argument is the output directory too

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ ! -f "$top/meson.build" ] || [ ! -d "$top/packaging/debian" ]; then
	die "cannot find the source tree (expected $top/meson.build and packaging/debian)"
fi
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
exec </dev/null

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || die "not root and no sudo: cannot install packages"
	sudo=(sudo -n)
fi
apt_updated=0
apt_install() {
	if [ $apt_updated -eq 0 ]; then
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
		apt_updated=1
	fi
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "$@" >&2
}

# 1. Tools needed before the build dependencies can even be checked.
missing=()
for p in dpkg-dev debhelper build-essential; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	apt_install "${missing[@]}"
fi

# 2. A clean copy of the tree.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ftpfs-deb.XXXXXX")
if [ $keep -eq 1 ]; then
	log "keeping $tmp"
else
	trap 'rm -rf "$tmp"' EXIT
fi
pkgver=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -S Version)
upver=${pkgver%-*}
src=$tmp/ftpfs-$upver
mkdir "$src"

# Never copy build trees, the output directory, the demo's mount point or an
# existing top-level debian/ (packaging/debian is the one used).
skip_re='^(build[^/]*|dist|mnt|\.demo|debian|\.git)(/|$)'
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
	[ "$(git -C "$top" rev-parse --show-toplevel)" = "$top" ]; then
	log "copying git-tracked and new files of $top"
	(cd "$top" && git ls-files -z --cached --others --exclude-standard) |
		(cd "$top" && while IFS= read -r -d '' f; do
			[[ $f =~ $skip_re ]] && continue
			# Deleted but still tracked, or a mount point: skip.
			[ -e "$f" ] || [ -L "$f" ] || continue
			printf '%s\0' "$f"
		done) |
		(cd "$top" && tar --null --no-recursion -T - -cf -) |
		tar -C "$src" -xf -
else
	log "no git work tree: copying $top minus build*/ dist/ mnt/ .demo/ .git/"
	(cd "$top" && tar --exclude='./build*' --exclude=./dist --exclude=./mnt \
		--exclude=./.demo --exclude=./.git --exclude=./debian \
		--exclude='__pycache__' -cf - .) | tar -C "$src" -xf -
fi
cp -a "$top/packaging/debian" "$src/debian"
chmod +x "$src/debian/rules"

if [ $source -eq 1 ]; then
	# 3.0 (quilt) needs the upstream tarball: the tree without debian/.
	log "creating ftpfs_$upver.orig.tar.xz"
	tar -C "$tmp" --exclude="ftpfs-$upver/debian" --sort=name \
		--owner=0 --group=0 --numeric-owner -cJf "$tmp/ftpfs_$upver.orig.tar.xz" \
		"ftpfs-$upver"
fi

# 3. Build dependencies (Build-Depends of debian/control).
if ! (cd "$src" && dpkg-checkbuilddeps) >/dev/null 2>&1; then
	log "installing missing build dependencies"
	[ $apt_updated -eq 1 ] || { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2; apt_updated=1; }
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -q \
		--no-install-recommends "$src" >&2
	(cd "$src" && dpkg-checkbuilddeps) >&2 || die "build dependencies still missing"
fi

# 4. Build.
case " ${DEB_BUILD_OPTIONS:-} " in
*" parallel="*) ;;
*)
	ncpu=$(nproc)
	export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }parallel=$ncpu"
	;;
esac
log "dpkg-buildpackage in $src (DEB_BUILD_OPTIONS=$DEB_BUILD_OPTIONS)"
if [ $source -eq 1 ]; then
	buildflag=()        # full build: source and binary
else
	buildflag=(-b)
fi
(cd "$src" && dpkg-buildpackage -us -uc "${buildflag[@]}") >&2 ||
	die "dpkg-buildpackage failed"

# 5. Results.
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=ftpfs_${pkgver}_${arch}.deb
[ -f "$tmp/$deb" ] || die "no $deb produced"
shopt -s nullglob
results=("$tmp"/*.deb "$tmp"/*.ddeb)
[ $source -eq 1 ] && results+=("$tmp"/*.dsc "$tmp"/*.tar.* "$tmp"/*.buildinfo "$tmp"/*.changes)
cp -f "${results[@]}" "$outdir/"
for f in "${results[@]}"; do log "wrote $outdir/${f##*/}"; done
echo "$outdir/$deb"
