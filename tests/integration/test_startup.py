#!/usr/bin/python3
"""ftpfs start-up: URL forms, credentials, and one-line errors.

    /usr/bin/python3 tests/integration/test_startup.py

Every start-up failure must print one line on stderr and exit 1, before
daemonising, and leave nothing mounted. A password given in the URL must not
be visible in /proc/PID/cmdline. IPv6 literals in brackets work.
"""
import errno
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

R = harness.Runner(prefix="startup")


class C:
    top = None
    root = None
    mp = None
    server = None  # pyftpdlib with user bob / password "s3cr:t@x"


USER, PASSWORD = "bob", "s3cr:t@x"
QPASS = "s3cr%3At%40x"


def ftpfs(args, timeout=30, env=None):
    """Run ftpfs in the background mode (no -f); returns CompletedProcess."""
    return subprocess.run([harness.ftpfs_bin()] + args, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          env=env)


def expect_fail(args, words, env=None):
    r = ftpfs(args, env=env)
    err = r.stderr.strip()
    if r.returncode != 1:
        raise AssertionError("exit %d (want 1) for %s: %r" % (r.returncode,
                                                             args, err))
    if harness.is_fuse_mounted(C.mp):
        subprocess.run(["fusermount3", "-u", C.mp])
        raise AssertionError("mounted although it failed: %s" % args)
    lines = [l for l in err.split("\n") if l]
    if len(lines) != 1:
        raise AssertionError("want one line of error, got %r" % err)
    for w in words:
        if w.lower() not in err.lower():
            raise AssertionError("error %r lacks %r" % (err, w))
    if PASSWORD in err or QPASS in err:
        raise AssertionError("password in error: %r" % err)
    return err


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@R.test
def bad_url():
    expect_fail(["http://127.0.0.1/", C.mp], ["invalid URL"])
    expect_fail(["ftp://127.0.0.1:99999/", C.mp], ["port"])
    expect_fail(["ftp://127.0.0.1/a%0d%0aDELE%20x", C.mp], ["invalid URL"])


@R.test
def refused():
    expect_fail(["ftp://127.0.0.1:%d/" % free_port(), C.mp], ["refused"])


@R.test
def unknown_host():
    expect_fail(["ftp://no-such-host.invalid/", C.mp], ["unknown host"])


@R.test
def wrong_password():
    url = "ftp://%s:wrong@127.0.0.1:%d/" % (USER, C.server.port)
    expect_fail([url, C.mp], ["login", USER])


@R.test
def missing_path():
    url = "ftp://%s:%s@127.0.0.1:%d/no/such/dir" % (USER, QPASS, C.server.port)
    expect_fail([url, C.mp], ["no/such/dir"])


@R.test
def not_ftp():
    # a TCP server that talks something else
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    import threading

    def serve():
        c, _ = s.accept()
        c.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
        c.recv(100)
        c.close()
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        expect_fail(["ftp://127.0.0.1:%d/" % port, C.mp], [])
    finally:
        s.close()


@R.test
def password_hidden_and_subdir():
    url = "ftp://%s:%s@127.0.0.1:%d/sub%%20dir" % (USER, QPASS, C.server.port)
    with harness.mount(url, C.mp) as m:
        with open(os.path.join(C.mp, "inner.txt")) as f:
            if f.read() != "inner\n":
                raise AssertionError("wrong content via sub dir mount")
        with open("/proc/%d/cmdline" % m.pid(), "rb") as f:
            cmdline = f.read()
        if PASSWORD.encode() in cmdline or QPASS.encode() in cmdline:
            raise AssertionError("password visible in cmdline: %r" % cmdline)
        # the password is cut out, not starred: its length shows nowhere
        if b"bob@127.0.0.1" not in cmdline or b"*" in cmdline:
            raise AssertionError("URL not shown without its password: %r"
                                 % cmdline)
        if len(cmdline.rstrip(b" \0")) != len(cmdline.split(b"\0")[0]):
            raise AssertionError("cmdline has more than one string: %r"
                                 % cmdline)
        m.unmount()


@R.test
def netrc_credentials():
    netrc = os.path.join(C.top, "netrc")
    with open(netrc, "w") as f:
        f.write("machine 127.0.0.1\n login %s\n password %s\n" % (USER, PASSWORD))
    os.chmod(netrc, 0o600)
    url = "ftp://127.0.0.1:%d/" % C.server.port
    with harness.mount(url, C.mp, ["netrc=" + netrc]) as m:
        if "top.txt" not in os.listdir(C.mp):
            raise AssertionError("listing via netrc login: %r" % os.listdir(C.mp))
        m.unmount()
    # HOME's .netrc is the default
    home = os.path.join(C.top, "home")
    os.makedirs(home, exist_ok=True)
    os.replace(netrc, os.path.join(home, ".netrc"))
    env = dict(os.environ, HOME=home)
    with harness.mount(url, C.mp, env=env) as m:
        if "top.txt" not in os.listdir(C.mp):
            raise AssertionError("listing via ~/.netrc login")
        m.unmount()
    expect_fail([url, C.mp, "-o", "netrc=" + os.path.join(C.top, "none")],
                ["no entry"])


@R.test
def credentials_file_and_stdin():
    cred = os.path.join(C.top, "cred")
    with open(cred, "w") as f:
        f.write("# ftpfs credentials\nuser=%s\npassword=%s\n" % (USER, PASSWORD))
    os.chmod(cred, 0o644)
    url = "ftp://127.0.0.1:%d/" % C.server.port
    expect_fail([url, C.mp, "-o", "credentials=" + cred], ["readable by others"])
    os.chmod(cred, 0o600)
    with harness.mount(url, C.mp, ["credentials=" + cred]) as m:
        if "top.txt" not in os.listdir(C.mp):
            raise AssertionError("listing via credentials file")
        m.unmount()
    # password on stdin (ftpfs goes to the background after reading it)
    r = subprocess.run([harness.ftpfs_bin(), "ftp://%s@127.0.0.1:%d/" % (
        USER, C.server.port), C.mp, "-o", "password_stdin"],
        input=PASSWORD + "\n", capture_output=True, text=True, timeout=30)
    try:
        if r.returncode != 0:
            raise AssertionError("password_stdin: exit %d %r" % (
                r.returncode, r.stderr))
        if "top.txt" not in os.listdir(C.mp):
            raise AssertionError("listing via password_stdin")
    finally:
        if harness.is_fuse_mounted(C.mp):
            subprocess.run(["fusermount3", "-u", C.mp], check=True)


def run_on_pty(args, answer, timeout=30):
    """Run ftpfs with a pseudo-terminal as stdin/stdout/stderr; when it
    prints a prompt, check that echo is off, type answer. Returns (exit
    status, everything the terminal showed)."""
    import pty
    import select
    import termios
    master, slave = pty.openpty()
    p = subprocess.Popen([harness.ftpfs_bin()] + args, stdin=slave,
                         stdout=slave, stderr=slave, close_fds=True,
                         start_new_session=True)
    os.close(slave)
    shown, typed, echo_was = b"", False, None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break  # the slave side is closed: ftpfs is gone
                if not chunk:
                    break
                shown += chunk
            if not typed and b"assword" in shown:
                echo_was = bool(termios.tcgetattr(master)[3] & termios.ECHO)
                os.write(master, answer.encode() + b"\n")
                typed = True
            if p.poll() is not None and not r:
                break
        rc = p.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)
    if not typed:
        raise AssertionError("no password prompt: %r" % shown)
    if echo_was:
        raise AssertionError("echo was on while asking for the password")
    return rc, shown.decode(errors="replace")


@R.test
def password_prompt_at_terminal():
    """ftp://user@host with no password, at a terminal: asked without echo
    (as sshfs and curlftpfs did); -o password_stdin at a terminal too."""
    url = "ftp://%s@127.0.0.1:%d/" % (USER, C.server.port)
    for extra in ([], ["-o", "password_stdin"]):
        rc, shown = run_on_pty([url, C.mp] + extra, PASSWORD)
        try:
            if rc != 0:
                raise AssertionError("exit %d after the prompt: %r" % (rc, shown))
            if PASSWORD in shown:
                raise AssertionError("the password was echoed: %r" % shown)
            if "%s@127.0.0.1" % USER not in shown:
                raise AssertionError("prompt does not name user@host: %r"
                                     % shown)
            if "top.txt" not in os.listdir(C.mp):
                raise AssertionError("not logged in after the prompt")
        finally:
            if harness.is_fuse_mounted(C.mp):
                subprocess.run(["fusermount3", "-u", C.mp], check=True)
    # a wrong password typed: the usual one-line login error
    rc, shown = run_on_pty([url, C.mp], "wrong")
    if rc != 1 or "wrong" in shown or harness.is_fuse_mounted(C.mp):
        raise AssertionError("wrong typed password: exit %d %r" % (rc, shown))


@R.test
def fstab_mount():
    """mount -T FSTAB MOUNTPOINT through mount.fuse3 (type fuse.ftpfs), with
    fstab-only words, and mount -f (fake) doing nothing."""
    import shutil
    if not shutil.which("mount") or not os.path.exists("/sbin/mount.fuse3"):
        return "skipped: no mount.fuse3"
    bindir = os.path.join(C.top, "bin")
    os.makedirs(bindir, exist_ok=True)
    link = os.path.join(bindir, "ftpfs")
    if not os.path.exists(link):
        os.symlink(os.path.abspath(harness.ftpfs_bin()), link)
    fstab = os.path.join(C.top, "fstab")
    url = "ftp://%s:%s@127.0.0.1:%d/sub%%20dir" % (USER, QPASS, C.server.port)
    # mount(8) runs helpers with a fixed PATH, so name the (uninstalled)
    # binary in the old "PROGRAM#SOURCE" form of type fuse; installed, the
    # line would read "URL MNT fuse.ftpfs ..." (packaging/fstab.example)
    with open(fstab, "w") as f:
        f.write("%s#%s %s fuse _netdev,noauto,nofail,cache_timeout=5 0 0\n"
                % (link, url, C.mp))
    env = dict(os.environ)
    r = subprocess.run(["mount", "-T", fstab, C.mp], env=env,
                       capture_output=True, text=True, timeout=60)
    try:
        if r.returncode != 0:
            raise AssertionError("mount -T: exit %d %r" % (r.returncode,
                                                          r.stderr))
        if not harness.is_fuse_mounted(C.mp):
            raise AssertionError("mount -T returned 0 but nothing is mounted")
        with open(os.path.join(C.mp, "inner.txt")) as f:
            if f.read() != "inner\n":
                raise AssertionError("wrong content via fstab mount")
    finally:
        if harness.is_fuse_mounted(C.mp):
            subprocess.run(["umount", C.mp], check=True, timeout=30)
    # mount -f (fake) through the helper name: nothing happens
    helper = os.path.join(bindir, "mount.fuse.ftpfs")
    if not os.path.exists(helper):
        os.symlink(os.path.abspath(harness.ftpfs_bin()), helper)
    r = subprocess.run([helper, url, C.mp, "-f", "-v", "-o", "ro"],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0 or harness.is_fuse_mounted(C.mp):
        raise AssertionError("mount -f via helper: exit %d, mounted %s" % (
            r.returncode, harness.is_fuse_mounted(C.mp)))


@R.test
def atime_words_and_remount():
    """mount(8)'s access-time words (fstab, mount -o) are accepted, through
    the mount.fuse.ftpfs helper as mount(8) runs it; -o remount is refused
    with a line that says a FUSE mount cannot take new options."""
    bindir = os.path.join(C.top, "bin")
    os.makedirs(bindir, exist_ok=True)
    helper = os.path.join(bindir, "mount.fuse.ftpfs")
    if not os.path.exists(helper):
        os.symlink(os.path.abspath(harness.ftpfs_bin()), helper)
    url = "ftp://%s:%s@127.0.0.1:%d/sub%%20dir" % (USER, QPASS, C.server.port)
    words = "rw,relatime,noatime,nodiratime,strictatime,diratime,atime," \
        "nostrictatime,norelatime,lazytime,_netdev"
    r = subprocess.run([helper, url, C.mp, "-o", words], capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)
    try:
        if r.returncode != 0 or not harness.is_fuse_mounted(C.mp):
            raise AssertionError("-o %s: exit %d, %r" % (words, r.returncode,
                                                         r.stderr.strip()))
        with open(os.path.join(C.mp, "inner.txt")) as f:
            if f.read() != "inner\n":
                raise AssertionError("wrong content with the atime words")
    finally:
        if harness.is_fuse_mounted(C.mp):
            subprocess.run(["fusermount3", "-u", C.mp], check=True,
                           timeout=30)
    err = expect_fail([url, C.mp, "-o", "remount,ro"], ["remount", "unmount"])
    if "unknown option" in err:
        raise AssertionError("remount reported as unknown: %r" % err)


@R.test
def server_time_zone():
    """LIST times in the server's zone (UTC+2 here; MDTM is UTC): found
    by comparing the two, or set with -o server_tz=."""
    f = os.path.join(C.root, "tz.txt")
    with open(f, "w") as fh:
        fh.write("tz\n")
    t = int(time.time()) - 3 * 86400
    t -= t % 60
    os.utime(f, (t, t))
    srv = harness.start_server("pyftpdlib", C.root, anonymous=True,
                               list_tz_offset=7200)
    try:
        url = "ftp://127.0.0.1:%d/" % srv.port
        for opts, want in ((["disable_mlsd"], t),
                           (["disable_mlsd", "server_tz=+02:00"], t),
                           (["disable_mlsd", "server_tz=UTC"], t + 7200)):
            with harness.mount(url, C.mp, opts) as m:
                got = int(os.stat(os.path.join(C.mp, "tz.txt")).st_mtime)
                m.unmount()
            if got != want:
                raise AssertionError("%s: mtime %d, want %d (disk %d)" % (
                    opts, got, want, t))
    finally:
        srv.stop()
        os.unlink(f)


@R.test
def codepage_cp1251():
    """A server tree with CP1251 names, mounted with -o codepage=CP1251:
    UTF-8 names through the mount, CP1251 bytes on the server, both ways."""
    top = os.path.join(C.top, "cp").encode()
    os.makedirs(top)
    name = "Привет мир.txt".encode("cp1251")
    sub = "Папка".encode("cp1251")
    with open(os.path.join(top, name), "wb") as f:
        f.write(b"cp1251 file\n")
    os.makedirs(os.path.join(top, sub))
    srv = harness.start_server("pyftpdlib", top.decode(), user="cp",
                               password="cp")
    try:
        url = "ftp://cp:cp@127.0.0.1:%d/" % srv.port
        with harness.mount(url, C.mp, ["codepage=CP1251"]) as m:
            names = sorted(os.listdir(C.mp))
            if names != ["Папка", "Привет мир.txt"]:
                raise AssertionError("names through the mount: %r" % names)
            with open(os.path.join(C.mp, "Привет мир.txt"), "rb") as f:
                if f.read() != b"cp1251 file\n":
                    raise AssertionError("content")
            with open(os.path.join(C.mp, "Папка", "Новый файл.txt"), "w") as f:
                f.write("новый\n")
            m.unmount()
        got = os.listdir(os.path.join(top, sub))
        if got != ["Новый файл.txt".encode("cp1251")]:
            raise AssertionError("names on the server: %r" % got)
    finally:
        srv.stop()


@R.test
def curlftpfs_style():
    """An old curlftpfs command line: host without a scheme, user=NAME:PASS,
    connect_timeout=, skip_pasv_ip, disable_epsv."""
    src = "127.0.0.1:%d/sub%%20dir" % C.server.port
    opts = ["user=%s:%s" % (USER, PASSWORD), "connect_timeout=10",
            "skip_pasv_ip", "disable_epsv",
            # what ftpfs always does: accepted
            "ssl_try", "enable_epsv", "tcp_nodelay", "utf8",
            "transform_symlinks", "disable_eprt"]
    with harness.mount(src, C.mp, opts) as m:
        with open(os.path.join(C.mp, "inner.txt")) as f:
            if f.read() != "inner\n":
                raise AssertionError("wrong content")
        with open("/proc/%d/cmdline" % m.pid(), "rb") as f:
            if PASSWORD.encode() in f.read():
                raise AssertionError("password visible in cmdline")
        m.unmount()


@R.test
def curlftpfs_only_options():
    """curlftpfs options ftpfs does not take: refused, saying what to use
    instead (or that nothing does), not FUSE's "unknown option"."""
    url = "ftp://127.0.0.1:%d/" % C.server.port
    for opt, words in (("custom_list=LIST -la", ["custom_list", "disable_mlsd"]),
                       ("ftpfs_debug", ["ftp_trace"]),
                       ("proxy_ntlm", ["proxy_ntlm", "Basic"]),
                       ("capath=/etc/ssl/certs", ["cafile"]),
                       ("ipv6", ["ipv6", "address"])):
        expect_fail([url, C.mp, "-o", opt], ["curlftpfs option"] + words)


@R.test
def allow_other_checks_modes():
    """allow_other alone: other local users act on the server with our
    login, so the kernel checks the modes they see (default_permissions);
    -o no_default_permissions opts out."""
    if os.geteuid() != 0:
        return "skipped: needs root (allow_other without user_allow_other)"
    url = "ftp://%s:%s@127.0.0.1:%d/" % (USER, QPASS, C.server.port)

    def as_nobody(code):
        return subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             "/usr/bin/python3", "-c", code], capture_output=True, text=True,
            timeout=30)
    write = ("import os\ntry:\n    open(%r, 'a').write('x')\n"
             "    print('WROTE')\nexcept OSError as e:\n    print(e.errno)")
    read = "print(open(%r).read(), end='')"
    for opts, may_write in ((["allow_other"], False),
                            (["allow_other", "no_default_permissions"], True)):
        with harness.mount(url, C.mp, opts) as m:
            r = as_nobody(read % m.path("top.txt"))
            if r.stdout != "top\n":
                raise AssertionError("%s: another user cannot read: %r %r"
                                     % (opts, r.stdout, r.stderr))
            r = as_nobody(write % m.path("nobody-was-here"))
            wrote = "WROTE" in r.stdout
            if wrote != may_write:
                raise AssertionError("%s: another user %s create a file (%r)"
                                     % (opts, "could" if wrote else "could not",
                                        r.stdout + r.stderr))
            if not may_write and r.stdout.strip() != str(errno.EACCES):
                raise AssertionError("refused with %r, want EACCES" % r.stdout)
            m.unmount()
        made = os.path.join(C.root, "nobody-was-here")
        if os.path.exists(made) != may_write:
            raise AssertionError("%s: on the server: %s" % (opts, os.path.exists(made)))
        if os.path.exists(made):
            os.unlink(made)


@R.test
def mountpoint_warnings():
    """Mounting over files, or over a mount, hides them: ftpfs says so and
    mounts. A mount point whose daemon died gets the command to clear it."""
    url = "ftp://%s:%s@127.0.0.1:%d/" % (USER, QPASS, C.server.port)
    full = os.path.join(C.top, "full")
    os.makedirs(full, exist_ok=True)
    with open(os.path.join(full, "mine"), "w") as f:
        f.write("x")
    mounted = []
    try:
        for warning in ("not empty", "already a mount point"):
            r = ftpfs([url, full])
            if r.returncode != 0:
                raise AssertionError("exit %d: %r" % (r.returncode, r.stderr))
            mounted.append(full)
            if warning not in r.stderr:
                raise AssertionError("no warning %r: %r" % (warning, r.stderr))
        # the daemon of the top mount killed: ENOTCONN
        pid = int(subprocess.run(["pgrep", "-n", "-f", "ftpfs .* %s$" % full],
                                 capture_output=True, text=True).stdout or 0)
        if pid:
            os.kill(pid, 9)
            time.sleep(0.5)
            r = ftpfs([url, full])
            if "fusermount3 -u" not in r.stderr:
                raise AssertionError("no hint for a dead mount: %r" % r.stderr)
    finally:
        for mp in mounted:
            subprocess.run(["fusermount3", "-u", "-z", mp])
    if os.listdir(full) != ["mine"]:
        raise AssertionError("left over: %r" % os.listdir(full))


@R.test
def copy_within_mount_few_connections():
    """cp and cat > within one mount with 1 and 2 sessions: the writer
    must not keep the session the reader needs (no deadlock)."""
    src = os.path.join(C.root, "src.bin")
    data = os.urandom(3 * 2**20 + 7)
    with open(src, "wb") as f:
        f.write(data)
    url = "ftp://%s:%s@127.0.0.1:%d/" % (USER, QPASS, C.server.port)
    try:
        for n in (1, 2):
            with harness.mount(url, C.mp, ["connections=%d" % n]) as m:
                harness.check_run(["cp", os.path.join(C.mp, "src.bin"),
                                   os.path.join(C.mp, "copy.bin")],
                                  timeout=60)
                harness.check_run(["sh", "-c", 'cat "$1/src.bin" > "$1/cat.bin"',
                                   "sh", C.mp], timeout=60)
                m.unmount()
            for name in ("copy.bin", "cat.bin"):
                with open(os.path.join(C.root, name), "rb") as f:
                    if f.read() != data:
                        raise AssertionError("connections=%d: %s differs"
                                             % (n, name))
                os.unlink(os.path.join(C.root, name))
    finally:
        os.unlink(src)


@R.test
def trace_names_sessions():
    """-o ftp_trace: every dialogue line names its session ([S<n>]), so
    two transfers at once can be told apart; the password never shows."""
    for i in range(2):
        with open(os.path.join(C.root, "t%d.bin" % i), "wb") as f:
            f.write(os.urandom(2**20))
    url = "ftp://%s:%s@127.0.0.1:%d/" % (USER, QPASS, C.server.port)
    try:
        with harness.mount(url, C.mp, ["ftp_trace", "connections=3"]) as m:
            # two reads interleaved: each keeps its own transfer going
            fs = [open(os.path.join(C.mp, "t%d.bin" % i), "rb", buffering=0)
                  for i in range(2)]
            try:
                for _ in range(4):
                    for f in fs:
                        f.read(65536)
            finally:
                for f in fs:
                    f.close()
            err = m.stderr(10 ** 6)
            m.unmount()
    finally:
        for i in range(2):
            os.unlink(os.path.join(C.root, "t%d.bin" % i))
    import re
    lines = [ln for ln in err.splitlines() if re.search(r"\] [<>] ", ln)]
    ids = set()
    for ln in lines:
        mm = re.search(r"\[S(\d+)\] [<>] ", ln)
        if not mm:
            raise AssertionError("trace line without a session id: %r" % ln)
        ids.add(mm.group(1))
    retr = {re.search(r"\[S(\d+)\]", ln).group(1)
            for ln in lines if "> RETR " in ln}
    if len(retr) < 2:
        raise AssertionError("two parallel reads on sessions %s; trace:\n%s"
                             % (sorted(retr), "\n".join(lines[-30:])))
    if PASSWORD in err or QPASS in err:
        raise AssertionError("the password shows in the trace")
    if not any("> PASS ****" in ln for ln in lines):
        raise AssertionError("no redacted PASS line in the trace")


@R.test
def ipv6_literal():
    if not socket.has_ipv6:
        return "no IPv6"
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
    except OSError:
        return "skipped: no ::1"
    srv = harness.start_server("pyftpdlib", C.root, host="::1", anonymous=True)
    try:
        with harness.mount("ftp://[::1]:%d/" % srv.port, C.mp) as m:
            with open(os.path.join(C.mp, "top.txt")) as f:
                if f.read() != "top\n":
                    raise AssertionError("wrong content over IPv6")
            m.unmount()
    finally:
        srv.stop()


@R.test
def help_and_version():
    r = ftpfs(["--version"])
    if r.returncode != 0 or "ftpfs" not in r.stdout:
        raise AssertionError("--version: %d %r" % (r.returncode, r.stdout))
    r = ftpfs(["--help"])
    if r.returncode != 0 or "connections=" not in r.stdout:
        raise AssertionError("--help: %d %r" % (r.returncode, r.stdout[:200]))
    r = ftpfs([])
    if r.returncode == 0 or "usage" not in r.stderr:
        raise AssertionError("no args: %d %r" % (r.returncode, r.stderr))


def setup(a, top):
    C.top = top
    C.root = os.path.join(C.top, "tree")
    os.makedirs(os.path.join(C.root, "sub dir"))
    with open(os.path.join(C.root, "top.txt"), "w") as f:
        f.write("top\n")
    with open(os.path.join(C.root, "sub dir", "inner.txt"), "w") as f:
        f.write("inner\n")
    C.mp = os.path.join(C.top, "mnt")
    os.mkdir(C.mp)
    C.server = None
    C.server = harness.start_server("pyftpdlib", C.root, user=USER,
                                    password=PASSWORD)


if __name__ == "__main__":
    sys.exit(harness.main(
        R, "ftpfs-start-", setup=setup, needs=("pyftpdlib",),
        final=lambda a: harness.clean_exit_steps(
            servers=[("server_clean_exit", C.server)])))
