/* tls — OpenSSL for the control and data connections.
 *
 * Owns the SSL_CTX (TLS >= 1.2), certificate verification (system CAs or a
 * CA file, host name or IP address, or a pinned SHA-256 fingerprint of the
 * server certificate), the client certificate, and TLS session reuse: data
 * connections resume the control connection's session (RFC 4217 9; vsftpd
 * require_ssl_reuse and FileZilla Server refuse data connections that do
 * not), with TLS 1.3 tickets captured by a new-session callback.
 *
 * Return rule: 0 or a negative errno; a message for the user in err.
 * Verification failure is -EPERM, its message names the certificate's
 * SHA-256 fingerprint and the options that would accept it.
 */
#ifndef FTPFS_TLS_H
#define FTPFS_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct net_conn;
struct tls_ctx;

struct tls_cfg {
	const char *cafile;	 /* trust these CAs instead of the system's */
	const char *fingerprint; /* "sha256:HEX" (colons allowed) or NULL */
	const char *cert, *key;	 /* client certificate, or NULL */
	bool no_verify;		 /* accept any certificate (insecure) */
};

int tls_ctx_new(const struct tls_cfg *cfg, struct tls_ctx **out, char *err,
		size_t errlen);
void tls_ctx_free(struct tls_ctx *t);

/* Handshake on a control connection to host (SNI and name check). */
int tls_start_control(struct tls_ctx *t, struct net_conn *c, const char *host,
		      char *err, size_t errlen);
/* Handshake on a data connection, resuming ctrl's session: a fresh
 * ticket when there is one, or (again, or none left) the newest session.
 * -EAGAIN when the handshake worked but the session offered was not
 * resumed: a server that requires reuse refuses the connection (425/522),
 * the caller should close it and try again. */
int tls_start_data(struct tls_ctx *t, struct net_conn *data,
		   struct net_conn *ctrl, const char *host, bool again,
		   char *err, size_t errlen);

#endif
