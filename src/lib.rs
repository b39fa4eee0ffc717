//! byok: point AI coding tools at your own API gateway.
//!
//! `main` builds an [`env::Env`], parses the command line and calls [`run`]; everything
//! below takes its context from there.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

pub mod base_url;
pub mod cli;
pub mod commands;
pub mod config_edit;
pub mod engine;
pub mod env;
pub mod error;
pub mod fs;
pub mod gateway;
pub mod plan;
pub mod profile;
pub mod secret;
pub mod shell;
pub mod templates;
pub mod tools;

/// Parses `args`, runs the command and returns the process exit code.
pub fn run(args: impl IntoIterator<Item = OsString>, env: &env::Env) -> ExitCode {
    let interactive = env.stdin_tty && env.stderr_tty;
    let cli = match cli::parse(args, interactive) {
        Ok(c) => c,
        // Help and version go to stdout as clap prints them.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        // Usage errors echo what was typed (`invalid value 'sk-…'`): print them masked.
        Err(e) => {
            commands::register_known_keys(env);
            let text = error::sanitize(&e.render().to_string());
            let _ = std::io::stderr().write_all(text.as_bytes());
            return ExitCode::from(2);
        }
    };
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = stdout.lock();
    let mut err = stderr.lock();
    let mut ctx = commands::Ctx {
        env,
        out: &mut out,
        err: &mut err,
        interactive,
        profile: None,
    };
    let result = commands::dispatch(cli, &mut ctx).and_then(|s| {
        ctx.out.flush()?;
        Ok(s)
    });
    match result {
        Ok(status) => status.into(),
        Err(e) if error::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // `byok env` skips registering keys up front (it runs at every shell start).
            commands::register_known_keys(env);
            let (text, status) = error::render(&e);
            let _ = err.write_all(text.as_bytes());
            status.into()
        }
    }
}
