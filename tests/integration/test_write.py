#!/usr/bin/python3
"""ftpfs writes against a real FTP server, compared with the disk.

    /usr/bin/python3 tests/integration/test_write.py --server pyftpdlib|vsftpd
        [--opts OPT,OPT...] [--seed N] [--ops N] [--only TEST,TEST...]
        [--list]

The checks are in three files, each a suite with its own server and mounts
(write_common.py makes them, and holds the helpers below): this one (file
contents through shell redirections, cp, rsync, editors, tar, sqlite3, dd,
truncate, mv, mkdir, rmdir, rm), test_write_attrs.py (attributes and
refusals) and test_write_open.py (random operations, open files, names).

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
import write_common  # noqa: E402
from write_common import (  # noqa: E402
    BIG_DIR, C, MiB, check_absent, check_file, check_no_tmp, compare_tree,
    content, describe, diff_snap, disk, en, expect_errno, ldisk, lmnt, local,
    make_odd_tree, mnt, q, read, sh, sh_ok, snapshot, test, write_file)


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


if __name__ == "__main__":
    sys.exit(write_common.main('write'))
