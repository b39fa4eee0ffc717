//! OpenCode (`opencode`, npm `opencode-ai`): a terminal coding agent that reaches models
//! through AI SDK provider packages; byok registers the gateway as an
//! `@ai-sdk/openai-compatible` provider, which calls `POST <baseURL>/chat/completions`.
//!
//! Files: the global config dir is `$XDG_CONFIG_HOME/opencode`, else `~/.config/opencode`,
//! on Linux, macOS **and** Windows (`%USERPROFILE%\.config\opencode`): OpenCode takes it
//! from the `xdg-basedir` package, which has no per-OS branch. It merges `config.json`,
//! `opencode.json`, `opencode.jsonc` from there (later wins), then project
//! `opencode.json[c]` files from the worktree root down to the working directory, then
//! the file named by `OPENCODE_CONFIG`, then `OPENCODE_CONFIG_CONTENT`. byok edits the
//! file named by `OPENCODE_CONFIG` when set, else the global `opencode.jsonc`, else
//! `opencode.json`, else creates `opencode.jsonc` (the name OpenCode itself creates).
//!
//! Keys byok owns (JSONC, edited in place): `provider.byok` = `{ npm:
//! "@ai-sdk/openai-compatible", name, options: { baseURL: <profile's /v1 base>, apiKey },
//! models: { <model>: { name } } }` (other keys a user adds inside it are kept) and the
//! top-level `model = "byok/<model>"`, set only when absent or already byok's.
//!
//! The key is written literally and the file made 0600: OpenCode's `{env:VAR}` would
//! need the variable exported in every shell OpenCode starts from, and OpenCode has no
//! `.env` of its own and no key command, so a literal key is what works everywhere.
//!
//! Sources: `anomalyco/opencode` `packages/web/src/content/docs/providers.mdx` (custom
//! provider shape, `{env:…}`; via the shared reference), `packages/opencode/src/global/
//! index.ts` (config dir = `xdgConfig/opencode`), `sindresorhus/xdg-basedir` `index.js`
//! (`XDG_CONFIG_HOME || ~/.config` on every OS), `packages/opencode/src/config/config.ts`
//! (merge order, `OPENCODE_CONFIG[_CONTENT]`).
//!
//! Verified against OpenCode 1.18.33, 2026-11-27: `opencode debug paths` puts config in
//! `~/.config/opencode` and honours `XDG_CONFIG_HOME`; its bundled code loads
//! `config.json`, `opencode.json`, `opencode.jsonc` in that order and creates
//! `opencode.jsonc` when none exists; `opencode run "hi"` with only byok's file, and
//! again with a commented JSONC holding other providers and MCP servers (clean
//! environment: `PATH` and `HOME`), sent `POST /v1/chat/completions` twice (title and
//! answer, streaming) with `Authorization: Bearer <key>` and the profile's model, and
//! left the file as byok wrote it. Not handled: the managed config that OpenCode reads
//! from `/etc/opencode`, `/Library/Application Support/opencode` or
//! `%ProgramData%\opencode`, which can disable other providers.

use std::path::PathBuf;

use anyhow::Result;
use serde_json::{Value, json};

use super::{Current, Detection, Endpoint, Finding, Inputs, SetupOptions, Severity, Tool, ToolId};
use crate::cli::KeyMode;
use crate::config_edit::{self, jsonc};
use crate::env::Env;
use crate::plan::{Change, Plan};
use crate::profile::Gateway;

/// The OpenCode adapter.
pub struct Opencode;

/// The provider id byok adds under `provider`.
const PROVIDER: &str = "byok";
const NPM: &str = "@ai-sdk/openai-compatible";
const SCHEMA: &str = "https://opencode.ai/config.json";

fn config_dir(env: &Env) -> PathBuf {
    env.xdg_config_home().join("opencode")
}

/// The global files OpenCode merges, lowest precedence first.
fn global_files(env: &Env) -> [PathBuf; 3] {
    let dir = config_dir(env);
    [
        dir.join("config.json"),
        dir.join("opencode.json"),
        dir.join("opencode.jsonc"),
    ]
}

/// The file byok edits: `OPENCODE_CONFIG`, else the global file that wins.
fn target(env: &Env, cur: &Current) -> PathBuf {
    if let Some(p) = env.path_var("OPENCODE_CONFIG") {
        return p;
    }
    let [_, json, jsonc] = global_files(env);
    if cur.file(&jsonc).is_none() && cur.file(&json).is_some() {
        json
    } else {
        jsonc
    }
}

/// Project files in the working directory and its parents (below the home directory).
fn project_files(env: &Env) -> Vec<PathBuf> {
    let global = config_dir(env);
    env.cwd
        .ancestors()
        .take(32)
        .take_while(|d| *d != env.home)
        .filter(|d| *d != global)
        .flat_map(|d| {
            [
                d.join("opencode.json"),
                d.join("opencode.jsonc"),
                d.join(".opencode").join("opencode.json"),
                d.join(".opencode").join("opencode.jsonc"),
            ]
        })
        .collect()
}

fn provider(keys: &[&'static str]) -> Vec<&'static str> {
    let mut p = vec!["provider", PROVIDER];
    p.extend_from_slice(keys);
    p
}

fn byok_model(model: &str) -> String {
    format!("{PROVIDER}/{model}")
}

fn is_byoks(selected: &str) -> bool {
    selected.starts_with(&format!("{PROVIDER}/"))
}

/// The text of a config file byok creates, before byok's own keys.
fn skeleton() -> String {
    jsonc::set("", &["$schema"], &json!(SCHEMA)).expect("an empty document takes a key")
}

impl Tool for Opencode {
    fn id(&self) -> ToolId {
        ToolId::Opencode
    }

    fn name(&self) -> &'static str {
        "OpenCode"
    }

    fn inputs(&self, env: &Env) -> Inputs {
        let mut files = global_files(env).to_vec();
        if let Some(p) = env.path_var("OPENCODE_CONFIG") {
            files.push(p);
        }
        files.extend(project_files(env));
        Inputs {
            files,
            dirs: vec![config_dir(env)],
            binaries: vec!["opencode"],
            ..Inputs::default()
        }
    }

    fn detect(&self, env: &Env, cur: &Current) -> Detection {
        let mut det = Detection {
            config_files: vec![target(env, cur)],
            ..Detection::default()
        };
        det.note_binary(env, cur, "opencode");
        det.note_config_dir(env, cur, &config_dir(env));
        det
    }

    fn plan(&self, env: &Env, gw: &Gateway, opts: &SetupOptions, cur: &Current) -> Result<Plan> {
        let mut plan = Plan::default();
        let path = target(env, cur);
        let before = cur.file(&path).map(str::to_string);
        let bad = |e: config_edit::ParseError| config_edit::unparsable(env, &path, &e);
        let mut t = match before.as_deref() {
            Some(text) if !text.trim().is_empty() => {
                jsonc::parse(text).map_err(bad)?;
                text.to_string()
            }
            Some(text) => format!("{}{}", config_edit::split_bom(text).0, skeleton()),
            None => skeleton(),
        };
        let key = gw.require_key()?;
        if opts.key_mode == KeyMode::Helper {
            plan.notes.push(
                "OpenCode can't run a key command, so the key is written into its config \
                 (mode 0600)"
                    .to_string(),
            );
        }
        let set = |t: &str, p: &[&str], v: Value| jsonc::set(t, p, &v).map_err(bad);
        t = set(&t, &provider(&["npm"]), json!(NPM))?;
        t = set(&t, &provider(&["name"]), json!("byok"))?;
        t = set(
            &t,
            &provider(&["options", "baseURL"]),
            json!(gw.openai_base),
        )?;
        t = set(&t, &provider(&["options", "apiKey"]), json!(key.expose()))?;
        match &gw.model {
            Some(model) => {
                let mut p = provider(&["models"]);
                p.push(model);
                p.push("name");
                t = set(&t, &p, json!(model))?;
                let selected = jsonc::get(&t, &["model"]).map_err(bad)?;
                match selected.as_ref().and_then(Value::as_str) {
                    Some(s) if !is_byoks(s) => plan.notes.push(format!(
                        "{} selects model `{s}`; byok left it, so pick `{}` with /models in \
                         OpenCode (or set \"model\" to it)",
                        env.tilde(&path),
                        byok_model(model)
                    )),
                    _ => t = set(&t, &["model"], json!(byok_model(model)))?,
                }
            }
            None => plan.notes.push(format!(
                "profile `{}` has no model, so OpenCode lists no gateway model; add one with \
                 `byok init --name {} --model …` and run setup again",
                gw.name, gw.name
            )),
        }
        if env.var("OPENCODE_CONFIG").is_some() {
            plan.notes.push(format!(
                "OPENCODE_CONFIG is set, so byok edited {}",
                env.tilde(&path)
            ));
        }
        plan.changes.push(Change::file(path, before, Some(t), true));
        Ok(plan)
    }

    fn remove(&self, env: &Env, _opts: &SetupOptions, cur: &Current) -> Result<Plan> {
        let mut plan = Plan::default();
        let path = target(env, cur);
        let Some(text) = cur.file(&path) else {
            return Ok(plan);
        };
        let bad = |e: config_edit::ParseError| config_edit::unparsable(env, &path, &e);
        let mut t = jsonc::remove(text, &["provider", PROVIDER], true).map_err(bad)?;
        if let Some(Value::String(s)) = jsonc::get(&t, &["model"]).map_err(bad)?
            && is_byoks(&s)
        {
            t = jsonc::remove(&t, &["model"], false).map_err(bad)?;
        }
        // A file that holds nothing but what byok created goes away again; a file the
        // user had keeps the skeleton (a blank one gets its bytes back from the command).
        let skeleton_only = config_edit::split_bom(&t).1 == skeleton();
        let after = (!skeleton_only || !cur.may_delete(&path)).then_some(t);
        plan.changes
            .push(Change::file(path, Some(text.to_string()), after, true));
        Ok(plan)
    }

    fn owned(&self, env: &Env, cur: &Current) -> Vec<(String, Option<String>)> {
        // The file that holds byok's provider, so that setting OPENCODE_CONFIG later does
        // not look like a hand edit of what byok wrote before.
        let mut candidates = vec![target(env, cur)];
        candidates.extend(global_files(env).into_iter().rev());
        let text = candidates
            .iter()
            .filter_map(|p| cur.file(p))
            .find(|t| matches!(jsonc::get(t, &["provider", PROVIDER]), Ok(Some(_))))
            .or_else(|| cur.file(&candidates[0]))
            .unwrap_or("");
        let get = |p: &[&str]| {
            jsonc::get(text, p)
                .ok()
                .flatten()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        };
        vec![
            ("provider.byok.npm".to_string(), get(&provider(&["npm"]))),
            (
                "provider.byok.options.baseURL".to_string(),
                get(&provider(&["options", "baseURL"])),
            ),
            (
                "provider.byok.options.apiKey".to_string(),
                get(&provider(&["options", "apiKey"])),
            ),
            ("model".to_string(), get(&["model"])),
        ]
    }

    fn endpoints(&self, _gw: &Gateway) -> Vec<Endpoint> {
        vec![Endpoint::ChatCompletions]
    }

    fn diagnose(&self, env: &Env, gw: &Gateway, cur: &Current) -> Vec<Finding> {
        let mut out = Vec::new();
        let path = target(env, cur);
        let text = cur.file(&path).unwrap_or("");
        let setup = || Some("byok setup opencode".to_string());
        let value = match jsonc::parse(text) {
            Ok(v) => v.unwrap_or(Value::Null),
            Err(e) => {
                out.push(Finding {
                    severity: Severity::Fail,
                    message: format!("{} does not parse ({e})", env.tilde(&path)),
                    hint: Some("fix that line by hand".to_string()),
                });
                return out;
            }
        };
        let byok = &value["provider"][PROVIDER];
        if byok.is_null() {
            out.push(Finding {
                severity: Severity::Fail,
                message: format!("{} has no `provider.byok`", env.tilde(&path)),
                hint: setup(),
            });
        } else if byok["options"]["baseURL"].as_str() != Some(gw.openai_base.as_str()) {
            out.push(Finding {
                severity: Severity::Warn,
                message: format!(
                    "provider.byok.options.baseURL in {} is not the profile's {}",
                    env.tilde(&path),
                    gw.openai_base
                ),
                hint: setup(),
            });
        }
        if let Some(selected) = value["model"].as_str().filter(|s| !is_byoks(s)) {
            out.push(Finding {
                severity: Severity::Warn,
                message: format!(
                    "{} selects model `{selected}`, which does not go to the gateway",
                    env.tilde(&path)
                ),
                hint: Some("pick a byok/… model with /models in OpenCode".to_string()),
            });
        }
        let listed = |k: &str| {
            value[k]
                .as_array()
                .map(|a| a.iter().any(|v| v.as_str() == Some(PROVIDER)))
        };
        if listed("disabled_providers") == Some(true) || listed("enabled_providers") == Some(false)
        {
            out.push(Finding {
                severity: Severity::Fail,
                message: format!(
                    "{} turns the byok provider off (enabled_providers / disabled_providers)",
                    env.tilde(&path)
                ),
                hint: Some(
                    "add byok to enabled_providers or take it out of disabled_providers"
                        .to_string(),
                ),
            });
        }
        if env.var("OPENCODE_CONFIG_CONTENT").is_some() {
            out.push(Finding {
                severity: Severity::Warn,
                message: "OPENCODE_CONFIG_CONTENT is set; OpenCode merges it over every config \
                          file, byok's included"
                    .to_string(),
                hint: None,
            });
        }
        for project in project_files(env) {
            let Some(Ok(Some(v))) = cur.file(&project).map(jsonc::parse) else {
                continue;
            };
            let model = v["model"].as_str().filter(|s| !is_byoks(s));
            if model.is_some() || !v["provider"][PROVIDER].is_null() {
                out.push(Finding {
                    severity: Severity::Warn,
                    message: format!(
                        "{} sets {} and wins over the global config in this project",
                        env.tilde(&project),
                        model.map_or("provider.byok".to_string(), |m| format!("model `{m}`"))
                    ),
                    hint: None,
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::env::Os;
    use crate::tools::testing::{apply, current as cur, env, env_os};

    fn gw() -> Gateway {
        crate::tools::testing::gateway(KEY, "gw-model")
    }

    const KEY: &str = "sk-unit-0123456789abcdef";

    #[test]
    fn config_location_per_os() {
        struct Case {
            os: Os,
            vars: &'static [(&'static str, &'static str)],
            files: &'static [&'static str],
            want: &'static str,
        }
        let cases = [
            Case {
                os: Os::Linux,
                vars: &[],
                files: &[],
                want: "/h/.config/opencode/opencode.jsonc",
            },
            Case {
                os: Os::Macos,
                vars: &[],
                files: &["/h/.config/opencode/opencode.json"],
                want: "/h/.config/opencode/opencode.json",
            },
            Case {
                os: Os::Windows,
                vars: &[],
                files: &[],
                want: "/C/Users/u/.config/opencode/opencode.jsonc",
            },
            Case {
                os: Os::Linux,
                vars: &[("XDG_CONFIG_HOME", "/x")],
                files: &["/x/opencode/opencode.json", "/x/opencode/opencode.jsonc"],
                want: "/x/opencode/opencode.jsonc",
            },
            Case {
                os: Os::Linux,
                vars: &[("OPENCODE_CONFIG", "~/oc.json")],
                files: &["/h/.config/opencode/opencode.json"],
                want: "/h/oc.json",
            },
        ];
        for c in cases {
            let e = env_os(c.os, c.vars);
            let files: Vec<(&Path, &str)> = c.files.iter().map(|f| (Path::new(*f), "{}")).collect();
            assert_eq!(
                target(&e, &cur(&files)),
                PathBuf::from(c.want),
                "{:?}",
                c.vars
            );
        }
    }

    #[test]
    fn fresh_setup_then_up_to_date_then_remove_deletes_the_file() {
        let e = env(&[]);
        let mut c = cur(&[]);
        let plan = Opencode
            .plan(&e, &gw(), &SetupOptions::default(), &c)
            .unwrap();
        let after = plan.changes[0].after.as_deref().unwrap();
        let v: Value = serde_json::from_str(after).unwrap();
        assert_eq!(
            v,
            json!({
                "$schema": SCHEMA,
                "provider": {"byok": {
                    "npm": NPM, "name": "byok",
                    "options": {"baseURL": "https://gw.example/v1", "apiKey": KEY},
                    "models": {"gw-model": {"name": "gw-model"}}
                }},
                "model": "byok/gw-model"
            })
        );
        assert!(plan.changes[0].secret);
        apply(&mut c, &plan);
        assert!(
            Opencode
                .plan(&e, &gw(), &SetupOptions::default(), &c)
                .unwrap()
                .is_up_to_date()
        );
        let removed = Opencode.remove(&e, &SetupOptions::default(), &c).unwrap();
        assert_eq!(removed.changes[0].after, None);
    }

    #[test]
    fn another_selected_model_is_kept_with_a_note() {
        let e = env(&[]);
        let [_, json, _] = global_files(&e);
        let text = "{\n  // mine\n  \"model\": \"anthropic/claude-sonnet-4-5\"\n}\n";
        let c = cur(&[(&json, text)]);
        let plan = Opencode
            .plan(&e, &gw(), &SetupOptions::default(), &c)
            .unwrap();
        assert_eq!(plan.changes[0].path, json);
        let after = plan.changes[0].after.as_deref().unwrap();
        assert!(after.contains("\"model\": \"anthropic/claude-sonnet-4-5\""));
        assert!(after.contains("// mine"));
        assert!(plan.notes[0].contains("byok/gw-model"), "{:?}", plan.notes);
        let mut c2 = c.clone();
        apply(&mut c2, &plan);
        let removed = Opencode.remove(&e, &SetupOptions::default(), &c2).unwrap();
        assert_eq!(removed.changes[0].after.as_deref(), Some(text));
    }

    #[test]
    fn malformed_is_an_error_naming_the_line() {
        let e = env(&[]);
        let [_, _, jsonc] = global_files(&e);
        let c = cur(&[(&jsonc, "{\n  \"a\": 1\n  \"b\": 2\n}\n")]);
        let err = Opencode
            .plan(&e, &gw(), &SetupOptions::default(), &c)
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("could not parse ~/.config/opencode/opencode.jsonc: line 2"),
            "{err}"
        );
    }

    #[test]
    fn diagnose_finds_what_shadows_byok() {
        let e = env(&[("OPENCODE_CONFIG_CONTENT", "{}")]);
        let [_, _, jsonc] = global_files(&e);
        let project = PathBuf::from("/h/src/opencode.json");
        let c = cur(&[
            (
                &jsonc,
                "{\"model\": \"openai/gpt-5\", \"disabled_providers\": [\"byok\"]}",
            ),
            (&project, "{\"model\": \"anthropic/x\"}"),
        ]);
        let found = Opencode.diagnose(&e, &gw(), &c);
        let sev: Vec<Severity> = found.iter().map(|f| f.severity).collect();
        assert_eq!(
            sev,
            [
                Severity::Fail,
                Severity::Warn,
                Severity::Fail,
                Severity::Warn,
                Severity::Warn
            ],
            "{found:#?}"
        );
        assert!(project_files(&e).contains(&project));
        assert!(
            !project_files(&e)
                .iter()
                .any(|p| p.starts_with("/h/opencode.json"))
        );
    }

    #[test]
    fn diagnose_is_quiet_after_setup() {
        let e = env(&[]);
        let mut c = cur(&[]);
        let plan = Opencode
            .plan(&e, &gw(), &SetupOptions::default(), &c)
            .unwrap();
        apply(&mut c, &plan);
        assert_eq!(Opencode.diagnose(&e, &gw(), &c), []);
    }
}
