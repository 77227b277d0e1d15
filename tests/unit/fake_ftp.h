/* fake_ftp — socket helpers shared by the unit tests' fake FTP servers. */
#ifndef FTPFS_TEST_FAKE_FTP_H
#define FTPFS_TEST_FAKE_FTP_H

#include <check.h>
#include <pthread.h>
#include <stddef.h>

/* A listening TCP socket on 127.0.0.1, port chosen by the kernel (stored
 * in *port). -1 when it cannot be made. */
int fake_listen(int *port);
/* Write s as it is (the caller puts the CRLFs in). */
void fake_say(int fd, const char *s);
/* Read one line, without its LF or CRLF, into buf. 0, or -1 at the end of
 * the connection or when the line does not fit. */
int fake_read_line(int fd, char *buf, size_t n);
/* Accept on lfd until it is shut down, each connection served by
 * conn((void *)(intptr_t)fd) in a detached thread; *acceptor is the
 * accepting thread (join it after the shutdown). 0 or an errno. */
int fake_serve(int lfd, void *(*conn)(void *), pthread_t *acceptor);

/* The login dialogue every fake server plays, for one line the client
 * sent: USER -> 331, PASS -> 230, FEAT -> feat (a whole reply; "211 none"
 * when NULL), PWD -> 257 "/", and, when dl is not NULL, EPSV -> 229 with
 * the port of a new data listener, whose socket goes to *dl. The reply,
 * without its CRLF, goes to reply (n bytes). 1 when line was one of these,
 * 0 when the caller has to answer it. */
int fake_login_reply(const char *line, const char *feat, int *dl, char *reply,
		     size_t n);
/* fake_login_reply, answered on fd (with CRLF). */
int fake_login(int fd, const char *line, const char *feat, int *dl);

#endif
