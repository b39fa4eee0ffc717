//! The setup engine's I/O half: gathering what adapters ask for into a [`Current`],
//! the drift record of what byok last wrote, and each tool's status.
//!
//! Adapters stay pure; this module reads the file system (never launching an editor)
//! and keeps `<state dir>/owned.json`, the hashes of byok-owned values per tool.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::cli::KeyMode;
use crate::config_edit::sqlite;
use crate::env::{Env, Os};
use crate::fs;
use crate::profile::Gateway;
use crate::tools::{Binary, Current, Detection, Inputs, SetupOptions, Tool};

/// Reads everything `inputs` names. Missing files and dirs are recorded as missing.
pub fn gather(env: &Env, inputs: &Inputs) -> Result<Current> {
    let mut cur = Current::default();
    for path in &inputs.files {
        cur.files.insert(path.clone(), fs::read_optional(path)?);
    }
    for dir in &inputs.dirs {
        let entries = match std::fs::read_dir(dir) {
            Ok(rd) => {
                let mut names: Vec<String> = rd
                    .filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .collect();
                names.sort();
                Some(names)
            }
            Err(_) => None,
        };
        cur.dirs.insert(dir.clone(), entries);
    }
    for (db, key) in &inputs.sqlite {
        let value = sqlite::read_item(db, key)
            .with_context(|| format!("could not read {}", env.tilde(db)))?;
        cur.sqlite.insert((db.clone(), key.clone()), value);
    }
    for name in &inputs.binaries {
        if let Some(path) = env.find_on_path(name) {
            let version = binary_version(&path);
            cur.binaries
                .insert((*name).to_string(), Binary { path, version });
        }
    }
    if !inputs.processes.is_empty() {
        let running = running_processes(env.os);
        for p in &inputs.processes {
            if running.iter().any(|r| r == p) {
                cur.running.insert((*p).to_string());
            }
        }
    }
    Ok(cur)
}

/// A version for a binary without running it: an npm package.json above it, or a
/// versioned file name (native installers keep `…/versions/2.1.0`).
fn binary_version(path: &Path) -> Option<String> {
    let real = std::fs::canonicalize(path).ok()?;
    let name = real.file_name()?.to_string_lossy().to_string();
    if name.starts_with(|c: char| c.is_ascii_digit()) && name.contains('.') {
        return Some(name);
    }
    for dir in real.ancestors().skip(1).take(4) {
        let manifest = dir.join("package.json");
        if let Ok(Some(text)) = fs::read_optional(&manifest) {
            let json: serde_json::Value = serde_json::from_str(&text).ok()?;
            return json["version"].as_str().map(str::to_string);
        }
    }
    None
}

/// Names of running processes. Linux reads /proc; elsewhere the OS's own lister.
fn running_processes(os: Os) -> Vec<String> {
    if cfg!(target_os = "linux") {
        let Ok(rd) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        return rd
            .filter_map(|e| {
                let e = e.ok()?;
                e.file_name().to_str()?.parse::<u32>().ok()?;
                let comm = std::fs::read_to_string(e.path().join("comm")).ok()?;
                Some(comm.trim_end().to_string())
            })
            .collect();
    }
    // `ps` and `tasklist` ship with the OS; no editor is launched.
    let (program, args): (&str, &[&str]) = match os {
        Os::Windows => ("tasklist", &["/fo", "csv", "/nh"]),
        _ => ("ps", &["-axco", "comm="]),
    };
    let Ok(out) = std::process::Command::new(program).args(args).output() else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            l.split(',')
                .next()
                .unwrap_or(l)
                .trim()
                .trim_matches('"')
                .to_string()
        })
        .collect()
}

/// What byok last wrote for one tool.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct OwnedRecord {
    /// The profile it was written for.
    pub profile: String,
    /// SHA-256 of each owned value (empty string for "absent").
    pub values: BTreeMap<String, String>,
    /// Set up with `--key-mode helper`.
    #[serde(default)]
    pub helper: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct OwnedFile {
    #[serde(default)]
    tools: BTreeMap<String, OwnedRecord>,
}

fn owned_path(env: &Env) -> PathBuf {
    env.state_dir.join("owned.json")
}

fn load_owned(env: &Env) -> Result<OwnedFile> {
    let path = owned_path(env);
    Ok(match fs::read_optional(&path)? {
        Some(text) => serde_json::from_str(&text).unwrap_or_default(),
        None => OwnedFile::default(),
    })
}

/// The drift record for a tool, if byok has configured it.
pub fn owned_record(env: &Env, tool: &dyn Tool) -> Result<Option<OwnedRecord>> {
    Ok(load_owned(env)?.tools.remove(tool.id().as_str()))
}

fn hash_values(values: &[(String, Option<String>)]) -> BTreeMap<String, String> {
    values
        .iter()
        .map(|(label, v)| {
            (
                label.clone(),
                v.as_deref()
                    .map(|s| fs::sha256_hex(s.as_bytes()))
                    .unwrap_or_default(),
            )
        })
        .collect()
}

/// Records the owned values after a setup (or forgets them after remove/restore with `None`).
pub fn record_owned(
    env: &Env,
    tool: &dyn Tool,
    profile: Option<(&str, KeyMode)>,
    cur: &Current,
) -> Result<()> {
    let mut file = load_owned(env)?;
    match profile {
        Some((p, mode)) => {
            let record = OwnedRecord {
                profile: p.to_string(),
                values: hash_values(&tool.owned(env, cur)),
                helper: mode == KeyMode::Helper,
            };
            file.tools.insert(tool.id().as_str().to_string(), record);
        }
        None => {
            if file.tools.remove(tool.id().as_str()).is_none() {
                return Ok(());
            }
        }
    }
    let text = serde_json::to_string_pretty(&file).context("could not serialise owned.json")?;
    fs::write_atomic(
        &owned_path(env),
        format!("{text}\n").as_bytes(),
        fs::Mode::Secret,
    )
}

/// Labels whose value changed since byok wrote it.
pub fn drifted(env: &Env, tool: &dyn Tool, record: &OwnedRecord, cur: &Current) -> Vec<String> {
    let now = hash_values(&tool.owned(env, cur));
    let mut changed: Vec<String> = record
        .values
        .iter()
        .filter(|(label, hash)| now.get(*label).map_or(!hash.is_empty(), |h| h != *hash))
        .map(|(label, _)| label.clone())
        .collect();
    changed.sort();
    changed
}

/// A tool's relation to the active profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolStatus {
    /// Its settings point at this profile's gateway, key and models.
    Configured {
        /// Profile name.
        profile: String,
    },
    /// byok configured it once, for this or another profile, but it is out of date.
    Outdated {
        /// The profile byok last wrote.
        profile: String,
    },
    /// Values byok wrote were changed by hand.
    Drifted {
        /// What changed.
        changed: Vec<String>,
    },
    /// Not pointing at the gateway, and byok never configured it.
    NotConfigured,
    /// Its files could not be read or parsed.
    Error(String),
}

impl ToolStatus {
    /// A short human label.
    pub fn label(&self) -> String {
        match self {
            Self::Configured { profile } => format!("configured (profile {profile})"),
            Self::Outdated { profile } => {
                format!("out of date (last set up for profile {profile})")
            }
            Self::Drifted { changed } => {
                format!("drifted: changed by hand: {}", changed.join(", "))
            }
            Self::NotConfigured => "not configured".to_string(),
            Self::Error(e) => format!("error: {e}"),
        }
    }

    /// A stable machine name for `--json`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Configured { .. } => "configured",
            Self::Outdated { .. } => "outdated",
            Self::Drifted { .. } => "drifted",
            Self::NotConfigured => "not-configured",
            Self::Error(_) => "error",
        }
    }
}

/// Compares a tool's files with what setup would write for `gw`.
pub fn status(env: &Env, tool: &dyn Tool, gw: Option<&Gateway>, cur: &Current) -> ToolStatus {
    let record = match owned_record(env, tool) {
        Ok(r) => r,
        Err(e) => return ToolStatus::Error(format!("{e:#}")),
    };
    if let Some(gw) = gw {
        let helper = record.as_ref().is_some_and(|r| r.helper);
        let opts = options(
            env,
            if helper {
                KeyMode::Helper
            } else {
                KeyMode::Literal
            },
            None,
            false,
        );
        match tool.plan(env, gw, &opts, cur) {
            Ok(plan) if plan.is_up_to_date() => {
                return ToolStatus::Configured {
                    profile: gw.name.clone(),
                };
            }
            Ok(_) => {}
            Err(e) => return ToolStatus::Error(crate::secret::redact(&format!("{e:#}"))),
        }
    }
    match record {
        Some(r) => {
            let changed = drifted(env, tool, &r, cur);
            if changed.is_empty() {
                ToolStatus::Outdated { profile: r.profile }
            } else {
                ToolStatus::Drifted { changed }
            }
        }
        None => ToolStatus::NotConfigured,
    }
}

/// The options a setup plan is made with.
pub fn options(env: &Env, key_mode: KeyMode, host: Option<String>, show_key: bool) -> SetupOptions {
    SetupOptions {
        key_mode,
        host,
        exe: env.exe_string(),
        show_key,
        now: humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
    }
}

/// Gathers and detects one tool.
pub fn inspect(env: &Env, tool: &dyn Tool) -> Result<(Current, Detection)> {
    let cur = gather(env, &tool.inputs(env))?;
    let det = tool.detect(env, &cur);
    Ok((cur, det))
}
