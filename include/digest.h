/* digest — the checksums ftpfs asks FTP servers for, computed locally too.
 *
 * SHA-256, SHA-1 and MD5 through OpenSSL's EVP; CRC-32 (the zlib/PNG/
 * Ethernet polynomial 0xEDB88320, reflected) by our own table code. Values
 * are written as lowercase hexadecimal, as the user.checksum.* extended
 * attributes show them.
 *
 * Return rule: 0 or a negative errno.
 */
#ifndef FTPFS_DIGEST_H
#define FTPFS_DIGEST_H

#include <stddef.h>
#include <stdint.h>

enum digest_algo {
	DIGEST_SHA256,
	DIGEST_SHA1,
	DIGEST_MD5,
	DIGEST_CRC32,
	DIGEST_N,
};

/* longest hex value (SHA-256) plus its NUL */
#define DIGEST_HEX_MAX 65

struct digest;

/* "sha256", "sha1", "md5", "crc32" (the xattr and option spelling). */
const char *digest_name(enum digest_algo a);
/* The name above → the algorithm; -EINVAL when unknown. */
int digest_from_name(const char *name);
/* Hex digits of a value: 64, 40, 32, 8. */
size_t digest_hex_len(enum digest_algo a);

/* CRC-32 of buf continuing from crc (0 to begin). */
uint32_t digest_crc32(uint32_t crc, const void *buf, size_t len);

/* A running checksum. digest_new() returns NULL when out of memory. */
struct digest *digest_new(enum digest_algo a);
void digest_free(struct digest *d);
/* Start again from nothing. */
void digest_reset(struct digest *d);
void digest_update(struct digest *d, const void *buf, size_t len);
/* The value of everything since the last reset (the context stays
 * usable: it is not reset). */
int digest_hex(struct digest *d, char out[DIGEST_HEX_MAX]);
enum digest_algo digest_algo(const struct digest *d);

#endif
