//! OpenAI Codex CLI (`codex`, npm `@openai/codex`): a terminal coding agent that speaks
//! only the OpenAI **Responses** API (`POST <base_url>/responses`).
//!
//! Files (the same layout on Linux, macOS and Windows; `CODEX_HOME` moves the directory):
//! - `~/.codex/config.toml`: byok owns the top-level `model` and `model_provider = "byok"`
//!   and the table `[model_providers.byok]` (`name`, `base_url` = the profile's OpenAI
//!   base ending in `/v1`, `env_key = "BYOK_API_KEY"`, `wire_api = "responses"`). Every
//!   other table (`[mcp_servers.*]`, `[profiles.*]`, `[projects."…"]`) and comment stays.
//!   With `--key-mode helper` the table gets `[model_providers.byok.auth]` (`command` =
//!   byok, `args` = `--profile P print-key`) instead of `env_key`, and no key is written.
//! - `~/.codex/.env`: the line `BYOK_API_KEY='…' # managed by byok` (mode 0600), written
//!   with [`config_edit::dotenv`], whose quoting rule alone decides which keys a `.env`
//!   can hold (a key it refuses needs `--key-mode helper`). Codex loads this file at
//!   start-up (dotenvy, which reads single quotes literally, double quotes with escapes,
//!   and allows the trailing comment) and skips only names starting with `CODEX_`.
//!
//! `remove` puts back the user's own `model` and `model_provider` from before setup
//! (kept in the drift record) and deletes `.env` only when byok created it.
//!
//! Why not `OPENAI_BASE_URL`: it only moves the built-in `openai` provider, and with a
//! ChatGPT login or no `auth.json` that provider still goes to OpenAI; a provider table
//! in config.toml is what Codex documents for gateways. `wire_api = "chat"` is rejected
//! by current Codex, so the gateway must serve `/v1/responses` with the full streaming
//! event sequence.
//!
//! Project files: `.codex/config.toml` between the project root and the working
//! directory is layered over the user file in trusted projects (closest wins), and a
//! `--profile`/`profile = "…"` selection overrides both; `diagnose` reports either when
//! it changes `model_provider`.
//!
//! Sources: <https://developers.openai.com/codex/config-basic> (layers, trusted project
//! files), `openai/codex` `codex-rs/core/src/model_provider_info.rs` (provider keys,
//! `env_key` must be set and non-empty, `experimental_bearer_token` wins over it, the
//! built-in provider reads `OPENAI_BASE_URL`), `codex-rs/arg0/src/lib.rs` (`load_dotenv`:
//! `$CODEX_HOME/.env` through dotenvy, `CODEX_*` names filtered out, values *override*
//! the inherited environment), PR openai/codex#16267 (command-backed provider auth).
//!
//! Verified against Codex CLI 0.171.0, 2026-11-27: `codex exec --skip-git-repo-check`
//! with only the files byok writes (clean environment: `PATH` and `HOME`) sent
//! `POST /v1/responses` (streaming) to the gateway with `Authorization: Bearer <key>` and
//! the profile's model; a different `BYOK_API_KEY` exported in the shell lost to the
//! `.env` value; with `--key-mode helper` Codex ran `byok print-key` and also called
//! `GET /v1/models?client_version=…` before the same `POST /v1/responses`. Codex kept a
//! real-looking config (MCP servers, profiles, projects) byte-for-byte after its run.

use std::path::PathBuf;

use anyhow::Result;

use super::{Current, Detection, Endpoint, Finding, Inputs, SetupOptions, Severity, Tool, ToolId};
use crate::cli::KeyMode;
use crate::config_edit::{self, dotenv, toml_file};
use crate::env::Env;
use crate::error::UserError;
use crate::plan::{Change, Plan};
use crate::profile::Gateway;

/// The Codex CLI adapter.
pub struct Codex;

/// The provider id byok adds under `model_providers`.
const PROVIDER: &str = "byok";
/// The variable that carries the key, in `$CODEX_HOME/.env`.
const KEY_VAR: &str = "BYOK_API_KEY";
/// The comment above the provider table byok creates.
const TABLE_COMMENT: &str = "# managed by byok: `byok remove codex` takes this out";

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

/// `.codex/config.toml` in the working directory and its parents (project layers),
/// leaving out the user file itself.
fn project_configs(env: &Env) -> Vec<PathBuf> {
    let user = config_path(env);
    env.cwd
        .ancestors()
        .take(32)
        .map(|d| d.join(".codex").join("config.toml"))
        .filter(|p| *p != user)
        .collect()
}

fn provider_path(key: &str) -> [&str; 3] {
    ["model_providers", PROVIDER, key]
}

impl Tool for Codex {
    fn id(&self) -> ToolId {
        ToolId::Codex
    }

    fn name(&self) -> &'static str {
        "Codex CLI"
    }

    fn inputs(&self, env: &Env) -> Inputs {
        let mut files = vec![config_path(env), dotenv_path(env)];
        files.extend(project_configs(env));
        Inputs {
            files,
            dirs: vec![codex_home(env)],
            binaries: vec!["codex"],
            ..Inputs::default()
        }
    }

    fn detect(&self, env: &Env, cur: &Current) -> Detection {
        let mut det = Detection {
            config_files: vec![config_path(env), dotenv_path(env)],
            ..Detection::default()
        };
        det.note_binary(env, cur, "codex");
        det.note_config_dir(env, cur, &codex_home(env));
        det
    }

    fn plan(&self, env: &Env, gw: &Gateway, opts: &SetupOptions, cur: &Current) -> Result<Plan> {
        let mut plan = Plan::default();
        let path = config_path(env);
        let before = cur.file(&path).map(str::to_string);
        let text = before.as_deref().unwrap_or("");
        let bad = |e: config_edit::ParseError| config_edit::unparsable(env, &path, &e);
        let had_table = toml_file::get(text, &["model_providers", PROVIDER])
            .map_err(bad)?
            .is_some();
        let mut t = text.to_string();
        match &gw.model {
            Some(model) => t = toml_file::set(&t, &["model"], model.as_str()).map_err(bad)?,
            None => plan.notes.push(format!(
                "profile `{}` has no model, so Codex asks the gateway for its own default \
                 model name; add one with `byok init --name {} --model …`",
                gw.name, gw.name
            )),
        }
        t = toml_file::set(&t, &["model_provider"], PROVIDER).map_err(bad)?;
        t = toml_file::set(&t, &provider_path("name"), "byok").map_err(bad)?;
        t = toml_file::set(&t, &provider_path("base_url"), gw.openai_base.as_str()).map_err(bad)?;
        t = toml_file::set(&t, &provider_path("wire_api"), "responses").map_err(bad)?;
        // A token or an auth.json login in byok's table would win over the key byok writes.
        for stale in ["experimental_bearer_token", "requires_openai_auth"] {
            t = toml_file::remove(&t, &provider_path(stale), false).map_err(bad)?;
        }
        let dotenv = dotenv_path(env);
        let env_before = cur.file(&dotenv).map(str::to_string);
        let env_after = match opts.key_mode {
            KeyMode::Literal => {
                let key = gw.require_key()?;
                t = toml_file::set(&t, &provider_path("env_key"), KEY_VAR).map_err(bad)?;
                t = toml_file::remove(&t, &provider_path("auth"), false).map_err(bad)?;
                // The shared .env grammar decides what the file can carry (dotenvy, Codex's
                // reader, reads its quoting back exactly); the helper needs no file.
                let base = env_before.as_deref().unwrap_or("");
                Some(dotenv::set(base, KEY_VAR, key.expose()).map_err(|e| {
                    UserError::new(format!(
                        "could not write the key to {}: {e:#}",
                        env.tilde(&dotenv)
                    ))
                    .hint("use `--key-mode helper` so Codex asks byok for the key, or ask the gateway for a key without quote characters or line breaks")
                })?)
            }
            KeyMode::Helper => {
                t = toml_file::remove(&t, &provider_path("env_key"), false).map_err(bad)?;
                let auth = |k| ["model_providers", PROVIDER, "auth", k];
                t = toml_file::set(&t, &auth("command"), opts.exe.as_str()).map_err(bad)?;
                let args: toml_edit::Array = ["--profile", gw.name.as_str(), "print-key"]
                    .into_iter()
                    .collect();
                t = toml_file::set(&t, &auth("args"), args).map_err(bad)?;
                plan.notes.push(
                    "Codex runs `byok print-key` for the key, so no key is written".to_string(),
                );
                env_before
                    .as_deref()
                    .map(remove_key_line)
                    .filter(|t| !is_blank_dotenv(t))
            }
        };
        if !had_table {
            t = toml_file::comment_table(&t, &["model_providers", PROVIDER], TABLE_COMMENT)
                .map_err(bad)?;
        }
        let after = Some(t);
        if after.as_deref() != before.as_deref() || env_after != env_before {
            plan.notes.push(format!(
                "Codex sends every request to {}/responses (the Responses API); the gateway \
                 must serve it, streaming",
                gw.openai_base
            ));
        }
        plan.changes.push(Change::file(path, before, after, false));
        plan.changes
            .push(Change::file(dotenv, env_before, env_after, true));
        Ok(plan)
    }

    fn remove(&self, env: &Env, _opts: &SetupOptions, cur: &Current) -> Result<Plan> {
        let mut plan = Plan::default();
        let path = config_path(env);
        let bad = |e: config_edit::ParseError| config_edit::unparsable(env, &path, &e);
        if let Some(text) = cur.file(&path) {
            let mut t = text.to_string();
            // `model` was set together with byok's provider; with another provider selected
            // both belong to the user.
            if toml_file::get_str(&t, &["model_provider"])
                .map_err(bad)?
                .as_deref()
                == Some(PROVIDER)
            {
                // The user's own values from before setup go back; byok's go.
                for key in ["model_provider", "model"] {
                    let prior = cur
                        .prior(&format!("config.toml {key}"))
                        .and_then(|v| v.parse::<toml_edit::Value>().ok());
                    t = match prior {
                        Some(v) => toml_file::set(&t, &[key], v).map_err(bad)?,
                        None => toml_file::remove(&t, &[key], false).map_err(bad)?,
                    };
                }
            }
            t = toml_file::remove(&t, &["model_providers", PROVIDER], true).map_err(bad)?;
            plan.changes.push(Change::file(
                path.clone(),
                Some(text.to_string()),
                Some(t),
                false,
            ));
        }
        let dotenv = dotenv_path(env);
        if let Some(text) = cur.file(&dotenv) {
            let after = match cur.prior(&format!(".env {KEY_VAR}")) {
                Some(v) => super::dotenv_put_back(text, KEY_VAR, v)?,
                None => remove_key_line(text),
            };
            // A blank .env the user had stays; only byok's own goes.
            let after = (!is_blank_dotenv(&after) || !cur.may_delete(&dotenv)).then_some(after);
            plan.changes
                .push(Change::file(dotenv, Some(text.to_string()), after, true));
        }
        Ok(plan)
    }

    fn owned(&self, env: &Env, cur: &Current) -> Vec<(String, Option<String>)> {
        let text = cur.file(&config_path(env)).unwrap_or("");
        let get = |p: &[&str]| toml_file::get_str(text, p).ok().flatten();
        let mut out = vec![
            ("config.toml model".to_string(), get(&["model"])),
            (
                "config.toml model_provider".to_string(),
                get(&["model_provider"]),
            ),
        ];
        for key in ["base_url", "env_key", "wire_api"] {
            out.push((
                format!("config.toml model_providers.byok.{key}"),
                get(&provider_path(key)),
            ));
        }
        out.push((
            "config.toml model_providers.byok.auth.command".to_string(),
            get(&["model_providers", PROVIDER, "auth", "command"]),
        ));
        let key = cur
            .file(&dotenv_path(env))
            .and_then(|t| dotenv::get(t, KEY_VAR));
        out.push((format!(".env {KEY_VAR}"), key));
        out
    }

    fn restorable(&self, env: &Env, cur: &Current) -> Vec<(String, Option<String>)> {
        let text = cur.file(&config_path(env)).unwrap_or("");
        // TOML value text, so `remove` writes back the same type.
        let get = |key: &str| {
            toml_file::get(text, &[key]).ok().flatten().and_then(|i| {
                let mut v = i.as_value()?.clone();
                v.decor_mut().clear();
                Some(v.to_string())
            })
        };
        let key = cur
            .file(&dotenv_path(env))
            .and_then(|t| dotenv::get(t, KEY_VAR));
        vec![
            ("config.toml model".to_string(), get("model")),
            (
                "config.toml model_provider".to_string(),
                get("model_provider"),
            ),
            (format!(".env {KEY_VAR}"), key),
        ]
    }

    fn runs_key_command(&self) -> bool {
        true
    }

    fn endpoints(&self, _gw: &Gateway) -> Vec<Endpoint> {
        vec![Endpoint::Responses]
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
        for project in project_configs(env) {
            let Some(ptext) = cur.file(&project) else {
                continue;
            };
            let pget = |p: &[&str]| toml_file::get_str(ptext, p).ok().flatten();
            if let Some(p) = pget(&["model_provider"]).filter(|p| p != PROVIDER) {
                out.push(Finding {
                    severity: Severity::Warn,
                    message: format!(
                        "{} selects model_provider `{p}`; in a trusted project it wins over \
                         byok's setting",
                        env.tilde(&project)
                    ),
                    hint: Some("remove model_provider from that file".to_string()),
                });
            }
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

fn remove_key_line(text: &str) -> String {
    dotenv::remove(text, KEY_VAR)
}

/// True when a `.env` holds nothing but blank lines.
fn is_blank_dotenv(text: &str) -> bool {
    text.trim().is_empty()
}

/// Paths shared with tests.
#[cfg(test)]
fn paths_for(env: &Env) -> (PathBuf, PathBuf) {
    (config_path(env), dotenv_path(env))
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::tools::testing::{apply, current as cur, env};

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
        let plan = Codex.plan(&e, &gw(), &opts(), &c).unwrap();
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
        assert!(Codex.plan(&e, &gw(), &opts(), &c).unwrap().is_up_to_date());
        let removed = Codex.remove(&e, &opts(), &c).unwrap();
        assert_eq!(removed.changes[0].after.as_deref(), Some(""));
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
        let plan = Codex.plan(&e, &g, &opts(), &cur(&[])).unwrap();
        assert_eq!(
            plan.changes[1].after.as_deref().unwrap(),
            format!("BYOK_API_KEY=\"{quoted}\" # managed by byok\n")
        );
        let g = crate::tools::testing::gateway("sk-it's-\"0123456789abcdef", "gw-model");
        let err = Codex.plan(&e, &g, &opts(), &cur(&[])).unwrap_err();
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
        let plan = Codex.plan(&e, &gw(), &o, &c).unwrap();
        let cfg = plan.changes[0].after.as_deref().unwrap();
        assert!(cfg.ends_with(
            "[model_providers.byok.auth]\ncommand = \"/usr/bin/byok\"\n\
             args = [\"--profile\", \"default\", \"print-key\"]\n"
        ));
        assert!(!cfg.contains("env_key"));
        assert_eq!(plan.changes[1].after.as_deref(), Some("OTHER=1\n"));
        let only_ours = cur(&[(&dotenv, "\nBYOK_API_KEY='k' # managed by byok\n")]);
        let dropped = Codex.plan(&e, &gw(), &o, &only_ours).unwrap();
        assert_eq!(dropped.changes[1].after, None);
        apply(&mut c, &plan);
        assert!(Codex.plan(&e, &gw(), &o, &c).unwrap().is_up_to_date());
        // Back to a literal key: the command goes, env_key comes back.
        let plan = Codex.plan(&e, &gw(), &opts(), &c).unwrap();
        let cfg = plan.changes[0].after.as_deref().unwrap();
        assert!(cfg.contains("env_key = \"BYOK_API_KEY\"") && !cfg.contains("auth"));
    }

    #[test]
    fn remove_keeps_another_provider_selection() {
        let e = env(&[]);
        let (cfg, _) = paths_for(&e);
        let text = "model = \"o3\"\nmodel_provider = \"openai\"\n\n[model_providers.byok]\nname = \"byok\"\n";
        let c = cur(&[(&cfg, text)]);
        let plan = Codex.remove(&e, &opts(), &c).unwrap();
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
        let plan = Codex.plan(&e, &g, &opts(), &c).unwrap();
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
        let err = Codex.plan(&e, &gw(), &opts(), &c).unwrap_err();
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
            (&project, "model_provider = \"ollama\"\n"),
        ]);
        let found = Codex.diagnose(&e, &gw(), &c);
        let sev: Vec<Severity> = found.iter().map(|f| f.severity).collect();
        assert_eq!(
            sev,
            [
                Severity::Fail,
                Severity::Fail,
                Severity::Warn,
                Severity::Info
            ],
            "{found:#?}"
        );
        assert!(found[2].message.contains("~/src/app/.codex/config.toml"));
        assert!(project_configs(&e).iter().all(|p| *p != cfg));
    }

    #[test]
    fn diagnose_is_quiet_after_setup() {
        let e = env(&[]);
        let mut c = cur(&[]);
        let plan = Codex.plan(&e, &gw(), &opts(), &c).unwrap();
        apply(&mut c, &plan);
        assert_eq!(Codex.diagnose(&e, &gw(), &c), []);
    }
}
