/* dirsnap — an open directory's listing. See dirsnap.h.
 *
 * snap_fn runs as the cache's listing callback (meta_list), under the
 * cache's lock, and overlay_fn under the write table's lock (wfile_list):
 * both only copy what they are handed into the snapshot, which no other
 * thread sees yet.
 */
#include "dirsnap.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "fs.h"
#include "ino.h"
#include "log.h"
#include "meta.h"
#include "prefetch.h"
#include "wfile.h"

#define PREFETCH_PER_DIR 64 /* subdirectories queued per opendir */

struct dirsnap {
	struct fs_ctx *c;
	struct cache_dirent *ents;
	size_t n, cap;
	char *path;  /* the directory's FUSE path */
	bool served; /* readdir handed entries out: offset 0 is a rewind */
	unsigned long gen;    /* the cache's before the listing was taken */
	unsigned long writes; /* c->writes_seen then */
};

static int snap_fn(void *arg, const char *name, const struct stat *st)
{
	struct dirsnap *d = arg;
	struct cache_dirent *e;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;

		e = realloc(d->ents, cap * sizeof(*e));
		if (!e)
			return 1;
		d->ents = e;
		d->cap = cap;
	}
	e = &d->ents[d->n];
	e->name = strdup(name);
	if (!e->name)
		return 1;
	e->st = *st;
	e->link = NULL;
	d->n++;
	return 0;
}

/* Files being written: the server may not list them yet, or list the
 * size before the data still to commit. */
static void overlay_fn(void *arg, const char *name, int64_t size, time_t mtime,
		       bool pending)
{
	struct dirsnap *d = arg;
	struct stat st;
	size_t i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->ents[i].name, name)) {
			if (pending && S_ISREG(d->ents[i].st.st_mode)) {
				d->ents[i].st.st_size = size;
				d->ents[i].st.st_blocks = (size + 511) / 512;
				d->ents[i].st.st_mtime = mtime;
			}
			return;
		}
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | 0644;
	st.st_nlink = 1;
	st.st_size = size;
	st.st_mtime = st.st_ctime = st.st_atime = mtime;
	st.st_uid = d->c->uid;
	st.st_gid = d->c->gid;
	snap_fn(d, name, &st);
}

static void snap_clear(struct dirsnap *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->ents[i].name);
	free(d->ents);
	d->ents = NULL;
	d->n = d->cap = 0;
}

void dirsnap_free(struct dirsnap *d)
{
	snap_clear(d);
	free(d->path);
	free(d);
}

/* The listing of path (cached or listed now), and the files being
 * written there that the server does not list yet. */
static int snap_fill(const char *path, struct dirsnap *d, bool *first)
{
	int r = meta_list(d->c, path, snap_fn, d, first);

	if (r == 0)
		wfile_list(d->c->wfiles, path, overlay_fn, d);
	return r;
}

/* Queue the subdirectories of path (listed in d) that are not cached, in
 * listing order, in front of older jobs (see prefetch_add). */
static void prefetch_subdirs(const char *path, const struct dirsnap *d)
{
	struct fs_ctx *c = d->c;
	size_t i, pl = strlen(path), n = 0, queued = 0;
	size_t pick[PREFETCH_PER_DIR];
	char child[PATH_MAX];

	for (i = 0; i < d->n && n < PREFETCH_PER_DIR; i++) {
		if (!S_ISDIR(d->ents[i].st.st_mode))
			continue;
		if (snprintf(child, sizeof(child), "%s/%s", pl > 1 ? path : "",
			     d->ents[i].name) >= (int)sizeof(child) ||
		    cache_has_dir(c->cache, child))
			continue;
		pick[n++] = i;
	}
	while (n-- > 0) {
		snprintf(child, sizeof(child), "%s/%s", pl > 1 ? path : "",
			 d->ents[pick[n]].name);
		if (prefetch_add(c->prefetch, child, true) == 0)
			queued++;
	}
	if (queued)
		log_dbg("%s: prefetching %zu subdirectories", path, queued);
}

int dirsnap_open(struct fs_ctx *c, const char *path, struct dirsnap **out)
{
	struct dirsnap *d;
	bool first;
	int r;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->c = c;
	d->path = strdup(path);
	d->gen = cache_gen(c->cache);
	d->writes = atomic_load(&c->writes_seen);
	r = d->path ? snap_fill(path, d, &first) : -ENOMEM;
	if (r < 0) {
		dirsnap_free(d);
		return r;
	}
	if (first && c->prefetch)
		prefetch_subdirs(path, d);
	*out = d;
	return 0;
}

/* rewinddir (readdir from offset 0 again): the listing as it is now, so
 * that names made or removed since opendir are seen. On failure the old
 * snapshot stays. */
static void snap_refresh(struct dirsnap *d)
{
	struct dirsnap now = { .c = d->c };

	if (snap_fill(d->path, &now, NULL) < 0) {
		snap_clear(&now);
		return;
	}
	snap_clear(d);
	d->ents = now.ents;
	d->n = now.n;
	d->cap = now.cap;
}

/* The inode number of dir's entry name ("." and ".." too). */
static uint64_t entry_ino(struct fs_ctx *c, const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char buf[1024], *p = buf, *parent;
	uint64_t ino;

	if (!strcmp(name, "."))
		return ino_of(c->inos, dir);
	if (!strcmp(name, "..")) {
		parent = meta_parent(dir);
		ino = parent ? ino_of(c->inos, parent) : 1;
		free(parent);
		return ino;
	}
	if (dl + nl + 2 > sizeof(buf) && !(p = malloc(dl + nl + 2)))
		return 0;
	if (dl == 1)
		dl = 0; /* the root: "/name" */
	memcpy(p, dir, dl);
	p[dl] = '/';
	memcpy(p + dl + 1, name, nl + 1);
	ino = ino_of(c->inos, p);
	if (p != buf)
		free(p);
	return ino;
}

int dirsnap_read(struct fs_ctx *c, struct dirsnap *d, void *buf,
		 fuse_fill_dir_t filler, off_t off)
{
	struct stat st;
	/* A change through the mount since the listing (another process
	 * appended to a file in it): its sizes may be older than what the
	 * kernel knows, and readdirplus would make the kernel take them.
	 * Names (and inode numbers) only then; the kernel looks the entries
	 * up. */
	bool plus = cache_gen(c->cache) == d->gen &&
		    atomic_load(&c->writes_seen) == d->writes;
	size_t i;

	if (off == 0 && d->served)
		snap_refresh(d);
	d->served = true;
	for (i = (size_t)off; i < d->n + 2; i++) {
		const char *name = i == 0   ? "."
				   : i == 1 ? ".."
					    : d->ents[i - 2].name;

		if (i < 2) {
			memset(&st, 0, sizeof(st));
			st.st_mode = S_IFDIR;
		} else {
			st = d->ents[i - 2].st;
		}
		st.st_ino = entry_ino(c, d->path, name);
		if (filler(buf, name, &st, (off_t)i + 1,
			   i >= 2 && plus ? FUSE_FILL_DIR_PLUS : 0))
			break;
	}
	return 0;
}
