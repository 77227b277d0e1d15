#!/usr/bin/python3
"""Nothing lost: concurrent writers, renames and faults during uploads.

    /usr/bin/python3 tests/integration/test_nothing_lost.py
        --server pyftpdlib|vsftpd [--only TEST,TEST...] [--list]

Issue 14 ("Nothing lost"), the write path under overlap and faults.  Each
check acts through a real mount and compares with the served directory
on disk, which is the truth:

* two shell loops appending to one file at once lose no line;
* two processes creating, appending to, rewriting and deleting files in
  one directory at once never see ENOENT or ESTALE on their own files,
  and the directory ends as they left it;
* a directory renamed while a file in it is being written: the upload
  lands under the new name, no temporary is left;
* temporaries: a stale one (this client's name pattern, old) is removed
  when a mount lists its directory, a fresh one is kept (it may be
  another mount's upload); a mount stopped with SIGTERM during an upload
  leaves none;
* disk full (pyftpdlib only): 552/452 during STOR data or at the final
  rename: ENOSPC from close() or fsync(), the old file intact, no
  temporary.

Timings are hang guards only.  Exit 0 = all passed, 1 = a failure,
77 = skipped.
"""

import errno
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import HarnessError  # noqa: E402

MiB = 2 ** 20
TMP_PREFIX = ".ftpfs-tmp-"
USER, PASSWORD = "writer", "w-pass"

R = harness.Runner(prefix="nothing-lost", timeout=240)
ONLY = {}      # test name -> servers it applies to


class C:
    pass


def test(servers=None):
    def deco(f):
        R.test(f)
        if servers:
            ONLY[f.__name__] = servers
        return f
    return deco


def disk(*parts):
    return os.path.join(C.root, *parts)


def mnt(*parts):
    return os.path.join(C.mount.mountpoint, *parts)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def q(path):
    return "'" + path.replace("'", "'\\''") + "'"


def sh(cmd, timeout=180):
    r = harness.run(["sh", "-c", cmd], timeout=timeout)
    return r.returncode, (r.stdout + r.stderr).decode("utf-8", "replace")


def own(path):
    harness.chown_for_server(C.server_kind, path)


def fixture_dir(rel, files=None):
    """A directory made on disk before mounting (a LIST server's listing
    of its parent is cached from the start), with files {name: bytes}."""
    d = disk(rel)
    os.makedirs(d, exist_ok=True)
    for n, data in (files or {}).items():
        with open(os.path.join(d, n), "wb") as f:
            f.write(data)
    own(d)
    return d


def temporaries(top):
    out = []
    for dirpath, dirnames, filenames in os.walk(top):
        out += [os.path.relpath(os.path.join(dirpath, n), top)
                for n in dirnames + filenames if n.startswith(TMP_PREFIX)]
    return sorted(out)


def check_no_tmp(top):
    # RELEASE comes after close() has returned: look for a while
    for _ in range(50):
        left = temporaries(top)
        if not left:
            return
        time.sleep(0.1)
    raise AssertionError("temporaries left on the server: %s" % left[:10])


def pattern(n, size):
    return (b"%s:" % n.encode() * (size // (len(n) + 1) + 1))[:size]


# --- concurrent writers ------------------------------------------------------

@test()
def concurrent_appends():
    """`echo line >> log` 200 times in each of two shell loops at once on
    one existing file: all 401 lines there, each writer's in its order."""
    log = mnt("app", "log")
    loop = "for i in $(seq 1 200); do echo %s$i >> %s || exit 1; done"
    procs = [subprocess.Popen(["sh", "-c", loop % (w, q(log))],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for w in ("A", "B")]
    outs = []
    for p in procs:
        try:
            out, _ = p.communicate(timeout=200)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
            outs.append("hung: " + out.decode("utf-8", "replace"))
            continue
        if p.returncode != 0:
            outs.append("exit %d: %s" % (p.returncode,
                                         out.decode("utf-8", "replace")[-500:]))
    lines = read(disk("app", "log")).decode().split("\n")
    if lines[-1] == "":
        lines.pop()
    problems = list(outs)
    if lines[:1] != ["first"]:
        problems.append("the first line is %r" % lines[:1])
    bad = [l for l in lines[1:] if not re.fullmatch(r"[AB][0-9]+", l)]
    if bad:
        problems.append("%d lines no writer wrote (holes, torn lines): %r"
                        % (len(bad), bad[:3]))
    lines = [l for l in lines if l not in bad]
    for w in ("A", "B"):
        got = [l for l in lines if l.startswith(w)]
        want = ["%s%d" % (w, i) for i in range(1, 201)]
        if got != want:
            missing = sorted(set(want) - set(got), key=lambda s: int(s[1:]))
            problems.append("writer %s: %d lines of 200, missing %s%s" % (
                w, len(got), missing[:10], "" if got == sorted(
                    got, key=lambda s: int(s[1:])) else ", out of order"))
    if len(lines) != 401:
        problems.append("%d lines, want 401" % len(lines))
    via = read(log).decode().split("\n")
    if via[:-1] != lines:
        problems.append("the mount shows %d lines, the disk %d" % (
            len(via) - 1, len(lines)))
    if problems:
        raise AssertionError("\n".join(problems))
    check_no_tmp(disk("app"))


WORKER = r'''
import errno, json, os, sys
d, who, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
errs, final = [], {}

def body(i, k):
    return (b"%s%d.%d " % (who.encode(), i, k)) * (50 + 37 * (i % 5))

def step(what, fn):
    try:
        return fn()
    except OSError as e:
        errs.append("%s: %s" % (what, errno.errorcode.get(e.errno, e.errno)))

def write(p, data, mode):
    with open(p, mode) as f:
        f.write(data)

def rewrite(p, data):
    # a verified rewrite: in place (O_RDWR), fsync, read back
    fd = os.open(p, os.O_RDWR)
    try:
        os.pwrite(fd, data, 0)
        os.fsync(fd)
        if os.pread(fd, len(data), 0) != data:
            errs.append("%s: rewrite reads back different bytes" % p)
    finally:
        os.close(fd)

def replace(p, data):
    # maildir style: a new name, fsync, renamed over the file, verified
    t = p + ".new"
    with open(t, "wb") as f:
        f.write(data)
        os.fsync(f.fileno())
    os.rename(t, p)
    if open(p, "rb").read() != data:
        errs.append("%s: replaced file reads back different bytes" % p)

for i in range(n):
    p = os.path.join(d, "%s%03d" % (who, i))
    a, b = body(i, 0), body(i, 1)
    step("list", lambda: os.listdir(d))
    step("create " + p, lambda: write(p, a, "wb"))
    step("append " + p, lambda: write(p, b, "ab"))
    got = step("read " + p, lambda: open(p, "rb").read())
    if got is not None and got != a + b:
        errs.append("%s: %d bytes read back, want %d" % (p, len(got),
                                                         len(a + b)))
    st = step("stat " + p, lambda: os.stat(p))
    if st is not None and st.st_size != len(a + b):
        errs.append("%s: stat size %d, want %d" % (p, st.st_size, len(a + b)))
    final[os.path.basename(p)] = (a + b).decode()
    if i % 3 == 1:
        c = body(i, 2)
        step("rewrite " + p, lambda: rewrite(p, c))
        final[os.path.basename(p)] = (c + (a + b)[len(c):]).decode()
    if i % 5 == 2:
        c = body(i, 3)
        step("replace " + p, lambda: replace(p, c))
        final[os.path.basename(p)] = c.decode()
    if i % 4 == 3:
        q = os.path.join(d, "%s%03d" % (who, i - 2))
        step("unlink " + q, lambda: os.unlink(q))
        final.pop(os.path.basename(q), None)
print(json.dumps({"errors": errs, "final": final}))
'''


@test()
def two_processes_one_dir():
    """Two processes creating, appending to, rewriting in place and
    deleting files in one directory at once (a mail spool, a build tree):
    no ENOENT or ESTALE on files they just wrote, and the directory on
    disk ends as they left it."""
    n = 60
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, mnt("spool"),
                               who, str(n)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
             for who in ("p", "q")]
    problems, want = [], {}
    for p in procs:
        try:
            out, _ = p.communicate(timeout=200)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            problems.append("a worker hung")
            continue
        try:
            res = json.loads(out.decode().strip().split("\n")[-1])
        except (ValueError, IndexError):
            problems.append("a worker failed: %s" % out.decode()[-1000:])
            continue
        problems += res["errors"][:20]
        want.update(res["final"])
    names = sorted(os.listdir(disk("spool")))
    if names != sorted(want):
        problems.append("on disk: extra %s, missing %s" % (
            sorted(set(names) - set(want))[:10],
            sorted(set(want) - set(names))[:10]))
    for name in sorted(set(names) & set(want)):
        if read(disk("spool", name)).decode() != want[name]:
            problems.append("%s: contents differ on disk" % name)
    if problems:
        raise AssertionError("\n".join(problems[:40]))
    check_no_tmp(disk("spool"))
    return "%d files left" % len(names)


# --- renames -----------------------------------------------------------------

@test()
def dir_renamed_while_writing():
    """cp into d/x while `mv d d2`: the file lands at d2/x with every
    byte, close() succeeds, no temporary stays in d2."""
    data = os.urandom(12 * MiB)
    fd = os.open(mnt("ren", "d", "x"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                 0o644)
    problems = []
    try:
        os.write(fd, data[:4 * MiB])
        os.rename(mnt("ren", "d"), mnt("ren", "d2"))
        for i in range(4 * MiB, len(data), MiB):
            os.write(fd, data[i:i + MiB])
    finally:
        try:
            os.close(fd)
        except OSError as e:
            problems.append("close: %s" % harness.errno_name(e.errno))
    if not os.path.exists(disk("ren", "d2", "x")):
        problems.append("no d2/x on disk (%s)" % os.listdir(disk("ren", "d2")))
    elif read(disk("ren", "d2", "x")) != data:
        problems.append("d2/x on disk: %d bytes, differ from what was "
                        "written" % os.path.getsize(disk("ren", "d2", "x")))
    if os.path.exists(disk("ren", "d")):
        problems.append("ren/d is back on disk")
    left = temporaries(disk("ren"))
    if left:
        problems.append("temporaries on disk: %s" % left)
    if problems:
        raise AssertionError("\n".join(problems))
    if read(mnt("ren", "d2", "x")) != data:
        raise AssertionError("d2/x through the mount differs")


@test()
def cp_while_dir_renamed():
    """The shell form: `cp big d/x & mv d d2` (mv while cp writes)."""
    src = os.path.join(C.local, "big")
    with open(src, "wb") as f:
        f.write(os.urandom(40 * MiB))
    cp = subprocess.Popen(["cp", src, mnt("ren2", "d", "x")],
                          stderr=subprocess.PIPE)
    # mv once cp has started writing (the name is there)
    for _ in range(200):
        if os.path.exists(mnt("ren2", "d", "x")) or cp.poll() is not None:
            break
        time.sleep(0.02)
    rc, out = sh("mv %s %s" % (q(mnt("ren2", "d")), q(mnt("ren2", "d2"))))
    err = cp.communicate(timeout=200)[1].decode()
    problems = []
    if rc:
        problems.append("mv: %s" % out)
    if cp.returncode:
        problems.append("cp exited %d: %s" % (cp.returncode, err))
    x = disk("ren2", "d2", "x")
    if not os.path.exists(x) or read(x) != read(src):
        problems.append("d2/x on disk is not the source (%s)" % (
            os.listdir(disk("ren2", "d2"))))
    left = temporaries(disk("ren2"))
    if left:
        problems.append("temporaries on disk: %s" % left)
    if problems:
        raise AssertionError("\n".join(problems))


@test(servers=("pyftpdlib",))
def stat_during_upload():
    """An existing file's upload at close (a spool: O_RDWR) takes ~8 s on a server
    capped at 1 MiB/s. Meanwhile stat and fstat of the file (open twice),
    `ls -l` of its directory and stat of another file answer at once from
    the node's snapshot (they used to wait for the node's I/O lock, held
    across the upload), with the size written; the file lands whole."""
    top = os.path.join(C.top, "slow")
    os.makedirs(os.path.join(top, "pub", "d"))
    for n in ("other.txt", "big"):
        with open(os.path.join(top, "pub", "d", n), "wb") as f:
            f.write(b"old\n")
    srv = harness.start_server("pyftpdlib", top, user=USER,
                               password=PASSWORD, rate_bps=MiB)
    mp = os.path.join(C.top, "mnt-slow")
    os.makedirs(mp)
    m = harness.mount(srv.url("/pub"), mp)
    data = os.urandom(8 * MiB)
    problems, res = [], {}

    def close_it(fd):
        try:
            os.close(fd)
            res["close"] = "ok"
        except OSError as e:
            res["close"] = harness.errno_name(e.errno)

    def quick(what, fn):
        t0 = time.time()
        try:
            v = fn()
        except OSError as e:
            problems.append("%s: %s" % (what, e))
            v = None
        if time.time() - t0 > 3:
            problems.append("%s took %.1f s during the upload"
                            % (what, time.time() - t0))
        return v
    fd = fd2 = None
    try:
        big = m.path("d", "big")
        fd = os.open(big, os.O_RDWR)
        os.write(fd, data)
        fd2 = os.open(big, os.O_RDONLY)
        closer = threading.Thread(target=close_it, args=(fd,))
        fd = None
        closer.start()
        d = os.path.join(top, "pub", "d")
        for _ in range(100):    # the upload has begun
            if temporaries(d):
                break
            time.sleep(0.05)
        if not temporaries(d):
            problems.append("no upload seen on the server")
        st = quick("stat d/big", lambda: os.stat(big))
        if st is not None and st.st_size != len(data):
            problems.append("stat d/big: %d bytes, want %d"
                            % (st.st_size, len(data)))
        quick("fstat of a second descriptor", lambda: os.fstat(fd2))
        quick("ls -l d", lambda: sh("ls -l %s" % q(m.path("d"))))
        quick("stat d/other.txt",
              lambda: os.stat(m.path("d", "other.txt")))
        if not closer.is_alive():
            problems.append("the upload ended before the checks: too fast "
                            "to tell")
        closer.join(120)
        os.close(fd2)
        fd2 = None
    finally:
        for f in (fd, fd2):
            if f is not None:
                os.close(f)
        m.unmount()
        srv.stop()
    if res.get("close") != "ok":
        problems.append("close: %s" % res.get("close"))
    got = os.path.join(top, "pub", "d", "big")
    if not os.path.exists(got) or read(got) != data:
        problems.append("d/big on disk is not what was written")
    left = temporaries(os.path.join(top, "pub"))
    if left:
        problems.append("temporaries on disk: %s" % left)
    if problems:
        raise AssertionError("\n".join(problems))


@test()
def second_open_of_new_file():
    """A new file still being written (not on the server before its
    commit) opened again, for reading and for appending: no ENOENT; the
    reader sees what was written, the append lands after it."""
    p = mnt("spool", "second-open")
    problems = []
    with open(p, "wb", buffering=0) as f:
        f.write(b"first part\n")
        for flags in (os.O_RDONLY, os.O_RDWR):
            try:
                fd = os.open(p, flags)
            except OSError as e:
                problems.append("open(%s) again: %s" % (
                    "O_RDONLY" if flags == os.O_RDONLY else "O_RDWR", e))
                continue
            got = os.pread(fd, 100, 0)
            if got != b"first part\n":
                problems.append("read back %r" % got)
            os.close(fd)
        with open(p, "ab") as g:
            g.write(b"appended\n")
    if problems:
        raise AssertionError("\n".join(problems))
    got = read(disk("spool", "second-open"))
    if got != b"first part\nappended\n":
        raise AssertionError("on disk: %r" % got)


# --- temporaries ---------------------------------------------------------------

@test()
def stale_tmp_removed():
    """A temporary of ours older than the bound (left by a mount that was
    killed) is removed when a mount lists its directory; a fresh one is
    kept (it may be another mount's running upload), and neither is
    shown; a name that only begins like ours is neither hidden nor
    removed (hidden litter could never be deleted)."""
    d = disk("stale")
    old, fresh, other = (os.path.join(d, TMP_PREFIX + n) for n in STALE)
    names = sorted(os.listdir(mnt("stale")))
    problems = []
    if names != [TMP_PREFIX + "not-ours", "keep.txt"]:
        problems.append("the mount lists %s (want keep.txt and the name "
                        "not of our pattern)" % names)
    for _ in range(50):
        if not os.path.exists(old):
            break
        time.sleep(0.1)
    if os.path.exists(old):
        problems.append("the stale temporary is still on disk")
    if not os.path.exists(fresh):
        problems.append("a fresh temporary was removed")
    if not os.path.exists(other):
        problems.append("a name not of our pattern was removed")
    os.unlink(fresh)
    os.unlink(other)
    if problems:
        raise AssertionError("\n".join(problems))


@test()
def sigterm_during_upload():
    """SIGTERM to the daemon while a file is being streamed and another
    is open with data in a spool: the daemon exits within its bound, and
    no temporary stays on the server; each file is either its old
    contents or what was written (never a part)."""
    mp = os.path.join(C.top, "mnt-term")
    os.makedirs(mp, exist_ok=True)
    m = harness.mount(C.server.url("/pub/term"), mp)
    data = os.urandom(6 * MiB)
    fd1 = os.open(os.path.join(mp, "new.bin"),
                  os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    fd2 = os.open(os.path.join(mp, "old.txt"), os.O_RDWR)
    problems = []
    try:
        os.write(fd1, data[:3 * MiB])
        os.pwrite(fd2, b"NEW", 0)
        os.kill(m.pid(), signal.SIGTERM)
        try:
            rc = m.proc.wait(30)
            if rc != 0:
                problems.append("ftpfs exit code %d after SIGTERM" % rc)
        except subprocess.TimeoutExpired:
            problems.append("ftpfs still running 30 s after SIGTERM")
    finally:
        for fd in (fd1, fd2):
            try:
                os.close(fd)
            except OSError:
                pass
        err = m.stderr(10 ** 6)
        problems += ["ftpfs stderr contains %r" % k
                     for k in harness.SANITIZER_MARKERS if k in err]
        if harness.is_fuse_mounted(mp):
            problems.append("still mounted after SIGTERM")
        m.unmounted = True      # done here: not by the harness
        m._kill()
        m._lazy_unmount()
        if m in harness._live_mounts:
            harness._live_mounts.remove(m)
    left = temporaries(disk("term"))
    if left:
        problems.append("temporaries left after SIGTERM: %s" % left)
    if read(disk("term", "old.txt")) not in (b"old contents\n",
                                            b"NEW contents\n"):
        problems.append("old.txt: %r" % read(disk("term", "old.txt")))
    if os.path.exists(disk("term", "new.bin")) and \
            read(disk("term", "new.bin")) not in (data[:3 * MiB],):
        problems.append("new.bin is a part: %d bytes" % os.path.getsize(
            disk("term", "new.bin")))
    if problems:
        raise AssertionError("\n".join(problems))


# --- server restart ------------------------------------------------------------

RESTART_WRITER = r'''
import os, sys
path, src, how = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(src, "rb").read()
half = len(data) // 2
err = "ok"
try:
    fd = os.open(path, os.O_WRONLY |
                 (os.O_APPEND if how == "append" else os.O_TRUNC))
    try:
        for i in range(0, half, 1 << 20):
            os.write(fd, data[i:i + (1 << 20)])
        print("half", flush=True)
        sys.stdin.readline()             # the server was restarted
        for i in range(half, len(data), 1 << 20):
            os.write(fd, data[i:i + (1 << 20)])
    finally:
        os.close(fd)
except OSError as e:
    err = str(e.errno)
print(err, flush=True)
'''


def restart_case(name, lose_tmp, how="trunc"):
    """A writer process writes 12 MiB over old.bin (how="append": appends
    them to it, O_APPEND); after 6 MiB the server is killed (-9) and
    started again on the same port (lose_tmp: its half-written temporary
    deleted meanwhile), then the writer goes on.
    (The writer is another process: starting the server forks, and the
    close of an inherited descriptor would commit the upload.)
    Returns (problems, errno or None, bytes on disk, old, data)."""
    top = os.path.join(C.top, name)
    root = os.path.join(top, "pub")
    os.makedirs(root)
    old = pattern("old", 5000)
    with open(os.path.join(root, "old.bin"), "wb") as f:
        f.write(old)
    data = os.urandom(12 * MiB)
    src = os.path.join(C.local, name + ".src")
    with open(src, "wb") as f:
        f.write(data)
    srv = harness.start_server("pyftpdlib", top, user=USER,
                               password=PASSWORD)
    mp = os.path.join(C.top, "mnt-" + name)
    os.makedirs(mp)
    m = harness.mount(srv.url("/pub"), mp)
    problems, err = [], None
    try:
        w = subprocess.Popen([sys.executable, "-c", RESTART_WRITER,
                              os.path.join(mp, "old.bin"), src, how],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
        if w.stdout.readline().strip() == "half":
            time.sleep(0.3)     # the server has what was sent
            srv.proc.kill()
            srv.proc.wait()
            srv._forget()
            if lose_tmp:
                for t in temporaries(root):
                    os.unlink(os.path.join(root, t))
            srv = harness.start_server("pyftpdlib", top, user=USER,
                                       password=PASSWORD, port=srv.port)
        out = w.communicate("go\n", timeout=120)[0].strip()
        err = None if out == "ok" else int(out) if out.isdigit() else -1
    finally:
        try:
            m.unmount()
        finally:
            srv.stop()
    got = read(os.path.join(root, "old.bin"))
    left = temporaries(root)
    if left:
        problems.append("temporaries left: %s" % left)
    return problems, err, got, old, data


@test(servers=("pyftpdlib",))
def server_restart_resumes_upload():
    """The server is killed and restarted in the middle of an upload:
    ftpfs reconnects, asks the temporary's SIZE, goes on with REST+STOR
    from there (resending what the server lost from the bytes it keeps),
    close() succeeds and the file is byte-identical."""
    problems, err, got, old, data = restart_case("restart", False)
    if err is not None:
        problems.append("write/close failed: %s" % harness.errno_name(err))
    if got != data:
        problems.append("on disk: %d bytes, %s" % (
            len(got), "the old file" if got == old else "not what was "
            "written"))
    if problems:
        raise AssertionError("\n".join(problems))


@test(servers=("pyftpdlib",))
def server_restart_resumes_append():
    """The same for an append (O_APPEND: APPE on the file itself): ftpfs
    asks the file's SIZE and appends the rest from there with APPE, so
    close() succeeds and the file is the old bytes then the new, once."""
    problems, err, got, old, data = restart_case("restart-append", False,
                                                 "append")
    if err is not None:
        problems.append("write/close failed: %s" % harness.errno_name(err))
    if got != old + data:
        problems.append("on disk: %d bytes, want %d%s" % (
            len(got), len(old + data),
            " (the old file then a part of the new bytes)"
            if got[:len(old)] == old and len(got) < len(old + data)
            else ""))
    if problems:
        raise AssertionError("\n".join(problems))


@test(servers=("pyftpdlib",))
def server_restart_cannot_resume():
    """The same, but the server lost the temporary: the upload cannot go
    on safely, so write or close fails with EIO, the old file stays and
    no temporary is left."""
    problems, err, got, old, data = restart_case("restart-lost", True)
    if err != errno.EIO:
        problems.append("write/close: %s, want EIO" % (
            harness.errno_name(err) if err else "succeeded"))
    if got != old:
        problems.append("the old file is not intact: %d bytes" % len(got))
    if problems:
        raise AssertionError("\n".join(problems))


# --- disk full -----------------------------------------------------------------

def quota_mount(name, **knobs):
    """A pyftpdlib with the knobs (max_file_bytes, quota_code, rnto_code),
    serving its own tree, mounted; the caller unmounts and stops."""
    top = os.path.join(C.top, name)
    root = os.path.join(top, "pub")
    os.makedirs(root)
    with open(os.path.join(root, "old.bin"), "wb") as f:
        f.write(pattern("old", 5000))
    srv = harness.start_server("pyftpdlib", top, user=USER,
                               password=PASSWORD, **knobs)
    mp = os.path.join(C.top, "mnt-" + name)
    os.makedirs(mp)
    try:
        m = harness.mount(srv.url("/pub"), mp)
    except HarnessError:
        srv.stop()
        raise
    return srv, m, root


def full_checks(root, m, how):
    """Write 3 MiB over old.bin (how: close or fsync) and into new.bin: the
    error is ENOSPC, the old bytes stay, no new file, no temporary."""
    problems = []
    for name in ("old.bin", "new.bin"):
        p = m.path(name)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        err = None
        try:
            for i in range(3):
                os.write(fd, pattern("new", MiB))
            if how == "fsync":
                os.fsync(fd)
        except OSError as e:
            err = e.errno
        try:
            os.close(fd)
        except OSError as e:
            err = err or e.errno
        if err != errno.ENOSPC:
            problems.append("%s: %s %s, want ENOSPC" % (
                name, how, harness.errno_name(err) if err else "succeeded"))
    time.sleep(0.5)     # RELEASE comes after close()
    if read(os.path.join(root, "old.bin")) != pattern("old", 5000):
        problems.append("old.bin on disk lost its old bytes")
    if os.path.exists(os.path.join(root, "new.bin")):
        problems.append("new.bin exists on disk")
    left = temporaries(root)
    if left:
        problems.append("temporaries left: %s" % left)
    return problems


def quota_case(name, how, **knobs):
    srv, m, root = quota_mount(name, **knobs)
    try:
        problems = full_checks(root, m, how)
    finally:
        m.unmount()
        srv.stop()
    if problems:
        raise AssertionError("\n".join(problems))


@test(servers=("pyftpdlib",))
def full_at_rename_552():
    """552 to the RNTO that puts the upload in place: ENOSPC at close(),
    the old file intact (not deleted to make room for a rename that
    fails), no temporary."""
    quota_case("q-rnto", "close", rnto_code=552)


@test(servers=("pyftpdlib",))
def full_at_rename_452_fsync():
    quota_case("q-rnto452", "fsync", rnto_code=452)


@test(servers=("pyftpdlib",))
def full_during_data_452_fsync():
    """452 (a transient "insufficient storage") in the middle of STOR's
    data: ENOSPC from fsync()/close(), old file intact."""
    quota_case("q-452", "fsync", max_file_bytes=MiB, quota_code=452)


@test(servers=("pyftpdlib",))
def full_during_data_552_close():
    quota_case("q-552", "close", max_file_bytes=MiB, quota_code=552)


STALE = ("00c0ffee00c0ffee", "0123456789abcdef", "not-ours")


def prepare():
    fixture_dir("app", {"log": b"first\n"})
    fixture_dir("spool")
    fixture_dir("ren/d")
    fixture_dir("ren2/d")
    fixture_dir("term", {"old.txt": b"old contents\n"})
    d = fixture_dir("stale", {"keep.txt": b"keep\n"})
    t = time.time() - 3 * 86400
    for n in STALE:
        p = os.path.join(d, TMP_PREFIX + n)
        with open(p, "wb") as f:
            f.write(b"partial upload")
        if n != "0123456789abcdef":
            os.utime(p, (t, t))
    own(d)


# --- main ----------------------------------------------------------------------

def setup(a, top):
    C.server_kind = a.server
    C.top = top
    tree = os.path.join(C.top, "tree")
    C.root = os.path.join(tree, "pub")
    C.local = os.path.join(C.top, "local")
    os.makedirs(C.root)
    os.makedirs(C.local)
    os.makedirs(os.path.join(C.top, "mnt"))
    os.chmod(tree, 0o755)
    C.mount = C.server = None
    prepare()
    knobs = {}
    if a.server == "vsftpd":
        own(C.root)
        knobs["writable"] = True
    else:
        knobs.update(user=USER, password=PASSWORD)
    C.server = harness.start_server(a.server, tree, **knobs)
    C.mount = harness.mount(C.server.url("/pub"), os.path.join(C.top, "mnt"))


def final(a):
    return harness.clean_exit_steps([("unmount_clean_exit", C.mount)],
                                    [("server_clean_exit", C.server)])


if __name__ == "__main__":
    sys.exit(harness.main(
        R, "ftpfs-nl-", setup=setup, final=final, only_on=ONLY,
        servers=("pyftpdlib", "vsftpd"),
        prefix=lambda a: "nothing-lost/%s" % a.server))
