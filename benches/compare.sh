#!/usr/bin/env bash
# Times `smerge DIR OUT` side by side with GNU cat, a Node.js stream merge, and
# cat piped into gzip, pigz and zstd, on generated fixtures; prints a Markdown
# table. See benches/README.md.
set -euo pipefail
export LC_ALL=C

usage() {
  cat <<'EOF'
usage: benches/compare.sh [--quick] [--runs N] [--only big|many|js[,...]] [--keep]
                          [--tmp DIR] [--out FILE] [--svg FILE]

  --quick        small fixtures (big 8 x 16 MiB, many 2000 x 4 KiB, js 200 x 5 KiB)
  --runs N       timed runs per tool (default 5, and 3 for big)
  --only LIST    fixtures to run, comma-separated (default big,many,js)
  --keep         keep the temporary directory (fixtures, outputs, raw timings)
  --tmp DIR      create the temporary directory inside DIR (default $TMPDIR or /tmp)
  --out FILE     also write the Markdown report to FILE
  --svg FILE     also draw the wall times as a bar chart into FILE (SVG)

environment:
  SMERGE=PATH        smerge binary to time (default: cargo build --release)
  SMERGE_ARGS=ARGS   arguments before DIR OUT (default "merge -r")
EOF
}

die() {
  printf 'compare.sh: %s\n' "$*" >&2
  exit 1
}

log() {
  printf '%s\n' "$*" >&2
}

quick=0
runs=
only=big,many,js
keep=0
tmp_parent=${TMPDIR:-/tmp}
report_file=
svg_file=
while (($#)); do
  case $1 in
    --quick) quick=1 ;;
    --keep) keep=1 ;;
    --runs | --only | --tmp | --out | --svg)
      (($# >= 2)) || die "$1 needs a value"
      case $1 in
        --runs) runs=$2 ;;
        --only) only=$2 ;;
        --tmp) tmp_parent=$2 ;;
        --out) report_file=$2 ;;
        --svg) svg_file=$2 ;;
      esac
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
  shift
done

((BASH_VERSINFO[0] >= 5)) || die "needs bash 5 or newer (for EPOCHREALTIME)"
script_start=$EPOCHREALTIME
[[ -z $runs || $runs =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive number, got '$runs'"
IFS=, read -r -a fixtures <<<"$only"
for fixture in "${fixtures[@]}"; do
  [[ $fixture == big || $fixture == many || $fixture == js ]] ||
    die "--only: unknown fixture '$fixture' (big, many, js)"
done
wants() {
  [[ ,$only, == *",$1,"* ]]
}
runs_small=${runs:-5}
runs_big=${runs:-3}

MiB=$((1 << 20))
if ((quick)); then
  big_bytes=$((16 * MiB)) many_files=2000 js_bytes=$((5 << 10))
else
  big_bytes=$((256 * MiB)) many_files=20000 js_bytes=$((50 << 10))
fi
big_files=8 many_bytes=4096 js_files=200

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
for tool in find sort xargs cat cksum sync stat node gzip zstd rustc; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done

work=
cleanup() {
  if [[ -n $work && -d $work ]]; then
    if ((keep)); then
      log "kept $work"
    else
      rm -rf -- "$work"
    fi
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
[[ -d $tmp_parent ]] || die "--tmp: $tmp_parent is not a directory"
work=$(mktemp -d "$tmp_parent/smerge-bench.XXXXXX")
mkdir "$work/fixtures" "$work/out"
results=$work/results.tsv
: >"$results"

# apt_install PACKAGE: installs PACKAGE when running as root on an apt system.
apt_install() {
  ((EUID == 0)) && command -v apt-get >/dev/null || return 1
  log "installing $1 with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "$1" >"$work/apt.log" 2>&1 ||
    { apt-get update -qq >>"$work/apt.log" 2>&1 && apt-get install -y -qq "$1" >>"$work/apt.log" 2>&1; } ||
    { tail -n 5 "$work/apt.log" >&2; return 1; }
}

# User and system time and peak RSS come from GNU time; without it (and no root
# to install it), from a Python wrapper that reads the child's wait4() rusage.
# Either writes "USER SYS RSS_KIB" to the file given first; the wrapper adds
# the wall time it measured itself, so its own start-up is not counted (but
# its peak RSS, about 11 MiB, is: Linux carries it over into the child).
gnu_time_works() {
  /usr/bin/time -f %M -o /dev/null true 2>/dev/null
}
if gnu_time_works || { apt_install time && gnu_time_works; }; then
  rusage=(/usr/bin/time -f '%U %S %M' -o)
  rusage_note="user/sys time and peak RSS from GNU time"
else
  command -v python3 >/dev/null || die "needs GNU time (/usr/bin/time) or python3"
  cat >"$work/rusage.py" <<'EOF'
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - start
with open(sys.argv[1], "w") as f:
    f.write(f"{usage.ru_utime:.3f} {usage.ru_stime:.3f} {usage.ru_maxrss} {wall:.6f}\n")
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
EOF
  rusage=("$(python3 -c 'import sys; print(sys.executable)')" -I -S "$work/rusage.py")
  rusage_note="user/sys time and peak RSS from wait4() in a Python wrapper (GNU time missing; RSS includes the wrapper's ~11 MiB)"
fi

skipped=()
if ! command -v pigz >/dev/null; then
  if ((EUID != 0)); then
    skipped+=("pigz: not installed, and not root to install it")
  elif ! apt_install pigz; then
    skipped+=("pigz: apt-get install pigz failed")
  fi
fi
have_pigz() {
  command -v pigz >/dev/null
}

if [[ -z ${SMERGE:-} ]]; then
  log "building smerge (cargo build --release)"
  cargo build --release --bin smerge --manifest-path "$root/Cargo.toml" >&2
  SMERGE=${CARGO_TARGET_DIR:-$root/target}/release/smerge
  smerge_origin=", built from $(git -C "$root" describe --always --dirty 2>/dev/null || echo "$root")"
else
  smerge_origin=", given in SMERGE"
fi
[[ -x $SMERGE ]] || die "smerge binary not found or not executable: $SMERGE"
read -r -a smerge_args <<<"${SMERGE_ARGS-merge -r}"

log "compiling the fixture generator"
rustc -O --edition 2024 --crate-name gen_fixtures -o "$work/gen-fixtures" "$root/benches/gen-fixtures.rs"

# Disk space: the fixtures, plus an output and smerge's new copy of it while
# it replaces an existing one.
need=0 largest=0
for fixture in "${fixtures[@]}"; do
  case $fixture in
    big) size=$((big_files * big_bytes)) ;;
    many) size=$((many_files * many_bytes)) ;;
    js) size=$((js_files * js_bytes)) ;;
  esac
  need=$((need + size))
  if ((size > largest)); then largest=$size; fi
done
need=$((need + 2 * largest + 64 * MiB))
avail=$(($(df -Pk -- "$work" | awk 'NR == 2 { print $4 }') * 1024))
((avail >= need)) || die "needs $((need / MiB)) MiB free in $tmp_parent, has $((avail / MiB)) MiB"

human() {
  if (($1 % MiB == 0)); then echo "$(($1 / MiB)) MiB"; else echo "$(($1 >> 10)) KiB"; fi
}

# generate NAME KIND FILES BYTES DIRS SEED
generate() {
  log "generating $1: $3 x $(human "$4") of $2"
  "$work/gen-fixtures" "$2" "$work/fixtures/$1" "$3" "$4" "$5" "$6"
}
start=$EPOCHREALTIME
declare -A legend
if wants big; then
  generate big text "$big_files" "$big_bytes" 0 1
  mkdir "$work/fixtures/big0"
  ln "$work/fixtures/big/f00000.txt" "$work/fixtures/big0/f00000.txt"
  legend[big]="$big_files files × $(human "$big_bytes") of log-like text"
  legend[big0]="the first file of big ($(human "$big_bytes")), for the compressing tools"
fi
if wants many; then
  generate many text "$many_files" "$many_bytes" 20 2
  legend[many]="$many_files files × $(human "$many_bytes") of log-like text in 20 directories"
fi
if wants js; then
  generate js js "$js_files" "$js_bytes" 4 3
  legend[js]="$js_files files × $(human "$js_bytes") of JavaScript-like source in 4 directories"
fi
sync
log "fixtures ready in $(((${EPOCHREALTIME/./} - ${start/./}) / 1000)) ms"

declare -A label=(
  [smerge]="smerge" [cat]="cat" [node]="node (pipe, end:false)"
  [smerge-gz]="smerge out.gz" [gzip]="cat + gzip -6" [pigz]="cat + pigz -6"
  [smerge-zst]="smerge out.zst" [zstd]="cat + zstd -3 -T0"
)
# shellcheck disable=SC2016 # expanded by the `bash -c` that runs it
listing='find "$1" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r cat'

# output_name PEER EXT: the file PEER writes; smerge picks compression by extension.
output_name() {
  case $1 in
    smerge-gz | gzip | pigz) echo "merged.$2.gz" ;;
    smerge-zst | zstd) echo "merged.$2.zst" ;;
    *) echo "merged.$2" ;;
  esac
}

# peer_command PEER DIR OUT: sets `cmd` to the command line that merges DIR into OUT.
peer_command() {
  local shell_tail=
  case $1 in
    smerge | smerge-gz | smerge-zst) cmd=("$SMERGE" "${smerge_args[@]}" "$2" "$3") ;;
    node) cmd=(node "$root/benches/node-merge.js" "$2" "$3") ;;
    cat) shell_tail= ;;
    gzip) shell_tail="| gzip -6" ;;
    pigz) shell_tail="| pigz -6" ;;
    zstd) shell_tail="| zstd -q -3 -T0" ;;
    *) die "unknown peer $1" ;;
  esac
  case $1 in
    cat | gzip | pigz | zstd) cmd=(bash -c "set -o pipefail; $listing $shell_tail >\"\$2\"" "$1" "$2" "$3") ;;
  esac
}

# content_sum FILE: "CRC SIZE" of FILE's content, decompressed if it is .gz or .zst.
content_sum() {
  case $1 in
    *.gz) gzip -dc <"$1" | cksum ;;
    *.zst) zstd -dcq <"$1" | cksum ;;
    *) cksum <"$1" ;;
  esac
}

# check_output DIR OUT WHAT: fails loudly unless OUT is the only file in its
# directory and holds exactly the merge of DIR.
check_output() {
  local dir=$1 out=$2 what=$3 got entries
  entries=$(find "$work/out" -mindepth 1 -printf '%f\n')
  [[ $entries == "${out##*/}" ]] ||
    die "$what: expected only ${out##*/} in the output directory, found: ${entries//$'\n'/ }"
  got=$(content_sum "$out") || got="not decodable"
  if [[ $got != "${expected[$dir]}" ]]; then
    log "MISMATCH $what: content of $out is '$got' (CRC SIZE), expected '${expected[$dir]}'"
    case $out in
      *.gz | *.zst) ;;
      *) cmp -- <(bash -c "$listing" merge "$dir" 2>/dev/null) "$out" >&2 || true ;;
    esac
    die "$what produced a wrong output (rerun with --keep to inspect $work)"
  fi
}

# timed WHAT CMD...: runs CMD with no input; sets wall (seconds) and user, sys, rss_kib.
timed() {
  local what=$1 t0 t1 us wrapper_wall=
  shift
  t0=$EPOCHREALTIME
  if ! "${rusage[@]}" "$work/rusage" "$@" </dev/null 2>"$work/stderr"; then
    cat -- "$work/stderr" >&2
    die "$what failed: ${*@Q}"
  fi
  t1=$EPOCHREALTIME
  read -r user sys rss_kib wrapper_wall <"$work/rusage"
  us=$((${t1/./} - ${t0/./}))
  wall=${wrapper_wall:-$(printf '%d.%06d' $((us / 1000000)) $((us % 1000000)))}
}

declare -A expected group_dir group_peers group_fixture group_case
groups=()

# run_group GROUP FIXTURE CASE DIR EXT MODE RUNS PEER...: times each peer RUNS
# times, alternating peers and rotating their order every round. MODE "new"
# removes the output before each run; "existing" leaves the previous run's
# output in place for the next one to replace.
run_group() {
  local group=$1 fixture=$2 case=$3 dir=$4 ext=$5 mode=$6 n=$7
  shift 7
  local peers=("$@") round i peer out
  groups+=("$group")
  group_fixture[$group]=$fixture group_case[$group]=$case
  group_dir[$group]=$dir group_peers[$group]="${peers[*]}"
  if [[ -z ${expected[$dir]:-} ]]; then
    expected[$dir]=$(bash -c "$listing" merge "$dir" | cksum)
  fi
  rm -rf -- "$work/out" && mkdir "$work/out"
  if [[ $mode == existing ]]; then
    bash -c "$listing >\"\$2\"" merge "$dir" "$work/out/$(output_name "${peers[0]}" "$ext")"
  fi
  for ((round = 0; round < n; round++)); do
    for ((i = 0; i < ${#peers[@]}; i++)); do
      peer=${peers[(i + round) % ${#peers[@]}]}
      out=$work/out/$(output_name "$peer" "$ext")
      if [[ $mode == new ]]; then
        rm -rf -- "$work/out" && mkdir "$work/out"
      fi
      sync
      peer_command "$peer" "$dir" "$out"
      timed "$peer on $group" "${cmd[@]}"
      check_output "$dir" "$out" "$peer on $group (run $((round + 1)))"
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$group" "$peer" "$wall" "$user" "$sys" "$rss_kib" \
        "$(stat -c %s -- "$out")" >>"$results"
      log "$(printf '%-20s %-24s %9.3f s  user %6.2f  sys %6.2f  rss %7.1f MiB' \
        "[$group $((round + 1))/$n]" "${label[$peer]}" "$wall" "$user" "$sys" "$(awk -v k="$rss_kib" 'BEGIN { print k / 1024 }')")"
    done
  done
  rm -rf -- "$work/out" && mkdir "$work/out"
}

fx=$work/fixtures
if wants big; then
  run_group big:new big new "$fx/big" txt new "$runs_big" smerge cat node
  run_group big:existing big overwrite "$fx/big" txt existing "$runs_big" smerge cat node
  compressors=(smerge-gz gzip)
  if have_pigz; then compressors+=(pigz); fi
  run_group big0:gzip big0 "gzip -6" "$fx/big0" txt new "$runs_big" "${compressors[@]}"
  run_group big0:zstd big0 "zstd -3" "$fx/big0" txt new "$runs_big" smerge-zst zstd
fi
if wants many; then
  run_group many:new many new "$fx/many" txt new "$runs_small" smerge cat node
  run_group many:existing many overwrite "$fx/many" txt existing "$runs_small" smerge cat node
fi
if wants js; then
  run_group js:new js new "$fx/js" js new "$runs_small" smerge cat node
  run_group js:existing js overwrite "$fx/js" js existing "$runs_small" smerge cat node
fi

# median GROUP PEER COLUMN: the median of one column of the results.
median() {
  awk -F '\t' -v g="$1" -v p="$2" -v c="$3" '$1 == g && $2 == p { print $c }' "$results" |
    sort -g |
    awk '{ v[NR] = $1 } END { printf "%.6f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

filesystem() {
  local type options
  if type=$(findmnt -n -o FSTYPE -T "$work" 2>/dev/null) &&
    options=$(findmnt -n -o OPTIONS -T "$work" 2>/dev/null); then
    echo "$type ($options)"
  else
    stat -f -c %T -- "$work"
  fi
}

first_line() {
  "$@" 2>&1 </dev/null | head -n 1 || true
}

report() {
  local group peer input reference fixture
  echo "## smerge and its peers, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- machine: $(awk -F ': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)," \
    "$(nproc) cores, $(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo 2>/dev/null) GiB," \
    "$(uname -sr), fixtures on $(filesystem)"
  echo "- smerge: \`$SMERGE ${smerge_args[*]} DIR OUT\` ($(first_line "$SMERGE" --version)$smerge_origin)"
  echo "- peers: $(first_line cat --version), node $(node --version), $(first_line gzip --version)," \
    "$(have_pigz && first_line pigz --version || echo 'no pigz'), zstd $(zstd -q -V)"
  for fixture in big big0 many js; do
    if [[ -n ${legend[$fixture]:-} ]]; then echo "- $fixture: ${legend[$fixture]}"; fi
  done
  echo "- method: median of $runs_small runs ($runs_big for big and big0), tools alternating;" \
    "before each run the previous output is removed (case \"new\"; kept for \"overwrite\")" \
    "and \`sync\` is run; inputs are warm in the page cache; wall time from bash;" \
    "$rusage_note (peak RSS: the largest single process of a pipeline)."
  echo "- smerge/peer: smerge's median wall time divided by the peer's (below 1: smerge is faster)."
  echo "- whole run: $(((${EPOCHREALTIME/./} - ${script_start/./}) / 1000000)) s, building and fixtures included."
  for reason in "${skipped[@]}"; do
    echo "- skipped $reason"
  done
  echo
  echo "| fixture | case | tool | wall s | user s | sys s | peak RSS MiB | input MiB/s | output MiB | smerge/peer |"
  echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
  for group in "${groups[@]}"; do
    input=$(echo "${expected[${group_dir[$group]}]}" | awk '{ print $2 }')
    read -r -a peers <<<"${group_peers[$group]}"
    reference=$(median "$group" "${peers[0]}" 3)
    for peer in "${peers[@]}"; do
      awk -v fixture="${group_fixture[$group]}" -v kind="${group_case[$group]}" \
        -v tool="${label[$peer]}" -v is_ref="$([[ $peer == "${peers[0]}" ]] && echo 1 || echo 0)" \
        -v wall="$(median "$group" "$peer" 3)" -v user="$(median "$group" "$peer" 4)" \
        -v sys="$(median "$group" "$peer" 5)" -v rss="$(median "$group" "$peer" 6)" \
        -v out="$(median "$group" "$peer" 7)" -v input="$input" -v reference="$reference" 'BEGIN {
          mib = 1048576
          size = sprintf("%.1f", out / mib)
          if (out != input) size = size sprintf(" (%.2f×)", input / out)
          ratio = is_ref ? "—" : sprintf("%.2f", reference / wall)
          speed = input / mib / wall
          speed = sprintf(speed < 100 ? "%.1f" : "%.0f", speed)
          printf "| %s | %s | %s | %.3f | %.2f | %.2f | %.1f | %s | %s | %s |\n",
            fixture, kind, tool, wall, user, sys, rss / 1024, speed, size, ratio
        }'
    done
  done
}

# svg_chart: the median wall times as horizontal bars, one block per
# fixture and case, each bar scaled to the slowest tool of its block (the
# blocks differ by orders of magnitude), labelled with its time.
svg_chart() {
  local group peer wall rows=()
  for group in "${groups[@]}"; do
    read -r -a peers <<<"${group_peers[$group]}"
    for peer in "${peers[@]}"; do
      wall=$(median "$group" "$peer" 3)
      rows+=("${group_fixture[$group]}, ${group_case[$group]}	$group	$peer	${label[$peer]}	$wall")
    done
  done
  printf '%s\n' "${rows[@]}" | awk -F '\t' -v date="$(date -u '+%Y-%m-%d')" \
    -v machine="$(nproc) cores, $(uname -sr)" '
    { title[NR] = $1; group[NR] = $2; peer[NR] = $3; tool[NR] = $4; wall[NR] = $5
      if ($5 > slowest[$2]) slowest[$2] = $5 }
    END {
      bar_x = 190; bar_w = 420; row_h = 22; y = 56
      for (i = 1; i <= NR; i++) { if (i == 1 || group[i] != group[i - 1]) y += 30; y += row_h }
      height = y + 40
      printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"%d\" viewBox=\"0 0 720 %d\" font-family=\"sans-serif\" font-size=\"13\">\n", height, height
      printf "<rect width=\"720\" height=\"%d\" fill=\"#ffffff\"/>\n", height
      printf "<text x=\"20\" y=\"28\" font-size=\"16\" font-weight=\"bold\">smerge and its peers: wall time, median (shorter is faster)</text>\n"
      printf "<text x=\"20\" y=\"46\" fill=\"#555\">benches/compare.sh, %s, %s; each block scaled to its slowest tool</text>\n", date, machine
      y = 56
      for (i = 1; i <= NR; i++) {
        if (i == 1 || group[i] != group[i - 1]) {
          y += 30
          printf "<text x=\"20\" y=\"%d\" font-weight=\"bold\">%s</text>\n", y - 8, title[i]
        }
        w = bar_w * wall[i] / slowest[group[i]]
        if (w < 1) w = 1
        colour = (peer[i] ~ /^smerge/) ? "#2a7ab9" : "#b8b8b8"
        secs = (wall[i] < 0.1) ? sprintf("%.0f ms", wall[i] * 1000) : sprintf("%.2f s", wall[i])
        printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", bar_x - 8, y + 15, tool[i]
        printf "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n", bar_x, y + 3, w, row_h - 6, colour
        printf "<text x=\"%.1f\" y=\"%d\">%s</text>\n", bar_x + w + 6, y + 15, secs
        y += row_h
      }
      printf "</svg>\n"
    }'
}

report_text=$(report)
printf '%s\n' "$report_text"
if [[ -n $report_file ]]; then
  printf '%s\n' "$report_text" >"$report_file"
  log "report written to $report_file"
fi
if [[ -n $svg_file ]]; then
  svg_chart >"$svg_file"
  log "chart written to $svg_file"
fi
