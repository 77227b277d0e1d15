/* fake_files — see fake_files.h. */
#include "fake_files.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fake_ftp.h"

#define UPMAX (1024 * 1024)

struct fake_files fake_files;

static int lfd;
static pthread_t acceptor;
static char portstr[16];
static pthread_mutex_t up_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char up[UPMAX]; /* protected by up_lock */
static long long up_len;	/* protected by up_lock */

unsigned char fake_pattern(long long i)
{
	return (unsigned char)(i * 7 + i / 4093);
}

struct dconn {
	int lfd, ctrl;
	long long from;
	bool upload, append;
};

/* RETR: send /f from `from`; 226 when all was sent. */
static void send_file(struct dconn *d, int fd)
{
	unsigned char buf[65536];
	long long at = d->from, size = fake_files.size;

	while (at < size) {
		size_t n = size - at < (long long)sizeof(buf)
				   ? (size_t)(size - at)
				   : sizeof(buf);
		long long drop = atomic_load(&fake_files.drop_at);

		if (at >= drop &&
		    atomic_compare_exchange_strong(&fake_files.drop_at, &drop,
						   FAKE_FAR)) {
			struct linger l = { 1, 0 };

			setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			shutdown(d->ctrl, SHUT_RDWR);
			return;
		}
		for (size_t i = 0; i < n; i++)
			buf[i] = fake_pattern(at + (long long)i);
		if (write(fd, buf, n) != (ssize_t)n)
			return;
		at += (long long)n;
	}
	fake_say(d->ctrl, "226 done\r\n");
}

/* STOR/APPE: keep what comes in up[]; 226 at its end. */
static void take_file(struct dconn *d, int fd)
{
	unsigned char buf[32768];
	long long at;
	ssize_t n;

	pthread_mutex_lock(&up_lock);
	at = d->append ? up_len : d->from;
	up_len = at;
	pthread_mutex_unlock(&up_lock);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		pthread_mutex_lock(&up_lock);
		if (at + n <= UPMAX) {
			memcpy(up + at, buf, (size_t)n);
			at += n;
			up_len = at;
		}
		pthread_mutex_unlock(&up_lock);
	}
	fake_say(d->ctrl, "226 stored\r\n");
}

static void *dconn_main(void *arg)
{
	struct dconn *d = arg;
	int fd = accept(d->lfd, NULL, NULL);

	close(d->lfd);
	if (fd >= 0 && d->upload)
		take_file(d, fd);
	else if (fd >= 0)
		send_file(d, fd);
	if (fd >= 0)
		close(fd);
	free(d);
	return NULL;
}

/* RETR/STOR/APPE on listener *dl: 150 and a data thread, or 550. */
static void start_data(int fd, int *dl, long long *rest, const char *cmd,
		       pthread_t *t, long long *from)
{
	bool upload = strncmp(cmd, "RETR", 4) != 0;
	struct dconn *d;

	if (!upload && *rest >= atomic_load(&fake_files.fail_at)) {
		close(*dl);
		*dl = -1;
		fake_say(fd, "550 not today\r\n");
		return;
	}
	d = calloc(1, sizeof(*d));
	d->lfd = *dl;
	d->ctrl = fd;
	d->from = *rest;
	*from = upload ? -1 : *rest;
	d->upload = upload;
	d->append = !strncmp(cmd, "APPE", 4);
	*dl = -1;
	*rest = 0;
	if (!upload)
		atomic_fetch_add(&fake_files.retrs, 1);
	fake_say(fd, "150 here it comes\r\n");
	pthread_create(t, NULL, dconn_main, d);
}

static void *conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg, dl = -1;
	long long rest = 0, from = -1; /* where the last RETR began */
	char line[512], buf[128];
	pthread_t t = 0;

	atomic_fetch_add(&fake_files.conns, 1);
	fake_say(fd, "220 fake file server\r\n");
	while (fake_read_line(fd, line, sizeof(line)) == 0) {
		if (fake_login(fd, line,
			       "211-x\r\n SIZE\r\n REST STREAM\r\n211 End",
			       &dl)) {
			continue;
		} else if (!strncmp(line, "REST ", 5)) {
			rest = atoll(line + 5);
			fake_say(fd, "350 ok\r\n");
		} else if (!strncmp(line, "RETR", 4) ||
			   !strncmp(line, "STOR", 4) ||
			   !strncmp(line, "APPE", 4)) {
			if (t)
				pthread_join(t, NULL);
			t = 0;
			start_data(fd, &dl, &rest, line, &t, &from);
		} else if (!strncmp(line, "SIZE /up", 8)) {
			snprintf(buf, sizeof(buf), "213 %lld\r\n",
				 fake_files_upload(NULL, 0));
			fake_say(fd, buf);
		} else if (!strncmp(line, "ABOR", 4)) {
			if (t)
				pthread_join(t, NULL); /* client closed data */
			t = 0;
			if (from == 0 && atomic_load(&fake_files.slow_abor_ms))
				usleep(1000 *
				       (useconds_t)atomic_load(
					       &fake_files.slow_abor_ms));
			fake_say(fd, "426 aborted\r\n226 ABOR ok\r\n");
		} else if (!strncmp(line, "QUIT", 4)) {
			fake_say(fd, "221 bye\r\n");
			break;
		} else {
			fake_say(fd, "200 ok\r\n");
		}
	}
	if (t)
		pthread_join(t, NULL);
	close(fd);
	return NULL;
}

static void *acceptor_main(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		pthread_t t;

		if (fd < 0)
			return NULL;
		pthread_create(&t, NULL, conn_main, (void *)(intptr_t)fd);
		pthread_detach(t);
	}
}

void fake_files_start(long long size, struct session_cfg *scfg)
{
	int port;

	fake_files.size = size;
	atomic_store(&fake_files.conns, 0);
	atomic_store(&fake_files.retrs, 0);
	atomic_store(&fake_files.fail_at, FAKE_FAR);
	atomic_store(&fake_files.drop_at, FAKE_FAR);
	atomic_store(&fake_files.slow_abor_ms, 0);
	pthread_mutex_lock(&up_lock);
	up_len = 0;
	pthread_mutex_unlock(&up_lock);
	lfd = fake_listen(&port);
	snprintf(portstr, sizeof(portstr), "%d", port);
	memset(scfg, 0, sizeof(*scfg));
	scfg->host = "127.0.0.1";
	scfg->port = portstr;
	scfg->path = "";
	scfg->timeout_ms = 5000;
	pthread_create(&acceptor, NULL, acceptor_main, NULL);
}

void fake_files_stop(void)
{
	shutdown(lfd, SHUT_RDWR);
	close(lfd);
	pthread_join(acceptor, NULL);
}

long long fake_files_upload(unsigned char *buf, size_t n)
{
	long long len;

	pthread_mutex_lock(&up_lock);
	len = up_len;
	if (buf)
		memcpy(buf, up, (size_t)len < n ? (size_t)len : n);
	pthread_mutex_unlock(&up_lock);
	return len;
}
