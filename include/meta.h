/* meta — the remote namespace: what is at a path, what a directory holds,
 * and what the caches forget when the mount changes something.
 *
 * A lookup goes cache -> MLST (one round trip, no data connection) ->
 * listing of the parent, which also fills the cache for the siblings.
 * After MISS_RUN lookups in a row that the cache could not answer in one
 * directory, the directory is listed instead of each name MLST'd (the
 * count is kept per directory, in its cache entry). Without MLST, a name
 * changed through the mount is asked with LIST of its own path.
 *
 * The namespace commands (meta_unlink ... meta_set_mtime, metaop.c) send
 * one command, judge a refusal with refusal.h's table (looking the name
 * up afresh where the table says), and update the caches.
 *
 * Paths are FUSE paths ("/", "/a/b"). Every function takes the mount's
 * fs_ctx; none holds a lock of its own (cache.c, wfile.c and the pool
 * have theirs), so any thread may call them. Functions returning int:
 * 0 or a negative errno, as the FUSE operation returns it.
 */
#ifndef FTPFS_META_H
#define FTPFS_META_H

#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>

#include "refusal.h"

struct fs_ctx;
struct ftp_entry;
struct ftp_session;

/* The longest name, as statfs says (f_namemax). A longer one is refused
 * at the first call that meets it (lookup, create, mkdir, rename's
 * target, symlink), so no write is ever accepted for a file that cannot
 * be stored. */
#define META_NAME_MAX 255

/* ---- paths and entries (meta.c) ---- */

/* Server path for a FUSE path (malloc'd; "" for the root of an empty
 * session root); -EINVAL for CR/LF or a name not valid in the server's
 * charset, -ENAMETOOLONG. */
int meta_srv_path(struct fs_ctx *c, const char *path, char **out);
/* The server path of path's parent directory ("/" at the top). */
int meta_parent_srv(struct fs_ctx *c, const char *path, char **out);
/* The FUSE path of path's parent directory ("/" at the top), malloc'd,
 * or NULL. */
char *meta_parent(const char *path);
/* A name or link target from the server in the local charset (in
 * place; NULL stays NULL). */
int meta_local_name(struct fs_ctx *c, char **s);
/* A parsed entry as the mount shows it (owner, mode, times in UTC). */
void meta_entry_stat(struct fs_ctx *c, const struct ftp_entry *e,
		     struct stat *st);

/* ---- lookups and listings (meta.c) ---- */

typedef int (*meta_fill_fn)(void *arg, const char *name, const struct stat *st);

/* What is at path: from the cache, else the server (see the top). */
int meta_stat(struct fs_ctx *c, const char *path, struct stat *st);
/* The entries of directory path, from the cache or listed now (then
 * cached), handed to fn in order until it returns non-zero. *first (if
 * not NULL): the listing was taken now or used for the first time
 * (prefetched). */
int meta_list(struct fs_ctx *c, const char *path, meta_fill_fn fn, void *arg,
	      bool *first);
/* Directory path lists at least one entry (cached, or listed now);
 * false too when it cannot be listed. */
bool meta_has_entries(struct fs_ctx *c, const char *path);
/* What refusal_look asked of path, looked up afresh (path forgotten
 * first; for RF_LOOK_CHILDREN, listed too, whatever its type):
 * RF_EXISTS, RF_NOT_EMPTY, RF_MISSING; RF_NOT_ASKED for
 * RF_LOOK_NONE or a NULL path. st (if not NULL): its attributes. */
enum refusal_found meta_found(struct fs_ctx *c, const char *path,
			      enum refusal_look look, struct stat *st);
/* A symlink's target as the mount shows it (malloc'd in *target): the
 * cached one, else from the parent's listings (MLSD, then LIST); an
 * absolute target inside the mounted tree is made relative. */
int meta_readlink(struct fs_ctx *c, const char *path, char **target);
/* The prefetch job (prefetch_fn, arg = the fs_ctx): list path on s into
 * the cache as an unused listing, unless a fresh listing is cached. */
int meta_prefetch_list(void *arg, struct ftp_session *s, const char *path);

/* ---- invalidation (meta.c) ---- */

enum {
	/* forget path's attributes, listing and checksums, and its
	 * parent's listing: the server's state is not known */
	MI_ENTRY = 1 << 0,
	/* forget everything below path as well (today: everything) */
	MI_SUBTREE = 1 << 1,
	/* path was created or changed through the mount: asked again at
	 * its next lookup; its parent's listing no longer serves readdir
	 * but still answers "missing" (cache_changed) */
	MI_CHANGED = 1 << 2,
	/* the same for a directory (its type stays known) */
	MI_CHANGED_DIR = 1 << 3,
	/* path is a directory made just now: MI_CHANGED_DIR, and an empty
	 * listing, so names looked up in it are missing without asking */
	MI_MADE_DIR = 1 << 4,
	/* path was removed through the mount: known missing */
	MI_REMOVED = 1 << 5,
	/* a name in path's directory was made, removed or replaced: the
	 * directory's attributes (its time) are asked afresh */
	MI_PARENT = 1 << 6,
};

/* Apply flags to path (NULL: nothing, but MI_SUBTREE forgets all). */
void meta_invalidate(struct fs_ctx *c, const char *path, unsigned flags);
/* After an operation on path that returned r: flags when it succeeded;
 * when it failed, MI_ENTRY if flags would have changed path (MI_PARENT
 * alone does nothing). NULL path: nothing. */
void meta_done(struct fs_ctx *c, const char *path, int r, unsigned flags);

/* ---- namespace commands (metaop.c) ---- */

/* Not retried on a broken session: these are not idempotent. */
int meta_unlink(struct fs_ctx *c, const char *path);
/* MKD, then SITE CHMOD where mode is not the servers' usual 0755. */
int meta_mkdir(struct fs_ctx *c, const char *path, mode_t mode);
int meta_rmdir(struct fs_ctx *c, const char *path);
/* RNFR/RNTO of from (whose attributes are *sf) over to; where the server
 * refuses to rename over a name, that name is removed first. noreplace:
 * -EEXIST when to exists. */
int meta_rename(struct fs_ctx *c, const char *from, const struct stat *sf,
		const char *to, bool noreplace);
/* SITE SYMLINK of target (a local path: see metaop.c for its forms). */
int meta_symlink(struct fs_ctx *c, const char *target, const char *path);
int meta_chmod(struct fs_ctx *c, const char *path, mode_t mode);
/* is_dir: path is a directory (a refused time is not an error). */
int meta_set_mtime(struct fs_ctx *c, const char *path, time_t t, bool is_dir);

#endif
