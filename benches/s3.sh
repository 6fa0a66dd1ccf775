#!/usr/bin/env bash
# smerge against `rclone cat | rclone rcat` on a local S3 server (moto's,
# started here on 127.0.0.1), in one run: 20 objects of 64 MiB merged by
# rclone, by smerge streaming (--no-compose) and by smerge with server-side
# compose; then 10,000 objects of 4 KiB by rclone and by smerge.
# Prints wall time, bytes through the client and peak RSS for each.
#
# Needs python3 with moto[server] (pip install 'moto[server]'), rclone
# (apt-get install rclone) and GNU time. Usage: benches/s3.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."

big_count=20 big_mib=64 small_count=10000
if [[ ${1:-} == --quick ]]; then big_count=4 big_mib=16 small_count=1000; fi

SMERGE=${SMERGE:-}
if [[ -z $SMERGE ]]; then
    cargo build --release --quiet
    SMERGE=$PWD/target/release/smerge
fi
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
    curl -s "http://127.0.0.1:$port/" >/dev/null 2>&1 && break
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
auth='Authorization: AWS4-HMAC-SHA256 Credential=bench/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0'
curl -s -X PUT -H "$auth" "$AWS_ENDPOINT_URL/bench" >/dev/null

echo "setting up: $big_count x $big_mib MiB and $small_count x 4 KiB objects" >&2
head -c $((big_mib * 1024 * 1024)) /dev/urandom >"$work/big.bin"
for i in $(seq -w 1 "$big_count"); do
    "$SMERGE" pipe -q "$work/big.bin" "s3://bench/big/part-$i.bin"
done
python3 - "$port" "$small_count" <<'PY'
import http.client, os, sys, threading
port, count = int(sys.argv[1]), int(sys.argv[2])
auth = {"Authorization": "AWS4-HMAC-SHA256 Credential=bench/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"}
def work(first):
    connection = http.client.HTTPConnection("127.0.0.1", port)
    for i in range(first, count, 8):
        connection.request("PUT", f"/bench/small/{i:05}.log", body=os.urandom(4096), headers=auth)
        connection.getresponse().read()
threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
for t in threads: t.start()
for t in threads: t.join()
PY

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

size() { curl -s -I -H "$auth" "$AWS_ENDPOINT_URL/bench/$1" | tr -d '\r' | awk 'tolower($1) == "content-length:" { print $2 }'; }

echo
echo "| $big_count x $big_mib MiB | wall | bytes through the client | peak RSS | speed-up over rclone |"
echo "|---|---:|---:|---:|---:|"
# rclone 1.60 checks an upload with `HEAD ?versionId=null`, which moto
# answers 400 after the upload completed: its exit status is not looked at,
# its output's size is.
read -r rclone_s rclone_rss < <(timed "rclone cat bench:bench/big/ | rclone rcat bench:bench/out-rclone 2>/dev/null || true")
total=$((big_count * big_mib * 1024 * 1024))
row "rclone cat \| rclone rcat" "$rclone_s" "$rclone_rss" $((2 * total)) "$total"
read -r s rss < <(timed "'$SMERGE' -q --no-compose s3://bench/big/ s3://bench/out-stream")
row "smerge --no-compose" "$s" "$rss" $((2 * total)) "$total" "$rclone_s"
read -r s rss < <(timed "'$SMERGE' -q --json s3://bench/big/ s3://bench/out-compose")
streamed=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["streamed_bytes"])' "$work/out")
row "smerge (compose)" "$s" "$rss" $((2 * streamed)) "$total" "$rclone_s"
for out in out-rclone out-stream out-compose; do
    [[ $(size $out) == "$total" ]] || { echo "$out has the wrong size" >&2; exit 1; }
done

echo
echo "| $small_count x 4 KiB | wall | bytes through the client | peak RSS | speed-up over rclone |"
echo "|---|---:|---:|---:|---:|"
read -r rclone_s rclone_rss < <(timed "rclone cat bench:bench/small/ | rclone rcat bench:bench/small-rclone 2>/dev/null || true")
total=$((small_count * 4096))
row "rclone cat \| rclone rcat" "$rclone_s" "$rclone_rss" $((2 * total)) "$total"
read -r s rss < <(timed "'$SMERGE' -q s3://bench/small/ s3://bench/small-smerge")
row "smerge" "$s" "$rss" $((2 * total)) "$total" "$rclone_s"
for out in small-rclone small-smerge; do
    [[ $(size $out) == "$total" ]] || { echo "$out has the wrong size" >&2; exit 1; }
done
