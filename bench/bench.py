#!/usr/bin/python3
"""ftpfs benchmark: ftpfs through a FUSE mount vs raw transfers (curl,
Python's ftplib) vs `rclone mount`, same run.

    /usr/bin/python3 bench/bench.py [--runs N] [--quick] [--latency-ms N]
        [--servers pyftpdlib,vsftpd] [--file-mib N] [--entries N]
        [--reads N] [--seed N] [--write-mib N] [--tree-files N]
        [--small-files N] [--small-kib N] [--parallel N] [--cap-mibps N]
        [--cap-file-mib N] [--no-write] [--no-tls] [--no-rclone]
        [--no-reread] [--tls-reads N] [--tls-version 1.2|1.3]
        [--ftpfs PATH] [-o OPTS] [--only WORKLOADS] [--output FILE] ...

Serves one temporary tree (dir/ of --entries empty files, `big`, a
--file-mib file of random bytes, tree/ of 10 x 10 directories with
--tree-files small files, small/ with --small-files files, `capped`) from
several servers on 127.0.0.1, runs every workload through a fresh ftpfs
mount, raw (curl or ftplib), through a fresh mount of the FUSE ceiling
(bench/ceiling: the served directory mirrored through FUSE with ftpfs's
settings; plain sections) and through fresh `rclone mount`s at rclone's
default connection count and at ftpfs's 4, interleaved, and prints a
Markdown table of medians with ratios to raw and to the ceiling and the
goals of issue 16 (also written to --output, default bench/results.md).  Sections: pyftpdlib and vsftpd (plain, no latency),
pyftpdlib with --log (re-read of an unchanged file), pyftpdlib with a
per-connection bandwidth cap (--cap-mibps), the same with --latency-ms
too (--wan-mbit), pyftpdlib with a round-trip
latency (--latency-ms, default 20; vsftpd cannot add latency), vsftpd with
explicit FTPS.  The writes (`cp` of a file, `cp -r` of small/) go to a
second, writable server per section.  --only runs some workloads and
merges their rows into --output.  See bench/README.md for what each row
means.

This is a benchmark only: nothing here is a pass/fail test.  A workload
that fails through ftpfs (error, timeout, wrong byte count or contents) is
reported as FAILED with the reason (rclone: "failed (reason)"), and the
mount's stderr goes to the "Problems" section.  Mounts, servers and the
temp tree are always removed (try/finally), also on Ctrl-C and SIGTERM.

Standard library only; run with Debian's /usr/bin/python3 (the servers
need its python3-pyftpdlib).
"""

import argparse
import concurrent.futures
import contextlib
import datetime
import ftplib
import hashlib
import json
import os
import platform
import random
import re
import shutil
import signal
import ssl
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
# --only: ls (cold + warm), cat (+ its RSS), rnd, tree (find + du), small
# (serial + parallel reads), write (cp of one file), cp_r (cp -r of the
# small files), reread, capped, wan (capped at --latency-ms), many
# (concurrent readers of different files), lsr (ls -lR at --lsr-latency-ms)
WORKLOADS = ("ls", "cat", "rnd", "tree", "small", "write", "cp_r", "reread",
             "capped", "wan", "many", "lsr")
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


def parallel(fn, chunks):
    """fn(chunk) for every chunk, each in its own thread (one chunk: in
    this thread); exceptions propagate."""
    if len(chunks) == 1:
        fn(chunks[0])
        return
    with concurrent.futures.ThreadPoolExecutor(len(chunks)) as ex:
        for fut in [ex.submit(fn, c) for c in chunks]:
            fut.result()


class ReuseFTP_TLS(ftplib.FTP_TLS):
    """FTP_TLS whose data connections resume the control connection's TLS
    session (vsftpd's require_ssl_reuse=YES refuses others)."""

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host,
                                            session=self.sock.session)
        return conn, size


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


# --- goals (from issue 16's table; shown next to each row) ---------------
# (kind, value): "tput_ge" ftpfs MiB/s >= value x raw's; "ceil_tput_ge"
# ftpfs MiB/s >= value x the ceiling's; "ratio_le" ftpfs time <= value x
# raw's; "ratio_le_rclone" the same and less time than rclone at its
# defaults; "abs_le" ftpfs median <= value (s or MiB).  Rows the table has
# no goal for show "–".
GOAL_SEQ = ("ceil_tput_ge", 0.9)     # plain FTP: cat, cp vs the ceiling
GOAL_TLS = ("tput_ge", 1.0)          # FTPS cat, cp: >= raw
GOAL_RSS = ("abs_le", 20.0)
GOAL_LS_COLD = ("ratio_le", 1.5)
GOAL_LS_WARM = ("abs_le", 0.05)
GOAL_TREE = ("ratio_le", 0.2)        # at 20 ms
GOAL_SMALL_PAR = ("ratio_le_rclone", 1.0)   # at 20 ms
GOAL_RND = ("ratio_le", 0.55)        # at 20 ms
GOAL_CAP = ("tput_ge", 3.0)
GOAL_WAN = ("tput_ge", 2.5)          # 20 ms RTT + 100 Mbit/s per connection
GOAL_LSR = ("ratio_le", 0.3)         # 100 ms: ls -lR vs a serial walk
GOAL_LSR_WARM = ("abs_le", 1.0)
GOAL_MANY = ("tput_fb", 0.9, 2.0)    # 64 readers: >= 0.9x one raw stream's
                                     # MiB/s, no first byte after > 2 s
GOAL_CPR = ("ratio_le", 1.2)         # cp -r of many files, 0 ms
GOAL_CPR_LAT = ("ratio_le", 1.0)     # the same at 20 ms RTT


# --- servers --------------------------------------------------------------

class Server:
    """tests/servers/pyftpd.py or vsftpd.py as a child.  write=True: the
    write-workload variant (pyftpdlib: user WRITE_USER with full
    permissions; vsftpd: --writable, anonymous uploads into WRITE_DIR)."""

    def __init__(self, kind, root, latency_ms, extra=(), write=False,
                 launcher_args=(), label=None):
        self.kind = kind
        self.label = label or kind
        self.root = root              # what it serves (the ceiling mirrors it)
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


# --- bookkeeping -----------------------------------------------------------

class Cell:
    """The values of one side (ftpfs, raw or rclone) of one row, over the
    runs."""

    def __init__(self):
        self.values = []
        self.failed = None          # reason, if any run failed
        self.extra = []             # per-run notes for the details section
        self.pretransfer = []       # FTPS raw: curl's time_pretransfer, s
        self.skipped = None         # reason it was not measured (any more)

    def fail(self, reason):
        if self.failed is None:
            self.failed = one_line(reason)

    def median(self):
        return statistics.median(self.values) if self.values else None

    def live(self):
        return self.failed is None and self.skipped is None


class Row:
    def __init__(self, server, key, title, unit, size=None, goal=None):
        self.server = server
        self.key = key
        self.title = title
        self.unit = unit            # "s" or "MiB" (RSS)
        self.size = size            # bytes moved per run: cell shows MiB/s
        self.goal = goal            # (kind, value), see goal_text()
        self.ftpfs = Cell()
        self.raw = Cell()
        self.rclone = Cell()        # rclone, --ftp-concurrency 4
        self.rclone_def = Cell()    # rclone at its default connections
        self.ceiling = Cell()       # bench/ceiling (plain sections)
        self.alts = []              # [(name, Cell)]: raw = the fastest
        self.rclone_mode = "off"    # --vfs-cache-mode of the rclone column
        self.note = ""

    def add_alt(self, name):
        c = Cell()
        self.alts.append((name, c))
        return c

    def pick_raw(self):
        """Rows with several raw methods: raw = the one with the lowest
        median (of those that did not fail)."""
        if not self.alts:
            return None
        ok = [(c.median(), n, c) for n, c in self.alts
              if c.failed is None and c.values]
        if not ok:
            self.raw = self.alts[0][1]
            return self.alts[0][0]
        ok.sort(key=lambda x: x[0])
        self.raw = ok[0][2]
        return ok[0][1]


class Bench:
    def __init__(self, a, tree, area=None):
        self.a = a
        self.tree = tree
        self.area = area            # WriteArea, or None (no writes, no TLS)
        self.rows = []
        self.problems = []          # (server, workload, text, stderr)
        self.skipped = []
        self.tls_info = None        # what curl negotiated with vsftpd FTPS
        self.ceiling_info = None    # the ceiling's init line (its stderr)
        self.section_times = []
        rng = random.Random(a.seed)
        self.offsets = [rng.randrange(0, tree.size - READ_SIZE + 1)
                        for _ in range(max(a.reads, a.tls_reads))]
        self.expected = tree.expected(self.offsets)
        self.env = dict(os.environ, LC_ALL="C")
        self.cat_timeout = max(120, tree.size // MiB)   # >= 1 MiB/s
        self.rnd_timeout = max(120, max(a.reads, a.tls_reads) *
                               (1 + a.latency_ms / 10.0))
        self.write_timeout = max(120, a.write_mib)      # >= 1 MiB/s
        self.small_timeout = max(120, len(tree.small) *
                                 (0.05 + a.latency_ms / 5.0))
        self.tree_timeout = max(120, (tree.tree_files + tree.tree_dirs) *
                                (0.05 + a.latency_ms / 5.0))

    def want(self, *keys):
        return wants(self.a, *keys)

    def row(self, server, key, title, unit, size=None, goal=None):
        r = Row(server, key, title, unit, size, goal)
        self.rows.append(r)
        return r

    def mount(self, server, via=None, opts=""):
        """via None: ftpfs (opts: more -o options); "off" / "writes":
        rclone with that --vfs-cache-mode."""
        if hasattr(server, "set_mark"):
            server.set_mark()
        if via == "ceiling":
            m = CeilingMount(self.a.ceiling_run, server.root)
        elif via:
            m = RcloneMount(server, rclone_mode(via), via.endswith(":def"))
        else:
            opts = ",".join(o for o in (server.mount_opts, self.a.ftpfs_opts,
                                        opts) if o)
            m = Mount(self.a.ftpfs_run, server.url, opts)
        m.nprob = len(self.problems)
        return m

    def unmount(self, m, server, what):
        m.cleanup()
        quiet = len(self.problems) == getattr(m, "nprob", -1)
        for p in m.problems:
            self.problem(server, what, p, m.err_text)
        if m.name == "ceiling" and not self.ceiling_info:
            for l in m.err_text.splitlines():
                if l.startswith("ceiling: "):
                    self.ceiling_info = l[len("ceiling: "):].strip()
        # a workload that passed, but ftpfs reported errors on the way
        if m.name != "ftpfs":
            return
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

    @staticmethod
    def who(via):
        if via == "ceiling" or not via:
            return via or "ftpfs"
        return "rclone (--vfs-cache-mode %s, %s)" % (
            rclone_mode(via), "its default connections"
            if via.endswith(":def") else "4 connections")

    def others(self, mode, ceil=True):
        """The mounts measured next to ftpfs, in turn: (via, Row attribute)
        for the ceiling (ceil: the plain sections), rclone at its default
        connection count and rclone with 4; mode: rclone's
        --vfs-cache-mode."""
        out = []
        if ceil and self.a.ceiling:
            out.append(("ceiling", "ceiling"))
        if self.a.rclone:
            out += [(mode + ":def", "rclone_def"), (mode, "rclone")]
        return out

    # -- workload 1: ls -l ------------------------------------------------

    @staticmethod
    def count_lsr(out):
        """Entries in `ls -lR` output: the lines of files and directories
        (not the "DIR:" headers, "total" lines or blank lines)."""
        return len([l for l in out.decode("utf-8", "replace").splitlines()
                    if l[:1] in ("-", "d", "l")])

    def count_ls(self, out):
        lines = [l for l in out.decode("utf-8", "replace").splitlines()
                 if l and not l.startswith("total ")]
        return len(lines)

    def ls_run(self, server, cold, warm, via=None, recursive=False):
        """`ls -l MNT/dir` (recursive: `ls -lR MNT/lsr`) twice on a fresh
        mount, the entry count checked each time."""
        flag = "-lR" if recursive else "-l"
        what = "ls %s, %s" % (flag, self.who(via))
        want = self.tree.lsr_dirs - 1 + self.tree.lsr_files if recursive \
            else self.tree.entries
        m = None
        try:
            m = self.mount(server, via)
            d = m.path("lsr" if recursive else "dir")
            with m.watchdog(600):
                for cell in (cold, warm):
                    r = timed(["ls", flag, d], capture=True, timeout=580,
                              env=self.env)
                    why = r.why("ls " + flag)
                    if why:
                        raise BenchError(why)
                    n = self.count_lsr(r.out) if recursive else \
                        self.count_ls(r.out)
                    if n != want:
                        raise BenchError("ls %s listed %d entries, want %d"
                                         % (flag, n, want))
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

    def cat_verify(self, server, via=None, name="big", size=None,
                   sha=None):
        """Once per server: `cat` through a fresh mount, byte count and
        sha256 against the file on disk.  Returns a failure reason or None."""
        size = self.tree.size if size is None else size
        sha = sha or self.tree.sha256
        m = None
        try:
            m = self.mount(server, via)
            with m.watchdog(self.cat_timeout + 60):
                t0 = time.perf_counter()
                p = subprocess.Popen(["cat", m.path(name)],
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
                self.last_verify_secs = time.perf_counter() - t0
            if p.returncode != 0:
                return "cat exit %d after %d bytes: %s" % (
                    p.returncode, n, one_line(err, 200))
            if n != size:
                return "cat gave %d bytes, want %d" % (n, size)
            if h.hexdigest() != sha:
                return "cat: %d bytes but sha256 differs from the file on " \
                       "disk" % n
            return None
        except BenchError as e:
            return str(e)
        finally:
            if m:
                self.unmount(m, server, "cat (verify), " + self.who(via))

    def cat_run(self, server, cell, rss, via=None, name="big", size=None):
        what = "cat, " + self.who(via)
        size = self.tree.size if size is None else size
        m = None
        try:
            m = self.mount(server, via)
            base = m.vm_hwm_kib()
            with m.watchdog(self.cat_timeout + 30):
                r = timed(["cat", m.path(name)], timeout=self.cat_timeout)
            why = r.why("cat")
            if why:
                raise BenchError(why)
            hwm = m.vm_hwm_kib()
            cell.values.append(r.secs)
            if rss is None:
                pass
            elif hwm is not None:
                rss.values.append(hwm / 1024.0)
                rss.extra.append("%.1f MiB after mount" % (base / 1024.0)
                                 if base else "")
            else:
                rss.fail("could not read VmHWM of ftpfs (pid %d)"
                         % m.proc.pid)
        except BenchError as e:
            cell.fail(str(e))
            if rss is not None:
                rss.fail(str(e))
            self.problem(server, what, str(e), m.stderr() if m else "")
        finally:
            if m:
                self.unmount(m, server, what)

    def cat_raw(self, server, cell, rss, name="big", size=None):
        size = self.tree.size if size is None else size
        fmt = "%{size_download}"
        if server.curl_args:
            fmt += " %{time_pretransfer}"
        r = timed(["curl", "-sS"] + server.curl_args +
                  ["-o", "/dev/null", "-w", fmt,
                   server.curl_url + name], capture=True,
                  timeout=self.cat_timeout)
        why = r.why("curl RETR")
        if why:
            cell.fail(why)
            if rss is not None:
                rss.fail(why)
            return
        fields = r.out.decode().split()
        got = int(float(fields[0])) if fields else 0
        if got != size:
            cell.fail("curl got %d bytes, want %d" % (got, size))
            if rss is not None:
                rss.fail(cell.failed)
            return
        cell.values.append(r.secs)
        if len(fields) > 1:
            cell.pretransfer.append(float(fields[1]))
        if rss is not None:
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

    def rnd_run(self, server, cell, n, via=None):
        """The first n of self.offsets (the same every run)."""
        what = "random reads, " + self.who(via)
        m = None
        fd = None
        try:
            m = self.mount(server, via)
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

    def cp_run(self, server, cell, via, what, cmd, dest, files, timeout,
               check, trace=False):
        """`cmd MNT/pub/DEST` (a cp) through a fresh mount, timed until cp
        has returned: close() is done, so check() must find the data on
        the server's disk right then.  rclone (via="writes") uploads from
        its cache after close(): its time runs until every (path, size) in
        files is complete on the server's disk.  trace: an untimed run
        with -o ftp_trace; returns the daemon's whole stderr."""
        m = None
        text = None
        try:
            m = self.mount(server, via, "ftp_trace" if trace else "")
            t0 = time.perf_counter()
            with m.watchdog(timeout + 30):
                r = timed(cmd + [m.path(WRITE_DIR, dest)], timeout=timeout)
            prog = " ".join(x for x in cmd if x == "cp" or x.startswith("-"))
            why = r.why(prog)
            if why:
                raise BenchError(why)
            secs = r.secs
            if rclone_mode(via):
                self.wait_uploaded(m, files, timeout)
                secs = time.perf_counter() - t0
                cell.extra.append("%s returned after %s" % (
                    prog, fmt_secs(r.secs)))
            bad = check()
            if bad:
                raise BenchError(bad)
            if trace:
                with open(m.err_path, encoding="utf-8",
                          errors="replace") as fh:
                    text = fh.read()
            else:
                cell.values.append(secs)
        except BenchError as e:
            cell.fail(str(e))
            self.problem(server, what, str(e), m.stderr() if m else "")
        finally:
            if m:
                self.unmount(m, server, what)
        return text

    def write_run(self, server, cell, via=None):
        """`cp SRC MNT/pub/NAME` (cp_run), then no ftpfs temporaries may be
        left in pub/."""
        what = "cp (write), " + self.who(via)
        area = self.area
        name = "bench-%s-%s" % (side_of(via), server.label.replace(" ", "-"))
        area.remove(name)
        try:
            self.cp_run(server, cell, via, what, ["cp", area.src], name,
                        [(os.path.join(area.pub, name), area.size)],
                        self.write_timeout, lambda: area.check(name, "cp"))
        finally:
            left = area.leftovers()
            if left:
                self.problem(server, what, "ftpfs temporaries left on the "
                             "server after unmount: " + ", ".join(left),
                             hint=False)
            area.remove(name)

    @staticmethod
    def wait_uploaded(m, files, timeout):
        """rclone uploads after close(): wait until every (path, size) has
        its size on the server's disk (or timeout, or the daemon died)."""
        left = list(files)
        deadline = time.time() + timeout
        while True:
            keep = []
            for path, size in left:
                try:
                    if os.path.getsize(path) >= size:
                        continue
                except OSError:
                    pass
                keep.append((path, size))
            left = keep
            if not left or time.time() > deadline or \
                    m.proc.poll() is not None:
                return
            time.sleep(0.005)

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


    # -- cp -r of the small files into the mount ------------------------------

    def cpr_dest(self, side, server):
        return "cpr-%s-%s" % (side, re.sub(r"[^A-Za-z0-9]+", "-",
                                           server.label))

    def cpr_remove(self, dest):
        shutil.rmtree(os.path.join(self.area.pub, dest), ignore_errors=True)

    def cpr_check(self, dest, who):
        """Every small/ file in pub/DEST on the server's disk, with its
        contents, and nothing else there: a failure reason or None."""
        d = os.path.join(self.area.pub, dest)
        want = self.tree.small
        try:
            names = set(os.listdir(d))
        except OSError as e:
            return "%s returned but %s/%s is not on the server (%s)" % (
                who, WRITE_DIR, dest, e.strerror)
        missing = sorted(set(want) - names)
        if missing:
            return "%s returned but %d of %d files are not on the server " \
                   "(first: %s)" % (who, len(missing), len(want), missing[0])
        for n in sorted(want):
            with open(os.path.join(d, n), "rb") as fh:
                data = fh.read()
            if data != want[n]:
                return "%s returned but %s on the server has %d bytes%s" % (
                    who, n, len(data), "" if len(data) != len(want[n])
                    else " that differ from the source")
        extra = sorted(names - set(want))
        if extra:
            return "%s: %d unexpected files on the server (first: %s)" % (
                who, len(extra), extra[0])
        return None

    def cpr_run(self, server, cell, via=None, trace=False):
        """`cp -r small/ MNT/pub/DEST` (cp_run); every file must be on the
        server's disk, and nothing else in DEST."""
        what = "cp -r%s, %s" % (" (traced)" if trace else "", self.who(via))
        dest = self.cpr_dest(side_of(via), server)
        d = os.path.join(self.area.pub, dest)
        self.cpr_remove(dest)
        try:
            return self.cp_run(
                server, cell, via, what, ["cp", "-r", self.tree.small_dir],
                dest, [(os.path.join(d, n), len(v))
                       for n, v in self.tree.small.items()],
                self.small_timeout, lambda: self.cpr_check(dest, "cp -r"),
                trace)
        finally:
            self.cpr_remove(dest)

    def cpr_raw(self, server, cell):
        """ftplib, one session: connect + login, TYPE I once, MKD, then
        PASV + STOR of each file in turn, QUIT."""
        dest = self.cpr_dest("raw", server)
        self.cpr_remove(dest)
        try:
            t0 = time.perf_counter()
            f = self.ftp(server)
            f.mkd(WRITE_DIR + "/" + dest)
            for n in sorted(self.tree.small):
                self.ftp_put(f, "STOR %s/%s/%s" % (WRITE_DIR, dest, n),
                             self.tree.small[n])
            self.ftp_close(f)
            t1 = time.perf_counter()
            bad = self.cpr_check(dest, "ftplib")
            if bad:
                cell.fail(bad)
                return
            cell.values.append(t1 - t0)
        except (OSError, EOFError, ftplib.Error) as e:
            cell.fail("ftplib: %s" % e)
        finally:
            self.cpr_remove(dest)

    def cpr_trace(self, server, row):
        """Once per server, untimed: cp -r through a mount with -o
        ftp_trace; the listings of the destination and the commands of
        one file go into the row's note."""
        dest = self.cpr_dest("ftpfs", server)
        text = self.cpr_run(server, row.ftpfs, trace=True)
        if text is None:
            return
        st = trace_stats(text, "/%s/%s" % (WRITE_DIR, dest),
                         sorted(self.tree.small))
        row.trace = st
        row.note += "; ftpfs (traced run, `-o ftp_trace`): **%d listing%s " \
            "of the destination** (MLSD/LIST), %.1f commands per file " \
            "(%s); file %s: %s (%d round trips)" % (
                st["listings"], "" if st["listings"] == 1 else "s",
                st["per_file"], st["counts"], st["file"],
                st["seq"] or "?", st["rtts"])

    # -- ftplib: the raw side of the many-small-requests workloads ----------

    def ftp(self, server):
        """A logged-in ftplib session (binary mode); FTPS: explicit TLS,
        PROT P, data connections resume the control session's TLS session
        (vsftpd's require_ssl_reuse)."""
        if server.tls:
            ctx = ssl.create_default_context(cafile=server.cert)
            f = ReuseFTP_TLS(context=ctx, timeout=60)
            f.connect("127.0.0.1", server.port)
            f.login(server.user, server.password)
            f.prot_p()
        else:
            f = ftplib.FTP(timeout=60)
            f.connect("127.0.0.1", server.port)
            f.login(server.user, server.password)
        f.voidcmd("TYPE I")
        return f

    @staticmethod
    def ftp_get(f, cmd):
        """One transfer without ftplib's per-call TYPE command (the session
        stays in the type set once): PASV/EPSV + cmd, read all, 226."""
        conn, _ = f.ntransfercmd(cmd)
        chunks = []
        with conn:
            while True:
                b = conn.recv(65536)
                if not b:
                    break
                chunks.append(b)
            Bench.tls_unwrap(conn)
        f.voidresp()
        return b"".join(chunks)

    @staticmethod
    def ftp_put(f, cmd, data):
        """One upload the same way: PASV/EPSV + cmd, send, close, 226."""
        conn, _ = f.ntransfercmd(cmd)
        with conn:
            conn.sendall(data)
            Bench.tls_unwrap(conn)
        f.voidresp()

    @staticmethod
    def tls_unwrap(conn):
        """FTPS: close the data connection's TLS cleanly (close_notify)."""
        if isinstance(conn, ssl.SSLSocket):
            try:
                conn.unwrap()
            except (OSError, ValueError):
                pass

    @staticmethod
    def ftp_close(f):
        try:
            f.quit()
        except (OSError, EOFError, ftplib.Error):
            f.close()

    # -- find + du over tree/ ------------------------------------------------

    def tree_run(self, server, cell, via=None):
        """`find MNT/tree -type f | wc -l` then `du -s MNT/tree` on a fresh
        mount; the file count must be right."""
        what = "find+du, " + self.who(via)
        m = None
        try:
            m = self.mount(server, via)
            d = m.path("tree")
            with m.watchdog(self.tree_timeout + 30):
                t0 = time.perf_counter()
                r = timed(["sh", "-c", 'find "$1" -type f | wc -l', "sh", d],
                          capture=True, timeout=self.tree_timeout)
                why = r.why("find")
                if why:
                    raise BenchError(why)
                r2 = timed(["du", "-s", d], capture=True,
                           timeout=self.tree_timeout)
                t1 = time.perf_counter()
            why = r2.why("du -s")
            if why:
                raise BenchError(why)
            n = int(r.out.strip() or 0)
            if n != self.tree.tree_files:
                raise BenchError("find found %d files, want %d"
                                 % (n, self.tree.tree_files))
            cell.values.append(t1 - t0)
            cell.extra.append("du -s: %s KiB" % r2.out.split()[0].decode()
                              if r2.out.split() else "")
        except BenchError as e:
            cell.fail(str(e))
            self.problem(server, what, str(e), m.stderr() if m else "")
        finally:
            if m:
                self.unmount(m, server, what)

    def tree_raw(self, server, cell, top="tree"):
        """A serial walk over one ftplib session: connect, login, then MLSD
        (pyftpdlib) or LIST (vsftpd: no MLSD) of every directory under top,
        counting files and summing sizes (what find + du, or ls -lR,
        need)."""
        want_files, want_bytes = (self.tree.tree_files, self.tree.tree_bytes) \
            if top == "tree" else (self.tree.lsr_files, 0)
        t0 = time.perf_counter()
        try:
            f = self.ftp(server)
            f.voidcmd("TYPE A")         # once (ftplib would send it per list)
            files = size = 0
            todo = [top]
            mlsd = server.kind == "pyftpdlib"
            while todo:
                d = todo.pop()
                text = self.ftp_get(f, ("MLSD " if mlsd else "LIST ") + d)
                lines = text.decode("utf-8", "replace").splitlines()
                if mlsd:
                    for l in lines:
                        factstr, _, name = l.partition(" ")
                        facts = dict(x.split("=", 1) for x in
                                     factstr.rstrip(";").split(";")
                                     if "=" in x)
                        t = facts.get("type", "").lower()
                        if t == "dir":
                            todo.append(d + "/" + name)
                        elif t == "file":
                            files += 1
                            size += int(facts.get("size", 0))
                else:
                    for l in lines:
                        x = l.split(None, 8)
                        if len(x) < 9 or x[8] in (".", ".."):
                            continue
                        if l.startswith("d"):
                            todo.append(d + "/" + x[8])
                        elif l.startswith("-"):
                            files += 1
                            size += int(x[4])
            self.ftp_close(f)
        except (OSError, EOFError, ftplib.Error) as e:
            cell.fail("ftplib walk: %s" % e)
            return
        t1 = time.perf_counter()
        if files != want_files or size != want_bytes:
            cell.fail("ftplib walk found %d files / %d bytes, want %d / %d"
                      % (files, size, want_files, want_bytes))
            return
        cell.values.append(t1 - t0)

    # -- 1,000 small files, serially and in parallel ---------------------------

    def chunks(self, par):
        names = sorted(self.tree.small)
        return [names[i::par] for i in range(par)] if par > 1 else [names]

    def small_run(self, server, cell, par, via=None):
        """Fresh mount; open+read+close every small/ file by name (no ls
        first), in this process: serially, or split over `par` threads."""
        what = "small files x%d, %s" % (par, self.who(via))
        m = None
        try:
            m = self.mount(server, via)
            bad = []

            def work(names):
                for n in names:
                    try:
                        with open(m.path("small", n), "rb") as fh:
                            data = fh.read()
                    except OSError as e:
                        bad.append("%s: %s" % (n, e))
                        return
                    if data != self.tree.small[n]:
                        bad.append("%s: %d bytes, contents %s" % (
                            n, len(data), "differ" if len(data) == len(
                                self.tree.small[n]) else "wrong size"))
                        return

            with m.watchdog(self.small_timeout + 30):
                t0 = time.perf_counter()
                parallel(work, self.chunks(par))
                t1 = time.perf_counter()
            if bad:
                raise BenchError(bad[0])
            cell.values.append(t1 - t0)
        except BenchError as e:
            cell.fail(str(e))
            self.problem(server, what, str(e), m.stderr() if m else "")
        finally:
            if m:
                self.unmount(m, server, what)

    def small_raw(self, server, cell, par):
        """ftplib: `par` sessions (connect + login each, in its thread),
        each RETRs its share of the files one after the other."""
        bad = []

        def work(names):
            try:
                f = self.ftp(server)
                for n in names:
                    if self.ftp_get(f, "RETR small/" + n) != \
                            self.tree.small[n]:
                        bad.append("RETR small/%s: wrong contents" % n)
                        break
                self.ftp_close(f)
            except (OSError, EOFError, ftplib.Error) as e:
                bad.append("ftplib: %s" % e)

        t0 = time.perf_counter()
        parallel(work, self.chunks(par))
        t1 = time.perf_counter()
        if bad:
            cell.fail(bad[0])
            return
        cell.values.append(t1 - t0)

    # -- random reads, raw with ftplib --------------------------------------

    def rnd_ftplib(self, server, cell, n):
        """One ftplib session: per read REST+RETR, read 4 KiB, close the
        data connection (abort), read the 226/426."""
        got = []
        t0 = time.perf_counter()
        try:
            f = self.ftp(server)
            for off in self.offsets[:n]:
                conn, _ = f.ntransfercmd("RETR big", rest=off)
                buf = b""
                while len(buf) < READ_SIZE:
                    b = conn.recv(READ_SIZE - len(buf))
                    if not b:
                        break
                    buf += b
                conn.close()
                try:
                    f.voidresp()
                except ftplib.error_temp:
                    pass            # 426: we closed the data connection
                got.append(buf)
            self.ftp_close(f)
        except (OSError, EOFError, ftplib.Error) as e:
            cell.fail("ftplib read %d: %s" % (len(got), e))
            return
        t1 = time.perf_counter()
        bad = self.check_reads(got, "ftplib")
        if bad:
            cell.fail(bad)
            return
        cell.values.append(t1 - t0)

    # -- re-read of an unchanged file -------------------------------------------

    def reread_run(self, server, cell, via=None):
        """`cat big` twice in one mount; the 2nd is timed; the RETR
        commands and bytes it cost are read from the server's log."""
        what = "re-read, " + self.who(via)
        m = None
        mark = None
        try:
            m = self.mount(server, via)
            with m.watchdog(2 * self.cat_timeout + 30):
                r1 = timed(["cat", m.path("big")], timeout=self.cat_timeout)
                why = r1.why("1st cat")
                if why:
                    raise BenchError(why)
                time.sleep(0.2)         # let the log settle
                mark = os.path.getsize(server.log_path)
                r2 = timed(["cat", m.path("big")], timeout=self.cat_timeout)
            why = r2.why("2nd cat")
            if why:
                raise BenchError(why)
        except (BenchError, OSError) as e:
            cell.fail(str(e))
            self.problem(server, what, str(e), m.stderr() if m else "")
            return
        finally:
            if m:
                self.unmount(m, server, what)
        time.sleep(0.3)                 # transfers closed by the unmount
        retrs = nbytes = 0
        with open(server.log_path, "rb") as fl:
            fl.seek(mark)
            for line in fl.read().decode("utf-8", "replace").splitlines():
                if "<- RETR " in line:
                    retrs += 1
                elif " RETR " in line and " bytes=" in line:
                    try:
                        nbytes += int(line.split(" bytes=")[1].split()[0])
                    except (ValueError, IndexError):
                        pass
        cell.values.append(r2.secs)
        cell.extra.append("1st cat %s; 2nd: %d RETR, %d bytes" % (
            fmt_secs(r1.secs), retrs, nbytes))
        cell.transfers = getattr(cell, "transfers", []) + [(retrs, nbytes)]

    # -- concurrent readers of different files ------------------------------

    @contextlib.contextmanager
    def measuring(self, server, cell, what, via=None):
        """A fresh mount (self.mount) for one measurement, yielded; a
        BenchError inside fails the cell and goes to Problems with the
        mount's stderr; always unmounted."""
        m = None
        try:
            m = self.mount(server, via)
            yield m
        except BenchError as e:
            cell.fail(str(e))
            self.problem(server, what, str(e), m.stderr() if m else "")
        finally:
            if m:
                self.unmount(m, server, what)

    def many_run(self, server, cell, via=None, verify=False):
        """Fresh mount; one thread per many/ file, all started together,
        each open + read to EOF (1 MiB reads); timed until the last is
        done; the longest wait for a first byte goes to cell.first_byte.
        The byte count of every file is checked; verify (untimed, ftpfs
        only, once per server): its sha256 too."""
        what = "%d readers, %s%s" % (len(self.tree.many), self.who(via),
                                     " (verify)" if verify else "")
        with self.measuring(server, cell, what, via) as m:
            bad = []
            first = {}
            go = threading.Event()
            t0 = [0.0]

            def work(name):
                go.wait()
                h = hashlib.sha256() if verify else None
                n = 0
                try:
                    with open(m.path("many", name), "rb",
                              buffering=0) as fh:
                        while True:
                            b = fh.read(MiB)
                            if not b:
                                break
                            if not n:
                                first[name] = time.perf_counter() - t0[0]
                            n += len(b)
                            if h:
                                h.update(b)
                except OSError as e:
                    bad.append("%s: %s" % (name, e))
                    return
                if n != self.tree.many_size:
                    bad.append("%s: %d bytes, want %d" % (
                        name, n, self.tree.many_size))
                elif h and h.hexdigest() != self.tree.many[name]:
                    bad.append("%s: sha256 differs from the file on disk"
                               % name)

            names = sorted(self.tree.many)
            # short: rclone with --ftp-concurrency 4 was seen to hang with
            # more readers than connections
            total = len(names) * self.tree.many_size // MiB
            with m.watchdog(max(60, total // 10)):
                with concurrent.futures.ThreadPoolExecutor(len(names)) as ex:
                    futs = [ex.submit(work, n) for n in names]
                    time.sleep(0.05)        # every thread at go.wait()
                    t0[0] = time.perf_counter()
                    go.set()
                    for f in futs:
                        f.result()
                    t1 = time.perf_counter()
            if bad:
                raise BenchError(bad[0])
            if not verify:
                cell.values.append(t1 - t0[0])
                fb = max(first.values()) if first else None
                cell.first_byte = getattr(cell, "first_byte", []) + [fb]
                cell.extra.append("longest wait for a first byte %s" %
                                  (fmt_secs(fb) if fb is not None else "–"))

    def many_raw(self, server, cell):
        """One stream: one ftplib session (connect + login, TYPE I once),
        then PASV + RETR of each many/ file in turn, read in 1 MiB
        recv_into calls (every size checked).  Not one curl with every
        URL: curl 7.88 reusing its connection stalled ~1 s per file against
        pyftpdlib here."""
        names = sorted(self.tree.many)
        buf = bytearray(MiB)
        try:
            t0 = time.perf_counter()
            f = self.ftp(server)
            for n in names:
                conn, _ = f.ntransfercmd("RETR many/" + n)
                got = 0
                with conn:
                    while True:
                        k = conn.recv_into(buf)
                        if not k:
                            break
                        got += k
                    Bench.tls_unwrap(conn)
                f.voidresp()
                if got != self.tree.many_size:
                    cell.fail("ftplib RETR many/%s: %d bytes, want %d" % (
                        n, got, self.tree.many_size))
                    return
            self.ftp_close(f)
            cell.values.append(time.perf_counter() - t0)
        except (OSError, EOFError, ftplib.Error) as e:
            cell.fail("ftplib: %s" % e)

    # -- the sections ---------------------------------------------------------

    def rows_std(self, label, lat=False):
        """The rows every plain server gets (lat: the latency section's
        subset, with the goals that are stated at 20 ms)."""
        a, t = self.a, self.tree
        R = {}
        if self.want("ls"):
            R["cold"] = self.row(label, "ls_cold", "`ls -l` of %s entries, "
                                 "cold (1st after mount)" % format(
                                     t.entries, ","), "s", goal=GOAL_LS_COLD)
            R["warm"] = self.row(label, "ls_warm", "`ls -l` of %s entries, "
                                 "warm (2nd)" % format(t.entries, ","), "s",
                                 goal=GOAL_LS_WARM)
            R["cold"].note = "one `curl` LIST (connect+login+LIST)"
            R["warm"].note = R["cold"].note
        if not lat and self.want("cat"):
            R["cat"] = self.row(label, "cat", "`cat` %d MiB file > /dev/null"
                                % (t.size // MiB), "s", t.size,
                                goal=GOAL_SEQ)
            R["rss"] = self.row(label, "rss", "peak RSS while streaming it",
                                "MiB", goal=GOAL_RSS)
            R["cat"].note = "`curl -o /dev/null`"
            R["rss"].note = "VmHWM of the ftpfs / ceiling / rclone " \
                            "daemon; raw: curl's maxrss"
        if self.want("rnd"):
            R["rnd"] = self.rnd_row(label, a.reads,
                                    GOAL_RND if lat else None)
        if t.tree_files and self.want("tree"):
            R["tree"] = self.row(label, "tree", "`find` + `du -s` over %s "
                                 "files in %d dirs (fresh mount)" % (
                                     format(t.tree_files, ","), t.tree_dirs),
                                 "s", goal=GOAL_TREE if lat else None)
            R["tree"].note = "ftplib, one session: serial walk with %s " \
                             "of every directory" % ("MLSD" if label.startswith(
                                 "pyftpdlib") else "LIST")
        if not lat and t.many and self.want("many"):
            R["many"] = self.row(label, "many", "%d readers of different "
                                 "%d MiB files at once (aggregate)" % (
                                     len(t.many), t.many_size // MiB), "s",
                                 len(t.many) * t.many_size, goal=GOAL_MANY)
            R["many"].note = "ftplib, one session: RETR of the %d files " \
                             "one after another; cell: until every " \
                             "reader is done, and the longest any reader " \
                             "waited for its first byte" % len(t.many)
        if t.small and self.want("small"):
            n = format(len(t.small), ",")
            R["small1"] = self.row(label, "small1", "read %s %d KiB files "
                                   "serially (fresh mount, by name)" % (
                                       n, a.small_kib), "s",
                                   goal=None)
            R["small1"].note = "ftplib, one session: RETR each"
            R["smallP"] = self.row(label, "smallP", "read %s %d KiB files, "
                                   "%d in parallel" % (n, a.small_kib,
                                                       a.parallel), "s",
                                   goal=GOAL_SMALL_PAR if lat else None)
            R["smallP"].note = "ftplib, %d sessions, 1/%d of the files " \
                               "each" % (a.parallel, a.parallel)
        return R

    def cpr_row(self, label, goal):
        """The `cp -r` row (None when not selected or no small/)."""
        if not (self.tree.small and self.want("cp_r")):
            return None
        r = self.row(label, "cp_r", "`cp -r` of %s %d KiB files into the "
                     "mount, until on the server" % (
                         format(len(self.tree.small), ","),
                         self.a.small_kib), "s", goal=goal)
        r.rclone_mode = "writes"
        r.note = "ftplib, one session: connect+login, TYPE I once, MKD, " \
                 "then PASV+STOR per file, QUIT; all: every file checked " \
                 "on the server's disk after return (rclone: after its " \
                 "upload)"
        return r

    def rnd_row(self, label, n, goal=None):
        r = self.row(label, "rnd", "%d random %d KiB preads in the %d MiB "
                     "file" % (n, READ_SIZE // 1024, self.tree.size // MiB),
                     "s", goal=goal)
        r.add_alt("curl")
        r.add_alt("ftplib")
        return r

    def prune_alts(self, row):
        """After run 1: a raw method more than 3x slower than the other is
        not run again (curl's per-read login costs minutes over FTPS / with
        latency); the details say so."""
        vals = [(c.values[0], n, c) for n, c in row.alts
                if c.live() and c.values]
        if len(vals) < 2:
            return
        vals.sort(key=lambda x: x[0])
        for v, n, c in vals[1:]:
            if v > 3 * vals[0][0]:
                c.skipped = "run 1 only: > 3x slower than %s" % vals[0][1]

    def rclone_once(self, rows):
        """After run 1: an rclone cell that took longer than
        --rclone-once-secs is not run again (its one value is the
        median)."""
        for row in rows:
            for c in (row.rclone, row.rclone_def) if row else ():
                if row.unit == "s" and c.live() and c.values and \
                        c.values[0] > self.a.rclone_once_secs:
                    c.skipped = "run 1 only: took > %g s (" \
                        "--rclone-once-secs)" % self.a.rclone_once_secs

    def run_std(self, server, R, runs, ceil=True, wsrv=None, wrt=None):
        """Every run: each workload through ftpfs, raw, the ceiling (ceil),
        rclone at its defaults and rclone with 4 connections, in turn."""
        a = self.a
        rd, wr = self.others("off", ceil), self.others("writes", ceil)
        for i in range(runs):
            log("%s: run %d/%d" % ((server or wsrv).label, i + 1, runs))
            if "cold" in R:
                self.run_ls(server, R["cold"], R["warm"], rd)
            if "cat" in R:
                cat, rss = R["cat"], R["rss"]
                self.turn(cat, rd, lambda c, v: self.cat_run(
                    server, c, getattr(rss, side_of(v)), v),
                    lambda c: self.cat_raw(server, c, rss.raw))
            if "rnd" in R:
                self.run_rnd(server, R["rnd"], a.reads, rd, i == 0)
            if "many" in R:
                self.turn(R["many"], rd,
                          lambda c, v: self.many_run(server, c, v),
                          lambda c: self.many_raw(server, c))
            if wsrv and wrt:
                self.turn(wrt, wr, lambda c, v: self.write_run(wsrv, c, v),
                          lambda c: self.write_raw(wsrv, c))
            if wsrv and "cp_r" in R:
                self.turn(R["cp_r"], wr,
                          lambda c, v: self.cpr_run(wsrv, c, v),
                          lambda c: self.cpr_raw(wsrv, c))
            if "tree" in R:
                self.turn(R["tree"], rd,
                          lambda c, v: self.tree_run(server, c, v),
                          lambda c: self.tree_raw(server, c))
            for key, par in (("small1", 1), ("smallP", a.parallel)):
                if key in R:
                    self.turn(R[key], rd, lambda c, v, p=par: self.small_run(
                        server, c, p, v), lambda c, p=par: self.small_raw(
                            server, c, p))
            if i == 0:
                self.rclone_once(list(R.values()) + [wrt])

    @staticmethod
    def turn(row, others, run, raw):
        """One run of a row, each side in turn: ftpfs (run(cell, None)),
        raw (raw(cell)), then the other mounts (run(cell, via)); cells
        that failed or were dropped are left out."""
        if row.ftpfs.live():
            run(row.ftpfs, None)
        if row.raw.live():
            raw(row.raw)
        for via, side in others:
            if getattr(row, side).live():
                run(getattr(row, side), via)

    def run_rnd(self, server, rnd, n, others, first):
        """One run of the random reads: ftpfs, each raw method, then the
        other mounts (others(): ceiling, rclone)."""
        if rnd.ftpfs.live():
            self.rnd_run(server, rnd.ftpfs, n)
        for name, c in rnd.alts:
            if c.live():
                if name == "curl":
                    self.rnd_raw(server, c, n)
                else:
                    self.rnd_ftplib(server, c, n)
        if first:
            self.prune_alts(rnd)
        for via, side in others:
            if getattr(rnd, side).live():
                self.rnd_run(server, getattr(rnd, side), n, via)

    def run_ls(self, server, cold, warm, others):
        if cold.ftpfs.live():
            self.ls_run(server, cold.ftpfs, warm.ftpfs)
        if cold.raw.live():
            self.ls_raw(server, cold.raw)
            warm.raw = cold.raw
        for via, side in others:
            if getattr(cold, side).live():
                self.ls_run(server, getattr(cold, side), getattr(warm, side),
                            via)

    def verify(self, server, R, ceil=True):
        log("%s: verifying cat through ftpfs (bytes + sha256)" % server.label)
        cat, rss = R["cat"], R["rss"]
        bad = self.cat_verify(server)
        if bad:
            cat.ftpfs.fail(bad)
            rss.ftpfs.fail("not measured: " + bad)
            self.problem(server, "cat (verify)", bad)
        for via, side in self.others("off", ceil):
            bad = self.cat_verify(server, via)
            if bad:
                getattr(cat, side).fail(bad)
                getattr(rss, side).fail("not measured: " + bad)

    def close_servers(self, *servers):
        for srv in servers:
            if srv:
                srv.cleanup()
                bad = srv.exit_problem()
                if bad:
                    self.problem(srv, "server", bad, hint=False)

    def write_server(self, kind, rows, latency_ms=0, label=None):
        """The write server of a section, or None (the rows fail)."""
        try:
            return Server(kind, self.area.root, latency_ms, self.a.pyftpd_arg,
                          write=True, label=label)
        except BenchError as e:
            for row in rows:
                for c in (row.ftpfs, row.raw, row.rclone, row.rclone_def,
                          row.ceiling):
                    c.fail("write server did not start: %s" % e)
            return None

    def run_server(self, kind):
        a, t = self.a, self.tree
        wrt = wsrv = server = None
        try:
            R = self.rows_std(kind)
            if R:
                server = Server(kind, t.root, 0, a.pyftpd_arg)
            if a.write and self.want("write"):
                wrt = self.write_row(kind)
            cpr = self.cpr_row(kind, GOAL_CPR)
            if wrt or cpr:
                wsrv = self.write_server(kind, [r for r in (wrt, cpr) if r])
            if "cat" in R:
                self.verify(server, R)
            if "many" in R:
                log("%s: verifying the %d concurrent readers through ftpfs "
                    "(bytes + sha256)" % (server.label, len(t.many)))
                self.many_run(server, R["many"].ftpfs, verify=True)
            if cpr and wsrv:
                R["cp_r"] = cpr
                self.cpr_trace(wsrv, cpr)
            self.run_std(server, R, a.runs, wsrv=wsrv, wrt=wrt)
        finally:
            self.close_servers(server, wsrv)

    def run_latency(self):
        """pyftpdlib with --latency-ms: the workloads made of many round
        trips."""
        a, t = self.a, self.tree
        label = "pyftpdlib, %s ms RTT" % a.latency_ms
        server = wsrv = None
        try:
            R = self.rows_std(label, lat=True)
            if R:
                server = Server("pyftpdlib", t.root, a.latency_ms,
                                a.pyftpd_arg, label=label)
            cpr = self.cpr_row(label, GOAL_CPR_LAT)
            if cpr:
                wsrv = self.write_server("pyftpdlib", [cpr], a.latency_ms,
                                         label)
            if cpr and wsrv:
                R["cp_r"] = cpr
                self.cpr_trace(wsrv, cpr)
            self.run_std(server, R, a.latency_runs, ceil=False, wsrv=wsrv)
        finally:
            self.close_servers(server, wsrv)

    def run_lsr(self):
        """pyftpdlib with --lsr-latency-ms (default 100): `ls -lR` of lsr/
        (151 directories), cold and warm, vs a serial ftplib walk."""
        a, t = self.a, self.tree
        label = "pyftpdlib, %s ms RTT" % a.lsr_latency_ms
        server = Server("pyftpdlib", t.root, a.lsr_latency_ms, a.pyftpd_arg,
                        label=label)
        try:
            title = "`ls -lR` of %d directories, %s files" % (
                t.lsr_dirs, format(t.lsr_files, ","))
            cold = self.row(label, "lsr_cold", title + ", cold (fresh "
                            "mount)", "s", goal=GOAL_LSR)
            warm = self.row(label, "lsr_warm", title + ", warm (2nd)", "s",
                            goal=GOAL_LSR_WARM)
            cold.note = warm.note = "ftplib, one session: serial walk with " \
                "MLSD of every directory"
            others = self.others("off", ceil=False)
            for i in range(a.latency_runs):
                log("%s: run %d/%d" % (label, i + 1, a.latency_runs))
                if cold.ftpfs.live():
                    self.ls_run(server, cold.ftpfs, warm.ftpfs,
                                recursive=True)
                if cold.raw.live():
                    self.tree_raw(server, cold.raw, "lsr")
                    warm.raw = cold.raw
                for via, side in others:
                    if getattr(cold, side).live():
                        self.ls_run(server, getattr(cold, side),
                                    getattr(warm, side), via, recursive=True)
                if i == 0:
                    self.rclone_once([cold, warm])
        finally:
            self.close_servers(server)

    def run_capped(self):
        """pyftpdlib with --rate-bps: every data connection capped; `cat`
        of a file (timed with its bytes + sha256 check)."""
        a, t = self.a, self.tree
        self.cat_capped("pyftpdlib, %g MiB/s per connection" % a.cap_mibps,
                        "capped", "`cat` %d MiB file, server caps each "
                        "connection at %g MiB/s" % (t.cap_size // MiB,
                                                    a.cap_mibps),
                        0, int(a.cap_mibps * MiB), GOAL_CAP)

    def run_wan(self):
        """pyftpdlib with --latency-ms and --rate-bps: a WAN link of that
        round trip with that bandwidth per connection; `cat` of the capped
        file."""
        a, t = self.a, self.tree
        self.cat_capped("pyftpdlib, %s ms RTT + %g Mbit/s per connection"
                        % (a.latency_ms, a.wan_mbit), "wan",
                        "`cat` %d MiB file, %s ms RTT, server caps each "
                        "connection at %g Mbit/s" % (
                            t.cap_size // MiB, a.latency_ms, a.wan_mbit),
                        a.latency_ms, int(a.wan_mbit * 1e6 / 8), GOAL_WAN)

    def cat_capped(self, label, key, title, latency_ms, rate, goal):
        a, t = self.a, self.tree
        server = Server("pyftpdlib", t.root, latency_ms,
                        list(a.pyftpd_arg) + ["--rate-bps", str(rate)],
                        label=label)
        try:
            row = self.row(label, key, title, "s", t.cap_size, goal=goal)
            row.note = "one `curl` stream (`-o /dev/null`)"
            for i in range(a.runs):
                log("%s: run %d/%d" % (label, i + 1, a.runs))
                for via, side in [(None, "ftpfs")] + \
                        self.others("off", ceil=False):
                    cell = getattr(row, side)
                    if cell.live():
                        bad = self.cat_verify(server, via, "capped",
                                              t.cap_size, t.cap_sha256)
                        if bad:
                            cell.fail(bad)
                        else:
                            cell.values.append(self.last_verify_secs)
                if row.raw.live():
                    self.cat_raw(server, row.raw, None, "capped", t.cap_size)
        finally:
            self.close_servers(server)

    def run_reread(self):
        """pyftpdlib with a --log: `cat` the big file twice in one mount."""
        a, t = self.a, self.tree
        label = "pyftpdlib (logging)"
        logdir = tempfile.mkdtemp(prefix="ftpfs-bench-log-")
        logpath = os.path.join(logdir, "pyftpd.log")
        server = None
        try:
            server = Server("pyftpdlib", t.root, 0,
                            list(a.pyftpd_arg) + ["--log", logpath],
                            label=label)
            server.log_path = logpath
            row = self.row(label, "reread", "re-read of the unchanged %d MiB "
                           "file: 2nd `cat` in the same mount" % (
                               t.size // MiB), "s", t.size)
            row.note = "`curl -o /dev/null` (a full transfer); the 2nd " \
                       "read's RETRs/bytes from the server's log"
            for i in range(a.runs):
                log("%s: run %d/%d" % (label, i + 1, a.runs))
                if row.ftpfs.live():
                    self.reread_run(server, row.ftpfs)
                if row.raw.live():
                    self.cat_raw(server, row.raw, None)
                for via, side in self.others("off", ceil=False):
                    if getattr(row, side).live():
                        self.reread_run(server, getattr(row, side), via)
        finally:
            self.close_servers(server)
            shutil.rmtree(logdir, ignore_errors=True)

    def write_row(self, label, goal=GOAL_SEQ):
        w = self.row(label, "write", "`cp` %d MiB file into the mount, "
                     "until it is on the server" % self.a.write_mib, "s",
                     self.area.size, goal=goal)
        w.rclone_mode = "writes"
        w.note = "`curl -T` (STOR); all: sha256 on the server's disk " \
                 "checked after return (rclone: after its upload)"
        return w

    def run_tls(self):
        """vsftpd with explicit FTPS: cat, its peak RSS, cp (write), random
        reads; ftpfs through ftpes:// pinned by fingerprint, raw curl with
        --ssl-reqd --cacert (and ftplib for the random reads), rclone with
        --ftp-explicit-tls --no-check-certificate."""
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
            R = {}
            tls = "`curl --ssl-reqd --cacert`"
            wrt = None
            if self.want("cat"):
                R["cat"] = self.row(label, "cat", "`cat` %d MiB file > "
                                    "/dev/null" % (t.size // MiB), "s",
                                    t.size, goal=GOAL_TLS)
                R["rss"] = self.row(label, "rss", "peak RSS while streaming "
                                    "it", "MiB", goal=GOAL_RSS)
                R["cat"].note = "%s -o /dev/null" % tls
                R["rss"].note = "VmHWM of the ftpfs / ceiling / rclone " \
                                "daemon; raw: curl's maxrss"
            if self.want("write"):
                wrt = self.write_row(label, GOAL_TLS)
                wrt.note = "%s -T; all: sha256 on the server's disk " \
                           "checked after return (rclone: after its " \
                           "upload)" % tls
            if self.want("rnd"):
                R["rnd"] = self.rnd_row(label, a.tls_reads)

            if "cat" in R:
                self.verify(server, R)
            self.run_tls_runs(server, R, wrt)
        finally:
            self.close_servers(server)

    def run_tls_runs(self, server, R, wrt):
        # run_std without the ls rows; writes go to the same server
        a = self.a
        cat, rss, rnd = R.get("cat"), R.get("rss"), R.get("rnd")
        rd, wr = self.others("off"), self.others("writes")
        for i in range(a.runs):
            log("%s: run %d/%d" % (server.label, i + 1, a.runs))
            if cat:
                self.turn(cat, rd, lambda c, v: self.cat_run(
                    server, c, getattr(rss, side_of(v)), v),
                    lambda c: self.cat_raw(server, c, rss.raw))
            if wrt:
                self.turn(wrt, wr, lambda c, v: self.write_run(server, c, v),
                          lambda c: self.write_raw(server, c))
            if rnd:
                self.run_rnd(server, rnd, a.tls_reads, rd, i == 0)
            if i == 0:
                self.rclone_once([cat, rss, rnd, wrt])


# --- -o ftp_trace analysis (the cp -r rows) -------------------------------

TRACE_RE = re.compile(r"\[S(\d+)\] ([<>]) (\S+)(?: (.*))?$")


def trace_events(text):
    """(session, '>' or '<', verb or reply code, argument or text) for
    every command sent and reply read in ftpfs's -o ftp_trace output."""
    out = []
    for line in text.splitlines():
        m = TRACE_RE.search(line)
        if m:
            out.append((m.group(1), m.group(2), m.group(3),
                        (m.group(4) or "").strip()))
    return out


def trace_stats(text, dest, names):
    """What ftpfs sent while `cp -r` made `dest` (server path) with the
    files `names`: listings of dest (MLSD/MLSx/NLST of it, or LIST while
    the session's working directory is dest), commands per file, and the
    command sequence of the middle file, grouped by round trip (commands
    sent together, with no reply read between them, share one)."""
    ev = trace_events(text)
    cwd, pending = {}, {}
    listings = 0
    first = None
    for i, (sess, d, verb, arg) in enumerate(ev):
        if d == "<":
            if sess in pending:
                x = pending.pop(sess)
                cwd[sess] = x if verb[:1] == "2" else None
            continue
        if first is None and arg.rstrip("/") == dest:
            first = i
        v = verb.upper()
        if v == "CWD":
            pending[sess] = arg.rstrip("/")
        elif v in ("MLSD", "NLST", "LIST"):
            a = arg if not arg.startswith("-") else ""
            target = a.rstrip("/") if a else cwd.get(sess)
            if target == dest:
                listings += 1

    def last(name):
        end = None
        for i, (sess, d, verb, arg) in enumerate(ev):
            if d == ">" and arg.endswith("/" + name):
                end = i
        return end

    k = len(names) // 2
    lo = last(names[k - 1]) if k >= 1 else None
    hi = last(names[k])
    groups, cur = [], []
    if lo is not None and hi is not None and lo < hi:
        for sess, d, verb, arg in ev[lo + 1:hi + 1]:
            if d == ">":
                cur.append(verb.upper())
            elif cur:
                groups.append(cur)
                cur = []
        if cur:
            groups.append(cur)
    end = last(names[-1])
    sent = [e for e in ev[first:end + 1] if e[1] == ">"] \
        if first is not None and end is not None else []
    counts = {}
    for e in sent:
        counts[e[2].upper()] = counts.get(e[2].upper(), 0) + 1
    return {"listings": listings, "file": names[k],
            "per_file": len(sent) / float(len(names)),
            "counts": ", ".join("%s %d" % (v, n) for v, n in sorted(
                counts.items(), key=lambda x: (-x[1], x[0]))),
            "seq": ", ".join("+".join(g) for g in groups),
            "rtts": len(groups)}


# --- report --------------------------------------------------------------

def wants(a, *keys):
    """Any of these workloads selected (--only; all without it)."""
    return not a.only or any(k in a.only for k in keys)


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
    commit = cmd_out(["git", "-C", REPO, "describe", "--always", "--dirty"])
    facts.append(("ftpfs", "%s (`%s`, %s; source tree: %s)" % (
        ver, os.path.relpath(a.ftpfs, REPO), build, one_line(commit, 60))))
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
    facts.append(("rclone", (cmd_out(["rclone", "version"]).splitlines()[0]
                             + "; `rclone mount :ftp: MNT --ftp-host "
                             "127.0.0.1 --ftp-port P --ftp-user U "
                             "--ftp-pass (obscured) %s --vfs-cache-mode "
                             "off|writes` (writes: also `--vfs-write-back "
                             "0s`), in the foreground as a child; "
                             "\"rclone 4\": also `%s`, \"rclone defaults\": "
                             "without it (rclone's default, 0 = no limit); "
                             "FTPS: also `--ftp-explicit-tls "
                             "--ftp-no-check-certificate %s`"
                             % (" ".join(RCLONE_OPTS),
                                " ".join(RCLONE_CONNS),
                                " ".join(RCLONE_TLS_OPTS))) if a.rclone
                  else "not run (%s)" % a.rclone_why))
    facts.append(("ceiling", "`%s SRC MNT -f` (bench/ceiling/ceiling.c), "
                  "SRC the directory the section's server serves: a local "
                  "mirror through the same libfuse with ftpfs's init and "
                  "thread settings, reads from fd-backed read_buf buffers "
                  "(libfuse splices them with FUSE_CAP_SPLICE_WRITE), "
                  "writes through write_buf; it said at init: `%s`; fresh "
                  "mount per measurement; plain sections only (not the "
                  "capped, logging and latency ones)" % (
                      os.path.relpath(a.ceiling_bin, REPO),
                      bench.ceiling_info or "?")
                  if a.ceiling else "not run (%s)" % a.ceiling_why))
    facts.append(("served tree", "%s (%s); %s empty files in dir/; a %d "
                  "MiB random file `big`; tree/: %d top dirs x %d subdirs "
                  "(%d dirs with tree/ itself), %s files of 1-8 KiB spread "
                  "over the %d leaves (%s bytes); small/: %s files of %d "
                  "KiB%s" % (
                      tree.root, tree.fstype, format(tree.entries, ","),
                      tree.size // MiB, TREE_TOP, TREE_SUB, tree.tree_dirs,
                      format(tree.tree_files, ","), TREE_TOP * TREE_SUB,
                      format(tree.tree_bytes, ","),
                      format(len(tree.small), ","), a.small_kib,
                      "; `capped`, %d MiB random" % (tree.cap_size // MiB)
                      if tree.cap_size else "") + (
                      "; many/: %d files of %d MiB random" % (
                          len(tree.many), tree.many_size // MiB)
                      if tree.many else "")))
    facts.append(("settings", "runs=%d, reads=%d x %d B (FTPS: %d), "
                  "seed=%d, parallel readers=%d%s" % (
                      a.runs, a.reads, READ_SIZE, a.tls_reads, a.seed,
                      a.parallel, ", --quick" if a.quick else "") +
                  (", `--only %s` (only these rows were measured)"
                   % ",".join(a.only) if a.only else "")))
    facts.append(("latency section", "pyftpdlib with `--latency-ms %s`: "
                  "each reply leaves %s ms after its command's bytes "
                  "arrived (a round trip; pipelined commands share one); "
                  "a passive data connection moves its first byte 2 round "
                  "trips after it was connected (its handshake, then the "
                  "exchange); vsftpd cannot add latency, "
                  "so these rows are pyftpdlib only" % (
                      a.latency_ms, a.latency_ms)
                  if a.latency_ms else "skipped (--latency-ms 0)"))
    facts.append(("capped section", "pyftpdlib with `--rate-bps %d` "
                  "(%g MiB/s per data connection), a %d MiB file" % (
                      int(a.cap_mibps * MiB), a.cap_mibps,
                      a.cap_file_mib) if a.cap_mibps and tree.cap_size
                  and wants(a, "capped") else "skipped"))
    facts.append(("WAN row", "pyftpdlib with `--latency-ms %s --rate-bps "
                  "%d` (%g Mbit/s per data connection), the same %d MiB "
                  "file" % (a.latency_ms, int(a.wan_mbit * 1e6 / 8),
                            a.wan_mbit, a.cap_file_mib)
                  if a.wan_mbit and a.latency_ms and tree.cap_size and
                  wants(a, "wan") else "skipped"))
    if a.write and wants(a, "write"):
        facts.append(("writes", "`cp` of a %d MiB random file into %s/ of "
                      "a second server per kind, serving its own root: "
                      "pyftpdlib as user `%s` (full permissions), vsftpd "
                      "anonymous (tests/servers/vsftpd.py --writable); "
                      "size + sha256 checked on the server's disk after "
                      "every `cp`/`curl -T`" % (a.write_mib, WRITE_DIR,
                                                WRITE_USER)))
    else:
        facts.append(("writes", "skipped (%s)" % (
            "--no-write" if not a.write else "not in --only")))
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


def fmt_cell(row, cell, who="ftpfs"):
    if cell.failed:
        if who in ("rclone", "ceiling"):
            return "failed (%s)" % cell.failed.replace("|", "\\|")
        return "**FAILED**: " + cell.failed.replace("|", "\\|")
    m = cell.median()
    if m is None:
        return "–"
    if row.unit == "MiB":
        return "%.1f MiB" % m
    s = fmt_secs(m)
    if row.size and m > 0 and row.key != "reread":
        s += " (%.0f MiB/s)" % (row.size / MiB / m)
    fb = [f for f in getattr(cell, "first_byte", []) if f is not None]
    if row.key == "many" and fb:
        s += "; first byte ≤ %s" % fmt_secs(max(fb))
    if row.key == "reread":
        tr = getattr(cell, "transfers", None)
        if tr:
            s += "; 2nd read: %s RETR, %s" % (
                "/".join(str(x[0]) for x in tr),
                "/".join(fmt_bytes(x[1]) for x in tr))
    return s


def fmt_bytes(n):
    if n >= MiB:
        return "%.0f MiB" % (n / MiB)
    if n >= 1024:
        return "%.0f KiB" % (n / 1024)
    return "%d B" % n


def ratio(row, cell, base=None):
    """cell's median over base's (default: raw's), None if either is
    missing or failed."""
    base = base or row.raw
    if cell.failed or base.failed:
        return None
    f, r = cell.median(), base.median()
    if f is None or r is None or r == 0:
        return None
    return f / r


def fmt_ratio(row, cell, base=None):
    x = ratio(row, cell, base)
    if x is None:
        return "–"
    s = "%.2f×" % x if x < 10 else "%.1f×" % x
    if row.size and row.unit == "s" and x > 0 and row.key != "reread":
        s += " (%.2f× MiB/s)" % (1 / x)
    return s


def goal_text(row):
    if not row.goal:
        return "–"
    kind, v = row.goal[:2]
    if kind == "tput_ge":
        return "MiB/s ≥ %g× raw" % v
    if kind == "ceil_tput_ge":
        return "MiB/s ≥ %g× ceiling" % v
    if kind == "ratio_le":
        return "≤ %g× raw" % v
    if kind == "ratio_le_rclone":
        return "≤ %g× raw and faster than rclone (defaults)" % v
    if kind == "abs_le":
        return "≤ %g %s" % (v, row.unit)
    if kind == "tput_fb":
        return "MiB/s ≥ %g× raw, no first byte after > %g s" % (
            v, row.goal[2])
    return "?"


def goal_met(row):
    """'met', '**not met**' or '–' (no goal, or nothing to judge)."""
    if not row.goal or row.ftpfs.failed:
        return "–" if not row.goal else "**not met** (failed)"
    kind, v = row.goal[:2]
    m = row.ftpfs.median()
    if m is None:
        return "–"
    if kind == "abs_le":
        ok = m <= v
    elif kind == "tput_fb":
        x = ratio(row, row.ftpfs)
        fb = [f for f in getattr(row.ftpfs, "first_byte", []) if f is not None]
        if x is None or not fb:
            return "–"
        ok = x > 0 and 1 / x >= v and max(fb) <= row.goal[2]
    else:
        x = ratio(row, row.ftpfs, row.ceiling if kind == "ceil_tput_ge"
                  else None)
        if x is None:
            return "–"
        ok = (x <= v) if kind.startswith("ratio_le") else \
            (x > 0 and 1 / x >= v)
        if ok and kind == "ratio_le_rclone":
            r = row.rclone_def.median() if row.rclone_def.live() or \
                row.rclone_def.skipped else None
            if r is None:
                return "met (≤ raw; rclone (defaults) not measured)"
            ok = m < r
    return "met" if ok else "**not met**"


def report(a, tree, bench, facts):
    out = []
    title = "ftpfs vs raw (curl / ftplib) vs rclone mount"
    if a.quick:
        title += " (--quick)"
    out.append("# " + title)
    out.append("")
    for k, v in facts:
        out.append("* %s: %s" % (k, v))
    out.append("")
    out.append("Medians of %d run%s%s. Ratios: time ÷ raw's time (< 1: "
               "faster than raw), or RSS ÷ curl's RSS; for rows that move "
               "a file also MiB/s ÷ raw's MiB/s in parentheses; ftpfs ÷ "
               "ceiling likewise against the ceiling (bench/ceiling: the "
               "served directory mirrored through FUSE with ftpfs's "
               "settings, no FTP; plain sections only). Every ftpfs, "
               "ceiling and rclone run uses a fresh mount. \"goal\" is "
               "issue 16's target for ftpfs; \"met\" is computed from "
               "these medians. rclone: `--vfs-cache-mode off`, except the "
               "`cp` rows (`writes`); \"rclone defaults\" with its default "
               "connection count, \"rclone 4\" with `--ftp-concurrency 4` "
               "(ftpfs's 4 connections)." % (
                   a.runs, "" if a.runs == 1 else "s",
                   " (the %s ms RTT section: %d)" % (a.latency_ms,
                                                     a.latency_runs)
                   if a.latency_ms and a.latency_runs != a.runs else ""))
    out.append("")
    out.append("| server | workload | ftpfs | raw | ceiling | rclone "
               "defaults | rclone 4 | ftpfs ÷ raw | ftpfs ÷ ceiling | "
               "rclone defaults ÷ raw | rclone 4 ÷ raw | goal (ftpfs) | met "
               "| raw is |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in bench.rows:
        note = row.note
        chosen = row.pick_raw()
        if chosen:
            parts = []
            for n, c in row.alts:
                desc = {"curl": "`curl -r` per read (connect+login each)",
                        "ftplib": "ftplib, one session: REST+RETR, read "
                                  "4 KiB, close data conn, per read"}[n]
                med = c.median()
                parts.append("%s: %s" % (desc, "FAILED" if c.failed else
                                         (fmt_secs(med) if med is not None
                                          else "–")))
            note = "faster of [%s] → **%s**" % ("; ".join(parts), chosen)
        if a.rclone:
            rcl = [fmt_cell(row, c, "rclone") for c in (row.rclone_def,
                                                          row.rclone)]
            rclr = [fmt_ratio(row, c) for c in (row.rclone_def, row.rclone)]
        else:
            rcl = [a.rclone_cell] * 2
            rclr = ["–"] * 2
        ceil = fmt_cell(row, row.ceiling, "ceiling") if a.ceiling else \
            a.ceiling_cell
        out.append("| %s |" % " | ".join([
            row.server, row.title, fmt_cell(row, row.ftpfs),
            fmt_cell(row, row.raw), ceil] + rcl + [
            fmt_ratio(row, row.ftpfs), fmt_ratio(row, row.ftpfs, row.ceiling)]
            + rclr + [goal_text(row), goal_met(row), note]))
    for kind, why in bench.skipped:
        out.append("| %s | *skipped* |%s %s |" % (kind, " – |" * 11, why))
    out.append("")
    if a.tls:
        out.append("FTPS raw curl times include curl's own wait before each "
                   "transfer starts (its `time_pretransfer`, listed under "
                   "\"all runs\"): connect, TLS handshake, login, and a "
                   "stall of curl 7.88 with vsftpd around the data "
                   "connection's TLS handshake. See bench/README.md. "
                   "rclone over FTPS: `--ftp-explicit-tls "
                   "--ftp-no-check-certificate` (it does not verify the "
                   "self-signed certificate; rclone's global "
                   "`--no-check-certificate` does not reach its FTP "
                   "backend) and `--ftp-disable-tls13`: over TLS 1.3 "
                   "rclone 1.60's data connections get \"remote error: "
                   "tls: illegal parameter\" from vsftpd, so rclone runs "
                   "on TLS 1.2 while ftpfs and curl use TLS 1.3.")
        out.append("")
    out.append("<details><summary>all runs</summary>")
    out.append("")
    for row in bench.rows:
        sides = [("ftpfs", row.ftpfs)]
        if row.alts:
            sides += [("raw " + n, c) for n, c in row.alts]
        elif not (row.key == "ls_warm"):
            sides.append(("raw", row.raw))
        if a.ceiling:
            sides.append(("ceiling", row.ceiling))
        if a.rclone:
            sides.append(("rclone defaults", row.rclone_def))
            sides.append(("rclone 4", row.rclone))
        for side, cell in sides:
            if side.startswith("ceiling") and not cell.values and \
                    not cell.failed:
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
            ext = [e for e in cell.extra if e]
            out.append("* %s, %s, %s: %s%s%s%s%s" % (
                row.server, row.title.replace("`", ""), side, vals or "–",
                pre, (" [%s]" % "; ".join(ext)) if ext else "",
                (" (%s)" % cell.skipped) if cell.skipped else "",
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


def row_key(line):
    """(server, workload) of a table row."""
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    return tuple(cells[:2])


def merge_rows(old, new):
    """Table rows: old ones with each new row in place of the old one of
    the same server and workload, or (a new row) after the last old row of
    its server."""
    out = list(old)
    for line in new:
        k = row_key(line)
        hit = [i for i, l in enumerate(out) if row_key(l) == k]
        if hit:
            out[hit[0]] = line
            continue
        same = [i for i, l in enumerate(out) if row_key(l)[0] == k[0]]
        skipped = [i for i, l in enumerate(out) if "*skipped*" in l]
        at = same[-1] + 1 if same else (skipped[0] if skipped else len(out))
        out.insert(at, line)
    return out


def merge_runs(table, old, new):
    """"all runs" lines in the order of the table's rows, a row's lines
    from the new run if it has them, else the old ones."""
    out = []
    used = set()
    for row in table:
        server, title = row_key(row)
        prefix = "* %s, %s, " % (server, title.replace("`", ""))
        mine = [l for l in new if l.startswith(prefix)] or \
            [l for l in old if l.startswith(prefix)]
        out += [l for l in mine if l not in used]
        used.update(mine)
    return out + [l for l in old + new if l not in used]


def merge_report(old_text, new_text, a):
    """An --only run's report merged into the last full one: its table
    rows and "all runs" lines replace those of the same server and
    workload (or are added), a line under the facts says what this run
    measured, its facts and problems follow at the end.  None when the
    old text does not look like a report."""
    def parts(text):
        lines = text.split("\n")
        try:
            t0 = next(i for i, l in enumerate(lines)
                      if l.startswith("| server | workload"))
            t1 = next(i for i in range(t0 + 2, len(lines))
                      if not lines[i].startswith("|"))
            d0 = lines.index("<details><summary>all runs</summary>")
            d1 = lines.index("</details>", d0)
        except (StopIteration, ValueError):
            return None
        return lines, t0 + 2, t1, d0 + 2, d1
    o, n = parts(old_text), parts(new_text)
    if not o or not n:
        return None
    ol, ot0, ot1, od0, od1 = o
    nl, nt0, nt1, nd0, nd1 = n
    new_rows = nl[nt0:nt1]
    new_runs = [l for l in nl[nd0:nd1] if l.strip()]
    table = merge_rows(ol[ot0:ot1], [l for l in new_rows
                                      if "*skipped*" not in l])
    runs = merge_runs(table, [l for l in ol[od0:od1] if l.strip()],
                      new_runs)
    facts = [l for l in nl[:nt0] if l.startswith("* ")]
    when = next((l[len("* date: "):] for l in facts
                 if l.startswith("* date: ")), "?")
    load = next((l.split(": ", 1)[1] for l in facts
                 if l.startswith("* load average")), "?")
    what = "; ".join("%s: %s" % row_key(l) for l in new_rows
                     if "*skipped*" not in l)
    note = "* **rows from a later partial run** (`--only %s`, %s; load " \
        "average %s): %s; every other row is from the run above (its " \
        "facts, settings and details; those of the partial run are at the " \
        "end)" % (",".join(a.only), when, load, what)
    head = [l for l in ol[:ot0 - 2] if not
            l.startswith("* **rows from a later partial run**")]
    fact_end = max(i for i, l in enumerate(head) if l.startswith("* ")) + 1
    head = head[:fact_end] + [note] + head[fact_end:]
    tail = ol[od1 + 1:]
    cut = next((i for i, l in enumerate(tail)
                if l.startswith("## The partial run")), len(tail))
    tail = tail[:cut]
    while tail and not tail[-1].strip():
        tail.pop()
    extra = ["", "## The partial run (`--only %s`, %s)" % (
        ",".join(a.only), when), ""] + facts + nl[nd1 + 1:]
    return "\n".join(head + ol[ot0 - 2:ot0] + table + ol[ot1:od0] +
                     runs + [""] + ol[od1:od1 + 1] + tail + extra).rstrip() \
        + "\n"


# --- main ----------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Benchmark ftpfs against raw transfers (curl, "
                    "ftplib) and rclone mount on loopback (pyftpdlib and "
                    "vsftpd).")
    p.add_argument("--runs", type=int, default=None,
                   help="runs per workload, median reported (default 3; "
                        "1 with --quick)")
    p.add_argument("--latency-ms", type=float, default=20,
                   help="round trip of the latency section's pyftpdlib "
                        "(tests/servers/pyftpd.py --latency-ms; default 20; "
                        "0 skips the section)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 50 MiB file, 2,000 entries, 32 MiB "
                        "writes, 400 tree files, 200 small files, 16 MiB "
                        "capped file, 1 run")
    p.add_argument("--tree-files", type=int, default=None,
                   help="files in tree/ (10 dirs x 10 subdirs; default "
                        "2000; 400 with --quick; 0 skips find+du)")
    p.add_argument("--small-files", type=int, default=None,
                   help="files in small/ (default 1000; 200 with --quick; "
                        "0 skips the small-file rows)")
    p.add_argument("--small-kib", type=int, default=4,
                   help="size of each small file, KiB (default 4)")
    p.add_argument("--parallel", type=int, default=8,
                   help="readers of the parallel small-file row (default 8)")
    p.add_argument("--cap-mibps", type=float, default=8,
                   help="per-connection bandwidth cap of the capped "
                        "pyftpdlib, MiB/s (default 8; 0 skips the row)")
    p.add_argument("--readers", type=int, default=None,
                   help="files (and readers) of the concurrent-readers row "
                        "(default 64; 16 with --quick; 0 skips it)")
    p.add_argument("--reader-mib", type=int, default=None,
                   help="size of each of those files, MiB (default 16; 2 "
                        "with --quick)")
    p.add_argument("--lsr-latency-ms", type=float, default=100,
                   help="round trip of the ls -lR rows' pyftpdlib (default "
                        "100; 0 skips them)")
    p.add_argument("--wan-mbit", type=float, default=100,
                   help="bandwidth per connection of the WAN row's "
                        "pyftpdlib, which also has --latency-ms (default "
                        "100; 0 skips the row)")
    p.add_argument("--cap-file-mib", type=int, default=None,
                   help="size of the file read from the capped server "
                        "(default 64; 16 with --quick)")
    p.add_argument("--no-rclone", dest="rclone", action="store_false",
                   help="no rclone columns")
    p.add_argument("--no-ceiling", dest="ceiling", action="store_false",
                   help="no ceiling column")
    p.add_argument("--ceiling-bin", default=os.path.join(
                       REPO, "build", "bench", "ceiling", "ceiling"),
                   help="the FUSE ceiling binary (default "
                        "build/bench/ceiling/ceiling)")
    p.add_argument("--latency-runs", type=int, default=None,
                   help="runs of the latency section (default: --runs)")
    p.add_argument("--rclone-arg", action="append", default=[],
                   metavar="ARG", help="extra argument for every `rclone "
                   "mount` (repeatable), e.g. --rclone-arg=--ftp-disable-epsv")
    p.add_argument("--rclone-once-secs", type=float, default=15,
                   help="an rclone workload that took longer than this in "
                        "run 1 is not repeated (default 15)")
    p.add_argument("--no-reread", dest="reread", action="store_false",
                   help="skip the re-read row")
    p.add_argument("--servers", default=",".join(SERVER_KINDS),
                   help="comma-separated subset of pyftpdlib,vsftpd")
    p.add_argument("--file-mib", type=int, default=None,
                   help="size of the big file (default 1024; 50 with "
                        "--quick)")
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
    p.add_argument("--only", default="",
                   help="comma-separated workloads to run, of %s (default: "
                        "all); sections with none of them are skipped, and "
                        "the rows go into --output in place of the same "
                        "rows of its last run, the others kept" %
                        ",".join(WORKLOADS))
    p.add_argument("--output", default=os.path.join(BENCH, "results.md"),
                   help="write the table here too (default bench/results.md;"
                        " '-' for none)")
    a = p.parse_args(argv)
    a.only = [w.strip() for w in a.only.split(",") if w.strip()]
    for w in a.only:
        if w not in WORKLOADS:
            p.error("unknown workload %r in --only (want some of %s)"
                    % (w, ",".join(WORKLOADS)))
    if a.runs is None:
        a.runs = 1 if a.quick else 3
    if a.latency_runs is None:
        a.latency_runs = a.runs
    if a.file_mib is None:
        a.file_mib = 50 if a.quick else 1024
    if a.tree_files is None:
        a.tree_files = 400 if a.quick else 2000
    if a.small_files is None:
        a.small_files = 200 if a.quick else 1000
    if a.cap_file_mib is None:
        a.cap_file_mib = 16 if a.quick else 64
    if a.readers is None:
        a.readers = 16 if a.quick else 64
    if a.reader_mib is None:
        a.reader_mib = 2 if a.quick else 16
    if a.entries is None:
        a.entries = 2000 if a.quick else 10000
    if a.write_mib is None:
        a.write_mib = 32 if a.quick else 256
    if a.tls_reads is None:
        a.tls_reads = 20 if a.quick else a.reads
    if a.latency_ms == int(a.latency_ms):
        a.latency_ms = int(a.latency_ms)
    if a.lsr_latency_ms == int(a.lsr_latency_ms):
        a.lsr_latency_ms = int(a.lsr_latency_ms)
    a.ftpfs = os.path.abspath(a.ftpfs)
    a.servers = [s.strip() for s in a.servers.split(",") if s.strip()]
    for s in a.servers:
        if s not in SERVER_KINDS:
            p.error("unknown server %r (want pyftpdlib and/or vsftpd)" % s)
    if a.runs < 1 or a.latency_runs < 1 or a.file_mib < 1 or a.entries < 1 or a.reads < 1 \
            or a.latency_ms < 0 or a.write_mib < 1 or a.tls_reads < 1 \
            or a.tree_files < 0 or a.small_files < 0 or a.small_kib < 1 \
            or a.parallel < 1 or a.cap_mibps < 0 or a.cap_file_mib < 1 \
            or a.wan_mbit < 0 or a.readers < 0 or a.reader_mib < 1 \
            or a.lsr_latency_ms < 0:
        p.error("--runs, --file-mib, --entries, --reads, --tls-reads, "
                "--write-mib must be >= 1, --latency-ms >= 0")
    # FTPS is served by vsftpd, which has no latency knob
    a.tls_skip_why = None
    if not a.tls:
        a.tls_skip_why = "--no-tls"
    elif "vsftpd" not in a.servers:
        a.tls_skip_why = "vsftpd not in --servers"
    a.tls = a.tls_skip_why is None
    a.rclone_why = None if a.rclone else "--no-rclone"
    a.rclone_cell = "not run"
    a.ceiling_why = None if a.ceiling else "--no-ceiling"
    a.ceiling_cell = "not run"
    a.ceiling_bin = os.path.abspath(a.ceiling_bin)
    RCLONE_EXTRA[:] = a.rclone_arg
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
    if a.rclone and not shutil.which("rclone"):
        a.rclone = False
        a.rclone_why = "rclone not installed (apt-get install rclone)"
        a.rclone_cell = "not installed"
        log(a.rclone_why)
    if a.ceiling and not os.access(a.ceiling_bin, os.X_OK):
        a.ceiling = False
        a.ceiling_why = "%s not built (meson compile -C build)" % \
            a.ceiling_bin
        a.ceiling_cell = "not built"
        log(a.ceiling_why)
    if missing:
        raise BenchError("missing: " + "; ".join(missing))


class BinarySnapshot:
    """A private copy of the ftpfs binary, taken at start: a rebuild of
    build/ftpfs during the run cannot mix two binaries in one table."""

    def __init__(self, path, name="ftpfs"):
        self.dir = tempfile.mkdtemp(prefix="ftpfs-bench-bin-")
        _live.append(self)
        self.path = os.path.join(self.dir, name)
        shutil.copy2(path, self.path)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        if self in _live:
            _live.remove(self)


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return "/".join(f.read().split()[:3])
    except OSError:
        return "?"


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
    a.load_start = loadavg()
    try:
        preflight(a)
        a.ftpfs_run = BinarySnapshot(a.ftpfs).path
        if a.ceiling:
            a.ceiling_run = BinarySnapshot(a.ceiling_bin, "ceiling").path
        def want(*keys):
            return wants(a, *keys)

        a.tls = a.tls and want("cat", "write", "rnd")
        if not a.tls and not a.tls_skip_why:
            a.tls_skip_why = "not in --only"
        wsize = a.write_mib * MiB if want("write") else 0
        pyf = "pyftpdlib" in a.servers
        big = a.file_mib * MiB if want("cat", "rnd", "reread") else MiB
        tree = Tree(a.entries if want("ls") else 0, big,
                    3 * wsize if (a.write or a.tls) else 0,
                    tree_files=a.tree_files if want("tree") else 0,
                    small_files=a.small_files if want("small", "cp_r")
                    else 0, small_size=a.small_kib * 1024,
                    many=a.readers if want("many") else 0,
                    lsr=bool(pyf and a.lsr_latency_ms and want("lsr")),
                    many_size=a.reader_mib * MiB,
                    cap_size=a.cap_file_mib * MiB if pyf and (
                        (a.cap_mibps and want("capped")) or
                        (a.wan_mbit and a.latency_ms and want("wan")))
                    else 0, seed=a.seed)
        area = WriteArea(tree, wsize) if (a.write or a.tls or
                                          want("cp_r")) else None
        bench = Bench(a, tree, area)
        sections = [(kind, bench.run_server) for kind in a.servers
                    if want("ls", "cat", "rnd", "tree", "small", "write",
                            "cp_r", "many")]
        if pyf and a.reread and want("reread"):
            sections.append(("pyftpdlib (logging)", bench.run_reread))
        if pyf and a.cap_mibps and want("capped"):
            sections.append(("pyftpdlib capped", bench.run_capped))
        if pyf and a.wan_mbit and a.latency_ms and want("wan"):
            sections.append(("pyftpdlib WAN", bench.run_wan))
        if pyf and a.lsr_latency_ms and want("lsr"):
            sections.append(("pyftpdlib ls -lR", bench.run_lsr))
        if pyf and a.latency_ms and want("ls", "rnd", "tree", "small",
                                         "cp_r"):
            sections.append(("pyftpdlib, %s ms RTT" % a.latency_ms,
                             bench.run_latency))
        if a.latency_ms and "vsftpd" in a.servers:
            bench.skipped.append(("vsftpd, %s ms RTT" % a.latency_ms,
                                  "vsftpd cannot add latency: the latency "
                                  "rows run on pyftpdlib only"))
        for kind, fn in sections:
            t0 = time.time()
            try:
                if fn == bench.run_server:
                    fn(kind)
                else:
                    fn()
            except BenchError as e:
                bench.skipped.append((kind, "server did not run: %s" % e))
                log("%s: %s" % (kind, e))
            bench.section_times.append((kind, time.time() - t0))
        if a.tls:
            t0 = time.time()
            try:
                bench.run_tls()
            except BenchError as e:
                bench.skipped.append(("vsftpd FTPS", "server did not run: %s"
                                      % e))
                log("vsftpd FTPS: %s" % e)
            bench.section_times.append(("vsftpd FTPS", time.time() - t0))
        facts = machine_facts(a, tree, bench)
        facts.append(("load average (1/5/15 min)", "%s at start, %s at "
                      "the end (other jobs on the machine add noise)" % (
                          a.load_start, loadavg())))
        facts.append(("bench wall time", "%.0f s (%s)" % (
            time.time() - t_start, ", ".join(
                "%s %.0f s" % (k, v) for k, v in bench.section_times))))
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
        merged = None
        if a.only and os.path.exists(a.output):
            with open(a.output) as f:
                merged = merge_report(f.read(), text, a)
            if merged is None:
                log("%s does not look like a report: replaced by this "
                    "run's" % a.output)
        with open(tmp, "w") as f:
            f.write(merged or text + "\n")
        os.rename(tmp, a.output)
        log("written to %s" % os.path.relpath(a.output))
    log("bench wall time: %.0f s" % (time.time() - t_start))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
