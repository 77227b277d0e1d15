#!/usr/bin/python3
"""Run Debian's vsftpd as an anonymous, read-only test FTP server.

    /usr/bin/python3 tests/servers/vsftpd.py --root DIR --port-file FILE \
        [--port 0] [--host 127.0.0.1] [--log FILE] [--keep-tmp]

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
max_per_ip=0
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


def answers_220(host, port):
    try:
        with socket.create_connection((host, port), timeout=2) as s:
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
            return data.startswith(b"220")
    except OSError:
        return False


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
        with open(conf, "w") as f:
            f.write(CONFIG.format(host=self.a.host, port=port,
                                  root=self.a.root, empty=self.empty,
                                  log=self.log))
        os.chmod(conf, 0o600)  # vsftpd wants its config owned by root
        out = open(self.out_path, "ab")
        self.proc = subprocess.Popen([VSFTPD, conf], stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        out.close()
        deadline = time.time() + 10
        while time.time() < deadline and not self.stopping:
            if self.proc.poll() is not None:
                return False
            if answers_220(self.a.host, port):
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
        """Stop vsftpd and its session processes (its process group)."""
        if self.proc is None:
            return None
        pgid = self.proc.pid  # start_new_session: pgid == vsftpd's pid
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
    a = p.parse_args()
    a.root = os.path.realpath(a.root)
    if not os.path.exists(VSFTPD):
        print("vsftpd.py: %s is not installed" % VSFTPD, file=sys.stderr)
        return 77
    if os.geteuid() != 0:
        print("vsftpd.py: vsftpd must be started as root", file=sys.stderr)
        return 77
    err = check_root(a.root)
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
