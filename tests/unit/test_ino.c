/* Unit tests for the inode numbers of paths. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check_main.h"
#include "ino.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

START_TEST(stable_and_distinct)
{
	struct ino_table *t = ino_new(1000);
	static uint64_t seen[20000];
	char p[64];
	size_t i;

	ck_assert_uint_eq(ino_of(t, "/"), 1);
	for (i = 0; i < 20000; i++) {
		snprintf(p, sizeof(p), "/d%zu/f%zu", i % 7, i);
		seen[i] = ino_of(t, p);
		ck_assert_uint_ne(seen[i], 0);
		ck_assert_uint_ne(seen[i], 1);
		ck_assert_uint_ne(seen[i], 0xffffffffULL);
		ck_assert_uint_eq(ino_of(t, p), seen[i]);
	}
	qsort(seen, 20000, sizeof(seen[0]), cmp_u64);
	for (i = 1; i < 20000; i++)
		ck_assert_uint_ne(seen[i - 1], seen[i]);
	ino_free(t);
}
END_TEST

START_TEST(rename_moves_the_number)
{
	struct ino_table *t = ino_new(1000);
	uint64_t a = ino_of(t, "/a"), b = ino_of(t, "/b"), a2, c;

	ino_renamed(t, "/a", "/b");
	ck_assert_uint_eq(ino_of(t, "/b"), a); /* the file kept its number */
	a2 = ino_of(t, "/a");
	ck_assert_uint_ne(a2, a); /* a new file there is another one */
	ck_assert_uint_ne(a2, b);
	ck_assert_uint_eq(ino_of(t, "/a"), a2);
	/* and on: b -> c, a -> b */
	ino_renamed(t, "/b", "/c");
	c = ino_of(t, "/c");
	ck_assert_uint_eq(c, a);
	ino_renamed(t, "/a", "/b");
	ck_assert_uint_eq(ino_of(t, "/b"), a2);
	ck_assert_uint_ne(ino_of(t, "/a"), a2);
	ck_assert_uint_ne(ino_of(t, "/a"), c);
	ck_assert_uint_ne(ino_of(t, "/a"), ino_of(t, "/b"));
	ino_renamed(t, "/c", "/c"); /* no-op */
	ck_assert_uint_eq(ino_of(t, "/c"), a);
	ino_free(t);
}
END_TEST

START_TEST(directory_rename_takes_pinned_names)
{
	struct ino_table *t = ino_new(1000);
	uint64_t d = ino_of(t, "/d"), open = ino_of(t, "/d/s/open.txt");
	uint64_t other = ino_of(t, "/d/other.txt");

	ino_pin(t, "/d/s/open.txt");
	ck_assert_uint_eq(ino_of(t, "/d/s/open.txt"), open);
	ino_renamed(t, "/d", "/e");
	ck_assert_uint_eq(ino_of(t, "/e"), d);
	ck_assert_uint_eq(ino_of(t, "/e/s/open.txt"), open);
	ck_assert_uint_ne(ino_of(t, "/d/s/open.txt"), open);
	ck_assert_uint_ne(ino_of(t, "/d"), d);
	/* names not held get the number of their new path */
	ck_assert_uint_ne(ino_of(t, "/e/other.txt"),
			  ino_of(t, "/e/s/open.txt"));
	(void)other;
	/* "/dx" is not below "/d" */
	ino_pin(t, "/dx/f");
	open = ino_of(t, "/dx/f");
	ino_renamed(t, "/d", "/g");
	ck_assert_uint_eq(ino_of(t, "/dx/f"), open);
	ino_free(t);
}
END_TEST

/* Past its bound, a rename no longer moves numbers; none is shared. */
START_TEST(bounded)
{
	struct ino_table *t = ino_new(4);
	uint64_t a = ino_of(t, "/a"), c = ino_of(t, "/c");

	ino_renamed(t, "/a", "/b"); /* 2 held */
	ck_assert_uint_eq(ino_of(t, "/b"), a);
	ino_renamed(t, "/c", "/d"); /* 4 held */
	ck_assert_uint_eq(ino_of(t, "/d"), c);
	ino_renamed(t, "/d", "/e"); /* full: /e gets its own */
	ck_assert_uint_ne(ino_of(t, "/e"), c);
	ck_assert_uint_eq(ino_of(t, "/d"), c);
	ck_assert_uint_ne(ino_of(t, "/e"), ino_of(t, "/a"));
	ck_assert_uint_ne(ino_of(t, "/e"), ino_of(t, "/b"));
	ck_assert_uint_ne(ino_of(t, "/e"), ino_of(t, "/c"));
	ino_free(t);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("ino");
	TCase *tc = tcase_create("ino");

	tcase_add_test(tc, stable_and_distinct);
	tcase_add_test(tc, rename_moves_the_number);
	tcase_add_test(tc, directory_rename_takes_pinned_names);
	tcase_add_test(tc, bounded);
	suite_add_tcase(s, tc);
	return s;
}
