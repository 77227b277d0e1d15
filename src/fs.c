/* fs — the FUSE operations: a thin adapter over meta (the remote
 * namespace), the read streams (file.h) and the write nodes (wfile.h).
 *
 * One short function per operation. What is at a path, listings, the
 * namespace commands and what the caches forget: meta.h. What errno a
 * refusal gives: refusal.c. Checksums as extended attributes: xattr.h.
 * Paths from the kernel are FUSE paths ("/a/b"); no protocol syntax here
 * (session.c speaks FTP).
 *
 * Shared state: none of its own. The mount's fs_ctx (fs.h) is read-only
 * in the loop; open files are handle.h's, open directories dirsnap.h's.
 */
#define FUSE_USE_VERSION 314
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "dirsnap.h"
#include "file.h"
#include "handle.h"
#include "ino.h"
#include "log.h"
#include "meta.h"
#include "pool.h"
#include "refusal.h"
#include "session.h"
#include "wfile.h"
#include "xattr.h"

static struct fs_ctx *ctx(void)
{
	return fuse_get_context()->private_data;
}

/* libfuse gives a NULL path to an open file whose name it lost (an
 * unlinked file when hiding it failed): the handle's name, copied into
 * *own (free it), or NULL. */
static const char *op_path(const char *path, struct fuse_file_info *fi,
			   char **own)
{
	*own = NULL;
	if (path)
		return path;
	if (!fi)
		return NULL;
	return handle_path((struct handle *)(uintptr_t)fi->fh, own);
}

/* ---- attributes ---------------------------------------------------- */

/* meta_stat(), but a file being written through this mount (a new one is
 * not on the server before its commit) is as its node says. */
static int stat_path(struct fs_ctx *c, const char *path, struct stat *st)
{
	int64_t size;
	time_t mtime;
	mode_t mode;
	int r;

	if (wfile_stat(c->wfiles, path, &size, &mtime, &mode)) {
		/* being written: our size is the truth until committed */
		r = meta_stat(c, path, st);
		if (r < 0 || !S_ISREG(st->st_mode)) {
			memset(st, 0, sizeof(*st));
			st->st_mode = S_IFREG | 0644;
			st->st_nlink = 1;
			st->st_uid = c->uid;
			st->st_gid = c->gid;
			st->st_blksize = 4096;
		}
		st->st_size = size;
		st->st_blocks = (size + 511) / 512;
		st->st_mtime = st->st_ctime = mtime;
		if (mode)
			st->st_mode = S_IFREG | mode; /* set, not yet applied */
		st->st_ino = ino_of(c->inos, path);
		return 0;
	}
	r = meta_stat(c, path, st);
	if (r == -ENOENT && wfile_has_node(c->wfiles, path)) {
		/* written through this mount and committed (perhaps by a
		 * read, not a close): a listing cached before that does not
		 * have it yet; ask the server */
		meta_invalidate(c, path, MI_ENTRY);
		r = meta_stat(c, path, st);
	}
	if (r == 0 && S_ISREG(st->st_mode))
		handles_seen_size(path, st->st_size);
	if (r == 0)
		st->st_ino = ino_of(c->inos, path);
	return r;
}

static int ftpfs_getattr(const char *fpath, struct stat *st,
			 struct fuse_file_info *fi)
{
	char *own;
	const char *path = op_path(fpath, fi, &own);
	int r;

	if (!path)
		return -ESTALE;
	r = stat_path(ctx(), path, st);
	free(own);
	return r;
}

/* ---- directories --------------------------------------------------- */

static int ftpfs_opendir(const char *path, struct fuse_file_info *fi)
{
	struct dirsnap *d;
	struct stat st;
	int r;

	r = meta_stat(ctx(), path, &st);
	if (r < 0)
		return r;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	r = dirsnap_open(ctx(), path, &d);
	if (r == 0)
		fi->fh = (uint64_t)(uintptr_t)d;
	return r;
}

static int ftpfs_readdir(const char *path, void *buf, fuse_fill_dir_t filler,
			 off_t off, struct fuse_file_info *fi,
			 enum fuse_readdir_flags flags)
{
	(void)path;
	(void)flags;
	return dirsnap_read(ctx(), (struct dirsnap *)(uintptr_t)fi->fh, buf,
			    filler, off);
}

static int ftpfs_releasedir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	dirsnap_free((struct dirsnap *)(uintptr_t)fi->fh);
	return 0;
}

/* ---- files --------------------------------------------------------- */

/* Writing replaces a file by a temporary and a rename, which the
 * directory's rights allow: the file's own must be asked first. A file
 * without any write bit (mode 444 in the listing, or no "w" in MLSD's
 * perm fact) is refused, as the server would refuse STOR on it. */
static int may_write(const struct stat *st)
{
	return S_ISREG(st->st_mode) && !(st->st_mode & 0222) ? -EACCES : 0;
}

/* Servers give new files 0644 (umask 022) almost everywhere: a mode
 * asked for that differs is set with SITE CHMOD on the upload's
 * temporary (see wfile_open's keep_mode). */
#define SERVER_FILE_MODE 0644
/* asynchronous requests the kernel may have waiting for us (ftpfs_init) */
#define FTPFS_MAX_BACKGROUND 128

/* created: a new file, with mode (the kernel applied the umask) */
static int open_write(const char *path, struct fuse_file_info *fi, bool created,
		      mode_t mode, const struct stat *st, struct handle *h)
{
	int acc = fi->flags & O_ACCMODE;
	enum wfile_how how;
	char *sp;
	int r;

	if (created)
		/* O_RDWR|O_APPEND (fopen "a+"): a new file is empty, so it
		 * is written from 0 in a spool like any new O_RDWR file;
		 * write-only, APPE creates it */
		how = fi->flags & O_APPEND && acc != O_RDWR ? WF_APPEND
							    : WF_NEW;
	else if (fi->flags & O_TRUNC)
		how = WF_TRUNC;
	else if (fi->flags & O_APPEND)
		how = WF_APPEND;
	else
		how = WF_UPDATE;
	r = meta_srv_path(ctx(), path, &sp);
	if (r < 0)
		return r;
	if (created)
		mode = (mode & 07777) == SERVER_FILE_MODE ? 0 : mode & 07777;
	else
		mode = st ? st->st_mode & 07777 : 0;
	h->append = fi->flags & O_APPEND;
	r = wfile_open(ctx()->wfiles, path, sp, how, acc == O_RDWR,
		       st ? st->st_size : 0, mode, &h->w);
	free(sp);
	/* a new file is not on the server before its commit: its node
	 * answers getattr and readdir until then */
	if (r == 0 && !created)
		meta_invalidate(ctx(), path, MI_CHANGED);
	return session_user_errno(r);
}

/* open for reading: the node being written through this mount, if any
 * (read what was written, not the server's old copy), else a stream. */
static int open_read(const char *path, const struct stat *st, struct handle *h)
{
	struct fs_ctx *c = ctx();
	char *sp;
	int r;

	h->w = wfile_find(c->wfiles, path);
	if (h->w && wfile_pending(h->w))
		return 0;
	if (h->w)
		wfile_release(h->w);
	h->w = NULL;
	r = meta_srv_path(c, path, &sp);
	if (r < 0)
		return r;
	h->rs = file_stream_new(c->pool, sp);
	free(sp);
	if (!h->rs)
		return -ENOMEM;
	file_stream_parallel(h->rs, c->parallel_read, st->st_size);
	return 0;
}

/* Make h fi's handle (in the open list), or free it on failure r. */
static int handle_done(struct handle *h, const char *path,
		       struct fuse_file_info *fi, int r)
{
	if (r == 0) {
		r = handle_add(h, path);
		if (r < 0) {
			file_stream_free(h->rs);
			if (h->w)
				wfile_release(h->w);
		}
	}
	if (r < 0) {
		free(h);
		return r;
	}
	fi->fh = (uint64_t)(uintptr_t)h;
	return 0;
}

static int ftpfs_open(const char *path, struct fuse_file_info *fi)
{
	struct handle *h;
	struct stat st;
	int r;

	r = stat_path(ctx(), path, &st); /* a second open of a new file */
	if (r < 0)
		return r;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
		r = may_write(&st);
		if (r == 0)
			r = open_write(path, fi, false, 0, &st, h);
		h->writer = true;
	} else {
		r = open_read(path, &st, h);
	}
	return handle_done(h, path, fi, r);
}

static int ftpfs_create(const char *path, mode_t mode,
			struct fuse_file_info *fi)
{
	struct handle *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->writer = true;
	return handle_done(h, path, fi,
			   open_write(path, fi, true, mode, NULL, h));
}

static struct handle *handle_of(struct fuse_file_info *fi)
{
	return (struct handle *)(uintptr_t)fi->fh;
}

static int ftpfs_read(const char *path, char *buf, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	struct handle *h = handle_of(fi);
	ssize_t n;

	if (size > INT_MAX)
		size = INT_MAX;
	if (h->w)
		n = wfile_read(h->w, buf, size, off);
	else
		n = file_stream_read(h->rs, buf, size, off);
	if (n >= 0)
		return (int)n;
	n = session_user_errno((int)n);
	if (n != -EIO)
		log_dbg("%s: read: %s", path ? path : "?", strerror((int)-n));
	return refusal_errno(RF_READ, (int)n,
			     meta_found(ctx(), path,
					refusal_look(RF_READ, (int)n), NULL),
			     false); /* RETR: 550 */
}

static int ftpfs_write(const char *path, const char *buf, size_t size,
		       off_t off, struct fuse_file_info *fi)
{
	struct handle *h = handle_of(fi);
	ssize_t n;

	(void)path;
	if (!h->w || !h->writer)
		return -EBADF;
	if (size > INT_MAX)
		size = INT_MAX;
	/* O_APPEND: the kernel's end may predate another handle's
	 * commit (its size came from a listing): the node knows */
	n = wfile_write(h->w, buf, size, h->append ? -1 : off);
	/* before the kernel learns the new size (see fs_ctx) */
	atomic_fetch_add(&ctx()->writes_seen, 1);
	return n < 0 ? session_user_errno((int)n) : (int)n;
}

/* Does the process closing a descriptor of path keep another one of it
 * open? The kernel has taken the closed one out of its table before FUSE's
 * flush, so any link in /proc/PID/fd naming the file is another. */
static bool open_elsewhere(const char *path)
{
	const char *mp = ctx()->mountpoint;
	char want[PATH_MAX], got[PATH_MAX], dir[64];
	struct dirent *de;
	bool found = false;
	DIR *d;
	int wl;

	if (!mp || !path)
		return false;
	wl = snprintf(want, sizeof(want), "%s%s", mp, path);
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)fuse_get_context()->pid);
	if (wl <= 0 || wl >= (int)sizeof(want) || !(d = opendir(dir)))
		return false;
	while (!found && (de = readdir(d))) {
		ssize_t n = readlinkat(dirfd(d), de->d_name, got, sizeof(got));

		found = n == wl && !memcmp(got, want, (size_t)wl);
	}
	closedir(d);
	return found;
}

static int flush_handle(const char *path, struct fuse_file_info *fi,
			bool closing)
{
	struct handle *h = handle_of(fi);
	bool pending;
	int r;

	if (!h->w || !h->writer)
		return 0;
	/* open, dup2, close, write (a shell redirection): the close of
	 * the first descriptor must not upload an empty file before the
	 * data; the close of the last one commits */
	if (closing && wfile_unwritten(h->w) && open_elsewhere(path))
		return 0;
	pending = wfile_pending(h->w);
	r = wfile_flush(h->w);
	meta_done(ctx(), path, r, MI_CHANGED | (pending ? MI_PARENT : 0));
	return session_user_errno(r);
}

static int ftpfs_flush(const char *path, struct fuse_file_info *fi)
{
	return flush_handle(path, fi, true);
}

static int ftpfs_fsync(const char *path, int datasync,
		       struct fuse_file_info *fi)
{
	(void)datasync;
	return flush_handle(path, fi, false);
}

static int ftpfs_release(const char *fpath, struct fuse_file_info *fi)
{
	struct handle *h = handle_of(fi);
	char *own;
	const char *path = op_path(fpath, fi, &own);
	int r = 0;

	handle_remove(h);
	file_stream_free(h->rs);
	if (h->w) {
		bool pending = wfile_pending(h->w);

		r = wfile_release(h->w);
		if (r < 0)
			log_err("%s: lost on close: %s", path ? path : "?",
				strerror(-r));
		meta_done(ctx(), path, r,
			  MI_CHANGED | (pending ? MI_PARENT : 0));
	}
	free(own);
	free(h);
	return r;
}

/* truncate(2) of a file this call does not hold open for writing */
static int truncate_path(const char *path, off_t size)
{
	struct fs_ctx *c = ctx();
	struct wnode *w;
	struct stat st;
	char *sp;
	int r;

	w = wfile_find(c->wfiles, path);
	if (!w) {
		/* not open for writing: open, truncate, commit */
		r = meta_stat(c, path, &st);
		if (r < 0)
			return r;
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		r = may_write(&st);
		if (r == 0)
			r = meta_srv_path(c, path, &sp);
		if (r < 0)
			return r;
		r = wfile_open(c->wfiles, path, sp,
			       size == 0 ? WF_TRUNC : WF_UPDATE, true,
			       st.st_size, st.st_mode & 07777, &w);
		free(sp);
		if (r < 0)
			return r;
	}
	r = wfile_truncate(w, size);
	if (r == 0)
		r = wfile_release(w);
	else
		wfile_release(w);
	meta_done(c, path, r, MI_CHANGED | MI_PARENT);
	return session_user_errno(r);
}

static int ftpfs_truncate(const char *fpath, off_t size,
			  struct fuse_file_info *fi)
{
	struct handle *h = fi ? handle_of(fi) : NULL;
	char *own;
	const char *path;
	int r;

	if (size < 0)
		return -EINVAL;
	if (h && h->w)
		return session_user_errno(wfile_truncate(h->w, size));
	path = op_path(fpath, fi, &own);
	if (!path)
		return -ESTALE;
	r = truncate_path(path, size);
	free(own);
	return r;
}

/* ---- names --------------------------------------------------------- */

static int ftpfs_unlink(const char *path)
{
	return meta_unlink(ctx(), path);
}

static int ftpfs_mkdir(const char *path, mode_t mode)
{
	return meta_mkdir(ctx(), path, mode);
}

static int ftpfs_rmdir(const char *path)
{
	return meta_rmdir(ctx(), path);
}

/* FTP has no FIFOs, sockets or device nodes: EPERM, as on a file system
 * that cannot hold them (not ENOSYS, which tools report as a bug). */
static int ftpfs_mknod(const char *path, mode_t mode, dev_t rdev)
{
	(void)rdev;
	log_info("%s: FTP cannot hold a %s", path,
		 S_ISFIFO(mode)	  ? "FIFO"
		 : S_ISSOCK(mode) ? "socket"
				  : "special file");
	return -EPERM;
}

static int ftpfs_symlink(const char *target, const char *path)
{
	return meta_symlink(ctx(), target, path);
}

/* A file open for writing with data (or its creation) not yet on the
 * server is committed first, so that the server has the name to move. */
static int commit_pending(const char *path)
{
	struct wnode *w = wfile_find(ctx()->wfiles, path);
	int r = 0;

	if (!w)
		return 0;
	if (wfile_pending(w)) {
		r = wfile_flush(w);
		meta_done(ctx(), path, r, MI_CHANGED | MI_PARENT);
	}
	wfile_release(w);
	return session_user_errno(r);
}

static int ftpfs_rename(const char *from, const char *to, unsigned int flags)
{
	struct stat sf;
	int r;

	if (flags & RENAME_EXCHANGE)
		return -EINVAL;
	r = commit_pending(from);
	if (r == 0)
		r = meta_stat(ctx(), from, &sf);
	if (r == 0)
		r = meta_rename(ctx(), from, &sf, to, flags & RENAME_NOREPLACE);
	if (r == 0) {
		handles_renamed(ctx(), from, to);
		ino_renamed(ctx()->inos, from, to);
	}
	return r;
}

/* The node of path open for writing (fi's, else any), or NULL; give it
 * back with node_put. */
static struct wnode *node_get(const char *path, struct fuse_file_info *fi)
{
	struct handle *h = fi ? handle_of(fi) : NULL;

	return h && h->w ? h->w : wfile_find(ctx()->wfiles, path);
}

static void node_put(struct wnode *w, struct fuse_file_info *fi)
{
	struct handle *h = fi ? handle_of(fi) : NULL;

	if (!(h && h->w == w))
		wfile_release(w);
}

/* A node open for writing with data to commit takes the attribute
 * itself (see wfile_defer_attr): 1 when it did, < 0 refused, 0 not. */
static int defer_attr(const char *path, struct fuse_file_info *fi,
		      const time_t *mtime, const mode_t *mode)
{
	struct wnode *w = node_get(path, fi);
	int r;

	if (!w)
		return 0;
	r = wfile_defer_attr(w, mtime, mode);
	node_put(w, fi);
	return r;
}

/* The mode it has already (cp, sed -i and rsync copy a mode onto their
 * temporaries): nothing to ask the server, which may not have SITE CHMOD
 * at all. True, and the node (if any) told, when so. */
static bool mode_unchanged(const char *path, mode_t bits,
			   struct fuse_file_info *fi)
{
	struct stat st;
	struct wnode *w;

	if (ftpfs_getattr(path, &st, fi) < 0 || (st.st_mode & 07777) != bits)
		return false;
	w = node_get(path, fi);
	if (w) {
		wfile_mode_shown(w, bits);
		node_put(w, fi);
	}
	return true;
}

static int ftpfs_chmod(const char *fpath, mode_t mode,
		       struct fuse_file_info *fi)
{
	mode_t bits = mode & 07777;
	char *own;
	const char *path = op_path(fpath, fi, &own);
	int r = 0;

	if (!path)
		return -ESTALE;
	if (!mode_unchanged(path, bits, fi)) {
		r = defer_attr(path, fi, NULL, &bits);
		r = r == 0 ? meta_chmod(ctx(), path, bits) : r < 0 ? r : 0;
	}
	free(own);
	return r;
}

static int ftpfs_chown(const char *path, uid_t uid, gid_t gid,
		       struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	/* FTP has no chown; only "no change" succeeds */
	if ((uid == (uid_t)-1 || uid == ctx()->uid) &&
	    (gid == (gid_t)-1 || gid == ctx()->gid))
		return 0;
	return refusal_errno(RF_CHOWN, -EPERM, RF_NOT_ASKED,
			     ctx()->ignore_attr_errors);
}

static int ftpfs_utimens(const char *fpath, const struct timespec tv[2],
			 struct fuse_file_info *fi)
{
	struct stat st;
	char *own;
	const char *path;
	bool is_dir;
	time_t t;
	int r;

	if (tv && tv[1].tv_nsec == UTIME_OMIT)
		return 0; /* atime only: FTP keeps none */
	path = op_path(fpath, fi, &own);
	if (!path)
		return -ESTALE;
	r = ftpfs_getattr(path, &st, fi);
	is_dir = r == 0 && S_ISDIR(st.st_mode);
	/* a link's own time (cp -a, tar, rsync -a set it): MFMT of a link
	 * sets its target's (the servers follow it), and no FTP server
	 * keeps one for the link itself */
	if (r == 0 && S_ISLNK(st.st_mode))
		goto out; /* r == 0 */
	t = !tv || tv[1].tv_nsec == UTIME_NOW ? time(NULL) : tv[1].tv_sec;
	r = defer_attr(path, fi, &t, NULL);
	r = r == 0 ? meta_set_mtime(ctx(), path, t, is_dir) : r < 0 ? r : 0;
out:
	free(own);
	return r;
}

static int ftpfs_readlink(const char *path, char *buf, size_t size)
{
	char *target;
	size_t l;
	int r;

	r = meta_readlink(ctx(), path, &target);
	if (r < 0)
		return r;
	l = strlen(target);
	if (l >= size)
		l = size - 1;
	memcpy(buf, target, l);
	buf[l] = '\0';
	free(target);
	return 0;
}

struct avbl_req {
	const char *path;
	uint64_t bytes;
};

static int do_avbl(struct ftp_session *s, void *arg)
{
	struct avbl_req *q = arg;

	return session_avbl(s, q->path, &q->bytes);
}

static int ftpfs_statfs(const char *path, struct statvfs *sv)
{
	struct avbl_req q = { 0 };
	/* Without AVBL the server does not say; report 1 PiB free, as
	 * rclone does, so that df lists the mount and copies are not
	 * refused up front. */
	uint64_t blocks = (1ULL << 50) / 4096;
	char *sp;

	memset(sv, 0, sizeof(*sv));
	if (pool_caps(ctx()->pool) & SESS_CAP_AVBL &&
	    meta_srv_path(ctx(), path, &sp) == 0) {
		q.path = sp[0] ? sp : "/";
		if (pool_run(ctx()->pool, do_avbl, &q) == 0)
			blocks = q.bytes / 4096;
		free(sp);
	}
	sv->f_bsize = 4096;
	sv->f_frsize = 4096;
	sv->f_blocks = blocks;
	sv->f_bfree = blocks;
	sv->f_bavail = blocks;
	sv->f_files = 1000000;
	sv->f_ffree = 1000000;
	sv->f_favail = 1000000;
	sv->f_namemax = META_NAME_MAX;
	return 0;
}

static void *ftpfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	struct fs_ctx *c = ctx();

	c->mount_time = time(NULL);
	/* One bound for freshness: our cache keeps what the server said for
	 * cache_timeout; the kernel asks us again after at most a second (a
	 * kernel timeout of cache_timeout on top of ours would let a change
	 * made on the server show only after twice as long). */
	cfg->entry_timeout = c->cache_timeout < 1 ? c->cache_timeout : 1;
	cfg->attr_timeout = cfg->entry_timeout;
	cfg->negative_timeout = cfg->entry_timeout;
	cfg->auto_cache = 1; /* keep page cache while size+mtime unchanged */
	/* an unlinked file still open is renamed to .fuse_hidden* until
	 * its last close (see handle.c) */
	cfg->hard_remove = 0;
	/* bigger requests: fewer round trips through the kernel */
	conn->max_write = 1024 * 1024;
	conn->max_readahead = 1024 * 1024;
	/* The kernel lets max_background asynchronous requests (readahead)
	 * wait for us at once, 12 by default: with more files read at once
	 * than that, requests that wait for a session in the pool held every
	 * slot, and the readers that had one could not send their next
	 * request until a parked transfer was taken from them (an ABOR and
	 * a new RETR per 128 KiB for 64 readers on 4 sessions). */
	conn->max_background = FTPFS_MAX_BACKGROUND;
	conn->congestion_threshold = FTPFS_MAX_BACKGROUND * 3 / 4;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |=
			FUSE_CAP_ATOMIC_O_TRUNC; /* O_TRUNC reaches open */
	/* st_ino is ours (ino.h): readdir's d_ino and stat's agree */
	cfg->use_ino = 1;
	if (pool_start(c->pool) < 0)
		log_err("cannot start the session maintenance thread");
	return c;
}

/* The loop has ended (SIGTERM, or unmounted): handles still open get no
 * release from the kernel. Release them here, so that no upload is left
 * half done: streams never closed roll back, spools are uploaded (see
 * wfile_table_stop). */
static void ftpfs_destroy(void *private_data)
{
	struct fs_ctx *c = private_data;
	struct handle *h;
	int r;

	wfile_table_stop(c->wfiles);
	while ((h = handles_take())) {
		file_stream_free(h->rs);
		r = h->w ? wfile_release(h->w) : 0;
		if (r < 0)
			log_err("%s: open at unmount: %s", h->path,
				strerror(-r));
		free(h->path);
		free(h);
	}
	wfile_orphans_sweep(c->wfiles);
}

/* ---- extended attributes: the server's checksums (xattr.h) ------- */

static int ftpfs_getxattr(const char *path, const char *name, char *value,
			  size_t size)
{
	return xattr_get(ctx(), path, name, value, size);
}

static int ftpfs_listxattr(const char *path, char *list, size_t size)
{
	return xattr_names(ctx(), path, list, size);
}

/* The checksums are the server's: nothing can be set or removed. */
static int ftpfs_setxattr(const char *path, const char *name, const char *value,
			  size_t size, int flags)
{
	return -ENOTSUP;
}

static int ftpfs_removexattr(const char *path, const char *name)
{
	return -ENOTSUP;
}

static const struct fuse_operations ops = {
	.init = ftpfs_init,
	.destroy = ftpfs_destroy,
	.getattr = ftpfs_getattr,
	.opendir = ftpfs_opendir,
	.readdir = ftpfs_readdir,
	.releasedir = ftpfs_releasedir,
	.open = ftpfs_open,
	.create = ftpfs_create,
	.read = ftpfs_read,
	.write = ftpfs_write,
	.flush = ftpfs_flush,
	.fsync = ftpfs_fsync,
	.release = ftpfs_release,
	.truncate = ftpfs_truncate,
	.unlink = ftpfs_unlink,
	.mkdir = ftpfs_mkdir,
	.rmdir = ftpfs_rmdir,
	.rename = ftpfs_rename,
	.chmod = ftpfs_chmod,
	.chown = ftpfs_chown,
	.utimens = ftpfs_utimens,
	.readlink = ftpfs_readlink,
	.symlink = ftpfs_symlink,
	.mknod = ftpfs_mknod,
	.statfs = ftpfs_statfs,
	.getxattr = ftpfs_getxattr,
	.listxattr = ftpfs_listxattr,
	.setxattr = ftpfs_setxattr,
	.removexattr = ftpfs_removexattr,
};

void fs_flush(struct fs_ctx *c, const char *path)
{
	char *parent;

	meta_invalidate(c, path, path ? MI_ENTRY : MI_SUBTREE);
	if (!c->fuse)
		return;
	if (!path) {
		fuse_invalidate_path(c->fuse, "/");
		return;
	}
	fuse_invalidate_path(c->fuse, path); /* -ENOENT: never looked up */
	parent = meta_parent(path);
	if (parent)
		fuse_invalidate_path(c->fuse, parent);
	free(parent);
}

const struct fuse_operations *fs_operations(unsigned caps)
{
	static struct fuse_operations plain;

	if (caps & SESS_CAP_SUM_ANY)
		return &ops;
	plain = ops;
	plain.getxattr = NULL;
	plain.listxattr = NULL;
	plain.setxattr = NULL;
	plain.removexattr = NULL;
	return &plain;
}

int fs_prefetch_list(void *arg, struct ftp_session *s, const char *path)
{
	return meta_prefetch_list(arg, s, path);
}
