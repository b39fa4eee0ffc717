//! The code behind Gemini CLI's template (`templates/gemini-cli.toml`, hook
//! `gemini-cli`): what the data can't say. The template holds the two files, their
//! values, sources and what was verified (and the project `.env` files Gemini CLI reads
//! instead of `~/.gemini/.env`); this module holds `diagnose`: the Gemini routes doctor
//! can't probe, a sign-in method other than the API key, shell variables that win over
//! the file, and folder trust.
//!
//! Paths mirror the template's `gemini_home` root (`GEMINI_CLI_HOME`, else the home).

use std::path::PathBuf;

use serde_json::json;

use super::generic::Hook;
use super::{Current, Finding, Severity};
use crate::config_edit::{dotenv, jsonc};
use crate::env::Env;
use crate::profile::Gateway;

/// Gemini CLI's hook.
pub struct GeminiHook;

const BASE_VAR: &str = "GOOGLE_GEMINI_BASE_URL";
const KEY_VAR: &str = "GEMINI_API_KEY";
const MODEL_VAR: &str = "GEMINI_MODEL";
const AUTH: [&str; 3] = ["security", "auth", "selectedType"];
const API_KEY_AUTH: &str = "gemini-api-key";

fn gemini_dir(env: &Env) -> PathBuf {
    env.path_var("GEMINI_CLI_HOME")
        .unwrap_or_else(|| env.home.clone())
        .join(".gemini")
}

fn dotenv_path(env: &Env) -> PathBuf {
    gemini_dir(env).join(".env")
}

fn settings_path(env: &Env) -> PathBuf {
    gemini_dir(env).join("settings.json")
}

impl Hook for GeminiHook {
    fn diagnose(&self, env: &Env, _gw: &Gateway, cur: &Current) -> Vec<Finding> {
        // The Gemini routes themselves are probed with the gateway (doctor's API section).
        let mut out = Vec::new();
        let settings = settings_path(env);
        match jsonc::get(cur.file(&settings).unwrap_or(""), &AUTH) {
            Err(e) => out.push(Finding {
                severity: Severity::Fail,
                message: format!("{} does not parse ({e})", env.tilde(&settings)),
                hint: Some("fix that line by hand".to_string()),
            }),
            Ok(v) if v != Some(json!(API_KEY_AUTH)) => out.push(Finding {
                severity: Severity::Fail,
                message: format!(
                    "{} does not select `{API_KEY_AUTH}` sign-in, so Gemini CLI won't use the \
                     gateway key",
                    env.tilde(&settings)
                ),
                hint: Some("byok setup gemini-cli".to_string()),
            }),
            Ok(_) => {}
        }
        let path = dotenv_path(env);
        let written = cur.file(&path).unwrap_or("");
        for var in [BASE_VAR, KEY_VAR, MODEL_VAR] {
            if let Some(shell) = env.var(var)
                && dotenv::get(written, var).is_some_and(|w| w != shell)
            {
                out.push(Finding {
                    severity: Severity::Warn,
                    message: format!(
                        "{var} is set in the environment and wins over {}",
                        env.tilde(&path)
                    ),
                    hint: Some(format!("unset {var}")),
                });
            }
        }
        out.push(Finding {
            severity: Severity::Info,
            message: format!(
                "Gemini CLI reads {} only in trusted folders",
                env.tilde(&path)
            ),
            hint: None,
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::testing::{apply, current as cur, env};
    use crate::tools::{SetupOptions, Tool, ToolId};

    /// The template tool, as the registry builds it.
    fn gemini() -> &'static dyn Tool {
        crate::tools::get(ToolId::GeminiCli).expect("gemini-cli is registered")
    }

    fn gw() -> Gateway {
        crate::tools::testing::gateway(KEY, "gemini-2.5-pro")
    }

    const KEY: &str = "sk-unit-0123456789abcdef";

    #[test]
    fn paths_honour_gemini_cli_home() {
        assert_eq!(dotenv_path(&env(&[])), PathBuf::from("/h/.gemini/.env"));
        assert_eq!(
            settings_path(&env(&[("GEMINI_CLI_HOME", "/g")])),
            PathBuf::from("/g/.gemini/settings.json")
        );
        // The `.env` files read instead of ~/.gemini/.env, closest first, are the
        // template's project files.
        let files = gemini().inputs(&env(&[])).files;
        let dotenvs: Vec<&PathBuf> = files.iter().filter(|p| p.ends_with(".env")).collect();
        assert_eq!(
            dotenvs,
            [
                "/h/.gemini/.env",
                "/h/src/app/.gemini/.env",
                "/h/src/app/.env",
                "/h/src/.gemini/.env",
                "/h/src/.env"
            ]
            .map(PathBuf::from)
            .iter()
            .collect::<Vec<_>>()
        );
    }

    #[test]
    fn fresh_setup_remove_round_trip() {
        let e = env(&[]);
        let mut c = cur(&[]);
        let plan = gemini()
            .plan(&e, &gw(), &SetupOptions::default(), &c)
            .unwrap();
        assert_eq!(
            plan.changes[0].after.as_deref(),
            Some(
                "{\n  \"security\": {\n    \"auth\": {\n      \"selectedType\": \"gemini-api-key\"\n    }\n  }\n}\n"
            )
        );
        assert_eq!(
            plan.changes[1].after.as_deref().unwrap(),
            format!(
                "GOOGLE_GEMINI_BASE_URL='https://gw.example' # managed by byok\n\
                 GEMINI_API_KEY='{KEY}' # managed by byok\n\
                 GEMINI_MODEL='gemini-2.5-pro' # managed by byok\n"
            )
        );
        assert!(plan.changes[1].secret && !plan.changes[0].secret);
        apply(&mut c, &plan);
        assert!(
            gemini()
                .plan(&e, &gw(), &SetupOptions::default(), &c)
                .unwrap()
                .is_up_to_date()
        );
        let removed = gemini().remove(&e, &SetupOptions::default(), &c).unwrap();
        assert_eq!(removed.changes[0].after, None);
        assert_eq!(removed.changes[1].after, None);
    }

    #[test]
    fn existing_files_keep_their_content() {
        let e = env(&[]);
        let settings = "{\n  // mine\n  \"ui\": { \"theme\": \"GitHub\" },\n  \"security\": { \"auth\": { \"selectedType\": \"oauth-personal\" } }\n}\n";
        let dot = "GOOGLE_CLOUD_PROJECT=my-proj\n";
        let c = cur(&[(&settings_path(&e), settings), (&dotenv_path(&e), dot)]);
        let plan = gemini()
            .plan(&e, &gw(), &SetupOptions::default(), &c)
            .unwrap();
        assert_eq!(
            plan.changes[0].after.as_deref(),
            Some(
                settings
                    .replace("oauth-personal", "gemini-api-key")
                    .as_str()
            )
        );
        let mut c2 = c.clone();
        apply(&mut c2, &plan);
        let removed = gemini().remove(&e, &SetupOptions::default(), &c2).unwrap();
        assert_eq!(
            removed.changes[0].after.as_deref(),
            Some("{\n  // mine\n  \"ui\": { \"theme\": \"GitHub\" }\n}\n")
        );
        assert_eq!(removed.changes[1].after.as_deref(), Some(dot));

        // With the sign-in method recorded at setup, remove gives it back byte for byte.
        c2.prior = gemini()
            .restorable(&e, &c)
            .into_iter()
            .filter_map(|(l, v)| Some((l, v?)))
            .collect();
        let removed = gemini().remove(&e, &SetupOptions::default(), &c2).unwrap();
        assert_eq!(removed.changes[0].after.as_deref(), Some(settings));
    }

    #[test]
    fn remove_puts_back_dotenv_lines_and_keeps_files_the_user_had() {
        let e = env(&[]);
        let dot = "# mine\nGEMINI_API_KEY=AIzaUserOwnKey0123456789\nGEMINI_MODEL='gemini 2.5'\n";
        let c = cur(&[(&settings_path(&e), "{}"), (&dotenv_path(&e), dot)]);
        let plan = gemini()
            .plan(&e, &gw(), &SetupOptions::default(), &c)
            .unwrap();
        let mut c2 = c.clone();
        apply(&mut c2, &plan);
        c2.prior = gemini()
            .restorable(&e, &c)
            .into_iter()
            .filter_map(|(l, v)| Some((l, v?)))
            .collect();
        c2.created = Some(Default::default());
        let removed = gemini().remove(&e, &SetupOptions::default(), &c2).unwrap();
        assert_eq!(removed.changes[0].after.as_deref(), Some("{}"));
        assert_eq!(removed.changes[1].after.as_deref(), Some(dot));
    }

    #[test]
    fn malformed_settings_is_an_error() {
        let e = env(&[]);
        let c = cur(&[(&settings_path(&e), "{ \"ui\": }")]);
        let err = gemini()
            .plan(&e, &gw(), &SetupOptions::default(), &c)
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("could not parse ~/.gemini/settings.json: line 1"),
            "{err}"
        );
    }

    #[test]
    fn diagnose_finds_shadowing_and_shell_overrides() {
        let e = env(&[("GEMINI_API_KEY", "other-key-0000000")]);
        let mut c = cur(&[(&PathBuf::from("/h/src/.env"), "DATABASE_URL=x\n")]);
        let plan = gemini()
            .plan(&e, &gw(), &SetupOptions::default(), &c)
            .unwrap();
        apply(&mut c, &plan);
        let found = gemini().diagnose(&e, &gw(), &c);
        let sev: Vec<Severity> = found.iter().map(|f| f.severity).collect();
        assert_eq!(sev, [Severity::Warn, Severity::Info], "{found:#?}");
        assert!(found[0].message.starts_with("GEMINI_API_KEY"));
        // A project `.env`, read instead of ~/.gemini/.env, is the template's to report.
        let reads = gemini().project_reads(&e, &c);
        assert_eq!(reads.len(), 1);
        assert_eq!(reads[0].path, PathBuf::from("/h/src/.env"));
        assert!(reads[0].replaces && reads[0].decides());
    }
}
