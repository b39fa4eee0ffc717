//! The code behind Codex CLI's template (`templates/codex.toml`, hook `codex`): what
//! the data can't say. The template holds the files, values, sources and what was
//! verified; this module holds:
//!
//! - `diagnose`: a `profile = "…"` selection whose profile changes `model_provider`
//!   (it overrides the user file), and that `.env` holds the profile's key. Project
//!   `.codex/config.toml` files are the template's `[[project_file]]`s.
//! - `after_plan`: in helper mode, the note that no key is written (also when up to date).
//! - `keeps`: `model` was set together with byok's provider; once the user selects
//!   another provider, both are theirs and `remove` leaves `model` (the template's fixed
//!   `model_provider = "byok"` is left by the engine's own rule).
//!
//! Paths mirror the template's `codex` root (`CODEX_HOME`, else `~/.codex`, on every OS).

use std::path::PathBuf;

use anyhow::Result;

use super::KeyMode;
use super::generic::Hook;
use super::{Current, Finding, SetupOptions, Severity};
use crate::config_edit::{dotenv, toml_file};
use crate::env::Env;
use crate::plan::Plan;
use crate::profile::Gateway;

/// Codex CLI's hook.
pub struct CodexHook;

/// The provider id byok adds under `model_providers`.
const PROVIDER: &str = "byok";
/// The variable that carries the key, in `$CODEX_HOME/.env`.
const KEY_VAR: &str = "BYOK_API_KEY";

fn codex_home(env: &Env) -> PathBuf {
    env.path_var("CODEX_HOME")
        .unwrap_or_else(|| env.home.join(".codex"))
}

fn config_path(env: &Env) -> PathBuf {
    codex_home(env).join("config.toml")
}

fn dotenv_path(env: &Env) -> PathBuf {
    codex_home(env).join(".env")
}

fn provider_path(key: &str) -> [&str; 3] {
    ["model_providers", PROVIDER, key]
}

impl Hook for CodexHook {
    fn after_plan(
        &self,
        _env: &Env,
        _gw: &Gateway,
        opts: &SetupOptions,
        _cur: &Current,
        plan: &mut Plan,
    ) -> Result<()> {
        // Said even when up to date: it is why no key file exists.
        if opts.key_mode == KeyMode::Helper {
            plan.notes
                .push("Codex runs `byok print-key` for the key, so no key is written".to_string());
        }
        Ok(())
    }

    fn keeps(&self, file: &str, key: &str, text: &str) -> bool {
        file == "config.toml"
            && key == "model"
            && toml_file::get_str(text, &["model_provider"])
                .ok()
                .flatten()
                .as_deref()
                != Some(PROVIDER)
    }

    fn diagnose(&self, env: &Env, gw: &Gateway, cur: &Current) -> Vec<Finding> {
        let mut out = Vec::new();
        let path = config_path(env);
        let text = cur.file(&path).unwrap_or("");
        let setup = "byok setup codex".to_string();
        if let Err(e) = toml_file::parse(text) {
            out.push(Finding {
                severity: Severity::Fail,
                message: format!(
                    "{} does not parse ({e}), so Codex won't start",
                    env.tilde(&path)
                ),
                hint: Some("fix that line by hand".to_string()),
            });
            return out;
        }
        let get = |p: &[&str]| toml_file::get_str(text, p).ok().flatten();
        match get(&["model_provider"]) {
            Some(p) if p == PROVIDER => {}
            other => out.push(Finding {
                severity: Severity::Fail,
                message: format!(
                    "{} selects model_provider {}, not byok's gateway",
                    env.tilde(&path),
                    other.map_or("openai (the default)".to_string(), |p| format!("`{p}`"))
                ),
                hint: Some(setup.clone()),
            }),
        }
        if let Some(profile) = get(&["profile"])
            && let Some(p) = get(&["profiles", &profile, "model_provider"])
            && p != PROVIDER
        {
            // Codex always starts with the default profile: byok's provider is never used.
            out.push(Finding {
                severity: Severity::Fail,
                message: format!(
                    "{} makes profile `{profile}` the default, and it selects model_provider \
                     `{p}`, which wins over byok's",
                    env.tilde(&path)
                ),
                hint: Some(format!(
                    "remove `model_provider` from [profiles.{profile}], or `profile = \"{profile}\"`"
                )),
            });
        }
        if let Some(bad_base) = get(&provider_path("base_url")).filter(|b| *b != gw.openai_base) {
            out.push(Finding {
                severity: Severity::Warn,
                message: format!(
                    "[model_providers.byok] base_url is {bad_base}, not the profile's {}",
                    gw.openai_base
                ),
                hint: Some(setup.clone()),
            });
        }
        if get(&provider_path("env_key")).as_deref() == Some(KEY_VAR) {
            let written = cur
                .file(&dotenv_path(env))
                .and_then(|t| dotenv::get(t, KEY_VAR));
            match (&written, gw.api_key()) {
                (None, _) if env.var(KEY_VAR).is_none() => out.push(Finding {
                    severity: Severity::Fail,
                    message: format!(
                        "{} has no {KEY_VAR}, so Codex stops with \"missing environment variable\"",
                        env.tilde(&dotenv_path(env))
                    ),
                    hint: Some(setup.clone()),
                }),
                (Some(w), Some(k)) if w != k.expose() => out.push(Finding {
                    severity: Severity::Warn,
                    message: format!(
                        "the key in {} is not profile `{}`'s key",
                        env.tilde(&dotenv_path(env)),
                        gw.name
                    ),
                    hint: Some(setup.clone()),
                }),
                _ => {}
            }
        }
        if env.var("OPENAI_BASE_URL").is_some() {
            out.push(Finding {
                severity: Severity::Info,
                message: "OPENAI_BASE_URL is set; Codex ignores it for byok's provider (it only \
                          moves the built-in openai provider)"
                    .to_string(),
                hint: None,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::error::UserError;
    use crate::tools::testing::{apply, current as cur, env};
    use crate::tools::{Tool, ToolId};

    /// The template tool, as the registry builds it.
    fn codex() -> &'static dyn Tool {
        crate::tools::get(ToolId::Codex).expect("codex is registered")
    }

    fn paths_for(env: &Env) -> (PathBuf, PathBuf) {
        let det = codex().detect(env, &Current::default());
        (det.config_files[0].clone(), det.config_files[1].clone())
    }

    fn gw() -> Gateway {
        crate::tools::testing::gateway(KEY, "gw-model")
    }

    use crate::env::Os;

    const KEY: &str = "sk-unit-0123456789abcdef";

    fn opts() -> SetupOptions {
        SetupOptions {
            exe: "/usr/bin/byok".into(),
            ..SetupOptions::default()
        }
    }

    #[test]
    fn paths_honour_codex_home() {
        let (cfg, dotenv) = paths_for(&env(&[]));
        assert_eq!(cfg, PathBuf::from("/h/.codex/config.toml"));
        assert_eq!(dotenv, PathBuf::from("/h/.codex/.env"));
        let (cfg, _) = paths_for(&env(&[("CODEX_HOME", "~/alt")]));
        assert_eq!(cfg, PathBuf::from("/h/alt/config.toml"));
        let (cfg, _) = paths_for(&env(&[("CODEX_HOME", "rel")]));
        assert_eq!(cfg, PathBuf::from("/h/src/app/rel/config.toml"));
        // Codex uses ~/.codex on Windows and macOS too.
        for os in [Os::Windows, Os::Macos] {
            let vars = [("USERPROFILE", "/C/Users/u"), ("HOME", "/C/Users/u")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .into();
            let e = Env::from_vars(vars, os, PathBuf::from("/"), None);
            assert_eq!(
                paths_for(&e).0,
                PathBuf::from("/C/Users/u/.codex/config.toml")
            );
        }
    }

    #[test]
    fn fresh_setup_writes_provider_and_key_then_is_up_to_date() {
        let e = env(&[]);
        let mut c = cur(&[]);
        let plan = codex().plan(&e, &gw(), &opts(), &c).unwrap();
        assert_eq!(
            plan.changes[0].after.as_deref().unwrap(),
            "model = \"gw-model\"\nmodel_provider = \"byok\"\n\n\
             # managed by byok: `byok remove codex` takes this out\n\
             [model_providers.byok]\nname = \"byok\"\nbase_url = \"https://gw.example/v1\"\n\
             wire_api = \"responses\"\nenv_key = \"BYOK_API_KEY\"\n"
        );
        assert_eq!(
            plan.changes[1].after.as_deref().unwrap(),
            format!("BYOK_API_KEY='{KEY}' # managed by byok\n")
        );
        assert!(plan.changes[1].secret && !plan.changes[0].secret);
        apply(&mut c, &plan);
        assert!(
            codex()
                .plan(&e, &gw(), &opts(), &c)
                .unwrap()
                .is_up_to_date()
        );
        let removed = codex().remove(&e, &opts(), &c).unwrap();
        // Both files were byok's alone (no record says otherwise): both go.
        assert_eq!(removed.changes[0].after, None);
        assert_eq!(removed.changes[1].after, None);
    }

    /// Issue 8: Codex refused every key holding `'` by a rule of its own; the shared
    /// .env grammar double-quotes such a key, and what it cannot quote is refused with
    /// the file and the way out.
    #[test]
    fn the_shared_dotenv_rule_decides_which_keys_the_file_holds() {
        let e = env(&[]);
        let quoted = "sk-it's-0123456789abcdef";
        let g = crate::tools::testing::gateway(quoted, "gw-model");
        let plan = codex().plan(&e, &g, &opts(), &cur(&[])).unwrap();
        assert_eq!(
            plan.changes[1].after.as_deref().unwrap(),
            format!("BYOK_API_KEY=\"{quoted}\" # managed by byok\n")
        );
        let g = crate::tools::testing::gateway("sk-it's-\"0123456789abcdef", "gw-model");
        let err = codex().plan(&e, &g, &opts(), &cur(&[])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "could not write the key to ~/.codex/.env: can't write BYOK_API_KEY to a .env file: its value holds ' together with \", $, ` or \\, which npm dotenv, python-dotenv and shells read differently in every quoting"
        );
        let hint = err.downcast_ref::<UserError>().unwrap().hint.clone();
        assert!(hint.unwrap().starts_with("use `--key-mode helper`"));
    }

    #[test]
    fn helper_mode_writes_a_command_and_no_key() {
        let e = env(&[]);
        let (_, dotenv) = paths_for(&e);
        let mut c = cur(&[(&dotenv, "OTHER=1\nBYOK_API_KEY='old'\n")]);
        let o = SetupOptions {
            key_mode: KeyMode::Helper,
            ..opts()
        };
        let plan = codex().plan(&e, &gw(), &o, &c).unwrap();
        let cfg = plan.changes[0].after.as_deref().unwrap();
        assert!(cfg.ends_with(
            "[model_providers.byok.auth]\ncommand = \"/usr/bin/byok\"\n\
             args = [\"--profile\", \"default\", \"print-key\"]\n"
        ));
        assert!(!cfg.contains("env_key"));
        assert_eq!(plan.changes[1].after.as_deref(), Some("OTHER=1\n"));
        let only_ours = cur(&[(&dotenv, "\nBYOK_API_KEY='k' # managed by byok\n")]);
        let dropped = codex().plan(&e, &gw(), &o, &only_ours).unwrap();
        assert_eq!(dropped.changes[1].after, None);
        apply(&mut c, &plan);
        assert!(codex().plan(&e, &gw(), &o, &c).unwrap().is_up_to_date());
        // Back to a literal key: the command goes, env_key comes back.
        let plan = codex().plan(&e, &gw(), &opts(), &c).unwrap();
        let cfg = plan.changes[0].after.as_deref().unwrap();
        assert!(cfg.contains("env_key = \"BYOK_API_KEY\"") && !cfg.contains("auth"));
    }

    #[test]
    fn remove_keeps_another_provider_selection() {
        let e = env(&[]);
        let (cfg, _) = paths_for(&e);
        let text = "model = \"o3\"\nmodel_provider = \"openai\"\n\n[model_providers.byok]\nname = \"byok\"\n";
        let c = cur(&[(&cfg, text)]);
        let plan = codex().remove(&e, &opts(), &c).unwrap();
        assert_eq!(
            plan.changes[0].after.as_deref(),
            Some("model = \"o3\"\nmodel_provider = \"openai\"\n")
        );
    }

    #[test]
    fn stale_token_in_byoks_table_is_dropped_and_no_model_is_a_note() {
        let e = env(&[]);
        let (cfg, _) = paths_for(&e);
        let text = "[model_providers.byok]\nexperimental_bearer_token = \"x\"\nhttp_headers = { a = \"b\" }\n";
        let c = cur(&[(&cfg, text)]);
        let mut g = gw();
        g.model = None;
        let plan = codex().plan(&e, &g, &opts(), &c).unwrap();
        let after = plan.changes[0].after.as_deref().unwrap();
        assert!(!after.contains("experimental_bearer_token"));
        assert!(after.contains("http_headers = { a = \"b\" }"));
        assert!(!after.contains("\nmodel ="));
        assert!(plan.notes[0].contains("has no model"), "{:?}", plan.notes);
    }

    #[test]
    fn malformed_config_is_an_error_naming_the_line() {
        let e = env(&[]);
        let (cfg, _) = paths_for(&e);
        let c = cur(&[(&cfg, "model = \"a\"\n[oops\n")]);
        let err = codex().plan(&e, &gw(), &opts(), &c).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("could not parse ~/.codex/config.toml: line 2"),
            "{err}"
        );
    }

    #[test]
    fn diagnose_reports_shadowing() {
        let e = env(&[("OPENAI_BASE_URL", "https://x")]);
        let (cfg, _) = paths_for(&e);
        let project = PathBuf::from("/h/src/app/.codex/config.toml");
        let c = cur(&[
            (
                &cfg,
                "model_provider = \"openai\"\nprofile = \"w\"\n[profiles.w]\nmodel_provider = \"azure\"\n",
            ),
            (&project, "model_provider = \"ollama\"\nmodel = \"qwen3\"\n"),
        ]);
        let found = codex().diagnose(&e, &gw(), &c);
        let sev: Vec<Severity> = found.iter().map(|f| f.severity).collect();
        assert_eq!(
            sev,
            [Severity::Fail, Severity::Fail, Severity::Info],
            "{found:#?}"
        );
        // The project file is the template's to report: Codex takes only its model
        // (provider keys there are ignored, see the template).
        let reads = codex().project_reads(&e, &c);
        assert_eq!(reads.len(), 1);
        assert_eq!(reads[0].path, project);
        assert_eq!(
            reads[0].sets,
            [("model".to_string(), Some("qwen3".to_string()))]
        );
        assert!(codex().inputs(&e).files.contains(&project));
    }

    #[test]
    fn diagnose_is_quiet_after_setup() {
        let e = env(&[]);
        let mut c = cur(&[]);
        let plan = codex().plan(&e, &gw(), &opts(), &c).unwrap();
        apply(&mut c, &plan);
        assert_eq!(codex().diagnose(&e, &gw(), &c), []);
    }
}
