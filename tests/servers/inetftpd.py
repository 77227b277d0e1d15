#!/usr/bin/python3
"""Run GNU inetutils ftpd 2.4 (Debian's inetutils-ftpd, unpacked by
tests/servers/unpack.sh, not installed) as a test FTP server.

    /usr/bin/python3 tests/servers/inetftpd.py --root DIR --port-file FILE \
        [--port 0] [--host 127.0.0.1] [--log FILE] [--keep-tmp] \
        [--user ftpfsinet --password PW]

inetutils ftpd's own daemon mode (-D) always listens on the "ftp" service
port (21, no port option), so the launcher is a tiny inetd: it listens on
--host:--port and, per connection, runs `ftpd -a default` with the
connection as stdin/stdout (inetd mode), each in its own process group.
SIGTERM stops the listener and every session's process group.

Logins: ftpd has no virtual users; with -a default it checks the password
against /etc/shadow with crypt(3) (no PAM, so no /etc/pam.d/ftp is needed).
The launcher creates the system user --user (default "ftpfsinet"; useradd
-M -d ROOT -s /bin/sh, chpasswd), and removes it (userdel) when it stops
(the harness gives each server its own name, ftpfsinet<pid>-<n>: usermod
refuses a user that still has processes).
Its shell must be in /etc/shells and the name not in /etc/ftpusers (there
is none when the package is not installed).  The session is not chrooted:
the user's home is --root (ftpd does a CWD there after login) but paths are
those of the whole filesystem, so mount ftp://USER:PW@HOST:PORT/<ROOT>/.
Uploads need --root writable by that user (the test chowns its tree after
the launcher has created the user: see the port file).

What it supports (and what not): LIST/NLST only (no MLSD/MLST, no MFMT, no
"MDTM with a time"), SIZE, MDTM, REST, PASV/EPSV, APPE, SITE CHMOD, SITE
UMASK; no FTPS.  LIST is /bin/ls-style from ftpd's own code: times are
"Mon DD HH:MM" for files younger than 6 months, "Mon DD  YYYY" otherwise.

Logging: ftpd logs to syslog only; --log gets one line per connection from
the launcher ("accept PEER pid N", "exit pid N rc R") and ftpd's stderr.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemonlib  # noqa: E402


def ensure_user(name, password, home):
    import pwd
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "-M", "-d", home, "-s", "/bin/sh", name],
                       check=True, capture_output=True)
    subprocess.run(["usermod", "-d", home, "-s", "/bin/sh", name], check=True,
                   capture_output=True)
    subprocess.run(["chpasswd"], input="%s:%s\n" % (name, password),
                   text=True, check=True, capture_output=True)


def remove_user(name):
    subprocess.run(["userdel", name], capture_output=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    daemonlib.add_common_args(p)
    p.add_argument("--user", default="ftpfsinet")
    p.add_argument("--password", default="test")
    a = p.parse_args()
    if a.tls_cert:
        p.error("inetutils ftpd has no FTPS")
    a.root = os.path.realpath(a.root)
    t = daemonlib.tree("inetutils-ftpd")
    if t is None:
        print("inetftpd.py: inetutils ftpd is not unpacked in %s (run "
              "tests/servers/unpack.sh)" % daemonlib.daemons_dir(),
              file=sys.stderr)
        return 1
    if os.geteuid() != 0:
        print("inetftpd.py: ftpd must be started as root", file=sys.stderr)
        return 1
    binary = os.path.join(t, "usr", "sbin", "ftpd")
    try:
        ensure_user(a.user, a.password, a.root)
    except subprocess.CalledProcessError as e:
        print("inetftpd.py: cannot create user %s: %s" % (
            a.user, e.stderr), file=sys.stderr)
        return 1
    d = daemonlib.Daemon("inetutils-ftpd", a)
    log_path = a.log or os.path.join(d.tmp, "inetftpd.log")
    d.logs.append(log_path)
    log = open(log_path, "a", buffering=1)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        lsock.bind((a.host, a.port))
    except OSError as e:
        print("inetftpd.py: bind: %s" % e, file=sys.stderr)
        remove_user(a.user)
        return 1
    lsock.listen(64)
    port = lsock.getsockname()[1]
    sessions = []
    lock = threading.Lock()
    stopping = threading.Event()

    def on_signal(signum, frame):
        stopping.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def accept_loop():
        lsock.settimeout(0.2)
        while not stopping.is_set():
            try:
                conn, peer = lsock.accept()
            except socket.timeout:
                with lock:
                    for s in list(sessions):
                        if s.poll() is not None:
                            log.write("%.3f exit pid %d rc %s\n" % (
                                time.time(), s.pid, s.returncode))
                            sessions.remove(s)
                continue
            except OSError:
                break
            conn.setblocking(True)
            try:
                s = subprocess.Popen([binary, "-a", "default", "-u", "022"], stdin=conn,
                                     stdout=conn, stderr=log,
                                     start_new_session=True)
            except OSError as e:
                log.write("spawn failed: %s\n" % e)
                conn.close()
                continue
            conn.close()
            log.write("%.3f accept %s:%d pid %d\n" % (
                time.time(), peer[0], peer[1], s.pid))
            with lock:
                sessions.append(s)

    th = threading.Thread(target=accept_loop, daemon=True)
    th.start()
    rc = 0
    try:
        if not daemonlib.answers_220(a.host, port):
            print("inetftpd.py: ftpd does not answer 220:\n" + d.output(),
                  file=sys.stderr)
            rc = 1
        else:
            daemonlib.write_port_file(a.port_file, port)
            while not stopping.is_set():
                stopping.wait(0.2)
    finally:
        stopping.set()
        th.join(5)
        lsock.close()
        with lock:
            for s in sessions:
                for sig in (signal.SIGTERM, signal.SIGKILL):
                    try:
                        os.killpg(s.pid, sig)
                    except ProcessLookupError:
                        pass
                    try:
                        s.wait(3)
                        break
                    except subprocess.TimeoutExpired:
                        pass
        remove_user(a.user)
        log.close()
        d.cleanup()
    return rc


if __name__ == "__main__":
    sys.exit(main())
