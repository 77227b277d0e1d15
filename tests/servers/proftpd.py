#!/usr/bin/python3
"""Run ProFTPD 1.3.8 (Debian's proftpd-core + proftpd-mod-crypto, unpacked by
tests/servers/unpack.sh, not installed) as a test FTP server.

    /usr/bin/python3 tests/servers/proftpd.py --root DIR --port-file FILE \
        [--port 0] [--host 127.0.0.1] [--log FILE] [--keep-tmp] \
        [--user NAME --password PW] [--system-user nobody] [--no-mlsd] \
        [--digest] \
        [--tls-cert FILE [--tls-key FILE] [--tls-force] [--tls-implicit]]

ServerType standalone, in the foreground (-n), SocketBindTight on, bound to
--host only, IPv4.  It must be started as root: the sessions setuid() to
--system-user (default nobody), so --root must be writable by that user for
uploads (the matrix test chowns its tree).  One virtual user, --user
(default "test") / --password (default "test"), from an AuthUserFile with an
MD5-crypt hash (AuthOrder mod_auth_file.c only: no PAM, no /etc/passwd
logins), uid/gid of --system-user, home = --root, DefaultRoot ~ (chroot).

Modules: the compiled-in ones (mod_facts: MLSD/MLST/MFMT; mod_site: SITE
CHMOD) plus mod_site_misc (SITE SYMLINK/UTIME/MKDIR/RMDIR) and, with
--tls-cert, mod_tls from the unpacked tree (ModulePath).
AllowOverwrite on, AllowStoreRestart on (REST + STOR), AllowRetrieveRestart,
PassivePorts 30000-65000, umask 022.

--digest: mod_digest from the unpacked tree (LoadModule mod_digest.c,
DigestEngine on, DigestCache off): FEAT lists "HASH
CRC32;MD5;SHA-1*;SHA-256;SHA-512;" and XCRC/XMD5/XSHA/XSHA1/XSHA256/XSHA512; off by default, so the matrix sees a
server without checksums as before.

--no-mlsd: FEAT does not advertise MLST (FactsAdvertise off) and
MLSD/MLST are refused ("550") so clients must use LIST.

FTPS (--tls-cert): TLSEngine on, TLSProtocol TLSv1.2 TLSv1.3 (OpenSSL 3
negotiates 1.3), TLS session reuse on data connections REQUIRED (the
default: no NoSessionReuseRequired option), explicit AUTH TLS unless
--tls-implicit (TLSOptions UseImplicitSSL); --tls-force: TLSRequired on
(control and data).  A data connection that does not resume the control
connection's session is refused with "425 Unable to build data connection:
Operation not permitted" and TLSLog gets "client did not reuse TLS session,
rejecting data connection".

Logs (all appended to --log, default TMP/proftpd.log): SystemLog, TLSLog
(TLSLog lines carry "mod_tls/..."), and an ExtendedLog with one line per
command: "<time> <pid> cmd=<COMMAND> arg=<args> -> <code> <reply text>".
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemonlib  # noqa: E402

CONFIG = """\
ServerName "ftpfs proftpd test"
ServerType standalone
ServerIdent on "ProFTPD test server ready."
DefaultServer on
UseIPv6 off
DefaultAddress {host}
SocketBindTight on
Port {port}
User {sysuser}
Group {sysgroup}
Umask 022
MaxInstances 100
{per_host}PidFile {tmp}/proftpd.pid
ScoreboardFile {tmp}/proftpd.scoreboard
WtmpLog off
UseReverseDNS off
UseLastlog off
RequireValidShell off
TimeoutIdle 600
TimeoutNoTransfer 600
PassivePorts 30000 65000
AllowOverwrite on
AllowStoreRestart on
AllowRetrieveRestart on
ListOptions "-a"
ShowSymlinks on
DeleteAbortedStores off
<IfModule mod_cap.c>
  CapabilitiesEngine off
</IfModule>
<IfModule mod_delay.c>
  DelayEngine off
</IfModule>
<IfModule mod_auth_pam.c>
  AuthPAM off
</IfModule>
<IfModule mod_ctrls.c>
  ControlsEngine off
</IfModule>
AuthOrder mod_auth_file.c
AuthUserFile {tmp}/passwd
AuthGroupFile {tmp}/group
DefaultRoot ~
SystemLog {log}
LogFormat cmds "%{{iso8601}} %P cmd=%m arg=%J -> %s %S"
ExtendedLog {log} ALL cmds
TransferLog {tmp}/xferlog
ModulePath {modpath}
{modules}
{mlsd}
{digest}
{tls}
"""

TLS = """\
<IfModule mod_tls.c>
  TLSEngine on
  TLSLog {log}
  TLSProtocol TLSv1.2 TLSv1.3
  TLSRSACertificateFile {cert}
  TLSRSACertificateKeyFile {key}
  TLSVerifyClient off
  TLSRenegotiate none
  TLSRequired {required}
  TLSOptions {options}
</IfModule>
"""

NO_MLSD = """\
FactsAdvertise off
<Limit MLSD MLST>
  DenyAll
</Limit>
"""


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    daemonlib.add_common_args(p)
    p.add_argument("--user", default="test")
    p.add_argument("--password", default="test")
    p.add_argument("--system-user", default="nobody",
                   help="the uid/gid the sessions run as")
    p.add_argument("--no-mlsd", action="store_true")
    p.add_argument("--digest", action="store_true",
                   help="load mod_digest: HASH, XCRC, XMD5, XSHA1, XSHA256")
    a = p.parse_args()
    daemonlib.check_tls_args(p, a)
    t = daemonlib.tree("proftpd")
    if t is None:
        print("proftpd.py: ProFTPD is not unpacked in %s (run "
              "tests/servers/unpack.sh)" % daemonlib.daemons_dir(),
              file=sys.stderr)
        return 1
    if os.geteuid() != 0:
        print("proftpd.py: proftpd must be started as root", file=sys.stderr)
        return 1
    uid, gid = daemonlib.user_ids(a.system_user)
    import grp
    sysgroup = grp.getgrgid(gid).gr_name
    d = daemonlib.Daemon("proftpd", a)
    log = a.log or os.path.join(d.tmp, "proftpd.log")
    d.logs.append(log)
    with open(os.path.join(d.tmp, "passwd"), "w") as f:
        f.write("%s:%s:%d:%d::%s:/bin/sh\n" % (
            a.user, daemonlib.crypt_md5(a.password), uid, gid, a.root))
    with open(os.path.join(d.tmp, "group"), "w") as f:
        f.write("%s:x:%d:\n" % (sysgroup, gid))
    for n in ("passwd", "group"):
        os.chmod(os.path.join(d.tmp, n), 0o600)
    modpath = os.path.join(t, "usr", "lib", "proftpd")
    modules = ["LoadModule mod_site_misc.c"]
    digest = ""
    if a.digest:
        modules.append("LoadModule mod_digest.c")
        # DigestCache off: its cache can answer for a file replaced
        # within the same second by one of the same size
        digest = ("<IfModule mod_digest.c>\n  DigestEngine on\n"
                  "  DigestCache off\n</IfModule>\n")
    tls = ""
    if a.tls_cert:
        modules.append("LoadModule mod_tls.c")
        opts = ["EnableDiags"]
        if a.tls_implicit:
            opts.append("UseImplicitSSL")
        tls = TLS.format(log=log, cert=a.tls_cert, key=a.tls_key,
                         required="on" if a.tls_force else "off",
                         options=" ".join(opts))
    binary = os.path.join(t, "usr", "sbin", "proftpd")

    def start(port):
        conf = os.path.join(d.tmp, "proftpd.conf")
        with open(conf, "w") as f:
            f.write(CONFIG.format(host=a.host, port=port, sysuser=a.system_user,
                                  sysgroup=sysgroup, tmp=d.tmp, log=log,
                                  modpath=modpath, modules="\n".join(
                                      "<IfModule !%s>\n%s\n</IfModule>" % (
                                          m.split()[1], m) for m in modules),
                                  mlsd=NO_MLSD if a.no_mlsd else "",
                                  digest=digest, tls=tls,
                                  per_host="MaxClientsPerHost %d\n" % a.max_per_host
                                  if a.max_per_host else ""))
        os.chmod(conf, 0o600)
        d.spawn([binary, "-n", "-q", "-c", conf])
        return d.wait_ready(port)

    return daemonlib.serve(d, start, a.port)


if __name__ == "__main__":
    sys.exit(main())
