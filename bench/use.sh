#!/usr/bin/env bash
# Measures `byok use PROFILE` over every tool `byok demo --keep` sets up (budget: median
# <= 100 ms), switching back and forth between two profiles so each run writes files.
# Usage: bench/use.sh [runs]   (builds the release binary)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
cargo build --release --locked --quiet
bin=$PWD/target/release/byok
out=$("$bin" demo --keep 2>&1 | tail -5)
home=$(printf '%s\n' "$out" | sed -n 's/^Kept the demo home: \([^ ]*\) .*/\1/p')
[ -d "$home" ] || { echo "could not find the demo home in: $out"; exit 1; }
trap 'rm -rf "$(dirname "$home")"' EXIT
export BYOK_HOME=$home HOME=$home
"$bin" init --name other --url http://127.0.0.1:9 --key sk-bench-other-0123456789 --model m2 --no-default --yes >/dev/null
# The I/O a switch costs: fsyncs of one switch there and back (the first also writes the
# new content's blobs), where strace is installed.
if command -v strace >/dev/null; then
  for target in other demo; do
    strace -f -c -e trace=fsync,fdatasync -o "$home/.strace" "$bin" use "$target" --yes >/dev/null
    echo "fsyncs of byok use $target: $(awk '/fsync|fdatasync/ {n += $4} END {print n + 0}' "$home/.strace")"
  done
  rm -f "$home/.strace"
fi
python3 - "$bin" "$runs" <<'PY'
import os, statistics, subprocess, sys, time
bin, runs = sys.argv[1], int(sys.argv[2])
times = []
for i in range(runs):
    target = "other" if i % 2 == 0 else "demo"
    t = time.perf_counter()
    subprocess.run([bin, "use", target, "--yes"], check=True, stdout=subprocess.DEVNULL)
    times.append((time.perf_counter() - t) * 1000)
print(f"byok use (every demo tool, back and forth): median {statistics.median(times):.1f} ms, max {max(times):.1f} ms over {runs} runs (budget 100 ms)")
PY
