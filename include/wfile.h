/* wfile — files open for writing: upload streams and spool files.
 *
 * One node per path, shared by every handle that writes it (refcounted).
 * A node is in one of three modes:
 *  - STREAM: created or truncated and written sequentially from offset 0:
 *    the bytes go straight into STOR of a temporary name in the same
 *    directory; committing renames it over the file. A forward gap is
 *    filled with zeros.
 *  - APPEND: O_APPEND: the bytes go into APPE of the file itself.
 *  - SPOOL: anything else: a local file (in a private directory, bounded
 *    by spool_max), filled from the server only when first needed, and
 *    uploaded to a temporary name and renamed over the file on commit.
 * A STREAM node that is written out of order, read, or shrunk becomes a
 * SPOOL node (its upload is committed first, then fetched back).
 * (The node's states and their transitions, traced under -d: the table
 * at the top of wfile.c.)
 *
 * wfile_flush() commits (upload + rename) and returns the upload's error;
 * when it has returned 0 the data is on the server. Data that a failed
 * stream lost makes every later write and flush fail (until a truncate to
 * 0): close() never returns 0 for a file that is not what was written. A failed upload never
 * leaves a partial file under the final name, and never destroys the old
 * contents (the temporary is deleted).
 *
 * Return rule: 0 or a count on success, a negative errno on failure.
 */
#ifndef FTPFS_WFILE_H
#define FTPFS_WFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct pool;
struct wfile_table;
struct wnode;

/* An upload's temporary is WFILE_TMP_PREFIX and 16 lowercase hex digits
 * (random), in the file's directory. Listings hide such names; one older
 * than WFILE_TMP_STALE seconds (by the listing's time: an upload running
 * keeps it fresh) that is not this mount's is a killed mount's leftover,
 * deleted when its directory is listed. Other names are shown. */
#define WFILE_TMP_PREFIX ".ftpfs-tmp-"
#define WFILE_TMP_STALE (24 * 3600)
bool wfile_tmp_name(const char *name);

enum wfile_how {
	WF_NEW,	   /* the file is being created: empty */
	WF_TRUNC,  /* an existing file, truncated to 0 on open */
	WF_APPEND, /* O_APPEND */
	WF_UPDATE, /* an existing file, contents kept */
};

/* spool_dir: where the private spool directory is made. */
/* ignore_attr_errors: a mode set on an upload's temporary that the
 * server refuses is not an error of chmod (one applied after a commit
 * never is an error of flush/close: the data is safe). */
int wfile_table_new(struct pool *p, const char *spool_dir, uint64_t spool_max,
		    bool ignore_attr_errors, struct wfile_table **out);
/* Stopping (SIGTERM, unmount with files still open): from now on, the
 * release of a stream that was never closed rolls it back (its temporary
 * deleted, the old file kept) instead of committing a part of a file; a
 * spool is still uploaded, APPE data is already in the file. */
void wfile_table_stop(struct wfile_table *t);
/* Delete the temporaries that failed uploads on broken sessions could not
 * (the server may hold them): at unmount, after the last upload. At most
 * WFILE_ORPHANS_MAX are kept; more are logged. */
#define WFILE_ORPHANS_MAX 256
void wfile_orphans_sweep(struct wfile_table *t);
void wfile_table_free(struct wfile_table *t);

/* Open (or join) the node for path. srv: the server path. size: the
 * file's size on the server (for WF_APPEND/WF_UPDATE). rdwr: the handle
 * may read (forces SPOOL). keep_mode: the permission bits the committed
 * file is to have (the replaced file's, or those asked for at create):
 * SITE CHMOD on the temporary before the rename, and at once when they
 * give others less than 0644; a chmod through the mount overrides them;
 * 0 = the server's default. */
int wfile_open(struct wfile_table *t, const char *path, const char *srv,
	       enum wfile_how how, bool rdwr, int64_t size, mode_t keep_mode,
	       struct wnode **out);
/* off < 0: at the node's end (O_APPEND: the kernel's idea of the end may
 * be older than another handle's data). */
ssize_t wfile_write(struct wnode *w, const char *buf, size_t len, int64_t off);
ssize_t wfile_read(struct wnode *w, char *buf, size_t len, int64_t off);
int wfile_truncate(struct wnode *w, int64_t size);
/* A mode (mode != NULL) or modification time (mtime != NULL) for a node
 * with data still to commit: a mode goes onto the upload's temporary at
 * once where there is one (the rename keeps it); otherwise both are
 * applied right after the commit (which would move the time, or find no
 * file yet); a refusal then is logged, not an error of the commit, since
 * the data is safe. Returns 1 when the node took it, a negative errno
 * when the server refused, 0 when nothing is pending: set it on the
 * server. */
int wfile_defer_attr(struct wnode *w, const time_t *mtime, const mode_t *mode);
/* A chmod to the mode the node shows (the server's default, where it sets
 * no modes: cp -a and tar create 0600 and chmod 0644 later): that mode,
 * not the one it was created with, is the one the commit is to give. */
void wfile_mode_shown(struct wnode *w, mode_t mode);
int wfile_flush(struct wnode *w);
/* New or truncated, streaming, and not a byte written yet: a commit now
 * would upload an empty file (and the data later again). */
bool wfile_unwritten(struct wnode *w);
/* Drop a reference; the last one commits what is pending and returns its
 * error. */
int wfile_release(struct wnode *w);

/* The node for path with a new reference, or NULL. */
struct wnode *wfile_find(struct wfile_table *t, const char *path);
/* Size, mtime and pending mode (0: none) of a node with data not yet on
 * the server: 1 = there is one, 0 = none (the server is the truth). */
int wfile_stat(struct wfile_table *t, const char *path, int64_t *size,
	       time_t *mtime, mode_t *mode);
/* The node has data not yet on the server. */
bool wfile_pending(struct wnode *w);
/* path is open for writing through this mount (committed or not). */
bool wfile_has_node(struct wfile_table *t, const char *path);
/* A rename through the mount, around its RNFR/RNTO (sent on a session
 * the caller already holds; never waits for a node): done = it
 * succeeded; the nodes at and below from (a file, or a directory's files)
 * then follow it, server names and temporaries too. An upload whose
 * command on a name failed meanwhile waits for the end and tries again
 * under the new names. */
void wfile_rename_begin(struct wfile_table *t);
void wfile_rename_end(struct wfile_table *t, bool done, const char *from,
		      const char *to, const char *srv_from, const char *srv_to);
/* srv is the temporary of an upload of this mount's. */
bool wfile_tmp_in_use(struct wfile_table *t, const char *srv);
/* Call fn for the name of each open node directly inside dir, with its
 * snapshot (never waits for an upload); pending: as wfile_stat's 1. */
void wfile_list(struct wfile_table *t, const char *dir,
		void (*fn)(void *ctx, const char *name, int64_t size,
			   time_t mtime, bool pending),
		void *ctx);

#endif
