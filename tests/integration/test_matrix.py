"""The server matrix: one user-level suite run against every test server.

    /usr/bin/python3 -m pytest -q tests/integration/test_matrix.py
    /usr/bin/python3 -m pytest -q tests/integration/test_matrix.py -k proftpd
    FTPFS_MATRIX=proftpd-ftpes,inetutils python3 -m pytest -q ...

Configurations (CONFIGS): pyftpdlib with MLSD and with LIST (-o
disable_mlsd), vsftpd (writable anonymous, LIST), ProFTPD 1.3.8 with MLSD,
LIST (server side: MLST not advertised, MLSD/MLST refused), explicit FTPS
(ftpes://) and implicit FTPS (ftps://), Pure-FTPd 1.0.50 with MLSD, LIST
(-o disable_mlsd) and explicit FTPS, GNU inetutils ftpd 2.4 (LIST only).
ProFTPD, Pure-FTPd and inetutils ftpd are Debian packages unpacked (not
installed) by tests/servers/unpack.sh; a daemon that is not there makes its
tests fail, not skip.

Each configuration gets one server and one mount (module-scoped fixture),
each check its own directory below the served one, made on disk before the
check first looks at it; every check compares the mount with the served
directory on disk.  Where a server cannot do something, CAPS says what it
can, and the check asserts the behaviour documented for that case (README:
chmod/touch without SITE CHMOD/MFMT fail with EPERM) instead of skipping.

KNOWN_FAILURES lists (config, check) pairs that fail today because of ftpfs
defects; they run as xfail(strict=True): when one is fixed its entry must be
removed (an unexpected pass fails the run).  FLAKY_KNOWN_FAILURES: the same
for defects that fail a check only sometimes (strict=False).

    python3 -m pytest -q tests/integration/test_matrix.py --junitxml=m.xml
    python3 tests/integration/matrix_table.py m.xml --errors
"""

import errno
import os
import re
import stat
import subprocess
import sys
import tempfile
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

# --- known ftpfs defects (remove an entry when its fix lands) --------------
# (config, check) -> reason; run as xfail(strict=True): a check that starts
# passing fails the run until its entry is removed.  Every entry failed in
# each of four full runs (one under ASan) against ftpfs 0e96be7 (the
# write_new_file entries of pyftpdlib and Pure-FTPd: in two runs).  Print
# the table with tests/integration/matrix_table.py.  The defects:
#   D1 MLSD symlinks (ProFTPD, Pure-FTPd): readlink EIO
#   D2 LIST-only servers: old files at midnight, times to the minute
#   D3 LIST-only servers: mount root mtime 1970 / size 0
#   D4 echo x > newfile uploads twice
#   D5 ProFTPD + TLS 1.3: data connections without session reuse (425)
#   D6 ln -s ENOSYS although ProFTPD has SITE SYMLINK
#   D7 550 on an existing unreadable name gives ENOENT, not EACCES
#   D8 a file the server does not let you write is replaced anyway (temp +
#      rename over it); D8b refused APPE gives EIO
#   D9 (flaky, below) unmount waits for Pure-FTPd's reply to ABOR
KNOWN_FAILURES = {
}

# ProFTPD+TLS (D5) refuses about a third of the data connections, not always
# the same ones: these checks (a few data connections each) failed in some
# runs and passed in others, so they are xfail(strict=False) -- remove them
# with D5's fix.  (small_files_500 and write_rsync, with many uploads, fail
# every time and are strict above.)
FLAKY_KNOWN_FAILURES = {
}

# --- configurations --------------------------------------------------------
# kind: harness server kind; knobs: start_server knobs; opts: extra ftpfs -o;
# sub: the served directory relative to the server root (vsftpd: the
# writable "pub"); caps: what the server can do (see check functions).
BASE_CAPS = {
    "mlsd": True,          # listings come from MLSD (else LIST)
    "chmod": True,         # SITE CHMOD
    "settime": True,       # MFMT (or MDTM write form)
    "symlink": False,      # SITE SYMLINK (ln -s)
    "quota": False,        # a quota can be configured (Pure-FTPd -n)
    # the launcher knob that limits connections per client address (vsftpd
    # max_per_ip and Pure-FTPd -C answer 421, ProFTPD MaxClientsPerHost 530
    # after PASS; pyftpd.py --max-cons 421); None: no limit to set
    "limit": "max_per_host",
    "tls": False,          # FTPS
    "perms": True,         # the sessions are not root: mode 000/444 bite
    "tls_log": False,      # ProFTPD TLSLog in the server log
    "links": "show",       # symlinks listed as links ("follow": as targets)
    "dirtime": True,       # MFMT works on directories too
}


def _cfg(name, kind, knobs=None, opts=(), sub="", **caps):
    c = dict(BASE_CAPS)
    c.update(caps)
    return {"name": name, "kind": kind, "knobs": knobs or {},
            "opts": list(opts), "sub": sub, "caps": c}


CONFIGS = [
    # pyftpdlib runs in the test's process uid (root in CI): mode 000/444 do
    # not stop it; its --readonly-subdir makes "readonly/" unwritable instead.
    # Its MLSD follows symlinks (a link is listed as its target's type); its
    # MFMT refuses directories ("550 ... is not retrievable")
    _cfg("pyftpdlib-mlsd", "pyftpdlib",
         {"user": "u", "password": "p", "readonly_subdir": "readonly"},
         perms=False, links="follow", dirtime=False, limit="max_cons"),
    _cfg("pyftpdlib-list", "pyftpdlib",
         {"user": "u", "password": "p", "readonly_subdir": "readonly"},
         opts=["disable_mlsd"], mlsd=False, perms=False, dirtime=False,
         limit="max_cons"),
    # anonymous sessions never get SITE CHMOD ("550 Permission denied.")
    # its MDTM write form sets files' times, not directories'
    _cfg("vsftpd", "vsftpd", {"writable": True}, sub="pub", mlsd=False,
         chmod=False, dirtime=False),
    _cfg("proftpd-mlsd", "proftpd", symlink=True),
    # FactsAdvertise off also leaves MFMT out of FEAT: no settable times
    _cfg("proftpd-list", "proftpd", {"no_mlsd": True}, mlsd=False,
         symlink=True, settime=False),
    _cfg("proftpd-ftpes", "proftpd", {"tls": "explicit"}, opts=["no_verify"],
         symlink=True, tls=True, tls_log=True),
    _cfg("proftpd-ftps", "proftpd", {"tls": "implicit"}, opts=["no_verify"],
         symlink=True, tls=True, tls_log=True),
    _cfg("pureftpd-mlsd", "pureftpd", quota=True),
    _cfg("pureftpd-list", "pureftpd", opts=["disable_mlsd"], mlsd=False,
         quota=True),
    _cfg("pureftpd-ftpes", "pureftpd", {"tls": "explicit"},
         opts=["no_verify"], tls=True),
    # LIST only, no MFMT / MDTM write form
    _cfg("inetutils", "inetutils", mlsd=False, settime=False, limit=None),
]

_only = os.environ.get("FTPFS_MATRIX")
if _only:
    CONFIGS = [c for c in CONFIGS if c["name"] in _only.split(",")]

CHECK_TIMEOUT = float(os.environ.get("FTPFS_TEST_TIMEOUT", 120))


# --- fixtures --------------------------------------------------------------

class Env:
    """One configuration: server, mount, served dir.  setups: name ->
    fn(env, dir), the checks' directories to make and fill before the mount
    (default SETUPS; test_programs.py passes its own)."""

    def __init__(self, cfg, setups=None):
        self.cfg = cfg
        self.setups = SETUPS if setups is None else setups
        self.name = cfg["name"]
        self.caps = cfg["caps"]
        self.top = tempfile.mkdtemp(prefix="ftpfs-mx-",
                                    dir=harness.fast_tmpdir())
        os.chmod(self.top, 0o755)
        self.root = os.path.join(self.top, "root")
        os.mkdir(self.root, 0o755)
        self.served = os.path.join(self.root, cfg["sub"]) if cfg["sub"] \
            else self.root
        os.makedirs(self.served, exist_ok=True)
        os.makedirs(os.path.join(self.served, "readonly"), exist_ok=True)
        self.local = os.path.join(self.top, "local")
        os.mkdir(self.local)
        self.mnt = os.path.join(self.top, "mnt")
        os.mkdir(self.mnt)
        self.server = self.mount = None
        self.extra = []   # (server, mount) of checks with their own server

    def start(self):
        self.server = harness.start_server(self.cfg["kind"], self.root,
                                           **self.cfg["knobs"])
        self.uid, self.gid = self.server.run_ids()
        self.own(self.served)
        if self.cfg["kind"] == "vsftpd":
            os.chown(self.root, 0, 0)
        os.chown(os.path.join(self.served, "readonly"), 0, 0)
        os.chmod(os.path.join(self.served, "readonly"), 0o755)
        # every check's directory and files are made before the mount:
        # ftpfs caches listings, so a directory made on disk after the mount
        # listed its parent would not show (by design) until the cache expires
        for name, fn in self.setups.items():
            d = self.disk(name)
            os.mkdir(d, 0o755)
            os.chown(d, self.uid, self.gid)
            fn(self, d)
        url = self.server.url("/" + self.cfg["sub"] if self.cfg["sub"]
                              else "/")
        self.mount = harness.mount(url, self.mnt, self.cfg["opts"])

    def own(self, path):
        """chown -R path to the server's session user."""
        os.chown(path, self.uid, self.gid)
        for dp, dns, fns in os.walk(path):
            for n in dns + fns:
                os.lchown(os.path.join(dp, n), self.uid, self.gid)

    def disk(self, *p):
        return os.path.join(self.served, *p)

    def m(self, *p):
        return os.path.join(self.mnt, *p)

    def mkcheck(self, name):
        """The check's directory on disk (made, and filled by its SETUPS
        function, before the mount)."""
        return self.disk(name)

    def log(self):
        return self.server.log_text() if self.server else ""

    def close(self):
        problems = []
        for label, srv, mnt in [("quota " + s.kind, s, m)
                                for s, m in self.extra] + \
                [(self.name, self.server, self.mount)]:
            for what in (mnt, srv):
                if what is None:
                    continue
                try:
                    (what.unmount if what is mnt else what.stop)()
                except Exception as e:
                    problems.append("%s %s (%s): %s" % (
                        label, "mount" if what is mnt else "server",
                        getattr(what, "url", "") if what is mnt else
                        what.kind, e))
        self.extra = []
        self.server = self.mount = None
        harness.safe_rmtree(self.top)
        return problems


UNPACKED = {"proftpd": "proftpd", "pureftpd": "pure-ftpd",
            "inetutils": "inetutils-ftpd"}
_unpack_tried = []


def ensure_unpacked(kind):
    """The daemons not installed system-wide: run tests/servers/unpack.sh
    once if their tree is missing (scripts/test.sh has run it already).
    A daemon that cannot be unpacked fails its tests."""
    if kind not in UNPACKED:
        return
    sys.path.insert(0, harness.SERVERS)
    import daemonlib
    if daemonlib.tree(UNPACKED[kind]) is None and not _unpack_tried:
        _unpack_tried.append(True)
        r = subprocess.run(["bash", os.path.join(harness.SERVERS, "unpack.sh"),
                            daemonlib.daemons_dir()], capture_output=True,
                           text=True, timeout=600)
        if r.returncode != 0:
            print(r.stderr[-2000:], file=sys.stderr)
    if daemonlib.tree(UNPACKED[kind]) is None:
        pytest.fail("%s is not unpacked in %s and tests/servers/unpack.sh "
                    "could not do it" % (kind, daemonlib.daemons_dir()))


def open_env(cfg, setups=None):
    """Server and mount of one configuration, started (Env.close() ends
    them); fails the test where they cannot run."""
    why = harness.skip_reason([cfg["kind"]])
    if why:
        pytest.fail("cannot run: %s" % why)
    ensure_unpacked(cfg["kind"])
    e = Env(cfg, setups)
    try:
        e.start()
    except Exception:
        e.close()
        raise
    return e


@pytest.fixture(scope="module", params=CONFIGS, ids=[c["name"] for c in CONFIGS])
def env(request):
    e = open_env(request.param)
    yield e
    e.close()


@pytest.fixture(autouse=True)
def _known_and_watchdog(request):
    """xfail(strict) for KNOWN_FAILURES; a watchdog that kills ftpfs when a
    check hangs on the mount (the check then fails, later ones say so)."""
    cfg = request.node.callspec.params.get("env") if hasattr(
        request.node, "callspec") else None
    check = request.node.originalname
    if check.startswith("test_"):
        check = check[5:]
    if cfg is not None:
        reason = KNOWN_FAILURES.get((cfg["name"], check))
        if reason:
            request.node.add_marker(pytest.mark.xfail(strict=True,
                                                      reason=reason))
        reason = FLAKY_KNOWN_FAILURES.get((cfg["name"], check))
        if reason:
            request.node.add_marker(pytest.mark.xfail(strict=False,
                                                      reason=reason))
    if "env" not in request.fixturenames:
        yield
        return
    e = request.getfixturevalue("env")
    if e.mount is not None and not e.mount.alive():
        pytest.fail("not run: ftpfs is not running any more (rc=%s)"
                    % e.mount.proc.returncode)
    done = threading.Event()
    fired = []

    def watchdog():
        if not done.wait(CHECK_TIMEOUT):
            fired.append(True)
            for m in [e.mount] + [m for _, m in e.extra]:
                if m is not None:
                    m.watchdog_kill()
    w = threading.Thread(target=watchdog, daemon=True)
    w.start()
    yield
    done.set()
    w.join()
    if fired:
        pytest.fail("watchdog: check exceeded %ds, ftpfs killed"
                    % CHECK_TIMEOUT)


# --- helpers ---------------------------------------------------------------

def sh(cmd, timeout=120, **kw):
    """Run a shell command; CompletedProcess with text output."""
    try:
        return subprocess.run(["sh", "-c", cmd], capture_output=True,
                              text=True, timeout=timeout,
                              errors="surrogateescape", **kw)
    except subprocess.TimeoutExpired:
        raise AssertionError("timed out after %ds: %s" % (timeout, cmd))


def ok(cmd, timeout=120):
    r = sh(cmd, timeout)
    assert r.returncode == 0, "%s: exit %d: %s%s" % (
        cmd, r.returncode, r.stdout[-1500:], r.stderr[-1500:])
    return r.stdout


def q(p):
    return "'" + p.replace("'", "'\\''") + "'"


def diff(a, b):
    r = sh("LC_ALL=C diff -r %s %s" % (q(a), q(b)), timeout=300)
    assert r.returncode == 0, "diff -r %s %s: exit %d\n%s%s" % (
        a, b, r.returncode, r.stdout[-3000:], r.stderr[-1000:])


def read(p, mode="rb"):
    with open(p, mode) as f:
        return f.read()


def write_disk(e, path, data, mode=0o644):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    os.chown(path, e.uid, e.gid)


def want_errno(fn, allowed, what):
    try:
        fn()
    except OSError as ex:
        assert ex.errno in allowed, "%s: got %s (%s), want %s" % (
            what, errno.errorcode.get(ex.errno, ex.errno), ex.strerror,
            "/".join(errno.errorcode[a] for a in allowed))
        return ex.errno
    raise AssertionError("%s: succeeded, want %s" % (
        what, "/".join(errno.errorcode[a] for a in allowed)))


def put(path, data, flags=os.O_WRONLY | os.O_CREAT | os.O_TRUNC):
    """open/write/close as one operation (errors from close count)."""
    fd = os.open(path, flags, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def settle(pred, timeout=3.0):
    """The mount may show a server-side result a little later (caches)."""
    deadline = time.time() + timeout
    while True:
        if pred():
            return True
        if time.time() > deadline:
            return False
        time.sleep(0.1)


SETUPS = {}


def _nothing(env, d):
    pass


for _n in ("w_cp", "w_new", "w_mkdir", "w_rsync", "tls500", "quota"):
    SETUPS[_n] = _nothing


def setup(name):
    """Register fn(env, dir) to fill the check's directory before mounting."""
    def deco(fn):
        SETUPS[name] = fn
        return fn
    return deco


# --- checks: reading -------------------------------------------------------

ODD_NAMES = ["with space", "hash#1", "what?", "pct%20x", "percent%",
             "\u00fcml\u00e4ut \u00f1 \u65e5\u672c", " leading", "trailing ",
             "semi;colon", "amp&", "quote'd", "brack[1]", "star*",
             "-dash", "dot.", "..dots"]


@setup("odd_names")
def _setup_odd_names(env, d):
    for i, n in enumerate(ODD_NAMES):
        write_disk(env, os.path.join(d, n), ("%d %s\n" % (i, n)).encode())
    sub = os.path.join(d, "dir with #?% \u00e9")
    os.mkdir(sub)
    for n in ODD_NAMES[:6]:
        write_disk(env, os.path.join(sub, n), n.encode())
    env.own(d)


def test_odd_names(env):
    d = env.mkcheck("odd_names")
    assert sorted(os.listdir(env.m("odd_names"))) == sorted(os.listdir(d))
    diff(env.m("odd_names"), d)


BIG_NAMES = ["entry-%04d-%s" % (i, "x" * (i % 37)) for i in range(3000)]


@setup("big_dir")
def _setup_big_dir(env, d):
    for n in BIG_NAMES:
        open(os.path.join(d, n), "w").close()
    env.own(d)


def test_big_dir(env):
    names = BIG_NAMES
    got = os.listdir(env.m("big_dir"))
    missing = set(names) - set(got)
    extra = set(got) - set(names)
    assert not missing and not extra and len(got) == 3000, \
        "listed %d of 3000; missing %d (e.g. %s), extra %s" % (
            len(got), len(missing), sorted(missing)[:3], sorted(extra)[:3])
    out = ok("ls -la %s | wc -l" % q(env.m("big_dir")))
    assert int(out) >= 3001


@setup("symlinks")
def _setup_symlinks(env, d):
    write_disk(env, os.path.join(d, "target.txt"), b"through the link\n")
    os.mkdir(os.path.join(d, "targetdir"))
    write_disk(env, os.path.join(d, "targetdir", "inner.txt"), b"inner\n")
    os.symlink("target.txt", os.path.join(d, "link-file"))
    os.symlink("targetdir", os.path.join(d, "link-dir"))
    env.own(d)


def test_symlinks(env):
    m = env.m("symlinks")
    r = sh("ls -la %s" % q(m))
    assert r.returncode == 0, "ls -la: exit %d: %s" % (r.returncode, r.stderr)
    if env.caps["links"] == "follow":
        # the server shows a link as what it points to
        assert read(os.path.join(m, "link-file")) == b"through the link\n"
        assert stat.S_ISREG(os.lstat(os.path.join(m, "link-file")).st_mode)
        assert os.listdir(os.path.join(m, "link-dir")) == ["inner.txt"]
        assert read(os.path.join(m, "link-dir", "inner.txt")) == b"inner\n"
        return
    assert os.readlink(os.path.join(m, "link-file")) == "target.txt"
    assert os.readlink(os.path.join(m, "link-dir")) == "targetdir"
    assert read(os.path.join(m, "link-file")) == b"through the link\n"
    assert os.listdir(os.path.join(m, "link-dir")) == ["inner.txt"]
    assert read(os.path.join(m, "link-dir", "inner.txt")) == b"inner\n"
    assert stat.S_ISLNK(os.lstat(os.path.join(m, "link-file")).st_mode)


SPARSE_SIZE = 5 * 2 ** 30
SPARSE_OFF = 4 * 2 ** 30 + 12345 * 4096
SPARSE_MARK = b"ABOVE-4-GIB-----" * 256  # 4096 bytes


@setup("sparse")
def _setup_sparse(env, d):
    with open(os.path.join(d, "big.img"), "wb") as f:
        f.truncate(SPARSE_SIZE)
        f.seek(SPARSE_OFF)
        f.write(SPARSE_MARK)
    env.own(d)


def test_sparse_5g(env):
    size, off, marker = SPARSE_SIZE, SPARSE_OFF, SPARSE_MARK
    mp = env.m("sparse", "big.img")
    assert os.stat(mp).st_size == size
    r = subprocess.run(["dd", "if=" + mp, "bs=4096", "skip=%d" % (off // 4096),
                        "count=1", "status=none"], capture_output=True,
                       timeout=120)
    assert r.returncode == 0, "dd: %s" % r.stderr
    assert r.stdout == marker[:4096], "dd skip above 4 GiB read %r..." % (
        r.stdout[:40],)
    with open(mp, "rb") as f:
        f.seek(size - 4096)
        assert f.read(8192) == b"\0" * 4096


OLD_T = 1577934245  # 2020-01-02 03:04:05 UTC


@setup("old_mtime")
def _setup_old_mtime(env, d):
    p = os.path.join(d, "old.txt")
    write_disk(env, p, b"old\n")
    os.utime(p, (OLD_T, OLD_T))
    recent = os.path.join(d, "recent.txt")
    write_disk(env, recent, b"new\n")
    rt = int(time.time()) - 3600 + 17
    os.utime(recent, (rt, rt))


def test_old_mtime(env):
    """A file last changed years ago: its time to the second (LIST shows
    only the day for it; MDTM has the rest)."""
    t = OLD_T
    rt = int(os.stat(os.path.join(env.disk("old_mtime"),
                                  "recent.txt")).st_mtime)
    got = os.stat(env.m("old_mtime", "old.txt")).st_mtime
    assert got == t, "old file mtime %s, disk %s (%s)" % (
        time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(got)),
        time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)),
        "midnight: the LIST date only" if got % 86400 == 0 else "")
    got = os.stat(env.m("old_mtime", "recent.txt")).st_mtime
    if not env.caps["mlsd"]:
        # LIST gives a recent file's time to the minute ("Dec  2 00:31")
        rt -= rt % 60
    assert got == rt, "recent file mtime %s, disk %s" % (got, rt)


def test_root_stat(env):
    """The mount root has the served directory's time, not 1970."""
    st = os.stat(env.mnt)
    dst = os.stat(env.served)
    assert stat.S_ISDIR(st.st_mode)
    assert abs(st.st_mtime - dst.st_mtime) <= 86400 * 2, \
        "mount root mtime %s, served dir %s" % (
            time.strftime("%Y-%m-%d %H:%M", time.gmtime(st.st_mtime)),
            time.strftime("%Y-%m-%d %H:%M", time.gmtime(dst.st_mtime)))


# --- checks: writing -------------------------------------------------------

def test_write_cp(env):
    d = env.mkcheck("w_cp")
    src = os.path.join(env.local, "cp-src.bin")
    with open(src, "wb") as f:
        f.write(os.urandom(3 * 2 ** 20 + 17))
    ok("cp %s %s" % (q(src), q(env.m("w_cp", "copy.bin"))))
    assert read(os.path.join(d, "copy.bin")) == read(src)
    assert read(env.m("w_cp", "copy.bin")) == read(src)


def test_write_new_file(env):
    """echo x > newfile: one new file with the content, nothing else left."""
    d = env.mkcheck("w_new")
    log0 = len(env.log())
    ok("echo hello > %s" % q(env.m("w_new", "new.txt")))
    assert read(os.path.join(d, "new.txt")) == b"hello\n"
    assert os.listdir(d) == ["new.txt"], os.listdir(d)
    # the upload went to the server once (ProFTPD's, vsftpd's and
    # pyftpdlib's logs have every command, Pure-FTPd's -O log every upload;
    # inetutils ftpd logs to syslog only)
    stors = [l for l in env.log()[log0:].splitlines()
             if "cmd=STOR" in l or '"STOR ' in l or "<- STOR " in l
             or "]created " in l]
    if env.cfg["kind"] != "inetutils":
        assert len(stors) == 1, "echo > newfile: %d STOR commands:\n%s" % (
            len(stors), "\n".join(stors))


@setup("w_append")
def _setup_w_append(env, d):
    write_disk(env, os.path.join(d, "log.txt"), b"one\n")


def test_write_append(env):
    d = env.mkcheck("w_append")
    ok("echo two >> %s" % q(env.m("w_append", "log.txt")))
    ok("echo three >> %s" % q(env.m("w_append", "log.txt")))
    assert read(os.path.join(d, "log.txt")) == b"one\ntwo\nthree\n"
    assert read(env.m("w_append", "log.txt")) == b"one\ntwo\nthree\n"


DD_ORIG = bytes(range(256)) * 4096  # 1 MiB


@setup("w_dd")
def _setup_w_dd(env, d):
    write_disk(env, os.path.join(d, "img"), DD_ORIG)


def test_write_dd_notrunc(env):
    d = env.mkcheck("w_dd")
    orig = DD_ORIG
    patch = os.path.join(env.local, "patch")
    with open(patch, "wb") as f:
        f.write(b"P" * 5000)
    ok("dd if=%s of=%s bs=1000 seek=300 conv=notrunc status=none" % (
        q(patch), q(env.m("w_dd", "img"))))
    want = orig[:300000] + b"P" * 5000 + orig[305000:]
    assert read(os.path.join(d, "img")) == want
    assert read(env.m("w_dd", "img")) == want


@setup("w_trunc")
def _setup_w_trunc(env, d):
    write_disk(env, os.path.join(d, "a"), b"x" * 10000)
    write_disk(env, os.path.join(d, "b"), b"y" * 100)


def test_write_truncate(env):
    d = env.mkcheck("w_trunc")
    ok("truncate -s 1234 %s" % q(env.m("w_trunc", "a")))
    ok("truncate -s 0 %s" % q(env.m("w_trunc", "b")))
    ok("truncate -s 300 %s" % q(env.m("w_trunc", "c")))
    assert read(os.path.join(d, "a")) == b"x" * 1234
    assert read(os.path.join(d, "b")) == b""
    assert read(os.path.join(d, "c")) == b"\0" * 300
    assert os.stat(env.m("w_trunc", "a")).st_size == 1234


@setup("w_mv")
def _setup_w_mv(env, d):
    write_disk(env, os.path.join(d, "src"), b"new content\n")
    write_disk(env, os.path.join(d, "dst"), b"old content that is longer\n")


def test_write_mv_file(env):
    d = env.mkcheck("w_mv")
    ok("mv %s %s" % (q(env.m("w_mv", "src")), q(env.m("w_mv", "dst"))))
    assert sorted(os.listdir(d)) == ["dst"]
    assert read(os.path.join(d, "dst")) == b"new content\n"
    assert read(env.m("w_mv", "dst")) == b"new content\n"
    assert sorted(os.listdir(env.m("w_mv"))) == ["dst"]


@setup("w_mvdir")
def _setup_w_mvdir(env, d):
    os.makedirs(os.path.join(d, "a", "deep"))
    write_disk(env, os.path.join(d, "a", "deep", "f"), b"f\n")
    env.own(d)


def test_write_mv_dir(env):
    d = env.mkcheck("w_mvdir")
    ok("mv %s %s" % (q(env.m("w_mvdir", "a")), q(env.m("w_mvdir", "b"))))
    assert sorted(os.listdir(d)) == ["b"]
    assert read(env.m("w_mvdir", "b", "deep", "f")) == b"f\n"
    assert not os.path.exists(env.m("w_mvdir", "a"))


def test_write_mkdir_p(env):
    d = env.mkcheck("w_mkdir")
    ok("mkdir -p %s" % q(env.m("w_mkdir", "x", "y", "z")))
    assert os.path.isdir(os.path.join(d, "x", "y", "z"))
    assert os.path.isdir(env.m("w_mkdir", "x", "y", "z"))


@setup("w_rmdir")
def _setup_w_rmdir(env, d):
    os.mkdir(os.path.join(d, "full"))
    write_disk(env, os.path.join(d, "full", "f"), b"f")
    os.mkdir(os.path.join(d, "empty"))
    env.own(d)


def test_write_rmdir_notempty(env):
    d = env.mkcheck("w_rmdir")
    want_errno(lambda: os.rmdir(env.m("w_rmdir", "full")),
               (errno.ENOTEMPTY,), "rmdir of a non-empty directory")
    assert os.path.isfile(os.path.join(d, "full", "f"))
    os.rmdir(env.m("w_rmdir", "empty"))
    assert not os.path.exists(os.path.join(d, "empty"))


@setup("w_rm")
def _setup_w_rm(env, d):
    write_disk(env, os.path.join(d, "f"), b"gone")


def test_write_rm(env):
    d = env.mkcheck("w_rm")
    ok("rm %s" % q(env.m("w_rm", "f")))
    assert os.listdir(d) == []
    assert not os.path.exists(env.m("w_rm", "f"))
    want_errno(lambda: os.unlink(env.m("w_rm", "f")), (errno.ENOENT,),
               "rm of a removed file")


@setup("w_chmod")
def _setup_w_chmod(env, d):
    write_disk(env, os.path.join(d, "f"), b"f", 0o644)


def test_write_chmod(env):
    d = env.mkcheck("w_chmod")
    if env.caps["chmod"]:
        os.chmod(env.m("w_chmod", "f"), 0o600)
        assert stat.S_IMODE(os.stat(os.path.join(d, "f")).st_mode) == 0o600
        assert settle(lambda: stat.S_IMODE(
            os.stat(env.m("w_chmod", "f")).st_mode) == 0o600)
    else:
        # README: without SITE CHMOD, chmod fails with EPERM
        want_errno(lambda: os.chmod(env.m("w_chmod", "f"), 0o600),
                   (errno.EPERM,), "chmod without SITE CHMOD")
        assert stat.S_IMODE(os.stat(os.path.join(d, "f")).st_mode) == 0o644


@setup("w_touch")
def _setup_w_touch(env, d):
    write_disk(env, os.path.join(d, "f"), b"f")


def test_write_touch_d(env):
    d = env.mkcheck("w_touch")
    t = 1262401445  # 2010-01-02 03:04:05 UTC
    cmd = "TZ=UTC touch -d '2010-01-02 03:04:05' %s" % q(env.m("w_touch", "f"))
    if env.caps["settime"]:
        ok(cmd)
        assert os.stat(os.path.join(d, "f")).st_mtime == t
        assert settle(lambda: os.stat(env.m("w_touch", "f")).st_mtime == t), \
            "mount shows %s" % os.stat(env.m("w_touch", "f")).st_mtime
    else:
        # README: without MFMT (or the MDTM write form) touch fails, EPERM
        r = sh(cmd)
        assert r.returncode != 0 and "Operation not permitted" in r.stderr, \
            "touch -d without MFMT: exit %d %s" % (r.returncode, r.stderr)
        assert os.stat(os.path.join(d, "f")).st_mtime != t


@setup("w_sed")
def _setup_w_sed(env, d):
    write_disk(env, os.path.join(d, "conf"), b"a=1\nb=2\nc=3\n")


def test_write_sed_i(env):
    d = env.mkcheck("w_sed")
    cmd = "sed -i 's/b=2/b=22/' %s" % q(env.m("w_sed", "conf"))
    # sed copies the file's mode onto its temporary (fchmod): the mode it
    # already has, so it works without SITE CHMOD too
    ok(cmd)
    assert read(os.path.join(d, "conf")) == b"a=1\nb=22\nc=3\n"
    assert os.listdir(d) == ["conf"], os.listdir(d)


def test_write_rsync(env):
    """rsync -a twice (as a non-root user would: no owner/group); the second
    run has nothing to send (on LIST servers with --modify-window=60: LIST
    shows recent times to the minute)."""
    d = env.mkcheck("w_rsync")
    src = os.path.join(env.local, "rsync-src")
    os.makedirs(os.path.join(src, "sub", "deeper"))
    for i in range(20):
        with open(os.path.join(src, "sub" if i % 2 else "", "f%d" % i),
                  "wb") as f:
            f.write(os.urandom(100 * i + 1))
    with open(os.path.join(src, "sub", "deeper", "g"), "w") as f:
        f.write("g\n")
    old = time.time() - 86400 * 400 + 7
    os.utime(os.path.join(src, "f0"), (old, old))
    dst = env.m("w_rsync") + "/"
    cmd = "rsync -a --no-owner --no-group %s/ %s" % (q(src), q(dst))
    # rsync copies each file's mode onto its temporary: the server's
    # default 0644 here, so no SITE CHMOD is needed (a chmod to the mode a
    # file already has succeeds without asking)
    if not env.caps["settime"]:
        # no MFMT: the files arrive, setting their times fails (EPERM):
        # rsync exits 23 ("some files/attrs were not transferred")
        r = sh(cmd, 300)
        assert r.returncode == 23 and "failed to set times" in r.stderr, \
            "rsync -a without MFMT: exit %d %r" % (r.returncode,
                                                   r.stderr[-500:])
        diff(src, d)
        return
    # MFMT of files only (not env.caps["dirtime"]): a refused directory
    # time is not an error (README), so rsync exits 0 there too
    ok(cmd, 300)
    diff(src, os.path.join(d))
    # LIST gives recent times to the minute: there rsync is told so
    window = "" if env.caps["mlsd"] else "--modify-window=60 "
    r = sh("rsync -a --no-owner --no-group --itemize-changes %s%s/ %s"
           % (window, q(src), q(dst)), 300)
    assert r.returncode == 0, \
        "second rsync -a: exit %d %s" % (r.returncode, r.stderr[-500:])
    out = r.stdout
    sent = [l for l in out.splitlines() if l.startswith(("<", ">", "c"))]
    assert not sent, "second rsync -a transferred again:\n" + "\n".join(
        sent[:20])
    diff(src, d)


# an editor's save: write a temporary next to the file, rename it over
@setup("w_editor")
def _setup_w_editor(env, d):
    write_disk(env, os.path.join(d, "doc.txt"), b"version 1\n")


def test_write_editor_save(env):
    d = env.mkcheck("w_editor")
    tmp = env.m("w_editor", ".doc.txt.swp")
    put(tmp, b"version 2, longer\n")
    os.rename(tmp, env.m("w_editor", "doc.txt"))
    assert sorted(os.listdir(d)) == ["doc.txt"]
    assert read(os.path.join(d, "doc.txt")) == b"version 2, longer\n"
    assert read(env.m("w_editor", "doc.txt")) == b"version 2, longer\n"


@setup("w_ln")
def _setup_w_ln(env, d):
    write_disk(env, os.path.join(d, "t"), b"t\n")


def test_write_ln_s(env):
    d = env.mkcheck("w_ln")
    link = env.m("w_ln", "l")
    if env.caps["symlink"]:
        os.symlink("t", link)
        # ProFTPD's SITE SYMLINK stores the source as an absolute path of
        # its own namespace; the mount shows it relative again
        on_disk = os.readlink(os.path.join(d, "l"))
        assert on_disk in ("t", "/w_ln/t"), on_disk
        assert os.readlink(link) == "t"
        assert read(link) == read(os.path.join(d, "t"))
    else:
        # no SITE SYMLINK: the link cannot be made (EPERM, as chmod/touch
        # without server support; ENOSYS is also taken)
        want_errno(lambda: os.symlink("t", link), (errno.EPERM, errno.ENOSYS),
                   "ln -s without SITE SYMLINK")
        assert os.listdir(d) == ["t"]


# --- checks: permissions ---------------------------------------------------

@setup("unreadable")
def _setup_unreadable(env, d):
    write_disk(env, os.path.join(d, "secret"), b"secret\n", 0o000)
    os.mkdir(os.path.join(d, "closed"))
    write_disk(env, os.path.join(d, "closed", "inside"), b"x")
    os.chown(os.path.join(d, "closed"), env.uid, env.gid)
    os.chmod(os.path.join(d, "closed"), 0o000)


def test_unreadable(env):
    """Mode 000 on the server: cat gives EACCES, ls of the dir EACCES."""
    d = env.mkcheck("unreadable")
    try:
        if not env.caps["perms"]:
            # the server runs as root: mode 000 does not stop it
            assert read(env.m("unreadable", "secret")) == b"secret\n"
            assert os.listdir(env.m("unreadable", "closed")) == ["inside"]
            return
        problems = []
        r = sh("cat %s" % q(env.m("unreadable", "secret")))
        if r.returncode == 0 or "Permission denied" not in r.stderr:
            problems.append("cat of a mode-000 file: exit %d, %r" % (
                r.returncode, r.stderr.strip()))
        r = sh("ls %s" % q(env.m("unreadable", "closed")))
        if r.returncode == 0 or "Permission denied" not in r.stderr:
            problems.append("ls of a mode-000 dir: exit %d, %r %r" % (
                r.returncode, r.stderr.strip(), r.stdout.strip()))
        assert not problems, "; ".join(problems)
    finally:
        os.chmod(os.path.join(d, "closed"), 0o755)


@setup("readonly_file")
def _setup_readonly_file(env, d):
    if not env.caps["perms"]:
        d = env.disk("readonly")
    p = os.path.join(d, "ro.txt")
    with open(p, "wb") as f:
        f.write(b"original\n")
    os.chown(p, 0, 0)
    os.chmod(p, 0o444)


def test_readonly_file(env):
    """A file the session user cannot write (444, owned by root; for
    pyftpdlib, which runs as root, in its --readonly-subdir): > and >> give
    EACCES and leave it untouched."""
    rel = "readonly_file" if env.caps["perms"] else "readonly"
    d = env.disk(rel)
    p = os.path.join(d, "ro.txt")
    mp = env.m(rel, "ro.txt")
    assert read(mp) == b"original\n"
    problems = []
    for op in (">", ">>"):
        r = sh("echo x %s %s" % (op, q(mp)))
        if r.returncode == 0 or "Permission denied" not in r.stderr:
            problems.append("echo x %s read-only file: exit %d %r" % (
                op, r.returncode, r.stderr.strip()))
        if read(p) != b"original\n":
            problems.append("after %s the file on the server is %r" % (
                op, read(p)))
        # the second attempt right after the first: the same answer
        r2 = sh("echo x %s %s" % (op, q(mp)))
        if r2.returncode == 0 or "Permission denied" not in r2.stderr:
            problems.append("again echo x %s: exit %d %r" % (
                op, r2.returncode, r2.stderr.strip()))
    if sorted(os.listdir(d)) != ["ro.txt"]:
        problems.append("the directory has %s" % sorted(os.listdir(d)))
    try:
        if read(mp) != b"original\n":
            problems.append("the mount shows %r" % read(mp))
    except OSError as e:
        problems.append("reading it back: %s" % e)
    assert not problems, "; ".join(problems)


def test_quota(env):
    """A quota (only Pure-FTPd has one: -n): a copy beyond it fails with an
    error and leaves no partial or 0-byte file; without one, the same copy
    works."""
    src = os.path.join(env.local, "quota-src.bin")
    with open(src, "wb") as f:
        f.write(os.urandom(3 * 2 ** 20))
    if not env.caps["quota"]:
        d = env.mkcheck("quota")
        ok("cp %s %s" % (q(src), q(env.m("quota", "big.bin"))))
        assert read(os.path.join(d, "big.bin")) == read(src)
        return
    qroot = os.path.join(env.top, "qroot")
    os.mkdir(qroot, 0o755)
    knobs = dict(env.cfg["knobs"], quota="1000:2")  # 1000 files, 2 MB
    srv = harness.start_server(env.cfg["kind"], qroot, **knobs)
    qm = os.path.join(env.top, "qmnt")
    os.mkdir(qm)
    uid, gid = srv.run_ids()
    os.chown(qroot, uid, gid)
    mnt = None
    try:
        mnt = harness.mount(srv.url("/"), qm, env.cfg["opts"])
        env.extra.append((srv, mnt))
        with open(os.path.join(env.local, "small"), "wb") as f:
            f.write(b"s" * 1000)
        ok("cp %s %s" % (q(os.path.join(env.local, "small")),
                         q(os.path.join(qm, "small"))))
        r = sh("cp %s %s" % (q(src), q(os.path.join(qm, "big.bin"))))
        assert r.returncode != 0, "cp beyond the quota succeeded"
        names = sorted(n for n in os.listdir(qroot) if n != ".ftpquota")
        assert names == ["small"], \
            "after the refused copy the server has %s (%s)" % (
                names, [(n, os.path.getsize(os.path.join(qroot, n)))
                        for n in names])
        assert not os.path.exists(os.path.join(qm, "big.bin")), \
            "the mount shows big.bin after the refused copy"
        assert "No space left" in r.stderr or "Disk quota" in r.stderr, \
            "cp error: %r" % r.stderr.strip()
    finally:
        pass


def test_connection_limit(env):
    """The server allows 3 connections from this address and ftpfs asks for
    8: 8 files open for reading and 8 for writing at once, read and
    written in turns, then 8 readers in parallel, all get their bytes, and
    ftpfs says the server's limit (once its 4th login was refused) instead
    of failing requests.  Without a limit to set (inetutils), the same
    reads and writes on an unlimited server."""
    lroot = os.path.join(env.top, "lroot")
    sub = os.path.join(lroot, env.cfg["sub"]) if env.cfg["sub"] else lroot
    os.makedirs(sub, 0o755)
    files = {"r%d.bin" % i: os.urandom(1024 * 1024 + i) for i in range(8)}
    for n, data in files.items():
        write_disk(env, os.path.join(sub, n), data)
    knobs = dict(env.cfg["knobs"])
    knobs.pop("readonly_subdir", None)
    if env.caps["limit"]:
        knobs[env.caps["limit"]] = 3
    srv = harness.start_server(env.cfg["kind"], lroot, **knobs)
    uid, gid = srv.run_ids()
    for dp, dns, fns in os.walk(sub):
        for n in [dp] + [os.path.join(dp, x) for x in fns]:
            os.lchown(n, uid, gid)
    if env.cfg["kind"] == "vsftpd":
        os.chown(lroot, 0, 0)
    lm = os.path.join(env.top, "lmnt")
    os.mkdir(lm)
    mnt = harness.mount(srv.url("/" + env.cfg["sub"] if env.cfg["sub"]
                                else "/"), lm,
                        env.cfg["opts"] + ["connections=8"])
    env.extra.append((srv, mnt))
    names = sorted(files)
    # in turns: every open file holds a session between its reads
    fds = [os.open(os.path.join(lm, n), os.O_RDONLY) for n in names]
    got = {n: b"" for n in names}
    try:
        for off in range(0, 1024 * 1024 + 8, 256 * 1024):
            for n, fd in zip(names, fds):
                got[n] += os.pread(fd, 256 * 1024, off)
    finally:
        for fd in fds:
            os.close(fd)
    bad = [n for n in names if got[n] != files[n]]
    assert not bad, "read in turns: %s differ (%s)" % (
        bad, [(n, len(got[n])) for n in bad])
    # 8 writers in turns, closed one after another
    wfds = [os.open(os.path.join(lm, "w%d.bin" % i),
                    os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            for i in range(8)]
    try:
        for chunk in range(4):
            for i, fd in enumerate(wfds):
                os.write(fd, files[names[i]][chunk * 262144:
                                             (chunk + 1) * 262144])
    finally:
        errs = []
        for fd in wfds:
            try:
                os.close(fd)
            except OSError as e:
                errs.append(e)
    assert not errs, "close after writing: %s" % errs
    for i in range(8):
        want = files[names[i]][:4 * 262144]
        on_disk = read(os.path.join(sub, "w%d.bin" % i))
        assert on_disk == want, "w%d.bin: %d bytes on the server, want %d" % (
            i, len(on_disk), len(want))
    # 8 readers at once
    results = {}

    def reader(n):
        try:
            results[n] = read(os.path.join(lm, n))
        except OSError as e:
            results[n] = e
    threads = [threading.Thread(target=reader, args=(n,), daemon=True)
               for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(CHECK_TIMEOUT / 2)
    bad = [(n, results.get(n) if isinstance(results.get(n), Exception)
            else len(results.get(n) or b"")) for n in names
           if results.get(n) != files[n]]
    assert not bad, "8 readers at once: %s" % bad
    said = re.findall(r"server allows (\d+) connections", mnt.stderr())
    if env.caps["limit"]:
        assert said and all(1 <= int(x) <= 3 for x in said), \
            "ftpfs did not say the server's limit: %r" % mnt.stderr()[-1500:]
    else:
        assert not said, "a limit on an unlimited server: %s" % said


def test_small_files_500(env):
    """500 small files copied in (cp -r) over FTPS (100 without TLS); diff
    -r; on ProFTPD, no data connection refused for not reusing the TLS
    session (TLSLog)."""
    d = env.mkcheck("tls500")
    src = os.path.join(env.local, "small500")
    os.mkdir(src)
    # 500 over FTPS; 100 on plain configurations (run time)
    for i in range(500 if env.caps["tls"] else 100):
        with open(os.path.join(src, "f%03d.txt" % i), "w") as f:
            f.write("file %d\n" % i * (i % 7 + 1))
    scheme = env.server.url().split(":")[0]
    if env.caps["tls"]:
        assert scheme in ("ftpes", "ftps")
    r = sh("cp -r %s %s" % (q(src), q(env.m("tls500") + "/")), timeout=600)
    problems = []
    if r.returncode != 0:
        lines = r.stderr.strip().splitlines()
        problems.append("cp -r: exit %d, %d errors, e.g. %s" % (
            r.returncode, len(lines), "; ".join(lines[:3])))
    if env.caps["tls_log"]:
        n = env.log().count("client did not reuse TLS session")
        if n:
            problems.append("ProFTPD TLSLog: %d x 'client did not reuse TLS "
                            "session'" % n)
    if not problems:
        diff(src, os.path.join(d, "small500"))
    assert not problems, "; ".join(problems)


# --- last: the mount goes away cleanly -------------------------------------

def test_zz_unmount_clean(env):
    """fusermount3 -u; ftpfs exits 0, no sanitizer report; server exits 0."""
    problems = env.close()
    assert not problems, "\n".join(problems)
