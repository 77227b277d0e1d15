/* status — what `ftpfs status MOUNTPOINT` shows of a running mount.
 *
 * Other modules report through this narrow interface: counters
 * (status_add), quirks learned of the server (status_quirk), and the state
 * of each session (status_sess_*). Counters and per-session numbers are
 * atomics; the few strings (server, TLS, a session's path) are copied
 * under one status lock that is never held across I/O or while taking any
 * other lock, so a status answer never waits behind a transfer.
 *
 * The state is global (one mount per process). Before status_init() every
 * call is a cheap no-op, so unit tests of the other modules need nothing.
 */
#ifndef FTPFS_STATUS_H
#define FTPFS_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum status_counter {
	ST_BYTES_IN,  /* data received (downloads, listings) */
	ST_BYTES_OUT, /* data sent (uploads) */
	ST_CACHE_HIT, /* attribute or listing answered from the cache */
	ST_CACHE_MISS,
	ST_ERRORS,     /* errors logged */
	ST_RECONNECTS, /* broken sessions replaced */
	ST_SESSIONS_OPENED,
	ST_COUNTERS,
};

enum status_quirk {
	SQ_NO_EPSV = 1 << 0,	/* EPSV refused: PASV */
	SQ_NO_EPRT = 1 << 1,	/* EPRT refused: PORT */
	SQ_NO_LIST_A = 1 << 2,	/* "LIST -a" refused: LIST */
	SQ_NO_MDTM = 1 << 3,	/* MDTM unknown */
	SQ_NO_MTIME = 1 << 4,	/* no MFMT nor MDTM write form */
	SQ_NO_CHMOD = 1 << 5,	/* SITE CHMOD refused */
	SQ_POOL_LIMIT = 1 << 6, /* 421: fewer connections than asked */
};

enum status_state {
	SS_IDLE,
	SS_LISTING,
	SS_READING,
	SS_WRITING,
};

/* Start collecting: the server as shown to the user, the mount point,
 * sessions at most (connections=). 0 or -ENOMEM. */
int status_init(const char *server, const char *mountpoint,
		unsigned max_sessions);
void status_fini(void);

void status_add(enum status_counter c, uint64_t n);
void status_quirk(enum status_quirk q);
/* The pool's limit now (lowered by 421). */
void status_pool_limit(unsigned limit);
/* After a TLS handshake of a control connection: e.g. "TLSv1.3",
 * "TLS_AES_256_GCM_SHA384", "system CAs and host name". */
void status_tls(const char *version, const char *cipher, const char *how);

/* Sessions, by the session's id (1, 2, ...): */
void status_sess_open(unsigned id);
void status_sess_close(unsigned id);
/* A transfer starts: state, server path, offset it starts at, total
 * bytes to send when known (-1). */
void status_sess_xfer(unsigned id, enum status_state st, const char *path,
		      int64_t offset, int64_t total);
/* n more bytes moved on id's transfer */
void status_sess_moved(unsigned id, uint64_t n);
/* The transfer (to a temporary) is for dest, total bytes (-1: unknown). */
void status_sess_note(unsigned id, const char *dest, int64_t total);
void status_sess_idle(unsigned id);

/* Extra lines from modules that keep their own numbers (the cache's
 * entry count): called while formatting, outside the status lock. */
void status_set_cache_entries(size_t (*fn)(void *ctx), void *ctx);

/* The report: text for people, or JSON. malloc'd, NULL when out of
 * memory. */
char *status_report(bool json);

/* Pure, for the report and its tests: s with '"', '\\' and control
 * characters escaped for a JSON string, into out (n bytes, always
 * terminated). */
void status_json_escape(const char *s, char *out, size_t n);

#endif
