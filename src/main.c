/* ftpfs — mount an FTP server as a local directory.
 *
 * Start-up order matters: everything that can fail for a user-visible
 * reason (bad URL, unknown host, refused login, missing path) is checked
 * in the foreground, before mounting and daemonising, so the user gets a
 * one-line error and a non-zero exit status. Threads start in the FUSE
 * init callback, after the fork.
 */
#define FUSE_USE_VERSION 314

#include <dirent.h>
#include <errno.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "fs.h"
#include "ino.h"
#include "log.h"
#include "options.h"
#include "pool.h"
#include "prefetch.h"
#include "charset.h"
#include "config.h"
#include "control.h"
#include "session.h"
#include "status.h"
#include "tls.h"
#include "wfile.h"
#include "xattr.h"

/* FUSE worker threads at most, unless -o max_threads= says otherwise */
#define FTPFS_MAX_THREADS 256

#ifndef FTPFS_VERSION
#define FTPFS_VERSION "0.1"
#endif

static char *status_cb(void *ctx, bool json)
{
	(void)ctx;
	return status_report(json);
}

static void flush_cb(void *ctx, const char *path)
{
	fs_flush(ctx, path);
}

/* The control socket and SIGHUP (which then flushes the caches instead
 * of unmounting: libfuse leaves a handler it did not set alone). */
static struct control *control_up(struct fs_ctx *c, const char *mountpoint)
{
	struct control_ops ops = { status_cb, flush_cb, c };
	struct sigaction sa = { .sa_handler = control_sighup };
	struct control *ctl = NULL;
	int r = control_start(mountpoint, &ops, &ctl);

	if (r < 0) {
		log_warn("no control socket (ftpfs status, flush): %s",
			 strerror(-r));
		return NULL;
	}
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	return ctl;
}

/* "-ofsname=URL,subtype=ftpfs" with ',' and '\\' in URL escaped for
 * fuse_opt. */
static char *mount_opts(const char *url)
{
	static const char head[] = "-ofsname=", tail[] = ",subtype=ftpfs";
	char *s = malloc(sizeof(head) + 2 * strlen(url) + sizeof(tail)), *q;

	if (!s)
		return NULL;
	memcpy(s, head, sizeof(head) - 1);
	q = s + sizeof(head) - 1;
	for (; *url; url++) {
		if (*url == ',' || *url == '\\')
			*q++ = '\\';
		*q++ = *url;
	}
	memcpy(q, tail, sizeof(tail));
	return s;
}

/* Run as mount.ftpfs or mount.fuse.ftpfs, mount(8) passes its own flags:
 * -f fake, -n no mtab, -s sloppy, -v verbose. None of them may reach FUSE
 * (where -f means foreground and -s single-threaded). Returns true for a
 * fake mount: do nothing. */
static bool mount_helper_flags(int *argc, char *argv[])
{
	const char *base = strrchr(argv[0], '/');
	bool fake = false;
	int i, j;

	base = base ? base + 1 : argv[0];
	if (strncmp(base, "mount.", 6))
		return false;
	for (i = j = 1; i < *argc; i++) {
		const char *a = argv[i];

		if (a[0] == '-' && a[1] && a[1] != '-' && a[1] != 'o' &&
		    strspn(a + 1, "fnsv") == strlen(a + 1)) {
			fake |= strchr(a, 'f') != NULL;
			continue;
		}
		if (!strcmp(a, "-o") && i + 1 < *argc) {
			argv[j++] = argv[i++];
			argv[j++] = argv[i];
			continue;
		}
		argv[j++] = argv[i];
	}
	argv[j] = NULL;
	*argc = j;
	return fake;
}

/* Is dir (a real path) the mount point of something? From
 * /proc/self/mountinfo, whose 5th field is the mount point with ' ', '\t',
 * '\n' and '\\' written as octal escapes. */
static bool is_mount_point(const char *dir)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char *line = NULL;
	size_t cap = 0;
	bool found = false;

	if (!f)
		return false;
	while (!found && getline(&line, &cap, f) > 0) {
		char *p = line, *q, *w;
		int field;

		for (field = 1; field < 5 && p; field++) {
			p = strchr(p, ' ');
			p = p ? p + 1 : NULL;
		}
		if (!p)
			continue;
		for (q = w = p; *q && *q != ' ' && *q != '\n'; w++) {
			if (q[0] == '\\' && q[1] >= '0' && q[1] <= '3' &&
			    q[2] >= '0' && q[2] <= '7' && q[3] >= '0' &&
			    q[3] <= '7') {
				*w = (char)((q[1] - '0') * 64 +
					    (q[2] - '0') * 8 + (q[3] - '0'));
				q += 4;
			} else {
				*w = *q++;
			}
		}
		*w = '\0';
		found = !strcmp(p, dir);
	}
	free(line);
	fclose(f);
	return found;
}

/* Say so when mounting would hide something: files in the mount point, or
 * a file system already mounted there. A mount point whose FUSE daemon has
 * died gets the command that clears it. */
static void mountpoint_warnings(const char *mp)
{
	char real[PATH_MAX];
	DIR *d;
	struct dirent *e;

	struct stat st;

	if (stat(mp, &st) < 0 && errno == ENOTCONN) {
		fprintf(stderr,
			"ftpfs: %s: the file system mounted there is "
			"gone; run: fusermount3 -u %s\n",
			mp, mp);
		return;
	}
	if (!realpath(mp, real))
		return;
	if (is_mount_point(real))
		fprintf(stderr,
			"ftpfs: warning: %s is already a mount point; "
			"ftpfs is mounted over it and hides it\n",
			mp);
	d = opendir(real);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			fprintf(stderr,
				"ftpfs: warning: %s is not empty; its "
				"files are hidden while ftpfs is mounted\n",
				mp);
			break;
		}
	closedir(d);
}

/* Renamed names whose inode number is kept (ino.h): ~50 MiB at most */
#define INO_HELD_MAX (1u << 19)

/* The server's command line limit, once it refused a line (session.h) */
static _Atomic size_t line_limit = SIZE_MAX;

/* What main() builds, in the order it builds it; freed in reverse. */
struct ftpfs {
	struct fuse_args args;
	struct fuse_cmdline_opts cl;
	struct ftpfs_opts o;
	struct ftp_url u;
	struct session_cfg scfg;
	struct tls_ctx *tls;
	char *active_addr;
	struct proxy_cfg proxy;
	struct pool_cfg pcfg;
	char *display; /* the URL without the password */
	struct fs_ctx c;
	char *fsname; /* the fsname= and subtype= FUSE option */
	struct fuse *fuse;
	struct control *ctl;
	char err[1024];
};

/* A start-up error: one line on stderr; -1. */
static int say(const char *msg)
{
	fprintf(stderr, "ftpfs: %s\n", msg);
	return -1;
}

/* The options (argv's passwords then cut out), --version, --help, FUSE's
 * command line and the URL. 1: go on; 0: done, exit status 0; -1: exit
 * status 1, said why. */
static int cmdline(struct ftpfs *f, int argc, char **argv, bool fake,
		   char *area, size_t area_len)
{
	char prog[256];

	if (opts_parse(&f->args, &f->o, f->err, sizeof(f->err)) < 0)
		return say(f->err);
	snprintf(prog, sizeof(prog), "%s", argv[0]);
	if (opts_scrub_argv(argc, argv, f->o.url) && area_len)
		opts_rewrite_cmdline(argc, argv, area, area_len);
	if (f->o.show_version) {
		printf("ftpfs %s\n", FTPFS_VERSION);
		printf("FUSE library version %s\n", fuse_pkgversion());
		return 0;
	}
	if (f->o.show_help) {
		opts_usage(prog);
		fuse_lib_help(&f->args);
		fuse_cmdline_help();
		return 0;
	}
	if (fuse_parse_cmdline(&f->args, &f->cl) != 0)
		return -1;
	if (fake)
		return 0; /* mount -f: pretend */
	if (!f->o.url || !f->cl.mountpoint) {
		fprintf(stderr,
			"usage: %s ftp://[user@]host[:port][/path] MOUNTPOINT [-o options]\n"
			"       %s --help\n",
			prog, prog);
		return -1;
	}
	if (url_parse(f->o.url, &f->u, f->err, sizeof(f->err)) < 0)
		return say(f->err);
	return 1;
}

/* The TLS context the session configuration asks for. */
static int tls_up(struct ftpfs *f)
{
	struct tls_cfg tc = { 0 };

	tls_cfg_from_opts(&f->o, &tc);
	if (tls_ctx_new(&tc, &f->tls, f->err, sizeof(f->err)) < 0)
		return say(f->err);
	if (f->o.no_verify)
		fprintf(stderr, "ftpfs: warning: no_verify: the server's "
				"certificate is not checked\n");
	f->scfg.tls_ctx = f->tls;
	return 0;
}

/* -o codepage=: the charset, and the URL's path (ours) in the server's. */
static int codepage_up(struct ftpfs *f)
{
	struct ftpfs_opts *o = &f->o;
	char *conv;

	if (charset_new(o->codepage, o->iocharset, &f->c.charset) < 0) {
		fprintf(stderr, "ftpfs: unknown charset %s or %s\n",
			o->codepage, o->iocharset ? o->iocharset : "UTF-8");
		return -1;
	}
	if (charset_to_server(f->c.charset, f->u.path, &conv) < 0) {
		fprintf(stderr, "ftpfs: the path cannot be written in %s\n",
			o->codepage);
		return -1;
	}
	free(f->u.path);
	f->u.path = conv;
	return 0;
}

/* Everything a session needs: TLS, active mode, proxy, credentials, the
 * codepage. */
static int session_up(struct ftpfs *f)
{
	struct ftpfs_opts *o = &f->o;
	struct session_cfg *s = &f->scfg;

	session_cfg_from_opts(o, &f->u, s);
	if (s->tls != SESS_TLS_NONE && tls_up(f) < 0)
		return -1;
	if (session_port_from_opts(o, s, &f->active_addr, f->err,
				   sizeof(f->err)) < 0 ||
	    session_proxy_from_opts(o, s, &f->proxy, f->err, sizeof(f->err)) <
		    0)
		return say(f->err);
	if (credentials_get(o, &f->u, &f->proxy, f->err, sizeof(f->err)) < 0)
		return say(f->err[0] ? f->err : "bad user name");
	log_set_debug(f->cl.debug);
	if (o->codepage && codepage_up(f) < 0)
		return -1;
	session_cfg_set_url(s, &f->u);
	s->line_limit = &line_limit;
	return 0;
}

/* The status report and the pool, which logs in once now: a wrong host or
 * password is said before mounting. */
static int pool_up(struct ftpfs *f)
{
	pool_cfg_from_opts(&f->o, &f->pcfg);
	f->display = url_display(&f->u);
	if (!f->display ||
	    status_init(f->display, f->cl.mountpoint, f->o.connections) < 0)
		return -1;
	if (pool_new(&f->scfg, &f->pcfg, &f->c.pool, f->err, sizeof(f->err)) <
	    0)
		return say(f->err);
	return 0;
}

/* What the logged-in server decides: verify_upload's checksum (every
 * session checksums, as the pool keeps &scfg), the zone of its LIST
 * times. */
static int server_up(struct ftpfs *f)
{
	unsigned caps = pool_caps(f->c.pool);
	const char *tz = f->o.server_tz;
	long *off = &f->c.tz_offset;

	if (session_verify_from_opts(&f->o, caps, &f->scfg, f->err,
				     sizeof(f->err)) < 0)
		return say(f->err);
	if (tz && strcmp(tz, "auto")) {
		if (fs_parse_tz(tz, off) < 0)
			return say("server_tz must be auto, UTC or +HH:MM");
	} else if (!(caps & SESS_CAP_MLST) && (caps & SESS_CAP_MDTM) &&
		   fs_detect_server_tz(f->c.pool, off) == 0 && *off) {
		log_info("the server's listings are in UTC%+ld:%02ld",
			 *off / 3600, labs(*off % 3600) / 60);
	}
	return 0;
}

/* The file system: caches, spool, inode numbers, prefetch (its workers
 * start on demand, after the fork), and the options FUSE gets from us. */
static int fs_up(struct ftpfs *f)
{
	struct fs_ctx *c = &f->c;
	struct prefetch_cfg pfc = { 0 };
	const struct ftpfs_opts *o = &f->o;

	c->cache = cache_from_opts(o);
	c->sums = sum_cache_new();
	if (!c->cache || !c->sums)
		return -1;
	if (wfile_table_from_opts(o, c->pool, &c->wfiles, f->err,
				  sizeof(f->err)) < 0)
		return say(f->err);
	fs_ctx_from_opts(o, c);
	c->mountpoint = f->cl.mountpoint;
	c->inos = ino_new(INO_HELD_MAX);
	if (!c->inos)
		return -1;
	c->uid = getuid();
	c->gid = getgid();
	if (prefetch_cfg_from_opts(o, &pfc, &c->prefetch_unused))
		c->prefetch = prefetch_new(&pfc, c->pool, fs_prefetch_list, c);
	f->fsname = mount_opts(f->display);
	if (!f->fsname || fuse_opt_add_arg(&f->args, f->fsname) < 0)
		return -1;
	/* Other users act on the server with our login: let the kernel check
	 * the modes ls shows them, unless told not to. */
	if (o->allow_other && !o->default_permissions &&
	    !o->no_default_permissions &&
	    fuse_opt_add_arg(&f->args, "-odefault_permissions") < 0)
		return -1;
	return 0;
}

/* FUSE's loop until unmounted or stopped: its result. */
static int serve(struct ftpfs *f)
{
	struct fuse_cmdline_opts *cl = &f->cl;
	struct fuse_loop_config *loop;
	int r;

	if (cl->singlethread)
		return fuse_loop(f->fuse);
	loop = fuse_loop_cfg_create();
	if (!loop)
		return -1;
	fuse_loop_cfg_set_clone_fd(loop, (unsigned)cl->clone_fd);
	/* A request may wait for a session that a file open for writing
	 * holds between its writes; that file's next write needs a thread
	 * to get through. libfuse's default of 10 threads, all waiting,
	 * would deadlock 10 such waiters. */
	if (!f->o.max_threads_given)
		cl->max_threads = FTPFS_MAX_THREADS;
	if (cl->max_threads > 0 && cl->max_threads <= 100000)
		fuse_loop_cfg_set_max_threads(loop, cl->max_threads);
	if (cl->max_idle_threads != UINT_MAX)
		fuse_loop_cfg_set_idle_threads(loop, cl->max_idle_threads);
	r = fuse_loop_mt(f->fuse, loop);
	fuse_loop_cfg_destroy(loop);
	return r;
}

int main(int argc, char *argv[])
{
	/* measured before anything moves argv's pointers */
	size_t argv_area = opts_argv_area(argc, argv);
	char *argv_start = argv[0];
	bool fake = mount_helper_flags(&argc, argv);
	struct ftpfs f = { .args = FUSE_ARGS_INIT(argc, argv) };
	int r, ret = 1;

	if (argc >= 2 &&
	    (!strcmp(argv[1], "status") || !strcmp(argv[1], "flush")))
		return control_main(argc, argv);
	r = cmdline(&f, argc, argv, fake, argv_start, argv_area);
	if (r <= 0) {
		ret = r < 0;
		goto out_cl;
	}
	if (session_up(&f) < 0 || pool_up(&f) < 0)
		goto out_url;
	if (server_up(&f) < 0)
		goto out_pool;
	if (fs_up(&f) < 0)
		goto out_cache;
	mountpoint_warnings(f.cl.mountpoint);
	f.fuse = fuse_new(&f.args, fs_operations(pool_caps(f.c.pool)),
			  sizeof(struct fuse_operations), &f.c);
	if (!f.fuse)
		goto out_cache;
	if (fuse_mount(f.fuse, f.cl.mountpoint) != 0)
		goto out_fuse;
	if (fuse_daemonize(f.cl.foreground) != 0)
		goto out_unmount;
	if (!f.cl.foreground)
		log_use_syslog();
	f.c.fuse = f.fuse;
	status_set_cache_entries(cache_entries, f.c.cache);
	f.ctl = control_up(&f.c,
			   f.cl.mountpoint); /* before libfuse's handlers */
	if (fuse_set_signal_handlers(fuse_get_session(f.fuse)) != 0)
		goto out_unmount;
	r = serve(&f);
	/* libfuse's loop returns the signal that stopped it: a stop asked
	 * for (SIGTERM from systemd, ^C) is a clean exit */
	ret = r == 0 || r == SIGTERM || r == SIGINT || r == SIGHUP ? 0 : 1;
	fuse_remove_signal_handlers(fuse_get_session(f.fuse));
out_unmount:
	control_stop(f.ctl);
	fuse_unmount(f.fuse);
out_fuse:
	fuse_destroy(f.fuse);
out_cache:
	prefetch_free(f.c.prefetch); /* joins its workers: before the pool */
	free(f.fsname);
	wfile_table_free(f.c.wfiles);
	ino_free(f.c.inos);
	cache_free(f.c.cache);
	sum_cache_free(f.c.sums);
out_pool:
	pool_free(f.c.pool);
out_url:
	free(f.display);
	status_fini();
	charset_free(f.c.charset);
	free(f.active_addr);
	opts_proxy_free(&f.proxy);
	tls_ctx_free(f.tls);
	url_free(&f.u);
out_cl:
	free(f.cl.mountpoint);
	opts_free(&f.o);
	fuse_opt_free_args(&f.args);
	return ret;
}
