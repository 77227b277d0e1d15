/* xfer — one data transfer (RETR, STOR, APPE) on a pooled session.
 *
 * An xfer holds at most one session of the pool and runs at most one
 * transfer on it. Its state, one of enum xfer_state, changes only through
 * one setter, which traces every transition with -d:
 *
 *   CLOSED   --xfer_take/xfer_open-->  READY (a session held, no transfer)
 *   READY    --xfer_open-->            OPENING --> RUNNING
 *                                              \-> READY (refused, in step)
 *                                              \-> BROKEN
 *            --xfer_broken, a command on xfer_session() broke it--> BROKEN
 *   RUNNING  --xfer_read/xfer_write--> RUNNING
 *            --xfer_finish-->          FINISHING --> READY | BROKEN
 *            --xfer_abort, a failed read--> READY | BROKEN
 *            (a failed write stays RUNNING: xfer_finish reads why)
 *            --xfer_park-->            PARKED
 *   PARKED   --xfer_unpark-->          RUNNING
 *            --a taker in the pool-->  STOLEN  --xfer_unpark--> CLOSED
 *   any      --xfer_release-->         CLOSED (abort unless broken, then
 *                                              the session goes back)
 *
 * Between calls an owner may park its running transfer (xfer_park): the
 * session stays in the pool with the transfer open, and the pool may give
 * it to someone who needs a session (or reclaim it after park_ms), marking
 * the xfer STOLEN under the pool's lock; the taker aborts the transfer.
 * xfer_unpark() then says -ESTALE and the owner opens again where it was.
 *
 * xfer_open() on an xfer in any state starts afresh: it ends a running
 * transfer, gives back a broken session and takes a new one as needed. So
 * resuming a read after a drop (or a theft) is xfer_open() at the
 * position, or xfer_reopen() for the same command and path; resuming an
 * upload is xfer_resume_upload() (SIZE, then REST + STOR or APPE).
 *
 * An owner may also hold a session for commands that are not transfers
 * (XFER_TAKE_META: DELE, RNFR/RNTO, SITE CHMOD beside an upload): it sends
 * them on xfer_session(), asks xfer_broken() afterwards, and gives the
 * session back with xfer_release() like any other.
 *
 * One thread at a time per xfer (the owner's lock); the pool's lock is
 * taken inside for park/unpark. Return rule as session.h: 0 or a count,
 * else a negative errno.
 */
#ifndef FTPFS_XFER_H
#define FTPFS_XFER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pool.h"

struct xfer;

enum xfer_state {
	XFER_CLOSED,	/* no session held */
	XFER_READY,	/* a session held, in step, no transfer open */
	XFER_OPENING,	/* REST and the command sent, awaiting 125/150 */
	XFER_RUNNING,	/* the transfer is open and ours */
	XFER_PARKED,	/* open, lent to the pool between calls */
	XFER_STOLEN,	/* the pool took the parked session back */
	XFER_FINISHING, /* data connection closed, awaiting the final reply */
	XFER_BROKEN,	/* the session broke: it can only be given back */
};

/* How a session is taken from the pool. */
enum xfer_take {
	XFER_TAKE_TRANSFER, /* pool_get_transfer() */
	XFER_TAKE_SPARE,    /* pool_get_spare(): never waits */
	XFER_TAKE_BULK,	    /* pool_get_timed(POOL_BULK, timeout_ms) */
	XFER_TAKE_META,	    /* pool_get_timed(POOL_META, timeout_ms): for
			     * commands beside a transfer */
};

/* A closed xfer on p; later takes use how (and timeout_ms for
 * XFER_TAKE_BULK and XFER_TAKE_META, -1 = no limit) unless xfer_take() says otherwise. NULL
 * without memory. */
struct xfer *xfer_new(struct pool *p, enum xfer_take how, int timeout_ms);
/* Hold a session (taken how, which becomes the default): 0 at once when
 * one is held; else what the pool_get function returns. */
int xfer_take(struct xfer *x, enum xfer_take how, int timeout_ms);
/* Start "cmd path" at byte off (REST off when off > 0), on the session
 * held (a running transfer is aborted first, a broken session replaced)
 * or a new one. Errors as session_xfer_start() (-ESPIPE: REST refused),
 * or the pool's; after a refusal the session is kept (READY). */
int xfer_open(struct xfer *x, const char *cmd, const char *path, int64_t off);
/* The last command and path again, from byte at (APPE sends no REST: at
 * is only where xfer_pos() counts from, the server appends). */
int xfer_reopen(struct xfer *x, int64_t at);
/* Resume an upload (STOR, APPE) whose connection broke: on a fresh
 * session (or the one held, when in step), ask the SIZE of size_of (the
 * file the upload writes: a STOR's target, an APPE's file, under its name
 * now: a rename may have moved it since xfer_open) and go on from there
 * with the last command on size_of, which must lie between lo (the oldest
 * byte the caller can send again) and xfer_pos(); *have is the size (-1
 * when not known). 0: the caller sends from *have on; else -EIO (the
 * server has more than was sent, or less than lo), the error of the pool
 * (then CLOSED), of SIZE or of xfer_open(). */
int xfer_resume_upload(struct xfer *x, const char *size_of, int64_t lo,
		       int64_t *have);
/* Read up to len bytes of a RETR; 0 at the end of the data (then
 * xfer_finish() reads the final reply). A failed read ends the transfer,
 * as xfer_abort(): READY when the session is still in step, else BROKEN. */
ssize_t xfer_read(struct xfer *x, void *buf, size_t len);
/* Send all of buf on a STOR/APPE. After a failure the transfer is left
 * to xfer_finish(), whose final reply says why (552, 451...) or which
 * finds the session broken. */
int xfer_write(struct xfer *x, const void *buf, size_t len);
/* End the transfer: close the data connection (the end of an upload's
 * file) and read the final reply: 0 (READY), or its errno (READY when the
 * session is in step, else BROKEN). 0 when no transfer runs. */
int xfer_finish(struct xfer *x);
/* Stop a running transfer early: 0 (READY), or the error (BROKEN). */
int xfer_abort(struct xfer *x);
/* Between calls: lend a RUNNING transfer's session to the pool (anything
 * else is given back, as xfer_release()). */
void xfer_park(struct xfer *x);
/* Take a parked transfer back: 0 (RUNNING), -ESTALE when the pool took
 * it (now CLOSED: open again where it was). 0 when not parked. */
int xfer_unpark(struct xfer *x);
/* After a command that is not a transfer on xfer_session(): did it break
 * the session (READY -> BROKEN: it can only be given back)? Also true
 * when BROKEN already; false when none is held. */
bool xfer_broken(struct xfer *x);
/* Tell ftpfs status which file the transfer uploads (session_xfer_note):
 * dest, total bytes (-1 unknown). Nothing when no session is held. */
void xfer_note(struct xfer *x, const char *dest, int64_t total);
/* Give the session back: abort the transfer unless the session is
 * broken, then pool_put() (which closes a broken session). CLOSED. */
void xfer_release(struct xfer *x);
/* xfer_unpark() + xfer_release(), and free. NULL is fine. */
void xfer_free(struct xfer *x);

enum xfer_state xfer_get_state(const struct xfer *x);
/* The names of the states, for traces and tests. */
const char *xfer_state_name(enum xfer_state st);
/* The offset of the next byte the transfer delivers or takes. */
int64_t xfer_pos(const struct xfer *x);
/* The session held (READY, RUNNING), for other commands on it (SIZE,
 * RNFR...); NULL when none. */
struct ftp_session *xfer_session(const struct xfer *x);
/* A message about the last failure ("" when none). */
const char *xfer_error(const struct xfer *x);

/* For pool.c, under the pool's lock: a taker took x's parked session. */
void xfer_stolen(struct xfer *x);
/* The one rule for a session leaving a transfer, for the pool's takers
 * too: abort the transfer open on s, if any, unless s is broken (then
 * pool_put() closes it). */
void xfer_quiesce(struct ftp_session *s);

#endif
