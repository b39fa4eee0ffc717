//! The code behind Crush's template (`templates/crush.toml`, hook `crush`): files that
//! Crush merges after the `crush.json` byok writes, so their values win. Crush's data
//! file keeps keys typed into its UI (`providers.<id>.api_key`), and a `crushrc` (the
//! Bash-like config of v0.88+) in the same directory may select other models.
//!
//! Paths follow `internal/config/load.go`: `GlobalConfigData` (CRUSH_GLOBAL_DATA,
//! XDG_DATA_HOME, %LOCALAPPDATA% on Windows, else ~/.local/share) and the template's
//! `crush` root.

use std::path::PathBuf;

use super::generic::Hook;
use super::{Current, Finding, Inputs, Severity};
use crate::config_edit::jsonc;
use crate::env::{Env, Os};
use crate::profile::Gateway;

/// Crush's hook.
pub struct CrushHook;

/// Crush's data file, merged after the global config.
fn data_file(env: &Env) -> PathBuf {
    if let Some(dir) = env.path_var("CRUSH_GLOBAL_DATA") {
        return dir.join("crush.json");
    }
    let base = match (env.var("XDG_DATA_HOME"), env.os) {
        (Some(_), _) => env.xdg_data_home(),
        (None, Os::Windows) => env.local_app_data(),
        (None, _) => env.home.join(".local").join("share"),
    };
    base.join("crush").join("crush.json")
}

/// The `crushrc` beside the `crush.json` byok writes (the template's `crush` root).
fn crushrc(env: &Env) -> PathBuf {
    let dir = env
        .path_var("CRUSH_GLOBAL_CONFIG")
        .unwrap_or_else(|| match env.os {
            Os::Windows => env.home.join(".config").join("crush"),
            _ => env.xdg_config_home().join("crush"),
        });
    dir.join("crushrc")
}

/// Whether a `crushrc` line is a command that selects a model or redefines byok's provider.
fn overrides(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    matches!(
        words.as_slice(),
        ["model", "large" | "small", ..] | ["provider", "add", "byok", ..]
    )
}

impl Hook for CrushHook {
    fn inputs(&self, env: &Env, inputs: &mut Inputs) {
        inputs.files.push(data_file(env));
        inputs.files.push(crushrc(env));
    }

    fn diagnose(&self, env: &Env, _gw: &Gateway, cur: &Current) -> Vec<Finding> {
        let mut out = Vec::new();
        let data = data_file(env);
        if let Some(text) = cur.file(&data) {
            for field in ["api_key", "base_url"] {
                if matches!(jsonc::get(text, &["providers", "byok", field]), Ok(Some(_))) {
                    out.push(Finding {
                        severity: Severity::Warn,
                        message: format!(
                            "{} sets providers.byok.{field}, which wins over the config byok wrote",
                            env.tilde(&data)
                        ),
                        hint: Some(format!(
                            "delete providers.byok from {} (Crush keeps keys typed into its UI there)",
                            env.tilde(&data)
                        )),
                    });
                }
            }
        }
        let rc = crushrc(env);
        if let Some(line) = cur
            .file(&rc)
            .and_then(|t| t.lines().map(str::trim).find(|l| overrides(l)))
        {
            out.push(Finding {
                severity: Severity::Warn,
                message: format!(
                    "{} runs `{line}`, which wins over the crush.json byok wrote",
                    env.tilde(&rc)
                ),
                hint: Some("take that line out, or point it at provider `byok`".to_string()),
            });
        }
        out
    }
}
