#!/usr/bin/env bash
# Prepares .gpu/, the inputs of scripts/cuda/gpu-check.sh, on the build machine, small enough for
# a 64 MiB transfer: the CUDA build stripped and compressed with xz, all-MiniLM-L6-v2 from the local Hugging
# Face cache with its weights stored as f16 (gpu-check.sh turns them back into f32, so the model
# differs from the original by f16 rounding only), and SST-2's first ROWS training rows and its
# dev set. Run scripts/cuda/check-cuda-build.sh --build first.
#
#   scripts/cuda/pack-gpu-check.sh                 # then: device run, carry .gpu
#   ATTUNE=target/release/attune scripts/cuda/pack-gpu-check.sh   # the CPU build, to rehearse
set -euo pipefail
cd "$(dirname "$0")/../.."

ATTUNE=${ATTUNE:-target/cuda/release/attune}
PY=${PY:-/opt/attune-pyref/bin/python}
DATA=${DATA:-../shared/data/sst2}
ROWS=${ROWS:-4000}
snapshot=$(ls -d ~/.cache/huggingface/hub/models--sentence-transformers--all-MiniLM-L6-v2/snapshots/*/ | head -1)

rm -rf .gpu && mkdir -p .gpu/minilm .gpu/sst2
strip -o .gpu/attune "$ATTUNE" && xz -T0 -6 .gpu/attune   # 72 MB -> 9.5 MB
for f in config.json tokenizer.json tokenizer_config.json special_tokens_map.json vocab.txt; do
  [[ -f "$snapshot/$f" ]] && cp -L "$snapshot/$f" .gpu/minilm/
done
"$PY" - "$snapshot/model.safetensors" .gpu/minilm/model.safetensors <<'PYEOF'
import sys
from safetensors.torch import load_file, save_file
weights = load_file(sys.argv[1])
save_file({k: v.half().contiguous() for k, v in weights.items()}, sys.argv[2])
PYEOF
xz -T0 -6 .gpu/minilm/model.safetensors   # 45 MB -> 41 MB
head -n $((ROWS + 1)) "$DATA/train.tsv" >.gpu/sst2/train.tsv
cp "$DATA/dev.tsv" .gpu/sst2/dev.tsv
du -sh .gpu .gpu/* | sed 's/^/pack-gpu-check: /'
