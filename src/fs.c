/* fs — FUSE operations over the pool, the caches and the read streams.
 *
 * Paths from the kernel are FUSE paths ("/a/b"); the server path is the
 * session root joined with it. No protocol syntax here: session.c speaks
 * FTP. Lookups go cache -> MLST (one round trip, no data connection) ->
 * listing of the parent, which also fills the cache for the siblings.
 *
 * Prefetch: the first time opendir uses a listing (listed now, or a
 * prefetched one used for the first time), its subdirectories that are
 * not cached are queued for prefetch.c, whose workers list them with
 * fs_prefetch_list() into the cache as unused listings (cache.h).
 */
#define FUSE_USE_VERSION 314
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <strings.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "charset.h"
#include "file.h"
#include "ino.h"
#include "linkpath.h"
#include "listparse.h"
#include "log.h"
#include "pool.h"
#include "prefetch.h"
#include "session.h"
#include "wfile.h"
#include "xattr.h"

#define SRV_PATH_MAX 4000
#define PREFETCH_PER_DIR 64 /* subdirectories queued per opendir */
#define ROOT_WAIT_MS 2000 /* getattr("/") waits no longer for a session */

/* Set on prefetch workers, which are not FUSE threads. */
static __thread struct fs_ctx *bg_ctx;

static struct fs_ctx *ctx(void)
{
	if (bg_ctx)
		return bg_ctx;
	return fuse_get_context()->private_data;
}

static int lookup(const char *path, struct stat *st);
static int refusal(const char *path, int r, int denied);
static void forget(const char *path);

/* The FUSE path of path's parent directory ("/" at the top), malloc'd,
 * or NULL. */
static char *parent_path(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash > path ? strndup(path, (size_t)(slash - path))
				     : strdup("/");
}

/* The longest name, as statfs says (f_namemax). A longer one is refused
 * at the first call that meets it (lookup, create, mkdir, rename's
 * target, symlink), so no write is ever accepted for a file that cannot
 * be stored. */
#define FS_NAME_MAX 255

/* -ENAMETOOLONG when a component of path is longer than FS_NAME_MAX
 * bytes, else 0. */
static int name_check(const char *path)
{
	size_t n;

	while (*path) {
		path += strspn(path, "/");
		n = strcspn(path, "/");
		if (n > FS_NAME_MAX)
			return -ENAMETOOLONG;
		path += n;
	}
	return 0;
}

/* Server path for a FUSE path; -EINVAL for CR/LF, -ENAMETOOLONG. */
static int srv_path(const char *path, char **out)
{
	const char *root = pool_root(ctx()->pool);
	char *conv = NULL;
	size_t rl = strlen(root), pl;
	int r;

	if (strpbrk(path, "\r\n"))
		return -EINVAL;
	r = name_check(path);
	if (r < 0)
		return r;
	if (ctx()->charset) {
		r = charset_to_server(ctx()->charset, path, &conv);
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

/* A name or link target from the server in our charset (in place). */
static int local_name(char **s)
{
	char *conv;
	int r;

	if (!ctx()->charset || !*s)
		return 0;
	r = charset_to_local(ctx()->charset, *s, &conv);
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

/* When the mount was made: the root's time where the server cannot say
 * (no MLST, and the root has no parent to list). */
static time_t mount_time;

static void root_stat(struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mtime = st->st_ctime = st->st_atime = mount_time;
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
	/* LIST files dated by day only (older than ~6 months in ls form):
	 * their index and server-side name, for MDTM (refine_day_only) */
	size_t *day_idx;
	char **day_name;
	size_t nday;
	/* temporaries of killed mounts (see WFILE_TMP_STALE): server names */
	char **stale;
	size_t nstale;
};

/* At most this many day-only times of one listing are asked for. */
#define DAY_ONLY_MAX 2000

/* Remember a day-only entry (l->n is its index); takes name. */
static int note_day_only(struct listing *l, char *name)
{
	size_t *ni;
	char **nn;

	ni = realloc(l->day_idx, (l->nday + 1) * sizeof(*ni));
	if (!ni)
		return -ENOMEM;
	l->day_idx = ni;
	nn = realloc(l->day_name, (l->nday + 1) * sizeof(*nn));
	if (!nn)
		return -ENOMEM;
	l->day_name = nn;
	l->day_idx[l->nday] = l->n;
	l->day_name[l->nday++] = name;
	return 0;
}

/* An upload's temporary: hidden; noted for deletion when stale. */
static int note_tmp(struct listing *l, const struct ftp_entry *e)
{
	struct stat st;
	char **ns;

	entry_to_stat(e, &st);
	if (!e->mtime.valid || e->type != FTP_TYPE_FILE ||
	    st.st_mtime > time(NULL) - WFILE_TMP_STALE)
		return 0;
	ns = realloc(l->stale, (l->nstale + 1) * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	l->stale = ns;
	l->stale[l->nstale] = strdup(e->name);
	if (!l->stale[l->nstale])
		return -ENOMEM;
	l->nstale++;
	return 0;
}

static int collect(void *arg, struct ftp_entry *e)
{
	struct listing *l = arg;
	struct cache_dirent *d;
	char *raw = NULL;
	int r = 0;

	if (wfile_tmp_name(e->name)) {
		r = note_tmp(l, e);
		goto drop;
	}
	if (e->type == FTP_TYPE_FILE && e->mtime.valid &&
	    !e->mtime.has_time && l->nday < DAY_ONLY_MAX) {
		raw = strdup(e->name); /* the server's spelling, for MDTM */
		if (!raw) {
			r = -ENOMEM;
			goto drop;
		}
	}
	if (local_name(&e->name) < 0 || local_name(&e->link_target) < 0 ||
	    !listparse_name_ok(e->name, strlen(e->name))) {
		log_dbg("dropping a name not valid in the local charset");
		goto drop;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;

		d = realloc(l->ents, cap * sizeof(*d));
		if (!d) {
			r = -ENOMEM;
			goto drop;
		}
		l->ents = d;
		l->cap = cap;
	}
	if (raw) {
		r = note_day_only(l, raw);
		if (r < 0)
			goto drop;
		raw = NULL;
	}
	d = &l->ents[l->n++];
	entry_to_stat(e, &d->st);
	d->name = e->name;
	d->link = e->link_target;
	e->name = NULL;
	e->link_target = NULL;
drop:
	free(raw);
	ftp_entry_free(e);
	return r;
}

/* Drop the notes for do_list's follow-ups (day-only times, stale
 * temporaries). */
static void listing_drop_day(struct listing *l)
{
	size_t i;

	for (i = 0; i < l->nday; i++)
		free(l->day_name[i]);
	free(l->day_name);
	free(l->day_idx);
	l->day_name = NULL;
	l->day_idx = NULL;
	l->nday = 0;
	for (i = 0; i < l->nstale; i++)
		free(l->stale[i]);
	free(l->stale);
	l->stale = NULL;
	l->nstale = 0;
}

static void listing_free(struct listing *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->ents[i].name);
		free(l->ents[i].link);
	}
	free(l->ents);
	listing_drop_day(l);
	memset(l, 0, sizeof(*l));
}

/* LIST gives files older than about six months a date without a time
 * ("Jun 15  2001"): ask MDTM (UTC, to the second) for them, in batches
 * on the listing's session, at most DAY_ONLY_MAX per listing. Where the
 * server has no MDTM, the day is what is known (midnight, server time). */
static int refine_day_only(struct ftp_session *s, const char *dir,
			   struct listing *l)
{
	const char **paths;
	time_t *t;
	bool *ok;
	size_t i, dl = strlen(dir);
	int r = -ENOMEM;

	if (!l->nday)
		return 0;
	paths = calloc(l->nday, sizeof(*paths));
	t = calloc(l->nday, sizeof(*t));
	ok = calloc(l->nday, sizeof(*ok));
	if (!paths || !t || !ok)
		goto out;
	for (i = 0; i < l->nday; i++) {
		char *p;

		if (asprintf(&p, "%s/%s", dl > 1 ? dir : "", l->day_name[i]) < 0)
			goto out;
		paths[i] = p;
	}
	r = session_mdtm_batch(s, paths, l->nday, t, ok);
	for (i = 0; r == 0 && i < l->nday; i++) {
		struct stat *st = &l->ents[l->day_idx[i]].st;

		if (ok[i])
			st->st_mtime = st->st_ctime = st->st_atime = t[i];
	}
out:
	for (i = 0; paths && i < l->nday; i++)
		free((char *)paths[i]);
	free(paths);
	free(t);
	free(ok);
	return r;
}

/* Delete the stale temporaries a listing of dir found (best effort: a
 * refusal is logged; another mount's running upload keeps its fresh). */
static void drop_stale(struct ftp_session *s, const char *dir,
		       const struct listing *l)
{
	size_t i, dl = strlen(dir);
	char *p;

	for (i = 0; i < l->nstale && !session_broken(s); i++) {
		if (asprintf(&p, "%s/%s", dl > 1 ? dir : "", l->stale[i]) < 0)
			return;
		if (!wfile_tmp_in_use(ctx()->wfiles, p)) {
			if (session_delete(s, p) == 0)
				log_info("%s: removed a stale upload temporary",
					 p);
			else
				log_warn("%s: stale upload temporary not "
					 "removed: %s", p, session_last_error(s));
		}
		free(p);
	}
}

struct list_req {
	const char *path;
	size_t max;
	bool long_list; /* LIST even where MLSD is offered */
	struct listing l;
};

static int do_list(struct ftp_session *s, void *arg)
{
	struct list_req *q = arg;
	int r;

	listing_free(&q->l); /* a retry starts over */
	if (q->long_list)
		r = session_list_long(s, q->path, q->max, collect, &q->l);
	else
		r = session_list(s, q->path, q->max, collect, &q->l);
	if (r == 0)
		r = refine_day_only(s, q->path, &q->l);
	if (r == 0)
		drop_stale(s, q->path, &q->l);
	listing_drop_day(&q->l);
	return r;
}

/* List the directory at FUSE path into *l (server order); long_list:
 * with LIST. */
static int list_dir_as(const char *path, bool long_list, struct listing *l)
{
	struct list_req q = { .max = ctx()->max_entries, .long_list = long_list };
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
		/* a directory that may not be read (MLSD/LIST/CWD: 550) */
		return strcmp(path, "/") ? refusal(path, r, -EACCES) : r;
	}
	*l = q.l;
	return 0;
}

static int list_dir(const char *path, struct listing *l)
{
	return list_dir_as(path, false, l);
}

/* The server path of path's parent directory ("/" at the top). */
static int parent_srv(const char *path, char **out)
{
	char *parent = parent_path(path);
	int r;

	if (!parent)
		return -ENOMEM;
	r = srv_path(parent, out); /* never "": the root is "/" or the URL's */
	free(parent);
	return r;
}

static bool exists(const char *path, struct stat *st)
{
	struct stat tmp;

	forget(path);
	return lookup(path, st ? st : &tmp) == 0;
}

/* The one rule for an ambiguous refusal. FTP's 550 means both "no such
 * file" and "not allowed" (RFC 959: "Requested action not taken. File
 * unavailable (e.g., file not found, no access)"), and session_code_errno
 * reads it as -ENOENT. When the name is there after all (looked up
 * afresh), the server refused: `denied` (EACCES, or EPERM for attributes)
 * is the answer. */
static int refusal(const char *path, int r, int denied)
{
	if (r == -ENOENT && path && exists(path, NULL))
		return denied;
	return r;
}

/* List path, hand the entries to the cache, and return them via fn.
 * *first (if not NULL): the listing was taken now or used for the first
 * time (prefetched). */
static int fill_dir_first(const char *path,
			  int (*fn)(void *arg, const char *name,
				    const struct stat *st),
			  void *arg, bool *first)
{
	struct listing l = { 0 };
	unsigned long gen = cache_gen(ctx()->cache);
	bool dummy;
	size_t i;
	int r;

	first = first ? first : &dummy;
	*first = true;
	r = cache_get_dir(ctx()->cache, path, fn, arg);
	if (r) {
		*first = r == 2;
		return 0;
	}
	/* being prefetched: its listing is on the way */
	if (ctx()->prefetch && prefetch_claim(ctx()->prefetch, path) &&
	    cache_get_dir(ctx()->cache, path, fn, arg))
		return 0;
	r = list_dir(path, &l);
	if (r < 0)
		return r;
	for (i = 0; i < l.n; i++)
		if (fn(arg, l.ents[i].name, &l.ents[i].st))
			break;
	cache_put_dir(ctx()->cache, path, l.ents, l.n, gen);
	return 0;
}

static int fill_dir(const char *path,
		    int (*fn)(void *arg, const char *name,
			      const struct stat *st),
		    void *arg)
{
	return fill_dir_first(path, fn, arg, NULL);
}

int fs_prefetch_list(void *arg, struct ftp_session *s, const char *path)
{
	struct fs_ctx *c = arg;
	struct list_req q = { .max = c->max_entries };
	unsigned long gen;
	char *sp;
	int r;

	bg_ctx = c;
	if (cache_has_dir(c->cache, path))
		return 0;
	gen = cache_gen(c->cache);
	r = srv_path(path, &sp);
	if (r < 0)
		return r;
	q.path = sp[0] ? sp : "/";
	r = do_list(s, &q);
	free(sp);
	if (r < 0) {
		listing_free(&q.l);
		return r;
	}
	cache_put_dir_unused(c->cache, path, q.l.ents, q.l.n, gen,
			     c->prefetch_unused);
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

/* Misses in one directory, one after another (a program opening many
 * files by name, without listing first): after MISS_RUN of them, listing
 * the directory once answers the rest, where MLST costs a round trip
 * each. A few lookups (a stat here and there) stay MLSTs, which is
 * cheaper than listing a large directory. */
#define MISS_RUN 3
static pthread_mutex_t miss_lock = PTHREAD_MUTEX_INITIALIZER;

/* path's parent has a listing that answers for the names it lacks: a
 * miss there is a name changed through the mount, which a new listing
 * would not answer better than MLST (in a directory of 10,000 names,
 * far worse). */
static bool parent_held(const char *path)
{
	char *parent = parent_path(path);
	bool held = parent && cache_listed(ctx()->cache, parent);

	free(parent);
	return held;
}
static char miss_dir[1024];
static unsigned miss_run;

static bool list_instead(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	bool again;

	if (!slash || ctx()->cache_timeout <= 0 || n >= sizeof(miss_dir))
		return false;
	if (parent_held(path))
		return false;
	pthread_mutex_lock(&miss_lock);
	if (strlen(miss_dir) == n && !memcmp(miss_dir, path, n)) {
		again = ++miss_run >= MISS_RUN;
	} else {
		memcpy(miss_dir, path, n);
		miss_dir[n] = '\0';
		miss_run = 0;
		again = false;
	}
	pthread_mutex_unlock(&miss_lock);
	return again;
}

/* An MLST that failed (not "no such file") starts the count again. */
static void miss_failed(void)
{
	pthread_mutex_lock(&miss_lock);
	miss_run = 0;
	pthread_mutex_unlock(&miss_lock);
}

struct path_list_req {
	const char *path;
	char *dir; /* path's directory, for MDTM of a day-only time */
	struct listing l;
};

/* A file's own LIST line is all a lookup needs; a directory listed by
 * mistake stops after a few entries. */
#define PATH_LIST_MAX 8

static int do_list_path(struct ftp_session *s, void *arg)
{
	struct path_list_req *q = arg;

	int r;

	listing_free(&q->l); /* a retry starts over */
	r = session_list_path(s, q->path, PATH_LIST_MAX, collect, &q->l);
	if (r == 0)
		r = refine_day_only(s, q->dir, &q->l);
	listing_drop_day(&q->l);
	return r;
}

/* Without MLST, a name changed through the mount (created, renamed,
 * written) is looked up by its own LIST line, so that making N files in
 * a large directory does not list it N times. Only for what was not a
 * directory (LIST of a directory gives its contents) and for server paths
 * that LIST cannot mistake for options or patterns; else, or when the
 * answer is not the one file, -EAGAIN: list the parent. */
static int lookup_changed(const char *path, struct stat *st,
			  unsigned long gen)
{
	struct path_list_req q = { 0 };
	const char *name = strrchr(path, '/') + 1;
	char *sp = NULL;
	mode_t was;
	int r;

	if (!cache_is_changed(ctx()->cache, path, &was) || S_ISDIR(was))
		return -EAGAIN;
	r = srv_path(path, &sp);
	if (r < 0)
		return r;
	r = -EAGAIN;
	if (strpbrk(sp, "*?[]{}~\\") || name[0] == '-' || sp[0] != '/' ||
	    parent_srv(path, &q.dir) < 0)
		goto out;
	q.path = sp;
	if (pool_run(ctx()->pool, do_list_path, &q) < 0 || q.l.n != 1 ||
	    strcmp(q.l.ents[0].name, name) || S_ISDIR(q.l.ents[0].st.st_mode))
		goto out;
	*st = q.l.ents[0].st;
	cache_put_attr(ctx()->cache, path, st, q.l.ents[0].link, gen);
	r = 0;
out:
	listing_free(&q.l);
	free(q.dir);
	free(sp);
	return r;
}

static int lookup(const char *path, struct stat *st)
{
	struct fs_ctx *c = ctx();
	struct mlst_req q;
	struct find f = { 0 };
	char *sp, *parent;
	unsigned long gen = cache_gen(c->cache);
	int r;

	if (strpbrk(path, "\r\n"))
		return -EINVAL; /* could never be sent (nor listed) */
	r = name_check(path);
	if (r < 0)
		return r;
	r = cache_get_attr(c->cache, path, st);
	if (r < 0 && pool_down(c->pool))
		return -EIO; /* "missing" is old news the server cannot confirm */
	if (r != 0)
		return r < 0 ? r : 0;
	if (!strcmp(path, "/") && !(pool_caps(c->pool) & SESS_CAP_MLST)) {
		/* no MLST and no parent to list: the root was checked to
		 * be a directory at mount time */
		root_stat(st);
		return 0;
	}
	if ((pool_caps(c->pool) & SESS_CAP_MLST) &&
	    (!strcmp(path, "/") || !list_instead(path))) {
		r = srv_path(path, &sp);
		if (r < 0)
			return r;
		memset(&q, 0, sizeof(q));
		q.path = sp;
		/* the root's attributes are known without the server: they
		 * never wait for it (with -o hard, fusermount -u stats the
		 * mount point, and would hang for as long as it is down) */
		r = strcmp(path, "/") ? pool_run(c->pool, do_mlst, &q)
				      : pool_run_timed(c->pool, do_mlst, &q,
						       ROOT_WAIT_MS);
		free(sp);
		if (r == 0) {
			entry_to_stat(&q.e, st);
			local_name(&q.e.link_target);
			cache_put_attr(c->cache, path, st, q.e.link_target, gen);
			ftp_entry_free(&q.e);
			return 0;
		}
		if (!strcmp(path, "/") && r < 0) {
			root_stat(st);
			return 0;
		}
		if (r == -ENOENT)
			cache_put_missing(c->cache, path, gen);
		else
			miss_failed();
		if (r != -EOPNOTSUPP && r != -EINVAL)
			return r;
	}
	if (!(pool_caps(c->pool) & SESS_CAP_MLST) &&
	    lookup_changed(path, st, gen) == 0)
		return 0;
	/* list the parent, find the name there */
	parent = parent_path(path);
	if (!parent)
		return -ENOMEM;
	f.name = strrchr(path, '/') + 1;
	r = fill_dir(parent, find_fn, &f);
	free(parent);
	if (r < 0)
		return r == -ENOENT || r == -ENOTDIR ? -ENOENT : r;
	if (!f.found) {
		cache_put_missing(c->cache, path, gen);
		return -ENOENT;
	}
	*st = f.st;
	return 0;
}

/* An open file: a read stream, or a node being written (by this handle,
 * or by another one whose data this handle must see). */
struct handle {
	struct file_stream *rs;
	struct wnode *w;
	bool writer;
	bool append;         /* O_APPEND: every write at the node's end */
	char *path;          /* FUSE path, follows renames; open_lock */
	struct handle *next; /* open_list; open_lock */
};

/* Every open handle, so that a rename through the mount moves its name:
 * reads go on from the new server name. libfuse relies on that when a
 * file still open is unlinked or renamed over: it renames the file to a
 * hidden .fuse_hidden* name (hard_remove is off) and unlinks that at the
 * last close, so the handle keeps reading and writing it, as on a local
 * disk. Those names are listed like any other (as NFS's .nfs* files): one
 * left behind by a crash can be seen and removed. */
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static struct handle *open_list;

static int handle_add(struct handle *h, const char *path)
{
	h->path = strdup(path);
	if (!h->path)
		return -ENOMEM;
	pthread_mutex_lock(&open_lock);
	h->next = open_list;
	open_list = h;
	pthread_mutex_unlock(&open_lock);
	return 0;
}

static void handle_remove(struct handle *h)
{
	struct handle **pp;

	pthread_mutex_lock(&open_lock);
	for (pp = &open_list; *pp; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	pthread_mutex_unlock(&open_lock);
	free(h->path);
	h->path = NULL;
}

/* from, or a name below it, becomes to...; read streams follow. */
static void handles_renamed(const char *from, const char *to)
{
	size_t fl = strlen(from);
	struct handle *h;

	pthread_mutex_lock(&open_lock);
	for (h = open_list; h; h = h->next) {
		char *np, *sp;

		if (strncmp(h->path, from, fl) ||
		    (h->path[fl] && h->path[fl] != '/'))
			continue;
		if (h->path[fl])
			ino_pin(ctx()->inos, h->path); /* moves with its dir */
		if (asprintf(&np, "%s%s", to, h->path + fl) < 0)
			continue;
		free(h->path);
		h->path = np;
		if (h->rs && srv_path(np, &sp) == 0) {
			file_stream_set_path(h->rs, sp);
			free(sp);
		}
	}
	pthread_mutex_unlock(&open_lock);
}

/* A stat found path size bytes long: its read streams read on to that
 * end (the kernel's fstat comes without the handle). */
static void handles_seen_size(const char *path, int64_t size)
{
	struct handle *h;

	pthread_mutex_lock(&open_lock);
	for (h = open_list; h; h = h->next)
		if (h->rs && !strcmp(h->path, path))
			file_stream_seen_size(h->rs, size);
	pthread_mutex_unlock(&open_lock);
}

/* libfuse gives a NULL path to an open file whose name it lost (an
 * unlinked file when hiding it failed): the handle's name, copied into
 * *own (free it), or NULL. */
static const char *op_path(const char *path, struct fuse_file_info *fi,
			   char **own)
{
	struct handle *h;

	*own = NULL;
	if (path)
		return path;
	if (!fi)
		return NULL;
	h = (struct handle *)(uintptr_t)fi->fh;
	pthread_mutex_lock(&open_lock);
	if (h->path)
		*own = strdup(h->path);
	pthread_mutex_unlock(&open_lock);
	return *own;
}

/* lookup(), but a file being written through this mount (a new one is
 * not on the server before its commit) is as its node says. */
static int stat_path(const char *path, struct stat *st)
{
	int64_t size;
	time_t mtime;
	mode_t mode;
	int r;

	if (wfile_stat(ctx()->wfiles, path, &size, &mtime, &mode)) {
		/* being written: our size is the truth until committed */
		r = lookup(path, st);
		if (r < 0 || !S_ISREG(st->st_mode)) {
			memset(st, 0, sizeof(*st));
			st->st_mode = S_IFREG | 0644;
			st->st_nlink = 1;
			st->st_uid = ctx()->uid;
			st->st_gid = ctx()->gid;
			st->st_blksize = 4096;
		}
		st->st_size = size;
		st->st_blocks = (size + 511) / 512;
		st->st_mtime = st->st_ctime = mtime;
		if (mode)
			st->st_mode = S_IFREG | mode; /* set, not yet applied */
		st->st_ino = ino_of(ctx()->inos, path);
		return 0;
	}
	r = lookup(path, st);
	if (r == -ENOENT && wfile_has_node(ctx()->wfiles, path)) {
		/* written through this mount and committed (perhaps by a
		 * read, not a close): a listing cached before that does not
		 * have it yet; ask the server */
		forget(path);
		r = lookup(path, st);
	}
	if (r == 0 && S_ISREG(st->st_mode))
		handles_seen_size(path, st->st_size);
	if (r == 0)
		st->st_ino = ino_of(ctx()->inos, path);
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
	r = stat_path(path, st);
	free(own);
	return r;
}

/* ---- directories --------------------------------------------------- */

/* A listing taken at opendir: readdir hands it out with offsets, so that
 * libfuse's readdirplus gives the kernel each entry with its attributes
 * (no LOOKUP per entry afterwards). */
struct dirsnap {
	struct cache_dirent *ents;
	size_t n, cap;
	char *path;  /* the directory's FUSE path */
	bool served; /* readdir handed entries out: offset 0 is a rewind */
	unsigned long gen;    /* the cache's before the listing was taken */
	unsigned long writes; /* writes_seen then */
};

/* Writes through the mount, counted before each is answered (so before
 * the kernel takes the new size): see ftpfs_readdir. A file being
 * written meanwhile has its node's size in getattr and in listings
 * (overlay_fn); its commit moves the cache's generation. */
static atomic_ulong writes_seen;

static int snap_fn(void *arg, const char *name, const struct stat *st)
{
	struct dirsnap *d = arg;
	struct cache_dirent *e;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;

		e = realloc(d->ents, cap * sizeof(*e));
		if (!e)
			return 1;
		d->ents = e;
		d->cap = cap;
	}
	e = &d->ents[d->n];
	e->name = strdup(name);
	if (!e->name)
		return 1;
	e->st = *st;
	e->link = NULL;
	d->n++;
	return 0;
}

/* Files being written: the server may not list them yet, or list the
 * size before the data still to commit. */
static void overlay_fn(void *arg, const char *name, int64_t size,
		       time_t mtime, bool pending)
{
	struct dirsnap *d = arg;
	struct stat st;
	size_t i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->ents[i].name, name)) {
			if (pending && S_ISREG(d->ents[i].st.st_mode)) {
				d->ents[i].st.st_size = size;
				d->ents[i].st.st_blocks = (size + 511) / 512;
				d->ents[i].st.st_mtime = mtime;
			}
			return;
		}
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | 0644;
	st.st_nlink = 1;
	st.st_size = size;
	st.st_mtime = st.st_ctime = st.st_atime = mtime;
	st.st_uid = ctx()->uid;
	st.st_gid = ctx()->gid;
	snap_fn(d, name, &st);
}

static void snap_clear(struct dirsnap *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->ents[i].name);
	free(d->ents);
	d->ents = NULL;
	d->n = d->cap = 0;
}

static void snap_free(struct dirsnap *d)
{
	snap_clear(d);
	free(d->path);
	free(d);
}

/* The listing of path (cached or listed now), and the files being
 * written there that the server does not list yet. */
static int snap_fill(const char *path, struct dirsnap *d, bool *first)
{
	int r = fill_dir_first(path, snap_fn, d, first);

	if (r == 0)
		wfile_list(ctx()->wfiles, path, overlay_fn, d);
	return r;
}

/* Queue the subdirectories of path (listed in d) that are not cached, in
 * listing order, in front of older jobs (see prefetch_add). */
static void prefetch_subdirs(const char *path, const struct dirsnap *d)
{
	struct fs_ctx *c = ctx();
	size_t i, pl = strlen(path), n = 0, queued = 0;
	size_t pick[PREFETCH_PER_DIR];
	char child[PATH_MAX];

	for (i = 0; i < d->n && n < PREFETCH_PER_DIR; i++) {
		if (!S_ISDIR(d->ents[i].st.st_mode))
			continue;
		if (snprintf(child, sizeof(child), "%s/%s", pl > 1 ? path : "",
			     d->ents[i].name) >= (int)sizeof(child) ||
		    cache_has_dir(c->cache, child))
			continue;
		pick[n++] = i;
	}
	while (n-- > 0) {
		snprintf(child, sizeof(child), "%s/%s", pl > 1 ? path : "",
			 d->ents[pick[n]].name);
		if (prefetch_add(c->prefetch, child, true) == 0)
			queued++;
	}
	if (queued)
		log_dbg("%s: prefetching %zu subdirectories", path, queued);
}

static int ftpfs_opendir(const char *path, struct fuse_file_info *fi)
{
	struct dirsnap *d;
	struct stat st;
	bool first;
	int r;

	r = lookup(path, &st);
	if (r < 0)
		return r;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->path = strdup(path);
	d->gen = cache_gen(ctx()->cache);
	d->writes = atomic_load(&writes_seen);
	r = d->path ? snap_fill(path, d, &first) : -ENOMEM;
	if (r < 0) {
		snap_free(d);
		return r;
	}
	if (first && ctx()->prefetch)
		prefetch_subdirs(path, d);
	fi->fh = (uint64_t)(uintptr_t)d;
	return 0;
}

/* rewinddir (readdir from offset 0 again): the listing as it is now, so
 * that names made or removed since opendir are seen. On failure the old
 * snapshot stays. */
static void snap_refresh(struct dirsnap *d)
{
	struct dirsnap now = { 0 };

	if (snap_fill(d->path, &now, NULL) < 0) {
		snap_clear(&now);
		return;
	}
	snap_clear(d);
	d->ents = now.ents;
	d->n = now.n;
	d->cap = now.cap;
}

/* The inode number of dir's entry name ("." and ".." too). */
static uint64_t entry_ino(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char buf[1024], *p = buf, *parent;
	uint64_t ino;

	if (!strcmp(name, "."))
		return ino_of(ctx()->inos, dir);
	if (!strcmp(name, "..")) {
		parent = parent_path(dir);
		ino = parent ? ino_of(ctx()->inos, parent) : 1;
		free(parent);
		return ino;
	}
	if (dl + nl + 2 > sizeof(buf) && !(p = malloc(dl + nl + 2)))
		return 0;
	if (dl == 1)
		dl = 0; /* the root: "/name" */
	memcpy(p, dir, dl);
	p[dl] = '/';
	memcpy(p + dl + 1, name, nl + 1);
	ino = ino_of(ctx()->inos, p);
	if (p != buf)
		free(p);
	return ino;
}

static int ftpfs_readdir(const char *path, void *buf, fuse_fill_dir_t filler,
			 off_t off, struct fuse_file_info *fi,
			 enum fuse_readdir_flags flags)
{
	struct dirsnap *d = (struct dirsnap *)(uintptr_t)fi->fh;
	struct stat st;
	/* A change through the mount since the listing (another process
	 * appended to a file in it): its sizes may be older than what the
	 * kernel knows, and readdirplus would make the kernel take them.
	 * Names (and inode numbers) only then; the kernel looks the entries
	 * up. */
	bool plus = cache_gen(ctx()->cache) == d->gen &&
		    atomic_load(&writes_seen) == d->writes;
	size_t i;

	(void)path;
	(void)flags;
	if (off == 0 && d->served)
		snap_refresh(d);
	d->served = true;
	for (i = (size_t)off; i < d->n + 2; i++) {
		const char *name = i == 0 ? "." : i == 1 ? ".." : d->ents[i - 2].name;

		if (i < 2) {
			memset(&st, 0, sizeof(st));
			st.st_mode = S_IFDIR;
		} else {
			st = d->ents[i - 2].st;
		}
		st.st_ino = entry_ino(d->path, name);
		if (filler(buf, name, &st, (off_t)i + 1,
			   i >= 2 && plus ? FUSE_FILL_DIR_PLUS : 0))
			break;
	}
	return 0;
}

static int ftpfs_releasedir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	snap_free((struct dirsnap *)(uintptr_t)fi->fh);
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

static void forget(const char *path)
{
	cache_invalidate(ctx()->cache, path);
	sum_cache_drop(ctx()->sums, path);
}

/* After an operation through the mount: what the cache may keep. A
 * change or creation keeps the parent's listing for "no such name"
 * answers (cache_changed), so making many files costs no listing each;
 * a failure forgets, since the server's state is not known. */
static void changed(const char *path, int r)
{
	if (r == 0)
		cache_changed(ctx()->cache, path);
	else
		forget(path);
	sum_cache_drop(ctx()->sums, path);
}

static void removed(const char *path, int r)
{
	if (r == 0)
		cache_removed(ctx()->cache, path);
	else
		forget(path);
	sum_cache_drop(ctx()->sums, path);
}

/* A name in path's directory was made, removed or replaced on the server
 * (an upload's rename too): the directory's time changed there. Its
 * attributes are asked afresh at its next stat (MLST, or its parent's
 * listing), so the mount shows the server's time; its own listing is
 * kept, so this costs nothing per file. */
static void dir_changed(const char *path, int r)
{
	char *parent;

	if (r < 0 || !path)
		return;
	parent = parent_path(path);
	if (parent && strcmp(parent, path))
		cache_changed_dir(ctx()->cache, parent);
	free(parent);
}

/* Servers give new files 0644 and new directories 0755 (umask 022)
 * almost everywhere: a mode asked for that differs is set with SITE CHMOD
 * (a file's on its temporary: see wfile_open's keep_mode). */
#define SERVER_FILE_MODE 0644
#define SERVER_DIR_MODE 0755

/* created: a new file, with mode (the kernel applied the umask) */
static int open_write(const char *path, struct fuse_file_info *fi,
		      bool created, mode_t mode, const struct stat *st,
		      struct handle *h)
{
	int acc = fi->flags & O_ACCMODE;
	enum wfile_how how;
	char *sp;
	int r;

	if (created)
		/* O_RDWR|O_APPEND (fopen "a+"): a new file is empty, so it
		 * is written from 0 in a spool like any new O_RDWR file;
		 * write-only, APPE creates it */
		how = fi->flags & O_APPEND && acc != O_RDWR ? WF_APPEND : WF_NEW;
	else if (fi->flags & O_TRUNC)
		how = WF_TRUNC;
	else if (fi->flags & O_APPEND)
		how = WF_APPEND;
	else
		how = WF_UPDATE;
	r = srv_path(path, &sp);
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
		changed(path, 0);
	return session_user_errno(r);
}

static int ftpfs_open(const char *path, struct fuse_file_info *fi)
{
	struct handle *h;
	struct stat st;
	char *sp;
	int r;

	r = stat_path(path, &st); /* a second open of a new file: its node */
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
	} else if ((h->w = wfile_find(ctx()->wfiles, path)) &&
		   wfile_pending(h->w)) {
		/* being written through this mount: read what was written,
		 * not the server's old copy */
		r = 0;
	} else {
		if (h->w)
			wfile_release(h->w);
		h->w = NULL;
		r = srv_path(path, &sp);
		if (r == 0) {
			h->rs = file_stream_new(ctx()->pool, sp);
			free(sp);
			if (!h->rs)
				r = -ENOMEM;
			else
				file_stream_parallel(h->rs,
						     ctx()->parallel_read,
						     st.st_size);
		}
	}
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

static int ftpfs_create(const char *path, mode_t mode,
			struct fuse_file_info *fi)
{
	struct handle *h = calloc(1, sizeof(*h));
	int r;

	if (!h)
		return -ENOMEM;
	r = open_write(path, fi, true, mode, NULL, h);
	if (r == 0) {
		r = handle_add(h, path);
		if (r < 0)
			wfile_release(h->w);
	}
	if (r < 0) {
		free(h);
		return r;
	}
	h->writer = true;
	fi->fh = (uint64_t)(uintptr_t)h;
	return 0;
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
	if (n < 0)
		n = session_user_errno((int)n);
	if (n < 0 && n != -EIO)
		log_dbg("%s: read: %s", path ? path : "?", strerror((int)-n));
	if (n == -ENOENT && path)
		n = refusal(path, (int)n, -EACCES); /* RETR: 550 */
	return (int)n;
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
	/* before the kernel learns the new size: a listing taken earlier
	 * must not give it the old one back through readdirplus */
	atomic_fetch_add(&writes_seen, 1);
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
	if (path)
		changed(path, r);
	if (pending)
		dir_changed(path, r);
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
		if (path)
			changed(path, r);
		if (pending)
			dir_changed(path, r);
	}
	free(own);
	free(h);
	return r;
}

/* truncate(2) of a file this call does not hold open for writing */
static int truncate_path(const char *path, off_t size)
{
	struct wnode *w;
	struct stat st;
	char *sp;
	int r;

	w = wfile_find(ctx()->wfiles, path);
	if (!w) {
		/* not open for writing: open, truncate, commit */
		r = lookup(path, &st);
		if (r < 0)
			return r;
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		r = may_write(&st);
		if (r == 0)
			r = srv_path(path, &sp);
		if (r < 0)
			return r;
		r = wfile_open(ctx()->wfiles, path, sp,
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
	changed(path, r);
	dir_changed(path, r);
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

struct path_req {
	const char *a, *b;
	const char *fa, *fb; /* rename: the FUSE paths */
	const char *target; /* symlink: as given, not a server path */
	unsigned mode;
	time_t t;
	int (*fn)(struct path_req *q, struct ftp_session *s);
};

static int run_path(struct ftp_session *s, void *arg)
{
	struct path_req *q = arg;

	return q->fn(q, s);
}

static int op_delete(struct path_req *q, struct ftp_session *s)
{
	return session_delete(s, q->a);
}

static int op_mkdir(struct path_req *q, struct ftp_session *s)
{
	return session_mkdir(s, q->a);
}

static int op_rmdir(struct path_req *q, struct ftp_session *s)
{
	return session_rmdir(s, q->a);
}

static int op_rename(struct path_req *q, struct ftp_session *s)
{
	int r;

	/* files being written at or below a follow it, their uploads'
	 * temporaries too; an upload whose command on a name failed as
	 * it moved waits for this and tries the new names (wfile.c) */
	wfile_rename_begin(ctx()->wfiles);
	r = session_rename(s, q->a, q->b);
	wfile_rename_end(ctx()->wfiles, r == 0, q->fa, q->fb, q->a, q->b);
	return r;
}

static int op_symlink(struct path_req *q, struct ftp_session *s)
{
	return session_symlink(s, q->target, q->a);
}

static int op_chmod(struct path_req *q, struct ftp_session *s)
{
	return session_chmod(s, q->a, q->mode);
}

static int op_mtime(struct path_req *q, struct ftp_session *s)
{
	return session_set_mtime(s, q->a, q->t);
}

/* Run fn on the server path of a FUSE path (and b's, when given). Not
 * retried on a broken session: these are not idempotent. */
static int path_op(const char *a, const char *b,
		   int (*fn)(struct path_req *q, struct ftp_session *s),
		   struct path_req *q)
{
	char *sa = NULL, *sb = NULL;
	struct ftp_session *s;
	int r;

	r = srv_path(a, &sa);
	if (r == 0 && b)
		r = srv_path(b, &sb);
	if (r < 0)
		goto out;
	q->a = sa[0] ? sa : "/";
	q->b = sb;
	q->fn = fn;
	r = pool_get(ctx()->pool, POOL_META, &s);
	if (r < 0)
		goto out;
	r = run_path(s, q);
	if (r < 0 && r != -ENAMETOOLONG && session_broken(s))
		r = -EIO; /* a line too long drops the session, too */
	r = session_user_errno(r);
	pool_put(ctx()->pool, s);
out:
	free(sa);
	free(sb);
	return r;
}

static int ftpfs_unlink(const char *path)
{
	struct path_req q = { 0 };
	int r = path_op(path, NULL, op_delete, &q);

	removed(path, r);
	dir_changed(path, r);
	return refusal(path, r, -EACCES);
}

static int ftpfs_mkdir(const char *path, mode_t mode)
{
	struct path_req q = { 0 };
	int r;

	r = path_op(path, NULL, op_mkdir, &q);
	if (r == 0 && (mode & 07777) != SERVER_DIR_MODE) {
		/* best effort: where the server cannot, it shows its mode
		 * (no warning: cp -a, tar and rsync make directories 0700
		 * and chmod them later) */
		q.mode = mode & 07777;
		if (path_op(path, NULL, op_chmod, &q) < 0)
			log_dbg("%s: mode %o not set", path, q.mode);
	}
	if (r == 0) {
		cache_changed_dir(ctx()->cache, path);
		/* just made, so empty: names looked up in it (cp -r, tar x
		 * filling it) are answered "missing" without asking */
		cache_put_dir(ctx()->cache, path, NULL, 0,
			      cache_gen(ctx()->cache));
	} else {
		forget(path);
	}
	dir_changed(path, r);
	if (r < 0 && exists(path, NULL))
		r = -EEXIST;
	else if (r == -ENOENT)
		r = -EACCES; /* the parent exists: the kernel looked it up */
	return r;
}

static int count_fn(void *arg, const char *name, const struct stat *st)
{
	(void)name;
	(void)st;
	(*(size_t *)arg)++;
	return 1;
}

/* FTP has no FIFOs, sockets or device nodes: EPERM, as on a file system
 * that cannot hold them (not ENOSYS, which tools report as a bug). */
static int ftpfs_mknod(const char *path, mode_t mode, dev_t rdev)
{
	(void)rdev;
	log_info("%s: FTP cannot hold a %s", path,
		 S_ISFIFO(mode) ? "FIFO" : S_ISSOCK(mode) ? "socket"
					 : "special file");
	return -EPERM;
}

/* ln -s: SITE SYMLINK where SITE HELP offers it (asked once per
 * session), else EPERM, as on file systems without links. Servers resolve
 * the source against their working directory (ProFTPD), so it is sent as
 * an absolute server path: from the link's directory, or, for a local
 * absolute path into this mount, the server's own path of it; any other
 * absolute target goes as given (in the server's charset). */
static int ftpfs_symlink(const char *target, const char *path)
{
	struct path_req q = { 0 };
	const char *mp = ctx()->mountpoint;
	size_t ml = mp ? strlen(mp) : 0;
	char *conv = NULL, *dir = NULL, *src = NULL;
	int r = 0;

	if (ml && !strncmp(target, mp, ml) &&
	    (target[ml] == '/' || !target[ml])) {
		r = srv_path(target[ml] ? target + ml : "/", &src);
	} else {
		if (ctx()->charset) {
			r = charset_to_server(ctx()->charset, target, &conv);
			if (r < 0)
				return r == -EILSEQ ? -EINVAL : r;
			target = conv;
		}
		if (target[0] != '/') {
			r = parent_srv(path, &dir);
			if (r == 0 && !(src = linkpath_resolve(dir, target)))
				r = -EINVAL; /* ".." above the server's root */
		}
	}
	q.target = src ? src : target;
	if (r == 0)
		r = path_op(path, NULL, op_symlink, &q);
	free(src);
	free(dir);
	free(conv);
	changed(path, r);
	dir_changed(path, r);
	if (r < 0 && r != -EPERM && r != -EINVAL && exists(path, NULL))
		r = -EEXIST;
	return r;
}

static int ftpfs_rmdir(const char *path)
{
	struct path_req q = { 0 };
	size_t n = 0;
	int r;

	r = path_op(path, NULL, op_rmdir, &q);
	removed(path, r);
	dir_changed(path, r);
	if (r < 0 && r != -EIO && exists(path, NULL)) {
		if (fill_dir(path, count_fn, &n) == 0 && n > 0)
			r = -ENOTEMPTY;
		else if (r == -ENOENT)
			r = -EACCES;
	}
	return r;
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
		changed(path, r);
		dir_changed(path, r);
	}
	wfile_release(w);
	return session_user_errno(r);
}

/* RNFR/RNTO; for servers that refuse to rename over a name: remove it
 * first (an empty directory, or a file), then again. */
/* to_exists, *st: what the cache says of to (a listing in a large
 * directory is not taken again per rename); a refused rename looks afresh */
static int rename_on_server(const char *from, const char *to, bool to_exists,
			    struct stat *st, struct path_req *q)
{
	int r = path_op(from, to, op_rename, q);

	if (r < 0 && r != -EIO && !to_exists)
		to_exists = exists(to, st);
	if (r < 0 && r != -EIO && to_exists) {
		if (S_ISDIR(st->st_mode)) {
			size_t n = 0;

			if (fill_dir(to, count_fn, &n) == 0 && n > 0)
				return -ENOTEMPTY;
			r = path_op(to, NULL, op_rmdir, q);
		} else {
			log_warn("%s: replacing by delete + rename", to);
			r = path_op(to, NULL, op_delete, q);
		}
		if (r == 0)
			r = path_op(from, to, op_rename, q);
	}
	return refusal(from, r, -EACCES);
}

static int ftpfs_rename(const char *from, const char *to, unsigned int flags)
{
	struct path_req q = { .fa = from, .fb = to };
	struct stat sf, st;
	bool to_exists;
	int r;

	if (flags & RENAME_EXCHANGE)
		return -EINVAL;
	r = commit_pending(from);
	if (r == 0)
		r = lookup(from, &sf);
	if (r < 0)
		return r;
	/* the cached answer (a listing in a large directory is not taken
	 * again per rename); a refused rename looks afresh below */
	to_exists = lookup(to, &st) == 0;
	if (to_exists && (flags & RENAME_NOREPLACE))
		return -EEXIST;
	r = rename_on_server(from, to, to_exists, &st, &q);
	if (r == 0) {
		handles_renamed(from, to);
		ino_renamed(ctx()->inos, from, to);
	}
	if (S_ISDIR(sf.st_mode) && r == 0) {
		cache_clear(ctx()->cache); /* every name below moved */
		sum_cache_drop(ctx()->sums, NULL);
	} else {
		removed(from, r);
		changed(to, r);
	}
	dir_changed(from, r);
	dir_changed(to, r);
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

static int ftpfs_chmod(const char *fpath, mode_t mode,
		       struct fuse_file_info *fi)
{
	struct path_req q = { .mode = mode & 07777 };
	mode_t bits = mode & 07777;
	struct stat st;
	char *own;
	const char *path = op_path(fpath, fi, &own);
	int r;

	if (!path)
		return -ESTALE;
	/* the mode it has already (cp, sed -i and rsync copy a mode onto
	 * their temporaries): nothing to ask the server, which may not
	 * have SITE CHMOD at all */
	if (ftpfs_getattr(path, &st, fi) == 0 && (st.st_mode & 07777) == bits) {
		struct wnode *w = node_get(path, fi);

		if (w) {
			wfile_mode_shown(w, bits);
			node_put(w, fi);
		}
		r = 0;
		goto out;
	}
	r = defer_attr(path, fi, NULL, &bits);
	if (r != 0) {
		r = r < 0 ? r : 0;
		goto out;
	}
	r = path_op(path, NULL, op_chmod, &q);
	changed(path, r);
	r = refusal(path, r, -EPERM);
	if (r == -EPERM && ctx()->ignore_attr_errors)
		r = 0;
out:
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
	return ctx()->ignore_attr_errors ? 0 : -EPERM;
}

/* A directory's time the server refuses (pyftpdlib's MFMT, vsftpd's MDTM
 * write form, servers that set no times at all): tar, cp -a, unzip and
 * rsync set every directory's time and would fail on each run, for a
 * time nobody compares. It succeeds; stat shows the server's time, never
 * the one asked for. A file's time (what rsync and make compare) stays
 * an error. */
static int dir_time_refused(const char *path)
{
	if (!atomic_exchange(&ctx()->said_dir_times, true))
		log_info("the server does not set the time of %s: directories "
			 "keep the server's times (not an error)", path);
	return 0;
}

static int ftpfs_utimens(const char *fpath, const struct timespec tv[2],
			 struct fuse_file_info *fi)
{
	struct path_req q = { 0 };
	struct stat st;
	bool is_dir;
	char *own;
	const char *path;
	int r;

	if (tv && tv[1].tv_nsec == UTIME_OMIT)
		return 0; /* atime only: FTP keeps none */
	path = op_path(fpath, fi, &own);
	if (!path)
		return -ESTALE;
	r = ftpfs_getattr(path, &st, fi);
	is_dir = r == 0 && S_ISDIR(st.st_mode);
	if (r == 0 && S_ISLNK(st.st_mode)) {
		/* a link's own time (cp -a, tar, rsync -a set it): MFMT of a
		 * link sets its target's (the servers follow it), and no FTP
		 * server keeps one for the link itself */
		r = 0;
		goto out;
	}
	q.t = !tv || tv[1].tv_nsec == UTIME_NOW ? time(NULL) : tv[1].tv_sec;
	r = defer_attr(path, fi, &q.t, NULL);
	if (r != 0) {
		r = r < 0 ? r : 0;
		goto out;
	}
	r = path_op(path, NULL, op_mtime, &q);
	changed(path, r);
	r = refusal(path, r, -EPERM); /* e.g. 550 for MFMT on a directory */
	if (r == -EPERM && is_dir)
		r = dir_time_refused(path);
	else if (r == -EPERM && ctx()->ignore_attr_errors)
		r = 0;
out:
	free(own);
	return r;
}

/* MLSD that names a link without its target (ProFTPD's
 * "type=OS.unix=symlink", Pure-FTPd's bare "OS.unix=slink"): LIST of the
 * parent says "name -> target". The target is cached with the link. */
static int link_from_list(const char *path, const struct stat *st,
			  char **target)
{
	unsigned long gen = cache_gen(ctx()->cache);
	const char *name = strrchr(path, '/') + 1;
	char *parent = parent_path(path);
	struct listing l;
	size_t i;
	int r;

	if (!parent)
		return -ENOMEM;
	r = list_dir_as(parent, true, &l);
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
	cache_put_attr(ctx()->cache, path, st, *target, gen);
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
		char *parent = parent_path(path);

		if (!parent)
			return -ENOMEM;
		cache_invalidate(ctx()->cache, path);
		r = fill_dir(parent, find_fn, &f);
		free(parent);
		if (r < 0)
			return r;
		if (!cache_get_link(ctx()->cache, path, &target)) {
			r = link_from_list(path, &st, &target);
			if (r < 0)
				return r;
		}
	}
	/* an absolute target inside the mounted tree (as ProFTPD stores
	 * what SITE SYMLINK made) is shown relative, so it resolves here */
	if (target[0] == '/') {
		char *dir = NULL, *loc = NULL;

		if (parent_srv(path, &dir) == 0)
			loc = linkpath_to_local(pool_root(ctx()->pool), dir, target);
		free(dir);
		if (loc) {
			free(target);
			target = loc;
		}
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
	sv->f_namemax = FS_NAME_MAX;
	return 0;
}

static void *ftpfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	struct fs_ctx *c = ctx();

	mount_time = time(NULL);
	/* One bound for freshness: our cache keeps what the server said for
	 * cache_timeout; the kernel asks us again after at most a second (a
	 * kernel timeout of cache_timeout on top of ours would let a change
	 * made on the server show only after twice as long). */
	cfg->entry_timeout = c->cache_timeout < 1 ? c->cache_timeout : 1;
	cfg->attr_timeout = cfg->entry_timeout;
	cfg->negative_timeout = cfg->entry_timeout;
	cfg->auto_cache = 1; /* keep page cache while size+mtime unchanged */
	/* an unlinked file still open is renamed to .fuse_hidden* until
	 * its last close (see open_list) */
	cfg->hard_remove = 0;
	/* bigger requests: fewer round trips through the kernel */
	conn->max_write = 1024 * 1024;
	conn->max_readahead = 1024 * 1024;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC; /* O_TRUNC reaches open */
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
	pthread_mutex_lock(&open_lock);
	while ((h = open_list)) {
		open_list = h->next;
		pthread_mutex_unlock(&open_lock);
		file_stream_free(h->rs);
		r = h->w ? wfile_release(h->w) : 0;
		if (r < 0)
			log_err("%s: open at unmount: %s", h->path,
				strerror(-r));
		free(h->path);
		free(h);
		pthread_mutex_lock(&open_lock);
	}
	pthread_mutex_unlock(&open_lock);
	wfile_orphans_sweep(c->wfiles);
}

/* ---- extended attributes: the server's checksums ------------------ */

struct sum_req {
	const char *srv;
	enum digest_algo algo;
	char hex[DIGEST_HEX_MAX];
};

static int do_checksum(struct ftp_session *s, void *arg)
{
	struct sum_req *q = arg;

	return session_checksum(s, q->algo, q->srv, q->hex);
}

/* The server's checksum of a regular file: cached with its size and
 * mtime, else asked. -ENODATA where the server has none for it. */
static int file_checksum(const char *path, enum digest_algo a,
			 char hex[DIGEST_HEX_MAX])
{
	struct fs_ctx *c = ctx();
	struct sum_req q = { .algo = a };
	struct stat st;
	int64_t size;
	time_t mtime;
	mode_t mode;
	char *sp;
	int r;

	/* the server has the old contents until the writer's close */
	if (wfile_stat(c->wfiles, path, &size, &mtime, &mode))
		return -EBUSY;
	r = lookup(path, &st);
	if (r < 0)
		return r;
	if (!S_ISREG(st.st_mode))
		return -ENODATA;
	if (sum_cache_get(c->sums, path, a, st.st_size, st.st_mtime, hex))
		return 0;
	r = srv_path(path, &sp);
	if (r < 0)
		return r;
	q.srv = sp;
	r = pool_run(c->pool, do_checksum, &q);
	free(sp);
	if (r == -EOPNOTSUPP)
		return -ENODATA; /* offered in FEAT, refused for this file */
	if (r < 0)
		return r == -EPROTO ? -EIO : session_user_errno(r);
	sum_cache_put(c->sums, path, a, st.st_size, st.st_mtime, q.hex);
	memcpy(hex, q.hex, DIGEST_HEX_MAX);
	return 0;
}

/* Any other name is answered at once, without the server: file managers
 * ask for security.selinux, system.posix_acl_access... of every file. */
static int ftpfs_getxattr(const char *path, const char *name, char *value,
			  size_t size)
{
	char hex[DIGEST_HEX_MAX];
	int a = xattr_checksum_algo(name), r;
	size_t len;

	if (a < 0 || !ctx()->sums ||
	    !(pool_caps(ctx()->pool) & SESS_CAP_SUM(a)))
		return -ENODATA;
	r = file_checksum(path, (enum digest_algo)a, hex);
	if (r < 0)
		return r;
	len = strlen(hex);
	if (size == 0)
		return (int)len;
	if (size < len)
		return -ERANGE;
	memcpy(value, hex, len);
	return (int)len;
}

static int ftpfs_listxattr(const char *path, char *list, size_t size)
{
	unsigned caps = pool_caps(ctx()->pool), algos = 0;
	struct stat st;
	int a, r;

	for (a = 0; a < DIGEST_N; a++)
		if (caps & SESS_CAP_SUM(a))
			algos |= 1u << a;
	if (!algos || !ctx()->sums)
		return 0;
	r = lookup(path, &st);
	if (r < 0)
		return r;
	return S_ISREG(st.st_mode) ? xattr_list(algos, list, size) : 0;
}

/* The checksums are the server's: nothing can be set or removed. */
static int ftpfs_setxattr(const char *path, const char *name,
			  const char *value, size_t size, int flags)
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

	if (!path) {
		cache_clear(c->cache);
		sum_cache_drop(c->sums, NULL);
		if (c->fuse)
			fuse_invalidate_path(c->fuse, "/");
		return;
	}
	cache_invalidate(c->cache, path);
	sum_cache_drop(c->sums, path);
	if (!c->fuse)
		return;
	fuse_invalidate_path(c->fuse, path); /* -ENOENT: never looked up */
	parent = parent_path(path);
	if (parent)
		fuse_invalidate_path(c->fuse, parent);
	free(parent);
}

const struct fuse_operations *fs_operations(void)
{
	return &ops;
}

struct tz_probe {
	char *name[5]; /* files whose LIST line has a time of day */
	struct ftp_time t[5];
	int n;
};

static int tz_collect(void *arg, struct ftp_entry *e)
{
	struct tz_probe *p = arg;

	if (p->n < 5 && e->type == FTP_TYPE_FILE && e->mtime.valid &&
	    e->mtime.has_time && !e->mtime.utc) {
		p->t[p->n] = e->mtime;
		p->name[p->n++] = e->name;
		e->name = NULL;
	}
	ftp_entry_free(e);
	return 0;
}

int fs_detect_server_tz(struct pool *p, long *offset)
{
	struct tz_probe pr = { 0 };
	struct ftp_session *s;
	const char *root = pool_root(p);
	char path[4200];
	time_t list_t, mdtm_t;
	int i, r;

	r = pool_get(p, POOL_META, &s);
	if (r < 0)
		return r;
	r = session_list(s, root[0] ? root : "/", 100000, tz_collect, &pr);
	for (i = 0; r == 0 && i < pr.n; i++) {
		long d;

		snprintf(path, sizeof(path), "%s/%s", root, pr.name[i]);
		if (session_mdtm(s, path, &mdtm_t) < 0 ||
		    listparse_time_to_epoch(&pr.t[i], 0, mdtm_t, &list_t) < 0)
			continue;
		d = (long)(list_t - mdtm_t);
		/* LIST has minutes: round to the nearest quarter hour */
		d = (d >= 0 ? d + 450 : d - 450) / 900 * 900;
		if (d >= -14 * 3600 && d <= 14 * 3600) {
			*offset = d;
			break;
		}
	}
	if (r == 0 && i == pr.n)
		r = -ENOENT;
	pool_put(p, s);
	for (i = 0; i < pr.n; i++)
		free(pr.name[i]);
	return r;
}

int fs_parse_tz(const char *s, long *offset)
{
	int sign = 1, h = 0, m = 0, digits = 0;

	if (!strcasecmp(s, "UTC") || !strcasecmp(s, "GMT") || !strcmp(s, "Z")) {
		*offset = 0;
		return 0;
	}
	if (!strncasecmp(s, "UTC", 3))
		s += 3;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	else
		return -EINVAL;
	while (*s >= '0' && *s <= '9' && digits < 2) {
		h = h * 10 + (*s++ - '0');
		digits++;
	}
	if (!digits)
		return -EINVAL;
	if (*s == ':')
		s++;
	if (*s) {
		if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' || s[2])
			return -EINVAL;
		m = (s[0] - '0') * 10 + (s[1] - '0');
	}
	if (h > 14 || m > 59)
		return -EINVAL;
	*offset = sign * (h * 3600L + m * 60L);
	return 0;
}
