/* tls — OpenSSL contexts, verification and session reuse. See tls.h.
 *
 * Each control connection's SSL carries a `struct conn_state` (ex_data);
 * its data connections' SSLs borrow it. It holds the sessions the server
 * gave (new-session callback) for data connections to resume, and the
 * leaf certificate's fingerprint for error messages.
 *
 * Servers differ in how often a session may be resumed. A TLS 1.2 session
 * can be resumed again and again. A TLS 1.3 ticket may be good for one
 * resumption only (OpenSSL servers with a session cache, as vsftpd uses,
 * remove it when used; they give a new ticket with each resumption), or
 * for any number (stateless tickets, as ProFTPD's mod_tls uses; it gives
 * none on an upload's data connection). So unused tickets are queued,
 * each data connection takes one, the tickets a data connection receives
 * go back into the queue, and when the queue is empty the newest session
 * is resumed again.
 *
 * OpenSSL's client marks a TLS 1.3 session it has resumed as not
 * resumable (SSL_CTX_remove_session at the end of the handshake, with a
 * client session cache): a data connection therefore always gets a copy
 * (SSL_SESSION_dup), and the sessions kept here stay usable. The state
 * has its own mutex.
 */
#include "tls.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "status.h"
#include "net.h"

struct tls_ctx {
	SSL_CTX *ctx;
	unsigned char pin[32];
	bool pinned;
	bool no_verify;
	bool cafile;
};

#define TICKETS 8

struct conn_state {
	pthread_mutex_t lock;
	SSL_SESSION *q[TICKETS]; /* unused TLS 1.3 tickets, newest last */
	int n;			 /* protected by lock, as are q and last */
	SSL_SESSION *last;	 /* newest session of any kind */
	/* fp, fp_hex: set by the first certificate check (verify_cb), in
	 * the handshakes of the session's own thread (its control, then its
	 * data connections, one at a time): no lock */
	char fp[96]; /* leaf certificate, "AA:BB:..." */
	char fp_hex[65];
	const struct tls_ctx *t; /* fixed */
};

static int ex_state = -1, ex_ctx = -1, ex_borrowed = -1;
static pthread_once_t ex_once = PTHREAD_ONCE_INIT;

static void free_state(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
		       long argl, void *argp)
{
	struct conn_state *st = ptr;

	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	if (!st)
		return;
	while (st->n > 0)
		SSL_SESSION_free(st->q[--st->n]);
	SSL_SESSION_free(st->last);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

static void ex_init(void)
{
	ex_state = SSL_get_ex_new_index(0, NULL, NULL, NULL, free_state);
	ex_ctx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	ex_borrowed = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static struct conn_state *state_of(SSL *ssl)
{
	struct conn_state *st = SSL_get_ex_data(ssl, ex_state);

	return st ? st : SSL_get_ex_data(ssl, ex_borrowed);
}

static int new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct conn_state *st = state_of(ssl);

	if (!st)
		return 0;
	pthread_mutex_lock(&st->lock);
	SSL_SESSION_free(st->last);
	st->last = sess; /* the callback's reference */
	if (SSL_SESSION_get_protocol_version(sess) >= TLS1_3_VERSION) {
		if (st->n == TICKETS) {
			SSL_SESSION_free(st->q[0]);
			memmove(st->q, st->q + 1,
				(TICKETS - 1) * sizeof(*st->q));
			st->n--;
		}
		SSL_SESSION_up_ref(sess);
		st->q[st->n++] = sess;
	}
	pthread_mutex_unlock(&st->lock);
	return 1;
}

static void fingerprint(X509 *cert, unsigned char md[32], char *colons,
			char *hex)
{
	unsigned int n = 32;
	int i;

	X509_digest(cert, EVP_sha256(), md, &n);
	for (i = 0; i < 32; i++) {
		snprintf(colons + 3 * i, 4, "%02X%s", md[i], i < 31 ? ":" : "");
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	}
}

static int verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(
		xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	const struct tls_ctx *t = SSL_get_ex_data(ssl, ex_ctx);
	struct conn_state *st = SSL_get_ex_data(ssl, ex_state);
	X509 *cert = X509_STORE_CTX_get_current_cert(xs);
	X509 *leaf = X509_STORE_CTX_get0_cert(xs);
	unsigned char md[32];
	char colons[96], hex[65];

	/* the leaf's fingerprint for the message, whatever depth fails
	 * first (an unknown issuer fails above the leaf) */
	if (st && leaf && !st->fp[0]) {
		fingerprint(leaf, md, colons, hex);
		memcpy(st->fp, colons, sizeof(colons));
		memcpy(st->fp_hex, hex, sizeof(hex));
	}
	if (X509_STORE_CTX_get_error_depth(xs) != 0 || !cert)
		return t && (t->pinned || t->no_verify) ? 1 : ok;
	fingerprint(cert, md, colons, hex);
	if (t && t->pinned)
		return memcmp(md, t->pin, 32) == 0;
	if (t && t->no_verify)
		return 1;
	return ok;
}

/* "sha256:AB:CD..." or "sha256:abcd..." → 32 bytes */
static int parse_pin(const char *s, unsigned char out[32])
{
	int n = 0, hi = -1;

	if (!strncasecmp(s, "sha256:", 7))
		s += 7;
	else if (!strncasecmp(s, "sha256=", 7))
		s += 7;
	for (; *s; s++) {
		int v;

		if (*s == ':' && hi < 0)
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			return -EINVAL;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == 32)
			return -EINVAL;
		out[n++] = (unsigned char)(hi * 16 + v);
		hi = -1;
	}
	return n == 32 && hi < 0 ? 0 : -EINVAL;
}

static void ssl_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	snprintf(err, errlen, "%s%s%s", what, buf[0] ? ": " : "", buf);
}

int tls_ctx_new(const struct tls_cfg *cfg, struct tls_ctx **out, char *err,
		size_t errlen)
{
	struct tls_ctx *t;

	pthread_once(&ex_once, ex_init);
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->ctx = SSL_CTX_new(TLS_client_method());
	if (!t->ctx) {
		ssl_err(err, errlen, "cannot set up TLS");
		free(t);
		return -ENOMEM;
	}
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_session_cache_mode(
		t->ctx,
		SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(t->ctx, new_session_cb);
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, verify_cb);
	if (cfg->fingerprint) {
		if (parse_pin(cfg->fingerprint, t->pin) < 0) {
			snprintf(
				err, errlen,
				"fingerprint must be sha256: and 64 hex digits");
			goto err;
		}
		t->pinned = true;
	}
	t->no_verify = cfg->no_verify;
	t->cafile = cfg->cafile != NULL;
	if (cfg->cafile) {
		if (!SSL_CTX_load_verify_locations(t->ctx, cfg->cafile, NULL)) {
			ssl_err(err, errlen, "cannot load cafile");
			goto err;
		}
	} else if (!SSL_CTX_set_default_verify_paths(t->ctx)) {
		ssl_err(err, errlen, "cannot load the system CA certificates");
		goto err;
	}
	if (cfg->cert || cfg->key) {
		const char *key = cfg->key ? cfg->key : cfg->cert;

		if (!cfg->cert ||
		    SSL_CTX_use_certificate_chain_file(t->ctx, cfg->cert) !=
			    1 ||
		    SSL_CTX_use_PrivateKey_file(t->ctx, key,
						SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(t->ctx) != 1) {
			ssl_err(err, errlen,
				"cannot use the client certificate");
			goto err;
		}
	}
	*out = t;
	return 0;
err:
	SSL_CTX_free(t->ctx);
	free(t);
	return -EINVAL;
}

void tls_ctx_free(struct tls_ctx *t)
{
	if (!t)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}

/* A new SSL for host: SNI (names only) and the name or address check. */
static SSL *new_ssl(struct tls_ctx *t, const char *host)
{
	SSL *ssl = SSL_new(t->ctx);
	bool ip = strchr(host, ':') ||
		  strspn(host, "0123456789.") == strlen(host);

	if (!ssl)
		return NULL;
	SSL_set_ex_data(ssl, ex_ctx, t);
	if (ip) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
	} else {
		SSL_set_tlsext_host_name(ssl, host);
		SSL_set1_host(ssl, host);
	}
	return ssl;
}

static int handshake_failed(SSL *ssl, struct conn_state *st, int r,
			    const char *host, char *err, size_t errlen)
{
	long v = SSL_get_verify_result(ssl);

	if (r == -ETIMEDOUT) {
		snprintf(err, errlen, "TLS handshake with %s timed out", host);
		return r;
	}
	if (v != X509_V_OK && st && st->fp[0]) {
		snprintf(
			err, errlen,
			"cannot verify the TLS certificate of %s (%s); its SHA-256 "
			"fingerprint is %s; if you trust it, add -o "
			"fingerprint=sha256:%s (or -o cafile=FILE with the CA "
			"that signed it)",
			host, X509_verify_cert_error_string(v), st->fp,
			st->fp_hex);
		ERR_clear_error();
		return -EPERM;
	}
	ssl_err(err, errlen, "TLS handshake failed");
	return -EPROTO;
}

int tls_start_control(struct tls_ctx *t, struct net_conn *c, const char *host,
		      char *err, size_t errlen)
{
	struct conn_state *st;
	SSL *ssl;
	int r;

	st = calloc(1, sizeof(*st));
	ssl = st ? new_ssl(t, host) : NULL;
	if (!ssl) {
		free(st);
		return -ENOMEM;
	}
	pthread_mutex_init(&st->lock, NULL);
	st->t = t;
	SSL_set_ex_data(ssl, ex_state, st); /* freed with ssl */
	r = net_tls_handshake(c, ssl);
	if (r == -ENOMEM)
		return r; /* ssl is gone */
	if (r < 0)
		return handshake_failed(ssl, st, r, host, err, errlen);
	if (t->no_verify && SSL_get_verify_result(ssl) != X509_V_OK)
		log_warn("TLS certificate of %s NOT verified (no_verify): "
			 "SHA-256 %s",
			 host, st->fp);
	status_tls(SSL_get_version(ssl),
		   SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)),
		   t->pinned	  ? "pinned SHA-256 fingerprint"
		   : t->no_verify ? "nothing (no_verify)"
		   : t->cafile	  ? "cafile and host name"
				  : "system CAs and host name");
	return 0;
}

/* A copy of the session for a data connection to resume (see the top):
 * a fresh ticket from the queue unless `again`, else the newest session,
 * else the control connection's own. NULL when there is none that can be
 * resumed. */
static SSL_SESSION *data_session(struct conn_state *st, SSL *cs, bool again)
{
	SSL_SESSION *sess = NULL, *copy;

	pthread_mutex_lock(&st->lock);
	if (st->n > 0 && !again) {
		sess = st->q[--st->n]; /* a fresh ticket, used once */
	} else if (st->last) {
		sess = st->last;
		SSL_SESSION_up_ref(sess);
	}
	pthread_mutex_unlock(&st->lock);
	if (!sess && SSL_get0_session(cs)) {
		sess = SSL_get0_session(cs);
		SSL_SESSION_up_ref(sess);
	}
	if (!sess)
		return NULL;
	/* a TLS 1.3 session without a ticket cannot be offered */
	copy = SSL_SESSION_is_resumable(sess) ? SSL_SESSION_dup(sess) : NULL;
	SSL_SESSION_free(sess);
	return copy;
}

int tls_start_data(struct tls_ctx *t, struct net_conn *data,
		   struct net_conn *ctrl, const char *host, bool again,
		   char *err, size_t errlen)
{
	SSL *cs = net_tls(ctrl), *ssl;
	struct conn_state *st = cs ? SSL_get_ex_data(cs, ex_state) : NULL;
	SSL_SESSION *sess = NULL;
	int r;

	ssl = new_ssl(t, host);
	if (!ssl)
		return -ENOMEM;
	if (st) {
		sess = data_session(st, cs, again);
		if (sess) {
			SSL_set_session(ssl, sess);
			SSL_SESSION_free(sess); /* the ssl holds it */
		}
		/* tickets this connection receives go to the same queue */
		SSL_set_ex_data(ssl, ex_borrowed, st);
	}
	r = net_tls_handshake(data, ssl);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return handshake_failed(ssl, NULL, r, host, err, errlen);
	if (sess && !SSL_session_reused(ssl)) {
		snprintf(err, errlen,
			 "the server did not resume the TLS session on the "
			 "data connection");
		return -EAGAIN;
	}
	return 0;
}
