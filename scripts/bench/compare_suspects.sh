#!/usr/bin/env bash
# Label-error finding: `attune suspects` vs the Python peer pipeline (transformers sentence
# embeddings + scikit-learn LogisticRegression via 5-fold cross_val_predict + cleanlab
# find_label_issues, scripts/reference/suspects_cleanlab.py), on the same data with the same
# flipped labels, in one run. SMS Spam by default: FRAC (10 %) of the rows, chosen with SEED, get
# ham<->spam swapped; each side's list is scored by precision at k (k = number of flipped rows;
# a list shorter than k counts its missing places as misses) and wall time.
#
#   scripts/bench/compare_suspects.sh                    # SMS Spam, 10 % flipped, SEED=1
#   SEED=2 scripts/bench/compare_suspects.sh
#   DATA=other.tsv FRAC=0.05 scripts/bench/compare_suspects.sh
#   SORT=1 scripts/bench/compare_suspects.sh             # peer embeds length-sorted batches
#   KEEP=1 scripts/bench/compare_suspects.sh             # keep the temp folder (path on stderr)
#
# DATA is `label<TAB>text` per line, no header (a first line `label<TAB>text` is skipped); with
# two labels they are swapped, with more a flipped row gets another label at random.
# Attune time = `attune suspects --json` (process wall time: model load, features, folds, list);
# `attune project new` is timed separately and not in the ratio. Peer time = model load +
# features + cross_val_predict + cleanlab inside the Python process (imports shown separately).
# Ratio = peer time / attune time (> 1: Attune is faster). The sides run one after the other, so
# the 1-minute load average before and after each side is printed: on a busy machine the ratio
# is only as good as those numbers are equal (and low).
#
# Needs: cargo build --release (target/release/attune), the venv /opt/attune-pyref
# (scripts/reference/requirements.txt, cleanlab included) and the starter model in the local
# hub cache (scripts/install-starter-model.sh). Runs offline (HF_HUB_OFFLINE=1).
set -euo pipefail
cd "$(dirname "$0")/../.."

DATA=${DATA:-/work/shared/data/sms_spam/SMSSpamCollection}
SEED=${SEED:-1}
FRAC=${FRAC:-0.1}
FOLDS=${FOLDS:-5}
MODEL=${MODEL:-sentence-transformers/all-MiniLM-L6-v2}
PY=${PY:-/opt/attune-pyref/bin/python}
ATTUNE=${ATTUNE:-./target/release/attune}
export HF_HUB_OFFLINE=1 PYTHONDONTWRITEBYTECODE=1
out=$(mktemp -d)
if [[ -n "${KEEP:-}" ]]; then
  echo "keeping $out" >&2
else
  trap 'rm -rf "$out"' EXIT
fi

# Noisy copy (header label<TAB>text, texts untouched) + the flipped 0-based data rows.
python3 - "$DATA" "$SEED" "$FRAC" "$out/noisy.tsv" "$out/flipped.txt" <<'PYEOF'
import random, sys
src, seed, frac, noisy, flipped_path = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
rows = []
with open(src, encoding="utf-8", newline="") as f:
    for n, line in enumerate(f):
        line = line.rstrip("\r\n")
        if not line or (n == 0 and line == "label\ttext"):
            continue
        label, sep, text = line.partition("\t")
        assert sep and "\t" not in text, f"line {n + 1}: want exactly one tab"
        rows.append([label, text])
labels = sorted({l for l, _ in rows})
rng = random.Random(seed)
flipped = sorted(rng.sample(range(len(rows)), int(len(rows) * frac)))
for i in flipped:
    rows[i][0] = rng.choice([l for l in labels if l != rows[i][0]])
with open(noisy, "w", encoding="utf-8", newline="") as f:
    f.write("label\ttext\n")
    f.writelines(f"{l}\t{t}\n" for l, t in rows)
with open(flipped_path, "w") as f:
    f.writelines(f"{i}\n" for i in flipped)
print(f"{len(rows)} rows, labels {labels}, {len(flipped)} flipped (seed {seed})", file=sys.stderr)
PYEOF

now() { echo "$EPOCHREALTIME"; }
load() { cut -d' ' -f1 /proc/loadavg; }
peer_args=()
[[ -n "${SORT:-}" ]] && peer_args+=(--sort-by-length)

echo "attune project new ..." >&2
t0=$(now)
"$ATTUNE" project new "$out/proj" --data "$out/noisy.tsv" --model "$MODEL" >"$out/project_new.log" 2>&1 \
  || { cat "$out/project_new.log" >&2; exit 1; }
t1=$(now)
l0=$(load)
echo "attune suspects --folds $FOLDS --json ..." >&2
"$ATTUNE" suspects --project "$out/proj" --folds "$FOLDS" --json >"$out/attune.json" 2>"$out/attune.err" \
  || { cat "$out/attune.err" >&2; exit 1; }
t2=$(now)
l1=$(load)
echo "python peer (transformers + scikit-learn + cleanlab) ..." >&2
"$PY" scripts/reference/suspects_cleanlab.py --data "$out/noisy.tsv" --flipped "$out/flipped.txt" \
  --model "$MODEL" --folds "$FOLDS" --C 1.0,0.01 "${peer_args[@]}" >"$out/peer.json"
t3=$(now)
l2=$(load)

"$PY" - "$out" "$t0" "$t1" "$t2" "$t3" "$l0" "$l1" "$l2" <<'PYEOF'
import json, os, sys
out, t0, t1, t2, t3, l0, l1, l2 = sys.argv[1], *map(float, sys.argv[2:])
flipped = {int(x) for x in open(f"{out}/flipped.txt").read().split()}
k = len(flipped)
ours = json.load(open(f"{out}/attune.json"))
peer = json.load(open(f"{out}/peer.json"))
assert peer["k"] == k, (peer["k"], k)
new_s, ours_s, peer_proc_s = t1 - t0, t2 - t1, t3 - t2

rows = [e["row"] for e in ours]
hits_k = sum(r in flipped for r in rows[:k])
hits = sum(r in flipped for r in rows)
fl = [e["row"] for e in ours if e["flagged"]]
fl_hits = sum(r in flipped for r in fl)
dup = len(rows) - len(set(rows))

print(f"label-error finding, {peer['rows']} rows, {k} labels flipped, precision at k = {k}")
print(f"{'':22}{'P@k':>7}{'listed':>8}{'list P':>8}{'list R':>8}{'time s':>9}{'peer/attune':>13}")
print(f"{'attune suspects':22}{hits_k / k:7.3f}{len(rows):8d}{hits / max(len(rows), 1):8.3f}{hits / k:8.3f}"
      f"{ours_s:9.1f}{'':>13}")
for v in peer["variants"]:
    name = f"cleanlab C={v['C']:g}"
    print(f"{name:22}{v['precision_at_k']:7.3f}{v['listed']:8d}{v['list_precision']:8.3f}{v['list_recall']:8.3f}"
          f"{v['total_s']:9.1f}{v['total_s'] / ours_s:12.2f}x")
print()
print(f"attune: project new {new_s:.1f} s (not in the ratio); flagged by confident learning {len(fl)} "
      f"(P {fl_hits / max(len(fl), 1):.3f}, R {fl_hits / k:.3f})" + (f"; {dup} duplicate rows in list!" if dup else ""))
print(f"peer: imports {peer['import_s']:.1f} s, model load {peer['load_s']:.1f} s, features (load included) "
      f"{peer['features_s']:.1f} s, torch threads {peer['torch_threads']}; python process {peer_proc_s:.1f} s for "
      f"{len(peer['variants'])} variants"
      + ("; batches sorted by length" if peer["sort_by_length"] else "; batches in file order"))
for v in peer["variants"]:
    print(f"  C={v['C']:g}: cross_val_predict {v['cv_s']:.1f} s, cleanlab {v['cleanlab_s']:.2f} s, "
          f"P@k ranking every row by self-confidence {v['self_confidence_precision_at_k']:.3f}, "
          f"out-of-fold accuracy vs given labels {v['oof_accuracy_vs_given']:.3f}")
print(f"load average (1 min; {os.cpu_count()} cores): attune {l0:.2f} -> {l1:.2f}, peer {l1:.2f} -> {l2:.2f}")
print("versions: " + ", ".join(f"{a} {b}" for a, b in peer["versions"].items()))
PYEOF
