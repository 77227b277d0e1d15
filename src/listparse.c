/* listparse — FTP directory listing parsers: entry points, the table of
 * LIST formats, the per-listing context. See listparse.h for the contract
 * and listparse_int.h for how the files divide the work.
 *
 * Every parser works on (line, len) alone: no byte at or past len is read,
 * nothing recurses, and every number is converted by hand with an overflow
 * check. A parser first decides whether the line is in its format and fills
 * a struct parsed with offsets into the line (or, for VM/CMS, a short name
 * of its own in alt[]); lp_finish() then applies the common safety rules to
 * the name and builds the entry.
 *
 * A LIST line: a blank line, "total N", EPLF ("+facts\tname") and the
 * header and trailer lines of VMS and MVS listings are recognised first;
 * then the tokens go through formats[] in its order, those of the
 * listing's family (struct pstate) first. The order matters where two
 * formats could read one line: each entry sits after those it must not
 * steal lines from; a new format goes where the corpus
 * (tests/data/list-lines.tsv) stays green.
 *
 * The only state across lines is in struct listparse_ctx: the detected
 * format, the OS/400 date order, a VMS name line held for joining (bounded
 * by LISTPARSE_LINE_MAX), the last VMS name given, and the refused count.
 * Nothing is global.
 */
#include "listparse_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- numbers ------------------------------------------------------- */

bool lp_num_u64(const char *p, size_t n, unsigned base, uint64_t max,
		uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		char c = to_lower(p[i]);
		unsigned int d;

		if (is_digit(c))
			d = (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned int)(c - 'a' + 10);
		else
			return false;
		if (d >= base || x > (max - d) / base)
			return false;
		x = x * base + d;
	}
	*v = x;
	return true;
}

/* ---- tokens -------------------------------------------------------- */

void lp_tokenize(struct toks *tk, const char *p, size_t len)
{
	size_t i = 0;

	tk->p = p;
	tk->len = len;
	tk->n = 0;
	while (tk->n < TOK_MAX) {
		while (i < len && is_blank(p[i]))
			i++;
		if (i >= len)
			break;
		tk->t[tk->n].s = i;
		while (i < len && !is_blank(p[i]))
			i++;
		tk->t[tk->n].e = i;
		tk->n++;
	}
}

/* Where the name starts after token i: exactly one blank later, or after
 * all blanks when skip_all. Returns false when no name follows. */
bool lp_name_after(const struct toks *tk, size_t i, bool skip_all, size_t *ns)
{
	size_t k = tk->t[i].e;

	if (k >= tk->len || !is_blank(tk->p[k]))
		return false;
	k++;
	if (skip_all)
		while (k < tk->len && is_blank(tk->p[k]))
			k++;
	if (k >= tk->len)
		return false;
	*ns = k;
	return true;
}

bool lp_tok_word(const struct toks *tk, size_t i, const char *set)
{
	const char *p = tp(tk, i);
	size_t k, n = tl(tk, i);

	for (k = 0; k < n; k++)
		if (p[k] == '\0' || !strchr(set, p[k]))
			return false;
	return n > 0;
}

/* ---- EPLF ---------------------------------------------------------- */

/* "+i8388621.48594,m825718503,r,s280,up755\tname" */
static bool parse_eplf(const char *p, size_t len, struct parsed *e)
{
	size_t i = 1, j, k;
	bool dir = false, file = false;
	uint64_t v;

	e->size = -1;
	for (;;) {
		for (j = i; j < len && p[j] != ',' && p[j] != '\t'; j++)
			;
		if (j >= len)
			return false;
		if (j > i) {
			for (k = i; k < j; k++)
				if (is_ctl(p[k]) || p[k] == ' ')
					return false;
			switch (p[i]) {
			case '/':
				if (j - i != 1)
					return false;
				dir = true;
				break;
			case 'r':
				if (j - i != 1)
					return false;
				file = true;
				break;
			case 's':
				if (!size_dec(p + i + 1, j - i - 1, &e->size))
					return false;
				break;
			case 'm':
				if (!dec_u64(p + i + 1, j - i - 1, EPOCH_MAX,
					     &v))
					return false;
				lp_time_from_epoch((int64_t)v, &e->mtime);
				break;
			case 'u':
				if (j - i < 3 || p[i + 1] != 'p' ||
				    !oct_u64(p + i + 2, j - i - 2, 07777, &v))
					return false;
				e->perm = (mode_t)v;
				e->has_perm = true;
				break;
			default:
				break;
			}
		}
		if (p[j] == '\t')
			break;
		i = j + 1;
	}
	e->type = dir ? FTP_TYPE_DIR : file ? FTP_TYPE_FILE : FTP_TYPE_UNKNOWN;
	e->ns = j + 1;
	return e->ns < len;
}

/* ---- entry construction -------------------------------------------- */

static char *dup_bytes(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

static bool target_ok(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] == '\0' || p[i] == '\r' || p[i] == '\n')
			return false;
	return true;
}

int lp_finish(const char *line, struct parsed *e, struct ftp_entry *out)
{
	const char *name = e->use_alt ? e->alt : line + e->ns;
	size_t nlen = e->use_alt ? e->alt_len : e->ne - e->ns;

	if (!e->pathname) {
		if (!e->use_alt && e->ne <= e->ns)
			return -EINVAL;
		if (e->skip)
			return 1;
		if ((nlen == 1 && name[0] == '.') ||
		    (nlen == 2 && name[0] == '.' && name[1] == '.'))
			return 1;
		if (!listparse_name_ok(name, nlen))
			return -EINVAL;
	}
	if (e->has_target && !target_ok(line + e->ts, e->te - e->ts))
		return -EINVAL;
	out->name = dup_bytes(name, nlen);
	if (!out->name)
		return -ENOMEM;
	if (e->has_target && e->te > e->ts) {
		out->link_target = dup_bytes(line + e->ts, e->te - e->ts);
		if (!out->link_target) {
			ftp_entry_free(out);
			return -ENOMEM;
		}
	}
	out->type = e->type;
	out->size = e->size;
	out->mtime = e->mtime;
	out->perm = e->perm;
	out->has_perm = e->has_perm;
	out->rights = e->rights;
	out->has_rights = e->has_rights;
	return 0;
}

/* "total 1234" */
static bool is_total(const char *p, size_t len)
{
	size_t i = 5, d;

	if (len < 7 || !eq_ci(p, 5, "total") || !is_blank(p[5]))
		return false;
	while (i < len && is_blank(p[i]))
		i++;
	for (d = i; i < len && is_digit(p[i]); i++)
		;
	while (i < len && is_blank(p[i]))
		i++;
	return i > d && i == len;
}

/* Every LIST format, in the order they are tried when the listing's
 * format is not known; those of the listing's family (fmt) go first. The
 * name is the one of the format column of tests/data/list-lines.tsv. */
static const struct list_format {
	const char *name;
	list_parse_fn *fn;
	enum listparse_fmt fmt;
} formats[] = {
	{ "unix", lp_parse_unix_link, LISTPARSE_UNIX },
	{ "dos", lp_parse_dos, LISTPARSE_DOS },
	{ "netware", lp_parse_netware, LISTPARSE_OTHER },
	{ "os2", lp_parse_os2, LISTPARSE_OTHER },
	{ "vshell", lp_parse_vshell, LISTPARSE_OTHER },
	{ "unix-numeric-mode", lp_parse_numeric_link, LISTPARSE_UNIX },
	{ "enterprise-unix", lp_parse_enterprise, LISTPARSE_UNIX },
	{ "vms", lp_parse_vms, LISTPARSE_VMS },
	{ "os400", lp_parse_os400, LISTPARSE_OS400 },
	{ "mvs", lp_parse_mvs_dataset, LISTPARSE_MVS },
	{ "mvs-member", lp_parse_mvs_member, LISTPARSE_MVS },
	{ "mvs-jes", lp_parse_mvs_jes, LISTPARSE_MVS },
	{ "vmcms", lp_parse_vmcms, LISTPARSE_VMCMS },
	{ "hp-nonstop", lp_parse_nonstop, LISTPARSE_NONSTOP },
	{ "win16", lp_parse_win16, LISTPARSE_OTHER },
	{ "nortel-wfftp", lp_parse_wfftp, LISTPARSE_OTHER },
	{ "vxworks", lp_parse_vxworks, LISTPARSE_OTHER },
	{ "os9", lp_parse_os9, LISTPARSE_OTHER },
};

#define N_FORMATS (sizeof(formats) / sizeof(formats[0]))

/* One LIST line (a VMS entry already joined) in the listing described by
 * ps. *got is the format the line showed, LISTPARSE_AUTO when it showed
 * none (blank, "total N", refused). */
static int parse_line(const char *line, size_t len, struct pstate *ps,
		      struct ftp_entry *out, enum listparse_fmt *got)
{
	struct toks tk;
	struct parsed e;
	size_t i, pass;

	*got = LISTPARSE_AUTO;
	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!line || len > LISTPARSE_LINE_MAX)
		return -EINVAL;
	for (i = 0; i < len && is_blank(line[i]); i++)
		;
	if (i == len)
		return 1;
	parsed_init(&e, len);
	if (line[0] == '+') {
		if (!parse_eplf(line, len, &e))
			return -EINVAL;
		*got = LISTPARSE_EPLF;
		return lp_finish(line, &e, out);
	}
	if (is_total(line, len))
		return 1;
	lp_tokenize(&tk, line, len);
	if (lp_vms_skip(&tk)) {
		*got = LISTPARSE_VMS;
		return 1;
	}
	if (lp_mvs_skip(&tk)) {
		*got = LISTPARSE_MVS;
		return 1;
	}
	/* pass 0: the parsers of the listing's format; pass 1: the rest */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < N_FORMATS; i++) {
			if ((formats[i].fmt == ps->fmt) != (pass == 0))
				continue;
			parsed_init(&e, len);
			if (!formats[i].fn(&tk, &e, ps))
				continue;
			*got = formats[i].fmt;
			return lp_finish(line, &e, out);
		}
	}
	return -EINVAL;
}

int listparse_list_line(const char *line, size_t len, struct ftp_entry *out)
{
	struct pstate ps = { LISTPARSE_AUTO, 0 };
	enum listparse_fmt got;

	return parse_line(line, len, &ps, out, &got);
}

/* ---- per-listing context ------------------------------------------- */

struct listparse_ctx {
	enum listparse_fmt hint;
	enum listparse_fmt fmt; /* detected; sticks for the listing */
	int os400_order;
	size_t refused;
	bool holding; /* held[] is a VMS name waiting for its line */
	size_t held_len;
	bool has_last; /* last[] is the last VMS name given */
	size_t last_len;
	char held[LISTPARSE_LINE_MAX];
	char last[LISTPARSE_LINE_MAX];
	char join[LISTPARSE_LINE_MAX];
};

struct listparse_ctx *listparse_ctx_new(enum listparse_fmt hint)
{
	struct listparse_ctx *c = calloc(1, sizeof(*c));

	if (c)
		c->hint = hint;
	return c;
}

void listparse_ctx_free(struct listparse_ctx *c)
{
	free(c);
}

enum listparse_fmt listparse_ctx_format(const struct listparse_ctx *c)
{
	return c ? c->fmt : LISTPARSE_AUTO;
}

size_t listparse_ctx_refused(const struct listparse_ctx *c)
{
	return c ? c->refused : 0;
}

static enum listparse_fmt ctx_fmt(const struct listparse_ctx *c)
{
	return c->fmt != LISTPARSE_AUTO ? c->fmt : c->hint;
}

/* Parse with the listing's state; learn the format; drop older versions
 * of a VMS file (VMS lists the newest version first). */
static int ctx_parse(struct listparse_ctx *c, const char *line, size_t len,
		     struct ftp_entry *out)
{
	struct pstate ps = { ctx_fmt(c), c->os400_order };
	enum listparse_fmt got;
	size_t n;
	int r;

	r = parse_line(line, len, &ps, out, &got);
	c->os400_order = ps.os400_order;
	if (r >= 0 && got != LISTPARSE_AUTO && c->fmt == LISTPARSE_AUTO)
		c->fmt = got;
	if (r != 0 || got != LISTPARSE_VMS)
		return r;
	n = strlen(out->name);
	if (c->has_last && n == c->last_len && !memcmp(c->last, out->name, n)) {
		ftp_entry_free(out);
		return 1;
	}
	memcpy(c->last, out->name, n);
	c->last_len = n;
	c->has_last = true;
	return 0;
}

int listparse_ctx_line(struct listparse_ctx *c, const char *line, size_t len,
		       struct ftp_entry *out)
{
	struct toks tk;
	enum listparse_fmt f;
	int r;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!c)
		return -EINVAL;
	if (!line || len > LISTPARSE_LINE_MAX) {
		c->refused++;
		return -EINVAL;
	}
	if (c->holding) {
		c->holding = false;
		if (c->held_len + 1 + len <= LISTPARSE_LINE_MAX) {
			memcpy(c->join, c->held, c->held_len);
			c->join[c->held_len] = ' ';
			memcpy(c->join + c->held_len + 1, line, len);
			r = ctx_parse(c, c->join, c->held_len + 1 + len, out);
			if (r >= 0)
				return r;
		}
		c->refused++; /* the held name; this line on its own below */
	}
	f = ctx_fmt(c);
	if (f == LISTPARSE_AUTO || f == LISTPARSE_VMS) {
		lp_tokenize(&tk, line, len);
		if (lp_vms_name_only(&tk)) {
			memcpy(c->held, line, tk.t[0].e);
			c->held_len = tk.t[0].e;
			c->holding = true;
			return 1;
		}
	}
	r = ctx_parse(c, line, len, out);
	if (r < 0)
		c->refused++;
	return r;
}

int listparse_ctx_end(struct listparse_ctx *c, struct ftp_entry *out)
{
	if (out)
		memset(out, 0, sizeof(*out));
	if (!c || !c->holding)
		return 1;
	c->holding = false;
	c->refused++;
	return -EINVAL;
}

/* First word of a SYST reply's text. */
enum listparse_fmt listparse_fmt_from_syst(const char *text, size_t len)
{
	static const struct {
		const char *word;
		enum listparse_fmt fmt;
	} syst[] = {
		{ "unix", LISTPARSE_UNIX },
		{ "windows_nt", LISTPARSE_DOS },
		{ "vms", LISTPARSE_VMS },
		{ "openvms", LISTPARSE_VMS },
		{ "mvs", LISTPARSE_MVS },
		{ "z/os", LISTPARSE_MVS },
		{ "os/390", LISTPARSE_MVS },
		{ "os/400", LISTPARSE_OS400 },
		{ "vm", LISTPARSE_VMCMS },
		{ "z/vm", LISTPARSE_VMCMS },
		{ "vm/cms", LISTPARSE_VMCMS },
		{ "vm/esa", LISTPARSE_VMCMS },
		{ "nonstop", LISTPARSE_NONSTOP },
		{ "guardian", LISTPARSE_NONSTOP },
	};
	size_t i, n = 0;

	if (!text)
		return LISTPARSE_AUTO;
	while (len > 0 && is_blank(*text)) {
		text++;
		len--;
	}
	while (n < len && !is_blank(text[n]) && !is_ctl(text[n]))
		n++;
	for (i = 0; i < sizeof(syst) / sizeof(syst[0]); i++)
		if (eq_ci(text, n, syst[i].word))
			return syst[i].fmt;
	return LISTPARSE_AUTO;
}

/* ---- public helpers ------------------------------------------------ */

bool listparse_name_ok(const char *name, size_t len)
{
	size_t i;

	if (!name || len == 0)
		return false;
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return false;
	for (i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == '\0' || name[i] == '\r' ||
		    name[i] == '\n')
			return false;
	return true;
}

void ftp_entry_free(struct ftp_entry *e)
{
	if (!e)
		return;
	free(e->name);
	free(e->link_target);
	memset(e, 0, sizeof(*e));
}
