"""Reference classification metrics from scikit-learn, for Attune's metric tests.

Produces tests/fixtures/sklearn_metrics.json: a JSON list of cases, each

  {"name", "labels" (label strings, fixed order), "y_true", "y_pred" (label strings),
   "accuracy", "macro_f1", "micro_f1", "weighted_f1",
   "per_class": {label: {"precision", "recall", "f1", "support"}},
   "confusion": rows = true label in `labels` order, columns = predicted label}

computed with sklearn accuracy_score, f1_score(average=..., labels=labels, zero_division=0),
precision_recall_fscore_support(labels=labels, zero_division=0) and
confusion_matrix(labels=labels). Cases (fixed numpy seed 1234):

  binary_75pct             2 classes, 40 examples, about 75% correct
  multiclass_imbalanced    4 classes, 60 examples, imbalanced; "neutral" is never predicted
                           (precision 0/0 -> 0) and "other" is predicted but never true
                           (recall 0/0 -> 0, support 0), so zero_division matters
  three_class_perfect      3 classes, all correct

Rerun (from the repository root):

  /opt/attune-pyref/bin/python scripts/reference/metrics.py

Option: --out PATH (default tests/fixtures/sklearn_metrics.json).
"""

import argparse
import json
import os

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEED = 1234


def case(name, labels, y_true, y_pred):
    y_true = [str(y) for y in y_true]
    y_pred = [str(y) for y in y_pred]
    assert len(y_true) == len(y_pred)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    cm = confusion_matrix(y_true, y_pred, labels=labels)

    def f1(avg):
        return float(f1_score(y_true, y_pred, average=avg, labels=labels, zero_division=0))

    return {
        "name": name,
        "labels": labels,
        "y_true": y_true,
        "y_pred": y_pred,
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": f1("macro"),
        "micro_f1": f1("micro"),
        "weighted_f1": f1("weighted"),
        "per_class": {
            lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, lab in enumerate(labels)
        },
        "confusion": cm.astype(int).tolist(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO_ROOT, "tests", "fixtures", "sklearn_metrics.json"))
    args = ap.parse_args()
    rng = np.random.default_rng(SEED)
    cases = []

    # (a) binary, 40 examples, ~75% correct.
    labels = ["negative", "positive"]
    t = rng.integers(0, 2, size=40)
    flip = rng.random(40) < 0.25
    pr = np.where(flip, 1 - t, t)
    cases.append(case("binary_75pct", labels, [labels[i] for i in t], [labels[i] for i in pr]))

    # (b) 4 classes, 60 examples, imbalanced. "neutral" occurs in y_true but is never
    # predicted; "other" is predicted but never occurs in y_true.
    labels = ["positive", "negative", "neutral", "other"]
    t = rng.choice(3, size=60, p=[0.6, 0.3, 0.1])  # only positive/negative/neutral are true
    pr = []
    for y in t:
        if y == 2:  # neutral: always mistaken, for positive, negative or other
            pr.append(int(rng.choice([0, 1, 3])))
        elif rng.random() < 0.7:
            pr.append(int(y))
        else:
            pr.append(int(rng.choice([1 - int(y), 3])))
    pr = np.array(pr)
    assert (t == 2).any() and not (pr == 2).any() and (pr == 3).any() and not (t == 3).any()
    cases.append(case("multiclass_imbalanced", labels, [labels[i] for i in t], [labels[i] for i in pr]))

    # (c) 3 classes, all correct.
    labels = ["sports", "politics", "tech"]
    t = rng.integers(0, 3, size=30)
    cases.append(case("three_class_perfect", labels, [labels[i] for i in t], [labels[i] for i in t]))

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")
    print(f"wrote {args.out} ({len(cases)} cases, scikit-learn {sklearn.__version__})")
    for c in cases:
        print(f"  {c['name']}: acc {c['accuracy']:.4f} macro {c['macro_f1']:.4f} "
              f"micro {c['micro_f1']:.4f} weighted {c['weighted_f1']:.4f}")


if __name__ == "__main__":
    main()
