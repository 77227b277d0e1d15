#!/usr/bin/python3
"""ftpfs benchmark: ftpfs through a FUSE mount vs raw curl, same run.

    /usr/bin/python3 bench/bench.py [--runs N] [--latency-ms N] [--quick]
        [--servers pyftpdlib,vsftpd] [--file-mib N] [--entries N]
        [--reads N] [--seed N] [--write-mib N] [--no-write] [--no-tls]
        [--tls-reads N] [--tls-version 1.2|1.3] [--ftpfs PATH] [-o OPTS]
        [--output FILE]

Serves one temporary tree (a DIR of --entries empty files and a --file-mib
file of random bytes) from pyftpdlib and vsftpd on 127.0.0.1, runs every
workload through a fresh ftpfs mount and with curl, interleaved, and prints
a Markdown table of medians (also written to --output, default
bench/results.md).  See bench/README.md for what each row means.

Writes (unless --no-write): `cp` of a --write-mib random file into the
mount vs `curl -T`, against a second pyftpdlib (user u / password p) and a
second vsftpd (tests/servers/vsftpd.py --writable, anonymous), both serving
a separate write area; every upload is checked (size + sha256) on the
server's disk right after `cp`/`curl` returned.  FTPS (unless --no-tls):
tests/servers/vsftpd.py --writable --tls-cert --tls-key --tls-force with a
self-signed certificate made here at run time (VsftpdTLS below); ftpfs
mounts ftpes:// pinned with -o fingerprint=sha256:..., curl uses
--ssl-reqd --cacert.

This is a benchmark only: nothing here is a pass/fail test.  A workload
that fails through ftpfs (error, timeout, wrong byte count or contents) is
reported as FAILED with the reason, and the ftpfs stderr goes to the
"Problems" section.  Mounts, servers and the temp tree are always removed
(try/finally), also on Ctrl-C and SIGTERM.

Standard library only; run with Debian's /usr/bin/python3 (the servers
need its python3-pyftpdlib).
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
SERVERS = os.path.join(REPO, "tests", "servers")
PY = "/usr/bin/python3"
MiB = 1 << 20
READ_SIZE = 4096
SERVER_KINDS = ("pyftpdlib", "vsftpd")
WRITE_USER, WRITE_PASS = "u", "p"   # the pyftpdlib write server's user
WRITE_DIR = "pub"                   # where uploads go (vsftpd: ftp-owned)

_live = []          # objects with .cleanup(), removed on success
_log_quiet = False


def log(msg):
    if not _log_quiet:
        print("# " + msg, file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


def one_line(s, n=300):
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[:n - 3] + "..."


def tail(path, n=3000):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - n))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


# --- timing of child processes -------------------------------------------

class Result:
    def __init__(self, secs, rc, out, err, maxrss_kib, timed_out):
        self.secs = secs
        self.rc = rc
        self.out = out
        self.err = err
        self.maxrss_kib = maxrss_kib
        self.timed_out = timed_out

    def why(self, what):
        if self.timed_out:
            return "%s timed out" % what
        if self.rc != 0:
            return "%s exit %s: %s" % (what, self.rc, one_line(self.err, 200))
        return None


def timed(cmd, capture=False, timeout=600, env=None):
    """Run cmd; wall time from spawn to reap, the child's own peak RSS
    (wait4 rusage), stdout (bytes) if capture.  Kills it after timeout."""
    errf = tempfile.TemporaryFile()
    lock = threading.Lock()
    state = {"reaped": False, "timed_out": False}
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                         stderr=errf, env=env)

    def kill():
        with lock:
            if not state["reaped"]:
                state["timed_out"] = True
                try:
                    os.kill(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    timer = threading.Timer(timeout, kill)
    timer.daemon = True
    timer.start()
    try:
        out = p.stdout.read() if capture else b""
        while True:
            try:
                _, status, ru = os.wait4(p.pid, 0)
                break
            except InterruptedError:
                continue
        t1 = time.perf_counter()
        with lock:
            state["reaped"] = True
        p.returncode = os.waitstatus_to_exitcode(status)
    finally:
        timer.cancel()
        if p.returncode is None:      # interrupted: do not leave it behind
            try:
                p.kill()
                p.wait()
            except OSError:
                pass
        if p.stdout:
            p.stdout.close()
    errf.seek(0)
    err = errf.read().decode("utf-8", "replace")
    errf.close()
    return Result(t1 - t0, p.returncode, out, err, ru.ru_maxrss,
                  state["timed_out"])


# --- the served tree -----------------------------------------------------

def pick_tree_parent(need):
    """/dev/shm (tmpfs: the servers' reads never touch a disk) when it has
    room, else /var/tmp."""
    for d in (os.environ.get("FTPFS_BENCH_TMPDIR"), "/dev/shm", "/var/tmp",
              tempfile.gettempdir()):
        if not d:
            continue
        try:
            st = os.statvfs(d)
            if os.access(d, os.W_OK | os.X_OK) and \
                    st.f_bavail * st.f_frsize >= need + 256 * MiB:
                return d
        except OSError:
            pass
    raise BenchError("no temp dir with %d MiB free" % (need // MiB + 256))


def fstype_of(path):
    best, fstype = "", "?"
    path = os.path.realpath(path)
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 3:
                    mp = fields[1]
                    if (path == mp or path.startswith(mp.rstrip("/") + "/")) \
                            and len(mp) >= len(best):
                        best, fstype = mp, fields[2]
    except OSError:
        pass
    return fstype


class Tree:
    def __init__(self, entries, size, extra=0):
        """extra: bytes the write area will need next to the tree."""
        self.entries = entries
        self.size = size
        parent = pick_tree_parent(size + extra)
        self.root = tempfile.mkdtemp(prefix="ftpfs-bench-tree-", dir=parent)
        _live.append(self)
        # vsftpd serves anonymous users as 'ftp', chroot()ed here
        os.chmod(self.root, 0o755)
        self.dir = os.path.join(self.root, "dir")
        os.mkdir(self.dir, 0o755)
        os.chmod(self.dir, 0o755)
        t0 = time.time()
        for i in range(entries):
            fd = os.open(os.path.join(self.dir, "f%06d" % i),
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.close(fd)
        self.big = os.path.join(self.root, "big")
        h = hashlib.sha256()
        with open(self.big, "wb") as f:
            left = size
            while left:
                block = os.urandom(min(MiB, left))   # every MiB distinct
                h.update(block)
                f.write(block)
                left -= len(block)
        os.chmod(self.big, 0o644)
        self.sha256 = h.hexdigest()
        self.fstype = fstype_of(self.root)
        log("tree %s (%s): %d entries, %d MiB file, %.1f s" % (
            self.root, self.fstype, entries, size // MiB, time.time() - t0))

    def expected(self, offsets):
        out = []
        with open(self.big, "rb") as f:
            for off in offsets:
                f.seek(off)
                out.append(f.read(READ_SIZE))
        return out

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)
        if self in _live:
            _live.remove(self)


# --- servers --------------------------------------------------------------

class Server:
    """tests/servers/pyftpd.py or vsftpd.py as a child.  write=True: the
    write-workload variant (pyftpdlib: user WRITE_USER with full
    permissions; vsftpd: --writable, anonymous uploads into WRITE_DIR)."""

    def __init__(self, kind, root, latency_ms, extra=(), write=False,
                 launcher_args=(), label=None):
        self.kind = kind
        self.label = label or kind
        self.tmp = tempfile.mkdtemp(prefix="ftpfs-bench-srv-")
        self.port_file = os.path.join(self.tmp, "port")
        self.err_path = os.path.join(self.tmp, "server.err")
        script = {"pyftpdlib": "pyftpd.py", "vsftpd": "vsftpd.py"}[kind]
        cmd = [PY, os.path.join(SERVERS, script), "--root", root,
               "--port-file", self.port_file]
        if kind == "pyftpdlib":
            if write:
                cmd += ["--user", WRITE_USER, "--password", WRITE_PASS]
            else:
                cmd += ["--anonymous"]
            if latency_ms:
                cmd += ["--latency-ms", str(latency_ms)]
            cmd += list(extra)
        elif write:
            cmd += ["--writable", "--writable-dir", WRITE_DIR]
        cmd += list(launcher_args)
        with open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                         stdout=err, stderr=err)
        _live.append(self)
        deadline = time.time() + 30
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None:
                raise BenchError("%s server exited (rc=%s) at start: %s" % (
                    kind, self.proc.returncode, one_line(tail(self.err_path))))
            if time.time() > deadline:
                raise BenchError("%s server wrote no port in 30 s: %s" % (
                    kind, one_line(tail(self.err_path))))
            time.sleep(0.05)
        with open(self.port_file) as f:
            self.port = int(f.read().strip())
        self.url = "ftp://127.0.0.1:%d/" % self.port
        if write and kind == "pyftpdlib":
            self.url = "ftp://%s:%s@127.0.0.1:%d/" % (WRITE_USER, WRITE_PASS,
                                                     self.port)
        self.curl_url = self.url      # what curl fetches
        self.curl_args = []           # extra curl arguments (TLS)
        self.mount_opts = ""          # extra ftpfs -o options (TLS)
        log("%s%s server pid %d at %s" % (self.label, " (write)" if write
                                          else "", self.proc.pid, self.url))

    def log_hint(self):
        return ""

    def cleanup(self):
        """SIGTERM by PID, wait, SIGKILL if it does not go."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self in _live:
            _live.remove(self)

    def exit_problem(self):
        rc = self.proc.returncode
        if rc not in (0, None):
            return "%s server exit status %s: %s" % (
                self.kind, rc, one_line(tail(self.err_path)))
        return None


class WriteArea:
    """The source of the write workloads (`src`, --write-mib random bytes,
    every MiB distinct, sha256 taken while writing) and the root the write
    servers serve: root/ (root-owned 0755: vsftpd refuses a chroot root the
    session user can write), root/WRITE_DIR/ (owned by `ftp`, where every
    upload goes) and root/big (a hard link to the tree's big file, for the
    FTPS reads)."""

    def __init__(self, tree, size):
        self.size = size
        self.base = tempfile.mkdtemp(prefix="ftpfs-bench-write-",
                                     dir=os.path.dirname(tree.root))
        _live.append(self)
        os.chmod(self.base, 0o755)
        self.root = os.path.join(self.base, "root")
        os.mkdir(self.root, 0o755)
        os.chmod(self.root, 0o755)
        self.pub = os.path.join(self.root, WRITE_DIR)
        os.mkdir(self.pub, 0o755)
        try:
            import pwd
            pw = pwd.getpwnam("ftp")
            os.chown(self.pub, pw.pw_uid, pw.pw_gid)
        except (KeyError, OSError):
            pass          # only vsftpd needs it (and vsftpd.py does it too)
        big = os.path.join(self.root, "big")
        try:
            os.link(tree.big, big)
        except OSError:
            shutil.copyfile(tree.big, big)
            os.chmod(big, 0o644)
        self.src = os.path.join(self.base, "src")
        h = hashlib.sha256()
        with open(self.src, "wb") as f:
            left = size
            while left:
                block = os.urandom(min(MiB, left))
                h.update(block)
                f.write(block)
                left -= len(block)
        self.sha256 = h.hexdigest()
        log("write area %s: %d MiB source" % (self.base, size // MiB))

    def check(self, name, who):
        """The upload `name` on the server's disk: a failure reason or
        None."""
        path = os.path.join(self.pub, name)
        try:
            st = os.stat(path)
        except OSError as e:
            return "%s returned but %s/%s is not on the server (%s)" % (
                who, WRITE_DIR, name, e.strerror)
        if st.st_size != self.size:
            return "%s returned but %s/%s on the server has %d bytes, " \
                   "want %d" % (who, WRITE_DIR, name, st.st_size, self.size)
        h = hashlib.sha256()
        with open(path, "rb") as f:
            while True:
                b = f.read(4 * MiB)
                if not b:
                    break
                h.update(b)
        if h.hexdigest() != self.sha256:
            return "%s returned but %s/%s on the server (%d bytes) differs " \
                   "from the source (sha256)" % (who, WRITE_DIR, name,
                                                  st.st_size)
        return None

    def remove(self, name):
        try:
            os.unlink(os.path.join(self.pub, name))
        except OSError:
            pass

    def leftovers(self):
        """Remove and return ftpfs temporaries (.ftpfs-tmp-*) in pub."""
        found = []
        try:
            names = os.listdir(self.pub)
        except OSError:
            return found
        for n in names:
            if n.startswith(".ftpfs-tmp-"):
                p = os.path.join(self.pub, n)
                try:
                    found.append("%s (%d bytes)" % (n, os.path.getsize(p)))
                    os.unlink(p)
                except OSError:
                    pass
        return found

    def cleanup(self):
        shutil.rmtree(self.base, ignore_errors=True)
        if self in _live:
            _live.remove(self)


class VsftpdTLS(Server):
    """tests/servers/vsftpd.py --writable --tls-cert --tls-key --tls-force:
    vsftpd with explicit FTPS (AUTH TLS; anonymous logins and data
    connections must be encrypted; require_ssl_reuse=YES, vsftpd's default:
    every data connection must resume the control connection's TLS
    session), serving `root` (a WriteArea root).  A self-signed RSA-2048
    certificate for IP 127.0.0.1 is made here with the openssl CLI; ftpfs
    pins its SHA-256 (`-o fingerprint=sha256:...`, from `openssl x509 -noout
    -fingerprint -sha256`), curl trusts it with --cacert."""

    def __init__(self, root, tls_version=None):
        self.certdir = tempfile.mkdtemp(prefix="ftpfs-bench-cert-")
        try:
            self._cert()
            self.log_path = os.path.join(self.certdir, "vsftpd.log")
            self.mark = 0
            args = ["--tls-cert", self.cert, "--tls-key", self.key,
                    "--tls-force", "--log", self.log_path]
            if tls_version:
                args += ["--tls-version", tls_version]
            Server.__init__(self, "vsftpd", root, 0, write=True,
                            launcher_args=args, label="vsftpd FTPS")
        except BaseException:
            shutil.rmtree(self.certdir, ignore_errors=True)
            raise
        self.url = "ftpes://127.0.0.1:%d/" % self.port
        self.curl_url = "ftp://127.0.0.1:%d/" % self.port
        self.curl_args = ["--ssl-reqd", "--cacert", self.cert]
        self.mount_opts = "fingerprint=sha256:" + self.fingerprint
        log("vsftpd FTPS: ftpfs mounts %s, certificate sha256 %s"
            % (self.url, self.fingerprint))

    def _cert(self):
        self.cert = os.path.join(self.certdir, "cert.pem")
        self.key = os.path.join(self.certdir, "key.pem")
        r = subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-keyout", self.key, "-out", self.cert, "-days", "2",
             "-subj", "/CN=127.0.0.1", "-addext",
             "subjectAltName=IP:127.0.0.1"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if r.returncode != 0:
            raise BenchError("openssl req failed: %s" % one_line(r.stderr))
        os.chmod(self.key, 0o600)
        r = subprocess.run(["openssl", "x509", "-noout", "-fingerprint",
                            "-sha256", "-in", self.cert],
                           capture_output=True, text=True)
        fp = r.stdout.strip().partition("=")[2]
        if r.returncode != 0 or len(fp.replace(":", "")) != 64:
            raise BenchError("openssl x509 -fingerprint failed: %s"
                             % one_line(r.stderr or r.stdout))
        self.fingerprint = fp

    def set_mark(self):
        """Start of an ftpfs workload: log_hint() shows lines after this."""
        try:
            self.mark = os.path.getsize(self.log_path)
        except OSError:
            self.mark = 0

    def log_hint(self, n=6):
        """vsftpd's error replies and TLS notes since set_mark() (the last
        n), for the Problems section."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self.mark)
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        keys = ('"4', '"5', "FAIL", "No SSL")
        lines = [l for l in text.splitlines() if any(k in l for k in keys)]
        return "\n".join("vsftpd: " + l for l in lines[-n:])

    def cleanup(self):
        Server.cleanup(self)
        shutil.rmtree(self.certdir, ignore_errors=True)


# --- mounts ---------------------------------------------------------------

def fuse_mounted(mp):
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 3 and fields[1] == mp and \
                        fields[2].startswith("fuse"):
                    return True
    except OSError:
        pass
    return False


class Mount:
    """`ftpfs URL MP -f [-o OPTS]` as a child (we keep its PID)."""

    def __init__(self, ftpfs, url, opts):
        self.mp = os.path.realpath(tempfile.mkdtemp(prefix="ftpfs-bench-mnt-"))
        self.err_path = self.mp + ".stderr"
        self.cmd = [ftpfs, url, self.mp, "-f"]
        if opts:
            self.cmd += ["-o", opts]
        self.killed = False
        self.closed = False
        self.problems = []
        with open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL,
                                         stdout=err, stderr=err)
        _live.append(self)
        deadline = time.time() + 20
        while not fuse_mounted(self.mp):
            why = None
            if self.proc.poll() is not None:
                why = "ftpfs exited (rc=%s) before mounting: %s" % (
                    self.proc.returncode, one_line(self.stderr()))
            elif time.time() > deadline:
                why = "ftpfs did not mount in 20 s: %s" % one_line(
                    self.stderr())
            if why:
                self.kill()
                self.cleanup()
                raise BenchError(why)
            time.sleep(0.01)

    def path(self, *parts):
        return os.path.join(self.mp, *parts)

    def stderr(self, n=3000):
        return tail(self.err_path, n).strip()

    def vm_hwm_kib(self):
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return None

    def kill(self):
        """Watchdog: SIGKILL the daemon (aborts every pending FUSE request,
        so whatever is blocked on the mount returns) and detach the mount."""
        self.killed = True
        if self.proc.poll() is None:
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass
        subprocess.run(["fusermount3", "-u", "-z", self.mp],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def watchdog(self, secs):
        return _Watchdog(self, secs)

    def cleanup(self):
        """fusermount3 -u (retrying on EBUSY), wait for the daemon; note
        anything abnormal in self.problems."""
        if self.closed:
            return
        self.closed = True
        try:
            if not self.killed and self.proc.poll() is not None:
                self.problems.append("ftpfs died while mounted (rc=%s)"
                                     % self.proc.returncode)
            last = ""
            for _ in range(50):
                if not fuse_mounted(self.mp):
                    break
                r = subprocess.run(["fusermount3", "-u", self.mp],
                                   capture_output=True, text=True)
                if r.returncode == 0:
                    break
                last = r.stderr.strip()
                time.sleep(0.1)
            if fuse_mounted(self.mp):
                self.problems.append("fusermount3 -u failed: %s" % last)
                subprocess.run(["fusermount3", "-u", "-z", self.mp],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.problems.append("ftpfs did not exit 20 s after unmount")
                self.proc.kill()
                self.proc.wait()
            rc = self.proc.returncode
            if rc != 0 and not self.killed and not self.problems:
                self.problems.append("ftpfs exit status %s after unmount" % rc)
        finally:
            if self in _live:
                _live.remove(self)
            try:
                os.rmdir(self.mp)
            except OSError:
                pass
            self.err_text = self.stderr()
            try:
                os.unlink(self.err_path)
            except OSError:
                pass


class _Watchdog:
    def __init__(self, mount, secs):
        self.mount = mount
        self.secs = secs
        self.fired = False

    def _fire(self):
        self.fired = True
        self.mount.kill()

    def __enter__(self):
        self.timer = threading.Timer(self.secs, self._fire)
        self.timer.daemon = True
        self.timer.start()
        return self

    def __exit__(self, et, ev, tb):
        self.timer.cancel()
        if self.fired:
            raise BenchError("no answer in %d s (ftpfs killed by the "
                             "benchmark's watchdog)" % self.secs)
        return False


# --- bookkeeping -----------------------------------------------------------

class Cell:
    """The values of one side (ftpfs or raw) of one row, over the runs."""

    def __init__(self):
        self.values = []
        self.failed = None          # reason, if any run failed
        self.extra = []             # per-run notes for the details section
        self.pretransfer = []       # FTPS raw: curl's time_pretransfer, s

    def fail(self, reason):
        if self.failed is None:
            self.failed = one_line(reason)

    def median(self):
        return statistics.median(self.values) if self.values else None


class Row:
    def __init__(self, server, key, title, unit, size=None):
        self.server = server
        self.key = key
        self.title = title
        self.unit = unit            # "s" or "MiB" (RSS)
        self.size = size            # bytes moved per run: cell shows MiB/s
        self.ftpfs = Cell()
        self.raw = Cell()
        self.note = ""


class Bench:
    def __init__(self, a, tree, area=None):
        self.a = a
        self.tree = tree
        self.area = area            # WriteArea, or None (no writes, no TLS)
        self.rows = []
        self.problems = []          # (server, workload, text, stderr)
        self.skipped = []
        self.tls_info = None        # what curl negotiated with vsftpd FTPS
        rng = random.Random(a.seed)
        self.offsets = [rng.randrange(0, tree.size - READ_SIZE + 1)
                        for _ in range(max(a.reads, a.tls_reads))]
        self.expected = tree.expected(self.offsets)
        self.env = dict(os.environ, LC_ALL="C")
        self.cat_timeout = max(120, tree.size // MiB)   # >= 1 MiB/s
        self.rnd_timeout = max(120, max(a.reads, a.tls_reads) *
                               (1 + a.latency_ms / 50.0))
        self.write_timeout = max(120, a.write_mib)      # >= 1 MiB/s

    def row(self, server, key, title, unit, size=None):
        r = Row(server, key, title, unit, size)
        self.rows.append(r)
        return r

    def mount(self, server):
        if hasattr(server, "set_mark"):
            server.set_mark()
        opts = ",".join(o for o in (server.mount_opts, self.a.ftpfs_opts)
                        if o)
        m = Mount(self.a.ftpfs_run, server.url, opts)
        m.nprob = len(self.problems)
        return m

    def unmount(self, m, server, what):
        m.cleanup()
        quiet = len(self.problems) == getattr(m, "nprob", -1)
        for p in m.problems:
            self.problem(server, what, p, m.err_text)
        # a workload that passed, but ftpfs reported errors on the way
        errs = [l for l in m.err_text.splitlines() if "error:" in l]
        if quiet and not m.problems and errs:
            self.problem(server, what, "passed, but ftpfs logged %d error "
                         "line%s (first ones below)" % (
                             len(errs), "" if len(errs) == 1 else "s"),
                         "\n".join(errs[:4]), hint=False)

    def problem(self, server, what, text, stderr="", hint=True):
        stderr = stderr.strip()[-1500:]
        hint = server.log_hint() if hint else ""
        if hint:
            stderr = (stderr + "\n" + hint).strip()
        self.problems.append((server.label, what, one_line(text, 500),
                              stderr))

    # -- workload 1: ls -l ------------------------------------------------

    def count_ls(self, out):
        lines = [l for l in out.decode("utf-8", "replace").splitlines()
                 if l and not l.startswith("total ")]
        return len(lines)

    def ls_run(self, server, cold, warm):
        what = "ls -l"
        m = None
        try:
            m = self.mount(server)
            d = m.path("dir")
            with m.watchdog(300):
                for cell in (cold, warm):
                    r = timed(["ls", "-l", d], capture=True, timeout=280,
                              env=self.env)
                    why = r.why("ls -l")
                    if why:
                        raise BenchError(why)
                    n = self.count_ls(r.out)
                    if n != self.tree.entries:
                        raise BenchError("ls -l listed %d entries, want %d"
                                         % (n, self.tree.entries))
                    cell.values.append(r.secs)
        except BenchError as e:
            cold.fail(str(e))
            warm.fail(str(e))
            self.problem(server, what, str(e), m.stderr() if m else "")
        finally:
            if m:
                self.unmount(m, server, what)

    def ls_raw(self, server, cell):
        r = timed(["curl", "-sS", server.url + "dir/"], capture=True,
                  timeout=120)
        why = r.why("curl LIST")
        if why:
            cell.fail(why)
            return
        n = len([l for l in r.out.splitlines() if l.strip()])
        if n != self.tree.entries:
            cell.fail("curl LIST gave %d lines, want %d"
                      % (n, self.tree.entries))
            return
        cell.values.append(r.secs)

    # -- workload 2+3: cat, peak RSS ---------------------------------------

    def cat_verify(self, server):
        """Once per server: `cat` through a fresh mount, byte count and
        sha256 against the file on disk.  Returns a failure reason or None."""
        m = None
        try:
            m = self.mount(server)
            with m.watchdog(self.cat_timeout + 60):
                p = subprocess.Popen(["cat", m.path("big")],
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
                h = hashlib.sha256()
                n = 0
                while True:
                    b = p.stdout.read(MiB)
                    if not b:
                        break
                    h.update(b)
                    n += len(b)
                err = p.stderr.read().decode("utf-8", "replace")
                p.wait()
            if p.returncode != 0:
                return "cat exit %d after %d bytes: %s" % (
                    p.returncode, n, one_line(err, 200))
            if n != self.tree.size:
                return "cat gave %d bytes, want %d" % (n, self.tree.size)
            if h.hexdigest() != self.tree.sha256:
                return "cat: %d bytes but sha256 differs from the file on " \
                       "disk" % n
            return None
        except BenchError as e:
            return str(e)
        finally:
            if m:
                self.unmount(m, server, "cat (verify)")

    def cat_run(self, server, cell, rss):
        what = "cat"
        m = None
        try:
            m = self.mount(server)
            base = m.vm_hwm_kib()
            with m.watchdog(self.cat_timeout + 30):
                r = timed(["cat", m.path("big")], timeout=self.cat_timeout)
            why = r.why("cat")
            if why:
                raise BenchError(why)
            hwm = m.vm_hwm_kib()
            cell.values.append(r.secs)
            if hwm is not None:
                rss.values.append(hwm / 1024.0)
                rss.extra.append("%.1f MiB after mount" % (base / 1024.0)
                                 if base else "")
            else:
                rss.fail("could not read VmHWM of ftpfs (pid %d)"
                         % m.proc.pid)
        except BenchError as e:
            cell.fail(str(e))
            rss.fail(str(e))
            self.problem(server, what, str(e), m.stderr() if m else "")
        finally:
            if m:
                self.unmount(m, server, what)

    def cat_raw(self, server, cell, rss):
        fmt = "%{size_download}"
        if server.curl_args:
            fmt += " %{time_pretransfer}"
        r = timed(["curl", "-sS"] + server.curl_args +
                  ["-o", "/dev/null", "-w", fmt,
                   server.curl_url + "big"], capture=True,
                  timeout=self.cat_timeout)
        why = r.why("curl RETR")
        if why:
            cell.fail(why)
            rss.fail(why)
            return
        fields = r.out.decode().split()
        got = int(float(fields[0])) if fields else 0
        if got != self.tree.size:
            cell.fail("curl got %d bytes, want %d" % (got, self.tree.size))
            rss.fail(cell.failed)
            return
        cell.values.append(r.secs)
        if len(fields) > 1:
            cell.pretransfer.append(float(fields[1]))
        rss.values.append(r.maxrss_kib / 1024.0)

    # -- workload 4: random reads -------------------------------------------

    def check_reads(self, got, who):
        for i, (off, g, want) in enumerate(zip(self.offsets, got,
                                               self.expected)):
            if g != want:
                if len(g) != len(want):
                    return "%s read %d (offset %d): %d bytes, want %d" % (
                        who, i, off, len(g), len(want))
                return "%s read %d (offset %d): %d bytes but contents " \
                       "differ from the file on disk" % (who, i, off, len(g))
        return None

    def rnd_run(self, server, cell, n):
        """The first n of self.offsets (the same every run)."""
        what = "random reads"
        m = None
        fd = None
        try:
            m = self.mount(server)
            got = []
            with m.watchdog(self.rnd_timeout):
                try:
                    t0 = time.perf_counter()
                    fd = os.open(m.path("big"), os.O_RDONLY)
                    for off in self.offsets[:n]:
                        got.append(os.pread(fd, READ_SIZE, off))
                    os.close(fd)
                    fd = None
                    t1 = time.perf_counter()
                except OSError as e:
                    raise BenchError("read %d (offset %d): %s" % (
                        len(got), self.offsets[len(got)] if
                        len(got) < len(self.offsets) else -1, e))
            bad = self.check_reads(got, "pread")
            if bad:
                raise BenchError(bad)
            cell.values.append(t1 - t0)
        except BenchError as e:
            cell.fail(str(e))
            self.problem(server, what, str(e), m.stderr() if m else "")
        finally:
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
            if m:
                self.unmount(m, server, what)

    def rnd_raw(self, server, cell, n):
        got = []
        pre = 0.0
        # FTPS: curl's time_pretransfer goes to stderr (stdout is the data)
        wfmt = ["-w", "%{stderr}\npretransfer=%{time_pretransfer}\n"] \
            if server.curl_args else []
        t0 = time.perf_counter()
        for off in self.offsets[:n]:
            r = timed(["curl", "-sS"] + server.curl_args + wfmt +
                      ["-r", "%d-%d" % (off, off + READ_SIZE - 1),
                       server.curl_url + "big"], capture=True, timeout=60)
            why = r.why("curl -r %d-%d" % (off, off + READ_SIZE - 1))
            if why:
                cell.fail(why)
                return
            got.append(r.out)
            for line in r.err.splitlines():
                if line.startswith("pretransfer="):
                    pre += float(line.split("=", 1)[1])
        t1 = time.perf_counter()
        bad = self.check_reads(got, "curl -r")
        if bad:
            cell.fail(bad)
            return
        cell.values.append(t1 - t0)
        if wfmt:
            cell.pretransfer.append(pre)

    # -- workload 5: write (cp into the mount vs curl -T) ----------------------

    def write_run(self, server, cell):
        """`cp SRC MNT/pub/NAME` through a fresh mount; when cp has returned
        (close() done) the file must be complete on the server's disk."""
        what = "cp (write)"
        area = self.area
        name = "bench-ftpfs-%s" % server.label.replace(" ", "-")
        area.remove(name)
        m = None
        try:
            m = self.mount(server)
            with m.watchdog(self.write_timeout + 30):
                r = timed(["cp", area.src, m.path(WRITE_DIR, name)],
                          timeout=self.write_timeout)
            why = r.why("cp")
            if why:
                raise BenchError(why)
            bad = area.check(name, "cp")
            if bad:
                raise BenchError(bad)
            cell.values.append(r.secs)
        except BenchError as e:
            cell.fail(str(e))
            self.problem(server, what, str(e), m.stderr() if m else "")
        finally:
            if m:
                self.unmount(m, server, what)
            left = area.leftovers()
            if left:
                self.problem(server, what, "ftpfs temporaries left on the "
                             "server after unmount: " + ", ".join(left),
                             hint=False)
            area.remove(name)

    def write_raw(self, server, cell):
        area = self.area
        name = "bench-raw-%s" % server.label.replace(" ", "-")
        area.remove(name)
        try:
            wfmt = ["-w", "%{time_pretransfer}"] if server.curl_args else []
            r = timed(["curl", "-sS"] + server.curl_args + wfmt +
                      ["-T", area.src, server.curl_url + WRITE_DIR + "/" +
                       name], capture=True, timeout=self.write_timeout)
            why = r.why("curl -T") or area.check(name, "curl -T")
            if why:
                cell.fail(why)
                return
            cell.values.append(r.secs)
            if wfmt:
                try:
                    cell.pretransfer.append(float(r.out.split()[-1]))
                except (ValueError, IndexError):
                    pass
        finally:
            area.remove(name)

    def write_row(self, label):
        w = self.row(label, "write", "`cp` %d MiB file into the mount "
                     "(write)" % self.a.write_mib, "s", self.area.size)
        w.note = "raw: `curl -T` (STOR); both: sha256 on the server's " \
                 "disk checked after return"
        return w

    # -- one server -----------------------------------------------------------

    def run_server(self, kind):
        a, t = self.a, self.tree
        cold = self.row(kind, "ls_cold", "`ls -l` of %s entries, cold "
                        "(1st after mount)" % format(t.entries, ","), "s")
        warm = self.row(kind, "ls_warm", "`ls -l` of %s entries, warm "
                        "(2nd)" % format(t.entries, ","), "s")
        cat = self.row(kind, "cat", "`cat` %d MiB file > /dev/null"
                       % (t.size // MiB), "s", t.size)
        rss = self.row(kind, "rss", "peak RSS while streaming it", "MiB")
        rnd = self.row(kind, "rnd", "%d random %d KiB preads"
                       % (a.reads, READ_SIZE // 1024), "s")
        cold.note = "raw: one `curl` LIST (connect+login+LIST)"
        warm.note = cold.note
        cat.note = "raw: `curl -o /dev/null`"
        rss.note = "ftpfs: VmHWM of the daemon; raw: curl's maxrss"
        rnd.note = "raw: one `curl -r` per read"
        wrt = wsrv = None
        latency = a.latency_ms if kind == "pyftpdlib" else 0

        server = Server(kind, t.root, latency, a.pyftpd_arg)
        try:
            if self.a.write:
                wrt = self.write_row(kind)
                try:
                    wsrv = Server(kind, self.area.root, latency,
                                  a.pyftpd_arg, write=True)
                except BenchError as e:
                    wrt.ftpfs.fail("write server did not start: %s" % e)
                    wrt.raw.fail(wrt.ftpfs.failed)
            log("%s: verifying cat through ftpfs (bytes + sha256)" % kind)
            bad = self.cat_verify(server)
            if bad:
                cat.ftpfs.fail(bad)
                rss.ftpfs.fail("not measured: " + bad)
                self.problem(server, "cat (verify)", bad)
            for i in range(a.runs):
                log("%s: run %d/%d" % (kind, i + 1, a.runs))
                if cold.ftpfs.failed is None:
                    self.ls_run(server, cold.ftpfs, warm.ftpfs)
                if cold.raw.failed is None:
                    self.ls_raw(server, cold.raw)
                    warm.raw = cold.raw
                if cat.ftpfs.failed is None:
                    self.cat_run(server, cat.ftpfs, rss.ftpfs)
                if cat.raw.failed is None:
                    self.cat_raw(server, cat.raw, rss.raw)
                if rnd.ftpfs.failed is None:
                    self.rnd_run(server, rnd.ftpfs, a.reads)
                if rnd.raw.failed is None:
                    self.rnd_raw(server, rnd.raw, a.reads)
                if wsrv and wrt.ftpfs.failed is None:
                    self.write_run(wsrv, wrt.ftpfs)
                if wsrv and wrt.raw.failed is None:
                    self.write_raw(wsrv, wrt.raw)
        finally:
            for srv in (server, wsrv):
                if srv:
                    srv.cleanup()
                    bad = srv.exit_problem()
                    if bad:
                        self.problem(srv, "server", bad)

    def run_tls(self):
        """vsftpd with explicit FTPS: cat, its peak RSS, cp (write), random
        reads; ftpfs through ftpes:// pinned by fingerprint, raw curl with
        --ssl-reqd --cacert."""
        a, t = self.a, self.tree
        server = VsftpdTLS(self.area.root, a.tls_version)
        label = server.label
        try:
            r = subprocess.run(["curl", "-sS", "-v"] + server.curl_args +
                               ["-o", "/dev/null", server.curl_url],
                               capture_output=True, text=True, timeout=30)
            for line in r.stderr.splitlines():
                if "SSL connection using" in line:
                    self.tls_info = line.split("using", 1)[1].strip()
            cat = self.row(label, "cat", "`cat` %d MiB file > /dev/null"
                           % (t.size // MiB), "s", t.size)
            rss = self.row(label, "rss", "peak RSS while streaming it", "MiB")
            wrt = self.write_row(label)
            rnd = self.row(label, "rnd", "%d random %d KiB preads"
                           % (a.tls_reads, READ_SIZE // 1024), "s")
            tls = "`curl --ssl-reqd --cacert`"
            cat.note = "raw: %s -o /dev/null" % tls
            rss.note = "ftpfs: VmHWM of the daemon; raw: curl's maxrss"
            wrt.note = "raw: %s -T; both: sha256 on the server's disk " \
                       "checked after return" % tls
            rnd.note = "raw: one %s -r per read" % tls
            log("%s: verifying cat through ftpfs (bytes + sha256)" % label)
            bad = self.cat_verify(server)
            if bad:
                cat.ftpfs.fail(bad)
                rss.ftpfs.fail("not measured: " + bad)
                self.problem(server, "cat (verify)", bad)
            for i in range(a.runs):
                log("%s: run %d/%d" % (label, i + 1, a.runs))
                if cat.ftpfs.failed is None:
                    self.cat_run(server, cat.ftpfs, rss.ftpfs)
                if cat.raw.failed is None:
                    self.cat_raw(server, cat.raw, rss.raw)
                if wrt.ftpfs.failed is None:
                    self.write_run(server, wrt.ftpfs)
                if wrt.raw.failed is None:
                    self.write_raw(server, wrt.raw)
                if rnd.ftpfs.failed is None:
                    self.rnd_run(server, rnd.ftpfs, a.tls_reads)
                if rnd.raw.failed is None:
                    self.rnd_raw(server, rnd.raw, a.tls_reads)
        finally:
            server.cleanup()
            bad = server.exit_problem()
            if bad:
                self.problem(server, "server", bad, hint=False)


# --- report --------------------------------------------------------------

def cmd_out(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (r.stdout or r.stderr).strip()
    except (OSError, subprocess.SubprocessError) as e:
        return "unavailable (%s)" % e


def machine_facts(a, tree, bench):
    facts = []
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = "%.1f GiB" % (int(line.split()[1]) / 1024.0 ** 2)
    except OSError:
        pass
    build = "?"
    try:
        bdir = os.path.dirname(os.path.realpath(a.ftpfs))
        with open(os.path.join(bdir, "meson-info",
                               "intro-buildoptions.json")) as f:
            o = {x["name"]: x["value"] for x in json.load(f)}
        build = "buildtype=%s, b_sanitize=%s" % (o.get("buildtype"),
                                                 o.get("b_sanitize"))
    except (OSError, ValueError, KeyError):
        pass
    ver = " / ".join(cmd_out([a.ftpfs_run, "--version"]).splitlines())
    facts.append(("date", datetime.datetime.now().strftime("%Y-%m-%d %H:%M")))
    facts.append(("nproc", cmd_out(["nproc"])))
    facts.append(("CPU", cpu))
    facts.append(("memory", mem))
    facts.append(("kernel", platform.release()))
    facts.append(("ftpfs", "%s (`%s`, %s)" % (
        ver, os.path.relpath(a.ftpfs, REPO), build)))
    if os.environ.get("FTPFS_BENCH_BUILD_NOTE"):
        facts.append(("build", "**" + os.environ["FTPFS_BENCH_BUILD_NOTE"]
                      + "**"))
    facts.append(("ftpfs options", "`-o %s`" % a.ftpfs_opts
                  if a.ftpfs_opts else "defaults"))
    facts.append(("curl", cmd_out(["curl", "--version"]).splitlines()[0]))
    facts.append(("servers", "pyftpdlib %s (tests/servers/pyftpd.py%s), "
                  "vsftpd %s (tests/servers/vsftpd.py), on 127.0.0.1" % (
        cmd_out([PY, "-c", "import pyftpdlib; print(pyftpdlib.__ver__)"]),
        "".join(" " + x for x in a.pyftpd_arg),
        cmd_out(["dpkg-query", "-W", "-f", "${Version}", "vsftpd"]))))
    facts.append(("served tree", "%s (%s); %s entries in dir/, %d MiB "
                  "random file" % (tree.root, tree.fstype,
                                   format(tree.entries, ","),
                                   tree.size // MiB)))
    facts.append(("settings", "runs=%d, latency=%s ms (pyftpdlib only), "
                  "reads=%d x %d B, seed=%d%s" % (
                      a.runs, a.latency_ms, a.reads, READ_SIZE, a.seed,
                      ", --quick" if a.quick else "")))
    if a.write:
        facts.append(("writes", "`cp` of a %d MiB random file into %s/ of "
                      "a second server per kind, serving its own root: "
                      "pyftpdlib as user `%s` (full permissions), vsftpd "
                      "anonymous (tests/servers/vsftpd.py --writable); "
                      "size + sha256 checked on the server's disk after "
                      "every `cp`/`curl -T`" % (a.write_mib, WRITE_DIR,
                                                WRITE_USER)))
    else:
        facts.append(("writes", "skipped (--no-write)"))
    if a.tls:
        facts.append(("FTPS", "vsftpd, explicit TLS (AUTH TLS; ftpfs "
                      "`ftpes://`): tests/servers/vsftpd.py --writable "
                      "--tls-cert --tls-key --tls-force%s (anonymous logins "
                      "and data must be encrypted, require_ssl_reuse=YES, "
                      "uploads into %s/); self-signed RSA-2048 certificate "
                      "for IP 127.0.0.1 made at run time; ftpfs "
                      "`-o fingerprint=sha256:…`, curl `--ssl-reqd "
                      "--cacert`; curl negotiated %s" % (
                          (" --tls-version " + a.tls_version)
                          if a.tls_version else "", WRITE_DIR,
                          bench.tls_info or "?")))
    else:
        facts.append(("FTPS", "skipped (%s)" % a.tls_skip_why))
    return facts


def fmt_secs(s):
    if s >= 100:
        return "%.0f s" % s
    if s >= 10:
        return "%.1f s" % s
    if s >= 1:
        return "%.2f s" % s
    return "%.3f s" % s


def fmt_cell(row, cell):
    if cell.failed:
        return "**FAILED**: " + cell.failed.replace("|", "\\|")
    m = cell.median()
    if m is None:
        return "–"
    if row.unit == "MiB":
        return "%.1f MiB" % m
    s = fmt_secs(m)
    if row.size and m > 0:
        s += " (%.0f MiB/s)" % (row.size / MiB / m)
    return s


def fmt_ratio(row):
    if row.ftpfs.failed or row.raw.failed:
        return "–"
    f, r = row.ftpfs.median(), row.raw.median()
    if f is None or r is None or r == 0:
        return "–"
    x = f / r
    return "%.2f×" % x if x < 10 else "%.1f×" % x


def report(a, tree, bench, facts):
    out = []
    title = "ftpfs vs raw curl"
    if a.latency_ms:
        title += ", %s ms latency per FTP reply" % a.latency_ms
    if a.quick:
        title += " (--quick)"
    out.append("# " + title)
    out.append("")
    for k, v in facts:
        out.append("* %s: %s" % (k, v))
    out.append("")
    out.append("Medians of %d run%s; ratio = ftpfs ÷ raw (time or RSS: "
               "< 1 means ftpfs is faster / smaller). Every ftpfs run uses "
               "a fresh mount." % (a.runs, "" if a.runs == 1 else "s"))
    out.append("")
    out.append("| server | workload | ftpfs | raw (curl) | ftpfs ÷ raw | "
               "raw is |")
    out.append("|---|---|---|---|---|---|")
    for row in bench.rows:
        out.append("| %s | %s | %s | %s | %s | %s |" % (
            row.server, row.title, fmt_cell(row, row.ftpfs),
            fmt_cell(row, row.raw), fmt_ratio(row), row.note))
    for kind, why in bench.skipped:
        out.append("| %s | *skipped* | – | – | – | %s |" % (kind, why))
    if a.tls:
        out.append("")
        out.append("FTPS raw times include curl's own wait before each "
                   "transfer starts (its `time_pretransfer`, listed under "
                   "\"all runs\"): connect, TLS handshake, login, and a "
                   "stall of curl 7.88 with vsftpd around the data "
                   "connection's TLS handshake. See bench/README.md.")
    out.append("")
    out.append("<details><summary>all runs</summary>")
    out.append("")
    for row in bench.rows:
        for side, cell in (("ftpfs", row.ftpfs), ("raw", row.raw)):
            if row.key == "ls_warm" and side == "raw":
                continue
            vals = ", ".join(("%.1f" % v) if row.unit == "MiB"
                             else fmt_secs(v) for v in cell.values)
            pre = ""
            if cell.pretransfer:
                pre = "; curl's time_pretransfer (connect, TLS, login, " \
                      "until the transfer starts%s): %s" % (
                          ", summed over the reads" if row.key == "rnd"
                          else "", ", ".join(fmt_secs(v)
                                             for v in cell.pretransfer))
            out.append("* %s, %s, %s: %s%s%s" % (
                row.server, row.title.replace("`", ""), side, vals or "–",
                pre,
                (" (FAILED: %s)" % cell.failed) if cell.failed else ""))
    out.append("")
    out.append("</details>")
    out.append("")
    if bench.problems:
        out.append("## Problems")
        out.append("")
        for kind, what, text, err in bench.problems:
            out.append("* %s, %s: %s" % (kind, what, text))
            if err:
                out.append("")
                out.append("  ```")
                for l in err.splitlines()[-15:]:
                    out.append("  " + l)
                out.append("  ```")
        out.append("")
    else:
        out.append("No problems observed (every ftpfs read was checked "
                   "against the file on disk%s)." % (
                       ", every upload on the server's disk" if
                       (a.write or a.tls) else ""))
        out.append("")
    return "\n".join(out)


# --- main ----------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Benchmark ftpfs against raw curl on loopback "
                    "(pyftpdlib and vsftpd).")
    p.add_argument("--runs", type=int, default=None,
                   help="runs per workload, median reported (default 3; "
                        "1 with --quick)")
    p.add_argument("--latency-ms", type=float, default=0,
                   help="pyftpdlib waits this long before every reply; "
                        "vsftpd rows are skipped when > 0")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 50 MiB file, 2,000 entries, 32 MiB "
                        "writes, 1 run")
    p.add_argument("--servers", default=",".join(SERVER_KINDS),
                   help="comma-separated subset of pyftpdlib,vsftpd")
    p.add_argument("--file-mib", type=int, default=None,
                   help="size of the big file (default 500; 50 with --quick)")
    p.add_argument("--entries", type=int, default=None,
                   help="directory entries (default 10000; 2000 with --quick)")
    p.add_argument("--reads", type=int, default=200,
                   help="random 4 KiB reads (default 200)")
    p.add_argument("--seed", type=int, default=1,
                   help="seed of the random read offsets (default 1)")
    p.add_argument("--write-mib", type=int, default=None,
                   help="size of the file written with cp / curl -T "
                        "(default 256; 32 with --quick)")
    p.add_argument("--no-write", dest="write", action="store_false",
                   help="skip the write workloads (cp into the mount)")
    p.add_argument("--no-tls", dest="tls", action="store_false",
                   help="skip the FTPS workloads (vsftpd with explicit TLS)")
    p.add_argument("--tls-reads", type=int, default=None,
                   help="random 4 KiB reads over FTPS (default: --reads; "
                        "20 with --quick: curl takes ~0.4 s for each)")
    p.add_argument("--tls-version", choices=["1.2", "1.3"],
                   help="pin the FTPS server to this TLS version "
                        "(tests/servers/vsftpd.py --tls-version; default: "
                        "whatever OpenSSL negotiates, TLS 1.3 here)")
    p.add_argument("--ftpfs", default=os.environ.get("FTPFS_BIN") or
                   os.path.join(REPO, "build", "ftpfs"),
                   help="ftpfs binary (default $FTPFS_BIN or build/ftpfs)")
    p.add_argument("--pyftpd-arg", action="append", default=[],
                   metavar="ARG",
                   help="extra argument for tests/servers/pyftpd.py "
                        "(repeatable), e.g. --pyftpd-arg=--fix-0o-mode")
    p.add_argument("-o", dest="ftpfs_opts", default="",
                   help="extra ftpfs -o options, e.g. connections=2")
    p.add_argument("--output", default=os.path.join(BENCH, "results.md"),
                   help="write the table here too (default bench/results.md;"
                        " '-' for none)")
    a = p.parse_args(argv)
    if a.runs is None:
        a.runs = 1 if a.quick else 3
    if a.file_mib is None:
        a.file_mib = 50 if a.quick else 500
    if a.entries is None:
        a.entries = 2000 if a.quick else 10000
    if a.write_mib is None:
        a.write_mib = 32 if a.quick else 256
    if a.tls_reads is None:
        a.tls_reads = 20 if a.quick else a.reads
    if a.latency_ms == int(a.latency_ms):
        a.latency_ms = int(a.latency_ms)
    a.ftpfs = os.path.abspath(a.ftpfs)
    a.servers = [s.strip() for s in a.servers.split(",") if s.strip()]
    for s in a.servers:
        if s not in SERVER_KINDS:
            p.error("unknown server %r (want pyftpdlib and/or vsftpd)" % s)
    if a.runs < 1 or a.file_mib < 1 or a.entries < 1 or a.reads < 1 \
            or a.latency_ms < 0 or a.write_mib < 1 or a.tls_reads < 1:
        p.error("--runs, --file-mib, --entries, --reads, --tls-reads, "
                "--write-mib must be >= 1, --latency-ms >= 0")
    # FTPS is served by vsftpd, which has no latency knob
    a.tls_skip_why = None
    if not a.tls:
        a.tls_skip_why = "--no-tls"
    elif "vsftpd" not in a.servers:
        a.tls_skip_why = "vsftpd not in --servers"
    elif a.latency_ms:
        a.tls_skip_why = "vsftpd has no latency knob; skipped when " \
                         "--latency-ms > 0"
    a.tls = a.tls_skip_why is None
    return a


def preflight(a):
    missing = []
    if not os.access(a.ftpfs, os.X_OK):
        missing.append("%s (build it: meson setup build && meson compile "
                       "-C build)" % a.ftpfs)
    for tool in ("curl", "fusermount3", "ls", "cat", "cp") + \
            (("openssl",) if a.tls else ()):
        if not shutil.which(tool):
            missing.append(tool)
    if "vsftpd" in a.servers and not os.path.exists("/usr/sbin/vsftpd"):
        missing.append("/usr/sbin/vsftpd (apt-get install vsftpd)")
    if subprocess.run([PY, "-c", "import pyftpdlib"],
                      capture_output=True).returncode != 0:
        missing.append("python3-pyftpdlib for %s" % PY)
    if not os.path.exists("/dev/fuse"):
        missing.append("/dev/fuse")
    if missing:
        raise BenchError("missing: " + "; ".join(missing))


class BinarySnapshot:
    """A private copy of the ftpfs binary, taken at start: a rebuild of
    build/ftpfs during the run cannot mix two binaries in one table."""

    def __init__(self, path):
        self.dir = tempfile.mkdtemp(prefix="ftpfs-bench-bin-")
        _live.append(self)
        self.path = os.path.join(self.dir, "ftpfs")
        shutil.copy2(path, self.path)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        if self in _live:
            _live.remove(self)


def cleanup_all():
    for obj in reversed(list(_live)):
        try:
            obj.cleanup()
        except Exception as e:  # keep cleaning the rest
            print("bench: cleanup of %r failed: %s" % (obj, e),
                  file=sys.stderr)


def main(argv):
    a = parse_args(argv)

    def on_signal(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    t_start = time.time()
    try:
        preflight(a)
        a.ftpfs_run = BinarySnapshot(a.ftpfs).path
        wsize = a.write_mib * MiB
        tree = Tree(a.entries, a.file_mib * MiB,
                    3 * wsize if (a.write or a.tls) else 0)
        area = WriteArea(tree, wsize) if (a.write or a.tls) else None
        bench = Bench(a, tree, area)
        for kind in a.servers:
            if kind == "vsftpd" and a.latency_ms:
                bench.skipped.append((kind, "vsftpd has no latency knob; "
                                      "its rows are skipped when "
                                      "--latency-ms > 0"))
                log("vsftpd skipped (--latency-ms > 0)")
                continue
            try:
                bench.run_server(kind)
            except BenchError as e:
                bench.skipped.append((kind, "server did not run: %s" % e))
                log("%s: %s" % (kind, e))
        if a.tls:
            try:
                bench.run_tls()
            except BenchError as e:
                bench.skipped.append(("vsftpd FTPS", "server did not run: %s"
                                      % e))
                log("vsftpd FTPS: %s" % e)
        facts = machine_facts(a, tree, bench)
        facts.append(("bench wall time", "%.0f s" % (time.time() - t_start)))
        text = report(a, tree, bench, facts)
    except BenchError as e:
        print("bench: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        cleanup_all()
    print(text)
    if a.output and a.output != "-":
        tmp = a.output + ".tmp"
        with open(tmp, "w") as f:
            f.write(text + "\n")
        os.rename(tmp, a.output)
        log("written to %s" % os.path.relpath(a.output))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
