/* session — one FTP control connection and its single data transfer.
 *
 * Ordering rules (RFC 959, RFC 2428, RFC 3659):
 *  - one command at a time on the control channel; every command's reply is
 *    read before the next is sent, except that the 1xx preliminary reply of
 *    a transfer is followed later by its final reply;
 *  - REST is the last command before RETR ("The REST command must be the
 *    last command issued before the data transfer command", RFC 3659 5.3),
 *    so EPSV/PASV comes first;
 *  - the address in a PASV reply is ignored unless cfg->pasv_ip: the data
 *    connection goes to the control connection's peer (a hostile server
 *    could otherwise point us at any host: the "FTP bounce" problem);
 *    through a proxy the control connection's peer is the proxy, so the
 *    data connection goes through it to cfg->host, as the control did;
 *  - an early stop closes the data connection, sends ABOR, and once ABOR's
 *    first reply is in, PWD, and reads replies until PWD's 257: whatever the server answered to the
 *    transfer and to ABOR (426+226, 225, 226 alone...) is consumed, and the
 *    channel is in sync again. If that fails the session is broken.
 */
#include "session.h"

#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "errclass.h"
#include "log.h"
#include "net.h"
#include "proxy.h"
#include "reply.h"
#include "status.h"
#include "tls.h"

#define CTRL_BUF 16384
/* The longest command line we send, CRLF included. Servers cut longer
 * lines, and some run what follows the cut as a command of its own:
 * pyftpdlib drops what it holds once a line passes 2048 bytes and reads
 * the rest, arriving in later TCP segments, as a new line. A name on the
 * server (made by anyone) could then carry a command into a long path.
 * No line longer than 2048 bytes is ever sent: ENAMETOOLONG instead. */
#define CMD_MAX 2048
#define MDTM_BATCH 32 /* MDTM commands sent before reading their replies */

struct ftp_session {
	const struct session_cfg *cfg;
	struct net_conn *ctrl;
	struct net_conn *data;
	struct net_listener *listener; /* active mode, until accepted */
	struct reply_parser *rp;
	char buf[CTRL_BUF]; /* bytes read from ctrl, not yet parsed */
	size_t buf_off, buf_len;
	unsigned caps;
	bool broken;
	bool no_epsv;      /* EPSV refused once: use PASV */
	bool epsv_ok;      /* EPSV answered 229 here: pipeline it */
	bool rest_ok;      /* REST answered 350 here */
	bool no_eprt;      /* EPRT refused once: use PORT */
	bool list_no_a;    /* "LIST -a" refused once: use LIST */
	bool no_mdtm;      /* MDTM unknown to the server */
	bool rnto_failed;  /* the last RNTO after an accepted RNFR failed:
			    * the server may still hold that RNFR */
	int site_symlink;  /* SITE HELP lists SYMLINK: 1, does not: -1, 0 ? */
	bool syst_asked;   /* SYST sent (once, before the first LIST) */
	enum listparse_fmt list_hint; /* from the SYST reply */
	bool upload;       /* the current transfer is STOR/APPE */
	bool prot_p;       /* data connections are TLS (PROT P) */
	bool tls_again;    /* this data connection is a second try */
	bool resume_optional; /* the server took a data connection that
				* did not resume the TLS session */
	int mtime_method;  /* 0 unknown, 1 works, -1 the server cannot */
	char *cwd;         /* known working directory, or NULL */
	char *root;
	unsigned hash_algos; /* 1 << algo: FEAT's HASH line offers it */
	unsigned x_algos;  /* 1 << algo: FEAT lists its X command */
	int hash_sel;      /* the algorithm HASH uses now, -1 unknown */
	struct digest *sent; /* verify_upload: the current STOR's bytes */
	bool sent_on;      /* sent counts the current (or last) STOR */
	unsigned id;       /* "[S<id>]" in -o ftp_trace lines */
	size_t sent_len;   /* the last command line's length, CRLF included */
	char errmsg[640];
};

static atomic_uint next_id;

unsigned session_caps(const struct ftp_session *s)
{
	return s->caps;
}

bool session_broken(const struct ftp_session *s)
{
	return s->broken;
}

const char *session_root(const struct ftp_session *s)
{
	return s->root ? s->root : "";
}

const char *session_last_error(const struct ftp_session *s)
{
	return s->errmsg;
}

const char *session_reply(const struct ftp_session *s)
{
	return reply_text(s->rp);
}

bool session_xfer_active(const struct ftp_session *s)
{
	return s->data != NULL;
}

int session_user_errno(int r)
{
	return err_user(r);
}

int session_code_errno(int code, bool upload)
{
	return err_reply_errno(code, upload);
}

static int fail(struct ftp_session *s, int err, const char *what)
{
	if (err_breaks_session(err))
		s->broken = true;
	if (s->ctrl && net_tls(s->ctrl) && net_tls_error(s->ctrl)[0])
		snprintf(s->errmsg, sizeof(s->errmsg), "%s: TLS: %s", what,
			 net_tls_error(s->ctrl));
	else
		snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s", what,
			 strerror(-err));
	return err;
}

/* The errno for a reply that is not the one expected. A refusal (4xx,
 * 5xx) is the command's answer; any other code (a 1xx or 2xx where none
 * fits) means the dialogue is out of step: the session is dropped. */
static int refused(struct ftp_session *s, int code, bool upload)
{
	if (code >= 400)
		return session_code_errno(code, upload);
	return fail(s, -EPROTO, "unexpected reply");
}

/* Servers limit the command line (pyftpdlib 2048 bytes, ProFTPD's
 * CommandBufferSize 512 by default) and answer a longer one with 500,
 * RFC 959's "Syntax error, command unrecognized. This may include errors
 * such as command line too long." (a 500 that does not say "long" is
 * taken for an unknown command). What follows the cut may be answered as
 * a command of its own, so the session is dropped; the length is
 * remembered (cfg->line_limit) so that no line as long is sent again. */
#define LONG_LINE 256

static int line_too_long(struct ftp_session *s)
{
	_Atomic size_t *lim = s->cfg->line_limit;
	size_t cur;

	log_info("the server refused a command line of %zu bytes as too "
		 "long: longer paths get ENAMETOOLONG", s->sent_len);
	if (lim) {
		cur = *lim;
		while (s->sent_len < cur &&
		       !atomic_compare_exchange_weak(lim, &cur, s->sent_len))
			;
	}
	s->broken = true;
	snprintf(s->errmsg, sizeof(s->errmsg), "command line too long: %.200s",
		 reply_text(s->rp));
	return -ENAMETOOLONG;
}

/* Read one complete reply; returns its code or a negative errno. */
static int read_reply(struct ftp_session *s)
{
	bool done = false;
	ssize_t n;

	if (s->broken)
		return -ENOTCONN;
	reply_parser_reset(s->rp);
	for (;;) {
		if (s->buf_off < s->buf_len) {
			n = reply_parser_feed(s->rp, s->buf + s->buf_off,
					      s->buf_len - s->buf_off, &done);
			if (n < 0)
				return fail(s, (int)n, "malformed reply");
			s->buf_off += (size_t)n;
			if (done)
				break;
		}
		s->buf_off = s->buf_len = 0;
		n = net_read(s->ctrl, s->buf, sizeof(s->buf));
		if (n == 0)
			return fail(s, -ECONNRESET, "control connection closed");
		if (n < 0)
			return fail(s, (int)n, "reading reply");
		s->buf_len = (size_t)n;
	}
	if (s->cfg->trace)
		log_info("[S%u] < %s", s->id, reply_text(s->rp));
	if (reply_code(s->rp) == 500 && s->sent_len > LONG_LINE &&
	    strcasestr(reply_text(s->rp), "long"))
		return line_too_long(s);
	if (reply_code(s->rp) == 421) {
		s->broken = true;
		snprintf(s->errmsg, sizeof(s->errmsg), "server: %.200s",
			 reply_text(s->rp));
	}
	return reply_code(s->rp);
}

static bool arg_ok(const char *arg)
{
	return !arg || !strpbrk(arg, "\r\n");
}

/* Append "cmd arg\r\n" to line (len bytes used of CMD_MAX); the new
 * length or a negative errno. */
static int format_cmd(struct ftp_session *s, char *line, size_t len,
		      const char *cmd, const char *arg)
{
	int n;

	if (!arg_ok(arg))
		return -EINVAL;
	n = snprintf(line + len, CMD_MAX - len, "%s%s%s\r\n", cmd,
		     arg ? " " : "", arg ? arg : "");
	if (n < 0 || (size_t)n >= CMD_MAX - len)
		return -ENAMETOOLONG;
	if (s->cfg->line_limit && (size_t)n >= *s->cfg->line_limit)
		return -ENAMETOOLONG; /* the server refused one as long */
	s->sent_len = (size_t)n;
	if (s->cfg->trace)
		log_info("[S%u] > %s%s%s", s->id, cmd, arg ? " " : "",
			 !arg ? "" : strcmp(cmd, "PASS") ? arg : "****");
	return (int)len + n;
}

static int send_line(struct ftp_session *s, const char *line, size_t n)
{
	int r;

	if (s->broken)
		return -ENOTCONN;
	r = net_write_all(s->ctrl, line, n);
	if (r < 0)
		return fail(s, r, "sending command");
	return 0;
}

static int send_cmd(struct ftp_session *s, const char *cmd, const char *arg)
{
	char line[CMD_MAX];
	int n;

	if (s->broken)
		return -ENOTCONN;
	n = format_cmd(s, line, 0, cmd, arg);
	if (n < 0)
		return n;
	return send_line(s, line, (size_t)n);
}

/* Nothing may be waiting before a command: a reply to nothing (an extra
 * 150, a late 226, a 421 before closing) means the dialogue is out of
 * step, and every answer after it would be misread. */
static int check_quiet(struct ftp_session *s, const char *cmd)
{
	if (!s->broken && !s->data &&
	    (s->buf_off < s->buf_len || net_readable(s->ctrl))) {
		if (s->cfg->trace)
			log_info("[S%u] unexpected data before %s: dropping "
				 "session", s->id, cmd);
		return fail(s, -EPROTO, "reply to no command");
	}
	return 0;
}

bool session_reusable(struct ftp_session *s)
{
	return !s->broken && (s->data || check_quiet(s, "its next use") == 0);
}

int session_cmd(struct ftp_session *s, const char *cmd, const char *arg)
{
	int r;

	r = check_quiet(s, cmd);
	if (r == 0)
		r = send_cmd(s, cmd, arg);
	if (r < 0)
		return r;
	return read_reply(s);
}

/* Copy the first line of the last reply's text after the code. */
static void first_line(const struct ftp_session *s, char *out, size_t n)
{
	const char *t = reply_first_text(s->rp);
	size_t l = strcspn(t, "\n");

	if (l >= n)
		l = n - 1;
	memcpy(out, t, l);
	out[l] = '\0';
}

/* draft-bryan-ftpext-hash names, by enum digest_algo */
static const char *const hash_names[DIGEST_N] = { "SHA-256", "SHA-1", "MD5",
						  "CRC32" };
/* the older X commands, by enum digest_algo */
static const char *const x_cmds[DIGEST_N] = { "XSHA256", "XSHA1", "XMD5",
					      "XCRC" };

/* "SHA-1;SHA-256*;SHA-512;MD5" (draft-bryan-ftpext-hash 3.1): the '*'
 * marks the algorithm HASH uses until OPTS HASH chooses another. */
static void parse_feat_hash(struct ftp_session *s, const char *f, size_t l)
{
	while (l) {
		size_t n = 0, w;
		int a;

		while (n < l && f[n] != ';')
			n++;
		w = n && f[n - 1] == '*' ? n - 1 : n;
		for (a = 0; a < DIGEST_N; a++)
			if (strlen(hash_names[a]) == w &&
			    !strncasecmp(f, hash_names[a], w)) {
				s->hash_algos |= 1u << a;
				if (w < n)
					s->hash_sel = a;
			}
		f += n < l ? n + 1 : n;
		l -= n < l ? n + 1 : n;
	}
}

/* " XSHA256", " XCRC"... ("XSHA" alone is not taken: SHA-1 on some
 * servers, SHA-512 on others) */
static void parse_feat_x(struct ftp_session *s, const char *f, size_t l)
{
	int a;

	for (a = 0; a < DIGEST_N; a++)
		if (strlen(x_cmds[a]) == l && !strncasecmp(f, x_cmds[a], l))
			s->x_algos |= 1u << a;
}

static void parse_feat(struct ftp_session *s)
{
	const char *t = reply_text(s->rp);

	while (t && *t) {
		const char *nl = strchr(t, '\n');
		size_t l = nl ? (size_t)(nl - t) : strlen(t);
		const char *f = t;

		while (l && *f == ' ') {
			f++;
			l--;
		}
		if (l >= 4 && !strncasecmp(f, "MLST", 4) &&
		    (l == 4 || f[4] == ' '))
			s->caps |= SESS_CAP_MLST;
		else if (l == 4 && !strncasecmp(f, "SIZE", 4))
			s->caps |= SESS_CAP_SIZE;
		else if (l == 4 && !strncasecmp(f, "MDTM", 4))
			s->caps |= SESS_CAP_MDTM;
		else if (l >= 11 && !strncasecmp(f, "REST STREAM", 11))
			s->caps |= SESS_CAP_REST;
		else if (l >= 4 && !strncasecmp(f, "UTF8", 4))
			s->caps |= SESS_CAP_UTF8;
		else if (l == 4 && !strncasecmp(f, "AVBL", 4))
			s->caps |= SESS_CAP_AVBL;
		else if (l == 4 && !strncasecmp(f, "MFMT", 4))
			s->caps |= SESS_CAP_MFMT;
		else if (l > 5 && !strncasecmp(f, "HASH ", 5))
			parse_feat_hash(s, f + 5, l - 5);
		else
			parse_feat_x(s, f, l);
		t = nl ? nl + 1 : NULL;
	}
	for (int a = 0; a < DIGEST_N; a++)
		if ((s->hash_algos | s->x_algos) & (1u << a))
			s->caps |= SESS_CAP_SUM(a);
	/* "REST STREAM" in FEAT: REST may go out pipelined from the start */
	s->rest_ok = s->caps & SESS_CAP_REST;
}

/* "257 "/a ""quoted"" dir" is created" → /a "quoted" dir (RFC 959 App. II) */
static char *parse_pwd(const char *t)
{
	const char *p = strchr(t, '"');
	char *out, *o;

	if (!p)
		return NULL;
	out = o = malloc(strlen(p) + 1);
	if (!out)
		return NULL;
	for (p++; *p && *p != '\n'; p++) {
		if (*p == '"') {
			if (p[1] != '"')
				break;
			p++;
		}
		*o++ = *p;
	}
	if (*p != '"') {
		free(out);
		return NULL;
	}
	*o = '\0';
	return out;
}

static int find_root(struct ftp_session *s)
{
	const char *path = s->cfg->path;
	size_t l;
	int code;

	if (path && *path) {
		code = session_cmd(s, "CWD", path);
		if (code < 0)
			return code;
		if (code != 250) {
			snprintf(s->errmsg, sizeof(s->errmsg),
				 "cannot change to %s: %.200s", path,
				 reply_text(s->rp));
			return refused(s, code, false);
		}
	}
	code = session_cmd(s, "PWD", NULL);
	if (code < 0)
		return code;
	if (code == 257)
		s->root = parse_pwd(reply_first_text(s->rp));
	if (!s->root || s->root[0] != '/') {
		/* No usable PWD: take the URL path as absolute. */
		free(s->root);
		s->root = malloc(strlen(path ? path : "") + 2);
		if (!s->root)
			return -ENOMEM;
		s->root[0] = '\0';
		if (!path || path[0] != '/')
			strcat(s->root, "/");
		strcat(s->root, path ? path : "");
	}
	l = strlen(s->root);
	while (l > 0 && s->root[l - 1] == '/')
		s->root[--l] = '\0';
	free(s->cwd);
	s->cwd = NULL;
	return 0;
}

static int login(struct ftp_session *s)
{
	const struct session_cfg *cfg = s->cfg;
	const char *user = cfg->user ? cfg->user : "anonymous";
	const char *pass = cfg->pass ? cfg->pass : cfg->user ? "" : "ftpfs@";
	char mlst_opts[128] = "";
	int code;

	if (cfg->tls == SESS_TLS_IMPLICIT) {
		code = tls_start_control(cfg->tls_ctx, s->ctrl, cfg->host,
					 s->errmsg, sizeof(s->errmsg));
		if (code < 0)
			return code;
	}
	code = read_reply(s);
	while (code >= 100 && code < 200) /* 120: service ready in nnn min */
		code = read_reply(s);
	if (code == -ETIMEDOUT)
		snprintf(s->errmsg, sizeof(s->errmsg),
			 "no greeting from the server within %d s",
			 (cfg->timeout_ms + 999) / 1000);
	else if (code == -ECONNRESET)
		snprintf(s->errmsg, sizeof(s->errmsg),
			 "the server closed the connection before its greeting");
	if (code < 0)
		return code == -EMSGSIZE ? -EPROTO : code;
	if (code == 421)
		return -EAGAIN;
	if (code != 220) {
		snprintf(s->errmsg, sizeof(s->errmsg), "server refused: %.200s",
			 reply_text(s->rp));
		return -ECONNREFUSED;
	}
	if (cfg->tls == SESS_TLS_TRY || cfg->tls == SESS_TLS_REQUIRE) {
		/* RFC 4217 4: AUTH TLS before USER, so that nothing about
		 * the login crosses in clear */
		code = session_cmd(s, "AUTH", "TLS");
		if (code < 0)
			return code;
		if (code == 234) {
			code = tls_start_control(cfg->tls_ctx, s->ctrl,
						 cfg->host, s->errmsg,
						 sizeof(s->errmsg));
			if (code < 0)
				return code;
		} else if (cfg->tls == SESS_TLS_REQUIRE) {
			snprintf(s->errmsg, sizeof(s->errmsg),
				 "the server does not offer TLS (AUTH TLS: "
				 "%.150s); -o tls=none to connect anyway",
				 reply_text(s->rp));
			return -EOPNOTSUPP;
		}
	}
	code = session_cmd(s, "USER", user);
	if (code == 331)
		code = session_cmd(s, "PASS", pass);
	if (code < 0)
		return code;
	if (code == 421)
		return -EAGAIN;
	if (code != 230 && code != 202) {
		snprintf(s->errmsg, sizeof(s->errmsg),
			 "login as %s failed: %.200s", user, reply_text(s->rp));
		return -EACCES;
	}
	if (net_tls(s->ctrl)) {
		/* RFC 4217 8/9: PBSZ 0, then PROT P (or C) */
		code = session_cmd(s, "PBSZ", "0");
		if (code < 0)
			return code;
		code = session_cmd(s, "PROT", cfg->tls_data_clear ? "C" : "P");
		if (code < 0)
			return code;
		if (code != 200) {
			snprintf(s->errmsg, sizeof(s->errmsg),
				 "PROT %s refused: %.200s%s",
				 cfg->tls_data_clear ? "C" : "P",
				 reply_text(s->rp),
				 cfg->tls_data_clear ? "" : " (-o tls_data=clear?)");
			return -EPROTO;
		}
		s->prot_p = !cfg->tls_data_clear;
	}
	code = session_cmd(s, "FEAT", NULL);
	if (code < 0)
		return code;
	if (code == 211)
		parse_feat(s);
	if (cfg->disable_mlsd)
		s->caps &= ~SESS_CAP_MLST;
	if (s->caps & SESS_CAP_UTF8) {
		code = session_cmd(s, "OPTS", "UTF8 ON");
		if (code < 0)
			return code;
	}
	if (s->caps & SESS_CAP_MLST) {
		/* ask for the facts we use; servers ignore unknown ones */
		snprintf(mlst_opts, sizeof(mlst_opts),
			 "MLST type;size;modify;UNIX.mode;");
		code = session_cmd(s, "OPTS", mlst_opts);
		if (code < 0)
			return code;
	}
	code = session_cmd(s, "TYPE", "I");
	if (code < 0)
		return code;
	if (code != 200) {
		snprintf(s->errmsg, sizeof(s->errmsg), "TYPE I refused: %.200s",
			 reply_text(s->rp));
		return -EPROTO;
	}
	return find_root(s);
}

/* The control connection, direct or through the proxy; the message for
 * the user in s->errmsg on failure. */
static int dial_ctrl(struct ftp_session *s)
{
	const struct session_cfg *cfg = s->cfg;
	char why[400];
	int r;

	if (!cfg->proxy) {
		r = net_connect_host(cfg->host, cfg->port, cfg->timeout_ms,
				     &s->ctrl);
		if (r < 0)
			snprintf(s->errmsg, sizeof(s->errmsg),
				 "cannot connect to %s:%s: %s", cfg->host,
				 cfg->port,
				 r == -ENOENT ? "unknown host" : strerror(-r));
		return r;
	}
	if (cfg->trace) {
		char name[300];

		log_info("[S%u] via proxy %s", s->id,
			 proxy_name(cfg->proxy, name, sizeof(name)));
	}
	r = proxy_connect(cfg->proxy, cfg->host, cfg->port, cfg->timeout_ms,
			  &s->ctrl, why, sizeof(why));
	if (r < 0)
		snprintf(s->errmsg, sizeof(s->errmsg),
			 "cannot connect to %s:%s: %s", cfg->host, cfg->port,
			 why);
	return r;
}

int session_open(const struct session_cfg *cfg, struct ftp_session **out,
		 char *err, size_t errlen)
{
	struct ftp_session *s;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = cfg;
	s->id = atomic_fetch_add(&next_id, 1) + 1;
	s->no_epsv = cfg->disable_epsv;
	s->hash_sel = -1;
	s->rp = reply_parser_new();
	if (!s->rp) {
		r = -ENOMEM;
		goto err;
	}
	r = dial_ctrl(s);
	if (r < 0)
		goto err;
	r = login(s);
	if (r < 0)
		goto err;
	status_sess_open(s->id);
	status_add(ST_SESSIONS_OPENED, 1);
	*out = s;
	return 0;
err:
	/* name the server: at mount time this is the whole message, in use
	 * it is the log line saying why requests fail */
	if (err && errlen && s->ctrl)
		snprintf(err, errlen, "%s:%s: %s", cfg->host, cfg->port,
			 s->errmsg[0] ? s->errmsg : strerror(-r));
	else if (err && errlen)
		snprintf(err, errlen, "%s",
			 s->errmsg[0] ? s->errmsg : strerror(-r));
	*out = NULL;
	session_close(s);
	return r;
}

void session_close(struct ftp_session *s)
{
	if (!s)
		return;
	if (s->ctrl && !s->broken && !s->data) {
		net_set_timeout(s->ctrl, 1000);
		if (send_cmd(s, "QUIT", NULL) == 0)
			read_reply(s);
	}
	status_sess_close(s->id);
	net_close(s->data);
	net_listener_close(s->listener);
	net_close(s->ctrl);
	reply_parser_free(s->rp);
	digest_free(s->sent);
	free(s->cwd);
	free(s->root);
	free(s);
}

/* --- data connections ------------------------------------------------- */

/* "229 Entering Extended Passive Mode (|||6446|)" (RFC 2428) */
static int parse_epsv(const char *t, unsigned *port)
{
	const char *p = strchr(t, '(');
	unsigned v = 0;
	char d;

	if (!p || !p[1])
		return -EPROTO;
	d = p[1];
	if (d < 33 || d > 126 || p[2] != d || p[3] != d)
		return -EPROTO;
	p += 4;
	if (*p < '0' || *p > '9')
		return -EPROTO;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned)(*p++ - '0');
		if (v > 65535)
			return -EPROTO;
	}
	if (*p != d || v == 0)
		return -EPROTO;
	*port = v;
	return 0;
}

/* "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)": six numbers 0..255 */
static int parse_pasv(const char *t, unsigned char nums[6])
{
	const char *p = t;
	int i;

	while (*p && (*p < '0' || *p > '9'))
		p++;
	for (i = 0; i < 6; i++) {
		unsigned v = 0;
		int digits = 0;

		while (*p >= '0' && *p <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*p++ - '0');
			digits++;
		}
		if (!digits || v > 255)
			return -EPROTO;
		nums[i] = (unsigned char)v;
		if (i < 5) {
			if (*p != ',')
				return -EPROTO;
			p++;
		}
	}
	return 0;
}

/* "a.b.c.d" → four numbers, without sscanf. */
static int sscanf_free_ipv4(const char *h, unsigned a[4])
{
	int i;

	for (i = 0; i < 4; i++) {
		unsigned v = 0, d = 0;

		while (*h >= '0' && *h <= '9' && d < 3) {
			v = v * 10 + (unsigned)(*h++ - '0');
			d++;
		}
		if (!d || v > 255 || (i < 3 && *h++ != '.'))
			return -EINVAL;
		a[i] = v;
	}
	return *h ? -EINVAL : 0;
}

/* Active mode (RFC 959 PORT, RFC 2428 EPRT): listen, tell the server. */
static int open_active(struct ftp_session *s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char host[INET6_ADDRSTRLEN], arg[128];
	unsigned port, a[4];
	int code, r;
	bool v6;

	r = net_local_addr(s->ctrl, &ss, &len);
	if (r < 0)
		return r;
	if (s->cfg->active_addr) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		memset(&ss, 0, sizeof(ss));
		if (inet_pton(AF_INET, s->cfg->active_addr, &in->sin_addr) == 1) {
			in->sin_family = AF_INET;
			len = sizeof(*in);
		} else if (inet_pton(AF_INET6, s->cfg->active_addr,
				     &in6->sin6_addr) == 1) {
			in6->sin6_family = AF_INET6;
			len = sizeof(*in6);
		} else {
			return -EINVAL;
		}
	}
	r = net_listen(&ss, len, s->cfg->port_lo, s->cfg->port_hi,
		       &s->listener);
	if (r < 0)
		return fail(s, r, "listening for the data connection");
	port = net_listener_port(s->listener);
	v6 = ss.ss_family == AF_INET6;
	inet_ntop(ss.ss_family,
		  v6 ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
		     : (void *)&((struct sockaddr_in *)&ss)->sin_addr,
		  host, sizeof(host));
	if (!s->no_eprt) {
		snprintf(arg, sizeof(arg), "|%d|%s|%u|", v6 ? 2 : 1, host, port);
		code = session_cmd(s, "EPRT", arg);
		if (code == 200)
			return 0;
		if (code < 0 || code < 500 || v6) {
			r = code < 0 ? code : refused(s, code, false);
			goto err;
		}
		s->no_eprt = true;
		status_quirk(SQ_NO_EPRT);
	}
	if (sscanf_free_ipv4(host, a) < 0) {
		r = -EPROTO;
		goto err;
	}
	snprintf(arg, sizeof(arg), "%u,%u,%u,%u,%u,%u", a[0], a[1], a[2], a[3],
		 port >> 8, port & 255);
	code = session_cmd(s, "PORT", arg);
	if (code == 200)
		return 0;
	r = code < 0 ? code : refused(s, code, false);
err:
	net_listener_close(s->listener);
	s->listener = NULL;
	return r;
}

/* Through the proxy: to the server's name, as the control connection
 * (the proxy resolves it; our peer is the proxy, not the server), or with
 * pasv_ip to the PASV reply's address. */
static int dial_data_proxy(struct ftp_session *s, unsigned port,
			   const unsigned char *ip)
{
	char host[INET_ADDRSTRLEN], ps[8], why[400];
	int r;

	snprintf(ps, sizeof(ps), "%u", port);
	if (ip)
		inet_ntop(AF_INET, ip, host, sizeof(host));
	r = proxy_connect(s->cfg->proxy, ip ? host : s->cfg->host, ps,
			  s->cfg->timeout_ms, &s->data, why, sizeof(why));
	if (r < 0)
		log_warn("data connection: %s", why);
	return r;
}

/* Connect the data connection to the server's address (or, with pasv_ip,
 * the PASV reply's address in ip) and port; the error as it is (the
 * session is not marked broken). */
static int dial_data(struct ftp_session *s, unsigned port,
		     const unsigned char *ip)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (s->cfg->proxy)
		return dial_data_proxy(s, port, ip);
	net_peer_addr(s->ctrl, &ss, &len);
	if (ss.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
	} else {
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		if (ip)
			memcpy(&((struct sockaddr_in *)&ss)->sin_addr, ip, 4);
	}
	return net_connect_addr((struct sockaddr *)&ss, len,
				s->cfg->timeout_ms, &s->data);
}

static int connect_data(struct ftp_session *s, unsigned port,
			const unsigned char *ip)
{
	int r = dial_data(s, port, ip);

	if (r < 0)
		return fail(s, r == -ECONNREFUSED ? -EIO : r,
			    "data connection");
	return 0;
}

/* The port of the last reply, a 229 (EPSV). */
static int epsv_port(struct ftp_session *s, unsigned *port)
{
	char text[128];
	int r;

	first_line(s, text, sizeof(text));
	r = parse_epsv(text, port);
	if (r < 0)
		return fail(s, r, "bad EPSV reply");
	s->epsv_ok = true;
	return 0;
}

static int open_data(struct ftp_session *s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned port = 0;
	unsigned char n[6];
	char text[128];
	int code, r;

	if (s->cfg->active)
		return open_active(s);
	if (!s->no_epsv) {
		code = session_cmd(s, "EPSV", NULL);
		if (code < 0)
			return code;
		if (code == 229) {
			r = epsv_port(s, &port);
			if (r < 0)
				return r;
		} else if (code >= 500) {
			s->no_epsv = true;
			status_quirk(SQ_NO_EPSV);
		} else {
			return refused(s, code, false);
		}
	}
	if (port)
		return connect_data(s, port, NULL);
	net_peer_addr(s->ctrl, &ss, &len);
	if (ss.ss_family != AF_INET && !s->cfg->proxy)
		return -EPROTO; /* PASV cannot express IPv6 */
	code = session_cmd(s, "PASV", NULL);
	if (code < 0)
		return code;
	if (code != 227)
		return refused(s, code, false);
	first_line(s, text, sizeof(text));
	r = parse_pasv(text, n);
	if (r < 0)
		return fail(s, r, "bad PASV reply");
	port = (unsigned)n[4] * 256 + n[5];
	return connect_data(s, port, s->cfg->pasv_ip ? n : NULL);
}

/* data_ready(): the server refused the data connection or we gave it
 * up (its TLS did not resume the session), the transfer's final reply is
 * read, the control channel in sync: the transfer may be tried again. */
#define DATA_REFUSED 1

/* After the 125/150: the server connects (active mode), then TLS.
 * 0, DATA_REFUSED or a negative errno. */
static int data_ready(struct ftp_session *s)
{
	int r;

	if (s->listener) {
		struct sockaddr_storage peer;
		socklen_t pl;

		/* the server connects now; only it may (RFC 2577) */
		net_peer_addr(s->ctrl, &peer, &pl);
		r = net_accept_from(s->listener, &peer, s->cfg->timeout_ms,
				    &s->data);
		net_listener_close(s->listener);
		s->listener = NULL;
		if (r < 0) {
			s->data = NULL;
			return fail(s, r, "the server did not connect (active)");
		}
	}
	if (s->prot_p) {
		int code;

		/* the server starts TLS on the data connection after 150 */
		r = tls_start_data(s->cfg->tls_ctx, s->data, s->ctrl,
				   s->cfg->host, s->tls_again, s->errmsg,
				   sizeof(s->errmsg));
		if (r == 0 || (r == -EAGAIN && s->resume_optional))
			return 0;
		if (s->cfg->trace)
			log_info("data connection: %s", s->errmsg);
		net_close(s->data);
		s->data = NULL;
		if (r == -ETIMEDOUT)
			return fail(s, r, "data TLS");
		/* the transfer's final reply (425/426/522) follows */
		code = read_reply(s);
		if (code < 0)
			return code;
		if (r == -EAGAIN && code < 400)
			s->resume_optional = true; /* it did not mind */
		return DATA_REFUSED;
	}
	return 0;
}

/* The reply to the transfer command: 0 for 125/150, DATA_REFUSED for
 * 425, or 522 on a TLS data connection (no data connection: may work
 * when tried again; a 522 to a clear one is the server's policy), else
 * an errno. */
static int xfer_reply(struct ftp_session *s, const char *cmd, bool upload)
{
	int code = read_reply(s);

	if (code < 0)
		return code;
	if (code == 125 || code == 150)
		return 0;
	snprintf(s->errmsg, sizeof(s->errmsg), "%s: %.200s", cmd,
		 reply_text(s->rp));
	if (code == 425 || (code == 522 && s->prot_p))
		return DATA_REFUSED;
	return code >= 400 ? session_code_errno(code, upload)
			   : fail(s, -EPROTO, "unexpected reply");
}

/* EPSV, REST and the transfer command in one write: one round trip
 * instead of three. Only once EPSV (and REST) have worked on this
 * session: a refusal now means the commands after it were sent for
 * nothing (a RETR after a refused REST would even start at 0), so the
 * session is given up and the caller's retry starts afresh. */
static int xfer_start_pipelined(struct ftp_session *s, const char *cmd,
				const char *path, int64_t rest, bool upload)
{
	char line[CMD_MAX], off[32];
	unsigned port;
	int n, code, r;

	r = check_quiet(s, "EPSV");
	if (r < 0)
		return r;
	n = format_cmd(s, line, 0, "EPSV", NULL);
	if (n >= 0 && rest > 0) {
		snprintf(off, sizeof(off), "%lld", (long long)rest);
		n = format_cmd(s, line, (size_t)n, "REST", off);
	}
	if (n >= 0)
		n = format_cmd(s, line, (size_t)n, cmd, path);
	if (n < 0)
		return n; /* nothing sent */
	r = send_line(s, line, (size_t)n);
	if (r < 0)
		return r;
	code = read_reply(s);
	if (code < 0)
		return code;
	if (code != 229) {
		snprintf(s->errmsg, sizeof(s->errmsg), "EPSV: %.200s",
			 reply_text(s->rp));
		return fail(s, -EIO, "EPSV refused after it worked");
	}
	r = epsv_port(s, &port);
	if (r < 0)
		return r;
	r = dial_data(s, port, NULL);
	if (r < 0 && r != -ETIMEDOUT) {
		/* A server that refuses the command may close its passive
		 * port at once (ProFTPD does, for a refused APPE): read the
		 * replies in order; a refusal is the answer and the session
		 * stays in step. Anything else (150: it waits for us) and
		 * the session is given up. */
		int dr = r;

		s->data = NULL;
		code = rest > 0 ? read_reply(s) : 350;
		if (code == 350)
			code = read_reply(s);
		else if (code >= 0)
			code = 0; /* REST refused: the rest is out of step */
		if (code >= 400) {
			snprintf(s->errmsg, sizeof(s->errmsg), "%s: %.200s",
				 cmd, reply_text(s->rp));
			return session_code_errno(code, upload);
		}
		return code < 0 ? code
				: fail(s, dr == -ECONNREFUSED ? -EIO : dr,
				       "data connection");
	}
	if (r < 0)
		return fail(s, r, "data connection");
	if (rest > 0) {
		code = read_reply(s);
		if (code != 350) {
			r = code < 0 ? code
				     : fail(s, -EIO, "REST refused after it "
						     "worked");
			goto err;
		}
	}
	r = xfer_reply(s, cmd, upload);
	if (r != 0)
		goto err;
	return data_ready(s);
err:
	net_close(s->data);
	s->data = NULL;
	return r;
}

static int xfer_start_once(struct ftp_session *s, const char *cmd,
			   const char *path, int64_t rest, bool upload)
{
	char off[32];
	int code, r;

	if (!s->cfg->active && s->epsv_ok && !s->cfg->no_pipeline &&
	    (rest <= 0 || s->rest_ok))
		return xfer_start_pipelined(s, cmd, path, rest, upload);
	r = open_data(s);
	if (r < 0)
		return r;
	if (rest > 0) {
		snprintf(off, sizeof(off), "%lld", (long long)rest);
		code = session_cmd(s, "REST", off);
		if (code != 350) {
			snprintf(s->errmsg, sizeof(s->errmsg), "REST: %.200s",
				 reply_text(s->rp));
			r = code < 0 ? code : -ESPIPE;
			goto err;
		}
		s->rest_ok = true;
	}
	r = send_cmd(s, cmd, path);
	if (r == 0)
		r = xfer_reply(s, cmd, upload);
	if (r != 0)
		goto err;
	return data_ready(s);
err:
	net_close(s->data);
	s->data = NULL;
	net_listener_close(s->listener);
	s->listener = NULL;
	return r;
}

/* A new control connection in place of this one, logged in as before:
 * a new TLS session, with fresh tickets for the data connections. */
static int reconnect(struct ftp_session *s)
{
	char *root = s->root;
	int r;

	if (s->cfg->trace)
		log_info("new control connection for a new TLS session");
	if (send_cmd(s, "QUIT", NULL) == 0)
		read_reply(s);
	net_close(s->ctrl);
	s->ctrl = NULL;
	s->buf_off = s->buf_len = 0;
	s->caps = 0;
	s->hash_algos = s->x_algos = 0;
	s->hash_sel = -1;
	s->prot_p = false;
	s->root = NULL;
	free(s->cwd);
	s->cwd = NULL;
	r = dial_ctrl(s);
	if (r == 0)
		r = login(s);
	free(s->root);
	s->root = root; /* the same server directory */
	if (r < 0) {
		s->broken = true;
		return r;
	}
	return 0;
}

static enum status_state xfer_state(const char *cmd)
{
	if (!strcmp(cmd, "STOR") || !strcmp(cmd, "APPE"))
		return SS_WRITING;
	return strcmp(cmd, "RETR") ? SS_LISTING : SS_READING;
}

void session_xfer_note(struct ftp_session *s, const char *dest,
		       int64_t total)
{
	status_sess_note(s->id, dest, total);
}

/* verify_upload: a STOR's bytes are checksummed from its first byte (the
 * digest is made once per session and reset for each STOR). */
static int count_sent(struct ftp_session *s, const char *cmd)
{
	s->sent_on = s->cfg->verify_upload && !strcmp(cmd, "STOR");
	if (!s->sent_on)
		return 0;
	if (!s->sent) {
		s->sent = digest_new(s->cfg->verify_algo);
		if (!s->sent)
			return -ENOMEM;
	}
	digest_reset(s->sent);
	return 0;
}

/* A refused data connection is tried again: on this control connection
 * resuming the newest TLS session instead of a fresh ticket, then on a
 * new control connection. */
int session_xfer_start(struct ftp_session *s, const char *cmd,
		       const char *path, int64_t rest)
{
	bool upload = !strcmp(cmd, "STOR") || !strcmp(cmd, "APPE");
	int r, attempt;

	if (!arg_ok(path))
		return -EINVAL;
	if (s->data)
		return -EBUSY;
	s->upload = upload;
	r = count_sent(s, cmd);
	if (r < 0)
		return r;
	for (attempt = 0; attempt < 3; attempt++) {
		if (attempt == 2) {
			r = reconnect(s);
			if (r < 0)
				return r; /* broken, the reason in errmsg */
		}
		s->tls_again = attempt == 1;
		r = xfer_start_once(s, cmd, path, rest, upload);
		s->tls_again = false;
		if (r == 0)
			status_sess_xfer(s->id, xfer_state(cmd), path, rest, -1);
		if (r != DATA_REFUSED)
			return r;
		log_dbg("%s: data connection refused (%s); trying again", cmd,
			s->errmsg);
	}
	snprintf(s->errmsg, sizeof(s->errmsg),
		 "%s: data connection refused: %.200s", cmd, reply_text(s->rp));
	log_err("%s", s->errmsg);
	s->broken = true;
	return -EIO;
}

ssize_t session_xfer_read(struct ftp_session *s, void *buf, size_t len)
{
	ssize_t n;

	if (!s->data)
		return -EBADF;
	n = net_read(s->data, buf, len);
	if (n > 0) {
		status_add(ST_BYTES_IN, (uint64_t)n);
		status_sess_moved(s->id, (uint64_t)n);
	}
	if (n < 0) /* the data connection only: the control one decides */
		snprintf(s->errmsg, sizeof(s->errmsg), "reading data: %s",
			 strerror((int)-n));
	return n;
}

int session_xfer_finish(struct ftp_session *s)
{
	int code;

	status_sess_idle(s->id);
	net_close(s->data);
	s->data = NULL;
	code = read_reply(s);
	if (code < 0)
		return code;
	if (code == 226 || code == 250)
		return 0;
	if (code < 400)
		return fail(s, -EPROTO, "unexpected reply after transfer");
	snprintf(s->errmsg, sizeof(s->errmsg), "transfer failed: %.200s",
		 reply_text(s->rp));
	if (s->upload && code != 426 && code != 425)
		return session_code_errno(code, true);
	return -EIO;
}

int session_xfer_write(struct ftp_session *s, const void *buf, size_t len)
{
	int r;

	if (!s->data)
		return -EBADF;
	r = net_write_all(s->data, buf, len);
	if (r == 0 && s->sent_on)
		digest_update(s->sent, buf, len);
	if (r == 0) {
		status_add(ST_BYTES_OUT, len);
		status_sess_moved(s->id, len);
	}
	if (r < 0) /* finish reads the server's reason (552...) */
		snprintf(s->errmsg, sizeof(s->errmsg), "writing data: %s",
			 strerror(-r));
	return r;
}

int session_xfer_abort(struct ftp_session *s)
{
	int code, i;

	status_sess_idle(s->id);
	net_close(s->data);
	s->data = NULL;
	if (send_cmd(s, "ABOR", NULL) < 0)
		return -EIO;
	/* PWD only once ABOR has been answered: a server busy sending data
	 * (Pure-FTPd) reads the control connection for ABOR and drops what
	 * came with it, and a PWD sent at once could wait for ever. */
	code = read_reply(s);
	if (code < 0)
		return code;
	if (code == 257 || send_cmd(s, "PWD", NULL) < 0)
		return fail(s, -EPROTO, "no sync after ABOR");
	/* At most: transfer's final reply, ABOR's replies, PWD's 257. */
	for (i = 0; i < 6; i++) {
		code = read_reply(s);
		if (code < 0)
			return code;
		if (code == 257)
			return 0;
	}
	return fail(s, -EPROTO, "no sync after ABOR");
}

/* --- metadata --------------------------------------------------------- */

int session_mlst(struct ftp_session *s, const char *path, struct ftp_entry *out)
{
	const char *t, *l, *sp;
	char line[LISTPARSE_LINE_MAX];
	size_t fl;
	int code, r;

	memset(out, 0, sizeof(*out));
	code = session_cmd(s, "MLST", path);
	if (code < 0)
		return code;
	if (code != 250)
		return refused(s, code, false);
	/* "250-Listing x\n type=file;size=1; /x\n250 End" (RFC 3659 7.2) */
	t = reply_text(s->rp);
	l = strchr(t, '\n');
	if (!l)
		return -EPROTO;
	l++;
	while (*l == ' ')
		l++;
	sp = strchr(l, ' ');
	if (!sp || memchr(l, '\n', (size_t)(sp - l)))
		return -EPROTO;
	/* Facts only: the pathname may hold '/', which listparse refuses
	 * in a name; give it a stand-in. A cdir/pdir type is a directory. */
	fl = (size_t)(sp - l);
	if (fl + 3 > sizeof(line))
		return -EPROTO;
	memcpy(line, l, fl);
	memcpy(line + fl, " x", 3);
	for (char *p = line; (p = strcasestr(p, "type=")) != NULL; p += 5) {
		if (!strncasecmp(p + 5, "cdir", 4) ||
		    !strncasecmp(p + 5, "pdir", 4)) {
			memmove(p + 5, p + 6, strlen(p + 6) + 1);
			fl--;
		}
	}
	r = listparse_mlsx_line(line, fl + 2, out);
	if (r != 0)
		return r < 0 ? r : -EPROTO;
	return 0;
}

static int cwd(struct ftp_session *s, const char *path)
{
	int code;

	if (s->cwd && !strcmp(s->cwd, path))
		return 0;
	free(s->cwd);
	s->cwd = NULL;
	code = session_cmd(s, "CWD", path);
	if (code < 0)
		return code;
	if (code != 250 && code != 200)
		return refused(s, code, false);
	s->cwd = strdup(path);
	return 0;
}

struct list_state {
	char line[LISTPARSE_LINE_MAX + 1];
	size_t len;
	bool skipping;     /* inside an over-long line */
	bool mlsd;
	struct listparse_ctx *lp; /* LIST: format, VMS joining */
	const char *path;
	size_t count, max;
	size_t refused;    /* MLSD lines refused, over-long lines */
	session_list_cb cb;
	void *ctx;
	int err;
};

static void list_entry(struct list_state *ls, int r, struct ftp_entry *e)
{
	if (r < 0) {
		/* an unsafe name ('/', NUL, CR, LF) or a line in no known
		 * format: counted, and warned about at the end */
		log_dbg("%s: skipping listing line: %.*s", ls->path,
			(int)ls->len, ls->line);
		return;
	}
	if (r > 0)
		return;
	if (++ls->count > ls->max) {
		ftp_entry_free(e);
		log_err("directory listing longer than %zu entries", ls->max);
		ls->err = -EMFILE;
		return;
	}
	ls->err = ls->cb(ls->ctx, e);
}

static void list_line(struct list_state *ls)
{
	struct ftp_entry e;
	int r;

	if (ls->len && ls->line[ls->len - 1] == '\r')
		ls->len--;
	if (ls->len == 0)
		return;
	if (ls->mlsd) {
		r = listparse_mlsx_line(ls->line, ls->len, &e);
		ls->refused += r < 0;
	} else {
		r = listparse_ctx_line(ls->lp, ls->line, ls->len, &e);
	}
	list_entry(ls, r, &e);
}

/* The end of the listing: a held VMS line, and the warning for what was
 * skipped (a file that the listing had, but that will not show). */
static void list_end(struct list_state *ls)
{
	struct ftp_entry e;
	size_t n = ls->refused;

	if (!ls->mlsd) {
		if (listparse_ctx_end(ls->lp, &e) < 0)
			log_dbg("%s: skipping a VMS entry cut off at the end",
				ls->path);
		n += listparse_ctx_refused(ls->lp);
	}
	if (n)
		log_warn("listing of %s: skipped %zu line(s) with unusable "
			 "names or in no known format (-d shows each)",
			 ls->path[0] ? ls->path : "/", n);
}

static void list_feed(struct list_state *ls, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && !ls->err; i++) {
		if (p[i] == '\n') {
			if (!ls->skipping)
				list_line(ls);
			ls->len = 0;
			ls->skipping = false;
		} else if (ls->skipping) {
			continue;
		} else if (ls->len >= LISTPARSE_LINE_MAX) {
			ls->refused++;
			ls->skipping = true;
		} else {
			ls->line[ls->len++] = p[i];
		}
	}
}

/* Ask SYST once per session, for the format hint of LIST listings. */
static int list_syst(struct ftp_session *s)
{
	char text[128];
	int code;

	if (s->syst_asked)
		return 0;
	s->syst_asked = true;
	code = session_cmd(s, "SYST", NULL);
	if (code < 0)
		return code;
	if (code == 215) {
		first_line(s, text, sizeof(text));
		s->list_hint = listparse_fmt_from_syst(text, strlen(text));
	}
	return 0;
}

/* of_path: LIST path itself ("LIST path"), not the directory. */
static int list_as(struct ftp_session *s, const char *path,
		   size_t max_entries, bool mlsd, bool of_path,
		   session_list_cb cb, void *ctx)
{
	struct list_state *ls;
	char buf[32768];
	ssize_t n;
	int r;

	if (!arg_ok(path))
		return -EINVAL;
	ls = calloc(1, sizeof(*ls));
	if (!ls)
		return -ENOMEM;
	ls->mlsd = mlsd;
	ls->path = path;
	ls->max = max_entries;
	ls->cb = cb;
	ls->ctx = ctx;
	if (ls->mlsd) {
		r = session_xfer_start(s, "MLSD", path, 0);
	} else {
		r = list_syst(s);
		if (r < 0)
			goto out;
		r = -ENOMEM;
		ls->lp = listparse_ctx_new(s->list_hint);
		if (!ls->lp)
			goto out;
		if (of_path) {
			/* "LIST path", no options: pyftpdlib takes
			 * "-a path" for a name "-a path" */
			r = session_xfer_start(s, "LIST", path, 0);
			goto started;
		}
		/* LIST takes ls-style options and globs on many servers:
		 * never pass it a path; change there instead. */
		r = cwd(s, path);
		if (r < 0)
			goto out;
		r = -EOPNOTSUPP;
		if (!s->list_no_a) {
			r = session_xfer_start(s, "LIST", "-a", 0);
			if (r == -EOPNOTSUPP || r == -ENOENT || r == -EINVAL) {
				s->list_no_a = true;
				status_quirk(SQ_NO_LIST_A);
			}
		}
		if (r < 0 && s->list_no_a && !s->broken)
			r = session_xfer_start(s, "LIST", NULL, 0);
	}
started:
	if (r < 0)
		goto out;
	while ((n = session_xfer_read(s, buf, sizeof(buf))) > 0) {
		list_feed(ls, buf, (size_t)n);
		if (ls->err)
			break;
	}
	if (n < 0) {
		r = (int)n;
		goto out;
	}
	if (ls->err) {
		r = ls->err;
		session_xfer_abort(s);
		goto out;
	}
	if (ls->len && !ls->skipping)
		list_line(ls); /* last line without a newline */
	if (!ls->err)
		list_end(ls);
	r = session_xfer_finish(s);
	if (!r)
		r = ls->err;
out:
	if (s->data) {
		net_close(s->data);
		s->data = NULL;
		s->broken = true;
	}
	listparse_ctx_free(ls->lp);
	free(ls);
	return r;
}

int session_list(struct ftp_session *s, const char *path, size_t max_entries,
		 session_list_cb cb, void *ctx)
{
	return list_as(s, path, max_entries, s->caps & SESS_CAP_MLST, false,
		       cb, ctx);
}

int session_list_long(struct ftp_session *s, const char *path,
		      size_t max_entries, session_list_cb cb, void *ctx)
{
	return list_as(s, path, max_entries, false, false, cb, ctx);
}

int session_list_path(struct ftp_session *s, const char *path,
		      size_t max_entries, session_list_cb cb, void *ctx)
{
	return list_as(s, path, max_entries, false, true, cb, ctx);
}

static int parse_u64(const char *t, uint64_t *out)
{
	uint64_t v = 0;

	if (*t < '0' || *t > '9')
		return -EPROTO;
	for (; *t >= '0' && *t <= '9'; t++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EPROTO;
		v = v * 10 + (uint64_t)(*t - '0');
	}
	*out = v;
	return 0;
}

int session_size(struct ftp_session *s, const char *path, int64_t *out)
{
	uint64_t v;
	int code = session_cmd(s, "SIZE", path);

	if (code < 0)
		return code;
	if (code != 213)
		return refused(s, code, false);
	if (parse_u64(reply_first_text(s->rp), &v) < 0 || v > INT64_MAX)
		return -EPROTO;
	*out = (int64_t)v;
	return 0;
}

int session_avbl(struct ftp_session *s, const char *path, uint64_t *out)
{
	int code = session_cmd(s, "AVBL", path);

	if (code < 0)
		return code;
	if (code != 213)
		return refused(s, code, false);
	return parse_u64(reply_first_text(s->rp), out);
}

/* --- checksums -------------------------------------------------------- */

/* The next blank-separated word of *t (advanced past it); its length, 0 at
 * the end of the line. */
static size_t next_word(const char **t, const char **w)
{
	const char *p = *t;
	size_t n;

	while (*p == ' ')
		p++;
	n = strcspn(p, " \r\n");
	*w = p;
	*t = p + n;
	return n;
}

static bool all_hex(const char *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)w[i]))
			return false;
	return n > 0;
}

/* Copy n hex digits, lowercased; a CRC-32 written without its leading
 * zeros gets them back. */
static void copy_hex(const char *w, size_t n, size_t want,
		     char out[DIGEST_HEX_MAX])
{
	size_t pad = want - n, i;

	memset(out, '0', pad);
	for (i = 0; i < n; i++)
		out[pad + i] = (char)tolower((unsigned char)w[i]);
	out[want] = '\0';
}

/* Does the word fit as the value: the exact length, or (CRC-32 only) up
 * to 8 digits? */
static bool value_fits(const char *w, size_t n, enum digest_algo a, bool exact)
{
	size_t want = digest_hex_len(a);

	if (!all_hex(w, n))
		return false;
	return n == want || (!exact && a == DIGEST_CRC32 && n < want);
}

int session_parse_checksum(const char *text, enum digest_algo a,
			   bool hash_form, char out[DIGEST_HEX_MAX])
{
	const char *t = text, *w;
	size_t n, want = digest_hex_len(a);
	int pass;

	if (a >= DIGEST_N)
		return -EINVAL;
	if (hash_form) {
		/* "SHA-256 0-49 <hex> name": the algorithm must be ours */
		n = next_word(&t, &w);
		if (n != strlen(hash_names[a]) ||
		    strncasecmp(w, hash_names[a], n))
			return -EPROTO;
		n = next_word(&t, &w);
		if (n && memchr(w, '-', n) && strspn(w, "0123456789-") == n)
			n = next_word(&t, &w); /* the byte range */
		if (!value_fits(w, n, a, false))
			return -EPROTO;
		copy_hex(w, n, want, out);
		return 0;
	}
	/* X commands: the first hex word of the exact length, else (CRC)
	 * the first short one */
	for (pass = 0; pass < 2; pass++) {
		t = text;
		while ((n = next_word(&t, &w)))
			if (value_fits(w, n, a, pass == 0)) {
				copy_hex(w, n, want, out);
				return 0;
			}
	}
	return -EPROTO;
}

/* The text after the code on the last line of the reply: ProFTPD says
 * "213-Computing SHA-256 digest" first and puts the value on the last. */
static const char *last_line_text(const struct ftp_session *s)
{
	const char *t = reply_text(s->rp), *nl = strrchr(t, '\n');

	if (nl && strlen(nl + 1) >= 4) /* "ddd " and the text */
		return nl + 5;
	return reply_first_text(s->rp);
}

/* OPTS HASH when HASH uses another algorithm now. */
static int hash_select(struct ftp_session *s, enum digest_algo a)
{
	char arg[32];
	int code;

	if (s->hash_sel == (int)a)
		return 0;
	snprintf(arg, sizeof(arg), "HASH %s", hash_names[a]);
	code = session_cmd(s, "OPTS", arg);
	if (code < 0)
		return code;
	if (code != 200)
		return refused(s, code, false);
	s->hash_sel = (int)a;
	return 0;
}

int session_checksum(struct ftp_session *s, enum digest_algo a,
		     const char *path, char out[DIGEST_HEX_MAX])
{
	bool hash = a < DIGEST_N && (s->hash_algos & (1u << a));
	int code, r;

	if (a >= DIGEST_N || !((s->hash_algos | s->x_algos) & (1u << a)))
		return -EOPNOTSUPP;
	if (hash && (r = hash_select(s, a)) < 0)
		return r;
	code = session_cmd(s, hash ? "HASH" : x_cmds[a], path);
	if (code < 0)
		return code;
	/* HASH answers 213; the X commands 250 (ProFTPD) or 213 */
	if (code != 213 && !(!hash && code == 250)) {
		snprintf(s->errmsg, sizeof(s->errmsg), "%s: %.200s",
			 hash ? "HASH" : x_cmds[a], reply_text(s->rp));
		return refused(s, code, false);
	}
	r = session_parse_checksum(last_line_text(s), a, hash, out);
	if (r < 0)
		snprintf(s->errmsg, sizeof(s->errmsg),
			 "no %s value in the reply: %.200s", digest_name(a),
			 reply_text(s->rp));
	return r;
}

int session_verify_upload(struct ftp_session *s, const char *path)
{
	char mine[DIGEST_HEX_MAX], theirs[DIGEST_HEX_MAX];
	enum digest_algo a = s->cfg->verify_algo;
	int r;

	if (!s->cfg->verify_upload)
		return 0;
	if (!s->sent_on || !s->sent) {
		snprintf(s->errmsg, sizeof(s->errmsg),
			 "verify_upload: no upload to verify");
		return -EIO;
	}
	s->sent_on = false;
	r = digest_hex(s->sent, mine);
	if (r < 0)
		return r;
	r = session_checksum(s, a, path, theirs);
	if (r < 0) {
		log_err("verify_upload: %s", s->errmsg);
		return session_broken(s) ? r : -EIO;
	}
	if (strcmp(mine, theirs)) {
		snprintf(s->errmsg, sizeof(s->errmsg),
			 "verify_upload: the server's %s of the upload is %s, "
			 "the bytes sent have %s", digest_name(a), theirs, mine);
		return -EIO;
	}
	if (s->cfg->trace)
		log_info("[S%u] verify_upload: %s %s matches", s->id,
			 digest_name(a), mine);
	return 0;
}

/* --- changes ---------------------------------------------------------- */

/* Send cmd path and expect one of two codes. */
static int simple(struct ftp_session *s, const char *cmd, const char *path,
		  int ok1, int ok2, bool upload)
{
	int code = session_cmd(s, cmd, path);

	if (code < 0)
		return code;
	if (code == ok1 || code == ok2)
		return 0;
	snprintf(s->errmsg, sizeof(s->errmsg), "%s: %.200s", cmd,
		 reply_text(s->rp));
	return refused(s, code, upload);
}

int session_delete(struct ftp_session *s, const char *path)
{
	return simple(s, "DELE", path, 250, 200, false);
}

int session_mkdir(struct ftp_session *s, const char *path)
{
	return simple(s, "MKD", path, 257, 250, false);
}

int session_rmdir(struct ftp_session *s, const char *path)
{
	free(s->cwd); /* we may be standing in it */
	s->cwd = NULL;
	return simple(s, "RMD", path, 250, 200, false);
}

/* The reply to an RNFR sent together with its RNTO: 0 for 350, else
 * the RNFR's error, after reading the RNTO's answer too (a refusal, as
 * no RNFR is pending) so that the session stays in step. */
static int rnfr_reply(struct ftp_session *s)
{
	int code = read_reply(s), r;

	if (code == 350 || code < 0)
		return code < 0 ? code : 0;
	snprintf(s->errmsg, sizeof(s->errmsg), "RNFR: %.200s",
		 reply_text(s->rp));
	r = refused(s, code, false);
	if (s->broken)
		return r;
	code = read_reply(s);
	if (code < 0)
		return code;
	if (code < 400)
		return fail(s, -EPROTO, "RNTO accepted after a refused RNFR");
	return r;
}

/* RNFR and RNTO in one write: one round trip instead of two. If the
 * RNFR is refused, the RNTO finds no RNFR before it and is refused as
 * well, which is safe unless an earlier RNFR is still pending on the
 * server: after an RNTO that failed one may be (servers differ), so the
 * next rename sends RNFR alone and waits for its 350. */
static int rename_pipelined(struct ftp_session *s, const char *from,
			    const char *to)
{
	char line[CMD_MAX], line2[CMD_MAX]; /* each as long as one command */
	int n, n2 = -1, r;

	r = check_quiet(s, "RNFR");
	if (r < 0)
		return r;
	n = format_cmd(s, line, 0, "RNFR", from);
	if (n >= 0)
		n2 = format_cmd(s, line2, 0, "RNTO", to);
	if (n < 0 || n2 < 0)
		return n < 0 ? n : n2; /* nothing sent */
	r = send_line(s, line, (size_t)n);
	if (r == 0)
		r = send_line(s, line2, (size_t)n2);
	if (r == 0)
		r = rnfr_reply(s);
	return r;
}

int session_rename(struct ftp_session *s, const char *from, const char *to)
{
	bool pipe = !s->cfg->no_pipeline && !s->rnto_failed;
	int code, r;

	if (!arg_ok(to))
		return -EINVAL;
	r = pipe ? rename_pipelined(s, from, to)
		 : simple(s, "RNFR", from, 350, 350, false);
	if (r < 0)
		return r;
	free(s->cwd); /* we may be standing in what is renamed */
	s->cwd = NULL;
	code = pipe ? read_reply(s) : session_cmd(s, "RNTO", to);
	if (code < 0)
		return code;
	s->rnto_failed = code != 250 && code != 200;
	if (!s->rnto_failed)
		return 0;
	snprintf(s->errmsg, sizeof(s->errmsg), "RNTO: %.200s",
		 reply_text(s->rp));
	return refused(s, code, true);
}

/* "SITE arg" (n: arg's snprintf length): 0 for 200/250, else the reply
 * code (its text kept as "SITE what: ...") or a negative errno. */
static int site_cmd(struct ftp_session *s, const char *what, const char *arg,
		    int n)
{
	int code;

	if (n < 0 || (size_t)n >= CMD_MAX)
		return -ENAMETOOLONG;
	code = session_cmd(s, "SITE", arg);
	if (code < 0)
		return code;
	if (code == 200 || code == 250)
		return 0;
	snprintf(s->errmsg, sizeof(s->errmsg), "SITE %s: %.200s", what,
		 reply_text(s->rp));
	return code;
}

int session_chmod(struct ftp_session *s, const char *path, unsigned mode)
{
	char arg[CMD_MAX];
	int code, n;

	if (!arg_ok(path))
		return -EINVAL;
	n = snprintf(arg, sizeof(arg), "CHMOD %o %s", mode & 07777, path);
	code = site_cmd(s, "CHMOD", arg, n);
	if (code <= 0)
		return code;
	if (code == 500 || code == 502 || code == 504)
		status_quirk(SQ_NO_CHMOD); /* the command, not this file */
	if (code == 500 || code == 501 || code == 502 || code == 504 ||
	    code == 530 || code == 550)
		return -EPERM;
	return refused(s, code, false);
}

/* word (upper case) appears in text as a whole word, in any case. */
static bool word_in(const char *text, const char *word)
{
	size_t wl = strlen(word);
	const char *p;

	for (p = text; (p = strcasestr(p, word)); p += wl)
		if ((p == text || !isalnum((unsigned char)p[-1])) &&
		    !isalnum((unsigned char)p[wl]))
			return true;
	return false;
}

int session_symlink(struct ftp_session *s, const char *target,
		    const char *path)
{
	char arg[CMD_MAX];
	int code, n;

	if (!arg_ok(target) || !arg_ok(path))
		return -EINVAL;
	/* the two arguments are split at blanks by the server */
	if (strpbrk(target, " \t") || strpbrk(path, " \t"))
		return -EINVAL;
	if (!s->site_symlink) {
		/* only where offered: a refusal of an unknown SITE command
		 * (vsftpd: "550 Permission denied") reads like one of the
		 * link */
		code = session_cmd(s, "SITE", "HELP");
		if (code < 0)
			return code;
		s->site_symlink = code >= 200 && code < 300 &&
					  word_in(reply_text(s->rp), "SYMLINK")
				  ? 1 : -1;
	}
	if (s->site_symlink < 0)
		return -EPERM;
	n = snprintf(arg, sizeof(arg), "SYMLINK %s %s", target, path);
	code = site_cmd(s, "SYMLINK", arg, n);
	if (code <= 0)
		return code;
	if (code == 500 || code == 502 || code == 504) {
		s->site_symlink = -1;
		return -EPERM;
	}
	if (code == 501 || code == 530 || code == 550 || code == 553)
		return -EACCES;
	return refused(s, code, false);
}

/* "20240102030405" or "20240102030405.123" (RFC 3659 2.3), UTC. */
static int parse_time_val(const char *t, time_t *out)
{
	int v[6], w[6] = { 4, 2, 2, 2, 2, 2 }, i, j;
	struct tm tm = { 0 };

	for (i = 0; i < 6; i++) {
		v[i] = 0;
		for (j = 0; j < w[i]; j++, t++) {
			if (*t < '0' || *t > '9')
				return -EPROTO;
			v[i] = v[i] * 10 + (*t - '0');
		}
	}
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	*out = timegm(&tm);
	return 0;
}

int session_mdtm(struct ftp_session *s, const char *path, time_t *out)
{
	int code = session_cmd(s, "MDTM", path);

	if (code < 0)
		return code;
	if (code != 213)
		return refused(s, code, false);
	return parse_time_val(reply_first_text(s->rp), out);
}

int session_mdtm_batch(struct ftp_session *s, const char *const *paths,
		       size_t n, time_t *out, bool *ok)
{
	size_t batch = s->cfg->no_pipeline ? 1 : MDTM_BATCH, i, j, k;
	int code, r;

	for (i = 0; i < n; i++)
		ok[i] = false;
	if (s->no_mdtm)
		return 0;
	for (i = 0; i < n; i = j) {
		r = check_quiet(s, "MDTM");
		if (r < 0)
			return r;
		/* commands go out at once (TCP_NODELAY), the replies come
		 * back in order: one round trip per batch */
		for (j = i; j < n && j - i < batch; j++) {
			if (!arg_ok(paths[j]))
				return -EINVAL;
			r = send_cmd(s, "MDTM", paths[j]);
			if (r < 0)
				return r;
		}
		for (k = i; k < j; k++) {
			code = read_reply(s);
			if (code < 0)
				return code;
			if (code == 213)
				ok[k] = parse_time_val(reply_first_text(s->rp),
						       &out[k]) == 0;
			else if (code == 500 || code == 502)
				s->no_mdtm = true; /* read the rest, then stop */
			else if (code < 400)
				return fail(s, -EPROTO, "unexpected MDTM reply");
		}
		if (s->no_mdtm) {
			status_quirk(SQ_NO_MDTM);
			break;
		}
	}
	return 0;
}

/* Did the time stick? (the write forms of MDTM are not standard: check) */
static bool mtime_is(struct ftp_session *s, const char *path, time_t t)
{
	time_t got;

	return session_mdtm(s, path, &got) == 0 && got == t;
}

int session_set_mtime(struct ftp_session *s, const char *path, time_t t)
{
	char arg[CMD_MAX];
	struct tm tm;
	bool mfmt;
	int code, n;

	if (!arg_ok(path))
		return -EINVAL;
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year < 0)
		return -EINVAL;
	if (s->mtime_method < 0)
		return -EPERM;
	/* MFMT (draft-somers-ftp-mfxx) where offered; else the write form
	 * of MDTM ("MDTM time path", vsftpd and others), which a server
	 * without it reads as a query for an odd name: check the result. */
	mfmt = s->caps & SESS_CAP_MFMT;
	n = snprintf(arg, sizeof(arg), "%04d%02d%02d%02d%02d%02d %s",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, path);
	if (n < 0 || (size_t)n >= sizeof(arg))
		return -ENAMETOOLONG;
	code = session_cmd(s, mfmt ? "MFMT" : "MDTM", arg);
	if (code < 0)
		return code;
	if ((code == 213 || code == 200 || code == 250) &&
	    (mfmt || mtime_is(s, path, t))) {
		s->mtime_method = 1;
		return 0;
	}
	if (mfmt && code == 550)
		return -ENOENT;
	/* "the server cannot" is remembered only when it says so (500/502:
	 * no such command) or answered without setting the time: a 550 may
	 * be about this path alone (vsftpd refuses directories), and
	 * remembering it would refuse every file after it on this session */
	if (s->mtime_method == 0 && !mfmt && code != 550) {
		s->mtime_method = -1;
		status_quirk(SQ_NO_MTIME);
		snprintf(s->errmsg, sizeof(s->errmsg),
			 "the server cannot set modification times");
	}
	return -EPERM;
}
