//! Cline: the `saoudrizwan.claude-dev` extension in any VS Code-family host, the same
//! agent's JetBrains plugin, and the `cline` CLI (npm package `cline`).
//!
//! Since extension 3.66.0 (commit 6ed3944f, "Export global, workspace and secrets from
//! VSCode to share with CLI") every Cline client keeps its settings in plain JSON files
//! below one directory, the same on Linux, macOS and Windows because it is relative to
//! the home directory (`os.homedir()`: `$HOME`, on Windows `%USERPROFILE%`):
//!
//! - `$CLINE_DIR` (default `~/.cline`), `$CLINE_DATA_DIR` (default `$CLINE_DIR/data`);
//! - `<data>/globalState.json`: flat key → value; byok owns `actModeApiProvider`,
//!   `planModeApiProvider` (`"openai"`, Cline's id for "OpenAI Compatible"),
//!   `openAiBaseUrl` (the gateway's `/v1` base), `actModeOpenAiModelId`,
//!   `planModeOpenAiModelId`;
//! - `<data>/secrets.json` (mode 0600): byok owns `openAiApiKey`;
//! - `$CLINE_PROVIDER_SETTINGS_PATH` (default `<data>/settings/providers.json`, mode 0600),
//!   read by the CLI: byok owns `providers["openai-compatible"]` (`settings.provider`,
//!   `apiKey`, `model`, `baseUrl`, plus `updatedAt` and `tokenSource: "manual"`) and
//!   `lastUsedProvider`, and adds `version: 1` and `modes: {}` when missing. Cline
//!   validates the whole file (`StoredProviderSettingsSchema`) and treats a file that
//!   fails as empty, overwriting it with its own default later; so `updatedAt` must be an
//!   ISO-8601 UTC time (`z.string().datetime()`), which byok changes only when its entry
//!   changes.
//!
//! `remove` puts back the values the user had before setup (kept in the drift record:
//! another provider, their own OpenAI-compatible gateway and key), and deletes only files
//! byok created.
//!
//! The extension reads the provider from `globalState.json`/`secrets.json` and falls back
//! to `providers.json` only when no provider is set there; the CLI reads `providers.json`
//! (importing the other two only for providers it does not have yet), so byok writes
//! all three. The extension ignores `CLINE_PROVIDER_SETTINGS_PATH` (it always uses
//! `<data>/settings/providers.json`); byok follows the CLI there. Every edit keeps the
//! rest of each file as it was: other providers, other secrets, task history.
//!
//! Extensions before 3.66 keep their settings in the editor's encrypted storage, which
//! no other program can write: for those byok prints the steps to enter the values by
//! hand. Nothing watches these files (values are cached in memory), so the editor and any
//! running CLI must be restarted to pick the change up.
//!
//! Sources: github.com/cline/cline at 21cb8d25 (2026-08-22, extension 4.1.13, CLI 3.0.56):
//! `sdk/packages/shared/src/storage/paths.ts`, `apps/vscode/src/shared/storage/
//! {storage-context,state-keys,ClineFileStorage}.ts`, `apps/vscode/src/sdk/
//! {cline-session-factory,provider-migration}.ts`, `sdk/packages/core/src/types/
//! provider-settings.ts`, `sdk/packages/core/src/services/storage/
//! {provider-settings-manager,provider-settings-legacy-migration}.ts`,
//! `apps/cli/src/commands/auth.ts`, `.clinerules/storage.md`; the 3.66.0 release
//! (`package.json` at 7fa0a492) holds 6ed3944f. Docs: docs.cline.bot.
//!
//! Verified against the Cline CLI 3.0.65 (npm `cline`), 2026-11-27, in a fresh home
//! holding only what `byok setup cline --yes` wrote, against a loopback stub:
//! `cline "Say hi in one word."` (a one-word prompt such as `hi` is rejected as an
//! unknown command) sent `POST /v1/chat/completions` with `Authorization: Bearer <key>`,
//! `"model": "<model>"`, `"stream": true` and `stream_options`, printed the streamed
//! answer and exited 0; `byok setup cline` then said "up to date". Each run re-saves
//! byok's `providers.json` entry with a new `updatedAt` (nothing else changes). An
//! `updatedAt` of 1970-01-01T00:00:00.000Z is accepted. With `updatedAt` missing, Cline
//! discarded the file and re-imported the provider from `globalState.json` +
//! `secrets.json` (`tokenSource: "migration"`, plus `settings/models.json`), so the
//! three files back each other up; `providers.json`'s `baseUrl` wins over `models.json`.
//! The CLI leaves a background `cline --cline-hub-daemon` running. The extension itself
//! was checked against its source only.

use crate::gateway::probe::Api;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::{Value, json};

use super::KeyMode;
use super::vscode::{self, HOSTS, InstalledExtension};
use super::{Current, Detection, Finding, Inputs, SetupOptions, Severity, Tool, ToolId};
use crate::config_edit::{self, ParseError, jsonc};
use crate::env::Env;
use crate::error::UserError;
use crate::plan::{Change, Plan};
use crate::profile::Gateway;
use crate::secret::ApiKey;

/// The extension's marketplace id.
pub const EXTENSION_ID: &str = "saoudrizwan.claude-dev";
/// The first extension version that keeps its settings in `~/.cline/data`.
pub const FILE_STORAGE_SINCE: &str = "3.66.0";
/// The CLI's program name.
const BINARY: &str = "cline";
/// Cline's (legacy) provider id for "OpenAI Compatible" in `globalState.json`.
const PROVIDER: &str = "openai";
/// The same provider's id in `providers.json`.
const SDK_PROVIDER: &str = "openai-compatible";
/// `updatedAt` when no clock was given: any valid UTC time is accepted.
const EPOCH: &str = "1970-01-01T00:00:00.000Z";

/// The `globalState.json` keys byok owns that hold the provider id.
const PROVIDER_KEYS: [&str; 2] = ["actModeApiProvider", "planModeApiProvider"];
/// The other `globalState.json` keys byok owns.
const VALUE_KEYS: [&str; 3] = [
    "openAiBaseUrl",
    "actModeOpenAiModelId",
    "planModeOpenAiModelId",
];
/// The fields of byok's `providers.json` entry's `settings` that it sets.
const ENTRY_FIELDS: [&str; 4] = ["provider", "model", "baseUrl", "apiKey"];
/// The `secrets.json` key byok owns.
const SECRET_KEY: &str = "openAiApiKey";

/// Cline (extension and CLI).
pub struct Cline;

/// Where Cline keeps its files, after `CLINE_DIR`, `CLINE_DATA_DIR` and
/// `CLINE_PROVIDER_SETTINGS_PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// `$CLINE_DIR` or `~/.cline`.
    pub dir: PathBuf,
    /// `$CLINE_DATA_DIR` or `<dir>/data`.
    pub data: PathBuf,
    /// `<data>/globalState.json`.
    pub global_state: PathBuf,
    /// `<data>/secrets.json`.
    pub secrets: PathBuf,
    /// `$CLINE_PROVIDER_SETTINGS_PATH` or `<data>/settings/providers.json`.
    pub providers: PathBuf,
}

impl Paths {
    /// Resolves the paths the way Cline does (`sdk/packages/shared/src/storage/paths.ts`).
    pub fn new(env: &Env) -> Self {
        let dir = env
            .path_var("CLINE_DIR")
            .unwrap_or_else(|| env.home.join(".cline"));
        let data = env
            .path_var("CLINE_DATA_DIR")
            .unwrap_or_else(|| dir.join("data"));
        let providers = env
            .path_var("CLINE_PROVIDER_SETTINGS_PATH")
            .unwrap_or_else(|| data.join("settings").join("providers.json"));
        Self {
            global_state: data.join("globalState.json"),
            secrets: data.join("secrets.json"),
            providers,
            dir,
            data,
        }
    }
}

/// The extension in every host (or only `host`), newest version per host.
fn extensions(env: &Env, cur: &Current, host: Option<&str>) -> Vec<InstalledExtension> {
    HOSTS
        .iter()
        .filter(|h| host.is_none_or(|id| h.id.eq_ignore_ascii_case(id)))
        .filter_map(|h| {
            let dir = h.extensions_dir(env);
            vscode::find_extension(h, &dir, cur.entries(&dir), EXTENSION_ID)
        })
        .collect()
}

/// True when this extension version reads `~/.cline/data`.
fn uses_files(ext: &InstalledExtension) -> bool {
    vscode::version_at_least(&ext.version, FILE_STORAGE_SINCE)
}

fn parse_error(env: &Env, path: &Path) -> impl Fn(ParseError) -> anyhow::Error {
    move |e| config_edit::unparsable(env, path, &e)
}

/// Parses a state file; missing or blank is an empty object.
fn parse(env: &Env, path: &Path, text: Option<&str>) -> Result<Value> {
    let value = jsonc::parse(text.unwrap_or("")).map_err(parse_error(env, path))?;
    Ok(value.unwrap_or_else(|| json!({})))
}

/// A change for `path` when the text differs.
fn change(
    path: &Path,
    before: Option<&str>,
    after: Option<String>,
    secret: bool,
) -> Option<Change> {
    (before.map(str::to_string) != after)
        .then(|| Change::file(path, before.map(str::to_string), after, secret))
}

/// The chat model, which Cline needs.
fn require_model(gw: &Gateway) -> Result<&str> {
    gw.model.as_deref().ok_or_else(|| {
        UserError::new(format!(
            "profile `{}` has no model, and Cline needs one",
            gw.name
        ))
        .hint(format!(
            "run `byok init --name {} --model <id>` (or set BYOK_MODEL) and try again",
            gw.name
        ))
        .into()
    })
}

/// `globalState.json` with byok's values set.
fn set_global_state(text: &str, gw: &Gateway, model: &str) -> Result<String, ParseError> {
    let mut out = text.to_string();
    for key in PROVIDER_KEYS {
        out = jsonc::set(&out, &[key], &json!(PROVIDER))?;
    }
    out = jsonc::set(&out, &["openAiBaseUrl"], &json!(gw.openai_base))?;
    for key in ["actModeOpenAiModelId", "planModeOpenAiModelId"] {
        out = jsonc::set(&out, &[key], &json!(model))?;
    }
    Ok(out)
}

/// `providers.json` with byok's provider entry set and selected.
fn set_providers(
    env: &Env,
    path: &Path,
    text: &str,
    gw: &Gateway,
    key: &ApiKey,
    model: &str,
    now: &str,
) -> Result<String> {
    let err = parse_error(env, path);
    let doc = parse(env, path, Some(text))?;
    let mut out = text.to_string();
    match doc.get("version") {
        None => out = jsonc::set(&out, &["version"], &json!(1)).map_err(&err)?,
        Some(v) if v == &json!(1) => {}
        Some(v) => {
            return Err(UserError::new(format!(
                "{} has version {v}, which byok does not know",
                env.tilde(path)
            ))
            .hint(format!(
                "byok left it untouched; configure the CLI with `cline auth -p {SDK_PROVIDER} -k <key> -m {model} -b {}`",
                gw.openai_base
            ))
            .into());
        }
    }
    out = jsonc::set(&out, &["lastUsedProvider"], &json!(SDK_PROVIDER)).map_err(&err)?;
    if doc.get("modes").is_none() {
        out = jsonc::set(&out, &["modes"], &json!({})).map_err(&err)?;
    }
    let entry = ["providers", SDK_PROVIDER];
    let settings = json!({
        "provider": SDK_PROVIDER,
        "apiKey": key.expose(),
        "model": model,
        "baseUrl": gw.openai_base,
    });
    let existing = doc.pointer(&format!("/providers/{SDK_PROVIDER}"));
    let Some(Value::Object(existing)) = existing else {
        let value = json!({
            "settings": settings,
            "updatedAt": timestamp(now),
            "tokenSource": "manual",
        });
        return jsonc::set(&out, &entry, &value).map_err(&err);
    };
    let before = out.clone();
    for (field, value) in settings.as_object().into_iter().flatten() {
        out = jsonc::set(&out, &[entry[0], entry[1], "settings", field], value).map_err(&err)?;
    }
    out = jsonc::set(&out, &[entry[0], entry[1], "tokenSource"], &json!("manual")).map_err(&err)?;
    let stamp_ok = existing
        .get("updatedAt")
        .and_then(Value::as_str)
        .is_some_and(is_datetime);
    if out != before || !stamp_ok {
        out = jsonc::set(
            &out,
            &[entry[0], entry[1], "updatedAt"],
            &json!(timestamp(now)),
        )
        .map_err(&err)?;
    }
    Ok(out)
}

/// The time to stamp: the engine's clock in the form Cline accepts, or [`EPOCH`].
fn timestamp(now: &str) -> String {
    let now = now.trim();
    let now = match now.strip_suffix("+00:00") {
        Some(rest) => format!("{rest}Z"),
        None => now.to_string(),
    };
    if is_datetime(&now) {
        now
    } else {
        EPOCH.to_string()
    }
}

/// True for what Cline's `z.string().datetime()` accepts: `YYYY-MM-DDTHH:MM[:SS[.f+]]Z`.
fn is_datetime(s: &str) -> bool {
    fn num(s: &str, max: u32) -> bool {
        s.len() == 2
            && s.bytes().all(|b| b.is_ascii_digit())
            && s.parse::<u32>().is_ok_and(|n| n <= max)
    }
    let Some(s) = s.strip_suffix('Z') else {
        return false;
    };
    let Some((date, time)) = s.split_once('T') else {
        return false;
    };
    let d: Vec<&str> = date.split('-').collect();
    let date_ok = d.len() == 3
        && d[0].len() == 4
        && d[0].bytes().all(|b| b.is_ascii_digit())
        && num(d[1], 12)
        && d[1] != "00"
        && num(d[2], 31)
        && d[2] != "00";
    let (hms, frac) = match time.split_once('.') {
        Some((hms, frac)) => (hms, Some(frac)),
        None => (time, None),
    };
    let t: Vec<&str> = hms.split(':').collect();
    let time_ok = match t.as_slice() {
        [h, m] => frac.is_none() && num(h, 23) && num(m, 59),
        [h, m, sec] => num(h, 23) && num(m, 59) && num(sec, 59),
        _ => false,
    };
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    date_ok && time_ok && frac_ok
}

/// The key as shown in manual steps.
fn shown_key(key: &ApiKey, opts: &SetupOptions) -> String {
    if opts.show_key {
        key.expose().to_string()
    } else {
        key.masked()
    }
}

/// The steps that configure an extension that keeps its settings in the editor.
fn manual_step(ext: &InstalledExtension, gw: &Gateway, key: &str, model: &str) -> String {
    format!(
        "In {}, open Cline's settings (the gear icon in the Cline panel) and set API Provider \
         \"OpenAI Compatible\", Base URL {}, API Key {key}, Model ID {model}; then click Done",
        ext.host.name, gw.openai_base
    )
}

/// Who must restart to read the files.
fn restart_step(modern: &[InstalledExtension]) -> String {
    let hosts: Vec<&str> = modern.iter().map(|e| e.host.name).collect();
    let editors = if hosts.is_empty() {
        "your editor (if Cline runs in one)".to_string()
    } else {
        hosts.join(", ")
    };
    format!("Restart {editors} and any running `cline` CLI: Cline reads these files only at start")
}

/// The other secrets of `secrets.json` and `providers.json` (the user's own keys and
/// tokens): diffs show neighbouring lines, so they are masked too.
fn user_secrets(doc: &Value, all: bool, out: &mut Vec<String>) {
    fn walk(v: &Value, all: bool, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    let named = crate::secret::is_secret_name(k);
                    match v {
                        Value::String(s) if all || named => {
                            out.push(s.clone());
                            // Account blobs are JSON kept in a string: their tokens too.
                            if let Ok(inner) = serde_json::from_str::<Value>(s) {
                                walk(&inner, false, out);
                            }
                        }
                        _ => walk(v, all, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, all, out)),
            _ => {}
        }
    }
    walk(doc, all, out);
}

/// The owned value at `key` of a parsed file, as text.
fn text_of(v: Option<&Value>) -> Option<String> {
    v.map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// A secret's fingerprint, so drift detection never holds the key.
fn fingerprint(v: Option<&Value>) -> Option<String> {
    text_of(v).map(|s| format!("sha256:{}", crate::fs::sha256_hex(s.as_bytes())))
}

/// The user's value of a top-level key from before setup, recorded under its label.
fn prior(env: &Env, cur: &Current, path: &Path, key: &str) -> Option<Value> {
    cur.prior_json(&format!("{} {key}", env.tilde(path)))
}

/// Writes back the user's earlier value of a top-level key, or removes the key.
fn put_back_or_remove(text: &str, key: &str, prior: Option<Value>) -> Result<String, ParseError> {
    match prior {
        Some(v) => jsonc::set(text, &[key], &v),
        None => remove_key(text, key),
    }
}

/// Removes a top-level key (a missing one leaves the text as it is).
fn remove_key(text: &str, key: &str) -> Result<String, ParseError> {
    jsonc::remove(text, &[key], false)
}

/// `None` (delete the file) when a state file byok created is left as an empty object;
/// a file the user had stays.
fn drop_if_empty(
    cur: &Current,
    path: &Path,
    text: String,
    empty: impl Fn(&Value) -> bool,
) -> Option<String> {
    if !cur.may_delete(path) {
        return Some(text);
    }
    match jsonc::parse(&text) {
        Ok(Some(v)) if empty(&v) => None,
        _ => Some(text),
    }
}

impl Tool for Cline {
    fn id(&self) -> ToolId {
        ToolId::Cline
    }

    fn name(&self) -> &'static str {
        "Cline"
    }

    fn inputs(&self, env: &Env) -> Inputs {
        let p = Paths::new(env);
        let mut dirs = vec![p.dir.clone()];
        dirs.extend(HOSTS.iter().map(|h| h.extensions_dir(env)));
        Inputs {
            files: vec![p.global_state, p.secrets, p.providers],
            dirs,
            binaries: vec![BINARY],
            ..Inputs::default()
        }
    }

    fn detect(&self, env: &Env, cur: &Current) -> Detection {
        let p = Paths::new(env);
        let mut evidence = Vec::new();
        if let Some(bin) = cur.binaries.get(BINARY) {
            evidence.push(bin.describe(env));
        }
        if cur.exists(&p.dir) {
            evidence.push(format!("directory {}", env.tilde(&p.dir)));
        }
        for ext in extensions(env, cur, None) {
            let storage = if uses_files(&ext) {
                ""
            } else {
                " (settings in the editor's storage: update to 3.66+ for automatic setup)"
            };
            evidence.push(format!(
                "extension {} in {}{storage}",
                ext.version, ext.host.name
            ));
        }
        Detection {
            installed: !evidence.is_empty(),
            evidence,
            config_files: vec![p.global_state, p.secrets, p.providers],
        }
    }

    fn plan(&self, env: &Env, gw: &Gateway, opts: &SetupOptions, cur: &Current) -> Result<Plan> {
        let p = Paths::new(env);
        let key = gw.require_key()?;
        let model = require_model(gw)?;
        let (modern, old): (Vec<_>, Vec<_>) = extensions(env, cur, opts.host.as_deref())
            .into_iter()
            .partition(uses_files);
        let mut plan = Plan::default();
        for ext in &old {
            plan.manual_steps
                .push(manual_step(ext, gw, &shown_key(key, opts), model));
            plan.notes.push(format!(
                "Cline {} in {} keeps its settings in the editor's encrypted storage, which byok \
                 cannot write; updating Cline to {FILE_STORAGE_SINCE} or later enables automatic setup",
                ext.version, ext.host.name
            ));
        }
        if !old.is_empty() && modern.is_empty() && !cur.binaries.contains_key(BINARY) {
            plan.manual_only = true;
            return Ok(plan);
        }
        if opts.key_mode == KeyMode::Helper {
            plan.notes.push(format!(
                "Cline cannot run a command for its key; byok writes the key itself into {} and {} (mode 0600)",
                env.tilde(&p.secrets),
                env.tilde(&p.providers)
            ));
        }

        let gs_before = cur.file(&p.global_state);
        parse(env, &p.global_state, gs_before)?;
        let gs_after = set_global_state(gs_before.unwrap_or(""), gw, model)
            .map_err(parse_error(env, &p.global_state))?;

        let sec_before = cur.file(&p.secrets);
        parse(env, &p.secrets, sec_before)?;
        let sec_after = jsonc::set(
            sec_before.unwrap_or(""),
            &[SECRET_KEY],
            &json!(key.expose()),
        )
        .map_err(parse_error(env, &p.secrets))?;

        let prov_before = cur.file(&p.providers);
        parse(env, &p.providers, prov_before)?;
        let prov_after = set_providers(
            env,
            &p.providers,
            prov_before.unwrap_or(""),
            gw,
            key,
            model,
            &opts.now,
        )?;

        plan.changes.extend(
            [
                change(&p.global_state, gs_before, Some(gs_after), false),
                change(&p.secrets, sec_before, Some(sec_after), true),
                change(&p.providers, prov_before, Some(prov_after), true),
            ]
            .into_iter()
            .flatten(),
        );
        if !plan.changes.is_empty() {
            plan.manual_steps.push(restart_step(&modern));
        }
        Ok(plan)
    }

    fn remove(&self, env: &Env, opts: &SetupOptions, cur: &Current) -> Result<Plan> {
        let p = Paths::new(env);
        let mut plan = Plan::default();

        if let Some(before) = cur.file(&p.global_state) {
            let doc = parse(env, &p.global_state, Some(before))?;
            let err = parse_error(env, &p.global_state);
            let mut out = before.to_string();
            for key in PROVIDER_KEYS {
                // Only while it still holds byok's value: another provider is the user's.
                let ours = doc
                    .get(key)
                    .and_then(Value::as_str)
                    .is_some_and(|v| v == PROVIDER || v == SDK_PROVIDER);
                if ours {
                    out = put_back_or_remove(&out, key, prior(env, cur, &p.global_state, key))
                        .map_err(&err)?;
                }
            }
            for key in VALUE_KEYS {
                out = put_back_or_remove(&out, key, prior(env, cur, &p.global_state, key))
                    .map_err(&err)?;
            }
            let after = drop_if_empty(cur, &p.global_state, out, |v| {
                v.as_object().is_some_and(|m| m.is_empty())
            });
            plan.changes
                .extend(change(&p.global_state, Some(before), after, false));
        }

        if let Some(before) = cur.file(&p.secrets) {
            parse(env, &p.secrets, Some(before))?;
            let out =
                put_back_or_remove(before, SECRET_KEY, prior(env, cur, &p.secrets, SECRET_KEY))
                    .map_err(parse_error(env, &p.secrets))?;
            let after = drop_if_empty(cur, &p.secrets, out, |v| {
                v.as_object().is_some_and(|m| m.is_empty())
            });
            plan.changes
                .extend(change(&p.secrets, Some(before), after, true));
        }

        if let Some(before) = cur.file(&p.providers) {
            let doc = parse(env, &p.providers, Some(before))?;
            let err = parse_error(env, &p.providers);
            // `providers` itself is required by Cline's schema: never prune it.
            // A provider entry the user had gets its settings back; byok's own goes.
            let entry = |field: &str| format!("providers.{SDK_PROVIDER}.settings.{field}");
            let priors: Vec<(&str, Option<Value>)> = ENTRY_FIELDS
                .iter()
                .map(|f| (*f, prior(env, cur, &p.providers, &entry(f))))
                .collect();
            let mut out = if priors.iter().all(|(_, v)| v.is_none()) {
                jsonc::remove(before, &["providers", SDK_PROVIDER], false).map_err(&err)?
            } else {
                let mut out = before.to_string();
                for (field, v) in priors {
                    let path = ["providers", SDK_PROVIDER, "settings", field];
                    out = match v {
                        Some(v) => jsonc::set(&out, &path, &v),
                        None => jsonc::remove(&out, &path, false),
                    }
                    .map_err(&err)?;
                }
                out
            };
            if doc.get("lastUsedProvider").and_then(Value::as_str) == Some(SDK_PROVIDER) {
                let last = prior(env, cur, &p.providers, "lastUsedProvider");
                out = put_back_or_remove(&out, "lastUsedProvider", last).map_err(&err)?;
            }
            // What is left of a file byok created: nothing Cline would miss.
            let after = drop_if_empty(cur, &p.providers, out, |v| {
                let Some(m) = v.as_object() else {
                    return false;
                };
                m.iter().all(|(k, v)| match k.as_str() {
                    "version" => v == &json!(1),
                    "modes" | "providers" => v.as_object().is_some_and(|o| o.is_empty()),
                    _ => false,
                })
            });
            plan.changes
                .extend(change(&p.providers, Some(before), after, true));
        }

        if !plan.changes.is_empty() {
            let modern: Vec<_> = extensions(env, cur, opts.host.as_deref())
                .into_iter()
                .filter(uses_files)
                .collect();
            plan.manual_steps.push(restart_step(&modern));
        }
        Ok(plan)
    }

    fn restorable(&self, env: &Env, cur: &Current) -> Vec<(String, Option<String>)> {
        let p = Paths::new(env);
        // JSON text (the key itself for the secret: owned.json is 0600), so `remove`
        // writes back exactly what the user had.
        let top = |path: &Path, key: &str| {
            let doc = cur
                .file(path)
                .and_then(|t| jsonc::parse(t).ok().flatten())
                .unwrap_or(Value::Null);
            (
                format!("{} {key}", env.tilde(path)),
                doc.get(key).map(Value::to_string),
            )
        };
        let mut out: Vec<(String, Option<String>)> = PROVIDER_KEYS
            .iter()
            .chain(VALUE_KEYS.iter())
            .map(|k| top(&p.global_state, k))
            .collect();
        out.push(top(&p.secrets, SECRET_KEY));
        out.push(top(&p.providers, "lastUsedProvider"));
        let prov = cur
            .file(&p.providers)
            .and_then(|t| jsonc::parse(t).ok().flatten())
            .unwrap_or(Value::Null);
        let settings = prov.pointer(&format!("/providers/{SDK_PROVIDER}/settings"));
        for field in ENTRY_FIELDS {
            out.push((
                format!(
                    "{} providers.{SDK_PROVIDER}.settings.{field}",
                    env.tilde(&p.providers)
                ),
                settings.and_then(|s| s.get(field)).map(Value::to_string),
            ));
        }
        out
    }

    fn secrets(&self, env: &Env, cur: &Current) -> Vec<String> {
        let p = Paths::new(env);
        let mut out = Vec::new();
        for (path, all) in [(&p.secrets, true), (&p.providers, false)] {
            if let Some(Ok(Some(doc))) = cur.file(path).map(jsonc::parse) {
                user_secrets(&doc, all, &mut out);
            }
        }
        out
    }

    fn owned(&self, env: &Env, cur: &Current) -> Vec<(String, Option<String>)> {
        let p = Paths::new(env);
        let doc = |path: &Path| {
            cur.file(path)
                .and_then(|t| jsonc::parse(t).ok().flatten())
                .unwrap_or(Value::Null)
        };
        let label = |path: &Path, key: &str| format!("{} {key}", env.tilde(path));
        let gs = doc(&p.global_state);
        let mut out: Vec<(String, Option<String>)> = PROVIDER_KEYS
            .iter()
            .chain(VALUE_KEYS.iter())
            .map(|k| (label(&p.global_state, k), text_of(gs.get(*k))))
            .collect();
        let sec = doc(&p.secrets);
        out.push((
            label(&p.secrets, SECRET_KEY),
            fingerprint(sec.get(SECRET_KEY)),
        ));
        let prov = doc(&p.providers);
        out.push((
            label(&p.providers, "lastUsedProvider"),
            text_of(prov.get("lastUsedProvider")),
        ));
        let settings = prov.pointer(&format!("/providers/{SDK_PROVIDER}/settings"));
        for field in ["provider", "model", "baseUrl"] {
            out.push((
                label(
                    &p.providers,
                    &format!("providers.{SDK_PROVIDER}.settings.{field}"),
                ),
                text_of(settings.and_then(|s| s.get(field))),
            ));
        }
        out.push((
            label(
                &p.providers,
                &format!("providers.{SDK_PROVIDER}.settings.apiKey"),
            ),
            fingerprint(settings.and_then(|s| s.get("apiKey"))),
        ));
        out
    }

    fn endpoints(&self, _gw: &Gateway) -> Vec<Api> {
        vec![Api::Chat]
    }

    fn diagnose(&self, env: &Env, gw: &Gateway, cur: &Current) -> Vec<Finding> {
        let p = Paths::new(env);
        let exts = extensions(env, cur, None);
        let mut out = Vec::new();
        for ext in exts.iter().filter(|e| !uses_files(e)) {
            out.push(Finding {
                severity: Severity::Fail,
                message: format!(
                    "Cline {} in {} keeps its settings in the editor's encrypted storage, which byok cannot write",
                    ext.version, ext.host.name
                ),
                hint: Some(format!(
                    "update Cline to {FILE_STORAGE_SINCE} or later and run `byok setup cline`, or enter the values by hand (`byok setup cline` prints them)"
                )),
            });
        }
        let uses_state = exts.iter().any(uses_files) || cur.exists(&p.dir);
        let uses_providers = cur.binaries.contains_key(BINARY) || cur.exists(&p.providers);
        if !uses_state && !uses_providers {
            return out;
        }
        let fix = || Some("run `byok setup cline`".to_string());
        // A missing file reads as empty; one that does not parse is a finding of its own.
        let load = |path: &Path, out: &mut Vec<Finding>| match jsonc::parse(
            cur.file(path).unwrap_or(""),
        ) {
            Ok(v) => Some(v.unwrap_or_else(|| json!({}))),
            Err(e) => {
                out.push(Finding {
                    severity: Severity::Fail,
                    message: format!(
                        "{} does not parse ({e}); Cline reads it as empty",
                        env.tilde(path)
                    ),
                    hint: Some("fix or move the file aside, then run `byok setup cline`".into()),
                });
                None
            }
        };

        if uses_state {
            if let Some(gs) = load(&p.global_state, &mut out) {
                for key in PROVIDER_KEYS {
                    let v = gs.get(key).and_then(Value::as_str);
                    if v != Some(PROVIDER) && v != Some(SDK_PROVIDER) {
                        out.push(Finding {
                            severity: Severity::Fail,
                            message: format!(
                                "{key} in {} is {}, not the gateway's \"openai\"",
                                env.tilde(&p.global_state),
                                v.map_or("unset".to_string(), |v| format!("\"{v}\""))
                            ),
                            hint: fix(),
                        });
                    }
                }
                if gs.get("openAiBaseUrl").and_then(Value::as_str) != Some(&gw.openai_base) {
                    out.push(Finding {
                        severity: Severity::Fail,
                        message: format!(
                            "openAiBaseUrl in {} does not point at {}",
                            env.tilde(&p.global_state),
                            gw.openai_base
                        ),
                        hint: fix(),
                    });
                }
            }
            if let Some(sec) = load(&p.secrets, &mut out) {
                let message = match (sec.get(SECRET_KEY).and_then(Value::as_str), gw.api_key()) {
                    (None, _) => Some(format!("{} has no {SECRET_KEY}", env.tilde(&p.secrets))),
                    (Some(have), Some(want)) if have != want.expose() => Some(format!(
                        "{SECRET_KEY} in {} is not the profile's key",
                        env.tilde(&p.secrets)
                    )),
                    _ => None,
                };
                out.extend(message.map(|message| Finding {
                    severity: Severity::Fail,
                    message,
                    hint: fix(),
                }));
            }
        }

        if uses_providers && let Some(prov) = load(&p.providers, &mut out) {
            out.extend(providers_findings(env, &p.providers, &prov, gw));
        }
        out
    }
}

/// What is wrong with a parsed `providers.json` for the gateway.
fn providers_findings(env: &Env, path: &Path, doc: &Value, gw: &Gateway) -> Vec<Finding> {
    let file = env.tilde(path);
    let mut out = Vec::new();
    let invalid = schema_problems(doc);
    if !invalid.is_empty() {
        out.push(Finding {
            severity: Severity::Fail,
            message: format!(
                "{file} does not match Cline's format ({}); Cline reads it as empty and overwrites it",
                invalid.join("; ")
            ),
            hint: Some("fix those fields by hand or move the file aside, then run `byok setup cline`".into()),
        });
    }
    let fix = || Some("run `byok setup cline`".to_string());
    let last = doc.get("lastUsedProvider").and_then(Value::as_str);
    if last != Some(SDK_PROVIDER) {
        out.push(Finding {
            severity: Severity::Warn,
            message: format!(
                "the Cline CLI uses {} (lastUsedProvider in {file}), not the gateway",
                last.map_or("no provider".to_string(), |l| format!("\"{l}\""))
            ),
            hint: fix(),
        });
    }
    let base = doc
        .pointer(&format!("/providers/{SDK_PROVIDER}/settings/baseUrl"))
        .and_then(Value::as_str);
    if base != Some(&gw.openai_base) {
        out.push(Finding {
            severity: Severity::Fail,
            message: format!(
                "the {SDK_PROVIDER} provider in {file} does not point at {}",
                gw.openai_base
            ),
            hint: fix(),
        });
    }
    out
}

/// The fields of `providers.json` that fail Cline's `StoredProviderSettingsSchema`.
fn schema_problems(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if doc.as_object().is_some_and(|m| m.is_empty()) {
        return out;
    }
    if doc.get("version") != Some(&json!(1)) {
        out.push("`version` must be 1".to_string());
    }
    if let Some(last) = doc.get("lastUsedProvider")
        && last.as_str().is_none_or(str::is_empty)
    {
        out.push("`lastUsedProvider` must be a provider id".to_string());
    }
    let Some(providers) = doc.get("providers").and_then(Value::as_object) else {
        out.push("`providers` is missing".to_string());
        return out;
    };
    for (id, entry) in providers {
        let settings = entry.get("settings");
        if !settings
            .and_then(|s| s.get("provider"))
            .is_some_and(Value::is_string)
        {
            out.push(format!("`providers.{id}.settings.provider` is missing"));
        }
        if !entry
            .get("updatedAt")
            .and_then(Value::as_str)
            .is_some_and(is_datetime)
        {
            out.push(format!(
                "`providers.{id}.updatedAt` must be an ISO-8601 UTC time"
            ));
        }
        if let Some(src) = entry.get("tokenSource")
            && !matches!(src.as_str(), Some("manual" | "oauth" | "migration"))
        {
            out.push(format!(
                "`providers.{id}.tokenSource` is not manual, oauth or migration"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::base_url::BaseUrl;
    use crate::env::Os;
    use crate::profile::{AnthropicAuth, KeySource};
    use crate::tools::Binary;

    const KEY: &str = "sk-gw-0123456789abcdef";
    const NOW: &str = "2026-11-27T08:00:00.000Z";

    fn env(extra: &[(&str, &str)]) -> Env {
        let mut vars = BTreeMap::new();
        vars.insert("HOME".to_string(), "/home/u".to_string());
        for (k, v) in extra {
            vars.insert(k.to_string(), v.to_string());
        }
        Env::from_vars(vars, Os::Linux, PathBuf::from("/work"), None)
    }

    fn gw() -> Gateway {
        let base = BaseUrl::parse("https://gw.example").unwrap().url;
        Gateway {
            name: "default".into(),
            openai_base: base.openai(),
            anthropic_base: base.root().to_string(),
            base,
            key: KeySource::Literal(ApiKey::new(KEY)),
            model: Some("gw-model".into()),
            anthropic_model: None,
            small_model: None,
            anthropic_auth: AnthropicAuth::Bearer,
        }
    }

    fn opts() -> SetupOptions {
        SetupOptions {
            now: NOW.into(),
            ..SetupOptions::default()
        }
    }

    /// A `Current` holding a fixture case's files at their place below `/home/u`.
    fn fixture(case: &str) -> Current {
        let e = env(&[]);
        let p = Paths::new(&e);
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/cline")
            .join(case)
            .join("home/.cline/data");
        let mut cur = Current::default();
        for (path, rel) in [
            (&p.global_state, "globalState.json"),
            (&p.secrets, "secrets.json"),
            (&p.providers, "settings/providers.json"),
        ] {
            cur.files
                .insert(path.clone(), std::fs::read_to_string(dir.join(rel)).ok());
        }
        cur.dirs.insert(p.dir.clone(), Some(vec!["data".into()]));
        cur
    }

    /// Applies a plan to a `Current`, as the engine would.
    fn applied(cur: &Current, plan: &Plan) -> Current {
        let mut next = cur.clone();
        for c in &plan.changes {
            next.files.insert(c.path.clone(), c.after.clone());
        }
        next
    }

    fn after(plan: &Plan, path: &Path) -> Option<String> {
        plan.changes
            .iter()
            .find(|c| c.path == path)
            .unwrap_or_else(|| panic!("no change for {}", path.display()))
            .after
            .clone()
    }

    fn read(case: &str, dir: &str, rel: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/cline")
            .join(case)
            .join(dir)
            .join(rel);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn with_extensions(mut cur: Current, e: &Env, hosts: &[(&str, &str)]) -> Current {
        for (host, folder) in hosts {
            let dir = vscode::Host::by_id(host).unwrap().extensions_dir(e);
            cur.dirs
                .entry(dir)
                .or_insert_with(|| Some(Vec::new()))
                .as_mut()
                .unwrap()
                .push(folder.to_string());
        }
        cur
    }

    #[test]
    fn paths_follow_cline_variables_on_every_os() {
        // (os, variables, Cline dir, globalState.json, providers.json)
        type Case = (
            Os,
            &'static [(&'static str, &'static str)],
            &'static str,
            &'static str,
            &'static str,
        );
        let cases: &[Case] = &[
            (
                Os::Linux,
                &[("HOME", "/home/u")],
                "/home/u/.cline",
                "/home/u/.cline/data/globalState.json",
                "/home/u/.cline/data/settings/providers.json",
            ),
            (
                Os::Macos,
                &[("HOME", "/Users/u")],
                "/Users/u/.cline",
                "/Users/u/.cline/data/globalState.json",
                "/Users/u/.cline/data/settings/providers.json",
            ),
            (
                Os::Windows,
                &[
                    ("USERPROFILE", "/C/Users/u"),
                    ("APPDATA", "/C/Users/u/AppData/Roaming"),
                ],
                "/C/Users/u/.cline",
                "/C/Users/u/.cline/data/globalState.json",
                "/C/Users/u/.cline/data/settings/providers.json",
            ),
            (
                Os::Linux,
                &[("HOME", "/home/u"), ("CLINE_DIR", "/opt/cline")],
                "/opt/cline",
                "/opt/cline/data/globalState.json",
                "/opt/cline/data/settings/providers.json",
            ),
            (
                Os::Linux,
                &[
                    ("HOME", "/home/u"),
                    ("CLINE_DIR", "/opt/cline"),
                    ("CLINE_DATA_DIR", "~/cd"),
                ],
                "/opt/cline",
                "/home/u/cd/globalState.json",
                "/home/u/cd/settings/providers.json",
            ),
            (
                Os::Linux,
                &[
                    ("HOME", "/home/u"),
                    ("CLINE_PROVIDER_SETTINGS_PATH", "p.json"),
                ],
                "/home/u/.cline",
                "/home/u/.cline/data/globalState.json",
                "/work/p.json",
            ),
        ];
        for (os, vars, dir, gs, prov) in cases {
            let vars = vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let e = Env::from_vars(vars, *os, PathBuf::from("/work"), None);
            let p = Paths::new(&e);
            assert_eq!(
                p.dir,
                PathBuf::from(dir),
                "{os:?} {vars:?}",
                vars = e.vars()
            );
            assert_eq!(p.global_state, PathBuf::from(gs));
            assert_eq!(p.secrets, PathBuf::from(gs).with_file_name("secrets.json"));
            assert_eq!(p.providers, PathBuf::from(prov));
        }
    }

    #[test]
    fn setup_merges_into_existing_state_exactly() {
        let e = env(&[]);
        let p = Paths::new(&e);
        for case in ["existing", "elsewhere", "empty"] {
            let cur = fixture(case);
            let plan = Cline.plan(&e, &gw(), &opts(), &cur).unwrap();
            assert_eq!(plan.changes.len(), 3, "{case}");
            for (path, rel, secret) in [
                (&p.global_state, "globalState.json", false),
                (&p.secrets, "secrets.json", true),
                (&p.providers, "settings/providers.json", true),
            ] {
                assert_eq!(
                    after(&plan, path).as_deref(),
                    Some(read(case, "expected", rel).as_str()),
                    "{case} {rel}"
                );
                let c = plan.changes.iter().find(|c| &c.path == path).unwrap();
                assert_eq!(c.secret, secret, "{case} {rel}");
            }
            assert_eq!(
                plan.manual_steps,
                [
                    "Restart your editor (if Cline runs in one) and any running `cline` CLI: Cline reads these files only at start"
                ]
            );
            // A second run, even at a later time, changes nothing.
            let later = SetupOptions {
                now: "2027-01-01T00:00:00.000Z".into(),
                ..opts()
            };
            let again = Cline
                .plan(&e, &gw(), &later, &applied(&cur, &plan))
                .unwrap();
            assert!(again.changes.is_empty(), "{case}: {:#?}", again.changes);
            assert!(again.manual_steps.is_empty(), "{case}");
        }
    }

    #[test]
    fn fresh_home_gets_all_three_files() {
        let e = env(&[]);
        let p = Paths::new(&e);
        let plan = Cline.plan(&e, &gw(), &opts(), &Current::default()).unwrap();
        let paths: Vec<_> = plan
            .changes
            .iter()
            .map(|c| (&c.path, c.before.is_none()))
            .collect();
        assert_eq!(
            paths,
            [
                (&p.global_state, true),
                (&p.secrets, true),
                (&p.providers, true)
            ]
        );
        // Same content as from empty files.
        assert_eq!(
            after(&plan, &p.providers).unwrap(),
            read("empty", "expected", "settings/providers.json")
        );
    }

    #[test]
    fn remove_takes_out_only_byok_values() {
        let e = env(&[]);
        let p = Paths::new(&e);
        for case in ["existing", "elsewhere", "empty"] {
            let cur = fixture(case);
            let plan = Cline.plan(&e, &gw(), &opts(), &cur).unwrap();
            let mut set = applied(&cur, &plan);
            // What the engine records at setup: the user's values, the files that held
            // nothing of theirs.
            set.prior = Cline
                .restorable(&e, &cur)
                .into_iter()
                .filter_map(|(l, v)| Some((l, v?)))
                .collect();
            set.created = Some(
                cur.files
                    .iter()
                    .filter(|(_, t)| t.as_deref().is_none_or(|t| t.trim().is_empty()))
                    .map(|(p, _)| p.clone())
                    .collect(),
            );
            let rm = Cline.remove(&e, &opts(), &set).unwrap();
            for (path, rel) in [
                (&p.global_state, "globalState.json"),
                (&p.secrets, "secrets.json"),
                (&p.providers, "settings/providers.json"),
            ] {
                let want = std::fs::read_to_string(
                    Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("tests/fixtures/cline")
                        .join(case)
                        .join("removed")
                        .join(rel),
                )
                .ok();
                // A blank file the command gives back its bytes (here: none).
                let got = after(&rm, path).or_else(|| cur.file(path).map(str::to_string));
                assert_eq!(got, want, "{case} {rel}");
            }
            let again = Cline.remove(&e, &opts(), &applied(&set, &rm)).unwrap();
            assert!(again.changes.is_empty(), "{case}: {:#?}", again.changes);
        }
    }

    #[test]
    fn remove_keeps_a_provider_the_user_chose_since() {
        let e = env(&[]);
        let p = Paths::new(&e);
        let mut cur = Current::default();
        let gs = "{\n  \"actModeApiProvider\": \"anthropic\",\n  \"planModeApiProvider\": \"openai\",\n  \"openAiBaseUrl\": \"https://gw.example/v1\"\n}";
        cur.files.insert(p.global_state.clone(), Some(gs.into()));
        let rm = Cline.remove(&e, &opts(), &cur).unwrap();
        assert_eq!(
            after(&rm, &p.global_state).unwrap(),
            "{\n  \"actModeApiProvider\": \"anthropic\"\n}"
        );
        // Nothing of byok's left: nothing to do, no restart step.
        let none = Cline.remove(&e, &opts(), &Current::default()).unwrap();
        assert_eq!(none, Plan::default());
    }

    #[test]
    fn malformed_files_are_reported_and_left_alone() {
        let e = env(&[]);
        let cur = fixture("malformed");
        let err = Cline.plan(&e, &gw(), &opts(), &cur).unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.starts_with("could not parse ~/.cline/data/globalState.json: line 4"),
            "{msg}"
        );
        let ue = err.downcast_ref::<UserError>().unwrap();
        assert!(ue.hint.as_deref().unwrap().contains("untouched"));
        let err = Cline.remove(&e, &opts(), &cur).unwrap_err();
        assert!(format!("{err:#}").contains("globalState.json"));

        // A top level that is not an object is refused too.
        let mut cur = Current::default();
        cur.files
            .insert(Paths::new(&e).secrets, Some("[\"sk-x\"]".into()));
        let err = Cline.plan(&e, &gw(), &opts(), &cur).unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "could not parse ~/.cline/data/secrets.json: line 1, column 1: the top level is not a JSON object"
        );
    }

    #[test]
    fn unknown_providers_version_is_refused() {
        let e = env(&[]);
        let mut cur = Current::default();
        cur.files.insert(
            Paths::new(&e).providers,
            Some("{\"version\": 2, \"providers\": {}}".into()),
        );
        let err = Cline.plan(&e, &gw(), &opts(), &cur).unwrap_err();
        assert_eq!(
            err.to_string(),
            "~/.cline/data/settings/providers.json has version 2, which byok does not know"
        );
    }

    #[test]
    fn updated_at_changes_only_with_byok_entry() {
        let e = env(&[]);
        let p = Paths::new(&e);
        let entry = |stamp: &str, model: &str| {
            format!(
                "{{\"version\":1,\"lastUsedProvider\":\"openai-compatible\",\"modes\":{{}},\"providers\":{{\"openai-compatible\":{{\"settings\":{{\"provider\":\"openai-compatible\",\"apiKey\":\"{KEY}\",\"model\":\"{model}\",\"baseUrl\":\"https://gw.example/v1\"}},\"updatedAt\":\"{stamp}\",\"tokenSource\":\"manual\"}}}}}}"
            )
        };
        let stamp_after = |text: String| {
            let mut cur = Current::default();
            cur.files.insert(p.providers.clone(), Some(text));
            let plan = Cline.plan(&e, &gw(), &opts(), &cur).unwrap();
            plan.changes
                .iter()
                .find(|c| c.path == p.providers)
                .map(|c| {
                    jsonc::get(
                        c.after.as_deref().unwrap(),
                        &["providers", SDK_PROVIDER, "updatedAt"],
                    )
                    .unwrap()
                    .unwrap()
                })
        };
        // Same settings: the file is left alone, old stamp and all.
        assert_eq!(
            stamp_after(entry("2026-01-01T00:00:00.000Z", "gw-model")),
            None
        );
        // A changed model restamps it.
        assert_eq!(
            stamp_after(entry("2026-01-01T00:00:00.000Z", "old-model")),
            Some(json!(NOW))
        );
        // A stamp Cline would reject (offset, not UTC) is replaced even when nothing else changed.
        assert_eq!(
            stamp_after(entry("2026-01-01T00:00:00+02:00", "gw-model")),
            Some(json!(NOW))
        );

        assert_eq!(
            timestamp("2026-11-27T08:00:00.123Z"),
            "2026-11-27T08:00:00.123Z"
        );
        assert_eq!(
            timestamp("2026-11-27T08:00:00+00:00"),
            "2026-11-27T08:00:00Z"
        );
        assert_eq!(timestamp(""), EPOCH);
        assert_eq!(timestamp("yesterday"), EPOCH);
        for ok in [
            EPOCH,
            "2026-03-24T21:55:22.629Z",
            "2026-03-24T21:55Z",
            "2026-03-24T21:55:22Z",
        ] {
            assert!(is_datetime(ok), "{ok}");
        }
        for bad in [
            "2026-03-24T21:55:22.629",
            "2026-03-24 21:55:22Z",
            "2026-13-24T21:55:22Z",
            "2026-03-24T24:00:00Z",
            "2026-03-24T21:55:22.Z",
            "2026-03-24T21:55.5Z",
            "2026-03-24",
            "",
        ] {
            assert!(!is_datetime(bad), "{bad}");
        }
    }

    #[test]
    fn old_extension_gets_manual_steps_only() {
        let e = env(&[]);
        let cur = with_extensions(
            Current::default(),
            &e,
            &[
                ("code", "saoudrizwan.claude-dev-3.52.1"),
                ("code", "ms-python.python-2026.1.0"),
            ],
        );
        let plan = Cline.plan(&e, &gw(), &opts(), &cur).unwrap();
        assert!(plan.changes.is_empty());
        assert_eq!(
            plan.manual_steps,
            [
                "In VS Code, open Cline's settings (the gear icon in the Cline panel) and set API Provider \"OpenAI Compatible\", Base URL https://gw.example/v1, API Key sk-…cdef, Model ID gw-model; then click Done"
            ]
        );
        assert_eq!(
            plan.notes,
            [
                "Cline 3.52.1 in VS Code keeps its settings in the editor's encrypted storage, which byok cannot write; updating Cline to 3.66.0 or later enables automatic setup"
            ]
        );
        let shown = SetupOptions {
            show_key: true,
            ..opts()
        };
        let plan = Cline.plan(&e, &gw(), &shown, &cur).unwrap();
        assert!(plan.manual_steps[0].contains(&format!("API Key {KEY},")));
    }

    #[test]
    fn old_and_new_hosts_together() {
        let e = env(&[]);
        let cur = with_extensions(
            Current::default(),
            &e,
            &[
                ("code", "saoudrizwan.claude-dev-3.52.1"),
                ("cursor", "saoudrizwan.claude-dev-4.1.13-linux-x64"),
                ("vscodium", "saoudrizwan.claude-dev-3.66.0"),
            ],
        );
        let plan = Cline.plan(&e, &gw(), &opts(), &cur).unwrap();
        assert_eq!(plan.changes.len(), 3);
        assert_eq!(plan.manual_steps.len(), 2);
        assert!(plan.manual_steps[0].starts_with("In VS Code,"));
        assert_eq!(
            plan.manual_steps[1],
            "Restart VSCodium, Cursor and any running `cline` CLI: Cline reads these files only at start"
        );
        // --host picks one host: the old VS Code copy is not mentioned.
        let only = SetupOptions {
            host: Some("cursor".into()),
            ..opts()
        };
        let plan = Cline.plan(&e, &gw(), &only, &cur).unwrap();
        assert_eq!(plan.changes.len(), 3);
        assert_eq!(
            plan.manual_steps,
            ["Restart Cursor and any running `cline` CLI: Cline reads these files only at start"]
        );
        // The CLI alone is enough to write the files even next to an old extension.
        let mut cli = with_extensions(
            Current::default(),
            &e,
            &[("code", "saoudrizwan.claude-dev-3.60.0")],
        );
        cli.binaries.insert(
            BINARY.into(),
            Binary {
                path: "/home/u/.local/bin/cline".into(),
                version: None,
            },
        );
        assert_eq!(
            Cline.plan(&e, &gw(), &opts(), &cli).unwrap().changes.len(),
            3
        );
    }

    #[test]
    fn needs_a_model_and_a_key() {
        let e = env(&[]);
        let mut g = gw();
        g.model = None;
        let err = Cline
            .plan(&e, &g, &opts(), &Current::default())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "profile `default` has no model, and Cline needs one"
        );
        let mut g = gw();
        g.key = KeySource::Env {
            var: "GW_KEY".into(),
            value: None,
        };
        let err = Cline
            .plan(&e, &g, &opts(), &Current::default())
            .unwrap_err();
        assert!(err.to_string().contains("$GW_KEY"), "{err}");
    }

    #[test]
    fn key_helper_mode_writes_the_key_and_says_so() {
        let e = env(&[]);
        let helper = SetupOptions {
            key_mode: KeyMode::Helper,
            ..opts()
        };
        let plan = Cline.plan(&e, &gw(), &helper, &Current::default()).unwrap();
        assert_eq!(
            plan.notes,
            [
                "Cline cannot run a command for its key; byok writes the key itself into ~/.cline/data/secrets.json and ~/.cline/data/settings/providers.json (mode 0600)"
            ]
        );
    }

    #[test]
    fn detect_lists_binary_dir_and_every_host() {
        let e = env(&[]);
        let mut cur = with_extensions(
            fixture("existing"),
            &e,
            &[
                ("code", "saoudrizwan.claude-dev-3.52.1"),
                ("cursor", "saoudrizwan.claude-dev-4.1.13"),
            ],
        );
        cur.binaries.insert(
            BINARY.into(),
            Binary {
                path: "/home/u/.npm-global/bin/cline".into(),
                version: Some("3.0.65".into()),
            },
        );
        let d = Cline.detect(&e, &cur);
        assert!(d.installed);
        assert_eq!(
            d.evidence,
            [
                "binary ~/.npm-global/bin/cline (3.0.65)",
                "directory ~/.cline",
                "extension 3.52.1 in VS Code (settings in the editor's storage: update to 3.66+ for automatic setup)",
                "extension 4.1.13 in Cursor",
            ]
        );
        assert_eq!(d.config_files.len(), 3);
        assert!(!Cline.detect(&e, &Current::default()).installed);
        // Inputs cover what detect and plan read.
        let inputs = Cline.inputs(&e);
        assert_eq!(inputs.files, d.config_files);
        assert!(
            inputs
                .dirs
                .contains(&PathBuf::from("/home/u/.cursor/extensions"))
        );
        assert_eq!(inputs.binaries, [BINARY]);
    }

    #[test]
    fn owned_values_never_hold_the_key() {
        let e = env(&[]);
        let cur = fixture("existing");
        let plan = Cline.plan(&e, &gw(), &opts(), &cur).unwrap();
        let owned = Cline.owned(&e, &applied(&cur, &plan));
        let text = format!("{owned:?}");
        assert!(!text.contains(KEY), "{text}");
        let get = |label: &str| owned.iter().find(|(l, _)| l == label).unwrap().1.clone();
        assert_eq!(
            get("~/.cline/data/globalState.json openAiBaseUrl").as_deref(),
            Some("https://gw.example/v1")
        );
        assert_eq!(
            get("~/.cline/data/settings/providers.json lastUsedProvider").as_deref(),
            Some("openai-compatible")
        );
        let key = get("~/.cline/data/secrets.json openAiApiKey").unwrap();
        assert!(key.starts_with("sha256:"), "{key}");
        assert_eq!(
            Some(key),
            get(
                "~/.cline/data/settings/providers.json providers.openai-compatible.settings.apiKey"
            )
        );
        // Before setup they differ, so drift shows.
        assert_ne!(Cline.owned(&e, &cur), owned);
        assert_eq!(Cline.endpoints(&gw()), [Api::Chat]);
    }

    #[test]
    fn diagnose_finds_what_keeps_cline_off_the_gateway() {
        let e = env(&[]);
        let messages = |cur: &Current| -> Vec<(Severity, String)> {
            Cline
                .diagnose(&e, &gw(), cur)
                .into_iter()
                .map(|f| (f.severity, f.message))
                .collect()
        };
        // Nothing installed: nothing to say.
        assert!(messages(&Current::default()).is_empty());

        let cur = fixture("existing");
        let plan = Cline.plan(&e, &gw(), &opts(), &cur).unwrap();
        assert_eq!(messages(&applied(&cur, &plan)), []);

        assert_eq!(
            messages(&cur),
            [
                (Severity::Fail, "actModeApiProvider in ~/.cline/data/globalState.json is \"anthropic\", not the gateway's \"openai\"".to_string()),
                (Severity::Fail, "planModeApiProvider in ~/.cline/data/globalState.json is \"openrouter\", not the gateway's \"openai\"".to_string()),
                (Severity::Fail, "openAiBaseUrl in ~/.cline/data/globalState.json does not point at https://gw.example/v1".to_string()),
                (Severity::Fail, "~/.cline/data/secrets.json has no openAiApiKey".to_string()),
                (Severity::Warn, "the Cline CLI uses \"anthropic\" (lastUsedProvider in ~/.cline/data/settings/providers.json), not the gateway".to_string()),
                (Severity::Fail, "the openai-compatible provider in ~/.cline/data/settings/providers.json does not point at https://gw.example/v1".to_string()),
            ]
        );

        let other_key = fixture("elsewhere");
        let found = messages(&other_key);
        assert!(found.contains(&(
            Severity::Fail,
            "openAiApiKey in ~/.cline/data/secrets.json is not the profile's key".to_string()
        )));

        // A providers.json Cline would throw away, and an old extension.
        let p = Paths::new(&e);
        let mut broken = with_extensions(
            applied(&cur, &plan),
            &e,
            &[("code", "saoudrizwan.claude-dev-3.52.1")],
        );
        let text = after(&plan, &p.providers)
            .unwrap()
            .replace("\"updatedAt\": \"2026-03-24T21:55:22.629Z\",\n", "");
        broken.files.insert(p.providers.clone(), Some(text));
        assert_eq!(
            messages(&broken),
            [
                (Severity::Fail, "Cline 3.52.1 in VS Code keeps its settings in the editor's encrypted storage, which byok cannot write".to_string()),
                (Severity::Fail, "~/.cline/data/settings/providers.json does not match Cline's format (`providers.anthropic.updatedAt` must be an ISO-8601 UTC time); Cline reads it as empty and overwrites it".to_string()),
            ]
        );
        broken
            .files
            .insert(p.providers.clone(), Some("{\"version\":".into()));
        let found = messages(&broken);
        assert!(
            found[1]
                .1
                .starts_with("~/.cline/data/settings/providers.json does not parse (line 1"),
            "{found:?}"
        );
    }
}
