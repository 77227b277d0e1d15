/* Unit tests for the charset conversion. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "charset.h"

START_TEST(cp1251_both_ways)
{
	struct charset *cs;
	char *l, *srv;

	ck_assert_int_eq(charset_new("CP1251", NULL, &cs), 0);
	ck_assert_int_eq(charset_to_local(cs, "\xcf\xf0\xe8\xe2\xe5\xf2", &l),
			 0);
	ck_assert_str_eq(l, "Привет");
	ck_assert_int_eq(charset_to_server(cs, l, &srv), 0);
	ck_assert_str_eq(srv, "\xcf\xf0\xe8\xe2\xe5\xf2");
	free(l);
	free(srv);
	/* a path keeps its slashes */
	ck_assert_int_eq(charset_to_server(cs, "/a/Привет/b", &srv), 0);
	ck_assert_str_eq(srv, "/a/\xcf\xf0\xe8\xe2\xe5\xf2/b");
	free(srv);
	/* no CP1251 form: refused, not mangled */
	ck_assert_int_eq(charset_to_server(cs, "日本", &srv), -EILSEQ);
	/* not UTF-8 at all */
	ck_assert_int_eq(charset_to_server(cs, "\xff\xfe", &srv), -EILSEQ);
	charset_free(cs);
}
END_TEST

START_TEST(shift_jis_and_unknown)
{
	struct charset *cs;
	char *l;

	ck_assert_int_eq(charset_new("SHIFT_JIS", "UTF-8", &cs), 0);
	ck_assert_int_eq(charset_to_local(cs, "\x93\xfa\x96\x7b", &l), 0);
	ck_assert_str_eq(l, "日本");
	free(l);
	/* a truncated double-byte character */
	ck_assert_int_eq(charset_to_local(cs, "\x93", &l), -EILSEQ);
	charset_free(cs);
	ck_assert_int_eq(charset_new("NO-SUCH-CHARSET", NULL, &cs), -EINVAL);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("charset");
	TCase *tc = tcase_create("iconv");

	tcase_add_test(tc, cp1251_both_ways);
	tcase_add_test(tc, shift_jis_and_unknown);
	suite_add_tcase(s, tc);
	return s;
}
