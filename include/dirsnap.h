/* dirsnap — an open directory: the listing taken at opendir, handed out
 * by readdir with offsets, so that libfuse's readdirplus gives the kernel
 * each entry with its attributes (no LOOKUP per entry afterwards).
 *
 * One snapshot per open directory, used by one FUSE request at a time
 * (the kernel serialises readdir on a handle): no lock of its own.
 * 0 or a negative errno.
 */
#ifndef FTPFS_DIRSNAP_H
#define FTPFS_DIRSNAP_H

#define FUSE_USE_VERSION 314
#include <fuse.h>

struct fs_ctx;
struct dirsnap;

/* Take the listing of directory path (cached or listed now) and the
 * files being written there that the server does not list yet. The
 * first use of a listing queues its subdirectories for prefetch. */
int dirsnap_open(struct fs_ctx *c, const char *path, struct dirsnap **out);
/* readdir from offset off; offset 0 after entries were served is a
 * rewinddir: the listing as it is now (the old one stays if that
 * fails). */
int dirsnap_read(struct fs_ctx *c, struct dirsnap *d, void *buf,
		 fuse_fill_dir_t filler, off_t off);
void dirsnap_free(struct dirsnap *d);

#endif
