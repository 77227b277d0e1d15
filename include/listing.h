/* listing — a directory listing fetched from the server, made local.
 *
 * Names and link targets in the local charset (names not valid there are
 * dropped), attributes as stat (meta_entry_stat), upload temporaries
 * hidden (and deleted when stale), LIST's day-only times refined with
 * MDTM. Runs on a session the caller holds; no lock of its own.
 * 0 or a negative errno (the session's).
 */
#ifndef FTPFS_LISTING_H
#define FTPFS_LISTING_H

#include <stdbool.h>
#include <stddef.h>

struct fs_ctx;
struct ftp_session;
struct cache_dirent;

struct listing {
	struct cache_dirent *ents; /* server order; cache_put_dir takes them */
	size_t n;
};

/* List the directory at server path srv into *l (emptied first: a retry
 * starts over), at most c->max_entries (-EMFILE past that); long_list:
 * with LIST even where MLSD is offered. Deletes the stale upload
 * temporaries it finds. */
int listing_dir(struct fs_ctx *c, struct ftp_session *s, const char *srv,
		bool long_list, struct listing *l);
/* LIST of one server path srv (in directory srv_dir): a file's own line,
 * at most a few entries. */
int listing_one(struct fs_ctx *c, struct ftp_session *s, const char *srv,
		const char *srv_dir, struct listing *l);
void listing_free(struct listing *l);

#endif
