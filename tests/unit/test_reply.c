/* Unit tests for the reply parser. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "reply.h"

static struct reply_parser *p;

static void setup(void)
{
	p = reply_parser_new();
	ck_assert_ptr_nonnull(p);
}

static void teardown(void)
{
	reply_parser_free(p);
}

/* Feed s in chunks of `step` bytes; returns bytes consumed at completion,
 * or the error. */
static ssize_t feed(const char *s, size_t step)
{
	size_t off = 0, len = strlen(s);
	bool done = false;

	while (off < len) {
		size_t n = len - off < step ? len - off : step;
		ssize_t r = reply_parser_feed(p, s + off, n, &done);

		if (r < 0)
			return r;
		off += (size_t)r;
		if (done)
			return (ssize_t)off;
	}
	return -EAGAIN;
}

START_TEST(single_line)
{
	ck_assert_int_eq(feed("220 Welcome\r\n", 1000), 13);
	ck_assert_int_eq(reply_code(p), 220);
	ck_assert_str_eq(reply_text(p), "220 Welcome");
	ck_assert_str_eq(reply_first_text(p), "Welcome");
}
END_TEST

START_TEST(multi_line_bytewise)
{
	const char *s = "211-Features:\r\n MLST type*;size*;\r\n SIZE\r\n"
			"211 End\r\n";

	ck_assert_int_eq(feed(s, 1), (ssize_t)strlen(s));
	ck_assert_int_eq(reply_code(p), 211);
	ck_assert_str_eq(reply_text(p),
			 "211-Features:\n MLST type*;size*;\n SIZE\n211 End");
}
END_TEST

START_TEST(multi_line_with_fake_end)
{
	/* a line starting with another code or "211-" does not end it */
	const char *s = "211-a\r\n200 not the end\r\n211-still\r\n211 end\r\n";

	ck_assert_int_eq(feed(s, 7), (ssize_t)strlen(s));
	ck_assert_int_eq(reply_code(p), 211);
}
END_TEST

START_TEST(stops_at_reply_end)
{
	const char *s = "150 go\r\n226 done\r\n";
	bool done;
	ssize_t r = reply_parser_feed(p, s, strlen(s), &done);

	ck_assert(done);
	ck_assert_int_eq(r, 8);
	ck_assert_int_eq(reply_code(p), 150);
	reply_parser_reset(p);
	r = reply_parser_feed(p, s + 8, strlen(s) - 8, &done);
	ck_assert(done);
	ck_assert_int_eq(reply_code(p), 226);
}
END_TEST

START_TEST(bare_lf_and_code_only)
{
	ck_assert_int_eq(feed("200\n", 10), 4);
	ck_assert_int_eq(reply_code(p), 200);
	ck_assert_str_eq(reply_first_text(p), "");
}
END_TEST

START_TEST(garbage_rejected)
{
	ck_assert_int_eq(feed("hello\r\n", 100), -EPROTO);
	/* sticky */
	ck_assert_int_eq(feed("220 ok\r\n", 100), -EPROTO);
	reply_parser_reset(p);
	ck_assert_int_eq(feed("2200 x\r\n", 100), -EPROTO);
	reply_parser_reset(p);
	ck_assert_int_eq(feed("099 x\r\n", 100), -EPROTO);
	reply_parser_reset(p);
	ck_assert_int_eq(feed("22\r\n", 100), -EPROTO);
}
END_TEST

START_TEST(overlong_line)
{
	size_t n = REPLY_LINE_MAX + 10;
	char *s = malloc(n + 3);

	memset(s, 'x', n);
	memcpy(s, "220 ", 4);
	memcpy(s + n, "\r\n", 3);
	ck_assert_int_eq(feed(s, 4096), -EMSGSIZE);
	free(s);
}
END_TEST

START_TEST(endless_multiline)
{
	/* many short lines: the total bound applies */
	char line[] = "200-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n";
	bool done = false;
	ssize_t r = 0;
	int i;

	for (i = 0; i < 100000 && r >= 0; i++)
		r = reply_parser_feed(p, line, strlen(line), &done);
	ck_assert_int_eq(r, -EMSGSIZE);
	ck_assert(!done);
}
END_TEST

START_TEST(nul_and_cr_inside)
{
	const char s[] = "257 \"/a\rb\" x\0y\r\n";
	bool done;
	ssize_t r = reply_parser_feed(p, s, sizeof(s) - 1, &done);

	ck_assert(done);
	ck_assert_int_eq(r, (ssize_t)sizeof(s) - 1);
	ck_assert_str_eq(reply_text(p), "257 \"/a\rb\" x y");
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("reply");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, single_line);
	tcase_add_test(tc, multi_line_bytewise);
	tcase_add_test(tc, multi_line_with_fake_end);
	tcase_add_test(tc, stops_at_reply_end);
	tcase_add_test(tc, bare_lf_and_code_only);
	tcase_add_test(tc, garbage_rejected);
	tcase_add_test(tc, overlong_line);
	tcase_add_test(tc, endless_multiline);
	tcase_add_test(tc, nul_and_cr_inside);
	suite_add_tcase(s, tc);
	return s;
}
