/* Unit tests for digest (CRC-32 and the EVP checksums) and xattr (names,
 * listxattr's answer, the checksum cache). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "digest.h"
#include "session.h"
#include "xattr.h"

START_TEST(crc32_vectors)
{
	/* the check value of CRC-32/ISO-HDLC, and two well-known strings */
	ck_assert_uint_eq(digest_crc32(0, "123456789", 9), 0xCBF43926u);
	ck_assert_uint_eq(digest_crc32(0, "", 0), 0);
	ck_assert_uint_eq(digest_crc32(0,
				       "The quick brown fox jumps over "
				       "the lazy dog",
				       43),
			  0x414FA339u);
	ck_assert_uint_eq(digest_crc32(0, "hello\n", 6), 0x363A3020u);
	/* in pieces, continued */
	ck_assert_uint_eq(digest_crc32(digest_crc32(0, "12345", 5), "6789", 4),
			  0xCBF43926u);
}
END_TEST

static void check_hex(enum digest_algo a, const char *in, const char *want)
{
	struct digest *d = digest_new(a);
	char out[DIGEST_HEX_MAX];
	size_t half = strlen(in) / 2;

	ck_assert_ptr_nonnull(d);
	digest_update(d, in, half);
	digest_update(d, in + half, strlen(in) - half);
	ck_assert_int_eq(digest_hex(d, out), 0);
	ck_assert_str_eq(out, want);
	ck_assert_uint_eq(strlen(out), digest_hex_len(a));
	/* the value leaves the context as it was */
	ck_assert_int_eq(digest_hex(d, out), 0);
	ck_assert_str_eq(out, want);
	digest_reset(d);
	digest_update(d, in, strlen(in));
	ck_assert_int_eq(digest_hex(d, out), 0);
	ck_assert_str_eq(out, want);
	digest_free(d);
}

START_TEST(hex_values)
{
	check_hex(
		DIGEST_SHA256, "hello\n",
		"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
	check_hex(DIGEST_SHA1, "abc",
		  "a9993e364706816aba3e25717850c26c9cd0d89d");
	check_hex(DIGEST_MD5, "", "d41d8cd98f00b204e9800998ecf8427e");
	check_hex(DIGEST_CRC32, "123456789", "cbf43926");
	check_hex(DIGEST_CRC32, "", "00000000");
}
END_TEST

START_TEST(names)
{
	ck_assert_int_eq(digest_from_name("sha256"), DIGEST_SHA256);
	ck_assert_int_eq(digest_from_name("crc32"), DIGEST_CRC32);
	ck_assert_int_eq(digest_from_name("SHA256"), -EINVAL);
	ck_assert_int_eq(digest_from_name("sha512"), -EINVAL);
	ck_assert_int_eq(xattr_checksum_algo("user.checksum.md5"), DIGEST_MD5);
	ck_assert_int_eq(xattr_checksum_algo("user.checksum.sha1"),
			 DIGEST_SHA1);
	ck_assert_int_eq(xattr_checksum_algo("user.checksum."), -ENODATA);
	ck_assert_int_eq(xattr_checksum_algo("security.selinux"), -ENODATA);
	ck_assert_int_eq(xattr_checksum_algo("user.checksum.md5x"), -ENODATA);
}
END_TEST

START_TEST(list)
{
	static const char want[] = "user.checksum.sha1\0user.checksum.crc32";
	char buf[64];

	ck_assert_int_eq(xattr_list(0, buf, sizeof(buf)), 0);
	ck_assert_int_eq(xattr_list(1u << DIGEST_SHA1 | 1u << DIGEST_CRC32,
				    NULL, 0),
			 (int)sizeof(want));
	ck_assert_int_eq(xattr_list(1u << DIGEST_SHA1 | 1u << DIGEST_CRC32, buf,
				    sizeof(buf)),
			 (int)sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert_int_eq(xattr_list(1u << DIGEST_SHA1 | 1u << DIGEST_CRC32, buf,
				    sizeof(want) - 1),
			 -ERANGE);
}
END_TEST

START_TEST(sum_cache)
{
	struct sum_cache *c = sum_cache_new();
	char out[DIGEST_HEX_MAX];

	ck_assert_ptr_nonnull(c);
	ck_assert(!sum_cache_get(c, "/a", DIGEST_MD5, 5, 100, out));
	sum_cache_put(c, "/a", DIGEST_MD5, 5, 100, "abcd");
	sum_cache_put(c, "/a", DIGEST_SHA1, 5, 100, "ef01");
	ck_assert(sum_cache_get(c, "/a", DIGEST_MD5, 5, 100, out));
	ck_assert_str_eq(out, "abcd");
	/* another size or time: the file changed, ask again */
	ck_assert(!sum_cache_get(c, "/a", DIGEST_MD5, 6, 100, out));
	ck_assert(!sum_cache_get(c, "/a", DIGEST_MD5, 5, 101, out));
	ck_assert(!sum_cache_get(c, "/b", DIGEST_MD5, 5, 100, out));
	sum_cache_drop(c, "/a");
	ck_assert(!sum_cache_get(c, "/a", DIGEST_MD5, 5, 100, out));
	ck_assert(!sum_cache_get(c, "/a", DIGEST_SHA1, 5, 100, out));
	sum_cache_put(c, "/b", DIGEST_MD5, 5, 100, "abcd");
	sum_cache_drop(c, NULL);
	ck_assert(!sum_cache_get(c, "/b", DIGEST_MD5, 5, 100, out));
	sum_cache_put(c, "/b", DIGEST_MD5, 5, 100, "abcd");
	sum_cache_free(c); /* frees what it holds (ASan: no leak) */
}
END_TEST

/* The value in a HASH or X command's reply (session_parse_checksum). */
START_TEST(checksum_parse)
{
	char out[DIGEST_HEX_MAX];

	/* draft-bryan-ftpext-hash 3.2: algorithm, range, value, name */
	ck_assert_int_eq(
		session_parse_checksum(
			"SHA-256 0-5 5891B5B522D5DF086D0FF0B110FBD9D21BB4FC7163AF34D08286A2E846F6BE03 a.txt",
			DIGEST_SHA256, true, out),
		0);
	ck_assert_str_eq(
		out,
		"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
	/* no range (older drafts) */
	ck_assert_int_eq(session_parse_checksum(
				 "MD5 b1946ac92492d2347c6235b4d2611184 a b",
				 DIGEST_MD5, true, out),
			 0);
	ck_assert_str_eq(out, "b1946ac92492d2347c6235b4d2611184");
	/* another algorithm than asked for, a short or long value, junk */
	ck_assert_int_eq(
		session_parse_checksum(
			"SHA-1 0-5 f572d396fae9206628714fb2ce00f72e94f2258f a",
			DIGEST_SHA256, true, out),
		-EPROTO);
	ck_assert_int_eq(session_parse_checksum("SHA-1 0-5 f572d396 a",
						DIGEST_SHA1, true, out),
			 -EPROTO);
	ck_assert_int_eq(session_parse_checksum(
				 "MD5 0-5 b1946ac92492d2347c6235b4d26111840 a",
				 DIGEST_MD5, true, out),
			 -EPROTO);
	ck_assert_int_eq(session_parse_checksum(
				 "MD5 0-5 x1946ac92492d2347c6235b4d2611184 a",
				 DIGEST_MD5, true, out),
			 -EPROTO);
	ck_assert_int_eq(session_parse_checksum("", DIGEST_CRC32, true, out),
			 -EPROTO);
	/* CRC-32 without its leading zeros */
	ck_assert_int_eq(session_parse_checksum("CRC32 0-5 3a3020 a",
						DIGEST_CRC32, true, out),
			 0);
	ck_assert_str_eq(out, "003a3020");
	/* X commands: "250 <HEX>" (ProFTPD), a name before it */
	ck_assert_int_eq(session_parse_checksum(
				 "F572D396FAE9206628714FB2CE00F72E94F2258F",
				 DIGEST_SHA1, false, out),
			 0);
	ck_assert_str_eq(out, "f572d396fae9206628714fb2ce00f72e94f2258f");
	ck_assert_int_eq(session_parse_checksum("cafe.txt 363A3020",
						DIGEST_CRC32, false, out),
			 0);
	ck_assert_str_eq(out, "363a3020");
	ck_assert_int_eq(session_parse_checksum("Computing CRC32 digest",
						DIGEST_CRC32, false, out),
			 -EPROTO);
	ck_assert_int_eq(
		session_parse_checksum("b1946ac92492d2347c6235b4d261118",
				       DIGEST_MD5, false, out),
		-EPROTO);
}
END_TEST

Suite *suite(void)
{
	Suite *s = suite_create("digest");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, crc32_vectors);
	tcase_add_test(tc, hex_values);
	tcase_add_test(tc, names);
	tcase_add_test(tc, list);
	tcase_add_test(tc, sum_cache);
	tcase_add_test(tc, checksum_parse);
	suite_add_tcase(s, tc);
	return s;
}
