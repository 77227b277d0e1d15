/* session_cmd — commands answered by one reply (session_int.h): MLST,
 * SIZE, AVBL, checksums (HASH, XSHA256...), DELE, MKD, RMD, RNFR+RNTO,
 * SITE CHMOD/SYMLINK, MDTM, MFMT. A refusal becomes its errno through
 * sess_refused(), except where a command says otherwise. */
#include "session_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "reply.h"
#include "status.h"

#define MDTM_BATCH 32 /* MDTM commands sent before reading their replies */

/* --- metadata --------------------------------------------------------- */

int session_mlst(struct ftp_session *s, const char *path, struct ftp_entry *out)
{
	const char *t, *l;
	size_t n;
	int code, r;

	memset(out, 0, sizeof(*out));
	code = session_cmd(s, "MLST", path);
	if (code < 0)
		return code;
	if (code != 250)
		return sess_refused(s, code, false);
	/* "250-Listing x\n type=file;size=1; /x\n250 End" (RFC 3659 7.2):
	 * the entry line is facts, a space, the pathname (which may hold
	 * '/', and may be the directory itself: type=cdir) */
	t = reply_text(s->rp);
	l = strchr(t, '\n');
	if (!l)
		return -EPROTO;
	l += 1 + strspn(l + 1, " ");
	n = strcspn(l, "\n");
	if (!memchr(l, ' ', n) || n > LISTPARSE_LINE_MAX)
		return -EPROTO;
	r = listparse_mlst_entry(l, n, out);
	if (r != 0)
		return r < 0 ? r : -EPROTO;
	return 0;
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

/* cmd path, answered by 213 (SIZE, AVBL, MDTM: RFC 3659): 0 and the
 * reply's first line in *text, or the refusal's errno. */
static int ask_213(struct ftp_session *s, const char *cmd, const char *path,
		   const char **text)
{
	int code = session_cmd(s, cmd, path);

	if (code < 0)
		return code;
	if (code != 213)
		return sess_refused(s, code, false);
	*text = reply_first_text(s->rp);
	return 0;
}

int session_size(struct ftp_session *s, const char *path, int64_t *out)
{
	const char *t = NULL;
	uint64_t v;
	int r = ask_213(s, "SIZE", path, &t);

	if (r < 0)
		return r;
	if (parse_u64(t, &v) < 0 || v > INT64_MAX)
		return -EPROTO;
	*out = (int64_t)v;
	return 0;
}

int session_avbl(struct ftp_session *s, const char *path, uint64_t *out)
{
	const char *t = NULL;
	int r = ask_213(s, "AVBL", path, &t);

	return r < 0 ? r : parse_u64(t, out);
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

int session_parse_checksum(const char *text, enum digest_algo a, bool hash_form,
			   char out[DIGEST_HEX_MAX])
{
	const char *t = text, *w;
	size_t n, want = digest_hex_len(a);
	int pass;

	if (a >= DIGEST_N)
		return -EINVAL;
	if (hash_form) {
		/* "SHA-256 0-49 <hex> name": the algorithm must be ours */
		n = next_word(&t, &w);
		if (n != strlen(sess_hash_names[a]) ||
		    strncasecmp(w, sess_hash_names[a], n))
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
	snprintf(arg, sizeof(arg), "HASH %s", sess_hash_names[a]);
	code = session_cmd(s, "OPTS", arg);
	if (code < 0)
		return code;
	if (code != 200)
		return sess_refused(s, code, false);
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
	code = session_cmd(s, hash ? "HASH" : sess_x_cmds[a], path);
	if (code < 0)
		return code;
	/* HASH answers 213; the X commands 250 (ProFTPD) or 213 */
	if (code != 213 && !(!hash && code == 250)) {
		snprintf(s->errmsg, sizeof(s->errmsg), "%s: %.200s",
			 hash ? "HASH" : sess_x_cmds[a], reply_text(s->rp));
		return sess_refused(s, code, false);
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
			 "the bytes sent have %s",
			 digest_name(a), theirs, mine);
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
	return sess_refused(s, code, upload);
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
	int code = sess_read_reply(s), r;

	if (code == 350 || code < 0)
		return code < 0 ? code : 0;
	snprintf(s->errmsg, sizeof(s->errmsg), "RNFR: %.200s",
		 reply_text(s->rp));
	r = sess_refused(s, code, false);
	if (s->broken)
		return r;
	code = sess_read_reply(s);
	if (code < 0)
		return code;
	if (code < 400)
		return sess_fail(s, -EPROTO,
				 "RNTO accepted after a refused RNFR");
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

	r = sess_check_quiet(s, "RNFR");
	if (r < 0)
		return r;
	n = sess_format_cmd(s, line, 0, "RNFR", from);
	if (n >= 0)
		n2 = sess_format_cmd(s, line2, 0, "RNTO", to);
	if (n < 0 || n2 < 0)
		return n < 0 ? n : n2; /* nothing sent */
	r = sess_send_line(s, line, (size_t)n);
	if (r == 0)
		r = sess_send_line(s, line2, (size_t)n2);
	if (r == 0)
		r = rnfr_reply(s);
	return r;
}

int session_rename(struct ftp_session *s, const char *from, const char *to)
{
	bool pipe = !s->cfg->no_pipeline && !s->rnto_failed;
	int code, r;

	if (!sess_arg_ok(to))
		return -EINVAL;
	r = pipe ? rename_pipelined(s, from, to)
		 : simple(s, "RNFR", from, 350, 350, false);
	if (r < 0)
		return r;
	free(s->cwd); /* we may be standing in what is renamed */
	s->cwd = NULL;
	code = pipe ? sess_read_reply(s) : session_cmd(s, "RNTO", to);
	if (code < 0)
		return code;
	s->rnto_failed = code != 250 && code != 200;
	if (!s->rnto_failed)
		return 0;
	snprintf(s->errmsg, sizeof(s->errmsg), "RNTO: %.200s",
		 reply_text(s->rp));
	return sess_refused(s, code, true);
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

	if (!sess_arg_ok(path))
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
	return sess_refused(s, code, false);
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

int session_symlink(struct ftp_session *s, const char *target, const char *path)
{
	char arg[CMD_MAX];
	int code, n;

	if (!sess_arg_ok(target) || !sess_arg_ok(path))
		return -EINVAL;
	/* the two arguments are split at blanks by the server */
	if (strpbrk(target, " \t") || strpbrk(path, " \t"))
		return -EINVAL;
	if (!s->q.site_symlink) {
		/* only where offered: a refusal of an unknown SITE command
		 * (vsftpd: "550 Permission denied") reads like one of the
		 * link */
		code = session_cmd(s, "SITE", "HELP");
		if (code < 0)
			return code;
		sess_quirk(s, QK_SITE_SYMLINK,
			   code >= 200 && code < 300 &&
					   word_in(reply_text(s->rp), "SYMLINK")
				   ? 1
				   : -1);
	}
	if (s->q.site_symlink < 0)
		return -EPERM;
	n = snprintf(arg, sizeof(arg), "SYMLINK %s %s", target, path);
	code = site_cmd(s, "SYMLINK", arg, n);
	if (code <= 0)
		return code;
	if (code == 500 || code == 502 || code == 504) {
		sess_quirk(s, QK_SITE_SYMLINK, -1);
		return -EPERM;
	}
	if (code == 501 || code == 530 || code == 550 || code == 553)
		return -EACCES;
	return sess_refused(s, code, false);
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
	const char *t = NULL;
	int r = ask_213(s, "MDTM", path, &t);

	return r < 0 ? r : parse_time_val(t, out);
}

int session_mdtm_batch(struct ftp_session *s, const char *const *paths,
		       size_t n, time_t *out, bool *ok)
{
	size_t batch = s->cfg->no_pipeline ? 1 : MDTM_BATCH, i, j, k;
	int code, r;

	for (i = 0; i < n; i++)
		ok[i] = false;
	if (s->q.no_mdtm)
		return 0;
	for (i = 0; i < n; i = j) {
		r = sess_check_quiet(s, "MDTM");
		if (r < 0)
			return r;
		/* commands go out at once (TCP_NODELAY), the replies come
		 * back in order: one round trip per batch */
		for (j = i; j < n && j - i < batch; j++) {
			if (!sess_arg_ok(paths[j]))
				return -EINVAL;
			r = sess_send_cmd(s, "MDTM", paths[j]);
			if (r < 0)
				return r;
		}
		for (k = i; k < j; k++) {
			code = sess_read_reply(s);
			if (code < 0)
				return code;
			if (code == 213)
				ok[k] = parse_time_val(reply_first_text(s->rp),
						       &out[k]) == 0;
			else if (code == 500 || code == 502)
				/* read the rest, then stop */
				sess_quirk(s, QK_NO_MDTM, 1);
			else if (code < 400)
				return sess_fail(s, -EPROTO,
						 "unexpected MDTM reply");
		}
		if (s->q.no_mdtm)
			break;
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

	if (!sess_arg_ok(path))
		return -EINVAL;
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year < 0)
		return -EINVAL;
	if (s->q.mtime_method < 0)
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
		sess_quirk(s, QK_MTIME, 1);
		return 0;
	}
	if (mfmt && code == 550)
		return -ENOENT;
	/* "the server cannot" is remembered only when it says so (500/502:
	 * no such command) or answered without setting the time: a 550 may
	 * be about this path alone (vsftpd refuses directories), and
	 * remembering it would refuse every file after it on this session */
	if (s->q.mtime_method == 0 && !mfmt && code != 550) {
		sess_quirk(s, QK_MTIME, -1);
		snprintf(s->errmsg, sizeof(s->errmsg),
			 "the server cannot set modification times");
	}
	return -EPERM;
}
