"""What the write suites (test_write.py, test_write_attrs.py,
test_write_open.py) share: paths and checks against the disk, the fixtures
made on disk before mounting, the servers and mounts, and main().

See test_write.py for what the suites check and how.
"""

import hashlib
import os
import stat
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import run  # noqa: E402

KiB = 1024
MiB = 2 ** 20
TMP_PREFIX = ".ftpfs-tmp-"
QUOTA = 1 * MiB
USER, PASSWORD = "writer", "w-pass"
TOUCH_T = 1577934245          # 2020-01-02 03:04:05 UTC
TOUCH_ARG = "2020-01-02 03:04:05 UTC"
BIG_DIR = 10000                # entries in big/ (big_dir_o1_per_file)
DIRTIME_OLD = 1262304000        # 2010-01-01 00:00:00 UTC

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


# fn() must raise OSError with an errno in `allowed` (a HarnessError,
# an AssertionError, otherwise)
expect_errno = harness.expect_oserror


def chown_ftp(path):
    harness.chown_for_server(C.server_kind, path)


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
    # mode 000: unreadable for vsftpd's `ftp`; unreadable_file_and_dir
    # makes them readable again for whole_tree_matches, so on vsftpd only
    # the suite with that test has them
    if C.server_kind == "pyftpdlib" or \
            any(n == "unreadable_file_and_dir" for n, _ in R.tests):
        w(os.path.join(root, "noaccess", "secret.txt"), b"secret\n", 0o000)
        w(os.path.join(root, "noaccess", "closed", "inside.txt"),
          b"inside\n")
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


def main(suite):
    """Run the tests registered with @test, and whole_tree_matches last, as
    the write suite named suite (write, write-attrs, write-open)."""
    R.test(whole_tree_matches)
    return harness.main(
        R, "ftpfs-wr-", setup=setup, final=final, only_on=ONLY,
        servers=("pyftpdlib", "vsftpd"),
        prefix=lambda a: "%s/%s%s" % (
            suite, a.server, "[%s]" % a.opts if a.opts else ""),
        options=[
            (("--opts",), dict(default="", help="extra -o options for ftpfs")),
            (("--seed",), dict(type=int, default=20240611)),
            (("--ops",), dict(type=int, default=3000))])
