#!/bin/bash
# Build and run the libFuzzer targets of tests/fuzz/.
#
# usage: tests/fuzz/run.sh [BUILD_DIR]
#
#   BUILD_DIR         where binaries, the growing corpora, logs and crash
#                     inputs go (default: $FUZZ_BUILD, else build-fuzz/ in
#                     the source tree)
#   FUZZ_SECONDS      fuzzing time per target (default 60; 0 = only run the
#                     regression inputs, seeds and kept corpus once)
#   FUZZ_TARGETS      targets to run (default "reply listparse url proxy")
#   FUZZ_CFLAGS       extra compiler flags, e.g. -DFUZZ_NO_YEAR_CHECK to
#                     switch off an extra oracle (see each fuzz_*.c)
#   FUZZ_ARGS         extra libFuzzer flags (e.g. "-jobs=2 -workers=2")
#   FUZZ_SRC          directory with reply.c, listparse.c, url.c,
#                     options.c, digest.c, proxy.c, net.c
#                     (default: src/ of this tree; e.g. a patched copy)
#   CC                compiler (default clang, then clang-14)
#
# For each target: build, replay every file of tests/fuzz/regress/TARGET/,
# then fuzz for FUZZ_SECONDS from the committed seeds (plus, for listparse,
# every line of tests/data/list-lines.tsv, written at run time) and the
# corpus kept in BUILD_DIR/corpus/TARGET. Prints the number of executions
# per target. Exits non-zero when a build fails or any input crashes (the
# input is left in BUILD_DIR/artifacts/TARGET/, the report in
# BUILD_DIR/logs/TARGET*.log).
#
# Missing tools (clang, libFuzzer's runtime, fuse3 headers) are installed
# with apt-get, only when missing.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-${FUZZ_BUILD:-$root/build-fuzz}}
secs=${FUZZ_SECONDS:-60}
case $secs in
''|*[!0-9]*) echo "run.sh: FUZZ_SECONDS must be a whole number" >&2; exit 2 ;;
esac
targets=${FUZZ_TARGETS:-reply listparse url proxy}
extra_cflags=${FUZZ_CFLAGS:-}
extra_args=${FUZZ_ARGS:-}
src=${FUZZ_SRC:-$root/src}

CFLAGS_FUZZ="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_FILE_OFFSET_BITS=64 -D_GNU_SOURCE -I$root/include"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

log() { printf '== %s\n' "$*"; }

apt_updated=
apt_install() {
	if [ "$(id -u)" != 0 ]; then
		echo "run.sh: missing $*; install it (apt-get install $*) or run as root" >&2
		exit 2
	fi
	if [ -z "$apt_updated" ]; then
		log "apt-get update"
		DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null ||
			{ echo "run.sh: apt-get update failed" >&2; exit 2; }
		apt_updated=1
	fi
	log "apt-get install $*"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null ||
		{ echo "run.sh: apt-get install $* failed" >&2; exit 2; }
}

# ---- tools --------------------------------------------------------------

if [ -z "${CC:-}" ]; then
	if command -v clang >/dev/null 2>&1; then
		CC=clang
	elif command -v clang-14 >/dev/null 2>&1; then
		CC=clang-14
	else
		apt_install clang
		CC=clang
	fi
fi
command -v "$CC" >/dev/null 2>&1 || { echo "run.sh: no compiler $CC" >&2; exit 2; }

mkdir -p "$build" || exit 2
build=$(cd "$build" && pwd)

# Does -fsanitize=fuzzer link here? (Debian ships libFuzzer's runtime in
# libclang-rt-N-dev.)
probe_fuzzer() {
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
		>"$build/probe.c"
	"$CC" -fsanitize=fuzzer,address,undefined "$build/probe.c" \
		-o "$build/probe" >"$build/probe.log" 2>&1
}
if ! probe_fuzzer; then
	ver=$("$CC" -dumpversion | cut -d. -f1)
	apt_install "libclang-rt-$ver-dev"
	probe_fuzzer || {
		echo "run.sh: $CC cannot link -fsanitize=fuzzer:" >&2
		cat "$build/probe.log" >&2
		exit 2
	}
fi
rm -f "$build/probe" "$build/probe.c" "$build/probe.log"

fuse_flags() {
	pkg-config --cflags --libs fuse3 2>/dev/null
}
need_fuse=
for t in $targets; do [ "$t" = url ] && need_fuse=1; done
if [ -n "$need_fuse" ] && ! fuse_flags >/dev/null; then
	apt_install pkg-config libfuse3-dev
	fuse_flags >/dev/null || { echo "run.sh: no fuse3 (pkg-config)" >&2; exit 2; }
fi

# ---- per target ---------------------------------------------------------

srcs_of() {
	case $1 in
	reply) echo "$src/reply.c" ;;
	listparse) echo "$src"/listparse*.c ;;
	url) echo "$src/url.c $src/options.c $src/digest.c" ;; # verify_upload= names
	proxy) echo "$src/proxy.c $src/net.c" ;;
	*) return 1 ;;
	esac
}

max_len_of() {
	case $1 in
	reply) echo 4096 ;;     # amplified up to ~84 KiB, see fuzz_reply.c
	listparse) echo 4096 ;; # several lines; LISTPARSE_LINE_MAX is 8192
	url) echo 1024 ;;
	proxy) echo 4096 ;;     # HTTP is parsed as read, byte by byte: O(n^2)
	esac
}

status=0
summary=
start_all=$(date +%s)

for t in $targets; do
	srcs=$(srcs_of "$t") || { echo "run.sh: unknown target $t" >&2; status=1; continue; }
	bin=$build/fuzz_$t
	corpus=$build/corpus/$t
	artifacts=$build/artifacts/$t
	logs=$build/logs
	mkdir -p "$corpus" "$artifacts" "$logs"
	libs=
	[ "$t" = url ] && libs="$(fuse_flags) -lcrypto"
	[ "$t" = proxy ] && libs="-lssl -lcrypto"

	log "build fuzz_$t"
	# shellcheck disable=SC2086 # word splitting of flag lists is intended
	if ! "$CC" $CFLAGS_FUZZ $extra_cflags -o "$bin" "$here/fuzz_$t.c" $srcs \
		$libs 2>"$logs/$t.build.log"; then
		cat "$logs/$t.build.log" >&2
		summary+=$(printf '%-10s %12s  %s' "$t" "-" "BUILD FAILED")$'\n'
		status=1
		continue
	fi

	# regression inputs: each file run once
	nreg=0
	if [ -d "$here/regress/$t" ]; then
		mapfile -t reg < <(find "$here/regress/$t" -type f ! -name '.*' | sort)
		nreg=${#reg[@]}
	fi
	if [ "$nreg" -gt 0 ]; then
		log "fuzz_$t: $nreg regression input(s)"
		if ! "$bin" -rss_limit_mb=2048 -timeout=30 \
			-artifact_prefix="$artifacts/" "${reg[@]}" \
			>"$logs/$t.regress.log" 2>&1; then
			tail -n 60 "$logs/$t.regress.log" >&2
			summary+=$(printf '%-10s %12s  %s' "$t" "-" "REGRESSION FAILED (log: $logs/$t.regress.log)")$'\n'
			status=1
			continue
		fi
	fi

	seeds=("$here/corpus/$t")
	if [ "$t" = listparse ] && [ -f "$root/tests/data/list-lines.tsv" ]; then
		if command -v python3 >/dev/null 2>&1; then
			rm -rf "$build/seeds/$t"
			if "$here/make_seeds.sh" "$build/seeds/$t" >/dev/null; then
				seeds+=("$build/seeds/$t")
			fi
		else
			echo "run.sh: no python3, skipping the list-lines.tsv seeds" >&2
		fi
	fi
	dict=()
	[ -f "$here/$t.dict" ] && dict=("-dict=$here/$t.dict")

	t0=$(date +%s)
	if [ "$secs" -gt 0 ]; then
		log "fuzz_$t: fuzzing for ${secs}s"
		# shellcheck disable=SC2086
		"$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=30 \
			-max_len="$(max_len_of "$t")" -print_final_stats=1 \
			-artifact_prefix="$artifacts/" "${dict[@]}" $extra_args \
			"$corpus" "${seeds[@]}" >"$logs/$t.log" 2>&1
	else
		# FUZZ_SECONDS=0: only run the seeds and the kept corpus once
		log "fuzz_$t: running the corpus once (FUZZ_SECONDS=0)"
		"$bin" -runs=0 -rss_limit_mb=2048 -timeout=30 \
			-max_len="$(max_len_of "$t")" -print_final_stats=1 \
			-artifact_prefix="$artifacts/" \
			"$corpus" "${seeds[@]}" >"$logs/$t.log" 2>&1
	fi
	rc=$?
	t1=$(date +%s)
	runs=$(grep -ao "Done [0-9]* runs" "$logs/$t.log" | tail -n 1 | awk '{print $2}')
	[ -n "$runs" ] || runs=$(grep -ao 'stat::number_of_executed_units: *[0-9]*' \
		"$logs/$t.log" | tail -n 1 | awk '{print $2}')
	[ -n "$runs" ] || runs="?"
	crash=$(grep -ao "Test unit written to [^ ]*" "$logs/$t.log" | tail -n 1 |
		sed 's/Test unit written to //')
	if [ "$rc" -ne 0 ] || [ -n "$crash" ]; then
		echo "---- fuzz_$t failed (exit $rc); end of $logs/$t.log:" >&2
		grep -av "^#[0-9]" "$logs/$t.log" | tail -n 60 >&2
		summary+=$(printf '%-10s %12s  %s' "$t" "$runs" "CRASH: ${crash:-see $logs/$t.log}")$'\n'
		status=1
	else
		summary+=$(printf '%-10s %12s  ok (%ss, corpus %s files)' "$t" "$runs" \
			"$((t1 - t0))" "$(find "$corpus" -type f | wc -l)")$'\n'
	fi
done

echo
printf '%-10s %12s  %s\n' target executions result
printf '%s' "$summary"
echo "total time: $(($(date +%s) - start_all))s (build dir $build)"
exit $status
