#!/usr/bin/env bash
# Install what the tests need, build (warnings are errors), run the
# integration tests under ThreadSanitizer, then every test — unit and
# integration — in an AddressSanitizer+UBSan build (its summary comes last).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh

need_packages "${BUILD_PACKAGES[@]}" check python3-pyftpdlib vsftpd curl valgrind openssl \
	groff-base rsync microsocks tinyproxy clang-format "${MATRIX_PACKAGES[@]}" "${PROGRAMS_PACKAGES[@]}"

# 1. the normal build must compile cleanly with -Werror; its daemon must
#    be valgrind-clean on an integration suite
if [ ! -d build ]; then meson setup build -Dwerror=true >/dev/null; fi
# the matrix's FTP daemons (suite 'matrix', run in step 3), unpacked from
# their Debian packages into build/daemons (re-used when the same versions are
# there); a failure is not fatal here: that daemon's matrix tests then fail
bash tests/servers/unpack.sh build/daemons || echo "ftpfs: unpacking a test daemon failed" >&2
meson compile -C build
meson test -C build --suite valgrind --print-errorlogs --num-processes 1

# 1b. in CI: build the .deb, install it, mount with the installed binary
#     through mount(8), remove it (tests/deb-test.sh; it installs a package
#     system-wide, hence CI only, or FTPFS_TEST_DEB=1)
if [ "${CI:-}" = true ] || [ "${FTPFS_TEST_DEB:-}" = 1 ]; then
	bash tests/deb-test.sh
fi

# 2. the integration tests, the server matrix and the real programs
#    (suite programs) in a ThreadSanitizer build
#    (pool, caches and
#    streams are threaded)
if [ ! -d build-tsan ]; then
	meson setup build-tsan -Db_sanitize=thread -Db_lundef=false >/dev/null
fi
meson compile -C build-tsan
TSAN_OPTIONS=halt_on_error=0 meson test -C build-tsan --suite integration --suite matrix \
	--suite programs --print-errorlogs --num-processes 1

# 2b. libFuzzer targets (reply, listing and URL/option parsers) with
#     ASan+UBSan: the regression inputs, then FUZZ_SECONDS (60) each
FUZZ_SECONDS=${FUZZ_SECONDS:-60} bash tests/fuzz/run.sh build-fuzz

# 3. every test, in an AddressSanitizer + UBSan build
if [ ! -d build-asan ]; then
	meson setup build-asan -Dwerror=true -Db_sanitize=address,undefined \
		-Db_lundef=false >/dev/null
fi
meson compile -C build-asan
export ASAN_OPTIONS=abort_on_error=0:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
meson test -C build-asan --no-suite valgrind --print-errorlogs \
	--num-processes 1 "$@"
