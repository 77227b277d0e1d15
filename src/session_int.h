/* session_int.h — what the session_*.c files share; not for other modules.
 *
 * session_ctrl.c  the control connection: command framing, replies,
 *                 login (AUTH TLS, USER/PASS, PBSZ/PROT, FEAT, OPTS,
 *                 TYPE I, PWD), QUIT, reconnect, the learned quirks
 * session_data.c  data connections (EPSV/PASV, EPRT/PORT, data TLS) and
 *                 the transfer: start, read, write, finish, abort
 * session_list.c  directory listings (MLSD, LIST) fed to listparse
 * session_cmd.c   one-reply commands: MLST SIZE AVBL MDTM MFMT DELE MKD
 *                 RMD RNFR/RNTO SITE CHMOD/SYMLINK, checksums
 *
 * Return rule inside as outside: 0 (or a reply code where said) or a
 * negative errno. sess_fail() records why and marks the session broken
 * when err_breaks_session() says so.
 */
#ifndef FTPFS_SESSION_INT_H
#define FTPFS_SESSION_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "digest.h"
#include "listparse.h"
#include "session.h"

#define CTRL_BUF 16384
/* The longest command line we send, CRLF included. Servers cut longer
 * lines, and some run what follows the cut as a command of its own:
 * pyftpdlib drops what it holds once a line passes 2048 bytes and reads
 * the rest, arriving in later TCP segments, as a new line. A name on the
 * server (made by anyone) could then carry a command into a long path.
 * No line longer than 2048 bytes is ever sent: ENAMETOOLONG instead. */
#define CMD_MAX 2048

/* What this session has learned of the server, each changed only through
 * sess_quirk() (which traces the change under -d and tells the user once
 * per mount of what the server lacks). 0 is "not known yet" for every
 * one; the booleans go 0 → 1, the tri-states 0 → 1 (works) or -1 (does
 * not). A new control connection (sess_reconnect) keeps them, but for
 * prot_p, which its login sets again. */
enum sess_quirk {
	QK_NO_EPSV,	    /* EPSV refused once (or -o disable_epsv): PASV */
	QK_EPSV_OK,	    /* EPSV answered 229 here: pipeline it */
	QK_REST_OK,	    /* REST answered 350 here, or FEAT has REST
			     * STREAM: pipeline it */
	QK_NO_EPRT,	    /* EPRT refused once: PORT */
	QK_LIST_NO_A,	    /* "LIST -a" refused once: LIST */
	QK_NO_MDTM,	    /* MDTM unknown to the server */
	QK_PROT_P,	    /* data connections are TLS (PROT P) */
	QK_RESUME_OPTIONAL, /* the server took a data connection that did not
			     * resume the TLS session */
	QK_MTIME,	    /* setting modification times: 1 works, -1 the
			     * server cannot */
	QK_SITE_SYMLINK,    /* SITE HELP lists SYMLINK: 1, does not: -1 */
	QK_N,
};

struct sess_quirks {
	signed char no_epsv, epsv_ok, rest_ok, no_eprt, list_no_a, no_mdtm;
	signed char prot_p, resume_optional, mtime_method, site_symlink;
};

struct ftp_session {
	const struct session_cfg *cfg;
	struct net_conn *ctrl;
	struct net_conn *data;
	struct net_listener *listener; /* active mode, until accepted */
	struct reply_parser *rp;
	char buf[CTRL_BUF]; /* bytes read from ctrl, not yet parsed */
	size_t buf_off, buf_len;
	unsigned caps;
	bool broken;
	struct sess_quirks q;
	bool rnto_failed; /* the last RNTO after an accepted RNFR failed:
			    * the server may still hold that RNFR */
	bool syst_asked;  /* SYST sent (once, before the first LIST) */
	enum listparse_fmt list_hint; /* from the SYST reply */
	bool upload;		      /* the current transfer is STOR/APPE */
	bool tls_again;		      /* this data connection is a second try */
	char *cwd; /* known working directory, or NULL (cleared by
			    * RMD and RNFR: we may stand in what they change) */
	char *root;
	unsigned hash_algos; /* 1 << algo: FEAT's HASH line offers it */
	unsigned x_algos;    /* 1 << algo: FEAT lists its X command */
	int hash_sel;	     /* the algorithm HASH uses now, -1 unknown */
	struct digest *sent; /* verify_upload: the current STOR's bytes */
	bool sent_on;	     /* sent counts the current (or last) STOR */
	unsigned id;	     /* "[S<id>]" in -o ftp_trace lines */
	size_t sent_len;     /* the last command line's length, CRLF included */
	char errmsg[640];
};

/* session_ctrl.c */
/* Set quirk q to v (see enum sess_quirk). */
void sess_quirk(struct ftp_session *s, enum sess_quirk q, int v);
/* Record what failed (errmsg) and mark the session broken when err is a
 * connection-level error (err_breaks_session). Returns err. */
int sess_fail(struct ftp_session *s, int err, const char *what);
/* The errno for a reply that is not the one expected: a refusal (4xx,
 * 5xx) as session_code_errno(); any other code breaks the session
 * (-EPROTO). */
int sess_refused(struct ftp_session *s, int code, bool upload);
/* One complete reply: its code or a negative errno. */
int sess_read_reply(struct ftp_session *s);
/* arg holds no CR or LF (NULL is fine). */
bool sess_arg_ok(const char *arg);
/* Append "cmd arg\r\n" to line (len bytes used of CMD_MAX), traced; the
 * new length or a negative errno (nothing sent). */
int sess_format_cmd(struct ftp_session *s, char *line, size_t len,
		    const char *cmd, const char *arg);
int sess_send_line(struct ftp_session *s, const char *line, size_t n);
int sess_send_cmd(struct ftp_session *s, const char *cmd, const char *arg);
/* -EPROTO (and broken) when a reply waits that no command asked for. */
int sess_check_quiet(struct ftp_session *s, const char *cmd);
/* The first line of the last reply's text after the code, cut to n. */
void sess_first_line(const struct ftp_session *s, char *out, size_t n);
/* A new control connection in place of this one, logged in as before.
 * On failure the session is broken. */
int sess_reconnect(struct ftp_session *s);
/* draft-bryan-ftpext-hash names and the older X commands, by algorithm */
extern const char *const sess_hash_names[DIGEST_N];
extern const char *const sess_x_cmds[DIGEST_N];

#endif
