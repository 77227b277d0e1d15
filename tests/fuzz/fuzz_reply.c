/* libFuzzer target for the incremental FTP reply parser (src/reply.c).
 *
 * Input layout:
 *   byte 0   chunking: low 2 bits pick the mode (whole buffer, 1 byte at a
 *            time, 1..16, 1..4096), the rest seeds a PRNG for the sizes
 *   byte 1   amplification: with the top two bits set, the input is
 *            A B C (split at bytes 2 and 3, taken as offsets) and the
 *            stream is A, then B repeated 2 << ((b & 0x3f) % 15) times,
 *            then C (capped at STREAM_MAX), so that the 8 KiB line and
 *            64 KiB reply limits are reachable from small inputs.
 *            Amplified streams are fed in chunks of 1..64 bytes or more,
 *            not byte by byte, to keep the target fast.
 *   rest     the byte stream the server "sends" (A B C when amplified)
 *
 * The stream is fed in chunks across as many consecutive replies as it
 * holds (reset after each complete one; stop at the first error). Checked:
 *   - 0 <= consumed <= chunk length; all of it unless a reply completed,
 *     and a completed reply ends at a '\n'
 *   - errors are -EMSGSIZE or -EPROTO and sticky
 *   - done: code in 100..599, equal to the first three bytes of the text;
 *     text NUL-terminated within REPLY_TEXT_MAX; reply_code() is 0 before
 *   - every reply, its end offset and the final state (error, or waiting
 *     for more) equal those of a simple, non-incremental reference model of
 *     reply.h's contract (so chunking cannot matter, and no line of a reply
 *     may exceed REPLY_LINE_MAX).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"
#include "fuzz.h"

/* Longest stream built from one input (amplified). */
#define STREAM_MAX (REPLY_TEXT_MAX + 2 * REPLY_LINE_MAX + 4096)
#define REPLIES_MAX 4096

struct rec {
	int code;
	size_t end;  /* stream offset one past the reply's last byte */
	size_t text; /* offset of the NUL-terminated text in the arena */
};

/* The reference model's replies. A text is never longer than the stream
 * bytes of its reply, so the arena holds at most the stream plus one NUL
 * per reply. */
struct result {
	struct rec r[REPLIES_MAX];
	size_t n;
	int err; /* 0 = the stream ended while waiting for more */
	size_t used;
	char arena[STREAM_MAX + REPLIES_MAX + 1];
};

/* ---- reference model -------------------------------------------------
 * Straight from reply.h: a line ends at '\n'; a CR right before it is
 * dropped, other CRs are data; NUL is stored as ' ' (reply.c's comment).
 * The stored text of one line may hold at most REPLY_LINE_MAX bytes and
 * the whole text (lines joined by '\n') at most REPLY_TEXT_MAX; more is
 * -EMSGSIZE. The first line needs "ddd" then end, ' ' or '-', else
 * -EPROTO; "ddd-" starts a multi-line reply, which ends at a line that is
 * "ddd" or "ddd <text>" with the same code. */

NO_COV static int code_of(const char *s, size_t n)
{
	if (n < 3 || s[0] < '1' || s[0] > '5' || s[1] < '0' || s[1] > '9' ||
	    s[2] < '0' || s[2] > '9')
		return -1;
	return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

NO_COV static void ref_run(const char *s, size_t len, struct result *res)
{
	static char text[REPLY_TEXT_MAX + 2];
	static char line[REPLY_LINE_MAX + 2];
	size_t pos = 0;

	res->n = 0;
	res->err = 0;
	res->used = 0;
	while (pos < len && res->n < REPLIES_MAX) {
		size_t tlen = 0;
		int code = 0;
		bool done = false;

		while (!done) {
			size_t i, nl, ln = 0, raw_end;
			bool terminated;
			int c;

			if (pos >= len)
				return; /* waiting for more */
			nl = pos;
			while (nl < len && s[nl] != '\n')
				nl++;
			terminated = nl < len;
			raw_end = nl;
			/* a CR before the LF, or a CR that is the last byte
			 * seen so far, is not (yet) data */
			if (raw_end > pos && s[raw_end - 1] == '\r')
				raw_end--;
			for (i = pos; i < raw_end; i++) {
				if (ln >= REPLY_LINE_MAX ||
				    tlen + ln >= REPLY_TEXT_MAX) {
					res->err = -EMSGSIZE;
					return;
				}
				line[ln++] = s[i] == '\0' ? ' ' : s[i];
			}
			if (!terminated)
				return;
			memcpy(text + tlen, line, ln);
			tlen += ln;
			c = code_of(line, ln);
			if (code == 0) {
				if (c < 0 || (ln > 3 && line[3] != ' ' &&
					      line[3] != '-')) {
					res->err = -EPROTO;
					return;
				}
				code = c;
				done = !(ln > 3 && line[3] == '-');
			} else if (c == code && (ln == 3 || line[3] == ' ')) {
				done = true;
			}
			if (!done) {
				if (tlen >= REPLY_TEXT_MAX) {
					res->err = -EMSGSIZE;
					return;
				}
				text[tlen++] = '\n';
			}
			pos = nl + 1;
		}
		text[tlen] = '\0';
		CHECK(res->used + tlen + 1 <= sizeof(res->arena));
		memcpy(res->arena + res->used, text, tlen + 1);
		res->r[res->n].code = code;
		res->r[res->n].end = pos;
		res->r[res->n].text = res->used;
		res->used += tlen + 1;
		res->n++;
	}
}

/* ---- the parser under test ------------------------------------------ */

static uint64_t rng;

NO_COV static uint64_t next_rand(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

NO_COV static size_t next_chunk(int mode, size_t left)
{
	size_t n;

	switch (mode) {
	case 0:
		n = left;
		break;
	case 1:
		n = 1;
		break;
	case 2:
		n = 1 + next_rand() % 16;
		break;
	case 4:
		n = 1 + next_rand() % 64;
		break;
	default:
		n = 1 + next_rand() % 4096;
		break;
	}
	return n < left ? n : left;
}

static void mismatch(const char *what, size_t i, const struct result *ref,
		     int code, size_t end, const char *text, int err)
{
	fprintf(stderr, "reply %zu: %s\n", i, what);
	fprintf(stderr, "  parser:    code %d end %zu textlen %zu err %d\n",
		code, end, text ? strlen(text) : 0, err);
	if (i < ref->n)
		fprintf(stderr, "  reference: code %d end %zu textlen %zu\n",
			ref->r[i].code, ref->r[i].end,
			strlen(ref->arena + ref->r[i].text));
	fprintf(stderr, "  reference: %zu replies, then err %d\n", ref->n,
		ref->err);
	abort();
}

/* Feed the stream to the parser; compare each reply with the reference's
 * as it completes, and the final state. */
NO_COV static void sut_run(struct reply_parser *p, const char *s, size_t len,
			   int mode, const struct result *ref)
{
	size_t pos = 0, n_done = 0;

	reply_parser_reset(p);
	while (pos < len && n_done < REPLIES_MAX) {
		size_t n = next_chunk(mode, len - pos);
		bool done = true;
		ssize_t r = reply_parser_feed(p, s + pos, n, &done);

		if (r < 0) {
			bool d2 = true;

			CHECK(!done);
			CHECK(r == -EMSGSIZE || r == -EPROTO);
			/* sticky */
			CHECK(reply_parser_feed(p, "200 ok\r\n", 8, &d2) == r);
			CHECK(!d2);
			CHECK(reply_code(p) == 0);
			if (n_done != ref->n || (int)r != ref->err)
				mismatch("error differs", n_done, ref, 0, pos,
					 NULL, (int)r);
			return;
		}
		CHECK((size_t)r <= n);
		if (!done) {
			CHECK((size_t)r == n);
			CHECK(reply_code(p) == 0);
			pos += n;
			continue;
		}
		{
			const char *text = reply_text(p);
			const char *first = reply_first_text(p);
			int code = reply_code(p);
			size_t tl;

			CHECK(r >= 1 && s[pos + (size_t)r - 1] == '\n');
			CHECK(code >= 100 && code <= 599);
			CHECK(text != NULL && first != NULL);
			tl = strnlen(text, REPLY_TEXT_MAX + 1);
			CHECK(tl <= REPLY_TEXT_MAX);
			CHECK(tl >= 3 && code_of(text, tl) == code);
			/* the first line's text is inside the text, or "" */
			CHECK(first[0] == '\0' ||
			      (first >= text && first <= text + tl));
			(void)strlen(first);
			if (n_done >= ref->n || ref->r[n_done].code != code ||
			    ref->r[n_done].end != pos + (size_t)r ||
			    strcmp(ref->arena + ref->r[n_done].text, text) != 0)
				mismatch("reply differs", n_done, ref, code,
					 pos + (size_t)r, text, 0);
			n_done++;
		}
		pos += (size_t)r;
		reply_parser_reset(p);
	}
	if (n_done != ref->n || ref->err != 0)
		mismatch("end state differs", n_done, ref, 0, pos, NULL, 0);
}

static struct reply_parser *parser;
static struct result *ref;
static char *stream;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

NO_COV int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len;
	int mode;

	if (size < 2 || size - 2 > STREAM_MAX)
		return 0;
	if (!parser) {
		parser = reply_parser_new();
		stream = malloc(STREAM_MAX);
		ref = malloc(sizeof(*ref));
		CHECK(parser && stream && ref);
	}
	mode = data[0] & 3;
	rng = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)data[0] << 32) ^ size;
	if ((data[1] & 0xc0) == 0xc0 && size >= 4) {
		size_t reps = (size_t)2 << ((data[1] & 0x3f) % 15);
		size_t blen = size - 4, a, b, i;
		const uint8_t *body = data + 4;

		a = data[2] % (blen + 1);
		b = a + data[3] % (blen - a + 1);
		if (mode == 1 || mode == 2)
			mode = 4;
		memcpy(stream, body, a);
		len = a;
		for (i = 0;
		     i < reps && len + (b - a) + (blen - b) <= STREAM_MAX;
		     i++) {
			memcpy(stream + len, body + a, b - a);
			len += b - a;
			if (b == a)
				break;
		}
		memcpy(stream + len, body + b, blen - b);
		len += blen - b;
	} else {
		memcpy(stream, data + 2, size - 2);
		len = size - 2;
	}
	if (len == 0)
		return 0;

	ref_run(stream, len, ref);
	/* an exact-size copy, so that ASan sees any read past the end */
	{
		char *exact = malloc(len);

		CHECK(exact);
		memcpy(exact, stream, len);
		sut_run(parser, exact, len, mode, ref);
		free(exact);
	}
	return 0;
}
