/* Unit tests for net: connections with a deadline on every operation,
 * against sockets of the test's own on 127.0.0.1 (and 127.0.0.2 for a
 * data connection from the wrong address). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "fake_ftp.h"
#include "net.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Connect to a fake_listen() socket and accept the other end. */
static struct net_conn *pair(int *peer)
{
	struct net_conn *c = NULL;
	char port[16];
	int lfd, p;

	lfd = fake_listen(&p);
	ck_assert_int_ge(lfd, 0);
	snprintf(port, sizeof(port), "%d", p);
	ck_assert_int_eq(net_connect_host("127.0.0.1", port, 2000, &c), 0);
	*peer = accept(lfd, NULL, NULL);
	ck_assert_int_ge(*peer, 0);
	close(lfd);
	return c;
}

START_TEST(read_write_and_end_of_stream)
{
	int peer;
	struct net_conn *c = pair(&peer);
	char buf[16];

	ck_assert_str_eq(net_peer_str(c), "127.0.0.1");
	ck_assert_int_eq(net_write_all(c, "ping", 4), 0);
	ck_assert_int_eq(read(peer, buf, sizeof(buf)), 4);
	ck_assert(!net_readable(c));
	ck_assert_int_eq(write(peer, "pong", 4), 4);
	ck_assert(net_readable(c));
	ck_assert_int_eq(net_read(c, buf, sizeof(buf)), 4);
	ck_assert_int_eq(memcmp(buf, "pong", 4), 0);
	close(peer);
	ck_assert(net_readable(c)); /* the end is readable too */
	ck_assert_int_eq(net_read(c, buf, sizeof(buf)), 0);
	net_close(c);
}
END_TEST

/* A peer that sends nothing: the read gives up at its deadline, not
 * before and not much later. */
START_TEST(read_deadline)
{
	int peer;
	struct net_conn *c = pair(&peer);
	char buf[16];
	double t0;

	net_set_timeout(c, 300);
	t0 = now();
	ck_assert_int_eq(net_read(c, buf, sizeof(buf)), -ETIMEDOUT);
	ck_assert(now() - t0 >= 0.25);
	ck_assert(now() - t0 < 5);
	close(peer);
	net_close(c);
}
END_TEST

/* A peer that reads nothing: writing more than the socket buffers hold
 * gives up at the deadline instead of blocking for ever. */
START_TEST(write_deadline)
{
	static char big[1 << 20];
	int peer, i, r = 0;
	struct net_conn *c = pair(&peer);
	double t0;

	net_set_timeout(c, 300);
	t0 = now();
	for (i = 0; i < 64 && r == 0; i++)
		r = net_write_all(c, big, sizeof(big));
	ck_assert_int_eq(r, -ETIMEDOUT);
	ck_assert(now() - t0 < 10);
	close(peer);
	net_close(c);
}
END_TEST

/* A peer gone: a write fails with a connection error, not a signal
 * (SIGPIPE at its default action would kill the test). */
START_TEST(write_to_a_closed_peer)
{
	static char big[1 << 16];
	int peer, i, r = 0;
	struct net_conn *c = pair(&peer);

	void (*old)(int) = signal(SIGPIPE, SIG_DFL);

	close(peer);
	for (i = 0; i < 100 && r == 0; i++)
		r = net_write_all(c, big, sizeof(big));
	signal(SIGPIPE, old);
	ck_assert(r == -EPIPE || r == -ECONNRESET);
	net_close(c);
}
END_TEST

START_TEST(connect_refused)
{
	struct net_conn *c = NULL;
	char port[16];
	int lfd, p;

	lfd = fake_listen(&p);
	close(lfd); /* nobody listens there now */
	snprintf(port, sizeof(port), "%d", p);
	ck_assert_int_eq(net_connect_host("127.0.0.1", port, 2000, &c),
			 -ECONNREFUSED);
	ck_assert_ptr_null(c);
}
END_TEST

struct dialer {
	const char *from; /* source address, or NULL for any */
	unsigned port;
	int fd;
};

static void *dial(void *arg)
{
	struct dialer *d = arg;
	struct sockaddr_in sa = { .sin_family = AF_INET };

	d->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (d->from) {
		inet_pton(AF_INET, d->from, &sa.sin_addr);
		if (bind(d->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return NULL;
	}
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	sa.sin_port = htons((uint16_t)d->port);
	if (connect(d->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(d->fd);
		d->fd = -1;
	}
	return NULL;
}

/* Active mode: a data connection from another address than the server's
 * (127.0.0.2) is closed and ignored; the one from the server is taken. */
START_TEST(accept_only_from_the_server)
{
	struct sockaddr_storage ss = { 0 }, from = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct net_listener *l = NULL;
	struct net_conn *c = NULL;
	struct dialer bad = { "127.0.0.2", 0, -1 }, good = { NULL, 0, -1 };
	pthread_t t;
	char b;

	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &sin->sin_addr);
	memcpy(&from, &ss, sizeof(ss));
	ck_assert_int_eq(net_listen(&ss, sizeof(*sin), 0, 0, &l), 0);
	bad.port = good.port = net_listener_port(l);
	ck_assert_uint_gt(bad.port, 0);
	pthread_create(&t, NULL, dial, &bad);
	pthread_join(t, NULL);
	ck_assert_int_ge(bad.fd, 0);
	/* only the spoofed one so far: nothing is accepted */
	ck_assert_int_eq(net_accept_from(l, &from, 300, &c), -ETIMEDOUT);
	ck_assert_ptr_null(c);
	/* ... and it was closed */
	ck_assert_int_eq(read(bad.fd, &b, 1), 0);
	pthread_create(&t, NULL, dial, &good);
	pthread_join(t, NULL);
	ck_assert_int_ge(good.fd, 0);
	ck_assert_int_eq(net_accept_from(l, &from, 2000, &c), 0);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(net_peer_str(c), "127.0.0.1");
	net_close(c);
	net_listener_close(l);
	close(bad.fd);
	close(good.fd);
}
END_TEST

/* A port range is kept to. */
START_TEST(listen_in_a_port_range)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct net_listener *a = NULL, *b = NULL;
	unsigned lo, pa, pb;
	int lfd, p;

	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &sin->sin_addr);
	/* a free port found by the kernel, and its next one, as the range */
	lfd = fake_listen(&p);
	close(lfd);
	lo = (unsigned)p;
	ck_assert_int_eq(net_listen(&ss, sizeof(*sin), lo, lo + 1, &a), 0);
	pa = net_listener_port(a);
	ck_assert(pa >= lo && pa <= lo + 1);
	if (net_listen(&ss, sizeof(*sin), lo, lo + 1, &b) == 0) {
		pb = net_listener_port(b);
		ck_assert(pb >= lo && pb <= lo + 1 && pb != pa);
		/* both ports of the range in use: a third fails */
		struct net_listener *c = NULL;

		ck_assert_int_lt(net_listen(&ss, sizeof(*sin), lo, lo + 1, &c),
				 0);
		ck_assert_ptr_null(c);
		net_listener_close(b);
	}
	net_listener_close(a);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("loopback");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, read_write_and_end_of_stream);
	tcase_add_test(tc, read_deadline);
	tcase_add_test(tc, write_deadline);
	tcase_add_test(tc, write_to_a_closed_peer);
	tcase_add_test(tc, connect_refused);
	tcase_add_test(tc, accept_only_from_the_server);
	tcase_add_test(tc, listen_in_a_port_range);
	suite_add_tcase(s, tc);
	return s;
}
