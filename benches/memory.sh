#!/usr/bin/env bash
# Peak memory of smerge against the number of its inputs, measured with
# GNU time's maximum resident set size (`/usr/bin/time -f %M`, KiB).
#
#   benches/memory.sh [--quick] [SMERGE]
#
# SMERGE defaults to target/release/smerge (build it first). Two cases:
#
# - tree: 100,000 files of 100 bytes in 100 directories, merged with a
#   header and a manifest:
#     smerge -r --header '/* {path} */\n' --manifest m.json tree out.js
# - list: --files0-from with 1,000 inputs, then with 2,000,000 (2,000
#   files, each named 1,000 times, as `cat` reads a name given twice); the
#   difference divided by the number of inputs added is the memory each
#   input costs.
#
# The trees are made on /dev/shm when it exists, so the numbers measure
# smerge, not the disk. --quick makes 10,000 files and 200,000 inputs.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=false
if [ "${1:-}" = --quick ]; then
    quick=true
    shift
fi
smerge=$(realpath "${1:-target/release/smerge}")
[ -x "$smerge" ] || { echo "no $smerge: cargo build --release first" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (/usr/bin/time)" >&2; exit 1; }

if $quick; then tree_files=10000; list_inputs=200000; else tree_files=100000; list_inputs=2000000; fi
base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
work=$(mktemp -d "$base/smerge-memory.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# Runs smerge with ARGS and prints its peak RSS in KiB.
peak_kib() {
    rm -f out.js m.json
    sync
    /usr/bin/time -o time.txt -f %M "$smerge" "$@" >/dev/null
    tail -1 time.txt
}

line=$(printf 'x%.0s' $(seq 1 99))
mkdir tree
for d in $(seq -w 0 99); do
    mkdir "tree/d$d"
    for f in $(seq -w 1 $((tree_files / 100))); do
        echo "$line" > "tree/d$d/f$f.js"
    done
done
tree_kib=$(peak_kib -q -r --header '/* {path} */\n' --manifest m.json tree out.js)
echo "tree: $tree_files files, -r --header --manifest: peak RSS $((tree_kib / 1024)) MiB ($tree_kib KiB)"

mkdir list
for f in $(seq -w 1 2000); do echo "$f" > "list/file-$f.txt"; done
write_list() { # COUNT FILE: COUNT names, cycling through the 2,000 files
    awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "list/file-%04d.txt%c", i % 2000 + 1, 0 }' > "$2"
}
write_list 1000 small.list0
write_list "$list_inputs" big.list0
small_kib=$(peak_kib -q --files0-from small.list0 out.js)
big_kib=$(peak_kib -q --files0-from big.list0 out.js)
added=$((list_inputs - 1000))
per_input=$(((big_kib - small_kib) * 1024 / added))
echo "list: --files0-from, 1,000 inputs: peak RSS $((small_kib / 1024)) MiB; $list_inputs inputs: $((big_kib / 1024)) MiB; $per_input bytes per input added"
