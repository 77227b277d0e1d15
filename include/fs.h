/* fs — the FUSE operations: translate, call cache/file/pool, map errors.
 *
 * FUSE callbacks return -errno. The context is passed as fuse_new()'s
 * user_data and must outlive the FUSE session.
 */
#ifndef FTPFS_FS_H
#define FTPFS_FS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct pool;
struct cache;
struct wfile_table;
struct charset;
struct prefetch;
struct ftp_session;
struct ino_table;
struct sum_cache;
struct fuse;

struct fs_ctx {
	struct pool *pool;
	struct cache *cache;
	struct wfile_table *wfiles;
	int ignore_attr_errors; /* chmod/chown/utimens refused: succeed */
	double cache_timeout;  /* seconds; the kernel's timeouts are at most 1 s */
	size_t max_entries;    /* longest directory listing accepted */
	uid_t uid;
	gid_t gid;
	long tz_offset;        /* server's LIST times: seconds east of UTC */
	struct charset *charset; /* server names in another charset, or NULL */
	struct prefetch *prefetch; /* or NULL: no prefetch */
	double prefetch_unused; /* seconds an unused prefetched listing lives */
	unsigned parallel_read; /* file_stream_parallel() helpers, 0 = off */
	const char *mountpoint; /* absolute, as the kernel shows open files */
	atomic_bool said_dir_times; /* logged: the server sets no dir times */
	struct ino_table *inos; /* st_ino of every path (stat and readdir) */
	struct sum_cache *sums; /* user.checksum.* answers, or NULL */
	struct fuse *fuse;     /* for kernel cache invalidation, or NULL */
};

/* Guess the zone of the server's LIST times: list the root, and compare
 * the LIST time of a file with its MDTM (UTC, RFC 3659). 0 and *offset
 * (a multiple of 15 minutes) when a file allowed it, else -ENOENT. Only
 * meaningful without MLST (MLSD times are UTC). */
int fs_detect_server_tz(struct pool *p, long *offset);
/* "UTC", "+HH", "-HH:MM", "+HHMM" → seconds east of UTC; -EINVAL. */
int fs_parse_tz(const char *s, long *offset);

const struct fuse_operations *fs_operations(void);

/* `ftpfs flush` and SIGHUP: forget the cached listings, attributes and
 * checksums of path (and its parent's listing), or of everything when
 * path is NULL, and tell the kernel to drop what it holds of path (its
 * other entries expire within 1 s). Safe from any thread but a FUSE
 * request's. */
void fs_flush(struct fs_ctx *c, const char *path);

/* The prefetch job (prefetch_fn, arg = the fs_ctx): list path on s into
 * the cache as an unused listing, unless a fresh listing is cached. */
int fs_prefetch_list(void *arg, struct ftp_session *s, const char *path);

#endif
