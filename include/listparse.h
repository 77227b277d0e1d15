/* listparse — FTP directory listing parsers (MLSD/MLST facts, LIST formats).
 *
 * Pure functions: no sockets, no global state, no allocation beyond the
 * strings in the returned entry and the context object of the per-listing
 * API. Every input is bounded by the caller (one line, at most
 * LISTPARSE_LINE_MAX bytes, without its CRLF; a longer one is refused).
 * The sources: src/listparse.c and one src/listparse_*.c per family of
 * formats (see src/listparse_int.h).
 *
 * Return rule: 0 = an entry was parsed into *out (free it with
 * ftp_entry_free()); 1 = the line is valid but carries no entry (a "total N"
 * header, a blank line, ".", "..", an MLSD cdir/pdir fact, a VMS or MVS
 * header or trailer, a VMS line held to be joined with the next, an older
 * VMS version); a negative errno (-EINVAL; -ENOMEM) = the line is not
 * understood or the entry is unsafe (a name with '/', NUL, CR or LF; a
 * link target with NUL, CR or LF). On anything but 0, *out is left zeroed.
 * listparse_mlst_entry() differs: see there.
 *
 * LIST formats: unix ls -l (also numeric-mode, NetPresenz, Sterling
 * Connect:Enterprise; dates as "2001-04-27 12:00", "24-04-2003 17:12",
 * "2004.07.15", "2003/01/29", "01/29/2003", "29.01.2003" (each with an
 * optional time), "Jan 29, 2003 [14:20]", "Jan 29,2003", BSD ls -T "Jan 29
 * 03:26:00 2003", "09-26 2000", "3 29 03:26", CJK and European month
 * names; a group column run into the size, "ftp4096", gives the digits
 * after its last letter as the size; of several " -> " in a link line the
 * one leaving a target as long as the size column splits, else the first),
 * DOS/IIS, EPLF, NetWare, OS/2, VShell, VMS, MVS data sets, PDS members and
 * JES jobs, OS/400, VM/CMS and z/VM, HP NonStop (with a hint only), Win16
 * (SuperTCP, Chameleon), VxWorks, OS-9, Nortel WfFTP. Conventions:
 *  - VMS: the name loses its ";version"; "X.DIR;1" is the directory "X".
 *    The size is the used blocks times 512 ("9" and "9/12" both give 4608),
 *    or bytes when the column has a unit ("2KB" = 2048). Several versions
 *    of a file are one entry: the first listed, which VMS lists newest
 *    first (per-listing API only; the single-line function gives each).
 *  - MVS data sets and members, VM/CMS and z/VM files: no byte size (-1):
 *    the listing gives tracks or records (but a load-module member list's
 *    hex size is bytes). PO/PO-E data sets are directories. A data set's
 *    mtime is its "Referred" date; a member's its "Changed".
 *  - VM/CMS: the name is "FNAME.FTYPE"; JES: the name is the job id.
 *  - OS/400: a path in the name column is cut to its last component; the
 *    date order of "aa/bb/cc" is the first of yy/MM/dd, MM/dd/yy, dd/MM/yy
 *    that makes a date, and in a listing sticks to the one that a line
 *    with only one reading has shown.
 */
#ifndef FTPFS_LISTPARSE_H
#define FTPFS_LISTPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define LISTPARSE_LINE_MAX 8192

enum ftp_type {
	FTP_TYPE_UNKNOWN =
		0, /* fifo, socket, device, MLSD type=unknown/OS.*, no info */
	FTP_TYPE_FILE,
	FTP_TYPE_DIR,
	FTP_TYPE_LINK,
};

/* A time as the line states it. LIST formats carry no zone (server local
 * time); MLSD modify=, EPLF and numeric unix timestamps are UTC. */
struct ftp_time {
	int year;      /* full year, e.g. 2024; 0 when has_year is false */
	int mon;       /* 1..12 */
	int day;       /* 1..31 */
	int hour, min; /* 0 when !has_time */
	int sec;       /* 0 unless given */
	bool valid;    /* the line gave a date at all */
	bool has_year; /* false for the ls "Nov 21 13:12" form */
	bool has_time; /* false for date-only forms ("Jun 15  2001") */
	bool utc;      /* true for MLSD modify=, EPLF, unix timestamps */
};

struct ftp_entry {
	char *name; /* exact bytes, leading/trailing blanks kept; NUL-terminated */
	enum ftp_type type;
	int64_t size; /* bytes; -1 when the line gives none */
	struct ftp_time mtime;
	mode_t perm; /* permission bits (07777) when known */
	bool has_perm;
	char *link_target; /* for links when the line gives a target; else NULL */
	unsigned rights;   /* MLSD "perm=" letters as LISTPARSE_RIGHT(c) bits */
	bool has_rights;   /* the line had a perm fact */
};

/* The bit of an RFC 3659 perm letter ('a'..'z': a append, c create,
 * d delete, e enter, f rename, l list, m mkdir, p purge, r retrieve,
 * w store). */
#define LISTPARSE_RIGHT(c) (1u << ((c) - 'a'))

/* Families of LIST formats: a SYST hint (listparse_fmt_from_syst(), given
 * to listparse_ctx_new()), and what a listing has shown
 * (listparse_ctx_format()). */
enum listparse_fmt {
	LISTPARSE_AUTO = 0, /* not known */
	LISTPARSE_UNIX,
	LISTPARSE_DOS,
	LISTPARSE_EPLF,
	LISTPARSE_VMS,
	LISTPARSE_MVS, /* data sets, PDS members, JES */
	LISTPARSE_OS400,
	LISTPARSE_VMCMS,   /* VM/CMS and z/VM */
	LISTPARSE_NONSTOP, /* HP NonStop / Guardian */
	LISTPARSE_OTHER, /* NetWare, OS/2, VShell, Win16, VxWorks, OS-9, ... */
};

/* Parse one line of LIST output on its own, detecting its format (no
 * hint, no joining, no versions dropped: see the context API below). A
 * bare MVS member name and HP NonStop lines need a hint and are refused
 * here. */
int listparse_list_line(const char *line, size_t len, struct ftp_entry *out);

/* Per-listing LIST parsing. One context per listing: create it with the
 * hint from the session's SYST reply (LISTPARSE_AUTO if none), feed every
 * line in order, call listparse_ctx_end() after the last, then free it.
 *
 * Detection: the format of the first line that shows one (an entry, or a
 * VMS/MVS header) sticks for the listing; until then the hint stands in.
 * Each line is tried in that format first, then in the others, so a line
 * is still parsed when a server mixes formats. Formats that a bare line
 * cannot prove (an MVS member name alone, HP NonStop) are only taken when
 * the listing is known to be in them.
 *
 * VMS: a line holding only "NAME;version" is held (return 1) and joined
 * with the next line; if the joined line is not an entry the held line
 * counts as refused and the next line is parsed on its own.
 *
 * listparse_ctx_new() returns NULL when out of memory. */
struct listparse_ctx;

struct listparse_ctx *listparse_ctx_new(enum listparse_fmt hint);
void listparse_ctx_free(struct listparse_ctx *c);

/* One line; returns as listparse_list_line() (see the return rule). */
int listparse_ctx_line(struct listparse_ctx *c, const char *line, size_t len,
		       struct ftp_entry *out);

/* After the last line: -EINVAL when a held VMS line was never completed
 * (it counts as refused), else 1. Never gives an entry (*out zeroed). */
int listparse_ctx_end(struct listparse_ctx *c, struct ftp_entry *out);

/* The format the listing has shown so far (LISTPARSE_AUTO: none yet). */
enum listparse_fmt listparse_ctx_format(const struct listparse_ctx *c);

/* Lines refused so far: each listparse_ctx_line() call with c and out
 * given that returned a negative errno, plus each held VMS line that was
 * never completed. The caller warns, naming the directory. */
size_t listparse_ctx_refused(const struct listparse_ctx *c);

/* The hint for a SYST reply's text (after "215 "): "UNIX Type: L8",
 * "Windows_NT", "VMS", "MVS is the operating system ...", "OS/400 ...",
 * "VM/CMS", "z/VM", "NONSTOP ..."; LISTPARSE_AUTO for anything else. */
enum listparse_fmt listparse_fmt_from_syst(const char *text, size_t len);

/* Parse one MLSD line ("facts; name", RFC 3659 7.2: "entry = [ facts ]
 * SP pathname"; one leading space, as in MLST replies, is skipped; a TAB
 * may stand for the SP). The name must be a name in the listed directory
 * (see the return rule); for the entry line of an MLST reply, whose
 * pathname may hold '/', use listparse_mlst_entry(). Fact names and type
 * values are case-insensitive. Symlinks:
 * "type=OS.unix=slink" (Pure-FTPd; ":TARGET" may follow, empty or not) and
 * "type=OS.unix=symlink" (ProFTPD; also with ":TARGET") are FTP_TYPE_LINK,
 * with link_target set when a non-empty target is given. */
int listparse_mlsx_line(const char *line, size_t len, struct ftp_entry *out);

/* Parse the entry line of an MLST reply (RFC 3659 7.2: "250-..." then
 * " facts SP pathname", then "250 ..."), given without its line end;
 * leading spaces are skipped. The facts are read as listparse_mlsx_line()
 * reads them, except that type=cdir and type=pdir are FTP_TYPE_DIR entries
 * (the directory asked about), not lines without one. The pathname is the
 * one asked about, not a name in a directory: out->name is it as given,
 * unchecked (it may hold '/', be "." or be empty); do not hand it to the
 * kernel. Returns 0 with *out filled, or -EINVAL when there are no facts
 * or they are malformed (*out zeroed). */
int listparse_mlst_entry(const char *line, size_t len, struct ftp_entry *out);

/* A name from the server that may be handed to the kernel: non-empty, not
 * "." or "..", no '/', NUL, CR or LF. */
bool listparse_name_ok(const char *name, size_t len);

/* Convert a parsed time to seconds since the epoch. Times without a zone are
 * taken as local time at UTC offset tz_offset_sec (east positive). A date
 * without a year gets the year that puts it nearest to `now` (so a file dated
 * a few weeks in the future is not pushed back a year). Returns 0 and sets
 * *out, or -EINVAL when t is not valid. */
int listparse_time_to_epoch(const struct ftp_time *t, long tz_offset_sec,
			    time_t now, time_t *out);

void ftp_entry_free(struct ftp_entry *e);

#endif
