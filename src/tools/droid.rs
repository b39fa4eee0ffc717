//! The code behind Factory Droid's template (`templates/droid.toml`, hook `droid`): the
//! legacy `~/.factory/config.json`, which Droid still reads (merged, settings.json wins)
//! and byok never writes; `diagnose` names it. (A project's `.factory/settings.json` is
//! one of the template's `[[project_file]]`s.)

use std::path::PathBuf;

use super::generic::Hook;
use super::{Current, Finding, Inputs, Severity};
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

impl Hook for DroidHook {
    fn inputs(&self, env: &Env, inputs: &mut Inputs) {
        inputs.files.push(legacy(env));
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
        out
    }
}
