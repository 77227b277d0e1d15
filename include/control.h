/* control — the control socket of a running mount: `ftpfs status` and
 * `ftpfs flush` talk to the daemon through it.
 *
 * Why a socket, not a virtual extended attribute on the mount root: the
 * answer must not depend on FUSE threads that may all be waiting for the
 * server, flush is an action (not something to read), and with allow_other
 * every local user could read an attribute of the mount, while the socket
 * (mode 0600, in a 0700 directory, and SO_PEERCRED checked on every
 * connection) answers only the mounting user and root.
 *
 * The socket is $XDG_RUNTIME_DIR/ftpfs/NAME (for root without
 * XDG_RUNTIME_DIR: /run/ftpfs/NAME), NAME made of the mount point's last
 * component and a hash of its absolute path. One request line ("status",
 * "status json", "flush", "flush PATH"), one answer: '0' (done) or '1'
 * (refused) and the text, then the daemon closes the connection.
 *
 * Return rule: 0 or a negative errno.
 */
#ifndef FTPFS_CONTROL_H
#define FTPFS_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

struct control;

struct control_ops {
	/* the report (malloc'd), or NULL */
	char *(*status)(void *ctx, bool json);
	/* drop cached listings and attributes of path (NULL: all) */
	void (*flush)(void *ctx, const char *path);
	void *ctx;
};

/* The socket's path for an absolute mount point, in out (n bytes), for
 * this user and environment. -ENAMETOOLONG, -ENOENT (no XDG_RUNTIME_DIR
 * and not root). */
int control_path(const char *mountpoint, char *out, size_t n);

/* Make the socket and start the thread serving it (after any fork). A
 * failure is logged by the caller: the mount works without it. */
int control_start(const char *mountpoint, const struct control_ops *ops,
		  struct control **out);
/* Stop the thread, remove the socket. NULL is fine. */
void control_stop(struct control *c);

/* SIGHUP's handler (async-signal-safe): the control thread flushes
 * everything. */
void control_sighup(int sig);

/* `ftpfs status [--json] MOUNTPOINT` and `ftpfs flush MOUNTPOINT [PATH]`
 * (argv[1] is the subcommand): prints the answer, returns the exit
 * status. */
int control_main(int argc, char **argv);

#endif
