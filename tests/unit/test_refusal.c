/* Unit tests for the refusal -> errno table (refusal.c). */
#include <check.h>
#include <errno.h>

#include "check_main.h"
#include "refusal.h"

/* The errno op's failure r gives when the fresh lookup finds found. */
static int judged(enum refusal_op op, int r, enum refusal_found found)
{
	if (refusal_look(op, r) == RF_LOOK_NONE)
		found = RF_NOT_ASKED;
	return refusal_errno(op, r, found, false);
}

START_TEST(mkdir_refused)
{
	/* 550: there after all -> EEXIST; not there -> EACCES */
	ck_assert_int_eq(refusal_look(RF_MKDIR, -ENOENT), RF_LOOK_NAME);
	ck_assert_int_eq(judged(RF_MKDIR, -ENOENT, RF_EXISTS), -EEXIST);
	ck_assert_int_eq(judged(RF_MKDIR, -ENOENT, RF_MISSING), -EACCES);
	ck_assert_int_eq(judged(RF_MKDIR, -EIO, RF_EXISTS), -EEXIST);
	ck_assert_int_eq(judged(RF_MKDIR, -EIO, RF_MISSING), -EIO);
	ck_assert_int_eq(refusal_errno(RF_MKDIR, 0, RF_NOT_ASKED, false), 0);
}
END_TEST

START_TEST(enoent_only_rows)
{
	static const enum refusal_op ops[] = { RF_LIST, RF_READ, RF_UNLINK,
					       RF_RENAME };
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		ck_assert_int_eq(judged(ops[i], -ENOENT, RF_EXISTS), -EACCES);
		ck_assert_int_eq(judged(ops[i], -ENOENT, RF_MISSING), -ENOENT);
		ck_assert_int_eq(refusal_look(ops[i], -EACCES), RF_LOOK_NONE);
		ck_assert_int_eq(judged(ops[i], -EAGAIN, RF_EXISTS), -EAGAIN);
	}
	/* a listing too long is EIO, never looked behind */
	ck_assert_int_eq(refusal_look(RF_LIST, -EMFILE), RF_LOOK_NONE);
	ck_assert_int_eq(judged(RF_LIST, -EMFILE, RF_EXISTS), -EIO);
	ck_assert_int_eq(judged(RF_LOOKUP, -ENOTDIR, RF_NOT_ASKED), -ENOENT);
}
END_TEST

START_TEST(rmdir_and_rename_over)
{
	ck_assert_int_eq(refusal_look(RF_RMDIR, -ENOENT), RF_LOOK_CHILDREN);
	ck_assert_int_eq(refusal_look(RF_RMDIR, -EIO), RF_LOOK_NONE);
	ck_assert_int_eq(judged(RF_RMDIR, -ENOENT, RF_NOT_EMPTY), -ENOTEMPTY);
	ck_assert_int_eq(judged(RF_RMDIR, -EACCES, RF_NOT_EMPTY), -ENOTEMPTY);
	ck_assert_int_eq(judged(RF_RMDIR, -ENOENT, RF_EXISTS), -EACCES);
	ck_assert_int_eq(judged(RF_RMDIR, -EACCES, RF_EXISTS), -EACCES);
	ck_assert_int_eq(judged(RF_RMDIR, -ENOENT, RF_MISSING), -ENOENT);
	ck_assert_int_eq(refusal_look(RF_RENAME_OVER, -ENOENT),
			 RF_LOOK_CHILDREN);
	ck_assert_int_eq(refusal_look(RF_RENAME_OVER, -EIO), RF_LOOK_NONE);
	ck_assert_int_eq(judged(RF_RENAME_OVER, -ENOENT, RF_NOT_EMPTY),
			 -ENOTEMPTY);
}
END_TEST

START_TEST(symlink_and_attributes)
{
	ck_assert_int_eq(refusal_look(RF_SYMLINK, -EPERM), RF_LOOK_NONE);
	ck_assert_int_eq(refusal_look(RF_SYMLINK, -EINVAL), RF_LOOK_NONE);
	ck_assert_int_eq(judged(RF_SYMLINK, -EACCES, RF_EXISTS), -EEXIST);
	ck_assert_int_eq(judged(RF_SYMLINK, -EACCES, RF_MISSING), -EACCES);
	ck_assert_int_eq(judged(RF_CHMOD, -ENOENT, RF_EXISTS), -EPERM);
	ck_assert_int_eq(refusal_errno(RF_CHMOD, -EPERM, RF_NOT_ASKED, true),
			 0);
	ck_assert_int_eq(judged(RF_MTIME, -ENOENT, RF_EXISTS), -EPERM);
	ck_assert_int_eq(judged(RF_MTIME_DIR, -ENOENT, RF_EXISTS), 0);
	ck_assert_int_eq(judged(RF_MTIME_DIR, -ENOENT, RF_MISSING), -ENOENT);
	ck_assert_int_eq(judged(RF_CHOWN, -EPERM, RF_NOT_ASKED), -EPERM);
	ck_assert_int_eq(refusal_errno(RF_CHOWN, -EPERM, RF_NOT_ASKED, true),
			 0);
	ck_assert_int_eq(judged(RF_CHECKSUM, -EOPNOTSUPP, RF_NOT_ASKED),
			 -ENODATA);
}
END_TEST

START_TEST(sent_on_a_broken_session)
{
	ck_assert_int_eq(refusal_sent(-ENOENT, true), -EIO);
	ck_assert_int_eq(refusal_sent(-ENAMETOOLONG, true), -ENAMETOOLONG);
	ck_assert_int_eq(refusal_sent(-ENOENT, false), -ENOENT);
	ck_assert_int_eq(refusal_sent(-ECONNRESET, false), -EIO);
	ck_assert_int_eq(refusal_sent(0, true), 0);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("refusal");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, mkdir_refused);
	tcase_add_test(tc, enoent_only_rows);
	tcase_add_test(tc, rmdir_and_rename_over);
	tcase_add_test(tc, symlink_and_attributes);
	tcase_add_test(tc, sent_on_a_broken_session);
	suite_add_tcase(s, tc);
	return s;
}
