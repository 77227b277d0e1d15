/* linkpath — symlink targets between the mount and the server.
 *
 * A server stores a link's target in its own namespace: ProFTPD's
 * SITE SYMLINK resolves the source against its working directory and
 * stores the absolute path, and chrooted servers' absolute links mean
 * their root, not the client's. These pure functions translate, lexically
 * (nothing is looked up: "." and ".." are folded as written).
 *
 * Paths are server paths: absolute, '/'-separated, no trailing slash
 * except "/" itself. Return rule: a malloc'd string, or NULL (out of
 * memory, or the input is not usable: empty, or ".." above "/").
 */
#ifndef FTPFS_LINKPATH_H
#define FTPFS_LINKPATH_H

/* The absolute, folded server path of target as seen from directory dir
 * (target relative to dir, or absolute). */
char *linkpath_resolve(const char *dir, const char *target);

/* What a link in directory dir whose server target is target should show
 * through a mount of the server directory root ("" or "/" for the
 * server's root): an absolute target inside root becomes the relative
 * path from dir to it (so it resolves inside the mount); anything else
 * is returned as it is. */
char *linkpath_to_local(const char *root, const char *dir, const char *target);

#endif
