"""The Python peer of `attune suspects`: sentence embeddings + scikit-learn + cleanlab.

Finds likely label errors in a TSV file (header `label<TAB>text`, read without quoting like
Attune reads .tsv; data rows are 0-based) the way a Python user would:

  features   transformers AutoModel (default: the starter model
             sentence-transformers/all-MiniLM-L6-v2 from the local hub cache), float32, eval
             mode, torch CPU with its default thread count; texts in file order (with
             --sort-by-length: sorted by token count first, as sentence-transformers' encode()
             does, so batches pad less), batches of --batch-size (64), truncated at
             --max-length (128) tokens; mean of the last hidden
             states over the attention mask, L2-normalised (how sentence-transformers embeds
             with this model)
  probe      sklearn.model_selection.cross_val_predict(method="predict_proba") with
             StratifiedKFold(--folds (5), shuffle=True, random_state=--seed) over
             make_pipeline(StandardScaler(), LogisticRegression(C, max_iter=2000)), once per
             value in --C (default "1.0,0.01": scikit-learn's default, and a tuned one); the
             features are computed once and shared
  cleanlab   cleanlab.filter.find_label_issues(labels, pred_probs,
             return_indices_ranked_by="self_confidence") (default filter_by
             "prune_by_noise_rate")

With --flipped FILE (one 0-based data row per line: the rows whose labels were corrupted) the
returned list is scored: precision at k (k = number of flipped rows; a list shorter than k counts
its missing places as misses), precision and recall of the whole list, and, for reference, the
precision at k of ranking *every* row by self-confidence (p(given label)), which is what the list
would score without cleanlab's filter.

Prints one JSON object to stdout:

  {"rows", "classes", "k", "model", "torch_threads", "versions": {...},
   "import_s"   (torch/transformers/sklearn/cleanlab imports, from script start),
   "load_s"     (model + tokenizer load), "features_s" (load + tokenize + embed),
   "variants": [{"C", "cv_s", "cleanlab_s", "total_s" (= features_s + cv_s + cleanlab_s),
                 "listed", "precision_at_k", "hits_at_k", "list_precision", "list_recall",
                 "self_confidence_precision_at_k", "top": [first 10 indices]}, ...]}

Rerun (from the repository root), e.g. via scripts/bench/compare_suspects.sh, or:

  /opt/attune-pyref/bin/python scripts/reference/suspects_cleanlab.py --data noisy.tsv \
      --flipped flipped.txt --C 1.0,0.01

Needs cleanlab in the venv (scripts/reference/requirements.txt).
"""

import time

_T0 = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import DEFAULT_MODEL_ID, resolve_model  # noqa: E402  (sets HF offline env first)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoModel, AutoTokenizer  # noqa: E402
import sklearn  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_val_predict  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
import cleanlab  # noqa: E402
from cleanlab.filter import find_label_issues  # noqa: E402

_IMPORT_S = time.perf_counter() - _T0


def read_tsv(path):
    labels, texts = [], []
    with open(path, encoding="utf-8", newline="") as f:
        header = f.readline().rstrip("\r\n").split("\t")
        if header[:2] != ["label", "text"]:
            sys.exit(f"{path}: expected the header 'label<TAB>text', got {header!r}")
        for n, line in enumerate(f):
            line = line.rstrip("\r\n")
            if not line:
                continue
            label, sep, text = line.partition("\t")
            if not sep:
                sys.exit(f"{path}: data row {n} has no tab")
            labels.append(label)
            texts.append(text)
    return labels, texts


@torch.inference_mode()
def embed(model, tokenizer, texts, max_length, batch_size, sort_by_length=False):
    order = list(range(len(texts)))
    if sort_by_length:
        lengths = [len(ids) for ids in tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]]
        order.sort(key=lambda i: lengths[i])
    out = []
    for start in range(0, len(texts), batch_size):
        batch = tokenizer([texts[i] for i in order[start:start + batch_size]], padding=True, truncation=True,
                          max_length=max_length, return_tensors="pt")
        hidden = model(**batch).last_hidden_state  # (B, T, H)
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        out.append(torch.nn.functional.normalize(mean, p=2, dim=1))
    features = np.empty((len(texts), out[0].shape[1]), dtype=np.float32)
    features[order] = torch.cat(out).numpy()
    return features


def score(ranked, flipped, k):
    ranked = [int(i) for i in ranked]
    hits_at_k = sum(1 for i in ranked[:k] if i in flipped)
    hits = sum(1 for i in ranked if i in flipped)
    return {
        "hits_at_k": hits_at_k,
        "precision_at_k": hits_at_k / k if k else None,
        "list_precision": hits / len(ranked) if ranked else None,
        "list_recall": hits / len(flipped) if flipped else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="TSV with header label<TAB>text")
    ap.add_argument("--flipped", help="file with the 0-based data rows whose labels were flipped, one a line")
    ap.add_argument("--model", default=DEFAULT_MODEL_ID, help="folder or hub id (local cache only)")
    ap.add_argument("--C", default="1.0,0.01", help="comma-separated LogisticRegression C values")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--sort-by-length", action="store_true",
                    help="embed in order of token count (less padding), as sentence-transformers does")
    args = ap.parse_args()

    labels_s, texts = read_tsv(args.data)
    classes = sorted(set(labels_s))
    labels = np.array([classes.index(l) for l in labels_s])
    flipped = set()
    if args.flipped:
        with open(args.flipped) as f:
            flipped = {int(x) for x in f.read().split()}
    k = len(flipped)

    t = time.perf_counter()
    path = resolve_model(args.model)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path, dtype=torch.float32).eval()
    load_s = time.perf_counter() - t
    features = embed(model, tokenizer, texts, args.max_length, args.batch_size, args.sort_by_length)
    features_s = time.perf_counter() - t

    variants = []
    for c in [float(x) for x in args.C.split(",") if x.strip()]:
        t = time.perf_counter()
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000))
        cv = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=args.seed)
        pred_probs = cross_val_predict(clf, features, labels, cv=cv, method="predict_proba")
        cv_s = time.perf_counter() - t
        t = time.perf_counter()
        ranked = find_label_issues(labels, pred_probs, return_indices_ranked_by="self_confidence")
        cleanlab_s = time.perf_counter() - t
        v = {"C": c, "cv_s": cv_s, "cleanlab_s": cleanlab_s, "total_s": features_s + cv_s + cleanlab_s,
             "listed": int(len(ranked)), "top": [int(i) for i in ranked[:10]]}
        if args.flipped:
            v.update(score(ranked, flipped, k))
            self_conf = pred_probs[np.arange(len(labels)), labels]
            by_sc = np.argsort(self_conf, kind="stable")
            v["self_confidence_precision_at_k"] = score(by_sc, flipped, k)["precision_at_k"]
            v["oof_accuracy_vs_given"] = float((pred_probs.argmax(1) == labels).mean())
        variants.append(v)

    print(json.dumps({
        "rows": len(texts), "classes": classes, "k": k, "model": args.model,
        "torch_threads": torch.get_num_threads(), "sort_by_length": args.sort_by_length,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "sklearn": sklearn.__version__, "numpy": np.__version__, "cleanlab": cleanlab.__version__},
        "import_s": _IMPORT_S, "load_s": load_s, "features_s": features_s, "variants": variants,
    }, indent=1))


if __name__ == "__main__":
    main()
