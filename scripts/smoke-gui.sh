#!/usr/bin/env bash
# Starts the real Attune window under Xvfb, waits for it, takes a screenshot and closes it.
# Needs: apt-get install xvfb mesa-vulkan-drivers libgl1-mesa-dri imagemagick x11-utils
# Usage: scripts/smoke-gui.sh [OUT.png]   (default: target/smoke.png)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/smoke.png}"
cargo build --release --quiet
display=":97"
Xvfb "$display" -screen 0 1280x800x24 >/dev/null 2>&1 &
xvfb_pid=$!
trap 'kill "${app_pid:-}" "$xvfb_pid" 2>/dev/null || true' EXIT
sleep 1
DISPLAY="$display" ATTUNE_CONFIG_DIR="$(mktemp -d)" ./target/release/attune &
app_pid=$!
for _ in $(seq 1 60); do
  if DISPLAY="$display" xwininfo -root -tree 2>/dev/null | grep -q '"Attune"'; then break; fi
  sleep 0.5
done
sleep 2
DISPLAY="$display" import -window root "$out"
kill -0 "$app_pid" || { echo "the app exited early" >&2; exit 1; }
echo "screenshot: $out"
