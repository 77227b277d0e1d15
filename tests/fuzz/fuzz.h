/* fuzz.h — what every libFuzzer target here shares: NO_COV for the
 * harness's own code and CHECK for its oracles. */
#ifndef FTPFS_FUZZ_H
#define FTPFS_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

/* The harness's own code needs no coverage feedback (and its comparisons
 * would only slow the fuzzer down). */
#if defined(__clang__) && __clang_major__ >= 13
#define NO_COV __attribute__((no_sanitize("coverage")))
#else
#define NO_COV
#endif

/* An oracle: abort (a crash libFuzzer keeps) when cond is false. */
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

#endif
