//! `byok env`: the exports for the active profile, and installing them in a start-up file.
//!
//! This runs in every shell start-up, so the default path reads one small file and
//! prints: no network, no spawning, no writes.

use anyhow::Result;

use super::Ctx;
use crate::cli::EnvArgs;
use crate::error::ExitStatus;
use crate::fs::{self, BackupStore};
use crate::plan::{self, Change, Plan};
use crate::profile;
use crate::shell::{self, Shell};

/// Prints, installs or uninstalls the exports.
pub fn run(args: &EnvArgs, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let sh = match args.shell {
        Some(s) => s,
        None => Shell::detect(ctx.env)?,
    };
    if args.unset {
        let extra = tool_exports(ctx)?;
        let names: Vec<&str> = extra.iter().map(|(n, _)| n.as_str()).collect();
        ctx.out.write_all(sh.render_unset(&names)?.as_bytes())?;
        return Ok(ExitStatus::Success);
    }
    if args.install {
        return install(sh, ctx);
    }
    if args.uninstall {
        return uninstall(sh, ctx);
    }
    let cfg = profile::load(ctx.env)?;
    let gw = profile::resolve(ctx.env, &cfg, ctx.profile.as_deref())?;
    if gw.base.is_insecure_remote() {
        ctx.warn(&format!(
            "{} uses plain http to another host: the key travels unencrypted",
            gw.base
        ))?;
    }
    let exports = shell::exports(&gw, args.with_key);
    let mut comment = format!("Gateway settings for byok profile `{}`.", gw.name);
    if let Some(why) = left_out(&gw, &exports.left_out) {
        comment.push('\n');
        comment.push_str(&why);
    }
    let env = ctx.env;
    let mut vars = exports.vars;
    vars.extend(tool_exports(ctx)?);
    let text = sh.render(&vars, &comment, &|var| env.var(var).map(str::to_string))?;
    ctx.out.write_all(text.as_bytes())?;
    Ok(ExitStatus::Success)
}

/// The comment saying which key variables `byok env` left out and why: one line per
/// sentence, no quote or `$` a shell could read (the profile name is checked).
fn left_out(gw: &profile::Gateway, names: &[String]) -> Option<String> {
    let profile::KeySource::Fetched(f) = &gw.key else {
        return None;
    };
    if names.is_empty() {
        return None;
    }
    let store = match f.how {
        crate::keystore::Fetch::Keychain { .. } => "the OS credential store",
        crate::keystore::Fetch::Command(_) => "a key command",
    };
    Some(format!(
        "{} left out: profile `{}` keeps its key in {store},\nwhich byok env does not read at shell start-up (tools set up by byok run\n`byok print-key`); `byok env --with-key` exports it.",
        names.join(", "),
        gw.name
    ))
}

/// The exports of the tools set up with byok (Copilot CLI's `COPILOT_*`), from byok's
/// state file: one small file, read only when it exists. A file byok can't read is
/// reported and left out, so a shell start-up still gets the gateway settings.
fn tool_exports(ctx: &mut Ctx<'_>) -> Result<Vec<(String, shell::Value)>> {
    let path = ctx.env.state_dir.join(crate::templates::EXPORTS_NAME);
    let Some(text) = fs::read_optional(&path)? else {
        return Ok(Vec::new());
    };
    match crate::templates::env::tool_exports(&text, ctx.env.os) {
        Ok(v) => Ok(v),
        Err(why) => {
            ctx.warn(&format!(
                "left out the tools' exports: {} {why}; `byok setup <tool>` writes it again",
                ctx.env.tilde(&path)
            ))?;
            Ok(Vec::new())
        }
    }
}

fn install(sh: Shell, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let planned = plan_install(sh, ctx)?;
    apply_install(sh, &planned, ctx)
}

/// What `byok env --install` would change; nothing is written.
pub(super) struct Install {
    /// The start-up file, home shown as `~`.
    pub label: String,
    /// The profile the block loads.
    pub profile: String,
    /// The change, `None` when the file already loads byok.
    plan: Option<Plan>,
}

impl Install {
    /// The start-up file already loads byok as it would be written.
    pub fn is_done(&self) -> bool {
        self.plan.is_none()
    }
}

/// Plans the install of byok's block into `sh`'s start-up file.
pub(super) fn plan_install(sh: Shell, ctx: &mut Ctx<'_>) -> Result<Install> {
    let path = sh.startup_file(ctx.env)?;
    // Fail now rather than at every shell start-up.
    let cfg = profile::load(ctx.env)?;
    let gw = profile::resolve(ctx.env, &cfg, ctx.profile.as_deref())?;
    let before = fs::read_optional(&path)?;
    let block = sh.install_block(&ctx.env.exe_string(), ctx.profile.as_deref());
    let after = shell::upsert_block(before.as_deref().unwrap_or(""), &block);
    let plan = (before.as_deref() != Some(after.as_str())).then(|| Plan {
        changes: vec![Change::file(&path, before, Some(after), false)],
        ..Plan::default()
    });
    Ok(Install {
        label: ctx.env.tilde(&path),
        profile: gw.name,
        plan,
    })
}

/// Writes a planned install (backed up, as every write) and says how to load it.
pub(super) fn apply_install(sh: Shell, planned: &Install, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let label = &planned.label;
    let Some(plan) = &planned.plan else {
        writeln!(
            ctx.out,
            "{label} already loads byok (profile `{}`); nothing to do",
            planned.profile
        )?;
        return Ok(ExitStatus::Success);
    };
    let _lock = fs::Lock::acquire(ctx.env)?;
    let applied = plan::apply(ctx.env, plan, "shell", &planned.profile)?;
    let backup = applied.first().map(|a| a.backup_id.as_str()).unwrap_or("-");
    writeln!(
        ctx.out,
        "Installed byok's block in {label} (backup {backup})."
    )?;
    writeln!(
        ctx.out,
        "Open a new shell, or load it now with: {}",
        reload_hint(sh, label)
    )?;
    Ok(ExitStatus::Success)
}

fn uninstall(sh: Shell, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let path = sh.startup_file(ctx.env)?;
    let label = ctx.env.tilde(&path);
    let Some(before) = fs::read_optional(&path)? else {
        writeln!(ctx.out, "{label} does not exist; nothing to remove")?;
        return Ok(ExitStatus::Success);
    };
    if shell::find_blocks(&before).is_empty() {
        writeln!(ctx.out, "{label} has no byok block; nothing to remove")?;
        return Ok(ExitStatus::Success);
    }
    let store = BackupStore::new(ctx.env);
    let entry = store.find(&path)?;
    let original = match &entry {
        Some(e) => store
            .original(e)?
            .map(|b| String::from_utf8_lossy(&b).into_owned()),
        None => None,
    };
    let after = shell::remove_blocks(&before, original.as_deref());
    // A start-up file byok created and that now holds nothing else goes away.
    let created_by_byok = entry.as_ref().is_some_and(|e| !e.existed);
    let after = if created_by_byok && after.trim().is_empty() {
        None
    } else {
        Some(after)
    };
    let plan = Plan {
        changes: vec![Change::file(&path, Some(before), after.clone(), false)],
        ..Plan::default()
    };
    let _lock = fs::Lock::acquire(ctx.env)?;
    plan::apply(ctx.env, &plan, "shell", "-")?;
    if let Some(e) = &entry {
        let back_to_original = match (&after, &original) {
            (None, None) => true,
            (Some(a), Some(o)) => a == o,
            _ => false,
        };
        if back_to_original {
            store.forget(e)?;
        }
    }
    writeln!(ctx.out, "Removed byok's block from {label}.")?;
    Ok(ExitStatus::Success)
}

fn reload_hint(sh: Shell, label: &str) -> String {
    match sh {
        Shell::Powershell => format!(". {label}"),
        Shell::Nu => "exec nu".to_string(),
        _ => format!("source {label}"),
    }
}
