//! `byok use [PROFILE]`: moves every tool byok has set up, and new shells, to another
//! profile in one step (one plan, one masked diff, one confirmation, all or nothing);
//! without a profile, shows which profile each tool points at.

use anyhow::Result;
use clap::ValueEnum;

use super::Ctx;
use super::{setup, step};
use crate::cli::UseArgs;
use crate::error::{ExitStatus, UserError};
use crate::fs;
use crate::plan::{Change, Plan};
use crate::profile;
use crate::shell::{self, Shell};

/// Runs `byok use`.
pub fn run(args: &UseArgs, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    match &args.name {
        None => show(ctx),
        Some(name) => switch(name, args, ctx),
    }
}

fn show(ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let cfg = profile::load(ctx.env)?;
    let default = cfg.default.clone().unwrap_or_else(|| "-".into());
    writeln!(ctx.out, "default profile  {default}")?;
    let tools = step::set_up_tools(ctx)?;
    if tools.is_empty() {
        writeln!(ctx.out, "No tool is set up yet: `byok setup --all`.")?;
        return Ok(ExitStatus::Success);
    }
    let width = tools.iter().map(|(t, _)| t.name().len()).max().unwrap_or(0);
    let mut mixed = false;
    for (tool, record) in &tools {
        let other = record.profile != default;
        mixed |= other;
        writeln!(
            ctx.out,
            "{:width$}  {}{}",
            tool.name(),
            record.profile,
            if other { "  (not the default)" } else { "" }
        )?;
    }
    for (sh, pinned) in pinned_blocks(ctx)? {
        let label = ctx.env.tilde(&sh.startup_file(ctx.env)?);
        writeln!(ctx.out, "{label:width$}  {pinned}  (shell block)")?;
        mixed |= pinned != default;
    }
    if mixed {
        writeln!(
            ctx.out,
            "Tools point at different profiles: `byok use PROFILE` moves them all to one."
        )?;
    }
    Ok(ExitStatus::Success)
}

/// Shell start-up files whose byok block names a profile, with that profile.
fn pinned_blocks(ctx: &Ctx<'_>) -> Result<Vec<(Shell, String)>> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for sh in Shell::value_variants() {
        let Ok(path) = sh.startup_file(ctx.env) else {
            continue;
        };
        if !seen.insert(path.clone()) {
            continue;
        }
        let Some(text) = fs::read_optional(&path)? else {
            continue;
        };
        for (start, end) in shell::find_blocks(&text) {
            let block = &text[start..end];
            if let Some(p) = block_profile(block) {
                out.push((*sh, p));
            }
        }
    }
    Ok(out)
}

/// The profile a block passes with `--profile`, unquoted.
fn block_profile(block: &str) -> Option<String> {
    let rest = block.split("--profile ").nth(1)?;
    let word = rest.split_whitespace().next()?;
    let word = word.trim_end_matches([')', '"', ';']);
    Some(word.trim_matches(['\'', '"']).to_string())
}

fn switch(name: &str, args: &UseArgs, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let a = &args.step;
    let mode = setup::mode(ctx, a.dry_run, a.yes, a.diff, "use")?;
    let cfg = profile::load(ctx.env)?;
    if !cfg.profiles.contains_key(name) {
        let known: Vec<&str> = cfg.profiles.keys().map(String::as_str).collect();
        return Err(UserError::new(format!("no profile named `{name}`"))
            .hint(if known.is_empty() {
                "run `byok init` to create one".to_string()
            } else {
                format!("known profiles: {}", known.join(", "))
            })
            .into());
    }
    let gw = profile::resolve(ctx.env, &cfg, Some(name))?;
    let _lock = (mode != setup::Mode::DryRun)
        .then(|| fs::Lock::acquire(ctx.env))
        .transpose()?;
    let mut wanted = Vec::new();
    for (tool, record) in step::set_up_tools(ctx)? {
        let opts = step::options_of(ctx, &record);
        wanted.push((tool, gw.clone(), opts));
    }
    let items = step::plan(ctx, wanted, a.force, "use")?;
    let blocks = block_changes(ctx, name)?;
    let is_default = cfg.default.as_deref() == Some(name);
    if items.is_empty() && blocks.changes.is_empty() && is_default {
        writeln!(ctx.out, "Every tool already uses profile `{name}`.")?;
        return Ok(ExitStatus::Success);
    }
    let question = format!("Move these tools and new shells to profile `{name}`?");
    let shown = step::confirm(ctx, &items, mode, &question, &blocks)?;
    if !shown {
        return Ok(if mode == setup::Mode::DryRun {
            ExitStatus::Success
        } else {
            ExitStatus::Failure
        });
    }
    let env = ctx.env;
    let status = step::apply(ctx, &items, &blocks, |_| profile::set_default(env, name))?;
    writeln!(
        ctx.out,
        "Now on profile `{name}`: {}; new shells load it (in an open one: eval \"$(byok env)\").",
        match items.len() {
            0 => "no tool's files needed a change".to_string(),
            1 => "1 tool moved".to_string(),
            n => format!("{n} tools moved"),
        }
    )?;
    Ok(status)
}

/// The shell blocks that name another profile, rewritten to name `name`.
fn block_changes(ctx: &Ctx<'_>, name: &str) -> Result<Plan> {
    let mut plan = Plan::default();
    for (sh, pinned) in pinned_blocks(ctx)? {
        if pinned == name {
            continue;
        }
        let path = sh.startup_file(ctx.env)?;
        let before = fs::read_optional(&path)?;
        let block = sh.install_block(&ctx.env.exe_string(), Some(name));
        let after = shell::upsert_block(before.as_deref().unwrap_or(""), &block);
        if before.as_deref() != Some(after.as_str()) {
            plan.changes
                .push(Change::file(&path, before, Some(after), false));
        }
    }
    Ok(plan)
}
