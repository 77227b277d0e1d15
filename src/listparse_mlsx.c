/* listparse_mlsx — MLSD lines and MLST entries (RFC 3659 7).
 *
 * RFC 3659 7.2: "entry = [ facts ] SP pathname", "facts = 1*( fact ";" )".
 * An MLSD line's pathname is a name in the listed directory; an MLST
 * entry's is the pathname asked about, which may hold '/'.
 */
#include "listparse_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
	if (x.year < 1000 || x.hour > 23 || !lp_time_fix(&x))
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
	static const char *const words[] = { "os.unix=slink",
					     "os.unix=symlink" };
	size_t i, n;

	for (i = 0; i < 2; i++) {
		n = strlen(words[i]);
		if (vn >= n && eq_ci(v, n, words[i]) &&
		    (vn == n || v[n] == ':'))
			return n;
	}
	return 0;
}

/* One fact: name line[nb..ne), value line[vb..ve). */
static bool mlsx_fact(struct parsed *e, const char *line, size_t nb, size_t ne,
		      size_t vb, size_t ve, int64_t *sizd)
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
			/* no entry in a listing; in an MLST entry, the
			 * directory asked about */
			e->type = FTP_TYPE_DIR;
			e->skip = !e->pathname;
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

/* The facts from line[i]; true with e->ns after the blank (SP, or a TAB
 * from some servers) that ends them. */
static bool mlsx_facts(const char *line, size_t len, size_t i, struct parsed *e)
{
	int64_t sizd = -1;
	size_t nb, ne, vb, ve;
	bool first = true;

	for (;;) {
		nb = i;
		while (i < len && line[i] != '=' && line[i] != ';' &&
		       !is_blank(line[i]) && !is_ctl(line[i]))
			i++;
		if (i >= len || line[i] != '=' || i == nb)
			return false;
		ne = i++;
		vb = i;
		while (i < len && line[i] != ';' && !is_blank(line[i]) &&
		       !is_ctl(line[i]))
			i++;
		ve = i;
		if (i >= len || is_ctl(line[i]))
			return false;
		if (line[i] != ';') {
			/* Drafts before mlst-07 had no ';' after the last
			 * fact. Only a lone "type=file" is taken that way;
			 * anything else without its ';' is malformed. */
			if (!first || !eq_ci(line + nb, ne - nb, "type") ||
			    !eq_ci(line + vb, ve - vb, "file"))
				return false;
		}
		if (!mlsx_fact(e, line, nb, ne, vb, ve, &sizd))
			return false;
		first = false;
		if (line[i] != ';')
			break;
		/* tolerate empty facts (";;") */
		while (i < len && line[i] == ';')
			i++;
		if (i >= len)
			return false;
		if (is_blank(line[i]))
			break;
	}
	if (e->size < 0)
		e->size = sizd;
	e->ns = i + 1;
	return true;
}

/* Zero *out; false when the arguments cannot be parsed at all. */
static bool mlsx_start(const char *line, size_t len, struct ftp_entry *out,
		       struct parsed *e)
{
	if (!out)
		return false;
	memset(out, 0, sizeof(*out));
	if (!line || len > LISTPARSE_LINE_MAX)
		return false;
	parsed_init(e, len);
	return true;
}

int listparse_mlsx_line(const char *line, size_t len, struct ftp_entry *out)
{
	struct parsed e;

	if (!mlsx_start(line, len, out, &e))
		return -EINVAL;
	if (len == 0)
		return 1;
	if (line[0] == ' ' && !mlsx_fact_ahead(line + 1, len - 1)) {
		/* " name" with no facts */
		e.ns = 1;
		return lp_finish(line, &e, out);
	}
	/* an MLST-style leading space is skipped */
	if (!mlsx_facts(line, len, line[0] == ' ', &e))
		return -EINVAL;
	return lp_finish(line, &e, out);
}

int listparse_mlst_entry(const char *line, size_t len, struct ftp_entry *out)
{
	struct parsed e;
	size_t i = 0;

	if (!mlsx_start(line, len, out, &e))
		return -EINVAL;
	while (i < len && line[i] == ' ')
		i++;
	e.pathname = true;
	if (!mlsx_facts(line, len, i, &e))
		return -EINVAL;
	return lp_finish(line, &e, out);
}
