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

/* -o verify_upload[=ALGO]: the algorithm, which the server must offer
 * (FEAT: HASH or its X command); without ALGO the strongest offered. */
static int verify_algo(const struct ftpfs_opts *o, unsigned caps,
		       enum digest_algo *out)
{
	int a = o->verify_algo ? digest_from_name(o->verify_algo) : 0;

	for (; a >= 0 && a < DIGEST_N; a++) {
		if (caps & SESS_CAP_SUM(a)) {
			*out = (enum digest_algo)a;
			return 0;
		}
		if (o->verify_algo)
			break;
	}
	if (o->verify_algo)
		fprintf(stderr, "ftpfs: verify_upload=%s: the server offers no "
				"%s checksum (neither HASH nor its X command in "
				"FEAT)\n", o->verify_algo, o->verify_algo);
	else
		fprintf(stderr, "ftpfs: verify_upload: the server offers no "
				"checksum (HASH, XSHA256, XSHA1, XMD5 or XCRC in "
				"FEAT)\n");
	return -EOPNOTSUPP;
}

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
				*w = (char)((q[1] - '0') * 64 + (q[2] - '0') * 8 +
					    (q[3] - '0'));
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
		fprintf(stderr, "ftpfs: %s: the file system mounted there is "
				"gone; run: fusermount3 -u %s\n",
			mp, mp);
		return;
	}
	if (!realpath(mp, real))
		return;
	if (is_mount_point(real))
		fprintf(stderr, "ftpfs: warning: %s is already a mount point; "
				"ftpfs is mounted over it and hides it\n",
			mp);
	d = opendir(real);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			fprintf(stderr, "ftpfs: warning: %s is not empty; its "
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

int main(int argc, char *argv[])
{
	/* measured before anything moves argv's pointers */
	size_t argv_area = opts_argv_area(argc, argv);
	char *argv_start = argv[0], prog[256];
	bool fake = mount_helper_flags(&argc, argv);
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts cl = { 0 };
	struct fuse_loop_config *loop = NULL;
	struct ftpfs_opts o;
	struct ftp_url u = { 0 };
	struct session_cfg scfg = { 0 };
	struct pool_cfg pcfg = { 0 };
	struct fs_ctx c = { 0 };
	struct fuse *fuse = NULL;
	struct control *ctl = NULL;
	struct tls_ctx *tls = NULL;
	struct proxy_cfg proxy = { 0 };
	char *active_addr = NULL;
	char err[1024] = "", *display = NULL, *fsname = NULL;
	int r, ret = 1;

	if (argc >= 2 && (!strcmp(argv[1], "status") ||
			  !strcmp(argv[1], "flush"))) {
		fuse_opt_free_args(&args);
		return control_main(argc, argv);
	}
	if (opts_parse(&args, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "ftpfs: %s\n", err);
		goto out_opts; /* what it took so far (the URL, proxy=...) */
	}
	snprintf(prog, sizeof(prog), "%s", argv[0]);
	if (opts_scrub_argv(argc, argv, o.url) && argv_area)
		opts_rewrite_cmdline(argc, argv, argv_start, argv_area);
	if (o.show_version) {
		printf("ftpfs %s\n", FTPFS_VERSION);
		printf("FUSE library version %s\n", fuse_pkgversion());
		ret = 0;
		goto out_opts;
	}
	if (o.show_help) {
		opts_usage(prog);
		fuse_lib_help(&args);
		fuse_cmdline_help();
		ret = 0;
		goto out_opts;
	}
	if (fuse_parse_cmdline(&args, &cl) != 0)
		goto out_opts;
	if (fake) {
		ret = 0; /* mount -f: pretend */
		goto out_cl;
	}
	if (!o.url || !cl.mountpoint) {
		fprintf(stderr,
			"usage: %s ftp://[user@]host[:port][/path] MOUNTPOINT [-o options]\n"
			"       %s --help\n",
			prog, prog);
		goto out_cl;
	}
	if (url_parse(o.url, &u, err, sizeof(err)) < 0) {
		fprintf(stderr, "ftpfs: %s\n", err);
		goto out_cl;
	}
	if (u.implicit_tls)
		scfg.tls = SESS_TLS_IMPLICIT;
	else if (u.explicit_tls || o.ssl || (o.tls && !strcmp(o.tls, "require")))
		scfg.tls = SESS_TLS_REQUIRE;
	else if (o.tls && !strcmp(o.tls, "none"))
		scfg.tls = SESS_TLS_NONE;
	else
		scfg.tls = SESS_TLS_TRY;
	if (scfg.tls != SESS_TLS_NONE) {
		struct tls_cfg tc = { .cafile = o.cafile,
				      .fingerprint = o.fingerprint,
				      .cert = o.cert,
				      .key = o.key,
				      .no_verify = o.no_verify };

		if (tls_ctx_new(&tc, &tls, err, sizeof(err)) < 0) {
			fprintf(stderr, "ftpfs: %s\n", err);
			goto out_url;
		}
		if (o.no_verify)
			fprintf(stderr, "ftpfs: warning: no_verify: the server's "
					"certificate is not checked\n");
	}
	scfg.tls_ctx = tls;
	if (o.ftp_port && ftp_port_parse(o.ftp_port, &active_addr,
					 &scfg.port_lo, &scfg.port_hi) < 0) {
		fprintf(stderr, "ftpfs: ftp_port must be ADDR[:PORT[-PORT]]\n");
		goto out_url;
	}
	scfg.active = o.active || o.ftp_port;
	scfg.active_addr = active_addr;
	scfg.tls_data_clear = o.tls_data && !strcmp(o.tls_data, "clear");
	if (opts_proxy(&o, &proxy, err, sizeof(err)) < 0) {
		fprintf(stderr, "ftpfs: %s\n", err);
		goto out_url;
	}
	if (proxy.host && scfg.active) {
		/* the server would connect to us, past the proxy */
		fprintf(stderr, "ftpfs: active mode (-o active, ftp_port=) "
				"cannot work through a proxy; leave it out\n");
		goto out_url;
	}
	scfg.proxy = proxy.host ? &proxy : NULL;
	if (credentials_get(&o, &u, &proxy, err, sizeof(err)) < 0) {
		fprintf(stderr, "ftpfs: %s\n", err[0] ? err : "bad user name");
		goto out_url;
	}
	log_set_debug(cl.debug);
	if (o.codepage) {
		char *conv;

		if (charset_new(o.codepage, o.iocharset, &c.charset) < 0) {
			fprintf(stderr, "ftpfs: unknown charset %s or %s\n",
				o.codepage, o.iocharset ? o.iocharset : "UTF-8");
			goto out_url;
		}
		/* the URL's path is ours: the server wants its own */
		if (charset_to_server(c.charset, u.path, &conv) < 0) {
			fprintf(stderr, "ftpfs: the path cannot be written in %s\n",
				o.codepage);
			goto out_url;
		}
		free(u.path);
		u.path = conv;
	}
	scfg.host = u.host;
	scfg.port = u.port;
	scfg.user = u.user;
	scfg.pass = u.pass;
	scfg.path = u.path;
	scfg.timeout_ms = (int)o.timeout * 1000;
	scfg.pasv_ip = o.pasv_ip;
	scfg.disable_epsv = o.disable_epsv;
	scfg.no_pipeline = o.no_pipeline;
	scfg.disable_mlsd = o.disable_mlsd;
	scfg.trace = o.ftp_trace;
	scfg.line_limit = &line_limit;
	pcfg.max_sessions = o.connections;
	pcfg.park_ms = 2000;
	pcfg.keepalive_s = (int)o.keepalive;
	pcfg.reconnect_s = (int)o.reconnect_timeout;
	pcfg.hard = o.hard;
	pcfg.idle_close_s = 600;
	display = url_display(&u);
	if (!display || status_init(display, cl.mountpoint, o.connections) < 0)
		goto out_url;
	r = pool_new(&scfg, &pcfg, &c.pool, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "ftpfs: %s\n", err);
		goto out_url;
	}
	/* every session (the pool keeps &scfg) checksums what it uploads */
	if (o.verify_upload || o.verify_algo) {
		if (verify_algo(&o, pool_caps(c.pool), &scfg.verify_algo) < 0)
			goto out_pool;
		scfg.verify_upload = true;
	}
	if (o.server_tz && strcmp(o.server_tz, "auto")) {
		if (fs_parse_tz(o.server_tz, &c.tz_offset) < 0) {
			fprintf(stderr, "ftpfs: server_tz must be auto, UTC or "
					"+HH:MM\n");
			goto out_pool;
		}
	} else if (!(pool_caps(c.pool) & SESS_CAP_MLST) &&
		   (pool_caps(c.pool) & SESS_CAP_MDTM) &&
		   fs_detect_server_tz(c.pool, &c.tz_offset) == 0 &&
		   c.tz_offset) {
		log_info("the server's listings are in UTC%+ld:%02ld",
			 c.tz_offset / 3600, labs(c.tz_offset % 3600) / 60);
	}
	c.cache = cache_new(o.cache_timeout, 200000);
	c.sums = sum_cache_new();
	if (!c.cache || !c.sums)
		goto out_cache;
	{
		const char *sd = o.spool_dir ? o.spool_dir : getenv("TMPDIR");

		r = wfile_table_new(c.pool, sd && *sd ? sd : "/var/tmp",
				    (uint64_t)o.spool_max << 20,
				    o.ignore_attr_errors, &c.wfiles);
		if (r < 0) {
			fprintf(stderr, "ftpfs: cannot make a spool directory in %s: %s\n",
				sd && *sd ? sd : "/var/tmp", strerror(-r));
			goto out_cache;
		}
	}
	c.ignore_attr_errors = o.ignore_attr_errors;
	c.cache_timeout = o.cache_timeout;
	c.max_entries = o.max_entries;
	c.parallel_read = o.parallel_read >= 0 ? (unsigned)o.parallel_read
						: o.connections - 1;
	c.mountpoint = cl.mountpoint;
	c.inos = ino_new(INO_HELD_MAX);
	if (!c.inos)
		goto out_cache;
	c.uid = getuid();
	c.gid = getgid();
	/* prefetch needs the cache to keep its results and a session to spare
	 * beside the user's; workers start on demand, after the fork */
	if (!o.no_prefetch && o.prefetch_timeout > 0 && o.cache_timeout > 0 &&
	    o.connections >= 2) {
		struct prefetch_cfg pfc = {
			.workers = o.connections - 1 < 8 ? o.connections - 1 : 8,
			.queue_max = 256,
		};

		c.prefetch_unused = o.prefetch_timeout < o.cache_timeout
					    ? o.prefetch_timeout
					    : o.cache_timeout;
		c.prefetch = prefetch_new(&pfc, c.pool, fs_prefetch_list, &c);
	}

	fsname = mount_opts(display);
	if (!fsname || fuse_opt_add_arg(&args, fsname) < 0)
		goto out_cache;
	/* Other users act on the server with our login: let the kernel check
	 * the modes ls shows them, unless told not to. */
	if (o.allow_other && !o.default_permissions &&
	    !o.no_default_permissions &&
	    fuse_opt_add_arg(&args, "-odefault_permissions") < 0)
		goto out_cache;

	mountpoint_warnings(cl.mountpoint);
	fuse = fuse_new(&args, fs_operations(), sizeof(struct fuse_operations),
			&c);
	if (!fuse)
		goto out_cache;
	if (fuse_mount(fuse, cl.mountpoint) != 0)
		goto out_fuse;
	if (fuse_daemonize(cl.foreground) != 0)
		goto out_unmount;
	if (!cl.foreground)
		log_use_syslog();
	c.fuse = fuse;
	status_set_cache_entries(cache_entries, c.cache);
	ctl = control_up(&c, cl.mountpoint); /* before libfuse's handlers */
	if (fuse_set_signal_handlers(fuse_get_session(fuse)) != 0)
		goto out_unmount;
	if (cl.singlethread) {
		r = fuse_loop(fuse);
	} else {
		loop = fuse_loop_cfg_create();
		if (!loop)
			goto out_signals;
		fuse_loop_cfg_set_clone_fd(loop, (unsigned)cl.clone_fd);
		/* A request may wait for a session that a file open for
		 * writing holds between its writes; that file's next write
		 * needs a thread to get through. libfuse's default of 10
		 * threads, all waiting, would deadlock 10 such waiters. */
		if (!o.max_threads_given)
			cl.max_threads = FTPFS_MAX_THREADS;
		if (cl.max_threads > 0 && cl.max_threads <= 100000)
			fuse_loop_cfg_set_max_threads(loop, cl.max_threads);
		if (cl.max_idle_threads != UINT_MAX)
			fuse_loop_cfg_set_idle_threads(loop,
						       cl.max_idle_threads);
		r = fuse_loop_mt(fuse, loop);
		fuse_loop_cfg_destroy(loop);
	}
	/* libfuse's loop returns the signal that stopped it: a stop asked
	 * for (SIGTERM from systemd, ^C) is a clean exit */
	ret = r == 0 || r == SIGTERM || r == SIGINT || r == SIGHUP ? 0 : 1;
out_signals:
	fuse_remove_signal_handlers(fuse_get_session(fuse));
out_unmount:
	control_stop(ctl);
	fuse_unmount(fuse);
out_fuse:
	fuse_destroy(fuse);
out_cache:
	prefetch_free(c.prefetch); /* joins its workers: before the pool */
	free(fsname);
	wfile_table_free(c.wfiles);
	ino_free(c.inos);
	cache_free(c.cache);
	sum_cache_free(c.sums);
out_pool:
	pool_free(c.pool);
out_url:
	free(display);
	status_fini();
	charset_free(c.charset);
	free(active_addr);
	opts_proxy_free(&proxy);
	tls_ctx_free(tls);
	url_free(&u);
out_cl:
	free(cl.mountpoint);
out_opts:
	opts_free(&o);
	fuse_opt_free_args(&args);
	return ret;
}
