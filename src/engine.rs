//! The tools' I/O half, kept out of `commands/` (which only prints and prompts):
//! gathering what adapters ask for into a [`Current`], the drift record of what byok
//! last wrote, and each tool's status.
//!
//! Adapters stay pure; this module reads the file system (never launching an editor)
//! and keeps `<state dir>/owned.json`, the hashes of byok-owned values per tool, plus
//! what byok must give back on `remove`: the user's own values it replaced (their
//! "priors") and the files it created. Both reach the pure adapters through
//! [`Current::prior`] and [`Current::created`].

use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::config_edit::sqlite;
use crate::env::{Env, Os};
use crate::error::UserError;
use crate::fs;
use crate::plan::{Plan, Target};
use crate::profile::Gateway;
use crate::tools::KeyMode;
use crate::tools::{Binary, Current, Detection, Finding, Inputs, SetupOptions, Severity, Tool};

/// One read-only look at the file system shared by the tools of one pass (detect's
/// table, the status lists of `byok` and `setup`'s picker): each file and directory is
/// read once however many tools ask for it (every editor extension lists the same
/// seven extension dirs), and the drift record once rather than twice per tool.
/// Nothing is written during such a pass, so nothing held here can go stale; the free
/// functions below, which commands that write use, each make a survey of their own.
pub struct Survey<'a> {
    env: &'a Env,
    files: RefCell<BTreeMap<PathBuf, Option<String>>>,
    dirs: RefCell<BTreeMap<PathBuf, Option<Vec<String>>>>,
    records: OnceCell<std::result::Result<OwnedFile, UserError>>,
}

impl<'a> Survey<'a> {
    /// A survey that has read nothing yet.
    pub fn new(env: &'a Env) -> Self {
        Self {
            env,
            files: RefCell::default(),
            dirs: RefCell::default(),
            records: OnceCell::new(),
        }
    }

    /// Gathers and detects one tool.
    pub fn inspect(&self, tool: &dyn Tool) -> Result<(Current, Detection)> {
        let cur = gather_tool_in(self, tool)?;
        let det = tool.detect(self.env, &cur);
        Ok((cur, det))
    }

    /// Compares a tool's files with what setup would write for `gw`.
    pub fn status(&self, tool: &dyn Tool, gw: Option<&Gateway>, cur: &Current) -> ToolStatus {
        match self.record(tool) {
            Ok(record) => status_of(self.env, tool, gw, cur, record),
            Err(e) => ToolStatus::Error(format!("{e:#}")),
        }
    }

    /// The drift record for a tool, if byok has configured it.
    pub fn record(&self, tool: &dyn Tool) -> Result<Option<OwnedRecord>> {
        let file = self.records.get_or_init(|| {
            load_owned(self.env).map_err(|e| {
                // Kept as `error::render` shows it: message, hint and exit status.
                e.downcast::<UserError>()
                    .unwrap_or_else(|e| UserError::new(format!("{e:#}")))
            })
        });
        match file {
            Ok(f) => Ok(f.tools.get(tool.id().as_str()).cloned()),
            Err(e) => Err(e.clone().into()),
        }
    }

    fn file(&self, path: &Path) -> Result<Option<String>> {
        if let Some(text) = self.files.borrow().get(path) {
            return Ok(text.clone());
        }
        // An error is not kept: the next tool asking reads again and gets it too.
        let text = fs::read_optional(path)?;
        self.files
            .borrow_mut()
            .insert(path.to_path_buf(), text.clone());
        Ok(text)
    }

    fn dir(&self, dir: &Path) -> Option<Vec<String>> {
        self.dirs
            .borrow_mut()
            .entry(dir.to_path_buf())
            .or_insert_with(|| list_dir(dir))
            .clone()
    }
}

/// A directory's entry names, sorted; `None` when it can't be listed.
fn list_dir(dir: &Path) -> Option<Vec<String>> {
    let rd = std::fs::read_dir(dir).ok()?;
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    Some(names)
}

/// Reads everything `inputs` names. Missing files and dirs are recorded as missing.
pub fn gather(env: &Env, inputs: &Inputs) -> Result<Current> {
    gather_in(&Survey::new(env), inputs)
}

fn gather_in(survey: &Survey<'_>, inputs: &Inputs) -> Result<Current> {
    let env = survey.env;
    let mut cur = Current::default();
    for path in &inputs.files {
        cur.files.insert(path.clone(), survey.file(path)?);
    }
    for dir in &inputs.dirs {
        cur.dirs.insert(dir.clone(), survey.dir(dir));
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

/// Reads everything a tool asks for, in two passes: its inputs, then what those revealed.
pub fn gather_tool(env: &Env, tool: &dyn Tool) -> Result<Current> {
    gather_tool_in(&Survey::new(env), tool)
}

fn gather_tool_in(survey: &Survey<'_>, tool: &dyn Tool) -> Result<Current> {
    let env = survey.env;
    let mut cur = gather_in(survey, &tool.inputs(env))?;
    let more = tool.more_inputs(env, &cur);
    if !(more.files.is_empty() && more.dirs.is_empty() && more.sqlite.is_empty()) {
        let extra = gather_in(
            survey,
            &Inputs {
                binaries: Vec::new(),
                processes: Vec::new(),
                ..more
            },
        )?;
        cur.files.extend(extra.files);
        cur.dirs.extend(extra.dirs);
        cur.sqlite.extend(extra.sqlite);
    }
    // Whatever byok prints next (diffs, notes, errors) masks the user's own secrets too.
    for secret in tool.secrets(env, &cur) {
        crate::secret::register(&secret);
    }
    if let Some(record) = survey.record(tool)? {
        cur.written = record.values;
        cur.prior = record.prior;
        cur.entries = record.entries;
        // A blank file held nothing of the user's: like a created one, it may go, and
        // the remove command writes its bytes back.
        cur.created = record.created.map(|c| {
            c.into_iter()
                .chain(record.blank.into_keys())
                .map(PathBuf::from)
                .collect()
        });
    }
    Ok(cur)
}

/// `cur` as it will be once `plan` is applied (nothing is written).
pub fn project(cur: &Current, plan: &Plan) -> Current {
    let mut out = cur.clone();
    out.entries.extend(plan.entries.clone());
    for c in plan.effective() {
        match &c.target {
            Target::File => {
                out.files.insert(c.path.clone(), c.after.clone());
            }
            Target::SqliteItem { key } => {
                out.sqlite
                    .insert((c.path.clone(), key.clone()), c.after.clone());
            }
        }
    }
    out
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
                // A name is at most 15 bytes and a newline, so one read gets it: open,
                // read and close per process (a desktop runs hundreds), no size query.
                let mut comm = [0u8; 64];
                let n = std::fs::File::open(e.path().join("comm"))
                    .ok()?
                    .read(&mut comm)
                    .ok()?;
                Some(std::str::from_utf8(&comm[..n]).ok()?.trim_end().to_string())
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
    /// How the tool got the key: `command` (it runs `byok print-key`), `reference` (it
    /// reads the profile's variable) or `copy` (the key itself, in a 0600 file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_form: Option<String>,
    /// The user's own values setup replaced, by label, as [`Tool::restorable`] read them
    /// before byok's first write; `remove` puts them back. May hold secrets (the file is
    /// 0600): shown only masked.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub prior: BTreeMap<String, String>,
    /// Files setup created; `remove` deletes no other file. `None` in records written
    /// before byok kept this list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<BTreeSet<String>>,
    /// Files the user had but that were blank (whitespace only) before setup, with their
    /// bytes: `remove` may empty them of byok's settings, and then gives those bytes back
    /// rather than deleting a file the user had.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub blank: BTreeMap<String, String>,
    /// byok's item in each list it writes, by the list's label: `remove` finds it there.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub entries: BTreeMap<String, crate::plan::ListEntry>,
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
    match fs::read_optional(&path)? {
        // A record byok can't read is kept as it is: replacing it would forget what byok
        // owns and what it must give back.
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            crate::error::UserError::new(format!(
                "byok's record of what it wrote, {}, is damaged (line {}, column {}); byok left it as it is",
                env.tilde(&path),
                e.line(),
                e.column()
            ))
            .hint(format!(
                "restore it from a backup, or move it aside (byok then treats every tool as not set up by it): mv {0} {0}.damaged",
                env.tilde(&path)
            ))
            .into()
        }),
        None => Ok(OwnedFile::default()),
    }
}

/// The drift record for a tool, if byok has configured it.
pub fn owned_record(env: &Env, tool: &dyn Tool) -> Result<Option<OwnedRecord>> {
    Ok(load_owned(env)?.tools.remove(tool.id().as_str()))
}

impl OwnedRecord {
    /// The key mode this tool was set up with, for planning it again.
    pub fn key_mode(&self) -> KeyMode {
        if self.helper {
            KeyMode::Helper
        } else {
            KeyMode::Literal
        }
    }
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

/// What one setup tells the drift record besides the values it wrote: the profile and
/// key mode, the user's values it took over, and the files it created or found blank.
#[derive(Debug, Clone, Copy)]
pub struct SetupFacts<'a> {
    /// The profile set up.
    pub profile: &'a str,
    /// The key mode used.
    pub mode: KeyMode,
    /// The user's values the plan took over (their priors are kept).
    pub replaced: &'a [Replaced],
    /// Files that did not exist before.
    pub created: &'a [PathBuf],
    /// Files the user had blank, with their bytes.
    pub blank: &'a [(PathBuf, String)],
    /// Owned labels whose value stays the user's ([`crate::plan::Plan::left`]).
    pub left: &'a [String],
    /// How the tool got the key ([`OwnedRecord::key_form`]).
    pub key_form: &'a str,
}

/// Records the owned values after a setup, with what remove must give back, in one
/// write (or, with `None`, forgets them after remove/restore).
pub fn record_owned(
    env: &Env,
    tool: &dyn Tool,
    setup: Option<&SetupFacts<'_>>,
    cur: &Current,
) -> Result<()> {
    let mut records = Records::load(env)?;
    if records.record(env, tool, setup, cur) {
        records.save(env)?;
    }
    Ok(())
}

/// The drift record of every tool, loaded once and saved once: per command, or with a
/// step's writes ([`Records::install`] for [`crate::plan::Step::commit`]).
#[derive(Debug, Default)]
pub struct Records {
    file: OwnedFile,
}

impl Records {
    /// Reads `owned.json`.
    pub fn load(env: &Env) -> Result<Self> {
        Ok(Self {
            file: load_owned(env)?,
        })
    }

    /// Records one tool's setup (or, with `None`, forgets the tool); whether anything changed.
    pub fn record(
        &mut self,
        env: &Env,
        tool: &dyn Tool,
        setup: Option<&SetupFacts<'_>>,
        cur: &Current,
    ) -> bool {
        let file = &mut self.file;
        let Some(s) = setup else {
            return file.tools.remove(tool.id().as_str()).is_some();
        };
        // What must be given back on remove outlives each setup's new hashes.
        let old = file.tools.remove(tool.id().as_str()).unwrap_or_default();
        let theirs = |label: &str| {
            s.left.iter().any(|l| {
                label == l
                    || label
                        .strip_prefix(l.as_str())
                        .is_some_and(|rest| rest.starts_with(['.', '[']))
            })
        };
        let owned: Vec<_> = tool
            .owned(env, cur)
            .into_iter()
            .filter(|(label, _)| !theirs(label))
            .collect();
        let mut record = OwnedRecord {
            profile: s.profile.to_string(),
            values: hash_values(&owned),
            helper: s.mode == KeyMode::Helper,
            key_form: Some(s.key_form.to_string()),
            prior: old.prior,
            created: Some(old.created.unwrap_or_default()),
            blank: old.blank,
            entries: cur.entries.clone(),
        };
        keep_priors(&mut record, s);
        file.tools.insert(tool.id().as_str().to_string(), record);
        true
    }

    /// Forgets part of a tool's record (what `remove --host` took out); the whole record
    /// once nothing of it is left. Whether anything changed.
    pub fn forget_part(&mut self, tool: &dyn Tool, part: &crate::tools::Part) -> bool {
        let id = tool.id().as_str();
        let Some(r) = self.file.tools.get_mut(id) else {
            return false;
        };
        let before = r.clone();
        r.values.retain(|label, _| !part.has_label(label));
        r.prior.retain(|label, _| !part.has_label(label));
        r.entries.retain(|label, _| !part.has_label(label));
        let gone = |p: &String| part.files.iter().any(|f| f.display().to_string() == *p);
        if let Some(created) = &mut r.created {
            created.retain(|p| !gone(p));
        }
        r.blank.retain(|p, _| !gone(p));
        if r.values.is_empty() {
            self.file.tools.remove(id);
            return true;
        }
        *r != before
    }

    /// `owned.json` and its new text, for a step to install with its writes.
    pub fn install(&self, env: &Env) -> Result<(PathBuf, String)> {
        let text =
            serde_json::to_string_pretty(&self.file).context("could not serialise owned.json")?;
        Ok((owned_path(env), format!("{text}\n")))
    }

    /// Writes `owned.json` (0600: it may hold the user's replaced secrets).
    pub fn save(&self, env: &Env) -> Result<()> {
        let (path, text) = self.install(env)?;
        fs::write_atomic(&path, text.as_bytes(), fs::Mode::Secret)
    }
}

/// Adds a setup's priors, created and blank files to a record; the first value recorded
/// for a label stays (a later setup sees byok's own value there).
fn keep_priors(record: &mut OwnedRecord, s: &SetupFacts<'_>) {
    for r in s.replaced {
        if let Some(v) = &r.restorable {
            record
                .prior
                .entry(r.label.clone())
                .or_insert_with(|| v.clone());
        }
    }
    let list = record.created.get_or_insert_with(BTreeSet::new);
    list.extend(s.created.iter().map(|p| p.display().to_string()));
    for (path, text) in s.blank {
        let key = path.display().to_string();
        if !list.contains(&key) {
            record.blank.entry(key).or_insert_with(|| text.clone());
        }
    }
}

/// A value of the user's that a setup plan takes over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaced {
    /// Its [`Tool::owned`] label.
    pub label: String,
    /// The value as [`Tool::owned`] reads it (may be a secret).
    pub value: String,
    /// The form `remove` writes back; `None` when this tool cannot put it back.
    pub restorable: Option<String>,
    /// Whether the plan changes it (else byok keeps it as it is, but owns it from now on).
    pub changed: bool,
}

/// The user's own values in `before` that byok takes over going to `after`: present,
/// not byok's (no record, or not what byok last wrote), and not already kept.
pub fn replaced(
    env: &Env,
    tool: &dyn Tool,
    record: Option<&OwnedRecord>,
    before: &Current,
    after: &Current,
) -> Vec<Replaced> {
    let now: BTreeMap<String, Option<String>> = tool.owned(env, after).into_iter().collect();
    // The list items byok is about to own, as they were before: a user's item with the
    // identity of byok's is replaced like any value of theirs.
    let before = &Current {
        entries: after.entries.clone(),
        ..before.clone()
    };
    let restorable: BTreeMap<String, Option<String>> =
        tool.restorable(env, before).into_iter().collect();
    tool.owned(env, before)
        .into_iter()
        .filter_map(|(label, value)| {
            let value = value?;
            let byoks = record.is_some_and(|r| {
                r.prior.contains_key(&label)
                    || r.values.get(&label) == Some(&fs::sha256_hex(value.as_bytes()))
            });
            if byoks {
                return None;
            }
            let changed = now.get(&label) != Some(&Some(value.clone()));
            Some(Replaced {
                restorable: restorable.get(&label).cloned().flatten(),
                changed,
                label,
                value,
            })
        })
        .collect()
}

/// How a user's value reads in messages: masked when its setting is a known secret
/// (the label's last name, exactly; no guessing from substrings) or a key fingerprint.
pub fn shown_value(label: &str, value: &str) -> String {
    let name = label.rsplit([' ', '.']).next().unwrap_or(label);
    if crate::secret::is_secret_name(name) || value.starts_with("sha256:") {
        crate::secret::mask(value)
    } else {
        crate::secret::redact(value)
    }
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
    /// byok cannot write its settings; the manual steps of `byok setup` apply.
    ManualOnly,
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
            Self::ManualOnly => "manual setup only (see `byok setup`)".to_string(),
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
            Self::ManualOnly => "manual-only",
            Self::Error(_) => "error",
        }
    }
}

/// Compares a tool's files with what setup would write for `gw`.
pub fn status(env: &Env, tool: &dyn Tool, gw: Option<&Gateway>, cur: &Current) -> ToolStatus {
    Survey::new(env).status(tool, gw, cur)
}

/// [`status`] with the tool's drift record at hand.
fn status_of(
    env: &Env,
    tool: &dyn Tool,
    gw: Option<&Gateway>,
    cur: &Current,
    record: Option<OwnedRecord>,
) -> ToolStatus {
    if let Some(gw) = gw {
        let mode = record
            .as_ref()
            .map_or(KeyMode::Literal, OwnedRecord::key_mode);
        let opts = options(env, mode, None, false);
        match tool.plan(env, gw, &opts, cur) {
            Ok(plan) if plan.manual_only => return ToolStatus::ManualOnly,
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

/// A project file a tool reads in the working directory, and who wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFile {
    /// The file and what it sets.
    pub read: crate::tools::ProjectRead,
    /// The profile byok wrote it for (`byok setup --project`); `None`: not byok's.
    pub profile: Option<String>,
    /// It decides the tool's gateway in this project (the first file that does).
    pub wins: bool,
}

/// The drift record's name for a tool's `setup --project` of `dir`: `<id>@<dir>`.
pub fn project_record_id(tool: &str, dir: &Path) -> String {
    format!("{tool}@{}", dir.display())
}

/// The project files that set something of a tool's in the working directory, highest
/// precedence first: the template's `[[project_file]]`s, each byok's when the drift
/// record holds a `setup --project` of that directory and it is that setup's file.
pub fn project_files(env: &Env, tool: &dyn Tool, cur: &Current) -> Result<Vec<ProjectFile>> {
    let reads = tool.project_reads(env, cur);
    if reads.is_empty() {
        return Ok(Vec::new());
    }
    let owned = load_owned(env)?;
    let rel = tool
        .template()
        .and_then(|t| t.project.as_ref())
        .map(|p| p.path.as_str());
    let mut decided = false;
    Ok(reads
        .into_iter()
        .map(|read| {
            let id = project_record_id(tool.id().as_str(), &read.dir);
            let profile = rel
                .filter(|r| {
                    crate::tools::generic::project::is_project_file(&read.dir, r, &read.path)
                })
                .and_then(|_| owned.tools.get(&id))
                .map(|r| r.profile.clone());
            let wins = !decided && (profile.is_some() || read.decides());
            decided |= wins;
            ProjectFile {
                read,
                profile,
                wins,
            }
        })
        .collect())
}

/// What detect and doctor say about each project file (keys masked): a file byok wrote
/// is a note, naming the profile that wins there; another is a warning naming what it
/// sets over the user's settings (a note when byok's own file wins over it).
pub fn project_findings(env: &Env, tool: &dyn Tool, files: &[ProjectFile]) -> Vec<Finding> {
    let winner = files
        .iter()
        .find(|f| f.wins)
        .map(|f| env.tilde(&f.read.path));
    let byoks_win = files.iter().any(|f| f.wins && f.profile.is_some());
    files
        .iter()
        .map(|f| {
            let r = &f.read;
            let file = env.tilde(&r.path);
            if let Some(p) = &f.profile {
                let message = match (&winner, f.wins) {
                    (_, true) => format!("project file {file} (written by byok): profile `{p}` wins here"),
                    (Some(w), false) => format!(
                        "project file {file} (written by byok for profile `{p}`) is overridden here by {w}"
                    ),
                    (None, false) => format!("project file {file} (written by byok for profile `{p}`)"),
                };
                return Finding {
                    severity: Severity::Info,
                    message,
                    hint: None,
                };
            }
            let mut set: Vec<String> = r
                .base_urls
                .iter()
                .map(|u| format!("base URL {}", crate::secret::redact(u)))
                .collect();
            // A value whose name says it may be a credential is not shown at all.
            let private = |k: &str| {
                let name = k.rsplit('.').next().unwrap_or(k).to_ascii_lowercase();
                ["key", "token", "secret", "password"]
                    .iter()
                    .any(|w| name.contains(w))
            };
            set.extend(r.sets.iter().map(|(k, v)| match v {
                Some(v) if !private(k) => format!("{k} = \"{}\"", shown_value(k, v)),
                _ => k.clone(),
            }));
            let mut facts = Vec::new();
            if r.replaces {
                facts.push("is read instead of your user settings".to_string());
            }
            if !set.is_empty() {
                facts.push(format!("sets {}", set.join(", ")));
            }
            if let Some(e) = &r.unparsable {
                facts.push(format!("could not be read ({e})"));
            }
            let (wins, severity) = match &winner {
                _ if f.wins => ("; it wins here".to_string(), Severity::Warn),
                // byok's own project file wins over it: nothing to do.
                Some(w) if byoks_win => (format!("; {w} wins over it"), Severity::Info),
                Some(w) => (format!("; {w} wins over it"), Severity::Warn),
                None => (String::new(), Severity::Warn),
            };
            let hint = match tool.template().and_then(|t| t.project.as_ref()) {
                _ if severity == Severity::Info => None,
                Some(_) => Some(format!(
                    "`byok setup --project {} {}` gives this project byok's settings; or take those out of that file",
                    env.tilde(&r.dir),
                    tool.id().as_str()
                )),
                None => Some(format!(
                    "take those out of that file if {} should use the gateway in this project",
                    tool.name()
                )),
            };
            Finding {
                severity,
                message: format!(
                    "project file {file} (not written by byok) {}{wins}",
                    facts.join(" and ")
                ),
                hint,
            }
        })
        .collect()
}

/// The findings worth showing outside doctor (Warn and Fail), worst first, key values masked.
pub fn problems(findings: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = findings
        .into_iter()
        .filter(|f| f.severity >= Severity::Warn)
        .map(|f| Finding {
            message: crate::secret::redact(&f.message),
            hint: f.hint.map(|h| crate::secret::redact(&h)),
            ..f
        })
        .collect();
    // Stable: a tool's own order stays within each severity.
    out.sort_by_key(|f| std::cmp::Reverse(f.severity));
    out
}

/// How the table names a finding's severity.
pub fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Info => "note",
        Severity::Warn => "warning",
        Severity::Fail => "problem",
    }
}

/// The options a setup plan is made with.
pub fn options(env: &Env, key_mode: KeyMode, host: Option<String>, show_key: bool) -> SetupOptions {
    SetupOptions {
        key_mode,
        host,
        exe: env.exe_string(),
        show_key,
        auto_key: false,
        copy_reason: None,
        now: humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
    }
}

/// Gathers and detects one tool.
pub fn inspect(env: &Env, tool: &dyn Tool) -> Result<(Current, Detection)> {
    Survey::new(env).inspect(tool)
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // fixtures are written directly
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::gateway::probe::Api;
    use crate::plan::{Change, Plan};
    use crate::tools::ToolId;

    /// A one-file tool: `tool.json` holds the gateway URL byok owns.
    struct Fake;

    impl Tool for Fake {
        fn id(&self) -> ToolId {
            ToolId::ClaudeCode
        }
        fn name(&self) -> &'static str {
            "Fake"
        }
        fn inputs(&self, env: &Env) -> Inputs {
            Inputs {
                files: vec![env.home.join("tool.json")],
                binaries: vec!["sh"],
                ..Inputs::default()
            }
        }
        fn detect(&self, _env: &Env, _cur: &Current) -> Detection {
            Detection::default()
        }
        fn plan(&self, env: &Env, gw: &Gateway, _o: &SetupOptions, cur: &Current) -> Result<Plan> {
            let path = env.home.join("tool.json");
            let before = cur.file(&path).map(str::to_string);
            let after = Some(format!("{}\n", gw.openai_base));
            Ok(Plan {
                changes: vec![Change::file(path, before, after, false)],
                ..Plan::default()
            })
        }
        fn remove(&self, _env: &Env, _o: &SetupOptions, _cur: &Current) -> Result<Plan> {
            Ok(Plan::default())
        }
        fn owned(&self, env: &Env, cur: &Current) -> Vec<(String, Option<String>)> {
            vec![(
                "url".to_string(),
                cur.file(&env.home.join("tool.json")).map(str::to_string),
            )]
        }
        fn endpoints(&self, _gw: &Gateway) -> Vec<Api> {
            vec![]
        }
    }

    fn env(dir: &Path) -> Env {
        let mut vars = BTreeMap::new();
        vars.insert("HOME".to_string(), dir.display().to_string());
        vars.insert("PATH".to_string(), "/usr/bin:/bin".to_string());
        Env::from_vars(vars, Os::Linux, dir.to_path_buf(), None)
    }

    fn gw(url: &str) -> Gateway {
        let p = crate::profile::Profile {
            base_url: url.to_string(),
            ..Default::default()
        };
        let key =
            crate::profile::KeySource::Literal(crate::secret::ApiKey::new("sk-engine-test-000000"));
        crate::profile::from_profile("p".into(), &p, key).unwrap()
    }

    #[test]
    fn status_moves_from_not_configured_to_configured_to_drifted() {
        let dir = tempfile::tempdir().unwrap();
        let env = env(dir.path());
        let g = gw("https://gw");
        let cur = gather(&env, &Fake.inputs(&env)).unwrap();
        assert!(cur.binaries.contains_key("sh"));
        assert_eq!(
            status(&env, &Fake, Some(&g), &cur),
            ToolStatus::NotConfigured
        );

        let plan = Fake.plan(&env, &g, &SetupOptions::default(), &cur).unwrap();
        crate::plan::apply(&env, &plan, "fake", "p").unwrap();
        let cur = gather(&env, &Fake.inputs(&env)).unwrap();
        record_owned(&env, &Fake, Some(&facts(&[], &[])), &cur).unwrap();
        assert_eq!(
            status(&env, &Fake, Some(&g), &cur),
            ToolStatus::Configured {
                profile: "p".into()
            }
        );
        // Another profile: out of date, not drifted.
        assert_eq!(
            status(&env, &Fake, Some(&gw("https://other")), &cur),
            ToolStatus::Outdated {
                profile: "p".into()
            }
        );

        std::fs::write(dir.path().join("tool.json"), "https://mine/v1\n").unwrap();
        let cur = gather(&env, &Fake.inputs(&env)).unwrap();
        assert_eq!(
            status(&env, &Fake, Some(&g), &cur),
            ToolStatus::Drifted {
                changed: vec!["url".into()]
            }
        );
        record_owned(&env, &Fake, None, &cur).unwrap();
        assert_eq!(
            status(&env, &Fake, Some(&g), &cur),
            ToolStatus::NotConfigured
        );
    }

    fn facts<'a>(replaced: &'a [Replaced], created: &'a [PathBuf]) -> SetupFacts<'a> {
        SetupFacts {
            profile: "p",
            mode: KeyMode::Literal,
            replaced,
            created,
            blank: &[],
            left: &[],
            key_form: "copy",
        }
    }

    #[test]
    fn priors_are_the_users_values_and_survive_a_second_setup() {
        let dir = tempfile::tempdir().unwrap();
        let env = env(dir.path());
        std::fs::write(dir.path().join("tool.json"), "https://corp/v1\n").unwrap();
        let cur = gather_tool(&env, &Fake).unwrap();
        let plan = Fake
            .plan(&env, &gw("https://gw"), &SetupOptions::default(), &cur)
            .unwrap();
        let after = project(&cur, &plan);
        let r = replaced(&env, &Fake, None, &cur, &after);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].label, "url");
        assert_eq!(r[0].value, "https://corp/v1\n");
        assert!(r[0].changed);

        crate::plan::apply(&env, &plan, "fake", "p").unwrap();
        let now = gather_tool(&env, &Fake).unwrap();
        // Fake has no restorable values: nothing is kept, but the record says what setup created.
        let created = [dir.path().join("new")];
        record_owned(&env, &Fake, Some(&facts(&r, &created)), &now).unwrap();
        let mut with_value = r.clone();
        with_value[0].restorable = Some("\"https://corp/v1\"".into());
        record_owned(&env, &Fake, Some(&facts(&with_value, &[])), &now).unwrap();

        // A second setup: byok's own value is not the user's, and the prior stays.
        let record = owned_record(&env, &Fake).unwrap().unwrap();
        let plan = Fake
            .plan(&env, &gw("https://gw2"), &SetupOptions::default(), &now)
            .unwrap();
        assert!(replaced(&env, &Fake, Some(&record), &now, &project(&now, &plan)).is_empty());
        record_owned(&env, &Fake, Some(&facts(&[], &[])), &now).unwrap();
        let cur = gather_tool(&env, &Fake).unwrap();
        assert_eq!(cur.prior("url"), Some("\"https://corp/v1\""));
        assert!(cur.may_delete(&dir.path().join("new")));
        assert!(!cur.may_delete(&dir.path().join("tool.json")));
    }

    #[test]
    fn gather_records_missing_things() {
        let dir = tempfile::tempdir().unwrap();
        let env = env(dir.path());
        std::fs::create_dir_all(dir.path().join("d/b")).unwrap();
        std::fs::write(dir.path().join("d/a"), "x").unwrap();
        let inputs = Inputs {
            files: vec![dir.path().join("nope")],
            dirs: vec![dir.path().join("d"), dir.path().join("nodir")],
            sqlite: vec![(dir.path().join("no.vscdb"), "k".into())],
            binaries: vec!["definitely-not-a-binary"],
            ..Inputs::default()
        };
        let cur = gather(&env, &inputs).unwrap();
        assert_eq!(cur.files[&dir.path().join("nope")], None);
        assert_eq!(cur.entries(&dir.path().join("d")), ["a", "b"]);
        assert!(!cur.exists(&dir.path().join("nodir")));
        assert_eq!(
            cur.sqlite[&(dir.path().join("no.vscdb"), "k".to_string())],
            None
        );
        assert!(cur.binaries.is_empty());
    }

    #[test]
    fn npm_package_version_is_read_without_running() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("lib/node_modules/@x/tool");
        std::fs::create_dir_all(pkg.join("bin")).unwrap();
        std::fs::write(
            pkg.join("package.json"),
            r#"{"name":"@x/tool","version":"2.1.197"}"#,
        )
        .unwrap();
        std::fs::write(pkg.join("bin/cli.js"), "").unwrap();
        assert_eq!(
            binary_version(&pkg.join("bin/cli.js")).as_deref(),
            Some("2.1.197")
        );
        let native = dir.path().join("versions/1.0.3");
        std::fs::create_dir_all(dir.path().join("versions")).unwrap();
        std::fs::write(&native, "").unwrap();
        assert_eq!(binary_version(&native).as_deref(), Some("1.0.3"));
    }
}
