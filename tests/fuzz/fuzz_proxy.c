/* libFuzzer target for the proxy reply parsers (src/proxy.c).
 *
 * Input layout:
 *   byte 0   which reply: 0 SOCKS5 (reply to CONNECT), 1 SOCKS4, else HTTP
 *            (the header of the reply to CONNECT)
 *   rest     the bytes the proxy "sends"
 *
 * Each parser is driven as proxy_connect() drives it, and checked against
 * the protocol's rules:
 *   - SOCKS5: read 5 bytes, then as many as *need says; need grows, never
 *     past the longest reply (4 + 1 + 255 + 2); success only for VER 5,
 *     REP 0, RSV 0, a known ATYP and exactly the reply's length; an error
 *     is -EPROTO or the errno of a reply code 1..8, never -EAGAIN once the
 *     input is long enough.
 *   - SOCKS4: success only for 0, 90.
 *   - HTTP: one byte at a time until the parser decides; it decides by
 *     PROXY_HTTP_MAX bytes; success returns the bytes read, ends with an
 *     empty line, is the first empty line, and follows "HTTP/1.d ddd"
 *     with a status in 100..599; each call sees an exact-size copy (ASan
 *     catches a read past the end).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"
#include "fuzz.h"

#define SOCKS5_MAX (4 + 1 + 255 + 2)

static int socks5_known(int r)
{
	return r == -EPROTO || r == -ECONNABORTED || r == -EACCES ||
	       r == -ENETUNREACH || r == -EHOSTUNREACH || r == -ECONNREFUSED ||
	       r == -ETIMEDOUT || r == -EOPNOTSUPP || r == -EAFNOSUPPORT;
}

static void run_socks5(const uint8_t *d, size_t len)
{
	size_t n = 0, need = 0, prev = 0;
	int r, rep;

	for (;;) {
		unsigned char *exact = malloc(n ? n : 1);

		CHECK(exact);
		memcpy(exact, d, n);
		r = proxy_socks5_reply(exact, n, &need, &rep);
		free(exact);
		if (r != -EAGAIN)
			break;
		CHECK(need > n && need <= SOCKS5_MAX && need >= prev);
		prev = need;
		if (need > len)
			return; /* the proxy sent no more */
		n = need;
	}
	CHECK(r == 0 || socks5_known(r));
	if (r == 0) {
		size_t want;

		CHECK(n >= 5 && d[0] == 5 && d[1] == 0 && d[2] == 0);
		want = d[3] == 1 ? 10 : d[3] == 4 ? 22 : 7 + (size_t)d[4];
		CHECK(d[3] == 1 || d[3] == 3 || d[3] == 4);
		CHECK(n == want);
	} else if (r != -EPROTO) {
		CHECK(n >= 2 && d[0] == 5 && rep == d[1] && rep >= 1 &&
		      rep <= 8);
	}
}

static void run_socks4(const uint8_t *d, size_t len)
{
	unsigned char b[8];
	int r;

	if (len < 8)
		return;
	memcpy(b, d, 8);
	r = proxy_socks4_reply(b);
	CHECK(r == 0 || r == -EPROTO || r == -ECONNREFUSED || r == -EACCES);
	if (r == 0)
		CHECK(b[0] == 0 && b[1] == 90);
}

/* Offset one past the first empty line after the first line, or 0. */
static size_t first_empty_line(const char *b, size_t n)
{
	size_t i, start = 0;
	int line = 0;

	for (i = 0; i < n; i++) {
		if (b[i] != '\n')
			continue;
		if (line > 0 &&
		    (i == start || (i == start + 1 && b[start] == '\r')))
			return i + 1;
		line++;
		start = i + 1;
	}
	return 0;
}

static void run_http(const uint8_t *d, size_t len)
{
	size_t n;
	ssize_t r = 0;
	int status = -1;

	for (n = 1; n <= len && r == 0; n++) {
		char *exact = malloc(n);

		CHECK(exact);
		memcpy(exact, d, n);
		r = proxy_http_reply(exact, n, &status);
		free(exact);
		CHECK(r == 0 || r == (ssize_t)n || r == -EPROTO ||
		      r == -EMSGSIZE);
		CHECK(r != 0 || n < PROXY_HTTP_MAX);
	}
	if (r > 0) {
		const char *b = (const char *)d;

		CHECK(first_empty_line(b, (size_t)r) == (size_t)r);
		CHECK(memchr(b, '\0', (size_t)r) == NULL);
		CHECK(!memcmp(b, "HTTP/1.", 7) && b[7] >= '0' && b[7] <= '9' &&
		      b[8] == ' ');
		CHECK(status >= 100 && status <= 599);
		CHECK(status ==
		      (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0'));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 3 * PROXY_HTTP_MAX)
		return 0;
	switch (data[0]) {
	case 0:
		run_socks5(data + 1, size - 1);
		break;
	case 1:
		run_socks4(data + 1, size - 1);
		break;
	default:
		run_http(data + 1, size - 1);
		break;
	}
	return 0;
}
