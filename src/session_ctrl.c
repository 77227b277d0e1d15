/* session_ctrl — the control connection of a session (session_int.h).
 *
 * One command at a time on the control channel: every command's reply is
 * read before the next is sent, except that the 1xx preliminary reply of
 * a transfer is followed later by its final reply, and where a batch is
 * sent at once (EPSV+REST+RETR, RNFR+RNTO, MDTM...) its replies are read
 * in order. A command line is built here only: CR, LF (and so NUL, which
 * ends the C string) never reach the wire from a caller's argument, and
 * no line longer than CMD_MAX (or the server's known limit) is sent.
 */
#include "session_int.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errclass.h"
#include "log.h"
#include "net.h"
#include "proxy.h"
#include "reply.h"
#include "status.h"
#include "tls.h"

/* What a learned value means, for the user (msg, said once per mount at
 * info level, as "server: <msg>"; NULL: nothing to say, the normal case)
 * and for `ftpfs status` (sq, 0: none). */
struct quirk_say {
	const char *msg;
	enum status_quirk sq;
};

static const struct {
	const char *name;
	size_t off;
	struct quirk_say on;   /* v > 0 */
	struct quirk_say off_; /* v < 0 (tri-states) */
} quirks[QK_N] = {
#define QF(f) #f, offsetof(struct sess_quirks, f)
	[QK_NO_EPSV] = { QF(no_epsv),
			 { "EPSV refused, using PASV", SQ_NO_EPSV } },
	[QK_EPSV_OK] = { QF(epsv_ok) },
	[QK_REST_OK] = { QF(rest_ok) },
	[QK_NO_EPRT] = { QF(no_eprt),
			 { "EPRT refused, using PORT", SQ_NO_EPRT } },
	[QK_LIST_NO_A] = { QF(list_no_a),
			   { "\"LIST -a\" refused, using LIST",
			     SQ_NO_LIST_A } },
	[QK_NO_MDTM] = { QF(no_mdtm),
			 { "MDTM unknown, not asked again", SQ_NO_MDTM } },
	[QK_PROT_P] = { QF(prot_p) },
	[QK_RESUME_OPTIONAL] = { QF(resume_optional),
				 { "data connections need not resume the "
				   "TLS session" } },
	[QK_MTIME] = { QF(mtime_method),
		       { NULL },
		       { "cannot set modification times", SQ_NO_MTIME } },
	[QK_SITE_SYMLINK] = { QF(site_symlink),
			      { NULL },
			      { "no SITE SYMLINK: symlinks cannot be made" } },
#undef QF
};

static atomic_uint quirks_said; /* bit 2q (v > 0), 2q + 1 (v < 0) */

void sess_quirk(struct ftp_session *s, enum sess_quirk q, int v)
{
	signed char *f = (signed char *)&s->q + quirks[q].off;
	const struct quirk_say *say = v > 0 ? &quirks[q].on : &quirks[q].off_;
	unsigned bit = 1u << (2 * q + (v < 0));

	if (*f == v)
		return;
	log_dbg("[S%u] server quirk %s: %d -> %d", s->id, quirks[q].name, *f,
		v);
	*f = (signed char)v;
	if (v == 0)
		return;
	if (say->sq)
		status_quirk(say->sq);
	if (say->msg && !(atomic_fetch_or(&quirks_said, bit) & bit))
		log_info("server: %s", say->msg);
}

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

int session_user_errno(int r)
{
	return err_user(r);
}

int session_code_errno(int code, bool upload)
{
	return err_reply_errno(code, upload);
}

int sess_fail(struct ftp_session *s, int err, const char *what)
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
int sess_refused(struct ftp_session *s, int code, bool upload)
{
	if (code >= 400)
		return session_code_errno(code, upload);
	return sess_fail(s, -EPROTO, "unexpected reply");
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
		 "long: longer paths get ENAMETOOLONG",
		 s->sent_len);
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
int sess_read_reply(struct ftp_session *s)
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
				return sess_fail(s, (int)n, "malformed reply");
			s->buf_off += (size_t)n;
			if (done)
				break;
		}
		s->buf_off = s->buf_len = 0;
		n = net_read(s->ctrl, s->buf, sizeof(s->buf));
		if (n == 0)
			return sess_fail(s, -ECONNRESET,
					 "control connection closed");
		if (n < 0)
			return sess_fail(s, (int)n, "reading reply");
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

bool sess_arg_ok(const char *arg)
{
	return !arg || !strpbrk(arg, "\r\n");
}

/* Append "cmd arg\r\n" to line (len bytes used of CMD_MAX); the new
 * length or a negative errno. */
int sess_format_cmd(struct ftp_session *s, char *line, size_t len,
		    const char *cmd, const char *arg)
{
	int n;

	if (!sess_arg_ok(arg))
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
			 !arg		       ? ""
			 : strcmp(cmd, "PASS") ? arg
					       : "****");
	return (int)len + n;
}

int sess_send_line(struct ftp_session *s, const char *line, size_t n)
{
	int r;

	if (s->broken)
		return -ENOTCONN;
	r = net_write_all(s->ctrl, line, n);
	if (r < 0)
		return sess_fail(s, r, "sending command");
	return 0;
}

int sess_send_cmd(struct ftp_session *s, const char *cmd, const char *arg)
{
	char line[CMD_MAX];
	int n;

	if (s->broken)
		return -ENOTCONN;
	n = sess_format_cmd(s, line, 0, cmd, arg);
	if (n < 0)
		return n;
	return sess_send_line(s, line, (size_t)n);
}

/* Nothing may be waiting before a command: a reply to nothing (an extra
 * 150, a late 226, a 421 before closing) means the dialogue is out of
 * step, and every answer after it would be misread. */
int sess_check_quiet(struct ftp_session *s, const char *cmd)
{
	if (!s->broken && !s->data &&
	    (s->buf_off < s->buf_len || net_readable(s->ctrl))) {
		if (s->cfg->trace)
			log_info("[S%u] unexpected data before %s: dropping "
				 "session",
				 s->id, cmd);
		return sess_fail(s, -EPROTO, "reply to no command");
	}
	return 0;
}

bool session_reusable(struct ftp_session *s)
{
	return !s->broken &&
	       (s->data || sess_check_quiet(s, "its next use") == 0);
}

int session_cmd(struct ftp_session *s, const char *cmd, const char *arg)
{
	int r;

	r = sess_check_quiet(s, cmd);
	if (r == 0)
		r = sess_send_cmd(s, cmd, arg);
	if (r < 0)
		return r;
	return sess_read_reply(s);
}

/* Copy the first line of the last reply's text after the code. */
void sess_first_line(const struct ftp_session *s, char *out, size_t n)
{
	const char *t = reply_first_text(s->rp);
	size_t l = strcspn(t, "\n");

	if (l >= n)
		l = n - 1;
	memcpy(out, t, l);
	out[l] = '\0';
}

/* draft-bryan-ftpext-hash names, by enum digest_algo */
const char *const sess_hash_names[DIGEST_N] = { "SHA-256", "SHA-1", "MD5",
						"CRC32" };
/* the older X commands, by enum digest_algo */
const char *const sess_x_cmds[DIGEST_N] = { "XSHA256", "XSHA1", "XMD5",
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
			if (strlen(sess_hash_names[a]) == w &&
			    !strncasecmp(f, sess_hash_names[a], w)) {
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
		if (strlen(sess_x_cmds[a]) == l &&
		    !strncasecmp(f, sess_x_cmds[a], l))
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
	sess_quirk(s, QK_REST_OK, (s->caps & SESS_CAP_REST) != 0);
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
			return sess_refused(s, code, false);
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

/* The greeting (after the TLS handshake for implicit TLS): 0 for 220. */
static int greeting(struct ftp_session *s)
{
	const struct session_cfg *cfg = s->cfg;
	int code;

	if (cfg->tls == SESS_TLS_IMPLICIT) {
		code = tls_start_control(cfg->tls_ctx, s->ctrl, cfg->host,
					 s->errmsg, sizeof(s->errmsg));
		if (code < 0)
			return code;
	}
	code = sess_read_reply(s);
	while (code >= 100 && code < 200) /* 120: service ready in nnn min */
		code = sess_read_reply(s);
	if (code == -ETIMEDOUT)
		snprintf(s->errmsg, sizeof(s->errmsg),
			 "no greeting from the server within %d s",
			 (cfg->timeout_ms + 999) / 1000);
	else if (code == -ECONNRESET)
		snprintf(
			s->errmsg, sizeof(s->errmsg),
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
	return 0;
}

/* RFC 4217 4: AUTH TLS before USER, so that nothing about the login
 * crosses in clear (with -o tls=try only where the server takes it). */
static int auth_tls(struct ftp_session *s)
{
	const struct session_cfg *cfg = s->cfg;
	int code;

	if (cfg->tls != SESS_TLS_TRY && cfg->tls != SESS_TLS_REQUIRE)
		return 0;
	code = session_cmd(s, "AUTH", "TLS");
	if (code < 0)
		return code;
	if (code == 234)
		return tls_start_control(cfg->tls_ctx, s->ctrl, cfg->host,
					 s->errmsg, sizeof(s->errmsg));
	if (cfg->tls == SESS_TLS_REQUIRE) {
		snprintf(s->errmsg, sizeof(s->errmsg),
			 "the server does not offer TLS (AUTH TLS: "
			 "%.150s); -o tls=none to connect anyway",
			 reply_text(s->rp));
		return -EOPNOTSUPP;
	}
	return 0;
}

static int user_pass(struct ftp_session *s)
{
	const struct session_cfg *cfg = s->cfg;
	const char *user = cfg->user ? cfg->user : "anonymous";
	const char *pass = cfg->pass ? cfg->pass : cfg->user ? "" : "ftpfs@";
	int code;

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
	return 0;
}

/* RFC 4217 8/9: PBSZ 0, then PROT P (or C) */
static int data_protection(struct ftp_session *s)
{
	bool clear = s->cfg->tls_data_clear;
	int code;

	code = session_cmd(s, "PBSZ", "0");
	if (code < 0)
		return code;
	code = session_cmd(s, "PROT", clear ? "C" : "P");
	if (code < 0)
		return code;
	if (code != 200) {
		snprintf(s->errmsg, sizeof(s->errmsg),
			 "PROT %s refused: %.200s%s", clear ? "C" : "P",
			 reply_text(s->rp),
			 clear ? "" : " (-o tls_data=clear?)");
		return -EPROTO;
	}
	sess_quirk(s, QK_PROT_P, !clear);
	return 0;
}

/* FEAT, the OPTS for what it offers, TYPE I. */
static int features(struct ftp_session *s)
{
	char mlst_opts[128] = "";
	int code;

	code = session_cmd(s, "FEAT", NULL);
	if (code < 0)
		return code;
	if (code == 211)
		parse_feat(s);
	if (s->cfg->disable_mlsd)
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
	return 0;
}

static int login(struct ftp_session *s)
{
	int r;

	r = greeting(s);
	if (r == 0)
		r = auth_tls(s);
	if (r == 0)
		r = user_pass(s);
	if (r == 0 && net_tls(s->ctrl))
		r = data_protection(s);
	if (r == 0)
		r = features(s);
	return r < 0 ? r : find_root(s);
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
	s->q.no_epsv = cfg->disable_epsv;
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
		if (sess_send_cmd(s, "QUIT", NULL) == 0)
			sess_read_reply(s);
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

/* A new control connection in place of this one, logged in as before:
 * a new TLS session, with fresh tickets for the data connections. */
int sess_reconnect(struct ftp_session *s)
{
	char *root = s->root;
	int r;

	if (s->cfg->trace)
		log_info("new control connection for a new TLS session");
	if (sess_send_cmd(s, "QUIT", NULL) == 0)
		sess_read_reply(s);
	net_close(s->ctrl);
	s->ctrl = NULL;
	s->buf_off = s->buf_len = 0;
	s->caps = 0;
	s->hash_algos = s->x_algos = 0;
	s->hash_sel = -1;
	sess_quirk(s, QK_PROT_P, 0);
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
