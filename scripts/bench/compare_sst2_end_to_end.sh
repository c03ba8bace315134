#!/usr/bin/env bash
# The whole fine-tuning job, Attune vs PyTorch + transformers, with the same recipe: the first
# 10,000 SST-2 training rows, 1 epoch, batch 32, max length 64 (dynamic padding on both sides;
# Attune also groups similar lengths into batches), AdamW with 6 % warm-up and linear decay,
# then accuracy on the 872 dev sentences. Prints wall time (model load, training and dev
# evaluation), peak RSS, dev accuracy and the ratios. The two jobs run one after the other.
#
#   scripts/bench/compare_sst2_end_to_end.sh              # lr 5e-5 (the PyTorch script's default)
#   LR=1e-4 scripts/bench/compare_sst2_end_to_end.sh      # Attune's default for this model size
#
# Needs: cargo build --release (target/release/attune), the venv /opt/attune-pyref, GNU time
# (/usr/bin/time, Debian package `time`), the data in
# ../shared/data/sst2. Each job takes minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."

LR=${LR:-5e-5}
SEED=${SEED:-42}
ROWS=${ROWS:-10000}
MODEL=${MODEL:-sentence-transformers/all-MiniLM-L6-v2}
DATA=${DATA:-../shared/data/sst2}
PY=${PY:-/opt/attune-pyref/bin/python}
ATTUNE=${ATTUNE:-./target/release/attune}
out=$(mktemp -d)

echo "attune: training…" >&2
/usr/bin/time -f "%e %M" -o "$out/ours.time" "$ATTUNE" train --model "$MODEL" \
  --train "$DATA/train.tsv" --valid "$DATA/dev.tsv" --max-train-rows "$ROWS" --epochs 1 \
  --batch-size 32 --max-len 64 --lr "$LR" --seed "$SEED" --out "$out/run" >"$out/ours.log" 2>&1
echo "pytorch: training…" >&2
/usr/bin/time -f "%e %M" -o "$out/torch.time" "$PY" scripts/reference/train_sst2_pytorch.py \
  --model "$MODEL" --train "$DATA/train.tsv" --dev "$DATA/dev.tsv" --max-train-rows "$ROWS" \
  --epochs 1 --batch-size 32 --lr "$LR" --seed "$SEED" --json >"$out/torch.json" 2>"$out/torch.log"

"$PY" - "$out" "$LR" <<'PYEOF'
import json, sys
out, lr = sys.argv[1], sys.argv[2]
run = json.load(open(f"{out}/run/run.json"))
torch = json.loads(open(f"{out}/torch.json").read().strip().splitlines()[-1])
o_wall, o_kb = map(float, open(f"{out}/ours.time").read().split())
t_wall, t_kb = map(float, open(f"{out}/torch.time").read().split())
o_acc, t_acc = run["best"]["accuracy"], torch["dev_accuracy"]
print(f"SST-2, {run['train_data']['rows']} rows, 1 epoch, batch 32, max length 64, lr {lr}")
print(f"{'':26}{'attune':>10}{'pytorch':>10}{'ratio':>8}")
print(f"{'wall s (whole process)':26}{o_wall:10.1f}{t_wall:10.1f}{o_wall / t_wall:8.2f}")
print(f"{'  train s / eval s':26}{'':>10}{torch['train_s']:7.1f} / {torch['eval_s']:.1f}")
print(f"{'peak RSS MiB':26}{o_kb / 1024:10.0f}{t_kb / 1024:10.0f}{o_kb / t_kb:8.2f}")
print(f"{'dev accuracy':26}{o_acc:10.4f}{t_acc:10.4f}{o_acc - t_acc:+8.4f}")
PYEOF
