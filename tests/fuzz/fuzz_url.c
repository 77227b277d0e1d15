/* libFuzzer target for url_parse(), url_display() and opts_scrub_argv()
 * (src/options.c).
 *
 * The input, up to its first NUL, is an exact-size NUL-terminated heap
 * string. Checked:
 *   - url_parse(): 0 or -EINVAL; on failure the struct is zeroed and err is
 *     a non-empty string; on success host is non-empty and does not start
 *     with '-', no field holds CR or LF (nor NUL: each decoded field is
 *     shorter than the input), port is all digits with a value 1..65535
 *   - round trip: the fields, percent-encoded back into a URL, parse to the
 *     same fields
 *   - url_display(): exactly scheme://[user@]host(:[v6])...:port/path, so
 *     the password cannot be in it (also checked with a sentinel password)
 *   - opts_scrub_argv() on copies of the input (as a URL argument, as
 *     "-o <input>" and as "-o<input>"): only cuts (each scrubbed argument
 *     is the original with bytes left out, in order)
 *
 * Extra oracles (a password that survives scrubbing is visible in ps):
 *   FUZZ_NO_SCRUB_URL_CHECK  off: when url_parse() finds a password, the
 *                            scrubbed argument parses to the same URL
 *                            without a password
 *   FUZZ_NO_SCRUB_OPT_CHECK  off: in "-o <input>" and "-o<input>", no
 *                            "user=name:pass" option, as fuse_opt reads it
 *                            (',' splits, '\' escapes, "\ooo" is octal),
 *                            keeps a password after scrubbing
 */
#include <errno.h>
#include <fuse_opt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "fuzz.h"

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* t is s with bytes left out (in order) */
static bool subsequence(const char *t, const char *s)
{
	for (; *t; t++) {
		while (*s && *s != *t)
			s++;
		if (!*s)
			return false;
		s++;
	}
	return true;
}

static bool streq_null(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_field(const char *f)
{
	if (f)
		CHECK(!strpbrk(f, "\r\n"));
}

/* Percent-encode all but unreserved characters (and '/' when keep_slash). */
static void pct_encode(char **o, const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || (keep_slash && c == '/')) {
			*(*o)++ = (char)c;
		} else {
			*(*o)++ = '%';
			*(*o)++ = hex[c >> 4];
			*(*o)++ = hex[c & 15];
		}
	}
}

static const char *scheme_of(const struct ftp_url *u)
{
	return u->implicit_tls ? "ftps" : u->explicit_tls ? "ftpes" : "ftp";
}

static void check_roundtrip(const struct ftp_url *u)
{
	size_t n = 3 * (strlen(u->host) + strlen(u->port) + strlen(u->path) +
			(u->user ? strlen(u->user) : 0) +
			(u->pass ? strlen(u->pass) : 0)) +
		   32;
	char *s = malloc(n), *o = s, err[256];
	struct ftp_url v;
	bool v6 = strchr(u->host, ':') != NULL;

	CHECK(s);
	o += sprintf(o, "%s://", scheme_of(u));
	if (u->user) {
		pct_encode(&o, u->user, false);
		if (u->pass) {
			*o++ = ':';
			pct_encode(&o, u->pass, false);
		}
		*o++ = '@';
	}
	o += sprintf(o, "%s%s%s:%s/", v6 ? "[" : "", u->host, v6 ? "]" : "",
		     u->port);
	pct_encode(&o, u->path, true);
	*o = '\0';
	CHECK(url_parse(s, &v, err, sizeof(err)) == 0);
	CHECK(v.implicit_tls == u->implicit_tls &&
	      v.explicit_tls == u->explicit_tls);
	CHECK(streq_null(v.user, u->user));
	CHECK(streq_null(v.pass, u->pass));
	CHECK(strcmp(v.host, u->host) == 0);
	CHECK(strcmp(v.port, u->port) == 0);
	CHECK(strcmp(v.path, u->path) == 0);
	url_free(&v);
	free(s);
}

static void check_display(struct ftp_url *u)
{
	static char sentinel[] = "\x01SENTINEL-PASSWORD\x01";
	char *d = url_display(u), *d2, *exp, *saved;
	size_t n = strlen(u->host) + strlen(u->port) + strlen(u->path) +
		   (u->user ? strlen(u->user) : 0) + 32;
	bool v6 = strchr(u->host, ':') != NULL;

	CHECK(d);
	exp = malloc(n);
	CHECK(exp);
	snprintf(exp, n, "%s://%s%s%s%s%s:%s/%s", scheme_of(u),
		 u->user ? u->user : "", u->user ? "@" : "", v6 ? "[" : "",
		 u->host, v6 ? "]" : "", u->port, u->path);
	/* the password can only show up by coincidence through the other
	 * fields */
	CHECK(strcmp(d, exp) == 0);
	saved = u->pass;
	u->pass = sentinel;
	d2 = url_display(u);
	u->pass = saved;
	/* (so the sentinel is in d2 only if it is in d, by coincidence) */
	CHECK(d2 && strcmp(d, d2) == 0);
	free(d);
	free(d2);
	free(exp);
}

static int nonopt_proc(void *data, const char *arg, int key,
		       struct fuse_args *outargs)
{
	char **url = data;

	(void)outargs;
	if (key == FUSE_OPT_KEY_NONOPT && !*url) {
		*url = strdup(arg);
		CHECK(*url);
	}
	return 1;
}

/* The URL as main() finds it: fuse_opt's first non-option (o.url). */
static char *url_arg(int argc, char **argv)
{
	static const struct fuse_opt none[] = { FUSE_OPT_END };
	struct fuse_args a = FUSE_ARGS_INIT(argc, argv);
	char *url = NULL;

	if (fuse_opt_parse(&a, &url, none, nonopt_proc) < 0) {
		free(url);
		url = NULL;
	}
	fuse_opt_free_args(&a);
	return url;
}

/* Scrub argv = { "ftpfs", args... } (copies), telling opts_scrub_argv()
 * the URL as main() would (fuse_opt's first non-option, if any); check
 * that it only cut bytes out. Returns the scrubbed copies. */
static char **scrub(int argc, char **args)
{
	char **v = calloc((size_t)argc + 2, sizeof(*v));
	char *url;
	int i;

	CHECK(v);
	v[0] = strdup("ftpfs");
	CHECK(v[0]);
	for (i = 0; i < argc; i++) {
		size_t n = strlen(args[i]);

		v[i + 1] = malloc(n + 1);
		CHECK(v[i + 1]);
		memcpy(v[i + 1], args[i], n + 1);
	}
	url = url_arg(argc + 1, v);
	(void)opts_scrub_argv(argc + 1, v, url);
	free(url);
	for (i = 0; i < argc; i++)
		CHECK(subsequence(v[i + 1], args[i]));
	return v;
}

static void scrub_free(int argc, char **v)
{
	for (int i = 0; i <= argc; i++)
		free(v[i]);
	free(v);
}

/* ---- "-o user=name:pass" -------------------------------------------- */

#define OPTS_MAX 256

/* What fuse_opt finds in an option group: the options after unescaping. */
struct optlist {
	char *v[OPTS_MAX];
	int n;
	bool overflow;
};

static int opt_proc(void *data, const char *arg, int key,
		    struct fuse_args *outargs)
{
	struct optlist *l = data;

	(void)outargs;
	if (key != 1 && key != FUSE_OPT_KEY_OPT)
		return 1;
	if (l->n == OPTS_MAX) {
		l->overflow = true;
		return 0;
	}
	l->v[l->n] = strdup(arg);
	CHECK(l->v[l->n]);
	l->n++;
	return 0;
}

static const struct fuse_opt user_spec[] = { FUSE_OPT_KEY("user=%s", 1),
					     FUSE_OPT_END };

static void optlist_free(struct optlist *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

/* The harness's model of fuse_opt's option-group syntax (libfuse
 * fuse_opt.c, process_real_option_group): options are split at ',' and
 * a backslash escapes the next byte, or starts an octal escape "\ooo"
 * (first digit 0..3). For every option, dec holds the unescaped option
 * and map[k] the offset in the group of the raw bytes that gave dec[k]
 * (map[len] = where the option ends). The model is checked against
 * fuse_opt itself before it is trusted. */
struct mopt {
	char *dec;
	size_t *map;
	size_t len;
};

static void model_free(struct mopt *o, int n)
{
	for (int i = 0; i < n; i++) {
		free(o[i].dec);
		free(o[i].map);
	}
}

static int model_split(const char *g, struct mopt *o, int max)
{
	size_t glen = strlen(g), i = 0;
	int n = 0;

	for (;;) {
		struct mopt *m = &o[n];

		if (n == max) {
			model_free(o, n);
			return -1;
		}
		m->dec = malloc(glen + 1);
		m->map = malloc((glen + 1) * sizeof(*m->map));
		CHECK(m->dec && m->map);
		m->len = 0;
		while (g[i] && g[i] != ',') {
			m->map[m->len] = i;
			if (g[i] == '\\' && g[i + 1]) {
				i++;
				if (g[i] >= '0' && g[i] <= '3' &&
				    g[i + 1] >= '0' && g[i + 1] <= '7' &&
				    g[i + 2] >= '0' && g[i + 2] <= '7') {
					m->dec[m->len++] =
						(char)((g[i] - '0') * 64 +
						       (g[i + 1] - '0') * 8 +
						       (g[i + 2] - '0'));
					i += 3;
				} else {
					m->dec[m->len++] = g[i++];
				}
			} else {
				m->dec[m->len++] = g[i++];
			}
		}
		m->map[m->len] = i;
		m->dec[m->len] = '\0';
		n++;
		if (!g[i])
			return n;
		i++;
	}
}

/* argv = { "ftpfs", "-o", group } or { "ftpfs", "-o<group>" }; the group
 * starts at offset goff of argv[gi]. */
static void check_opt_scrub(int argc, char **args, int gi, size_t goff)
{
	char **v = scrub(argc, args);
#ifndef FUZZ_NO_SCRUB_OPT_CHECK
	static struct mopt m[OPTS_MAX];
	const char *group = args[gi] + goff;
	const char *sgroup = v[gi + 1] + goff;
	struct optlist fl;
	struct fuse_args a;
	char **orig = calloc((size_t)argc + 2, sizeof(*orig));
	int nm, i, r;

	CHECK(orig);
	orig[0] = v[0];
	for (i = 0; i < argc; i++)
		orig[i + 1] = args[i];
	memset(&fl, 0, sizeof(fl));
	a = (struct fuse_args)FUSE_ARGS_INIT(argc + 1, orig);
	r = fuse_opt_parse(&a, &fl, user_spec, opt_proc);
	fuse_opt_free_args(&a);
	nm = model_split(group, m, OPTS_MAX);
	if (r == 0 && !fl.overflow && nm > 0) {
		/* the model must see what fuse_opt sees (a decoded NUL ends
		 * the option as fuse_opt passes it on) */
		if (nm != fl.n) {
			fprintf(stderr,
				"harness model: %d options, fuse_opt "
				"%d\n",
				nm, fl.n);
			abort();
		}
		for (i = 0; i < nm; i++)
			CHECK(strcmp(m[i].dec, fl.v[i]) == 0);
		/* no "user=name:pass" keeps a password once scrubbed */
		{
			static struct mopt sm[OPTS_MAX];
			int sn = model_split(sgroup, sm, OPTS_MAX);

			for (i = 0; i < sn; i++) {
				const char *d = sm[i].dec, *c;

				if (strncmp(d, "user=", 5) != 0)
					continue;
				c = strchr(d, ':');
				if (c && c[1]) {
					fprintf(stderr,
						"password of \"%s\" survives "
						"scrubbing: -o \"%s\" became "
						"\"%s\"\n",
						d, group, sgroup);
					abort();
				}
			}
			if (sn > 0)
				model_free(sm, sn);
		}
	}
	if (nm > 0)
		model_free(m, nm);
	optlist_free(&fl);
	free(orig);
#else
	(void)gi;
	(void)goff;
#endif
	scrub_free(argc, v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = strnlen((const char *)data, size);
	char *s = malloc(n + 1), *o_glued, err[256];
	struct ftp_url u;
	int r;

	CHECK(s);
	memcpy(s, data, n);
	s[n] = '\0';

	memset(&u, 0xA5, sizeof(u));
	memset(err, 0, sizeof(err));
	r = url_parse(s, &u, err, sizeof(err));
	CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
	if (r != 0) {
		CHECK(all_zero(&u, sizeof(u)));
		CHECK(r == -ENOMEM ||
		      (err[0] && strnlen(err, sizeof(err)) < sizeof(err)));
	} else {
		unsigned long port = 0;
		size_t i, pl;
		char **v;

		CHECK(u.host && u.host[0]);
		CHECK(u.port && u.path);
		CHECK(!(u.implicit_tls && u.explicit_tls));
		check_field(u.user);
		check_field(u.pass);
		check_field(u.host);
		check_field(u.port);
		check_field(u.path);
		CHECK(!u.user || u.user[0]);
		CHECK(!u.pass || u.user);
		pl = strlen(u.port);
		CHECK(pl >= 1);
		for (i = 0; i < pl; i++) {
			CHECK(u.port[i] >= '0' && u.port[i] <= '9');
			port = port * 10 + (unsigned long)(u.port[i] - '0');
			CHECK(port <= 65535);
		}
		CHECK(port >= 1);
		/* a decoded field can only be shorter than the input */
		CHECK(strlen(u.host) <= n && strlen(u.path) < n);
		CHECK(!u.user || strlen(u.user) < n);
		CHECK(!u.pass || strlen(u.pass) < n);
		CHECK(u.host[0] != '-');
		check_roundtrip(&u);
		check_display(&u);

		/* the URL as argv[1] */
		v = scrub(1, &s); /* the URL argument */
#ifndef FUZZ_NO_SCRUB_URL_CHECK
		/* (an argument starting with '-' is an option to fuse_opt,
		 * never the URL) */
		if (u.pass && u.pass[0] && s[0] != '-') {
			struct ftp_url w;

			if (url_parse(v[1], &w, err, sizeof(err)) != 0 ||
			    w.pass || !streq_null(w.user, u.user) ||
			    strcmp(w.host, u.host) != 0 ||
			    strcmp(w.port, u.port) != 0 ||
			    strcmp(w.path, u.path) != 0) {
				fprintf(stderr,
					"URL password survives scrubbing: "
					"\"%s\" became \"%s\"\n",
					s, v[1]);
				abort();
			}
			url_free(&w);
		}
#endif
		scrub_free(1, v);
		url_free(&u);
		CHECK(all_zero(&u, sizeof(u)));
	}

	/* the input as an argument in any position: "-o <input>",
	 * "-o<input>" */
	{
		char *args[2] = { (char *)"-o", s };

		check_opt_scrub(2, args, 1, 0);
		if (n > 0) {
			o_glued = malloc(n + 3);
			CHECK(o_glued);
			memcpy(o_glued, "-o", 2);
			memcpy(o_glued + 2, s, n + 1);
			check_opt_scrub(1, &o_glued, 0, 2);
			free(o_glued);
		}
	}
	free(s);
	return 0;
}
