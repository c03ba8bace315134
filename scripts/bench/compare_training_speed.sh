#!/usr/bin/env bash
# Attune vs PyTorch + transformers training/inference speed, measured alternately in one run so
# that both see the same machine load (the machine is shared). Each round runs `attune bench`
# then scripts/reference/bench_pytorch.py; the table shows medians over rounds and the ratio.
#
#   scripts/bench/compare_training_speed.sh                    # MiniLM-L6, 3 rounds
#   ROUNDS=5 REPS=5 scripts/bench/compare_training_speed.sh
#   SHAPE=bert-base REPS=3 scripts/bench/compare_training_speed.sh
#   DEVICE=cuda:0 PRECISION=bf16 BATCH=32 MAX_LEN=128 scripts/bench/compare_training_speed.sh   # a GPU
#
# Needs: cargo build --release (target/release/attune) and the venv /opt/attune-pyref.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS=${ROUNDS:-3}
REPS=${REPS:-5}
SHAPE=${SHAPE:-minilm}
MODEL=${MODEL:-sentence-transformers/all-MiniLM-L6-v2}
PY=${PY:-/opt/attune-pyref/bin/python}
ATTUNE=${ATTUNE:-./target/release/attune}
PEAK_GFLOPS=${PEAK_GFLOPS:-330}
DEVICE=${DEVICE:-cpu}
PRECISION=${PRECISION:-f32}
BATCH=${BATCH:-16}
MAX_LEN=${MAX_LEN:-64}
out=$(mktemp -d)

if [[ "$SHAPE" == "bert-base" ]]; then
  ours_args=(--shape bert-base)
  py_args=(--shape bert-base)
else
  ours_args=(--model "$MODEL")
  py_args=(--model "$MODEL")
fi
common=(--device "$DEVICE" --precision "$PRECISION" --batch-size "$BATCH" --max-len "$MAX_LEN")
# Both sides always train first: PyTorch's inference ran 1.11–1.40× faster in a process that had
# trained than in a fresh one (docs/performance.md), so an inference-only comparison flatters us.

for r in $(seq 1 "$ROUNDS"); do
  echo "round $r/$ROUNDS: attune" >&2
  "$ATTUNE" bench "${ours_args[@]}" "${common[@]}" --reps "$REPS" --json >"$out/ours.$r.json"
  echo "round $r/$ROUNDS: pytorch" >&2
  "$PY" scripts/reference/bench_pytorch.py "${py_args[@]}" "${common[@]}" --reps "$REPS" --json >"$out/torch.$r.json"
done

"$PY" - "$out" "$ROUNDS" "$PEAK_GFLOPS" <<'PYEOF'
import json, statistics, sys
out, rounds, peak = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
ours = [json.load(open(f"{out}/ours.{r}.json")) for r in range(1, rounds + 1)]
torch = [json.load(open(f"{out}/torch.{r}.json")) for r in range(1, rounds + 1)]
med = lambda rows, k: statistics.median(r[k] for r in rows)
# Each round's ratio pairs two runs a few seconds apart; their median resists the machine's drift
# better than the ratio of the two sides' medians.
paired = lambda k: statistics.median(o[k] / t[k] for o, t in zip(ours, torch))
o_train, t_train = med(ours, "train_examples_per_s"), med(torch, "train_examples_per_s")
o_inf, t_inf = med(ours, "infer_examples_per_s"), med(torch, "infer_examples_per_s")
print(f"model: {ours[0]['model']}  ({rounds} alternating rounds, medians)")
print(f"attune's matrix kernel: {ours[0].get('matrix_kernel', '?')}, {ours[0]['threads']} threads")
print(f"{'':28}{'attune':>12}{'pytorch':>12}{'ratio':>8}{'paired':>8}")
print(f"{'train ms/step':28}{med(ours, 'train_step_ms'):12.0f}{med(torch, 'train_step_ms'):12.0f}")
print(f"{'  forward / backward / opt':28}{med(ours, 'forward_ms'):.0f} / {med(ours, 'backward_ms'):.0f} / {med(ours, 'optimizer_ms'):.0f}")
print(f"{'train examples/s':28}{o_train:12.1f}{t_train:12.1f}{o_train / t_train:8.2f}{paired('train_examples_per_s'):8.2f}")
print(f"{'infer examples/s':28}{o_inf:12.1f}{t_inf:12.1f}{o_inf / t_inf:8.2f}{paired('infer_examples_per_s'):8.2f}")
g_train, g_inf = med(ours, "train_gflop_per_s"), med(ours, "infer_gflop_per_s")
print(f"{'attune GFLOP/s train/infer':28}{g_train:.0f} / {g_inf:.0f}  ({100 * g_train / peak:.0f}% / {100 * g_inf / peak:.0f}% of {peak:.0f})")
for key in ["train_examples_per_s", "infer_examples_per_s"]:
    print(f"per round {key}  attune:", [round(r[key], 1) for r in ours],
          " pytorch:", [round(r[key], 1) for r in torch])
PYEOF
