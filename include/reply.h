/* reply — parse FTP control-channel replies (RFC 959 4.2), incrementally.
 *
 * Pure and bounded: bytes are fed in as they arrive; no socket here. A
 * reply is "ddd text" or a multi-line "ddd-text ... ddd text". Lines may end
 * in CRLF or a bare LF. A line longer than REPLY_LINE_MAX or a reply longer
 * than REPLY_TEXT_MAX is an error (-EMSGSIZE); a line that should start a
 * reply but has no valid code is -EPROTO. After an error the parser stays
 * in error (sticky) until reply_parser_reset().
 */
#ifndef FTPFS_REPLY_H
#define FTPFS_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define REPLY_LINE_MAX 8192
#define REPLY_TEXT_MAX (64 * 1024)

struct reply_parser;

struct reply_parser *reply_parser_new(void);
void reply_parser_free(struct reply_parser *p);
/* Forget the current reply (call before parsing the next one). */
void reply_parser_reset(struct reply_parser *p);

/* Consume bytes from buf. Returns how many were consumed (>= 0), stopping
 * right after the last byte of a complete reply, when *done is set to true;
 * the rest belongs to the next reply. Returns a negative errno on error. */
ssize_t reply_parser_feed(struct reply_parser *p, const char *buf, size_t len,
			  bool *done);

/* Valid once a reply is complete. The text holds every line of the reply,
 * exactly as received but without line endings, joined by '\n' (so the
 * first line starts with the code). */
int reply_code(const struct reply_parser *p);
const char *reply_text(const struct reply_parser *p);
/* The text of the first line after "ddd" and its separator. */
const char *reply_first_text(const struct reply_parser *p);

#endif
