#!/usr/bin/env bash
# Measures `byok print-key`, which tools with a key command (Claude Code's apiKeyHelper,
# Codex's auth command, Pi, Copilot CLI) may run per request: budget median <= 5 ms for
# the file and env stores. Prints each store's median beside /bin/true's.
# Usage: bench/print-key.sh [runs]   (builds the release binary)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-300}
cargo build --release --locked --quiet
bin=$PWD/target/release/byok
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export BYOK_HOME=$home HOME=$home GW_KEY=sk-bench-env-0123456789abcdef
"$bin" init --url https://gw.example.com/v1 --key sk-bench-0123456789abcdef --model gpt-4o --yes >/dev/null
"$bin" init --name envkey --url https://gw.example.com/v1 --key-env GW_KEY --model gpt-4o --no-default --yes >/dev/null
python3 - "$bin" "$runs" <<'PY'
import os, statistics, sys, time
bin, runs = sys.argv[1], int(sys.argv[2])
cmds = {"/bin/true": ["/bin/true"], "file store": [bin, "print-key"],
        "env store": [bin, "--profile", "envkey", "print-key"]}
null = os.open(os.devnull, os.O_WRONLY)
res = {k: [] for k in cmds}
for _ in range(runs):
    for name, argv in cmds.items():
        t = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, null, 1)])
        _, status, _ = os.wait4(pid, 0)
        assert status == 0, f"{name} failed"
        res[name].append((time.perf_counter() - t) * 1000)
for k, v in res.items():
    print(f"{k:11} median {statistics.median(v):.2f} ms (p90 {sorted(v)[int(len(v) * 0.9)]:.2f} ms)")
print(f"budget: 5 ms median for the file and env stores, {runs} rounds")
PY
