/* net — TCP connections with a deadline on every operation.
 *
 * Sockets are non-blocking; each read/write waits with poll() for at most
 * the connection's timeout, so a peer that stops answering can never block
 * a caller forever.
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

struct net_conn {
	int fd;
	SSL *ssl;
	char tls_err[160]; /* OpenSSL's reason for the last TLS failure */
	int timeout_ms;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	char peer_str[INET6_ADDRSTRLEN];
};

/* Before waiting to read: acknowledge at once what came so far, instead
 * of after the kernel's delayed-ACK timer (40 ms). A server whose socket
 * has Nagle's algorithm on holds its next small segment until that ACK:
 * with TLS the close_notify after a listing or a file, the second line of
 * a "226-" reply (Pure-FTPd), each a 40 ms stall per transfer. Quick-ACK
 * mode does not last, so it is asked for before every wait. */
static void ack_now(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	if (events & POLLIN)
		ack_now(fd);
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	return 0;
}

/* Wrap a connected socket (closed on failure). */
static int conn_new(int fd, const struct sockaddr *sa, socklen_t len,
		    int timeout_ms, struct net_conn **out)
{
	struct net_conn *c;
	int one = 1;

	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	c->fd = fd;
	c->timeout_ms = timeout_ms;
	memcpy(&c->peer, sa, len);
	c->peer_len = len;
	if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr,
			  c->peer_str, sizeof(c->peer_str));
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  c->peer_str, sizeof(c->peer_str));
	*out = c;
	return 0;
}

int net_connect_addr(const struct sockaddr *sa, socklen_t len, int timeout_ms,
		     struct net_conn **out)
{
	int fd, r, err = 0;
	socklen_t elen = sizeof(err);

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	r = connect(fd, sa, len);
	if (r < 0 && errno != EINPROGRESS) {
		r = -errno;
		goto err_close;
	}
	if (r < 0) {
		r = wait_fd(fd, POLLOUT, timeout_ms);
		if (r < 0)
			goto err_close;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0) {
			r = -errno;
			goto err_close;
		}
		if (err) {
			r = -err;
			goto err_close;
		}
	}
	return conn_new(fd, sa, len, timeout_ms, out);

err_close:
	close(fd);
	return r;
}

int net_connect_host(const char *host, const char *port, int timeout_ms,
		     struct net_conn **out)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res, *ai;
	int r;

	r = getaddrinfo(host, port, &hints, &res);
	if (r == EAI_AGAIN)
		return -EAGAIN;
	if (r == EAI_SYSTEM)
		return -errno;
	if (r != 0)
		return -ENOENT;
	r = -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		r = net_connect_addr(ai->ai_addr, ai->ai_addrlen, timeout_ms,
				     out);
		if (r == 0)
			break;
	}
	freeaddrinfo(res);
	return r;
}

/* After an SSL call failed with err: wait for what it wants, or fail. */
static int tls_wait(struct net_conn *c, int ret)
{
	int e = SSL_get_error(c->ssl, ret);

	if (e == SSL_ERROR_WANT_READ)
		return wait_fd(c->fd, POLLIN, c->timeout_ms);
	if (e == SSL_ERROR_WANT_WRITE)
		return wait_fd(c->fd, POLLOUT, c->timeout_ms);
	if (e == SSL_ERROR_SYSCALL && errno && errno != EAGAIN)
		return -errno;
	if (ERR_peek_error())
		ERR_error_string_n(ERR_get_error(), c->tls_err,
				   sizeof(c->tls_err));
	ERR_clear_error();
	/* includes OpenSSL 3's "unexpected eof while reading" */
	return e == SSL_ERROR_ZERO_RETURN ? -ENOTCONN : -ECONNABORTED;
}

ssize_t net_read(struct net_conn *c, void *buf, size_t len)
{
	ssize_t n;
	int r;

	for (;;) {
		if (c->ssl) {
			errno = 0;
			r = SSL_read(c->ssl, buf,
				     len > INT32_MAX ? INT32_MAX : (int)len);
			if (r > 0)
				return r;
			if (SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN)
				return 0; /* close_notify: a clean end */
			r = tls_wait(c, r);
			if (r < 0)
				return r;
			continue;
		}
		n = recv(c->fd, buf, len, 0);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		r = wait_fd(c->fd, POLLIN, c->timeout_ms);
		if (r < 0)
			return r;
	}
}

int net_write_all(struct net_conn *c, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;
	int r;

	while (len > 0) {
		if (c->ssl) {
			errno = 0;
			r = SSL_write(c->ssl, p,
				      len > INT32_MAX ? INT32_MAX : (int)len);
			if (r > 0) {
				p += r;
				len -= (size_t)r;
				continue;
			}
			r = tls_wait(c, r);
			if (r < 0)
				return r == -ENOTCONN ? -EPIPE : r;
			continue;
		}
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		r = wait_fd(c->fd, POLLOUT, c->timeout_ms);
		if (r < 0)
			return r;
	}
	return 0;
}

int net_tls_handshake(struct net_conn *c, SSL *ssl)
{
	int r;

	if (!SSL_set_fd(ssl, c->fd)) {
		SSL_free(ssl);
		return -ENOMEM;
	}
	c->ssl = ssl;
	for (;;) {
		errno = 0;
		r = SSL_connect(ssl);
		if (r == 1)
			return 0;
		r = tls_wait(c, r);
		if (r == -ETIMEDOUT)
			return r;
		if (r < 0)
			return -EPROTO;
	}
}

SSL *net_tls(const struct net_conn *c)
{
	return c->ssl;
}

const char *net_tls_error(const struct net_conn *c)
{
	return c->tls_err;
}

bool net_readable(struct net_conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	char b;
	int r;

	if (c->ssl && SSL_pending(c->ssl) > 0)
		return true;
	if (poll(&p, 1, 0) <= 0)
		return false;
	if (!c->ssl)
		return true;
	/* TLS records that carry no data (TLS 1.3 session tickets) are
	 * not a reply: look past them */
	r = SSL_peek(c->ssl, &b, 1);
	if (r > 0)
		return true;
	r = SSL_get_error(c->ssl, r);
	if (r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE) {
		ERR_clear_error();
		return false;
	}
	/* an alert (TLS 1.3 "certificate required" comes only now) */
	if (ERR_peek_error())
		ERR_error_string_n(ERR_get_error(), c->tls_err,
				   sizeof(c->tls_err));
	ERR_clear_error();
	return true;
}

void net_set_timeout(struct net_conn *c, int timeout_ms)
{
	c->timeout_ms = timeout_ms;
}

int net_peer_addr(const struct net_conn *c, struct sockaddr_storage *ss,
		  socklen_t *len)
{
	memcpy(ss, &c->peer, c->peer_len);
	*len = c->peer_len;
	return 0;
}

const char *net_peer_str(const struct net_conn *c)
{
	return c->peer_str;
}

void net_close(struct net_conn *c)
{
	if (!c)
		return;
	if (c->ssl) {
		/* close_notify: for an upload, the server's proof that the
		 * file ended here and was not cut off */
		if (SSL_is_init_finished(c->ssl)) {
			char b;

			/* take in what already arrived (TLS 1.3 tickets the
			 * next data connection resumes with) */
			SSL_peek(c->ssl, &b, 1);
			SSL_shutdown(c->ssl);
		}
		SSL_free(c->ssl);
		ERR_clear_error();
	}
	close(c->fd);
	free(c);
}

int net_local_addr(const struct net_conn *c, struct sockaddr_storage *ss,
		   socklen_t *len)
{
	*len = sizeof(*ss);
	return getsockname(c->fd, (struct sockaddr *)ss, len) < 0 ? -errno : 0;
}

struct net_listener {
	int fd;
	unsigned port;
};

static void set_port(struct sockaddr_storage *ss, unsigned port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
}

int net_listen(const struct sockaddr_storage *ss, socklen_t len,
	       unsigned port_lo, unsigned port_hi, struct net_listener **out)
{
	struct sockaddr_storage a = *ss, got;
	socklen_t gl = sizeof(got);
	struct net_listener *l;
	unsigned port, span, start, i;
	int fd, r = -EADDRINUSE;

	fd = socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	span = port_hi >= port_lo && port_lo ? port_hi - port_lo + 1 : 1;
	start = span > 1 ? (unsigned)random() % span : 0;
	for (i = 0; i < span; i++) {
		port = port_lo ? port_lo + (start + i) % span : 0;
		set_port(&a, port);
		if (bind(fd, (struct sockaddr *)&a, len) == 0) {
			r = 0;
			break;
		}
		r = -errno;
	}
	if (r == 0 && listen(fd, 4) < 0)
		r = -errno;
	if (r == 0 && getsockname(fd, (struct sockaddr *)&got, &gl) < 0)
		r = -errno;
	l = r == 0 ? calloc(1, sizeof(*l)) : NULL;
	if (!l) {
		close(fd);
		return r ? r : -ENOMEM;
	}
	l->fd = fd;
	l->port = ntohs(got.ss_family == AF_INET6
				? ((struct sockaddr_in6 *)&got)->sin6_port
				: ((struct sockaddr_in *)&got)->sin_port);
	*out = l;
	return 0;
}

unsigned net_listener_port(const struct net_listener *l)
{
	return l->port;
}

static bool same_host(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr,
			       sizeof(struct in6_addr));
	return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
	       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
}

int net_accept_from(struct net_listener *l, const struct sockaddr_storage *from,
		    int timeout_ms, struct net_conn **out)
{
	struct timespec t0, t;
	struct sockaddr_storage peer;
	socklen_t pl;
	int fd, r, left;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = timeout_ms - (int)((t.tv_sec - t0.tv_sec) * 1000 +
					  (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return -ETIMEDOUT;
		r = wait_fd(l->fd, POLLIN, left);
		if (r < 0)
			return r;
		pl = sizeof(peer);
		fd = accept4(l->fd, (struct sockaddr *)&peer, &pl,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR ||
			    errno == ECONNABORTED)
				continue;
			return -errno;
		}
		if (!same_host(&peer, from)) {
			/* RFC 2577 "FTP security considerations": only the
			 * server may deliver our data */
			close(fd);
			continue;
		}
		return conn_new(fd, (struct sockaddr *)&peer, pl, timeout_ms,
				out);
	}
}

void net_listener_close(struct net_listener *l)
{
	if (!l)
		return;
	close(l->fd);
	free(l);
}
