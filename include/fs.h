/* fs — the FUSE operations: translate, call cache/file/pool, map errors.
 *
 * FUSE callbacks return -errno. The context is passed as fuse_new()'s
 * user_data and must outlive the FUSE session.
 */
#ifndef FTPFS_FS_H
#define FTPFS_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct pool;
struct cache;
struct wfile_table;

struct fs_ctx {
	struct pool *pool;
	struct cache *cache;
	struct wfile_table *wfiles;
	int ignore_attr_errors; /* chmod/chown/utimens refused: succeed */
	double cache_timeout;  /* seconds, also the kernel's timeouts */
	size_t max_entries;    /* longest directory listing accepted */
	uid_t uid;
	gid_t gid;
};

const struct fuse_operations *fs_operations(void);

#endif
