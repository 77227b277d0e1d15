/* libFuzzer target for the directory-listing parsers (src/listparse.c).
 *
 * The input is split at '\n'; every line (CRs and NULs kept) is handed, as
 * an exact-size heap copy so that ASan catches any read past its end, to
 * listparse_list_line() and listparse_mlsx_line(). Checked:
 *   - the return is 0, 1 or a negative errno; on anything but 0 the entry
 *     is all zero bytes (listparse.h)
 *   - on 0: the name is non-empty, passes listparse_name_ok(), holds no
 *     '/', CR, LF (nor NUL: strlen is the whole name) and is a substring of
 *     the line (VM/CMS "FNAME.FTYPE": its two parts are); a link target holds no NUL, CR, LF and is a substring too;
 *     type in range; size >= -1; perm within 07777; a valid mtime has
 *     month, day, hour, minute, second in range
 *   - listparse_time_to_epoch() on the mtime with several zone offsets and
 *     "now" values: -EINVAL exactly for invalid times or out-of-range
 *     arguments; for dated times the result equals timegm() minus the
 *     offset; for year-less times it is the nearest of the candidate years
 *   - ftp_entry_free() leaves the entry zeroed.
 *
 * Then the whole input is one listing through a per-listing context
 * (listparse_ctx_*, hint from the first byte): the same entry checks
 * against the whole input, the refused count, listparse_ctx_end(), and
 * listparse_fmt_from_syst() on the input.
 *
 * Extra oracle, off with -DFUZZ_NO_YEAR_CHECK: listparse_time_to_epoch()
 * accepts every valid mtime the parsers return (so an entry whose date was
 * parsed also gets it as its st_mtime; fs.c leaves 0 otherwise).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem, memrchr, timegm */
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "listparse.h"
#include "fuzz.h"

static bool leap(long long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int mdays(long long y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Reference: seconds since the epoch of a civil UTC time, via timegm()
 * (64-bit time_t, proleptic Gregorian, normalises Feb 29 of a common year
 * to Mar 1 as days_from_civil does). */
static long long ref_secs(long long y, const struct ftp_time *t)
{
	struct tm tm;
	time_t r;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)(y - 1900);
	tm.tm_mon = t->mon - 1;
	tm.tm_mday = t->day;
	tm.tm_hour = t->hour;
	tm.tm_min = t->min;
	tm.tm_sec = t->sec;
	r = timegm(&tm);
	return (long long)r;
}

static long long llabs_(long long x)
{
	return x < 0 ? -x : x;
}

static void check_time(const struct ftp_time *t)
{
	static const long tzs[] = { 0,		3600,	     -3600,
				    19800,	-43200,	     50400,
				    7L * 86400, -7L * 86400, 7L * 86400 + 1 };
	static const long long nows[] = {
		0,
		1700000000LL,
		1709164800LL /* 2024-02-29 */,
		951782400LL /* 2000-02-29 */,
		4102444799LL /* 2099-12-31 */,
		-62135596800LL /* 0001-01-01 */,
		253402300799LL,
		316000000000LL,
		316000000001LL,
		-316000000001LL,
	};
	size_t i, j;
	bool in_range;

	in_range = t->valid && t->mon >= 1 && t->mon <= 12 && t->day >= 1 &&
		   t->day <= 31 && t->hour >= 0 && t->hour <= 23 &&
		   t->min >= 0 && t->min <= 59 && t->sec >= 0 && t->sec <= 60;
	for (i = 0; i < sizeof(tzs) / sizeof(tzs[0]); i++) {
		for (j = 0; j < sizeof(nows) / sizeof(nows[0]); j++) {
			long tz = tzs[i];
			long long now = nows[j], off = t->utc ? 0 : tz, exp;
			time_t out = 12345;
			bool ok = in_range && tz >= -7L * 86400 &&
				  tz <= 7L * 86400;
			int r;

			if (t->has_year)
				ok = ok && t->year >= 1 && t->year <= 9999 &&
				     t->day <= mdays(t->year, t->mon);
			else
				ok = ok && now >= -316000000000LL &&
				     now <= 316000000000LL;
			r = listparse_time_to_epoch(t, tz, (time_t)now, &out);
			/* year 0 is out of the documented range, but taking it
			 * (proleptic Gregorian) is fine too */
			if (!ok && t->has_year && t->year == 0 && in_range &&
			    tz >= -7L * 86400 && tz <= 7L * 86400 && r == 0) {
				CHECK((long long)out == ref_secs(0, t) - off);
				continue;
			}
			if (!ok) {
				CHECK(r == -EINVAL);
				continue;
			}
			CHECK(r == 0);
			if (t->has_year) {
				exp = ref_secs(t->year, t) - off;
				CHECK((long long)out == exp);
				continue;
			}
			/* year-less: one of the years around now (in the
			 * server's zone), the nearest; Feb 29 only in a
			 * leap year when one of them is */
			{
				long long ny, y, best = 0, bd = -1;
				int pass;
				time_t lt = (time_t)(now + off);
				struct tm tm;

				CHECK(gmtime_r(&lt, &tm));
				ny = (long long)tm.tm_year + 1900;
				for (pass = 0; pass < 2 && bd < 0; pass++)
					for (y = ny - 1; y <= ny + 1; y++) {
						long long e, d;

						if (pass == 0 &&
						    t->day > mdays(y, t->mon))
							continue;
						e = ref_secs(y, t) - off;
						d = llabs_(e - now);
						if (bd < 0 || d < bd) {
							bd = d;
							best = e;
						}
					}
				CHECK((long long)out == best);
				/* half a year away at most; a Feb 29 may go
				 * to the leap year two years off */
				CHECK(llabs_((long long)out - now) <=
				      ((t->mon == 2 && t->day == 29 ? 732LL
								    : 184LL) +
				       8) * 86400);
			}
		}
	}
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* The name is a part of the line, or (VM/CMS "FNAME.FTYPE") two parts
 * joined at its last '.'. */
static bool name_in(const char *line, size_t len, const char *name, size_t nl)
{
	const char *dot;

	if (memmem(line, len, name, nl))
		return true;
	dot = memrchr(name, '.', nl);
	return dot && dot > name && (size_t)(dot - name) + 1 < nl &&
	       memmem(line, len, name, (size_t)(dot - name)) &&
	       memmem(line, len, dot + 1, nl - (size_t)(dot - name) - 1);
}

static void check_entry(const char *line, size_t len, int r,
			struct ftp_entry *e)
{
	size_t nl, i;

	CHECK(r == 0 || r == 1 || r == -EINVAL || r == -ENOMEM);
	if (r != 0) {
		CHECK(all_zero(e, sizeof(*e)));
		return;
	}
	CHECK(e->name != NULL);
	nl = strlen(e->name);
	CHECK(nl > 0 && nl <= len);
	CHECK(listparse_name_ok(e->name, nl));
	for (i = 0; i < nl; i++)
		CHECK(e->name[i] != '/' && e->name[i] != '\r' &&
		      e->name[i] != '\n');
	CHECK(strcmp(e->name, ".") != 0 && strcmp(e->name, "..") != 0);
	CHECK(name_in(line, len, e->name, nl));
	if (e->link_target) {
		size_t tl = strlen(e->link_target);

		CHECK(e->type == FTP_TYPE_LINK);
		CHECK(tl > 0 && tl <= len);
		CHECK(memmem(line, len, e->link_target, tl) != NULL);
		CHECK(!strpbrk(e->link_target, "\r\n"));
	}
	CHECK(e->type == FTP_TYPE_UNKNOWN || e->type == FTP_TYPE_FILE ||
	      e->type == FTP_TYPE_DIR || e->type == FTP_TYPE_LINK);
	CHECK(e->size >= -1);
	CHECK((e->perm & ~(mode_t)07777) == 0);
	CHECK(e->has_perm || e->perm == 0);
	if (e->mtime.valid) {
		const struct ftp_time *t = &e->mtime;

		CHECK(t->mon >= 1 && t->mon <= 12);
		CHECK(t->day >= 1 &&
		      t->day <= (t->has_year ? mdays(t->year, t->mon)
					     : (t->mon == 2 ? 29
							    : mdays(2001,
								    t->mon))));
		CHECK(t->hour >= 0 && t->hour <= 23);
		CHECK(t->min >= 0 && t->min <= 59);
		CHECK(t->sec >= 0 && t->sec <= 60);
		CHECK(t->has_time ||
		      (t->hour == 0 && t->min == 0 && t->sec == 0));
		CHECK(t->has_year || t->year == 0);
#ifndef FUZZ_NO_YEAR_CHECK
		{
			time_t x;

			if (listparse_time_to_epoch(t, 0, 1700000000, &x) !=
			    0) {
				fprintf(stderr,
					"valid mtime %04d-%02d-%02d "
					"that listparse_time_to_epoch "
					"refuses\n",
					t->year, t->mon, t->day);
				abort();
			}
		}
#endif
	} else {
		/* no date: nothing else of the time is set either */
		CHECK(all_zero(&e->mtime, sizeof(e->mtime)));
	}
	check_time(&e->mtime);
	ftp_entry_free(e);
	CHECK(all_zero(e, sizeof(*e)));
}

static void one_line(const char *src, size_t len)
{
	/* malloc(0) still gives a unique pointer ASan can police */
	char *line = malloc(len);
	struct ftp_entry e;
	int r;

	CHECK(line);
	memcpy(line, src, len);

	memset(&e, 0xA5, sizeof(e));
	r = listparse_list_line(line, len, &e);
	check_entry(line, len, r, &e);
	if (r == 0)
		ftp_entry_free(&e);

	memset(&e, 0xA5, sizeof(e));
	r = listparse_mlsx_line(line, len, &e);
	check_entry(line, len, r, &e);
	if (r == 0)
		ftp_entry_free(&e);

	/* listparse_name_ok on the raw line must agree with a direct check */
	if (len) {
		bool ok = !(len == 1 && line[0] == '.') &&
			  !(len == 2 && line[0] == '.' && line[1] == '.') &&
			  !memchr(line, '/', len) && !memchr(line, '\0', len) &&
			  !memchr(line, '\r', len) && !memchr(line, '\n', len);

		CHECK(listparse_name_ok(line, len) == ok);
	}
	free(line);
}

/* The whole input as one listing through a context: the hint comes from
 * the first byte; entries are checked as above against the whole input
 * (a joined VMS entry spans two lines); the refused count grows by at
 * least one on each negative return and by at most one otherwise (a held
 * VMS line that was never completed); the end gives no entry. */
static void ctx_pass(const char *s, size_t size)
{
	enum listparse_fmt hint = LISTPARSE_AUTO, f;
	const char *end = s + size, *p = s;
	struct listparse_ctx *c;
	struct ftp_entry e;
	size_t prev = 0, now;
	int r;

	if (size)
		hint = (enum listparse_fmt)((unsigned char)s[0] %
					    (LISTPARSE_OTHER + 1));
	c = listparse_ctx_new(hint);
	CHECK(c);
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = malloc(n);

		CHECK(line);
		memcpy(line, p, n);
		memset(&e, 0xA5, sizeof(e));
		r = listparse_ctx_line(c, line, n, &e);
		check_entry(s, size, r, &e);
		if (r == 0)
			ftp_entry_free(&e);
		now = listparse_ctx_refused(c);
		CHECK(r < 0 ? now >= prev + 1 : now - prev <= 1);
		CHECK(r >= 0 || now <= prev + 2);
		prev = now;
		f = listparse_ctx_format(c);
		CHECK(f >= LISTPARSE_AUTO && f <= LISTPARSE_OTHER);
		free(line);
		if (!nl)
			break;
		p = nl + 1;
	}
	memset(&e, 0xA5, sizeof(e));
	r = listparse_ctx_end(c, &e);
	CHECK(r == 1 || r == -EINVAL);
	CHECK(all_zero(&e, sizeof(e)));
	CHECK(listparse_ctx_refused(c) == prev + (r < 0));
	listparse_ctx_free(c);
	f = listparse_fmt_from_syst(s, size);
	CHECK(f >= LISTPARSE_AUTO && f <= LISTPARSE_OTHER);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size;

	for (;;) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);

		one_line(s, n);
		if (!nl)
			break;
		s = nl + 1;
	}
	ctx_pass((const char *)data, size);
	return 0;
}
