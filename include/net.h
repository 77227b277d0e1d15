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

/* Resolve host (name, IPv4 or IPv6 literal) and connect to the first
 * address that answers within timeout_ms each. */
int net_connect_host(const char *host, const char *port, int timeout_ms,
		     struct net_conn **out);
/* Connect to an address (family from sa) with a deadline. */
int net_connect_addr(const struct sockaddr *sa, socklen_t len, int timeout_ms,
		     struct net_conn **out);

/* Read at most len bytes; 0 = orderly end of stream. */
ssize_t net_read(struct net_conn *c, void *buf, size_t len);
/* Write all of buf or fail. */
int net_write_all(struct net_conn *c, const void *buf, size_t len);
/* True when bytes (or the end of the stream) are waiting to be read. */
bool net_readable(const struct net_conn *c);
/* Change the per-operation deadline (milliseconds, > 0). */
void net_set_timeout(struct net_conn *c, int timeout_ms);

/* Address of the peer / of our end. */
int net_peer_addr(const struct net_conn *c, struct sockaddr_storage *ss,
		  socklen_t *len);
/* Printable peer address ("127.0.0.1" or "::1"). */
const char *net_peer_str(const struct net_conn *c);

/* Close and free; NULL is fine. */
void net_close(struct net_conn *c);

#endif
