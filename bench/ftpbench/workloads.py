"""The rows and cells of the table, the -o ftp_trace analysis of the
cp -r rows, and the workloads on one file or directory (class
Workloads)."""

import ftplib
import hashlib
import os
import random
import re
import shutil
import statistics
import subprocess
import time

from .common import (BenchError, MiB, READ_SIZE, WRITE_DIR, one_line,
                     timed)
from .report import fmt_secs, wants
from .servers import CeilingMount, Mount, RcloneMount, rclone_mode, side_of


# --- bookkeeping -----------------------------------------------------------

class Cell:
    """The values of one side (ftpfs, raw or rclone) of one row, over the
    runs."""

    def __init__(self):
        self.values = []
        self.failed = None          # reason, if any run failed
        self.extra = []             # per-run notes for the details section
        self.pretransfer = []       # FTPS raw: curl's time_pretransfer, s
        self.skipped = None         # reason it was not measured (any more)

    def fail(self, reason):
        if self.failed is None:
            self.failed = one_line(reason)

    def median(self):
        return statistics.median(self.values) if self.values else None

    def live(self):
        return self.failed is None and self.skipped is None


class Row:
    def __init__(self, server, key, title, unit, size=None, goal=None):
        self.server = server
        self.key = key
        self.title = title
        self.unit = unit            # "s" or "MiB" (RSS)
        self.size = size            # bytes moved per run: cell shows MiB/s
        self.goal = goal            # (kind, value), see goal_text()
        self.ftpfs = Cell()
        self.raw = Cell()
        self.rclone = Cell()        # rclone, --ftp-concurrency 4
        self.rclone_def = Cell()    # rclone at its default connections
        self.ceiling = Cell()       # bench/ceiling (plain sections)
        self.alts = []              # [(name, Cell)]: raw = the fastest
        self.rclone_mode = "off"    # --vfs-cache-mode of the rclone column
        self.note = ""

    def add_alt(self, name):
        c = Cell()
        self.alts.append((name, c))
        return c

    def pick_raw(self):
        """Rows with several raw methods: raw = the one with the lowest
        median (of those that did not fail)."""
        if not self.alts:
            return None
        ok = [(c.median(), n, c) for n, c in self.alts
              if c.failed is None and c.values]
        if not ok:
            self.raw = self.alts[0][1]
            return self.alts[0][0]
        ok.sort(key=lambda x: x[0])
        self.raw = ok[0][2]
        return ok[0][1]


# --- -o ftp_trace analysis (the cp -r rows) -------------------------------

TRACE_RE = re.compile(r"\[S(\d+)\] ([<>]) (\S+)(?: (.*))?$")


def trace_events(text):
    """(session, '>' or '<', verb or reply code, argument or text) for
    every command sent and reply read in ftpfs's -o ftp_trace output."""
    out = []
    for line in text.splitlines():
        m = TRACE_RE.search(line)
        if m:
            out.append((m.group(1), m.group(2), m.group(3),
                        (m.group(4) or "").strip()))
    return out


def trace_stats(text, dest, names):
    """What ftpfs sent while `cp -r` made `dest` (server path) with the
    files `names`: listings of dest (MLSD/MLSx/NLST of it, or LIST while
    the session's working directory is dest), commands per file, and the
    command sequence of the middle file, grouped by round trip (commands
    sent together, with no reply read between them, share one)."""
    ev = trace_events(text)
    cwd, pending = {}, {}
    listings = 0
    first = None
    for i, (sess, d, verb, arg) in enumerate(ev):
        if d == "<":
            if sess in pending:
                x = pending.pop(sess)
                cwd[sess] = x if verb[:1] == "2" else None
            continue
        if first is None and arg.rstrip("/") == dest:
            first = i
        v = verb.upper()
        if v == "CWD":
            pending[sess] = arg.rstrip("/")
        elif v in ("MLSD", "NLST", "LIST"):
            a = arg if not arg.startswith("-") else ""
            target = a.rstrip("/") if a else cwd.get(sess)
            if target == dest:
                listings += 1

    def last(name):
        end = None
        for i, (sess, d, verb, arg) in enumerate(ev):
            if d == ">" and arg.endswith("/" + name):
                end = i
        return end

    k = len(names) // 2
    lo = last(names[k - 1]) if k >= 1 else None
    hi = last(names[k])
    groups, cur = [], []
    if lo is not None and hi is not None and lo < hi:
        for sess, d, verb, arg in ev[lo + 1:hi + 1]:
            if d == ">":
                cur.append(verb.upper())
            elif cur:
                groups.append(cur)
                cur = []
        if cur:
            groups.append(cur)
    end = last(names[-1])
    sent = [e for e in ev[first:end + 1] if e[1] == ">"] \
        if first is not None and end is not None else []
    counts = {}
    for e in sent:
        counts[e[2].upper()] = counts.get(e[2].upper(), 0) + 1
    return {"listings": listings, "file": names[k],
            "per_file": len(sent) / float(len(names)),
            "counts": ", ".join("%s %d" % (v, n) for v, n in sorted(
                counts.items(), key=lambda x: (-x[1], x[0]))),
            "seq": ", ".join("+".join(g) for g in groups),
            "rtts": len(groups)}


class Workloads:
    """The mounts, the bookkeeping and the workloads on one file or one
    directory: ls, cat (+ RSS), random reads, cp of a file, cp -r."""

    def __init__(self, a, tree, area=None):
        self.a = a
        self.tree = tree
        self.area = area            # WriteArea, or None (no writes, no TLS)
        self.rows = []
        self.problems = []          # (server, workload, text, stderr)
        self.skipped = []
        self.tls_info = None        # what curl negotiated with vsftpd FTPS
        self.ceiling_info = None    # the ceiling's init line (its stderr)
        self.section_times = []
        rng = random.Random(a.seed)
        self.offsets = [rng.randrange(0, tree.size - READ_SIZE + 1)
                        for _ in range(max(a.reads, a.tls_reads))]
        self.expected = tree.expected(self.offsets)
        self.env = dict(os.environ, LC_ALL="C")
        self.cat_timeout = max(120, tree.size // MiB)   # >= 1 MiB/s
        self.rnd_timeout = max(120, max(a.reads, a.tls_reads) *
                               (1 + a.latency_ms / 10.0))
        self.write_timeout = max(120, a.write_mib)      # >= 1 MiB/s
        self.small_timeout = max(120, len(tree.small) *
                                 (0.05 + a.latency_ms / 5.0))
        self.tree_timeout = max(120, (tree.tree_files + tree.tree_dirs) *
                                (0.05 + a.latency_ms / 5.0))

    def want(self, *keys):
        return wants(self.a, *keys)

    def row(self, server, key, title, unit, size=None, goal=None):
        r = Row(server, key, title, unit, size, goal)
        self.rows.append(r)
        return r

    def mount(self, server, via=None, opts=""):
        """via None: ftpfs (opts: more -o options); "off" / "writes":
        rclone with that --vfs-cache-mode."""
        if hasattr(server, "set_mark"):
            server.set_mark()
        if via == "ceiling":
            m = CeilingMount(self.a.ceiling_run, server.root)
        elif via:
            m = RcloneMount(server, rclone_mode(via), via.endswith(":def"))
        else:
            opts = ",".join(o for o in (server.mount_opts, self.a.ftpfs_opts,
                                        opts) if o)
            m = Mount(self.a.ftpfs_run, server.url, opts)
        m.nprob = len(self.problems)
        return m

    def unmount(self, m, server, what):
        m.cleanup()
        quiet = len(self.problems) == getattr(m, "nprob", -1)
        for p in m.problems:
            self.problem(server, what, p, m.err_text)
        if m.name == "ceiling" and not self.ceiling_info:
            for l in m.err_text.splitlines():
                if l.startswith("ceiling: "):
                    self.ceiling_info = l[len("ceiling: "):].strip()
        # a workload that passed, but ftpfs reported errors on the way
        if m.name != "ftpfs":
            return
        errs = [l for l in m.err_text.splitlines() if "error:" in l]
        if quiet and not m.problems and errs:
            self.problem(server, what, "passed, but ftpfs logged %d error "
                         "line%s (first ones below)" % (
                             len(errs), "" if len(errs) == 1 else "s"),
                         "\n".join(errs[:4]), hint=False)

    def problem(self, server, what, text, stderr="", hint=True):
        stderr = stderr.strip()[-1500:]
        hint = server.log_hint() if hint else ""
        if hint:
            stderr = (stderr + "\n" + hint).strip()
        self.problems.append((server.label, what, one_line(text, 500),
                              stderr))

    @staticmethod
    def who(via):
        if via == "ceiling" or not via:
            return via or "ftpfs"
        return "rclone (--vfs-cache-mode %s, %s)" % (
            rclone_mode(via), "its default connections"
            if via.endswith(":def") else "4 connections")

    def others(self, mode, ceil=True):
        """The mounts measured next to ftpfs, in turn: (via, Row attribute)
        for the ceiling (ceil: the plain sections), rclone at its default
        connection count and rclone with 4; mode: rclone's
        --vfs-cache-mode."""
        out = []
        if ceil and self.a.ceiling:
            out.append(("ceiling", "ceiling"))
        if self.a.rclone:
            out += [(mode + ":def", "rclone_def"), (mode, "rclone")]
        return out

    # -- workload 1: ls -l ------------------------------------------------

    @staticmethod
    def count_lsr(out):
        """Entries in `ls -lR` output: the lines of files and directories
        (not the "DIR:" headers, "total" lines or blank lines)."""
        return len([l for l in out.decode("utf-8", "replace").splitlines()
                    if l[:1] in ("-", "d", "l")])

    def count_ls(self, out):
        lines = [l for l in out.decode("utf-8", "replace").splitlines()
                 if l and not l.startswith("total ")]
        return len(lines)

    def ls_run(self, server, cold, warm, via=None, recursive=False):
        """`ls -l MNT/dir` (recursive: `ls -lR MNT/lsr`) twice on a fresh
        mount, the entry count checked each time."""
        flag = "-lR" if recursive else "-l"
        what = "ls %s, %s" % (flag, self.who(via))
        want = self.tree.lsr_dirs - 1 + self.tree.lsr_files if recursive \
            else self.tree.entries
        m = None
        try:
            m = self.mount(server, via)
            d = m.path("lsr" if recursive else "dir")
            with m.watchdog(600):
                for cell in (cold, warm):
                    r = timed(["ls", flag, d], capture=True, timeout=580,
                              env=self.env)
                    why = r.why("ls " + flag)
                    if why:
                        raise BenchError(why)
                    n = self.count_lsr(r.out) if recursive else \
                        self.count_ls(r.out)
                    if n != want:
                        raise BenchError("ls %s listed %d entries, want %d"
                                         % (flag, n, want))
                    cell.values.append(r.secs)
        except BenchError as e:
            cold.fail(str(e))
            warm.fail(str(e))
            self.problem(server, what, str(e), m.stderr() if m else "")
        finally:
            if m:
                self.unmount(m, server, what)

    def ls_raw(self, server, cell):
        r = timed(["curl", "-sS", server.url + "dir/"], capture=True,
                  timeout=120)
        why = r.why("curl LIST")
        if why:
            cell.fail(why)
            return
        n = len([l for l in r.out.splitlines() if l.strip()])
        if n != self.tree.entries:
            cell.fail("curl LIST gave %d lines, want %d"
                      % (n, self.tree.entries))
            return
        cell.values.append(r.secs)

    # -- workload 2+3: cat, peak RSS ---------------------------------------

    def cat_verify(self, server, via=None, name="big", size=None,
                   sha=None):
        """Once per server: `cat` through a fresh mount, byte count and
        sha256 against the file on disk.  Returns a failure reason or None."""
        size = self.tree.size if size is None else size
        sha = sha or self.tree.sha256
        m = None
        try:
            m = self.mount(server, via)
            with m.watchdog(self.cat_timeout + 60):
                t0 = time.perf_counter()
                p = subprocess.Popen(["cat", m.path(name)],
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
                h = hashlib.sha256()
                n = 0
                while True:
                    b = p.stdout.read(MiB)
                    if not b:
                        break
                    h.update(b)
                    n += len(b)
                err = p.stderr.read().decode("utf-8", "replace")
                p.wait()
                self.last_verify_secs = time.perf_counter() - t0
            if p.returncode != 0:
                return "cat exit %d after %d bytes: %s" % (
                    p.returncode, n, one_line(err, 200))
            if n != size:
                return "cat gave %d bytes, want %d" % (n, size)
            if h.hexdigest() != sha:
                return "cat: %d bytes but sha256 differs from the file on " \
                       "disk" % n
            return None
        except BenchError as e:
            return str(e)
        finally:
            if m:
                self.unmount(m, server, "cat (verify), " + self.who(via))

    def cat_run(self, server, cell, rss, via=None, name="big", size=None):
        what = "cat, " + self.who(via)
        size = self.tree.size if size is None else size
        m = None
        try:
            m = self.mount(server, via)
            base = m.vm_hwm_kib()
            with m.watchdog(self.cat_timeout + 30):
                r = timed(["cat", m.path(name)], timeout=self.cat_timeout)
            why = r.why("cat")
            if why:
                raise BenchError(why)
            hwm = m.vm_hwm_kib()
            cell.values.append(r.secs)
            if rss is None:
                pass
            elif hwm is not None:
                rss.values.append(hwm / 1024.0)
                rss.extra.append("%.1f MiB after mount" % (base / 1024.0)
                                 if base else "")
            else:
                rss.fail("could not read VmHWM of ftpfs (pid %d)"
                         % m.proc.pid)
        except BenchError as e:
            cell.fail(str(e))
            if rss is not None:
                rss.fail(str(e))
            self.problem(server, what, str(e), m.stderr() if m else "")
        finally:
            if m:
                self.unmount(m, server, what)

    def cat_raw(self, server, cell, rss, name="big", size=None):
        size = self.tree.size if size is None else size
        fmt = "%{size_download}"
        if server.curl_args:
            fmt += " %{time_pretransfer}"
        r = timed(["curl", "-sS"] + server.curl_args +
                  ["-o", "/dev/null", "-w", fmt,
                   server.curl_url + name], capture=True,
                  timeout=self.cat_timeout)
        why = r.why("curl RETR")
        if why:
            cell.fail(why)
            if rss is not None:
                rss.fail(why)
            return
        fields = r.out.decode().split()
        got = int(float(fields[0])) if fields else 0
        if got != size:
            cell.fail("curl got %d bytes, want %d" % (got, size))
            if rss is not None:
                rss.fail(cell.failed)
            return
        cell.values.append(r.secs)
        if len(fields) > 1:
            cell.pretransfer.append(float(fields[1]))
        if rss is not None:
            rss.values.append(r.maxrss_kib / 1024.0)

    # -- workload 4: random reads -------------------------------------------

    def check_reads(self, got, who):
        for i, (off, g, want) in enumerate(zip(self.offsets, got,
                                               self.expected)):
            if g != want:
                if len(g) != len(want):
                    return "%s read %d (offset %d): %d bytes, want %d" % (
                        who, i, off, len(g), len(want))
                return "%s read %d (offset %d): %d bytes but contents " \
                       "differ from the file on disk" % (who, i, off, len(g))
        return None

    def rnd_run(self, server, cell, n, via=None):
        """The first n of self.offsets (the same every run)."""
        what = "random reads, " + self.who(via)
        m = None
        fd = None
        try:
            m = self.mount(server, via)
            got = []
            with m.watchdog(self.rnd_timeout):
                try:
                    t0 = time.perf_counter()
                    fd = os.open(m.path("big"), os.O_RDONLY)
                    for off in self.offsets[:n]:
                        got.append(os.pread(fd, READ_SIZE, off))
                    os.close(fd)
                    fd = None
                    t1 = time.perf_counter()
                except OSError as e:
                    raise BenchError("read %d (offset %d): %s" % (
                        len(got), self.offsets[len(got)] if
                        len(got) < len(self.offsets) else -1, e))
            bad = self.check_reads(got, "pread")
            if bad:
                raise BenchError(bad)
            cell.values.append(t1 - t0)
        except BenchError as e:
            cell.fail(str(e))
            self.problem(server, what, str(e), m.stderr() if m else "")
        finally:
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
            if m:
                self.unmount(m, server, what)

    def rnd_raw(self, server, cell, n):
        got = []
        pre = 0.0
        # FTPS: curl's time_pretransfer goes to stderr (stdout is the data)
        wfmt = ["-w", "%{stderr}\npretransfer=%{time_pretransfer}\n"] \
            if server.curl_args else []
        t0 = time.perf_counter()
        for off in self.offsets[:n]:
            r = timed(["curl", "-sS"] + server.curl_args + wfmt +
                      ["-r", "%d-%d" % (off, off + READ_SIZE - 1),
                       server.curl_url + "big"], capture=True, timeout=60)
            why = r.why("curl -r %d-%d" % (off, off + READ_SIZE - 1))
            if why:
                cell.fail(why)
                return
            got.append(r.out)
            for line in r.err.splitlines():
                if line.startswith("pretransfer="):
                    pre += float(line.split("=", 1)[1])
        t1 = time.perf_counter()
        bad = self.check_reads(got, "curl -r")
        if bad:
            cell.fail(bad)
            return
        cell.values.append(t1 - t0)
        if wfmt:
            cell.pretransfer.append(pre)

    # -- workload 5: write (cp into the mount vs curl -T) ----------------------

    def cp_run(self, server, cell, via, what, cmd, dest, files, timeout,
               check, trace=False):
        """`cmd MNT/pub/DEST` (a cp) through a fresh mount, timed until cp
        has returned: close() is done, so check() must find the data on
        the server's disk right then.  rclone (via="writes") uploads from
        its cache after close(): its time runs until every (path, size) in
        files is complete on the server's disk.  trace: an untimed run
        with -o ftp_trace; returns the daemon's whole stderr."""
        m = None
        text = None
        try:
            m = self.mount(server, via, "ftp_trace" if trace else "")
            t0 = time.perf_counter()
            with m.watchdog(timeout + 30):
                r = timed(cmd + [m.path(WRITE_DIR, dest)], timeout=timeout)
            prog = " ".join(x for x in cmd if x == "cp" or x.startswith("-"))
            why = r.why(prog)
            if why:
                raise BenchError(why)
            secs = r.secs
            if rclone_mode(via):
                self.wait_uploaded(m, files, timeout)
                secs = time.perf_counter() - t0
                cell.extra.append("%s returned after %s" % (
                    prog, fmt_secs(r.secs)))
            bad = check()
            if bad:
                raise BenchError(bad)
            if trace:
                with open(m.err_path, encoding="utf-8",
                          errors="replace") as fh:
                    text = fh.read()
            else:
                cell.values.append(secs)
        except BenchError as e:
            cell.fail(str(e))
            self.problem(server, what, str(e), m.stderr() if m else "")
        finally:
            if m:
                self.unmount(m, server, what)
        return text

    def write_run(self, server, cell, via=None):
        """`cp SRC MNT/pub/NAME` (cp_run), then no ftpfs temporaries may be
        left in pub/."""
        what = "cp (write), " + self.who(via)
        area = self.area
        name = "bench-%s-%s" % (side_of(via), server.label.replace(" ", "-"))
        area.remove(name)
        try:
            self.cp_run(server, cell, via, what, ["cp", area.src], name,
                        [(os.path.join(area.pub, name), area.size)],
                        self.write_timeout, lambda: area.check(name, "cp"))
        finally:
            left = area.leftovers()
            if left:
                self.problem(server, what, "ftpfs temporaries left on the "
                             "server after unmount: " + ", ".join(left),
                             hint=False)
            area.remove(name)

    @staticmethod
    def wait_uploaded(m, files, timeout):
        """rclone uploads after close(): wait until every (path, size) has
        its size on the server's disk (or timeout, or the daemon died)."""
        left = list(files)
        deadline = time.time() + timeout
        while True:
            keep = []
            for path, size in left:
                try:
                    if os.path.getsize(path) >= size:
                        continue
                except OSError:
                    pass
                keep.append((path, size))
            left = keep
            if not left or time.time() > deadline or \
                    m.proc.poll() is not None:
                return
            time.sleep(0.005)

    def write_raw(self, server, cell):
        area = self.area
        name = "bench-raw-%s" % server.label.replace(" ", "-")
        area.remove(name)
        try:
            wfmt = ["-w", "%{time_pretransfer}"] if server.curl_args else []
            r = timed(["curl", "-sS"] + server.curl_args + wfmt +
                      ["-T", area.src, server.curl_url + WRITE_DIR + "/" +
                       name], capture=True, timeout=self.write_timeout)
            why = r.why("curl -T") or area.check(name, "curl -T")
            if why:
                cell.fail(why)
                return
            cell.values.append(r.secs)
            if wfmt:
                try:
                    cell.pretransfer.append(float(r.out.split()[-1]))
                except (ValueError, IndexError):
                    pass
        finally:
            area.remove(name)


    # -- cp -r of the small files into the mount ------------------------------

    def cpr_dest(self, side, server):
        return "cpr-%s-%s" % (side, re.sub(r"[^A-Za-z0-9]+", "-",
                                           server.label))

    def cpr_remove(self, dest):
        shutil.rmtree(os.path.join(self.area.pub, dest), ignore_errors=True)

    def cpr_check(self, dest, who):
        """Every small/ file in pub/DEST on the server's disk, with its
        contents, and nothing else there: a failure reason or None."""
        d = os.path.join(self.area.pub, dest)
        want = self.tree.small
        try:
            names = set(os.listdir(d))
        except OSError as e:
            return "%s returned but %s/%s is not on the server (%s)" % (
                who, WRITE_DIR, dest, e.strerror)
        missing = sorted(set(want) - names)
        if missing:
            return "%s returned but %d of %d files are not on the server " \
                   "(first: %s)" % (who, len(missing), len(want), missing[0])
        for n in sorted(want):
            with open(os.path.join(d, n), "rb") as fh:
                data = fh.read()
            if data != want[n]:
                return "%s returned but %s on the server has %d bytes%s" % (
                    who, n, len(data), "" if len(data) != len(want[n])
                    else " that differ from the source")
        extra = sorted(names - set(want))
        if extra:
            return "%s: %d unexpected files on the server (first: %s)" % (
                who, len(extra), extra[0])
        return None

    def cpr_run(self, server, cell, via=None, trace=False):
        """`cp -r small/ MNT/pub/DEST` (cp_run); every file must be on the
        server's disk, and nothing else in DEST."""
        what = "cp -r%s, %s" % (" (traced)" if trace else "", self.who(via))
        dest = self.cpr_dest(side_of(via), server)
        d = os.path.join(self.area.pub, dest)
        self.cpr_remove(dest)
        try:
            return self.cp_run(
                server, cell, via, what, ["cp", "-r", self.tree.small_dir],
                dest, [(os.path.join(d, n), len(v))
                       for n, v in self.tree.small.items()],
                self.small_timeout, lambda: self.cpr_check(dest, "cp -r"),
                trace)
        finally:
            self.cpr_remove(dest)

    def cpr_raw(self, server, cell):
        """ftplib, one session: connect + login, TYPE I once, MKD, then
        PASV + STOR of each file in turn, QUIT."""
        dest = self.cpr_dest("raw", server)
        self.cpr_remove(dest)
        try:
            t0 = time.perf_counter()
            f = self.ftp(server)
            f.mkd(WRITE_DIR + "/" + dest)
            for n in sorted(self.tree.small):
                self.ftp_put(f, "STOR %s/%s/%s" % (WRITE_DIR, dest, n),
                             self.tree.small[n])
            self.ftp_close(f)
            t1 = time.perf_counter()
            bad = self.cpr_check(dest, "ftplib")
            if bad:
                cell.fail(bad)
                return
            cell.values.append(t1 - t0)
        except (OSError, EOFError, ftplib.Error) as e:
            cell.fail("ftplib: %s" % e)
        finally:
            self.cpr_remove(dest)

    def cpr_trace(self, server, row):
        """Once per server, untimed: cp -r through a mount with -o
        ftp_trace; the listings of the destination and the commands of
        one file go into the row's note."""
        dest = self.cpr_dest("ftpfs", server)
        text = self.cpr_run(server, row.ftpfs, trace=True)
        if text is None:
            return
        st = trace_stats(text, "/%s/%s" % (WRITE_DIR, dest),
                         sorted(self.tree.small))
        row.trace = st
        row.note += "; ftpfs (traced run, `-o ftp_trace`): **%d listing%s " \
            "of the destination** (MLSD/LIST), %.1f commands per file " \
            "(%s); file %s: %s (%d round trips)" % (
                st["listings"], "" if st["listings"] == 1 else "s",
                st["per_file"], st["counts"], st["file"],
                st["seq"] or "?", st["rtts"])
