#!/usr/bin/python3
"""ftpfs writes against a real FTP server: attributes (chmod, touch, times,
stat while writing, inode numbers, directory times) and refusals (read-only
files and directories, modes, symlinks, unreadable entries, a quota).

    /usr/bin/python3 tests/integration/test_write_attrs.py
        --server pyftpdlib|vsftpd [--opts OPT,OPT...] [--only TEST,TEST...]
        [--list]

Shares its servers, mounts and checks with test_write.py (write_common.py);
see test_write.py for how the mount is compared with the disk.
"""
import errno
import os
import random
import stat
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import HarnessError, check_run  # noqa: E402
import write_common  # noqa: E402
from write_common import (  # noqa: E402
    C, DIRTIME_OLD, KiB, MiB, QUOTA, TOUCH_ARG, TOUCH_T, check_absent,
    check_file, check_no_hidden, check_no_tmp, compare_tree, content, describe,
    disk, en, expect_errno, ldisk, lmnt, local, mnt, q, read, sh, sh_ok, test,
    write_all_and_close, write_file)


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


if __name__ == "__main__":
    sys.exit(write_common.main('write-attrs'))
