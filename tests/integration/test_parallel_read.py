#!/usr/bin/python3
"""Parallel segment reads against a pyftpdlib that caps each connection.

    /usr/bin/python3 tests/integration/test_parallel_read.py [--rate-bps N]
        [--only TEST,TEST...] [--list]

The server (tests/servers/pyftpd.py --rate-bps, --log) paces every data
connection, so one stream is slow and ftpfs hands a sequential read over
to segments fetched by several sessions at once (REST at 2 MiB
boundaries). Checked from the bytes read and the server's log, never from
timings:

* segments: `cat` of a 20 MiB file equals the file; the log shows RETRs
  with REST at distinct segment boundaries (2 MiB apart, from where the
  read was handed over) on at least two sessions.
* seeks_while_parallel: after the hand-over, reads behind, far ahead and
  at the end, then sequential again to the end, all return the file's
  bytes.
* tail_shorter_than_a_segment: a file ending mid-segment (and a file too
  short to hand over) reads exactly.
* off_switch: -o parallel_read=0 reads with one RETR and no REST.

Exit 0 = all passed, 1 = a failure, 77 = skipped.
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

R = harness.Runner()
SEG = 2 * 1024 * 1024


class C:
    root = None
    server = None
    mp = None


LINE = re.compile(r"^\S+ \S+ .*? DEBUG (\S+)-\[[^\]]*\] <- (.*)$")


def commands():
    """[(session, command line)] received by the server so far."""
    out = []
    with open(C.server.log, errors="replace") as f:
        for line in f:
            m = LINE.match(line.rstrip("\n"))
            if m:
                out.append((m.group(1), m.group(2)))
    return out


class fresh_mount:
    def __init__(self, opts=()):
        self.opts = list(opts)

    def __enter__(self):
        self.skip = len(commands())
        self.m = harness.mount(C.server.url(), C.mp, ["ro"] + self.opts)
        return self

    def log(self):
        return commands()[self.skip:]

    def __exit__(self, *exc):
        self.m.unmount()


def data(name):
    with open(os.path.join(C.root, name), "rb") as f:
        return f.read()


def rests(log):
    return [int(c.split()[1]) for _, c in log if c.startswith("REST ")]


@R.test
def segments():
    with fresh_mount() as m:
        got = subprocess.run(["cat", os.path.join(C.mp, "big")],
                             capture_output=True, check=True,
                             timeout=120).stdout
        log = m.log()
    if got != data("big"):
        raise AssertionError("cat returned %d bytes, not the file's %d"
                             % (len(got), len(data("big"))))
    offs = rests(log)
    # segments start where the read was handed over, SEG apart
    if len(offs) < 3 or len({o % SEG for o in offs}) != 1 or \
            len(set(offs)) != len(offs):
        raise AssertionError("REST offsets %s: expected distinct segment "
                             "boundaries" % offs)
    sessions = {s for s, c in log if c.startswith("RETR ")}
    if len(sessions) < 2:
        raise AssertionError("RETRs on %d session(s)" % len(sessions))


@R.test
def seeks_while_parallel():
    want = data("big")
    with fresh_mount():
        with open(os.path.join(C.mp, "big"), "rb", buffering=0) as f:
            got = f.read(6 * SEG)
            if got != want[:6 * SEG]:
                raise AssertionError("sequential start differs")
            for off, n in ((SEG // 2, 65536), (9 * SEG + 5, 200000),
                           (len(want) - 1000, 4096), (3 * SEG, 1)):
                f.seek(off)
                b = f.read(n)
                if b != want[off:off + n]:
                    raise AssertionError("read of %d at %d differs" % (n, off))
            f.seek(4 * SEG)
            rest = b""
            while True:
                b = f.read(131072)
                if not b:
                    break
                rest += b
            if rest != want[4 * SEG:]:
                raise AssertionError("sequential read after seeks differs "
                                     "(%d bytes, want %d)"
                                     % (len(rest), len(want) - 4 * SEG))


@R.test
def tail_shorter_than_a_segment():
    for name in ("odd", "small"):
        with fresh_mount():
            with open(os.path.join(C.mp, name), "rb") as f:
                got = f.read()
        if got != data(name):
            raise AssertionError("%s: %d bytes, want %d"
                                 % (name, len(got), len(data(name))))


@R.test
def off_switch():
    with fresh_mount(["parallel_read=0"]) as m:
        with open(os.path.join(C.mp, "odd"), "rb") as f:
            got = f.read()
        log = m.log()
    if got != data("odd"):
        raise AssertionError("parallel_read=0: wrong data")
    retrs = [c for _, c in log if c.startswith("RETR ")]
    if rests(log) or len(retrs) != 1:
        raise AssertionError("parallel_read=0: %d RETR, REST at %s"
                             % (len(retrs), rests(log)))


def setup(a, top):
    C.root = os.path.join(top, "tree")
    os.mkdir(C.root)
    C.mp = os.path.join(top, "mnt")
    os.mkdir(C.mp)
    C.server = None
    for name, size in (("big", 10 * SEG), ("odd", 5 * SEG + 12345),
                       ("small", SEG + 777)):
        with open(os.path.join(C.root, name), "wb") as f:
            f.write(os.urandom(size))
    C.server = harness.start_server("pyftpdlib", C.root, rate_bps=a.rate_bps)


if __name__ == "__main__":
    sys.exit(harness.main(
        R, "ftpfs-pr-", setup=setup, needs=("pyftpdlib",),
        options=[(("--rate-bps",), dict(type=int, default=4 * 1024 * 1024))],
        prefix=lambda a: "parallel-read/pyftpdlib[%d B/s]" % a.rate_bps,
        final=lambda a: harness.clean_exit_steps(
            servers=[("server_clean_exit", C.server)])))
