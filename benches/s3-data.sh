#!/usr/bin/env bash
# The merges that read their inputs' content, over objects beside the same
# files on disk, in one run: an --interleave of 20 time-ordered logs of
# 16 MiB, a --format csv join of 8 files of 32 MiB, a --seekable bundle of
# the 20 logs. Prints wall time and peak RSS (GNU time) for each, and
# checks that each output over objects is the one over files (the bundles:
# the same contents; their manifests name different sources).
#
# The objects are served by s3s-fs (crates.io; `cargo install --locked
# s3s-fs --version 0.14.1 --features binary` runs if it is missing) on
# 127.0.0.1, over a directory under ${TMPDIR:-/tmp} that also holds the
# files and outputs (about 1.5 GiB), removed at the end.
# Usage: benches/s3-data.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SMERGE=${SMERGE:-}
if [[ -z $SMERGE ]]; then
    CARGO_PROFILE_RELEASE_DEBUG=0 cargo build --release --quiet
    SMERGE=$PWD/target/release/smerge
fi
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if ! command -v s3s-fs >/dev/null 2>&1; then
    CARGO_PROFILE_RELEASE_DEBUG=0 cargo install --quiet --locked s3s-fs --version 0.14.1 --features binary
fi
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/s3/bench" "$work/logs" "$work/csv"
s3s-fs --host 127.0.0.1 --port "$port" --access-key bench --secret-key bench "$work/s3" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 150); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.2
done
unset AWS_CA_BUNDLE
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
export AWS_ENDPOINT_URL=http://127.0.0.1:$port

echo "setting up 20 logs of 16 MiB and 8 CSV files of 32 MiB, on disk and as objects" >&2
python3 - "$work" <<'PY'
import random, sys
work = sys.argv[1]
random.seed(1)
for h in range(20):
    t, size, i = h, 0, 0
    with open(f"{work}/logs/web{h:02}.log", "w") as f:
        while size < 16 << 20:
            t += random.randint(0, 3)
            line = (f"2024-03-01T{t // 3600 % 24:02}:{t // 60 % 60:02}:{t % 60:02}Z "
                    f"web{h:02} request {i} {'x' * random.randint(10, 120)}\n")
            f.write(line)
            size += len(line)
            i += 1
for c in range(8):
    size, i = 0, 0
    with open(f"{work}/csv/part{c}.csv", "w") as f:
        f.write("id,host,path,bytes\n")
        while size < 32 << 20:
            line = f"{c}-{i},host{i % 97},/path/{i * 7919 % 100003},{i * 31 % 65536}\n"
            f.write(line)
            size += len(line)
            i += 1
PY
for file in "$work"/logs/* "$work"/csv/*; do
    "$SMERGE" pipe -q "$file" "s3://bench/${file#"$work"/}"
done

# One timed run: "wall seconds, peak RSS".
timed() {
    sync
    /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
        cat "$work/err" >&2
        exit 1
    }
    read -r seconds kib <"$work/time"
    printf '%.2f s, %d MiB' "$seconds" $((kib / 1024))
}

echo
echo "| job | files on disk | objects |"
echo "|---|---:|---:|"
run() { # name, output extension, flags..., with INPUT for the inputs
    local name=$1 extension=$2 files objects
    shift 2
    files=$(timed "$SMERGE" -q "${@/INPUT/$work/$input}" "$work/files.$extension")
    objects=$(timed "$SMERGE" -q "${@/INPUT/s3://bench/$input}" "$work/objects.$extension")
    echo "| $name | $files | $objects |"
}
input=logs/ run "--interleave, 20 x 16 MiB" log --interleave INPUT
cmp "$work/files.log" "$work/objects.log" || { echo "the interleaves differ" >&2; exit 1; }
rm -f "$work/files.log" "$work/objects.log"
input=csv/ run "--format csv, 8 x 32 MiB" csv --format csv INPUT
cmp "$work/files.csv" "$work/objects.csv" || { echo "the CSV joins differ" >&2; exit 1; }
rm -f "$work/files.csv" "$work/objects.csv"
input=logs/ run "--seekable, 20 x 16 MiB" zst --seekable INPUT
cmp <("$SMERGE" extract "$work/files.zst") <("$SMERGE" extract "$work/objects.zst") ||
    { echo "the bundles hold different contents" >&2; exit 1; }
echo
echo "Every output over objects is the one over files."
