//! `byok profile list|show|use|remove|export|import` and the hidden `byok print-key`.
//!
//! Export and import carry a profile between teammates without its key (the format is
//! in `share.rs`); import also reads `ccswitch://` links, whose key goes to the chosen
//! store and is never printed.

use std::path::Path;

use anyhow::Result;

use super::{Ctx, init};
use crate::cli::{ImportArgs, KeyArgs, ProfileCommand};
use crate::env;
use crate::error::{ExitStatus, UserError};
use crate::fs;
use crate::keystore::{self, Store};
use crate::presets;
use crate::profile::{self, KeySource, Profile};
use crate::secret::ApiKey;
use crate::share::{self, SharedStore};

/// Runs a profile subcommand.
pub fn run(cmd: &ProfileCommand, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    if let ProfileCommand::Import(args) = cmd {
        return import(args, ctx);
    }
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
        ProfileCommand::Export { name, output } => {
            let Some(n) = name
                .clone()
                .or_else(|| profile::active_name(ctx.env, &cfg, ctx.profile.as_deref()))
            else {
                return Err(UserError::new("no profile to export")
                    .hint("run `byok init` first")
                    .into());
            };
            require(&cfg, &n)?;
            let exported = share::export(&n, &cfg.profiles[&n]);
            match output {
                Some(path) => {
                    let at = ctx.env.cwd.join(path);
                    fs::write_atomic(&at, exported.text.as_bytes(), fs::Mode::Keep)?;
                    writeln!(
                        ctx.err,
                        "wrote profile `{n}` (no key) to {}",
                        ctx.env.tilde(path)
                    )?;
                }
                None => ctx.out.write_all(exported.text.as_bytes())?,
            }
            for note in &exported.notes {
                ctx.note(&format!("note: {note}"))?;
            }
        }
        ProfileCommand::Import(_) => unreachable!("handled above"),
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
    if let Some(p) = cfg.profiles.get(&gw.name) {
        if let Some(preset) = &p.preset {
            writeln!(ctx.out, "{:<16} {preset}", "preset")?;
        }
        for (k, v) in &p.headers {
            writeln!(
                ctx.out,
                "{:<16} {k}: {}",
                "header",
                profile::header_shown(k, v)
            )?;
        }
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

/// `byok profile import FILE|-|LINK` (and `byok init --from-link`).
pub(super) fn import(args: &ImportArgs, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    if share::is_link(&args.source) {
        return import_link(args, ctx);
    }
    let (label, text) = read_source(&args.source, ctx)?;
    let (shared, mut p) = share::parse(&text).map_err(|e| {
        UserError::new(e.render(&label, &text))
            .hint("fix the file (nothing was written), or ask for a new export")
    })?;
    let name = args
        .name
        .clone()
        .or_else(|| shared.name.clone())
        .unwrap_or_else(|| "default".to_string());
    let exists = check_target(&name, args.yes, ctx)?;
    let preset = p.preset.as_deref().map(presets::find).transpose()?;
    p.headers.extend(init::header_args(&args.headers, None)?);
    init::require_headers(preset, &p.headers)?;
    let given = args.keys.key.is_some()
        || args.keys.key_env.is_some()
        || args.keys.key_command.is_some()
        || args.keys.key_store.is_some();
    let keys = if given {
        args.keys.clone()
    } else {
        KeyArgs {
            key: None,
            key_env: p.api_key_env.clone(),
            key_command: p.api_key_command.clone(),
            key_store: (shared.key_store == SharedStore::Keychain).then_some(Store::Keychain),
        }
    };
    let store = init::key_store(&keys)?;
    if !given && let Some(c) = &keys.key_command {
        ctx.note(&format!(
                "note: this profile reads its key by running `{c}` (named in the file); check that command before you use the profile"
            ))?;
    }
    if !ctx.interactive && keys.key.is_none() && matches!(store, Store::File | Store::Keychain) {
        return Err(UserError::new(format!(
            "the profile needs your key (kept in {}), and stdin is not a terminal, so byok can't ask",
            if store == Store::Keychain {
                "the OS credential store"
            } else {
                "byok's config file"
            }
        ))
        .hint("pass --key KEY, or --key-env VAR / --key-command COMMAND to keep it elsewhere")
        .into());
    }
    let key = init::read_key(&keys, store, ctx)?;
    save_imported(ctx, &name, p, key, store, exists, args.yes, "")
}

/// A ccswitch link: the key goes to byok's config file or the credential store.
fn import_link(args: &ImportArgs, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let link = share::parse_link(&args.source).map_err(|e| {
        UserError::new(format!("ccswitch link: {e}"))
            .hint("nothing was written; ask the gateway for a new link, or use `byok init --url … --key …`")
    })?;
    if args.keys.key.is_some() || args.keys.key_env.is_some() || args.keys.key_command.is_some() {
        return Err(UserError::new("the link carries its own key")
            .hint("leave out --key/--key-env/--key-command; --key-store keychain keeps it in the OS credential store")
            .into());
    }
    let store = match args.keys.key_store {
        None | Some(Store::File) => Store::File,
        Some(Store::Keychain) => Store::Keychain,
        Some(_) => {
            return Err(UserError::new(
                "a link's key can go to byok's config file or the OS credential store",
            )
            .hint("use --key-store file (the default) or --key-store keychain")
            .into());
        }
    };
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| share::name_from(link.name.as_deref().unwrap_or("imported")));
    let exists = check_target(&name, args.yes, ctx)?;
    let mut p = link.profile;
    p.headers.extend(init::header_args(&args.headers, None)?);
    let key = KeySource::Literal(ApiKey::new(link.key));
    let from = format!(" from a ccswitch link (app {})", link.app);
    save_imported(ctx, &name, p, key, store, exists, args.yes, &from)
}

/// The file's text and how to name it in errors.
fn read_source(source: &str, ctx: &Ctx<'_>) -> Result<(String, String)> {
    if source == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| UserError::new(format!("could not read stdin: {e}")))?;
        return Ok(("<stdin>".to_string(), text));
    }
    let path = ctx.env.cwd.join(source);
    let label = ctx.env.tilde(Path::new(source));
    match fs::read_optional(&path)? {
        Some(t) => Ok((label, t)),
        None => Err(UserError::new(format!("{label} does not exist"))
            .hint("give a file written by `byok profile export`, `-` for stdin, or a ccswitch:// link")
            .into()),
    }
}

/// Checks the name and whether it may be written; returns whether it exists.
fn check_target(name: &str, yes: bool, ctx: &Ctx<'_>) -> Result<bool> {
    profile::validate_name(name)?;
    let exists = profile::load(ctx.env)?.profiles.contains_key(name);
    if exists && !yes {
        return Err(UserError::new(format!("profile `{name}` already exists"))
            .hint("pass --yes to replace it, or --name to import it under another name")
            .into());
    }
    Ok(exists)
}

/// Puts the key where `store` says, saves the profile and says what was done.
#[allow(clippy::too_many_arguments)]
fn save_imported(
    ctx: &mut Ctx<'_>,
    name: &str,
    mut p: Profile,
    key: KeySource,
    store: Store,
    exists: bool,
    yes: bool,
    from: &str,
) -> Result<ExitStatus> {
    let in_keychain = store == Store::Keychain && matches!(key, KeySource::Literal(_));
    p.api_key = match &key {
        KeySource::Literal(k) if !in_keychain => Some(k.expose().to_string()),
        _ => None,
    };
    p.api_key_env = key.env_var().map(str::to_string);
    p.api_key_command = match &key {
        KeySource::Fetched(f) => match &f.how {
            keystore::Fetch::Command(c) => Some(c.clone()),
            keystore::Fetch::Keychain { .. } => None,
        },
        _ => None,
    };
    p.api_key_keychain = in_keychain;
    // Validates everything once more, as every later command will resolve it.
    profile::from_profile(name.to_string(), &p, key.clone())?;
    let keychain = keystore::keychain(ctx.env);
    if let (true, KeySource::Literal(k)) = (in_keychain, &key) {
        keychain.set(name, k.expose())?;
    }
    let opts = profile::SaveOptions {
        replace: exists || yes,
        make_default: false,
    };
    let is_default = profile::save_profile(ctx.env, name, &p, opts)?;
    let key_text = match &key {
        KeySource::Literal(k) if in_keychain => {
            format!("{}, in {}", k.masked(), keychain.describe())
        }
        KeySource::Literal(k) => k.masked(),
        KeySource::Env { var, .. } => format!("from ${var}"),
        KeySource::Fetched(f) => format!("in {}", f.describe()),
    };
    let path = ctx.env.tilde(&profile::config_path(ctx.env));
    let model = p
        .model
        .as_deref()
        .or(p.anthropic_model.as_deref())
        .unwrap_or("-");
    writeln!(
        ctx.out,
        "Imported profile `{name}`{from}{} to {path}\n  gateway  {}\n  key      {key_text}\n  model    {model}",
        if is_default { " (default)" } else { "" },
        p.base_url,
    )?;
    if !is_default {
        writeln!(
            ctx.out,
            "Use it with `byok use {name}` or --profile {name}."
        )?;
    }
    Ok(ExitStatus::Success)
}
