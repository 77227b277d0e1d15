#!/usr/bin/python3
"""Self-checks for the test FTP servers (tests/servers/*.py), via ftplib.

    /usr/bin/python3 tests/servers/selftest.py [--only NAME[,NAME...]]
        [--sessions 16] [--ops 50]

Checks:
  mlsx       MLSD/MLST facts: pyftpdlib's stock unix.mode=0o644, or 0644
             with --fix-0o-mode; names with '; ' and ' 0o ' kept.
  stress     16 parallel pyftpdlib sessions x 50 LIST/MLSD/NLST/RETR each
             (passive data connections opened concurrently): zero failures.
  names      odd names (spaces, leading/trailing spaces, '#', '?', '%', '*',
             UTF-8, '-rf', 'a -> b') list (MLSD, NLST) and RETR byte-exact,
             on pyftpdlib and vsftpd.
  sparse     5 GiB sparse file: SIZE, MLST size, RETR with REST near the end
             (pyftpdlib and vsftpd).
  latency    --latency-ms delays every reply, and a passive data
             connection's first byte by one more round trip.
  rate       --rate-bps caps RETR and STOR throughput.
  maxcons    --max-cons N: connection N+1 gets 421, and after one closes a
             new one is accepted.
  auth       --user/--password has full perms, anonymous is read-only
             unless --writable.
  vsftpd     the vsftpd launcher: LIST/RETR via ftplib and curl, clean stop.
  stop       SIGTERM with sessions open: exit 0 quickly.

Prints "ok - name" / "not ok - name: why", then "N passed, N failed".
"""

import argparse
import ftplib
import hashlib
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"

ODD_NAMES = [
    "plain.txt", "with space.txt", "  two leading", "trailing ",
    "hash#name", "quest?ion", "per%25cent", "star*", "-rf", "a -> b",
    "ünïcødé ✓.txt", "Кириллица.txt", "中文文件名.txt", "mixed ü #?% *",
]


class Server:
    def __init__(self, kind, root, *extra):
        self.tmp = tempfile.mkdtemp(prefix="ftpsrv-")
        self.port_file = os.path.join(self.tmp, "port")
        self.log = os.path.join(self.tmp, "log")
        script = {"pyftpdlib": "pyftpd.py", "vsftpd": "vsftpd.py"}[kind]
        cmd = [PY, os.path.join(HERE, script), "--root", root,
               "--port-file", self.port_file] + list(extra)
        if kind == "pyftpdlib" and "--log" not in extra:
            cmd += ["--log", self.log]
        self.stderr = open(os.path.join(self.tmp, "stderr"), "w+")
        self.proc = subprocess.Popen(cmd, stderr=self.stderr)
        deadline = time.time() + 15
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None:
                err = self._err()
                shutil.rmtree(self.tmp, ignore_errors=True)
                raise RuntimeError("server died: rc=%s %s" % (
                    self.proc.returncode, err))
            if time.time() > deadline:
                self.proc.kill()
                self.proc.wait()
                shutil.rmtree(self.tmp, ignore_errors=True)
                raise RuntimeError("no port file after 15 s")
            time.sleep(0.05)
        with open(self.port_file) as f:
            self.port = int(f.read())

    def _err(self):
        self.stderr.seek(0)
        return self.stderr.read()[-2000:]

    def ftp(self, user="anonymous", passwd="x@y", timeout=30):
        f = ftplib.FTP(timeout=timeout, encoding="utf-8")
        f.connect("127.0.0.1", self.port)
        f.login(user, passwd)
        return f

    def stop(self, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("server did not stop in %d s" % timeout)
        err = self._err()
        shutil.rmtree(self.tmp, ignore_errors=True)
        if rc != 0:
            raise RuntimeError("server exit code %d: %s" % (rc, err))
        if "Traceback" in err:
            raise RuntimeError("server stderr has a traceback: %s" % err)
        return rc


def retr_bytes(ftp, path, rest=None, limit=None):
    buf = io.BytesIO()
    if limit is None:
        ftp.retrbinary("RETR " + path, buf.write, rest=rest)
        return buf.getvalue()
    # read only `limit` bytes, then abort the transfer
    ftp.voidcmd("TYPE I")
    conn = ftp.transfercmd("RETR " + path, rest)
    try:
        while buf.tell() < limit:
            chunk = conn.recv(min(65536, limit - buf.tell()))
            if not chunk:
                break
            buf.write(chunk)
    finally:
        conn.close()
    try:
        ftp.voidresp()
    except ftplib.error_temp:
        pass  # 426 after closing early is fine
    return buf.getvalue()


def make_names_tree(root):
    for i, n in enumerate(ODD_NAMES):
        with open(os.path.join(root, n), "wb") as f:
            f.write(("content %d of %r\n" % (i, n)).encode() * (i + 1))
    os.mkdir(os.path.join(root, "dir ü #?"))
    with open(os.path.join(root, "dir ü #?", " in ner "), "wb") as f:
        f.write(b"inner\n")


# --- checks ----------------------------------------------------------------

def check_stress(args):
    root = tempfile.mkdtemp(prefix="stress-")
    try:
        files = {}
        for i in range(8):
            data = os.urandom(1000 + i * 7919)
            name = "f%d.bin" % i
            with open(os.path.join(root, name), "wb") as f:
                f.write(data)
            files[name] = hashlib.sha256(data).hexdigest()
        for i in range(40):
            open(os.path.join(root, "e%02d" % i), "w").close()
        expect_names = set(os.listdir(root))
        srv = Server("pyftpdlib", root)
        failures = []
        counts = [0]
        lock = threading.Lock()

        def worker(k):
            try:
                ftp = srv.ftp()
                for j in range(args.ops):
                    op = (k + j) % 4
                    if op == 0:
                        lines = []
                        ftp.retrlines("LIST", lines.append)
                        if len(lines) != len(expect_names):
                            raise AssertionError("LIST gave %d lines" % len(lines))
                    elif op == 1:
                        names = {n for n, _ in ftp.mlsd()}
                        if names != expect_names:
                            raise AssertionError("MLSD names differ")
                    elif op == 2:
                        if set(ftp.nlst()) != expect_names:
                            raise AssertionError("NLST names differ")
                    else:
                        name = "f%d.bin" % ((k + j) % 8)
                        got = hashlib.sha256(retr_bytes(ftp, name)).hexdigest()
                        if got != files[name]:
                            raise AssertionError("RETR %s content differs" % name)
                    with lock:
                        counts[0] += 1
                ftp.quit()
            except Exception as e:
                with lock:
                    failures.append("session %d: %s: %s" % (k, type(e).__name__, e))

        t0 = time.time()
        threads = [threading.Thread(target=worker, args=(k,))
                   for k in range(args.sessions)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        dt = time.time() - t0
        srv.stop()
        if failures:
            raise AssertionError("%d failures, e.g. %s" % (len(failures), failures[:3]))
        want = args.sessions * args.ops
        if counts[0] != want:
            raise AssertionError("%d of %d ops done" % (counts[0], want))
        return "%d ops in %.1fs" % (want, dt)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _check_names_on(kind):
    root = tempfile.mkdtemp(prefix="names-")
    os.chmod(root, 0o755)
    try:
        make_names_tree(root)
        srv = Server(kind, root)
        try:
            ftp = srv.ftp()
            disk = set(os.listdir(root))
            nl = set(ftp.nlst())
            if nl != disk:
                raise AssertionError("%s NLST: missing %r extra %r" % (
                    kind, disk - nl, nl - disk))
            if kind == "pyftpdlib":
                ml = {n for n, _ in ftp.mlsd()}
                if ml != disk:
                    raise AssertionError("MLSD: missing %r extra %r" % (
                        disk - ml, ml - disk))
            for n in ODD_NAMES:
                with open(os.path.join(root, n), "rb") as f:
                    want = f.read()
                got = retr_bytes(ftp, n)
                if got != want:
                    raise AssertionError("%s RETR %r differs" % (kind, n))
                if ftp.size(n) != len(want):
                    raise AssertionError("%s SIZE %r" % (kind, n))
            inner = "dir ü #?/ in ner "
            if retr_bytes(ftp, inner) != b"inner\n":
                raise AssertionError("%s RETR %r differs" % (kind, inner))
            ftp.cwd("dir ü #?")
            if set(ftp.nlst()) != {" in ner "}:
                raise AssertionError("%s NLST in subdir: %r" % (kind, ftp.nlst()))
            ftp.quit()
        finally:
            srv.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def check_names(args):
    _check_names_on("pyftpdlib")
    if "vsftpd" in args.kinds:
        _check_names_on("vsftpd")


SPARSE_SIZE = 5 * 2 ** 30


def _check_sparse_on(kind):
    root = tempfile.mkdtemp(prefix="sparse-")
    os.chmod(root, 0o755)
    try:
        path = os.path.join(root, "sparse5g.bin")
        tail = os.urandom(4096)
        with open(path, "wb") as f:
            f.truncate(SPARSE_SIZE)
            f.seek(SPARSE_SIZE - len(tail))
            f.write(tail)
        srv = Server(kind, root)
        try:
            ftp = srv.ftp()
            ftp.voidcmd("TYPE I")
            if ftp.size("sparse5g.bin") != SPARSE_SIZE:
                raise AssertionError("SIZE %r" % ftp.size("sparse5g.bin"))
            if kind == "pyftpdlib":
                resp = ftp.sendcmd("MLST sparse5g.bin")
                if "size=%d;" % SPARSE_SIZE not in resp:
                    raise AssertionError("MLST: %r" % resp)
            got = retr_bytes(ftp, "sparse5g.bin", rest=SPARSE_SIZE - 4096)
            if got != tail:
                raise AssertionError("RETR REST end: %d bytes, equal=%s" % (
                    len(got), got == tail))
            got = retr_bytes(ftp, "sparse5g.bin", rest=SPARSE_SIZE - 5000,
                             limit=1000)
            if got != b"\0" * 904 + tail[:96]:
                raise AssertionError("RETR REST partial differs")
            got = retr_bytes(ftp, "sparse5g.bin", rest=2 ** 32 + 12345, limit=100)
            if got != b"\0" * 100:
                raise AssertionError("RETR REST >4GiB differs")
            ftp.quit()
        finally:
            srv.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def check_sparse(args):
    _check_sparse_on("pyftpdlib")
    if "vsftpd" in args.kinds:
        _check_sparse_on("vsftpd")


def check_latency(args):
    root = tempfile.mkdtemp(prefix="lat-")
    try:
        data = os.urandom(4096)
        with open(os.path.join(root, "f"), "wb") as f:
            f.write(data)
        srv = Server("pyftpdlib", root, "--latency-ms", "100")
        try:
            t0 = time.time()
            ftp = srv.ftp()            # 220, 331, 230
            t1 = time.time()
            for _ in range(5):
                ftp.voidcmd("NOOP")
            t2 = time.time()
            # TYPE I (1 RTT), PASV (1), the data connection's handshake
            # (1), RETR to its first byte (1); the 226 costs nothing more
            got = retr_bytes(ftp, "f", limit=len(data) + 1)
            t4 = time.time()
            ftp.quit()
        finally:
            srv.stop()
        if not (0.3 <= t1 - t0 < 1.0):
            raise AssertionError("login took %.3fs, want ~0.3" % (t1 - t0))
        if not (0.5 <= t2 - t1 < 1.2):
            raise AssertionError("5 NOOPs took %.3fs, want ~0.5" % (t2 - t1))
        if got != data:
            raise AssertionError("RETR content differs")
        if not (0.4 <= t4 - t2 < 0.8):
            raise AssertionError("TYPE I + PASV + RETR of 4 KiB took "
                                 "%.3fs, want ~0.4" % (t4 - t2))
        return "login %.2fs, 5xNOOP %.2fs, TYPE+PASV+RETR %.2fs" % (
            t1 - t0, t2 - t1, t4 - t2)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def check_rate(args):
    root = tempfile.mkdtemp(prefix="rate-")
    try:
        data = os.urandom(300000)
        with open(os.path.join(root, "f"), "wb") as f:
            f.write(data)
        srv = Server("pyftpdlib", root, "--rate-bps", "200000",
                     "--user", "u", "--password", "p")
        try:
            ftp = srv.ftp("u", "p")
            t0 = time.time()
            got = retr_bytes(ftp, "f")
            dt_get = time.time() - t0
            if got != data:
                raise AssertionError("RETR content differs")
            t0 = time.time()
            ftp.storbinary("STOR up", io.BytesIO(data))
            dt_put = time.time() - t0
            with open(os.path.join(root, "up"), "rb") as f:
                if f.read() != data:
                    raise AssertionError("STOR content differs")
            ftp.quit()
        finally:
            srv.stop()
        # 300 kB at 200 kB/s = 1.5 s; allow one buffer of slack.
        for what, dt in (("RETR", dt_get), ("STOR", dt_put)):
            if not (1.3 <= dt < 2.5):
                raise AssertionError("%s took %.2fs, want ~1.5" % (what, dt))
        return "RETR %.2fs, STOR %.2fs" % (dt_get, dt_put)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def check_maxcons(args):
    root = tempfile.mkdtemp(prefix="maxc-")
    try:
        srv = Server("pyftpdlib", root, "--max-cons", "3")
        try:
            conns = [srv.ftp() for _ in range(3)]
            try:
                srv.ftp()
            except ftplib.error_temp as e:
                if not str(e).startswith("421"):
                    raise
            else:
                raise AssertionError("4th connection accepted")
            conns.pop().quit()
            deadline = time.time() + 5
            while True:       # the server notices the QUIT asynchronously
                try:
                    conns.append(srv.ftp())
                    break
                except ftplib.error_temp:
                    if time.time() > deadline:
                        raise AssertionError("no slot freed after QUIT")
                    time.sleep(0.05)
            for c in conns:
                c.quit()
        finally:
            srv.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def check_auth(args):
    root = tempfile.mkdtemp(prefix="auth-")
    try:
        srv = Server("pyftpdlib", root, "--user", "bob", "--password", "pw",
                     "--anonymous")
        try:
            ftp = srv.ftp("bob", "pw")
            ftp.storbinary("STOR x", io.BytesIO(b"abc"))
            ftp.mkd("d")
            ftp.rename("x", "d/y")
            ftp.delete("d/y")
            ftp.rmd("d")
            ftp.quit()
            ftp = srv.ftp()
            try:
                ftp.storbinary("STOR x", io.BytesIO(b"abc"))
            except ftplib.error_perm as e:
                if not str(e).startswith("550"):
                    raise
            else:
                raise AssertionError("anonymous STOR allowed")
            ftp.quit()
            try:
                srv.ftp("bob", "wrong")
            except ftplib.error_perm:
                pass
            else:
                raise AssertionError("wrong password accepted")
        finally:
            srv.stop()
        srv = Server("pyftpdlib", root, "--anonymous", "--writable")
        try:
            ftp = srv.ftp()
            ftp.storbinary("STOR x", io.BytesIO(b"abc"))
            ftp.delete("x")
            ftp.quit()
        finally:
            srv.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def check_vsftpd(args):
    root = tempfile.mkdtemp(prefix="vsf-")
    os.chmod(root, 0o755)
    try:
        data = os.urandom(200000)
        with open(os.path.join(root, "f.bin"), "wb") as f:
            f.write(data)
        os.mkdir(os.path.join(root, "sub"))
        os.symlink("f.bin", os.path.join(root, "link"))
        srv = Server("vsftpd", root)
        try:
            ftp = srv.ftp()
            lines = []
            ftp.retrlines("LIST", lines.append)
            text = "\n".join(lines)
            if "f.bin" not in text or "sub" not in text or \
                    "link -> f.bin" not in text:
                raise AssertionError("LIST: %r" % text)
            if retr_bytes(ftp, "f.bin") != data:
                raise AssertionError("RETR differs")
            try:
                ftp.storbinary("STOR x", io.BytesIO(b"abc"))
            except ftplib.error_perm:
                pass
            else:
                raise AssertionError("anonymous STOR allowed")
            ftp.quit()
            url = "ftp://127.0.0.1:%d/" % srv.port
            out = subprocess.run(["curl", "-sS", url], capture_output=True)
            if out.returncode != 0 or b"f.bin" not in out.stdout:
                raise AssertionError("curl list: %r" % (out,))
            out = subprocess.run(["curl", "-sS", url + "f.bin"],
                                 capture_output=True)
            if out.returncode != 0 or out.stdout != data:
                raise AssertionError("curl download rc=%d len=%d" % (
                    out.returncode, len(out.stdout)))
            # several sessions at once
            errs = []

            def w():
                try:
                    c = srv.ftp()
                    for _ in range(10):
                        if retr_bytes(c, "f.bin") != data:
                            errs.append("differs")
                        c.nlst()
                    c.quit()
                except Exception as e:
                    errs.append(repr(e))
            ts = [threading.Thread(target=w) for _ in range(8)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            if errs:
                raise AssertionError("parallel: %r" % errs[:3])
        finally:
            srv.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def check_stop(args):
    root = tempfile.mkdtemp(prefix="stop-")
    os.chmod(root, 0o755)
    try:
        for kind in args.kinds:
            srv = Server(kind, root)
            conns = [srv.ftp() for _ in range(3)]
            t0 = time.time()
            srv.stop()
            if time.time() - t0 > 5:
                raise AssertionError("%s stop took %.1fs" % (kind, time.time() - t0))
            for c in conns:
                c.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def check_mlsx(args):
    root = tempfile.mkdtemp(prefix="mlsx-")
    try:
        with open(os.path.join(root, "f 0o x; y"), "wb") as f:
            f.write(b"abc")
        os.chmod(os.path.join(root, "f 0o x; y"), 0o640)
        for extra, want in ((("--fix-0o-mode",), "0640"), ((), "0o640")):
            srv = Server("pyftpdlib", root, *extra)
            try:
                ftp = srv.ftp()
                ftp.sendcmd("OPTS MLST type;size;modify;UNIX.mode;")
                facts = dict(ftp.mlsd())
                if set(facts) != {"f 0o x; y"}:
                    raise AssertionError("MLSD names %r" % list(facts))
                f = facts["f 0o x; y"]
                if f.get("unix.mode") != want or f.get("size") != "3" or \
                        f.get("type") != "file":
                    raise AssertionError("MLSD facts %r, want unix.mode=%s"
                                         % (f, want))
                resp = ftp.sendcmd("MLST f 0o x; y")
                if "unix.mode=%s;" % want not in resp:
                    raise AssertionError("MLST %r" % resp)
                ftp.quit()
            finally:
                srv.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


CHECKS = [("mlsx", check_mlsx), ("stress", check_stress), ("names", check_names),
          ("sparse", check_sparse), ("latency", check_latency),
          ("rate", check_rate), ("maxcons", check_maxcons),
          ("auth", check_auth), ("vsftpd", check_vsftpd),
          ("stop", check_stop)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--only")
    p.add_argument("--sessions", type=int, default=16)
    p.add_argument("--ops", type=int, default=50)
    args = p.parse_args()
    args.kinds = ["pyftpdlib"]
    if os.path.exists("/usr/sbin/vsftpd"):
        args.kinds.append("vsftpd")
    only = set(args.only.split(",")) if args.only else None
    passed = failed = 0
    for name, fn in CHECKS:
        if only and name not in only:
            continue
        if name == "vsftpd" and "vsftpd" not in args.kinds:
            print("ok - %s # SKIP no /usr/sbin/vsftpd" % name)
            continue
        try:
            note = fn(args)
        except Exception as e:
            failed += 1
            print("not ok - %s: %s: %s" % (name, type(e).__name__, e))
            if os.environ.get("VERBOSE"):
                traceback.print_exc()
        else:
            passed += 1
            print("ok - %s%s" % (name, " (%s)" % note if note else ""))
        sys.stdout.flush()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
