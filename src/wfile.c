/* wfile — files open for writing: the write node's state machine. See
 * wfile.h; the transfers are in wfile_io.c, the table, names and
 * snapshots in wfile_names.c, the shared definitions in wfile_int.h.
 *
 * One node per open name, shared by every handle of it: opening a name
 * that has a node joins it (even while its last handle's release is
 * committing it: the node leaves the table only after that commit, so a
 * new writer never uploads beside it from an older size), and a rename
 * through the mount moves the nodes at and below the name, temporaries
 * included.
 *
 * States (enum wstate; wnode_set_state() is the only writer, and traces
 * each change under -d). "Pending" (wnode_pending: something to commit,
 * what getattr/readdir show is the node's) is marked *.
 *   STREAM_NEW*   created/truncated write-only: nothing sent yet
 *   STREAMING*    STOR of a temporary running (w->x); RNFR/RNTO at commit
 *   APPEND_NEW*   O_APPEND write-only to an empty file: the commit (an
 *                 APPE with nothing) creates it
 *   APPEND_IDLE   O_APPEND write-only, no APPE running
 *   APPENDING*    APPE of the file running (w->x)
 *   SPOOL_REMOTE  a local spool file; the contents on the server only
 *   SPOOL_CLEAN   the spool holds the server's contents
 *   SPOOL_DIRTY*  the spool has changes to commit
 *   SPOOL_FAILED* their upload failed; nothing new since (a flush tries
 *                 again, the last release reports it without trying)
 *   LOST_REMOTE   a stream failed and its data is gone: every write and
 *                 flush fails with w->lost_err (close never returns 0 for
 *                 a file that is not what was written); reads show the
 *                 server's copy, not fetched yet
 *   LOST_LOCAL    the same, the server's copy in the spool
 * A commit runs with w->lock held from start to end, so no other thread
 * ever sees a node "committing": it is the action of a transition, not
 * a state.
 *
 * Transitions (from, event: to):
 *   open NEW/TRUNC write-only    STREAM_NEW, and at once STOR: STREAMING
 *                                (no session: SPOOL_DIRTY; refused: the
 *                                open fails, SPOOL_REMOTE for a joiner)
 *   open NEW/TRUNC read-write    SPOOL_DIRTY
 *   open APPEND write-only       APPEND_NEW (empty file), else APPEND_IDLE
 *   open APPEND read-write       SPOOL_REMOTE (SPOOL_CLEAN when empty)
 *   open UPDATE                  SPOOL_REMOTE (the size may be old)
 *   STREAM_NEW, write in order   STREAMING
 *   APPEND_NEW/IDLE, write       APPENDING
 *   STREAMING, flush             commit: SPOOL_REMOTE (SPOOL_CLEAN when
 *                                empty): later writes go to a spool
 *   APPENDING, flush             APPEND_IDLE
 *   APPEND_NEW, flush            APPENDING, then APPEND_IDLE
 *   STREAM_NEW, flush            upload of an empty file: SPOOL_CLEAN
 *   STREAMING/APPENDING, a read, a write out of order or with no session,
 *     a shrink, a second writer  commit, then as flush; APPEND_IDLE then
 *                                SPOOL_REMOTE (others' appends too)
 *   STREAM_NEW/APPEND_NEW, the same   SPOOL_DIRTY (nothing to fetch)
 *   SPOOL_REMOTE, read, write, truncate > 0   fetch: SPOOL_CLEAN
 *   SPOOL_*, write or truncate   SPOOL_DIRTY
 *   SPOOL_DIRTY/FAILED, flush    SPOOL_CLEAN; failed: SPOOL_FAILED
 *   STREAMING/APPENDING, a send or finish that fails and cannot resume
 *     (stream_resume), a flush at unmount of a stream never closed,
 *     STREAM_NEW/APPEND_NEW whose flush fails
 *                                LOST_REMOTE (LOST_LOCAL: a stream with
 *                                no byte, nothing to read back)
 *   LOST_REMOTE, read, truncate > 0   fetch: LOST_LOCAL
 *   LOST_*, truncate to 0        SPOOL_DIRTY (lost data no longer matters)
 *   LOST_*, last release while another open joined   SPOOL_REMOTE
 *
 * Locking. Lock order: w->lock, then t->lock; a session from the pool
 * is taken with w->lock held, never the other way round.
 *   - w->lock, a node's I/O lock: everything in the node but its names
 *     and snapshot; held across the node's network I/O (one writer at a
 *     time per file; other files go on).
 *   - t->lock, the table lock, a leaf: the node list, refs, the names
 *     (path, srv, tmp: read as copies, wf_names_get), each node's
 *     snapshot (size, mtime, mode, pending: published by wf_node_unlock)
 *     and the rename state. Never held across I/O, never held while
 *     waiting for a w->lock. So getattr and readdir (the snapshot) and
 *     renames (the names) never wait for an upload.
 * A rename changes the names while an upload may be using them: it is
 * bracketed by wfile_rename_begin/end around its RNFR/RNTO, on a session
 * it holds already; an upload whose STOR/RNTO/... on a name failed waits
 * (t->renamed) for renames in flight and tries the new names. That wait
 * is never for a session or a node, so it cannot close a cycle.
 */
#include "wfile.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "wfile_int.h"
#include "xfer.h"

/* --- the state ---------------------------------------------------------- */

static const char *const state_names[W_NSTATES + 1] = {
	[W_STREAM_NEW] = "STREAM_NEW",
	[W_STREAMING] = "STREAMING",
	[W_APPEND_NEW] = "APPEND_NEW",
	[W_APPEND_IDLE] = "APPEND_IDLE",
	[W_APPENDING] = "APPENDING",
	[W_SPOOL_REMOTE] = "SPOOL_REMOTE",
	[W_SPOOL_CLEAN] = "SPOOL_CLEAN",
	[W_SPOOL_DIRTY] = "SPOOL_DIRTY",
	[W_SPOOL_FAILED] = "SPOOL_FAILED",
	[W_LOST_REMOTE] = "LOST_REMOTE",
	[W_LOST_LOCAL] = "LOST_LOCAL",
	[W_NSTATES] = "(new)", /* a node before its first state */
};

const char *wnode_state_name(enum wstate st)
{
	return st <= W_NSTATES ? state_names[st] : "?";
}

static bool lost(const struct wnode *w)
{
	return w->state == W_LOST_REMOTE || w->state == W_LOST_LOCAL;
}

/* Written from 0 into STOR, or to be. */
static bool stream_mode(const struct wnode *w)
{
	return w->state == W_STREAM_NEW || w->state == W_STREAMING;
}

static bool append_mode(const struct wnode *w)
{
	return w->state == W_APPEND_NEW || w->state == W_APPEND_IDLE ||
	       w->state == W_APPENDING;
}

void wnode_set_state(struct wnode *w, enum wstate to, int err)
{
	char name[256];

	if (w->state != to)
		log_dbg("%s: %s -> %s", wf_log_name(w, name, sizeof(name)),
			wnode_state_name(w->state), wnode_state_name(to));
	w->state = to;
	w->lost_err = to == W_LOST_REMOTE || to == W_LOST_LOCAL ? err : 0;
}

bool wnode_streaming(const struct wnode *w)
{
	return w->state == W_STREAMING || w->state == W_APPENDING;
}

bool wnode_pending(const struct wnode *w)
{
	switch (w->state) {
	case W_STREAM_NEW:
	case W_STREAMING:
	case W_APPEND_NEW:
	case W_APPENDING:
	case W_SPOOL_DIRTY:
	case W_SPOOL_FAILED:
		return true;
	default:
		return false;
	}
}

int wnode_lose(struct wnode *w, int err)
{
	/* what a read shows now is the server's: an append's file (with
	 * what others appended too), a stream's old file; a stream with no
	 * byte has nothing to read back */
	bool remote = append_mode(w) || w->size > 0;

	wnode_set_state(w, remote ? W_LOST_REMOTE : W_LOST_LOCAL, err);
	return err;
}

/* Leave a stream or an append for a spool: commit what was sent, then
 * work on a local copy, fetched back when needed. Nothing to do for a
 * spool or a lost node. */
static int to_spool(struct wnode *w)
{
	int r;

	switch (w->state) {
	case W_STREAM_NEW:
	case W_APPEND_NEW:
		/* nothing sent yet: nothing to fetch, an empty file to make */
		wnode_set_state(w, W_SPOOL_DIRTY, 0);
		return 0;
	case W_STREAMING:
	case W_APPENDING:
		r = wf_stream_finish(w, true); /* a spool, APPEND_IDLE, LOST */
		if (r < 0 || w->state != W_APPEND_IDLE)
			return r;
		/* fall through */
	case W_APPEND_IDLE:
		/* the file has what others appended too: fetch it */
		wnode_set_state(w, W_SPOOL_REMOTE, 0);
		return 0;
	default:
		return 0;
	}
}

static int truncate_locked(struct wnode *w, int64_t size);

/* --- open --------------------------------------------------------------- */

/* The node for path, with a new reference: the table's, or a new one
 * (*fresh). NULL: no memory. */
static struct wnode *node_join(struct wfile_table *t, const char *path,
			       const char *srv, bool *fresh)
{
	struct wnode *w;

	pthread_mutex_lock(&t->lock);
	w = wf_find_locked(t, path);
	*fresh = !w;
	if (!w) {
		w = calloc(1, sizeof(*w));
		if (w) {
			w->path = strdup(path);
			w->srv = strdup(srv);
		}
		if (!w || !w->path || !w->srv) {
			if (w) {
				free(w->path);
				free(w->srv);
			}
			free(w);
			pthread_mutex_unlock(&t->lock);
			return NULL;
		}
		pthread_mutex_init(&w->lock, NULL);
		w->t = t;
		w->fd = -1;
		w->state = W_NSTATES;
		w->next = t->nodes;
		t->nodes = w;
	}
	w->refs++;
	pthread_mutex_unlock(&t->lock);
	return w;
}

/* A fresh node's first state (w->lock held); a stream starts at once:
 * a server that refuses to store is an error of open(), not of close(). */
static int node_init(struct wnode *w, enum wfile_how how, bool rdwr,
		     int64_t size, mode_t keep_mode)
{
	int r = 0;

	/* a mode without read for the owner is the listing's rights mask
	 * at work (fs.c), not the file's real mode */
	w->keep_mode = keep_mode & 0400 ? keep_mode & 07777 : 0;
	switch (how) {
	case WF_NEW:
	case WF_TRUNC:
		w->size = 0;
		wnode_set_state(w, rdwr ? W_SPOOL_DIRTY : W_STREAM_NEW, 0);
		break;
	case WF_APPEND:
		w->size = w->pos = size;
		if (rdwr)
			wnode_set_state(
				w, size > 0 ? W_SPOOL_REMOTE : W_SPOOL_CLEAN,
				0);
		else
			wnode_set_state(
				w, size == 0 ? W_APPEND_NEW : W_APPEND_IDLE, 0);
		break;
	case WF_UPDATE:
		/* the size may be old: fetch even an empty file */
		w->size = size;
		wnode_set_state(w, W_SPOOL_REMOTE, 0);
		break;
	}
	if (w->state == W_STREAM_NEW) {
		r = wf_stream_start(w);
		if (r == -EAGAIN)
			r = to_spool(w); /* no session free: spool */
		if (r < 0) /* nothing to commit: the server has the file */
			wnode_set_state(w, W_SPOOL_REMOTE, 0);
	}
	return r;
}

int wfile_open(struct wfile_table *t, const char *path, const char *srv,
	       enum wfile_how how, bool rdwr, int64_t size, mode_t keep_mode,
	       struct wnode **out)
{
	struct wnode *w;
	bool fresh;
	int r;

	w = node_join(t, path, srv, &fresh);
	if (!w)
		return -ENOMEM;
	pthread_mutex_lock(&w->lock);
	w->mtime = time(NULL);
	if (fresh)
		r = node_init(w, how, rdwr, size, keep_mode);
	else if (how == WF_TRUNC || how == WF_NEW)
		r = truncate_locked(w, 0);
	else
		r = to_spool(w); /* a second writer: only a spool serves both */
	wf_node_unlock(w);
	if (r < 0) {
		wfile_release(w);
		return r;
	}
	*out = w;
	return 0;
}

/* --- data --------------------------------------------------------------- */

/* APPENDING (started where needed): 1 = sent, 0 = go on in a spool (no
 * session to append), or a negative errno. */
static int write_append(struct wnode *w, const char *buf, size_t len)
{
	/* O_APPEND: the kernel names the end it knows; APPE appends */
	int r = wf_stream_send(w, buf, len);

	if (r == 0) {
		w->size = w->pos;
		return 1;
	}
	return r == -EAGAIN ? to_spool(w) : r;
}

/* STREAMING (started where needed), a forward gap filled with zeros: as
 * write_append; out of order, the stream is committed for a spool. */
static int write_stream(struct wnode *w, const char *buf, size_t len,
			int64_t off)
{
	int r;

	if (off >= w->pos) {
		r = wf_stream_zeros(w, off - w->pos);
		if (r == 0)
			r = wf_stream_send(w, buf, len);
		if (r == 0) {
			if (w->pos > w->size)
				w->size = w->pos;
			return 1;
		}
		if (r != -EAGAIN)
			return r;
	}
	return to_spool(w); /* out of order, or no session to stream */
}

/* Into the spool (fetched first where needed): SPOOL_DIRTY. */
static int write_spool(struct wnode *w, const char *buf, size_t len,
		       int64_t off)
{
	int r = wf_fetch(w);

	if (r < 0)
		return r;
	if (off < 0)
		off = w->size; /* O_APPEND: the end, with every handle's data */
	if ((uint64_t)off + len > w->t->spool_max)
		return -EFBIG;
	if (w->fd < 0 && (r = wf_spool_create(w)) < 0)
		return r;
	if (pwrite(w->fd, buf, len, off) != (ssize_t)len)
		return -errno ?: -ENOSPC;
	if (off + (int64_t)len > w->size)
		w->size = off + (int64_t)len;
	wnode_set_state(w, W_SPOOL_DIRTY, 0);
	return 0;
}

ssize_t wfile_write(struct wnode *w, const char *buf, size_t len, int64_t off)
{
	int r = 0;

	pthread_mutex_lock(&w->lock);
	if (off < 0 && stream_mode(w))
		off = w->size; /* O_APPEND: the end this node knows */
	if (lost(w)) {
		r = w->lost_err;
		goto out;
	}
	if (append_mode(w)) {
		r = write_append(w, buf, len);
		if (r != 0)
			goto out;
		off = w->size;
	}
	if (stream_mode(w)) {
		r = write_stream(w, buf, len, off);
		if (r != 0)
			goto out;
	}
	r = write_spool(w, buf, len, off);
out:
	w->mtime = time(NULL);
	wf_node_unlock(w);
	return r < 0 ? r : (ssize_t)len;
}

ssize_t wfile_read(struct wnode *w, char *buf, size_t len, int64_t off)
{
	ssize_t n = 0;
	int r;

	pthread_mutex_lock(&w->lock);
	r = to_spool(w);
	if (r == 0)
		r = wf_fetch(w);
	if (r == 0 && off < w->size) {
		if (w->fd < 0) {
			memset(buf, 0, len); /* never written: a hole */
			n = (ssize_t)(w->size - off < (int64_t)len
					      ? w->size - off
					      : (int64_t)len);
		} else {
			n = pread(w->fd, buf, len, off);
			if (n < 0)
				r = -errno;
		}
	}
	wf_node_unlock(w);
	return r < 0 ? r : n;
}

static int truncate_locked(struct wnode *w, int64_t size)
{
	int r = 0;

	if (stream_mode(w) && size >= w->pos) {
		r = wf_stream_zeros(w, size - w->pos);
		if (r == 0) {
			w->size = size;
			goto out;
		}
		if (r != -EAGAIN)
			goto out;
	}
	r = to_spool(w);
	if (r < 0)
		goto out;
	if (size > 0 && (uint64_t)size > w->t->spool_max)
		r = -EFBIG;
	else if (size > 0)
		r = wf_fetch(w); /* to 0: nothing to fetch */
	if (r == 0 && w->fd < 0 && size > 0)
		r = wf_spool_create(w);
	if (r == 0 && w->fd >= 0 && ftruncate(w->fd, size) < 0)
		r = -errno;
	if (r == 0) {
		w->size = size;
		/* to 0, lost data no longer matters */
		wnode_set_state(
			w, lost(w) && size > 0 ? W_LOST_LOCAL : W_SPOOL_DIRTY,
			w->lost_err);
	}
out:
	w->mtime = time(NULL);
	return r;
}

int wfile_truncate(struct wnode *w, int64_t size)
{
	int r;

	pthread_mutex_lock(&w->lock);
	r = truncate_locked(w, size);
	wf_node_unlock(w);
	return r;
}

/* --- attributes --------------------------------------------------------- */

int wfile_defer_attr(struct wnode *w, const time_t *mtime, const mode_t *mode)
{
	int r = 1;

	pthread_mutex_lock(&w->lock);
	if (mode)
		w->keep_mode = 0; /* the mode asked for wins */
	if (!wnode_pending(w)) {
		r = 0;
	} else if (mode && w->state == W_STREAMING) {
		/* the upload's temporary exists: set the mode there now,
		 * so a refusal is this call's error (the rename keeps it) */
		bool refused;

		r = wf_chmod_tmp(w, *mode, &refused);
		if (r == 0 || w->t->ignore_attr_errors)
			r = 1;
		if (r == 1) {
			/* on the temporary: the rename keeps it */
			w->mode_bits = w->keep_mode = *mode;
			w->tmp_moded = true;
			w->set_mode = false;
		}
	} else {
		if (mtime) {
			w->mtime = *mtime;
			w->set_mtime = true;
		}
		if (mode) {
			w->mode_bits = *mode;
			w->set_mode = true;
		}
	}
	wf_node_unlock(w);
	return r;
}

void wfile_mode_shown(struct wnode *w, mode_t mode)
{
	pthread_mutex_lock(&w->lock);
	if (!w->set_mode && !w->tmp_moded && w->keep_mode != mode)
		w->keep_mode = 0; /* the server's default: nothing to set */
	wf_node_unlock(w);
}

/* --- commit ------------------------------------------------------------- */

static int flush_locked(struct wnode *w)
{
	char name[256];
	int r;

	switch (w->state) {
	case W_LOST_REMOTE:
	case W_LOST_LOCAL:
		return w->lost_err; /* never report lost data as saved */
	case W_STREAMING:
		if (!atomic_load(&w->t->stopping))
			return wf_stream_finish(w, true);
		/* never closed: a part of the file, not to replace it */
		log_warn("%s: unmounted while written: upload rolled back",
			 wf_log_name(w, name, sizeof(name)));
		return wf_stream_finish(w, false);
	case W_APPENDING:
		return wf_stream_finish(w, true);
	case W_APPEND_NEW:
		r = wf_stream_start(w); /* APPE with nothing creates it */
		return r < 0 ? wnode_lose(w, r) : wf_stream_finish(w, true);
	case W_STREAM_NEW:
		r = wf_upload(w); /* an empty file */
		if (r < 0)
			return wnode_lose(w, r);
		wnode_set_state(w, w->size > 0 ? W_SPOOL_REMOTE : W_SPOOL_CLEAN,
				0);
		return 0;
	case W_SPOOL_DIRTY:
	case W_SPOOL_FAILED:
		r = wf_upload(w);
		/* failed: kept, a later flush tries again */
		wnode_set_state(w, r < 0 ? W_SPOOL_FAILED : W_SPOOL_CLEAN, 0);
		return r;
	default:
		return 0;
	}
}

int wfile_flush(struct wnode *w)
{
	int r;

	pthread_mutex_lock(&w->lock);
	r = flush_locked(w);
	wf_node_unlock(w);
	return r;
}

bool wfile_unwritten(struct wnode *w)
{
	bool r;

	pthread_mutex_lock(&w->lock);
	r = w->state == W_STREAMING && w->pos == 0;
	pthread_mutex_unlock(&w->lock);
	return r;
}

/* Free a node out of the table (w->lock not held). */
static void node_free(struct wnode *w)
{
	if (w->fd >= 0)
		close(w->fd);
	pthread_mutex_destroy(&w->lock);
	free(w->path);
	free(w->srv);
	free(w->tmp);
	free(w->win);
	xfer_free(w->x);
	free(w);
}

int wfile_release(struct wnode *w)
{
	struct wfile_table *t = w->t;
	struct wnode **pp;
	char name[256];
	bool last;
	int r = 0;

	pthread_mutex_lock(&t->lock);
	last = --w->refs == 0;
	/* A handle that joined a node while its last release commits, and
	 * goes again before that commit ends, leaves the node to that
	 * release: it looks at refs again when done and frees the node (two
	 * "last" releases freed it twice). */
	if (last && w->releasing)
		last = false;
	else if (last)
		w->releasing = true;
	pthread_mutex_unlock(&t->lock);
	if (!last)
		return 0;
	/* The node stays in the table while it commits: a writer opening
	 * the name meanwhile joins it (and waits for this commit) instead
	 * of uploading beside it from an older size. */
	pthread_mutex_lock(&w->lock);
	if (w->state == W_SPOOL_FAILED) {
		/* close() already reported it; nothing changed since */
		log_err("%s: changes not saved on the server",
			wf_log_name(w, name, sizeof(name)));
		r = -EIO;
	} else {
		r = flush_locked(w);
	}
	pthread_mutex_lock(&t->lock);
	last = w->refs == 0;
	if (last) {
		for (pp = &t->nodes; *pp != w; pp = &(*pp)->next)
			;
		*pp = w->next;
	} else {
		w->releasing =
			false; /* the new handles' last release commits */
	}
	pthread_mutex_unlock(&t->lock);
	if (!last) {
		/* joined while committing: the new handles carry on from
		 * the server's copy where this one's data was lost (that
		 * was this handle's to report) */
		if (lost(w))
			wnode_set_state(w, W_SPOOL_REMOTE, 0);
		wf_node_unlock(w);
		return r;
	}
	pthread_mutex_unlock(&w->lock);
	node_free(w);
	return r;
}
