//! Gateway presets: what byok knows about the gateways people run (LiteLLM, OpenRouter,
//! one-api, Ollama, …), as data in `templates/presets.toml` (documented at its top).
//!
//! A preset fills `byok init`'s defaults (URL, per-format bases, auth style, a placeholder
//! key for local servers), names the headers the gateway needs, and records which routes
//! it serves so `setup` can warn before pointing a tool at a route the gateway lacks and
//! doctor can skip probes it would only fail. Pure: nothing here prints or reads files.

use std::sync::OnceLock;

use anyhow::Result;
use serde::Deserialize;

use crate::error::UserError;
use crate::gateway::probe::Api;
use crate::profile::{AnthropicAuth, Profile};

/// The built-in presets file.
pub const PRESETS_TOML: &str = include_str!("../templates/presets.toml");

/// A route a gateway may serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Route {
    /// `GET /v1/models`.
    Models,
    /// `POST /v1/chat/completions`.
    Chat,
    /// `POST /v1/responses`.
    Responses,
    /// `POST /v1/messages` (Anthropic format).
    Messages,
    /// Gemini's `/v1beta/models/{model}:{action}`.
    Gemini,
}

impl Route {
    /// The API doctor probes for this route, if it has one.
    pub fn api(self) -> Option<Api> {
        match self {
            Self::Models => Some(Api::Models),
            Self::Chat => Some(Api::Chat),
            Self::Responses => Some(Api::Responses),
            Self::Messages => Some(Api::Messages),
            Self::Gemini => None,
        }
    }

    /// The spelling in presets.toml.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Models => "models",
            Self::Chat => "chat",
            Self::Responses => "responses",
            Self::Messages => "messages",
            Self::Gemini => "gemini",
        }
    }
}

/// Whether a gateway needs a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyNeed {
    /// Every request needs one.
    Required,
    /// Only when the server was started with one (local servers).
    Optional,
    /// The server ignores it.
    None,
}

/// One preset, as written in presets.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    /// The `--preset` name (the table's key; filled in after parsing).
    #[serde(skip)]
    pub id: String,
    /// Display name.
    pub name: String,
    /// Default gateway URL, when the gateway has one address for everyone.
    #[serde(default)]
    pub url: Option<String>,
    /// The shape of the URL, for messages when there is no default.
    #[serde(default)]
    pub url_hint: Option<String>,
    /// Path after the root for OpenAI-format clients (default `/v1`).
    #[serde(default)]
    pub openai_path: Option<String>,
    /// Path after the root for Anthropic-format clients (default: none).
    #[serde(default)]
    pub anthropic_path: Option<String>,
    /// How Anthropic-format clients send the key.
    #[serde(default)]
    pub anthropic_auth: AnthropicAuth,
    /// The routes the gateway serves.
    pub routes: Vec<Route>,
    /// Whether it needs a key.
    pub key: KeyNeed,
    /// The key stored when none is needed and none is given.
    #[serde(default)]
    pub placeholder_key: Option<String>,
    /// Extra headers the gateway needs (names).
    #[serde(default)]
    pub headers: Vec<String>,
    /// Why byok can't configure this gateway yet.
    #[serde(default)]
    pub unsupported: Option<String>,
    /// One line for the list and for init.
    pub note: String,
    /// The routes as doctor's APIs (derived from `routes`).
    #[serde(skip)]
    pub apis: Vec<Api>,
}

impl Preset {
    /// Whether the gateway serves `route`.
    pub fn serves(&self, route: Route) -> bool {
        self.routes.contains(&route)
    }

    /// The OpenAI-format base override for a gateway at `root`, when not `<root>/v1`.
    pub fn openai_base(&self, root: &str) -> Option<String> {
        match self.openai_path.as_deref() {
            None | Some("/v1") => None,
            Some(p) => Some(format!("{root}{p}")),
        }
    }

    /// The Anthropic-format base override for a gateway at `root`, when not the root.
    pub fn anthropic_base(&self, root: &str) -> Option<String> {
        match self.anthropic_path.as_deref() {
            None | Some("") => None,
            Some(p) => Some(format!("{root}{p}")),
        }
    }

    /// The routes as a comma-separated list.
    pub fn routes_text(&self) -> String {
        let names: Vec<&str> = self.routes.iter().map(|r| r.as_str()).collect();
        names.join(", ")
    }
}

/// Parses a presets file; errors give line and column.
pub fn parse(text: &str) -> std::result::Result<Vec<Preset>, String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for (id, value) in table {
        let mut p: Preset = value
            .try_into()
            .map_err(|e: toml::de::Error| format!("preset `{id}`: {}", e.message()))?;
        if p.url.is_none() && p.url_hint.is_none() {
            return Err(format!("preset `{id}` has neither url nor url_hint"));
        }
        if p.key != KeyNeed::Required && p.placeholder_key.is_none() {
            return Err(format!(
                "preset `{id}` needs no key but names no placeholder_key"
            ));
        }
        p.apis = p.routes.iter().filter_map(|r| r.api()).collect();
        p.id = id;
        out.push(p);
    }
    Ok(out)
}

/// Every built-in preset, in the file's order.
pub fn all() -> &'static [Preset] {
    static ALL: OnceLock<Vec<Preset>> = OnceLock::new();
    // The file is built in and a unit test parses it: a failure is a build bug.
    ALL.get_or_init(|| parse(PRESETS_TOML).expect("templates/presets.toml parses"))
}

/// The preset called `name`, or an error listing the known ones.
pub fn find(name: &str) -> Result<&'static Preset> {
    all().iter().find(|p| p.id == name).ok_or_else(|| {
        let names: Vec<&str> = all().iter().map(|p| p.id.as_str()).collect();
        UserError::new(format!("unknown preset `{name}`"))
            .hint(format!(
                "use one of: {} (`byok init --list-presets` describes them)",
                names.join(", ")
            ))
            .into()
    })
}

/// The routes a profile's preset claims, for doctor to skip the others; `None` when the
/// profile has no (known) preset, so every route is probed as before.
pub fn routes(profile: &Profile) -> Option<&'static [Api]> {
    let id = profile.preset.as_deref()?;
    all().iter().find(|p| p.id == id).map(|p| p.apis.as_slice())
}

/// The path a tool's requests go to, for messages.
fn route_path(api: Api) -> &'static str {
    match api {
        Api::Models => "/v1/models",
        Api::Chat => "/v1/chat/completions",
        Api::Responses => "/v1/responses",
        Api::Messages => "/v1/messages",
        Api::CountTokens => "/v1/messages/count_tokens",
        Api::Gemini => "/v1beta/models/…:generateContent",
    }
}

/// What `setup` should warn about before configuring tool `tool_name` (`tool_id`) that
/// calls `needs` for a profile: routes its preset does not serve, and extra headers the
/// tool can't send (`sends_headers`: setup writes them into its settings). Each entry is
/// one warning line.
pub fn setup_warnings(
    profile: Option<&Profile>,
    (tool_id, tool_name): (&str, &str),
    needs: &[Api],
    sends_headers: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    let Some(p) = profile else { return out };
    let preset = p
        .preset
        .as_deref()
        .and_then(|id| all().iter().find(|x| x.id == id));
    if let Some(preset) = preset {
        let mut missing: Vec<&str> = needs
            .iter()
            .filter(|a| !preset.apis.contains(a))
            .map(|a| route_path(*a))
            .collect();
        // Gemini's routes are not one of doctor's APIs, so the template can't name them.
        if tool_id == "gemini-cli" && !preset.serves(Route::Gemini) {
            missing.push("the Gemini routes (/v1beta/models/…)");
        }
        if !missing.is_empty() {
            out.push(format!(
                "{tool_name} calls {}, which {} does not serve (preset `{}` serves: {}): its requests will fail there",
                missing.join(" and "),
                preset.name,
                preset.id,
                preset.routes_text()
            ));
        }
    }
    if !p.headers.is_empty() && !sends_headers {
        let names: Vec<&str> = p.headers.keys().map(String::as_str).collect();
        out.push(format!(
            "{tool_name} can't be given the profile's extra headers ({}): its requests will go without them",
            names.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_loads_and_is_consistent() {
        let all = all();
        assert!(all.len() >= 11);
        for p in all {
            if let Some(u) = &p.url {
                crate::base_url::BaseUrl::parse(u).unwrap();
            }
            assert!(!p.note.is_empty(), "{}", p.id);
            assert!(!p.routes.is_empty(), "{}", p.id);
        }
        let or = find("openrouter").unwrap();
        assert_eq!(or.url.as_deref(), Some("https://openrouter.ai/api"));
        assert!(find("one-api").unwrap().serves(Route::Chat));
        assert!(!find("one-api").unwrap().serves(Route::Responses));
        assert!(find("azure-openai").unwrap().unsupported.is_some());
        assert!(find("nope").is_err());
    }

    #[test]
    fn overrides_only_when_not_the_default() {
        let cf = find("cloudflare").unwrap();
        assert_eq!(
            cf.openai_base("https://g/v1/a/b").as_deref(),
            Some("https://g/v1/a/b/openai")
        );
        assert_eq!(
            cf.anthropic_base("https://g/v1/a/b").as_deref(),
            Some("https://g/v1/a/b/anthropic")
        );
        let or = find("openrouter").unwrap();
        assert_eq!(or.openai_base("https://openrouter.ai/api"), None);
        assert_eq!(or.anthropic_base("https://openrouter.ai/api"), None);
    }

    #[test]
    fn bad_files_are_refused() {
        assert!(
            parse("[x]\nname = \"X\"\nroutes = []\nkey = \"required\"\nnote = \"n\"\n").is_err()
        );
        assert!(parse("[x]\nname = \"X\"\nurl = \"http://h\"\nroutes = [\"chat\"]\nkey = \"none\"\nnote = \"n\"\n").is_err());
        assert!(parse("[x]\nname = \"X\"\nurl = \"http://h\"\nroutes = [\"fax\"]\nkey = \"required\"\nnote = \"n\"\n").is_err());
    }

    #[test]
    fn setup_warns_for_missing_routes_and_headers() {
        let mut p = Profile {
            base_url: "https://h".into(),
            preset: Some("one-api".into()),
            ..Profile::default()
        };
        let w = setup_warnings(Some(&p), ("codex", "Codex"), &[Api::Responses], true);
        assert_eq!(
            w,
            [
                "Codex calls /v1/responses, which one-api (songquanpeng) does not serve (preset `one-api` serves: models, chat): its requests will fail there"
            ]
        );
        assert!(setup_warnings(Some(&p), ("kilo", "Kilo"), &[Api::Chat], true).is_empty());
        p.headers.insert("x-a".into(), "env:A".into());
        let w = setup_warnings(Some(&p), ("zed", "Zed"), &[Api::Messages], false);
        assert_eq!(w.len(), 2);
        assert_eq!(
            w[1],
            "Zed can't be given the profile's extra headers (x-a): its requests will go without them"
        );
        let w = setup_warnings(
            Some(&p),
            ("claude-code", "Claude Code"),
            &[Api::Messages],
            true,
        );
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(routes(&p), Some(&[Api::Models, Api::Chat][..]));
    }
}
