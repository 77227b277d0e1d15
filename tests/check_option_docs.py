#!/usr/bin/python3
"""Check --help, ftpfs.8 and README.md against options.c's option table.

usage: check_option_docs.py DUMP_OPTIONS FTPFS FTPFS_8 README_MD

DUMP_OPTIONS (tests/unit/dump_options.c) prints the table's rows and the
other words the parser takes. For every row:
  * --help has an entry naming it and, when the row has a default, saying
    "default D";
  * ftpfs.8's OPTIONS section has a .TP entry naming it and, when the row
    has a default, saying "default D" (or "D (the default");
  * README.md's option table has a row naming it, whose default column is
    D; "off" for a flag; empty (or "none") for a value without one.
  (-h, --help and the like are not in README's table of -o options.)
And no entry of --help, ftpfs.8's OPTIONS or README's table names an
option that neither the table nor the other words have, FUSE's own aside.
Exit status 1 with one line per problem.
"""
import re
import subprocess
import sys

# FUSE's options the documentation also names (they go to libfuse)
FUSE_WORDS = {"-f", "-d", "-s", "ro", "rw", "allow_other",
              "default_permissions", "max_threads", "uid", "gid", "umask"}

NAME = re.compile(r"-{0,2}[A-Za-z_][A-Za-z0-9_]*")


def load_table(dump):
    out = subprocess.run([dump], check=True, capture_output=True,
                         text=True).stdout
    rows, words = [], set()
    for line in out.splitlines():
        f = line.split("\t")
        name = NAME.match(f[1]).group(0)
        words.add(name)
        if f[0] == "opt":
            rows.append({"name": name, "type": f[2], "default": f[3] or None,
                         "usage": f[4]})
    return rows, words


def names_in(column):
    """Option names in a usage column: "-o cert=FILE,key=FILE" gives cert
    and key, "-h, --help" gives -h and --help."""
    column = column.strip()
    if column.startswith("-o "):
        parts = column[3:].split(",")
    else:
        parts = column.split(", ")
    found = []
    for p in parts:
        m = NAME.match(p.strip())
        if m:
            found.append(m.group(0))
    return found


def says_default(text, name, default):
    """Does text give default as the default of option name?"""
    text = " ".join(text.split()).lower()
    d = re.escape(default.lower())
    return bool(re.search(r"default[\s:,(]*(?:%s=)?%s" % (re.escape(name), d),
                          text) or
                re.search(r"%s\)?\s*\(the default" % d, text))


# ---- --help ---------------------------------------------------------------

def help_entries(ftpfs):
    """{name: text} of the "ftpfs options:" block of ftpfs --help."""
    out = subprocess.run([ftpfs, "--help"], capture_output=True,
                         text=True).stdout
    block = out.split("ftpfs options:\n", 1)[1].split("\n\n", 1)[0]
    entries, cur = [], None
    for line in block.splitlines():
        if line.startswith("    -"):
            col, _, text = line[4:].partition("  ")
            cur = [col, text]
            entries.append(cur)
        elif cur:
            cur[1] += " " + line.strip()
    return {n: col + " " + text for col, text in entries
            for n in names_in(col)}


# ---- ftpfs.8 --------------------------------------------------------------

def groff_text(line):
    """The text of one man(7) line, font macros and escapes resolved."""
    if line.startswith("."):
        macro, _, rest = line[1:].partition(" ")
        args = [a or b for a, b in re.findall(r'"([^"]*)"|(\S+)', rest)]
        if macro in ("B", "I"):
            line = " ".join(args)
        elif macro in ("BR", "RB", "BI", "IB", "IR", "RI"):
            line = "".join(args)
        else:
            line = ""
    line = re.sub(r"\\f[BIRP]", "", line)
    for esc, ch in (("\\-", "-"), ("\\&", ""), ("\\(mu", "x"),
                    ("\\(em", "-")):
        line = line.replace(esc, ch)
    return line


def man_entries(path):
    """{name: text} of the .TP entries of ftpfs.8's OPTIONS section."""
    src = open(path, encoding="utf-8").read()
    section = src.split("\n.SH OPTIONS\n", 1)[1].split("\n.SH ", 1)[0]
    entries = {}
    for chunk in section.split("\n.TP\n")[1:]:
        lines = chunk.split("\n")
        body = []
        for ln in lines[1:]:
            if ln.startswith((".PP", ".SS")):
                break
            body.append(groff_text(ln))
        head = groff_text(lines[0])
        for n in names_in(head):
            entries[n] = head + " " + " ".join(body)
    return entries


# ---- README.md ------------------------------------------------------------

def readme_rows(path):
    """{name: default column} of README's "| option | meaning | default |"
    table."""
    rows, inside = {}, False
    for line in open(path, encoding="utf-8"):
        if line.startswith("| option | meaning | default |"):
            inside = True
            continue
        if not inside:
            continue
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if set(cells[0]) <= set("-"):
            continue
        default = cells[-1].replace("`", "").replace("\u2212", "-").strip()
        for item in re.findall(r"`([^`]+)`", cells[0]):
            for part in item.split(","):
                m = NAME.match(part.strip())
                if m:
                    rows[m.group(0)] = default
    return rows


def main(argv):
    if len(argv) != 5:
        sys.stderr.write(__doc__)
        return 2
    rows, words = load_table(argv[1])
    known = words | FUSE_WORDS
    docs = {"--help": help_entries(argv[2]), "ftpfs.8": man_entries(argv[3])}
    readme = readme_rows(argv[4])
    bad = []
    for r in rows:
        n, d = r["name"], r["default"]
        for doc, entries in docs.items():
            if n not in entries:
                bad.append("%s: no entry for %s" % (doc, n))
            elif d and not says_default(entries[n], n, d):
                bad.append("%s: %s does not say its default is %r" %
                           (doc, n, d))
        if n.startswith("-"):
            continue
        want = d or ("off" if r["type"] == "flag" else "")
        if n not in readme:
            bad.append("README.md: no row for %s" % n)
        elif readme[n] != want and not (not want and readme[n] == "none"):
            bad.append("README.md: %s's default is %r, the table's %r" %
                       (n, readme[n], want))
    for doc, names in list(docs.items()) + [("README.md", readme)]:
        for n in sorted(set(names) - known):
            bad.append("%s: documents %s, which ftpfs does not take" %
                       (doc, n))
    for b in bad:
        print(b)
    if not bad:
        print("%d options: --help, ftpfs.8 and README.md agree with the table"
              % len(rows))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
