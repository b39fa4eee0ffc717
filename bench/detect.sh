#!/usr/bin/env bash
# Measures `byok detect` on a home where every supported tool is installed and configured
# (budget: 10 ms median for the whole table). Uses hyperfine when installed.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-100}
cargo build --release --quiet
bin=$PWD/target/release/byok
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export BYOK_HOME=$home HOME=$home SHELL=/bin/bash PATH=/usr/bin:/bin
for ext in .vscode/extensions/rooveterinaryinc.roo-cline-3.52.1 .vscode/extensions/saoudrizwan.claude-dev-4.1.13 \
  .vscode/extensions/continue.continue-1.3.40 .vscode-oss/extensions/kilocode.kilo-code-5.10.4 \
  .cursor/extensions .config/Code/User .config/VSCodium/User .claude .continue .codex .gemini .config/opencode .config/kilo; do
  mkdir -p "$home/$ext"
done
"$bin" init --url https://gw.example.com/v1 --key sk-bench-0123456789abcdef --model gpt-4o \
  --anthropic-model claude-sonnet-4-5 --yes >/dev/null
"$bin" setup --all --yes >/dev/null
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 10 --runs "$runs" --export-json "$home/h.json" "$bin detect"
  python3 - "$home/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"byok detect: median {r['median'] * 1000:.2f} ms")
PY
else
  python3 - "$bin" "$runs" <<'PY'
import statistics, subprocess, sys, time
bin, runs = sys.argv[1], int(sys.argv[2])
times = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run([bin, "detect"], stdout=subprocess.DEVNULL, check=True)
    times.append((time.perf_counter() - t) * 1000)
print(f"byok detect: median {statistics.median(times):.2f} ms over {runs} runs")
PY
fi
