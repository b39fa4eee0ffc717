//! The code behind OpenCode's template (`templates/opencode.toml`, hook `opencode`):
//! what the data can't say. The template holds the file, its candidates and
//! `OPENCODE_CONFIG` override, the provider values, sources and what was verified (and
//! the project `opencode.json[c]` files that win over the global config); this module
//! holds `diagnose`: a provider or model that doesn't reach the gateway, byok's provider
//! turned off, `OPENCODE_CONFIG_CONTENT`.
//!
//! Paths mirror the template's `opencode` root (`$XDG_CONFIG_HOME/opencode`, else
//! `~/.config/opencode`, on every OS).

use std::path::PathBuf;

use serde_json::Value;

use super::generic::Hook;
use super::{Current, Finding, Severity};
use crate::config_edit::jsonc;
use crate::env::Env;
use crate::profile::Gateway;

/// OpenCode's hook.
pub struct OpencodeHook;

/// The provider id byok adds under `provider`.
const PROVIDER: &str = "byok";

fn config_dir(env: &Env) -> PathBuf {
    env.xdg_config_home().join("opencode")
}

/// The file byok edits: `OPENCODE_CONFIG`, else the global file that wins.
fn target(env: &Env, cur: &Current) -> PathBuf {
    if let Some(p) = env.path_var("OPENCODE_CONFIG") {
        return p;
    }
    let dir = config_dir(env);
    let (json, jsonc) = (dir.join("opencode.json"), dir.join("opencode.jsonc"));
    if cur.file(&jsonc).is_none() && cur.file(&json).is_some() {
        json
    } else {
        jsonc
    }
}

fn is_byoks(selected: &str) -> bool {
    selected.starts_with(&format!("{PROVIDER}/"))
}

impl Hook for OpencodeHook {
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
        out
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::json;

    use super::*;
    use crate::env::Os;
    use crate::tools::testing::{apply, current as cur, env, env_os};
    use crate::tools::{SetupOptions, Tool, ToolId};

    const NPM: &str = "@ai-sdk/openai-compatible";
    const SCHEMA: &str = "https://opencode.ai/config.json";

    /// The template tool, as the registry builds it.
    fn opencode() -> &'static dyn Tool {
        crate::tools::get(ToolId::Opencode).expect("opencode is registered")
    }

    fn global_files(env: &Env) -> [PathBuf; 3] {
        let dir = config_dir(env);
        ["config.json", "opencode.json", "opencode.jsonc"].map(|f| dir.join(f))
    }

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
            let c_files = cur(&files);
            // The engine's choice (from the template) and the hook's agree.
            let engine = opencode().detect(&e, &c_files).config_files[0].clone();
            assert_eq!(engine, target(&e, &c_files));
            assert_eq!(engine, PathBuf::from(c.want), "{:?}", c.vars);
        }
    }

    #[test]
    fn fresh_setup_then_up_to_date_then_remove_deletes_the_file() {
        let e = env(&[]);
        let mut c = cur(&[]);
        let plan = opencode()
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
            opencode()
                .plan(&e, &gw(), &SetupOptions::default(), &c)
                .unwrap()
                .is_up_to_date()
        );
        // The drift record says which `model` byok wrote (as `byok setup` keeps it).
        c.written = opencode()
            .owned(&e, &c)
            .into_iter()
            .filter_map(|(l, v)| Some((l, crate::fs::sha256_hex(v?.as_bytes()))))
            .collect();
        let removed = opencode().remove(&e, &SetupOptions::default(), &c).unwrap();
        assert_eq!(removed.changes[0].after, None);
    }

    #[test]
    fn another_selected_model_is_kept_with_a_note() {
        let e = env(&[]);
        let [_, json, _] = global_files(&e);
        let text = "{\n  // mine\n  \"model\": \"anthropic/claude-sonnet-4-5\"\n}\n";
        let c = cur(&[(&json, text)]);
        let plan = opencode()
            .plan(&e, &gw(), &SetupOptions::default(), &c)
            .unwrap();
        assert_eq!(plan.changes[0].path, json);
        let after = plan.changes[0].after.as_deref().unwrap();
        assert!(after.contains("\"model\": \"anthropic/claude-sonnet-4-5\""));
        assert!(after.contains("// mine"));
        assert!(plan.notes[0].contains("byok/gw-model"), "{:?}", plan.notes);
        let mut c2 = c.clone();
        apply(&mut c2, &plan);
        let removed = opencode()
            .remove(&e, &SetupOptions::default(), &c2)
            .unwrap();
        assert_eq!(removed.changes[0].after.as_deref(), Some(text));
    }

    #[test]
    fn malformed_is_an_error_naming_the_line() {
        let e = env(&[]);
        let [_, _, jsonc] = global_files(&e);
        let c = cur(&[(&jsonc, "{\n  \"a\": 1\n  \"b\": 2\n}\n")]);
        let err = opencode()
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
        let found = opencode().diagnose(&e, &gw(), &c);
        let sev: Vec<Severity> = found.iter().map(|f| f.severity).collect();
        assert_eq!(
            sev,
            [
                Severity::Fail,
                Severity::Warn,
                Severity::Fail,
                Severity::Warn
            ],
            "{found:#?}"
        );
        // The project file is the template's to report; the home is no project.
        let reads = opencode().project_reads(&e, &c);
        assert_eq!(reads.len(), 1);
        assert_eq!(reads[0].path, project);
        let inputs = opencode().inputs(&e).files;
        assert!(inputs.contains(&project));
        assert!(!inputs.iter().any(|p| p.starts_with("/h/opencode.json")));
    }

    #[test]
    fn diagnose_is_quiet_after_setup() {
        let e = env(&[]);
        let mut c = cur(&[]);
        let plan = opencode()
            .plan(&e, &gw(), &SetupOptions::default(), &c)
            .unwrap();
        apply(&mut c, &plan);
        assert_eq!(opencode().diagnose(&e, &gw(), &c), []);
    }
}
