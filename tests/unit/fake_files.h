/* fake_files — a fake FTP server with one file to read and one to write,
 * for the unit tests of segread and xfer.
 *
 * "/f" is fake_files.size bytes, byte i = fake_pattern(i), served with
 * EPSV, REST and RETR; "/up" takes STOR (with REST) and APPE, and answers
 * SIZE. Each connection and each data connection has its own thread; a
 * RETR stops when the client closes or aborts. Knobs (set before use):
 *   fail_at  a RETR with REST at or past it is refused with 550
 *   drop_at  a RETR reaching this byte resets its data connection and
 *            hangs up the control connection (a server restart), once
 *   slow_abor_ms  the ABOR of a RETR from byte 0 is answered this late
 */
#ifndef FTPFS_TEST_FAKE_FILES_H
#define FTPFS_TEST_FAKE_FILES_H

#include <stdatomic.h>
#include <stddef.h>

#include "session.h"

#define FAKE_FAR (1LL << 62)

struct fake_files {
	long long size;
	atomic_llong fail_at, drop_at;
	atomic_int slow_abor_ms;
	atomic_int conns, retrs; /* connections and RETRs so far */
};

extern struct fake_files fake_files;

unsigned char fake_pattern(long long i);
/* Listen on 127.0.0.1 (knobs off, counts 0, "/up" empty) and fill *scfg
 * to log in there (deadlines of 5 s). */
void fake_files_start(long long size, struct session_cfg *scfg);
void fake_files_stop(void);
/* Copy what "/up" holds, up to n bytes, to buf; returns its length. */
long long fake_files_upload(unsigned char *buf, size_t n);

#endif
