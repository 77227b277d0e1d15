/* ceiling: the FUSE ceiling for bench/bench.py.
 *
 *     ceiling [--no-splice] SRCDIR MOUNTPOINT [-f] [-o OPTS] ...
 *
 * A read-write mirror of a local directory (the bench's tree, on tmpfs)
 * through the same libfuse as ftpfs, the same high-level API, the same
 * fuse_config / fuse_conn_info settings as ftpfs_init (src/fs.c, with
 * ftpfs's default cache_timeout) and the same multithreaded loop settings
 * as serve() (src/main.c). Its file system work is a syscall on a local
 * fd, so what a workload costs through it is what FUSE itself costs: the
 * most a FUSE file system with these settings can do here.
 *
 * Reads are answered from read_buf with an fd-backed buffer
 * (FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK), so libfuse splices the file into
 * /dev/fuse when the kernel offers FUSE_CAP_SPLICE_WRITE (asked for here
 * unless --no-splice; ftpfs does not ask for it). Writes arrive in
 * write_buf and go to the fd with fuse_buf_copy.
 *
 * Not installed; built by bench/ceiling/meson.build. A benchmark tool,
 * not part of ftpfs. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <unistd.h>

#define FUSE_USE_VERSION 314
#include <fuse.h>
#include <fuse_lowlevel.h>

/* as src/main.c's FTPFS_MAX_THREADS (see serve() there) */
#define CEILING_MAX_THREADS 256

static int root_fd = -1;
static int want_splice = 1;

/* A FUSE path ("/a/b") relative to root_fd ("a/b", "." for "/"). */
static const char *rel(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

static int neg_errno(int r)
{
	return r < 0 ? -errno : 0;
}

static int fd_of(struct fuse_file_info *fi)
{
	return (int)fi->fh;
}

static void *ceiling_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	/* ftpfs_init's values (ftpfs's default cache_timeout is 30 s, so its
	 * kernel timeouts are 1 s) */
	cfg->entry_timeout = 1;
	cfg->attr_timeout = 1;
	cfg->negative_timeout = 1;
	cfg->auto_cache = 1;
	cfg->hard_remove = 0;
	cfg->use_ino = 1;
	conn->max_write = 1024 * 1024;
	conn->max_readahead = 1024 * 1024;
	conn->max_background = 128; /* as ftpfs (src/fs.c) */
	conn->congestion_threshold = 96;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	/* the one addition: let libfuse splice the fd-backed read replies */
	if (want_splice && (conn->capable & FUSE_CAP_SPLICE_WRITE))
		conn->want |= FUSE_CAP_SPLICE_WRITE;
	if (want_splice && (conn->capable & FUSE_CAP_SPLICE_MOVE))
		conn->want |= FUSE_CAP_SPLICE_MOVE;
	/* for the bench's report: what this mount runs with */
	fprintf(stderr,
		"ceiling: splice_write=%d splice_move=%d "
		"splice_read=%d max_write=%u max_readahead=%u\n",
		!!(conn->want & FUSE_CAP_SPLICE_WRITE),
		!!(conn->want & FUSE_CAP_SPLICE_MOVE),
		!!(conn->want & FUSE_CAP_SPLICE_READ), conn->max_write,
		conn->max_readahead);
	return NULL;
}

static int ceiling_getattr(const char *path, struct stat *st,
			   struct fuse_file_info *fi)
{
	if (fi)
		return neg_errno(fstat(fd_of(fi), st));
	return neg_errno(fstatat(root_fd, rel(path), st, AT_SYMLINK_NOFOLLOW));
}

static int ceiling_readlink(const char *path, char *buf, size_t size)
{
	ssize_t n;

	if (size == 0)
		return -EINVAL;
	n = readlinkat(root_fd, rel(path), buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int ceiling_opendir(const char *path, struct fuse_file_info *fi)
{
	int fd = openat(root_fd, rel(path), O_RDONLY | O_DIRECTORY);
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		int e = errno;

		close(fd);
		return -e;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	return 0;
}

/* The whole directory in one call (offset 0 to the filler): libfuse keeps
 * it and hands it to the kernel in pieces. */
static int ceiling_readdir(const char *path, void *buf, fuse_fill_dir_t filler,
			   off_t off, struct fuse_file_info *fi,
			   enum fuse_readdir_flags flags)
{
	DIR *d = (DIR *)(uintptr_t)fi->fh;
	struct dirent *e;

	rewinddir(d);
	errno = 0;
	while ((e = readdir(d))) {
		struct stat st;

		memset(&st, 0, sizeof(st));
		st.st_ino = e->d_ino;
		st.st_mode = (mode_t)DTTOIF(e->d_type);
		if (filler(buf, e->d_name, &st, 0, 0))
			break;
		errno = 0;
	}
	return errno ? -errno : 0;
}

static int ceiling_releasedir(const char *path, struct fuse_file_info *fi)
{
	closedir((DIR *)(uintptr_t)fi->fh);
	return 0;
}

static int ceiling_open(const char *path, struct fuse_file_info *fi)
{
	int fd = openat(root_fd, rel(path), fi->flags & ~O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	return 0;
}

static int ceiling_create(const char *path, mode_t mode,
			  struct fuse_file_info *fi)
{
	int fd = openat(root_fd, rel(path), fi->flags | O_CREAT, mode);

	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	return 0;
}

static int ceiling_read_buf(const char *path, struct fuse_bufvec **bufp,
			    size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fuse_bufvec *bv = malloc(sizeof(*bv));

	if (!bv)
		return -ENOMEM;
	*bv = FUSE_BUFVEC_INIT(size);
	bv->buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	bv->buf[0].fd = fd_of(fi);
	bv->buf[0].pos = off;
	*bufp = bv;
	return 0;
}

static int ceiling_write_buf(const char *path, struct fuse_bufvec *in,
			     off_t off, struct fuse_file_info *fi)
{
	struct fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in));
	ssize_t n;

	out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	out.buf[0].fd = fd_of(fi);
	out.buf[0].pos = off;
	n = fuse_buf_copy(&out, in, 0);
	return (int)n;
}

static int ceiling_flush(const char *path, struct fuse_file_info *fi)
{
	return 0;
}

static int ceiling_fsync(const char *path, int datasync,
			 struct fuse_file_info *fi)
{
	int fd = fd_of(fi);

	return neg_errno(datasync ? fdatasync(fd) : fsync(fd));
}

static int ceiling_release(const char *path, struct fuse_file_info *fi)
{
	close(fd_of(fi));
	return 0;
}

static int ceiling_truncate(const char *path, off_t size,
			    struct fuse_file_info *fi)
{
	int fd, r;

	if (fi)
		return neg_errno(ftruncate(fd_of(fi), size));
	fd = openat(root_fd, rel(path), O_WRONLY);
	if (fd < 0)
		return -errno;
	r = neg_errno(ftruncate(fd, size));
	close(fd);
	return r;
}

static int ceiling_unlink(const char *path)
{
	return neg_errno(unlinkat(root_fd, rel(path), 0));
}

static int ceiling_rmdir(const char *path)
{
	return neg_errno(unlinkat(root_fd, rel(path), AT_REMOVEDIR));
}

static int ceiling_mkdir(const char *path, mode_t mode)
{
	return neg_errno(mkdirat(root_fd, rel(path), mode));
}

static int ceiling_symlink(const char *target, const char *path)
{
	return neg_errno(symlinkat(target, root_fd, rel(path)));
}

static int ceiling_rename(const char *from, const char *to, unsigned int flags)
{
	return neg_errno(
		renameat2(root_fd, rel(from), root_fd, rel(to), flags));
}

static int ceiling_chmod(const char *path, mode_t mode,
			 struct fuse_file_info *fi)
{
	if (fi)
		return neg_errno(fchmod(fd_of(fi), mode));
	return neg_errno(fchmodat(root_fd, rel(path), mode, 0));
}

static int ceiling_chown(const char *path, uid_t uid, gid_t gid,
			 struct fuse_file_info *fi)
{
	if (fi)
		return neg_errno(fchown(fd_of(fi), uid, gid));
	return neg_errno(
		fchownat(root_fd, rel(path), uid, gid, AT_SYMLINK_NOFOLLOW));
}

static int ceiling_utimens(const char *path, const struct timespec tv[2],
			   struct fuse_file_info *fi)
{
	if (fi)
		return neg_errno(futimens(fd_of(fi), tv));
	return neg_errno(
		utimensat(root_fd, rel(path), tv, AT_SYMLINK_NOFOLLOW));
}

static int ceiling_statfs(const char *path, struct statvfs *sv)
{
	return neg_errno(fstatvfs(root_fd, sv));
}

static const struct fuse_operations ceiling_ops = {
	.init = ceiling_init,
	.getattr = ceiling_getattr,
	.readlink = ceiling_readlink,
	.opendir = ceiling_opendir,
	.readdir = ceiling_readdir,
	.releasedir = ceiling_releasedir,
	.open = ceiling_open,
	.create = ceiling_create,
	.read_buf = ceiling_read_buf,
	.write_buf = ceiling_write_buf,
	.flush = ceiling_flush,
	.fsync = ceiling_fsync,
	.release = ceiling_release,
	.truncate = ceiling_truncate,
	.unlink = ceiling_unlink,
	.rmdir = ceiling_rmdir,
	.mkdir = ceiling_mkdir,
	.symlink = ceiling_symlink,
	.rename = ceiling_rename,
	.chmod = ceiling_chmod,
	.chown = ceiling_chown,
	.utimens = ceiling_utimens,
	.statfs = ceiling_statfs,
};

static int usage(const char *me)
{
	fprintf(stderr,
		"usage: %s [--no-splice] SRCDIR MOUNTPOINT "
		"[FUSE options]\n",
		me);
	return 2;
}

/* serve() of src/main.c, with the same thread settings */
static int serve(struct fuse *fuse, struct fuse_cmdline_opts *cl,
		 int threads_given)
{
	struct fuse_loop_config *loop;
	int r;

	if (cl->singlethread)
		return fuse_loop(fuse);
	loop = fuse_loop_cfg_create();
	if (!loop)
		return -1;
	fuse_loop_cfg_set_clone_fd(loop, (unsigned)cl->clone_fd);
	if (!threads_given)
		cl->max_threads = CEILING_MAX_THREADS;
	if (cl->max_threads > 0 && cl->max_threads <= 100000)
		fuse_loop_cfg_set_max_threads(loop, cl->max_threads);
	if (cl->max_idle_threads != UINT_MAX)
		fuse_loop_cfg_set_idle_threads(loop, cl->max_idle_threads);
	r = fuse_loop_mt(fuse, loop);
	fuse_loop_cfg_destroy(loop);
	return r;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_cmdline_opts cl;
	struct fuse *fuse;
	char fsname[PATH_MAX + 64];
	int i, r, ret = 1, threads_given = 0;
	const char *src = NULL;

	/* argv[0], then every argument but --no-splice and SRCDIR (the first
	 * non-option) goes to libfuse */
	if (fuse_opt_add_arg(&args, argv[0]) < 0)
		return 1;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-splice")) {
			want_splice = 0;
			continue;
		}
		if (!src && argv[i][0] != '-') {
			src = argv[i];
			continue;
		}
		if (strstr(argv[i], "max_threads"))
			threads_given = 1;
		if (fuse_opt_add_arg(&args, argv[i]) < 0)
			return 1;
		/* the value of -o is a separate argument: keep it unparsed */
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			i++;
			if (strstr(argv[i], "max_threads"))
				threads_given = 1;
			if (fuse_opt_add_arg(&args, argv[i]) < 0)
				return 1;
		}
	}
	if (!src)
		return usage(argv[0]);
	if (fuse_parse_cmdline(&args, &cl) != 0)
		return usage(argv[0]);
	if (cl.show_help || !cl.mountpoint) {
		free(cl.mountpoint);
		fuse_opt_free_args(&args);
		return usage(argv[0]);
	}
	root_fd = open(src, O_RDONLY | O_DIRECTORY);
	if (root_fd < 0) {
		perror(src);
		goto out;
	}
	snprintf(fsname, sizeof(fsname), "-ofsname=ceiling:%s,subtype=ceiling",
		 src);
	if (strchr(src, ',') || fuse_opt_add_arg(&args, fsname) < 0)
		goto out;
	fuse = fuse_new(&args, &ceiling_ops, sizeof(ceiling_ops), NULL);
	if (!fuse)
		goto out;
	if (fuse_mount(fuse, cl.mountpoint) != 0)
		goto out_destroy;
	if (fuse_daemonize(cl.foreground) != 0)
		goto out_unmount;
	if (fuse_set_signal_handlers(fuse_get_session(fuse)) != 0)
		goto out_unmount;
	r = serve(fuse, &cl, threads_given);
	ret = r == 0 || r == SIGTERM || r == SIGINT || r == SIGHUP ? 0 : 1;
	fuse_remove_signal_handlers(fuse_get_session(fuse));
out_unmount:
	fuse_unmount(fuse);
out_destroy:
	fuse_destroy(fuse);
out:
	if (root_fd >= 0)
		close(root_fd);
	free(cl.mountpoint);
	fuse_opt_free_args(&args);
	return ret;
}
