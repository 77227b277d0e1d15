/* pool — a bounded set of FTP sessions shared by the FUSE threads.
 *
 * A caller takes a session with pool_get(), uses it alone, and gives it
 * back with pool_put(); a broken session is closed there and its slot is
 * reopened lazily by a later pool_get(). With max >= 2, bulk users (data
 * transfers of open files) hold at most max - 1 sessions, so metadata never
 * waits behind transfers.
 *
 * Why no request queue with a worker thread per session (DESIGN.md 1):
 * libfuse's own threads already are the workers. Letting them take a
 * session directly saves a hand-off between threads and a copy per
 * request, keeps each request's state on its own stack, and bounds
 * concurrency the same way (at most max sessions in use, the rest wait
 * on a condition variable in FIFO-ish order).
 *
 * A reader between two reads may "park" its session with the transfer
 * still open: the session stays its own until pool_unpark(), unless someone
 * who needs a session (or the idle reaper) takes it first: the transfer is
 * aborted and pool_unpark() returns false, and the reader restarts with
 * REST where it was.
 */
#ifndef FTPFS_POOL_H
#define FTPFS_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "session.h"

struct pool;

enum pool_kind { POOL_META, POOL_BULK };

struct pool_cfg {
	unsigned max_sessions; /* >= 1 */
	int park_ms;	  /* a parked session idle this long is reclaimed */
	int keepalive_s;  /* NOOP on sessions idle this long; 0 = never */
	int idle_close_s; /* close sessions idle this long; 0 = never */
	int reconnect_s;  /* keep trying to connect this long; 0 = once */
	bool hard;	  /* an absent server: wait for it, never -EIO */
};

/* Opens the first session at once, so that a wrong host or password is
 * reported before mounting. Errors as session_open(), message in err. */
int pool_new(const struct session_cfg *scfg, const struct pool_cfg *pcfg,
	     struct pool **out, char *err, size_t errlen);
/* Start the maintenance thread (park reclaim, keepalive, idle close, the
 * probe of a server that is down). Call
 * after any fork (daemonising): threads do not survive fork(). */
int pool_start(struct pool *p);
/* Stops the maintenance thread and closes every session. No session may be
 * in use. */
void pool_free(struct pool *p);

unsigned pool_caps(const struct pool *p);
/* Sessions usable now (lowered by 421). */
unsigned pool_limit(struct pool *p);
const char *pool_root(const struct pool *p);
/* The server counts as down and requests fail at once (never with hard). */
bool pool_down(struct pool *p);

/* Wait for a session (opening one when allowed). -EIO when none can be
 * opened (the reason is logged), -ESHUTDOWN at pool_free().
 *
 * The server gone (connections refused, timing out, 421 to everyone):
 * the first requests wait for it, together, up to reconnect_s from the
 * first failed attempt; then the pool counts it down, and until a probe
 * (every 1-10 s, from the maintenance thread) or a session gets in again,
 * every request fails at once with -EIO without dialling, or with hard
 * waits until the server is back. */
int pool_get(struct pool *p, enum pool_kind kind, struct ftp_session **out);
/* The same, but give up with -EAGAIN after timeout_ms without a session
 * (with hard: also while the server is down). */
int pool_get_timed(struct pool *p, enum pool_kind kind, int timeout_ms,
		   struct ftp_session **out);
/* A bulk session only if one is free or can be opened now: never waits,
 * never takes over a parked transfer, never retries a failed connect
 * (for background work that must not delay anyone). -EAGAIN when none
 * (at once while the server is down), else the error of the connect. */
int pool_get_spare(struct pool *p, struct ftp_session **out);
/* A session for a transfer that cannot wait for the application (an
 * upload at close, a read): a bulk one, or after a short wait any free
 * one, so that transfers held open by the application can never leave
 * it waiting on itself. */
int pool_get_transfer(struct pool *p, struct ftp_session **out);
void pool_put(struct pool *p, struct ftp_session *s);

void pool_park(struct pool *p, struct ftp_session *s, const void *owner);
bool pool_unpark(struct pool *p, struct ftp_session *s, const void *owner);
/* For xfer.c: pool_park() with owner x, an xfer (xfer.h) whose state the
 * pool turns to STOLEN, under its lock, when it takes the session back. */
struct xfer;
void pool_park_xfer(struct pool *p, struct ftp_session *s, struct xfer *x);

/* Run fn on a metadata session; if it fails because the session broke,
 * retry once on a fresh session (fn must be idempotent). */
int pool_run(struct pool *p, int (*fn)(struct ftp_session *s, void *ctx),
	     void *ctx);
/* The same, giving up with -EAGAIN after timeout_ms without a session
 * (also with hard while the server is down). */
int pool_run_timed(struct pool *p, int (*fn)(struct ftp_session *s, void *ctx),
		   void *ctx, int timeout_ms);

#endif
