#!/usr/bin/env bash
# Measures `byok doctor` against the embedded mock gateway with 300 ms latency per request:
# the run must take under 1.5 x its slowest single check (the checks run concurrently).
# Usage: bench/doctor.sh [runs]   (builds the release binary and the bench example)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
cargo build --release --quiet --bin byok --example doctor_bench
target/release/examples/doctor_bench "$PWD/target/release/byok" "$runs"
