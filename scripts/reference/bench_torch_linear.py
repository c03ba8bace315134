"""PyTorch's linear layer (x·Wᵀ + b, torch.nn.functional.linear) on the forward products that
`cargo run --release --example sgemm_bench` times for our product: 2048 rows (batch 32 × 64
tokens) on the layers of all-MiniLM-L6-v2 (hidden 384) and BERT-base (hidden 768). Prints ms per
call (median of --reps after 3 warm-up calls) and GFLOP/s, so that the two products can be set
side by side; alternate the two commands, since this machine's speed changes by the minute.

    /opt/attune-pyref/bin/python scripts/reference/bench_torch_linear.py [--threads 2] [--reps 15]
"""

import argparse
import time

import torch

# (in_dim, out_dim), as in sgemm_bench.rs.
SHAPES = [(384, 384), (384, 1536), (1536, 384), (768, 768), (768, 3072), (3072, 768)]
ROWS = 2048


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=15)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, median of {args.reps} reps")
    for k, n in SHAPES:
        x, w, b = torch.randn(ROWS, k), torch.randn(n, k), torch.randn(n)
        with torch.inference_mode():
            for _ in range(3):
                torch.nn.functional.linear(x, w, b)
            times = []
            for _ in range(args.reps):
                start = time.perf_counter()
                torch.nn.functional.linear(x, w, b)
                times.append(time.perf_counter() - start)
        median = sorted(times)[len(times) // 2]
        print(f"{k:>5}x{n:<5} y | {median * 1e3:8.3f} ms {2 * ROWS * k * n / median / 1e9:7.1f} GFLOP/s")


if __name__ == "__main__":
    main()
