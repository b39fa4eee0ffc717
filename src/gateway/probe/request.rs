//! Request building: the smallest request each endpoint accepts, sent once (twice when a
//! newer OpenAI model wants `max_completion_tokens`), then handed to status diagnosis or
//! body judging.

use std::time::Instant;

use serde_json::{Value, json};

use super::judge::{Judged, judge};
use super::status::{diagnose_status, transport};
use super::{Api, Outcome, Target, Verdict};
use crate::gateway::http::{self, Auth, Call};
use crate::gateway::report::{Check, Section, Severity};
use crate::profile::Gateway;

/// The prompt every generation probe sends.
pub(super) const PROMPT: &str = "Reply with the single word: ok";

pub(super) fn request_body(
    api: Api,
    model: &str,
    stream: bool,
    completion_tokens: bool,
) -> Option<Value> {
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
        Api::CountTokens => json!({
            "model": model,
            "messages": [{"role": "user", "content": PROMPT}],
        }),
        // The model and the streaming mode are in Gemini's URL, not its body.
        Api::Gemini => {
            return Some(json!({
                "contents": [{"role": "user", "parts": [{"text": PROMPT}]}],
                "generationConfig": {"maxOutputTokens": 8},
            }));
        }
    };
    if stream {
        body["stream"] = json!(true);
    }
    Some(body)
}

/// The path part of a URL, for check names (`POST /v1/chat/completions`).
pub(super) fn path_of(url: &str) -> String {
    reqwest::Url::parse(url).map_or_else(|_| url.to_string(), |u| u.path().to_string())
}

pub(super) fn origin_of(url: &str) -> String {
    reqwest::Url::parse(url).map_or_else(|_| url.to_string(), |u| u.origin().ascii_serialization())
}

pub(super) struct Spec<'a> {
    pub(super) api: Api,
    pub(super) stream: bool,
    pub(super) auth: Auth,
    pub(super) model: Option<&'a str>,
    /// A tool's own full URL for the route, instead of the profile's.
    pub(super) url: Option<&'a str>,
}

/// The check name for a probe.
pub fn probe_name(gw: &Gateway, api: Api, stream: bool, model: Option<&str>) -> String {
    if api == Api::Gemini {
        let url = api.url_for(gw, model.unwrap_or("MODEL"), stream);
        return format!("POST {}", path_of(&url).replace("%3A", ":"));
    }
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
            url: None,
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
            url: None,
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
            url: None,
        },
    )
}

/// `POST {anthropic_base}/v1/messages/count_tokens`, the key in the given header.
pub fn probe_count_tokens(t: &Target<'_>, auth: Auth) -> Outcome {
    probe(
        t,
        &Spec {
            api: Api::CountTokens,
            stream: false,
            auth,
            model: t.anthropic_model,
            url: None,
        },
    )
}

/// `POST {root}/v1beta/models/<model>:generateContent` (or `:streamGenerateContent?alt=sse`)
/// with `x-goog-api-key`, as Gemini CLI sends it.
pub fn probe_gemini(t: &Target<'_>, stream: bool) -> Outcome {
    probe(
        t,
        &Spec {
            api: Api::Gemini,
            stream,
            auth: Auth::GoogApiKey,
            model: t.model,
            url: None,
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
            url: None,
        },
    )
}

pub(super) fn probe(t: &Target<'_>, spec: &Spec<'_>) -> Outcome {
    let started = Instant::now();
    let url = spec.url.map_or_else(
        || {
            spec.api
                .url_for(t.gw, spec.model.unwrap_or("MODEL"), spec.stream)
        },
        str::to_string,
    );
    let name = probe_name(t.gw, spec.api, spec.stream, spec.model);
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
        anthropic: spec.api.is_anthropic(),
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
            let Judged {
                severity,
                message,
                hint,
                models,
                details,
            } = judge(t, spec, &ex);
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
    if spec.api.is_anthropic() {
        out.check = out.check.detail("auth", spec.auth.header());
    }
    out.check = out.check.took(started.elapsed());
    out
}
