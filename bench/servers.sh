#!/usr/bin/env bash
# Small files into ProFTPD and Pure-FTPd over plain FTP and FTPS, next to
# raw ftplib (bench/servers.py; writes bench/results-servers.md).
#   bench/servers.sh [--files 500] [--kib 4] [--runs 3] [--servers proftpd,pureftpd]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
need_packages "${BUILD_PACKAGES[@]}" openssl
bash tests/servers/unpack.sh
[ "${BENCH_NO_BUILD:-0}" = 1 ] || { [ -d build ] || meson setup build >/dev/null; meson compile -C build >/dev/null; }
exec /usr/bin/python3 bench/servers.py "$@"
