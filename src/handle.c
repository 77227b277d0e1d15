/* handle — the open files of the mount. See handle.h.
 *
 * Every open handle is listed, so that a rename through the mount moves
 * its name: reads go on from the new server name. libfuse relies on that
 * when a file still open is unlinked or renamed over: it renames the file
 * to a hidden .fuse_hidden* name (hard_remove is off) and unlinks that at
 * the last close, so the handle keeps reading and writing it, as on a
 * local disk. Those names are listed like any other (as NFS's .nfs*
 * files): one left behind by a crash can be seen and removed.
 *
 * Locks: open_lock is taken under no other lock; under it, only a read
 * stream's path swap (file_stream_set_path: the stream's lock) and
 * ino_pin (the inode table's) are taken.
 */
#include "handle.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "fs.h"
#include "ino.h"
#include "meta.h"

static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static struct handle *open_list; /* protected by open_lock */

int handle_add(struct handle *h, const char *path)
{
	h->path = strdup(path);
	if (!h->path)
		return -ENOMEM;
	pthread_mutex_lock(&open_lock);
	h->next = open_list;
	open_list = h;
	pthread_mutex_unlock(&open_lock);
	return 0;
}

void handle_remove(struct handle *h)
{
	struct handle **pp;

	pthread_mutex_lock(&open_lock);
	for (pp = &open_list; *pp; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	pthread_mutex_unlock(&open_lock);
	free(h->path);
	h->path = NULL;
}

const char *handle_path(struct handle *h, char **own)
{
	pthread_mutex_lock(&open_lock);
	*own = h->path ? strdup(h->path) : NULL;
	pthread_mutex_unlock(&open_lock);
	return *own;
}

void handles_renamed(struct fs_ctx *c, const char *from, const char *to)
{
	size_t fl = strlen(from);
	struct handle *h;

	pthread_mutex_lock(&open_lock);
	for (h = open_list; h; h = h->next) {
		char *np, *sp;

		if (strncmp(h->path, from, fl) ||
		    (h->path[fl] && h->path[fl] != '/'))
			continue;
		if (h->path[fl])
			ino_pin(c->inos, h->path); /* moves with its dir */
		if (asprintf(&np, "%s%s", to, h->path + fl) < 0)
			continue;
		free(h->path);
		h->path = np;
		if (h->rs && meta_srv_path(c, np, &sp) == 0) {
			file_stream_set_path(h->rs, sp);
			free(sp);
		}
	}
	pthread_mutex_unlock(&open_lock);
}

void handles_seen_size(const char *path, int64_t size)
{
	struct handle *h;

	pthread_mutex_lock(&open_lock);
	for (h = open_list; h; h = h->next)
		if (h->rs && !strcmp(h->path, path))
			file_stream_seen_size(h->rs, size);
	pthread_mutex_unlock(&open_lock);
}

struct handle *handles_take(void)
{
	struct handle *h;

	pthread_mutex_lock(&open_lock);
	h = open_list;
	if (h)
		open_list = h->next;
	pthread_mutex_unlock(&open_lock);
	return h;
}
