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
#include <time.h>

#include "servertz.h"

struct pool;
struct cache;
struct wfile_table;
struct charset;
struct prefetch;
struct ftp_session;
struct ino_table;
struct sum_cache;
struct fuse;

/* The mount's context. main.c fills it before the FUSE loop; from then on
 * it is read-only (no lock), but for the atomics and mount_time (set by
 * the init operation, before any other). What the pointers lead to has
 * its own lock: cache.h, wfile.h, pool.h... */
struct fs_ctx {
	struct pool *pool;
	struct cache *cache;
	struct wfile_table *wfiles;
	int ignore_attr_errors; /* chmod/chown/utimens refused: succeed */
	double cache_timeout; /* seconds; the kernel's timeouts are at most 1 s */
	size_t max_entries;   /* longest directory listing accepted */
	uid_t uid;
	gid_t gid;
	long tz_offset;		 /* server's LIST times: seconds east of UTC */
	struct charset *charset; /* server names in another charset, or NULL */
	struct prefetch *prefetch; /* or NULL: no prefetch */
	double prefetch_unused; /* seconds an unused prefetched listing lives */
	unsigned parallel_read; /* file_stream_parallel() helpers, 0 = off */
	const char *mountpoint; /* absolute, as the kernel shows open files */
	atomic_bool said_dir_times; /* logged: the server sets no dir times */
	struct ino_table *inos; /* st_ino of every path (stat and readdir) */
	struct sum_cache *sums; /* user.checksum.* answers, or NULL */
	struct fuse *fuse;	/* for kernel cache invalidation, or NULL */
	time_t mount_time;	/* the root's time where the server has none */
	/* writes through the mount, counted before each is answered (so
	 * before the kernel takes the new size): a listing taken earlier
	 * must not give the old size back through readdirplus (dirsnap.c).
	 * A file being written meanwhile has its node's size in getattr and
	 * in listings; its commit moves the cache's generation. */
	atomic_ulong writes_seen;
};

/* The old names of servertz_detect and servertz_parse (servertz.h). */
static inline int fs_detect_server_tz(struct pool *p, long *offset)
{
	return servertz_detect(p, offset);
}

static inline int fs_parse_tz(const char *s, long *offset)
{
	return servertz_parse(s, offset);
}

/* The FUSE operations. Without checksums (caps: pool_caps(), no
 * SESS_CAP_SUM bit) there are no extended attributes at all: libfuse then
 * answers ENOSYS, and the kernel stops asking (ls -l asks two attributes
 * of every entry, and every write asks security.capability: a round trip
 * through the FUSE queue each, for nothing). */
const struct fuse_operations *fs_operations(unsigned caps);

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
