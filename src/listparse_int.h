/* listparse_int.h — what the listparse_*.c files share; not for other
 * modules (the public API is listparse.h).
 *
 * A LIST line is tokenized once (struct toks: up to TOK_MAX blank-separated
 * tokens as offsets into the line). Each format's parser (list_parse_fn)
 * looks at the tokens, and on a match fills a struct parsed with offsets
 * into the line and returns true; lp_finish() then applies the common
 * safety rules to the name and builds the ftp_entry. A parser never reads
 * past tk->len, never allocates, and keeps no state of its own: what it
 * may know about the listing is in struct pstate, which the per-listing
 * context (listparse.c) owns.
 *
 * Files: listparse.c (entry points, format table, per-listing context,
 * numbers, tokens, EPLF, entry construction), listparse_time.c (calendar,
 * date and time tokens, listparse_time_to_epoch), listparse_unix.c (ls -l
 * and its relatives), listparse_dos.c (DOS/IIS, NetWare, OS/2, VShell,
 * Win16, Nortel WfFTP, VxWorks, OS-9), listparse_mainframe.c (VMS, MVS,
 * OS/400, VM/CMS, HP NonStop), listparse_mlsx.c (MLSD/MLST facts).
 */
#ifndef FTPFS_LISTPARSE_INT_H
#define FTPFS_LISTPARSE_INT_H

#include "listparse.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define TOK_MAX 64 /* tokens examined at the start of a LIST line */

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

/* What a parser found; offsets are into the line. */
struct parsed {
	enum ftp_type type;
	int64_t size;
	struct ftp_time mtime;
	mode_t perm;
	bool has_perm;
	unsigned rights; /* MLSD perm= letters */
	bool has_rights;
	bool skip;     /* valid, but no entry (MLSD cdir/pdir) */
	size_t ns, ne; /* name */
	bool has_target;
	size_t ts, te; /* link target */
	bool pathname; /* the name is an MLST pathname: kept as given */
	bool use_alt;  /* the name is alt, not a part of the line */
	char alt[64];
	size_t alt_len;
};

/* What a parser may know about the listing a line comes from. */
struct pstate {
	enum listparse_fmt fmt; /* the listing's format so far, or the hint */
	int os400_order;	/* date order seen in an OS/400 listing */
};

/* A LIST format's parser: true when the line is in the format, with e
 * filled (e comes in as parsed_init() leaves it). */
typedef bool list_parse_fn(const struct toks *tk, struct parsed *e,
			   struct pstate *ps);

/* ---- characters, numbers (listparse.c) ------------------------------ */

static inline bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static inline bool is_high(char c)
{
	return (unsigned char)c >= 0x80;
}

static inline bool is_ctl(char c)
{
	return (unsigned char)c < 0x20 || c == 0x7f;
}

static inline char to_lower(char c)
{
	return is_upper(c) ? (char)(c - 'A' + 'a') : c;
}

/* p[0..n) equals the lower-case ASCII word w, ignoring case. */
static inline bool eq_ci(const char *p, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i] == '\0' || to_lower(p[i]) != w[i])
			return false;
	return w[n] == '\0';
}

/* Unsigned p[0..n) in base 8, 10 or 16 (either case), every byte a
 * digit, at most max. */
bool lp_num_u64(const char *p, size_t n, unsigned base, uint64_t max,
		uint64_t *v);

/* Unsigned decimal p[0..n), all digits, at most max. */
static inline bool dec_u64(const char *p, size_t n, uint64_t max, uint64_t *v)
{
	return lp_num_u64(p, n, 10, max, v);
}

/* Unsigned octal p[0..n), at most max. */
static inline bool oct_u64(const char *p, size_t n, uint64_t max, uint64_t *v)
{
	return lp_num_u64(p, n, 8, max, v);
}

static inline bool dec_int(const char *p, size_t n, int max, int *v)
{
	uint64_t x;

	if (!dec_u64(p, n, (uint64_t)max, &x))
		return false;
	*v = (int)x;
	return true;
}

/* A byte count: digits, at most INT64_MAX. */
static inline bool size_dec(const char *p, size_t n, int64_t *v)
{
	uint64_t x;

	if (!dec_u64(p, n, (uint64_t)INT64_MAX, &x))
		return false;
	*v = (int64_t)x;
	return true;
}

/* ---- tokens (listparse.c) ------------------------------------------ */

void lp_tokenize(struct toks *tk, const char *p, size_t len);

/* Where the name starts after token i: exactly one blank later, or after
 * all blanks when skip_all. Returns false when no name follows. */
bool lp_name_after(const struct toks *tk, size_t i, bool skip_all, size_t *ns);

/* Token i is non-empty and made only of bytes of set. */
bool lp_tok_word(const struct toks *tk, size_t i, const char *set);

static inline const char *tp(const struct toks *tk, size_t i)
{
	return tk->p + tk->t[i].s;
}

static inline size_t tl(const struct toks *tk, size_t i)
{
	return tk->t[i].e - tk->t[i].s;
}

static inline bool tok_all_digits(const struct toks *tk, size_t i)
{
	size_t k, n = tl(tk, i);
	const char *p = tp(tk, i);

	for (k = 0; k < n; k++)
		if (!is_digit(p[k]))
			return false;
	return n > 0;
}

/* Token i is the lower-case word w, ignoring case. */
static inline bool tok_is(const struct toks *tk, size_t i, const char *w)
{
	return i < tk->n && eq_ci(tp(tk, i), tl(tk, i), w);
}

static inline bool part_int(const char *p, const struct tok *pt, size_t minlen,
			    size_t maxlen, int *v)
{
	size_t n = pt->e - pt->s;

	return n >= minlen && n <= maxlen && dec_int(p + pt->s, n, 9999, v);
}

/* ---- dates and times (listparse_time.c) ---------------------------- */

/* Days in month m of year y; a February without a year may have 29. */
int lp_month_days(int64_t y, int m, bool has_year);

/* Seconds since the epoch (0..EPOCH_MAX) to a UTC ftp_time. */
void lp_time_from_epoch(int64_t s, struct ftp_time *t);

/* Check a date and time just parsed, and turn 24:00 into 00:00 of the
 * next day. */
bool lp_time_fix(struct ftp_time *t);

/* Date tokens: a month name (0 if none), "6月", either, a day of month
 * (1-2 digits, then a '.' when allow_dot, or a CJK marker), a four-digit
 * year, H:MM[:SS] (hour 24 let through for lp_time_fix()), a time or a
 * year. */
int lp_tok_month_alpha(const char *p, size_t n);
int lp_tok_month_cjk(const char *p, size_t n);
int lp_tok_month(const char *p, size_t n);
int lp_tok_day(const char *p, size_t n, bool allow_dot);
bool lp_tok_year(const char *p, size_t n, int *y);
bool lp_tok_time(const char *p, size_t n, struct ftp_time *t);
bool lp_tok_time_or_year(const char *p, size_t n, struct ftp_time *t);

/* Split p[0..n) at sep into exactly k non-empty parts. */
bool lp_split3(const char *p, size_t n, char sep, struct tok *part, size_t k);

/* Two-digit years: 70..99 are 19xx, 00..69 are 20xx; three digits are
 * years since 1900 (the OS/2 and VM/CMS Y2K bug). */
static inline int year_short(int y, size_t digits)
{
	if (digits == 2)
		return y < 70 ? 2000 + y : 1900 + y;
	if (digits == 3)
		return 1900 + y;
	return y;
}

/* ---- entries (listparse.c) ----------------------------------------- */

static inline void parsed_init(struct parsed *e, size_t len)
{
	memset(e, 0, sizeof(*e));
	e->size = -1;
	e->ne = len;
}

/* Build *out from what a parser found: 0, 1 (".", "..", an MLSD
 * cdir/pdir), or -EINVAL (unsafe name or target), -ENOMEM. A pathname
 * (e->pathname) is not checked. */
int lp_finish(const char *line, struct parsed *e, struct ftp_entry *out);

/* ---- the LIST formats, in their files ------------------------------- */

/* listparse_unix.c */
list_parse_fn lp_parse_unix_link, lp_parse_numeric_link, lp_parse_enterprise;

/* listparse_dos.c */
list_parse_fn lp_parse_dos, lp_parse_netware, lp_parse_os2, lp_parse_vshell,
	lp_parse_win16, lp_parse_wfftp, lp_parse_vxworks, lp_parse_os9;

/* listparse_mainframe.c */
list_parse_fn lp_parse_vms, lp_parse_os400, lp_parse_mvs_dataset,
	lp_parse_mvs_member, lp_parse_mvs_jes, lp_parse_vmcms, lp_parse_nonstop;

/* Lines of a VMS or an MVS listing that carry no entry (headers,
 * trailers); a line holding a VMS file name and nothing else (the first
 * line of an entry whose name was too long for its column). */
bool lp_vms_skip(const struct toks *tk);
bool lp_mvs_skip(const struct toks *tk);
bool lp_vms_name_only(const struct toks *tk);

#endif
