/* ino — inode numbers for FUSE paths, stable for the life of the mount.
 *
 * FTP has no inode numbers. A path's number is a hash of the path (no
 * memory per path), so readdir and stat agree and a name keeps its number
 * however often it is looked up. A rename through the mount moves the
 * number with the file (tar, rsync and editors compare numbers to tell
 * files apart): the new name takes the old name's number and the old name
 * gets a fresh one, never a hash, so no two names share a number; only
 * renamed names cost memory (about 100 bytes each, two per rename; past
 * max_held of them, a renamed file gets its new name's number, still
 * unique). Thread-safe (one lock).
 */
#ifndef FTPFS_INO_H
#define FTPFS_INO_H

#include <stddef.h>
#include <stdint.h>

struct ino_table;

/* NULL when out of memory. */
struct ino_table *ino_new(size_t max_held);
void ino_free(struct ino_table *t);

/* path's number: 1 for "/", never 0 nor FUSE's "unknown" (0xffffffff). */
uint64_t ino_of(struct ino_table *t, const char *path);

/* path keeps the number it has now even when a directory above it is
 * renamed (ino_renamed moves only the names it holds). For open files. */
void ino_pin(struct ino_table *t, const char *path);

/* from was renamed to to: to takes from's number, and so do the held
 * names below from (pinned, or renamed before) below to; from and those
 * names get fresh numbers. On failure to allocate, numbers are left as
 * they were (a renamed file then looks like a new one). */
void ino_renamed(struct ino_table *t, const char *from, const char *to);

#endif
