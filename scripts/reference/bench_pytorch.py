"""PyTorch + transformers throughput on the same job as `attune bench`, as the baseline.

Measures AutoModelForSequenceClassification (num_labels=2; default: the starter model
sentence-transformers/all-MiniLM-L6-v2 from the local hub cache, or a randomly initialised
BERT-base with --shape bert-base) on random token ids (seeded, full attention mask,
token_type_ids 0):

  training step   train mode (dropout on): forward + cross-entropy + backward + AdamW step
                  (lr 2e-5), batch --batch-size (16) x --max-len (64)
  inference       eval mode, torch.inference_mode(): forward, batch --infer-batch-size (32)
                  x --max-len (64)

With --int8 the model is first converted with torch.ao.quantization.quantize_dynamic (every
nn.Linear to dynamic int8, PyTorch's own recipe for BERT on CPU) and only inference is measured.

Each phase runs --warmup (3) untimed iterations, then --reps (10) timed ones; medians are
reported. Prints train_examples_per_s, infer_examples_per_s, train_step_ms, infer_batch_ms,
torch version and threads; one JSON object with --json.

Rerun (from the repository root), e.g.:

  /opt/attune-pyref/bin/python scripts/reference/bench_pytorch.py --json
  /opt/attune-pyref/bin/python scripts/reference/bench_pytorch.py --threads 2 --reps 10 --json
  /opt/attune-pyref/bin/python scripts/reference/bench_pytorch.py --shape bert-base --reps 3 --json

--threads defaults to torch's own default (torch.get_num_threads(), usually the core count).
"""

import argparse
import contextlib
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import DEFAULT_MODEL_ID, resolve_model  # noqa: E402  (sets HF offline env first)

import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoModelForSequenceClassification, BertConfig, BertForSequenceClassification  # noqa: E402


def build_model(args):
    if args.shape == "bert-base":
        cfg = BertConfig(num_labels=2)  # 12 layers, hidden 768, 12 heads, vocab 30522
        torch.manual_seed(args.seed)
        return BertForSequenceClassification(cfg), "bert-base (random init)"
    path = resolve_model(args.model)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=2, dtype=torch.float32)
    return model, args.model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=DEFAULT_MODEL_ID, help="folder or hub id (local cache only)")
    ap.add_argument("--shape", choices=["model", "bert-base"], default="model",
                    help="'bert-base': random 12-layer hidden-768 BERT instead of --model")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--infer-batch-size", type=int, default=32)
    ap.add_argument("--max-len", type=int, default=64)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-train", action="store_true")
    ap.add_argument("--skip-infer", action="store_true")
    ap.add_argument("--int8", action="store_true",
                    help="measure inference of the dynamically int8-quantized model (implies --skip-train)")
    ap.add_argument("--device", default="cpu", help="cpu or cuda:N (attune's names)")
    ap.add_argument("--precision", choices=["f32", "bf16", "f16"], default="f32",
                    help="autocast dtype of the matrix products (GradScaler for f16), as attune --precision")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    device = torch.device(args.device)
    amp_dtype = {"f32": None, "bf16": torch.bfloat16, "f16": torch.float16}[args.precision]

    def autocast():
        if amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=device.type, dtype=amp_dtype)

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model, model_name = build_model(args)
    model = model.to(device)
    if args.int8:
        args.skip_train = True
        model.eval()
        model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        model_name += " (dynamic int8)"
    vocab = model.config.vocab_size
    n_params = sum(p.numel() for p in model.parameters())
    gen = torch.Generator().manual_seed(args.seed)

    def batch(bs):
        # Avoid ids 0..999 ([PAD], [unused*], special tokens) so no input looks like padding.
        ids = torch.randint(1000, vocab, (bs, args.max_len), generator=gen).to(device)
        return {
            "input_ids": ids,
            "attention_mask": torch.ones_like(ids),
            "token_type_ids": torch.zeros_like(ids),
        }

    res = {
        "model": model_name,
        "shape": args.shape,
        "params": n_params,
        "batch_size": args.batch_size,
        "infer_batch_size": args.infer_batch_size,
        "max_len": args.max_len,
        "warmup": args.warmup,
        "reps": args.reps,
        "threads": torch.get_num_threads(),
        "device": args.device,
        "precision": args.precision,
        "quantized_engine": torch.backends.quantized.engine if args.int8 else None,
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "attn_implementation": model.config._attn_implementation,
    }

    if not args.skip_train:
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=2e-5)
        loss_fn = torch.nn.CrossEntropyLoss()
        inputs = batch(args.batch_size)
        labels = torch.randint(0, 2, (args.batch_size,), generator=gen).to(device)
        scaler = torch.amp.GradScaler(device.type, enabled=args.precision == "f16")
        times = []
        for i in range(args.warmup + args.reps):
            sync()
            t0 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            with autocast():
                logits = model(**inputs).logits
                loss = loss_fn(logits.float(), labels)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            sync()
            dt = time.perf_counter() - t0
            if i >= args.warmup:
                times.append(dt)
        med = statistics.median(times)
        res["train_step_ms"] = med * 1e3
        res["train_examples_per_s"] = args.batch_size / med
        res["train_step_ms_all"] = [round(t * 1e3, 2) for t in times]
        res["final_loss"] = float(loss.detach())

    if not args.skip_infer:
        model.eval()
        inputs = batch(args.infer_batch_size)
        times = []
        with torch.inference_mode(), autocast():
            for i in range(args.warmup + args.reps):
                t0 = time.perf_counter()
                model(**inputs).logits.sum().item()
                dt = time.perf_counter() - t0
                if i >= args.warmup:
                    times.append(dt)
        med = statistics.median(times)
        res["infer_batch_ms"] = med * 1e3
        res["infer_examples_per_s"] = args.infer_batch_size / med
        res["infer_batch_ms_all"] = [round(t * 1e3, 2) for t in times]

    if args.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            print(f"{k}: {round(v, 2) if isinstance(v, float) else v}")


if __name__ == "__main__":
    main()
