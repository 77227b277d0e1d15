/* charset — file name conversion between the server's and our charset.
 *
 * For servers that keep names in a legacy charset (CP1251, ISO-8859-x,
 * Shift_JIS...): names from listings are converted to the local charset,
 * paths sent to the server are converted back. Thread-safe.
 * Return rule: 0 and a malloc'd string, or -EILSEQ when a name has no
 * form in the other charset, -EINVAL for an unknown charset.
 */
#ifndef FTPFS_CHARSET_H
#define FTPFS_CHARSET_H

struct charset;

/* server: the server's charset; local: ours (NULL = UTF-8). */
int charset_new(const char *server, const char *local, struct charset **out);
void charset_free(struct charset *cs);

int charset_to_local(struct charset *cs, const char *in, char **out);
int charset_to_server(struct charset *cs, const char *in, char **out);

#endif
