//! Gemini CLI (`gemini`, npm `@google/gemini-cli`): Google's terminal agent. It speaks
//! only Google's Gemini API (`POST <root>/v1beta/models/<model>:streamGenerateContent`,
//! key in `x-goog-api-key`), so the gateway must serve Gemini routes; an OpenAI- or
//! Anthropic-only gateway will not work with it.
//!
//! Files (the same on Linux, macOS and Windows; `GEMINI_CLI_HOME` replaces the home
//! directory that holds `.gemini`):
//! - `~/.gemini/.env` (mode 0600): byok owns `GOOGLE_GEMINI_BASE_URL` (the gateway
//!   root; the SDK adds `/v1beta/…`), `GEMINI_API_KEY` and, when the profile has a model,
//!   `GEMINI_MODEL`, written with [`config_edit::dotenv`] (Gemini CLI reads the file with
//!   the same npm `dotenv`). Other lines are kept.
//! - `~/.gemini/settings.json` (JSON with comments): byok owns
//!   `security.auth.selectedType = "gemini-api-key"`. Without it Gemini CLI 0.61 sees
//!   `GOOGLE_GEMINI_BASE_URL`, picks the `gateway` auth type and stops with "Invalid auth
//!   method selected." (exit 41).
//!
//! `remove` takes byok's lines and sign-in choice out and puts back what the user had
//! before setup (their own key line, their sign-in method, kept in the drift record);
//! a `settings.json` or `.env` the user had stays, even as `{}` or blank.
//!
//! Limits, printed as notes and found by `diagnose`:
//! - Gemini CLI loads `~/.gemini/.env` only when the working folder is trusted (folder
//!   trust is on by default); in an untrusted folder it ignores the file and asks for
//!   `GEMINI_API_KEY`. The shell environment always works and wins over `.env`.
//! - The first `.gemini/.env` or `.env` found walking up from the working directory is
//!   the only one read, so a project's own `.env` shadows `~/.gemini/.env`.
//! - `byok doctor` has no Gemini-route probe, so [`Tool::endpoints`] is empty.
//!
//! Sources: `google-gemini/gemini-cli` `docs/reference/configuration.md` (env vars,
//! `.env` search), `packages/cli/src/config/settings.ts` (`findEnvFile`,
//! `loadEnvironment`: trusted folders only, shell values win),
//! `packages/cli/src/config/trustedFolders.ts` (`security.folderTrust.enabled` defaults
//! to true), `packages/core/src/utils/paths.ts` (`GEMINI_CLI_HOME`).
//!
//! Verified against Gemini CLI 0.61.0, 2026-11-27 (bundled code and real runs with a
//! clean environment: `PATH` and `HOME`): with byok's two files, `gemini -p "hi"` in a
//! trusted folder sent `POST /v1beta/models/<model>:streamGenerateContent?alt=sse` to
//! the gateway with `x-goog-api-key: <key>`; in an untrusted folder it exited 41 without
//! a request.

use std::path::PathBuf;

use anyhow::Result;
use serde_json::{Value, json};

use super::{Current, Detection, Endpoint, Finding, Inputs, SetupOptions, Severity, Tool, ToolId};
use crate::cli::KeyMode;
use crate::config_edit::{self, dotenv, jsonc};
use crate::env::Env;
use crate::error::UserError;
use crate::plan::{Change, Plan};
use crate::profile::Gateway;

/// The Gemini CLI adapter.
pub struct GeminiCli;

const BASE_VAR: &str = "GOOGLE_GEMINI_BASE_URL";
const KEY_VAR: &str = "GEMINI_API_KEY";
const MODEL_VAR: &str = "GEMINI_MODEL";
const AUTH: [&str; 3] = ["security", "auth", "selectedType"];
const API_KEY_AUTH: &str = "gemini-api-key";
/// The drift label of the sign-in method.
const AUTH_LABEL: &str = "settings.json security.auth.selectedType";

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

/// The `.env` files Gemini CLI would read before `~/.gemini/.env`: `.gemini/.env` and
/// `.env` in the working directory and each parent up to (not including) the home.
fn shadowing_files(env: &Env) -> Vec<PathBuf> {
    let home = env
        .path_var("GEMINI_CLI_HOME")
        .unwrap_or_else(|| env.home.clone());
    env.cwd
        .ancestors()
        .take(32)
        .take_while(|d| *d != home)
        .flat_map(|d| [d.join(".gemini").join(".env"), d.join(".env")])
        .collect()
}

impl Tool for GeminiCli {
    fn id(&self) -> ToolId {
        ToolId::GeminiCli
    }

    fn name(&self) -> &'static str {
        "Gemini CLI"
    }

    fn inputs(&self, env: &Env) -> Inputs {
        let mut files = vec![dotenv_path(env), settings_path(env)];
        files.extend(shadowing_files(env));
        Inputs {
            files,
            dirs: vec![gemini_dir(env)],
            binaries: vec!["gemini"],
            ..Inputs::default()
        }
    }

    fn detect(&self, env: &Env, cur: &Current) -> Detection {
        let mut det = Detection {
            config_files: vec![dotenv_path(env), settings_path(env)],
            ..Detection::default()
        };
        det.note_binary(env, cur, "gemini");
        det.note_config_dir(env, cur, &gemini_dir(env));
        det
    }

    fn plan(&self, env: &Env, gw: &Gateway, opts: &SetupOptions, cur: &Current) -> Result<Plan> {
        let mut plan = Plan::default();
        let settings = settings_path(env);
        let s_before = cur.file(&settings).map(str::to_string);
        let bad = |e: config_edit::ParseError| config_edit::unparsable(env, &settings, &e);
        let s_text = s_before.as_deref().unwrap_or("");
        // A sign-in method of the user's is kept in the drift record: setup says it
        // replaces it and `remove` puts it back.
        let s_after = jsonc::set(s_text, &AUTH, &json!(API_KEY_AUTH)).map_err(bad)?;

        let key = gw.require_key()?;
        if opts.key_mode == KeyMode::Helper {
            plan.notes.push(
                "Gemini CLI can't run a key command, so the key is written to its .env (mode 0600)"
                    .to_string(),
            );
        }
        let path = dotenv_path(env);
        let e_before = cur.file(&path).map(str::to_string);
        let mut t = e_before.clone().unwrap_or_default();
        let cant =
            |e: anyhow::Error| UserError::new(format!("can't write {}: {e}", env.tilde(&path)));
        t = dotenv::set(&t, BASE_VAR, gw.base.root()).map_err(cant)?;
        t = dotenv::set(&t, KEY_VAR, key.expose()).map_err(cant)?;
        match &gw.model {
            Some(model) => t = dotenv::set(&t, MODEL_VAR, model).map_err(cant)?,
            None => t = dotenv::remove(&t, MODEL_VAR),
        }
        let e_after = Some(t);

        if e_after != e_before || Some(&s_after) != s_before.as_ref() {
            plan.notes.push(format!(
                "Gemini CLI speaks only Google's Gemini API: the gateway must serve \
                 {}/v1beta/models/<model>:streamGenerateContent",
                gw.base.root()
            ));
            plan.notes.push(format!(
                "Gemini CLI reads {} only in folders you trust (it asks when you first start \
                 it in a folder); elsewhere export {BASE_VAR} and {KEY_VAR} in your shell",
                env.tilde(&path)
            ));
        }
        plan.changes
            .push(Change::file(settings, s_before, Some(s_after), false));
        plan.changes
            .push(Change::file(path, e_before, e_after, true));
        Ok(plan)
    }

    fn remove(&self, env: &Env, _opts: &SetupOptions, cur: &Current) -> Result<Plan> {
        let mut plan = Plan::default();
        let settings = settings_path(env);
        if let Some(text) = cur.file(&settings) {
            let bad = |e: config_edit::ParseError| config_edit::unparsable(env, &settings, &e);
            let prior = cur
                .prior(AUTH_LABEL)
                .and_then(|t| serde_json::from_str::<Value>(t).ok());
            let after = match prior {
                _ if jsonc::get(text, &AUTH).map_err(bad)? != Some(json!(API_KEY_AUTH)) => {
                    text.to_string()
                }
                Some(v) => jsonc::set(text, &AUTH, &v).map_err(bad)?,
                None => jsonc::remove(text, &AUTH, true).map_err(bad)?,
            };
            // An empty object without comments is what byok's own file shrinks to; a file
            // the user had stays, even as `{}`.
            let empty = jsonc::parse(&after).map_err(bad)? == Some(json!({}))
                && !after.contains("//")
                && !after.contains("/*")
                && cur.may_delete(&settings);
            plan.changes.push(Change::file(
                settings,
                Some(text.to_string()),
                (!empty).then_some(after),
                false,
            ));
        }
        let path = dotenv_path(env);
        if let Some(text) = cur.file(&path) {
            let mut t = text.to_string();
            for var in [BASE_VAR, KEY_VAR, MODEL_VAR] {
                t = match cur.prior(&format!(".env {var}")) {
                    Some(v) => super::dotenv_put_back(&t, var, v)?,
                    None => dotenv::remove(&t, var),
                };
            }
            let blank = t.trim().is_empty() && cur.may_delete(&path);
            plan.changes.push(Change::file(
                path,
                Some(text.to_string()),
                (!blank).then_some(t),
                true,
            ));
        }
        Ok(plan)
    }

    fn owned(&self, env: &Env, cur: &Current) -> Vec<(String, Option<String>)> {
        let dot = cur.file(&dotenv_path(env)).unwrap_or("");
        let settings = cur.file(&settings_path(env)).unwrap_or("");
        let mut out: Vec<(String, Option<String>)> = [BASE_VAR, KEY_VAR, MODEL_VAR]
            .iter()
            .map(|v| (format!(".env {v}"), dotenv::get(dot, v)))
            .collect();
        out.push((
            AUTH_LABEL.to_string(),
            jsonc::get(settings, &AUTH)
                .ok()
                .flatten()
                .and_then(|v| v.as_str().map(str::to_string)),
        ));
        out
    }

    fn restorable(&self, env: &Env, cur: &Current) -> Vec<(String, Option<String>)> {
        let dot = cur.file(&dotenv_path(env)).unwrap_or("");
        let settings = cur.file(&settings_path(env)).unwrap_or("");
        let mut out: Vec<(String, Option<String>)> = [BASE_VAR, KEY_VAR, MODEL_VAR]
            .iter()
            .map(|v| (format!(".env {v}"), dotenv::get(dot, v)))
            .collect();
        // JSON text, so `remove` writes back the same type.
        out.push((
            AUTH_LABEL.to_string(),
            jsonc::get(settings, &AUTH)
                .ok()
                .flatten()
                .map(|v| v.to_string()),
        ));
        out
    }

    fn endpoints(&self, _gw: &Gateway) -> Vec<Endpoint> {
        Vec::new()
    }

    fn diagnose(&self, env: &Env, gw: &Gateway, cur: &Current) -> Vec<Finding> {
        let mut out = vec![Finding {
            severity: Severity::Info,
            message: format!(
                "Gemini CLI calls Gemini routes ({}/v1beta/models/…), which doctor does not probe",
                gw.base.root()
            ),
            hint: None,
        }];
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
        if let Some(first) = shadowing_files(env)
            .into_iter()
            .find(|p| cur.file(p).is_some())
        {
            out.push(Finding {
                severity: Severity::Warn,
                message: format!(
                    "Gemini CLI started here reads {} instead of {}",
                    env.tilde(&first),
                    env.tilde(&path)
                ),
                hint: Some(format!(
                    "add {BASE_VAR} and {KEY_VAR} to that file, or start Gemini CLI elsewhere"
                )),
            });
        }
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
        assert_eq!(
            shadowing_files(&env(&[])),
            [
                "/h/src/app/.gemini/.env",
                "/h/src/app/.env",
                "/h/src/.gemini/.env",
                "/h/src/.env"
            ]
            .map(PathBuf::from)
        );
    }

    #[test]
    fn fresh_setup_remove_round_trip() {
        let e = env(&[]);
        let mut c = cur(&[]);
        let plan = GeminiCli
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
            GeminiCli
                .plan(&e, &gw(), &SetupOptions::default(), &c)
                .unwrap()
                .is_up_to_date()
        );
        let removed = GeminiCli.remove(&e, &SetupOptions::default(), &c).unwrap();
        assert_eq!(removed.changes[0].after, None);
        assert_eq!(removed.changes[1].after, None);
    }

    #[test]
    fn existing_files_keep_their_content() {
        let e = env(&[]);
        let settings = "{\n  // mine\n  \"ui\": { \"theme\": \"GitHub\" },\n  \"security\": { \"auth\": { \"selectedType\": \"oauth-personal\" } }\n}\n";
        let dot = "GOOGLE_CLOUD_PROJECT=my-proj\n";
        let c = cur(&[(&settings_path(&e), settings), (&dotenv_path(&e), dot)]);
        let plan = GeminiCli
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
        let removed = GeminiCli.remove(&e, &SetupOptions::default(), &c2).unwrap();
        assert_eq!(
            removed.changes[0].after.as_deref(),
            Some("{\n  // mine\n  \"ui\": { \"theme\": \"GitHub\" }\n}\n")
        );
        assert_eq!(removed.changes[1].after.as_deref(), Some(dot));

        // With the sign-in method recorded at setup, remove gives it back byte for byte.
        c2.prior = GeminiCli
            .restorable(&e, &c)
            .into_iter()
            .filter_map(|(l, v)| Some((l, v?)))
            .collect();
        let removed = GeminiCli.remove(&e, &SetupOptions::default(), &c2).unwrap();
        assert_eq!(removed.changes[0].after.as_deref(), Some(settings));
    }

    #[test]
    fn remove_puts_back_dotenv_lines_and_keeps_files_the_user_had() {
        let e = env(&[]);
        let dot = "# mine\nGEMINI_API_KEY=AIzaUserOwnKey0123456789\nGEMINI_MODEL='gemini 2.5'\n";
        let c = cur(&[(&settings_path(&e), "{}"), (&dotenv_path(&e), dot)]);
        let plan = GeminiCli
            .plan(&e, &gw(), &SetupOptions::default(), &c)
            .unwrap();
        let mut c2 = c.clone();
        apply(&mut c2, &plan);
        c2.prior = GeminiCli
            .restorable(&e, &c)
            .into_iter()
            .filter_map(|(l, v)| Some((l, v?)))
            .collect();
        c2.created = Some(Default::default());
        let removed = GeminiCli.remove(&e, &SetupOptions::default(), &c2).unwrap();
        assert_eq!(removed.changes[0].after.as_deref(), Some("{}"));
        assert_eq!(removed.changes[1].after.as_deref(), Some(dot));
    }

    #[test]
    fn malformed_settings_is_an_error() {
        let e = env(&[]);
        let c = cur(&[(&settings_path(&e), "{ \"ui\": }")]);
        let err = GeminiCli
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
        let plan = GeminiCli
            .plan(&e, &gw(), &SetupOptions::default(), &c)
            .unwrap();
        apply(&mut c, &plan);
        let found = GeminiCli.diagnose(&e, &gw(), &c);
        let sev: Vec<Severity> = found.iter().map(|f| f.severity).collect();
        assert_eq!(
            sev,
            [
                Severity::Info,
                Severity::Warn,
                Severity::Warn,
                Severity::Info
            ],
            "{found:#?}"
        );
        assert!(found[1].message.contains("~/src/.env"));
        assert!(found[2].message.starts_with("GEMINI_API_KEY"));
    }
}
