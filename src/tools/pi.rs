//! The code behind Pi's template (`templates/pi.toml`, hook `pi`): what the data can't
//! say. The template holds the two files, their values, sources and what was verified;
//! this module holds:
//!
//! - `after_plan`: the key command goes through a shell in single quotes, which can't hold
//!   a `'`; a byok path with one is refused rather than written broken.
//! - `diagnose`: byok's provider missing or without `api` (Pi drops it silently), a
//!   default provider other than byok's, and an unset key variable (Pi looks `apiKey` up as a variable name and sends the name itself when it
//!   is unset).
//!
//! The project `.pi/settings.json`, which Pi merges over the user's settings
//! (dist/core/settings-manager.js), is one of the template's `[[project_file]]`s.
//!
//! Paths mirror the template's `pi` root (`PI_CODING_AGENT_DIR`, else `~/.pi/agent`, on
//! every OS).

use std::path::PathBuf;

use anyhow::Result;
use serde_json::Value;

use super::KeyMode;
use super::generic::Hook;
use super::{Current, Finding, SetupOptions, Severity};
use crate::config_edit::jsonc;
use crate::env::Env;
use crate::error::UserError;
use crate::plan::Plan;
use crate::profile::{Gateway, KeySource};

/// Pi's hook.
pub struct PiHook;

/// The provider id byok adds under `providers`.
const PROVIDER: &str = "byok";

fn agent_dir(env: &Env) -> PathBuf {
    env.path_var("PI_CODING_AGENT_DIR")
        .unwrap_or_else(|| env.home.join(".pi").join("agent"))
}

/// Whether setup writes the key command (every key mode but an env-var profile's).
fn writes_command(opts: &SetupOptions, gw: &Gateway) -> bool {
    opts.key_mode == KeyMode::Helper || !matches!(gw.key, KeySource::Env { .. })
}

/// The JSON value of a file byok reads, `Null` when absent or not JSON.
fn json(cur: &Current, path: &std::path::Path) -> Value {
    cur.file(path)
        .and_then(|t| jsonc::parse(t).ok().flatten())
        .unwrap_or(Value::Null)
}

impl Hook for PiHook {
    fn after_plan(
        &self,
        _env: &Env,
        gw: &Gateway,
        opts: &SetupOptions,
        _cur: &Current,
        _plan: &mut Plan,
    ) -> Result<()> {
        if writes_command(opts, gw) && opts.exe.contains('\'') {
            return Err(UserError::new(format!(
                "can't write Pi's key command: byok's path {} holds a `'`, which the shell Pi runs it with can't take inside single quotes",
                opts.exe
            ))
            .hint("run byok from a path without `'` (move or link the executable) and set Pi up again")
            .into());
        }
        Ok(())
    }

    fn diagnose(&self, env: &Env, gw: &Gateway, cur: &Current) -> Vec<Finding> {
        let mut out = Vec::new();
        let setup = || Some("byok setup pi".to_string());
        let models = agent_dir(env).join("models.json");
        match cur.file(&models).map(jsonc::parse) {
            Some(Err(e)) => out.push(Finding {
                severity: Severity::Fail,
                message: format!(
                    "{} does not parse ({e}), so Pi ignores every provider in it",
                    env.tilde(&models)
                ),
                hint: Some("fix that line by hand".to_string()),
            }),
            _ => {
                let byok = &json(cur, &models)["providers"][PROVIDER];
                if byok.is_null() {
                    out.push(Finding {
                        severity: Severity::Fail,
                        message: format!("{} has no `providers.byok`", env.tilde(&models)),
                        hint: setup(),
                    });
                } else if byok["api"].as_str().is_none_or(str::is_empty) {
                    out.push(Finding {
                        severity: Severity::Fail,
                        message: format!(
                            "providers.byok in {} has no `api`, so Pi drops it without a word",
                            env.tilde(&models)
                        ),
                        hint: setup(),
                    });
                }
                if let KeySource::Env { var, .. } = &gw.key
                    && byok["apiKey"].as_str() == Some(var.as_str())
                    && env.var(var).is_none()
                {
                    out.push(Finding {
                        severity: Severity::Warn,
                        message: format!(
                            "{var} is not set here; Pi started without it sends the name `{var}` itself as the key"
                        ),
                        hint: Some(format!("export {var} in the shell you start Pi from")),
                    });
                }
            }
        }
        let settings = agent_dir(env).join("settings.json");
        match json(cur, &settings)["defaultProvider"].as_str() {
            Some(PROVIDER) => {}
            Some(other) => out.push(Finding {
                severity: Severity::Warn,
                message: format!(
                    "{} starts Pi with provider `{other}`, not byok's gateway",
                    env.tilde(&settings)
                ),
                hint: Some("pick a byok model with /model in Pi".to_string()),
            }),
            None => out.push(Finding {
                severity: Severity::Warn,
                message: format!(
                    "{} names no defaultProvider, so Pi starts with any provider that has a key (ANTHROPIC_API_KEY, …)",
                    env.tilde(&settings)
                ),
                hint: setup(),
            }),
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
    fn pi() -> &'static dyn Tool {
        crate::tools::get(ToolId::Pi).expect("pi is registered")
    }

    const KEY: &str = "sk-unit-0123456789abcdef";

    fn gw() -> Gateway {
        crate::tools::testing::gateway(KEY, "gw-model")
    }

    fn opts(exe: &str) -> SetupOptions {
        SetupOptions {
            exe: exe.into(),
            ..SetupOptions::default()
        }
    }

    #[test]
    fn paths_honour_pi_coding_agent_dir() {
        let det = pi().detect(&env(&[]), &Current::default());
        assert_eq!(
            det.config_files,
            ["/h/.pi/agent/models.json", "/h/.pi/agent/settings.json"].map(PathBuf::from)
        );
        let e = env(&[("PI_CODING_AGENT_DIR", "~/pi")]);
        assert_eq!(agent_dir(&e), PathBuf::from("/h/pi"));
        assert!(
            pi().inputs(&e)
                .files
                .contains(&PathBuf::from("/h/src/app/.pi/settings.json"))
        );
    }

    #[test]
    fn the_key_command_quotes_byoks_path_and_refuses_a_quote_in_it() {
        let e = env(&[]);
        let plan = pi()
            .plan(&e, &gw(), &opts("/opt/my tools/byok"), &cur(&[]))
            .unwrap();
        let models = plan.changes[0].after.as_deref().unwrap();
        assert!(
            models.contains("\"apiKey\": \"!'/opt/my tools/byok' print-key --profile 'default'\""),
            "{models}"
        );
        assert!(!models.contains(KEY) && !plan.changes[0].secret);
        let err = pi()
            .plan(&e, &gw(), &opts("/opt/it's/byok"), &cur(&[]))
            .unwrap_err();
        assert!(err.to_string().contains("holds a `'`"), "{err}");
    }

    #[test]
    fn diagnose_is_quiet_after_setup_and_names_what_wins() {
        let e = env(&[]);
        let mut c = cur(&[]);
        let plan = pi().plan(&e, &gw(), &opts("/usr/bin/byok"), &c).unwrap();
        apply(&mut c, &plan);
        assert_eq!(pi().diagnose(&e, &gw(), &c), []);
        let project = PathBuf::from("/h/src/app/.pi/settings.json");
        c.files.insert(
            project,
            Some("{\"defaultProvider\": \"openai\"}".to_string()),
        );
        // The project file is the template's to report.
        assert_eq!(pi().diagnose(&e, &gw(), &c), []);
        let reads = pi().project_reads(&e, &c);
        assert_eq!(
            reads[0].sets,
            [("defaultProvider".to_string(), Some("openai".to_string()))]
        );
    }
}
