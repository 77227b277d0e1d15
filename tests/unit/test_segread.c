/* Unit tests for segread against a small fake FTP server that serves one
 * file of known bytes (byte i = pattern(i)) with EPSV, REST and RETR, each
 * data connection in its own thread, stopping when the client closes or
 * aborts. Knobs: fail_at (RETR with REST at or past it is refused with 550),
 * counts of connections and RETRs.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pool.h"
#include "segread.h"
#include "fake_ftp.h"

#define FSIZE (5 * SEGREAD_SEG + 12345)

static int lfd;
static atomic_int conns, retrs;
static atomic_llong fail_at;
static atomic_int slow_abor_ms; /* ABOR of the transfer from 0 answers late */
static pthread_t acceptor;
static char portstr[16];
static struct session_cfg scfg;

static unsigned char pattern(long long i)
{
	return (unsigned char)(i * 7 + i / 4093);
}

struct xfer {
	int lfd, ctrl;
	long long from;
};

/* Send the file from `from` on; 226 when all was sent. */
static void *xfer_main(void *arg)
{
	struct xfer *x = arg;
	unsigned char buf[65536];
	long long at = x->from;
	int fd = accept(x->lfd, NULL, NULL);
	bool all = true;

	close(x->lfd);
	while (fd >= 0 && at < FSIZE) {
		size_t n = FSIZE - at < (long long)sizeof(buf)
				   ? (size_t)(FSIZE - at) : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(at + (long long)i);
		if (write(fd, buf, n) != (ssize_t)n) {
			all = false;
			break;
		}
		at += (long long)n;
	}
	if (fd >= 0)
		close(fd);
	if (all)
		fake_say(x->ctrl, "226 done\r\n");
	free(x);
	return NULL;
}

static void *conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg, dport = 0, dl = -1;
	long long rest = 0, from = -1;
	char line[512], buf[128];
	pthread_t t = 0;

	atomic_fetch_add(&conns, 1);
	fake_say(fd, "220 fake segread server\r\n");
	while (fake_read_line(fd, line, sizeof(line)) == 0) {
		if (!strncmp(line, "USER", 4)) {
			fake_say(fd, "331 pw\r\n");
		} else if (!strncmp(line, "PASS", 4)) {
			fake_say(fd, "230 in\r\n");
		} else if (!strncmp(line, "FEAT", 4)) {
			fake_say(fd, "211-x\r\n SIZE\r\n REST STREAM\r\n211 End\r\n");
		} else if (!strncmp(line, "PWD", 3)) {
			fake_say(fd, "257 \"/\"\r\n");
		} else if (!strncmp(line, "EPSV", 4)) {
			dl = fake_listen(&dport);
			snprintf(buf, sizeof(buf),
				 "229 Entering Extended Passive Mode (|||%d|)\r\n",
				 dport);
			fake_say(fd, buf);
		} else if (!strncmp(line, "REST ", 5)) {
			rest = atoll(line + 5);
			fake_say(fd, "350 ok\r\n");
		} else if (!strncmp(line, "RETR", 4)) {
			struct xfer *x;

			if (t)
				pthread_join(t, NULL);
			t = 0;
			if (rest >= atomic_load(&fail_at)) {
				close(dl);
				dl = -1;
				fake_say(fd, "550 not today\r\n");
				continue;
			}
			atomic_fetch_add(&retrs, 1);
			x = malloc(sizeof(*x));
			x->lfd = dl;
			x->ctrl = fd;
			x->from = from = rest;
			dl = -1;
			rest = 0;
			fake_say(fd, "150 here it comes\r\n");
			pthread_create(&t, NULL, xfer_main, x);
		} else if (!strncmp(line, "ABOR", 4)) {
			if (t)
				pthread_join(t, NULL); /* client closed data */
			t = 0;
			if (from == 0 && atomic_load(&slow_abor_ms))
				usleep(1000 * (useconds_t)atomic_load(&slow_abor_ms));
			fake_say(fd, "426 aborted\r\n226 ABOR ok\r\n");
		} else if (!strncmp(line, "QUIT", 4)) {
			fake_say(fd, "221 bye\r\n");
			break;
		} else {
			fake_say(fd, "200 ok\r\n");
		}
	}
	if (t)
		pthread_join(t, NULL);
	close(fd);
	return NULL;
}

static void *acceptor_main(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		pthread_t t;

		if (fd < 0)
			return NULL;
		pthread_create(&t, NULL, conn_main, (void *)(intptr_t)fd);
		pthread_detach(t);
	}
}

static struct pool *setup(void)
{
	struct pool_cfg pc = { .max_sessions = 4, .park_ms = 60000 };
	struct pool *p;
	char err[256];
	int port;

	atomic_store(&conns, 0);
	atomic_store(&retrs, 0);
	atomic_store(&fail_at, 1LL << 62);
	atomic_store(&slow_abor_ms, 0);
	lfd = fake_listen(&port);
	snprintf(portstr, sizeof(portstr), "%d", port);
	memset(&scfg, 0, sizeof(scfg));
	scfg.host = "127.0.0.1";
	scfg.port = portstr;
	scfg.path = "";
	scfg.timeout_ms = 5000;
	pthread_create(&acceptor, NULL, acceptor_main, NULL);
	ck_assert_int_eq(pool_new(&scfg, &pc, &p, err, sizeof(err)), 0);
	ck_assert_int_eq(pool_start(p), 0);
	return p;
}

static void teardown(struct pool *p)
{
	pool_free(p);
	shutdown(lfd, SHUT_RDWR);
	close(lfd);
	pthread_join(acceptor, NULL);
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
			if ((unsigned char)buf[i] != pattern(at + i))
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
	ck_assert_int_ge(atomic_load(&retrs), 6);
	ck_assert_int_ge(atomic_load(&conns), 2);
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

	atomic_store(&slow_abor_ms, abor_ms);
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

	atomic_store(&fail_at, 3 * SEGREAD_SEG);
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

static Suite *suite(void)
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

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	signal(SIGPIPE, SIG_IGN); /* the fake server writes to closed sockets */
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
