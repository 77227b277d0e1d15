#!/usr/bin/python3
"""ftpfs over FTPS against Debian's vsftpd (3.0.3, OpenSSL 3).

    /usr/bin/python3 tests/integration/test_tls.py [--only TEST,TEST] [--list]

Certificates are made at test time with the openssl CLI in a temp dir (no
key is ever committed): a CA; a server certificate signed by it for
127.0.0.1 (IP SAN) and localhost (DNS SAN); a CA-signed one for the wrong
name (wrong.example); a self-signed one for 127.0.0.1; a client certificate
signed by the CA.

Every vsftpd runs with require_ssl_reuse=YES (data connections must resume
the control connection's TLS session) and --anon-password: the anonymous
login asks for a password, and every URL carries a marker password
(ftp://anonymous:MARKER@...).  ftpfs talks to each server through a small
in-process TCP proxy that records the control connection's bytes: the marker,
"USER" and "PASS" must never appear in them in clear.  vsftpd's protocol log
(log_ftp_protocol + debug_ssl) must show, per session, the TLS handshake
(and "AUTH TLS" for explicit TLS) before USER/PASS, and for every data
connection "SSL version: TLSv1.x, ..., reused".  Failed verifications must
stop before USER/PASS: the server log then has no USER at all.

Each test mounts, acts, compares with the served directory on disk and
unmounts cleanly (daemon exit 0).  Start-up failures must exit 1 with one
line on stderr.  Exit 0 = all passed, 1 = a failure, 77 = skipped (no
vsftpd, openssl, /dev/fuse, fusermount3 or binary).

TLS versions: vsftpd 3.0.3 cannot pin a version in its config (only
ssl_tlsv1, which means "TLS 1.0 and up"); tests/servers/vsftpd.py
--tls-version runs it with a private OPENSSL_CONF (MinProtocol = MaxProtocol)
instead; the log's "SSL version:" lines confirm what was negotiated.
"""
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import HarnessError  # noqa: E402

R = harness.Runner(prefix="tls/vsftpd")
MiB = 2 ** 20
MARKER = "Tls-Pw-7f3a9c"       # the anonymous password used everywhere
BIG = "big.bin"                 # 50 MB random, in the served root
SMALL = "small.txt"
WDIR = "pub"                    # vsftpd --writable area


class C:
    top = None
    root = None
    mp = None
    certs = None      # dir
    fp = {}           # name -> "AA:BB:..." sha256 fingerprint
    servers = {}      # name -> (harness.Server, Proxy)
    big_sha = None
    pin_version = None  # --server-tls-version: pin every other server too


# --- certificates ------------------------------------------------------------

def openssl(args, cwd):
    harness.check_run(["openssl"] + args, cwd=cwd, timeout=60)


def make_certs(d):
    """CA, CA-signed server (127.0.0.1 + localhost), CA-signed wrong name,
    self-signed server, CA-signed client; fingerprints in C.fp."""
    key = ["-newkey", "rsa:2048", "-nodes"]
    openssl(["req", "-x509"] + key + ["-keyout", "ca.key", "-out", "ca.pem",
             "-days", "2", "-subj", "/CN=ftpfs test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"], d)
    leafs = {
        "server": ("/CN=127.0.0.1", "IP:127.0.0.1,DNS:localhost", "serverAuth"),
        "wrong": ("/CN=wrong.example", "DNS:wrong.example", "serverAuth"),
        "client": ("/CN=ftpfs client", None, "clientAuth"),
    }
    for name, (subj, san, eku) in leafs.items():
        openssl(["req"] + key + ["-keyout", name + ".key", "-out",
                                 name + ".csr", "-subj", subj], d)
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write("basicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=%s\n" % eku)
            if san:
                f.write("subjectAltName=%s\n" % san)
        openssl(["x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
                 "-CAkey", "ca.key", "-CAcreateserial", "-out", name + ".pem",
                 "-days", "2", "-extfile", name + ".ext"], d)
    openssl(["req", "-x509"] + key + ["-keyout", "self.key", "-out",
             "self.pem", "-days", "2", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1"], d)
    for n in os.listdir(d):
        os.chmod(os.path.join(d, n), 0o600)
    for name in ("server", "wrong", "self", "client", "ca"):
        r = harness.check_run(["openssl", "x509", "-noout", "-fingerprint",
                               "-sha256", "-in", os.path.join(d, name + ".pem")])
        out = r.stdout.decode().strip()
        C.fp[name] = out.split("=", 1)[1].strip().upper()
        if not re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", C.fp[name]):
            raise HarnessError("odd fingerprint output %r" % out)


def cert(name):
    return os.path.join(C.certs, name)


# --- a recording TCP proxy -----------------------------------------------------

class Proxy:
    """127.0.0.1:port -> 127.0.0.1:target; records what clients send."""

    def __init__(self, target):
        self.target = target
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(32)
        self.port = self.lsock.getsockname()[1]
        self.lock = threading.Lock()
        self.sent = []      # one bytearray per connection (client -> server)
        self.socks = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            try:
                u = socket.create_connection(("127.0.0.1", self.target), 10)
                u.settimeout(None)
            except OSError:
                c.close()
                continue
            buf = bytearray()
            with self.lock:
                if self.closed:
                    c.close()
                    u.close()
                    return
                self.sent.append(buf)
                self.socks += [c, u]
            threading.Thread(target=self._pump, args=(c, u, buf),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(u, c, None),
                             daemon=True).start()

    @staticmethod
    def _pump(src, dst, record):
        try:
            while True:
                b = src.recv(65536)
                if not b:
                    break
                if record is not None:
                    record += b
                dst.sendall(b)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def mark(self):
        with self.lock:
            return len(self.sent)

    def client_bytes(self, since=0):
        with self.lock:
            return [bytes(b) for b in self.sent[since:]]

    def close(self):
        with self.lock:
            self.closed = True
            socks = list(self.socks)
        try:
            self.lsock.close()
        except OSError:
            pass
        for s in socks:
            try:
                s.close()
            except OSError:
                pass


# --- servers -------------------------------------------------------------------

class Srv:
    def __init__(self, name, **knobs):
        self.name = name
        self.server = harness.start_server("vsftpd", C.root, anon_password=True,
                                           writable=True, **knobs)
        self.proxy = Proxy(self.server.port)
        self.port = self.proxy.port
        self.implicit = bool(knobs.get("tls_implicit"))

    def url(self, scheme="ftpes", host="127.0.0.1", path="/"):
        return "%s://anonymous:%s@%s:%d%s" % (scheme, MARKER, host, self.port,
                                               path)

    def stop(self):
        self.proxy.close()
        self.server.stop()


SERVER_KNOBS = {
    # explicit TLS, forced (no clear logins or data), CA-signed certificate
    "main": dict(tls_cert="server.pem", tls_key="server.key", tls_force=True),
    "wrong": dict(tls_cert="wrong.pem", tls_key="wrong.key", tls_force=True),
    "self": dict(tls_cert="self.pem", tls_key="self.key", tls_force=True),
    "implicit": dict(tls_cert="server.pem", tls_key="server.key",
                     tls_force=True, tls_implicit=True),
    "tls12": dict(tls_cert="server.pem", tls_key="server.key", tls_force=True,
                  tls_version="1.2"),
    "tls13": dict(tls_cert="server.pem", tls_key="server.key", tls_force=True,
                  tls_version="1.3"),
    # TLS offered but not forced: PROT C data and clear logins allowed
    "optional": dict(tls_cert="server.pem", tls_key="server.key"),
    "clientcert": dict(tls_cert="server.pem", tls_key="server.key",
                       tls_force=True, require_cert=True, ca_cert="ca.pem"),
    # no TLS at all
    "plain": dict(),
}


def srv(name):
    """The named server, started on first use (stopped at the end)."""
    if name not in C.servers:
        knobs = {k: cert(v) if k in ("tls_cert", "tls_key", "ca_cert") else v
                 for k, v in SERVER_KNOBS[name].items()}
        if C.pin_version and "tls_cert" in knobs and \
                "tls_version" not in knobs:
            knobs["tls_version"] = C.pin_version
        C.servers[name] = Srv(name, **knobs)
    return C.servers[name]


class Watch:
    """What a server saw from now on: its log lines and the client bytes."""

    def __init__(self, s):
        self.s = s
        try:
            self.off = os.path.getsize(s.server.log)
        except OSError:
            self.off = 0
        self.pmark = s.proxy.mark()

    def log(self):
        time.sleep(0.1)  # vsftpd's session processes write the log themselves
        try:
            with open(self.s.server.log, "rb") as f:
                f.seek(self.off)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def sent(self):
        return self.s.proxy.client_bytes(self.pmark)


LINE = re.compile(r'\[pid (\d+)\] (?:\[[^\]]*\] )?(FTP command|FTP response|'
                  r'DEBUG): Client "[^"]*", "(.*)"\s*$')


def parse_log(text):
    out = []
    for line in text.splitlines():
        m = LINE.search(line)
        if m:
            out.append((m.group(1), m.group(2), m.group(3), line))
    return out


def check_clear_bytes(w, what):
    """Neither the password nor USER/PASS crossed the proxy in clear."""
    problems = []
    for i, b in enumerate(w.sent()):
        if MARKER.encode() in b:
            problems.append("%s: the password crossed in clear (connection "
                            "%d: %r...)" % (what, i, b[:200]))
        for word in (b"USER ", b"PASS "):
            if word in b:
                k = b.index(word)
                problems.append("%s: %r sent in clear (connection %d: %r)"
                                % (what, word, i, b[max(0, k - 40):k + 40]))
    return problems


def check_tls_logins(w, what, implicit=False, tls_data=True,
                     version=None, want_logins=1, want_cert=None):
    """The server log since w: every USER/PASS after the session's TLS
    handshake (and AUTH TLS for explicit TLS); data connections TLS with
    session reuse (or none with tls_data=False).  Returns (problems, note)."""
    text = w.log()
    ev = parse_log(text)
    problems = check_clear_bytes(w, what)
    state = {}   # pid -> {"auth":, "tls":}
    logins = 0
    data_tls = []
    versions = set()
    for pid, kind, msg, line in ev:
        st = state.setdefault(pid, {"auth": False, "tls": False})
        if kind == "FTP command" and msg.upper().startswith("AUTH "):
            st["auth"] = True
        elif kind == "DEBUG" and msg.startswith("SSL version:"):
            versions.add(msg.split(",")[0].split(":")[1].strip())
            if "[anonymous]" in line or "[ftp]" in line:
                data_tls.append(msg)
            else:
                st["tls"] = True
            if want_cert is not None:
                has = "CERT PRESENTED" in msg
                if has != want_cert:
                    problems.append("%s: handshake %r, want %s" % (
                        what, msg, "a client certificate" if want_cert
                        else "none"))
        elif kind == "FTP command" and re.match(r"(USER|PASS) ", msg):
            if msg.startswith("USER"):
                logins += 1
            if not st["tls"] or (not implicit and not st["auth"]):
                problems.append("%s: %r before the TLS handshake%s (pid %s)" % (
                    what, msg, "" if implicit else " after AUTH TLS", pid))
    cmds = [msg for _, kind, msg, _ in ev if kind == "FTP command"]
    if logins < want_logins:
        problems.append("%s: %d logins in the server log, want >= %d" % (
            what, logins, want_logins))
    if logins and not any(c.startswith("PASS") for c in cmds):
        problems.append("%s: no PASS in the server log (--anon-password "
                        "asks for one)" % what)
    if implicit and any(c.upper().startswith("AUTH") for c in cmds):
        problems.append("%s: AUTH sent on an implicit TLS connection" % what)
    if tls_data:
        if "PROT P" not in cmds:
            problems.append("%s: no PROT P in the server log" % what)
        if not data_tls:
            problems.append("%s: no TLS data connection in the server log"
                            % what)
        bad = [m for m in data_tls if ", reused" not in m]
        if bad:
            problems.append("%s: data connection(s) without session reuse: "
                            "%s" % (what, bad[:3]))
    else:
        if "PROT C" not in cmds and "PROT P" in cmds:
            problems.append("%s: PROT P with tls_data=clear" % what)
        if data_tls:
            problems.append("%s: TLS data connections with tls_data=clear: "
                            "%s" % (what, data_tls[:3]))
    if version and versions - {version}:
        problems.append("%s: negotiated %s, want only %s" % (
            what, sorted(versions), version))
    if version and version not in versions:
        problems.append("%s: no %s handshake in the log" % (what, version))
    note = "%d logins, %d TLS data connections (%s)" % (
        logins, len(data_tls), "/".join(sorted(versions)) or "no TLS")
    return problems, note


def check_no_login(w, what):
    problems = check_clear_bytes(w, what)
    for pid, kind, msg, line in parse_log(w.log()):
        if kind == "FTP command" and re.match(r"(USER|PASS)\b", msg):
            problems.append("%s: the server received %r" % (what, msg))
    return problems


# --- ftpfs ---------------------------------------------------------------------

def ftpfs_fail(url, opts, words, what):
    """ftpfs URL MP -o OPTS (background mode) must exit 1 with one line on
    stderr containing every word (case-insensitive); returns the line."""
    cmd = [harness.ftpfs_bin(), url, C.mp]
    if opts:
        cmd += ["-o", ",".join(opts)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    err = r.stderr.strip()
    got_mounted = harness.is_fuse_mounted(C.mp)
    if got_mounted:
        subprocess.run(["fusermount3", "-u", C.mp])
    problems = []
    if r.returncode != 1:
        problems.append("exit %d (want 1)" % r.returncode)
    if got_mounted:
        problems.append("it mounted")
    lines = [l for l in err.split("\n") if l]
    if len(lines) != 1:
        problems.append("want one line on stderr, got %d" % len(lines))
    for w in words:
        if w.lower() not in err.lower():
            problems.append("the error lacks %r" % w)
    if MARKER in err:
        problems.append("the password is in the error")
    if problems:
        raise AssertionError("%s: %s\n  cmd: %s\n  stderr: %r" % (
            what, "; ".join(problems), " ".join(cmd), err))
    return err


def sha256_file(path, bufsize=MiB):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(bufsize)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def read_checks(m, big=False):
    """Listing and contents through the mount equal the disk."""
    problems = []
    want = sorted(os.listdir(C.root))
    got = sorted(os.listdir(m.mountpoint))
    if got != want:
        problems.append("listing %r, want %r" % (got, want))
    with open(m.path(SMALL), "rb") as f, \
            open(os.path.join(C.root, SMALL), "rb") as g:
        if f.read() != g.read():
            problems.append("%s differs" % SMALL)
    if big:
        t0 = time.time()
        got = sha256_file(m.path(BIG))
        dt = time.time() - t0
        if got != C.big_sha:
            problems.append("sha256 of %s through the mount differs" % BIG)
        return problems, "read 50 MB in %.1fs" % dt
    return problems, None


def write_check(m, name, size):
    """Write `size` random bytes to pub/NAME through the mount; compare with
    the disk once close() has returned."""
    data = os.urandom(size)
    p = m.path(WDIR, name)
    t0 = time.time()
    with open(p, "wb") as f:
        for i in range(0, size, MiB):
            f.write(data[i:i + MiB])
    dt = time.time() - t0
    dp = os.path.join(C.root, WDIR, name)
    try:
        with open(dp, "rb") as f:
            on_disk = f.read()
    except OSError as e:
        return ["%s not on the server's disk after close(): %s" % (name, e)], dt
    if on_disk != data:
        return ["%s on disk: %d bytes, sha256 %s; want %d bytes, %s" % (
            name, len(on_disk), hashlib.sha256(on_disk).hexdigest()[:16],
            size, hashlib.sha256(data).hexdigest()[:16])], dt
    if sha256_file(p) != hashlib.sha256(data).hexdigest():
        return ["%s read back through the mount differs" % name], dt
    return [], dt


def mounted(url, opts, fn):
    """Mount, run fn(m) -> problems list (+ note), unmount; raise on any."""
    m = harness.mount(url, C.mp, opts)
    try:
        try:
            res = fn(m)
        except OSError as e:   # an I/O error through the mount: a finding
            res = ["through the mount (%s): %s" % (url.split(":")[0], e)]
    except BaseException:
        try:
            m.unmount()
        except HarnessError:
            pass
        raise
    m.unmount()
    return res


def fail_if(problems, note=None):
    if problems:
        raise AssertionError("\n".join(problems + (["(%s)" % note] if note
                                                    else [])))
    return note


# --- tests -----------------------------------------------------------------------

@R.test
def explicit_cafile_50m():
    s = srv("main")
    w = Watch(s)
    notes = []

    def act(m):
        p, n = read_checks(m, big=True)
        notes.append(n)
        wp, dt = write_check(m, "up50.bin", 50 * MiB)
        notes.append("wrote 50 MB in %.1fs" % dt)
        return p + wp
    problems = mounted(s.url("ftpes"), ["cafile=" + cert("ca.pem")], act)
    lp, note = check_tls_logins(w, "ftpes")
    return fail_if(problems + lp, "; ".join(notes + [note]))


@R.test
def dns_name_localhost():
    # the server certificate's DNS SAN; localhost may resolve to ::1 first
    # (vsftpd listens on 127.0.0.1 only)
    s = srv("main")
    w = Watch(s)
    problems = mounted(s.url("ftpes", host="localhost"),
                       ["cafile=" + cert("ca.pem")],
                       lambda m: read_checks(m)[0])
    lp, note = check_tls_logins(w, "ftpes://localhost")
    return fail_if(problems + lp, note)


@R.test
def ftp_url_upgrades_to_tls():
    s = srv("main")
    w = Watch(s)
    problems = mounted(s.url("ftp"), ["cafile=" + cert("ca.pem")],
                       lambda m: read_checks(m)[0])
    lp, note = check_tls_logins(w, "ftp:// (tls=try)")
    return fail_if(problems + lp, note)


@R.test
def tls_none_against_forced_server():
    s = srv("main")
    w = Watch(s)
    err = ftpfs_fail(s.url("ftp"), ["tls=none"], [], "ftp:// -o tls=none")
    problems = []
    for b in w.sent():
        if MARKER.encode() in b:
            problems.append("the password crossed in clear: %r" % b[:300])
    cmds = [msg for _, k, msg, _ in parse_log(w.log()) if k == "FTP command"]
    if any(c.startswith("PASS") for c in cmds):
        problems.append("the server received PASS: %r" % cmds)
    if any(c.upper().startswith("AUTH") for c in cmds):
        problems.append("AUTH sent with tls=none: %r" % cmds)
    if not re.search(r"530|encrypt|TLS|SSL", err, re.I):
        problems.append("the error does not say why (530/encryption): %r"
                        % err)
    return fail_if(problems, err)


@R.test
def require_tls_against_plain_server():
    # ftpes:// and -o tls=require must stop when the server has no TLS,
    # before USER; ftp:// (tls=try) falls back to a clear login
    s = srv("plain")
    problems = []
    err = None
    for url, opts in ((s.url("ftpes"), []), (s.url("ftp"), ["tls=require"])):
        w = Watch(s)
        try:
            err = ftpfs_fail(url, opts, ["TLS"], "%s %s against a server "
                             "without TLS" % (url.split(":")[0], opts))
        except AssertionError as e:
            problems.append(str(e))
        problems += check_no_login(w, "no TLS offered")
    w = Watch(s)
    problems += mounted(s.url("ftp"), [], lambda m: read_checks(m)[0])
    if not any(k == "FTP command" and msg.startswith("USER")
               for _, k, msg, _ in parse_log(w.log())):
        problems.append("ftp:// (tls=try) against a server without TLS: no "
                        "login in the server log")
    return fail_if(problems, err)


@R.test
def try_mode_does_not_downgrade():
    # TLS offered but optional: an unverifiable certificate must stop ftp://
    # (tls=try) too, not fall back to a clear login
    s = srv("optional")
    w = Watch(s)
    err = ftpfs_fail(s.url("ftp"), [], [C.fp["server"], "fingerprint=sha256:",
                                        "cafile="], "ftp:// without cafile")
    problems = check_no_login(w, "ftp:// unverifiable")
    # tls=none against the optional server works in clear
    w = Watch(s)
    problems += mounted(s.url("ftp"), ["tls=none"], lambda m: read_checks(m)[0])
    cmds = [msg for _, k, msg, _ in parse_log(w.log()) if k == "FTP command"]
    if any(c.upper().startswith(("AUTH", "PBSZ", "PROT")) for c in cmds):
        problems.append("tls=none sent AUTH/PBSZ/PROT: %r" % cmds)
    return fail_if(problems, err)


def refused_then_accepted(name, scheme="ftpes"):
    s = srv(name)
    fp = C.fp[name]
    notes = []
    problems = []
    for opts in ([], ["cafile=" + cert("ca.pem")]):
        w = Watch(s)
        try:
            err = ftpfs_fail(s.url(scheme), opts,
                             [fp, "fingerprint=sha256:", "cafile="],
                             "%s cert, %s" % (name, opts or "system CAs"))
            notes.append(err)
        except AssertionError as e:
            problems.append(str(e))
        problems += check_no_login(w, "refused %s cert" % name)
    # a wrong pin is refused too
    w = Watch(s)
    try:
        ftpfs_fail(s.url(scheme), ["fingerprint=sha256:" + C.fp["client"]],
                   [fp], "%s cert with another certificate's pin" % name)
    except AssertionError as e:
        problems.append(str(e))
    problems += check_no_login(w, "wrong pin")
    # the right pin: colon form, and lower case without colons
    for pin in (fp, fp.replace(":", "").lower()):
        w = Watch(s)
        try:
            problems += mounted(s.url(scheme), ["fingerprint=sha256:" + pin],
                                lambda m: read_checks(m)[0])
        except HarnessError as e:
            problems.append("fingerprint=sha256:%s refused: %s" % (pin, e))
            continue
        problems += check_tls_logins(w, "pinned %s" % name)[0]
    return problems, notes


@R.test
def wrong_name_refused_then_pinned():
    problems, notes = refused_then_accepted("wrong")
    return fail_if(problems, notes[-1] if notes else None)


@R.test
def self_signed_refused_pinned_cafile_no_verify():
    problems, notes = refused_then_accepted("self")
    s = srv("self")
    w = Watch(s)
    try:
        problems += mounted(s.url(), ["cafile=" + cert("self.pem")],
                            lambda m: read_checks(m)[0])
    except HarnessError as e:
        problems.append("cafile=self.pem refused: %s" % e)
    problems += check_tls_logins(w, "cafile=self.pem")[0]
    w = Watch(s)
    warn = []

    def act(m):
        p = read_checks(m)[0]
        warn.append(m.stderr())
        return p
    try:
        problems += mounted(s.url(), ["no_verify"], act)
    except HarnessError as e:
        problems.append("no_verify refused: %s" % e)
    problems += check_tls_logins(w, "no_verify")[0]
    if warn and not re.search(r"warn|insecure|not verified", warn[0], re.I):
        problems.append("no_verify: no warning on stderr: %r" % warn[0])
    return fail_if(problems, notes[-1] if notes else None)


@R.test
def implicit_tls():
    s = srv("implicit")
    w = Watch(s)
    notes = []

    def act(m):
        p, _ = read_checks(m)
        wp, dt = write_check(m, "implicit.bin", 3 * MiB)
        return p + wp
    problems = mounted(s.url("ftps"), ["cafile=" + cert("ca.pem")], act)
    lp, note = check_tls_logins(w, "ftps://", implicit=True)
    notes.append(note)
    # and verification applies to implicit TLS too
    w = Watch(s)
    try:
        ftpfs_fail(s.url("ftps"), [], [C.fp["server"], "fingerprint=sha256:"],
                   "ftps:// without cafile")
    except AssertionError as e:
        problems.append(str(e))
    problems += check_no_login(w, "ftps:// unverifiable")
    return fail_if(problems + lp, "; ".join(notes))


def version_test(name, version):
    s = srv(name)
    w = Watch(s)

    def act(m):
        p, _ = read_checks(m)
        with open(m.path(BIG), "rb") as f:      # a part of the big file
            f.seek(20 * MiB)
            got = f.read(4 * MiB)
        with open(os.path.join(C.root, BIG), "rb") as f:
            f.seek(20 * MiB)
            if got != f.read(4 * MiB):
                p.append("%s[20M:24M] differs" % BIG)
        wp, _ = write_check(m, "v%s.bin" % version, 5 * MiB)
        return p + wp
    problems = mounted(s.url(), ["cafile=" + cert("ca.pem")], act)
    lp, note = check_tls_logins(w, "TLS " + version, version="TLSv" + version)
    return fail_if(problems + lp, note)


@R.test
def tls12_only_server():
    return version_test("tls12", "1.2")


@R.test
def tls13_only_server():
    return version_test("tls13", "1.3")


@R.test
def tls_data_clear():
    s = srv("optional")
    w = Watch(s)

    def act(m):
        p, n = read_checks(m)
        wp, _ = write_check(m, "clear.bin", 2 * MiB)
        return p + wp
    problems = mounted(s.url(), ["cafile=" + cert("ca.pem"), "tls_data=clear"],
                       act)
    lp, note = check_tls_logins(w, "tls_data=clear", tls_data=False)
    return fail_if(problems + lp, note)


@R.test
def client_certificate():
    s = srv("clientcert")
    w = Watch(s)
    problems = []
    try:
        # the message must at least say that TLS failed
        err = ftpfs_fail(s.url(), ["cafile=" + cert("ca.pem")], ["TLS"],
                         "require_cert server, no client certificate")
    except AssertionError as e:
        problems.append(str(e))
        err = None
    problems += check_no_login(w, "no client certificate")
    w = Watch(s)
    try:
        problems += mounted(s.url(), ["cafile=" + cert("ca.pem"),
                                      "cert=" + cert("client.pem"),
                                      "key=" + cert("client.key")],
                            lambda m: read_checks(m)[0] +
                            write_check(m, "cc.bin", MiB)[0])
    except HarnessError as e:
        problems.append("with cert=,key=: %s" % e)
    lp, note = check_tls_logins(w, "client certificate", want_cert=True)
    return fail_if(problems + lp, "%s; without: %r" % (note, err))


# --- main ----------------------------------------------------------------------

def tls_prefix(a):
    C.pin_version = a.server_tls_version
    return R.prefix + ("[TLS %s]" % C.pin_version if C.pin_version else "")


def tls_skip(a):
    if shutil.which("openssl") is None:
        return "the openssl command is missing"
    if os.geteuid() != 0:
        return "vsftpd must be started as root"
    return None


def setup(a, top):
    C.top = top
    C.root = os.path.join(C.top, "tree")
    os.mkdir(C.root, 0o755)
    os.chmod(C.root, 0o755)
    C.certs = os.path.join(C.top, "certs")
    os.mkdir(C.certs, 0o700)
    C.mp = os.path.join(C.top, "mnt")
    os.mkdir(C.mp)
    t0 = time.time()
    make_certs(C.certs)
    data = os.urandom(50 * MiB)
    C.big_sha = hashlib.sha256(data).hexdigest()
    for name, content in ((BIG, data), (SMALL, b"small file\n")):
        with open(os.path.join(C.root, name), "wb") as f:
            f.write(content)
        os.chmod(os.path.join(C.root, name), 0o644)
    del data
    os.mkdir(os.path.join(C.root, WDIR), 0o755)
    print("# certificates and tree in %.1fs at %s" % (
        time.time() - t0, C.top))


def stop_servers():
    problems = []
    for name, s in sorted(C.servers.items()):
        try:
            s.stop()
        except HarnessError as e:
            problems.append("%s: %s" % (name, e))
    C.servers.clear()
    if problems:
        raise AssertionError("\n".join(problems))


def close_proxies():
    for s in C.servers.values():
        s.proxy.close()


if __name__ == "__main__":
    sys.exit(harness.main(
        R, "ftpfs-tls-", setup=setup, needs=("vsftpd",), skip=tls_skip,
        options=[(("--server-tls-version",), dict(
            choices=["1.2", "1.3"],
            help="pin every server (not only the tls12/tls13 tests') "
            "to this TLS version"))],
        prefix=tls_prefix,
        final=lambda a: [("servers_clean_exit", stop_servers)],
        cleanup=close_proxies, min_free=200 * MiB))
