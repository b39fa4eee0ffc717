//! The code behind Cline's template (`templates/cline.toml`, hook `cline`): what the
//! data can't say. The template declares the three files and every value byok writes
//! (so drift tracking covers them); this module adds:
//! - setup: an error without a model or a key (Cline needs both); the refusal of a
//!   `providers.json` whose `version` is not 1; `version: 1` and `modes: {}` when an
//!   existing `providers.json` lacks them (a new one starts with both, from the
//!   template's `new`); `updatedAt`, which changes only when byok's entry does; the
//!   extension version gate; the helper-mode note and the restart step;
//! - remove: byok's whole `providers.openai-compatible` entry goes when the user had none
//!   (a user's entry gets its settings back from the engine, still marked `manual`), and
//!   a `providers.json` byok created goes once nothing but Cline's empty skeleton is
//!   left; `providers` itself stays (Cline's schema requires it);
//! - detect, secrets and diagnose: extensions before 3.66, the user's other keys in
//!   `secrets.json` and `providers.json` (masked in every output), and what keeps Cline
//!   off the gateway.
//!
//! Since extension 3.66.0 (commit 6ed3944f, "Export global, workspace and secrets from
//! VSCode to share with CLI") every Cline client keeps its settings in plain JSON files
//! below one directory, the same on Linux, macOS and Windows because it is relative to
//! the home directory (`os.homedir()`: `$HOME`, on Windows `%USERPROFILE%`):
//! `$CLINE_DIR` (default `~/.cline`), `$CLINE_DATA_DIR` (default `$CLINE_DIR/data`) with
//! `globalState.json`, `secrets.json` (0600) and `$CLINE_PROVIDER_SETTINGS_PATH`
//! (default `<data>/settings/providers.json`, 0600). Cline validates the whole of
//! `providers.json` (`StoredProviderSettingsSchema`) and treats a file that fails as
//! empty, overwriting it with its own default later; so `updatedAt` must be an ISO-8601
//! UTC time (`z.string().datetime()`).
//!
//! The extension reads the provider from `globalState.json`/`secrets.json` and falls back
//! to `providers.json` only when no provider is set there; the CLI reads `providers.json`
//! (importing the other two only for providers it does not have yet), so byok writes
//! all three. The extension ignores `CLINE_PROVIDER_SETTINGS_PATH` (it always uses
//! `<data>/settings/providers.json`); byok follows the CLI there.
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

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::{Value, json};

use super::KeyMode;
use super::generic::Hook;
use super::vscode::{self, HOSTS, InstalledExtension};
use super::{Current, Detection, Finding, SetupOptions, Severity};
use crate::config_edit::{self, ParseError, jsonc};
use crate::env::Env;
use crate::error::UserError;
use crate::plan::Plan;
use crate::profile::Gateway;
use crate::secret::ApiKey;

/// Cline's hook.
pub struct ClineHook;

/// The extension's marketplace id.
pub const EXTENSION_ID: &str = "saoudrizwan.claude-dev";
/// The first extension version that keeps its settings in `~/.cline/data` (the
/// template's `min_version`).
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
/// The fields of byok's `providers.json` entry's `settings` that it sets.
const ENTRY_FIELDS: [&str; 4] = ["provider", "model", "baseUrl", "apiKey"];
/// The `secrets.json` key byok owns.
const SECRET_KEY: &str = "openAiApiKey";

/// Where Cline keeps its files, after `CLINE_DIR`, `CLINE_DATA_DIR` and
/// `CLINE_PROVIDER_SETTINGS_PATH` (mirrors the template's roots and files).
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

/// The refusal of a `providers.json` whose `version` byok does not know (Cline would
/// not read what byok writes into it).
fn check_version(env: &Env, path: &Path, text: &str, gw: &Gateway, model: &str) -> Result<()> {
    match jsonc::get(text, &["version"]) {
        Ok(Some(v)) if v != json!(1) => Err(UserError::new(format!(
            "{} has version {v}, which byok does not know",
            env.tilde(path)
        ))
        .hint(format!(
            "byok left it untouched; configure the CLI with `cline auth -p {SDK_PROVIDER} -k <key> -m {model} -b {}`",
            gw.openai_base
        ))
        .into()),
        _ => Ok(()),
    }
}

/// `providers.json` as the engine wrote it, completed: `version` and `modes` where
/// missing, byok's entry marked `tokenSource: "manual"` (a key entered by hand, as
/// `cline auth` does), and its `updatedAt` stamped with `now` when the entry changed (or
/// its old stamp is one Cline rejects), else kept as it was. The two belong to the
/// entry: Cline re-stamps it on every run, so they are not tracked for drift.
fn finish_providers(before: Option<&str>, after: &str, now: &str) -> Result<String, ParseError> {
    let mut out = after.to_string();
    if jsonc::get(&out, &["version"])?.is_none() {
        out = jsonc::set(&out, &["version"], &json!(1))?;
    }
    if jsonc::get(&out, &["modes"])?.is_none() {
        out = jsonc::set(&out, &["modes"], &json!({}))?;
    }
    let entry = ["providers", SDK_PROVIDER];
    if !matches!(jsonc::get(&out, &entry)?, Some(Value::Object(_))) {
        return Ok(out);
    }
    // Cline's order in a new entry: `settings`, `updatedAt`, `tokenSource`.
    let stamp_at = ["providers", SDK_PROVIDER, "updatedAt"];
    if jsonc::get(&out, &stamp_at)?.is_none() {
        out = jsonc::set(&out, &stamp_at, &json!(EPOCH))?;
    }
    out = jsonc::set(
        &out,
        &["providers", SDK_PROVIDER, "tokenSource"],
        &json!("manual"),
    )?;
    let Some(Value::Object(mine)) = jsonc::get(&out, &entry)? else {
        return Ok(out);
    };
    let theirs = before
        .and_then(|t| jsonc::get(t, &entry).ok().flatten())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    let old_stamp = theirs
        .get("updatedAt")
        .and_then(Value::as_str)
        .filter(|s| is_datetime(s))
        .map(str::to_string);
    let unstamped = |m: &serde_json::Map<String, Value>| {
        let mut m = m.clone();
        m.remove("updatedAt");
        m
    };
    let stamp = match old_stamp {
        Some(s) if unstamped(&theirs) == unstamped(&mine) => s,
        _ => timestamp(now),
    };
    jsonc::set(&out, &stamp_at, &json!(stamp))
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

/// Whether what is left of `providers.json` is nothing Cline would miss: its empty
/// skeleton (`version: 1`, `modes: {}`, `providers: {}`, each optional).
fn only_skeleton(text: &str) -> bool {
    match jsonc::parse(text) {
        Ok(Some(Value::Object(m))) => m.iter().all(|(k, v)| match k.as_str() {
            "version" => v == &json!(1),
            "modes" | "providers" => v.as_object().is_some_and(|o| o.is_empty()),
            _ => false,
        }),
        Ok(None) => true,
        _ => false,
    }
}

/// The change a plan makes to `path`, if any.
fn change_of<'a>(plan: &'a mut Plan, path: &Path) -> Option<&'a mut crate::plan::Change> {
    plan.changes.iter_mut().find(|c| c.path == path)
}

impl Hook for ClineHook {
    fn detect(&self, env: &Env, cur: &Current, det: &mut Detection) {
        // The engine lists the extensions from 3.66 on; older ones count as installed
        // too, with what keeps byok from setting them up.
        for ext in extensions(env, cur, None).iter().filter(|e| !uses_files(e)) {
            det.installed = true;
            det.evidence.push(format!(
                "extension {} in {} (settings in the editor's storage: update to 3.66+ for automatic setup)",
                ext.version, ext.host.name
            ));
        }
    }

    fn after_plan(
        &self,
        env: &Env,
        gw: &Gateway,
        opts: &SetupOptions,
        cur: &Current,
        plan: &mut Plan,
    ) -> Result<()> {
        let p = Paths::new(env);
        // Cline needs both; the engine would only leave the values out.
        let key = gw.require_key()?;
        let model = require_model(gw)?;
        let (modern, old): (Vec<_>, Vec<_>) = extensions(env, cur, opts.host.as_deref())
            .into_iter()
            .partition(uses_files);
        let mut steps = Vec::new();
        let mut notes = Vec::new();
        for ext in &old {
            steps.push(manual_step(ext, gw, &shown_key(key, opts), model));
            notes.push(format!(
                "Cline {} in {} keeps its settings in the editor's encrypted storage, which byok \
                 cannot write; updating Cline to {FILE_STORAGE_SINCE} or later enables automatic setup",
                ext.version, ext.host.name
            ));
        }
        // Only old extensions and no CLI: nothing reads the files, so none are written.
        if !old.is_empty() && modern.is_empty() && !cur.binaries.contains_key(BINARY) {
            *plan = Plan {
                manual_only: true,
                notes,
                manual_steps: steps,
                ..Plan::default()
            };
            return Ok(());
        }
        if opts.key_mode == KeyMode::Helper {
            notes.push(format!(
                "Cline cannot run a command for its key; byok writes the key itself into {} and {} (mode 0600)",
                env.tilde(&p.secrets),
                env.tilde(&p.providers)
            ));
        }
        let before = cur.file(&p.providers);
        if let Some(text) = before {
            check_version(env, &p.providers, text, gw, model)?;
        }
        if let Some(c) = change_of(plan, &p.providers)
            && let Some(after) = c.after.as_deref()
        {
            let done = finish_providers(before, after, &opts.now)
                .map_err(|e| config_edit::unparsable(env, &p.providers, &e))?;
            c.after = Some(done);
        }
        if plan.effective().next().is_some() {
            steps.push(restart_step(&modern));
        }
        plan.notes.extend(notes);
        plan.manual_steps.extend(steps);
        Ok(())
    }

    fn after_remove(&self, env: &Env, cur: &Current, plan: &mut Plan) -> Result<()> {
        let p = Paths::new(env);
        if let Some(c) = change_of(plan, &p.providers)
            && let Some(text) = c.after.clone()
        {
            let bad = |e| config_edit::unparsable(env, &p.providers, &e);
            let label = |field: &str| {
                format!(
                    "{} providers.{SDK_PROVIDER}.settings.{field}",
                    env.tilde(&p.providers)
                )
            };
            // An entry the user had got its settings back from the engine; byok's own
            // goes whole (its stamp and token source too).
            let mut text = text;
            if ENTRY_FIELDS.iter().all(|f| cur.prior(&label(f)).is_none()) {
                text = jsonc::remove(&text, &["providers", SDK_PROVIDER], false).map_err(bad)?;
            }
            let gone = cur.may_delete(&p.providers) && only_skeleton(&text);
            c.after = (!gone).then_some(text);
        }
        if plan.effective().next().is_some() {
            let modern: Vec<_> = extensions(env, cur, None)
                .into_iter()
                .filter(uses_files)
                .collect();
            plan.manual_steps.push(restart_step(&modern));
        }
        Ok(())
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
    use crate::tools::{Binary, Tool, ToolId};

    const KEY: &str = "sk-gw-0123456789abcdef";
    const NOW: &str = "2026-11-27T08:00:00.000Z";

    /// The template tool the hook belongs to, as byok registers it.
    fn cline() -> &'static dyn Tool {
        crate::tools::get(ToolId::Cline).expect("cline is registered")
    }

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
            headers: Default::default(),
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
            assert_eq!(p.dir, PathBuf::from(dir), "{os:?}");
            assert_eq!(p.global_state, PathBuf::from(gs));
            assert_eq!(p.secrets, PathBuf::from(gs).with_file_name("secrets.json"));
            assert_eq!(p.providers, PathBuf::from(prov));
            // The template resolves the same files the hook edits after it.
            let files = cline().detect(&e, &Current::default()).config_files;
            assert_eq!(
                files,
                [
                    p.global_state.clone(),
                    p.secrets.clone(),
                    p.providers.clone()
                ],
                "{os:?}"
            );
        }
    }

    #[test]
    fn setup_merges_into_existing_state_exactly() {
        let e = env(&[]);
        let p = Paths::new(&e);
        for case in ["existing", "elsewhere", "empty"] {
            let cur = fixture(case);
            let plan = cline().plan(&e, &gw(), &opts(), &cur).unwrap();
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
            let again = cline()
                .plan(&e, &gw(), &later, &applied(&cur, &plan))
                .unwrap();
            assert!(again.is_up_to_date(), "{case}: {:#?}", again.changes);
            assert!(again.manual_steps.is_empty(), "{case}");
        }
    }

    #[test]
    fn fresh_home_gets_all_three_files() {
        let e = env(&[]);
        let p = Paths::new(&e);
        let plan = cline()
            .plan(&e, &gw(), &opts(), &Current::default())
            .unwrap();
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
            let plan = cline().plan(&e, &gw(), &opts(), &cur).unwrap();
            let mut set = applied(&cur, &plan);
            // What the engine records at setup: the user's values, the files that held
            // nothing of theirs.
            set.prior = cline()
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
            let rm = cline().remove(&e, &opts(), &set).unwrap();
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
                // The user's own entry keeps byok's stamp (it changed), set at NOW.
                assert_eq!(got, want, "{case} {rel}");
            }
            let again = cline().remove(&e, &opts(), &applied(&set, &rm)).unwrap();
            assert!(again.effective().next().is_none(), "{case}: {again:#?}");
            assert!(again.manual_steps.is_empty(), "{case}");
        }
    }

    #[test]
    fn remove_keeps_a_provider_the_user_chose_since() {
        let e = env(&[]);
        let p = Paths::new(&e);
        let mut cur = Current::default();
        let gs = "{\n  \"actModeApiProvider\": \"anthropic\",\n  \"planModeApiProvider\": \"openai\",\n  \"openAiBaseUrl\": \"https://gw.example/v1\"\n}";
        cur.files.insert(p.global_state.clone(), Some(gs.into()));
        let rm = cline().remove(&e, &opts(), &cur).unwrap();
        assert_eq!(
            after(&rm, &p.global_state).unwrap(),
            "{\n  \"actModeApiProvider\": \"anthropic\"\n}"
        );
        // Nothing of byok's left: nothing to do, no restart step.
        let none = cline().remove(&e, &opts(), &Current::default()).unwrap();
        assert_eq!(none, Plan::default());
    }

    #[test]
    fn a_user_entry_without_byok_fields_goes_and_a_created_file_with_it() {
        let e = env(&[]);
        let p = Paths::new(&e);
        // byok's entry, with a header the user added inside it since.
        let text = format!(
            "{{\n  \"version\": 1,\n  \"lastUsedProvider\": \"openai-compatible\",\n  \"modes\": {{}},\n  \"providers\": {{\n    \"openai-compatible\": {{\n      \"settings\": {{\n        \"provider\": \"openai-compatible\",\n        \"apiKey\": \"{KEY}\",\n        \"model\": \"gw-model\",\n        \"baseUrl\": \"https://gw.example/v1\",\n        \"headers\": {{ \"X-Team\": \"a\" }}\n      }},\n      \"updatedAt\": \"{NOW}\",\n      \"tokenSource\": \"manual\"\n    }}\n  }}\n}}\n"
        );
        let mut cur = Current::default();
        cur.files.insert(p.providers.clone(), Some(text.clone()));
        cur.created = Some([p.providers.clone()].into());
        let rm = cline().remove(&e, &opts(), &cur).unwrap();
        assert_eq!(after(&rm, &p.providers), None);
        // A file the user had keeps its skeleton.
        cur.created = Some(Default::default());
        let rm = cline().remove(&e, &opts(), &cur).unwrap();
        assert_eq!(
            after(&rm, &p.providers).as_deref(),
            Some("{\n  \"version\": 1,\n  \"modes\": {},\n  \"providers\": {}\n}\n")
        );
    }

    #[test]
    fn malformed_files_are_reported_and_left_alone() {
        let e = env(&[]);
        let cur = fixture("malformed");
        let err = cline().plan(&e, &gw(), &opts(), &cur).unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.starts_with("could not parse ~/.cline/data/globalState.json: line 4"),
            "{msg}"
        );
        let ue = err.downcast_ref::<UserError>().unwrap();
        assert!(ue.hint.as_deref().unwrap().contains("untouched"));
        let err = cline().remove(&e, &opts(), &cur).unwrap_err();
        assert!(format!("{err:#}").contains("globalState.json"));

        // A top level that is not an object is refused too.
        let mut cur = Current::default();
        cur.files
            .insert(Paths::new(&e).secrets, Some("[\"sk-x\"]".into()));
        let err = cline().plan(&e, &gw(), &opts(), &cur).unwrap_err();
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
        let err = cline().plan(&e, &gw(), &opts(), &cur).unwrap_err();
        assert_eq!(
            err.to_string(),
            "~/.cline/data/settings/providers.json has version 2, which byok does not know"
        );
    }

    #[test]
    fn version_and_modes_are_added_when_missing() {
        let e = env(&[]);
        let p = Paths::new(&e);
        let mut cur = Current::default();
        cur.files
            .insert(p.providers.clone(), Some("{\"providers\": {}}\n".into()));
        let plan = cline().plan(&e, &gw(), &opts(), &cur).unwrap();
        let text = after(&plan, &p.providers).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["version"], json!(1));
        assert_eq!(doc["modes"], json!({}));
        assert_eq!(doc["providers"][SDK_PROVIDER]["updatedAt"], json!(NOW));
    }

    #[test]
    fn updated_at_changes_only_with_byok_entry() {
        let e = env(&[]);
        let p = Paths::new(&e);
        let entry = |stamp: &str, model: &str, source: &str| {
            format!(
                "{{\"version\":1,\"lastUsedProvider\":\"openai-compatible\",\"modes\":{{}},\"providers\":{{\"openai-compatible\":{{\"settings\":{{\"provider\":\"openai-compatible\",\"apiKey\":\"{KEY}\",\"model\":\"{model}\",\"baseUrl\":\"https://gw.example/v1\"}},\"updatedAt\":\"{stamp}\",\"tokenSource\":\"{source}\"}}}}}}"
            )
        };
        let stamp_after = |text: String| {
            let mut cur = Current::default();
            cur.files.insert(p.providers.clone(), Some(text));
            let plan = cline().plan(&e, &gw(), &opts(), &cur).unwrap();
            plan.effective().find(|c| c.path == p.providers).map(|c| {
                jsonc::get(
                    c.after.as_deref().unwrap(),
                    &["providers", SDK_PROVIDER, "updatedAt"],
                )
                .unwrap()
                .unwrap()
            })
        };
        let old = "2026-01-01T00:00:00.000Z";
        // Same settings: the file is left alone, old stamp and all.
        assert_eq!(stamp_after(entry(old, "gw-model", "manual")), None);
        // A changed model or token source restamps it.
        assert_eq!(
            stamp_after(entry(old, "old-model", "manual")),
            Some(json!(NOW))
        );
        assert_eq!(
            stamp_after(entry(old, "gw-model", "migration")),
            Some(json!(NOW))
        );
        // A stamp Cline would reject (offset, not UTC) is replaced even when nothing else changed.
        assert_eq!(
            stamp_after(entry("2026-01-01T00:00:00+02:00", "gw-model", "manual")),
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
        let plan = cline().plan(&e, &gw(), &opts(), &cur).unwrap();
        assert!(plan.changes.is_empty());
        assert!(plan.manual_only);
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
        let plan = cline().plan(&e, &gw(), &shown, &cur).unwrap();
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
        let plan = cline().plan(&e, &gw(), &opts(), &cur).unwrap();
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
        let plan = cline().plan(&e, &gw(), &only, &cur).unwrap();
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
            cline()
                .plan(&e, &gw(), &opts(), &cli)
                .unwrap()
                .changes
                .len(),
            3
        );
    }

    #[test]
    fn needs_a_model_and_a_key() {
        let e = env(&[]);
        let mut g = gw();
        g.model = None;
        let err = cline()
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
        let err = cline()
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
        let plan = cline()
            .plan(&e, &gw(), &helper, &Current::default())
            .unwrap();
        assert_eq!(
            plan.notes,
            [
                "Cline cannot run a command for its key; byok writes the key itself into ~/.cline/data/secrets.json and ~/.cline/data/settings/providers.json (mode 0600)"
            ]
        );
        assert!(after(&plan, &Paths::new(&e).secrets).unwrap().contains(KEY));
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
        let d = cline().detect(&e, &cur);
        assert!(d.installed);
        assert_eq!(
            d.evidence,
            [
                "binary ~/.npm-global/bin/cline (3.0.65)",
                "config dir ~/.cline",
                "extension 3.52.1 in VS Code (settings in the editor's storage: update to 3.66+ for automatic setup)",
                "extension 4.1.13 in Cursor",
            ]
        );
        assert_eq!(d.config_files.len(), 3);
        assert!(!cline().detect(&e, &Current::default()).installed);
        // An old extension alone counts as installed.
        let old = with_extensions(
            Current::default(),
            &e,
            &[("code", "saoudrizwan.claude-dev-3.52.1")],
        );
        assert!(cline().detect(&e, &old).installed);
        // Inputs cover what detect and plan read.
        let inputs = cline().inputs(&e);
        assert_eq!(inputs.files, d.config_files);
        assert!(
            inputs
                .dirs
                .contains(&PathBuf::from("/home/u/.cursor/extensions"))
        );
        assert_eq!(inputs.binaries, [BINARY]);
    }

    #[test]
    fn owned_values_are_what_setup_writes() {
        let e = env(&[]);
        let cur = fixture("existing");
        let plan = cline().plan(&e, &gw(), &opts(), &cur).unwrap();
        let owned = cline().owned(&e, &applied(&cur, &plan));
        // What the record keeps: the user's own headers (no profile headers) are theirs.
        let labels: Vec<&str> = owned
            .iter()
            .map(|(l, _)| l.as_str())
            .filter(|l| {
                !plan
                    .left
                    .iter()
                    .any(|x| *l == x || l.starts_with(&format!("{x}.")))
            })
            .collect();
        assert_eq!(
            labels,
            [
                "~/.cline/data/globalState.json actModeApiProvider",
                "~/.cline/data/globalState.json actModeOpenAiModelId",
                "~/.cline/data/globalState.json openAiBaseUrl",
                "~/.cline/data/globalState.json planModeApiProvider",
                "~/.cline/data/globalState.json planModeOpenAiModelId",
                "~/.cline/data/secrets.json openAiApiKey",
                "~/.cline/data/settings/providers.json lastUsedProvider",
                "~/.cline/data/settings/providers.json providers.openai-compatible.settings.apiKey",
                "~/.cline/data/settings/providers.json providers.openai-compatible.settings.baseUrl",
                "~/.cline/data/settings/providers.json providers.openai-compatible.settings.model",
                "~/.cline/data/settings/providers.json providers.openai-compatible.settings.provider",
            ]
        );
        let get = |label: &str| owned.iter().find(|(l, _)| l == label).unwrap().1.clone();
        assert_eq!(
            get("~/.cline/data/globalState.json openAiBaseUrl").as_deref(),
            Some("https://gw.example/v1")
        );
        // Before setup they differ, so drift shows.
        assert_ne!(cline().owned(&e, &cur), owned);
        assert_eq!(cline().endpoints(&gw()), [crate::gateway::probe::Api::Chat]);
    }

    #[test]
    fn user_secrets_are_masked_too() {
        let e = env(&[]);
        let secrets = cline().secrets(&e, &fixture("existing"));
        for s in [
            "sk-ant-api03-userkeyAAAAAAAAAAAAAAAA",
            "sk-or-v1-userkeyBBBBBBBBBBBBBBBB",
            "eyJhbGciOi.fake.token",
        ] {
            assert!(secrets.iter().any(|x| x == s), "{s}: {secrets:?}");
        }
    }

    #[test]
    fn diagnose_finds_what_keeps_cline_off_the_gateway() {
        let e = env(&[]);
        let messages = |cur: &Current| -> Vec<(Severity, String)> {
            cline()
                .diagnose(&e, &gw(), cur)
                .into_iter()
                .map(|f| (f.severity, f.message))
                .collect()
        };
        // Nothing installed: nothing to say.
        assert!(messages(&Current::default()).is_empty());

        let cur = fixture("existing");
        let plan = cline().plan(&e, &gw(), &opts(), &cur).unwrap();
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
