//! `byok profile list|show|use|remove` and the hidden `byok print-key`.

use anyhow::Result;

use super::Ctx;
use crate::cli::ProfileCommand;
use crate::error::{ExitStatus, UserError};
use crate::profile::{self, KeySource};

/// Runs a profile subcommand.
pub fn run(cmd: &ProfileCommand, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let cfg = profile::load(ctx.env)?;
    match cmd {
        ProfileCommand::List => {
            if cfg.profiles.is_empty() {
                writeln!(ctx.err, "no profiles yet; run `byok init`")?;
            }
            let active = profile::active_name(ctx.env, &cfg, ctx.profile.as_deref());
            for (name, p) in &cfg.profiles {
                let mark = if cfg.default.as_deref() == Some(name) {
                    "*"
                } else {
                    " "
                };
                let base = p.base_url.as_str();
                let act = if active.as_deref() == Some(name) && cfg.default.as_deref() != Some(name)
                {
                    " (active)"
                } else {
                    ""
                };
                writeln!(ctx.out, "{mark} {name:<16} {base}{act}")?;
            }
        }
        ProfileCommand::Show { name } => {
            let flag = name.as_deref().or(ctx.profile.as_deref());
            let gw = profile::resolve(ctx.env, &cfg, flag)?;
            let key = match &gw.key {
                KeySource::Literal(k) => k.masked(),
                KeySource::Env {
                    var,
                    value: Some(k),
                } => format!("${var} (now {})", k.masked()),
                KeySource::Env { var, value: None } => format!("${var} (not set in this shell)"),
            };
            let rows = [
                ("profile", gw.name.clone()),
                ("base_url", gw.base.root().to_string()),
                ("openai", gw.openai_base.clone()),
                ("anthropic", gw.anthropic_base.clone()),
                ("key", key),
                ("model", gw.model.clone().unwrap_or_else(|| "-".into())),
                (
                    "anthropic_model",
                    gw.anthropic_model.clone().unwrap_or_else(|| "-".into()),
                ),
                (
                    "small_model",
                    gw.small_model.clone().unwrap_or_else(|| "-".into()),
                ),
                ("anthropic_auth", gw.anthropic_auth.as_str().to_string()),
            ];
            for (k, v) in rows {
                writeln!(ctx.out, "{k:<16} {v}")?;
            }
        }
        ProfileCommand::Use { name } => {
            require(&cfg, name)?;
            profile::set_default(ctx.env, name)?;
            writeln!(ctx.out, "default profile is now `{name}`")?;
        }
        ProfileCommand::Remove { name } => {
            require(&cfg, name)?;
            profile::remove_profile(ctx.env, name)?;
            writeln!(ctx.out, "removed profile `{name}`")?;
            if cfg.default.as_deref() == Some(name.as_str()) && cfg.profiles.len() > 1 {
                writeln!(
                    ctx.err,
                    "there is no default profile now; pick one with `byok profile use NAME`"
                )?;
            }
        }
    }
    Ok(ExitStatus::Success)
}

fn require(cfg: &profile::ConfigFile, name: &str) -> Result<()> {
    if cfg.profiles.contains_key(name) {
        return Ok(());
    }
    let known: Vec<&str> = cfg.profiles.keys().map(String::as_str).collect();
    Err(UserError::new(format!("no profile named `{name}`"))
        .hint(if known.is_empty() {
            "run `byok init`".to_string()
        } else {
            format!("known profiles: {}", known.join(", "))
        })
        .into())
}

/// Prints the active profile's key, for tools that run a command to get it.
pub fn print_key(ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let cfg = profile::load(ctx.env)?;
    let gw = profile::resolve(ctx.env, &cfg, ctx.profile.as_deref())?;
    writeln!(ctx.out, "{}", gw.require_key()?.expose())?;
    Ok(ExitStatus::Success)
}
