//! The code behind Goose's template (`templates/goose.toml`, hook `goose`): what the
//! data can't say. Where Goose finds the key depends on the profile (the variable named
//! in `api_key_env`), so setup says which; doctor reports shell variables that win over
//! `config.yaml` and a `GOOSE_PATH_ROOT` that moves Goose's config dir away from the
//! files byok wrote.

use super::generic::Hook;
use super::{Current, Finding, SetupOptions, Severity};
use crate::env::Env;
use crate::plan::Plan;
use crate::profile::{Gateway, KeySource};

/// Goose's hook.
pub struct GooseHook;

/// The variable Goose reads the key from for a profile that holds the key itself (the
/// template's `api_key_env` literal variant); `byok env` exports it.
const LITERAL_KEY_VAR: &str = "OPENAI_API_KEY";

/// The variable Goose looks the key up in, for this profile.
fn key_var(gw: &Gateway) -> &str {
    match &gw.key {
        KeySource::Env { var, .. } => var,
        _ => LITERAL_KEY_VAR,
    }
}

impl Hook for GooseHook {
    fn after_plan(
        &self,
        _env: &Env,
        gw: &Gateway,
        _opts: &SetupOptions,
        _cur: &Current,
        plan: &mut Plan,
    ) -> anyhow::Result<()> {
        if plan.effective().next().is_none() {
            return Ok(());
        }
        plan.notes.push(match &gw.key {
            KeySource::Env { var, .. } => format!(
                "Goose reads the key from ${var} (environment first, then its keyring): export it where you start Goose"
            ),
            _ => format!(
                "Goose reads the key from ${LITERAL_KEY_VAR} (environment first, then its keyring), never from a file: `byok env --install` exports it with this profile's key"
            ),
        });
        Ok(())
    }

    fn diagnose(&self, env: &Env, gw: &Gateway, _cur: &Current) -> Vec<Finding> {
        let mut out = Vec::new();
        let wanted = [
            ("GOOSE_PROVIDER", Some("byok")),
            ("GOOSE_MODEL", gw.model.as_deref()),
        ];
        for (var, want) in wanted {
            if let Some(now) = env.var(var)
                && Some(now) != want
            {
                out.push(Finding {
                    severity: Severity::Warn,
                    message: format!(
                        "{var}={now} is set in the environment and wins over Goose's config.yaml"
                    ),
                    hint: Some(format!("unset {var}")),
                });
            }
        }
        if let Some(root) = env.path_var("GOOSE_PATH_ROOT") {
            out.push(Finding {
                severity: Severity::Warn,
                message: format!(
                    "GOOSE_PATH_ROOT is set, so Goose reads {} instead of the files byok wrote",
                    env.tilde(&root.join("config"))
                ),
                hint: Some(
                    "unset GOOSE_PATH_ROOT, or copy custom_providers/byok.json and GOOSE_PROVIDER / GOOSE_MODEL there"
                        .to_string(),
                ),
            });
        }
        let var = key_var(gw);
        if env.var(var).is_none() {
            out.push(Finding {
                severity: Severity::Warn,
                message: format!(
                    "${var} is not set in this shell, so Goose started here looks for the key in its keyring"
                ),
                hint: Some(match &gw.key {
                    KeySource::Env { .. } => format!("export {var}=… where you start Goose"),
                    _ => "`byok env --install`, then open a new shell".to_string(),
                }),
            });
        }
        out
    }
}
