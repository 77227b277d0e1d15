/* Unit tests for linkpath: symlink targets between mount and server. */
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "linkpath.h"

static void resolves(const char *dir, const char *target, const char *want)
{
	char *got = linkpath_resolve(dir, target);

	if (!want) {
		ck_assert_msg(!got, "resolve(%s, %s) = %s, want NULL", dir,
			      target, got);
		return;
	}
	ck_assert_msg(got && !strcmp(got, want),
		      "resolve(%s, %s) = %s, want %s", dir, target,
		      got ? got : "NULL", want);
	free(got);
}

static void local(const char *root, const char *dir, const char *target,
		  const char *want)
{
	char *got = linkpath_to_local(root, dir, target);

	ck_assert_msg(got && !strcmp(got, want),
		      "to_local(%s, %s, %s) = %s, want %s", root, dir, target,
		      got ? got : "NULL", want);
	free(got);
}

START_TEST(resolve)
{
	resolves("/w_ln", "t", "/w_ln/t");
	resolves("/", "t", "/t");
	resolves("/a/b", "../c/./d", "/a/c/d");
	resolves("/a/b", "..", "/a");
	resolves("/a", "../..", NULL);	    /* above the root */
	resolves("/a/b", "/x//y/", "/x/y"); /* absolute: dir ignored */
	resolves("/a", "/", "/");
	resolves("/a", "", NULL);
	resolves("/a b", "c d", "/a b/c d");
}
END_TEST

START_TEST(to_local)
{
	/* ProFTPD stores SITE SYMLINK's source absolute */
	local("", "/w_ln", "/w_ln/t", "t");
	local("/", "/w_ln", "/w_ln/t", "t");
	local("", "/a/b", "/a/c/d", "../c/d");
	local("", "/a/b", "/", "../..");
	local("", "/a/b", "/a/b", ".");
	local("", "/a/b", "/a", "..");
	local("", "/", "/x", "x");
	/* a mount of /home/u: inside it relative, outside as it is */
	local("/home/u", "/home/u/d", "/home/u/f", "../f");
	local("/home/u", "/home/u", "/home/u/f", "f");
	local("/home/u", "/home/u/d", "/etc/passwd", "/etc/passwd");
	local("/home/u", "/home/u/d", "/home/user2/f", "/home/user2/f");
	/* relative targets are the user's own */
	local("", "/a", "../x", "../x");
	local("", "/a", "x", "x");
	ck_assert_ptr_null(linkpath_to_local("", "/a", ""));
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("linkpath");
	TCase *tc = tcase_create("paths");

	tcase_add_test(tc, resolve);
	tcase_add_test(tc, to_local);
	suite_add_tcase(s, tc);
	return s;
}
