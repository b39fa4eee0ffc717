//! The code behind Claude Code's template (`templates/claude-code.toml`, hook
//! `claude-code`): what the data can't say. The template declares both files and every
//! value byok writes (so drift tracking covers them); this module adds:
//! - setup: an error for a literal setup without a key; the x-api-key approval in the
//!   state file (`customApiKeyResponses.approved` holds the key's last 20 characters,
//!   registered as secrets so every output masks them, also a deleted key's); notes for
//!   the strict-JSON loader, a key copied from a variable, a key helper and a user's own
//!   `apiKeyHelper` (kept: [`Hook::keeps`] says a helper that is not byok's command is the
//!   user's);
//! - remove: the approval of the key it finds in `env` goes; the state file goes only
//!   when byok created it and it holds nothing but the onboarding flag, else the flag
//!   stays (it only skips first-run screens) and a note says so;
//! - diagnose: shell variables that beat the user file, a subscription login (project
//!   `.claude/settings*.json` are the template's `[[project_file]]`s).
//!
//! Verified against Claude Code 2.1.197 (npm `@anthropic-ai/claude-code`), 2026-11-27,
//! from its bundled JavaScript and real runs against a loopback stub:
//! - the config dir is `CLAUDE_CONFIG_DIR ?? ~/.claude`; the state file is
//!   `<config dir>/.config.json` if that exists, else `(CLAUDE_CONFIG_DIR || ~)/.claude.json`;
//! - `ANTHROPIC_AUTH_TOKEN` → `Authorization: Bearer`, `ANTHROPIC_API_KEY` → `x-api-key`,
//!   an `apiKeyHelper`'s output → both; with `ANTHROPIC_AUTH_TOKEN` set a user's own
//!   `apiKeyHelper` is not called;
//! - settings `env` wins over the shell; `""` there hides a shell key entirely;
//! - settings.json is read as strict JSON (a BOM and CRLF are fine): one comment or
//!   trailing comma and the whole file is silently ignored;
//! - approval is `customApiKeyResponses.approved.includes(key.slice(-20))`; without it an
//!   interactive session shows "Detected a custom API key", then "Not logged in";
//! - a subscription login is not used while `ANTHROPIC_AUTH_TOKEN`, an `apiKeyHelper` or
//!   an approved `ANTHROPIC_API_KEY` is set.
//!
//! Not verified: Windows runs `apiKeyHelper` through a POSIX shell (Git Bash) too; the VS
//! Code extension ignores `apiKeyHelper` (anthropics/claude-code#38314, not tried).

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::{Value, json};

use super::KeyMode;
use super::generic::Hook;
use super::{Current, Detection, Finding, SetupOptions, Severity};
use crate::config_edit::{self, ParseError, jsonc};
use crate::env::Env;
use crate::plan::Plan;
use crate::profile::{AnthropicAuth, Gateway, KeySource};
use crate::secret;

/// Claude Code's hook.
pub struct ClaudeHook;

const BASE_URL: &str = "ANTHROPIC_BASE_URL";
const AUTH_TOKEN: &str = "ANTHROPIC_AUTH_TOKEN";
const API_KEY: &str = "ANTHROPIC_API_KEY";
const MODEL: &str = "ANTHROPIC_MODEL";
const OPUS: &str = "ANTHROPIC_DEFAULT_OPUS_MODEL";
const SONNET: &str = "ANTHROPIC_DEFAULT_SONNET_MODEL";
const HAIKU: &str = "ANTHROPIC_DEFAULT_HAIKU_MODEL";
const SMALL_FAST: &str = "ANTHROPIC_SMALL_FAST_MODEL";

/// The `env` entries the template owns (diagnose compares them with the shell's and
/// the project files').
const OWNED_ENV: &[&str] = &[
    BASE_URL, AUTH_TOKEN, API_KEY, MODEL, OPUS, SONNET, HAIKU, SMALL_FAST,
];
const HELPER: &str = "apiKeyHelper";
/// The template's id of the settings file.
const SETTINGS_ID: &str = "settings.json";
/// What marks an `apiKeyHelper` as byok's (the template's `helper` command).
const HELPER_MARK: &str = " print-key --profile ";
/// How many trailing key characters Claude Code stores to remember an approved key.
const APPROVED_SUFFIX: usize = 20;
const APPROVED: [&str; 2] = ["customApiKeyResponses", "approved"];
const ONBOARDING: &str = "hasCompletedOnboarding";
const HINT_SETUP: &str = "run `byok setup claude-code`";
const VSCODE_HELPER_NOTE: &str = "the Claude Code VS Code extension ignores apiKeyHelper (anthropics/claude-code#38314): there, use `--key-mode literal` or the terminal CLI";

/// Where Claude Code keeps things for one environment (mirrors the template's roots).
struct Paths {
    dir: PathBuf,
    settings: PathBuf,
    state: PathBuf,
    legacy_state: PathBuf,
}

impl Paths {
    fn new(env: &Env) -> Self {
        let custom = env.path_var("CLAUDE_CONFIG_DIR");
        let dir = custom.clone().unwrap_or_else(|| env.home.join(".claude"));
        let state = custom
            .unwrap_or_else(|| env.home.clone())
            .join(".claude.json");
        Self {
            settings: dir.join("settings.json"),
            legacy_state: dir.join(".config.json"),
            dir,
            state,
        }
    }

    /// The state file Claude Code uses: the legacy name wins when it exists.
    fn state<'a>(&'a self, cur: &Current) -> &'a Path {
        if cur.file(&self.legacy_state).is_some() {
            &self.legacy_state
        } else {
            &self.state
        }
    }
}

fn is_byok_helper(value: &Value) -> bool {
    value.as_str().is_some_and(|s| s.contains(HELPER_MARK))
}

/// The key fragments Claude Code keeps as approved in the state file.
fn approved(state: Option<&str>) -> Vec<String> {
    match state.and_then(|t| jsonc::get(t, &APPROVED).ok().flatten()) {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether the drift record says byok created `path` (it was missing or blank before).
fn created_by_byok(cur: &Current, path: &Path) -> bool {
    cur.created.as_ref().is_some_and(|c| c.contains(path))
}

/// Whether JSON(C) text holds nothing but the `leftover` members (all of them byok's).
fn holds_only(text: &str, leftover: &[(&str, Value)]) -> bool {
    match jsonc::parse(text) {
        Ok(Some(Value::Object(m))) => m
            .iter()
            .all(|(k, v)| leftover.iter().any(|(lk, lv)| k == lk && v == lv)),
        Ok(None) => true,
        _ => false,
    }
}

/// The part of a key Claude Code remembers as approved.
fn approved_fragment(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    chars[chars.len().saturating_sub(APPROVED_SUFFIX)..]
        .iter()
        .collect()
}

/// Where a text fails strict JSON (what Claude Code's settings loader accepts), if it does.
fn strict_json_error(text: &str) -> Option<ParseError> {
    let (_, body) = config_edit::split_bom(text);
    // Text jsonc rejects too (a raw control character in a string) is reported as
    // unparsable with its own reason; only what jsonc allows and strict JSON does not is
    // down to comments and trailing commas.
    if body.trim().is_empty() || jsonc::parse(body).is_err() {
        return None;
    }
    serde_json::from_str::<Value>(body)
        .err()
        .map(|e| ParseError {
            line: e.line(),
            column: e.column(),
            message: "comments and trailing commas are not allowed in strict JSON".to_string(),
        })
}

/// The settings' `env` object, if the file parses.
fn settings_env(text: Option<&str>) -> Option<serde_json::Map<String, Value>> {
    match jsonc::get(text?, &["env"]) {
        Ok(Some(Value::Object(m))) => Some(m),
        _ => None,
    }
}

/// The change a plan makes to `path`, if any.
fn change_of<'a>(plan: &'a mut Plan, path: &Path) -> Option<&'a mut crate::plan::Change> {
    plan.changes.iter_mut().find(|c| c.path == path)
}

/// `text` with the key's fragment approved, or a note when the list isn't one.
fn approve(env: &Env, path: &Path, text: &str, frag: &str) -> Result<(String, Option<String>)> {
    let bad = |e| config_edit::unparsable(env, path, &e);
    Ok(match jsonc::get(text, &APPROVED).map_err(bad)? {
        None => (
            jsonc::set(text, &APPROVED, &json!([frag])).map_err(bad)?,
            None,
        ),
        Some(Value::Array(mut list)) => {
            if list.iter().any(|v| v.as_str() == Some(frag)) {
                (text.to_string(), None)
            } else {
                list.push(json!(frag));
                (
                    jsonc::set(text, &APPROVED, &json!(list)).map_err(bad)?,
                    None,
                )
            }
        }
        Some(_) => (
            text.to_string(),
            Some(format!(
                "customApiKeyResponses.approved in {} is not a list; Claude Code may ask once to approve the key",
                env.tilde(path)
            )),
        ),
    })
}

impl Hook for ClaudeHook {
    fn detect(&self, env: &Env, cur: &Current, det: &mut Detection) {
        let p = Paths::new(env);
        let state = p.state(cur);
        if cur.file(state).is_some() {
            det.installed = true;
            det.evidence
                .push(format!("state file {}", env.tilde(state)));
        }
    }

    fn after_plan(
        &self,
        env: &Env,
        gw: &Gateway,
        opts: &SetupOptions,
        cur: &Current,
        plan: &mut Plan,
    ) -> Result<()> {
        let p = Paths::new(env);
        let settings = env.tilde(&p.settings);
        let helper = opts.key_mode == KeyMode::Helper;
        // A literal setup needs the key; the engine would only leave its values out.
        let key = if helper {
            None
        } else {
            Some(gw.require_key()?.expose().to_string())
        };
        let mut notes = Vec::new();
        // Said when setup changes something, as the template's notes are.
        let changes = plan.effective().next().is_some();
        match (&gw.key, helper) {
            _ if !changes => {}
            (KeySource::Env { var, .. }, true) => {
                notes.push(VSCODE_HELPER_NOTE.to_string());
                notes.push(format!(
                    "the key helper reads ${var}: start claude from a shell where it is set"
                ));
            }
            (_, true) => notes.push(VSCODE_HELPER_NOTE.to_string()),
            (KeySource::Env { var, .. }, false) => notes.push(format!(
                "the key from ${var} is written into {settings}; without `--key-mode literal` a key command keeps it out of the file"
            )),
            _ => {}
        }
        let before = cur.file(&p.settings).unwrap_or("");
        if !helper
            && jsonc::get(before, &[HELPER])
                .ok()
                .flatten()
                .is_some_and(|h| !is_byok_helper(&h))
        {
            notes.push(format!(
                "{settings} also has an apiKeyHelper of your own; Claude Code uses the key byok wrote instead, so it is left as it is"
            ));
        }
        let after = change_of(plan, &p.settings).and_then(|c| c.after.clone());
        if let Some(e) = after.as_deref().and_then(strict_json_error) {
            notes.push(format!(
                "Claude Code ignores {settings} entirely while it has comments or trailing commas ({e}); remove them by hand"
            ));
        }
        if let Some(key) = key.filter(|_| gw.anthropic_auth == AnthropicAuth::XApiKey) {
            let state = p.state(cur).to_path_buf();
            if let Some(c) = change_of(plan, &state) {
                let text = c.after.clone().unwrap_or_default();
                let (text, note) = approve(env, &state, &text, &approved_fragment(&key))?;
                c.after = Some(text);
                notes.extend(note);
            }
        }
        plan.notes.extend(notes);
        Ok(())
    }

    fn after_remove(&self, env: &Env, cur: &Current, plan: &mut Plan) -> Result<()> {
        let p = Paths::new(env);
        let written_key = settings_env(cur.file(&p.settings))
            .and_then(|e| e.get(API_KEY)?.as_str().map(str::to_string))
            .filter(|k| !k.is_empty());
        let state = p.state(cur).to_path_buf();
        let Some(c) = change_of(plan, &state) else {
            return Ok(());
        };
        let mut text = c.after.clone().unwrap_or_default();
        let bad = |e| config_edit::unparsable(env, &state, &e);
        if let Some(frag) = written_key.as_deref().map(approved_fragment)
            && let Some(Value::Array(list)) = jsonc::get(&text, &APPROVED).map_err(bad)?
        {
            let kept: Vec<Value> = list
                .iter()
                .filter(|v| v.as_str() != Some(frag.as_str()))
                .cloned()
                .collect();
            if kept.len() != list.len() {
                text = if kept.is_empty() {
                    jsonc::remove(&text, &APPROVED, true).map_err(bad)?
                } else {
                    jsonc::set(&text, &APPROVED, &json!(kept)).map_err(bad)?
                };
            }
        }
        // A state file byok created and Claude Code never wrote to holds only byok's
        // onboarding flag: it goes, as there was no file before.
        let kept =
            !(created_by_byok(cur, &state) && holds_only(&text, &[(ONBOARDING, json!(true))]));
        c.after = kept.then_some(text);
        if kept {
            plan.notes.push(format!(
                "{ONBOARDING} stays true in {}: it only skips Claude Code's first-run screens",
                env.tilde(&state)
            ));
        }
        Ok(())
    }

    fn keeps(&self, file: &str, key: &str, text: &str) -> bool {
        // An `apiKeyHelper` that is not byok's command is the user's own.
        file == SETTINGS_ID
            && key == HELPER
            && jsonc::get(text, &[HELPER])
                .ok()
                .flatten()
                .is_some_and(|h| !is_byok_helper(&h))
    }

    fn secrets(&self, env: &Env, cur: &Current) -> Vec<String> {
        approved(cur.file(Paths::new(env).state(cur)))
    }

    fn diagnose(&self, env: &Env, gw: &Gateway, cur: &Current) -> Vec<Finding> {
        let p = Paths::new(env);
        let mut out = Vec::new();
        let settings_text = cur.file(&p.settings);
        let file = env.tilde(&p.settings);

        // The user settings themselves.
        if let Some(e) = settings_text.and_then(strict_json_error) {
            out.push(Finding {
                severity: Severity::Fail,
                message: format!("Claude Code ignores {file}: it is not strict JSON ({e})"),
                hint: Some(format!(
                    "remove the comments and trailing commas from {file}"
                )),
            });
        }
        let senv = settings_env(settings_text).unwrap_or_default();
        let sget = |k: &str| senv.get(k).and_then(Value::as_str);
        match sget(BASE_URL) {
            Some(u) if u.trim_end_matches('/') != gw.anthropic_base.trim_end_matches('/') => {
                out.push(Finding {
                    severity: Severity::Warn,
                    message: format!(
                        "{file} sends Claude Code to {u}, not to profile `{}` ({})",
                        gw.name, gw.anthropic_base
                    ),
                    hint: Some(HINT_SETUP.to_string()),
                });
            }
            Some(_) => {}
            None => out.push(Finding {
                severity: Severity::Warn,
                message: format!(
                    "{file} does not set {BASE_URL}: Claude Code is not using the gateway"
                ),
                hint: Some(HINT_SETUP.to_string()),
            }),
        }

        // A subscription login, used whenever no gateway credential takes precedence.
        let state_path = p.state(cur);
        let state = cur.file(state_path);
        let mut login = Vec::new();
        if cur.entries(&p.dir).iter().any(|e| e == ".credentials.json") {
            login.push(env.tilde(&p.dir.join(".credentials.json")));
        }
        if state
            .and_then(|t| jsonc::get(t, &["oauthAccount"]).ok().flatten())
            .is_some_and(|v| v.is_object())
        {
            login.push(format!("oauthAccount in {}", env.tilde(state_path)));
        }
        if !login.is_empty() {
            let approved = sget(API_KEY).filter(|k| !k.is_empty()).is_some_and(|k| {
                let frag = approved_fragment(k);
                state
                    .and_then(|t| {
                        jsonc::get(t, &["customApiKeyResponses", "approved"])
                            .ok()
                            .flatten()
                    })
                    .and_then(|v| v.as_array().cloned())
                    .is_some_and(|a| a.iter().any(|v| v.as_str() == Some(frag.as_str())))
            });
            let gateway_auth = sget(AUTH_TOKEN).is_some_and(|t| !t.is_empty())
                || settings_text
                    .and_then(|t| jsonc::get(t, &[HELPER]).ok().flatten())
                    .is_some()
                || approved;
            out.push(if gateway_auth {
                Finding {
                    severity: Severity::Info,
                    message: format!(
                        "a Claude subscription login is stored ({}); the gateway key in {file} takes precedence",
                        login.join(", ")
                    ),
                    hint: None,
                }
            } else {
                Finding {
                    severity: Severity::Warn,
                    message: format!(
                        "a Claude subscription login is stored ({}) and {file} has no gateway credential that outranks it: interactive sessions use the subscription",
                        login.join(", ")
                    ),
                    hint: Some(HINT_SETUP.to_string()),
                }
            });
        }

        // Shell variables: settings' env wins, but only for the names it sets.
        for &k in OWNED_ENV {
            let Some(shell) = env.var(k) else { continue };
            let is_secret = k == API_KEY || k == AUTH_TOKEN;
            let shown = if is_secret {
                secret::mask(shell)
            } else {
                shell.to_string()
            };
            match senv.get(k) {
                Some(v) if v.as_str() == Some(shell) => {}
                Some(_) => out.push(Finding {
                    severity: Severity::Info,
                    message: format!(
                        "the shell sets {k}={shown}; {file} overrides it for claude, other programs still see it"
                    ),
                    hint: None,
                }),
                None => out.push(Finding {
                    severity: Severity::Warn,
                    message: if k == API_KEY {
                        format!(
                            "the shell sets {k}={shown} and {file} does not override it: Claude Code sends it as x-api-key"
                        )
                    } else {
                        format!("the shell sets {k}={shown} and {file} does not override it")
                    },
                    hint: Some(HINT_SETUP.to_string()),
                }),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::env::Os;
    use crate::gateway::probe::Api;
    use crate::plan::Change;
    use crate::tools::{Tool, ToolId};

    /// The registered Claude Code tool: the template driven by the engine and this hook.
    fn tool() -> &'static dyn Tool {
        crate::tools::get(ToolId::ClaudeCode).unwrap()
    }
    use crate::profile::{self, Profile};
    use crate::secret::ApiKey;

    const KEY: &str = "sk-test-0123456789abcdef";
    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/claude-code");

    fn fixture(case: &str, file: &str) -> String {
        std::fs::read_to_string(format!("{FIXTURES}/{case}/{file}")).unwrap()
    }

    fn env_with(vars: &[(&str, &str)]) -> Env {
        let mut map: BTreeMap<String, String> = BTreeMap::new();
        map.insert("HOME".into(), "/h".into());
        for (k, v) in vars {
            map.insert((*k).into(), (*v).into());
        }
        Env::from_vars(map, Os::Linux, PathBuf::from("/work/proj"), None)
    }

    fn gw_with(f: impl FnOnce(&mut Profile)) -> Gateway {
        let mut p = Profile {
            base_url: "https://gw.example.com".into(),
            anthropic_model: Some("claude-sonnet-4-5".into()),
            ..Profile::default()
        };
        f(&mut p);
        profile::from_profile("work".into(), &p, KeySource::Literal(ApiKey::new(KEY))).unwrap()
    }

    fn gw() -> Gateway {
        gw_with(|_| {})
    }

    fn cur(files: &[(&str, &str)]) -> Current {
        let mut c = Current::default();
        for (p, t) in files {
            c.files.insert(PathBuf::from(p), Some((*t).to_string()));
        }
        c
    }

    fn after<'a>(plan: &'a Plan, path: &str) -> &'a str {
        plan.changes
            .iter()
            .find(|c| c.path == Path::new(path))
            .and_then(|c| c.after.as_deref())
            .unwrap_or_else(|| panic!("no change for {path}: {plan:#?}"))
    }

    const SETTINGS: &str = "/h/.claude/settings.json";
    const STATE: &str = "/h/.claude.json";
    const CASES: &[&str] = &["full", "commented", "crlf", "bom", "empty", "previous"];

    fn literal() -> SetupOptions {
        SetupOptions {
            exe: "/usr/local/bin/byok".into(),
            ..SetupOptions::default()
        }
    }

    fn helper() -> SetupOptions {
        SetupOptions {
            key_mode: KeyMode::Helper,
            ..literal()
        }
    }

    /// `cur` with the plan's results written back, as the engine would leave the disk.
    fn applied(mut c: Current, plan: &Plan) -> Current {
        for ch in &plan.changes {
            c.files.insert(ch.path.clone(), ch.after.clone());
        }
        c
    }

    /// Compares long texts by line, so a failure shows where they differ.
    #[track_caller]
    fn assert_text(got: &str, want: &str) {
        if got != want {
            let diff = similar::TextDiff::from_lines(want, got)
                .unified_diff()
                .context_radius(1)
                .to_string();
            panic!("texts differ (- want, + got):\n{diff}");
        }
    }

    fn change<'a>(plan: &'a Plan, path: &str) -> &'a Change {
        plan.changes
            .iter()
            .find(|c| c.path == Path::new(path))
            .unwrap_or_else(|| panic!("no change for {path}: {plan:#?}"))
    }

    #[test]
    fn paths_follow_claude_config_dir_and_legacy_state() {
        struct Case {
            vars: &'static [(&'static str, &'static str)],
            files: &'static [&'static str],
            settings: &'static str,
            state: &'static str,
        }
        let cases = [
            Case {
                vars: &[],
                files: &[],
                settings: "/h/.claude/settings.json",
                state: "/h/.claude.json",
            },
            Case {
                vars: &[("CLAUDE_CONFIG_DIR", "/cfg/claude")],
                files: &[],
                settings: "/cfg/claude/settings.json",
                state: "/cfg/claude/.claude.json",
            },
            Case {
                vars: &[("CLAUDE_CONFIG_DIR", "~/alt")],
                files: &[],
                settings: "/h/alt/settings.json",
                state: "/h/alt/.claude.json",
            },
            Case {
                vars: &[("CLAUDE_CONFIG_DIR", "")],
                files: &[],
                settings: "/h/.claude/settings.json",
                state: "/h/.claude.json",
            },
            Case {
                vars: &[],
                files: &["/h/.claude/.config.json"],
                settings: "/h/.claude/settings.json",
                state: "/h/.claude/.config.json",
            },
            // Windows and macOS use the same home-relative layout.
            Case {
                vars: &[("BYOK_OS", "windows"), ("USERPROFILE", "/h")],
                files: &[],
                settings: "/h/.claude/settings.json",
                state: "/h/.claude.json",
            },
            Case {
                vars: &[("BYOK_OS", "macos")],
                files: &[],
                settings: "/h/.claude/settings.json",
                state: "/h/.claude.json",
            },
        ];
        for c in cases {
            let e = env_with(c.vars);
            let files: Vec<(&str, &str)> = c.files.iter().map(|f| (*f, "{}")).collect();
            let d = tool().detect(&e, &cur(&files));
            assert_eq!(
                d.config_files,
                vec![PathBuf::from(c.settings), PathBuf::from(c.state)],
                "{:?}",
                c.vars
            );
            let inputs = tool().inputs(&e);
            assert!(inputs.files.contains(&PathBuf::from(c.settings)));
            assert!(inputs.files.contains(&PathBuf::from(c.state)));
        }
    }

    #[test]
    fn setup_gives_the_expected_settings_for_every_fixture() {
        for case in CASES {
            let before = fixture(case, "settings.json");
            let c = cur(&[(SETTINGS, &before)]);
            let plan = tool().plan(&env_with(&[]), &gw(), &literal(), &c).unwrap();
            assert_eq!(
                after(&plan, SETTINGS),
                fixture(case, "expected.settings.json"),
                "{case}"
            );
            let ch = change(&plan, SETTINGS);
            assert!(ch.secret, "{case}: settings.json holds the key");
            assert_eq!(ch.before.as_deref(), Some(before.as_str()));
            // A missing state file is created holding just the onboarding flag, 0600.
            let st = change(&plan, STATE);
            assert_eq!(st.before, None);
            assert_eq!(
                st.after.as_deref(),
                Some("{\n  \"hasCompletedOnboarding\": true\n}\n")
            );
            assert!(st.secret);
            // Nothing else in the user's file changed value.
            let mut want = jsonc::parse(&before).unwrap().unwrap_or(json!({}));
            let mut got = jsonc::parse(after(&plan, SETTINGS)).unwrap().unwrap();
            for v in [&mut want, &mut got] {
                if let Some(e) = v.get_mut("env").and_then(Value::as_object_mut) {
                    for k in OWNED_ENV {
                        e.remove(*k);
                    }
                }
            }
            if want.get("env").is_none() {
                got.as_object_mut().unwrap().remove("env");
            }
            assert_eq!(got, want, "{case}");
        }
    }

    #[test]
    fn second_setup_changes_nothing() {
        let e = env_with(&[]);
        for (auth, opts) in [
            (AnthropicAuth::Bearer, literal()),
            (AnthropicAuth::XApiKey, literal()),
            (AnthropicAuth::Bearer, helper()),
        ] {
            let g = gw_with(|p| p.anthropic_auth = auth);
            for case in CASES {
                let c = cur(&[
                    (SETTINGS, &fixture(case, "settings.json")),
                    (STATE, &fixture("full", ".claude.json")),
                ]);
                let plan = tool().plan(&e, &g, &opts, &c).unwrap();
                assert!(!plan.is_up_to_date());
                let again = tool().plan(&e, &g, &opts, &applied(c, &plan)).unwrap();
                assert!(again.is_up_to_date(), "{case} {auth:?}: {again:#?}");
            }
        }
    }

    #[test]
    fn line_endings_and_bom_are_kept() {
        let plan = tool()
            .plan(
                &env_with(&[]),
                &gw(),
                &literal(),
                &cur(&[(SETTINGS, &fixture("crlf", "settings.json"))]),
            )
            .unwrap();
        let out = after(&plan, SETTINGS);
        assert_eq!(out.matches('\n').count(), out.matches("\r\n").count());
        let plan = tool()
            .plan(
                &env_with(&[]),
                &gw(),
                &literal(),
                &cur(&[(SETTINGS, &fixture("bom", "settings.json"))]),
            )
            .unwrap();
        assert!(after(&plan, SETTINGS).starts_with("\u{feff}{\n\t\"env\": {\n\t\t"));
    }

    #[test]
    fn big_state_file_changes_one_line() {
        let state = fixture("full", ".claude.json");
        assert!(state.len() > 45_000, "the fixture should stay realistic");
        let c = cur(&[(SETTINGS, "{}"), (STATE, &state)]);
        let plan = tool().plan(&env_with(&[]), &gw(), &literal(), &c).unwrap();
        assert_text(
            after(&plan, STATE),
            &state.replace(
                "\"hasCompletedOnboarding\": false,",
                "\"hasCompletedOnboarding\": true,",
            ),
        );
    }

    #[test]
    fn x_api_key_sets_api_key_and_approves_its_last_20_characters() {
        let g = gw_with(|p| p.anthropic_auth = AnthropicAuth::XApiKey);
        let state = fixture("full", ".claude.json");
        let c = cur(&[
            (SETTINGS, &fixture("full", "settings.json")),
            (STATE, &state),
        ]);
        let plan = tool().plan(&env_with(&[]), &g, &literal(), &c).unwrap();
        let env = settings_env(Some(after(&plan, SETTINGS))).unwrap();
        assert_eq!(env[API_KEY], json!(KEY));
        assert_eq!(env[AUTH_TOKEN], json!(""));
        assert_eq!(approved_fragment(KEY), &KEY[KEY.len() - 20..]);
        assert_eq!(approved_fragment("short"), "short");
        assert_text(
            after(&plan, STATE),
            &state
                .replace(
                    "\"hasCompletedOnboarding\": false,",
                    "\"hasCompletedOnboarding\": true,",
                )
                .replace(
                    "\"approved\": [\n      \"Wx2cQe9Lk0Rm3Tp5Vn7A\"\n    ],",
                    "\"approved\": [\"Wx2cQe9Lk0Rm3Tp5Vn7A\", \"est-0123456789abcdef\"],",
                ),
        );
        assert!(change(&plan, STATE).secret);
        // No state file yet: the list is created.
        let plan = tool()
            .plan(&env_with(&[]), &g, &literal(), &cur(&[]))
            .unwrap();
        assert_eq!(
            jsonc::parse(after(&plan, STATE)).unwrap(),
            Some(json!({
                "hasCompletedOnboarding": true,
                "customApiKeyResponses": {"approved": ["est-0123456789abcdef"]}
            }))
        );
    }

    #[test]
    fn switching_auth_style_clears_the_other_variable() {
        let e = env_with(&[]);
        let c = cur(&[(SETTINGS, &fixture("full", "settings.json"))]);
        let bearer = tool().plan(&e, &gw(), &literal(), &c).unwrap();
        let x = gw_with(|p| p.anthropic_auth = AnthropicAuth::XApiKey);
        let plan = tool()
            .plan(&e, &x, &literal(), &applied(c, &bearer))
            .unwrap();
        let env = settings_env(Some(after(&plan, SETTINGS))).unwrap();
        assert_eq!((&env[API_KEY], &env[AUTH_TOKEN]), (&json!(KEY), &json!("")));
    }

    #[test]
    fn models_follow_the_profile() {
        let e = env_with(&[]);
        let models = |g: &Gateway| {
            let plan = tool().plan(&e, g, &literal(), &cur(&[])).unwrap();
            let env = settings_env(Some(after(&plan, SETTINGS))).unwrap();
            [MODEL, OPUS, SONNET, HAIKU, SMALL_FAST].map(|k| env.get(k).cloned())
        };
        let s = |v: &str| Some(json!(v));
        assert_eq!(
            models(&gw_with(|p| p.small_model = Some("gw-mini".into()))),
            [
                s("claude-sonnet-4-5"),
                s("claude-sonnet-4-5"),
                s("claude-sonnet-4-5"),
                s("gw-mini"),
                s("gw-mini")
            ]
        );
        // Only the chat model: Claude Code gets that.
        let chat_only = gw_with(|p| {
            p.anthropic_model = None;
            p.model = Some("gpt-4o".into());
        });
        assert_eq!(
            models(&chat_only),
            [
                s("gpt-4o"),
                s("gpt-4o"),
                s("gpt-4o"),
                s("gpt-4o"),
                s("gpt-4o")
            ]
        );
        // No model at all: Claude Code's own defaults stay.
        let none = gw_with(|p| p.anthropic_model = None);
        assert_eq!(models(&none), [None, None, None, None, None]);
    }

    #[test]
    fn helper_mode_writes_a_command_and_no_key() {
        let e = env_with(&[("ANTHROPIC_API_KEY", "sk-shell-stale-000000000")]);
        let g = gw_with(|p| p.anthropic_auth = AnthropicAuth::XApiKey);
        let c = cur(&[(SETTINGS, &fixture("previous", "settings.json"))]);
        let plan = tool().plan(&e, &g, &helper(), &c).unwrap();
        let out = after(&plan, SETTINGS);
        assert!(!out.contains(KEY), "{out}");
        assert!(!after(&plan, STATE).contains(&KEY[KEY.len() - 20..]));
        assert_eq!(
            jsonc::get(out, &[HELPER]).unwrap(),
            Some(json!("'/usr/local/bin/byok' print-key --profile 'work'"))
        );
        let env = settings_env(Some(out)).unwrap();
        assert_eq!((&env[API_KEY], &env[AUTH_TOKEN]), (&json!(""), &json!("")));
        assert_eq!(env["HTTPS_PROXY"], json!("http://proxy.corp.example:3128"));
        assert!(!change(&plan, SETTINGS).secret);
        assert!(
            plan.notes.iter().any(|n| n.contains("#38314")),
            "{:?}",
            plan.notes
        );
        // A key read from a variable must be in claude's environment too.
        let from_var = Gateway {
            key: KeySource::Env {
                var: "GW_KEY".into(),
                value: None,
            },
            ..gw()
        };
        let plan = tool().plan(&e, &from_var, &helper(), &c).unwrap();
        assert!(
            plan.notes.iter().any(|n| n.contains("$GW_KEY")),
            "{:?}",
            plan.notes
        );
        // A literal setup copies a key read from a variable, and says so.
        let set_var = Gateway {
            key: KeySource::Env {
                var: "GW_KEY".into(),
                value: Some(ApiKey::new(KEY)),
            },
            ..gw()
        };
        let plan = tool().plan(&e, &set_var, &literal(), &c).unwrap();
        assert!(after(&plan, SETTINGS).contains(KEY));
        assert!(
            plan.notes
                .iter()
                .any(|n| n
                    .starts_with("the key from $GW_KEY is written into ~/.claude/settings.json")),
            "{:?}",
            plan.notes
        );
        // ...and needs the key now.
        let err = tool().plan(&e, &from_var, &literal(), &c).unwrap_err();
        assert!(err.to_string().contains("$GW_KEY"), "{err}");
    }

    #[test]
    fn helper_quoting_survives_odd_paths() {
        let opts = SetupOptions {
            exe: "/opt/it's here/byok".into(),
            ..helper()
        };
        let plan = tool()
            .plan(&env_with(&[]), &gw(), &opts, &cur(&[]))
            .unwrap();
        let command = jsonc::get(after(&plan, SETTINGS), &[HELPER])
            .unwrap()
            .unwrap();
        assert_eq!(
            command,
            json!(r"'/opt/it'\''s here/byok' print-key --profile 'work'")
        );
        assert!(is_byok_helper(&command));
        assert!(!is_byok_helper(&json!("~/bin/get-anthropic-key.sh")));
    }

    #[test]
    fn literal_mode_replaces_byok_helper_but_keeps_the_users() {
        let e = env_with(&[]);
        let c = cur(&[(SETTINGS, &fixture("full", "settings.json"))]);
        let h = tool().plan(&e, &gw(), &helper(), &c).unwrap();
        let back = tool().plan(&e, &gw(), &literal(), &applied(c, &h)).unwrap();
        assert_eq!(
            after(&back, SETTINGS),
            fixture("full", "expected.settings.json")
        );
        let users = tool()
            .plan(
                &e,
                &gw(),
                &literal(),
                &cur(&[(SETTINGS, &fixture("previous", "settings.json"))]),
            )
            .unwrap();
        assert!(
            after(&users, SETTINGS).contains("\"apiKeyHelper\": \"~/bin/get-anthropic-key.sh\"")
        );
        assert!(
            users
                .notes
                .iter()
                .any(|n| n.contains("apiKeyHelper of your own"))
        );
    }

    #[test]
    fn commented_settings_are_kept_with_a_warning() {
        let plan = tool()
            .plan(
                &env_with(&[]),
                &gw(),
                &literal(),
                &cur(&[(SETTINGS, &fixture("commented", "settings.json"))]),
            )
            .unwrap();
        assert!(after(&plan, SETTINGS).contains("/* old gateway, kept for reference */"));
        assert_eq!(
            plan.notes,
            vec![
                "Claude Code ignores ~/.claude/settings.json entirely while it has comments or trailing commas (line 2, column 3: comments and trailing commas are not allowed in strict JSON); remove them by hand"
            ]
        );
    }

    #[test]
    fn malformed_files_are_refused_with_their_position() {
        let e = env_with(&[]);
        let bad = fixture("malformed", "settings.json");
        for c in [
            cur(&[(SETTINGS, &bad)]),
            cur(&[
                (SETTINGS, "{}"),
                (STATE, "{\n  \"projects\": {\n    \"/x\": [1,,]\n  }\n}"),
            ]),
        ] {
            let err = tool().plan(&e, &gw(), &literal(), &c).unwrap_err();
            let u = err.downcast_ref::<crate::error::UserError>().unwrap();
            assert!(
                u.message.starts_with("could not parse ~/.claude"),
                "{}",
                u.message
            );
            assert!(u.hint.as_deref().unwrap().contains("untouched"));
        }
        let err = tool()
            .remove(&e, &literal(), &cur(&[(SETTINGS, &bad)]))
            .unwrap_err();
        assert!(err.to_string().starts_with("could not parse"), "{err}");
        let err = tool()
            .plan(&e, &gw(), &literal(), &cur(&[(SETTINGS, &bad)]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "could not parse ~/.claude/settings.json: line 4, column 4: Expected comma"
        );
        // A non-object env is not guessed at either.
        let err = tool()
            .plan(&e, &gw(), &literal(), &cur(&[(SETTINGS, "{\"env\": []}")]))
            .unwrap_err();
        assert!(
            err.to_string().contains("`env` is not a JSON object"),
            "{err}"
        );
    }

    #[test]
    fn remove_takes_out_only_what_setup_added() {
        let e = env_with(&[]);
        let x = gw_with(|p| p.anthropic_auth = AnthropicAuth::XApiKey);
        let state = fixture("full", ".claude.json");
        // Per fixture, a later hand edit of the user's own settings, which must survive.
        let edits = [
            (
                "full",
                "\"defaultMode\": \"acceptEdits\"",
                "\"defaultMode\": \"plan\"",
            ),
            ("crlf", "Bash(cargo test:*)", "Bash(cargo nextest:*)"),
            ("bom", "\"hooks\": {}", "\"hooks\": {\"Stop\": []}"),
        ];
        for (case, from, to) in edits {
            let original = fixture(case, "settings.json");
            let c = cur(&[(SETTINGS, &original), (STATE, &state)]);
            let plan = tool().plan(&e, &x, &literal(), &c).unwrap();
            let mut c = applied(c, &plan);
            let edited = c.file(Path::new(SETTINGS)).unwrap().replace(from, to);
            c.files.insert(SETTINGS.into(), Some(edited));
            let removed = tool().remove(&e, &literal(), &c).unwrap();
            assert_eq!(
                after(&removed, SETTINGS),
                original.replace(from, to),
                "{case}"
            );
            // The approval byok added is gone; the user's own stay; onboarding stays done.
            assert_text(
                after(&removed, STATE),
                &state
                    .replace(
                        "\"hasCompletedOnboarding\": false,",
                        "\"hasCompletedOnboarding\": true,",
                    )
                    .replace(
                        "\"approved\": [\n      \"Wx2cQe9Lk0Rm3Tp5Vn7A\"\n    ],",
                        "\"approved\": [\"Wx2cQe9Lk0Rm3Tp5Vn7A\"],",
                    ),
            );
            assert!(removed.notes[0].contains("hasCompletedOnboarding stays true"));
        }
    }

    #[test]
    fn remove_prunes_what_byok_created() {
        let e = env_with(&[]);
        let x = gw_with(|p| p.anthropic_auth = AnthropicAuth::XApiKey);
        for opts in [literal(), helper()] {
            let c = cur(&[(SETTINGS, "{\n  \"theme\": \"dark\"\n}\n")]);
            let plan = tool().plan(&e, &x, &opts, &c).unwrap();
            let done = applied(c, &plan);
            let removed = tool().remove(&e, &opts, &done).unwrap();
            assert_eq!(after(&removed, SETTINGS), "{\n  \"theme\": \"dark\"\n}\n");
            let state = removed.changes.iter().find(|c| c.path == Path::new(STATE));
            let left = state.map_or(done.file(Path::new(STATE)), |c| c.after.as_deref());
            assert_eq!(
                jsonc::parse(left.unwrap()).unwrap(),
                Some(json!({"hasCompletedOnboarding": true}))
            );
        }
        // Nothing there: nothing to do.
        let plan = tool().remove(&e, &literal(), &cur(&[])).unwrap();
        assert!(plan.is_up_to_date());
    }

    #[test]
    fn owned_lists_byok_keys_with_current_values() {
        let e = env_with(&[]);
        let c = cur(&[(SETTINGS, &fixture("previous", "settings.json"))]);
        let owned = tool().owned(&e, &c);
        let get = |label: &str| {
            owned
                .iter()
                .find(|(l, _)| l == label)
                .unwrap_or_else(|| panic!("{label} in {owned:?}"))
                .1
                .clone()
        };
        assert_eq!(
            get("~/.claude/settings.json env.ANTHROPIC_BASE_URL").as_deref(),
            Some("https://api.old-proxy.example.net")
        );
        assert_eq!(get("~/.claude/settings.json env.ANTHROPIC_API_KEY"), None);
        assert_eq!(
            get("~/.claude/settings.json apiKeyHelper").as_deref(),
            Some("~/bin/get-anthropic-key.sh")
        );
        // The env keys, `apiKeyHelper` and `ANTHROPIC_CUSTOM_HEADERS`.
        assert_eq!(owned.len(), OWNED_ENV.len() + 2);
        // After setup the values are byok's; a hand edit shows up as a different value.
        let plan = tool().plan(&e, &gw(), &literal(), &c).unwrap();
        let after_setup = tool().owned(&e, &applied(c, &plan));
        assert!(after_setup.contains(&(
            "~/.claude/settings.json env.ANTHROPIC_AUTH_TOKEN".into(),
            Some(KEY.into())
        )));
    }

    #[test]
    fn detect_reports_evidence() {
        let e = env_with(&[]);
        let none = tool().detect(&e, &Current::default());
        assert!(!none.installed);
        assert!(none.evidence.is_empty());
        let mut c = cur(&[(STATE, "{}")]);
        c.dirs
            .insert("/h/.claude".into(), Some(vec!["settings.json".into()]));
        c.binaries.insert(
            "claude".into(),
            crate::tools::Binary {
                path: "/h/.local/bin/claude".into(),
                version: Some("2.1.197".into()),
            },
        );
        let d = tool().detect(&e, &c);
        assert!(d.installed);
        assert_eq!(
            d.evidence,
            vec![
                "binary ~/.local/bin/claude (2.1.197)",
                "config dir ~/.claude",
                "state file ~/.claude.json"
            ]
        );
        // Any one piece of evidence is enough.
        assert!(tool().detect(&e, &cur(&[(STATE, "{}")])).installed);
        assert_eq!(tool().endpoints(&gw()), vec![Api::Messages]);
    }

    fn configured() -> String {
        let plan = tool()
            .plan(&env_with(&[]), &gw(), &literal(), &cur(&[]))
            .unwrap();
        after(&plan, SETTINGS).to_string()
    }

    fn messages(f: &[Finding]) -> Vec<(Severity, String)> {
        f.iter().map(|f| (f.severity, f.message.clone())).collect()
    }

    #[test]
    fn diagnose_a_clean_setup_finds_nothing() {
        let c = cur(&[(SETTINGS, &configured())]);
        assert_eq!(tool().diagnose(&env_with(&[]), &gw(), &c), vec![]);
    }

    #[test]
    fn project_settings_are_the_templates_project_files() {
        let e = env_with(&[]);
        let local = "/work/proj/.claude/settings.local.json";
        let mut c = cur(&[
            (SETTINGS, &configured()),
            (
                local,
                "{\"env\": {\"ANTHROPIC_BASE_URL\": \"http://localhost:4000\", \"FOO\": \"1\"}, \"apiKeyHelper\": \"pass show gw\"}",
            ),
            ("/work/proj/.claude/settings.json", "{\"permissions\": {}}"),
        ]);
        assert!(tool().inputs(&e).files.contains(&PathBuf::from(local)));
        let reads = tool().project_reads(&e, &c);
        assert_eq!(reads.len(), 1, "{reads:?}");
        assert_eq!(reads[0].path, Path::new(local));
        assert_eq!(reads[0].base_urls, ["http://localhost:4000"]);
        assert_eq!(
            reads[0].sets,
            [("apiKeyHelper".to_string(), Some("pass show gw".to_string()))]
        );
        // The hook itself says nothing of project files any more.
        assert!(messages(&tool().diagnose(&e, &gw(), &c)).is_empty());
        c.files.insert(
            "/work/proj/.claude/settings.json".into(),
            Some("{ nope".into()),
        );
        let reads = tool().project_reads(&e, &c);
        assert!(reads[1].unparsable.is_some(), "{reads:?}");
        // Run from home, the project file would be the user file: read once, no report.
        let home = Env::from_vars(
            [("HOME".to_string(), "/h".to_string())].into(),
            Os::Linux,
            "/h".into(),
            None,
        );
        let inputs = tool().inputs(&home);
        assert_eq!(
            inputs
                .files
                .iter()
                .filter(|p| **p == Path::new(SETTINGS))
                .count(),
            1
        );
    }

    #[test]
    fn diagnose_subscription_login() {
        let e = env_with(&[]);
        let login = "{\"oauthAccount\": {\"emailAddress\": \"dev@example.com\"}}";
        let mut c = cur(&[(SETTINGS, "{}"), (STATE, login)]);
        c.dirs.insert(
            "/h/.claude".into(),
            Some(vec![".credentials.json".into(), "settings.json".into()]),
        );
        let f = tool().diagnose(&e, &gw(), &c);
        let sub: Vec<_> = f
            .iter()
            .filter(|f| f.message.contains("subscription"))
            .collect();
        assert_eq!(sub.len(), 1);
        assert_eq!(sub[0].severity, Severity::Warn);
        assert!(
            sub[0]
                .message
                .contains("~/.claude/.credentials.json, oauthAccount in ~/.claude.json"),
            "{}",
            sub[0].message
        );
        assert_eq!(sub[0].hint.as_deref(), Some(HINT_SETUP));
        // With byok's token in place the login is only worth knowing about.
        c.files.insert(SETTINGS.into(), Some(configured()));
        let f = tool().diagnose(&e, &gw(), &c);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].severity, Severity::Info);
        // x-api-key: it outranks the login only once approved.
        let x = gw_with(|p| p.anthropic_auth = AnthropicAuth::XApiKey);
        let plan = tool().plan(&e, &x, &literal(), &c).unwrap();
        let done = applied(c.clone(), &plan);
        assert_eq!(tool().diagnose(&e, &x, &done)[0].severity, Severity::Info);
        let mut unapproved = done.clone();
        unapproved.files.insert(STATE.into(), Some(login.into()));
        assert_eq!(
            tool().diagnose(&e, &x, &unapproved)[0].severity,
            Severity::Warn
        );
    }

    #[test]
    fn diagnose_shell_variables() {
        let stale = "sk-stale-shell-key-0000000000";
        let e = env_with(&[
            ("ANTHROPIC_API_KEY", stale),
            ("ANTHROPIC_BASE_URL", "https://api.anthropic.com"),
            ("ANTHROPIC_MODEL", "claude-sonnet-4-5"),
        ]);
        // Not configured: the shell values are what claude uses.
        let f = tool().diagnose(
            &e,
            &gw(),
            &cur(&[(
                SETTINGS,
                "{\"env\": {\"ANTHROPIC_AUTH_TOKEN\": \"t-0123456789\"}}",
            )]),
        );
        assert_eq!(
            messages(&f),
            vec![
                (Severity::Warn, "~/.claude/settings.json does not set ANTHROPIC_BASE_URL: Claude Code is not using the gateway".to_string()),
                (Severity::Warn, "the shell sets ANTHROPIC_BASE_URL=https://api.anthropic.com and ~/.claude/settings.json does not override it".to_string()),
                (Severity::Warn, "the shell sets ANTHROPIC_API_KEY=sk-…0000 and ~/.claude/settings.json does not override it: Claude Code sends it as x-api-key".to_string()),
                (Severity::Warn, "the shell sets ANTHROPIC_MODEL=claude-sonnet-4-5 and ~/.claude/settings.json does not override it".to_string()),
            ]
        );
        assert!(
            f.iter()
                .all(|f| f.hint.as_deref() == Some(HINT_SETUP) || f.hint.is_none())
        );
        // Configured: settings win; equal values are not reported at all.
        let f = tool().diagnose(&e, &gw(), &cur(&[(SETTINGS, &configured())]));
        assert_eq!(
            messages(&f),
            vec![
                (Severity::Info, "the shell sets ANTHROPIC_BASE_URL=https://api.anthropic.com; ~/.claude/settings.json overrides it for claude, other programs still see it".to_string()),
                (Severity::Info, "the shell sets ANTHROPIC_API_KEY=sk-…0000; ~/.claude/settings.json overrides it for claude, other programs still see it".to_string()),
            ]
        );
        for f in f {
            assert!(!f.message.contains(stale));
        }
    }

    #[test]
    fn diagnose_settings_pointing_elsewhere_or_unreadable() {
        let e = env_with(&[]);
        let f = tool().diagnose(
            &e,
            &gw(),
            &cur(&[(SETTINGS, &fixture("previous", "settings.json"))]),
        );
        assert_eq!(
            messages(&f)[0],
            (Severity::Warn, "~/.claude/settings.json sends Claude Code to https://api.old-proxy.example.net, not to profile `work` (https://gw.example.com)".to_string())
        );
        let f = tool().diagnose(
            &e,
            &gw(),
            &cur(&[(SETTINGS, &fixture("commented", "expected.settings.json"))]),
        );
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].severity, Severity::Fail);
        assert_eq!(
            f[0].message,
            "Claude Code ignores ~/.claude/settings.json: it is not strict JSON (line 2, column 3: comments and trailing commas are not allowed in strict JSON)"
        );
    }

    #[test]
    fn the_key_never_reaches_notes_or_findings() {
        let e = env_with(&[("ANTHROPIC_AUTH_TOKEN", KEY)]);
        let x = gw_with(|p| p.anthropic_auth = AnthropicAuth::XApiKey);
        for opts in [literal(), helper()] {
            for case in CASES {
                let c = cur(&[(SETTINGS, &fixture(case, "settings.json"))]);
                let plan = tool().plan(&e, &x, &opts, &c).unwrap();
                let mut text = plan.notes.join("\n") + &plan.manual_steps.join("\n");
                for f in tool().diagnose(&e, &x, &applied(c, &plan)) {
                    text += &f.message;
                    text += f.hint.as_deref().unwrap_or("");
                }
                assert!(!text.contains(KEY), "{text}");
                assert!(!text.contains(&KEY[KEY.len() - 20..]), "{text}");
            }
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        fn leaf() -> impl Strategy<Value = Value> {
            prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i32>().prop_map(|n| json!(n)),
                "[a-zA-Z \"\\\\/\n~$*()]{0,10}".prop_map(Value::String),
            ]
        }

        fn doc() -> impl Strategy<Value = Value> {
            leaf().prop_recursive(3, 24, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    prop::collection::btree_map("[a-zA-Z_]{1,6}", inner, 0..4)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        /// Keys a real settings.json has, plus byok's own, so collisions are exercised.
        fn key() -> impl Strategy<Value = String> {
            prop_oneof![
                "[a-z]{1,6}",
                Just("hooks".to_string()),
                Just("permissions".to_string()),
                Just("apiKeyHelper".to_string()),
                Just("statusLine".to_string()),
            ]
        }

        fn env_entry() -> impl Strategy<Value = (String, Value)> {
            let name = prop_oneof![
                "[A-Z_]{1,8}",
                prop::sample::select(OWNED_ENV).prop_map(str::to_string),
            ];
            (name, "[ -~]{0,12}".prop_map(Value::String))
        }

        fn strip(mut v: Value, had_env: bool) -> Value {
            let obj = v.as_object_mut().unwrap();
            if let Some(e) = obj.get_mut("env").and_then(Value::as_object_mut) {
                for k in OWNED_ENV {
                    e.remove(*k);
                }
                if e.is_empty() && !had_env {
                    obj.remove("env");
                }
            }
            obj.remove(HELPER);
            v
        }

        proptest! {
            /// Setup never changes any value outside byok's keys, whatever the document.
            #[test]
            fn setup_touches_only_byok_keys(
                top in prop::collection::btree_map(key(), doc(), 0..6),
                env_entries in prop::option::of(prop::collection::vec(env_entry(), 0..6)),
                pretty in any::<bool>(),
                helper_mode in any::<bool>(),
                x_api_key in any::<bool>(),
            ) {
                let mut base = Value::Object(top.into_iter().collect());
                if let Some(entries) = &env_entries {
                    base["env"] = Value::Object(entries.iter().cloned().collect());
                }
                let text = if pretty { serde_json::to_string_pretty(&base).unwrap() } else { base.to_string() };
                let g = gw_with(|p| if x_api_key { p.anthropic_auth = AnthropicAuth::XApiKey });
                let opts = if helper_mode { helper() } else { literal() };
                let c = cur(&[(SETTINGS, &text)]);
                let Ok(plan) = tool().plan(&env_with(&[]), &g, &opts, &c) else {
                    // Only a non-object `env` is refused.
                    prop_assert!(base.get("env").is_some_and(|e| !e.is_object()));
                    return Ok(());
                };
                let got = jsonc::parse(after(&plan, SETTINGS)).unwrap().unwrap();
                let user_helper = base.get(HELPER).filter(|h| !is_byok_helper(h)).cloned();
                if !helper_mode {
                    prop_assert_eq!(got.get(HELPER).cloned(), user_helper);
                }
                let had_env = env_entries.is_some();
                prop_assert_eq!(strip(got, had_env), strip(base, had_env));
            }
        }
    }
}
