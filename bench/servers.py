#!/usr/bin/python3
"""Small files into ProFTPD and Pure-FTPd, plain FTP next to FTPS.

    bench/servers.sh [--files 500] [--kib 4] [--runs 3] [--no-curl]
                     [--servers proftpd,pureftpd]

For each daemon (unpacked by tests/servers/unpack.sh and started by the
test harness's launchers on 127.0.0.1) and each of plain FTP, explicit
FTPS (ftpes://) and, for ProFTPD, implicit FTPS (ftps://): `cp -r` of
FILES files of KIB KiB into a fresh directory of a fresh ftpfs mount, timed
until cp returns (the data is then on the server: close() has committed
it), checked with `diff -r` against the source and, for ProFTPD over
TLS, against its TLS log ("client did not reuse TLS session" must not
appear). The raw column uploads the same files with Python's ftplib over
one kept session (FTP / FTP_TLS with PROT P), and with one curl -T
{a,b,...} command, so they pay one data connection per file as ftpfs
does; a raw client that fails (Python's ssl resumes a TLS 1.3 session
only once, which ProFTPD refuses) says so in its cell. Medians of RUNS runs; a Markdown table
goes to stdout and to bench/results-servers.md.

A benchmark, not a test: nothing fails on a timing.
"""

import argparse
import ftplib
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
import harness  # noqa: E402

MODES = {"proftpd": (None, "explicit", "implicit"),
         "pureftpd": (None, "explicit")}
REFUSAL = "client did not reuse TLS session"  # ProFTPD's TLSLog
MODE_NAME = {None: "ftp://", "explicit": "ftpes://", "implicit": "ftps://"}


def make_source(top, files, kib):
    src = os.path.join(top, "src")
    os.makedirs(src)
    for i in range(files):
        with open(os.path.join(src, "f%04d.bin" % i), "wb") as f:
            f.write(os.urandom(kib * 1024))
    return src


def raw_upload(server, src, dest, tls):
    """Upload every file of src into dest with ftplib over one session."""
    if tls == "implicit":
        return None  # ftplib has no implicit TLS
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    f = ftplib.FTP_TLS(context=ctx) if tls else ftplib.FTP()
    f.connect("127.0.0.1", server.port, timeout=60)
    if tls:
        f.auth()
    f.login(server.user, server.password)
    if tls:
        f.prot_p()
    t0 = time.monotonic()
    f.mkd(dest)
    for n in sorted(os.listdir(src)):
        with open(os.path.join(src, n), "rb") as fh:
            f.storbinary("STOR %s/%s" % (dest, n), fh)
    t = time.monotonic() - t0
    f.quit()
    return t


def curl_upload(server, src, dest, tls):
    """The same with one curl command (one connection, -T {a,b,...})."""
    names = sorted(os.listdir(src))
    scheme = {None: "ftp", "explicit": "ftp", "implicit": "ftps"}[tls]
    cmd = ["curl", "-sS", "--ftp-create-dirs", "-k",
           "-T", "{%s}" % ",".join(names),
           "%s://%s:%s@127.0.0.1:%d%s/" % (scheme, server.user,
                                            server.password, server.port,
                                            dest)]
    if tls == "explicit":
        cmd.insert(1, "--ssl-reqd")
    t0 = time.monotonic()
    r = subprocess.run(cmd, cwd=src, capture_output=True, text=True,
                       timeout=900)
    t = time.monotonic() - t0
    if r.returncode != 0:
        return "fails: " + (r.stderr.strip().splitlines() or ["?"])[-1][:80]
    return t


def ftpfs_upload(server, root, mp, src, dest, opts):
    m = harness.mount(server.url("/"), mp, opts)
    try:
        t0 = time.monotonic()
        harness.check_run(["cp", "-r", src, os.path.join(mp, dest)],
                          timeout=900)
        t = time.monotonic() - t0
        m.unmount()
    except BaseException:
        m.unmount()
        raise
    r = subprocess.run(["diff", "-r", src, os.path.join(root, dest)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("diff -r after cp -r: %s" % r.stdout[:500])
    return t


def summary(vals):
    """Median of the timings, or the first failure's text."""
    bad = [v for v in vals if isinstance(v, str)]
    if bad:
        return bad[0]
    return statistics.median(vals) if vals else None


def cell(v):
    if v is None:
        return "—"
    return "%.2f s" % v if isinstance(v, float) else v


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--files", type=int, default=500)
    p.add_argument("--kib", type=int, default=4)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--servers", default="proftpd,pureftpd")
    p.add_argument("--no-curl", dest="curl", action="store_false",
                   help="no curl column (curl stalls for seconds per file "
                        "against Pure-FTPd here)")
    p.add_argument("-o", dest="opts", default="",
                   help="extra ftpfs -o options")
    p.add_argument("--output", default=os.path.join(HERE, "results-servers.md"))
    a = p.parse_args(argv)
    harness.install_signal_cleanup()
    top = tempfile.mkdtemp(prefix="ftpfs-bench-srv-",
                           dir=harness.fast_tmpdir())
    rows = []
    try:
        src = make_source(top, a.files, a.kib)
        for kind in a.servers.split(","):
            for tls in MODES[kind]:
                root = os.path.join(top, "root-%s-%s" % (kind, tls))
                mp = os.path.join(top, "mnt")
                os.makedirs(root)
                os.makedirs(mp, exist_ok=True)
                os.chmod(top, 0o755)
                server = harness.start_server(kind, root, tls=tls)
                uid, gid = server.run_ids()
                os.chown(root, uid, gid)
                opts = ["no_verify"] + [o for o in a.opts.split(",") if o]
                ours, raw, curl = [], [], []
                refused = 0
                try:
                    for i in range(a.runs):
                        before = server.log_text().count(REFUSAL)
                        ours.append(ftpfs_upload(server, root, mp, src,
                                                 "cp%d" % i, opts))
                        refused += server.log_text().count(REFUSAL) - before
                        try:
                            r = raw_upload(server, src, "/raw%d" % i, tls)
                        except ftplib.all_errors as e:
                            r = "fails: %s" % str(e)[:80]
                        if r is not None:
                            raw.append(r)
                        if a.curl:
                            curl.append(curl_upload(server, src,
                                                    "/curl%d" % i, tls))
                finally:
                    server.stop()
                rows.append((kind, MODE_NAME[tls], statistics.median(ours),
                             summary(raw), summary(curl), refused))
                print("# %s %s: ftpfs %s, ftplib %s, curl %s, TLS reuse "
                      "refusals %d" % (kind, MODE_NAME[tls], ours, raw, curl,
                                       refused), file=sys.stderr)
                shutil.rmtree(root, ignore_errors=True)
    finally:
        harness.cleanup_all()
        shutil.rmtree(top, ignore_errors=True)
    out = ["# Small files into ProFTPD and Pure-FTPd",
           "",
           "`bench/servers.sh --files %d --kib %d --runs %d` on %s: `cp -r` "
           "of %d files of %d KiB into a fresh mount, median of %d runs; raw "
           "= Python ftplib (one session, one STOR per file) and one "
           "`curl -T {...}` (one connection)." % (
               a.files, a.kib, a.runs, time.strftime("%Y-%m-%d"), a.files,
               a.kib, a.runs),
           "",
           "| server | URL | ftpfs cp -r | raw ftplib | raw curl -T | "
           "ftpfs / best raw | ProFTPD TLS reuse refusals during ftpfs's runs |",
           "|---|---|---|---|---|---|---|"]
    for kind, mode, ours, raw, curl, refused in rows:
        best = min([x for x in (raw, curl) if isinstance(x, float)],
                   default=None)
        out.append("| %s | %s | %.2f s | %s | %s | %s | %s |" % (
            kind, mode, ours, cell(raw), cell(curl),
            "%.2f×" % (ours / best) if best else "—",
            refused if kind == "proftpd" and mode != "ftp://" else "—"))
    text = "\n".join(out) + "\n"
    print(text)
    with open(a.output, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
