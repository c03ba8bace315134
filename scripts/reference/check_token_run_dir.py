"""Load an Attune token-classification run folder with transformers and print each word's tag.

RUN_DIR is an Attune run trained on CoNLL data (config.json with
architectures ["BertForTokenClassification"], id2label, label2id; model.safetensors under
transformers' names; tokenizer.json). It is loaded with AutoModelForTokenClassification +
AutoTokenizer in float32 eval mode; each sentence, given as words, is tokenized with
is_split_into_words=True, and every word is tagged by its first sub-token, as Attune does. One JSON
object per sentence is printed:

  {"words": [...], "tags": [...], "confidence": [max probability per word],
   "load_report": {"missing": [...], "unexpected": [...]}}

Compare with `attune predict --model RUN_DIR --json "..."` (its "tags", and the entities'
"confidence"). Loading fails (exit 2) if any weight is missing or unused.

Rerun (from the repository root):

  /opt/attune-pyref/bin/python scripts/reference/check_token_run_dir.py RUN_DIR \\
      --sentence "EU rejects German call to boycott British lamb ."
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402,F401  (sets HF offline env first)

import torch  # noqa: E402
from transformers import AutoModelForTokenClassification, AutoTokenizer  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir")
    ap.add_argument("--sentence", action="append", help="words separated by spaces (repeatable)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    sentences = args.sentence or ["EU rejects German call to boycott British lamb ."]
    tok = AutoTokenizer.from_pretrained(args.run_dir)
    model, info = AutoModelForTokenClassification.from_pretrained(
        args.run_dir, dtype=torch.float32, output_loading_info=True
    )
    report = {"missing": list(info["missing_keys"]), "unexpected": list(info["unexpected_keys"])}
    if report["missing"] or report["unexpected"]:
        print(json.dumps({"load_report": report}))
        sys.exit(2)
    model.eval()
    for sentence in sentences:
        words = sentence.split()
        enc = tok(words, is_split_into_words=True, return_tensors="pt")
        with torch.no_grad():
            probs = model(**enc).logits[0].softmax(-1)
        tags, confidence, seen = [], [], set()
        for position, word in enumerate(enc.word_ids()):
            if word is None or word in seen:
                continue
            seen.add(word)
            tags.append(model.config.id2label[int(probs[position].argmax())])
            confidence.append(float(probs[position].max()))
        print(json.dumps({"words": words, "tags": tags, "confidence": confidence, "load_report": report}))


if __name__ == "__main__":
    main()
