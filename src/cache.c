/* cache — attributes and listings by path, TTL, bounded. See cache.h.
 *
 * Two hash tables (chained, FNV-1a), both protected by c->lock. An entry
 * carries its expiry time (CLOCK_MONOTONIC); expired entries are treated as
 * absent and removed on the next sweep.
 *
 * Unused listings (cache_put_dir_unused): the listing and the attributes
 * it put are marked spec and expire after the short unused bound. The
 * first cache_get_dir() adopts them: spec is cleared on the listing and on
 * each child attribute still carrying that listing's spec expiry, and all
 * of them get fetched + ttl. An unadopted listing never answers "missing"
 * for a child (parent_listed).
 *
 * A listing holds its entries compactly (struct lent: offsets into one
 * string arena, the attributes meta makes from a listing line in 40
 * bytes, a name index for lookups) and answers its children's attributes
 * itself: a child gets an attribute entry of its own only when something
 * is put for it (cache_put_attr, a change through the mount, the miss
 * count). So a listed name costs about 70 bytes, not the 430 of a copy
 * of struct stat in the listing plus an attribute entry per child. A
 * listing that would be dropped (an invalidation, a change in it) keeps
 * answering for the children not changed since until it expires
 * (attrs_only), as their own entries did; a child invalidated is marked
 * gone in it.
 */
#include "cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "status.h"

#define NBUCKETS 4096

struct attr_ent {
	struct attr_ent *next;
	char *path;
	double expires;
	bool missing;
	bool spec;	 /* put by an unadopted listing, expires with it */
	bool unknown;	 /* changed through the mount: ask the server */
	unsigned misses; /* a directory's: cache_dir_miss */
	struct stat st;
	char *link;
};

/* A listed name. Its attributes are those meta_stat_of_entry() makes
 * (blocks from the size, one time for all three) in mode .. mtime; one
 * that does not fit that shape is kept whole in the listing's full[]. */
struct lent {
	uint32_t name; /* offset in the arena */
	uint32_t link; /* offset in the arena of the target, 0 = none */
	uint32_t full; /* 1 + index in full[], 0 = compact */
	uint32_t gone; /* invalidated since: ask the server */
	uint32_t mode, nlink, uid, gid;
	int64_t size, mtime;
};

struct dir_ent {
	struct dir_ent *next;
	char *path;
	double expires;
	double fetched;
	bool spec;	   /* fetched unasked, not yet used (cache_get_dir) */
	bool stale;	   /* a child changed: no readdir from it, but the names
			* it lacks still do not exist (cache_changed) */
	bool attrs_only;   /* dropped: answers only for its children (lent) */
	struct lent *ents; /* in the server's order */
	uint32_t *byname;  /* indexes of ents, sorted by name */
	char *names;	   /* the arena: "" at 0, then names and targets */
	struct stat *full; /* the entries of another shape */
	size_t n;
};

struct cache {
	pthread_mutex_t lock;
	double ttl; /* fixed */
	size_t max; /* fixed */
	/* the rest protected by lock, as is every entry it holds */
	size_t used;	   /* attr entries + listed names; protected by lock */
	unsigned long gen; /* bumped by every invalidation; protected by lock */
	struct attr_ent *attrs[NBUCKETS]; /* protected by lock */
	struct dir_ent *dirs[NBUCKETS];	  /* protected by lock */
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return (size_t)(h % NBUCKETS);
}

struct cache *cache_new(double ttl_sec, size_t max_entries)
{
	struct cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	c->ttl = ttl_sec;
	c->max = max_entries;
	return c;
}

static void free_attr(struct attr_ent *a)
{
	free(a->path);
	free(a->link);
	free(a);
}

static void free_dirents(struct cache_dirent *ents, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(ents[i].name);
		free(ents[i].link);
	}
	free(ents);
}

static void free_dir(struct dir_ent *d)
{
	free(d->ents);
	free(d->byname);
	free(d->names);
	free(d->full);
	free(d->path);
	free(d);
}

/* The struct stat of a compact entry (meta_stat_of_entry's shape). */
static void lent_expand(const struct lent *e, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = e->mode;
	st->st_nlink = e->nlink;
	st->st_uid = e->uid;
	st->st_gid = e->gid;
	st->st_size = (off_t)e->size;
	st->st_blksize = 4096;
	st->st_blocks = (st->st_size + 511) / 512;
	st->st_mtime = st->st_ctime = st->st_atime = (time_t)e->mtime;
}

/* An entry's attributes. */
static void lent_stat(const struct dir_ent *d, const struct lent *e,
		      struct stat *st)
{
	if (e->full)
		*st = d->full[e->full - 1];
	else
		lent_expand(e, st);
}

/* True when st is of the compact shape (lent_expand gives it back). */
static bool lent_pack(const struct stat *st, struct lent *e)
{
	struct stat back;

	e->mode = st->st_mode;
	e->nlink = (uint32_t)st->st_nlink;
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	e->size = st->st_size;
	e->mtime = st->st_mtime;
	lent_expand(e, &back);
	return !memcmp(&back, st, sizeof(back));
}

static int byname_cmp(const void *a, const void *b, void *arg)
{
	const struct dir_ent *d = arg;

	return strcmp(d->names + d->ents[*(const uint32_t *)a].name,
		      d->names + d->ents[*(const uint32_t *)b].name);
}

/* Under lock, or before d is shared: d's entry named name, or NULL. */
static struct lent *lent_find(const struct dir_ent *d, const char *name)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct lent *e = &d->ents[d->byname[mid]];
		int r = strcmp(name, d->names + e->name);

		if (!r)
			return e;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* A listing of ents (which it frees) for dir_ent d: 0, or -1 without
 * memory or past what 32-bit offsets hold (ents are freed either way). */
static int dir_fill(struct dir_ent *d, struct cache_dirent *ents, size_t n)
{
	size_t i, len = 1, at = 1, nfull = 0;
	int r = -1;

	for (i = 0; i < n; i++)
		len += strlen(ents[i].name) + 1 +
		       (ents[i].link ? strlen(ents[i].link) + 1 : 0);
	if (len > UINT32_MAX || n > UINT32_MAX)
		goto out;
	d->ents = calloc(n ? n : 1, sizeof(*d->ents));
	d->byname = malloc((n ? n : 1) * sizeof(*d->byname));
	d->names = malloc(len);
	if (!d->ents || !d->byname || !d->names)
		goto out;
	d->names[0] = '\0';
	for (i = 0; i < n; i++) {
		struct lent *e = &d->ents[i];
		size_t l = strlen(ents[i].name) + 1;

		e->name = (uint32_t)at;
		memcpy(d->names + at, ents[i].name, l);
		at += l;
		if (ents[i].link) {
			l = strlen(ents[i].link) + 1;
			e->link = (uint32_t)at;
			memcpy(d->names + at, ents[i].link, l);
			at += l;
		}
		if (!lent_pack(&ents[i].st, e)) {
			struct stat *f =
				realloc(d->full, (nfull + 1) * sizeof(*f));

			if (!f)
				goto out;
			d->full = f;
			f[nfull++] = ents[i].st;
			e->full = (uint32_t)nfull;
		}
		d->byname[i] = (uint32_t)i;
	}
	d->n = n;
	qsort_r(d->byname, n, sizeof(*d->byname), byname_cmp, d);
	r = 0;
out:
	free_dirents(ents, n);
	return r;
}

/* Under lock: drop expired entries, or all of them when all is set. */
static void sweep(struct cache *c, bool all)
{
	double now = now_s();
	size_t i;

	for (i = 0; i < NBUCKETS; i++) {
		struct attr_ent **ap = &c->attrs[i];
		struct dir_ent **dp = &c->dirs[i];

		while (*ap) {
			struct attr_ent *a = *ap;

			if (all || a->expires <= now) {
				*ap = a->next;
				free_attr(a);
				c->used--;
			} else {
				ap = &a->next;
			}
		}
		while (*dp) {
			struct dir_ent *d = *dp;

			if (all || d->expires <= now) {
				*dp = d->next;
				c->used -= d->n + 1;
				free_dir(d);
			} else {
				dp = &d->next;
			}
		}
	}
}

void cache_free(struct cache *c)
{
	if (!c)
		return;
	sweep(c, true);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static struct attr_ent **find_attr(struct cache *c, const char *path)
{
	struct attr_ent **ap = &c->attrs[hash(path)];

	while (*ap && strcmp((*ap)->path, path))
		ap = &(*ap)->next;
	return ap;
}

static struct dir_ent **find_dir(struct cache *c, const char *path)
{
	struct dir_ent **dp = &c->dirs[hash(path)];

	while (*dp && strcmp((*dp)->path, path))
		dp = &(*dp)->next;
	return dp;
}

static void make_room(struct cache *c, size_t need)
{
	if (c->used + need <= c->max)
		return;
	sweep(c, false);
	if (c->used + need > c->max)
		sweep(c, true);
}

/* The parent directory of path into buf ("/a/b" -> "/a", "/a" -> "/");
 * false for "/" or a parent too long for buf. */
static bool parent_of(const char *path, char *buf, size_t n)
{
	const char *slash = strrchr(path, '/');
	size_t l;

	if (!slash || !path[1])
		return false;
	l = slash == path ? 1 : (size_t)(slash - path);
	if (l >= n)
		return false;
	memcpy(buf, path, l);
	buf[l] = '\0';
	return true;
}

/* Under lock: the parent's listing is fresh. */
static bool parent_listed(struct cache *c, const char *path, double now)
{
	char parent[4096];
	struct dir_ent *d;

	if (!parent_of(path, parent, sizeof(parent)))
		return false;
	d = *find_dir(c, parent);
	return d && d->expires > now && !d->spec && !d->attrs_only;
}

/* Under lock: path's entry in its parent's fresh listing (into *dp), not
 * invalidated since, or NULL. */
static struct lent *listed_child(struct cache *c, const char *path, double now,
				 struct dir_ent **dp)
{
	char parent[4096];
	struct dir_ent *d;
	struct lent *e;

	if (!parent_of(path, parent, sizeof(parent)))
		return NULL;
	d = *find_dir(c, parent);
	if (!d || d->expires <= now)
		return NULL;
	e = lent_find(d, strrchr(path, '/') + 1);
	if (!e || e->gone)
		return NULL;
	*dp = d;
	return e;
}

static void put_attr(struct cache *c, const char *path, const struct stat *st,
		     const char *link, double expires);

/* Under lock: path's own attribute entry, made from its parent's listing
 * (expiring and spec with it) when it had none; NULL when neither. */
static struct attr_ent *attr_for(struct cache *c, const char *path, double now)
{
	struct attr_ent *a = *find_attr(c, path);
	struct dir_ent *d;
	struct lent *e;
	struct stat st;
	bool spec;

	if (a && a->expires > now)
		return a;
	e = listed_child(c, path, now, &d);
	if (!e)
		return a;
	spec = d->spec;
	lent_stat(d, e, &st);
	/* (put_attr may sweep d away: it copies the target first) */
	put_attr(c, path, &st, e->link ? d->names + e->link : NULL, d->expires);
	a = *find_attr(c, path);
	if (a)
		a->spec = spec;
	return a;
}

int cache_get_attr(struct cache *c, const char *path, struct stat *st)
{
	struct attr_ent *a;
	struct dir_ent *d;
	struct lent *e;
	double now = now_s();
	int r = 0;

	if (c->ttl <= 0) {
		status_add(ST_CACHE_MISS, 1);
		return 0;
	}
	pthread_mutex_lock(&c->lock);
	a = *find_attr(c, path);
	if (a && a->expires > now && a->unknown) {
		r = 0;
	} else if (a && a->expires > now) {
		if (a->missing) {
			r = -ENOENT;
		} else {
			*st = a->st;
			r = 1;
		}
	} else if ((e = listed_child(c, path, now, &d))) {
		lent_stat(d, e, st);
		r = 1;
	} else if (parent_listed(c, path, now)) {
		r = -ENOENT;
	}
	pthread_mutex_unlock(&c->lock);
	status_add(r ? ST_CACHE_HIT : ST_CACHE_MISS, 1);
	return r;
}

int cache_get_link(struct cache *c, const char *path, char **out)
{
	struct attr_ent *a;
	struct dir_ent *d;
	struct lent *e;
	double now = now_s();
	int r = 0;

	if (c->ttl <= 0)
		return 0;
	pthread_mutex_lock(&c->lock);
	a = *find_attr(c, path);
	if (a && a->expires > now && a->link) {
		*out = strdup(a->link);
		r = *out ? 1 : 0;
	} else if ((!a || a->expires <= now) &&
		   (e = listed_child(c, path, now, &d)) && e->link) {
		*out = strdup(d->names + e->link);
		r = *out ? 1 : 0;
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

/* Under lock. */
static void put_attr(struct cache *c, const char *path, const struct stat *st,
		     const char *link, double expires)
{
	struct attr_ent **ap = find_attr(c, path), *a = *ap;
	char *l = link ? strdup(link) : NULL;

	if (!a) {
		make_room(c, 1);
		ap = find_attr(c, path);
		a = calloc(1, sizeof(*a));
		if (!a || !(a->path = strdup(path))) {
			free(a);
			free(l);
			return;
		}
		*ap = a;
		c->used++;
	}
	free(a->link);
	a->link = l;
	a->expires = expires;
	a->spec = false;
	a->unknown = false;
	a->missing = st == NULL;
	if (st)
		a->st = *st;
}

unsigned long cache_gen(struct cache *c)
{
	unsigned long g;

	pthread_mutex_lock(&c->lock);
	g = c->gen;
	pthread_mutex_unlock(&c->lock);
	return g;
}

void cache_put_attr(struct cache *c, const char *path, const struct stat *st,
		    const char *link, unsigned long gen)
{
	if (c->ttl <= 0)
		return;
	pthread_mutex_lock(&c->lock);
	if (gen == c->gen)
		put_attr(c, path, st, link, now_s() + c->ttl);
	pthread_mutex_unlock(&c->lock);
}

void cache_put_missing(struct cache *c, const char *path, unsigned long gen)
{
	cache_put_attr(c, path, NULL, NULL, gen);
}

/* path + "/" + name (malloc'd), or NULL. */
static char *child_path(const char *path, const char *name)
{
	size_t plen = strlen(path), nl = strlen(name);
	char *child = malloc(plen + nl + 2);

	if (!child)
		return NULL;
	memcpy(child, path, plen);
	if (plen == 1) {
		memcpy(child + 1, name, nl + 1);
	} else {
		child[plen] = '/';
		memcpy(child + plen + 1, name, nl + 1);
	}
	return child;
}

/* Under lock: an unused listing is used: from now on it is an ordinary
 * one, with the TTL counted from its fetch; so are the child attributes
 * it put that nothing has replaced since. */
static void adopt(struct cache *c, struct dir_ent *d)
{
	double old = d->expires, exp = d->fetched + c->ttl;
	size_t i;

	d->spec = false;
	d->expires = exp;
	for (i = 0; i < d->n; i++) {
		char *child = child_path(d->path, d->names + d->ents[i].name);
		struct attr_ent *a;

		if (!child)
			continue;
		a = *find_attr(c, child);
		if (a && a->spec && a->expires == old) {
			a->spec = false;
			a->expires = exp;
		}
		free(child);
	}
}

int cache_get_dir(struct cache *c, const char *path,
		  int (*fn)(void *ctx, const char *name, const struct stat *st),
		  void *ctx)
{
	struct dir_ent *d;
	size_t i;
	int r = 0;

	if (c->ttl <= 0) {
		status_add(ST_CACHE_MISS, 1);
		return 0;
	}
	pthread_mutex_lock(&c->lock);
	d = *find_dir(c, path);
	if (d && d->expires > now_s() && !d->stale && !d->attrs_only) {
		struct stat st;

		r = 1;
		if (d->spec) {
			adopt(c, d);
			r = 2;
		}
		for (i = 0; i < d->n; i++) {
			lent_stat(d, &d->ents[i], &st);
			if (fn(ctx, d->names + d->ents[i].name, &st))
				break;
		}
	}
	pthread_mutex_unlock(&c->lock);
	status_add(r ? ST_CACHE_HIT : ST_CACHE_MISS, 1);
	return r;
}

/* A fresh listing of path is held: one that may serve readdir (not
 * stale), or one that answers "missing" for its children (used, not a
 * prefetch's). */
static bool dir_held(struct cache *c, const char *path, bool for_readdir)
{
	struct dir_ent *d;
	bool r;

	if (c->ttl <= 0)
		return false;
	pthread_mutex_lock(&c->lock);
	d = *find_dir(c, path);
	r = d && d->expires > now_s() && !d->attrs_only &&
	    (for_readdir ? !d->stale : !d->spec);
	pthread_mutex_unlock(&c->lock);
	return r;
}

bool cache_listed(struct cache *c, const char *path)
{
	return dir_held(c, path, false);
}

unsigned cache_dir_miss(struct cache *c, const char *dir)
{
	struct attr_ent *a;
	unsigned n = 0;

	if (c->ttl <= 0)
		return 0;
	pthread_mutex_lock(&c->lock);
	a = attr_for(c, dir, now_s());
	if (a && a->expires > now_s())
		n = ++a->misses;
	pthread_mutex_unlock(&c->lock);
	return n;
}

void cache_dir_miss_reset(struct cache *c, const char *dir)
{
	struct attr_ent *a;

	pthread_mutex_lock(&c->lock);
	a = *find_attr(c, dir);
	if (a)
		a->misses = 0;
	pthread_mutex_unlock(&c->lock);
}

bool cache_is_changed(struct cache *c, const char *path, mode_t *mode)
{
	struct attr_ent *a;
	bool r;

	if (c->ttl <= 0)
		return false;
	pthread_mutex_lock(&c->lock);
	a = *find_attr(c, path);
	r = a && a->expires > now_s() && a->unknown;
	if (r)
		*mode = a->st.st_mode;
	pthread_mutex_unlock(&c->lock);
	return r;
}

size_t cache_entries(void *cache)
{
	struct cache *c = cache;
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->used;
	pthread_mutex_unlock(&c->lock);
	return n;
}

bool cache_has_dir(struct cache *c, const char *path)
{
	return dir_held(c, path, true);
}

/* unused_s > 0: an unused listing (cache_put_dir_unused). */
static void put_dir(struct cache *c, const char *path,
		    struct cache_dirent *ents, size_t n, unsigned long gen,
		    double unused_s)
{
	struct dir_ent **dp, *d;
	double now = now_s(), exp = now + c->ttl;
	bool spec = unused_s > 0;
	size_t i;
	char *child;

	if (spec && unused_s < c->ttl)
		exp = now + unused_s;
	if (c->ttl <= 0 || n + 1 > c->max) {
		free_dirents(ents, n);
		return;
	}
	pthread_mutex_lock(&c->lock);
	if (gen != c->gen) { /* listed before a change: may be stale */
		free_dirents(ents, n);
		goto out;
	}
	dp = find_dir(c, path);
	if (spec && *dp && (*dp)->expires > now && !(*dp)->attrs_only) {
		/* someone listed it meanwhile: keep theirs */
		free_dirents(ents, n);
		goto out;
	}
	if (*dp) {
		d = *dp;
		*dp = d->next;
		c->used -= d->n + 1;
		free_dir(d);
	}
	/* the children's own entries, where they have one, take the
	 * listing's word (the others ask the listing: listed_child) */
	for (i = 0; i < n; i++) {
		struct attr_ent *a;

		child = child_path(path, ents[i].name);
		if (!child)
			break;
		if ((a = *find_attr(c, child))) {
			put_attr(c, child, &ents[i].st, ents[i].link, exp);
			a->spec = spec;
		}
		free(child);
	}
	make_room(c, n + 1);
	d = calloc(1, sizeof(*d));
	if (!d || !(d->path = strdup(path)) || dir_fill(d, ents, n) < 0) {
		if (d && d->path)
			free_dir(d); /* dir_fill freed ents */
		else {
			free(d);
			free_dirents(ents, n);
		}
		goto out;
	}
	d->expires = exp;
	d->fetched = now;
	d->spec = spec;
	dp = find_dir(c, path);
	d->next = *dp;
	*dp = d;
	c->used += n + 1;
out:
	pthread_mutex_unlock(&c->lock);
}

void cache_put_dir(struct cache *c, const char *path, struct cache_dirent *ents,
		   size_t n, unsigned long gen)
{
	put_dir(c, path, ents, n, gen, 0);
}

void cache_put_dir_unused(struct cache *c, const char *path,
			  struct cache_dirent *ents, size_t n,
			  unsigned long gen, double unused_s)
{
	put_dir(c, path, ents, n, gen, unused_s > 0 ? unused_s : 1e-9);
}

static void drop(struct cache *c, const char *path, bool listing_only);

/* Under lock: forget the listing of path's parent. The parent's
 * attributes stay: dropping them while the grandparent's listing is fresh
 * would make the parent look missing (see cache_get_attr). */
static void drop_parent_listing(struct cache *c, const char *path)
{
	char parent[4096];

	if (parent_of(path, parent, sizeof(parent)))
		drop(c, parent, true);
}

/* Under lock: forget path's listing, and its attributes too unless
 * listing_only. */
static void drop(struct cache *c, const char *path, bool listing_only)
{
	struct attr_ent **ap = find_attr(c, path), *a = *ap;
	struct dir_ent *d = *find_dir(c, path), *pd;
	struct lent *e;

	if (!listing_only) {
		if (a) {
			*ap = a->next;
			free_attr(a);
			c->used--;
		}
		/* nor may its parent's listing answer for it */
		if ((e = listed_child(c, path, now_s(), &pd)))
			e->gone = 1;
	}
	/* The listing no longer serves (readdir, "missing"), but answers for
	 * the children not changed since, as their own entries did. */
	if (d)
		d->attrs_only = true;
}

void cache_invalidate(struct cache *c, const char *path)
{
	pthread_mutex_lock(&c->lock);
	c->gen++;
	drop(c, path, false);
	drop_parent_listing(c, path);
	pthread_mutex_unlock(&c->lock);
}

/* Under lock: path's parent listing (if any) no longer serves readdir.
 * The parent's own time changed on the server as well (an entry made,
 * changed or removed): its attributes are asked afresh, and its entry in
 * its own parent's listing is not served either (LIST servers have it
 * from there). Else rsync, which sets a directory's time early and checks
 * it after filling the directory, would see its own time and leave the
 * server's. */
static void parent_stale(struct cache *c, const char *path)
{
	char parent[4096], grand[4096];
	struct attr_ent *a;
	struct dir_ent *d;

	if (!parent_of(path, parent, sizeof(parent)))
		return;
	if ((d = *find_dir(c, parent)))
		d->stale = true;
	if ((a = attr_for(c, parent, now_s())) && !a->missing)
		a->unknown = true;
	if (parent_of(parent, grand, sizeof(grand)) &&
	    (d = *find_dir(c, grand)))
		d->stale = true;
}

/* dir: path is a directory (its type is kept for cache_is_changed). */
static void mark_changed(struct cache *c, const char *path, bool dir)
{
	struct attr_ent *a;

	if (c->ttl <= 0)
		return;
	pthread_mutex_lock(&c->lock);
	c->gen++;
	attr_for(c, path, now_s()); /* the type it had, from a listing */
	put_attr(c, path, NULL, NULL, now_s() + c->ttl);
	if ((a = *find_attr(c, path))) {
		a->missing = false;
		a->unknown = true;
		if (dir)
			a->st.st_mode = S_IFDIR | (a->st.st_mode & 07777);
	} else {
		drop(c, path, false);
		drop_parent_listing(c, path);
	}
	parent_stale(c, path);
	pthread_mutex_unlock(&c->lock);
}

void cache_changed(struct cache *c, const char *path)
{
	mark_changed(c, path, false);
}

void cache_changed_dir(struct cache *c, const char *path)
{
	mark_changed(c, path, true);
}

void cache_removed(struct cache *c, const char *path)
{
	if (c->ttl <= 0)
		return;
	pthread_mutex_lock(&c->lock);
	c->gen++;
	drop(c, path, false);
	put_attr(c, path, NULL, NULL, now_s() + c->ttl); /* missing */
	parent_stale(c, path);
	pthread_mutex_unlock(&c->lock);
}

void cache_clear(struct cache *c)
{
	pthread_mutex_lock(&c->lock);
	c->gen++;
	sweep(c, true);
	pthread_mutex_unlock(&c->lock);
}
