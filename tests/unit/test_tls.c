/* Unit tests for TLS session reuse on data connections, against a fake
 * FTPS server that behaves like ProFTPD's mod_tls with TLS 1.3:
 *
 *  - after the control handshake it sends `ctrl_tickets` session tickets
 *    (OpenSSL's default is 2; 0 models a server that sends none);
 *  - stateless tickets, good for any number of resumptions;
 *  - an upload's data connection (STOR) is given no ticket (ProFTPD
 *    suppresses them there), a download's (RETR) one;
 *  - a data connection that does not resume a session is refused:
 *    "425 Unable to build data connection: Operation not permitted";
 *  - `refuse` makes it refuse the data connections whose numbers (from 1)
 *    are set in it before TLS starts (closed, then 425), as a server may
 *    for its own reasons: the client must try again, not fail;
 *  - `no_resume` models a server that gives tickets but resumes none on
 *    data connections and does not mind (Pure-FTPd-like servers do not
 *    require reuse): the client may give up resuming, not fail.
 *
 * The server runs in a thread on 127.0.0.1 with a throw-away self-signed
 * EC certificate (the client runs with no_verify).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "check_main.h"
#include "fake_ftp.h"
#include "session.h"
#include "tls.h"

struct fake {
	int lfd, port;
	int ctrl_tickets;    /* tickets after the control handshake */
	unsigned refuse;     /* bit n-1: refuse data connection n */
	bool no_resume;	     /* never resume on data connections, take them */
	unsigned refuse_cmd; /* bit n-1: answer transfer command n 425 */
	int cmds;	     /* transfer commands received */
	SSL_CTX *ctx;
	int sessions;	 /* control connections served */
	int data_conns;	 /* data connections accepted */
	int not_resumed; /* of those, full handshakes (refused) */
	int stored;	 /* STORs that completed */
	pthread_t th;
};

/* accept(), without Nagle's 40 ms waits for our small replies */
static int accept_nodelay(int lfd)
{
	int fd = accept(lfd, NULL, NULL), one = 1;

	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* A line reader over SSL. */
struct sline {
	SSL *ssl;
	char buf[4096];
	size_t off, len;
};

static int ssl_line(struct sline *l, char *out, size_t n)
{
	size_t i = 0;

	for (;;) {
		while (l->off < l->len) {
			char c = l->buf[l->off++];

			if (c == '\n') {
				out[i && out[i - 1] == '\r' ? i - 1 : i] = '\0';
				return 0;
			}
			if (i + 1 < n)
				out[i++] = c;
		}
		int r = SSL_read(l->ssl, l->buf, sizeof(l->buf));

		if (r <= 0)
			return -1;
		l->off = 0;
		l->len = (size_t)r;
	}
}

static void ssl_say(SSL *ssl, const char *s)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "%s\r\n", s);

	SSL_write(ssl, buf, n);
}

/* Accept a data connection and TLS on it; NULL when refused (425 sent):
 * a connection numbered in f->refuse is closed before TLS, one that does
 * not resume a session after the handshake. */
static SSL *data_accept(struct fake *f, SSL *cs, int dlfd, int tickets)
{
	int dfd = accept_nodelay(dlfd);
	int n = ++f->data_conns;
	SSL *ds = NULL;

	close(dlfd);
	if (n > 32 || !(f->refuse & (1u << (n - 1)))) {
		ds = SSL_new(f->ctx);
		SSL_set_fd(ds, dfd);
		SSL_set_num_tickets(ds, (size_t)tickets);
		if (f->no_resume) /* no session of another context resumes */
			SSL_set_session_id_context(
				ds, (const unsigned char *)"x", 1);
		if (SSL_accept(ds) == 1 &&
		    (SSL_session_reused(ds) || f->no_resume)) {
			f->not_resumed += !SSL_session_reused(ds);
			return ds;
		}
		f->not_resumed++;
		SSL_shutdown(ds);
		SSL_free(ds);
	}
	close(dfd);
	ssl_say(cs, "425 Unable to build data connection: "
		    "Operation not permitted");
	return NULL;
}

/* After STOR or RETR: 150, the data connection (an upload's gets no
 * ticket, a download's one), 226. */
static void transfer(struct fake *f, SSL *cs, int dlfd, bool upload)
{
	char buf[4096];
	SSL *ds;

	ssl_say(cs, "150 go");
	ds = data_accept(f, cs, dlfd, upload ? 0 : 1);
	if (!ds)
		return;
	if (upload) {
		while (SSL_read(ds, buf, sizeof(buf)) > 0)
			;
		f->stored++;
	} else {
		SSL_write(ds, "hello", 5);
	}
	SSL_shutdown(ds);
	close(SSL_get_fd(ds));
	SSL_free(ds);
	ssl_say(cs, upload ? "226 stored" : "226 sent");
}

/* One control connection, until QUIT or its end. */
static void serve(struct fake *f, int cfd)
{
	struct sline l = { 0 };
	char line[1024], buf[4096];
	SSL *cs;
	int dlfd = -1;

	fake_say(cfd, "220 fake FTPS\r\n");
	if (fake_read_line(cfd, line, sizeof(line)) < 0 ||
	    strcmp(line, "AUTH TLS"))
		return;
	fake_say(cfd, "234 go\r\n");
	cs = SSL_new(f->ctx);
	SSL_set_fd(cs, cfd);
	SSL_set_num_tickets(cs, (size_t)f->ctrl_tickets);
	if (SSL_accept(cs) != 1)
		goto out;
	l.ssl = cs;
	while (ssl_line(&l, line, sizeof(line)) == 0) {
		if (fake_login_reply(line, "211-Features:\r\n EPSV\r\n211 End",
				     &dlfd, buf, sizeof(buf))) {
			ssl_say(cs, buf);
		} else if ((!strncmp(line, "STOR", 4) ||
			    !strncmp(line, "RETR", 4)) &&
			   dlfd >= 0) {
			if (++f->cmds <= 32 &&
			    (f->refuse_cmd & (1u << (f->cmds - 1)))) {
				close(accept(dlfd, NULL, NULL));
				close(dlfd);
				ssl_say(cs, "425 Can't open data connection.");
			} else {
				transfer(f, cs, dlfd, line[0] == 'S');
			}
			dlfd = -1;
		} else if (!strncmp(line, "QUIT", 4)) {
			ssl_say(cs, "221 bye");
			break;
		} else {
			ssl_say(cs, "200 ok");
		}
	}
	SSL_shutdown(cs);
out:
	SSL_free(cs);
	if (dlfd >= 0)
		close(dlfd);
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	int cfd;

	/* a second control connection when the client starts afresh */
	while ((cfd = accept_nodelay(f->lfd)) >= 0) {
		f->sessions++;
		serve(f, cfd);
		close(cfd);
	}
	return NULL;
}

static SSL_CTX *server_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();

	ck_assert_ptr_nonnull(ctx);
	ck_assert_ptr_nonnull(key);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"127.0.0.1", -1, -1,
				   0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
	ck_assert_int_eq(SSL_CTX_use_certificate(ctx, x), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(ctx, key), 1);
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"fake", 4);
	X509_free(x);
	EVP_PKEY_free(key);
	return ctx;
}

static char portstr[16];
static struct session_cfg cfg;
static struct tls_ctx *tctx;

/* Start the server configured in f (ctrl_tickets, refuse, no_resume,
 * refuse_cmd); the rest of f is cleared. */
static void fake_start(struct fake *f)
{
	struct tls_cfg tc = { .no_verify = true };
	struct fake conf = *f;
	char err[256];

	memset(f, 0, sizeof(*f));
	f->ctrl_tickets = conf.ctrl_tickets;
	f->refuse = conf.refuse;
	f->no_resume = conf.no_resume;
	f->refuse_cmd = conf.refuse_cmd;
	f->ctx = server_ctx();
	f->lfd = fake_listen(&f->port);
	ck_assert_int_ge(f->lfd, 0);
	snprintf(portstr, sizeof(portstr), "%d", f->port);
	ck_assert_int_eq(tls_ctx_new(&tc, &tctx, err, sizeof(err)), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.host = "127.0.0.1";
	cfg.port = portstr;
	cfg.user = "bob";
	cfg.pass = "pw";
	cfg.path = "";
	cfg.timeout_ms = 3000;
	cfg.tls = SESS_TLS_REQUIRE;
	cfg.tls_ctx = tctx;
	pthread_create(&f->th, NULL, fake_main, f);
}

static void fake_join(struct fake *f)
{
	shutdown(f->lfd, SHUT_RDWR);
	pthread_join(f->th, NULL);
	close(f->lfd);
	SSL_CTX_free(f->ctx);
	tls_ctx_free(tctx);
}

static int put(struct ftp_session *s, const char *path)
{
	int r = session_xfer_start(s, "STOR", path, 0);

	if (r == 0)
		r = session_xfer_write(s, "data", 4);
	if (r == 0)
		r = session_xfer_finish(s);
	else if (session_xfer_active(s))
		session_xfer_abort(s);
	return r;
}

static int get(struct ftp_session *s, const char *path)
{
	char buf[64];
	ssize_t n, got = 0;
	int r = session_xfer_start(s, "RETR", path, 0);

	if (r < 0)
		return r;
	while ((n = session_xfer_read(s, buf, sizeof(buf))) > 0)
		got += n;
	r = session_xfer_finish(s);
	return r == 0 && got != 5 ? -EIO : r;
}

/* Start the server in f, log in, run ops ('P' an upload, 'G' a
 * download; each must work), log out, stop the server. */
static void run(struct fake *f, const char *ops)
{
	struct ftp_session *s;
	char err[256], name[32];
	int i;

	fake_start(f);
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	for (i = 0; ops[i]; i++) {
		snprintf(name, sizeof(name), "/f%d", i);
		ck_assert_msg(
			(ops[i] == 'P' ? put(s, name) : get(s, name)) == 0,
			"transfer %d failed: %s", i, session_last_error(s));
	}
	session_close(s);
	fake_join(f);
}

/* Each case: the server, what is done, what the server must have seen
 * (-1: not checked). */
static const struct tcase_def {
	const char *what;
	struct fake conf;
	const char *ops;
	int stored, data_conns, not_resumed, sessions, cmds;
} cases[] = {
	/* Uploads in a row get no ticket on their data connections: the
	 * control connection's tickets must do for all of them, with or
	 * without downloads (which do bring one) in between. */
	{ "uploads, 2 tickets",
	  { .ctrl_tickets = 2 },
	  "PPPPGPPPPGPP",
	  10,
	  12,
	  0,
	  1,
	  -1 },
	{ "uploads, 1 ticket",
	  { .ctrl_tickets = 1 },
	  "PPPPGPPPPGPP",
	  10,
	  12,
	  0,
	  1,
	  -1 },
	{ "uploads, 5 tickets",
	  { .ctrl_tickets = 5 },
	  "PPPPPPPPGPPP",
	  11,
	  12,
	  0,
	  1,
	  -1 },
	/* A server that resumes nothing on data connections but takes
	 * them: the first one is given up (closed, the server says 226:
	 * an empty file), then the session goes on without resuming. */
	{ "server that does not resume",
	  { .ctrl_tickets = 2, .no_resume = true },
	  "PPPPP",
	  6,
	  6,
	  6,
	  1,
	  -1 },
	/* A refused data connection (425) is tried again: connection 2 on
	 * the same control connection, 5 and 6 (twice in a row) there too,
	 * then on a new one. */
	{ "refused data connection tried again",
	  { .ctrl_tickets = 2, .refuse = (1u << 1) | (1u << 4) | (1u << 5) },
	  "PPGPP",
	  4,
	  8,
	  0,
	  2,
	  -1 },
	/* A 425 in answer to the transfer command itself (commands 1, 3
	 * and 4): tried again too. */
	{ "transfer command answered 425 tried again",
	  { .ctrl_tickets = 2,
	    .refuse_cmd = (1u << 0) | (1u << 2) | (1u << 3) },
	  "PG",
	  1,
	  -1,
	  0,
	  2,
	  5 },
};

#define CHECK(field)                                                    \
	do {                                                            \
		if (c->field >= 0)                                      \
			ck_assert_msg(f.field == c->field,              \
				      "%s: " #field " %d, expected %d", \
				      c->what, f.field, c->field);      \
	} while (0)

START_TEST(data_connections_resume)
{
	const struct tcase_def *c = &cases[_i];
	struct fake f = c->conf;

	run(&f, c->ops);
	CHECK(stored);
	CHECK(data_conns);
	CHECK(not_resumed);
	CHECK(sessions);
	CHECK(cmds);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("fake-ftps-server");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, data_connections_resume, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	suite_add_tcase(s, tc);
	return s;
}
