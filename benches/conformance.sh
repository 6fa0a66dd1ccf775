#!/usr/bin/env bash
# The conformance harness's long mode: N random stream scenarios (default
# 100,000) run in Node.js 20 and in smerge, compared step by step. Prints
# the classes of mismatch with their counts, then each class shrunk to a
# minimal scenario with both traces side by side. Exits non-zero if any
# scenario differs in a way docs/node-differences.md does not list.
# See tests/conformance/mod.rs and the README's Development section.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: benches/conformance.sh [N] [--seed FIRST] [--out FILE]

  N              scenarios to run (default 100000)
  --seed FIRST   seed of the first scenario (default 1); scenario i has seed FIRST + i
  --out FILE     also write the report to FILE

environment:
  CONFORMANCE_NODE=PATH        the Node.js 20 binary (default: node on the PATH)
  CONFORMANCE_WITHOUT=LIST     operations to leave out, comma-separated (write,pipe,…)
  CONFORMANCE_IGNORE_EVENTS=L  events and hook calls left out of the comparison (resume,_write,…)
EOF
}

count=100000 seed=1 out=
while (($#)); do
  case $1 in
    --seed) seed=${2:?--seed needs a value}; shift 2 ;;
    --out) out=${2:?--out needs a value}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    [0-9]*) count=$1; shift ;;
    *) usage >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
export CONFORMANCE_SCENARIOS=$count CONFORMANCE_SEED=$seed
if [[ -n $out ]]; then
  CONFORMANCE_REPORT=$(realpath -m "$out")
  export CONFORMANCE_REPORT
  rm -f "$CONFORMANCE_REPORT"
fi
# Release mode: the smerge side runs optimised, as users run it.
exec cargo test --release --test integration conformance::long -- --ignored --nocapture
