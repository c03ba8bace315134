#!/usr/bin/env bash
# Installs a CUDA build toolkit from PyPI wheels alone (no NVIDIA installer, no GPU needed),
# enough to build Attune with `--features cuda` on a Linux x86_64 machine.
#
# What it does (idempotent: a second run only checks and rewrites the env file):
#   1. creates a Python venv (default /opt/attune-cuda) and pip-installs NVIDIA's CUDA 13.0
#      wheels: nvcc + cicc + ptxas, headers, cudart, cuBLAS, cuRAND, NVRTC, CCCL;
#   2. assembles a CUDA_HOME-like folder, <venv>/cuda, with bin/ include/ nvvm/ pointing into
#      the wheels and a lib/ holding the unversioned names the linker wants (libcudart.so,
#      libcublas.so, …) plus lib/stubs/libcuda.so, a stub of the driver library made here
#      with gcc (the real libcuda.so.1 comes with the NVIDIA driver on the GPU machine);
#   3. writes <venv>/env.sh, to be sourced before cargo: CUDA_HOME, PATH (nvcc),
#      CUDA_COMPUTE_CAP, LD_LIBRARY_PATH.
#
# Why CUDA 13.0: the CUDA 12 wheels (nvidia-cuda-nvcc-cu12, up to 12.9) ship ptxas only, not
# nvcc; NVIDIA's CUDA 13 wheels ship the whole compiler in a CUDA_HOME layout (nvidia/cu13).
# 13.0 rather than a later 13.x because candle loads its kernels as PTX that the driver
# compiles at run time, and a driver only accepts PTX from a toolkit no newer than itself:
# 13.0 PTX runs on any driver of the R580 series or later.
#
# Usage:
#   scripts/cuda/setup-cuda-toolkit.sh                  # installs into /opt/attune-cuda
#   ATTUNE_CUDA_VENV=$HOME/attune-cuda scripts/cuda/setup-cuda-toolkit.sh
#   CUDA_COMPUTE_CAP=90 scripts/cuda/setup-cuda-toolkit.sh   # default 80; see docs/gpu.md
#   source /opt/attune-cuda/env.sh && cargo build --release --features cuda
#
# Needs: python3 with the venv module (Debian: apt-get install python3-venv), gcc/g++ (the
# host compiler nvcc drives), about 1.3 GB of disk, and PyPI. See docs/gpu.md.
set -euo pipefail

VENV="${ATTUNE_CUDA_VENV:-/opt/attune-cuda}"
COMPUTE_CAP="${CUDA_COMPUTE_CAP:-80}"

# Pinned so every machine builds with the same nvcc (cudarc reads its version from `nvcc
# --version`; cudarc 0.19.10 knows CUDA 11.4 to 13.4).
PACKAGES=(
  nvidia-cuda-nvcc==13.0.88
  nvidia-nvvm==13.0.88
  nvidia-cuda-crt==13.0.88
  nvidia-cuda-runtime==13.0.96
  nvidia-cuda-cccl==13.0.85
  nvidia-cublas==13.0.2.14
  nvidia-curand==10.4.0.35
  nvidia-cuda-nvrtc==13.0.88
)

if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]]; then
  echo "setup-cuda-toolkit: this recipe is for Linux x86_64 (got $(uname -s)-$(uname -m))" >&2
  exit 1
fi
for tool in python3 gcc g++; do
  command -v "$tool" >/dev/null || { echo "setup-cuda-toolkit: $tool is missing" >&2; exit 1; }
done

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "setup-cuda-toolkit: creating venv $VENV"
  python3 -m venv "$VENV" || {
    echo "setup-cuda-toolkit: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2
    exit 1
  }
fi

# pip answers "already satisfied" without touching the network when the pins are installed.
if ! "$VENV/bin/python" - "${PACKAGES[@]}" <<'PY'
import sys
from importlib.metadata import version, PackageNotFoundError
for spec in sys.argv[1:]:
    name, want = spec.split("==")
    try:
        if version(name) != want:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
then
  echo "setup-cuda-toolkit: installing ${PACKAGES[*]}"
  "$VENV/bin/pip" install --disable-pip-version-check -q "${PACKAGES[@]}"
fi

WHEELS="$("$VENV/bin/python" -c 'import nvidia, os; print(os.path.join(list(nvidia.__path__)[0], "cu13"))')"
[[ -x "$WHEELS/bin/nvcc" ]] || { echo "setup-cuda-toolkit: no nvcc under $WHEELS" >&2; exit 1; }

# The CUDA_HOME-like layout. bin/include/nvvm are links into the wheels; lib/ is a real folder
# so that the unversioned names and the driver stub do not land inside pip's files.
CUDA="$VENV/cuda"
mkdir -p "$CUDA/lib/stubs"
for d in bin include nvvm; do ln -sfn "$WHEELS/$d" "$CUDA/$d"; done
for f in "$WHEELS"/lib/*.so.* "$WHEELS"/lib/*.a; do ln -sfn "$f" "$CUDA/lib/$(basename "$f")"; done
for pair in cudart:13 cublas:13 cublasLt:13 nvrtc:13 curand:10; do
  name="${pair%%:*}" major="${pair##*:}"
  [[ -e "$WHEELS/lib/lib$name.so.$major" ]] || { echo "setup-cuda-toolkit: lib$name.so.$major missing" >&2; exit 1; }
  ln -sfn "lib$name.so.$major" "$CUDA/lib/lib$name.so"
done

# Link-time stub of the driver library, like the toolkit's lib64/stubs/libcuda.so: it defines
# every cu* entry point that cuda.h declares (with and without the versioned _v2/_v3 names),
# carries the soname libcuda.so.1, and is never loaded at run time. It is rebuilt only when
# the header changes.
STUB="$CUDA/lib/stubs/libcuda.so"
if [[ ! -e "$STUB" || "$WHEELS/include/cuda.h" -nt "$STUB" ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  {
    gcc -E -P -I"$WHEELS/include" "$WHEELS/include/cuda.h"
    gcc -E -P -D__CUDA_API_VERSION_INTERNAL -I"$WHEELS/include" "$WHEELS/include/cuda.h"
    cat "$WHEELS/include/cuda.h"
  } 2>/dev/null | grep -oE '\bcu[A-Z][A-Za-z0-9_]*' | sort -u \
    | awk '{ printf "int %s(void) { return 999; }\n", $1 }' > "$tmp/libcuda_stub.c"
  gcc -shared -fPIC -o "$tmp/libcuda.so" -Wl,-soname,libcuda.so.1 "$tmp/libcuda_stub.c"
  mv "$tmp/libcuda.so" "$STUB"
  echo "setup-cuda-toolkit: built $STUB ($(wc -l < "$tmp/libcuda_stub.c") symbols)"
fi

# cudarc's spelling of the toolkit version: 13.0 -> 13000.
CUDA_RELEASE="$("$CUDA/bin/nvcc" --version | sed -n 's/.*release \([0-9]*\)\.\([0-9]*\),.*/\1 \2/p')"
read -r CUDA_MAJOR CUDA_MINOR <<<"$CUDA_RELEASE"
CUDARC_VERSION="${CUDA_MAJOR}0${CUDA_MINOR}0"

cat > "$VENV/env.sh" <<EOF
# Source this before building Attune with --features cuda (written by scripts/cuda/setup-cuda-toolkit.sh).
export CUDA_HOME="$CUDA"
export PATH="$CUDA/bin:\$PATH"
export CUDA_COMPUTE_CAP="\${CUDA_COMPUTE_CAP:-$COMPUTE_CAP}"
# cudarc 0.19 reads the CUDA version from \`nvcc --version\`; stated here too so it never guesses.
export CUDARC_CUDA_VERSION=$CUDARC_VERSION
# For running a cuda build on this machine (it still needs the NVIDIA driver's libcuda.so.1).
export LD_LIBRARY_PATH="$CUDA/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
EOF

"$CUDA/bin/nvcc" --version | tail -2
echo "setup-cuda-toolkit: ready. Run:  source $VENV/env.sh"
cat "$VENV/env.sh"
