/* Unit tests for the prefetch queue and workers, for pool_get_spare (with a
 * small fake FTP server: login and 200 to anything else), and for the
 * freshness rule of unused (prefetched) listings in the cache.
 *
 * Jobs block on a gate the test opens, so the queue's state is known when
 * the test looks at it.
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
#include "cache.h"
#include "pool.h"
#include "prefetch.h"
#include "fake_ftp.h"

/* ---- a job that waits for the gate and records what it ran ---------- */

static pthread_mutex_t glock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gcond = PTHREAD_COND_INITIALIZER;
static bool gate_open;
static char ran[32][64]; /* protected by glock */
static int nran;	 /* protected by glock */
static int with_session; /* jobs that got a session; protected by glock */

static void gate_reset(bool open)
{
	pthread_mutex_lock(&glock);
	gate_open = open;
	nran = 0;
	with_session = 0;
	pthread_mutex_unlock(&glock);
}

static void gate_set(bool open)
{
	pthread_mutex_lock(&glock);
	gate_open = open;
	pthread_cond_broadcast(&gcond);
	pthread_mutex_unlock(&glock);
}

static int job(void *arg, struct ftp_session *s, const char *path)
{
	(void)arg;
	pthread_mutex_lock(&glock);
	while (!gate_open)
		pthread_cond_wait(&gcond, &glock);
	if (nran < 32)
		snprintf(ran[nran++], sizeof(ran[0]), "%s", path);
	if (s)
		with_session++;
	pthread_mutex_unlock(&glock);
	return strstr(path, "fail") ? -EIO : 0;
}

static int ran_count(void)
{
	int n;

	pthread_mutex_lock(&glock);
	n = nran;
	pthread_mutex_unlock(&glock);
	return n;
}

static bool has_run(const char *path)
{
	bool r = false;
	int i;

	pthread_mutex_lock(&glock);
	for (i = 0; i < nran; i++)
		r |= !strcmp(ran[i], path);
	pthread_mutex_unlock(&glock);
	return r;
}

/* Wait up to 5 s until cond(pf) holds. */
static bool wait_for(struct prefetch *pf,
		     bool (*cond)(const struct prefetch_stats *st, int arg),
		     int arg)
{
	struct prefetch_stats st;
	int i;

	for (i = 0; i < 500; i++) {
		prefetch_stats(pf, &st);
		if (cond(&st, arg))
			return true;
		usleep(10000);
	}
	return false;
}

static bool running_is(const struct prefetch_stats *st, int n)
{
	return st->running == (unsigned)n;
}

static bool finished_is(const struct prefetch_stats *st, int n)
{
	return st->done + st->failed + st->dropped_busy == (unsigned long)n &&
	       st->running == 0 && st->pending == 0;
}

static struct prefetch *new_pf(unsigned workers, size_t qmax, struct pool *p)
{
	struct prefetch_cfg cfg = { .workers = workers, .queue_max = qmax };
	struct prefetch *pf = prefetch_new(&cfg, p, job, NULL);

	ck_assert_ptr_nonnull(pf);
	return pf;
}

START_TEST(runs_jobs_in_order)
{
	struct prefetch *pf;
	struct prefetch_stats st;

	gate_reset(true);
	pf = new_pf(1, 8, NULL);
	ck_assert_int_eq(prefetch_add(pf, "/a", false), 0);
	ck_assert_int_eq(prefetch_add(pf, "/fail", false), 0);
	ck_assert(wait_for(pf, finished_is, 2));
	prefetch_stats(pf, &st);
	ck_assert_uint_eq(st.done, 1);
	ck_assert_uint_eq(st.failed, 1); /* counted, not reported */
	ck_assert_uint_eq(st.threads, 1);
	ck_assert_str_eq(ran[0], "/a");
	prefetch_free(pf);
}
END_TEST

START_TEST(queue_is_bounded)
{
	struct prefetch *pf;
	struct prefetch_stats st;

	gate_reset(false);
	pf = new_pf(1, 3, NULL);
	ck_assert_int_eq(prefetch_add(pf, "/run", false), 0);
	ck_assert(wait_for(pf, running_is, 1)); /* the worker holds it */
	ck_assert_int_eq(prefetch_add(pf, "/q1", false), 0);
	ck_assert_int_eq(prefetch_add(pf, "/q2", false), 0);
	ck_assert_int_eq(prefetch_add(pf, "/q3", false), 0);
	ck_assert_int_eq(prefetch_add(pf, "/q4", false), -ENOSPC);
	/* at the front, the last job makes room: /q3 goes */
	ck_assert_int_eq(prefetch_add(pf, "/f1", true), 0);
	prefetch_stats(pf, &st);
	ck_assert_uint_eq(st.pending, 3);
	ck_assert_uint_eq(st.dropped_full, 2);
	ck_assert_uint_eq(st.threads, 1); /* never more than cfg.workers */
	gate_set(true);
	ck_assert(wait_for(pf, finished_is, 4));
	ck_assert_int_eq(ran_count(), 4);
	ck_assert_str_eq(ran[0], "/run");
	ck_assert_str_eq(ran[1], "/f1");
	ck_assert_str_eq(ran[2], "/q1");
	ck_assert_str_eq(ran[3], "/q2");
	ck_assert(!has_run("/q3") && !has_run("/q4"));
	prefetch_free(pf);
}
END_TEST

START_TEST(no_duplicates)
{
	struct prefetch *pf;

	gate_reset(false);
	pf = new_pf(1, 8, NULL);
	ck_assert_int_eq(prefetch_add(pf, "/x", false), 0);
	ck_assert(wait_for(pf, running_is, 1));
	ck_assert_int_eq(prefetch_add(pf, "/x", false), -EEXIST); /* running */
	ck_assert_int_eq(prefetch_add(pf, "/y", false), 0);
	ck_assert_int_eq(prefetch_add(pf, "/y", true), -EEXIST); /* queued */
	gate_set(true);
	ck_assert(wait_for(pf, finished_is, 2));
	ck_assert_int_eq(ran_count(), 2);
	/* done: may be queued again */
	ck_assert_int_eq(prefetch_add(pf, "/x", false), 0);
	ck_assert(wait_for(pf, finished_is, 3));
	prefetch_free(pf);
}
END_TEST

static void *open_gate_later(void *arg)
{
	(void)arg;
	usleep(300000);
	gate_set(true);
	return NULL;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

START_TEST(claim_cancels_or_waits)
{
	struct prefetch *pf;
	struct prefetch_stats st;
	pthread_t t;
	double t0;

	gate_reset(false);
	pf = new_pf(1, 8, NULL);
	ck_assert_int_eq(prefetch_add(pf, "/run", false), 0);
	ck_assert(wait_for(pf, running_is, 1));
	ck_assert_int_eq(prefetch_add(pf, "/queued", false), 0);
	/* queued: taken back at once, never run */
	ck_assert(!prefetch_claim(pf, "/queued"));
	ck_assert(!prefetch_claim(pf, "/other"));
	/* running: the claimer waits for it to finish */
	pthread_create(&t, NULL, open_gate_later, NULL);
	t0 = now_s();
	ck_assert(prefetch_claim(pf, "/run"));
	ck_assert_double_ge(now_s() - t0, 0.25);
	ck_assert(has_run("/run"));
	pthread_join(t, NULL);
	ck_assert(wait_for(pf, finished_is, 1));
	prefetch_stats(pf, &st);
	ck_assert_uint_eq(st.cancelled, 1);
	ck_assert_uint_eq(st.waited, 1);
	ck_assert(!has_run("/queued"));
	prefetch_free(pf);
}
END_TEST

START_TEST(free_joins_and_drops_the_queue)
{
	struct prefetch *pf;
	pthread_t t;
	int i;
	char path[16];

	gate_reset(false);
	pf = new_pf(3, 64, NULL);
	for (i = 0; i < 10; i++) {
		snprintf(path, sizeof(path), "/d%d", i);
		ck_assert_int_eq(prefetch_add(pf, path, false), 0);
	}
	ck_assert(wait_for(pf, running_is, 3));
	pthread_create(&t, NULL, open_gate_later, NULL);
	prefetch_free(pf); /* returns once the three running jobs end */
	ck_assert_int_eq(ran_count(), 3);
	pthread_join(t, NULL);
	usleep(50000);
	ck_assert_int_eq(ran_count(), 3); /* nothing ran after free */
}
END_TEST

/* ---- pool_get_spare against a fake server --------------------------- */

static int lfd;
static pthread_t acceptor;
static char portstr[16];
static struct session_cfg scfg;

static void *conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char line[512];

	fake_say(fd, "220 fake\r\n");
	while (fake_read_line(fd, line, sizeof(line)) == 0) {
		if (fake_login(fd, line, NULL, NULL))
			continue;
		if (!strncmp(line, "QUIT", 4)) {
			fake_say(fd, "221 bye\r\n");
			break;
		} else
			fake_say(fd, "200 ok\r\n");
	}
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

static struct pool *server_and_pool(unsigned max)
{
	struct pool_cfg pc = { .max_sessions = max, .park_ms = 60000 };
	struct pool *p;
	char err[256];
	int port;

	lfd = fake_listen(&port);
	ck_assert_int_ge(lfd, 0);
	snprintf(portstr, sizeof(portstr), "%d", port);
	memset(&scfg, 0, sizeof(scfg));
	scfg.host = "127.0.0.1";
	scfg.port = portstr;
	scfg.path = "";
	scfg.timeout_ms = 3000;
	pthread_create(&acceptor, NULL, acceptor_main, NULL);
	ck_assert_int_eq(pool_new(&scfg, &pc, &p, err, sizeof(err)), 0);
	ck_assert_int_eq(pool_start(p), 0);
	return p;
}

static void server_stop(void)
{
	shutdown(lfd, SHUT_RDWR);
	close(lfd);
	pthread_join(acceptor, NULL);
}

START_TEST(spare_session_or_nothing)
{
	struct ftp_session *b, *s;
	struct pool *p = server_and_pool(2);
	int owner;

	/* max 2: bulk users hold at most 1; a spare taker never waits */
	ck_assert_int_eq(pool_get(p, POOL_BULK, &b), 0);
	ck_assert_int_eq(pool_get_spare(p, &s), -EAGAIN);
	/* nor takes over a parked transfer (pool_get_timed would) */
	pool_park(p, b, &owner);
	ck_assert_int_eq(pool_get_spare(p, &s), -EAGAIN);
	ck_assert(pool_unpark(p, b, &owner));
	pool_put(p, b);
	ck_assert_int_eq(pool_get_spare(p, &s), 0);
	pool_put(p, s);
	pool_free(p);
	server_stop();
}
END_TEST

START_TEST(jobs_without_a_spare_session_are_dropped)
{
	struct ftp_session *b;
	struct pool *p = server_and_pool(2);
	struct prefetch *pf;
	struct prefetch_stats st;

	gate_reset(true);
	pf = new_pf(1, 8, p);
	ck_assert_int_eq(pool_get(p, POOL_BULK, &b), 0);
	ck_assert_int_eq(prefetch_add(pf, "/busy", false), 0);
	ck_assert(wait_for(pf, finished_is, 1));
	prefetch_stats(pf, &st);
	ck_assert_uint_eq(st.dropped_busy, 1);
	ck_assert_int_eq(ran_count(), 0); /* dropped, not run later */
	pool_put(p, b);
	ck_assert_int_eq(prefetch_add(pf, "/free", false), 0);
	ck_assert(wait_for(pf, finished_is, 2));
	ck_assert_int_eq(ran_count(), 1);
	pthread_mutex_lock(&glock);
	ck_assert_int_eq(with_session, 1);
	pthread_mutex_unlock(&glock);
	prefetch_free(pf); /* before the pool: no session held after */
	pool_free(p);
	server_stop();
}
END_TEST

/* ---- freshness of unused listings ----------------------------------- */

static int count_fn(void *arg, const char *name, const struct stat *st)
{
	(void)name;
	(void)st;
	(*(int *)arg)++;
	return 0;
}

static struct cache_dirent *ents2(void)
{
	struct cache_dirent *e = calloc(2, sizeof(*e));

	e[0].name = strdup("f");
	e[0].st.st_mode = S_IFREG | 0644;
	e[0].st.st_size = 7;
	e[1].name = strdup("sub");
	e[1].st.st_mode = S_IFDIR | 0755;
	return e;
}

START_TEST(unused_listing_expires)
{
	struct cache *c = cache_new(30, 1000);
	struct stat st;
	int n = 0;

	cache_put_dir_unused(c, "/d", ents2(), 2, cache_gen(c), 0.2);
	ck_assert(cache_has_dir(c, "/d"));
	ck_assert_int_eq(cache_get_attr(c, "/d/f", &st), 1);
	ck_assert_int_eq(st.st_size, 7);
	/* not yet used: a name it lacks is not known to be missing */
	ck_assert_int_eq(cache_get_attr(c, "/d/new", &st), 0);
	usleep(300000);
	/* unused for longer than the bound: as if never fetched */
	ck_assert(!cache_has_dir(c, "/d"));
	ck_assert_int_eq(cache_get_dir(c, "/d", count_fn, &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(cache_get_attr(c, "/d/f", &st), 0);
	cache_free(c);
}
END_TEST

START_TEST(used_listing_lives_the_ttl)
{
	struct cache *c = cache_new(1.0, 1000);
	struct stat st;
	int n = 0;

	cache_put_dir_unused(c, "/d", ents2(), 2, cache_gen(c), 0.2);
	ck_assert_int_eq(cache_get_dir(c, "/d", count_fn, &n), 2); /* adopted */
	ck_assert_int_eq(n, 2);
	usleep(300000);
	n = 0;
	ck_assert_int_eq(cache_get_dir(c, "/d", count_fn, &n), 1);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(cache_get_attr(c, "/d/f", &st), 1);
	ck_assert_int_eq(cache_get_attr(c, "/d/new", &st), -ENOENT);
	usleep(800000); /* the TTL counts from the fetch */
	ck_assert_int_eq(cache_get_dir(c, "/d", count_fn, &n), 0);
	cache_free(c);
}
END_TEST

START_TEST(unused_listing_rules)
{
	struct cache *c = cache_new(30, 1000);
	struct cache_dirent *e;
	unsigned long gen = cache_gen(c);
	int n = 0;

	/* a change meanwhile drops it */
	cache_invalidate(c, "/d/x");
	cache_put_dir_unused(c, "/d", ents2(), 2, gen, 5);
	ck_assert(!cache_has_dir(c, "/d"));
	/* an ordinary listing is not replaced by a prefetched one */
	e = calloc(1, sizeof(*e));
	e[0].name = strdup("only");
	e[0].st.st_mode = S_IFREG | 0644;
	cache_put_dir(c, "/d", e, 1, cache_gen(c));
	cache_put_dir_unused(c, "/d", ents2(), 2, cache_gen(c), 5);
	ck_assert_int_eq(cache_get_dir(c, "/d", count_fn, &n), 1);
	ck_assert_int_eq(n, 1);
	cache_free(c);
	/* the bound is capped at the TTL */
	c = cache_new(0.1, 1000);
	cache_put_dir_unused(c, "/d", ents2(), 2, cache_gen(c), 5);
	usleep(200000);
	ck_assert(!cache_has_dir(c, "/d"));
	cache_free(c);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("prefetch");
	TCase *q = tcase_create("queue");
	TCase *p = tcase_create("pool");
	TCase *c = tcase_create("freshness");

	tcase_set_timeout(q, 30);
	tcase_add_test(q, runs_jobs_in_order);
	tcase_add_test(q, queue_is_bounded);
	tcase_add_test(q, no_duplicates);
	tcase_add_test(q, claim_cancels_or_waits);
	tcase_add_test(q, free_joins_and_drops_the_queue);
	suite_add_tcase(s, q);
	tcase_set_timeout(p, 30);
	tcase_add_test(p, spare_session_or_nothing);
	tcase_add_test(p, jobs_without_a_spare_session_are_dropped);
	suite_add_tcase(s, p);
	tcase_add_test(c, unused_listing_expires);
	tcase_add_test(c, used_listing_lives_the_ttl);
	tcase_add_test(c, unused_listing_rules);
	suite_add_tcase(s, c);
	return s;
}
