"""The Markdown report: machine facts, the formatting of cells, ratios and
goals, the table, and the merge of an --only run into an earlier report."""

import datetime
import json
import os
import platform
import subprocess

from .common import (MiB, PY, READ_SIZE, REPO, WRITE_DIR, WRITE_USER,
                     one_line)
from .servers import (RCLONE_CONNS, RCLONE_OPTS, RCLONE_TLS_OPTS, TREE_SUB,
                      TREE_TOP)


def wants(a, *keys):
    """Any of these workloads selected (--only; all without it)."""
    return not a.only or any(k in a.only for k in keys)


def cmd_out(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (r.stdout or r.stderr).strip()
    except (OSError, subprocess.SubprocessError) as e:
        return "unavailable (%s)" % e


def machine_facts(a, tree, bench):
    facts = []
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = "%.1f GiB" % (int(line.split()[1]) / 1024.0 ** 2)
    except OSError:
        pass
    build = "?"
    try:
        bdir = os.path.dirname(os.path.realpath(a.ftpfs))
        with open(os.path.join(bdir, "meson-info",
                               "intro-buildoptions.json")) as f:
            o = {x["name"]: x["value"] for x in json.load(f)}
        build = "buildtype=%s, b_sanitize=%s" % (o.get("buildtype"),
                                                 o.get("b_sanitize"))
    except (OSError, ValueError, KeyError):
        pass
    ver = " / ".join(cmd_out([a.ftpfs_run, "--version"]).splitlines())
    facts.append(("date", datetime.datetime.now().strftime("%Y-%m-%d %H:%M")))
    facts.append(("nproc", cmd_out(["nproc"])))
    facts.append(("CPU", cpu))
    facts.append(("memory", mem))
    facts.append(("kernel", platform.release()))
    commit = cmd_out(["git", "-C", REPO, "describe", "--always", "--dirty"])
    facts.append(("ftpfs", "%s (`%s`, %s; source tree: %s)" % (
        ver, os.path.relpath(a.ftpfs, REPO), build, one_line(commit, 60))))
    if os.environ.get("FTPFS_BENCH_BUILD_NOTE"):
        facts.append(("build", "**" + os.environ["FTPFS_BENCH_BUILD_NOTE"]
                      + "**"))
    facts.append(("ftpfs options", "`-o %s`" % a.ftpfs_opts
                  if a.ftpfs_opts else "defaults"))
    facts.append(("curl", cmd_out(["curl", "--version"]).splitlines()[0]))
    facts.append(("servers", "pyftpdlib %s (tests/servers/pyftpd.py%s), "
                  "vsftpd %s (tests/servers/vsftpd.py), on 127.0.0.1" % (
        cmd_out([PY, "-c", "import pyftpdlib; print(pyftpdlib.__ver__)"]),
        "".join(" " + x for x in a.pyftpd_arg),
        cmd_out(["dpkg-query", "-W", "-f", "${Version}", "vsftpd"]))))
    facts.append(("rclone", (cmd_out(["rclone", "version"]).splitlines()[0]
                             + "; `rclone mount :ftp: MNT --ftp-host "
                             "127.0.0.1 --ftp-port P --ftp-user U "
                             "--ftp-pass (obscured) %s --vfs-cache-mode "
                             "off|writes` (writes: also `--vfs-write-back "
                             "0s`), in the foreground as a child; "
                             "\"rclone 4\": also `%s`, \"rclone defaults\": "
                             "without it (rclone's default, 0 = no limit); "
                             "FTPS: also `--ftp-explicit-tls "
                             "--ftp-no-check-certificate %s`"
                             % (" ".join(RCLONE_OPTS),
                                " ".join(RCLONE_CONNS),
                                " ".join(RCLONE_TLS_OPTS))) if a.rclone
                  else "not run (%s)" % a.rclone_why))
    facts.append(("ceiling", "`%s SRC MNT -f` (bench/ceiling/ceiling.c), "
                  "SRC the directory the section's server serves: a local "
                  "mirror through the same libfuse with ftpfs's init and "
                  "thread settings, reads from fd-backed read_buf buffers "
                  "(libfuse splices them with FUSE_CAP_SPLICE_WRITE), "
                  "writes through write_buf; it said at init: `%s`; fresh "
                  "mount per measurement; plain sections only (not the "
                  "capped, logging and latency ones)" % (
                      os.path.relpath(a.ceiling_bin, REPO),
                      bench.ceiling_info or "?")
                  if a.ceiling else "not run (%s)" % a.ceiling_why))
    facts.append(("served tree", "%s (%s); %s empty files in dir/; a %d "
                  "MiB random file `big`; tree/: %d top dirs x %d subdirs "
                  "(%d dirs with tree/ itself), %s files of 1-8 KiB spread "
                  "over the %d leaves (%s bytes); small/: %s files of %d "
                  "KiB%s" % (
                      tree.root, tree.fstype, format(tree.entries, ","),
                      tree.size // MiB, TREE_TOP, TREE_SUB, tree.tree_dirs,
                      format(tree.tree_files, ","), TREE_TOP * TREE_SUB,
                      format(tree.tree_bytes, ","),
                      format(len(tree.small), ","), a.small_kib,
                      "; `capped`, %d MiB random" % (tree.cap_size // MiB)
                      if tree.cap_size else "") + (
                      "; many/: %d files of %d MiB random" % (
                          len(tree.many), tree.many_size // MiB)
                      if tree.many else "")))
    facts.append(("settings", "runs=%d, reads=%d x %d B (FTPS: %d), "
                  "seed=%d, parallel readers=%d%s" % (
                      a.runs, a.reads, READ_SIZE, a.tls_reads, a.seed,
                      a.parallel, ", --quick" if a.quick else "") +
                  (", `--only %s` (only these rows were measured)"
                   % ",".join(a.only) if a.only else "")))
    facts.append(("latency section", "pyftpdlib with `--latency-ms %s`: "
                  "each reply leaves %s ms after its command's bytes "
                  "arrived (a round trip; pipelined commands share one); "
                  "a passive data connection moves its first byte 2 round "
                  "trips after it was connected (its handshake, then the "
                  "exchange); vsftpd cannot add latency, "
                  "so these rows are pyftpdlib only" % (
                      a.latency_ms, a.latency_ms)
                  if a.latency_ms else "skipped (--latency-ms 0)"))
    facts.append(("capped section", "pyftpdlib with `--rate-bps %d` "
                  "(%g MiB/s per data connection), a %d MiB file" % (
                      int(a.cap_mibps * MiB), a.cap_mibps,
                      a.cap_file_mib) if a.cap_mibps and tree.cap_size
                  and wants(a, "capped") else "skipped"))
    facts.append(("WAN row", "pyftpdlib with `--latency-ms %s --rate-bps "
                  "%d` (%g Mbit/s per data connection), the same %d MiB "
                  "file" % (a.latency_ms, int(a.wan_mbit * 1e6 / 8),
                            a.wan_mbit, a.cap_file_mib)
                  if a.wan_mbit and a.latency_ms and tree.cap_size and
                  wants(a, "wan") else "skipped"))
    if a.write and wants(a, "write"):
        facts.append(("writes", "`cp` of a %d MiB random file into %s/ of "
                      "a second server per kind, serving its own root: "
                      "pyftpdlib as user `%s` (full permissions), vsftpd "
                      "anonymous (tests/servers/vsftpd.py --writable); "
                      "size + sha256 checked on the server's disk after "
                      "every `cp`/`curl -T`" % (a.write_mib, WRITE_DIR,
                                                WRITE_USER)))
    else:
        facts.append(("writes", "skipped (%s)" % (
            "--no-write" if not a.write else "not in --only")))
    if a.tls:
        facts.append(("FTPS", "vsftpd, explicit TLS (AUTH TLS; ftpfs "
                      "`ftpes://`): tests/servers/vsftpd.py --writable "
                      "--tls-cert --tls-key --tls-force%s (anonymous logins "
                      "and data must be encrypted, require_ssl_reuse=YES, "
                      "uploads into %s/); self-signed RSA-2048 certificate "
                      "for IP 127.0.0.1 made at run time; ftpfs "
                      "`-o fingerprint=sha256:…`, curl `--ssl-reqd "
                      "--cacert`; curl negotiated %s" % (
                          (" --tls-version " + a.tls_version)
                          if a.tls_version else "", WRITE_DIR,
                          bench.tls_info or "?")))
    else:
        facts.append(("FTPS", "skipped (%s)" % a.tls_skip_why))
    return facts


def fmt_secs(s):
    if s >= 100:
        return "%.0f s" % s
    if s >= 10:
        return "%.1f s" % s
    if s >= 1:
        return "%.2f s" % s
    return "%.3f s" % s


def fmt_cell(row, cell, who="ftpfs"):
    if cell.failed:
        if who in ("rclone", "ceiling"):
            return "failed (%s)" % cell.failed.replace("|", "\\|")
        return "**FAILED**: " + cell.failed.replace("|", "\\|")
    m = cell.median()
    if m is None:
        return "–"
    if row.unit == "MiB":
        return "%.1f MiB" % m
    s = fmt_secs(m)
    if row.size and m > 0 and row.key != "reread":
        s += " (%.0f MiB/s)" % (row.size / MiB / m)
    fb = [f for f in getattr(cell, "first_byte", []) if f is not None]
    if row.key == "many" and fb:
        s += "; first byte ≤ %s" % fmt_secs(max(fb))
    if row.key == "reread":
        tr = getattr(cell, "transfers", None)
        if tr:
            s += "; 2nd read: %s RETR, %s" % (
                "/".join(str(x[0]) for x in tr),
                "/".join(fmt_bytes(x[1]) for x in tr))
    return s


def fmt_bytes(n):
    if n >= MiB:
        return "%.0f MiB" % (n / MiB)
    if n >= 1024:
        return "%.0f KiB" % (n / 1024)
    return "%d B" % n


def ratio(row, cell, base=None):
    """cell's median over base's (default: raw's), None if either is
    missing or failed."""
    base = base or row.raw
    if cell.failed or base.failed:
        return None
    f, r = cell.median(), base.median()
    if f is None or r is None or r == 0:
        return None
    return f / r


def fmt_ratio(row, cell, base=None):
    x = ratio(row, cell, base)
    if x is None:
        return "–"
    s = "%.2f×" % x if x < 10 else "%.1f×" % x
    if row.size and row.unit == "s" and x > 0 and row.key != "reread":
        s += " (%.2f× MiB/s)" % (1 / x)
    return s


def goal_text(row):
    if not row.goal:
        return "–"
    kind, v = row.goal[:2]
    if kind == "tput_ge":
        return "MiB/s ≥ %g× raw" % v
    if kind == "ceil_tput_ge":
        return "MiB/s ≥ %g× ceiling" % v
    if kind == "ratio_le":
        return "≤ %g× raw" % v
    if kind == "ratio_le_rclone":
        return "≤ %g× raw and faster than rclone (defaults)" % v
    if kind == "abs_le":
        return "≤ %g %s" % (v, row.unit)
    if kind == "tput_fb":
        return "MiB/s ≥ %g× raw, no first byte after > %g s" % (
            v, row.goal[2])
    return "?"


def goal_met(row):
    """'met', '**not met**' or '–' (no goal, or nothing to judge)."""
    if not row.goal or row.ftpfs.failed:
        return "–" if not row.goal else "**not met** (failed)"
    kind, v = row.goal[:2]
    m = row.ftpfs.median()
    if m is None:
        return "–"
    if kind == "abs_le":
        ok = m <= v
    elif kind == "tput_fb":
        x = ratio(row, row.ftpfs)
        fb = [f for f in getattr(row.ftpfs, "first_byte", []) if f is not None]
        if x is None or not fb:
            return "–"
        ok = x > 0 and 1 / x >= v and max(fb) <= row.goal[2]
    else:
        x = ratio(row, row.ftpfs, row.ceiling if kind == "ceil_tput_ge"
                  else None)
        if x is None:
            return "–"
        ok = (x <= v) if kind.startswith("ratio_le") else \
            (x > 0 and 1 / x >= v)
        if ok and kind == "ratio_le_rclone":
            r = row.rclone_def.median() if row.rclone_def.live() or \
                row.rclone_def.skipped else None
            if r is None:
                return "met (≤ raw; rclone (defaults) not measured)"
            ok = m < r
    return "met" if ok else "**not met**"


def report(a, tree, bench, facts):
    out = []
    title = "ftpfs vs raw (curl / ftplib) vs rclone mount"
    if a.quick:
        title += " (--quick)"
    out.append("# " + title)
    out.append("")
    for k, v in facts:
        out.append("* %s: %s" % (k, v))
    out.append("")
    out.append("Medians of %d run%s%s. Ratios: time ÷ raw's time (< 1: "
               "faster than raw), or RSS ÷ curl's RSS; for rows that move "
               "a file also MiB/s ÷ raw's MiB/s in parentheses; ftpfs ÷ "
               "ceiling likewise against the ceiling (bench/ceiling: the "
               "served directory mirrored through FUSE with ftpfs's "
               "settings, no FTP; plain sections only). Every ftpfs, "
               "ceiling and rclone run uses a fresh mount. \"goal\" is "
               "issue 16's target for ftpfs; \"met\" is computed from "
               "these medians. rclone: `--vfs-cache-mode off`, except the "
               "`cp` rows (`writes`); \"rclone defaults\" with its default "
               "connection count, \"rclone 4\" with `--ftp-concurrency 4` "
               "(ftpfs's 4 connections)." % (
                   a.runs, "" if a.runs == 1 else "s",
                   " (the %s ms RTT section: %d)" % (a.latency_ms,
                                                     a.latency_runs)
                   if a.latency_ms and a.latency_runs != a.runs else ""))
    out.append("")
    out.append("| server | workload | ftpfs | raw | ceiling | rclone "
               "defaults | rclone 4 | ftpfs ÷ raw | ftpfs ÷ ceiling | "
               "rclone defaults ÷ raw | rclone 4 ÷ raw | goal (ftpfs) | met "
               "| raw is |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in bench.rows:
        note = row.note
        chosen = row.pick_raw()
        if chosen:
            parts = []
            for n, c in row.alts:
                desc = {"curl": "`curl -r` per read (connect+login each)",
                        "ftplib": "ftplib, one session: REST+RETR, read "
                                  "4 KiB, close data conn, per read"}[n]
                med = c.median()
                parts.append("%s: %s" % (desc, "FAILED" if c.failed else
                                         (fmt_secs(med) if med is not None
                                          else "–")))
            note = "faster of [%s] → **%s**" % ("; ".join(parts), chosen)
        if a.rclone:
            rcl = [fmt_cell(row, c, "rclone") for c in (row.rclone_def,
                                                          row.rclone)]
            rclr = [fmt_ratio(row, c) for c in (row.rclone_def, row.rclone)]
        else:
            rcl = [a.rclone_cell] * 2
            rclr = ["–"] * 2
        ceil = fmt_cell(row, row.ceiling, "ceiling") if a.ceiling else \
            a.ceiling_cell
        out.append("| %s |" % " | ".join([
            row.server, row.title, fmt_cell(row, row.ftpfs),
            fmt_cell(row, row.raw), ceil] + rcl + [
            fmt_ratio(row, row.ftpfs), fmt_ratio(row, row.ftpfs, row.ceiling)]
            + rclr + [goal_text(row), goal_met(row), note]))
    for kind, why in bench.skipped:
        out.append("| %s | *skipped* |%s %s |" % (kind, " – |" * 11, why))
    out.append("")
    if a.tls:
        out.append("FTPS raw curl times include curl's own wait before each "
                   "transfer starts (its `time_pretransfer`, listed under "
                   "\"all runs\"): connect, TLS handshake, login, and a "
                   "stall of curl 7.88 with vsftpd around the data "
                   "connection's TLS handshake. See bench/README.md. "
                   "rclone over FTPS: `--ftp-explicit-tls "
                   "--ftp-no-check-certificate` (it does not verify the "
                   "self-signed certificate; rclone's global "
                   "`--no-check-certificate` does not reach its FTP "
                   "backend) and `--ftp-disable-tls13`: over TLS 1.3 "
                   "rclone 1.60's data connections get \"remote error: "
                   "tls: illegal parameter\" from vsftpd, so rclone runs "
                   "on TLS 1.2 while ftpfs and curl use TLS 1.3.")
        out.append("")
    out.append("<details><summary>all runs</summary>")
    out.append("")
    for row in bench.rows:
        sides = [("ftpfs", row.ftpfs)]
        if row.alts:
            sides += [("raw " + n, c) for n, c in row.alts]
        elif not (row.key == "ls_warm"):
            sides.append(("raw", row.raw))
        if a.ceiling:
            sides.append(("ceiling", row.ceiling))
        if a.rclone:
            sides.append(("rclone defaults", row.rclone_def))
            sides.append(("rclone 4", row.rclone))
        for side, cell in sides:
            if side.startswith("ceiling") and not cell.values and \
                    not cell.failed:
                continue
            vals = ", ".join(("%.1f" % v) if row.unit == "MiB"
                             else fmt_secs(v) for v in cell.values)
            pre = ""
            if cell.pretransfer:
                pre = "; curl's time_pretransfer (connect, TLS, login, " \
                      "until the transfer starts%s): %s" % (
                          ", summed over the reads" if row.key == "rnd"
                          else "", ", ".join(fmt_secs(v)
                                             for v in cell.pretransfer))
            ext = [e for e in cell.extra if e]
            out.append("* %s, %s, %s: %s%s%s%s%s" % (
                row.server, row.title.replace("`", ""), side, vals or "–",
                pre, (" [%s]" % "; ".join(ext)) if ext else "",
                (" (%s)" % cell.skipped) if cell.skipped else "",
                (" (FAILED: %s)" % cell.failed) if cell.failed else ""))
    out.append("")
    out.append("</details>")
    out.append("")
    if bench.problems:
        out.append("## Problems")
        out.append("")
        for kind, what, text, err in bench.problems:
            out.append("* %s, %s: %s" % (kind, what, text))
            if err:
                out.append("")
                out.append("  ```")
                for l in err.splitlines()[-15:]:
                    out.append("  " + l)
                out.append("  ```")
        out.append("")
    else:
        out.append("No problems observed (every ftpfs read was checked "
                   "against the file on disk%s)." % (
                       ", every upload on the server's disk" if
                       (a.write or a.tls) else ""))
        out.append("")
    return "\n".join(out)


def row_key(line):
    """(server, workload) of a table row."""
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    return tuple(cells[:2])


def merge_rows(old, new):
    """Table rows: old ones with each new row in place of the old one of
    the same server and workload, or (a new row) after the last old row of
    its server."""
    out = list(old)
    for line in new:
        k = row_key(line)
        hit = [i for i, l in enumerate(out) if row_key(l) == k]
        if hit:
            out[hit[0]] = line
            continue
        same = [i for i, l in enumerate(out) if row_key(l)[0] == k[0]]
        skipped = [i for i, l in enumerate(out) if "*skipped*" in l]
        at = same[-1] + 1 if same else (skipped[0] if skipped else len(out))
        out.insert(at, line)
    return out


def merge_runs(table, old, new):
    """"all runs" lines in the order of the table's rows, a row's lines
    from the new run if it has them, else the old ones."""
    out = []
    used = set()
    for row in table:
        server, title = row_key(row)
        prefix = "* %s, %s, " % (server, title.replace("`", ""))
        mine = [l for l in new if l.startswith(prefix)] or \
            [l for l in old if l.startswith(prefix)]
        out += [l for l in mine if l not in used]
        used.update(mine)
    return out + [l for l in old + new if l not in used]


def merge_report(old_text, new_text, a):
    """An --only run's report merged into the last full one: its table
    rows and "all runs" lines replace those of the same server and
    workload (or are added), a line under the facts says what this run
    measured, its facts and problems follow at the end.  None when the
    old text does not look like a report."""
    def parts(text):
        lines = text.split("\n")
        try:
            t0 = next(i for i, l in enumerate(lines)
                      if l.startswith("| server | workload"))
            t1 = next(i for i in range(t0 + 2, len(lines))
                      if not lines[i].startswith("|"))
            d0 = lines.index("<details><summary>all runs</summary>")
            d1 = lines.index("</details>", d0)
        except (StopIteration, ValueError):
            return None
        return lines, t0 + 2, t1, d0 + 2, d1
    o, n = parts(old_text), parts(new_text)
    if not o or not n:
        return None
    ol, ot0, ot1, od0, od1 = o
    nl, nt0, nt1, nd0, nd1 = n
    new_rows = nl[nt0:nt1]
    new_runs = [l for l in nl[nd0:nd1] if l.strip()]
    table = merge_rows(ol[ot0:ot1], [l for l in new_rows
                                      if "*skipped*" not in l])
    runs = merge_runs(table, [l for l in ol[od0:od1] if l.strip()],
                      new_runs)
    facts = [l for l in nl[:nt0] if l.startswith("* ")]
    when = next((l[len("* date: "):] for l in facts
                 if l.startswith("* date: ")), "?")
    load = next((l.split(": ", 1)[1] for l in facts
                 if l.startswith("* load average")), "?")
    what = "; ".join("%s: %s" % row_key(l) for l in new_rows
                     if "*skipped*" not in l)
    note = "* **rows from a later partial run** (`--only %s`, %s; load " \
        "average %s): %s; every other row is from the run above (its " \
        "facts, settings and details; those of the partial run are at the " \
        "end)" % (",".join(a.only), when, load, what)
    head = [l for l in ol[:ot0 - 2] if not
            l.startswith("* **rows from a later partial run**")]
    fact_end = max(i for i, l in enumerate(head) if l.startswith("* ")) + 1
    head = head[:fact_end] + [note] + head[fact_end:]
    tail = ol[od1 + 1:]
    cut = next((i for i, l in enumerate(tail)
                if l.startswith("## The partial run")), len(tail))
    tail = tail[:cut]
    while tail and not tail[-1].strip():
        tail.pop()
    extra = ["", "## The partial run (`--only %s`, %s)" % (
        ",".join(a.only), when), ""] + facts + nl[nd1 + 1:]
    return "\n".join(head + ol[ot0 - 2:ot0] + table + ol[ot1:od0] +
                     runs + [""] + ol[od1:od1 + 1] + tail + extra).rstrip() \
        + "\n"
