//! The code behind Continue's template (`templates/continue.toml`, hook `continue`):
//! what the data can't say.
//!
//! - Which config Continue reads: `config.yaml` wins; the deprecated `config.json` is read
//!   only when there is no `config.yaml` (`core/config/profile/doLoadConfig.ts`). So setup
//!   edits config.json (the key written into byok's entries, the file 0600) while it is
//!   the sole config, and config.yaml with its `.env` otherwise, never creating a
//!   config.yaml that would hide a config.json; `remove` leaves alone an ignored
//!   config.json that does not parse (it holds nothing of byok's).
//! - `BYOK_API_KEY` and the entries named `byok (…)` are byok's own names: what is found
//!   there before setup is an older byok's (the `outdated` fixture), not the user's, so
//!   `remove` takes it out rather than giving it back.
//! - Notes: which file was edited, that Continue's Anthropic provider sends `x-api-key`;
//!   the reload step only after a change.
//! - The user's other secrets in these files (every `.env` value, secret settings in the
//!   configs) are masked in everything byok prints.
//! - Secret lookup order, which `diagnose` checks: the extension reads
//!   `~/.continue/.env`, then `<workspace>/.continue/.env`, `<workspace>/.env`, then the
//!   process environment; `cn` reads the process environment first, and loads `./.env`
//!   into it at start (`dotenv.config()` in `extensions/cli/src/env.ts`), so a `.env` in
//!   the directory `cn` runs in overrides `~/.continue/.env` (`CLIPlatformClient.ts`).
//!
//! Verified against `@continuedev/cli` 1.5.47 (npm; bundles dotenv 16.6.1), 2026-11-27: a
//! `BYOK_API_KEY` in `./.env` replaced the key for `cn`; one in `./.continue/.env` did not.
//! What `cn` sent with byok's files is in the template's `verified`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::Value as Json;

use super::generic::Hook;
use super::{Current, Finding, Inputs, SetupOptions, Severity};
use crate::config_edit::{dotenv, jsonc, yaml};
use crate::env::Env;
use crate::plan::Plan;
use crate::profile::{AnthropicAuth, Gateway};

/// Continue's hook.
pub struct ContinueHook;

/// The secret byok's config.yaml entries reference (the template's `.env` value).
const SECRET: &str = "BYOK_API_KEY";
/// The template's file ids.
const YAML: &str = "config.yaml";
const JSON: &str = "config.json";
const DOTENV: &str = ".env";

/// Where Continue keeps its global files (the template's `{continue}` root).
struct Paths {
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
            yaml: dir.join(YAML),
            json: dir.join(JSON),
            env: dir.join(DOTENV),
            cwd_env: env.cwd.join(".env"),
            cwd_continue_env: env.cwd.join(".continue").join(".env"),
        }
    }

    /// config.json is the config only when it exists and config.yaml does not.
    fn uses_json(&self, cur: &Current) -> bool {
        cur.file(&self.json).is_some() && cur.file(&self.yaml).is_none()
    }
}

impl Hook for ContinueHook {
    fn inputs(&self, env: &Env, inputs: &mut Inputs) {
        let p = Paths::new(env);
        inputs.files.extend([p.cwd_env, p.cwd_continue_env]);
    }

    fn skips(&self, env: &Env, cur: &Current, file: &str, setup: bool) -> bool {
        let p = Paths::new(env);
        let json = p.uses_json(cur);
        match (file, setup) {
            (JSON, true) => !json,
            (YAML | DOTENV, true) => json,
            // An ignored config.json that does not parse holds nothing byok wrote.
            (JSON, false) => !json && cur.file(&p.json).is_some_and(|t| jsonc::parse(t).is_err()),
            _ => false,
        }
    }

    fn after_plan(
        &self,
        env: &Env,
        gw: &Gateway,
        _opts: &SetupOptions,
        cur: &Current,
        plan: &mut Plan,
    ) -> Result<()> {
        let p = Paths::new(env);
        if p.uses_json(cur) {
            plan.notes.push(format!(
                "{} is deprecated, but it is the config Continue reads here, so byok edited it and did not create a config.yaml (which would hide it); config.json can't reference secrets, so the key is written into it (mode 0600); the `cn` CLI reads only config.yaml",
                env.tilde(&p.json)
            ));
        } else if cur.file(&p.json).is_some() {
            plan.notes.push(format!(
                "{} is ignored by Continue because {} exists",
                env.tilde(&p.json),
                env.tilde(&p.yaml)
            ));
        }
        if plan.is_up_to_date() {
            // Reloading is for a change.
            plan.manual_steps.clear();
        } else if gw.anthropic_model.is_some() && gw.anthropic_auth == AnthropicAuth::Bearer {
            plan.notes.push(
                "Continue's Anthropic provider sends the key as `x-api-key`, not as a bearer token; the gateway must accept that header on /v1/messages".to_string(),
            );
        }
        Ok(())
    }

    fn restorable(&self, _env: &Env, _cur: &Current, out: &mut [(String, Option<String>)]) {
        // byok's own names: an older byok's values, nothing of the user's to give back.
        for (_, prior) in out {
            *prior = None;
        }
    }

    fn secrets(&self, env: &Env, cur: &Current) -> Vec<String> {
        user_secrets(&Paths::new(env), cur)
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
