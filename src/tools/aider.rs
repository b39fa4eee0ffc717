//! The code behind Aider's template (`templates/aider.toml`, hook `aider`): what the data
//! can't say. The template holds `~/.aider.conf.yml` and its values, sources and what was
//! verified; this module holds:
//!
//! - the `openai/<model>` entry in `~/.aider.model.metadata.json` (`after_plan`,
//!   `after_remove`): that file's top-level keys are model names, which a template key
//!   path can't hold (it has no placeholders, so `remove` works without a profile). Setup
//!   adds the entry only where the file has none for the model; remove takes it out while
//!   it is still byok's, and the file with it when byok created it and nothing else is left.
//! - the note for a profile that keeps its key in a variable other than OPENAI_API_KEY.
//! - `diagnose`: an exported OPENAI_BASE_URL (LiteLLM reads it before Aider's
//!   `openai-api-base`), AIDER_* variables in the shell or a `.env` (Aider loads `.env`
//!   files over the shell). Project `.aider.conf.yml` files that win over the user's are
//!   the template's `[[project_file]]`s.
//!
//! The files have the same names on every OS, below the home (Python's `Path.home()`).

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::{Value, json};

use super::generic::Hook;
use super::{Current, Finding, Inputs, SetupOptions, Severity};
use crate::config_edit::{dotenv, jsonc, yaml_keys};
use crate::env::Env;
use crate::plan::{Change, Plan};
use crate::profile::{Gateway, KeySource};

/// Aider's hook.
pub struct AiderHook;

const CONF: &str = ".aider.conf.yml";
const METADATA: &str = ".aider.model.metadata.json";
/// The variable LiteLLM's OpenAI branch reads the key from.
const OPENAI_KEY: &str = "OPENAI_API_KEY";
/// Variables that beat `~/.aider.conf.yml` (AIDER_* over every config file; LiteLLM reads
/// OPENAI_BASE_URL before the OPENAI_API_BASE Aider sets).
const WINNERS: &[&str] = &[
    "OPENAI_BASE_URL",
    "AIDER_MODEL",
    "AIDER_OPENAI_API_BASE",
    "AIDER_OPENAI_API_KEY",
];

fn conf_path(env: &Env) -> PathBuf {
    env.home.join(CONF)
}

fn metadata_path(env: &Env) -> PathBuf {
    env.home.join(METADATA)
}

/// The directories below the home Aider may read project files from: the working
/// directory and its parents (one of them may be the git root).
fn project_dirs(env: &Env) -> Vec<PathBuf> {
    env.cwd
        .ancestors()
        .take(32)
        .take_while(|d| *d != env.home)
        .map(Path::to_path_buf)
        .collect()
}

/// The `.env` files Aider loads over the shell: the home's, then the project's.
fn dotenv_files(env: &Env) -> Vec<PathBuf> {
    std::iter::once(env.home.join(".env"))
        .chain(project_dirs(env).into_iter().map(|d| d.join(".env")))
        .collect()
}

/// The metadata entry byok writes for a gateway model: a context window and no cost, so
/// Aider neither warns about an unknown model nor guesses prices.
fn metadata_entry() -> Value {
    json!({
        "max_tokens": 8192,
        "max_input_tokens": 128000,
        "max_output_tokens": 8192,
        "input_cost_per_token": 0,
        "output_cost_per_token": 0,
        "litellm_provider": "openai",
        "mode": "chat"
    })
}

/// The `model` `~/.aider.conf.yml` selects, if any.
fn conf_model(text: &str) -> Option<String> {
    yaml_keys::get(text, &["model"])
        .ok()
        .flatten()
        .and_then(|v| v.as_str().map(str::to_string))
}

impl Hook for AiderHook {
    fn inputs(&self, env: &Env, inputs: &mut Inputs) {
        inputs.files.push(metadata_path(env));
        inputs.files.extend(dotenv_files(env));
    }

    fn after_plan(
        &self,
        env: &Env,
        gw: &Gateway,
        _opts: &SetupOptions,
        cur: &Current,
        plan: &mut Plan,
    ) -> Result<()> {
        if let KeySource::Env { var, .. } = &gw.key
            && var != OPENAI_KEY
        {
            plan.notes.push(format!(
                "Aider reads the key from {OPENAI_KEY}, not {var}: export {OPENAI_KEY}=\"${var}\" in the shell you start Aider from"
            ));
        }
        let Some(model) = gw.model.as_deref() else {
            return Ok(());
        };
        let path = metadata_path(env);
        let before = cur.file(&path);
        let name = format!("openai/{model}");
        match jsonc::get(before.unwrap_or(""), &[name.as_str()]) {
            Ok(Some(_)) => {}
            Ok(None) => {
                let after = jsonc::set(before.unwrap_or(""), &[name.as_str()], &metadata_entry())
                    .map_err(|e| crate::config_edit::unparsable(env, &path, &e))?;
                plan.changes.push(Change::file(
                    path,
                    before.map(str::to_string),
                    Some(after),
                    false,
                ));
            }
            Err(e) => plan.notes.push(format!(
                "{} does not parse ({e}), so byok left it; Aider stops on it too",
                env.tilde(&path)
            )),
        }
        Ok(())
    }

    fn after_remove(&self, env: &Env, cur: &Current, plan: &mut Plan) -> Result<()> {
        let Some(model) = cur.file(&conf_path(env)).and_then(conf_model) else {
            return Ok(());
        };
        let path = metadata_path(env);
        let Some(before) = cur.file(&path) else {
            return Ok(());
        };
        // Only byok's own entry (the user may have tuned it since: then it is theirs).
        if jsonc::get(before, &[model.as_str()]).ok().flatten() != Some(metadata_entry()) {
            return Ok(());
        }
        let after = jsonc::remove(before, &[model.as_str()], false)
            .map_err(|e| crate::config_edit::unparsable(env, &path, &e))?;
        let gone = crate::config_edit::doc::is_blank(crate::templates::Format::Json, &after)
            && cur.may_delete(&path);
        plan.changes.push(Change::file(
            path,
            Some(before.to_string()),
            (!gone).then_some(after),
            false,
        ));
        Ok(())
    }

    fn diagnose(&self, env: &Env, gw: &Gateway, cur: &Current) -> Vec<Finding> {
        let mut out = Vec::new();
        let conf = conf_path(env);
        let text = cur.file(&conf).unwrap_or("");
        let base = yaml_keys::get(text, &["openai-api-base"]).ok().flatten();
        let base = base
            .as_ref()
            .and_then(Value::as_str)
            .unwrap_or(&gw.openai_base);
        for var in WINNERS {
            match env.var(var) {
                Some(v) if *var == "OPENAI_BASE_URL" && v == base => {}
                Some(v) => out.push(Finding {
                    severity: Severity::Warn,
                    message: format!(
                        "{var} is set to {} in this shell and wins over {}",
                        crate::secret::redact(v),
                        env.tilde(&conf)
                    ),
                    hint: Some(format!("unset {var} before starting Aider")),
                }),
                None => {}
            }
        }
        for file in dotenv_files(env) {
            let Some(dot) = cur.file(&file) else {
                continue;
            };
            let set: Vec<&str> = WINNERS
                .iter()
                .copied()
                .filter(|v| dotenv::get(dot, v).is_some())
                .collect();
            if !set.is_empty() {
                out.push(Finding {
                    severity: Severity::Warn,
                    message: format!(
                        "{} sets {}; Aider loads it over the shell and it wins over {}",
                        env.tilde(&file),
                        set.join(", "),
                        env.tilde(&conf)
                    ),
                    hint: Some("take those lines out of that file".to_string()),
                });
            }
        }
        if let KeySource::Env { var, .. } = &gw.key
            && yaml_keys::get(text, &["openai-api-key"])
                .ok()
                .flatten()
                .is_none()
            && env.var(OPENAI_KEY).is_none()
        {
            out.push(Finding {
                severity: Severity::Warn,
                message: format!(
                    "{OPENAI_KEY} is not set here, so Aider has no key for the gateway"
                ),
                hint: Some(format!(
                    "export {OPENAI_KEY}=\"${var}\" before starting Aider"
                )),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::testing::{apply, current as cur, env};
    use crate::tools::{Tool, ToolId};

    /// The template tool, as the registry builds it.
    fn aider() -> &'static dyn Tool {
        crate::tools::get(ToolId::Aider).expect("aider is registered")
    }

    const KEY: &str = "sk-unit-0123456789abcdef";

    fn gw() -> Gateway {
        crate::tools::testing::gateway(KEY, "gw-model")
    }

    #[test]
    fn setup_writes_the_conf_and_a_metadata_entry_and_remove_takes_both_out() {
        let e = env(&[]);
        let mut c = cur(&[]);
        let plan = aider()
            .plan(&e, &gw(), &SetupOptions::default(), &c)
            .unwrap();
        assert_eq!(
            plan.changes[0].after.as_deref().unwrap(),
            format!(
                "model: openai/gw-model\nopenai-api-base: https://gw.example/v1\nopenai-api-key: {KEY}\n"
            )
        );
        assert!(plan.changes[0].secret);
        assert_eq!(
            plan.changes[1].path,
            PathBuf::from("/h/.aider.model.metadata.json")
        );
        let meta: Value = serde_json::from_str(plan.changes[1].after.as_deref().unwrap()).unwrap();
        assert_eq!(meta, json!({ "openai/gw-model": metadata_entry() }));
        apply(&mut c, &plan);
        assert!(
            aider()
                .plan(&e, &gw(), &SetupOptions::default(), &c)
                .unwrap()
                .is_up_to_date()
        );
        assert_eq!(aider().diagnose(&e, &gw(), &c), []);
        let removed = aider().remove(&e, &SetupOptions::default(), &c).unwrap();
        assert!(
            removed.changes.iter().all(|ch| ch.after.is_none()),
            "{removed:?}"
        );
    }

    #[test]
    fn an_existing_metadata_entry_is_the_users() {
        let e = env(&[]);
        let mine = "{\n  \"openai/gw-model\": { \"max_input_tokens\": 200000 }\n}\n";
        let c = cur(&[(&metadata_path(&e), mine)]);
        let plan = aider()
            .plan(&e, &gw(), &SetupOptions::default(), &c)
            .unwrap();
        assert!(plan.changes.iter().all(|ch| ch.path != metadata_path(&e)));
    }

    #[test]
    fn diagnose_names_what_wins_over_the_conf() {
        let e = env(&[("OPENAI_BASE_URL", "https://api.openai.com/v1")]);
        let c = cur(&[
            (Path::new("/h/src/.env"), "AIDER_MODEL=gpt-4o\n"),
            (Path::new("/h/src/app/.aider.conf.yml"), "model: sonnet\n"),
        ]);
        let found = aider().diagnose(&e, &gw(), &c);
        let msgs: Vec<&str> = found.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "OPENAI_BASE_URL is set to https://api.openai.com/v1 in this shell and wins over ~/.aider.conf.yml",
                "~/src/.env sets AIDER_MODEL; Aider loads it over the shell and it wins over ~/.aider.conf.yml",
            ]
        );
        // The project conf is the template's to report.
        let reads = aider().project_reads(&e, &c);
        assert_eq!(reads.len(), 1);
        assert_eq!(
            reads[0].sets,
            [("model".to_string(), Some("sonnet".to_string()))]
        );
    }
}
