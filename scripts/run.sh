#!/usr/bin/env bash
# Build ftpfs and mount.
#   scripts/run.sh                      mount a bundled demo server at ./mnt
#   scripts/run.sh stop                 unmount ./mnt and stop the demo server
#   scripts/run.sh URL MOUNTPOINT [-o options...]   mount that server
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh

demo_dir=.demo
if [ "${1:-}" = stop ]; then
	if mountpoint -q mnt 2>/dev/null; then fusermount3 -u mnt; fi
	if [ -f "$demo_dir/server.pid" ]; then
		kill "$(cat "$demo_dir/server.pid")" 2>/dev/null || true
		rm -f "$demo_dir/server.pid"
	fi
	echo "demo stopped"
	exit 0
fi

need_packages "${BUILD_PACKAGES[@]}" python3-pyftpdlib
[ -d build ] || meson setup build >/dev/null
meson compile -C build >/dev/null

if [ $# -gt 0 ]; then
	exec build/ftpfs "$@"
fi

# No URL: serve a fresh, writable copy of demo/tree (in .demo/tree) on
# 127.0.0.1 and mount it at ./mnt.
mkdir -p "$demo_dir" mnt
if mountpoint -q mnt; then
	echo "./mnt is already mounted; run 'scripts/run.sh stop' first" >&2
	exit 1
fi
if [ -f "$demo_dir/server.pid" ]; then
	kill "$(cat "$demo_dir/server.pid")" 2>/dev/null || true
fi
rm -f "$demo_dir/port"
rm -rf "$demo_dir/tree"
cp -a demo/tree "$demo_dir/tree"
nohup /usr/bin/python3 tests/servers/pyftpd.py --root "$demo_dir/tree" \
	--port-file "$demo_dir/port" --anonymous --writable \
	>"$demo_dir/server.log" 2>&1 &
echo $! >"$demo_dir/server.pid"
for _ in $(seq 100); do [ -s "$demo_dir/port" ] && break; sleep 0.1; done
if [ ! -s "$demo_dir/port" ]; then
	echo "the demo server did not start; see $demo_dir/server.log" >&2
	exit 1
fi
port=$(cat "$demo_dir/port")
build/ftpfs "ftp://127.0.0.1:$port/" mnt
cat <<MSG
ftpfs: the demo server (ftp://127.0.0.1:$port/) is mounted at ./mnt; it serves
  $demo_dir/tree, a fresh copy of demo/tree made at each start: write freely
  look:     ls -la mnt; cat mnt/README.txt; find mnt
  stop:     scripts/run.sh stop
  your own: scripts/run.sh ftp://user@host/path MOUNTPOINT
MSG
