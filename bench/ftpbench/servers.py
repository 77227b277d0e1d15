"""What the workloads run against: the served tree, the FTP servers
(started by the test harness, tests/integration/harness.py), the write
area, and the ftpfs, ceiling and rclone mounts."""

import hashlib
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time

import harness  # tests/integration, on sys.path from .common
from harness import tail  # the last bytes of a log

from .common import (BenchError, MiB, READ_SIZE, WRITE_DIR, WRITE_PASS,
                     WRITE_USER, _live, log, one_line)


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


TREE_TOP, TREE_SUB = 10, 10        # tree/dNN/sNN: 100 leaf directories
LSR_TOP, LSR_SUB, LSR_FILES = 10, 14, 10   # lsr/: 151 dirs, 1,400 files


def write_random(path, size):
    """size random bytes (every MiB distinct); returns the sha256."""
    h = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            block = os.urandom(min(MiB, left))
            h.update(block)
            f.write(block)
            left -= len(block)
    os.chmod(path, 0o644)
    return h.hexdigest()


class Tree:
    def __init__(self, entries, size, extra=0, tree_files=0, small_files=0,
                 small_size=4096, cap_size=0, seed=1, many=0, many_size=0,
                 lsr=False):
        """extra: bytes the write area will need next to the tree."""
        self.entries = entries
        self.size = size
        parent = pick_tree_parent(size + extra + cap_size + many * many_size)
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
        self.sha256 = write_random(self.big, size)
        rng = random.Random(seed)
        # tree/: TREE_TOP dirs x TREE_SUB subdirs, the files spread over
        # the leaves, 1-8 KiB each
        self.tree_files = tree_files
        self.tree_bytes = 0
        self.tree_dirs = 0
        if tree_files:
            top = os.path.join(self.root, "tree")
            os.mkdir(top, 0o755)
            leaves = []
            for i in range(TREE_TOP):
                d = os.path.join(top, "d%02d" % i)
                os.mkdir(d, 0o755)
                for j in range(TREE_SUB):
                    leaf = os.path.join(d, "s%02d" % j)
                    os.mkdir(leaf, 0o755)
                    leaves.append(leaf)
            self.tree_dirs = 1 + TREE_TOP + len(leaves)
            for k in range(tree_files):
                n = rng.randint(1024, 8192)
                with open(os.path.join(leaves[k % len(leaves)],
                                       "f%04d" % k), "wb") as f:
                    f.write(os.urandom(n))
                self.tree_bytes += n
        # small/: small_files files of small_size bytes, contents kept
        self.small = {}
        self.small_dir = None
        if small_files:
            d = self.small_dir = os.path.join(self.root, "small")
            os.mkdir(d, 0o755)
            for k in range(small_files):
                name = "f%04d" % k
                data = os.urandom(small_size)
                with open(os.path.join(d, name), "wb") as f:
                    f.write(data)
                self.small[name] = data
        for dirpath, dirnames, filenames in os.walk(self.root):
            for n in dirnames:
                os.chmod(os.path.join(dirpath, n), 0o755)
            for n in filenames:
                os.chmod(os.path.join(dirpath, n), 0o644)
        # many/: `many` files of many_size random bytes (the concurrent
        # readers row), their sha256s kept
        self.many = {}
        self.many_size = many_size
        if many:
            d = os.path.join(self.root, "many")
            os.mkdir(d, 0o755)
            for k in range(many):
                name = "m%02d" % k
                self.many[name] = write_random(os.path.join(d, name),
                                               many_size)
        # lsr/: LSR_TOP x LSR_SUB directories (151 with lsr/ itself), each
        # leaf with LSR_FILES empty files (the ls -lR rows)
        self.lsr_dirs = self.lsr_files = 0
        if lsr:
            top = os.path.join(self.root, "lsr")
            os.mkdir(top, 0o755)
            self.lsr_dirs = 1
            for i in range(LSR_TOP):
                d = os.path.join(top, "d%02d" % i)
                os.mkdir(d, 0o755)
                self.lsr_dirs += 1
                for j in range(LSR_SUB):
                    leaf = os.path.join(d, "s%02d" % j)
                    os.mkdir(leaf, 0o755)
                    self.lsr_dirs += 1
                    for k in range(LSR_FILES):
                        fd = os.open(os.path.join(leaf, "f%02d" % k),
                                     os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                                     0o644)
                        os.close(fd)
                        self.lsr_files += 1
        # capped: the file for the bandwidth-capped server
        self.cap_size = cap_size
        if cap_size:
            self.capped = os.path.join(self.root, "capped")
            self.cap_sha256 = write_random(self.capped, cap_size)
        self.fstype = fstype_of(self.root)
        log("tree %s (%s): %d entries, %d MiB file, %d tree files, %d "
            "small files, %.1f s" % (self.root, self.fstype, entries,
                                     size // MiB, tree_files, small_files,
                                     time.time() - t0))

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
    """tests/servers/pyftpd.py or vsftpd.py as a child, started by the test
    harness (harness.start_server; here without its command log, which
    would slow the server down).  write=True: the write-workload variant
    (pyftpdlib: user WRITE_USER with full permissions; vsftpd: --writable,
    anonymous uploads into WRITE_DIR).  extra: pyftpd.py flags;
    launcher_args: flags for either launcher."""

    def __init__(self, kind, root, latency_ms, extra=(), write=False,
                 launcher_args=(), label=None):
        self.kind = kind
        self.label = label or kind
        self.root = root              # what it serves (the ceiling mirrors it)
        knobs = {"log": False, "start_timeout": 30}
        args = list(launcher_args)
        if kind == "pyftpdlib":
            if write:
                knobs.update(user=WRITE_USER, password=WRITE_PASS)
            else:
                knobs["anonymous"] = True
            if latency_ms:
                knobs["latency_ms"] = latency_ms
            args = list(extra) + args
        elif write:
            knobs.update(writable=True, writable_dir=WRITE_DIR)
        knobs["args"] = args
        try:
            self.srv = harness.start_server(kind, root, **knobs)
        except harness.HarnessError as e:
            raise BenchError(one_line(e))
        _live.append(self)
        self.stop_problem = None
        self.proc = self.srv.proc
        self.port = self.srv.port
        self.url = self.srv.url()
        self.curl_url = self.url      # what curl fetches
        self.curl_args = []           # extra curl arguments (TLS)
        self.mount_opts = ""          # extra ftpfs -o options (TLS)
        # for ftplib and rclone
        if write and kind == "pyftpdlib":
            self.user, self.password = WRITE_USER, WRITE_PASS
        else:
            self.user, self.password = "anonymous", "bench@"
        self.tls = False
        self.cert = getattr(self, "cert", None)   # VsftpdTLS: set already
        log("%s%s server pid %d at %s" % (self.label, " (write)" if write
                                          else "", self.proc.pid, self.url))

    def log_hint(self):
        return ""

    def cleanup(self):
        """Stop it as the harness does (SIGTERM by PID, wait, SIGKILL if it
        does not go); what went wrong is exit_problem()."""
        if self in _live:
            _live.remove(self)
        try:
            self.srv.stop()
        except harness.HarnessError as e:
            self.stop_problem = one_line(e)

    def exit_problem(self):
        return self.stop_problem


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
        self.tls = True
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

    name = "ftpfs"

    def __init__(self, ftpfs, url, opts):
        self.mp = os.path.realpath(tempfile.mkdtemp(prefix="ftpfs-bench-mnt-"))
        self.err_path = self.mp + ".stderr"
        self.cmd = [ftpfs, url, self.mp, "-f"]
        if opts:
            self.cmd += ["-o", opts]
        self._start()

    def _start(self):
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
                why = "%s exited (rc=%s) before mounting: %s" % (
                    self.name, self.proc.returncode, one_line(self.stderr()))
            elif time.time() > deadline:
                why = "%s did not mount in 20 s: %s" % (
                    self.name, one_line(self.stderr()))
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
                self.problems.append("%s died while mounted (rc=%s)"
                                     % (self.name, self.proc.returncode))
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
                self.problems.append("%s did not exit 20 s after unmount"
                                     % self.name)
                self.proc.kill()
                self.proc.wait()
            rc = self.proc.returncode
            if rc != 0 and not self.killed and not self.problems:
                self.problems.append("%s exit status %s after unmount"
                                     % (self.name, rc))
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


class CeilingMount(Mount):
    """bench/ceiling/ceiling SRC MP -f: a local mirror of the directory a
    server serves, through the same libfuse and FUSE settings as ftpfs
    (see bench/ceiling/ceiling.c): what a workload costs through FUSE
    alone."""

    name = "ceiling"

    def __init__(self, binary, src):
        self.mp = os.path.realpath(tempfile.mkdtemp(prefix="ftpfs-bench-ceil-"))
        self.err_path = self.mp + ".stderr"
        self.cmd = [binary, src, self.mp, "-f"]
        self._start()


class RcloneMount(Mount):
    """`rclone mount :ftp: MP --vfs-cache-mode MODE ...` in the foreground
    as a child (we keep its PID), unmounted like ftpfs (fusermount3 -u)."""

    name = "rclone"

    def __init__(self, server, mode, defaults=False):
        """defaults: rclone's own connection count (no --ftp-concurrency),
        else as many connections as ftpfs (RCLONE_CONNS)."""
        self.mp = os.path.realpath(tempfile.mkdtemp(prefix="ftpfs-bench-rcl-"))
        self.err_path = self.mp + ".stderr"
        self.cache_dir = self.mp + ".cache"
        self.cmd = ["rclone", "mount", ":ftp:", self.mp, "--config",
                    "/dev/null", "--ftp-host", "127.0.0.1", "--ftp-port",
                    str(server.port), "--ftp-user", server.user,
                    "--ftp-pass", rclone_obscure(server.password)] + \
            RCLONE_OPTS + ([] if defaults else RCLONE_CONNS) + \
            ["--vfs-cache-mode", mode,
                           "--cache-dir", self.cache_dir]
        if mode != "off":
            self.cmd += ["--vfs-write-back", "0s"]
        if server.tls:
            self.cmd += ["--ftp-explicit-tls", "--ftp-no-check-certificate"]
            self.cmd += RCLONE_TLS_OPTS
        self.cmd += RCLONE_EXTRA
        self._start()

    def cleanup(self):
        try:
            Mount.cleanup(self)
        finally:
            shutil.rmtree(self.cache_dir, ignore_errors=True)


# every rclone mount: a directory cache as long as ftpfs's cache_timeout
# (30 s); the "rclone 4" column also as many FTP connections as ftpfs has
# (4), the "rclone defaults" column rclone's own (--ftp-concurrency 0:
# unlimited)
RCLONE_OPTS = ["--dir-cache-time", "30s"]
RCLONE_CONNS = ["--ftp-concurrency", "4"]
# FTPS: rclone 1.60 over TLS 1.3 gets "remote error: tls: illegal parameter"
# from vsftpd on its data connections (every read fails with EIO); over
# TLS 1.2 it works (rclone's documented workaround for such servers)
RCLONE_TLS_OPTS = ["--ftp-disable-tls13"]
RCLONE_EXTRA = []                   # --rclone-arg
_obscured = {}


def rclone_obscure(pw):
    if pw not in _obscured:
        r = subprocess.run(["rclone", "obscure", pw], capture_output=True,
                           text=True, timeout=30)
        if r.returncode != 0:
            raise BenchError("rclone obscure failed: %s" % one_line(r.stderr))
        _obscured[pw] = r.stdout.strip()
    return _obscured[pw]


def rclone_mode(via):
    """The --vfs-cache-mode of an rclone `via` ("off", "writes", or those
    with ":def" for rclone's default connection count), None for ftpfs
    (via None) and the ceiling."""
    if not via or via == "ceiling":
        return None
    return via.split(":")[0]


def side_of(via):
    """The Row attribute (and file name part) of a mount: ftpfs, ceiling,
    rclone (4 connections), rclone_def (rclone's defaults)."""
    if not via:
        return "ftpfs"
    if via == "ceiling":
        return "ceiling"
    return "rclone_def" if via.endswith(":def") else "rclone"


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
            raise BenchError("no answer in %d s (%s killed by the "
                             "benchmark's watchdog)" % (self.secs,
                                                        self.mount.name))
        return False
