/* listparse_unix — unix "ls -l" and its relatives: numeric-mode listings
 * (octal st_mode, uid, gid, size, unix time) and Sterling
 * Connect:Enterprise.
 *
 * The unix date column comes in many forms (ls, ls -T, long-iso, CJK and
 * European locales, Windows servers imitating ls): unix_date() tries the
 * one-token forms of unix_date1() and then the three-token ones, in an
 * order where no form can take a line that an earlier one should read.
 * Owner and group may hold single spaces, so the size column is found by
 * trying each token as the size and accepting the first one followed by a
 * date and a name.
 */
#include "listparse_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* File type bits as in st_mode (for the numeric-mode LIST format). */
#define M_IFMT 0170000
#define M_IFSOCK 0140000
#define M_IFLNK 0120000
#define M_IFREG 0100000
#define M_IFBLK 0060000
#define M_IFDIR 0040000
#define M_IFCHR 0020000
#define M_IFIFO 0010000

/* ls -h style size: "33.5k" (1024 based); plain digits are also taken. */
static bool size_unit(const char *p, size_t n, int64_t *v)
{
	uint64_t ip, fp = 0, mult, scale = 1, r;
	size_t i = 0, dot, fd = 0;

	if (n == 0)
		return false;
	if (is_digit(p[n - 1]))
		return size_dec(p, n, v);
	switch (p[n - 1]) {
	case 'k':
	case 'K':
		mult = 1ULL << 10;
		break;
	case 'm':
	case 'M':
		mult = 1ULL << 20;
		break;
	case 'g':
	case 'G':
		mult = 1ULL << 30;
		break;
	case 't':
	case 'T':
		mult = 1ULL << 40;
		break;
	default:
		return false;
	}
	n--;
	while (i < n && is_digit(p[i]))
		i++;
	dot = i;
	if (!dec_u64(p, dot, (uint64_t)INT64_MAX, &ip))
		return false;
	if (dot < n) {
		if (p[dot] != '.')
			return false;
		fd = n - dot - 1;
		if (fd == 0 || fd > 6 || !dec_u64(p + dot + 1, fd, 999999, &fp))
			return false;
		for (i = 0; i < fd; i++)
			scale *= 10;
	}
	if (ip > (uint64_t)INT64_MAX / mult)
		return false;
	r = ip * mult;
	/* fp < scale <= 1e6 and mult <= 2^40: no overflow */
	if (r > (uint64_t)INT64_MAX - fp * mult / scale)
		return false;
	*v = (int64_t)(r + fp * mult / scale);
	return true;
}

/* One-token date forms, tried in order at token i of a unix line: each
 * returns true with *t filled (time_fix() is left to the caller), *next the
 * token after the date, and *skip_all when the name may follow after
 * several blanks. A form that fails may leave t partly written. */
typedef bool date_form_fn(const struct toks *tk, size_t i, struct ftp_time *t,
			  size_t *next, bool *skip_all);

/* "09-26 2000", "09-26 13:45" */
static bool date_md_dash(const struct toks *tk, size_t i, struct ftp_time *t,
			 size_t *next, bool *skip_all)
{
	const char *p = tp(tk, i);
	struct tok pt[2];
	int a, b;

	(void)skip_all;
	if (i + 1 >= tk->n || !lp_split3(p, tl(tk, i), '-', pt, 2) ||
	    !part_int(p, &pt[0], 1, 2, &a) || !part_int(p, &pt[1], 1, 2, &b) ||
	    !lp_tok_time_or_year(tp(tk, i + 1), tl(tk, i + 1), t))
		return false;
	t->mon = a;
	t->day = b;
	*next = i + 2;
	return true;
}

static void set_date(struct ftp_time *t, int y, int m, int d)
{
	t->year = y;
	t->mon = m;
	t->day = d;
	t->has_year = true;
}

/* "2001-04-27 12:00" (ls long-iso), "24-04-2003 17:12" (day first unless
 * that cannot be); a time is required */
static bool date_dash_time(const struct toks *tk, size_t i, struct ftp_time *t,
			   size_t *next, bool *skip_all)
{
	const char *p = tp(tk, i);
	struct tok pt[3];
	int a, b, c;

	(void)skip_all;
	if (i + 1 >= tk->n || !lp_split3(p, tl(tk, i), '-', pt, 3) ||
	    !part_int(p, &pt[1], 1, 2, &b))
		return false;
	if (part_int(p, &pt[0], 4, 4, &a) && part_int(p, &pt[2], 1, 2, &c)) {
		if (!lp_tok_time(tp(tk, i + 1), tl(tk, i + 1), t))
			return false;
		set_date(t, a, b, c);
	} else if (part_int(p, &pt[0], 1, 2, &a) &&
		   part_int(p, &pt[2], 4, 4, &c)) {
		if (!lp_tok_time(tp(tk, i + 1), tl(tk, i + 1), t))
			return false;
		if (b > 12 && a <= 12)
			set_date(t, c, a, b);
		else
			set_date(t, c, b, a);
	} else {
		return false;
	}
	*next = i + 2;
	return true;
}

/* "01-jun-99" */
static bool date_d_mon_y(const struct toks *tk, size_t i, struct ftp_time *t,
			 size_t *next, bool *skip_all)
{
	const char *p = tp(tk, i);
	struct tok pt[3];
	int a, b, c;

	(void)skip_all;
	if (!lp_split3(p, tl(tk, i), '-', pt, 3) ||
	    !part_int(p, &pt[0], 1, 2, &a) ||
	    !(b = lp_tok_month_alpha(p + pt[1].s, pt[1].e - pt[1].s)) ||
	    !(part_int(p, &pt[2], 2, 2, &c) || part_int(p, &pt[2], 4, 4, &c)))
		return false;
	set_date(t, year_short(c, pt[2].e - pt[2].s), b, a);
	*next = i + 1;
	return true;
}

/* "2003/01/29", "01/29/2003", "29/01/2003", "29.01.2003", each with an
 * optional time */
static bool date_slash_dot(const struct toks *tk, size_t i, struct ftp_time *t,
			   size_t *next, bool *skip_all)
{
	const char *p = tp(tk, i);
	size_t n = tl(tk, i), n0, n2;
	bool h1 = i + 1 < tk->n;
	struct tok pt[3];
	int a, b, c;

	if (!(lp_split3(p, n, '/', pt, 3) || lp_split3(p, n, '.', pt, 3)) ||
	    !part_int(p, &pt[0], 1, 4, &a) || !part_int(p, &pt[1], 1, 2, &b) ||
	    !part_int(p, &pt[2], 1, 4, &c))
		return false;
	n0 = pt[0].e - pt[0].s;
	n2 = pt[2].e - pt[2].s;
	if (!((n0 == 4 && n2 <= 2) || (n0 <= 2 && n2 == 4)) ||
	    (p[pt[0].e] == '.' && n0 == 4 && !h1))
		return false;
	if (n0 == 4) {
		set_date(t, a, b, c);
	} else {
		/* '.' is day first; '/' month first unless that cannot be */
		bool dmy = p[pt[0].e] == '.' || (a > 12 && b <= 12);

		set_date(t, c, dmy ? b : a, dmy ? a : b);
	}
	*next = i + 1;
	if (h1 && lp_tok_time(tp(tk, i + 1), tl(tk, i + 1), t))
		*next = i + 2;
	*skip_all = true;
	return true;
}

/* "2004.07.15" */
static bool date_ymd_dot(const struct toks *tk, size_t i, struct ftp_time *t,
			 size_t *next, bool *skip_all)
{
	const char *p = tp(tk, i);
	struct tok pt[3];
	int a, b, c;

	if (!lp_split3(p, tl(tk, i), '.', pt, 3) ||
	    !part_int(p, &pt[0], 4, 4, &a) || !part_int(p, &pt[1], 1, 2, &b) ||
	    !part_int(p, &pt[2], 1, 2, &c))
		return false;
	set_date(t, a, b, c);
	*next = i + 1;
	*skip_all = true;
	return true;
}

/* In this order: a token that splits at '-' can only be one of the first
 * three (the others need digits between their separators). */
static date_form_fn *const date_forms1[] = {
	date_md_dash,	date_dash_time, date_d_mon_y,
	date_slash_dot, date_ymd_dot,
};

static bool unix_date1(const struct toks *tk, size_t i, struct ftp_time *t,
		       size_t *next, bool *skip_all)
{
	size_t k;

	for (k = 0; k < sizeof(date_forms1) / sizeof(date_forms1[0]); k++)
		if (date_forms1[k](tk, i, t, next, skip_all))
			return true;
	return false;
}

/* Find a date at token i of a unix line; *next is the token after it. */
static bool unix_date(const struct toks *tk, size_t i, struct ftp_time *out,
		      size_t *next, bool *skip_all)
{
	struct ftp_time t;
	const char *p0, *p1, *p2;
	size_t n0, n1, n2;
	struct tok pt[2];

	*skip_all = false;
	memset(&t, 0, sizeof(t));
	if (i >= tk->n)
		return false;
	if (unix_date1(tk, i, &t, next, skip_all))
		goto found;
	memset(&t, 0, sizeof(t));
	if (i + 2 >= tk->n)
		return false;
	p0 = tp(tk, i);
	n0 = tl(tk, i);
	p1 = tp(tk, i + 1);
	n1 = tl(tk, i + 1);
	p2 = tp(tk, i + 2);
	n2 = tl(tk, i + 2);
	*next = i + 3;

	/* "Nov 21 13:12", "Jun 15  2001", "6月 3日 2003年", BSD ls -T
	 * "Nov 21 13:12:30 2003" */
	t.mon = lp_tok_month(p0, n0);
	t.day = lp_tok_day(p1, n1, false);
	if (t.mon && t.day && lp_tok_time_or_year(p2, n2, &t)) {
		if (n2 == 8 && t.has_time && i + 3 < tk->n &&
		    lp_tok_year(tp(tk, i + 3), tl(tk, i + 3), &t.year)) {
			t.has_year = true;
			*next = i + 4;
		}
		goto found;
	}
	/* "Jan 29, 2003" (then maybe a time), "Jan 29,2003" */
	if (t.mon && n1 >= 2 && p1[n1 - 1] == ',' &&
	    (t.day = lp_tok_day(p1, n1 - 1, false)) &&
	    lp_tok_year(p2, n2, &t.year)) {
		t.has_year = true;
		if (i + 3 < tk->n &&
		    lp_tok_time(tp(tk, i + 3), tl(tk, i + 3), &t))
			*next = i + 4;
		goto found;
	}
	if (t.mon && lp_split3(p1, n1, ',', pt, 2) &&
	    (t.day = lp_tok_day(p1, pt[0].e, false)) &&
	    lp_tok_year(p1 + pt[1].s, pt[1].e - pt[1].s, &t.year)) {
		t.has_year = true;
		*next = i + 2;
		goto found;
	}
	memset(&t, 0, sizeof(t));
	/* "29 Jul 02:27", "01 oct 2004", "26. Juli, 20:10" */
	t.day = lp_tok_day(p0, n0, true);
	t.mon = lp_tok_month_alpha(p1, n1);
	if (t.mon && t.day && lp_tok_time_or_year(p2, n2, &t))
		goto found;
	memset(&t, 0, sizeof(t));
	/* "2003 3月 20" */
	if (lp_tok_year(p0, n0, &t.year)) {
		t.has_year = true;
		t.mon = lp_tok_month_cjk(p1, n1);
		t.day = lp_tok_day(p2, n2, false);
		if (t.mon && t.day)
			goto found;
	}
	memset(&t, 0, sizeof(t));
	/* "3 29 03:26" */
	if (n0 <= 2 && n1 <= 2 && dec_int(p0, n0, 12, &t.mon) && t.mon &&
	    dec_int(p1, n1, 31, &t.day) && t.day &&
	    lp_tok_time_or_year(p2, n2, &t))
		goto found;
	return false;
found:
	if (!lp_time_fix(&t))
		return false;
	*out = t;
	return true;
}

/* A token that a date could be made of: a month name, or digits with
 * date punctuation. */
static bool tok_dateish(const struct toks *tk, size_t i)
{
	const char *p = tp(tk, i);
	size_t k, n = tl(tk, i);
	bool digit = false;

	if (lp_tok_month(p, n))
		return true;
	for (k = 0; k < n; k++) {
		if (is_digit(p[k]))
			digit = true;
		else if (!strchr("-./:,", p[k]) || p[k] == '\0')
			return false;
	}
	return digit;
}

/* ---- unix ls -l ---------------------------------------------------- */

/* "drwxr-xr-x", with an optional ACL mark and a link count run into it
 * ("drwxr-x---+1464"). Sets type and mode; *glued when digits follow. */
static bool unix_perm(const char *p, size_t n, struct parsed *e, bool *glued)
{
	static const char *const ok[9] = { "r-",     "w-", "xsS-", "r-",  "w-",
					   "xsSlL-", "r-", "w-",   "xtT-" };
	static const mode_t bit[9] = { 0400, 0200, 0100, 040, 020,
				       010,  04,   02,	 01 };
	mode_t m = 0;
	uint64_t links;
	size_t i;

	if (n < 10)
		return false;
	switch (p[0]) {
	case '-':
	case 'f':
		e->type = FTP_TYPE_FILE;
		break;
	case 'd':
		e->type = FTP_TYPE_DIR;
		break;
	case 'l':
		e->type = FTP_TYPE_LINK;
		break;
	case 'b':
	case 'c':
	case 'p':
	case 's':
	case 'D':
		e->type = FTP_TYPE_UNKNOWN;
		break;
	default:
		return false;
	}
	for (i = 0; i < 9; i++) {
		char c = p[i + 1];

		if (!strchr(ok[i], c) || c == '\0')
			return false;
		if (c != '-' && c != 'S' && c != 'T' && c != 'l' && c != 'L')
			m |= bit[i];
		if (i == 2 && (c == 's' || c == 'S'))
			m |= 04000;
		if (i == 5 && (c == 's' || c == 'S' || c == 'l' || c == 'L'))
			m |= 02000;
		if (i == 8 && (c == 't' || c == 'T'))
			m |= 01000;
	}
	i = 10;
	if (i < n && (p[i] == '+' || p[i] == '@' || p[i] == '.'))
		i++;
	*glued = i < n;
	if (*glued && !dec_u64(p + i, n - i, UINT32_MAX, &links))
		return false;
	e->perm = m;
	e->has_perm = true;
	return true;
}

/* Size column at token i: a byte count, or "major, minor" / "major,minor"
 * for devices. *date is the token where the date must start. */
static bool unix_size(const struct toks *tk, size_t i, struct parsed *e,
		      size_t *date)
{
	const char *p = tp(tk, i);
	size_t n = tl(tk, i), k;
	uint64_t v;

	if (size_unit(p, n, &e->size)) {
		*date = i + 1;
		return true;
	}
	if (e->type != FTP_TYPE_UNKNOWN || n < 2)
		return false;
	for (k = 0; k < n && is_digit(p[k]); k++)
		;
	if (k == 0 || k == n || p[k] != ',' || !dec_u64(p, k, 0xffffffff, &v))
		return false;
	if (k + 1 == n) {
		/* "0, 27" */
		if (i + 1 >= tk->n ||
		    !dec_u64(tp(tk, i + 1), tl(tk, i + 1), 0xffffffff, &v))
			return false;
		*date = i + 2;
	} else {
		if (!dec_u64(p + k + 1, n - k - 1, 0xffffffff, &v))
			return false;
		*date = i + 1;
	}
	e->size = -1;
	return true;
}

/* Digits, optionally followed by ',' and more digits. */
static bool size_shaped(const struct toks *tk, size_t i)
{
	const char *p = tp(tk, i);
	size_t k = 0, n = tl(tk, i);

	while (k < n && is_digit(p[k]))
		k++;
	if (k == 0)
		return false;
	if (k < n && p[k] == ',')
		for (k++; k < n && is_digit(p[k]); k++)
			;
	return k == n;
}

/* Tokens i-1 and i are separated by exactly one space. */
static bool single_gap(const struct toks *tk, size_t i)
{
	return tk->t[i].s == tk->t[i - 1].e + 1 && tk->p[tk->t[i - 1].e] == ' ';
}

static bool parse_unix(const struct toks *tk, struct parsed *e)
{
	size_t first, i, date, next, chunks = 0;
	bool glued, skip_all, link;
	uint64_t links;

	if (tk->n < 2 || tk->t[0].s != 0 ||
	    !unix_perm(tp(tk, 0), tl(tk, 0), e, &glued))
		return false;
	first = 1;
	link = glued;
	if (!glued && is_digit(tp(tk, 1)[0])) {
		/* a link count; "1ftp" is a link count run into the owner */
		if (!dec_u64(tp(tk, 1), tl(tk, 1), UINT32_MAX, &links))
			return false;
		first = 2;
		link = true;
	}
	/* Owner and group may hold single spaces ("Domain Users"), but the
	 * columns before the size are at most two runs of such words. */
	for (i = first; i < tk->n; i++) {
		if (i > first) {
			if (i - 1 == first || !single_gap(tk, i - 1))
				chunks++;
			if (chunks > 2)
				break;
		}
		if (!unix_size(tk, i, e, &date)) {
			/* an overflowing size or a broken "major, minor" is
			 * not an owner or group word */
			if (size_shaped(tk, i))
				break;
			continue;
		}
		if (!unix_date(tk, date, &e->mtime, &next, &skip_all))
			continue;
		if (!lp_name_after(tk, next - 1, skip_all, &e->ns))
			continue;
		return true;
	}
	/* "ftp  ftp4096 Sep  2  2005 name": a group column run into the
	 * size; the digits after the group's last letter are the size */
	for (i = first + 1; i < tk->n && i < first + 3; i++) {
		const char *p = tp(tk, i);
		size_t k = tl(tk, i);

		while (k > 0 && is_digit(p[k - 1]))
			k--;
		if (k == 0 || k == tl(tk, i) ||
		    !(is_upper(p[k - 1]) ||
		      (p[k - 1] >= 'a' && p[k - 1] <= 'z')) ||
		    !size_dec(p + k, tl(tk, i) - k, &e->size))
			continue;
		if (unix_date(tk, i + 1, &e->mtime, &next, &skip_all) &&
		    lp_name_after(tk, next - 1, skip_all, &e->ns))
			return true;
	}
	e->size = -1;
	/* No date at all: "drwxr-xr-x 3 user group 512 name", unless what
	 * follows the size looks like a broken date. */
	if (!link || tk->n < first + 4)
		return false;
	memset(&e->mtime, 0, sizeof(e->mtime));
	if (!size_dec(tp(tk, first + 2), tl(tk, first + 2), &e->size))
		return false;
	for (i = first + 3; i < tk->n && i < first + 6; i++)
		if (tok_dateish(tk, i))
			return false;
	return lp_name_after(tk, first + 2, false, &e->ns);
}

/* Split "name -> target" for links. Of several " -> ", take the one that
 * leaves a target as long as the size column (ls gives the target length
 * as the size of a link), else the first. */
static void link_split(const char *p, struct parsed *e)
{
	size_t i, at = 0;
	bool any = false;

	for (i = e->ns; i + 4 <= e->ne; i++) {
		if (p[i] != ' ' || p[i + 1] != '-' || p[i + 2] != '>' ||
		    p[i + 3] != ' ')
			continue;
		if (e->size >= 0 &&
		    (uint64_t)(e->ne - i - 4) == (uint64_t)e->size) {
			at = i;
			any = true;
			break;
		}
		if (!any) {
			at = i;
			any = true;
		}
	}
	if (!any)
		return;
	e->has_target = true;
	e->ts = at + 4;
	e->te = e->ne;
	e->ne = at;
}

/* "0100644  500  101  12345  123456789  name": octal st_mode, uid, gid,
 * size, unix time. */
static bool parse_numeric_mode(const struct toks *tk, struct parsed *e,
			       struct pstate *ps)
{
	uint64_t mode, ts;

	(void)ps;
	if (tk->n < 6 || tl(tk, 0) < 5 ||
	    !oct_u64(tp(tk, 0), tl(tk, 0), 0177777, &mode) ||
	    !tok_all_digits(tk, 1) || !tok_all_digits(tk, 2) ||
	    !size_dec(tp(tk, 3), tl(tk, 3), &e->size) ||
	    !dec_u64(tp(tk, 4), tl(tk, 4), EPOCH_MAX, &ts))
		return false;
	switch (mode & M_IFMT) {
	case M_IFREG:
		e->type = FTP_TYPE_FILE;
		break;
	case M_IFDIR:
		e->type = FTP_TYPE_DIR;
		break;
	case M_IFLNK:
		e->type = FTP_TYPE_LINK;
		break;
	case M_IFCHR:
	case M_IFBLK:
	case M_IFIFO:
	case M_IFSOCK:
		e->type = FTP_TYPE_UNKNOWN;
		break;
	default:
		return false;
	}
	e->perm = (mode_t)(mode & 07777);
	e->has_perm = true;
	lp_time_from_epoch((int64_t)ts, &e->mtime);
	return lp_name_after(tk, 4, true, &e->ns);
}

/* Sterling Connect:Enterprise: "-C--E-----FTP B QUA1I1  18128  41 Aug 12
 * 13:56 QUADTEST": everything is a file. */
bool lp_parse_enterprise(const struct toks *tk, struct parsed *e,
			 struct pstate *ps)
{
	size_t next;
	bool skip_all;

	(void)ps;
	if (tk->n < 9 || tk->t[0].s != 0 || tl(tk, 0) != 13 ||
	    memcmp(tp(tk, 0) + 10, "FTP", 3) != 0 || tl(tk, 1) != 1 ||
	    !tok_all_digits(tk, 3) || !size_dec(tp(tk, 4), tl(tk, 4), &e->size))
		return false;
	for (next = 0; next < 10; next++)
		if (tp(tk, 0)[next] != '-' && !is_upper(tp(tk, 0)[next]))
			return false;
	if (!unix_date(tk, 5, &e->mtime, &next, &skip_all))
		return false;
	e->type = FTP_TYPE_FILE;
	return lp_name_after(tk, next - 1, skip_all, &e->ns);
}

bool lp_parse_unix_link(const struct toks *tk, struct parsed *e,
			struct pstate *ps)
{
	(void)ps;
	if (!parse_unix(tk, e))
		return false;
	if (e->type == FTP_TYPE_LINK)
		link_split(tk->p, e);
	return true;
}

bool lp_parse_numeric_link(const struct toks *tk, struct parsed *e,
			   struct pstate *ps)
{
	if (!parse_numeric_mode(tk, e, ps))
		return false;
	if (e->type == FTP_TYPE_LINK)
		link_split(tk->p, e);
	return true;
}
