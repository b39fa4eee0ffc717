//! Cursor, the closed-source VS Code fork, and its "bring your own OpenAI key" settings.
//!
//! Cursor keeps them in one JSON blob, the row
//! `src.vs.platform.reactivestorage.browser.reactiveStorageServiceImpl.persistentStorage.applicationUser`
//! of `ItemTable` in `<user data>/User/globalStorage/state.vscdb` (SQLite):
//!
//! - Linux: `~/.config/Cursor/User/globalStorage/state.vscdb`
//! - macOS: `~/Library/Application Support/Cursor/User/globalStorage/state.vscdb`
//! - Windows: `%APPDATA%\Cursor\User\globalStorage\state.vscdb`
//!
//! byok owns, inside that blob: `openAIBaseUrl` (the gateway's `/v1` URL), `useOpenAIKey`
//! (`true`), and the model id's entries in `aiSettings.userAddedModels` and
//! `aiSettings.modelOverrideEnabled` (and its removal from `modelOverrideDisabled`).
//! Every other field is kept; the blob is machine-written, so it is re-serialised
//! compactly with the original key order. The row is written only while Cursor is not
//! running (it keeps this state in memory and writes it back), in one transaction, after
//! the database and its `-wal`/`-shm` are backed up ([`crate::plan::apply`]).
//!
//! The key itself cannot be written: current builds keep it in the row
//! `secret://cursorAuth/openAIKey`, encrypted with Electron safeStorage (OS keychain).
//! Some scripts still write a plaintext `cursorAuth/openAIKey` row and expect Cursor to
//! migrate it; no reliable source confirms current builds read it, so byok prints the
//! steps to paste the key instead. Cursor calls the gateway from its own servers, so a
//! loopback, private-network or `.local` URL cannot work.
//!
//! Sources: cursor.com/help/models-and-usage/api-keys (official: which providers take a
//! key, base-URL override for OpenAI only); the blob's field names come from third-party
//! scripts that agree with each other (see ../shared/reference/tools.md section 1). Not
//! verified against a running Cursor (closed source, not installable here); written
//! 2026-11-27.

use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::Result;
use serde_json::{Map, Value};

use super::auto_import::key_for_steps;
use super::vscode::Host;
use super::{Current, Detection, Endpoint, Finding, Inputs, SetupOptions, Severity, Tool, ToolId};
use crate::env::{Env, Os};
use crate::error::UserError;
use crate::plan::{Change, Plan, Target};
use crate::profile::Gateway;

/// The `ItemTable` row holding Cursor's settings blob.
pub const BLOB_KEY: &str = "src.vs.platform.reactivestorage.browser.reactiveStorageServiceImpl.persistentStorage.applicationUser";

/// Process names of a running Cursor: the app on macOS and in Linux packages that keep
/// the product name, `Cursor.exe` on Windows, and the lower-case binary of the Linux
/// AppImage and .deb.
const PROCESSES: &[&str] = &["Cursor", "Cursor.exe", "cursor"];

/// The Cursor adapter.
pub struct Cursor;

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

/// `state.vscdb`.
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

fn running_error(verb: &str) -> anyhow::Error {
    UserError::new(format!(
        "Cursor is running, so byok did not {verb} its settings database"
    ))
    .hint(format!(
        "quit Cursor completely (all windows: Cursor → Quit), then run `byok {verb} cursor` again; Cursor keeps these settings in memory and would overwrite the change"
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

fn blob_error(env: &Env, db: &std::path::Path, what: &str) -> anyhow::Error {
    UserError::new(format!(
        "could not read Cursor's settings in {} [{BLOB_KEY}]: {what}",
        env.tilde(db)
    ))
    .hint("byok left the database untouched; start and quit Cursor once so it rewrites its settings, then run the command again")
    .into()
}

fn parse_blob(env: &Env, db: &std::path::Path, text: &str) -> Result<Map<String, Value>> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(blob_error(env, db, "it is not a JSON object")),
        Err(e) => Err(blob_error(env, db, &format!("it is not valid JSON ({e})"))),
    }
}

/// A string array field of `aiSettings`, created when missing.
fn string_list<'a>(
    env: &Env,
    db: &std::path::Path,
    ai: &'a mut Map<String, Value>,
    field: &str,
) -> Result<&'a mut Vec<Value>> {
    match ai
        .entry(field.to_string())
        .or_insert_with(|| Value::Array(Vec::new()))
    {
        Value::Array(list) => Ok(list),
        _ => Err(blob_error(
            env,
            db,
            &format!("aiSettings.{field} is not a list"),
        )),
    }
}

/// The blob with byok's values set; every other field as it was.
fn configured(
    env: &Env,
    db: &std::path::Path,
    mut blob: Map<String, Value>,
    gw: &Gateway,
) -> Result<Map<String, Value>> {
    blob.insert(
        "openAIBaseUrl".to_string(),
        Value::String(gw.openai_base.clone()),
    );
    blob.insert("useOpenAIKey".to_string(), Value::Bool(true));
    let Some(model) = &gw.model else {
        return Ok(blob);
    };
    let model = Value::String(model.clone());
    let ai = match blob
        .entry("aiSettings".to_string())
        .or_insert_with(|| Value::Object(Map::new()))
    {
        Value::Object(ai) => ai,
        _ => return Err(blob_error(env, db, "aiSettings is not an object")),
    };
    for field in ["userAddedModels", "modelOverrideEnabled"] {
        let list = string_list(env, db, ai, field)?;
        if !list.contains(&model) {
            list.push(model.clone());
        }
    }
    if let Some(Value::Array(disabled)) = ai.get_mut("modelOverrideDisabled") {
        disabled.retain(|m| *m != model);
    }
    Ok(blob)
}

/// A change to the blob row, or `None` when nothing differs.
fn blob_change(
    db: PathBuf,
    before: &str,
    old: &Map<String, Value>,
    new: Map<String, Value>,
) -> Change {
    let after = if *old == new {
        before.to_string()
    } else {
        serde_json::to_string(&Value::Object(new)).expect("a JSON value always serialises")
    };
    Change {
        path: db,
        target: Target::SqliteItem {
            key: BLOB_KEY.to_string(),
        },
        before: Some(before.to_string()),
        after: Some(after),
        secret: false,
    }
}

impl Tool for Cursor {
    fn id(&self) -> ToolId {
        ToolId::Cursor
    }

    fn name(&self) -> &'static str {
        "Cursor"
    }

    fn inputs(&self, env: &Env) -> Inputs {
        let mut inputs = Inputs {
            dirs: vec![
                user_data(env),
                global_storage(env),
                env.home.join(".cursor"),
            ],
            sqlite: vec![(state_db(env), BLOB_KEY.to_string())],
            binaries: vec!["cursor"],
            processes: PROCESSES.to_vec(),
            ..Inputs::default()
        };
        inputs.files.extend(app_manifest(env));
        inputs
    }

    fn detect(&self, env: &Env, cur: &Current) -> Detection {
        let mut det = Detection::default();
        if let Some(bin) = cur.binaries.get("cursor") {
            let version = bin
                .version
                .as_deref()
                .map(|v| format!(" ({v})"))
                .unwrap_or_default();
            det.evidence
                .push(format!("binary {}{version}", env.tilde(&bin.path)));
        }
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
                .map_or_else(|| manifest.clone(), std::path::Path::to_path_buf);
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
        det.installed = !det.evidence.is_empty();
        det.config_files.push(state_db(env));
        det
    }

    fn plan(&self, env: &Env, gw: &Gateway, opts: &SetupOptions, cur: &Current) -> Result<Plan> {
        if is_running(cur) {
            return Err(running_error("setup"));
        }
        let db = state_db(env);
        let mut plan = Plan::default();
        if let Some(reason) = unreachable_reason(&gw.openai_base) {
            plan.notes.push(format!(
                "warning: Cursor calls the gateway from Cursor's servers, and {} is {reason} they cannot reach: give the gateway a public HTTPS URL (a tunnel works) for Cursor",
                gw.base.host()
            ));
        }
        let Some(before) = cur.sqlite_item(&db, BLOB_KEY) else {
            let has_db = cur
                .entries(&global_storage(env))
                .iter()
                .any(|e| e == "state.vscdb");
            plan.notes.push(if has_db {
                format!(
                    "{} has no saved Cursor settings yet, so byok wrote nothing: start Cursor once, quit it and run `byok setup cursor` again, or do all steps by hand",
                    env.tilde(&db)
                )
            } else {
                format!(
                    "{} does not exist (Cursor has not been started yet), so byok wrote nothing: start Cursor once, quit it and run `byok setup cursor` again, or do all steps by hand",
                    env.tilde(&db)
                )
            });
            plan.manual_steps = steps(gw, opts, false);
            return Ok(plan);
        };
        let old = parse_blob(env, &db, before)?;
        let new = configured(env, &db, old.clone(), gw)?;
        plan.changes.push(blob_change(db, before, &old, new));
        plan.manual_steps = steps(gw, opts, true);
        Ok(plan)
    }

    fn remove(&self, env: &Env, _opts: &SetupOptions, cur: &Current) -> Result<Plan> {
        if is_running(cur) {
            return Err(running_error("remove"));
        }
        let db = state_db(env);
        let mut plan = Plan::default();
        let Some(before) = cur.sqlite_item(&db, BLOB_KEY) else {
            return Ok(plan);
        };
        let old = parse_blob(env, &db, before)?;
        let mut new = old.clone();
        if new.get("openAIBaseUrl").is_some_and(|v| !v.is_null()) {
            new.insert("openAIBaseUrl".to_string(), Value::Null);
        }
        if new.get("useOpenAIKey") == Some(&Value::Bool(true)) {
            new.insert("useOpenAIKey".to_string(), Value::Bool(false));
        }
        plan.changes.push(blob_change(db, before, &old, new));
        if !plan.is_up_to_date() {
            plan.notes.push(
                "the model ids byok added stay in Cursor's model list; switch them off under Cursor Settings → Models if you like".to_string(),
            );
            plan.manual_steps.push(
                "delete the gateway key under Cursor Settings → Models → API Keys (byok cannot reach it)"
                    .to_string(),
            );
        }
        Ok(plan)
    }

    fn owned(&self, env: &Env, cur: &Current) -> Vec<(String, Option<String>)> {
        let db = state_db(env);
        let blob = cur
            .sqlite_item(&db, BLOB_KEY)
            .and_then(|t| serde_json::from_str::<Value>(t).ok());
        ["openAIBaseUrl", "useOpenAIKey"]
            .iter()
            .map(|field| {
                let value = blob
                    .as_ref()
                    .and_then(|b| b.get(*field))
                    .map(Value::to_string);
                (format!("{} {field}", env.tilde(&db)), value)
            })
            .collect()
    }

    fn endpoints(&self, _gw: &Gateway) -> Vec<Endpoint> {
        vec![Endpoint::Models, Endpoint::ChatCompletions]
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
        let db = state_db(env);
        if let Some(blob) = cur
            .sqlite_item(&db, BLOB_KEY)
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
        {
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
