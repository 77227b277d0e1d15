#!/usr/bin/env bash
# Build the Debian package, install it, mount through the installed mount
# helper (mount -t fuse.ftpfs -> /sbin/mount.fuse.ftpfs), check a file,
# unmount, and remove the package again. Run by scripts/test.sh when
# CI=true (it installs a package system-wide), or by hand.
# Skips (exit 0 with a note) when a package named ftpfs is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

if dpkg-query -W -f='${Status}' ftpfs 2>/dev/null | grep -q "install ok installed"; then
	echo "deb-test: an ftpfs package is already installed; not touching it"
	exit 0
fi
work=$(mktemp -d /tmp/ftpfs-deb-XXXXXX)
srv_pid=
cleanup() {
	mountpoint -q "$work/mnt" 2>/dev/null && umount "$work/mnt" || true
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null || true
	dpkg -r ftpfs >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

deb=$(DEB_BUILD_OPTIONS=nocheck packaging/build-deb.sh -o "$work/dist" | grep '\.deb$' | grep -v dbgsym | head -1)
echo "deb-test: built $deb"
dpkg -i "$deb" >/dev/null
/usr/bin/ftpfs --version
test -L /sbin/mount.fuse.ftpfs || test -L /usr/sbin/mount.fuse.ftpfs
if command -v man >/dev/null; then man -w ftpfs >/dev/null; else test -f /usr/share/man/man8/ftpfs.8.gz; fi

mkdir -p "$work/root" "$work/mnt"
chmod 755 "$work" "$work/root"
echo "served by the test" > "$work/root/hello.txt"
/usr/bin/python3 tests/servers/pyftpd.py --root "$work/root" \
	--port-file "$work/port" --anonymous >"$work/server.log" 2>&1 &
srv_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
mount -t fuse.ftpfs -o _netdev,noauto,ro "ftp://127.0.0.1:$port/" "$work/mnt"
grep -q "served by the test" "$work/mnt/hello.txt"
grep " $work/mnt " /proc/mounts
umount "$work/mnt"
echo "deb-test: 1 passed, 0 failed"
