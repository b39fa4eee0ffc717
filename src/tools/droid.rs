//! The code behind Factory Droid's template (`templates/droid.toml`, hook `droid`): the
//! legacy `~/.factory/config.json`, which Droid still reads (merged, settings.json wins)
//! and byok never writes, and a project's `.factory/settings.json` that selects another
//! session model. `diagnose` names them.

use std::path::PathBuf;

use super::generic::Hook;
use super::{Current, Finding, Inputs, Severity};
use crate::config_edit::jsonc;
use crate::env::Env;
use crate::profile::Gateway;

/// Factory Droid's hook.
pub struct DroidHook;

fn factory_dir(env: &Env) -> PathBuf {
    env.path_var("FACTORY_HOME_OVERRIDE")
        .unwrap_or_else(|| env.home.clone())
        .join(".factory")
}

fn legacy(env: &Env) -> PathBuf {
    factory_dir(env).join("config.json")
}

fn project(env: &Env) -> PathBuf {
    env.cwd.join(".factory").join("settings.json")
}

impl Hook for DroidHook {
    fn inputs(&self, env: &Env, inputs: &mut Inputs) {
        inputs.files.push(legacy(env));
        if project(env) != factory_dir(env).join("settings.json") {
            inputs.files.push(project(env));
        }
    }

    fn diagnose(&self, env: &Env, _gw: &Gateway, cur: &Current) -> Vec<Finding> {
        let mut out = Vec::new();
        if cur.file(&legacy(env)).is_some() {
            out.push(Finding {
                severity: Severity::Info,
                message: format!(
                    "{} (Droid's legacy config) is read too; byok leaves it as it is and settings.json wins",
                    env.tilde(&legacy(env))
                ),
                hint: None,
            });
        }
        let p = project(env);
        if p != factory_dir(env).join("settings.json")
            && let Some(text) = cur.file(&p)
            && matches!(
                jsonc::get(text, &["sessionDefaultSettings", "model"]),
                Ok(Some(_))
            )
        {
            out.push(Finding {
                severity: Severity::Warn,
                message: format!(
                    "Droid started here reads {}, which selects another session model",
                    env.tilde(&p)
                ),
                hint: Some("take sessionDefaultSettings.model out of that file".to_string()),
            });
        }
        out
    }
}
