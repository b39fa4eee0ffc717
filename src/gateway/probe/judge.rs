//! Body and stream judging: a 2xx answer must be what the API promises (JSON shape,
//! event sequence, text, usage), and the Anthropic key-header verdict.

use serde_json::{Value, json};

use super::models::judge_models;
use super::request::Spec;
use super::status::{status_line, transport};
use super::{Api, Target, Verdict};
use crate::gateway::http::{self, Auth, Exchange, Failure, Sse};
use crate::gateway::report::{Check, Section, Severity, ms};
use crate::profile::{AnthropicAuth, Gateway};

/// What a 2xx answer says: the check's severity, message and hint, the model ids (for
/// `/models`) and the details for `--json`.
#[derive(Debug)]
pub(super) struct Judged {
    pub(super) severity: Severity,
    pub(super) message: String,
    pub(super) hint: Option<String>,
    pub(super) models: Option<Vec<String>>,
    pub(super) details: Vec<(&'static str, Value)>,
}

impl Judged {
    /// A passing answer with nothing more to say.
    pub(super) fn ok(message: String) -> Self {
        Self {
            severity: Severity::Ok,
            message,
            hint: None,
            models: None,
            details: Vec::new(),
        }
    }
}

pub(super) fn fail(message: String, hint: &str, kind: &'static str) -> Judged {
    Judged {
        severity: Severity::Fail,
        message,
        hint: Some(hint.to_string()),
        models: None,
        details: vec![("error", json!(kind))],
    }
}

/// Judges a 2xx answer: the body must be what the API promises.
pub(super) fn judge(t: &Target<'_>, spec: &Spec<'_>, ex: &Exchange) -> Judged {
    if http::is_html(ex) {
        let title = http::html_title(&ex.text())
            .map(|t| format!(", titled \"{t}\""))
            .unwrap_or_default();
        return fail(
            format!(
                "this URL serves a web page, not an API ({}{title})",
                if ex.content_type.is_empty() {
                    "HTML"
                } else {
                    ex.content_type.as_str()
                }
            ),
            "point byok at the gateway's API base URL, not its dashboard or login page: it often ends in /v1 or /api (`byok init --url …`)",
            "html",
        );
    }
    if ex.truncated {
        return fail(
            format!(
                "the answer is larger than {} MiB",
                http::MAX_BODY / 1024 / 1024
            ),
            "a minimal request should get a small answer: check what the gateway sends",
            "too_large",
        );
    }
    if spec.stream {
        return judge_stream(spec, ex);
    }
    if let Some(f) = &ex.cut_short {
        let (message, hint, kind) = transport(
            f,
            &spec.api.url_for(t.gw, spec.model.unwrap_or("MODEL"), false),
            t.timeout,
        );
        return fail(
            format!("the answer stopped halfway: {message}"),
            &hint,
            kind,
        );
    }
    let v: Value = match serde_json::from_slice(&ex.body) {
        Ok(v) => v,
        Err(e) => {
            let start = crate::gateway::sanitize(&ex.text(), 60);
            return fail(
                if ex.body.is_empty() {
                    "the answer is empty, not JSON".to_string()
                } else {
                    format!("the answer is not valid JSON ({e}): {start}")
                },
                "the gateway (or a proxy in front of it) sent a broken body: check the gateway's logs",
                "malformed_json",
            );
        }
    };
    if let Some(m) = in_body_error(&v) {
        return fail(
            format!(
                "{} with an error in the body: \"{m}\"",
                status_line(ex.status)
            ),
            "the gateway reports an upstream error in a 200 answer: check its logs and provider settings",
            "error_in_body",
        );
    }
    match spec.api {
        Api::Models => judge_models(t, &v),
        Api::Chat => {
            let msg = &v["choices"][0]["message"];
            if !msg.is_object() {
                return shape(spec.api, "choices[0].message");
            }
            let text = msg["content"].as_str().map(snippet);
            let usage = v["usage"].is_object();
            let message = format!(
                "{}{}",
                text.map_or_else(
                    || "answered without text content".to_string(),
                    |s| format!("answered \"{s}\"")
                ),
                usage_note(&v["usage"], "total_tokens"),
            );
            if usage {
                Judged {
                    severity: Severity::Ok,
                    message,
                    hint: None,
                    models: None,
                    details: Vec::new(),
                }
            } else {
                Judged {
                    severity: Severity::Warn,
                    message: format!("{message}, but without `usage`"),
                    hint: Some("clients that count tokens or cost will show nothing; everything else works".into()),
                    models: None,
                    details: Vec::new(),
                }
            }
        }
        Api::Messages => {
            if v["type"].as_str() != Some("message") || !v["content"].is_array() {
                return shape(spec.api, "type: message and content[]");
            }
            let text = v["content"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|b| b["type"].as_str() == Some("text"))
                .and_then(|b| b["text"].as_str())
                .map(snippet);
            Judged {
                severity: Severity::Ok,
                message: format!(
                    "{}{}",
                    text.map_or_else(
                        || "answered without a text block".to_string(),
                        |s| format!("answered \"{s}\"")
                    ),
                    usage_note(&v["usage"], "output_tokens")
                ),
                hint: None,
                models: None,
                details: Vec::new(),
            }
        }
        Api::Responses => {
            if !v["output"].is_array() {
                return shape(spec.api, "output[]");
            }
            let text = v["output"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|o| o["content"].as_array().into_iter().flatten())
                .find(|c| c["type"].as_str() == Some("output_text"))
                .and_then(|c| c["text"].as_str())
                .map(snippet);
            let status = v["status"].as_str().unwrap_or("-");
            Judged {
                severity: Severity::Ok,
                message: format!(
                    "{} (status {status})",
                    text.map_or_else(
                        || "answered without output text".to_string(),
                        |s| format!("answered \"{s}\"")
                    )
                ),
                hint: None,
                models: None,
                details: Vec::new(),
            }
        }
        Api::CountTokens => match v["input_tokens"].as_u64() {
            Some(n) => Judged::ok(format!("counted {n} input tokens")),
            None => shape(spec.api, "input_tokens"),
        },
        Api::Gemini => {
            if !v["candidates"].is_array() {
                return shape(spec.api, "candidates[]");
            }
            Judged::ok(format!(
                "{}{}",
                gemini_text(&v).map_or_else(
                    || "answered without text".to_string(),
                    |s| format!("answered \"{}\"", snippet(&s))
                ),
                usage_note(&v["usageMetadata"], "totalTokenCount")
            ))
        }
    }
}

/// The text of a Gemini answer or stream chunk: `candidates[0].content.parts[*].text`.
fn gemini_text(v: &Value) -> Option<String> {
    let parts = v["candidates"][0]["content"]["parts"].as_array()?;
    let text: String = parts.iter().filter_map(|p| p["text"].as_str()).collect();
    (!text.is_empty()).then_some(text)
}

/// A stream chunk's JSON, or the failure for a chunk that isn't JSON or carries an error.
fn chunk_json(e: &crate::gateway::http::SseEvent) -> Result<Value, Judged> {
    let v: Value = serde_json::from_str(&e.data).map_err(|err| {
        fail(
            format!(
                "a stream chunk is not valid JSON ({err}): {}",
                crate::gateway::sanitize(&e.data, 60)
            ),
            "the gateway (or a proxy in front of it) corrupts the stream: check that it passes text/event-stream through unchanged",
            "malformed_sse",
        )
    })?;
    match in_body_error(&v) {
        Some(m) => Err(fail(
            format!("the stream carried an error: \"{m}\""),
            "the gateway's upstream failed mid-stream: check the gateway's logs",
            "error_in_stream",
        )),
        None => Ok(v),
    }
}

/// A stream that ended as its API promises: ok, or a warning when no text came.
fn streamed(
    message: String,
    first_text: Option<usize>,
    details: Vec<(&'static str, Value)>,
) -> Judged {
    let severity = if first_text.is_some() {
        Severity::Ok
    } else {
        Severity::Warn
    };
    Judged {
        severity,
        message,
        hint: (severity == Severity::Warn).then(|| {
            "the model streamed no text for a minimal prompt: try another model".to_string()
        }),
        models: None,
        details,
    }
}

/// A Gemini stream (`alt=sse`): JSON chunks without event names, the last with a
/// `finishReason`.
fn judge_gemini_stream(sse: &Sse, ex: &Exchange) -> Judged {
    let mut first_text = None;
    let mut finish = None;
    for e in &sse.events {
        let v = match chunk_json(e) {
            Ok(v) => v,
            Err(j) => return j,
        };
        if first_text.is_none() && gemini_text(&v).is_some() {
            first_text = Some(e.end);
        }
        if let Some(r) = v["candidates"][0]["finishReason"].as_str() {
            finish = Some(r.to_string());
        }
    }
    let (ttft, ttft_ms) = ttft_note(ex, first_text);
    let n = sse.events.len();
    let details = vec![
        ("chunks", json!(n)),
        ("finish_reason", json!(finish)),
        ("ttft_ms", json!(ttft_ms)),
    ];
    let Some(reason) = finish else {
        return Judged {
            severity: Severity::Fail,
            message: format!("{n} chunks, {ttft}, but none with a finishReason: the stream was cut"),
            hint: Some("the stream was cut: check the gateway's (and any proxy's) streaming timeouts and logs".into()),
            models: None,
            details,
        };
    };
    streamed(
        format!("{n} chunks, {ttft}, finishReason {reason}"),
        first_text,
        details,
    )
}

pub(super) fn usage_note(usage: &Value, field: &str) -> String {
    usage[field]
        .as_u64()
        .map(|n| format!(", {n} token{}", if n == 1 { "" } else { "s" }))
        .unwrap_or_default()
}

pub(super) fn shape(api: Api, field: &str) -> Judged {
    fail(
        format!(
            "the answer has no {field}: this URL does not speak the {} format",
            api.format()
        ),
        "check that the base URL points at the gateway's OpenAI- and Anthropic-compatible API",
        "wrong_shape",
    )
}

pub(super) fn snippet(s: &str) -> String {
    crate::gateway::sanitize(s, 30)
}

/// `{"error": {...}}` inside a 2xx (some gateways do that).
pub(super) fn in_body_error(v: &Value) -> Option<String> {
    let e = &v["error"];
    if e.is_null() || v["type"].as_str() == Some("message") {
        return None;
    }
    if v["type"].as_str() == Some("error") || e.is_object() || e.is_string() {
        return http::gateway_message(v.to_string().as_bytes());
    }
    None
}

pub(super) fn judge_stream(spec: &Spec<'_>, ex: &Exchange) -> Judged {
    let sse = http::parse_sse(&ex.body);
    let is_sse = ex.content_type.starts_with("text/event-stream");
    if sse.events.is_empty() {
        if let Ok(v) = serde_json::from_slice::<Value>(&ex.body) {
            if let Some(m) = in_body_error(&v) {
                return fail(
                    format!("asked for a stream, got an error: \"{m}\""),
                    "the gateway reports an upstream error: check its logs and provider settings",
                    "error_in_body",
                );
            }
            return fail(
                "asked for a stream (\"stream\": true) but got a single JSON answer".into(),
                "the gateway ignores streaming; every editor and agent streams, so they will fail or hang: enable streaming on the gateway",
                "not_streaming",
            );
        }
        if let Some(f) = &ex.cut_short {
            return fail(
                format!("the stream sent no event before {}", cut_reason(f)),
                "the gateway or its upstream is slow or stuck: check its logs, or allow more time with --timeout",
                "stream_cut",
            );
        }
        let start = sse.junk.first().map_or_else(
            || crate::gateway::sanitize(&ex.text(), 60),
            |j| crate::gateway::sanitize(j, 60),
        );
        return fail(
            format!("the stream is not server-sent events: \"{start}\""),
            "the gateway (or a proxy in front of it) breaks streaming: check that it passes text/event-stream through unbuffered and unchanged",
            "malformed_sse",
        );
    }
    let judged = match spec.api {
        Api::Chat => judge_chat_stream(&sse, ex),
        Api::Messages => judge_event_stream(&sse, ex, &MESSAGES_EVENTS),
        Api::Responses => judge_event_stream(&sse, ex, &RESPONSES_EVENTS),
        Api::Gemini => judge_gemini_stream(&sse, ex),
        Api::Models | Api::CountTokens => return shape(spec.api, "JSON body"),
    };
    let mut judged = judged;
    if !is_sse && judged.severity == Severity::Ok {
        judged.severity = Severity::Warn;
        judged.message.push_str(&format!(
            ", but sent as `{}` instead of text/event-stream",
            if ex.content_type.is_empty() {
                "no content type"
            } else {
                ex.content_type.as_str()
            }
        ));
        judged.hint = Some(
            "some clients check the content type: set text/event-stream on the gateway".into(),
        );
    }
    if let Some(f) = &ex.cut_short
        && judged.severity != Severity::Fail
    {
        return fail(
            format!(
                "the stream stopped before its end ({} events, then {})",
                sse.events.len(),
                cut_reason(f)
            ),
            "the gateway or its upstream stalls mid-stream: check its logs, or allow more time with --timeout",
            "stream_cut",
        );
    }
    judged
}

pub(super) fn cut_reason(f: &Failure) -> String {
    match f {
        Failure::Timeout => "the timeout".to_string(),
        Failure::Other(e) => format!("an error: {e}"),
        other => format!("{other:?}"),
    }
}

pub(super) fn ttft_note(ex: &Exchange, end: Option<usize>) -> (String, Option<u64>) {
    match end.and_then(|e| ex.time_at(e)) {
        Some(t) => (
            format!("first token after {}", ms(t)),
            Some(u64::try_from(t.as_millis()).unwrap_or(u64::MAX)),
        ),
        None => ("no text in the stream".to_string(), None),
    }
}

pub(super) fn judge_chat_stream(sse: &Sse, ex: &Exchange) -> Judged {
    let mut first_text = None;
    let mut done = false;
    let mut chunks = 0;
    for e in &sse.events {
        if e.data.trim() == "[DONE]" {
            done = true;
            continue;
        }
        let v = match chunk_json(e) {
            Ok(v) => v,
            Err(j) => return j,
        };
        chunks += 1;
        if first_text.is_none()
            && v["choices"][0]["delta"]["content"]
                .as_str()
                .is_some_and(|s| !s.is_empty())
        {
            first_text = Some(e.end);
        }
    }
    let (ttft, ttft_ms) = ttft_note(ex, first_text);
    let details = vec![
        ("chunks", json!(chunks)),
        ("done", json!(done)),
        ("ttft_ms", json!(ttft_ms)),
    ];
    if !done {
        return Judged {
            severity: Severity::Warn,
            message: format!("{chunks} chunks, {ttft}, but no final `data: [DONE]`"),
            hint: Some("some clients wait for [DONE] and hang or retry without it: check the gateway's streaming support".into()),
            models: None,
            details,
        };
    }
    streamed(
        format!("{chunks} chunks, {ttft}, ended with [DONE]"),
        first_text,
        details,
    )
}

/// The expected shape of a typed event stream.
pub(super) struct EventRules {
    first: &'static str,
    last: &'static [&'static str],
    text: &'static str,
    failed: &'static [&'static str],
}

pub(super) const MESSAGES_EVENTS: EventRules = EventRules {
    first: "message_start",
    last: &["message_stop"],
    text: "content_block_delta",
    failed: &["error"],
};

pub(super) const RESPONSES_EVENTS: EventRules = EventRules {
    first: "response.created",
    last: &["response.completed", "response.incomplete"],
    text: "response.output_text.delta",
    failed: &["response.failed", "error"],
};

pub(super) fn judge_event_stream(sse: &Sse, ex: &Exchange, rules: &EventRules) -> Judged {
    let mut names = Vec::new();
    let mut first_text = None;
    // LiteLLM ends Responses streams with the chat-style `data: [DONE]`; clients skip it.
    for e in sse.events.iter().filter(|e| e.data.trim() != "[DONE]") {
        let v: Value = match serde_json::from_str(&e.data) {
            Ok(v) => v,
            Err(err) => {
                return fail(
                    format!(
                        "a stream event is not valid JSON ({err}): {}",
                        crate::gateway::sanitize(&e.data, 60)
                    ),
                    "the gateway (or a proxy in front of it) corrupts the stream: check that it passes text/event-stream through unchanged",
                    "malformed_sse",
                );
            }
        };
        let name = e
            .event
            .clone()
            .or_else(|| v["type"].as_str().map(str::to_string))
            .unwrap_or_else(|| "?".into());
        if rules.failed.contains(&name.as_str()) {
            let m = http::gateway_message(e.data.as_bytes())
                .or_else(|| {
                    v["response"]["error"]["message"]
                        .as_str()
                        .map(str::to_string)
                })
                .unwrap_or_else(|| name.clone());
            return fail(
                format!(
                    "the stream carried an error: \"{}\"",
                    crate::gateway::sanitize(&m, 200)
                ),
                "the gateway's upstream failed mid-stream: check the gateway's logs",
                "error_in_stream",
            );
        }
        if name == rules.text && first_text.is_none() {
            first_text = Some(e.end);
        }
        names.push(name);
    }
    let (ttft, ttft_ms) = ttft_note(ex, first_text);
    let seq = format!(
        "{} events {} … {}",
        names.len(),
        names.first().map_or("-", String::as_str),
        names.last().map_or("-", String::as_str)
    );
    let details = vec![("events", json!(names)), ("ttft_ms", json!(ttft_ms))];
    if names.first().map(String::as_str) != Some(rules.first) {
        return Judged {
            severity: Severity::Fail,
            message: format!("{seq}: the stream does not start with {}", rules.first),
            hint: Some("the gateway does not speak this streaming format here: check its base URL and streaming support".into()),
            models: None,
            details,
        };
    }
    if !names
        .last()
        .is_some_and(|l| rules.last.contains(&l.as_str()))
    {
        return Judged {
            severity: Severity::Fail,
            message: format!("{seq}: the stream ended before {}", rules.last[0]),
            hint: Some("the stream was cut: check the gateway's (and any proxy's) streaming timeouts and logs".into()),
            models: None,
            details,
        };
    }
    streamed(format!("{seq}, {ttft}"), first_text, details)
}

/// Sets the anthropic auth check from the two header probes, and points the profile's
/// failing probe at the header that works.
pub fn judge_anthropic_auth(
    gw: &Gateway,
    profile_probe: &mut Check,
    profile_verdict: Verdict,
    other_verdict: Verdict,
) -> Check {
    let mine = gw.anthropic_auth;
    let other = match mine {
        AnthropicAuth::Bearer => AnthropicAuth::XApiKey,
        AnthropicAuth::XApiKey => AnthropicAuth::Bearer,
    };
    let header = |a: AnthropicAuth| match a {
        AnthropicAuth::Bearer => Auth::Bearer.header(),
        AnthropicAuth::XApiKey => Auth::XApiKey.header(),
    };
    let check = |severity, message: String| {
        Check::new(
            Section::Gateway,
            "anthropic_auth",
            "Anthropic key header",
            severity,
            message,
        )
        .detail("profile", mine.as_str())
    };
    let fix = format!(
        "use {}: run `byok init --anthropic-auth {} …` (with your other settings), then `byok setup` and `byok env --install` again",
        other.env_var(),
        other.as_str()
    );
    match (profile_verdict, other_verdict) {
        (Verdict::Accepted, Verdict::Accepted) => check(
            Severity::Ok,
            format!(
                "the gateway accepts both `{}` and `{}`; the profile uses {} ({})",
                header(AnthropicAuth::XApiKey),
                header(AnthropicAuth::Bearer),
                header(mine),
                mine.env_var()
            ),
        )
        .detail("accepts", json!(["x-api-key", "bearer"])),
        (Verdict::Accepted, _) => check(
            Severity::Ok,
            format!(
                "the gateway accepts the key as `{}`: {} is right, as the profile has it",
                header(mine),
                mine.env_var()
            ),
        )
        .detail("accepts", json!([mine.as_str()])),
        (Verdict::Rejected, Verdict::Accepted) => {
            profile_probe.message.push_str(&format!(
                "; the gateway accepts the key as `{}` instead",
                header(other)
            ));
            profile_probe.hint = Some(fix.clone());
            check(
                Severity::Fail,
                format!(
                    "the gateway accepts the key only as `{}` ({}), but the profile sends `{}` ({})",
                    header(other),
                    other.env_var(),
                    header(mine),
                    mine.env_var()
                ),
            )
            .hint(fix)
            .detail("accepts", json!([other.as_str()]))
        }
        (Verdict::Rejected, Verdict::Rejected) => check(
            Severity::Skipped,
            "the key was rejected in both headers (see above)".into(),
        ),
        _ => check(
            Severity::Skipped,
            "could not tell which header the gateway accepts (see above)".into(),
        ),
    }
}
