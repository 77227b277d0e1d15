/* wfile_io — the write nodes' transfers: a stream (STOR of a temporary,
 * or APPE) and its resume after a dropped connection, the spool's upload
 * and fetch, the commit (verify, mode, rename) and the drop of a
 * temporary. Every function here runs with w->lock held (see wfile.c)
 * and changes the node's state only through wnode_set_state() and
 * wnode_lose().
 *
 * Every session used here is held by a transfer object (xfer.h): a
 * stream's (w->x), an upload's or a fetch's own, or one taken with
 * XFER_TAKE_META for the commands beside a transfer (DELE of a
 * temporary, SITE CHMOD). So "abort unless broken, then give back or
 * close" and the resume after a drop (SIZE, REST + STOR or APPE) are
 * xfer.c's; the commands that are not transfers (RNFR/RNTO, DELE, SITE
 * CHMOD, MFMT, the checksum of -o verify_upload) are sent here on
 * xfer_session(), and xfer_broken() says whether one broke the session.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "pool.h"
#include "session.h"
#include "wfile_int.h"
#include "xfer.h"

#define CHUNK (256 * 1024)
#define STREAM_WAIT_MS 3000 /* wait this long for a session, then spool */
/* A stream keeps this many of the bytes it sent last, to resend them
 * after a reconnect (what the server had not yet written when it went) */
#define RESUME_WINDOW (8 * 1024 * 1024)

int wf_spool_create(struct wnode *w)
{
	char path[4096];
	int fd;

	fd = open(w->t->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(path, sizeof(path), "%s/spool-XXXXXX", w->t->dir);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd < 0)
			return -errno;
		unlink(path);
	}
	w->fd = fd;
	return 0;
}

/* Start cmd on x (at byte off: where an APPE's file ends) on the node's
 * temporary (a new one: to_tmp) or on its file, again under the new
 * names where a rename through the mount moved them as it was sent. */
static int start_named(struct wnode *w, struct xfer *x, const char *cmd,
		       bool to_tmp, int64_t off)
{
	struct wnames n;
	int r, tries = 0;
	bool again;

	do {
		r = to_tmp ? wf_set_tmp(w) : 0;
		if (r == 0)
			r = wf_names_get(w, &n);
		if (r < 0)
			return r;
		r = xfer_open(x, cmd, to_tmp ? n.tmp : n.srv, off);
		if (r < 0 && to_tmp && n.tmp && xfer_broken(x))
			/* the server may have made it */
			wf_orphan_add(w->t, n.tmp);
		again = r < 0 && !xfer_broken(x) && tries++ < 3 &&
			wf_names_moved(w, &n);
		wf_names_free(&n);
	} while (again);
	return r;
}

/* RNTO of the temporary over the file, as start_named. */
static int rename_tmp(struct wnode *w, struct xfer *x, struct wnames *n)
{
	int r, tries = 0;

	for (;;) {
		r = session_rename(xfer_session(x), n->tmp, n->srv);
		if (r == 0 || xfer_broken(x) || tries++ == 3 ||
		    !wf_names_moved(w, n))
			return r;
		wf_names_free(n);
		r = wf_names_get(w, n);
		if (r < 0)
			return r;
	}
}

/* The mode the committed file was to have is not set: it gets the
 * server's default (shown as it is). Said once; and for each file meant
 * to be more private than that (umask 077, a replaced 0600 file), since
 * others may now read it on the server. */
static void keep_mode_refused(struct wnode *w, struct xfer *x, const char *path)
{
	if (!atomic_exchange(&w->t->no_chmod, true))
		log_info("the server does not set modes (SITE CHMOD: %s)"
			 "; replaced files get its default mode",
			 xfer_error(x));
	if (0644 & ~w->keep_mode & 077)
		log_warn("%s: saved, but not private: the server did not set "
			 "mode %o",
			 path, w->keep_mode);
}

/* Rename the temporary over the file, on x's session (READY: the upload
 * ended). Where the server refuses to rename over an existing file,
 * delete the old one first (not atomic: say so once). */
static int commit_tmp(struct wnode *w, struct xfer *x)
{
	struct ftp_session *s = xfer_session(x);
	struct wnames n;
	int r = wf_names_get(w, &n);

	if (r < 0)
		return r;
	/* -o verify_upload: the server's checksum of the temporary must be
	 * that of the bytes sent, or the old file stays */
	r = session_verify_upload(s, n.tmp);
	if (r < 0)
		goto out;
	/* the new file gets the mode of the one it replaces, not the
	 * server's default (a script stays executable, a private file is
	 * not made readable by others) */
	if (w->keep_mode && !w->tmp_moded) {
		r = atomic_load(&w->t->no_chmod)
			    ? -EPERM
			    : session_chmod(s, n.tmp, w->keep_mode);
		if (r < 0 && xfer_broken(x))
			goto out;
		if (r < 0)
			keep_mode_refused(w, x, n.path);
	}
	r = rename_tmp(w, x, &n);
	/* Only a refusal (550/553: "exists") may be a server that cannot
	 * rename over a file. Disk full (452/552), a name too long for it, a
	 * broken session: deleting the old file would lose it for nothing. */
	if (r == 0 || xfer_broken(x) || !n.srv ||
	    !(r == -EACCES || r == -EPERM || r == -EEXIST))
		goto out;
	if (session_delete(s, n.srv) == 0) {
		if (!atomic_exchange(&w->t->warned_rename, true))
			log_warn("the server cannot rename over a file; "
				 "replacing files is not atomic");
		r = session_rename(s, n.tmp, n.srv);
	}
out:
	wf_names_free(&n);
	return r;
}

/* Best effort: remove the node's temporary after a failure, on x's
 * session when it is in step (READY). Else (broken, a transfer not
 * ended, none held) x gives it back first, as waiting for another
 * session while holding it could wait for ever when the pool is full,
 * and takes a metadata session. The caller gives x's session back. */
static void drop_tmp(struct wnode *w, struct xfer *x)
{
	struct wnames n = { 0 };
	int r, tries = 0;

	if (xfer_broken(x) || xfer_get_state(x) != XFER_READY) {
		xfer_release(x);
		if (xfer_take(x, XFER_TAKE_META, -1) < 0) {
			if (wf_names_get(w, &n) == 0 && n.tmp)
				wf_orphan_add(w->t, n.tmp);
			wf_names_free(&n);
			return;
		}
	}
	do {
		wf_names_free(&n);
		r = wf_names_get(w, &n);
		if (r == 0 && n.tmp)
			r = session_delete(xfer_session(x), n.tmp);
	} while (r < 0 && n.tmp && !xfer_broken(x) && tries++ < 3 &&
		 wf_names_moved(w, &n));
	if (r < 0 && n.tmp && xfer_broken(x))
		wf_orphan_add(w->t, n.tmp); /* at unmount */
	else if (r < 0)
		log_warn("could not remove the temporary %s",
			 n.tmp ? n.tmp : "(no memory)");
	wf_names_free(&n);
}

/* Apply a mode and time set while the data was pending (a mode set on the
 * temporary is not among them: that one was answered at once). */
static int after_commit(struct wnode *w, struct xfer *x)
{
	struct ftp_session *s = xfer_session(x);
	struct wnames n;
	int r;

	if (!w->set_mode && !w->set_mtime)
		return 0;
	if (wf_names_get(w, &n) < 0)
		return 0; /* attributes are best effort */
	/* The data is safe on the server: a refused attribute is logged,
	 * never an error of close() or fsync() (which report the data). */
	if (w->set_mode) {
		w->set_mode = false;
		r = session_chmod(s, n.srv, w->mode_bits);
		if (r < 0)
			log_warn(
				"%s: saved, but the server did not set mode %o: %s",
				n.path, w->mode_bits, xfer_error(x));
	}
	if (w->set_mtime) {
		w->set_mtime = false;
		r = session_set_mtime(s, n.srv, w->mtime);
		if (r < 0)
			log_warn("%s: saved, but the server did not set its "
				 "modification time: %s",
				 n.path, xfer_error(x));
	}
	wf_names_free(&n);
	return 0;
}

/* Tell ftpfs status which file x is uploading (total bytes, -1 unknown),
 * under its current name. */
static void note_upload(struct wnode *w, struct xfer *x, int64_t total)
{
	struct wnames n;

	if (wf_names_get(w, &n) == 0) {
		xfer_note(x, n.srv, total);
		wf_names_free(&n);
	}
}

/* Upload the spool (or nothing, fd < 0) to a temporary, then rename. */
int wf_upload(struct wnode *w)
{
	struct xfer *x = xfer_new(w->t->pool, XFER_TAKE_TRANSFER, 0);
	char *buf = NULL;
	int64_t off = 0;
	char name[256];
	ssize_t n;
	int r, r2;
	bool started = false, committed = false;

	if (!x)
		return -ENOMEM;
	r = xfer_take(x, XFER_TAKE_TRANSFER, 0);
	if (r < 0) {
		xfer_free(x);
		return r;
	}
	r = start_named(w, x, "STOR", true, 0);
	if (r < 0)
		goto out_put;
	started = true;
	note_upload(w, x, w->fd >= 0 ? w->size : 0);
	buf = malloc(CHUNK);
	if (!buf)
		r = -ENOMEM;
	while (buf && w->fd >= 0 && off < w->size) {
		n = pread(w->fd, buf, CHUNK, off);
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		r = xfer_write(x, buf, (size_t)n);
		if (r < 0)
			break;
		off += n;
	}
	/* the server's verdict (552 quota...) tells more than our EPIPE */
	r2 = xfer_finish(x);
	if (r2 < 0 || r < 0)
		r = r2 < 0 ? r2 : r;
	else if ((r = commit_tmp(w, x)) == 0)
		committed = true;
	if (committed)
		r = after_commit(w, x);
out_put:
	if (r < 0)
		log_err("%s: upload failed: %s",
			wf_log_name(w, name, sizeof(name)),
			xfer_error(x)[0] ? xfer_error(x) : strerror(-r));
	if (r < 0 && started && !committed)
		drop_tmp(w, x);
	xfer_free(x);
	free(buf);
	wf_set_tmp_null(w);
	return r;
}

/* Fill the spool from the server. */
int wf_fetch(struct wnode *w)
{
	struct xfer *x;
	char *buf, name[256];
	int64_t off = 0;
	ssize_t n;
	int r;

	if (w->state != W_SPOOL_REMOTE && w->state != W_LOST_REMOTE)
		return 0; /* nothing to fetch */
	if (w->fd < 0 && (r = wf_spool_create(w)) < 0)
		return r;
	buf = malloc(CHUNK);
	x = buf ? xfer_new(w->t->pool, XFER_TAKE_TRANSFER, 0) : NULL;
	if (!x) {
		free(buf);
		return -ENOMEM;
	}
	r = xfer_take(x, XFER_TAKE_TRANSFER, 0);
	if (r < 0)
		goto out;
	r = start_named(w, x, "RETR", false, 0);
	while (r == 0 && (n = xfer_read(x, buf, CHUNK)) != 0) {
		if (n < 0) {
			r = (int)n;
			break;
		}
		if ((uint64_t)(off + n) > w->t->spool_max) {
			log_err("%s: larger than spool_max",
				wf_log_name(w, name, sizeof(name)));
			r = -EFBIG;
			break;
		}
		if (pwrite(w->fd, buf, (size_t)n, off) != n) {
			r = -errno ?: -EIO;
			break;
		}
		off += n;
	}
	if (r == 0)
		r = xfer_finish(x);
	xfer_release(x); /* a transfer not ended is aborted */
	if (r == 0) {
		/* the server's size: the one known at open may be old (a
		 * listing taken before another handle's commit), and every
		 * change of size (truncate, write) fetches first */
		wnode_set_state(w,
				w->state == W_LOST_REMOTE ? W_LOST_LOCAL
							  : W_SPOOL_CLEAN,
				w->lost_err);
		w->size = off;
		if (ftruncate(w->fd, off) < 0)
			r = -errno;
	}
out:
	xfer_free(x);
	free(buf);
	if (r < 0)
		log_err("%s: cannot fetch for writing: %s",
			wf_log_name(w, name, sizeof(name)), strerror(-r));
	return session_user_errno(r);
}

/* --- streams ------------------------------------------------------------ */

/* A mode that gives others less than the server's default (0600 asked
 * for): set on the temporary as soon as it exists, from another session,
 * so the data is never more readable than asked. Best effort: the commit
 * tries again. */
/* SITE CHMOD on the running upload's temporary, from another session
 * (the stream's is busy with the transfer): 0 or a negative errno (550
 * as -EPERM); *refused: the server answered no. */
int wf_chmod_tmp(struct wnode *w, mode_t mode, bool *refused)
{
	struct xfer *x = xfer_new(w->t->pool, XFER_TAKE_META, -1);
	struct wnames n = { 0 };
	int r, tries = 0;

	*refused = false;
	if (!x)
		return -ENOMEM;
	r = xfer_take(x, XFER_TAKE_META, -1);
	if (r < 0) {
		xfer_free(x);
		return r;
	}
	do {
		wf_names_free(&n);
		r = wf_names_get(w, &n);
		if (r == 0)
			r = n.tmp ? session_chmod(xfer_session(x), n.tmp, mode)
				  : -EPERM;
	} while (r < 0 && n.tmp && !xfer_broken(x) && tries++ < 3 &&
		 wf_names_moved(w, &n));
	wf_names_free(&n);
	*refused = r < 0 && !xfer_broken(x);
	xfer_free(x);
	return r == -ENOENT ? -EPERM : r;
}

static void restrict_tmp(struct wnode *w)
{
	bool refused;

	if (!w->keep_mode || !(0644 & ~w->keep_mode) ||
	    atomic_load(&w->t->no_chmod))
		return;
	w->tmp_moded = wf_chmod_tmp(w, w->keep_mode, &refused) == 0;
	if (refused)
		atomic_store(&w->t->no_chmod, true); /* say so at commit */
}

/* The node's stream holds a session (the transfer runs, or its
 * connection broke and stream_end is to give it back). */
static bool stream_held(const struct wnode *w)
{
	return w->x && xfer_get_state(w->x) != XFER_CLOSED;
}

int wf_stream_start(struct wnode *w)
{
	int r;

	/* A stream holds its session between writes: with a single one,
	 * a read the writer waits for (cp within the mount) could never
	 * get it. Spool instead. */
	if (pool_limit(w->t->pool) < 2)
		return -EAGAIN;
	if (!w->x && !(w->x = xfer_new(w->t->pool, XFER_TAKE_BULK, -1)))
		return -ENOMEM;
	r = xfer_take(w->x, XFER_TAKE_BULK, STREAM_WAIT_MS);
	if (r < 0)
		return r;
	/* held: only sets how a resume takes one, waiting as the pool does */
	xfer_take(w->x, XFER_TAKE_BULK, -1);
	if (w->state == W_STREAM_NEW) {
		r = start_named(w, w->x, "STOR", true, 0);
		w->tmp_moded = false;
		if (r == 0)
			note_upload(w, w->x, -1);
		if (r == 0)
			restrict_tmp(w);
	} else {
		/* APPE sends no REST: pos only counts the file's offsets, as
		 * the SIZE of a resume does */
		r = start_named(w, w->x, "APPE", false, w->pos);
	}
	if (r < 0) {
		xfer_release(w->x);
		wf_set_tmp_null(w);
		return r;
	}
	wnode_set_state(w, w->state == W_STREAM_NEW ? W_STREAMING : W_APPENDING,
			0);
	return 0;
}

/* End the running transfer and, when commit, make it the file. Without
 * commit (our side failed) a temporary is deleted, whatever the server
 * thought of the upload. The node leaves W_STREAMING/W_APPENDING: for a
 * spool of the new file (it is to be fetched back when needed), for
 * W_APPEND_IDLE, or, when it failed, for W_LOST_*. */
static int stream_end(struct wnode *w, int r, bool commit)
{
	bool stor = w->state == W_STREAMING;
	char name[256];

	if (r == 0 && !commit)
		r = -EIO;
	if (r == 0 && stor)
		r = commit_tmp(w, w->x);
	if (r == 0)
		r = after_commit(w, w->x);
	else
		log_err("%s: upload failed: %s",
			wf_log_name(w, name, sizeof(name)), xfer_error(w->x));
	if (r < 0 && stor)
		drop_tmp(w, w->x);
	xfer_release(w->x);
	wf_set_tmp_null(w);
	free(w->win);
	w->win = NULL;
	w->win_len = 0;
	r = session_user_errno(r);
	if (r < 0)
		return wnode_lose(w, r);
	wnode_set_state(w,
			!stor	      ? W_APPEND_IDLE
			: w->size > 0 ? W_SPOOL_REMOTE
				      : W_SPOOL_CLEAN,
			0);
	return 0;
}

static int stream_resume(struct wnode *w, const char *buf, size_t len);

/* End the transfer; where its connection broke before the server's
 * final reply (which may have come after all the bytes arrived), resume
 * it with nothing more to send and end that. */
int wf_stream_finish(struct wnode *w, bool commit)
{
	int r;

	if (!stream_held(w))
		return 0;
	r = xfer_finish(w->x);
	if (r < 0 && commit && stream_resume(w, NULL, 0) == 0)
		r = xfer_finish(w->x);
	return stream_end(w, r, commit);
}

/* The resume window: the last RESUME_WINDOW bytes a STREAM or APPEND
 * sent, ending at w->pos (a ring: byte off is at off % RESUME_WINDOW).
 * Best effort: without memory there is no resume. */
static void win_keep(struct wnode *w, const char *buf, size_t len)
{
	int64_t off = w->pos;

	if (!wnode_streaming(w))
		return;
	if (!w->win && !(w->win = malloc(RESUME_WINDOW)))
		return;
	if (len > RESUME_WINDOW) {
		off += (int64_t)(len - RESUME_WINDOW);
		buf += len - RESUME_WINDOW;
		len = RESUME_WINDOW;
	}
	w->win_len = w->win_len + len > RESUME_WINDOW ? RESUME_WINDOW
						      : w->win_len + len;
	while (len > 0) {
		size_t at = (size_t)(off % RESUME_WINDOW);
		size_t k = RESUME_WINDOW - at < len ? RESUME_WINDOW - at : len;

		memcpy(w->win + at, buf, k);
		buf += k;
		len -= k;
		off += (int64_t)k;
	}
}

/* Send the window's bytes from off to w->pos on the stream. */
static int win_resend(struct wnode *w, int64_t off)
{
	int r = 0;

	while (r == 0 && off < w->pos) {
		size_t at = (size_t)(off % RESUME_WINDOW);
		size_t k = RESUME_WINDOW - at;

		if ((int64_t)k > w->pos - off)
			k = (size_t)(w->pos - off);
		r = xfer_write(w->x, w->win + at, k);
		off += (int64_t)k;
	}
	return r;
}

/* The connection broke during a STREAM or an APPEND (the server
 * restarted, a network fault): xfer_resume_upload() gives the broken
 * session back and, on a new one, asks the SIZE of the file being
 * written (a STREAM's temporary, an APPEND's file, under their names
 * now) and goes on from there, REST + STOR or APPE; then resend from the
 * window, then buf. An APPEND's offsets are the file's, so its SIZE says
 * how much of what was appended arrived. Not possible (no REST, the
 * server has less than the window reaches back or more than was sent, no
 * session within reconnect_timeout): an error; the caller rolls a STREAM
 * back, and an APPEND's file keeps the part that arrived. Either way
 * stream_end gives w->x's session back. */
static int stream_resume(struct wnode *w, const char *buf, size_t len)
{
	struct wnames n;
	const char *name_on_server;
	char name[256];
	int64_t have = -1;
	int r;

	if (!wnode_streaming(w) || !w->win || !xfer_broken(w->x))
		return -EIO;
	r = wf_names_get(w, &n);
	if (r < 0)
		return r;
	name_on_server = w->state == W_STREAMING ? n.tmp : n.srv;
	r = name_on_server
		    ? xfer_resume_upload(w->x, name_on_server,
					 w->pos - (int64_t)w->win_len, &have)
		    : -EIO;
	if (r == 0)
		r = win_resend(w, have);
	if (r == 0 && len > 0)
		r = xfer_write(w->x, buf, len);
	if (r == 0)
		log_info("%s: connection lost; upload resumed at byte %lld",
			 wf_log_name(w, name, sizeof(name)), (long long)have);
	else if (xfer_get_state(w->x) != XFER_CLOSED) /* not the pool's */
		log_err("%s: connection lost; cannot resume the upload (%s)",
			wf_log_name(w, name, sizeof(name)),
			have < 0 ? xfer_error(w->x)
				 : "not from where the "
				   "server is");
	wf_names_free(&n);
	return r;
}

int wf_stream_send(struct wnode *w, const char *buf, size_t len)
{
	int r;

	if (!stream_held(w)) {
		r = wf_stream_start(w);
		if (r < 0)
			return r;
	}
	r = xfer_write(w->x, buf, len);
	if (r < 0) {
		/* the server's final reply says why (552, 451...), or the
		 * connection is gone: then resume where the server is */
		r = xfer_finish(w->x);
		if (stream_resume(w, buf, len) == 0)
			goto sent;
		/* what was sent is gone: fail every later write and flush,
		 * and never commit a part of the file (W_LOST_*) */
		return stream_end(w, r ? r : -EIO, false);
	}
sent:
	win_keep(w, buf, len);
	w->pos += (int64_t)len;
	return 0;
}

int wf_stream_zeros(struct wnode *w, int64_t n)
{
	static const char zeros[65536];
	int r = 0;

	while (n > 0 && r == 0) {
		size_t k = n > (int64_t)sizeof(zeros) ? sizeof(zeros)
						      : (size_t)n;

		r = wf_stream_send(w, zeros, k);
		n -= (int64_t)k;
	}
	return r;
}
