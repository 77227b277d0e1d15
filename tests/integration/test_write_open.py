#!/usr/bin/python3
"""ftpfs writes against a real FTP server: random operations (--seed,
--ops) and two writers compared with a local model, files used while
unlinked or renamed, names too long, no command splitting, O_APPEND.

    /usr/bin/python3 tests/integration/test_write_open.py
        --server pyftpdlib|vsftpd [--opts OPT,OPT...] [--seed N] [--ops N]
        [--only TEST,TEST...] [--list]

Shares its servers, mounts and checks with test_write.py (write_common.py);
see test_write.py for how the mount is compared with the disk.
"""
import errno
import os
import random
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import write_common  # noqa: E402
from write_common import (  # noqa: E402
    C, KiB, MiB, check_absent, check_file, check_no_hidden, check_no_tmp,
    content, describe, disk, en, local, mnt, q, read, sh_ok, test, write_file)


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


if __name__ == "__main__":
    sys.exit(write_common.main('write-open'))
