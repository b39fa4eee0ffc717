//! Cursor's hook: what `templates/cursor.toml` can't say about the closed-source VS Code
//! fork's "bring your own OpenAI key" settings.
//!
//! The template owns `openAIBaseUrl` and `useOpenAIKey` in Cursor's settings blob, the
//! row [`BLOB_KEY`] of `ItemTable` in `<user data>/User/globalStorage/state.vscdb`
//! (the engine's `sqlite_item` file kind, [`super::generic::rows`]: edited in place,
//! every other byte kept, never created). This hook adds:
//!
//! - The model id, in three lists of strings the engine's list items (tables told apart
//!   by a field) can't express: added to `aiSettings.userAddedModels` and
//!   `aiSettings.modelOverrideEnabled`, taken out of `aiSettings.modelOverrideDisabled`.
//!   A model toggle in Cursor is no drift, so the lists are not owned values; their
//!   earlier state is kept with `useOpenAIKey`'s prior ([`Hook::restorable`]), from
//!   which `remove` undoes byok's model, unless a model added since makes byok's one
//!   unclear (a model of the user's is never taken out).
//! - The running-process guard: Cursor keeps this state in memory and writes it back,
//!   so setup and remove refuse to write while it runs (nothing to write is fine).
//! - The steps: the key itself can't be written (current builds keep it in the row
//!   `secret://cursorAuth/openAIKey`, encrypted with Electron safeStorage); without a
//!   saved settings row (Cursor never started) everything is a step by hand.
//! - Cursor calls the gateway from its own servers, so a loopback, private-network or
//!   `.local` URL is a warning at setup and a failure in doctor.
//! - Evidence of installation beyond `cursor` on PATH: the app's manifest (macOS,
//!   Windows), its directories, a running Cursor.
//!
//! Sources: cursor.com/help/models-and-usage/api-keys (official: which providers take a
//! key, base-URL override for OpenAI only); the blob's field names come from third-party
//! scripts that agree with each other (see ../shared/reference/tools.md section 1). Not
//! verified against a running Cursor (closed source, not installable here).

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::{Map, Value};

use super::auto_import::key_for_steps;
use super::generic::{Hook, rows};
use super::vscode::Host;
use super::{Current, Detection, Finding, Inputs, SetupOptions, Severity};
use crate::config_edit::jsonc;
use crate::env::{Env, Os};
use crate::error::UserError;
use crate::plan::{Change, Plan, Target};
use crate::profile::Gateway;

/// The `ItemTable` row holding Cursor's settings blob (the template's `sqlite_item`).
pub const BLOB_KEY: &str = "src.vs.platform.reactivestorage.browser.reactiveStorageServiceImpl.persistentStorage.applicationUser";

/// Process names of a running Cursor: the app on macOS and in Linux packages that keep
/// the product name, `Cursor.exe` on Windows, and the lower-case binary of the Linux
/// AppImage and .deb.
const PROCESSES: &[&str] = &["Cursor", "Cursor.exe", "cursor"];

/// The `aiSettings` lists byok edits for its model: added, enabled, disabled.
const MODEL_LISTS: [&str; 3] = [
    "userAddedModels",
    "modelOverrideEnabled",
    "modelOverrideDisabled",
];

/// The hook named `cursor` in `templates/cursor.toml`.
pub struct CursorHook;

fn host() -> &'static Host {
    Host::by_id("cursor").expect("the host table lists Cursor")
}

fn user_data(env: &Env) -> PathBuf {
    host()
        .user_data_dir(env)
        .expect("Cursor has a user-data dir on every OS")
}

fn global_storage(env: &Env) -> PathBuf {
    user_data(env).join("User").join("globalStorage")
}

/// `state.vscdb` (the template's file `{cursor}/User/globalStorage/state.vscdb`).
pub fn state_db(env: &Env) -> PathBuf {
    global_storage(env).join("state.vscdb")
}

/// The installed app's `package.json` (it holds the version), where the OS has a fixed place.
fn app_manifest(env: &Env) -> Option<PathBuf> {
    match env.os {
        Os::Macos => Some(PathBuf::from(
            "/Applications/Cursor.app/Contents/Resources/app/package.json",
        )),
        Os::Windows => Some(
            env.local_app_data()
                .join("Programs")
                .join("cursor")
                .join("resources")
                .join("app")
                .join("package.json"),
        ),
        Os::Linux => None,
    }
}

fn is_running(cur: &Current) -> bool {
    PROCESSES.iter().any(|p| cur.running.contains(*p))
}

fn running_error(command: &str) -> anyhow::Error {
    UserError::new("Cursor is running; byok edits its settings database only while Cursor is quit")
    .hint(format!(
        "quit Cursor completely (all windows: Cursor → Quit), then run `byok {command} cursor` again; Cursor keeps these settings in memory and would overwrite the change"
    ))
    .into()
}

/// Why Cursor's servers cannot reach a URL's host, if they cannot.
pub fn unreachable_reason(url: &str) -> Option<&'static str> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return match ip {
            IpAddr::V4(v4) if v4.is_loopback() || v4.is_unspecified() => Some("a loopback address"),
            IpAddr::V4(v4) if v4.is_private() => Some("a private-network address"),
            IpAddr::V4(v4) if v4.is_link_local() => Some("a link-local address"),
            // 100.64.0.0/10: carrier-grade NAT, also Tailscale's address range.
            IpAddr::V4(v4) if v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64 => {
                Some("a shared (CGNAT/Tailscale) address")
            }
            IpAddr::V6(v6) if v6.is_loopback() || v6.is_unspecified() => Some("a loopback address"),
            IpAddr::V6(v6) if (v6.segments()[0] & 0xfe00) == 0xfc00 => {
                Some("a private-network address")
            }
            IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80 => Some("a link-local address"),
            _ => None,
        };
    }
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return Some("a loopback address");
    }
    if [".local", ".lan", ".internal", ".home.arpa", ".intranet"]
        .iter()
        .any(|s| name.ends_with(s))
        || !name.contains('.')
    {
        return Some("a local network name");
    }
    None
}

/// The manual steps, with the values filled in.
fn steps(gw: &Gateway, opts: &SetupOptions, wrote_db: bool) -> Vec<String> {
    let key = key_for_steps(gw, opts);
    let mut out = vec![format!(
        "in Cursor: Cursor Settings → Models → API Keys: turn on \"OpenAI API Key\" and paste {key} (byok cannot write it: Cursor encrypts it with the OS keychain)"
    )];
    if wrote_db {
        out.push(format!(
            "check that \"Override OpenAI Base URL\" is on and reads {} (byok set it), then click \"Verify\"",
            gw.openai_base
        ));
    } else {
        out.push(format!(
            "turn on \"Override OpenAI Base URL\", enter {} and click \"Verify\"",
            gw.openai_base
        ));
        if let Some(m) = &gw.model {
            out.push(format!(
                "under Models, \"+ Add model\": {m}, and switch it on"
            ));
        }
    }
    if let Some(m) = &gw.model {
        out.push(format!(
            "pick {m} in the chat's model menu (Ask mode works most reliably with your own key; Tab completion always uses Cursor's models)"
        ));
    }
    out
}

/// The drift labels of the template's two values (`label = "path"`).
fn labels(env: &Env) -> [String; 2] {
    ["openAIBaseUrl", "useOpenAIKey"].map(|f| format!("{} {f}", env.tilde(&state_db(env))))
}

/// The blob's settings as JSON readers see them (`None` when missing or unparsable).
fn read_blob(cur: &Current, db: &Path) -> Option<Value> {
    jsonc::parse(cur.sqlite_item(db, BLOB_KEY)?).ok().flatten()
}

/// The engine's change to the blob row, if it planned one (the row exists).
fn blob_change<'a>(plan: &'a mut Plan, db: &Path) -> Option<&'a mut Change> {
    plan.changes.iter_mut().find(|c| {
        c.path == db && matches!(&c.target, Target::SqliteItem { key } if key == BLOB_KEY)
    })
}

/// Edits the blob text in place: only the addressed field changes, every other byte of
/// the blob (number spellings beyond 64 bits, escapes, order) stays as Cursor wrote it.
struct BlobEdit<'a> {
    env: &'a Env,
    db: &'a Path,
    text: String,
}

impl BlobEdit<'_> {
    fn error(&self, what: &str) -> anyhow::Error {
        rows::row_error("Cursor", self.env, self.db, BLOB_KEY, what)
    }

    fn set(&mut self, path: &[&str], value: &Value) -> Result<()> {
        self.text = jsonc::set(&self.text, path, value).map_err(|e| self.error(&e.to_string()))?;
        Ok(())
    }

    fn get(&self, path: &[&str]) -> Result<Option<Value>> {
        jsonc::get(&self.text, path).map_err(|e| self.error(&e.to_string()))
    }

    fn remove(&mut self, path: &[&str]) -> Result<()> {
        self.text =
            jsonc::remove(&self.text, path, true).map_err(|e| self.error(&e.to_string()))?;
        Ok(())
    }

    /// The string list `aiSettings.<field>`, empty when missing.
    fn list(&self, field: &str) -> Result<Vec<Value>> {
        match self.get(&["aiSettings", field])? {
            None => Ok(Vec::new()),
            Some(Value::Array(list)) => Ok(list),
            Some(_) => Err(self.error(&format!("aiSettings.{field} is not a list"))),
        }
    }

    /// Adds `model` to the added and enabled lists and takes it out of the disabled one.
    fn add_model(&mut self, model: &str) -> Result<()> {
        let model = Value::String(model.to_string());
        if self.get(&["aiSettings"])?.is_some_and(|v| !v.is_object()) {
            return Err(self.error("aiSettings is not an object"));
        }
        let [added, enabled, disabled] = MODEL_LISTS;
        for field in [added, enabled] {
            let mut list = self.list(field)?;
            if !list.contains(&model) {
                list.push(model.clone());
                self.set(&["aiSettings", field], &Value::Array(list))?;
            }
        }
        if let Some(Value::Array(mut off)) = self.get(&["aiSettings", disabled])?
            && off.contains(&model)
        {
            off.retain(|m| *m != model);
            self.set(&["aiSettings", disabled], &Value::Array(off))?;
        }
        Ok(())
    }

    /// Undoes setup's model edits against `prior`'s lists (see [`Hook::restorable`]): the
    /// one model byok added (now added and enabled, not disabled, and not so before) gets
    /// its earlier place in each list back; a list that was missing goes once empty.
    /// With no such model, or several (the user added one since), nothing changes: a
    /// model list entry of the user's is never taken out. Whether it undid them.
    fn restore_model(&mut self, prior: &Value) -> Result<bool> {
        let was = |list: &str| -> Option<Vec<Value>> {
            prior.get(list).and_then(Value::as_array).cloned()
        };
        let [added, enabled, disabled] = MODEL_LISTS;
        let now = |list: &str| self.list(list);
        let (now_added, now_enabled, now_disabled) = (now(added)?, now(enabled)?, now(disabled)?);
        let in_was = |list: &str, m: &Value| was(list).is_some_and(|l| l.contains(m));
        let byoks: Vec<&Value> = now_added
            .iter()
            .filter(|m| now_enabled.contains(m) && !now_disabled.contains(m))
            .filter(|m| !in_was(added, m) || !in_was(enabled, m) || in_was(disabled, m))
            .collect();
        let [model] = byoks.as_slice() else {
            return Ok(false);
        };
        let model = (*model).clone();
        for list in MODEL_LISTS {
            let mut items = self.list(list)?;
            let before = items.clone();
            match was(list) {
                Some(old) if old.contains(&model) => {
                    if !items.contains(&model) {
                        let at = old.iter().position(|m| *m == model).unwrap_or(0);
                        items.insert(at.min(items.len()), model.clone());
                    }
                }
                _ => items.retain(|m| *m != model),
            }
            if items == before {
                continue;
            }
            if items.is_empty() && was(list).is_none() {
                self.remove(&["aiSettings", list])?;
            } else {
                self.set(&["aiSettings", list], &Value::Array(items))?;
            }
        }
        Ok(true)
    }
}

impl Hook for CursorHook {
    fn inputs(&self, env: &Env, inputs: &mut Inputs) {
        inputs.dirs.extend([
            user_data(env),
            global_storage(env),
            env.home.join(".cursor"),
        ]);
        inputs.files.extend(app_manifest(env));
        inputs.processes.extend_from_slice(PROCESSES);
    }

    /// After the engine's `binary …`: the app, its directories, a running Cursor.
    fn detect(&self, env: &Env, cur: &Current, det: &mut Detection) {
        if let Some(manifest) = app_manifest(env)
            && let Some(text) = cur.file(&manifest)
        {
            let version = serde_json::from_str::<Value>(text)
                .ok()
                .and_then(|v| v["version"].as_str().map(|s| format!(" ({s})")))
                .unwrap_or_default();
            let app = manifest
                .ancestors()
                .nth(4)
                .map_or_else(|| manifest.clone(), Path::to_path_buf);
            det.evidence
                .push(format!("app {}{version}", env.tilde(&app)));
        }
        for dir in [user_data(env), env.home.join(".cursor")] {
            if cur.exists(&dir) {
                det.evidence.push(format!("directory {}", env.tilde(&dir)));
            }
        }
        if is_running(cur) {
            det.evidence.push("running now".to_string());
        }
        det.installed |= !det.evidence.is_empty();
    }

    fn after_plan(
        &self,
        env: &Env,
        gw: &Gateway,
        opts: &SetupOptions,
        cur: &Current,
        plan: &mut Plan,
    ) -> Result<()> {
        let db = state_db(env);
        if let Some(reason) = unreachable_reason(&gw.openai_base) {
            plan.notes.insert(0, format!(
                "warning: Cursor calls the gateway from Cursor's servers, and {} is {reason} they cannot reach: give the gateway a public HTTPS URL (a tunnel works) for Cursor",
                gw.base.host()
            ));
        }
        let Some(change) = blob_change(plan, &db) else {
            // No row: Cursor has not saved its settings yet, so the engine wrote nothing.
            let has_db = cur
                .entries(&global_storage(env))
                .iter()
                .any(|e| e == "state.vscdb");
            let why = if has_db {
                "has no saved Cursor settings yet"
            } else {
                "does not exist (Cursor has not been started yet)"
            };
            plan.notes.push(format!(
                "{} {why}, so byok wrote nothing: start Cursor once, quit it and run `byok setup cursor` again, or do all steps by hand",
                env.tilde(&db)
            ));
            plan.manual_steps = steps(gw, opts, false);
            plan.manual_only = true;
            return Ok(());
        };
        if let (Some(model), Some(after)) = (&gw.model, change.after.clone()) {
            let mut blob = BlobEdit {
                env,
                db: &db,
                text: after,
            };
            blob.add_model(model)?;
            change.after = Some(rows::compact_if_was_empty(
                change.before.as_deref(),
                blob.text,
            ));
        }
        // Nothing to write is fine while Cursor runs; a write is not.
        if is_running(cur) && !plan.is_up_to_date() {
            return Err(running_error("setup"));
        }
        plan.manual_steps = steps(gw, opts, true);
        Ok(())
    }

    fn after_remove(&self, env: &Env, cur: &Current, plan: &mut Plan) -> Result<()> {
        let db = state_db(env);
        let [_, toggle_label] = labels(env);
        let Some(change) = blob_change(plan, &db) else {
            return Ok(());
        };
        let mut models_back = false;
        if let (Some(prior), Some(after)) = (cur.prior_json(&toggle_label), change.after.clone()) {
            let mut blob = BlobEdit {
                env,
                db: &db,
                text: after,
            };
            models_back = blob.restore_model(&prior)?;
            change.after = Some(blob.text);
        }
        if plan.is_up_to_date() {
            return Ok(());
        }
        if is_running(cur) {
            return Err(running_error("remove"));
        }
        if !models_back {
            plan.notes.push(
                "the model ids byok added stay in Cursor's model list; switch them off under Cursor Settings → Models if you like".to_string(),
            );
        }
        plan.manual_steps.push(
            "delete the gateway key under Cursor Settings → Models → API Keys (byok cannot reach it)"
                .to_string(),
        );
        Ok(())
    }

    /// `useOpenAIKey`'s prior becomes an object with its value and the three model lists
    /// as they were (they have no label of their own), from which `remove` undoes byok's
    /// model.
    fn restorable(&self, env: &Env, cur: &Current, out: &mut [(String, Option<String>)]) {
        let [_, toggle_label] = labels(env);
        let blob = read_blob(cur, &state_db(env));
        let field = |f: &str| blob.as_ref().and_then(|b| b.get(f)).cloned();
        for (label, value) in out.iter_mut().filter(|(l, _)| *l == toggle_label) {
            let _ = label;
            *value = field("useOpenAIKey").map(|v| {
                let mut kept = Map::new();
                kept.insert("useOpenAIKey".to_string(), v);
                let ai = field("aiSettings");
                for list in MODEL_LISTS {
                    if let Some(l) = ai.as_ref().and_then(|a| a.get(list)) {
                        kept.insert(list.to_string(), l.clone());
                    }
                }
                Value::Object(kept).to_string()
            });
        }
    }

    /// The engine puts back `useOpenAIKey` alone (the lists are [`Hook::after_remove`]'s).
    /// A record from before byok knew which files it created can't tell a missing field
    /// from one byok added: then the override is turned off (`null`, `false`) rather
    /// than taken out, as the adapter did.
    fn remove_input(&self, env: &Env, cur: &Current) -> Option<Current> {
        let [url_label, toggle_label] = labels(env);
        let mut adjusted = cur.clone();
        if let Some(prior) = cur.prior_json(&toggle_label)
            && let Some(v) = prior.get("useOpenAIKey")
        {
            adjusted.prior.insert(toggle_label.clone(), v.to_string());
        }
        if cur.created.is_none() {
            adjusted
                .prior
                .entry(url_label)
                .or_insert_with(|| "null".into());
            adjusted
                .prior
                .entry(toggle_label)
                .or_insert_with(|| "false".into());
        }
        Some(adjusted)
    }

    fn diagnose(&self, env: &Env, gw: &Gateway, cur: &Current) -> Vec<Finding> {
        let mut out = Vec::new();
        if let Some(reason) = unreachable_reason(&gw.openai_base) {
            out.push(Finding {
                severity: Severity::Fail,
                message: format!(
                    "Cursor calls the gateway from Cursor's servers, and {} is {reason} they cannot reach",
                    gw.base.host()
                ),
                hint: Some(
                    "give the gateway a public HTTPS URL (a tunnel works) and use it in a profile for Cursor"
                        .to_string(),
                ),
            });
        }
        if let Some(blob) = read_blob(cur, &state_db(env)) {
            let url = blob.get("openAIBaseUrl").and_then(Value::as_str);
            if url.is_some_and(|u| u != gw.openai_base) {
                out.push(Finding {
                    severity: Severity::Warn,
                    message: format!(
                        "Cursor's \"Override OpenAI Base URL\" is {}, not {}",
                        url.unwrap_or_default(),
                        gw.openai_base
                    ),
                    hint: Some("quit Cursor and run `byok setup cursor`".to_string()),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::gateway::probe::Api;
    use crate::profile::{KeySource, Profile, from_profile};
    use crate::tools::{Tool, ToolId};

    /// The template tool with this hook, as the registry builds it.
    fn tool() -> &'static dyn Tool {
        crate::tools::get(ToolId::Cursor).expect("Cursor is registered")
    }
    use crate::secret::ApiKey;

    fn env(os: Os) -> Env {
        crate::tools::testing::native_env(os)
    }

    fn gw(url: &str, model: Option<&str>) -> Gateway {
        let p = Profile {
            base_url: url.to_string(),
            model: model.map(str::to_string),
            ..Profile::default()
        };
        from_profile(
            "p".into(),
            &p,
            KeySource::Literal(ApiKey::new("sk-cursor-0123456789abcdef")),
        )
        .unwrap()
    }

    const BLOB: &str = r#"{"cursorCreds":{"websiteUrl":"https://cursor.com"},"openAIBaseUrl":null,"useOpenAIKey":false,"aiSettings":{"modelOverrideEnabled":["claude-4-sonnet"],"modelOverrideDisabled":["gw-model","o3"],"modelConfig":{"composer":{"modelName":"claude-4-sonnet","maxMode":false}}},"composerState":{"yoloCommandAllowlist":["ls"]},"lastUpdated":1732000000000,"ratio":0.5}"#;

    fn with_blob(e: &Env, blob: Option<&str>) -> Current {
        let mut cur = Current::default();
        cur.sqlite.insert(
            (state_db(e), BLOB_KEY.to_string()),
            blob.map(str::to_string),
        );
        cur
    }

    #[test]
    fn blob_gets_url_toggle_and_model_everything_else_kept() {
        let e = env(Os::Linux);
        let g = gw("https://gw.example.com", Some("gw-model"));
        let cur = with_blob(&e, Some(BLOB));
        let plan = tool().plan(&e, &g, &SetupOptions::default(), &cur).unwrap();
        assert_eq!(plan.changes.len(), 1);
        let c = &plan.changes[0];
        assert_eq!(
            c.path,
            PathBuf::from("/home/u/.config/Cursor/User/globalStorage/state.vscdb")
        );
        assert_eq!(
            c.target,
            Target::SqliteItem {
                key: BLOB_KEY.to_string()
            }
        );
        assert!(!c.secret);
        assert_eq!(
            c.after.as_deref().unwrap(),
            r#"{"cursorCreds":{"websiteUrl":"https://cursor.com"},"openAIBaseUrl":"https://gw.example.com/v1","useOpenAIKey":true,"aiSettings":{"modelOverrideEnabled":["claude-4-sonnet","gw-model"],"modelOverrideDisabled":["o3"],"modelConfig":{"composer":{"modelName":"claude-4-sonnet","maxMode":false}},"userAddedModels":["gw-model"]},"composerState":{"yoloCommandAllowlist":["ls"]},"lastUpdated":1732000000000,"ratio":0.5}"#
        );
        assert!(plan.notes.is_empty(), "{:?}", plan.notes);
        assert_eq!(plan.manual_steps.len(), 3);
        assert!(
            plan.manual_steps[0].contains("paste sk-…cdef (shown masked"),
            "{}",
            plan.manual_steps[0]
        );
        assert!(!plan.manual_steps.join(" ").contains("sk-cursor-0123"));
        // Applying it again changes nothing, byte for byte.
        let again = with_blob(&e, c.after.as_deref());
        let p2 = tool()
            .plan(&e, &g, &SetupOptions::default(), &again)
            .unwrap();
        assert!(p2.is_up_to_date());
        // Unchanged values keep the original text even if serde would format it differently.
        let spaced = r#"{ "openAIBaseUrl": "https://gw.example.com/v1", "useOpenAIKey": true }"#;
        let g_no_model = gw("https://gw.example.com", None);
        let p3 = tool()
            .plan(
                &e,
                &g_no_model,
                &SetupOptions::default(),
                &with_blob(&e, Some(spaced)),
            )
            .unwrap();
        assert!(p3.is_up_to_date());
    }

    /// Issue 8 item 17: the blob was re-serialised, so integers beyond 64 bits lost digits.
    #[test]
    fn fields_byok_does_not_own_keep_their_bytes() {
        let e = env(Os::Linux);
        let g = gw("https://gw.example.com", Some("gw-model"));
        let blob = r#"{"big":12345678901234567890123,"ratio":1.0000000000000002,"neg":-0.0,"exp":1E400,"esc":"caf\u00e9\/x","nested":{"n":[18446744073709551616,2.50]},"openAIBaseUrl":null,"useOpenAIKey":false,"aiSettings":{"userAddedModels":["my-m\u00f6del"],"modelConfig":{"x":1.10}}}"#;
        let plan = tool()
            .plan(&e, &g, &SetupOptions::default(), &with_blob(&e, Some(blob)))
            .unwrap();
        let after = plan.changes[0].after.clone().unwrap();
        assert_eq!(
            after,
            blob.replace(
                r#""openAIBaseUrl":null,"useOpenAIKey":false,"aiSettings":{"userAddedModels":["my-m\u00f6del"],"modelConfig":{"x":1.10}}"#,
                r#""openAIBaseUrl":"https://gw.example.com/v1","useOpenAIKey":true,"aiSettings":{"userAddedModels":["my-m\u00f6del","gw-model"],"modelConfig":{"x":1.10},"modelOverrideEnabled":["gw-model"]}"#
            )
        );
        let removed = tool()
            .remove(&e, &SetupOptions::default(), &with_blob(&e, Some(&after)))
            .unwrap();
        assert_eq!(
            removed.changes[0].after.as_deref().unwrap(),
            after
                .replace(r#""https://gw.example.com/v1""#, "null")
                .replace(r#""useOpenAIKey":true"#, r#""useOpenAIKey":false"#)
        );
        // A key written twice is refused rather than edited where Cursor would not look.
        let twice = r#"{"openAIBaseUrl":null,"x":1,"openAIBaseUrl":"https://old/v1"}"#;
        let err = tool()
            .plan(
                &e,
                &g,
                &SetupOptions::default(),
                &with_blob(&e, Some(twice)),
            )
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("`openAIBaseUrl` appears twice (lines 1 and 1)"),
            "{err}"
        );
    }

    #[test]
    fn show_key_prints_it() {
        let e = env(Os::Macos);
        let g = gw("https://gw.example.com", Some("m"));
        let opts = SetupOptions {
            show_key: true,
            ..SetupOptions::default()
        };
        let plan = tool()
            .plan(&e, &g, &opts, &with_blob(&e, Some("{}")))
            .unwrap();
        assert!(plan.manual_steps[0].contains("paste sk-cursor-0123456789abcdef "));
        assert_eq!(
            plan.changes[0].after.as_deref(),
            Some(
                r#"{"openAIBaseUrl":"https://gw.example.com/v1","useOpenAIKey":true,"aiSettings":{"userAddedModels":["m"],"modelOverrideEnabled":["m"]}}"#
            )
        );
        assert_eq!(
            plan.changes[0].path,
            PathBuf::from(
                "/Users/u/Library/Application Support/Cursor/User/globalStorage/state.vscdb"
            )
        );
    }

    #[test]
    fn running_cursor_blocks_writes_only() {
        let e = env(Os::Windows);
        let g = gw("https://gw.example.com", Some("m"));
        let done = tool()
            .plan(&e, &g, &SetupOptions::default(), &with_blob(&e, Some(BLOB)))
            .unwrap();
        let configured = done.changes[0].after.clone();
        for name in ["Cursor", "Cursor.exe", "cursor"] {
            let mut cur = with_blob(&e, Some(BLOB));
            cur.running.insert(name.to_string());
            let err = tool()
                .plan(&e, &g, &SetupOptions::default(), &cur)
                .unwrap_err();
            assert_eq!(
                err.to_string(),
                "Cursor is running; byok edits its settings database only while Cursor is quit"
            );
            assert!(
                err.downcast_ref::<UserError>()
                    .unwrap()
                    .hint
                    .as_deref()
                    .unwrap()
                    .starts_with("quit Cursor completely")
            );
            // Already configured: nothing to write, so a running Cursor is fine.
            let mut set = with_blob(&e, configured.as_deref());
            set.running.insert(name.to_string());
            assert!(
                tool()
                    .plan(&e, &g, &SetupOptions::default(), &set)
                    .unwrap()
                    .is_up_to_date()
            );
            let err = tool()
                .remove(&e, &SetupOptions::default(), &set)
                .unwrap_err();
            assert!(err.to_string().starts_with("Cursor is running"));
            assert!(
                tool()
                    .remove(&e, &SetupOptions::default(), &cur)
                    .unwrap()
                    .is_up_to_date()
            );
        }
    }

    #[test]
    fn missing_row_or_db_gives_steps_only() {
        let e = env(Os::Linux);
        let g = gw("https://gw.example.com", Some("gw-model"));
        let plan = tool()
            .plan(&e, &g, &SetupOptions::default(), &with_blob(&e, None))
            .unwrap();
        assert!(plan.changes.is_empty());
        assert!(plan.notes[0].contains("does not exist"), "{:?}", plan.notes);
        assert_eq!(
            plan.manual_steps[1..],
            [
                "turn on \"Override OpenAI Base URL\", enter https://gw.example.com/v1 and click \"Verify\"",
                "under Models, \"+ Add model\": gw-model, and switch it on",
                "pick gw-model in the chat's model menu (Ask mode works most reliably with your own key; Tab completion always uses Cursor's models)",
            ]
        );
        let mut cur = with_blob(&e, None);
        cur.dirs
            .insert(global_storage(&e), Some(vec!["state.vscdb".to_string()]));
        let plan = tool().plan(&e, &g, &SetupOptions::default(), &cur).unwrap();
        assert!(plan.notes[0].contains("has no saved Cursor settings"));
    }

    #[test]
    fn malformed_blob_is_an_error() {
        let e = env(Os::Linux);
        let g = gw("https://gw.example.com", Some("m"));
        for (blob, why) in [
            ("{not json", "it is not valid JSON"),
            ("[1,2]", "it is not a JSON object"),
            (r#"{"aiSettings":[]}"#, "aiSettings is not an object"),
            (
                r#"{"aiSettings":{"userAddedModels":"m"}}"#,
                "aiSettings.userAddedModels is not a list",
            ),
        ] {
            let err = tool()
                .plan(&e, &g, &SetupOptions::default(), &with_blob(&e, Some(blob)))
                .unwrap_err();
            assert!(err.to_string().contains(why), "{blob}: {err}");
            assert!(err.to_string().starts_with(
                "could not read Cursor's settings in ~/.config/Cursor/User/globalStorage/state.vscdb"
            ));
        }
    }

    #[test]
    fn remove_turns_the_override_off() {
        let e = env(Os::Linux);
        let g = gw("https://gw.example.com", Some("gw-model"));
        let cur = with_blob(&e, Some(BLOB));
        let plan = tool().plan(&e, &g, &SetupOptions::default(), &cur).unwrap();
        let set = with_blob(&e, plan.changes[0].after.as_deref());
        let r = tool().remove(&e, &SetupOptions::default(), &set).unwrap();
        let after: Value = serde_json::from_str(r.changes[0].after.as_deref().unwrap()).unwrap();
        assert_eq!(after["openAIBaseUrl"], Value::Null);
        assert_eq!(after["useOpenAIKey"], false);
        assert_eq!(after["composerState"]["yoloCommandAllowlist"][0], "ls");
        let cleared = with_blob(&e, r.changes[0].after.as_deref());
        assert!(
            tool()
                .remove(&e, &SetupOptions::default(), &cleared)
                .unwrap()
                .is_up_to_date()
        );
        assert!(
            tool()
                .remove(&e, &SetupOptions::default(), &with_blob(&e, None))
                .unwrap()
                .is_up_to_date()
        );
        assert_eq!(
            tool().owned(&e, &set),
            [
                (
                    "~/.config/Cursor/User/globalStorage/state.vscdb openAIBaseUrl".to_string(),
                    Some("\"https://gw.example.com/v1\"".to_string())
                ),
                (
                    "~/.config/Cursor/User/globalStorage/state.vscdb useOpenAIKey".to_string(),
                    Some("true".to_string())
                ),
            ]
        );
    }

    /// Issue 8, items 7 and 18: remove gives back the user's own values and model lists,
    /// but never takes out a model the user added since.
    #[test]
    fn remove_gives_back_priors_and_leaves_models_added_since() {
        let e = env(Os::Linux);
        let g = gw("https://gw.example.com", Some("gw-model"));
        let mine = BLOB.replace(
            r#""openAIBaseUrl":null"#,
            r#""openAIBaseUrl":"https://mine.example/v1""#,
        );
        let mut cur = with_blob(&e, Some(&mine));
        let plan = tool().plan(&e, &g, &SetupOptions::default(), &cur).unwrap();
        let mut set = with_blob(&e, plan.changes[0].after.as_deref());
        set.prior = tool()
            .restorable(&e, &cur)
            .into_iter()
            .filter_map(|(l, v)| Some((l, v?)))
            .collect();
        set.created = Some(Default::default());
        let r = tool().remove(&e, &SetupOptions::default(), &set).unwrap();
        assert_eq!(r.changes[0].after.as_deref(), Some(mine.as_str()));
        assert!(r.notes.is_empty(), "{:?}", r.notes);

        // The user added a model in Cursor since: which one is byok's is unclear, so
        // the lists stay and the note says so.
        let added = plan.changes[0].after.as_deref().unwrap().replace(
            r#""userAddedModels":["gw-model"]"#,
            r#""userAddedModels":["gw-model","my-model"]"#,
        );
        let added = added.replace(
            r#""modelOverrideEnabled":["claude-4-sonnet","gw-model"]"#,
            r#""modelOverrideEnabled":["claude-4-sonnet","gw-model","my-model"]"#,
        );
        cur = with_blob(&e, Some(&added));
        cur.prior = set.prior.clone();
        cur.created = Some(Default::default());
        let r = tool().remove(&e, &SetupOptions::default(), &cur).unwrap();
        let after = r.changes[0].after.as_deref().unwrap();
        assert!(after.contains(r#""userAddedModels":["gw-model","my-model"]"#));
        assert!(after.contains(r#""openAIBaseUrl":"https://mine.example/v1""#));
        assert!(r.notes[0].starts_with("the model ids byok added stay"));
    }

    #[test]
    fn local_gateways_cannot_be_reached_by_cursor() {
        for (url, want) in [
            ("http://127.0.0.1:4000/v1", Some("a loopback address")),
            ("http://localhost:4000/v1", Some("a loopback address")),
            ("http://[::1]:4000/v1", Some("a loopback address")),
            ("http://10.1.2.3/v1", Some("a private-network address")),
            ("http://172.16.0.1/v1", Some("a private-network address")),
            ("http://172.31.255.1/v1", Some("a private-network address")),
            (
                "http://192.168.1.10:8080/v1",
                Some("a private-network address"),
            ),
            ("http://[fd00::1]/v1", Some("a private-network address")),
            ("http://169.254.10.1/v1", Some("a link-local address")),
            ("http://[fe80::1]/v1", Some("a link-local address")),
            (
                "http://100.101.102.103/v1",
                Some("a shared (CGNAT/Tailscale) address"),
            ),
            ("https://gateway.local/v1", Some("a local network name")),
            ("https://llm.lan/v1", Some("a local network name")),
            ("https://gw.corp.internal/v1", Some("a local network name")),
            ("http://gateway:4000/v1", Some("a local network name")),
            ("https://gw.example.com/v1", None),
            ("https://172.32.0.1/v1", None),
            ("https://100.128.0.1/v1", None),
            ("https://8.8.8.8/v1", None),
            ("https://localdev.example.com/v1", None),
        ] {
            assert_eq!(unreachable_reason(url), want, "{url}");
        }
        let e = env(Os::Linux);
        let g = gw("http://127.0.0.1:4000", Some("m"));
        let plan = tool()
            .plan(&e, &g, &SetupOptions::default(), &with_blob(&e, Some("{}")))
            .unwrap();
        assert_eq!(
            plan.notes,
            [
                "warning: Cursor calls the gateway from Cursor's servers, and 127.0.0.1 is a loopback address they cannot reach: give the gateway a public HTTPS URL (a tunnel works) for Cursor"
            ]
        );
        let findings = tool().diagnose(&e, &g, &with_blob(&e, Some("{}")));
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Fail);
        let public = gw("https://gw.example.com", Some("m"));
        assert!(tool().diagnose(&e, &public, &Current::default()).is_empty());
        let other = with_blob(&e, Some(r#"{"openAIBaseUrl":"https://other.example/v1"}"#));
        assert_eq!(
            tool().diagnose(&e, &public, &other)[0].severity,
            Severity::Warn
        );
        assert_eq!(tool().endpoints(&public), [Api::Models, Api::Chat]);
    }

    #[test]
    fn detection_evidence() {
        let e = env(Os::Linux);
        let mut cur = Current::default();
        assert!(!tool().detect(&e, &cur).installed);
        cur.dirs
            .insert(e.home.join(".cursor"), Some(vec!["extensions".into()]));
        cur.binaries.insert(
            "cursor".into(),
            crate::tools::Binary {
                path: PathBuf::from("/usr/bin/cursor"),
                version: Some("3.1.15".into()),
            },
        );
        let d = tool().detect(&e, &cur);
        assert!(d.installed);
        assert_eq!(
            d.evidence,
            ["binary /usr/bin/cursor (3.1.15)", "directory ~/.cursor"]
        );
        let m = env(Os::Macos);
        let mut cur = Current::default();
        cur.files.insert(
            app_manifest(&m).unwrap(),
            Some(r#"{"name":"cursor","version":"3.1.15"}"#.into()),
        );
        assert_eq!(
            tool().detect(&m, &cur).evidence,
            ["app /Applications/Cursor.app (3.1.15)"]
        );
    }
}
