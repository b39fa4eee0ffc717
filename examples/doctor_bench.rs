//! Benchmark for `byok doctor`: the mock gateway answers every request after 300 ms; doctor
//! must finish in under 1.5 × its slowest single check (checks run concurrently).
//!
//! Usage: `cargo run --release --example doctor_bench -- <path to byok> [runs]`
//! (`bench/doctor.sh` does this). Prints the median wall time, the slowest check and the ratio.

use std::process::Command;
use std::time::{Duration, Instant};

use byok::gateway::mock::{MockGateway, Scenario};

const KEY: &str = "sk-bench-0123456789abcdef";

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let bin = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: doctor_bench <byok binary> [runs]"))?;
    let runs: usize = args.next().map_or(Ok(10), |r| r.parse())?;
    let latency = Duration::from_millis(300);
    let mock = MockGateway::start(Scenario::new(KEY).latency(latency))?;
    let home = tempfile::tempdir()?;
    let byok = |extra: &[&str]| {
        let mut c = Command::new(&bin);
        c.env_clear()
            .env("HOME", home.path())
            .env("BYOK_HOME", home.path())
            .env("PATH", "/usr/bin:/bin")
            .env("NO_COLOR", "1")
            .args(extra);
        c
    };
    let url = mock.url();
    let init = byok(&[
        "init",
        "--url",
        &url,
        "--key",
        KEY,
        "--model",
        "gpt-4o",
        "--anthropic-model",
        "claude-sonnet-4-5",
        "--yes",
    ])
    .output()?;
    anyhow::ensure!(init.status.success(), "init failed: {init:?}");

    let mut walls = Vec::new();
    let mut slowest = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let out = byok(&["doctor", "--json"]).output()?;
        let wall = start.elapsed();
        anyhow::ensure!(
            out.status.success(),
            "doctor failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        let max = v["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["duration_ms"].as_u64())
            .max()
            .unwrap_or(0);
        walls.push(wall.as_secs_f64() * 1000.0);
        slowest.push(max as f64);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let requests = mock.requests().len() / runs;
    let (w, s) = (median(&mut walls), median(&mut slowest));
    println!(
        "byok doctor vs a gateway answering after {} ms: {requests} requests per run, median wall {w:.0} ms, slowest check {s:.0} ms, ratio {:.2} (budget 1.5) over {runs} runs",
        latency.as_millis(),
        w / s
    );
    anyhow::ensure!(w / s < 1.5, "too slow: the checks do not overlap");
    Ok(())
}
