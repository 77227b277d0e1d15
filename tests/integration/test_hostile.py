#!/usr/bin/python3
"""Hardening: hostile servers, hostile names.

    /usr/bin/python3 tests/integration/test_hostile.py [--only T,T...] [--list]

Mounts ftpfs (FTPFS_BIN, default build/ftpfs) on tests/servers/hostile.py
(a scripted server with fault knobs) and checks that:

  * names with '/', NUL, CR, LF, '.' or '..' sent by the server never reach
    the kernel, and every sane name still does (MLSD and LIST);
  * the address in a PASV reply is ignored (data goes to the control peer),
    and trusted only with -o pasv_ip, where a lie fails with EIO, no hang;
  * an over-long or endless reply fails the mount cleanly (one line, exit 1)
    or the operation (an error, EIO expected), in bounded time and memory;
  * an endless listing fails with EIO (-o max_entries) in bounded memory;
  * names with CR/LF coming from the user are EINVAL and never reach the
    server as commands (the server logs every command line it receives);
  * very long paths: ENAMETOOLONG or a clean error, the mount stays usable;
  * a host beginning with '-' is refused.

Memory bound: VmHWM of ftpfs < 64 MiB (relaxed under sanitizers, skipped
for a non-ELF FTPFS_BIN wrapper). Time: hang guards only (60 s).
Exit 0 = all passed, 1 = a failure, 77 = skipped.
"""

import errno
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import HarnessError  # noqa: E402

MiB = 2 ** 20
HANG_GUARD = 60          # seconds: anything slower is a hang
MEM_LIMIT = 64 * MiB     # VmHWM of ftpfs
MEM_LIMIT_SANITIZER = 256 * MiB

R = harness.Runner(prefix="hostile", timeout=120)


# --- the hostile server ----------------------------------------------------

class HostileServer(harness.Server):
    """tests/servers/hostile.py as a child process; knobs become flags
    (drop_data_after=5 -> --drop-data-after 5, extra_names=True ->
    --extra-names). Stopped and checked like harness servers (exit 0, no
    traceback); cleaned up by harness.cleanup_all()."""

    def __init__(self, root, **knobs):
        harness.Server.__init__(self, "hostile", root, knobs)

    def records(self):
        """Everything logged so far: dicts with "line" (a command line as
        received, latin-1) or "event"."""
        out = []
        try:
            with open(self.log, encoding="utf-8") as f:
                for l in f:
                    l = l.strip()
                    if l:
                        out.append(json.loads(l))
        except FileNotFoundError:
            pass
        return out

    def commands(self):
        return [r["line"] for r in self.records() if "line" in r]

    def events(self, name=None):
        return [r for r in self.records()
                if "event" in r and (name is None or r["event"] == name)]


def start_hostile(root, **knobs):
    return HostileServer(root, **knobs)


# --- helpers -----------------------------------------------------------------

class C:
    top = None
    root = None      # the served tree
    n_mp = 0


def new_mountpoint():
    C.n_mp += 1
    mp = os.path.join(C.top, "mnt%d" % C.n_mp)
    os.mkdir(mp)
    return mp


class Setup:
    """A server + a mount for one test: `with Setup(knobs, opts) as (s, m):`.
    On exit: unmount (clean daemon exit, no sanitizer report), stop the
    server (exit 0); both are checked even if the test failed."""

    def __init__(self, opts=(), root=None, **knobs):
        self.opts = list(opts)
        self.knobs = knobs
        self.root = root or C.root
        self.server = None
        self.m = None

    def __enter__(self):
        self.server = start_hostile(self.root, **self.knobs)
        try:
            self.m = harness.mount(self.server.url(), new_mountpoint(),
                                   self.opts)
        except Exception:
            self.server.stop()
            raise
        return self.server, self.m

    def __exit__(self, et, ev, tb):
        errors = []
        for step in (self.m.unmount, self.server.stop):
            try:
                step()
            except Exception as e:
                errors.append(str(e))
        if errors and et is None:
            raise HarnessError("; ".join(errors))
        if errors:
            print("# cleanup after failure: " + "; ".join(errors)[:2000])
        return False


def bounded(fn, what, m=None, limit=HANG_GUARD):
    """Run fn() in a thread; returns (value, exception, seconds). If it takes
    longer than limit, kill the mount (so the thread is released) and fail."""
    box = {}

    def runner():
        try:
            box["v"] = fn()
        except BaseException as e:  # noqa: B902 - reported to the caller
            box["e"] = e
    t0 = time.time()
    t = threading.Thread(target=runner, daemon=True)
    t.start()
    t.join(limit)
    if t.is_alive():
        if m is not None:
            m.watchdog_kill()
            t.join(10)
        raise HarnessError("%s: no answer after %d s (hang)" % (what, limit))
    return box.get("v"), box.get("e"), time.time() - t0


def expect_errno(fn, allowed, what, m=None):
    """fn() must fail with OSError whose errno is in allowed, within the
    hang guard. Returns (errno, seconds)."""
    v, e, dt = bounded(fn, what, m)
    if e is None:
        raise HarnessError("%s: succeeded (%r), want %s" % (
            what, v if not isinstance(v, bytes) else v[:80],
            "/".join(harness.errno_name(a) for a in allowed)))
    if not isinstance(e, OSError):
        raise e
    if e.errno not in allowed:
        raise HarnessError("%s: got %s (%s), want %s" % (
            what, harness.errno_name(e.errno), e.strerror,
            "/".join(harness.errno_name(a) for a in allowed)))
    return e.errno, dt


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def disk(*parts):
    return os.path.join(C.root, *parts)


def is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def sanitized(path):
    """Is the ftpfs binary built with a sanitizer (its RSS is no measure)?"""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return False
    return b"__asan_init" in data or b"__tsan_init" in data or \
        b"__msan_init" in data


def mem_limit():
    """(limit in bytes or None to skip, why)."""
    b = harness.ftpfs_bin()
    if not is_elf(b):
        return None, "FTPFS_BIN is a wrapper: memory not checked"
    if sanitized(b):
        return MEM_LIMIT_SANITIZER, "sanitizer build: limit %d MiB" % (
            MEM_LIMIT_SANITIZER // MiB)
    return MEM_LIMIT, None


def vm_hwm(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise HarnessError("no VmHWM for pid %d" % pid)


def check_memory(m, what):
    limit, why = mem_limit()
    if limit is None:
        return why
    hwm = vm_hwm(m.pid())
    if hwm > limit:
        raise HarnessError("%s: ftpfs VmHWM %.1f MiB > %d MiB" % (
            what, hwm / MiB, limit // MiB))
    return "VmHWM %.1f MiB%s" % (hwm / MiB, " (" + why + ")" if why else "")


def ftpfs_start_exit(args, timeout=HANG_GUARD):
    """Run ftpfs in the foreground-less (daemonising) mode, wait for it and
    return (rc, stderr, maxrss_bytes). A hang is a failure."""
    errf = tempfile.TemporaryFile()
    p = subprocess.Popen([harness.ftpfs_bin()] + args, stdin=subprocess.DEVNULL,
                         stdout=errf, stderr=errf)
    deadline = time.time() + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.time() > deadline:
            p.kill()
            os.wait4(p.pid, 0)
            p.returncode = -9
            raise HarnessError("ftpfs %s: still running after %d s (hang)"
                               % (" ".join(args), timeout))
        time.sleep(0.05)
    p.returncode = os.waitstatus_to_exitcode(status)
    errf.seek(0)
    err = errf.read().decode("utf-8", "replace")
    errf.close()
    return p.returncode, err, ru.ru_maxrss * 1024


def expect_start_failure(url, words=(), maxrss_check=True):
    """ftpfs URL MP must print one line, exit 1, leave nothing mounted."""
    mp = new_mountpoint()
    rc, err, maxrss = ftpfs_start_exit([url, mp])
    if harness.is_fuse_mounted(mp):
        subprocess.run(["fusermount3", "-u", mp])
        raise HarnessError("mounted although it should fail: %s" % url)
    lines = [l for l in err.split("\n") if l.strip()]
    if rc != 1:
        raise HarnessError("exit %d (want 1) for %s: %r" % (rc, url, err[-2000:]))
    for marker in harness.SANITIZER_MARKERS:
        if marker in err:
            raise HarnessError("sanitizer report for %s:\n%s" % (url, err[-4000:]))
    if len(lines) != 1:
        raise HarnessError("want one line of error for %s, got %r"
                           % (url, err[-2000:]))
    for w in words:
        if w.lower() not in err.lower():
            raise HarnessError("error %r lacks %r" % (err.strip(), w))
    if maxrss_check:
        limit, why = mem_limit()
        if limit is not None and maxrss > limit:
            raise HarnessError("%s: ftpfs max RSS %.1f MiB > %d MiB" % (
                url, maxrss / MiB, limit // MiB))
    return err.strip()


def raw_readdir(path):
    """Names as readdir(3) returns them, '.' and '..' included, duplicates
    kept (os.listdir would hide '.'/'..'). Uses `ls -f` with C quoting."""
    r = harness.run(["ls", "-1", "-a", "-f", "--quoting-style=c", path],
                    timeout=HANG_GUARD, env=dict(os.environ, LC_ALL="C"))
    if r.returncode != 0:
        raise HarnessError("ls -f %s: %s" % (path, r.stderr.decode(
            "utf-8", "replace")))
    names = []
    for line in r.stdout.decode("utf-8", "surrogateescape").split("\n"):
        if not line:
            continue
        # "..." with C escapes
        s = line[1:-1] if line.startswith('"') and line.endswith('"') else line
        names.append(s.encode("latin-1", "backslashreplace")
                     .decode("unicode_escape").encode("latin-1")
                     .decode("utf-8", "surrogateescape"))
    return names


# Fragments the LF name leaves: "lf<LF>x" splits the listing line, and the
# part before the LF is a well-formed line naming "lf". No client can tell.
LF_FRAGMENTS = {"lf"}
BAD_CHARS = ("/", "\0", "\r", "\n")


def check_names(mpdir, diskdir, what):
    want = set(os.listdir(diskdir))
    raw = raw_readdir(mpdir)
    got = [n for n in raw if n not in (".", "..")]
    problems = []
    for dot in (".", ".."):
        if raw.count(dot) != 1:
            problems.append("%r appears %d times in readdir" % (dot, raw.count(dot)))
    for n in got:
        if any(c in n for c in BAD_CHARS):
            problems.append("bad name reached the kernel: %r" % n)
    if len(got) != len(set(got)):
        problems.append("duplicate names: %r" % sorted(got))
    missing = want - set(got)
    if missing:
        problems.append("sane names missing: %r" % sorted(missing))
    extra = set(got) - want - LF_FRAGMENTS
    if extra:
        problems.append("unexpected names: %r" % sorted(extra))
    if problems:
        raise HarnessError("%s: %s (readdir: %r)" % (what, "; ".join(problems),
                                                      raw))
    # os.listdir agrees
    ol = set(os.listdir(mpdir)) - LF_FRAGMENTS
    if ol != want:
        raise HarnessError("%s: os.listdir %r != disk %r" % (what, sorted(ol),
                                                            sorted(want)))


# --- the tree ----------------------------------------------------------------

def build_tree(root):
    os.makedirs(os.path.join(root, "sub", "deeper"))
    with open(os.path.join(root, "a.txt"), "wb") as f:
        f.write(b"hello from a.txt\n")
    with open(os.path.join(root, "b c.txt"), "wb") as f:
        f.write(b"bee see\n" * 1000)
    with open(os.path.join(root, "sub", "inner.bin"), "wb") as f:
        f.write(os.urandom(300000))
    with open(os.path.join(root, "sub", "deeper", "x"), "wb") as f:
        f.write(b"x\n")
    os.mkdir(os.path.join(root, "empty"))


# --- tests: names from the server -------------------------------------------

def names_test(no_mlst):
    with Setup(extra_names=True, no_mlst=no_mlst) as (s, m):
        check_names(m.mountpoint, C.root, "top")
        check_names(m.path("sub"), disk("sub"), "sub")
        check_names(m.path("empty"), disk("empty"), "empty")
        # the sane entries work: stat and content
        for name in ("a.txt", "b c.txt"):
            if read_file(m.path(name)) != read_file(disk(name)):
                raise HarnessError("wrong content for %s" % name)
        if read_file(m.path("sub", "inner.bin")) != read_file(disk("sub", "inner.bin")):
            raise HarnessError("wrong content for sub/inner.bin")
        st = os.stat(m.path("sub"))
        if not stat.S_ISDIR(st.st_mode):
            raise HarnessError("sub is not a directory")
        # the hostile names are not reachable either
        for bad in ("a", "nul", "cr"):
            v, e, _ = bounded(lambda: os.lstat(m.path(bad)), "lstat " + bad, m)
            if e is None:
                raise HarnessError("%r exists through the mount" % bad)


@R.test
def server_names_mlsd():
    names_test(no_mlst=False)


@R.test
def server_names_list():
    names_test(no_mlst=True)


# --- tests: PASV spoofing ------------------------------------------------------

@R.test
def pasv_address_ignored():
    with Setup(pasv_only=True, pasv_address="127.0.0.2") as (s, m):
        check_names(m.mountpoint, C.root, "top")
        for rel in ("a.txt", "sub/inner.bin"):
            v, e, _ = bounded(lambda: read_file(m.path(rel)), "read " + rel, m)
            if e is not None:
                raise HarnessError("read %s with a spoofed PASV address: %s"
                                   % (rel, e))
            if v != read_file(disk(rel)):
                raise HarnessError("wrong content for %s" % rel)
        cmds = [c.split(" ")[0].upper() for c in s.commands()]
        if "PASV" not in cmds:
            raise HarnessError("no PASV was sent: %r" % cmds)


@R.test
def pasv_ip_trusted_fails_cleanly():
    with Setup(["pasv_ip"], pasv_only=True, pasv_address="127.0.0.2") as (s, m):
        e1, t1 = expect_errno(lambda: read_file(m.path("a.txt")), [errno.EIO],
                              "read with -o pasv_ip and a lying PASV", m)
        e2, t2 = expect_errno(lambda: os.listdir(m.path("sub")), [errno.EIO],
                              "listdir with -o pasv_ip and a lying PASV", m)
        # metadata without a data connection still works: the mount is alive
        os.stat(m.path("a.txt"))
        return "read %.1fs, listdir %.1fs" % (t1, t2)


# --- tests: over-long and endless replies -----------------------------------

@R.test
def overlong_reply_at_start():
    notes = []
    for cmd in ("PWD", "FEAT", "GREETING"):
        s = start_hostile(C.root, overlong_reply=200000, hostile_cmd=cmd)
        try:
            err = expect_start_failure(s.url())
            notes.append("%s: %s" % (cmd, err[:60]))
        finally:
            s.stop()
    return "; ".join(notes)


@R.test
def endless_reply_at_start():
    notes = []
    for cmd in ("FEAT", "PWD", "GREETING"):
        s = start_hostile(C.root, endless_reply=True, hostile_cmd=cmd)
        try:
            err = expect_start_failure(s.url())
            notes.append("%s: %s" % (cmd, err[:60]))
        finally:
            s.stop()
    return "; ".join(notes)


def reply_in_operation(cmd, **knobs):
    """The reply to MLST (lookups) or EPSV (listings, reads) is hostile:
    the operation fails with EIO, in bounded time and memory, and the
    mount stays usable for the rest."""
    with Setup(hostile_cmd=cmd, **knobs) as (s, m):
        times = []
        wrong = set()
        for i in range(2):
            if cmd == "MLST":
                ops = [("stat a.txt", lambda: os.stat(m.path("a.txt"))),
                       ("stat sub/inner.bin",
                        lambda: os.stat(m.path("sub", "inner.bin")))]
            else:
                ops = [("listdir sub", lambda: os.listdir(m.path("sub"))),
                       ("read a.txt", lambda: read_file(m.path("a.txt")))]
            for what, fn in ops:
                # any errno is a failure unless EIO, but go on: the rest
                # (memory, usability) is checked too
                en, dt = expect_errno(fn, list(errno.errorcode),
                                      "%s (hostile %s reply)" % (what, cmd), m)
                times.append(dt)
                if en != errno.EIO:
                    wrong.add("%s: %s" % (what, harness.errno_name(en)))
        # the mount is still usable for what does not need cmd
        if cmd == "MLST":
            names = set(os.listdir(m.mountpoint))
            if names != set(os.listdir(C.root)):
                raise HarnessError("listing after hostile replies: %r"
                                   % sorted(names))
        else:
            if os.stat(m.path("sub", "inner.bin")).st_size != 300000:
                raise HarnessError("stat after hostile replies: wrong size")
        note = check_memory(m, "after hostile %s replies" % cmd)
        if wrong:
            raise HarnessError("want EIO, got %s (%s)" % (
                ", ".join(sorted(wrong)), note))
        return "max %.1fs; %s" % (max(times), note)


@R.test
def overlong_reply_to_mlst():
    return reply_in_operation("MLST", overlong_reply=200000)


@R.test
def endless_reply_to_mlst():
    return reply_in_operation("MLST", endless_reply=True)


@R.test
def overlong_reply_to_epsv():
    return reply_in_operation("EPSV", overlong_reply=200000)


@R.test
def endless_reply_to_epsv():
    return reply_in_operation("EPSV", endless_reply=True)


# --- tests: endless listing ------------------------------------------------------

def endless_listing_test(no_mlst):
    with Setup(["max_entries=10000"], endless_listing=True,
               no_mlst=no_mlst) as (s, m):
        en, dt = expect_errno(lambda: os.listdir(m.mountpoint), [errno.EIO],
                              "listdir of an endless listing", m)
        en, dt2 = expect_errno(lambda: os.listdir(m.path("sub")), [errno.EIO],
                               "listdir of an endless listing (sub)", m)
        note = check_memory(m, "after endless listings")
        # the mount is alive: a file still reads (MLST lookup, or for a LIST
        # server nothing can be looked up: the listing is endless)
        if not no_mlst:
            if read_file(m.path("a.txt")) != read_file(disk("a.txt")):
                raise HarnessError("read after an endless listing: wrong bytes")
        ends = s.events("endless-listing-end")
        if ends and max(e.get("sent", 0) for e in ends) > 20 * MiB:
            raise HarnessError("ftpfs read %d bytes of an endless listing "
                               "with max_entries=10000" %
                               max(e.get("sent", 0) for e in ends))
        return "%.1fs, %.1fs; %s" % (dt, dt2, note)


@R.test
def endless_listing_mlsd():
    return endless_listing_test(no_mlst=False)


@R.test
def endless_listing_list():
    return endless_listing_test(no_mlst=True)


# --- tests: names from the user -----------------------------------------------

CRLF_NAMES = ["a\r\nDELE a.txt", "b\nDELE a.txt", "c\rDELE a.txt",
              "\r\nDELE b c.txt\r\nQUIT\r\n"]
# with a '/': the directory part already has CR/LF
CRLF_PATHS = ["sub\r\nDELE sub/inner.bin", "x\ny/DELE a.txt"]


def assert_no_injection(s):
    bad = [c for c in s.commands()
           if c.split(" ")[0].upper() in ("DELE", "RMD", "MKD", "STOR", "RNFR",
                                          "RNTO", "APPE", "SITE")
           or "DELE" in c.upper()]
    if bad:
        raise HarnessError("the server received: %r" % bad)


def user_names_test(no_mlst):
    with Setup(no_mlst=no_mlst) as (s, m):
        # lookups: EINVAL (a LIST-only server has nothing to ask: the name
        # is looked for in the parent's listing; ENOENT is fine there)
        want_lookup = [errno.EINVAL] + ([errno.ENOENT] if no_mlst else [])
        for n in CRLF_NAMES:
            p = m.path(n)
            expect_errno(lambda: os.stat(p), want_lookup, "stat %r" % n, m)
            expect_errno(lambda: os.lstat(m.path("sub", n)), want_lookup,
                         "lstat sub/%r" % n, m)
            expect_errno(lambda: os.open(p, os.O_WRONLY | os.O_CREAT, 0o644),
                         [errno.EINVAL], "create %r" % n, m)
            expect_errno(lambda: os.mkdir(p), [errno.EINVAL], "mkdir %r" % n, m)
            expect_errno(lambda: os.rename(m.path("a.txt"), p),
                         [errno.EINVAL], "rename a.txt -> %r" % n, m)
            expect_errno(lambda: os.unlink(p), want_lookup, "unlink %r" % n, m)
            expect_errno(lambda: os.rmdir(p), want_lookup, "rmdir %r" % n, m)
            expect_errno(lambda: os.listdir(p), want_lookup, "listdir %r" % n, m)
        for n in CRLF_PATHS:
            p = m.path(n)
            expect_errno(lambda: os.stat(p), want_lookup, "stat %r" % n, m)
            expect_errno(lambda: os.open(p, os.O_WRONLY | os.O_CREAT, 0o644),
                         want_lookup, "create %r" % n, m)
        assert_no_injection(s)
        # the session is fine afterwards
        if read_file(m.path("a.txt")) != read_file(disk("a.txt")):
            raise HarnessError("a.txt wrong after the CR/LF attempts")
        assert_no_injection(s)


@R.test
def user_names_crlf_mlst():
    user_names_test(no_mlst=False)


@R.test
def user_names_crlf_list():
    user_names_test(no_mlst=True)


@R.test
def user_names_crlf_pyftpdlib():
    """Against a real, writable server: an injected DELE would really
    delete. Files survive, and the server's log has no DELE."""
    root = os.path.join(C.top, "rwtree")
    if not os.path.exists(root):
        shutil.copytree(C.root, root)
    victims = ["a.txt", "b c.txt", "sub/inner.bin"]
    srv = harness.start_server("pyftpdlib", root, anonymous=True, writable=True)
    try:
        with harness.mount(srv.url(), new_mountpoint()) as m:
            for n in CRLF_NAMES:
                p = m.path(n)
                expect_errno(lambda: os.stat(p), [errno.EINVAL], "stat %r" % n, m)
                expect_errno(lambda: os.open(p, os.O_WRONLY | os.O_CREAT, 0o644),
                             [errno.EINVAL], "create %r" % n, m)
                expect_errno(lambda: os.mkdir(p), [errno.EINVAL], "mkdir %r" % n, m)
                expect_errno(lambda: os.rename(m.path("a.txt"), p),
                             [errno.EINVAL], "rename a.txt -> %r" % n, m)
                expect_errno(lambda: os.unlink(p), [errno.EINVAL],
                             "unlink %r" % n, m)
            for n in CRLF_PATHS:
                expect_errno(lambda: os.stat(m.path(n)), [errno.EINVAL],
                             "stat %r" % n, m)
            for v in victims:
                if not os.path.exists(os.path.join(root, v)):
                    raise HarnessError("%s was deleted on the server" % v)
            if read_file(m.path("a.txt")) != read_file(disk("a.txt")):
                raise HarnessError("a.txt wrong after the CR/LF attempts")
            m.unmount()
        with open(srv.log, encoding="utf-8", errors="replace") as f:
            log = f.read()
        bad = [l for l in log.split("\n") if "DELE" in l or "RMD" in l or
               "RNFR" in l or "MKD" in l or "STOR" in l]
        if bad:
            raise HarnessError("the server received: %r" % bad[:5])
        if "MLST" not in log and "<- " not in log:
            return "pyftpdlib's log has no commands: the DELE check is weak"
    finally:
        srv.stop()


# --- tests: long paths -----------------------------------------------------------

COMP = 200       # chars per directory name
DEPTH = 21       # 21 * 201 = 4221 chars below the root: past ftpfs's 4000


def build_long_tree(root):
    """root/D/D/.../D (DEPTH levels, D = 'd'*COMP with its level number),
    a file 'f' at every level whose content names the level."""
    os.makedirs(root)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for lvl in range(DEPTH):
            name = ("%02d" % lvl) + "d" * (COMP - 2)
            os.mkdir(name, dir_fd=fd)
            nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = nfd
            ffd = os.open("f", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
            os.write(ffd, b"level %d\n" % lvl)
            os.close(ffd)
    finally:
        os.close(fd)


def long_path_test(no_mlst):
    root = os.path.join(C.top, "longtree")
    if not os.path.exists(root):
        build_long_tree(root)
        with open(os.path.join(root, "top.txt"), "wb") as f:
            f.write(b"top\n")
    with Setup(root=root, no_mlst=no_mlst) as (s, m):
        fd = os.open(m.mountpoint, os.O_RDONLY | os.O_DIRECTORY)
        deepest_ok = -1
        refused_at = None
        err = None
        try:
            for lvl in range(DEPTH):
                name = ("%02d" % lvl) + "d" * (COMP - 2)
                v, e, _ = bounded(lambda: os.open(name, os.O_RDONLY | os.O_DIRECTORY,
                                                  dir_fd=fd),
                                  "open level %d" % lvl, m)
                if e is not None:
                    if not isinstance(e, OSError):
                        raise e
                    refused_at, err = lvl, e.errno
                    break
                os.close(fd)
                fd = v
                # the file at this level
                v, e, _ = bounded(lambda: os.open("f", os.O_RDONLY, dir_fd=fd),
                                  "open f at level %d" % lvl, m)
                if e is not None:
                    if not isinstance(e, OSError):
                        raise e
                    refused_at, err = lvl, e.errno
                    break
                try:
                    data = os.read(v, 100)
                finally:
                    os.close(v)
                if data != b"level %d\n" % lvl:
                    raise HarnessError("level %d (path %d chars): read %r" % (
                        lvl, (lvl + 1) * (COMP + 1), data))
                deepest_ok = lvl
        finally:
            os.close(fd)
        path_ok = (deepest_ok + 1) * (COMP + 1) + 2
        # ftpfs sends no command line over 2048 bytes (servers that cut
        # longer lines may run the rest as a command): paths up to about
        # 2000 bytes must work, longer ones give ENAMETOOLONG
        if path_ok < 1900:
            raise HarnessError("only %d chars of path work (level %d: %s)" % (
                path_ok, refused_at, harness.errno_name(err or 0)))
        if refused_at is not None and err not in (errno.ENAMETOOLONG, errno.EIO,
                                                  errno.ENOENT):
            raise HarnessError("level %d: %s (want ENAMETOOLONG or a clean "
                               "error)" % (refused_at, harness.errno_name(err)))
        # over-long single names: FUSE passes names of 1024 bytes (since
        # Linux 6.16 up to PATH_MAX) to ftpfs, which may ask the server (a
        # server may allow names longer than 255): ENOENT or ENAMETOOLONG
        for n in (300, 1000, 3000):
            expect_errno(lambda: os.stat(m.path("n" * n)),
                         [errno.ENAMETOOLONG, errno.ENOENT],
                         "stat of a %d-char name" % n, m)
        # a name whose FUSE path is past ftpfs's 4000 but under PATH_MAX
        # (ENOENT when the root's listing is cached: it is not there)
        n = 4094 - len(m.mountpoint) - 1
        if n + 1 > 4000:
            expect_errno(lambda: os.stat(m.path("n" * n)),
                         [errno.ENAMETOOLONG, errno.ENOENT],
                         "stat of a %d-char name" % n, m)
        expect_errno(lambda: os.stat(m.path("n" * 5000)),
                     [errno.ENAMETOOLONG], "stat of a 5000-char name", m)
        # still usable
        if read_file(m.path("top.txt")) != b"top\n":
            raise HarnessError("top.txt wrong after long paths")
        os.listdir(m.mountpoint)
        if refused_at is None:
            return "%d chars worked, nothing refused" % path_ok
        return "%d chars worked; %d chars: %s" % (
            path_ok, (refused_at + 1) * (COMP + 1), harness.errno_name(err))


@R.test
def long_path_mlst():
    return long_path_test(no_mlst=False)


@R.test
def long_path_list():
    return long_path_test(no_mlst=True)


# --- tests: the command line ---------------------------------------------------------

@R.test
def host_beginning_with_dash():
    notes = []
    for url in ("ftp://-oallow_other/", "ftp://-oallow_other:2121/x",
                "ftp://user:pw@-oallow_other/", "ftp://-/", "ftps://-d/"):
        err = expect_start_failure(url, maxrss_check=False)
        notes.append(err[:50])
    for line in open("/proc/self/mounts"):
        if "allow_other" in line and C.top in line:
            raise HarnessError("a mount with allow_other: %s" % line)
    return notes[0]


def setup(a, top):
    C.top = top
    C.root = os.path.join(C.top, "tree")
    build_tree(C.root)


if __name__ == "__main__":
    sys.exit(harness.main(R, "ftpfs-hostile-", setup=setup))
