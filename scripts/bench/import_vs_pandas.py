#!/usr/bin/env python3
"""Importer vs pandas.read_csv on a 1,000,000-row CSV built from AG News.

Builds /tmp/ag_news_1m.csv (the rows of ../shared/data/ag_news/test.csv repeated: headerless,
quoted, 3 columns), times `pandas.read_csv` on it and times our importer through
`examples/import_bench.rs` (all three columns: label, title as text, description as pair).
Each side runs RUNS times (default 5) in a fresh process, the two sides alternating so that
other load on the machine hits both alike; the best and the median are printed, with peak RSS.

Run:  /opt/attune-pyref/bin/python scripts/bench/import_vs_pandas.py   (builds the example headless:
      cargo build --release --no-default-features --example import_bench)
(needs pandas in that venv: /opt/attune-pyref/bin/pip install pandas)
"""

import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE = os.path.join(ROOT, "..", "shared", "data", "ag_news", "test.csv")
FILE = "/tmp/ag_news_1m.csv"
ROWS = 1_000_000
RUNS = int(os.environ.get("RUNS", "5"))

PANDAS_RUN = r"""
import json, resource, sys, time
import pandas as pd
t = time.perf_counter()
df = pd.read_csv(sys.argv[1], header=None)
seconds = time.perf_counter() - t
texts = df[2].tolist()
t = time.perf_counter()
matches = sum(1 for s in texts if "oil" in s)
filter_ms = (time.perf_counter() - t) * 1e3
print(json.dumps({"rows": len(df), "seconds": seconds, "rows_per_s": len(df) / seconds,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "filter_ms_python": filter_ms, "matches": matches,
                  "pandas": pd.__version__}))
"""


def build_file():
    with open(SOURCE, encoding="utf-8", newline="") as f:
        lines = f.read().splitlines(keepends=True)
    if os.path.exists(FILE):
        with open(FILE, "rb") as f:
            if sum(1 for _ in f) == ROWS:
                return
    with open(FILE, "w", encoding="utf-8", newline="") as out:
        for i in range(ROWS):
            out.write(lines[i % len(lines)])


def run_once(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def summary(name, results):
    secs = [r["seconds"] for r in results]
    best = min(results, key=lambda r: r["seconds"])
    print(f"{name:8s} rows={best['rows']:,} best={min(secs):.3f}s median={statistics.median(secs):.3f}s "
          f"rows/s={best['rows_per_s']:,.0f} peak_rss={max(r['peak_rss_mb'] for r in results):.0f} MB")
    return min(secs)


def main():
    build_file()
    size_mb = os.path.getsize(FILE) / 1e6
    print(f"file: {FILE} ({ROWS:,} rows, {size_mb:.0f} MB), {RUNS} runs each")
    subprocess.run(["cargo", "build", "--release", "--no-default-features", "--example", "import_bench"], cwd=ROOT, check=True)
    ours_cmd = [os.path.join(ROOT, "target", "release", "examples", "import_bench"), FILE,
                "--text", "column_2", "--pair", "column_3", "--label", "column_1"]
    pandas_cmd = [sys.executable, "-c", PANDAS_RUN, FILE]
    ours, theirs = [], []
    for _ in range(RUNS):
        ours.append(run_once(ours_cmd))
        theirs.append(run_once(pandas_cmd))
    t_ours = summary("attune", ours)
    t_pandas = summary(f"pandas {theirs[0]['pandas']}", theirs)
    f = min(ours, key=lambda r: r["filter"]["memmem_ms"])["filter"]
    print(f"filter {f['texts']:,} texts for {f['needle']!r}: memmem {f['memmem_ms']:.1f} ms, "
          f"str::contains {f['contains_ms']:.1f} ms ({f['matches']:,} matches); "
          f"python `in` over the pandas column: {min(r['filter_ms_python'] for r in theirs):.1f} ms")
    print(f"attune / pandas time: {t_ours / t_pandas:.2f}")
    print(json.dumps({"attune": ours, "pandas": theirs}))
    if t_ours > t_pandas:
        sys.exit("attune's importer is slower than pandas.read_csv on this file")


if __name__ == "__main__":
    main()
