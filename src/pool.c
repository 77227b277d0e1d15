/* pool — bounded FTP sessions shared by FUSE threads.
 *
 * Concurrency: one mutex (p->lock) protects the slot table and counters;
 * it is never held across network I/O. A slot moves
 *   EMPTY -> CONNECTING -> FREE <-> BUSY <-> PARKED
 * and back to EMPTY when its session breaks or idles out. Waiters sleep on
 * p->cond, signalled whenever a slot becomes FREE or EMPTY, or parked.
 * A taker that finds a PARKED slot marks it BUSY under the lock, and its
 * xfer (xfer.h) STOLEN: the owner then loses it; the taker aborts the
 * transfer outside the lock (xfer_quiesce). The lock order is in xfer.c:
 * p->lock is taken under an xfer owner's lock, never the other way round.
 *
 * 421 (too many connections), or a login refused (530: ProFTPD's limits
 * per host and per server), while opening a slot: if other sessions are
 * live, the pool caps itself at that count and the caller waits for one.
 *
 * An absent server (outage): the pool is UP, FAILING or DOWN.
 *   UP -> FAILING  a session cannot be opened (transient error); the time
 *                  the attempt began is the outage's start (fail_since)
 *   FAILING        requests that need a new session retry with backoff
 *                  until fail_since + reconnect_s, all against that one
 *                  deadline, so no request waits for the reconnect twice
 *   FAILING -> DOWN the deadline passed: from then on nobody dials; a
 *                  request that needs a session fails at once (-EIO) or,
 *                  with cfg.hard, sleeps on p->cond until the server is back
 *   DOWN -> UP     the reaper's probe (a login with short deadlines, every
 *                  probe_ms, backing off) or any session that opens again
 * While DOWN the pool hands out no session at all, not even a FREE one: a
 * session made before the outage would only wait for its own timeout.
 */
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "status.h"
#include "xfer.h"

/* in this order: from SLOT_FREE on, the slot holds a logged-in session */
enum slot_state {
	SLOT_EMPTY,
	SLOT_CONNECTING,
	SLOT_FREE,
	SLOT_BUSY,
	SLOT_PARKED
};

enum server_state { SRV_UP, SRV_FAILING, SRV_DOWN };

/* A probe of a DOWN server gives each step (connect, each reply) this long
 * at most, so that an unmount during an outage waits no longer for it;
 * probes start PROBE_MIN_MS apart and back off to PROBE_MAX_MS. */
#define PROBE_STEP_MS 5000
#define PROBE_MIN_MS 1000
#define PROBE_MAX_MS 10000

/* Every field protected by pool.lock. The session itself (s) is used,
 * without the lock, only by the thread that made the slot BUSY or
 * CONNECTING. */
struct slot {
	struct ftp_session *s;
	enum slot_state state;
	enum pool_kind kind;  /* of the current user when BUSY/PARKED */
	const void *owner;    /* when PARKED */
	struct xfer *xfer;    /* when PARKED by pool_park_xfer() */
	struct timespec used; /* last put/park */
	struct timespec noop; /* last keepalive */
	struct timespec held; /* BUSY/PARKED: its user got it then */
};

/* A bulk taker takes over a parked transfer only from an owner that has
 * had its session TENURE_MS, or left it parked IDLE_PARK_MS (it is not
 * streaming: a reader parks for microseconds between two requests).
 * Taking over costs an ABOR and a new REST+RETR; without the tenure, 64
 * readers on 4 sessions took one another's transfers after every 128 KiB
 * request. Metadata takers never wait for it. */
#define TENURE_MS 100
#define IDLE_PARK_MS 5

struct pool {
	/* set by pool_new(), read-only after */
	const struct session_cfg *scfg;
	struct pool_cfg cfg;
	unsigned caps;
	char *root;
	struct session_cfg probe_cfg; /* scfg with short deadlines */
	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC */
	/* the thread calling pool_start() and pool_free() */
	bool started;
	pthread_t reaper;
	/* protected by lock */
	struct slot *slots; /* cfg.max_sessions of them */
	unsigned limit;	    /* slots usable now (<= max; 421) */
	bool stopping;
	enum server_state srv;
	struct timespec fail_since; /* FAILING/DOWN: the outage began */
	struct timespec probed;	    /* DOWN: last probe ended */
	int probe_ms;		    /* DOWN: wait before the next probe */
};

static double since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) +
	       (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void stamp(struct slot *sl)
{
	clock_gettime(CLOCK_MONOTONIC, &sl->used);
	sl->noop = sl->used;
}

static void *reaper_main(void *arg);

/* Failures to open a session that may pass if we wait (errclass.h). */
static bool transient(int r)
{
	return err_transient(r);
}

int pool_new(const struct session_cfg *scfg, const struct pool_cfg *pcfg,
	     struct pool **out, char *err, size_t errlen)
{
	struct pool *p;
	struct ftp_session *s;
	int r;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->scfg = scfg;
	p->cfg = *pcfg;
	if (p->cfg.max_sessions < 1)
		p->cfg.max_sessions = 1;
	p->limit = p->cfg.max_sessions;
	p->slots = calloc(p->cfg.max_sessions, sizeof(*p->slots));
	if (!p->slots) {
		r = -ENOMEM;
		goto err_free;
	}
	r = session_open(scfg, &s, err, errlen);
	if (r < 0)
		goto err_free;
	p->caps = session_caps(s);
	p->root = strdup(session_root(s));
	if (!p->root) {
		session_close(s);
		r = -ENOMEM;
		goto err_free;
	}
	p->probe_cfg = *scfg;
	if (p->probe_cfg.timeout_ms > PROBE_STEP_MS)
		p->probe_cfg.timeout_ms = PROBE_STEP_MS;
	p->slots[0].s = s;
	p->slots[0].state = SLOT_FREE;
	stamp(&p->slots[0]);
	pthread_mutex_init(&p->lock, NULL);
	{
		/* waits are timed on the monotonic clock: a wall-clock step
		 * (NTP, a suspended laptop) must not stretch or cut them */
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&p->cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	*out = p;
	return 0;

err_free:
	free(p->slots);
	free(p);
	return r;
}

int pool_start(struct pool *p)
{
	if (pthread_create(&p->reaper, NULL, reaper_main, p) != 0)
		return -EAGAIN;
	p->started = true;
	return 0;
}

void pool_free(struct pool *p)
{
	unsigned i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (p->started)
		pthread_join(p->reaper, NULL);
	for (i = 0; i < p->cfg.max_sessions; i++) {
		xfer_quiesce(p->slots[i].s);
		session_close(p->slots[i].s);
	}
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p->slots);
	free(p->root);
	free(p);
}

unsigned pool_caps(const struct pool *p)
{
	return p->caps;
}

unsigned pool_limit(struct pool *p)
{
	unsigned l;

	pthread_mutex_lock(&p->lock);
	l = p->limit;
	pthread_mutex_unlock(&p->lock);
	return l;
}

bool pool_down(struct pool *p)
{
	bool down;

	pthread_mutex_lock(&p->lock);
	down = p->srv == SRV_DOWN && !p->cfg.hard;
	pthread_mutex_unlock(&p->lock);
	return down;
}

const char *pool_root(const struct pool *p)
{
	return p->root;
}

static struct slot *slot_of(struct pool *p, struct ftp_session *s)
{
	unsigned i;

	for (i = 0; i < p->cfg.max_sessions; i++)
		if (p->slots[i].s == s && p->slots[i].state != SLOT_EMPTY)
			return &p->slots[i];
	return NULL;
}

/* Under lock: may a taker of kind take over parked slot sl now? If not,
 * *wait_ms lowers to when it may. */
static bool may_take_over(const struct slot *sl, enum pool_kind kind,
			  double *wait_ms)
{
	double held = since(&sl->held) * 1000, idle = since(&sl->used) * 1000;
	double left;

	if (kind == POOL_META || held >= TENURE_MS || idle >= IDLE_PARK_MS)
		return true;
	left = TENURE_MS - held < IDLE_PARK_MS - idle ? TENURE_MS - held
						      : IDLE_PARK_MS - idle;
	if (left < *wait_ms)
		*wait_ms = left;
	return false;
}

/* Under lock: pick a slot for kind, or NULL to wait (when a parked
 * transfer may be taken over later, *wait_ms says in how long; else it
 * stays as it was). A spare taker never takes over a parked transfer. */
static struct slot *pick(struct pool *p, enum pool_kind kind, bool spare,
			 double *wait_ms)
{
	struct slot *free_sl = NULL, *empty = NULL, *parked = NULL;
	unsigned i, bulk = 0, live = 0;

	for (i = 0; i < p->cfg.max_sessions; i++) {
		struct slot *sl = &p->slots[i];

		if (sl->state != SLOT_EMPTY)
			live++;
		if ((sl->state == SLOT_BUSY && sl->kind == POOL_BULK) ||
		    sl->state == SLOT_PARKED)
			bulk++;
		if (sl->state == SLOT_FREE && !free_sl)
			free_sl = sl;
		else if (sl->state == SLOT_EMPTY && !empty)
			empty = sl;
		else if (sl->state == SLOT_PARKED && !spare &&
			 may_take_over(sl, kind, wait_ms) &&
			 (!parked || since(&sl->used) > since(&parked->used)))
			parked = sl;
	}
	if (kind == POOL_BULK && p->limit >= 2 && bulk >= p->limit - 1)
		return parked; /* only by taking over another transfer */
	if (free_sl)
		return free_sl;
	if (empty && live < p->limit)
		return empty;
	return parked;
}

static int get(struct pool *p, enum pool_kind kind, int timeout_ms, bool spare,
	       struct ftp_session **out);

int pool_get(struct pool *p, enum pool_kind kind, struct ftp_session **out)
{
	return pool_get_timed(p, kind, -1, out);
}

int pool_get_timed(struct pool *p, enum pool_kind kind, int timeout_ms,
		   struct ftp_session **out)
{
	return get(p, kind, timeout_ms, false, out);
}

int pool_get_spare(struct pool *p, struct ftp_session **out)
{
	return get(p, POOL_BULK, 0, true, out);
}

/* Under lock: a session opened, so the server answers. */
static void server_up(struct pool *p)
{
	if (p->srv == SRV_DOWN)
		log_info("%s:%s answers again", p->scfg->host, p->scfg->port);
	p->srv = SRV_UP;
	pthread_cond_broadcast(&p->cond);
}

/* Under lock: an attempt to open a session, begun at t0, failed with a
 * transient error (err says why). True while the outage is younger than
 * reconnect_s (wait and try again); then the pool goes DOWN. */
static bool server_failed(struct pool *p, const struct timespec *t0,
			  const char *err)
{
	if (p->srv == SRV_DOWN)
		return false;
	if (p->srv == SRV_UP) {
		p->srv = SRV_FAILING;
		p->fail_since = *t0;
		log_warn("%s; retrying for up to %d s", err,
			 p->cfg.reconnect_s);
	}
	if (since(&p->fail_since) < p->cfg.reconnect_s)
		return true;
	p->srv = SRV_DOWN;
	p->probe_ms = PROBE_MIN_MS;
	clock_gettime(CLOCK_MONOTONIC, &p->probed);
	log_err("server unreachable for %.0f s: %s; requests %s until it "
		"answers",
		since(&p->fail_since), err,
		p->cfg.hard ? "wait (-o hard)" : "fail with EIO");
	pthread_cond_broadcast(&p->cond);
	return false;
}

/* How long to sleep before the next attempt of a FAILING outage: the
 * backoff, but never past the outage's deadline (the last attempt is
 * made there). */
static unsigned retry_ms(struct pool *p, unsigned backoff_ms)
{
	double left = p->cfg.reconnect_s - since(&p->fail_since);

	if (p->srv != SRV_FAILING)
		return backoff_ms; /* -o hard past the deadline */
	return left * 1000 < backoff_ms ? (unsigned)(left * 1000) + 1
					: backoff_ms;
}

/* Under lock: wait until a slot can be picked (into *sl). 0, or the
 * error to return: -EAGAIN (timeout_ms passed, or a spare taker while the
 * server is down), -EIO (down), -ESHUTDOWN. */
static int wait_slot(struct pool *p, enum pool_kind kind, int timeout_ms,
		     bool spare, const struct timespec *until, struct slot **sl)
{
	for (;;) {
		double wait_ms = 1e9;
		struct timespec t;

		if (p->stopping)
			return -ESHUTDOWN;
		if (p->srv == SRV_DOWN && (spare || !p->cfg.hard))
			return spare ? -EAGAIN : -EIO;
		if (p->srv != SRV_DOWN &&
		    (*sl = pick(p, kind, spare, &wait_ms)))
			return 0;
		if (timeout_ms == 0)
			return -EAGAIN;
		if (wait_ms < 1e9) {
			/* a parked transfer may be taken over then */
			clock_gettime(CLOCK_MONOTONIC, &t);
			t.tv_nsec += (long)(wait_ms * 1e6) + 100000;
			t.tv_sec += t.tv_nsec / 1000000000;
			t.tv_nsec %= 1000000000;
			if (timeout_ms > 0 && (t.tv_sec > until->tv_sec ||
					       (t.tv_sec == until->tv_sec &&
						t.tv_nsec > until->tv_nsec)))
				t = *until;
			if (pthread_cond_timedwait(&p->cond, &p->lock, &t) ==
				    ETIMEDOUT &&
			    timeout_ms > 0 && since(until) >= 0)
				return -EAGAIN;
		} else if (timeout_ms < 0) {
			pthread_cond_wait(&p->cond, &p->lock);
		} else if (pthread_cond_timedwait(&p->cond, &p->lock, until) ==
			   ETIMEDOUT) {
			return -EAGAIN;
		}
	}
}

/* get()'s helpers' results besides 0: pick a slot again; an attempt to
 * open a session failed (struct dial_fail says how). */
enum { GET_AGAIN = 1, GET_DIAL_FAILED = 2 };

struct dial_fail {
	int r;		/* session_open()'s error */
	bool said;	/* logged already (the pool went DOWN) */
	char err[1024]; /* the message */
};

/* Under lock: take slot sl (FREE or PARKED) for kind. A parked transfer's
 * owner loses it: its xfer is marked STOLEN here; the caller aborts the
 * transfer once the lock is dropped. */
static struct ftp_session *take_slot(struct slot *sl, enum pool_kind kind)
{
	if (sl->state == SLOT_PARKED && sl->xfer)
		xfer_stolen(sl->xfer);
	sl->xfer = NULL;
	sl->owner = NULL;
	sl->kind = kind;
	sl->state = SLOT_BUSY;
	clock_gettime(CLOCK_MONOTONIC, &sl->held);
	return sl->s;
}

/* Under lock (dropped meanwhile): hand out slot sl's logged-in session,
 * FREE or PARKED. 0, or GET_AGAIN when it turned out broken (closed). */
static int reuse(struct pool *p, struct slot *sl, enum pool_kind kind,
		 struct ftp_session **out)
{
	bool parked = sl->state == SLOT_PARKED, ok;
	struct ftp_session *s = take_slot(sl, kind);

	pthread_mutex_unlock(&p->lock);
	if (parked)
		xfer_quiesce(s);
	ok = session_reusable(s);
	if (ok)
		*out = s;
	else
		pool_put(p, s); /* closes it; try again */
	pthread_mutex_lock(&p->lock);
	return ok ? 0 : GET_AGAIN;
}

/* Under lock: the server refused one more session, with 421 (vsftpd's
 * max_per_ip, Pure-FTPd's -C) or with 530 after the password that other
 * sessions logged in with (ProFTPD's MaxClientsPerHost/MaxClients). With
 * other sessions logged in (not other dials, CONNECTING, which may be
 * refused too), the pool caps itself at their count and the caller waits
 * for one: true. Without any, it is the answer to give (false). */
static bool cap_to_live(struct pool *p, const char *why)
{
	unsigned i, live = 0;

	for (i = 0; i < p->cfg.max_sessions; i++)
		if (p->slots[i].state >= SLOT_FREE)
			live++;
	if (live == 0)
		return false;
	if (live < p->limit)
		log_warn("server allows %u connections (%s); using %u", live,
			 why, live);
	p->limit = live;
	server_up(p); /* full, but there */
	status_pool_limit(live);
	return true;
}

/* Under lock (dropped meanwhile): open a session for kind in the EMPTY
 * slot sl. 0 with *out; GET_AGAIN to pick again (capped by 421; the
 * server away but waited for, after a backoff sleep); GET_DIAL_FAILED,
 * with *f. */
static int dial(struct pool *p, struct slot *sl, enum pool_kind kind,
		bool spare, unsigned *backoff_ms, struct ftp_session **out,
		struct dial_fail *f)
{
	struct ftp_session *s;
	struct timespec t0;
	char *err = f->err;
	unsigned sleep_ms;
	int r;

	sl->kind = kind;
	sl->owner = NULL;
	sl->state = SLOT_CONNECTING;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_unlock(&p->lock);
	r = session_open(p->scfg, &s, err, sizeof(f->err));
	pthread_mutex_lock(&p->lock);
	if (r == 0) {
		sl->s = s;
		sl->state = SLOT_BUSY;
		clock_gettime(CLOCK_MONOTONIC, &sl->held);
		server_up(p);
		*out = s;
		return 0;
	}
	sl->state = SLOT_EMPTY;
	sl->s = NULL;
	if ((r == -EAGAIN || r == -EACCES) && cap_to_live(p, err))
		return GET_AGAIN;
	pthread_cond_broadcast(&p->cond);
	if (transient(r) && !spare &&
	    (server_failed(p, &t0, err) || p->cfg.hard)) {
		/* the server is away (restart, outage, full): wait for it,
		 * bounded, rather than answer "missing"; once DOWN, -o hard
		 * sleeps in wait_slot() */
		if (p->srv == SRV_DOWN)
			return GET_AGAIN;
		sleep_ms = retry_ms(p, *backoff_ms);
		pthread_mutex_unlock(&p->lock);
		usleep(sleep_ms * 1000);
		*backoff_ms = *backoff_ms * 2 > 2000 ? 2000 : *backoff_ms * 2;
		pthread_mutex_lock(&p->lock);
		return GET_AGAIN;
	}
	if (!transient(r) && p->srv == SRV_FAILING)
		server_up(p); /* it answers, if only to refuse */
	f->said = transient(r) && p->srv == SRV_DOWN; /* logged there */
	f->r = r;
	return GET_DIAL_FAILED;
}

static int get(struct pool *p, enum pool_kind kind, int timeout_ms, bool spare,
	       struct ftp_session **out)
{
	struct slot *sl = NULL;
	struct timespec until;
	struct dial_fail f;
	unsigned backoff_ms = 100;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &until);
	if (timeout_ms > 0) {
		until.tv_sec += timeout_ms / 1000;
		until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
	}
	pthread_mutex_lock(&p->lock);
	do {
		r = wait_slot(p, kind, timeout_ms, spare, &until, &sl);
		if (r == 0 && sl->state == SLOT_EMPTY)
			r = dial(p, sl, kind, spare, &backoff_ms, out, &f);
		else if (r == 0)
			r = reuse(p, sl, kind, out);
	} while (r == GET_AGAIN);
	pthread_mutex_unlock(&p->lock);
	if (r != GET_DIAL_FAILED)
		return r;
	if (spare) {
		log_dbg("%s", f.err);
		return f.r;
	}
	if (!f.said)
		log_err("%s", f.err);
	return -EIO;
}

int pool_get_transfer(struct pool *p, struct ftp_session **out)
{
	int r = pool_get_timed(p, POOL_BULK, 2000, out);

	return r == -EAGAIN ? pool_get(p, POOL_META, out) : r;
}

/* Under lock: close the slot's session (dropping the lock meanwhile; the
 * slot stays CONNECTING so nobody takes it) and free the slot. */
static void close_slot(struct pool *p, struct slot *sl)
{
	struct ftp_session *s = sl->s;

	sl->state = SLOT_CONNECTING;
	pthread_mutex_unlock(&p->lock);
	session_close(s);
	pthread_mutex_lock(&p->lock);
	sl->s = NULL;
	sl->state = SLOT_EMPTY;
	pthread_cond_broadcast(&p->cond);
}

void pool_put(struct pool *p, struct ftp_session *s)
{
	struct slot *sl;
	bool close_it;

	pthread_mutex_lock(&p->lock);
	sl = slot_of(p, s);
	close_it = session_broken(s) || session_xfer_active(s);
	if (session_broken(s))
		status_add(ST_RECONNECTS, 1); /* its slot opens a new one */
	if (close_it) {
		close_slot(p, sl);
	} else {
		sl->state = SLOT_FREE;
		stamp(sl);
	}
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void park(struct pool *p, struct ftp_session *s, const void *owner,
		 struct xfer *x)
{
	struct slot *sl;

	pthread_mutex_lock(&p->lock);
	sl = slot_of(p, s);
	sl->state = SLOT_PARKED;
	sl->owner = owner;
	sl->xfer = x;
	stamp(sl);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

void pool_park(struct pool *p, struct ftp_session *s, const void *owner)
{
	park(p, s, owner, NULL);
}

void pool_park_xfer(struct pool *p, struct ftp_session *s, struct xfer *x)
{
	park(p, s, x, x);
}

bool pool_unpark(struct pool *p, struct ftp_session *s, const void *owner)
{
	struct slot *sl;
	bool ours = false;

	pthread_mutex_lock(&p->lock);
	sl = slot_of(p, s);
	if (sl && sl->state == SLOT_PARKED && sl->owner == owner) {
		sl->state = SLOT_BUSY;
		sl->kind = POOL_BULK;
		sl->owner = NULL;
		sl->xfer = NULL;
		ours = true;
	}
	pthread_mutex_unlock(&p->lock);
	return ours;
}

int pool_run(struct pool *p, int (*fn)(struct ftp_session *s, void *ctx),
	     void *ctx)
{
	return pool_run_timed(p, fn, ctx, -1);
}

int pool_run_timed(struct pool *p, int (*fn)(struct ftp_session *s, void *ctx),
		   void *ctx, int timeout_ms)
{
	struct ftp_session *s;
	int r, tries;

	for (tries = 0; tries < 2; tries++) {
		r = pool_get_timed(p, POOL_META, timeout_ms, &s);
		if (r < 0)
			return r;
		r = fn(s, ctx);
		if (r >= 0 || !session_broken(s)) {
			pool_put(p, s);
			return r;
		}
		log_dbg("session broke (%s); retrying", session_last_error(s));
		pool_put(p, s);
	}
	return session_user_errno(r);
}

/* Reclaim long-parked transfers, keep idle sessions alive with NOOP, and
 * close sessions unused for longer (a NOOP is not a use). Under lock. */
static void maintain(struct pool *p)
{
	unsigned i;

	for (i = 0; i < p->cfg.max_sessions; i++) {
		struct slot *sl = &p->slots[i];
		struct ftp_session *s = sl->s;
		double idle = since(&sl->used);
		enum slot_state was = sl->state;
		int code = 0;

		if (was == SLOT_PARKED && idle * 1000 >= p->cfg.park_ms) {
			take_slot(sl, sl->kind);
			pthread_mutex_unlock(&p->lock);
			xfer_quiesce(s);
			pool_put(p, s);
			pthread_mutex_lock(&p->lock);
		} else if (was == SLOT_FREE && p->cfg.idle_close_s &&
			   idle >= p->cfg.idle_close_s) {
			log_dbg("closing an idle session");
			close_slot(p, sl);
		} else if (was == SLOT_FREE && p->cfg.keepalive_s &&
			   p->srv == SRV_UP &&
			   since(&sl->noop) >= p->cfg.keepalive_s) {
			sl->state = SLOT_BUSY;
			pthread_mutex_unlock(&p->lock);
			code = session_cmd(s, "NOOP", NULL);
			if (code < 0 || code >= 400)
				log_dbg("keepalive failed: %s",
					session_last_error(s));
			pthread_mutex_lock(&p->lock);
			if (session_broken(s)) {
				close_slot(p, sl);
			} else {
				sl->state = SLOT_FREE;
				clock_gettime(CLOCK_MONOTONIC, &sl->noop);
				pthread_cond_broadcast(&p->cond);
			}
		}
	}
}

/* Under lock, DOWN: when due, see whether the server is back with a
 * login of its own (closed at once: its deadlines are the probe's). A
 * server that answers, if only to refuse, is back: requests then get
 * its answer. */
static void probe(struct pool *p)
{
	struct ftp_session *s;
	char err[1024];
	int r;

	if (since(&p->probed) * 1000 < p->probe_ms)
		return;
	pthread_mutex_unlock(&p->lock);
	r = session_open(&p->probe_cfg, &s, err, sizeof(err));
	session_close(s);
	pthread_mutex_lock(&p->lock);
	clock_gettime(CLOCK_MONOTONIC, &p->probed);
	if (r == 0 || !transient(r)) {
		if (r < 0)
			log_warn("%s", err);
		if (p->srv == SRV_DOWN)
			server_up(p);
		return;
	}
	log_dbg("probe: %s", err);
	p->probe_ms = p->probe_ms * 2 > PROBE_MAX_MS ? PROBE_MAX_MS
						     : p->probe_ms * 2;
}

static void *reaper_main(void *arg)
{
	struct pool *p = arg;
	struct timespec ts;

	pthread_mutex_lock(&p->lock);
	while (!p->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 250 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&p->cond, &p->lock, &ts);
		if (!p->stopping)
			maintain(p);
		if (!p->stopping && p->srv == SRV_DOWN)
			probe(p);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}
