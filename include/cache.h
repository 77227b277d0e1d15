/* cache — attributes and directory listings by path, with a TTL.
 *
 * Thread-safe (one lock). Bounded: at most max_entries attribute entries
 * plus listed names in all; when full, expired entries go first, then
 * everything. Paths are the FUSE paths ("/", "/a/b").
 *
 * A fresh listing of a directory answers lookups of its children too: a
 * name it does not contain is reported missing (-ENOENT) without asking
 * the server.
 */
#ifndef FTPFS_CACHE_H
#define FTPFS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

struct cache;

struct cache_dirent {
	char *name;
	struct stat st;
	char *link; /* symlink target or NULL */
};

/* ttl_sec <= 0 disables caching (every lookup misses).
 *
 * Puts carry the generation read (cache_gen) before the server was asked:
 * an invalidation in between (a change made meanwhile) bumps it, and the
 * put, which may predate the change, is dropped. */
struct cache *cache_new(double ttl_sec, size_t max_entries);
void cache_free(struct cache *c);

/* 1 = hit, *st filled; 0 = miss; -ENOENT = known not to exist. */
int cache_get_attr(struct cache *c, const char *path, struct stat *st);
unsigned long cache_gen(struct cache *c);
void cache_put_attr(struct cache *c, const char *path, const struct stat *st,
		    const char *link, unsigned long gen);
void cache_put_missing(struct cache *c, const char *path, unsigned long gen);
/* Symlink target: 1 and a malloc'd copy in *out, or 0. */
int cache_get_link(struct cache *c, const char *path, char **out);

/* A hit calls fn for each entry (under the cache lock: fn must not call
 * back into the cache) and returns 1, or 2 when it was the first use of an
 * unused listing (see cache_put_dir_unused); a miss returns 0. */
int cache_get_dir(struct cache *c, const char *path,
		  int (*fn)(void *ctx, const char *name, const struct stat *st),
		  void *ctx);
/* Takes ownership of ents (and their strings); also caches every child's
 * attributes. */
void cache_put_dir(struct cache *c, const char *path, struct cache_dirent *ents,
		   size_t n, unsigned long gen);

/* A listing fetched without being asked for (prefetch): served only if
 * used within unused_s (capped at the TTL) of now; until then it answers
 * cache_get_dir() and its children's attributes, never "missing" for a
 * name it lacks. The first cache_get_dir() makes it an ordinary listing
 * whose TTL counts from now (the fetch). Dropped, like cache_put_dir(),
 * when gen is old, and also when a fresh listing of path is cached. */
void cache_put_dir_unused(struct cache *c, const char *path,
			  struct cache_dirent *ents, size_t n,
			  unsigned long gen, double unused_s);
/* A fresh listing of path is cached (used or not); does not use it. */
bool cache_has_dir(struct cache *c, const char *path);
/* A listing of path is held that answers "no such name" for its children:
 * fresh and used, though perhaps changed since (cache_changed). */
bool cache_listed(struct cache *c, const char *path);
/* path was changed through the mount and not looked up since (see
 * cache_changed): true, and in *mode the type and mode it had before (0
 * when it was not known). */
bool cache_is_changed(struct cache *c, const char *path, mode_t *mode);

/* The count of meta.c's miss heuristic, kept in the attribute entry of
 * directory dir: cache_dir_miss counts one more lookup of a name in dir
 * that the cache could not answer and returns the count (0, counting
 * nothing, while dir has no fresh entry); cache_dir_miss_reset starts it
 * again. The count lives as long as the entry (an invalidation of dir
 * drops it). */
unsigned cache_dir_miss(struct cache *c, const char *dir);
void cache_dir_miss_reset(struct cache *c, const char *dir);

/* path was created or changed through the mount: its attributes are asked
 * of the server at the next lookup, its parent's listing no longer serves
 * readdir, but still answers that the names it lacks do not exist. So
 * creating N files in a listed directory costs no listing per file. */
void cache_changed(struct cache *c, const char *path);
/* The same for a directory (made, or with a name made in it): its type
 * stays known (cache_is_changed). */
void cache_changed_dir(struct cache *c, const char *path);
/* path was removed through the mount: known missing; its parent's listing
 * no longer serves readdir. */
void cache_removed(struct cache *c, const char *path);

/* Attribute entries plus listed names held (for `ftpfs status`; the
 * argument is the struct cache, untyped for status_set_cache_entries). */
size_t cache_entries(void *cache);

/* Forget everything (after a directory rename, say). */
void cache_clear(struct cache *c);
/* Forget path (attributes and listing) and its parent's listing. */
void cache_invalidate(struct cache *c, const char *path);

#endif
