//! `byok setup` and `byok remove`: plan per tool, show, confirm, apply, report.
//!
//! Every write goes through [`plan::apply`]: the original is backed up once, the new
//! content replaces it atomically. Values changed by hand since byok wrote them are not
//! overwritten without `--force` (or a yes on a terminal).

use anyhow::Result;
use dialoguer::Confirm;

use super::Ctx;
use super::engine::{self, ToolStatus};
use crate::cli::{KeyMode, RemoveArgs, SetupArgs};
use crate::error::{ExitStatus, UserError};
use crate::fs;
use crate::plan::{self, Plan};
use crate::profile::{self, Gateway};
use crate::tools::{self, SetupOptions, TOOLS, Tool, ToolId};

/// What to do with a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    DryRun,
    Ask { diff: bool },
    Apply,
}

fn mode(ctx: &Ctx<'_>, dry_run: bool, yes: bool, diff: bool, verb: &str) -> Result<Mode> {
    if dry_run {
        return Ok(Mode::DryRun);
    }
    if yes {
        return Ok(Mode::Apply);
    }
    if ctx.interactive {
        return Ok(Mode::Ask { diff });
    }
    Err(UserError::new(format!(
        "`byok {verb}` changes files and stdin is not a terminal, so it can't ask first"
    ))
    .hint(format!(
        "pass --yes to apply, or --dry-run to see the diff (`byok {verb} … --dry-run`)"
    ))
    .into())
}

/// Configures the chosen tools for the active profile.
pub fn run(args: &SetupArgs, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let mode = mode(ctx, args.dry_run, args.yes, args.diff, "setup")?;
    let cfg = profile::load(ctx.env)?;
    let gw = profile::resolve(ctx.env, &cfg, ctx.profile.as_deref())?;
    if args.key_mode == KeyMode::Literal {
        gw.require_key()?;
    }
    if gw.base.is_insecure_remote() {
        ctx.warn(&format!(
            "{} uses plain http to another host: the key will travel unencrypted",
            gw.base
        ))?;
    }
    let chosen = choose(args.all, &args.tools, ctx)?;
    if chosen.is_empty() {
        ctx.out.write_all(
            b"No supported tool was detected; nothing to set up. See `byok detect`.\n",
        )?;
        return Ok(ExitStatus::Success);
    }
    if let Some(h) = &args.host
        && tools::vscode::Host::by_id(h).is_none()
    {
        let ids: Vec<&str> = tools::vscode::HOSTS.iter().map(|h| h.id).collect();
        return Err(UserError::new(format!("unknown host `{h}`"))
            .hint(format!("use one of: {}", ids.join(", ")))
            .into());
    }
    let opts = engine::options(ctx.env, args.key_mode, args.host.clone(), args.show_key);
    let _lock = if mode == Mode::DryRun {
        None
    } else {
        Some(fs::Lock::acquire(ctx.env)?)
    };
    let mut status = ExitStatus::Success;
    for tool in chosen {
        match setup_one(tool, &gw, &opts, mode, args.force, ctx) {
            Ok(s) => status = worst(status, s),
            Err(e) if crate::error::is_broken_pipe(&e) => return Err(e),
            Err(e) => {
                let (text, s) = crate::error::render(&e);
                ctx.err.write_all(text.as_bytes())?;
                status = worst(status, s);
            }
        }
    }
    Ok(status)
}

fn worst(a: ExitStatus, b: ExitStatus) -> ExitStatus {
    let rank = |s| match s {
        ExitStatus::Success => 0,
        ExitStatus::Failure => 1,
        ExitStatus::Error => 2,
    };
    if rank(b) > rank(a) { b } else { a }
}

fn choose(all: bool, ids: &[ToolId], ctx: &mut Ctx<'_>) -> Result<Vec<&'static dyn Tool>> {
    if !all {
        let mut out: Vec<&'static dyn Tool> = Vec::new();
        for id in ids {
            let tool = tools::get(*id).ok_or_else(|| {
                UserError::new(format!("{} is not supported by this build", id.as_str()))
            })?;
            if !out.iter().any(|t| t.id() == *id) {
                out.push(tool);
            }
        }
        return Ok(out);
    }
    let mut out = Vec::new();
    for tool in TOOLS {
        let (_, det) = engine::inspect(ctx.env, *tool)?;
        if det.installed {
            out.push(*tool);
        }
    }
    Ok(out)
}

fn setup_one(
    tool: &dyn Tool,
    gw: &Gateway,
    opts: &SetupOptions,
    mode: Mode,
    force: bool,
    ctx: &mut Ctx<'_>,
) -> Result<ExitStatus> {
    let env = ctx.env;
    let cur = engine::gather_tool(env, tool)?;
    let plan = tool.plan(env, gw, opts, &cur)?;
    writeln!(ctx.out, "{}", tool.name())?;
    if plan.manual_only {
        writeln!(ctx.out, "  cannot be set up automatically")?;
        print_notes(&plan, ctx)?;
        return Ok(ExitStatus::Success);
    }
    if plan.is_up_to_date() {
        writeln!(ctx.out, "  up to date")?;
        print_notes(&plan, ctx)?;
        return Ok(ExitStatus::Success);
    }
    // Values the user changed by hand since byok wrote them are not silently replaced.
    if let ToolStatus::Drifted { changed } = engine::status(env, tool, None, &cur)
        && !force
        && mode != Mode::DryRun
    {
        let ask = matches!(mode, Mode::Ask { .. });
        writeln!(
            ctx.out,
            "  changed by hand since byok wrote them: {}",
            changed.join(", ")
        )?;
        let overwrite = ask
            && Confirm::new()
                .with_prompt("  Overwrite these changes?")
                .default(false)
                .interact()?;
        if !overwrite {
            let err = UserError::new(format!(
                "{}: not changed, because settings byok wrote were edited by hand",
                tool.name()
            ))
            .hint(format!(
                "review with `byok setup {} --dry-run`, then rerun with --force to overwrite",
                tool.id().as_str()
            ));
            return Err(if ask { err.failure() } else { err }.into());
        }
    }
    match mode {
        Mode::DryRun => {
            for change in plan.effective() {
                ctx.out.write_all(plan::diff(env, change).as_bytes())?;
            }
            print_notes(&plan, ctx)?;
            Ok(ExitStatus::Success)
        }
        Mode::Ask { diff } => {
            for change in plan.effective() {
                if diff {
                    ctx.out.write_all(plan::diff(env, change).as_bytes())?;
                } else {
                    writeln!(ctx.out, "  will {} {}", verb(change), change.label(env))?;
                }
            }
            if !Confirm::new()
                .with_prompt(format!("Apply these changes to {}?", tool.name()))
                .default(true)
                .interact()?
            {
                writeln!(ctx.out, "  skipped")?;
                return Ok(ExitStatus::Failure);
            }
            apply(tool, gw, opts, &plan, ctx)
        }
        Mode::Apply => apply(tool, gw, opts, &plan, ctx),
    }
}

fn verb(change: &plan::Change) -> &'static str {
    match (&change.before, &change.after) {
        (None, Some(_)) => "create",
        (Some(_), None) => "delete",
        _ => "update",
    }
}

fn apply(
    tool: &dyn Tool,
    gw: &Gateway,
    opts: &SetupOptions,
    plan: &Plan,
    ctx: &mut Ctx<'_>,
) -> Result<ExitStatus> {
    let env = ctx.env;
    let verbs: Vec<&str> = plan.effective().map(verb).collect();
    let applied = plan::apply(env, plan, tool.id().as_str(), &gw.name)?;
    for (a, v) in applied.iter().zip(verbs) {
        writeln!(
            ctx.out,
            "  {v}d {} (original kept as backup {})",
            a.label, a.backup_id
        )?;
    }
    let after = engine::gather_tool(env, tool)?;
    engine::record_owned(env, tool, Some((&gw.name, opts.key_mode)), &after)?;
    print_notes(plan, ctx)?;
    Ok(ExitStatus::Success)
}

fn print_notes(plan: &Plan, ctx: &mut Ctx<'_>) -> Result<()> {
    for note in &plan.notes {
        writeln!(ctx.out, "  note: {}", crate::secret::redact(note))?;
    }
    for (i, step) in plan.manual_steps.iter().enumerate() {
        if i == 0 {
            writeln!(ctx.out, "  still to do by hand:")?;
        }
        writeln!(ctx.out, "    {}. {}", i + 1, step)?;
    }
    Ok(())
}

/// Takes byok's settings out of the chosen tools.
pub fn remove(args: &RemoveArgs, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let mode = mode(ctx, args.dry_run, args.yes, false, "remove")?;
    let chosen = choose(false, &args.tools, ctx)?;
    let opts = engine::options(ctx.env, KeyMode::Literal, args.host.clone(), false);
    let _lock = if mode == Mode::DryRun {
        None
    } else {
        Some(fs::Lock::acquire(ctx.env)?)
    };
    let mut status = ExitStatus::Success;
    for tool in chosen {
        let env = ctx.env;
        let cur = engine::gather_tool(env, tool)?;
        let plan = tool.remove(env, &opts, &cur)?;
        writeln!(ctx.out, "{}", tool.name())?;
        if plan.is_up_to_date() {
            writeln!(ctx.out, "  nothing of byok's to remove")?;
            engine::record_owned(env, tool, None, &cur)?;
            continue;
        }
        match mode {
            Mode::DryRun => {
                for change in plan.effective() {
                    ctx.out.write_all(plan::diff(env, change).as_bytes())?;
                }
            }
            Mode::Ask { .. } | Mode::Apply => {
                if let Mode::Ask { .. } = mode {
                    for change in plan.effective() {
                        writeln!(ctx.out, "  will {} {}", verb(change), change.label(env))?;
                    }
                    if !Confirm::new()
                        .with_prompt("Remove byok's settings?")
                        .default(true)
                        .interact()?
                    {
                        writeln!(ctx.out, "  skipped")?;
                        status = ExitStatus::Failure;
                        continue;
                    }
                }
                let verbs: Vec<&str> = plan.effective().map(verb).collect();
                for (a, v) in plan::apply(env, &plan, tool.id().as_str(), "-")?
                    .iter()
                    .zip(verbs)
                {
                    writeln!(ctx.out, "  {v}d {}", a.label)?;
                }
                engine::record_owned(env, tool, None, &cur)?;
            }
        }
        print_notes(&plan, ctx)?;
    }
    Ok(status)
}
