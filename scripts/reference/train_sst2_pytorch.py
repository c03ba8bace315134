"""PyTorch + transformers baseline for Attune's end-to-end job: fine-tune on SST-2, score on dev.

Fine-tunes AutoModelForSequenceClassification (default: the starter model
sentence-transformers/all-MiniLM-L6-v2 from the local hub cache, num_labels=2) on the first
--max-train-rows (10000) rows of /work/shared/data/sst2/train.tsv, then measures accuracy on
/work/shared/data/sst2/dev.tsv. Both files are TSV with the header `sentence<TAB>label`, read
with quoting off (csv.QUOTE_NONE). Recipe: 1 epoch, shuffled (seed 42), batch size 32,
AdamW lr 5e-5, weight decay 0.01 (not on biases and LayerNorm weights, as the HF Trainer does),
linear warm-up over the first ceil(6% of steps) then linear decay to 0, max length 64 with dynamic
padding (each batch padded to its own longest), train mode (dropout on), float32.

Prints wall time (train_s, eval_s), train/eval examples per second, peak RSS
(resource.getrusage, MiB), dev accuracy and the settings; one JSON object with --json.

Rerun (from the repository root); the full job takes a long time on 2 CPU cores:

  /opt/attune-pyref/bin/python scripts/reference/train_sst2_pytorch.py --json
  # quick check that it runs:
  /opt/attune-pyref/bin/python scripts/reference/train_sst2_pytorch.py --max-train-rows 200 --json

--threads N sets torch.set_num_threads (default: torch's default). --save DIR writes the
fine-tuned model + tokenizer there (save_pretrained, safetensors) for check_run_dir.py.
"""

import argparse
import csv
import json
import math
import os
import random
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import DEFAULT_MODEL_ID, resolve_model  # noqa: E402  (sets HF offline env first)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup  # noqa: E402

DATA_DIR = "/work/shared/data/sst2"


def read_tsv(path, max_rows=None):
    texts, labels = [], []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        assert header[:2] == ["sentence", "label"], f"{path}: unexpected header {header}"
        for row in reader:
            if max_rows is not None and len(texts) >= max_rows:
                break
            texts.append(row[0])
            labels.append(int(row[1]))
    return texts, labels


def peak_rss_mib():
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=DEFAULT_MODEL_ID, help="folder or hub id (local cache only)")
    ap.add_argument("--train", default=os.path.join(DATA_DIR, "train.tsv"))
    ap.add_argument("--dev", default=os.path.join(DATA_DIR, "dev.tsv"))
    ap.add_argument("--max-train-rows", type=int, default=10000)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--eval-batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--warmup-ratio", type=float, default=0.06)
    ap.add_argument("--max-len", type=int, default=64)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--save", default=None, help="folder to save the fine-tuned model in")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    path = resolve_model(args.model)
    train_x, train_y = read_tsv(args.train, args.max_train_rows)
    dev_x, dev_y = read_tsv(args.dev)

    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(
        path, num_labels=2, dtype=torch.float32,
        id2label={0: "negative", 1: "positive"}, label2id={"negative": 0, "positive": 1},
    )

    def encode(texts):
        # Dynamic padding: pad to the longest in this batch, truncate at max_len.
        return tok(texts, padding=True, truncation=True, max_length=args.max_len, return_tensors="pt")

    n_batches = (len(train_x) + args.batch_size - 1) // args.batch_size
    total_steps = n_batches * args.epochs
    warmup_steps = math.ceil(args.warmup_ratio * total_steps)  # as the HF Trainer rounds it
    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not any(k in n for k in no_decay)],
         "weight_decay": args.weight_decay},
        {"params": [p for n, p in model.named_parameters() if any(k in n for k in no_decay)],
         "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=args.lr)
    sched = get_linear_schedule_with_warmup(opt, warmup_steps, total_steps)
    gen = torch.Generator().manual_seed(args.seed)

    model.train()
    losses = []
    t0 = time.perf_counter()
    for _epoch in range(args.epochs):
        order = torch.randperm(len(train_x), generator=gen).tolist()
        for b in range(n_batches):
            idx = order[b * args.batch_size:(b + 1) * args.batch_size]
            enc = encode([train_x[i] for i in idx])
            labels = torch.tensor([train_y[i] for i in idx])
            out = model(**enc, labels=labels)
            out.loss.backward()
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            losses.append(float(out.loss.detach()))
    train_s = time.perf_counter() - t0

    model.eval()
    correct = 0
    t0 = time.perf_counter()
    with torch.inference_mode():
        for b in range(0, len(dev_x), args.eval_batch_size):
            enc = encode(dev_x[b:b + args.eval_batch_size])
            pred = model(**enc).logits.argmax(-1)
            correct += int((pred == torch.tensor(dev_y[b:b + args.eval_batch_size])).sum())
    eval_s = time.perf_counter() - t0

    if args.save:
        model.save_pretrained(args.save, safe_serialization=True)
        tok.save_pretrained(args.save)

    n_train = len(train_x) * args.epochs
    tail = losses[-min(20, len(losses)):]
    res = {
        "model": args.model,
        "train_rows": len(train_x),
        "dev_rows": len(dev_x),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "weight_decay": args.weight_decay,
        "warmup_steps": warmup_steps,
        "total_steps": total_steps,
        "max_len": args.max_len,
        "seed": args.seed,
        "threads": torch.get_num_threads(),
        "train_s": train_s,
        "eval_s": eval_s,
        "train_examples_per_s": n_train / train_s,
        "eval_examples_per_s": len(dev_x) / eval_s,
        "peak_rss_mib": peak_rss_mib(),
        "first_loss": losses[0],
        "final_loss_mean_last20": sum(tail) / len(tail),
        "dev_accuracy": correct / len(dev_x),
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
    }
    if args.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            print(f"{k}: {round(v, 4) if isinstance(v, float) else v}")


if __name__ == "__main__":
    main()
