//! `byok profile list|show|use|remove` and the hidden `byok print-key`.

use anyhow::Result;

use super::Ctx;
use crate::cli::ProfileCommand;
use crate::env;
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
            let flag = name.clone().or_else(|| ctx.profile.clone());
            show(&cfg, flag.as_deref(), ctx)?;
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

/// Prints a profile's stored values, then the `BYOK_*` overrides active in this shell,
/// so a one-off `BYOK_MODEL=…` is never mistaken for what the profile holds.
fn show(cfg: &profile::ConfigFile, flag: Option<&str>, ctx: &mut Ctx<'_>) -> Result<()> {
    let env = ctx.env;
    let name = profile::active_name(env, cfg, flag);
    let is_stored = name.as_ref().is_some_and(|n| cfg.profiles.contains_key(n));
    // Without a stored profile, BYOK_BASE_URL and BYOK_API_KEY make an ad-hoc one.
    let gw = if is_stored {
        profile::resolve_stored(env, cfg, flag)?
    } else {
        profile::resolve(env, cfg, flag)?
    };
    let key = match &gw.key {
        KeySource::Literal(k) => k.masked(),
        KeySource::Env {
            var,
            value: Some(k),
        } => format!("${var} (now {})", k.masked()),
        KeySource::Env { var, value: None } => format!("${var} (not set in this shell)"),
        KeySource::Fetched(f) => format!("in {} (read when needed)", f.describe()),
    };
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let profile_row = match (is_stored, flag, env.var(env::BYOK_PROFILE)) {
        (false, _, _) => format!("{} (not stored: made from BYOK_* variables)", gw.name),
        (true, None, Some(_)) => format!("{} (selected by BYOK_PROFILE)", gw.name),
        _ => gw.name.clone(),
    };
    let active: Vec<(&str, String)> = if is_stored {
        profile::OVERRIDES
            .iter()
            .filter_map(|v| env.var(v).map(|val| (*v, val)))
            .map(|(v, val)| {
                let shown = if v == env::BYOK_API_KEY {
                    crate::secret::mask(val.trim())
                } else {
                    val.to_string()
                };
                (v, shown)
            })
            .collect()
    } else {
        Vec::new()
    };
    let mark = |var: &str| {
        if active.iter().any(|(v, _)| *v == var) {
            format!(" (overridden by {var} for this shell)")
        } else {
            String::new()
        }
    };
    let rows = [
        ("profile", profile_row),
        (
            "base_url",
            format!("{}{}", gw.base.root(), mark(env::BYOK_BASE_URL)),
        ),
        ("openai", gw.openai_base.clone()),
        ("anthropic", gw.anthropic_base.clone()),
        ("key", format!("{key}{}", mark(env::BYOK_API_KEY))),
        (
            "model",
            format!("{}{}", or_dash(&gw.model), mark(env::BYOK_MODEL)),
        ),
        ("anthropic_model", or_dash(&gw.anthropic_model)),
        ("small_model", or_dash(&gw.small_model)),
        ("anthropic_auth", gw.anthropic_auth.as_str().to_string()),
    ];
    for (k, v) in rows {
        writeln!(ctx.out, "{k:<16} {v}")?;
    }
    if !active.is_empty() {
        writeln!(
            ctx.out,
            "\noverrides in this shell (byok uses these instead of the stored values):"
        )?;
        for (var, val) in &active {
            writeln!(ctx.out, "  {var:<14} {val}")?;
        }
    }
    Ok(())
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
