//! One module per subcommand; the only code that prints or prompts.

use std::io::Write;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::env::Env;
use crate::error::ExitStatus;

mod completions;
mod demo;
mod detect;
mod doctor;
mod env;
mod guide;
mod init;
mod key;
mod profile;
mod prompt;
mod restore;
mod run;
mod setup;
mod step;
mod switch;
mod templates;

/// What every command works with: the context, the output streams, whether it may prompt.
pub struct Ctx<'a> {
    /// The resolved context.
    pub env: &'a Env,
    /// Standard output (the command's product).
    pub out: &'a mut dyn Write,
    /// Standard error (progress, warnings, notes).
    pub err: &'a mut dyn Write,
    /// Prompts are allowed (stdin and stderr are terminals).
    pub interactive: bool,
    /// The global `--profile` flag.
    pub profile: Option<String>,
}

impl Ctx<'_> {
    /// Prints a warning to stderr, with keys masked.
    pub fn warn(&mut self, text: &str) -> Result<()> {
        writeln!(self.err, "warning: {}", crate::secret::redact(text))?;
        Ok(())
    }

    /// Prints a note to stderr, with keys masked.
    pub fn note(&mut self, text: &str) -> Result<()> {
        writeln!(self.err, "{}", crate::secret::redact(text))?;
        Ok(())
    }
}

/// Registers the keys (and credential headers) of every profile in byok's config, and of
/// `BYOK_API_KEY`, so that whatever a command prints masks them in every form, even a key
/// of another profile still written in a tool's file (`byok remove` never resolves a
/// profile). A config that cannot be read is skipped here; the command itself reports it.
pub fn register_known_keys(env: &Env) {
    if let Ok(cfg) = crate::profile::load(env) {
        for p in cfg.profiles.values() {
            if let Some(k) = &p.api_key {
                crate::secret::register(k.trim());
            }
            if let Some(k) = p.api_key_env.as_deref().and_then(|var| env.var(var)) {
                crate::secret::register(k.trim());
            }
            // A credential header (Portkey's key) is masked like a key.
            for (name, value) in &p.headers {
                if !crate::profile::is_secret_header(name) {
                    continue;
                }
                match crate::profile::header_env(value) {
                    Some(var) => {
                        if let Some(v) = env.var(var) {
                            crate::secret::register(v.trim());
                        }
                    }
                    None => crate::secret::register(value.trim()),
                }
            }
        }
    }
    if let Some(k) = env.var(crate::env::BYOK_API_KEY) {
        crate::secret::register(k.trim());
    }
}

/// `env` with the working directory moved to `dir` (`--project DIR`), for commands that
/// look at a project's files; `None` without a directory.
fn in_project(env: &Env, dir: Option<&str>) -> Result<Option<Env>> {
    let Some(dir) = dir else {
        return Ok(None);
    };
    let given = env.cwd.join(dir);
    let cwd = std::fs::canonicalize(&given).map_err(|e| {
        crate::error::UserError::new(format!("project directory {}: {e}", given.display()))
            .hint("name an existing directory: `--project DIR`")
    })?;
    if !cwd.is_dir() {
        return Err(crate::error::UserError::new(format!(
            "project directory {} is not a directory",
            given.display()
        ))
        .hint("name an existing directory: `--project DIR`")
        .into());
    }
    let mut moved = env.clone();
    moved.cwd = cwd;
    Ok(Some(moved))
}

/// Finishes or undoes a step a crash interrupted (see [`crate::fs::Batch`]) before a
/// command reads what byok recorded, and says which.
fn recover(ctx: &mut Ctx<'_>) -> Result<()> {
    match crate::fs::recover(ctx.env)? {
        None => {}
        Some(crate::fs::Recovered::Finished) => {
            ctx.note("byok: finished recording a change that was interrupted (every file had been written)")?;
        }
        Some(crate::fs::Recovered::Undone(left)) if left.is_empty() => {
            ctx.note("byok: undid a change that was interrupted: every file it had written is back as it was")?;
        }
        Some(crate::fs::Recovered::Undone(left)) => ctx.warn(&format!(
            "undid a change that was interrupted, except: {}; `byok restore --list` shows every backup",
            left.join("; ")
        ))?,
    }
    Ok(())
}

/// Runs the parsed command.
pub fn dispatch(cli: Cli, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    ctx.profile = cli.profile.clone();
    // `byok env` runs at every shell start and prints the key on purpose: no extra work.
    if !matches!(
        cli.command,
        Some(Command::Env(_) | Command::PrintKey | Command::Completions(_))
    ) {
        register_known_keys(ctx.env);
        recover(ctx)?;
    }
    // `cli::parse` leaves the command out only for a person at a terminal.
    let Some(command) = cli.command else {
        return guide::run(ctx);
    };
    match command {
        Command::Init(args) => init::run(&args, ctx),
        Command::Profile(cmd) => profile::run(&cmd, ctx),
        Command::Env(args) => env::run(&args, ctx),
        Command::Completions(args) => completions::run(&args, ctx),
        Command::PrintKey => profile::print_key(ctx),
        Command::Detect(args) => detect::run(&args, ctx),
        Command::Setup(args) => setup::run(&args, ctx),
        Command::Remove(args) => setup::remove(&args, ctx),
        Command::Restore(args) => restore::run(&args, ctx),
        Command::Run(args) => run::run(&args, ctx),
        Command::Doctor(args) => doctor::run(&args, ctx),
        Command::Demo(args) => demo::run(&args, ctx),
        Command::Templates(cmd) => templates::run(&cmd, ctx),
        Command::Use(args) => switch::run(&args, ctx),
        Command::Key(cmd) => key::run(&cmd, ctx),
    }
}
