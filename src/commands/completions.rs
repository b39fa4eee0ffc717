//! `byok completions`: shell completion scripts from the clap tree.

use anyhow::Result;
use clap::CommandFactory;

use super::Ctx;
use crate::cli::{Cli, CompletionsArgs};
use crate::error::ExitStatus;

/// Prints the completion script for the requested shell.
pub fn run(args: &CompletionsArgs, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "byok", ctx.out);
    Ok(ExitStatus::Success)
}
