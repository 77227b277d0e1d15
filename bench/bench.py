#!/usr/bin/python3
"""ftpfs benchmark: ftpfs through a FUSE mount vs raw transfers (curl,
Python's ftplib) vs `rclone mount`, same run.

    /usr/bin/python3 bench/bench.py [--runs N] [--quick] [--latency-ms N]
        [--servers pyftpdlib,vsftpd] [--file-mib N] [--entries N]
        [--reads N] [--seed N] [--write-mib N] [--tree-files N]
        [--small-files N] [--small-kib N] [--parallel N] [--cap-mibps N]
        [--cap-file-mib N] [--no-write] [--no-tls] [--no-rclone]
        [--no-reread] [--tls-reads N] [--tls-version 1.2|1.3]
        [--ftpfs PATH] [-o OPTS] [--only WORKLOADS] [--output FILE] ...

Serves one temporary tree (dir/ of --entries empty files, `big`, a
--file-mib file of random bytes, tree/ of 10 x 10 directories with
--tree-files small files, small/ with --small-files files, `capped`) from
several servers on 127.0.0.1, runs every workload through a fresh ftpfs
mount, raw (curl or ftplib), through a fresh mount of the FUSE ceiling
(bench/ceiling: the served directory mirrored through FUSE with ftpfs's
settings; plain sections) and through fresh `rclone mount`s at rclone's
default connection count and at ftpfs's 4, interleaved, and prints a
Markdown table of medians with ratios to raw and to the ceiling and the
goals of issue 16 (also written to --output, default bench/results.md).  Sections: pyftpdlib and vsftpd (plain, no latency),
pyftpdlib with --log (re-read of an unchanged file), pyftpdlib with a
per-connection bandwidth cap (--cap-mibps), the same with --latency-ms
too (--wan-mbit), pyftpdlib with a round-trip
latency (--latency-ms, default 20; vsftpd cannot add latency), vsftpd with
explicit FTPS.  The writes (`cp` of a file, `cp -r` of small/) go to a
second, writable server per section.  --only runs some workloads and
merges their rows into --output.  See bench/README.md for what each row
means.

This is a benchmark only: nothing here is a pass/fail test.  A workload
that fails through ftpfs (error, timeout, wrong byte count or contents) is
reported as FAILED with the reason (rclone: "failed (reason)"), and the
mount's stderr goes to the "Problems" section.  Mounts, servers and the
temp tree are always removed (try/finally), also on Ctrl-C and SIGTERM.

Standard library only; run with Debian's /usr/bin/python3 (the servers
need its python3-pyftpdlib).
"""


import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ftpbench.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
