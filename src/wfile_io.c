/* wfile_io — the write nodes' transfers: a stream (STOR of a temporary,
 * or APPE) and its resume after a dropped connection, the spool's upload
 * and fetch, the commit (verify, mode, rename) and the drop of a
 * temporary. Every function here runs with w->lock held (see wfile.c)
 * and changes the node's state only through wnode_set_state() and
 * wnode_lose().
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

/* Start cmd on the node's temporary (a new one: to_tmp) or on its file,
 * again under the new names where a rename through the mount moved them
 * as it was sent. */
static int start_named(struct wnode *w, struct ftp_session *s, const char *cmd,
		       bool to_tmp)
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
		r = session_xfer_start(s, cmd, to_tmp ? n.tmp : n.srv, 0);
		if (r < 0 && to_tmp && n.tmp && session_broken(s))
			/* the server may have made it */
			wf_orphan_add(w->t, n.tmp);
		again = r < 0 && !session_broken(s) && tries++ < 3 &&
			wf_names_moved(w, &n);
		wf_names_free(&n);
	} while (again);
	return r;
}

/* RNTO of the temporary over the file, as start_named. */
static int rename_tmp(struct wnode *w, struct ftp_session *s, struct wnames *n)
{
	int r, tries = 0;

	for (;;) {
		r = session_rename(s, n->tmp, n->srv);
		if (r == 0 || session_broken(s) || tries++ == 3 ||
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
static void keep_mode_refused(struct wnode *w, struct ftp_session *s,
			      const char *path)
{
	if (!atomic_exchange(&w->t->no_chmod, true))
		log_info("the server does not set modes (SITE CHMOD: %s)"
			 "; replaced files get its default mode",
			 session_last_error(s));
	if (0644 & ~w->keep_mode & 077)
		log_warn("%s: saved, but not private: the server did not set "
			 "mode %o",
			 path, w->keep_mode);
}

/* Rename the temporary over the file. Where the server refuses to rename
 * over an existing file, delete the old one first (not atomic: say so
 * once). */
static int commit_tmp(struct wnode *w, struct ftp_session *s)
{
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
		if (r < 0 && session_broken(s))
			goto out;
		if (r < 0)
			keep_mode_refused(w, s, n.path);
	}
	r = rename_tmp(w, s, &n);
	/* Only a refusal (550/553: "exists") may be a server that cannot
	 * rename over a file. Disk full (452/552), a name too long for it, a
	 * broken session: deleting the old file would lose it for nothing. */
	if (r == 0 || session_broken(s) || !n.srv ||
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

/* Best effort: remove the node's temporary after a failure. A broken *sp
 * goes back to the pool first (*sp becomes NULL): waiting for another
 * session while holding it could wait for ever when the pool is full. */
static void drop_tmp(struct wnode *w, struct ftp_session **sp)
{
	struct ftp_session *s = *sp, *s2 = NULL;
	struct wnames n = { 0 };
	int r, tries = 0;

	if (session_broken(s)) {
		pool_put(w->t->pool, s);
		*sp = NULL;
		if (pool_get(w->t->pool, POOL_META, &s2) < 0) {
			if (wf_names_get(w, &n) == 0 && n.tmp)
				wf_orphan_add(w->t, n.tmp);
			wf_names_free(&n);
			return;
		}
		s = s2;
	}
	do {
		wf_names_free(&n);
		r = wf_names_get(w, &n);
		if (r == 0 && n.tmp)
			r = session_delete(s, n.tmp);
	} while (r < 0 && n.tmp && !session_broken(s) && tries++ < 3 &&
		 wf_names_moved(w, &n));
	if (r < 0 && n.tmp && session_broken(s))
		wf_orphan_add(w->t, n.tmp); /* at unmount */
	else if (r < 0)
		log_warn("could not remove the temporary %s",
			 n.tmp ? n.tmp : "(no memory)");
	wf_names_free(&n);
	if (s2)
		pool_put(w->t->pool, s2);
}

/* Apply a mode and time set while the data was pending (a mode set on the
 * temporary is not among them: that one was answered at once). */
static int after_commit(struct wnode *w, struct ftp_session *s)
{
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
				n.path, w->mode_bits, session_last_error(s));
	}
	if (w->set_mtime) {
		w->set_mtime = false;
		r = session_set_mtime(s, n.srv, w->mtime);
		if (r < 0)
			log_warn("%s: saved, but the server did not set its "
				 "modification time: %s",
				 n.path, session_last_error(s));
	}
	wf_names_free(&n);
	return 0;
}

/* Tell ftpfs status which file s is uploading (total bytes, -1 unknown),
 * under its current name. */
static void note_upload(struct wnode *w, struct ftp_session *s, int64_t total)
{
	struct wnames n;

	if (wf_names_get(w, &n) == 0) {
		session_xfer_note(s, n.srv, total);
		wf_names_free(&n);
	}
}

/* Upload the spool (or nothing, fd < 0) to a temporary, then rename. */
int wf_upload(struct wnode *w)
{
	struct ftp_session *s;
	char *buf = NULL;
	int64_t off = 0;
	char name[256];
	ssize_t n;
	int r, r2;
	bool started = false, committed = false;

	r = pool_get_transfer(w->t->pool, &s);
	if (r < 0)
		return r;
	r = start_named(w, s, "STOR", true);
	if (r < 0)
		goto out_put;
	started = true;
	note_upload(w, s, w->fd >= 0 ? w->size : 0);
	buf = malloc(CHUNK);
	if (!buf)
		r = -ENOMEM;
	while (buf && w->fd >= 0 && off < w->size) {
		n = pread(w->fd, buf, CHUNK, off);
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		r = session_xfer_write(s, buf, (size_t)n);
		if (r < 0)
			break;
		off += n;
	}
	/* the server's verdict (552 quota...) tells more than our EPIPE */
	r2 = session_xfer_finish(s);
	if (r2 < 0 || r < 0)
		r = r2 < 0 ? r2 : r;
	else if ((r = commit_tmp(w, s)) == 0)
		committed = true;
	if (committed)
		r = after_commit(w, s);
out_put:
	if (r < 0)
		log_err("%s: upload failed: %s",
			wf_log_name(w, name, sizeof(name)),
			session_last_error(s)[0] ? session_last_error(s)
						 : strerror(-r));
	if (r < 0 && started && !committed)
		drop_tmp(w, &s);
	if (s)
		pool_put(w->t->pool, s);
	free(buf);
	wf_set_tmp_null(w);
	return r;
}

/* Fill the spool from the server. */
int wf_fetch(struct wnode *w)
{
	struct ftp_session *s;
	char *buf, name[256];
	int64_t off = 0;
	ssize_t n;
	int r;

	if (w->state != W_SPOOL_REMOTE && w->state != W_LOST_REMOTE)
		return 0; /* nothing to fetch */
	if (w->fd < 0 && (r = wf_spool_create(w)) < 0)
		return r;
	buf = malloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	r = pool_get_transfer(w->t->pool, &s);
	if (r < 0)
		goto out;
	r = start_named(w, s, "RETR", false);
	while (r == 0 && (n = session_xfer_read(s, buf, CHUNK)) != 0) {
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
		r = session_xfer_finish(s);
	else if (session_xfer_active(s))
		session_xfer_abort(s);
	pool_put(w->t->pool, s);
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
	struct ftp_session *s;
	struct wnames n = { 0 };
	int r = pool_get(w->t->pool, POOL_META, &s), tries = 0;

	*refused = false;
	if (r < 0)
		return r;
	do {
		wf_names_free(&n);
		r = wf_names_get(w, &n);
		if (r == 0)
			r = n.tmp ? session_chmod(s, n.tmp, mode) : -EPERM;
	} while (r < 0 && n.tmp && !session_broken(s) && tries++ < 3 &&
		 wf_names_moved(w, &n));
	wf_names_free(&n);
	*refused = r < 0 && !session_broken(s);
	pool_put(w->t->pool, s);
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

int wf_stream_start(struct wnode *w)
{
	int r;

	/* A stream holds its session between writes: with a single one,
	 * a read the writer waits for (cp within the mount) could never
	 * get it. Spool instead. */
	if (pool_limit(w->t->pool) < 2)
		return -EAGAIN;
	r = pool_get_timed(w->t->pool, POOL_BULK, STREAM_WAIT_MS, &w->s);
	if (r < 0) {
		w->s = NULL;
		return r;
	}
	if (w->state == W_STREAM_NEW) {
		r = start_named(w, w->s, "STOR", true);
		w->tmp_moded = false;
		if (r == 0)
			note_upload(w, w->s, -1);
		if (r == 0)
			restrict_tmp(w);
	} else {
		r = start_named(w, w->s, "APPE", false);
	}
	if (r < 0) {
		pool_put(w->t->pool, w->s);
		w->s = NULL;
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
		r = commit_tmp(w, w->s);
	if (r == 0)
		r = after_commit(w, w->s);
	else
		log_err("%s: upload failed: %s",
			wf_log_name(w, name, sizeof(name)),
			session_last_error(w->s));
	if (r < 0 && stor)
		drop_tmp(w, &w->s);
	if (w->s)
		pool_put(w->t->pool, w->s);
	w->s = NULL;
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

	if (!w->s)
		return 0;
	r = session_xfer_finish(w->s);
	if (r < 0 && commit && stream_resume(w, NULL, 0) == 0)
		r = session_xfer_finish(w->s);
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

/* Send the window's bytes from off to w->pos on s. */
static int win_resend(struct wnode *w, struct ftp_session *s, int64_t off)
{
	int r = 0;

	while (r == 0 && off < w->pos) {
		size_t at = (size_t)(off % RESUME_WINDOW);
		size_t k = RESUME_WINDOW - at;

		if ((int64_t)k > w->pos - off)
			k = (size_t)(w->pos - off);
		r = session_xfer_write(s, w->win + at, k);
		off += (int64_t)k;
	}
	return r;
}

/* The connection broke during a STREAM or an APPEND (the server
 * restarted, a network fault): on a new session, ask the SIZE of the
 * file being written (a STREAM's temporary, an APPEND's file) and go on
 * from there, REST + STOR or APPE, resending from the window, then buf.
 * An APPEND's offsets are the file's, so its SIZE says how much of what
 * was appended arrived. Not possible (no REST, the server has less than
 * the window reaches back or more than was sent, no session within
 * reconnect_timeout): an error; the caller rolls a STREAM back, and an
 * APPEND's file keeps the part that arrived. On failure w->s is still
 * the broken session. */
static int stream_resume(struct wnode *w, const char *buf, size_t len)
{
	struct ftp_session *s;
	struct wnames n;
	const char *name_on_server;
	char name[256];
	int64_t have = -1;
	int r;

	if (!wnode_streaming(w) || !w->win || !session_broken(w->s))
		return -EIO;
	r = pool_get(w->t->pool, POOL_BULK, &s);
	if (r < 0)
		return r;
	r = wf_names_get(w, &n);
	name_on_server = w->state == W_STREAMING ? n.tmp : n.srv;
	if (r == 0 && name_on_server)
		r = session_size(s, name_on_server, &have);
	if (r == 0 && (have > w->pos || have < w->pos - (int64_t)w->win_len))
		r = -EIO; /* more than we sent, or less than we kept */
	if (r == 0)
		r = w->state == W_STREAMING
			    ? session_xfer_start(s, "STOR", n.tmp, have)
			    : session_xfer_start(s, "APPE", n.srv, 0);
	if (r == 0)
		r = win_resend(w, s, have);
	if (r == 0 && len > 0)
		r = session_xfer_write(s, buf, len);
	if (r == 0) {
		log_info("%s: connection lost; upload resumed at byte %lld",
			 wf_log_name(w, name, sizeof(name)), (long long)have);
		pool_put(w->t->pool, w->s);
		w->s = s;
	} else {
		log_err("%s: connection lost; cannot resume the upload (%s)",
			wf_log_name(w, name, sizeof(name)),
			have < 0 ? session_last_error(s)
				 : "not from where the "
				   "server is");
		if (session_xfer_active(s))
			session_xfer_abort(s);
		pool_put(w->t->pool, s);
	}
	wf_names_free(&n);
	return r;
}

int wf_stream_send(struct wnode *w, const char *buf, size_t len)
{
	int r;

	if (!w->s) {
		r = wf_stream_start(w);
		if (r < 0)
			return r;
	}
	r = session_xfer_write(w->s, buf, len);
	if (r < 0) {
		/* the server's final reply says why (552, 451...), or the
		 * connection is gone: then resume where the server is */
		r = session_xfer_finish(w->s);
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
