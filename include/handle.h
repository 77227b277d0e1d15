/* handle — the open files of the mount, so that a rename through the
 * mount moves their names.
 *
 * Thread-safe: the list, and each handle's path and next, are protected
 * by one lock (handle.c's open_lock), never held across I/O; the rest of a
 * handle belongs to the FUSE requests on it (the kernel's file).
 */
#ifndef FTPFS_HANDLE_H
#define FTPFS_HANDLE_H

#include <stdbool.h>
#include <stdint.h>

struct fs_ctx;
struct file_stream;
struct wnode;

/* An open file: a read stream, or a node being written (by this handle,
 * or by another one whose data this handle must see). */
struct handle {
	struct file_stream *rs;
	struct wnode *w;
	bool writer;
	bool append;	     /* O_APPEND: every write at the node's end */
	char *path;	     /* FUSE path, follows renames; open_lock */
	struct handle *next; /* the open list; open_lock */
};

/* Put h in the list under path (copied). 0 or -ENOMEM. */
int handle_add(struct handle *h, const char *path);
/* Take h out of the list, and free its path. */
void handle_remove(struct handle *h);
/* h's path, copied into *own (free it), or NULL. */
const char *handle_path(struct handle *h, char **own);
/* from, or a name below it, became to...: the handles' paths follow,
 * and their read streams read on from the new server name. */
void handles_renamed(struct fs_ctx *c, const char *from, const char *to);
/* A stat found path size bytes long: its read streams read on to that
 * end (the kernel's fstat comes without the handle). */
void handles_seen_size(const char *path, int64_t size);
/* At unmount: one handle taken out of the list (its path still set), or
 * NULL when none is left. */
struct handle *handles_take(void);

#endif
