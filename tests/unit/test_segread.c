/* Unit tests for segread against the fake file server (fake_files.h):
 * "/f" of known bytes; knob fail_at (RETR with REST at or past it is
 * refused with 550), counts of connections and RETRs.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include "check_main.h"
#include "pool.h"
#include "segread.h"
#include "fake_files.h"

#define FSIZE (5 * SEGREAD_SEG + 12345)

static struct session_cfg scfg;

static struct pool *setup(void)
{
	struct pool_cfg pc = { .max_sessions = 4, .park_ms = 60000 };
	struct pool *p;
	char err[256];

	fake_files_start(FSIZE, &scfg);
	ck_assert_int_eq(pool_new(&scfg, &pc, &p, err, sizeof(err)), 0);
	ck_assert_int_eq(pool_start(p), 0);
	return p;
}

static void teardown(struct pool *p)
{
	pool_free(p);
	fake_files_stop();
}

/* Read [from, end) in 128 KiB reads; returns bytes read, or the error. */
static long long read_all(struct segread *r, long long from, long long *err)
{
	static char buf[131072];
	long long at = from;
	ssize_t n;

	*err = 0;
	for (;;) {
		n = segread_read(r, buf, sizeof(buf), at);
		if (n < 0) {
			*err = n;
			break;
		}
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			if ((unsigned char)buf[i] != fake_pattern(at + i))
				ck_abort_msg("wrong byte at %lld", at + i);
		at += n;
	}
	return at - from;
}

START_TEST(whole_file_over_several_sessions)
{
	struct pool *p = setup();
	struct segread *r = segread_new(p, "/f", 1000, FSIZE, 3);
	long long err, got;

	ck_assert_ptr_nonnull(r);
	got = read_all(r, 1000, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(got, FSIZE - 1000);
	segread_free(r);
	/* 6 segments from 1000 on, over more than one connection */
	ck_assert_int_ge(atomic_load(&fake_files.retrs), 6);
	ck_assert_int_ge(atomic_load(&fake_files.conns), 2);
	teardown(p);
}
END_TEST

/* The whole file from 0 with n helpers, size known or not (-1), the
 * first segment's ABOR answered abor_ms late. */
static void whole_file_from_0(int64_t size, unsigned n, int abor_ms)
{
	struct pool *p = setup();
	struct segread *r;
	long long err, got;

	atomic_store(&fake_files.slow_abor_ms, abor_ms);
	r = segread_new(p, "/f", 0, size, n);
	got = read_all(r, 0, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(got, FSIZE);
	segread_free(r);
	teardown(p);
}

START_TEST(unknown_size_ends_at_eof)
{
	whole_file_from_0(-1, 2, 0);
}
END_TEST

/* The helper of the first segment is still in its ABOR when the reader
 * has read every later segment the list may hold: the segments the
 * reader is done with must still make room for the next one (they once
 * did only when the reader came back, which it never does: a hang). */
START_TEST(slow_abort_does_not_stall_the_reader)
{
	whole_file_from_0(FSIZE, 2, 700);
}
END_TEST

START_TEST(seek_back_is_erange)
{
	struct pool *p = setup();
	struct segread *r = segread_new(p, "/f", 4 * SEGREAD_SEG, FSIZE, 2);
	char buf[4096];

	ck_assert_int_eq(segread_read(r, buf, sizeof(buf), 4 * SEGREAD_SEG),
			 sizeof(buf));
	ck_assert_int_eq(segread_read(r, buf, sizeof(buf), 100), -ERANGE);
	segread_free(r);
	teardown(p);
}
END_TEST

START_TEST(failed_segment_is_an_error_not_a_short_read)
{
	struct pool *p = setup();
	struct segread *r;
	long long err, got;

	atomic_store(&fake_files.fail_at, 3 * SEGREAD_SEG);
	r = segread_new(p, "/f", 0, FSIZE, 3);
	got = read_all(r, 0, &err);
	ck_assert_int_lt(err, 0);
	ck_assert_int_le(got, 3 * SEGREAD_SEG);
	segread_free(r);
	teardown(p);
}
END_TEST

START_TEST(free_while_fetching)
{
	struct pool *p = setup();
	struct segread *r = segread_new(p, "/f", 0, FSIZE, 3);
	char buf[4096];

	ck_assert_int_eq(segread_read(r, buf, sizeof(buf), 0), sizeof(buf));
	segread_free(r); /* helpers stop, their transfers are aborted */
	teardown(p);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("segread");
	TCase *tc = tcase_create("fake-server");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, whole_file_over_several_sessions);
	tcase_add_test(tc, unknown_size_ends_at_eof);
	tcase_add_test(tc, slow_abort_does_not_stall_the_reader);
	tcase_add_test(tc, seek_back_is_erange);
	tcase_add_test(tc, failed_segment_is_an_error_not_a_short_read);
	tcase_add_test(tc, free_while_fetching);
	suite_add_tcase(s, tc);
	return s;
}
