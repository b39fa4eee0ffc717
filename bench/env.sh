#!/usr/bin/env bash
# Measures `byok env`, the command every shell start-up runs, side by side with /bin/true
# in one run (budget: median <= 1.5x /bin/true), and prints the ratio of the medians.
# Usage: bench/env.sh [runs]   (builds the release binary; uses hyperfine when installed)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-300}
cargo build --release --locked --quiet
bin=$PWD/target/release/byok
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export BYOK_HOME=$home HOME=$home SHELL=/bin/bash
"$bin" init --url https://gw.example.com/v1 --key sk-bench-0123456789abcdef --model gpt-4o \
  --anthropic-model claude-sonnet-4-5 --small-model claude-haiku-4-5 --yes >/dev/null
echo "binary: $(stat -c %s "$bin") bytes"
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 50 --runs "$runs" --export-json "$home/h.json" \
    /bin/true "$bin env --shell bash"
  python3 - "$home/h.json" <<'PY'
import json, sys
base, env = json.load(open(sys.argv[1]))["results"]
ms = lambda r, k: r[k] * 1000
print(f"/bin/true: median {ms(base, 'median'):.2f} ms (user {ms(base, 'user'):.2f}, sys {ms(base, 'system'):.2f})")
print(f"byok env:  median {ms(env, 'median'):.2f} ms (user {ms(env, 'user'):.2f}, sys {ms(env, 'system'):.2f})")
print(f"ratio: {env['median'] / base['median']:.2f}x /bin/true (budget 1.5x)")
PY
else
  python3 - "$bin" "$runs" <<'PY'
import statistics, subprocess, sys, time
bin, runs = sys.argv[1], int(sys.argv[2])
def median(cmd):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)
# Both in one run, one after the other, so both see much the same machine load.
base, env = median(["/bin/true"]), median([bin, "env", "--shell", "bash"])
print(f"/bin/true: median {base:.2f} ms\nbyok env:  median {env:.2f} ms")
print(f"ratio: {env / base:.2f}x /bin/true (budget 1.5x)")
PY
fi
if command -v /usr/bin/time >/dev/null; then
  /usr/bin/time -f "byok env: %R minor page faults, %M kB max RSS" "$bin" env --shell bash >/dev/null
fi
