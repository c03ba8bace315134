"""Reference entity-level metrics from seqeval (strict mode, IOB2 scheme), for Attune's
token-classification metric tests.

Produces tests/fixtures/seqeval_metrics.json: a JSON list of cases, each

  {"name", "y_true", "y_pred" (lists of sentences, each a list of tags),
   "micro": {"precision", "recall", "f1", "support"},
   "macro": {"precision", "recall", "f1", "support"},
   "per_type": {type: {"precision", "recall", "f1", "support"}}}

computed with seqeval.metrics.classification_report(y_true, y_pred, mode="strict",
scheme=IOB2, output_dict=True, zero_division=0). Cases (fixed random seed 2026):

  conll_like_noisy    200 sentences of PER/ORG/LOC/MISC entities; predictions drop, retype,
                      shorten and invent entities, and write broken spans (an I- after O or after
                      another type, which strict mode does not count)
  one_type_perfect    every entity right
  invented_type       predictions use a type that never occurs in the truth (recall 0/0)

Rerun (from the repository root):

  /opt/attune-pyref/bin/python scripts/reference/seqeval_metrics.py

Option: --out PATH (default tests/fixtures/seqeval_metrics.json).
"""

import argparse
import json
import os
import random

import seqeval
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TYPES = ["PER", "ORG", "LOC", "MISC"]


def sentence(rng, types):
    tags = []
    while len(tags) < rng.randint(3, 18):
        if rng.random() < 0.3:
            t = rng.choice(types)
            tags.append("B-" + t)
            tags.extend("I-" + t for _ in range(rng.randint(0, 2)))
        else:
            tags.append("O")
    return tags


def noisy(rng, tags):
    out = list(tags)
    for i, t in enumerate(out):
        r = rng.random()
        if t != "O" and r < 0.08:
            out[i] = "O"  # drop or shorten
        elif t != "O" and r < 0.14:
            out[i] = t[:2] + rng.choice(TYPES)  # retype (may break the span)
        elif t == "O" and r < 0.04:
            out[i] = "B-" + rng.choice(TYPES)  # invent
        elif t == "O" and r < 0.06:
            out[i] = "I-" + rng.choice(TYPES)  # broken: an I- after O
    return out


def case(name, y_true, y_pred):
    report = classification_report(y_true, y_pred, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
    scores = lambda d: {k: float(d[k]) for k in ["precision", "recall", "f1-score", "support"]}
    rename = lambda d: {("f1" if k == "f1-score" else k): v for k, v in scores(d).items()}
    per_type = {k: rename(v) for k, v in report.items() if not k.endswith(" avg")}
    return {
        "name": name,
        "y_true": y_true,
        "y_pred": y_pred,
        "micro": rename(report["micro avg"]),
        "macro": rename(report["macro avg"]),
        "per_type": per_type,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(REPO_ROOT, "tests", "fixtures", "seqeval_metrics.json"))
    args = parser.parse_args()
    rng = random.Random(2026)
    truth = [sentence(rng, TYPES) for _ in range(200)]
    cases = [case("conll_like_noisy", truth, [noisy(rng, s) for s in truth])]
    perfect = [sentence(rng, ["PER"]) for _ in range(20)]
    cases.append(case("one_type_perfect", perfect, [list(s) for s in perfect]))
    small = [sentence(rng, ["LOC"]) for _ in range(20)]
    invented = [[("B-ORG" if t == "O" and i == 0 else t) for i, t in enumerate(s)] for s in small]
    cases.append(case("invented_type", small, invented))
    with open(args.out, "w") as f:
        json.dump({"seqeval_version": seqeval.__version__ if hasattr(seqeval, "__version__") else "1.2.2", "cases": cases}, f, indent=1)
    print(f"wrote {len(cases)} cases to {args.out}")


if __name__ == "__main__":
    main()
