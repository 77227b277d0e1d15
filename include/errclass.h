/* errclass — one error policy: what a reply code means as an errno, and
 * what an errno means for the session, the user and a retry.
 *
 * err_classify() puts every negative errno in one class; the three
 * decisions made on errors are each one set of classes:
 *   err_breaks_session(): the control connection cannot be used again
 *     (the session is closed, a new one opened);
 *   err_user(): what the user sees: a connection that was lost, refused
 *     or garbled, and a mount that is stopping, read as -EIO;
 *   err_transient(): a session that could not be opened may open if we
 *     wait (the server restarts, is unreachable for a moment, is full, or
 *     its start directory is missing while it is restored).
 * Pure functions; no state.
 */
#ifndef FTPFS_ERRCLASS_H
#define FTPFS_ERRCLASS_H

#include <stdbool.h>

enum err_class {
	ERR_NONE,	 /* r >= 0: no error */
	ERR_REFUSED,	 /* any other errno: an answer (the server's refusal
			  * or a local error); the session is fine */
	ERR_CONN_LOST,	 /* the control connection died or is out of step:
			  * ECONNRESET ECONNABORTED ENOTCONN EPIPE EPROTO */
	ERR_TIMEOUT,	 /* no answer in time: ETIMEDOUT */
	ERR_GARBLED,	 /* a reply too long to read: EMSGSIZE */
	ERR_GAVE_UP,	 /* we gave the session up, already the user's
			  * errno: EIO */
	ERR_UNREACHABLE, /* no connection could be made: ECONNREFUSED
			  * EHOSTUNREACH ENETUNREACH (a refused data
			  * connection is made -EIO first) */
	ERR_STOPPING,	 /* the mount is going away: ESHUTDOWN */
	ERR_NOT_YET,	 /* refused for now: EAGAIN (421, full), ENOENT
			  * (host unknown, start directory missing) */
	ERR_CLASS_N,
};

enum err_class err_classify(int r);
/* The class's name, for traces and tests ("conn_lost"). */
const char *err_class_name(enum err_class c);

bool err_breaks_session(int r);
/* r as the user sees it (-EIO for the classes above, else r). */
int err_user(int r);
bool err_transient(int r);

/* A final reply code as an errno (negative); 0 for 1xx-3xx, -EIO for a
 * 4xx/5xx not in the table. For an upload (STOR/APPE and the RNFR/RNTO
 * that commit it) a 550 or 553 is a refusal (-EACCES), not a missing
 * file. */
int err_reply_errno(int code, bool upload);

#endif
