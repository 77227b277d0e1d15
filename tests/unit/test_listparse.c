/* Unit tests for listparse: the listing corpus (tests/data/list-lines.tsv,
 * found through $LISTPARSE_CORPUS) and focused cases.
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
#include "listparse.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORPUS_MAX (16 * 1024 * 1024)
#define NFIELDS 11

enum {
	F_SOURCE, F_FORMAT, F_LINE, F_VALID, F_NAME, F_TYPE, F_SIZE, F_MTIME,
	F_TARGET, F_ASSERTED, F_NOTES
};

struct field {
	char *p;
	size_t n;
};

/* ---- helpers --------------------------------------------------------- */

/* A heap copy of exactly n bytes, so that ASan/valgrind catch any read
 * past the end. */
static char *exact_copy(const char *p, size_t n)
{
	char *b = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(b);
	if (n)
		memcpy(b, p, n);
	return b;
}

static bool entry_zeroed(const struct ftp_entry *e)
{
	static const struct ftp_entry zero;

	return e->name == NULL && e->link_target == NULL &&
	       e->type == zero.type && e->size == 0 && !e->has_perm &&
	       e->perm == 0 && !e->mtime.valid;
}

static int parse_list(const char *s, size_t n, struct ftp_entry *e)
{
	char *b = exact_copy(s, n);
	int r = listparse_list_line(b, n, e);

	free(b);
	return r;
}

static int parse_mlsx(const char *s, size_t n, struct ftp_entry *e)
{
	char *b = exact_copy(s, n);
	int r = listparse_mlsx_line(b, n, e);

	free(b);
	return r;
}

static int list_str(const char *s, struct ftp_entry *e)
{
	return parse_list(s, strlen(s), e);
}

static int mlsx_str(const char *s, struct ftp_entry *e)
{
	return parse_mlsx(s, strlen(s), e);
}

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
		case '\\': f->p[o++] = '\\'; break;
		case 't': f->p[o++] = '\t'; break;
		case 'r': f->p[o++] = '\r'; break;
		case 'n': f->p[o++] = '\n'; break;
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
	case FTP_TYPE_FILE: return "file";
	case FTP_TYPE_DIR: return "dir";
	case FTP_TYPE_LINK: return "link";
	case FTP_TYPE_UNKNOWN: return "unknown";
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
	"unix", "unix-numeric-ids", "unix-no-group", "dos", "mlsd", "eplf",
	"vms", "netware", "os2", "mvs", "mvs-member", "mvs-jes", "os400",
	"macos-peter", "netpresenz", "enterprise-unix", "win16", "vmcms",
	"vshell", "hp-nonstop", "zvm", "os9", "vxworks", "nortel-wfftp",
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
	OV_NONE, OV_SKIP, OV_UNSAFE, OV_VMS_NAME, OV_VMS_DIRSIZE, OV_MVS_SIZE,
	OV_MVS_MTIME, OV_RECORDS, OV_MAX
};

static const char *const ov_names[OV_MAX] = {
	"", "./../cdir/pdir -> 1", "unsafe name -> -EINVAL",
	"VMS name without ;version/.DIR", "VMS dir size = blocks x 512",
	"MVS no placeholder size 100", "MVS data set Referred date",
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

/* Checks one row; fills why on failure. *bad_accept is set when an
 * expect_valid=0 row was accepted. ov[] counts how header rules replaced
 * the corpus expectation. */
static bool check_row(struct field *f, char *why, size_t wl, bool *bad_accept,
		      int *ov)
{
	struct ftp_entry e, e1;
	bool mlsd = field_eq(&f[F_FORMAT], "mlsd"), ok = true;
	bool vms = field_eq(&f[F_FORMAT], "vms");
	bool mvs = field_eq(&f[F_FORMAT], "mvs") ||
		   field_eq(&f[F_FORMAT], "mvs-member");
	bool skip_mtime = false, skip_size = false;
	enum listparse_fmt hint = row_hint(&f[F_NOTES]);
	size_t pieces = 1;
	int r, r1, want;
	struct exp_time xt;
	int64_t sz;

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
			snprintf(why, wl, "listparse_list_line rc=%d, ctx rc=%d",
				 r1, r);
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
			 want == 1 ? "no entry for ./../cdir/pdir" :
				     "unsafe name refused");
		ftp_entry_free(&e);
		return false;
	}
	if (r != 0) {
		snprintf(why, wl, "rc=%d, want 0", r);
		return false;
	}

	if (vms) {
		size_t n0 = f[F_NAME].n;

		vms_expect(&f[F_NAME], &f[F_TYPE]);
		ov[OV_VMS_NAME] += f[F_NAME].n != n0;
		if (field_eq(&f[F_TYPE], "dir") && !f[F_SIZE].n) {
			skip_size = true;
			ov[OV_VMS_DIRSIZE]++;
		}
	}
	if (mvs && field_eq(&f[F_SIZE], "100") &&
	    ci_contains(f[F_NOTES].p, f[F_NOTES].n, "placeholder size of 100")) {
		f[F_SIZE].n = 0;
		ov[OV_MVS_SIZE]++;
	}
	if (ci_contains(f[F_NOTES].p, f[F_NOTES].n,
			"records are not bytes")) {
		f[F_SIZE].n = 0;
		ov[OV_RECORDS]++;
	}
	if (mvs && !f[F_MTIME].n &&
	    ci_contains(f[F_NOTES].p, f[F_NOTES].n, "sets no timestamp")) {
		skip_mtime = true;
		ov[OV_MVS_MTIME]++;
	}

	if (strlen(e.name) != f[F_NAME].n ||
	    memcmp(e.name, f[F_NAME].p, f[F_NAME].n) != 0) {
		snprintf(why, wl, "name '%s' want '%.*s'", e.name,
			 (int)f[F_NAME].n, f[F_NAME].p);
		ok = false;
	} else if (!field_eq(&f[F_TYPE], type_name(e.type))) {
		snprintf(why, wl, "type %s want %.*s", type_name(e.type),
			 (int)f[F_TYPE].n, f[F_TYPE].p);
		ok = false;
	} else if (!skip_size && f[F_SIZE].n && (!parse_i64(&f[F_SIZE], &sz) ||
				   sz != e.size)) {
		snprintf(why, wl, "size %lld want %.*s", (long long)e.size,
			 (int)f[F_SIZE].n, f[F_SIZE].p);
		ok = false;
	} else if (!skip_size && !f[F_SIZE].n && e.size != -1) {
		snprintf(why, wl, "size %lld want none (-1)",
			 (long long)e.size);
		ok = false;
	} else if (f[F_TARGET].n &&
		   (!e.link_target ||
		    strlen(e.link_target) != f[F_TARGET].n ||
		    memcmp(e.link_target, f[F_TARGET].p, f[F_TARGET].n))) {
		snprintf(why, wl, "link target '%s' want '%.*s'",
			 e.link_target ? e.link_target : "(null)",
			 (int)f[F_TARGET].n, f[F_TARGET].p);
		ok = false;
	} else if (!f[F_TARGET].n && e.link_target) {
		snprintf(why, wl, "link target '%s' want none",
			 e.link_target);
		ok = false;
	}
	if (!ok) {
		ftp_entry_free(&e);
		return false;
	}

	if (skip_mtime) {
		ok = true;
	} else if (!f[F_MTIME].n) {
		if (e.mtime.valid) {
			snprintf(why, wl, "mtime given, want none");
			ok = false;
		}
	} else if (!parse_exp_time(&f[F_MTIME], &xt)) {
		snprintf(why, wl, "corpus mtime '%.*s' not understood",
			 (int)f[F_MTIME].n, f[F_MTIME].p);
		ok = false;
	} else {
		const struct ftp_time *t = &e.mtime;

		if (!t->valid || t->has_year != xt.has_year ||
		    (xt.has_year && t->year != xt.year) ||
		    t->mon != xt.mon || t->day != xt.day ||
		    t->has_time != xt.has_time ||
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

START_TEST(test_corpus)
{
	const char *path = getenv("LISTPARSE_CORPUS");
	bool verbose = getenv("LISTPARSE_VERBOSE") != NULL;
	struct fmt_stat st[64];
	size_t nst = 0, len, pos = 0, i;
	int lineno = 0, rows = 0, req_fail = 0, bad_accepts = 0;
	int ov_tot[OV_MAX] = { 0 }, opt_fail = 0;
	char *buf;

	if (!path || !*path) {
		fprintf(stderr, "test_listparse: LISTPARSE_CORPUS is not set "
			"(point it at tests/data/list-lines.tsv)\n");
		ck_abort_msg("LISTPARSE_CORPUS is not set");
	}
	buf = read_corpus(path, &len);
	if (!buf) {
		fprintf(stderr, "test_listparse: cannot read corpus '%s'\n",
			path);
		ck_abort_msg("cannot read corpus %s", path);
	}

	while (pos < len) {
		struct field f[NFIELDS];
		char *l = buf + pos, *nl = memchr(l, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - l) : len - pos, k, s = 0, nf = 0;
		char why[512];
		bool ok, bad, req;
		int ov[OV_MAX];

		pos += ll + (nl ? 1 : 0);
		lineno++;
		if (ll && l[ll - 1] == '\r')
			ll--;
		if (lineno == 1) {
			ck_assert_msg(ll >= 19 && !memcmp(l, "source\tformat\tline",
							  18),
				      "corpus header row missing");
			continue;
		}
		if (ll == 0)
			continue;
		for (k = 0; k <= ll; k++) {
			if (k < ll && l[k] != '\t')
				continue;
			ck_assert_msg(nf < NFIELDS,
				      "corpus line %d: too many fields",
				      lineno);
			f[nf].p = l + s;
			f[nf].n = k - s;
			nf++;
			s = k + 1;
		}
		ck_assert_msg(nf == NFIELDS, "corpus line %d: %zu fields",
			      lineno, nf);
		for (k = 0; k < NFIELDS; k++)
			ck_assert_msg(unescape(&f[k]),
				      "corpus line %d: bad escape", lineno);
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
			       bad ? "FAIL(accepted invalid)" :
			       req ? "FAIL" : "info(optional format)",
			       lineno, st[i].name, why);
			print_escaped(f[F_LINE].p, f[F_LINE].n);
			putchar('\n');
		}
	}
	free(buf);

	printf("\n%-20s %s\n", "format", "pass/total");
	for (i = 0; i < nst; i++) {
		char ref[32] = "";
		size_t k;

		for (k = 0; k < sizeof(required_formats) /
				sizeof(required_formats[0]); k++)
			if (!strcmp(st[i].name, required_formats[k]))
				memcpy(ref, " (required)", 12);
		printf("%-20s %d/%d%s\n", st[i].name, st[i].pass, st[i].total,
		       ref);
	}
	printf("rows %d; rows passing by a header rule:", rows);
	for (i = 1; i < OV_MAX; i++)
		printf("%s %d %s", i > 1 ? "," : "", ov_tot[i], ov_names[i]);
	printf("; optional-format misses %d%s\n", opt_fail,
	       verbose || !opt_fail ? "" : " (LISTPARSE_VERBOSE=1 lists them)");
	fflush(stdout);
	ck_assert_msg(rows > 0, "corpus is empty");
	ck_assert_msg(req_fail == 0 && bad_accepts == 0,
		      "%d required-format rows failed, %d invalid rows accepted",
		      req_fail, bad_accepts);
}
END_TEST

/* ---- focused cases --------------------------------------------------- */

START_TEST(test_hostile_names)
{
	static const char *const bad_list[] = {
		"-rw-r--r--   1 root  root  5 Nov 21 13:12 a/b",
		"-rw-r--r--   1 root  root  5 Nov 21 13:12 /",
		"-rw-r--r--   1 root  root  5 Nov 21 13:12 ../etc",
		"lrwxrwxrwx   1 root  root  4 Nov 21 13:12 a/b -> /tmp",
		"lrwxrwxrwx   1 root  root  4 Nov 21 13:12  -> /tmp",
		"04-27-00  12:09PM       <DIR>          a/b",
		"+r,s1,\ta/b",
		"+r,s1,\t",
		"+r,s1",
		"+rx,s1,\tjunk fact",
		"+r,s1,\x01,\tcontrol byte in a fact",
	};
	static const char *const skip_list[] = {
		"drwxr-xr-x   2 root  root  4096 Nov 21 13:12 .",
		"drwxr-xr-x   2 root  root  4096 Nov 21 13:12 ..",
		"04-27-00  12:09PM       <DIR>          .",
		"04-27-00  12:09PM       <DIR>          ..",
		"total 1234",
		"",
		"   \t ",
	};
	static const char *const bad_mlsx[] = {
		"type=file;size=1; a/b",
		"type=file;size=1; /etc/passwd",
		" /no/facts",
		"type=file;size=1; ",
	};
	static const char *const skip_mlsx[] = {
		"type=file;size=1; .",
		"type=dir; ..",
		"type=cdir; /some/where",
		"Type=PDIR;modify=20200101000000; x",
		"",
	};
	/* embedded CR, LF and NUL, in a line given with its length */
	static const char cr[] = "-rw-r--r-- 1 root root 5 Nov 21 13:12 a\rb";
	static const char lf[] = "-rw-r--r-- 1 root root 5 Nov 21 13:12 a\nb";
	static const char nul[] = "-rw-r--r-- 1 root root 5 Nov 21 13:12 a\0b";
	static const char tcr[] = "lrwxrwxrwx 1 root root 3 Nov 21 13:12 a -> b\rc";
	static const char mcr[] = "type=file; a\rb";
	static const char mnul[] = "type=file; a\0b";
	struct ftp_entry e;
	size_t i;
	int r;

	for (i = 0; i < sizeof(bad_list) / sizeof(bad_list[0]); i++) {
		r = list_str(bad_list[i], &e);
		ck_assert_msg(r < 0, "'%s' gave %d", bad_list[i], r);
		ck_assert(entry_zeroed(&e));
	}
	for (i = 0; i < sizeof(skip_list) / sizeof(skip_list[0]); i++) {
		r = list_str(skip_list[i], &e);
		ck_assert_msg(r == 1, "'%s' gave %d", skip_list[i], r);
		ck_assert(entry_zeroed(&e));
	}
	for (i = 0; i < sizeof(bad_mlsx) / sizeof(bad_mlsx[0]); i++) {
		r = mlsx_str(bad_mlsx[i], &e);
		ck_assert_msg(r < 0, "'%s' gave %d", bad_mlsx[i], r);
		ck_assert(entry_zeroed(&e));
	}
	for (i = 0; i < sizeof(skip_mlsx) / sizeof(skip_mlsx[0]); i++) {
		r = mlsx_str(skip_mlsx[i], &e);
		ck_assert_msg(r == 1, "'%s' gave %d", skip_mlsx[i], r);
		ck_assert(entry_zeroed(&e));
	}
	ck_assert_int_lt(parse_list(cr, sizeof(cr) - 1, &e), 0);
	ck_assert_int_lt(parse_list(lf, sizeof(lf) - 1, &e), 0);
	ck_assert_int_lt(parse_list(nul, sizeof(nul) - 1, &e), 0);
	ck_assert_int_lt(parse_list(tcr, sizeof(tcr) - 1, &e), 0);
	ck_assert_int_lt(parse_mlsx(mcr, sizeof(mcr) - 1, &e), 0);
	ck_assert_int_lt(parse_mlsx(mnul, sizeof(mnul) - 1, &e), 0);
	ck_assert(entry_zeroed(&e));

	/* a target may hold '/', a name beginning with ".." is fine */
	r = list_str("lrwxrwxrwx 1 root root 8 Nov 21 13:12 ..hidden -> /a/b/c/d", &e);
	ck_assert_int_eq(r, 0);
	ck_assert_str_eq(e.name, "..hidden");
	ck_assert_str_eq(e.link_target, "/a/b/c/d");
	ftp_entry_free(&e);
	ck_assert(entry_zeroed(&e));

	/* NULL arguments */
	ck_assert_int_lt(listparse_list_line(NULL, 3, &e), 0);
	ck_assert_int_lt(listparse_mlsx_line(NULL, 3, &e), 0);
	ck_assert_int_lt(listparse_list_line("x", 1, NULL), 0);
	ck_assert_int_lt(listparse_mlsx_line("x", 1, NULL), 0);
	ftp_entry_free(NULL);
}
END_TEST

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Either refused, or an entry with a safe name. */
static void check_any(const char *b, size_t n)
{
	struct ftp_entry e;
	int r;

	r = listparse_list_line(b, n, &e);
	if (r == 0) {
		ck_assert(listparse_name_ok(e.name, strlen(e.name)));
		ftp_entry_free(&e);
	} else {
		ck_assert(entry_zeroed(&e));
	}
	r = listparse_mlsx_line(b, n, &e);
	if (r == 0) {
		ck_assert(listparse_name_ok(e.name, strlen(e.name)));
		ftp_entry_free(&e);
	} else {
		ck_assert(entry_zeroed(&e));
	}
}

START_TEST(test_junk_line)
{
	static const char alpha[] =
		"drwxlsStT-+ 0123456789:,./<>DIR=;\t\r\nNovJanMar PMAM"
		"type=filesizemodifyUNIX.mode\x80\xe6\x9c\x88\x94N";
	static const char *const prefixes[] = {
		"-rw-r--r--   1 root     root     ",
		"-rw-r--r--   1 root     root         12 Nov 21 13:12 ",
		"lrwxrwxrwx   1 root     root         12 Nov 21 13:12 x",
		"crw-r--r--   1 root     root     1, ",
		"04-27-00  12:09PM       ",
		"04-27-00  12:09PM     12 ",
		"type=file;size=1;modify=",
		"type=OS.unix=slink:",
		" ",
		"+",
		"+i1,m",
		"d [RWCEAFMS] x 1 Jan 1 00:00",
		"0100644 1 1 1 1",
	};
	const size_t max = LISTPARSE_LINE_MAX;
	char *b = malloc(max + 1);
	struct ftp_entry e;
	size_t i, n, k;
	int r;

	ck_assert_ptr_nonnull(b);

	/* uniform junk of the full length */
	for (i = 0; i < 64; i++) {
		char *x;

		for (k = 0; k < max; k++)
			b[k] = (char)rng();
		x = exact_copy(b, max);
		check_any(x, max);
		free(x);
	}
	memset(b, 'A', max);
	check_any(b, max);
	memset(b, ' ', max);
	ck_assert_int_eq(listparse_list_line(b, max, &e), 1);
	memset(b, ';', max);
	check_any(b, max);

	/* junk from an alphabet of interesting bytes, after known prefixes,
	 * at random lengths up to the maximum */
	for (i = 0; i < 4000; i++) {
		const char *pre = prefixes[i % (sizeof(prefixes) /
						sizeof(prefixes[0]))];
		size_t pl = strlen(pre);
		char *x;

		n = (i % 3 == 0) ? max : (size_t)(rng() % (max + 1));
		if (n < pl)
			n = pl;
		memcpy(b, pre, pl);
		for (k = pl; k < n; k++)
			b[k] = alpha[rng() % (sizeof(alpha) - 1)];
		x = exact_copy(b, n);
		check_any(x, n);
		/* every prefix of a line, too, in a few cases */
		if (i < 26)
			for (k = 0; k <= n && k < 200; k++)
				check_any(x, k);
		free(x);
	}

	/* the longest valid line: exactly LISTPARSE_LINE_MAX bytes */
	{
		static const char pre[] =
			"-rw-r--r--   1 root     root           12 Nov 21 13:12 ";
		size_t pl = sizeof(pre) - 1;
		char *x;

		memcpy(b, pre, pl);
		memset(b + pl, 'n', max - pl);
		x = exact_copy(b, max);
		r = listparse_list_line(x, max, &e);
		ck_assert_int_eq(r, 0);
		ck_assert_uint_eq(strlen(e.name), max - pl);
		ftp_entry_free(&e);
		free(x);
		b[max] = 'n';
		x = exact_copy(b, max + 1);
		ck_assert_int_lt(listparse_list_line(x, max + 1, &e), 0);
		ck_assert_int_lt(listparse_mlsx_line(x, max + 1, &e), 0);
		free(x);
	}
	free(b);
}
END_TEST

START_TEST(test_overflow_sizes)
{
	static const char *const bad_list[] = {
		"-rw-r--r--   1 root root 99999999999999999999999 Nov 21 13:12 x",
		"-rw-r--r--   1 root root 9223372036854775808 Nov 21 13:12 x",
		"-rw-r--r--   1 root root 99999999999999999T Nov 21 13:12 x",
		"-rw-r--r--   1 root root 9999999999999T Nov 21 13:12 x",
		"-rw-r--r--   1 root root 1.5555555555k Nov 21 13:12 x",
		"crw-r--r--   1 root root 99999999999, 1 Nov 21 13:12 x",
		"-rw-r--r--   99999999999999999999999 root root 1 Nov 21 13:12 x",
		"05-22-97  12:08  99999999999999999999999 x",
		"05-22-97  12:08  9,223,372,036,854,775,808 x",
		"+s99999999999999999999999,r,\tx",
		"+m99999999999999999999999,r,\tx",
		"+m253402300800,r,\tx",
	};
	static const char *const bad_mlsx[] = {
		"type=file;size=99999999999999999999999; x",
		"type=file;size=9223372036854775808; x",
		"type=dir;sizd=99999999999999999999999; x",
		"type=file;size=-1; x",
		"type=file;size=1x; x",
		"type=file;modify=99999999999999999999999; x",
		"type=file;modify=20141302000000; x",
		"type=file;UNIX.mode=99999999999; x",
	};
	struct ftp_entry e;
	size_t i;
	int r;

	for (i = 0; i < sizeof(bad_list) / sizeof(bad_list[0]); i++) {
		r = list_str(bad_list[i], &e);
		ck_assert_msg(r < 0, "'%s' gave %d", bad_list[i], r);
	}
	for (i = 0; i < sizeof(bad_mlsx) / sizeof(bad_mlsx[0]); i++) {
		r = mlsx_str(bad_mlsx[i], &e);
		ck_assert_msg(r < 0, "'%s' gave %d", bad_mlsx[i], r);
	}

	ck_assert_int_eq(list_str("-rw-r--r--   1 root root 9223372036854775807 "
				  "Nov 21 13:12 x", &e), 0);
	ck_assert(e.size == INT64_MAX);
	ftp_entry_free(&e);
	ck_assert_int_eq(mlsx_str("type=file;size=9223372036854775807; x", &e),
			 0);
	ck_assert(e.size == INT64_MAX);
	ftp_entry_free(&e);
	ck_assert_int_eq(list_str("05-22-97  12:08  9,223,372,036,854,775,807 x",
				  &e), 0);
	ck_assert(e.size == INT64_MAX);
	ftp_entry_free(&e);
	ck_assert_int_eq(list_str("-rw-r--r--   1 root root 1.5M Nov 21 13:12 x",
				  &e), 0);
	ck_assert(e.size == 1572864);
	ftp_entry_free(&e);
}
END_TEST

START_TEST(test_name_ok)
{
	ck_assert(listparse_name_ok("a", 1));
	ck_assert(listparse_name_ok(" a ", 3));
	ck_assert(listparse_name_ok("\t", 1));
	ck_assert(listparse_name_ok("...", 3));
	ck_assert(listparse_name_ok(".a", 2));
	ck_assert(listparse_name_ok("a\\b", 3));
	ck_assert(listparse_name_ok("\xe6\x97\xa5", 3));
	ck_assert(listparse_name_ok("a/b", 1)); /* only len bytes count */
	ck_assert(!listparse_name_ok("", 0));
	ck_assert(!listparse_name_ok(NULL, 0));
	ck_assert(!listparse_name_ok(NULL, 3));
	ck_assert(!listparse_name_ok(".", 1));
	ck_assert(!listparse_name_ok("..", 2));
	ck_assert(!listparse_name_ok("a/b", 3));
	ck_assert(!listparse_name_ok("/", 1));
	ck_assert(!listparse_name_ok("a\0b", 3));
	ck_assert(!listparse_name_ok("a\rb", 3));
	ck_assert(!listparse_name_ok("a\n", 2));
}
END_TEST

static struct ftp_time mk(int y, int mo, int d, int h, int mi, int s,
			  bool utc)
{
	struct ftp_time t;

	memset(&t, 0, sizeof(t));
	t.year = y;
	t.mon = mo;
	t.day = d;
	t.hour = h;
	t.min = mi;
	t.sec = s;
	t.valid = true;
	t.has_year = y != 0;
	t.has_time = true;
	t.utc = utc;
	return t;
}

static time_t epoch(const struct ftp_time *t, long off, time_t now)
{
	time_t out = 0;

	ck_assert_int_eq(listparse_time_to_epoch(t, off, now, &out), 0);
	return out;
}

START_TEST(test_time_to_epoch)
{
	struct ftp_time t;
	struct ftp_entry e;
	time_t out;
	const time_t now = 1795305600; /* 2026-11-22T00:00:00Z */

	/* UTC, and an offset that is ignored for UTC */
	t = mk(2008, 11, 5, 16, 52, 15, true);
	ck_assert_int_eq(epoch(&t, 0, now), 1225903935);
	ck_assert_int_eq(epoch(&t, 7200, now), 1225903935);
	t = mk(1969, 7, 20, 20, 17, 40, true);
	ck_assert_int_eq(epoch(&t, 0, now), -14182940);

	/* local time at an offset (east positive) */
	t = mk(2008, 11, 5, 16, 52, 15, false);
	ck_assert_int_eq(epoch(&t, 0, now), 1225903935);
	ck_assert_int_eq(epoch(&t, 3600, now), 1225903935 - 3600);
	ck_assert_int_eq(epoch(&t, -5 * 3600, now), 1225903935 + 5 * 3600);

	/* year inference: nearest to now, across new year both ways */
	t = mk(0, 12, 30, 12, 0, 0, false);
	ck_assert_int_eq(epoch(&t, 0, 1798848000), 1798632000); /* now 2027-01-02 */
	t = mk(0, 1, 2, 12, 0, 0, false);
	ck_assert_int_eq(epoch(&t, 0, 1798588800), 1798891200); /* now 2026-12-30 */
	/* a month ahead stays in the current year */
	t = mk(0, 12, 22, 10, 0, 0, false);
	ck_assert_int_eq(epoch(&t, 0, now), 1797933600);
	/* the captured future.txt: Jan 1 seen on 2026-11-22 is 2027 */
	t = mk(0, 1, 1, 13, 12, 0, false);
	ck_assert_int_eq(epoch(&t, 0, now), 1798809120);
	/* five months back stays in the current year */
	t = mk(0, 6, 25, 13, 12, 0, false);
	ck_assert_int_eq(epoch(&t, 0, now), 1782393120);
	/* local new year already begun at UTC+1 */
	t = mk(0, 1, 1, 0, 10, 0, false);
	ck_assert_int_eq(epoch(&t, 3600, 1798759800), 1798758600);
	/* Feb 29 lands in the leap year */
	t = mk(0, 2, 29, 12, 0, 0, false);
	ck_assert_int_eq(epoch(&t, 0, 1835481600), 1835438400);
	/* a date-only year-less time is unusual, but works */
	t = mk(0, 12, 31, 0, 0, 0, false);
	t.has_time = false;
	ck_assert_int_eq(epoch(&t, 0, 1735689600), 1735603200);

	/* rejected */
	t = mk(2008, 11, 5, 16, 52, 15, true);
	t.valid = false;
	ck_assert_int_eq(listparse_time_to_epoch(&t, 0, now, &out), -EINVAL);
	t = mk(2008, 13, 5, 16, 52, 15, true);
	ck_assert_int_eq(listparse_time_to_epoch(&t, 0, now, &out), -EINVAL);
	t = mk(2023, 2, 29, 0, 0, 0, true);
	ck_assert_int_eq(listparse_time_to_epoch(&t, 0, now, &out), -EINVAL);
	t = mk(2008, 4, 31, 0, 0, 0, true);
	ck_assert_int_eq(listparse_time_to_epoch(&t, 0, now, &out), -EINVAL);
	t = mk(2008, 4, 1, 24, 0, 0, true);
	ck_assert_int_eq(listparse_time_to_epoch(&t, 0, now, &out), -EINVAL);
	t = mk(2008, 4, 1, 0, 60, 0, true);
	ck_assert_int_eq(listparse_time_to_epoch(&t, 0, now, &out), -EINVAL);
	ck_assert_int_eq(listparse_time_to_epoch(NULL, 0, now, &out), -EINVAL);

	/* end to end: parsed LIST and MLSD times */
	ck_assert_int_eq(list_str("-rw-r--r-- 1 0 0 19 Jan  1 13:12 future.txt",
				  &e), 0);
	ck_assert_int_eq(epoch(&e.mtime, 0, now), 1798809120);
	ftp_entry_free(&e);
	ck_assert_int_eq(list_str("-rw-r--r-- 1 0 0 7 Nov 21 13:12 x", &e), 0);
	ck_assert_int_eq(epoch(&e.mtime, 0, now), 1795266720);
	ftp_entry_free(&e);
	ck_assert_int_eq(mlsx_str("type=file;modify=20081105165215.999; x",
				  &e), 0);
	ck_assert(e.mtime.utc);
	ck_assert_int_eq(epoch(&e.mtime, 3600, now), 1225903935);
	ftp_entry_free(&e);
	ck_assert_int_eq(list_str("+m825718503,r,\tx", &e), 0);
	ck_assert_int_eq(epoch(&e.mtime, 0, now), 825718503);
	ftp_entry_free(&e);
}
END_TEST

START_TEST(test_details)
{
	struct ftp_entry e;

	/* permission bits */
	ck_assert_int_eq(list_str("-rwsr-xr-x 1 root root 25 Nov 21 13:12 s", &e), 0);
	ck_assert(e.has_perm);
	ck_assert_uint_eq(e.perm, 04755);
	ftp_entry_free(&e);
	ck_assert_int_eq(list_str("drwxrwxrwt 2 0 0 4096 Nov 21 13:12 t", &e), 0);
	ck_assert_uint_eq(e.perm, 01777);
	ck_assert_int_eq(e.type, FTP_TYPE_DIR);
	ftp_entry_free(&e);
	ck_assert_int_eq(list_str("d--S--S--T 1 a b 4096 May  4  4:31 u", &e), 0);
	ck_assert_uint_eq(e.perm, 07000);
	ftp_entry_free(&e);
	ck_assert_int_eq(mlsx_str("type=file;UNIX.mode=04755; m", &e), 0);
	ck_assert(e.has_perm);
	ck_assert_uint_eq(e.perm, 04755);
	ftp_entry_free(&e);
	/* pyftpdlib on Python 3: unix.mode=0o755 */
	ck_assert_int_eq(mlsx_str("modify=20261123191554;size=4096;type=dir;unix.mode=0o755; photos 2026", &e), 0);
	ck_assert(e.has_perm);
	ck_assert_uint_eq(e.perm, 0755);
	ck_assert_str_eq(e.name, "photos 2026");
	ftp_entry_free(&e);
	/* perm= (RFC 3659 7.5.5): this user's rights, not a mode */
	ck_assert_int_eq(mlsx_str("type=file;perm=adfr;size=3; ro.txt", &e), 0);
	ck_assert(e.has_rights);
	ck_assert_uint_eq(e.rights, LISTPARSE_RIGHT('a') | LISTPARSE_RIGHT('d') |
				    LISTPARSE_RIGHT('f') | LISTPARSE_RIGHT('r'));
	ck_assert(!(e.rights & LISTPARSE_RIGHT('w')));
	ck_assert(!e.has_perm);
	ftp_entry_free(&e);
	ck_assert_int_eq(mlsx_str("type=file;Perm=RW; f", &e), 0);
	ck_assert(e.has_rights); /* ABNF letters: either case */
	ck_assert_uint_eq(e.rights, LISTPARSE_RIGHT('r') | LISTPARSE_RIGHT('w'));
	ftp_entry_free(&e);
	ck_assert_int_eq(mlsx_str("type=file;perm=radfwMT; f", &e), 0);
	ck_assert(e.rights & LISTPARSE_RIGHT('w'));
	ftp_entry_free(&e);
	ck_assert_int_eq(mlsx_str("type=file;perm=; f", &e), 0);
	ck_assert(e.has_rights);
	ck_assert_uint_eq(e.rights, 0);
	ftp_entry_free(&e);
	ck_assert_int_eq(mlsx_str("type=file;size=1; f", &e), 0);
	ck_assert(!e.has_rights);
	ftp_entry_free(&e);
	ck_assert_int_ne(mlsx_str("type=file;unix.mode=0o; m", &e), 0);
	/* perm= is FTP rights, not a mode */
	ck_assert_int_eq(mlsx_str("type=file;perm=adfrw; m", &e), 0);
	ck_assert(!e.has_perm);
	ftp_entry_free(&e);
	ck_assert_int_eq(list_str("+up755,r,s3,\te", &e), 0);
	ck_assert_uint_eq(e.perm, 0755);
	ck_assert_int_eq(e.size, 3);
	ftp_entry_free(&e);
	ck_assert_int_eq(list_str("+/,\td", &e), 0);
	ck_assert_int_eq(e.type, FTP_TYPE_DIR);
	ck_assert_int_eq(e.size, -1);
	ftp_entry_free(&e);

	/* devices: no size; fifos and sockets: unknown */
	ck_assert_int_eq(list_str("brw-rw---- 1 root disk 8,   0 Jan 30 11:42 sda",
				  &e), 0);
	ck_assert_int_eq(e.type, FTP_TYPE_UNKNOWN);
	ck_assert_int_eq(e.size, -1);
	ftp_entry_free(&e);
	ck_assert_int_eq(list_str("srwxrwxrwx 1 root root 0 Jan 30 11:42 sock",
				  &e), 0);
	ck_assert_int_eq(e.type, FTP_TYPE_UNKNOWN);
	ftp_entry_free(&e);

	/* 24:00 on Dec 31 of a known year is Jan 1 of the next */
	ck_assert_int_eq(list_str("-rw-r--r-- 1 a b 1 31-12-2003 24:00 n", &e), 0);
	ck_assert_int_eq(e.mtime.year, 2004);
	ck_assert_int_eq(e.mtime.mon, 1);
	ck_assert_int_eq(e.mtime.day, 1);
	ck_assert_int_eq(e.mtime.hour, 0);
	ftp_entry_free(&e);

	/* ls --time-style=long-iso */
	ck_assert_int_eq(list_str("-rw-r--r-- 1 a b 1 2001-04-27 12:34 n", &e), 0);
	ck_assert_int_eq(e.mtime.year, 2001);
	ck_assert_int_eq(e.mtime.hour, 12);
	ftp_entry_free(&e);

	/* " -> " only splits links */
	ck_assert_int_eq(list_str("-rw-r--r-- 1 a b 1 Nov 21 13:12 a -> b", &e), 0);
	ck_assert_str_eq(e.name, "a -> b");
	ck_assert_ptr_null(e.link_target);
	ftp_entry_free(&e);

	/* a link without a target after the arrow */
	ck_assert_int_eq(list_str("lrwxrwxrwx 1 a b 1 Nov 21 13:12 a -> ", &e), 0);
	ck_assert_str_eq(e.name, "a");
	ck_assert_ptr_null(e.link_target);
	ftp_entry_free(&e);

	/* MLSD: sizd for directories; size wins over sizd */
	ck_assert_int_eq(mlsx_str("type=dir;sizd=4096; d", &e), 0);
	ck_assert_int_eq(e.size, 4096);
	ftp_entry_free(&e);
	ck_assert_int_eq(mlsx_str("sizd=1;type=dir;size=2; d", &e), 0);
	ck_assert_int_eq(e.size, 2);
	ftp_entry_free(&e);
	/* MLST entry line with its leading space */
	ck_assert_int_eq(mlsx_str(" type=file;size=3; x", &e), 0);
	ck_assert_str_eq(e.name, "x");
	ck_assert_int_eq(e.size, 3);
	ftp_entry_free(&e);
	/* empty facts are skipped: session_mlst() turns "type=cdir;" into
	 * "type=dir;;" and gives a stand-in name */
	ck_assert_int_eq(mlsx_str("type=dir;;modify=20141022065102;"
				  "UNIX.mode=0775; x", &e), 0);
	ck_assert_int_eq(e.type, FTP_TYPE_DIR);
	ck_assert_uint_eq(e.perm, 0775);
	ftp_entry_free(&e);
	ck_assert_int_eq(mlsx_str("type=dir;; x", &e), 0);
	ftp_entry_free(&e);
	ck_assert_int_lt(mlsx_str(";type=dir; x", &e), 0);
	ck_assert_int_lt(mlsx_str("type=dir;;", &e), 0);
	/* OS.* types other than links are unknown */
	ck_assert_int_eq(mlsx_str("type=OS.unix=chr-1/3; null", &e), 0);
	ck_assert_int_eq(e.type, FTP_TYPE_UNKNOWN);
	ftp_entry_free(&e);
	ck_assert_int_eq(mlsx_str("TYPE=os.UNIX=SLINK:t; l", &e), 0);
	ck_assert_int_eq(e.type, FTP_TYPE_LINK);
	ck_assert_str_eq(e.link_target, "t");
	ftp_entry_free(&e);
}
END_TEST

/* Feed one line to c; returns the result, the entry in *e. */
static int ctx_str(struct listparse_ctx *c, const char *s, struct ftp_entry *e)
{
	char *b = exact_copy(s, strlen(s));
	int r = listparse_ctx_line(c, b, strlen(s), e);

	free(b);
	if (r != 0)
		ck_assert(entry_zeroed(e));
	return r;
}

START_TEST(test_ctx)
{
	struct listparse_ctx *c;
	struct ftp_entry e;
	const char *vms2 = "                         4/15         24-FEB-2003 "
			   "13:17:24  [POSTWARE,LP]    (RWED,RWED,RE,)";

	/* an MVS member name alone needs an MVS listing */
	ck_assert_int_lt(list_str("65-MVS-PDS-MEMBER", &e), 0);
	c = listparse_ctx_new(LISTPARSE_AUTO);
	ck_assert_int_lt(ctx_str(c, "65-MVS-PDS-MEMBER", &e), 0);
	ck_assert_uint_eq(listparse_ctx_refused(c), 1);
	listparse_ctx_free(c);
	c = listparse_ctx_new(LISTPARSE_MVS);
	ck_assert_int_eq(ctx_str(c, "65-MVS-PDS-MEMBER", &e), 0);
	ck_assert_str_eq(e.name, "65-MVS-PDS-MEMBER");
	ck_assert_int_eq(e.type, FTP_TYPE_FILE);
	ftp_entry_free(&e);
	listparse_ctx_free(c);
	/* ... or one whose header said so: the format sticks */
	c = listparse_ctx_new(LISTPARSE_AUTO);
	ck_assert_int_eq(ctx_str(c, " Name     VV.MM   Created       Changed"
				 "      Size  Init   Mod   Id", &e), 1);
	ck_assert_int_eq(listparse_ctx_format(c), LISTPARSE_MVS);
	ck_assert_int_eq(ctx_str(c, "SAVE04", &e), 0);
	ck_assert_str_eq(e.name, "SAVE04");
	ftp_entry_free(&e);
	/* a unix line in it still parses, and the format stays */
	ck_assert_int_eq(ctx_str(c, "-rw-r--r-- 1 a b 1 Nov 21 13:12 f", &e), 0);
	ftp_entry_free(&e);
	ck_assert_int_eq(listparse_ctx_format(c), LISTPARSE_MVS);
	ck_assert_int_eq(listparse_ctx_end(c, &e), 1);
	ck_assert_uint_eq(listparse_ctx_refused(c), 0);
	listparse_ctx_free(c);

	/* HP NonStop only with its hint */
	ck_assert_int_lt(list_str("57-HP_NonStop 101 528 6-Apr-07 14:21:18 "
				  "255, 0 \"oooo\"", &e), 0);
	c = listparse_ctx_new(LISTPARSE_NONSTOP);
	ck_assert_int_eq(ctx_str(c, "57-HP_NonStop 101 528 6-Apr-07 14:21:18 "
				 "255, 0 \"oooo\"", &e), 0);
	ck_assert_int_eq(e.size, 528);
	ftp_entry_free(&e);
	listparse_ctx_free(c);

	/* VMS: a long name on its own line is joined with the next; older
	 * versions of a file are dropped; headers and trailers skipped */
	c = listparse_ctx_new(LISTPARSE_AUTO);
	ck_assert_int_eq(ctx_str(c, "Directory USER1:[TEMP]", &e), 1);
	ck_assert_int_eq(listparse_ctx_format(c), LISTPARSE_VMS);
	ck_assert_int_eq(ctx_str(c, "", &e), 1);
	ck_assert_int_eq(ctx_str(c, "UCX$REXECD_STARTUP.LOG;1098", &e), 1);
	ck_assert_int_eq(ctx_str(c, vms2, &e), 0);
	ck_assert_str_eq(e.name, "UCX$REXECD_STARTUP.LOG");
	ck_assert_int_eq(e.size, 4 * 512);
	ck_assert_int_eq(e.mtime.year, 2003);
	ftp_entry_free(&e);
	ck_assert_int_eq(ctx_str(c, "A.TXT;3  1  2-JUN-1998 07:32:04", &e), 0);
	ck_assert_str_eq(e.name, "A.TXT");
	ftp_entry_free(&e);
	ck_assert_int_eq(ctx_str(c, "A.TXT;2  9  1-JUN-1998 07:32:04", &e), 1);
	ck_assert_int_eq(ctx_str(c, "SUB.DIR;1  1  2-JUN-1998 07:32:04", &e), 0);
	ck_assert_str_eq(e.name, "SUB");
	ck_assert_int_eq(e.type, FTP_TYPE_DIR);
	ftp_entry_free(&e);
	ck_assert_int_eq(ctx_str(c, "Total of 3 files, 11 blocks.", &e), 1);
	ck_assert_int_eq(ctx_str(c, "DISK$ANONFTP:[ANONYMOUS]", &e), 1);
	ck_assert_uint_eq(listparse_ctx_refused(c), 0);
	/* a held name whose next line is no continuation: the name is
	 * refused, the line parsed on its own */
	ck_assert_int_eq(ctx_str(c, "LOST.TXT;1", &e), 1);
	ck_assert_int_eq(ctx_str(c, "B.TXT;1  2  2-JUN-1998 07:32:04", &e), 0);
	ck_assert_str_eq(e.name, "B.TXT");
	ftp_entry_free(&e);
	ck_assert_uint_eq(listparse_ctx_refused(c), 1);
	/* and one cut off at the end of the listing */
	ck_assert_int_eq(ctx_str(c, "CUT.TXT;1", &e), 1);
	ck_assert_int_eq(listparse_ctx_end(c, &e), -EINVAL);
	ck_assert(entry_zeroed(&e));
	ck_assert_uint_eq(listparse_ctx_refused(c), 2);
	ck_assert_int_eq(listparse_ctx_end(c, &e), 1);
	listparse_ctx_free(c);
	/* the single-line function gives each version */
	ck_assert_int_eq(list_str("A.TXT;2  9  1-JUN-1998 07:32:04", &e), 0);
	ck_assert_str_eq(e.name, "A.TXT");
	ftp_entry_free(&e);
	/* a joined line longer than the limit is refused */
	{
		size_t n = LISTPARSE_LINE_MAX - 10;
		char *b = malloc(n + 1);

		ck_assert_ptr_nonnull(b);
		memset(b, ' ', n);
		memcpy(b + n - 20, "1 2-JUN-1998 07:32:04", 20);
		b[n] = '\0';
		c = listparse_ctx_new(LISTPARSE_VMS);
		ck_assert_int_eq(ctx_str(c, "X.TXT;1", &e), 1);
		ck_assert_int_lt(ctx_str(c, b, &e), 0);
		ck_assert_uint_eq(listparse_ctx_refused(c), 2);
		listparse_ctx_free(c);
		free(b);
	}

	/* OS/400: a date with one reading fixes the order for the listing */
	ck_assert_int_eq(list_str("PEP 1 04/03/18 18:58:16 *STMF b", &e), 0);
	ck_assert_int_eq(e.mtime.year, 2004);
	ftp_entry_free(&e);
	c = listparse_ctx_new(LISTPARSE_OS400);
	ck_assert_int_eq(ctx_str(c, "PEP 1 05/20/15 15:36:52 *STMF a", &e), 0);
	ftp_entry_free(&e);
	ck_assert_int_eq(ctx_str(c, "PEP 1 04/03/18 18:58:16 *STMF b", &e), 0);
	ck_assert_int_eq(e.mtime.year, 2018);
	ck_assert_int_eq(e.mtime.mon, 4);
	ck_assert_int_eq(e.mtime.day, 3);
	ftp_entry_free(&e);
	ck_assert_int_eq(listparse_ctx_format(c), LISTPARSE_OS400);
	listparse_ctx_free(c);

	/* refused lines are counted; NULL arguments */
	c = listparse_ctx_new(LISTPARSE_UNIX);
	ck_assert_int_lt(ctx_str(c, "junk", &e), 0);
	ck_assert_int_lt(ctx_str(c, "-rw-r--r-- 1 a b 1 Nov 21 13:12 a/b", &e), 0);
	ck_assert_int_lt(listparse_ctx_line(c, NULL, 1, &e), 0);
	ck_assert_uint_eq(listparse_ctx_refused(c), 3);
	ck_assert_int_lt(listparse_ctx_line(c, "x", 1, NULL), 0);
	listparse_ctx_free(c);
	ck_assert_int_lt(listparse_ctx_line(NULL, "x", 1, &e), 0);
	ck_assert(entry_zeroed(&e));
	ck_assert_int_eq(listparse_ctx_end(NULL, &e), 1);
	ck_assert_uint_eq(listparse_ctx_refused(NULL), 0);
	ck_assert_int_eq(listparse_ctx_format(NULL), LISTPARSE_AUTO);
	listparse_ctx_free(NULL);
}
END_TEST

START_TEST(test_syst)
{
	static const struct {
		const char *text;
		enum listparse_fmt fmt;
	} cases[] = {
		{ "UNIX Type: L8", LISTPARSE_UNIX },
		{ "Windows_NT", LISTPARSE_DOS },
		{ "VMS", LISTPARSE_VMS },
		{ "MVS is the operating system of this server. FTP Server is "
		  "running on z/OS.", LISTPARSE_MVS },
		{ "OS/400 is the remote operating system. The TCP/IP version "
		  "is \"V5R1M0\".", LISTPARSE_OS400 },
		{ "VM is the operating system of this server.", LISTPARSE_VMCMS },
		{ "z/VM", LISTPARSE_VMCMS },
		{ "NONSTOP KERNEL", LISTPARSE_NONSTOP },
		{ " unix", LISTPARSE_UNIX },
		{ "UNIX\r", LISTPARSE_UNIX },
		{ "UNIXish", LISTPARSE_AUTO },
		{ "MACOS Peter's Server", LISTPARSE_AUTO },
		{ "", LISTPARSE_AUTO },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(listparse_fmt_from_syst(cases[i].text,
						      strlen(cases[i].text)) ==
				      cases[i].fmt,
			      "SYST '%s'", cases[i].text);
	ck_assert_int_eq(listparse_fmt_from_syst(NULL, 3), LISTPARSE_AUTO);
	/* only len bytes count */
	ck_assert_int_eq(listparse_fmt_from_syst("VMSX", 3), LISTPARSE_VMS);
}
END_TEST

START_TEST(test_links_and_dates)
{
	static const struct {
		const char *line;
		const char *name;
		int year, mon, day, hour, min;
		int64_t size;
	} ok[] = {
		{ "-rw-r--r-- 1 root other 531 Jan 29, 2003 comma", "comma",
		  2003, 1, 29, 0, 0, 531 },
		{ "-rw-r--r-- 1 root other 531 Jan 29,2003 comma2", "comma2",
		  2003, 1, 29, 0, 0, 531 },
		{ "-rwxr-xr-x 1 user group 9 Oct 08, 2002 09:47 vshell new",
		  "vshell new", 2002, 10, 8, 9, 47, 9 },
		{ "-rw-r--r-- 1 root other 531 2003/01/29 03:26 slash", "slash",
		  2003, 1, 29, 3, 26, 531 },
		{ "-rw-r--r-- 1 root other 531 01/29/2003 03:26 us", "us",
		  2003, 1, 29, 3, 26, 531 },
		{ "-rw-r--r-- 1 root other 531 29/01/2003 03:26 eu", "eu",
		  2003, 1, 29, 3, 26, 531 },
		{ "-rw-r--r-- 1 root other 531 02.01.2003 03:26 dot", "dot",
		  2003, 1, 2, 3, 26, 531 },
		{ "-rw-r--r-- 1 root other 531 Jan 29 03:26:00 2003 bsd", "bsd",
		  2003, 1, 29, 3, 26, 531 },
		{ "drwxr-xr-x 2 ftp ftp4096 Sep  2  2005 glued", "glued",
		  2005, 9, 2, 0, 0, 4096 },
	};
	static const struct {
		const char *line;
		enum ftp_type type;
		const char *target;
	} mlsd_links[] = {
		{ "type=OS.unix=symlink; l", FTP_TYPE_LINK, NULL },
		{ "Type=OS.UNIX=SYMLINK;size=3; l", FTP_TYPE_LINK, NULL },
		{ "type=os.unix=symlink:../t; l", FTP_TYPE_LINK, "../t" },
		{ "type=OS.unix=slink; l", FTP_TYPE_LINK, NULL },
		{ "type=OS.unix=slink:;size=9; l", FTP_TYPE_LINK, NULL },
		{ "type=OS.Unix=Slink:/var/www; www", FTP_TYPE_LINK, "/var/www" },
		{ "type=OS.unix=slinky; l", FTP_TYPE_UNKNOWN, NULL },
		{ "type=OS.unix=symlinks; l", FTP_TYPE_UNKNOWN, NULL },
	};
	struct ftp_entry e;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(list_str(ok[i].line, &e) == 0, "%s", ok[i].line);
		ck_assert_str_eq(e.name, ok[i].name);
		ck_assert_int_eq(e.size, ok[i].size);
		ck_assert(e.mtime.has_year);
		ck_assert_int_eq(e.mtime.year, ok[i].year);
		ck_assert_int_eq(e.mtime.mon, ok[i].mon);
		ck_assert_int_eq(e.mtime.day, ok[i].day);
		ck_assert_int_eq(e.mtime.hour, ok[i].hour);
		ck_assert_int_eq(e.mtime.min, ok[i].min);
		ftp_entry_free(&e);
	}
	/* digits after a ':' are not a group's size */
	ck_assert_int_lt(list_str("-rw-r--r-- 1 14 staff 119:26 Aug 22 2000 z",
				  &e), 0);

	/* several " -> ": the split whose target is as long as the size */
	ck_assert_int_eq(list_str("lrwxrwxrwx 1 a b 6 Jan 29 03:26 a -> b -> c -> d",
				  &e), 0);
	ck_assert_str_eq(e.name, "a -> b");
	ck_assert_str_eq(e.link_target, "c -> d");
	ftp_entry_free(&e);
	ck_assert_int_eq(list_str("lrwxrwxrwx 1 a b 99 Jan 29 03:26 a -> b -> c",
				  &e), 0);
	ck_assert_str_eq(e.name, "a");
	ck_assert_str_eq(e.link_target, "b -> c");
	ftp_entry_free(&e);

	/* MLSD symlinks: ProFTPD, Pure-FTPd, any case, target if given */
	for (i = 0; i < sizeof(mlsd_links) / sizeof(mlsd_links[0]); i++) {
		ck_assert_msg(mlsx_str(mlsd_links[i].line, &e) == 0, "%s",
			      mlsd_links[i].line);
		ck_assert_int_eq(e.type, mlsd_links[i].type);
		if (mlsd_links[i].target)
			ck_assert_str_eq(e.link_target, mlsd_links[i].target);
		else
			ck_assert_ptr_null(e.link_target);
		ftp_entry_free(&e);
	}
	/* a later type fact replaces an earlier link and its target */
	ck_assert_int_eq(mlsx_str("type=OS.unix=slink:/x;type=file; l", &e), 0);
	ck_assert_int_eq(e.type, FTP_TYPE_FILE);
	ck_assert_ptr_null(e.link_target);
	ftp_entry_free(&e);
}
END_TEST

static Suite *listparse_suite(void)
{
	Suite *s = suite_create("listparse");
	TCase *tc;

	tc = tcase_create("corpus");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_corpus);
	suite_add_tcase(s, tc);

	tc = tcase_create("focused");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_hostile_names);
	tcase_add_test(tc, test_junk_line);
	tcase_add_test(tc, test_overflow_sizes);
	tcase_add_test(tc, test_name_ok);
	tcase_add_test(tc, test_time_to_epoch);
	tcase_add_test(tc, test_details);
	tcase_add_test(tc, test_ctx);
	tcase_add_test(tc, test_syst);
	tcase_add_test(tc, test_links_and_dates);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(listparse_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
