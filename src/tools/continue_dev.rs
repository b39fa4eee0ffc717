//! Continue: the open-source coding assistant for VS Code-family editors
//! (`continue.continue`), JetBrains IDEs, and the `cn` CLI (`@continuedev/cli`).
//!
//! Files (the same on Linux, macOS and Windows: Continue uses `os.homedir()/.continue`):
//! - the global dir `$CONTINUE_GLOBAL_DIR` (relative values resolved against the working
//!   directory), else `~/.continue` (`%USERPROFILE%\.continue` on Windows;
//!   `core/util/paths.ts`);
//! - `config.yaml` there wins; `config.json` (deprecated) is read only when there is no
//!   `config.yaml` (`core/config/profile/doLoadConfig.ts`); with neither, Continue writes a
//!   default `config.yaml`, and an empty one is rewritten (`getConfigYamlPath`). The `cn`
//!   CLI reads only `config.yaml` (`extensions/cli/src/configLoader.ts`);
//! - `.env` there holds secrets that `${{ secrets.NAME }}` in config.yaml names, parsed
//!   with dotenv 16 (`core/config/yaml/LocalPlatformClient.ts`, `core/util/paths.ts`).
//!
//! What byok owns:
//! - in `config.yaml` (or, only when config.json is the sole config, `config.json`): the
//!   `models` entries named `byok (OpenAI)` (provider `openai`, `apiBase` = the gateway's
//!   `/v1`, roles chat/edit/apply) and, when the profile has an Anthropic model,
//!   `byok (Anthropic)` (provider `anthropic`, `apiBase` also ending in `/v1`: Continue
//!   posts to `new URL("messages", apiBase)`, `packages/openai-adapters/src/apis/Anthropic.ts`,
//!   and sends the key as `x-api-key`). Entries are found by `name` (`title` in
//!   config.json) and edited as a unit; new ones go first in the list, where Continue and
//!   `cn` take their default chat model from (a model the user picked before stays
//!   picked); see `config_edit::yaml` for how the rest of the file is kept byte for byte.
//!   A config.yaml byok creates gets `name`, `version`, `schema: v1`;
//! - in `.env`: the line `BYOK_API_KEY=…` (mode 0600), referenced from config.yaml as
//!   `${{ secrets.BYOK_API_KEY }}`. config.json has no secret templates (its only
//!   substitution is the top-level `env` list, `core/config/load.ts`), so there the key is
//!   written into the entries themselves and the file gets mode 0600.
//!
//! `remove` takes out byok's entries and line; a `models` list byok added to a
//! config.json that had none goes with them (the drift record says it had none), so a
//! `{}` comes back as `{}`. A config.yaml byok created goes once only its header is left.
//!
//! Secret lookup order, which [`Continue::diagnose`] checks: the extension reads
//! `~/.continue/.env`, then `<workspace>/.continue/.env`, `<workspace>/.env`, then the
//! process environment; `cn` reads the process environment first, and loads `./.env`
//! into it at start (`dotenv.config()` in `extensions/cli/src/env.ts`), so a `.env` in
//! the directory `cn` runs in overrides `~/.continue/.env` (`CLIPlatformClient.ts`).
//!
//! Source: <https://github.com/continuedev/continue> (read at `d0a3c0b6`, 2026-06-18);
//! docs: <https://docs.continue.dev/reference>.
//!
//! Verified against `@continuedev/cli` 1.5.47 (npm; bundles dotenv 16.6.1), 2026-11-27,
//! in a loopback-only network namespace with a throw-away HOME holding byok's files:
//! `cn -p "hi"` sent `POST /v1/chat/completions` to the stub with
//! `Authorization: Bearer <key>`, `"model": "gw-model"`, `"stream": true`, and printed the
//! stub's answer; with only the Anthropic entry it sent `POST /v1/messages` with
//! `x-api-key: <key>`, `anthropic-version: 2023-06-01` and the Anthropic model. byok's
//! results for the CRLF, BOM and commented/anchored fixtures loaded and made `byok (OpenAI)`
//! the default. A `BYOK_API_KEY` in `./.env` replaced the key for `cn`; one in
//! `./.continue/.env` did not.

use crate::gateway::probe::Api;
use std::path::{Path, PathBuf};

use anyhow::Result;
use jsonc_parser::cst::CstRootNode;
use serde_json::{Value as Json, json};

use super::KeyMode;
use super::vscode::{self, HOSTS};
use super::{Current, Detection, Finding, Inputs, SetupOptions, Severity, Tool, ToolId};
use crate::config_edit::yaml::OwnedList;
use crate::config_edit::{self, ParseError, dotenv, jsonc, split_bom, yaml};
use crate::env::Env;
use crate::error::UserError;
use crate::plan::{Change, Plan};
use crate::profile::Gateway;

/// The Continue adapter.
pub struct Continue;

/// The extension's id in VS Code-family marketplaces.
const EXTENSION_ID: &str = "continue.continue";
/// The secret byok's entries reference.
const SECRET: &str = "BYOK_API_KEY";
/// Names (titles in config.json) of byok's model entries.
const OPENAI_NAME: &str = "byok (OpenAI)";
const ANTHROPIC_NAME: &str = "byok (Anthropic)";
const NAMES: &[&str] = &[OPENAI_NAME, ANTHROPIC_NAME];
const MODELS: OwnedList<'static> = OwnedList {
    key: "models",
    field: "name",
    ids: NAMES,
    prepend: true,
    created: Some("# Continue config created by byok."),
};
/// The [`Tool::owned`] label telling whether config.json had a `models` list of its own.
const JSON_MODELS: &str = "config.json models";
/// Its value while config.json has no `models` key (else `a list`): the prior `remove`
/// acts on, taking out a list byok added once byok's entries are gone from it.
const NO_LIST: &str = "none";

/// First line of a config.yaml byok creates.
const CREATED: &str = "# Continue config created by byok. byok changes only the entries marked \"managed by byok\".\n";

/// Where Continue keeps its global files.
struct Paths {
    dir: PathBuf,
    yaml: PathBuf,
    json: PathBuf,
    env: PathBuf,
    /// `.env` files of the working directory (a workspace), for diagnosis.
    cwd_env: PathBuf,
    cwd_continue_env: PathBuf,
}

impl Paths {
    fn new(env: &Env) -> Self {
        let dir = env
            .path_var("CONTINUE_GLOBAL_DIR")
            .unwrap_or_else(|| env.home.join(".continue"));
        Self {
            yaml: dir.join("config.yaml"),
            json: dir.join("config.json"),
            env: dir.join(".env"),
            cwd_env: env.cwd.join(".env"),
            cwd_continue_env: env.cwd.join(".continue").join(".env"),
            dir,
        }
    }

    /// config.json is the config only when it exists and config.yaml does not.
    fn uses_json(&self, cur: &Current) -> bool {
        cur.file(&self.json).is_some() && cur.file(&self.yaml).is_none()
    }
}

/// The model entries for `gw`, with `key_value` as the `apiKey` and `id_field` as the
/// identifying field (`name` in config.yaml, `title` in config.json).
fn entries(gw: &Gateway, id_field: &str, key_value: &str) -> Result<Vec<Json>> {
    let model = gw.model.as_deref().ok_or_else(|| {
        UserError::new(format!(
            "profile `{}` has no model, which Continue needs",
            gw.name
        ))
        .hint(format!(
            "set one with `byok init --name {} --model <model>`",
            gw.name
        ))
    })?;
    let mut out = vec![json!({
        id_field: OPENAI_NAME,
        "provider": "openai",
        "model": model,
        "apiBase": gw.openai_base,
        "apiKey": key_value,
        "roles": ["chat", "edit", "apply"],
    })];
    if let Some(m) = &gw.anthropic_model {
        out.push(json!({
            id_field: ANTHROPIC_NAME,
            "provider": "anthropic",
            "model": m,
            "apiBase": format!("{}/v1", gw.anthropic_base.trim_end_matches('/')),
            "apiKey": key_value,
            "roles": ["chat", "edit", "apply"],
        }));
    }
    Ok(out)
}

fn header() -> Vec<(&'static str, Json)> {
    vec![
        ("name", json!("byok")),
        ("version", json!("1.0.0")),
        ("schema", json!("v1")),
    ]
}

fn secret_ref() -> String {
    format!("${{{{ secrets.{SECRET} }}}}")
}

impl Tool for Continue {
    fn id(&self) -> ToolId {
        ToolId::Continue
    }

    fn name(&self) -> &'static str {
        "Continue"
    }

    fn inputs(&self, env: &Env) -> Inputs {
        let p = Paths::new(env);
        let mut dirs = vec![p.dir.clone()];
        dirs.extend(HOSTS.iter().map(|h| h.extensions_dir(env)));
        Inputs {
            files: vec![p.yaml, p.json, p.env, p.cwd_env, p.cwd_continue_env],
            dirs,
            binaries: vec!["cn"],
            ..Inputs::default()
        }
    }

    fn detect(&self, env: &Env, cur: &Current) -> Detection {
        let p = Paths::new(env);
        let mut evidence = Vec::new();
        if let Some(b) = cur.binaries.get("cn") {
            evidence.push(b.describe(env));
        }
        for host in HOSTS {
            let dir = host.extensions_dir(env);
            if let Some(ext) = vscode::find_extension(host, &dir, cur.entries(&dir), EXTENSION_ID) {
                evidence.push(format!("extension {} in {}", ext.version, host.name));
            }
        }
        if cur.exists(&p.dir) {
            evidence.push(format!("config dir {}", env.tilde(&p.dir)));
        }
        let config_files = if p.uses_json(cur) {
            vec![p.json]
        } else {
            vec![p.yaml, p.env]
        };
        Detection {
            installed: !evidence.is_empty(),
            evidence,
            config_files,
        }
    }

    fn plan(&self, env: &Env, gw: &Gateway, opts: &SetupOptions, cur: &Current) -> Result<Plan> {
        let p = Paths::new(env);
        let key = gw.require_key()?;
        let mut plan = Plan::default();
        if opts.key_mode == KeyMode::Helper {
            plan.notes.push(format!(
                "Continue can't run a key command; the key is stored in {} (mode 0600)",
                env.tilde(if p.uses_json(cur) { &p.json } else { &p.env })
            ));
        }
        if p.uses_json(cur) {
            let before = cur.file(&p.json).map(str::to_string);
            let text = before.as_deref().unwrap_or_default();
            let items = entries(gw, "title", key.expose())?;
            let after = json_models_set(text, &items)
                .map_err(|e| config_edit::unparsable(env, &p.json, &e))?;
            plan.changes
                .push(Change::file(&p.json, before, Some(after), true));
            plan.notes.push(format!(
                "{} is deprecated, but it is the config Continue reads here, so byok edited it and did not create a config.yaml (which would hide it); config.json can't reference secrets, so the key is written into it (mode 0600); the `cn` CLI reads only config.yaml",
                env.tilde(&p.json)
            ));
        } else {
            let env_before = cur.file(&p.env).map(str::to_string);
            let env_after = dotenv::set(
                env_before.as_deref().unwrap_or_default(),
                SECRET,
                key.expose(),
            )
            .map_err(|e| {
                UserError::new(format!(
                    "could not write the key to {}: {e:#}",
                    env.tilde(&p.env)
                ))
                .hint(
                    "Continue reads secrets only from .env files and can't run a key command; \
                     ask the gateway for a key without quote characters or line breaks, then \
                     `byok init` with it and run `byok setup continue` again",
                )
            })?;
            plan.changes
                .push(Change::file(&p.env, env_before, Some(env_after), true));
            let before = cur.file(&p.yaml).map(str::to_string);
            let start = match before.as_deref() {
                Some(t) if !t.trim().is_empty() => t.to_string(),
                _ => CREATED.to_string(),
            };
            let items = entries(gw, "name", &secret_ref())?;
            let after = MODELS
                .set(&start, &items, &header())
                .map_err(|e| yaml_error(env, &p.yaml, text_of(cur, &p.yaml), &e))?;
            plan.changes
                .push(Change::file(&p.yaml, before, Some(after), false));
            if cur.file(&p.json).is_some() {
                plan.notes.push(format!(
                    "{} is ignored by Continue because {} exists",
                    env.tilde(&p.json),
                    env.tilde(&p.yaml)
                ));
            }
        }
        if !plan.is_up_to_date() {
            if gw.anthropic_model.is_some()
                && gw.anthropic_auth == crate::profile::AnthropicAuth::Bearer
            {
                plan.notes.push(
                    "Continue's Anthropic provider sends the key as `x-api-key`, not as a bearer token; the gateway must accept that header on /v1/messages".to_string(),
                );
            }
            plan.manual_steps.push(format!(
                "reload Continue in your editor (Command Palette: \"Developer: Reload Window\") and pick the model \"{OPENAI_NAME}\"; `cn` picks it up on its next start"
            ));
        }
        Ok(plan)
    }

    fn remove(&self, env: &Env, _opts: &SetupOptions, cur: &Current) -> Result<Plan> {
        let p = Paths::new(env);
        let mut plan = Plan::default();
        if let Some(text) = cur.file(&p.yaml) {
            let after = MODELS
                .remove(text, &header())
                .map_err(|e| yaml_error(env, &p.yaml, text_of(cur, &p.yaml), &e))?;
            // A config.yaml byok created, with nothing of the user's in it, goes entirely.
            let after = (after != CREATED).then_some(after);
            plan.changes
                .push(Change::file(&p.yaml, Some(text.to_string()), after, false));
        }
        if let Some(text) = cur.file(&p.json) {
            let created_list = cur.prior(JSON_MODELS) == Some(NO_LIST);
            match json_models_set(text, &[]).and_then(|after| {
                // A `models` list byok added goes again once nothing else is in it.
                let empty = jsonc::get(&after, &["models"])? == Some(Json::Array(Vec::new()));
                if created_list && empty {
                    jsonc::remove(&after, &["models"], false)
                } else {
                    Ok(after)
                }
            }) {
                Ok(after) => plan.changes.push(Change::file(
                    &p.json,
                    Some(text.to_string()),
                    Some(after),
                    true,
                )),
                // An ignored config.json that does not parse holds nothing byok wrote.
                Err(_) if !p.uses_json(cur) => {}
                Err(e) => return Err(config_edit::unparsable(env, &p.json, &e)),
            }
        }
        if let Some(text) = cur.file(&p.env) {
            let after = dotenv::remove(text, SECRET);
            let after = (!after.is_empty()).then_some(after);
            plan.changes
                .push(Change::file(&p.env, Some(text.to_string()), after, true));
        }
        Ok(plan)
    }

    fn secrets(&self, env: &Env, cur: &Current) -> Vec<String> {
        user_secrets(&Paths::new(env), cur)
    }

    fn owned(&self, env: &Env, cur: &Current) -> Vec<(String, Option<String>)> {
        let p = Paths::new(env);
        if p.uses_json(cur) {
            let models = cur
                .file(&p.json)
                .and_then(|t| jsonc::get(t, &["models"]).ok().flatten());
            return NAMES
                .iter()
                .map(|name| {
                    let entry = models
                        .as_ref()
                        .and_then(Json::as_array)
                        .and_then(|a| a.iter().find(|m| m["title"] == *name))
                        .map(Json::to_string);
                    (format!("config.json models/{name}"), entry)
                })
                .chain([(JSON_MODELS.to_string(), Some(json_list_state(cur, &p)))])
                .collect();
        }
        let owned = cur
            .file(&p.yaml)
            .and_then(|t| MODELS.owned(t).ok())
            .unwrap_or_default();
        let mut out: Vec<(String, Option<String>)> = NAMES
            .iter()
            .map(|name| {
                let entry = owned
                    .iter()
                    .find(|m| m.get("name").and_then(yaml::Value::as_str) == Some(name))
                    .and_then(|m| serde_yaml_ng::to_string(m).ok());
                (format!("config.yaml models/{name}"), entry)
            })
            .collect();
        out.push((
            format!(".env {SECRET}"),
            cur.file(&p.env).and_then(|t| dotenv::get(t, SECRET)),
        ));
        out
    }

    fn restorable(&self, env: &Env, cur: &Current) -> Vec<(String, Option<String>)> {
        let p = Paths::new(env);
        if p.uses_json(cur) {
            // Only a missing list is worth giving back; an existing one stays anyway.
            let state = json_list_state(cur, &p);
            return vec![(JSON_MODELS.to_string(), (state == NO_LIST).then_some(state))];
        }
        // `BYOK_API_KEY` is byok's own name: a value found there is an older byok's key
        // (see the `outdated` fixture), not the user's, so it is not given back.
        Vec::new()
    }

    fn endpoints(&self, gw: &Gateway) -> Vec<Api> {
        let mut out = vec![Api::Chat];
        if gw.anthropic_model.is_some() {
            out.push(Api::Messages);
        }
        out
    }

    fn diagnose(&self, env: &Env, gw: &Gateway, cur: &Current) -> Vec<Finding> {
        let p = Paths::new(env);
        let mut out = Vec::new();
        let has_yaml = cur.file(&p.yaml).is_some();
        if has_yaml && cur.file(&p.json).is_some() {
            out.push(Finding {
                severity: Severity::Warn,
                message: format!(
                    "{} is ignored: Continue reads {} when both exist",
                    env.tilde(&p.json),
                    env.tilde(&p.yaml)
                ),
                hint: Some(format!(
                    "move what you still need from config.json into config.yaml, then delete {}",
                    env.tilde(&p.json)
                )),
            });
        }
        if let Some(text) = cur.file(&p.yaml)
            && let Err(e) = yaml::parse(text)
        {
            out.push(Finding {
                severity: Severity::Fail,
                message: format!("could not parse {}: {e}", env.tilde(&p.yaml)),
                hint: Some("fix that line; Continue can't load its config until then".into()),
            });
        }
        if p.uses_json(cur) && cur.binaries.contains_key("cn") {
            out.push(Finding {
                severity: Severity::Warn,
                message: format!(
                    "the `cn` CLI reads only config.yaml, so it ignores {}",
                    env.tilde(&p.json)
                ),
                hint: Some(
                    "convert config.json to config.yaml (docs.continue.dev/reference), then run `byok setup continue` again"
                        .into(),
                ),
            });
        }
        let key = gw.api_key().map(|k| k.expose().to_string());
        let differs = |path: &Path| {
            cur.file(path)
                .and_then(|t| dotenv::get(t, SECRET))
                .filter(|v| key.as_deref() != Some(v.as_str()))
                .is_some()
        };
        if !p.uses_json(cur) && differs(&p.cwd_env) {
            out.push(Finding {
                severity: Severity::Warn,
                message: format!(
                    "{} sets {SECRET} to another key; `cn` started in {} loads it and uses it instead of {}",
                    env.tilde(&p.cwd_env),
                    env.tilde(&env.cwd),
                    env.tilde(&p.env)
                ),
                hint: Some(format!(
                    "remove the {SECRET} line from {}",
                    env.tilde(&p.cwd_env)
                )),
            });
        }
        if !p.uses_json(cur) && differs(&p.cwd_continue_env) {
            let global_has_it = cur
                .file(&p.env)
                .and_then(|t| dotenv::get(t, SECRET))
                .is_some();
            out.push(Finding {
                severity: if global_has_it {
                    Severity::Info
                } else {
                    Severity::Warn
                },
                message: format!(
                    "{} sets {SECRET} to another key; Continue uses it only when {} does not set it",
                    env.tilde(&p.cwd_continue_env),
                    env.tilde(&p.env)
                ),
                hint: Some(format!(
                    "remove the {SECRET} line from {}",
                    env.tilde(&p.cwd_continue_env)
                )),
            });
        }
        out
    }
}

/// The error for a config.yaml byok can't change: "could not parse" only when it does
/// not parse; valid YAML byok won't edit says so, with the construct and the fix.
fn yaml_error(env: &Env, path: &Path, text: &str, e: &ParseError) -> anyhow::Error {
    if yaml::parse(text).is_err() {
        return config_edit::unparsable(env, path, e);
    }
    UserError::new(format!("byok can't edit {}: {e}", env.tilde(path)))
        .hint("byok left the file untouched; make that change by hand and run the command again")
        .into()
}

fn text_of<'a>(cur: &'a Current, path: &Path) -> &'a str {
    cur.file(path).unwrap_or_default()
}

/// The user's own secrets in Continue's files (every `.env` value; string values of
/// known secret settings, [`crate::secret::SECRET_NAMES`], in the configs): diffs show
/// neighbouring lines, so they are masked too.
fn user_secrets(p: &Paths, cur: &Current) -> Vec<String> {
    fn keep(s: &str, out: &mut Vec<String>) {
        // `${{ secrets.NAME }}` references are not secrets.
        if !s.contains("${{") {
            out.push(s.to_string());
        }
    }
    fn walk_json(v: &Json, out: &mut Vec<String>) {
        match v {
            Json::Object(m) => {
                for (k, v) in m {
                    match v {
                        Json::String(s) if crate::secret::is_secret_name(k) => keep(s, out),
                        _ => walk_json(v, out),
                    }
                }
            }
            Json::Array(a) => a.iter().for_each(|v| walk_json(v, out)),
            _ => {}
        }
    }
    fn walk_yaml(v: &yaml::Value, out: &mut Vec<String>) {
        match v {
            yaml::Value::Mapping(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        (Some(k), yaml::Value::String(s)) if crate::secret::is_secret_name(k) => {
                            keep(s, out);
                        }
                        _ => walk_yaml(v, out),
                    }
                }
            }
            yaml::Value::Sequence(a) => a.iter().for_each(|v| walk_yaml(v, out)),
            yaml::Value::Tagged(t) => walk_yaml(&t.value, out),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for path in [&p.env, &p.cwd_env, &p.cwd_continue_env] {
        if let Some(text) = cur.file(path) {
            for (_, v) in dotenv::values(text) {
                keep(&v, &mut out);
            }
        }
    }
    if let Some(Ok(Some(v))) = cur.file(&p.yaml).map(yaml::parse) {
        walk_yaml(&v, &mut out);
    }
    if let Some(Ok(Some(v))) = cur.file(&p.json).map(jsonc::parse) {
        walk_json(&v, &mut out);
    }
    out
}

/// Whether config.json has a `models` key: [`NO_LIST`] or `a list`. Edits inside the
/// list leave it as it is, so they are no drift.
fn json_list_state(cur: &Current, p: &Paths) -> String {
    let has = cur
        .file(&p.json)
        .and_then(|t| jsonc::get(t, &["models"]).ok().flatten())
        .is_some();
    if has { "a list" } else { NO_LIST }.to_string()
}

/// Makes byok's entries (by `title`) in config.json's `models` array exactly `items`, in
/// place of the first old one or first in the list (Continue's default model); other
/// elements, comments and formatting stay.
///
/// `jsonc` edits object paths only; this is the array counterpart, on the same CST.
fn json_models_set(text: &str, items: &[Json]) -> Result<String, ParseError> {
    let value = jsonc::parse(text)?;
    let is_owned = |v: &Json| v["title"].as_str().is_some_and(|t| NAMES.contains(&t));
    let current: Vec<Json> = match value.as_ref().and_then(|v| v.get("models")) {
        Some(Json::Array(a)) => a.iter().filter(|v| is_owned(v)).cloned().collect(),
        Some(_) => {
            return Err(ParseError::at_offset(
                text,
                0,
                "`models` in config.json is not a list",
            ));
        }
        None => {
            if items.is_empty() {
                return Ok(text.to_string());
            }
            return jsonc::set(text, &["models"], &Json::Array(items.to_vec()));
        }
    };
    if current == items {
        return Ok(text.to_string());
    }
    let (bom, body) = split_bom(text);
    let root = CstRootNode::parse(body, &jsonc::options())
        .map_err(|e| ParseError::at_offset(body, e.range().start, e.kind().to_string()))?;
    let array = root
        .object_value()
        .and_then(|o| o.array_value("models"))
        .ok_or_else(|| ParseError::at_offset(body, 0, "`models` in config.json is not a list"))?;
    let mut insert_at = None;
    for (i, el) in array.elements().into_iter().enumerate().rev() {
        if el.to_serde_value().as_ref().is_some_and(is_owned) {
            insert_at = Some(i);
            el.remove();
        }
    }
    let start = insert_at.unwrap_or(0);
    for (at, item) in (start..).zip(items) {
        array.insert(at, jsonc::to_input(item));
    }
    Ok(format!("{bom}{root}"))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::env::Os;
    use crate::profile::{KeySource, Profile};
    use crate::secret::ApiKey;
    use crate::tools::Binary;

    const KEY: &str = "sk-unit-0123456789abcdef";

    fn env_with(vars: &[(&str, &str)]) -> Env {
        let mut map: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        map.insert("HOME".into(), "/home/u".into());
        Env::from_vars(map, Os::Linux, PathBuf::from("/work/proj"), None)
    }

    fn env() -> Env {
        env_with(&[])
    }

    fn gw(anthropic: bool) -> Gateway {
        let p = Profile {
            base_url: "http://127.0.0.1:8080".into(),
            model: Some("gw-model".into()),
            anthropic_model: anthropic.then(|| "claude-x".to_string()),
            ..Profile::default()
        };
        crate::profile::from_profile("default".into(), &p, KeySource::Literal(ApiKey::new(KEY)))
            .unwrap()
    }

    fn current(env: &Env, files: &[(&str, &str)]) -> Current {
        let mut cur = Current::default();
        for f in Continue.inputs(env).files {
            cur.files.insert(f, None);
        }
        for (path, text) in files {
            cur.files
                .insert(PathBuf::from(path), Some((*text).to_string()));
        }
        cur
    }

    fn fixture(case: &str, file: &str) -> String {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/continue")
            .join(case)
            .join("home/.continue")
            .join(file);
        crate::fs::read_optional(&p).unwrap().unwrap()
    }

    fn after<'a>(plan: &'a Plan, path: &str) -> Option<&'a str> {
        plan.changes
            .iter()
            .find(|c| c.path == Path::new(path))
            .and_then(|c| c.after.as_deref())
    }

    /// The state after applying `plan` to `cur`.
    fn applied(cur: &Current, plan: &Plan) -> Current {
        let mut cur = cur.clone();
        for c in &plan.changes {
            cur.files.insert(c.path.clone(), c.after.clone());
        }
        cur
    }

    const YAML: &str = "/home/u/.continue/config.yaml";
    const JSON: &str = "/home/u/.continue/config.json";
    const DOTENV: &str = "/home/u/.continue/.env";

    #[test]
    fn global_dir_follows_continue_global_dir() {
        assert_eq!(Paths::new(&env()).dir, Path::new("/home/u/.continue"));
        let abs = env_with(&[("CONTINUE_GLOBAL_DIR", "/srv/continue")]);
        assert_eq!(
            Paths::new(&abs).yaml,
            Path::new("/srv/continue/config.yaml")
        );
        let rel = env_with(&[("CONTINUE_GLOBAL_DIR", "conf/cont")]);
        assert_eq!(Paths::new(&rel).env, Path::new("/work/proj/conf/cont/.env"));
        // Same layout on every OS: Continue uses os.homedir()/.continue everywhere.
        let mut vars = BTreeMap::new();
        vars.insert("USERPROFILE".to_string(), r"C:\Users\u".to_string());
        let win = Env::from_vars(vars, Os::Windows, PathBuf::from(r"C:\p"), None);
        assert_eq!(
            Paths::new(&win).dir,
            Path::new(r"C:\Users\u").join(".continue")
        );
    }

    #[test]
    fn fresh_home_gets_a_config_yaml_and_a_private_env() {
        let e = env();
        let cur = current(&e, &[]);
        let plan = Continue
            .plan(&e, &gw(false), &SetupOptions::default(), &cur)
            .unwrap();
        let paths: Vec<(&Path, bool)> = plan
            .effective()
            .map(|c| (c.path.as_path(), c.secret))
            .collect();
        assert_eq!(paths, [(Path::new(DOTENV), true), (Path::new(YAML), false)]);
        assert_eq!(
            after(&plan, DOTENV),
            Some(format!("BYOK_API_KEY='{KEY}' # managed by byok\n").as_str())
        );
        assert_eq!(
            after(&plan, YAML),
            Some(concat!(
                "# Continue config created by byok. byok changes only the entries marked \"managed by byok\".\n",
                "name: byok\nversion: 1.0.0\nschema: v1\nmodels:\n",
                "  - name: byok (OpenAI) # managed by byok\n",
                "    provider: openai\n    model: gw-model\n    apiBase: http://127.0.0.1:8080/v1\n",
                "    apiKey: \"${{ secrets.BYOK_API_KEY }}\"\n    roles: [chat, edit, apply]\n",
            ))
        );
        assert!(plan.notes.is_empty(), "{:?}", plan.notes);
        assert_eq!(plan.manual_steps.len(), 1);
        assert_eq!(Continue.endpoints(&gw(false)), [Api::Chat]);
        assert_eq!(Continue.endpoints(&gw(true)), [Api::Chat, Api::Messages]);

        // Applied: up to date, owned values readable, remove deletes both files again.
        let done = applied(&cur, &plan);
        let again = Continue
            .plan(&e, &gw(false), &SetupOptions::default(), &done)
            .unwrap();
        assert!(again.is_up_to_date());
        assert!(again.manual_steps.is_empty());
        let owned = Continue.owned(&e, &done);
        let labels: Vec<&str> = owned.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "config.yaml models/byok (OpenAI)",
                "config.yaml models/byok (Anthropic)",
                ".env BYOK_API_KEY"
            ]
        );
        assert!(owned[0].1.as_deref().unwrap().contains("model: gw-model"));
        assert_eq!(owned[1].1, None);
        assert_eq!(owned[2].1.as_deref(), Some(KEY));
        let removed = Continue
            .remove(&e, &SetupOptions::default(), &done)
            .unwrap();
        let gone: Vec<(&Path, Option<&str>)> = removed
            .effective()
            .map(|c| (c.path.as_path(), c.after.as_deref()))
            .collect();
        assert_eq!(gone, [(Path::new(YAML), None), (Path::new(DOTENV), None)]);
    }

    #[test]
    fn legacy_config_json_is_edited_in_place_with_the_key() {
        let e = env();
        let text = fixture("legacy-json", "config.json");
        let cur = current(&e, &[(JSON, &text)]);
        let plan = Continue
            .plan(&e, &gw(true), &SetupOptions::default(), &cur)
            .unwrap();
        let changed: Vec<(&Path, bool)> = plan
            .effective()
            .map(|c| (c.path.as_path(), c.secret))
            .collect();
        assert_eq!(changed, [(Path::new(JSON), true)]);
        let out = after(&plan, JSON).unwrap();
        let models = jsonc::get(out, &["models"]).unwrap().unwrap();
        let titles: Vec<&str> = models
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["title"].as_str().unwrap())
            .collect();
        assert_eq!(
            titles,
            [
                "byok (OpenAI)",
                "byok (Anthropic)",
                "GPT-4o",
                "Ollama Llama"
            ]
        );
        assert_eq!(models[0]["apiKey"], KEY);
        assert_eq!(models[1]["apiBase"], "http://127.0.0.1:8080/v1");
        assert!(out.contains("// Legacy Continue config, pre-YAML\n"));
        assert!(
            plan.notes[0].contains("config.json is deprecated"),
            "{:?}",
            plan.notes
        );
        assert!(plan.notes[0].contains("key is written into it"));
        // Still legacy after applying: no config.yaml appeared, and it is up to date.
        let done = applied(&cur, &plan);
        assert!(
            Continue
                .plan(&e, &gw(true), &SetupOptions::default(), &done)
                .unwrap()
                .is_up_to_date()
        );
        assert_eq!(
            Continue.owned(&e, &done)[0].0,
            "config.json models/byok (OpenAI)"
        );
        let removed = Continue
            .remove(&e, &SetupOptions::default(), &done)
            .unwrap();
        assert_eq!(after(&removed, JSON), Some(text.as_str()));
        // Detection names config.json as the file byok edits.
        assert_eq!(
            Continue.detect(&e, &done).config_files,
            [PathBuf::from(JSON)]
        );
    }

    #[test]
    fn yaml_wins_over_json_and_the_json_stays_untouched() {
        let e = env();
        let json_text = fixture("legacy-json", "config.json");
        let cur = current(
            &e,
            &[
                (YAML, "name: a\nversion: 1.0.0\nmodels: []\n"),
                (JSON, &json_text),
            ],
        );
        let plan = Continue
            .plan(&e, &gw(false), &SetupOptions::default(), &cur)
            .unwrap();
        assert!(plan.changes.iter().all(|c| c.path != Path::new(JSON)));
        assert_eq!(
            plan.notes,
            [
                "~/.continue/config.json is ignored by Continue because ~/.continue/config.yaml exists"
            ]
        );
        let findings = Continue.diagnose(&e, &gw(false), &cur);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Warn);
        assert!(
            findings[0]
                .message
                .starts_with("~/.continue/config.json is ignored")
        );
    }

    #[test]
    fn refusals_name_the_file_and_line() {
        let e = env();
        let cur = current(
            &e,
            &[(YAML, "name: a\nmodels:\n  - name: x\n     model: y\n")],
        );
        let err = Continue
            .plan(&e, &gw(false), &SetupOptions::default(), &cur)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "could not parse ~/.continue/config.yaml: line 4, column 11: mapping values are not allowed in this context"
        );
        let findings = Continue.diagnose(&e, &gw(false), &cur);
        assert_eq!(findings[0].severity, Severity::Fail);
        assert!(Continue.remove(&e, &SetupOptions::default(), &cur).is_err());

        let mut no_model = gw(false);
        no_model.model = None;
        let err = Continue
            .plan(&e, &no_model, &SetupOptions::default(), &current(&e, &[]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "profile `default` has no model, which Continue needs"
        );
    }

    #[test]
    fn key_helper_mode_says_where_the_key_went() {
        let e = env();
        let opts = SetupOptions {
            key_mode: KeyMode::Helper,
            ..SetupOptions::default()
        };
        let plan = Continue
            .plan(&e, &gw(false), &opts, &current(&e, &[]))
            .unwrap();
        assert_eq!(
            plan.notes,
            ["Continue can't run a key command; the key is stored in ~/.continue/.env (mode 0600)"]
        );
    }

    #[test]
    fn users_other_secrets_are_masked_in_diffs() {
        let e = env();
        let dotenv_text = fixture("full", ".env");
        let cur = current(
            &e,
            &[
                (DOTENV, &dotenv_text),
                (
                    YAML,
                    "name: a\nversion: 1\nmodels:\n  - name: m\n    apiKey: sk-literal-user-key-42\n",
                ),
            ],
        );
        // What the engine does after gathering: planning itself registers nothing.
        for s in Continue.secrets(&e, &cur) {
            crate::secret::register(&s);
        }
        let plan = Continue
            .plan(&e, &gw(false), &SetupOptions::default(), &cur)
            .unwrap();
        let diff: String = plan.effective().map(|c| crate::plan::diff(&e, c)).collect();
        for secret in [
            "sk-openai-user-0000",
            "ghp_example token with spaces",
            "single # not a comment",
            "sk-literal-user-key-42",
            KEY,
        ] {
            assert!(!diff.contains(secret), "{secret} in {diff}");
        }
        assert!(diff.contains("${{ secrets.BYOK_API_KEY }}"), "{diff}");
    }

    #[test]
    fn detect_finds_cli_extension_and_dir() {
        let e = env();
        let mut cur = current(&e, &[]);
        assert!(!Continue.detect(&e, &cur).installed);
        cur.binaries.insert(
            "cn".into(),
            Binary {
                path: "/home/u/.local/bin/cn".into(),
                version: Some("1.5.47".into()),
            },
        );
        cur.dirs.insert(
            PathBuf::from("/home/u/.cursor/extensions"),
            Some(vec![
                "continue.continue-1.3.40-linux-x64".into(),
                "other.ext-1.0.0".into(),
            ]),
        );
        cur.dirs
            .insert(PathBuf::from("/home/u/.continue"), Some(vec![]));
        let d = Continue.detect(&e, &cur);
        assert!(d.installed);
        assert_eq!(
            d.evidence,
            [
                "binary ~/.local/bin/cn (1.5.47)",
                "extension 1.3.40 in Cursor",
                "config dir ~/.continue"
            ]
        );
        assert_eq!(d.config_files, [PathBuf::from(YAML), PathBuf::from(DOTENV)]);
        assert!(
            Continue
                .inputs(&e)
                .dirs
                .contains(&PathBuf::from("/home/u/.vscode/extensions"))
        );
    }

    #[test]
    fn diagnose_workspace_env_files() {
        let e = env();
        let own = format!("BYOK_API_KEY={KEY}\n");
        // Same key: nothing to say.
        let cur = current(&e, &[(DOTENV, &own), ("/work/proj/.env", &own)]);
        assert!(Continue.diagnose(&e, &gw(false), &cur).is_empty());
        // Another key in ./.env: `cn` would use it.
        let cur = current(
            &e,
            &[
                (DOTENV, &own),
                ("/work/proj/.env", "BYOK_API_KEY=sk-stale\n"),
            ],
        );
        let f = Continue.diagnose(&e, &gw(false), &cur);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warn);
        assert_eq!(
            f[0].message,
            "/work/proj/.env sets BYOK_API_KEY to another key; `cn` started in /work/proj loads it and uses it instead of ~/.continue/.env"
        );
        // In ./.continue/.env it only matters when ~/.continue/.env lacks the key.
        let ws = [("/work/proj/.continue/.env", "BYOK_API_KEY=sk-stale\n")];
        let f = Continue.diagnose(&e, &gw(false), &current(&e, &[ws[0], (DOTENV, &own)]));
        assert_eq!(f[0].severity, Severity::Info);
        let f = Continue.diagnose(&e, &gw(false), &current(&e, &ws));
        assert_eq!(f[0].severity, Severity::Warn);
        // Legacy config.json with `cn` installed: cn ignores it.
        let mut cur = current(&e, &[(JSON, "{}")]);
        cur.binaries.insert(
            "cn".into(),
            Binary {
                path: "/usr/bin/cn".into(),
                version: None,
            },
        );
        let f = Continue.diagnose(&e, &gw(false), &cur);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .starts_with("the `cn` CLI reads only config.yaml")
        );
    }

    #[test]
    fn json_models_edits_keep_other_elements() {
        let text = "{\n  \"models\": [\n    // mine\n    {\"title\": \"A\"},\n    {\"title\": \"byok (OpenAI)\", \"model\": \"old\"},\n    {\"title\": \"B\"}\n  ]\n}\n";
        let items = [json!({"title": "byok (OpenAI)", "model": "new"})];
        let out = json_models_set(text, &items).unwrap();
        assert_eq!(
            out,
            "{\n  \"models\": [\n    // mine\n    {\"title\": \"A\"},\n    {\n      \"title\": \"byok (OpenAI)\",\n      \"model\": \"new\"\n    },\n    {\"title\": \"B\"}\n  ]\n}\n"
        );
        assert_eq!(json_models_set(&out, &items).unwrap(), out);
        assert_eq!(
            json_models_set(&out, &[]).unwrap(),
            "{\n  \"models\": [\n    // mine\n    {\"title\": \"A\"},\n    {\"title\": \"B\"}\n  ]\n}\n"
        );
        // No models yet: the list is created.
        let created = json_models_set("{\"a\": 1}\n", &items).unwrap();
        assert_eq!(
            jsonc::get(&created, &["models",]).unwrap().unwrap(),
            json!(items)
        );
        assert!(json_models_set("{\"models\": 3}", &items).is_err());
    }
}
