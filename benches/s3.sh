#!/usr/bin/env bash
# smerge against `rclone cat | rclone rcat` on a local S3 server, in one
# run: 20 objects of 64 MiB merged by rclone, by smerge streaming
# (--no-compose) and by smerge with server-side compose; then 10,000
# objects of 4 KiB by rclone and by smerge. Prints wall time, bytes through
# the client and peak RSS for each, smerge's speed-up, and whether each
# target is met.
#
# Bytes through the client are counted on the wire: run as root, the script
# runs itself (server and clients) in a network namespace of its own
# (`unshare -n`), whose loopback carries nothing else, and reads the
# loopback's byte counter around each timed run (request and answer bytes,
# headers included). Elsewhere it reads the machine's loopback, which other
# programs may share: the figures are then an upper bound, and say so.
# Peak RSS is GNU time's: for `rclone cat | rclone rcat`, the larger of the
# two processes.
#
# Both tools talk to the same server on 127.0.0.1, started here:
#   SERVER=s3s-fs (the default): s3s-fs, a Rust S3 server over a directory
#     (crates.io; `cargo install --locked s3s-fs --version 0.14.1
#     --features binary` runs if it is missing);
#   SERVER=moto: moto's server (PyPI `moto[server]`), the tests' server,
#     which answers every request in Python and keeps objects in memory.
#
# Needs rclone (apt-get install rclone) and GNU time; the server's data and
# the outputs live in a directory under ${TMPDIR:-/tmp}, removed at the end
# (a few GiB at full size). Usage: benches/s3.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."

big_count=20 big_mib=64 small_count=10000
if [[ ${1:-} == --quick ]]; then big_count=4 big_mib=16 small_count=1000; fi
SERVER=${SERVER:-s3s-fs}

SMERGE=${SMERGE:-}
if [[ -z $SMERGE ]]; then
    CARGO_PROFILE_RELEASE_DEBUG=0 cargo build --release --quiet
    SMERGE=$PWD/target/release/smerge
fi
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if [[ $SERVER == s3s-fs ]] && ! command -v s3s-fs >/dev/null 2>&1; then
    CARGO_PROFILE_RELEASE_DEBUG=0 cargo install --quiet --locked s3s-fs --version 0.14.1 --features binary
fi
if [[ -z ${SMERGE_BENCH_NETNS:-} && $(id -u) == 0 ]] && command -v ip >/dev/null 2>&1 &&
    unshare -n true 2>/dev/null; then
    export SMERGE SMERGE_BENCH_NETNS=1
    exec unshare -n bash -c 'ip link set lo up && exec "$0" "$@"' "$PWD/benches/s3.sh" "$@"
fi
if [[ -n ${SMERGE_BENCH_NETNS:-} ]]; then
    on_wire="counted on the private loopback"
else
    on_wire="the machine's loopback: an upper bound"
fi
# The bytes the loopback has carried so far (each byte crosses it once).
wire_bytes() { sed -n 's/^ *lo: *//p' /proc/net/dev | awk '{print $9}'; }
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
case $SERVER in
s3s-fs)
    mkdir -p "$work/s3/bench"
    s3s-fs --host 127.0.0.1 --port "$port" --access-key bench --secret-key bench "$work/s3" >"$work/server.log" 2>&1 &
    ;;
moto)
    python3 -m moto.server -H 127.0.0.1 -p "$port" >"$work/server.log" 2>&1 &
    ;;
*)
    echo "SERVER must be s3s-fs or moto" >&2
    exit 2
    ;;
esac
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 150); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.2
done

# The local server speaks plain HTTP: a CA bundle set for other uses makes
# rclone fail, and is not needed.
unset AWS_CA_BUNDLE
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
export AWS_ENDPOINT_URL=http://127.0.0.1:$port
export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other
export RCLONE_CONFIG_BENCH_ENDPOINT=$AWS_ENDPOINT_URL RCLONE_CONFIG_BENCH_REGION=us-east-1
export RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=bench RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=bench
# rclone lists a prefix recursively with an empty `delimiter=`, which s3s-fs
# 0.14 takes for a delimiter (it answers one common prefix and no object):
# rclone lists with `/` instead, one request for these flat prefixes too.
export RCLONE_DISABLE=ListR
if [[ $SERVER == moto ]]; then
    # moto checks no signature.
    curl -s -X PUT -H 'Authorization: AWS4-HMAC-SHA256 Credential=bench/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0' \
        "$AWS_ENDPOINT_URL/bench" >/dev/null
fi

echo "server: $SERVER; setting up $big_count x $big_mib MiB and $small_count x 4 KiB objects" >&2
mkdir -p "$work/big" "$work/small"
head -c $((big_mib * 1024 * 1024)) /dev/urandom >"$work/big.bin"
for i in $(seq -w 1 "$big_count"); do
    "$SMERGE" pipe -q "$work/big.bin" "s3://bench/big/part-$i.bin"
done
python3 - "$work/small" "$small_count" <<'PY'
import os, sys
for i in range(int(sys.argv[2])):
    with open(os.path.join(sys.argv[1], f"{i:05}.log"), "wb") as f:
        f.write(os.urandom(4096))
PY
rclone copy --transfers 32 --s3-no-check-bucket "$work/small" bench:bench/small 2>/dev/null || true
rm -rf "$work/small" "$work/big.bin"

# One timed run: wall seconds, peak RSS (KiB) and the bytes on the wire.
timed() {
    sync
    local before
    before=$(wire_bytes)
    /usr/bin/time -f '%e %M' -o "$work/time" bash -c "$1" >"$work/out" 2>"$work/err" || {
        cat "$work/err" >&2
        exit 1
    }
    echo "$(cat "$work/time") $(($(wire_bytes) - before))"
}

row() { # name, seconds, rss KiB, client bytes, output bytes, reference seconds
    local ratio=""
    [[ -n ${6:-} ]] && ratio=$(python3 -c "print(f'{$6 / $2:.2f}x')")
    printf '| %s | %.2f s | %s | %.0f MiB | %s |\n' "$1" "$2" \
        "$(python3 -c "print(f'{$4 / 1048576:.1f} MiB ({100 * $4 / $5:.2f} % of the output)')")" \
        "$(($3 / 1024))" "$ratio"
}

# A target: name, measured, comparison (>= or <=), goal.
targets=()
target() {
    local met
    met=$(python3 -c "print('met' if $2 $3 $4 else 'NOT met')")
    targets+=("$(printf -- '- %s: %s (target %s %s): %s' "$1" "$2" "$3" "$4" "$met")")
}
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

size() { rclone lsjson --files-only "bench:bench/$1" | python3 -c 'import json, sys; print(sum(o["Size"] for o in json.load(sys.stdin)))'; }
count() { rclone lsjson --files-only "bench:bench/$1" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'; }
delete() { rclone deletefile "bench:bench/$1" 2>/dev/null || true; }

[[ $(count big/) == "$big_count" && $(count small/) == "$small_count" ]] || {
    echo "setting up the objects failed" >&2
    exit 1
}

total=$((big_count * big_mib * 1024 * 1024))
echo
echo "| $big_count x $big_mib MiB ($SERVER) | wall | bytes through the client ($on_wire) | peak RSS | speed-up over rclone |"
echo "|---|---:|---:|---:|---:|"
# rclone 1.60 checks an upload with `HEAD ?versionId=null`, which some
# servers answer 400 after the upload completed: its exit status is not
# looked at, its output's size is.
read -r rclone_s rclone_rss rclone_wire < <(timed "rclone cat bench:bench/big/ | rclone rcat bench:bench/out-rclone 2>/dev/null || true")
[[ $(size out-rclone) == "$total" ]] || { echo "rclone's output has the wrong size" >&2; exit 1; }
delete out-rclone
row "rclone cat \| rclone rcat" "$rclone_s" "$rclone_rss" "$rclone_wire" "$total"
read -r s rss wire < <(timed "'$SMERGE' -q --no-compose s3://bench/big/ s3://bench/out-stream")
[[ $(size out-stream) == "$total" ]] || { echo "smerge's streamed output has the wrong size" >&2; exit 1; }
delete out-stream
row "smerge --no-compose" "$s" "$rss" "$wire" "$total" "$rclone_s"
target "smerge --no-compose, speed-up over rclone" "$(ratio "$rclone_s" "$s")" ">=" 1.5
target "smerge --no-compose, peak RSS (MiB)" $((rss / 1024)) "<=" 128
read -r s rss wire < <(timed "'$SMERGE' -q --json s3://bench/big/ s3://bench/out-compose")
[[ $(size out-compose) == "$total" ]] || { echo "smerge's composed output has the wrong size" >&2; exit 1; }
delete out-compose
row "smerge (compose)" "$s" "$rss" "$wire" "$total" "$rclone_s"
target "smerge (compose), speed-up over rclone" "$(ratio "$rclone_s" "$s")" ">=" 5
target "smerge (compose), bytes through the client (% of the output)" "$(python3 -c "print(f'{100 * $wire / $total:.3f}')")" "<=" 1
target "smerge (compose), peak RSS (MiB)" $((rss / 1024)) "<=" 128
echo
echo "smerge --json (compose): $(python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print("server_copied_bytes", r["server_copied_bytes"], "streamed_bytes", r["streamed_bytes"])' "$work/out")"

total=$((small_count * 4096))
echo
echo "| $small_count x 4 KiB ($SERVER) | wall | bytes through the client ($on_wire) | peak RSS | speed-up over rclone |"
echo "|---|---:|---:|---:|---:|"
read -r rclone_s rclone_rss rclone_wire < <(timed "rclone cat bench:bench/small/ | rclone rcat bench:bench/small-rclone 2>/dev/null || true")
[[ $(size small-rclone) == "$total" ]] || { echo "rclone's output has the wrong size" >&2; exit 1; }
row "rclone cat \| rclone rcat" "$rclone_s" "$rclone_rss" "$rclone_wire" "$total"
read -r s rss wire < <(timed "'$SMERGE' -q s3://bench/small/ s3://bench/small-smerge")
[[ $(size small-smerge) == "$total" ]] || { echo "smerge's output has the wrong size" >&2; exit 1; }
cmp <(rclone cat bench:bench/small-rclone) <(rclone cat bench:bench/small-smerge) ||
    { echo "smerge's output differs from rclone's" >&2; exit 1; }
row "smerge" "$s" "$rss" "$wire" "$total" "$rclone_s"
target "smerge, $small_count small objects, speed-up over rclone" "$(ratio "$rclone_s" "$s")" ">=" 3
target "smerge, $small_count small objects, peak RSS (MiB)" $((rss / 1024)) "<=" 128

echo
echo "Targets:"
printf '%s\n' "${targets[@]}"
