#!/usr/bin/python3
"""ftpfs read-only mount against a real FTP server, compared with the disk.

    /usr/bin/python3 tests/integration/test_readonly.py --server pyftpdlib|vsftpd
        [--opts OPT,OPT...] [--latency-ms N] [--server-knob KEY[=VAL]]...
        [--only TEST,TEST...] [--list]

Builds a tree in a temp dir (odd names, UTF-8, nested dirs, files of many
sizes, a 3 MiB random file, a 5 GiB sparse file, a 10,000-entry directory,
symlinks), serves it with tests/servers/<server>, mounts it with ftpfs
(FTPFS_BIN, default build/ftpfs) and compares what the mount shows with the
tree on disk, which is the truth.  Exit 0 = all passed, 1 = a failure,
77 = skipped (no /dev/fuse, fusermount3 or ftpfs binary).

What each server shows (the expectations below depend on it):

* pyftpdlib serves MLSD/MLST.  Its MLSD stat()s every entry, i.e. it
  FOLLOWS symlinks: a link to a file is listed as type=file with the
  target's size and mtime, a link to a dir as type=dir (listable, the server
  resolves it), and a dangling link is silently left out.  So through
  ftpfs (which prefers MLSD) links are not visible as links: "follow" mode.
  MLSD times are UTC with 1 s precision.
  With --opts disable_mlsd, ftpfs falls back to LIST, where pyftpdlib shows
  `l... name -> target` (lstat) like vsftpd: "links" mode, LIST precision.
* vsftpd has no MLSD; its LIST (ls format, UTC times) shows symlinks as
  `l... name -> target` and never follows them: the mount should present
  real symlinks with the same target ("links" mode); a dangling link is a
  dangling symlink.  LIST times are "Mon DD HH:MM" (minute precision) for
  entries younger than 6 months, "Mon DD  YYYY" (day precision) for older
  ones; if ftpfs asks MDTM it may get seconds -- both are accepted.
"""

import errno
import hashlib
import os
import random
import stat
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import HarnessError, check_run, expect_oserror, run  # noqa: E402

MiB = 2 ** 20
GiB = 2 ** 30
SPARSE_NAME = "sparse5g.bin"
SPARSE_SIZE = 5 * GiB
RANDOM_NAME = "random3m.bin"
BIG_DIR = "big10k"
BIG_COUNT = 10000

NOW = int(time.time())
RECENT_T = NOW - 3 * 86400 - 1234 + 0.25        # LIST: minute precision
OLD_T = 1551675967.5                               # 2019-03-04 05:06:07.5 UTC

# Names at the top level (regular files).  Content is derived from the name.
ODD_FILES = [
    "plain.txt",
    "with space.txt",
    "  two leading spaces.txt",
    " one leading",
    "trailing space ",
    " both sides ",
    "hash#name.txt",
    "#starts-with-hash",
    "quest?ion.txt",
    "per%cent%20.txt",
    "star*.txt",
    "*",
    "ünïcødé ✓.txt",
    "Кириллица файл.txt",
    "中文文件名.txt",
    "日本語 ファイル",
    "café-nfc",
    "cafe\u0301-nfd",
    "-rf",
    "a -> b",
    "type=dir;looks-like-facts",
    "semi;colon",
    "quote'\"s",
    "back\\slash",
    "brackets[1]",
    "dollar$HOME",
    "~tilde",
    ".hidden",
    "...",
]
SIZED = {
    "empty": 0, "one": 1, "size_4095": 4095, "size_4096": 4096,
    "size_4097": 4097, "size_65537": 65537, "size_131072": 131072,
    "size_1M_plus3": MiB + 3,
}
# (relative path, size)
NESTED_FILES = [
    ("d1/f1", 10),
    ("d1/d2 sp/f2", 1000),
    ("d1/d2 sp/d3 #?/deep file.txt", 5000),
    ("d1/d2 sp/d3 #?/ü.txt", 77),
    ("ü dir/Кир dir/中 dir/x", 3),
    ("ü dir/Кир dir/y y", 300),
    ("  lead dir/in", 12),
    ("trail dir /in", 13),
    ("-d dir/f", 14),
    ("q?dir*/%41", 15),
]
EMPTY_DIRS = ["empty dir", "d1/d2 sp/d3 #?/empty3"]
# symlinks: name -> target (relative)
LINKS = {
    "link_file": "plain.txt",
    "link_dir": "d1",
    "link_dangling": "does-not-exist",
    "d1/up": "../one",
}
SPARSE_CHUNKS = [(0, 4096), (2 * GiB + 77, 1000), (4 * GiB - 500, 1000),
                 (4 * GiB + GiB // 2, 8192), (SPARSE_SIZE - 4096, 4096)]


def content_for(name, size):
    seed = hashlib.sha256(name.encode("utf-8", "surrogateescape")).digest()
    out = bytearray()
    block = seed
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:size])


def build_tree(root):
    os.umask(0o022)
    t0 = time.time()
    for n in ODD_FILES:
        with open(os.path.join(root, n), "wb") as f:
            f.write(content_for(n, 20 + len(n)))
    for n, size in SIZED.items():
        with open(os.path.join(root, n), "wb") as f:
            f.write(content_for(n, size))
    with open(os.path.join(root, RANDOM_NAME), "wb") as f:
        f.write(os.urandom(3 * MiB))
    for rel, size in NESTED_FILES:
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(content_for(rel, size))
    for d in EMPTY_DIRS:
        os.makedirs(os.path.join(root, d), exist_ok=True)
    with open(os.path.join(root, SPARSE_NAME), "wb") as f:
        f.truncate(SPARSE_SIZE)
        for off, n in SPARSE_CHUNKS:
            f.seek(off)
            f.write(os.urandom(n))
    big = os.path.join(root, BIG_DIR)
    os.mkdir(big)
    for i in range(BIG_COUNT - 10):  # os.open: ~10x faster than open()
        os.close(os.open(os.path.join(big, "e%05d" % i),
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    for i in range(10):
        with open(os.path.join(big, "t%d.txt" % i), "wb") as f:
            f.write(b"tiny %d\n" % i)
    # mtimes: alternate recent / old, files first, then dirs bottom-up
    k = 0
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        if os.path.basename(dirpath) == BIG_DIR:
            continue
        for n in filenames:
            t = RECENT_T if k % 2 == 0 else OLD_T
            os.utime(os.path.join(dirpath, n), (t, t))
            k += 1
        if dirpath != root:
            t = OLD_T if k % 3 == 0 else RECENT_T
            os.utime(dirpath, (t, t))
            k += 1
    for name, target in LINKS.items():
        os.symlink(target, os.path.join(root, name))
    return time.time() - t0


def fsencode(p):
    return os.fsencode(p)


def kind_of(mode):
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    return "other(%o)" % stat.S_IFMT(mode)


def drop_page_cache(f):
    """Make the next reads of f go to ftpfs, not the kernel page cache
    (which earlier tests filled): POSIX_FADV_DONTNEED drops this file's
    clean cached pages, and only this file's."""
    try:
        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    except OSError:
        pass


def sha256_file(path, bufsize=MiB, uncached=False):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        if uncached:
            drop_page_cache(f)
        while True:
            b = f.read(bufsize)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def fmt_names(names, limit=12):
    names = sorted(names)
    s = ", ".join(repr(os.fsdecode(n)) for n in names[:limit])
    if len(names) > limit:
        s += ", ... (%d in all)" % len(names)
    return s


class Ctx:
    pass


C = Ctx()


def disk(*parts):
    return os.path.join(C.root, *parts)


def mnt(*parts):
    return os.path.join(C.mount.mountpoint, *parts)


# --- expectations ----------------------------------------------------------

def expected_entry(rel):
    """What the mount should show for disk entry `rel`:
    None (absent) or (kind, size or None, mtime or None, precision)."""
    p = disk(rel)
    lst = os.lstat(p)
    if stat.S_ISLNK(lst.st_mode):
        if C.mode == "follow":
            try:
                st = os.stat(p)
            except FileNotFoundError:
                return None      # pyftpdlib MLSD drops dangling links
            k = kind_of(st.st_mode)
            return (k, st.st_size if k == "file" else None, st.st_mtime)
        return ("link", None, None)
    k = kind_of(lst.st_mode)
    return (k, lst.st_size if k == "file" else None, lst.st_mtime)


def mtime_ok(got, want):
    """Is the mount's mtime `got` right for disk mtime `want`?"""
    if C.mode == "follow":          # MLSD: whole seconds, UTC
        return abs(got - int(want)) <= 1
    # LIST: minute precision if younger than ~6 months, else day; MDTM
    # (seconds) is fine too.
    prec = 60 if NOW - want < 180 * 86400 else 86400
    lo = (int(want) // prec) * prec
    return lo - 1 <= got <= want + 1


def mtime_desc(t):
    return "%s (%.2f)" % (time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)), t)


def expected_names(rel_dir):
    names = set()
    for n in os.listdir(fsencode(disk(rel_dir))):
        if expected_entry(os.path.join(rel_dir, os.fsdecode(n))) is not None:
            names.add(n)
    return names


def disk_dirs():
    """Relative paths of all real directories on disk (no link following)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(C.root):
        out.append(os.path.relpath(dirpath, C.root))
    return sorted(out)


def diff_args():
    """diff -r options matching the mode (see the module docstring)."""
    args = ["diff", "-r"]
    if C.mode == "links":
        # links are links on both sides: compare them as links (targets)
        args.append("--no-dereference")
    else:
        # follow mode: dereference both sides; the dangling link cannot be
        # dereferenced on disk and is absent from the mount by design
        args += ["-x", "link_dangling"]
    return args


# --- tests -----------------------------------------------------------------

R = harness.Runner()


@R.test
def mounted():
    if not os.path.ismount(C.mount.mountpoint):
        raise AssertionError("os.path.ismount(%s) is False" % C.mount.mountpoint)
    if C.mount.fstype != "fuse.ftpfs":
        raise AssertionError("fstype %r, want fuse.ftpfs" % C.mount.fstype)
    st = os.stat(C.mount.mountpoint)
    if not stat.S_ISDIR(st.st_mode):
        raise AssertionError("mount root is not a directory: %o" % st.st_mode)


@R.test
def listing():
    problems = []
    checked = 0
    for rel in disk_dirs():
        want = expected_names(rel)
        try:
            got = set(os.listdir(fsencode(mnt(rel))))
        except OSError as e:
            problems.append("listdir %r: %s" % (rel, e))
            continue
        if got != want:
            problems.append("dir %r: missing [%s] extra [%s]" % (
                rel, fmt_names(want - got), fmt_names(got - want)))
        names = sorted(want & got)
        if os.path.basename(rel) == BIG_DIR:
            names = names[:20] + names[-20:] + names[::997]
        for n in names:
            r = os.path.normpath(os.path.join(rel, os.fsdecode(n)))
            exp = expected_entry(r)
            try:
                st = os.lstat(mnt(r))
            except OSError as e:
                problems.append("lstat %r: %s" % (r, e))
                continue
            checked += 1
            k = kind_of(st.st_mode)
            if k != exp[0]:
                problems.append("%r: type %s, want %s" % (r, k, exp[0]))
                continue
            if exp[1] is not None and st.st_size != exp[1]:
                problems.append("%r: size %d, want %d" % (r, st.st_size, exp[1]))
            if exp[2] is not None and not mtime_ok(st.st_mtime, exp[2]):
                problems.append("%r: mtime %s, want %s (%s precision)" % (
                    r, mtime_desc(st.st_mtime), mtime_desc(exp[2]),
                    "1 s" if C.mode == "follow" else "LIST"))
    if problems:
        raise AssertionError("%d problems:\n%s" % (
            len(problems), "\n".join(problems[:60])))
    return "%d entries checked" % checked


@R.test
def ls_and_find():
    check_run(["ls", "-la", C.mount.mountpoint], timeout=60)
    check_run(["ls", "-laR", C.mount.mountpoint], timeout=120)
    r = check_run(["find", C.mount.mountpoint, "-mindepth", "1",
                   "-printf", "%P\\0"], timeout=120)
    got = set(r.stdout.split(b"\0")) - {b""}
    r = check_run(["find", C.root, "-mindepth", "1", "-printf", "%P\\0"],
                  timeout=60)
    want = set(r.stdout.split(b"\0")) - {b""}
    if C.mode == "follow":
        want.discard(b"link_dangling")
        # link_dir is a real directory on the mount: find descends into it
        r = check_run(["find", disk("d1"), "-mindepth", "1", "-printf",
                       "%P\\0"], timeout=60)
        want |= {b"link_dir/" + x for x in r.stdout.split(b"\0") if x}
    if got != want:
        raise AssertionError("find over the mount: missing [%s] extra [%s]" % (
            fmt_names(want - got), fmt_names(got - want)))


@R.test
def diff_r():
    cmd = diff_args() + ["-x", SPARSE_NAME, C.root, C.mount.mountpoint]
    r = run(cmd, timeout=170)
    if r.returncode != 0:
        raise AssertionError("%s exited %d:\n%s%s" % (
            " ".join(cmd), r.returncode,
            r.stdout.decode("utf-8", "replace")[-4000:],
            r.stderr.decode("utf-8", "replace")[-2000:]))


@R.test
def content_sha256():
    problems = []
    n = 0
    for dirpath, dirnames, filenames in os.walk(C.root):
        rel_dir = os.path.relpath(dirpath, C.root)
        if os.path.basename(dirpath) == BIG_DIR:
            # 10,000 (mostly empty) files: a sample is enough here
            filenames = sorted(filenames)
            filenames = [f for f in filenames if f.startswith("t")] + \
                filenames[::250]
        for fn in filenames:
            rel = os.path.normpath(os.path.join(rel_dir, fn))
            st = os.lstat(disk(rel))
            if not stat.S_ISREG(st.st_mode) or st.st_size >= 10 * MiB:
                continue
            want = sha256_file(disk(rel))
            try:
                got = sha256_file(mnt(rel), uncached=True)
            except OSError as e:
                problems.append("read %r: %s" % (rel, e))
                continue
            n += 1
            if got != want:
                with open(mnt(rel), "rb") as f:
                    data = f.read()
                problems.append("%r: content differs (mount %d bytes, disk %d)"
                                % (rel, len(data), st.st_size))
    if problems:
        raise AssertionError("\n".join(problems[:40]))
    return "%d files" % n


@R.test
def cp_r_subtree():
    out = tempfile.mkdtemp(prefix="ftpfs-cp-")
    try:
        check_run(["cp", "-r", mnt("d1"), os.path.join(out, "d1")], timeout=60)
        cmd = diff_args() + [disk("d1"), os.path.join(out, "d1")]
        r = run(cmd, timeout=60)
        if r.returncode != 0:
            raise AssertionError("%s exited %d:\n%s%s" % (
                " ".join(cmd), r.returncode,
                r.stdout.decode("utf-8", "replace")[-3000:],
                r.stderr.decode("utf-8", "replace")[-2000:]))
        check_run(["cp", "-r", mnt("ü dir"), os.path.join(out, "u")], timeout=60)
        check_run(["diff", "-r", disk("ü dir"), os.path.join(out, "u")],
                  timeout=60)
    finally:
        harness.safe_rmtree(out)


def _compare_preads(name, cases):
    problems = []
    with open(disk(name), "rb") as fd_disk, open(mnt(name), "rb") as fd_mnt:
        drop_page_cache(fd_mnt)
        for off, length in cases:
            want = os.pread(fd_disk.fileno(), length, off)
            try:
                got = os.pread(fd_mnt.fileno(), length, off)
            except OSError as e:
                problems.append("pread(off=%d, len=%d): %s" % (off, length, e))
                continue
            if got != want:
                first = next((i for i in range(min(len(got), len(want)))
                              if got[i] != want[i]), min(len(got), len(want)))
                problems.append(
                    "pread(off=%d, len=%d): got %d bytes, want %d; first "
                    "difference at +%d" % (off, length, len(got), len(want), first))
    return problems


@R.test
def random_preads_3m():
    rnd = random.Random(1234)
    size = 3 * MiB
    cases = [(0, 1), (size - 1, 1), (size - 10, 100), (size, 10),
             (size + 1000, 10), (4095, 2), (65535, 65538)]
    while len(cases) < 200:
        off = rnd.randrange(0, size + 64)
        length = rnd.choice([1, 7, 100, 4096, 4097, 65536, 131072 + 3,
                             rnd.randrange(1, 300000)])
        cases.append((off, length))
    problems = _compare_preads(RANDOM_NAME, cases)
    if problems:
        raise AssertionError("%d of %d preads differ:\n%s" % (
            len(problems), len(cases), "\n".join(problems[:30])))


@R.test
def random_preads_5g():
    rnd = random.Random(5)
    S = SPARSE_SIZE
    cases = [(S - 1, 1), (S - 100, 100), (S - 4096, 4096), (S - 50, 1000),
             (S, 1), (2 ** 32 - 5, 10), (2 ** 32, 4096), (2 ** 32 - 600, 1200),
             (0, 4096), (2 * GiB + 70, 20), (4 * GiB + GiB // 2 + 8000, 500)]
    while len(cases) < 50:
        if rnd.random() < 0.5:
            off = rnd.randrange(4 * GiB, S)       # above 4 GiB
        else:
            base, n = rnd.choice(SPARSE_CHUNKS)     # around written data
            off = max(0, min(S - 1, base + rnd.randrange(-2000, n + 2000)))
        cases.append((off, rnd.choice([1, 512, 4096, 10000, 65536])))
    problems = _compare_preads(SPARSE_NAME, cases)
    if problems:
        raise AssertionError("%d of %d preads differ:\n%s" % (
            len(problems), len(cases), "\n".join(problems[:30])))


@R.test
def dd_and_tail_5g():
    with open(mnt(SPARSE_NAME), "rb") as f:
        drop_page_cache(f)
    for skip in (0, 2 * GiB // 4096, (4 * GiB - 4096) // 4096,
                 (4 * GiB + GiB // 2) // 4096, SPARSE_SIZE // 4096 - 2):
        args = ["bs=4096", "skip=%d" % skip, "count=3", "status=none"]
        want = check_run(["dd", "if=" + disk(SPARSE_NAME)] + args).stdout
        got = check_run(["dd", "if=" + mnt(SPARSE_NAME)] + args,
                        timeout=60).stdout
        if got != want:
            raise AssertionError("dd skip=%d: got %d bytes, want %d, equal=%s"
                                 % (skip, len(got), len(want), got == want))
    want = check_run(["tail", "-c", "100", disk(SPARSE_NAME)]).stdout
    got = check_run(["tail", "-c", "100", mnt(SPARSE_NAME)], timeout=60).stdout
    if got != want:
        raise AssertionError("tail -c 100: got %r..., want %r..." % (
            got[:16], want[:16]))
    st = os.stat(mnt(SPARSE_NAME))
    if st.st_size != SPARSE_SIZE:
        raise AssertionError("size %d, want %d" % (st.st_size, SPARSE_SIZE))


@R.test
def sequential_odd_chunks():
    with open(disk(RANDOM_NAME), "rb") as f:
        want = f.read()
    chunks = [1, 4093, 7777, 65537, 3, 131071, 100003]
    got = bytearray()
    i = 0
    with open(mnt(RANDOM_NAME), "rb", buffering=0) as f:
        drop_page_cache(f)
        while True:
            b = f.read(chunks[i % len(chunks)])
            i += 1
            if not b:
                break
            got += b
            if len(got) > len(want) + MiB:
                break
    if bytes(got) != want:
        first = next((j for j in range(min(len(got), len(want)))
                      if got[j] != want[j]), min(len(got), len(want)))
        raise AssertionError("read %d bytes in %d reads, want %d; first "
                             "difference at %d" % (len(got), i, len(want), first))


@R.test
def big_directory():
    t0 = time.time()
    got = os.listdir(mnt(BIG_DIR))
    dt = time.time() - t0
    want = os.listdir(disk(BIG_DIR))
    if len(got) != len(want):
        raise AssertionError("listdir: %d entries, want %d" % (len(got), len(want)))
    if set(got) != set(want):
        raise AssertionError("names differ: missing [%s] extra [%s]" % (
            fmt_names(set(want) - set(got)), fmt_names(set(got) - set(want))))
    if len(set(got)) != len(got):
        raise AssertionError("duplicate names in the listing")
    for n in ["e00000", "e09989", "e05000", "t0.txt", "t9.txt"]:
        a, b = os.stat(mnt(BIG_DIR, n)), os.stat(disk(BIG_DIR, n))
        if not stat.S_ISREG(a.st_mode) or a.st_size != b.st_size:
            raise AssertionError("%s: mode %o size %d, want regular size %d"
                                 % (n, a.st_mode, a.st_size, b.st_size))
    with open(mnt(BIG_DIR, "t7.txt"), "rb") as f:
        if f.read() != b"tiny 7\n":
            raise AssertionError("t7.txt content differs")
    return "listdir %.2fs" % dt


@R.test
def symlinks():
    problems = []
    if C.mode == "links":
        for name, target in LINKS.items():
            try:
                got = os.readlink(mnt(name))
            except OSError as e:
                problems.append("readlink %r: %s" % (name, e))
                continue
            if got != target:
                problems.append("readlink %r = %r, want %r" % (name, got, target))
        # following them works through the kernel
        try:
            if sorted(os.listdir(mnt("link_dir"))) != sorted(os.listdir(disk("d1"))):
                problems.append("listdir link_dir differs from d1")
        except OSError as e:
            problems.append("listdir link_dir: %s" % e)
        try:
            os.stat(mnt("link_dangling"))
            problems.append("stat link_dangling succeeded")
        except FileNotFoundError:
            pass
        except OSError as e:
            problems.append("stat link_dangling: %s, want ENOENT" % e)
    else:
        # pyftpdlib MLSD follows links: plain entries, no dangling link
        for name in ("link_file", "link_dir", "d1/up"):
            st = os.lstat(mnt(name))
            if stat.S_ISLNK(st.st_mode):
                problems.append("%r is a symlink; pyftpdlib MLSD lists the "
                                "target (follow mode)" % name)
        try:
            os.lstat(mnt("link_dangling"))
            problems.append("link_dangling exists; MLSD leaves it out")
        except FileNotFoundError:
            pass
        except OSError as e:
            problems.append("lstat link_dangling: %s, want ENOENT" % e)
        try:
            if sorted(os.listdir(mnt("link_dir"))) != sorted(os.listdir(disk("d1"))):
                problems.append("listdir link_dir differs from d1")
        except OSError as e:
            problems.append("listdir link_dir: %s" % e)
    # reading through links gives the target's content, in both modes
    for name, target in (("link_file", "plain.txt"), ("d1/up", "one"),
                         ("link_dir/d2 sp/f2", "d1/d2 sp/f2")):
        try:
            with open(mnt(name), "rb") as f:
                got = f.read()
        except OSError as e:
            problems.append("read %r: %s" % (name, e))
            continue
        with open(disk(target), "rb") as f:
            if got != f.read():
                problems.append("read %r: differs from %r" % (name, target))
    if problems:
        raise AssertionError("\n".join(problems))


@R.test
def statvfs_df():
    st = os.statvfs(C.mount.mountpoint)
    if st.f_namemax <= 0 and st.f_bsize <= 0:
        raise AssertionError("statvfs looks empty: %r" % (st,))
    check_run(["df", C.mount.mountpoint], timeout=30)
    return "bsize=%d namemax=%d" % (st.f_bsize, st.f_namemax)


@R.test
def errors():
    ENOENT = (errno.ENOENT,)
    ROFS = (errno.EROFS, errno.EACCES)
    problems = []

    def expect(fn, allowed, what):
        try:
            expect_oserror(fn, allowed, what)
        except HarnessError as e:
            problems.append(str(e))

    expect(lambda: os.stat(mnt("no-such-file")), ENOENT, "stat missing")
    expect(lambda: os.stat(mnt("d1", "no such")), ENOENT, "stat missing in d1")
    expect(lambda: os.stat(mnt("no-dir", "x")), ENOENT, "stat missing/x")
    expect(lambda: os.stat(mnt("ünï missing ✓")), ENOENT, "stat missing UTF-8")
    expect(lambda: os.open(mnt("no-such-file"), os.O_RDONLY), ENOENT,
           "open missing")
    expect(lambda: os.open(mnt("plain.txt"), os.O_WRONLY), ROFS,
           "open O_WRONLY")
    expect(lambda: os.open(mnt("plain.txt"), os.O_RDWR), ROFS, "open O_RDWR")
    expect(lambda: os.open(mnt("plain.txt"), os.O_WRONLY | os.O_TRUNC), ROFS,
           "open O_TRUNC")
    expect(lambda: os.open(mnt("new-file"), os.O_WRONLY | os.O_CREAT, 0o644),
           ROFS, "create")
    expect(lambda: os.mkdir(mnt("new-dir")), ROFS + (errno.EPERM,), "mkdir")
    expect(lambda: os.unlink(mnt("plain.txt")), ROFS + (errno.EPERM,), "unlink")
    expect(lambda: os.rename(mnt("plain.txt"), mnt("renamed")),
           ROFS + (errno.EPERM,), "rename")
    expect(lambda: os.truncate(mnt("plain.txt"), 0), ROFS + (errno.EPERM,),
           "truncate")
    # a directory: open O_RDONLY works, read() fails with EISDIR
    try:
        fd = os.open(mnt("d1"), os.O_RDONLY)
    except OSError as e:
        problems.append("open(d1, O_RDONLY): %s" % e)
    else:
        try:
            expect(lambda: os.read(fd, 100), (errno.EISDIR,), "read(dir)")
        finally:
            os.close(fd)
    expect(lambda: open(mnt("d1"), "rb"), (errno.EISDIR,), "python open(dir)")
    expect(lambda: os.listdir(mnt("plain.txt")), (errno.ENOTDIR,),
           "listdir(file)")
    expect(lambda: os.open(mnt("plain.txt"), os.O_RDONLY | os.O_DIRECTORY),
           (errno.ENOTDIR,), "open(file, O_DIRECTORY)")
    for n in ("plain.txt", "new-file"):
        if os.path.exists(disk(n)) != (n == "plain.txt"):
            problems.append("the disk tree changed: %r" % n)
    if problems:
        raise AssertionError("\n".join(problems))


@R.test
def parallel_reads():
    files = [n for n in list(SIZED) + ODD_FILES[:10] + [RANDOM_NAME]]
    want = {n: sha256_file(disk(n)) for n in files}
    errs = []

    def worker(k):
        rnd = random.Random(k)
        for _ in range(15):
            n = rnd.choice(files)
            try:
                got = sha256_file(mnt(n), bufsize=rnd.choice([4096, 65536, MiB]),
                                  uncached=True)
            except OSError as e:
                errs.append("%r: %s" % (n, e))
                continue
            if got != want[n]:
                errs.append("%r: content differs" % n)
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errs:
        raise AssertionError("%d errors:\n%s" % (len(errs), "\n".join(errs[:20])))


@R.test
def killed_readers_then_unmount():
    """Readers killed on a mount that is unmounted at once: the daemon
    exits cleanly.  A process killed with a file open makes the kernel
    send FLUSH and then, the process dying, an INTERRUPT for it; when
    the FLUSH is answered before the INTERRUPT is read and no request
    follows, libfuse 3.14 (and upstream) keeps that INTERRUPT in its
    session until exit and never frees it, which valgrind calls a
    definite leak of 128 bytes (tests/valgrind.supp names exactly that
    stack).  Under valgrind this fails without the suppression, within
    a few rounds; everywhere it checks the unmount and the exit."""
    mp = os.path.join(os.path.dirname(C.mount.mountpoint), "mnt-killed")
    os.makedirs(mp, exist_ok=True)
    names = ["one", "size_4095", "size_4096", "size_4097"]
    for _ in range(int(os.environ.get("FTPFS_KILL_ROUNDS", "6"))):
        m = harness.mount(C.server.url(), mp, C.opts)
        procs = []
        try:
            for n in names:
                procs.append(subprocess.Popen(
                    ["tail", "-f", os.path.join(mp, n)],
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL))
            for p in procs:
                # each has read its file (and so holds it open)
                if not p.stdout.read(1):
                    raise AssertionError("tail -f printed nothing")
        finally:
            for p in procs:
                p.kill()
            for p in procs:
                p.wait()
                p.stdout.close()
            m.unmount()


FRESH_T = 6  # cache_timeout of the freshness mount


@R.test
def freshness_one_bound():
    """A change made on the server shows within cache_timeout (+ the
    kernel's 1 s), not within twice that: the kernel must not keep for
    cache_timeout what our cache had already kept that long.  The kernel
    is made to take the file's attributes late in the life of the cached
    listing: in a directory of 2,000 names only the first getdents comes
    with attributes (READDIRPLUS), so a name near the end is looked up at
    0.9 T from a listing that old.  Then `tail -f` of a file growing on
    the server shows each new line within the same bound (it once never
    did: the read stream kept the end of file it had met)."""
    d = disk("fresh")
    os.mkdir(d)
    for i in range(2000):
        with open(os.path.join(d, "a%04d" % i), "w") as f:
            f.write("x\n")
    with open(os.path.join(d, "f"), "w") as f:
        f.write("line1\n")
    mp = os.path.join(os.path.dirname(C.mount.mountpoint), "mnt-fresh")
    os.makedirs(mp, exist_ok=True)
    procs = []
    try:
        m = harness.mount(C.server.url(), mp,
                          C.opts + ["cache_timeout=%d" % FRESH_T])
        try:
            fresh_checks(mp, d, procs)
        finally:
            for p in procs:
                p.kill()
                p.wait()
            m.unmount()
    finally:
        harness.safe_rmtree(d)


def fresh_checks(mp, d, procs):
    t0 = time.monotonic()
    names = os.listdir(os.path.join(mp, "fresh"))
    if len(names) != 2001:
        raise AssertionError("listing has %d names, want 2001" % len(names))
    # in a later getdents than the first: no attributes
    last = [n for n in names if n != "f"][-1]
    with open(os.path.join(d, last), "a") as f:
        f.write("more\n")
    t_change = time.monotonic()
    time.sleep(max(0, t0 + 0.9 * FRESH_T - time.monotonic()))
    os.stat(os.path.join(mp, "fresh", last))
    want = os.stat(os.path.join(d, last)).st_size
    bound = FRESH_T + 2.0
    while os.stat(os.path.join(mp, "fresh", last)).st_size != want:
        if time.monotonic() - t_change > bound:
            raise AssertionError("the server's change not shown %.0f s after "
                                 "it (cache_timeout=%d)" % (bound, FRESH_T))
        time.sleep(0.1)
    with open(os.path.join(d, "f"), "a") as f:
        f.write("line2\n")
    tail = subprocess.Popen(["tail", "-n", "+1", "-f",
                             os.path.join(mp, "fresh", "f")],
                            stdout=subprocess.PIPE)
    procs.append(tail)
    os.set_blocking(tail.stdout.fileno(), False)
    got = b""
    deadline = time.monotonic() + 5
    while b"line2\n" not in got and time.monotonic() < deadline:
        got += tail.stdout.read() or b""
        time.sleep(0.1)
    with open(os.path.join(d, "f"), "a") as f:
        f.write("line3\n")
    t_change = time.monotonic()
    bound = FRESH_T + 3.0  # tail looks once a second
    while b"line3\n" not in got:
        if time.monotonic() - t_change > bound:
            raise AssertionError("tail -f: the server's new line not shown "
                                 "%.0f s after it; tail printed %r"
                                 % (bound, got))
        got += tail.stdout.read() or b""
        time.sleep(0.1)
    if got != b"line1\nline2\nline3\n":
        raise AssertionError("tail -f printed %r" % got)


def setup(a, top):
    # the read-only suite mounts read-only: writes must fail with EROFS
    opts = ["ro"] + [o for o in a.opts.split(",") if o]
    C.mode = "follow" if a.server == "pyftpdlib" and \
        "disable_mlsd" not in opts else "links"
    C.root = os.path.join(top, "tree")
    os.mkdir(C.root)
    os.chmod(C.root, 0o755)
    mp = os.path.join(top, "mnt")
    os.mkdir(mp)
    C.server = C.mount = None
    dt = build_tree(C.root)
    print("# tree built in %.1fs at %s (mode %s)" % (dt, C.root, C.mode))
    knobs = {}
    if a.latency_ms:
        if a.server != "pyftpdlib":
            a.error("--latency-ms needs --server pyftpdlib")
        knobs["latency_ms"] = a.latency_ms
    for kv in a.server_knob:
        k, _, v = kv.partition("=")
        knobs[k.replace("-", "_")] = v if v else True
    C.server = harness.start_server(a.server, C.root, **knobs)
    C.opts = opts
    C.mount = harness.mount(C.server.url(), mp, opts)
    print("# %s on port %d, ftpfs pid %d: %s" % (
        a.server, C.server.port, C.mount.pid(), " ".join(C.mount.cmd)))


def final(a):
    return harness.clean_exit_steps([("unmount_clean_exit", C.mount)],
                                    [("server_clean_exit", C.server)])


def prefix(a):
    tags = [t for t in [a.opts, a.latency_ms and "latency=%dms" % a.latency_ms]
            + a.server_knob if t]
    return "readonly/%s%s" % (a.server,
                              "[%s]" % " ".join(tags) if tags else "")


if __name__ == "__main__":
    sys.exit(harness.main(
        R, "ftpfs-ro-", setup=setup, final=final, prefix=prefix,
        servers=("pyftpdlib", "vsftpd"),
        options=[
            (("--opts",), dict(default="", help="extra -o options for ftpfs")),
            (("--latency-ms",), dict(
                type=int, default=0,
                help="pyftpdlib only: delay every server reply")),
            (("--server-knob",), dict(
                action="append", default=[], metavar="KEY[=VAL]",
                help="extra server flag, e.g. fix_0o_mode (rewrite "
                "pyftpdlib's MLSD unix.mode=0o644 to 0644) or "
                "rate_bps=1000000"))]))
