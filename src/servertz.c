/* servertz — the time zone of a server's LIST times. See servertz.h.
 *
 * Detection takes one session from the pool for a listing of the root
 * and at most five MDTMs, at mount time, before the FUSE loop.
 */
#include "servertz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "listparse.h"
#include "pool.h"
#include "session.h"

#define PROBES 5 /* files compared at most */

struct tz_probe {
	char *name[PROBES]; /* files whose LIST line has a time of day */
	struct ftp_time t[PROBES];
	int n;
};

static int tz_collect(void *arg, struct ftp_entry *e)
{
	struct tz_probe *p = arg;

	if (p->n < PROBES && e->type == FTP_TYPE_FILE && e->mtime.valid &&
	    e->mtime.has_time && !e->mtime.utc) {
		p->t[p->n] = e->mtime;
		p->name[p->n++] = e->name;
		e->name = NULL;
	}
	ftp_entry_free(e);
	return 0;
}

int servertz_detect(struct pool *p, long *offset)
{
	struct tz_probe pr = { 0 };
	struct ftp_session *s;
	const char *root = pool_root(p);
	char path[4200];
	time_t list_t, mdtm_t;
	int i, r;

	r = pool_get(p, POOL_META, &s);
	if (r < 0)
		return r;
	r = session_list(s, root[0] ? root : "/", 100000, tz_collect, &pr);
	for (i = 0; r == 0 && i < pr.n; i++) {
		long d;

		snprintf(path, sizeof(path), "%s/%s", root, pr.name[i]);
		if (session_mdtm(s, path, &mdtm_t) < 0 ||
		    listparse_time_to_epoch(&pr.t[i], 0, mdtm_t, &list_t) < 0)
			continue;
		d = (long)(list_t - mdtm_t);
		/* LIST has minutes: round to the nearest quarter hour */
		d = (d >= 0 ? d + 450 : d - 450) / 900 * 900;
		if (d >= -14 * 3600 && d <= 14 * 3600) {
			*offset = d;
			break;
		}
	}
	if (r == 0 && i == pr.n)
		r = -ENOENT;
	pool_put(p, s);
	for (i = 0; i < pr.n; i++)
		free(pr.name[i]);
	return r;
}

int servertz_parse(const char *s, long *offset)
{
	int sign = 1, h = 0, m = 0, digits = 0;

	if (!strcasecmp(s, "UTC") || !strcasecmp(s, "GMT") || !strcmp(s, "Z")) {
		*offset = 0;
		return 0;
	}
	if (!strncasecmp(s, "UTC", 3))
		s += 3;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	else
		return -EINVAL;
	while (*s >= '0' && *s <= '9' && digits < 2) {
		h = h * 10 + (*s++ - '0');
		digits++;
	}
	if (!digits)
		return -EINVAL;
	if (*s == ':')
		s++;
	if (*s) {
		if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' ||
		    s[2])
			return -EINVAL;
		m = (s[0] - '0') * 10 + (s[1] - '0');
	}
	if (h > 14 || m > 59)
		return -EINVAL;
	*offset = sign * (h * 3600L + m * 60L);
	return 0;
}
