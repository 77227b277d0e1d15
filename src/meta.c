/* meta — the remote namespace: lookups, listings, invalidation. See
 * meta.h.
 *
 * State: none of its own. What it knows lives in the cache (cache.c, one
 * lock: c->cache's), including the miss heuristic's count, which is kept
 * in the attribute entry of the directory it counts for
 * (cache_dir_miss). The cache's listing callbacks (meta_fill_fn) run
 * under the cache's lock: they only copy what they are handed.
 */
#include "meta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "charset.h"
#include "fs.h"
#include "linkpath.h"
#include "listing.h"
#include "listparse.h"
#include "log.h"
#include "pool.h"
#include "prefetch.h"
#include "session.h"
#include "wfile.h"
#include "xattr.h"

#define SRV_PATH_MAX 4000
#define ROOT_WAIT_MS 2000 /* a lookup of "/" waits no longer for a session */

/* Lookups in one directory the cache could not answer, one after another
 * (a program opening many files by name, without listing first): after
 * MISS_RUN of them, listing the directory once answers the rest, where
 * MLST costs a round trip each. A few lookups (a stat here and there)
 * stay MLSTs, which is cheaper than listing a large directory. */
#define MISS_RUN 3

/* ---- paths and entries -------------------------------------------- */

char *meta_parent(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash > path ? strndup(path, (size_t)(slash - path))
				     : strdup("/");
}

/* -ENAMETOOLONG when a component of path is longer than META_NAME_MAX
 * bytes, -EINVAL for CR/LF (it could never be sent, nor listed); else
 * 0. */
static int name_check(const char *path)
{
	size_t n;

	if (strpbrk(path, "\r\n"))
		return -EINVAL;
	while (*path) {
		path += strspn(path, "/");
		n = strcspn(path, "/");
		if (n > META_NAME_MAX)
			return -ENAMETOOLONG;
		path += n;
	}
	return 0;
}

int meta_srv_path(struct fs_ctx *c, const char *path, char **out)
{
	const char *root = pool_root(c->pool);
	char *conv = NULL;
	size_t rl = strlen(root), pl;
	int r;

	r = name_check(path);
	if (r < 0)
		return r;
	if (c->charset) {
		r = charset_to_server(c->charset, path, &conv);
		if (r < 0)
			return r == -EILSEQ ? -EINVAL : r;
		path = conv;
	}
	pl = strlen(path);
	r = 0;
	if (rl + pl + 1 > SRV_PATH_MAX) {
		r = -ENAMETOOLONG;
		goto out;
	}
	*out = malloc(rl + pl + 2);
	if (!*out) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(*out, root, rl);
	if (!strcmp(path, "/") && rl > 0)
		(*out)[rl] = '\0';
	else
		memcpy(*out + rl, path, pl + 1);
out:
	free(conv);
	return r;
}

int meta_parent_srv(struct fs_ctx *c, const char *path, char **out)
{
	char *parent = meta_parent(path);
	int r;

	if (!parent)
		return -ENOMEM;
	r = meta_srv_path(c, parent, out); /* never "": "/" or the URL's */
	free(parent);
	return r;
}

int meta_local_name(struct fs_ctx *c, char **s)
{
	char *conv;
	int r;

	if (!c->charset || !*s)
		return 0;
	r = charset_to_local(c->charset, *s, &conv);
	if (r < 0)
		return r;
	free(*s);
	*s = conv;
	return 0;
}

/* MLSD's perm fact says what this login may do (RFC 3659 7.5.5); the
 * mode shown (all files look like the mounting user's) drops what it
 * may not: read, write (w; a directory: c, m or p), enter/list. So a
 * file the server will not let us write is not writable here, and open
 * for writing gives EACCES instead of replacing it by a rename. */
static mode_t rights_mask(const struct ftp_entry *e)
{
#define HAS(c) (e->rights & LISTPARSE_RIGHT(c))
	mode_t m = 0;

	if (e->type == FTP_TYPE_DIR) {
		if (!HAS('l'))
			m |= 0444;
		if (!HAS('e'))
			m |= 0111;
		if (!HAS('c') && !HAS('m') && !HAS('p'))
			m |= 0222;
	} else if (e->type == FTP_TYPE_FILE) {
		if (!HAS('r'))
			m |= 0444;
		if (!HAS('w'))
			m |= 0222;
	}
	return m;
#undef HAS
}

void meta_entry_stat(struct fs_ctx *c, const struct ftp_entry *e,
		     struct stat *st)
{
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
	if (e->has_rights)
		st->st_mode &= ~rights_mask(e);
	if (e->size >= 0)
		st->st_size = e->size;
	if (e->type == FTP_TYPE_LINK && e->link_target)
		st->st_size = (off_t)strlen(e->link_target);
	st->st_blksize = 4096;
	st->st_blocks = (st->st_size + 511) / 512;
	st->st_uid = c->uid;
	st->st_gid = c->gid;
	if (listparse_time_to_epoch(&e->mtime, c->tz_offset, time(NULL), &t) ==
	    0) {
		st->st_mtime = t;
		st->st_ctime = t;
		st->st_atime = t;
	}
}

/* The root where the server cannot say (no MLST, and the root has no
 * parent to list): a directory, dated when the mount was made. */
static void root_stat(struct fs_ctx *c, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mtime = st->st_ctime = st->st_atime = c->mount_time;
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
	st->st_uid = c->uid;
	st->st_gid = c->gid;
	st->st_blksize = 4096;
}

/* ---- listings ------------------------------------------------------ */

struct list_req {
	struct fs_ctx *c;
	const char *path; /* server path */
	bool long_list;	  /* LIST even where MLSD is offered */
	struct listing l;
};

static int do_list(struct ftp_session *s, void *arg)
{
	struct list_req *q = arg;

	return listing_dir(q->c, s, q->path, q->long_list, &q->l);
}

/* List the directory at FUSE path into *l (server order); long_list:
 * with LIST. */
static int list_dir_as(struct fs_ctx *c, const char *path, bool long_list,
		       struct listing *l)
{
	struct list_req q = { .c = c, .long_list = long_list };
	enum refusal_look look;
	char *sp;
	int r;

	r = meta_srv_path(c, path, &sp);
	if (r < 0)
		return r;
	q.path = sp[0] ? sp : "/";
	r = pool_run(c->pool, do_list, &q);
	free(sp);
	if (r == 0) {
		*l = q.l;
		return 0;
	}
	listing_free(&q.l);
	if (r == -EMFILE)
		log_err("%s: more than %zu entries (-o max_entries)", path,
			c->max_entries);
	/* a directory that may not be read (MLSD/LIST/CWD: 550); the root
	 * is there */
	look = strcmp(path, "/") ? refusal_look(RF_LIST, r) : RF_LOOK_NONE;
	return refusal_errno(RF_LIST, r, meta_found(c, path, look, NULL),
			     false);
}

int meta_list(struct fs_ctx *c, const char *path, meta_fill_fn fn, void *arg,
	      bool *first)
{
	struct listing l = { 0 };
	unsigned long gen = cache_gen(c->cache);
	bool dummy;
	size_t i;
	int r;

	first = first ? first : &dummy;
	*first = true;
	r = cache_get_dir(c->cache, path, fn, arg);
	if (r) {
		*first = r == 2;
		return 0;
	}
	/* being prefetched: its listing is on the way */
	if (c->prefetch && prefetch_claim(c->prefetch, path) &&
	    cache_get_dir(c->cache, path, fn, arg))
		return 0;
	r = list_dir_as(c, path, false, &l);
	if (r < 0)
		return r;
	for (i = 0; i < l.n; i++)
		if (fn(arg, l.ents[i].name, &l.ents[i].st))
			break;
	cache_put_dir(c->cache, path, l.ents, l.n, gen);
	return 0;
}

int meta_prefetch_list(void *arg, struct ftp_session *s, const char *path)
{
	struct fs_ctx *c = arg;
	struct listing l = { 0 };
	unsigned long gen;
	char *sp;
	int r;

	if (cache_has_dir(c->cache, path))
		return 0;
	gen = cache_gen(c->cache);
	r = meta_srv_path(c, path, &sp);
	if (r < 0)
		return r;
	r = listing_dir(c, s, sp[0] ? sp : "/", false, &l);
	free(sp);
	if (r < 0) {
		listing_free(&l);
		return r;
	}
	cache_put_dir_unused(c->cache, path, l.ents, l.n, gen,
			     c->prefetch_unused);
	return 0;
}

/* ---- lookups ------------------------------------------------------- */

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

/* The miss heuristic (MISS_RUN): list path's parent rather than MLST
 * path. Not where the parent has a listing that answers for the names it
 * lacks: a miss there is a name changed through the mount, which a new
 * listing would not answer better than MLST (in a directory of 10,000
 * names, far worse). */
static bool list_instead(struct fs_ctx *c, const char *path)
{
	char *parent;
	bool again;

	if (c->cache_timeout <= 0 || !(parent = meta_parent(path)))
		return false;
	again = !cache_listed(c->cache, parent) &&
		cache_dir_miss(c->cache, parent) > MISS_RUN;
	free(parent);
	return again;
}

/* An MLST that failed (not "no such file") starts the count again. */
static void miss_failed(struct fs_ctx *c, const char *path)
{
	char *parent = meta_parent(path);

	if (parent)
		cache_dir_miss_reset(c->cache, parent);
	free(parent);
}

struct path_list_req {
	struct fs_ctx *c;
	const char *path;
	char *dir; /* path's directory, for MDTM of a day-only time */
	struct listing l;
};

static int do_list_path(struct ftp_session *s, void *arg)
{
	struct path_list_req *q = arg;

	return listing_one(q->c, s, q->path, q->dir, &q->l);
}

/* Without MLST, a name changed through the mount (created, renamed,
 * written) is looked up by its own LIST line, so that making N files in
 * a large directory does not list it N times. Only for what was not a
 * directory (LIST of a directory gives its contents) and for server paths
 * that LIST cannot mistake for options or patterns; else, or when the
 * answer is not the one file, -EAGAIN: list the parent. */
static int lookup_changed(struct fs_ctx *c, const char *path, struct stat *st,
			  unsigned long gen)
{
	struct path_list_req q = { .c = c };
	const char *name = strrchr(path, '/') + 1;
	char *sp = NULL;
	mode_t was;
	int r;

	if (!cache_is_changed(c->cache, path, &was) || S_ISDIR(was))
		return -EAGAIN;
	r = meta_srv_path(c, path, &sp);
	if (r < 0)
		return r;
	r = -EAGAIN;
	if (strpbrk(sp, "*?[]{}~\\") || name[0] == '-' || sp[0] != '/' ||
	    meta_parent_srv(c, path, &q.dir) < 0)
		goto out;
	q.path = sp;
	if (pool_run(c->pool, do_list_path, &q) < 0 || q.l.n != 1 ||
	    strcmp(q.l.ents[0].name, name) || S_ISDIR(q.l.ents[0].st.st_mode))
		goto out;
	*st = q.l.ents[0].st;
	cache_put_attr(c->cache, path, st, q.l.ents[0].link, gen);
	r = 0;
out:
	listing_free(&q.l);
	free(q.dir);
	free(sp);
	return r;
}

/* MLST of path: 0 (cached), 1 when the parent is to be listed instead
 * (MLST refused for this name), or the failure (a miss cached). The root's
 * attributes are known without the server: they never wait for it (with
 * -o hard, fusermount -u stats the mount point, and would hang for as
 * long as it is down). */
static int lookup_mlst(struct fs_ctx *c, const char *path, struct stat *st,
		       unsigned long gen)
{
	struct mlst_req q = { 0 };
	bool root = !strcmp(path, "/");
	char *sp;
	int r;

	r = meta_srv_path(c, path, &sp);
	if (r < 0)
		return r;
	q.path = sp;
	r = root ? pool_run_timed(c->pool, do_mlst, &q, ROOT_WAIT_MS)
		 : pool_run(c->pool, do_mlst, &q);
	free(sp);
	if (r == 0) {
		meta_entry_stat(c, &q.e, st);
		meta_local_name(c, &q.e.link_target);
		cache_put_attr(c->cache, path, st, q.e.link_target, gen);
		ftp_entry_free(&q.e);
		return 0;
	}
	if (root) {
		root_stat(c, st);
		return 0;
	}
	if (r == -ENOENT)
		cache_put_missing(c->cache, path, gen);
	else
		miss_failed(c, path);
	return r == -EOPNOTSUPP || r == -EINVAL ? 1 : r;
}

int meta_stat(struct fs_ctx *c, const char *path, struct stat *st)
{
	bool mlst = pool_caps(c->pool) & SESS_CAP_MLST;
	unsigned long gen = cache_gen(c->cache);
	struct find f = { 0 };
	char *parent;
	int r;

	r = name_check(path);
	if (r < 0)
		return r;
	r = cache_get_attr(c->cache, path, st);
	if (r < 0 && pool_down(c->pool))
		return -EIO; /* "missing" is old news the server cannot confirm */
	if (r != 0)
		return r < 0 ? r : 0;
	if (!strcmp(path, "/") && !mlst) {
		/* no MLST and no parent to list: the root was checked to
		 * be a directory at mount time */
		root_stat(c, st);
		return 0;
	}
	if (mlst && (!strcmp(path, "/") || !list_instead(c, path))) {
		r = lookup_mlst(c, path, st, gen);
		if (r <= 0)
			return r;
	}
	if (!mlst && lookup_changed(c, path, st, gen) == 0)
		return 0;
	/* list the parent, find the name there */
	parent = meta_parent(path);
	if (!parent)
		return -ENOMEM;
	f.name = strrchr(path, '/') + 1;
	r = meta_list(c, parent, find_fn, &f, NULL);
	free(parent);
	if (r < 0)
		return refusal_errno(RF_LOOKUP, r, RF_NOT_ASKED, false);
	if (!f.found) {
		cache_put_missing(c->cache, path, gen);
		return -ENOENT;
	}
	*st = f.st;
	return 0;
}

static int count_fn(void *arg, const char *name, const struct stat *st)
{
	(void)name;
	(void)st;
	(*(size_t *)arg)++;
	return 1;
}

bool meta_has_entries(struct fs_ctx *c, const char *path)
{
	size_t n = 0;

	return meta_list(c, path, count_fn, &n, NULL) == 0 && n > 0;
}

enum refusal_found meta_found(struct fs_ctx *c, const char *path,
			      enum refusal_look look, struct stat *st)
{
	struct stat tmp;

	if (look == RF_LOOK_NONE || !path)
		return RF_NOT_ASKED;
	meta_invalidate(c, path, MI_ENTRY);
	if (meta_stat(c, path, st ? st : &tmp) < 0)
		return RF_MISSING;
	if (look == RF_LOOK_CHILDREN && meta_has_entries(c, path))
		return RF_NOT_EMPTY;
	return RF_EXISTS;
}

/* ---- symlinks ------------------------------------------------------ */

/* MLSD that names a link without its target (ProFTPD's
 * "type=OS.unix=symlink", Pure-FTPd's bare "OS.unix=slink"): LIST of the
 * parent says "name -> target". The target is cached with the link. */
static int link_from_list(struct fs_ctx *c, const char *path,
			  const struct stat *st, char **target)
{
	unsigned long gen = cache_gen(c->cache);
	const char *name = strrchr(path, '/') + 1;
	char *parent = meta_parent(path);
	struct listing l;
	size_t i;
	int r;

	if (!parent)
		return -ENOMEM;
	r = list_dir_as(c, parent, true, &l);
	free(parent);
	if (r < 0)
		return r;
	*target = NULL;
	for (i = 0; i < l.n && !*target; i++)
		if (!strcmp(l.ents[i].name, name) && l.ents[i].link)
			*target = strdup(l.ents[i].link);
	listing_free(&l);
	if (!*target) {
		log_warn("%s: the server names no target for this link", path);
		return -EIO;
	}
	cache_put_attr(c->cache, path, st, *target, gen);
	return 0;
}

/* The target of the link at path (attributes *st) that the cache does
 * not have: MLST gave none, the parent's listing may. */
static int link_target(struct fs_ctx *c, const char *path,
		       const struct stat *st, char **target)
{
	struct find f = { .name = strrchr(path, '/') + 1 };
	char *parent = meta_parent(path);
	int r;

	if (!parent)
		return -ENOMEM;
	meta_invalidate(c, path, MI_ENTRY);
	r = meta_list(c, parent, find_fn, &f, NULL);
	free(parent);
	if (r < 0)
		return r;
	if (cache_get_link(c->cache, path, target))
		return 0;
	return link_from_list(c, path, st, target);
}

int meta_readlink(struct fs_ctx *c, const char *path, char **target)
{
	struct stat st;
	char *dir = NULL, *loc = NULL;
	int r;

	*target = NULL;
	r = meta_stat(c, path, &st);
	if (r < 0)
		return r;
	if (!S_ISLNK(st.st_mode))
		return -EINVAL;
	if (!cache_get_link(c->cache, path, target)) {
		r = link_target(c, path, &st, target);
		if (r < 0)
			return r;
	}
	/* an absolute target inside the mounted tree (as ProFTPD stores
	 * what SITE SYMLINK made) is shown relative, so it resolves here */
	if ((*target)[0] != '/')
		return 0;
	if (meta_parent_srv(c, path, &dir) == 0)
		loc = linkpath_to_local(pool_root(c->pool), dir, *target);
	free(dir);
	if (loc) {
		free(*target);
		*target = loc;
	}
	return 0;
}

/* ---- invalidation -------------------------------------------------- */

void meta_invalidate(struct fs_ctx *c, const char *path, unsigned flags)
{
	char *parent;

	if (flags & MI_SUBTREE) {
		cache_clear(c->cache);
		sum_cache_drop(c->sums, NULL);
	}
	if (!path)
		return;
	if (flags & MI_ENTRY)
		cache_invalidate(c->cache, path);
	if (flags & MI_CHANGED)
		cache_changed(c->cache, path);
	if (flags & (MI_CHANGED_DIR | MI_MADE_DIR))
		cache_changed_dir(c->cache, path);
	if (flags & MI_MADE_DIR)
		cache_put_dir(c->cache, path, NULL, 0, cache_gen(c->cache));
	if (flags & MI_REMOVED)
		cache_removed(c->cache, path);
	if (flags & (MI_ENTRY | MI_CHANGED | MI_REMOVED))
		sum_cache_drop(c->sums, path);
	if (flags & MI_PARENT) {
		parent = meta_parent(path);
		if (parent && strcmp(parent, path))
			cache_changed_dir(c->cache, parent);
		free(parent);
	}
}

void meta_done(struct fs_ctx *c, const char *path, int r, unsigned flags)
{
	if (!path)
		return;
	if (r == 0)
		meta_invalidate(c, path, flags);
	else if (flags & ~(unsigned)MI_PARENT)
		meta_invalidate(c, path, MI_ENTRY);
}
