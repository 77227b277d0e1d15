/* Helpers shared by the listparse unit tests (test_listparse.c: the
 * corpus; test_listparse_cases.c: focused cases). */
#ifndef FTPFS_TEST_LISTPARSE_H
#define FTPFS_TEST_LISTPARSE_H

#include "listparse.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* A heap copy of exactly n bytes, so that ASan/valgrind catch any read
 * past the end. */
static inline char *exact_copy(const char *p, size_t n)
{
	char *b = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(b);
	if (n)
		memcpy(b, p, n);
	return b;
}

static inline bool entry_zeroed(const struct ftp_entry *e)
{
	static const struct ftp_entry zero;

	return e->name == NULL && e->link_target == NULL &&
	       e->type == zero.type && e->size == 0 && !e->has_perm &&
	       e->perm == 0 && !e->mtime.valid;
}

static inline int parse_list(const char *s, size_t n, struct ftp_entry *e)
{
	char *b = exact_copy(s, n);
	int r = listparse_list_line(b, n, e);

	free(b);
	return r;
}

static inline int parse_mlsx(const char *s, size_t n, struct ftp_entry *e)
{
	char *b = exact_copy(s, n);
	int r = listparse_mlsx_line(b, n, e);

	free(b);
	return r;
}

static inline int list_str(const char *s, struct ftp_entry *e)
{
	return parse_list(s, strlen(s), e);
}

static inline int mlsx_str(const char *s, struct ftp_entry *e)
{
	return parse_mlsx(s, strlen(s), e);
}


#endif
