#!/usr/bin/python3
"""ftpfs directory prefetch against pyftpdlib, checked with the server's log.

    /usr/bin/python3 tests/integration/test_prefetch.py [--latency-ms N]
        [--only TEST,TEST...] [--list]

Builds a tree of nested directories, serves it with tests/servers/pyftpd.py
(--log: every command with its session and time) and mounts it afresh for
each test:

* walk: `find` through the mount equals the tree on disk, and the server's
  log shows directories listed by more than one session at the same time.
* prefetched_before_opened: after `ls` of one directory only, its
  subdirectories are listed by the server without being opened.
* prefetched_listing_is_used: opening a prefetched subdirectory soon after
  costs no second listing.
* unused_prefetch_expires: a subdirectory prefetched but not opened within
  the freshness bound (-o prefetch_timeout, default 5 s) is listed again
  when opened: a file created on the server meanwhile is visible.
* opens_by_name_list_the_directory_once: six files opened by name without
  a listing cost three MLSTs, then one listing of their directory.
* off_switches: -o no_prefetch and -o cache_timeout=0 list nothing ahead.

Exit 0 = all passed, 1 = a failure, 77 = skipped.
"""

import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

R = harness.Runner()


class C:
    root = None
    server = None
    mp = None
    latency_ms = 20


TOP = ["d%d" % i for i in range(5)]
SUB = ["s%d" % j for j in range(4)]
FILES = ["f%d.txt" % k for k in range(6)]


def build_tree(root):
    for d in TOP:
        for s in SUB:
            p = os.path.join(root, d, s)
            os.makedirs(p)
            for f in FILES:
                with open(os.path.join(p, f), "w") as fh:
                    fh.write("%s/%s/%s\n" % (d, s, f))


LINE = re.compile(r"^(\S+ \S+) .*? DEBUG (\S+)-\[[^\]]*\] (<-|->) (.*)$")


def server_log():
    """[(time, session, dir, text)] from the server's log; dir is '<-' for
    commands and '->' for replies."""
    out = []
    with open(C.server.log, errors="replace") as f:
        for line in f:
            m = LINE.match(line.rstrip("\n"))
            if not m:
                continue
            t = time.mktime(time.strptime(m.group(1)[:19], "%Y-%m-%d %H:%M:%S"))
            t += int(m.group(1)[20:23]) / 1000.0
            out.append((t, m.group(2), m.group(3), m.group(4)))
    return out


def listings(since=0.0):
    """[(start, end, session, path)] for every MLSD/LIST: from the command
    to its final reply on the same session."""
    open_ = {}
    done = []
    for t, sess, d, text in server_log():
        if t < since:
            continue
        if d == "<-" and re.match(r"(MLSD|LIST)\b", text):
            path = text.split(" ", 1)[1] if " " in text else "/"
            path = re.sub(r"^-a ", "", path)
            open_[sess] = (t, path)
        elif d == "->" and sess in open_ and re.match(r"[2-5]\d\d ", text) \
                and not text.startswith(("150", "125")):
            start, path = open_.pop(sess)
            done.append((start, t, sess, path))
    return done


def listed_paths(since=0.0):
    return [p for _, _, _, p in listings(since)]


def wait_listed(paths, since, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if set(paths) <= set(listed_paths(since)):
            return True
        time.sleep(0.1)
    return False


class fresh_mount:
    def __init__(self, opts=()):
        self.opts = list(opts)

    def __enter__(self):
        self.m = harness.mount(C.server.url(), C.mp, ["ro"] + self.opts)
        return self.m

    def __exit__(self, *exc):
        self.m.unmount()


def mnt(*parts):
    return os.path.join(C.mp, *parts)


@R.test
def walk():
    t0 = time.time() - 0.05
    with fresh_mount():
        out = subprocess.run(["find", C.mp], capture_output=True, check=True,
                             timeout=120).stdout.decode()
    got = sorted(os.path.relpath(p, C.mp) for p in out.splitlines())
    want = ["."]
    for dirpath, dirs, files in os.walk(C.root):
        for n in dirs + files:
            want.append(os.path.relpath(os.path.join(dirpath, n), C.root))
    want.sort()
    if got != want:
        raise AssertionError("find differs from the disk: missing %s, extra %s"
                             % (sorted(set(want) - set(got))[:10],
                                sorted(set(got) - set(want))[:10]))
    ls = [x for x in listings(t0) if x[3] != "/"]
    sessions = {s for _, _, s, _ in ls}
    overlap = any(a[2] != b[2] and a[0] < b[1] and b[0] < a[1]
                  for i, a in enumerate(ls) for b in ls[i + 1:])
    if len(sessions) < 2 or not overlap:
        raise AssertionError("listings not in parallel: %d sessions, overlap "
                             "%s" % (len(sessions), overlap))
    paths = [p for _, _, _, p in ls]
    dup = sorted({p for p in paths if paths.count(p) > 1})
    if dup:
        raise AssertionError("listed twice in one walk: %s" % dup[:10])
    return "%d listings over %d sessions" % (len(ls), len(sessions))


@R.test
def prefetched_before_opened():
    t0 = time.time() - 0.05
    with fresh_mount():
        os.listdir(mnt("d1"))
        want = ["/d1/%s" % s for s in SUB]
        if not wait_listed(want, t0):
            raise AssertionError("subdirectories of /d1 not listed ahead; the "
                                 "server listed %s" % listed_paths(t0))
        others = [p for p in listed_paths(t0)
                  if p.count("/") > 1 and not p.startswith("/d1/")]
        if others:
            raise AssertionError("listed outside /d1: %s" % others)


@R.test
def prefetched_listing_is_used():
    t0 = time.time() - 0.05
    with fresh_mount():
        os.listdir(mnt("d2"))
        if not wait_listed(["/d2/s0"], t0):
            raise AssertionError("/d2/s0 was not prefetched")
        got = sorted(os.listdir(mnt("d2", "s0")))
        if got != FILES:
            raise AssertionError("d2/s0: %s, want %s" % (got, FILES))
        n = listed_paths(t0).count("/d2/s0")
        if n != 1:
            raise AssertionError("/d2/s0 listed %d times" % n)


@R.test
def unused_prefetch_expires():
    t0 = time.time() - 0.05
    bound = 5.0  # the default -o prefetch_timeout
    created = os.path.join(C.root, "d3", "s1", "new-after-prefetch")
    with fresh_mount():
        os.listdir(mnt("d3"))  # the parent only
        if not wait_listed(["/d3/s1"], t0):
            raise AssertionError("/d3/s1 was not prefetched")
        t_fetch = time.time()
        with open(created, "w") as f:
            f.write("x\n")
        time.sleep(max(0.0, t_fetch + bound + 1.0 - time.time()))
        try:
            got = os.listdir(mnt("d3", "s1"))
        finally:
            os.unlink(created)
        if "new-after-prefetch" not in got:
            raise AssertionError("a file created after the prefetch is "
                                 "missing %.1f s later: %s"
                                 % (time.time() - t_fetch, sorted(got)))
        if os.stat(mnt("d3", "s1", "new-after-prefetch")).st_size != 2:
            raise AssertionError("stat of the new file is wrong")


@R.test
def opens_by_name_list_the_directory_once():
    """Files opened by name without a listing: the first three cost an MLST
    each, the fourth lists the directory, the rest come from that listing."""
    t0 = time.time() - 0.05
    with fresh_mount(["no_prefetch"]):
        for f in FILES:
            with open(mnt("d2", "s3", f)) as fh:
                if fh.read() != "d2/s3/%s\n" % f:
                    raise AssertionError("%s: wrong content" % f)
    cmds = [text for t, _, d, text in server_log() if t >= t0 and d == "<-"]
    mlst = [c for c in cmds if c.startswith("MLST /d2/s3/")]
    lists = [c for c in cmds if re.match(r"(MLSD|LIST)\b.*/d2/s3$", c)]
    if len(mlst) != 3 or len(lists) != 1:
        raise AssertionError("%d opens by name: MLST %s, listings %s"
                             % (len(FILES), mlst, lists))


@R.test
def off_switches():
    for opts in (["no_prefetch"], ["prefetch_timeout=0"],
                 ["cache_timeout=0"]):
        t0 = time.time() - 0.05
        with fresh_mount(opts):
            os.listdir(mnt("d4"))
            time.sleep(1.0)
            ahead = [p for p in listed_paths(t0) if p.startswith("/d4/")]
        if ahead:
            raise AssertionError("-o %s: listed ahead %s" % (opts[0], ahead))


def setup(a, top):
    C.root = os.path.join(top, "tree")
    os.mkdir(C.root)
    C.mp = os.path.join(top, "mnt")
    os.mkdir(C.mp)
    C.server = None
    build_tree(C.root)
    C.server = harness.start_server("pyftpdlib", C.root,
                                    latency_ms=a.latency_ms)


if __name__ == "__main__":
    sys.exit(harness.main(
        R, "ftpfs-pf-", setup=setup, needs=("pyftpdlib",),
        options=[(("--latency-ms",), dict(type=int, default=20))],
        prefix=lambda a: "prefetch/pyftpdlib[latency=%dms]" % a.latency_ms,
        final=lambda a: harness.clean_exit_steps(
            servers=[("server_clean_exit", C.server)])))
