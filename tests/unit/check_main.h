/* check_main — the one main() of the unit suites (check_main.c).
 *
 * Each test_*.c defines suite(), which builds its libcheck suite; main runs
 * it and exits 0 when every test passed, 1 otherwise. */
#ifndef FTPFS_TEST_CHECK_MAIN_H
#define FTPFS_TEST_CHECK_MAIN_H

#include <check.h>

Suite *suite(void);

#endif
