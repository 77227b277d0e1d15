/* Unit tests for proxy.c (SOCKS5, SOCKS4a, HTTP CONNECT against scripted
 * fake proxies on loopback) and for the proxy parts of options.c. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "fake_ftp.h"
#include "net.h"
#include "options.h"
#include "proxy.h"

/* --- a scripted fake proxy ------------------------------------------- */

struct fake;
typedef void (*script_fn)(struct fake *f, int fd);

struct fake {
	int lfd, port;
	script_fn script;
	unsigned char got[4096]; /* what the client sent */
	size_t got_len;
	pthread_t th;
};

/* Read exactly n bytes (5 s at most), appended to f->got. */
static int take(struct fake *f, int fd, size_t n)
{
	while (n > 0 && f->got_len < sizeof(f->got)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 5000) <= 0)
			return -1;
		r = read(fd, f->got + f->got_len, n);
		if (r <= 0)
			return -1;
		f->got_len += (size_t)r;
		n -= (size_t)r;
	}
	return n ? -1 : 0;
}

/* Read up to the end of an HTTP request header. */
static int take_header(struct fake *f, int fd)
{
	while (f->got_len < 4 || memcmp(f->got + f->got_len - 4, "\r\n\r\n", 4))
		if (take(f, fd, 1) < 0)
			return -1;
	return 0;
}

static void put(int fd, const void *b, size_t n)
{
	if (write(fd, b, n) < 0)
		return;
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	int fd = accept(f->lfd, NULL, NULL);

	if (fd >= 0) {
		f->script(f, fd);
		close(fd);
	}
	return NULL;
}

/* Fakes live until the test's process ends (check forks one per test):
 * what they recorded stays readable after fake_join(). */
static struct fake fakes[16];
static unsigned nfakes;

static struct fake *fake_start(script_fn script)
{
	struct fake *f = &fakes[nfakes++ % 16];

	memset(f, 0, sizeof(*f));
	f->lfd = fake_listen(&f->port);
	ck_assert_int_ge(f->lfd, 0);
	f->script = script;
	ck_assert_int_eq(pthread_create(&f->th, NULL, fake_main, f), 0);
	return f;
}

static void fake_join(struct fake *f)
{
	pthread_join(f->th, NULL);
	close(f->lfd);
}

#define ERRLEN 400

/* Run script as a proxy of this kind and connect through it to host:port;
 * the result (the message in err). On success the far host's first bytes
 * are checked when banner (see expect_banner()) and the connection is
 * closed. The fake, joined, in *fp when fp. */
static void expect_banner(struct net_conn *c);

static int through(script_fn script, enum proxy_kind kind, const char *user,
		   const char *pass, const char *host, const char *port,
		   int timeout_ms, bool banner, char *err, struct fake **fp)
{
	struct fake *f = fake_start(script);
	char ps[8];
	struct proxy_cfg p = { .kind = kind,
			       .host = (char *)"127.0.0.1",
			       .port = ps,
			       .user = (char *)user,
			       .pass = (char *)pass };
	struct net_conn *c = NULL;
	int r;

	snprintf(ps, sizeof(ps), "%d", f->port);
	err[0] = '\0';
	r = proxy_connect(&p, host, port, timeout_ms, &c, err, ERRLEN);
	if (r == 0) {
		if (banner)
			expect_banner(c);
		net_close(c);
	} else {
		ck_assert_ptr_null(c);
	}
	fake_join(f);
	if (fp)
		*fp = f;
	return r;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* After a successful connect: the far host's first bytes, which the fake
 * sent in the same write as its reply, are there to read. */
static void expect_banner(struct net_conn *c)
{
	char b[32] = "";
	ssize_t n = net_read(c, b, sizeof(b) - 1);

	ck_assert_int_eq(n, 8);
	ck_assert_str_eq(b, "220 hi\r\n");
}

/* --- SOCKS5 ------------------------------------------------------------ */

static const unsigned char s5_ok_v4[] = { 5, 0, 0, 1, 127, 0, 0, 1, 0, 80 };

static void s5_noauth_ok(struct fake *f, int fd)
{
	unsigned char b[sizeof(s5_ok_v4) + 8];

	if (take(f, fd, 3) < 0)
		return;
	put(fd, "\5\0", 2);
	/* VER CMD RSV ATYP=3 LEN "ftp.example" PORT */
	if (take(f, fd, 4 + 1 + 11 + 2) < 0)
		return;
	memcpy(b, s5_ok_v4, sizeof(s5_ok_v4));
	memcpy(b + sizeof(s5_ok_v4), "220 hi\r\n", 8);
	put(fd, b, sizeof(b));
}

START_TEST(socks5_name_resolved_at_proxy)
{
	struct fake *f;
	char err[ERRLEN];
	static const unsigned char want[] = {
		5,   1,	  0, /* one method: none */
		5,   1,	  0,   3,   11,	 'f', 't', 'p', '.', 'e',
		'x', 'a', 'm', 'p', 'l', 'e', 0,   21, /* CONNECT ftp.example:21, ATYP 3 */
	};

	ck_assert_int_eq(through(s5_noauth_ok, PROXY_SOCKS5, NULL, NULL,
				 "ftp.example", "21", 5000, true, err, &f),
			 0);
	ck_assert_uint_eq(f->got_len, sizeof(want));
	ck_assert_mem_eq(f->got, want, sizeof(want));
}
END_TEST

static void s5_literal(struct fake *f, int fd)
{
	if (take(f, fd, 3) < 0)
		return;
	put(fd, "\5\0", 2);
	if (take(f, fd, 4 + 16 + 2) < 0)
		return;
	/* BND.ADDR as a domain name, the reply in pieces */
	put(fd, "\5\0\0\3", 4);
	usleep(20000);
	put(fd, "\4prox\0\1", 7);
}

START_TEST(socks5_ipv6_literal_and_split_reply)
{
	struct fake *f;
	char err[ERRLEN];

	ck_assert_int_eq(through(s5_literal, PROXY_SOCKS5, NULL, NULL, "::1",
				 "2121", 5000, false, err, &f),
			 0);
	ck_assert_int_eq(f->got[6], 4); /* ATYP IPv6 */
	ck_assert_int_eq(f->got[7 + 15], 1);
	ck_assert_int_eq(f->got[7 + 16] * 256 + f->got[7 + 17], 2121);
}
END_TEST

static int auth_status = 0;

static void s5_userpass(struct fake *f, int fd)
{
	if (take(f, fd, 4) < 0)
		return;
	put(fd, "\5\2", 2);
	if (take(f, fd, 2 + 3 + 1 + 6) < 0) /* 1 3 "bob" 6 "s3cr@t" */
		return;
	put(fd, auth_status ? "\1\1" : "\1\0", 2);
	if (auth_status || take(f, fd, 4 + 4 + 2) < 0)
		return;
	put(fd, s5_ok_v4, sizeof(s5_ok_v4));
}

START_TEST(socks5_username_password)
{
	struct fake *f;
	char err[ERRLEN];
	static const unsigned char want[] = { 5,   2,	0,   2,	 1,   3,
					      'b', 'o', 'b', 6,	 's', '3',
					      'c', 'r', '@', 't' };

	auth_status = 0;
	ck_assert_int_eq(through(s5_userpass, PROXY_SOCKS5, "bob", "s3cr@t",
				 "10.1.2.3", "21", 5000, false, err, &f),
			 0);
	ck_assert_mem_eq(f->got, want, sizeof(want));
	ck_assert_int_eq(f->got[sizeof(want) + 3], 1); /* ATYP IPv4 */
	ck_assert_int_eq(f->got[sizeof(want) + 4], 10);
}
END_TEST

START_TEST(socks5_wrong_password)
{
	char err[ERRLEN];

	auth_status = 1;
	ck_assert_int_eq(through(s5_userpass, PROXY_SOCKS5, "bob", "s3cr@t",
				 "ftp.example", "21", 5000, false, err, NULL),
			 -EACCES);
	ck_assert_ptr_nonnull(strstr(err, "authentication failed"));
	ck_assert_ptr_nonnull(strstr(err, "socks5://127.0.0.1:"));
	ck_assert_ptr_null(strstr(err, "s3cr@t"));
	auth_status = 0;
}
END_TEST

static void s5_wants_auth(struct fake *f, int fd)
{
	if (take(f, fd, 3) == 0)
		put(fd, "\5\377", 2);
}

START_TEST(socks5_no_acceptable_method)
{
	char err[ERRLEN];

	ck_assert_int_eq(through(s5_wants_auth, PROXY_SOCKS5, NULL, NULL, "h",
				 "21", 5000, false, err, NULL),
			 -EACCES);
	ck_assert_ptr_nonnull(strstr(err, "wants a user name and password"));
}
END_TEST

static int reply_code = 5;

static void s5_fails(struct fake *f, int fd)
{
	unsigned char b[10] = { 5, 0, 0, 1, 0, 0, 0, 0, 0, 0 };

	if (take(f, fd, 3) < 0)
		return;
	put(fd, "\5\0", 2);
	if (take(f, fd, 4 + 1 + 1 + 2) < 0)
		return;
	b[1] = (unsigned char)reply_code;
	put(fd, b, sizeof(b));
}

START_TEST(socks5_reply_codes)
{
	static const struct {
		int rep, err;
		const char *says;
	} t[] = {
		{ 5, -ECONNREFUSED, "connection refused (SOCKS5 reply 5)" },
		{ 4, -EHOSTUNREACH, "host unreachable (SOCKS5 reply 4)" },
		{ 3, -ENETUNREACH, "network unreachable" },
		{ 2, -EACCES, "not allowed by ruleset" },
		{ 1, -ECONNABORTED, "general SOCKS server failure" },
		{ 9, -EPROTO, "malformed" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char err[ERRLEN];

		reply_code = t[i].rep;
		ck_assert_int_eq(through(s5_fails, PROXY_SOCKS5, NULL, NULL,
					 "h", "21", 5000, false, err, NULL),
				 t[i].err);
		ck_assert_msg(strstr(err, t[i].says), "%s", err);
	}
}
END_TEST

static void not_socks(struct fake *f, int fd)
{
	if (take(f, fd, 3) == 0)
		put(fd, "220 ftp server\r\n", 16);
}

START_TEST(socks5_not_a_proxy)
{
	char err[ERRLEN];

	ck_assert_int_eq(through(not_socks, PROXY_SOCKS5, NULL, NULL, "h", "21",
				 5000, false, err, NULL),
			 -EPROTO);
	ck_assert_ptr_nonnull(strstr(err, "not a SOCKS5 proxy"));
}
END_TEST

static void silent(struct fake *f, int fd)
{
	char b[64];

	(void)f;
	/* read what comes, answer nothing, until the client gives up */
	while (read(fd, b, sizeof(b)) > 0)
		;
}

START_TEST(silent_proxy_times_out)
{
	char err[ERRLEN];
	double t0 = now_s();

	ck_assert_int_eq(through(silent, PROXY_SOCKS5, NULL, NULL, "h", "21",
				 500, false, err, NULL),
			 -ETIMEDOUT);
	ck_assert_double_lt(now_s() - t0, 5.0);
	ck_assert_ptr_nonnull(strstr(err, "no answer in time"));
}
END_TEST

START_TEST(proxy_down)
{
	int port, fd = fake_listen(&port);
	char ps[8], err[400] = "";
	struct proxy_cfg p = { .kind = PROXY_HTTP,
			       .host = (char *)"127.0.0.1",
			       .port = ps };
	struct net_conn *c;

	close(fd); /* nothing listens there now */
	snprintf(ps, sizeof(ps), "%d", port);
	ck_assert_int_eq(proxy_connect(&p, "h", "21", 2000, &c, err,
				       sizeof(err)),
			 -ECONNREFUSED);
	ck_assert_msg(strstr(err, "proxy http://127.0.0.1:") &&
			      strstr(err, "cannot connect to the proxy"),
		      "%s", err);
}
END_TEST

/* --- SOCKS4a ----------------------------------------------------------- */

static void s4_script(struct fake *f, int fd)
{
	/* 4 1 PORT 0.0.0.1 "al" NUL "ftp.example" NUL */
	if (take(f, fd, 8 + 3 + 12) < 0)
		return;
	put(fd,
	    reply_code == 90 ? "\0\x5a\0\0\0\0\0\0"
			       "220 hi\r\n"
			     : "\0\x5b\0\0\0\0\0\0",
	    reply_code == 90 ? 16 : 8);
}

START_TEST(socks4a_name)
{
	struct fake *f;
	char err[ERRLEN];
	static const unsigned char want[] = {
		4,   1,	  0,   21,  0,	 0,   0,   1,	'a', 'l', 0, 'f',
		't', 'p', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,
	};

	reply_code = 90;
	ck_assert_int_eq(through(s4_script, PROXY_SOCKS4A, "al", "ignored",
				 "ftp.example", "21", 5000, true, err, &f),
			 0);
	ck_assert_uint_eq(f->got_len, sizeof(want));
	ck_assert_mem_eq(f->got, want, sizeof(want));
	reply_code = 91;
	ck_assert_int_eq(through(s4_script, PROXY_SOCKS4A, "al", NULL,
				 "ftp.example", "21", 5000, false, err, NULL),
			 -ECONNREFUSED);
	ck_assert_msg(strstr(err, "SOCKS4 reply 91"), "%s", err);
}
END_TEST

/* --- HTTP CONNECT ------------------------------------------------------ */

static const char *http_reply;

static void http_script(struct fake *f, int fd)
{
	if (take_header(f, fd) == 0)
		put(fd, http_reply, strlen(http_reply));
}

/* through() an HTTP proxy that answers reply to ftp.example:21; what
 * the client sent in got. */
static int http_try(const char *reply, const char *user, const char *pass,
		    char *got, size_t gotlen, char *err, size_t errlen,
		    bool banner)
{
	struct fake *f;
	int r;

	(void)errlen;
	http_reply = reply;
	r = through(http_script, PROXY_HTTP, user, pass, "ftp.example", "21",
		    5000, banner, err, &f);
	snprintf(got, gotlen, "%.*s", (int)f->got_len, f->got);
	return r;
}

START_TEST(http_connect_basic_auth)
{
	char got[4096], err[400] = "";

	/* the FTP banner in the same write as the proxy's reply */
	ck_assert_int_eq(http_try("HTTP/1.0 200 Connection established\r\n"
				  "Proxy-agent: fake\r\n\r\n220 hi\r\n",
				  "u", "p", got, sizeof(got), err, sizeof(err),
				  true),
			 0);
	ck_assert_str_eq(got, "CONNECT ftp.example:21 HTTP/1.1\r\n"
			      "Host: ftp.example:21\r\n"
			      "Proxy-Authorization: Basic dTpw\r\n\r\n");
	ck_assert_int_eq(http_try("HTTP/1.1 200 OK\n\n220 hi\r\n", NULL, NULL,
				  got, sizeof(got), err, sizeof(err), true),
			 0);
	ck_assert_ptr_null(strstr(got, "Proxy-Authorization"));
}
END_TEST

START_TEST(http_errors_name_the_status)
{
	char got[4096], err[400] = "";

	ck_assert_int_eq(
		http_try("HTTP/1.1 407 Proxy Authentication Required\r\n"
			 "Proxy-Authenticate: Basic realm=x\r\n\r\n",
			 "u", "bad", got, sizeof(got), err, sizeof(err), false),
		-EACCES);
	ck_assert_msg(strstr(err, "authentication failed") &&
			      strstr(err, "407 Proxy Authentication Required"),
		      "%s", err);
	ck_assert_int_eq(http_try("HTTP/1.1 503 Service Unavailable\r\n\r\n",
				  NULL, NULL, got, sizeof(got), err,
				  sizeof(err), false),
			 -EHOSTUNREACH);
	ck_assert_msg(strstr(err, "cannot reach the server") &&
			      strstr(err, "503 Service Unavailable"),
		      "%s", err);
	ck_assert_int_eq(http_try("SSH-2.0-OpenSSH\r\n\r\n", NULL, NULL, got,
				  sizeof(got), err, sizeof(err), false),
			 -EPROTO);
	ck_assert_ptr_nonnull(strstr(err, "not an HTTP proxy"));
}
END_TEST

static char big_reply[3 * PROXY_HTTP_MAX];

START_TEST(http_reply_bounded)
{
	char got[4096], err[400] = "";
	size_t n;

	/* many short header lines, no end */
	n = (size_t)snprintf(big_reply, sizeof(big_reply),
			     "HTTP/1.1 200 OK\r\n");
	while (n + 8 < sizeof(big_reply) - 1) {
		memcpy(big_reply + n, "X: yy\r\n", 7);
		n += 7;
	}
	big_reply[n] = '\0';
	ck_assert_int_eq(http_try(big_reply, NULL, NULL, got, sizeof(got), err,
				  sizeof(err), false),
			 -EMSGSIZE);
	/* one overlong line */
	n = (size_t)snprintf(big_reply, sizeof(big_reply),
			     "HTTP/1.1 200 OK\r\nX: ");
	memset(big_reply + n, 'a', 2 * PROXY_LINE_MAX);
	big_reply[n + 2 * PROXY_LINE_MAX] = '\0';
	ck_assert_int_eq(http_try(big_reply, NULL, NULL, got, sizeof(got), err,
				  sizeof(err), false),
			 -EMSGSIZE);
	ck_assert_ptr_nonnull(strstr(err, "too long"));
}
END_TEST

static void trickle(struct fake *f, int fd)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nX-Slow: ";
	int i;

	if (take_header(f, fd) < 0)
		return;
	put(fd, head, sizeof(head) - 1);
	/* one byte every 100 ms: each read answers in time, the whole never */
	for (i = 0; i < 200; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 100) != 0)
			return; /* the client hung up */
		put(fd, "a", 1);
	}
}

START_TEST(trickling_proxy_bounded_by_timeout)
{
	char err[ERRLEN];
	double t0 = now_s();

	ck_assert_int_eq(through(trickle, PROXY_HTTP, NULL, NULL, "h", "21",
				 1000, false, err, NULL),
			 -ETIMEDOUT);
	ck_assert_double_lt(now_s() - t0, 5.0);
}
END_TEST

/* --- the pure parsers ------------------------------------------------- */

START_TEST(http_reply_parser)
{
	int st = 0;
	const char *ok = "HTTP/1.1 200 OK\r\nA: b\r\n\r\n";
	size_t i, n = strlen(ok);

	for (i = 1; i < n; i++)
		ck_assert_int_eq(proxy_http_reply(ok, i, &st), 0);
	ck_assert_int_eq(proxy_http_reply(ok, n, &st), (int)n);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(proxy_http_reply("HTTP/2 200", 10, &st), -EPROTO);
	ck_assert_int_eq(proxy_http_reply("HTTP/1.1 20\r\n", 13, &st), -EPROTO);
	ck_assert_int_eq(proxy_http_reply("HTTP/1.1 200x", 13, &st), -EPROTO);
	ck_assert_int_eq(proxy_http_reply("HTTP/1.1 600 x\r\n", 16, &st),
			 -EPROTO);
	ck_assert_int_eq(proxy_http_reply("HTTP/1.0 200 \0\n\n", 16, &st),
			 -EPROTO);
	ck_assert_int_eq(proxy_http_reply("HTTP/1.0 204\n\n", 14, &st), 14);
	ck_assert_int_eq(st, 204);
}
END_TEST

START_TEST(socks5_reply_parser)
{
	size_t need;
	int rep;
	const unsigned char dom[] = { 5, 0, 0, 3, 2, 'a', 'b', 0, 1 };
	const unsigned char bad_atyp[] = { 5, 0, 0, 2, 0 };

	ck_assert_int_eq(proxy_socks5_reply(dom, 0, &need, &rep), -EAGAIN);
	ck_assert_uint_eq(need, 5);
	ck_assert_int_eq(proxy_socks5_reply(dom, 5, &need, &rep), -EAGAIN);
	ck_assert_uint_eq(need, sizeof(dom));
	ck_assert_int_eq(proxy_socks5_reply(dom, sizeof(dom), &need, &rep), 0);
	ck_assert_int_eq(proxy_socks5_reply(bad_atyp, 5, &need, &rep), -EPROTO);
	ck_assert_int_eq(proxy_socks5_reply((const unsigned char *)"\4", 1,
					    &need, &rep),
			 -EPROTO);
}
END_TEST

/* --- options ----------------------------------------------------------- */

START_TEST(proxy_url_forms)
{
	struct proxy_cfg p;
	char err[200];

	ck_assert_int_eq(opts_proxy_parse("socks5://bob:p%40ss@proxy:1081", 0,
					  &p, err, sizeof(err)),
			 0);
	ck_assert_int_eq(p.kind, PROXY_SOCKS5);
	ck_assert_str_eq(p.host, "proxy");
	ck_assert_str_eq(p.port, "1081");
	ck_assert_str_eq(p.user, "bob");
	ck_assert_str_eq(p.pass, "p@ss");
	opts_proxy_free(&p);
	ck_assert_int_eq(opts_proxy_parse("socks5h://[::1]", 0, &p, err,
					  sizeof(err)),
			 0);
	ck_assert_str_eq(p.host, "::1");
	ck_assert_str_eq(p.port, "1080");
	ck_assert_ptr_null(p.user);
	opts_proxy_free(&p);
	/* curlftpfs: proxy=host:port is HTTP unless socks4/socks5 says */
	ck_assert_int_eq(opts_proxy_parse("gw:3128", 0, &p, err, sizeof(err)),
			 0);
	ck_assert_int_eq(p.kind, PROXY_HTTP);
	opts_proxy_free(&p);
	ck_assert_int_eq(opts_proxy_parse("gw:3128", PROXY_SOCKS4A, &p, err,
					  sizeof(err)),
			 0);
	ck_assert_int_eq(p.kind, PROXY_SOCKS4A);
	opts_proxy_free(&p);
	ck_assert_int_eq(opts_proxy_parse("https://gw", 0, &p, err,
					  sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(opts_proxy_parse("http://gw:0", 0, &p, err,
					  sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(opts_proxy_parse("http://gw/path", 0, &p, err,
					  sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(opts_proxy_parse("http://g%0aw", 0, &p, err,
					  sizeof(err)),
			 -EINVAL);
}
END_TEST

START_TEST(proxy_from_env_only_when_asked)
{
	struct ftpfs_opts o = { 0 };
	struct proxy_cfg p;
	char err[200];

	setenv("ALL_PROXY", "socks5://envproxy:1", 1);
	setenv("all_proxy", "", 1);
	unsetenv("ftp_proxy");
	ck_assert_int_eq(opts_proxy(&o, &p, err, sizeof(err)), 0);
	ck_assert_ptr_null(p.host); /* not asked: none */
	o.proxy = (char *)"env";
	ck_assert_int_eq(opts_proxy(&o, &p, err, sizeof(err)), 0);
	ck_assert_str_eq(p.host, "envproxy");
	opts_proxy_free(&p);
	setenv("ftp_proxy", "http://ftpgw:8080", 1);
	o.proxy_user = (char *)"al:pw:x";
	ck_assert_int_eq(opts_proxy(&o, &p, err, sizeof(err)), 0);
	ck_assert_str_eq(p.host, "ftpgw");
	ck_assert_str_eq(p.user, "al");
	ck_assert_str_eq(p.pass, "pw:x");
	opts_proxy_free(&p);
	setenv("ftp_proxy", "gopher://x", 1);
	ck_assert_int_eq(opts_proxy(&o, &p, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "$ftp_proxy"));
	unsetenv("ftp_proxy");
	unsetenv("ALL_PROXY");
	unsetenv("all_proxy");
	ck_assert_int_eq(opts_proxy(&o, &p, err, sizeof(err)), -EINVAL);
	o.proxy = NULL;
	ck_assert_int_eq(opts_proxy(&o, &p, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "need -o proxy="));
}
END_TEST

START_TEST(scrub_proxy_passwords)
{
	char a0[] = "ftpfs", a1[] = "ftp://h/", a2[] = "/mnt", a3[] = "-o",
	     a4[] = "ro,proxy=socks5://bob:s3c@r:et@gw:1080,"
		    "proxy_user=al:pw2,user=u:pw3",
	     a5[] = "-oproxy=http://x\\072y@gw", a6[] = "proxy=gw:3128";
	char *argv[] = { a0, a1, a2, a3, a4, a5, a6, NULL };

	ck_assert(opts_scrub_argv(7, argv, a1));
	ck_assert_str_eq(a4, "ro,proxy=socks5://bob@gw:1080,proxy_user=al,"
			     "user=u");
	ck_assert_str_eq(a5, "-oproxy=http://x@gw");
	ck_assert_str_eq(a6, "proxy=gw:3128"); /* no password: untouched */
}
END_TEST

START_TEST(credentials_file_proxy_password)
{
	char path[] = "/tmp/ftpfs-test-credXXXXXX", err[200] = "";
	char *user = NULL, *pass = NULL, *puser = NULL, *ppass = NULL;
	int fd = mkstemp(path);
	FILE *fp;

	ck_assert_int_ge(fd, 0);
	fchmod(fd, 0600);
	fp = fdopen(fd, "w");
	fputs("user=u\npassword=p\nproxy_user=pu\nproxy_password=pp\n", fp);
	fclose(fp);
	ck_assert_int_eq(credentials_read(path, &user, &pass, &puser, &ppass,
					  err, sizeof(err)),
			 0);
	ck_assert_str_eq(puser, "pu");
	ck_assert_str_eq(ppass, "pp");
	ck_assert_str_eq(pass, "p");
	free(user);
	free(pass);
	free(puser);
	free(ppass);
	user = pass = NULL;
	/* without a proxy: such lines are an error, not silently kept */
	ck_assert_int_eq(credentials_read(path, &user, &pass, NULL, NULL, err,
					  sizeof(err)),
			 -EINVAL);
	ck_assert_msg(strstr(err, "proxy_user= lines need -o proxy="), "%s",
		      err);
	ck_assert_ptr_null(strstr(err, "=pu"));
	free(user);
	free(pass);
	unlink(path);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("proxy");
	TCase *tc = tcase_create("proxy");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, socks5_name_resolved_at_proxy);
	tcase_add_test(tc, socks5_ipv6_literal_and_split_reply);
	tcase_add_test(tc, socks5_username_password);
	tcase_add_test(tc, socks5_wrong_password);
	tcase_add_test(tc, socks5_no_acceptable_method);
	tcase_add_test(tc, socks5_reply_codes);
	tcase_add_test(tc, socks5_not_a_proxy);
	tcase_add_test(tc, silent_proxy_times_out);
	tcase_add_test(tc, proxy_down);
	tcase_add_test(tc, socks4a_name);
	tcase_add_test(tc, http_connect_basic_auth);
	tcase_add_test(tc, http_errors_name_the_status);
	tcase_add_test(tc, http_reply_bounded);
	tcase_add_test(tc, trickling_proxy_bounded_by_timeout);
	tcase_add_test(tc, http_reply_parser);
	tcase_add_test(tc, socks5_reply_parser);
	tcase_add_test(tc, proxy_url_forms);
	tcase_add_test(tc, proxy_from_env_only_when_asked);
	tcase_add_test(tc, scrub_proxy_passwords);
	tcase_add_test(tc, credentials_file_proxy_password);
	suite_add_tcase(s, tc);
	return s;
}
