"""Reference encoder outputs for the starter model, for Attune's numerical parity tests.

Produces tests/fixtures/minilm_parity.json: transformers AutoTokenizer + AutoModel
(sentence-transformers/all-MiniLM-L6-v2, BERT 6 layers, hidden 384) in float32 eval mode,
run on 4 sentences of clearly different lengths tokenized as ONE padded batch
(padding=True, i.e. to the longest; no truncation happens). Keys:

  model, sentences, input_ids, attention_mask, token_type_ids  (padded, batch x seq)
  last_hidden_state   batch x seq x 384, rounded to 6 decimals, padded positions included
  pooler_output       batch x 384 (tanh(dense(CLS))), rounded to 6 decimals
  transformers_version, torch_version, attn_implementation

Padded positions of last_hidden_state are computed normally (every query row attends only to
the unmasked keys); compare them too, or only where attention_mask == 1.

Rerun (from the repository root):

  HF_HUB_OFFLINE=1 /opt/attune-pyref/bin/python scripts/reference/parity.py

Options: --model FOLDER_OR_HUB_ID (default: the hub id, resolved in the local hub cache),
--out PATH (default tests/fixtures/minilm_parity.json).
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import DEFAULT_MODEL_ID, resolve_model  # noqa: E402  (sets HF offline env first)

import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoModel, AutoTokenizer  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SENTENCES = [
    # 3 words
    "A wonderful film.",
    # 12 words
    "The plot was predictable, but the actors clearly had fun making it.",
    # ~30 words, punctuation, an accented word, an apostrophe, a dash and brackets
    "After waiting forty minutes at the crowded café downtown, we finally got our coffee "
    "- lukewarm, bitter and overpriced; still, the pastries (especially the almond "
    "croissant!) almost made up for it, didn't they?",
    # 8 words
    "I would not recommend this hotel to anyone.",
]


def rounded(t: torch.Tensor):
    return [round(float(x), 6) for x in t.tolist()] if t.dim() == 1 else [rounded(r) for r in t]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=DEFAULT_MODEL_ID)
    ap.add_argument("--out", default=os.path.join(REPO_ROOT, "tests", "fixtures", "minilm_parity.json"))
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(0)
    path = resolve_model(args.model)

    tok = AutoTokenizer.from_pretrained(path)
    # eager = the plain softmax(QK^T/sqrt(d) + mask) V math, the reference for a port.
    model = AutoModel.from_pretrained(path, dtype=torch.float32, attn_implementation="eager")
    model.eval()

    enc = tok(SENTENCES, padding=True, truncation=False, return_tensors="pt")
    assert enc["input_ids"].shape[1] < 128, "sentences should not come near the 128 limit"
    with torch.no_grad():
        out = model(**enc)

    data = {
        "model": DEFAULT_MODEL_ID,
        "sentences": SENTENCES,
        "input_ids": enc["input_ids"].tolist(),
        "attention_mask": enc["attention_mask"].tolist(),
        "token_type_ids": enc["token_type_ids"].tolist(),
        "last_hidden_state": rounded(out.last_hidden_state),
        "pooler_output": rounded(out.pooler_output),
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "attn_implementation": "eager",
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")
    lens = enc["attention_mask"].sum(1).tolist()
    print(f"wrote {args.out}: batch {len(SENTENCES)}, padded length {enc['input_ids'].shape[1]}, lengths {lens}")


if __name__ == "__main__":
    main()
