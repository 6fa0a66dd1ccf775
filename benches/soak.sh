#!/usr/bin/env bash
# Soak test: streams SIZE bytes (default 10 GiB) of generated text through
#   smerge pipe - - -t gzip:1 -t gunzip -t frame | smerge pipe - - -t unframe
# checks that the output has the input's checksum, and that the peak RSS of
# both processes at the end is what it was after the first GiB. See
# benches/README.md.
set -euo pipefail
export LC_ALL=C

usage() {
  cat <<'EOF'
usage: benches/soak.sh [--size SIZE] [--tolerance MIB] [--keep] [--tmp DIR]

  --size SIZE       bytes to stream, with an IEC suffix: 1G, 512M, 10G (default 10G)
  --tolerance MIB   how far the final peak RSS may exceed the early one (default 16)
  --keep            keep the temporary directory (checksums, RSS samples)
  --tmp DIR         create the temporary directory inside DIR (default $TMPDIR or /tmp)

environment:
  SMERGE=PATH       smerge binary to run (default: cargo build --release)
EOF
}

die() {
  printf 'soak.sh: %s\n' "$*" >&2
  exit 1
}

log() {
  printf 'soak.sh: %s\n' "$*" >&2
}

size_arg=10G tolerance_mib=16 keep=0 tmp_parent=${TMPDIR:-/tmp}
while (($#)); do
  case $1 in
    --size) size_arg=${2:?--size needs a value}; shift 2 ;;
    --tolerance) tolerance_mib=${2:?--tolerance needs a value}; shift 2 ;;
    --keep) keep=1; shift ;;
    --tmp) tmp_parent=${2:?--tmp needs a value}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
size=$(numfmt --from=iec "$size_arg" 2>/dev/null) || die "--size: not a size: $size_arg"
((size > 0)) || die "--size must be above zero"
[[ $tolerance_mib =~ ^[0-9]+$ ]] || die "--tolerance: not a number of MiB: $tolerance_mib"

GiB=$((1 << 30))
# The early sample: after 1 GiB, or halfway through a run of less than 2 GiB.
if ((size >= 2 * GiB)); then
  checkpoint=$GiB
else
  checkpoint=$((size / 2))
fi

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
for tool in cksum numfmt mkfifo rustc; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
/usr/bin/time -f %M -o /dev/null true 2>/dev/null || die "needs GNU time (/usr/bin/time)"

work=
cleanup() {
  local pid
  for pid in $(jobs -p); do
    kill "$pid" 2>/dev/null || true
  done
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
work=$(mktemp -d "$tmp_parent/smerge-soak.XXXXXX")

if [[ -z ${SMERGE:-} ]]; then
  log "building smerge (cargo build --release)"
  cargo build --release --bin smerge --manifest-path "$root/Cargo.toml" >&2
  SMERGE=${CARGO_TARGET_DIR:-$root/target}/release/smerge
fi
[[ -x $SMERGE ]] || die "smerge binary not found or not executable: $SMERGE"

# The input: a 64 MiB block of pseudo-random log lines from a fixed seed,
# repeated. A repeat is far beyond gzip's 32 KiB window, so every block
# compresses like the first.
log "generating the 64 MiB input block"
rustc -O --edition 2024 --crate-name gen_fixtures -o "$work/gen-fixtures" "$root/benches/gen-fixtures.rs"
"$work/gen-fixtures" text "$work/block" 1 $((64 << 20)) 0 20240601 >/dev/null
block=$(find "$work/block" -type f)
generate() {
  while cat "$block"; do :; done | head -c "$size"
}

mkfifo "$work/input" "$work/input-copy" "$work/framed" "$work/output"

# child_of PID: the process GNU time started.
child_of() {
  local child=
  while [[ -z $child ]] && kill -0 "$1" 2>/dev/null; do
    read -r child _ <"/proc/$1/task/$1/children" || true
    [[ -n $child ]] || sleep 0.01
  done
  printf '%s\n' "$child"
}

# field FILE KEY: the number after "KEY" in a /proc file, or nothing.
field() {
  awk -v key="$2" '$1 == key { print $2; exit }' "$1" 2>/dev/null || true
}

log "streaming $(numfmt --to=iec "$size") through smerge"
start=$(date +%s.%N)
generate | tee "$work/input-copy" >"$work/input" &
generator=$!
cksum <"$work/input-copy" >"$work/input.sum" &
input_sum=$!
# GNU time writes each smerge's final peak RSS, in KiB, to NAME.time.
/usr/bin/time -f %M -o "$work/frame.time" "$SMERGE" pipe - - -t gzip:1 -t gunzip -t frame <"$work/input" >"$work/framed" &
frame_time=$!
/usr/bin/time -f %M -o "$work/unframe.time" "$SMERGE" pipe - - -t unframe <"$work/framed" >"$work/output" &
unframe_time=$!
cksum <"$work/output" >"$work/output.sum" &
output_sum=$!

frame_pid=$(child_of "$frame_time")
unframe_pid=$(child_of "$unframe_time")

# Samples: seconds, bytes read by the first smerge, and the peak RSS (KiB)
# of each smerge so far.
samples=$work/rss.tsv
printf 'seconds\tbytes_in\tframe_hwm_kib\tunframe_hwm_kib\n' >"$samples"
early=
while kill -0 "$frame_pid" 2>/dev/null || kill -0 "$unframe_pid" 2>/dev/null; do
  bytes_in=$(field "/proc/$frame_pid/io" rchar:)
  frame_hwm=$(field "/proc/$frame_pid/status" VmHWM:)
  unframe_hwm=$(field "/proc/$unframe_pid/status" VmHWM:)
  now=$(date +%s.%N)
  if [[ -n $bytes_in && -n $frame_hwm && -n $unframe_hwm ]]; then
    printf '%.1f\t%s\t%s\t%s\n' "$(bc <<<"$now - $start")" "$bytes_in" "$frame_hwm" "$unframe_hwm" >>"$samples"
    if [[ -z $early ]] && ((bytes_in >= checkpoint)); then
      early="$frame_hwm $unframe_hwm"
    fi
  fi
  sleep 0.2
done

status=0
for pid in "$generator" "$input_sum" "$frame_time" "$unframe_time" "$output_sum"; do
  wait "$pid" || status=$?
done
end=$(date +%s.%N)
((status == 0)) || die "a stage of the pipeline failed (exit status $status)"

read -r input_crc input_len <"$work/input.sum"
read -r output_crc output_len <"$work/output.sum"
((input_len == size)) || die "the generator wrote $input_len bytes, not $size"
[[ $input_crc == "$output_crc" && $input_len == "$output_len" ]] ||
  die "checksums differ: input $input_crc ($input_len bytes), output $output_crc ($output_len bytes)"
[[ -n $early ]] || die "no RSS sample after $(numfmt --to=iec "$checkpoint"): the run was too short to sample"

# The final peaks: GNU time's, or the last sample if it is higher (the two
# measure the same peak through different interfaces, a few KiB apart).
read -r early_frame early_unframe <<<"$early"
read -r _ _ last_frame last_unframe < <(tail -n 1 "$samples")
final_frame=$(<"$work/frame.time")
final_unframe=$(<"$work/unframe.time")
final_frame=$((final_frame > last_frame ? final_frame : last_frame))
final_unframe=$((final_unframe > last_unframe ? final_unframe : last_unframe))
elapsed=$(bc <<<"scale=1; ($end - $start) / 1")
throughput=$(bc <<<"scale=1; $size / 1048576 / ($end - $start)")
mib() {
  bc <<<"scale=1; $1 / 1024"
}

cat <<EOF
| | \`pipe -t gzip:1 -t gunzip -t frame\` | \`pipe -t unframe\` |
|---|---|---|
| peak RSS after $(numfmt --to=iec "$checkpoint") | $(mib "$early_frame") MiB | $(mib "$early_unframe") MiB |
| peak RSS after $(numfmt --to=iec "$size") | $(mib "$final_frame") MiB | $(mib "$final_unframe") MiB |

$(numfmt --to=iec "$size") in ${elapsed} s: ${throughput} MiB/s; output checksum $output_crc matches the input.
EOF

limit=$((tolerance_mib * 1024))
if ((final_frame > early_frame + limit || final_unframe > early_unframe + limit)); then
  die "peak RSS grew by more than $tolerance_mib MiB after $(numfmt --to=iec "$checkpoint")"
fi
