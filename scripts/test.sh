#!/usr/bin/env bash
# Sets up what the tests need (the starter model) and runs every test, in release mode
# (candle in debug mode is ~26x slower). The same command runs in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-starter-model.sh
cargo fmt --all -- --check
cargo clippy --release --all-targets -- -D warnings
# The headless build: the core must compile without any GUI crate.
cargo build --release --no-default-features
cargo test --release
