/* prefetch — background directory listings. See prefetch.h.
 *
 * Concurrency: one mutex (pf->lock) protects the queue, the running paths,
 * the counters and the thread table. It is never held across fn or a pool
 * call. Workers sleep on pf->work while the queue is empty; claimers sleep
 * on pf->done until the job they wait for is no longer running. A worker
 * marks its job running (cur[i]) under the same lock hold that dequeues it,
 * so a path is always either queued, running, or neither.
 *
 * Why drop rather than wait when no session is spare: a prefetch that
 * waits for a session would take it the moment the user's request gives it
 * back, in front of the user's next request. Walks keep opening
 * directories, so a dropped job is simply listed on demand.
 */
#include "prefetch.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pool.h"

struct prefetch {
	/* fixed after prefetch_new() */
	struct prefetch_cfg cfg;
	struct pool *pool;
	prefetch_fn fn;
	void *arg;
	pthread_mutex_t lock;
	pthread_cond_t work; /* the queue got a job, or stopping */
	pthread_cond_t done; /* a job finished, or stopping */
	char **q;	     /* queue, oldest first; protected by lock */
	size_t n;	     /* protected by lock */
	char **cur;	     /* cfg.workers: running job or NULL; by lock */
	pthread_t *threads;  /* protected by lock */
	unsigned nthreads;   /* started; protected by lock */
	unsigned idle;	     /* waiting for work; protected by lock */
	bool stopping;	     /* protected by lock */
	struct prefetch_stats st; /* protected by lock */
};

struct worker {
	struct prefetch *pf;
	unsigned id;
};

struct prefetch *prefetch_new(const struct prefetch_cfg *cfg, struct pool *pool,
			      prefetch_fn fn, void *arg)
{
	struct prefetch *pf = calloc(1, sizeof(*pf));

	if (!pf)
		return NULL;
	pf->cfg = *cfg;
	if (pf->cfg.workers < 1)
		pf->cfg.workers = 1;
	if (pf->cfg.queue_max < 1)
		pf->cfg.queue_max = 1;
	pf->pool = pool;
	pf->fn = fn;
	pf->arg = arg;
	pf->q = calloc(pf->cfg.queue_max, sizeof(*pf->q));
	pf->cur = calloc(pf->cfg.workers, sizeof(*pf->cur));
	pf->threads = calloc(pf->cfg.workers, sizeof(*pf->threads));
	if (!pf->q || !pf->cur || !pf->threads)
		goto err;
	pthread_mutex_init(&pf->lock, NULL);
	pthread_cond_init(&pf->work, NULL);
	pthread_cond_init(&pf->done, NULL);
	return pf;
err:
	free(pf->q);
	free(pf->cur);
	free(pf->threads);
	free(pf);
	return NULL;
}

/* Under lock. */
static bool running(struct prefetch *pf, const char *path)
{
	unsigned i;

	for (i = 0; i < pf->cfg.workers; i++)
		if (pf->cur[i] && !strcmp(pf->cur[i], path))
			return true;
	return false;
}

/* Under lock: index of path in the queue, or pf->n. */
static size_t queued_at(struct prefetch *pf, const char *path)
{
	size_t i;

	for (i = 0; i < pf->n; i++)
		if (!strcmp(pf->q[i], path))
			break;
	return i;
}

/* Under lock: remove q[i]; returns it. */
static char *unqueue(struct prefetch *pf, size_t i)
{
	char *p = pf->q[i];

	memmove(&pf->q[i], &pf->q[i + 1], (pf->n - i - 1) * sizeof(*pf->q));
	pf->n--;
	return p;
}

static void run_job(struct prefetch *pf, const char *path)
{
	struct ftp_session *s = NULL;
	int r;

	if (pf->pool) {
		r = pool_get_spare(pf->pool, &s);
		if (r < 0) {
			log_dbg("%s: no spare session, not prefetched", path);
			pthread_mutex_lock(&pf->lock);
			pf->st.dropped_busy++;
			pthread_mutex_unlock(&pf->lock);
			return;
		}
	}
	r = pf->fn(pf->arg, s, path);
	if (s)
		pool_put(pf->pool, s);
	if (r < 0)
		log_dbg("%s: prefetch failed: %s", path, strerror(-r));
	pthread_mutex_lock(&pf->lock);
	if (r < 0)
		pf->st.failed++;
	else
		pf->st.done++;
	pthread_mutex_unlock(&pf->lock);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct prefetch *pf = w->pf;
	unsigned id = w->id;
	char *path;

	free(w);
	pthread_mutex_lock(&pf->lock);
	for (;;) {
		while (!pf->stopping && pf->n == 0) {
			pf->idle++;
			pthread_cond_wait(&pf->work, &pf->lock);
			pf->idle--;
		}
		if (pf->stopping)
			break;
		path = unqueue(pf, 0);
		pf->cur[id] = path;
		pthread_mutex_unlock(&pf->lock);
		run_job(pf, path);
		pthread_mutex_lock(&pf->lock);
		pf->cur[id] = NULL;
		free(path);
		pthread_cond_broadcast(&pf->done);
	}
	pthread_mutex_unlock(&pf->lock);
	return NULL;
}

/* Under lock: start a worker if the queue outgrows the idle ones. */
static void maybe_start(struct prefetch *pf)
{
	struct worker *w;

	if (pf->n <= pf->idle || pf->nthreads >= pf->cfg.workers)
		return;
	w = malloc(sizeof(*w));
	if (!w)
		return;
	w->pf = pf;
	w->id = pf->nthreads;
	if (pthread_create(&pf->threads[w->id], NULL, worker_main, w) != 0) {
		log_dbg("cannot start a prefetch worker");
		free(w);
		return;
	}
	pf->nthreads++;
}

int prefetch_add(struct prefetch *pf, const char *path, bool front)
{
	char *p;
	int r = 0;

	pthread_mutex_lock(&pf->lock);
	if (pf->stopping) {
		r = -ESHUTDOWN;
	} else if (queued_at(pf, path) < pf->n || running(pf, path)) {
		r = -EEXIST;
	} else if (pf->n >= pf->cfg.queue_max && !front) {
		pf->st.dropped_full++;
		r = -ENOSPC;
	} else if (!(p = strdup(path))) {
		r = -ENOMEM;
	} else {
		if (pf->n >= pf->cfg.queue_max) {
			free(unqueue(pf, pf->n - 1));
			pf->st.dropped_full++;
		}
		if (front) {
			memmove(&pf->q[1], &pf->q[0], pf->n * sizeof(*pf->q));
			pf->q[0] = p;
		} else {
			pf->q[pf->n] = p;
		}
		pf->n++;
		pf->st.queued++;
		maybe_start(pf);
		if (pf->nthreads == 0) {
			/* no worker: nobody would ever take it */
			free(unqueue(pf, front ? 0 : pf->n - 1));
			pf->st.queued--;
			r = -EAGAIN;
		} else {
			pthread_cond_signal(&pf->work);
		}
	}
	pthread_mutex_unlock(&pf->lock);
	return r;
}

bool prefetch_claim(struct prefetch *pf, const char *path)
{
	bool waited = false;
	size_t i;

	pthread_mutex_lock(&pf->lock);
	i = queued_at(pf, path);
	if (i < pf->n) {
		free(unqueue(pf, i));
		pf->st.cancelled++;
	}
	while (!pf->stopping && running(pf, path)) {
		waited = true;
		pthread_cond_wait(&pf->done, &pf->lock);
	}
	if (waited)
		pf->st.waited++;
	pthread_mutex_unlock(&pf->lock);
	return waited;
}

void prefetch_stats(struct prefetch *pf, struct prefetch_stats *out)
{
	unsigned i;

	pthread_mutex_lock(&pf->lock);
	*out = pf->st;
	out->pending = pf->n;
	out->running = 0;
	for (i = 0; i < pf->cfg.workers; i++)
		if (pf->cur[i])
			out->running++;
	out->threads = pf->nthreads;
	pthread_mutex_unlock(&pf->lock);
}

void prefetch_free(struct prefetch *pf)
{
	unsigned i, n;

	if (!pf)
		return;
	pthread_mutex_lock(&pf->lock);
	log_dbg("prefetch: %lu queued, %lu listed, %lu failed, %lu no session, "
		"%lu queue full, %lu claimed from the queue, %lu waited for",
		pf->st.queued, pf->st.done, pf->st.failed, pf->st.dropped_busy,
		pf->st.dropped_full, pf->st.cancelled, pf->st.waited);
	pf->stopping = true;
	while (pf->n)
		free(unqueue(pf, pf->n - 1));
	pthread_cond_broadcast(&pf->work);
	pthread_cond_broadcast(&pf->done);
	n = pf->nthreads;
	pthread_mutex_unlock(&pf->lock);
	/* nthreads no longer grows: stopping is set */
	for (i = 0; i < n; i++)
		pthread_join(pf->threads[i], NULL);
	pthread_cond_destroy(&pf->done);
	pthread_cond_destroy(&pf->work);
	pthread_mutex_destroy(&pf->lock);
	free(pf->q);
	free(pf->cur);
	free(pf->threads);
	free(pf);
}
