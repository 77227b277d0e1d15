/* linkpath — symlink targets between the mount and the server. See
 * linkpath.h. */
#include "linkpath.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Components of a path, pointing into a private copy. */
struct comps {
	char *buf;
	const char **v;
	size_t n;
};

static void comps_free(struct comps *c)
{
	free(c->buf);
	free(c->v);
}

/* Fold path's components onto c ("." dropped, ".." pops): false when
 * ".." goes above the root, or out of memory. */
static bool comps_add(struct comps *c, char *path)
{
	char *p = path, *slash;

	for (;;) {
		slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		if (!strcmp(p, "..")) {
			if (!c->n)
				return false;
			c->n--;
		} else if (*p && strcmp(p, ".")) {
			c->v[c->n++] = p;
		}
		if (!slash)
			return true;
		p = slash + 1;
	}
}

/* dir's components, then target's (target absolute: only its own). */
static bool split(const char *dir, const char *target, struct comps *c)
{
	size_t dl = dir ? strlen(dir) : 0, tl = strlen(target);

	memset(c, 0, sizeof(*c));
	c->buf = malloc(dl + tl + 2);
	/* at most one component per byte, plus one */
	c->v = malloc((dl + tl + 2) * sizeof(*c->v));
	if (!c->buf || !c->v)
		return false;
	memcpy(c->buf, dir ? dir : "", dl + 1);
	memcpy(c->buf + dl + 1, target, tl + 1);
	if (target[0] != '/' && dir && !comps_add(c, c->buf))
		return false;
	return comps_add(c, c->buf + dl + 1);
}

/* "/a/b" from components [from, n) joined, with a leading prefix. */
static char *join(const char *prefix, const char *const *v, size_t n)
{
	size_t len = strlen(prefix) + 1, i;
	char *s, *p;

	for (i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	p = stpcpy(s, prefix);
	for (i = 0; i < n; i++) {
		if (i || (p > s && p[-1] != '/'))
			*p++ = '/';
		p = stpcpy(p, v[i]);
	}
	*p = '\0';
	return s;
}

char *linkpath_resolve(const char *dir, const char *target)
{
	struct comps c;
	char *r = NULL;

	if (!target || !*target)
		return NULL;
	if (split(dir, target, &c))
		r = join("/", c.v, c.n);
	comps_free(&c);
	return r;
}

char *linkpath_to_local(const char *root, const char *dir, const char *target)
{
	struct comps rc = { 0 }, dc = { 0 }, tc = { 0 };
	char *r = NULL, *ups = NULL;
	size_t k = 0, i;

	if (!target || !*target)
		return NULL;
	if (target[0] != '/')
		return strdup(target);
	if (!split(NULL, root && *root ? root : "/", &rc) ||
	    !split(NULL, dir, &dc) || !split(NULL, target, &tc))
		goto out;
	/* inside root: root's components are a prefix of the target's */
	for (i = 0; i < rc.n; i++)
		if (i >= tc.n || strcmp(rc.v[i], tc.v[i]))
			break;
	if (i < rc.n) {
		r = strdup(target);
		goto out;
	}
	while (k < dc.n && k < tc.n && !strcmp(dc.v[k], tc.v[k]))
		k++;
	ups = malloc(3 * (dc.n - k) + 1);
	if (!ups)
		goto out;
	ups[0] = '\0';
	for (i = k; i < dc.n; i++)
		strcat(ups, i + 1 < dc.n || k < tc.n ? "../" : "..");
	r = join(ups, tc.v + k, tc.n - k);
	if (r && !*r) {
		free(r);
		r = strdup(".");
	}
out:
	free(ups);
	comps_free(&rc);
	comps_free(&dc);
	comps_free(&tc);
	return r;
}
