#!/usr/bin/env bash
# Times smerge's data merges beside their peers, in one run, on generated
# data; prints a Markdown table with ratios and peak memory:
#
#   csv      1,000 CSV files of 1 MB, identical headers: smerge --format csv
#            vs xsv cat rows and csvstack
#   union    the same files with shuffled column orders: smerge --format csv
#            --columns union vs xsv cat rows (which only stacks rows)
#   logs     16 sorted logs of 64 MB: smerge --interleave vs LC_ALL=C sort -m
#   extract  a seekable .zst of 100,000 files holding 1 GiB: smerge extract
#            of one file vs zstd -dc | (find the file); bundle size vs a plain
#            .zst of the same data; the time and peak memory of writing the
#            bundle (per input); the same extract from a seekable .gz (BGZF)
#
# usage: benches/dataformats.sh [--quick] [--runs N] [--data DIR] [--tmp DIR] [--out FILE]
# --data DIR keeps the generated inputs in DIR (and reuses those there).
# Needs xsv (cargo install xsv), csvkit, zstd and python3.
set -euo pipefail
export LC_ALL=C

quick=0
runs=3
tmp_parent=${TMPDIR:-/tmp}
out_file=
data_dir=
while (($#)); do
  case $1 in
    --quick) quick=1 ;;
    --runs) runs=$2; shift ;;
    --tmp) tmp_parent=$2; shift ;;
    --out) out_file=$2; shift ;;
    --data) data_dir=$2; shift ;;
    *) echo "usage: benches/dataformats.sh [--quick] [--runs N] [--tmp DIR] [--out FILE]" >&2; exit 2 ;;
  esac
  shift
done

root=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z ${SMERGE:-} ]]; then
  (cd "$root" && cargo build --release --quiet)
  SMERGE=$root/target/release/smerge
fi
for tool in xsv csvstack zstd python3; do
  command -v "$tool" >/dev/null || { echo "dataformats.sh: $tool is needed" >&2; exit 1; }
done

work=$(mktemp -d "$tmp_parent/smerge-dataformats.XXXXXX")
trap 'rm -rf "$work"' EXIT
data=${data_dir:-$work}
mkdir -p "$data"

if ((quick)); then
  csv_files=100 csv_size=1000000 logs=4 log_size=16000000 many=10000 many_size=10737
else
  csv_files=1000 csv_size=1000000 logs=16 log_size=64000000 many=100000 many_size=10737
fi

generate() {
  [[ -d $data/$2 ]] && return
  echo "generating $data/$2" >&2
  python3 "$root/benches/gen-data.py" "$1" "$data/$2.tmp" "${@:3}" && mv "$data/$2.tmp" "$data/$2"
}
generate csv csv "$csv_files" "$csv_size" 0
generate csv union "$csv_files" "$csv_size" 1
generate logs logs "$logs" "$log_size" 0
generate many many "$many" "$many_size" 0
for set in csv union logs many; do ln -sfn "$data/$set" "$work/$set"; done

# measure NAME CMD...: the median wall time of $runs runs (outputs removed
# and the disk synced before each) and the peak RSS, into $work/NAME.
measure() {
  local name=$1
  shift
  local times=() rss=0
  for ((i = 0; i < runs; i++)); do
    rm -f "$work"/out.*
    sync
    read -r elapsed kib < <(python3 "$root/benches/gen-data.py" run "$*")
    times+=("$elapsed")
    ((kib > rss)) && rss=$kib
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
  echo "$median $rss" >"$work/$name"
  echo "$name: ${median}s, $((rss / 1024)) MiB" >&2
}
seconds() { cut -d' ' -f1 "$work/$1"; }
mib() { echo $(($(cut -d' ' -f2 "$work/$1") / 1024)); }
ratio() { python3 -c "print(f'{$(seconds "$2") / max($(seconds "$1"), 0.0001):.1f}×')"; }

cd "$work"
measure csv_smerge "$SMERGE --format csv csv/ out.csv"
measure csv_xsv "xsv cat rows csv/*.csv > out.csv"
runs_before=$runs runs=1 # csvstack is slow enough that one run says it
measure csv_csvstack "csvstack csv/*.csv > out.csv"
runs=$runs_before
measure union_smerge "$SMERGE --format csv --columns union union/ out.csv"
measure union_xsv "xsv cat rows union/*.csv > out.csv"
measure logs_smerge "$SMERGE --interleave logs/ out.log"
measure logs_sort "sort -m logs/*.log > out.log"
measure bundle_write "$SMERGE -r --seekable many/ out.zst"
mv out.zst bundle.zst
"$SMERGE" -r --seekable many/ bundle.gz
"$SMERGE" -r many/ plain.zst
middle=$(printf 'd%03d/f%06d.txt' $(((many / 2) / 1000)) $((many / 2)))
# A run of a few milliseconds says little on a busy machine: the median of 11.
runs_before=$runs runs=11
measure extract_smerge "$SMERGE extract bundle.zst $middle"
measure extract_gz "$SMERGE extract bundle.gz $middle"
runs=$runs_before
measure extract_zstd "zstd -dc plain.zst | python3 $root/benches/gen-data.py find $middle many/"
bundle_size=$(stat -c %s bundle.zst)
plain_size=$(stat -c %s plain.zst)

report=$(cat <<EOF
| job | smerge | peer | smerge is |
| --- | ---: | ---: | ---: |
| $csv_files CSV × $((csv_size / 1000)) kB, identical headers | $(seconds csv_smerge) s, $(mib csv_smerge) MiB | \`xsv cat rows\` $(seconds csv_xsv) s, $(mib csv_xsv) MiB | $(ratio csv_smerge csv_xsv) faster |
| same | | \`csvstack\` $(seconds csv_csvstack) s, $(mib csv_csvstack) MiB | $(ratio csv_smerge csv_csvstack) faster |
| shuffled columns, \`--columns union\` | $(seconds union_smerge) s, $(mib union_smerge) MiB | \`xsv cat rows\` $(seconds union_xsv) s | $(ratio union_smerge union_xsv) faster |
| $logs sorted logs × $((log_size / 1000000)) MB, \`--interleave\` | $(seconds logs_smerge) s, $(mib logs_smerge) MiB | \`sort -m\` $(seconds logs_sort) s, $(mib logs_sort) MiB | $(ratio logs_smerge logs_sort) faster |
| extract 1 of $many files from a seekable .zst | $(seconds extract_smerge) s, $(mib extract_smerge) MiB | \`zstd -dc \| find\` $(seconds extract_zstd) s | $(ratio extract_smerge extract_zstd) faster |
| extract 1 of $many files from a seekable .gz (BGZF) | $(seconds extract_gz) s, $(mib extract_gz) MiB | | |
| writing the seekable .zst of $many files | $(seconds bundle_write) s, $(mib bundle_write) MiB ($(($(cut -d' ' -f2 "$work/bundle_write") * 1024 / many)) bytes per input) | | |
| seekable .zst size | $bundle_size bytes | plain .zst $plain_size bytes | $(python3 -c "print(f'{$bundle_size / $plain_size:.3f}×')") the size |
EOF
)
echo "$report"
[[ -z $out_file ]] || echo "$report" >"$out_file"
