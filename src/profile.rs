//! Gateway profiles: byok's own `config.toml`, and resolving the active profile into
//! the [`Gateway`] every command works with (flag > `BYOK_*` variable > file).
//!
//! The file is edited with `toml_edit` so a user's comments survive `byok init`, and
//! written atomically with mode 0600 since it may hold keys.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::base_url::{self, BaseUrl};
use crate::env::{self, Env};
use crate::error::UserError;
use crate::fs;
use crate::keystore::Fetched;
use crate::secret::ApiKey;

/// How Anthropic-style clients send the key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum AnthropicAuth {
    /// `Authorization: Bearer` (`ANTHROPIC_AUTH_TOKEN`).
    #[default]
    Bearer,
    /// `x-api-key` (`ANTHROPIC_API_KEY`).
    XApiKey,
}

impl AnthropicAuth {
    /// The style named as config files spell it (`bearer`, `x-api-key`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "bearer" => Some(Self::Bearer),
            "x-api-key" => Some(Self::XApiKey),
            _ => None,
        }
    }

    /// The variable Claude Code and the Anthropic SDKs read for this style.
    pub fn env_var(self) -> &'static str {
        match self {
            Self::Bearer => "ANTHROPIC_AUTH_TOKEN",
            Self::XApiKey => "ANTHROPIC_API_KEY",
        }
    }

    /// The other variable, which must not carry a stale key.
    pub fn other_env_var(self) -> &'static str {
        match self {
            Self::Bearer => "ANTHROPIC_API_KEY",
            Self::XApiKey => "ANTHROPIC_AUTH_TOKEN",
        }
    }

    /// The config-file spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bearer => "bearer",
            Self::XApiKey => "x-api-key",
        }
    }
}

/// One profile as stored in `config.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Gateway root URL (canonical form).
    pub base_url: String,
    /// The key itself (absent when `api_key_env` is used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// Name of an environment variable that holds the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    /// A command that prints the key (`op read op://…`), run without a shell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_command: Option<String>,
    /// The key is in the OS credential store, under service `byok` and the profile's name.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub api_key_keychain: bool,
    /// Default OpenAI-format chat model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Model for Anthropic-format clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anthropic_model: Option<String>,
    /// Small/fast model for background work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub small_model: Option<String>,
    /// How Anthropic-style clients send the key.
    #[serde(default)]
    pub anthropic_auth: AnthropicAuth,
    /// Separate OpenAI-format base, for gateways that serve it elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openai_base_url: Option<String>,
    /// Separate Anthropic-format base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anthropic_base_url: Option<String>,
    /// The gateway preset the profile was made from (`byok init --preset`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// Extra headers byok's own requests send: name → value, where a value is
    /// `env:VAR` (read when needed) or the value itself.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

/// The parsed `config.toml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConfigFile {
    /// Name of the default profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Profiles by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// Where the key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// Stored in the profile (or given by `BYOK_API_KEY`).
    Literal(ApiKey),
    /// Read from an environment variable at use; `value` is its current content.
    Env {
        /// The variable's name.
        var: String,
        /// Its value in byok's environment, if set.
        value: Option<ApiKey>,
    },
    /// In the OS credential store or printed by a command; read on first use.
    Fetched(Fetched),
}

impl KeySource {
    /// The environment variable a tool can be pointed at, when the key lives in one.
    pub fn env_var(&self) -> Option<&str> {
        match self {
            Self::Env { var, .. } => Some(var),
            _ => None,
        }
    }
}

/// A resolved profile: everything a command needs to talk to or configure for the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    /// Profile name.
    pub name: String,
    /// Canonical root.
    pub base: BaseUrl,
    /// What OpenAI-style clients get (`<root>/v1` unless overridden).
    pub openai_base: String,
    /// What Anthropic-style clients get (the root unless overridden; never ends in `/v1`).
    pub anthropic_base: String,
    /// The key.
    pub key: KeySource,
    /// OpenAI-format chat model.
    pub model: Option<String>,
    /// Anthropic-format model.
    pub anthropic_model: Option<String>,
    /// Small/fast model.
    pub small_model: Option<String>,
    /// Anthropic auth style.
    pub anthropic_auth: AnthropicAuth,
    /// Extra headers the gateway needs, as the profile stores them: name → the value
    /// itself or `env:VAR` (see [`header_env`]).
    pub headers: BTreeMap<String, String>,
}

impl Gateway {
    /// The key, when known.
    pub fn api_key(&self) -> Option<&ApiKey> {
        match &self.key {
            KeySource::Literal(k) => Some(k),
            KeySource::Env { value, .. } => value.as_ref(),
            KeySource::Fetched(f) => f.get().ok(),
        }
    }

    /// The key if it is known without reading a credential store or running a command.
    pub fn known_key(&self) -> Option<&ApiKey> {
        match &self.key {
            KeySource::Fetched(f) => f.cached(),
            _ => self.api_key(),
        }
    }

    /// The key or an error that says how to provide it.
    pub fn require_key(&self) -> Result<&ApiKey> {
        self.api_key().ok_or_else(|| match &self.key {
            KeySource::Env { var, .. } => UserError::new(format!(
                "profile `{}` reads its key from ${var}, which is not set",
                self.name
            ))
            .hint(format!(
                "export {var}=… in this shell, or run `byok init --name {} --key …`",
                self.name
            ))
            .into(),
            KeySource::Literal(_) => UserError::new("no API key").into(),
            KeySource::Fetched(f) => match f.get() {
                Err(e) => e.clone().into(),
                Ok(_) => UserError::new("no API key").into(),
            },
        })
    }

    /// The Anthropic model, falling back to the chat model.
    pub fn anthropic_model_or_default(&self) -> Option<&str> {
        self.anthropic_model.as_deref().or(self.model.as_deref())
    }
}

/// The path of byok's config file.
pub fn config_path(env: &Env) -> PathBuf {
    env.config_dir.join("config.toml")
}

/// Reads `config.toml`; a missing file is an empty config.
pub fn load(env: &Env) -> Result<ConfigFile> {
    let path = config_path(env);
    let Some(text) = fs::read_optional(&path)? else {
        return Ok(ConfigFile::default());
    };
    parse(&text).map_err(|e| {
        UserError::new(format!("could not parse {}: {e}", env.tilde(&path)))
            .hint("fix that line by hand (byok never overwrites a file it cannot read), or move the file aside and run `byok init`")
            .into()
    })
}

/// Parses config text; errors give line and column but never quote the line (it may hold a key).
pub fn parse(text: &str) -> std::result::Result<ConfigFile, String> {
    toml::from_str::<ConfigFile>(text).map_err(|e| {
        let at = e.span().map(|s| line_col(text, s.start));
        match at {
            Some((l, c)) => format!("line {l}, column {c}: {}", e.message()),
            None => e.message().to_string(),
        }
    })
}

/// The 1-based line and column of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// How [`save_profile`] treats what it finds in the file when it saves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaveOptions {
    /// Replace a profile of the same name (else saving it is an error).
    pub replace: bool,
    /// Make it the default; when false it still becomes the default if it is the first.
    pub make_default: bool,
}

/// Saves one profile, keeping the rest of the file; returns whether it is now the default.
///
/// The existence and default checks run on the file as it is under the lock, not on an
/// earlier read, so a concurrent `byok init` of the same name is never silently replaced.
pub fn save_profile(env: &Env, name: &str, profile: &Profile, opts: SaveOptions) -> Result<bool> {
    let mut is_default = false;
    edit_config(env, |doc| {
        let table = profile_table(profile);
        let stored = doc.get("profiles").and_then(toml_edit::Item::as_table_like);
        let exists = stored.is_some_and(|p| p.contains_key(name));
        let first = stored.is_none_or(|p| p.is_empty());
        if exists && !opts.replace {
            return Err(UserError::new(format!("profile `{name}` already exists"))
                .hint("pass --yes to replace it, or --name to create another")
                .into());
        }
        is_default = opts.make_default || first;
        if !doc.contains_key("profiles") {
            let mut t = toml_edit::Table::new();
            t.set_implicit(true);
            doc.insert("profiles", toml_edit::Item::Table(t));
        }
        let profiles = doc["profiles"]
            .as_table_mut()
            .context("`profiles` in config.toml is not a table")?;
        match profiles
            .get_mut(name)
            .and_then(toml_edit::Item::as_table_mut)
        {
            // Replace values in place so comments around the table survive.
            Some(existing) => {
                let stale: Vec<String> = existing
                    .iter()
                    .map(|(k, _)| k.to_string())
                    .filter(|k| !table.contains_key(k))
                    .collect();
                for k in stale {
                    existing.remove(&k);
                }
                for (k, v) in table.iter() {
                    match existing.get_mut(k).and_then(toml_edit::Item::as_value_mut) {
                        Some(old) => {
                            let decor = old.decor().clone();
                            if let Some(new) = v.as_value() {
                                *old = new.clone();
                                *old.decor_mut() = decor;
                            }
                        }
                        None => {
                            existing.insert(k, v.clone());
                        }
                    }
                }
            }
            None => {
                profiles.insert(name, toml_edit::Item::Table(table));
            }
        }
        if is_default {
            put_default(doc, name);
        }
        Ok(())
    })?;
    Ok(is_default)
}

/// Removes a profile; clears `default` if it named it.
pub fn remove_profile(env: &Env, name: &str) -> Result<()> {
    edit_config(env, |doc| {
        if let Some(p) = doc
            .get_mut("profiles")
            .and_then(toml_edit::Item::as_table_mut)
        {
            p.remove(name);
        }
        if doc.get("default").and_then(toml_edit::Item::as_str) == Some(name) {
            doc.remove("default");
        }
        Ok(())
    })
}

/// Makes `name` the default profile.
pub fn set_default(env: &Env, name: &str) -> Result<()> {
    edit_config(env, |doc| {
        put_default(doc, name);
        Ok(())
    })
}

/// Sets `default = "name"`, keeping the comments around an existing `default` line
/// (the file's header sits in that key's decor, and `insert` would drop it).
fn put_default(doc: &mut toml_edit::DocumentMut, name: &str) {
    match doc
        .get_mut("default")
        .and_then(toml_edit::Item::as_value_mut)
    {
        Some(old) => {
            let decor = old.decor().clone();
            *old = toml_edit::Value::from(name);
            *old.decor_mut() = decor;
        }
        None => {
            doc.insert("default", toml_edit::value(name));
        }
    }
}

/// Applies one command's change to `config.toml`: lock, re-read, change, atomic write.
///
/// The lock is taken before reading so that concurrent commands (ten `byok init`s
/// started by a provisioning script) each apply their change to the other's result
/// instead of writing back a stale copy; issue 8 saw 8 of 10 profiles lost that way.
fn edit_config(env: &Env, f: impl FnOnce(&mut toml_edit::DocumentMut) -> Result<()>) -> Result<()> {
    let _lock = fs::Lock::acquire(env)?;
    let path = config_path(env);
    let text = fs::read_optional(&path)?;
    // Validate with the same parser that `load` uses, so a bad file is never overwritten.
    if let Some(t) = &text {
        parse(t).map_err(|e| {
            UserError::new(format!("could not parse {}: {e}", env.tilde(&path)))
                .hint("fix the file by hand; byok did not change it")
        })?;
    }
    let mut doc: toml_edit::DocumentMut = match &text {
        Some(t) => t.parse().context("config.toml parsed once but not twice")?,
        None => toml_edit::DocumentMut::new(),
    };
    f(&mut doc)?;
    let after = match &text {
        None => format!("{HEADER}{doc}"),
        Some(before) => keep_leading_comments(before, &doc.to_string()),
    };
    fs::write_atomic(&path, after.as_bytes(), fs::Mode::Secret)
}

/// `after`, with the comment block that opened `before` put back if the edit dropped it.
///
/// `toml_edit` keeps a file's opening comments in the decor of its first item, so they
/// vanish with that item (removing the default profile removes `default = …` and the
/// header above it). Comments are the user's edits too.
fn keep_leading_comments(before: &str, after: &str) -> String {
    let mut lead_len = 0;
    for line in before.split_inclusive('\n') {
        let t = line.trim();
        if !(t.is_empty() || t.starts_with('#')) {
            break;
        }
        lead_len += line.len();
    }
    let lead = &before[..lead_len];
    if !lead.contains('#') || after.starts_with(lead.trim_end()) {
        return after.to_string();
    }
    let rest = after.trim_start_matches(['\n', '\r']);
    let eol = if before.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    if rest.is_empty() {
        return format!("{}{eol}", lead.trim_end());
    }
    let sep = if rest.starts_with('[') { eol } else { "" };
    format!("{}{eol}{sep}{rest}", lead.trim_end())
}

const HEADER: &str = "# byok gateway profiles, managed by byok (`byok init`, `byok profile`).\n# Comments you add here are kept.\n";

fn profile_table(p: &Profile) -> toml_edit::Table {
    let mut t = toml_edit::Table::new();
    let put = |t: &mut toml_edit::Table, k: &str, v: Option<&str>| {
        if let Some(v) = v {
            t.insert(k, toml_edit::value(v));
        }
    };
    put(&mut t, "base_url", Some(&p.base_url));
    put(&mut t, "api_key", p.api_key.as_deref());
    put(&mut t, "api_key_env", p.api_key_env.as_deref());
    put(&mut t, "api_key_command", p.api_key_command.as_deref());
    if p.api_key_keychain {
        t.insert("api_key_keychain", toml_edit::value(true));
    }
    put(&mut t, "model", p.model.as_deref());
    put(&mut t, "anthropic_model", p.anthropic_model.as_deref());
    put(&mut t, "small_model", p.small_model.as_deref());
    put(&mut t, "anthropic_auth", Some(p.anthropic_auth.as_str()));
    put(&mut t, "openai_base_url", p.openai_base_url.as_deref());
    put(
        &mut t,
        "anthropic_base_url",
        p.anthropic_base_url.as_deref(),
    );
    put(&mut t, "preset", p.preset.as_deref());
    if !p.headers.is_empty() {
        let mut h = toml_edit::InlineTable::new();
        for (k, v) in &p.headers {
            h.insert(k, v.as_str().into());
        }
        t.insert("headers", toml_edit::value(h));
    }
    t
}

/// Prefix of a header value that names an environment variable to read it from.
pub const HEADER_ENV_PREFIX: &str = "env:";

/// Parses `--header 'Name: value'` into a name and a value (`env:VAR` or the value itself).
pub fn parse_header(arg: &str) -> Result<(String, String)> {
    let bad = |why: &str| -> anyhow::Error {
        UserError::new(format!("--header {why}"))
            .hint(
                "write it as 'Name: value', e.g. --header 'cf-aig-authorization: env:CF_AIG_TOKEN'",
            )
            .into()
    };
    let Some((name, value)) = arg.split_once(':') else {
        return Err(bad("needs a `:` between the name and the value"));
    };
    let (name, value) = (name.trim(), value.trim());
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err(bad(
            "has an invalid header name (letters, digits and `-` only)",
        ));
    }
    if value.is_empty() {
        return Err(bad(&format!("`{name}` has an empty value")));
    }
    if value.chars().any(char::is_control) {
        return Err(bad(&format!(
            "`{name}` has a line break or another control character in its value"
        )));
    }
    if let Some(var) = value.strip_prefix(HEADER_ENV_PREFIX) {
        validate_env_name(var)?;
    }
    Ok((name.to_ascii_lowercase(), value.to_string()))
}

/// True for a header whose value is a credential (masked in everything byok prints).
pub fn is_secret_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["auth", "key", "token", "secret", "cookie", "password"]
        .iter()
        .any(|w| n.contains(w))
}

/// The environment variable a header value refers to, if it is a reference.
pub fn header_env(value: &str) -> Option<&str> {
    value.strip_prefix(HEADER_ENV_PREFIX)
}

/// A header value as `profile show` prints it: references as written, credentials masked.
pub fn header_shown(name: &str, value: &str) -> String {
    if header_env(value).is_some() || !is_secret_header(name) {
        value.to_string()
    } else {
        crate::secret::mask(value)
    }
}

/// The headers byok's own requests send for a profile, with references read from `env`;
/// credential values are registered so every message masks them.
pub fn request_headers(env: &Env, profile: Option<&Profile>) -> Result<Vec<(String, String)>> {
    let Some(p) = profile else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (name, value) in &p.headers {
        let actual = match header_env(value) {
            Some(var) => env.var(var).map(str::to_string).ok_or_else(|| {
                UserError::new(format!("header `{name}` reads ${var}, which is not set"))
                    .hint(format!("export {var}=… in this shell"))
            })?,
            None => value.clone(),
        };
        if is_secret_header(name) {
            crate::secret::register(&actual);
        }
        out.push((name.clone(), actual));
    }
    Ok(out)
}

/// Checks a profile name: it appears in file names and shell comments.
pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(UserError::new(format!("invalid profile name `{name}`"))
            .hint("use letters, digits, `-`, `_` and `.` (up to 64 characters)")
            .into())
    }
}

/// Checks an environment variable name given with `--key-env`.
pub fn validate_env_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(
            UserError::new(format!("`{name}` is not a valid environment variable name"))
                .hint(
                    "use letters, digits and `_`, not starting with a digit (e.g. GATEWAY_API_KEY)",
                )
                .into(),
        )
    }
}

/// Checks a model id wherever it comes from: not empty or blank (an empty id becomes
/// `model = ""` and `byok/` ids in tools' settings) and no control characters.
/// Returns the id without surrounding whitespace, or why it is unusable.
pub fn check_model(value: &str) -> std::result::Result<&str, &'static str> {
    let id = value.trim();
    if id.is_empty() {
        Err("is empty")
    } else if id.chars().any(char::is_control) {
        Err("holds a line break or another control character")
    } else {
        Ok(id)
    }
}

/// [`check_model`] for a command-line flag (or variable) named `source`, as a usage error.
pub fn model_arg(source: &str, value: &str) -> Result<String> {
    check_model(value).map(str::to_string).map_err(|why| {
        UserError::new(format!("{source} {why}: it must name a model the gateway serves"))
            .hint(format!(
                "pass a model id, e.g. {source} gpt-4o (`byok init --check` lists the gateway's models), or leave {source} out"
            ))
            .into()
    })
}

/// Which profile name is active: flag, then `BYOK_PROFILE`, then the default, then the only one.
pub fn active_name(env: &Env, cfg: &ConfigFile, flag: Option<&str>) -> Option<String> {
    flag.map(str::to_string)
        .or_else(|| env.var(env::BYOK_PROFILE).map(str::to_string))
        .or_else(|| cfg.default.clone())
        .or_else(|| {
            (cfg.profiles.len() == 1)
                .then(|| cfg.profiles.keys().next().cloned())
                .flatten()
        })
}

/// The variables that override a stored profile's values for one shell (or one run).
pub const OVERRIDES: &[&str] = &[env::BYOK_BASE_URL, env::BYOK_API_KEY, env::BYOK_MODEL];

/// Resolves the active profile with `BYOK_*` overrides applied.
pub fn resolve(env: &Env, cfg: &ConfigFile, flag: Option<&str>) -> Result<Gateway> {
    resolve_with(env, cfg, flag, true)
}

/// Resolves the active profile as stored, ignoring the [`OVERRIDES`] (for `profile show`).
pub fn resolve_stored(env: &Env, cfg: &ConfigFile, flag: Option<&str>) -> Result<Gateway> {
    resolve_with(env, cfg, flag, false)
}

fn resolve_with(
    env: &Env,
    cfg: &ConfigFile,
    flag: Option<&str>,
    overrides: bool,
) -> Result<Gateway> {
    // With overrides off, the snapshot simply lacks them.
    let var = |k: &str| {
        if !overrides && OVERRIDES.contains(&k) {
            None
        } else {
            env.var(k)
        }
    };
    let name = active_name(env, cfg, flag);
    let stored = match &name {
        Some(n) => match cfg.profiles.get(n) {
            Some(p) => Some(p.clone()),
            None if var(env::BYOK_BASE_URL).is_some() && flag.is_none() => None,
            None => {
                let known: Vec<&str> = cfg.profiles.keys().map(String::as_str).collect();
                let hint = if known.is_empty() {
                    "run `byok init` to create one".to_string()
                } else {
                    format!(
                        "known profiles: {}; see `byok profile list`",
                        known.join(", ")
                    )
                };
                return Err(UserError::new(format!("no profile named `{n}`"))
                    .hint(hint)
                    .into());
            }
        },
        None => None,
    };
    let mut p = match stored {
        Some(p) => p,
        None if var(env::BYOK_BASE_URL).is_some() => Profile::default(),
        None => {
            return Err(UserError::new(format!(
                "no gateway profile yet ({} does not exist or has none)",
                env.tilde(&config_path(env))
            ))
            .hint("run `byok init` to create one")
            .into());
        }
    };
    let name = name.unwrap_or_else(|| "env".to_string());
    if let Some(u) = var(env::BYOK_BASE_URL) {
        p.base_url = u.to_string();
    }
    if let Some(m) = var(env::BYOK_MODEL) {
        p.model = Some(model_arg(env::BYOK_MODEL, m)?);
    }
    let key = match var(env::BYOK_API_KEY) {
        Some(k) => KeySource::Literal(ApiKey::clean(k)?.key),
        None => match (&p.api_key, &p.api_key_env) {
            _ if p.api_key_keychain => KeySource::Fetched(Fetched::keychain(env, &name)),
            (None, None) if p.api_key_command.is_some() => KeySource::Fetched(Fetched::command(
                p.api_key_command.as_deref().unwrap_or_default(),
            )),
            (Some(k), _) => KeySource::Literal(ApiKey::new(k.clone())),
            (None, Some(var)) => KeySource::Env {
                // A hand-edited name is printed into shell code by `byok env`: check it.
                var: {
                    validate_env_name(var).map_err(|e| {
                        UserError::new(format!("profile `{name}`: api_key_env {e}"))
                            .hint("edit config.toml, or run `byok init` again with --key-env")
                    })?;
                    var.clone()
                },
                value: env
                    .var(var)
                    .and_then(|v| ApiKey::clean(v).ok())
                    .map(|c| c.key),
            },
            (None, None) => {
                return Err(UserError::new(format!(
                    "profile `{name}` has no key: none of api_key, api_key_env, api_key_command, api_key_keychain"
                ))
                .hint(format!(
                    "run `byok init --name {name}` again with --key or --key-env"
                ))
                .into());
            }
        },
    };
    from_profile(name, &p, key)
}

/// Builds a [`Gateway`] from a stored profile.
pub fn from_profile(name: String, p: &Profile, key: KeySource) -> Result<Gateway> {
    let base = BaseUrl::parse(&p.base_url)
        .map_err(|e| UserError::new(format!("profile `{name}` has an invalid base_url: {e:#}")))?
        .url;
    let openai_base = match &p.openai_base_url {
        Some(u) => base_url::parse_override(u).map_err(|e| {
            UserError::new(format!(
                "profile `{name}` has an invalid openai_base_url: {e:#}"
            ))
        })?,
        None => base.openai(),
    };
    let anthropic_base = match &p.anthropic_base_url {
        Some(u) => base_url::parse_anthropic_override(u).map_err(|e| {
            UserError::new(format!(
                "profile `{name}` has an invalid anthropic_base_url: {e:#}"
            ))
        })?,
        None => base.root().to_string(),
    };
    let stored_model = |key: &str, value: &Option<String>| -> Result<Option<String>> {
        let Some(v) = value else { return Ok(None) };
        match check_model(v) {
            Ok(id) => Ok(Some(id.to_string())),
            Err(why) => Err(UserError::new(format!("`{key}` in profile `{name}` {why}"))
                .hint(format!(
                    "run `byok init --name {name} --yes …` with --{}, or delete that line from config.toml",
                    key.replace('_', "-")
                ))
                .into()),
        }
    };
    let model = stored_model("model", &p.model)?;
    let anthropic_model = stored_model("anthropic_model", &p.anthropic_model)?;
    let small_model = stored_model("small_model", &p.small_model)?;
    Ok(Gateway {
        name,
        base,
        openai_base,
        anthropic_base,
        key,
        model,
        anthropic_model,
        small_model,
        anthropic_auth: p.anthropic_auth,
        headers: p.headers.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        let vars = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Env::from_vars(
            vars,
            env::Os::Linux,
            PathBuf::from("/cwd"),
            Some("/h".into()),
        )
    }

    fn cfg(text: &str) -> ConfigFile {
        parse(text).unwrap()
    }

    const TWO: &str = r#"
default = "work"
[profiles.work]
base_url = "https://gw.example.com"
api_key = "sk-work-0123456789"
model = "gpt-4o"
[profiles.home]
base_url = "https://openrouter.ai/api"
api_key_env = "OR_KEY"
anthropic_auth = "x-api-key"
openai_base_url = "https://openrouter.ai/api/v1"
"#;

    #[test]
    fn auth_names_are_the_config_spellings() {
        for auth in <AnthropicAuth as clap::ValueEnum>::value_variants() {
            let name = serde_json::to_value(auth).unwrap();
            assert_eq!(
                AnthropicAuth::from_name(name.as_str().unwrap()),
                Some(*auth)
            );
        }
        assert_eq!(AnthropicAuth::from_name("Bearer"), None);
    }

    #[test]
    fn precedence_flag_env_default() {
        let c = cfg(TWO);
        assert_eq!(resolve(&env(&[]), &c, None).unwrap().name, "work");
        assert_eq!(
            resolve(&env(&[("BYOK_PROFILE", "home")]), &c, None)
                .unwrap()
                .name,
            "home"
        );
        assert_eq!(
            resolve(&env(&[("BYOK_PROFILE", "home")]), &c, Some("work"))
                .unwrap()
                .name,
            "work"
        );
    }

    #[test]
    fn env_overrides_values() {
        let e = env(&[
            ("BYOK_BASE_URL", "http://127.0.0.1:9/v1"),
            ("BYOK_API_KEY", " sk-env-99999999 "),
            ("BYOK_MODEL", "m2"),
        ]);
        let g = resolve(&e, &cfg(TWO), None).unwrap();
        assert_eq!(g.openai_base, "http://127.0.0.1:9/v1");
        assert_eq!(g.anthropic_base, "http://127.0.0.1:9");
        assert_eq!(g.api_key().unwrap().expose(), "sk-env-99999999");
        assert_eq!(g.model.as_deref(), Some("m2"));
        // With no config at all, BYOK_BASE_URL + BYOK_API_KEY make an ad-hoc profile.
        let g = resolve(&e, &ConfigFile::default(), None).unwrap();
        assert_eq!(g.name, "env");
    }

    #[test]
    fn key_from_env_var() {
        let c = cfg(TWO);
        let g = resolve(&env(&[("OR_KEY", "sk-or-123456789")]), &c, Some("home")).unwrap();
        assert_eq!(
            g.key,
            KeySource::Env {
                var: "OR_KEY".into(),
                value: Some(ApiKey::new("sk-or-123456789"))
            }
        );
        assert_eq!(g.openai_base, "https://openrouter.ai/api/v1");
        assert_eq!(g.anthropic_base, "https://openrouter.ai/api");
        assert_eq!(g.anthropic_auth, AnthropicAuth::XApiKey);
        let unset = resolve(&env(&[]), &c, Some("home")).unwrap();
        assert!(
            unset
                .require_key()
                .unwrap_err()
                .to_string()
                .contains("$OR_KEY")
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let e = resolve(&env(&[]), &ConfigFile::default(), None).unwrap_err();
        assert!(e.to_string().contains("no gateway profile yet"));
        let e = resolve(&env(&[]), &cfg(TWO), Some("nope")).unwrap_err();
        let u = e.downcast_ref::<UserError>().unwrap();
        assert_eq!(
            u.hint.as_deref(),
            Some("known profiles: home, work; see `byok profile list`")
        );
    }

    #[test]
    fn parse_errors_give_position_without_quoting() {
        let err = parse("[profiles.a]\nbase_url = \"x\"\napi_key = sk-secret-value\n").unwrap_err();
        assert!(err.starts_with("line 3, column 11"), "{err}");
        assert!(!err.contains("sk-secret"), "{err}");
    }

    #[test]
    fn leading_comments_are_put_back() {
        let before = "# mine\n\ndefault = \"a\"\n\n[profiles.a]\nx = 1\n";
        assert_eq!(
            keep_leading_comments(before, "\n[profiles.a]\nx = 1\n"),
            "# mine\n\n[profiles.a]\nx = 1\n"
        );
        assert_eq!(keep_leading_comments(before, ""), "# mine\n");
        assert_eq!(
            keep_leading_comments(before, "default = \"b\"\n"),
            "# mine\ndefault = \"b\"\n"
        );
        // Still there, or nothing to keep: unchanged.
        assert_eq!(keep_leading_comments(before, before), before);
        assert_eq!(keep_leading_comments("a = 1\n", "b = 2\n"), "b = 2\n");
        assert_eq!(
            keep_leading_comments("# w\r\na = 1\r\n", "[t]\r\n"),
            "# w\r\n\r\n[t]\r\n"
        );
    }

    #[test]
    fn names() {
        assert!(validate_name("work-2.eu_1").is_ok());
        for bad in ["", ".x", "a b", "a\nb", "a/b", "ü"] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
        assert!(validate_env_name("GW_KEY_2").is_ok());
        for bad in ["2X", "A-B", "", "A B", "$X"] {
            assert!(validate_env_name(bad).is_err(), "{bad:?}");
        }
    }
}
