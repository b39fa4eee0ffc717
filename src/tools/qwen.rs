//! The code behind Qwen Code's template (`templates/qwen-code.toml`, hook `qwen-code`):
//! what the data can't say. A literal key in the shell's `BYOK_QWEN_API_KEY` beats the
//! one in `~/.qwen/.env`. (A project's `.qwen/settings.json`, whose `modelProviders`
//! replaces the user's list, is one of the template's `[[project_file]]`s.)

use std::path::PathBuf;

use super::generic::Hook;
use super::{Current, Finding, Severity};
use crate::config_edit::dotenv;
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

impl Hook for QwenHook {
    fn diagnose(&self, env: &Env, _gw: &Gateway, cur: &Current) -> Vec<Finding> {
        let mut out = Vec::new();
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
    use super::*;
    use crate::tools::ToolId;
    use crate::tools::testing::{current, env, gateway};

    #[test]
    fn a_project_list_is_a_project_file_that_replaces_yours() {
        let mut e = env(&[]);
        e.cwd = e.home.join("work/app");
        let project = e.cwd.join(".qwen/settings.json");
        let cur = current(&[(
            project.as_path(),
            "{\"modelProviders\": {\"openai\": [{\"id\": \"m\", \"baseUrl\": \"https://corp/v1\"}]}}",
        )]);
        let qwen = crate::tools::get(ToolId::QwenCode).expect("registered");
        assert!(qwen.inputs(&e).files.contains(&project));
        let reads = qwen.project_reads(&e, &cur);
        assert_eq!(reads.len(), 1);
        assert_eq!(reads[0].base_urls, ["https://corp/v1"]);
        assert_eq!(reads[0].sets, [("modelProviders".to_string(), None)]);
        assert!(
            QwenHook
                .diagnose(&e, &gateway("sk-x-0123456789", "m"), &cur)
                .is_empty()
        );
    }
}
