#!/usr/bin/python3
"""ftpfs writes against a real FTP server, compared with the disk.

    /usr/bin/python3 tests/integration/test_write.py --server pyftpdlib|vsftpd
        [--opts OPT,OPT...] [--seed N] [--ops N] [--only TEST,TEST...]
        [--list]

The issue: "Write support with full POSIX semantics, and nothing ever lost".
Every check does something through the mount (shell redirections, cp, cp -r,
rsync, sed -i, tar, sqlite3, dd, truncate, mv, mkdir, rmdir, rm, chmod,
touch, raw os.* calls), and once the operation's close() has returned
compares the mount with the served directory on disk, which is the truth
(and, where it applies, with the expected bytes).  No check waits or retries
to let ftpfs "settle"; the refusal (quota) checks look once more 0.5 s
later, because FUSE sends RELEASE after close() has returned and damage done
then counts too.  Exit 0 = all passed, 1 = a failure, 77 = skipped.

Rejections: the quota server answers "552 Exceeded storage allocation"
when a STOR/APPE passes --max-file-bytes: the failing write() or close()
must say ENOSPC (EIO accepted), a new file must not appear, a replaced
file must keep its old bytes, no .ftpfs-tmp-* may remain.  In a directory
the FTP user may not write, creating a file must fail with EACCES.

--opts cache_timeout=0 runs everything without ftpfs's attribute/listing
cache (and the kernel's): useful to tell cache bugs from the others.

Layout (in /dev/shm when usable):

    TOP/tree/          the server's root: root-owned 0755 (vsftpd refuses a
                       writable chroot root)
    TOP/tree/pub/      the writable area, mounted at TOP/mnt as
                       ftp://...:PORT/pub (vsftpd: owned by `ftp`); one
                       directory per check, fixtures made before mounting
    TOP/tree/pub/ro/   a directory the FTP user may not write (pyftpdlib:
                       --readonly-subdir pub/ro; vsftpd: root-owned 0755)
    TOP/tree/pub/lenient/  mounted at TOP/mnt-lenient with
                       -o ignore_attr_errors (chmod/utimens refused by the
                       server succeed)
    TOP/qtree/pub/     pyftpdlib only: a second server with
                       --max-file-bytes (a quota), mounted at TOP/mnt-quota
    TOP/local/         local sources and reference files

Servers:

* pyftpdlib (user/password login, full permissions): MLSD/MLST, SITE CHMOD
  works (the mode on disk changes), MFMT sets a FILE's time; MFMT on a
  directory is refused ("550 ... is not retrievable"), so directory times
  cannot be set.
* vsftpd --writable (anonymous uploads into pub/): LIST only (minute
  precision for recent files, day precision for older ones: a second
  rsync run re-sends the files, as their times look different through
  the mount), the "MDTM time path" write form sets a
  FILE's time (not a directory's), anonymous SITE CHMOD is always refused
  ("550 Permission denied."): chmod through the mount must fail with EPERM,
  and succeed (without effect) on the -o ignore_attr_errors mount.  Files
  uploaded are 0644 (anon_umask=022).  No quota knob: the quota checks are
  pyftpdlib only.  The read-only directory is a root-owned one in pub/.

Choices for tools that set attributes:

* rsync: `rsync -a --omit-dir-times`: neither server can set a directory's
  time (rsync then asks for none; a refused directory time is not an
  error, the mount shows the server's).  pyftpdlib: on the default mount (chmod works; the
  modes on disk must equal the source's).  vsftpd: on the
  -o ignore_attr_errors mount, because rsync chmods every file it creates
  (even with --no-perms) and vsftpd refuses SITE CHMOD to anonymous users.
* tar x: on the -o ignore_attr_errors mount for both servers: tar sets the
  directories' times, which neither server can do.  File contents and file
  times are checked.
"""

import errno
import hashlib
import os
import random
import re
import shutil
import sqlite3
import stat
import sys
import tarfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import HarnessError, check_run, run  # noqa: E402

KiB = 1024
MiB = 2 ** 20
TMP_PREFIX = ".ftpfs-tmp-"
QUOTA = 1 * MiB
USER, PASSWORD = "writer", "w-pass"
TOUCH_T = 1577934245          # 2020-01-02 03:04:05 UTC
TOUCH_ARG = "2020-01-02 03:04:05 UTC"

ODD_NAMES = [
    "with space.txt",
    "two  spaces",
    "ünïcødé ✓.txt",
    "Кириллица.txt",
    "中文文件名",
    "hash#name.txt",
    "#starts-with-hash",
    "per%cent%20.txt",
    "100%",
    "semi;colon",
    "quote'single",
    "brackets[1]",
    "dollar$HOME",
    "~tilde",
    ".hidden",
    "-dash",
]
ODD_DIRS = ["dir with space", "ü dir/Кир dir", "#hash dir/%25 dir"]


class Ctx:
    pass


C = Ctx()


def disk(*parts):
    return os.path.join(C.root, *parts)


def mnt(*parts):
    return os.path.join(C.mount.mountpoint, *parts)


def ldisk(*parts):
    return os.path.join(C.root, "lenient", *parts)


def lmnt(*parts):
    return os.path.join(C.lmount.mountpoint, *parts)


def local(*parts):
    return os.path.join(C.local, *parts)


def content(name, size):
    """Deterministic bytes for a name."""
    seed = hashlib.sha256(name.encode("utf-8", "surrogateescape")).digest()
    out = bytearray()
    block = seed
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block * 8
    return bytes(out[:size])


def write_file(path, data, mode=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    if mode is not None:
        os.chmod(path, mode)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def sha(data):
    return hashlib.sha256(data).hexdigest()[:16]


def first_diff(a, b):
    n = min(len(a), len(b))
    for i in range(0, n, 4096):
        if a[i:i + 4096] != b[i:i + 4096]:
            for j in range(i, min(i + 4096, n)):
                if a[j] != b[j]:
                    return j
    return n


def describe(what, got, want):
    return "%s: %d bytes (sha %s), want %d bytes (sha %s), first difference " \
        "at offset %d" % (what, len(got), sha(got), len(want), sha(want),
                          first_diff(got, want))


def check_file(rel, want=None, m=None, d=None):
    """The file on disk (== want when given) and through the mount are the
    same bytes, and the mount's stat size agrees."""
    d = d or disk
    m = m or mnt
    problems = []
    try:
        on_disk = read(d(rel))
    except OSError as e:
        raise AssertionError("%r on disk: %s" % (rel, e))
    if want is not None and on_disk != want:
        problems.append(describe("%r on disk" % rel, on_disk, want))
    try:
        via = read(m(rel))
    except OSError as e:
        problems.append("%r through the mount: %s" % (rel, e))
    else:
        if via != on_disk:
            problems.append(describe("%r through the mount vs disk" % rel,
                                     via, on_disk))
    try:
        st = os.stat(m(rel))
        if st.st_size != len(on_disk):
            problems.append("%r: stat through the mount says %d bytes, disk "
                            "has %d" % (rel, st.st_size, len(on_disk)))
        if not stat.S_ISREG(st.st_mode):
            problems.append("%r: not a regular file on the mount (mode %o)"
                            % (rel, st.st_mode))
    except OSError as e:
        problems.append("stat %r through the mount: %s" % (rel, e))
    if problems:
        raise AssertionError("\n".join(problems))
    return on_disk


def check_absent(rel, d=None, m=None):
    d = d or disk
    m = m or mnt
    problems = []
    if os.path.lexists(d(rel)):
        problems.append("%r exists on disk" % rel)
    try:
        os.lstat(m(rel))
        problems.append("%r exists on the mount" % rel)
    except FileNotFoundError:
        pass
    except OSError as e:
        problems.append("lstat %r on the mount: %s (want ENOENT)" % (rel, e))
    if problems:
        raise AssertionError("\n".join(problems))


def leftovers(top):
    """Our temporaries (.ftpfs-tmp-*) anywhere below top."""
    out = []
    for dirpath, dirnames, filenames in os.walk(top):
        for n in dirnames + filenames:
            if n.startswith(TMP_PREFIX):
                out.append(os.path.relpath(os.path.join(dirpath, n), top))
    return sorted(out)


def check_no_tmp(top=None):
    left = leftovers(top or C.root)
    if left:
        raise AssertionError("temporaries left on the server: %s" % left[:10])


def snapshot(top, skip_tmp=False):
    """{rel: ('dir',) | ('file', size, sha) | ('link', target)}"""
    snap = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            rel = os.path.relpath(p, top)
            if skip_tmp and n.startswith(TMP_PREFIX):
                continue
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                snap[rel] = ("link", os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                snap[rel] = ("dir",)
            else:
                data = read(p)
                snap[rel] = ("file", len(data), sha(data))
    return snap


def walk_errors(top):
    errs = []

    def onerror(e):
        errs.append("%s: %s" % (e.filename, e.strerror))
    for _ in os.walk(top, onerror=onerror):
        pass
    return errs


def diff_snap(a, b, what_a, what_b, limit=20):
    out = []
    for k in sorted(set(a) | set(b)):
        if k not in a:
            out.append("%r: only in %s %s" % (k, what_b, b[k]))
        elif k not in b:
            out.append("%r: only in %s %s" % (k, what_a, a[k]))
        elif a[k] != b[k]:
            out.append("%r: %s %s, %s %s" % (k, what_a, a[k], what_b, b[k]))
    if len(out) > limit:
        out = out[:limit] + ["... %d differences in all" % len(out)]
    return out


def compare_tree(rel, source=None, d=None, m=None):
    """The mount's subtree rel equals the disk's (and the local source's,
    when given)."""
    d = d or disk
    m = m or mnt
    problems = []
    sd = snapshot(d(rel))
    if source is not None:
        problems += diff_snap(snapshot(source), sd, "source", "disk")
    errs = walk_errors(m(rel))
    if errs:
        problems += ["walking the mount: " + e for e in errs[:10]]
    sm = snapshot(m(rel))
    problems += diff_snap(sd, sm, "disk", "mount")
    left = [k for k in sd if os.path.basename(k).startswith(TMP_PREFIX)]
    if left:
        problems.append("temporaries on disk: %s" % left[:5])
    if problems:
        raise AssertionError("%s: mount/disk/source differ:\n%s"
                             % (rel, "\n".join(problems)))
    return sd


def sh(cmd, timeout=120):
    """Run a shell command line; return (rc, stdout+stderr text)."""
    r = run(["sh", "-c", cmd], timeout=timeout)
    out = (r.stdout + r.stderr).decode("utf-8", "replace").strip()
    return r.returncode, out


def sh_ok(cmd, timeout=120):
    rc, out = sh(cmd, timeout)
    if rc != 0:
        raise AssertionError("`%s` exited %d: %s" % (cmd, rc, out[-2000:]))
    return out


def q(path):
    """Shell-quote."""
    return "'" + path.replace("'", "'\\''") + "'"


def en(e):
    return harness.errno_name(e)


def expect_errno(fn, allowed, what):
    try:
        fn()
    except OSError as e:
        if e.errno not in allowed:
            raise AssertionError("%s: got %s (%s), want %s" % (
                what, en(e.errno), e.strerror,
                "/".join(en(a) for a in allowed)))
        return e.errno
    raise AssertionError("%s: succeeded, want %s" % (
        what, "/".join(en(a) for a in allowed)))


def chown_ftp(path):
    """vsftpd: the anonymous sessions run as `ftp`: let it write there."""
    if C.server_kind != "vsftpd":
        return
    import pwd
    pw = pwd.getpwnam("ftp")
    for dirpath, dirnames, filenames in os.walk(path):
        os.chown(dirpath, pw.pw_uid, pw.pw_gid)
        for n in filenames:
            os.chown(os.path.join(dirpath, n), pw.pw_uid, pw.pw_gid)


def write_all_and_close(path, data, flags=os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                        chunk=256 * KiB):
    """Write data with os.write; return (stage, errno) of the first failure
    ("open", "write", "close") or (None, None)."""
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as e:
        return "open", e.errno
    stage, err = None, None
    try:
        for i in range(0, len(data), chunk):
            os.write(fd, data[i:i + chunk])
    except OSError as e:
        stage, err = "write", e.errno
    try:
        os.close(fd)
    except OSError as e:
        if stage is None:
            stage, err = "close", e.errno
    return stage, err


# --- fixtures (made on disk before mounting) --------------------------------

def prepare(root, lroot):
    os.umask(0o022)
    w = write_file
    w(os.path.join(root, "redir", "existing.txt"), b"old line\n" * 500)
    w(os.path.join(root, "redir", "twice.txt"), b"old line\n" * 500)
    w(os.path.join(root, "redir", "append.txt"), b"first\n")
    w(os.path.join(root, "cp20", "over.bin"), content("over", 5 * MiB))
    w(os.path.join(root, "editor", "sed.txt"),
      b"".join(b"line %d foo bar foo\n" % i for i in range(2000)))
    w(os.path.join(root, "editor", "py.txt"), b"python old contents\n" * 300)
    w(os.path.join(root, "dd", "dd.bin"), content("dd", MiB))
    w(os.path.join(root, "trunc", "t.bin"), content("trunc", 100000))
    w(os.path.join(root, "trunc", "t2.bin"), content("trunc2", 5000))
    for n in ("a.txt", "b.txt", "c.txt", "target.txt", "x.txt", "other.txt"):
        w(os.path.join(root, "mv", n), content("mv/" + n, 1000 + len(n)))
    w(os.path.join(root, "mv", "dir1", "f"), b"dir1 f\n")
    w(os.path.join(root, "mv", "dir1", "sub", "g"), b"dir1 sub g\n")
    w(os.path.join(root, "mv", "dir2", "h"), b"dir2 h\n")
    os.makedirs(os.path.join(root, "mv", "dest"))
    os.makedirs(os.path.join(root, "mv", "emptydst"))
    w(os.path.join(root, "mv", "dir3", "i"), b"dir3 i\n")
    w(os.path.join(root, "mv", "fulldst", "j"), b"fulldst j\n")
    os.makedirs(os.path.join(root, "mkdir"))
    w(os.path.join(root, "rmdir", "full", "f"), b"x")
    os.makedirs(os.path.join(root, "rmdir", "empty"))
    w(os.path.join(root, "rm", "f.txt"), b"remove me\n")
    w(os.path.join(root, "rm", "tree", "a", "b", "c.txt"), b"deep\n")
    w(os.path.join(root, "rm", "tree", "d.txt"), b"d\n")
    w(os.path.join(root, "chmod", "c.txt"), b"chmod me\n", 0o644)
    w(os.path.join(root, "chmod", "open.txt"), b"chmod me while open\n", 0o644)
    w(os.path.join(root, "touch", "old.txt"), b"touch me\n")
    os.makedirs(os.path.join(root, "touch", "dir"))
    w(os.path.join(root, "rdwr", "r.bin"), content("rdwr", 256 * KiB))
    w(os.path.join(root, "excl", "e.txt"), b"exclusive\n")
    w(os.path.join(root, "raw", "r.txt"), b"old old old old\n")
    w(os.path.join(root, "raw", "r2.txt"), b"second old contents\n")
    os.makedirs(os.path.join(root, "stream"))
    os.makedirs(os.path.join(root, "cpr"))
    os.makedirs(os.path.join(root, "rsync"))
    os.makedirs(os.path.join(root, "sqlite"))
    os.makedirs(os.path.join(root, "random"))
    os.makedirs(os.path.join(root, "unmount"))
    os.makedirs(os.path.join(root, "dirattr"))
    w(os.path.join(root, "names", "short.txt"), b"short\n")
    os.makedirs(os.path.join(root, "aplus"))
    for i in range(BIG_DIR):
        w(os.path.join(root, "big", "e%05d" % i), b"")
    for sub in ("create", "unlink", "into", "outof", "mkdir", "rmdir"):
        os.makedirs(os.path.join(root, "dirtime", sub))
    w(os.path.join(root, "dirtime", "unlink", "f.txt"), b"f\n")
    w(os.path.join(root, "dirtime", "outof", "g.txt"), b"g\n")
    os.makedirs(os.path.join(root, "dirtime", "rmdir", "empty"))
    for sub in ("create", "unlink", "into", "outof", "mkdir", "rmdir"):
        os.utime(os.path.join(root, "dirtime", sub),
                 (DIRTIME_OLD, DIRTIME_OLD))
    for sub in ("ino", "rewind", "over"):
        os.makedirs(os.path.join(root, sub))
    w(os.path.join(root, "open", "unlinked.txt"), b"read me after unlink\n")
    w(os.path.join(root, "open", "rdwr.txt"), b"old contents\n")
    w(os.path.join(root, "open", "moved.bin"), content("moved", 3 * MiB))
    w(os.path.join(root, "open", "d", "in-dir.bin"), content("indir", MiB))
    w(os.path.join(root, "open", "replaced.txt"), b"the old version\n")
    w(os.path.join(root, "noaccess", "secret.txt"), b"secret\n", 0o000)
    w(os.path.join(root, "noaccess", "closed", "inside.txt"), b"inside\n")
    os.chmod(os.path.join(root, "noaccess", "closed"), 0o000)
    w(os.path.join(root, "perm", "ro444.txt"), b"read-only contents\n", 0o444)
    if C.server_kind == "pyftpdlib":   # vsftpd serves world-readable only
        w(os.path.join(root, "perm", "script.sh"), b"#!/bin/sh\necho old\n",
          0o755)
        w(os.path.join(root, "perm", "private.txt"), b"private\n", 0o600)
    w(os.path.join(root, "ro", "keep.txt"), b"read-only keep\n")
    # the -o ignore_attr_errors mount
    w(os.path.join(lroot, "chmod.txt"), b"lenient chmod\n", 0o644)
    w(os.path.join(lroot, "sed.txt"), read(os.path.join(root, "editor", "sed.txt")))
    os.makedirs(os.path.join(lroot, "tar"))
    os.makedirs(os.path.join(lroot, "rsync"))


def prepare_quota(qroot):
    write_file(os.path.join(qroot, "old.bin"), content("quota-old", 5000))
    write_file(os.path.join(qroot, "old2.bin"), content("quota-old", 5000))
    write_file(os.path.join(qroot, "old3.bin"), content("quota-old", 5000))
    write_file(os.path.join(qroot, "app.bin"), content("quota-app", 1000))


def make_odd_tree(top):
    for n in ODD_NAMES:
        write_file(os.path.join(top, n), content(n, 50 + len(n)))
    for d in ODD_DIRS:
        for n in ODD_NAMES[:5]:
            write_file(os.path.join(top, d, n), content(d + n, 200))
    write_file(os.path.join(top, "big.bin"), content("oddbig", 3 * MiB + 7))
    write_file(os.path.join(top, "empty"), b"")
    os.makedirs(os.path.join(top, "empty dir"))


# --- tests -------------------------------------------------------------------

R = harness.Runner()
ONLY = {}      # test name -> servers it applies to


def test(servers=None):
    def deco(f):
        R.test(f)
        if servers:
            ONLY[f.__name__] = servers
        return f
    return deco


@test()
def redirect_new():
    sh_ok("echo hello world > %s" % q(mnt("redir", "new.txt")))
    check_file("redir/new.txt", b"hello world\n")
    sh_ok("printf '' > %s" % q(mnt("redir", "empty.txt")))
    check_file("redir/empty.txt", b"")
    check_no_tmp()


CMD_LINE = re.compile(r'(?:\] <- |FTP command: Client "[^"]*", ")'
                      r'([A-Z]{3,4})(?: ([^"]*))?')


def server_commands(since_bytes=0):
    """[(command, argument)] the server logged (pyftpdlib or vsftpd), from
    byte offset since_bytes of its log; and the log's size now."""
    with open(C.server.log, "rb") as f:
        f.seek(since_bytes)
        data = f.read()
    out = []
    for line in data.decode("utf-8", "replace").splitlines():
        m = CMD_LINE.search(line)
        if m:
            out.append((m.group(1), m.group(2) or ""))
    return out, since_bytes + len(data)


def log_size():
    return os.path.getsize(C.server.log)


@test()
def redirect_one_upload():
    """`echo x > newfile` (open, dup2, close, write, close) is one upload
    of the data: no empty STOR + rename before it."""
    for name in ("once-new.txt", "twice.txt"):
        t0 = log_size()
        sh_ok("echo once > %s" % q(mnt("redir", name)))
        check_file("redir/" + name, b"once\n")
        cmds, _ = server_commands(t0)
        stors = [a for c, a in cmds if c == "STOR"]
        if len(stors) != 1:
            raise AssertionError("%s: %d STORs, want 1: %s" % (
                name, len(stors), cmds))
    sh_ok("true > %s" % q(mnt("redir", "once-empty.txt")))
    check_file("redir/once-empty.txt", b"")
    # renamed before its last release: committed first, then moved
    fd = os.open(mnt("redir", "pending.txt"), os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.rename(mnt("redir", "pending.txt"), mnt("redir", "moved.txt"))
        os.write(fd, b"after the rename\n")
    finally:
        os.close(fd)
    check_file("redir/moved.txt", b"after the rename\n")
    check_absent("redir/pending.txt")
    check_no_tmp()


@test()
def cp_r_lists_once():
    """cp -r of 200 files into a new directory: creating files does not
    list the destination again for each (O(N) requests, not O(N^2)); the
    copy is exact."""
    src = local("many")
    os.makedirs(src)
    for i in range(200):
        write_file(os.path.join(src, "m%03d.txt" % i), b"file %d\n" % i)
    t0 = log_size()
    sh_ok("cp -r %s %s" % (q(src), q(mnt("cpr", "many"))))
    cmds, _ = server_commands(t0)
    lists = [a for c, a in cmds if c in ("MLSD", "LIST", "NLST")]
    stors = [a for c, a in cmds if c == "STOR"]
    compare_tree("cpr/many", source=src)
    if len(stors) != 200:
        raise AssertionError("%d STORs for 200 files" % len(stors))
    if len(lists) > 6:
        raise AssertionError("%d listings while copying 200 files in: %s"
                             % (len(lists), lists[:10]))
    return "%d listings, %d commands" % (len(lists), len(cmds))


BIG_DIR = 10000


def listings_of(cmds, srv_dir):
    """The listing commands among cmds that list the server directory
    srv_dir: MLSD/LIST/NLST of it, or without a path after CWD there (a
    LIST of one file in it is not one)."""
    cwd, out = "/", []
    for c, a in cmds:
        if c == "CWD":
            cwd = os.path.normpath(os.path.join(cwd, a))
        elif c == "CDUP":
            cwd = os.path.dirname(cwd)
        elif c in ("MLSD", "LIST", "NLST"):
            words = a.split(" ", 1) if a.startswith("-") else ["", a]
            arg = words[1] if len(words) > 1 else ""
            where = os.path.normpath(os.path.join(cwd, arg)) if arg else cwd
            if where == srv_dir:
                out.append((c, a, cwd))
    return out


@test()
def big_dir_o1_per_file():
    """In a directory of 10,000 entries, creating, renaming and unlinking
    50 files costs a bounded number of commands each, independent of the
    directory's size: no listing of it after the first."""
    d = mnt("big")
    os.listdir(d)                       # the one listing
    t0 = log_size()
    for i in range(50):
        p = os.path.join(d, "new%02d.txt" % i)
        with open(p, "wb") as f:
            f.write(b"n%d\n" % i)
        os.stat(p)
    for i in range(50):
        os.rename(os.path.join(d, "new%02d.txt" % i),
                  os.path.join(d, "moved%02d.txt" % i))
    for i in range(50):
        os.unlink(os.path.join(d, "moved%02d.txt" % i))
    for i in range(50):                  # files that were there already
        os.rename(os.path.join(d, "e%05d" % i), os.path.join(d, "r%05d" % i))
        os.stat(os.path.join(d, "r%05d" % i))
    cmds, _ = server_commands(t0)
    lists = listings_of(cmds, "/pub/big")
    if lists:
        raise AssertionError("%d listings of the %d-entry directory while "
                             "changing 200 names: %s" % (
                                 len(lists), BIG_DIR, lists[:5]))
    if len(cmds) > 200 * 12:
        raise AssertionError("%d commands for 200 changes" % len(cmds))
    names = set(os.listdir(d))
    on_disk = set(os.listdir(disk("big")))
    if names != on_disk or len(names) != BIG_DIR:
        raise AssertionError("mount has %d names, disk %d (want %d)"
                             % (len(names), len(on_disk), BIG_DIR))
    return "%d commands for 200 changes" % len(cmds)


@test()
def redirect_existing():
    # shorter than the old contents: the rest must be gone
    sh_ok("echo replaced > %s" % q(mnt("redir", "existing.txt")))
    check_file("redir/existing.txt", b"replaced\n")
    check_no_tmp()


@test()
def redirect_append():
    p = q(mnt("redir", "append.txt"))
    sh_ok("echo second >> %s" % p)
    check_file("redir/append.txt", b"first\nsecond\n")
    sh_ok("echo third >> %s; echo fourth >> %s" % (p, p))
    check_file("redir/append.txt", b"first\nsecond\nthird\nfourth\n")
    sh_ok("echo one >> %s" % q(mnt("redir", "append-new.txt")))
    sh_ok("echo two >> %s" % q(mnt("redir", "append-new.txt")))
    check_file("redir/append-new.txt", b"one\ntwo\n")
    check_no_tmp()


def big_random():
    p = local("random20m.bin")
    if not os.path.exists(p):
        write_file(p, random.Random(20).randbytes(20 * MiB))
    return p


@test()
def cp_20m_new():
    src = big_random()
    t0 = time.time()
    sh_ok("cp %s %s" % (q(src), q(mnt("cp20", "new.bin"))))
    dt = time.time() - t0
    check_file("cp20/new.bin", read(src))
    check_no_tmp()
    return "cp %.1fs (%.0f MiB/s)" % (dt, 20 / max(dt, 1e-3))


@test()
def cp_20m_over_existing():
    src = big_random()
    sh_ok("cp %s %s" % (q(src), q(mnt("cp20", "over.bin"))))
    check_file("cp20/over.bin", read(src))
    # and a smaller file over the big one
    small = local("small.bin")
    write_file(small, content("small", 12345))
    sh_ok("cp %s %s" % (q(small), q(mnt("cp20", "over.bin"))))
    check_file("cp20/over.bin", read(small))
    check_no_tmp()


@test()
def cp_r_odd_names():
    src = local("odd")
    if not os.path.exists(src):
        make_odd_tree(src)
    sh_ok("cp -r %s %s" % (q(src), q(mnt("cpr", "odd"))))
    snap = compare_tree("cpr/odd", source=src)
    # and once more over the existing tree (cp -r replaces the files)
    sh_ok("cp -r %s/. %s" % (q(src), q(mnt("cpr", "odd"))))
    compare_tree("cpr/odd", source=src)
    return "%d entries" % len(snap)


def rsync_source():
    src = local("rsync-src")
    if os.path.exists(src):
        return src
    make_odd_tree(src)
    write_file(os.path.join(src, "private.txt"), b"secret\n", 0o600)
    write_file(os.path.join(src, "script.sh"), b"#!/bin/sh\necho hi\n", 0o755)
    write_file(os.path.join(src, "d1", "d2", "deep.txt"), b"deep\n", 0o640)
    # file times: whole seconds, recent and old
    k = 0
    for dirpath, dirnames, filenames in os.walk(src):
        for n in filenames:
            t = 1600000000 + 12345 * k if k % 2 else int(time.time()) - 3600 - k
            os.utime(os.path.join(dirpath, n), (t, t))
            k += 1
    return src


@test()
def rsync_a():
    if shutil.which("rsync") is None:
        raise AssertionError("rsync is not installed (apt-get install rsync)")
    src = rsync_source()
    if C.server_kind == "vsftpd":
        d, m, base = ldisk, lmnt, "rsync"
        note = "on the -o ignore_attr_errors mount"
    else:
        d, m, base = disk, mnt, "rsync"
        note = "on the default mount"
    cmd = "rsync -a --omit-dir-times %s/ %s/" % (q(src), q(m(base, "t")))
    sh_ok(cmd, timeout=170)
    compare_tree(os.path.join(base, "t"), source=src, d=d, m=m)
    problems = []
    for dirpath, dirnames, filenames in os.walk(src):
        for n in filenames:
            rel = os.path.relpath(os.path.join(dirpath, n), src)
            s = os.stat(os.path.join(src, rel))
            t = os.stat(d(base, "t", rel))
            if int(s.st_mtime) != int(t.st_mtime):
                problems.append("%r: mtime on disk %d, source %d" % (
                    rel, t.st_mtime, s.st_mtime))
            if C.server_kind == "pyftpdlib" and \
                    stat.S_IMODE(s.st_mode) != stat.S_IMODE(t.st_mode):
                problems.append("%r: mode on disk %o, source %o" % (
                    rel, stat.S_IMODE(t.st_mode), stat.S_IMODE(s.st_mode)))
    if problems:
        raise AssertionError("after %s:\n%s" % (cmd, "\n".join(problems[:20])))
    # a second run: nothing to transfer (LIST times have minute precision:
    # on vsftpd rsync may copy files again; it must still succeed)
    out = sh_ok("rsync -a --omit-dir-times -i %s/ %s/" % (
        q(src), q(m(base, "t"))), timeout=170)
    again = [l for l in out.splitlines() if l.startswith(">f")]
    compare_tree(os.path.join(base, "t"), source=src, d=d, m=m)
    if again and C.server_kind == "pyftpdlib":
        raise AssertionError("second rsync copied %d files again (times or "
                             "sizes differ through the mount): %s"
                             % (len(again), again[:5]))
    return "%s; second run re-sent %d files" % (note, len(again))


@test()
def editor_sed_i():
    """sed -i: a temporary beside the file, its mode copied onto it
    (fchmod), renamed over the file. On vsftpd, whose anonymous user has
    no SITE CHMOD, the mode copied is the one the file already shows
    (0644), so nothing needs asking and sed works there too."""
    p = mnt("editor", "sed.txt")
    old = read(disk("editor", "sed.txt"))
    sh_ok("sed -i 's/foo/BAZ/g' %s" % q(p))
    check_file("editor/sed.txt", old.replace(b"foo", b"BAZ"))
    names = sorted(os.listdir(disk("editor")))
    if names != ["py.txt", "sed.txt"]:
        raise AssertionError("editor/ on disk: %s" % names)
    check_no_tmp()


@test()
def editor_python_replace():
    final = mnt("editor", "py.txt")
    tmp = mnt("editor", "py.txt.tmp")
    new = b"new contents, written by an editor\n" * 1000
    with open(tmp, "wb") as f:
        f.write(new)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, final)
    check_file("editor/py.txt", new)
    check_absent("editor/py.txt.tmp")
    # the same again, the tmp written in two steps with a seek back
    with open(tmp, "wb") as f:
        f.write(b"X" * 100 + new)
        f.seek(0)
        f.write(b"Y" * 100)
    os.replace(tmp, final)
    check_file("editor/py.txt", b"Y" * 100 + new)
    check_absent("editor/py.txt.tmp")
    check_no_tmp()


def tar_source():
    src = local("tar-src")
    if os.path.exists(src):
        return src
    make_odd_tree(src)
    write_file(os.path.join(src, "x", "y", "z.txt"), b"zzz\n")
    k = 0
    for dirpath, dirnames, filenames in os.walk(src):
        for n in filenames:
            t = 1500000000 + 777 * k
            os.utime(os.path.join(dirpath, n), (t, t))
            k += 1
    return src


@test()
def tar_x():
    src = tar_source()
    tarball = local("t.tar")
    if not os.path.exists(tarball):
        with tarfile.open(tarball, "w", format=tarfile.GNU_FORMAT) as tf:
            tf.add(src, arcname="tree")
    out = sh_ok("tar -xf %s -C %s" % (q(tarball), q(lmnt("tar"))), timeout=170)
    compare_tree("tar/tree", source=src, d=ldisk, m=lmnt)
    problems = []
    for dirpath, dirnames, filenames in os.walk(src):
        for n in filenames:
            rel = os.path.relpath(os.path.join(dirpath, n), src)
            s = os.stat(os.path.join(src, rel))
            t = os.stat(ldisk("tar", "tree", rel))
            if int(s.st_mtime) != int(t.st_mtime):
                problems.append("%r: mtime on disk %d, in the tarball %d"
                                % (rel, t.st_mtime, s.st_mtime))
    if problems:
        raise AssertionError("\n".join(problems[:20]))
    check_no_tmp(ldisk())
    return "on the -o ignore_attr_errors mount" + ("; tar said: " + out
                                                    if out else "")


@test()
def sqlite():
    db = mnt("sqlite", "test.db")
    rnd = random.Random(7)
    rows = []
    con = sqlite3.connect(db, timeout=30)
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, "
                "payload BLOB)")
    con.commit()
    for tx in range(10):
        with con:
            for i in range(100):
                rid = tx * 100 + i + 1
                row = (rid, "name %d ü" % rid, rnd.randbytes(rnd.randrange(0, 600)))
                con.execute("INSERT INTO t VALUES (?, ?, ?)", row)
                rows.append(row)
    with con:
        con.execute("UPDATE t SET name = name || ' updated' WHERE id % 7 = 0")
        con.execute("DELETE FROM t WHERE id % 50 = 0")
    con.close()
    want = []
    for rid, name, payload in rows:
        if rid % 50 == 0:
            continue
        if rid % 7 == 0:
            name += " updated"
        want.append((rid, name, payload))
    con = sqlite3.connect(db, timeout=30)
    got = con.execute("SELECT id, name, payload FROM t ORDER BY id").fetchall()
    ic = con.execute("PRAGMA integrity_check").fetchall()
    con.close()
    problems = []
    if got != want:
        problems.append("reopened through the mount: %d rows, want %d; "
                        "equal=%s" % (len(got), len(want), got == want))
    if ic != [("ok",)]:
        problems.append("integrity_check through the mount: %r" % ic[:5])
    copy = local("copy.db")
    shutil.copyfile(disk("sqlite", "test.db"), copy)
    con = sqlite3.connect(copy)
    ic = con.execute("PRAGMA integrity_check").fetchall()
    got = con.execute("SELECT id, name, payload FROM t ORDER BY id").fetchall()
    con.close()
    if ic != [("ok",)]:
        problems.append("integrity_check of the copy on disk: %r" % ic[:5])
    if got != want:
        problems.append("the copy on disk: %d rows, want %d" % (len(got),
                                                                 len(want)))
    if problems:
        raise AssertionError("\n".join(problems))
    check_file("sqlite/test.db")
    left = sorted(set(os.listdir(disk("sqlite"))) - {"test.db"})
    if left:
        raise AssertionError("left on disk besides test.db: %s" % left)
    check_no_tmp()
    return "%d rows" % len(want)


@test()
def dd_notrunc():
    old = bytearray(read(disk("dd", "dd.bin")))
    patch = content("patch", 10000)
    pf = local("patch.bin")
    write_file(pf, patch)
    sh_ok("dd if=%s of=%s bs=1000 seek=500 conv=notrunc status=none"
          % (q(pf), q(mnt("dd", "dd.bin"))))
    old[500000:510000] = patch
    check_file("dd/dd.bin", bytes(old))
    sh_ok("printf 'ABCDEFG' | dd of=%s bs=1 seek=12345 conv=notrunc "
          "status=none" % q(mnt("dd", "dd.bin")))
    old[12345:12352] = b"ABCDEFG"
    check_file("dd/dd.bin", bytes(old))
    # past the end, notrunc: the file grows
    sh_ok("printf 'END' | dd of=%s bs=1 seek=%d conv=notrunc status=none"
          % (q(mnt("dd", "dd.bin")), len(old) + 10))
    old += b"\0" * 10 + b"END"
    check_file("dd/dd.bin", bytes(old))
    check_no_tmp()


@test()
def truncate_shrink_grow():
    old = read(disk("trunc", "t.bin"))
    p = q(mnt("trunc", "t.bin"))
    sh_ok("truncate -s 1000 %s" % p)
    check_file("trunc/t.bin", old[:1000])
    sh_ok("truncate -s 70000 %s" % p)
    check_file("trunc/t.bin", old[:1000] + b"\0" * 69000)
    sh_ok("truncate -s 0 %s" % p)
    check_file("trunc/t.bin", b"")
    sh_ok("truncate -s 4097 %s" % p)
    check_file("trunc/t.bin", b"\0" * 4097)
    # through an open descriptor
    old2 = read(disk("trunc", "t2.bin"))
    with open(mnt("trunc", "t2.bin"), "r+b") as f:
        f.truncate(100)
        f.truncate(300)
    check_file("trunc/t2.bin", old2[:100] + b"\0" * 200)
    # a new file made by truncate
    sh_ok("truncate -s 12345 %s" % q(mnt("trunc", "new.bin")))
    check_file("trunc/new.bin", b"\0" * 12345)
    check_no_tmp()


@test()
def mv_files_and_dirs():
    before = snapshot(disk("mv"))
    data = {n: read(disk("mv", n)) for n in
            ("a.txt", "b.txt", "c.txt", "x.txt")}
    steps = [
        ("mv a.txt a2.txt", "mv %s %s" % (q(mnt("mv", "a.txt")),
                                          q(mnt("mv", "a2.txt")))),
        ("mv b.txt dest/", "mv %s %s/" % (q(mnt("mv", "b.txt")),
                                          q(mnt("mv", "dest")))),
        ("mv c.txt target.txt (replaces)",
         "mv %s %s" % (q(mnt("mv", "c.txt")), q(mnt("mv", "target.txt")))),
        ("mv dir1 dir1r", "mv %s %s" % (q(mnt("mv", "dir1")),
                                        q(mnt("mv", "dir1r")))),
        ("mv dir2 dest/", "mv %s %s/" % (q(mnt("mv", "dir2")),
                                         q(mnt("mv", "dest")))),
        ("mv x.txt dest/other.txt (replaces, across dirs)",
         "cp %s %s && mv %s %s" % (q(mnt("mv", "other.txt")),
                                   q(mnt("mv", "dest", "other.txt")),
                                   q(mnt("mv", "x.txt")),
                                   q(mnt("mv", "dest", "other.txt")))),
    ]
    for what, cmd in steps:
        rc, out = sh(cmd)
        if rc != 0:
            raise AssertionError("%s: exit %d: %s" % (what, rc, out))
    # rename(2) of a dir over an empty dir replaces it; over a non-empty
    # one fails with ENOTEMPTY (or EEXIST)
    os.rename(mnt("mv", "dir3"), mnt("mv", "emptydst"))
    expect_errno(lambda: os.rename(mnt("mv", "emptydst"), mnt("mv", "fulldst")),
                 (errno.ENOTEMPTY, errno.EEXIST), "rename dir over non-empty dir")
    want = dict(before)

    def move(a, b):
        for k in sorted(want):
            if k == a or k.startswith(a + "/"):
                want[b + k[len(a):]] = want.pop(k)
    move("a.txt", "a2.txt")
    move("b.txt", "dest/b.txt")
    del want["target.txt"]
    move("c.txt", "target.txt")
    move("dir1", "dir1r")
    move("dir2", "dest/dir2")
    want.pop("dest/other.txt", None)
    move("x.txt", "dest/other.txt")
    del want["emptydst"]
    move("dir3", "emptydst")
    got = compare_tree("mv")
    diffs = diff_snap(want, got, "expected", "disk")
    if diffs:
        raise AssertionError("after the moves:\n" + "\n".join(diffs))
    if read(disk("mv", "target.txt")) != data["c.txt"] or \
            read(disk("mv", "dest", "other.txt")) != data["x.txt"]:
        raise AssertionError("a replaced file does not have the new contents")
    check_no_tmp()


@test()
def mkdir_p():
    sh_ok("mkdir -p %s" % q(mnt("mkdir", "a", "b", "c")))
    for rel in ("mkdir/a", "mkdir/a/b", "mkdir/a/b/c"):
        if not os.path.isdir(disk(rel)):
            raise AssertionError("%r is not a directory on disk" % rel)
        if not stat.S_ISDIR(os.stat(mnt(rel)).st_mode):
            raise AssertionError("%r is not a directory on the mount" % rel)
    sh_ok("mkdir -p %s" % q(mnt("mkdir", "a", "b", "c")))   # exists: fine
    expect_errno(lambda: os.mkdir(mnt("mkdir", "a")), (errno.EEXIST,),
                 "mkdir of an existing dir")
    sh_ok("echo x > %s" % q(mnt("mkdir", "a", "b", "c", "f.txt")))
    compare_tree("mkdir")


@test()
def rmdir_nonempty():
    e = expect_errno(lambda: os.rmdir(mnt("rmdir", "full")),
                     (errno.ENOTEMPTY,), "rmdir of a non-empty dir")
    if not os.path.exists(disk("rmdir", "full", "f")):
        raise AssertionError("rmdir full/ removed its file on disk")
    os.rmdir(mnt("rmdir", "empty"))
    check_absent("rmdir/empty")
    expect_errno(lambda: os.rmdir(mnt("rmdir", "empty")), (errno.ENOENT,),
                 "rmdir of a missing dir")
    compare_tree("rmdir")
    return "non-empty: %s" % en(e)


@test()
def rm_files_and_trees():
    sh_ok("rm %s" % q(mnt("rm", "f.txt")))
    check_absent("rm/f.txt")
    sh_ok("rm -r %s" % q(mnt("rm", "tree")))
    check_absent("rm/tree")
    expect_errno(lambda: os.unlink(mnt("rm", "f.txt")), (errno.ENOENT,),
                 "unlink of a missing file")
    if os.listdir(disk("rm")):
        raise AssertionError("rm/ on disk is not empty: %s"
                             % os.listdir(disk("rm")))
    if os.listdir(mnt("rm")):
        raise AssertionError("rm/ on the mount is not empty: %s"
                             % os.listdir(mnt("rm")))


@test()
def chmod_600():
    p = mnt("chmod", "c.txt")
    if C.server_kind == "vsftpd":
        expect_errno(lambda: os.chmod(p, 0o600), (errno.EPERM,),
                     "chmod 600 (vsftpd refuses SITE CHMOD to anonymous)")
        m = stat.S_IMODE(os.stat(disk("chmod", "c.txt")).st_mode)
        if m != 0o644:
            raise AssertionError("mode on disk %o after a refused chmod" % m)
        return "EPERM, as expected"
    os.chmod(p, 0o600)
    m = stat.S_IMODE(os.stat(disk("chmod", "c.txt")).st_mode)
    if m != 0o600:
        raise AssertionError("mode on disk %o, want 600" % m)
    mm = stat.S_IMODE(os.stat(p).st_mode)
    if mm != 0o600:
        raise AssertionError("mode through the mount %o, want 600 (disk "
                             "has 600)" % mm)
    sh_ok("chmod 751 %s" % q(p))
    m = stat.S_IMODE(os.stat(disk("chmod", "c.txt")).st_mode)
    if m != 0o751:
        raise AssertionError("chmod 751: mode on disk %o" % m)
    check_file("chmod/c.txt", b"chmod me\n")


@test()
def chmod_while_open():
    """fchmod on a file being written: applied (pyftpdlib) or refused
    (vsftpd: EPERM from fchmod or from close) -- never a silent no-op."""
    p = mnt("chmod", "open.txt")
    fd = os.open(p, os.O_WRONLY | os.O_TRUNC)
    err_chmod = err_close = None
    try:
        os.write(fd, b"new contents\n")
        try:
            os.fchmod(fd, 0o600)
        except OSError as e:
            err_chmod = e.errno
    finally:
        try:
            os.close(fd)
        except OSError as e:
            err_close = e.errno
    m = stat.S_IMODE(os.stat(disk("chmod", "open.txt")).st_mode)
    data = read(disk("chmod", "open.txt"))
    if data != b"new contents\n":
        raise AssertionError("contents on disk %r" % data)
    if m == 0o600 and err_chmod is None and err_close is None:
        return "applied after the upload"
    if m != 0o600 and (err_chmod or err_close):
        return "refused: fchmod %s, close %s" % (
            en(err_chmod) if err_chmod else "ok",
            en(err_close) if err_close else "ok")
    raise AssertionError("fchmod(0600) %s, close %s, mode on disk %o: %s" % (
        en(err_chmod) if err_chmod else "succeeded",
        en(err_close) if err_close else "succeeded", m,
        "a silent no-op" if m != 0o600 else "applied but an error reported"))


@test()
def chmod_ignore_attr_errors():
    os.chmod(lmnt("chmod.txt"), 0o600)
    m = stat.S_IMODE(os.stat(ldisk("chmod.txt")).st_mode)
    want = 0o644 if C.server_kind == "vsftpd" else 0o600
    if m != want:
        raise AssertionError("mode on disk %o, want %o" % (m, want))
    check_file("chmod.txt", b"lenient chmod\n", d=ldisk, m=lmnt)
    return "succeeds; mode on disk %o" % m


def mtime_ok_on_mount(got, want):
    """The mount's mtime for a disk time `want`: exact (MLSD, 1 s) on
    pyftpdlib; vsftpd's LIST has minute precision for recent files and day
    precision for files older than ~6 months (MDTM would give seconds)."""
    if C.server_kind != "vsftpd" and "disable_mlsd" not in C.opts:
        return abs(got - want) < 1
    prec = 60 if time.time() - want < 180 * 86400 else 86400
    return (want // prec) * prec - 1 <= got <= want + 1


@test()
def touch_d():
    problems = []
    notes = []
    # an existing file
    sh_ok("touch -d %s %s" % (q(TOUCH_ARG), q(mnt("touch", "old.txt"))))
    t = os.stat(disk("touch", "old.txt")).st_mtime
    if int(t) != TOUCH_T:
        problems.append("existing file: mtime on disk %d, want %d" % (
            t, TOUCH_T))
    tm = os.stat(mnt("touch", "old.txt")).st_mtime
    if not mtime_ok_on_mount(tm, TOUCH_T):
        problems.append("existing file: mtime through the mount %d (%s), "
                        "disk has %d" % (tm, time.strftime(
                            "%Y-%m-%d %H:%M:%S", time.gmtime(tm)), TOUCH_T))
    try:
        check_file("touch/old.txt", b"touch me\n")
    except AssertionError as e:
        problems.append(str(e))
    # touch creates the file, then sets the time
    sh_ok("touch -d %s %s" % (q(TOUCH_ARG), q(mnt("touch", "new.txt"))))
    try:
        check_file("touch/new.txt", b"")
    except AssertionError as e:
        problems.append(str(e))
    t = os.stat(disk("touch", "new.txt")).st_mtime
    if int(t) != TOUCH_T:
        problems.append("new file: mtime on disk %d, want %d" % (t, TOUCH_T))
    tm = os.stat(mnt("touch", "new.txt")).st_mtime
    if not mtime_ok_on_mount(tm, TOUCH_T):
        problems.append("new file: mtime through the mount %d, disk has %d"
                        % (tm, TOUCH_T))
    # a file being written: the time is set after the upload
    with open(mnt("touch", "open.txt"), "wb") as f:
        f.write(b"data")
        f.flush()
        os.utime(f.fileno(), (TOUCH_T, TOUCH_T))
    t = os.stat(disk("touch", "open.txt")).st_mtime
    if int(t) != TOUCH_T:
        problems.append("futimens on a file being written: mtime on disk %d, "
                        "want %d" % (t, TOUCH_T))
    # a directory: set; where the server cannot, touch succeeds (README:
    # a refused directory time is not an error) and the mount shows the
    # server's time, never the one asked for
    before = os.stat(disk("touch", "dir")).st_mtime
    rc, out = sh("touch -d %s %s" % (q(TOUCH_ARG), q(mnt("touch", "dir"))))
    t = os.stat(disk("touch", "dir")).st_mtime
    tm = os.stat(mnt("touch", "dir")).st_mtime
    if rc != 0:
        problems.append("directory: touch -d failed: %s" % out)
    elif int(t) == TOUCH_T:
        notes.append("directory: set")
    elif int(tm) == TOUCH_T or abs(tm - t) >= 60:
        problems.append("directory: the server kept its time %d (was %d), "
                        "the mount shows %d" % (t, before, tm))
    else:
        notes.append("directory: the server's time kept, and shown")
    if problems:
        raise AssertionError("\n".join(problems))
    check_no_tmp()
    return "; ".join(notes)


@test()
def rdwr_random_io():
    rel = "rdwr/r.bin"
    model = bytearray(read(disk(rel)))
    rnd = random.Random(99)
    fd = os.open(mnt(rel), os.O_RDWR)
    try:
        for i in range(300):
            off = rnd.randrange(0, len(model) + 100)
            if rnd.random() < 0.5:
                data = rnd.randbytes(rnd.choice([1, 7, 512, 4096, 5000]))
                n = os.pwrite(fd, data, off)
                if n != len(data):
                    raise AssertionError("pwrite %d returned %d" % (len(data), n))
                if off > len(model):
                    model += b"\0" * (off - len(model))
                model[off:off + len(data)] = data
            else:
                ln = rnd.choice([1, 100, 4096, 70000])
                got = os.pread(fd, ln, off)
                want = bytes(model[off:off + ln])
                if got != want:
                    raise AssertionError("op %d: " % i + describe(
                        "pread(%d, %d)" % (ln, off), got, want))
    finally:
        os.close(fd)
    check_file(rel, bytes(model))
    check_no_tmp()


@test()
def excl_on_existing():
    expect_errno(lambda: os.open(mnt("excl", "e.txt"),
                                 os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644),
                 (errno.EEXIST,), "O_CREAT|O_EXCL on an existing file")
    check_file("excl/e.txt", b"exclusive\n")
    fd = os.open(mnt("excl", "new.txt"), os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                 0o644)
    os.write(fd, b"made exclusively\n")
    os.close(fd)
    check_file("excl/new.txt", b"made exclusively\n")
    expect_errno(lambda: os.open(mnt("excl", "new.txt"),
                                 os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644),
                 (errno.EEXIST,), "O_CREAT|O_EXCL on the file just made")


@test()
def read_after_write():
    problems = []
    # 1. written and closed; a new descriptor reads the new bytes
    new1 = b"fresh bytes after close\n" * 10
    with open(mnt("raw", "r.txt"), "wb") as f:
        f.write(new1)
    with open(mnt("raw", "r.txt"), "rb") as f:
        got = f.read()
    if got != new1:
        problems.append(describe("new fd after close", got, new1))
    # 2. the same O_RDWR descriptor
    fd = os.open(mnt("raw", "r.txt"), os.O_RDWR)
    try:
        os.pwrite(fd, b"PATCH", 3)
        got = os.pread(fd, 100, 0)
        want = (new1[:3] + b"PATCH" + new1[8:])[:100]
        if got != want:
            problems.append(describe("same O_RDWR fd", got, want))
    finally:
        os.close(fd)
    want_after = new1[:3] + b"PATCH" + new1[8:]
    # 3. written, NOT closed yet: a new descriptor sees the new bytes
    new3 = b"written but the writer is still open\n"
    fdw = os.open(mnt("raw", "r2.txt"), os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fdw, new3)
        try:
            with open(mnt("raw", "r2.txt"), "rb") as f:
                got = f.read()
            if got != new3:
                problems.append(describe("new fd while the writer is open",
                                         got, new3))
        except OSError as e:
            problems.append("open/read while the writer is open: %s" % e)
    finally:
        os.close(fdw)
    try:
        check_file("raw/r.txt", want_after)
        check_file("raw/r2.txt", new3)
    except AssertionError as e:
        problems.append(str(e))
    if problems:
        raise AssertionError("\n".join(problems))


@test()
def stat_during_stream():
    rel = "stream/s.bin"
    data = content("stream", 3 * MiB)
    fd = os.open(mnt(rel), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    problems = []
    try:
        for i in range(0, MiB, 64 * KiB):
            os.write(fd, data[i:i + 64 * KiB])
        try:
            st = os.stat(mnt(rel))
            if st.st_size != MiB:
                problems.append("stat while open after 1 MiB: size %d"
                                % st.st_size)
        except OSError as e:
            problems.append("stat while open: %s" % e)
        try:
            names = os.listdir(mnt("stream"))
            if "s.bin" not in names:
                problems.append("listdir while open: %s" % names)
        except OSError as e:
            problems.append("listdir while open: %s" % e)
        rc, out = sh("ls -l %s" % q(mnt("stream")))
        if rc != 0 or "s.bin" not in out:
            problems.append("ls -l while open: rc %d: %s" % (rc, out))
        for i in range(MiB, len(data), 64 * KiB):
            os.write(fd, data[i:i + 64 * KiB])
        st = os.fstat(fd)
        if st.st_size != len(data):
            problems.append("fstat before close: size %d, want %d"
                            % (st.st_size, len(data)))
    finally:
        os.close(fd)
    try:
        check_file(rel, data)
    except AssertionError as e:
        problems.append(str(e))
    if problems:
        raise AssertionError("\n".join(problems))
    check_no_tmp()


@test()
def dir_stat_after_write_inside():
    """A directory stays visible after files are written into it."""
    problems = []
    sh_ok("mkdir %s" % q(mnt("dirattr", "d")))
    os.listdir(mnt("dirattr"))            # the parent's listing is cached
    sh_ok("echo x > %s" % q(mnt("dirattr", "d", "f.txt")))
    for what, fn in (("stat", lambda: os.stat(mnt("dirattr", "d"))),
                     ("listdir", lambda: os.listdir(mnt("dirattr", "d"))),
                     ("ls -ld", lambda: check_run(
                         ["ls", "-ld", mnt("dirattr", "d")]))):
        try:
            fn()
        except (OSError, HarnessError) as e:
            problems.append("%s of the directory after `echo x > d/f.txt`: %s"
                            % (what, str(e).split("\n")[0]))
    os.listdir(mnt("dirattr"))
    sh_ok("mkdir %s" % q(mnt("dirattr", "d", "sub")))
    try:
        os.stat(mnt("dirattr", "d"))
    except OSError as e:
        problems.append("stat of the directory after `mkdir d/sub`: %s" % e)
    if problems:
        raise AssertionError("\n".join(problems))
    compare_tree("dirattr")


# --- randomized ----------------------------------------------------------------

FLAG_SETS = [
    ("O_RDWR", os.O_RDWR),
    ("O_WRONLY|O_TRUNC", os.O_WRONLY | os.O_TRUNC),
    ("O_WRONLY|O_APPEND", os.O_WRONLY | os.O_APPEND),
]


@test()
def random_ops():
    """Writes at random offsets, truncates, appends and reopens, applied to
    a file on the mount and a local reference file with the same syscalls;
    after each close the mount, the disk and the reference must agree."""
    rnd = random.Random(C.seed)
    nops = C.nops
    max_size = 256 * KiB
    rel = "random/r.bin"
    ref = local("random-ref.bin")
    init = rnd.randbytes(10000)
    write_file(ref, init)
    with open(mnt(rel), "wb") as f:
        f.write(init)
    check_file(rel, init)
    history = []
    closes = 0

    def fail(msg):
        raise AssertionError("op %d (seed %d): %s\nlast ops:\n  %s" % (
            len(history), C.seed, msg, "\n  ".join(history[-15:])))

    def open_both(name, flags):
        fm = os.open(mnt(rel), flags)
        fr = os.open(ref, flags)
        return fm, fr

    def close_both(fm, fr):
        try:
            os.close(fm)
        except OSError as e:
            fail("close: %s" % e)
        os.close(fr)
        want = read(ref)
        try:
            got = read(mnt(rel))
        except OSError as e:
            fail("reading the mount after close: %s" % e)
        on_disk = read(disk(rel))
        if on_disk != want:
            fail(describe("disk vs reference after close", on_disk, want))
        if got != want:
            fail(describe("mount vs reference after close", got, want))

    name, flags = FLAG_SETS[0]
    fm, fr = open_both(name, flags)
    history.append("open %s" % name)
    ok = False
    try:
        for i in range(nops):
            size = os.fstat(fr).st_size
            x = rnd.random()
            if x < 0.40:
                off = rnd.randrange(0, min(size + 4096, max_size))
                ln = rnd.choice([1, 3, 100, 4096, 4097, rnd.randrange(1, 20000)])
                if flags & os.O_APPEND:
                    ln = min(ln, max(1, max_size - size))
                ln = max(1, min(ln, max_size - off))
                data = rnd.randbytes(ln)
                history.append("pwrite(len=%d, off=%d)%s" % (
                    ln, off, " [O_APPEND: at the end]"
                    if flags & os.O_APPEND else ""))
                try:
                    n = os.pwrite(fm, data, off)
                except OSError as e:
                    fail("pwrite: %s" % e)
                os.pwrite(fr, data, off)
                if n != ln:
                    fail("pwrite returned %d, want %d" % (n, ln))
            elif x < 0.52:
                ln = rnd.randrange(0, max_size)
                if rnd.random() < 0.5:
                    ln = rnd.randrange(0, size + 1)
                history.append("ftruncate(%d) [size %d]" % (ln, size))
                try:
                    os.ftruncate(fm, ln)
                except OSError as e:
                    fail("ftruncate: %s" % e)
                os.ftruncate(fr, ln)
            elif x < 0.67:
                ln = min(rnd.choice([1, 10, 1000, 5000]), max(1, max_size - size))
                data = rnd.randbytes(ln)
                if flags & os.O_APPEND:
                    history.append("write(len=%d) [O_APPEND]" % ln)
                    try:
                        os.write(fm, data)
                    except OSError as e:
                        fail("write: %s" % e)
                    os.write(fr, data)
                else:
                    history.append("pwrite(len=%d, off=size=%d)" % (ln, size))
                    try:
                        os.pwrite(fm, data, size)
                    except OSError as e:
                        fail("pwrite at the end: %s" % e)
                    os.pwrite(fr, data, size)
            elif x < 0.92:
                if (flags & os.O_ACCMODE) != os.O_RDWR:
                    continue
                off = rnd.randrange(0, size + 100)
                ln = rnd.choice([1, 100, 4096, 65536])
                history.append("pread(len=%d, off=%d)" % (ln, off))
                try:
                    got = os.pread(fm, ln, off)
                except OSError as e:
                    fail("pread: %s" % e)
                want = os.pread(fr, ln, off)
                if got != want:
                    fail(describe("pread", got, want))
            else:
                history.append("close")
                close_both(fm, fr)
                closes += 1
                name, flags = rnd.choice(FLAG_SETS)
                history.append("open %s" % name)
                fm, fr = open_both(name, flags)
            try:
                sm = os.fstat(fm).st_size
            except OSError as e:
                fail("fstat: %s" % e)
            sr = os.fstat(fr).st_size
            if sm != sr:
                fail("fstat size on the mount %d, reference %d" % (sm, sr))
        ok = True
    finally:
        if not ok:          # keep the first failure; just release the fds
            for fd in (fm, fr):
                try:
                    os.close(fd)
                except OSError:
                    pass
    history.append("close (end)")
    close_both(fm, fr)
    closes += 1
    check_no_tmp()
    return "%d ops, %d closes, final size %d" % (nops, closes,
                                                  os.stat(ref).st_size)


@test()
def two_writers():
    """Two descriptors writing the same file at once (an O_TRUNC streamer
    and an O_RDWR one, then an O_APPEND one), mirrored on a local file."""
    rel = "raw/two.bin"
    ref = local("two-ref.bin")
    init = content("two", 50000)
    write_file(ref, init)
    with open(mnt(rel), "wb") as f:
        f.write(init)
    fds = []
    try:
        for flags in (os.O_WRONLY | os.O_TRUNC, os.O_RDWR):
            fds.append((os.open(mnt(rel), flags), os.open(ref, flags)))
        steps = [(0, b"A" * 10000, 0), (1, b"B" * 100, 5000),
                 (0, b"C" * 3000, 10000), (1, b"D" * 10, 20000)]
        for i, data, off in steps:
            os.pwrite(fds[i][0], data, off)
            os.pwrite(fds[i][1], data, off)
        got = os.pread(fds[1][0], 30000, 0)
        want = os.pread(fds[1][1], 30000, 0)
        if got != want:
            raise AssertionError(describe("pread through the O_RDWR fd", got,
                                          want))
        fds.append((os.open(mnt(rel), os.O_WRONLY | os.O_APPEND),
                    os.open(ref, os.O_WRONLY | os.O_APPEND)))
        os.write(fds[2][0], b"appended")
        os.write(fds[2][1], b"appended")
        os.pwrite(fds[0][0], b"E" * 5, 1)
        os.pwrite(fds[0][1], b"E" * 5, 1)
    finally:
        errs = []
        for fm, fr in fds:
            try:
                os.close(fm)
            except OSError as e:
                errs.append(str(e))
            os.close(fr)
    if errs:
        raise AssertionError("close: %s" % errs)
    check_file(rel, read(ref))
    check_no_tmp()


# --- open files ------------------------------------------------------------

def hidden_left(top):
    """libfuse's .fuse_hidden* names (an unlinked file still open) below
    top: there must be none once every descriptor is closed."""
    out = []
    for dirpath, dirnames, filenames in os.walk(top):
        out += [os.path.relpath(os.path.join(dirpath, n), top)
                for n in dirnames + filenames if n.startswith(".fuse_hidden")]
    return sorted(out)


def check_no_hidden(top):
    # RELEASE reaches ftpfs after close() has returned: look a few times
    for _ in range(50):
        left = hidden_left(top)
        if not left:
            return
        time.sleep(0.1)
    raise AssertionError("still on the server after close: %s" % left)


@test()
def unlinked_while_open():
    """An open file that is unlinked stays readable (and, O_RDWR,
    writable) through its descriptor, fstat works, the name is gone at
    once, and nothing is left on the server after close (this used to
    crash the daemon: libfuse gave a NULL path)."""
    p = mnt("open", "unlinked.txt")
    fd = os.open(p, os.O_RDONLY)
    try:
        os.unlink(p)
        check_absent("open/unlinked.txt")
        if os.path.exists(p):
            raise AssertionError("the name is still there after unlink")
        st = os.fstat(fd)
        if st.st_size != 21:
            raise AssertionError("fstat size %d, want 21" % st.st_size)
        got = os.pread(fd, 100, 0)
        if got != b"read me after unlink\n":
            raise AssertionError(describe("pread after unlink", got,
                                          b"read me after unlink\n"))
        names = os.listdir(mnt("open"))
        if "unlinked.txt" in names:
            raise AssertionError("listing shows %s" % names)
    finally:
        os.close(fd)
    p = mnt("open", "rdwr.txt")
    fd = os.open(p, os.O_RDWR)
    try:
        os.unlink(p)
        os.pwrite(fd, b"NEW", 0)
        got = os.pread(fd, 100, 0)
        if got != b"NEW contents\n":
            raise AssertionError(describe("pread of the unlinked O_RDWR "
                                          "file", got, b"NEW contents\n"))
    finally:
        os.close(fd)
    check_no_hidden(disk("open"))
    check_absent("open/rdwr.txt")
    check_absent("open/unlinked.txt")


@test()
def renamed_while_open():
    """A file being read goes on reading after mv of the file, and of the
    directory it is in; a file replaced by mv over it keeps its old bytes
    for the reader that had it open."""
    want = content("moved", 3 * MiB)
    with open(mnt("open", "moved.bin"), "rb", buffering=0) as f:
        head = f.read(MiB)
        os.rename(mnt("open", "moved.bin"), mnt("open", "moved2.bin"))
        f.seek(2 * MiB)           # a new transfer, by the new name
        tail = f.read()
        f.seek(MiB)
        mid = f.read(MiB)
    if head + mid + tail != want:
        raise AssertionError("read across the rename differs")
    with open(mnt("open", "d", "in-dir.bin"), "rb", buffering=0) as f:
        a = f.read(1000)
        os.rename(mnt("open", "d"), mnt("open", "d2"))
        f.seek(500000)
        b = f.read()
    wd = content("indir", MiB)
    if a != wd[:1000] or b != wd[500000:]:
        raise AssertionError("read across the directory rename differs")
    write_file(local("replacement.txt"), b"the new version\n")
    with open(mnt("open", "replaced.txt"), "rb", buffering=0) as f:
        sh_ok("cp %s %s && mv %s %s" % (
            q(local("replacement.txt")), q(mnt("open", "new.txt")),
            q(mnt("open", "new.txt")), q(mnt("open", "replaced.txt"))))
        got = f.read()
    if got != b"the old version\n":
        raise AssertionError(describe("reader of a replaced file", got,
                                      b"the old version\n"))
    check_file("open/replaced.txt", b"the new version\n")
    check_file("open/moved2.bin", want)
    check_no_hidden(disk("open"))


@test()
def names_too_long():
    """A name longer than statfs's f_namemax (255 bytes) is refused with
    ENAMETOOLONG at the first call, before any data is accepted: create,
    mkdir, rename's target, symlink, stat, unlink, rmdir, truncate; 255
    bytes work. A path longer than the server takes in one command line
    (pyftpdlib: 2048 bytes) is ENAMETOOLONG too, and the mount goes on."""
    problems = []
    nmax = os.statvfs(mnt("names")).f_namemax
    if nmax != 255:
        problems.append("statvfs f_namemax %d, want 255" % nmax)
    long = "L" * (nmax + 1)
    wide = "\u2713" * 86           # 258 bytes in UTF-8
    attempts = [
        ("open(O_CREAT)", lambda n: os.close(os.open(
            mnt("names", n), os.O_WRONLY | os.O_CREAT, 0o644))),
        ("open(O_CREAT|O_EXCL)", lambda n: os.close(os.open(
            mnt("names", n), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))),
        ("mkdir", lambda n: os.mkdir(mnt("names", n))),
        ("rename target", lambda n: os.rename(mnt("names", "short.txt"),
                                              mnt("names", n))),
        ("symlink", lambda n: os.symlink("short.txt", mnt("names", n))),
        ("stat", lambda n: os.stat(mnt("names", n))),
        ("unlink", lambda n: os.unlink(mnt("names", n))),
        ("rmdir", lambda n: os.rmdir(mnt("names", n))),
        ("truncate", lambda n: os.truncate(mnt("names", n), 0)),
    ]
    for n in (long, wide):
        for what, fn in attempts:
            try:
                fn(n)
                problems.append("%s of a %d-byte name succeeded" % (
                    what, len(n.encode())))
            except OSError as e:
                if e.errno != errno.ENAMETOOLONG:
                    problems.append("%s of a %d-byte name: %s (want "
                                    "ENAMETOOLONG)" % (what, len(n.encode()),
                                                       en(e)))
    ok = "K" * nmax
    try:
        write_file(mnt("names", ok), b"255 bytes\n")
        check_file("names/" + ok, b"255 bytes\n")
    except (OSError, AssertionError) as e:
        problems.append("a 255-byte name: %s" % e)
    # deeper and deeper directories of 200-byte names: the first refusal
    # is ENAMETOOLONG (the server's line limit, ours or the kernel's)
    rel = "names"
    for i in range(20):
        nxt = rel + "/" + ("d%02d" % i) * 50 + "D" * 50
        try:
            os.mkdir(mnt(nxt))
        except OSError as e:
            if e.errno != errno.ENAMETOOLONG:
                problems.append("mkdir at %d bytes: %s (want ENAMETOOLONG)"
                                % (len(nxt), en(e)))
            if os.path.lexists(disk(nxt)):
                problems.append("refused, yet on disk: %d bytes" % len(nxt))
            try:
                write_file(mnt(nxt, "f"), b"x")
                problems.append("a file below the refused directory")
            except OSError as e2:
                if e2.errno not in (errno.ENAMETOOLONG, errno.ENOENT):
                    problems.append("create below the refused directory: "
                                    "%s" % en(e2))
            break
        rel = nxt
    else:
        problems.append("no refusal up to %d bytes" % len(rel))
    deepest = rel
    try:
        # the upload's temporary name may be too long where the
        # directory's was not: then open() says so, and nothing is there
        try:
            fd = os.open(mnt(deepest, "deep.txt"),
                         os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except OSError as e:
            if e.errno != errno.ENAMETOOLONG:
                raise
            check_absent(deepest + "/deep.txt")
        else:
            try:
                os.write(fd, b"deep\n")
            finally:
                os.close(fd)
            check_file(deepest + "/deep.txt", b"deep\n")
        write_file(mnt("names", "after.txt"), b"the mount goes on\n")
        check_file("names/after.txt", b"the mount goes on\n")
    except (OSError, AssertionError) as e:
        problems.append("after the refusals: %s" % e)
    if problems:
        raise AssertionError("\n".join(problems))
    check_file("names/short.txt", b"short\n")
    check_no_tmp()
    return "deepest accepted: %d bytes" % len(deepest)


@test(servers=["pyftpdlib"])
def no_command_splitting():
    """A server that cuts a long command line and runs the rest as a
    command of its own must never get a line that long: names made by
    someone else on the server could put a command there. pyftpdlib drops
    what it holds once more than 2048 bytes of a line have come, and reads
    what comes later as a new line; a real network delivers a long line in
    segments (here: a relay passing 300 bytes at a time). A directory is
    made on the server whose name ends in "MKD injected" so that its
    lookup, sent whole, carries "MKD injected" from byte 2100, the start
    of the eighth segment (the first line over 2048 bytes): the lookup
    must fail with ENAMETOOLONG, and no directory "injected" may appear."""
    prefix = "MLST /pub/"
    cut = 2100
    parts, used = [], len(prefix) + len("split/")
    while cut - used > 200:
        parts.append("p" * 200)
        used += 201
    parts.append("x" * (cut - used) + "MKD injected")
    base = os.path.join("split", *parts)
    os.makedirs(disk(base), exist_ok=True)
    line = prefix + base
    if line.index("MKD injected") != cut:
        raise AssertionError("test bug: the cut is at %d"
                             % line.index("MKD injected"))
    # made where the session stands (its home, or /pub after a CWD)
    injected = [os.path.join(os.path.dirname(C.root), "injected"),
                disk("injected")]
    relay = harness.Relay(C.server.port, chunk=300, gap=0.05)
    mp = os.path.join(os.path.dirname(C.mount.mountpoint), "mnt-split")
    os.makedirs(mp, exist_ok=True)
    err = None
    try:
        url = C.server.url("/pub").replace(":%d/" % C.server.port,
                                           ":%d/" % relay.port)
        with harness.mount(url, mp) as m:
            try:
                os.stat(os.path.join(mp, base))
            except OSError as e:
                err = e.errno
            time.sleep(0.5)
            m.unmount()
    finally:
        relay.stop()
        shutil.rmtree(disk("split"))  # whole_tree_matches walks pub/
    made = [p for p in injected if os.path.lexists(p)]
    for p in made:
        os.rmdir(p)
    if made:
        raise AssertionError("the server ran the cut-off rest of a command "
                             "line: %s was made" % made[0])
    if err != errno.ENAMETOOLONG:
        raise AssertionError("lookup of a %d-byte path: %s (want "
                             "ENAMETOOLONG)" % (len(line),
                                                errno.errorcode.get(err, err)))


@test()
def append_plus_new():
    """open(O_CREAT|O_RDWR|O_APPEND) of a name that does not exist (fopen
    "a+", Python's open(p, "a+")) creates it: writes append, reads through
    the same handle see them, the server has the bytes after close; and
    again on the existing file."""
    p = mnt("aplus", "new.txt")
    with open(p, "a+") as f:
        f.write("first\n")
        f.flush()
        f.seek(0)
        got = f.read()
        if got != "first\n":
            raise AssertionError("read back through the a+ handle: %r" % got)
        f.write("second\n")
    check_file("aplus/new.txt", b"first\nsecond\n")
    with open(p, "a+") as f:
        f.write("third\n")
        f.seek(0)
        got = f.read()
    if got != "first\nsecond\nthird\n":
        raise AssertionError("a+ on the existing file read %r" % got)
    check_file("aplus/new.txt", b"first\nsecond\nthird\n")
    fd = os.open(mnt("aplus", "raw.bin"), os.O_CREAT | os.O_RDWR | os.O_APPEND,
                 0o644)
    try:
        os.write(fd, b"raw")
        os.write(fd, b" bytes")
        got = os.pread(fd, 100, 0)
        if got != b"raw bytes":
            raise AssertionError("pread through the O_APPEND handle: %r" % got)
    finally:
        os.close(fd)
    check_file("aplus/raw.bin", b"raw bytes")
    fd = os.open(mnt("aplus", "empty.bin"),
                 os.O_CREAT | os.O_RDWR | os.O_APPEND, 0o644)
    os.close(fd)
    check_file("aplus/empty.bin", b"")
    check_no_tmp()


def libc_dir():
    """opendir/readdir/rewinddir/closedir through ctypes (os has no
    rewinddir): returns (opendir, read_all, rewinddir, closedir)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.opendir.restype = ctypes.c_void_p
    libc.opendir.argtypes = [ctypes.c_char_p]
    libc.readdir.restype = ctypes.c_void_p
    libc.readdir.argtypes = [ctypes.c_void_p]
    libc.rewinddir.argtypes = [ctypes.c_void_p]
    libc.closedir.argtypes = [ctypes.c_void_p]

    class Dirent(ctypes.Structure):    # glibc's struct dirent (64-bit)
        _fields_ = [("d_ino", ctypes.c_uint64), ("d_off", ctypes.c_int64),
                    ("d_reclen", ctypes.c_ushort), ("d_type", ctypes.c_ubyte),
                    ("d_name", ctypes.c_char * 256)]

    def opendir(path):
        dp = libc.opendir(os.fsencode(path))
        if not dp:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e), path)
        return dp

    def read_all(dp):
        out = {}
        while True:
            p = libc.readdir(dp)
            if not p:
                return out
            d = Dirent.from_address(p)
            out[os.fsdecode(d.d_name)] = d.d_ino
    return opendir, read_all, libc.rewinddir, libc.closedir


@test()
def inode_numbers():
    """Every name has one inode number: readdir's d_ino equals lstat's
    st_ino (never FUSE's 'unknown' 4294967295), numbers differ between
    names, stay the same on a second look, and a file keeps its number
    across mv (also while open, and when its directory is moved)."""
    problems = []
    top = mnt("ino")
    for i in range(5):
        write_file(os.path.join(top, "f%d.txt" % i), b"%d\n" % i)
    os.makedirs(os.path.join(top, "sub", "deeper"))
    write_file(os.path.join(top, "sub", "deeper", "open.txt"), b"open\n")

    def agree(d):
        ents = {e.name: e.inode() for e in os.scandir(d)}
        sts = {n: os.lstat(os.path.join(d, n)).st_ino for n in ents}
        for n in sorted(ents):
            if ents[n] != sts[n]:
                problems.append("%s: readdir says inode %d, lstat %d"
                                % (os.path.join(d, n), ents[n], sts[n]))
        if len(set(sts.values())) != len(sts):
            problems.append("%s: names share inode numbers: %s" % (d, sts))
        return sts
    first = agree(top)
    again = agree(top)
    if first != again:
        problems.append("numbers changed between two looks: %s -> %s"
                        % (first, again))
    agree(os.path.join(top, "sub"))
    opendir, read_all, _, closedir = libc_dir()
    dp = opendir(top)
    try:
        raw = read_all(dp)
    finally:
        closedir(dp)
    for n, ino in sorted(raw.items()):
        if ino in (0, 0xffffffff):
            problems.append("readdir(3) gives %r inode %d" % (n, ino))
    if raw.get(".") != os.stat(top).st_ino:
        problems.append("'.' is inode %s, stat says %d" % (raw.get("."),
                                                          os.stat(top).st_ino))
    before = os.stat(os.path.join(top, "f0.txt")).st_ino
    os.rename(os.path.join(top, "f0.txt"), os.path.join(top, "g0.txt"))
    after = os.stat(os.path.join(top, "g0.txt")).st_ino
    if after != before:
        problems.append("mv f0.txt g0.txt: inode %d -> %d" % (before, after))
    write_file(os.path.join(top, "f0.txt"), b"a new file\n")
    if os.stat(os.path.join(top, "f0.txt")).st_ino == after:
        problems.append("a new f0.txt has the number of the moved one")
    p = os.path.join(top, "sub", "deeper", "open.txt")
    fd = os.open(p, os.O_RDONLY)
    try:
        ino = os.fstat(fd).st_ino
        os.rename(os.path.join(top, "sub"), os.path.join(top, "moved"))
        if os.fstat(fd).st_ino != ino:
            problems.append("fstat of an open file after mv of its "
                            "directory: inode %d -> %d"
                            % (ino, os.fstat(fd).st_ino))
        q2 = os.path.join(top, "moved", "deeper", "open.txt")
        if os.stat(q2).st_ino != ino:
            problems.append("stat by the new name: inode %d, was %d"
                            % (os.stat(q2).st_ino, ino))
    finally:
        os.close(fd)
    agree(top)
    agree(os.path.join(top, "moved", "deeper"))
    if problems:
        raise AssertionError("\n".join(problems))
    compare_tree("ino")


@test()
def rewinddir_sees_changes():
    """rewinddir on an open directory lists it as it is now: names made
    and removed through the mount since opendir are seen."""
    top = mnt("rewind")
    for n in ("keep.txt", "gone.txt"):
        write_file(os.path.join(top, n), b"x")
    opendir, read_all, rewinddir, closedir = libc_dir()
    dp = opendir(top)
    try:
        first = set(read_all(dp)) - {".", ".."}
        write_file(os.path.join(top, "added.txt"), b"new\n")
        os.unlink(os.path.join(top, "gone.txt"))
        os.mkdir(os.path.join(top, "newdir"))
        rewinddir(dp)
        second = set(read_all(dp)) - {".", ".."}
    finally:
        closedir(dp)
    if first != {"keep.txt", "gone.txt"}:
        raise AssertionError("first pass: %s" % sorted(first))
    want = {"keep.txt", "added.txt", "newdir"}
    if second != want:
        raise AssertionError("after rewinddir: %s, want %s"
                             % (sorted(second), sorted(want)))
    compare_tree("rewind")


@test()
def fstat_after_rename_over():
    """A file open while another is renamed over its name (mv new old,
    sed -i): fstat goes on answering for the file that was opened (its
    size and mode), reads give its bytes, the name shows the new file."""
    problems = []
    d = mnt("over")
    for flags, tag in ((os.O_RDONLY, "O_RDONLY"), (os.O_RDWR, "O_RDWR")):
        old = os.path.join(d, "old-%s.txt" % tag)
        new = os.path.join(d, "new-%s.txt" % tag)
        write_file(old, b"the old contents, 35 bytes long..\n")
        write_file(new, b"new\n")
        fd = os.open(old, flags)
        try:
            st0 = os.fstat(fd)
            os.rename(new, old)
            for when in ("at once", "later"):
                try:
                    st = os.fstat(fd)
                except OSError as e:
                    problems.append("%s: fstat %s after the rename: %s"
                                    % (tag, when, en(e)))
                    break
                if (st.st_size, st.st_mode, st.st_ino) != (
                        st0.st_size, st0.st_mode, st0.st_ino):
                    problems.append("%s: fstat %s: size %d mode %o ino %d, "
                                    "want %d %o %d" % (
                                        tag, when, st.st_size, st.st_mode,
                                        st.st_ino, st0.st_size, st0.st_mode,
                                        st0.st_ino))
                time.sleep(0.2)
            got = os.pread(fd, 100, 0)
            if got != b"the old contents, 35 bytes long..\n":
                problems.append("%s: pread: %r" % (tag, got))
        finally:
            os.close(fd)
        if os.stat(old).st_size != 4:
            problems.append("%s: the name shows %d bytes, want the new "
                            "file's 4" % (tag, os.stat(old).st_size))
    check_no_hidden(disk("over"))
    if problems:
        raise AssertionError("\n".join(problems))
    compare_tree("over")


DIRTIME_OLD = 1262304000        # 2010-01-01 00:00:00 UTC


@test()
def dir_mtime_after_change_inside():
    """A directory's time, as the mount shows it, follows the server's
    after a create, unlink, rename (into and out of), mkdir and rmdir made
    through the mount, while the directory's attributes were cached."""
    subs = ["create", "unlink", "into", "outof", "mkdir", "rmdir"]
    problems = []
    for sub in subs:                    # cached with the old time
        got = os.stat(mnt("dirtime", sub)).st_mtime
        if not mtime_ok_on_mount(got, DIRTIME_OLD):
            problems.append("%s before: %d, want %d" % (sub, got,
                                                         DIRTIME_OLD))
    write_file(mnt("dirtime", "create", "new.txt"), b"new\n")
    os.unlink(mnt("dirtime", "unlink", "f.txt"))
    os.rename(mnt("dirtime", "outof", "g.txt"), mnt("dirtime", "into", "g.txt"))
    os.mkdir(mnt("dirtime", "mkdir", "sub"))
    os.rmdir(mnt("dirtime", "rmdir", "empty"))
    for sub in subs:
        want = os.stat(disk("dirtime", sub)).st_mtime
        got = os.stat(mnt("dirtime", sub)).st_mtime
        if want < DIRTIME_OLD + 86400:
            problems.append("%s: the server's time did not change" % sub)
        elif not mtime_ok_on_mount(got, want):
            problems.append("%s: the mount shows %s, the server %s" % (
                sub, time.strftime("%F %T", time.gmtime(got)),
                time.strftime("%F %T", time.gmtime(want))))
    if problems:
        raise AssertionError("\n".join(problems))
    compare_tree("dirtime")


# --- refusals ----------------------------------------------------------------

@test()
def readonly_file_untouched():
    """A file without write permission (444; on vsftpd also another
    user's) may not be written, truncated or appended to: EACCES, and the
    file keeps its bytes and mode (a temporary + rename would replace it
    in a writable directory)."""
    p = mnt("perm", "ro444.txt")
    attempts = [
        ("echo x > F", "redirect"), ("echo x >> F", "append"),
        ("truncate -s 0 F", "truncate"),
        ("printf y | dd of=F conv=notrunc status=none", "dd notrunc"),
    ]
    for cmd, what in attempts:
        rc, out = sh(cmd.replace("F", q(p)))
        if rc == 0 or "Permission denied" not in out:
            raise AssertionError("%s: rc %d, %r (want Permission denied)"
                                 % (what, rc, out))
    for flags in (os.O_WRONLY, os.O_RDWR, os.O_WRONLY | os.O_TRUNC,
                  os.O_WRONLY | os.O_APPEND):
        expect_errno(lambda: os.close(os.open(p, flags)), (errno.EACCES,),
                     "open(%#o)" % flags)
    check_file("perm/ro444.txt", b"read-only contents\n")
    mode = stat.S_IMODE(os.stat(disk("perm", "ro444.txt")).st_mode)
    if mode != 0o444:
        raise AssertionError("mode on disk %o, want 444" % mode)
    # mv onto it is the directory's business, as on a local disk
    check_no_tmp()


@test()
def create_modes():
    """The mode asked for at create and mkdir (after the umask) is what the
    server gets where it has SITE CHMOD (pyftpdlib): cp of an executable
    runs, a 0600 file and a 0700 directory are private, before the rename
    too; where it has none (vsftpd's anonymous user), the mount shows the
    server's 0644, never a mode the server does not have."""
    old = os.umask(0o022)
    try:
        sh_ok("cp /bin/true %s" % q(mnt("perm", "true")))
        fd = os.open(mnt("perm", "secret"), os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, b"private data\n")
        os.close(fd)
        os.mkdir(mnt("perm", "privdir"), 0o700)
        os.mkdir(mnt("perm", "plaindir"))
        write_file(mnt("perm", "plain.txt"), b"plain\n")
    finally:
        os.umask(old)
    if C.server_kind == "pyftpdlib":
        want = {"true": 0o755, "secret": 0o600, "privdir": 0o700,
                "plaindir": 0o755, "plain.txt": 0o644}
    else:
        want = {"true": 0o644, "secret": 0o644, "privdir": 0o755,
                "plaindir": 0o755, "plain.txt": 0o644}
    for name, m in want.items():
        got = stat.S_IMODE(os.stat(disk("perm", name)).st_mode)
        if got != m:
            raise AssertionError("%s: mode %o on the server, want %o"
                                 % (name, got, m))
        seen = stat.S_IMODE(os.stat(mnt("perm", name)).st_mode)
        if seen != got:
            raise AssertionError("%s: the mount shows %o, the server has %o"
                                 % (name, seen, got))
    if C.server_kind == "pyftpdlib":
        rc, out = sh(q(mnt("perm", "true")))
        if rc != 0:
            raise AssertionError("cp'd executable does not run: %s" % out)


@test(servers=("pyftpdlib",))
def replace_keeps_mode():
    """A file replaced through the mount (cp, a redirection, sed -i's
    rename is a new file) keeps its mode: a script stays executable, a
    private file stays private (pyftpdlib has SITE CHMOD; vsftpd's
    anonymous user has none, there the server's 0644 is what is
    reported)."""
    write_file(local("script-new.sh"), b"#!/bin/sh\necho new\n")
    sh_ok("cp %s %s" % (q(local("script-new.sh")), q(mnt("perm", "script.sh"))))
    sh_ok("echo secret > %s" % q(mnt("perm", "private.txt")))
    check_file("perm/script.sh", b"#!/bin/sh\necho new\n")
    check_file("perm/private.txt", b"secret\n")
    for rel, want in (("perm/script.sh", 0o755), ("perm/private.txt", 0o600)):
        got = stat.S_IMODE(os.stat(disk(rel)).st_mode)
        if got != want:
            raise AssertionError("%s: mode %o on disk, want %o" % (rel, got, want))
        got = stat.S_IMODE(os.stat(mnt(rel)).st_mode)
        if got != want:
            raise AssertionError("%s: mode %o through the mount, want %o"
                                 % (rel, got, want))
    rc, out = sh(q(mnt("perm", "script.sh")))
    if rc != 0 or out != "new":
        raise AssertionError("running the replaced script: rc %d %r" % (rc, out))


@test()
def symlink_without_site_symlink():
    """ln -s where the server has no SITE SYMLINK (pyftpdlib, vsftpd), and
    mkfifo anywhere: EPERM ("Operation not permitted"), as on a file system
    without links or FIFOs, not ENOSYS; nothing appears."""
    for _ in range(2):   # the refusal is remembered: same answer
        expect_errno(lambda: os.symlink("target", mnt("perm", "link")),
                     (errno.EPERM,), "symlink")
    check_absent("perm/link")
    expect_errno(lambda: os.mkfifo(mnt("perm", "fifo")), (errno.EPERM,),
                 "mkfifo")
    check_absent("perm/fifo")


@test(servers=("vsftpd",))
def unreadable_file_and_dir():
    """A file and a directory of mode 000, owned by root (vsftpd's session
    runs as `ftp`): the server answers 550 to RETR and LIST, and the name
    is listed, so the user sees EACCES, not ENOENT, every time."""
    try:
        unreadable_checks()
    finally:   # readable again for whole_tree_matches
        os.chmod(disk("noaccess", "secret.txt"), 0o644)
        os.chmod(disk("noaccess", "closed"), 0o755)


def unreadable_checks():
    for _ in range(2):
        expect_errno(lambda: read(mnt("noaccess", "secret.txt")),
                     (errno.EACCES,), "read of a mode-000 file")
        expect_errno(lambda: os.listdir(mnt("noaccess", "closed")),
                     (errno.EACCES,), "listing a mode-000 directory")
    rc, out = sh("cat %s" % q(mnt("noaccess", "secret.txt")))
    if rc == 0 or "Permission denied" not in out:
        raise AssertionError("cat: rc %d, %r" % (rc, out))
    st = os.stat(mnt("noaccess", "secret.txt"))
    if stat.S_IMODE(st.st_mode) != 0:
        raise AssertionError("mode %o, want 000" % st.st_mode)


def qdisk(*parts):
    return os.path.join(C.qroot, *parts)


def qmnt(*parts):
    return os.path.join(C.qmount.mountpoint, *parts)


def quota_write(rel, data, flags=os.O_WRONLY | os.O_CREAT | os.O_TRUNC):
    stage, err = write_all_and_close(qmnt(rel), data, flags)
    if stage is None:
        raise AssertionError("writing %d bytes (quota %d) succeeded: no error "
                             "from open, write or close" % (len(data), QUOTA))
    if err not in (errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG):
        raise AssertionError("writing %d bytes over the quota: %s failed with "
                             "%s, want ENOSPC (or EIO)" % (len(data), stage,
                                                           en(err)))
    return "%s at %s" % (en(err), stage)


SETTLE = 0.5   # s: FUSE's RELEASE comes after close() returns


def later(what, check, problems):
    """Run check now and again SETTLE s later: damage done by the
    asynchronous RELEASE after close() returned counts too."""
    for i, when in enumerate(("right after close", "%.1fs later" % SETTLE)):
        if i:
            time.sleep(SETTLE)
        try:
            check()
        except AssertionError as e:
            problems.append("%s, %s: %s" % (what, when, e))


@test(servers=("pyftpdlib",))
def quota_cp_new():
    src = local("quota-big.bin")
    write_file(src, content("quota", 3 * MiB))
    rc, out = sh("cp %s %s" % (q(src), q(qmnt("new.bin"))))
    problems = []
    if rc == 0:
        problems.append("cp of 3 MiB over a 1 MiB quota succeeded")

    def absent(name):
        def check():
            check_absent(name, d=qdisk, m=qmnt)
            check_no_tmp(C.qroot)
        return check
    later("after the failed cp", absent("new.bin"), problems)
    where = None
    try:
        where = quota_write("new2.bin", content("quota", 3 * MiB))
    except AssertionError as e:
        problems.append(str(e))
    later("after the failed os.write/close", absent("new2.bin"), problems)
    for n in ("new.bin", "new2.bin"):
        if os.path.exists(qdisk(n)):
            problems.append("%s on disk: %d bytes" % (
                n, os.path.getsize(qdisk(n))))
    if problems:
        raise AssertionError("cp said: %s\n%s" % (out, "\n".join(problems)))
    return "%s; cp said: %s" % (where, out.replace("\n", " | "))


@test(servers=("pyftpdlib",))
def quota_cp_replace():
    old = content("quota-old", 5000)      # old.bin and old2.bin: prepare()
    src = local("quota-big.bin")
    write_file(src, content("quota", 3 * MiB))
    problems = []
    rc, out = sh("cp %s %s" % (q(src), q(qmnt("old.bin"))))
    if rc == 0:
        problems.append("cp of 3 MiB over a 1 MiB quota succeeded")

    def intact(name):
        def check():
            if not os.path.exists(qdisk(name)):
                raise AssertionError("the old file is gone from the disk")
            got = read(qdisk(name))
            if got != old:
                raise AssertionError("the old contents are lost: "
                                     + describe("on disk", got, old))
            check_file(name, old, d=qdisk, m=qmnt)
            check_no_tmp(C.qroot)
        return check
    later("after the failed cp", intact("old.bin"), problems)
    where = None
    try:
        where = quota_write("old2.bin", content("quota", 3 * MiB))
    except AssertionError as e:
        problems.append(str(e))
    later("after the failed os.open(O_TRUNC)/write/close", intact("old2.bin"),
          problems)
    # O_RDWR without O_TRUNC: a local spool, uploaded at close
    try:
        w2 = quota_write("old3.bin", content("quota", 3 * MiB), os.O_RDWR)
        where = "%s; O_RDWR: %s" % (where, w2)
    except AssertionError as e:
        problems.append("O_RDWR: " + str(e))
    later("after the failed O_RDWR write/close", intact("old3.bin"), problems)
    if problems:
        raise AssertionError("cp said: %s\n%s" % (out, "\n".join(problems)))
    return "%s; cp said: %s" % (where, out.replace("\n", " | "))


@test(servers=("pyftpdlib",))
def quota_append():
    """An append past the quota cannot be undone (APPE is not atomic) but
    must be reported; the old bytes stay."""
    old = content("quota-app", 1000)      # app.bin: prepare_quota()
    where = quota_write("app.bin", content("more", 2 * MiB),
                        os.O_WRONLY | os.O_APPEND)
    got = read(qdisk("app.bin"))
    if got[:len(old)] != old:
        raise AssertionError(describe("old bytes on disk", got[:len(old)], old))
    if len(got) > QUOTA:
        raise AssertionError("disk file %d bytes, over the quota" % len(got))
    return "%s; %d bytes on disk" % (where, len(got))


@test(servers=("pyftpdlib",))
def quota_small_ok():
    data = content("small-ok", QUOTA - 100)
    with open(qmnt("small.bin"), "wb") as f:
        f.write(data)
    check_file("small.bin", data, d=qdisk, m=qmnt)
    check_no_tmp(C.qroot)


@test()
def readonly_dir_refused():
    problems = []
    notes = []
    stage, err = write_all_and_close(mnt("ro", "new.txt"), b"nope\n" * 1000)
    if stage is None:
        problems.append("creating ro/new.txt succeeded")
    elif err != errno.EACCES:
        problems.append("creating ro/new.txt: %s at %s, want EACCES"
                        % (en(err), stage))
    else:
        notes.append("create: EACCES at %s" % stage)
    rc, out = sh("echo x > %s" % q(mnt("ro", "sh.txt")))
    if rc == 0:
        problems.append("`echo x > ro/sh.txt` succeeded")
    stage, err = write_all_and_close(mnt("ro", "keep.txt"), b"overwrite\n",
                                     os.O_WRONLY | os.O_TRUNC)
    if stage is None:
        problems.append("overwriting ro/keep.txt succeeded")
    elif err not in (errno.EACCES, errno.EPERM):
        problems.append("overwriting ro/keep.txt: %s at %s, want EACCES"
                        % (en(err), stage))
    else:
        notes.append("overwrite: %s at %s" % (en(err), stage))
    for what, fn, allowed in (
            ("mkdir ro/d", lambda: os.mkdir(mnt("ro", "d")), (errno.EACCES,
                                                              errno.EPERM)),
            ("unlink ro/keep.txt", lambda: os.unlink(mnt("ro", "keep.txt")),
             (errno.EACCES, errno.EPERM)),
            ("rename ro/keep.txt", lambda: os.rename(mnt("ro", "keep.txt"),
                                                     mnt("ro", "k2.txt")),
             (errno.EACCES, errno.EPERM))):
        try:
            expect_errno(fn, allowed, what)
        except AssertionError as e:
            problems.append(str(e))
    if sorted(os.listdir(disk("ro"))) != ["keep.txt"]:
        problems.append("ro/ on disk: %s" % sorted(os.listdir(disk("ro"))))
    try:
        check_file("ro/keep.txt", b"read-only keep\n")
    except AssertionError as e:
        problems.append(str(e))
    if problems:
        raise AssertionError("\n".join(problems))
    check_no_tmp()
    return "; ".join(notes)


@test()
def write_then_unmount():
    """Close, then unmount at once: the data is on the server."""
    mp = os.path.join(C.top, "mnt-unmount")
    os.makedirs(mp, exist_ok=True)
    m = harness.mount(C.server.url("/pub/unmount"), mp, C.opts)
    data = content("unmount", 3 * MiB + 5)
    try:
        with open(os.path.join(mp, "a.bin"), "wb") as f:
            f.write(data)
        sh_ok("cp %s %s" % (q(big_random()), q(os.path.join(mp, "b.bin"))))
        sh_ok("echo tail >> %s" % q(os.path.join(mp, "c.txt")))
    finally:
        m.unmount()
    problems = []
    if read(disk("unmount", "a.bin")) != data:
        problems.append(describe("a.bin on disk", read(disk("unmount", "a.bin")),
                                 data))
    if read(disk("unmount", "b.bin")) != read(big_random()):
        problems.append("b.bin on disk differs from the source")
    if read(disk("unmount", "c.txt")) != b"tail\n":
        problems.append("c.txt on disk: %r" % read(disk("unmount", "c.txt")))
    if problems:
        raise AssertionError("\n".join(problems))
    check_no_tmp()


@test()
def whole_tree_matches():
    """The whole mount against the whole disk, at the end."""
    snap = compare_tree(".")
    check_no_tmp()
    check_no_tmp(os.path.join(C.top, "tree"))
    return "%d entries" % len(snap)


# --- main --------------------------------------------------------------------

def setup(a, top):
    C.server_kind = a.server
    C.seed = a.seed
    C.nops = a.ops
    C.opts = [o for o in a.opts.split(",") if o]
    C.top = top
    tree = os.path.join(C.top, "tree")
    C.root = os.path.join(tree, "pub")
    C.local = os.path.join(C.top, "local")
    os.makedirs(C.root)
    os.makedirs(C.local)
    for d in ("mnt", "mnt-lenient", "mnt-quota"):
        os.makedirs(os.path.join(C.top, d))
    os.chmod(tree, 0o755)
    C.mount = C.lmount = C.qmount = None
    C.server = C.qserver = None
    prepare(C.root, os.path.join(C.root, "lenient"))
    knobs = {}
    if a.server == "vsftpd":
        chown_ftp(C.root)
        os.chown(disk("perm", "ro444.txt"), 0, 0)  # another owner
        os.chown(disk("ro"), 0, 0)      # read-only for `ftp`
        os.chmod(disk("ro"), 0o755)
        knobs["writable"] = True
    else:
        knobs.update(user=USER, password=PASSWORD,
                     readonly_subdir="pub/ro")
    C.server = harness.start_server(a.server, tree, **knobs)
    C.mount = harness.mount(C.server.url("/pub"),
                            os.path.join(C.top, "mnt"), C.opts)
    C.lmount = harness.mount(C.server.url("/pub/lenient"),
                             os.path.join(C.top, "mnt-lenient"),
                             C.opts + ["ignore_attr_errors"])
    if a.server == "pyftpdlib" and any(
            n.startswith("quota_") for n, _ in R.tests):
        qtree = os.path.join(C.top, "qtree")
        C.qroot = os.path.join(qtree, "pub")
        os.makedirs(C.qroot)
        prepare_quota(C.qroot)
        C.qserver = harness.start_server(
            "pyftpdlib", qtree, user=USER, password=PASSWORD,
            max_file_bytes=QUOTA)
        C.qmount = harness.mount(C.qserver.url("/pub"),
                                 os.path.join(C.top, "mnt-quota"), C.opts)
    print("# %s on port %d: %s" % (a.server, C.server.port,
                                   " ".join(C.mount.cmd)))


def final(a):
    return harness.clean_exit_steps(
        [("unmount_clean_exit", C.mount),
         ("unmount_lenient_clean_exit", C.lmount),
         ("unmount_quota_clean_exit", C.qmount)],
        [("server_clean_exit", C.server),
         ("quota_server_clean_exit", C.qserver)])


if __name__ == "__main__":
    sys.exit(harness.main(
        R, "ftpfs-wr-", setup=setup, final=final, only_on=ONLY,
        servers=("pyftpdlib", "vsftpd"),
        prefix=lambda a: "write/%s%s" % (
            a.server, "[%s]" % a.opts if a.opts else ""),
        options=[
            (("--opts",), dict(default="", help="extra -o options for ftpfs")),
            (("--seed",), dict(type=int, default=20240611)),
            (("--ops",), dict(type=int, default=3000))]))
