/* Unit tests for the session module against a scripted fake server.
 *
 * The fake server runs in a thread on 127.0.0.1: for each step of a script
 * it reads one command line, checks its prefix, and answers. Steps can open
 * a passive data listener and send data on it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_main.h"
#include "session.h"
#include "fake_ftp.h"

enum act {
	A_REPLY,	  /* just reply */
	A_EPSV,		  /* open a data listener, reply 229 with its port */
	A_EPSV_CLOSED,	  /* reply 229 naming a port nobody listens on (a
			* server that closed it on refusing the command) */
	A_DROP_REST,	  /* drop whatever came after this command, then reply
		      * (Pure-FTPd reading ABOR during a transfer) */
	A_PASV_127_0_0_2, /* listener on 127.0.0.1, reply 227 naming 127.0.0.2 */
	A_SEND,	 /* reply (150), accept data, send payload, close, 226 */
	A_FLOOD, /* reply (150), accept data, send until it breaks */
	A_CLOSE, /* close the control connection */
	A_EPRT,	 /* remember the port in "EPRT |1|addr|port|", reply */
	A_SEND_ACTIVE_SPOOFED, /* reply (150); connect from 127.0.0.2 and
				* send junk, then from 127.0.0.1 and send
				* the payload; 226 */
	A_HOLD,	 /* keep the reply until the next command has come: a
		      * client that waits for it before sending more times
		      * out (the command after it must be pipelined) */
	A_ALONE, /* reply, but fail if more was sent before the reply
		      * (this command must go out on its own) */
};

struct step {
	const char *expect; /* prefix of the command; NULL = greeting */
	const char *reply;
	enum act act;
};

struct fake {
	int lfd, port;
	const struct step *steps;
	int dlfd;
	int aport; /* active mode: the client's data port */
	const char *payload;
	char log[8192];	 /* commands received, one per line */
	int failed_step; /* -1 when the script ran as written */
	pthread_t th;
};

static int listen_any(int *port)
{
	int fd = fake_listen(port);

	ck_assert_int_ge(fd, 0);
	return fd;
}

static void say(int fd, const char *s)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "%s\r\n", s);

	if (write(fd, buf, (size_t)n) != n)
		return;
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	char line[1024], buf[256];
	int cfd = accept(f->lfd, NULL, NULL), i, dfd, port;
	const char *held = NULL;

	for (i = 0; f->steps[i].reply || f->steps[i].act == A_CLOSE; i++) {
		const struct step *st = &f->steps[i];

		if (st->expect) {
			if (fake_read_line(cfd, line, sizeof(line)) < 0)
				goto fail;
			strncat(f->log, line,
				sizeof(f->log) - strlen(f->log) - 2);
			strcat(f->log, "\n");
			if (strncmp(line, st->expect, strlen(st->expect)))
				goto fail;
		}
		if (held && st->act != A_HOLD) {
			say(cfd, held);
			held = NULL;
		}
		switch (st->act) {
		case A_REPLY:
			say(cfd, st->reply);
			break;
		case A_HOLD:
			held = st->reply;
			break;
		case A_ALONE:
			usleep(100000);
			if (recv(cfd, buf, 1, MSG_DONTWAIT | MSG_PEEK) > 0)
				goto fail;
			say(cfd, st->reply);
			break;
		case A_EPSV:
			f->dlfd = listen_any(&port);
			snprintf(buf, sizeof(buf), "%s (|||%d|)", st->reply,
				 port);
			say(cfd, buf);
			break;
		case A_DROP_REST:
			usleep(100000);
			while (recv(cfd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				;
			say(cfd, st->reply);
			break;
		case A_EPSV_CLOSED:
			dfd = listen_any(&port);
			close(dfd);
			snprintf(buf, sizeof(buf), "%s (|||%d|)", st->reply,
				 port);
			say(cfd, buf);
			break;
		case A_PASV_127_0_0_2:
			f->dlfd = listen_any(&port);
			snprintf(buf, sizeof(buf), "%s (127,0,0,2,%d,%d)",
				 st->reply, port / 256, port % 256);
			say(cfd, buf);
			break;
		case A_SEND:
			say(cfd, st->reply);
			dfd = accept(f->dlfd, NULL, NULL);
			if (write(dfd, f->payload, strlen(f->payload)) < 0)
				goto fail;
			close(dfd);
			close(f->dlfd);
			say(cfd, "226 done");
			break;
		case A_FLOOD:
			say(cfd, st->reply);
			dfd = accept(f->dlfd, NULL, NULL);
			memset(buf, 'z', sizeof(buf));
			while (write(dfd, buf, sizeof(buf)) > 0)
				;
			close(dfd);
			close(f->dlfd);
			break;
		case A_CLOSE:
			goto out;
		case A_EPRT: {
			const char *p = strrchr(line, '|');

			/* "EPRT |1|127.0.0.1|PORT|": the field before the last | */
			if (!p)
				goto fail;
			while (p > line && p[-1] != '|')
				p--;
			f->aport = atoi(p);
			say(cfd, st->reply);
			break;
		}
		case A_SEND_ACTIVE_SPOOFED: {
			struct sockaddr_in a = { .sin_family = AF_INET };
			struct sockaddr_in src = { .sin_family = AF_INET };
			int ev = socket(AF_INET, SOCK_STREAM, 0);

			say(cfd, st->reply);
			a.sin_port = htons((uint16_t)f->aport);
			a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			inet_pton(AF_INET, "127.0.0.2", &src.sin_addr);
			if (bind(ev, (struct sockaddr *)&src, sizeof(src)) ==
				    0 &&
			    connect(ev, (struct sockaddr *)&a, sizeof(a)) == 0)
				(void)!write(ev, "EVIL", 4);
			usleep(100000);
			close(ev);
			dfd = socket(AF_INET, SOCK_STREAM, 0);
			if (connect(dfd, (struct sockaddr *)&a, sizeof(a)) <
				    0 ||
			    write(dfd, f->payload, strlen(f->payload)) < 0)
				goto fail;
			close(dfd);
			say(cfd, "226 done");
			break;
		}
		}
	}
	/* drain: anything after the script (QUIT) is answered 221 */
	while (fake_read_line(cfd, line, sizeof(line)) == 0) {
		strncat(f->log, line, sizeof(f->log) - strlen(f->log) - 2);
		strcat(f->log, "\n");
		say(cfd, "221 bye");
	}
	f->failed_step = -1;
	close(cfd);
	return NULL;
fail:
	f->failed_step = i;
out:
	close(cfd);
	return NULL;
}

static char portstr[16];
static struct session_cfg cfg;

static void fake_start(struct fake *f, const struct step *steps)
{
	memset(f, 0, sizeof(*f));
	f->steps = steps;
	f->failed_step = -2;
	f->lfd = listen_any(&f->port);
	snprintf(portstr, sizeof(portstr), "%d", f->port);
	memset(&cfg, 0, sizeof(cfg));
	cfg.host = "127.0.0.1";
	cfg.port = portstr;
	cfg.user = "bob";
	cfg.pass = "pw";
	cfg.path = "";
	cfg.timeout_ms = 3000;
	pthread_create(&f->th, NULL, fake_main, f);
}

static void fake_join(struct fake *f)
{
	pthread_join(f->th, NULL);
	close(f->lfd);
}

/* The fake server's login: the greeting and USER, then PASS, FEAT with
 * feat's lines, TYPE I and PWD "/" (LOGIN_FEAT); LOGIN_STEPS with all the
 * capabilities and a root to unquote. */
#define LOGIN_USER                             \
	{ NULL, "220 fake", A_REPLY },         \
	{                                      \
		"USER bob", "331 pw?", A_REPLY \
	}
#define LOGIN_FEAT(feat)                                                 \
	LOGIN_USER, { "PASS pw", "230 in", A_REPLY },                    \
		{ "FEAT", "211-Features:\r\n" feat "211 End", A_REPLY }, \
		{ "TYPE I", "200 ok", A_REPLY },                         \
	{                                                                \
		"PWD", "257 \"/\"", A_REPLY                              \
	}
#define LOGIN_STEPS                                                                                           \
	LOGIN_USER, { "PASS pw", "230 in", A_REPLY },                                                         \
		{ "FEAT",                                                                                     \
		  "211-Features:\r\n MLST type*;size*;modify*;\r\n SIZE\r\n UTF8\r\n REST STREAM\r\n211 End", \
		  A_REPLY },                                                                                  \
		{ "OPTS UTF8 ON", "200 ok", A_REPLY },                                                        \
		{ "OPTS MLST", "200 ok", A_REPLY },                                                           \
		{ "TYPE I", "200 ok", A_REPLY },                                                              \
	{                                                                                                     \
		"PWD", "257 \"/home/a \"\"q\"\" b\" is cwd", A_REPLY                                          \
	}

START_TEST(login_caps_root)
{
	static const struct step steps[] = { LOGIN_STEPS, { 0 } };
	struct ftp_session *s;
	struct fake f;
	char err[256];

	fake_start(&f, steps);
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(session_caps(s), SESS_CAP_MLST | SESS_CAP_SIZE |
						   SESS_CAP_UTF8 |
						   SESS_CAP_REST);
	ck_assert_str_eq(session_root(s), "/home/a \"q\" b");
	session_close(s);
	fake_join(&f);
	ck_assert_int_eq(f.failed_step, -1);
	ck_assert_ptr_nonnull(strstr(f.log, "QUIT"));
}
END_TEST

START_TEST(login_refused)
{
	static const struct step steps[] = {
		LOGIN_USER,
		{ "PASS pw", "530 Login incorrect.", A_REPLY },
		{ 0 }
	};
	struct ftp_session *s;
	struct fake f;
	char err[256];

	fake_start(&f, steps);
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), -EACCES);
	ck_assert_ptr_nonnull(strstr(err, "Login incorrect"));
	ck_assert_ptr_null(strstr(err, "pw"));
	fake_join(&f);
}
END_TEST

START_TEST(too_many_connections)
{
	static const struct step steps[] = {
		{ NULL, "421 Too many connections", A_REPLY }, { 0 }
	};
	struct ftp_session *s;
	struct fake f;
	char err[256];

	fake_start(&f, steps);
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), -EAGAIN);
	fake_join(&f);
}
END_TEST

START_TEST(not_ftp)
{
	static const struct step steps[] = {
		{ NULL, "SSH-2.0-OpenSSH_9.2", A_REPLY }, { 0 }
	};
	struct ftp_session *s;
	struct fake f;
	char err[256];

	fake_start(&f, steps);
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), -EPROTO);
	fake_join(&f);
}
END_TEST

START_TEST(no_greeting_names_the_server)
{
	/* connections complete in the backlog; nobody ever says 220 */
	struct session_cfg c = { .host = "127.0.0.1",
				 .path = "",
				 .timeout_ms = 300 };
	struct ftp_session *s;
	char err[256], want[64], port[16];
	int p, fd = listen_any(&p);

	snprintf(port, sizeof(port), "%d", p);
	c.port = port;
	ck_assert_int_eq(session_open(&c, &s, err, sizeof(err)), -ETIMEDOUT);
	snprintf(want, sizeof(want), "127.0.0.1:%d: no greeting", p);
	ck_assert_msg(strstr(err, want), "message: %s", err);
	close(fd);
}
END_TEST

START_TEST(crlf_refused)
{
	static const struct step steps[] = { LOGIN_STEPS, { 0 } };
	struct ftp_session *s;
	struct fake f;
	char err[256], buf[16];
	int64_t sz;

	fake_start(&f, steps);
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(session_size(s, "/a\r\nDELE x", &sz), -EINVAL);
	ck_assert_int_eq(session_xfer_start(s, "RETR", "/a\nDELE x", 0),
			 -EINVAL);
	ck_assert_int_eq(session_list(s, "/d\r\nRMD /", 10, NULL, NULL),
			 -EINVAL);
	(void)buf;
	ck_assert(!session_broken(s));
	session_close(s);
	fake_join(&f);
	ck_assert_ptr_null(strstr(f.log, "DELE"));
	ck_assert_ptr_null(strstr(f.log, "RMD"));
}
END_TEST

START_TEST(retr_rest_epsv)
{
	static const struct step steps[] = {
		LOGIN_STEPS,
		{ "EPSV", "229 Entering Extended Passive Mode", A_EPSV },
		{ "REST 5", "350 Restarting", A_REPLY },
		{ "RETR /f", "150 Opening", A_SEND },
		{ 0 }
	};
	struct ftp_session *s;
	struct fake f;
	char err[256], buf[64];
	ssize_t n, got = 0;

	fake_start(&f, steps);
	f.payload = "hello world";
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(session_xfer_start(s, "RETR", "/f", 5), 0);
	while ((n = session_xfer_read(s, buf + got,
				      sizeof(buf) - (size_t)got)) > 0)
		got += n;
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(got, 11);
	ck_assert_int_eq(session_xfer_finish(s), 0);
	session_close(s);
	fake_join(&f);
	ck_assert_int_eq(f.failed_step, -1);
}
END_TEST

/* A refused APPE is EACCES every time and the session stays in step,
 * also pipelined (EPSV+APPE in one write) when the server has closed
 * its passive port on refusing (ProFTPD). */
START_TEST(refused_append_pipelined)
{
	static const struct step steps[] = {
		LOGIN_STEPS,
		{ "EPSV", "229 Entering Extended Passive Mode", A_EPSV },
		{ "APPE /f", "550 /f: Permission denied", A_REPLY },
		{ "EPSV", "229 Entering Extended Passive Mode", A_EPSV_CLOSED },
		{ "APPE /f", "550 /f: Permission denied", A_REPLY },
		{ "EPSV", "229 Entering Extended Passive Mode", A_EPSV_CLOSED },
		{ "APPE /f", "550 /f: Permission denied", A_REPLY },
		{ "SIZE /x", "213 77", A_REPLY },
		{ 0 }
	};
	struct ftp_session *s;
	struct fake f;
	char err[256];
	int64_t sz = 0;
	int i;

	fake_start(&f, steps);
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(session_xfer_start(s, "APPE", "/f", 0),
				 -EACCES);
		ck_assert(!session_broken(s));
	}
	ck_assert_int_eq(session_size(s, "/x", &sz), 0);
	ck_assert_int_eq(sz, 77);
	session_close(s);
	fake_join(&f);
	ck_assert_int_eq(f.failed_step, -1);
}
END_TEST

START_TEST(pasv_address_ignored)
{
	static const struct step steps[] = {
		LOGIN_STEPS,
		{ "EPSV", "500 no EPSV here", A_REPLY },
		{ "PASV", "227 Entering Passive Mode", A_PASV_127_0_0_2 },
		{ "RETR /f", "150 Opening", A_SEND },
		{ 0 }
	};
	struct ftp_session *s;
	struct fake f;
	char err[256], buf[64];
	ssize_t n;

	fake_start(&f, steps);
	f.payload = "data";
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	/* The listener is on 127.0.0.1 only: connecting to 127.0.0.2, as
	 * the reply says, would fail. */
	ck_assert_int_eq(session_xfer_start(s, "RETR", "/f", 0), 0);
	n = session_xfer_read(s, buf, sizeof(buf));
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(session_xfer_read(s, buf, sizeof(buf)), 0);
	ck_assert_int_eq(session_xfer_finish(s), 0);
	session_close(s);
	fake_join(&f);
	ck_assert_int_eq(f.failed_step, -1);
}
END_TEST

/* Start RETR /big, read a little, abort, then SIZE /x must answer 77:
 * the session is in step after the abort. */
static void abort_then_size(const struct step *steps)
{
	struct ftp_session *s;
	struct fake f;
	char err[256], buf[64];
	int64_t sz = 0;

	fake_start(&f, steps);
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(session_xfer_start(s, "RETR", "/big", 0), 0);
	ck_assert_int_gt(session_xfer_read(s, buf, sizeof(buf)), 0);
	ck_assert_int_eq(session_xfer_abort(s), 0);
	ck_assert(!session_broken(s));
	ck_assert_int_eq(session_size(s, "/x", &sz), 0);
	ck_assert_int_eq(sz, 77);
	session_close(s);
	fake_join(&f);
	ck_assert_int_eq(f.failed_step, -1);
}

START_TEST(abort_resyncs)
{
	static const struct step steps[] = {
		LOGIN_STEPS,
		{ "EPSV", "229 Entering Extended Passive Mode", A_EPSV },
		{ "RETR /big", "150 Opening", A_FLOOD },
		{ "ABOR", "426 Transfer aborted\r\n226 ABOR ok", A_REPLY },
		{ "PWD", "257 \"/\"", A_REPLY },
		{ "SIZE /x", "213 77", A_REPLY },
		{ 0 }
	};

	abort_then_size(steps);
}
END_TEST

/* A server that drops what arrived with ABOR: PWD goes only after ABOR's
 * reply, so the session gets back in step instead of waiting. */
START_TEST(abort_pwd_after_reply)
{
	static const struct step steps[] = {
		LOGIN_STEPS,
		{ "EPSV", "229 Entering Extended Passive Mode", A_EPSV },
		{ "RETR /big", "150 Opening", A_FLOOD },
		{ "ABOR", "226 Since you see this ABOR must've succeeded",
		  A_DROP_REST },
		{ "PWD", "257 \"/\"", A_REPLY },
		{ "SIZE /x", "213 77", A_REPLY },
		{ 0 }
	};

	abort_then_size(steps);
}
END_TEST

/* The MDTM write form refused for one path (vsftpd refuses directories
 * with 550) is not taken as "the server cannot" for the next one. */
START_TEST(mtime_refusal_per_path)
{
	static const struct step steps[] = {
		LOGIN_STEPS,
		{ "MDTM 20240102030405 /dir",
		  "550 Could not set file modification time.", A_REPLY },
		{ "MDTM 20240102030405 /f", "213 File modification time set.",
		  A_REPLY },
		{ "MDTM /f", "213 20240102030405", A_REPLY },
		{ 0 }
	};
	struct ftp_session *s;
	struct fake f;
	char err[256];

	fake_start(&f, steps);
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(session_set_mtime(s, "/dir", 1704164645), -EPERM);
	ck_assert_int_eq(session_set_mtime(s, "/f", 1704164645), 0);
	session_close(s);
	fake_join(&f);
	ck_assert_int_eq(f.failed_step, -1);
}
END_TEST

START_TEST(mlst_and_errors)
{
	static const struct step steps[] = {
		LOGIN_STEPS,
		{ "MLST /a b",
		  "250-Listing /a b\r\n type=file;size=5000000000;modify=20240102030405; /a b\r\n250 End",
		  A_REPLY },
		{ "MLST /d",
		  "250-x\r\n Type=cdir;Modify=20240102030405; /d\r\n250 End",
		  A_REPLY },
		{ "MLST /missing", "550 No such file", A_REPLY },
		{ "SIZE /huge", "213 99999999999999999999999", A_REPLY },
		{ "NOOP", "200 ok", A_REPLY },
		{ 0 }
	};
	struct ftp_session *s;
	struct ftp_entry e;
	struct fake f;
	char err[256];
	int64_t sz;

	fake_start(&f, steps);
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(session_mlst(s, "/a b", &e), 0);
	ck_assert_int_eq(e.type, FTP_TYPE_FILE);
	ck_assert_int_eq(e.size, 5000000000LL);
	ck_assert_int_eq(e.mtime.year, 2024);
	ftp_entry_free(&e);
	ck_assert_int_eq(session_mlst(s, "/d", &e), 0);
	ck_assert_int_eq(e.type, FTP_TYPE_DIR);
	ftp_entry_free(&e);
	ck_assert_int_eq(session_mlst(s, "/missing", &e), -ENOENT);
	ck_assert_int_eq(session_size(s, "/huge", &sz), -EPROTO);
	ck_assert_int_eq(session_cmd(s, "NOOP", NULL), 200);
	session_close(s);
	fake_join(&f);
	ck_assert_int_eq(f.failed_step, -1);
}
END_TEST

START_TEST(server_drops)
{
	static const struct step steps[] = { LOGIN_STEPS,
					     { "NOOP", NULL, A_CLOSE },
					     { 0 } };
	struct ftp_session *s;
	struct fake f;
	char err[256];

	fake_start(&f, steps);
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	ck_assert_int_lt(session_cmd(s, "NOOP", NULL), 0);
	ck_assert(session_broken(s));
	ck_assert_int_eq(session_cmd(s, "NOOP", NULL), -ENOTCONN);
	session_close(s);
	fake_join(&f);
}
END_TEST

START_TEST(active_only_the_server_may_connect)
{
	static const struct step steps[] = {
		LOGIN_STEPS,
		{ "EPRT |1|127.0.0.1|", "200 EPRT ok", A_EPRT },
		{ "RETR /f", "150 Opening", A_SEND_ACTIVE_SPOOFED },
		{ 0 }
	};
	struct ftp_session *s;
	struct fake f;
	char err[256], buf[64];
	ssize_t n, got = 0;

	fake_start(&f, steps);
	f.payload = "the real data";
	cfg.active = true;
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(session_xfer_start(s, "RETR", "/f", 0), 0);
	while ((n = session_xfer_read(s, buf + got,
				      sizeof(buf) - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = '\0';
	/* the connection from 127.0.0.2 was refused, not read */
	ck_assert_str_eq(buf, "the real data");
	ck_assert_int_eq(session_xfer_finish(s), 0);
	session_close(s);
	fake_join(&f);
	ck_assert_int_eq(f.failed_step, -1);
}
END_TEST

START_TEST(reply_to_nothing)
{
	static const struct step steps[] = {
		LOGIN_STEPS,
		{ "NOOP", "200 ok\r\n150 a reply to no command", A_REPLY },
		{ 0 }
	};
	struct ftp_session *s;
	struct fake f;
	char err[256];

	fake_start(&f, steps);
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(session_cmd(s, "NOOP", NULL), 200);
	usleep(100000);
	/* the stray 150 must not be taken for SIZE's answer */
	ck_assert_int_eq(session_cmd(s, "SIZE", "/x"), -EPROTO);
	ck_assert(session_broken(s));
	session_close(s);
	fake_join(&f);
	ck_assert_ptr_null(strstr(f.log, "SIZE"));
}
END_TEST

/* A LIST-only server saying SYST "VMS": the listing goes through one
 * listparse context (multi-line entry joined, older version dropped), SYST
 * is asked once per session, and a line that is not understood is warned
 * about once, naming the directory. */
struct names {
	char buf[256];
	int n;
};

static int collect(void *ctx, struct ftp_entry *e)
{
	struct names *nm = ctx;

	strncat(nm->buf, e->name, sizeof(nm->buf) - strlen(nm->buf) - 2);
	strcat(nm->buf, "|");
	nm->n++;
	ftp_entry_free(e);
	return 0;
}

START_TEST(list_vms_syst)
{
	static const struct step steps[] = {
		LOGIN_FEAT(" SIZE\r\n"),
		{ "SYST", "215 VMS", A_REPLY },
		{ "CWD /d", "250 ok", A_REPLY },
		{ "EPSV", "229 Entering Extended Passive Mode", A_EPSV },
		{ "LIST -a", "150 Opening", A_SEND },
		{ "CWD /e", "250 ok", A_REPLY },
		{ "EPSV", "229 Entering Extended Passive Mode", A_EPSV },
		{ "LIST -a", "150 Opening", A_SEND },
		{ 0 }
	};
	struct ftp_session *s;
	struct names nm = { "", 0 };
	struct fake f;
	char err[256], out[4096];
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	ck_assert_ptr_nonnull(tmp);
	fake_start(&f, steps);
	f.payload =
		"Directory DISK$USER:[BOB]\r\n\r\n"
		"LONG_FILE_NAME.TXT;2\r\n"
		"        4/15  24-FEB-2003 13:17:24  [BOB]  (RWED,RWED,RE,)\r\n"
		"LONG_FILE_NAME.TXT;1   3/15  23-FEB-2003 13:17:24  [BOB]\r\n"
		"SUB.DIR;1   1/3  2-JUN-1998 07:32:04  [BOB]  (RWE,RWE,RE,)\r\n"
		"%RMS-E-PRV, insufficient privilege\r\n\r\n"
		"Total of 3 files, 8 blocks.\r\n";
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	ck_assert_int_eq(session_list(s, "/d", 100, collect, &nm), 0);
	ck_assert_int_eq(session_list(s, "/e", 100, collect, &nm), 0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	session_close(s);
	fake_join(&f);
	ck_assert_int_eq(f.failed_step, -1);
	ck_assert_str_eq(nm.buf,
			 "LONG_FILE_NAME.TXT|SUB|LONG_FILE_NAME.TXT|SUB|");
	/* SYST once for the two listings */
	ck_assert_ptr_null(strstr(strstr(f.log, "SYST") + 4, "SYST"));
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	ck_assert_msg(strstr(out, "listing of /d: skipped 1 line(s)") &&
			      strstr(out, "listing of /e: skipped 1 line(s)"),
		      "stderr: %s", out);
}
END_TEST

/* No command line over 2048 bytes (CRLF included) is ever sent: servers
 * that cut longer lines may run the rest as a command (pyftpdlib). */
START_TEST(no_line_over_2048)
{
	static const struct step steps[] = { LOGIN_STEPS,
					     { "MKD /ok", "257 made", A_REPLY },
					     { 0 } };
	struct ftp_session *s;
	struct fake f;
	char err[256], path[2100];

	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	fake_start(&f, steps);
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	path[2048 - 6] = '\0'; /* "MKD " + path + CRLF: 2048 bytes */
	ck_assert_int_eq(session_mkdir(s, path), -ENAMETOOLONG); /* unsent */
	ck_assert(!session_broken(s));
	ck_assert_int_eq(session_mkdir(s, "/ok"), 0);
	session_close(s);
	fake_join(&f);
	ck_assert_int_eq(f.failed_step, -1);
}
END_TEST

/* A 500 to a long command line is the server's line limit (pyftpdlib:
 * "500 Command too long."): ENAMETOOLONG, the session is dropped (the rest
 * of the line may be read as a command), and no line as long is sent
 * again, by any session sharing the limit. A 500 to a short line stays
 * EOPNOTSUPP. */
START_TEST(line_too_long)
{
	static const struct step steps[] = {
		LOGIN_STEPS,
		{ "MKD /xxx", "500 Command too long.", A_REPLY },
		{ 0 }
	};
	static const struct step steps2[] = {
		LOGIN_STEPS,
		{ "MKD /short", "257 made", A_REPLY },
		{ "SITE NOSUCH", "500 Unknown command.", A_REPLY },
		{ "SITE XXXX", "500 Unknown command.", A_REPLY },
		{ 0 }
	};
	_Atomic size_t limit = SIZE_MAX;
	struct ftp_session *s;
	struct fake f;
	char err[256], path[601];

	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	fake_start(&f, steps);
	cfg.line_limit = &limit;
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(session_mkdir(s, path), -ENAMETOOLONG);
	ck_assert(session_broken(s));
	ck_assert_uint_eq(limit, strlen("MKD ") + 600 + 2);
	session_close(s);
	fake_join(&f);
	ck_assert_int_eq(f.failed_step, -1);

	fake_start(&f, steps2);
	cfg.line_limit = &limit;
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(session_mkdir(s, path), -ENAMETOOLONG); /* unsent */
	ck_assert(!session_broken(s));
	ck_assert_int_eq(session_mkdir(s, "/short"), 0);
	ck_assert_int_eq(session_cmd(s, "SITE", "NOSUCH"), 500);
	ck_assert(!session_broken(s));
	/* long, but the 500 does not say the line was too long */
	path[0] = 'X';
	memset(path + 1, 'X', 3);
	path[400] = '\0';
	ck_assert_int_eq(session_cmd(s, "SITE", path), 500);
	ck_assert(!session_broken(s));
	session_close(s);
	fake_join(&f);
	ck_assert_int_eq(f.failed_step, -1);
	ck_assert_ptr_null(strstr(f.log, "MKD /xxx"));
}
END_TEST

/* LIST of one name: "LIST path", without CWD there */
START_TEST(list_one_path)
{
	static const struct step steps[] = {
		LOGIN_STEPS,
		{ "SYST", "215 UNIX Type: L8", A_REPLY },
		{ "EPSV", "229 Entering Extended Passive Mode", A_EPSV },
		{ "LIST /pub/with space.txt", "150 Opening", A_SEND },
		{ 0 }
	};
	struct ftp_session *s;
	struct names nm = { "", 0 };
	struct fake f;
	char err[256];

	fake_start(&f, steps);
	f.payload = "-rw-r--r--    1 0        0               5 Dec 02 03:28 "
		    "with space.txt\r\n";
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(session_list_path(s, "/pub/with space.txt", 8, collect,
					   &nm),
			 0);
	session_close(s);
	fake_join(&f);
	ck_assert_int_eq(f.failed_step, -1);
	ck_assert_str_eq(nm.buf, "with space.txt|");
	ck_assert_ptr_null(strstr(f.log, "CWD"));
}
END_TEST

START_TEST(code_errno)
{
	ck_assert_int_eq(session_code_errno(226, false), 0);
	ck_assert_int_eq(session_code_errno(550, false), -ENOENT);
	ck_assert_int_eq(session_code_errno(552, true), -ENOSPC);
	ck_assert_int_eq(session_code_errno(530, false), -EACCES);
	ck_assert_int_eq(session_code_errno(421, false), -ECONNRESET);
	ck_assert_int_eq(session_code_errno(451, false), -EIO);
	ck_assert_int_eq(session_code_errno(550, true), -EACCES);
	ck_assert_int_eq(session_code_errno(553, true), -EACCES);
}
END_TEST

/* RNFR and RNTO go out in one write (the fake answers the RNFR only
 * once the RNTO has come); a refused RNFR reads the RNTO's 503 too and
 * the session stays in step. */
START_TEST(rename_pipelined)
{
	static const struct step steps[] = {
		LOGIN_STEPS,
		{ "RNFR /d/.tmp1", "350 ready", A_HOLD },
		{ "RNTO /d/f1", "250 renamed", A_REPLY },
		{ "RNFR /d/gone", "550 no such file", A_HOLD },
		{ "RNTO /d/f2", "503 RNFR first", A_REPLY },
		{ "SIZE /x", "213 77", A_REPLY },
		{ "RNFR /d/.tmp3", "350 ready", A_HOLD },
		{ "RNTO /d/f3", "250 renamed", A_REPLY },
		{ 0 }
	};
	struct ftp_session *s;
	struct fake f;
	char err[256];
	int64_t sz = 0;

	fake_start(&f, steps);
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(session_rename(s, "/d/.tmp1", "/d/f1"), 0);
	ck_assert_int_eq(session_rename(s, "/d/gone", "/d/f2"), -ENOENT);
	ck_assert_ptr_nonnull(strstr(session_last_error(s), "RNFR: 550"));
	ck_assert(!session_broken(s));
	ck_assert_int_eq(session_size(s, "/x", &sz), 0);
	ck_assert_int_eq(sz, 77);
	ck_assert_int_eq(session_rename(s, "/d/.tmp3", "/d/f3"), 0);
	session_close(s);
	fake_join(&f);
	ck_assert_int_eq(f.failed_step, -1);
}
END_TEST

/* After an RNTO that failed, the server may still hold its RNFR: the
 * next rename waits for the 350 before it sends RNTO, and pipelining
 * resumes once a rename worked. */
START_TEST(rename_alone_after_failed_rnto)
{
	static const struct step steps[] = {
		LOGIN_STEPS,
		{ "RNFR /a", "350 ready", A_HOLD },
		{ "RNTO /b", "553 not allowed", A_REPLY },
		{ "RNFR /a", "350 ready", A_ALONE },
		{ "RNTO /c", "250 renamed", A_REPLY },
		{ "RNFR /c", "350 ready", A_HOLD },
		{ "RNTO /d", "250 renamed", A_REPLY },
		{ 0 }
	};
	struct ftp_session *s;
	struct fake f;
	char err[256];

	fake_start(&f, steps);
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(session_rename(s, "/a", "/b"), -EACCES);
	ck_assert_ptr_nonnull(strstr(session_last_error(s), "RNTO: 553"));
	ck_assert(!session_broken(s));
	ck_assert_int_eq(session_rename(s, "/a", "/c"), 0);
	ck_assert_int_eq(session_rename(s, "/c", "/d"), 0);
	session_close(s);
	fake_join(&f);
	ck_assert_int_eq(f.failed_step, -1);
}
END_TEST

/* -o no_pipeline: RNFR alone, RNTO after its 350. */
START_TEST(rename_no_pipeline)
{
	static const struct step steps[] = {
		LOGIN_STEPS,
		{ "RNFR /a", "350 ready", A_ALONE },
		{ "RNTO /b", "250 renamed", A_REPLY },
		{ 0 }
	};
	struct ftp_session *s;
	struct fake f;
	char err[256];

	fake_start(&f, steps);
	cfg.no_pipeline = true;
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(session_rename(s, "/a", "/b"), 0);
	session_close(s);
	fake_join(&f);
	ck_assert_int_eq(f.failed_step, -1);
}
END_TEST

START_TEST(checksum_hash)
{
	static const struct step steps[] = {
		LOGIN_FEAT(
			" HASH CRC32;MD5;SHA-1*;SHA-256;SHA-512;\r\n XSHA256\r\n"),
		/* SHA-1 is selected: no OPTS */
		{ "HASH /a b",
		  "213-Computing SHA-1 digest\r\n213 SHA-1 0-5 F572D396FAE9206628714FB2CE00F72E94F2258F /a b",
		  A_REPLY },
		{ "OPTS HASH SHA-256", "200 SHA-256", A_REPLY },
		{ "HASH /f",
		  "213 SHA-256 0-5 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03 /f",
		  A_REPLY },
		{ "HASH /d", "553 /d: Not a regular file", A_REPLY },
		{ "OPTS HASH MD5", "504 no", A_REPLY },
		{ "NOOP", "200 ok", A_REPLY },
		{ 0 }
	};
	struct ftp_session *s;
	struct fake f;
	char err[256], out[DIGEST_HEX_MAX];

	fake_start(&f, steps);
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(session_caps(s) &
				  (SESS_CAP_SUM_SHA256 | SESS_CAP_SUM_SHA1 |
				   SESS_CAP_SUM_MD5 | SESS_CAP_SUM_CRC32),
			  SESS_CAP_SUM_SHA256 | SESS_CAP_SUM_SHA1 |
				  SESS_CAP_SUM_MD5 | SESS_CAP_SUM_CRC32);
	ck_assert_int_eq(session_checksum(s, DIGEST_SHA1, "/a b", out), 0);
	ck_assert_str_eq(out, "f572d396fae9206628714fb2ce00f72e94f2258f");
	ck_assert_int_eq(session_checksum(s, DIGEST_SHA256, "/f", out), 0);
	ck_assert_str_eq(
		out,
		"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
	/* selected now: no second OPTS */
	ck_assert_int_eq(session_checksum(s, DIGEST_SHA256, "/d", out),
			 -EACCES);
	ck_assert_int_eq(session_checksum(s, DIGEST_MD5, "/f", out),
			 -EOPNOTSUPP);
	ck_assert(!session_broken(s));
	ck_assert_int_eq(session_cmd(s, "NOOP", NULL), 200);
	session_close(s);
	fake_join(&f);
	ck_assert_int_eq(f.failed_step, -1);
}
END_TEST

START_TEST(checksum_x_commands)
{
	static const struct step steps[] = {
		LOGIN_FEAT(" XMD5\r\n XCRC\r\n XSHA\r\n"),
		{ "XMD5 /f",
		  "250-Computing MD5 digest\r\n250 B1946AC92492D2347C6235B4D2611184",
		  A_REPLY },
		{ "XCRC /f", "250 363A3020", A_REPLY },
		{ "XCRC /g", "250 Computing", A_REPLY },
		{ "NOOP", "200 ok", A_REPLY },
		{ 0 }
	};
	struct ftp_session *s;
	struct fake f;
	char err[256], out[DIGEST_HEX_MAX];

	fake_start(&f, steps);
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	/* "XSHA" alone is not taken for XSHA1 */
	ck_assert_uint_eq(session_caps(s) &
				  (SESS_CAP_SUM_SHA256 | SESS_CAP_SUM_SHA1 |
				   SESS_CAP_SUM_MD5 | SESS_CAP_SUM_CRC32),
			  SESS_CAP_SUM_MD5 | SESS_CAP_SUM_CRC32);
	ck_assert_int_eq(session_checksum(s, DIGEST_MD5, "/f", out), 0);
	ck_assert_str_eq(out, "b1946ac92492d2347c6235b4d2611184");
	ck_assert_int_eq(session_checksum(s, DIGEST_CRC32, "/f", out), 0);
	ck_assert_str_eq(out, "363a3020");
	ck_assert_int_eq(session_checksum(s, DIGEST_CRC32, "/g", out), -EPROTO);
	/* not offered: nothing is sent */
	ck_assert_int_eq(session_checksum(s, DIGEST_SHA256, "/f", out),
			 -EOPNOTSUPP);
	ck_assert_int_eq(session_cmd(s, "NOOP", NULL), 200);
	session_close(s);
	fake_join(&f);
	ck_assert_int_eq(f.failed_step, -1);
}
END_TEST

/* A refused EPSV is remembered (quirk no_epsv): the next transfer asks
 * for PASV at once. */
START_TEST(epsv_refusal_remembered)
{
	static const struct step steps[] = {
		LOGIN_STEPS,
		{ "EPSV", "500 no EPSV here", A_REPLY },
		{ "PASV", "227 Entering Passive Mode", A_PASV_127_0_0_2 },
		{ "RETR /f", "150 Opening", A_SEND },
		{ "PASV", "227 Entering Passive Mode", A_PASV_127_0_0_2 },
		{ "RETR /g", "150 Opening", A_SEND },
		{ 0 }
	};
	struct ftp_session *s;
	struct fake f;
	char err[256], buf[64];
	int i;

	fake_start(&f, steps);
	f.payload = "data";
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(
			session_xfer_start(s, "RETR", i ? "/g" : "/f", 0), 0);
		ck_assert_int_eq(session_xfer_read(s, buf, sizeof(buf)), 4);
		ck_assert_int_eq(session_xfer_read(s, buf, sizeof(buf)), 0);
		ck_assert_int_eq(session_xfer_finish(s), 0);
	}
	session_close(s);
	fake_join(&f);
	ck_assert_int_eq(f.failed_step, -1);
}
END_TEST

/* Once EPSV has worked, EPSV+REST+RETR go out in one write; a REST
 * refused then gives the session up (-EIO, broken) with no data
 * connection left open. */
START_TEST(pipelined_rest_refused)
{
	static const struct step steps[] = {
		LOGIN_STEPS,
		{ "EPSV", "229 Entering Extended Passive Mode", A_EPSV },
		{ "RETR /f", "150 Opening", A_SEND },
		{ "EPSV", "229 Entering Extended Passive Mode", A_EPSV },
		{ "REST 5", "502 no REST", A_REPLY },
		{ "RETR /g", "150 Opening", A_REPLY },
		{ 0 }
	};
	struct ftp_session *s;
	struct fake f;
	char err[256], buf[64];

	fake_start(&f, steps);
	f.payload = "data";
	ck_assert_int_eq(session_open(&cfg, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(session_xfer_start(s, "RETR", "/f", 0), 0);
	ck_assert_int_eq(session_xfer_read(s, buf, sizeof(buf)), 4);
	ck_assert_int_eq(session_xfer_read(s, buf, sizeof(buf)), 0);
	ck_assert_int_eq(session_xfer_finish(s), 0);
	ck_assert_int_eq(session_xfer_start(s, "RETR", "/g", 5), -EIO);
	ck_assert(session_broken(s));
	ck_assert(!session_xfer_active(s));
	ck_assert_ptr_nonnull(strstr(session_last_error(s), "REST refused"));
	session_close(s);
	close(f.dlfd);
	fake_join(&f);
	ck_assert_int_eq(f.failed_step, -1);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("fake-server");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, login_caps_root);
	tcase_add_test(tc, login_refused);
	tcase_add_test(tc, too_many_connections);
	tcase_add_test(tc, not_ftp);
	tcase_add_test(tc, no_greeting_names_the_server);
	tcase_add_test(tc, crlf_refused);
	tcase_add_test(tc, retr_rest_epsv);
	tcase_add_test(tc, pasv_address_ignored);
	tcase_add_test(tc, refused_append_pipelined);
	tcase_add_test(tc, abort_pwd_after_reply);
	tcase_add_test(tc, mtime_refusal_per_path);
	tcase_add_test(tc, abort_resyncs);
	tcase_add_test(tc, mlst_and_errors);
	tcase_add_test(tc, server_drops);
	tcase_add_test(tc, reply_to_nothing);
	tcase_add_test(tc, active_only_the_server_may_connect);
	tcase_add_test(tc, code_errno);
	tcase_add_test(tc, list_vms_syst);
	tcase_add_test(tc, line_too_long);
	tcase_add_test(tc, no_line_over_2048);
	tcase_add_test(tc, list_one_path);
	tcase_add_test(tc, rename_pipelined);
	tcase_add_test(tc, rename_alone_after_failed_rnto);
	tcase_add_test(tc, rename_no_pipeline);
	tcase_add_test(tc, checksum_hash);
	tcase_add_test(tc, checksum_x_commands);
	tcase_add_test(tc, epsv_refusal_remembered);
	tcase_add_test(tc, pipelined_rest_refused);
	suite_add_tcase(s, tc);
	return s;
}
