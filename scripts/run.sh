#!/usr/bin/env bash
# Sets up the starter model and opens Attune. Arguments are passed on: `scripts/run.sh models`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-starter-model.sh
cargo run --release -- "$@"
