/* Unit tests for meta's pure parts: parents, entries as stat, and what
 * meta_invalidate / meta_done leave in the cache. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "cache.h"
#include "fs.h"
#include "listparse.h"
#include "meta.h"
#include "xattr.h"

START_TEST(parents)
{
	static const char *const io[][2] = {
		{ "/", "/" },
		{ "/a", "/" },
		{ "/a/b", "/a" },
		{ "/a/b/c", "/a/b" },
	};
	size_t i;

	for (i = 0; i < sizeof(io) / sizeof(io[0]); i++) {
		char *p = meta_parent(io[i][0]);

		ck_assert_str_eq(p, io[i][1]);
		free(p);
	}
}
END_TEST

START_TEST(entry_as_stat)
{
	struct fs_ctx c = { .uid = 1000, .gid = 100 };
	struct ftp_entry e = {
		.type = FTP_TYPE_FILE, .size = 5, .perm = 0640, .has_perm = true
	};
	struct stat st;

	e.rights = LISTPARSE_RIGHT('r'); /* no "w": not writable here */
	e.has_rights = true;
	meta_entry_stat(&c, &e, &st);
	ck_assert_uint_eq(st.st_mode, S_IFREG | 0440);
	ck_assert_int_eq(st.st_size, 5);
	ck_assert_uint_eq(st.st_uid, 1000);
	e.type = FTP_TYPE_DIR;
	e.has_perm = e.has_rights = false;
	meta_entry_stat(&c, &e, &st);
	ck_assert_uint_eq(st.st_mode, S_IFDIR | 0755);
}
END_TEST

START_TEST(invalidation)
{
	struct fs_ctx c = { .cache = cache_new(30, 1000),
			    .sums = sum_cache_new() };
	struct stat st = { .st_mode = S_IFREG | 0644 }, out;
	mode_t was;

	/* mkdir: an empty listing, so names in it are missing */
	meta_done(&c, "/d", 0, MI_MADE_DIR | MI_PARENT);
	ck_assert_int_eq(cache_get_attr(c.cache, "/d/x", &out), -ENOENT);
	ck_assert(cache_is_changed(c.cache, "/d", &was) && S_ISDIR(was));
	/* a failure forgets what was known */
	cache_put_attr(c.cache, "/f", &st, NULL, cache_gen(c.cache));
	meta_done(&c, "/f", -EIO, MI_CHANGED);
	ck_assert_int_eq(cache_get_attr(c.cache, "/f", &out), 0);
	/* MI_PARENT alone on a failure: nothing */
	cache_put_attr(c.cache, "/f", &st, NULL, cache_gen(c.cache));
	meta_done(&c, "/f", -EIO, MI_PARENT);
	ck_assert_int_eq(cache_get_attr(c.cache, "/f", &out), 1);
	meta_done(&c, "/f", 0, MI_REMOVED);
	ck_assert_int_eq(cache_get_attr(c.cache, "/f", &out), -ENOENT);
	meta_invalidate(&c, NULL, MI_SUBTREE);
	ck_assert_int_eq(cache_get_attr(c.cache, "/f", &out), 0);
	ck_assert_int_eq(cache_get_attr(c.cache, "/d/x", &out), 0);
	sum_cache_free(c.sums);
	cache_free(c.cache);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("meta");
	TCase *tc = tcase_create("meta");

	tcase_add_test(tc, parents);
	tcase_add_test(tc, entry_as_stat);
	tcase_add_test(tc, invalidation);
	suite_add_tcase(s, tc);
	return s;
}
