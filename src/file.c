/* file — per-open-file read stream. See file.h.
 *
 * State (protected by f->lock): f->x is the transfer (xfer.h), running,
 * parked between reads, or closed, and f->pos the offset of the next byte
 * it will deliver. win holds the FILE_WINDOW bytes before pos (ring
 * buffer, win_len valid bytes). eof_at is the file's end once a transfer
 * reached it, else -1; a larger size seen since (seen_size, set without
 * the lock by a stat) forgets it. Lock order: f->lock, then the pool's
 * (inside xfer and segread calls; see xfer.c).
 */
#include "file.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "segread.h"
#include "xfer.h"

struct file_stream {
	pthread_mutex_t lock;
	struct pool *pool; /* fixed */
	/* all the rest protected by lock, but seen_size (atomic) */
	char *path;
	struct xfer *x; /* its RETR, parked between reads */
	int64_t pos;
	int64_t eof_at;
	_Atomic int64_t seen_size; /* largest size a stat reported, or -1 */
	char *win;	/* ring of FILE_WINDOW bytes, lazily allocated */
	size_t win_len; /* valid bytes, ending at pos */
	/* parallel segments (file_stream_parallel) */
	unsigned helpers;
	int64_t size;
	struct segread *sr; /* serving reads from pos on, or NULL */
	bool decided;	    /* this transfer's speed was judged */
	int64_t meas_bytes; /* bytes and time spent waiting for them */
	int64_t meas_ns;    /* in this transfer */
};

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

void file_stream_parallel(struct file_stream *f, unsigned helpers, int64_t size)
{
	pthread_mutex_lock(&f->lock);
	f->helpers = helpers;
	f->size = size;
	pthread_mutex_unlock(&f->lock);
}

struct file_stream *file_stream_new(struct pool *p, const char *path)
{
	struct file_stream *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->path = strdup(path);
	f->x = xfer_new(p, XFER_TAKE_TRANSFER, 0);
	if (!f->path || !f->x) {
		xfer_free(f->x);
		free(f->path);
		free(f);
		return NULL;
	}
	pthread_mutex_init(&f->lock, NULL);
	f->pool = p;
	f->eof_at = -1;
	f->size = -1;
	atomic_init(&f->seen_size, -1);
	return f;
}

static void win_add(struct file_stream *f, const char *data, size_t n)
{
	size_t at, chunk;

	if (!f->win)
		f->win = malloc(FILE_WINDOW);
	if (!f->win)
		return;
	if (n > FILE_WINDOW) {
		data += n - FILE_WINDOW;
		n = FILE_WINDOW;
	}
	/* pos has not yet been advanced: the ring's end is at pos. */
	at = (size_t)(f->pos % FILE_WINDOW);
	chunk = FILE_WINDOW - at < n ? FILE_WINDOW - at : n;
	memcpy(f->win + at, data, chunk);
	memcpy(f->win, data + chunk, n - chunk);
	f->win_len = f->win_len + n > FILE_WINDOW ? FILE_WINDOW
						  : f->win_len + n;
}

/* Copy window bytes [off, min(off+len, pos)); returns how many. */
static size_t win_get(struct file_stream *f, char *buf, size_t len, int64_t off)
{
	size_t n, at, chunk;

	if (!f->win || off < f->pos - (int64_t)f->win_len || off >= f->pos)
		return 0;
	n = (size_t)(f->pos - off) < len ? (size_t)(f->pos - off) : len;
	at = (size_t)(off % FILE_WINDOW);
	chunk = FILE_WINDOW - at < n ? FILE_WINDOW - at : n;
	memcpy(buf, f->win + at, chunk);
	memcpy(buf + chunk, f->win, n - chunk);
	return n;
}

static bool running(const struct file_stream *f)
{
	return xfer_get_state(f->x) == XFER_RUNNING;
}

/* Make sure a transfer delivers byte off (or, without REST, from 0): a
 * new one, or the last one resumed there after a drop or a theft. */
static int start_at(struct file_stream *f, int64_t off)
{
	int r;

	if (running(f) && f->pos == off)
		return 0;
	r = xfer_open(f->x, "RETR", f->path, off);
	if (r == -ESPIPE && off > 0) /* no REST: read from the start, skip */
		r = xfer_open(f->x, "RETR", f->path, 0);
	if (r < 0)
		return r;
	f->decided = false;
	f->meas_bytes = f->meas_ns = 0;
	if (xfer_pos(f->x) != f->pos)
		f->win_len = 0;
	f->pos = xfer_pos(f->x);
	return 0;
}

/* Read from the transfer into buf (may be NULL: discard) up to len bytes.
 * Returns bytes (0 at end of file) or a negative errno. */
static ssize_t pull(struct file_stream *f, char *buf, size_t len)
{
	char tmp[65536];
	char *dst = buf ? buf : tmp;
	int64_t t0;
	ssize_t n;
	int r;

	if (!buf && len > sizeof(tmp))
		len = sizeof(tmp);
	t0 = f->helpers && !f->decided ? now_ns() : 0;
	n = xfer_read(f->x, dst, len);
	if (t0 && n > 0) {
		f->meas_ns += now_ns() - t0;
		f->meas_bytes += n;
	}
	if (n > 0) {
		win_add(f, dst, (size_t)n);
		f->pos += n;
		return n;
	}
	if (n == 0) {
		r = xfer_finish(f->x);
		if (r < 0)
			log_err("%s: %s", f->path, xfer_error(f->x));
		else
			f->eof_at = f->pos;
		xfer_release(f->x);
		return r;
	}
	return n; /* an error ended the transfer (xfer_read) */
}

/* After a sequential read: is the transfer slow enough (measured while
 * waiting for its data, so a slow application does not count) that
 * fetching segments in parallel helps? Then hand over to segread. */
static void maybe_parallel(struct file_stream *f)
{
	int64_t rate;

	if (!f->helpers || f->decided || !running(f) || f->sr)
		return;
	if (f->meas_bytes < 2 * 1024 * 1024 &&
	    !(f->meas_bytes >= 256 * 1024 && f->meas_ns >= 300000000))
		return;
	f->decided = true;
	rate = f->meas_ns ? f->meas_bytes * 1000000000 / f->meas_ns : 0;
	if (!f->meas_ns || rate >= FILE_PARALLEL_BELOW)
		return;
	if (f->size >= 0 && f->size - f->pos < 2 * SEGREAD_SEG)
		return;
	xfer_release(f->x);
	f->sr = segread_new(f->pool, f->path, f->pos, f->size, f->helpers);
	log_dbg("%s: %lld B/s on one connection: %u parallel segments from %lld",
		f->path, (long long)rate, f->sr ? f->helpers : 0,
		(long long)f->pos);
}

ssize_t file_stream_read(struct file_stream *f, char *buf, size_t len,
			 int64_t off)
{
	size_t got = 0;
	int retries = 2, r = 0;
	ssize_t n;

	pthread_mutex_lock(&f->lock);
	if (f->eof_at >= 0 && atomic_load(&f->seen_size) > f->eof_at)
		f->eof_at = -1; /* it grew since: read on to its new end */
	xfer_unpark(f->x);	/* -ESTALE: taken back by the pool, CLOSED */
	got = win_get(f, buf, len, off);
	if (f->sr && got < len) {
		n = segread_read(f->sr, buf + got, len - got,
				 off + (int64_t)got);
		if (n >= 0) {
			pthread_mutex_unlock(&f->lock);
			return (ssize_t)got + n;
		}
		/* a seek, or a segment failed: read on our own from here */
		segread_free(f->sr);
		f->sr = NULL;
		f->win_len = 0;
	}
	while (got < len) {
		int64_t want = off + (int64_t)got;

		if (f->eof_at >= 0 && want >= f->eof_at)
			break;
		if (!(running(f) && want >= f->pos &&
		      want - f->pos <= FILE_SKIP_MAX)) {
			r = start_at(f, want);
			if (r < 0)
				goto fail;
		}
		if (want > f->pos) {
			n = pull(f, NULL, (size_t)(want - f->pos));
		} else {
			n = pull(f, buf + got, len - got);
			if (n > 0)
				got += (size_t)n;
		}
		if (n == 0 && f->pos < want)
			break; /* file ended before off */
		if (n >= 0)
			continue;
		r = (int)n; /* that transfer ended: the next one resumes */
fail:
		if (r == -ENOENT || r == -EACCES || r == -ESHUTDOWN ||
		    --retries < 0)
			break;
		log_dbg("%s: resuming at %lld after %d", f->path,
			(long long)(off + (int64_t)got), r);
		r = 0;
	}
	/* At the size seen at open: the server closes the data connection
	 * right after the last byte, so reading its end now is free, and the
	 * session goes back without an ABOR round trip (the kernel never
	 * reads past the size). A file that grew just goes on; an error
	 * ends that transfer (xfer_read) and is left to the next read. */
	if (r >= 0 && running(f) && f->size >= 0 && f->pos >= f->size)
		pull(f, NULL, 1);
	if (r >= 0)
		maybe_parallel(f);
	xfer_park(f->x); /* or give the session back: no transfer runs */
	pthread_mutex_unlock(&f->lock);
	/* Never a short count on failure: the kernel would take it for the
	 * end of the file. */
	if (r < 0)
		return session_user_errno(r);
	return (ssize_t)got;
}

void file_stream_seen_size(struct file_stream *f, int64_t size)
{
	int64_t old = atomic_load(&f->seen_size);

	while (size > old &&
	       !atomic_compare_exchange_weak(&f->seen_size, &old, size))
		;
}

int file_stream_set_path(struct file_stream *f, const char *path)
{
	char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	pthread_mutex_lock(&f->lock);
	free(f->path);
	f->path = p;
	/* helpers fetch by name: let the next read go on alone (a running
	 * RETR keeps its file open on the server whatever its name) */
	if (f->sr) {
		segread_free(f->sr);
		f->sr = NULL;
		f->win_len = 0;
	}
	pthread_mutex_unlock(&f->lock);
	return 0;
}

void file_stream_free(struct file_stream *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	xfer_free(f->x);
	segread_free(f->sr);
	pthread_mutex_unlock(&f->lock);
	pthread_mutex_destroy(&f->lock);
	free(f->win);
	free(f->path);
	free(f);
}
