/* refusal — the server refused: which errno the user gets. See refusal.h.
 *
 * FTP's 550 means both "no such file" and "not allowed" (RFC 959:
 * "Requested action not taken. File unavailable (e.g., file not found, no
 * access)"); session_code_errno (session.c, the one reply → errno map)
 * reads it as -ENOENT, 553 on an upload as -EACCES, 500/502/504 as
 * -EOPNOTSUPP, 4xx as -EAGAIN. A connection's errnos have become -EIO
 * (session_user_errno) before this table. What the name looks like after
 * the refusal then settles the answer (the lookup is fresh: the cache's
 * entry is forgotten first):
 *
 *  op        look up after        there (r=ENOENT / other r)   missing
 *  --------  -------------------  ---------------------------  -------
 *  list      -ENOENT              EACCES                       ENOENT
 *  lookup    (never; a parent whose listing fails with ENOTDIR: ENOENT)
 *  read      -ENOENT              EACCES                       ENOENT
 *  unlink    -ENOENT              EACCES                       ENOENT
 *  mkdir     any failure          EEXIST / EEXIST              EACCES (r=ENOENT)
 *  rmdir     any but EIO          EACCES / r; ENOTEMPTY when   r
 *                                 it has entries
 *  rename    -ENOENT (source)     EACCES                       ENOENT
 *  rename    any but EIO (target) replaced: the target is      r
 *   over                          removed (RMD if an empty
 *                                 directory, else DELE) and the
 *                                 rename sent again; ENOTEMPTY
 *                                 when it has entries
 *  symlink   any but EPERM/EINVAL EEXIST / EEXIST              r
 *  chmod     -ENOENT              EPERM                        ENOENT
 *  mtime     -ENOENT              EPERM                        ENOENT
 *  mtime dir -ENOENT              EPERM, then 0 (below)        ENOENT
 *  checksum  (never)  EOPNOTSUPP (offered in FEAT, refused for this file)
 *                     is ENODATA
 *  chown     (FTP has none: any change is EPERM)
 *
 * So "why did mkdir return EACCES": MKD was refused with 550 (ENOENT) and
 * the name is not there afterwards; the parent exists (the kernel looked
 * it up), so the server did not let us. EEXIST: it is there.
 *
 * Then EPERM from chmod, mtime or chown becomes 0 under -o
 * ignore_attr_errors; a directory's time always (tar, cp -a and rsync set
 * every directory's time; the server's stays, logged once by fs.c).
 *
 * Before the table: a listing longer than -o max_entries is EIO (list);
 * a command whose session broke on it is EIO (refusal_sent), except
 * ENAMETOOLONG. Not refusals, and so not here: EINVAL for a path with CR
 * or LF, ENAMETOOLONG for a name over 255 bytes or a server path over
 * 4000 (meta.c), EACCES for opening a file that has no write bit for
 * writing (fs.c), EPERM for mknod, ESTALE for a handle whose name was lost.
 */
#include "refusal.h"

#include <errno.h>
#include <stddef.h>

#include "session.h"

enum {
	LOOK_ENOENT = 1, /* look only after -ENOENT */
	LOOK_FAIL = 2,	 /* after any failure but the final ones */
};

enum {
	EPERM_STAYS,
	EPERM_IGNORABLE, /* 0 under -o ignore_attr_errors */
	EPERM_OK,	 /* always 0 */
};

struct refusal_rule {
	const char *name; /* for the reader */
	int from, to;	  /* before anything: r == from is to */
	int when;	  /* LOOK_*, or 0: never look */
	enum refusal_look depth;
	int final[2];	    /* LOOK_FAIL: failures that are not looked at */
	int exists_enoent;  /* the name is there, r was -ENOENT (0: r) */
	int exists_other;   /* it is there, r was another failure (0: r) */
	int not_empty;	    /* a directory with entries (0: as exists) */
	int missing_enoent; /* not there, r was -ENOENT (0: r) */
	int eperm;	    /* EPERM_*: what a final -EPERM becomes */
};

static const struct refusal_rule rules[RF_N] = {
	[RF_LIST] = { "list",
		      -EMFILE,
		      -EIO,
		      LOOK_ENOENT,
		      RF_LOOK_NAME,
		      { 0 },
		      -EACCES,
		      0,
		      0,
		      0,
		      EPERM_STAYS },
	[RF_LOOKUP] = { "lookup",
			-ENOTDIR,
			-ENOENT,
			0,
			RF_LOOK_NONE,
			{ 0 },
			0,
			0,
			0,
			0,
			EPERM_STAYS },
	[RF_READ] = { "read",
		      0,
		      0,
		      LOOK_ENOENT,
		      RF_LOOK_NAME,
		      { 0 },
		      -EACCES,
		      0,
		      0,
		      0,
		      EPERM_STAYS },
	[RF_UNLINK] = { "unlink",
			0,
			0,
			LOOK_ENOENT,
			RF_LOOK_NAME,
			{ 0 },
			-EACCES,
			0,
			0,
			0,
			EPERM_STAYS },
	[RF_MKDIR] = { "mkdir",
		       0,
		       0,
		       LOOK_FAIL,
		       RF_LOOK_NAME,
		       { 0 },
		       -EEXIST,
		       -EEXIST,
		       0,
		       -EACCES,
		       EPERM_STAYS },
	[RF_RMDIR] = { "rmdir",
		       0,
		       0,
		       LOOK_FAIL,
		       RF_LOOK_CHILDREN,
		       { -EIO },
		       -EACCES,
		       0,
		       -ENOTEMPTY,
		       0,
		       EPERM_STAYS },
	[RF_RENAME] = { "rename",
			0,
			0,
			LOOK_ENOENT,
			RF_LOOK_NAME,
			{ 0 },
			-EACCES,
			0,
			0,
			0,
			EPERM_STAYS },
	[RF_RENAME_OVER] = { "rename over",
			     0,
			     0,
			     LOOK_FAIL,
			     RF_LOOK_CHILDREN,
			     { -EIO },
			     0,
			     0,
			     -ENOTEMPTY,
			     0,
			     EPERM_STAYS },
	[RF_SYMLINK] = { "symlink",
			 0,
			 0,
			 LOOK_FAIL,
			 RF_LOOK_NAME,
			 { -EPERM, -EINVAL },
			 -EEXIST,
			 -EEXIST,
			 0,
			 0,
			 EPERM_STAYS },
	[RF_CHMOD] = { "chmod",
		       0,
		       0,
		       LOOK_ENOENT,
		       RF_LOOK_NAME,
		       { 0 },
		       -EPERM,
		       0,
		       0,
		       0,
		       EPERM_IGNORABLE },
	[RF_MTIME] = { "utimens",
		       0,
		       0,
		       LOOK_ENOENT,
		       RF_LOOK_NAME,
		       { 0 },
		       -EPERM,
		       0,
		       0,
		       0,
		       EPERM_IGNORABLE },
	[RF_MTIME_DIR] = { "utimens of a directory",
			   0,
			   0,
			   LOOK_ENOENT,
			   RF_LOOK_NAME,
			   { 0 },
			   -EPERM,
			   0,
			   0,
			   0,
			   EPERM_OK },
	[RF_CHECKSUM] = { "checksum",
			  -EOPNOTSUPP,
			  -ENODATA,
			  0,
			  RF_LOOK_NONE,
			  { 0 },
			  0,
			  0,
			  0,
			  0,
			  EPERM_STAYS },
	[RF_CHOWN] = { "chown",
		       0,
		       0,
		       0,
		       RF_LOOK_NONE,
		       { 0 },
		       0,
		       0,
		       0,
		       0,
		       EPERM_IGNORABLE },
};

int refusal_sent(int r, bool broken)
{
	if (r < 0 && r != -ENAMETOOLONG && broken)
		r = -EIO;
	return session_user_errno(r);
}

static int premap(const struct refusal_rule *u, int r)
{
	return u->from && r == u->from ? u->to : r;
}

enum refusal_look refusal_look(enum refusal_op op, int r)
{
	const struct refusal_rule *u = &rules[op];

	r = premap(u, r);
	if (r >= 0 || !u->when)
		return RF_LOOK_NONE;
	if (u->when == LOOK_ENOENT)
		return r == -ENOENT ? u->depth : RF_LOOK_NONE;
	if (r == u->final[0] || r == u->final[1])
		return RF_LOOK_NONE;
	return u->depth;
}

int refusal_errno(enum refusal_op op, int r, enum refusal_found found,
		  bool ignore_attr)
{
	const struct refusal_rule *u = &rules[op];
	int to = 0;

	if (r >= 0)
		return 0;
	r = premap(u, r);
	if (found == RF_NOT_EMPTY && u->not_empty)
		to = u->not_empty;
	else if (found == RF_EXISTS || found == RF_NOT_EMPTY)
		to = r == -ENOENT ? u->exists_enoent : u->exists_other;
	else if (found == RF_MISSING && r == -ENOENT)
		to = u->missing_enoent;
	if (to)
		r = to;
	if (r == -EPERM && (u->eperm == EPERM_OK ||
			    (u->eperm == EPERM_IGNORABLE && ignore_attr)))
		r = 0;
	return r;
}
