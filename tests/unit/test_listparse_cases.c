/* Unit tests for listparse: focused cases (hostile names, junk lines,
 * overflows, time conversion, format details, the per-listing context,
 * SYST hints, MLST entries). The corpus is in test_listparse.c.
 */
#include "check_main.h"
#include "test_listparse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each line of the array a through fn must give r as cond says, and
 * leave the entry zeroed. */
#define EXPECT_ALL(a, fn, cond)                                      \
	for (size_t k_ = 0; k_ < sizeof(a) / sizeof((a)[0]); k_++) { \
		struct ftp_entry e_;                                 \
		int r = fn((a)[k_], &e_);                            \
                                                                     \
		ck_assert_msg(cond, "'%s' gave %d", (a)[k_], r);     \
		ck_assert(entry_zeroed(&e_));                        \
	}

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
	static const char tcr[] =
		"lrwxrwxrwx 1 root root 3 Nov 21 13:12 a -> b\rc";
	static const char mcr[] = "type=file; a\rb";
	static const char mnul[] = "type=file; a\0b";
	struct ftp_entry e;
	int r;

	EXPECT_ALL(bad_list, list_str, r < 0);
	EXPECT_ALL(skip_list, list_str, r == 1);
	EXPECT_ALL(bad_mlsx, mlsx_str, r < 0);
	EXPECT_ALL(skip_mlsx, mlsx_str, r == 1);
	ck_assert_int_lt(parse_list(cr, sizeof(cr) - 1, &e), 0);
	ck_assert_int_lt(parse_list(lf, sizeof(lf) - 1, &e), 0);
	ck_assert_int_lt(parse_list(nul, sizeof(nul) - 1, &e), 0);
	ck_assert_int_lt(parse_list(tcr, sizeof(tcr) - 1, &e), 0);
	ck_assert_int_lt(parse_mlsx(mcr, sizeof(mcr) - 1, &e), 0);
	ck_assert_int_lt(parse_mlsx(mnul, sizeof(mnul) - 1, &e), 0);
	ck_assert(entry_zeroed(&e));

	/* a target may hold '/', a name beginning with ".." is fine */
	r = list_str(
		"lrwxrwxrwx 1 root root 8 Nov 21 13:12 ..hidden -> /a/b/c/d",
		&e);
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
		const char *pre =
			prefixes[i % (sizeof(prefixes) / sizeof(prefixes[0]))];
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

	ck_assert_int_eq(
		list_str("-rw-r--r--   1 root root 9223372036854775807 "
			 "Nov 21 13:12 x",
			 &e),
		0);
	ck_assert(e.size == INT64_MAX);
	ftp_entry_free(&e);
	ck_assert_int_eq(mlsx_str("type=file;size=9223372036854775807; x", &e),
			 0);
	ck_assert(e.size == INT64_MAX);
	ftp_entry_free(&e);
	ck_assert_int_eq(
		list_str("05-22-97  12:08  9,223,372,036,854,775,807 x", &e),
		0);
	ck_assert(e.size == INT64_MAX);
	ftp_entry_free(&e);
	ck_assert_int_eq(
		list_str("-rw-r--r--   1 root root 1.5M Nov 21 13:12 x", &e),
		0);
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

static struct ftp_time mk(int y, int mo, int d, int h, int mi, int s, bool utc)
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
	ck_assert_int_eq(epoch(&t, 0, 1798848000),
			 1798632000); /* now 2027-01-02 */
	t = mk(0, 1, 2, 12, 0, 0, false);
	ck_assert_int_eq(epoch(&t, 0, 1798588800),
			 1798891200); /* now 2026-12-30 */
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
	ck_assert_int_eq(
		list_str("-rw-r--r-- 1 0 0 19 Jan  1 13:12 future.txt", &e), 0);
	ck_assert_int_eq(epoch(&e.mtime, 0, now), 1798809120);
	ftp_entry_free(&e);
	ck_assert_int_eq(list_str("-rw-r--r-- 1 0 0 7 Nov 21 13:12 x", &e), 0);
	ck_assert_int_eq(epoch(&e.mtime, 0, now), 1795266720);
	ftp_entry_free(&e);
	ck_assert_int_eq(mlsx_str("type=file;modify=20081105165215.999; x", &e),
			 0);
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
	ck_assert_int_eq(
		list_str("-rwsr-xr-x 1 root root 25 Nov 21 13:12 s", &e), 0);
	ck_assert(e.has_perm);
	ck_assert_uint_eq(e.perm, 04755);
	ftp_entry_free(&e);
	ck_assert_int_eq(list_str("drwxrwxrwt 2 0 0 4096 Nov 21 13:12 t", &e),
			 0);
	ck_assert_uint_eq(e.perm, 01777);
	ck_assert_int_eq(e.type, FTP_TYPE_DIR);
	ftp_entry_free(&e);
	ck_assert_int_eq(list_str("d--S--S--T 1 a b 4096 May  4  4:31 u", &e),
			 0);
	ck_assert_uint_eq(e.perm, 07000);
	ftp_entry_free(&e);
	ck_assert_int_eq(mlsx_str("type=file;UNIX.mode=04755; m", &e), 0);
	ck_assert(e.has_perm);
	ck_assert_uint_eq(e.perm, 04755);
	ftp_entry_free(&e);
	/* pyftpdlib on Python 3: unix.mode=0o755 */
	ck_assert_int_eq(
		mlsx_str(
			"modify=20261123191554;size=4096;type=dir;unix.mode=0o755; photos 2026",
			&e),
		0);
	ck_assert(e.has_perm);
	ck_assert_uint_eq(e.perm, 0755);
	ck_assert_str_eq(e.name, "photos 2026");
	ftp_entry_free(&e);
	/* perm= (RFC 3659 7.5.5): this user's rights, not a mode */
	ck_assert_int_eq(mlsx_str("type=file;perm=adfr;size=3; ro.txt", &e), 0);
	ck_assert(e.has_rights);
	ck_assert_uint_eq(e.rights,
			  LISTPARSE_RIGHT('a') | LISTPARSE_RIGHT('d') |
				  LISTPARSE_RIGHT('f') | LISTPARSE_RIGHT('r'));
	ck_assert(!(e.rights & LISTPARSE_RIGHT('w')));
	ck_assert(!e.has_perm);
	ftp_entry_free(&e);
	ck_assert_int_eq(mlsx_str("type=file;Perm=RW; f", &e), 0);
	ck_assert(e.has_rights); /* ABNF letters: either case */
	ck_assert_uint_eq(e.rights,
			  LISTPARSE_RIGHT('r') | LISTPARSE_RIGHT('w'));
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
	ck_assert_int_eq(
		list_str("brw-rw---- 1 root disk 8,   0 Jan 30 11:42 sda", &e),
		0);
	ck_assert_int_eq(e.type, FTP_TYPE_UNKNOWN);
	ck_assert_int_eq(e.size, -1);
	ftp_entry_free(&e);
	ck_assert_int_eq(
		list_str("srwxrwxrwx 1 root root 0 Jan 30 11:42 sock", &e), 0);
	ck_assert_int_eq(e.type, FTP_TYPE_UNKNOWN);
	ftp_entry_free(&e);

	/* 24:00 on Dec 31 of a known year is Jan 1 of the next */
	ck_assert_int_eq(list_str("-rw-r--r-- 1 a b 1 31-12-2003 24:00 n", &e),
			 0);
	ck_assert_int_eq(e.mtime.year, 2004);
	ck_assert_int_eq(e.mtime.mon, 1);
	ck_assert_int_eq(e.mtime.day, 1);
	ck_assert_int_eq(e.mtime.hour, 0);
	ftp_entry_free(&e);

	/* ls --time-style=long-iso */
	ck_assert_int_eq(list_str("-rw-r--r-- 1 a b 1 2001-04-27 12:34 n", &e),
			 0);
	ck_assert_int_eq(e.mtime.year, 2001);
	ck_assert_int_eq(e.mtime.hour, 12);
	ftp_entry_free(&e);

	/* " -> " only splits links */
	ck_assert_int_eq(list_str("-rw-r--r-- 1 a b 1 Nov 21 13:12 a -> b", &e),
			 0);
	ck_assert_str_eq(e.name, "a -> b");
	ck_assert_ptr_null(e.link_target);
	ftp_entry_free(&e);

	/* a link without a target after the arrow */
	ck_assert_int_eq(list_str("lrwxrwxrwx 1 a b 1 Nov 21 13:12 a -> ", &e),
			 0);
	ck_assert_str_eq(e.name, "a");
	ck_assert_ptr_null(e.link_target);
	ftp_entry_free(&e);
}
END_TEST

START_TEST(test_mlsx_details)
{
	struct ftp_entry e;

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
	/* empty facts are skipped */
	ck_assert_int_eq(mlsx_str("type=dir;;modify=20141022065102;"
				  "UNIX.mode=0775; x",
				  &e),
			 0);
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
	ck_assert_int_eq(ctx_str(c,
				 " Name     VV.MM   Created       Changed"
				 "      Size  Init   Mod   Id",
				 &e),
			 1);
	ck_assert_int_eq(listparse_ctx_format(c), LISTPARSE_MVS);
	ck_assert_int_eq(ctx_str(c, "SAVE04", &e), 0);
	ck_assert_str_eq(e.name, "SAVE04");
	ftp_entry_free(&e);
	/* a unix line in it still parses, and the format stays */
	ck_assert_int_eq(ctx_str(c, "-rw-r--r-- 1 a b 1 Nov 21 13:12 f", &e),
			 0);
	ftp_entry_free(&e);
	ck_assert_int_eq(listparse_ctx_format(c), LISTPARSE_MVS);
	ck_assert_int_eq(listparse_ctx_end(c, &e), 1);
	ck_assert_uint_eq(listparse_ctx_refused(c), 0);
	listparse_ctx_free(c);

	/* HP NonStop only with its hint */
	ck_assert_int_lt(list_str("57-HP_NonStop 101 528 6-Apr-07 14:21:18 "
				  "255, 0 \"oooo\"",
				  &e),
			 0);
	c = listparse_ctx_new(LISTPARSE_NONSTOP);
	ck_assert_int_eq(ctx_str(c,
				 "57-HP_NonStop 101 528 6-Apr-07 14:21:18 "
				 "255, 0 \"oooo\"",
				 &e),
			 0);
	ck_assert_int_eq(e.size, 528);
	ftp_entry_free(&e);
	listparse_ctx_free(c);
}
END_TEST

START_TEST(test_ctx_vms)
{
	struct listparse_ctx *c;
	struct ftp_entry e;
	const char *vms2 = "                         4/15         24-FEB-2003 "
			   "13:17:24  [POSTWARE,LP]    (RWED,RWED,RE,)";

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
	ck_assert_int_eq(ctx_str(c, "SUB.DIR;1  1  2-JUN-1998 07:32:04", &e),
			 0);
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
	ck_assert_int_lt(ctx_str(c, "-rw-r--r-- 1 a b 1 Nov 21 13:12 a/b", &e),
			 0);
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
		  "running on z/OS.",
		  LISTPARSE_MVS },
		{ "OS/400 is the remote operating system. The TCP/IP version "
		  "is \"V5R1M0\".",
		  LISTPARSE_OS400 },
		{ "VM is the operating system of this server.",
		  LISTPARSE_VMCMS },
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
		{ "-rw-r--r-- 1 root other 531 01/29/2003 03:26 us", "us", 2003,
		  1, 29, 3, 26, 531 },
		{ "-rw-r--r-- 1 root other 531 29/01/2003 03:26 eu", "eu", 2003,
		  1, 29, 3, 26, 531 },
		{ "-rw-r--r-- 1 root other 531 02.01.2003 03:26 dot", "dot",
		  2003, 1, 2, 3, 26, 531 },
		{ "-rw-r--r-- 1 root other 531 Jan 29 03:26:00 2003 bsd", "bsd",
		  2003, 1, 29, 3, 26, 531 },
		{ "drwxr-xr-x 2 ftp ftp4096 Sep  2  2005 glued", "glued", 2005,
		  9, 2, 0, 0, 4096 },
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
		{ "type=OS.Unix=Slink:/var/www; www", FTP_TYPE_LINK,
		  "/var/www" },
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
	ck_assert_int_lt(
		list_str("-rw-r--r-- 1 14 staff 119:26 Aug 22 2000 z", &e), 0);

	/* several " -> ": the split whose target is as long as the size */
	ck_assert_int_eq(
		list_str("lrwxrwxrwx 1 a b 6 Jan 29 03:26 a -> b -> c -> d",
			 &e),
		0);
	ck_assert_str_eq(e.name, "a -> b");
	ck_assert_str_eq(e.link_target, "c -> d");
	ftp_entry_free(&e);
	ck_assert_int_eq(
		list_str("lrwxrwxrwx 1 a b 99 Jan 29 03:26 a -> b -> c", &e),
		0);
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


/* listparse_mlst_entry() on s (exactly strlen(s) bytes, no NUL after). */
static int mlst_str(const char *s, struct ftp_entry *e)
{
	size_t n = strlen(s);
	char *b = exact_copy(s, n);
	int r = listparse_mlst_entry(b, n, e);

	free(b);
	return r;
}

START_TEST(test_mlst_entry)
{
	static const char *const bad[] = {
		"",
		" ",
		" /no/facts",
		"  /a b",
		"type=file;",
		" type=file;",
		"type=file;size=x; /f",
		";type=dir; /d",
		"type=dir;;",
		"type=dir;\x01 /d",
		"size=1 /f",
	};
	struct ftp_entry e;

	/* the entry line as RFC 3659 7.2 gives it: a pathname, with '/' */
	ck_assert_int_eq(mlst_str(" type=file;size=5000000000;"
				  "modify=20240102030405; /a b/c d",
				  &e),
			 0);
	ck_assert_int_eq(e.type, FTP_TYPE_FILE);
	ck_assert_int_eq(e.size, 5000000000LL);
	ck_assert_int_eq(e.mtime.year, 2024);
	ck_assert_int_eq(e.mtime.sec, 5);
	ck_assert_str_eq(e.name, "/a b/c d");
	ftp_entry_free(&e);
	/* the directory asked about: cdir and pdir are entries here */
	ck_assert_int_eq(mlst_str(" Type=cdir;Modify=20240102030405; /d", &e),
			 0);
	ck_assert_int_eq(e.type, FTP_TYPE_DIR);
	ck_assert(e.mtime.valid);
	ftp_entry_free(&e);
	ck_assert_int_eq(mlst_str("type=PDIR;perm=el; ..", &e), 0);
	ck_assert_int_eq(e.type, FTP_TYPE_DIR);
	ck_assert_str_eq(e.name, "..");
	ck_assert(e.has_rights);
	ftp_entry_free(&e);
	/* not a cdir: an unknown type */
	ck_assert_int_eq(mlst_str(" type=cdirx; /d", &e), 0);
	ck_assert_int_eq(e.type, FTP_TYPE_UNKNOWN);
	ftp_entry_free(&e);
	/* facts as in MLSD: sizd, unix.mode, a link and its target, a lone
	 * "type=file" without its ';', several leading spaces, a TAB */
	ck_assert_int_eq(
		mlst_str("   type=dir;sizd=4096;UNIX.mode=0o755; /", &e), 0);
	ck_assert_int_eq(e.type, FTP_TYPE_DIR);
	ck_assert_int_eq(e.size, 4096);
	ck_assert_uint_eq(e.perm, 0755);
	ck_assert_str_eq(e.name, "/");
	ftp_entry_free(&e);
	ck_assert_int_eq(mlst_str(" type=OS.unix=slink:/t;	/l", &e), 0);
	ck_assert_int_eq(e.type, FTP_TYPE_LINK);
	ck_assert_str_eq(e.link_target, "/t");
	ck_assert_str_eq(e.name, "/l");
	ftp_entry_free(&e);
	ck_assert_int_eq(mlst_str(" type=file /f", &e), 0);
	ck_assert_int_eq(e.type, FTP_TYPE_FILE);
	ck_assert_int_eq(e.size, -1);
	ftp_entry_free(&e);
	/* an empty pathname is still the entry */
	ck_assert_int_eq(mlst_str(" type=file;size=1; ", &e), 0);
	ck_assert_str_eq(e.name, "");
	ftp_entry_free(&e);
	EXPECT_ALL(bad, mlst_str, r == -EINVAL);
	ck_assert_int_eq(listparse_mlst_entry(NULL, 0, &e), -EINVAL);
	ck_assert_int_eq(listparse_mlst_entry(" type=file; x", 13, NULL),
			 -EINVAL);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("listparse_cases");
	TCase *tc;

	tc = tcase_create("focused");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_hostile_names);
	tcase_add_test(tc, test_junk_line);
	tcase_add_test(tc, test_overflow_sizes);
	tcase_add_test(tc, test_name_ok);
	tcase_add_test(tc, test_time_to_epoch);
	tcase_add_test(tc, test_details);
	tcase_add_test(tc, test_mlsx_details);
	tcase_add_test(tc, test_ctx);
	tcase_add_test(tc, test_ctx_vms);
	tcase_add_test(tc, test_syst);
	tcase_add_test(tc, test_links_and_dates);
	tcase_add_test(tc, test_mlst_entry);
	suite_add_tcase(s, tc);
	return s;
}
