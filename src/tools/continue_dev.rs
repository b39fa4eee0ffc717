//! The code behind Continue's template (`templates/continue.toml`, hook `continue`):
//! what the data can't say.
//!
//! - Which config Continue reads: `config.yaml` wins; the deprecated `config.json` is read
//!   only when there is no `config.yaml` (`core/config/profile/doLoadConfig.ts`). So setup
//!   edits config.json (the key written into byok's entries, the file 0600) while it is
//!   the sole config, and config.yaml with its `.env` otherwise, never creating a
//!   config.yaml that would hide a config.json; `remove` leaves alone an ignored
//!   config.json that does not parse (it holds nothing of byok's).
//! - `BYOK_API_KEY` and the entries named `byok (…)` are byok's own names: what is found
//!   there before setup is an older byok's (the `outdated` fixture), not the user's, so
//!   `remove` takes it out rather than giving it back.
//! - Notes: which file was edited, that Continue's Anthropic provider sends `x-api-key`;
//!   the reload step only after a change.
//! - The user's other secrets in these files (every `.env` value, secret settings in the
//!   configs) are masked in everything byok prints.
//! - Secret lookup order, which `diagnose` checks: the extension reads
//!   `~/.continue/.env`, then `<workspace>/.continue/.env`, `<workspace>/.env`, then the
//!   process environment; `cn` reads the process environment first, and loads `./.env`
//!   into it at start (`dotenv.config()` in `extensions/cli/src/env.ts`), so a `.env` in
//!   the directory `cn` runs in overrides `~/.continue/.env` (`CLIPlatformClient.ts`).
//!
//! Verified against `@continuedev/cli` 1.5.47 (npm; bundles dotenv 16.6.1), 2026-11-27: a
//! `BYOK_API_KEY` in `./.env` replaced the key for `cn`; one in `./.continue/.env` did not.
//! What `cn` sent with byok's files is in the template's `verified`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::Value as Json;

use super::generic::Hook;
use super::{Current, Finding, Inputs, SetupOptions, Severity};
use crate::config_edit::{dotenv, jsonc, yaml};
use crate::env::Env;
use crate::plan::Plan;
use crate::profile::{AnthropicAuth, Gateway};

/// Continue's hook.
pub struct ContinueHook;

/// The secret byok's config.yaml entries reference (the template's `.env` value).
const SECRET: &str = "BYOK_API_KEY";
/// The template's file ids.
const YAML: &str = "config.yaml";
const JSON: &str = "config.json";
const DOTENV: &str = ".env";

/// Where Continue keeps its global files (the template's `{continue}` root).
struct Paths {
    yaml: PathBuf,
    json: PathBuf,
    env: PathBuf,
    /// `.env` files of the working directory (a workspace), for diagnosis.
    cwd_env: PathBuf,
    cwd_continue_env: PathBuf,
}

impl Paths {
    fn new(env: &Env) -> Self {
        let dir = env
            .path_var("CONTINUE_GLOBAL_DIR")
            .unwrap_or_else(|| env.home.join(".continue"));
        Self {
            yaml: dir.join(YAML),
            json: dir.join(JSON),
            env: dir.join(DOTENV),
            cwd_env: env.cwd.join(".env"),
            cwd_continue_env: env.cwd.join(".continue").join(".env"),
        }
    }

    /// config.json is the config only when it exists and config.yaml does not.
    fn uses_json(&self, cur: &Current) -> bool {
        cur.file(&self.json).is_some() && cur.file(&self.yaml).is_none()
    }
}

impl Hook for ContinueHook {
    fn inputs(&self, env: &Env, inputs: &mut Inputs) {
        let p = Paths::new(env);
        inputs.files.extend([p.cwd_env, p.cwd_continue_env]);
    }

    fn skips(&self, env: &Env, cur: &Current, file: &str, setup: bool) -> bool {
        let p = Paths::new(env);
        let json = p.uses_json(cur);
        match (file, setup) {
            (JSON, true) => !json,
            (YAML | DOTENV, true) => json,
            // An ignored config.json that does not parse holds nothing byok wrote.
            (JSON, false) => !json && cur.file(&p.json).is_some_and(|t| jsonc::parse(t).is_err()),
            _ => false,
        }
    }

    fn after_plan(
        &self,
        env: &Env,
        gw: &Gateway,
        _opts: &SetupOptions,
        cur: &Current,
        plan: &mut Plan,
    ) -> Result<()> {
        let p = Paths::new(env);
        if p.uses_json(cur) {
            plan.notes.push(format!(
                "{} is deprecated, but it is the config Continue reads here, so byok edited it and did not create a config.yaml (which would hide it); config.json can't reference secrets, so the key is written into it (mode 0600); the `cn` CLI reads only config.yaml",
                env.tilde(&p.json)
            ));
        } else if cur.file(&p.json).is_some() {
            plan.notes.push(format!(
                "{} is ignored by Continue because {} exists",
                env.tilde(&p.json),
                env.tilde(&p.yaml)
            ));
        }
        if plan.is_up_to_date() {
            // Reloading is for a change.
            plan.manual_steps.clear();
        } else if gw.anthropic_model.is_some() && gw.anthropic_auth == AnthropicAuth::Bearer {
            plan.notes.push(
                "Continue's Anthropic provider sends the key as `x-api-key`, not as a bearer token; the gateway must accept that header on /v1/messages".to_string(),
            );
        }
        Ok(())
    }

    fn restorable(&self, _env: &Env, _cur: &Current, out: &mut [(String, Option<String>)]) {
        // byok's own names: an older byok's values, nothing of the user's to give back.
        for (_, prior) in out {
            *prior = None;
        }
    }

    fn secrets(&self, env: &Env, cur: &Current) -> Vec<String> {
        user_secrets(&Paths::new(env), cur)
    }

    fn diagnose(&self, env: &Env, gw: &Gateway, cur: &Current) -> Vec<Finding> {
        let p = Paths::new(env);
        let mut out = Vec::new();
        let has_yaml = cur.file(&p.yaml).is_some();
        if has_yaml && cur.file(&p.json).is_some() {
            out.push(Finding {
                severity: Severity::Warn,
                message: format!(
                    "{} is ignored: Continue reads {} when both exist",
                    env.tilde(&p.json),
                    env.tilde(&p.yaml)
                ),
                hint: Some(format!(
                    "move what you still need from config.json into config.yaml, then delete {}",
                    env.tilde(&p.json)
                )),
            });
        }
        if let Some(text) = cur.file(&p.yaml)
            && let Err(e) = yaml::parse(text)
        {
            out.push(Finding {
                severity: Severity::Fail,
                message: format!("could not parse {}: {e}", env.tilde(&p.yaml)),
                hint: Some("fix that line; Continue can't load its config until then".into()),
            });
        }
        if p.uses_json(cur) && cur.binaries.contains_key("cn") {
            out.push(Finding {
                severity: Severity::Warn,
                message: format!(
                    "the `cn` CLI reads only config.yaml, so it ignores {}",
                    env.tilde(&p.json)
                ),
                hint: Some(
                    "convert config.json to config.yaml (docs.continue.dev/reference), then run `byok setup continue` again"
                        .into(),
                ),
            });
        }
        let key = gw.api_key().map(|k| k.expose().to_string());
        let differs = |path: &Path| {
            cur.file(path)
                .and_then(|t| dotenv::get(t, SECRET))
                .filter(|v| key.as_deref() != Some(v.as_str()))
                .is_some()
        };
        if !p.uses_json(cur) && differs(&p.cwd_env) {
            out.push(Finding {
                severity: Severity::Warn,
                message: format!(
                    "{} sets {SECRET} to another key; `cn` started in {} loads it and uses it instead of {}",
                    env.tilde(&p.cwd_env),
                    env.tilde(&env.cwd),
                    env.tilde(&p.env)
                ),
                hint: Some(format!(
                    "remove the {SECRET} line from {}",
                    env.tilde(&p.cwd_env)
                )),
            });
        }
        if !p.uses_json(cur) && differs(&p.cwd_continue_env) {
            let global_has_it = cur
                .file(&p.env)
                .and_then(|t| dotenv::get(t, SECRET))
                .is_some();
            out.push(Finding {
                severity: if global_has_it {
                    Severity::Info
                } else {
                    Severity::Warn
                },
                message: format!(
                    "{} sets {SECRET} to another key; Continue uses it only when {} does not set it",
                    env.tilde(&p.cwd_continue_env),
                    env.tilde(&p.env)
                ),
                hint: Some(format!(
                    "remove the {SECRET} line from {}",
                    env.tilde(&p.cwd_continue_env)
                )),
            });
        }
        out
    }
}

/// The user's own secrets in Continue's files (every `.env` value; string values of
/// known secret settings, [`crate::secret::SECRET_NAMES`], in the configs): diffs show
/// neighbouring lines, so they are masked too.
fn user_secrets(p: &Paths, cur: &Current) -> Vec<String> {
    fn keep(s: &str, out: &mut Vec<String>) {
        // `${{ secrets.NAME }}` references are not secrets.
        if !s.contains("${{") {
            out.push(s.to_string());
        }
    }
    fn walk_json(v: &Json, out: &mut Vec<String>) {
        match v {
            Json::Object(m) => {
                for (k, v) in m {
                    match v {
                        Json::String(s) if crate::secret::is_secret_name(k) => keep(s, out),
                        _ => walk_json(v, out),
                    }
                }
            }
            Json::Array(a) => a.iter().for_each(|v| walk_json(v, out)),
            _ => {}
        }
    }
    fn walk_yaml(v: &yaml::Value, out: &mut Vec<String>) {
        match v {
            yaml::Value::Mapping(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        (Some(k), yaml::Value::String(s)) if crate::secret::is_secret_name(k) => {
                            keep(s, out);
                        }
                        _ => walk_yaml(v, out),
                    }
                }
            }
            yaml::Value::Sequence(a) => a.iter().for_each(|v| walk_yaml(v, out)),
            yaml::Value::Tagged(t) => walk_yaml(&t.value, out),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for path in [&p.env, &p.cwd_env, &p.cwd_continue_env] {
        if let Some(text) = cur.file(path) {
            for (_, v) in dotenv::values(text) {
                keep(&v, &mut out);
            }
        }
    }
    if let Some(Ok(Some(v))) = cur.file(&p.yaml).map(yaml::parse) {
        walk_yaml(&v, &mut out);
    }
    if let Some(Ok(Some(v))) = cur.file(&p.json).map(jsonc::parse) {
        walk_json(&v, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::env::Os;
    use crate::gateway::probe::Api;
    use crate::profile::{KeySource, Profile};
    use crate::secret::ApiKey;
    use crate::tools::{Binary, KeyMode, Tool, ToolId};

    const KEY: &str = "sk-unit-0123456789abcdef";
    const YAML_PATH: &str = "/home/u/.continue/config.yaml";
    const JSON_PATH: &str = "/home/u/.continue/config.json";
    const DOTENV_PATH: &str = "/home/u/.continue/.env";

    fn tool() -> &'static dyn Tool {
        crate::tools::get(ToolId::Continue).expect("continue is registered")
    }

    fn env_with(vars: &[(&str, &str)]) -> Env {
        let mut map: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        map.insert("HOME".into(), "/home/u".into());
        Env::from_vars(map, Os::Linux, PathBuf::from("/work/proj"), None)
    }

    fn env() -> Env {
        env_with(&[])
    }

    fn gw(anthropic: bool) -> Gateway {
        let p = Profile {
            base_url: "http://127.0.0.1:8080".into(),
            model: Some("gw-model".into()),
            anthropic_model: anthropic.then(|| "claude-x".to_string()),
            ..Profile::default()
        };
        crate::profile::from_profile("default".into(), &p, KeySource::Literal(ApiKey::new(KEY)))
            .unwrap()
    }

    fn opts() -> SetupOptions {
        SetupOptions::default()
    }

    fn current(env: &Env, files: &[(&str, &str)]) -> Current {
        let mut cur = Current::default();
        for f in tool().inputs(env).files {
            cur.files.insert(f, None);
        }
        for (path, text) in files {
            cur.files
                .insert(PathBuf::from(path), Some((*text).to_string()));
        }
        cur
    }

    fn fixture(case: &str, file: &str) -> String {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/continue")
            .join(case)
            .join("home/.continue")
            .join(file);
        crate::fs::read_optional(&p).unwrap().unwrap()
    }

    fn after<'a>(plan: &'a Plan, path: &str) -> Option<&'a str> {
        plan.changes
            .iter()
            .find(|c| c.path == Path::new(path))
            .and_then(|c| c.after.as_deref())
    }

    /// The state after applying `plan` to `cur`, with the list items it records.
    fn applied(cur: &Current, plan: &Plan) -> Current {
        let mut cur = cur.clone();
        cur.entries.extend(plan.entries.clone());
        for c in &plan.changes {
            cur.files.insert(c.path.clone(), c.after.clone());
        }
        cur
    }

    const OPENAI_ENTRY: &str = concat!(
        "  - name: byok (OpenAI) # managed by byok\n",
        "    provider: openai\n    model: gw-model\n    apiBase: http://127.0.0.1:8080/v1\n",
        "    apiKey: \"${{ secrets.BYOK_API_KEY }}\"\n    roles: [chat, edit, apply]\n",
    );

    #[test]
    fn global_dir_follows_continue_global_dir() {
        assert_eq!(
            Paths::new(&env()).yaml,
            Path::new("/home/u/.continue/config.yaml")
        );
        let abs = env_with(&[("CONTINUE_GLOBAL_DIR", "/srv/continue")]);
        assert_eq!(
            Paths::new(&abs).yaml,
            Path::new("/srv/continue/config.yaml")
        );
        let rel = env_with(&[("CONTINUE_GLOBAL_DIR", "conf/cont")]);
        assert_eq!(Paths::new(&rel).env, Path::new("/work/proj/conf/cont/.env"));
        // The template's root agrees: setup writes where the hook looks.
        let plan = tool()
            .plan(&rel, &gw(false), &opts(), &current(&rel, &[]))
            .unwrap();
        let paths: Vec<&Path> = plan.changes.iter().map(|c| c.path.as_path()).collect();
        assert_eq!(
            paths,
            [
                Path::new("/work/proj/conf/cont/config.yaml"),
                Path::new("/work/proj/conf/cont/.env")
            ]
        );
        // Same layout on every OS: Continue uses os.homedir()/.continue everywhere.
        let mut vars = BTreeMap::new();
        vars.insert("USERPROFILE".to_string(), r"C:\Users\u".to_string());
        let win = Env::from_vars(vars, Os::Windows, PathBuf::from(r"C:\p"), None);
        assert_eq!(
            Paths::new(&win).json,
            Path::new(r"C:\Users\u")
                .join(".continue")
                .join("config.json")
        );
    }

    /// The drift labels and values are the ones Continue's Rust adapter recorded, so a
    /// record it wrote still reads as byok's after the move to a template.
    #[test]
    fn fresh_home_gets_a_config_yaml_and_a_private_env_with_the_old_labels() {
        let e = env();
        let cur = current(&e, &[]);
        let plan = tool().plan(&e, &gw(false), &opts(), &cur).unwrap();
        let paths: Vec<(&Path, bool)> = plan
            .effective()
            .map(|c| (c.path.as_path(), c.secret))
            .collect();
        assert_eq!(
            paths,
            [
                (Path::new(YAML_PATH), false),
                (Path::new(DOTENV_PATH), true)
            ]
        );
        assert_eq!(
            after(&plan, DOTENV_PATH),
            Some(format!("BYOK_API_KEY='{KEY}' # managed by byok\n").as_str())
        );
        assert_eq!(
            after(&plan, YAML_PATH).unwrap(),
            format!(
                "# Continue config created by byok. byok changes only the entries marked \"managed by byok\".\nname: byok\nversion: 1.0.0\nschema: v1\nmodels:\n{OPENAI_ENTRY}"
            )
        );
        assert!(plan.notes.is_empty(), "{:?}", plan.notes);
        assert_eq!(plan.manual_steps.len(), 1);
        assert_eq!(tool().endpoints(&gw(false)), [Api::Chat]);
        assert_eq!(tool().endpoints(&gw(true)), [Api::Chat, Api::Messages]);

        let done = applied(&cur, &plan);
        let again = tool().plan(&e, &gw(false), &opts(), &done).unwrap();
        assert!(again.is_up_to_date());
        assert!(again.manual_steps.is_empty(), "reload only after a change");
        let owned: BTreeMap<String, Option<String>> = tool().owned(&e, &done).into_iter().collect();
        // What the adapter hashed: the entry as serde_yaml writes the parsed item.
        let doc = yaml::parse(after(&plan, YAML_PATH).unwrap())
            .unwrap()
            .unwrap();
        let item = serde_yaml_ng::to_string(&doc["models"][0]).unwrap();
        let want: BTreeMap<String, Option<String>> = [
            (".env BYOK_API_KEY", Some(KEY.to_string())),
            ("config.json models/byok (Anthropic)", None),
            ("config.json models/byok (OpenAI)", None),
            ("config.yaml models/byok (Anthropic)", None),
            ("config.yaml models/byok (OpenAI)", Some(item)),
        ]
        .into_iter()
        .map(|(l, v)| (l.to_string(), v))
        .collect();
        assert_eq!(owned, want);
        // Remove deletes both files byok created.
        let removed = tool().remove(&e, &opts(), &done).unwrap();
        let gone: Vec<(&Path, Option<&str>)> = removed
            .effective()
            .map(|c| (c.path.as_path(), c.after.as_deref()))
            .collect();
        assert_eq!(
            gone,
            [(Path::new(YAML_PATH), None), (Path::new(DOTENV_PATH), None)]
        );
    }

    #[test]
    fn the_anthropic_entry_follows_the_profile() {
        let e = env();
        let cur = current(&e, &[(YAML_PATH, "name: a\nversion: 1.0.0\nmodels: []\n")]);
        let with = applied(&cur, &tool().plan(&e, &gw(true), &opts(), &cur).unwrap());
        let text = with.file(Path::new(YAML_PATH)).unwrap();
        assert!(text.contains("  - name: byok (Anthropic) # managed by byok\n    provider: anthropic\n    model: claude-x\n    apiBase: http://127.0.0.1:8080/v1\n"), "{text}");
        // A later profile without an Anthropic model: byok's entry goes.
        let plan = tool().plan(&e, &gw(false), &opts(), &with).unwrap();
        assert_eq!(
            after(&plan, YAML_PATH),
            Some(format!("name: a\nversion: 1.0.0\nmodels:\n{OPENAI_ENTRY}").as_str())
        );
    }

    #[test]
    fn legacy_config_json_is_edited_in_place_with_the_key() {
        let e = env();
        let text = fixture("legacy-json", "config.json");
        let cur = current(&e, &[(JSON_PATH, &text)]);
        let plan = tool().plan(&e, &gw(true), &opts(), &cur).unwrap();
        let changed: Vec<(&Path, bool)> = plan
            .effective()
            .map(|c| (c.path.as_path(), c.secret))
            .collect();
        assert_eq!(changed, [(Path::new(JSON_PATH), true)]);
        let out = after(&plan, JSON_PATH).unwrap();
        let models = jsonc::get(out, &["models"]).unwrap().unwrap();
        let titles: Vec<&str> = models
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["title"].as_str().unwrap())
            .collect();
        assert_eq!(
            titles,
            [
                "byok (OpenAI)",
                "byok (Anthropic)",
                "GPT-4o",
                "Ollama Llama"
            ]
        );
        assert_eq!(models[0]["apiKey"], KEY);
        assert_eq!(models[1]["apiBase"], "http://127.0.0.1:8080/v1");
        assert!(out.contains("// Legacy Continue config, pre-YAML\n"));
        assert!(
            plan.notes[0].contains("config.json is deprecated"),
            "{:?}",
            plan.notes
        );
        // Still legacy after applying: no config.yaml appeared, and it is up to date.
        let done = applied(&cur, &plan);
        assert!(
            tool()
                .plan(&e, &gw(true), &opts(), &done)
                .unwrap()
                .is_up_to_date()
        );
        assert_eq!(
            tool().detect(&e, &done).config_files,
            [PathBuf::from(JSON_PATH)]
        );
        let removed = tool().remove(&e, &opts(), &done).unwrap();
        assert_eq!(after(&removed, JSON_PATH), Some(text.as_str()));
    }

    #[test]
    fn yaml_wins_over_json_and_the_json_stays_untouched() {
        let e = env();
        let json_text = fixture("legacy-json", "config.json");
        let cur = current(
            &e,
            &[
                (YAML_PATH, "name: a\nversion: 1.0.0\nmodels: []\n"),
                (JSON_PATH, &json_text),
            ],
        );
        let plan = tool().plan(&e, &gw(false), &opts(), &cur).unwrap();
        assert!(plan.changes.iter().all(|c| c.path != Path::new(JSON_PATH)));
        assert_eq!(
            plan.notes,
            [
                "~/.continue/config.json is ignored by Continue because ~/.continue/config.yaml exists"
            ]
        );
        let findings = tool().diagnose(&e, &gw(false), &cur);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Warn);
        assert!(
            findings[0]
                .message
                .starts_with("~/.continue/config.json is ignored")
        );
        // An ignored config.json that does not parse is no reason to refuse a remove.
        let broken = current(
            &e,
            &[(YAML_PATH, "name: a\nmodels: []\n"), (JSON_PATH, "{ nope")],
        );
        assert!(tool().remove(&e, &opts(), &broken).is_ok());
    }

    #[test]
    fn refusals_name_the_file_and_line() {
        let e = env();
        let cur = current(
            &e,
            &[(YAML_PATH, "name: a\nmodels:\n  - name: x\n     model: y\n")],
        );
        let err = tool().plan(&e, &gw(false), &opts(), &cur).unwrap_err();
        assert_eq!(
            err.to_string(),
            "could not parse ~/.continue/config.yaml: line 4, column 11: mapping values are not allowed in this context"
        );
        let findings = tool().diagnose(&e, &gw(false), &cur);
        assert_eq!(findings[0].severity, Severity::Fail);
        assert!(tool().remove(&e, &opts(), &cur).is_err());
    }

    /// The `outdated` fixture: entries and a key an older byok wrote are byok's, so
    /// nothing of them is given back.
    #[test]
    fn an_older_byoks_entries_are_not_the_users() {
        let e = env();
        let cur = current(
            &e,
            &[
                (YAML_PATH, &fixture("outdated", "config.yaml")),
                (DOTENV_PATH, &fixture("outdated", ".env")),
            ],
        );
        let restorable = tool().restorable(&e, &cur);
        assert!(
            restorable.iter().all(|(_, v)| v.is_none()),
            "{restorable:?}"
        );
    }

    #[test]
    fn key_helper_mode_writes_the_key_all_the_same() {
        let e = env();
        let opts = SetupOptions {
            key_mode: KeyMode::Helper,
            ..SetupOptions::default()
        };
        assert!(!tool().runs_key_command());
        let plan = tool()
            .plan(&e, &gw(false), &opts, &current(&e, &[]))
            .unwrap();
        assert_eq!(
            after(&plan, DOTENV_PATH),
            Some(format!("BYOK_API_KEY='{KEY}' # managed by byok\n").as_str())
        );
    }

    #[test]
    fn users_other_secrets_are_masked_in_diffs() {
        let e = env();
        let dotenv_text = fixture("full", ".env");
        let cur = current(
            &e,
            &[
                (DOTENV_PATH, &dotenv_text),
                (
                    YAML_PATH,
                    "name: a\nversion: 1\nmodels:\n  - name: m\n    apiKey: sk-literal-user-key-42\n",
                ),
            ],
        );
        // What the engine does after gathering: planning itself registers nothing.
        for s in tool().secrets(&e, &cur) {
            crate::secret::register(&s);
        }
        let plan = tool().plan(&e, &gw(false), &opts(), &cur).unwrap();
        let diff: String = plan.effective().map(|c| crate::plan::diff(&e, c)).collect();
        for secret in [
            "sk-openai-user-0000",
            "ghp_example token with spaces",
            "single # not a comment",
            "sk-literal-user-key-42",
            KEY,
        ] {
            assert!(!diff.contains(secret), "{secret} in {diff}");
        }
        assert!(diff.contains("${{ secrets.BYOK_API_KEY }}"), "{diff}");
    }

    #[test]
    fn detect_finds_cli_extension_and_dir() {
        let e = env();
        let mut cur = current(&e, &[]);
        assert!(!tool().detect(&e, &cur).installed);
        cur.binaries.insert(
            "cn".into(),
            Binary {
                path: "/home/u/.local/bin/cn".into(),
                version: Some("1.5.47".into()),
            },
        );
        cur.dirs.insert(
            PathBuf::from("/home/u/.cursor/extensions"),
            Some(vec![
                "continue.continue-1.3.40-linux-x64".into(),
                "other.ext-1.0.0".into(),
            ]),
        );
        cur.dirs
            .insert(PathBuf::from("/home/u/.continue"), Some(vec![]));
        let d = tool().detect(&e, &cur);
        assert!(d.installed);
        assert_eq!(
            d.evidence,
            [
                "binary ~/.local/bin/cn (1.5.47)",
                "config dir ~/.continue",
                "extension 1.3.40 in Cursor",
            ]
        );
        assert_eq!(
            d.config_files,
            [PathBuf::from(YAML_PATH), PathBuf::from(DOTENV_PATH)]
        );
    }

    #[test]
    fn diagnose_workspace_env_files() {
        let e = env();
        let own = format!("BYOK_API_KEY={KEY}\n");
        // Same key: nothing to say.
        let cur = current(&e, &[(DOTENV_PATH, &own), ("/work/proj/.env", &own)]);
        assert!(tool().diagnose(&e, &gw(false), &cur).is_empty());
        // Another key in ./.env: `cn` would use it.
        let cur = current(
            &e,
            &[
                (DOTENV_PATH, &own),
                ("/work/proj/.env", "BYOK_API_KEY=sk-stale\n"),
            ],
        );
        let f = tool().diagnose(&e, &gw(false), &cur);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warn);
        assert_eq!(
            f[0].message,
            "/work/proj/.env sets BYOK_API_KEY to another key; `cn` started in /work/proj loads it and uses it instead of ~/.continue/.env"
        );
        // In ./.continue/.env it only matters when ~/.continue/.env lacks the key.
        let ws = [("/work/proj/.continue/.env", "BYOK_API_KEY=sk-stale\n")];
        let f = tool().diagnose(&e, &gw(false), &current(&e, &[ws[0], (DOTENV_PATH, &own)]));
        assert_eq!(f[0].severity, Severity::Info);
        let f = tool().diagnose(&e, &gw(false), &current(&e, &ws));
        assert_eq!(f[0].severity, Severity::Warn);
        // Legacy config.json with `cn` installed: cn ignores it.
        let mut cur = current(&e, &[(JSON_PATH, "{}")]);
        cur.binaries.insert(
            "cn".into(),
            Binary {
                path: "/usr/bin/cn".into(),
                version: None,
            },
        );
        let f = tool().diagnose(&e, &gw(false), &cur);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .starts_with("the `cn` CLI reads only config.yaml")
        );
    }
}
