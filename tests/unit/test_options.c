/* Unit tests for URL, netrc and option parsing. */
#include <check.h>
#include <errno.h>
#include <fuse_opt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "options.h"

static char err[256];

START_TEST(url_full)
{
	struct ftp_url u;

	ck_assert_int_eq(
		url_parse("ftp://bob:p%40ss:w@host.example:2121/pub/a%20b", &u,
			  err, sizeof(err)),
		0);
	ck_assert_str_eq(u.user, "bob");
	ck_assert_str_eq(u.pass, "p@ss:w");
	ck_assert_str_eq(u.host, "host.example");
	ck_assert_str_eq(u.port, "2121");
	ck_assert_str_eq(u.path, "pub/a b");
	url_free(&u);
}
END_TEST

START_TEST(url_defaults_and_ipv6)
{
	struct ftp_url u;
	char *d;

	ck_assert_int_eq(url_parse("ftp://[::1]", &u, err, sizeof(err)), 0);
	ck_assert_str_eq(u.host, "::1");
	ck_assert_str_eq(u.port, "21");
	ck_assert_str_eq(u.path, "");
	ck_assert_ptr_null(u.user);
	d = url_display(&u);
	ck_assert_str_eq(d, "ftp://[::1]:21/");
	free(d);
	url_free(&u);
	ck_assert_int_eq(
		url_parse("ftp://u@[fe80::1]:21/x/", &u, err, sizeof(err)), 0);
	ck_assert_str_eq(u.host, "fe80::1");
	ck_assert_str_eq(u.path, "x/");
	url_free(&u);
	ck_assert_int_eq(url_parse("ftps://h", &u, err, sizeof(err)), 0);
	ck_assert(u.implicit_tls);
	ck_assert_str_eq(u.port, "990");
	url_free(&u);
	/* curlftpfs style: no scheme */
	ck_assert_int_eq(url_parse("host/dir", &u, err, sizeof(err)), 0);
	ck_assert_str_eq(u.host, "host");
	ck_assert_str_eq(u.path, "dir");
	url_free(&u);
}
END_TEST

START_TEST(url_bad)
{
	static const char *const bad[] = {
		"",
		"http://h/",
		"ftp://",
		"ftp://h:0/",
		"ftp://h:65536/",
		"ftp://h:x/",
		"ftp://h:/",
		"ftp://[::1/",
		"ftp://-oallow_other/",
		"ftp://h/a%0d%0aDELE%20x",
		"ftp://h/a%00",
		"ftp://h/%zz",
		"ftp://h/a\r\nDELE x",
		"ftp://h?x",
		"ftp://:pw@h/",
		"ftp://h h/",
		"ftp://h/%4",
	};
	struct ftp_url u;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = url_parse(bad[i], &u, err, sizeof(err));

		ck_assert_msg(r == -EINVAL, "accepted '%s'", bad[i]);
		ck_assert_ptr_null(u.host);
	}
}
END_TEST

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/ftpfs-netrc-XXXXXX");
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

START_TEST(netrc)
{
	char *f = write_tmp(
		"machine other login x password y\n"
		"machine host.example\n  login bob\n  password \"s e\\\"c\"\n"
		"macdef init\ncd /\n\n"
		"machine host.example login alice password a1\n"
		"default login anon password guest\n");
	char *user = NULL, *pass = NULL;

	ck_assert_int_eq(netrc_lookup(f, "host.example", &user, &pass), 1);
	ck_assert_str_eq(user, "bob");
	ck_assert_str_eq(pass, "s e\"c");
	free(pass);
	pass = NULL;
	free(user);
	user = strdup("alice");
	ck_assert_int_eq(netrc_lookup(f, "HOST.example", &user, &pass), 1);
	ck_assert_str_eq(pass, "a1");
	free(user);
	free(pass);
	user = pass = NULL;
	ck_assert_int_eq(netrc_lookup(f, "unknown", &user, &pass), 1);
	ck_assert_str_eq(user, "anon");
	free(user);
	free(pass);
	user = pass = NULL;
	ck_assert_int_eq(netrc_lookup("/nonexistent/netrc", "h", &user, &pass),
			 0);
	unlink(f);
	free(f);
}
END_TEST

START_TEST(opts)
{
	char a0[] = "ftpfs", a1[] = "ftp://h/", a2[] = "/mnt", a3[] = "-o",
	     a4[] = "connections=2,cache_timeout=1.5,_netdev,noauto,ro,hard",
	     a5[] = "-f";
	char *argv[] = { a0, a1, a2, a3, a4, a5, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(6, argv);
	struct ftpfs_opts o;
	int i, found_ro = 0;

	ck_assert_int_eq(opts_parse(&args, &o, err, sizeof(err)), 0);
	ck_assert_str_eq(o.url, "ftp://h/");
	ck_assert_uint_eq(o.connections, 2);
	ck_assert(o.cache_timeout > 1.4 && o.cache_timeout < 1.6);
	ck_assert_int_eq(o.hard, 1);
	for (i = 0; i < args.argc; i++) {
		ck_assert_ptr_null(strstr(args.argv[i], "_netdev"));
		ck_assert_ptr_null(strstr(args.argv[i], "connections"));
		ck_assert_ptr_null(strstr(args.argv[i], "ftp://"));
		if (strstr(args.argv[i], "ro"))
			found_ro = 1;
	}
	ck_assert(found_ro); /* FUSE's options pass through */
	opts_free(&o);
	fuse_opt_free_args(&args);
}
END_TEST

START_TEST(opts_bad)
{
	char a0[] = "ftpfs", a1[] = "ftp://h/", a2[] = "/mnt", a3[] = "-o",
	     a4[] = "connections=0";
	char *argv[] = { a0, a1, a2, a3, a4, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(5, argv);
	struct ftpfs_opts o;

	ck_assert_int_eq(opts_parse(&args, &o, err, sizeof(err)), -EINVAL);
	opts_free(&o);
	fuse_opt_free_args(&args);
}
END_TEST

/* mount(8) words for access times: accepted; only atime and noatime,
 * which libfuse knows, reach it (it refuses the others as unknown) */
START_TEST(opts_atime_words)
{
	char a0[] = "ftpfs", a1[] = "ftp://h/", a2[] = "/mnt", a3[] = "-o",
	     a4[] = "relatime,noatime,strictatime,nostrictatime,diratime,"
		    "nodiratime,norelatime,lazytime,atime";
	char *argv[] = { a0, a1, a2, a3, a4, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(5, argv);
	struct ftpfs_opts o;
	int i;

	ck_assert_int_eq(opts_parse(&args, &o, err, sizeof(err)), 0);
	for (i = 0; i < args.argc; i++) {
		ck_assert_ptr_null(strstr(args.argv[i], "relatime"));
		ck_assert_ptr_null(strstr(args.argv[i], "strictatime"));
		ck_assert_ptr_null(strstr(args.argv[i], "diratime"));
		ck_assert_ptr_null(strstr(args.argv[i], "lazytime"));
	}
	opts_free(&o);
	fuse_opt_free_args(&args);
}
END_TEST

/* mount -o remount,ro: refused, saying why */
START_TEST(opts_remount)
{
	char a0[] = "ftpfs", a1[] = "ftp://h/", a2[] = "/mnt", a3[] = "-o",
	     a4[] = "remount,ro";
	char *argv[] = { a0, a1, a2, a3, a4, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(5, argv);
	struct ftpfs_opts o;

	err[0] = '\0';
	ck_assert_int_eq(opts_parse(&args, &o, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "remount"));
	ck_assert_ptr_nonnull(strstr(err, "unmount"));
	opts_free(&o);
	fuse_opt_free_args(&args);
}
END_TEST

/* the table: numbers start at their documented default (-1 where that is
 * no number), the rest at 0/NULL; --help's "%s" is the default */
START_TEST(opts_table_defaults)
{
	char a0[] = "ftpfs";
	char *argv[] = { a0, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	struct ftpfs_opts o;
	const struct opt_def *t;
	size_t n, i;

	t = opts_table(&n);
	ck_assert_int_eq(opts_parse(&args, &o, err, sizeof(err)), 0);
	for (i = 0; i < n; i++) {
		const char *field = (const char *)&o + t[i].off;
		char *end;
		double want = t[i].def ? strtod(t[i].def, &end) : 0;

		if (t[i].def && (end == t[i].def || *end))
			want = -1;
		switch (opts_type(&t[i])) {
		case OPT_UINT:
			ck_assert_uint_eq(*(const unsigned *)field,
					  (unsigned)want);
			break;
		case OPT_INT:
		case OPT_FLAG:
			ck_assert_int_eq(*(const int *)field, (int)want);
			break;
		case OPT_DOUBLE:
			ck_assert(*(const double *)field == want);
			break;
		case OPT_STRING:
			ck_assert_ptr_null(*(char *const *)field);
			break;
		}
		if (t[i].help)
			ck_assert_msg(!strstr(t[i].help, "%s") == !t[i].def,
				      "%s: help has %%s but no default, or "
				      "the reverse",
				      t[i].templ);
	}
	ck_assert_int_eq(o.parallel_read, -1); /* connections-1 */
	opts_free(&o);
	fuse_opt_free_args(&args);
}
END_TEST

START_TEST(scrub)
{
	char a1[] = "ftp://bob:secret@host/x";
	char a2[] = "ro,user=bob:pw2,foo";
	char a3[] =
		"ftp://host/with:colon@x"; /* '@' after the path: untouched */
	char a4[] = "bob:pw3@host/x";	   /* curlftpfs style, no scheme */
	char a5[] = "/mnt/a:b@c";	   /* not the URL: untouched */
	char a0[] = "ftpfs";
	char *argv[] = { a0, a1, a2, a3, NULL };
	char *argv2[] = { a0, a4, a5, NULL };

	ck_assert(opts_scrub_argv(4, argv, "ftp://bob:secret@host/x"));
	ck_assert_str_eq(a1, "ftp://bob@host/x");
	ck_assert_str_eq(a2, "ro,user=bob,foo");
	ck_assert_str_eq(a3, "ftp://host/with:colon@x");
	ck_assert(opts_scrub_argv(3, argv2, "bob:pw3@host/x"));
	ck_assert_str_eq(a4, "bob@host/x");
	ck_assert_str_eq(a5, "/mnt/a:b@c");
	ck_assert(!opts_scrub_argv(3, argv2, "bob@host/x"));
	{
		/* as fuse_opt reads them: -o glued, \, and octal escapes */
		char b1[] = "-ouser=bob:secret";
		char b2[] = "ro,user=bob:se\\,cret,x";
		char b3[] = "user=bob\\072secret";
		char *argv3[] = { a0, b1, b2, b3, NULL };

		opts_scrub_argv(4, argv3, NULL);
		ck_assert_str_eq(b1, "-ouser=bob");
		ck_assert_str_eq(b2, "ro,user=bob,x");
		ck_assert_str_eq(b3, "user=bob");
	}
}
END_TEST

/* The kernel's argument area rewritten as one string: the lengths of the
 * passwords cut from it show nowhere. */
START_TEST(rewrite_cmdline)
{
	static const char orig[] = "ftpfs\0ftp://bob:secret@h/\0/mnt\0-o\0"
				   "ro,user=bob:pw";
	char area[sizeof(orig)];
	char *argv[6];
	size_t n;
	int i;

	memcpy(area, orig, sizeof(orig));
	argv[0] = area;
	for (i = 1; i < 5; i++)
		argv[i] = argv[i - 1] + strlen(argv[i - 1]) + 1;
	argv[5] = NULL;
	n = opts_argv_area(5, argv);
	ck_assert_uint_eq(n, sizeof(orig));
	ck_assert(opts_scrub_argv(5, argv, "ftp://bob:secret@h/"));
	opts_rewrite_cmdline(5, argv, area, n);
	ck_assert_str_eq(area, "ftpfs ftp://bob@h/ /mnt -o ro,user=bob");
	for (i = (int)strlen(area); i < (int)n - 1; i++)
		ck_assert_int_eq(area[i], 0);
	ck_assert_int_ne(area[n - 1], 0);
	/* strings not laid out one after another: not measured */
	{
		char gap[] = "a\0\0b";
		char *v[] = { gap, gap + 3, NULL };

		ck_assert_uint_eq(opts_argv_area(2, v), 0);
	}
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, url_full);
	tcase_add_test(tc, url_defaults_and_ipv6);
	tcase_add_test(tc, url_bad);
	tcase_add_test(tc, netrc);
	tcase_add_test(tc, opts);
	tcase_add_test(tc, opts_bad);
	tcase_add_test(tc, opts_atime_words);
	tcase_add_test(tc, opts_remount);
	tcase_add_test(tc, opts_table_defaults);
	tcase_add_test(tc, scrub);
	tcase_add_test(tc, rewrite_cmdline);
	suite_add_tcase(s, tc);
	return s;
}
