/* session_data — data connections and the transfer (session_int.h).
 *
 * Ordering rules (RFC 959, RFC 2428, RFC 3659):
 *  - REST is the last command before RETR ("The REST command must be the
 *    last command issued before the data transfer command", RFC 3659 5.3),
 *    so EPSV/PASV comes first;
 *  - the address in a PASV reply is ignored unless cfg->pasv_ip: the data
 *    connection goes to the control connection's peer (a hostile server
 *    could otherwise point us at any host: the "FTP bounce" problem);
 *    through a proxy the control connection's peer is the proxy, so the
 *    data connection goes through it to cfg->host, as the control did;
 *  - an early stop closes the data connection, sends ABOR, and once ABOR's
 *    first reply is in, PWD, and reads replies until PWD's 257: whatever
 *    the server answered to the transfer and to ABOR (426+226, 225, 226
 *    alone...) is consumed, and the channel is in sync again. If that
 *    fails the session is broken.
 */
#include "session_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "log.h"
#include "net.h"
#include "proxy.h"
#include "reply.h"
#include "status.h"
#include "tls.h"

bool session_xfer_active(const struct ftp_session *s)
{
	return s->data != NULL;
}

/* "229 Entering Extended Passive Mode (|||6446|)" (RFC 2428) */
static int parse_epsv(const char *t, unsigned *port)
{
	const char *p = strchr(t, '(');
	unsigned v = 0;
	char d;

	if (!p || !p[1])
		return -EPROTO;
	d = p[1];
	if (d < 33 || d > 126 || p[2] != d || p[3] != d)
		return -EPROTO;
	p += 4;
	if (*p < '0' || *p > '9')
		return -EPROTO;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned)(*p++ - '0');
		if (v > 65535)
			return -EPROTO;
	}
	if (*p != d || v == 0)
		return -EPROTO;
	*port = v;
	return 0;
}

/* "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)": six numbers 0..255 */
static int parse_pasv(const char *t, unsigned char nums[6])
{
	const char *p = t;
	int i;

	while (*p && (*p < '0' || *p > '9'))
		p++;
	for (i = 0; i < 6; i++) {
		unsigned v = 0;
		int digits = 0;

		while (*p >= '0' && *p <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*p++ - '0');
			digits++;
		}
		if (!digits || v > 255)
			return -EPROTO;
		nums[i] = (unsigned char)v;
		if (i < 5) {
			if (*p != ',')
				return -EPROTO;
			p++;
		}
	}
	return 0;
}

/* "a.b.c.d" → four numbers, without sscanf. */
static int sscanf_free_ipv4(const char *h, unsigned a[4])
{
	int i;

	for (i = 0; i < 4; i++) {
		unsigned v = 0, d = 0;

		while (*h >= '0' && *h <= '9' && d < 3) {
			v = v * 10 + (unsigned)(*h++ - '0');
			d++;
		}
		if (!d || v > 255 || (i < 3 && *h++ != '.'))
			return -EINVAL;
		a[i] = v;
	}
	return *h ? -EINVAL : 0;
}

/* Active mode (RFC 959 PORT, RFC 2428 EPRT): listen, tell the server. */
static int open_active(struct ftp_session *s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char host[INET6_ADDRSTRLEN], arg[128];
	unsigned port, a[4];
	int code, r;
	bool v6;

	r = net_local_addr(s->ctrl, &ss, &len);
	if (r < 0)
		return r;
	if (s->cfg->active_addr) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		memset(&ss, 0, sizeof(ss));
		if (inet_pton(AF_INET, s->cfg->active_addr, &in->sin_addr) ==
		    1) {
			in->sin_family = AF_INET;
			len = sizeof(*in);
		} else if (inet_pton(AF_INET6, s->cfg->active_addr,
				     &in6->sin6_addr) == 1) {
			in6->sin6_family = AF_INET6;
			len = sizeof(*in6);
		} else {
			return -EINVAL;
		}
	}
	r = net_listen(&ss, len, s->cfg->port_lo, s->cfg->port_hi,
		       &s->listener);
	if (r < 0)
		return sess_fail(s, r, "listening for the data connection");
	port = net_listener_port(s->listener);
	v6 = ss.ss_family == AF_INET6;
	inet_ntop(ss.ss_family,
		  v6 ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
		     : (void *)&((struct sockaddr_in *)&ss)->sin_addr,
		  host, sizeof(host));
	if (!s->q.no_eprt) {
		snprintf(arg, sizeof(arg), "|%d|%s|%u|", v6 ? 2 : 1, host,
			 port);
		code = session_cmd(s, "EPRT", arg);
		if (code == 200)
			return 0;
		if (code < 0 || code < 500 || v6) {
			r = code < 0 ? code : sess_refused(s, code, false);
			goto err;
		}
		sess_quirk(s, QK_NO_EPRT, 1);
	}
	if (sscanf_free_ipv4(host, a) < 0) {
		r = -EPROTO;
		goto err;
	}
	snprintf(arg, sizeof(arg), "%u,%u,%u,%u,%u,%u", a[0], a[1], a[2], a[3],
		 port >> 8, port & 255);
	code = session_cmd(s, "PORT", arg);
	if (code == 200)
		return 0;
	r = code < 0 ? code : sess_refused(s, code, false);
err:
	net_listener_close(s->listener);
	s->listener = NULL;
	return r;
}

/* Through the proxy: to the server's name, as the control connection
 * (the proxy resolves it; our peer is the proxy, not the server), or with
 * pasv_ip to the PASV reply's address. */
static int dial_data_proxy(struct ftp_session *s, unsigned port,
			   const unsigned char *ip)
{
	char host[INET_ADDRSTRLEN], ps[8], why[400];
	int r;

	snprintf(ps, sizeof(ps), "%u", port);
	if (ip)
		inet_ntop(AF_INET, ip, host, sizeof(host));
	r = proxy_connect(s->cfg->proxy, ip ? host : s->cfg->host, ps,
			  s->cfg->timeout_ms, &s->data, why, sizeof(why));
	if (r < 0)
		log_warn("data connection: %s", why);
	return r;
}

/* Connect the data connection to the server's address (or, with pasv_ip,
 * the PASV reply's address in ip) and port; the error as it is (the
 * session is not marked broken). */
static int dial_data(struct ftp_session *s, unsigned port,
		     const unsigned char *ip)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (s->cfg->proxy)
		return dial_data_proxy(s, port, ip);
	net_peer_addr(s->ctrl, &ss, &len);
	if (ss.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
	} else {
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		if (ip)
			memcpy(&((struct sockaddr_in *)&ss)->sin_addr, ip, 4);
	}
	return net_connect_addr((struct sockaddr *)&ss, len, s->cfg->timeout_ms,
				&s->data);
}

static int connect_data(struct ftp_session *s, unsigned port,
			const unsigned char *ip)
{
	int r = dial_data(s, port, ip);

	if (r < 0)
		return sess_fail(s, r == -ECONNREFUSED ? -EIO : r,
				 "data connection");
	return 0;
}

/* The port of the last reply, a 229 (EPSV). */
static int epsv_port(struct ftp_session *s, unsigned *port)
{
	char text[128];
	int r;

	sess_first_line(s, text, sizeof(text));
	r = parse_epsv(text, port);
	if (r < 0)
		return sess_fail(s, r, "bad EPSV reply");
	sess_quirk(s, QK_EPSV_OK, 1);
	return 0;
}

static int open_data(struct ftp_session *s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned port = 0;
	unsigned char n[6];
	char text[128];
	int code, r;

	if (s->cfg->active)
		return open_active(s);
	if (!s->q.no_epsv) {
		code = session_cmd(s, "EPSV", NULL);
		if (code < 0)
			return code;
		if (code == 229) {
			r = epsv_port(s, &port);
			if (r < 0)
				return r;
		} else if (code >= 500) {
			sess_quirk(s, QK_NO_EPSV, 1);
		} else {
			return sess_refused(s, code, false);
		}
	}
	if (port)
		return connect_data(s, port, NULL);
	net_peer_addr(s->ctrl, &ss, &len);
	if (ss.ss_family != AF_INET && !s->cfg->proxy)
		return -EPROTO; /* PASV cannot express IPv6 */
	code = session_cmd(s, "PASV", NULL);
	if (code < 0)
		return code;
	if (code != 227)
		return sess_refused(s, code, false);
	sess_first_line(s, text, sizeof(text));
	r = parse_pasv(text, n);
	if (r < 0)
		return sess_fail(s, r, "bad PASV reply");
	port = (unsigned)n[4] * 256 + n[5];
	return connect_data(s, port, s->cfg->pasv_ip ? n : NULL);
}

/* data_ready(): the server refused the data connection or we gave it
 * up (its TLS did not resume the session), the transfer's final reply is
 * read, the control channel in sync: the transfer may be tried again. */
#define DATA_REFUSED 1

/* After the 125/150: the server connects (active mode), then TLS.
 * 0, DATA_REFUSED or a negative errno. */
static int data_ready(struct ftp_session *s)
{
	int r;

	if (s->listener) {
		struct sockaddr_storage peer;
		socklen_t pl;

		/* the server connects now; only it may (RFC 2577) */
		net_peer_addr(s->ctrl, &peer, &pl);
		r = net_accept_from(s->listener, &peer, s->cfg->timeout_ms,
				    &s->data);
		net_listener_close(s->listener);
		s->listener = NULL;
		if (r < 0) {
			s->data = NULL;
			return sess_fail(s, r,
					 "the server did not connect (active)");
		}
	}
	if (s->q.prot_p) {
		int code;

		/* the server starts TLS on the data connection after 150 */
		r = tls_start_data(s->cfg->tls_ctx, s->data, s->ctrl,
				   s->cfg->host, s->tls_again, s->errmsg,
				   sizeof(s->errmsg));
		if (r == 0 || (r == -EAGAIN && s->q.resume_optional))
			return 0;
		if (s->cfg->trace)
			log_info("data connection: %s", s->errmsg);
		net_close(s->data);
		s->data = NULL;
		if (r == -ETIMEDOUT)
			return sess_fail(s, r, "data TLS");
		/* the transfer's final reply (425/426/522) follows */
		code = sess_read_reply(s);
		if (code < 0)
			return code;
		if (r == -EAGAIN && code < 400)
			/* it did not mind */
			sess_quirk(s, QK_RESUME_OPTIONAL, 1);
		return DATA_REFUSED;
	}
	return 0;
}

/* The reply to the transfer command: 0 for 125/150, DATA_REFUSED for
 * 425, or 522 on a TLS data connection (no data connection: may work
 * when tried again; a 522 to a clear one is the server's policy), else
 * an errno. */
static int xfer_reply(struct ftp_session *s, const char *cmd, bool upload)
{
	int code = sess_read_reply(s);

	if (code < 0)
		return code;
	if (code == 125 || code == 150)
		return 0;
	snprintf(s->errmsg, sizeof(s->errmsg), "%s: %.200s", cmd,
		 reply_text(s->rp));
	if (code == 425 || (code == 522 && s->q.prot_p))
		return DATA_REFUSED;
	return code >= 400 ? session_code_errno(code, upload)
			   : sess_fail(s, -EPROTO, "unexpected reply");
}

/* The pipelined start could not connect to the EPSV port. A server that
 * refuses the command may close its passive port at once (ProFTPD does,
 * for a refused APPE): read the replies in order; a refusal is the
 * answer and the session stays in step. Anything else (150: it waits for
 * us) and the session is given up. */
static int pipelined_no_data(struct ftp_session *s, const char *cmd,
			     int64_t rest, bool upload, int dr)
{
	int code;

	s->data = NULL;
	code = rest > 0 ? sess_read_reply(s) : 350;
	if (code == 350)
		code = sess_read_reply(s);
	else if (code >= 0)
		code = 0; /* REST refused: the rest is out of step */
	if (code >= 400) {
		snprintf(s->errmsg, sizeof(s->errmsg), "%s: %.200s", cmd,
			 reply_text(s->rp));
		return session_code_errno(code, upload);
	}
	return code < 0 ? code
			: sess_fail(s, dr == -ECONNREFUSED ? -EIO : dr,
				    "data connection");
}

/* EPSV, REST and the transfer command in one write: one round trip
 * instead of three; then EPSV's reply, the data connection, REST's reply.
 * Only once EPSV (and REST) have worked on this session: a refusal now
 * means the commands after it were sent for nothing (a RETR after a
 * refused REST would even start at 0), so the session is given up and
 * the caller's retry starts afresh. */
static int send_pipelined(struct ftp_session *s, const char *cmd,
			  const char *path, int64_t rest, bool upload)
{
	char line[CMD_MAX], off[32];
	unsigned port;
	int n, code, r;

	r = sess_check_quiet(s, "EPSV");
	if (r < 0)
		return r;
	n = sess_format_cmd(s, line, 0, "EPSV", NULL);
	if (n >= 0 && rest > 0) {
		snprintf(off, sizeof(off), "%lld", (long long)rest);
		n = sess_format_cmd(s, line, (size_t)n, "REST", off);
	}
	if (n >= 0)
		n = sess_format_cmd(s, line, (size_t)n, cmd, path);
	if (n < 0)
		return n; /* nothing sent */
	r = sess_send_line(s, line, (size_t)n);
	if (r < 0)
		return r;
	code = sess_read_reply(s);
	if (code < 0)
		return code;
	if (code != 229) {
		snprintf(s->errmsg, sizeof(s->errmsg), "EPSV: %.200s",
			 reply_text(s->rp));
		return sess_fail(s, -EIO, "EPSV refused after it worked");
	}
	r = epsv_port(s, &port);
	if (r < 0)
		return r;
	r = dial_data(s, port, NULL);
	if (r < 0 && r != -ETIMEDOUT)
		return pipelined_no_data(s, cmd, rest, upload, r);
	if (r < 0)
		return sess_fail(s, r, "data connection");
	if (rest > 0) {
		code = sess_read_reply(s);
		if (code != 350)
			return code < 0
				       ? code
				       : sess_fail(
						 s, -EIO,
						 "REST refused after it worked");
	}
	return 0;
}

/* Step by step, each reply read before the next command: the data
 * connection (EPSV/PASV or EPRT/PORT), REST, the transfer command. A
 * refused REST is -ESPIPE, the session in step. */
static int send_stepwise(struct ftp_session *s, const char *cmd,
			 const char *path, int64_t rest)
{
	char off[32];
	int code, r;

	r = open_data(s);
	if (r < 0)
		return r;
	if (rest > 0) {
		snprintf(off, sizeof(off), "%lld", (long long)rest);
		code = session_cmd(s, "REST", off);
		if (code != 350) {
			snprintf(s->errmsg, sizeof(s->errmsg), "REST: %.200s",
				 reply_text(s->rp));
			return code < 0 ? code : -ESPIPE;
		}
		sess_quirk(s, QK_REST_OK, 1);
	}
	return sess_send_cmd(s, cmd, path);
}

/* One try at starting the transfer: its commands pipelined where EPSV
 * (and REST) have worked here, else step by step; then the 125/150 and
 * the data connection's set-up. 0, DATA_REFUSED or a negative errno; on
 * anything but 0 no data connection or listener is left. */
static int xfer_begin(struct ftp_session *s, const char *cmd, const char *path,
		      int64_t rest, bool upload)
{
	int r;

	if (!s->cfg->active && s->q.epsv_ok && !s->cfg->no_pipeline &&
	    (rest <= 0 || s->q.rest_ok))
		r = send_pipelined(s, cmd, path, rest, upload);
	else
		r = send_stepwise(s, cmd, path, rest);
	if (r == 0)
		r = xfer_reply(s, cmd, upload);
	if (r == 0)
		return data_ready(s);
	net_close(s->data);
	s->data = NULL;
	net_listener_close(s->listener);
	s->listener = NULL;
	return r;
}

static enum status_state xfer_state(const char *cmd)
{
	if (!strcmp(cmd, "STOR") || !strcmp(cmd, "APPE"))
		return SS_WRITING;
	return strcmp(cmd, "RETR") ? SS_LISTING : SS_READING;
}

void session_xfer_note(struct ftp_session *s, const char *dest, int64_t total)
{
	status_sess_note(s->id, dest, total);
}

/* verify_upload: a STOR's bytes are checksummed from its first byte (the
 * digest is made once per session and reset for each STOR). */
static int count_sent(struct ftp_session *s, const char *cmd)
{
	s->sent_on = s->cfg->verify_upload && !strcmp(cmd, "STOR");
	if (!s->sent_on)
		return 0;
	if (!s->sent) {
		s->sent = digest_new(s->cfg->verify_algo);
		if (!s->sent)
			return -ENOMEM;
	}
	digest_reset(s->sent);
	return 0;
}

/* A refused data connection is tried again: on this control connection
 * resuming the newest TLS session instead of a fresh ticket, then on a
 * new control connection. */
int session_xfer_start(struct ftp_session *s, const char *cmd, const char *path,
		       int64_t rest)
{
	bool upload = !strcmp(cmd, "STOR") || !strcmp(cmd, "APPE");
	int r, attempt;

	if (!sess_arg_ok(path))
		return -EINVAL;
	if (s->data)
		return -EBUSY;
	s->upload = upload;
	r = count_sent(s, cmd);
	if (r < 0)
		return r;
	for (attempt = 0; attempt < 3; attempt++) {
		if (attempt == 2) {
			r = sess_reconnect(s);
			if (r < 0)
				return r; /* broken, the reason in errmsg */
		}
		s->tls_again = attempt == 1;
		r = xfer_begin(s, cmd, path, rest, upload);
		s->tls_again = false;
		if (r == 0)
			status_sess_xfer(s->id, xfer_state(cmd), path, rest,
					 -1);
		if (r != DATA_REFUSED)
			return r;
		log_dbg("%s: data connection refused (%s); trying again", cmd,
			s->errmsg);
	}
	snprintf(s->errmsg, sizeof(s->errmsg),
		 "%s: data connection refused: %.200s", cmd, reply_text(s->rp));
	log_err("%s", s->errmsg);
	s->broken = true;
	return -EIO;
}

ssize_t session_xfer_read(struct ftp_session *s, void *buf, size_t len)
{
	ssize_t n;

	if (!s->data)
		return -EBADF;
	n = net_read(s->data, buf, len);
	if (n > 0) {
		status_add(ST_BYTES_IN, (uint64_t)n);
		status_sess_moved(s->id, (uint64_t)n);
	}
	if (n < 0) /* the data connection only: the control one decides */
		snprintf(s->errmsg, sizeof(s->errmsg), "reading data: %s",
			 strerror((int)-n));
	return n;
}

int session_xfer_finish(struct ftp_session *s)
{
	int code;

	status_sess_idle(s->id);
	net_close(s->data);
	s->data = NULL;
	code = sess_read_reply(s);
	if (code < 0)
		return code;
	if (code == 226 || code == 250)
		return 0;
	if (code < 400)
		return sess_fail(s, -EPROTO, "unexpected reply after transfer");
	snprintf(s->errmsg, sizeof(s->errmsg), "transfer failed: %.200s",
		 reply_text(s->rp));
	if (s->upload && code != 426 && code != 425)
		return session_code_errno(code, true);
	return -EIO;
}

int session_xfer_write(struct ftp_session *s, const void *buf, size_t len)
{
	int r;

	if (!s->data)
		return -EBADF;
	r = net_write_all(s->data, buf, len);
	if (r == 0 && s->sent_on)
		digest_update(s->sent, buf, len);
	if (r == 0) {
		status_add(ST_BYTES_OUT, len);
		status_sess_moved(s->id, len);
	}
	if (r < 0) /* finish reads the server's reason (552...) */
		snprintf(s->errmsg, sizeof(s->errmsg), "writing data: %s",
			 strerror(-r));
	return r;
}

int session_xfer_abort(struct ftp_session *s)
{
	int code, i;

	status_sess_idle(s->id);
	net_close(s->data);
	s->data = NULL;
	if (sess_send_cmd(s, "ABOR", NULL) < 0)
		return -EIO;
	/* PWD only once ABOR has been answered: a server busy sending data
	 * (Pure-FTPd) reads the control connection for ABOR and drops what
	 * came with it, and a PWD sent at once could wait for ever. */
	code = sess_read_reply(s);
	if (code < 0)
		return code;
	if (code == 257 || sess_send_cmd(s, "PWD", NULL) < 0)
		return sess_fail(s, -EPROTO, "no sync after ABOR");
	/* At most: transfer's final reply, ABOR's replies, PWD's 257. */
	for (i = 0; i < 6; i++) {
		code = sess_read_reply(s);
		if (code < 0)
			return code;
		if (code == 257)
			return 0;
	}
	return sess_fail(s, -EPROTO, "no sync after ABOR");
}
