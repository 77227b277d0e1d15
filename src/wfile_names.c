/* wfile_names — the write nodes' table: finding a node, its names (and
 * how a rename through the mount moves them), its temporaries' names,
 * the snapshot getattr and readdir read, and the temporaries left for
 * the sweep at unmount. Everything here takes t->lock only, and never
 * waits for a node's I/O lock (w->lock): see wfile.c for the locks.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "log.h"
#include "pool.h"
#include "session.h"
#include "wfile_int.h"
#include "xfer.h"

/* tmp may be on the server and could not be deleted now (the session
 * broke): keep it for wfile_orphans_sweep(). */
void wf_orphan_add(struct wfile_table *t, const char *tmp)
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
	struct xfer *x = xfer_new(t->pool, XFER_TAKE_META, 10000);
	struct ftp_session *s;
	unsigned n, i;

	pthread_mutex_lock(&t->lock);
	n = t->n_orphans;
	memcpy(v, t->orphans, n * sizeof(v[0]));
	t->n_orphans = 0;
	pthread_mutex_unlock(&t->lock);
	for (i = 0; i < n; i++) {
		/* a session for DELE, taken again after one broke */
		s = x && xfer_take(x, XFER_TAKE_META, 10000) == 0
			    ? xfer_session(x)
			    : NULL;
		/* 550: it was never made, or is gone */
		if (!s || (session_delete(s, v[i]) < 0 && xfer_broken(x)))
			log_warn("could not remove the temporary %s", v[i]);
		if (s && xfer_broken(x))
			xfer_release(x); /* closes it */
		free(v[i]);
	}
	xfer_free(x);
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

/* --- names and snapshot ------------------------------------------------ */

/* Publish what getattr and readdir see, then let the node go (the only
 * writer of w->snap). */
void wf_node_unlock(struct wnode *w)
{
	struct wfile_table *t = w->t;

	pthread_mutex_lock(&t->lock);
	w->snap.pending = wnode_pending(w);
	w->snap.size = w->size;
	w->snap.mtime = w->mtime;
	/* a mode set meanwhile, else the one the commit will give (the
	 * server's own where it cannot set modes) */
	w->snap.mode = w->set_mode		   ? w->mode_bits
		       : atomic_load(&t->no_chmod) ? 0
						   : w->keep_mode;
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
int wf_set_tmp(struct wnode *w)
{
	char *tmp;

	pthread_mutex_lock(&w->t->lock);
	tmp = tmp_name(w->srv);
	free(w->tmp);
	w->tmp = tmp;
	pthread_mutex_unlock(&w->t->lock);
	return tmp ? 0 : -ENOMEM;
}

void wf_set_tmp_null(struct wnode *w)
{
	char *tmp;

	pthread_mutex_lock(&w->t->lock);
	tmp = w->tmp;
	w->tmp = NULL;
	pthread_mutex_unlock(&w->t->lock);
	free(tmp);
}

int wf_names_get(struct wnode *w, struct wnames *n)
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
	wf_names_free(n);
	return -ENOMEM;
}

void wf_names_free(struct wnames *n)
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
bool wf_names_moved(struct wnode *w, const struct wnames *n)
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
const char *wf_log_name(struct wnode *w, char *buf, size_t size)
{
	pthread_mutex_lock(&w->t->lock);
	snprintf(buf, size, "%s", w->path);
	pthread_mutex_unlock(&w->t->lock);
	return buf;
}

struct wnode *wf_find_locked(struct wfile_table *t, const char *path)
{
	struct wnode *w;

	for (w = t->nodes; w; w = w->next)
		if (!strcmp(w->path, path))
			return w;
	return NULL;
}

struct wnode *wfile_find(struct wfile_table *t, const char *path)
{
	struct wnode *w;

	pthread_mutex_lock(&t->lock);
	w = wf_find_locked(t, path);
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
	w = wf_find_locked(t, path);
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
	r = wf_find_locked(t, path) != NULL;
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
