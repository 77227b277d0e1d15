/* segread — parallel segment read-ahead. See segread.h.
 *
 * Segments are handed out in file order (next); each one is owned by the
 * helper filling it until done. r->lock guards the list and every
 * segment's filled/done/err; a helper writes into buf beyond filled
 * without the lock (nobody reads there), then publishes under it. Each
 * helper's transfer (xfer.h) is its own, used without r->lock: the lock
 * order is the reader's file_stream lock, then r->lock; r->lock is never
 * held while calling into xfer or the pool (xfer.c).
 */
#include "segread.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xfer.h"

#define MAX_HELPERS 16

/* next, filled, done, err protected by segread.lock; off fixed; buf see
 * above */
struct seg {
	struct seg *next;
	int64_t off;
	size_t filled;
	bool done;
	int err;
	char *buf; /* SEGREAD_SEG bytes */
};

struct segread {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* untimed waits; CLOCK_MONOTONIC anyway */
	struct pool *pool;   /* fixed */
	char *path;	     /* fixed */
	/* protected by lock, but n, th[] and started[] (segread_new() and
	 * segread_free() only, with the helpers not running) */
	struct seg *head, *tail; /* in file order */
	int64_t next;		 /* start of the next segment to hand out */
	int64_t reader;		 /* where the reader is */
	int64_t eof;		 /* end of the file once seen, else -1 */
	int64_t size;		 /* its size when opened, else -1 */
	unsigned nseg;		 /* segments in the list */
	unsigned max_seg;	 /* bound of that */
	unsigned live;		 /* helpers running */
	bool stop, failed;
	unsigned n;
	pthread_t th[MAX_HELPERS];
	bool started[MAX_HELPERS];
};

struct helper_arg {
	struct segread *r;
	bool first;
};

/* Under lock: free the segments wholly before the one holding off. */
static void drop_before(struct segread *r, int64_t off)
{
	while (r->head && r->head->done && r->head->off + SEGREAD_SEG <= off) {
		struct seg *g = r->head;

		r->head = g->next;
		if (!r->head)
			r->tail = NULL;
		r->nseg--;
		free(g->buf);
		free(g);
		pthread_cond_broadcast(&r->cond);
	}
}

/* Under lock: the next segment to fill, or NULL when there is none to
 * hand out (waits while the helpers are far enough ahead). Segments the
 * reader has left behind are freed here as well as in segread_read: one
 * finished (its ABOR answered) after the reader last looked would
 * otherwise hold its place in the list until the reader came back, and
 * the reader may be waiting for the very segment it keeps out. */
static struct seg *take(struct segread *r)
{
	struct seg *g;

	for (;;) {
		if (r->stop || r->failed ||
		    (r->eof >= 0 && r->next >= r->eof) ||
		    (r->size >= 0 && r->next >= r->size))
			return NULL;
		drop_before(r, r->reader - SEGREAD_SEG);
		if (r->nseg < r->max_seg)
			break;
		pthread_cond_wait(&r->cond, &r->lock);
	}
	g = calloc(1, sizeof(*g));
	if (g)
		g->buf = malloc(SEGREAD_SEG);
	if (!g || !g->buf) {
		free(g);
		r->failed = true;
		pthread_cond_broadcast(&r->cond);
		return NULL;
	}
	g->off = r->next;
	r->next += SEGREAD_SEG;
	if (r->tail)
		r->tail->next = g;
	else
		r->head = g;
	r->tail = g;
	r->nseg++;
	return g;
}

/* Fill g on x. 0, 1 at the end of the file, or a negative errno (then the
 * transfer ended, and x is READY or BROKEN). */
static int fill(struct segread *r, struct xfer *x, struct seg *g)
{
	ssize_t n = 0;
	bool stop;
	int ret;

	ret = xfer_open(x, "RETR", r->path, g->off);
	if (ret < 0)
		return ret;
	for (;;) {
		size_t want = SEGREAD_SEG - g->filled;

		if (!want)
			break;
		n = xfer_read(x, g->buf + g->filled,
			      want > 262144 ? 262144 : want);
		if (n <= 0)
			break;
		pthread_mutex_lock(&r->lock);
		g->filled += (size_t)n;
		stop = r->stop;
		pthread_cond_broadcast(&r->cond);
		pthread_mutex_unlock(&r->lock);
		if (stop) {
			xfer_abort(x);
			return -ECANCELED;
		}
	}
	if (n < 0)
		return (int)n;
	if (g->filled == SEGREAD_SEG)
		return xfer_abort(x) < 0 ? -EIO : 0;
	ret = xfer_finish(x);
	return ret < 0 ? ret : 1;
}

static void *helper(void *arg)
{
	struct helper_arg *a = arg;
	struct segread *r = a->r;
	struct xfer *x = xfer_new(r->pool, XFER_TAKE_SPARE, 0);
	struct seg *g;
	int ret = -ENOMEM;

	/* the first helper waits for a session, the others take spares */
	if (x)
		ret = xfer_take(
			x, a->first ? XFER_TAKE_TRANSFER : XFER_TAKE_SPARE, 0);
	free(a);
	pthread_mutex_lock(&r->lock);
	while (ret == 0 && (g = take(r)) != NULL) {
		pthread_mutex_unlock(&r->lock);
		ret = xfer_take(x, XFER_TAKE_SPARE, 0); /* none after a break */
		if (ret == 0)
			ret = fill(r, x, g);
		if (ret < 0)
			xfer_release(x); /* this helper ends */
		pthread_mutex_lock(&r->lock);
		g->done = true;
		if (ret == 1 &&
		    (r->eof < 0 || g->off + (int64_t)g->filled < r->eof))
			r->eof = g->off + (int64_t)g->filled;
		if (ret < 0 && ret != -ECANCELED) {
			log_dbg("%s: segment at %lld: %d", r->path,
				(long long)g->off, ret);
			g->err = ret;
			r->failed = true;
		}
		ret = ret < 0 ? ret : 0;
		pthread_cond_broadcast(&r->cond);
	}
	r->live--;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	xfer_free(x);
	return NULL;
}

struct segread *segread_new(struct pool *p, const char *path, int64_t start,
			    int64_t size, unsigned n)
{
	struct segread *r = calloc(1, sizeof(*r));
	unsigned i;

	if (!r)
		return NULL;
	r->path = strdup(path);
	if (!r->path) {
		free(r);
		return NULL;
	}
	if (n > MAX_HELPERS)
		n = MAX_HELPERS;
	pthread_mutex_init(&r->lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&r->cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	r->pool = p;
	r->next = r->reader = start;
	r->eof = -1;
	r->size = size;
	r->n = n;
	/* one segment per helper in flight, one more being read */
	r->max_seg = n + 1;
	pthread_mutex_lock(&r->lock);
	for (i = 0; i < n; i++) {
		struct helper_arg *a = malloc(sizeof(*a));

		if (!a)
			break;
		a->r = r;
		a->first = i == 0;
		r->live++;
		if (pthread_create(&r->th[i], NULL, helper, a)) {
			r->live--;
			free(a);
			break;
		}
		r->started[i] = true;
	}
	pthread_mutex_unlock(&r->lock);
	if (i == 0) {
		segread_free(r);
		return NULL;
	}
	return r;
}

ssize_t segread_read(struct segread *r, char *buf, size_t len, int64_t off)
{
	size_t got = 0;
	ssize_t ret = 0;

	pthread_mutex_lock(&r->lock);
	if (off < r->reader - SEGREAD_SEG || (r->head && off < r->head->off) ||
	    off >= r->next + SEGREAD_SEG) {
		pthread_mutex_unlock(&r->lock);
		return -ERANGE;
	}
	if (off > r->reader)
		r->reader = off;
	/* keep the segment before the reader: the kernel's read-ahead
	 * may come slightly out of order */
	drop_before(r, r->reader - SEGREAD_SEG);
	while (got < len) {
		int64_t want = off + (int64_t)got;
		struct seg *g;

		if (r->eof >= 0 && want >= r->eof)
			break;
		for (g = r->head; g && want >= g->off + SEGREAD_SEG;
		     g = g->next)
			;
		if (g && want < g->off) {
			ret = -ERANGE;
			break;
		}
		if (g && g->err) {
			ret = g->err;
			break;
		}
		if (g && want < g->off + (int64_t)g->filled) {
			size_t at = (size_t)(want - g->off);
			size_t n = g->filled - at;

			if (n > len - got)
				n = len - got;
			memcpy(buf + got, g->buf + at, n);
			got += n;
			continue;
		}
		if (r->failed || (!r->live && !(g && !g->done))) {
			ret = -ERANGE; /* nobody will bring it */
			break;
		}
		pthread_cond_wait(&r->cond, &r->lock);
	}
	if (ret == 0 && off + (int64_t)got > r->reader)
		r->reader = off + (int64_t)got;
	pthread_mutex_unlock(&r->lock);
	return ret < 0 ? ret : (ssize_t)got;
}

void segread_free(struct segread *r)
{
	struct seg *g;
	unsigned i;

	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	for (i = 0; i < r->n; i++)
		if (r->started[i])
			pthread_join(r->th[i], NULL);
	while ((g = r->head) != NULL) {
		r->head = g->next;
		free(g->buf);
		free(g);
	}
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r->path);
	free(r);
}
