"""The sections of the benchmark: one per server set-up (class Bench,
what bench/bench.py runs)."""

import os
import shutil
import subprocess
import tempfile

from .common import (BenchError, GOAL_CAP, GOAL_CPR, GOAL_CPR_LAT, GOAL_LSR,
                     GOAL_LSR_WARM, GOAL_LS_COLD, GOAL_LS_WARM, GOAL_MANY,
                     GOAL_RND, GOAL_RSS, GOAL_SEQ, GOAL_SMALL_PAR, GOAL_TLS,
                     GOAL_TREE, GOAL_WAN, MiB, READ_SIZE, log)
from .manyfiles import ManyFiles
from .servers import Server, VsftpdTLS, side_of


class Bench(ManyFiles):
    """The sections: which rows each server gets, and the interleaved runs
    of ftpfs, raw, the ceiling and rclone."""

    # -- the sections ---------------------------------------------------------

    def rows_std(self, label, lat=False):
        """The rows every plain server gets (lat: the latency section's
        subset, with the goals that are stated at 20 ms)."""
        a, t = self.a, self.tree
        R = {}
        if self.want("ls"):
            R["cold"] = self.row(label, "ls_cold", "`ls -l` of %s entries, "
                                 "cold (1st after mount)" % format(
                                     t.entries, ","), "s", goal=GOAL_LS_COLD)
            R["warm"] = self.row(label, "ls_warm", "`ls -l` of %s entries, "
                                 "warm (2nd)" % format(t.entries, ","), "s",
                                 goal=GOAL_LS_WARM)
            R["cold"].note = "one `curl` LIST (connect+login+LIST)"
            R["warm"].note = R["cold"].note
        if not lat and self.want("cat"):
            R["cat"] = self.row(label, "cat", "`cat` %d MiB file > /dev/null"
                                % (t.size // MiB), "s", t.size,
                                goal=GOAL_SEQ)
            R["rss"] = self.row(label, "rss", "peak RSS while streaming it",
                                "MiB", goal=GOAL_RSS)
            R["cat"].note = "`curl -o /dev/null`"
            R["rss"].note = "VmHWM of the ftpfs / ceiling / rclone " \
                            "daemon; raw: curl's maxrss"
        if self.want("rnd"):
            R["rnd"] = self.rnd_row(label, a.reads,
                                    GOAL_RND if lat else None)
        if t.tree_files and self.want("tree"):
            R["tree"] = self.row(label, "tree", "`find` + `du -s` over %s "
                                 "files in %d dirs (fresh mount)" % (
                                     format(t.tree_files, ","), t.tree_dirs),
                                 "s", goal=GOAL_TREE if lat else None)
            R["tree"].note = "ftplib, one session: serial walk with %s " \
                             "of every directory" % ("MLSD" if label.startswith(
                                 "pyftpdlib") else "LIST")
        if not lat and t.many and self.want("many"):
            R["many"] = self.row(label, "many", "%d readers of different "
                                 "%d MiB files at once (aggregate)" % (
                                     len(t.many), t.many_size // MiB), "s",
                                 len(t.many) * t.many_size, goal=GOAL_MANY)
            R["many"].note = "ftplib, one session: RETR of the %d files " \
                             "one after another; cell: until every " \
                             "reader is done, and the longest any reader " \
                             "waited for its first byte" % len(t.many)
        if t.small and self.want("small"):
            n = format(len(t.small), ",")
            R["small1"] = self.row(label, "small1", "read %s %d KiB files "
                                   "serially (fresh mount, by name)" % (
                                       n, a.small_kib), "s",
                                   goal=None)
            R["small1"].note = "ftplib, one session: RETR each"
            R["smallP"] = self.row(label, "smallP", "read %s %d KiB files, "
                                   "%d in parallel" % (n, a.small_kib,
                                                       a.parallel), "s",
                                   goal=GOAL_SMALL_PAR if lat else None)
            R["smallP"].note = "ftplib, %d sessions, 1/%d of the files " \
                               "each" % (a.parallel, a.parallel)
        return R

    def cpr_row(self, label, goal):
        """The `cp -r` row (None when not selected or no small/)."""
        if not (self.tree.small and self.want("cp_r")):
            return None
        r = self.row(label, "cp_r", "`cp -r` of %s %d KiB files into the "
                     "mount, until on the server" % (
                         format(len(self.tree.small), ","),
                         self.a.small_kib), "s", goal=goal)
        r.rclone_mode = "writes"
        r.note = "ftplib, one session: connect+login, TYPE I once, MKD, " \
                 "then PASV+STOR per file, QUIT; all: every file checked " \
                 "on the server's disk after return (rclone: after its " \
                 "upload)"
        return r

    def rnd_row(self, label, n, goal=None):
        r = self.row(label, "rnd", "%d random %d KiB preads in the %d MiB "
                     "file" % (n, READ_SIZE // 1024, self.tree.size // MiB),
                     "s", goal=goal)
        r.add_alt("curl")
        r.add_alt("ftplib")
        return r

    def prune_alts(self, row):
        """After run 1: a raw method more than 3x slower than the other is
        not run again (curl's per-read login costs minutes over FTPS / with
        latency); the details say so."""
        vals = [(c.values[0], n, c) for n, c in row.alts
                if c.live() and c.values]
        if len(vals) < 2:
            return
        vals.sort(key=lambda x: x[0])
        for v, n, c in vals[1:]:
            if v > 3 * vals[0][0]:
                c.skipped = "run 1 only: > 3x slower than %s" % vals[0][1]

    def rclone_once(self, rows):
        """After run 1: an rclone cell that took longer than
        --rclone-once-secs is not run again (its one value is the
        median)."""
        for row in rows:
            for c in (row.rclone, row.rclone_def) if row else ():
                if row.unit == "s" and c.live() and c.values and \
                        c.values[0] > self.a.rclone_once_secs:
                    c.skipped = "run 1 only: took > %g s (" \
                        "--rclone-once-secs)" % self.a.rclone_once_secs

    def run_std(self, server, R, runs, ceil=True, wsrv=None, wrt=None):
        """Every run: each workload through ftpfs, raw, the ceiling (ceil),
        rclone at its defaults and rclone with 4 connections, in turn."""
        a = self.a
        rd, wr = self.others("off", ceil), self.others("writes", ceil)
        for i in range(runs):
            log("%s: run %d/%d" % ((server or wsrv).label, i + 1, runs))
            if "cold" in R:
                self.run_ls(server, R["cold"], R["warm"], rd)
            if "cat" in R:
                cat, rss = R["cat"], R["rss"]
                self.turn(cat, rd, lambda c, v: self.cat_run(
                    server, c, getattr(rss, side_of(v)), v),
                    lambda c: self.cat_raw(server, c, rss.raw))
            if "rnd" in R:
                self.run_rnd(server, R["rnd"], a.reads, rd, i == 0)
            if "many" in R:
                self.turn(R["many"], rd,
                          lambda c, v: self.many_run(server, c, v),
                          lambda c: self.many_raw(server, c))
            if wsrv and wrt:
                self.turn(wrt, wr, lambda c, v: self.write_run(wsrv, c, v),
                          lambda c: self.write_raw(wsrv, c))
            if wsrv and "cp_r" in R:
                self.turn(R["cp_r"], wr,
                          lambda c, v: self.cpr_run(wsrv, c, v),
                          lambda c: self.cpr_raw(wsrv, c))
            if "tree" in R:
                self.turn(R["tree"], rd,
                          lambda c, v: self.tree_run(server, c, v),
                          lambda c: self.tree_raw(server, c))
            for key, par in (("small1", 1), ("smallP", a.parallel)):
                if key in R:
                    self.turn(R[key], rd, lambda c, v, p=par: self.small_run(
                        server, c, p, v), lambda c, p=par: self.small_raw(
                            server, c, p))
            if i == 0:
                self.rclone_once(list(R.values()) + [wrt])

    @staticmethod
    def turn(row, others, run, raw):
        """One run of a row, each side in turn: ftpfs (run(cell, None)),
        raw (raw(cell)), then the other mounts (run(cell, via)); cells
        that failed or were dropped are left out."""
        if row.ftpfs.live():
            run(row.ftpfs, None)
        if row.raw.live():
            raw(row.raw)
        for via, side in others:
            if getattr(row, side).live():
                run(getattr(row, side), via)

    def run_rnd(self, server, rnd, n, others, first):
        """One run of the random reads: ftpfs, each raw method, then the
        other mounts (others(): ceiling, rclone)."""
        if rnd.ftpfs.live():
            self.rnd_run(server, rnd.ftpfs, n)
        for name, c in rnd.alts:
            if c.live():
                if name == "curl":
                    self.rnd_raw(server, c, n)
                else:
                    self.rnd_ftplib(server, c, n)
        if first:
            self.prune_alts(rnd)
        for via, side in others:
            if getattr(rnd, side).live():
                self.rnd_run(server, getattr(rnd, side), n, via)

    def run_ls(self, server, cold, warm, others):
        if cold.ftpfs.live():
            self.ls_run(server, cold.ftpfs, warm.ftpfs)
        if cold.raw.live():
            self.ls_raw(server, cold.raw)
            warm.raw = cold.raw
        for via, side in others:
            if getattr(cold, side).live():
                self.ls_run(server, getattr(cold, side), getattr(warm, side),
                            via)

    def verify(self, server, R, ceil=True):
        log("%s: verifying cat through ftpfs (bytes + sha256)" % server.label)
        cat, rss = R["cat"], R["rss"]
        bad = self.cat_verify(server)
        if bad:
            cat.ftpfs.fail(bad)
            rss.ftpfs.fail("not measured: " + bad)
            self.problem(server, "cat (verify)", bad)
        for via, side in self.others("off", ceil):
            bad = self.cat_verify(server, via)
            if bad:
                getattr(cat, side).fail(bad)
                getattr(rss, side).fail("not measured: " + bad)

    def close_servers(self, *servers):
        for srv in servers:
            if srv:
                srv.cleanup()
                bad = srv.exit_problem()
                if bad:
                    self.problem(srv, "server", bad, hint=False)

    def write_server(self, kind, rows, latency_ms=0, label=None):
        """The write server of a section, or None (the rows fail)."""
        try:
            return Server(kind, self.area.root, latency_ms, self.a.pyftpd_arg,
                          write=True, label=label)
        except BenchError as e:
            for row in rows:
                for c in (row.ftpfs, row.raw, row.rclone, row.rclone_def,
                          row.ceiling):
                    c.fail("write server did not start: %s" % e)
            return None

    def run_server(self, kind):
        a, t = self.a, self.tree
        wrt = wsrv = server = None
        try:
            R = self.rows_std(kind)
            if R:
                server = Server(kind, t.root, 0, a.pyftpd_arg)
            if a.write and self.want("write"):
                wrt = self.write_row(kind)
            cpr = self.cpr_row(kind, GOAL_CPR)
            if wrt or cpr:
                wsrv = self.write_server(kind, [r for r in (wrt, cpr) if r])
            if "cat" in R:
                self.verify(server, R)
            if "many" in R:
                log("%s: verifying the %d concurrent readers through ftpfs "
                    "(bytes + sha256)" % (server.label, len(t.many)))
                self.many_run(server, R["many"].ftpfs, verify=True)
            if cpr and wsrv:
                R["cp_r"] = cpr
                self.cpr_trace(wsrv, cpr)
            self.run_std(server, R, a.runs, wsrv=wsrv, wrt=wrt)
        finally:
            self.close_servers(server, wsrv)

    def run_latency(self):
        """pyftpdlib with --latency-ms: the workloads made of many round
        trips."""
        a, t = self.a, self.tree
        label = "pyftpdlib, %s ms RTT" % a.latency_ms
        server = wsrv = None
        try:
            R = self.rows_std(label, lat=True)
            if R:
                server = Server("pyftpdlib", t.root, a.latency_ms,
                                a.pyftpd_arg, label=label)
            cpr = self.cpr_row(label, GOAL_CPR_LAT)
            if cpr:
                wsrv = self.write_server("pyftpdlib", [cpr], a.latency_ms,
                                         label)
            if cpr and wsrv:
                R["cp_r"] = cpr
                self.cpr_trace(wsrv, cpr)
            self.run_std(server, R, a.latency_runs, ceil=False, wsrv=wsrv)
        finally:
            self.close_servers(server, wsrv)

    def run_lsr(self):
        """pyftpdlib with --lsr-latency-ms (default 100): `ls -lR` of lsr/
        (151 directories), cold and warm, vs a serial ftplib walk."""
        a, t = self.a, self.tree
        label = "pyftpdlib, %s ms RTT" % a.lsr_latency_ms
        server = Server("pyftpdlib", t.root, a.lsr_latency_ms, a.pyftpd_arg,
                        label=label)
        try:
            title = "`ls -lR` of %d directories, %s files" % (
                t.lsr_dirs, format(t.lsr_files, ","))
            cold = self.row(label, "lsr_cold", title + ", cold (fresh "
                            "mount)", "s", goal=GOAL_LSR)
            warm = self.row(label, "lsr_warm", title + ", warm (2nd)", "s",
                            goal=GOAL_LSR_WARM)
            cold.note = warm.note = "ftplib, one session: serial walk with " \
                "MLSD of every directory"
            others = self.others("off", ceil=False)
            for i in range(a.latency_runs):
                log("%s: run %d/%d" % (label, i + 1, a.latency_runs))
                if cold.ftpfs.live():
                    self.ls_run(server, cold.ftpfs, warm.ftpfs,
                                recursive=True)
                if cold.raw.live():
                    self.tree_raw(server, cold.raw, "lsr")
                    warm.raw = cold.raw
                for via, side in others:
                    if getattr(cold, side).live():
                        self.ls_run(server, getattr(cold, side),
                                    getattr(warm, side), via, recursive=True)
                if i == 0:
                    self.rclone_once([cold, warm])
        finally:
            self.close_servers(server)

    def run_capped(self):
        """pyftpdlib with --rate-bps: every data connection capped; `cat`
        of a file (timed with its bytes + sha256 check)."""
        a, t = self.a, self.tree
        self.cat_capped("pyftpdlib, %g MiB/s per connection" % a.cap_mibps,
                        "capped", "`cat` %d MiB file, server caps each "
                        "connection at %g MiB/s" % (t.cap_size // MiB,
                                                    a.cap_mibps),
                        0, int(a.cap_mibps * MiB), GOAL_CAP)

    def run_wan(self):
        """pyftpdlib with --latency-ms and --rate-bps: a WAN link of that
        round trip with that bandwidth per connection; `cat` of the capped
        file."""
        a, t = self.a, self.tree
        self.cat_capped("pyftpdlib, %s ms RTT + %g Mbit/s per connection"
                        % (a.latency_ms, a.wan_mbit), "wan",
                        "`cat` %d MiB file, %s ms RTT, server caps each "
                        "connection at %g Mbit/s" % (
                            t.cap_size // MiB, a.latency_ms, a.wan_mbit),
                        a.latency_ms, int(a.wan_mbit * 1e6 / 8), GOAL_WAN)

    def cat_capped(self, label, key, title, latency_ms, rate, goal):
        a, t = self.a, self.tree
        server = Server("pyftpdlib", t.root, latency_ms,
                        list(a.pyftpd_arg) + ["--rate-bps", str(rate)],
                        label=label)
        try:
            row = self.row(label, key, title, "s", t.cap_size, goal=goal)
            row.note = "one `curl` stream (`-o /dev/null`)"
            for i in range(a.runs):
                log("%s: run %d/%d" % (label, i + 1, a.runs))
                for via, side in [(None, "ftpfs")] + \
                        self.others("off", ceil=False):
                    cell = getattr(row, side)
                    if cell.live():
                        bad = self.cat_verify(server, via, "capped",
                                              t.cap_size, t.cap_sha256)
                        if bad:
                            cell.fail(bad)
                        else:
                            cell.values.append(self.last_verify_secs)
                if row.raw.live():
                    self.cat_raw(server, row.raw, None, "capped", t.cap_size)
        finally:
            self.close_servers(server)

    def run_reread(self):
        """pyftpdlib with a --log: `cat` the big file twice in one mount."""
        a, t = self.a, self.tree
        label = "pyftpdlib (logging)"
        logdir = tempfile.mkdtemp(prefix="ftpfs-bench-log-")
        logpath = os.path.join(logdir, "pyftpd.log")
        server = None
        try:
            server = Server("pyftpdlib", t.root, 0,
                            list(a.pyftpd_arg) + ["--log", logpath],
                            label=label)
            server.log_path = logpath
            row = self.row(label, "reread", "re-read of the unchanged %d MiB "
                           "file: 2nd `cat` in the same mount" % (
                               t.size // MiB), "s", t.size)
            row.note = "`curl -o /dev/null` (a full transfer); the 2nd " \
                       "read's RETRs/bytes from the server's log"
            for i in range(a.runs):
                log("%s: run %d/%d" % (label, i + 1, a.runs))
                if row.ftpfs.live():
                    self.reread_run(server, row.ftpfs)
                if row.raw.live():
                    self.cat_raw(server, row.raw, None)
                for via, side in self.others("off", ceil=False):
                    if getattr(row, side).live():
                        self.reread_run(server, getattr(row, side), via)
        finally:
            self.close_servers(server)
            shutil.rmtree(logdir, ignore_errors=True)

    def write_row(self, label, goal=GOAL_SEQ):
        w = self.row(label, "write", "`cp` %d MiB file into the mount, "
                     "until it is on the server" % self.a.write_mib, "s",
                     self.area.size, goal=goal)
        w.rclone_mode = "writes"
        w.note = "`curl -T` (STOR); all: sha256 on the server's disk " \
                 "checked after return (rclone: after its upload)"
        return w

    def run_tls(self):
        """vsftpd with explicit FTPS: cat, its peak RSS, cp (write), random
        reads; ftpfs through ftpes:// pinned by fingerprint, raw curl with
        --ssl-reqd --cacert (and ftplib for the random reads), rclone with
        --ftp-explicit-tls --no-check-certificate."""
        a, t = self.a, self.tree
        server = VsftpdTLS(self.area.root, a.tls_version)
        label = server.label
        try:
            r = subprocess.run(["curl", "-sS", "-v"] + server.curl_args +
                               ["-o", "/dev/null", server.curl_url],
                               capture_output=True, text=True, timeout=30)
            for line in r.stderr.splitlines():
                if "SSL connection using" in line:
                    self.tls_info = line.split("using", 1)[1].strip()
            R = {}
            tls = "`curl --ssl-reqd --cacert`"
            wrt = None
            if self.want("cat"):
                R["cat"] = self.row(label, "cat", "`cat` %d MiB file > "
                                    "/dev/null" % (t.size // MiB), "s",
                                    t.size, goal=GOAL_TLS)
                R["rss"] = self.row(label, "rss", "peak RSS while streaming "
                                    "it", "MiB", goal=GOAL_RSS)
                R["cat"].note = "%s -o /dev/null" % tls
                R["rss"].note = "VmHWM of the ftpfs / ceiling / rclone " \
                                "daemon; raw: curl's maxrss"
            if self.want("write"):
                wrt = self.write_row(label, GOAL_TLS)
                wrt.note = "%s -T; all: sha256 on the server's disk " \
                           "checked after return (rclone: after its " \
                           "upload)" % tls
            if self.want("rnd"):
                R["rnd"] = self.rnd_row(label, a.tls_reads)

            if "cat" in R:
                self.verify(server, R)
            self.run_tls_runs(server, R, wrt)
        finally:
            self.close_servers(server)

    def run_tls_runs(self, server, R, wrt):
        # run_std without the ls rows; writes go to the same server
        a = self.a
        cat, rss, rnd = R.get("cat"), R.get("rss"), R.get("rnd")
        rd, wr = self.others("off"), self.others("writes")
        for i in range(a.runs):
            log("%s: run %d/%d" % (server.label, i + 1, a.runs))
            if cat:
                self.turn(cat, rd, lambda c, v: self.cat_run(
                    server, c, getattr(rss, side_of(v)), v),
                    lambda c: self.cat_raw(server, c, rss.raw))
            if wrt:
                self.turn(wrt, wr, lambda c, v: self.write_run(server, c, v),
                          lambda c: self.write_raw(server, c))
            if rnd:
                self.run_rnd(server, rnd, a.tls_reads, rd, i == 0)
            if i == 0:
                self.rclone_once([cat, rss, rnd, wrt])
