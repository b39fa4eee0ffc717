//! Unit tests across the probe modules.

use super::config::*;
use super::judge::*;
use super::models::*;
use super::status::*;
use super::*;
use crate::gateway::http::{self, Exchange};
use crate::gateway::report::{Check, Section, Severity};
use crate::profile::AnthropicAuth;
use crate::profile::{KeySource, Profile, from_profile};
use serde_json::Value;
use std::time::Duration;

fn gw(url: &str) -> Gateway {
    from_profile(
        "t".into(),
        &Profile {
            base_url: url.into(),
            ..Profile::default()
        },
        KeySource::Literal(ApiKey::new("sk-probe-test-123456")),
    )
    .unwrap()
}

#[test]
fn closest_ids() {
    let ids: Vec<String> = [
        "gpt-4o",
        "gpt-4o-mini",
        "anthropic/claude-sonnet-4.5",
        "claude-haiku-4-5",
        "text-embedding-3-small",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    assert_eq!(closest("gpt4o", &ids, 2), ["gpt-4o"]);
    assert_eq!(closest("gpt-4o-2024", &ids, 2), ["gpt-4o", "gpt-4o-mini"]);
    assert_eq!(closest("gpt-4o-min", &ids, 2), ["gpt-4o-mini", "gpt-4o"]);
    assert_eq!(
        closest("claude-sonnet-4-5", &ids, 1),
        ["anthropic/claude-sonnet-4.5"]
    );
    assert!(closest("llama-3-70b", &ids, 3).is_empty());
}

#[test]
fn alternates_for_a_prefixed_base() {
    let g = gw("https://gw.example/proxy");
    let urls: Vec<String> = alternates(&g, Api::Chat)
        .into_iter()
        .map(|a| a.url)
        .collect();
    assert_eq!(
        urls,
        [
            "https://gw.example/proxy/chat/completions",
            "https://gw.example/v1/chat/completions"
        ]
    );
    let urls: Vec<String> = alternates(&g, Api::Messages)
        .into_iter()
        .map(|a| a.url)
        .collect();
    assert_eq!(
        urls,
        [
            "https://gw.example/proxy/messages",
            "https://gw.example/v1/messages"
        ]
    );
    let g = gw("https://gw.example");
    let alts = alternates(&g, Api::Models);
    assert_eq!(alts[0].url, "https://gw.example/models");
    assert_eq!(
        alts[0].fix,
        "the gateway serves the OpenAI API without /v1: `byok init --openai-url https://gw.example` (with your other settings)"
    );
    assert_eq!(alts[1].url, "https://gw.example/api/v1/models");
}

#[test]
fn url_check_flags_double_v1_and_plain_http() {
    let mut g = gw("https://gw.example");
    g.openai_base = "https://gw.example/v1/v1".into();
    let c = check_url(&g);
    assert_eq!(c.severity, Severity::Fail);
    assert_eq!(
        c.hint.as_deref(),
        Some("save the base without the extra /v1: `byok init --openai-url https://gw.example/v1`")
    );
    assert_eq!(
        check_url(&gw("http://10.1.2.3:4000")).severity,
        Severity::Warn
    );
    assert_eq!(
        check_url(&gw("http://127.0.0.1:4000")).severity,
        Severity::Ok
    );
}

#[test]
fn model_not_found_shapes() {
    let j = |s: &str| serde_json::from_str::<Value>(s).unwrap();
    assert!(is_model_not_found(
        404,
        "the model `x` does not exist",
        &j(r#"{"error":{"code":"model_not_found"}}"#)
    ));
    assert!(is_model_not_found(
        404,
        "model: x",
        &j(r#"{"type":"error","error":{"type":"not_found_error","message":"model: x"}}"#)
    ));
    assert!(is_model_not_found(
        400,
        "invalid model name passed in model=x. call `/v1/models` to view available models for your key.",
        &Value::Null
    ));
    assert!(!is_model_not_found(
        404,
        "not found",
        &j(r#"{"detail":"Not Found"}"#)
    ));
}

#[test]
fn event_streams_tolerate_a_trailing_done() {
    let body = "event: response.created\ndata: {\"type\":\"response.created\"}\n\nevent: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"ok\"}\n\nevent: response.completed\ndata: {\"type\":\"response.completed\"}\n\ndata: [DONE]\n\n";
    let ex = Exchange {
        body: body.as_bytes().to_vec(),
        arrivals: vec![(body.len(), Duration::from_millis(5))],
        content_type: "text/event-stream".into(),
        ..Exchange::default()
    };
    let Judged {
        severity: sev,
        message: msg,
        ..
    } = judge_event_stream(&http::parse_sse(&ex.body), &ex, &RESPONSES_EVENTS);
    assert_eq!(sev, Severity::Ok);
    assert_eq!(
        msg,
        "3 events response.created … response.completed, first token after 5 ms"
    );
    // Cut before the end: named as such.
    let cut = &body[..body.find("event: response.completed").unwrap()];
    let ex = Exchange {
        body: cut.as_bytes().to_vec(),
        ..ex
    };
    let Judged {
        severity: sev,
        message: msg,
        ..
    } = judge_event_stream(&http::parse_sse(&ex.body), &ex, &RESPONSES_EVENTS);
    assert_eq!(sev, Severity::Fail);
    assert!(
        msg.ends_with("the stream ended before response.completed"),
        "{msg}"
    );
}

#[test]
fn auth_verdicts() {
    let g = gw("https://gw.example");
    let mut probe = Check::new(Section::Gateway, "messages", "m", Severity::Fail, "401");
    let c = judge_anthropic_auth(&g, &mut probe, Verdict::Accepted, Verdict::Rejected);
    assert_eq!(c.severity, Severity::Ok);
    assert_eq!(
        c.message,
        "the gateway accepts the key as `Authorization: Bearer`: ANTHROPIC_AUTH_TOKEN is right, as the profile has it"
    );
    let mut g2 = g.clone();
    g2.anthropic_auth = AnthropicAuth::XApiKey;
    let c = judge_anthropic_auth(&g2, &mut probe, Verdict::Rejected, Verdict::Accepted);
    assert_eq!(c.severity, Severity::Fail);
    assert!(
        c.hint
            .unwrap()
            .starts_with("use ANTHROPIC_AUTH_TOKEN: run `byok init --anthropic-auth bearer …`")
    );
    assert!(
        probe
            .message
            .ends_with("; the gateway accepts the key as `Authorization: Bearer` instead")
    );
}
