/* session — one FTP control connection and its (single) data transfer.
 *
 * A session is used by one thread at a time (the pool guarantees it). It
 * runs at most one data transfer at a time: session_xfer_start() ...
 * session_xfer_read() ... session_xfer_finish() or session_xfer_abort().
 *
 * Return rule: 0 (or a count) on success, a negative errno on failure.
 * FTP reply codes become errnos in session_code_errno() (the table in
 * errclass.c), except where a function below says otherwise. Any I/O
 * error, timeout or reply that does not fit the dialogue marks the
 * session broken (session_broken(); which errnos do: err_breaks_session()
 * in errclass.h); a broken session must be closed and a new one opened. Paths handed in are absolute server paths; a path with
 * CR, LF or NUL is refused with -EINVAL before anything is sent.
 */
#ifndef FTPFS_SESSION_H
#define FTPFS_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "digest.h"
#include "errclass.h"
#include "listparse.h"

struct ftp_session;

struct tls_ctx;
struct proxy_cfg;

enum session_tls {
	SESS_TLS_NONE,	   /* plain FTP */
	SESS_TLS_TRY,	   /* AUTH TLS when the server takes it, else plain */
	SESS_TLS_REQUIRE,  /* AUTH TLS or fail (ftpes://) */
	SESS_TLS_IMPLICIT, /* TLS from the first byte (ftps://) */
};

struct session_cfg {
	const char *host; /* name or address literal (no brackets) */
	const char *port; /* service, e.g. "21" */
	const char *user; /* NULL = anonymous */
	const char *pass; /* NULL = "" (anonymous: an e-mail-like word) */
	const char *path; /* URL path, relative to the login directory */
	int timeout_ms;	  /* deadline of every network operation */
	bool pasv_ip;	  /* trust the address in a PASV reply */
	bool disable_epsv;
	bool no_pipeline;  /* never send EPSV+REST+RETR, RNFR+RNTO in
			       * one write */
	bool disable_mlsd; /* ignore MLST/MLSD even when offered */
	bool trace;	   /* log the dialogue (the password redacted) */
	enum session_tls tls;
	struct tls_ctx *tls_ctx; /* needed unless tls == SESS_TLS_NONE */
	bool tls_data_clear; /* PROT C: only the control channel protected */
	bool active;	     /* EPRT/PORT: the server connects to us */
	const char *active_addr;   /* address to announce, NULL = ours */
	unsigned port_lo, port_hi; /* our data port range, 0 = any */
	/* Shared by the sessions of one server (may be NULL): the length of
	 * the shortest command line it refused as too long. Longer lines are
	 * then refused here with -ENAMETOOLONG, unsent. */
	_Atomic size_t *line_limit;
	/* control and data connections through this proxy (NULL: direct);
	 * then not active, and data connections go to host (or the PASV
	 * reply's address with pasv_ip), as the proxy resolves it */
	const struct proxy_cfg *proxy;
	/* -o verify_upload: checksum every STOR's bytes as they are sent,
	 * for session_verify_upload() */
	bool verify_upload;
	enum digest_algo verify_algo;
};

enum session_cap {
	SESS_CAP_MLST = 1 << 0, /* MLST and MLSD */
	SESS_CAP_SIZE = 1 << 1,
	SESS_CAP_MDTM = 1 << 2,
	SESS_CAP_REST = 1 << 3, /* REST STREAM */
	SESS_CAP_UTF8 = 1 << 4,
	SESS_CAP_AVBL = 1 << 5,
	SESS_CAP_MFMT = 1 << 6,
	/* a checksum of this algorithm can be asked for: HASH (FEAT lists
	 * it, draft-bryan-ftpext-hash) or XSHA256/XSHA1/XMD5/XCRC */
	SESS_CAP_SUM_SHA256 = 1 << 7,
	SESS_CAP_SUM_SHA1 = 1 << 8,
	SESS_CAP_SUM_MD5 = 1 << 9,
	SESS_CAP_SUM_CRC32 = 1 << 10,
};
#define SESS_CAP_SUM(algo) (SESS_CAP_SUM_SHA256 << (algo))
/* a checksum of any algorithm */
#define SESS_CAP_SUM_ANY                                              \
	(SESS_CAP_SUM_SHA256 | SESS_CAP_SUM_SHA1 | SESS_CAP_SUM_MD5 | \
	 SESS_CAP_SUM_CRC32)

/* Connect, log in, read FEAT, set UTF-8 and TYPE I, and find the root
 * directory (the URL path, made absolute with PWD). Errors: -EACCES (login
 * refused), -EAGAIN (421: too many connections), -ENOENT (host unknown or
 * path missing), -ECONNREFUSED, -ETIMEDOUT, -EPROTO (not an FTP server),
 * -EPERM (TLS certificate not trusted: nothing was sent after the
 * handshake), -EOPNOTSUPP (TLS required, the server has none); through
 * cfg->proxy also what proxy_connect() returns (-EACCES: the proxy refused
 * our credentials).
 * On failure a one-line message for the user is left in err; it names
 * the server ("host:port: ..."), -ETIMEDOUT for no greeting within
 * timeout_ms included. */
int session_open(const struct session_cfg *cfg, struct ftp_session **out,
		 char *err, size_t errlen);
/* Send QUIT (when healthy) and free. NULL is fine. */
void session_close(struct ftp_session *s);

unsigned session_caps(const struct ftp_session *s);
bool session_broken(const struct ftp_session *s);
/* Before an idle session is used again: false when it is broken or
 * something waits on its control connection (the server closed it, or
 * said 421, while it was idle), and then it is marked broken. */
bool session_reusable(struct ftp_session *s);
/* Absolute root path on the server, without a trailing slash ("" for /). */
const char *session_root(const struct ftp_session *s);
/* A message for the user about the last failure (server text or errno). */
const char *session_last_error(const struct ftp_session *s);

/* Send "cmd arg" (arg may be NULL) and read the reply. Returns the reply
 * code (>= 100) or a negative errno. */
int session_cmd(struct ftp_session *s, const char *cmd, const char *arg);
/* Text of the last reply (all lines, see reply.h). */
const char *session_reply(const struct ftp_session *s);

/* What a user sees of a failure (err_user()): connection and protocol
 * errors (reset, closed, refused, malformed or overlong replies, the mount
 * stopping) become -EIO; -ETIMEDOUT and errors from replies stay as they
 * are. */
int session_user_errno(int r);

/* Map a final reply code to an errno (negative); 0 for 1xx-3xx
 * (err_reply_errno(), the table in errclass.c). For an upload (STOR/APPE
 * and the RNFR/RNTO that commit it) a 550 or 553 is a refusal (-EACCES),
 * not a missing file. */
int session_code_errno(int code, bool upload);

/* Open a data connection, send REST (when rest > 0) and "cmd path", and
 * wait for 125/150. On failure nothing is left open. A refused REST is
 * -ESPIPE. A data connection the server refuses (425, or its TLS) is
 * tried twice more, the last time on a new control connection; then -EIO
 * and the session is broken. Otherwise a refusal is its errno. */
int session_xfer_start(struct ftp_session *s, const char *cmd, const char *path,
		       int64_t rest);
/* Read transfer data; 0 at the end of the data. */
ssize_t session_xfer_read(struct ftp_session *s, void *buf, size_t len);
/* Send upload data (STOR/APPE), all of it or fail. */
int session_xfer_write(struct ftp_session *s, const void *buf, size_t len);
/* End the transfer: close the data connection (for an upload, that marks
 * the end of the file) and read the final reply (226/250). A refusal in
 * the final reply (552 quota, 451...) is returned as its errno. */
int session_xfer_finish(struct ftp_session *s);
/* For `ftpfs status`: the running upload (to a temporary) is for file
 * dest, total bytes (-1: not known yet). */
void session_xfer_note(struct ftp_session *s, const char *dest, int64_t total);
/* Stop a transfer early, leaving the control channel in sync. */
int session_xfer_abort(struct ftp_session *s);
bool session_xfer_active(const struct ftp_session *s);

/* Attributes of one path with MLST (needs SESS_CAP_MLST). */
int session_mlst(struct ftp_session *s, const char *path,
		 struct ftp_entry *out);

/* Call cb for every safe entry of directory `path` (MLSD, else LIST -a).
 * cb takes ownership of the entry; a nonzero return from cb stops the
 * listing and is returned. -EMFILE when the listing exceeds max_entries.
 * LIST output is parsed with one listparse context per listing, hinted by
 * the SYST reply (asked once per session, before its first LIST). Lines
 * that are skipped (no known format, unsafe names, over-long) are warned
 * about once per listing, naming `path`. */
typedef int (*session_list_cb)(void *ctx, struct ftp_entry *e);
int session_list(struct ftp_session *s, const char *path, size_t max_entries,
		 session_list_cb cb, void *ctx);
/* The same with LIST even where MLSD is offered: LIST names a symlink's
 * target ("name -> target") where some servers' MLSD does not. */
int session_list_long(struct ftp_session *s, const char *path,
		      size_t max_entries, session_list_cb cb, void *ctx);
/* "LIST path" of one name, without changing there: a file's own line
 * on most servers (a directory's contents instead, so the caller checks
 * what came). Servers glob the argument and read a leading '-' as an
 * option: only for names without such characters. */
int session_list_path(struct ftp_session *s, const char *path,
		      size_t max_entries, session_list_cb cb, void *ctx);

/* Simple commands: 0 or a negative errno (session_code_errno). */
int session_delete(struct ftp_session *s, const char *path);
int session_mkdir(struct ftp_session *s, const char *path);
int session_rmdir(struct ftp_session *s, const char *path);
/* RNFR from + RNTO to. */
int session_rename(struct ftp_session *s, const char *from, const char *to);
/* SITE CHMOD mode path. -EPERM when the server refuses it (500, 501,
 * 502, 504, 530, 550), else a refusal as its errno. */
int session_chmod(struct ftp_session *s, const char *path, unsigned mode);
/* SITE SYMLINK target path (ProFTPD's mod_site_misc), where SITE HELP
 * lists it (asked once per session): -EPERM where not, -EACCES when the
 * server refuses (501, 530, 550, 553), -EINVAL for a blank in either (the
 * server splits at blanks). */
int session_symlink(struct ftp_session *s, const char *target,
		    const char *path);
/* Set the modification time: MFMT where FEAT offers it, else the MDTM
 * write form ("MDTM YYYYMMDDhhmmss path", vsftpd), which is checked with
 * an MDTM query afterwards. -ENOENT when MFMT answers 550; -EPERM when it
 * does not work (and for the rest of the session once the server has
 * shown it cannot: no such command, or the time did not change). */
int session_set_mtime(struct ftp_session *s, const char *path, time_t t);
/* MDTM: modification time of a file (UTC); -EPROTO for a reply that is
 * not a time. */
int session_mdtm(struct ftp_session *s, const char *path, time_t *out);

/* MDTM of n paths, a batch of them sent before their replies are read
 * (one at a time with no_pipeline): ok[i] and out[i] where the server
 * answered 213. A refusal of one path is not an error; 0, or a negative
 * errno when the session failed. */
int session_mdtm_batch(struct ftp_session *s, const char *const *paths,
		       size_t n, time_t *out, bool *ok);
/* The server's checksum of file path, as lowercase hex in out: HASH
 * (after OPTS HASH when another algorithm is selected) where FEAT lists
 * the algorithm for it, else XSHA256/XSHA1/XMD5/XCRC. -EOPNOTSUPP when
 * the server offers neither; a refusal as its errno; -EPROTO for a reply
 * without a value of the right length. */
int session_checksum(struct ftp_session *s, enum digest_algo a,
		     const char *path, char out[DIGEST_HEX_MAX]);
/* The value in a checksum reply's text (after the code): the HASH form
 * "SHA-256 0-49 <hex> name" (hash_form, draft-bryan-ftpext-hash 3.2; the
 * range may be missing), or an X command's "<hex>" (first hex word of the
 * right length). Pure; 0 or -EPROTO. */
int session_parse_checksum(const char *text, enum digest_algo a, bool hash_form,
			   char out[DIGEST_HEX_MAX]);
/* With cfg->verify_upload: compare the checksum of the bytes the last STOR
 * on this session sent with the server's of path (where it went). 0 when
 * they match (or without verify_upload); -EIO on a mismatch or when the
 * server cannot say (the reason in session_last_error()). */
int session_verify_upload(struct ftp_session *s, const char *path);

/* SIZE / AVBL helpers: 0 and *out, or a negative errno. */
int session_size(struct ftp_session *s, const char *path, int64_t *out);
int session_avbl(struct ftp_session *s, const char *path, uint64_t *out);

#endif
