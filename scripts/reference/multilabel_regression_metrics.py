"""Reference multi-label and regression metrics from scikit-learn and scipy, for Attune's metric
tests (src/train/multi_label_metrics.rs and src/train/regression_metrics.rs).

Produces tests/fixtures/multilabel_regression_metrics.json:

  {"versions": {"sklearn", "scipy", "numpy"},
   "multi_label": [{"name", "labels", "y_true", "y_pred" (0/1 indicator rows, one column per label),
                    "subset_accuracy", "hamming_loss",
                    "micro": {"precision", "recall", "f1", "support"},
                    "macro": {"precision", "recall", "f1"},
                    "per_label": {label: {"precision", "recall", "f1", "support"}},
                    "confusion": {label: {"tn", "fp", "fn", "tp"}}}],
   "regression": [{"name", "y_true", "y_pred", "mae", "mse", "rmse", "r2", "pearson", "spearman"}]}

Multi-label numbers come from sklearn accuracy_score (subset accuracy on indicator matrices),
hamming_loss, precision_recall_fscore_support(average=None / "micro" / "macro", zero_division=0)
and multilabel_confusion_matrix (tn, fp, fn, tp per label). sklearn returns no support for an
average; "micro.support" here is the number of positive cells in y_true (Attune's convention).
Regression numbers come from sklearn mean_absolute_error, mean_squared_error, sqrt of that MSE,
r2_score, scipy.stats.pearsonr and scipy.stats.spearmanr (Pearson of average ranks). Cases (fixed
numpy seed 4242):

  multi_label:
    four_labels_80pct      4 labels, 50 examples, label prevalences 0.5/0.3/0.2/0.4, each cell of
                           the prediction flipped with probability 0.2 (about 80% label-wise right)
    never_true_never_predicted
                           5 labels, 40 examples: "rare" is predicted but never true (recall 0/0),
                           "missed" is true but never predicted (precision 0/0), "unused" is
                           neither (every score 0/0 -> 0, still counted in the macro average);
                           some rows have no label at all
    three_labels_perfect   3 labels, 30 examples, all correct
  regression:
    continuous_100         100 normal targets, predictions = 0.8 * target + 0.3 + noise
    integer_ties_40        40 ratings 1..5 and predictions rounded to integers: many ties, so the
                           Spearman average ranks matter
    small_n5               5 hand-picked values (one tie in the predictions)

Rerun (from the repository root):

  /opt/attune-pyref/bin/python scripts/reference/multilabel_regression_metrics.py

Option: --out PATH (default tests/fixtures/multilabel_regression_metrics.json).
"""

import argparse
import json
import math
import os

import numpy as np
import scipy
import sklearn
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import (
    accuracy_score,
    hamming_loss,
    mean_absolute_error,
    mean_squared_error,
    multilabel_confusion_matrix,
    precision_recall_fscore_support,
    r2_score,
)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEED = 4242


def multi_label_case(name, labels, y_true, y_pred):
    y_true = np.asarray(y_true, dtype=int)
    y_pred = np.asarray(y_pred, dtype=int)
    assert y_true.shape == y_pred.shape and y_true.shape[1] == len(labels)

    def averaged(avg):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average=avg, zero_division=0)
        return {"precision": float(p), "recall": float(r), "f1": float(f)}

    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0)
    mcm = multilabel_confusion_matrix(y_true, y_pred)
    micro = averaged("micro")
    micro["support"] = int(y_true.sum())
    return {
        "name": name,
        "labels": labels,
        "y_true": y_true.tolist(),
        "y_pred": y_pred.tolist(),
        "subset_accuracy": float(accuracy_score(y_true, y_pred)),
        "hamming_loss": float(hamming_loss(y_true, y_pred)),
        "micro": micro,
        "macro": averaged("macro"),
        "per_label": {
            lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, lab in enumerate(labels)
        },
        "confusion": {
            lab: {"tn": int(m[0, 0]), "fp": int(m[0, 1]), "fn": int(m[1, 0]), "tp": int(m[1, 1])}
            for lab, m in zip(labels, mcm)
        },
    }


def regression_case(name, y_true, y_pred):
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    mse = float(mean_squared_error(y_true, y_pred))
    return {
        "name": name,
        "y_true": y_true.tolist(),
        "y_pred": y_pred.tolist(),
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "mse": mse,
        "rmse": math.sqrt(mse),
        "r2": float(r2_score(y_true, y_pred)),
        "pearson": float(pearsonr(y_true, y_pred).statistic),
        "spearman": float(spearmanr(y_true, y_pred).statistic),
    }


def multi_label_cases(rng):
    cases = []

    # (a) 4 labels x 50 examples, each cell flipped with probability 0.2.
    labels = ["sports", "politics", "tech", "health"]
    t = (rng.random((50, 4)) < np.array([0.5, 0.3, 0.2, 0.4])).astype(int)
    flip = rng.random((50, 4)) < 0.2
    cases.append(multi_label_case("four_labels_80pct", labels, t, np.where(flip, 1 - t, t)))

    # (b) 5 labels x 40 examples; "rare" predicted but never true, "missed" true but never
    # predicted, "unused" neither.
    labels = ["common", "rare", "missed", "other", "unused"]
    t = (rng.random((40, 5)) < np.array([0.5, 0.0, 0.3, 0.35, 0.0])).astype(int)
    flip = rng.random((40, 5)) < np.array([0.15, 0.2, 0.0, 0.25, 0.0])
    pr = np.where(flip, 1 - t, t)
    pr[:, 2] = 0
    assert t[:, 1].sum() == 0 and pr[:, 1].sum() > 0
    assert t[:, 2].sum() > 0 and pr[:, 2].sum() == 0
    assert t[:, 4].sum() == 0 and pr[:, 4].sum() == 0
    assert (t.sum(axis=1) == 0).any()
    cases.append(multi_label_case("never_true_never_predicted", labels, t, pr))

    # (c) 3 labels x 30 examples, all correct.
    labels = ["urgent", "billing", "bug"]
    t = (rng.random((30, 3)) < 0.4).astype(int)
    cases.append(multi_label_case("three_labels_perfect", labels, t, t.copy()))
    return cases


def regression_cases(rng):
    cases = []

    # (a) continuous targets and correlated, noisy predictions.
    t = rng.normal(2.0, 1.5, size=100)
    cases.append(regression_case("continuous_100", t, 0.8 * t + 0.3 + rng.normal(0.0, 0.7, size=100)))

    # (b) integer ratings 1..5; predictions rounded to integers, so ranks tie on both sides.
    t = rng.integers(1, 6, size=40)
    pr = np.clip(np.rint(t + rng.normal(0.0, 1.0, size=40)), 1, 5)
    assert len(set(t.tolist())) < len(t) and len(set(pr.tolist())) < len(pr)
    cases.append(regression_case("integer_ties_40", t, pr))

    # (c) five hand-picked values, one tie among the predictions.
    cases.append(regression_case("small_n5", [3.0, -0.5, 2.0, 7.0, 4.25], [2.5, 0.0, 2.0, 8.0, 2.0]))
    return cases


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO_ROOT, "tests", "fixtures", "multilabel_regression_metrics.json"))
    args = ap.parse_args()
    rng = np.random.default_rng(SEED)
    out = {
        "versions": {"sklearn": sklearn.__version__, "scipy": scipy.__version__, "numpy": np.__version__},
        "multi_label": multi_label_cases(rng),
        "regression": regression_cases(rng),
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {args.out} (scikit-learn {sklearn.__version__}, scipy {scipy.__version__})")
    for c in out["multi_label"]:
        print(f"  {c['name']}: subset acc {c['subset_accuracy']:.4f} hamming {c['hamming_loss']:.4f} "
              f"micro F1 {c['micro']['f1']:.4f} macro F1 {c['macro']['f1']:.4f}")
    for c in out["regression"]:
        print(f"  {c['name']}: mae {c['mae']:.4f} rmse {c['rmse']:.4f} r2 {c['r2']:.4f} "
              f"pearson {c['pearson']:.4f} spearman {c['spearman']:.4f}")


if __name__ == "__main__":
    main()
