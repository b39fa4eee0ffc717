#!/usr/bin/env bash
# Measures `byok env` wall time, the command every shell start-up runs (budget: median < 5 ms).
# Usage: bench/env.sh [runs]   (builds the release binary; uses hyperfine when installed)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-300}
cargo build --release --quiet
bin=$PWD/target/release/byok
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export BYOK_HOME=$home HOME=$home SHELL=/bin/bash
"$bin" init --url https://gw.example.com/v1 --key sk-bench-0123456789abcdef --model gpt-4o \
  --anthropic-model claude-sonnet-4-5 --small-model claude-haiku-4-5 --yes >/dev/null
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 20 --runs "$runs" --export-json "$home/h.json" "$bin env --shell bash"
  python3 - "$home/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"byok env: median {r['median'] * 1000:.2f} ms")
PY
else
  python3 - "$bin" "$runs" <<'PY'
import statistics, subprocess, sys, time
bin, runs = sys.argv[1], int(sys.argv[2])
times = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run([bin, "env", "--shell", "bash"], stdout=subprocess.DEVNULL, check=True)
    times.append((time.perf_counter() - t) * 1000)
times.sort()
print(f"byok env: median {statistics.median(times):.2f} ms, p90 {times[int(runs*0.9)]:.2f} ms, min {times[0]:.2f} ms over {runs} runs")
PY
fi
