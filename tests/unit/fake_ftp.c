/* fake_ftp — see fake_ftp.h. */
#include "fake_ftp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int fake_listen(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &l) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

void fake_say(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) < 0)
		return;
}

int fake_read_line(int fd, char *buf, size_t n)
{
	size_t i = 0;
	char c;

	while (i + 1 < n && read(fd, &c, 1) == 1) {
		if (c == '\n') {
			buf[i && buf[i - 1] == '\r' ? i - 1 : i] = '\0';
			return 0;
		}
		buf[i++] = c;
	}
	return -1;
}

struct acceptor {
	int lfd;
	void *(*conn)(void *);
};

static void *acceptor_main(void *arg)
{
	struct acceptor a = *(struct acceptor *)arg;
	pthread_t t;
	int fd;

	free(arg);
	while ((fd = accept(a.lfd, NULL, NULL)) >= 0)
		if (pthread_create(&t, NULL, a.conn, (void *)(intptr_t)fd) == 0)
			pthread_detach(t);
	return NULL;
}

int fake_serve(int lfd, void *(*conn)(void *), pthread_t *acceptor)
{
	struct acceptor *a = malloc(sizeof(*a));
	int r;

	if (!a)
		return ENOMEM;
	a->lfd = lfd;
	a->conn = conn;
	r = pthread_create(acceptor, NULL, acceptor_main, a);
	if (r)
		free(a);
	return r;
}

int fake_login_reply(const char *line, const char *feat, int *dl, char *reply,
		     size_t n)
{
	int dport = 0;

	if (!strncmp(line, "USER", 4)) {
		snprintf(reply, n, "331 pw");
	} else if (!strncmp(line, "PASS", 4)) {
		snprintf(reply, n, "230 in");
	} else if (!strncmp(line, "FEAT", 4)) {
		snprintf(reply, n, "%s", feat ? feat : "211 none");
	} else if (!strncmp(line, "PWD", 3)) {
		snprintf(reply, n, "257 \"/\"");
	} else if (dl && !strncmp(line, "EPSV", 4)) {
		*dl = fake_listen(&dport);
		snprintf(reply, n,
			 "229 Entering Extended Passive Mode (|||%d|)", dport);
	} else {
		return 0;
	}
	return 1;
}

int fake_login(int fd, const char *line, const char *feat, int *dl)
{
	char reply[256];

	if (!fake_login_reply(line, feat, dl, reply, sizeof(reply) - 2))
		return 0;
	strcat(reply, "\r\n");
	fake_say(fd, reply);
	return 1;
}
