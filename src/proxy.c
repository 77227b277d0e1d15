/* proxy — SOCKS5, SOCKS4a and HTTP CONNECT. See proxy.h.
 *
 * The whole exchange after the TCP connect has one deadline (timeout_ms),
 * so a proxy that trickles bytes cannot hold a caller longer than that.
 * Nothing past the proxy's reply is read: the bytes after it are the far
 * host's (an FTP server's banner may come in the same segment). SOCKS
 * replies have lengths known from their first bytes; the HTTP header is
 * read one byte at a time, bounded by PROXY_HTTP_MAX.
 */
#include "proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "net.h"

/* One exchange with the proxy. */
struct dialog {
	struct net_conn *c;
	struct timespec deadline;
	const char *name; /* proxy_name() */
	char *err;
	size_t errlen;
};

static const char *const scheme[] = {
	[PROXY_SOCKS5] = "socks5",
	[PROXY_SOCKS4A] = "socks4a",
	[PROXY_HTTP] = "http",
};

const char *proxy_name(const struct proxy_cfg *p, char *buf, size_t n)
{
	bool v6 = strchr(p->host, ':') != NULL;

	snprintf(buf, n, "%s://%s%s%s:%s",
		 p->kind >= PROXY_SOCKS5 && p->kind <= PROXY_HTTP
			 ? scheme[p->kind]
			 : "?",
		 v6 ? "[" : "", p->host, v6 ? "]" : "", p->port);
	return buf;
}

static int say(struct dialog *d, int r, const char *what)
{
	snprintf(d->err, d->errlen, "proxy %s: %s", d->name, what);
	return r;
}

/* Milliseconds left before the deadline, at least 1 (0 when past). */
static int left_ms(const struct dialog *d)
{
	struct timespec t;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &t);
	ms = (d->deadline.tv_sec - t.tv_sec) * 1000 +
	     (d->deadline.tv_nsec - t.tv_nsec) / 1000000;
	return ms <= 0 ? 0 : ms > 3600000 ? 3600000 : (int)ms;
}

static int io_error(struct dialog *d, int r)
{
	char msg[160];

	if (r == -ETIMEDOUT)
		return say(d, r, "no answer in time (-o timeout)");
	if (r == 0)
		r = -ECONNRESET;
	snprintf(msg, sizeof(msg), "connection lost: %s", strerror(-r));
	return say(d, r, msg);
}

/* Read exactly n bytes before the deadline. */
static int read_exact(struct dialog *d, void *buf, size_t n)
{
	unsigned char *p = buf;
	ssize_t got;
	int ms;

	while (n > 0) {
		ms = left_ms(d);
		if (ms == 0)
			return io_error(d, -ETIMEDOUT);
		net_set_timeout(d->c, ms);
		got = net_read(d->c, p, n);
		if (got <= 0)
			return io_error(d, (int)got);
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

static int send_all(struct dialog *d, const void *buf, size_t n)
{
	int ms = left_ms(d), r;

	if (ms == 0)
		return io_error(d, -ETIMEDOUT);
	net_set_timeout(d->c, ms);
	r = net_write_all(d->c, buf, n);
	return r < 0 ? io_error(d, r) : 0;
}

/* --- SOCKS5 (RFC 1928, RFC 1929) -------------------------------------- */

/* RFC 1928 section 6 reply codes. */
static int socks5_errno(int rep, const char **what)
{
	static const struct {
		int err;
		const char *what;
	} t[] = {
		[1] = { -ECONNABORTED, "general SOCKS server failure" },
		[2] = { -EACCES, "connection not allowed by ruleset" },
		[3] = { -ENETUNREACH, "network unreachable" },
		[4] = { -EHOSTUNREACH, "host unreachable" },
		[5] = { -ECONNREFUSED, "connection refused" },
		[6] = { -ETIMEDOUT, "TTL expired" },
		[7] = { -EOPNOTSUPP, "command not supported" },
		[8] = { -EAFNOSUPPORT, "address type not supported" },
	};

	if (rep < 1 || rep > 8) {
		*what = "unknown reply code";
		return -EPROTO;
	}
	*what = t[rep].what;
	return t[rep].err;
}

int proxy_socks5_reply(const unsigned char *b, size_t n, size_t *need, int *rep)
{
	size_t len;
	const char *what;

	*rep = -1;
	*need = 5;
	if (n >= 1 && b[0] != 5)
		return -EPROTO;
	if (n >= 2)
		*rep = b[1];
	if (n >= 3 && b[2] != 0)
		return -EPROTO;
	if (n < 5)
		return n >= 2 && b[1] != 0 ? socks5_errno(b[1], &what)
					   : -EAGAIN;
	/* VER REP RSV ATYP BND.ADDR BND.PORT */
	switch (b[3]) {
	case 1:
		len = 4 + 4 + 2;
		break;
	case 4:
		len = 4 + 16 + 2;
		break;
	case 3:
		len = 4 + 1 + (size_t)b[4] + 2;
		break;
	default:
		return -EPROTO;
	}
	*need = len;
	if (b[1] != 0)
		return socks5_errno(b[1], &what);
	if (n < len)
		return -EAGAIN;
	return n == len ? 0 : -EPROTO;
}

/* The method the proxy chose, and RFC 1929's exchange when it is 2. */
static int socks5_auth(struct dialog *d, const struct proxy_cfg *p)
{
	unsigned char b[3 + 2 * 256];
	size_t ul, pl, n;
	int r;

	b[0] = 5;
	b[1] = p->user ? 2 : 1;
	b[2] = 0; /* no authentication */
	b[3] = 2; /* username/password */
	r = send_all(d, b, 2 + b[1]);
	if (r == 0)
		r = read_exact(d, b, 2);
	if (r < 0)
		return r;
	if (b[0] != 5)
		return say(d, -EPROTO, "not a SOCKS5 proxy");
	if (b[1] == 0)
		return 0;
	if (b[1] == 0xff || (b[1] == 2 && !p->user))
		return say(d, -EACCES,
			   p->user ? "authentication failed (no method "
				     "accepted)"
				   : "authentication failed: the proxy wants "
				     "a user name and password");
	if (b[1] != 2)
		return say(d, -EPROTO, "chose a method we did not offer");
	ul = strlen(p->user);
	pl = p->pass ? strlen(p->pass) : 0;
	if (ul < 1 || ul > 255 || pl > 255)
		return say(d, -EINVAL,
			   "user name and password must be 1..255 "
			   "and 0..255 bytes for SOCKS5");
	n = 0;
	b[n++] = 1;
	b[n++] = (unsigned char)ul;
	memcpy(b + n, p->user, ul);
	n += ul;
	b[n++] = (unsigned char)pl;
	if (pl)
		memcpy(b + n, p->pass, pl);
	n += pl;
	r = send_all(d, b, n);
	explicit_bzero(b, sizeof(b));
	if (r == 0)
		r = read_exact(d, b, 2);
	if (r < 0)
		return r;
	if (b[0] != 1)
		return say(d, -EPROTO,
			   "bad reply to the user name and password");
	if (b[1] != 0)
		return say(d, -EACCES,
			   "authentication failed (user name or "
			   "password refused)");
	return 0;
}

/* DST.ADDR in b: an address literal as it is, a name as ATYP 3 (resolved
 * by the proxy). The length written, or negative. */
static int socks5_addr(unsigned char *b, const char *host)
{
	size_t hl = strlen(host);

	if (inet_pton(AF_INET, host, b + 1) == 1) {
		b[0] = 1;
		return 1 + 4;
	}
	if (inet_pton(AF_INET6, host, b + 1) == 1) {
		b[0] = 4;
		return 1 + 16;
	}
	if (hl < 1 || hl > 255)
		return -ENAMETOOLONG;
	b[0] = 3;
	b[1] = (unsigned char)hl;
	memcpy(b + 2, host, hl);
	return (int)(2 + hl);
}

static int far_error(struct dialog *d, int r, const char *what, const char *how)
{
	char msg[400];

	snprintf(msg, sizeof(msg), "cannot reach the server: %s (%s)", what,
		 how);
	return say(d, r, msg);
}

static int socks5(struct dialog *d, const struct proxy_cfg *p, const char *host,
		  uint16_t port)
{
	unsigned char b[4 + 1 + 255 + 2];
	size_t n = 0, need;
	int r, rep, a;
	char how[40];
	const char *what;

	r = socks5_auth(d, p);
	if (r < 0)
		return r;
	b[0] = 5;
	b[1] = 1; /* CONNECT */
	b[2] = 0;
	a = socks5_addr(b + 3, host);
	if (a < 0)
		return say(d, a, "host name too long for SOCKS5");
	b[3 + a] = (unsigned char)(port >> 8);
	b[4 + a] = (unsigned char)port;
	r = send_all(d, b, (size_t)(5 + a));
	if (r < 0)
		return r;
	for (;;) {
		r = proxy_socks5_reply(b, n, &need, &rep);
		if (r != -EAGAIN)
			break;
		r = read_exact(d, b + n, need - n);
		if (r < 0)
			return r;
		n = need;
	}
	if (r == -EPROTO)
		return say(d, r, "malformed SOCKS5 reply");
	if (r < 0) {
		socks5_errno(rep, &what);
		snprintf(how, sizeof(how), "SOCKS5 reply %d", rep);
		return far_error(d, r, what, how);
	}
	return 0;
}

/* --- SOCKS4a ----------------------------------------------------------- */

int proxy_socks4_reply(const unsigned char b[8])
{
	if (b[0] != 0)
		return -EPROTO;
	switch (b[1]) {
	case 90:
		return 0;
	case 91:
		return -ECONNREFUSED; /* rejected or failed */
	case 92:		      /* identd unreachable */
	case 93:
		return -EACCES; /* identd says another user */
	default:
		return -EPROTO;
	}
}

static int socks4a(struct dialog *d, const struct proxy_cfg *p,
		   const char *host, uint16_t port)
{
	unsigned char b[8 + 256 + 256];
	const char *user = p->user ? p->user : "";
	size_t ul = strlen(user), hl = strlen(host), n = 8;
	bool literal;
	char how[40];
	int r;

	b[0] = 4;
	b[1] = 1; /* CONNECT */
	b[2] = (unsigned char)(port >> 8);
	b[3] = (unsigned char)port;
	literal = inet_pton(AF_INET, host, b + 4) == 1;
	if (!literal && strchr(host, ':'))
		return say(d, -EAFNOSUPPORT,
			   "SOCKS4 cannot reach an IPv6 "
			   "address");
	if (ul > 255 || hl > 255)
		return say(d, -ENAMETOOLONG,
			   "user or host name too long for "
			   "SOCKS4");
	if (!literal)
		memcpy(b + 4, "\0\0\0\1", 4); /* 4a: the name follows */
	memcpy(b + n, user, ul + 1);
	n += ul + 1;
	if (!literal) {
		memcpy(b + n, host, hl + 1);
		n += hl + 1;
	}
	r = send_all(d, b, n);
	if (r == 0)
		r = read_exact(d, b, 8);
	if (r < 0)
		return r;
	r = proxy_socks4_reply(b);
	if (r == -EPROTO)
		return say(d, r, "malformed SOCKS4 reply");
	if (r < 0) {
		snprintf(how, sizeof(how), "SOCKS4 reply %d", b[1]);
		return far_error(d, r,
				 r == -EACCES ? "identd check failed"
					      : "request rejected or "
						"failed",
				 how);
	}
	return 0;
}

/* --- HTTP CONNECT ------------------------------------------------------ */

/* "HTTP/1.x NNN" followed by the end of the line or a blank. */
static int status_line(const char *b, size_t n, int *status)
{
	static const char head[] = "HTTP/1.";
	size_t i, hl = sizeof(head) - 1;

	for (i = 0; i < n && i < hl; i++)
		if (b[i] != head[i])
			return -EPROTO;
	if (n < hl + 5)
		return 0;
	if (b[hl] < '0' || b[hl] > '9' || b[hl + 1] != ' ')
		return -EPROTO;
	for (i = hl + 2; i < hl + 5; i++)
		if (b[i] < '0' || b[i] > '9')
			return -EPROTO;
	if (b[hl + 2] < '1' || b[hl + 2] > '5')
		return -EPROTO;
	if (n > hl + 5 && b[hl + 5] != ' ' && b[hl + 5] != '\r' &&
	    b[hl + 5] != '\n')
		return -EPROTO;
	*status = (b[hl + 2] - '0') * 100 + (b[hl + 3] - '0') * 10 +
		  (b[hl + 4] - '0');
	return 1;
}

ssize_t proxy_http_reply(const char *b, size_t n, int *status)
{
	size_t i, start = 0, line = 0;
	int st = 0, r;

	r = status_line(b, n, &st);
	if (r < 0)
		return r;
	for (i = 0; i < n; i++) {
		if (b[i] == '\0')
			return -EPROTO;
		if (b[i] != '\n')
			continue;
		if (line == 0 && r == 0)
			return -EPROTO; /* the first line ended too soon */
		/* a line is empty when it is "\n" or "\r\n" */
		if (line > 0 &&
		    (i == start || (i == start + 1 && b[start] == '\r'))) {
			if (i + 1 != n)
				return -EPROTO; /* read past the header */
			*status = st;
			return (ssize_t)n;
		}
		if (i - start > PROXY_LINE_MAX)
			return -EMSGSIZE;
		line++;
		start = i + 1;
	}
	if (n - start > PROXY_LINE_MAX || n >= PROXY_HTTP_MAX)
		return -EMSGSIZE;
	return 0;
}

/* "Proxy-Authorization: Basic base64(user:pass)\r\n" into out. */
static int basic_auth(const struct proxy_cfg *p, char *out, size_t n)
{
	unsigned char plain[2 * 256 + 2];
	const char *pass = p->pass ? p->pass : "";
	size_t ul = strlen(p->user), pl = strlen(pass);
	static const char head[] = "Proxy-Authorization: Basic ";
	int len;

	if (ul > 256 || pl > 256 ||
	    n < sizeof(head) + 4 * ((ul + pl + 3) / 3) + 2)
		return -ENAMETOOLONG;
	memcpy(plain, p->user, ul);
	plain[ul] = ':';
	memcpy(plain + ul + 1, pass, pl);
	memcpy(out, head, sizeof(head) - 1);
	len = EVP_EncodeBlock((unsigned char *)out + sizeof(head) - 1, plain,
			      (int)(ul + 1 + pl));
	explicit_bzero(plain, sizeof(plain));
	memcpy(out + sizeof(head) - 1 + len, "\r\n", 3);
	return 0;
}

static int http_status_error(struct dialog *d, const char *b, int status)
{
	char msg[240];
	size_t l = strcspn(b, "\r\n");

	snprintf(msg, sizeof(msg), "\"%.*s\"", (int)(l > 160 ? 160 : l), b);
	if (status == 407 || status == 401) {
		/* tinyproxy answers a bad BasicAuth with 401 */
		char m2[300];

		snprintf(m2, sizeof(m2), "authentication failed (%s)", msg);
		return say(d, -EACCES, m2);
	}
	if (status == 403)
		return far_error(d, -EACCES, "refused", msg);
	return far_error(d, -EHOSTUNREACH, "refused", msg);
}

static int http_connect(struct dialog *d, const struct proxy_cfg *p,
			const char *host, const char *port)
{
	char req[2048], auth[1024] = "", b[PROXY_HTTP_MAX + 1];
	bool v6 = strchr(host, ':') != NULL;
	ssize_t hl = 0;
	size_t n = 0;
	int r, status = 0, len;

	if (p->user && basic_auth(p, auth, sizeof(auth)) < 0)
		return say(d, -ENAMETOOLONG, "user name or password too long");
	len = snprintf(
		req, sizeof(req),
		"CONNECT %s%s%s:%s HTTP/1.1\r\nHost: %s%s%s:%s\r\n%s\r\n",
		v6 ? "[" : "", host, v6 ? "]" : "", port, v6 ? "[" : "", host,
		v6 ? "]" : "", port, auth);
	explicit_bzero(auth, sizeof(auth));
	if (len < 0 || (size_t)len >= sizeof(req))
		return say(d, -ENAMETOOLONG, "host name too long");
	r = send_all(d, req, (size_t)len);
	explicit_bzero(req, sizeof(req));
	if (r < 0)
		return r;
	while (hl == 0 && n < PROXY_HTTP_MAX) {
		r = read_exact(d, b + n, 1);
		if (r < 0)
			return r;
		n++;
		hl = proxy_http_reply(b, n, &status);
	}
	b[n] = '\0';
	if (hl == -EPROTO)
		return say(d, -EPROTO, "not an HTTP proxy (bad reply)");
	if (hl < 0 || hl == 0)
		return say(d, -EMSGSIZE, "reply header too long");
	if (status < 200 || status > 299)
		return http_status_error(d, b, status);
	return 0;
}

/* --- connect ----------------------------------------------------------- */

static int port_of(const char *port, uint16_t *out)
{
	char *end;
	unsigned long v = strtoul(port, &end, 10);

	if (!*port || *end || v == 0 || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

int proxy_connect(const struct proxy_cfg *p, const char *host, const char *port,
		  int timeout_ms, struct net_conn **out, char *err,
		  size_t errlen)
{
	char name[300], msg[200];
	struct dialog d = { .name = name, .err = err, .errlen = errlen };
	uint16_t pn;
	int r;

	proxy_name(p, name, sizeof(name));
	*out = NULL;
	if (port_of(port, &pn) < 0)
		return say(&d, -EINVAL, "bad port");
	r = net_connect_host(p->host, p->port, timeout_ms, &d.c);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "cannot connect to the proxy: %s",
			 r == -ENOENT ? "unknown host" : strerror(-r));
		return say(&d, r, msg);
	}
	clock_gettime(CLOCK_MONOTONIC, &d.deadline);
	d.deadline.tv_sec += timeout_ms / 1000;
	d.deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (d.deadline.tv_nsec >= 1000000000) {
		d.deadline.tv_sec++;
		d.deadline.tv_nsec -= 1000000000;
	}
	if (p->kind == PROXY_SOCKS5)
		r = socks5(&d, p, host, pn);
	else if (p->kind == PROXY_SOCKS4A)
		r = socks4a(&d, p, host, pn);
	else
		r = http_connect(&d, p, host, port);
	if (r < 0) {
		net_close(d.c);
		return r;
	}
	net_set_timeout(d.c, timeout_ms);
	*out = d.c;
	return 0;
}
