/* config — the modules' configurations, from ftpfs's options.
 *
 * Each *_from_opts() fills one module's configuration (session.h, pool.h,
 * tls.h, prefetch.h, fs.h, wfile.h, cache.h) from struct ftpfs_opts, whose
 * defaults are options.c's table. The tuning numbers that are no options
 * (how long a parked session is kept, when idle sessions close, the cache
 * bound, prefetch's workers and queue) are here too. What the structs
 * point to (o's and u's strings) must outlive them. Return rule: 0 or a
 * negative errno, with a one-line message in err.
 */
#ifndef FTPFS_CONFIG_H
#define FTPFS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct cache;
struct fs_ctx;
struct ftp_url;
struct ftpfs_opts;
struct pool;
struct pool_cfg;
struct prefetch_cfg;
struct proxy_cfg;
struct session_cfg;
struct tls_cfg;
struct wfile_table;

/* What needs neither credentials nor the network: the TLS mode (from the
 * URL's scheme, tls=, ssl), the network timeout, pasv_ip, disable_epsv,
 * no_pipeline, disable_mlsd, ftp_trace, tls_data=, active mode. */
void session_cfg_from_opts(const struct ftpfs_opts *o, const struct ftp_url *u,
			   struct session_cfg *s);
/* ftp_port=: the address to announce (*addr, malloc'd, or NULL) and the
 * port range, into s. */
int session_port_from_opts(const struct ftpfs_opts *o, struct session_cfg *s,
			   char **addr, char *err, size_t errlen);
/* proxy= (opts_proxy()) into *proxy, which s then points to; refused with
 * active mode, which cannot work through a proxy. */
int session_proxy_from_opts(const struct ftpfs_opts *o, struct session_cfg *s,
			    struct proxy_cfg *proxy, char *err, size_t errlen);
/* The server, login and path: u's strings (after credentials_get() and
 * the codepage's conversion of the path). */
void session_cfg_set_url(struct session_cfg *s, const struct ftp_url *u);
/* -o verify_upload[=ALGO] into s: the algorithm, which the server must
 * offer (caps: FEAT's HASH or its X command); without ALGO the strongest
 * offered. -EOPNOTSUPP when it offers none. Nothing without the option. */
int session_verify_from_opts(const struct ftpfs_opts *o, unsigned caps,
			     struct session_cfg *s, char *err, size_t errlen);

void tls_cfg_from_opts(const struct ftpfs_opts *o, struct tls_cfg *t);
void pool_cfg_from_opts(const struct ftpfs_opts *o, struct pool_cfg *p);

/* The cache's lifetime and bound; NULL when out of memory. */
struct cache *cache_from_opts(const struct ftpfs_opts *o);
/* The spool (spool_dir=, else $TMPDIR, else /var/tmp; spool_max=). */
int wfile_table_from_opts(const struct ftpfs_opts *o, struct pool *p,
			  struct wfile_table **out, char *err, size_t errlen);
/* Whether to prefetch listings: it needs the cache to keep them and a
 * session to spare beside the user's. When so, true, with *p and the
 * lifetime of an unused prefetched listing in *unused. */
bool prefetch_cfg_from_opts(const struct ftpfs_opts *o, struct prefetch_cfg *p,
			    double *unused);
/* The file system's options: ignore_attr_errors, cache_timeout,
 * max_entries, parallel_read (default connections-1). */
void fs_ctx_from_opts(const struct ftpfs_opts *o, struct fs_ctx *c);

#endif
