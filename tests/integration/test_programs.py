"""Real programs against a real mounted server: git, rsync, cp -a, tar,
unzip, sqlite3, GLib's gio, a private file under umask 077.

    FTPFS_BIN=$PWD/build/ftpfs /usr/bin/python3 -m pytest -q \\
        tests/integration/test_programs.py
    FTPFS_MATRIX=vsftpd python3 -m pytest -q tests/integration/test_programs.py

The servers, mounts and fixtures are test_matrix.py's (CONFIGS, Env,
open_env, the watchdog; FTPFS_MATRIX picks configurations) for three of its
configurations, which differ in what they can store:

    pyftpdlib-mlsd  SITE CHMOD, MFMT of files (not of directories), MLSD
    vsftpd          anonymous-writable: neither SITE CHMOD nor MFMT; the
                    MDTM write form sets files' times; LIST (times of recent
                    files to the minute)
    proftpd-mlsd    SITE CHMOD, MFMT of files and directories, MLSD,
                    SITE SYMLINK (of links whose target exists)

Every check compares with the served directory on disk (the truth), and
where a server cannot store something it asserts what README and ftpfs.8
say the mount then does: a time or mode the server did not store is never
shown; a directory's time the server refuses is not an error (tar, cp -a,
unzip and rsync exit 0), a file's mode it refuses is (EPERM).
"""

import os
import re
import sqlite3
import stat
import subprocess
import sys
import tarfile
import tempfile
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_matrix as mx  # noqa: E402

from test_matrix import ok, q, sh  # noqa: E402

PROGRAM_CONFIGS = ("pyftpdlib-mlsd", "vsftpd", "proftpd-mlsd")
CONFIGS = [c for c in mx.CONFIGS if c["name"] in PROGRAM_CONFIGS]

# the checks' directories, made (empty) on disk before the mount
SETUPS = {n: mx._nothing for n in (
    "git", "exe", "rsync", "cpa", "tar", "tarlink", "unzip", "sqlite",
    "private", "gio")}


@pytest.fixture(scope="module", params=CONFIGS,
                ids=[c["name"] for c in CONFIGS])
def env(request):
    e = mx.open_env(request.param, SETUPS)
    yield e
    e.close()


# the matrix's watchdog (kills ftpfs when a check hangs) and its last check
_known_and_watchdog = mx._known_and_watchdog


# --- helpers ---------------------------------------------------------------

OLD = 1577934245  # 2020-01-02 03:04:05 UTC


def make_tree(root, links=False):
    """Files of several sizes, two levels of subdirectories, an executable
    script, a file and a directory with old times; with links, a symlink
    to a file and one to a directory (made after their targets)."""
    os.makedirs(os.path.join(root, "sub", "deep"))
    for i in range(6):
        with open(os.path.join(root, "sub" if i % 2 else "",
                               "f%d.bin" % i), "wb") as f:
            f.write(os.urandom(700 * i + 1))
    with open(os.path.join(root, "sub", "deep", "note.txt"), "w") as f:
        f.write("deep\n")
    script = os.path.join(root, "sub", "run.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\necho ran\n")
    os.chmod(script, 0o755)
    os.utime(os.path.join(root, "f0.bin"), (OLD, OLD))
    if links:
        os.symlink("f2.bin", os.path.join(root, "link-file"))
        os.symlink("sub/deep", os.path.join(root, "link-dir"))
    # directories last: making their contents changed their times
    os.utime(os.path.join(root, "sub", "deep"), (OLD + 60, OLD + 60))
    os.utime(os.path.join(root, "sub"), (OLD, OLD))


def walk(root):
    """Relative path -> lstat of everything below root (root is '.')."""
    out = {".": os.lstat(root)}
    for dp, dns, fns in os.walk(root):
        for n in dns + fns:
            p = os.path.join(dp, n)
            out[os.path.relpath(p, root)] = os.lstat(p)
    return out


def shown(env, mount_t, disk_t):
    """The mount shows the server's time: exactly with MLSD; LIST gives a
    recent time to the minute (an old one comes from MDTM, exact)."""
    m, d = int(mount_t), int(disk_t)
    return m == d or (not env.caps["mlsd"] and m == d - d % 60)


def check_copy(env, src, disk, mnt):
    """src copied (by some program) to disk (the server's side) / mnt (the
    same through the mount): contents (diff -r of both), then times and
    modes on the server where it can store them (else its own), and the
    mount showing the server's, never the asked-for, times and modes."""
    s, d, m = walk(src), walk(disk), walk(mnt)
    links = [r for r, st in s.items() if stat.S_ISLNK(st.st_mode)]
    # ProFTPD stores a link's target as a path of its own (chroot)
    # namespace: on the disk it does not resolve; through the mount it does
    r = sh("LC_ALL=C diff -r %s %s %s" % (
        " ".join("-x " + q(os.path.basename(l)) for l in links), q(src),
        q(disk)), timeout=300)
    assert r.returncode == 0, "diff -r with the server's directory: " \
        "exit %d\n%s%s" % (r.returncode, r.stdout[-3000:], r.stderr[-1000:])
    mx.diff(src, mnt)
    problems = []
    for rel, st in sorted(s.items()):
        if rel not in d or rel not in m:
            problems.append("%s: missing (disk %s, mount %s)" % (
                rel, rel in d, rel in m))
            continue
        kind = "link" if stat.S_ISLNK(st.st_mode) else \
            "dir" if stat.S_ISDIR(st.st_mode) else "file"
        if kind == "link":
            want = os.readlink(os.path.join(src, rel))
            if os.readlink(os.path.join(mnt, rel)) != want:
                problems.append("link %s: the mount shows -> %s, want %s" % (
                    rel, os.readlink(os.path.join(mnt, rel)), want))
            continue  # FTP servers keep no time or mode of a link itself
        can_time = env.caps["settime"] and (kind == "file" or
                                            env.caps["dirtime"])
        if can_time and int(d[rel].st_mtime) != int(st.st_mtime):
            problems.append("%s %s: time on the server %s, source %s" % (
                kind, rel, fmt(d[rel].st_mtime), fmt(st.st_mtime)))
        if not shown(env, m[rel].st_mtime, d[rel].st_mtime):
            problems.append("%s %s: the mount shows time %s, the server "
                            "has %s" % (kind, rel, fmt(m[rel].st_mtime),
                                        fmt(d[rel].st_mtime)))
        # no SITE CHMOD: the server's modes (the script is not executable)
        mode = stat.S_IMODE(st.st_mode) if env.caps["chmod"] else \
            0o755 if kind == "dir" else 0o644
        if stat.S_IMODE(d[rel].st_mode) != mode:
            problems.append("%s %s: mode on the server %o, want %o" % (
                kind, rel, stat.S_IMODE(d[rel].st_mode), mode))
        if stat.S_IMODE(m[rel].st_mode) != stat.S_IMODE(d[rel].st_mode):
            problems.append("%s %s: the mount shows mode %o, the server "
                            "has %o" % (kind, rel, stat.S_IMODE(
                                m[rel].st_mode), stat.S_IMODE(
                                d[rel].st_mode)))
    assert not problems, "\n".join(problems)


def fmt(t):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))


def tool_errors(r, allowed):
    """The program's stderr lines that are not one of the allowed refusals
    (regular expressions)."""
    return [l for l in r.stderr.splitlines() if l.strip() and
            not any(re.search(a, l) for a in allowed)]


def expect_exit(r, cmd, want, allowed=()):
    """want: the exit status; allowed: stderr lines that may come with
    it (the refusals the server's limits cause)."""
    bad = tool_errors(r, allowed)
    assert r.returncode == want and not bad, \
        "%s: exit %d (want %d), stderr:\n%s" % (
            cmd, r.returncode, want, "\n".join(bad or
                                               r.stderr.splitlines())[-2000:])


def remount(env):
    """Unmount (a clean exit required) and mount the same URL again."""
    env.mount.unmount()
    sub = env.cfg["sub"]
    env.mount = harness.mount(env.server.url("/" + sub if sub else "/"),
                              env.mnt, env.cfg["opts"])


# a refused mode: what cp, tar and rsync say about the script on vsftpd
MODE_REFUSED = {
    "cp": [r"preserving permissions for .*run\.sh.*Operation not permitted"],
    "tar": [r"run\.sh: Cannot change mode to rwxr-xr-x: Operation not "
            r"permitted", r"Exiting with failure status"],
    "rsync": [r'failed to set permissions on ".*/sub/(\.run\.sh\.[^"]*|'
              r'run\.sh)": Operation not permitted',
              r"rsync error: some files/attrs"],
}


# --- git -------------------------------------------------------------------

def make_repo(path):
    os.makedirs(path)
    g = "git -C %s " % q(path)
    ok(g + "init -q")
    ok(g + "config user.email t@example.org && " + g + "config user.name T")
    with open(os.path.join(path, "build.sh"), "w") as f:
        f.write("#!/bin/sh\necho built\n")
    os.chmod(os.path.join(path, "build.sh"), 0o755)
    with open(os.path.join(path, "README"), "w") as f:
        f.write("a small repository\n")
    ok(g + "add . && " + g + "commit -qm 'first'")
    os.symlink("README", os.path.join(path, "readme-link"))
    os.makedirs(os.path.join(path, "src", "lib"))
    with open(os.path.join(path, "src", "lib", "x.c"), "w") as f:
        f.write("int x;\n" * 200)
    ok(g + "add . && " + g + "commit -qm 'second: a link and a tree'")
    with open(os.path.join(path, "README"), "a") as f:
        f.write("more\n")
    ok(g + "commit -qam 'third'")


def test_git_clone(env):
    """git clone of a local repository (an executable script, a symlink,
    three commits) into the mount: status clean, fsck passes, the log is
    the source's; a commit made in the mount is fsck-clean too."""
    src = os.path.join(env.local, "repo")
    make_repo(src)
    dst = env.m("git", "clone")
    ok("git clone -q %s %s" % (q(src), q(dst)), timeout=300)
    g = "git -C %s " % q(dst)
    assert ok(g + "status --porcelain") == ""
    ok(g + "fsck --full --no-progress")
    log = "log --format='%H %s'"
    assert ok(g + log) == ok("git -C %s " % q(src) + log)
    # the repository keeps the script's mode whatever the server can do
    assert ok(g + "ls-files -s build.sh").startswith("100755 ")
    assert ok(g + "ls-files -s readme-link").startswith("120000 ")
    disk = env.disk("git", "clone")
    mode = stat.S_IMODE(os.stat(os.path.join(disk, "build.sh")).st_mode)
    shown_mode = stat.S_IMODE(os.stat(os.path.join(dst, "build.sh")).st_mode)
    filemode = ok(g + "config core.filemode").strip()
    if env.caps["chmod"]:
        assert (mode, shown_mode, filemode) == (0o755, 0o755, "true")
    else:
        # git finds that chmod fails here (its probe at clone) and stops
        # tracking modes (core.filemode=false): the script is 0644 on the
        # server and shown so, git status stays clean, the commits keep
        # 100755 (checked above)
        assert (mode, shown_mode, filemode) == (0o644, 0o644, "false")
    # git probes symlinks with a dangling one (.git/tXXXXXX -> "testing"):
    # pyftpdlib and vsftpd have no SITE SYMLINK, ProFTPD refuses a link
    # to a missing target. So git checks links out as files holding the
    # target (core.symlinks=false), as on file systems without links.
    assert ok(g + "config core.symlinks").strip() == "false"
    assert mx.read(os.path.join(disk, "readme-link")) == b"README"
    # work in the clone: change, commit, check again
    with open(os.path.join(dst, "README"), "a") as f:
        f.write("changed through the mount\n")
    assert ok(g + "status --porcelain").strip() == "M README"
    ok(g + "-c user.email=t@example.org -c user.name=T commit -qam fourth")
    assert ok(g + "status --porcelain") == ""
    ok(g + "fsck --full --no-progress")
    assert mx.read(os.path.join(disk, "README")).endswith(
        b"changed through the mount\n")


# --- an executable -----------------------------------------------------------

def test_exe_runs(env):
    """cp /bin/true MNT/t && MNT/t: the copy keeps the executable bit and
    runs where the server has SITE CHMOD; elsewhere the copy succeeds, the
    mount shows the server's mode 0644, and running it is refused."""
    mnt = env.m("exe", "t")
    ok("cp /bin/true %s" % q(mnt))
    disk_mode = stat.S_IMODE(os.stat(env.disk("exe", "t")).st_mode)
    if env.caps["chmod"]:
        assert disk_mode == 0o755
        ok(q(mnt))
    else:
        assert disk_mode == 0o644
        assert stat.S_IMODE(os.stat(mnt).st_mode) == 0o644
        r = sh(q(mnt))
        assert r.returncode == 126 and "Permission denied" in r.stderr, \
            "running a 0644 file: exit %d %r" % (r.returncode, r.stderr)


# --- rsync -------------------------------------------------------------------

def test_rsync_twice(env):
    """rsync -a SRC/ MNT/dst/ (no owner/group, as a user would) twice: the
    second run transfers no file; the server has the times and modes it
    can store, the mount shows the server's. A refused directory time is
    no error (pyftpdlib, vsftpd): rsync exits 0 where modes can be set."""
    src = os.path.join(env.local, "rsync-src")
    make_tree(src)
    dst = env.m("rsync", "dst")
    cmd = "rsync -a --no-owner --no-group %s/ %s/" % (q(src), q(dst))
    allowed = [] if env.caps["chmod"] else MODE_REFUSED["rsync"]
    want = 0 if env.caps["chmod"] else 23
    r = sh(cmd, 300)
    expect_exit(r, cmd, want, allowed)
    # LIST gives recent times to the minute: rsync is told so there
    window = "" if env.caps["mlsd"] else "--modify-window=60 "
    cmd2 = "rsync -a --no-owner --no-group --itemize-changes --stats " \
        "%s%s/ %s/" % (window, q(src), q(dst))
    r = sh(cmd2, 300)
    expect_exit(r, cmd2, want, allowed)
    sent = [l for l in r.stdout.splitlines() if l[:1] in ("<", ">", "c")]
    assert not sent and "Number of regular files transferred: 0" in \
        r.stdout, "the second rsync -a transferred again:\n%s" % r.stdout
    check_copy(env, src, env.disk("rsync", "dst"), dst)


# --- cp -a, tar x, unzip -------------------------------------------------------

def test_cp_a(env):
    """cp -a of a tree (files, subdirectories, an executable; symlinks
    where the server makes them): diff -r, times and modes as the server
    can store them; cp exits 0 unless a file's mode was refused."""
    links = env.caps["symlink"]
    src = os.path.join(env.local, "cpa-src")
    make_tree(src, links)
    dst = env.m("cpa", "tree")
    cmd = "cp -a %s %s" % (q(src), q(dst))
    r = sh(cmd, 300)
    if env.caps["chmod"]:
        expect_exit(r, cmd, 0)
    else:
        expect_exit(r, cmd, 1, MODE_REFUSED["cp"])
    check_copy(env, src, env.disk("cpa", "tree"), dst)


def test_tar_x(env):
    """tar x of a tarball into the mount: diff -r, times and modes; tar
    exits 0 (a refused directory time is no error) unless a file's mode
    was refused."""
    links = env.caps["symlink"]
    src = os.path.join(env.local, "tar-src")
    make_tree(src, links)
    ball = os.path.join(env.local, "t.tar")
    # targets before links: ProFTPD makes no link to a missing target
    members = sorted(walk(src), key=lambda rel: (
        os.path.islink(os.path.join(src, rel)), rel))
    with tarfile.open(ball, "w") as t:
        for rel in members:
            t.add(os.path.join(src, rel), os.path.normpath(
                os.path.join("tree", rel)), recursive=False)
    cmd = "tar -xf %s -C %s" % (q(ball), q(env.m("tar")))
    r = sh(cmd, 300)
    if env.caps["chmod"]:
        expect_exit(r, cmd, 0)
    else:
        expect_exit(r, cmd, 2, MODE_REFUSED["tar"])
    check_copy(env, src, env.disk("tar", "tree"), env.m("tar", "tree"))


def test_tar_link_first(env):
    """An archive that lists a symlink before its target (tar c of a
    directory lists in readdir order): the documented limits. ProFTPD
    makes no link to a missing target (EACCES); servers without SITE
    SYMLINK make none (EPERM). tar says so for the link and exits 2; the
    target arrives."""
    src = os.path.join(env.local, "tarlink-src")
    os.makedirs(src)
    with open(os.path.join(src, "target.txt"), "w") as f:
        f.write("target\n")
    os.symlink("target.txt", os.path.join(src, "a-link"))
    ball = os.path.join(env.local, "link-first.tar")
    with tarfile.open(ball, "w") as t:
        t.add(os.path.join(src, "a-link"), "a-link")
        t.add(os.path.join(src, "target.txt"), "target.txt")
    cmd = "tar -xf %s -C %s" % (q(ball), q(env.m("tarlink")))
    r = sh(cmd)
    why = "Permission denied" if env.caps["symlink"] else \
        "Operation not permitted"
    expect_exit(r, cmd, 2, [r"a-link: Cannot create symlink to .target\.txt.: "
                            + why, r"Exiting with failure status"])
    assert os.listdir(env.disk("tarlink")) == ["target.txt"]
    assert mx.read(env.m("tarlink", "target.txt")) == b"target\n"


def test_unzip(env):
    """unzip into the mount: diff -r, times (zip's extended timestamps) and
    modes; exit 0 (unzip does not count a refused mode)."""
    src = os.path.join(env.local, "zip-src", "tree")
    make_tree(src)
    z = os.path.join(env.local, "t.zip")
    ok("cd %s && zip -qr %s tree" % (q(os.path.dirname(src)), q(z)))
    cmd = "cd %s && unzip -q %s" % (q(env.m("unzip")), q(z))
    r = sh(cmd, 300)
    expect_exit(r, cmd, 0)
    check_copy(env, src, env.disk("unzip", "tree"),
                       env.m("unzip", "tree"))


# --- sqlite3 -----------------------------------------------------------------

SQL = """
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, blob BLOB);
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
INSERT INTO t(name, blob) SELECT 'row ' || i, randomblob(i % 300) FROM n;
COMMIT;
UPDATE t SET name = name || ' updated' WHERE id % 7 = 0;
DELETE FROM t WHERE id > 480;
CREATE INDEX t_name ON t(name);
PRAGMA integrity_check;
SELECT count(*) FROM t;
"""


def test_sqlite(env):
    """sqlite3 on a database in the mount: create, insert (a transaction),
    update, delete, index; PRAGMA integrity_check says ok, on the server
    too (read with Python's sqlite3), and after a remount."""
    db = env.m("sqlite", "db.sqlite")
    r = subprocess.run(["sqlite3", db], input=SQL, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.split() == ["ok", "480"], \
        "sqlite3: exit %d %r %r" % (r.returncode, r.stdout, r.stderr)
    disk = env.disk("sqlite", "db.sqlite")
    assert sorted(os.listdir(env.disk("sqlite"))) == ["db.sqlite"], \
        os.listdir(env.disk("sqlite"))
    con = sqlite3.connect("file:%s?mode=ro" % disk, uri=True)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("SELECT count(*), sum(name LIKE '%updated') "
                           "FROM t").fetchone() == (480, 68)
    finally:
        con.close()
    remount(env)
    out = ok("sqlite3 %s 'PRAGMA integrity_check; SELECT count(*) FROM t; "
             "SELECT name FROM t WHERE id = 7'" % q(db)).splitlines()
    assert out == ["ok", "480", "row 7 updated"], out


# --- a private file ------------------------------------------------------------

def test_private_umask(env):
    """umask 077: a file and a directory made through the mount are not
    readable by group or others on the server where it can set modes.
    Where it cannot (vsftpd), they are made anyway (as mkstemp users need),
    the mount shows the server's mode, and ftpfs warns, naming the file
    (not the directory: cp -a, tar and rsync make theirs 0700 and chmod
    them later). Files that cp -a makes 0600 and chmods 0644 before their
    close are not warned about."""
    err0 = len(env.mount.stderr(10 ** 7))
    ok("umask 077; echo secret > %s; mkdir %s" % (
        q(env.m("private", "p")), q(env.m("private", "pd"))))
    fm = stat.S_IMODE(os.stat(env.disk("private", "p")).st_mode)
    dm = stat.S_IMODE(os.stat(env.disk("private", "pd")).st_mode)
    assert mx.read(env.disk("private", "p")) == b"secret\n"
    sf = stat.S_IMODE(os.stat(env.m("private", "p")).st_mode)
    sd = stat.S_IMODE(os.stat(env.m("private", "pd")).st_mode)
    if env.caps["chmod"]:
        assert (fm, dm, sf, sd) == (0o600, 0o700, 0o600, 0o700), \
            "modes %o %o, shown %o %o" % (fm, dm, sf, sd)
        return
    assert (fm, dm, sf, sd) == (0o644, 0o755, 0o644, 0o755), \
        "modes %o %o, shown %o %o" % (fm, dm, sf, sd)
    err = env.mount.stderr(10 ** 7)[err0:]
    assert re.search(r"warning: /private/p: saved, but not private", err), \
        "no warning about /private/p in:\n%s" % err
    # cp -a (as root: made 0600, chmod 0644 after the data) warns nothing
    src = os.path.join(env.local, "cp-private")
    with open(src, "w") as f:
        f.write("public\n")
    err0 = len(env.mount.stderr(10 ** 7))
    ok("cp -a %s %s" % (q(src), q(env.m("private", "public"))))
    err = env.mount.stderr(10 ** 7)[err0:]
    assert "public" not in err, err


# --- gio (GLib, as file managers use it) ------------------------------------------

def test_gio(env):
    """gio copy (in, within), gio move (within, out) and gio trash of a
    file and a directory. GLib refuses to trash on a mount below /dev
    ("system internal"; the test trees are in /dev/shm), so trash runs
    on a second mount of the same server below /tmp: it makes
    .Trash-UID (0700 where the server can set modes) with files/ and
    info/ in the mount's top directory."""
    local = os.path.join(env.local, "gio.txt")
    with open(local, "w") as f:
        f.write("through gio\n")
    d = env.m("gio")
    ok("gio copy %s %s" % (q(local), q(os.path.join(d, "a.txt"))))
    ok("gio copy %s %s" % (q(os.path.join(d, "a.txt")),
                           q(os.path.join(d, "b.txt"))))
    ok("gio move %s %s" % (q(os.path.join(d, "b.txt")),
                           q(os.path.join(d, "c.txt"))))
    back = os.path.join(env.local, "gio-back.txt")
    ok("gio move %s %s" % (q(os.path.join(d, "c.txt")), q(back)))
    assert mx.read(back) == b"through gio\n"
    assert sorted(os.listdir(env.disk("gio"))) == ["a.txt"]
    assert mx.read(env.disk("gio", "a.txt")) == b"through gio\n"
    os.mkdir(os.path.join(d, "dir"))
    ok("gio copy %s %s" % (q(local), q(os.path.join(d, "dir", "in.txt"))))

    base = tempfile.gettempdir()
    if base.startswith(("/dev/", "/proc/", "/sys/", "/run/")):
        base = "/var/tmp"
    top = tempfile.mkdtemp(prefix="ftpfs-gio-", dir=base)
    sub = env.cfg["sub"]
    try:
        m2 = harness.mount(env.server.url("/" + sub if sub else "/"), top,
                           env.cfg["opts"])
        try:
            r = sh("gio trash %s %s" % (q(os.path.join(top, "gio", "a.txt")),
                                        q(os.path.join(top, "gio", "dir"))))
            assert r.returncode == 0, "gio trash: exit %d %s" % (
                r.returncode, r.stderr)
        finally:
            m2.unmount()
    finally:
        os.rmdir(top)
    trash = env.disk(".Trash-%d" % os.getuid())
    assert sorted(os.listdir(env.disk("gio"))) == []
    assert mx.read(os.path.join(trash, "files", "a.txt")) == \
        b"through gio\n"
    assert mx.read(os.path.join(trash, "files", "dir", "in.txt")) == \
        b"through gio\n"
    for n in ("a.txt", "dir"):
        info = mx.read(os.path.join(trash, "info", n + ".trashinfo"), "r")
        assert "Path=" in info and "DeletionDate=" in info, info
    mode = stat.S_IMODE(os.stat(trash).st_mode)
    # where the server sets no modes it is the server's 0755: trashed
    # files are as readable on the server as they were before
    assert mode == (0o700 if env.caps["chmod"] else 0o755), "%o" % mode


test_zz_unmount_clean = mx.test_zz_unmount_clean
