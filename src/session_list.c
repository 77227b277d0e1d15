/* session_list — directory listings (session_int.h): MLSD, or LIST fed
 * line by line to a listparse context hinted by SYST. LIST is never given
 * a path (it takes options and globs on many servers): we change there
 * first, except for session_list_path's "LIST name". */
#include "session_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "net.h"
#include "reply.h"
#include "status.h"

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
		return sess_refused(s, code, false);
	s->cwd = strdup(path);
	return 0;
}

struct list_state {
	char line[LISTPARSE_LINE_MAX + 1];
	size_t len;
	bool skipping; /* inside an over-long line */
	bool mlsd;
	struct listparse_ctx *lp; /* LIST: format, VMS joining */
	const char *path;
	size_t count, max;
	size_t refused; /* MLSD lines refused, over-long lines */
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
		sess_first_line(s, text, sizeof(text));
		s->list_hint = listparse_fmt_from_syst(text, strlen(text));
	}
	return 0;
}

/* of_path: LIST path itself ("LIST path"), not the directory. */
static int list_as(struct ftp_session *s, const char *path, size_t max_entries,
		   bool mlsd, bool of_path, session_list_cb cb, void *ctx)
{
	struct list_state *ls;
	char buf[32768];
	ssize_t n;
	int r;

	if (!sess_arg_ok(path))
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
		if (!s->q.list_no_a) {
			r = session_xfer_start(s, "LIST", "-a", 0);
			if (r == -EOPNOTSUPP || r == -ENOENT || r == -EINVAL) {
				sess_quirk(s, QK_LIST_NO_A, 1);
			}
		}
		if (r < 0 && s->q.list_no_a && !s->broken)
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
	return list_as(s, path, max_entries, s->caps & SESS_CAP_MLST, false, cb,
		       ctx);
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
