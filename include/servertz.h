/* servertz — the time zone of a server's LIST times.
 *
 * LIST shows times in the server's local zone, without saying which
 * (MLSD and MDTM are UTC, RFC 3659 2.3). Both functions return 0 or a
 * negative errno; *offset is seconds east of UTC.
 */
#ifndef FTPFS_SERVERTZ_H
#define FTPFS_SERVERTZ_H

struct pool;

/* Guess the zone: list the root, and compare the LIST time of a file with
 * its MDTM. 0 and *offset (a multiple of 15 minutes) when a file allowed
 * it, else -ENOENT (or the listing's error). Only meaningful without MLST
 * (MLSD times are UTC). */
int servertz_detect(struct pool *p, long *offset);
/* "UTC", "GMT", "Z", "+HH", "-HH:MM", "+HHMM", "UTC+HH"... → *offset;
 * -EINVAL for anything else or beyond ±14:59. */
int servertz_parse(const char *s, long *offset);

#endif
