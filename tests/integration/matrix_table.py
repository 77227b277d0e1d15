#!/usr/bin/python3
"""Print the server matrix as a table from a pytest JUnit XML report.

    python3 -m pytest -q tests/integration/test_matrix.py --junitxml=m.xml
    python3 tests/integration/matrix_table.py m.xml [--markdown] [--errors]

Cells: pass, FAIL, xfail (a KNOWN_FAILURES entry that failed), XPASS (a
known failure that passed: remove its entry), ERROR (setup/teardown).
--errors adds one line per failing cell with the first line of its error.
"""

import re
import sys
import xml.etree.ElementTree as ET


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    md = "--markdown" in sys.argv
    cells, errors = {}, {}
    configs, checks = [], []
    for tc in ET.parse(args[0]).getroot().iter("testcase"):
        m = re.match(r"test_(\w+)\[(.+)\]$", tc.get("name", ""))
        if not m:
            continue
        check, cfg = m.groups()
        if cfg not in configs:
            configs.append(cfg)
        if check not in checks:
            checks.append(check)
        state, msg = "pass", ""
        for child in tc:
            if child.tag == "failure":
                state, msg = "FAIL", child.get("message", "")
            elif child.tag == "error":
                state, msg = "ERROR", child.get("message", "")
            elif child.tag == "skipped":
                t = child.get("type", "")
                state = "xfail" if "xfail" in t else "SKIP"
                msg = child.get("message", "")
        if state == "FAIL" and "XPASS(strict)" in msg:
            state = "XPASS"
        prev = cells.get((cfg, check))
        if prev in ("FAIL", "ERROR", "XPASS"):
            continue  # a teardown error after a failure: keep the failure
        cells[(cfg, check)] = state
        if state != "pass":
            errors[(cfg, check)] = msg.strip().split("\n")[0][:300]
    w = max(len(c) for c in checks)
    if md:
        print("| check | " + " | ".join(configs) + " |")
        print("|---|" + "---|" * len(configs))
        for ch in checks:
            print("| %s | %s |" % (ch, " | ".join(
                cells.get((c, ch), "-") for c in configs)))
    else:
        cw = [max(len(c), 5) for c in configs]
        print(" " * w + "  " + "  ".join(c.rjust(x) for c, x in zip(configs, cw)))
        for ch in checks:
            print(ch.ljust(w) + "  " + "  ".join(
                cells.get((c, ch), "-").rjust(x) for c, x in zip(configs, cw)))
    n = {}
    for v in cells.values():
        n[v] = n.get(v, 0) + 1
    print("\n" + ", ".join("%s %d" % kv for kv in sorted(n.items())))
    if "--errors" in sys.argv:
        print()
        for (cfg, ch), msg in sorted(errors.items(), key=lambda kv: (
                checks.index(kv[0][1]), configs.index(kv[0][0]))):
            print("%s [%s] %s: %s" % (ch, cfg, cells[(cfg, ch)], msg))


if __name__ == "__main__":
    main()
