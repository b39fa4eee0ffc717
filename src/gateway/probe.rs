//! Doctor's gateway checks: one function per check, each returning a [`Check`] that says
//! what was found and, when something is wrong, what to do about it.
//!
//! The configuration checks are pure. The API probes send the smallest request each
//! endpoint accepts (`max_tokens` 8, `max_output_tokens` 16) and judge the answer: the
//! status, the gateway's own error message (LiteLLM, for one, answers a bad key with
//! `400 No connected db.`), the JSON shape, the event stream and the time to the first
//! token. A 404 is retried at the URLs a misconfigured base usually means (without `/v1`,
//! without the path prefix, under `/api`) so the hint can name the URL that works.
//! [`run`] runs every network check at once, so doctor takes about as long as the
//! slowest one.

use std::collections::BTreeSet;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::{Value, json};

use super::http::{self, Auth, Call, Exchange, Failure, Sse};
use super::net;
use super::report::{Check, Section, Severity, ms};
use crate::env::Env;
use crate::profile::{AnthropicAuth, Gateway};
use crate::secret::ApiKey;

/// What the probes talk to and with what.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The shared HTTP client.
    pub client: &'a Client,
    /// The gateway under test.
    pub gw: &'a Gateway,
    /// The key to send (`None`: the API probes are skipped).
    pub key: Option<&'a ApiKey>,
    /// Model for chat completions and responses.
    pub model: Option<&'a str>,
    /// Model for Anthropic messages.
    pub anthropic_model: Option<&'a str>,
    /// Per-check time limit.
    pub timeout: Duration,
}

/// Which probes to run and which of them count.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Only reachability and `/models` (nothing billed).
    pub quick: bool,
    /// The endpoints a configured tool (or the profile) uses: their failures are blocking.
    pub required: BTreeSet<Api>,
    /// Hosts to check for reachability, each with the proxy it goes through.
    pub hosts: Vec<(net::Endpoint, Option<String>)>,
}

/// The gateway APIs: what doctor probes and what each tool calls (templates name them
/// in `apis`, kebab-case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Api {
    /// `GET {openai_base}/models`.
    Models,
    /// `POST {openai_base}/chat/completions`.
    Chat,
    /// `POST {anthropic_base}/v1/messages`.
    Messages,
    /// `POST {openai_base}/responses`.
    Responses,
}

impl Api {
    fn suffix(self) -> &'static str {
        match self {
            Self::Models => "/models",
            Self::Chat => "/chat/completions",
            Self::Messages => "/v1/messages",
            Self::Responses => "/responses",
        }
    }

    /// The URL the probe calls.
    pub fn url(self, gw: &Gateway) -> String {
        match self {
            Self::Messages => format!("{}{}", gw.anthropic_base, self.suffix()),
            _ => format!("{}{}", gw.openai_base, self.suffix()),
        }
    }

    fn format(self) -> &'static str {
        match self {
            Self::Models => "OpenAI models list",
            Self::Chat => "OpenAI chat completions",
            Self::Messages => "Anthropic messages",
            Self::Responses => "OpenAI Responses",
        }
    }

    fn id(self, stream: bool) -> &'static str {
        match (self, stream) {
            (Self::Models, _) => "models",
            (Self::Chat, false) => "chat",
            (Self::Chat, true) => "chat_stream",
            (Self::Messages, false) => "messages",
            (Self::Messages, true) => "messages_stream",
            (Self::Responses, false) => "responses",
            (Self::Responses, true) => "responses_stream",
        }
    }
}

/// Whether the gateway took the key in the header a probe used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A 2xx answer.
    Accepted,
    /// 401, 403, or a 400 that is about the key.
    Rejected,
    /// Anything else: no conclusion about the key.
    Unknown,
}

/// A probe's result.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The line for the report.
    pub check: Check,
    /// What it says about the key and header.
    pub verdict: Verdict,
    /// The model ids, for `/models`.
    pub models: Option<Vec<String>>,
}

// ---------------------------------------------------------------------------------------
// Configuration (pure)
// ---------------------------------------------------------------------------------------

fn config(id: &str, name: &str, severity: Severity, message: impl Into<String>) -> Check {
    Check::new(Section::Configuration, id, name, severity, message)
}

/// The URL's shape: the two derived bases, `/v1/v1`, plain http to another host.
pub fn check_url(gw: &Gateway) -> Check {
    let doubled = [&gw.openai_base, &gw.anthropic_base]
        .into_iter()
        .find(|u| u.to_ascii_lowercase().contains("/v1/v1"));
    let check = if let Some(u) = doubled {
        config(
            "url",
            "Gateway URL",
            Severity::Fail,
            format!("{u} has /v1 twice: clients would call …/v1/v1/…"),
        )
        .hint(format!(
            "save the base without the extra /v1: `byok init --openai-url {}`",
            collapse_v1(u)
        ))
    } else if gw.base.is_insecure_remote() {
        config(
            "url",
            "Gateway URL",
            Severity::Warn,
            format!(
                "{} uses plain http to a host that is not this machine: the key travels unencrypted",
                gw.base
            ),
        )
        .hint("use https:// if the gateway offers it (`byok init --url https://…`)")
    } else {
        config(
            "url",
            "Gateway URL",
            Severity::Ok,
            format!(
                "{} (OpenAI-format clients use {}, Anthropic-format clients {})",
                gw.base, gw.openai_base, gw.anthropic_base
            ),
        )
    };
    check
        .detail("base_url", gw.base.root())
        .detail("openai_base", gw.openai_base.as_str())
        .detail("anthropic_base", gw.anthropic_base.as_str())
}

fn collapse_v1(u: &str) -> String {
    let mut s = u.to_string();
    while let Some(i) = s.to_ascii_lowercase().find("/v1/v1") {
        s.replace_range(i..i + 6, "/v1");
    }
    s
}

/// Where the key came from, for the key check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// "the profile", "--key", "$BYOK_API_KEY", "$GW_KEY".
    pub source: String,
    /// The key as found (before trimming) had whitespace around or inside it.
    pub whitespace: bool,
    /// The key variable named by the profile is unset (`Some(var)`).
    pub missing_var: Option<String>,
}

/// Key present, from where, and free of stray whitespace.
pub fn check_key(key: Option<&ApiKey>, info: &KeyInfo, profile: &str) -> Check {
    match key {
        None => {
            let (message, hint) = match &info.missing_var {
                Some(var) => (
                    format!("no key: profile `{profile}` reads it from ${var}, which is not set here"),
                    format!("export {var}=… in this shell, or save the key with `byok init --key …`"),
                ),
                None => (
                    "no key".to_string(),
                    "save one with `byok init --key …`, or pass --key".to_string(),
                ),
            };
            config("key", "API key", Severity::Fail, message).hint(hint)
        }
        Some(k) if info.whitespace => config(
            "key",
            "API key",
            Severity::Warn,
            format!(
                "{} from {} has whitespace or a line break around it (a copy-paste slip); doctor sends it trimmed, tools may not",
                k.masked(),
                info.source
            ),
        )
        .hint("save the trimmed key with `byok init --key …` (byok trims what you paste)")
        .detail("key", k.masked()),
        Some(k) => config(
            "key",
            "API key",
            Severity::Ok,
            format!("{} from {}", k.masked(), info.source),
        )
        .detail("key", k.masked()),
    }
}

/// Which models are configured.
pub fn check_models_config(t: &Target<'_>) -> Check {
    let mut parts = Vec::new();
    if let Some(m) = t.model {
        parts.push(format!("chat {m}"));
    }
    if let Some(m) = t.gw.anthropic_model.as_deref() {
        parts.push(format!("Anthropic {m}"));
    }
    if let Some(m) = t.gw.small_model.as_deref() {
        parts.push(format!("small {m}"));
    }
    if t.model.is_none() && t.anthropic_model.is_none() {
        return config(
            "models_config",
            "Models",
            Severity::Warn,
            "no model configured: the generation checks are skipped",
        )
        .hint("save one with `byok init --model …`, or pass `byok doctor --model …`");
    }
    config("models_config", "Models", Severity::Ok, parts.join(", "))
}

/// The proxy variables in effect, and which hosts go through a proxy.
pub fn check_proxy(env: &Env, urls: &[&str]) -> Check {
    let vars: Vec<String> = ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"]
        .iter()
        .filter_map(|v| super::proxy_var(env, v).map(|val| format!("{v}={}", hide_password(val))))
        .collect();
    if vars.is_empty() {
        return config(
            "proxy",
            "Proxy",
            Severity::Ok,
            "no proxy variables set: direct connections",
        );
    }
    let mut routed = Vec::new();
    for u in urls {
        let host = reqwest::Url::parse(u)
            .ok()
            .and_then(|x| x.host_str().map(str::to_string))
            .unwrap_or_default();
        match super::proxy_for(env, u) {
            Some(p) => routed.push(format!("{host} goes through {}", hide_password(p))),
            None => routed.push(format!("{host} is reached directly")),
        }
    }
    routed.dedup();
    config(
        "proxy",
        "Proxy",
        Severity::Info,
        format!("{}; {}", vars.join(", "), routed.join(", ")),
    )
    .detail("variables", vars)
}

/// `http://user:secret@proxy` → `http://user:***@proxy`.
fn hide_password(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// API probes
// ---------------------------------------------------------------------------------------

/// The prompt every generation probe sends.
const PROMPT: &str = "Reply with the single word: ok";

fn request_body(api: Api, model: &str, stream: bool, completion_tokens: bool) -> Option<Value> {
    let mut body = match api {
        Api::Models => return None,
        Api::Chat if completion_tokens => json!({
            "model": model,
            "messages": [{"role": "user", "content": PROMPT}],
            "max_completion_tokens": 16,
        }),
        Api::Chat => json!({
            "model": model,
            "messages": [{"role": "user", "content": PROMPT}],
            "max_tokens": 8,
        }),
        Api::Messages => json!({
            "model": model,
            "max_tokens": 8,
            "messages": [{"role": "user", "content": PROMPT}],
        }),
        // 16 is the smallest max_output_tokens OpenAI accepts.
        Api::Responses => json!({
            "model": model,
            "input": PROMPT,
            "max_output_tokens": 16,
        }),
    };
    if stream {
        body["stream"] = json!(true);
    }
    Some(body)
}

/// The path part of a URL, for check names (`POST /v1/chat/completions`).
fn path_of(url: &str) -> String {
    reqwest::Url::parse(url).map_or_else(|_| url.to_string(), |u| u.path().to_string())
}

fn origin_of(url: &str) -> String {
    reqwest::Url::parse(url).map_or_else(|_| url.to_string(), |u| u.origin().ascii_serialization())
}

struct Spec<'a> {
    api: Api,
    stream: bool,
    auth: Auth,
    model: Option<&'a str>,
}

/// The check name for a probe.
pub fn probe_name(gw: &Gateway, api: Api, stream: bool) -> String {
    let url = api.url(gw);
    let method = if api == Api::Models { "GET" } else { "POST" };
    format!(
        "{method} {}{}",
        path_of(&url),
        if stream { " (stream)" } else { "" }
    )
}

/// `GET {openai_base}/models`: the list, and whether each configured model is on it.
pub fn probe_models(t: &Target<'_>) -> Outcome {
    probe(
        t,
        &Spec {
            api: Api::Models,
            stream: false,
            auth: Auth::Bearer,
            model: None,
        },
    )
}

/// `POST {openai_base}/chat/completions`, plain or streaming.
pub fn probe_chat(t: &Target<'_>, stream: bool) -> Outcome {
    probe(
        t,
        &Spec {
            api: Api::Chat,
            stream,
            auth: Auth::Bearer,
            model: t.model,
        },
    )
}

/// `POST {anthropic_base}/v1/messages` with `anthropic-version: 2023-06-01`, the key in
/// the given header.
pub fn probe_messages(t: &Target<'_>, auth: Auth, stream: bool) -> Outcome {
    probe(
        t,
        &Spec {
            api: Api::Messages,
            stream,
            auth,
            model: t.anthropic_model,
        },
    )
}

/// `POST {openai_base}/responses`, plain or streaming.
pub fn probe_responses(t: &Target<'_>, stream: bool) -> Outcome {
    probe(
        t,
        &Spec {
            api: Api::Responses,
            stream,
            auth: Auth::Bearer,
            model: t.model,
        },
    )
}

fn probe(t: &Target<'_>, spec: &Spec<'_>) -> Outcome {
    let started = Instant::now();
    let url = spec.api.url(t.gw);
    let name = probe_name(t.gw, spec.api, spec.stream);
    let id = spec.api.id(spec.stream);
    let base = |severity: Severity, message: String| {
        Check::new(Section::Gateway, id, name.clone(), severity, message)
            .detail("url", url.as_str())
    };
    let Some(key) = t.key else {
        return Outcome {
            check: base(Severity::Skipped, "no key to send".into()),
            verdict: Verdict::Unknown,
            models: None,
        };
    };
    let model = match (spec.api, spec.model) {
        (Api::Models, _) => "",
        (_, Some(m)) => m,
        (_, None) => {
            return Outcome {
                check: base(
                    Severity::Skipped,
                    "no model configured (pass --model)".into(),
                ),
                verdict: Verdict::Unknown,
                models: None,
            };
        }
    };
    let mut call = Call {
        body: request_body(spec.api, model, spec.stream, false),
        url: url.clone(),
        auth: spec.auth,
        key: Some(key),
        anthropic: spec.api == Api::Messages,
    };
    let mut result = http::send(t.client, &call, t.timeout);
    // Newer OpenAI models refuse max_tokens; ask once more the way they want.
    if spec.api == Api::Chat
        && let Ok(ex) = &result
        && ex.status == 400
        && ex.text().contains("max_completion_tokens")
    {
        call.body = request_body(spec.api, model, spec.stream, true);
        result = http::send(t.client, &call, t.timeout);
    }
    let mut out = match result {
        Err(f) => {
            let (message, hint, kind) = transport(&f, &url, t.timeout);
            Outcome {
                check: base(Severity::Fail, message)
                    .hint(hint)
                    .detail("error", kind),
                verdict: Verdict::Unknown,
                models: None,
            }
        }
        Ok(ex) if !(200..300).contains(&ex.status) => {
            let (d, verdict) = diagnose_status(t, spec, &call, &ex, model);
            Outcome {
                check: base(Severity::Fail, d.message)
                    .hint(d.hint)
                    .detail("status", ex.status)
                    .detail("error", d.kind),
                verdict,
                models: None,
            }
        }
        Ok(ex) => {
            let (severity, message, hint, models, details) = judge(t, spec, &ex);
            let mut check = base(severity, message)
                .hint_opt(hint)
                .detail("status", ex.status);
            for (k, v) in details {
                check = check.detail(k, v);
            }
            // A 2xx that is not the API (an HTML page, a broken body) says nothing about the key.
            let verdict = if severity == Severity::Fail {
                Verdict::Unknown
            } else {
                Verdict::Accepted
            };
            Outcome {
                check,
                verdict,
                models,
            }
        }
    };
    if spec.api != Api::Models {
        out.check = out.check.detail("model", model);
    }
    if spec.api == Api::Messages {
        out.check = out.check.detail("auth", spec.auth.header());
    }
    out.check = out.check.took(started.elapsed());
    out
}

/// A transport failure as (message, hint, kind).
fn transport(f: &Failure, url: &str, timeout: Duration) -> (String, String, &'static str) {
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

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s}")
    }
}

struct Diagnosis {
    message: String,
    hint: String,
    kind: &'static str,
}

fn status_line(status: u16) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    format!("{status} {reason}").trim_end().to_string()
}

fn quoted(msg: Option<&str>) -> String {
    msg.map(|m| format!(": \"{m}\"")).unwrap_or_default()
}

fn diagnose_status(
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
                    super::sanitize(r, 40)
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

fn is_about_key(lower: &str) -> bool {
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

fn is_model_not_found(status: u16, lower: &str, json: &Value) -> bool {
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

/// The hint for an unknown model: the closest ids the gateway lists.
fn model_hint(t: &Target<'_>, api: Api, model: &str) -> String {
    let flag = if api == Api::Messages {
        "--anthropic-model"
    } else {
        "--model"
    };
    let listed = probe_models(t).models.unwrap_or_default();
    let near = closest(model, &listed, 3);
    if near.is_empty() {
        format!(
            "use a model id the gateway serves (GET {}/models lists them): `byok init {flag} …`",
            t.gw.openai_base
        )
    } else {
        format!(
            "the gateway lists {}: use one with `byok init {flag} {}`",
            near.join(", "),
            near[0]
        )
    }
}

/// A 404 that is not about a model: try the URLs a wrong base usually means.
fn not_found(t: &Target<'_>, spec: &Spec<'_>, call: &Call<'_>, html: bool) -> Diagnosis {
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
            if spec.api == Api::Messages {
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

type Judged = (
    Severity,
    String,
    Option<String>,
    Option<Vec<String>>,
    Vec<(&'static str, Value)>,
);

fn fail(message: String, hint: &str, kind: &'static str) -> Judged {
    (
        Severity::Fail,
        message,
        Some(hint.to_string()),
        None,
        vec![("error", json!(kind))],
    )
}

/// Judges a 2xx answer: the body must be what the API promises.
fn judge(t: &Target<'_>, spec: &Spec<'_>, ex: &Exchange) -> Judged {
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
        let (message, hint, kind) = transport(f, &spec.api.url(t.gw), t.timeout);
        return fail(
            format!("the answer stopped halfway: {message}"),
            &hint,
            kind,
        );
    }
    let v: Value = match serde_json::from_slice(&ex.body) {
        Ok(v) => v,
        Err(e) => {
            let start = super::sanitize(&ex.text(), 60);
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
                (Severity::Ok, message, None, None, Vec::new())
            } else {
                (
                    Severity::Warn,
                    format!("{message}, but without `usage`"),
                    Some("clients that count tokens or cost will show nothing; everything else works".into()),
                    None,
                    Vec::new(),
                )
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
            (
                Severity::Ok,
                format!(
                    "{}{}",
                    text.map_or_else(
                        || "answered without a text block".to_string(),
                        |s| format!("answered \"{s}\"")
                    ),
                    usage_note(&v["usage"], "output_tokens")
                ),
                None,
                None,
                Vec::new(),
            )
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
            (
                Severity::Ok,
                format!(
                    "{} (status {status})",
                    text.map_or_else(
                        || "answered without output text".to_string(),
                        |s| format!("answered \"{s}\"")
                    )
                ),
                None,
                None,
                Vec::new(),
            )
        }
    }
}

fn usage_note(usage: &Value, field: &str) -> String {
    usage[field]
        .as_u64()
        .map(|n| format!(", {n} token{}", if n == 1 { "" } else { "s" }))
        .unwrap_or_default()
}

fn shape(api: Api, field: &str) -> Judged {
    fail(
        format!(
            "the answer has no {field}: this URL does not speak the {} format",
            api.format()
        ),
        "check that the base URL points at the gateway's OpenAI- and Anthropic-compatible API",
        "wrong_shape",
    )
}

fn snippet(s: &str) -> String {
    super::sanitize(s, 30)
}

/// `{"error": {...}}` inside a 2xx (some gateways do that).
fn in_body_error(v: &Value) -> Option<String> {
    let e = &v["error"];
    if e.is_null() || v["type"].as_str() == Some("message") {
        return None;
    }
    if v["type"].as_str() == Some("error") || e.is_object() || e.is_string() {
        return http::gateway_message(v.to_string().as_bytes());
    }
    None
}

fn judge_models(t: &Target<'_>, v: &Value) -> Judged {
    let list = v["data"]
        .as_array()
        .or_else(|| v.as_array())
        .or_else(|| v["models"].as_array());
    let Some(list) = list else {
        return shape(Api::Models, "data[] list of models");
    };
    let ids: Vec<String> = list
        .iter()
        .filter_map(|m| {
            m["id"]
                .as_str()
                .or_else(|| m["name"].as_str())
                .or_else(|| m.as_str())
                .map(str::to_string)
        })
        .collect();
    let mut wanted: Vec<&str> = [
        t.model,
        t.gw.anthropic_model.as_deref(),
        t.gw.small_model.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    wanted.dedup();
    let missing: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|w| !ids.iter().any(|i| i == w))
        .collect();
    let present: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|w| !missing.contains(w))
        .collect();
    let count = format!(
        "{} model{}",
        ids.len(),
        if ids.len() == 1 { "" } else { "s" }
    );
    let details = vec![
        ("models", json!(ids.iter().take(200).collect::<Vec<_>>())),
        ("missing", json!(missing)),
    ];
    if missing.is_empty() {
        let listed = if present.is_empty() {
            String::new()
        } else {
            format!("; lists {}", present.join(", "))
        };
        return (
            Severity::Ok,
            format!("{count}{listed}"),
            None,
            Some(ids),
            details,
        );
    }
    let parts: Vec<String> = missing
        .iter()
        .map(|m| {
            let near = closest(m, &ids, 3);
            if near.is_empty() {
                format!("`{m}`")
            } else {
                format!("`{m}` (closest: {})", near.join(", "))
            }
        })
        .collect();
    (
        Severity::Warn,
        format!("{count}, but not {}", parts.join(", ")),
        Some("pick a listed id with `byok init --model …` (some gateways also serve unlisted aliases; the generation checks tell)".into()),
        Some(ids),
        details,
    )
}

fn judge_stream(spec: &Spec<'_>, ex: &Exchange) -> Judged {
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
            || super::sanitize(&ex.text(), 60),
            |j| super::sanitize(j, 60),
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
        Api::Models => return shape(Api::Models, "JSON body"),
    };
    let mut judged = judged;
    if !is_sse && judged.0 == Severity::Ok {
        judged.0 = Severity::Warn;
        judged.1.push_str(&format!(
            ", but sent as `{}` instead of text/event-stream",
            if ex.content_type.is_empty() {
                "no content type"
            } else {
                ex.content_type.as_str()
            }
        ));
        judged.2 = Some(
            "some clients check the content type: set text/event-stream on the gateway".into(),
        );
    }
    if let Some(f) = &ex.cut_short
        && judged.0 != Severity::Fail
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

fn cut_reason(f: &Failure) -> String {
    match f {
        Failure::Timeout => "the timeout".to_string(),
        Failure::Other(e) => format!("an error: {e}"),
        other => format!("{other:?}"),
    }
}

fn ttft_note(ex: &Exchange, end: Option<usize>) -> (String, Option<u64>) {
    match end.and_then(|e| ex.time_at(e)) {
        Some(t) => (
            format!("first token after {}", ms(t)),
            Some(u64::try_from(t.as_millis()).unwrap_or(u64::MAX)),
        ),
        None => ("no text in the stream".to_string(), None),
    }
}

fn judge_chat_stream(sse: &Sse, ex: &Exchange) -> Judged {
    let mut first_text = None;
    let mut done = false;
    let mut chunks = 0;
    for e in &sse.events {
        if e.data.trim() == "[DONE]" {
            done = true;
            continue;
        }
        let v: Value = match serde_json::from_str(&e.data) {
            Ok(v) => v,
            Err(err) => {
                return fail(
                    format!(
                        "a stream chunk is not valid JSON ({err}): {}",
                        super::sanitize(&e.data, 60)
                    ),
                    "the gateway (or a proxy in front of it) corrupts the stream: check that it passes text/event-stream through unchanged",
                    "malformed_sse",
                );
            }
        };
        if let Some(m) = in_body_error(&v) {
            return fail(
                format!("the stream carried an error: \"{m}\""),
                "the gateway's upstream failed mid-stream: check the gateway's logs",
                "error_in_stream",
            );
        }
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
        return (
            Severity::Warn,
            format!("{chunks} chunks, {ttft}, but no final `data: [DONE]`"),
            Some("some clients wait for [DONE] and hang or retry without it: check the gateway's streaming support".into()),
            None,
            details,
        );
    }
    let severity = if first_text.is_some() {
        Severity::Ok
    } else {
        Severity::Warn
    };
    (
        severity,
        format!("{chunks} chunks, {ttft}, ended with [DONE]"),
        (severity == Severity::Warn).then(|| {
            "the model streamed no text for a minimal prompt: try another model".to_string()
        }),
        None,
        details,
    )
}

/// The expected shape of a typed event stream.
struct EventRules {
    first: &'static str,
    last: &'static [&'static str],
    text: &'static str,
    failed: &'static [&'static str],
}

const MESSAGES_EVENTS: EventRules = EventRules {
    first: "message_start",
    last: &["message_stop"],
    text: "content_block_delta",
    failed: &["error"],
};

const RESPONSES_EVENTS: EventRules = EventRules {
    first: "response.created",
    last: &["response.completed", "response.incomplete"],
    text: "response.output_text.delta",
    failed: &["response.failed", "error"],
};

fn judge_event_stream(sse: &Sse, ex: &Exchange, rules: &EventRules) -> Judged {
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
                        super::sanitize(&e.data, 60)
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
                    super::sanitize(&m, 200)
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
        return (
            Severity::Fail,
            format!("{seq}: the stream does not start with {}", rules.first),
            Some("the gateway does not speak this streaming format here: check its base URL and streaming support".into()),
            None,
            details,
        );
    }
    if !names
        .last()
        .is_some_and(|l| rules.last.contains(&l.as_str()))
    {
        return (
            Severity::Fail,
            format!("{seq}: the stream ended before {}", rules.last[0]),
            Some("the stream was cut: check the gateway's (and any proxy's) streaming timeouts and logs".into()),
            None,
            details,
        );
    }
    let severity = if first_text.is_some() {
        Severity::Ok
    } else {
        Severity::Warn
    };
    (
        severity,
        format!("{seq}, {ttft}"),
        (severity == Severity::Warn).then(|| {
            "the model streamed no text for a minimal prompt: try another model".to_string()
        }),
        None,
        details,
    )
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

// ---------------------------------------------------------------------------------------
// Running everything at once
// ---------------------------------------------------------------------------------------

/// Reports a finished check when dropped, so a panicking probe is counted too.
struct Finished(mpsc::Sender<()>);

impl Drop for Finished {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// Runs reachability and the API probes concurrently (one thread each, one shared
/// client), while `local` runs on the calling thread. `progress(done, total)` is called
/// on the calling thread only, as checks finish and every 80 ms (the workers never touch
/// the terminal: stderr is locked by the command for its whole run). Returns
/// reachability and gateway checks, then `local`'s.
pub fn run(
    t: &Target<'_>,
    plan: &Plan,
    progress: &dyn Fn(usize, usize),
    local: impl FnOnce() -> Vec<Check>,
) -> Vec<Check> {
    let mine = match t.gw.anthropic_auth {
        AnthropicAuth::Bearer => Auth::Bearer,
        AnthropicAuth::XApiKey => Auth::XApiKey,
    };
    let other = match mine {
        Auth::Bearer => Auth::XApiKey,
        Auth::XApiKey => Auth::Bearer,
    };
    let (tx, rx) = mpsc::channel();
    let total = plan.hosts.len() + if plan.quick { 1 } else { 8 };
    let (reach, mut outcomes, other_verdict, local_checks) = std::thread::scope(|s| {
        let finished = &tx;
        let reach: Vec<_> = plan
            .hosts
            .iter()
            .enumerate()
            .map(|(i, (host, proxy))| {
                s.spawn(move || {
                    let _done = Finished(finished.clone());
                    let suffix = if i == 0 {
                        String::new()
                    } else {
                        format!(".{}", i + 1)
                    };
                    net::reachability(host, proxy.as_deref(), t.timeout, &suffix)
                })
            })
            .collect();
        let spawn = |f: fn(&Target<'_>) -> Outcome| {
            s.spawn(move || {
                let _done = Finished(finished.clone());
                f(t)
            })
        };
        let mut probes = vec![spawn(probe_models)];
        let mut other_handle = None;
        if !plan.quick {
            probes.push(spawn(|t| probe_chat(t, false)));
            probes.push(spawn(|t| probe_chat(t, true)));
            probes.push(s.spawn(move || {
                let _done = Finished(finished.clone());
                probe_messages(t, mine, false)
            }));
            probes.push(s.spawn(move || {
                let _done = Finished(finished.clone());
                probe_messages(t, mine, true)
            }));
            probes.push(spawn(|t| probe_responses(t, false)));
            probes.push(spawn(|t| probe_responses(t, true)));
            other_handle = Some(s.spawn(move || {
                let _done = Finished(finished.clone());
                probe_messages(t, other, false).verdict
            }));
        }
        let local_checks = local();
        let mut n = 0;
        while n < total {
            progress(n, total);
            match rx.recv_timeout(Duration::from_millis(80)) {
                Ok(()) => n += 1,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        progress(n, total);
        let reach: Vec<Check> = reach
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|_| vec![crashed("reachability")]))
            .collect();
        let outcomes: Vec<Outcome> = probes
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| Outcome {
                    check: crashed("probe"),
                    verdict: Verdict::Unknown,
                    models: None,
                })
            })
            .collect();
        let other_verdict = other_handle.map(|h| h.join().unwrap_or(Verdict::Unknown));
        (reach, outcomes, other_verdict, local_checks)
    });

    let mut checks = reach;
    let reach_failed = checks.iter().any(|c| c.severity == Severity::Fail);
    let mut auth_check = None;
    if let Some(ov) = other_verdict
        && let Some(m) = outcomes.iter_mut().find(|o| o.check.id == "messages")
    {
        let verdict = m.verdict;
        auth_check = Some(judge_anthropic_auth(t.gw, &mut m.check, verdict, ov));
    }
    let mut gateway: Vec<Check> = outcomes.into_iter().map(|o| o.check).collect();
    if let Some(a) = auth_check {
        let at = gateway
            .iter()
            .position(|c| c.id == "messages_stream")
            .map_or(gateway.len(), |i| i + 1);
        gateway.insert(at, a);
    }
    for c in &mut gateway {
        let endpoint = match c.id.as_str() {
            "models" => Api::Models,
            "chat" | "chat_stream" => Api::Chat,
            "messages" | "messages_stream" | "anthropic_auth" => Api::Messages,
            _ => Api::Responses,
        };
        c.required = plan.required.contains(&endpoint) || (plan.quick && c.id == "models");
        // The reachability section already names a failure to connect; say it once.
        let kind = c.details.get("error").and_then(Value::as_str);
        if reach_failed
            && c.severity == Severity::Fail
            && matches!(kind, Some("dns" | "refused" | "tls" | "certificate"))
        {
            c.severity = Severity::Skipped;
            c.message = "not reached (see Reachability)".into();
            c.hint = None;
        }
    }
    checks.extend(gateway.into_iter().map(Check::settle));
    checks.extend(local_checks);
    checks
}

fn crashed(what: &str) -> Check {
    Check::new(
        Section::Gateway,
        what,
        what,
        Severity::Fail,
        "the check crashed (a bug in byok; please report it)",
    )
}

// ---------------------------------------------------------------------------------------
// Model suggestions
// ---------------------------------------------------------------------------------------

/// Up to `n` listed ids closest to `wanted` (edit distance on normalised ids, ignoring a
/// `vendor/` prefix), closest first; only reasonably close ones.
pub fn closest(wanted: &str, ids: &[String], n: usize) -> Vec<String> {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['.', '_', ':'], "-");
    let w = norm(wanted);
    let mut scored: Vec<(usize, usize, &String)> = ids
        .iter()
        .map(|id| {
            let full = norm(id);
            let tail = full.rsplit('/').next().unwrap_or(&full).to_string();
            let mut d = levenshtein(&w, &full).min(levenshtein(&w, &tail));
            // `gpt-4o` → `gpt-4o-mini`: one id inside the other is a strong hint.
            if d > 0 && (tail.contains(&w) || w.contains(&tail)) {
                d = 1;
            }
            (d, w.len().abs_diff(tail.len()), id)
        })
        .filter(|(d, _, _)| *d <= (w.len() / 2).max(3))
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(n)
        .map(|(_, _, id)| id.clone())
        .collect()
}

/// Edit distance between two names (close model ids, mistyped tool names).
pub(crate) fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{KeySource, Profile, from_profile};

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
            Some(
                "save the base without the extra /v1: `byok init --openai-url https://gw.example/v1`"
            )
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
        let (sev, msg, ..) = judge_event_stream(&http::parse_sse(&ex.body), &ex, &RESPONSES_EVENTS);
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
        let (sev, msg, ..) = judge_event_stream(&http::parse_sse(&ex.body), &ex, &RESPONSES_EVENTS);
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
}
