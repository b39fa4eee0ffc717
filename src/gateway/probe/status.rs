//! Status diagnosis: a non-2xx answer or a transport failure named with its cause and the
//! one step that fixes it; a 404 is retried at the URLs a wrong base usually means.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;

use super::config::collapse_v1;
use super::models::model_hint;
use super::request::{Spec, origin_of, path_of};
use super::{Api, Target, Verdict};
use crate::gateway::http::{self, Call, Exchange, Failure};
use crate::profile::Gateway;
use crate::secret::ApiKey;

/// A transport failure as (message, hint, kind).
pub(super) fn transport(
    f: &Failure,
    url: &str,
    timeout: Duration,
) -> (String, String, &'static str) {
    let host = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    match f {
        Failure::Dns(e) => (
            format!("DNS lookup failed for {host}: {e}"),
            format!("check the host name in the URL; on a VPN or company network, check that {host} resolves there"),
            "dns",
        ),
        Failure::Refused => (
            format!("connection refused by {}", origin_of(url)),
            "start the gateway, or check the host and port in the URL (`byok profile show`)".into(),
            "refused",
        ),
        Failure::Certificate(e) => (
            format!("TLS certificate rejected: {e}"),
            "install the gateway's CA certificate in this machine's trust store, or fix the gateway's certificate".into(),
            "certificate",
        ),
        Failure::Tls(e) => (
            format!("TLS failed: {e}"),
            "check that this port speaks https; for a plain-HTTP gateway use an http:// URL".into(),
            "tls",
        ),
        Failure::Timeout => (
            format!("no answer within {} s", secs(timeout)),
            "the gateway or its upstream is slow or stuck: check its logs, or allow more time with --timeout".into(),
            "timeout",
        ),
        Failure::Other(e) => (
            format!("request failed: {e}"),
            "check the URL, your network and any proxy in between".into(),
            "network",
        ),
    }
}

pub(super) fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s}")
    }
}

pub(super) struct Diagnosis {
    pub(super) message: String,
    pub(super) hint: String,
    pub(super) kind: &'static str,
}

pub(super) fn status_line(status: u16) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    format!("{status} {reason}").trim_end().to_string()
}

pub(super) fn quoted(msg: Option<&str>) -> String {
    msg.map(|m| format!(": \"{m}\"")).unwrap_or_default()
}

pub(super) fn diagnose_status(
    t: &Target<'_>,
    spec: &Spec<'_>,
    call: &Call<'_>,
    ex: &Exchange,
    model: &str,
) -> (Diagnosis, Verdict) {
    let status = ex.status;
    let line = status_line(status);
    let html = http::is_html(ex);
    let msg = http::gateway_message(&ex.body);
    let lower = msg.as_deref().unwrap_or("").to_ascii_lowercase();
    let json: Value = serde_json::from_slice(&ex.body).unwrap_or(Value::Null);
    let masked = t.key.map_or_else(|| "-".to_string(), ApiKey::masked);
    let header = spec.auth.header();
    let key_hint = "check the key: `byok profile show` says which one byok uses; save the right one with `byok init --key …`".to_string();

    if lower.contains("no connected db") {
        return (
            Diagnosis {
                message: format!(
                    "{line}{}: LiteLLM says this when it cannot check the key {masked} (a key it does not know, and no database to look it up)",
                    quoted(msg.as_deref())
                ),
                hint: "use the gateway's master key or a key LiteLLM knows; for virtual keys, connect LiteLLM to its database".into(),
                kind: "key_rejected",
            },
            Verdict::Rejected,
        );
    }
    if is_model_not_found(status, &lower, &json) && spec.api != Api::Models {
        let hint = model_hint(t, spec.api, model);
        return (
            Diagnosis {
                message: format!(
                    "{line}: model `{model}` is not served by the gateway{}",
                    quoted(msg.as_deref())
                ),
                hint,
                kind: "model_not_found",
            },
            Verdict::Unknown,
        );
    }
    match status {
        401 => (
            Diagnosis {
                message: format!(
                    "{line}: the gateway rejected the key {masked} sent as `{header}`{}",
                    quoted(msg.as_deref())
                ),
                hint: key_hint,
                kind: "key_rejected",
            },
            Verdict::Rejected,
        ),
        403 => (
            Diagnosis {
                message: format!(
                    "{line}: the gateway refused the key {masked} sent as `{header}`{}",
                    quoted(msg.as_deref())
                ),
                hint: "the key is known but not allowed here: check its permissions (routes, models, budget) on the gateway, or use another key".into(),
                kind: "forbidden",
            },
            Verdict::Rejected,
        ),
        400 if is_about_key(&lower) => (
            Diagnosis {
                message: format!(
                    "{line}: the gateway rejected the key {masked} sent as `{header}`{}",
                    quoted(msg.as_deref())
                ),
                hint: key_hint,
                kind: "key_rejected",
            },
            Verdict::Rejected,
        ),
        404 => (not_found(t, spec, call, html), Verdict::Unknown),
        405 => (
            Diagnosis {
                message: format!(
                    "{line}: {} does not take {}{}",
                    call.url,
                    call.method(),
                    ex.allow
                        .as_deref()
                        .map(|a| format!(" (it allows {a})"))
                        .unwrap_or_default()
                ),
                hint: "this URL reaches a server that does not route this API (a web app, or another API behind the same host): check the gateway's base URL and path prefix".into(),
                kind: "method_not_allowed",
            },
            Verdict::Unknown,
        ),
        429 => {
            let wait = ex.retry_after.as_deref().map(|r| {
                if r.chars().all(|c| c.is_ascii_digit()) {
                    format!("{r} s")
                } else {
                    crate::gateway::sanitize(r, 40)
                }
            });
            (
                Diagnosis {
                    message: format!(
                        "{line}: rate limited{}{}",
                        wait.as_deref()
                            .map(|w| format!(", retry after {w}"))
                            .unwrap_or_default(),
                        quoted(msg.as_deref())
                    ),
                    hint: format!(
                        "wait{} and run `byok doctor` again; if it keeps happening, raise the key's rate limit or budget on the gateway",
                        wait.map(|w| format!(" {w}")).unwrap_or_default()
                    ),
                    kind: "rate_limited",
                },
                Verdict::Unknown,
            )
        }
        500..=599 => (
            Diagnosis {
                message: format!(
                    "{line}: the gateway or its upstream failed{}",
                    if html && msg.is_none() {
                        " (an HTML error page)".to_string()
                    } else {
                        quoted(msg.as_deref())
                    }
                ),
                hint: "the gateway is up but could not serve the request: check its logs and its upstream provider settings".into(),
                kind: "server_error",
            },
            Verdict::Unknown,
        ),
        _ => (
            Diagnosis {
                message: format!("{line}{}", quoted(msg.as_deref())),
                hint: format!(
                    "the gateway refused a minimal {} request: its message above says why",
                    spec.api.format()
                ),
                kind: "http_error",
            },
            Verdict::Unknown,
        ),
    }
}

pub(super) fn is_about_key(lower: &str) -> bool {
    [
        "api key",
        "api_key",
        "apikey",
        "invalid key",
        "authentication",
        "unauthorized",
        "unauthorised",
        "invalid token",
        "x-api-key",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

pub(super) fn is_model_not_found(status: u16, lower: &str, json: &Value) -> bool {
    if json["error"]["code"].as_str() == Some("model_not_found") {
        return true;
    }
    // Anthropic: 404 {"type":"error","error":{"type":"not_found_error","message":"model: x"}}
    if json["error"]["type"].as_str() == Some("not_found_error") && lower.starts_with("model:") {
        return true;
    }
    matches!(status, 400 | 404 | 422)
        && lower.contains("model")
        && [
            "not found",
            "does not exist",
            "invalid model",
            "unknown model",
            "no such model",
            "not supported",
            "no endpoints found",
            "not available",
        ]
        .iter()
        .any(|w| lower.contains(w))
}

/// A 404 that is not about a model: try the URLs a wrong base usually means.
pub(super) fn not_found(t: &Target<'_>, spec: &Spec<'_>, call: &Call<'_>, html: bool) -> Diagnosis {
    let doubled = call.url.to_ascii_lowercase().contains("/v1/v1");
    let mut message = format!(
        "{}: {} does not exist on this gateway{}",
        status_line(404),
        call.url,
        if html { " (an HTML page)" } else { "" }
    );
    if doubled {
        message.push_str("; the URL has /v1 twice");
    }
    // A tool's own URL: how it differs from the profile's is the caller's to say.
    if spec.url.is_some() {
        return Diagnosis {
            message,
            hint: String::new(),
            kind: "not_found",
        };
    }
    // These routes have one fixed place: a 404 means the gateway lacks them.
    match spec.api {
        Api::CountTokens => {
            return Diagnosis {
                message,
                hint: "the gateway does not serve Anthropic token counting, which Claude Code calls: add the route on the gateway (LiteLLM serves /v1/messages/count_tokens), or point byok at a gateway that has it".into(),
                kind: "route_missing",
            };
        }
        Api::Gemini => {
            return Diagnosis {
                message,
                hint: format!(
                    "Gemini CLI speaks only Google's Gemini API: the gateway must serve {}/<model>:generateContent and :streamGenerateContent (with the key in x-goog-api-key)",
                    Api::Gemini.url(t.gw)
                ),
                kind: "route_missing",
            };
        }
        _ => {}
    }
    for alt in alternates(t.gw, spec.api) {
        let mut c = call.clone();
        c.url.clone_from(&alt.url);
        let Ok(ex) = http::send(t.client, &c, t.timeout) else {
            continue;
        };
        if matches!(ex.status, 404 | 405) || http::is_html(&ex) {
            continue;
        }
        message.push_str(&format!(
            "; {} answers ({})",
            alt.url,
            status_line(ex.status)
        ));
        return Diagnosis {
            message,
            hint: alt.fix,
            kind: "wrong_path",
        };
    }
    Diagnosis {
        message,
        hint: format!(
            "no variant of the URL worked (with and without /v1, without the path prefix, under /api): check the gateway's documentation for its {} base URL",
            if spec.api.is_anthropic() {
                "Anthropic"
            } else {
                "OpenAI"
            }
        ),
        kind: "not_found",
    }
}

/// A URL to retry after a 404, and the fix to print when it works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternate {
    /// The URL to try.
    pub url: String,
    /// The one command (or step) that fixes the profile if it works.
    pub fix: String,
}

/// The URLs a 404 is retried at: `/v1` removed or doubled `/v1` collapsed, the path
/// prefix removed, `/api` added.
pub fn alternates(gw: &Gateway, api: Api) -> Vec<Alternate> {
    let suffix = api.suffix();
    let mut out: Vec<Alternate> = Vec::new();
    let origin = origin_of(gw.base.root());
    let has_prefix = gw.base.root() != origin;
    if matches!(api, Api::CountTokens | Api::Gemini) {
        return Vec::new();
    }
    if api == Api::Messages {
        let a = &gw.anthropic_base;
        let a_origin = origin_of(a);
        out.push(Alternate {
            url: format!("{a}/messages"),
            fix: format!(
                "the gateway serves Anthropic messages at {a}/messages, without /v1; Anthropic-format clients such as Claude Code always call <base>/v1/messages, so add that route on the gateway (or serve it under a base that ends in /v1)"
            ),
        });
        if a != &a_origin {
            out.push(Alternate {
                url: format!("{a_origin}/v1/messages"),
                fix: format!(
                    "drop the path prefix for Anthropic-format clients: `byok init --anthropic-url {a_origin}` (with your other settings)"
                ),
            });
        } else {
            out.push(Alternate {
                url: format!("{a_origin}/api/v1/messages"),
                fix: format!(
                    "the Anthropic API lives under /api: `byok init --anthropic-url {a_origin}/api` (with your other settings)"
                ),
            });
        }
    } else {
        let b = &gw.openai_base;
        let lower = b.to_ascii_lowercase();
        if lower.contains("/v1/v1") {
            let fixed = collapse_v1(b);
            out.push(Alternate {
                url: format!("{fixed}{suffix}"),
                fix: format!(
                    "the base has /v1 twice: `byok init --openai-url {fixed}` (with your other settings)"
                ),
            });
        }
        if let Some(stripped) = b.strip_suffix("/v1") {
            out.push(Alternate {
                url: format!("{stripped}{suffix}"),
                fix: format!(
                    "the gateway serves the OpenAI API without /v1: `byok init --openai-url {stripped}` (with your other settings)"
                ),
            });
        } else {
            out.push(Alternate {
                url: format!("{b}/v1{suffix}"),
                fix: format!(
                    "the OpenAI API needs /v1: `byok init --openai-url {b}/v1` (with your other settings)"
                ),
            });
        }
        if has_prefix {
            out.push(Alternate {
                url: format!("{origin}/v1{suffix}"),
                fix: format!(
                    "the API is not under {}: `byok init --url {origin}` (with your other settings)",
                    path_of(gw.base.root())
                ),
            });
        } else {
            out.push(Alternate {
                url: format!("{origin}/api/v1{suffix}"),
                fix: format!(
                    "the API lives under /api: `byok init --url {origin}/api` (with your other settings)"
                ),
            });
        }
    }
    let first = api.url(gw);
    let mut seen = BTreeSet::from([first]);
    out.retain(|a| seen.insert(a.url.clone()));
    out
}
