"""The workloads over many files or requests, and the ftplib sessions
that are their raw side (class ManyFiles)."""

import concurrent.futures
import contextlib
import ftplib
import hashlib
import os
import ssl
import threading
import time

from .common import (BenchError, MiB, READ_SIZE, ReuseFTP_TLS, parallel,
                     timed)
from .report import fmt_secs
from .workloads import Workloads


class ManyFiles(Workloads):
    """The ftplib sessions (the raw side of the many-small-requests
    workloads) and the workloads over many files or requests: find + du,
    small files, random reads with ftplib, re-read, concurrent readers."""

    # -- ftplib: the raw side of the many-small-requests workloads ----------

    def ftp(self, server):
        """A logged-in ftplib session (binary mode); FTPS: explicit TLS,
        PROT P, data connections resume the control session's TLS session
        (vsftpd's require_ssl_reuse)."""
        if server.tls:
            ctx = ssl.create_default_context(cafile=server.cert)
            f = ReuseFTP_TLS(context=ctx, timeout=60)
            f.connect("127.0.0.1", server.port)
            f.login(server.user, server.password)
            f.prot_p()
        else:
            f = ftplib.FTP(timeout=60)
            f.connect("127.0.0.1", server.port)
            f.login(server.user, server.password)
        f.voidcmd("TYPE I")
        return f

    @staticmethod
    def ftp_get(f, cmd):
        """One transfer without ftplib's per-call TYPE command (the session
        stays in the type set once): PASV/EPSV + cmd, read all, 226."""
        conn, _ = f.ntransfercmd(cmd)
        chunks = []
        with conn:
            while True:
                b = conn.recv(65536)
                if not b:
                    break
                chunks.append(b)
            ManyFiles.tls_unwrap(conn)
        f.voidresp()
        return b"".join(chunks)

    @staticmethod
    def ftp_put(f, cmd, data):
        """One upload the same way: PASV/EPSV + cmd, send, close, 226."""
        conn, _ = f.ntransfercmd(cmd)
        with conn:
            conn.sendall(data)
            ManyFiles.tls_unwrap(conn)
        f.voidresp()

    @staticmethod
    def tls_unwrap(conn):
        """FTPS: close the data connection's TLS cleanly (close_notify)."""
        if isinstance(conn, ssl.SSLSocket):
            try:
                conn.unwrap()
            except (OSError, ValueError):
                pass

    @staticmethod
    def ftp_close(f):
        try:
            f.quit()
        except (OSError, EOFError, ftplib.Error):
            f.close()

    # -- find + du over tree/ ------------------------------------------------

    def tree_run(self, server, cell, via=None):
        """`find MNT/tree -type f | wc -l` then `du -s MNT/tree` on a fresh
        mount; the file count must be right."""
        what = "find+du, " + self.who(via)
        m = None
        try:
            m = self.mount(server, via)
            d = m.path("tree")
            with m.watchdog(self.tree_timeout + 30):
                t0 = time.perf_counter()
                r = timed(["sh", "-c", 'find "$1" -type f | wc -l', "sh", d],
                          capture=True, timeout=self.tree_timeout)
                why = r.why("find")
                if why:
                    raise BenchError(why)
                r2 = timed(["du", "-s", d], capture=True,
                           timeout=self.tree_timeout)
                t1 = time.perf_counter()
            why = r2.why("du -s")
            if why:
                raise BenchError(why)
            n = int(r.out.strip() or 0)
            if n != self.tree.tree_files:
                raise BenchError("find found %d files, want %d"
                                 % (n, self.tree.tree_files))
            cell.values.append(t1 - t0)
            cell.extra.append("du -s: %s KiB" % r2.out.split()[0].decode()
                              if r2.out.split() else "")
        except BenchError as e:
            cell.fail(str(e))
            self.problem(server, what, str(e), m.stderr() if m else "")
        finally:
            if m:
                self.unmount(m, server, what)

    def tree_raw(self, server, cell, top="tree"):
        """A serial walk over one ftplib session: connect, login, then MLSD
        (pyftpdlib) or LIST (vsftpd: no MLSD) of every directory under top,
        counting files and summing sizes (what find + du, or ls -lR,
        need)."""
        want_files, want_bytes = (self.tree.tree_files, self.tree.tree_bytes) \
            if top == "tree" else (self.tree.lsr_files, 0)
        t0 = time.perf_counter()
        try:
            f = self.ftp(server)
            f.voidcmd("TYPE A")         # once (ftplib would send it per list)
            files = size = 0
            todo = [top]
            mlsd = server.kind == "pyftpdlib"
            while todo:
                d = todo.pop()
                text = self.ftp_get(f, ("MLSD " if mlsd else "LIST ") + d)
                lines = text.decode("utf-8", "replace").splitlines()
                if mlsd:
                    for l in lines:
                        factstr, _, name = l.partition(" ")
                        facts = dict(x.split("=", 1) for x in
                                     factstr.rstrip(";").split(";")
                                     if "=" in x)
                        t = facts.get("type", "").lower()
                        if t == "dir":
                            todo.append(d + "/" + name)
                        elif t == "file":
                            files += 1
                            size += int(facts.get("size", 0))
                else:
                    for l in lines:
                        x = l.split(None, 8)
                        if len(x) < 9 or x[8] in (".", ".."):
                            continue
                        if l.startswith("d"):
                            todo.append(d + "/" + x[8])
                        elif l.startswith("-"):
                            files += 1
                            size += int(x[4])
            self.ftp_close(f)
        except (OSError, EOFError, ftplib.Error) as e:
            cell.fail("ftplib walk: %s" % e)
            return
        t1 = time.perf_counter()
        if files != want_files or size != want_bytes:
            cell.fail("ftplib walk found %d files / %d bytes, want %d / %d"
                      % (files, size, want_files, want_bytes))
            return
        cell.values.append(t1 - t0)

    # -- 1,000 small files, serially and in parallel ---------------------------

    def chunks(self, par):
        names = sorted(self.tree.small)
        return [names[i::par] for i in range(par)] if par > 1 else [names]

    def small_run(self, server, cell, par, via=None):
        """Fresh mount; open+read+close every small/ file by name (no ls
        first), in this process: serially, or split over `par` threads."""
        what = "small files x%d, %s" % (par, self.who(via))
        m = None
        try:
            m = self.mount(server, via)
            bad = []

            def work(names):
                for n in names:
                    try:
                        with open(m.path("small", n), "rb") as fh:
                            data = fh.read()
                    except OSError as e:
                        bad.append("%s: %s" % (n, e))
                        return
                    if data != self.tree.small[n]:
                        bad.append("%s: %d bytes, contents %s" % (
                            n, len(data), "differ" if len(data) == len(
                                self.tree.small[n]) else "wrong size"))
                        return

            with m.watchdog(self.small_timeout + 30):
                t0 = time.perf_counter()
                parallel(work, self.chunks(par))
                t1 = time.perf_counter()
            if bad:
                raise BenchError(bad[0])
            cell.values.append(t1 - t0)
        except BenchError as e:
            cell.fail(str(e))
            self.problem(server, what, str(e), m.stderr() if m else "")
        finally:
            if m:
                self.unmount(m, server, what)

    def small_raw(self, server, cell, par):
        """ftplib: `par` sessions (connect + login each, in its thread),
        each RETRs its share of the files one after the other."""
        bad = []

        def work(names):
            try:
                f = self.ftp(server)
                for n in names:
                    if self.ftp_get(f, "RETR small/" + n) != \
                            self.tree.small[n]:
                        bad.append("RETR small/%s: wrong contents" % n)
                        break
                self.ftp_close(f)
            except (OSError, EOFError, ftplib.Error) as e:
                bad.append("ftplib: %s" % e)

        t0 = time.perf_counter()
        parallel(work, self.chunks(par))
        t1 = time.perf_counter()
        if bad:
            cell.fail(bad[0])
            return
        cell.values.append(t1 - t0)

    # -- random reads, raw with ftplib --------------------------------------

    def rnd_ftplib(self, server, cell, n):
        """One ftplib session: per read REST+RETR, read 4 KiB, close the
        data connection (abort), read the 226/426."""
        got = []
        t0 = time.perf_counter()
        try:
            f = self.ftp(server)
            for off in self.offsets[:n]:
                conn, _ = f.ntransfercmd("RETR big", rest=off)
                buf = b""
                while len(buf) < READ_SIZE:
                    b = conn.recv(READ_SIZE - len(buf))
                    if not b:
                        break
                    buf += b
                conn.close()
                try:
                    f.voidresp()
                except ftplib.error_temp:
                    pass            # 426: we closed the data connection
                got.append(buf)
            self.ftp_close(f)
        except (OSError, EOFError, ftplib.Error) as e:
            cell.fail("ftplib read %d: %s" % (len(got), e))
            return
        t1 = time.perf_counter()
        bad = self.check_reads(got, "ftplib")
        if bad:
            cell.fail(bad)
            return
        cell.values.append(t1 - t0)

    # -- re-read of an unchanged file -------------------------------------------

    def reread_run(self, server, cell, via=None):
        """`cat big` twice in one mount; the 2nd is timed; the RETR
        commands and bytes it cost are read from the server's log."""
        what = "re-read, " + self.who(via)
        m = None
        mark = None
        try:
            m = self.mount(server, via)
            with m.watchdog(2 * self.cat_timeout + 30):
                r1 = timed(["cat", m.path("big")], timeout=self.cat_timeout)
                why = r1.why("1st cat")
                if why:
                    raise BenchError(why)
                time.sleep(0.2)         # let the log settle
                mark = os.path.getsize(server.log_path)
                r2 = timed(["cat", m.path("big")], timeout=self.cat_timeout)
            why = r2.why("2nd cat")
            if why:
                raise BenchError(why)
        except (BenchError, OSError) as e:
            cell.fail(str(e))
            self.problem(server, what, str(e), m.stderr() if m else "")
            return
        finally:
            if m:
                self.unmount(m, server, what)
        time.sleep(0.3)                 # transfers closed by the unmount
        retrs = nbytes = 0
        with open(server.log_path, "rb") as fl:
            fl.seek(mark)
            for line in fl.read().decode("utf-8", "replace").splitlines():
                if "<- RETR " in line:
                    retrs += 1
                elif " RETR " in line and " bytes=" in line:
                    try:
                        nbytes += int(line.split(" bytes=")[1].split()[0])
                    except (ValueError, IndexError):
                        pass
        cell.values.append(r2.secs)
        cell.extra.append("1st cat %s; 2nd: %d RETR, %d bytes" % (
            fmt_secs(r1.secs), retrs, nbytes))
        cell.transfers = getattr(cell, "transfers", []) + [(retrs, nbytes)]

    # -- concurrent readers of different files ------------------------------

    @contextlib.contextmanager
    def measuring(self, server, cell, what, via=None):
        """A fresh mount (self.mount) for one measurement, yielded; a
        BenchError inside fails the cell and goes to Problems with the
        mount's stderr; always unmounted."""
        m = None
        try:
            m = self.mount(server, via)
            yield m
        except BenchError as e:
            cell.fail(str(e))
            self.problem(server, what, str(e), m.stderr() if m else "")
        finally:
            if m:
                self.unmount(m, server, what)

    def many_run(self, server, cell, via=None, verify=False):
        """Fresh mount; one thread per many/ file, all started together,
        each open + read to EOF (1 MiB reads); timed until the last is
        done; the longest wait for a first byte goes to cell.first_byte.
        The byte count of every file is checked; verify (untimed, ftpfs
        only, once per server): its sha256 too."""
        what = "%d readers, %s%s" % (len(self.tree.many), self.who(via),
                                     " (verify)" if verify else "")
        with self.measuring(server, cell, what, via) as m:
            bad = []
            first = {}
            go = threading.Event()
            t0 = [0.0]

            def work(name):
                go.wait()
                h = hashlib.sha256() if verify else None
                n = 0
                try:
                    with open(m.path("many", name), "rb",
                              buffering=0) as fh:
                        while True:
                            b = fh.read(MiB)
                            if not b:
                                break
                            if not n:
                                first[name] = time.perf_counter() - t0[0]
                            n += len(b)
                            if h:
                                h.update(b)
                except OSError as e:
                    bad.append("%s: %s" % (name, e))
                    return
                if n != self.tree.many_size:
                    bad.append("%s: %d bytes, want %d" % (
                        name, n, self.tree.many_size))
                elif h and h.hexdigest() != self.tree.many[name]:
                    bad.append("%s: sha256 differs from the file on disk"
                               % name)

            names = sorted(self.tree.many)
            # short: rclone with --ftp-concurrency 4 was seen to hang with
            # more readers than connections
            total = len(names) * self.tree.many_size // MiB
            with m.watchdog(max(60, total // 10)):
                with concurrent.futures.ThreadPoolExecutor(len(names)) as ex:
                    futs = [ex.submit(work, n) for n in names]
                    time.sleep(0.05)        # every thread at go.wait()
                    t0[0] = time.perf_counter()
                    go.set()
                    for f in futs:
                        f.result()
                    t1 = time.perf_counter()
            if bad:
                raise BenchError(bad[0])
            if not verify:
                cell.values.append(t1 - t0[0])
                fb = max(first.values()) if first else None
                cell.first_byte = getattr(cell, "first_byte", []) + [fb]
                cell.extra.append("longest wait for a first byte %s" %
                                  (fmt_secs(fb) if fb is not None else "–"))

    def many_raw(self, server, cell):
        """One stream: one ftplib session (connect + login, TYPE I once),
        then PASV + RETR of each many/ file in turn, read in 1 MiB
        recv_into calls (every size checked).  Not one curl with every
        URL: curl 7.88 reusing its connection stalled ~1 s per file against
        pyftpdlib here."""
        names = sorted(self.tree.many)
        buf = bytearray(MiB)
        try:
            t0 = time.perf_counter()
            f = self.ftp(server)
            for n in names:
                conn, _ = f.ntransfercmd("RETR many/" + n)
                got = 0
                with conn:
                    while True:
                        k = conn.recv_into(buf)
                        if not k:
                            break
                        got += k
                    ManyFiles.tls_unwrap(conn)
                f.voidresp()
                if got != self.tree.many_size:
                    cell.fail("ftplib RETR many/%s: %d bytes, want %d" % (
                        n, got, self.tree.many_size))
                    return
            self.ftp_close(f)
            cell.values.append(time.perf_counter() - t0)
        except (OSError, EOFError, ftplib.Error) as e:
            cell.fail("ftplib: %s" % e)
