"""The command line: options, preflight checks, and main()."""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from .common import (BENCH, BenchError, MiB, PY, REPO, SERVER_KINDS,
                     WORKLOADS, _live, log)
from .report import machine_facts, merge_report, report, wants
from .sections import Bench
from .servers import RCLONE_EXTRA, Tree, WriteArea


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Benchmark ftpfs against raw transfers (curl, "
                    "ftplib) and rclone mount on loopback (pyftpdlib and "
                    "vsftpd).")
    p.add_argument("--runs", type=int, default=None,
                   help="runs per workload, median reported (default 3; "
                        "1 with --quick)")
    p.add_argument("--latency-ms", type=float, default=20,
                   help="round trip of the latency section's pyftpdlib "
                        "(tests/servers/pyftpd.py --latency-ms; default 20; "
                        "0 skips the section)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 50 MiB file, 2,000 entries, 32 MiB "
                        "writes, 400 tree files, 200 small files, 16 MiB "
                        "capped file, 1 run")
    p.add_argument("--tree-files", type=int, default=None,
                   help="files in tree/ (10 dirs x 10 subdirs; default "
                        "2000; 400 with --quick; 0 skips find+du)")
    p.add_argument("--small-files", type=int, default=None,
                   help="files in small/ (default 1000; 200 with --quick; "
                        "0 skips the small-file rows)")
    p.add_argument("--small-kib", type=int, default=4,
                   help="size of each small file, KiB (default 4)")
    p.add_argument("--parallel", type=int, default=8,
                   help="readers of the parallel small-file row (default 8)")
    p.add_argument("--cap-mibps", type=float, default=8,
                   help="per-connection bandwidth cap of the capped "
                        "pyftpdlib, MiB/s (default 8; 0 skips the row)")
    p.add_argument("--readers", type=int, default=None,
                   help="files (and readers) of the concurrent-readers row "
                        "(default 64; 16 with --quick; 0 skips it)")
    p.add_argument("--reader-mib", type=int, default=None,
                   help="size of each of those files, MiB (default 16; 2 "
                        "with --quick)")
    p.add_argument("--lsr-latency-ms", type=float, default=100,
                   help="round trip of the ls -lR rows' pyftpdlib (default "
                        "100; 0 skips them)")
    p.add_argument("--wan-mbit", type=float, default=100,
                   help="bandwidth per connection of the WAN row's "
                        "pyftpdlib, which also has --latency-ms (default "
                        "100; 0 skips the row)")
    p.add_argument("--cap-file-mib", type=int, default=None,
                   help="size of the file read from the capped server "
                        "(default 64; 16 with --quick)")
    p.add_argument("--no-rclone", dest="rclone", action="store_false",
                   help="no rclone columns")
    p.add_argument("--no-ceiling", dest="ceiling", action="store_false",
                   help="no ceiling column")
    p.add_argument("--ceiling-bin", default=os.path.join(
                       REPO, "build", "bench", "ceiling", "ceiling"),
                   help="the FUSE ceiling binary (default "
                        "build/bench/ceiling/ceiling)")
    p.add_argument("--latency-runs", type=int, default=None,
                   help="runs of the latency section (default: --runs)")
    p.add_argument("--rclone-arg", action="append", default=[],
                   metavar="ARG", help="extra argument for every `rclone "
                   "mount` (repeatable), e.g. --rclone-arg=--ftp-disable-epsv")
    p.add_argument("--rclone-once-secs", type=float, default=15,
                   help="an rclone workload that took longer than this in "
                        "run 1 is not repeated (default 15)")
    p.add_argument("--no-reread", dest="reread", action="store_false",
                   help="skip the re-read row")
    p.add_argument("--servers", default=",".join(SERVER_KINDS),
                   help="comma-separated subset of pyftpdlib,vsftpd")
    p.add_argument("--file-mib", type=int, default=None,
                   help="size of the big file (default 1024; 50 with "
                        "--quick)")
    p.add_argument("--entries", type=int, default=None,
                   help="directory entries (default 10000; 2000 with --quick)")
    p.add_argument("--reads", type=int, default=200,
                   help="random 4 KiB reads (default 200)")
    p.add_argument("--seed", type=int, default=1,
                   help="seed of the random read offsets (default 1)")
    p.add_argument("--write-mib", type=int, default=None,
                   help="size of the file written with cp / curl -T "
                        "(default 256; 32 with --quick)")
    p.add_argument("--no-write", dest="write", action="store_false",
                   help="skip the write workloads (cp into the mount)")
    p.add_argument("--no-tls", dest="tls", action="store_false",
                   help="skip the FTPS workloads (vsftpd with explicit TLS)")
    p.add_argument("--tls-reads", type=int, default=None,
                   help="random 4 KiB reads over FTPS (default: --reads; "
                        "20 with --quick: curl takes ~0.4 s for each)")
    p.add_argument("--tls-version", choices=["1.2", "1.3"],
                   help="pin the FTPS server to this TLS version "
                        "(tests/servers/vsftpd.py --tls-version; default: "
                        "whatever OpenSSL negotiates, TLS 1.3 here)")
    p.add_argument("--ftpfs", default=os.environ.get("FTPFS_BIN") or
                   os.path.join(REPO, "build", "ftpfs"),
                   help="ftpfs binary (default $FTPFS_BIN or build/ftpfs)")
    p.add_argument("--pyftpd-arg", action="append", default=[],
                   metavar="ARG",
                   help="extra argument for tests/servers/pyftpd.py "
                        "(repeatable), e.g. --pyftpd-arg=--fix-0o-mode")
    p.add_argument("-o", dest="ftpfs_opts", default="",
                   help="extra ftpfs -o options, e.g. connections=2")
    p.add_argument("--only", default="",
                   help="comma-separated workloads to run, of %s (default: "
                        "all); sections with none of them are skipped, and "
                        "the rows go into --output in place of the same "
                        "rows of its last run, the others kept" %
                        ",".join(WORKLOADS))
    p.add_argument("--output", default=os.path.join(BENCH, "results.md"),
                   help="write the table here too (default bench/results.md;"
                        " '-' for none)")
    a = p.parse_args(argv)
    a.only = [w.strip() for w in a.only.split(",") if w.strip()]
    for w in a.only:
        if w not in WORKLOADS:
            p.error("unknown workload %r in --only (want some of %s)"
                    % (w, ",".join(WORKLOADS)))
    if a.runs is None:
        a.runs = 1 if a.quick else 3
    if a.latency_runs is None:
        a.latency_runs = a.runs
    if a.file_mib is None:
        a.file_mib = 50 if a.quick else 1024
    if a.tree_files is None:
        a.tree_files = 400 if a.quick else 2000
    if a.small_files is None:
        a.small_files = 200 if a.quick else 1000
    if a.cap_file_mib is None:
        a.cap_file_mib = 16 if a.quick else 64
    if a.readers is None:
        a.readers = 16 if a.quick else 64
    if a.reader_mib is None:
        a.reader_mib = 2 if a.quick else 16
    if a.entries is None:
        a.entries = 2000 if a.quick else 10000
    if a.write_mib is None:
        a.write_mib = 32 if a.quick else 256
    if a.tls_reads is None:
        a.tls_reads = 20 if a.quick else a.reads
    if a.latency_ms == int(a.latency_ms):
        a.latency_ms = int(a.latency_ms)
    if a.lsr_latency_ms == int(a.lsr_latency_ms):
        a.lsr_latency_ms = int(a.lsr_latency_ms)
    a.ftpfs = os.path.abspath(a.ftpfs)
    a.servers = [s.strip() for s in a.servers.split(",") if s.strip()]
    for s in a.servers:
        if s not in SERVER_KINDS:
            p.error("unknown server %r (want pyftpdlib and/or vsftpd)" % s)
    if a.runs < 1 or a.latency_runs < 1 or a.file_mib < 1 or a.entries < 1 or a.reads < 1 \
            or a.latency_ms < 0 or a.write_mib < 1 or a.tls_reads < 1 \
            or a.tree_files < 0 or a.small_files < 0 or a.small_kib < 1 \
            or a.parallel < 1 or a.cap_mibps < 0 or a.cap_file_mib < 1 \
            or a.wan_mbit < 0 or a.readers < 0 or a.reader_mib < 1 \
            or a.lsr_latency_ms < 0:
        p.error("--runs, --file-mib, --entries, --reads, --tls-reads, "
                "--write-mib must be >= 1, --latency-ms >= 0")
    # FTPS is served by vsftpd, which has no latency knob
    a.tls_skip_why = None
    if not a.tls:
        a.tls_skip_why = "--no-tls"
    elif "vsftpd" not in a.servers:
        a.tls_skip_why = "vsftpd not in --servers"
    a.tls = a.tls_skip_why is None
    a.rclone_why = None if a.rclone else "--no-rclone"
    a.rclone_cell = "not run"
    a.ceiling_why = None if a.ceiling else "--no-ceiling"
    a.ceiling_cell = "not run"
    a.ceiling_bin = os.path.abspath(a.ceiling_bin)
    RCLONE_EXTRA[:] = a.rclone_arg
    return a


def preflight(a):
    missing = []
    if not os.access(a.ftpfs, os.X_OK):
        missing.append("%s (build it: meson setup build && meson compile "
                       "-C build)" % a.ftpfs)
    for tool in ("curl", "fusermount3", "ls", "cat", "cp") + \
            (("openssl",) if a.tls else ()):
        if not shutil.which(tool):
            missing.append(tool)
    if "vsftpd" in a.servers and not os.path.exists("/usr/sbin/vsftpd"):
        missing.append("/usr/sbin/vsftpd (apt-get install vsftpd)")
    if subprocess.run([PY, "-c", "import pyftpdlib"],
                      capture_output=True).returncode != 0:
        missing.append("python3-pyftpdlib for %s" % PY)
    if not os.path.exists("/dev/fuse"):
        missing.append("/dev/fuse")
    if a.rclone and not shutil.which("rclone"):
        a.rclone = False
        a.rclone_why = "rclone not installed (apt-get install rclone)"
        a.rclone_cell = "not installed"
        log(a.rclone_why)
    if a.ceiling and not os.access(a.ceiling_bin, os.X_OK):
        a.ceiling = False
        a.ceiling_why = "%s not built (meson compile -C build)" % \
            a.ceiling_bin
        a.ceiling_cell = "not built"
        log(a.ceiling_why)
    if missing:
        raise BenchError("missing: " + "; ".join(missing))


class BinarySnapshot:
    """A private copy of the ftpfs binary, taken at start: a rebuild of
    build/ftpfs during the run cannot mix two binaries in one table."""

    def __init__(self, path, name="ftpfs"):
        self.dir = tempfile.mkdtemp(prefix="ftpfs-bench-bin-")
        _live.append(self)
        self.path = os.path.join(self.dir, name)
        shutil.copy2(path, self.path)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        if self in _live:
            _live.remove(self)


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return "/".join(f.read().split()[:3])
    except OSError:
        return "?"


def cleanup_all():
    for obj in reversed(list(_live)):
        try:
            obj.cleanup()
        except Exception as e:  # keep cleaning the rest
            print("bench: cleanup of %r failed: %s" % (obj, e),
                  file=sys.stderr)


def main(argv):
    a = parse_args(argv)

    def on_signal(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    t_start = time.time()
    a.load_start = loadavg()
    try:
        preflight(a)
        a.ftpfs_run = BinarySnapshot(a.ftpfs).path
        if a.ceiling:
            a.ceiling_run = BinarySnapshot(a.ceiling_bin, "ceiling").path
        def want(*keys):
            return wants(a, *keys)

        a.tls = a.tls and want("cat", "write", "rnd")
        if not a.tls and not a.tls_skip_why:
            a.tls_skip_why = "not in --only"
        wsize = a.write_mib * MiB if want("write") else 0
        pyf = "pyftpdlib" in a.servers
        big = a.file_mib * MiB if want("cat", "rnd", "reread") else MiB
        tree = Tree(a.entries if want("ls") else 0, big,
                    3 * wsize if (a.write or a.tls) else 0,
                    tree_files=a.tree_files if want("tree") else 0,
                    small_files=a.small_files if want("small", "cp_r")
                    else 0, small_size=a.small_kib * 1024,
                    many=a.readers if want("many") else 0,
                    lsr=bool(pyf and a.lsr_latency_ms and want("lsr")),
                    many_size=a.reader_mib * MiB,
                    cap_size=a.cap_file_mib * MiB if pyf and (
                        (a.cap_mibps and want("capped")) or
                        (a.wan_mbit and a.latency_ms and want("wan")))
                    else 0, seed=a.seed)
        area = WriteArea(tree, wsize) if (a.write or a.tls or
                                          want("cp_r")) else None
        bench = Bench(a, tree, area)
        sections = [(kind, bench.run_server) for kind in a.servers
                    if want("ls", "cat", "rnd", "tree", "small", "write",
                            "cp_r", "many")]
        if pyf and a.reread and want("reread"):
            sections.append(("pyftpdlib (logging)", bench.run_reread))
        if pyf and a.cap_mibps and want("capped"):
            sections.append(("pyftpdlib capped", bench.run_capped))
        if pyf and a.wan_mbit and a.latency_ms and want("wan"):
            sections.append(("pyftpdlib WAN", bench.run_wan))
        if pyf and a.lsr_latency_ms and want("lsr"):
            sections.append(("pyftpdlib ls -lR", bench.run_lsr))
        if pyf and a.latency_ms and want("ls", "rnd", "tree", "small",
                                         "cp_r"):
            sections.append(("pyftpdlib, %s ms RTT" % a.latency_ms,
                             bench.run_latency))
        if a.latency_ms and "vsftpd" in a.servers:
            bench.skipped.append(("vsftpd, %s ms RTT" % a.latency_ms,
                                  "vsftpd cannot add latency: the latency "
                                  "rows run on pyftpdlib only"))
        for kind, fn in sections:
            t0 = time.time()
            try:
                if fn == bench.run_server:
                    fn(kind)
                else:
                    fn()
            except BenchError as e:
                bench.skipped.append((kind, "server did not run: %s" % e))
                log("%s: %s" % (kind, e))
            bench.section_times.append((kind, time.time() - t0))
        if a.tls:
            t0 = time.time()
            try:
                bench.run_tls()
            except BenchError as e:
                bench.skipped.append(("vsftpd FTPS", "server did not run: %s"
                                      % e))
                log("vsftpd FTPS: %s" % e)
            bench.section_times.append(("vsftpd FTPS", time.time() - t0))
        facts = machine_facts(a, tree, bench)
        facts.append(("load average (1/5/15 min)", "%s at start, %s at "
                      "the end (other jobs on the machine add noise)" % (
                          a.load_start, loadavg())))
        facts.append(("bench wall time", "%.0f s (%s)" % (
            time.time() - t_start, ", ".join(
                "%s %.0f s" % (k, v) for k, v in bench.section_times))))
        text = report(a, tree, bench, facts)
    except BenchError as e:
        print("bench: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        cleanup_all()
    print(text)
    if a.output and a.output != "-":
        tmp = a.output + ".tmp"
        merged = None
        if a.only and os.path.exists(a.output):
            with open(a.output) as f:
                merged = merge_report(f.read(), text, a)
            if merged is None:
                log("%s does not look like a report: replaced by this "
                    "run's" % a.output)
        with open(tmp, "w") as f:
            f.write(merged or text + "\n")
        os.rename(tmp, a.output)
        log("written to %s" % os.path.relpath(a.output))
    log("bench wall time: %.0f s" % (time.time() - t_start))
    return 0
