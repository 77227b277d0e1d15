#!/usr/bin/python3
"""`ftpfs status`, `ftpfs flush` and SIGHUP on a running mount (issue 17).

    /usr/bin/python3 tests/integration/test_status.py [--only TEST,TEST]

Each mount runs with XDG_RUNTIME_DIR set to a private directory, where its
control socket appears (ftpfs/<name>-<hash>.sock, mode 0600).  An upload
throttled by the server (pyftpd.py --rate-bps) must show in `ftpfs status`
with its bytes while it runs; `--json` must parse and carry every field;
TLS (ProFTPD, explicit TLS) must show its version, cipher and how it was
verified; another user (setpriv --reuid=65534) must get nothing, even when
the socket's mode is opened up (SO_PEERCRED).  `ftpfs flush` and SIGHUP
must make a change made on the server visible at once although
cache_timeout=600 would hide it.  Exit 0 = all passed, 1 = a failure,
77 = skipped.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import HarnessError  # noqa: E402

R = harness.Runner(prefix="status")
MiB = 2 ** 20


class C:
    top = None
    run = None    # XDG_RUNTIME_DIR of the mounts


def env():
    e = dict(os.environ)
    e["XDG_RUNTIME_DIR"] = C.run
    return e


def ftpfs(*args, user=None, timeout=30):
    cmd = [harness.ftpfs_bin()] + list(args)
    if user is not None:
        cmd = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user,
               "--clear-groups"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, env=env(),
                          timeout=timeout)


def status(mp, json_=False):
    r = ftpfs("status", *(["--json"] if json_ else []), mp)
    if r.returncode != 0:
        raise HarnessError("ftpfs status: rc=%d %s" % (r.returncode, r.stderr))
    return json.loads(r.stdout) if json_ else r.stdout


def case(files=None):
    top = tempfile.mkdtemp(prefix="case-", dir=C.top)
    os.chmod(top, 0o755)
    root = os.path.join(top, "root")
    mp = os.path.join(top, "mnt")
    os.makedirs(root)
    os.makedirs(mp)
    os.chmod(root, 0o777)
    for name, data in (files or {}).items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
    return root, mp


@R.test
def upload_in_progress():
    """A throttled cp into the mount shows as an upload with bytes sent,
    growing, in the text and the JSON report."""
    root, mp = case()
    srv = harness.start_server("pyftpdlib", root, user="u", password="p",
                               rate_bps=3 * MiB)
    try:
        src = os.path.join(C.top, "big.src")
        with open(src, "wb") as f:
            f.write(os.urandom(24 * MiB))
        with harness.mount(srv.url(), mp, env={"XDG_RUNTIME_DIR": C.run}) as m:
            done = []
            t = threading.Thread(target=lambda: done.append(
                shutil.copyfile(src, m.path("big"))))
            t.start()
            seen = []
            text_seen = False
            deadline = time.time() + 30
            while t.is_alive() and time.time() < deadline:
                # the text report, then the JSON one: either may come
                # after the end of the upload, so each is judged alone
                text = status(mp)
                text_seen |= "uploads in progress: 1" in text and \
                    "writing /big " in text
                ups = status(mp, json_=True)["uploads"]
                if ups and ups[0]["sent"] > 0:
                    if ups[0]["path"] != "/big" or \
                            ".ftpfs-tmp-" not in ups[0]["temporary"]:
                        raise HarnessError("upload shown as %s" % ups[0])
                    seen.append(ups[0]["sent"])
                time.sleep(0.3)
            t.join(60)
            if not done:
                raise HarnessError("the copy did not finish")
            if not text_seen:
                raise HarnessError("no text report showed the upload")
            if len(seen) < 2 or seen[-1] <= seen[0]:
                raise HarnessError("upload bytes seen while copying: %s"
                                   % seen)
            j = status(mp, json_=True)
            if j["uploads"]:
                raise HarnessError("an upload still shown after the copy: "
                                   "%s" % j["uploads"])
            if j["bytes"]["sent"] < 24 * MiB:
                raise HarnessError("bytes sent %d < 24 MiB"
                                   % j["bytes"]["sent"])
        return "upload seen at %s bytes" % ", ".join(map(str, seen[:4]))
    finally:
        srv.stop()


@R.test
def answers_while_reading():
    """A read the server throttles holds a session: status answers at
    once meanwhile (it never waits for a session) and shows the read with
    its offset growing."""
    root, mp = case({"big": os.urandom(8 * MiB)})
    srv = harness.start_server("pyftpdlib", root, user="u", password="p",
                               rate_bps=512 * 1024)
    try:
        with harness.mount(srv.url(), mp, ["parallel_read=0"],
                           env={"XDG_RUNTIME_DIR": C.run}) as m:
            dd = subprocess.Popen(["dd", "if=" + m.path("big"), "of=/dev/null",
                                   "bs=64k"], stderr=subprocess.DEVNULL)
            offsets, slowest = [], 0.0
            try:
                deadline = time.time() + 10
                while time.time() < deadline and len(offsets) < 3:
                    t0 = time.time()
                    j = status(mp, json_=True)
                    slowest = max(slowest, time.time() - t0)
                    for s in j["sessions"]:
                        if s["state"] == "reading" and s["path"].endswith(
                                "/big") and (not offsets or
                                             s["offset"] > offsets[-1]):
                            offsets.append(s["offset"])
                    time.sleep(0.5)
            finally:
                dd.kill()
                dd.wait()
            if len(offsets) < 3:
                raise HarnessError("the read was not shown with a growing "
                                   "offset: %s" % offsets)
            if slowest > 3:
                raise HarnessError("a status answer took %.1f s" % slowest)
        return "offsets %s, slowest answer %.3f s" % (offsets, slowest)
    finally:
        srv.stop()


@R.test
def json_fields():
    root, mp = case({"a.txt": b"x" * 100})
    srv = harness.start_server("pyftpdlib", root, user="u", password="p")
    try:
        with harness.mount(srv.url(), mp, env={"XDG_RUNTIME_DIR": C.run}) as m:
            os.listdir(mp)
            with open(m.path("a.txt"), "rb") as f:
                f.read()
            os.stat(m.path("a.txt"))
            j = status(mp, json_=True)
            for k in ("mountpoint", "server", "uptime_s", "tls", "pool",
                      "sessions", "uploads", "cache", "bytes", "errors",
                      "reconnects", "quirks"):
                if k not in j:
                    raise HarnessError("no %r in %s" % (k, j))
            if j["mountpoint"] != os.path.realpath(mp) or \
                    "127.0.0.1:%d" % srv.port not in j["server"] or \
                    ":p@" in j["server"]:
                raise HarnessError("mount point / server: %s" % j)
            if j["tls"] is not None:
                raise HarnessError("TLS on a plain server: %s" % j["tls"])
            # the default of -o connections, as --help says it
            helptext = subprocess.run([harness.ftpfs_bin(), "--help"],
                                      capture_output=True, text=True)
            want = re.search(r"connections=N .*\(default (\d+)\)",
                             helptext.stdout + helptext.stderr)
            want = int(want.group(1)) if want else None
            if want is None or j["pool"]["asked"] != want or \
                    j["pool"]["limit"] != want:
                raise HarnessError("pool: %s, want asked = limit = %s "
                                   "(--help's default)" % (j["pool"], want))
            if not j["sessions"] or any(s["state"] not in (
                    "idle", "listing", "reading", "writing")
                    for s in j["sessions"]):
                raise HarnessError("sessions: %s" % j["sessions"])
            c = j["cache"]
            if c["hits"] < 1 or c["entries"] < 1 or not 0 < c["hit_rate"] <= 1:
                raise HarnessError("cache: %s" % c)
            if j["bytes"]["received"] < 100:
                raise HarnessError("bytes: %s" % j["bytes"])
    finally:
        srv.stop()


@R.test
def tls_shown():
    root, mp = case({"a.txt": b"x"})
    srv = harness.start_server("proftpd", root, tls="explicit")
    try:
        with harness.mount(srv.url(), mp, ["cafile=" + harness.self_signed_cert()],
                           env={"XDG_RUNTIME_DIR": C.run}):
            t = status(mp, json_=True)["tls"]
            if not t or not t["version"].startswith("TLSv1.") or \
                    not t["cipher"] or "cafile" not in t["verified"]:
                raise HarnessError("tls: %s" % t)
            if "TLS: %s, %s, verified by" % (t["version"], t["cipher"]) \
                    not in status(mp):
                raise HarnessError("text report: " + status(mp))
    finally:
        srv.stop()


@R.test
def other_user_refused():
    """uid 65534 gets no report: the socket's mode keeps it out, and with
    the mode opened up, SO_PEERCRED does."""
    root, mp = case({"a.txt": b"x"})
    srv = harness.start_server("pyftpdlib", root, user="u", password="p")
    try:
        with harness.mount(srv.url(), mp, env={"XDG_RUNTIME_DIR": C.run}):
            socks = [os.path.join(C.run, "ftpfs", n)
                     for n in os.listdir(os.path.join(C.run, "ftpfs"))]
            for s in socks:
                st = os.stat(s)
                if st.st_mode & 0o777 != 0o600 or st.st_uid != os.getuid():
                    raise HarnessError("%s: mode %o uid %d" % (
                        s, st.st_mode & 0o777, st.st_uid))
            r = ftpfs("status", mp, user=65534)
            if r.returncode == 0 or r.stdout or "server" in r.stderr:
                raise HarnessError("uid 65534: rc=%d out=%r err=%r"
                                   % (r.returncode, r.stdout, r.stderr))
            os.chmod(C.run, 0o711)
            os.chmod(os.path.join(C.run, "ftpfs"), 0o711)
            for s in socks:
                os.chmod(s, 0o666)
            try:
                r = ftpfs("status", "--json", mp, user=65534)
                if r.returncode == 0 or r.stdout or \
                        "only the user who mounted it" not in r.stderr:
                    raise HarnessError("uid 65534, socket 0666: rc=%d "
                                       "out=%r err=%r" % (
                                           r.returncode, r.stdout, r.stderr))
                r = ftpfs("flush", mp, user=65534)
                if r.returncode == 0:
                    raise HarnessError("uid 65534 could flush")
            finally:
                os.chmod(C.run, 0o700)
                os.chmod(os.path.join(C.run, "ftpfs"), 0o700)
                for s in socks:
                    os.chmod(s, 0o600)
            status(mp)                  # the owner still can
    finally:
        srv.stop()


def wait_for(fn, what, bound=5.0):
    """fn() true within bound seconds ("at once", not "after the TTL")."""
    deadline = time.time() + bound
    while time.time() < deadline:
        if fn():
            return
        time.sleep(0.1)
    raise HarnessError("%s: not within %.0f s" % (what, bound))


@R.test
def flush_and_sighup():
    root, mp = case({"a.txt": b"old"})
    srv = harness.start_server("pyftpdlib", root, user="u", password="p")
    try:
        with harness.mount(srv.url(), mp, ["cache_timeout=600"],
                           env={"XDG_RUNTIME_DIR": C.run}) as m:
            os.listdir(mp)
            os.stat(m.path("a.txt"))
            with open(os.path.join(root, "new1"), "w") as f:
                f.write("1")
            with open(os.path.join(root, "a.txt"), "w") as f:
                f.write("new and longer")
            time.sleep(1.5)             # past the kernel's 1 s
            if "new1" in os.listdir(mp):
                raise HarnessError("the cache does not hide a server-side "
                                   "change: this test proves nothing")
            if os.stat(m.path("a.txt")).st_size != 3:
                raise HarnessError("the cached size changed by itself")
            # one path: its attributes, at once (the kernel is told too)
            r = ftpfs("flush", mp, m.path("a.txt"))
            if r.returncode != 0:
                raise HarnessError("ftpfs flush PATH: %s" % r.stderr)
            if os.stat(m.path("a.txt")).st_size != 14:
                raise HarnessError("after flush PATH: size %d"
                                   % os.stat(m.path("a.txt")).st_size)
            with open(m.path("a.txt")) as f:
                if f.read() != "new and longer":
                    raise HarnessError("after flush PATH: old contents")
            r = ftpfs("flush", mp)
            if r.returncode != 0:
                raise HarnessError("ftpfs flush: %s" % r.stderr)
            if "new1" not in os.listdir(mp):
                raise HarnessError("after ftpfs flush: no new1")
            with open(os.path.join(root, "new2"), "w") as f:
                f.write("2")
            os.listdir(mp)
            if "new2" in os.listdir(mp):
                raise HarnessError("new2 shown before SIGHUP")
            os.kill(m.pid(), signal.SIGHUP)
            wait_for(lambda: "new2" in os.listdir(mp), "new2 after SIGHUP")
            if not m.alive() or not harness.is_fuse_mounted(mp):
                raise HarnessError("SIGHUP ended the mount")
            r = ftpfs("flush", mp, "/etc/passwd")
            if r.returncode == 0 or "not a path in" not in r.stderr:
                raise HarnessError("flush of a path outside: %r" % r.stderr)
    finally:
        srv.stop()


@R.test
def not_a_mount():
    d = tempfile.mkdtemp(dir=C.top)
    r = ftpfs("status", d)
    if r.returncode != 1 or "no ftpfs control socket" not in r.stderr:
        raise HarnessError("status of a plain directory: rc=%d %r"
                           % (r.returncode, r.stderr))
    r = ftpfs("status")
    if r.returncode != 1 or "usage" not in r.stderr:
        raise HarnessError("status without a mount point: %r" % r.stderr)


def setup(a, top):
    C.top = top
    C.run = os.path.join(C.top, "run")
    os.makedirs(C.run, mode=0o700)


if __name__ == "__main__":
    sys.exit(harness.main(
        R, "ftpfs-status-", setup=setup, needs=("pyftpdlib",),
        skip=lambda a: None if shutil.which("setpriv") else "setpriv missing"))
