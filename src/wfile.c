/* wfile — files open for writing. See wfile.h.
 *
 * One node per open name, shared by every handle of it: opening a name
 * that has a node joins it (even while its last handle's release is
 * committing it: the node leaves the table only after that commit, so a
 * new writer never uploads beside it from an older size), and a rename
 * through the mount moves the nodes at and below the name, temporaries
 * included.
 *
 * Locking. Lock order: w->lock, then t->lock; a session from the pool
 * is taken with w->lock held, never the other way round.
 *   - w->lock, a node's I/O lock: everything in the node but its names
 *     and snapshot; held across the node's network I/O (one writer at a
 *     time per file; other files go on).
 *   - t->lock, the table lock, a leaf: the node list, refs, the names
 *     (path, srv, tmp: read as copies, names_get), each node's snapshot
 *     (size, mtime, mode, pending: published by node_unlock) and the
 *     rename state. Never held across I/O, never held while waiting for
 *     a w->lock. So getattr and readdir (the snapshot) and renames (the
 *     names) never wait for an upload.
 * A rename changes the names while an upload may be using them: it is
 * bracketed by wfile_rename_begin/end around its RNFR/RNTO, on a session
 * it holds already; an upload whose STOR/RNTO/... on a name failed waits
 * (t->renamed) for renames in flight and tries the new names. That wait
 * is never for a session or a node, so it cannot close a cycle.
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
/* A stream keeps this many of the bytes it sent last, to resend them
 * after a reconnect (what the server had not yet written when it went) */
#define RESUME_WINDOW (8 * 1024 * 1024)

enum wmode { M_STREAM, M_APPEND, M_SPOOL };

struct wnode {
	struct wfile_table *t;
	struct wnode *next;  /* protected by t->lock */
	/* protected by t->lock (a rename changes them at any time) */
	char *path, *srv;
	char *tmp;           /* the running upload's temporary server name */
	unsigned refs;       /* protected by t->lock */
	struct {             /* protected by t->lock: see node_unlock */
		bool pending;
		int64_t size;
		time_t mtime;
		mode_t mode;
	} snap;
	pthread_mutex_t lock;
	enum wmode mode;
	struct ftp_session *s; /* STREAM/APPEND: transfer running */
	char *win;             /* STREAM: the resume window, or NULL */
	size_t win_len;        /* valid bytes in it, ending at pos */
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
	atomic_bool stopping;  /* wfile_table_stop */
	/* renames through the mount (protected by lock) */
	unsigned renaming;     /* RNFR/RNTO in flight */
	unsigned long names_gen; /* bumped by each that moved a node */
	pthread_cond_t renamed;  /* renaming went to 0 */
	atomic_bool no_chmod;  /* SITE CHMOD refused: keep_mode not tried */
	/* temporaries a broken session kept us from deleting: deleted at
	 * unmount (wfile_orphans_sweep); protected by lock */
	char *orphans[WFILE_ORPHANS_MAX];
	unsigned n_orphans;
};

/* tmp may be on the server and could not be deleted now (the session
 * broke): keep it for wfile_orphans_sweep(). */
static void orphan_add(struct wfile_table *t, const char *tmp)
{
	char *c = strdup(tmp);

	pthread_mutex_lock(&t->lock);
	if (c && t->n_orphans < WFILE_ORPHANS_MAX) {
		t->orphans[t->n_orphans++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&t->lock);
	if (c || !tmp)
		log_warn("the temporary %s may be left on the server", tmp);
	free(c);
}

void wfile_orphans_sweep(struct wfile_table *t)
{
	char *v[WFILE_ORPHANS_MAX];
	struct ftp_session *s = NULL;
	unsigned n, i;

	pthread_mutex_lock(&t->lock);
	n = t->n_orphans;
	memcpy(v, t->orphans, n * sizeof(v[0]));
	t->n_orphans = 0;
	pthread_mutex_unlock(&t->lock);
	for (i = 0; i < n; i++) {
		if (!s && pool_get_timed(t->pool, POOL_META, 10000, &s) < 0)
			s = NULL;
		/* 550: it was never made, or is gone */
		if (!s || (session_delete(s, v[i]) < 0 && session_broken(s)))
			log_warn("could not remove the temporary %s", v[i]);
		if (s && session_broken(s)) {
			pool_put(t->pool, s);
			s = NULL;
		}
		free(v[i]);
	}
	if (s)
		pool_put(t->pool, s);
}

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
	pthread_cond_init(&t->renamed, NULL);
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
	while (t->n_orphans)
		free(t->orphans[--t->n_orphans]);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->renamed);
	free(t->dir);
	free(t);
}

void wfile_table_stop(struct wfile_table *t)
{
	atomic_store(&t->stopping, true);
}

bool wfile_tmp_name(const char *name)
{
	size_t pl = strlen(WFILE_TMP_PREFIX), i;

	if (strncmp(name, WFILE_TMP_PREFIX, pl) || strlen(name) != pl + 16)
		return false;
	for (i = pl; name[i]; i++)
		if (!strchr("0123456789abcdef", name[i]))
			return false;
	return true;
}

/* --- helpers ------------------------------------------------------------ */

static bool pending_locked(const struct wnode *w)
{
	return w->dirty || w->s || w->flush_failed;
}

/* Publish what getattr and readdir see, then let the node go. */
static void node_unlock(struct wnode *w)
{
	struct wfile_table *t = w->t;

	pthread_mutex_lock(&t->lock);
	w->snap.pending = pending_locked(w);
	w->snap.size = w->size;
	w->snap.mtime = w->mtime;
	/* a mode set meanwhile, else the one the commit will give (the
	 * server's own where it cannot set modes) */
	w->snap.mode = w->set_mode ? w->mode_bits
		       : atomic_load(&t->no_chmod) ? 0 : w->keep_mode;
	pthread_mutex_unlock(&t->lock);
	pthread_mutex_unlock(&w->lock);
}

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

/* A new temporary for the node's upload (w->lock held). */
static int set_tmp(struct wnode *w)
{
	char *tmp;

	pthread_mutex_lock(&w->t->lock);
	tmp = tmp_name(w->srv);
	free(w->tmp);
	w->tmp = tmp;
	pthread_mutex_unlock(&w->t->lock);
	return tmp ? 0 : -ENOMEM;
}

static void set_tmp_null(struct wnode *w)
{
	char *tmp;

	pthread_mutex_lock(&w->t->lock);
	tmp = w->tmp;
	w->tmp = NULL;
	pthread_mutex_unlock(&w->t->lock);
	free(tmp);
}

/* The node's names as they are now (a rename may change them at any
 * time): copies, with the table's rename generation. */
struct wnames {
	char *path, *srv, *tmp;
	unsigned long gen;
};

static int names_get(struct wnode *w, struct wnames *n)
{
	bool ok;

	pthread_mutex_lock(&w->t->lock);
	n->path = strdup(w->path);
	n->srv = strdup(w->srv);
	n->tmp = w->tmp ? strdup(w->tmp) : NULL;
	n->gen = w->t->names_gen;
	ok = n->path && n->srv && (n->tmp || !w->tmp);
	pthread_mutex_unlock(&w->t->lock);
	if (ok)
		return 0;
	free(n->path);
	free(n->srv);
	free(n->tmp);
	return -ENOMEM;
}

static void names_free(struct wnames *n)
{
	free(n->path);
	free(n->srv);
	free(n->tmp);
	n->path = n->srv = n->tmp = NULL;
}

/* After a command on the node's names failed: did a rename through the
 * mount move them since names_get? Waits for renames in flight: each is
 * one RNFR/RNTO on a session it took before it began, so this never
 * waits for a session or a node the caller holds. */
static bool names_moved(struct wnode *w, const struct wnames *n)
{
	struct wfile_table *t = w->t;
	bool moved;

	pthread_mutex_lock(&t->lock);
	while (t->renaming)
		pthread_cond_wait(&t->renamed, &t->lock);
	moved = t->names_gen != n->gen;
	pthread_mutex_unlock(&t->lock);
	return moved;
}

/* The node's name for a log line, into buf. */
static const char *log_name(struct wnode *w, char *buf, size_t size)
{
	pthread_mutex_lock(&w->t->lock);
	snprintf(buf, size, "%s", w->path);
	pthread_mutex_unlock(&w->t->lock);
	return buf;
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

/* Start cmd on the node's temporary (a new one: to_tmp) or on its file,
 * again under the new names where a rename through the mount moved them
 * as it was sent. */
static int start_named(struct wnode *w, struct ftp_session *s,
		       const char *cmd, bool to_tmp)
{
	struct wnames n;
	int r, tries = 0;
	bool again;

	do {
		r = to_tmp ? set_tmp(w) : 0;
		if (r == 0)
			r = names_get(w, &n);
		if (r < 0)
			return r;
		r = session_xfer_start(s, cmd, to_tmp ? n.tmp : n.srv, 0);
		if (r < 0 && to_tmp && n.tmp && session_broken(s))
			orphan_add(w->t, n.tmp); /* the server may have made it */
		again = r < 0 && !session_broken(s) && tries++ < 3 &&
			names_moved(w, &n);
		names_free(&n);
	} while (again);
	return r;
}

/* RNTO of the temporary over the file, as start_named. */
static int rename_tmp(struct wnode *w, struct ftp_session *s,
		      struct wnames *n)
{
	int r, tries = 0;

	for (;;) {
		r = session_rename(s, n->tmp, n->srv);
		if (r == 0 || session_broken(s) || tries++ == 3 ||
		    !names_moved(w, n))
			return r;
		names_free(n);
		r = names_get(w, n);
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
			 "mode %o", path, w->keep_mode);
}

/* Rename the temporary over the file. Where the server refuses to rename
 * over an existing file, delete the old one first (not atomic: say so
 * once). */
static int commit_tmp(struct wnode *w, struct ftp_session *s)
{
	struct wnames n;
	int r = names_get(w, &n);

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
		if (!w->t->warned_rename) {
			w->t->warned_rename = true;
			log_warn("the server cannot rename over a file; "
				 "replacing files is not atomic");
		}
		r = session_rename(s, n.tmp, n.srv);
	}
out:
	names_free(&n);
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
			if (names_get(w, &n) == 0 && n.tmp)
				orphan_add(w->t, n.tmp);
			names_free(&n);
			return;
		}
		s = s2;
	}
	do {
		names_free(&n);
		r = names_get(w, &n);
		if (r == 0 && n.tmp)
			r = session_delete(s, n.tmp);
	} while (r < 0 && n.tmp && !session_broken(s) && tries++ < 3 &&
		 names_moved(w, &n));
	if (r < 0 && n.tmp && session_broken(s))
		orphan_add(w->t, n.tmp); /* at unmount */
	else if (r < 0)
		log_warn("could not remove the temporary %s",
			 n.tmp ? n.tmp : "(no memory)");
	names_free(&n);
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
	if (names_get(w, &n) < 0)
		return 0; /* attributes are best effort */
	/* The data is safe on the server: a refused attribute is logged,
	 * never an error of close() or fsync() (which report the data). */
	if (w->set_mode) {
		w->set_mode = false;
		r = session_chmod(s, n.srv, w->mode_bits);
		if (r < 0)
			log_warn("%s: saved, but the server did not set mode %o: %s",
				 n.path, w->mode_bits, session_last_error(s));
	}
	if (w->set_mtime) {
		w->set_mtime = false;
		r = session_set_mtime(s, n.srv, w->mtime);
		if (r < 0)
			log_warn("%s: saved, but the server did not set its "
				 "modification time: %s", n.path,
				 session_last_error(s));
	}
	names_free(&n);
	return 0;
}

/* Tell ftpfs status which file s is uploading (total bytes, -1 unknown),
 * under its current name. */
static void note_upload(struct wnode *w, struct ftp_session *s,
			int64_t total)
{
	struct wnames n;

	if (names_get(w, &n) == 0) {
		session_xfer_note(s, n.srv, total);
		names_free(&n);
	}
}

/* Upload the spool (or nothing, fd < 0) to a temporary, then rename. */
static int upload(struct wnode *w)
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
		log_err("%s: upload failed: %s", log_name(w, name, sizeof(name)),
			session_last_error(s)[0] ? session_last_error(s)
						 : strerror(-r));
	if (r < 0 && started && !committed)
		drop_tmp(w, &s);
	if (s)
		pool_put(w->t->pool, s);
	free(buf);
	set_tmp_null(w);
	return r;
}

/* Fill the spool from the server. */
static int fetch(struct wnode *w)
{
	struct ftp_session *s;
	char *buf, name[256];
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
	r = start_named(w, s, "RETR", false);
	while (r == 0 && (n = session_xfer_read(s, buf, CHUNK)) != 0) {
		if (n < 0) {
			r = (int)n;
			break;
		}
		if ((uint64_t)(off + n) > w->t->spool_max) {
			log_err("%s: larger than spool_max",
				log_name(w, name, sizeof(name)));
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
		w->need_fetch = false;
		w->size = off;
		if (ftruncate(w->fd, off) < 0)
			r = -errno;
	}
out:
	free(buf);
	if (r < 0)
		log_err("%s: cannot fetch for writing: %s",
			log_name(w, name, sizeof(name)), strerror(-r));
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
	struct wnames n = { 0 };
	int r = pool_get(w->t->pool, POOL_META, &s), tries = 0;

	*refused = false;
	if (r < 0)
		return r;
	do {
		names_free(&n);
		r = names_get(w, &n);
		if (r == 0)
			r = n.tmp ? session_chmod(s, n.tmp, mode) : -EPERM;
	} while (r < 0 && n.tmp && !session_broken(s) && tries++ < 3 &&
		 names_moved(w, &n));
	names_free(&n);
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
		set_tmp_null(w);
	}
	return r;
}

/* End the running transfer and, when commit, make it the file. Without
 * commit (our side failed) a temporary is deleted, whatever the server
 * thought of the upload. */
static int stream_end(struct wnode *w, int r, bool commit)
{
	char name[256];

	if (r == 0 && !commit)
		r = -EIO;
	if (r == 0 && w->mode == M_STREAM)
		r = commit_tmp(w, w->s);
	if (r == 0)
		r = after_commit(w, w->s);
	else
		log_err("%s: upload failed: %s", log_name(w, name, sizeof(name)),
			session_last_error(w->s));
	if (r < 0 && w->mode == M_STREAM)
		drop_tmp(w, &w->s);
	if (w->s)
		pool_put(w->t->pool, w->s);
	w->s = NULL;
	set_tmp_null(w);
	free(w->win);
	w->win = NULL;
	w->win_len = 0;
	return session_user_errno(r);
}

static int stream_resume(struct wnode *w, const char *buf, size_t len);

/* End the transfer; where its connection broke before the server's
 * final reply (which may have come after all the bytes arrived), resume
 * it with nothing more to send and end that. */
static int stream_finish(struct wnode *w, bool commit)
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

	if (w->mode == M_SPOOL)
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

	if (w->mode == M_SPOOL || !w->win || !session_broken(w->s))
		return -EIO;
	r = pool_get(w->t->pool, POOL_BULK, &s);
	if (r < 0)
		return r;
	r = names_get(w, &n);
	name_on_server = w->mode == M_STREAM ? n.tmp : n.srv;
	if (r == 0 && name_on_server)
		r = session_size(s, name_on_server, &have);
	if (r == 0 && (have > w->pos || have < w->pos - (int64_t)w->win_len))
		r = -EIO; /* more than we sent, or less than we kept */
	if (r == 0)
		r = w->mode == M_STREAM
			    ? session_xfer_start(s, "STOR", n.tmp, have)
			    : session_xfer_start(s, "APPE", n.srv, 0);
	if (r == 0)
		r = win_resend(w, s, have);
	if (r == 0 && len > 0)
		r = session_xfer_write(s, buf, len);
	if (r == 0) {
		log_info("%s: connection lost; upload resumed at byte %lld",
			 log_name(w, name, sizeof(name)), (long long)have);
		pool_put(w->t->pool, w->s);
		w->s = s;
	} else {
		log_err("%s: connection lost; cannot resume the upload (%s)",
			log_name(w, name, sizeof(name)),
			have < 0 ? session_last_error(s) : "not from where the "
			"server is");
		if (session_xfer_active(s))
			session_xfer_abort(s);
		pool_put(w->t->pool, s);
	}
	names_free(&n);
	return r;
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
		/* the server's final reply says why (552, 451...), or the
		 * connection is gone: then resume where the server is */
		r = session_xfer_finish(w->s);
		if (stream_resume(w, buf, len) == 0)
			goto sent;
		/* what was sent is gone: fail every later write and flush,
		 * and never commit a part of the file */
		w->err = stream_end(w, r ? r : -EIO, false);
		w->dirty = false;
		return w->err;
	}
sent:
	win_keep(w, buf, len);
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
	/* an APPE node's file has what others appended too: fetch it
	 * unless it is a new file with nothing sent yet */
	bool fetch_all = w->mode == M_APPEND && (w->s || !w->dirty);
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
	w->need_fetch = w->size > 0 || fetch_all;
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
			/* the size may be old: fetch even an empty file */
			w->mode = M_SPOOL;
			w->size = size;
			w->need_fetch = true;
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
	node_unlock(w);
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
	if (off < 0 && w->mode == M_STREAM)
		off = w->size; /* O_APPEND: the end this node knows */
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
	if (off < 0)
		off = w->size; /* O_APPEND: the end, with every handle's data */
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
	node_unlock(w);
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
	node_unlock(w);
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
	node_unlock(w);
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
	node_unlock(w);
	return r;
}

void wfile_mode_shown(struct wnode *w, mode_t mode)
{
	pthread_mutex_lock(&w->lock);
	if (!w->set_mode && !w->tmp_moded && w->keep_mode != mode)
		w->keep_mode = 0; /* the server's default: nothing to set */
	node_unlock(w);
}

static int flush_locked(struct wnode *w)
{
	char name[256];
	int r = 0;

	if (w->err)
		return w->err; /* never report lost data as saved */
	if (w->s && w->mode == M_STREAM && atomic_load(&w->t->stopping)) {
		/* never closed: a part of the file, not to replace it */
		log_warn("%s: unmounted while written: upload rolled back",
			 log_name(w, name, sizeof(name)));
		r = stream_finish(w, false);
	} else if (w->s) {
		r = stream_finish(w, true);
	} else if (w->dirty && w->mode == M_APPEND) {
		r = stream_start(w) ?: stream_finish(w, true); /* create it */
	} else if (w->dirty) {
		r = upload(w);
	}
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
	node_unlock(w);
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
	pthread_mutex_unlock(&t->lock);
	if (!last)
		return 0;
	/* The node stays in the table while it commits: a writer opening
	 * the name meanwhile joins it (and waits for this commit) instead
	 * of uploading beside it from an older size. */
	pthread_mutex_lock(&w->lock);
	if (w->flush_failed) {
		/* close() already reported it; nothing changed since */
		log_err("%s: changes not saved on the server",
			log_name(w, name, sizeof(name)));
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
	}
	pthread_mutex_unlock(&t->lock);
	if (!last) {
		/* joined while committing: the new handles carry on from
		 * the server's copy where this one's data was lost (that
		 * was this handle's to report) */
		if (w->err) {
			w->err = 0;
			w->mode = M_SPOOL;
			w->dirty = false;
			w->need_fetch = true;
		}
		node_unlock(w);
		return r;
	}
	pthread_mutex_unlock(&w->lock);
	node_free(w);
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
	struct wnode *w;
	int r = 0;

	/* the snapshot: never waits for the node's upload */
	pthread_mutex_lock(&t->lock);
	w = find_locked(t, path);
	if (w && w->snap.pending) {
		*size = w->snap.size;
		*mtime = w->snap.mtime;
		*mode = w->snap.mode;
		r = 1;
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

bool wfile_has_node(struct wfile_table *t, const char *path)
{
	bool r;

	pthread_mutex_lock(&t->lock);
	r = find_locked(t, path) != NULL;
	pthread_mutex_unlock(&t->lock);
	return r;
}

bool wfile_pending(struct wnode *w)
{
	bool r;

	pthread_mutex_lock(&w->t->lock);
	r = w->snap.pending;
	pthread_mutex_unlock(&w->t->lock);
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

static bool below(const char *p, const char *from)
{
	size_t fl = strlen(from);

	return !strncmp(p, from, fl) && (!p[fl] || p[fl] == '/');
}

void wfile_rename_begin(struct wfile_table *t)
{
	pthread_mutex_lock(&t->lock);
	t->renaming++;
	pthread_mutex_unlock(&t->lock);
}

/* Replace *p by its moved form where it is at or below from. */
static void move_name(char **p, const char *from, const char *to)
{
	char *np = *p ? moved(*p, from, to) : NULL;

	if (np) {
		free(*p);
		*p = np;
	}
}

void wfile_rename_end(struct wfile_table *t, bool done, const char *from,
		      const char *to, const char *srv_from, const char *srv_to)
{
	struct wnode *w;

	pthread_mutex_lock(&t->lock);
	for (w = t->nodes; done && w; w = w->next) {
		if (!below(w->path, from))
			continue;
		move_name(&w->path, from, to);
		move_name(&w->srv, srv_from, srv_to);
		/* the temporary is in the moved directory too */
		move_name(&w->tmp, srv_from, srv_to);
	}
	if (done)
		t->names_gen++;
	if (--t->renaming == 0)
		pthread_cond_broadcast(&t->renamed);
	pthread_mutex_unlock(&t->lock);
}

bool wfile_tmp_in_use(struct wfile_table *t, const char *srv)
{
	struct wnode *w;
	bool r = false;

	pthread_mutex_lock(&t->lock);
	for (w = t->nodes; w && !r; w = w->next)
		r = w->tmp && !strcmp(w->tmp, srv);
	pthread_mutex_unlock(&t->lock);
	return r;
}

void wfile_list(struct wfile_table *t, const char *dir,
		void (*fn)(void *ctx, const char *name, int64_t size,
			   time_t mtime, bool pending),
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
		fn(ctx, name, w->snap.size, w->snap.mtime, w->snap.pending);
	}
	pthread_mutex_unlock(&t->lock);
}
