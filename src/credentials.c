/* credentials — who logs in: the URL, -o user=, a credentials file,
 * standard input or the terminal, a netrc file. See credentials.h. */
#include "credentials.h"

#include "options.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define NETRC_MAX (1024 * 1024)

/* Next whitespace-separated token of a netrc file (quotes allowed). */
static char *netrc_token(char **pp)
{
	char *p = *pp, *tok, *o;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (!*p) {
		*pp = p;
		return NULL;
	}
	if (*p == '"') {
		tok = o = ++p;
		while (*p && *p != '"') {
			if (*p == '\\' && p[1])
				p++;
			*o++ = *p++;
		}
		if (*p)
			p++;
		*o = '\0';
		*pp = p;
		return tok;
	}
	tok = p;
	while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
		p++;
	if (*p)
		*p++ = '\0';
	*pp = p;
	return tok;
}

int netrc_lookup(const char *file, const char *host, char **user, char **pass)
{
	FILE *fp = fopen(file, "r");
	char *buf, *p, *tok;
	size_t n;
	bool in_match = false, found = false;
	char *login = NULL, *password = NULL;
	int r = 0;

	if (!fp)
		return errno == ENOENT ? 0 : -errno;
	buf = malloc(NETRC_MAX + 1);
	if (!buf) {
		fclose(fp);
		return -ENOMEM;
	}
	n = fread(buf, 1, NETRC_MAX, fp);
	if (ferror(fp) || !feof(fp))
		r = ferror(fp) ? -EIO : -EFBIG;
	fclose(fp);
	if (r < 0)
		goto out;
	buf[n] = '\0';
	p = buf;
	while (!found && (tok = netrc_token(&p))) {
		if (!strcmp(tok, "machine") || !strcmp(tok, "default")) {
			if (in_match && login && password &&
			    (!*user || !strcmp(*user, login))) {
				found = true;
				break;
			}
			login = password = NULL;
			if (!strcmp(tok, "default")) {
				in_match = true;
			} else {
				tok = netrc_token(&p);
				in_match = tok && !strcasecmp(tok, host);
			}
		} else if (!strcmp(tok, "login")) {
			login = netrc_token(&p);
		} else if (!strcmp(tok, "password")) {
			password = netrc_token(&p);
		} else if (!strcmp(tok, "account")) {
			netrc_token(&p);
		} else if (!strcmp(tok, "macdef")) {
			/* a macro runs to the next blank line */
			char *end = strstr(p, "\n\n");

			p = end ? end + 2 : p + strlen(p);
		}
	}
	if (!found && in_match && login && password &&
	    (!*user || !strcmp(*user, login)))
		found = true;
	if (found) {
		if (!*user)
			*user = strdup(login);
		*pass = strdup(password);
		r = (*user && *pass) ? 1 : -ENOMEM;
	}
out:
	free(buf);
	return r;
}

int credentials_read(const char *file, char **user, char **pass,
		     char **proxy_user, char **proxy_pass, char *err,
		     size_t errlen)
{
	char line[1024];
	struct stat st;
	FILE *fp;
	int fd, r = 0;

	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %.200s: %s", file,
			 strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%.200s is not a regular file", file);
		close(fd);
		return -EINVAL;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen,
			 "%.200s is readable by others: chmod 600 it first",
			 file);
		close(fd);
		return -EPERM;
	}
	fp = fdopen(fd, "r");
	if (!fp) {
		close(fd);
		return -ENOMEM;
	}
	while (r == 0 && fgets(line, sizeof(line), fp)) {
		size_t l = strcspn(line, "\r\n");
		char **dst = NULL;
		const char *v = NULL;

		line[l] = '\0';
		if (!strncmp(line, "user=", 5)) {
			dst = user;
			v = line + 5;
		} else if (!strncmp(line, "password=", 9)) {
			dst = pass;
			v = line + 9;
		} else if (!strncmp(line, "proxy_user=", 11) && proxy_user) {
			dst = proxy_user;
			v = line + 11;
		} else if (!strncmp(line, "proxy_password=", 15) &&
			   proxy_pass) {
			dst = proxy_pass;
			v = line + 15;
		} else if (!strncmp(line, "proxy_", 6)) {
			/* the name only: the value may be a password */
			snprintf(err, errlen,
				 "%.200s: %.*s lines need "
				 "-o proxy=",
				 file,
				 (int)strcspn(line, "=") > 20
					 ? 20
					 : (int)strcspn(line, "=") + 1,
				 line);
			r = -EINVAL;
		} else if (line[0] && line[0] != '#') {
			snprintf(err, errlen,
				 "%.200s: lines must be user=, "
				 "password=, proxy_user= or "
				 "proxy_password=",
				 file);
			r = -EINVAL;
		}
		if (dst) {
			free(*dst);
			*dst = strdup(v);
			if (!*dst)
				r = -ENOMEM;
		}
	}
	explicit_bzero(line, sizeof(line));
	fclose(fp);
	return r;
}

static struct termios tty_saved;
static volatile sig_atomic_t tty_echo_off;

static void tty_restore_and_die(int sig)
{
	if (tty_echo_off)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Read one line from standard input into *out (malloc'd). At a terminal,
 * prompt on stderr and turn echo off while the user types (restored also
 * when a signal ends us meanwhile). */
static int read_secret(const char *prompt, char **out, char *err, size_t errlen)
{
	char line[1024];
	bool tty = isatty(STDIN_FILENO);
	struct sigaction sa = { .sa_handler = tty_restore_and_die }, old[3];
	static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	char *got;
	int i;

	if (tty) {
		struct termios t;

		if (tcgetattr(STDIN_FILENO, &tty_saved) < 0)
			tty = false;
		t = tty_saved;
		t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		for (i = 0; tty && i < 3; i++)
			sigaction(sigs[i], &sa, &old[i]);
		if (tty) {
			/* echo off before the prompt: what is typed after
			 * it is never shown nor flushed */
			tty_echo_off = tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) ==
				       0;
			fprintf(stderr, "%s", prompt);
			fflush(stderr);
		}
	}
	got = fgets(line, sizeof(line), stdin);
	if (tty) {
		if (tty_echo_off)
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &tty_saved);
		tty_echo_off = 0;
		for (i = 0; i < 3; i++)
			sigaction(sigs[i], &old[i], NULL);
		fputc('\n', stderr);
	}
	if (!got) {
		snprintf(err, errlen, "no password on standard input");
		return -EINVAL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	*out = strdup(line);
	explicit_bzero(line, sizeof(line));
	return *out ? 0 : -ENOMEM;
}

static bool anonymous(const char *user)
{
	return !user || !strcmp(user, "anonymous") || !strcmp(user, "ftp");
}

/* "Password for bob@host: " */
static int prompt_password(const struct ftp_url *u, char **pass, char *err,
			   size_t errlen)
{
	char prompt[600];

	snprintf(prompt, sizeof(prompt),
		 "Password for %.200s@%.300s: ", u->user, u->host);
	free(*pass);
	*pass = NULL;
	return read_secret(prompt, pass, err, errlen);
}

int credentials_get(const struct ftpfs_opts *o, struct ftp_url *u,
		    struct proxy_cfg *proxy, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int n;
	const char *home;
	int r;

	if (o->user) {
		char *colon = strchr(o->user, ':');

		free(u->user);
		u->user = colon ? strndup(o->user, (size_t)(colon - o->user))
				: strdup(o->user);
		if (colon) {
			free(u->pass);
			u->pass = strdup(colon + 1);
		}
		if (!u->user || strpbrk(o->user, "\r\n"))
			return -EINVAL;
	}
	if (o->credentials) {
		r = credentials_read(o->credentials, &u->user, &u->pass,
				     proxy->host ? &proxy->user : NULL,
				     proxy->host ? &proxy->pass : NULL, err,
				     errlen);
		if (r < 0)
			return r;
	}
	if (o->password_stdin) {
		if (!u->user)
			u->user = strdup("anonymous");
		r = u->user ? prompt_password(u, &u->pass, err, errlen)
			    : -ENOMEM;
		if (r < 0)
			return r;
	}
	if (u->pass)
		return 0;
	if (o->netrc) {
		n = snprintf(path, sizeof(path), "%s", o->netrc);
	} else {
		home = getenv("HOME");
		if (!home) {
			struct passwd *pw = getpwuid(getuid());

			home = pw ? pw->pw_dir : NULL;
		}
		if (!home)
			return 0;
		n = snprintf(path, sizeof(path), "%s/.netrc", home);
	}
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	r = netrc_lookup(path, u->host, &u->user, &u->pass);
	if (r < 0) {
		snprintf(err, errlen, "cannot read %.200s: %s", path,
			 strerror(-r));
		return r;
	}
	if (r == 0 && o->netrc) {
		snprintf(err, errlen, "%.200s has no entry for %.200s", path,
			 u->host);
		return -ENOENT;
	}
	if (!u->pass && !anonymous(u->user) && isatty(STDIN_FILENO))
		return prompt_password(u, &u->pass, err, errlen);
	return 0;
}
