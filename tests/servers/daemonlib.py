"""Shared launcher code for the unpacked FTP daemons of the test matrix
(proftpd.py, pureftpd.py, inetftpd.py).

The daemons are not installed: tests/servers/unpack.sh unpacks the Debian
packages into $FTPFS_DAEMONS_DIR (default <repo>/build/daemons).  A launcher
whose daemon is missing exits 1 (not 77): the matrix tests must fail, not
skip, when a daemon cannot be unpacked.

Launcher interface (same as vsftpd.py): --root, --port-file, --host, --port,
--log; the port file is written (temp file + rename) once the port answers
220; SIGTERM/SIGINT stop the daemon's process group (SIGTERM, SIGKILL after
5 s) and the launcher exits 0; the launcher exits 1 if the daemon dies by
itself.
"""

import os
import pwd
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from vsftpd import free_port, write_port_file, answers_220  # noqa: E402


def daemons_dir():
    return os.environ.get("FTPFS_DAEMONS_DIR") or os.path.join(
        REPO, "build", "daemons")


def tree(name):
    """The unpacked tree of a daemon (e.g. 'proftpd'), or None."""
    d = os.path.join(daemons_dir(), name)
    return d if os.path.isfile(os.path.join(d, ".unpacked")) else None


def add_common_args(p):
    p.add_argument("--root", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log", help="daemon log file")
    p.add_argument("--keep-tmp", action="store_true")
    p.add_argument("--tls-cert", metavar="FILE")
    p.add_argument("--tls-key", metavar="FILE")
    p.add_argument("--tls-force", action="store_true")
    p.add_argument("--tls-implicit", action="store_true")
    p.add_argument("--max-per-host", type=int, default=0, metavar="N",
                   help="the server's own limit of connections per client "
                   "address (0: the test default, no limit in reach)")


def check_tls_args(p, a):
    if (a.tls_key or a.tls_force or a.tls_implicit) and not a.tls_cert:
        p.error("--tls-key/--tls-force/--tls-implicit need --tls-cert")
    for f in (a.tls_cert, a.tls_key):
        if f and not os.path.isfile(f):
            p.error("%s: no such file" % f)
    a.tls_cert = os.path.realpath(a.tls_cert) if a.tls_cert else None
    a.tls_key = os.path.realpath(a.tls_key) if a.tls_key else a.tls_cert
    a.root = os.path.realpath(a.root)


def crypt_md5(password):
    """$1$ hash (openssl passwd -1), accepted by crypt(3) on glibc."""
    r = subprocess.run(["openssl", "passwd", "-1", password],
                       capture_output=True, text=True, check=True)
    return r.stdout.strip()


def user_ids(name):
    pw = pwd.getpwnam(name)
    return pw.pw_uid, pw.pw_gid


class Daemon:
    """One daemon process (own session/process group) plus its temp dir."""

    def __init__(self, name, a):
        self.name = name
        self.a = a
        self.tmp = tempfile.mkdtemp(prefix=name + "-")
        os.chmod(self.tmp, 0o755)
        self.out_path = os.path.join(self.tmp, name + ".out")
        self.proc = None
        self.stopping = False
        self.logs = [self.out_path]

    def spawn(self, cmd, env=None, stdin=subprocess.DEVNULL):
        out = open(self.out_path, "ab")
        self.proc = subprocess.Popen(cmd, stdin=stdin, stdout=out,
                                     stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)
        out.close()

    def wait_ready(self, port, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline and not self.stopping:
            if self.proc.poll() is not None:
                return False
            if answers_220(self.a.host, port,
                           tls=bool(self.a.tls_cert and self.a.tls_implicit)):
                return True
            time.sleep(0.05)
        return False

    def output(self):
        text = ""
        for p in self.logs:
            try:
                with open(p, errors="replace") as f:
                    text += "--- %s:\n%s\n" % (p, f.read()[-3000:])
            except OSError:
                pass
        return text

    def kill(self):
        if self.proc is None:
            return None
        pgid = self.proc.pid
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return self.proc.returncode

    def cleanup(self):
        import shutil
        if not self.a.keep_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


def serve(daemon, start, fixed_port=0, tries=5):
    """start(port) -> bool (daemon spawned and answering 220).  Runs until
    SIGTERM; returns the exit status for the launcher."""
    def on_signal(signum, frame):
        daemon.stopping = True
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        ok = False
        for _ in range(1 if fixed_port else tries):
            port = fixed_port or free_port(daemon.a.host)
            if start(port):
                ok = True
                break
            daemon.kill()
            if daemon.stopping:
                return 0
        if not ok:
            print("%s: %s did not come up:\n%s" % (
                os.path.basename(sys.argv[0]), daemon.name, daemon.output()),
                file=sys.stderr)
            return 1
        write_port_file(daemon.a.port_file, port)
        while not daemon.stopping:
            if daemon.proc.poll() is not None:
                print("%s: %s exited by itself (rc=%s):\n%s" % (
                    os.path.basename(sys.argv[0]), daemon.name,
                    daemon.proc.returncode, daemon.output()), file=sys.stderr)
                return 1
            time.sleep(0.1)
        daemon.kill()
        return 0
    finally:
        daemon.kill()
        daemon.cleanup()
