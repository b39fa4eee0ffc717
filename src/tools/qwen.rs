//! The code behind Qwen Code's template (`templates/qwen-code.toml`, hook `qwen-code`):
//! what the data can't say. A project's `.qwen/settings.json` (in the working directory
//! or a parent below the home) with `modelProviders` replaces the user's list instead of
//! merging with it, and one with `model.name` picks another model, so Qwen started there
//! does not use byok's item; `diagnose` names the file. A literal key in the shell's
//! `BYOK_QWEN_API_KEY` beats the one in `~/.qwen/.env`.

use std::path::PathBuf;

use super::generic::Hook;
use super::{Current, Finding, Inputs, Severity};
use crate::config_edit::{dotenv, jsonc};
use crate::env::Env;
use crate::profile::Gateway;

/// Qwen Code's hook.
pub struct QwenHook;

/// The variable byok's `.env` holds the key in (see the template).
const KEY_VAR: &str = "BYOK_QWEN_API_KEY";

fn qwen_dir(env: &Env) -> PathBuf {
    env.path_var("QWEN_HOME")
        .unwrap_or_else(|| env.home.join(".qwen"))
}

/// Project settings Qwen started in the working directory would read: `.qwen/settings.json`
/// in it and each parent up to (not including) the home.
fn project_settings(env: &Env) -> Vec<PathBuf> {
    let user = qwen_dir(env).join("settings.json");
    env.cwd
        .ancestors()
        .take(32)
        .take_while(|d| *d != env.home)
        .map(|d| d.join(".qwen").join("settings.json"))
        .filter(|p| *p != user)
        .collect()
}

impl Hook for QwenHook {
    fn inputs(&self, env: &Env, inputs: &mut Inputs) {
        inputs.files.extend(project_settings(env));
    }

    fn diagnose(&self, env: &Env, _gw: &Gateway, cur: &Current) -> Vec<Finding> {
        let mut out = Vec::new();
        for p in project_settings(env) {
            let Some(text) = cur.file(&p) else {
                continue;
            };
            for (key, what) in [
                (
                    &["modelProviders"][..],
                    "`modelProviders`, which replaces your list",
                ),
                (
                    &["model", "name"][..],
                    "`model.name`, which picks another model",
                ),
            ] {
                if matches!(jsonc::get(text, key), Ok(Some(_))) {
                    out.push(Finding {
                        severity: Severity::Warn,
                        message: format!(
                            "Qwen Code started here reads {}: it sets {what}",
                            env.tilde(&p)
                        ),
                        hint: Some(format!(
                            "take {} out of that file, or start Qwen Code elsewhere",
                            key.join(".")
                        )),
                    });
                }
            }
        }
        let dotenv_path = qwen_dir(env).join(".env");
        if let Some(shell) = env.var(KEY_VAR)
            && dotenv::get(cur.file(&dotenv_path).unwrap_or(""), KEY_VAR)
                .is_some_and(|w| w != shell)
        {
            out.push(Finding {
                severity: Severity::Warn,
                message: format!(
                    "{KEY_VAR} is set in the environment and wins over {}",
                    env.tilde(&dotenv_path)
                ),
                hint: Some(format!("unset {KEY_VAR}")),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::tools::testing::{current, env, gateway};

    #[test]
    fn a_project_list_is_reported() {
        let mut e = env(&[]);
        e.cwd = e.home.join("work/app");
        let project = e.cwd.join(".qwen/settings.json");
        let cur = current(&[(
            Path::new(&project),
            "{\"modelProviders\": {\"openai\": []}}",
        )]);
        let found = QwenHook.diagnose(&e, &gateway("sk-x-0123456789", "m"), &cur);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "Qwen Code started here reads ~/work/app/.qwen/settings.json: it sets `modelProviders`, which replaces your list"
        );
        assert!(project_settings(&e).contains(&project));
    }
}
