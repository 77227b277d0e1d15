/* prefetch — list directories in the background, before they are opened.
 *
 * A bounded FIFO of FUSE paths and a few worker threads (started lazily,
 * joined by prefetch_free). A worker takes a job, then a spare session
 * (pool_get_spare: free now or openable now, never a parked transfer,
 * never a wait) and calls fn with it; with no spare session the job is
 * dropped. No session is held while waiting for work. Jobs are best
 * effort: errors are logged at debug level and forgotten.
 *
 * One path is never queued or running twice. A caller about to list a
 * path itself calls prefetch_claim(): a queued job is cancelled, a running
 * one is waited for (its result is then in the cache, or it failed).
 */
#ifndef FTPFS_PREFETCH_H
#define FTPFS_PREFETCH_H

#include <stdbool.h>
#include <stddef.h>

struct pool;
struct ftp_session;
struct prefetch;

/* The job: list path on s and put it in the cache; 0 or a negative errno.
 * s is NULL when the prefetcher has no pool (tests). */
typedef int (*prefetch_fn)(void *arg, struct ftp_session *s, const char *path);

struct prefetch_cfg {
	unsigned workers; /* threads at most, >= 1 */
	size_t queue_max; /* queued paths at most, >= 1 */
};

/* pool may be NULL (fn gets no session). NULL on allocation failure. */
struct prefetch *prefetch_new(const struct prefetch_cfg *cfg, struct pool *pool,
			      prefetch_fn fn, void *arg);
/* Stop taking jobs, drop the queue, wake claimers, wait for running jobs
 * and join the workers. NULL is a no-op. */
void prefetch_free(struct prefetch *pf);

/* Queue path at the back, or with front at the front: walkers (find, du,
 * ls -R) go depth first, so the subdirectories of the directory opened
 * last are wanted before its older siblings'; a full queue then drops its
 * last job to make room. 0 = queued; -EEXIST = already queued or running;
 * -ENOSPC = queue full (dropped); -EAGAIN = no worker could be started;
 * -ESHUTDOWN; -ENOMEM. Starts a worker when the queue holds more jobs than
 * idle workers and fewer than cfg.workers run. */
int prefetch_add(struct prefetch *pf, const char *path, bool front);

/* The caller lists path now: cancel its queued job, or wait for its
 * running one. true when a running job was waited for (look in the cache
 * again). */
bool prefetch_claim(struct prefetch *pf, const char *path);

/* Counters for tests and debug logs. */
struct prefetch_stats {
	unsigned long queued, dropped_full, dropped_busy, done, failed,
		cancelled, waited;
	size_t pending;	  /* queued now */
	unsigned running; /* jobs running now */
	unsigned threads; /* workers started */
};
void prefetch_stats(struct prefetch *pf, struct prefetch_stats *out);

#endif
