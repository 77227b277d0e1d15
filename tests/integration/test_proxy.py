#!/usr/bin/python3
"""ftpfs through real proxies: microsocks (SOCKS5) and tinyproxy (HTTP CONNECT).

    /usr/bin/python3 tests/integration/test_proxy.py [--only TEST,TEST] [--list]

Both proxies are Debian's, started on 127.0.0.1 at ports chosen here; the
FTP server is pyftpdlib (vsftpd with explicit TLS for the FTPS test).  Every
test that mounts checks that each connection the server accepted came
through the proxy: the server's log has one "FTP session opened" per control
connection and one "229 ... (|||PORT|)" per data connection; the proxy's log
must name the server's port that many times and each data port once
(microsocks: "connected to 127.0.0.1:PORT", tinyproxy: "CONNECT
127.0.0.1:PORT").  A direct connection would be on the server's log only.

Start-up failures (wrong proxy password, proxy down, active mode) must exit
1 with one line on stderr naming the proxy.  Proxy passwords must not be in
/proc/PID/cmdline or in an -o ftp_trace log.

Exit 0 = all passed, 1 = a failure, 77 = skipped (no microsocks, tinyproxy,
/dev/fuse, fusermount3 or binary).
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import HarnessError  # noqa: E402

R = harness.Runner(prefix="proxy")
SECRET = "Prx-Pw-41c9"      # the proxy password used everywhere
BIG = 4 * 2 ** 20


class C:
    top = None
    root = None
    mp = None
    data = None


def free_port(host="127.0.0.1"):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_listening(host, port, proc, what):
    deadline = time.time() + 10
    while time.time() < deadline:
        if proc.poll() is not None:
            raise HarnessError("%s exited at start (rc=%s)" % (what, proc.returncode))
        try:
            socket.create_connection((host, port), 0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise HarnessError("%s does not listen on %d" % (what, port))


class Proxy:
    """A proxy child process; log() is what it logged."""
    host = "127.0.0.1"

    def __init__(self, port=None):
        self.port = port or free_port(self.host)
        self.tmp = tempfile.mkdtemp(prefix="ftpfs-proxy-", dir=C.top)
        self.log_path = os.path.join(self.tmp, "proxy.log")
        self.proc = None

    def _run(self, cmd):
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=out)
        wait_listening(self.host, self.port, self.proc, cmd[0])

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def kill(self):
        """SIGKILL by PID: the proxy vanishes with its connections."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Socks(Proxy):
    def __init__(self, user=None, password=None, port=None, host="127.0.0.1"):
        self.host = host
        super().__init__(port)
        self.user, self.password = user, password
        self.start()

    def start(self):
        cmd = ["microsocks", "-i", self.host, "-p", str(self.port)]
        if self.user:
            cmd += ["-u", self.user, "-P", self.password]
        self._run(cmd)

    def url(self, auth=True):
        a = "%s:%s@" % (self.user, self.password) if self.user and auth else ""
        h = "[%s]" % self.host if ":" in self.host else self.host
        return "socks5://%s%s:%d" % (a, h, self.port)

    def connected_ports(self):
        return [int(p) for p in
                re.findall(r"connected to 127\.0\.0\.1:(\d+)", self.log())]


class Tiny(Proxy):
    def __init__(self, user=None, password=None):
        super().__init__()
        self.user, self.password = user, password
        conf = os.path.join(self.tmp, "tinyproxy.conf")
        # no ConnectPort line: CONNECT to any port (control and passive)
        lines = ["Port %d" % self.port, "Listen 127.0.0.1", "Timeout 60",
                 'LogFile "%s"' % os.path.join(self.tmp, "tinyproxy.log"),
                 "LogLevel Connect", "MaxClients 64", "Allow 127.0.0.1"]
        if user:
            lines.append("BasicAuth %s %s" % (user, password))
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(self.tmp, 0o777)  # tinyproxy may run as nobody
        self._run(["tinyproxy", "-d", "-c", conf])

    def log(self):
        try:
            with open(os.path.join(self.tmp, "tinyproxy.log"),
                      errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def url(self, auth=True):
        a = "%s:%s@" % (self.user, self.password) if self.user and auth else ""
        return "http://%s127.0.0.1:%d" % (a, self.port)

    def connected_ports(self):
        return [int(p) for p in
                re.findall(r"CONNECT 127\.0\.0\.1:(\d+) HTTP", self.log())]


def server_connections(server):
    """(control connections, data ports) from pyftpdlib's or vsftpd's log."""
    log = server.log_text()
    ctrl = len(re.findall(r"FTP session opened", log))
    if server.kind == "vsftpd":
        ctrl = len(re.findall(r'CONNECT: Client "127\.0\.0\.1"', log))
    data = [int(p) for p in
            re.findall(r"229 Entering [Ee]xtended [Pp]assive [Mm]ode "
                       r"\(\|\|\|(\d+)\|\)", log)]
    data += [int(a) * 256 + int(b) for a, b in
             re.findall(r"227 Entering [Pp]assive [Mm]ode "
                        r"\(\d+,\d+,\d+,\d+,(\d+),(\d+)\)", log)]
    return ctrl, data


def check_all_through(server, proxy):
    ctrl, data = server_connections(server)
    got = proxy.connected_ports()
    problems = []
    if ctrl == 0 or not data:
        problems.append("the server log shows %d control and %d data "
                        "connections: the test did not exercise both"
                        % (ctrl, len(data)))
    via_ctrl = got.count(server.port)
    if via_ctrl != ctrl:
        problems.append("%d control connections at the server, %d through "
                        "the proxy" % (ctrl, via_ctrl))
    rest = sorted(p for p in got if p != server.port)
    if rest != sorted(data):
        problems.append("data ports offered %s, through the proxy %s"
                        % (sorted(data), rest))
    return problems


def pyftpd(**knobs):
    return harness.start_server("pyftpdlib", C.root, user="u", password="p",
                                writable=True, **knobs)


def read_write(m, tag):
    problems = []
    with open(m.path("big.bin"), "rb") as f:
        if f.read() != C.data:
            problems.append("big.bin read through the mount differs")
    name = "w-%s.txt" % tag
    body = ("written through %s\n" % tag).encode() * 1000
    with open(m.path(name), "wb") as f:
        f.write(body)
    with open(os.path.join(C.root, name), "rb") as f:
        if f.read() != body:
            problems.append("%s on the server's disk differs" % name)
    if name not in os.listdir(m.mountpoint):
        problems.append("%s not listed" % name)
    os.unlink(m.path(name))
    return problems


def with_mount(server, opts, fn, env=None):
    m = harness.mount(server.url(), C.mp, opts, env=env)
    try:
        res = fn(m)
    except BaseException:
        try:
            m.unmount()
        except HarnessError:
            pass
        raise
    m.unmount()
    return res


def ftpfs_fails(url, opts, must, env=None):
    """ftpfs must exit 1 at once with one stderr line containing each of
    must; returns problems."""
    cmd = [harness.ftpfs_bin(), url, C.mp, "-f", "-o", ",".join(opts)]
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                       env=env)
    dt = time.time() - t0
    err = r.stderr.strip()
    problems = []
    if r.returncode != 1:
        problems.append("exit %d (want 1): %s" % (r.returncode, err))
    if len(err.splitlines()) != 1:
        problems.append("want one line on stderr, got: %r" % err)
    for s in must:
        if s not in err:
            problems.append("stderr lacks %r: %s" % (s, err))
    if SECRET in err:
        problems.append("stderr shows the proxy password: %s" % err)
    if dt > 15:
        problems.append("took %.1f s" % dt)
    if harness.is_fuse_mounted(C.mp):
        problems.append("mounted anyway")
        subprocess.run(["fusermount3", "-u", C.mp])
    return problems


class stopping:
    """with stopping(a, b): ... stops a, then b, however the block ends."""

    def __init__(self, *procs):
        self.procs = procs

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            p.stop()


def fail_if(problems):
    if problems:
        raise AssertionError("\n".join(problems))


# --- tests -------------------------------------------------------------------

def read_write_through(proxy, tag):
    """Read and write through proxy (stopped after), every connection
    through it."""
    s = pyftpd()
    with stopping(proxy, s):
        problems = with_mount(s, ["proxy=" + proxy.url()],
                              lambda m: read_write(m, tag))
        problems += check_all_through(s, proxy)
    fail_if(problems)


@R.test
def socks5_read_write_all_through_proxy():
    read_write_through(Socks(), "socks5")


@R.test
def pasv_through_ipv6_proxy():
    """PASV (IPv4 only) works when the proxy is reached over IPv6: the
    data connection's address family is the server's, not the proxy's;
    with pasv_ip the PASV reply's address goes to the proxy."""
    if not socket.has_ipv6:
        return "skipped: no IPv6"
    s = pyftpd()
    p = Socks(host="::1")
    with stopping(p, s):
        problems = []
        for opts in (["disable_epsv"], ["disable_epsv", "pasv_ip"]):
            problems += with_mount(s, ["proxy=" + p.url()] + opts,
                                   lambda m: read_write(m, "pasv"))
        problems += check_all_through(s, p)
        if "227 Entering" not in s.log_text():
            problems.append("no PASV in the server log")
    fail_if(problems)


@R.test
def socks5_auth_hidden_from_ps_and_trace():
    s = pyftpd()
    p = Socks("pu", SECRET)

    def act(m):
        problems = read_write(m, "socks5-auth")
        with open("/proc/%d/cmdline" % m.pid(), "rb") as f:
            cmdline = f.read().decode(errors="replace")
        if SECRET in cmdline:
            problems.append("the proxy password is in ps: %r" % cmdline)
        if "proxy=socks5://pu@127.0.0.1" not in cmdline:
            problems.append("cmdline lost more than the password: %r"
                            % cmdline)
        return problems

    with stopping(p, s):
        m_opts = ["proxy=" + p.url(), "ftp_trace"]
        m = harness.mount(s.url(), C.mp, m_opts)
        try:
            problems = act(m)
        finally:
            err = m.stderr(10 ** 6)
            m.unmount()
        if SECRET in err:
            problems.append("the proxy password is in the trace")
        if "via proxy socks5://127.0.0.1:%d" % p.port not in err:
            problems.append("the trace does not say which proxy")
        problems += check_all_through(s, p)
    fail_if(problems)


@R.test
def socks5_password_from_credentials_file():
    s = pyftpd()
    p = Socks("pu", SECRET)
    cred = os.path.join(C.top, "cred")
    with open(cred, "w") as f:
        f.write("proxy_password=%s\n" % SECRET)
    os.chmod(cred, 0o600)
    try:
        problems = with_mount(s, ["proxy=socks5://pu@127.0.0.1:%d" % p.port,
                                  "credentials=" + cred],
                              lambda m: read_write(m, "cred"))
    finally:
        os.unlink(cred)
        p.stop()
        s.stop()
    fail_if(problems)


@R.test
def socks5_wrong_password():
    s = pyftpd()
    p = Socks("pu", SECRET)
    with stopping(p, s):
        problems = ftpfs_fails(
            s.url(), ["proxy=socks5://pu:wrong@127.0.0.1:%d" % p.port],
            ["proxy socks5://127.0.0.1:%d" % p.port, "authentication failed"])
        problems += ftpfs_fails(
            s.url(), ["proxy=socks5://127.0.0.1:%d" % p.port],
            ["proxy socks5://127.0.0.1:%d" % p.port,
             "wants a user name and password"])
    fail_if(problems)


@R.test
def proxy_down_at_mount():
    s = pyftpd()
    port = free_port()
    with stopping(s):
        problems = ftpfs_fails(
            s.url(), ["proxy=socks5://127.0.0.1:%d" % port],
            ["proxy socks5://127.0.0.1:%d" % port,
             "cannot connect to the proxy: Connection refused"])
        problems += ftpfs_fails(
            s.url(), ["proxy=http://127.0.0.1:%d" % port],
            ["proxy http://127.0.0.1:%d" % port, "cannot connect to the proxy"])
    fail_if(problems)


@R.test
def server_unreachable_from_proxy():
    p = Socks()
    t = Tiny()
    port = free_port()  # no FTP server there
    url = "ftp://u:p@127.0.0.1:%d/" % port
    with stopping(p, t):
        problems = ftpfs_fails(url, ["proxy=" + p.url()],
                               ["cannot reach the server",
                                "connection refused (SOCKS5 reply 5)"])
        problems += ftpfs_fails(url, ["proxy=" + t.url()],
                                ["cannot reach the server", "HTTP/1."])
    fail_if(problems)


@R.test
def active_mode_refused():
    p = Socks()
    with stopping(p):
        problems = []
        for o in ("active", "ftp_port=127.0.0.1"):
            problems += ftpfs_fails("ftp://u:p@127.0.0.1:21/",
                                    ["proxy=" + p.url(), o],
                                    ["active mode", "proxy"])
        if p.connected_ports():
            problems.append("the proxy was used: %s" % p.connected_ports())
    fail_if(problems)


@R.test
def http_connect_read_write_all_through_proxy():
    read_write_through(Tiny("hu", SECRET), "http")


@R.test
def http_wrong_password():
    s = pyftpd()
    t = Tiny("hu", SECRET)
    with stopping(t, s):
        problems = ftpfs_fails(s.url(),
                               ["proxy=http://hu:bad@127.0.0.1:%d" % t.port],
                               ["proxy http://127.0.0.1:%d" % t.port,
                                "authentication failed"])
    fail_if(problems)


@R.test
def curlftpfs_option_names():
    s = pyftpd()
    p = Socks()
    t = Tiny("hu", SECRET)
    with stopping(p, t, s):
        # curlftpfs: proxy=host:port is HTTP; socks5 says SOCKS5
        problems = with_mount(s, ["proxy=127.0.0.1:%d" % p.port, "socks5"],
                              lambda m: read_write(m, "curl-socks5"))
        problems += check_all_through(s, p)
        problems += with_mount(s, ["proxy=127.0.0.1:%d" % t.port,
                                   "proxytunnel", "httpproxy",
                                   "proxy_user=hu:" + SECRET],
                               lambda m: read_write(m, "curl-http"))
    fail_if(problems)


@R.test
def environment_only_when_asked():
    s = pyftpd()
    p = Socks()
    dead = free_port()
    env = dict(os.environ, ALL_PROXY="socks5://127.0.0.1:%d" % dead,
               all_proxy="", ftp_proxy="")
    with stopping(p, s):
        # set but not asked for: ignored (the dead proxy would fail)
        problems = with_mount(s, [], lambda m: read_write(m, "noenv"), env=env)
        if p.connected_ports():
            problems.append("used a proxy nobody asked for")
        env["ALL_PROXY"] = p.url()
        problems += with_mount(s, ["proxy=env"],
                               lambda m: read_write(m, "env"), env=env)
        if not p.connected_ports():
            problems.append("proxy=env did not use $ALL_PROXY")
    fail_if(problems)


@R.test
def ftps_through_socks5():
    if not os.path.exists("/usr/sbin/vsftpd") or os.geteuid() != 0:
        return "skipped: vsftpd (as root) is needed"
    cert = harness.self_signed_cert()
    s = harness.start_server("vsftpd", C.root, tls="explicit", writable=True)
    p = Socks("pu", SECRET)

    def act(m):
        problems = []
        with open(m.path("big.bin"), "rb") as f:
            if f.read() != C.data:
                problems.append("big.bin read over FTPS differs")
        body = b"ftps through socks5\n" * 100
        with open(m.path("pub", "tls.txt"), "wb") as f:
            f.write(body)
        with open(os.path.join(C.root, "pub", "tls.txt"), "rb") as f:
            if f.read() != body:
                problems.append("pub/tls.txt on disk differs")
        os.unlink(m.path("pub", "tls.txt"))
        return problems

    with stopping(p, s):
        # the certificate is for 127.0.0.1, the FTP server's name; the
        # proxy's name is checked nowhere
        problems = with_mount(s, ["proxy=" + p.url(), "cafile=" + cert], act)
        log = s.log_text()
        if "PROT P" not in log:
            problems.append("no PROT P in the server log: data in clear?")
        if not re.search(r"SSL version: TLSv1\.[23].*reused", log) and \
                "reused" not in log:
            problems.append("no TLS data connection in the server log")
        got = p.connected_ports()
        if got.count(s.port) == 0 or len(got) < 2:
            problems.append("control and data did not both go through "
                            "the proxy: %s" % got)
        # and a name that is not the certificate's fails through the proxy
        # as it does directly: verification is against the FTP host
        problems += ftpfs_fails(
            "ftpes://localhost:%d/" % s.port,
            ["proxy=" + p.url(), "cafile=" + cert], ["certificate"])
    fail_if(problems)


@R.test
def proxy_killed_during_transfer():
    s = pyftpd(rate_bps=400000)  # big.bin takes ~10 s
    p = Socks()
    result = {}

    def act(m):
        problems = []

        def reader():
            try:
                with open(m.path("big.bin"), "rb") as f:
                    result["data"] = f.read()
            except OSError as e:
                result["err"] = e
        th = threading.Thread(target=reader)
        th.start()
        time.sleep(1.5)
        p.kill()
        t0 = time.time()
        th.join(60)
        if th.is_alive():
            problems.append("the read hangs 60 s after the proxy died")
            return problems
        if time.time() - t0 > 15:
            problems.append("the read failed only %.0f s after the proxy "
                            "died" % (time.time() - t0))
        e = result.get("err")
        if e is None:
            problems.append("the read succeeded with the proxy dead "
                            "(%d bytes)" % len(result.get("data", b"")))
        elif e.errno not in (5, 110):  # EIO, ETIMEDOUT
            problems.append("the read failed with %s, want EIO" % e)
        if not m.alive():
            problems.append("ftpfs died")
            return problems
        # the proxy is back at the same port: the mount works again once
        # the pool's probe (every 1 s, backing off to 10 s) sees the
        # server through it
        p.start()
        deadline, last = time.time() + 25, None
        while True:
            try:
                with open(m.path("small.txt"), "rb") as f:
                    if f.read() != b"small\n":
                        problems.append("small.txt differs after recovery")
                break
            except OSError as e2:
                last = e2
            if time.time() > deadline:
                problems.append("no recovery 25 s after the proxy is "
                                "back: %s" % last)
                break
            time.sleep(0.5)
        return problems

    with stopping(p, s):
        # reconnect_timeout=0: a request fails at once while the proxy is
        # away (with the default, each waits up to 30 s for it, as for an
        # absent server)
        problems = with_mount(s, ["proxy=" + p.url(), "reconnect_timeout=0",
                                  "timeout=10"], act)
    fail_if(problems)


def missing_proxy(a):
    for prog in ("microsocks", "tinyproxy"):
        if shutil.which(prog) is None:
            return "%s is missing (apt-get install %s)" % (prog, prog)
    return None


def setup(a, top):
    C.top = top
    C.root = os.path.join(C.top, "tree")
    os.mkdir(C.root, 0o755)
    os.mkdir(os.path.join(C.root, "pub"), 0o777)
    C.mp = os.path.join(C.top, "mnt")
    os.mkdir(C.mp)
    C.data = os.urandom(BIG)
    for name, content in (("big.bin", C.data), ("small.txt", b"small\n")):
        with open(os.path.join(C.root, name), "wb") as f:
            f.write(content)
        os.chmod(os.path.join(C.root, name), 0o644)


if __name__ == "__main__":
    sys.exit(harness.main(R, "ftpfs-proxy-", setup=setup,
                          skip=missing_proxy))
