#!/usr/bin/env bash
# Quantized inference: Attune f32 vs Attune q8_0 (the exported GGUF, loaded back, int8 kernels)
# vs PyTorch f32 vs PyTorch dynamic int8 (quantize_dynamic on every nn.Linear), measured
# alternately in one run so all four see the same machine load. Medians over rounds.
#
#   scripts/bench/compare_int8_speed.sh                 # MiniLM-L6, batch 32 x 64 tokens, 3 rounds
#   ROUNDS=5 REPS=10 scripts/bench/compare_int8_speed.sh
#   SHAPE=bert-base scripts/bench/compare_int8_speed.sh
#
# Needs: cargo build --release (target/release/attune) and the venv /opt/attune-pyref
# (scripts/reference/requirements.txt).
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS=${ROUNDS:-3}
REPS=${REPS:-10}
SHAPE=${SHAPE:-minilm}
QUANT=${QUANT:-q8_0}
MODEL=${MODEL:-sentence-transformers/all-MiniLM-L6-v2}
PY=${PY:-/opt/attune-pyref/bin/python}
ATTUNE=${ATTUNE:-./target/release/attune}
out=$(mktemp -d)

if [[ "$SHAPE" == "bert-base" ]]; then
  ours_args=(--shape bert-base)
  py_args=(--shape bert-base)
else
  ours_args=(--model "$MODEL")
  py_args=(--model "$MODEL")
fi
common=(--infer-batch-size 32 --max-len 64 --reps "$REPS")

for r in $(seq 1 "$ROUNDS"); do
  echo "round $r/$ROUNDS" >&2
  "$ATTUNE" bench "${ours_args[@]}" "${common[@]}" --skip-train --json >"$out/ours_f32.$r.json"
  "$ATTUNE" bench "${ours_args[@]}" "${common[@]}" --quant "$QUANT" --json >"$out/ours_q.$r.json"
  "$PY" scripts/reference/bench_pytorch.py "${py_args[@]}" "${common[@]}" --skip-train --json >"$out/torch_f32.$r.json"
  "$PY" scripts/reference/bench_pytorch.py "${py_args[@]}" "${common[@]}" --int8 --json >"$out/torch_int8.$r.json"
done

"$PY" - "$out" "$ROUNDS" "$QUANT" <<'PYEOF'
import json, statistics, sys
out, rounds, quant = sys.argv[1], int(sys.argv[2]), sys.argv[3]
load = lambda name: [json.load(open(f"{out}/{name}.{r}.json")) for r in range(1, rounds + 1)]
rows = {"attune f32": load("ours_f32"), f"attune {quant}": load("ours_q"),
        "pytorch f32": load("torch_f32"), "pytorch int8": load("torch_int8")}
med = {k: statistics.median(r["infer_examples_per_s"] for r in v) for k, v in rows.items()}
print(f"inference, batch 32 x 64 tokens, {rounds} alternating rounds (medians), examples/s")
for k, v in med.items():
    print(f"  {k:16}{v:10.1f}   rounds: {[round(r['infer_examples_per_s'], 1) for r in rows[k]]}")
q = med[f"attune {quant}"]
print(f"attune {quant} / attune f32   {q / med['attune f32']:.2f}x   (goal >= 2)")
print(f"attune {quant} / pytorch int8 {q / med['pytorch int8']:.2f}x   (goal >= 1)")
print(f"attune f32 / pytorch f32      {med['attune f32'] / med['pytorch f32']:.2f}x")
print(f"pytorch int8 / pytorch f32    {med['pytorch int8'] / med['pytorch f32']:.2f}x")
PYEOF
