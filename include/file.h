/* file — per-open-file read stream over a pooled session.
 *
 * Reads at the stream's position consume the running RETR; a read a little
 * ahead reads and keeps the gap; a read of something read recently is
 * served from a window of the last FILE_WINDOW bytes (the kernel's parallel
 * read-ahead may arrive out of order); any other offset restarts the
 * transfer with REST. Between reads the session is parked (see pool.h) and
 * may be taken back by the pool; the next read then resumes with REST.
 * A broken transfer is resumed with REST at the byte where it broke, once.
 *
 * Thread-safe: calls on one stream are serialised by its own lock.
 */
#ifndef FTPFS_FILE_H
#define FTPFS_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pool.h"

#define FILE_WINDOW (1024 * 1024)
#define FILE_SKIP_MAX (1024 * 1024)
#define FILE_PARALLEL_BELOW (64 * 1024 * 1024)

struct file_stream;

/* path: absolute server path (copied). */
struct file_stream *file_stream_new(struct pool *p, const char *path);
/* size: the file's size at open (-1 if unknown): a read reaching it also
 * reads the end of the transfer, so that the session is free at once.
 * Let a sequential read whose data connection turns out slow (below
 * FILE_PARALLEL_BELOW bytes/s while waiting on it) go on in segments
 * fetched by up to `helpers` sessions at once (segread.h); helpers = 0:
 * never (the default). */
void file_stream_parallel(struct file_stream *f, unsigned helpers,
			  int64_t size);
/* Read up to len bytes at off; fewer only at the end of the file. Returns
 * the count or a negative errno (-EIO when the transfer fails twice). */
ssize_t file_stream_read(struct file_stream *f, char *buf, size_t len,
			 int64_t off);
/* A stat found the file size bytes long: an end of file met before that
 * is forgotten, so that reads go on to the new end (a file growing on the
 * server, tail -f). Never waits: safe from getattr during a read. */
void file_stream_seen_size(struct file_stream *f, int64_t size);
/* The file was renamed on the server (through the mount): later
 * transfers use path (copied). 0 or -ENOMEM. */
int file_stream_set_path(struct file_stream *f, const char *path);
/* Stop any transfer, give the session back, free. */
void file_stream_free(struct file_stream *f);

#endif
