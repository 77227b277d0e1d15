/* Unit tests for listparse: the listing corpus (tests/data/list-lines.tsv,
 * found through $LISTPARSE_CORPUS, else next to this source; see
 * corpus_path()). The focused cases are in test_listparse_cases.c.
 *
 * Corpus rules (see tests/data/list-lines.README.md). Every LIST row goes
 * through a fresh per-listing context (listparse_ctx_*), split into lines
 * at its embedded CRLFs (multi-line VMS entries); the hint is the server
 * type that the row's notes say it needs ("needs server type MVS"), else
 * none. A one-line row without a hint must give the same result through
 * listparse_list_line(). Where the corpus and listparse.h disagree, the
 * header wins, and the test says so (counted in the summary):
 *  - "." and ".." entries, and MLSD type=cdir/pdir lines, must return 1
 *    (valid, no entry) although the corpus marks them expect_valid=1;
 *  - a name with '/', NUL, CR or LF (MLST-style pathnames such as
 *    " /no/facts") must be refused with a negative errno;
 *  - VMS: names lose ";version" and directories ".DIR" (FileZilla keeps
 *    the version of files, commons-net ".DIR" of dirs); a directory's size
 *    is its blocks x 512 where a source gives none (Mozilla);
 *  - MVS: no byte size where FileZilla reports its placeholder 100; a data
 *    set's "Referred" date where commons-net sets no time;
 *  - MVS members, z/VM: no byte size where FileZilla turns record counts
 *    into one (the notes say "records are not bytes").
 */
#include "check_main.h"
#include "test_listparse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORPUS_MAX (16 * 1024 * 1024)
#define NFIELDS 11

enum {
	F_SOURCE,
	F_FORMAT,
	F_LINE,
	F_VALID,
	F_NAME,
	F_TYPE,
	F_SIZE,
	F_MTIME,
	F_TARGET,
	F_ASSERTED,
	F_NOTES
};

struct field {
	char *p;
	size_t n;
};


static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode the corpus escapes in place. Returns false on a bad escape. */
static bool unescape(struct field *f)
{
	size_t i, o = 0;

	for (i = 0; i < f->n; i++) {
		char c = f->p[i];

		if (c != '\\') {
			f->p[o++] = c;
			continue;
		}
		if (++i >= f->n)
			return false;
		switch (f->p[i]) {
		case '\\':
			f->p[o++] = '\\';
			break;
		case 't':
			f->p[o++] = '\t';
			break;
		case 'r':
			f->p[o++] = '\r';
			break;
		case 'n':
			f->p[o++] = '\n';
			break;
		case 'x': {
			int h, l;

			if (i + 2 >= f->n)
				return false;
			h = hexval(f->p[i + 1]);
			l = hexval(f->p[i + 2]);
			if (h < 0 || l < 0)
				return false;
			f->p[o++] = (char)(h * 16 + l);
			i += 2;
			break;
		}
		default:
			return false;
		}
	}
	f->n = o;
	return true;
}

static bool field_eq(const struct field *f, const char *s)
{
	return f->n == strlen(s) && memcmp(f->p, s, f->n) == 0;
}

/* Small decimal number of exactly n digits. */
static bool num(const char *p, size_t n, int *v)
{
	size_t i;

	*v = 0;
	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		*v = *v * 10 + (p[i] - '0');
	}
	return true;
}

static bool parse_i64(const struct field *f, int64_t *v)
{
	size_t i;

	*v = 0;
	if (f->n == 0 || f->n > 18)
		return false;
	for (i = 0; i < f->n; i++) {
		if (f->p[i] < '0' || f->p[i] > '9')
			return false;
		*v = *v * 10 + (f->p[i] - '0');
	}
	return true;
}

/* Expected mtime: "YYYY-MM-DD[THH:MM[:SS[.frac]]][Z]" or
 * "--MM-DD[THH:MM[:SS]]". */
struct exp_time {
	bool has_year, has_time, has_sec, utc;
	int year, mon, day, hour, min, sec;
};

static bool parse_exp_time(const struct field *f, struct exp_time *t)
{
	const char *p = f->p;
	size_t n = f->n, i;

	memset(t, 0, sizeof(*t));
	if (n && p[n - 1] == 'Z') {
		t->utc = true;
		n--;
	}
	if (n >= 2 && p[0] == '-' && p[1] == '-') {
		i = 2;
	} else {
		if (n < 5 || !num(p, 4, &t->year) || p[4] != '-')
			return false;
		t->has_year = true;
		i = 5;
	}
	if (n < i + 5 || !num(p + i, 2, &t->mon) || p[i + 2] != '-' ||
	    !num(p + i + 3, 2, &t->day))
		return false;
	i += 5;
	if (i == n)
		return true;
	if (n < i + 6 || p[i] != 'T' || !num(p + i + 1, 2, &t->hour) ||
	    p[i + 3] != ':' || !num(p + i + 4, 2, &t->min))
		return false;
	t->has_time = true;
	i += 6;
	if (i == n)
		return true;
	if (n < i + 3 || p[i] != ':' || !num(p + i + 1, 2, &t->sec))
		return false;
	t->has_sec = true;
	i += 3;
	if (i < n && p[i] != '.')
		return false;
	return true;
}

static const char *type_name(enum ftp_type t)
{
	switch (t) {
	case FTP_TYPE_FILE:
		return "file";
	case FTP_TYPE_DIR:
		return "dir";
	case FTP_TYPE_LINK:
		return "link";
	case FTP_TYPE_UNKNOWN:
		return "unknown";
	}
	return "?";
}

static bool ci_contains(const char *p, size_t n, const char *w)
{
	size_t wl = strlen(w), i, k;

	for (i = 0; i + wl <= n; i++) {
		for (k = 0; k < wl; k++) {
			char c = p[i + k];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != w[k])
				break;
		}
		if (k == wl)
			return true;
	}
	return false;
}

/* Print bytes with control and non-ASCII bytes escaped. */
static void print_escaped(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\\')
			fputs("\\\\", stdout);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

static bool unsafe_name(const struct field *f)
{
	return memchr(f->p, '/', f->n) || memchr(f->p, '\0', f->n) ||
	       memchr(f->p, '\r', f->n) || memchr(f->p, '\n', f->n);
}

/* ---- the corpus ------------------------------------------------------ */

/* Every format listparse implements: each row of these must pass. */
static const char *const required_formats[] = {
	"unix",
	"unix-numeric-ids",
	"unix-no-group",
	"dos",
	"mlsd",
	"eplf",
	"vms",
	"netware",
	"os2",
	"mvs",
	"mvs-member",
	"mvs-jes",
	"os400",
	"macos-peter",
	"netpresenz",
	"enterprise-unix",
	"win16",
	"vmcms",
	"vshell",
	"hp-nonstop",
	"zvm",
	"os9",
	"vxworks",
	"nortel-wfftp",
	"unix-numeric-mode",
};

static bool is_required(const struct field *fmt)
{
	size_t i;

	for (i = 0; i < sizeof(required_formats) / sizeof(required_formats[0]);
	     i++)
		if (field_eq(fmt, required_formats[i]))
			return true;
	return false;
}

struct fmt_stat {
	char name[32];
	int pass, total;
};

/* Header-rule overrides counted in the summary. */
enum {
	OV_NONE,
	OV_SKIP,
	OV_UNSAFE,
	OV_VMS_NAME,
	OV_VMS_DIRSIZE,
	OV_MVS_SIZE,
	OV_MVS_MTIME,
	OV_RECORDS,
	OV_MAX
};

static const char *const ov_names[OV_MAX] = {
	"",
	"./../cdir/pdir -> 1",
	"unsafe name -> -EINVAL",
	"VMS name without ;version/.DIR",
	"VMS dir size = blocks x 512",
	"MVS no placeholder size 100",
	"MVS data set Referred date",
	"no size from record counts",
};

/* The hint a row's notes ask for ("needs server type MVS"). */
static enum listparse_fmt row_hint(const struct field *notes)
{
	static const struct {
		const char *word;
		enum listparse_fmt fmt;
	} map[] = {
		{ "needs server type mvs", LISTPARSE_MVS },
		{ "needs server type hpnonstop", LISTPARSE_NONSTOP },
		{ "needs server type vms", LISTPARSE_VMS },
		{ "needs server type zvm", LISTPARSE_VMCMS },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (ci_contains(notes->p, notes->n, map[i].word))
			return map[i].fmt;
	return LISTPARSE_AUTO;
}

/* Feed the row's line(s) to a fresh context. Returns the result as for one
 * line: 0 with the (only) entry, else the first error, else 1. */
static int parse_row_ctx(const struct field *line, enum listparse_fmt hint,
			 struct ftp_entry *out, size_t *pieces, char *why,
			 size_t wl)
{
	struct listparse_ctx *c = listparse_ctx_new(hint);
	struct ftp_entry e;
	size_t s = 0, k;
	int r, res = 1, entries = 0;

	ck_assert_ptr_nonnull(c);
	memset(out, 0, sizeof(*out));
	*pieces = 0;
	for (k = 0; k <= line->n; k++) {
		size_t n;

		if (k < line->n && line->p[k] != '\n')
			continue;
		n = k - s;
		if (n && line->p[s + n - 1] == '\r')
			n--;
		{
			char *b = exact_copy(line->p + s, n);

			r = listparse_ctx_line(c, b, n, &e);
			free(b);
		}
		(*pieces)++;
		s = k + 1;
		if (r != 0 && !entry_zeroed(&e))
			snprintf(why, wl, "ctx rc=%d but entry not zeroed", r);
		if (r == 0 && entries++ == 0)
			*out = e;
		else if (r == 0)
			ftp_entry_free(&e);
		else if (r < 0 && res == 1)
			res = r;
	}
	r = listparse_ctx_end(c, &e);
	ck_assert(r == 1 || r == -EINVAL);
	ck_assert(entry_zeroed(&e));
	if (r < 0 && res == 1)
		res = r;
	if (r < 0)
		ck_assert(listparse_ctx_refused(c) > 0);
	listparse_ctx_free(c);
	if (entries > 1) {
		snprintf(why, wl, "%d entries from one row", entries);
		ftp_entry_free(out);
		return -EPROTO;
	}
	return entries ? 0 : res;
}

/* Remove a trailing ";digits" (VMS version), then ".DIR" of a dir. */
static void vms_expect(struct field *name, const struct field *type)
{
	size_t k = name->n;

	while (k > 0 && name->p[k - 1] >= '0' && name->p[k - 1] <= '9')
		k--;
	if (k > 0 && k < name->n && name->p[k - 1] == ';')
		name->n = k - 1;
	if (field_eq(type, "dir") && name->n > 4 &&
	    ci_contains(name->p + name->n - 4, 4, ".dir"))
		name->n -= 4;
}

/* Where listparse.h's rules replace the corpus expectation of an accepted
 * row (see the top of this file): adjust f, count in ov. */
static void header_rules(struct field *f, int *ov, bool *skip_size,
			 bool *skip_mtime)
{
	bool vms = field_eq(&f[F_FORMAT], "vms");
	bool mvs = field_eq(&f[F_FORMAT], "mvs") ||
		   field_eq(&f[F_FORMAT], "mvs-member");

	if (vms) {
		size_t n0 = f[F_NAME].n;

		vms_expect(&f[F_NAME], &f[F_TYPE]);
		ov[OV_VMS_NAME] += f[F_NAME].n != n0;
		if (field_eq(&f[F_TYPE], "dir") && !f[F_SIZE].n) {
			*skip_size = true;
			ov[OV_VMS_DIRSIZE]++;
		}
	}
	if (mvs && field_eq(&f[F_SIZE], "100") &&
	    ci_contains(f[F_NOTES].p, f[F_NOTES].n,
			"placeholder size of 100")) {
		f[F_SIZE].n = 0;
		ov[OV_MVS_SIZE]++;
	}
	if (ci_contains(f[F_NOTES].p, f[F_NOTES].n, "records are not bytes")) {
		f[F_SIZE].n = 0;
		ov[OV_RECORDS]++;
	}
	if (mvs && !f[F_MTIME].n &&
	    ci_contains(f[F_NOTES].p, f[F_NOTES].n, "sets no timestamp")) {
		*skip_mtime = true;
		ov[OV_MVS_MTIME]++;
	}
}

/* Name, type, size and link target of e against the row. */
static bool fields_match(const struct field *f, const struct ftp_entry *e,
			 bool skip_size, char *why, size_t wl)
{
	int64_t sz;
	bool ok = true;

	if (strlen(e->name) != f[F_NAME].n ||
	    memcmp(e->name, f[F_NAME].p, f[F_NAME].n) != 0) {
		snprintf(why, wl, "name '%s' want '%.*s'", e->name,
			 (int)f[F_NAME].n, f[F_NAME].p);
		ok = false;
	} else if (!field_eq(&f[F_TYPE], type_name(e->type))) {
		snprintf(why, wl, "type %s want %.*s", type_name(e->type),
			 (int)f[F_TYPE].n, f[F_TYPE].p);
		ok = false;
	} else if (!skip_size && f[F_SIZE].n &&
		   (!parse_i64(&f[F_SIZE], &sz) || sz != e->size)) {
		snprintf(why, wl, "size %lld want %.*s", (long long)e->size,
			 (int)f[F_SIZE].n, f[F_SIZE].p);
		ok = false;
	} else if (!skip_size && !f[F_SIZE].n && e->size != -1) {
		snprintf(why, wl, "size %lld want none (-1)",
			 (long long)e->size);
		ok = false;
	} else if (f[F_TARGET].n &&
		   (!e->link_target ||
		    strlen(e->link_target) != f[F_TARGET].n ||
		    memcmp(e->link_target, f[F_TARGET].p, f[F_TARGET].n))) {
		snprintf(why, wl, "link target '%s' want '%.*s'",
			 e->link_target ? e->link_target : "(null)",
			 (int)f[F_TARGET].n, f[F_TARGET].p);
		ok = false;
	} else if (!f[F_TARGET].n && e->link_target) {
		snprintf(why, wl, "link target '%s' want none", e->link_target);
		ok = false;
	}
	return ok;
}

/* The mtime of e against the row. */
static bool mtime_matches(const struct field *f, const struct ftp_entry *e,
			  bool skip_mtime, char *why, size_t wl)
{
	struct exp_time xt;
	bool ok = true;

	if (skip_mtime) {
		ok = true;
	} else if (!f[F_MTIME].n) {
		if (e->mtime.valid) {
			snprintf(why, wl, "mtime given, want none");
			ok = false;
		}
	} else if (!parse_exp_time(&f[F_MTIME], &xt)) {
		snprintf(why, wl, "corpus mtime '%.*s' not understood",
			 (int)f[F_MTIME].n, f[F_MTIME].p);
		ok = false;
	} else {
		const struct ftp_time *t = &e->mtime;

		if (!t->valid || t->has_year != xt.has_year ||
		    (xt.has_year && t->year != xt.year) || t->mon != xt.mon ||
		    t->day != xt.day || t->has_time != xt.has_time ||
		    (xt.has_time && (t->hour != xt.hour || t->min != xt.min)) ||
		    (xt.has_sec && t->sec != xt.sec) || t->utc != xt.utc) {
			snprintf(why, wl,
				 "mtime %s%04d-%02d-%02d%s%02d:%02d:%02d%s%s "
				 "want %.*s",
				 t->valid ? "" : "(invalid) ", t->year, t->mon,
				 t->day, t->has_time ? "T" : " (no time) ",
				 t->hour, t->min, t->sec,
				 t->has_year ? "" : " (no year)",
				 t->utc ? "Z" : "", (int)f[F_MTIME].n,
				 f[F_MTIME].p);
			ok = false;
		}
	}
	return ok;
}

/* Checks one row; fills why on failure. *bad_accept is set when an
 * expect_valid=0 row was accepted. ov[] counts how header rules replaced
 * the corpus expectation. */
static bool check_row(struct field *f, char *why, size_t wl, bool *bad_accept,
		      int *ov)
{
	struct ftp_entry e, e1;
	bool mlsd = field_eq(&f[F_FORMAT], "mlsd"), ok;
	bool skip_mtime = false, skip_size = false;
	enum listparse_fmt hint = row_hint(&f[F_NOTES]);
	size_t pieces = 1;
	int r, r1, want;

	*bad_accept = false;
	memset(ov, 0, sizeof(int) * OV_MAX);
	why[0] = '\0';
	if (mlsd) {
		r = parse_mlsx(f[F_LINE].p, f[F_LINE].n, &e);
		if (r != 0 && !entry_zeroed(&e))
			snprintf(why, wl, "rc=%d but entry not zeroed", r);
	} else {
		r = parse_row_ctx(&f[F_LINE], hint, &e, &pieces, why, wl);
	}
	if (why[0]) {
		ftp_entry_free(&e);
		return false;
	}
	/* the single-line function agrees on one-line rows without a hint */
	if (!mlsd && pieces == 1 && hint == LISTPARSE_AUTO) {
		r1 = parse_list(f[F_LINE].p, f[F_LINE].n, &e1);
		if (r1 != r || (r1 == 0 && strcmp(e1.name, e.name) != 0) ||
		    (r1 != 0 && !entry_zeroed(&e1))) {
			snprintf(why, wl,
				 "listparse_list_line rc=%d, ctx rc=%d", r1, r);
			ftp_entry_free(&e1);
			ftp_entry_free(&e);
			return false;
		}
		ftp_entry_free(&e1);
	}
	if (field_eq(&f[F_VALID], "0")) {
		if (r == 0) {
			snprintf(why, wl, "invalid line ACCEPTED as '%s'",
				 e.name);
			ftp_entry_free(&e);
			*bad_accept = true;
			return false;
		}
		return true;
	}

	want = 0;
	if (field_eq(&f[F_NAME], ".") || field_eq(&f[F_NAME], "..") ||
	    (mlsd && (ci_contains(f[F_LINE].p, f[F_LINE].n, "type=cdir;") ||
		      ci_contains(f[F_LINE].p, f[F_LINE].n, "type=pdir;")))) {
		want = 1;
		ov[OV_SKIP]++;
	} else if (unsafe_name(&f[F_NAME])) {
		want = -EINVAL;
		ov[OV_UNSAFE]++;
	}
	if (want != 0) {
		if (r == want)
			return true;
		snprintf(why, wl, "rc=%d, want %d (header rule: %s)", r, want,
			 want == 1 ? "no entry for ./../cdir/pdir"
				   : "unsafe name refused");
		ftp_entry_free(&e);
		return false;
	}
	if (r != 0) {
		snprintf(why, wl, "rc=%d, want 0", r);
		return false;
	}

	header_rules(f, ov, &skip_size, &skip_mtime);
	ok = fields_match(f, &e, skip_size, why, wl) &&
	     mtime_matches(f, &e, skip_mtime, why, wl);
	ftp_entry_free(&e);
	return ok;
}

static char *read_corpus(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	size_t n = 0, r;

	if (!fp)
		return NULL;
	buf = malloc(CORPUS_MAX + 1);
	if (!buf) {
		fclose(fp);
		return NULL;
	}
	while (n < CORPUS_MAX &&
	       (r = fread(buf + n, 1, CORPUS_MAX - n, fp)) > 0)
		n += r;
	if (ferror(fp) || n == CORPUS_MAX) {
		fclose(fp);
		free(buf);
		return NULL;
	}
	fclose(fp);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* $LISTPARSE_CORPUS (tests/meson.build sets it), else the corpus next to
 * this source as the compiler was given its path (meson gives it relative
 * to the build directory: run by hand from there), else from the source
 * root. */
static const char *corpus_path(void)
{
	static char buf[4096];
	const char *env = getenv("LISTPARSE_CORPUS"), *slash;
	FILE *fp;

	if (env && *env)
		return env;
	slash = strrchr(__FILE__, '/');
	snprintf(buf, sizeof(buf), "%.*s/../data/list-lines.tsv",
		 slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
	fp = fopen(buf, "rb");
	if (fp) {
		fclose(fp);
		return buf;
	}
	return "tests/data/list-lines.tsv";
}

/* The NFIELDS tab-separated fields of corpus line l[0..ll), unescaped. */
static void split_row(char *l, size_t ll, int lineno, struct field *f)
{
	size_t k, s = 0, nf = 0;

	for (k = 0; k <= ll; k++) {
		if (k < ll && l[k] != '\t')
			continue;
		ck_assert_msg(nf < NFIELDS, "corpus line %d: too many fields",
			      lineno);
		f[nf].p = l + s;
		f[nf].n = k - s;
		nf++;
		s = k + 1;
	}
	ck_assert_msg(nf == NFIELDS, "corpus line %d: %zu fields", lineno, nf);
	for (k = 0; k < NFIELDS; k++)
		ck_assert_msg(unescape(&f[k]), "corpus line %d: bad escape",
			      lineno);
}

static void print_formats(const struct fmt_stat *st, size_t nst)
{
	size_t i;

	printf("\n%-20s %s\n", "format", "pass/total");
	for (i = 0; i < nst; i++) {
		char ref[32] = "";
		size_t k;

		for (k = 0;
		     k < sizeof(required_formats) / sizeof(required_formats[0]);
		     k++)
			if (!strcmp(st[i].name, required_formats[k]))
				memcpy(ref, " (required)", 12);
		printf("%-20s %d/%d%s\n", st[i].name, st[i].pass, st[i].total,
		       ref);
	}
}

START_TEST(test_corpus)
{
	const char *path = corpus_path();
	bool verbose = getenv("LISTPARSE_VERBOSE") != NULL;
	struct fmt_stat st[64];
	size_t nst = 0, len, pos = 0, i;
	int lineno = 0, rows = 0, req_fail = 0, bad_accepts = 0;
	int ov_tot[OV_MAX] = { 0 }, opt_fail = 0;
	char *buf;

	buf = read_corpus(path, &len);
	if (!buf) {
		fprintf(stderr, "test_listparse: cannot read corpus '%s'\n",
			path);
		ck_abort_msg("cannot read corpus %s", path);
	}

	while (pos < len) {
		struct field f[NFIELDS];
		char *l = buf + pos, *nl = memchr(l, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - l) : len - pos, k;
		char why[512];
		bool ok, bad, req;
		int ov[OV_MAX];

		pos += ll + (nl ? 1 : 0);
		lineno++;
		if (ll && l[ll - 1] == '\r')
			ll--;
		if (lineno == 1) {
			ck_assert_msg(ll >= 19 &&
					      !memcmp(l, "source\tformat\tline",
						      18),
				      "corpus header row missing");
			continue;
		}
		if (ll == 0)
			continue;
		split_row(l, ll, lineno, f);
		rows++;

		for (i = 0; i < nst; i++)
			if (field_eq(&f[F_FORMAT], st[i].name))
				break;
		if (i == nst) {
			ck_assert(nst < sizeof(st) / sizeof(st[0]));
			ck_assert(f[F_FORMAT].n < sizeof(st[0].name));
			memcpy(st[i].name, f[F_FORMAT].p, f[F_FORMAT].n);
			st[i].name[f[F_FORMAT].n] = '\0';
			st[i].pass = st[i].total = 0;
			nst++;
		}
		st[i].total++;
		req = is_required(&f[F_FORMAT]);
		ok = check_row(f, why, sizeof(why), &bad, ov);
		if (ok) {
			st[i].pass++;
			for (k = 1; k < OV_MAX; k++)
				ov_tot[k] += ov[k] != 0;
			continue;
		}
		if (bad)
			bad_accepts++;
		else if (req)
			req_fail++;
		else
			opt_fail++;
		if (bad || req || verbose) {
			printf("%s corpus line %d [%s]: %s\n    line: ",
			       bad   ? "FAIL(accepted invalid)"
			       : req ? "FAIL"
				     : "info(optional format)",
			       lineno, st[i].name, why);
			print_escaped(f[F_LINE].p, f[F_LINE].n);
			putchar('\n');
		}
	}
	free(buf);

	print_formats(st, nst);
	printf("rows %d; rows passing by a header rule:", rows);
	for (i = 1; i < OV_MAX; i++)
		printf("%s %d %s", i > 1 ? "," : "", ov_tot[i], ov_names[i]);
	printf("; optional-format misses %d%s\n", opt_fail,
	       verbose || !opt_fail ? "" : " (LISTPARSE_VERBOSE=1 lists them)");
	fflush(stdout);
	ck_assert_msg(rows > 0, "corpus is empty");
	ck_assert_msg(
		req_fail == 0 && bad_accepts == 0,
		"%d required-format rows failed, %d invalid rows accepted",
		req_fail, bad_accepts);
}
END_TEST


Suite *suite(void)
{
	Suite *s = suite_create("listparse");
	TCase *tc;

	tc = tcase_create("corpus");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_corpus);
	suite_add_tcase(s, tc);
	return s;
}
