#!/usr/bin/env bash
# Checks that Attune compiles with `--features cuda` on a machine without a GPU.
#
# It runs scripts/cuda/setup-cuda-toolkit.sh (a no-op once the toolkit is installed), sources
# the environment that script writes, then runs
#     cargo check --release --no-default-features --features cuda
# in its own target folder, target/cuda, so that the normal build's cache in target/ is left
# alone. The check runs candle-kernels' build script for real: nvcc compiles candle's CUDA
# kernels to PTX and its quantized/MoE kernels to a static library, and cudarc reads the
# toolkit version; then rustc checks candle's CUDA backend and Attune with the cuda feature.
# `--no-default-features` leaves out the GUI, which holds no device-specific code.
#
# Usage:
#   scripts/cuda/check-cuda-build.sh            # cargo check (the one meant for CI)
#   scripts/cuda/check-cuda-build.sh --build    # cargo build: also links target/cuda/release/attune
#   scripts/cuda/check-cuda-build.sh --gui      # the same with the default features (GUI) too
# Environment: ATTUNE_CUDA_VENV (default /opt/attune-cuda), CUDA_COMPUTE_CAP (default 80),
# CARGO_TARGET_DIR (default target/cuda).
#
# Cost, measured on the 2-core development machine from an empty target/cuda: see
# docs/gpu.md ("Checking the CUDA build without a GPU").
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV="${ATTUNE_CUDA_VENV:-/opt/attune-cuda}"
CMD=check
FEATURES=(--no-default-features --features cuda)
for arg in "$@"; do
  case "$arg" in
    --build) CMD=build ;;
    --gui) FEATURES=(--features cuda) ;;
    *) echo "check-cuda-build: unknown argument $arg (use --build, --gui)" >&2; exit 2 ;;
  esac
done

# Idempotent and under a second when the toolkit is there: keeps the venv in step with the pins.
ATTUNE_CUDA_VENV="$VENV" scripts/cuda/setup-cuda-toolkit.sh >/dev/null
# shellcheck source=/dev/null
source "$VENV/env.sh"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/cuda}"
# candle-kernels compiles its kernels with half the cores by default (one here); use them all.
export CUDAFORGE_THREADS="${CUDAFORGE_THREADS:-$(nproc)}"

echo "check-cuda-build: $(nvcc --version | tail -1), CUDA_COMPUTE_CAP=$CUDA_COMPUTE_CAP, target $CARGO_TARGET_DIR"
start=$(date +%s)
nice -n 10 cargo "$CMD" --release "${FEATURES[@]}"
echo "check-cuda-build: cargo $CMD --release ${FEATURES[*]} passed in $(( $(date +%s) - start ))s"

if [[ "$CMD" == build ]]; then
  bin="$CARGO_TARGET_DIR/release/attune"
  echo "check-cuda-build: shared libraries of $bin:"
  ldd "$bin" || true
fi
