/* listparse_mainframe — VMS, MVS (data sets, PDS members, JES), OS/400,
 * VM/CMS and z/VM, HP NonStop.
 *
 * These listings need the listing around a line: VMS entries may span two
 * lines (the context joins them before they come here), MVS and VMS have
 * header and trailer lines (lp_vms_skip, lp_mvs_skip), a bare MVS member
 * name and HP NonStop lines are read only in a listing known to be in
 * that format (ps->fmt), and OS/400's "aa/bb/cc" date keeps to the order a
 * listing has shown (ps->os400_order).
 */
#include "listparse_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
bool lp_vms_name_only(const struct toks *tk)
{
	return tk->n == 1 && tk->t[0].s == 0 &&
	       vms_semicolon(tp(tk, 0), tl(tk, 0)) != 0;
}

static int vms_month(const char *p, size_t n)
{
	int m = lp_tok_month_alpha(p, n);

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

	if (!lp_split3(p, n, '-', pt, 3) || !part_int(p, &pt[0], 1, 2, &d) ||
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
	return lp_tok_time(p, k, t);
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

#define VMS_OWNER_SET \
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
				if (!strchr(VMS_OWNER_SET, p[k]) ||
				    p[k] == ',' || p[k] == '\0')
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
bool lp_parse_vms(const struct toks *tk, struct parsed *e, struct pstate *ps)
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
		if (!owner &&
		    enclosed(tp(tk, i), tl(tk, i), '[', ']', VMS_OWNER_SET)) {
			/* "NAME;1  [SUMMARY]  1/3  2-AUG-2006 13:05" */
			owner = true;
			i++;
		} else if (!size && vms_size(tp(tk, i), tl(tk, i), &e->size)) {
			size = true;
			i++;
		} else if (!date && vms_date(tp(tk, i), tl(tk, i), &e->mtime)) {
			date = true;
			i++;
			if (i < tk->n &&
			    time_frac(tp(tk, i), tl(tk, i), &e->mtime))
				i++;
		} else {
			return false;
		}
	}
	if (!size || !date || !lp_time_fix(&e->mtime) ||
	    !vms_tail(tk, i, owner))
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
bool lp_vms_skip(const struct toks *tk)
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

	if (!lp_split3(p, n, '/', pt, 3) ||
	    !part_int(p, &pt[0], 4, 4, &t->year) ||
	    !part_int(p, &pt[1], 2, 2, &t->mon) ||
	    !part_int(p, &pt[2], 2, 2, &t->day))
		return false;
	t->has_year = true;
	return true;
}

#define UPPER_DIGITS "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define MVS_VOL_SET UPPER_DIGITS "#@$"

/* The name is the last token, alone after token i. */
static bool last_name(const struct toks *tk, size_t i, struct parsed *e)
{
	if (tk->n != i + 2 || !lp_name_after(tk, i, true, &e->ns))
		return false;
	e->ne = tk->t[i + 1].e;
	return true;
}

/* Data set list: "Volume Unit Referred Ext Used Recfm Lrecl BlkSz Dsorg
 * Dsname". PO and PO-E (partitioned) data sets hold members: dirs. There
 * is no byte size; the date is the last reference ("**NONE**": none). */
bool lp_parse_mvs_dataset(const struct toks *tk, struct parsed *e,
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
	if (!lp_tok_word(tk, 0, MVS_VOL_SET) || tl(tk, 0) > 6)
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
	     !lp_time_fix(&e->mtime)))
		return false;
	/* Ext, Used ("++++", "????" when too large), Recfm, Lrecl, BlkSz */
	for (i = 3; i < last - 1; i++)
		if (!lp_tok_word(tk, i, UPPER_DIGITS "+?"))
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

/* PDS member list: "Name VV.MM Created Changed Size Init Mod Id" (the
 * size is in records: none is given); in an MVS listing also a bare
 * member name, and load-module lists "NAME 00B308 000411 ..." (hex
 * size, TTR). */
bool lp_parse_mvs_member(const struct toks *tk, struct parsed *e,
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
		if (!lp_split3(p, tl(tk, 1), '.', pt, 2) ||
		    !part_int(p, &pt[0], 2, 2, &a) ||
		    !part_int(p, &pt[1], 2, 2, &b) ||
		    !ymd_slash(tp(tk, 2), tl(tk, 2), &e->mtime))
			return false;
		memset(&e->mtime, 0, sizeof(e->mtime));
		return ymd_slash(tp(tk, 3), tl(tk, 3), &e->mtime) &&
		       lp_tok_time(tp(tk, 4), tl(tk, 4), &e->mtime) &&
		       e->mtime.hour < 24 && lp_time_fix(&e->mtime) &&
		       tok_all_digits(tk, 5) && tok_all_digits(tk, 6) &&
		       tok_all_digits(tk, 7);
	}
	if (ps->fmt != LISTPARSE_MVS)
		return false;
	if (tk->n == 1)
		return true;
	if (tk->n >= 4 && tl(tk, 1) == 6 && tl(tk, 2) == 6 &&
	    lp_num_u64(tp(tk, 2), 6, 16, UINT64_MAX, &v) &&
	    lp_num_u64(tp(tk, 1), 6, 16, UINT64_MAX, &v)) {
		e->size = (int64_t)v;
		return true;
	}
	return false;
}

/* JES spool: "IBMUSER1  JOB01906  OUTPUT  3 Spool Files"; the job id is
 * the name. */
bool lp_parse_mvs_jes(const struct toks *tk, struct parsed *e,
		      struct pstate *ps)
{
	const char *p;
	size_t n, k, i;

	(void)ps;
	if (tk->n < 3 || tk->t[0].s != 0)
		return false;
	p = tp(tk, 1);
	n = tl(tk, 1);
	if (n != 8 ||
	    !(eq_ci(p, 3, "job") || eq_ci(p, 3, "tsu") || eq_ci(p, 3, "stc")))
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
bool lp_mvs_skip(const struct toks *tk)
{
	return (tk->n >= 9 && tok_is(tk, 0, "volume") &&
		tok_is(tk, 1, "unit")) ||
	       (tk->n >= 4 && tok_is(tk, 0, "name") &&
		tok_is(tk, 1, "vv.mm")) ||
	       (tk->n >= 4 && tok_is(tk, 0, "jobname") &&
		tok_is(tk, 1, "jobid"));
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
	if (!lp_split3(p, n, sep, pt, 3))
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
		    x.day > lp_month_days(x.year, x.mon, true))
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
bool lp_parse_os400(const struct toks *tk, struct parsed *e, struct pstate *ps)
{
	const char *ty, *p = tk->p;
	size_t tn, k;
	int order = ps->os400_order;

	if (tk->n < 6 || tk->t[0].s != 0 ||
	    !size_dec(tp(tk, 1), tl(tk, 1), &e->size))
		return false;
	memset(&e->mtime, 0, sizeof(e->mtime));
	if (!os400_date(tp(tk, 2), tl(tk, 2), &e->mtime, &order) ||
	    tl(tk, 3) != 8 || !lp_tok_time(tp(tk, 3), 8, &e->mtime) ||
	    e->mtime.hour > 23 || !lp_time_fix(&e->mtime))
		return false;
	ty = tp(tk, 4);
	tn = tl(tk, 4);
	if (tn < 2 || ty[0] != '*' ||
	    !lp_tok_word(tk, 4, "*ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
		return false;
	if (!lp_name_after(tk, 4, true, &e->ns))
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
	if (lp_split3(p, n, '-', pt, 3))
		return part_int(p, &pt[0], 4, 4, &t->year) &&
		       part_int(p, &pt[1], 2, 2, &t->mon) &&
		       part_int(p, &pt[2], 2, 2, &t->day);
	if (!lp_split3(p, n, '/', pt, 3) || !part_int(p, &pt[0], 1, 2, &a) ||
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

bool lp_parse_vmcms(const struct toks *tk, struct parsed *e, struct pstate *ps)
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
	} else if (lp_tok_word(tk, 2, "FVU")) {
		/* z/VM: "FNAME FTYPE RECFM LRECL RECS BLOCKS DATE TIME OWNER" */
		if (!memchr(tp(tk, 6), '-', tl(tk, 6)))
			return false;
		d = 6;
	} else {
		if (!cms_mode(tk, 2) || !lp_tok_word(tk, 3, "FVU"))
			return false;
		d = 7;
	}
	for (i = d - 3; e->type == FTP_TYPE_FILE && i < d; i++)
		if (!tok_all_digits(tk, i))
			return false;
	memset(&e->mtime, 0, sizeof(e->mtime));
	return cms_name(tk, e, e->type == FTP_TYPE_FILE) &&
	       cms_date(tp(tk, d), tl(tk, d), &e->mtime) &&
	       lp_tok_time(tp(tk, d + 1), tl(tk, d + 1), &e->mtime) &&
	       e->mtime.hour < 24 && lp_time_fix(&e->mtime);
}

/* ---- HP NonStop / Guardian ----------------------------------------- */

/* "NAME  101  528  6-Apr-07 14:21:18  255, 0  \"oooo\"": name, file code,
 * EOF (bytes), date, time, owner group,user, security. Only in a listing
 * known to be NonStop (SYST). */
bool lp_parse_nonstop(const struct toks *tk, struct parsed *e,
		      struct pstate *ps)
{
	const char *p;
	size_t n, i;

	if (ps->fmt != LISTPARSE_NONSTOP || tk->n < 7 || tk->n >= TOK_MAX ||
	    tk->t[0].s != 0 || !tok_all_digits(tk, 1) ||
	    !size_dec(tp(tk, 2), tl(tk, 2), &e->size))
		return false;
	memset(&e->mtime, 0, sizeof(e->mtime));
	if (!vms_date(tp(tk, 3), tl(tk, 3), &e->mtime) ||
	    !lp_tok_time(tp(tk, 4), tl(tk, 4), &e->mtime) ||
	    e->mtime.hour > 23 || !lp_time_fix(&e->mtime))
		return false;
	for (i = 5; i + 1 < tk->n; i++)
		if (!lp_tok_word(tk, i, "0123456789,"))
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
