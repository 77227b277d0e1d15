/* net — TCP connections with a deadline on every operation.
 *
 * Knows nothing of FTP. Every function returns 0 (or a byte count) on
 * success and a negative errno on failure: -ETIMEDOUT when the deadline
 * passes, -ECONNRESET/-EPIPE when the peer goes away, -EHOSTUNREACH etc.
 * from connect, -ENOENT when a host name does not resolve.
 */
#ifndef FTPFS_NET_H
#define FTPFS_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

struct net_conn;
struct ssl_st;

/* Resolve host (name, IPv4 or IPv6 literal) and connect to the first
 * address that answers within timeout_ms each. */
int net_connect_host(const char *host, const char *port, int timeout_ms,
		     struct net_conn **out);
/* Connect to an address (family from sa) with a deadline. */
int net_connect_addr(const struct sockaddr *sa, socklen_t len, int timeout_ms,
		     struct net_conn **out);

/* Read at most len bytes; 0 = orderly end of stream (for TLS: the peer's
 * close_notify; an end without it is -ECONNABORTED, a truncation). */
ssize_t net_read(struct net_conn *c, void *buf, size_t len);
/* Write all of buf or fail. */
int net_write_all(struct net_conn *c, const void *buf, size_t len);
/* True when bytes (or the end of the stream) are waiting to be read. */
bool net_readable(struct net_conn *c);
/* Change the per-operation deadline (milliseconds, > 0). */
void net_set_timeout(struct net_conn *c, int timeout_ms);

/* Address of the peer / of our end. */
int net_peer_addr(const struct net_conn *c, struct sockaddr_storage *ss,
		  socklen_t *len);
/* Printable peer address ("127.0.0.1" or "::1"). */
const char *net_peer_str(const struct net_conn *c);

/* Run a TLS client handshake over the connection with ssl (configured by
 * the caller; net takes ownership). From then on reads and writes go
 * through TLS. -EPROTO when the handshake fails (see the ssl's verify
 * result). */
int net_tls_handshake(struct net_conn *c, struct ssl_st *ssl);
/* The connection's SSL, or NULL. */
struct ssl_st *net_tls(const struct net_conn *c);
/* OpenSSL's reason for the last TLS failure on c, or "". */
const char *net_tls_error(const struct net_conn *c);

/* Address of our end. */
int net_local_addr(const struct net_conn *c, struct sockaddr_storage *ss,
		   socklen_t *len);

/* A listening socket for active-mode data connections. */
struct net_listener;
/* Listen on the address in ss (its port ignored) at a port in
 * [port_lo, port_hi] (0, 0: any). */
int net_listen(const struct sockaddr_storage *ss, socklen_t len,
	       unsigned port_lo, unsigned port_hi, struct net_listener **out);
/* The port it listens on. */
unsigned net_listener_port(const struct net_listener *l);
/* Accept one connection from the address of `from` (any port) within
 * timeout_ms; connections from elsewhere are closed and ignored.
 * -ETIMEDOUT when none came. */
int net_accept_from(struct net_listener *l, const struct sockaddr_storage *from,
		    int timeout_ms, struct net_conn **out);
void net_listener_close(struct net_listener *l);

/* Close and free; NULL is fine. A TLS connection sends close_notify
 * first. */
void net_close(struct net_conn *c);

#endif
