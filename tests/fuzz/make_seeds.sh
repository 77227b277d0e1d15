#!/bin/sh
# Write every listing line of tests/data/list-lines.tsv (the "line" column,
# escapes decoded: \\ \t \r \n \xNN) as one seed file into DIR, for
# fuzz_listparse. Used by run.sh at run time; nothing is committed.
# usage: tests/fuzz/make_seeds.sh DIR [TSV]
set -eu
dir=$1
tsv=${2:-$(dirname "$0")/../data/list-lines.tsv}
mkdir -p "$dir"
exec python3 - "$dir" "$tsv" <<'PY'
import os, re, sys
out, tsv = sys.argv[1], sys.argv[2]
esc = re.compile(rb'\\(\\|t|r|n|x[0-9A-Fa-f]{2})')
def dec(m):
    e = m.group(1)
    return {b'\\': b'\\', b't': b'\t', b'r': b'\r', b'n': b'\n'}.get(e) or bytes([int(e[1:], 16)])
n = 0
with open(tsv, 'rb') as f:
    header = f.readline().rstrip(b'\r\n').split(b'\t')
    col = header.index(b'line')
    for i, row in enumerate(f):
        fields = row.rstrip(b'\r\n').split(b'\t')
        if len(fields) <= col:
            continue
        with open(os.path.join(out, 'tsv-%04d' % i), 'wb') as o:
            o.write(esc.sub(dec, fields[col]))
        n += 1
print(n)
PY
