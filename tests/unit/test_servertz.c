/* Unit tests for the server time-zone option's parser. */
#include <check.h>
#include <errno.h>

#include "check_main.h"
#include "servertz.h"

START_TEST(parse_forms)
{
	static const struct {
		const char *s;
		long off;
	} ok[] = {
		{ "UTC", 0 },
		{ "gmt", 0 },
		{ "Z", 0 },
		{ "+01", 3600 },
		{ "-05", -5 * 3600 },
		{ "+0530", 19800 },
		{ "+05:30", 19800 },
		{ "UTC+2", 7200 },
		{ "-14", -14 * 3600 },
		{ "+14:59", 14 * 3600 + 59 * 60 },
	};
	static const char *const bad[] = { "",	      "1",	"+",
					   "+15",     "+01:60", "+1:3",
					   "+01:300", "CET",	"+01x" };
	long off;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		off = 12345;
		ck_assert_msg(servertz_parse(ok[i].s, &off) == 0, "%s",
			      ok[i].s);
		ck_assert_int_eq(off, ok[i].off);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(servertz_parse(bad[i], &off) == -EINVAL, "%s",
			      bad[i]);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("servertz");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, parse_forms);
	suite_add_tcase(s, tc);
	return s;
}
