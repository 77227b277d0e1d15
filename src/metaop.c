/* metaop — the namespace commands: DELE, MKD, RMD, RNFR/RNTO, SITE
 * SYMLINK, SITE CHMOD, MFMT. See meta.h.
 *
 * Each runs one command on a session of its own (POOL_META), judges a
 * refusal with refusal.c's table, looking the name up afresh where the
 * table says so, and tells the caches (meta_done) what changed. No state
 * of its own.
 */
#include "meta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "fs.h"
#include "linkpath.h"
#include "log.h"
#include "pool.h"
#include "refusal.h"
#include "session.h"
#include "wfile.h"

/* Servers give new directories 0755 (umask 022) almost everywhere: a mode
 * asked for that differs is set with SITE CHMOD. */
#define SERVER_DIR_MODE 0755

struct path_req {
	struct fs_ctx *c;
	const char *a, *b;
	const char *fa, *fb; /* rename: the FUSE paths */
	const char *target;  /* symlink: as given, not a server path */
	unsigned mode;
	time_t t;
};

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
	wfile_rename_begin(q->c->wfiles);
	r = session_rename(s, q->a, q->b);
	wfile_rename_end(q->c->wfiles, r == 0, q->fa, q->fb, q->a, q->b);
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

/* Run fn on the server path of FUSE path a (and b's, when given). Not
 * retried on a broken session: these are not idempotent. */
static int path_op(const char *a, const char *b,
		   int (*fn)(struct path_req *q, struct ftp_session *s),
		   struct path_req *q)
{
	struct fs_ctx *c = q->c;
	char *sa = NULL, *sb = NULL;
	struct ftp_session *s;
	int r;

	r = meta_srv_path(c, a, &sa);
	if (r == 0 && b)
		r = meta_srv_path(c, b, &sb);
	if (r < 0)
		goto out;
	q->a = sa[0] ? sa : "/";
	q->b = sb;
	r = pool_get(c->pool, POOL_META, &s);
	if (r < 0)
		goto out;
	r = fn(q, s);
	r = refusal_sent(r, session_broken(s));
	pool_put(c->pool, s);
out:
	free(sa);
	free(sb);
	return r;
}

/* r, op's failure on path, judged by the table: path looked up afresh
 * where it says. */
static int judge(struct fs_ctx *c, enum refusal_op op, const char *path, int r)
{
	return refusal_errno(op, r,
			     meta_found(c, path, refusal_look(op, r), NULL),
			     c->ignore_attr_errors);
}

int meta_unlink(struct fs_ctx *c, const char *path)
{
	struct path_req q = { .c = c };
	int r = path_op(path, NULL, op_delete, &q);

	meta_done(c, path, r, MI_REMOVED | MI_PARENT);
	return judge(c, RF_UNLINK, path, r);
}

int meta_mkdir(struct fs_ctx *c, const char *path, mode_t mode)
{
	struct path_req q = { .c = c };
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
	meta_done(c, path, r, MI_MADE_DIR | MI_PARENT);
	return judge(c, RF_MKDIR, path, r);
}

int meta_rmdir(struct fs_ctx *c, const char *path)
{
	struct path_req q = { .c = c };
	int r = path_op(path, NULL, op_rmdir, &q);

	meta_done(c, path, r, MI_REMOVED | MI_PARENT);
	return judge(c, RF_RMDIR, path, r);
}

/* RNFR/RNTO; for servers that refuse to rename over a name: remove it
 * first (an empty directory, or a file), then again. to_exists, *st:
 * what the cache says of to (a listing in a large directory is not taken
 * again per rename); a refused rename looks afresh. */
static int rename_on_server(struct fs_ctx *c, const char *from, const char *to,
			    bool to_exists, struct stat *st)
{
	struct path_req q = { .c = c, .fa = from, .fb = to };
	enum refusal_found found = RF_EXISTS;
	int r = path_op(from, to, op_rename, &q);

	if (refusal_look(RF_RENAME_OVER, r) != RF_LOOK_NONE) {
		if (!to_exists)
			found = meta_found(c, to, RF_LOOK_NAME, st);
		if (found == RF_EXISTS && S_ISDIR(st->st_mode) &&
		    meta_has_entries(c, to))
			found = RF_NOT_EMPTY;
		if (found == RF_NOT_EMPTY)
			return refusal_errno(RF_RENAME_OVER, r, found, false);
		if (found == RF_EXISTS) {
			if (S_ISDIR(st->st_mode)) {
				r = path_op(to, NULL, op_rmdir, &q);
			} else {
				log_warn("%s: replacing by delete + rename",
					 to);
				r = path_op(to, NULL, op_delete, &q);
			}
			if (r == 0)
				r = path_op(from, to, op_rename, &q);
		}
	}
	return judge(c, RF_RENAME, from, r);
}

int meta_rename(struct fs_ctx *c, const char *from, const struct stat *sf,
		const char *to, bool noreplace)
{
	struct stat st;
	bool to_exists;
	int r;

	/* the cached answer (a listing in a large directory is not taken
	 * again per rename); a refused rename looks afresh */
	to_exists = meta_stat(c, to, &st) == 0;
	if (to_exists && noreplace)
		return -EEXIST;
	r = rename_on_server(c, from, to, to_exists, &st);
	if (S_ISDIR(sf->st_mode) && r == 0) {
		meta_invalidate(c, from,
				MI_SUBTREE); /* every name below moved */
	} else {
		meta_done(c, from, r, MI_REMOVED);
		meta_done(c, to, r, MI_CHANGED);
	}
	meta_done(c, from, r, MI_PARENT);
	meta_done(c, to, r, MI_PARENT);
	return r;
}

/* ln -s: SITE SYMLINK where SITE HELP offers it (asked once per
 * session), else EPERM, as on file systems without links. Servers resolve
 * the source against their working directory (ProFTPD), so it is sent as
 * an absolute server path: from the link's directory, or, for a local
 * absolute path into this mount, the server's own path of it; any other
 * absolute target goes as given (in the server's charset). */
int meta_symlink(struct fs_ctx *c, const char *target, const char *path)
{
	struct path_req q = { .c = c };
	const char *mp = c->mountpoint;
	size_t ml = mp ? strlen(mp) : 0;
	char *conv = NULL, *dir = NULL, *src = NULL;
	int r = 0;

	if (ml && !strncmp(target, mp, ml) &&
	    (target[ml] == '/' || !target[ml])) {
		r = meta_srv_path(c, target[ml] ? target + ml : "/", &src);
	} else {
		if (c->charset) {
			r = charset_to_server(c->charset, target, &conv);
			if (r < 0)
				return r == -EILSEQ ? -EINVAL : r;
			target = conv;
		}
		if (target[0] != '/') {
			r = meta_parent_srv(c, path, &dir);
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
	meta_done(c, path, r, MI_CHANGED | MI_PARENT);
	return judge(c, RF_SYMLINK, path, r);
}

int meta_chmod(struct fs_ctx *c, const char *path, mode_t mode)
{
	struct path_req q = { .c = c, .mode = mode & 07777 };
	int r = path_op(path, NULL, op_chmod, &q);

	meta_done(c, path, r, MI_CHANGED);
	return judge(c, RF_CHMOD, path, r);
}

/* A directory's time the server refuses (pyftpdlib's MFMT, vsftpd's MDTM
 * write form, servers that set no times at all): tar, cp -a, unzip and
 * rsync set every directory's time and would fail on each run, for a
 * time nobody compares. It succeeds (refusal.c); stat shows the server's
 * time, never the one asked for. A file's time (what rsync and make
 * compare) stays an error. */
int meta_set_mtime(struct fs_ctx *c, const char *path, time_t t, bool is_dir)
{
	struct path_req q = { .c = c, .t = t };
	int r = path_op(path, NULL, op_mtime, &q), e;

	meta_done(c, path, r, MI_CHANGED);
	e = judge(c, is_dir ? RF_MTIME_DIR : RF_MTIME, path, r);
	if (r < 0 && e == 0 && is_dir &&
	    !atomic_exchange(&c->said_dir_times, true))
		log_info("the server does not set the time of %s: directories "
			 "keep the server's times (not an error)",
			 path);
	return e;
}
