#!/usr/bin/env bash
# Measures `byok env`, the command every shell start-up runs, side by side with /bin/true
# in one run (budget: median <= 1.5x /bin/true), and prints the ratio of the medians.
# Usage: bench/env.sh [runs]   (builds the release binary; hyperfine's view too if installed)
#
# What is measured is the binary as it is installed (`cargo install` copies it), in two
# states of the kernel's page cache, because they cost differently:
# - "installed": a copy of target/release/byok, as `cargo install` or a package leaves it;
# - "paged in":  the same copy dropped from the page cache and read back by the loader's
#   own page faults, as at the first shell start after a reboot. On kernels that cache
#   files in large folios the installed copy's pages are mapped many at a time, so its
#   page faults are cheaper; read back by faults they are not.
# target/release/byok itself, written by the linker through a memory map, is in neither
# state (its pages fault like the paged-in ones): measuring it directly mixes in how it
# was built.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-300}
cargo build --release --locked --quiet
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
installed=$home/installed/byok
paged=$home/paged/byok
mkdir -p "${installed%/*}" "${paged%/*}"
cp target/release/byok "$installed"
cp target/release/byok "$paged"
export BYOK_HOME=$home HOME=$home SHELL=/bin/bash
"$installed" init --url https://gw.example.com/v1 --key sk-bench-0123456789abcdef --model gpt-4o \
  --anthropic-model claude-sonnet-4-5 --small-model claude-haiku-4-5 --yes >/dev/null
echo "binary: $(stat -c %s "$installed") bytes"
# Side by side: each round runs /bin/true, then each byok, so all see the same machine
# load (on a shared machine, hyperfine's one-command-after-the-other medians drift).
python3 - "$installed" "$paged" "$runs" <<'PY'
import os, statistics, sys, time
installed, paged, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
fd = os.open(paged, os.O_RDONLY)
os.fsync(fd)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
os.close(fd)
cmds = {
    "/bin/true": ["/bin/true"],
    "byok env (installed)": [installed, "env", "--shell", "bash"],
    "byok env (paged in)": [paged, "env", "--shell", "bash"],
}
null = os.open(os.devnull, os.O_WRONLY)
res = {k: [] for k in cmds}
for _ in range(runs):
    for name, argv in cmds.items():
        t = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, null, 1)])
        _, status, ru = os.wait4(pid, 0)
        assert status == 0, f"{name} failed"
        res[name].append(((time.perf_counter() - t) * 1000, ru.ru_utime * 1000, ru.ru_stime * 1000, ru.ru_minflt))
med = {k: statistics.median(x[0] for x in v) for k, v in res.items()}
for k, v in res.items():
    print(f"{k:21} median {med[k]:.2f} ms, user {statistics.mean(x[1] for x in v):.2f} ms, "
          f"sys {statistics.mean(x[2] for x in v):.2f} ms, {statistics.median(x[3] for x in v):.0f} page faults")
for k in list(cmds)[1:]:
    print(f"ratio, {k}: {med[k] / med['/bin/true']:.2f}x /bin/true over {runs} rounds (budget 1.5x)")
print(f"load average {os.getloadavg()[0]:.2f}")
PY
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 50 --runs "$runs" /bin/true "$installed env --shell bash"
fi
if command -v /usr/bin/time >/dev/null; then
  /usr/bin/time -f "byok env: %R minor page faults, %M kB max RSS" "$installed" env --shell bash >/dev/null
fi
