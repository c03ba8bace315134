#!/usr/bin/env bash
# Named entities on CoNLL-2003: all-MiniLM-L6-v2 fine-tuned on the train split (validation on
# the valid split picks the best epoch), then entity-level F1 (seqeval strict IOB2) on the test
# split. Prints the validation history, the test measures and the wall times.
#   scripts/bench/conll_ner.sh [EPOCHS (default 4)] [OUT_DIR (default target/conll-ner)]
# About 30 minutes on 2 cores at 4 epochs.
set -euo pipefail
cd "$(dirname "$0")/../.."
EPOCHS=${1:-4}
OUT=${2:-target/conll-ner}
DATA=../shared/data/conll2003
rm -rf "$OUT"
cargo build --release --quiet
start=$(date +%s)
HF_HUB_OFFLINE=1 target/release/attune train --model sentence-transformers/all-MiniLM-L6-v2 \
  --train "$DATA/train.txt" --valid "$DATA/valid.txt" --epochs "$EPOCHS" --out "$OUT" 2>&1 \
  | grep -E "^(training on|epoch|done|best)"
trained=$(date +%s)
HF_HUB_OFFLINE=1 target/release/attune eval --model "$OUT" --data "$DATA/test.txt"
echo "training wall time: $((trained - start)) s; test evaluation: $(( $(date +%s) - trained )) s"
