/* listparse — FTP directory listing parsers (MLSD/MLST facts, LIST formats).
 *
 * Pure functions: no sockets, no global state, no allocation beyond the
 * strings in the returned entry. Every input is bounded by the caller (one
 * line, at most LISTPARSE_LINE_MAX bytes, without its CRLF).
 *
 * Return rule: 0 = an entry was parsed into *out (free it with
 * ftp_entry_free()); 1 = the line is valid but carries no entry (a "total N"
 * header, a blank line, ".", "..", an MLSD cdir/pdir fact); a negative errno
 * (-EINVAL) = the line is not understood or the entry is unsafe (a name with
 * '/', NUL, CR or LF). On anything but 0, *out is left zeroed.
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
	FTP_TYPE_UNKNOWN = 0, /* fifo, socket, device, MLSD type=unknown/OS.*, no info */
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
	char *name;        /* exact bytes, leading/trailing blanks kept; NUL-terminated */
	enum ftp_type type;
	int64_t size;      /* bytes; -1 when the line gives none */
	struct ftp_time mtime;
	mode_t perm;       /* permission bits (07777) when known */
	bool has_perm;
	char *link_target; /* for links when the line gives a target; else NULL */
	unsigned rights;   /* MLSD "perm=" letters as LISTPARSE_RIGHT(c) bits */
	bool has_rights;   /* the line had a perm fact */
};

/* The bit of an RFC 3659 perm letter ('a'..'z': a append, c create,
 * d delete, e enter, f rename, l list, m mkdir, p purge, r retrieve,
 * w store). */
#define LISTPARSE_RIGHT(c) (1u << ((c) - 'a'))

/* Formats LIST output can be in. listparse_list_line() detects the format of
 * each line on its own; the hint is only used to break ties. */
enum listparse_fmt {
	LISTPARSE_AUTO = 0,
	LISTPARSE_UNIX,
	LISTPARSE_DOS,
	LISTPARSE_EPLF,
};

/* Parse one line of LIST output. */
int listparse_list_line(const char *line, size_t len, struct ftp_entry *out);

/* Parse one MLSD line or the entry line of an MLST reply
 * ("facts; name", RFC 3659 7.2; a leading space, as in MLST replies, is
 * skipped). Fact names are case-insensitive. */
int listparse_mlsx_line(const char *line, size_t len, struct ftp_entry *out);

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
