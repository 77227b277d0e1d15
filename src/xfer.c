/* xfer — a transfer the pool owns. See xfer.h.
 *
 * Lock order (never the other way round, and no lock held across
 * network I/O except a caller's own):
 *   owner's lock (file_stream.lock, one segread helper's thread)
 *     -> pool.lock (pool_park/pool_unpark/pool_put, xfer_stolen)
 *   segread.lock is never held while calling into xfer or the pool.
 *
 * Ownership of the fields: everything but state belongs to the owner
 * thread. state is the owner's too, except while PARKED: then the pool
 * may turn it into STOLEN under pool.lock, and the owner reads it again
 * only after pool_unpark() took that lock (which orders the two).
 */
#include "xfer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct xfer {
	struct pool *pool;     /* fixed */
	enum xfer_take how;    /* owner: how to take a session */
	int timeout_ms;	       /* owner: for XFER_TAKE_BULK */
	struct ftp_session *s; /* owner; NULL when CLOSED */
	/* the owner's, except while lent: then protected by pool.lock (the
	 * pool may turn PARKED into STOLEN) */
	enum xfer_state state;
	bool lent;	  /* owner: parked in the pool */
	char *cmd, *path; /* owner: of the last xfer_open() */
	int64_t pos;	  /* owner */
};

static const char *const state_names[] = {
	[XFER_CLOSED] = "CLOSED",	[XFER_READY] = "READY",
	[XFER_OPENING] = "OPENING",	[XFER_RUNNING] = "RUNNING",
	[XFER_PARKED] = "PARKED",	[XFER_STOLEN] = "STOLEN",
	[XFER_FINISHING] = "FINISHING", [XFER_BROKEN] = "BROKEN",
};

const char *xfer_state_name(enum xfer_state st)
{
	if ((unsigned)st >= sizeof(state_names) / sizeof(state_names[0]))
		return "?";
	return state_names[st];
}

/* The only writer of x->state. */
static void set_state(struct xfer *x, enum xfer_state st)
{
	if (x->state != st)
		log_dbg("%s %s at %lld: %s -> %s", x->cmd ? x->cmd : "-",
			x->path ? x->path : "", (long long)x->pos,
			state_names[x->state], state_names[st]);
	x->state = st;
}

/* After an operation on the session: in step, or broken. */
static void settle(struct xfer *x)
{
	set_state(x, session_broken(x->s) ? XFER_BROKEN : XFER_READY);
}

struct xfer *xfer_new(struct pool *p, enum xfer_take how, int timeout_ms)
{
	struct xfer *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->pool = p;
	x->how = how;
	x->timeout_ms = timeout_ms;
	x->state = XFER_CLOSED;
	return x;
}

void xfer_quiesce(struct ftp_session *s)
{
	if (s && session_xfer_active(s) && !session_broken(s))
		session_xfer_abort(s);
}

void xfer_stolen(struct xfer *x)
{
	set_state(x, XFER_STOLEN);
}

int xfer_take(struct xfer *x, enum xfer_take how, int timeout_ms)
{
	int r;

	x->how = how;
	x->timeout_ms = timeout_ms;
	if (x->s)
		return 0;
	switch (how) {
	case XFER_TAKE_SPARE:
		r = pool_get_spare(x->pool, &x->s);
		break;
	case XFER_TAKE_BULK:
		r = pool_get_timed(x->pool, POOL_BULK, timeout_ms, &x->s);
		break;
	case XFER_TAKE_META:
		r = pool_get_timed(x->pool, POOL_META, timeout_ms, &x->s);
		break;
	default:
		r = pool_get_transfer(x->pool, &x->s);
		break;
	}
	if (r < 0) {
		x->s = NULL;
		return r;
	}
	set_state(x, XFER_READY);
	return 0;
}

void xfer_release(struct xfer *x)
{
	xfer_unpark(x);
	if (!x->s)
		return;
	xfer_quiesce(x->s);
	pool_put(x->pool, x->s);
	x->s = NULL;
	set_state(x, XFER_CLOSED);
}

int xfer_abort(struct xfer *x)
{
	int r = 0;

	if (x->state != XFER_RUNNING)
		return 0;
	if (!session_broken(x->s))
		r = session_xfer_abort(x->s);
	settle(x);
	return r;
}

/* Remember cmd and path (unless they are the ones remembered). */
static int note_cmd(struct xfer *x, const char *cmd, const char *path)
{
	char *c, *p;

	if (x->cmd && x->path && !strcmp(x->cmd, cmd) && !strcmp(x->path, path))
		return 0;
	c = strdup(cmd);
	p = strdup(path);
	if (!c || !p) {
		free(c);
		free(p);
		return -ENOMEM;
	}
	free(x->cmd);
	free(x->path);
	x->cmd = c;
	x->path = p;
	return 0;
}

int xfer_open(struct xfer *x, const char *cmd, const char *path, int64_t off)
{
	int r;

	xfer_unpark(x); /* stolen: now CLOSED */
	if (x->state == XFER_RUNNING && xfer_abort(x) < 0)
		xfer_release(x);
	if (x->state == XFER_BROKEN)
		xfer_release(x);
	r = note_cmd(x, cmd, path);
	if (r == 0) {
		/* the copies: cmd may have been x->cmd, freed by note_cmd */
		cmd = x->cmd;
		path = x->path;
	}
	if (r == 0 && !x->s)
		r = xfer_take(x, x->how, x->timeout_ms);
	if (r < 0)
		return r;
	x->pos = off;
	set_state(x, XFER_OPENING);
	/* APPE has no REST: the server appends where its file ends */
	r = session_xfer_start(x->s, cmd, path, strcmp(cmd, "APPE") ? off : 0);
	if (r < 0) {
		settle(x);
		return r;
	}
	set_state(x, XFER_RUNNING);
	return 0;
}

int xfer_reopen(struct xfer *x, int64_t at)
{
	if (!x->cmd)
		return -EINVAL;
	return xfer_open(x, x->cmd, x->path, at);
}

int xfer_resume_upload(struct xfer *x, const char *size_of, int64_t lo,
		       int64_t *have)
{
	int64_t n = -1, hi = x->pos;
	int r;

	xfer_unpark(x);
	if (x->state != XFER_READY)
		xfer_release(x); /* broken, or a transfer we cannot trust */
	r = xfer_take(x, x->how, x->timeout_ms);
	if (r == 0)
		r = session_size(x->s, size_of, &n);
	if (r == 0 && (n > hi || n < lo))
		r = -EIO; /* more than we sent, or less than we can resend */
	if (r == 0 && !x->cmd)
		r = -EINVAL;
	/* under its name now (xfer_open copies cmd before freeing its own) */
	if (r == 0)
		r = xfer_open(x, x->cmd, size_of, n);
	*have = n;
	return r;
}

/* A read or write failed: end the transfer, keeping the control
 * connection when it is still in step. */
static void failed(struct xfer *x)
{
	xfer_quiesce(x->s);
	settle(x);
}

ssize_t xfer_read(struct xfer *x, void *buf, size_t len)
{
	ssize_t n;

	if (x->state != XFER_RUNNING)
		return -EBADF;
	n = session_xfer_read(x->s, buf, len);
	if (n > 0)
		x->pos += n;
	else if (n < 0)
		failed(x);
	return n;
}

int xfer_write(struct xfer *x, const void *buf, size_t len)
{
	int r;

	if (x->state != XFER_RUNNING)
		return -EBADF;
	r = session_xfer_write(x->s, buf, len);
	if (r == 0)
		x->pos += (int64_t)len;
	return r;
}

int xfer_finish(struct xfer *x)
{
	int r;

	if (x->state != XFER_RUNNING)
		return 0;
	set_state(x, XFER_FINISHING);
	r = session_xfer_finish(x->s);
	settle(x);
	return r;
}

bool xfer_broken(struct xfer *x)
{
	if (x->state == XFER_READY && session_broken(x->s))
		set_state(x, XFER_BROKEN);
	return x->state == XFER_BROKEN;
}

void xfer_note(struct xfer *x, const char *dest, int64_t total)
{
	if (x->s && !x->lent)
		session_xfer_note(x->s, dest, total);
}

void xfer_park(struct xfer *x)
{
	if (x->state != XFER_RUNNING) {
		xfer_release(x);
		return;
	}
	/* set before the pool can see it: pool_park() publishes it */
	set_state(x, XFER_PARKED);
	x->lent = true;
	pool_park_xfer(x->pool, x->s, x);
}

int xfer_unpark(struct xfer *x)
{
	if (!x->lent)
		return 0;
	x->lent = false;
	if (pool_unpark(x->pool, x->s, x)) {
		set_state(x, XFER_RUNNING);
		return 0;
	}
	/* pool_unpark() took the pool's lock: the pool's STOLEN is seen */
	x->s = NULL; /* the taker's now */
	set_state(x, XFER_CLOSED);
	return -ESTALE;
}

void xfer_free(struct xfer *x)
{
	if (!x)
		return;
	xfer_unpark(x);
	xfer_release(x);
	free(x->cmd);
	free(x->path);
	free(x);
}

enum xfer_state xfer_get_state(const struct xfer *x)
{
	return x->state;
}

int64_t xfer_pos(const struct xfer *x)
{
	return x->pos;
}

struct ftp_session *xfer_session(const struct xfer *x)
{
	return x->lent ? NULL : x->s;
}

const char *xfer_error(const struct xfer *x)
{
	return x->s && !x->lent ? session_last_error(x->s) : "";
}
