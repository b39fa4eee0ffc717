//! `byok restore`: put files back exactly as they were before byok first changed them
//! (bytes and mode); files byok created are removed.

use anyhow::Result;
use dialoguer::Confirm;

use super::Ctx;
use super::engine;
use crate::cli::RestoreArgs;
use crate::error::{ExitStatus, UserError};
use crate::fs::{self, BackupEntry, BackupStore};
use crate::tools::TOOLS;

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
        (None, Some(tool)) => manifest
            .entries
            .iter()
            .filter(|e| &e.tool == tool)
            .cloned()
            .collect(),
        (None, None) => manifest.entries.clone(),
    };
    if chosen.is_empty() {
        writeln!(ctx.out, "nothing to restore")?;
        return Ok(ExitStatus::Success);
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
    }
    // byok no longer owns anything in restored tools' files.
    for tool in TOOLS {
        if chosen.iter().any(|e| e.tool == tool.id().as_str()) {
            let cur = engine::gather(env, &tool.inputs(env))?;
            engine::record_owned(env, *tool, None, &cur)?;
        }
    }
    Ok(ExitStatus::Success)
}

fn changed_since_byok(e: &BackupEntry) -> bool {
    let Some(written) = &e.written_sha256 else {
        return false;
    };
    let now = fs::read_bytes_optional(&e.path).ok().flatten();
    let now_hash = now.as_deref().map(fs::sha256_hex).unwrap_or_default();
    &now_hash != written
}
