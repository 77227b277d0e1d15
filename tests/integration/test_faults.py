#!/usr/bin/python3
"""The session pool under faults.

    /usr/bin/python3 tests/integration/test_faults.py [--only T,T...] [--list]

Mounts ftpfs (FTPFS_BIN, default build/ftpfs) on tests/servers/hostile.py
with one fault knob per test and compares the bytes read through the mount
with the files on disk:

  * a data connection dropped once per file: the read resumes (REST) and
    gives exactly the right bytes; dropped on every RETR: the read fails
    with EIO (cat exits non-zero), never a short file;
  * control connections closed every few commands: listings and reads go on
    across reconnects;
  * a server allowing 3 connections, ftpfs configured for 8: 8 parallel
    readers all finish with the right bytes;
  * stray unsolicited replies: ftpfs drops the session, reconnects, and all
    reads are right;
  * a server that stops answering: the operation fails (EIO/ETIMEDOUT) with
    -o timeout=3, and the mount unmounts cleanly;
  * slow replies: `ls` while two large reads run completes and is right.

Timings are only hang guards (60 s). Each test has its own server and mount;
every unmount must be clean (daemon exit 0, no sanitizer report).
Exit 0 = all passed, 1 = a failure, 77 = skipped.
"""

import errno
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import HarnessError  # noqa: E402
import test_hostile as th  # noqa: E402 - HostileServer, Setup, helpers

MiB = 2 ** 20
HANG_GUARD = 60

R = harness.Runner(prefix="faults", timeout=120)

# login = AUTH TLS, USER, PASS, FEAT, OPTS UTF8 ON, OPTS MLST, TYPE I, PWD
LOGIN_CMDS = 8


class C:
    top = None
    root = None
    files = {}   # relative name -> bytes


def disk(rel):
    return os.path.join(C.root, rel)


def build_tree(root):
    os.makedirs(os.path.join(root, "dir", "nested"))
    os.makedirs(os.path.join(root, "many"))
    files = {
        "big5m.bin": os.urandom(5 * MiB),
        "small.txt": b"small file\n",
        "dir/one.txt": b"one\n" * 100,
        "dir/nested/two.bin": os.urandom(200000),
        "large_a.bin": os.urandom(6 * MiB),
        "large_b.bin": os.urandom(6 * MiB),
    }
    for i in range(8):
        files["par/p%d.bin" % i] = os.urandom(2 * MiB + i * 4099)
    for i in range(50):
        files["many/f%03d" % i] = b"%d\n" % i
    for rel, data in files.items():
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
    return files


def read_mnt(m, rel):
    v, e, dt = th.bounded(lambda: th.read_file(m.path(rel)), "read " + rel, m)
    if e is not None:
        raise HarnessError("read %s: %s: %s" % (rel, type(e).__name__, e))
    return v


def check_bytes(m, rel, what=""):
    got = read_mnt(m, rel)
    want = C.files[rel]
    if got != want:
        raise HarnessError("%s%s: %d bytes read, want %d%s" % (
            what, rel, len(got), len(want),
            "" if len(got) != len(want) else
            " (differ at %d)" % next(i for i in range(len(got))
                                   if got[i] != want[i])))


def check_listing(m, rel):
    v, e, dt = th.bounded(lambda: sorted(os.listdir(m.path(rel))),
                          "listdir " + rel, m)
    if e is not None:
        raise HarnessError("listdir %s: %s: %s" % (rel, type(e).__name__, e))
    want = sorted(os.listdir(disk(rel)))
    if v != want:
        raise HarnessError("listdir %s: %r, want %r" % (rel, v[:20], want[:20]))


def cat(m, rel):
    """`cat` through the mount: (rc, stdout bytes, stderr text)."""
    try:
        r = subprocess.run(["cat", m.path(rel)], capture_output=True,
                           timeout=HANG_GUARD)
    except subprocess.TimeoutExpired:
        m.watchdog_kill()
        raise HarnessError("cat %s: no end after %d s (hang)" % (rel, HANG_GUARD))
    return r.returncode, r.stdout, r.stderr.decode("utf-8", "replace").strip()


# --- tests ---------------------------------------------------------------------

@R.test
def drop_data_once_resumes():
    with th.Setup(root=C.root, drop_data_after=1000000) as (s, m):
        rc, out, err = cat(m, "big5m.bin")
        if rc != 0:
            raise HarnessError("cat exited %d: %s" % (rc, err))
        if out != C.files["big5m.bin"]:
            raise HarnessError("big5m.bin: %d bytes read, want %d, %s" % (
                len(out), len(C.files["big5m.bin"]),
                "same length, different bytes" if len(out) == 5 * MiB else
                "short"))
        check_bytes(m, "dir/nested/two.bin")
        drops = s.events("drop-data")
        if not drops:
            raise HarnessError("the server never dropped a data connection")
        rests = [c for c in s.commands() if c.upper().startswith("REST ")]
        if not rests:
            raise HarnessError("no REST after the drop: %r" % s.commands()[-20:])
        return "%d drop(s), %s" % (len(drops), ", ".join(rests[:4]))


@R.test
def drop_data_every_time_fails():
    with th.Setup(root=C.root, drop_data_after=200,
                  drop_data_every=True) as (s, m):
        rc, out, err = cat(m, "big5m.bin")
        want = C.files["big5m.bin"]
        if rc == 0:
            raise HarnessError("cat exited 0 with %d of %d bytes" % (
                len(out), len(want)))
        if len(out) >= len(want):
            raise HarnessError("cat failed but printed %d of %d bytes" % (
                len(out), len(want)))
        if out != want[:len(out)]:
            raise HarnessError("the %d bytes cat printed are not the file's "
                               "start" % len(out))
        if "Input/output error" not in err:
            raise HarnessError("cat's error is %r, want EIO" % err)
        # the size is still the file's: a failed read is no short file
        st = os.stat(m.path("big5m.bin"))
        if st.st_size != len(want):
            raise HarnessError("size %d after the failed read" % st.st_size)
        # and the failure is not sticky for small files
        check_bytes(m, "small.txt")
        return "cat: rc %d after %d bytes: %s" % (rc, len(out), err[-60:])


@R.test
def drop_data_at_offset_fails():
    """Bytes past 2 MiB can never be read: cat must fail after printing at
    most the first 2 MiB, never exit 0 with a short file."""
    cut = 2 * MiB
    with th.Setup(root=C.root, drop_data_at=cut) as (s, m):
        rc, out, err = cat(m, "big5m.bin")
        want = C.files["big5m.bin"]
        if rc == 0:
            raise HarnessError("cat exited 0 with %d of %d bytes" % (
                len(out), len(want)))
        if len(out) > cut or out != want[:len(out)]:
            raise HarnessError("cat printed %d bytes, not a prefix of the "
                               "first %d" % (len(out), cut))
        if "Input/output error" not in err:
            raise HarnessError("cat's error is %r, want EIO" % err)
        # reading below the cut still works
        with open(m.path("big5m.bin"), "rb") as f:
            f.seek(cut - 100000)
            if f.read(100000) != want[cut - 100000:cut]:
                raise HarnessError("bytes below the cut are wrong")
        return "cat: rc %d after %d bytes" % (rc, len(out))


def drop_ctrl_test(no_mlst):
    opts = ["cache_timeout=0"]
    with th.Setup(opts, root=C.root, no_mlst=no_mlst,
                  drop_ctrl_after_cmds=LOGIN_CMDS + 4) as (s, m):
        for rnd in range(3):
            check_listing(m, "")
            check_listing(m, "dir")
            check_listing(m, "dir/nested")
            check_listing(m, "many")
            check_bytes(m, "small.txt")
            check_bytes(m, "dir/one.txt")
            check_bytes(m, "dir/nested/two.bin")
        check_bytes(m, "big5m.bin")
        drops = s.events("drop-ctrl")
        if len(drops) < 3:
            raise HarnessError("only %d control connections dropped" % len(drops))
        return "%d control connections dropped" % len(drops)


@R.test
def drop_ctrl_mlsd():
    return drop_ctrl_test(no_mlst=False)


@R.test
def drop_ctrl_list():
    return drop_ctrl_test(no_mlst=True)


@R.test
def max_cons_3_with_8_readers():
    names = ["par/p%d.bin" % i for i in range(8)]
    with th.Setup(["connections=8"], root=C.root, max_cons=3,
                  rate_bps=4000000) as (s, m):
        results = {}

        def reader(rel):
            try:
                results[rel] = th.read_file(m.path(rel))
            except Exception as e:  # noqa: B902 - reported below
                results[rel] = e
        threads = [threading.Thread(target=reader, args=(n,), daemon=True)
                   for n in names]
        t0 = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join(max(0.1, HANG_GUARD - (time.time() - t0)))
        if any(t.is_alive() for t in threads):
            m.watchdog_kill()
            raise HarnessError("8 readers not done after %d s (done: %d)" % (
                HANG_GUARD, len(results)))
        bad = []
        for n in names:
            r = results.get(n)
            if isinstance(r, Exception):
                bad.append("%s: %s" % (n, r))
            elif r != C.files[n]:
                bad.append("%s: %d bytes, want %d%s" % (
                    n, len(r), len(C.files[n]),
                    " (different bytes)" if len(r) == len(C.files[n]) else ""))
        if bad:
            raise HarnessError("; ".join(bad))
        refused = len(s.events("421"))
        return "%.1fs, %d connection(s) refused with 421" % (
            time.time() - t0, refused)


def stray_test(late):
    with th.Setup(["cache_timeout=0"], root=C.root,
                  stray_reply=LOGIN_CMDS + 3, stray_late=late) as (s, m):
        for rnd in range(3):
            check_listing(m, "")
            check_listing(m, "dir")
            check_listing(m, "many")
            check_bytes(m, "small.txt")
            check_bytes(m, "dir/nested/two.bin")
            os.stat(m.path("dir", "one.txt"))
        check_bytes(m, "big5m.bin")
        strays = s.events("stray") + s.events("stray-late")
        if not strays:
            raise HarnessError("the server sent no stray reply")
        sessions = len(s.events("connect"))
        return "%d stray replies, %d sessions" % (len(strays), sessions)


@R.test
def stray_reply():
    return stray_test(late=False)


@R.test
def stray_reply_late():
    """The stray 150 comes 100 ms after the reply, when ftpfs may already
    have sent its next command: it then reads the stray as the reply."""
    return stray_test(late=True)


@R.test
def stall_times_out():
    with th.Setup(["timeout=3"], root=C.root,
                  stall_after_cmds=LOGIN_CMDS) as (s, m):
        en, dt = th.expect_errno(lambda: os.stat(m.path("small.txt")),
                                 [errno.EIO, errno.ETIMEDOUT],
                                 "stat on a stalled server", m)
        en2, dt2 = th.expect_errno(lambda: th.read_file(m.path("dir/one.txt")),
                                   [errno.EIO, errno.ETIMEDOUT, errno.ENOENT],
                                   "read on a stalled server", m)
        if not s.events("stall"):
            raise HarnessError("the server never stalled")
        # Setup's exit: fusermount3 -u must work, the daemon must exit 0
        return "stat: %s after %.1fs; read: %s after %.1fs" % (
            harness.errno_name(en), dt, harness.errno_name(en2), dt2)


@R.test
def slow_replies_ls_during_reads():
    # replies 50 ms late, data at 3 MB/s: each 6 MiB read takes ~2 s
    with th.Setup(root=C.root, delay_ms=50, rate_bps=3000000) as (s, m):
        results = {}

        def reader(rel):
            try:
                results[rel] = th.read_file(m.path(rel))
            except Exception as e:  # noqa: B902 - reported below
                results[rel] = e
        threads = [threading.Thread(target=reader, args=(n,), daemon=True)
                   for n in ("large_a.bin", "large_b.bin")]
        for t in threads:
            t.start()
        time.sleep(0.5)
        running = sum(t.is_alive() for t in threads)
        check_listing(m, "many")
        check_listing(m, "dir")
        t0 = time.time()
        for t in threads:
            t.join(max(0.1, HANG_GUARD - (time.time() - t0)))
        if any(t.is_alive() for t in threads):
            m.watchdog_kill()
            raise HarnessError("large reads not done after %d s" % HANG_GUARD)
        for n in ("large_a.bin", "large_b.bin"):
            r = results.get(n)
            if isinstance(r, Exception):
                raise HarnessError("%s: %s" % (n, r))
            if r != C.files[n]:
                raise HarnessError("%s: %d bytes, want %d" % (
                    n, len(r), len(C.files[n])))
        return "%d read(s) still running when ls started" % running


def setup(a, top):
    C.top = top
    C.root = os.path.join(C.top, "tree")
    C.files = build_tree(C.root)
    th.C.top = C.top      # Setup makes its mount points there
    th.C.root = C.root


if __name__ == "__main__":
    sys.exit(harness.main(R, "ftpfs-faults-", setup=setup))
