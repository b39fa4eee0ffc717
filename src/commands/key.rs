//! `byok key set | show | test | rotate`: a profile's key and where it lives (byok's
//! config file, an environment variable, the OS credential store or a command).
//!
//! Rotation is one step: the tools that hold a copy of the key are planned with the new
//! one, shown masked, confirmed once, written, and only then is the new key stored; a
//! failure anywhere puts every file back and keeps the old key.

use std::time::Duration;

use anyhow::Result;

use super::Ctx;
use super::{init, setup, step};
use crate::cli::{KeyArgs, KeyCommand, StepArgs};
use crate::error::{ExitStatus, UserError};
use crate::fs;
use crate::keystore::{self, Store};
use crate::plan::Plan;
use crate::profile::{self, ConfigFile, Gateway, KeySource, Profile};

/// Runs `byok key …`.
pub fn run(cmd: &KeyCommand, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    match cmd {
        KeyCommand::Set(keys) => set(keys, ctx),
        KeyCommand::Show => show(ctx),
        KeyCommand::Test => test(ctx),
        KeyCommand::Rotate {
            keys,
            step,
            no_check,
        } => rotate(keys, step, *no_check, ctx),
    }
}

/// The profile the command works on, as stored.
fn stored(ctx: &Ctx<'_>) -> Result<(ConfigFile, String, Profile)> {
    let cfg = profile::load(ctx.env)?;
    let name = profile::active_name(ctx.env, &cfg, ctx.profile.as_deref())
        .ok_or_else(|| UserError::new("no gateway profile yet").hint("run `byok init` first"))?;
    let Some(p) = cfg.profiles.get(&name).cloned() else {
        return Err(UserError::new(format!("no profile named `{name}`"))
            .hint("see `byok profile list`")
            .into());
    };
    Ok((cfg, name, p))
}

/// The store a `set`/`rotate` writes to: the flags' choice, or, when only a key is given
/// (or asked for), where the profile keeps its key now if that store holds keys.
fn target_store(keys: &KeyArgs, old: &Profile) -> Result<Store> {
    if keys.key_store.is_none() && keys.key_env.is_none() && keys.key_command.is_none() {
        return Ok(if old.api_key_keychain {
            Store::Keychain
        } else {
            Store::File
        });
    }
    init::key_store(keys)
}

/// The profile with its key moved to `store`, and where the key now comes from.
fn with_key(
    ctx: &mut Ctx<'_>,
    keys: &KeyArgs,
    old: &Profile,
) -> Result<(Profile, KeySource, Store)> {
    if !ctx.interactive
        && keys.key.is_none()
        && keys.key_env.is_none()
        && keys.key_command.is_none()
    {
        return Err(UserError::new(
            "no new key given (stdin is not a terminal, so byok can't ask)",
        )
        .hint("pass --key KEY, --key-env VAR or --key-command COMMAND")
        .into());
    }
    let store = target_store(keys, old)?;
    let key = init::read_key(keys, store, ctx)?;
    let mut p = Profile {
        api_key: None,
        api_key_env: key.env_var().map(str::to_string),
        api_key_command: keys.key_command.clone(),
        api_key_keychain: false,
        ..old.clone()
    };
    match (&key, store) {
        (KeySource::Literal(_), Store::Keychain) => p.api_key_keychain = true,
        (KeySource::Literal(k), _) => p.api_key = Some(k.expose().to_string()),
        _ => {}
    }
    Ok((p, key, store))
}

/// Stores the key where `p` says it lives, and the profile; an old credential-store
/// entry that is no longer used is deleted afterwards.
fn save(ctx: &Ctx<'_>, name: &str, p: &Profile, key: &KeySource, old: &Profile) -> Result<()> {
    let keychain = keystore::keychain(ctx.env);
    if let (true, KeySource::Literal(k)) = (p.api_key_keychain, key) {
        keychain.set(name, k.expose())?;
    }
    let opts = profile::SaveOptions {
        replace: true,
        make_default: false,
    };
    profile::save_profile(ctx.env, name, p, opts)?;
    if old.api_key_keychain && !p.api_key_keychain {
        keychain.delete(name)?;
    }
    Ok(())
}

/// Where a key lives, in words.
fn place(ctx: &Ctx<'_>, key: &KeySource, store: Store) -> String {
    match (key, store) {
        (KeySource::Literal(_), Store::Keychain) => keystore::keychain(ctx.env).describe(),
        (KeySource::Literal(_), _) => format!(
            "{} (mode 0600)",
            ctx.env.tilde(&profile::config_path(ctx.env))
        ),
        (KeySource::Env { var, .. }, _) => format!("${var}"),
        (KeySource::Fetched(f), _) => f.describe(),
    }
}

fn set(keys: &KeyArgs, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let (_, name, old) = stored(ctx)?;
    let (p, key, store) = with_key(ctx, keys, &old)?;
    save(ctx, &name, &p, &key, &old)?;
    let shown = match &key {
        KeySource::Literal(k) => format!("{} ", k.masked()),
        _ => String::new(),
    };
    writeln!(
        ctx.out,
        "Profile `{name}`: key {shown}now in {}",
        place(ctx, &key, store)
    )?;
    writeln!(
        ctx.out,
        "Tools holding a copy of the old key keep it: `byok key rotate` rewrites them too."
    )?;
    Ok(ExitStatus::Success)
}

fn show(ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let cfg = profile::load(ctx.env)?;
    let gw = profile::resolve_stored(ctx.env, &cfg, ctx.profile.as_deref())?;
    let key = gw.require_key()?;
    let from = match &gw.key {
        KeySource::Literal(_) => format!(
            "{} (mode 0600)",
            ctx.env.tilde(&profile::config_path(ctx.env))
        ),
        KeySource::Env { var, .. } => format!("${var}"),
        KeySource::Fetched(f) => f.describe(),
    };
    writeln!(
        ctx.out,
        "profile  {}\nkey      {}\nfrom     {from}",
        gw.name,
        key.masked()
    )?;
    Ok(ExitStatus::Success)
}

/// GET /models with the key; the line to print, or the error.
fn check(ctx: &Ctx<'_>, gw: &Gateway) -> Result<String> {
    let cfg = profile::load(ctx.env)?;
    let headers = profile::request_headers(ctx.env, cfg.profiles.get(&gw.name))?;
    let client = crate::gateway::client_with(ctx.env, Duration::from_secs(15), &headers)?;
    let models = crate::gateway::list_models(&client, gw)?;
    let n = models.len();
    Ok(format!(
        "the gateway accepted the key: GET {}/models answered with {n} model{}",
        gw.openai_base,
        if n == 1 { "" } else { "s" }
    ))
}

fn test(ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let cfg = profile::load(ctx.env)?;
    let gw = profile::resolve(ctx.env, &cfg, ctx.profile.as_deref())?;
    gw.require_key()?;
    match check(ctx, &gw) {
        Ok(line) => {
            writeln!(ctx.out, "ok: {line}")?;
            Ok(ExitStatus::Success)
        }
        Err(e) => Err(UserError::new(format!("the key check failed: {e:#}"))
            .hint("`byok doctor` explains more; `byok key set` changes the key")
            .failure()
            .into()),
    }
}

fn rotate(
    keys: &KeyArgs,
    args: &StepArgs,
    no_check: bool,
    ctx: &mut Ctx<'_>,
) -> Result<ExitStatus> {
    let mode = setup::mode(ctx, args.dry_run, args.yes, args.diff, "key rotate")?;
    let (_, name, old) = stored(ctx)?;
    let (p, key, store) = with_key(ctx, keys, &old)?;
    let gw = profile::from_profile(name.clone(), &p, key.clone())?;
    let _lock = (mode != setup::Mode::DryRun)
        .then(|| fs::Lock::acquire(ctx.env))
        .transpose()?;
    let mut wanted = Vec::new();
    for (tool, record) in step::set_up_tools(ctx)? {
        if record.profile == name {
            let opts = step::options_of(ctx, &record);
            wanted.push((tool, gw.clone(), opts));
        }
    }
    let items = step::plan(ctx, wanted, args.force, "key rotate")?;
    let question = if items.is_empty() {
        format!("Store the new key for profile `{name}`?")
    } else {
        let names: Vec<&str> = items.iter().map(|i| i.tool.name()).collect();
        format!(
            "Store the new key for profile `{name}` and rewrite {}?",
            names.join(", ")
        )
    };
    if !step::confirm(ctx, &items, mode, &question, &Plan::default())? {
        return Ok(if mode == setup::Mode::DryRun {
            ExitStatus::Success
        } else {
            ExitStatus::Failure
        });
    }
    let status = step::apply(ctx, &items, &Plan::default(), |ctx| {
        save(ctx, &name, &p, &key, &old)
    })?;
    writeln!(
        ctx.out,
        "Rotated the key of profile `{name}`: now in {}; {} rewritten.",
        place(ctx, &key, store),
        match items.len() {
            0 => "no tool held a copy".to_string(),
            1 => "1 tool".to_string(),
            n => format!("{n} tools"),
        }
    )?;
    if no_check {
        return Ok(status);
    }
    match check(ctx, &gw) {
        Ok(line) => {
            writeln!(ctx.out, "check: {line}")?;
            Ok(status)
        }
        Err(e) => {
            ctx.warn(&format!("check: {e:#}"))?;
            ctx.note("the new key is stored; `byok doctor` explains more, `byok key rotate` again replaces it")?;
            Ok(ExitStatus::Failure)
        }
    }
}
