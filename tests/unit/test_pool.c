/* Unit tests for the session pool against a small fake FTP server.
 *
 * The server accepts any number of connections (one thread each), answers
 * 421 beyond `cap` live connections (or, with `cap_at_login`, 530 to their
 * PASS, as ProFTPD's MaxClientsPerHost does), and speaks just enough FTP: login,
 * FEAT, TYPE, PWD, NOOP, EPSV + RETR (an endless stream until the client
 * closes), ABOR, QUIT; BREAK answers twice, BYE closes after its reply.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "pool.h"
#include "fake_ftp.h"

static int lfd, port;
static atomic_int cap, live, accepted, refused, noops;
static atomic_bool cap_at_login;
static pthread_t acceptor;
static char portstr[16];
static struct session_cfg scfg;

struct flood {
	int lfd;
};

static void *flood_main(void *arg)
{
	struct flood *fl = arg;
	char buf[4096];
	int d = accept(fl->lfd, NULL, NULL);

	memset(buf, 'z', sizeof(buf));
	while (d >= 0 && write(d, buf, sizeof(buf)) > 0)
		;
	if (d >= 0)
		close(d);
	close(fl->lfd);
	free(fl);
	return NULL;
}

#define FEAT_REPLY "211-x\r\n SIZE\r\n REST STREAM\r\n211 End"

static void *conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg, dl = -1;
	char line[512];

	bool over = atomic_fetch_add(&live, 1) >= atomic_load(&cap);

	if (over && !atomic_load(&cap_at_login)) {
		atomic_fetch_add(&refused, 1);
		fake_say(fd, "421 Too many connections\r\n");
		goto out;
	}
	fake_say(fd, "220 fake pool server\r\n");
	while (fake_read_line(fd, line, sizeof(line)) == 0) {
		if (over && !strncmp(line, "PASS", 4)) {
			atomic_fetch_add(&refused, 1);
			fake_say(fd,
				 "530 Sorry, the maximum number of clients "
				 "from your host are already connected.\r\n");
			continue;
		}
		if (fake_login(fd, line, FEAT_REPLY, &dl))
			continue;
		if (!strncmp(line, "RETR", 4)) {
			struct flood *fl = malloc(sizeof(*fl));
			pthread_t t;

			fl->lfd = dl;
			dl = -1;
			fake_say(fd, "150 here it comes\r\n");
			pthread_create(&t, NULL, flood_main, fl);
			pthread_detach(t);
		} else if (!strncmp(line, "ABOR", 4)) {
			fake_say(fd, "426 aborted\r\n226 ABOR ok\r\n");
		} else if (!strncmp(line, "BYE", 3)) {
			fake_say(fd, "200 closing when idle\r\n");
			break; /* as a server that goes away */
		} else if (!strncmp(line, "BREAK", 5)) {
			fake_say(fd,
				 "200 ok\r\n200 and a reply to nothing\r\n");
		} else if (!strncmp(line, "NOOP", 4)) {
			atomic_fetch_add(&noops, 1);
			fake_say(fd, "200 ok\r\n");
		} else if (!strncmp(line, "QUIT", 4)) {
			fake_say(fd, "221 bye\r\n");
			break;
		} else {
			fake_say(fd, "200 ok\r\n");
		}
	}
out:
	close(fd);
	atomic_fetch_sub(&live, 1);
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
		atomic_fetch_add(&accepted, 1);
		pthread_create(&t, NULL, conn_main, (void *)(intptr_t)fd);
		pthread_detach(t);
	}
}

static void server_start(int max_conns)
{
	atomic_store(&cap, max_conns);
	atomic_store(&noops, 0);
	atomic_store(&live, 0);
	atomic_store(&accepted, 0);
	atomic_store(&refused, 0);
	lfd = fake_listen(&port);
	snprintf(portstr, sizeof(portstr), "%d", port);
	memset(&scfg, 0, sizeof(scfg));
	scfg.host = "127.0.0.1";
	scfg.port = portstr;
	scfg.path = "";
	scfg.timeout_ms = 3000;
	pthread_create(&acceptor, NULL, acceptor_main, NULL);
}

static void server_stop(void)
{
	shutdown(lfd, SHUT_RDWR);
	close(lfd);
	pthread_join(acceptor, NULL);
}

static void *reopen_later(void *arg)
{
	(void)arg;
	usleep(600000);
	atomic_store(&cap, 100);
	return NULL;
}

static void *reopen_after_2s(void *arg)
{
	(void)arg;
	usleep(2000000);
	atomic_store(&cap, 100);
	return NULL;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static struct pool *new_pool_cfg(struct pool_cfg pc)
{
	struct pool *p;
	char err[256];

	ck_assert_int_eq(pool_new(&scfg, &pc, &p, err, sizeof(err)), 0);
	ck_assert_int_eq(pool_start(p), 0);
	return p;
}

static struct pool *new_pool(unsigned max)
{
	struct pool_cfg pc = { .max_sessions = max, .park_ms = 60000 };

	return new_pool_cfg(pc);
}

START_TEST(lazy_and_reused)
{
	struct ftp_session *a, *b;
	struct pool *p;

	server_start(100);
	p = new_pool(4);
	ck_assert_int_eq(atomic_load(&accepted), 1); /* the first, at once */
	ck_assert_int_eq(pool_get(p, POOL_META, &a), 0);
	pool_put(p, a);
	ck_assert_int_eq(pool_get(p, POOL_META, &b), 0);
	ck_assert_ptr_eq(a, b); /* reused, not reopened */
	ck_assert_int_eq(atomic_load(&accepted), 1);
	pool_put(p, b);
	pool_free(p);
	server_stop();
}
END_TEST

START_TEST(metadata_never_waits_for_bulk)
{
	struct ftp_session *b[3], *m, *x;
	struct pool *p;
	int i;

	server_start(100);
	p = new_pool(3);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pool_get(p, POOL_BULK, &b[i]), 0);
	/* max 3: bulk users hold at most 2 */
	ck_assert_int_eq(pool_get_timed(p, POOL_BULK, 200, &b[2]), -EAGAIN);
	ck_assert_int_eq(pool_get_timed(p, POOL_META, 2000, &m), 0);
	ck_assert_int_eq(pool_get_timed(p, POOL_META, 200, &x), -EAGAIN);
	pool_put(p, m);
	for (i = 0; i < 2; i++)
		pool_put(p, b[i]);
	pool_free(p);
	server_stop();
}
END_TEST

/* The server refuses a third session, with 421 or (at_login) with 530
 * after the password that the first two logged in with. */
static void shrinks_when_refused(bool at_login)
{
	struct ftp_session *s[4];
	struct pool *p;

	server_start(2);
	atomic_store(&cap_at_login, at_login);
	p = new_pool(4);
	ck_assert_int_eq(pool_get(p, POOL_META, &s[0]), 0);
	ck_assert_int_eq(pool_get(p, POOL_META, &s[1]), 0);
	/* a third connection gets 421: the pool caps itself at 2 and
	 * waits instead of failing or redialling in a loop */
	ck_assert_int_eq(pool_get_timed(p, POOL_META, 500, &s[2]), -EAGAIN);
	ck_assert_int_eq(atomic_load(&refused), 1);
	ck_assert_int_eq(pool_get_timed(p, POOL_META, 300, &s[2]), -EAGAIN);
	ck_assert_int_eq(atomic_load(&refused), 1); /* no redial */
	pool_put(p, s[1]);
	ck_assert_int_eq(pool_get_timed(p, POOL_META, 1000, &s[2]), 0);
	ck_assert_ptr_eq(s[2], s[1]);
	pool_put(p, s[2]);
	pool_put(p, s[0]);
	pool_free(p);
	server_stop();
	atomic_store(&cap_at_login, false);
}

START_TEST(shrinks_on_421)
{
	shrinks_when_refused(false);
}
END_TEST

START_TEST(shrinks_on_530_beyond_the_live_sessions)
{
	shrinks_when_refused(true);
}
END_TEST

/* An owner that parks its session between requests and takes it back at
 * once (a reader streaming a file) keeps it for its tenure (TENURE_MS,
 * 100 ms) against another bulk taker, which then gets it at the next
 * park; a metadata taker is not held to it. */
struct streamer {
	struct pool *p;
	struct ftp_session *s;
	atomic_bool lost;
	struct timespec t0; /* its tenure began */
};

static void *streamer_main(void *arg)
{
	struct streamer *st = arg;

	for (;;) {
		pool_park(st->p, st->s, st);
		usleep(200);
		if (!pool_unpark(st->p, st->s, st))
			break;
		usleep(200);
	}
	atomic_store(&st->lost, true);
	return NULL;
}

static double secs_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) +
	       (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void streamer_vs(enum pool_kind kind)
{
	struct streamer st = { 0 };
	struct ftp_session *t;
	pthread_t th;
	double waited;

	server_start(100);
	st.p = new_pool(2); /* bulk users hold at most one */
	ck_assert_int_eq(pool_get(st.p, POOL_BULK, &st.s), 0);
	clock_gettime(CLOCK_MONOTONIC, &st.t0);
	atomic_init(&st.lost, false);
	pthread_create(&th, NULL, streamer_main, &st);
	if (kind == POOL_META) {
		struct ftp_session *u;

		/* the other session is for metadata; with that one busy too,
		 * a metadata taker takes over the parked transfer */
		ck_assert_int_eq(pool_get(st.p, POOL_META, &u), 0);
		ck_assert_ptr_ne(u, st.s);
		ck_assert_int_eq(pool_get_timed(st.p, POOL_META, 5000, &t), 0);
		ck_assert_ptr_eq(t, st.s);
		pool_put(st.p, u);
	} else {
		ck_assert_int_eq(pool_get_timed(st.p, POOL_BULK, 5000, &t), 0);
		ck_assert_ptr_eq(t, st.s);
		waited = secs_since(&st.t0);
		/* not before the tenure: never earlier, however slow we are */
		ck_assert_msg(waited >= 0.09, "took it over after %.3f s",
			      waited);
	}
	pthread_join(th, NULL);
	ck_assert(atomic_load(&st.lost));
	pool_put(st.p, t);
	pool_free(st.p);
	server_stop();
}

START_TEST(streaming_owner_keeps_its_tenure)
{
	streamer_vs(POOL_BULK);
}
END_TEST

START_TEST(metadata_takes_over_within_a_tenure)
{
	streamer_vs(POOL_META);
}
END_TEST

START_TEST(parked_transfer_is_taken_back)
{
	static int owner;
	struct ftp_session *s, *t;
	struct pool *p;
	char buf[100];

	server_start(100);
	p = new_pool(1);
	ck_assert_int_eq(pool_get(p, POOL_BULK, &s), 0);
	ck_assert_int_eq(session_xfer_start(s, "RETR", "/f", 0), 0);
	ck_assert_int_gt(session_xfer_read(s, buf, sizeof(buf)), 0);
	pool_park(p, s, &owner);
	/* the owner can take it back while nobody else wants it */
	ck_assert(pool_unpark(p, s, &owner));
	pool_park(p, s, &owner);
	/* another user takes it: the transfer is aborted, the session
	 * is in sync again, and the owner has lost it */
	ck_assert_int_eq(pool_get(p, POOL_META, &t), 0);
	ck_assert_ptr_eq(t, s);
	ck_assert(!session_xfer_active(t));
	ck_assert_int_eq(session_cmd(t, "NOOP", NULL), 200);
	ck_assert(!pool_unpark(p, s, &owner));
	pool_put(p, t);
	pool_free(p);
	server_stop();
}
END_TEST

START_TEST(broken_session_replaced)
{
	struct ftp_session *s, *t;
	struct pool *p;

	server_start(100);
	p = new_pool(1);
	ck_assert_int_eq(pool_get(p, POOL_META, &s), 0);
	ck_assert_int_eq(session_cmd(s, "BREAK", NULL), 200);
	usleep(100000);
	ck_assert_int_eq(session_cmd(s, "NOOP", NULL), -EPROTO);
	ck_assert(session_broken(s));
	pool_put(p, s); /* closes it */
	ck_assert_int_eq(pool_get(p, POOL_META, &t), 0);
	ck_assert(!session_broken(t));
	ck_assert_int_eq(session_cmd(t, "NOOP", NULL), 200);
	pool_put(p, t);
	ck_assert_int_eq(atomic_load(&accepted), 2);
	pool_free(p);
	server_stop();
}
END_TEST

START_TEST(keepalive_then_idle_close)
{
	struct pool_cfg pc = { .max_sessions = 2,
			       .park_ms = 60000,
			       .keepalive_s = 1,
			       .idle_close_s = 3 };
	struct pool *p;

	server_start(100);
	p = new_pool_cfg(pc);
	usleep(1800000);
	ck_assert_int_ge(atomic_load(&noops), 1); /* kept alive */
	ck_assert_int_eq(atomic_load(&live), 1);
	usleep(2500000);
	ck_assert_int_eq(atomic_load(&live), 0); /* closed when unused */
	pool_free(p);
	server_stop();
}
END_TEST

START_TEST(waits_for_an_absent_server)
{
	struct pool_cfg pc = { .max_sessions = 1,
			       .park_ms = 60000,
			       .reconnect_s = 5 };
	struct ftp_session *s;
	struct pool *p;

	server_start(100);
	p = new_pool_cfg(pc);
	ck_assert_int_eq(pool_get(p, POOL_META, &s), 0);
	ck_assert_int_eq(session_cmd(s, "BREAK", NULL), 200);
	usleep(100000);
	ck_assert_int_lt(session_cmd(s, "NOOP", NULL), 0);
	pool_put(p, s);	       /* broken: closed */
	atomic_store(&cap, 0); /* "too many connections" for everyone */
	/* let it back in 600 ms from now, from another thread */
	{
		pthread_t t;

		pthread_create(&t, NULL, reopen_later, NULL);
		ck_assert_int_eq(pool_get(p, POOL_META, &s), 0);
		pthread_join(t, NULL);
	}
	ck_assert_int_ge(atomic_load(&refused), 1);
	ck_assert_int_eq(session_cmd(s, "NOOP", NULL), 200);
	pool_put(p, s);
	pool_free(p);
	server_stop();
}
END_TEST

START_TEST(gives_up_after_reconnect_timeout)
{
	struct pool_cfg pc = { .max_sessions = 1,
			       .park_ms = 60000,
			       .reconnect_s = 1 };
	struct ftp_session *s;
	struct pool *p;

	server_start(100);
	p = new_pool_cfg(pc);
	ck_assert_int_eq(pool_get(p, POOL_META, &s), 0);
	ck_assert_int_eq(session_cmd(s, "BREAK", NULL), 200);
	usleep(100000);
	ck_assert_int_lt(session_cmd(s, "NOOP", NULL), 0);
	pool_put(p, s);
	atomic_store(&cap, 0);
	ck_assert_int_lt(pool_get(p, POOL_META, &s), 0);
	ck_assert_int_ge(atomic_load(&refused), 2); /* it did retry */
	pool_free(p);
	server_stop();
}
END_TEST

/* The pool's only session broken and closed, and the server answering
 * 421 to everyone from now on: as good as gone. */
static void server_gone(struct pool *p)
{
	struct ftp_session *s;

	ck_assert_int_eq(pool_get(p, POOL_META, &s), 0);
	ck_assert_int_eq(session_cmd(s, "BREAK", NULL), 200);
	usleep(100000);
	ck_assert_int_lt(session_cmd(s, "NOOP", NULL), 0);
	pool_put(p, s);
	atomic_store(&cap, 0);
}

START_TEST(down_fails_at_once_until_probe_sees_it_back)
{
	struct pool_cfg pc = { .max_sessions = 2,
			       .park_ms = 60000,
			       .reconnect_s = 3 };
	struct ftp_session *s;
	struct pool *p;
	double t0;
	int i, r;

	server_start(100);
	p = new_pool_cfg(pc);
	server_gone(p);
	ck_assert(!pool_down(p));
	ck_assert_int_eq(pool_get(p, POOL_META, &s), -EIO); /* waited */
	ck_assert_int_ge(atomic_load(&refused), 2);
	ck_assert(pool_down(p));
	/* down: no second wait, for any kind of taker */
	t0 = now_s();
	ck_assert_int_eq(pool_get(p, POOL_META, &s), -EIO);
	ck_assert_double_lt(now_s() - t0, 1.0);
	ck_assert_int_eq(pool_get_transfer(p, &s), -EIO);
	ck_assert_int_eq(pool_get_timed(p, POOL_BULK, 500, &s), -EIO);
	ck_assert_int_eq(pool_get_spare(p, &s), -EAGAIN);
	ck_assert_double_lt(now_s() - t0, 1.0);
	/* back: the probe notices, no request has to get through first */
	atomic_store(&cap, 100);
	for (i = 0; i < 150; i++) {
		r = pool_get(p, POOL_META, &s);
		if (r == 0)
			break;
		ck_assert_int_eq(r, -EIO);
		usleep(100000);
	}
	ck_assert_int_eq(r, 0);
	ck_assert(!pool_down(p));
	ck_assert_int_eq(session_cmd(s, "NOOP", NULL), 200);
	pool_put(p, s);
	pool_free(p);
	server_stop();
}
END_TEST

struct taker {
	struct pool *p;
	int r;
};

static void *take_meta(void *arg)
{
	struct taker *t = arg;
	struct ftp_session *s;

	t->r = pool_get(t->p, POOL_META, &s);
	if (t->r == 0)
		pool_put(t->p, s);
	return NULL;
}

START_TEST(late_comer_waits_only_for_the_rest_of_the_outage)
{
	struct pool_cfg pc = { .max_sessions = 2,
			       .park_ms = 60000,
			       .reconnect_s = 6 };
	struct taker first;
	struct ftp_session *s;
	struct pool *p;
	pthread_t t;
	double t0;

	server_start(100);
	p = new_pool_cfg(pc);
	server_gone(p);
	first.p = p;
	pthread_create(&t, NULL, take_meta, &first);
	usleep(4500000);
	/* the outage began 4.5 s ago: 1.5 s of the wait are left, not 6 */
	t0 = now_s();
	ck_assert_int_eq(pool_get(p, POOL_META, &s), -EIO);
	ck_assert_double_lt(now_s() - t0, 4.0);
	pthread_join(t, NULL);
	ck_assert_int_eq(first.r, -EIO);
	pool_free(p);
	server_stop();
}
END_TEST

START_TEST(hard_waits_until_back)
{
	struct pool_cfg pc = { .max_sessions = 2,
			       .park_ms = 60000,
			       .reconnect_s = 1,
			       .hard = true };
	struct ftp_session *s;
	struct pool *p;
	pthread_t t;

	server_start(100);
	p = new_pool_cfg(pc);
	server_gone(p);
	pthread_create(&t, NULL, reopen_after_2s, NULL);
	/* past reconnect_s and down meanwhile: waits, never -EIO */
	ck_assert_int_eq(pool_get(p, POOL_META, &s), 0);
	ck_assert_int_eq(atomic_load(&cap), 100);
	ck_assert_int_eq(session_cmd(s, "NOOP", NULL), 200);
	pool_put(p, s);
	pthread_join(t, NULL);
	pool_free(p);
	server_stop();
}
END_TEST

START_TEST(hard_timed_gives_up_while_down)
{
	struct pool_cfg pc = { .max_sessions = 1,
			       .park_ms = 60000,
			       .reconnect_s = 0,
			       .hard = true };
	struct ftp_session *s;
	struct pool *p;

	server_start(100);
	p = new_pool_cfg(pc);
	server_gone(p);
	ck_assert_int_eq(pool_get_timed(p, POOL_META, 300, &s), -EAGAIN);
	ck_assert_int_eq(pool_get_timed(p, POOL_META, 300, &s), -EAGAIN);
	ck_assert(!pool_down(p)); /* down, but requests wait: not for fs */
	pool_free(p);		  /* the probe stops */
	server_stop();
}
END_TEST

START_TEST(idle_session_closed_by_server_is_replaced)
{
	struct ftp_session *s, *t;
	struct pool *p;

	server_start(100);
	p = new_pool(1);
	ck_assert_int_eq(pool_get(p, POOL_META, &s), 0);
	ck_assert_int_eq(session_cmd(s, "BYE", NULL), 200);
	pool_put(p, s); /* looks healthy; the server closes it meanwhile */
	usleep(100000);
	ck_assert_int_eq(pool_get(p, POOL_META, &t), 0);
	ck_assert_int_eq(session_cmd(t, "NOOP", NULL), 200);
	ck_assert_int_eq(atomic_load(&accepted), 2);
	pool_put(p, t);
	pool_free(p);
	server_stop();
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("fake-server");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, lazy_and_reused);
	tcase_add_test(tc, metadata_never_waits_for_bulk);
	tcase_add_test(tc, shrinks_on_421);
	tcase_add_test(tc, shrinks_on_530_beyond_the_live_sessions);
	tcase_add_test(tc, streaming_owner_keeps_its_tenure);
	tcase_add_test(tc, metadata_takes_over_within_a_tenure);
	tcase_add_test(tc, parked_transfer_is_taken_back);
	tcase_add_test(tc, broken_session_replaced);
	tcase_add_test(tc, keepalive_then_idle_close);
	tcase_add_test(tc, waits_for_an_absent_server);
	tcase_add_test(tc, gives_up_after_reconnect_timeout);
	tcase_add_test(tc, down_fails_at_once_until_probe_sees_it_back);
	tcase_add_test(tc, late_comer_waits_only_for_the_rest_of_the_outage);
	tcase_add_test(tc, hard_waits_until_back);
	tcase_add_test(tc, hard_timed_gives_up_while_down);
	tcase_add_test(tc, idle_session_closed_by_server_is_replaced);
	suite_add_tcase(s, tc);
	return s;
}
