/* Unit tests for status (counters, session states, the reports) and
 * control_path (the socket's name). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "control.h"
#include "status.h"

START_TEST(json_escape)
{
	char out[64];

	status_json_escape("a\"b\\c\n\x01/é", out, sizeof(out));
	ck_assert_str_eq(out, "a\\\"b\\\\c\\u000a\\u0001/é");
	/* bounded: never cut in the middle of an escape */
	status_json_escape("\n\n\n\n", out, 10);
	ck_assert_str_eq(out, "\\u000a");
}
END_TEST

static size_t three(void *ctx)
{
	(void)ctx;
	return 3;
}

START_TEST(report)
{
	char *t, *j;

	/* before init: no-ops, no report */
	status_add(ST_BYTES_IN, 5);
	ck_assert_ptr_null(status_report(false));
	ck_assert_int_eq(status_init("ftp://u@h:21/", "/mnt/x", 4), 0);
	status_set_cache_entries(three, NULL);
	status_add(ST_CACHE_HIT, 3);
	status_add(ST_CACHE_MISS, 1);
	status_add(ST_BYTES_OUT, 1000);
	status_quirk(SQ_NO_EPSV);
	status_pool_limit(2);
	status_tls("TLSv1.3", "TLS_AES_256_GCM_SHA384",
		   "system CAs and host name");
	status_sess_open(7);
	status_sess_open(8);
	status_sess_open(9);
	status_sess_xfer(7, SS_READING, "/pub/a \"b\"", 100, -1);
	status_sess_moved(7, 50);
	status_sess_xfer(8, SS_WRITING, "/pub/.ftpfs-tmp-1", 0, -1);
	status_sess_note(8, "/pub/new", 4096);
	status_sess_moved(8, 1024);
	status_sess_close(9);
	t = status_report(false);
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(strstr(t, "server: ftp://u@h:21/\n"));
	ck_assert_ptr_nonnull(strstr(
		t,
		"TLS: TLSv1.3, TLS_AES_256_GCM_SHA384, verified by system CAs and host name\n"));
	ck_assert_ptr_nonnull(
		strstr(t, "sessions: 2 open, 2 allowed of 4 asked\n"));
	ck_assert_ptr_nonnull(strstr(t, "  S7 reading /pub/a \"b\" at 150\n"));
	ck_assert_ptr_nonnull(
		strstr(t, "  S8 writing /pub/new 1024 of 4096 bytes\n"));
	ck_assert_ptr_nonnull(strstr(
		t,
		"  /pub/new: 1024 of 4096 bytes sent (as /pub/.ftpfs-tmp-1)\n"));
	ck_assert_ptr_null(strstr(t, "S9"));
	ck_assert_ptr_nonnull(strstr(t, "uploads in progress: 1\n"));
	ck_assert_ptr_nonnull(strstr(
		t, "cache: 3 entries, 3 hits, 1 misses, hit rate 75.0%\n"));
	ck_assert_ptr_nonnull(strstr(t, "bytes: 0 received, 1000 sent\n"));
	ck_assert_ptr_nonnull(strstr(t, "EPSV refused"));
	ck_assert_ptr_nonnull(strstr(t, "fewer connections allowed"));
	j = status_report(true);
	ck_assert_ptr_nonnull(j);
	ck_assert_ptr_nonnull(strstr(
		j,
		"\"path\":\"/pub/a \\\"b\\\"\",\"offset\":150,\"bytes\":50,\"total\":-1}"));
	ck_assert_ptr_nonnull(strstr(
		j,
		"\"uploads\":[{\"path\":\"/pub/new\",\"temporary\":\"/pub/.ftpfs-tmp-1\",\"sent\":1024,\"total\":4096}]"));
	ck_assert_ptr_nonnull(
		strstr(j, "\"pool\":{\"asked\":4,\"limit\":2,\"open\":2}"));
	ck_assert_ptr_nonnull(strstr(j, "\"hit_rate\":0.7500"));
	ck_assert_ptr_nonnull(strstr(j, "\"tls\":{\"version\":\"TLSv1.3\""));
	free(t);
	free(j);
	/* the transfer ends: idle, no upload */
	status_sess_idle(8);
	t = status_report(false);
	ck_assert_ptr_nonnull(strstr(t, "  S8 idle\n"));
	ck_assert_ptr_nonnull(strstr(t, "uploads in progress: 0\n"));
	free(t);
	status_fini();
	ck_assert_ptr_null(status_report(true));
}
END_TEST

START_TEST(socket_path)
{
	char a[256], b[256], longdir[300];

	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	ck_assert_int_eq(control_path("/home/al/mnt x", a, sizeof(a)), 0);
	ck_assert_int_eq(strncmp(a, "/run/user/1000/ftpfs/mnt_x-", 27), 0);
	ck_assert_ptr_nonnull(strstr(a, ".sock"));
	ck_assert_int_eq(control_path("/srv/mnt x", b, sizeof(b)), 0);
	ck_assert_str_ne(a, b); /* same last name, other mount point */
	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = '\0';
	setenv("XDG_RUNTIME_DIR", longdir, 1);
	ck_assert_int_eq(control_path("/m", a, 108), -ENAMETOOLONG);
	unsetenv("XDG_RUNTIME_DIR");
	if (geteuid() == 0) {
		ck_assert_int_eq(control_path("/m", a, sizeof(a)), 0);
		ck_assert_int_eq(strncmp(a, "/run/ftpfs/m-", 13), 0);
	} else {
		ck_assert_int_eq(control_path("/m", a, sizeof(a)), -ENOENT);
	}
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, json_escape);
	tcase_add_test(tc, report);
	tcase_add_test(tc, socket_path);
	suite_add_tcase(s, tc);
	return s;
}
