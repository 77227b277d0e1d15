/* segread — read one file ahead in segments, in parallel over idle sessions.
 *
 * When one data connection is slow (a server or link that caps each
 * connection's bandwidth, or a long fat pipe), a sequential reader is
 * served from segments of SEGREAD_SEG bytes fetched by up to n helper
 * threads at once, each with its own bulk session: REST at the segment's
 * start, RETR, read the segment, ABOR. Helpers stay at most n segments
 * ahead of the reader, so memory is bounded by n * SEGREAD_SEG (freed as
 * the reader passes). A helper that finds no spare session ends; a failed
 * segment ends the whole thing (the caller falls back to its own stream,
 * which has its own retries).
 *
 * One reader at a time (the file stream's lock).
 */
#ifndef FTPFS_SEGREAD_H
#define FTPFS_SEGREAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pool.h"

#define SEGREAD_SEG (2 * 1024 * 1024)

struct segread;

/* Fetch path from offset start on with n (>= 1) helpers, up to size (the
 * size known at open, -1 if unknown: then up to the end). NULL on
 * failure. */
struct segread *segread_new(struct pool *p, const char *path, int64_t start,
			    int64_t size, unsigned n);
/* Copy up to len bytes at off, waiting for them. The count (0 at the end
 * of the file); -ERANGE when off is not ahead of the reader (a seek) or
 * the helpers are gone; another negative errno when a segment failed. On
 * any negative return the caller frees this and reads on its own. */
ssize_t segread_read(struct segread *r, char *buf, size_t len, int64_t off);
/* Stop the helpers (their transfers are aborted), wait for them, free. */
void segread_free(struct segread *r);

#endif
