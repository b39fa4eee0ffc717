//! `byok` alone on a terminal: the guided run.
//!
//! Without a profile it walks a new user through the four things byok does, reusing each
//! command's own code rather than copying it: the gateway (`init`'s questions, checked
//! at once against `GET /models`), the tools (`detect`'s table, a multi-select, then one
//! masked diff and one confirmation for all of them), the shell (`env --install`, naming
//! the file) and a check (`doctor`), ending with what is left to do by hand, tool by tool.
//! With a profile it prints a short status and the next useful actions instead.
//!
//! Each step writes only after its own confirmation, so Ctrl-C at any prompt leaves no
//! half-written file, and each step after the first can be skipped. `cli::parse` sends
//! people here only from a terminal: scripts keep clap's help and exit 2.

use std::time::Duration;

use anyhow::Result;

use super::env as env_cmd;
use super::{Ctx, detect, doctor, init, prompt, setup};
use crate::cli::{DetectArgs, DoctorArgs};
use crate::engine::{self, ToolStatus};
use crate::error::ExitStatus;
use crate::gateway::report::{Section, Severity};
use crate::profile;
use crate::shell::Shell;
use crate::tools;

/// Runs the first-run guide, or the status when a profile exists.
pub fn run(ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let cfg = profile::load(ctx.env)?;
    if cfg.profiles.is_empty() {
        first_run(ctx)
    } else {
        status(ctx)
    }
}

fn first_run(ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    writeln!(
        ctx.out,
        "Welcome to byok: it points your AI coding tools at your own API gateway.\n\
         Four steps: your gateway, your tools, your shell, a check. Nothing is written\n\
         before you say yes to a step, and Ctrl-C stops at any point.\n"
    )?;
    writeln!(ctx.out, "Step 1 of 4: your gateway")?;
    ctx.out.flush()?;
    init::guided(ctx)?;
    let gw = profile::resolve(ctx.env, &profile::load(ctx.env)?, ctx.profile.as_deref())?;

    writeln!(ctx.out, "\nStep 2 of 4: your tools")?;
    detect::run(
        &DetectArgs {
            json: false,
            project: None,
        },
        ctx,
    )?;
    ctx.out.flush()?;
    let (chosen, steps) = match setup::pick(&gw, ctx)? {
        None => {
            writeln!(ctx.out, "Skipped: no tool chosen.")?;
            (false, Vec::new())
        }
        Some(tools) if tools.is_empty() => {
            writeln!(
                ctx.out,
                "No supported tool is installed yet; run `byok setup` once you have one."
            )?;
            (false, Vec::new())
        }
        Some(tools) => (true, setup::setup_all_at_once(&tools, &gw, ctx)?.1),
    };

    writeln!(ctx.out, "\nStep 3 of 4: your shell")?;
    shell_step(ctx)?;

    writeln!(ctx.out, "\nStep 4 of 4: a check")?;
    ctx.out.flush()?;
    let checked = if prompt::confirm(
        ctx.env,
        "Run `byok doctor` now (a few tiny requests to the gateway)?",
        true,
    )? {
        Some(doctor::run(&doctor_args(), ctx)?)
    } else {
        writeln!(ctx.out, "Skipped: run `byok doctor` whenever you like.")?;
        None
    };

    manual_steps(chosen, &steps, ctx)?;
    if checked == Some(ExitStatus::Failure) {
        writeln!(
            ctx.out,
            "\nSet up, but the check found problems (✗ above, each with its fix); run `byok doctor` again once they are fixed."
        )?;
    } else {
        writeln!(
            ctx.out,
            "\nDone. Run `byok` again for a short status, `byok --help` for everything else."
        )?;
    }
    Ok(checked.unwrap_or(ExitStatus::Success))
}

/// Offers `byok env --install` for the user's shell, naming the file it changes.
fn shell_step(ctx: &mut Ctx<'_>) -> Result<()> {
    let Ok(sh) = Shell::detect(ctx.env) else {
        writeln!(
            ctx.out,
            "Skipped: byok could not tell your shell ($SHELL); `byok env --install --shell bash` (or zsh, fish, ...) does this later."
        )?;
        return Ok(());
    };
    let planned = env_cmd::plan_install(sh, ctx)?;
    if planned.is_done() {
        writeln!(ctx.out, "{} already loads byok.", planned.label)?;
        return Ok(());
    }
    writeln!(
        ctx.out,
        "`byok env --install` adds a block to {} so that new {} shells export the gateway's variables (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, ...) for tools that read them.",
        planned.label,
        sh.name()
    )?;
    ctx.out.flush()?;
    if prompt::confirm(ctx.env, &format!("Change {}?", planned.label), true)? {
        env_cmd::apply_install(sh, &planned, ctx)?;
    } else {
        writeln!(ctx.out, "Skipped: `byok env --install` does it later.")?;
    }
    Ok(())
}

/// What each chosen tool's setup leaves to the user, tool by tool.
fn manual_steps(chosen: bool, steps: &setup::ManualSteps, ctx: &mut Ctx<'_>) -> Result<()> {
    let mut any = false;
    // A tool whose files can't be read already said so in step 2 and has no entry.
    for (tool, steps) in steps.iter().filter(|(_, s)| !s.is_empty()) {
        if !any {
            writeln!(ctx.out, "\nStill to do by hand:")?;
            any = true;
        }
        writeln!(ctx.out, "{}", tool.name())?;
        for (i, step) in steps.iter().enumerate() {
            writeln!(ctx.out, "  {}. {}", i + 1, crate::secret::redact(step))?;
        }
    }
    if !any && chosen {
        writeln!(ctx.out, "\nNothing is left to do by hand.")?;
    }
    Ok(())
}

/// The guided run's doctor: every check, billed calls included, in text.
fn doctor_args() -> DoctorArgs {
    DoctorArgs {
        url: None,
        key: None,
        model: None,
        quick: false,
        json: false,
        timeout: None,
        project: None,
        live: Default::default(),
    }
}

/// `byok` with a profile: the profile, a quick gateway check, each tool's state, and
/// what to do next.
fn status(ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let env = ctx.env;
    let gw = profile::resolve(env, &profile::load(env)?, ctx.profile.as_deref())?;
    let key = gw
        .api_key()
        .map_or_else(|| "not set".to_string(), crate::secret::ApiKey::masked);
    writeln!(
        ctx.out,
        "byok: profile `{}`, gateway {}, key {key}, model {}",
        gw.name,
        gw.base.root(),
        gw.model.as_deref().unwrap_or("-")
    )?;
    ctx.out.flush()?;

    let opts = doctor::Options {
        url: None,
        key: None,
        model: None,
        quick: true,
        timeout: Duration::from_secs(10),
        spinner: prompt::shows_progress(env),
        only: None,
    };
    let report = doctor::build_report(env, ctx.profile.as_deref(), &opts)?;
    let home = env.home.display().to_string();
    let gateway_sections = [
        Section::Configuration,
        Section::Reachability,
        Section::Gateway,
    ];
    let problems: Vec<_> = report
        .checks
        .iter()
        .filter(|c| gateway_sections.contains(&c.section) && c.severity == Severity::Fail)
        .collect();
    if problems.is_empty() {
        writeln!(ctx.out, "gateway   answers (`byok doctor --quick` passed)")?;
    } else {
        for c in &problems {
            let line = format!("{}: {}", c.name, c.message);
            writeln!(
                ctx.out,
                "gateway   problem: {}",
                crate::gateway::report::scrub(&line, &home)
            )?;
        }
    }

    let mut to_set_up = Vec::new();
    writeln!(ctx.out, "tools")?;
    let survey = engine::Survey::new(env);
    for tool in tools::registry(ctx.env).tools.iter() {
        let state = match survey.inspect(*tool) {
            Ok((_, det)) if !det.installed => continue,
            Ok((cur, _)) => survey.status(*tool, Some(&gw), &cur),
            Err(e) => ToolStatus::Error(crate::error::sanitize(&format!("{e:#}"))),
        };
        if !matches!(
            state,
            ToolStatus::Configured { .. } | ToolStatus::ManualOnly
        ) {
            to_set_up.push(tool.id().as_str());
        }
        writeln!(ctx.out, "  {:<14} {}", tool.name(), state.label())?;
    }

    let mut next = Vec::new();
    if !problems.is_empty() {
        next.push("`byok doctor` explains the gateway problem and how to fix it".to_string());
    }
    if !to_set_up.is_empty() {
        next.push(format!(
            "`byok setup {}` points the tools not yet set up at the gateway (`byok setup` alone lets you pick)",
            to_set_up.join(" ")
        ));
    }
    if let Ok(sh) = Shell::detect(env)
        && let Ok(planned) = env_cmd::plan_install(sh, ctx)
        && !planned.is_done()
    {
        next.push(format!(
            "`byok env --install` loads the profile in new shells ({})",
            planned.label
        ));
    }
    if problems.is_empty() {
        next.push("`byok doctor` checks every tool end to end".to_string());
    }
    next.push(
        "`byok init --name NAME` adds another gateway profile; `byok --help` lists everything"
            .to_string(),
    );
    writeln!(ctx.out, "next")?;
    for n in next {
        writeln!(ctx.out, "  {n}")?;
    }
    Ok(if problems.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
