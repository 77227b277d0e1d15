/* config — the modules' configurations, from ftpfs's options. See
 * config.h. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "digest.h"
#include "fs.h"
#include "options.h"
#include "pool.h"
#include "prefetch.h"
#include "session.h"
#include "tls.h"
#include "wfile.h"

/* a parked session idle this long goes back to the pool (pool.h) */
#define PARK_MS 2000
/* sessions idle this long are closed */
#define IDLE_CLOSE_S 600
/* attribute entries plus listed names the cache holds at most: a listed
 * name costs about 70 bytes (cache.c), so about 75 MB when full, and a
 * listing of max_entries' default (1,000,000 names) is kept */
#define CACHE_MAX (1u << 20)
/* prefetch: threads at most (one per spare session), paths queued */
#define PREFETCH_WORKERS_MAX 8
#define PREFETCH_QUEUE_MAX 256

static bool is(const char *s, const char *word)
{
	return s && !strcmp(s, word);
}

void session_cfg_from_opts(const struct ftpfs_opts *o, const struct ftp_url *u,
			   struct session_cfg *s)
{
	if (u->implicit_tls)
		s->tls = SESS_TLS_IMPLICIT;
	else if (u->explicit_tls || o->ssl || is(o->tls, "require"))
		s->tls = SESS_TLS_REQUIRE;
	else if (is(o->tls, "none"))
		s->tls = SESS_TLS_NONE;
	else
		s->tls = SESS_TLS_TRY; /* tls=try, the default */
	s->tls_data_clear = is(o->tls_data, "clear");
	s->active = o->active || o->ftp_port;
	s->timeout_ms = (int)o->timeout * 1000;
	s->pasv_ip = o->pasv_ip;
	s->disable_epsv = o->disable_epsv;
	s->no_pipeline = o->no_pipeline;
	s->disable_mlsd = o->disable_mlsd;
	s->trace = o->ftp_trace;
}

int session_port_from_opts(const struct ftpfs_opts *o, struct session_cfg *s,
			   char **addr, char *err, size_t errlen)
{
	*addr = NULL;
	if (o->ftp_port &&
	    ftp_port_parse(o->ftp_port, addr, &s->port_lo, &s->port_hi) < 0) {
		snprintf(err, errlen, "ftp_port must be ADDR[:PORT[-PORT]]");
		return -EINVAL;
	}
	s->active_addr = *addr;
	return 0;
}

int session_proxy_from_opts(const struct ftpfs_opts *o, struct session_cfg *s,
			    struct proxy_cfg *proxy, char *err, size_t errlen)
{
	int r = opts_proxy(o, proxy, err, errlen);

	if (r < 0)
		return r;
	if (proxy->host && s->active) {
		/* the server would connect to us, past the proxy */
		snprintf(err, errlen,
			 "active mode (-o active, ftp_port=) "
			 "cannot work through a proxy; leave it out");
		return -EINVAL;
	}
	s->proxy = proxy->host ? proxy : NULL;
	return 0;
}

void session_cfg_set_url(struct session_cfg *s, const struct ftp_url *u)
{
	s->host = u->host;
	s->port = u->port;
	s->user = u->user;
	s->pass = u->pass;
	s->path = u->path;
}

int session_verify_from_opts(const struct ftpfs_opts *o, unsigned caps,
			     struct session_cfg *s, char *err, size_t errlen)
{
	int a = o->verify_algo ? digest_from_name(o->verify_algo) : 0;

	if (!o->verify_upload && !o->verify_algo)
		return 0;
	for (; a >= 0 && a < DIGEST_N; a++) {
		if (caps & SESS_CAP_SUM(a)) {
			s->verify_algo = (enum digest_algo)a;
			s->verify_upload = true;
			return 0;
		}
		if (o->verify_algo)
			break;
	}
	if (o->verify_algo)
		snprintf(err, errlen,
			 "verify_upload=%s: the server offers no "
			 "%s checksum (neither HASH nor its X "
			 "command in FEAT)",
			 o->verify_algo, o->verify_algo);
	else
		snprintf(err, errlen,
			 "verify_upload: the server offers no "
			 "checksum (HASH, XSHA256, XSHA1, XMD5 or "
			 "XCRC in FEAT)");
	return -EOPNOTSUPP;
}

void tls_cfg_from_opts(const struct ftpfs_opts *o, struct tls_cfg *t)
{
	t->cafile = o->cafile;
	t->fingerprint = o->fingerprint;
	t->cert = o->cert;
	t->key = o->key;
	t->no_verify = o->no_verify;
}

void pool_cfg_from_opts(const struct ftpfs_opts *o, struct pool_cfg *p)
{
	p->max_sessions = o->connections;
	p->park_ms = PARK_MS;
	p->keepalive_s = (int)o->keepalive;
	p->reconnect_s = (int)o->reconnect_timeout;
	p->hard = o->hard;
	p->idle_close_s = IDLE_CLOSE_S;
}

struct cache *cache_from_opts(const struct ftpfs_opts *o)
{
	return cache_new(o->cache_timeout, CACHE_MAX);
}

int wfile_table_from_opts(const struct ftpfs_opts *o, struct pool *p,
			  struct wfile_table **out, char *err, size_t errlen)
{
	const char *sd = o->spool_dir ? o->spool_dir : getenv("TMPDIR");
	int r;

	if (!sd || !*sd)
		sd = "/var/tmp";
	r = wfile_table_new(p, sd, (uint64_t)o->spool_max << 20,
			    o->ignore_attr_errors, out);
	if (r < 0)
		snprintf(err, errlen, "cannot make a spool directory in %s: %s",
			 sd, strerror(-r));
	return r;
}

bool prefetch_cfg_from_opts(const struct ftpfs_opts *o, struct prefetch_cfg *p,
			    double *unused)
{
	if (o->no_prefetch || o->prefetch_timeout <= 0 ||
	    o->cache_timeout <= 0 || o->connections < 2)
		return false;
	p->workers = o->connections - 1 < PREFETCH_WORKERS_MAX
			     ? o->connections - 1
			     : PREFETCH_WORKERS_MAX;
	p->queue_max = PREFETCH_QUEUE_MAX;
	*unused = o->prefetch_timeout < o->cache_timeout ? o->prefetch_timeout
							 : o->cache_timeout;
	return true;
}

void fs_ctx_from_opts(const struct ftpfs_opts *o, struct fs_ctx *c)
{
	c->ignore_attr_errors = o->ignore_attr_errors;
	c->cache_timeout = o->cache_timeout;
	c->max_entries = o->max_entries;
	/* parallel_read's default, connections-1, is -1 until here */
	c->parallel_read = o->parallel_read >= 0 ? (unsigned)o->parallel_read
						 : o->connections - 1;
}
