/* wfile_int — the write node's state, shared by wfile.c (the state
 * machine: the operations of wfile.h), wfile_names.c (the table, names,
 * renames, snapshots, orphans) and wfile_io.c (the transfers: streams
 * and their resume window, spool upload and fetch, commit and drop of the
 * temporary). Private to them; see wfile.c for the states and their
 * transitions, and for the locks.
 */
#ifndef FTPFS_WFILE_INT_H
#define FTPFS_WFILE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "wfile.h"

struct xfer;

/* The node's state: see the table at the top of wfile.c. Written only by
 * wnode_set_state(). */
enum wstate {
	W_STREAM_NEW,	/* created/truncated, to be streamed; nothing sent */
	W_STREAMING,	/* STOR of a temporary running (x) */
	W_APPEND_NEW,	/* O_APPEND to an empty file, no APPE yet: the
			 * commit creates it */
	W_APPEND_IDLE,	/* O_APPEND, no APPE running, nothing to commit */
	W_APPENDING,	/* APPE of the file running (x) */
	W_SPOOL_REMOTE, /* spool: the contents are on the server only */
	W_SPOOL_CLEAN,	/* spool: the server's contents, nothing to commit */
	W_SPOOL_DIRTY,	/* spool: changes to commit */
	W_SPOOL_FAILED, /* spool: their upload failed, nothing new since */
	W_LOST_REMOTE,	/* a stream's data was lost (lost_err): writes and
			 * flushes fail; reads show the server's copy, not
			 * fetched yet */
	W_LOST_LOCAL,	/* the same, the server's copy in the spool */
	W_NSTATES
};

struct wnode {
	struct wfile_table *t;
	struct wnode *next; /* protected by t->lock */
	char *path, *srv;   /* protected by t->lock (renames change them) */
	char *tmp;	    /* protected by t->lock: the running upload's
				 * temporary server name */
	unsigned refs;	    /* protected by t->lock */
	bool releasing;	    /* t->lock: a last release is committing it */
	struct {	    /* protected by t->lock: see node_unlock */
		bool pending;
		int64_t size;
		time_t mtime;
		mode_t mode;
	} snap;
	pthread_mutex_t lock; /* the node's I/O lock: guards all below */
	enum wstate state;    /* written by wnode_set_state() only */
	int lost_err;	      /* W_LOST_*: the error every write and flush
				 * returns; written by wnode_set_state() */
	struct xfer *x;	      /* W_STREAMING/W_APPENDING: the transfer
				* (xfer.h); made at the first stream,
				* CLOSED between streams */
	char *win;	      /* W_STREAMING/W_APPENDING: the resume
				 * window, or NULL */
	size_t win_len;	      /* valid bytes in it, ending at pos */
	int64_t pos;	      /* stream or append: next byte's offset */
	int fd;		      /* the spool file, -1 before */
	int64_t size;
	time_t mtime;
	bool set_mtime; /* apply mtime after the next commit */
	bool set_mode;	/* apply mode_bits after the next commit */
	mode_t mode_bits;
	mode_t keep_mode; /* the mode the committed file is to have:
				 * the replaced file's, or the one asked for
				 * at create; 0 = the server's default */
	bool tmp_moded;	  /* W_STREAMING: keep_mode is on the
				 * temporary */
};

struct wfile_table {
	/* set at wfile_table_new, read-only after */
	struct pool *pool;
	bool ignore_attr_errors;
	char *dir;
	uint64_t spool_max;
	pthread_mutex_t lock;	   /* the table lock, a leaf */
	struct wnode *nodes;	   /* protected by lock */
	atomic_bool warned_rename; /* said once: no rename over a file */
	atomic_bool stopping;	   /* wfile_table_stop */
	atomic_bool no_chmod;	   /* SITE CHMOD refused: keep_mode not tried */
	/* renames through the mount (protected by lock) */
	unsigned renaming;	 /* RNFR/RNTO in flight */
	unsigned long names_gen; /* bumped by each that moved a node */
	pthread_cond_t renamed;	 /* renaming went to 0 */
	/* temporaries a broken session kept us from deleting: deleted at
	 * unmount (wfile_orphans_sweep); protected by lock */
	char *orphans[WFILE_ORPHANS_MAX];
	unsigned n_orphans;
};

/* --- the state (wfile.c) ---------------------------------------------- */

/* The only writer of w->state (and w->lost_err: err, for the W_LOST_*
 * states; 0 otherwise); traces the change under -d. w->lock held. */
void wnode_set_state(struct wnode *w, enum wstate to, int err);
const char *wnode_state_name(enum wstate st);
/* A stream or an append runs (on w->x). */
bool wnode_streaming(const struct wnode *w);
/* Something to commit: what getattr/readdir show is the node's. */
bool wnode_pending(const struct wnode *w);
/* A stream or an append failed: enter W_LOST_* with err (what would be
 * read back decides which). Returns err. */
int wnode_lose(struct wnode *w, int err);

/* --- names, snapshot, orphans (wfile_names.c) ---------------------------- */

/* The node's names as they are now (a rename may change them at any
 * time): copies, with the table's rename generation. */
struct wnames {
	char *path, *srv, *tmp;
	unsigned long gen;
};

int wf_names_get(struct wnode *w, struct wnames *n);
void wf_names_free(struct wnames *n);
/* After a command on the node's names failed: did a rename through the
 * mount move them since names_get? Waits for renames in flight. */
bool wf_names_moved(struct wnode *w, const struct wnames *n);
/* The node's name for a log line, into buf. */
const char *wf_log_name(struct wnode *w, char *buf, size_t size);
/* A new temporary for the node's upload, or none (w->lock held). */
int wf_set_tmp(struct wnode *w);
void wf_set_tmp_null(struct wnode *w);
/* tmp may be on the server and could not be deleted now: keep it for
 * wfile_orphans_sweep(). */
void wf_orphan_add(struct wfile_table *t, const char *tmp);
/* Publish what getattr and readdir see, then unlock w->lock. */
void wf_node_unlock(struct wnode *w);
struct wnode *wf_find_locked(struct wfile_table *t, const char *path);

/* --- transfers (wfile_io.c) ------------------------------------------- */

int wf_spool_create(struct wnode *w);
/* Upload the spool (or nothing, fd < 0) to a temporary, then rename. */
int wf_upload(struct wnode *w);
/* Fill the spool from the server (W_SPOOL_REMOTE, W_LOST_REMOTE; else
 * nothing to do). */
int wf_fetch(struct wnode *w);
/* SITE CHMOD on the running upload's temporary from another session. */
int wf_chmod_tmp(struct wnode *w, mode_t mode, bool *refused);
/* Start STOR (to a temporary: W_STREAM_NEW) or APPE (W_APPEND_NEW,
 * W_APPEND_IDLE); -EAGAIN: no session free now. */
int wf_stream_start(struct wnode *w);
/* Send on the running stream (started when there is none); a failure
 * that cannot resume loses the data (W_LOST_*). */
int wf_stream_send(struct wnode *w, const char *buf, size_t len);
int wf_stream_zeros(struct wnode *w, int64_t n);
/* End the running transfer; commit: make it the file. */
int wf_stream_finish(struct wnode *w, bool commit);

#endif
