/* url — the ftp:// URL, a proxy's URL and ftp_port=. See url.h. */
#include "url.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) into a new string; NULL on bad escapes or a
 * decoded CR, LF or NUL. */
static char *pct_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				goto bad;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0' || c == '\r' || c == '\n')
			goto bad;
		*o++ = c;
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

void url_free(struct ftp_url *u)
{
	free(u->user);
	free(u->pass);
	free(u->host);
	free(u->port);
	free(u->path);
	memset(u, 0, sizeof(*u));
}

static int url_err(struct ftp_url *u, char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "invalid URL: %s", msg);
	url_free(u);
	return -EINVAL;
}

/* [user[:pass]@]host[:port] from p up to the first '/', '?' or '#' (or
 * the end) into u; *rest is where it stopped. */
static int parse_authority(const char *p, const char *def_port,
			   struct ftp_url *u, const char **rest, char *err,
			   size_t errlen)
{
	const char *auth_end, *at, *hp, *hend, *colon;
	size_t i;

	auth_end = p + strcspn(p, "/?#");
	/* the last '@' before the path: passwords may contain '@' */
	at = NULL;
	for (hp = p; hp < auth_end; hp++)
		if (*hp == '@')
			at = hp;
	hp = p;
	if (at) {
		colon = memchr(p, ':', (size_t)(at - p));
		u->user = pct_decode(p, (size_t)((colon ? colon : at) - p));
		if (!u->user || !*u->user)
			return url_err(u, err, errlen, "bad user name");
		if (colon) {
			u->pass =
				pct_decode(colon + 1, (size_t)(at - colon - 1));
			if (!u->pass)
				return url_err(u, err, errlen, "bad password");
		}
		hp = at + 1;
	}
	if (*hp == '[') {
		hend = memchr(hp, ']', (size_t)(auth_end - hp));
		if (!hend || hend == hp + 1)
			return url_err(u, err, errlen, "bad IPv6 address");
		u->host = strndup(hp + 1, (size_t)(hend - hp - 1));
		hend++;
		if (hend < auth_end && *hend != ':')
			return url_err(u, err, errlen, "junk after ']'");
	} else {
		hend = memchr(hp, ':', (size_t)(auth_end - hp));
		if (!hend)
			hend = auth_end;
		u->host = strndup(hp, (size_t)(hend - hp));
	}
	if (!u->host || !*u->host)
		return url_err(u, err, errlen, "no host");
	for (i = 0; u->host[i]; i++) {
		char c = u->host[i];

		if (!(c == '.' || c == '-' || c == ':' || c == '_' ||
		      (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || (unsigned char)c >= 0x80))
			return url_err(u, err, errlen, "bad host name");
	}
	if (u->host[0] == '-')
		return url_err(u, err, errlen, "host may not begin with '-'");
	if (hend < auth_end && *hend == ':') {
		const char *q = hend + 1;
		unsigned long v = 0;

		if (q == auth_end)
			return url_err(u, err, errlen, "empty port");
		for (; q < auth_end; q++) {
			if (*q < '0' || *q > '9')
				return url_err(u, err, errlen, "bad port");
			v = v * 10 + (unsigned long)(*q - '0');
			if (v > 65535)
				return url_err(u, err, errlen, "bad port");
		}
		if (v == 0)
			return url_err(u, err, errlen, "bad port");
		u->port = strndup(hend + 1, (size_t)(auth_end - hend - 1));
	} else {
		u->port = strdup(def_port);
	}
	if (!u->port)
		return url_err(u, err, errlen, "out of memory");
	*rest = auth_end;
	return 0;
}

int url_parse(const char *s, struct ftp_url *u, char *err, size_t errlen)
{
	const char *p, *auth_end;
	const char *def_port = "21";

	memset(u, 0, sizeof(*u));
	if (!s || !*s)
		return url_err(u, err, errlen, "empty");
	if (strpbrk(s, "\r\n"))
		return url_err(u, err, errlen, "contains a line break");
	if (!strncasecmp(s, "ftp://", 6)) {
		p = s + 6;
	} else if (!strncasecmp(s, "ftps://", 7)) {
		p = s + 7;
		u->implicit_tls = true;
		def_port = "990";
	} else if (!strncasecmp(s, "ftpes://", 8)) {
		p = s + 8;
		u->explicit_tls = true;
	} else if (strstr(s, "://")) {
		return url_err(u, err, errlen,
			       "scheme must be ftp://, ftps:// or ftpes://");
	} else {
		p = s; /* "host/path", as curlftpfs took it */
	}
	if (parse_authority(p, def_port, u, &auth_end, err, errlen) < 0)
		return -EINVAL;
	if (*auth_end && *auth_end != '/')
		return url_err(u, err, errlen, "'?' and '#' are not allowed");
	p = *auth_end ? auth_end + 1 : auth_end;
	u->path = pct_decode(p, strlen(p));
	if (!u->path)
		return url_err(u, err, errlen, "bad path");
	return 0;
}

char *url_display(const struct ftp_url *u)
{
	const char *scheme = u->implicit_tls   ? "ftps"
			     : u->explicit_tls ? "ftpes"
					       : "ftp";
	bool v6 = strchr(u->host, ':') != NULL;
	size_t n = strlen(scheme) + strlen(u->host) + strlen(u->port) +
		   strlen(u->path) + (u->user ? strlen(u->user) : 0) + 16;
	char *s = malloc(n);

	if (!s)
		return NULL;
	snprintf(s, n, "%s://%s%s%s%s%s:%s/%s", scheme, u->user ? u->user : "",
		 u->user ? "@" : "", v6 ? "[" : "", u->host, v6 ? "]" : "",
		 u->port, u->path);
	return s;
}

static const struct {
	const char *scheme;
	enum proxy_kind kind;
} proxy_schemes[] = {
	/* the name is always resolved by the proxy: socks5 is socks5h */
	{ "socks5h://", PROXY_SOCKS5 },	 { "socks5://", PROXY_SOCKS5 },
	{ "socks4a://", PROXY_SOCKS4A }, { "socks4://", PROXY_SOCKS4A },
	{ "http://", PROXY_HTTP },
};

void opts_proxy_free(struct proxy_cfg *p)
{
	free(p->host);
	free(p->port);
	free(p->user);
	if (p->pass)
		explicit_bzero(p->pass, strlen(p->pass));
	free(p->pass);
	memset(p, 0, sizeof(*p));
}

int opts_proxy_parse(const char *s, int bare_kind, struct proxy_cfg *out,
		     char *err, size_t errlen)
{
	struct ftp_url u = { 0 };
	const char *p = s, *rest;
	char why[200];
	size_t i;

	memset(out, 0, sizeof(*out));
	out->kind = bare_kind ? (enum proxy_kind)bare_kind : PROXY_HTTP;
	for (i = 0; i < sizeof(proxy_schemes) / sizeof(proxy_schemes[0]); i++)
		if (!strncasecmp(s, proxy_schemes[i].scheme,
				 strlen(proxy_schemes[i].scheme))) {
			out->kind = proxy_schemes[i].kind;
			p = s + strlen(proxy_schemes[i].scheme);
			break;
		}
	if (p == s && strstr(s, "://")) {
		snprintf(err, errlen,
			 "proxy must be socks5://, socks4:// or "
			 "http://[user:pass@]host[:port]");
		return -EINVAL;
	}
	if (strpbrk(s, "\r\n") ||
	    parse_authority(p, "1080", &u, &rest, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "invalid proxy: %s",
			 strpbrk(s, "\r\n") ? "contains a line break"
					    : why + strlen("invalid URL: "));
		return -EINVAL;
	}
	if (*rest && strcmp(rest, "/")) {
		url_free(&u);
		snprintf(err, errlen, "invalid proxy: a proxy has no path");
		return -EINVAL;
	}
	out->host = u.host;
	out->port = u.port;
	out->user = u.user;
	out->pass = u.pass;
	return 0;
}

static int port_num(const char *s, const char *end, unsigned *out)
{
	unsigned v = 0;

	if (s == end)
		return -EINVAL;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > 65535)
			return -EINVAL;
	}
	if (v == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

int ftp_port_parse(const char *s, char **addr, unsigned *lo, unsigned *hi)
{
	const char *ports = NULL, *dash;
	size_t al;

	*addr = NULL;
	*lo = *hi = 0;
	if (!strcmp(s, "-") || !*s)
		return 0;
	if (*s == '[') {
		const char *e = strchr(s, ']');

		if (!e || (e[1] && e[1] != ':'))
			return -EINVAL;
		*addr = strndup(s + 1, (size_t)(e - s - 1));
		ports = e[1] ? e + 2 : NULL;
	} else {
		const char *c = strchr(s, ':');

		if (c && strchr(c + 1, ':'))
			c = NULL; /* a bare IPv6 address */
		al = c ? (size_t)(c - s) : strlen(s);
		if (al && !(al == 1 && *s == '-'))
			*addr = strndup(s, al);
		ports = c ? c + 1 : NULL;
	}
	if (ports) {
		dash = strchr(ports, '-');
		if (port_num(ports, dash ? dash : ports + strlen(ports), lo) <
			    0 ||
		    port_num(dash ? dash + 1 : ports, ports + strlen(ports),
			     hi) < 0 ||
		    *hi < *lo) {
			free(*addr);
			*addr = NULL;
			return -EINVAL;
		}
	}
	return 0;
}
