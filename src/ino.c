/* ino — inode numbers for FUSE paths. See ino.h.
 *
 * Numbers: hashes (FNV-1a, 64 bits) have the top bit clear; fresh numbers
 * given to a renamed-away name count up from 2^63, so the two never meet.
 * Held names (a chained hash table, protected by t->lock) map a path to
 * the number it took over; a path not held has its hash.
 */
#include "ino.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define NBUCKETS 1024
#define FRESH_BASE (1ULL << 63)
#define UNKNOWN_INO 0xffffffffULL

struct held {
	struct held *next;
	char *path;
	uint64_t ino;
};

struct ino_table {
	pthread_mutex_t lock;
	struct held *b[NBUCKETS]; /* protected by lock */
	uint64_t next_fresh;	  /* protected by lock */
	size_t n;		  /* held names; protected by lock */
	size_t max;		  /* held names at most */
	bool warned;		  /* max reached; protected by lock */
};

struct ino_table *ino_new(size_t max_held)
{
	struct ino_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->max = max_held;
	pthread_mutex_init(&t->lock, NULL);
	t->next_fresh = FRESH_BASE;
	return t;
}

void ino_free(struct ino_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < NBUCKETS; i++) {
		while (t->b[i]) {
			struct held *h = t->b[i];

			t->b[i] = h->next;
			free(h->path);
			free(h);
		}
	}
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

/* The number a path has when nothing holds it. */
static uint64_t hashed(const char *path)
{
	uint64_t h = fnv(path) & ~FRESH_BASE;

	if (h < 2 || h == UNKNOWN_INO)
		h += 2; /* 0 is no inode, 1 the root */
	return h;
}

/* Under lock. */
static struct held **find(struct ino_table *t, const char *path)
{
	struct held **hp = &t->b[fnv(path) % NBUCKETS];

	while (*hp && strcmp((*hp)->path, path))
		hp = &(*hp)->next;
	return hp;
}

/* Under lock. */
static uint64_t lookup(struct ino_table *t, const char *path)
{
	struct held *h;

	if (!strcmp(path, "/"))
		return 1;
	if (!t->n)
		return hashed(path);
	h = *find(t, path);
	return h ? h->ino : hashed(path);
}

uint64_t ino_of(struct ino_table *t, const char *path)
{
	uint64_t ino;

	pthread_mutex_lock(&t->lock);
	ino = lookup(t, path);
	pthread_mutex_unlock(&t->lock);
	return ino;
}

/* Under lock: path holds ino from now on; false when out of memory. */
static bool hold(struct ino_table *t, const char *path, uint64_t ino)
{
	struct held **hp = find(t, path), *h = *hp;

	if (!h) {
		h = calloc(1, sizeof(*h));
		if (!h || !(h->path = strdup(path))) {
			free(h);
			return false;
		}
		*hp = h;
		t->n++;
	}
	h->ino = ino;
	return true;
}

void ino_pin(struct ino_table *t, const char *path)
{
	pthread_mutex_lock(&t->lock);
	if (strcmp(path, "/") && !*find(t, path))
		hold(t, path, hashed(path));
	pthread_mutex_unlock(&t->lock);
}

/* Under lock: move one name's number from old to new (old gets a fresh
 * one). */
static void move(struct ino_table *t, const char *old, const char *new)
{
	uint64_t ino = lookup(t, old);

	if (t->n + 2 > t->max) {
		if (!t->warned)
			log_info("%zu renamed names remembered: files renamed "
				 "from now on get new inode numbers",
				 t->max);
		t->warned = true;
		return;
	}
	if (hold(t, new, ino))
		hold(t, old, t->next_fresh++);
}

/* Under lock: the held names strictly below dir (malloc'd array of
 * copies, *n of them), or NULL. */
static char **held_below(struct ino_table *t, const char *dir, size_t *n)
{
	size_t dl = strlen(dir), i, cap = 0;
	char **out = NULL, **grown;
	struct held *h;

	*n = 0;
	for (i = 0; i < NBUCKETS; i++) {
		for (h = t->b[i]; h; h = h->next) {
			if (strncmp(h->path, dir, dl) || h->path[dl] != '/')
				continue;
			if (*n == cap) {
				cap = cap ? cap * 2 : 8;
				grown = realloc(out, cap * sizeof(*out));
				if (!grown)
					return out;
				out = grown;
			}
			out[*n] = strdup(h->path);
			if (out[*n])
				(*n)++;
		}
	}
	return out;
}

void ino_renamed(struct ino_table *t, const char *from, const char *to)
{
	size_t fl = strlen(from), n, i;
	char **below;

	if (!strcmp(from, to))
		return;
	pthread_mutex_lock(&t->lock);
	below = held_below(t, from, &n);
	for (i = 0; i < n; i++) {
		size_t tl = strlen(to), rl = strlen(below[i] + fl);
		char *np = malloc(tl + rl + 1);

		if (np) {
			memcpy(np, to, tl);
			memcpy(np + tl, below[i] + fl, rl + 1);
			move(t, below[i], np);
		}
		free(np);
		free(below[i]);
	}
	free(below);
	move(t, from, to);
	pthread_mutex_unlock(&t->lock);
}
