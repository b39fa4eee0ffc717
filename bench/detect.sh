#!/usr/bin/env bash
# Measures `byok detect` on two homes side by side in one run: an empty one (no profile,
# no tools) and one where every tool the bench can install is installed and configured
# (budget: 10 ms median for the whole table). Each round runs both, so both see the same
# machine load; the load average is printed with the figures.
# Usage: bench/detect.sh [runs]   (builds the release binary)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-100}
cargo build --release --locked --quiet
bin=$PWD/target/release/byok
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir "$root/empty" "$root/full"
home=$root/full
for ext in .vscode/extensions/rooveterinaryinc.roo-cline-3.52.1 .vscode/extensions/saoudrizwan.claude-dev-4.1.13 \
  .vscode/extensions/continue.continue-1.3.40 .vscode-oss/extensions/kilocode.kilo-code-5.10.4 \
  .cursor/extensions .config/Code/User .config/VSCodium/User .claude .continue .codex .gemini .config/opencode .config/kilo; do
  mkdir -p "$home/$ext"
done
BYOK_HOME=$home HOME=$home SHELL=/bin/bash PATH=/usr/bin:/bin "$bin" init --url https://gw.example.com/v1 \
  --key sk-bench-0123456789abcdef --model gpt-4o --anthropic-model claude-sonnet-4-5 --yes >/dev/null
BYOK_HOME=$home HOME=$home SHELL=/bin/bash PATH=/usr/bin:/bin "$bin" setup --all --yes >/dev/null
python3 - "$bin" "$runs" "$root" <<'PY'
import os, statistics, sys, time
bin, runs, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
null = os.open(os.devnull, os.O_WRONLY)
res = {"empty": [], "full": []}
for _ in range(runs):
    for name in res:
        home = os.path.join(root, name)
        env = {"BYOK_HOME": home, "HOME": home, "SHELL": "/bin/bash", "PATH": "/usr/bin:/bin"}
        t = time.perf_counter()
        pid = os.posix_spawn(bin, [bin, "detect"], env,
                             file_actions=[(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)])
        _, status, ru = os.wait4(pid, 0)
        assert status == 0, f"detect on the {name} home failed"
        res[name].append(((time.perf_counter() - t) * 1000, ru.ru_utime * 1000, ru.ru_stime * 1000))
labels = {"empty": "empty home", "full": "every tool configured"}
for name, v in res.items():
    print(f"byok detect, {labels[name]:21}: median {statistics.median(x[0] for x in v):.2f} ms, "
          f"user {statistics.mean(x[1] for x in v):.2f} ms, sys {statistics.mean(x[2] for x in v):.2f} ms")
print(f"over {runs} rounds (budget 10 ms); load average {os.getloadavg()[0]:.2f}")
PY
