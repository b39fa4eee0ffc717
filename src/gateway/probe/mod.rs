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
//!
//! Seams: [`config`] (pure checks of the profile), `request` (building and sending each
//! probe), `status` (diagnosing a non-2xx answer or a transport failure), `judge` (body
//! and stream judging of a 2xx), `models` (configured models against `/models`, closest
//! ids), `endpoint` (a tool's own full endpoint URLs), `run` (everything at once).

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::blocking::Client;

use super::net;
use super::report::Check;
use crate::profile::Gateway;
use crate::secret::ApiKey;

pub mod config;
mod endpoint;
mod judge;
mod models;
mod request;
mod run;
mod status;
#[cfg(test)]
mod tests;

pub use config::{KeyInfo, check_key, check_models_config, check_proxy, check_url};
pub use endpoint::ToolRoute;
pub use judge::judge_anthropic_auth;
pub(crate) use models::levenshtein;
pub use models::{ToolModel, closest};
pub use request::{
    probe_chat, probe_count_tokens, probe_gemini, probe_messages, probe_models, probe_name,
    probe_responses,
};
pub use run::run;
pub use status::{Alternate, alternates};

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
    /// Full endpoint URLs set-up tools call (probed where they differ from the routes').
    pub routes: Vec<ToolRoute>,
    /// Models set-up tools name that are not the profile's (checked against `/models`).
    pub models: Vec<ToolModel>,
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
    /// `POST {anthropic_base}/v1/messages/count_tokens` (Claude Code sizes its context with it).
    CountTokens,
    /// `POST {root}/v1beta/models/<model>:generateContent` and `:streamGenerateContent`
    /// (Google's Gemini API, key in `x-goog-api-key`; Gemini CLI speaks only this).
    Gemini,
}

impl Api {
    fn suffix(self) -> &'static str {
        match self {
            Self::Models => "/models",
            Self::Chat => "/chat/completions",
            Self::Messages => "/v1/messages",
            Self::Responses => "/responses",
            Self::CountTokens => "/v1/messages/count_tokens",
            Self::Gemini => "/v1beta/models",
        }
    }

    /// The URL the probe calls (Gemini's: the model list its model paths hang off).
    pub fn url(self, gw: &Gateway) -> String {
        match self {
            Self::Messages | Self::CountTokens => {
                format!("{}{}", gw.anthropic_base, self.suffix())
            }
            Self::Gemini => format!("{}{}", gw.base.root().trim_end_matches('/'), self.suffix()),
            _ => format!("{}{}", gw.openai_base, self.suffix()),
        }
    }

    /// The URL for this model and mode: only Gemini puts them in the path.
    pub fn url_for(self, gw: &Gateway, model: &str, stream: bool) -> String {
        match self {
            Self::Gemini => format!(
                "{}/{model}:{}",
                self.url(gw),
                if stream {
                    "streamGenerateContent?alt=sse"
                } else {
                    "generateContent"
                }
            ),
            _ => self.url(gw),
        }
    }

    /// Whether the route speaks Anthropic's format (`anthropic-version`, the profile's header).
    pub fn is_anthropic(self) -> bool {
        matches!(self, Self::Messages | Self::CountTokens)
    }

    fn format(self) -> &'static str {
        match self {
            Self::Models => "OpenAI models list",
            Self::Chat => "OpenAI chat completions",
            Self::Messages => "Anthropic messages",
            Self::Responses => "OpenAI Responses",
            Self::CountTokens => "Anthropic token counting",
            Self::Gemini => "Gemini generateContent",
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
            (Self::CountTokens, _) => "count_tokens",
            (Self::Gemini, false) => "gemini",
            (Self::Gemini, true) => "gemini_stream",
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
