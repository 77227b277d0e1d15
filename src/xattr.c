/* xattr — user.checksum.* names and the checksum cache. See xattr.h. */
#include "xattr.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define SUM_SLOTS 1024 /* direct-mapped: path and algorithm pick the slot */

struct sum_entry {
	char *path; /* NULL: empty slot */
	enum digest_algo algo;
	long long size;
	time_t mtime;
	char hex[DIGEST_HEX_MAX];
};

struct sum_cache {
	pthread_mutex_t lock;
	struct sum_entry slot[SUM_SLOTS]; /* protected by lock */
};

int xattr_checksum_algo(const char *name)
{
	size_t n = sizeof(XATTR_CHECKSUM_PREFIX) - 1;
	int a;

	if (strncmp(name, XATTR_CHECKSUM_PREFIX, n))
		return -ENODATA;
	a = digest_from_name(name + n);
	return a < 0 ? -ENODATA : a;
}

int xattr_list(unsigned algos, char *buf, size_t size)
{
	size_t len = 0, n;
	int a;

	for (a = 0; a < DIGEST_N; a++) {
		if (!(algos & (1u << a)))
			continue;
		n = sizeof(XATTR_CHECKSUM_PREFIX) - 1 + strlen(digest_name(a)) + 1;
		if (size && len + n <= size) {
			memcpy(buf + len, XATTR_CHECKSUM_PREFIX,
			       sizeof(XATTR_CHECKSUM_PREFIX) - 1);
			memcpy(buf + len + sizeof(XATTR_CHECKSUM_PREFIX) - 1,
			       digest_name(a), strlen(digest_name(a)) + 1);
		}
		len += n;
	}
	if (size && len > size)
		return -ERANGE;
	return (int)len;
}

struct sum_cache *sum_cache_new(void)
{
	struct sum_cache *c = calloc(1, sizeof(*c));

	if (c)
		pthread_mutex_init(&c->lock, NULL);
	return c;
}

void sum_cache_free(struct sum_cache *c)
{
	if (!c)
		return;
	sum_cache_drop(c, NULL);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* FNV-1a of the path and the algorithm */
static struct sum_entry *slot_of(struct sum_cache *c, const char *path,
				 enum digest_algo a)
{
	unsigned h = 2166136261u ^ (unsigned)a;

	for (; *path; path++)
		h = (h ^ (unsigned char)*path) * 16777619u;
	return &c->slot[h % SUM_SLOTS];
}

bool sum_cache_get(struct sum_cache *c, const char *path, enum digest_algo a,
		   long long size, time_t mtime, char out[DIGEST_HEX_MAX])
{
	struct sum_entry *e;
	bool hit;

	pthread_mutex_lock(&c->lock);
	e = slot_of(c, path, a);
	hit = e->path && e->algo == a && !strcmp(e->path, path) &&
	      e->size == size && e->mtime == mtime;
	if (hit)
		memcpy(out, e->hex, DIGEST_HEX_MAX);
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void sum_cache_put(struct sum_cache *c, const char *path, enum digest_algo a,
		   long long size, time_t mtime, const char *hex)
{
	char *copy = strdup(path);
	struct sum_entry *e;

	if (!copy)
		return;
	pthread_mutex_lock(&c->lock);
	e = slot_of(c, path, a);
	free(e->path);
	e->path = copy;
	e->algo = a;
	e->size = size;
	e->mtime = mtime;
	snprintf(e->hex, sizeof(e->hex), "%s", hex);
	pthread_mutex_unlock(&c->lock);
}

static void slot_clear(struct sum_entry *e)
{
	free(e->path);
	e->path = NULL;
}

void sum_cache_drop(struct sum_cache *c, const char *path)
{
	struct sum_entry *e;
	int i;

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	for (i = 0; !path && i < SUM_SLOTS; i++)
		slot_clear(&c->slot[i]);
	for (i = 0; path && i < DIGEST_N; i++) {
		e = slot_of(c, path, (enum digest_algo)i);
		if (e->path && !strcmp(e->path, path))
			slot_clear(e);
	}
	pthread_mutex_unlock(&c->lock);
}
