//! `byok restore`: put files back exactly as they were before byok first changed them
//! (bytes and mode); files byok created are removed.
//!
//! Two things can make that lose data, so both are refused without `--force`: a SQLite
//! database whose `-wal` holds changes the database file does not have yet (the editor
//! is running or crashed), and a file shared with another configured tool (Roo Code and
//! Kilo Code both write the same `settings.json`; one backup holds the file from before
//! either).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Result;
use dialoguer::Confirm;

use super::Ctx;
use super::engine;
use crate::cli::RestoreArgs;
use crate::config_edit::sqlite;
use crate::env::Env;
use crate::error::{ExitStatus, UserError};
use crate::fs::{self, BackupEntry, BackupStore, Manifest};
use crate::tools::{TOOLS, Tool, ToolId};

/// The files beside a SQLite database that hold its recent writes.
const SIDE_FILES: [&str; 2] = ["-wal", "-shm"];

/// Lists or restores backups.
pub fn run(args: &RestoreArgs, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let env = ctx.env;
    let store = BackupStore::new(env);
    let manifest = store.load()?;
    if args.list {
        if manifest.entries.is_empty() {
            writeln!(ctx.out, "no backups")?;
        }
        for e in &manifest.entries {
            let what = if e.existed {
                "original"
            } else {
                "did not exist"
            };
            writeln!(
                ctx.out,
                "{}  {:<12} {}  ({what}, {})",
                e.id,
                e.tool,
                env.tilde(&e.path),
                e.time
            )?;
        }
        return Ok(ExitStatus::Success);
    }
    let chosen: Vec<BackupEntry> = match (&args.backup, &args.tool) {
        (Some(id), _) => {
            let e = manifest
                .entries
                .iter()
                .find(|e| &e.id == id)
                .cloned()
                .ok_or_else(|| {
                    UserError::new(format!("no backup with id `{id}`"))
                        .hint("list them with `byok restore --list`")
                })?;
            vec![e]
        }
        (None, Some(tool)) => {
            check_tool_name(tool, &manifest)?;
            manifest
                .entries
                .iter()
                .filter(|e| &e.tool == tool)
                .cloned()
                .collect()
        }
        (None, None) => manifest.entries.clone(),
    };
    if chosen.is_empty() {
        writeln!(ctx.out, "nothing to restore")?;
        return Ok(ExitStatus::Success);
    }
    let dbs = databases(&store, &manifest, &chosen)?;
    let chosen = with_side_files(&manifest, chosen, &dbs);
    // Restoring the database alone would lose what sits in its -wal, and SQLite would
    // replay that stale -wal onto the restored file.
    let unsaved: Vec<&PathBuf> = dbs.iter().filter(|db| has_unsaved_wal(db)).collect();
    if let Some(db) = unsaved.first()
        && !args.force
    {
        let wal = sqlite::side_file(db, "-wal");
        return Err(UserError::new(format!(
            "{} has unsaved changes in {} (is Cursor running?)",
            env.tilde(db),
            env.tilde(&wal)
        ))
        .hint("quit Cursor, then run the command again; --force discards them")
        .into());
    }
    if !args.force {
        check_not_shared(env, &chosen)?;
    }
    // A file changed since byok last wrote it holds the user's newer work.
    let edited: Vec<&BackupEntry> = chosen.iter().filter(|e| changed_since_byok(e)).collect();
    if !edited.is_empty() && !args.force {
        let list: Vec<String> = edited.iter().map(|e| env.tilde(&e.path)).collect();
        return Err(UserError::new(format!(
            "changed since byok last wrote them: {}",
            list.join(", ")
        ))
        .hint("restoring would lose those edits; rerun with --force to restore anyway")
        .into());
    }
    if !args.yes {
        if !ctx.interactive {
            return Err(UserError::new(
                "`byok restore` changes files and stdin is not a terminal, so it can't ask first",
            )
            .hint("pass --yes to restore, or --list to see the backups")
            .into());
        }
        for e in &chosen {
            writeln!(ctx.out, "  will restore {}", env.tilde(&e.path))?;
        }
        if !Confirm::new()
            .with_prompt("Restore these files?")
            .default(true)
            .interact()?
        {
            return Ok(ExitStatus::Failure);
        }
    }
    let _lock = fs::Lock::acquire(env)?;
    for e in &chosen {
        store.restore(e)?;
        let what = if e.existed {
            "restored"
        } else {
            "removed (byok created it)"
        };
        writeln!(ctx.out, "{what} {}", env.tilde(&e.path))?;
        if unsaved.contains(&&e.path) {
            // Side files with a backup come back with it (they follow in `chosen`);
            // the others are stale now and go.
            for suffix in SIDE_FILES {
                let side = sqlite::side_file(&e.path, suffix);
                if !chosen.iter().any(|c| c.path == side) && side.exists() {
                    fs::remove_file(&side)?;
                    writeln!(ctx.out, "removed {}", env.tilde(&side))?;
                }
            }
        }
    }
    // byok no longer owns anything in restored files: forget what it recorded there, for
    // every tool that reads them (one settings.json can hold two tools' settings).
    for tool in TOOLS {
        let restored_here = chosen
            .iter()
            .any(|e| e.tool == tool.id().as_str() || reads(env, *tool, &e.path));
        if restored_here {
            let cur = engine::gather_tool(env, *tool)?;
            engine::record_owned(env, *tool, None, &cur)?;
        }
    }
    Ok(ExitStatus::Success)
}

/// An unknown `--tool` is a typo, not "nothing to restore".
fn check_tool_name(name: &str, manifest: &Manifest) -> Result<()> {
    let mut valid: Vec<&str> = <ToolId as clap::ValueEnum>::value_variants()
        .iter()
        .map(|id| id.as_str())
        .collect();
    valid.push("shell");
    if valid.contains(&name) || manifest.entries.iter().any(|e| e.tool == name) {
        return Ok(());
    }
    Err(UserError::new(format!("unknown tool `{name}`"))
        .hint(format!("valid names: {}", valid.join(", ")))
        .into())
}

/// The chosen entries that are SQLite databases: by their header (backup copy or
/// current file), or because their `-wal`/`-shm` were backed up with them.
fn databases(
    store: &BackupStore,
    manifest: &Manifest,
    chosen: &[BackupEntry],
) -> Result<BTreeSet<PathBuf>> {
    const HEADER: &[u8; 16] = b"SQLite format 3\0";
    let mut out = BTreeSet::new();
    for e in chosen {
        let has_sides = SIDE_FILES.iter().any(|s| {
            let side = sqlite::side_file(&e.path, s);
            manifest.entries.iter().any(|m| m.path == side)
        });
        let is_db = |bytes: Option<Vec<u8>>| bytes.is_some_and(|b| b.starts_with(HEADER));
        if has_sides
            || is_db(store.original(e)?)
            || is_db(fs::read_bytes_optional(&e.path).ok().flatten())
        {
            out.insert(e.path.clone());
        }
    }
    Ok(out)
}

/// `chosen` plus the backed-up `-wal`/`-shm` of each database in it, each right after
/// its database: the three files are one snapshot.
fn with_side_files(
    manifest: &Manifest,
    chosen: Vec<BackupEntry>,
    dbs: &BTreeSet<PathBuf>,
) -> Vec<BackupEntry> {
    let sides: BTreeSet<PathBuf> = dbs
        .iter()
        .flat_map(|db| SIDE_FILES.map(|s| sqlite::side_file(db, s)))
        .collect();
    let mut out = Vec::new();
    for e in chosen {
        if sides.contains(&e.path) {
            continue;
        }
        let db = dbs.contains(&e.path).then(|| e.path.clone());
        out.push(e);
        if let Some(db) = db {
            for s in SIDE_FILES {
                let side = sqlite::side_file(&db, s);
                out.extend(manifest.entries.iter().find(|m| m.path == side).cloned());
            }
        }
    }
    out
}

fn has_unsaved_wal(db: &Path) -> bool {
    std::fs::metadata(sqlite::side_file(db, "-wal")).is_ok_and(|m| m.len() > 0)
}

/// Whether `path` is one of the files `tool` reads its settings from.
fn reads(env: &Env, tool: &dyn Tool, path: &Path) -> bool {
    // Both passes: VS Code profile files are only known after the first.
    engine::gather_tool(env, tool).is_ok_and(|cur| {
        cur.files.contains_key(path) || cur.sqlite.keys().any(|(db, _)| db == path)
    })
}

/// Refuses to restore a file that also holds another configured tool's settings: the
/// backup predates both, so restoring it takes the other tool's settings out too.
fn check_not_shared(env: &Env, chosen: &[BackupEntry]) -> Result<()> {
    let restored_tools: BTreeSet<&str> = chosen.iter().map(|e| e.tool.as_str()).collect();
    for e in chosen {
        let mut others: Vec<&dyn Tool> = Vec::new();
        for tool in TOOLS {
            let id = tool.id().as_str();
            // A tool restored in the same run gives its settings up anyway.
            if id == e.tool || restored_tools.contains(id) || !reads(env, *tool, &e.path) {
                continue;
            }
            let Some(record) = engine::owned_record(env, *tool)? else {
                continue;
            };
            if has_settings_in(&record, &env.tilde(&e.path)) {
                others.push(*tool);
            }
        }
        if others.is_empty() {
            continue;
        }
        let name = TOOLS
            .iter()
            .find(|t| t.id().as_str() == e.tool)
            .map_or(e.tool.as_str(), |t| t.name());
        let names: Vec<&str> = others.iter().map(|t| t.name()).collect();
        let setups: Vec<String> = others
            .iter()
            .map(|t| format!("`byok setup {}`", t.id().as_str()))
            .collect();
        return Err(UserError::new(format!(
            "{} also holds byok's settings for {}; restoring it would take those out too",
            env.tilde(&e.path),
            names.join(" and ")
        ))
        .hint(format!(
            "`byok remove {}` takes out only {name}'s settings; --force restores the whole file (then run {} again)",
            e.tool,
            setups.join(" and ")
        ))
        .into());
    }
    Ok(())
}

/// Whether a drift record has a value in the file labelled `file` (labels start with
/// the file's `~` path). A record that names no label there is taken to have one.
fn has_settings_in(record: &engine::OwnedRecord, file: &str) -> bool {
    let here: Vec<&String> = record
        .values
        .iter()
        .filter(|(label, _)| {
            label
                .strip_prefix(file)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
        })
        .map(|(_, hash)| hash)
        .collect();
    here.is_empty() || here.iter().any(|hash| !hash.is_empty())
}

fn changed_since_byok(e: &BackupEntry) -> bool {
    let Some(written) = &e.written_sha256 else {
        return false;
    };
    let now = fs::read_bytes_optional(&e.path).ok().flatten();
    let now_hash = now.as_deref().map(fs::sha256_hex).unwrap_or_default();
    &now_hash != written
}
