/* url — the ftp:// URL, a proxy's URL and ftp_port=: pure parsing.
 *
 * Return rule: 0 or a negative errno, with a one-line message for the user
 * in err where there is one.
 */
#ifndef FTPFS_URL_H
#define FTPFS_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "proxy.h"

struct ftp_url {
	bool implicit_tls; /* ftps:// */
	bool explicit_tls; /* ftpes:// */
	char *user;	   /* percent-decoded, or NULL */
	char *pass;	   /* percent-decoded, or NULL */
	char *host;	   /* without [] for IPv6 literals */
	char *port;	   /* digits */
	char *path;	   /* percent-decoded, without the leading '/' */
};

/* Parse ftp://[user[:pass]@]host[:port][/path] (also ftps://, ftpes://,
 * and a bare host[/path], taken as ftp://). Refuses CR, LF, NUL (also
 * percent-encoded) anywhere and an invalid port. */
int url_parse(const char *s, struct ftp_url *out, char *err, size_t errlen);
void url_free(struct ftp_url *u);
/* "ftp://user@host:port/path" without the password (malloc'd). */
char *url_display(const struct ftp_url *u);

/* Split "ADDR[:LO[-HI]]", "[V6ADDR]:LO-HI", ":LO-HI" or "-" (any). *addr is
 * malloc'd or NULL. */
int ftp_port_parse(const char *s, char **addr, unsigned *lo, unsigned *hi);

/* Parse a proxy: socks5://, socks5h://, socks4://, socks4a:// or http://
 * [user[:pass]@]host[:port][/] (port 1080 unless given), or curlftpfs's
 * bare host:port, of bare_kind (an enum proxy_kind; 0 = HTTP). */
int opts_proxy_parse(const char *s, int bare_kind, struct proxy_cfg *out,
		     char *err, size_t errlen);
void opts_proxy_free(struct proxy_cfg *p);

#endif
