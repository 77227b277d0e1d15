#!/usr/bin/env bash
# Benchmark ftpfs against raw transfers (curl, Python's ftplib) and
# `rclone mount` on loopback: pyftpdlib and vsftpd, a pyftpdlib with a
# round-trip latency, one with a per-connection bandwidth cap, and vsftpd
# with explicit FTPS.
#   bench/run.sh                      default: 1 GiB file, 10,000 entries,
#                                     256 MiB writes, 2,000-file tree,
#                                     1,000 small files, 20 ms latency
#                                     section, 8 MiB/s cap, 3 runs
#   bench/run.sh --quick              smoke run (small sizes, 1 run)
#   bench/run.sh --latency-ms 50      the latency section at 50 ms
#   bench/run.sh --no-rclone          without the rclone column
#   bench/run.sh --help               every option (they go to bench/bench.py)
# Prints a Markdown table and writes it to bench/results.md.
# BENCH_NO_BUILD=1 skips `meson compile` (uses build/ftpfs as it is).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh

need_packages "${BUILD_PACKAGES[@]}" python3-pyftpdlib vsftpd curl openssl \
	rclone

note=""
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
	[ -d build ] || meson setup build >/dev/null
	if ! meson compile -C build >/tmp/ftpfs-bench-build.$$.log 2>&1; then
		tail -n 20 /tmp/ftpfs-bench-build.$$.log >&2
		if [ -x build/ftpfs ]; then
			echo "bench: WARNING: meson compile failed; benchmarking the" \
				"previous build/ftpfs" >&2
			note="meson compile FAILED; this is the previous build/ftpfs"
		else
			rm -f /tmp/ftpfs-bench-build.$$.log
			echo "bench: meson compile failed and there is no build/ftpfs" >&2
			exit 1
		fi
	fi
	rm -f /tmp/ftpfs-bench-build.$$.log
fi

FTPFS_BENCH_BUILD_NOTE="$note" exec /usr/bin/python3 bench/bench.py "$@"
