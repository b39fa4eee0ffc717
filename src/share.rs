//! Profiles that travel: the shared team profile file (`byok profile export|import`) and
//! the `ccswitch://v1/import?…` links that gateways (new-api forks and others) generate.
//!
//! A shared profile never holds a key: it names where each teammate keeps theirs (an
//! environment variable, the OS credential store, a command, or byok's config file), and
//! the importing command asks for what is missing. The file format denies unknown
//! fields, so a file with `api_key = …` is refused rather than silently dropped. A link
//! does carry a key; this module parses it without ever quoting the key in an error.
//! Pure: the commands read, prompt, print and write.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::base_url::{self, BaseUrl};
use crate::keystore::Store;
use crate::profile::{self, AnthropicAuth, Profile};

/// Where a shared profile's key lives on each teammate's machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SharedStore {
    /// byok's config file (each teammate types their key once).
    #[default]
    File,
    /// An environment variable (`key_env`).
    Env,
    /// The OS credential store.
    Keychain,
    /// A command that prints it (`key_command`).
    Command,
}

impl SharedStore {
    /// The keystore this names.
    pub fn store(self) -> Store {
        match self {
            Self::File => Store::File,
            Self::Env => Store::Env,
            Self::Keychain => Store::Keychain,
            Self::Command => Store::Command,
        }
    }
}

/// The shared profile file (`byok profile export`); never a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shared {
    /// The profile name it is imported under (unless `--name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Gateway root URL.
    pub base_url: toml::Spanned<String>,
    /// Separate OpenAI-format base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openai_base_url: Option<toml::Spanned<String>>,
    /// Separate Anthropic-format base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anthropic_base_url: Option<toml::Spanned<String>>,
    /// Default OpenAI-format chat model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<toml::Spanned<String>>,
    /// Model for Anthropic-format clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anthropic_model: Option<toml::Spanned<String>>,
    /// Small/fast model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub small_model: Option<toml::Spanned<String>>,
    /// How Anthropic-style clients send the key.
    #[serde(default)]
    pub anthropic_auth: AnthropicAuth,
    /// The gateway preset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<toml::Spanned<String>>,
    /// Where each teammate keeps the key.
    #[serde(default)]
    pub key_store: SharedStore,
    /// The variable, for `key_store = "env"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_env: Option<toml::Spanned<String>>,
    /// The command, for `key_store = "command"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_command: Option<toml::Spanned<String>>,
    /// Extra headers: references (`env:VAR`) or values that are not credentials.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, toml::Spanned<String>>,
}

/// An exported profile: the file's text and notes about what was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// The TOML text.
    pub text: String,
    /// One line per thing left out (a literal key, a literal credential header).
    pub notes: Vec<String>,
}

fn sp(s: &str) -> toml::Spanned<String> {
    toml::Spanned::new(0..0, s.to_string())
}

fn osp(s: Option<&String>) -> Option<toml::Spanned<String>> {
    s.map(|v| sp(v))
}

/// The shared form of profile `name`: everything but the key.
pub fn export(name: &str, p: &Profile) -> Exported {
    let mut notes = Vec::new();
    let (key_store, key_env, key_command) = if p.api_key_keychain {
        (SharedStore::Keychain, None, None)
    } else if let Some(v) = &p.api_key_env {
        (SharedStore::Env, Some(sp(v)), None)
    } else if let Some(c) = &p.api_key_command {
        (SharedStore::Command, None, Some(sp(c)))
    } else {
        if p.api_key.is_some() {
            notes.push(
                "the key itself is left out: each teammate gives theirs on import (key_store = \"file\")"
                    .to_string(),
            );
        }
        (SharedStore::File, None, None)
    };
    let mut headers = BTreeMap::new();
    for (k, v) in &p.headers {
        if profile::header_env(v).is_some() {
            headers.insert(k.clone(), sp(v));
        } else {
            notes.push(format!(
                "header `{k}` holds a value, not an env:VAR reference: left out; teammates add it with `byok profile import … --header '{k}: …'`"
            ));
        }
    }
    let shared = Shared {
        name: Some(name.to_string()),
        base_url: sp(&p.base_url),
        openai_base_url: osp(p.openai_base_url.as_ref()),
        anthropic_base_url: osp(p.anthropic_base_url.as_ref()),
        model: osp(p.model.as_ref()),
        anthropic_model: osp(p.anthropic_model.as_ref()),
        small_model: osp(p.small_model.as_ref()),
        anthropic_auth: p.anthropic_auth,
        preset: osp(p.preset.as_ref()),
        key_store,
        key_env,
        key_command,
        headers,
    };
    let body = toml::to_string(&shared).unwrap_or_default();
    let text = format!(
        "# byok shared profile: import with `byok profile import FILE`.\n# It holds no key; key_store says where each teammate keeps theirs.\n{body}"
    );
    Exported { text, notes }
}

/// A problem in a shared profile file, at a byte offset when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// Byte offset of the offending value.
    pub at: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl FileError {
    /// `source:line:col: message`, never quoting the line (it may hold a secret).
    pub fn render(&self, source: &str, text: &str) -> String {
        match self.at {
            Some(o) => {
                let (l, c) = profile::line_col(text, o);
                format!("{source}:{l}:{c}: {}", self.message)
            }
            None => format!("{source}: {}", self.message),
        }
    }
}

/// Parses and validates a shared profile file; the result is ready to be saved once
/// the key is known.
pub fn parse(text: &str) -> Result<(Shared, Profile), FileError> {
    let shared: Shared = toml::from_str(text).map_err(|e| FileError {
        at: e.span().map(|s| s.start),
        message: e.message().to_string(),
    })?;
    let at = |s: &toml::Spanned<String>, message: String| FileError {
        at: Some(s.span().start),
        message,
    };
    let root = BaseUrl::parse(shared.base_url.get_ref())
        .map_err(|e| at(&shared.base_url, format!("base_url: {e:#}")))?
        .url;
    let over =
        |v: &Option<toml::Spanned<String>>, key: &str, f: fn(&str) -> anyhow::Result<String>| {
            v.as_ref()
                .map(|s| f(s.get_ref()).map_err(|e| at(s, format!("{key}: {e:#}"))))
                .transpose()
        };
    let openai_base_url = over(
        &shared.openai_base_url,
        "openai_base_url",
        base_url::parse_override,
    )?;
    let anthropic_base_url = over(
        &shared.anthropic_base_url,
        "anthropic_base_url",
        base_url::parse_anthropic_override,
    )?;
    let model = |v: &Option<toml::Spanned<String>>, key: &str| {
        v.as_ref()
            .map(|s| {
                profile::check_model(s.get_ref())
                    .map(str::to_string)
                    .map_err(|why| at(s, format!("{key} {why}")))
            })
            .transpose()
    };
    if let Some(n) = &shared.name {
        profile::validate_name(n).map_err(|e| FileError {
            at: None,
            message: format!("name: {e:#}"),
        })?;
    }
    if let Some(p) = &shared.preset {
        crate::presets::find(p.get_ref())
            .map_err(|_| at(p, format!("preset `{}` is not one byok knows", p.get_ref())))?;
    }
    match (shared.key_store, &shared.key_env, &shared.key_command) {
        (SharedStore::Env, None, _) => {
            return Err(FileError {
                at: None,
                message: "key_store = \"env\" needs key_env = \"VAR\"".into(),
            });
        }
        (SharedStore::Command, _, None) => {
            return Err(FileError {
                at: None,
                message: "key_store = \"command\" needs key_command = \"…\"".into(),
            });
        }
        (s, Some(v), _) if s != SharedStore::Env => {
            return Err(at(v, "key_env goes only with key_store = \"env\"".into()));
        }
        (s, _, Some(c)) if s != SharedStore::Command => {
            return Err(at(
                c,
                "key_command goes only with key_store = \"command\"".into(),
            ));
        }
        _ => {}
    }
    if let Some(v) = &shared.key_env {
        profile::validate_env_name(v.get_ref()).map_err(|e| at(v, format!("key_env: {e:#}")))?;
    }
    if let Some(c) = &shared.key_command {
        crate::keystore::parse_command(c.get_ref())
            .map_err(|e| at(c, format!("key_command: {e:#}")))?;
    }
    let mut headers = BTreeMap::new();
    for (k, v) in &shared.headers {
        let (name, value) = profile::parse_header(&format!("{k}: {}", v.get_ref()))
            .map_err(|e| at(v, format!("headers.{k}: {e:#}")))?;
        if profile::header_env(&value).is_none() && profile::is_secret_header(&name) {
            return Err(at(
                v,
                format!(
                    "headers.{k} holds a credential: a shared profile may only name it as env:VAR"
                ),
            ));
        }
        headers.insert(name, value);
    }
    let p = Profile {
        base_url: root.root().to_string(),
        api_key_env: shared.key_env.as_ref().map(|s| s.get_ref().clone()),
        api_key_command: shared.key_command.as_ref().map(|s| s.get_ref().clone()),
        model: model(&shared.model, "model")?,
        anthropic_model: model(&shared.anthropic_model, "anthropic_model")?,
        small_model: model(&shared.small_model, "small_model")?,
        anthropic_auth: shared.anthropic_auth,
        openai_base_url,
        anthropic_base_url,
        preset: shared.preset.as_ref().map(|s| s.get_ref().clone()),
        headers,
        ..Profile::default()
    };
    Ok((shared, p))
}

/// Longest link byok reads, and longest value in it: real links are a few hundred bytes.
pub const MAX_LINK: usize = 8 * 1024;
/// Longest single value in a link.
pub const MAX_VALUE: usize = 2 * 1024;

/// What a `ccswitch://v1/import?resource=provider&…` link carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// `claude`, `codex` or `gemini`.
    pub app: String,
    /// The provider's name, if any.
    pub name: Option<String>,
    /// The profile it becomes (without the key).
    pub profile: Profile,
    /// The key.
    pub key: String,
}

/// Whether `s` looks like a link rather than a file name (`scheme://…`); the command
/// then reads it as a ccswitch link, which refuses any other scheme.
pub fn is_link(s: &str) -> bool {
    s.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// Parses a `ccswitch://` link. Errors name the parameter, never quote the link or the
/// key; the key is registered as a secret as soon as it is seen.
pub fn parse_link(raw: &str) -> Result<Link, String> {
    if raw.len() > MAX_LINK {
        return Err(format!(
            "the link is {} bytes long; byok reads links up to {} bytes",
            raw.len(),
            MAX_LINK
        ));
    }
    let raw = raw.trim();
    if raw.chars().any(char::is_control) {
        return Err("the link holds a line break or another control character".into());
    }
    let url = url::Url::parse(raw).map_err(|e| format!("the link is not a valid URL ({e})"))?;
    if url.scheme() != "ccswitch" {
        return Err(format!(
            "the link's scheme is `{}`, not ccswitch://",
            url.scheme()
        ));
    }
    if url.host_str() != Some("v1") || url.path() != "/import" {
        return Err("the link is not a ccswitch://v1/import link".into());
    }
    let mut q: BTreeMap<String, String> = BTreeMap::new();
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    // Register the key first, so no later message can show it.
    for (k, v) in &pairs {
        if k == "apiKey" {
            crate::secret::register(v.trim());
        }
    }
    for (k, v) in pairs {
        if v.len() > MAX_VALUE {
            return Err(format!(
                "`{k}` in the link is {} bytes long; byok reads values up to {MAX_VALUE} bytes",
                v.len()
            ));
        }
        if v.chars().any(char::is_control) {
            return Err(format!(
                "`{k}` in the link holds a line break or another control character"
            ));
        }
        if q.insert(k.clone(), v).is_some() {
            return Err(format!("`{k}` appears twice in the link"));
        }
    }
    match q.get("resource").map(String::as_str) {
        Some("provider") => {}
        Some(other) => {
            return Err(format!(
                "the link imports a `{other}`; byok imports only providers (resource=provider)"
            ));
        }
        None => return Err("the link has no `resource`".into()),
    }
    for k in ["config", "configUrl", "configFormat"] {
        if q.contains_key(k) {
            return Err(format!(
                "the link carries `{k}` (a whole tool config); byok imports only endpoint, apiKey and models"
            ));
        }
    }
    let app = match q.get("app").map(String::as_str) {
        Some(a @ ("claude" | "codex" | "gemini")) => a.to_string(),
        Some(other) => {
            return Err(format!(
                "the link is for app `{other}`; byok reads claude, codex and gemini links"
            ));
        }
        None => return Err("the link has no `app`".into()),
    };
    let endpoint = q
        .get("endpoint")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .ok_or("the link has no `endpoint`")?;
    let key = q
        .get("apiKey")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .ok_or("the link has no `apiKey`")?;
    let key = crate::secret::ApiKey::clean(key)
        .map_err(|e| format!("`apiKey` in the link: {e:#}"))?
        .key;
    let lower = endpoint.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err("`endpoint` in the link is not an http(s) URL".into());
    }
    let parsed = BaseUrl::parse(endpoint).map_err(|e| format!("`endpoint` in the link: {e:#}"))?;
    let root = parsed.url.root().to_string();
    let m = |k: &str| -> Result<Option<String>, String> {
        q.get(k)
            .filter(|v| !v.trim().is_empty())
            .map(|v| {
                profile::check_model(v)
                    .map(str::to_string)
                    .map_err(|why| format!("`{k}` in the link {why}"))
            })
            .transpose()
    };
    let mut p = Profile {
        base_url: root.clone(),
        ..Profile::default()
    };
    match app.as_str() {
        "claude" => {
            p.anthropic_model = m("model")?.or(m("sonnetModel")?).or(m("opusModel")?);
            p.small_model = m("haikuModel")?;
        }
        "codex" => {
            // The endpoint is the OpenAI base as Codex uses it; keep a non-/v1 one as given.
            let given = base_url::parse_override(endpoint)
                .map_err(|e| format!("`endpoint` in the link: {e:#}"))?;
            if given != parsed.url.openai() {
                p.openai_base_url = Some(given);
            }
            p.model = m("model")?;
        }
        _ => p.model = m("model")?,
    }
    Ok(Link {
        app,
        name: q.get("name").cloned(),
        profile: p,
        key: key.expose().to_string(),
    })
}

/// A profile name made from a link's provider name: letters, digits, `-`, `_` and `.`.
pub fn name_from(provider: &str) -> String {
    let mut s: String = provider
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    let s: String = s.trim_matches(['-', '.']).chars().take(64).collect();
    if s.is_empty() { "imported".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = "ccswitch://v1/import?resource=provider&app=claude&name=My%20Relay&endpoint=https%3A%2F%2Frelay.example.com&apiKey=sk-link-0123456789&model=claude-sonnet-4-5&haikuModel=claude-haiku-4-5";

    #[test]
    fn a_claude_link_gives_the_anthropic_root_and_models() {
        let l = parse_link(LINK).unwrap();
        assert_eq!(l.app, "claude");
        assert_eq!(l.profile.base_url, "https://relay.example.com");
        assert_eq!(
            l.profile.anthropic_model.as_deref(),
            Some("claude-sonnet-4-5")
        );
        assert_eq!(l.profile.small_model.as_deref(), Some("claude-haiku-4-5"));
        assert_eq!(l.key, "sk-link-0123456789");
        assert_eq!(name_from(l.name.as_deref().unwrap()), "my-relay");
    }

    #[test]
    fn a_codex_link_keeps_its_openai_base() {
        let l = parse_link("ccswitch://v1/import?resource=provider&app=codex&endpoint=https://h.example/openai&apiKey=sk-abcdef123&model=gpt-5").unwrap();
        assert_eq!(l.profile.base_url, "https://h.example/openai");
        assert_eq!(
            l.profile.openai_base_url.as_deref(),
            Some("https://h.example/openai")
        );
        let l = parse_link("ccswitch://v1/import?resource=provider&app=codex&endpoint=https://h.example/v1&apiKey=sk-abcdef123").unwrap();
        assert_eq!(l.profile.base_url, "https://h.example");
        assert_eq!(l.profile.openai_base_url, None);
    }

    #[test]
    fn hostile_links_are_refused_without_the_key() {
        let big = format!("{LINK}&notes={}", "a".repeat(MAX_VALUE + 1));
        let cases = [
            LINK.replace("ccswitch://", "https://"),
            LINK.replace("resource=provider", "resource=mcp"),
            LINK.replace("&endpoint=https%3A%2F%2Frelay.example.com", ""),
            LINK.replace("&apiKey=sk-link-0123456789", ""),
            format!("{LINK}&config=e30%3D&configFormat=json"),
            big,
            LINK.replace("model=claude", "model=cl%0Aaude"),
            LINK.replace("https%3A%2F%2F", "file%3A%2F%2F"),
        ];
        for c in cases {
            let e = parse_link(&c).unwrap_err();
            assert!(!e.contains("sk-link"), "{e}");
        }
    }

    #[test]
    fn export_leaves_out_the_key_and_literal_headers() {
        let mut p = Profile {
            base_url: "https://gw.example.com".into(),
            api_key: Some("sk-secret-000000000".into()),
            model: Some("gpt-4o".into()),
            ..Profile::default()
        };
        p.headers.insert("x-team".into(), "blue".into());
        p.headers
            .insert("cf-aig-authorization".into(), "env:CF".into());
        let e = export("work", &p);
        assert!(!e.text.contains("sk-secret"));
        assert!(!e.text.contains("blue"));
        assert_eq!(e.notes.len(), 2);
        let (s, back) = parse(&e.text).unwrap();
        assert_eq!(s.key_store, SharedStore::File);
        assert_eq!(back.base_url, p.base_url);
        assert_eq!(back.headers.len(), 1);
    }

    #[test]
    fn file_errors_have_positions() {
        let e = parse("base_url = \"https://h\"\napi_key = \"sk-x-1234567\"\n").unwrap_err();
        assert_eq!(
            e.render(
                "t.toml",
                "base_url = \"https://h\"\napi_key = \"sk-x-1234567\"\n"
            )
            .split(": ")
            .next(),
            Some("t.toml:2:1")
        );
        let text = "base_url = \"ftp://h\"\n";
        let e = parse(text).unwrap_err();
        assert!(
            e.render("t.toml", text)
                .starts_with("t.toml:1:12: base_url"),
            "{e:?}"
        );
    }
}
