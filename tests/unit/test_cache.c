/* Unit tests for the attribute and directory cache. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "cache.h"

static struct cache_dirent *ents(size_t n)
{
	struct cache_dirent *e = calloc(n, sizeof(*e));
	size_t i;
	char name[32];

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "f%zu", i);
		e[i].name = strdup(name);
		e[i].st.st_mode = S_IFREG | 0644;
		e[i].st.st_size = (off_t)i;
	}
	return e;
}

static int count_fn(void *ctx, const char *name, const struct stat *st)
{
	(void)name;
	(void)st;
	(*(size_t *)ctx)++;
	return 0;
}

START_TEST(attr_roundtrip_and_expiry)
{
	struct cache *c = cache_new(0.2, 1000);
	struct stat st = { .st_size = 42 }, out;

	ck_assert_int_eq(cache_get_attr(c, "/a", &out), 0);
	cache_put_attr(c, "/a", &st, NULL, cache_gen(c));
	ck_assert_int_eq(cache_get_attr(c, "/a", &out), 1);
	ck_assert_int_eq(out.st_size, 42);
	cache_put_missing(c, "/b", cache_gen(c));
	ck_assert_int_eq(cache_get_attr(c, "/b", &out), -ENOENT);
	usleep(300000);
	ck_assert_int_eq(cache_get_attr(c, "/a", &out), 0);
	ck_assert_int_eq(cache_get_attr(c, "/b", &out), 0);
	cache_free(c);
}
END_TEST

START_TEST(dir_fills_children_and_negatives)
{
	struct cache *c = cache_new(10, 1000);
	struct stat out;
	size_t n = 0;

	cache_put_dir(c, "/d", ents(5), 5, cache_gen(c));
	ck_assert_int_eq(cache_get_dir(c, "/d", count_fn, &n), 1);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(cache_get_attr(c, "/d/f3", &out), 1);
	ck_assert_int_eq(out.st_size, 3);
	/* not in a fresh listing: known missing */
	ck_assert_int_eq(cache_get_attr(c, "/d/nope", &out), -ENOENT);
	/* root listing children */
	cache_put_dir(c, "/", ents(2), 2, cache_gen(c));
	ck_assert_int_eq(cache_get_attr(c, "/f1", &out), 1);
	ck_assert_int_eq(cache_get_attr(c, "/zz", &out), -ENOENT);
	cache_free(c);
}
END_TEST

START_TEST(invalidate)
{
	struct cache *c = cache_new(10, 1000);
	struct stat out;
	size_t n = 0;

	cache_put_dir(c, "/d", ents(3), 3, cache_gen(c));
	cache_invalidate(c, "/d/f1");
	ck_assert_int_eq(cache_get_dir(c, "/d", count_fn, &n), 0);
	ck_assert_int_eq(cache_get_attr(c, "/d/f1", &out), 0);
	ck_assert_int_eq(cache_get_attr(c, "/d/f2", &out), 1);
	cache_free(c);
}
END_TEST

START_TEST(invalidate_keeps_parent_visible)
{
	struct cache *c = cache_new(10, 1000);
	struct cache_dirent *e = calloc(1, sizeof(*e));
	struct stat out;

	/* "/" lists d; something changes inside d */
	e->name = strdup("d");
	e->st.st_mode = S_IFDIR | 0755;
	cache_put_dir(c, "/", e, 1, cache_gen(c));
	cache_put_dir(c, "/d", ents(1), 1, cache_gen(c));
	cache_invalidate(c, "/d/new");
	/* d itself must not look missing */
	ck_assert_int_eq(cache_get_attr(c, "/d", &out), 1);
	ck_assert(S_ISDIR(out.st_mode));
	cache_free(c);
}
END_TEST

START_TEST(stale_put_dropped)
{
	struct cache *c = cache_new(10, 1000);
	struct stat st = { .st_size = 1 }, out;
	size_t n = 0;
	unsigned long g = cache_gen(c);

	/* a listing taken before a change arrives after it: dropped */
	cache_invalidate(c, "/d/new");
	cache_put_dir(c, "/d", ents(2), 2, g);
	ck_assert_int_eq(cache_get_dir(c, "/d", count_fn, &n), 0);
	cache_put_attr(c, "/x", &st, NULL, g);
	ck_assert_int_eq(cache_get_attr(c, "/x", &out), 0);
	cache_free(c);
}
END_TEST

/* A file created or changed through the mount: its own attributes are
 * asked afresh, the parent's listing stops serving readdir but keeps
 * saying which other names do not exist (no listing per created file). */
START_TEST(changed_and_removed)
{
	struct cache *c = cache_new(10, 1000);
	struct stat out;
	size_t n = 0;

	cache_put_dir(c, "/d", ents(3), 3, cache_gen(c));
	cache_changed(c, "/d/new");
	ck_assert_int_eq(cache_get_attr(c, "/d/new", &out), 0); /* ask */
	ck_assert_int_eq(cache_get_attr(c, "/d/other", &out), -ENOENT);
	ck_assert_int_eq(cache_get_attr(c, "/d/f1", &out), 1);
	ck_assert_int_eq(cache_get_dir(c, "/d", count_fn, &n), 0);
	ck_assert(!cache_has_dir(c, "/d"));
	/* a lookup's answer for the changed name is kept again */
	out.st_size = 7;
	cache_put_attr(c, "/d/new", &out, NULL, cache_gen(c));
	ck_assert_int_eq(cache_get_attr(c, "/d/new", &out), 1);
	ck_assert_int_eq(out.st_size, 7);
	/* changed existing file */
	cache_changed(c, "/d/f2");
	ck_assert_int_eq(cache_get_attr(c, "/d/f2", &out), 0);
	/* removed: known missing at once */
	cache_removed(c, "/d/f1");
	ck_assert_int_eq(cache_get_attr(c, "/d/f1", &out), -ENOENT);
	/* a fresh listing replaces all that */
	cache_put_dir(c, "/d", ents(2), 2, cache_gen(c));
	ck_assert_int_eq(cache_get_dir(c, "/d", count_fn, &n), 1);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(cache_get_attr(c, "/d/f1", &out), 1);
	/* a listing that started before a change is not stored */
	{
		unsigned long g = cache_gen(c);

		cache_changed(c, "/d/x");
		cache_put_dir(c, "/d", ents(1), 1, g);
		ck_assert_int_eq(cache_get_dir(c, "/d", count_fn, &n), 0);
	}
	cache_free(c);
}
END_TEST

/* An entry made, changed or removed in /top/d changes /top/d's time on the
 * server: d's attributes are asked afresh, and /top's listing (where LIST
 * servers have them from) serves no readdir; its other names stay known. */
START_TEST(change_inside_dir_refreshes_dir)
{
	struct cache *c = cache_new(10, 1000);
	struct cache_dirent *top = ents(2);
	struct stat out;
	size_t n = 0;

	free(top[1].name);
	top[1].name = strdup("d");
	top[1].st.st_mode = S_IFDIR | 0755;
	cache_put_dir(c, "/top", top, 2, cache_gen(c));
	cache_put_dir(c, "/top/d", ents(1), 1, cache_gen(c));
	ck_assert_int_eq(cache_get_attr(c, "/top/d", &out), 1);
	cache_changed(c, "/top/d/new");
	ck_assert_int_eq(cache_get_attr(c, "/top/d", &out), 0);
	ck_assert_int_eq(cache_get_dir(c, "/top", count_fn, &n), 0);
	ck_assert_int_eq(cache_get_attr(c, "/top/f0", &out), 1);
	ck_assert_int_eq(cache_get_attr(c, "/top/none", &out), -ENOENT);
	/* the same after a removal */
	cache_put_dir(c, "/top", ents(2), 2, cache_gen(c));
	out.st_mode = S_IFDIR | 0755;
	cache_put_attr(c, "/top/d", &out, NULL, cache_gen(c));
	cache_removed(c, "/top/d/f0");
	ck_assert_int_eq(cache_get_attr(c, "/top/d", &out), 0);
	ck_assert_int_eq(cache_get_dir(c, "/top", count_fn, &n), 0);
	cache_free(c);
}
END_TEST

/* What lookups ask of the cache about names changed through the mount:
 * the directory is still listed (answers "missing" for the rest), and a
 * changed name says what it was before. */
START_TEST(listed_and_changed)
{
	struct cache *c = cache_new(10, 1000);
	struct stat st = { .st_mode = S_IFDIR | 0755 };
	mode_t was = 0;

	ck_assert(!cache_listed(c, "/d"));
	cache_put_attr(c, "/d", &st, NULL, cache_gen(c));
	cache_put_dir(c, "/d", ents(3), 3, cache_gen(c));
	ck_assert(cache_listed(c, "/d"));
	ck_assert(!cache_is_changed(c, "/d/f1", &was));
	cache_changed(c, "/d/new");
	ck_assert(cache_listed(c, "/d")); /* stale for readdir, still held */
	ck_assert(!cache_has_dir(c, "/d"));
	ck_assert(cache_is_changed(c, "/d/new", &was));
	ck_assert_uint_eq(was, 0); /* a new name: nothing known */
	cache_changed(c, "/d/f1");
	ck_assert(cache_is_changed(c, "/d/f1", &was));
	ck_assert_uint_eq(was, S_IFREG | 0644);
	/* the directory itself changed (a name made in it) */
	cache_changed(c, "/d");
	ck_assert(cache_is_changed(c, "/d", &was));
	ck_assert(S_ISDIR(was));
	ck_assert(cache_listed(c, "/d"));
	cache_put_attr(c, "/d", &st, NULL, cache_gen(c));
	ck_assert(!cache_is_changed(c, "/d", &was));
	/* a directory just made: no attributes before, the type is known */
	cache_changed_dir(c, "/d/newdir");
	ck_assert(cache_is_changed(c, "/d/newdir", &was));
	ck_assert(S_ISDIR(was));
	cache_free(c);
}
END_TEST

START_TEST(bounded)
{
	struct cache *c = cache_new(100, 100);
	struct stat st = { 0 }, out;
	char p[32];
	int i, hits = 0;
	size_t n = 0;

	for (i = 0; i < 1000; i++) {
		snprintf(p, sizeof(p), "/x%d", i);
		cache_put_attr(c, p, &st, NULL, cache_gen(c));
	}
	for (i = 0; i < 1000; i++) {
		snprintf(p, sizeof(p), "/x%d", i);
		hits += cache_get_attr(c, p, &out) == 1;
	}
	ck_assert_int_le(hits, 100);
	ck_assert_int_ge(hits, 1);
	/* a listing too large for the bound is not kept */
	cache_put_dir(c, "/big", ents(500), 500, cache_gen(c));
	ck_assert_int_eq(cache_get_dir(c, "/big", count_fn, &n), 0);
	cache_free(c);
}
END_TEST

START_TEST(disabled)
{
	struct cache *c = cache_new(0, 100);
	struct stat st = { 0 }, out;
	size_t n = 0;

	cache_put_attr(c, "/a", &st, "t", cache_gen(c));
	ck_assert_int_eq(cache_get_attr(c, "/a", &out), 0);
	cache_put_dir(c, "/d", ents(2), 2, cache_gen(c));
	ck_assert_int_eq(cache_get_dir(c, "/d", count_fn, &n), 0);
	cache_free(c);
}
END_TEST

START_TEST(links)
{
	struct cache *c = cache_new(10, 100);
	struct stat st = { .st_mode = S_IFLNK | 0777 };
	char *t = NULL;

	cache_put_attr(c, "/l", &st, "target dir/x", cache_gen(c));
	ck_assert_int_eq(cache_get_link(c, "/l", &t), 1);
	ck_assert_str_eq(t, "target dir/x");
	free(t);
	cache_free(c);
}
END_TEST

START_TEST(miss_count_per_directory)
{
	struct cache *c = cache_new(30, 1000);
	struct stat dir = { .st_mode = S_IFDIR | 0755 };

	/* no entry for the directory: nothing is counted */
	ck_assert_uint_eq(cache_dir_miss(c, "/a"), 0);
	cache_put_attr(c, "/a", &dir, NULL, cache_gen(c));
	cache_put_attr(c, "/b", &dir, NULL, cache_gen(c));
	ck_assert_uint_eq(cache_dir_miss(c, "/a"), 1);
	ck_assert_uint_eq(cache_dir_miss(c, "/b"), 1);
	ck_assert_uint_eq(cache_dir_miss(c, "/a"), 2); /* /b did not reset it */
	cache_put_attr(c, "/a", &dir, NULL, cache_gen(c)); /* refreshed: kept */
	ck_assert_uint_eq(cache_dir_miss(c, "/a"), 3);
	cache_dir_miss_reset(c, "/a");
	ck_assert_uint_eq(cache_dir_miss(c, "/a"), 1);
	ck_assert_uint_eq(cache_dir_miss(c, "/b"), 2);
	cache_invalidate(c, "/a"); /* the entry goes, and its count */
	ck_assert_uint_eq(cache_dir_miss(c, "/a"), 0);
	cache_free(c);
}
END_TEST

/* A listed name's attributes as meta makes them from a listing line. */
static void meta_shaped(struct stat *st, off_t size, time_t t)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFREG | 0644;
	st->st_nlink = 1;
	st->st_uid = 1000;
	st->st_gid = 1000;
	st->st_size = size;
	st->st_blksize = 4096;
	st->st_blocks = (size + 511) / 512;
	st->st_mtime = st->st_ctime = st->st_atime = t;
}

/* Memory: a listing of 100,000 names the shape meta makes costs at most
 * 150 bytes a name in the cache (it cost 432 when every name held a
 * struct stat in the listing and an attribute entry of its own), and
 * each child is answered exactly as it was put. */
START_TEST(listing_memory_per_name)
{
	size_t n = 100000, i;
	struct cache *c = cache_new(100, 4 * n);
	struct cache_dirent *e = calloc(n, sizeof(*e));
	struct mallinfo2 before, after;
	struct stat want, got;
	char name[64];

	ck_assert_ptr_nonnull(e);
	before = mallinfo2();
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "file-%07zu.dat", i);
		e[i].name = strdup(name);
		meta_shaped(&e[i].st, (off_t)i * 3, 1700000000 + (time_t)i);
	}
	cache_put_dir(c, "/big", e, n, cache_gen(c));
	after = mallinfo2();
	ck_assert_msg(after.uordblks + after.hblkhd <=
			      before.uordblks + before.hblkhd + 150 * n,
		      "%.1f bytes per listed name",
		      (double)(after.uordblks + after.hblkhd - before.uordblks -
			       before.hblkhd) /
			      (double)n);
	for (i = 0; i < n; i += 997) {
		snprintf(name, sizeof(name), "/big/file-%07zu.dat", i);
		meta_shaped(&want, (off_t)i * 3, 1700000000 + (time_t)i);
		ck_assert_int_eq(cache_get_attr(c, name, &got), 1);
		ck_assert_int_eq(memcmp(&got, &want, sizeof(got)), 0);
	}
	ck_assert_int_eq(cache_get_attr(c, "/big/file-x", &got), -ENOENT);
	cache_free(c);
}
END_TEST

/* Attributes of another shape than meta's are kept whole. */
START_TEST(listing_keeps_other_attributes_whole)
{
	struct cache *c = cache_new(100, 1000);
	struct cache_dirent *e = ents(3);
	struct stat want, got;

	meta_shaped(&e[1].st, 10, 1000);
	e[1].st.st_atime = 5; /* not the mtime: not the compact shape */
	e[1].st.st_mtim.tv_nsec = 7;
	want = e[1].st;
	cache_put_dir(c, "/d", e, 3, cache_gen(c));
	ck_assert_int_eq(cache_get_attr(c, "/d/f1", &got), 1);
	ck_assert_int_eq(memcmp(&got, &want, sizeof(got)), 0);
	ck_assert_int_eq(cache_get_attr(c, "/d/f2", &got), 1);
	ck_assert_int_eq(got.st_size, 2);
	cache_free(c);
}
END_TEST

/* A dropped listing (a change in the directory) still answers for the
 * children not changed since, not for the one invalidated, and no longer
 * says "missing" or serves readdir. */
START_TEST(dropped_listing_answers_for_unchanged_children)
{
	struct cache *c = cache_new(100, 1000);
	struct stat got;
	size_t n = 0;

	cache_put_dir(c, "/d", ents(4), 4, cache_gen(c));
	cache_invalidate(c, "/d/f1");
	ck_assert_int_eq(cache_get_attr(c, "/d/f1", &got), 0); /* ask */
	ck_assert_int_eq(cache_get_attr(c, "/d/f2", &got), 1);
	ck_assert_int_eq(got.st_size, 2);
	ck_assert_int_eq(cache_get_attr(c, "/d/nope", &got), 0);
	ck_assert_int_eq(cache_get_dir(c, "/d", count_fn, &n), 0);
	ck_assert(!cache_listed(c, "/d"));
	ck_assert(!cache_has_dir(c, "/d"));
	/* a fresh listing replaces it */
	cache_put_dir(c, "/d", ents(2), 2, cache_gen(c));
	ck_assert_int_eq(cache_get_attr(c, "/d/f1", &got), 1);
	ck_assert_int_eq(cache_get_attr(c, "/d/f3", &got), -ENOENT);
	ck_assert_int_eq(cache_get_dir(c, "/d", count_fn, &n), 1);
	ck_assert_uint_eq(n, 2);
	cache_free(c);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("cache");

	tcase_add_test(tc, attr_roundtrip_and_expiry);
	tcase_add_test(tc, dir_fills_children_and_negatives);
	tcase_add_test(tc, invalidate);
	tcase_add_test(tc, invalidate_keeps_parent_visible);
	tcase_add_test(tc, stale_put_dropped);
	tcase_add_test(tc, changed_and_removed);
	tcase_add_test(tc, change_inside_dir_refreshes_dir);
	tcase_add_test(tc, listed_and_changed);
	tcase_add_test(tc, bounded);
	tcase_add_test(tc, disabled);
	tcase_add_test(tc, links);
	tcase_add_test(tc, miss_count_per_directory);
	tcase_add_test(tc, listing_memory_per_name);
	tcase_add_test(tc, listing_keeps_other_attributes_whole);
	tcase_add_test(tc, dropped_listing_answers_for_unchanged_children);
	suite_add_tcase(s, tc);
	return s;
}
