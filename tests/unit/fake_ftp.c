/* fake_ftp — see fake_ftp.h. */
#include "fake_ftp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
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
