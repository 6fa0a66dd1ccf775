#!/usr/bin/env bash
# smerge against `rclone cat | rclone rcat` on a local S3 server, in one
# run: 20 objects of 64 MiB merged by rclone, by smerge streaming
# (--no-compose) and by smerge with server-side compose; then 10,000
# objects of 4 KiB by rclone and by smerge. Prints wall time, bytes through
# the client and peak RSS for each, and smerge's speed-up.
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
# (about 5 GiB at full size). Usage: benches/s3.sh [--quick]
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
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
case $SERVER in
s3s-fs)
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
    command -v s3s-fs >/dev/null 2>&1 ||
        CARGO_PROFILE_RELEASE_DEBUG=0 cargo install --quiet --locked s3s-fs --version 0.14.1 --features binary
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
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
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

# One timed run: wall seconds and peak RSS (KiB) of the command.
timed() {
    sync
    /usr/bin/time -f '%e %M' -o "$work/time" bash -c "$1" >"$work/out" 2>"$work/err" || {
        cat "$work/err" >&2
        exit 1
    }
    cat "$work/time"
}

row() { # name, seconds, rss KiB, client bytes, output bytes, reference seconds
    local ratio=""
    [[ -n ${6:-} ]] && ratio=$(python3 -c "print(f'{$6 / $2:.1f}x')")
    printf '| %s | %.2f s | %s | %.0f MiB | %s |\n' "$1" "$2" \
        "$(python3 -c "print(f'{$4 / 1048576:.1f} MiB ({100 * $4 / (2 * $5):.2f} % of 2 x output)')")" \
        "$(($3 / 1024))" "$ratio"
}

size() { rclone lsjson --files-only "bench:bench/$1" | python3 -c 'import json, sys; print(sum(o["Size"] for o in json.load(sys.stdin)))'; }
count() { rclone lsjson --files-only "bench:bench/$1" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'; }
delete() { rclone deletefile "bench:bench/$1" 2>/dev/null || true; }

[[ $(count big/) == "$big_count" && $(count small/) == "$small_count" ]] || {
    echo "setting up the objects failed" >&2
    exit 1
}

total=$((big_count * big_mib * 1024 * 1024))
echo
echo "| $big_count x $big_mib MiB ($SERVER) | wall | bytes through the client | peak RSS | speed-up over rclone |"
echo "|---|---:|---:|---:|---:|"
# rclone 1.60 checks an upload with `HEAD ?versionId=null`, which some
# servers answer 400 after the upload completed: its exit status is not
# looked at, its output's size is.
read -r rclone_s rclone_rss < <(timed "rclone cat bench:bench/big/ | rclone rcat bench:bench/out-rclone 2>/dev/null || true")
[[ $(size out-rclone) == "$total" ]] || { echo "rclone's output has the wrong size" >&2; exit 1; }
delete out-rclone
row "rclone cat \| rclone rcat" "$rclone_s" "$rclone_rss" $((2 * total)) "$total"
read -r s rss < <(timed "'$SMERGE' -q --no-compose s3://bench/big/ s3://bench/out-stream")
[[ $(size out-stream) == "$total" ]] || { echo "smerge's streamed output has the wrong size" >&2; exit 1; }
delete out-stream
row "smerge --no-compose" "$s" "$rss" $((2 * total)) "$total" "$rclone_s"
read -r s rss < <(timed "'$SMERGE' -q --json s3://bench/big/ s3://bench/out-compose")
[[ $(size out-compose) == "$total" ]] || { echo "smerge's composed output has the wrong size" >&2; exit 1; }
delete out-compose
streamed=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["streamed_bytes"])' "$work/out")
row "smerge (compose)" "$s" "$rss" $((2 * streamed)) "$total" "$rclone_s"

total=$((small_count * 4096))
echo
echo "| $small_count x 4 KiB ($SERVER) | wall | bytes through the client | peak RSS | speed-up over rclone |"
echo "|---|---:|---:|---:|---:|"
read -r rclone_s rclone_rss < <(timed "rclone cat bench:bench/small/ | rclone rcat bench:bench/small-rclone 2>/dev/null || true")
[[ $(size small-rclone) == "$total" ]] || { echo "rclone's output has the wrong size" >&2; exit 1; }
row "rclone cat \| rclone rcat" "$rclone_s" "$rclone_rss" $((2 * total)) "$total"
read -r s rss < <(timed "'$SMERGE' -q s3://bench/small/ s3://bench/small-smerge")
[[ $(size small-smerge) == "$total" ]] || { echo "smerge's output has the wrong size" >&2; exit 1; }
row "smerge" "$s" "$rss" $((2 * total)) "$total" "$rclone_s"
