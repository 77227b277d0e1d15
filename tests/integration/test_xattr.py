#!/usr/bin/python3
"""Checksums as extended attributes, and -o verify_upload (issue 17).

    /usr/bin/python3 tests/integration/test_xattr.py [--only TEST,TEST]

user.checksum.sha256/.sha1/.md5/.crc32 against ProFTPD with mod_digest
(tests/servers/proftpd.py --digest: HASH with OPTS HASH, and the X
commands), compared with hashlib/zlib over the served files on disk; a
server without checksums (stock pyftpdlib: ENODATA, nothing listed); one
that answers HASH with a wrong value (pyftpd.py --hash wrong): an upload
with -o verify_upload fails with EIO at close and the old file stays.
Reads of other attribute names must not reach the server (its command log
is compared before and after).  Exit 0 = all passed, 1 = a failure,
77 = skipped (no ProFTPD unpacked, no /dev/fuse, no binary).
"""
import contextlib
import errno
import hashlib
import os
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import HarnessError  # noqa: E402

R = harness.Runner(prefix="xattr")
ALGOS = ("sha256", "sha1", "md5", "crc32")


class C:
    top = None


def local_sum(path, algo):
    with open(path, "rb") as f:
        data = f.read()
    if algo == "crc32":
        return "%08x" % (zlib.crc32(data) & 0xffffffff)
    return hashlib.new(algo, data).hexdigest()


@contextlib.contextmanager
def served(kind, files=None, **knobs):
    """A fresh served root with files {name: bytes}, its server, and a
    mount point; yields (server, root, mountpoint)."""
    top = tempfile.mkdtemp(prefix="case-", dir=C.top)
    os.chmod(top, 0o755)
    root = os.path.join(top, "root")
    mp = os.path.join(top, "mnt")
    os.makedirs(root)
    os.makedirs(mp)
    os.chmod(root, 0o777)          # ProFTPD's sessions run as nobody
    for name, data in (files or {}).items():
        p = os.path.join(root, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, 0o666)
    srv = harness.start_server(kind, root, **knobs)
    try:
        yield srv, root, mp
    finally:
        srv.stop()


def commands(srv, word):
    """How many times the server's log shows command `word`."""
    t = srv.log_text()
    if srv.kind == "proftpd":
        return t.count("cmd=%s " % word)
    return sum(1 for l in t.splitlines() if ("<- %s " % word) in l or
               l.endswith("<- %s" % word))


def log_lines(srv):
    return len(srv.log_text().splitlines())


def getx(path, name):
    return os.getxattr(path, name).decode()


@R.test
def proftpd_values():
    """Each algorithm equals the checksum of the file on disk; listxattr
    names the four; a directory has none."""
    files = {"a.txt": b"hello\n", "big.bin": os.urandom(3 * 2 ** 20 + 7),
             "sub/empty": b""}
    with served("proftpd", files, digest=True) as (srv, root, mp):
        with harness.mount(srv.url(), mp) as m:
            for name in files:
                for a in ALGOS:
                    got = getx(m.path(name), "user.checksum." + a)
                    want = local_sum(os.path.join(root, name), a)
                    if got != want:
                        raise HarnessError("%s %s: %s, want %s"
                                           % (name, a, got, want))
            names = sorted(os.listxattr(m.path("a.txt")))
            want = sorted("user.checksum." + a for a in ALGOS)
            if names != want:
                raise HarnessError("listxattr: %s, want %s" % (names, want))
            if os.listxattr(m.path("sub")):
                raise HarnessError("a directory lists %s"
                                   % os.listxattr(m.path("sub")))
            harness.expect_oserror(
                lambda: os.getxattr(m.path("sub"), "user.checksum.md5"),
                [errno.ENODATA], "getxattr of a directory")
            harness.expect_oserror(
                lambda: os.getxattr(m.path("nothere"), "user.checksum.md5"),
                [errno.ENOENT], "getxattr of a missing file")
            # both ways of asking were used: HASH (OPTS HASH first) and
            # nothing else needed
            if not commands(srv, "HASH"):
                raise HarnessError("no HASH command in the server's log")


@R.test
def other_names_no_round_trip():
    """security.selinux, system.posix_acl_access, user.other and an
    unknown checksum name: ENODATA, and the server hears nothing."""
    with served("proftpd", {"a.txt": b"x"}, digest=True) as (srv, root, mp):
        with harness.mount(srv.url(), mp) as m:
            os.stat(m.path("a.txt"))             # attributes cached
            time.sleep(0.5)
            before = log_lines(srv)
            for n in ("security.selinux", "system.posix_acl_access",
                      "user.other", "user.checksum.sha512",
                      "user.checksum."):
                harness.expect_oserror(
                    lambda: os.getxattr(m.path("a.txt"), n),
                    [errno.ENODATA], "getxattr %s" % n)
            time.sleep(0.5)
            after = log_lines(srv)
            if after != before:
                raise HarnessError("the server got %d commands for other "
                                   "names:\n%s" % (after - before, "\n".join(
                                       srv.log_text().splitlines()[before:])))


@R.test
def set_and_remove_refused():
    with served("proftpd", {"a.txt": b"x"}, digest=True) as (srv, root, mp):
        with harness.mount(srv.url(), mp) as m:
            harness.expect_oserror(
                lambda: os.setxattr(m.path("a.txt"), "user.checksum.md5",
                                    b"00"), [errno.ENOTSUP], "setxattr")
            harness.expect_oserror(
                lambda: os.setxattr(m.path("a.txt"), "user.x", b"00"),
                [errno.ENOTSUP], "setxattr user.x")
            harness.expect_oserror(
                lambda: os.removexattr(m.path("a.txt"), "user.checksum.md5"),
                [errno.ENOTSUP], "removexattr")


@R.test
def cached_until_changed():
    """Asked once while the file stays; a change on the server (another
    size) is asked again; a change through the mount too, even of the
    same size within the same second."""
    with served("proftpd", {"a.txt": b"one\n"}, digest=True) as (srv, root,
                                                                  mp):
        with harness.mount(srv.url(), mp, ["cache_timeout=0"]) as m:
            p = m.path("a.txt")
            first = getx(p, "user.checksum.sha1")
            n = commands(srv, "HASH")
            for _ in range(3):
                if getx(p, "user.checksum.sha1") != first:
                    raise HarnessError("the value changed by itself")
            if commands(srv, "HASH") != n:
                raise HarnessError("asked %d times more for an unchanged "
                                   "file" % (commands(srv, "HASH") - n))
            with open(os.path.join(root, "a.txt"), "wb") as f:
                f.write(b"changed on the server\n")
            want = local_sum(os.path.join(root, "a.txt"), "sha1")
            if getx(p, "user.checksum.sha1") != want:
                raise HarnessError("a file changed on the server shows the "
                                   "old checksum")
            with open(p, "wb") as f:
                f.write(b"CHANGED ON THE SERVER\n")   # same size
                f.flush()
                # not yet on the server: no value rather than the old one
                harness.expect_oserror(
                    lambda: os.getxattr(p, "user.checksum.sha1"),
                    [errno.EBUSY], "getxattr of a file being written")
            want = local_sum(os.path.join(root, "a.txt"), "sha1")
            if getx(p, "user.checksum.sha1") != want:
                raise HarnessError("a file changed through the mount shows "
                                   "the old checksum")


@R.test
def no_hash_server():
    """pyftpdlib offers no checksum: the mount has no extended attributes
    (ENOTSUP, nothing listed), so the kernel stops asking: `ls -l` and the
    writes of a `cp` send at most one GETXATTR through FUSE, not two per
    entry and one per write; and verify_upload is refused at mount with a
    message."""
    files = {"a.txt": b"x"}
    files.update(("f%02d" % i, b"y") for i in range(20))
    with served("pyftpdlib", files, user="u", password="p", writable=True) \
            as (srv, root, mp):
        with harness.mount(srv.url(), mp, ["debug"]) as m:
            try:
                names = os.listxattr(m.path("a.txt"))
            except OSError as e:
                if e.errno != errno.ENOTSUP:
                    raise
                names = []
            if names:
                raise HarnessError("listxattr: %s" % names)
            for a in ALGOS:
                harness.expect_oserror(
                    lambda: os.getxattr(m.path("a.txt"), "user.checksum." + a),
                    [errno.ENOTSUP], "getxattr %s" % a)
            harness.check_run(["ls", "-l", mp], what="ls -l")
            with open(m.path("new.bin"), "wb") as f:
                for _ in range(8):
                    f.write(b"z" * 131072)
                    f.flush()
            asked = [l for l in m.stderr(10 ** 7).splitlines()
                     if l.startswith("getxattr ")]
            if len(asked) > 1:
                raise HarnessError("%d GETXATTR requests reached ftpfs, "
                                   "e.g. %s" % (len(asked), asked[:3]))
        r = harness.run([harness.ftpfs_bin(), srv.url(), mp, "-f", "-o",
                         "verify_upload"], timeout=30, text=True)
        if r.returncode == 0 or "verify_upload" not in r.stderr or \
                "offers no checksum" not in r.stderr:
            raise HarnessError("verify_upload on a server without checksums:"
                               " rc=%s, stderr %r" % (r.returncode, r.stderr))
        if harness.is_fuse_mounted(mp):
            raise HarnessError("mounted anyway")


@R.test
def verify_upload_proftpd():
    """verify_upload with each algorithm: the upload (streamed and
    spooled) is checked with the server's checksum of the temporary and
    then saved."""
    data = os.urandom(2 * 2 ** 20 + 3)
    with served("proftpd", {"old": b"old\n"}, digest=True) as (srv, root,
                                                                mp):
        for a in ALGOS:
            n = commands(srv, "HASH")
            with harness.mount(srv.url(), mp, ["verify_upload=" + a]) as m:
                with open(m.path("new-" + a), "wb") as f:
                    f.write(data)
                with open(m.path("old"), "r+b") as f:    # spooled
                    f.seek(2)
                    f.write(a.encode())
            with open(os.path.join(root, "new-" + a), "rb") as f:
                if f.read() != data:
                    raise HarnessError("%s: the upload differs" % a)
            if commands(srv, "HASH") < n + 2:
                raise HarnessError("%s: %d HASH commands for 2 uploads"
                                   % (a, commands(srv, "HASH") - n))
        r = harness.run([harness.ftpfs_bin(), srv.url(), mp, "-f", "-o",
                         "verify_upload=sha512"], timeout=30, text=True)
        if r.returncode == 0 or "verify_upload" not in r.stderr:
            raise HarnessError("verify_upload=sha512: rc=%s, %r"
                               % (r.returncode, r.stderr))


@R.test
def verify_upload_mismatch():
    """A server whose HASH lies: close() fails with EIO, the old file is
    intact, a new file does not appear, no temporary is left; without
    verify_upload the same upload succeeds."""
    with served("pyftpdlib", {"keep.txt": b"old contents\n"}, user="u",
                password="p", hash="wrong") as (srv, root, mp):
        r = harness.run([harness.ftpfs_bin(), srv.url(), mp, "-f", "-o",
                         "verify_upload=md5"], timeout=30, text=True)
        if r.returncode == 0 or "md5" not in r.stderr:
            raise HarnessError("verify_upload=md5 with SHA-256 only: rc=%s "
                               "%r" % (r.returncode, r.stderr))
        with harness.mount(srv.url(), mp, ["verify_upload"]) as m:
            for name in ("keep.txt", "fresh.txt"):
                f = open(m.path(name), "wb")
                f.write(b"new contents\n" * 1000)
                harness.expect_oserror(f.close, [errno.EIO],
                                       "close of %s" % name)
            with open(os.path.join(root, "keep.txt"), "rb") as f:
                if f.read() != b"old contents\n":
                    raise HarnessError("the old file was replaced")
            left = sorted(os.listdir(root))
            if left != ["keep.txt"]:
                raise HarnessError("the served root has %s" % left)
            if "verify_upload" not in m.stderr():
                raise HarnessError("no log line about the mismatch")
        with harness.mount(srv.url(), mp) as m:
            with open(m.path("keep.txt"), "wb") as f:
                f.write(b"new\n")
        with open(os.path.join(root, "keep.txt"), "rb") as f:
            if f.read() != b"new\n":
                raise HarnessError("without verify_upload: not saved")


def setup(a, top):
    C.top = top


if __name__ == "__main__":
    sys.exit(harness.main(R, "ftpfs-xattr-", setup=setup,
                          needs=("pyftpdlib", "proftpd")))
