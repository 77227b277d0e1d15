#!/usr/bin/env bash
# House style: every C file the repository tracks is as clang-format
# (.clang-format) writes it. Exit 1 and the differences otherwise.
#   scripts/check-format.sh          check
#   scripts/check-format.sh --fix    rewrite the files in place
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || {
	echo "check-format: clang-format is not installed" >&2
	exit 1
}
# the files git tracks; outside a git checkout (a release tarball) there
# is nothing to compare against: skipped (77, meson's "skip")
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "check-format: not a git checkout, skipped" >&2
	exit 77
fi
mapfile -t files < <(git ls-files '*.c' '*.h')
if [ "${1:-}" = --fix ]; then
	clang-format -i "${files[@]}"
	exit 0
fi
bad=0
for f in "${files[@]}"; do
	if ! out=$(clang-format "$f" | diff -u "$f" - ); then
		printf '%s\n' "$out"
		bad=1
	fi
done
if [ "$bad" -ne 0 ]; then
	echo "check-format: files above differ from .clang-format's style (scripts/check-format.sh --fix)" >&2
	exit 1
fi
echo "check-format: ${#files[@]} files in house style"
