/* digest — checksums for user.checksum.* and verify_upload. See digest.h. */
#include "digest.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

static const char *const names[DIGEST_N] = { "sha256", "sha1", "md5", "crc32" };
static const size_t hex_lens[DIGEST_N] = { 64, 40, 32, 8 };

struct digest {
	enum digest_algo algo;
	EVP_MD_CTX *md; /* NULL for CRC-32 */
	uint32_t crc;
};

const char *digest_name(enum digest_algo a)
{
	return a < DIGEST_N ? names[a] : "?";
}

int digest_from_name(const char *name)
{
	int i;

	for (i = 0; i < DIGEST_N; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -EINVAL;
}

size_t digest_hex_len(enum digest_algo a)
{
	return a < DIGEST_N ? hex_lens[a] : 0;
}

/* The table of the reflected polynomial, built on first use (the
 * once-guard makes that safe from many threads). */
static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_table_init(void)
{
	uint32_t i, c;
	int k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t digest_crc32(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	pthread_once(&crc_once, crc_table_init);
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static const EVP_MD *evp_md(enum digest_algo a)
{
	switch (a) {
	case DIGEST_SHA256:
		return EVP_sha256();
	case DIGEST_SHA1:
		return EVP_sha1();
	case DIGEST_MD5:
		return EVP_md5();
	default:
		return NULL;
	}
}

struct digest *digest_new(enum digest_algo a)
{
	struct digest *d;

	if (a >= DIGEST_N)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->algo = a;
	if (evp_md(a)) {
		d->md = EVP_MD_CTX_new();
		if (!d->md) {
			free(d);
			return NULL;
		}
	}
	digest_reset(d);
	return d;
}

void digest_free(struct digest *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->md);
	free(d);
}

void digest_reset(struct digest *d)
{
	d->crc = 0;
	if (d->md)
		EVP_DigestInit_ex(d->md, evp_md(d->algo), NULL);
}

void digest_update(struct digest *d, const void *buf, size_t len)
{
	if (d->md)
		EVP_DigestUpdate(d->md, buf, len);
	else
		d->crc = digest_crc32(d->crc, buf, len);
}

static void to_hex(const unsigned char *b, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * n] = '\0';
}

int digest_hex(struct digest *d, char out[DIGEST_HEX_MAX])
{
	unsigned char b[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *copy;
	bool ok;

	if (!d->md) {
		b[0] = (unsigned char)(d->crc >> 24);
		b[1] = (unsigned char)(d->crc >> 16);
		b[2] = (unsigned char)(d->crc >> 8);
		b[3] = (unsigned char)d->crc;
		to_hex(b, 4, out);
		return 0;
	}
	/* finalise a copy: the running context stays as it was */
	copy = EVP_MD_CTX_new();
	if (!copy)
		return -ENOMEM;
	ok = EVP_MD_CTX_copy_ex(copy, d->md) &&
	     EVP_DigestFinal_ex(copy, b, &n) && n * 2 < DIGEST_HEX_MAX;
	EVP_MD_CTX_free(copy);
	if (!ok)
		return -EIO;
	to_hex(b, n, out);
	return 0;
}

enum digest_algo digest_algo(const struct digest *d)
{
	return d->algo;
}
