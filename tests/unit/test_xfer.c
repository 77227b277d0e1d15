/* Unit tests for the transfer object (xfer.h) against the fake file
 * server (fake_files.h): open, read, park, steal, reclaim, resume after a
 * dropped connection, upload and resume (under a new name, after the
 * session broke), a metadata session broken by a command, close.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "pool.h"
#include "xfer.h"
#include "fake_files.h"

#define FSIZE (3 * 1024 * 1024 + 777)

static struct session_cfg scfg;

static struct pool *setup(unsigned max, int park_ms)
{
	struct pool_cfg pc = { .max_sessions = max, .park_ms = park_ms };
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

/* Read len bytes at the transfer's position and check them. */
static void read_check(struct xfer *x, long long len)
{
	static char buf[65536];

	while (len > 0) {
		long long at = xfer_pos(x);
		ssize_t n = xfer_read(x, buf,
				      len < (long long)sizeof(buf)
					      ? (size_t)len
					      : sizeof(buf));

		ck_assert_int_gt(n, 0);
		for (ssize_t i = 0; i < n; i++)
			if ((unsigned char)buf[i] != fake_pattern(at + i))
				ck_abort_msg("wrong byte at %lld", at + i);
		len -= n;
	}
}

#define ck_state(x, st) \
	ck_assert_str_eq(xfer_state_name(xfer_get_state(x)), #st)

static struct pool *pool;

/* A pool of max sessions (park_ms) and an xfer reading "/f" from 0, its
 * first n bytes read. */
static struct xfer *reading(unsigned max, int park_ms, long long n)
{
	struct xfer *x;

	pool = setup(max, park_ms);
	x = xfer_new(pool, XFER_TAKE_TRANSFER, 0);
	ck_assert_int_eq(xfer_open(x, "RETR", "/f", 0), 0);
	ck_state(x, RUNNING);
	read_check(x, n);
	return x;
}

static void done(struct xfer *x)
{
	xfer_free(x);
	teardown(pool);
}

START_TEST(open_read_to_the_end)
{
	struct xfer *x =
		xfer_new(pool = setup(2, 60000), XFER_TAKE_TRANSFER, 0);
	char c;

	ck_state(x, CLOSED);
	ck_assert_int_eq(xfer_open(x, "RETR", "/f", 1000), 0);
	ck_state(x, RUNNING);
	ck_assert_int_eq(xfer_pos(x), 1000);
	read_check(x, FSIZE - 1000);
	ck_assert_int_eq(xfer_read(x, &c, 1), 0);
	ck_assert_int_eq(xfer_finish(x), 0);
	ck_state(x, READY);
	ck_assert_int_eq(session_cmd(xfer_session(x), "NOOP", NULL), 200);
	xfer_release(x);
	ck_state(x, CLOSED);
	ck_assert_ptr_null(xfer_session(x));
	done(x);
}
END_TEST

START_TEST(park_and_unpark)
{
	struct xfer *x = reading(2, 60000, 100000);

	xfer_park(x);
	ck_state(x, PARKED);
	ck_assert_ptr_null(xfer_session(x));
	ck_assert_int_eq(xfer_unpark(x), 0);
	ck_state(x, RUNNING);
	read_check(x, 100000); /* the same transfer goes on */
	ck_assert_int_eq(atomic_load(&fake_files.retrs), 1);
	/* anything not running is given back instead */
	ck_assert_int_eq(xfer_abort(x), 0);
	ck_state(x, READY);
	xfer_park(x);
	ck_state(x, CLOSED);
	done(x);
}
END_TEST

START_TEST(stolen_then_reopened_where_it_was)
{
	struct xfer *x = reading(1, 60000, 300000);
	struct ftp_session *s;
	int64_t at;

	at = xfer_pos(x);
	xfer_park(x);
	/* the pool's only session: a metadata user takes it over, the
	 * transfer is aborted and the session is in step again */
	ck_assert_int_eq(pool_get(pool, POOL_META, &s), 0);
	ck_state(x, STOLEN);
	ck_assert(!session_xfer_active(s));
	ck_assert_int_eq(session_cmd(s, "NOOP", NULL), 200);
	pool_put(pool, s);
	ck_assert_int_eq(xfer_unpark(x), -ESTALE);
	ck_state(x, CLOSED);
	ck_assert_int_eq(xfer_reopen(x, at), 0);
	ck_state(x, RUNNING);
	read_check(x, FSIZE - at);
	ck_assert_int_eq(atomic_load(&fake_files.retrs), 2);
	ck_assert_int_eq(atomic_load(&fake_files.conns), 1);
	done(x);
}
END_TEST

START_TEST(reaper_reclaims_a_long_parked_transfer)
{
	struct xfer *x = reading(2, 100, 1000);

	xfer_park(x);
	usleep(800 * 1000);
	ck_assert_int_eq(xfer_unpark(x), -ESTALE);
	ck_state(x, CLOSED);
	done(x);
}
END_TEST

START_TEST(resume_after_the_server_drops)
{
	struct xfer *x =
		xfer_new(pool = setup(2, 60000), XFER_TAKE_TRANSFER, 0);
	static char buf[65536];
	ssize_t n;

	atomic_store(&fake_files.drop_at, 1000000);
	ck_assert_int_eq(xfer_open(x, "RETR", "/f", 0), 0);
	while ((n = xfer_read(x, buf, sizeof(buf))) > 0)
		;
	if (n == 0) /* the data ended cleanly: the final reply is lost */
		ck_assert_int_lt(xfer_finish(x), 0);
	ck_state(x, BROKEN);
	ck_assert_int_lt(xfer_pos(x), 1000000 + 65536); /* a chunk */
	/* REST at the byte where it broke, on a new session */
	ck_assert_int_eq(xfer_reopen(x, xfer_pos(x)), 0);
	ck_state(x, RUNNING);
	read_check(x, FSIZE - xfer_pos(x));
	ck_assert_int_eq(xfer_read(x, buf, 1), 0);
	ck_assert_int_eq(xfer_finish(x), 0);
	ck_assert_int_ge(atomic_load(&fake_files.conns), 2);
	done(x);
}
END_TEST

/* data (size bytes) filled with the pattern, its first n stored in "/up"
 * by x: READY after. */
static void stored(struct xfer *x, unsigned char *data, size_t size, size_t n)
{
	for (size_t i = 0; i < size; i++)
		data[i] = fake_pattern((long long)i);
	ck_assert_int_eq(xfer_open(x, "STOR", "/up", 0), 0);
	ck_assert_int_eq(xfer_write(x, data, n), 0);
	ck_assert_int_eq(xfer_pos(x), (int64_t)n);
	ck_assert_int_eq(xfer_finish(x), 0);
	ck_state(x, READY);
}

/* The server hangs up x's session (QUIT): the next command breaks it. */
static void hang_up(struct xfer *x)
{
	struct ftp_session *s = xfer_session(x);

	ck_assert_int_eq(session_cmd(s, "QUIT", NULL), 221);
	ck_assert_int_lt(session_cmd(s, "NOOP", NULL), 0);
	ck_assert(xfer_broken(x));
	ck_state(x, BROKEN);
}

START_TEST(upload_write_finish_and_resume)
{
	struct xfer *x = xfer_new(pool = setup(2, 60000), XFER_TAKE_BULK, 1000);
	static unsigned char data[300000], got[300000];
	int64_t have = -1;

	stored(x, data, sizeof(data), 100000);
	/* resumed: the server has it all, nothing to resend */
	ck_assert_int_eq(xfer_resume_upload(x, "/up", 50000, &have), 0);
	ck_assert_int_eq(have, 100000);
	ck_state(x, RUNNING);
	ck_assert_int_eq(xfer_write(x, data + have, 150000), 0);
	ck_assert_int_eq(xfer_finish(x), 0);
	/* the server has less than we can resend (from 260000 on) */
	ck_assert_int_eq(xfer_resume_upload(x, "/up", 260000, &have), -EIO);
	ck_assert_int_eq(have, 250000);
	ck_state(x, READY);
	/* and APPE of the rest, counted from the file's end */
	ck_assert_int_eq(xfer_open(x, "APPE", "/up", 250000), 0);
	ck_assert_int_eq(xfer_write(x, data + 250000, 50000), 0);
	ck_assert_int_eq(xfer_pos(x), 300000);
	ck_assert_int_eq(xfer_finish(x), 0);
	xfer_free(x);
	ck_assert_int_eq(fake_files_upload(got, sizeof(got)), sizeof(data));
	ck_assert(!memcmp(got, data, sizeof(data)));
	ck_assert_int_eq(atomic_load(&fake_files.conns), 1);
	teardown(pool);
}
END_TEST

START_TEST(meta_session_broken_by_a_command)
{
	struct xfer *x = xfer_new(pool = setup(2, 60000), XFER_TAKE_META, 1000);
	struct ftp_session *s;

	ck_assert(!xfer_broken(x)); /* none held */
	ck_assert_int_eq(xfer_take(x, XFER_TAKE_META, 1000), 0);
	ck_state(x, READY);
	s = xfer_session(x);
	ck_assert_int_eq(session_cmd(s, "NOOP", NULL), 200);
	ck_assert(!xfer_broken(x));
	ck_state(x, READY);
	xfer_note(x, "/up", 10); /* only ftpfs status sees it */
	hang_up(x);
	/* it can only be given back (closed); the next take dials again */
	xfer_release(x);
	ck_state(x, CLOSED);
	ck_assert(!xfer_broken(x));
	ck_assert_int_eq(xfer_take(x, XFER_TAKE_META, 1000), 0);
	ck_assert_int_eq(session_cmd(xfer_session(x), "NOOP", NULL), 200);
	ck_assert_int_eq(atomic_load(&fake_files.conns), 2);
	xfer_free(x);
	teardown(pool);
}
END_TEST

START_TEST(resume_upload_after_a_broken_session_under_its_new_name)
{
	struct xfer *x = xfer_new(pool = setup(2, 60000), XFER_TAKE_BULK, -1);
	static unsigned char data[200000], got[200000];
	int64_t have = -1;

	stored(x, data, sizeof(data), 120000);
	hang_up(x); /* the control connection goes (a server restart) */
	/* renamed meanwhile ("/up" answers SIZE for any "/up..." name):
	 * the broken session is given back, a new one asks the SIZE and
	 * the STOR goes on under the name given */
	ck_assert_int_eq(xfer_resume_upload(x, "/up.moved", 100000, &have), 0);
	ck_assert_int_eq(have, 120000);
	ck_state(x, RUNNING);
	ck_assert_int_eq(xfer_pos(x), 120000);
	ck_assert_int_eq(xfer_write(x, data + have, 80000), 0);
	ck_assert_int_eq(xfer_finish(x), 0);
	ck_assert_int_eq(atomic_load(&fake_files.conns), 2);
	xfer_free(x);
	ck_assert_int_eq(fake_files_upload(got, sizeof(got)), sizeof(data));
	ck_assert(!memcmp(got, data, sizeof(data)));
	teardown(pool);
}
END_TEST

START_TEST(free_while_parked_gives_the_session_back)
{
	struct xfer *x = reading(1, 60000, 5000);
	struct ftp_session *s;

	xfer_park(x);
	xfer_free(x);
	ck_assert_int_eq(pool_get_timed(pool, POOL_META, 1000, &s), 0);
	ck_assert(!session_xfer_active(s));
	ck_assert_int_eq(session_cmd(s, "NOOP", NULL), 200);
	pool_put(pool, s);
	teardown(pool);
}
END_TEST

START_TEST(state_names)
{
	ck_assert_str_eq(xfer_state_name(XFER_OPENING), "OPENING");
	ck_assert_str_eq(xfer_state_name(XFER_FINISHING), "FINISHING");
	ck_assert_str_eq(xfer_state_name((enum xfer_state)99), "?");
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("xfer");
	TCase *tc = tcase_create("fake-server");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, open_read_to_the_end);
	tcase_add_test(tc, park_and_unpark);
	tcase_add_test(tc, stolen_then_reopened_where_it_was);
	tcase_add_test(tc, reaper_reclaims_a_long_parked_transfer);
	tcase_add_test(tc, resume_after_the_server_drops);
	tcase_add_test(tc, upload_write_finish_and_resume);
	tcase_add_test(tc, meta_session_broken_by_a_command);
	tcase_add_test(tc,
		       resume_upload_after_a_broken_session_under_its_new_name);
	tcase_add_test(tc, free_while_parked_gives_the_session_back);
	tcase_add_test(tc, state_names);
	suite_add_tcase(s, tc);
	return s;
}
