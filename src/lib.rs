//! byok: point AI coding tools at your own API gateway.
//!
//! `main` builds an [`env::Env`], parses the command line and calls [`run`](fn@run); everything
//! below takes its context from there.

#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::io::Write;

pub mod base_url;
pub mod cli;
pub mod commands;
pub mod config_edit;
pub mod engine;
pub mod env;
pub mod error;
pub mod fs;
pub mod gateway;
pub mod keystore;
pub mod plan;
pub mod presets;
pub mod profile;
pub mod run;
pub mod secret;
pub mod share;
pub mod shell;
pub mod templates;
pub mod tools;

/// The command line of the `eval "$(byok env …)"` every shell start-up runs, read
/// without clap: building clap's whole command tree costs more than the rest of
/// `byok env`. Only `env` with `--shell NAME` and `--profile NAME` (each at most once,
/// as `--flag value` or `--flag=value`) is taken; anything else, including every
/// mistake and `--help`, returns `None` and goes to clap, so behaviour is clap's.
fn fast_env(args: &[OsString]) -> Option<cli::Cli> {
    let mut rest = args.get(1..)?.iter().map(|a| a.to_str());
    if rest.next()? != Some("env") {
        return None;
    }
    let (mut shell, mut profile) = (None, None);
    while let Some(arg) = rest.next() {
        let arg = arg?;
        let (flag, value) = match arg.split_once('=') {
            Some((f, v)) => (f, v),
            None => (arg, rest.next()??),
        };
        // clap reads a value that starts with `-` as another flag: leave those to it.
        if value.is_empty() || value.starts_with('-') {
            return None;
        }
        match flag {
            "--shell" if shell.is_none() => {
                shell = Some(shell::Shell::from_name(value)?);
            }
            "--profile" if profile.is_none() => profile = Some(value.to_string()),
            _ => return None,
        }
    }
    Some(cli::Cli {
        profile,
        command: Some(cli::Command::Env(cli::EnvArgs {
            shell,
            install: false,
            uninstall: false,
            unset: false,
            with_key: false,
        })),
    })
}

/// Parses `args`, runs the command and returns how it ended (the exit code).
pub fn run(args: impl IntoIterator<Item = OsString>, env: &env::Env) -> error::ExitStatus {
    let interactive = env.stdin_tty && env.stderr_tty;
    let args: Vec<OsString> = args.into_iter().collect();
    let parsed = match fast_env(&args) {
        Some(cli) => Ok(cli),
        None => cli::parse(args, interactive),
    };
    let cli = match parsed {
        Ok(c) => c,
        // Help and version go to stdout as clap prints them.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return error::ExitStatus::Success;
        }
        // Usage errors echo what was typed (`invalid value 'sk-…'`): print them masked.
        Err(e) => {
            commands::register_known_keys(env);
            let text = error::sanitize(&e.render().to_string());
            let _ = std::io::stderr().write_all(text.as_bytes());
            return error::ExitStatus::Error;
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
        Ok(status) => status,
        Err(e) if error::is_broken_pipe(&e) => error::ExitStatus::Success,
        Err(e) => {
            // `byok env` skips registering keys up front (it runs at every shell start).
            commands::register_known_keys(env);
            let (text, status) = error::render(&e);
            let _ = err.write_all(text.as_bytes());
            status
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<OsString> {
        line.split(' ').map(OsString::from).collect()
    }

    #[test]
    fn shell_names_are_clap_names() {
        use clap::ValueEnum;
        assert_eq!(shell::Shell::ALL.as_slice(), shell::Shell::value_variants());
        for sh in shell::Shell::ALL {
            let clap_name = sh.to_possible_value().unwrap();
            assert_eq!(shell::Shell::from_name(clap_name.get_name()), Some(sh));
        }
        assert_eq!(shell::Shell::from_name("Bash"), None);
    }

    #[test]
    fn the_env_fast_path_agrees_with_clap_or_steps_aside() {
        for line in [
            "byok env",
            "byok env --shell bash",
            "byok env --shell=fish --profile work",
            "byok env --profile=a=b --shell nu",
        ] {
            let fast = fast_env(&args(line)).unwrap_or_else(|| panic!("{line}: not taken"));
            let clap = cli::parse(args(line), false).unwrap();
            assert_eq!(format!("{fast:?}"), format!("{clap:?}"), "{line}");
        }
        // Help, mistakes, repeats and the rarer flags are clap's.
        for line in [
            "byok",
            "byok env --help",
            "byok env -h",
            "byok env --shell",
            "byok env --shell bsh",
            "byok env --shell=",
            "byok env --shell bash --shell zsh",
            "byok env --profile --shell",
            "byok env --profile=-x",
            "byok env --unset",
            "byok env --install --shell bash",
            "byok env extra",
            "byok --profile p env",
            "byok env -- --shell",
            "byok environment",
        ] {
            assert!(fast_env(&args(line)).is_none(), "{line}");
        }
    }
}
