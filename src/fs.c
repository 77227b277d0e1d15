/* fs — FUSE operations over the pool, the caches and the read streams.
 *
 * Paths from the kernel are FUSE paths ("/a/b"); the server path is the
 * session root joined with it. No protocol syntax here: session.c speaks
 * FTP. Lookups go cache -> MLST (one round trip, no data connection) ->
 * listing of the parent, which also fills the cache for the siblings.
 */
#define FUSE_USE_VERSION 314
#include "fs.h"

#include <errno.h>
#include <fuse.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "cache.h"
#include "file.h"
#include "listparse.h"
#include "log.h"
#include "pool.h"
#include "session.h"

#define SRV_PATH_MAX 4000

static struct fs_ctx *ctx(void)
{
	return fuse_get_context()->private_data;
}

/* Server path for a FUSE path; -EINVAL for CR/LF, -ENAMETOOLONG. */
static int srv_path(const char *path, char **out)
{
	const char *root = pool_root(ctx()->pool);
	size_t rl = strlen(root), pl = strlen(path);

	if (strpbrk(path, "\r\n"))
		return -EINVAL;
	if (rl + pl + 1 > SRV_PATH_MAX)
		return -ENAMETOOLONG;
	*out = malloc(rl + pl + 2);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, root, rl);
	if (!strcmp(path, "/") && rl > 0)
		(*out)[rl] = '\0';
	else
		memcpy(*out + rl, path, pl + 1);
	return 0;
}

static void entry_to_stat(const struct ftp_entry *e, struct stat *st)
{
	struct fs_ctx *c = ctx();
	time_t t = 0;

	memset(st, 0, sizeof(*st));
	switch (e->type) {
	case FTP_TYPE_DIR:
		st->st_mode = S_IFDIR | (e->has_perm ? e->perm : 0755);
		st->st_nlink = 2;
		break;
	case FTP_TYPE_LINK:
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
		break;
	default:
		st->st_mode = S_IFREG | (e->has_perm ? e->perm : 0644);
		st->st_nlink = 1;
		break;
	}
	if (e->size >= 0)
		st->st_size = e->size;
	if (e->type == FTP_TYPE_LINK && e->link_target)
		st->st_size = (off_t)strlen(e->link_target);
	st->st_blksize = 4096;
	st->st_blocks = (st->st_size + 511) / 512;
	st->st_uid = c->uid;
	st->st_gid = c->gid;
	if (listparse_time_to_epoch(&e->mtime, 0, time(NULL), &t) == 0) {
		st->st_mtime = t;
		st->st_ctime = t;
		st->st_atime = t;
	}
}

static void root_stat(struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
	st->st_uid = ctx()->uid;
	st->st_gid = ctx()->gid;
	st->st_blksize = 4096;
}

/* ---- listing ------------------------------------------------------- */

struct listing {
	struct cache_dirent *ents;
	size_t n, cap;
};

static int collect(void *arg, struct ftp_entry *e)
{
	struct listing *l = arg;
	struct cache_dirent *d;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;

		d = realloc(l->ents, cap * sizeof(*d));
		if (!d) {
			ftp_entry_free(e);
			return -ENOMEM;
		}
		l->ents = d;
		l->cap = cap;
	}
	d = &l->ents[l->n++];
	entry_to_stat(e, &d->st);
	d->name = e->name;
	d->link = e->link_target;
	e->name = NULL;
	e->link_target = NULL;
	ftp_entry_free(e);
	return 0;
}

static void listing_free(struct listing *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->ents[i].name);
		free(l->ents[i].link);
	}
	free(l->ents);
	memset(l, 0, sizeof(*l));
}

struct list_req {
	const char *path;
	size_t max;
	struct listing l;
};

static int do_list(struct ftp_session *s, void *arg)
{
	struct list_req *q = arg;

	listing_free(&q->l); /* a retry starts over */
	return session_list(s, q->path, q->max, collect, &q->l);
}

/* List the directory at FUSE path into *l (server order). */
static int list_dir(const char *path, struct listing *l)
{
	struct list_req q = { .max = ctx()->max_entries };
	char *sp;
	int r;

	r = srv_path(path, &sp);
	if (r < 0)
		return r;
	q.path = sp[0] ? sp : "/";
	r = pool_run(ctx()->pool, do_list, &q);
	free(sp);
	if (r < 0) {
		listing_free(&q.l);
		if (r == -EMFILE) {
			log_err("%s: more than %zu entries (-o max_entries)",
				path, ctx()->max_entries);
			return -EIO;
		}
		return r;
	}
	*l = q.l;
	return 0;
}

/* List path, hand the entries to the cache, and return them via fn. */
static int fill_dir(const char *path,
		    int (*fn)(void *arg, const char *name,
			      const struct stat *st),
		    void *arg)
{
	struct listing l;
	size_t i;
	int r;

	if (cache_get_dir(ctx()->cache, path, fn, arg))
		return 0;
	r = list_dir(path, &l);
	if (r < 0)
		return r;
	for (i = 0; i < l.n; i++)
		if (fn(arg, l.ents[i].name, &l.ents[i].st))
			break;
	cache_put_dir(ctx()->cache, path, l.ents, l.n);
	return 0;
}

/* ---- getattr ------------------------------------------------------- */

struct mlst_req {
	const char *path;
	struct ftp_entry e;
};

static int do_mlst(struct ftp_session *s, void *arg)
{
	struct mlst_req *q = arg;

	return session_mlst(s, q->path, &q->e);
}

struct find {
	const char *name;
	struct stat st;
	bool found;
};

static int find_fn(void *arg, const char *name, const struct stat *st)
{
	struct find *f = arg;

	if (strcmp(name, f->name))
		return 0;
	f->st = *st;
	f->found = true;
	return 1;
}

static int lookup(const char *path, struct stat *st)
{
	struct fs_ctx *c = ctx();
	struct mlst_req q;
	struct find f = { 0 };
	char *sp, *parent;
	int r;

	r = cache_get_attr(c->cache, path, st);
	if (r != 0)
		return r < 0 ? r : 0;
	if (!strcmp(path, "/") && !(pool_caps(c->pool) & SESS_CAP_MLST)) {
		/* no MLST and no parent to list: the root was checked to
		 * be a directory at mount time */
		root_stat(st);
		return 0;
	}
	if (pool_caps(c->pool) & SESS_CAP_MLST) {
		r = srv_path(path, &sp);
		if (r < 0)
			return r;
		memset(&q, 0, sizeof(q));
		q.path = sp;
		r = pool_run(c->pool, do_mlst, &q);
		free(sp);
		if (r == 0) {
			entry_to_stat(&q.e, st);
			cache_put_attr(c->cache, path, st, q.e.link_target);
			ftp_entry_free(&q.e);
			return 0;
		}
		if (!strcmp(path, "/") && r < 0) {
			root_stat(st);
			return 0;
		}
		if (r == -ENOENT)
			cache_put_missing(c->cache, path);
		if (r != -EOPNOTSUPP && r != -EINVAL)
			return r;
	}
	/* list the parent, find the name there */
	parent = strdup(path);
	if (!parent)
		return -ENOMEM;
	f.name = strrchr(path, '/') + 1;
	*strrchr(parent, '/') = '\0';
	r = fill_dir(parent[0] ? parent : "/", find_fn, &f);
	free(parent);
	if (r < 0)
		return r == -ENOENT || r == -ENOTDIR ? -ENOENT : r;
	if (!f.found) {
		cache_put_missing(c->cache, path);
		return -ENOENT;
	}
	*st = f.st;
	return 0;
}

static int ftpfs_getattr(const char *path, struct stat *st,
			 struct fuse_file_info *fi)
{
	(void)fi;
	return lookup(path, st);
}

/* ---- directories --------------------------------------------------- */

struct fill {
	void *buf;
	fuse_fill_dir_t filler;
};

static int fill_fn(void *arg, const char *name, const struct stat *st)
{
	struct fill *f = arg;

	return f->filler(f->buf, name, st, 0, FUSE_FILL_DIR_PLUS) ? 1 : 0;
}

static int ftpfs_readdir(const char *path, void *buf, fuse_fill_dir_t filler,
			 off_t off, struct fuse_file_info *fi,
			 enum fuse_readdir_flags flags)
{
	struct fill f = { buf, filler };
	struct stat st;
	int r;

	(void)off;
	(void)fi;
	(void)flags;
	r = lookup(path, &st);
	if (r < 0)
		return r;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	filler(buf, ".", &st, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	return fill_dir(path, fill_fn, &f);
}

/* ---- files --------------------------------------------------------- */

static int ftpfs_open(const char *path, struct fuse_file_info *fi)
{
	struct file_stream *f;
	struct stat st;
	char *sp;
	int r;

	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC))
		return -EROFS;
	r = lookup(path, &st);
	if (r < 0)
		return r;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	r = srv_path(path, &sp);
	if (r < 0)
		return r;
	f = file_stream_new(ctx()->pool, sp);
	free(sp);
	if (!f)
		return -ENOMEM;
	fi->fh = (uint64_t)(uintptr_t)f;
	return 0;
}

static int ftpfs_read(const char *path, char *buf, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	struct file_stream *f = (struct file_stream *)(uintptr_t)fi->fh;
	ssize_t n;

	(void)path;
	if (size > INT_MAX)
		size = INT_MAX;
	n = file_stream_read(f, buf, size, off);
	if (n < 0 && n != -EIO)
		log_dbg("%s: read: %s", path ? path : "?", strerror((int)-n));
	if (n == -ENOENT)
		cache_invalidate(ctx()->cache, path ? path : "/");
	return (int)n;
}

static int ftpfs_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	file_stream_free((struct file_stream *)(uintptr_t)fi->fh);
	return 0;
}

static int ftpfs_readlink(const char *path, char *buf, size_t size)
{
	struct stat st;
	char *target = NULL;
	size_t l;
	int r;

	r = lookup(path, &st);
	if (r < 0)
		return r;
	if (!S_ISLNK(st.st_mode))
		return -EINVAL;
	if (!cache_get_link(ctx()->cache, path, &target)) {
		/* MLST gave no target: the parent's listing may */
		struct find f = { .name = strrchr(path, '/') + 1 };
		char *parent = strdup(path);

		if (!parent)
			return -ENOMEM;
		*strrchr(parent, '/') = '\0';
		cache_invalidate(ctx()->cache, path);
		r = fill_dir(parent[0] ? parent : "/", find_fn, &f);
		free(parent);
		if (r < 0)
			return r;
		if (!cache_get_link(ctx()->cache, path, &target))
			return -EIO; /* the server does not say */
	}
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
	    srv_path(path, &sp) == 0) {
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
	sv->f_namemax = 255;
	return 0;
}

static void *ftpfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	struct fs_ctx *c = ctx();

	(void)conn;
	cfg->entry_timeout = c->cache_timeout;
	cfg->attr_timeout = c->cache_timeout;
	cfg->negative_timeout = c->cache_timeout;
	cfg->auto_cache = 1; /* keep page cache while size+mtime unchanged */
	cfg->use_ino = 0;
	if (pool_start(c->pool) < 0)
		log_err("cannot start the session maintenance thread");
	return c;
}

static const struct fuse_operations ops = {
	.init = ftpfs_init,
	.getattr = ftpfs_getattr,
	.readdir = ftpfs_readdir,
	.open = ftpfs_open,
	.read = ftpfs_read,
	.release = ftpfs_release,
	.readlink = ftpfs_readlink,
	.statfs = ftpfs_statfs,
};

const struct fuse_operations *fs_operations(void)
{
	return &ops;
}
