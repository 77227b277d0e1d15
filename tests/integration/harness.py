"""Helpers shared by the ftpfs integration tests (stdlib only).

Run the tests with Debian's interpreter, /usr/bin/python3 (the servers need
python3-pyftpdlib).

    server = start_server("pyftpdlib", root, latency_ms=50)  # or "vsftpd"
    server = start_server("proftpd", root, tls="explicit")  # ftpes:// URL
    # kinds: pyftpdlib, vsftpd, proftpd, pureftpd, inetutils (the last three
    # unpacked by tests/servers/unpack.sh into $FTPFS_DAEMONS_DIR)
    m = mount(server.url(), mountpoint, ["ro"])
    try:
        ...
    finally:
        m.unmount()      # fusermount3 -u, daemon must exit 0, clean stderr
        server.stop()    # SIGTERM, must exit 0

    R = Runner("readonly/pyftpdlib")
    @R.test
    def listing(): ...
    sys.exit(R.run())    # "ok - name" / "not ok - name: why", "N passed, N failed"
    # or: sys.exit(main(R, "ftpfs-x-", setup=..., final=...)), which adds
    # --only/--list/--server, the skips and a temp dir

Environment:
    FTPFS_BIN        ftpfs binary (default: <repo>/build/ftpfs)
    FTPFS_TEST_KEEP  keep temp dirs (trees, logs) for inspection
    FTPFS_TEST_TIMEOUT  per-test watchdog, seconds (default 180)
    FTPFS_TEST_TMPDIR   where to build test trees (default /dev/shm if usable)

Exit status 77 (skip) when /dev/fuse, fusermount3 or the binary is missing.
"""

import atexit
import errno
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import socket
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SERVERS = os.path.join(REPO, "tests", "servers")
PY = "/usr/bin/python3"
SKIP = 77

SANITIZER_MARKERS = ("AddressSanitizer", "runtime error:", "LeakSanitizer",
                     "ThreadSanitizer",
                     "ERROR: ", "==ERROR")

_live_mounts = []
_live_servers = []


class HarnessError(AssertionError):
    pass


def ftpfs_bin():
    return os.environ.get("FTPFS_BIN") or os.path.join(REPO, "build", "ftpfs")


def skip_reason(kinds=()):
    """Why the integration tests cannot run here, or None."""
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse is missing"
    if shutil.which("fusermount3") is None:
        return "fusermount3 is missing"
    b = ftpfs_bin()
    if not (os.path.isfile(b) and os.access(b, os.X_OK)):
        return "ftpfs binary %s is missing (set FTPFS_BIN)" % b
    if not os.path.exists(PY):
        return "%s is missing" % PY
    if "vsftpd" in kinds and not os.path.exists("/usr/sbin/vsftpd"):
        return "/usr/sbin/vsftpd is missing"
    return None


def skip_if_unavailable(kinds=()):
    why = skip_reason(kinds)
    if why:
        print("1..0 # SKIP %s" % why)
        sys.stdout.flush()
        sys.exit(SKIP)


def tail(path, n=4000):
    """The last n bytes of a file, as text ('' if it cannot be read)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - n))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def keep_tmp():
    return bool(os.environ.get("FTPFS_TEST_KEEP"))


def fast_tmpdir(min_free=256 * 2 ** 20):
    """A directory for test trees: $FTPFS_TEST_TMPDIR, else /dev/shm (tmpfs:
    creating 10,000 files takes 0.1 s there, several seconds on a busy
    disk) when writable with min_free bytes free, else the default temp dir."""
    d = os.environ.get("FTPFS_TEST_TMPDIR")
    if d:
        return d
    try:
        st = os.statvfs("/dev/shm")
        if os.access("/dev/shm", os.W_OK | os.X_OK) and \
                st.f_bavail * st.f_frsize >= min_free:
            return "/dev/shm"
    except OSError:
        pass
    return None


# --- servers ---------------------------------------------------------------

SERVER_SCRIPTS = {"pyftpdlib": "pyftpd.py", "vsftpd": "vsftpd.py",
                  "proftpd": "proftpd.py", "pureftpd": "pureftpd.py",
                  "inetutils": "inetftpd.py",
                  "hostile": "hostile.py"}   # test_hostile's scripted server

# kinds whose launcher has a login user by default (virtual user test/test;
# inetutils: the system user the launcher creates) and the system user the
# sessions run as (files they write are owned by it)
DEFAULT_LOGIN = {"proftpd": ("test", "test"), "pureftpd": ("test", "test"),
                 "inetutils": ("ftpfsinet", "test")}
RUN_AS = {"pyftpdlib": None, "vsftpd": "ftp", "proftpd": "nobody",
          "pureftpd": "nobody", "inetutils": "ftpfsinet"}

_self_signed = []
_inet_users = []


def self_signed_cert():
    """A self-signed cert+key PEM for 127.0.0.1 (made once per process)."""
    if not _self_signed:
        d = tempfile.mkdtemp(prefix="ftpfs-cert-")
        os.chmod(d, 0o755)
        pem = os.path.join(d, "server.pem")
        check_run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                   "-keyout", os.path.join(d, "key.pem"), "-out",
                   os.path.join(d, "cert.pem"), "-days", "30", "-subj",
                   "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                  timeout=60)
        with open(pem, "wb") as out:
            for n in ("cert.pem", "key.pem"):
                with open(os.path.join(d, n), "rb") as f:
                    out.write(f.read())
        os.chmod(pem, 0o644)
        _self_signed.append(d)
        atexit.register(shutil.rmtree, d, True)
    return os.path.join(_self_signed[0], "server.pem")


class Server:
    """A test FTP server (tests/servers/*.py) running as a child process.

    tls=None|"explicit"|"implicit" (knob, not passed on): --tls-cert with a
    self-signed certificate unless tls_cert is given, --tls-implicit for
    "implicit"; url() then says ftpes:// or ftps://.  log_text() is the
    daemon's log (protocol/TLS log where the daemon has one).  Knobs not
    passed on either: log=False (no --log: the benchmark's servers),
    args=[...] (flags added as they are), start_timeout (seconds for the
    port file, default 20)."""

    def __init__(self, kind, root, knobs):
        script = SERVER_SCRIPTS.get(kind)
        if script is None:
            raise HarnessError("unknown server kind %r" % kind)
        knobs = dict(knobs)
        self.tls = knobs.pop("tls", None)
        if self.tls not in (None, "explicit", "implicit"):
            raise HarnessError("tls=%r: want explicit or implicit" % self.tls)
        if self.tls:
            knobs.setdefault("tls_cert", self_signed_cert())
            if self.tls == "implicit":
                knobs["tls_implicit"] = True
        if kind in DEFAULT_LOGIN:
            u, pw = DEFAULT_LOGIN[kind]
            if kind == "inetutils":
                # a system user per server (the launcher creates and removes
                # it): two runs at once must not share (usermod refuses a
                # user with live processes)
                _inet_users.append(1)
                u = "%s%d-%d" % (u, os.getpid(), len(_inet_users))
            knobs.setdefault("user", u)
            knobs.setdefault("password", pw)
        self.kind = kind
        self.root = root
        self.run_as = knobs.get("system_user") or RUN_AS.get(kind)
        if kind == "inetutils":
            self.run_as = knobs["user"]
        logging = knobs.pop("log", True)
        extra = list(knobs.pop("args", ()))
        start_timeout = knobs.pop("start_timeout", 20)
        self.tmp = tempfile.mkdtemp(prefix="ftpfs-srv-")
        self.port_file = os.path.join(self.tmp, "port")
        self.log = os.path.join(self.tmp, "server.log") if logging else None
        self.stderr_path = os.path.join(self.tmp, "server.stderr")
        self.user = knobs.get("user")
        self.password = knobs.get("password")
        cmd = [PY, os.path.join(SERVERS, script), "--root", root,
               "--port-file", self.port_file]
        if self.log:
            cmd += ["--log", self.log]
        for k, v in sorted(knobs.items()):
            if v is None or v is False:
                continue
            flag = "--" + k.replace("_", "-")
            cmd += [flag] if v is True else [flag, str(v)]
        self.cmd = cmd = cmd + extra
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                         stdout=err, stderr=err)
        _live_servers.append(self)
        self.port = None
        deadline = time.time() + start_timeout
        while True:
            if os.path.exists(self.port_file):
                with open(self.port_file) as f:
                    self.port = int(f.read().strip())
                break
            if self.proc.poll() is not None:
                self._forget()
                raise HarnessError("%s server died at start (rc=%s): %s\n%s" % (
                    kind, self.proc.returncode, " ".join(cmd),
                    tail(self.stderr_path)))
            if time.time() > deadline:
                self.proc.kill()
                self.proc.wait()
                self._forget()
                raise HarnessError("%s server wrote no port file in %d s: %s"
                                   % (kind, start_timeout,
                                      tail(self.stderr_path)))
            time.sleep(0.05)

    def url(self, path="/"):
        auth = ""
        if self.user is not None:
            from urllib.parse import quote
            auth = "%s:%s@" % (quote(self.user, safe=""),
                               quote(self.password or "", safe=""))
        # subclasses with their own __init__ (test_hostile, test_faults) have
        # no .tls: plain ftp://
        scheme = {None: "ftp", "explicit": "ftpes",
                  "implicit": "ftps"}[getattr(self, "tls", None)]
        return "%s://%s127.0.0.1:%d%s" % (scheme, auth, self.port, path)

    def run_ids(self):
        """(uid, gid) the sessions run as (files they create get them)."""
        if getattr(self, "run_as", None) is None:
            return os.getuid(), os.getgid()
        import pwd
        pw = pwd.getpwnam(self.run_as)
        return pw.pw_uid, pw.pw_gid

    def log_text(self):
        if self.log is None:
            return ""
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def _forget(self):
        if self in _live_servers:
            _live_servers.remove(self)

    def stop(self, timeout=20):
        """SIGTERM by PID, wait, require exit code 0."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self._forget()
            raise HarnessError("%s server did not exit %d s after SIGTERM"
                               % (self.kind, timeout))
        self._forget()
        err = tail(self.stderr_path)
        if not keep_tmp():
            shutil.rmtree(self.tmp, ignore_errors=True)
        if rc != 0:
            raise HarnessError("%s server exit code %d:\n%s" % (self.kind, rc, err))
        if "Traceback" in err:
            raise HarnessError("%s server stderr has a traceback:\n%s"
                               % (self.kind, err))
        return rc


def start_server(kind, root, **knobs):
    """Start tests/servers/<kind> serving `root`.

    knobs become CLI flags: latency_ms=50 -> --latency-ms 50, anonymous=True
    -> --anonymous (pyftpdlib: user, password, anonymous, writable,
    latency_ms, rate_bps, max_cons, idle_timeout).
    """
    return Server(kind, root, knobs)


# --- a TCP relay ----------------------------------------------------------

class Relay:
    """A TCP relay on 127.0.0.1 to 127.0.0.1:target_port. With chunk, what
    the client sends is passed on in pieces of chunk bytes, gap seconds
    apart (as a real network delivers a long command line in segments).
    self.pairs (under self.lock) holds the live (client, server) socket
    pairs; cut() closes one. stop() ends it."""

    def __init__(self, target_port, chunk=None, gap=0.0):
        import select as _select
        self._select = _select
        self.target, self.chunk, self.gap = target_port, chunk, gap
        self.pairs = []
        self.lock = threading.Lock()
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(64)
        self.port = self.lsock.getsockname()[1]
        self.stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopping:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            try:
                sv = socket.create_connection(("127.0.0.1", self.target), 10)
            except OSError:
                c.close()
                continue
            pair = (c, sv)
            with self.lock:
                self.pairs.append(pair)
            threading.Thread(target=self._pump, args=(pair,),
                             daemon=True).start()

    def _pump(self, pair):
        c, sv = pair
        try:
            while not self.stopping:
                r, _, _ = self._select.select([c, sv], [], [], 0.5)
                for x in r:
                    data = x.recv(65536)
                    if not data:
                        raise OSError("closed")
                    if x is sv or not self.chunk:
                        (c if x is sv else sv).sendall(data)
                        continue
                    for i in range(0, len(data), self.chunk):
                        sv.sendall(data[i:i + self.chunk])
                        if i + self.chunk < len(data):
                            time.sleep(self.gap)
        except (OSError, ValueError):
            pass
        finally:
            with self.lock:
                if pair in self.pairs:
                    self.pairs.remove(pair)
            for x in pair:
                try:
                    x.close()
                except OSError:
                    pass

    @staticmethod
    def cut(pair):
        """Close both ends of a pair (its pump thread then ends)."""
        for x in pair:
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        self.stopping = True
        self.lsock.close()


# --- mounts ----------------------------------------------------------------

def _unescape_mount_field(s):
    # /proc/mounts escapes space, tab, newline and backslash as \ooo
    out = bytearray()
    b = s.encode("utf-8", "surrogateescape")
    i = 0
    while i < len(b):
        if b[i:i + 1] == b"\\" and i + 4 <= len(b) and b[i + 1:i + 4].isdigit():
            out.append(int(b[i + 1:i + 4], 8))
            i += 4
        else:
            out.append(b[i])
            i += 1
    return bytes(out).decode("utf-8", "surrogateescape")


def mount_entry(mountpoint):
    """(fstype, options) of the mount at mountpoint, or None."""
    mp = os.path.realpath(mountpoint)
    found = None
    try:
        with open("/proc/self/mounts", encoding="utf-8",
                  errors="surrogateescape") as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 4 and _unescape_mount_field(fields[1]) == mp:
                    found = (fields[2], fields[3])  # the last one wins
    except OSError:
        pass
    return found


def is_fuse_mounted(mountpoint):
    e = mount_entry(mountpoint)
    return e is not None and e[0].startswith("fuse")


class Mount:
    def __init__(self, url, mountpoint, extra_opts, env=None):
        self.url = url
        self.mountpoint = os.path.realpath(mountpoint)
        self.tmp = tempfile.mkdtemp(prefix="ftpfs-mnt-")
        self.stderr_path = os.path.join(self.tmp, "ftpfs.stderr")
        self.cmd = [ftpfs_bin(), url, self.mountpoint, "-f"]
        if extra_opts:
            self.cmd += ["-o", ",".join(extra_opts)]
        self.killed_by_watchdog = False
        self.unmounted = False
        e = dict(os.environ)
        e.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
        e.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        if env:
            e.update(env)
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL,
                                         stdout=err, stderr=err, env=e)
        _live_mounts.append(self)
        deadline = time.time() + 20
        while True:
            if is_fuse_mounted(self.mountpoint):
                self.fstype = mount_entry(self.mountpoint)[0]
                break
            if self.proc.poll() is not None:
                _live_mounts.remove(self)
                raise HarnessError(
                    "ftpfs exited (rc=%s) before mounting: %s\n--- stderr:\n%s"
                    % (self.proc.returncode, " ".join(self.cmd), self.stderr()))
            if time.time() > deadline:
                self._kill()
                self._lazy_unmount()
                _live_mounts.remove(self)
                raise HarnessError("ftpfs did not mount in 20 s: %s\n--- stderr:\n%s"
                                   % (" ".join(self.cmd), self.stderr()))
            time.sleep(0.05)

    def path(self, *parts):
        return os.path.join(self.mountpoint, *parts)

    def stderr(self, n=6000):
        return tail(self.stderr_path, n)

    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def _kill(self):
        if self.proc.poll() is None:
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass

    def _lazy_unmount(self):
        if is_fuse_mounted(self.mountpoint):
            subprocess.run(["fusermount3", "-u", "-z", self.mountpoint],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def watchdog_kill(self):
        """Called by the runner's watchdog: release whatever is blocked on
        the mount (killing the daemon aborts all pending FUSE requests)."""
        self.killed_by_watchdog = True
        self._kill()
        self._lazy_unmount()

    def unmount(self, timeout=20):
        """fusermount3 -u, wait for the daemon (exit code 0), check stderr.
        Raises HarnessError describing every problem found."""
        if self.unmounted:
            return
        self.unmounted = True
        problems = []
        try:
            if self.killed_by_watchdog:
                problems.append("the watchdog had to kill ftpfs (a test hung)")
            elif self.proc.poll() is not None:
                problems.append("ftpfs died while mounted (rc=%s)"
                                % self.proc.returncode)
            if is_fuse_mounted(self.mountpoint):
                ok = False
                last = ""
                for _ in range(25):  # EBUSY right after a test: retry a bit
                    r = subprocess.run(["fusermount3", "-u", self.mountpoint],
                                       capture_output=True, text=True)
                    if r.returncode == 0:
                        ok = True
                        break
                    last = r.stderr.strip()
                    time.sleep(0.2)
                if not ok:
                    problems.append("fusermount3 -u failed: %s" % last)
                    self._lazy_unmount()
            if self.proc.poll() is None:
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    problems.append("ftpfs did not exit %d s after unmount; killed"
                                    % timeout)
                    self._kill()
            rc = self.proc.returncode
            if rc != 0 and not self.killed_by_watchdog and \
                    not any(p.startswith("ftpfs died") for p in problems):
                problems.append("ftpfs exit code %s (want 0)" % rc)
            err = self.stderr(10 ** 6)
            for marker in SANITIZER_MARKERS:
                if marker in err:
                    problems.append("ftpfs stderr contains %r" % marker)
            if is_fuse_mounted(self.mountpoint):
                problems.append("still mounted after unmount")
                self._lazy_unmount()
        finally:
            if self in _live_mounts:
                _live_mounts.remove(self)
        err = self.stderr()
        if keep_tmp():
            print("# kept ftpfs stderr: %s" % self.stderr_path)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
        if problems:
            raise HarnessError("; ".join(problems) + "\n--- ftpfs stderr (tail):\n"
                               + err)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.unmount()


def mount(url, mountpoint, extra_opts=(), env=None):
    """Start `FTPFS_BIN URL MOUNTPOINT -f -o OPTS` and wait for the mount."""
    return Mount(url, mountpoint, list(extra_opts), env)


def cleanup_all():
    """Last resort: never leave mounts or processes behind."""
    for m in list(_live_mounts):
        try:
            if is_fuse_mounted(m.mountpoint):
                subprocess.run(["fusermount3", "-u", m.mountpoint],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if m.proc.poll() is None:
                try:
                    m.proc.wait(5)
                except subprocess.TimeoutExpired:
                    m._kill()
            m._lazy_unmount()
        except Exception:
            pass
        if m in _live_mounts:
            _live_mounts.remove(m)
        if not keep_tmp() and not is_fuse_mounted(m.mountpoint):
            shutil.rmtree(m.tmp, ignore_errors=True)
    for s in list(_live_servers):
        try:
            if s.proc.poll() is None:
                s.proc.send_signal(signal.SIGTERM)
                try:
                    s.proc.wait(10)
                except subprocess.TimeoutExpired:
                    s.proc.kill()
                    s.proc.wait()
        except Exception:
            pass
        s._forget()
        if not keep_tmp():
            shutil.rmtree(s.tmp, ignore_errors=True)


atexit.register(cleanup_all)


def _on_signal(signum, frame):
    cleanup_all()
    sys.stdout.flush()
    os._exit(128 + signum)


def install_signal_cleanup():
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)


def safe_rmtree(path):
    """rmtree that refuses to descend into a live mount below path."""
    if keep_tmp():
        print("# kept %s" % path)
        return
    with open("/proc/self/mounts", encoding="utf-8",
              errors="surrogateescape") as f:
        for line in f:
            mp = _unescape_mount_field(line.split()[1])
            if mp == path or mp.startswith(path.rstrip("/") + "/"):
                print("# not removing %s: %s is still mounted" % (path, mp))
                return
    shutil.rmtree(path, ignore_errors=True)


# --- running commands ------------------------------------------------------

def run(cmd, timeout=120, **kw):
    """subprocess.run with a timeout; returns CompletedProcess (bytes)."""
    try:
        return subprocess.run(cmd, capture_output=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired as e:
        raise HarnessError("timed out after %ds: %s" % (timeout, " ".join(cmd)))


def check_run(cmd, timeout=120, what=None, **kw):
    r = run(cmd, timeout=timeout, **kw)
    if r.returncode != 0:
        raise HarnessError("%s exited %d\n--- stdout:\n%s\n--- stderr:\n%s" % (
            what or " ".join(cmd), r.returncode,
            r.stdout.decode("utf-8", "replace")[-3000:],
            r.stderr.decode("utf-8", "replace")[-3000:]))
    return r


# --- a tiny test runner ----------------------------------------------------

class Runner:
    """Named tests; each prints `ok - name` or `not ok - name: reason`.

    A watchdog thread gives each test `timeout` seconds; on expiry it kills
    the ftpfs daemons (which fails whatever is blocked on the mount) so the
    run can go on and report.
    """

    def __init__(self, prefix="", timeout=None):
        self.prefix = prefix
        self.tests = []
        self.passed = 0
        self.failed = 0
        self.failures = []
        self.timeout = timeout or float(os.environ.get("FTPFS_TEST_TIMEOUT", 180))

    def test(self, fn=None, name=None):
        def deco(f):
            self.tests.append((name or f.__name__, f))
            return f
        return deco(fn) if fn is not None else deco

    def _name(self, name):
        return "%s%s" % (self.prefix + " " if self.prefix else "", name)

    def report(self, name, error=None, note=None, elapsed=None):
        name = self._name(name)
        t = " [%.1fs]" % elapsed if elapsed is not None else ""
        if error is None:
            self.passed += 1
            print("ok - %s%s%s" % (name, t, " # " + note if note else ""))
        else:
            self.failed += 1
            lines = str(error).rstrip().split("\n")
            print("not ok - %s: %s%s" % (name, lines[0], t))
            for l in lines[1:200]:
                print("#   " + l)
            if len(lines) > 200:
                print("#   ... (%d more lines)" % (len(lines) - 200))
            self.failures.append(name)
        sys.stdout.flush()

    def run_one(self, name, fn, check_mounts=True):
        if check_mounts:
            dead = [m for m in _live_mounts if not m.alive()]
            if dead:
                self.report(name, "not run: ftpfs is not running any more "
                            "(rc=%s%s)" % (dead[0].proc.returncode,
                                           ", killed by the watchdog"
                                           if dead[0].killed_by_watchdog else ""))
                return
        done = threading.Event()
        fired = []

        def watchdog():
            if not done.wait(self.timeout):
                fired.append(True)
                for m in list(_live_mounts):
                    m.watchdog_kill()
        w = threading.Thread(target=watchdog, daemon=True)
        w.start()
        t0 = time.time()
        try:
            note = fn()
        except Exception as e:
            done.set()
            if isinstance(e, AssertionError) and str(e):
                msg = str(e)
            elif os.environ.get("VERBOSE"):
                msg = "%s: %s\n%s" % (type(e).__name__, e,
                                      traceback.format_exc())
            else:
                # one line: the error and where in the test it happened
                tb = traceback.extract_tb(e.__traceback__)
                where = tb[-1] if tb else None
                for fr in tb:
                    if fr.filename != __file__:
                        where = fr
                msg = "%s: %s" % (type(e).__name__, e)
                if where is not None:
                    msg += " (at %s:%d: %s)" % (os.path.basename(where.filename),
                                               where.lineno, where.line)
            if fired:
                msg = "watchdog: test exceeded %ds, ftpfs killed; %s" % (
                    self.timeout, msg)
            self.report(name, msg, elapsed=time.time() - t0)
        else:
            done.set()
            if fired:
                self.report(name, "watchdog: test exceeded %ds, ftpfs killed"
                            % self.timeout, elapsed=time.time() - t0)
            else:
                self.report(name, None, note if isinstance(note, str) else None,
                            elapsed=time.time() - t0)
        w.join()

    def run(self, final=()):
        """Run the tests, then `final` (name, fn) steps (e.g. unmount) which
        always run. Returns the exit status. FTPFS_ONLY=a,b runs only the
        tests named."""
        only = [n for n in os.environ.get("FTPFS_ONLY", "").split(",") if n]
        try:
            for name, fn in self.tests:
                if not only or name in only:
                    self.run_one(name, fn)
        finally:
            for name, fn in final:
                self.run_one(name, fn, check_mounts=False)
        print("%d passed, %d failed" % (self.passed, self.failed))
        sys.stdout.flush()
        return 1 if self.failed else 0


def clean_exit_steps(mounts=(), servers=()):
    """The final steps for main(): unmount each (name, Mount), then stop
    each (name, Server); those that are None (never started) left out."""
    return [(name, m.unmount) for name, m in mounts if m is not None] + \
        [(name, s.stop) for name, s in servers if s is not None]


def main(R, tmp_prefix, setup=None, final=None, servers=None, needs=(),
         options=(), only_on=None, skip=None, prefix=None, early=None,
         cleanup=None, min_free=256 * 2 ** 20):
    """The main() of an integration suite; returns its exit status (0 all
    passed, 1 a test failed, 2 a bad command line, 77 skipped).

    Options: --only a,b (FTPFS_ONLY does the same), --list, --server KIND
    when `servers` lists the kinds (the first is the default), and each
    (flags, kwargs) of `options`. Then, with a = the parsed options:
      only_on    {test: kinds}: that test runs only against those servers
      early(a)   an exit status to return at once, or None (a worker mode)
      needs      kinds skip_if_unavailable() checks (besides [a.server])
      skip(a)    a reason to skip (a missing tool), or None
      prefix(a)  the Runner's name prefix
      setup(a, top)  builds the trees and starts servers and mounts, in top,
                 a fresh temp dir; a HarnessError there is reported as the
                 test `setup` and no test runs
      final(a)   the (name, fn) steps that always run after the tests
                 (unmount, server stop)
      cleanup()  runs last, before every mount and server left is stopped
                 and top is removed (kept with FTPFS_TEST_KEEP)
    """
    import argparse
    p = argparse.ArgumentParser()
    if servers:
        p.add_argument("--server", choices=list(servers), default=servers[0])
    for flags, kw in options:
        p.add_argument(*flags, **kw)
    p.add_argument("--only", help="comma-separated test names")
    p.add_argument("--list", action="store_true")
    a = p.parse_args()
    a.error = p.error
    server = getattr(a, "server", None)
    every = {n for n, _ in R.tests}
    if only_on:
        R.tests = [(n, f) for n, f in R.tests
                   if server in only_on.get(n, (server,))]
    if early is not None:
        rc = early(a)
        if rc is not None:
            return rc
    if prefix is not None:
        R.prefix = prefix(a)
    if a.list:
        for name, _ in R.tests:
            print(name)
        return 0
    if a.only:
        want = set(a.only.split(","))
        if want - every:
            p.error("unknown tests: %s" % ", ".join(sorted(want - every)))
        R.tests = [(n, f) for n, f in R.tests if n in want]
    skip_if_unavailable(([server] if server else []) + list(needs))
    why = skip(a) if skip is not None else None
    if why:
        print("1..0 # SKIP %s" % why)
        return SKIP
    install_signal_cleanup()
    top = tempfile.mkdtemp(prefix=tmp_prefix, dir=fast_tmpdir(min_free))
    os.chmod(top, 0o755)
    try:
        if setup is not None:
            try:
                setup(a, top)
            except HarnessError as e:
                R.report("setup", e)
                R.tests = []
        return R.run(final=final(a) if final is not None else ())
    finally:
        if cleanup is not None:
            cleanup()
        cleanup_all()
        safe_rmtree(top)


# --- comparing -------------------------------------------------------------

def errno_name(e):
    return errno.errorcode.get(e, str(e))


def chown_for_server(kind, path):
    """vsftpd's anonymous sessions run as `ftp`: let them write in the
    tree at path (other servers write as the test's user)."""
    if kind != "vsftpd":
        return
    import pwd
    pw = pwd.getpwnam("ftp")
    for dirpath, dirnames, filenames in os.walk(path):
        os.chown(dirpath, pw.pw_uid, pw.pw_gid)
        for n in filenames:
            os.chown(os.path.join(dirpath, n), pw.pw_uid, pw.pw_gid)


def expect_oserror(fn, allowed, what):
    """Run fn(); it must raise OSError with errno in `allowed`."""
    try:
        fn()
    except OSError as e:
        if e.errno not in allowed:
            raise HarnessError("%s: got %s (%s), want %s" % (
                what, errno_name(e.errno), e.strerror,
                "/".join(errno_name(a) for a in allowed)))
        return e.errno
    raise HarnessError("%s: succeeded, want %s" % (
        what, "/".join(errno_name(a) for a in allowed)))
