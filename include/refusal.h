/* refusal — what errno the user gets when the server refuses a command.
 *
 * The one table of refusal → errno (refusal.c's top comment is the
 * reference: start there to change "what a refused MKD gives"). A caller
 * runs the command, asks refusal_look() whether the name must be looked up
 * afresh, does that lookup, and passes its outcome to refusal_errno().
 * Everything here is pure (no I/O, no locks).
 */
#ifndef FTPFS_REFUSAL_H
#define FTPFS_REFUSAL_H

#include <stdbool.h>

enum refusal_op {
	RF_LIST,	/* MLSD/LIST/CWD of a directory (not the root) */
	RF_LOOKUP,	/* listing a parent to find a name in it */
	RF_READ,	/* RETR */
	RF_UNLINK,	/* DELE */
	RF_MKDIR,	/* MKD */
	RF_RMDIR,	/* RMD */
	RF_RENAME,	/* RNFR/RNTO, judged by the source */
	RF_RENAME_OVER, /* RNFR/RNTO, judged by the target it would replace */
	RF_SYMLINK,	/* SITE SYMLINK */
	RF_CHMOD,	/* SITE CHMOD */
	RF_MTIME,	/* MFMT (or its fallbacks) on a file */
	RF_MTIME_DIR,	/* the same on a directory */
	RF_CHECKSUM,	/* HASH/XSHA1/XMD5/XCRC */
	RF_CHOWN,	/* FTP has none: only "no change" succeeds */
	RF_N
};

/* What the caller must find out after the refusal, and then reports. */
enum refusal_found {
	RF_NOT_ASKED, /* refusal_look: nothing to look up */
	RF_MISSING,   /* the name is not there (a fresh lookup) */
	RF_EXISTS,    /* it is there */
	RF_NOT_EMPTY, /* it is a directory with entries (RF_LOOK_CHILDREN) */
};

enum refusal_look {
	RF_LOOK_NONE,	  /* the errno stands as it is */
	RF_LOOK_NAME,	  /* look the name up afresh: RF_EXISTS or RF_MISSING */
	RF_LOOK_CHILDREN, /* the same, and list it if a directory:
			   * RF_NOT_EMPTY when it has entries */
};

/* A command on a session: r as the command returned it, broken = the
 * session broke on it. The connection's errnos become -EIO
 * (session_user_errno), as does any failure that broke the session but
 * -ENAMETOOLONG (a line too long drops the session too). */
int refusal_sent(int r, bool broken);

/* After op failed with r (< 0): what must be looked up to judge it. */
enum refusal_look refusal_look(enum refusal_op op, int r);

/* The errno op's failure r gives, knowing found (RF_NOT_ASKED when
 * refusal_look said RF_LOOK_NONE). ignore_attr: -o ignore_attr_errors,
 * under which a refused attribute change succeeds. 0 for r == 0. */
int refusal_errno(enum refusal_op op, int r, enum refusal_found found,
		  bool ignore_attr);

#endif
