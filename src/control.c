/* control — the control socket (`ftpfs status`, `ftpfs flush`). See
 * control.h for why a socket and who may use it.
 *
 * One thread polls the listening socket, the SIGHUP pipe and a stop pipe,
 * and answers each client itself, one at a time: the answers come from
 * atomics and short-held locks (status.c, the caches), never from the
 * network, so no client waits long; a client that sends nothing is
 * dropped after CLIENT_MS.
 */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define CLIENT_MS 2000
#define REQ_MAX 4096

struct control {
	int lfd;
	int stop[2];
	pthread_t th;
	struct control_ops ops;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static int hup_pipe[2] = { -1, -1 };

static int runtime_dir(char *out, size_t n)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	int k;

	if (x && *x == '/')
		k = snprintf(out, n, "%s/ftpfs", x);
	else if (geteuid() == 0)
		k = snprintf(out, n, "/run/ftpfs");
	else
		return -ENOENT;
	return k < 0 || (size_t)k >= n ? -ENAMETOOLONG : 0;
}

int control_path(const char *mountpoint, char *out, size_t n)
{
	char dir[PATH_MAX], base[41];
	const char *b = strrchr(mountpoint, '/');
	uint64_t h = 1469598103934665603ULL;
	const char *p;
	size_t i = 0;
	int r = runtime_dir(dir, sizeof(dir)), k;

	if (r < 0)
		return r;
	for (p = mountpoint; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (b = b ? b + 1 : mountpoint; *b && i < sizeof(base) - 1; b++)
		base[i++] = (*b >= 'a' && *b <= 'z') ||
					    (*b >= 'A' && *b <= 'Z') ||
					    (*b >= '0' && *b <= '9') ||
					    *b == '.' || *b == '-'
				    ? *b
				    : '_';
	base[i] = '\0';
	k = snprintf(out, n, "%s/%s-%016llx.sock", dir, base,
		     (unsigned long long)h);
	return k < 0 || (size_t)k >= n ? -ENAMETOOLONG : 0;
}

void control_sighup(int sig)
{
	int e = errno;

	(void)sig;
	if (hup_pipe[1] >= 0)
		(void)!write(hup_pipe[1], "h", 1);
	errno = e;
}

/* Only the mounting user (our uid) and root. */
static bool peer_allowed(int fd)
{
	struct ucred cr;
	socklen_t l = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) < 0)
		return false;
	return cr.uid == 0 || cr.uid == geteuid();
}

static void say(int fd, char code, const char *text)
{
	size_t n = strlen(text), off = 0;
	ssize_t w;

	if (write(fd, &code, 1) != 1)
		return;
	while (off < n && (w = write(fd, text + off, n - off)) > 0)
		off += (size_t)w;
}

/* One request line, at most REQ_MAX bytes, within CLIENT_MS. */
static int read_request(int fd, char *req)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	ssize_t n;

	while (len < REQ_MAX - 1) {
		if (poll(&pf, 1, CLIENT_MS) <= 0)
			return -ETIMEDOUT;
		n = read(fd, req + len, REQ_MAX - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(req, '\n', len))
			break;
	}
	req[len] = '\0';
	req[strcspn(req, "\n")] = '\0';
	return len ? 0 : -EINVAL;
}

static void answer(struct control *c, int fd)
{
	char req[REQ_MAX], *rep;

	if (!peer_allowed(fd)) {
		say(fd, '1',
		    "ftpfs: only the user who mounted it and root may "
		    "ask\n");
		return;
	}
	if (read_request(fd, req) < 0)
		return;
	if (!strcmp(req, "status") || !strcmp(req, "status json")) {
		rep = c->ops.status(c->ops.ctx, req[6] != '\0');
		say(fd, rep ? '0' : '1', rep ? rep : "ftpfs: out of memory\n");
		free(rep);
	} else if (!strcmp(req, "flush") ||
		   (!strncmp(req, "flush /", 7) && !strpbrk(req, "\r"))) {
		c->ops.flush(c->ops.ctx, req[5] ? req + 6 : NULL);
		log_info("cache flushed%s%s (ftpfs flush)", req[5] ? ": " : "",
			 req[5] ? req + 6 : "");
		say(fd, '0', "");
	} else {
		say(fd, '1', "ftpfs: unknown request\n");
	}
}

static void *serve(void *arg)
{
	struct control *c = arg;
	struct pollfd pf[3] = { { .fd = c->lfd, .events = POLLIN },
				{ .fd = hup_pipe[0], .events = POLLIN },
				{ .fd = c->stop[0], .events = POLLIN } };
	char junk[64];
	int fd;

	for (;;) {
		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[2].revents)
			break;
		if (pf[1].revents) {
			while (read(hup_pipe[0], junk, sizeof(junk)) > 0)
				;
			c->ops.flush(c->ops.ctx, NULL);
			log_info("cache flushed (SIGHUP)");
		}
		if (pf[0].revents & POLLIN) {
			fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0) {
				answer(c, fd);
				close(fd);
			}
		}
	}
	return NULL;
}

/* The directory, 0700 and ours (a directory someone else made there is
 * not used). */
static int make_dir(const char *sock)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", sock);
	slash = strrchr(dir, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077))
		return -EPERM;
	return 0;
}

static int make_socket(struct control *c)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	mode_t old;
	int r;

	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->lfd < 0)
		return -errno;
	memcpy(a.sun_path, c->path, strlen(c->path) + 1);
	unlink(c->path);  /* one left by a daemon that was killed */
	old = umask(077); /* mode 0600 from the start */
	r = bind(c->lfd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (r < 0 || chmod(c->path, 0600) < 0 || listen(c->lfd, 16) < 0)
		return -errno;
	return 0;
}

int control_start(const char *mountpoint, const struct control_ops *ops,
		  struct control **out)
{
	struct control *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->lfd = c->stop[0] = c->stop[1] = -1;
	c->ops = *ops;
	r = control_path(mountpoint, c->path, sizeof(c->path));
	if (r == 0)
		r = make_dir(c->path);
	if (r == 0)
		r = make_socket(c);
	if (r == 0 && hup_pipe[0] < 0 &&
	    pipe2(hup_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		r = -errno;
	if (r == 0 && pipe2(c->stop, O_CLOEXEC) < 0)
		r = -errno;
	if (r == 0)
		r = -pthread_create(&c->th, NULL, serve, c);
	if (r < 0) {
		if (c->lfd >= 0) {
			close(c->lfd);
			unlink(c->path);
		}
		if (c->stop[0] >= 0) {
			close(c->stop[0]);
			close(c->stop[1]);
		}
		free(c);
		return r;
	}
	*out = c;
	return 0;
}

void control_stop(struct control *c)
{
	if (!c)
		return;
	(void)!write(c->stop[1], "x", 1);
	pthread_join(c->th, NULL);
	close(c->lfd);
	unlink(c->path);
	close(c->stop[0]);
	close(c->stop[1]);
	free(c);
}

/* --- the client: ftpfs status / ftpfs flush ----------------------------- */

static int usage(void)
{
	fprintf(stderr, "usage: ftpfs status [--json] MOUNTPOINT\n"
			"       ftpfs flush MOUNTPOINT [PATH]\n");
	return 1;
}

/* PATH as the daemon's FUSE path: MOUNTPOINT/x/y or x/y → "/x/y". */
static int mount_rel(const char *real, const char *path, char *out, size_t n)
{
	size_t l = strlen(real);
	int k;

	if (path[0] == '/') {
		if (strncmp(path, real, l) || (path[l] && path[l] != '/'))
			return -EINVAL;
		path += l;
	}
	while (*path == '/')
		path++;
	k = snprintf(out, n, "/%s", path);
	while (k > 1 && out[k - 1] == '/')
		out[--k] = '\0';
	return k < 0 || (size_t)k >= n || strpbrk(out, "\r\n") ? -EINVAL : 0;
}

/* The mount point's absolute path as the daemon has it (libfuse made it
 * with realpath() before mounting). Only the parent is resolved: a stat
 * of the mount point itself would ask the daemon, which may be stuck. */
static int mount_abs(const char *mp, char *out, size_t n)
{
	char dir[PATH_MAX], parent[PATH_MAX];
	const char *base;
	size_t l = strlen(mp);
	int k;

	while (l > 1 && mp[l - 1] == '/')
		l--;
	if (l >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, mp, l);
	dir[l] = '\0';
	base = strrchr(dir, '/');
	base = base ? base + 1 : dir;
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return realpath(dir, out) ? 0 : -errno; /* "/", "x/.." */
	if (base == dir) {
		snprintf(parent, sizeof(parent), ".");
	} else {
		dir[base - dir - 1] = '\0';
		if (!realpath(dir[0] ? dir : "/", parent))
			return -errno;
	}
	if (base == dir && !realpath(".", parent))
		return -errno;
	k = snprintf(out, n, "%s/%s", strcmp(parent, "/") ? parent : "", base);
	return k < 0 || (size_t)k >= n ? -ENAMETOOLONG : 0;
}

static int ask(const char *sock, const char *mp, const char *req)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char buf[65536];
	ssize_t n;
	int fd, code = -1;

	if (strlen(sock) >= sizeof(a.sun_path))
		return 1;
	memcpy(a.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "ftpfs: %s: %s (%s): %s\n", mp,
			errno == EACCES ? "permission denied"
					: "no ftpfs control socket",
			sock,
			errno == EACCES ? "only the user who mounted it and "
					  "root may ask"
					: "not an ftpfs mount, or mounted by "
					  "another user");
		if (fd >= 0)
			close(fd);
		return 1;
	}
	(void)!send(fd, req, strlen(req), MSG_NOSIGNAL);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		size_t skip = 0;

		if (code < 0) {
			code = buf[0] == '0' ? 0 : 1;
			skip = 1;
		}
		fwrite(buf + skip, 1, (size_t)n - skip, code ? stderr : stdout);
	}
	close(fd);
	if (code < 0)
		fprintf(stderr, "ftpfs: %s: no answer from the daemon\n", mp);
	return code == 0 ? 0 : 1;
}

int control_main(int argc, char **argv)
{
	bool flush = !strcmp(argv[1], "flush"), json = false;
	const char *mp = NULL, *path = NULL;
	char real[PATH_MAX], sock[PATH_MAX], rel[PATH_MAX];
	char req[PATH_MAX + 16];
	int i, r;

	for (i = 2; i < argc; i++) {
		if (!flush && !strcmp(argv[i], "--json"))
			json = true;
		else if (!mp)
			mp = argv[i];
		else if (flush && !path)
			path = argv[i];
		else
			return usage();
	}
	if (!mp)
		return usage();
	if (mount_abs(mp, real, sizeof(real)) < 0) {
		fprintf(stderr, "ftpfs: %s: %s\n", mp, strerror(errno));
		return 1;
	}
	r = control_path(real, sock, sizeof(sock));
	if (r < 0) {
		fprintf(stderr, "ftpfs: no control socket directory (%s)\n",
			r == -ENOENT ? "XDG_RUNTIME_DIR is not set"
				     : strerror(-r));
		return 1;
	}
	if (path && mount_rel(real, path, rel, sizeof(rel)) < 0) {
		fprintf(stderr, "ftpfs: %s is not a path in %s\n", path, real);
		return 1;
	}
	if (flush)
		snprintf(req, sizeof(req), "flush%s%s\n", path ? " " : "",
			 path ? rel : "");
	else
		snprintf(req, sizeof(req), "status%s\n", json ? " json" : "");
	return ask(sock, real, req);
}
