/* listparse_time — calendar arithmetic, the date and time tokens the LIST
 * formats share, and listparse_time_to_epoch().
 *
 * Dates are proleptic Gregorian, converted with H. Hinnant's civil-day
 * algorithms in 64-bit arithmetic: no libc time function, no time zone
 * database, no locale. A time without a zone is the server's local time;
 * the caller gives its offset.
 */
#include "listparse_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- calendar ------------------------------------------------------ */

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days in month m of year y; a February without a year may have 29. */
int lp_month_days(int64_t y, int m, bool has_year)
{
	static const unsigned char dim[12] = { 31, 28, 31, 30, 31, 30,
					       31, 31, 30, 31, 30, 31 };

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
void lp_time_from_epoch(int64_t s, struct ftp_time *t)
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
bool lp_time_fix(struct ftp_time *t)
{
	if (t->mon < 1 || t->mon > 12 || t->day < 1 ||
	    t->day > lp_month_days(t->year, t->mon, t->has_year))
		return false;
	if (t->hour < 0 || t->hour > 24 || t->min < 0 || t->min > 59 ||
	    t->sec < 0 || t->sec > 60)
		return false;
	if (t->hour == 24) {
		if (t->min || t->sec)
			return false;
		t->hour = 0;
		if (++t->day > lp_month_days(t->year, t->mon, t->has_year)) {
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

/* ---- date tokens --------------------------------------------------- */

/* Month names (lower case, UTF-8): a token matches a month when it is a
 * prefix, at least 3 bytes long, of a name of that month and of no name of
 * another month. English, German, French, Dutch, Spanish, Italian,
 * Hungarian, Swedish. */
static const struct {
	const char *name;
	unsigned char mon;
} month_tab[] = {
	{ "january", 1 },
	{ "januar", 1 },
	{ "janvier", 1 },
	{ "januari", 1 },
	{ "enero", 1 },
	{ "gennaio", 1 },
	{ "janu\xc3\xa1r", 1 },
	{ "february", 2 },
	{ "februar", 2 },
	{ "f\xc3\xa9vrier", 2 },
	{ "februari", 2 },
	{ "febrero", 2 },
	{ "febbraio", 2 },
	{ "febru\xc3\xa1r", 2 },
	{ "march", 3 },
	{ "m\xc3\xa4rz", 3 },
	{ "mrz", 3 },
	{ "mars", 3 },
	{ "maart", 3 },
	{ "marzo", 3 },
	{ "m\xc3\xa1rcius", 3 },
	{ "april", 4 },
	{ "avril", 4 },
	{ "abril", 4 },
	{ "aprile", 4 },
	{ "\xc3\xa1prilis", 4 },
	{ "may", 5 },
	{ "mai", 5 },
	{ "mei", 5 },
	{ "mayo", 5 },
	{ "maggio", 5 },
	{ "m\xc3\xa1jus", 5 },
	{ "maj", 5 },
	{ "june", 6 },
	{ "juni", 6 },
	{ "juin", 6 },
	{ "junio", 6 },
	{ "giugno", 6 },
	{ "j\xc3\xbanius", 6 },
	{ "july", 7 },
	{ "juli", 7 },
	{ "juillet", 7 },
	{ "julio", 7 },
	{ "luglio", 7 },
	{ "j\xc3\xbalius", 7 },
	{ "august", 8 },
	{ "ao\xc3\xbbt", 8 },
	{ "augustus", 8 },
	{ "agosto", 8 },
	{ "augusztus", 8 },
	{ "augusti", 8 },
	{ "september", 9 },
	{ "septembre", 9 },
	{ "septiembre", 9 },
	{ "settembre", 9 },
	{ "szeptember", 9 },
	{ "october", 10 },
	{ "oktober", 10 },
	{ "octobre", 10 },
	{ "octubre", 10 },
	{ "ottobre", 10 },
	{ "okt\xc3\xb3"
	  "ber",
	  10 },
	{ "november", 11 },
	{ "novembre", 11 },
	{ "noviembre", 11 },
	{ "december", 12 },
	{ "dezember", 12 },
	{ "d\xc3\xa9"
	  "cembre",
	  12 },
	{ "diciembre", 12 },
	{ "dicembre", 12 },
};

int lp_tok_month_alpha(const char *p, size_t n)
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
	/* the first byte first: two calls per listing line, 80 names */
	for (k = 0; k < sizeof(month_tab) / sizeof(month_tab[0]); k++) {
		if (month_tab[k].name[0] != buf[0] ||
		    strlen(month_tab[k].name) < n ||
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
int lp_tok_month_cjk(const char *p, size_t n)
{
	size_t i = 0;
	int v;

	while (i < n && i < 2 && is_digit(p[i]))
		i++;
	if (i == 0 || !high_suffix(p + i, n - i) || !dec_int(p, i, 99, &v))
		return 0;
	return v >= 1 && v <= 12 ? v : 0;
}

int lp_tok_month(const char *p, size_t n)
{
	int m = lp_tok_month_alpha(p, n);

	return m ? m : lp_tok_month_cjk(p, n);
}

/* Day of month: 1-2 digits, then optionally a '.' (allow_dot) or a CJK
 * marker. */
int lp_tok_day(const char *p, size_t n, bool allow_dot)
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
bool lp_tok_year(const char *p, size_t n, int *y)
{
	if (n < 4 || (n > 4 && !high_suffix(p + 4, n - 4)))
		return false;
	return dec_int(p, 4, 9999, y) && *y >= 1000;
}

/* H:MM, HH:MM, optionally :SS. Hour 24 is let through for lp_time_fix(). */
bool lp_tok_time(const char *p, size_t n, struct ftp_time *t)
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
	if (n != c + 3 &&
	    (n != c + 6 || p[c + 3] != ':' || !dec_int(p + c + 4, 2, 99, &s)))
		return false;
	if (h > 24 || m > 59 || s > 59)
		return false;
	t->hour = h;
	t->min = m;
	t->sec = s;
	t->has_time = true;
	return true;
}

bool lp_tok_time_or_year(const char *p, size_t n, struct ftp_time *t)
{
	if (lp_tok_time(p, n, t))
		return true;
	if (lp_tok_year(p, n, &t->year)) {
		t->has_year = true;
		return true;
	}
	return false;
}

/* Split p[0..n) at sep into exactly k non-empty parts. */
bool lp_split3(const char *p, size_t n, char sep, struct tok *part, size_t k)
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

/* Largest |tz offset| accepted, and the span of `now` for which year
 * inference is done (about +-10000 years). */
#define TZ_OFFSET_MAX (7L * 86400)
#define NOW_SPAN 316000000000LL

static int64_t civil_secs(int64_t y, const struct ftp_time *t)
{
	return days_from_civil(y, t->mon, t->day) * 86400 + t->hour * 3600 +
	       t->min * 60 + t->sec;
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
		    t->day > lp_month_days(t->year, t->mon, true))
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
				    t->day > lp_month_days(y, t->mon, true))
					continue;
				e = civil_secs(y, t) - off;
				d = e > (int64_t)now ? e - (int64_t)now
						     : (int64_t)now - e;
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
