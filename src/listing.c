/* listing — a directory listing fetched from the server. See listing.h.
 *
 * collect() takes each entry the session parses; the notes it keeps
 * (day-only times, stale temporaries) are followed up on the same
 * session once the listing is complete, and then dropped.
 */
#include "listing.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "fs.h"
#include "listparse.h"
#include "log.h"
#include "meta.h"
#include "session.h"
#include "wfile.h"

/* At most this many day-only times of one listing are asked for. */
#define DAY_ONLY_MAX 2000
/* A file's own LIST line is all a lookup needs; a directory listed by
 * mistake stops after a few entries. */
#define PATH_LIST_MAX 8

struct collect {
	struct fs_ctx *c;
	struct listing *l;
	size_t cap;
	/* LIST files dated by day only (older than ~6 months in ls form):
	 * their index and server-side name, for MDTM (refine_day_only) */
	size_t *day_idx;
	char **day_name;
	size_t nday;
	/* temporaries of killed mounts (see WFILE_TMP_STALE): server names */
	char **stale;
	size_t nstale;
};

void listing_free(struct listing *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->ents[i].name);
		free(l->ents[i].link);
	}
	free(l->ents);
	l->ents = NULL;
	l->n = 0;
}

/* Remember a day-only entry (its index is l->n); takes name. */
static int note_day_only(struct collect *k, char *name)
{
	size_t *ni;
	char **nn;

	ni = realloc(k->day_idx, (k->nday + 1) * sizeof(*ni));
	if (!ni)
		return -ENOMEM;
	k->day_idx = ni;
	nn = realloc(k->day_name, (k->nday + 1) * sizeof(*nn));
	if (!nn)
		return -ENOMEM;
	k->day_name = nn;
	k->day_idx[k->nday] = k->l->n;
	k->day_name[k->nday++] = name;
	return 0;
}

/* An upload's temporary: hidden; noted for deletion when stale. */
static int note_tmp(struct collect *k, const struct ftp_entry *e)
{
	struct stat st;
	char **ns;

	meta_entry_stat(k->c, e, &st);
	if (!e->mtime.valid || e->type != FTP_TYPE_FILE ||
	    st.st_mtime > time(NULL) - WFILE_TMP_STALE)
		return 0;
	ns = realloc(k->stale, (k->nstale + 1) * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	k->stale = ns;
	k->stale[k->nstale] = strdup(e->name);
	if (!k->stale[k->nstale])
		return -ENOMEM;
	k->nstale++;
	return 0;
}

static int collect(void *arg, struct ftp_entry *e)
{
	struct collect *k = arg;
	struct listing *l = k->l;
	struct cache_dirent *d;
	char *raw = NULL;
	int r = 0;

	if (wfile_tmp_name(e->name)) {
		r = note_tmp(k, e);
		goto drop;
	}
	if (e->type == FTP_TYPE_FILE && e->mtime.valid && !e->mtime.has_time &&
	    k->nday < DAY_ONLY_MAX) {
		raw = strdup(e->name); /* the server's spelling, for MDTM */
		if (!raw) {
			r = -ENOMEM;
			goto drop;
		}
	}
	if (meta_local_name(k->c, &e->name) < 0 ||
	    meta_local_name(k->c, &e->link_target) < 0 ||
	    !listparse_name_ok(e->name, strlen(e->name))) {
		log_dbg("dropping a name not valid in the local charset");
		goto drop;
	}
	if (l->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;

		d = realloc(l->ents, cap * sizeof(*d));
		if (!d) {
			r = -ENOMEM;
			goto drop;
		}
		l->ents = d;
		k->cap = cap;
	}
	if (raw) {
		r = note_day_only(k, raw);
		if (r < 0)
			goto drop;
		raw = NULL;
	}
	d = &l->ents[l->n++];
	meta_entry_stat(k->c, e, &d->st);
	d->name = e->name;
	d->link = e->link_target;
	e->name = NULL;
	e->link_target = NULL;
drop:
	free(raw);
	ftp_entry_free(e);
	return r;
}

/* Drop the notes for the follow-ups (day-only times, stale
 * temporaries). */
static void collect_done(struct collect *k)
{
	size_t i;

	for (i = 0; i < k->nday; i++)
		free(k->day_name[i]);
	free(k->day_name);
	free(k->day_idx);
	for (i = 0; i < k->nstale; i++)
		free(k->stale[i]);
	free(k->stale);
}

/* LIST gives files older than about six months a date without a time
 * ("Jun 15  2001"): ask MDTM (UTC, to the second) for them, in batches
 * on the listing's session, at most DAY_ONLY_MAX per listing. Where the
 * server has no MDTM, the day is what is known (midnight, server time). */
static int refine_day_only(struct ftp_session *s, const char *dir,
			   struct collect *k)
{
	const char **paths;
	time_t *t;
	bool *ok;
	size_t i, dl = strlen(dir);
	int r = -ENOMEM;

	if (!k->nday)
		return 0;
	paths = calloc(k->nday, sizeof(*paths));
	t = calloc(k->nday, sizeof(*t));
	ok = calloc(k->nday, sizeof(*ok));
	if (!paths || !t || !ok)
		goto out;
	for (i = 0; i < k->nday; i++) {
		char *p;

		if (asprintf(&p, "%s/%s", dl > 1 ? dir : "", k->day_name[i]) <
		    0)
			goto out;
		paths[i] = p;
	}
	r = session_mdtm_batch(s, paths, k->nday, t, ok);
	for (i = 0; r == 0 && i < k->nday; i++) {
		struct stat *st = &k->l->ents[k->day_idx[i]].st;

		if (ok[i])
			st->st_mtime = st->st_ctime = st->st_atime = t[i];
	}
out:
	for (i = 0; paths && i < k->nday; i++)
		free((char *)paths[i]);
	free(paths);
	free(t);
	free(ok);
	return r;
}

/* Delete the stale temporaries a listing of dir found (best effort: a
 * refusal is logged; another mount's running upload keeps its fresh). */
static void drop_stale(struct ftp_session *s, const char *dir,
		       const struct collect *k)
{
	size_t i, dl = strlen(dir);
	char *p;

	for (i = 0; i < k->nstale && !session_broken(s); i++) {
		if (asprintf(&p, "%s/%s", dl > 1 ? dir : "", k->stale[i]) < 0)
			return;
		if (!wfile_tmp_in_use(k->c->wfiles, p)) {
			if (session_delete(s, p) == 0)
				log_info("%s: removed a stale upload temporary",
					 p);
			else
				log_warn("%s: stale upload temporary not "
					 "removed: %s",
					 p, session_last_error(s));
		}
		free(p);
	}
}

int listing_dir(struct fs_ctx *c, struct ftp_session *s, const char *srv,
		bool long_list, struct listing *l)
{
	struct collect k = { .c = c, .l = l };
	int r;

	listing_free(l); /* a retry starts over */
	if (long_list)
		r = session_list_long(s, srv, c->max_entries, collect, &k);
	else
		r = session_list(s, srv, c->max_entries, collect, &k);
	if (r == 0)
		r = refine_day_only(s, srv, &k);
	if (r == 0)
		drop_stale(s, srv, &k);
	collect_done(&k);
	return r;
}

int listing_one(struct fs_ctx *c, struct ftp_session *s, const char *srv,
		const char *srv_dir, struct listing *l)
{
	struct collect k = { .c = c, .l = l };
	int r;

	listing_free(l); /* a retry starts over */
	r = session_list_path(s, srv, PATH_LIST_MAX, collect, &k);
	if (r == 0)
		r = refine_day_only(s, srv_dir, &k);
	collect_done(&k);
	return r;
}
