#!/usr/bin/python3
"""Soak: many processes at once on a small pool, through a flaky link.

    /usr/bin/python3 tests/integration/test_soak.py [--seconds S]
        [--workers N] [--seed N] [--drop-every S]

32 worker processes (--workers) read, write, append, rename and delete in
a shared tree for --seconds (default 40) on a mount with connections=4,
against pyftpdlib behind a proxy of this test's that closes a random
control connection every --drop-every seconds (default 3; 0 = never).
Data connections go straight to the server (ftpfs connects to the control
peer's address), and the server aborts a transfer whose control connection
is gone, so a drop also breaks a transfer that was running.

Each worker owns a directory and keeps a model of it (name -> bytes).
Every worker also appends numbered lines to one shared log file.

The checks, at the end:
* no operation failed with anything but EIO, and every EIO overlapped a
  drop (a drop within one second of the operation's start and end): no
  ENOENT on a file just written, no ESTALE, no EIO the faults do not
  explain;
* the server's tree equals the model: each file the model knows has its
  bytes; a file whose last change failed (EIO) has either its old or its
  new bytes, never anything else, except that an append (APPE on the
  file itself) that could not resume may leave the old bytes and a part
  of the new (counted in the note: an interrupted append resumes, so
  these are rare); no other names (no temporaries, no
  .fuse_hidden, no .ftpfs-tmp-*);
* every line appended with success is in the shared log exactly once;
  lines whose append failed are there at most once;
* no operation took longer than 60 s (no deadlock), and ftpfs exits 0
  with no sanitizer report at unmount.
Exit 0 = all passed, 1 = a failure, 77 = skipped.
"""

import errno
import json
import os
import random
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

OP_LIMIT = 60.0  # seconds: longer is a hang


# --- the flaky proxy ------------------------------------------------------

class DropProxy(harness.Relay):
    """A relay to a server port that every `every` seconds (randomised
    +-50%) closes one live connection pair at random while `dropping`, and
    records the time (time.monotonic())."""

    def __init__(self, target_port, every, seed):
        super().__init__(target_port)
        self.every = every
        self.rng = random.Random(seed)
        self.drops = []
        self.dropping = True  # False: relay only (the unmount's cleanup)
        if every > 0:
            threading.Thread(target=self._dropper, daemon=True).start()

    def _dropper(self):
        while not self.stopping:
            time.sleep(self.every * self.rng.uniform(0.5, 1.5))
            with self.lock:
                if not self.pairs or self.stopping or not self.dropping:
                    continue
                pair = self.rng.choice(self.pairs)
                self.drops.append(time.monotonic())
            self.cut(pair)


# --- a worker (run as a child process: test_soak.py --worker ...) ---------

def worker(mnt, wid, seed, seconds, out):
    rng = random.Random(seed * 1000 + wid)
    mine = os.path.join(mnt, "w%02d" % wid)
    shared = os.path.join(mnt, "shared", "log")
    model = {}      # name -> bytes (what must be there)
    maybe = {}      # name -> set of possible contents (bytes or None=absent)
    parts = {}      # name -> (old, new) of a failed append: old + a part
    errors = []     # (op, name, errno, start, end)
    appended = []   # (line, ok)
    slow = []
    seq = 0
    deadline = time.monotonic() + seconds

    def content():
        n = rng.choice([0, 1, 100, 4096, 70000, 300000])
        return bytes(rng.getrandbits(8) for _ in range(min(n, 64))) * \
            (n // 64 if n >= 64 else 1) if n else b""

    def settle(name, old, new, ok):
        """After an operation on name: old/new are bytes or None (absent)."""
        if ok:
            maybe.pop(name, None)
            if new is None:
                model.pop(name, None)
            else:
                model[name] = new
        else:
            opts = maybe.pop(name, set())
            opts |= {old, new}
            model.pop(name, None)
            maybe[name] = opts

    def current(name):
        if name in maybe:
            return "?"
        return model.get(name)

    while time.monotonic() < deadline:
        seq += 1
        names = sorted(set(model) | set(maybe))
        op = rng.choice(["create", "create", "append", "overwrite", "rename",
                         "unlink", "read", "read", "shared", "shared"])
        if op != "create" and op != "shared" and not names:
            op = "create"
        name = ("f%04d" % seq) if op == "create" else \
            (rng.choice(names) if names else None)
        t0 = time.monotonic()
        err = None
        try:
            if op == "create":
                data = content()
                old = None
                try:
                    with open(os.path.join(mine, name), "wb") as f:
                        f.write(data)
                except OSError as e:
                    settle(name, old, data, False)
                    raise
                settle(name, old, data, True)
            elif op in ("append", "overwrite"):
                old = current(name)
                if old == "?" or old is None:
                    continue
                data = content()
                new = old + data if op == "append" else data
                try:
                    with open(os.path.join(mine, name),
                              "ab" if op == "append" else "wb") as f:
                        f.write(data)
                except OSError:
                    settle(name, old, new, False)
                    if op == "append":
                        parts[name] = (old, new)
                    raise
                settle(name, old, new, True)
            elif op == "rename":
                old = current(name)
                if old == "?" or old is None:
                    continue
                to = "r%04d" % seq
                try:
                    os.rename(os.path.join(mine, name), os.path.join(mine, to))
                except OSError:
                    settle(name, old, None, False)
                    settle(to, None, old, False)
                    raise
                settle(name, old, None, True)
                settle(to, None, old, True)
            elif op == "unlink":
                old = current(name)
                if old == "?" or old is None:
                    continue
                try:
                    os.unlink(os.path.join(mine, name))
                except OSError:
                    settle(name, old, None, False)
                    raise
                settle(name, old, None, True)
            elif op == "read":
                want = current(name)
                if want == "?" or want is None:
                    continue
                with open(os.path.join(mine, name), "rb") as f:
                    got = f.read()
                if got != want:
                    errors.append(("read-mismatch", name, 0, t0,
                                   time.monotonic(), len(got), len(want)))
            elif op == "shared":
                line = "w%02d %06d\n" % (wid, seq)
                try:
                    with open(shared, "a") as f:
                        f.write(line)
                except OSError:
                    appended.append((line, False))
                    raise
                appended.append((line, True))
        except OSError as e:
            err = e.errno
        t1 = time.monotonic()
        if err is not None:
            errors.append((op, name, err, t0, t1))
        if t1 - t0 > OP_LIMIT:
            slow.append((op, name, t1 - t0))
    with open(out, "w") as f:
        json.dump({
            "model": {k: v.hex() for k, v in model.items()},
            "maybe": {k: [None if v is None else v.hex() for v in vs]
                      for k, vs in maybe.items()},
            "parts": {k: [o.hex(), n.hex()] for k, (o, n) in parts.items()},
            "errors": errors, "appended": appended, "slow": slow,
            "ops": seq}, f)
    return 0


# --- the test -------------------------------------------------------------

def check(root, results, drops):
    problems = []
    explained = 0
    partial = 0
    for wid, res in sorted(results.items()):
        d = os.path.join(root, "w%02d" % wid)
        for e in res["errors"]:
            op, name, err, t0, t1 = e[:5]
            if op == "read-mismatch":
                problems.append("w%02d: %s read %d bytes, want %d"
                                % (wid, name, e[5], e[6]))
                continue
            near = any(t0 - 1 <= t <= t1 + 1 for t in drops)
            if err == errno.EIO and near:
                explained += 1
                continue
            problems.append("w%02d: %s %s: %s%s" % (
                wid, op, name, errno.errorcode.get(err, err),
                "" if near else " (no drop near it)"))
        for s in res["slow"]:
            problems.append("w%02d: %s %s took %.0f s" % ((wid,) + tuple(s)))
        on_disk = set(os.listdir(d)) if os.path.isdir(d) else set()
        for name, hexdata in res["model"].items():
            p = os.path.join(d, name)
            if name not in on_disk:
                problems.append("w%02d/%s: missing on the server" % (wid, name))
                continue
            with open(p, "rb") as f:
                if f.read() != bytes.fromhex(hexdata):
                    problems.append("w%02d/%s: wrong bytes on the server"
                                    % (wid, name))
        for name, opts in res["maybe"].items():
            opts = [None if o is None else bytes.fromhex(o) for o in opts]
            if name in on_disk:
                with open(os.path.join(d, name), "rb") as f:
                    got = f.read()
            else:
                got = None
            part = res["parts"].get(name)
            if got not in opts and part and got is not None:
                old, new = (bytes.fromhex(x) for x in part)
                if got.startswith(old) and new.startswith(got):
                    partial += 1  # an append that could not resume
                    continue
            if got not in opts:
                problems.append("w%02d/%s: after a failed change, neither the "
                                "old nor the new bytes (%s)" % (
                                    wid, name, "absent" if got is None
                                    else "%d bytes" % len(got)))
        extra = on_disk - set(res["model"]) - set(res["maybe"])
        if extra:
            problems.append("w%02d: names on the server the model lacks: %s"
                            % (wid, ", ".join(sorted(extra)[:5])))
    with open(os.path.join(root, "shared", "log")) as f:
        lines = f.read().splitlines(True)
    count = {}
    for l in lines:
        count[l] = count.get(l, 0) + 1
    for wid, res in sorted(results.items()):
        for line, ok in res["appended"]:
            n = count.get(line, 0)
            if ok and n != 1:
                problems.append("shared log: %r appended once, found %d times"
                                % (line, n))
            if not ok and n > 1:
                problems.append("shared log: %r (failed) found %d times"
                                % (line, n))
    junk = []
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            if n.startswith(".ftpfs-tmp") or n.startswith(".fuse_hidden"):
                junk.append(os.path.relpath(os.path.join(dirpath, n), root))
    if junk:
        problems.append("left on the server: %s" % ", ".join(junk[:5]))
    return problems, explained, partial


class C:
    a = top = root = mp = server = None


R = harness.Runner(prefix="soak")


@R.test
def soak():
    a, top, root, mp = C.a, C.top, C.root, C.mp
    server = harness.start_server("pyftpdlib", root, user="soak",
                                  password="soak")
    proxy = DropProxy(server.port, a.drop_every, a.seed)
    C.server = server
    try:
        url = "ftp://soak:soak@127.0.0.1:%d/" % proxy.port
        m = harness.mount(url, mp, ["connections=4", "reconnect_timeout=10"] + [o for o in os.environ.get("FTPFS_SOAK_OPTS", "").split(",") if o])
        outs, procs = {}, {}
        try:
            for wid in range(a.workers):
                outs[wid] = os.path.join(top, "w%02d.json" % wid)
                procs[wid] = subprocess.Popen(
                    [sys.executable, os.path.abspath(__file__), "--worker",
                     mp, str(wid), str(a.seed), str(a.seconds),
                     outs[wid]])
            bad = []
            for wid, pr in procs.items():
                try:
                    rc = pr.wait(a.seconds + 120)
                except subprocess.TimeoutExpired:
                    pr.kill()
                    pr.wait()
                    rc = "hung"
                if rc != 0:
                    bad.append("worker %d: exit %s" % (wid, rc))
        finally:
            for pr in procs.values():
                if pr.poll() is None:
                    pr.kill()
                    pr.wait()
            proxy.dropping = False  # no drops during the unmount
            m.unmount()
        proxy.stop()
        if bad:
            raise AssertionError("; ".join(bad))
        results = {}
        for wid, out in outs.items():
            with open(out) as f:
                results[wid] = json.load(f)
        problems, explained, partial = check(root, results, proxy.drops)
        ops = sum(r["ops"] for r in results.values())
        note = "%d operations, %d drops, %d EIO during drops, %d " \
            "failed appends left a part" % (
                ops, len(proxy.drops), explained, partial)
        if problems:
            raise AssertionError("%s; %d problems:\n%s" % (
                note, len(problems), "\n".join(problems[:40])))
        return note
    finally:
        proxy.stop()


def run_worker(a):
    if not a.worker:
        return None
    m, wid, seed, secs, out = a.worker
    return worker(m, int(wid), int(seed), float(secs), out)


def setup(a, top):
    R.timeout = a.seconds + 300
    C.a, C.top = a, top
    C.root = root = os.path.join(top, "tree")
    os.makedirs(os.path.join(root, "shared"))
    for wid in range(a.workers):
        os.mkdir(os.path.join(root, "w%02d" % wid))
    open(os.path.join(root, "shared", "log"), "w").close()
    C.mp = os.path.join(top, "mnt")
    os.mkdir(C.mp)
    print("# seed %d, %d workers, %.0f s, a drop every ~%.1f s"
          % (a.seed, a.workers, a.seconds, a.drop_every))


if __name__ == "__main__":
    sys.exit(harness.main(
        R, "ftpfs-soak-", setup=setup, needs=("pyftpdlib",), early=run_worker,
        final=lambda a: [("server_clean_exit", lambda: C.server.stop())],
        options=[
            (("--seconds",), dict(type=float, default=float(
                os.environ.get("FTPFS_SOAK_SECONDS", 40)))),
            (("--workers",), dict(type=int, default=32)),
            (("--seed",), dict(type=int, default=int(time.time()) % 10000)),
            (("--drop-every",), dict(type=float, default=3.0)),
            (("--worker",), dict(nargs=5, metavar=("MNT", "ID", "SEED",
                                                  "SECS", "OUT")))]))
