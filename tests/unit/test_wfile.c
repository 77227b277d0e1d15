/* Unit tests for the write node (wfile) against a small fake FTP server.
 *
 * The server keeps its files in memory, one thread per connection, and
 * speaks what an upload needs: login, FEAT (SIZE, REST STREAM), EPSV,
 * STOR/APPE (after REST: at that offset), RETR, SIZE, DELE, RNFR/RNTO.
 * It logs every command, so a test reads what the node sent, in order.
 * Faults on demand: break_at (the next STOR's connections are cut after
 * that many bytes, as a server restart does), fail_stor (552 after the
 * data). The node's state changes are read from its -d trace.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_main.h"
#include "fake_ftp.h"
#include "log.h"
#include "pool.h"
#include "wfile.h"

#define NFILES 32

static struct {
	char name[256];
	char *data;
	size_t len;
	bool used;
} files[NFILES];
static pthread_mutex_t files_lock = PTHREAD_MUTEX_INITIALIZER;
static char cmdlog[65536];
static size_t cmdlog_len;
static atomic_long break_at;	/* > 0: cut the next STOR after this many */
static atomic_bool fail_stor;	/* 552 after the data of every STOR */
static atomic_int slow_rnto_ms; /* > 0: RNTO answered this late */
static atomic_bool rnto_seen;	/* an RNTO arrived */

static int lfd, port;
static pthread_t acceptor;
static char portstr[16];
static struct session_cfg scfg;
static struct pool *pool;
static struct wfile_table *tab;
static FILE *trace;
static int saved_stderr = -1;

/* --- the server's files ------------------------------------------------ */

static int file_find(const char *name)
{
	int i;

	for (i = 0; i < NFILES; i++)
		if (files[i].used && !strcmp(files[i].name, name))
			return i;
	return -1;
}

/* Write data at off (-1: at the end) into name, made where missing. */
static void file_put(const char *name, const char *data, size_t len,
		     int64_t off)
{
	int i;

	pthread_mutex_lock(&files_lock);
	i = file_find(name);
	for (int j = 0; i < 0 && j < NFILES; j++)
		if (!files[j].used) {
			i = j;
			files[i].used = true;
			snprintf(files[i].name, sizeof(files[i].name), "%s",
				 name);
			files[i].data = NULL;
			files[i].len = 0;
		}
	ck_assert_int_ge(i, 0);
	if (off < 0)
		off = (int64_t)files[i].len;
	if ((size_t)off > files[i].len)
		off = (int64_t)files[i].len;
	files[i].data = realloc(files[i].data, (size_t)off + len + 1);
	memcpy(files[i].data + off, data, len);
	files[i].len = (size_t)off + len;
	pthread_mutex_unlock(&files_lock);
}

/* A copy of name's contents (NULL: missing), *len its length. */
static char *file_get(const char *name, size_t *len)
{
	char *c = NULL;
	int i;

	pthread_mutex_lock(&files_lock);
	i = file_find(name);
	if (i >= 0) {
		c = malloc(files[i].len + 1);
		memcpy(c, files[i].data, files[i].len);
		c[files[i].len] = '\0';
		*len = files[i].len;
	}
	pthread_mutex_unlock(&files_lock);
	return c;
}

/* Files whose name starts with prefix. */
static int files_named(const char *prefix)
{
	int i, n = 0;

	pthread_mutex_lock(&files_lock);
	for (i = 0; i < NFILES; i++)
		n += files[i].used &&
		     !strncmp(files[i].name, prefix, strlen(prefix));
	pthread_mutex_unlock(&files_lock);
	return n;
}

static void log_cmd(const char *line)
{
	size_t l = strlen(line);

	pthread_mutex_lock(&files_lock);
	if (cmdlog_len + l + 2 < sizeof(cmdlog)) {
		memcpy(cmdlog + cmdlog_len, line, l);
		cmdlog[cmdlog_len + l] = '\n';
		cmdlog_len += l + 1;
		cmdlog[cmdlog_len] = '\0';
	}
	pthread_mutex_unlock(&files_lock);
}

/* --- the server --------------------------------------------------------- */

/* STOR or APPE of name on the data listener dl. -1: cut (break_at). */
static int do_store(int fd, int dl, const char *name, int64_t rest, bool append)
{
	int d = accept(dl, NULL, NULL);
	long brk = atomic_load(&break_at);
	size_t cap = 1 << 16, got = 0;
	char *buf = malloc(cap);
	ssize_t n;

	close(dl);
	fake_say(fd, "150 send it\r\n");
	for (;;) {
		size_t want = cap - got;

		if (brk > 0 && (long)(got + want) > brk)
			want = (size_t)brk - got;
		if (want == 0 && brk > 0 && (long)got >= brk)
			break;
		n = read(d, buf + got, want);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == cap)
			buf = realloc(buf, cap *= 2);
	}
	file_put(name, buf, got, append ? -1 : rest);
	free(buf);
	if (brk > 0 && (long)got >= brk) {
		atomic_store(&break_at, 0);
		close(d); /* unread data: a reset */
		return -1;
	}
	close(d);
	fake_say(fd, atomic_load(&fail_stor) ? "552 quota exceeded\r\n"
					     : "226 stored\r\n");
	return 0;
}

static void do_retr(int fd, int dl, const char *name)
{
	size_t len;
	char *c = file_get(name, &len);
	int d;

	if (!c) {
		close(dl);
		fake_say(fd, "550 no such file\r\n");
		return;
	}
	d = accept(dl, NULL, NULL);
	close(dl);
	fake_say(fd, "150 here\r\n");
	if (write(d, c, len) < 0)
		len = 0;
	close(d);
	free(c);
	fake_say(fd, "226 sent\r\n");
}

static void do_size(int fd, const char *name)
{
	char buf[64];
	size_t len;
	char *c = file_get(name, &len);

	if (!c) {
		fake_say(fd, "550 no such file\r\n");
		return;
	}
	snprintf(buf, sizeof(buf), "213 %zu\r\n", len);
	fake_say(fd, buf);
	free(c);
}

static void do_rename(const char *from, const char *to)
{
	int i;

	pthread_mutex_lock(&files_lock);
	i = file_find(to);
	if (i >= 0) {
		free(files[i].data);
		files[i].used = false;
	}
	i = file_find(from);
	if (i >= 0)
		snprintf(files[i].name, sizeof(files[i].name), "%s", to);
	pthread_mutex_unlock(&files_lock);
}

static bool do_delete(const char *name)
{
	int i;

	pthread_mutex_lock(&files_lock);
	i = file_find(name);
	if (i >= 0) {
		free(files[i].data);
		files[i].used = false;
	}
	pthread_mutex_unlock(&files_lock);
	return i >= 0;
}

static bool is(const char *line, const char *cmd)
{
	return !strncmp(line, cmd, strlen(cmd));
}

static void *conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg, dl = -1, dport = 0;
	char line[1024], rnfr[256] = "", buf[128];
	int64_t rest = 0;

	fake_say(fd, "220 fake upload server\r\n");
	while (fake_read_line(fd, line, sizeof(line)) == 0) {
		const char *a = strchr(line, ' ') ? strchr(line, ' ') + 1 : "";

		log_cmd(line);
		if (is(line, "USER")) {
			fake_say(fd, "331 pw\r\n");
		} else if (is(line, "PASS")) {
			fake_say(fd, "230 in\r\n");
		} else if (is(line, "FEAT")) {
			fake_say(
				fd,
				"211-x\r\n SIZE\r\n REST STREAM\r\n211 End\r\n");
		} else if (is(line, "PWD")) {
			fake_say(fd, "257 \"/\"\r\n");
		} else if (is(line, "EPSV")) {
			dl = fake_listen(&dport);
			snprintf(
				buf, sizeof(buf),
				"229 Entering Extended Passive Mode (|||%d|)\r\n",
				dport);
			fake_say(fd, buf);
		} else if (is(line, "REST")) {
			rest = strtoll(a, NULL, 10);
			fake_say(fd, "350 restarting\r\n");
		} else if (is(line, "STOR") || is(line, "APPE")) {
			if (do_store(fd, dl, a, rest, is(line, "APPE")) < 0)
				break; /* as a server that restarts */
			dl = -1;
			rest = 0;
		} else if (is(line, "RETR")) {
			do_retr(fd, dl, a);
			dl = -1;
		} else if (is(line, "SIZE")) {
			do_size(fd, a);
		} else if (is(line, "DELE")) {
			fake_say(fd, do_delete(a) ? "250 gone\r\n"
						  : "550 no such file\r\n");
		} else if (is(line, "RNFR")) {
			snprintf(rnfr, sizeof(rnfr), "%s", a);
			pthread_mutex_lock(&files_lock);
			fake_say(fd, file_find(a) >= 0
					     ? "350 go on\r\n"
					     : "550 no such file\r\n");
			pthread_mutex_unlock(&files_lock);
		} else if (is(line, "RNTO")) {
			atomic_store(&rnto_seen, true);
			if (atomic_load(&slow_rnto_ms))
				usleep(1000 *
				       (useconds_t)atomic_load(&slow_rnto_ms));
			do_rename(rnfr, a);
			fake_say(fd, "250 renamed\r\n");
		} else if (is(line, "QUIT")) {
			fake_say(fd, "221 bye\r\n");
			break;
		} else {
			fake_say(fd, "200 ok\r\n");
		}
	}
	if (dl >= 0)
		close(dl);
	close(fd);
	return NULL;
}

/* --- fixture ------------------------------------------------------------ */

static void setup(void)
{
	struct pool_cfg pc = { .max_sessions = 4, .park_ms = 60000 };
	char err[256];

	lfd = fake_listen(&port);
	snprintf(portstr, sizeof(portstr), "%d", port);
	scfg = (struct session_cfg){ .host = "127.0.0.1",
				     .port = portstr,
				     .path = "",
				     .timeout_ms = 3000 };
	ck_assert_int_eq(fake_serve(lfd, conn_main, &acceptor), 0);
	ck_assert_int_eq(pool_new(&scfg, &pc, &pool, err, sizeof(err)), 0);
	ck_assert_int_eq(pool_start(pool), 0);
	ck_assert_int_eq(wfile_table_new(pool, "/tmp", 1 << 30, false, &tab),
			 0);
	/* the node's -d trace, read back by trace_has */
	trace = tmpfile();
	fflush(stderr);
	saved_stderr = dup(2);
	dup2(fileno(trace), 2);
	log_set_debug(true);
}

static void teardown(void)
{
	wfile_table_free(tab);
	pool_free(pool);
	shutdown(lfd, SHUT_RDWR);
	close(lfd);
	pthread_join(acceptor, NULL);
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	fclose(trace);
}

/* s1, s2, ... (NULL-terminated) occur in text in this order. */
static bool in_order(const char *text, ...)
{
	const char *at = text, *s;
	va_list ap;
	bool ok = true;

	va_start(ap, text);
	while (ok && (s = va_arg(ap, const char *))) {
		at = strstr(at, s);
		ok = at != NULL;
		if (ok)
			at += strlen(s);
	}
	va_end(ap);
	return ok;
}

static const char *commands(void)
{
	return cmdlog;
}

/* The trace so far (the -d lines of the whole test). */
static const char *traced(void)
{
	static char buf[1 << 16];
	size_t n;

	fflush(stderr);
	n = (size_t)pread(fileno(trace), buf, sizeof(buf) - 1, 0);
	buf[n < sizeof(buf) ? n : 0] = '\0';
	return buf;
}

static void assert_file(const char *name, const char *want, size_t len)
{
	size_t got_len = 0;
	char *got = file_get(name, &got_len);

	ck_assert_msg(got != NULL, "%s missing on the server", name);
	ck_assert_uint_eq(got_len, len);
	ck_assert(memcmp(got, want, len) == 0);
	free(got);
}

/* A node for path (the same name on the server), opened as asked. */
static struct wnode *node_open(const char *path, enum wfile_how how, bool rdwr,
			       int64_t size)
{
	struct wnode *w = NULL;

	ck_assert_int_eq(wfile_open(tab, path, path, how, rdwr, size, 0, &w),
			 0);
	return w;
}

/* --- tests -------------------------------------------------------------- */

START_TEST(create_write_release_stores_tmp_then_renames)
{
	struct wnode *w;

	w = node_open("/a", WF_NEW, false, 0);
	ck_assert(wfile_unwritten(w));
	ck_assert_int_eq(wfile_write(w, "hello", 5, 0), 5);
	ck_assert(!wfile_unwritten(w));
	ck_assert_int_eq(wfile_release(w), 0);
	assert_file("/a", "hello", 5);
	ck_assert_int_eq(files_named("/" WFILE_TMP_PREFIX), 0);
	ck_assert_msg(in_order(commands(), "STOR /" WFILE_TMP_PREFIX,
			       "RNFR /" WFILE_TMP_PREFIX, "RNTO /a", NULL),
		      "%s", commands());
	ck_assert_msg(in_order(traced(), "/a: (new) -> STREAM_NEW",
			       "/a: STREAM_NEW -> STREAMING",
			       "/a: STREAMING -> SPOOL_REMOTE", NULL),
		      "%s", traced());
}
END_TEST

struct release_arg {
	struct wnode *w;
	int r;
};

static void *release_main(void *arg)
{
	struct release_arg *a = arg;

	a->r = wfile_release(a->w);
	return NULL;
}

/* A handle that joins a node while its last release commits (open for
 * reading finds it) and goes again before the commit ends: the node is
 * freed once, by the committing release, and the file is saved. (Both
 * releases once took themselves for the last and freed it twice: a crash
 * under TSan in nothing-lost.) */
START_TEST(join_and_leave_during_the_last_release)
{
	struct release_arg a = { 0 };
	struct wnode *w2;
	pthread_t t;

	a.w = node_open("/j", WF_NEW, false, 0);
	ck_assert_int_eq(wfile_write(a.w, "joined", 6, 0), 6);
	atomic_store(&slow_rnto_ms, 500);
	atomic_store(&rnto_seen, false);
	pthread_create(&t, NULL, release_main, &a);
	while (!atomic_load(&rnto_seen))
		usleep(1000);
	w2 = wfile_find(tab, "/j"); /* still in the table: it commits */
	ck_assert_ptr_eq(w2, a.w);
	ck_assert_int_eq(wfile_release(w2), 0);
	pthread_join(t, NULL);
	atomic_store(&slow_rnto_ms, 0);
	ck_assert_int_eq(a.r, 0);
	assert_file("/j", "joined", 6);
	ck_assert_ptr_null(wfile_find(tab, "/j"));
}
END_TEST

START_TEST(snapshot_while_streaming)
{
	struct wnode *w;
	int64_t size = 0;
	time_t mtime;
	mode_t mode;

	w = node_open("/s", WF_NEW, false, 0);
	ck_assert_int_eq(wfile_write(w, "12345678", 8, 0), 8);
	ck_assert_int_eq(wfile_stat(tab, "/s", &size, &mtime, &mode), 1);
	ck_assert_int_eq(size, 8);
	ck_assert(wfile_pending(w));
	ck_assert_int_eq(wfile_flush(w), 0);
	ck_assert(!wfile_pending(w));
	ck_assert_int_eq(wfile_stat(tab, "/s", &size, &mtime, &mode), 0);
	ck_assert_int_eq(wfile_release(w), 0);
	assert_file("/s", "12345678", 8);
}
END_TEST

START_TEST(append_uses_appe)
{
	struct wnode *w;

	file_put("/b", "abc", 3, 0);
	w = node_open("/b", WF_APPEND, false, 3);
	ck_assert_int_eq(wfile_write(w, "def", 3, -1), 3);
	ck_assert_int_eq(wfile_release(w), 0);
	assert_file("/b", "abcdef", 6);
	ck_assert_msg(in_order(commands(), "APPE /b", NULL), "%s", commands());
	ck_assert_msg(strstr(commands(), "STOR") == NULL, "%s", commands());
	ck_assert_msg(in_order(traced(), "/b: (new) -> APPEND_IDLE",
			       "/b: APPEND_IDLE -> APPENDING",
			       "/b: APPENDING -> APPEND_IDLE", NULL),
		      "%s", traced());
}
END_TEST

START_TEST(broken_stor_resumes_with_size_rest_stor)
{
	enum { LEN = 1 << 20, CHUNK = 1 << 16 };
	char *data = malloc(LEN);
	struct wnode *w;
	int i;

	for (i = 0; i < LEN; i++)
		data[i] = (char)(i * 7 + i / 4096);
	atomic_store(&break_at, 256 * 1024);
	w = node_open("/big", WF_NEW, false, 0);
	for (i = 0; i < LEN; i += CHUNK)
		ck_assert_int_eq(wfile_write(w, data + i, CHUNK, i), CHUNK);
	ck_assert_int_eq(wfile_release(w), 0);
	assert_file("/big", data, LEN);
	ck_assert_int_eq(files_named("/" WFILE_TMP_PREFIX), 0);
	ck_assert_msg(in_order(commands(), "STOR /" WFILE_TMP_PREFIX,
			       "SIZE /" WFILE_TMP_PREFIX, "REST 262144",
			       "STOR /" WFILE_TMP_PREFIX, "RNFR", "RNTO /big",
			       NULL),
		      "%s", commands());
	ck_assert_msg(strstr(traced(), "LOST") == NULL, "%s", traced());
	free(data);
}
END_TEST

START_TEST(failed_upload_deletes_its_temporary)
{
	struct wnode *w;

	file_put("/old", "old contents", 12, 0);
	atomic_store(&fail_stor, true);
	w = node_open("/old", WF_TRUNC, false, 0);
	ck_assert_int_eq(wfile_write(w, "new", 3, 0), 3);
	ck_assert_int_lt(wfile_flush(w), 0);
	/* the data is gone: every later write and flush fails */
	ck_assert_int_lt(wfile_write(w, "more", 4, 3), 0);
	ck_assert_int_lt(wfile_release(w), 0);
	assert_file("/old", "old contents", 12);
	ck_assert_int_eq(files_named("/" WFILE_TMP_PREFIX), 0);
	ck_assert_msg(in_order(commands(), "STOR /" WFILE_TMP_PREFIX,
			       "DELE /" WFILE_TMP_PREFIX, NULL),
		      "%s", commands());
	ck_assert_msg(strstr(commands(), "RNFR") == NULL, "%s", commands());
	ck_assert_msg(in_order(traced(), "/old: STREAM_NEW -> STREAMING",
			       "/old: STREAMING -> LOST_REMOTE", NULL),
		      "%s", traced());
}
END_TEST

START_TEST(read_while_streaming_commits_then_spools)
{
	struct wnode *w;
	char buf[16] = "";

	w = node_open("/r", WF_NEW, false, 0);
	ck_assert_int_eq(wfile_write(w, "abcdef", 6, 0), 6);
	ck_assert_int_eq(wfile_read(w, buf, sizeof(buf), 0), 6);
	ck_assert(memcmp(buf, "abcdef", 6) == 0);
	ck_assert_int_eq(wfile_write(w, "XY", 2, 1), 2); /* out of order */
	ck_assert_int_eq(wfile_release(w), 0);
	assert_file("/r", "aXYdef", 6);
	ck_assert_msg(in_order(commands(), "STOR /" WFILE_TMP_PREFIX, "RNTO /r",
			       "RETR /r", "STOR /" WFILE_TMP_PREFIX, "RNTO /r",
			       NULL),
		      "%s", commands());
	ck_assert_msg(in_order(traced(), "/r: STREAMING -> SPOOL_REMOTE",
			       "/r: SPOOL_REMOTE -> SPOOL_CLEAN",
			       "/r: SPOOL_CLEAN -> SPOOL_DIRTY",
			       "/r: SPOOL_DIRTY -> SPOOL_CLEAN", NULL),
		      "%s", traced());
}
END_TEST

START_TEST(update_fetches_then_uploads_the_spool)
{
	struct wnode *w;

	file_put("/u", "0123456789", 10, 0);
	w = node_open("/u", WF_UPDATE, true, 10);
	ck_assert_int_eq(wfile_write(w, "ab", 2, 4), 2);
	ck_assert_int_eq(wfile_truncate(w, 8), 0);
	ck_assert_int_eq(wfile_release(w), 0);
	assert_file("/u", "0123ab67", 8);
	ck_assert_msg(in_order(commands(), "RETR /u", "STOR /" WFILE_TMP_PREFIX,
			       "RNTO /u", NULL),
		      "%s", commands());
	ck_assert_msg(in_order(traced(), "/u: (new) -> SPOOL_REMOTE",
			       "/u: SPOOL_REMOTE -> SPOOL_CLEAN",
			       "/u: SPOOL_CLEAN -> SPOOL_DIRTY",
			       "/u: SPOOL_DIRTY -> SPOOL_CLEAN", NULL),
		      "%s", traced());
}
END_TEST

START_TEST(broken_appe_resumes_with_size_appe)
{
	enum { LEN = 1 << 20, CHUNK = 1 << 16 };
	char *data = malloc(LEN + 3);
	struct wnode *w;
	int i;

	memcpy(data, "abc", 3);
	for (i = 0; i < LEN; i++)
		data[3 + i] = (char)(i * 5 + i / 1000);
	file_put("/ap", "abc", 3, 0);
	atomic_store(&break_at, 256 * 1024);
	w = node_open("/ap", WF_APPEND, false, 3);
	for (i = 0; i < LEN; i += CHUNK)
		ck_assert_int_eq(wfile_write(w, data + 3 + i, CHUNK, -1),
				 CHUNK);
	ck_assert_int_eq(wfile_release(w), 0);
	/* the part that arrived, then the rest from the window: no byte
	 * twice, none lost */
	assert_file("/ap", data, LEN + 3);
	ck_assert_msg(in_order(commands(), "APPE /ap", "SIZE /ap", "APPE /ap",
			       NULL),
		      "%s", commands());
	ck_assert_msg(strstr(commands(), "STOR") == NULL, "%s", commands());
	ck_assert_msg(strstr(traced(), "LOST") == NULL, "%s", traced());
	ck_assert_msg(in_order(traced(), "/ap: APPEND_IDLE -> APPENDING",
			       "/ap: APPENDING -> APPEND_IDLE", NULL),
		      "%s", traced());
	free(data);
}
END_TEST

START_TEST(stop_rolls_a_stream_back_and_deletes_its_temporary)
{
	struct wnode *w;

	file_put("/k", "keep me", 7, 0);
	w = node_open("/k", WF_TRUNC, false, 0);
	ck_assert_int_eq(wfile_write(w, "part", 4, 0), 4);
	wfile_table_stop(tab); /* SIGTERM with the file still open */
	ck_assert_int_eq(wfile_release(w), -EIO);
	assert_file("/k", "keep me", 7);
	ck_assert_int_eq(files_named("/" WFILE_TMP_PREFIX), 0);
	ck_assert_msg(in_order(commands(), "STOR /" WFILE_TMP_PREFIX,
			       "DELE /" WFILE_TMP_PREFIX, NULL),
		      "%s", commands());
	ck_assert_msg(strstr(commands(), "RNFR") == NULL, "%s", commands());
	ck_assert_msg(in_order(traced(), "/k: STREAM_NEW -> STREAMING",
			       "/k: STREAMING -> LOST_", NULL),
		      "%s", traced());
}
END_TEST

START_TEST(chmod_while_streaming_goes_to_the_temporary)
{
	struct wnode *w;
	mode_t m = 0600;

	w = node_open("/c", WF_NEW, false, 0);
	ck_assert_int_eq(wfile_write(w, "secret", 6, 0), 6);
	/* from a session of its own: the stream's carries the STOR */
	ck_assert_int_eq(wfile_defer_attr(w, NULL, &m), 1);
	ck_assert_int_eq(wfile_write(w, "!", 1, 6), 1);
	ck_assert_int_eq(wfile_release(w), 0);
	assert_file("/c", "secret!", 7);
	ck_assert_msg(in_order(commands(), "STOR /" WFILE_TMP_PREFIX,
			       "SITE CHMOD 600 /" WFILE_TMP_PREFIX, "RNFR",
			       "RNTO /c", NULL),
		      "%s", commands());
	/* set on the temporary, not again on the file */
	ck_assert_msg(strstr(commands(), "SITE CHMOD 600 /c") == NULL, "%s",
		      commands());
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("wfile");
	TCase *tc = tcase_create("fake-server");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, create_write_release_stores_tmp_then_renames);
	tcase_add_test(tc, join_and_leave_during_the_last_release);
	tcase_add_test(tc, snapshot_while_streaming);
	tcase_add_test(tc, append_uses_appe);
	tcase_add_test(tc, broken_stor_resumes_with_size_rest_stor);
	tcase_add_test(tc, failed_upload_deletes_its_temporary);
	tcase_add_test(tc, read_while_streaming_commits_then_spools);
	tcase_add_test(tc, update_fetches_then_uploads_the_spool);
	tcase_add_test(tc, broken_appe_resumes_with_size_appe);
	tcase_add_test(tc, stop_rolls_a_stream_back_and_deletes_its_temporary);
	tcase_add_test(tc, chmod_while_streaming_goes_to_the_temporary);
	suite_add_tcase(s, tc);
	return s;
}
