//! Plans: what a command intends to change, as (path, before, after), shown as a masked
//! unified diff and applied with a backup first and an atomic write.
//!
//! Adapters build plans without touching the disk; [`Step`] is the single place that
//! turns plans into writes ([`apply`] is a step of one plan).

use std::path::PathBuf;

use anyhow::Result;
use similar::TextDiff;

use crate::env::Env;
use crate::error::UserError;
use crate::fs::{self, Mode};
use crate::secret;

/// What a change writes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A whole text file.
    File,
    /// One row of a VS Code-style SQLite `ItemTable` (the value is the text).
    SqliteItem {
        /// The row's key.
        key: String,
    },
}

/// One intended change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The file (for SQLite items, the database file).
    pub path: PathBuf,
    /// File or SQLite row.
    pub target: Target,
    /// Current content; `None` when the file (or row) does not exist.
    pub before: Option<String>,
    /// New content; `None` deletes the file (or row).
    pub after: Option<String>,
    /// The content holds a key: mode 0600, masked everywhere.
    pub secret: bool,
}

impl Change {
    /// A whole-file change.
    pub fn file(
        path: impl Into<PathBuf>,
        before: Option<String>,
        after: Option<String>,
        secret: bool,
    ) -> Self {
        Self {
            path: path.into(),
            target: Target::File,
            before,
            after,
            secret,
        }
    }

    /// True when applying it would change something.
    pub fn is_effective(&self) -> bool {
        self.before != self.after
    }

    /// A short label for messages: the path, plus the row for SQLite items.
    pub fn label(&self, env: &Env) -> String {
        match &self.target {
            Target::File => env.tilde(&self.path),
            Target::SqliteItem { key } => format!("{} [{key}]", env.tilde(&self.path)),
        }
    }
}

/// A tool's (or a command's) intended changes, with what the user must still do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The changes, in apply order.
    pub changes: Vec<Change>,
    /// Things worth knowing (deprecations, which file was chosen).
    pub notes: Vec<String>,
    /// Steps byok cannot do, with values filled in (keys masked unless asked).
    pub manual_steps: Vec<String>,
    /// Nothing here can be written by byok (e.g. a tool version that keeps its settings
    /// in encrypted editor storage): only the manual steps apply.
    pub manual_only: bool,
    /// byok's item in each list the plan writes, by the list's drift label (see
    /// [`ListEntry`]); kept in the drift record so `remove` finds the item without a
    /// profile.
    pub entries: std::collections::BTreeMap<String, ListEntry>,
    /// Owned labels whose value stays the user's: a `default` byok left as they chose
    /// it. Not recorded as byok's, so a later setup leaves it too.
    pub left: Vec<String>,
}

/// Which item of a list is byok's: the value of its identifying field (a model id), and
/// whether byok created the list (then `remove` takes it out once it is empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ListEntry {
    /// The identifying field's value in byok's item.
    pub id: String,
    /// The list did not exist before byok's first setup.
    #[serde(default)]
    pub created_list: bool,
}

impl Plan {
    /// The changes that would write something.
    pub fn effective(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.is_effective())
    }

    /// True when nothing would be written and nothing is left to do by hand for it.
    pub fn is_up_to_date(&self) -> bool {
        !self.manual_only && self.effective().next().is_none()
    }
}

/// A unified diff of one change, with every known key masked.
pub fn diff(env: &Env, change: &Change) -> String {
    // Database rows hold one-line JSON; pretty-printed, the diff shows what changed.
    let readable = |text: &Option<String>| -> String {
        let raw = text.as_deref().unwrap_or("");
        match (
            &change.target,
            serde_json::from_str::<serde_json::Value>(raw),
        ) {
            (Target::SqliteItem { .. }, Ok(v)) => serde_json::to_string_pretty(&v)
                .map(|s| s + "\n")
                .unwrap_or_else(|_| raw.to_string()),
            _ => raw.to_string(),
        }
    };
    let (before, after) = (readable(&change.before), readable(&change.after));
    let (before, after) = (before.as_str(), after.as_str());
    let label = change.label(env);
    let old = if change.before.is_some() {
        format!("a/{label}")
    } else {
        "/dev/null".to_string()
    };
    let new = if change.after.is_some() {
        format!("b/{label}")
    } else {
        "/dev/null".to_string()
    };
    let text = TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&old, &new)
        .to_string();
    // Registered keys in any escaped or derived form, then the values of settings known
    // to hold secrets (an old key byok is replacing, a token the user keeps next to
    // byok's settings). Nothing is masked for merely looking secret: a diff must show
    // the URLs and names it changes.
    let mut text: String = secret::redact(&text)
        .split_inclusive('\n')
        .map(|line| {
            let (body, nl) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
            format!("{}{nl}", secret::mask_assignment(body))
        })
        .collect();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// What applying one change did.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The change's label.
    pub label: String,
    /// The backup id of the original (first change only keeps the original).
    pub backup_id: String,
    /// Whether the file existed before byok first changed it.
    pub existed: bool,
    /// The id of this write, for `byok restore ID` (steps back over just this write).
    pub write_id: Option<String>,
}

/// Drops changes that write the same real file twice (two editor hosts whose settings
/// are one file behind a symlink, or two paths to one file): the same edit is kept
/// once; two different edits of one file are an error before anything is written.
pub fn dedupe(env: &Env, plan: &mut Plan) -> Result<()> {
    let mut seen: Vec<(PathBuf, Target, usize)> = Vec::new();
    let mut keep = Vec::with_capacity(plan.changes.len());
    for (i, c) in plan.changes.iter().enumerate() {
        let real = real_path(&c.path);
        match seen
            .iter()
            .find(|(p, t, _)| *p == real && *t == c.target)
            .map(|(_, _, j)| *j)
        {
            Some(j) if plan.changes[j].after == c.after && plan.changes[j].before == c.before => {
                keep.push(false);
            }
            Some(j) => {
                return Err(UserError::new(format!(
                    "{} and {} are the same file, and byok would write it in two different ways",
                    plan.changes[j].label(env),
                    c.label(env)
                ))
                .hint("nothing was written; set the tool up for one editor with --host")
                .into());
            }
            None => {
                seen.push((real, c.target.clone(), i));
                keep.push(true);
            }
        }
    }
    let mut flags = keep.into_iter();
    plan.changes.retain(|_| flags.next().unwrap_or(true));
    Ok(())
}

/// The file a path finally names: links followed, `.`/`..` resolved where it exists.
fn real_path(path: &std::path::Path) -> PathBuf {
    let target = fs::resolve_link(path).unwrap_or_else(|_| path.to_path_buf());
    match (target.parent(), target.file_name()) {
        (Some(dir), Some(name)) => std::fs::canonicalize(dir)
            .map(|d| d.join(name))
            .unwrap_or(target),
        _ => target,
    }
}

/// Applies the effective changes: checks nothing moved underneath, backs each file up
/// once, then writes atomically (or deletes), recording each write for `restore`: one
/// [`Step`] of one plan. A failure after some writes keeps them (and says which, and how
/// to undo them); the records are saved once either way.
///
/// Plans reach here de-duplicated ([`dedupe`] runs where they are made, before they are shown).
pub fn apply(env: &Env, plan: &Plan, tool: &str, profile: &str) -> Result<Vec<Applied>> {
    let mut step = Step::new(env)?;
    if let Err(e) = step.stage(plan, tool, profile).and_then(|()| step.begin()) {
        step.roll_back();
        return Err(e);
    }
    match step.write_part(0) {
        Ok(done) => {
            step.commit(Vec::new())?;
            Ok(done)
        }
        Err(e) if !step.has_written() => {
            step.roll_back();
            Err(e)
        }
        // Some files were written before the failure: say which, and how to undo them.
        Err(e) => {
            let written: Vec<String> = step
                .applied
                .iter()
                .flatten()
                .map(|a| a.label.clone())
                .collect();
            step.commit(Vec::new())?;
            Err(UserError::new(format!("{e:#}"))
                .hint(format!(
                    "byok had already changed {}; fix the problem and run the command again, or `byok restore --tool {tool}` to put them back",
                    written.join(", ")
                ))
                .into())
        }
    }
}

/// Names a number of writes after which [`Step::write_part`] fails, to test the roll-back.
pub const BYOK_TEST_FAIL_AFTER: &str = "BYOK_TEST_FAIL_AFTER";
/// Names a number of writes after which byok aborts mid-step, to test crash recovery.
pub const BYOK_TEST_CRASH_AFTER: &str = "BYOK_TEST_CRASH_AFTER";

/// Several plans written as one ([`fs::Batch`]): `byok use`, `byok key rotate`, and each
/// [`apply`]. Every change is staged first (backups, the journal), then the parts are
/// written in order; the caller then commits (with its drift record) or rolls back, which
/// puts back every file the step wrote, so nothing is left half done.
#[derive(Debug)]
pub struct Step<'e> {
    env: &'e Env,
    batch: fs::Batch,
    /// Each part's effective changes.
    parts: Vec<Vec<Staged>>,
    /// What each part wrote so far.
    applied: Vec<Vec<Applied>>,
    fail_after: Option<usize>,
    crash_after: Option<usize>,
}

/// A change staged for a [`Step`]: by which tool, its file's backup, and its intended
/// write's index in the batch.
#[derive(Debug)]
struct Staged {
    change: Change,
    tool: String,
    entry: fs::BackupEntry,
    intent: usize,
}

impl<'e> Step<'e> {
    /// A step with nothing staged; the caller holds the [`fs::Lock`].
    pub fn new(env: &'e Env) -> Result<Self> {
        let number = |name| env.var(name).and_then(|v| v.parse().ok());
        Ok(Self {
            env,
            batch: fs::Batch::new(env)?,
            parts: Vec::new(),
            applied: Vec::new(),
            fail_after: number(BYOK_TEST_FAIL_AFTER),
            crash_after: number(BYOK_TEST_CRASH_AFTER),
        })
    }

    /// Adds a plan as the next part (its index is the number of parts before it): backs
    /// its files up and names its writes. On an error, [`Self::roll_back`] drops what was
    /// staged.
    pub fn stage(&mut self, plan: &Plan, tool: &str, profile: &str) -> Result<()> {
        let mut part = Vec::new();
        for change in plan.effective() {
            // Not checked against the disk yet: an earlier part may write the file first
            // (two tools sharing it); each write checks just before it is made.
            let entry = self.batch.backup_once(&change.path, tool, profile)?;
            // SQLite databases keep recent writes in their -wal file; back those up too.
            if let Target::SqliteItem { .. } = change.target {
                for ext in ["-wal", "-shm"] {
                    let side = PathBuf::from(format!("{}{ext}", change.path.display()));
                    if side.exists() {
                        self.batch.backup_once(&side, tool, profile)?;
                    }
                }
            }
            // A text file holds `before` (checked again just before the write); a
            // database is read whole, and what it holds after is known only once written.
            let (before, after) = match change.target {
                Target::File => (
                    change.before.clone().map(String::into_bytes),
                    Some(change.after.as_deref().map(str::as_bytes)),
                ),
                Target::SqliteItem { .. } => (fs::read_bytes_optional(&change.path)?, None),
            };
            let mode = fs::file_mode(&change.path);
            let intent = self
                .batch
                .intend(&change.path, before.as_deref(), mode, after)?;
            part.push(Staged {
                change: change.clone(),
                tool: tool.to_string(),
                entry,
                intent,
            });
        }
        self.parts.push(part);
        self.applied.push(Vec::new());
        Ok(())
    }

    /// Makes the staged step durable in the journal, before the first write.
    pub fn begin(&mut self) -> Result<()> {
        self.batch.begin()
    }

    /// Writes part `i`'s changes; returns what was written.
    pub fn write_part(&mut self, i: usize) -> Result<Vec<Applied>> {
        for k in 0..self.parts[i].len() {
            let done: usize = self.applied.iter().map(Vec::len).sum();
            let s = &self.parts[i][k];
            if self.fail_after.is_some_and(|n| done >= n) {
                return Err(UserError::new(format!(
                    "{}: injected failure ({BYOK_TEST_FAIL_AFTER})",
                    s.change.label(self.env)
                ))
                .into());
            }
            if self.crash_after.is_some_and(|n| done >= n) {
                std::process::abort();
            }
            let a = write_one(self.env, &mut self.batch, s)?;
            self.applied[i].push(a);
        }
        Ok(self.applied[i].clone())
    }

    /// Records every write, with `installs` (`(path, text)`: the drift record), in one
    /// durable commit.
    pub fn commit(self, installs: Vec<(PathBuf, String)>) -> Result<()> {
        self.batch.commit(installs)
    }

    /// Puts back every file the step wrote, newest write first; returns the files that
    /// could not be put back (with why), which the caller must name.
    pub fn roll_back(self) -> Vec<String> {
        self.batch.roll_back()
    }

    /// Whether the step wrote anything yet.
    pub fn has_written(&self) -> bool {
        self.applied.iter().any(|a| !a.is_empty())
    }
}

fn write_one(env: &Env, batch: &mut fs::Batch, s: &Staged) -> Result<Applied> {
    let change = &s.change;
    ensure_unchanged(env, change)?;
    let mode = if change.secret {
        Mode::Secret
    } else {
        Mode::Keep
    };
    let dir = match (&change.target, &change.after) {
        (Target::File, Some(text)) => fs::replace(&change.path, text.as_bytes(), mode)?,
        (Target::File, None) => {
            fs::remove_file(&change.path)?;
            fs::dir_of(&change.path)?
        }
        (Target::SqliteItem { key }, value) => {
            // An earlier row of the step changed the database since it was staged.
            let before = fs::read_bytes_optional(&change.path)?;
            batch.rebase(s.intent, before.as_deref())?;
            crate::config_edit::sqlite::write_item(&change.path, key, value.as_deref())?;
            fs::dir_of(&change.path)?
        }
    };
    let written = match change.target {
        Target::File => change.after.clone().map(String::into_bytes),
        Target::SqliteItem { .. } => fs::read_bytes_optional(&change.path)?,
    };
    let write_id = batch.written(s.intent, &s.tool, dir, written.as_deref())?;
    Ok(Applied {
        label: change.label(env),
        backup_id: s.entry.id.clone(),
        existed: s.entry.existed,
        write_id,
    })
}

fn ensure_unchanged(env: &Env, change: &Change) -> Result<()> {
    let now = match &change.target {
        Target::File => fs::read_optional(&change.path)?,
        Target::SqliteItem { key } => crate::config_edit::sqlite::read_item(&change.path, key)?,
    };
    if now != change.before {
        return Err(UserError::new(format!(
            "{} changed while byok was working",
            change.label(env)
        ))
        .hint("run the command again")
        .into());
    }
    Ok(())
}
