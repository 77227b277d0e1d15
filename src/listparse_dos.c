/* listparse_dos — DOS/IIS listings and the other small-system formats
 * (NetWare, OS/2, VShell, Win16 SuperTCP and Chameleon, Nortel WfFTP,
 * VxWorks, OS-9): one line per entry, a fixed column order, no state.
 */
#include "listparse_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- DOS / IIS ----------------------------------------------------- */

/* "04-27-00", "05-26-1995", "2002-09-02" (also with '/'). */
static bool dos_date(const char *p, size_t n, struct ftp_time *t)
{
	struct tok pt[3];
	int a, b, c;

	if (!lp_split3(p, n, '-', pt, 3) && !lp_split3(p, n, '/', pt, 3))
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
	if (!lp_tok_time(p, n, t))
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

bool lp_parse_dos(const struct toks *tk, struct parsed *e, struct pstate *ps)
{
	(void)ps;
	if (tk->n < 4 || tk->t[0].s != 0 ||
	    !dos_date(tp(tk, 0), tl(tk, 0), &e->mtime) ||
	    !dos_time(tp(tk, 1), tl(tk, 1), &e->mtime) ||
	    !lp_time_fix(&e->mtime))
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
	return lp_name_after(tk, 2, true, &e->ns);
}

/* ---- other LIST formats (best effort) ------------------------------ */

/* NetWare: "d [RWCEAFMS] owner  512 Jan 16 18:53  name", also without
 * the blank before '[' and with fewer attribute letters. */
bool lp_parse_netware(const struct toks *tk, struct parsed *e,
		      struct pstate *ps)
{
	const char *p = tk->p;
	size_t i, b, bt, o;

	(void)ps;
	if (tk->len < 4 || (p[0] != 'd' && p[0] != '-'))
		return false;
	b = p[1] == ' ' ? 2 : 1; /* where '[' is */
	bt = b == 2 ? 1 : 0;	 /* the token holding "[...]" */
	if (p[b] != '[')
		return false;
	for (i = b + 1; i < tk->len && i < b + 12; i++)
		if (!strchr("RWCEAFMS-", p[i]) || p[i] == '\0')
			break;
	if (i >= tk->len || p[i] != ']' || tk->n < bt + 7 ||
	    tk->t[bt].e != i + 1)
		return false;
	o = bt + 1; /* owner */
	e->type = p[0] == 'd' ? FTP_TYPE_DIR : FTP_TYPE_FILE;
	if (!size_dec(tp(tk, o + 1), tl(tk, o + 1), &e->size))
		return false;
	memset(&e->mtime, 0, sizeof(e->mtime));
	e->mtime.mon = lp_tok_month_alpha(tp(tk, o + 2), tl(tk, o + 2));
	e->mtime.day = lp_tok_day(tp(tk, o + 3), tl(tk, o + 3), false);
	if (!e->mtime.mon || !e->mtime.day ||
	    !lp_tok_time_or_year(tp(tk, o + 4), tl(tk, o + 4), &e->mtime) ||
	    !lp_time_fix(&e->mtime))
		return false;
	return lp_name_after(tk, o + 4, true, &e->ns);
}

/* OS/2: "  36611  A  DIR  04-23-103  10:57  name". */
bool lp_parse_os2(const struct toks *tk, struct parsed *e, struct pstate *ps)
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
	if (!lp_split3(p, tl(tk, i), '-', pt, 3) ||
	    !part_int(p, &pt[0], 1, 2, &a) || !part_int(p, &pt[1], 1, 2, &b) ||
	    !part_int(p, &pt[2], 2, 4, &c))
		return false;
	memset(&e->mtime, 0, sizeof(e->mtime));
	e->mtime.mon = a;
	e->mtime.day = b;
	e->mtime.year = year_short(c, pt[2].e - pt[2].s);
	e->mtime.has_year = true;
	if (!lp_tok_time(tp(tk, i + 1), tl(tk, i + 1), &e->mtime) ||
	    e->mtime.hour > 23 || !lp_time_fix(&e->mtime))
		return false;
	return lp_name_after(tk, i + 1, true, &e->ns);
}

/* VShell: "206876  Apr 04, 2000 21:06 name", a trailing '/' marks a dir. */
bool lp_parse_vshell(const struct toks *tk, struct parsed *e, struct pstate *ps)
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
	e->mtime.mon = lp_tok_month_alpha(tp(tk, 1), tl(tk, 1));
	e->mtime.day = lp_tok_day(p, n - 1, false);
	if (!e->mtime.mon || !e->mtime.day ||
	    !lp_tok_year(tp(tk, 3), tl(tk, 3), &e->mtime.year))
		return false;
	e->mtime.has_year = true;
	if (!lp_tok_time(tp(tk, 4), tl(tk, 4), &e->mtime) ||
	    e->mtime.hour > 23 || !lp_time_fix(&e->mtime))
		return false;
	if (!lp_name_after(tk, 4, true, &e->ns))
		return false;
	e->type = FTP_TYPE_FILE;
	if (tk->p[tk->len - 1] == '/' && tk->len - 1 > e->ns) {
		e->type = FTP_TYPE_DIR;
		e->ne = tk->len - 1;
	}
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
bool lp_parse_win16(const struct toks *tk, struct parsed *e, struct pstate *ps)
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
		       lp_time_fix(&e->mtime);
	if (tk->n < 6 || tk->n > 7 ||
	    (tk->n == 7 && !lp_tok_word(tk, 6, "RHSA")))
		return false;
	e->mtime.mon = lp_tok_month_alpha(tp(tk, 2), tl(tk, 2));
	e->mtime.day = lp_tok_day(tp(tk, 3), tl(tk, 3), false);
	if (!e->mtime.mon || !e->mtime.day ||
	    !lp_tok_year(tp(tk, 4), tl(tk, 4), &e->mtime.year))
		return false;
	e->mtime.has_year = true;
	return dos_time(tp(tk, 5), tl(tk, 5), &e->mtime) &&
	       lp_time_fix(&e->mtime);
}

/* Nortel WfFTP: "NAME  1014196  06/03/04  Thur.  10:20:03". */
bool lp_parse_wfftp(const struct toks *tk, struct parsed *e, struct pstate *ps)
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
	if (n < 3 || p[n - 1] != '.' ||
	    !lp_tok_word(tk, 3, "ADFHMNORSTUWadehinorstu.") ||
	    !dos_date(tp(tk, 2), tl(tk, 2), &e->mtime) ||
	    !lp_tok_time(tp(tk, 4), tl(tk, 4), &e->mtime) ||
	    e->mtime.hour > 23 || !lp_time_fix(&e->mtime))
		return false;
	e->type = FTP_TYPE_FILE;
	e->ns = 0;
	e->ne = tk->t[0].e;
	return true;
}

/* VxWorks: "2048  Feb-28-1998  05:23:30  name <DIR>". */
bool lp_parse_vxworks(const struct toks *tk, struct parsed *e,
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
	if (!lp_split3(p, n, '-', pt, 3) ||
	    !(e->mtime.mon = lp_tok_month_alpha(p, pt[0].e)) ||
	    !part_int(p, &pt[1], 1, 2, &e->mtime.day) ||
	    !part_int(p, &pt[2], 4, 4, &e->mtime.year))
		return false;
	e->mtime.has_year = true;
	if (!lp_tok_time(tp(tk, 2), tl(tk, 2), &e->mtime) ||
	    e->mtime.hour > 23 || !lp_time_fix(&e->mtime) ||
	    !lp_name_after(tk, 2, true, &e->ns))
		return false;
	e->type = FTP_TYPE_FILE;
	/* the last token of the line (lp_tokenize() stops at TOK_MAX) */
	if (tk->n > 4 && tk->n < TOK_MAX && tok_is(tk, tk->n - 1, "<dir>")) {
		e->type = FTP_TYPE_DIR;
		e->ne = tk->t[tk->n - 2].e;
	}
	return true;
}

/* OS-9: "20.20 07/03/29 1026 d-ewrewr 2650 85920 name": owner, yy/mm/dd,
 * hhmm, attributes, sector, size. */
bool lp_parse_os9(const struct toks *tk, struct parsed *e, struct pstate *ps)
{
	struct tok pt[3];
	const char *p;
	size_t n;

	(void)ps;
	if (tk->n < 7 || tk->t[0].s != 0 ||
	    !lp_tok_word(tk, 0, "0123456789.") || tl(tk, 2) != 4 ||
	    !tok_all_digits(tk, 2) || tl(tk, 3) != 8 ||
	    !lp_tok_word(tk, 3, "-dsewr") ||
	    !lp_tok_word(tk, 4, "0123456789abcdefABCDEF") ||
	    !size_dec(tp(tk, 5), tl(tk, 5), &e->size))
		return false;
	p = tp(tk, 1);
	n = tl(tk, 1);
	memset(&e->mtime, 0, sizeof(e->mtime));
	if (!lp_split3(p, n, '/', pt, 3) ||
	    !part_int(p, &pt[0], 2, 2, &e->mtime.year) ||
	    !part_int(p, &pt[1], 2, 2, &e->mtime.mon) ||
	    !part_int(p, &pt[2], 2, 2, &e->mtime.day))
		return false;
	e->mtime.year = year_short(e->mtime.year, 2);
	e->mtime.has_year = true;
	if (!lp_time_fix(&e->mtime))
		return false;
	e->type = tp(tk, 3)[0] == 'd' ? FTP_TYPE_DIR : FTP_TYPE_FILE;
	return lp_name_after(tk, 5, true, &e->ns);
}
