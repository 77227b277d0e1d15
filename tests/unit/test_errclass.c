/* Unit tests for errclass: the classes give exactly the three errno lists
 * that session.c and pool.c kept before them, and the reply code table
 * the codes session_code_errno() gave. */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "check_main.h"
#include "errclass.h"
#include "session.h"

/* The lists as they were (session.c fail(), session_user_errno(), pool.c
 * transient()), kept here to compare against. */
static bool old_breaks(int err)
{
	return err == -ETIMEDOUT || err == -ECONNRESET || err == -EPIPE ||
	       err == -EPROTO || err == -EMSGSIZE || err == -ECONNABORTED ||
	       err == -ENOTCONN || err == -EIO;
}

static int old_user(int r)
{
	switch (r) {
	case -ECONNRESET:
	case -ECONNABORTED:
	case -ECONNREFUSED:
	case -ENOTCONN:
	case -EPIPE:
	case -EPROTO:
	case -EMSGSIZE:
	case -ESHUTDOWN:
	case -EHOSTUNREACH:
	case -ENETUNREACH:
		return -EIO;
	default:
		return r;
	}
}

static bool old_transient(int r)
{
	return r == -ENOENT || r == -ECONNREFUSED || r == -ETIMEDOUT ||
	       r == -ECONNRESET || r == -EHOSTUNREACH || r == -ENETUNREACH ||
	       r == -EPROTO || r == -ENOTCONN || r == -ECONNABORTED ||
	       r == -EAGAIN || r == -EPIPE;
}

static int old_code_errno(int code, bool upload)
{
	if (code < 400)
		return 0;
	if (upload && (code == 550 || code == 553))
		return -EACCES;
	switch (code) {
	case 421:
		return -ECONNRESET;
	case 450:
		return -EBUSY;
	case 452:
	case 552:
		return -ENOSPC;
	case 530:
	case 532:
	case 553:
		return -EACCES;
	case 550:
		return -ENOENT;
	case 500:
	case 502:
	case 504:
		return -EOPNOTSUPP;
	case 501:
		return -EINVAL;
	default:
		return -EIO;
	}
}

START_TEST(lists_as_before)
{
	int r;

	/* every errno there is (Linux has fewer than 200), and successes */
	for (r = -300; r <= 300; r++) {
		ck_assert_msg(err_breaks_session(r) == old_breaks(r),
			      "breaks(%d) class %s", r,
			      err_class_name(err_classify(r)));
		ck_assert_msg(err_user(r) == old_user(r), "user(%d)", r);
		ck_assert_msg(session_user_errno(r) == old_user(r),
			      "session_user_errno(%d)", r);
		ck_assert_msg(err_transient(r) == old_transient(r),
			      "transient(%d) class %s", r,
			      err_class_name(err_classify(r)));
	}
}
END_TEST

START_TEST(classes)
{
	static const struct {
		int r;
		enum err_class c;
	} want[] = {
		{ 0, ERR_NONE },
		{ 5, ERR_NONE },
		{ -ECONNRESET, ERR_CONN_LOST },
		{ -ECONNABORTED, ERR_CONN_LOST },
		{ -ENOTCONN, ERR_CONN_LOST },
		{ -EPIPE, ERR_CONN_LOST },
		{ -EPROTO, ERR_CONN_LOST },
		{ -ETIMEDOUT, ERR_TIMEOUT },
		{ -EMSGSIZE, ERR_GARBLED },
		{ -EIO, ERR_GAVE_UP },
		{ -ECONNREFUSED, ERR_UNREACHABLE },
		{ -EHOSTUNREACH, ERR_UNREACHABLE },
		{ -ENETUNREACH, ERR_UNREACHABLE },
		{ -ESHUTDOWN, ERR_STOPPING },
		{ -EAGAIN, ERR_NOT_YET },
		{ -ENOENT, ERR_NOT_YET },
		{ -EACCES, ERR_REFUSED },
		{ -ENOSPC, ERR_REFUSED },
		{ -EOPNOTSUPP, ERR_REFUSED },
		{ -ENAMETOOLONG, ERR_REFUSED },
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(err_classify(want[i].r) == want[i].c,
			      "classify(%d) = %s, want %s", want[i].r,
			      err_class_name(err_classify(want[i].r)),
			      err_class_name(want[i].c));
	for (i = 0; i < ERR_CLASS_N; i++)
		ck_assert_str_ne(err_class_name((enum err_class)i), "?");
	ck_assert_str_eq(err_class_name(ERR_CLASS_N), "?");
}
END_TEST

START_TEST(reply_codes_as_before)
{
	int code;

	for (code = 0; code < 1000; code++)
		for (int up = 0; up < 2; up++) {
			ck_assert_msg(err_reply_errno(code, up) ==
					      old_code_errno(code, up),
				      "code %d upload %d", code, up);
			ck_assert_int_eq(session_code_errno(code, up),
					 old_code_errno(code, up));
		}
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("errclass");
	TCase *tc = tcase_create("policy");

	tcase_add_test(tc, lists_as_before);
	tcase_add_test(tc, classes);
	tcase_add_test(tc, reply_codes_as_before);
	suite_add_tcase(s, tc);
	return s;
}
