#!/usr/bin/python3
"""Run Pure-FTPd 1.0.50 (Debian's pure-ftpd, unpacked by
tests/servers/unpack.sh, not installed) as a test FTP server.

    /usr/bin/python3 tests/servers/pureftpd.py --root DIR --port-file FILE \
        [--port 0] [--host 127.0.0.1] [--log FILE] [--keep-tmp] \
        [--user NAME --password PW] [--system-user nobody] \
        [--quota MAXFILES:MAXSIZE_MB] \
        [--tls-cert FILE [--tls-key FILE] [--tls-force] [--tls-implicit]]

Runs `pure-ftpd -S HOST,PORT -p 30000:65000 -l puredb:TMP/pureftpd.pdb -E
-H -A -u 1 ...` in the foreground (no -B) as root.  One virtual user,
--user (default "test") / --password (default "test"), written
with an MD5-crypt hash into a private passwd file, .pdb made by the
package's pure-pw mkdb, with
the uid/gid of --system-user (default nobody) and home = --root (virtual
users are chrooted to their home).  So --root must be writable by that user
for uploads.  Pure-FTPd always has MLSD/MLST (no switch to turn them off: a
"LIST" configuration is the client's -o disable_mlsd).  No anonymous
logins (-E), dot files shown (-D).

--quota MAXFILES:MAXSIZE_MB: -n, virtual quotas for the user (Pure-FTPd
keeps the count in ROOT/.ftpquota).  An upload that goes over is refused
(or cut, and the partial file deleted) with "552 Quota exceeded".

FTPS: --tls-cert FILE (cert and key, or --tls-key): -Y 1 (TLS accepted,
explicit AUTH TLS), --tls-force: -Y 2 (plain logins refused),
--tls-implicit: -Y 3 (implicit TLS).  The certificate is given with
-2 CERT,KEY (default would be /etc/ssl/private/pure-ftpd.pem).

Logging: Pure-FTPd logs to syslog only (there may be no syslog daemon);
-f none turns that off, transfers go to --log as an -O w3c: log (one line
per upload/download with the path and size); the daemon's stdout/stderr go
to TMP/pure-ftpd.out.
"""

import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemonlib  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    daemonlib.add_common_args(p)
    p.add_argument("--user", default="test")
    p.add_argument("--password", default="test")
    p.add_argument("--system-user", default="nobody")
    p.add_argument("--quota", metavar="MAXFILES:MAXSIZE_MB")
    a = p.parse_args()
    daemonlib.check_tls_args(p, a)
    t = daemonlib.tree("pure-ftpd")
    if t is None:
        print("pureftpd.py: Pure-FTPd is not unpacked in %s (run "
              "tests/servers/unpack.sh)" % daemonlib.daemons_dir(),
              file=sys.stderr)
        return 1
    if os.geteuid() != 0:
        print("pureftpd.py: pure-ftpd must be started as root", file=sys.stderr)
        return 1
    uid, gid = daemonlib.user_ids(a.system_user)
    d = daemonlib.Daemon("pure-ftpd", a)
    log = a.log or os.path.join(d.tmp, "pure-ftpd.log")
    d.logs.append(log)
    pwfile = os.path.join(d.tmp, "pureftpd.passwd")
    pdb = os.path.join(d.tmp, "pureftpd.pdb")
    env = dict(os.environ, PURE_PASSWDFILE=pwfile, PURE_DBFILE=pdb)
    # pure-pw useradd would hash with argon2id at t=255 (3 s per hash, and
    # as long for every login): write the passwd line with an MD5-crypt
    # hash (crypt(3) checks it) and let pure-pw mkdb make the .pdb
    with open(pwfile, "w") as f:
        f.write("%s:%s:%d:%d::%s/./::::::::::::\n" % (
            a.user, daemonlib.crypt_md5(a.password), uid, gid, a.root))
    os.chmod(pwfile, 0o600)
    r = subprocess.run([os.path.join(t, "usr", "bin", "pure-pw"), "mkdb",
                        pdb, "-f", pwfile], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, env=env)
    if r.returncode != 0 or not os.path.exists(pdb):
        print("pureftpd.py: pure-pw mkdb failed (%d): %s%s" % (
            r.returncode, r.stdout, r.stderr), file=sys.stderr)
        d.cleanup()
        return 1
    binary = os.path.join(t, "usr", "sbin", "pure-ftpd")

    def start(port):
        cmd = [binary, "-S", "%s,%d" % (a.host, port), "-p", "30000:65000",
               "-l", "puredb:" + pdb, "-E", "-H", "-A", "-D", "-u", "1",
               "-f", "none", "-O", "w3c:" + log, "-c", "100", "-C", str(a.max_per_host or 100),
               "-I", "600", "-g", os.path.join(d.tmp, "pure-ftpd.pid")]
        if a.quota:
            cmd += ["-n", a.quota]
        if a.tls_cert:
            cmd += ["-Y", "3" if a.tls_implicit else "2" if a.tls_force
                    else "1", "-2", "%s,%s" % (a.tls_cert, a.tls_key)]
        d.spawn(cmd)
        return d.wait_ready(port)

    return daemonlib.serve(d, start, a.port)


if __name__ == "__main__":
    sys.exit(main())
