#!/usr/bin/env bash
# Two builds (or two settings) of `attune bench`, alternating round by round so that the shared
# machine's load changes hit both; prints each round's training step and inference batch times
# and the median of the per-round ratios B / A. Single runs of one build move ±15 % on a shared
# machine; a change of a few per cent shows only this way.
#
#   scripts/bench/alternate_builds.sh OLD_BINARY NEW_BINARY            # 8 rounds
#   ROUNDS=6 scripts/bench/alternate_builds.sh ./old ./target/release/attune
#   B_ENV="CANDLE_BARRIER_POOL_SPIN_LIMIT=25000" scripts/bench/alternate_builds.sh \
#       ./target/release/attune ./target/release/attune           # one binary, two settings
#
# Extra `attune bench` arguments go in BENCH_ARGS (default "--reps 5").
set -euo pipefail
if [[ $# -ne 2 ]]; then
  echo "usage: $0 BINARY_A BINARY_B   (A_ENV / B_ENV: settings, ROUNDS, BENCH_ARGS)" >&2
  exit 2
fi
A=$1
B=$2
ROUNDS=${ROUNDS:-8}
read -r -a bench_args <<<"${BENCH_ARGS:---reps 5}"
read -r -a a_env <<<"${A_ENV:-}"
read -r -a b_env <<<"${B_ENV:-}"
step_ms() { sed -nE 's/^training .* tokens: ([0-9]+) ms\/step.*/\1/p'; }
batch_ms() { sed -nE 's/^inference .* tokens: ([0-9]+) ms\/batch.*/\1/p'; }
results=$(mktemp)
for r in $(seq 1 "$ROUNDS"); do
  out_a=$(env "${a_env[@]}" "$A" bench "${bench_args[@]}" 2>&1)
  out_b=$(env "${b_env[@]}" "$B" bench "${bench_args[@]}" 2>&1)
  line="$(step_ms <<<"$out_a") $(batch_ms <<<"$out_a") $(step_ms <<<"$out_b") $(batch_ms <<<"$out_b")"
  echo "round $r/$ROUNDS  A: train $(cut -d' ' -f1 <<<"$line") ms, infer $(cut -d' ' -f2 <<<"$line") ms   B: train $(cut -d' ' -f3 <<<"$line") ms, infer $(cut -d' ' -f4 <<<"$line") ms"
  echo "$line" >>"$results"
done
python3 - "$results" <<'PY'
import statistics, sys
rows = [list(map(float, line.split())) for line in open(sys.argv[1]) if line.strip()]
train = sorted(b / a for a, _, b, _ in rows)
infer = sorted(b / a for _, a, _, b in rows)
print("training step B/A per round (sorted):", " ".join(f"{x:.2f}" for x in train), f" median {statistics.median(train):.3f}")
print("inference batch B/A per round (sorted):", " ".join(f"{x:.2f}" for x in infer), f" median {statistics.median(infer):.3f}")
PY
rm -f "$results"
