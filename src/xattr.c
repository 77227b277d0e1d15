/* xattr — user.checksum.* names, the checksum cache, and getxattr /
 * listxattr over them. See xattr.h. */
#include "xattr.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fs.h"
#include "meta.h"
#include "pool.h"
#include "refusal.h"
#include "session.h"
#include "wfile.h"

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
		n = sizeof(XATTR_CHECKSUM_PREFIX) - 1 + strlen(digest_name(a)) +
		    1;
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

/* ---- the FUSE side: getxattr and listxattr ------------------------ */

struct sum_req {
	const char *srv;
	enum digest_algo algo;
	char hex[DIGEST_HEX_MAX];
};

static int do_checksum(struct ftp_session *s, void *arg)
{
	struct sum_req *q = arg;

	return session_checksum(s, q->algo, q->srv, q->hex);
}

/* The server's checksum of a regular file: cached with its size and
 * mtime, else asked. -ENODATA where the server has none for it. */
static int file_checksum(struct fs_ctx *c, const char *path, enum digest_algo a,
			 char hex[DIGEST_HEX_MAX])
{
	struct sum_req q = { .algo = a };
	struct stat st;
	int64_t size;
	time_t mtime;
	mode_t mode;
	char *sp;
	int r;

	/* the server has the old contents until the writer's close */
	if (wfile_stat(c->wfiles, path, &size, &mtime, &mode))
		return -EBUSY;
	r = meta_stat(c, path, &st);
	if (r < 0)
		return r;
	if (!S_ISREG(st.st_mode))
		return -ENODATA;
	if (sum_cache_get(c->sums, path, a, st.st_size, st.st_mtime, hex))
		return 0;
	r = meta_srv_path(c, path, &sp);
	if (r < 0)
		return r;
	q.srv = sp;
	r = pool_run(c->pool, do_checksum, &q);
	free(sp);
	if (r < 0)
		return refusal_errno(RF_CHECKSUM, session_user_errno(r),
				     RF_NOT_ASKED, false);
	sum_cache_put(c->sums, path, a, st.st_size, st.st_mtime, q.hex);
	memcpy(hex, q.hex, DIGEST_HEX_MAX);
	return 0;
}

int xattr_get(struct fs_ctx *c, const char *path, const char *name, char *value,
	      size_t size)
{
	char hex[DIGEST_HEX_MAX];
	int a = xattr_checksum_algo(name), r;
	size_t len;

	if (a < 0 || !c->sums || !(pool_caps(c->pool) & SESS_CAP_SUM(a)))
		return -ENODATA;
	r = file_checksum(c, path, (enum digest_algo)a, hex);
	if (r < 0)
		return r;
	len = strlen(hex);
	if (size == 0)
		return (int)len;
	if (size < len)
		return -ERANGE;
	memcpy(value, hex, len);
	return (int)len;
}

int xattr_names(struct fs_ctx *c, const char *path, char *list, size_t size)
{
	unsigned caps = pool_caps(c->pool), algos = 0;
	struct stat st;
	int a, r;

	for (a = 0; a < DIGEST_N; a++)
		if (caps & SESS_CAP_SUM(a))
			algos |= 1u << a;
	if (!algos || !c->sums)
		return 0;
	r = meta_stat(c, path, &st);
	if (r < 0)
		return r;
	return S_ISREG(st.st_mode) ? xattr_list(algos, list, size) : 0;
}
