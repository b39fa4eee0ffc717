//! Runs the embedded mock gateway until Enter is pressed (for trying `byok doctor` by hand).
//!
//! `cargo run --example mock_gateway -- [fault] [latency_ms]`; prints the URL and key,
//! and on Enter the requests it received (method, path, auth header, model), which is
//! how real clients were checked against what byok writes.

use std::time::Duration;

use byok::gateway::mock::{Fault, MessagesAuth, MockGateway, Scenario};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let key = "sk-mock-0123456789abcdef";
    let mut sc = Scenario::new(key);
    match args.first().map(String::as_str) {
        None | Some("ok") => {}
        Some("401") => sc = sc.fault(Fault::Unauthorized),
        Some("403") => sc = sc.fault(Fault::Forbidden),
        Some("404") => sc = sc.fault(Fault::NotFound),
        Some("405") => sc = sc.fault(Fault::MethodNotAllowed),
        Some("429") => sc = sc.fault(Fault::RateLimited(7)),
        Some("502") => sc = sc.fault(Fault::ServerError),
        Some("html") => sc = sc.fault(Fault::Html),
        Some("json") => sc = sc.fault(Fault::MalformedJson),
        Some("sse") => sc = sc.fault(Fault::GarbageSse),
        Some("hang") => sc = sc.fault(Fault::Hang),
        Some("nodb") => sc = sc.fault(Fault::NoConnectedDb),
        Some("bearer-only") => sc = sc.messages_auth(MessagesAuth::BearerOnly),
        Some("no-v1") => sc = sc.without_v1(),
        Some("api") => sc = sc.prefix("/api"),
        Some(other) => anyhow::bail!("unknown scenario {other}"),
    }
    if let Some(ms) = args.get(1) {
        sc = sc.latency(Duration::from_millis(ms.parse()?));
    }
    let mock = MockGateway::start(sc)?;
    println!("{} {key}", mock.url());
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    for r in mock.requests() {
        let model = serde_json::from_str::<serde_json::Value>(&r.body)
            .ok()
            .and_then(|b| b["model"].as_str().map(str::to_string))
            .unwrap_or_default();
        let auth = r
            .header("authorization")
            .map(|a| format!("authorization: {a}"))
            .or_else(|| r.header("x-api-key").map(|k| format!("x-api-key: {k}")))
            .or_else(|| {
                r.header("x-goog-api-key")
                    .map(|k| format!("x-goog-api-key: {k}"))
            })
            .unwrap_or_default();
        println!("{} {} [{auth}] {model}", r.method, r.path);
    }
    Ok(())
}
