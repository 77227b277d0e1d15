/* proxy — reach host:port through a SOCKS5, SOCKS4a or HTTP CONNECT proxy.
 *
 * Knows nothing of FTP: it hands back a net_conn that is a byte stream to
 * the far host, as net_connect_host() would. The far host's name is sent
 * to the proxy and resolved there (SOCKS5 ATYP 3, SOCKS4a, CONNECT name),
 * unless it is an address literal. Proxy credentials go into the SOCKS5
 * username/password exchange (RFC 1929), the SOCKS4 user id (no password)
 * or an HTTP Basic Proxy-Authorization header, and nowhere else.
 *
 * Return rule: 0 or a negative errno. The parsers are pure and bounded
 * (fuzzed in tests/fuzz/fuzz_proxy.c).
 */
#ifndef FTPFS_PROXY_H
#define FTPFS_PROXY_H

#include <stddef.h>
#include <sys/types.h>

struct net_conn;

enum proxy_kind {
	PROXY_SOCKS5 = 1, /* RFC 1928 + RFC 1929 */
	PROXY_SOCKS4A,	  /* SOCKS4 with the 4a name extension */
	PROXY_HTTP,	  /* HTTP/1.1 CONNECT, Basic authentication */
};

struct proxy_cfg {
	enum proxy_kind kind;
	char *host; /* the proxy's name or address (no brackets) */
	char *port; /* the proxy's port, digits */
	char *user; /* NULL = no authentication */
	char *pass; /* NULL = "" */
};

/* Longest HTTP reply header we read, and longest line in it. */
#define PROXY_HTTP_MAX 8192
#define PROXY_LINE_MAX 1024

/* Connect to the proxy and ask it for a connection to host:port, all
 * within timeout_ms for the connect and timeout_ms for the exchange after
 * it. Errors (the message for the user, naming the proxy, in err):
 * what net_connect_host() returns for the proxy itself (-ECONNREFUSED,
 * -ENOENT: unknown proxy host, -ETIMEDOUT...); -EACCES when the proxy
 * refuses our credentials or wants some; what the proxy reports of the
 * far host (-ECONNREFUSED, -EHOSTUNREACH, -ENETUNREACH, -ETIMEDOUT);
 * -EPROTO for a reply that is not the protocol's. Nothing is left open on
 * failure; on success the connection's timeout is timeout_ms. */
int proxy_connect(const struct proxy_cfg *p, const char *host, const char *port,
		  int timeout_ms, struct net_conn **out, char *err,
		  size_t errlen);

/* "socks5://host:port" (no credentials) into buf; returns buf. */
const char *proxy_name(const struct proxy_cfg *p, char *buf, size_t n);

/* The SOCKS5 reply to CONNECT, b[0..n) as read so far: 0 when b is the
 * whole reply and it grants the connection; -EAGAIN with *need set to the
 * length the reply has (known from its first 5 bytes) when n is short of
 * it; -EPROTO when it is not a SOCKS5 reply; the errno of the reply code
 * otherwise (rep in *rep, also on -EPROTO once known, else -1). */
int proxy_socks5_reply(const unsigned char *b, size_t n, size_t *need,
		       int *rep);
/* The 8-byte SOCKS4 reply: 0 granted, else its errno (-EPROTO when the
 * version byte is not 0 or the code unknown). */
int proxy_socks4_reply(const unsigned char b[8]);
/* The HTTP reply header to CONNECT, b[0..n) as read so far: its length
 * once b ends with the empty line that ends it (*status then set), 0 while
 * more is needed, -EPROTO when the status line is not "HTTP/1.x NNN",
 * -EMSGSIZE past PROXY_HTTP_MAX bytes or a line past PROXY_LINE_MAX. */
ssize_t proxy_http_reply(const char *b, size_t n, int *status);

#endif
