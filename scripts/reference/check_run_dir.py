"""Load an Attune run folder with transformers and print its logits, to cross-check Attune.

RUN_DIR is an Attune output folder (config.json with architectures/id2label/label2id,
model.safetensors with transformers' tensor names, tokenizer.json). It is loaded with
AutoModelForSequenceClassification + AutoTokenizer in float32 eval mode, the texts are
tokenized as one padded batch (truncated at --max-len, default 512), and one JSON object is
printed:

  {"texts": [...], "logits": [[...], ...], "labels": [predicted label name per text],
   "id2label": {...}, "load_report": {"missing": [...], "unexpected": [...]}}

Compare it with `attune predict --model RUN_DIR --json` on the same texts. Loading fails loudly
(exit 2) if any model weight is missing from model.safetensors or any tensor in it is unused,
since either means the folder is not what transformers expects.

Rerun (from the repository root):

  /opt/attune-pyref/bin/python scripts/reference/check_run_dir.py RUN_DIR \
      --text "a gorgeous, witty film" --text "dull and far too long"

Without --text a few built-in sample sentences are used.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402,F401  (sets HF offline env first)

import torch  # noqa: E402
from transformers import AutoModelForSequenceClassification, AutoTokenizer  # noqa: E402

DEFAULT_TEXTS = [
    "a gorgeous, witty, seductive movie.",
    "the story is dull and the acting is worse.",
    "It's fine.",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir")
    ap.add_argument("--text", action="append", help="a text to classify (repeatable)")
    ap.add_argument("--max-len", type=int, default=512)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="accepted for symmetry with attune; output is always JSON")
    ap.add_argument("--allow-mismatch", action="store_true",
                    help="do not fail on missing/unexpected weights")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    if not os.path.isdir(args.run_dir):
        sys.exit(f"{args.run_dir}: not a folder")
    texts = args.text or DEFAULT_TEXTS

    tok = AutoTokenizer.from_pretrained(args.run_dir)
    model, info = AutoModelForSequenceClassification.from_pretrained(
        args.run_dir, dtype=torch.float32, output_loading_info=True
    )
    missing = sorted(info.get("missing_keys", []))
    unexpected = sorted(info.get("unexpected_keys", []))
    mismatched = [str(m) for m in info.get("mismatched_keys", [])]
    if (missing or unexpected or mismatched) and not args.allow_mismatch:
        print(json.dumps({"error": "weights do not match the architecture", "missing": missing,
                          "unexpected": unexpected, "mismatched": mismatched}), file=sys.stderr)
        sys.exit(2)
    model.eval()

    enc = tok(texts, padding=True, truncation=True, max_length=args.max_len, return_tensors="pt")
    with torch.inference_mode():
        logits = model(**enc).logits
    id2label = {int(k): v for k, v in model.config.id2label.items()}
    preds = logits.argmax(-1).tolist()
    print(json.dumps({
        "texts": texts,
        "logits": [[float(x) for x in row] for row in logits.tolist()],
        "labels": [id2label[i] for i in preds],
        "id2label": {str(k): v for k, v in sorted(id2label.items())},
        "architectures": model.config.architectures,
        "load_report": {"missing": missing, "unexpected": unexpected},
    }))


if __name__ == "__main__":
    main()
