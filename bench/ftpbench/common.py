"""What every part of the benchmark uses: paths and constants, the log,
BenchError, timed() (wall time and peak RSS of a child), parallel(),
ftplib's FTP_TLS with TLS session reuse, and the goals of issue 16."""

import concurrent.futures
import ftplib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time


BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(BENCH)
# the test harness (tests/integration/harness.py) starts the FTP servers
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
PY = "/usr/bin/python3"
MiB = 1 << 20
READ_SIZE = 4096
SERVER_KINDS = ("pyftpdlib", "vsftpd")
# --only: ls (cold + warm), cat (+ its RSS), rnd, tree (find + du), small
# (serial + parallel reads), write (cp of one file), cp_r (cp -r of the
# small files), reread, capped, wan (capped at --latency-ms), many
# (concurrent readers of different files), lsr (ls -lR at --lsr-latency-ms)
WORKLOADS = ("ls", "cat", "rnd", "tree", "small", "write", "cp_r", "reread",
             "capped", "wan", "many", "lsr")
WRITE_USER, WRITE_PASS = "u", "p"   # the pyftpdlib write server's user
WRITE_DIR = "pub"                   # where uploads go (vsftpd: ftp-owned)

_live = []          # objects with .cleanup(), removed on success
_log_quiet = False


def log(msg):
    if not _log_quiet:
        print("# " + msg, file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


def one_line(s, n=300):
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[:n - 3] + "..."


# --- timing of child processes -------------------------------------------

class Result:
    def __init__(self, secs, rc, out, err, maxrss_kib, timed_out):
        self.secs = secs
        self.rc = rc
        self.out = out
        self.err = err
        self.maxrss_kib = maxrss_kib
        self.timed_out = timed_out

    def why(self, what):
        if self.timed_out:
            return "%s timed out" % what
        if self.rc != 0:
            return "%s exit %s: %s" % (what, self.rc, one_line(self.err, 200))
        return None


def timed(cmd, capture=False, timeout=600, env=None):
    """Run cmd; wall time from spawn to reap, the child's own peak RSS
    (wait4 rusage), stdout (bytes) if capture.  Kills it after timeout."""
    errf = tempfile.TemporaryFile()
    lock = threading.Lock()
    state = {"reaped": False, "timed_out": False}
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                         stderr=errf, env=env)

    def kill():
        with lock:
            if not state["reaped"]:
                state["timed_out"] = True
                try:
                    os.kill(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    timer = threading.Timer(timeout, kill)
    timer.daemon = True
    timer.start()
    try:
        out = p.stdout.read() if capture else b""
        while True:
            try:
                _, status, ru = os.wait4(p.pid, 0)
                break
            except InterruptedError:
                continue
        t1 = time.perf_counter()
        with lock:
            state["reaped"] = True
        p.returncode = os.waitstatus_to_exitcode(status)
    finally:
        timer.cancel()
        if p.returncode is None:      # interrupted: do not leave it behind
            try:
                p.kill()
                p.wait()
            except OSError:
                pass
        if p.stdout:
            p.stdout.close()
    errf.seek(0)
    err = errf.read().decode("utf-8", "replace")
    errf.close()
    return Result(t1 - t0, p.returncode, out, err, ru.ru_maxrss,
                  state["timed_out"])


def parallel(fn, chunks):
    """fn(chunk) for every chunk, each in its own thread (one chunk: in
    this thread); exceptions propagate."""
    if len(chunks) == 1:
        fn(chunks[0])
        return
    with concurrent.futures.ThreadPoolExecutor(len(chunks)) as ex:
        for fut in [ex.submit(fn, c) for c in chunks]:
            fut.result()


class ReuseFTP_TLS(ftplib.FTP_TLS):
    """FTP_TLS whose data connections resume the control connection's TLS
    session (vsftpd's require_ssl_reuse=YES refuses others)."""

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host,
                                            session=self.sock.session)
        return conn, size


# --- the served tree -----------------------------------------------------


# --- goals (from issue 16's table; shown next to each row) ---------------
# (kind, value): "tput_ge" ftpfs MiB/s >= value x raw's; "ceil_tput_ge"
# ftpfs MiB/s >= value x the ceiling's; "ratio_le" ftpfs time <= value x
# raw's; "ratio_le_rclone" the same and less time than rclone at its
# defaults; "abs_le" ftpfs median <= value (s or MiB).  Rows the table has
# no goal for show "–".
GOAL_SEQ = ("ceil_tput_ge", 0.9)     # plain FTP: cat, cp vs the ceiling
GOAL_TLS = ("tput_ge", 1.0)          # FTPS cat, cp: >= raw
GOAL_RSS = ("abs_le", 20.0)
GOAL_LS_COLD = ("ratio_le", 1.5)
GOAL_LS_WARM = ("abs_le", 0.05)
GOAL_TREE = ("ratio_le", 0.2)        # at 20 ms
GOAL_SMALL_PAR = ("ratio_le_rclone", 1.0)   # at 20 ms
GOAL_RND = ("ratio_le", 0.55)        # at 20 ms
GOAL_CAP = ("tput_ge", 3.0)
GOAL_WAN = ("tput_ge", 2.5)          # 20 ms RTT + 100 Mbit/s per connection
GOAL_LSR = ("ratio_le", 0.3)         # 100 ms: ls -lR vs a serial walk
GOAL_LSR_WARM = ("abs_le", 1.0)
GOAL_MANY = ("tput_fb", 0.9, 2.0)    # 64 readers: >= 0.9x one raw stream's
                                     # MiB/s, no first byte after > 2 s
GOAL_CPR = ("ratio_le", 1.2)         # cp -r of many files, 0 ms
GOAL_CPR_LAT = ("ratio_le", 1.0)     # the same at 20 ms RTT
