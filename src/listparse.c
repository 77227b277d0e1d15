/* listparse — FTP directory listing parsers. See listparse.h.
 *
 * Every parser works on (line, len) alone: no byte at or past len is read,
 * nothing recurses, and every number is converted by hand with an overflow
 * check. A parser first decides whether the line is in its format and fills
 * a struct parsed with offsets into the line (or, for VM/CMS, a short name
 * of its own in alt[]); finish() then applies the common safety rules to
 * the name and builds the entry.
 *
 * LIST parsers are tried in the order of list_parsers[], those of the
 * listing's format (struct pstate) first. The only state across lines is
 * in struct listparse_ctx: the detected format, the OS/400 date order, a
 * VMS name line held for joining (bounded by LISTPARSE_LINE_MAX), the last
 * VMS name given, and the refused count. Nothing is global.
 */
#include "listparse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TOK_MAX 64 /* tokens examined at the start of a LIST line */

/* File type bits as in st_mode (for the numeric-mode LIST format). */
#define M_IFMT   0170000
#define M_IFSOCK 0140000
#define M_IFLNK  0120000
#define M_IFREG  0100000
#define M_IFBLK  0060000
#define M_IFDIR  0040000
#define M_IFCHR  0020000
#define M_IFIFO  0010000

/* Latest time accepted from a numeric timestamp: 9999-12-31T23:59:59Z. */
#define EPOCH_MAX 253402300799LL

struct tok {
	size_t s; /* first byte */
	size_t e; /* one past the last byte */
};

struct toks {
	const char *p;
	size_t len;
	size_t n;
	struct tok t[TOK_MAX];
};

struct parsed {
	enum ftp_type type;
	int64_t size;
	struct ftp_time mtime;
	mode_t perm;
	bool has_perm;
	unsigned rights; /* MLSD perm= letters */
	bool has_rights;
	bool skip;       /* valid, but no entry (MLSD cdir/pdir) */
	size_t ns, ne;   /* name */
	bool has_target;
	size_t ts, te;   /* link target */
	bool use_alt;    /* the name is alt, not a part of the line */
	char alt[64];
	size_t alt_len;
};

/* What a parser may know about the listing a line comes from. */
struct pstate {
	enum listparse_fmt fmt; /* the listing's format so far, or the hint */
	int os400_order;        /* date order seen in an OS/400 listing */
};

/* ---- small helpers ------------------------------------------------- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_high(char c)
{
	return (unsigned char)c >= 0x80;
}

static bool is_ctl(char c)
{
	return (unsigned char)c < 0x20 || c == 0x7f;
}

static char to_lower(char c)
{
	return is_upper(c) ? (char)(c - 'A' + 'a') : c;
}

/* p[0..n) equals the lower-case ASCII word w, ignoring case. */
static bool eq_ci(const char *p, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i] == '\0' || to_lower(p[i]) != w[i])
			return false;
	return w[n] == '\0';
}

/* Unsigned decimal p[0..n), all digits, at most max. */
static bool dec_u64(const char *p, size_t n, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		unsigned int d;

		if (!is_digit(p[i]))
			return false;
		d = (unsigned int)(p[i] - '0');
		if (x > (max - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

static bool dec_int(const char *p, size_t n, int max, int *v)
{
	uint64_t x;

	if (!dec_u64(p, n, (uint64_t)max, &x))
		return false;
	*v = (int)x;
	return true;
}

/* Unsigned octal p[0..n), at most max. */
static bool oct_u64(const char *p, size_t n, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		unsigned int d;

		if (p[i] < '0' || p[i] > '7')
			return false;
		d = (unsigned int)(p[i] - '0');
		if (x > (max - d) / 8)
			return false;
		x = x * 8 + d;
	}
	*v = x;
	return true;
}

/* A byte count: digits, at most INT64_MAX. */
static bool size_dec(const char *p, size_t n, int64_t *v)
{
	uint64_t x;

	if (!dec_u64(p, n, (uint64_t)INT64_MAX, &x))
		return false;
	*v = (int64_t)x;
	return true;
}

/* A byte count with thousands separators ("1,234,567") or without. */
static bool size_commas(const char *p, size_t n, int64_t *v)
{
	uint64_t x = 0, g;
	size_t i = 0, run = 0;

	while (i < n && is_digit(p[i]))
		i++;
	if (i == n)
		return size_dec(p, n, v);
	if (i == 0 || i > 3)
		return false;
	if (!dec_u64(p, i, 999, &x))
		return false;
	while (i < n) {
		if (p[i] != ',' || n - i < 4)
			return false;
		if (!dec_u64(p + i + 1, 3, 999, &g))
			return false;
		if (x > ((uint64_t)INT64_MAX - g) / 1000)
			return false;
		x = x * 1000 + g;
		i += 4;
		run++;
	}
	*v = (int64_t)x;
	return run > 0;
}

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
	case 'k': case 'K': mult = 1ULL << 10; break;
	case 'm': case 'M': mult = 1ULL << 20; break;
	case 'g': case 'G': mult = 1ULL << 30; break;
	case 't': case 'T': mult = 1ULL << 40; break;
	default: return false;
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

/* ---- calendar ------------------------------------------------------ */

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days in month m of year y; a February without a year may have 29. */
static int month_days(int64_t y, int m, bool has_year)
{
	static const unsigned char dim[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m < 1 || m > 12)
		return 0;
	if (m == 2 && (!has_year || is_leap(y)))
		return 29;
	return dim[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b) != 0 && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Seconds since the epoch (0..EPOCH_MAX) to a UTC ftp_time. */
static void time_from_epoch(int64_t s, struct ftp_time *t)
{
	int64_t days = floor_div(s, 86400), rem = s - days * 86400, y;

	civil_from_days(days, &y, &t->mon, &t->day);
	t->year = (int)y;
	t->hour = (int)(rem / 3600);
	t->min = (int)(rem / 60 % 60);
	t->sec = (int)(rem % 60);
	t->valid = t->has_year = t->has_time = t->utc = true;
}

/* Check a date and time just parsed, and turn 24:00 into 00:00 of the
 * next day. */
static bool time_fix(struct ftp_time *t)
{
	if (t->mon < 1 || t->mon > 12 || t->day < 1 ||
	    t->day > month_days(t->year, t->mon, t->has_year))
		return false;
	if (t->hour < 0 || t->hour > 24 || t->min < 0 || t->min > 59 ||
	    t->sec < 0 || t->sec > 60)
		return false;
	if (t->hour == 24) {
		if (t->min || t->sec)
			return false;
		t->hour = 0;
		if (++t->day > month_days(t->year, t->mon, t->has_year)) {
			t->day = 1;
			if (++t->mon > 12) {
				t->mon = 1;
				if (t->has_year)
					t->year++;
			}
		}
	}
	t->valid = true;
	return true;
}

/* ---- tokens -------------------------------------------------------- */

static void tokenize(struct toks *tk, const char *p, size_t len)
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

static const char *tp(const struct toks *tk, size_t i)
{
	return tk->p + tk->t[i].s;
}

static size_t tl(const struct toks *tk, size_t i)
{
	return tk->t[i].e - tk->t[i].s;
}

static bool tok_all_digits(const struct toks *tk, size_t i)
{
	size_t k, n = tl(tk, i);
	const char *p = tp(tk, i);

	for (k = 0; k < n; k++)
		if (!is_digit(p[k]))
			return false;
	return n > 0;
}

/* Token i is the lower-case word w, ignoring case. */
static bool tok_is(const struct toks *tk, size_t i, const char *w)
{
	return i < tk->n && eq_ci(tp(tk, i), tl(tk, i), w);
}

/* Where the name starts after token i: exactly one blank later, or after
 * all blanks when skip_all. Returns false when no name follows. */
static bool name_after(const struct toks *tk, size_t i, bool skip_all,
		       size_t *ns)
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

/* ---- date tokens --------------------------------------------------- */

/* Month names (lower case, UTF-8): a token matches a month when it is a
 * prefix, at least 3 bytes long, of a name of that month and of no name of
 * another month. English, German, French, Dutch, Spanish, Italian,
 * Hungarian, Swedish. */
static const struct {
	const char *name;
	unsigned char mon;
} month_tab[] = {
	{ "january", 1 }, { "januar", 1 }, { "janvier", 1 },
	{ "januari", 1 }, { "enero", 1 }, { "gennaio", 1 },
	{ "janu\xc3\xa1r", 1 },
	{ "february", 2 }, { "februar", 2 }, { "f\xc3\xa9vrier", 2 },
	{ "februari", 2 }, { "febrero", 2 }, { "febbraio", 2 },
	{ "febru\xc3\xa1r", 2 },
	{ "march", 3 }, { "m\xc3\xa4rz", 3 }, { "mrz", 3 }, { "mars", 3 },
	{ "maart", 3 }, { "marzo", 3 }, { "m\xc3\xa1rcius", 3 },
	{ "april", 4 }, { "avril", 4 }, { "abril", 4 }, { "aprile", 4 },
	{ "\xc3\xa1prilis", 4 },
	{ "may", 5 }, { "mai", 5 }, { "mei", 5 }, { "mayo", 5 },
	{ "maggio", 5 }, { "m\xc3\xa1jus", 5 }, { "maj", 5 },
	{ "june", 6 }, { "juni", 6 }, { "juin", 6 }, { "junio", 6 },
	{ "giugno", 6 }, { "j\xc3\xbanius", 6 },
	{ "july", 7 }, { "juli", 7 }, { "juillet", 7 }, { "julio", 7 },
	{ "luglio", 7 }, { "j\xc3\xbalius", 7 },
	{ "august", 8 }, { "ao\xc3\xbbt", 8 }, { "augustus", 8 },
	{ "agosto", 8 }, { "augusztus", 8 }, { "augusti", 8 },
	{ "september", 9 }, { "septembre", 9 }, { "septiembre", 9 },
	{ "settembre", 9 }, { "szeptember", 9 },
	{ "october", 10 }, { "oktober", 10 }, { "octobre", 10 },
	{ "octubre", 10 }, { "ottobre", 10 }, { "okt\xc3\xb3" "ber", 10 },
	{ "november", 11 }, { "novembre", 11 }, { "noviembre", 11 },
	{ "december", 12 }, { "dezember", 12 }, { "d\xc3\xa9" "cembre", 12 },
	{ "diciembre", 12 }, { "dicembre", 12 },
};

static int tok_month_alpha(const char *p, size_t n)
{
	char buf[16];
	size_t i, k;
	int found = 0;

	while (n > 0 && (p[n - 1] == '.' || p[n - 1] == ','))
		n--;
	if (n < 3 || n >= sizeof(buf))
		return 0;
	for (i = 0; i < n; i++) {
		if (!is_high(p[i]) && !is_upper(p[i]) &&
		    !(p[i] >= 'a' && p[i] <= 'z'))
			return 0;
		buf[i] = to_lower(p[i]);
	}
	for (k = 0; k < sizeof(month_tab) / sizeof(month_tab[0]); k++) {
		if (strlen(month_tab[k].name) < n ||
		    memcmp(buf, month_tab[k].name, n) != 0)
			continue;
		if (found && found != month_tab[k].mon)
			return 0;
		found = month_tab[k].mon;
	}
	return found;
}

/* A CJK-style marker after a number (月, 日, 年 in UTF-8, Shift_JIS,
 * EUC...): 1 to 4 bytes, the first one not ASCII. */
static bool high_suffix(const char *p, size_t n)
{
	return n >= 1 && n <= 4 && is_high(p[0]);
}

/* "6月": 1-2 digits and a marker. */
static int tok_month_cjk(const char *p, size_t n)
{
	size_t i = 0;
	int v;

	while (i < n && i < 2 && is_digit(p[i]))
		i++;
	if (i == 0 || !high_suffix(p + i, n - i) || !dec_int(p, i, 99, &v))
		return 0;
	return v >= 1 && v <= 12 ? v : 0;
}

static int tok_month(const char *p, size_t n)
{
	int m = tok_month_alpha(p, n);

	return m ? m : tok_month_cjk(p, n);
}

/* Day of month: 1-2 digits, then optionally a '.' (allow_dot) or a CJK
 * marker. */
static int tok_day(const char *p, size_t n, bool allow_dot)
{
	size_t i = 0;
	int v;

	while (i < n && i < 2 && is_digit(p[i]))
		i++;
	if (i == 0)
		return 0;
	if (i < n && !(allow_dot && i + 1 == n && p[i] == '.') &&
	    !high_suffix(p + i, n - i))
		return 0;
	if (!dec_int(p, i, 99, &v) || v < 1 || v > 31)
		return 0;
	return v;
}

/* Four-digit year, optionally with a CJK marker. */
static bool tok_year(const char *p, size_t n, int *y)
{
	if (n < 4 || (n > 4 && !high_suffix(p + 4, n - 4)))
		return false;
	return dec_int(p, 4, 9999, y) && *y >= 1000;
}

/* H:MM, HH:MM, optionally :SS. Hour 24 is let through for time_fix(). */
static bool tok_time(const char *p, size_t n, struct ftp_time *t)
{
	size_t c;
	int h, m, s = 0;

	if (n >= 4 && p[1] == ':')
		c = 1;
	else if (n >= 5 && p[2] == ':')
		c = 2;
	else
		return false;
	if (!dec_int(p, c, 99, &h) || n < c + 3 ||
	    !dec_int(p + c + 1, 2, 99, &m))
		return false;
	if (n != c + 3 && (n != c + 6 || p[c + 3] != ':' ||
			   !dec_int(p + c + 4, 2, 99, &s)))
		return false;
	if (h > 24 || m > 59 || s > 59)
		return false;
	t->hour = h;
	t->min = m;
	t->sec = s;
	t->has_time = true;
	return true;
}

static bool tok_time_or_year(const char *p, size_t n, struct ftp_time *t)
{
	if (tok_time(p, n, t))
		return true;
	if (tok_year(p, n, &t->year)) {
		t->has_year = true;
		return true;
	}
	return false;
}

/* Split p[0..n) at sep into exactly k non-empty parts. */
static bool split3(const char *p, size_t n, char sep, struct tok *part,
		   size_t k)
{
	size_t i, j = 0, s = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != sep)
			continue;
		if (j == k || i == s)
			return false;
		part[j].s = s;
		part[j].e = i;
		j++;
		s = i + 1;
	}
	return j == k;
}

static bool part_int(const char *p, const struct tok *pt, size_t minlen,
		     size_t maxlen, int *v)
{
	size_t n = pt->e - pt->s;

	return n >= minlen && n <= maxlen && dec_int(p + pt->s, n, 9999, v);
}

/* Two-digit years: 70..99 are 19xx, 00..69 are 20xx; three digits are
 * years since 1900 (the OS/2 and VM/CMS Y2K bug). */
static int year_short(int y, size_t digits)
{
	if (digits == 2)
		return y < 70 ? 2000 + y : 1900 + y;
	if (digits == 3)
		return 1900 + y;
	return y;
}

/* Date forms made of one token, tried at token i of a unix line. */
static bool unix_date1(const struct toks *tk, size_t i, struct ftp_time *t,
		       size_t *next, bool *skip_all)
{
	const char *p = tp(tk, i);
	size_t n = tl(tk, i);
	bool h1 = i + 1 < tk->n;
	struct tok pt[3];
	int a, b, c;

	/* "09-26 2000", "09-26 13:45" */
	if (h1 && split3(p, n, '-', pt, 2) && part_int(p, &pt[0], 1, 2, &a) &&
	    part_int(p, &pt[1], 1, 2, &b) &&
	    tok_time_or_year(tp(tk, i + 1), tl(tk, i + 1), t)) {
		t->mon = a;
		t->day = b;
		*next = i + 2;
		return true;
	}
	if (split3(p, n, '-', pt, 3)) {
		/* "2001-04-27 12:00" (ls long-iso); a time is required */
		if (h1 && part_int(p, &pt[0], 4, 4, &a) &&
		    part_int(p, &pt[1], 1, 2, &b) &&
		    part_int(p, &pt[2], 1, 2, &c) &&
		    tok_time(tp(tk, i + 1), tl(tk, i + 1), t)) {
			t->year = a;
			t->mon = b;
			t->day = c;
			t->has_year = true;
			*next = i + 2;
			return true;
		}
		/* "24-04-2003 17:12": day first unless that cannot be */
		if (h1 && part_int(p, &pt[0], 1, 2, &a) &&
		    part_int(p, &pt[1], 1, 2, &b) &&
		    part_int(p, &pt[2], 4, 4, &c) &&
		    tok_time(tp(tk, i + 1), tl(tk, i + 1), t)) {
			t->day = a;
			t->mon = b;
			if (b > 12 && a <= 12) {
				t->day = b;
				t->mon = a;
			}
			t->year = c;
			t->has_year = true;
			*next = i + 2;
			return true;
		}
		/* "01-jun-99" */
		if (part_int(p, &pt[0], 1, 2, &a) &&
		    (b = tok_month_alpha(p + pt[1].s, pt[1].e - pt[1].s)) &&
		    (part_int(p, &pt[2], 2, 2, &c) ||
		     part_int(p, &pt[2], 4, 4, &c))) {
			t->day = a;
			t->mon = b;
			t->year = year_short(c, pt[2].e - pt[2].s);
			t->has_year = true;
			*next = i + 1;
			return true;
		}
		return false;
	}
	/* "2003/01/29", "01/29/2003", "29/01/2003", "29.01.2003", each with
	 * an optional time */
	if ((split3(p, n, '/', pt, 3) || split3(p, n, '.', pt, 3)) &&
	    part_int(p, &pt[0], 1, 4, &a) && part_int(p, &pt[1], 1, 2, &b) &&
	    part_int(p, &pt[2], 1, 4, &c) &&
	    ((pt[0].e - pt[0].s == 4 && pt[2].e - pt[2].s <= 2) ||
	     (pt[0].e - pt[0].s <= 2 && pt[2].e - pt[2].s == 4)) &&
	    !(p[pt[0].e] == '.' && pt[0].e - pt[0].s == 4 && !h1)) {
		if (pt[0].e - pt[0].s == 4) {
			t->year = a;
			t->mon = b;
			t->day = c;
		} else {
			/* '.' is day first; '/' month first unless that
			 * cannot be */
			bool dmy = p[pt[0].e] == '.' || (a > 12 && b <= 12);

			t->year = c;
			t->mon = dmy ? b : a;
			t->day = dmy ? a : b;
		}
		t->has_year = true;
		*next = i + 1;
		if (h1 && tok_time(tp(tk, i + 1), tl(tk, i + 1), t))
			*next = i + 2;
		*skip_all = true;
		return true;
	}
	/* "2004.07.15" */
	if (split3(p, n, '.', pt, 3) && part_int(p, &pt[0], 4, 4, &a) &&
	    part_int(p, &pt[1], 1, 2, &b) && part_int(p, &pt[2], 1, 2, &c)) {
		t->year = a;
		t->mon = b;
		t->day = c;
		t->has_year = true;
		*next = i + 1;
		*skip_all = true;
		return true;
	}
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
	t.mon = tok_month(p0, n0);
	t.day = tok_day(p1, n1, false);
	if (t.mon && t.day && tok_time_or_year(p2, n2, &t)) {
		if (n2 == 8 && t.has_time && i + 3 < tk->n &&
		    tok_year(tp(tk, i + 3), tl(tk, i + 3), &t.year)) {
			t.has_year = true;
			*next = i + 4;
		}
		goto found;
	}
	/* "Jan 29, 2003" (then maybe a time), "Jan 29,2003" */
	if (t.mon && n1 >= 2 && p1[n1 - 1] == ',' &&
	    (t.day = tok_day(p1, n1 - 1, false)) &&
	    tok_year(p2, n2, &t.year)) {
		t.has_year = true;
		if (i + 3 < tk->n && tok_time(tp(tk, i + 3), tl(tk, i + 3), &t))
			*next = i + 4;
		goto found;
	}
	if (t.mon && split3(p1, n1, ',', pt, 2) &&
	    (t.day = tok_day(p1, pt[0].e, false)) &&
	    tok_year(p1 + pt[1].s, pt[1].e - pt[1].s, &t.year)) {
		t.has_year = true;
		*next = i + 2;
		goto found;
	}
	memset(&t, 0, sizeof(t));
	/* "29 Jul 02:27", "01 oct 2004", "26. Juli, 20:10" */
	t.day = tok_day(p0, n0, true);
	t.mon = tok_month_alpha(p1, n1);
	if (t.mon && t.day && tok_time_or_year(p2, n2, &t))
		goto found;
	memset(&t, 0, sizeof(t));
	/* "2003 3月 20" */
	if (tok_year(p0, n0, &t.year)) {
		t.has_year = true;
		t.mon = tok_month_cjk(p1, n1);
		t.day = tok_day(p2, n2, false);
		if (t.mon && t.day)
			goto found;
	}
	memset(&t, 0, sizeof(t));
	/* "3 29 03:26" */
	if (n0 <= 2 && n1 <= 2 && dec_int(p0, n0, 12, &t.mon) && t.mon &&
	    dec_int(p1, n1, 31, &t.day) && t.day &&
	    tok_time_or_year(p2, n2, &t))
		goto found;
	return false;
found:
	if (!time_fix(&t))
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

	if (tok_month(p, n))
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
	static const char *const ok[9] = {
		"r-", "w-", "xsS-", "r-", "w-", "xsSlL-", "r-", "w-", "xtT-"
	};
	static const mode_t bit[9] = {
		0400, 0200, 0100, 040, 020, 010, 04, 02, 01
	};
	mode_t m = 0;
	uint64_t links;
	size_t i;

	if (n < 10)
		return false;
	switch (p[0]) {
	case '-': case 'f': e->type = FTP_TYPE_FILE; break;
	case 'd': e->type = FTP_TYPE_DIR; break;
	case 'l': e->type = FTP_TYPE_LINK; break;
	case 'b': case 'c': case 'p': case 's': case 'D':
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
		if (i + 1 >= tk->n || !dec_u64(tp(tk, i + 1), tl(tk, i + 1),
					       0xffffffff, &v))
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
		if (!name_after(tk, next - 1, skip_all, &e->ns))
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
		    !(is_upper(p[k - 1]) || (p[k - 1] >= 'a' && p[k - 1] <= 'z')) ||
		    !size_dec(p + k, tl(tk, i) - k, &e->size))
			continue;
		if (unix_date(tk, i + 1, &e->mtime, &next, &skip_all) &&
		    name_after(tk, next - 1, skip_all, &e->ns))
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
	return name_after(tk, first + 2, false, &e->ns);
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
		if (e->size >= 0 && (uint64_t)(e->ne - i - 4) == (uint64_t)e->size) {
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

/* ---- DOS / IIS ----------------------------------------------------- */

/* "04-27-00", "05-26-1995", "2002-09-02" (also with '/'). */
static bool dos_date(const char *p, size_t n, struct ftp_time *t)
{
	struct tok pt[3];
	int a, b, c;

	if (!split3(p, n, '-', pt, 3) && !split3(p, n, '/', pt, 3))
		return false;
	if (part_int(p, &pt[0], 4, 4, &a)) {
		if (!part_int(p, &pt[1], 1, 2, &b) ||
		    !part_int(p, &pt[2], 1, 2, &c))
			return false;
		t->year = a;
		t->mon = b;
		t->day = c;
	} else {
		if (!part_int(p, &pt[0], 1, 2, &a) ||
		    !part_int(p, &pt[1], 1, 2, &b) ||
		    !(part_int(p, &pt[2], 2, 2, &c) ||
		      part_int(p, &pt[2], 4, 4, &c)))
			return false;
		t->mon = a;
		t->day = b;
		t->year = year_short(c, pt[2].e - pt[2].s);
	}
	t->has_year = true;
	return true;
}

/* "12:09PM", "18:48". */
static bool dos_time(const char *p, size_t n, struct ftp_time *t)
{
	int ampm = 0;

	if (n > 2 && (p[n - 1] == 'M' || p[n - 1] == 'm')) {
		if (p[n - 2] == 'A' || p[n - 2] == 'a')
			ampm = 1;
		else if (p[n - 2] == 'P' || p[n - 2] == 'p')
			ampm = 2;
		else
			return false;
		n -= 2;
	}
	if (!tok_time(p, n, t))
		return false;
	if (ampm) {
		if (t->hour < 1 || t->hour > 12)
			return false;
		t->hour %= 12;
		if (ampm == 2)
			t->hour += 12;
	} else if (t->hour > 23) {
		return false;
	}
	return true;
}

static bool parse_dos(const struct toks *tk, struct parsed *e,
			struct pstate *ps)
{
	(void)ps;
	if (tk->n < 4 || tk->t[0].s != 0 ||
	    !dos_date(tp(tk, 0), tl(tk, 0), &e->mtime) ||
	    !dos_time(tp(tk, 1), tl(tk, 1), &e->mtime) ||
	    !time_fix(&e->mtime))
		return false;
	if (eq_ci(tp(tk, 2), tl(tk, 2), "<dir>")) {
		e->type = FTP_TYPE_DIR;
		e->size = -1;
	} else if (size_commas(tp(tk, 2), tl(tk, 2), &e->size)) {
		e->type = FTP_TYPE_FILE;
	} else {
		return false;
	}
	/* IIS pads the name column; a name never starts with a blank here */
	return name_after(tk, 2, true, &e->ns);
}

/* ---- other LIST formats (best effort) ------------------------------ */

/* NetWare: "d [RWCEAFMS] owner  512 Jan 16 18:53  name", also without
 * the blank before '[' and with fewer attribute letters. */
static bool parse_netware(const struct toks *tk, struct parsed *e,
			  struct pstate *ps)
{
	const char *p = tk->p;
	size_t i, b, bt, o;

	(void)ps;
	if (tk->len < 4 || (p[0] != 'd' && p[0] != '-'))
		return false;
	b = p[1] == ' ' ? 2 : 1;  /* where '[' is */
	bt = b == 2 ? 1 : 0;      /* the token holding "[...]" */
	if (p[b] != '[')
		return false;
	for (i = b + 1; i < tk->len && i < b + 12; i++)
		if (!strchr("RWCEAFMS-", p[i]) || p[i] == '\0')
			break;
	if (i >= tk->len || p[i] != ']' || tk->n < bt + 7 ||
	    tk->t[bt].e != i + 1)
		return false;
	o = bt + 1;               /* owner */
	e->type = p[0] == 'd' ? FTP_TYPE_DIR : FTP_TYPE_FILE;
	if (!size_dec(tp(tk, o + 1), tl(tk, o + 1), &e->size))
		return false;
	memset(&e->mtime, 0, sizeof(e->mtime));
	e->mtime.mon = tok_month_alpha(tp(tk, o + 2), tl(tk, o + 2));
	e->mtime.day = tok_day(tp(tk, o + 3), tl(tk, o + 3), false);
	if (!e->mtime.mon || !e->mtime.day ||
	    !tok_time_or_year(tp(tk, o + 4), tl(tk, o + 4), &e->mtime) ||
	    !time_fix(&e->mtime))
		return false;
	return name_after(tk, o + 4, true, &e->ns);
}

/* OS/2: "  36611  A  DIR  04-23-103  10:57  name". */
static bool parse_os2(const struct toks *tk, struct parsed *e,
			struct pstate *ps)
{
	size_t i, k;
	struct tok pt[3];
	const char *p;
	int a, b, c;

	(void)ps;
	if (tk->n < 4 || !size_dec(tp(tk, 0), tl(tk, 0), &e->size))
		return false;
	e->type = FTP_TYPE_FILE;
	for (i = 1; i < tk->n && i < 4; i++) {
		p = tp(tk, i);
		for (k = 0; k < tl(tk, i); k++)
			if (!is_upper(p[k]))
				break;
		if (k < tl(tk, i))
			break;
		if (eq_ci(p, k, "dir"))
			e->type = FTP_TYPE_DIR;
	}
	if (i + 2 >= tk->n)
		return false;
	p = tp(tk, i);
	if (!split3(p, tl(tk, i), '-', pt, 3) || !part_int(p, &pt[0], 1, 2, &a) ||
	    !part_int(p, &pt[1], 1, 2, &b) || !part_int(p, &pt[2], 2, 4, &c))
		return false;
	memset(&e->mtime, 0, sizeof(e->mtime));
	e->mtime.mon = a;
	e->mtime.day = b;
	e->mtime.year = year_short(c, pt[2].e - pt[2].s);
	e->mtime.has_year = true;
	if (!tok_time(tp(tk, i + 1), tl(tk, i + 1), &e->mtime) ||
	    e->mtime.hour > 23 || !time_fix(&e->mtime))
		return false;
	return name_after(tk, i + 1, true, &e->ns);
}

/* VShell: "206876  Apr 04, 2000 21:06 name", a trailing '/' marks a dir. */
static bool parse_vshell(const struct toks *tk, struct parsed *e,
			 struct pstate *ps)
{
	const char *p;
	size_t n;

	(void)ps;
	if (tk->n < 6 || !size_dec(tp(tk, 0), tl(tk, 0), &e->size))
		return false;
	memset(&e->mtime, 0, sizeof(e->mtime));
	p = tp(tk, 2);
	n = tl(tk, 2);
	if (n < 2 || p[n - 1] != ',')
		return false;
	e->mtime.mon = tok_month_alpha(tp(tk, 1), tl(tk, 1));
	e->mtime.day = tok_day(p, n - 1, false);
	if (!e->mtime.mon || !e->mtime.day ||
	    !tok_year(tp(tk, 3), tl(tk, 3), &e->mtime.year))
		return false;
	e->mtime.has_year = true;
	if (!tok_time(tp(tk, 4), tl(tk, 4), &e->mtime) ||
	    e->mtime.hour > 23 || !time_fix(&e->mtime))
		return false;
	if (!name_after(tk, 4, true, &e->ns))
		return false;
	e->type = FTP_TYPE_FILE;
	if (tk->p[tk->len - 1] == '/' && tk->len - 1 > e->ns) {
		e->type = FTP_TYPE_DIR;
		e->ne = tk->len - 1;
	}
	return true;
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
	case M_IFREG: e->type = FTP_TYPE_FILE; break;
	case M_IFDIR: e->type = FTP_TYPE_DIR; break;
	case M_IFLNK: e->type = FTP_TYPE_LINK; break;
	case M_IFCHR: case M_IFBLK: case M_IFIFO: case M_IFSOCK:
		e->type = FTP_TYPE_UNKNOWN;
		break;
	default:
		return false;
	}
	e->perm = (mode_t)(mode & 07777);
	e->has_perm = true;
	time_from_epoch((int64_t)ts, &e->mtime);
	return name_after(tk, 4, true, &e->ns);
}

/* ---- VMS ----------------------------------------------------------- */

/* "NAME.EXT;12": the ';' that starts the version, or 0 when tok is not a
 * VMS file name. */
static size_t vms_semicolon(const char *p, size_t n)
{
	size_t k = n;

	while (k > 0 && is_digit(p[k - 1]))
		k--;
	if (k == n || k < 2 || p[k - 1] != ';')
		return 0;
	return k - 1;
}

/* A line that holds a VMS file name and nothing else: the first line of
 * an entry whose name was too long for its column. */
static bool vms_name_only(const struct toks *tk)
{
	return tk->n == 1 && tk->t[0].s == 0 &&
	       vms_semicolon(tp(tk, 0), tl(tk, 0)) != 0;
}

static int vms_month(const char *p, size_t n)
{
	int m = tok_month_alpha(p, n);

	/* "JUI" (French servers): FileZilla reads it as July */
	if (!m && eq_ci(p, n, "jui"))
		m = 7;
	return m;
}

/* "2-JUN-1998" */
static bool vms_date(const char *p, size_t n, struct ftp_time *t)
{
	struct tok pt[3];
	int d, y;

	if (!split3(p, n, '-', pt, 3) || !part_int(p, &pt[0], 1, 2, &d) ||
	    !(part_int(p, &pt[2], 4, 4, &y) || part_int(p, &pt[2], 2, 2, &y)))
		return false;
	t->mon = vms_month(p + pt[1].s, pt[1].e - pt[1].s);
	if (!t->mon)
		return false;
	t->day = d;
	t->year = year_short(y, pt[2].e - pt[2].s);
	t->has_year = true;
	return true;
}

/* "10:30:13.64": hundredths of a second are dropped. */
static bool time_frac(const char *p, size_t n, struct ftp_time *t)
{
	size_t k;

	for (k = 0; k < n && p[k] != '.'; k++)
		;
	if (k < n) {
		uint64_t f;

		if (k < 7 || !dec_u64(p + k + 1, n - k - 1, 999999, &f))
			return false;
	}
	return tok_time(p, k, t);
}

/* Size column: used blocks ("9", "9/12": used/allocated), each 512
 * bytes, or bytes with a unit ("2KB"). */
static bool vms_size(const char *p, size_t n, int64_t *v)
{
	uint64_t x, a, mult = 512;
	size_t k = 0;

	while (k < n && is_digit(p[k]))
		k++;
	if (!dec_u64(p, k, (uint64_t)INT64_MAX, &x))
		return false;
	if (k < n) {
		const char *s = p + k;
		size_t sn = n - k;

		if (s[0] == '/') {
			if (!dec_u64(s + 1, sn - 1, (uint64_t)INT64_MAX, &a))
				return false;
		} else if (eq_ci(s, sn, "kb") || eq_ci(s, sn, "k")) {
			mult = 1ULL << 10;
		} else if (eq_ci(s, sn, "mb") || eq_ci(s, sn, "m")) {
			mult = 1ULL << 20;
		} else if (eq_ci(s, sn, "gb") || eq_ci(s, sn, "g")) {
			mult = 1ULL << 30;
		} else {
			return false;
		}
	}
	if (x > (uint64_t)INT64_MAX / mult)
		return false;
	*v = (int64_t)(x * mult);
	return true;
}

/* p[0..n) is open, then only bytes of set, then close. */
static bool enclosed(const char *p, size_t n, char open, char close,
		     const char *set)
{
	size_t k;

	if (n < 2 || p[0] != open || p[n - 1] != close)
		return false;
	for (k = 1; k + 1 < n; k++)
		if (p[k] == '\0' || !strchr(set, p[k]))
			return false;
	return true;
}

#define VMS_OWNER_SET                                                      \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_$,."

/* Owner ("[GROUP,OWNER]", or a bare "PRONAS", unless given before) and
 * protection ("(RWED,RWED,RE,)") after the date. */
static bool vms_tail(const struct toks *tk, size_t i, bool owner)
{
	const char *p;
	size_t n, k;
	int commas = 0;

	if (i < tk->n && !owner) {
		p = tp(tk, i);
		n = tl(tk, i);
		if (enclosed(p, n, '[', ']', VMS_OWNER_SET)) {
			i++;
		} else if (p[0] != '(') {
			for (k = 0; k < n; k++)
				if (!strchr(VMS_OWNER_SET, p[k]) || p[k] == ',' ||
				    p[k] == '\0')
					return false;
			/* a 12-hour clock is not VMS */
			if (eq_ci(p, n, "am") || eq_ci(p, n, "pm"))
				return false;
			i++;
		}
	}
	if (i < tk->n) {
		p = tp(tk, i);
		n = tl(tk, i);
		if (!enclosed(p, n, '(', ')', "RWED,"))
			return false;
		for (k = 0; k < n; k++)
			commas += p[k] == ',';
		if (commas != 3)
			return false;
		i++;
	}
	return i == tk->n;
}

/* "NAME.EXT;1  9/12  2-JUN-1998 07:32:04  [GROUP,OWNER]  (RWED,RWED,,)",
 * also "NAME;1  17-JUN-1994 17:25:37  6308/13  (...)" and the owner first.
 * A multi-line entry
 * comes here already joined. */
static bool parse_vms(const struct toks *tk, struct parsed *e,
		      struct pstate *ps)
{
	size_t semi, i = 1;
	bool size = false, date = false, owner = false;

	(void)ps;
	if (tk->n < 3 || tk->t[0].s != 0)
		return false;
	semi = vms_semicolon(tp(tk, 0), tl(tk, 0));
	if (!semi)
		return false;
	memset(&e->mtime, 0, sizeof(e->mtime));
	while (i < tk->n && i < 6 && !(size && date)) {
		if (!owner && enclosed(tp(tk, i), tl(tk, i), '[', ']',
				       VMS_OWNER_SET)) {
			/* "NAME;1  [SUMMARY]  1/3  2-AUG-2006 13:05" */
			owner = true;
			i++;
		} else if (!size && vms_size(tp(tk, i), tl(tk, i), &e->size)) {
			size = true;
			i++;
		} else if (!date && vms_date(tp(tk, i), tl(tk, i), &e->mtime)) {
			date = true;
			i++;
			if (i < tk->n && time_frac(tp(tk, i), tl(tk, i),
						   &e->mtime))
				i++;
		} else {
			return false;
		}
	}
	if (!size || !date || !time_fix(&e->mtime) || !vms_tail(tk, i, owner))
		return false;
	e->ns = 0;
	e->ne = semi;
	e->type = FTP_TYPE_FILE;
	if (semi > 4 && eq_ci(tk->p + semi - 4, 4, ".dir")) {
		e->type = FTP_TYPE_DIR;
		e->ne = semi - 4;
	}
	return true;
}

/* "DISK$USER:[DIR]" */
static bool vms_dirspec(const char *p, size_t n)
{
	return n > 3 && p[n - 1] == ']' && memchr(p, '[', n) &&
	       memchr(p, ':', n);
}

/* Lines of a VMS listing that carry no entry: "Directory DISK:[DIR]",
 * "DISK:[DIR]" alone, "Total of 14 files, 1234 blocks.", "Grand total of
 * ...". */
static bool vms_skip(const struct toks *tk)
{
	const char *p;
	size_t n;

	if (tk->n == 1 && tk->t[0].s == 0)
		return vms_dirspec(tp(tk, 0), tl(tk, 0));
	if (tk->n < 2)
		return false;
	p = tp(tk, 1);
	n = tl(tk, 1);
	if (tk->n == 2 && eq_ci(tp(tk, 0), tl(tk, 0), "directory") &&
	    vms_dirspec(p, n))
		return true;
	if (eq_ci(tp(tk, 0), tl(tk, 0), "total") &&
	    (eq_ci(p, n, "of") || (tk->n == 3 && tok_all_digits(tk, 1))))
		return true;
	return tk->n > 3 && eq_ci(tp(tk, 0), tl(tk, 0), "grand") &&
	       eq_ci(p, n, "total");
}

/* ---- MVS, PDS members, JES ----------------------------------------- */

/* "2003/05/21" */
static bool ymd_slash(const char *p, size_t n, struct ftp_time *t)
{
	struct tok pt[3];

	if (!split3(p, n, '/', pt, 3) || !part_int(p, &pt[0], 4, 4, &t->year) ||
	    !part_int(p, &pt[1], 2, 2, &t->mon) ||
	    !part_int(p, &pt[2], 2, 2, &t->day))
		return false;
	t->has_year = true;
	return true;
}

static bool tok_word(const struct toks *tk, size_t i, const char *set)
{
	const char *p = tp(tk, i);
	size_t k, n = tl(tk, i);

	for (k = 0; k < n; k++)
		if (p[k] == '\0' || !strchr(set, p[k]))
			return false;
	return n > 0;
}

#define UPPER_DIGITS "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define MVS_VOL_SET UPPER_DIGITS "#@$"

/* The name is the last token, alone after token i. */
static bool last_name(const struct toks *tk, size_t i, struct parsed *e)
{
	if (tk->n != i + 2 || !name_after(tk, i, true, &e->ns))
		return false;
	e->ne = tk->t[i + 1].e;
	return true;
}

/* Data set list: "Volume Unit Referred Ext Used Recfm Lrecl BlkSz Dsorg
 * Dsname". PO and PO-E (partitioned) data sets hold members: dirs. There
 * is no byte size; the date is the last reference ("**NONE**": none). */
static bool parse_mvs_dataset(const struct toks *tk, struct parsed *e,
			      struct pstate *ps)
{
	size_t i, last = tk->n - 1;
	const char *d;
	size_t dn;

	(void)ps;
	if (tk->n < 2 || tk->t[0].s != 0)
		return false;
	e->type = FTP_TYPE_FILE;
	/* migrated, tape, VSAM and non-DASD data sets: only the name */
	if (tok_is(tk, 0, "migrated"))
		return last_name(tk, 0, e);
	if (!tok_word(tk, 0, MVS_VOL_SET) || tl(tk, 0) > 6)
		return false;
	if (tk->n == 6 && tok_is(tk, 1, "not") && tok_is(tk, 2, "direct") &&
	    tok_is(tk, 3, "access") && tok_is(tk, 4, "device"))
		return last_name(tk, 4, e);
	if (tok_is(tk, 1, "tape"))
		return last_name(tk, 1, e);
	if (tl(tk, 1) != 4 || !tok_all_digits(tk, 1))
		return false;
	if (tok_is(tk, 2, "vsam"))
		return last_name(tk, 2, e);
	if (tk->n < 9 || tk->n > 10)
		return false;
	memset(&e->mtime, 0, sizeof(e->mtime));
	if (!tok_is(tk, 2, "**none**") &&
	    (!ymd_slash(tp(tk, 2), tl(tk, 2), &e->mtime) ||
	     !time_fix(&e->mtime)))
		return false;
	/* Ext, Used ("++++", "????" when too large), Recfm, Lrecl, BlkSz */
	for (i = 3; i < last - 1; i++)
		if (!tok_word(tk, i, UPPER_DIGITS "+?"))
			return false;
	d = tp(tk, last - 1);
	dn = tl(tk, last - 1);
	if (eq_ci(d, dn, "po") || eq_ci(d, dn, "po-e"))
		e->type = FTP_TYPE_DIR;
	else if (!eq_ci(d, dn, "ps") && !eq_ci(d, dn, "da") &&
		 !eq_ci(d, dn, "is") && !eq_ci(d, dn, "vs"))
		return false;
	return last_name(tk, last - 1, e);
}

static bool hex_u64(const char *p, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0 || n > 15)
		return false;
	for (i = 0; i < n; i++) {
		char c = to_lower(p[i]);

		if (is_digit(c))
			x = x * 16 + (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x = x * 16 + (uint64_t)(c - 'a' + 10);
		else
			return false;
	}
	*v = x;
	return true;
}

/* PDS member list: "Name VV.MM Created Changed Size Init Mod Id" (the
 * size is in records: none is given); in an MVS listing also a bare
 * member name, and load-module lists "NAME 00B308 000411 ..." (hex
 * size, TTR). */
static bool parse_mvs_member(const struct toks *tk, struct parsed *e,
			     struct pstate *ps)
{
	struct tok pt[2];
	const char *p;
	uint64_t v;
	int a, b;

	if (tk->n < 1 || tk->t[0].s != 0)
		return false;
	e->type = FTP_TYPE_FILE;
	e->ns = 0;
	e->ne = tk->t[0].e;
	if (tk->n == 9) {
		p = tp(tk, 1);
		memset(&e->mtime, 0, sizeof(e->mtime));
		if (!split3(p, tl(tk, 1), '.', pt, 2) ||
		    !part_int(p, &pt[0], 2, 2, &a) ||
		    !part_int(p, &pt[1], 2, 2, &b) ||
		    !ymd_slash(tp(tk, 2), tl(tk, 2), &e->mtime))
			return false;
		memset(&e->mtime, 0, sizeof(e->mtime));
		return ymd_slash(tp(tk, 3), tl(tk, 3), &e->mtime) &&
		       tok_time(tp(tk, 4), tl(tk, 4), &e->mtime) &&
		       e->mtime.hour < 24 && time_fix(&e->mtime) &&
		       tok_all_digits(tk, 5) && tok_all_digits(tk, 6) &&
		       tok_all_digits(tk, 7);
	}
	if (ps->fmt != LISTPARSE_MVS)
		return false;
	if (tk->n == 1)
		return true;
	if (tk->n >= 4 && tl(tk, 1) == 6 && tl(tk, 2) == 6 &&
	    hex_u64(tp(tk, 2), 6, &v) && hex_u64(tp(tk, 1), 6, &v)) {
		e->size = (int64_t)v;
		return true;
	}
	return false;
}

/* JES spool: "IBMUSER1  JOB01906  OUTPUT  3 Spool Files"; the job id is
 * the name. */
static bool parse_mvs_jes(const struct toks *tk, struct parsed *e,
			  struct pstate *ps)
{
	const char *p;
	size_t n, k, i;

	(void)ps;
	if (tk->n < 3 || tk->t[0].s != 0)
		return false;
	p = tp(tk, 1);
	n = tl(tk, 1);
	if (n != 8 || !(eq_ci(p, 3, "job") || eq_ci(p, 3, "tsu") ||
			eq_ci(p, 3, "stc")))
		return false;
	for (k = 3; k < n; k++)
		if (!is_digit(p[k]))
			return false;
	for (i = 2; i < 4 && i < tk->n; i++)
		if (tok_is(tk, i, "output") || tok_is(tk, i, "active") ||
		    tok_is(tk, i, "input") || tok_is(tk, i, "held"))
			break;
	if (i == 4 || i == tk->n)
		return false;
	e->type = FTP_TYPE_FILE;
	e->ns = tk->t[1].s;
	e->ne = tk->t[1].e;
	return true;
}

/* Header lines of MVS listings. */
static bool mvs_skip(const struct toks *tk)
{
	return (tk->n >= 9 && tok_is(tk, 0, "volume") && tok_is(tk, 1, "unit")) ||
	       (tk->n >= 4 && tok_is(tk, 0, "name") && tok_is(tk, 1, "vv.mm")) ||
	       (tk->n >= 4 && tok_is(tk, 0, "jobname") && tok_is(tk, 1, "jobid"));
}

/* ---- OS/400 -------------------------------------------------------- */

/* Orders of a two-digit date "a/b/c". */
enum { ORD_YMD = 1, ORD_MDY, ORD_DMY };

static bool os400_date(const char *p, size_t n, struct ftp_time *t, int *order)
{
	struct tok pt[3];
	int v[3], ord, ok = 0, first = 0;
	char sep;
	size_t k;

	sep = memchr(p, '.', n) ? '.' : '/';
	if (!split3(p, n, sep, pt, 3))
		return false;
	for (k = 0; k < 3; k++)
		if (!part_int(p, &pt[k], 2, 2, &v[k]))
			return false;
	/* '.' is the European dd.MM.yy; '/' may be any of three, set per
	 * server: keep to the one a listing has shown, else the first that
	 * gives a real date */
	for (ord = ORD_YMD; ord <= ORD_DMY; ord++) {
		struct ftp_time x = *t;

		if (sep == '.' && ord != ORD_DMY)
			continue;
		x.year = year_short(v[ord == ORD_YMD ? 0 : 2], 2);
		x.mon = v[ord == ORD_MDY ? 0 : 1];
		x.day = v[ord == ORD_YMD ? 2 : ord == ORD_MDY ? 1 : 0];
		x.has_year = true;
		if (x.mon < 1 || x.mon > 12 || x.day < 1 ||
		    x.day > month_days(x.year, x.mon, true))
			continue;
		ok |= 1 << ord;
		if (!first)
			first = ord;
	}
	if (!ok)
		return false;
	ord = *order && (ok & (1 << *order)) ? *order : first;
	if (sep == '/' && (ok & (ok - 1)) == 0)
		*order = ord; /* only one reading: the listing's order */
	t->year = year_short(v[ord == ORD_YMD ? 0 : 2], 2);
	t->mon = v[ord == ORD_MDY ? 0 : 1];
	t->day = v[ord == ORD_YMD ? 2 : ord == ORD_MDY ? 1 : 0];
	t->has_year = true;
	return true;
}

/* "PEP  36864 04/03/24 14:06:34 *DIR  dir1/": owner, size, date, time,
 * object type, name. Stream files and dirs may be given with their path:
 * the last component is the name. */
static bool parse_os400(const struct toks *tk, struct parsed *e,
			struct pstate *ps)
{
	const char *ty, *p = tk->p;
	size_t tn, k;
	int order = ps->os400_order;

	if (tk->n < 6 || tk->t[0].s != 0 ||
	    !size_dec(tp(tk, 1), tl(tk, 1), &e->size))
		return false;
	memset(&e->mtime, 0, sizeof(e->mtime));
	if (!os400_date(tp(tk, 2), tl(tk, 2), &e->mtime, &order) ||
	    tl(tk, 3) != 8 || !tok_time(tp(tk, 3), 8, &e->mtime) ||
	    e->mtime.hour > 23 || !time_fix(&e->mtime))
		return false;
	ty = tp(tk, 4);
	tn = tl(tk, 4);
	if (tn < 2 || ty[0] != '*' ||
	    !tok_word(tk, 4, "*ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
		return false;
	if (!name_after(tk, 4, true, &e->ns))
		return false;
	e->type = FTP_TYPE_FILE;
	if (eq_ci(ty, tn, "*dir") || eq_ci(ty, tn, "*lib") ||
	    eq_ci(ty, tn, "*flr") || eq_ci(ty, tn, "*ddir"))
		e->type = FTP_TYPE_DIR;
	if (e->ne - e->ns > 1 && p[e->ne - 1] == '/') {
		e->type = FTP_TYPE_DIR;
		e->ne--;
	}
	if (eq_ci(ty, tn, "*stmf") || e->type == FTP_TYPE_DIR)
		for (k = e->ne; k > e->ns; k--)
			if (p[k - 1] == '/') {
				e->ns = k;
				break;
			}
	ps->os400_order = order;
	return true;
}

/* ---- VM/CMS, z/VM -------------------------------------------------- */

/* "9/16/91", "1/03/102" (years since 1900), "2006-03-14" (z/VM). */
static bool cms_date(const char *p, size_t n, struct ftp_time *t)
{
	struct tok pt[3];
	int a, b, c;

	t->has_year = true;
	if (split3(p, n, '-', pt, 3))
		return part_int(p, &pt[0], 4, 4, &t->year) &&
		       part_int(p, &pt[1], 2, 2, &t->mon) &&
		       part_int(p, &pt[2], 2, 2, &t->day);
	if (!split3(p, n, '/', pt, 3) || !part_int(p, &pt[0], 1, 2, &a) ||
	    !part_int(p, &pt[1], 1, 2, &b) || !part_int(p, &pt[2], 2, 4, &c))
		return false;
	t->mon = a;
	t->day = b;
	t->year = year_short(c, pt[2].e - pt[2].s);
	return true;
}

/* "A1": file mode letter and digit. */
static bool cms_mode(const struct toks *tk, size_t i)
{
	const char *p = tp(tk, i);

	return tl(tk, i) == 2 && is_upper(p[0]) && is_digit(p[1]);
}

/* "FNAME FTYPE FM RECFM LRECL RECS BLOCKS DATE TIME" (the name is
 * FNAME.FTYPE; sizes are records: none given), "NAME FM DIR - - - DATE
 * TIME" for directories (SFS), and z/VM's "FNAME FTYPE RECFM LRECL RECS
 * BLOCKS YYYY-MM-DD TIME OWNER". */
/* The name "FNAME.FTYPE" (or "FNAME" for a directory) into e->alt. */
static bool cms_name(const struct toks *tk, struct parsed *e, bool ftype)
{
	size_t nl = tl(tk, 0), n = nl + (ftype ? 1 + tl(tk, 1) : 0);

	/* CMS names have no '.': one would make the joined name ambiguous */
	if (n >= sizeof(e->alt) || memchr(tp(tk, 0), '.', nl) ||
	    (ftype && memchr(tp(tk, 1), '.', tl(tk, 1))))
		return false;
	memcpy(e->alt, tp(tk, 0), nl);
	if (ftype) {
		e->alt[nl] = '.';
		memcpy(e->alt + nl + 1, tp(tk, 1), tl(tk, 1));
	}
	e->alt_len = n;
	e->use_alt = true;
	return true;
}

static bool parse_vmcms(const struct toks *tk, struct parsed *e,
			struct pstate *ps)
{
	size_t i, d;

	(void)ps;
	if ((tk->n != 8 && tk->n != 9) || tk->t[0].s != 0)
		return false;
	e->type = FTP_TYPE_FILE;
	if (tk->n == 8) {
		if (!cms_mode(tk, 1) || !tok_is(tk, 2, "dir"))
			return false;
		for (i = 3; i < 6; i++)
			if (!tok_is(tk, i, "-"))
				return false;
		e->type = FTP_TYPE_DIR;
		d = 6;
	} else if (tok_word(tk, 2, "FVU")) {
		/* z/VM: "FNAME FTYPE RECFM LRECL RECS BLOCKS DATE TIME OWNER" */
		if (!memchr(tp(tk, 6), '-', tl(tk, 6)))
			return false;
		d = 6;
	} else {
		if (!cms_mode(tk, 2) || !tok_word(tk, 3, "FVU"))
			return false;
		d = 7;
	}
	for (i = d - 3; e->type == FTP_TYPE_FILE && i < d; i++)
		if (!tok_all_digits(tk, i))
			return false;
	memset(&e->mtime, 0, sizeof(e->mtime));
	return cms_name(tk, e, e->type == FTP_TYPE_FILE) &&
	       cms_date(tp(tk, d), tl(tk, d), &e->mtime) &&
	       tok_time(tp(tk, d + 1), tl(tk, d + 1), &e->mtime) &&
	       e->mtime.hour < 24 && time_fix(&e->mtime);
}

/* ---- HP NonStop / Guardian ----------------------------------------- */

/* "NAME  101  528  6-Apr-07 14:21:18  255, 0  \"oooo\"": name, file code,
 * EOF (bytes), date, time, owner group,user, security. Only in a listing
 * known to be NonStop (SYST). */
static bool parse_nonstop(const struct toks *tk, struct parsed *e,
			  struct pstate *ps)
{
	const char *p;
	size_t n, i;

	if (ps->fmt != LISTPARSE_NONSTOP || tk->n < 7 || tk->n >= TOK_MAX ||
	    tk->t[0].s != 0 ||
	    !tok_all_digits(tk, 1) || !size_dec(tp(tk, 2), tl(tk, 2), &e->size))
		return false;
	memset(&e->mtime, 0, sizeof(e->mtime));
	if (!vms_date(tp(tk, 3), tl(tk, 3), &e->mtime) ||
	    !tok_time(tp(tk, 4), tl(tk, 4), &e->mtime) ||
	    e->mtime.hour > 23 || !time_fix(&e->mtime))
		return false;
	for (i = 5; i + 1 < tk->n; i++)
		if (!tok_word(tk, i, "0123456789,"))
			return false;
	p = tp(tk, tk->n - 1);
	n = tl(tk, tk->n - 1);
	if (n < 2 || p[0] != '"' || p[n - 1] != '"')
		return false;
	e->type = FTP_TYPE_FILE;
	e->ns = 0;
	e->ne = tk->t[0].e;
	return true;
}

/* ---- old Windows and other small servers ---------------------------- */

/* Size column of Win16 servers: bytes or "<DIR>". */
static bool win16_size(const struct toks *tk, size_t i, struct parsed *e)
{
	if (tok_is(tk, i, "<dir>")) {
		e->type = FTP_TYPE_DIR;
		e->size = -1;
		return true;
	}
	e->type = FTP_TYPE_FILE;
	return size_dec(tp(tk, i), tl(tk, i), &e->size);
}

/* SuperTCP "NAME  11264  05-11-95  14:20", Chameleon "NAME  11264  May 11
 * 1995 14:20  RHA": 8.3 names, so the name is one token. */
static bool parse_win16(const struct toks *tk, struct parsed *e,
			struct pstate *ps)
{
	(void)ps;
	if (tk->n < 4 || tk->t[0].s != 0 || !win16_size(tk, 1, e))
		return false;
	e->ns = 0;
	e->ne = tk->t[0].e;
	memset(&e->mtime, 0, sizeof(e->mtime));
	if (tk->n == 4)
		return dos_date(tp(tk, 2), tl(tk, 2), &e->mtime) &&
		       dos_time(tp(tk, 3), tl(tk, 3), &e->mtime) &&
		       time_fix(&e->mtime);
	if (tk->n < 6 || tk->n > 7 || (tk->n == 7 && !tok_word(tk, 6, "RHSA")))
		return false;
	e->mtime.mon = tok_month_alpha(tp(tk, 2), tl(tk, 2));
	e->mtime.day = tok_day(tp(tk, 3), tl(tk, 3), false);
	if (!e->mtime.mon || !e->mtime.day ||
	    !tok_year(tp(tk, 4), tl(tk, 4), &e->mtime.year))
		return false;
	e->mtime.has_year = true;
	return dos_time(tp(tk, 5), tl(tk, 5), &e->mtime) &&
	       time_fix(&e->mtime);
}

/* Nortel WfFTP: "NAME  1014196  06/03/04  Thur.  10:20:03". */
static bool parse_wfftp(const struct toks *tk, struct parsed *e,
			struct pstate *ps)
{
	const char *p;
	size_t n;

	(void)ps;
	if (tk->n != 5 || tk->t[0].s != 0 ||
	    !size_dec(tp(tk, 1), tl(tk, 1), &e->size))
		return false;
	p = tp(tk, 3);
	n = tl(tk, 3);
	memset(&e->mtime, 0, sizeof(e->mtime));
	if (n < 3 || p[n - 1] != '.' || !tok_word(tk, 3, "ADFHMNORSTUWadehinorstu.") ||
	    !dos_date(tp(tk, 2), tl(tk, 2), &e->mtime) ||
	    !tok_time(tp(tk, 4), tl(tk, 4), &e->mtime) ||
	    e->mtime.hour > 23 || !time_fix(&e->mtime))
		return false;
	e->type = FTP_TYPE_FILE;
	e->ns = 0;
	e->ne = tk->t[0].e;
	return true;
}

/* VxWorks: "2048  Feb-28-1998  05:23:30  name <DIR>". */
static bool parse_vxworks(const struct toks *tk, struct parsed *e,
			  struct pstate *ps)
{
	struct tok pt[3];
	const char *p;
	size_t n;

	(void)ps;
	if (tk->n < 4 || tk->t[0].s != 0 ||
	    !size_dec(tp(tk, 0), tl(tk, 0), &e->size))
		return false;
	p = tp(tk, 1); /* only once there is a token 1 */
	n = tl(tk, 1);
	memset(&e->mtime, 0, sizeof(e->mtime));
	if (!split3(p, n, '-', pt, 3) ||
	    !(e->mtime.mon = tok_month_alpha(p, pt[0].e)) ||
	    !part_int(p, &pt[1], 1, 2, &e->mtime.day) ||
	    !part_int(p, &pt[2], 4, 4, &e->mtime.year))
		return false;
	e->mtime.has_year = true;
	if (!tok_time(tp(tk, 2), tl(tk, 2), &e->mtime) ||
	    e->mtime.hour > 23 || !time_fix(&e->mtime) ||
	    !name_after(tk, 2, true, &e->ns))
		return false;
	e->type = FTP_TYPE_FILE;
	/* the last token of the line (tokenize() stops at TOK_MAX) */
	if (tk->n > 4 && tk->n < TOK_MAX && tok_is(tk, tk->n - 1, "<dir>")) {
		e->type = FTP_TYPE_DIR;
		e->ne = tk->t[tk->n - 2].e;
	}
	return true;
}

/* OS-9: "20.20 07/03/29 1026 d-ewrewr 2650 85920 name": owner, yy/mm/dd,
 * hhmm, attributes, sector, size. */
static bool parse_os9(const struct toks *tk, struct parsed *e,
		      struct pstate *ps)
{
	struct tok pt[3];
	const char *p;
	size_t n;

	(void)ps;
	if (tk->n < 7 || tk->t[0].s != 0 || !tok_word(tk, 0, "0123456789.") ||
	    tl(tk, 2) != 4 || !tok_all_digits(tk, 2) || tl(tk, 3) != 8 ||
	    !tok_word(tk, 3, "-dsewr") ||
	    !tok_word(tk, 4, "0123456789abcdefABCDEF") ||
	    !size_dec(tp(tk, 5), tl(tk, 5), &e->size))
		return false;
	p = tp(tk, 1);
	n = tl(tk, 1);
	memset(&e->mtime, 0, sizeof(e->mtime));
	if (!split3(p, n, '/', pt, 3) || !part_int(p, &pt[0], 2, 2, &e->mtime.year) ||
	    !part_int(p, &pt[1], 2, 2, &e->mtime.mon) ||
	    !part_int(p, &pt[2], 2, 2, &e->mtime.day))
		return false;
	e->mtime.year = year_short(e->mtime.year, 2);
	e->mtime.has_year = true;
	if (!time_fix(&e->mtime))
		return false;
	e->type = tp(tk, 3)[0] == 'd' ? FTP_TYPE_DIR : FTP_TYPE_FILE;
	return name_after(tk, 5, true, &e->ns);
}

/* Sterling Connect:Enterprise: "-C--E-----FTP B QUA1I1  18128  41 Aug 12
 * 13:56 QUADTEST": everything is a file. */
static bool parse_enterprise(const struct toks *tk, struct parsed *e,
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
	return name_after(tk, next - 1, skip_all, &e->ns);
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
				if (!dec_u64(p + i + 1, j - i - 1, EPOCH_MAX, &v))
					return false;
				time_from_epoch((int64_t)v, &e->mtime);
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

static int finish(const char *line, struct parsed *e, struct ftp_entry *out)
{
	const char *name = e->use_alt ? e->alt : line + e->ns;
	size_t nlen = e->use_alt ? e->alt_len : e->ne - e->ns;

	if (!e->use_alt && e->ne <= e->ns)
		return -EINVAL;
	if (e->skip)
		return 1;
	if ((nlen == 1 && name[0] == '.') ||
	    (nlen == 2 && name[0] == '.' && name[1] == '.'))
		return 1;
	if (!listparse_name_ok(name, nlen))
		return -EINVAL;
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

static void parsed_init(struct parsed *e, size_t len)
{
	memset(e, 0, sizeof(*e));
	e->size = -1;
	e->ne = len;
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

static bool parse_unix_link(const struct toks *tk, struct parsed *e,
			    struct pstate *ps)
{
	(void)ps;
	if (!parse_unix(tk, e))
		return false;
	if (e->type == FTP_TYPE_LINK)
		link_split(tk->p, e);
	return true;
}

static bool parse_numeric_link(const struct toks *tk, struct parsed *e,
			       struct pstate *ps)
{
	if (!parse_numeric_mode(tk, e, ps))
		return false;
	if (e->type == FTP_TYPE_LINK)
		link_split(tk->p, e);
	return true;
}

/* Every LIST parser, in the order they are tried when the listing's
 * format is not known; the ones of a known format go first. */
static const struct {
	bool (*fn)(const struct toks *tk, struct parsed *e, struct pstate *ps);
	enum listparse_fmt fmt;
} list_parsers[] = {
	{ parse_unix_link, LISTPARSE_UNIX },
	{ parse_dos, LISTPARSE_DOS },
	{ parse_netware, LISTPARSE_OTHER },
	{ parse_os2, LISTPARSE_OTHER },
	{ parse_vshell, LISTPARSE_OTHER },
	{ parse_numeric_link, LISTPARSE_UNIX },
	{ parse_enterprise, LISTPARSE_UNIX },
	{ parse_vms, LISTPARSE_VMS },
	{ parse_os400, LISTPARSE_OS400 },
	{ parse_mvs_dataset, LISTPARSE_MVS },
	{ parse_mvs_member, LISTPARSE_MVS },
	{ parse_mvs_jes, LISTPARSE_MVS },
	{ parse_vmcms, LISTPARSE_VMCMS },
	{ parse_nonstop, LISTPARSE_NONSTOP },
	{ parse_win16, LISTPARSE_OTHER },
	{ parse_wfftp, LISTPARSE_OTHER },
	{ parse_vxworks, LISTPARSE_OTHER },
	{ parse_os9, LISTPARSE_OTHER },
};

#define N_PARSERS (sizeof(list_parsers) / sizeof(list_parsers[0]))

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
		return finish(line, &e, out);
	}
	if (is_total(line, len))
		return 1;
	tokenize(&tk, line, len);
	if (vms_skip(&tk)) {
		*got = LISTPARSE_VMS;
		return 1;
	}
	if (mvs_skip(&tk)) {
		*got = LISTPARSE_MVS;
		return 1;
	}
	/* pass 0: the parsers of the listing's format; pass 1: the rest */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < N_PARSERS; i++) {
			if ((list_parsers[i].fmt == ps->fmt) != (pass == 0))
				continue;
			parsed_init(&e, len);
			if (!list_parsers[i].fn(&tk, &e, ps))
				continue;
			*got = list_parsers[i].fmt;
			return finish(line, &e, out);
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
	enum listparse_fmt fmt;   /* detected; sticks for the listing */
	int os400_order;
	size_t refused;
	bool holding;             /* held[] is a VMS name waiting for its line */
	size_t held_len;
	bool has_last;            /* last[] is the last VMS name given */
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
		tokenize(&tk, line, len);
		if (vms_name_only(&tk)) {
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
		{ "unix", LISTPARSE_UNIX }, { "windows_nt", LISTPARSE_DOS },
		{ "vms", LISTPARSE_VMS }, { "openvms", LISTPARSE_VMS },
		{ "mvs", LISTPARSE_MVS }, { "z/os", LISTPARSE_MVS },
		{ "os/390", LISTPARSE_MVS }, { "os/400", LISTPARSE_OS400 },
		{ "vm", LISTPARSE_VMCMS }, { "z/vm", LISTPARSE_VMCMS },
		{ "vm/cms", LISTPARSE_VMCMS }, { "vm/esa", LISTPARSE_VMCMS },
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

/* ---- MLSD / MLST --------------------------------------------------- */

/* "YYYYMMDDHHMMSS[.sss]", UTC. */
static bool mlsx_time(const char *p, size_t n, struct ftp_time *t)
{
	struct ftp_time x;
	uint64_t frac;

	memset(&x, 0, sizeof(x));
	if (n < 14 || (n > 14 && (p[14] != '.' || n == 15 ||
				  !dec_u64(p + 15, n - 15, UINT64_MAX, &frac))))
		return false;
	if (!dec_int(p, 4, 9999, &x.year) || !dec_int(p + 4, 2, 99, &x.mon) ||
	    !dec_int(p + 6, 2, 99, &x.day) || !dec_int(p + 8, 2, 99, &x.hour) ||
	    !dec_int(p + 10, 2, 99, &x.min) || !dec_int(p + 12, 2, 99, &x.sec))
		return false;
	x.has_year = x.has_time = x.utc = true;
	if (x.year < 1000 || x.hour > 23 || !time_fix(&x))
		return false;
	*t = x;
	return true;
}

/* The text after an MLST reply's leading space starts with a fact. */
static bool mlsx_fact_ahead(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && !is_blank(p[i]) && p[i] != ';'; i++)
		if (p[i] == '=')
			return i > 0;
	return false;
}

/* A type value naming a symlink, any case: "OS.unix=slink" or
 * "OS.unix=symlink", alone or before ":target". Returns the length of the
 * word (the index of the ':' if any), 0 for other values. */
static size_t link_fact(const char *v, size_t vn)
{
	static const char *const words[] = { "os.unix=slink", "os.unix=symlink" };
	size_t i, n;

	for (i = 0; i < 2; i++) {
		n = strlen(words[i]);
		if (vn >= n && eq_ci(v, n, words[i]) && (vn == n || v[n] == ':'))
			return n;
	}
	return 0;
}

/* One fact: name line[nb..ne), value line[vb..ve). */
static bool mlsx_fact(struct parsed *e, const char *line, size_t nb,
		      size_t ne, size_t vb, size_t ve, int64_t *sizd)
{
	const char *p = line + nb, *v = line + vb;
	size_t nn = ne - nb, vn = ve - vb, k;
	uint64_t x;

	if (eq_ci(p, nn, "type")) {
		e->has_target = false;
		if (eq_ci(v, vn, "file")) {
			e->type = FTP_TYPE_FILE;
		} else if (eq_ci(v, vn, "dir")) {
			e->type = FTP_TYPE_DIR;
		} else if (eq_ci(v, vn, "cdir") || eq_ci(v, vn, "pdir")) {
			e->type = FTP_TYPE_DIR;
			e->skip = true;
		} else if ((k = link_fact(v, vn)) != 0) {
			/* Pure-FTPd "OS.unix=slink:/target" (the target may be
			 * empty, or missing with its ':'), ProFTPD
			 * "OS.unix=symlink" */
			e->type = FTP_TYPE_LINK;
			if (k + 1 < vn) {
				e->has_target = true;
				e->ts = vb + k + 1;
				e->te = ve;
			}
		} else {
			/* "unknown", "OS.unix=chr-12/0", empty, ... */
			e->type = FTP_TYPE_UNKNOWN;
		}
	} else if (eq_ci(p, nn, "size")) {
		if (vn && !size_dec(v, vn, &e->size))
			return false;
	} else if (eq_ci(p, nn, "sizd")) {
		if (vn && !size_dec(v, vn, sizd))
			return false;
	} else if (eq_ci(p, nn, "modify")) {
		if (vn && !mlsx_time(v, vn, &e->mtime))
			return false;
	} else if (eq_ci(p, nn, "perm")) {
		/* RFC 3659 7.5.5: what this user may do, one letter each
		 * (ABNF: either case); others are ignored */
		size_t i;

		e->rights = 0;
		for (i = 0; i < vn; i++)
			if ((v[i] | 0x20) >= 'a' && (v[i] | 0x20) <= 'z')
				e->rights |= LISTPARSE_RIGHT(v[i] | 0x20);
		e->has_rights = true;
	} else if (eq_ci(p, nn, "unix.mode")) {
		/* "perm=" holds FTP rights, not a mode: only this one.
		 * pyftpdlib on Python 3 writes "0o644" (oct()). */
		if (vn > 2 && v[0] == '0' && (v[1] == 'o' || v[1] == 'O')) {
			v += 2;
			vn -= 2;
		}
		if (vn) {
			if (vn > 7 || !oct_u64(v, vn, 07777777, &x))
				return false;
			e->perm = (mode_t)(x & 07777);
			e->has_perm = true;
		}
	}
	return true;
}

int listparse_mlsx_line(const char *line, size_t len, struct ftp_entry *out)
{
	struct parsed e;
	int64_t sizd = -1;
	size_t i = 0, nb, ne, vb, ve;
	bool first = true;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!line || len > LISTPARSE_LINE_MAX)
		return -EINVAL;
	if (len == 0)
		return 1;
	parsed_init(&e, len);
	if (line[0] == ' ') {
		/* an MLST entry line, or " name" with no facts */
		i = 1;
		if (!mlsx_fact_ahead(line + 1, len - 1)) {
			e.ns = 1;
			return finish(line, &e, out);
		}
	}
	for (;;) {
		nb = i;
		while (i < len && line[i] != '=' && line[i] != ';' &&
		       !is_blank(line[i]) && !is_ctl(line[i]))
			i++;
		if (i >= len || line[i] != '=' || i == nb)
			return -EINVAL;
		ne = i++;
		vb = i;
		while (i < len && line[i] != ';' && !is_blank(line[i]) &&
		       !is_ctl(line[i]))
			i++;
		ve = i;
		if (i >= len || is_ctl(line[i]))
			return -EINVAL;
		if (line[i] != ';') {
			/* Drafts before mlst-07 had no ';' after the last
			 * fact. Only a lone "type=file" is taken that way;
			 * anything else without its ';' is malformed. */
			if (!first || !eq_ci(line + nb, ne - nb, "type") ||
			    !eq_ci(line + vb, ve - vb, "file"))
				return -EINVAL;
		}
		if (!mlsx_fact(&e, line, nb, ne, vb, ve, &sizd))
			return -EINVAL;
		first = false;
		if (line[i] != ';')
			break;
		/* tolerate empty facts (";;") */
		while (i < len && line[i] == ';')
			i++;
		if (i >= len)
			return -EINVAL;
		if (is_blank(line[i]))
			break;
	}
	/* one blank (SP, or a TAB from some servers) ends the facts */
	e.ns = i + 1;
	if (e.size < 0)
		e.size = sizd;
	return finish(line, &e, out);
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

/* Largest |tz offset| accepted, and the span of `now` for which year
 * inference is done (about +-10000 years). */
#define TZ_OFFSET_MAX (7L * 86400)
#define NOW_SPAN 316000000000LL

static int64_t civil_secs(int64_t y, const struct ftp_time *t)
{
	return days_from_civil(y, t->mon, t->day) * 86400 +
	       t->hour * 3600 + t->min * 60 + t->sec;
}

int listparse_time_to_epoch(const struct ftp_time *t, long tz_offset_sec,
			    time_t now, time_t *out)
{
	int64_t off, e, best = 0, d, bestd = -1, ny, y;
	int m, dd;

	if (!t || !out || !t->valid)
		return -EINVAL;
	if (t->mon < 1 || t->mon > 12 || t->day < 1 || t->day > 31 ||
	    t->hour < 0 || t->hour > 23 || t->min < 0 || t->min > 59 ||
	    t->sec < 0 || t->sec > 60)
		return -EINVAL;
	if (tz_offset_sec < -TZ_OFFSET_MAX || tz_offset_sec > TZ_OFFSET_MAX)
		return -EINVAL;
	off = t->utc ? 0 : tz_offset_sec;
	if (t->has_year) {
		if (t->year < 0 || t->year > 9999 ||
		    t->day > month_days(t->year, t->mon, true))
			return -EINVAL;
		e = civil_secs(t->year, t) - off;
	} else {
		if ((int64_t)now < -NOW_SPAN || (int64_t)now > NOW_SPAN)
			return -EINVAL;
		civil_from_days(floor_div((int64_t)now + off, 86400), &ny, &m,
				&dd);
		/* the year that puts the date nearest to now; a Feb 29 only
		 * in a leap year when one of the three is */
		for (int pass = 0; pass < 2 && bestd < 0; pass++) {
			for (y = ny - 1; y <= ny + 1; y++) {
				if (pass == 0 &&
				    t->day > month_days(y, t->mon, true))
					continue;
				e = civil_secs(y, t) - off;
				d = e > (int64_t)now ? e - (int64_t)now :
						       (int64_t)now - e;
				if (bestd < 0 || d < bestd) {
					bestd = d;
					best = e;
				}
			}
		}
		e = best;
	}
	if ((int64_t)(time_t)e != e)
		return -EINVAL;
	*out = (time_t)e;
	return 0;
}

void ftp_entry_free(struct ftp_entry *e)
{
	if (!e)
		return;
	free(e->name);
	free(e->link_target);
	memset(e, 0, sizeof(*e));
}
