#!/usr/bin/python3
"""Run Debian's vsftpd as an anonymous, read-only test FTP server.

    /usr/bin/python3 tests/servers/vsftpd.py --root DIR --port-file FILE \
        [--port 0] [--host 127.0.0.1] [--log FILE] [--keep-tmp] \
        [--writable [--writable-dir NAME]] [--anon-password] \
        [--tls-cert FILE [--tls-key FILE] [--tls-force] [--tls-implicit]
         [--tls-version 1.2|1.3] [--require-cert --ca-cert FILE]]

Writes a vsftpd config into a private temp dir, runs `/usr/sbin/vsftpd CONF`
in the foreground as a child (in its own process group, so the per-session
processes vsftpd forks can be stopped with it), waits until the port answers
"220", then writes the port number to --port-file (temp file + rename).  On
SIGTERM/SIGINT it stops vsftpd (SIGTERM to vsftpd's process group, SIGKILL
after 5 s), removes the temp dir and exits 0.  If vsftpd dies by itself the
launcher exits 1 and prints vsftpd's output and log.

--port 0 picks a free port (vsftpd cannot report the port it got): the
launcher binds port 0 itself, closes it and hands the number to vsftpd,
retrying a few times if vsftpd then fails to bind it.

Requirements and behaviour (vsftpd 3.0.3, running as root):

* Anonymous sessions run as the unprivileged user `ftp`, chroot()ed into
  --root.  So --root and every directory in it must be world-readable and
  -searchable (o+rx), and files world-readable (anon_world_readable_only):
  a tempfile.mkdtemp() dir is 0700 -- chmod it 0755 (the launcher refuses
  a root without o+rx, with a clear message).  The root must not be
  writable by `ftp` either (vsftpd: "refusing to run with writable root
  inside chroot()"); root-owned 0755 is fine.
* write_enable=NO: the server is read-only, whatever the permissions.
* LIST times are in UTC (use_localtime=NO), in ls format: "Mon DD HH:MM"
  (minute precision) for files younger than 6 months, "Mon DD  YYYY"
  (day precision) for older ones.  vsftpd has no MLSD/MLST; it supports
  SIZE, MDTM, REST, EPSV/PASV.
* LIST shows symlinks as `l...  name -> target` (it never follows them).
* isolate/isolate_network are off (they need namespaces a container may not
  allow), seccomp_sandbox off, utf8_filesystem on.

--writable (for the write tests): anonymous uploads are allowed
(write_enable, anon_upload_enable, anon_mkdir_write_enable,
anon_other_write_enable -- DELE, RNFR/RNTO, RMD, APPE, STOR over a file --,
anon_umask=022 so new files are 0644 and new dirs 0755, mdtm_write, i.e.
"MDTM YYYYMMDDHHMMSS path" sets a file's time).  vsftpd refuses a chroot root
the session user can write, so --root stays read-only and the launcher makes
ROOT/NAME (--writable-dir, default "pub") the writable area: created if
missing, chown ftp:ftp, chmod 0755.  Mount ftp://127.0.0.1:PORT/pub.  Only
the permissions of the `ftp` user on disk limit what can be written: a
directory below pub owned by root (0755) is a read-only one ("553 Could not
create file.").  Anonymous sessions can never SITE CHMOD (vsftpd answers
"550 Permission denied.") whatever the config.

--anon-password: no_anon_password=NO, so vsftpd answers "331" to
"USER anonymous" and the client must send a PASS (any password is
accepted); lets a test check that a password never crosses in clear.

FTPS (vsftpd 3.0.3 with OpenSSL 3):

--tls-cert FILE [--tls-key FILE] (key defaults to the cert file): ssl_enable,
allow_anon_ssl, require_ssl_reuse=YES (a data connection must resume the
control connection's TLS session: "522 SSL connection failed: session reuse
required" otherwise), ssl_request_cert (a client certificate is asked for,
not required), debug_ssl=YES.  Explicit TLS (AUTH TLS/SSL) by default; plain
clients are still served unless --tls-force (force_anon_logins_ssl,
force_anon_data_ssl, force_local_logins_ssl, force_local_data_ssl: "530
Non-anonymous sessions must use encryption." / "522 Data connections must be
encrypted.").  Without --tls-force a client may use PROT C data connections.

--tls-implicit: implicit_ssl=YES, TLS from the first byte (the launcher's
readiness probe then does a TLS handshake, unverified, before reading 220).

--tls-version 1.2|1.3: vsftpd 3.0.3 only has ssl_sslv2/ssl_sslv3/ssl_tlsv1
(which allow TLS 1.0 and everything above; with OpenSSL 3 the default
negotiates TLS 1.3).  To pin a version the launcher runs vsftpd with
OPENSSL_CONF pointing at a private openssl.cnf whose system_default section
sets MinProtocol = MaxProtocol = TLSv1.X (OpenSSL applies it to every
SSL_CTX).  A client that cannot speak that version gets a "protocol
version" alert.

--require-cert --ca-cert FILE: require_cert=YES, validate_cert=YES,
ca_certs_file=FILE: a client without a certificate signed by a CA in FILE is
refused during the handshake.

Protocol log (--log FILE, log_ftp_protocol=YES): every command and reply,
one per line, e.g.
  ... [pid 123] FTP command: Client "127.0.0.1", "AUTH TLS"
  ... [pid 123] DEBUG: Client "127.0.0.1", "SSL version: TLSv1.3, SSL
      cipher: TLS_AES_256_GCM_SHA384, not reused, no cert"
  ... [pid 123] FTP command: Client "127.0.0.1", "USER anonymous"
  ... [pid 123] FTP command: Client "127.0.0.1", "PASS <password>"
  ... [pid 124] [ftp] FTP command: Client "127.0.0.1", "PBSZ 0"
Before login a session's lines carry the pid of its pre-login process (the
one that did AUTH TLS and the handshake), after it the pid of the logged-in
process ("[ftp]"); data connection handshakes are logged as "DEBUG ... SSL
version: ..., reused|not reused" (PASS itself is logged as "<password>").
"""

import argparse
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

VSFTPD = "/usr/sbin/vsftpd"

CONFIG = """\
listen=YES
listen_ipv6=NO
listen_address={host}
listen_port={port}
background=NO
anonymous_enable=YES
local_enable=NO
write_enable=NO
anon_upload_enable=NO
anon_mkdir_write_enable=NO
anon_other_write_enable=NO
no_anon_password=YES
anon_root={root}
ftp_username=ftp
nopriv_user=nobody
anon_world_readable_only=YES
force_dot_files=YES
hide_ids=NO
use_localtime=NO
utf8_filesystem=YES
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
secure_chroot_dir={empty}
pasv_enable=YES
pasv_promiscuous=NO
port_enable=YES
connect_from_port_20=NO
max_clients=0
max_per_ip={max_per_ip}
idle_session_timeout=600
data_connection_timeout=300
accept_timeout=60
connect_timeout=60
dirmessage_enable=NO
ls_recurse_enable=NO
tcp_wrappers=NO
ftpd_banner=vsftpd test server ready.
xferlog_enable=YES
xferlog_std_format=NO
log_ftp_protocol=YES
vsftpd_log_file={log}
"""


WRITABLE_CONFIG = """\
write_enable=YES
anon_upload_enable=YES
anon_mkdir_write_enable=YES
anon_other_write_enable=YES
anon_umask=022
mdtm_write=YES
chown_uploads=NO
"""


def set_option(config, key, value):
    """Replace `key=...` in config (or append it)."""
    lines = config.splitlines(True)
    out = [l for l in lines if not l.startswith(key + "=")]
    out.append("%s=%s\n" % (key, value))
    return "".join(out)


def writable_config(config):
    for line in WRITABLE_CONFIG.splitlines():
        k, _, v = line.partition("=")
        config = set_option(config, k, v)
    return config


def prepare_writable_dir(root, name):
    """ROOT/NAME owned by ftp:ftp, mode 0755; None or an error message."""
    import pwd
    if not name or name.startswith("/") or ".." in name.split("/"):
        return "--writable-dir %r must be a relative name below --root" % name
    try:
        pw = pwd.getpwnam("ftp")
    except KeyError:
        return "there is no user 'ftp' (vsftpd's anonymous user)"
    st = os.stat(root)
    if st.st_uid == pw.pw_uid or (st.st_mode & 0o002):
        return ("%s is writable by user 'ftp': vsftpd refuses a writable "
                "chroot root; serve a root-owned 0755 root" % root)
    d = os.path.join(root, name)
    if not os.path.isdir(d):
        os.makedirs(d, 0o755)
    os.chown(d, pw.pw_uid, pw.pw_gid)
    os.chmod(d, 0o755)
    return None


def free_port(host):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((host, 0))
        return s.getsockname()[1]
    finally:
        s.close()


def write_port_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


def answers_220(host, port, tls=False):
    try:
        with socket.create_connection((host, port), timeout=2) as raw:
            s = raw
            if tls:  # implicit TLS: handshake first (no verification)
                import ssl
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                s = ctx.wrap_socket(raw)
            data = b""
            while b"\n" not in data:
                chunk = s.recv(512)
                if not chunk:
                    break
                data += chunk
            try:
                s.sendall(b"QUIT\r\n")
            except OSError:
                pass
            if s is not raw:
                s.close()
            return data.startswith(b"220")
    except (OSError, ValueError):  # ssl.SSLError is an OSError
        return False


def tls_config(config, a, tmp):
    """Apply the --tls-* / --anon-password flags to the vsftpd config text.
    Returns (config, environment for vsftpd)."""
    env = dict(os.environ)
    if a.anon_password:
        config = set_option(config, "no_anon_password", "NO")
    if not a.tls_cert:
        return config, env
    force = "YES" if a.tls_force else "NO"
    opts = [("ssl_enable", "YES"),
            ("rsa_cert_file", a.tls_cert),
            ("rsa_private_key_file", a.tls_key or a.tls_cert),
            ("allow_anon_ssl", "YES"),
            ("force_anon_logins_ssl", force),
            ("force_anon_data_ssl", force),
            ("force_local_logins_ssl", force),
            ("force_local_data_ssl", force),
            ("require_ssl_reuse", "YES"),
            ("ssl_sslv2", "NO"), ("ssl_sslv3", "NO"), ("ssl_tlsv1", "YES"),
            ("ssl_request_cert", "YES"),
            ("debug_ssl", "YES"),
            ("implicit_ssl", "YES" if a.tls_implicit else "NO")]
    if a.require_cert:
        opts += [("require_cert", "YES"), ("validate_cert", "YES"),
                 ("ca_certs_file", a.ca_cert)]
    for k, v in opts:
        config = set_option(config, k, v)
    if a.tls_version:
        cnf = os.path.join(tmp, "openssl.cnf")
        with open(cnf, "w") as f:
            f.write("openssl_conf = openssl_init\n"
                    "[openssl_init]\nssl_conf = ssl_sect\n"
                    "[ssl_sect]\nsystem_default = system_default_sect\n"
                    "[system_default_sect]\n"
                    "MinProtocol = TLSv%s\nMaxProtocol = TLSv%s\n"
                    % (a.tls_version, a.tls_version))
        env["OPENSSL_CONF"] = cnf
    return config, env


class Launcher:
    def __init__(self, a):
        self.a = a
        self.tmp = tempfile.mkdtemp(prefix="vsftpd-")
        os.chmod(self.tmp, 0o755)
        self.empty = os.path.join(self.tmp, "empty")
        os.mkdir(self.empty, 0o755)
        self.log = a.log or os.path.join(self.tmp, "vsftpd.log")
        self.out_path = os.path.join(self.tmp, "vsftpd.out")
        self.proc = None
        self.stopping = False

    def start(self, port):
        conf = os.path.join(self.tmp, "vsftpd.conf")
        text = CONFIG.format(host=self.a.host, port=port, root=self.a.root,
                             empty=self.empty, log=self.log,
                             max_per_ip=self.a.max_per_host)
        if self.a.writable:
            text = writable_config(text)
        text, env = tls_config(text, self.a, self.tmp)
        with open(conf, "w") as f:
            f.write(text)
        os.chmod(conf, 0o600)  # vsftpd wants its config owned by root
        out = open(self.out_path, "ab")
        self.proc = subprocess.Popen([VSFTPD, conf], stdin=subprocess.DEVNULL,
                                     env=env,
                                     stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        out.close()
        deadline = time.time() + 10
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
        for p in (self.out_path, self.log):
            try:
                with open(p, errors="replace") as f:
                    text += f.read()[-3000:]
            except OSError:
                pass
        return text

    def kill(self):
        """Stop vsftpd and its session processes (its process group, and
        the sessions' own: each session calls setsid())."""
        if self.proc is None:
            return None
        pgid = self.proc.pid  # start_new_session: pgid == vsftpd's pid
        sessions = descendants(self.proc.pid)
        for pid in sessions:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
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
        # the sessions are children of vsftpd, reparented to init; make sure
        # none of them is left
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return self.proc.returncode

    def cleanup(self):
        import shutil
        if not self.a.keep_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


def descendants(pid):
    """PIDs of pid's children, grandchildren... (from /proc)."""
    parent = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                # "pid (comm) state ppid ...": comm may hold blanks
                parent[int(d)] = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        found += kids
        todo += kids
    return found


def check_root(root):
    st = os.stat(root)
    if not stat.S_ISDIR(st.st_mode):
        return "%s is not a directory" % root
    if (st.st_mode & 0o005) != 0o005:
        return ("%s is mode %o: vsftpd serves anonymous users as user 'ftp', "
                "so the root must be world-readable and searchable "
                "(chmod 755)" % (root, stat.S_IMODE(st.st_mode)))
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log", help="vsftpd log file (protocol + transfers)")
    p.add_argument("--keep-tmp", action="store_true",
                   help="keep the temp dir with config and logs")
    p.add_argument("--writable", action="store_true",
                   help="allow anonymous uploads into ROOT/--writable-dir")
    p.add_argument("--writable-dir", default="pub", metavar="NAME",
                   help="the writable area below --root (default pub)")
    p.add_argument("--anon-password", action="store_true",
                   help="anonymous login asks for a password (any accepted)")
    p.add_argument("--tls-cert", metavar="FILE",
                   help="enable FTPS with this PEM certificate (chain)")
    p.add_argument("--tls-key", metavar="FILE",
                   help="its PEM private key (default: in --tls-cert)")
    p.add_argument("--tls-force", action="store_true",
                   help="refuse logins and data connections without TLS")
    p.add_argument("--tls-implicit", action="store_true",
                   help="implicit TLS (TLS from the first byte)")
    p.add_argument("--tls-version", choices=["1.2", "1.3"],
                   help="accept only this TLS version")
    p.add_argument("--require-cert", action="store_true",
                   help="require a client certificate signed by --ca-cert")
    p.add_argument("--ca-cert", metavar="FILE",
                   help="CAs for client certificates (--require-cert)")
    p.add_argument("--max-per-host", type=int, default=0, metavar="N",
                   help="max_per_ip: vsftpd's limit of connections per "
                   "client address (0: none)")
    a = p.parse_args()
    tls_only = [f for f, v in (("--tls-key", a.tls_key),
                               ("--tls-force", a.tls_force),
                               ("--tls-implicit", a.tls_implicit),
                               ("--tls-version", a.tls_version),
                               ("--require-cert", a.require_cert),
                               ("--ca-cert", a.ca_cert)) if v]
    if tls_only and not a.tls_cert:
        p.error("%s need(s) --tls-cert" % ", ".join(tls_only))
    if a.require_cert and not a.ca_cert:
        p.error("--require-cert needs --ca-cert")
    for f in (a.tls_cert, a.tls_key, a.ca_cert):
        if f and not os.path.isfile(f):
            p.error("%s: no such file" % f)
    a.tls_cert, a.tls_key, a.ca_cert = [
        os.path.realpath(f) if f else f
        for f in (a.tls_cert, a.tls_key, a.ca_cert)]
    a.root = os.path.realpath(a.root)
    if not os.path.exists(VSFTPD):
        print("vsftpd.py: %s is not installed" % VSFTPD, file=sys.stderr)
        return 77
    if os.geteuid() != 0:
        print("vsftpd.py: vsftpd must be started as root", file=sys.stderr)
        return 77
    err = check_root(a.root)
    if not err and a.writable:
        err = prepare_writable_dir(a.root, a.writable_dir)
    if err:
        print("vsftpd.py: " + err, file=sys.stderr)
        return 2

    launcher = Launcher(a)

    def on_signal(signum, frame):
        launcher.stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    try:
        tries = 1 if a.port else 5
        ok = False
        for _ in range(tries):
            port = a.port or free_port(a.host)
            if launcher.start(port):
                ok = True
                break
            launcher.kill()
            if launcher.stopping:
                return 0
        if not ok:
            print("vsftpd.py: vsftpd did not come up:\n" + launcher.output(),
                  file=sys.stderr)
            return 1
        write_port_file(a.port_file, port)
        while not launcher.stopping:
            if launcher.proc.poll() is not None:
                print("vsftpd.py: vsftpd exited by itself (rc=%s):\n%s" % (
                    launcher.proc.returncode, launcher.output()),
                    file=sys.stderr)
                return 1
            time.sleep(0.1)
        launcher.kill()
        return 0
    finally:
        launcher.kill()
        launcher.cleanup()


if __name__ == "__main__":
    sys.exit(main())
