/* credentials — who logs in, and with what password.
 *
 * Return rule: 0 or a negative errno, with a one-line message for the user
 * in err where there is one.
 */
#ifndef FTPFS_CREDENTIALS_H
#define FTPFS_CREDENTIALS_H

#include <stddef.h>

struct ftpfs_opts;
struct ftp_url;
struct proxy_cfg;

/* Look host up in a netrc file. When *user is set, only a matching login
 * counts. Fills *user and *pass (malloc'd) when found. 1 = found, 0 = not,
 * negative errno when the file exists but is unreadable or malformed. A
 * missing file is 0. */
int netrc_lookup(const char *file, const char *host, char **user, char **pass);

/* Read "user=NAME", "password=SECRET", "proxy_user=NAME" and
 * "proxy_password=SECRET" lines from file, which must not be accessible to
 * group or others (-EPERM, message in err). Fills what the file has
 * (malloc'd); proxy_user and proxy_pass may be NULL (such lines are then
 * refused). */
int credentials_read(const char *file, char **user, char **pass,
		     char **proxy_user, char **proxy_pass, char *err,
		     size_t errlen);

/* Credentials into u (and proxy's, from a credentials file, when
 * proxy->host is set): the URL's, then -o user=, then -o credentials=,
 * then -o password_stdin, then the netrc file, else anonymous. A user
 * named without a password, at a terminal, is asked for one. An error
 * may leave err empty (a bad -o user=): the caller then says "bad user
 * name". */
int credentials_get(const struct ftpfs_opts *o, struct ftp_url *u,
		    struct proxy_cfg *proxy, char *err, size_t errlen);

#endif
