//! One step over many tools (`byok use`, `byok key rotate`): every tool's plan first,
//! one masked diff and one confirmation, then every file written or none. A write that
//! fails (a file changed underneath, a full disk) puts back the files the step already
//! wrote, so no tool is left on the old gateway while another is on the new one.

use anyhow::Result;

use super::Ctx;
use super::setup::{self, Mode, Prepared};
use crate::engine::{self, OwnedRecord, ToolStatus};
use crate::error::{ExitStatus, UserError};
use crate::plan::{self, Plan};
use crate::profile::Gateway;
use crate::tools::{self, SetupOptions, Tool};

/// One tool's part of the step.
pub(super) struct Item {
    /// The tool.
    pub tool: &'static dyn Tool,
    /// The profile it is moved to.
    pub gw: Gateway,
    /// The options it was set up with (its key mode is kept).
    pub opts: SetupOptions,
    /// Its plan.
    pub prepared: Prepared,
}

/// Every tool byok has set up, with the record of that setup.
pub(super) fn set_up_tools(ctx: &Ctx<'_>) -> Result<Vec<(&'static dyn Tool, OwnedRecord)>> {
    let mut out = Vec::new();
    for tool in tools::registry(ctx.env).tools.iter() {
        if let Some(record) = engine::owned_record(ctx.env, *tool)? {
            out.push((*tool, record));
        }
    }
    Ok(out)
}

/// The setup options a tool was set up with, for a re-plan.
pub(super) fn options_of(ctx: &Ctx<'_>, record: &OwnedRecord) -> SetupOptions {
    engine::options(ctx.env, record.key_mode(), None, false)
}

/// Plans every tool; a tool whose files can't be read or whose values were changed by
/// hand (without `force`) stops the whole step before anything is written. Tools already
/// up to date are named and left out.
pub(super) fn plan(
    ctx: &mut Ctx<'_>,
    wanted: Vec<(&'static dyn Tool, Gateway, SetupOptions)>,
    force: bool,
    verb: &str,
) -> Result<Vec<Item>> {
    let mut items = Vec::new();
    let mut blocked = Vec::new();
    let mut overlay = setup::Overlay::new();
    for (tool, gw, opts) in wanted {
        let prepared = setup::prepare(ctx.env, tool, &gw, &opts, &overlay).map_err(|e| {
            UserError::new(format!("{}: {e:#}", tool.name())).hint(format!(
                "nothing was changed; fix that, or leave the tool out with `byok remove {}`",
                tool.id()
            ))
        })?;
        if prepared.plan.manual_only || prepared.plan.is_up_to_date() {
            writeln!(ctx.out, "{}\n  up to date", tool.name())?;
            continue;
        }
        if let ToolStatus::Drifted { changed } = engine::status(ctx.env, tool, None, &prepared.cur)
            && !force
        {
            blocked.push(format!("{} ({})", tool.name(), changed.join(", ")));
            continue;
        }
        setup::overlay_with(&mut overlay, &prepared.plan);
        items.push(Item {
            tool,
            gw,
            opts,
            prepared,
        });
    }
    if !blocked.is_empty() {
        return Err(UserError::new(format!(
            "changed by hand since byok wrote them: {}",
            blocked.join("; ")
        ))
        .hint(format!(
            "nothing was changed; `byok {verb} --force` overwrites those edits, or `byok setup TOOL --dry-run` shows each change"
        ))
        .into());
    }
    Ok(items)
}

/// Shows the step (diffs with `--dry-run` or `--diff`, else one line a file) and asks
/// once; whether to go on.
pub(super) fn confirm(
    ctx: &mut Ctx<'_>,
    items: &[Item],
    mode: Mode,
    question: &str,
    shells: &Plan,
) -> Result<bool> {
    let env = ctx.env;
    let sections = items
        .iter()
        .map(|i| (i.tool.name(), &i.prepared.plan))
        .chain((!shells.changes.is_empty()).then_some(("Shell start-up files", shells)));
    for (name, plan) in sections {
        if mode == Mode::Apply {
            break;
        }
        writeln!(ctx.out, "{name}")?;
        for change in plan.effective() {
            match mode {
                Mode::DryRun | Mode::Ask { diff: true } => {
                    ctx.out.write_all(plan::diff(env, change).as_bytes())?;
                }
                Mode::Ask { diff: false } | Mode::Apply => {
                    writeln!(ctx.out, "  will update {}", change.label(env))?;
                }
            }
        }
    }
    match mode {
        Mode::DryRun => Ok(false),
        Mode::Apply => Ok(true),
        Mode::Ask { .. } => {
            if super::prompt::confirm(env, question, true)? {
                Ok(true)
            } else {
                writeln!(ctx.out, "Skipped: no file was changed.")?;
                Ok(false)
            }
        }
    }
}

/// Writes every item's plan; on a failure, puts back what this step wrote and returns
/// the error. `before_commit` runs after all files are written and before anything is
/// recorded (e.g. storing the new key); its failure rolls back too. The backup manifest
/// and the drift record are saved once, with the step ([`plan::Step`]).
pub(super) fn apply(
    ctx: &mut Ctx<'_>,
    items: &[Item],
    shells: &Plan,
    before_commit: impl FnOnce(&mut Ctx<'_>) -> Result<()>,
) -> Result<ExitStatus> {
    let env = ctx.env;
    // What byok will own is known before anything is written: it is committed with the writes.
    let mut records = engine::Records::load(env)?;
    for item in items {
        let p = &item.prepared;
        setup::record(
            env,
            item.tool,
            &item.gw,
            &item.opts,
            (&p.cur, &p.plan),
            &p.replaced,
            &mut records,
        );
    }
    let installs = vec![records.install(env)?];
    let mut step = plan::Step::new(env)?;
    let written = match write_all(ctx, &mut step, items, shells, before_commit) {
        Ok(written) => written,
        Err(err) => {
            let wrote = step.has_written();
            let left = step.roll_back();
            return Err(err.hint(crate::fs::undone_hint(wrote, &left)).into());
        }
    };
    step.commit(installs)?;
    let mut status = ExitStatus::Success;
    for (item, applied) in items.iter().zip(&written) {
        writeln!(ctx.out, "{}", item.tool.name())?;
        let p = &item.prepared;
        let s = setup::finish(
            item.tool,
            &item.gw,
            &item.opts,
            (&p.cur, &p.plan),
            applied,
            ctx,
        )?;
        if s != ExitStatus::Success {
            status = s;
        }
    }
    Ok(status)
}

/// Stages and writes every item's plan, then the shell blocks, then runs `before_commit`;
/// the first error, named after its tool.
fn write_all(
    ctx: &mut Ctx<'_>,
    step: &mut plan::Step<'_>,
    items: &[Item],
    shells: &Plan,
    before_commit: impl FnOnce(&mut Ctx<'_>) -> Result<()>,
) -> Result<Vec<Vec<plan::Applied>>, UserError> {
    let named = |item: &Item| {
        let name = item.tool.name();
        move |e: anyhow::Error| UserError::new(format!("{name}: {e:#}"))
    };
    let plain = |e: anyhow::Error| UserError::new(format!("{e:#}"));
    let profile = items.first().map_or("-", |i| i.gw.name.as_str());
    for item in items {
        step.stage(&item.prepared.plan, item.tool.id().as_str(), &item.gw.name)
            .map_err(named(item))?;
    }
    step.stage(shells, "shell", profile).map_err(plain)?;
    step.begin().map_err(plain)?;
    let mut written = Vec::new();
    for (n, item) in items.iter().enumerate() {
        written.push(step.write_part(n).map_err(named(item))?);
    }
    step.write_part(items.len()).map_err(plain)?;
    before_commit(ctx).map_err(plain)?;
    Ok(written)
}
