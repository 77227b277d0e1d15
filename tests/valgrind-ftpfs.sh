#!/bin/sh
# Run the ftpfs daemon under valgrind memcheck for an integration suite:
# any memory error or definite leak makes it exit 99, which the harness
# reports as an unclean daemon exit. valgrind.supp names the one leak that
# is libfuse's own (see there).
# Usage: FTPFS_BIN=tests/valgrind-ftpfs.sh FTPFS_REAL_BIN=build/ftpfs ...
exec valgrind -q --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --show-leak-kinds=definite \
	--suppressions="$(dirname "$0")/valgrind.supp" \
	"${FTPFS_REAL_BIN:?set FTPFS_REAL_BIN}" "$@"
