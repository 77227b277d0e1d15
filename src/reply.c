/* reply — incremental, bounded FTP reply parser. See reply.h. */
#include "reply.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct reply_parser {
	char *text;	 /* REPLY_TEXT_MAX + 1 bytes */
	size_t len;	 /* bytes of text used */
	size_t line_off; /* where the current line starts in text */
	int code;	 /* code of the first line, 0 before it is read */
	bool multi;	 /* first line was "ddd-" */
	bool done;
	bool cr; /* the last byte seen was CR */
	int err; /* sticky error */
};

struct reply_parser *reply_parser_new(void)
{
	struct reply_parser *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->text = malloc(REPLY_TEXT_MAX + 1);
	if (!p->text) {
		free(p);
		return NULL;
	}
	reply_parser_reset(p);
	return p;
}

void reply_parser_free(struct reply_parser *p)
{
	if (!p)
		return;
	free(p->text);
	free(p);
}

void reply_parser_reset(struct reply_parser *p)
{
	p->len = 0;
	p->line_off = 0;
	p->code = 0;
	p->multi = false;
	p->done = false;
	p->cr = false;
	p->err = 0;
	p->text[0] = '\0';
}

static int code_of(const char *s, size_t n)
{
	if (n < 3 || s[0] < '1' || s[0] > '5' || s[1] < '0' || s[1] > '9' ||
	    s[2] < '0' || s[2] > '9')
		return -1;
	return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

/* A full line sits at text[line_off..len). Decide what it means. */
static int end_of_line(struct reply_parser *p)
{
	const char *line = p->text + p->line_off;
	size_t n = p->len - p->line_off;
	int code = code_of(line, n);

	if (p->code == 0) {
		if (code < 0 || (n > 3 && line[3] != ' ' && line[3] != '-'))
			return -EPROTO;
		p->code = code;
		p->multi = n > 3 && line[3] == '-';
		if (!p->multi)
			p->done = true;
	} else if (code == p->code && (n == 3 || line[3] == ' ')) {
		p->done = true;
	}
	if (!p->done) {
		if (p->len >= REPLY_TEXT_MAX)
			return -EMSGSIZE;
		p->text[p->len++] = '\n';
		p->line_off = p->len;
	}
	p->text[p->len] = '\0';
	return 0;
}

ssize_t reply_parser_feed(struct reply_parser *p, const char *buf, size_t len,
			  bool *done)
{
	size_t i;
	int r;

	*done = false;
	if (p->err)
		return p->err;
	if (p->done)
		return 0;
	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (c == '\n') {
			p->cr = false;
			r = end_of_line(p);
			if (r < 0)
				return p->err = r;
			if (p->done) {
				*done = true;
				return (ssize_t)(i + 1);
			}
			continue;
		}
		if (p->cr) {
			/* a CR not followed by LF is kept as data */
			if (p->len >= REPLY_TEXT_MAX ||
			    p->len - p->line_off >= REPLY_LINE_MAX)
				return p->err = -EMSGSIZE;
			p->text[p->len++] = '\r';
			p->cr = false;
		}
		if (c == '\r') {
			p->cr = true;
			continue;
		}
		if (c == '\0') /* RFC 959 forbids it; never let it cut text */
			c = ' ';
		if (p->len >= REPLY_TEXT_MAX ||
		    p->len - p->line_off >= REPLY_LINE_MAX)
			return p->err = -EMSGSIZE;
		p->text[p->len++] = c;
	}
	return (ssize_t)len;
}

int reply_code(const struct reply_parser *p)
{
	return p->done ? p->code : 0;
}

const char *reply_text(const struct reply_parser *p)
{
	return p->text;
}

const char *reply_first_text(const struct reply_parser *p)
{
	return p->len > 4 ? p->text + 4 : "";
}
