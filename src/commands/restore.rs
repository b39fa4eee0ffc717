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

use super::Ctx;
use crate::cli::RestoreArgs;
use crate::config_edit::sqlite;
use crate::engine;
use crate::env::Env;
use crate::error::{ExitStatus, UserError};
use crate::fs::{self, BackupEntry, BackupStore, Manifest};
use crate::plan::{self, Change};
use crate::tools::{self, Tool};

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
            for w in &e.writes {
                writeln!(ctx.out, "  {}  {:<12} write at {}", w.id, w.tool, w.time)?;
            }
        }
        return Ok(ExitStatus::Success);
    }
    // A write id steps one file back to just before that write.
    if let Some(id) = &args.backup
        && let Some(entry) = manifest
            .entries
            .iter()
            .find(|e| e.writes.iter().any(|w| &w.id == id))
    {
        return step_back(&store, entry, id, args, ctx);
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
            check_tool_name(env, tool, &manifest)?;
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
    // Edits byok did not make, anywhere between the original and now, would be lost.
    if !args.force {
        refuse_foreign_edits(&store, &chosen, None, ctx)?;
    }
    let will: Vec<String> = chosen
        .iter()
        .map(|e| format!("  will restore {}", env.tilde(&e.path)))
        .collect();
    if !confirm(args, ctx, &will, "Restore these files?")? {
        return Ok(ExitStatus::Failure);
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
    forget_owned(env, &chosen)?;
    Ok(ExitStatus::Success)
}

/// An unknown `--tool` is a typo, not "nothing to restore".
fn check_tool_name(env: &Env, name: &str, manifest: &Manifest) -> Result<()> {
    let mut valid: Vec<&str> = tools::registry(env).ids();
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
        for tool in tools::registry(env).tools.iter() {
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
        let name = tools::registry(env)
            .tools
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

/// Refuses (naming each file and showing what would be lost, masked) when any chosen
/// file holds edits byok did not make since `from_write` (or since the original).
fn refuse_foreign_edits(
    store: &BackupStore,
    chosen: &[BackupEntry],
    from_write: Option<&str>,
    ctx: &mut Ctx<'_>,
) -> Result<()> {
    let env = ctx.env;
    let mut files = Vec::new();
    for e in chosen {
        // Side files of a database change with every write of its owner.
        if SIDE_FILES
            .iter()
            .any(|s| e.path.to_string_lossy().ends_with(s))
        {
            continue;
        }
        let edits = store.foreign_edits(e, from_write)?;
        if edits.is_empty() {
            continue;
        }
        files.push(env.tilde(&e.path));
        for edit in &edits {
            let text = |b: &Option<Vec<u8>>| {
                b.as_ref()
                    .map(|b| String::from_utf8(b.clone()).map_err(|_| ()))
                    .transpose()
            };
            match (edit.shown, text(&edit.from), text(&edit.to)) {
                (true, Ok(from), Ok(to)) => {
                    let change = Change::file(&e.path, from, to, true);
                    writeln!(
                        ctx.err,
                        "edits to {} that byok did not make (they would be lost):",
                        env.tilde(&e.path)
                    )?;
                    ctx.err.write_all(plan::diff(env, &change).as_bytes())?;
                }
                _ => writeln!(
                    ctx.err,
                    "{} was changed by another program since byok wrote it (no copy to compare)",
                    env.tilde(&e.path)
                )?,
            }
        }
    }
    if files.is_empty() {
        return Ok(());
    }
    Err(UserError::new(format!(
        "changed since byok wrote them, by you or another program: {}",
        files.join(", ")
    ))
    .hint("restoring would lose those edits (shown above); keep them with `byok remove TOOL`, or rerun with --force to restore anyway")
    .into())
}

/// Asks before restoring (after listing `will`), unless `--yes`; never without a terminal.
fn confirm(args: &RestoreArgs, ctx: &mut Ctx<'_>, will: &[String], prompt: &str) -> Result<bool> {
    if args.yes {
        return Ok(true);
    }
    if !ctx.interactive {
        return Err(UserError::new(
            "`byok restore` changes files and stdin is not a terminal, so it can't ask first",
        )
        .hint("pass --yes to restore, or --list to see the backups")
        .into());
    }
    for line in will {
        writeln!(ctx.out, "{line}")?;
    }
    super::prompt::confirm(ctx.env, prompt, true)
}

/// `byok restore WRITE-ID`: one file back to just before that write of byok's.
fn step_back(
    store: &BackupStore,
    entry: &BackupEntry,
    id: &str,
    args: &RestoreArgs,
    ctx: &mut Ctx<'_>,
) -> Result<ExitStatus> {
    let env = ctx.env;
    if !args.force {
        refuse_foreign_edits(store, std::slice::from_ref(entry), Some(id), ctx)?;
    }
    let prompt = format!(
        "Put {} back as it was before write {id}?",
        env.tilde(&entry.path)
    );
    if !confirm(args, ctx, &[], &prompt)? {
        return Ok(ExitStatus::Failure);
    }
    let _lock = fs::Lock::acquire(env)?;
    store.step_back(entry, id)?;
    writeln!(
        ctx.out,
        "restored {} to before write {id}",
        env.tilde(&entry.path)
    )?;
    forget_owned(env, std::slice::from_ref(entry))?;
    Ok(ExitStatus::Success)
}

/// byok no longer knows what it owns in restored files: forget its records there, for
/// every tool that reads them (one settings.json can hold two tools' settings).
fn forget_owned(env: &Env, restored: &[BackupEntry]) -> Result<()> {
    for tool in tools::registry(env).tools.iter() {
        let restored_here = restored
            .iter()
            .any(|e| e.tool == tool.id().as_str() || reads(env, *tool, &e.path));
        if restored_here {
            let cur = engine::gather_tool(env, *tool)?;
            engine::record_owned(env, *tool, None, &cur)?;
        }
    }
    Ok(())
}
