/* status — counters and session states for `ftpfs status`. See status.h.
 *
 * Locking: counters, quirks, the pool limit and each slot's id, state and
 * numbers are atomics, bumped without a lock from the I/O paths. The
 * strings (server, TLS, a slot's path) are written and read under
 * `lock`, which guards nothing else and is held only to copy them: the
 * reporter never waits for a session, the pool or the cache.
 */
#include "status.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOTS 128 /* sessions shown at once (connections= is at most 64) */
#define PATH_SHOWN 512

struct slot {
	atomic_uint id;	       /* 0: free */
	atomic_int state;      /* enum status_state */
	atomic_llong start;    /* offset the transfer began at */
	atomic_llong moved;    /* bytes since */
	atomic_llong total;    /* bytes to send, -1 unknown */
	char path[PATH_SHOWN]; /* protected by lock */
	char dest[PATH_SHOWN]; /* the file an upload is for; lock */
};

struct status {
	pthread_mutex_t lock;
	/* fixed after status_init(), but tls (lock), the atomics and the
	 * slots (their own atomics; path and dest under lock) */
	char *server, *mountpoint;
	char tls[256]; /* protected by lock; "" = no TLS seen */
	unsigned max_sessions;
	atomic_uint limit;
	atomic_uint quirks;
	atomic_ullong count[ST_COUNTERS];
	time_t started;
	size_t (*cache_entries)(void *ctx);
	void *cache_ctx;
	struct slot slot[SLOTS];
};

static struct status *st;

int status_init(const char *server, const char *mountpoint,
		unsigned max_sessions)
{
	struct status *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->server = strdup(server ? server : "");
	s->mountpoint = strdup(mountpoint ? mountpoint : "");
	if (!s->server || !s->mountpoint) {
		free(s->server);
		free(s->mountpoint);
		free(s);
		return -ENOMEM;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->max_sessions = max_sessions;
	atomic_store(&s->limit, max_sessions);
	s->started = time(NULL);
	st = s;
	return 0;
}

void status_fini(void)
{
	struct status *s = st;

	if (!s)
		return;
	st = NULL;
	pthread_mutex_destroy(&s->lock);
	free(s->server);
	free(s->mountpoint);
	free(s);
}

void status_add(enum status_counter c, uint64_t n)
{
	if (st && c < ST_COUNTERS)
		atomic_fetch_add_explicit(&st->count[c], n,
					  memory_order_relaxed);
}

void status_quirk(enum status_quirk q)
{
	if (st)
		atomic_fetch_or(&st->quirks, (unsigned)q);
}

void status_pool_limit(unsigned limit)
{
	if (!st)
		return;
	atomic_store(&st->limit, limit);
	if (limit < st->max_sessions)
		status_quirk(SQ_POOL_LIMIT);
}

void status_tls(const char *version, const char *cipher, const char *how)
{
	if (!st)
		return;
	pthread_mutex_lock(&st->lock);
	snprintf(st->tls, sizeof(st->tls), "%s|%s|%s", version ? version : "?",
		 cipher ? cipher : "?", how ? how : "?");
	pthread_mutex_unlock(&st->lock);
}

static struct slot *find(unsigned id)
{
	int i;

	for (i = 0; id && i < SLOTS; i++)
		if (atomic_load(&st->slot[i].id) == id)
			return &st->slot[i];
	return NULL;
}

void status_sess_open(unsigned id)
{
	unsigned free_id;
	int i;

	if (!st || !id)
		return;
	for (i = 0; i < SLOTS; i++) {
		struct slot *sl = &st->slot[i];

		free_id = 0;
		if (atomic_compare_exchange_strong(&sl->id, &free_id, id)) {
			atomic_store(&sl->state, SS_IDLE);
			return;
		}
	}
}

void status_sess_close(unsigned id)
{
	struct slot *sl;

	if (!st || !(sl = find(id)))
		return;
	atomic_store(&sl->state, SS_IDLE);
	atomic_store(&sl->id, 0);
}

void status_sess_xfer(unsigned id, enum status_state state, const char *path,
		      int64_t offset, int64_t total)
{
	struct slot *sl;

	if (!st || !(sl = find(id)))
		return;
	pthread_mutex_lock(&st->lock);
	snprintf(sl->path, sizeof(sl->path), "%s", path ? path : "");
	sl->dest[0] = '\0';
	pthread_mutex_unlock(&st->lock);
	atomic_store(&sl->start, offset);
	atomic_store(&sl->moved, 0);
	atomic_store(&sl->total, total);
	atomic_store(&sl->state, state);
}

void status_sess_moved(unsigned id, uint64_t n)
{
	struct slot *sl;

	if (st && (sl = find(id)))
		atomic_fetch_add_explicit(&sl->moved, (long long)n,
					  memory_order_relaxed);
}

void status_sess_note(unsigned id, const char *dest, int64_t total)
{
	struct slot *sl;

	if (!st || !(sl = find(id)))
		return;
	pthread_mutex_lock(&st->lock);
	snprintf(sl->dest, sizeof(sl->dest), "%s", dest ? dest : "");
	pthread_mutex_unlock(&st->lock);
	atomic_store(&sl->total, total);
}

void status_sess_idle(unsigned id)
{
	struct slot *sl;

	if (st && (sl = find(id)))
		atomic_store(&sl->state, SS_IDLE);
}

void status_set_cache_entries(size_t (*fn)(void *ctx), void *ctx)
{
	if (!st)
		return;
	st->cache_entries = fn;
	st->cache_ctx = ctx;
}

void status_json_escape(const char *s, char *out, size_t n)
{
	size_t o = 0;

	if (!n)
		return;
	for (; *s && o + 7 < n; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(out + o, n - o, "\\u%04x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

/* --- the report --------------------------------------------------------- */

static const char *const state_names[] = { "idle", "listing", "reading",
					   "writing" };

static const struct {
	enum status_quirk q;
	const char *text;
} quirk_names[] = {
	{ SQ_NO_EPSV, "EPSV refused (PASV used)" },
	{ SQ_NO_EPRT, "EPRT refused (PORT used)" },
	{ SQ_NO_LIST_A, "LIST -a refused" },
	{ SQ_NO_MDTM, "no MDTM" },
	{ SQ_NO_MTIME, "no MFMT or MDTM write form" },
	{ SQ_NO_CHMOD, "SITE CHMOD refused" },
	{ SQ_POOL_LIMIT, "fewer connections allowed than asked (421)" },
};

/* A copy of one slot, taken without waiting on anyone but the status
 * lock (for the path). */
struct shot {
	unsigned id;
	enum status_state state;
	long long start, moved, total;
	char path[PATH_SHOWN];
	char dest[PATH_SHOWN];
};

static int snapshot(struct shot *out, char tls[256])
{
	int i, n = 0;

	pthread_mutex_lock(&st->lock);
	memcpy(tls, st->tls, 256);
	for (i = 0; i < SLOTS; i++) {
		struct slot *sl = &st->slot[i];
		struct shot *o = &out[n];

		o->id = atomic_load(&sl->id);
		if (!o->id)
			continue;
		o->state = (enum status_state)atomic_load(&sl->state);
		o->start = atomic_load(&sl->start);
		o->moved = atomic_load(&sl->moved);
		o->total = atomic_load(&sl->total);
		memcpy(o->path, sl->path, sizeof(o->path));
		memcpy(o->dest, sl->dest, sizeof(o->dest));
		n++;
	}
	pthread_mutex_unlock(&st->lock);
	return n;
}

static uint64_t count(enum status_counter c)
{
	return atomic_load(&st->count[c]);
}

static double hit_rate(void)
{
	uint64_t h = count(ST_CACHE_HIT), m = count(ST_CACHE_MISS);

	return h + m ? 100.0 * (double)h / (double)(h + m) : 0.0;
}

/* "TLSv1.3|cipher|how" → its three parts (pointers into t, modified) */
static bool tls_parts(char *t, char **v, char **c, char **how)
{
	char *a = strchr(t, '|'), *b = a ? strchr(a + 1, '|') : NULL;

	if (!t[0] || !b)
		return false;
	*a = *b = '\0';
	*v = t;
	*c = a + 1;
	*how = b + 1;
	return true;
}

/* The quirks learned: " a, b" or "\"a\",\"b\""; false for none. */
static bool quirks_out(FILE *f, bool json)
{
	unsigned q = atomic_load(&st->quirks);
	bool any = false;
	size_t k;

	for (k = 0; k < sizeof(quirk_names) / sizeof(quirk_names[0]); k++) {
		if (!(q & quirk_names[k].q))
			continue;
		fprintf(f, json ? "%s\"%s\"" : "%s %s", any ? "," : "",
			quirk_names[k].text);
		any = true;
	}
	return any;
}

/* The file a transfer is for: an upload's destination, not its
 * temporary. */
static const char *file_of(const struct shot *s)
{
	return s->dest[0] ? s->dest : s->path;
}

static void text_session(FILE *f, const struct shot *s)
{
	fprintf(f, "  S%u %s", s->id, state_names[s->state]);
	if (s->state == SS_READING)
		fprintf(f, " %s at %lld", s->path, s->start + s->moved);
	else if (s->state == SS_WRITING && s->total >= 0)
		fprintf(f, " %s %lld of %lld bytes", file_of(s), s->moved,
			s->total);
	else if (s->state == SS_WRITING)
		fprintf(f, " %s %lld bytes", file_of(s), s->moved);
	else if (s->state == SS_LISTING)
		fprintf(f, " %s", s->path);
	fputc('\n', f);
}

static void report_text(FILE *f, const struct shot *sh, int n, char *tls)
{
	char *v, *c, *how;
	int i, up = 0;

	fprintf(f, "mount point: %s\nserver: %s\nup: %lld s\n", st->mountpoint,
		st->server, (long long)(time(NULL) - st->started));
	if (tls_parts(tls, &v, &c, &how))
		fprintf(f, "TLS: %s, %s, verified by %s\n", v, c, how);
	else
		fprintf(f, "TLS: none\n");
	fprintf(f, "sessions: %d open, %u allowed of %u asked\n", n,
		atomic_load(&st->limit), st->max_sessions);
	for (i = 0; i < n; i++)
		text_session(f, &sh[i]);
	for (i = 0; i < n; i++)
		up += sh[i].state == SS_WRITING;
	fprintf(f, "uploads in progress: %d\n", up);
	for (i = 0; i < n; i++) {
		if (sh[i].state != SS_WRITING)
			continue;
		if (sh[i].total >= 0)
			fprintf(f, "  %s: %lld of %lld bytes sent",
				file_of(&sh[i]), sh[i].moved, sh[i].total);
		else
			fprintf(f, "  %s: %lld bytes sent", file_of(&sh[i]),
				sh[i].moved);
		if (sh[i].dest[0])
			fprintf(f, " (as %s)", sh[i].path);
		fputc('\n', f);
	}
	fprintf(f,
		"cache: %zu entries, %llu hits, %llu misses, hit rate "
		"%.1f%%\n",
		st->cache_entries ? st->cache_entries(st->cache_ctx) : 0,
		(unsigned long long)count(ST_CACHE_HIT),
		(unsigned long long)count(ST_CACHE_MISS), hit_rate());
	fprintf(f, "bytes: %llu received, %llu sent\n",
		(unsigned long long)count(ST_BYTES_IN),
		(unsigned long long)count(ST_BYTES_OUT));
	fprintf(f, "errors: %llu, reconnects: %llu, sessions opened: %llu\n",
		(unsigned long long)count(ST_ERRORS),
		(unsigned long long)count(ST_RECONNECTS),
		(unsigned long long)count(ST_SESSIONS_OPENED));
	fprintf(f, "server quirks:");
	if (!quirks_out(f, false))
		fprintf(f, " none");
	fputc('\n', f);
}

static void json_str(FILE *f, const char *key, const char *val, bool comma)
{
	char esc[PATH_SHOWN * 6 + 8];

	status_json_escape(val, esc, sizeof(esc));
	fprintf(f, "\"%s\":\"%s\"%s", key, esc, comma ? "," : "");
}

static void json_session(FILE *f, const struct shot *s, bool comma)
{
	fprintf(f, "{\"id\":%u,\"state\":\"%s\",", s->id,
		state_names[s->state]);
	json_str(f, "path", s->state == SS_IDLE ? "" : file_of(s), true);
	fprintf(f, "\"offset\":%lld,\"bytes\":%lld,\"total\":%lld}%s",
		s->start + s->moved, s->moved, s->total, comma ? "," : "");
}

static void report_json(FILE *f, const struct shot *sh, int n, char *tls)
{
	char *v, *c, *how;
	int i, up = 0;

	fputc('{', f);
	json_str(f, "mountpoint", st->mountpoint, true);
	json_str(f, "server", st->server, true);
	fprintf(f, "\"uptime_s\":%lld,", (long long)(time(NULL) - st->started));
	if (tls_parts(tls, &v, &c, &how)) {
		fputs("\"tls\":{", f);
		json_str(f, "version", v, true);
		json_str(f, "cipher", c, true);
		json_str(f, "verified", how, false);
		fputs("},", f);
	} else {
		fputs("\"tls\":null,", f);
	}
	fprintf(f, "\"pool\":{\"asked\":%u,\"limit\":%u,\"open\":%d},",
		st->max_sessions, atomic_load(&st->limit), n);
	fputs("\"sessions\":[", f);
	for (i = 0; i < n; i++)
		json_session(f, &sh[i], i + 1 < n);
	fputs("],\"uploads\":[", f);
	for (i = 0; i < n; i++) {
		if (sh[i].state != SS_WRITING)
			continue;
		fprintf(f, "%s{", up++ ? "," : "");
		json_str(f, "path", file_of(&sh[i]), true);
		json_str(f, "temporary", sh[i].dest[0] ? sh[i].path : "", true);
		fprintf(f, "\"sent\":%lld,\"total\":%lld}", sh[i].moved,
			sh[i].total);
	}
	fprintf(f,
		"],\"cache\":{\"entries\":%zu,\"hits\":%llu,\"misses\":%llu,"
		"\"hit_rate\":%.4f},",
		st->cache_entries ? st->cache_entries(st->cache_ctx) : 0,
		(unsigned long long)count(ST_CACHE_HIT),
		(unsigned long long)count(ST_CACHE_MISS), hit_rate() / 100.0);
	fprintf(f,
		"\"bytes\":{\"received\":%llu,\"sent\":%llu},"
		"\"errors\":%llu,\"reconnects\":%llu,"
		"\"sessions_opened\":%llu,\"quirks\":[",
		(unsigned long long)count(ST_BYTES_IN),
		(unsigned long long)count(ST_BYTES_OUT),
		(unsigned long long)count(ST_ERRORS),
		(unsigned long long)count(ST_RECONNECTS),
		(unsigned long long)count(ST_SESSIONS_OPENED));
	quirks_out(f, true);
	fputs("]}\n", f);
}

char *status_report(bool json)
{
	struct shot *sh;
	char tls[256], *buf = NULL;
	size_t len = 0;
	FILE *f;
	int n;

	if (!st)
		return NULL;
	sh = malloc(sizeof(*sh) * SLOTS);
	if (!sh)
		return NULL;
	n = snapshot(sh, tls);
	f = open_memstream(&buf, &len);
	if (f) {
		if (json)
			report_json(f, sh, n, tls);
		else
			report_text(f, sh, n, tls);
		fclose(f);
	}
	free(sh);
	return buf;
}
