#!/usr/bin/env bash
# The checks that need an NVIDIA GPU, as one script for a machine that has one but no Rust
# toolchain and no network (the `device` machines: CUDA 13 driver, python3 with PyTorch and
# transformers). scripts/cuda/pack-gpu-check.sh prepares its inputs in .gpu/ on the build machine:
#   .gpu/attune.xz        the headless CUDA build (scripts/cuda/check-cuda-build.sh --build), xz
#   .gpu/minilm/          all-MiniLM-L6-v2 with its weights stored as f16, xz (to fit the transfer)
#   .gpu/sst2/            SST-2 train (first rows) and dev, as in ../shared/data/sst2
# It then runs, each step under its own time limit, writing everything to $OUT (log.txt):
#   1. the speed benchmark against PyTorch eager on the same GPU, batch 32 x length 128, f32 and
#      bf16, MiniLM-L6 (real weights) and the BERT-base shape (random weights), alternating;
#   2. a short SST-2 fine-tune on the GPU (ROWS rows, 1 epoch) with its dev accuracy;
#   3. parity of that fine-tuned model: our CUDA probabilities against our CPU ones and against
#      transformers on the same GPU in f32 (TF32 off), on the 872 dev sentences; goal <= 1e-3.
#
#   OUT=/tmp/gpu scripts/cuda/gpu-check.sh
#
# Through the `device` tool (carry .gpu; only 8 files come back, so pack the folder): run
#   R=$OUT; OUT=/tmp/g ROUNDS=1 REPS=10 bash scripts/cuda/gpu-check.sh; tar czf $R/gpu-check.tgz -C /tmp g
# On an H200 that took 131 s (ROUNDS=2 REPS=5: 238 s), plus about a minute to start the machine.
set -uo pipefail
cd "$(dirname "$0")/../.."

IN=${IN:-.gpu}
OUT=${OUT:-/tmp/gpu-check}
PY=${PY:-python3}
ROWS=${ROWS:-4000}
ROUNDS=${ROUNDS:-2}
REPS=${REPS:-5}
GPU=${GPU:-cuda:0}   # GPU=cpu rehearses the script on a machine without one
WORK=$(mktemp -d)
mkdir -p "$OUT"
LOG="$OUT/log.txt"
say() { echo "== $* [$(date +%T)]" | tee -a "$LOG"; }
run() { # run LIMIT_S NAME CMD...: output to $OUT/NAME.txt, exit status to the log
  local limit=$1 name=$2; shift 2
  local start=$SECONDS
  timeout "$limit" "$@" >"$OUT/$name.txt" 2>&1
  local rc=$?
  say "$name: exit $rc in $((SECONDS - start)) s"
  return $rc
}

say "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee -a "$LOG"
nproc | tee -a "$LOG"

# The CUDA 13 runtime and cuBLAS: the ones PyTorch's wheels brought, when no toolkit is installed.
site=$("$PY" -c 'import site; print(site.getsitepackages()[0])')
for lib in libcublasLt.so.13 libcudart.so.13 libcurand.so.10; do
  found=$(find "$site/nvidia" /usr/local/cuda*/lib64 -name "$lib*" 2>/dev/null | head -1)
  dir=$(dirname "${found:-.}")
  [[ -n "$found" && ":${LD_LIBRARY_PATH:-}:" != *":$dir:"* ]] &&
    export LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
done
say "libraries: $LD_LIBRARY_PATH"

unxz_to() { "$PY" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; }
unxz_to "$IN/attune.xz" "$WORK/attune" && chmod +x "$WORK/attune"
ATTUNE="$WORK/attune"
ldd "$ATTUNE" | grep -E 'cuda|cublas|curand|not found' | tee -a "$LOG"

MODEL="$WORK/minilm"
mkdir -p "$MODEL"
cp "$IN"/minilm/*.json "$IN"/minilm/*.txt "$MODEL"/ 2>/dev/null
unxz_to "$IN/minilm/model.safetensors.xz" "$WORK/model.f16.safetensors"
"$PY" - "$WORK/model.f16.safetensors" "$MODEL/model.safetensors" <<'PYEOF'
import sys
from safetensors.torch import load_file, save_file
weights = load_file(sys.argv[1])
save_file({k: v.float().contiguous() for k, v in weights.items()}, sys.argv[2])
PYEOF
say "model ready: $(ls "$MODEL" | tr '\n' ' ')"

# 1. Speed against PyTorch eager, alternating rounds (SKIP_BENCH=1 leaves it out).
for precision in $([[ -n "${SKIP_BENCH:-}" ]] || echo f32 bf16); do
  for shape in minilm bert-base; do
    if [[ $shape == minilm ]]; then ours=(--model "$MODEL"); theirs=(--model "$MODEL"); else
      ours=(--shape bert-base); theirs=(--shape bert-base); fi
    common=(--device "$GPU" --precision "$precision" --batch-size 32 --max-len 128 --reps "$REPS")
    for r in $(seq 1 "$ROUNDS"); do
      run 60 "bench.$shape.$precision.attune.$r" "$ATTUNE" bench "${ours[@]}" "${common[@]}" \
        --infer-batch-size 32 --json
      run 60 "bench.$shape.$precision.torch.$r" "$PY" scripts/reference/bench_pytorch.py \
        "${theirs[@]}" "${common[@]}" --json
    done
  done
done
"$PY" - "$OUT" <<'PYEOF' | tee -a "$LOG"
import glob, json, statistics, sys
out = sys.argv[1]
def rows(pattern):
    found = []
    for path in sorted(glob.glob(f"{out}/{pattern}")):
        text = open(path).read()
        start = text.find("{")  # attune prints one indented object, the PyTorch script one line
        if start >= 0:
            try:
                found.append(json.loads(text[start:]))
            except json.JSONDecodeError:
                pass
    return found
print(f"{'':22}{'attune':>9}{'pytorch':>9}{'ratio':>7}   (examples/s, medians of rounds)")
for shape in ("minilm", "bert-base"):
    for precision in ("f32", "bf16"):
        ours, theirs = rows(f"bench.{shape}.{precision}.attune.*.txt"), rows(f"bench.{shape}.{precision}.torch.*.txt")
        for what in ("train", "infer"):
            key = f"{what}_examples_per_s"
            if ours and theirs:
                o, t = statistics.median(r[key] for r in ours), statistics.median(r[key] for r in theirs)
                print(f"{shape + ' ' + precision + ' ' + what:22}{o:9.1f}{t:9.1f}{o / t:7.2f}")
            else:
                print(f"{shape + ' ' + precision + ' ' + what:22} missing (see the bench files)")
PYEOF

# 2. A short SST-2 fine-tune on the GPU.
RUN="$WORK/run"
run 240 train "$ATTUNE" train --model "$MODEL" --train "$IN/sst2/train.tsv" --valid "$IN/sst2/dev.tsv" \
  --max-train-rows "$ROWS" --epochs 1 --batch-size 32 --max-len 64 --lr 1e-4 --seed 42 \
  --device "$GPU" --out "$RUN"
tail -5 "$OUT/train.txt" | tee -a "$LOG"
[[ -f "$RUN/run.json" ]] && cp "$RUN/run.json" "$OUT/run.json"

# 3. Parity of the fine-tuned model: our CUDA vs our CPU vs transformers on the GPU.
cut -f1 "$IN/sst2/dev.tsv" | tail -n +2 >"$WORK/dev.txt"
run 120 predict.cuda "$ATTUNE" predict --model "$RUN" --device "$GPU" --json <"$WORK/dev.txt"
run 120 predict.cpu "$ATTUNE" predict --model "$RUN" --device cpu --json <"$WORK/dev.txt"
run 120 parity "$PY" - "$RUN" "$WORK/dev.txt" "$OUT/predict.cuda.txt" "$OUT/predict.cpu.txt" "$GPU" <<'PYEOF'
import json, sys
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer
run, texts_path, cuda_path, cpu_path, device = sys.argv[1:6]
texts = open(texts_path).read().splitlines()
load = lambda p: [json.loads(l) for l in open(p) if l.startswith("{")]
ours_cuda, ours_cpu = load(cuda_path), load(cpu_path)
assert len(ours_cuda) == len(texts) == len(ours_cpu), (len(ours_cuda), len(ours_cpu), len(texts))
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
tok = AutoTokenizer.from_pretrained(run)
model = AutoModelForSequenceClassification.from_pretrained(run).to(device).eval()
labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
theirs = []
with torch.no_grad():
    for i in range(0, len(texts), 64):
        enc = tok(texts[i:i + 64], padding=True, truncation=True, max_length=256, return_tensors="pt").to(device)
        theirs += model(**enc).logits.float().softmax(-1).cpu().tolist()
def worst(a, b):
    return max(abs(x["probabilities"][l] - y["probabilities"][l]) for x, y in zip(a, b) for l in labels)
vs_torch = max(abs(x["probabilities"][l] - row[j]) for x, row in zip(ours_cuda, theirs) for j, l in enumerate(labels))
agree = sum(x["label"] == y["label"] for x, y in zip(ours_cuda, ours_cpu))
print(f"texts {len(texts)}; labels {labels}")
print(f"max |p_cuda - p_cpu| (ours)          {worst(ours_cuda, ours_cpu):.2e}")
print(f"max |p_ours_cuda - p_transformers|   {vs_torch:.2e}")
print(f"same predicted label cuda vs cpu      {agree}/{len(texts)}")
PYEOF
tee -a "$LOG" <"$OUT/parity.txt"
say "done"
