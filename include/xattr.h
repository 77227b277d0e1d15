/* xattr — the user.checksum.* extended attributes: names and a cache.
 *
 * "user.checksum.sha256" (also .sha1, .md5, .crc32) is the server's
 * checksum of a file, lowercase hex. The cache keeps each answer with the
 * size and modification time the file had when it was asked: a file
 * whose size or time has changed since is asked again, and a change
 * through the mount drops its entries at once. Thread-safe (one lock,
 * never held across I/O); bounded (a fixed number of slots, a new entry
 * takes its slot from an older one).
 */
#ifndef FTPFS_XATTR_H
#define FTPFS_XATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "digest.h"

#define XATTR_CHECKSUM_PREFIX "user.checksum."

/* The algorithm an attribute name asks for, or -ENODATA for any other
 * name (security.selinux, system.posix_acl_access...). */
int xattr_checksum_algo(const char *name);

/* listxattr's answer for the algorithms in algos (1 << enum
 * digest_algo): the NUL-separated names in buf (size 0: only measure).
 * Returns the length, or -ERANGE when buf is too small. */
int xattr_list(unsigned algos, char *buf, size_t size);

struct sum_cache;

struct sum_cache *sum_cache_new(void);
void sum_cache_free(struct sum_cache *c);
/* true and out filled when path's checksum is known for this size and
 * mtime. */
bool sum_cache_get(struct sum_cache *c, const char *path, enum digest_algo a,
		   long long size, time_t mtime, char out[DIGEST_HEX_MAX]);
void sum_cache_put(struct sum_cache *c, const char *path, enum digest_algo a,
		   long long size, time_t mtime, const char *hex);
/* Forget path (every algorithm), or everything when path is NULL. */
void sum_cache_drop(struct sum_cache *c, const char *path);

struct fs_ctx;

/* getxattr of path: a checksum the server offers (asked, or cached), as
 * hex; size 0 only measures. -ENODATA for any other name (answered at
 * once: file managers ask for security.selinux... of every file), for
 * what is not a regular file, or where the server has none for it;
 * -EBUSY while the file is being written through the mount; -ERANGE. */
int xattr_get(struct fs_ctx *c, const char *path, const char *name, char *value,
	      size_t size);
/* listxattr of path: the checksums the server offers, for a regular
 * file (xattr_list's answer), else none. */
int xattr_names(struct fs_ctx *c, const char *path, char *list, size_t size);

#endif
