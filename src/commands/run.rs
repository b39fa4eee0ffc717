//! `byok run [--profile P] TOOL [-- ARGS…]`: starts one tool on a profile for that
//! process only, by the tool's own one-process override (`[run]` in its template:
//! variables, arguments, a freshly rendered settings file); the user's files are not
//! written. `--print` shows the same as a line to copy.
//!
//! On Unix the tool replaces byok (exec) when nothing needs cleaning up afterwards;
//! with a temporary file byok starts the tool, forwards SIGTERM and SIGHUP (and SIGINT
//! when it did not come from the terminal, which already sent it to the tool), waits,
//! removes the private temporary directory and ends with the tool's exit code (128 +
//! the signal when it was killed). A directory left by a byok that was itself killed
//! (SIGKILL leaves no chance to clean up) goes at the next `byok run`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use super::Ctx;
use crate::cli::RunArgs;
use crate::engine;
use crate::error::{ExitStatus, UserError};
use crate::fs;
use crate::profile::{self, Gateway, KeySource};
use crate::run::{self, KeyShown, Planned, Problem, Setting};
use crate::secret::ApiKey;
use crate::templates::{KeyModeName, Loaded, RUN_FILE, Source, Template};
use crate::tools::{self, KeyMode, Tool, generic::TemplateTool};

/// Stands for the key in a plan made for `--print`; each place it lands becomes a
/// reference to the key's variable or the masked key.
const SENTINEL: &str = "BYOKRUNKEY7f3a9c";

/// Starts the tool, or prints the line that would.
pub fn run(args: &RunArgs, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let env = ctx.env;
    let tool = tools::registry(env).find(&args.tool)?;
    let Some(t) = tool.template().filter(|t| t.run.is_some()) else {
        return Err(no_override(tool, &args.tool));
    };
    let cfg = profile::load(env)?;
    let gw = profile::resolve(env, &cfg, ctx.profile.as_deref())?;
    let helper = t
        .run
        .as_ref()
        .is_some_and(|r| r.key_mode == Some(KeyModeName::Helper));
    let engine_tool = TemplateTool::new(
        Loaded {
            template: t.clone(),
            source: tool
                .source()
                .cloned()
                .unwrap_or(Source::Builtin("templates")),
        },
        tool.id(),
        t.hook.as_deref().and_then(tools::hook_named),
    );
    let form = match (helper, &gw.key) {
        (true, _) => KeyModeName::Helper,
        (_, KeySource::Env { .. }) => KeyModeName::Env,
        _ => KeyModeName::Literal,
    };
    if args.print {
        return print(args, ctx, t, &engine_tool, &gw, form);
    }
    let dir = if uses_temp_file(t) {
        Some(temp_dir(ctx)?)
    } else {
        None
    };
    let dir_path = dir
        .as_ref()
        .map_or_else(PathBuf::new, |d| d.path().to_path_buf());
    let planned = plan(ctx, t, &engine_tool, &gw, form, &dir_path, &args.tool)?;
    for (name, content) in &planned.files {
        fs::write_atomic(&dir_path.join(name), content.as_bytes(), fs::Mode::Secret)?;
    }
    let program = env.find_on_path(&planned.program).ok_or_else(|| {
        UserError::new(format!(
            "`{}` ({}) is not on PATH",
            planned.program,
            tool.name()
        ))
        .hint(format!(
            "install {} or add its directory to PATH, then run `byok run {}` again",
            tool.name(),
            args.tool
        ))
    })?;
    let mut cmd = command(ctx, &program, &planned, &args.args);
    ctx.out.flush()?;
    let Some(dir) = dir else {
        return exec(&mut cmd, &program);
    };
    let forward_int = !env.stdin_tty;
    let status =
        wait(&mut cmd, forward_int).with_context(|| format!("could not run {}", program.display()));
    // The temporary directory goes whatever happened to the tool.
    let removed = dir.close();
    let status = status?;
    if let Err(e) = removed {
        ctx.warn(&format!(
            "could not remove the temporary directory {}: {e}",
            dir_path.display()
        ))?;
    }
    Ok(exit_status(status))
}

/// The error for a tool whose template has no `[run]`.
fn no_override(tool: &dyn Tool, id: &str) -> anyhow::Error {
    UserError::new(format!(
        "{} has no one-process override; use `byok setup {id}` (or `byok env` for env-driven tools)",
        tool.name()
    ))
    .into()
}

/// Whether the override passes a file (`{file:ID}`), so byok must clean up after.
fn uses_temp_file(t: &Template) -> bool {
    let Some(r) = &t.run else { return false };
    r.args
        .iter()
        .map(String::as_str)
        .chain(r.env.values().filter_map(toml::Value::as_str))
        .any(|s| {
            crate::templates::run_refs(s)
                .iter()
                .any(|x| x.2 == RUN_FILE)
        })
}

/// A private (0700) temporary directory in byok's state dir, named with byok's pid so
/// that the next run deletes it should byok be killed before it could. Not the OS's
/// temp dir: Gemini CLI skips a settings file below a directory others can write to
/// (`/tmp`).
fn temp_dir(ctx: &Ctx<'_>) -> Result<tempfile::TempDir> {
    fs::private_temp_dir(&ctx.env.state_dir.join("run"), "byok-run-")
}

/// Plans the run, turning a missing profile value into a message with a next step.
fn plan(
    ctx: &Ctx<'_>,
    t: &Template,
    tool: &TemplateTool,
    gw: &Gateway,
    form: KeyModeName,
    dir: &Path,
    id: &str,
) -> Result<Planned> {
    let env = ctx.env;
    let opts = engine::options(
        env,
        if form == KeyModeName::Helper {
            KeyMode::Helper
        } else {
            KeyMode::Literal
        },
        None,
        false,
    );
    let vars = tool.run_vars(env, gw, &opts);
    let mut render = |file: &str| tool.fresh_file(env, gw, &opts, file);
    match run::plan(t, &vars, form, gw.anthropic_auth, env.os, &mut render, dir)? {
        Ok(p) => Ok(p),
        Err(Problem::NoOverride) => Err(no_override(tool, id)),
        Err(Problem::Missing(name)) => {
            let flag = match name.as_str() {
                "model" => "--model".to_string(),
                "anthropic_model" => "--anthropic-model".to_string(),
                "small_model" => "--small-model".to_string(),
                "key" | "key_env" => "--key".to_string(),
                other => format!("<{other}>"),
            };
            Err(UserError::new(format!(
                "profile `{}` has no {}, which `byok run {id}` needs",
                gw.name,
                name.replace('_', " ")
            ))
            .hint(format!(
                "add it with `byok init --name {} {flag} …`, or pick another profile with --profile",
                gw.name
            ))
            .into())
        }
        Err(Problem::Empty(file)) => Err(UserError::new(format!(
            "setup would write nothing to {}'s {file} for profile `{}`, which `byok run {id}` passes",
            tool.name(),
            gw.name
        ))
        .into()),
    }
}

/// `--print`: the one-liner. A run that needs a temporary file is byok itself.
fn print(
    args: &RunArgs,
    ctx: &mut Ctx<'_>,
    t: &Template,
    tool: &TemplateTool,
    gw: &Gateway,
    form: KeyModeName,
) -> Result<ExitStatus> {
    let sh = crate::shell::Shell::Sh;
    if uses_temp_file(t) {
        let mut line = format!(
            "{} run --profile {} {}",
            sh.quote(&ctx.env.exe_string()),
            sh.quote(&gw.name),
            args.tool
        );
        if !args.args.is_empty() {
            line.push_str(" --");
            for a in &args.args {
                line.push(' ');
                line.push_str(&sh.quote(a));
            }
        }
        writeln!(ctx.out, "{line}")?;
        return Ok(ExitStatus::Success);
    }
    let mut stand_in = gw.clone();
    stand_in.key = match &gw.key {
        KeySource::Env { var, .. } => KeySource::Env {
            var: var.clone(),
            value: Some(ApiKey::new(SENTINEL)),
        },
        _ => KeySource::Literal(ApiKey::new(SENTINEL)),
    };
    let planned = plan(ctx, t, tool, &stand_in, form, Path::new(""), &args.tool)?;
    let key = match (&gw.key, args.show_key) {
        (KeySource::Env { var, .. }, false) => KeyShown::Var(var.clone()),
        (_, true) => KeyShown::Text(
            gw.api_key()
                .map(|k| k.expose().to_string())
                .unwrap_or_default(),
        ),
        (_, false) => KeyShown::Text(gw.api_key().map_or_else(|| "…".to_string(), ApiKey::masked)),
    };
    let line = run::one_liner(&planned, &args.args, SENTINEL, &key);
    ctx.out.write_all(line.as_bytes())?;
    ctx.out.write_all(b"\n")?;
    Ok(ExitStatus::Success)
}

/// The tool's command: byok's environment without the stale variables, plus the
/// override's.
fn command(ctx: &Ctx<'_>, program: &Path, planned: &Planned, user_args: &[String]) -> Command {
    let env = ctx.env;
    let mut cmd = Command::new(program);
    cmd.args(&planned.args).args(user_args);
    cmd.env_clear().envs(env.vars());
    for name in &planned.unset {
        cmd.env_remove(name);
    }
    for (name, value) in &planned.set {
        match value {
            Setting::Text(text) => {
                cmd.env(name, text);
            }
            Setting::FromVar(var) => match env.var(var) {
                Some(v) => {
                    cmd.env(name, v);
                }
                None => {
                    cmd.env_remove(name);
                }
            },
        }
    }
    cmd
}

/// Replaces byok with the tool (Unix); elsewhere runs it and passes its code on.
#[cfg(unix)]
fn exec(cmd: &mut Command, program: &Path) -> Result<ExitStatus> {
    use std::os::unix::process::CommandExt;
    let e = cmd.exec();
    Err(anyhow::Error::new(e).context(format!("could not start {}", program.display())))
}

/// Replaces byok with the tool (Unix); elsewhere runs it and passes its code on.
#[cfg(not(unix))]
fn exec(cmd: &mut Command, program: &Path) -> Result<ExitStatus> {
    let status = cmd
        .status()
        .with_context(|| format!("could not start {}", program.display()))?;
    Ok(exit_status(status))
}

/// Starts the tool and waits for it, forwarding SIGTERM, SIGHUP and (when
/// `forward_int`) SIGINT. The signals are blocked in byok and taken with `sigwait`, so
/// byok outlives a Ctrl-C and cleans up; the child starts with an empty mask (std
/// resets it).
#[cfg(unix)]
fn wait(cmd: &mut Command, forward_int: bool) -> Result<std::process::ExitStatus> {
    use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill};
    use nix::unistd::Pid;
    let mut set = SigSet::empty();
    for s in [
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGCHLD,
    ] {
        set.add(s);
    }
    let old = set.thread_swap_mask(SigmaskHow::SIG_BLOCK)?;
    let result = (|| {
        let mut child = cmd.spawn()?;
        let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            let sig = set.wait()?;
            let forward = match sig {
                Signal::SIGCHLD => false,
                Signal::SIGINT => forward_int,
                _ => true,
            };
            if forward {
                // The child may have just exited; the next try_wait sees it.
                let _ = kill(pid, sig);
            }
        }
    })();
    old.thread_set_mask()?;
    result
}

/// Runs the tool and waits for it.
#[cfg(not(unix))]
fn wait(cmd: &mut Command, _forward_int: bool) -> Result<std::process::ExitStatus> {
    Ok(cmd.status()?)
}

/// The tool's exit status as byok's: its code, or 128 + the signal that killed it.
fn exit_status(status: std::process::ExitStatus) -> ExitStatus {
    #[cfg(unix)]
    let signal = std::os::unix::process::ExitStatusExt::signal(&status);
    #[cfg(not(unix))]
    let signal: Option<i32> = None;
    let code = status
        .code()
        .or_else(|| signal.map(|s| 128 + s))
        .unwrap_or(1);
    match code {
        0 => ExitStatus::Success,
        c => ExitStatus::Code(u8::try_from(c).unwrap_or(1)),
    }
}
