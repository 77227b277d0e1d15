/* wfile — files open for writing. See wfile.h.
 *
 * Locking: t->lock protects the node list, each node's path strings and
 * refs. w->lock protects everything else in a node and is held across the
 * node's network I/O (one writer at a time per file; other files go on).
 * Order: w->lock may be taken while not holding t->lock only; t->lock is
 * never held across I/O.
 */
#include "wfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "pool.h"
#include "session.h"

#define CHUNK (256 * 1024)
#define STREAM_WAIT_MS 3000 /* wait this long for a session, then spool */

enum wmode { M_STREAM, M_APPEND, M_SPOOL };

struct wnode {
	struct wfile_table *t;
	struct wnode *next;  /* protected by t->lock */
	char *path, *srv;    /* protected by t->lock (rename) and w->lock */
	unsigned refs;       /* protected by t->lock */
	pthread_mutex_t lock;
	enum wmode mode;
	struct ftp_session *s; /* STREAM/APPEND: transfer running */
	char *tmp;             /* STREAM: temporary server name */
	int64_t pos;           /* STREAM/APPEND: next byte's offset */
	int fd;                /* SPOOL: the spool file, -1 before */
	bool need_fetch;       /* SPOOL: contents still on the server only */
	bool dirty;            /* something to commit */
	int64_t size;
	time_t mtime;
	bool set_mtime;        /* apply mtime after the next commit */
	bool set_mode;         /* apply mode after the next commit */
	mode_t mode_bits;
	mode_t keep_mode;      /* the mode the committed file is to have:
				* the replaced file's, or the one asked for
				* at create; 0 = the server's default */
	bool tmp_moded;        /* STREAM: keep_mode is on the temporary */
	int err;               /* sticky: data was lost (a stream failed) */
	bool flush_failed;     /* the last upload failed, nothing new since */
};

struct wfile_table {
	struct pool *pool;
	bool ignore_attr_errors;
	char *dir;
	uint64_t spool_max;
	pthread_mutex_t lock;
	struct wnode *nodes;
	bool warned_rename;
	atomic_bool no_chmod;  /* SITE CHMOD refused: keep_mode not tried */
};

int wfile_table_new(struct pool *p, const char *spool_dir, uint64_t spool_max,
		    bool ignore_attr_errors, struct wfile_table **out)
{
	struct wfile_table *t = calloc(1, sizeof(*t));
	size_t l = strlen(spool_dir);

	if (!t)
		return -ENOMEM;
	t->dir = malloc(l + sizeof("/ftpfs-spool-XXXXXX"));
	if (!t->dir) {
		free(t);
		return -ENOMEM;
	}
	memcpy(t->dir, spool_dir, l);
	memcpy(t->dir + l, "/ftpfs-spool-XXXXXX",
	       sizeof("/ftpfs-spool-XXXXXX"));
	if (!mkdtemp(t->dir)) { /* mkdtemp makes it 0700 */
		int r = -errno;

		free(t->dir);
		free(t);
		return r;
	}
	t->pool = p;
	t->spool_max = spool_max;
	t->ignore_attr_errors = ignore_attr_errors;
	pthread_mutex_init(&t->lock, NULL);
	*out = t;
	return 0;
}

void wfile_table_free(struct wfile_table *t)
{
	if (!t)
		return;
	if (t->nodes)
		log_warn("files still open for writing at unmount");
	rmdir(t->dir);
	pthread_mutex_destroy(&t->lock);
	free(t->dir);
	free(t);
}

/* --- helpers ------------------------------------------------------------ */

/* "<dir of srv>/.ftpfs-tmp-<16 hex>" */
static char *tmp_name(const char *srv)
{
	const char *slash = strrchr(srv, '/');
	size_t dl = slash ? (size_t)(slash - srv) : 0;
	uint64_t rnd;
	char *s;

	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (uint64_t)random() << 32 ^ (uint64_t)random();
	s = malloc(dl + sizeof(WFILE_TMP_PREFIX) + 18);
	if (!s)
		return NULL;
	snprintf(s, dl + sizeof(WFILE_TMP_PREFIX) + 18, "%.*s/%s%016llx",
		 (int)dl, srv, WFILE_TMP_PREFIX, (unsigned long long)rnd);
	return s;
}

static int spool_create(struct wnode *w)
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

/* Rename tmp over srv. Where the server refuses to rename over an existing
 * file, delete the old one first (not atomic: say so once). */
static int commit_tmp(struct wnode *w, struct ftp_session *s, const char *tmp)
{
	/* -o verify_upload: the server's checksum of the temporary must be
	 * that of the bytes sent, or the old file stays */
	int r = session_verify_upload(s, tmp);

	if (r < 0)
		return r;
	/* the new file gets the mode of the one it replaces, not the
	 * server's default (a script stays executable, a private file is
	 * not made readable by others) */
	if (w->keep_mode && !w->tmp_moded && !atomic_load(&w->t->no_chmod)) {
		r = session_chmod(s, tmp, w->keep_mode);
		if (r < 0 && session_broken(s))
			return r;
		if (r < 0 && !atomic_exchange(&w->t->no_chmod, true))
			log_info("the server does not set modes (SITE CHMOD: %s)"
				 "; replaced files get its default mode",
				 session_last_error(s));
	}
	r = session_rename(s, tmp, w->srv);

	if (r == 0 || session_broken(s))
		return r;
	if (session_delete(s, w->srv) == 0) {
		if (!w->t->warned_rename) {
			w->t->warned_rename = true;
			log_warn("the server cannot rename over a file; "
				 "replacing files is not atomic");
		}
		r = session_rename(s, tmp, w->srv);
	}
	return r;
}

/* Best effort: remove a temporary after a failure. A broken *s goes back
 * to the pool first (*s becomes NULL): waiting for another session while
 * holding it could wait for ever when the pool is full. */
static void drop_tmp(struct wnode *w, struct ftp_session **s,
		     const char *tmp)
{
	struct ftp_session *s2 = NULL;

	if (session_broken(*s)) {
		pool_put(w->t->pool, *s);
		*s = NULL;
		if (pool_get(w->t->pool, POOL_META, &s2) < 0)
			return;
	}
	if (session_delete(s2 ? s2 : *s, tmp) < 0)
		log_warn("could not remove the temporary %s", tmp);
	if (s2)
		pool_put(w->t->pool, s2);
}

/* Apply a mode and time set while the data was pending (a mode set on the
 * temporary is not among them: that one was answered at once). */
static int after_commit(struct wnode *w, struct ftp_session *s)
{
	int r;

	/* The data is safe on the server: a refused attribute is logged,
	 * never an error of close() or fsync() (which report the data). */
	if (w->set_mode) {
		w->set_mode = false;
		r = session_chmod(s, w->srv, w->mode_bits);
		if (r < 0)
			log_warn("%s: saved, but the server did not set mode %o: %s",
				 w->path, w->mode_bits, session_last_error(s));
	}
	if (w->set_mtime) {
		w->set_mtime = false;
		r = session_set_mtime(s, w->srv, w->mtime);
		if (r < 0)
			log_warn("%s: saved, but the server did not set its "
				 "modification time: %s", w->path,
				 session_last_error(s));
	}
	return 0;
}

/* Upload the spool (or nothing, fd < 0) to a temporary, then rename. */
static int upload(struct wnode *w)
{
	struct ftp_session *s;
	char *tmp, *buf = NULL;
	int64_t off = 0;
	ssize_t n;
	int r, r2;
	bool started = false, committed = false;

	tmp = tmp_name(w->srv);
	if (!tmp)
		return -ENOMEM;
	r = pool_get_transfer(w->t->pool, &s);
	if (r < 0)
		goto out_tmp;
	r = session_xfer_start(s, "STOR", tmp, 0);
	if (r < 0)
		goto out_put;
	started = true;
	session_xfer_note(s, w->srv, w->fd >= 0 ? w->size : 0); /* status */
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
	else if ((r = commit_tmp(w, s, tmp)) == 0)
		committed = true;
	if (committed)
		r = after_commit(w, s);
out_put:
	if (r < 0)
		log_err("%s: upload failed: %s", w->path,
			session_last_error(s)[0] ? session_last_error(s)
						 : strerror(-r));
	if (r < 0 && started && !committed)
		drop_tmp(w, &s, tmp);
	if (s)
		pool_put(w->t->pool, s);
out_tmp:
	free(buf);
	free(tmp);
	return r;
}

/* Fill the spool from the server. */
static int fetch(struct wnode *w)
{
	struct ftp_session *s;
	char *buf;
	int64_t off = 0;
	ssize_t n;
	int r;

	if (!w->need_fetch)
		return 0;
	if (w->fd < 0 && (r = spool_create(w)) < 0)
		return r;
	buf = malloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	r = pool_get_transfer(w->t->pool, &s);
	if (r < 0)
		goto out;
	r = session_xfer_start(s, "RETR", w->srv, 0);
	while (r == 0 && (n = session_xfer_read(s, buf, CHUNK)) != 0) {
		if (n < 0) {
			r = (int)n;
			break;
		}
		if ((uint64_t)(off + n) > w->t->spool_max) {
			log_err("%s: larger than spool_max", w->path);
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
		w->need_fetch = false;
		/* a truncate before the fetch wins; else the server's size */
		if (w->size < off && ftruncate(w->fd, w->size) < 0)
			r = -errno;
		else if (w->size > off && ftruncate(w->fd, w->size) < 0)
			r = -errno;
	}
out:
	free(buf);
	if (r < 0)
		log_err("%s: cannot fetch for writing: %s", w->path,
			strerror(-r));
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
static int chmod_tmp(struct wnode *w, mode_t mode, bool *refused)
{
	struct ftp_session *s;
	int r = pool_get(w->t->pool, POOL_META, &s);

	*refused = false;
	if (r < 0)
		return r;
	r = session_chmod(s, w->tmp, mode);
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
	w->tmp_moded = chmod_tmp(w, w->keep_mode, &refused) == 0;
	if (refused)
		atomic_store(&w->t->no_chmod, true); /* say so at commit */
}

/* Start STOR (to a temporary) or APPE. -EAGAIN: no session free now. */
static int stream_start(struct wnode *w)
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
	if (w->mode == M_STREAM) {
		w->tmp = tmp_name(w->srv);
		r = w->tmp ? session_xfer_start(w->s, "STOR", w->tmp, 0)
			   : -ENOMEM;
		w->tmp_moded = false;
		if (r == 0)
			session_xfer_note(w->s, w->srv, -1); /* ftpfs status */
		if (r == 0)
			restrict_tmp(w);
	} else {
		r = session_xfer_start(w->s, "APPE", w->srv, 0);
	}
	if (r < 0) {
		pool_put(w->t->pool, w->s);
		w->s = NULL;
		free(w->tmp);
		w->tmp = NULL;
	}
	return r;
}

/* End the running transfer and, when commit, make it the file. Without
 * commit (our side failed) a temporary is deleted, whatever the server
 * thought of the upload. */
static int stream_finish(struct wnode *w, bool commit)
{
	int r;

	if (!w->s)
		return 0;
	r = session_xfer_finish(w->s);
	if (r == 0 && !commit)
		r = -EIO;
	if (r == 0 && w->mode == M_STREAM)
		r = commit_tmp(w, w->s, w->tmp);
	if (r == 0)
		r = after_commit(w, w->s);
	else
		log_err("%s: upload failed: %s", w->path,
			session_last_error(w->s));
	if (r < 0 && w->mode == M_STREAM)
		drop_tmp(w, &w->s, w->tmp);
	if (w->s)
		pool_put(w->t->pool, w->s);
	w->s = NULL;
	free(w->tmp);
	w->tmp = NULL;
	return session_user_errno(r);
}

static int stream_send(struct wnode *w, const char *buf, size_t len)
{
	int r;

	if (!w->s) {
		r = stream_start(w);
		if (r < 0)
			return r;
	}
	r = session_xfer_write(w->s, buf, len);
	if (r < 0) {
		/* the server's final reply says why (552, 451...); what was
		 * sent is gone: fail every later write and flush, and never
		 * commit a part of the file */
		w->err = stream_finish(w, false);
		w->dirty = false;
		return w->err;
	}
	w->pos += (int64_t)len;
	return 0;
}

static int stream_zeros(struct wnode *w, int64_t n)
{
	static const char zeros[65536];
	int r = 0;

	while (n > 0 && r == 0) {
		size_t k = n > (int64_t)sizeof(zeros) ? sizeof(zeros)
						       : (size_t)n;

		r = stream_send(w, zeros, k);
		n -= (int64_t)k;
	}
	return r;
}

/* Leave STREAM/APPEND for SPOOL: commit what was sent, then work on a
 * local copy, fetched back when needed. */
static int to_spool(struct wnode *w)
{
	int r = 0;

	if (w->mode == M_SPOOL)
		return 0;
	if (w->s) {
		r = stream_finish(w, true);
	} else if (w->dirty && w->mode == M_STREAM) {
		/* created/truncated, nothing sent yet: nothing to fetch */
		w->mode = M_SPOOL;
		w->need_fetch = false;
		return 0;
	}
	if (r < 0)
		return r;
	w->mode = M_SPOOL;
	w->dirty = false;
	w->need_fetch = w->size > 0;
	return 0;
}

static int truncate_locked(struct wnode *w, int64_t size);

/* --- the table ---------------------------------------------------------- */

static struct wnode *find_locked(struct wfile_table *t, const char *path)
{
	struct wnode *w;

	for (w = t->nodes; w; w = w->next)
		if (!strcmp(w->path, path))
			return w;
	return NULL;
}

int wfile_open(struct wfile_table *t, const char *path, const char *srv,
	       enum wfile_how how, bool rdwr, int64_t size, mode_t keep_mode,
	       struct wnode **out)
{
	struct wnode *w;
	bool fresh = false;
	int r = 0;

	pthread_mutex_lock(&t->lock);
	w = find_locked(t, path);
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
			return -ENOMEM;
		}
		pthread_mutex_init(&w->lock, NULL);
		w->t = t;
		w->fd = -1;
		w->next = t->nodes;
		t->nodes = w;
		fresh = true;
	}
	w->refs++;
	pthread_mutex_unlock(&t->lock);

	pthread_mutex_lock(&w->lock);
	w->mtime = time(NULL);
	if (fresh) {
		/* a mode without read for the owner is the listing's
		 * rights mask at work (fs.c), not the file's real mode */
		w->keep_mode = keep_mode & 0400 ? keep_mode & 07777 : 0;
		switch (how) {
		case WF_NEW:
		case WF_TRUNC:
			w->mode = rdwr ? M_SPOOL : M_STREAM;
			w->dirty = true;
			w->size = 0;
			break;
		case WF_APPEND:
			w->mode = rdwr ? M_SPOOL : M_APPEND;
			w->size = w->pos = size;
			w->need_fetch = rdwr && size > 0;
			w->dirty = how == WF_APPEND && size == 0 && !rdwr;
			break;
		case WF_UPDATE:
			w->mode = M_SPOOL;
			w->size = size;
			w->need_fetch = size > 0;
			break;
		}
		/* start the upload now: a server that refuses to store
		 * is an error of open(), not of close() */
		if (w->mode == M_STREAM) {
			r = stream_start(w);
			if (r == -EAGAIN)
				r = to_spool(w); /* no session free: spool */
			if (r < 0)
				w->dirty = false; /* nothing to commit */
		}
	} else {
		/* a second writer: only a spool serves both */
		if (how == WF_TRUNC || how == WF_NEW) {
			r = truncate_locked(w, 0);
		} else if (w->mode != M_SPOOL) {
			r = to_spool(w);
		}
	}
	pthread_mutex_unlock(&w->lock);
	if (r < 0) {
		wfile_release(w);
		return r;
	}
	*out = w;
	return 0;
}

ssize_t wfile_write(struct wnode *w, const char *buf, size_t len, int64_t off)
{
	ssize_t ret = (ssize_t)len;
	int r = 0;

	pthread_mutex_lock(&w->lock);
	if (w->err) {
		r = w->err;
		goto out;
	}
	if (w->mode == M_APPEND) {
		/* O_APPEND: the kernel names the end it knows; APPE appends */
		r = stream_send(w, buf, len);
		if (r == -EAGAIN)
			r = to_spool(w);
		else if (r == 0) {
			w->size = w->pos;
			w->dirty = true;
			goto out;
		}
		if (r < 0)
			goto out;
		off = w->size;
	}
	if (w->mode == M_STREAM) {
		if (off >= w->pos) {
			r = stream_zeros(w, off - w->pos);
			if (r == 0)
				r = stream_send(w, buf, len);
			if (r == 0) {
				if (w->pos > w->size)
					w->size = w->pos;
				goto out;
			}
			if (r != -EAGAIN)
				goto out;
		}
		r = to_spool(w); /* out of order, or no session to stream */
		if (r < 0)
			goto out;
	}
	r = fetch(w);
	if (r < 0)
		goto out;
	if ((uint64_t)off + len > w->t->spool_max) {
		r = -EFBIG;
		goto out;
	}
	if (w->fd < 0 && (r = spool_create(w)) < 0)
		goto out;
	if (pwrite(w->fd, buf, len, off) != (ssize_t)len) {
		r = -errno ?: -ENOSPC;
		goto out;
	}
	if (off + (int64_t)len > w->size)
		w->size = off + (int64_t)len;
	w->dirty = true;
	w->flush_failed = false;
out:
	w->mtime = time(NULL);
	pthread_mutex_unlock(&w->lock);
	return r < 0 ? r : ret;
}

ssize_t wfile_read(struct wnode *w, char *buf, size_t len, int64_t off)
{
	ssize_t n = 0;
	int r;

	pthread_mutex_lock(&w->lock);
	r = to_spool(w);
	if (r == 0)
		r = fetch(w);
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
	pthread_mutex_unlock(&w->lock);
	return r < 0 ? r : n;
}

static int truncate_locked(struct wnode *w, int64_t size)
{
	int r = 0;

	if (w->mode == M_STREAM && size >= w->pos && !w->err) {
		r = stream_zeros(w, size - w->pos);
		if (r == 0) {
			w->size = size;
			w->dirty = true;
			goto out;
		}
		if (r != -EAGAIN)
			goto out;
	}
	r = to_spool(w);
	if (r < 0)
		goto out;
	if (size == 0)
		w->need_fetch = false;
	else if ((uint64_t)size > w->t->spool_max)
		r = -EFBIG;
	else
		r = fetch(w);
	if (r == 0 && w->fd < 0 && size > 0)
		r = spool_create(w);
	if (r == 0 && w->fd >= 0 && ftruncate(w->fd, size) < 0)
		r = -errno;
	if (r == 0) {
		w->size = size;
		w->dirty = true;
		w->flush_failed = false;
		if (size == 0)
			w->err = 0; /* lost data no longer matters */
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
	pthread_mutex_unlock(&w->lock);
	return r;
}

int wfile_defer_attr(struct wnode *w, const time_t *mtime, const mode_t *mode)
{
	int r = 1;

	pthread_mutex_lock(&w->lock);
	if (mode)
		w->keep_mode = 0; /* the mode asked for wins */
	if (!(w->dirty || w->s || w->flush_failed)) {
		r = 0;
	} else if (mode && w->s && w->tmp) {
		/* the upload's temporary exists: set the mode there now,
		 * so a refusal is this call's error (the rename keeps it) */
		bool refused;

		r = chmod_tmp(w, *mode, &refused);
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
	pthread_mutex_unlock(&w->lock);
	return r;
}

static int flush_locked(struct wnode *w)
{
	int r = 0;

	if (w->err)
		return w->err; /* never report lost data as saved */
	if (w->s)
		r = stream_finish(w, true);
	else if (w->dirty && w->mode == M_APPEND)
		r = stream_start(w) ?: stream_finish(w, true); /* create it */
	else if (w->dirty)
		r = upload(w);
	if (r == 0) {
		w->dirty = false;
	} else if (w->mode == M_SPOOL) {
		w->flush_failed = true; /* kept: a later flush tries again */
	} else {
		w->err = r; /* a stream's data is gone */
		w->dirty = false;
	}
	if (r == 0 && w->mode == M_STREAM) {
		/* more writes after this go to a spool of the new file */
		w->mode = M_SPOOL;
		w->need_fetch = w->size > 0;
	}
	return r;
}

int wfile_flush(struct wnode *w)
{
	int r;

	pthread_mutex_lock(&w->lock);
	r = flush_locked(w);
	pthread_mutex_unlock(&w->lock);
	return r;
}

bool wfile_unwritten(struct wnode *w)
{
	bool r;

	pthread_mutex_lock(&w->lock);
	r = w->s && w->mode == M_STREAM && w->pos == 0 && !w->err;
	pthread_mutex_unlock(&w->lock);
	return r;
}

int wfile_release(struct wnode *w)
{
	struct wfile_table *t = w->t;
	struct wnode **pp;
	int r = 0;

	pthread_mutex_lock(&t->lock);
	if (--w->refs > 0) {
		pthread_mutex_unlock(&t->lock);
		return 0;
	}
	for (pp = &t->nodes; *pp != w; pp = &(*pp)->next)
		;
	*pp = w->next;
	pthread_mutex_unlock(&t->lock);

	pthread_mutex_lock(&w->lock);
	if (w->flush_failed) {
		/* close() already reported it; nothing changed since */
		log_err("%s: changes not saved on the server", w->path);
		r = -EIO;
	} else {
		r = flush_locked(w);
	}
	if (w->fd >= 0)
		close(w->fd);
	pthread_mutex_unlock(&w->lock);
	pthread_mutex_destroy(&w->lock);
	free(w->path);
	free(w->srv);
	free(w);
	return r;
}

struct wnode *wfile_find(struct wfile_table *t, const char *path)
{
	struct wnode *w;

	pthread_mutex_lock(&t->lock);
	w = find_locked(t, path);
	if (w)
		w->refs++;
	pthread_mutex_unlock(&t->lock);
	return w;
}

int wfile_stat(struct wfile_table *t, const char *path, int64_t *size,
	       time_t *mtime, mode_t *mode)
{
	struct wnode *w = wfile_find(t, path);
	int r = 0;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->lock);
	if (w->dirty || w->s || w->flush_failed) {
		*size = w->size;
		*mtime = w->mtime;
		/* a mode set meanwhile, else the one the commit will give (the
		 * server's own where it cannot set modes) */
		*mode = w->set_mode ? w->mode_bits
				    : atomic_load(&w->t->no_chmod) ? 0
								   : w->keep_mode;
		r = 1;
	}
	pthread_mutex_unlock(&w->lock);
	wfile_release(w);
	return r;
}

bool wfile_pending(struct wnode *w)
{
	bool r;

	pthread_mutex_lock(&w->lock);
	r = w->dirty || w->s || w->flush_failed;
	pthread_mutex_unlock(&w->lock);
	return r;
}

/* "from" or "from/..." → "to..." */
static char *moved(const char *p, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), pl = strlen(p);
	char *s;

	if (strncmp(p, from, fl) || (p[fl] && p[fl] != '/'))
		return NULL;
	s = malloc(tl + pl - fl + 1);
	if (!s)
		return NULL;
	memcpy(s, to, tl);
	memcpy(s + tl, p + fl, pl - fl + 1);
	return s;
}

void wfile_renamed(struct wfile_table *t, const char *from, const char *to,
		   const char *srv_from, const char *srv_to)
{
	struct wnode *w;

	pthread_mutex_lock(&t->lock);
	for (w = t->nodes; w; w = w->next) {
		char *np = moved(w->path, from, to);
		char *ns = moved(w->srv, srv_from, srv_to);

		if (np && ns) {
			/* w->lock is not taken here: a node's path strings
			 * change only under t->lock, read under w->lock by
			 * its I/O; take it to avoid a torn read */
			pthread_mutex_lock(&w->lock);
			free(w->path);
			free(w->srv);
			w->path = np;
			w->srv = ns;
			pthread_mutex_unlock(&w->lock);
		} else {
			free(np);
			free(ns);
		}
	}
	pthread_mutex_unlock(&t->lock);
}

void wfile_list(struct wfile_table *t, const char *dir,
		void (*fn)(void *ctx, const char *name, int64_t size,
			   time_t mtime),
		void *ctx)
{
	size_t dl = strlen(dir);
	struct wnode *w;

	if (dl == 1)
		dl = 0; /* "/" */
	pthread_mutex_lock(&t->lock);
	for (w = t->nodes; w; w = w->next) {
		const char *name = w->path + dl + 1;

		if (strncmp(w->path, dir, dl) || w->path[dl] != '/' ||
		    strchr(name, '/'))
			continue;
		fn(ctx, name, w->size, w->mtime);
	}
	pthread_mutex_unlock(&t->lock);
}
