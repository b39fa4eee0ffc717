//! `byok setup` and `byok remove`: plan per tool, show, confirm, apply, report.
//!
//! Every write goes through [`plan::apply`]: the original is backed up once, the new
//! content replaces it atomically. Values changed by hand since byok wrote them are not
//! overwritten without `--force` (or a yes on a terminal); a dry run that would be
//! refused for that shows the diff, names the values and exits 1.
//!
//! Setup says which of the user's own values it replaces and keeps them in the drift
//! record ([`engine::keep_priors`]); `remove` hands them to the tool through
//! [`crate::tools::Current::prior`] and says which it puts back.

use std::path::PathBuf;

use anyhow::Result;

mod project;

use super::Ctx;
use crate::cli::{KeyMode, RemoveArgs, SetupArgs};
use crate::engine::{self, ToolStatus};
use crate::error::{ExitStatus, UserError};
use crate::fs;
use crate::plan::{self, Plan};
use crate::profile::{self, Gateway, KeySource};
use crate::templates::KeyModeName;
use crate::tools::{self, SetupOptions, Tool};

/// What to do with a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    DryRun,
    Ask { diff: bool },
    Apply,
}

pub(super) fn mode(
    ctx: &Ctx<'_>,
    dry_run: bool,
    yes: bool,
    diff: bool,
    verb: &str,
) -> Result<Mode> {
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
    let pick_tools = args.tools.is_empty() && !args.all && args.project.is_none();
    if pick_tools && !ctx.interactive {
        return Err(no_tools_named(ctx.env));
    }
    let mode = mode(ctx, args.dry_run, args.yes, args.diff, "setup")?;
    let cfg = profile::load(ctx.env)?;
    let gw = profile::resolve(ctx.env, &cfg, ctx.profile.as_deref())?;
    let key_mode = args.key_mode.unwrap_or_default();
    if args.key_mode == Some(KeyMode::Literal) {
        gw.require_key()?;
    }
    if gw.base.is_insecure_remote() {
        ctx.warn(&format!(
            "{} uses plain http to another host: the key will travel unencrypted",
            gw.base
        ))?;
    }
    if let Some(dir) = &args.project {
        let _lock = (mode != Mode::DryRun)
            .then(|| fs::Lock::acquire(ctx.env))
            .transpose()?;
        return setup_project(args, dir, &gw, mode, ctx);
    }
    let chosen = if pick_tools {
        let Some(picked) = pick(&gw, ctx)? else {
            writeln!(ctx.out, "No tool chosen; nothing changed.")?;
            return Ok(ExitStatus::Success);
        };
        picked
    } else {
        choose(args.all, &args.tools, ctx)?
    };
    if chosen.is_empty() {
        ctx.out.write_all(
            b"No supported tool was detected; nothing to set up. See `byok detect`.\n",
        )?;
        return Ok(ExitStatus::Success);
    }
    if key_mode == KeyMode::Helper {
        check_literal_keys(&chosen, args.allow_literal_keys, ctx)?;
    }
    if let Some(h) = &args.host
        && tools::vscode::Host::by_id(h).is_none()
    {
        let ids: Vec<&str> = tools::vscode::HOSTS.iter().map(|h| h.id).collect();
        return Err(UserError::new(format!("unknown host `{h}`"))
            .hint(format!("use one of: {}", ids.join(", ")))
            .into());
    }
    let mut opts = engine::options(ctx.env, key_mode, args.host.clone(), args.show_key);
    opts.auto_key = args.key_mode.is_none();
    let _lock = if mode == Mode::DryRun {
        None
    } else {
        Some(fs::Lock::acquire(ctx.env)?)
    };
    let mut status = ExitStatus::Success;
    for tool in chosen {
        let needs = tool.endpoints(&gw);
        let stored = cfg.profiles.get(&gw.name);
        let sends = tool.template().is_some_and(|t| t.sends_headers());
        let who = (tool.id().as_str(), tool.name());
        for w in crate::presets::setup_warnings(stored, who, &needs, sends) {
            ctx.warn(&w)?;
        }
        let done = setup_one(tool, &gw, &opts, (mode, args.force), &|_| Ok(()), ctx);
        status = worst(status, report(done, ctx)?);
    }
    Ok(status)
}

/// `--key-mode helper` promises no key in the tools' files; tools that cannot run a key
/// command break that promise, so say so before anything is written and go on only
/// when the user accepted it.
fn check_literal_keys(
    chosen: &[&'static dyn Tool],
    accepted: bool,
    ctx: &mut Ctx<'_>,
) -> Result<()> {
    let (helper, literal): (Vec<&dyn Tool>, Vec<&dyn Tool>) =
        chosen.iter().partition(|t| t.runs_key_command());
    if literal.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = literal.iter().map(|t| t.name()).collect();
    let files = if names.len() == 1 {
        "its files"
    } else {
        "their files"
    };
    if accepted {
        writeln!(
            ctx.out,
            "note: {} can't run a key command, so the key itself is written into {files} (mode 0600)",
            names.join(", ")
        )?;
        return Ok(());
    }
    let ids: Vec<&str> = helper.iter().map(|t| t.id().as_str()).collect();
    let hint = if ids.is_empty() {
        format!(
            "pass --allow-literal-keys to write the key into {files} anyway, or leave --key-mode out: each tool then gets the strongest form it takes"
        )
    } else {
        format!(
            "pass --allow-literal-keys to write the key into {files} anyway, or leave {} out: `byok setup {} --key-mode helper`",
            if names.len() == 1 { "it" } else { "them" },
            ids.join(" ")
        )
    };
    Err(UserError::new(format!(
        "{} can't run a key command: with --key-mode helper byok would still write the key itself into {files}",
        names.join(", ")
    ))
    .hint(hint)
    .into())
}

/// One tool's outcome: its error is printed and the run goes on with the next tool (a
/// closed stdout ends it).
fn report(done: Result<ExitStatus>, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    match done {
        Ok(s) => Ok(s),
        Err(e) if crate::error::is_broken_pipe(&e) => Err(e),
        Err(e) => {
            let (text, s) = crate::error::render(&e);
            ctx.err.write_all(text.as_bytes())?;
            Ok(s)
        }
    }
}

fn worst(a: ExitStatus, b: ExitStatus) -> ExitStatus {
    let rank = |s| match s {
        ExitStatus::Success => 0,
        ExitStatus::Failure => 1,
        ExitStatus::Error | ExitStatus::Code(_) => 2,
    };
    if rank(b) > rank(a) { b } else { a }
}

fn choose(all: bool, ids: &[String], ctx: &mut Ctx<'_>) -> Result<Vec<&'static dyn Tool>> {
    let registry = tools::registry(ctx.env);
    if !all {
        let mut out: Vec<&'static dyn Tool> = Vec::new();
        for id in ids {
            let tool = registry.find(id)?;
            if !out.iter().any(|t| t.id() == tool.id()) {
                out.push(tool);
            }
        }
        return Ok(out);
    }
    let mut out = Vec::new();
    for tool in registry.tools.iter() {
        // A tool whose files can't be read is kept: its own error is reported below.
        if engine::inspect(ctx.env, *tool).is_ok_and(|(_, det)| !det.installed) {
            continue;
        }
        out.push(*tool);
    }
    Ok(out)
}

/// A tool's setup plan with what it needs to be applied: the files as read, and the
/// user's values it replaces (already named in the plan's notes).
pub(super) struct Prepared {
    /// The tool's files as read.
    pub cur: tools::Current,
    /// What setup would write.
    pub plan: Plan,
    /// The user's values the plan takes over.
    pub replaced: Vec<engine::Replaced>,
    /// The options it was planned with (the key form chosen for this tool).
    pub opts: SetupOptions,
}

/// The options for one tool: without `--key-mode`, the strongest form of the key it
/// takes. A tool that can run a key command gets `byok print-key`, whatever store the
/// key is in; a profile keeping its key in a variable keeps the tool's reference to it
/// where the tool has one (as strong: no copy, and no byok on its path).
///
/// An installed extension of the tool that reads its files but ignores the command
/// (Claude Code's VS Code extension, seen in the gathered files `cur`) would be left
/// without a key, so there the tool gets a copy, and setup says why.
fn for_tool(
    env: &crate::env::Env,
    tool: &dyn Tool,
    gw: &Gateway,
    opts: &SetupOptions,
    cur: &tools::Current,
) -> SetupOptions {
    let mut opts = opts.clone();
    if opts.auto_key && tool.runs_key_command() && !references_key(tool, gw) {
        match ignoring_extension(env, tool, cur) {
            Some(why) => opts.copy_reason = Some(why),
            None => opts.key_mode = KeyMode::Helper,
        }
    }
    opts
}

/// Why an installed extension of `tool` can't use a key command (the template's
/// `ignores_key_command`), naming the editor it is installed in.
fn ignoring_extension(
    env: &crate::env::Env,
    tool: &dyn Tool,
    cur: &tools::Current,
) -> Option<String> {
    tool.template()?.detect.extensions.iter().find_map(|ext| {
        let why = ext.ignores_key_command.as_deref()?;
        let found = tools::vscode::installed(env, cur, &ext.id).next()?;
        Some(format!(
            "its extension in {} ignores a key command ({why}); `--key-mode helper` gives the terminal CLI one",
            found.host.name
        ))
    })
}

/// Whether a profile keeping its key in a variable gives the tool a reference to it
/// without `--key-mode helper`, rather than a copy.
fn references_key(tool: &dyn Tool, gw: &Gateway) -> bool {
    matches!(gw.key, KeySource::Env { .. })
        && tool
            .template()
            .is_some_and(|t| !t.copies_key(KeyModeName::Env))
}

/// Whether planning the tool with `opts` writes a copy of the key, so the key must be
/// known first (a tool written in code is assumed to).
fn copies_key(tool: &dyn Tool, gw: &Gateway, opts: &SetupOptions) -> bool {
    tool.template()
        .is_none_or(|t| t.copies_key(opts.key_form(gw)))
}

/// Files as the plans made earlier in the same step leave them (two tools can share a
/// file: Roo Code's and Kilo Code's editor settings, byok's exports), so a step planned
/// whole before anything is written plans each tool over the others' changes.
pub(super) type Overlay = std::collections::BTreeMap<PathBuf, Option<String>>;

/// Adds a plan's file changes to an [`Overlay`].
pub(super) fn overlay_with(overlay: &mut Overlay, plan: &Plan) {
    for c in plan.effective().filter(|c| c.target == plan::Target::File) {
        overlay.insert(c.path.clone(), c.after.clone());
    }
}

/// Reads a tool's files (as `overlay` leaves them) and plans its setup; nothing is
/// written.
pub(super) fn prepare(
    env: &crate::env::Env,
    tool: &dyn Tool,
    gw: &Gateway,
    opts: &SetupOptions,
    overlay: &Overlay,
) -> Result<Prepared> {
    let mut cur = engine::gather_tool(env, tool)?;
    let opts = for_tool(env, tool, gw, opts, &cur);
    // A tool that gets a copy of the key needs the key now, before anything is written.
    if copies_key(tool, gw, &opts) {
        gw.require_key()?;
    }
    for (path, text) in overlay {
        if let Some(slot) = cur.files.get_mut(path) {
            slot.clone_from(text);
        }
    }
    let mut plan = tool.plan(env, gw, &opts, &cur)?;
    plan::dedupe(env, &mut plan)?;
    let record = engine::owned_record(env, tool)?;
    let replaced = engine::replaced(
        env,
        tool,
        record.as_ref(),
        &cur,
        &engine::project(&cur, &plan),
    );
    let notes = replaced_notes(tool, &replaced);
    plan.notes.splice(0..0, notes);
    Ok(Prepared {
        cur,
        plan,
        replaced,
        opts,
    })
}

/// `byok setup` alone where byok can't ask: say how to name the tools.
fn no_tools_named(env: &crate::env::Env) -> anyhow::Error {
    let ids = tools::registry(env).ids();
    UserError::new("`byok setup` needs the tools to configure (stdin is not a terminal, so byok can't ask which)")
        .hint(format!(
            "name them ({}), or pass --all for every detected tool; `byok detect` shows which are installed",
            ids.join(", ")
        ))
        .into()
}

/// Asks which of the installed tools to set up; the ones not yet pointing at `gw` start
/// ticked. `None` when the user ticked none; an empty list when none is installed.
pub(super) fn pick(gw: &Gateway, ctx: &mut Ctx<'_>) -> Result<Option<Vec<&'static dyn Tool>>> {
    let env = ctx.env;
    let mut found: Vec<(&'static dyn Tool, String, bool)> = Vec::new();
    // Nothing is written until the user has picked.
    let survey = engine::Survey::new(env);
    for tool in tools::registry(env).tools.iter() {
        match survey.inspect(*tool) {
            Ok((_, det)) if !det.installed => {}
            Ok((cur, _)) => {
                let status = survey.status(*tool, Some(gw), &cur);
                let configured = matches!(status, ToolStatus::Configured { .. });
                found.push((
                    *tool,
                    format!("{} ({})", tool.name(), status.label()),
                    !configured,
                ));
            }
            // Unreadable: listed, unticked; choosing it shows its error.
            Err(_) => found.push((
                *tool,
                format!("{} (its files can't be read)", tool.name()),
                false,
            )),
        }
    }
    if found.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let labels: Vec<&str> = found.iter().map(|(_, l, _)| l.as_str()).collect();
    let ticked: Vec<bool> = found.iter().map(|(.., t)| *t).collect();
    let picked =
        super::prompt::multi_select(env, "Which tools should use the gateway?", &labels, &ticked)?;
    if picked.is_empty() {
        return Ok(None);
    }
    Ok(Some(picked.into_iter().map(|i| found[i].0).collect()))
}

/// Sets up `chosen` as one step, for the guided run: every plan first, then one masked
/// diff for all of them and one confirmation, then each applied with [`plan::apply`]
/// (backups, write records) as `byok setup` does. A tool with values changed by hand is
/// left alone and named. Declining writes nothing and returns `Failure`. Also returns
/// each planned tool's steps left to do by hand, for the end of the guided run.
pub(super) fn setup_all_at_once(
    chosen: &[&'static dyn Tool],
    gw: &Gateway,
    ctx: &mut Ctx<'_>,
) -> Result<(ExitStatus, ManualSteps)> {
    let env = ctx.env;
    let mut opts = engine::options(env, KeyMode::Literal, None, false);
    opts.auto_key = true;
    let _lock = fs::Lock::acquire(env)?;
    let mut pending: Vec<(&'static dyn Tool, Prepared)> = Vec::new();
    let mut overlay = Overlay::new();
    let mut steps: ManualSteps = Vec::new();
    let mut status = ExitStatus::Success;
    for (i, tool) in chosen.iter().enumerate() {
        let spinner = super::prompt::spinner(
            env,
            &format!("reading {} ({}/{})…", tool.name(), i + 1, chosen.len()),
        );
        let prepared = prepare(env, *tool, gw, &opts, &overlay);
        if let Some(status) = spinner {
            status.clear();
        }
        let p = match prepared {
            Ok(p) => p,
            Err(e) => {
                writeln!(ctx.out, "{}", tool.name())?;
                status = worst(status, report(Err(e), ctx)?);
                continue;
            }
        };
        steps.push((*tool, p.plan.manual_steps.clone()));
        if p.plan.manual_only || p.plan.is_up_to_date() {
            writeln!(ctx.out, "{}", tool.name())?;
            let what = if p.plan.manual_only {
                "cannot be set up automatically (the steps by hand come at the end)"
            } else {
                "up to date"
            };
            writeln!(ctx.out, "  {what}")?;
            continue;
        }
        if let ToolStatus::Drifted { changed } = engine::status(env, *tool, None, &p.cur) {
            writeln!(ctx.out, "{}", tool.name())?;
            writeln!(
                ctx.out,
                "  changed by hand since byok wrote them: {}; left as is (`byok setup {} --dry-run` shows the change, --force applies it)",
                changed.join(", "),
                tool.id().as_str()
            )?;
            status = worst(status, ExitStatus::Failure);
            continue;
        }
        overlay_with(&mut overlay, &p.plan);
        pending.push((*tool, p));
    }
    if pending.is_empty() {
        return Ok((status, steps));
    }
    for (tool, p) in &pending {
        writeln!(ctx.out, "{}", tool.name())?;
        for change in p.plan.effective() {
            ctx.out.write_all(plan::diff(env, change).as_bytes())?;
        }
        for note in &p.plan.notes {
            writeln!(ctx.out, "  note: {}", crate::secret::redact(note))?;
        }
    }
    let names: Vec<&str> = pending.iter().map(|(t, _)| t.name()).collect();
    if !super::prompt::confirm(
        env,
        &format!("Apply these changes to {}?", names.join(", ")),
        true,
    )? {
        writeln!(ctx.out, "Skipped: no tool's files were changed.")?;
        return Ok((ExitStatus::Failure, steps));
    }
    for (tool, p) in &pending {
        writeln!(ctx.out, "{}", tool.name())?;
        // Manual steps are listed once, at the end of the guided run.
        let quiet = Plan {
            manual_steps: Vec::new(),
            notes: Vec::new(),
            ..p.plan.clone()
        };
        let done = apply(*tool, gw, &p.opts, (&p.cur, &quiet), &p.replaced, ctx);
        status = worst(status, report(done, ctx)?);
    }
    Ok((status, steps))
}

/// A last change to a plan before it is shown (`--project`'s exclude line and checks).
type Adjust<'a> = &'a dyn Fn(&mut Plan) -> Result<()>;

/// Each tool's steps left to do by hand, from its setup plan.
pub(super) type ManualSteps = Vec<(&'static dyn Tool, Vec<String>)>;

fn setup_one(
    tool: &dyn Tool,
    gw: &Gateway,
    opts: &SetupOptions,
    (mode, force): (Mode, bool),
    adjust: Adjust<'_>,
    ctx: &mut Ctx<'_>,
) -> Result<ExitStatus> {
    let env = ctx.env;
    let Prepared {
        cur,
        mut plan,
        replaced,
        opts,
    } = prepare(env, tool, gw, opts, &Overlay::new())?;
    let opts = &opts;
    adjust(&mut plan)?;
    writeln!(ctx.out, "{}", tool.name())?;
    if plan.manual_only {
        writeln!(ctx.out, "  cannot be set up automatically")?;
        print_notes(&plan, ctx)?;
        return Ok(ExitStatus::Success);
    }
    if plan.is_up_to_date() {
        writeln!(ctx.out, "  up to date")?;
        print_notes(&plan, ctx)?;
        return print_problems(tool, gw, &cur, ctx);
    }
    // Values the user changed by hand since byok wrote them are not silently replaced.
    if let ToolStatus::Drifted { changed } = engine::status(env, tool, None, &cur)
        && !force
    {
        if mode == Mode::DryRun {
            // Show what --force would do, and that without it setup would refuse.
            for change in plan.effective() {
                ctx.out.write_all(plan::diff(env, change).as_bytes())?;
            }
            print_notes(&plan, ctx)?;
            writeln!(
                ctx.out,
                "  changed by hand since byok wrote them: {}; `--force` needed to overwrite",
                changed.join(", ")
            )?;
            return Ok(ExitStatus::Failure);
        }
        let ask = matches!(mode, Mode::Ask { .. });
        writeln!(
            ctx.out,
            "  changed by hand since byok wrote them: {}",
            changed.join(", ")
        )?;
        let overwrite =
            ask && super::prompt::confirm(ctx.env, "  Overwrite these changes?", false)?;
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
    let question = format!("Apply these changes to {}?", tool.name());
    match show_and_confirm(&plan, mode, &question, ctx)? {
        Decision::Shown => {
            print_notes(&plan, ctx)?;
            Ok(ExitStatus::Success)
        }
        Decision::Declined => Ok(ExitStatus::Failure),
        Decision::Apply => apply(tool, gw, opts, (&cur, &plan), &replaced, ctx),
    }
}

/// What to do after a plan was shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    /// A dry run: the diff was printed, nothing is written.
    Shown,
    /// The user said no ("skipped" was printed).
    Declined,
    /// Write it.
    Apply,
}

/// The one show-and-confirm step of `setup` and `remove`: a dry run prints the masked
/// diff; asking lists the changes (or the diff with `--diff`) and asks `question`.
fn show_and_confirm(
    plan: &Plan,
    mode: Mode,
    question: &str,
    ctx: &mut Ctx<'_>,
) -> Result<Decision> {
    let env = ctx.env;
    match mode {
        Mode::DryRun => {
            for change in plan.effective() {
                ctx.out.write_all(plan::diff(env, change).as_bytes())?;
            }
            Ok(Decision::Shown)
        }
        Mode::Ask { diff } => {
            for change in plan.effective() {
                if diff {
                    ctx.out.write_all(plan::diff(env, change).as_bytes())?;
                } else {
                    writeln!(ctx.out, "  will {} {}", verb(change), change.label(env))?;
                }
            }
            if super::prompt::confirm(env, question, true)? {
                Ok(Decision::Apply)
            } else {
                writeln!(ctx.out, "  skipped")?;
                Ok(Decision::Declined)
            }
        }
        Mode::Apply => Ok(Decision::Apply),
    }
}

/// "replaces your …" for each of the user's values the plan changes.
fn replaced_notes(tool: &dyn Tool, replaced: &[engine::Replaced]) -> Vec<String> {
    replaced
        .iter()
        .filter(|r| r.changed)
        .map(|r| {
            let shown = engine::shown_value(&r.label, &r.value);
            if r.restorable.is_some() {
                format!(
                    "replaces your {} ({shown}); `byok remove {}` puts it back",
                    r.label,
                    tool.id().as_str()
                )
            } else {
                format!(
                    "replaces your {} ({shown}); `byok restore` brings back the file it was in",
                    r.label
                )
            }
        })
        .collect()
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
    (cur, plan): (&tools::Current, &Plan),
    replaced: &[engine::Replaced],
    ctx: &mut Ctx<'_>,
) -> Result<ExitStatus> {
    let applied = plan::apply(ctx.env, plan, tool.id().as_str(), &gw.name)?;
    let mut records = engine::Records::load(ctx.env)?;
    record(ctx.env, tool, gw, opts, (cur, plan), replaced, &mut records);
    records.save(ctx.env)?;
    finish(tool, gw, opts, (cur, plan), &applied, ctx)
}

/// Records what byok owns once a tool's plan is written (the plan's after-state), with
/// what `remove` must give back.
pub(super) fn record(
    env: &crate::env::Env,
    tool: &dyn Tool,
    gw: &Gateway,
    opts: &SetupOptions,
    (cur, plan): (&tools::Current, &Plan),
    replaced: &[engine::Replaced],
    records: &mut engine::Records,
) {
    let files = || plan.effective().filter(|c| c.target == plan::Target::File);
    let created: Vec<PathBuf> = files()
        .filter(|c| c.before.is_none())
        .map(|c| c.path.clone())
        .collect();
    let blank: Vec<(PathBuf, String)> = files()
        .filter_map(|c| {
            let b = c.before.as_ref()?;
            b.trim().is_empty().then(|| (c.path.clone(), b.clone()))
        })
        .collect();
    let facts = engine::SetupFacts {
        profile: &gw.name,
        mode: opts.key_mode,
        replaced,
        created: &created,
        blank: &blank,
        left: &plan.left,
        key_form: key_form(tool, gw, opts, plan).0,
    };
    records.record(env, tool, Some(&facts), &engine::project(cur, plan));
}

/// After a tool's plan was written and recorded: says what was written and how to undo
/// it, and prints the notes and what still keeps the tool off the gateway.
pub(super) fn finish(
    tool: &dyn Tool,
    gw: &Gateway,
    opts: &SetupOptions,
    (cur, plan): (&tools::Current, &Plan),
    applied: &[plan::Applied],
    ctx: &mut Ctx<'_>,
) -> Result<ExitStatus> {
    let verbs: Vec<&str> = plan.effective().map(verb).collect();
    for (a, v) in applied.iter().zip(verbs) {
        if v == "create" {
            // There was no original to keep: say what takes the new file away again.
            writeln!(
                ctx.out,
                "  created {} (a new file, so no backup: `byok restore` deletes it)",
                a.label
            )?;
        } else if a.existed {
            writeln!(
                ctx.out,
                "  {v}d {} (original kept as backup {})",
                a.label, a.backup_id
            )?;
        } else {
            // byok created it in an earlier run: there is still no original to keep.
            writeln!(
                ctx.out,
                "  {v}d {} (byok created it: `byok restore` deletes it)",
                a.label
            )?;
        }
    }
    writeln!(ctx.out, "  key: {}", key_form(tool, gw, opts, plan).1)?;
    print_notes(plan, ctx)?;
    print_problems(tool, gw, &engine::project(cur, plan), ctx)
}

/// How a setup handed the tool the key: its record name and the words `setup` says. A
/// template says it for the key form planned: a value holding the key is a copy, else
/// one running `{byok}` is a key command, else a reference. A tool written in code is
/// judged by what the plan writes: the key itself anywhere (or a file made 0600 for
/// it) is a copy; else `byok print-key` is a key command.
fn key_form(
    tool: &dyn Tool,
    gw: &Gateway,
    opts: &SetupOptions,
    plan: &Plan,
) -> (&'static str, String) {
    let form = opts.key_form(gw);
    let (copied, command) = match tool.template() {
        Some(t) => (
            t.copies_key(form),
            t.files
                .iter()
                .flat_map(|f| &f.values)
                .any(|v| v.uses(form, "byok")),
        ),
        None => {
            let texts: Vec<&str> = plan
                .effective()
                .filter_map(|c| c.after.as_deref())
                .collect();
            let known = gw.known_key();
            (
                plan.effective().any(|c| c.secret)
                    || known.is_some_and(|k| texts.iter().any(|t| t.contains(k.expose()))),
                texts.iter().any(|t| t.contains("print-key")),
            )
        }
    };
    if copied {
        let why = opts
            .copy_reason
            .as_ref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        return (
            "copy",
            format!("a copy of it, in a file only you can read (0600){why}"),
        );
    }
    if command {
        return (
            "command",
            "a key command (`byok print-key`): no copy in its files".into(),
        );
    }
    match gw.key.env_var() {
        Some(var) => (
            "reference",
            format!("a reference to ${var}: no copy in its files"),
        ),
        None => (
            "reference",
            "read from the environment (see the notes): no copy in its files".into(),
        ),
    }
}

/// What still keeps the tool from using the gateway although its files are right (a Codex
/// profile selecting another provider): the Fail findings detect and doctor show, so a
/// setup never reads as plain success then. The files were written, so it is not an error.
fn print_problems(
    tool: &dyn Tool,
    gw: &Gateway,
    cur: &tools::Current,
    ctx: &mut Ctx<'_>,
) -> Result<ExitStatus> {
    let fails = engine::problems(tool.diagnose(ctx.env, gw, cur))
        .into_iter()
        .filter(|f| f.severity == tools::Severity::Fail);
    for f in fails {
        writeln!(
            ctx.out,
            "  {}: {}",
            engine::severity_name(f.severity),
            f.message
        )?;
        if let Some(hint) = &f.hint {
            writeln!(ctx.out, "    hint: {hint}")?;
        }
    }
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
    if let Some(dir) = &args.project {
        return remove_project(args, dir, &opts, mode, ctx);
    }
    let mut status = ExitStatus::Success;
    for tool in chosen {
        status = worst(status, remove_one(tool, &opts, mode, &|_| Ok(()), ctx)?);
    }
    Ok(status)
}

/// Takes byok's settings out of one tool's files; `adjust` adds to the plan.
fn remove_one(
    tool: &dyn Tool,
    opts: &SetupOptions,
    mode: Mode,
    adjust: Adjust<'_>,
    ctx: &mut Ctx<'_>,
) -> Result<ExitStatus> {
    let env = ctx.env;
    let cur = engine::gather_tool(env, tool)?;
    // Without a record byok never set the tool up (or already removed or restored
    // it): what looks like byok's settings is the user's own, so nothing goes.
    let mut plan = tool.remove(env, opts, &cur)?;
    plan::dedupe(env, &mut plan)?;
    match engine::owned_record(env, tool)? {
        None => plan = Plan::default(),
        Some(record) => give_back_blank_files(&mut plan, &record),
    }
    adjust(&mut plan)?;
    let notes = given_back_notes(env, tool, &cur, &plan);
    plan.notes.splice(0..0, notes);
    writeln!(ctx.out, "{}", tool.name())?;
    if plan.is_up_to_date() {
        writeln!(ctx.out, "  nothing of byok's to remove")?;
        forget(env, tool, opts, &cur, &plan)?;
        return Ok(ExitStatus::Success);
    }
    match show_and_confirm(&plan, mode, "Remove byok's settings?", ctx)? {
        Decision::Shown => {}
        Decision::Declined => return Ok(ExitStatus::Failure),
        Decision::Apply => {
            let verbs: Vec<&str> = plan.effective().map(verb).collect();
            for (a, v) in plan::apply(env, &plan, tool.id().as_str(), "-")?
                .iter()
                .zip(verbs)
            {
                writeln!(ctx.out, "  {v}d {}", a.label)?;
            }
            forget(env, tool, opts, &cur, &plan)?;
        }
    }
    print_notes(&plan, ctx)?;
    Ok(ExitStatus::Success)
}

/// After a removal, the drift record forgets the tool, or with `--host` only what the
/// removal took out (the other hosts stay byok's).
fn forget(
    env: &crate::env::Env,
    tool: &dyn Tool,
    opts: &SetupOptions,
    cur: &tools::Current,
    plan: &Plan,
) -> Result<()> {
    let mut records = engine::Records::load(env)?;
    let changed = match tool.removed_part(env, opts, cur, plan) {
        Some(part) => records.forget_part(tool, &part),
        None => records.record(env, tool, None, cur),
    };
    if changed {
        records.save(env)?;
    }
    Ok(())
}

/// A file the user had blank is emptied of byok's settings, not deleted: its bytes come
/// back as they were.
fn give_back_blank_files(plan: &mut Plan, record: &engine::OwnedRecord) {
    for c in &mut plan.changes {
        if c.target == plan::Target::File
            && c.after.is_none()
            && let Some(text) = record.blank.get(&c.path.display().to_string())
        {
            c.after = Some(text.clone());
        }
    }
}

/// "puts back your earlier …" for each recorded user value the removal writes back.
fn given_back_notes(
    env: &crate::env::Env,
    tool: &dyn Tool,
    cur: &tools::Current,
    plan: &Plan,
) -> Vec<String> {
    if cur.prior.is_empty() {
        return Vec::new();
    }
    type Values = std::collections::BTreeMap<String, Option<String>>;
    let after = engine::project(cur, plan);
    let was: Values = tool.restorable(env, cur).into_iter().collect();
    let now: Values = tool.restorable(env, &after).into_iter().collect();
    let owned: Values = tool.owned(env, &after).into_iter().collect();
    // Only values the removal changes back; one byok kept as it was needs no mention.
    cur.prior
        .iter()
        .filter(|(label, v)| {
            let v = Some((*v).clone());
            now.get(*label) == Some(&v) && was.get(*label) != Some(&v)
        })
        .map(|(label, _)| {
            let value = owned.get(label).cloned().flatten().unwrap_or_default();
            format!(
                "puts back your earlier {label} ({})",
                engine::shown_value(label, &value)
            )
        })
        .collect()
}

/// The project directory and tools of `--project [DIR] TOOL…`: a DIR that is no
/// directory but names a tool is the first tool (clap can't tell them apart).
fn project_args(
    ctx: &Ctx<'_>,
    dir: &str,
    tools: &[String],
) -> Result<(PathBuf, Vec<&'static dyn Tool>)> {
    let env = ctx.env;
    let registry = tools::registry(env);
    let mut ids: Vec<&str> = tools.iter().map(String::as_str).collect();
    let given = env.cwd.join(dir);
    let dir = if !dir.is_empty() && !given.is_dir() && registry.find(dir).is_ok() {
        ids.insert(0, dir);
        env.cwd.clone()
    } else {
        given
    };
    let dir = std::fs::canonicalize(&dir).map_err(|e| {
        UserError::new(format!("project directory {}: {e}", dir.display()))
            .hint("name an existing directory: `byok setup --project DIR TOOL`")
    })?;
    if ids.is_empty() {
        return Err(UserError::new("`--project` needs the tools to set up")
            .hint("e.g. `byok setup --project . claude-code`")
            .into());
    }
    let mut out: Vec<&'static dyn Tool> = Vec::new();
    for id in ids {
        let tool = registry.find(id)?;
        if tool.template().is_none_or(|t| t.project.is_none()) {
            let with: Vec<&str> = registry
                .tools
                .iter()
                .filter(|t| t.template().is_some_and(|t| t.project.is_some()))
                .map(|t| t.id().as_str())
                .collect();
            let run = if tool.template().is_some_and(|t| t.run.is_some()) {
                format!(
                    ", or `byok run {}` for one run on a profile",
                    tool.id().as_str()
                )
            } else {
                String::new()
            };
            return Err(UserError::new(format!(
                "byok knows no project-level file of {} that can give a project its own gateway",
                tool.name()
            ))
            .hint(format!(
                "project files: {}; for {} use `byok setup {}` (user scope){run}",
                with.join(", "),
                tool.name(),
                tool.id().as_str()
            ))
            .into());
        }
        if !out.iter().any(|t| t.id() == tool.id()) {
            out.push(tool);
        }
    }
    Ok((dir, out))
}

/// The engine tool for a template's `[project]` file in `dir`, recorded under
/// `<id>@<dir>` so `remove --project` finds it.
fn project_tool(
    ctx: &Ctx<'_>,
    tool: &dyn Tool,
    dir: &std::path::Path,
    form: KeyModeName,
    drop_key: bool,
) -> Option<tools::generic::TemplateTool> {
    let t = tool.template()?;
    let mut derived = project::derive(t, dir, form, drop_key)?;
    derived.name = format!("{} (project {})", t.name, ctx.env.tilde(dir));
    let id = tools::ToolId::leak(&engine::project_record_id(&t.id, dir));
    Some(tools::generic::TemplateTool::new(
        crate::templates::Loaded {
            template: derived,
            source: tool
                .source()
                .cloned()
                .unwrap_or(crate::templates::Source::Builtin("templates")),
        },
        id,
        None,
    ))
}

/// The `.git/info/exclude` path and byok's line in it for `path`, when `dir` is in a
/// git work tree.
fn exclude_of(dir: &std::path::Path, path: &std::path::Path) -> Option<(PathBuf, String)> {
    let (git, root) = project::git_dir(dir)?;
    let line = project::exclude_line(&root, path)?;
    Some((git.join("info").join("exclude"), line))
}

/// `byok setup --project [DIR] TOOL…`: each tool's project-level file, with a key
/// reference or key command (never the key), kept out of git.
fn setup_project(
    args: &SetupArgs,
    dir: &str,
    gw: &Gateway,
    mode: Mode,
    ctx: &mut Ctx<'_>,
) -> Result<ExitStatus> {
    let (dir, chosen) = project_args(ctx, dir, &args.tools)?;
    let env_profile = matches!(gw.key, KeySource::Env { .. });
    let git = ctx.env.find_on_path("git");
    let mut status = ExitStatus::Success;
    for tool in chosen {
        let env = ctx.env;
        let Some(t) = tool.template() else { continue };
        let Some(spec) = t.project.as_ref() else {
            continue;
        };
        let (form, drop_key) = project::key_form(t, env_profile).map_err(|m| {
            UserError::new(m).hint(format!(
                "`byok setup {}` sets {} up for your user instead",
                t.id, t.name
            ))
        })?;
        let path = project::file_path(spec, &dir);
        let shown = env.tilde(&path);
        let mut notes = Vec::new();
        let exclude = exclude_of(&dir, &path);
        if let Some((_, root)) = project::git_dir(&dir) {
            match &git {
                Some(g) => {
                    if project::git_tracked(g, &root, &path) == Some(true) {
                        return Err(UserError::new(format!(
                            "git tracks {shown}: byok does not write its gateway settings into a file that gets committed"
                        ))
                        .hint(format!(
                            "untrack it first (`git rm --cached {}`), or set {} up for your user: `byok setup {}`",
                            path.display(),
                            t.name,
                            t.id
                        ))
                        .into());
                    }
                }
                None => notes.push(format!(
                    "git is not on PATH, so byok could not check whether git tracks {shown}"
                )),
            }
        }
        let Some(engine_tool) = project_tool(ctx, tool, &dir, form, drop_key) else {
            continue;
        };
        if drop_key && let Some(n) = &spec.key_note {
            notes.push(n.replace("{key_env}", gw.key.env_var().unwrap_or("VAR")));
        }
        let key_mode = if form == KeyModeName::Helper {
            KeyMode::Helper
        } else {
            KeyMode::Literal
        };
        let opts = engine::options(env, key_mode, None, args.show_key);
        let creates = !path.exists();
        let known = match &gw.key {
            KeySource::Literal(k) => Some(k.expose().to_string()),
            KeySource::Env { value, .. } => value.as_ref().map(|k| k.expose().to_string()),
            KeySource::Fetched(_) => None,
        };
        let adjust = |plan: &mut Plan| -> Result<()> {
            // The last line of defence: the key itself never goes into a project file.
            if let Some(k) = &known
                && plan
                    .changes
                    .iter()
                    .any(|c| c.after.as_deref().is_some_and(|a| a.contains(k.as_str())))
            {
                return Err(UserError::new(format!(
                    "{}'s project file would hold the key itself; byok refuses",
                    t.name
                ))
                .into());
            }
            if creates
                && plan.effective().next().is_some()
                && let Some((file, line)) = &exclude
            {
                let before = fs::read_optional(file)?;
                if let Some(after) = project::exclude_add(before.as_deref(), line) {
                    plan.changes
                        .push(plan::Change::file(file.clone(), before, Some(after), false));
                    plan.notes.push(format!(
                        "keeps {shown} out of git: added `{line}` to {}",
                        env.tilde(file)
                    ));
                }
            }
            plan.notes.extend(notes.iter().cloned());
            Ok(())
        };
        let done = setup_one(&engine_tool, gw, &opts, (mode, args.force), &adjust, ctx);
        status = worst(status, report(done, ctx)?);
    }
    Ok(status)
}

/// `byok remove --project [DIR] TOOL…`: byok's values out of each project file, and
/// byok's line out of `.git/info/exclude`.
fn remove_project(
    args: &RemoveArgs,
    dir: &str,
    opts: &SetupOptions,
    mode: Mode,
    ctx: &mut Ctx<'_>,
) -> Result<ExitStatus> {
    let (dir, chosen) = project_args(ctx, dir, &args.tools)?;
    let mut status = ExitStatus::Success;
    for tool in chosen {
        let Some(spec) = tool.template().and_then(|t| t.project.as_ref()) else {
            continue;
        };
        let form = KeyModeName::Env;
        let Some(engine_tool) = project_tool(ctx, tool, &dir, form, false) else {
            continue;
        };
        let path = project::file_path(spec, &dir);
        let exclude = exclude_of(&dir, &path);
        let adjust = |plan: &mut Plan| -> Result<()> {
            if let Some((file, line)) = &exclude
                && let Some(before) = fs::read_optional(file)?
                && let Some(after) = project::exclude_remove(&before, line)
            {
                plan.changes.push(plan::Change::file(
                    file.clone(),
                    Some(before),
                    Some(after),
                    false,
                ));
            }
            Ok(())
        };
        status = worst(status, remove_one(&engine_tool, opts, mode, &adjust, ctx)?);
    }
    Ok(status)
}
