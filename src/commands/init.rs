//! `byok init`: save a gateway profile, from flags or by asking on a terminal.
//!
//! Nothing is written until every answer is in, so Ctrl-C leaves no half-written file.
//! Flags are checked before the first question, so a bad one costs no typing.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Result;

use super::{Ctx, prompt};
use crate::base_url::{self, BaseUrl};
use crate::cli::{InitArgs, KeyArgs};
use crate::error::{ExitStatus, UserError};
use crate::keystore::{self, Fetched, Store};
use crate::presets;
use crate::profile::{self, AnthropicAuth, KeySource, Profile};
use crate::secret::ApiKey;

/// Creates or replaces a profile.
pub fn run(args: &InitArgs, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    create(args, false, ctx)
}

/// The first step of the guided run: the same questions, then one confirmation before
/// the profile is saved (so Ctrl-C or "no" anywhere leaves no file), and a failed
/// gateway check asks whether to save anyway instead of ending the run.
pub fn guided(ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let args = InitArgs {
        url: None,
        keys: KeyArgs::default(),
        model: None,
        anthropic_model: None,
        small_model: None,
        anthropic_auth: None,
        openai_url: None,
        anthropic_url: None,
        name: Some(ctx.profile.clone().unwrap_or_else(|| "default".to_string())),
        yes: false,
        no_default: false,
        check: true,
        preset: None,
        list_presets: false,
        headers: Vec::new(),
        from_link: None,
    };
    create(&args, true, ctx)
}

fn create(args: &InitArgs, guided: bool, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    if args.list_presets {
        return list_presets(ctx);
    }
    if let Some(link) = &args.from_link {
        let import = crate::cli::ImportArgs {
            source: link.clone(),
            name: args.name.clone().or_else(|| ctx.profile.clone()),
            yes: args.yes,
            keys: args.keys.clone(),
            headers: args.headers.clone(),
        };
        return super::profile::import(&import, ctx);
    }
    let preset = args.preset.as_deref().map(presets::find).transpose()?;
    if let Some(p) = preset
        && let Some(why) = &p.unsupported
    {
        return Err(
            UserError::new(format!("preset `{}` can't be set up: {why}", p.id))
                .hint(p.note.clone())
                .into(),
        );
    }
    let headers = header_args(&args.headers, preset)?;
    let model_flag = |flag: &str, v: &Option<String>| {
        v.as_deref()
            .map(|m| profile::model_arg(flag, m))
            .transpose()
    };
    let model = model_flag("--model", &args.model)?;
    let anthropic_model = model_flag("--anthropic-model", &args.anthropic_model)?;
    let small_model = model_flag("--small-model", &args.small_model)?;
    let openai_base_url = args
        .openai_url
        .as_deref()
        .map(base_url::parse_override)
        .transpose()?;
    let anthropic_base_url = args
        .anthropic_url
        .as_deref()
        .map(base_url::parse_anthropic_override)
        .transpose()?;
    let cfg = profile::load(ctx.env)?;
    let ask = ctx.interactive;
    // `byok init --profile work` names the profile it creates, as `--name work` does.
    let name = match (args.name.as_ref().or(ctx.profile.as_ref()), ask) {
        (Some(n), _) => n.clone(),
        (None, true) => prompt::input_checked(ctx.env, "Profile name", Some("default"), &|n| {
            profile::validate_name(n).map_err(|e| explain(&e))
        })?,
        (None, false) => "default".to_string(),
    };
    profile::validate_name(&name)?;
    let exists = cfg.profiles.contains_key(&name);
    if exists && !args.yes {
        let replace = ask
            && prompt::confirm(
                ctx.env,
                &format!("Profile `{name}` exists. Replace it?"),
                false,
            )?;
        if !replace {
            let err = UserError::new(format!("profile `{name}` already exists"))
                .hint("pass --yes to replace it, or --name to create another");
            // Declining a prompt is exit 1; a missing flag in a script is a usage error.
            return Err(if ask { err.failure() } else { err }.into());
        }
    }

    let example = preset
        .and_then(|p| p.url_hint.clone())
        .unwrap_or_else(|| "https://gw.example.com".to_string());
    let raw_url = match (
        args.url.as_ref().or(preset.and_then(|p| p.url.as_ref())),
        ask,
    ) {
        (Some(u), _) => u.clone(),
        (None, true) => prompt::input_checked(
            ctx.env,
            &format!("Gateway URL (e.g. {example})"),
            None,
            &|u| BaseUrl::parse(u).map(|_| ()).map_err(|e| format!("{e:#}")),
        )?,
        (None, false) => {
            return Err(match preset {
                Some(p) => UserError::new(format!(
                    "--url is required: {} has no address of its own",
                    p.name
                ))
                .hint(format!("pass --url {example}"))
                .into(),
                None => missing("--url", "the gateway URL"),
            });
        }
    };
    let normalized = BaseUrl::parse(&raw_url).map_err(|e| {
        UserError::new(format!("invalid gateway URL: {e:#}"))
            .hint("give the URL you use in a browser or curl, e.g. --url https://gw.example.com/v1")
    })?;
    for note in &normalized.notes {
        ctx.note(&format!("note: {note}"))?;
    }
    let url = normalized.url;
    if url.is_insecure_remote() {
        ctx.warn(&format!(
            "{url} uses plain http to a host that is not this machine: the key would travel unencrypted"
        ))?;
    }

    let store = key_store(&args.keys)?;
    let no_key_flags = args.keys.key.is_none()
        && args.keys.key_env.is_none()
        && args.keys.key_command.is_none()
        && args.keys.key_store.is_none();
    let key = match preset.and_then(|p| p.placeholder_key.as_deref()) {
        Some(placeholder) if no_key_flags => {
            ctx.note(&format!(
                "note: {} needs no key here; byok stores a placeholder, since most tools refuse to start without one (pass --key if your server checks one)",
                preset.map_or("the gateway", |p| p.name.as_str())
            ))?;
            KeySource::Literal(ApiKey::new(placeholder))
        }
        _ => read_key(&args.keys, store, ctx)?,
    };
    let in_keychain = store == Store::Keychain && matches!(key, KeySource::Literal(_));

    let mut draft = Profile {
        base_url: url.root().to_string(),
        api_key: match &key {
            KeySource::Literal(k) if !in_keychain => Some(k.expose().to_string()),
            _ => None,
        },
        api_key_env: key.env_var().map(str::to_string),
        api_key_command: args.keys.key_command.clone(),
        api_key_keychain: in_keychain,
        anthropic_auth: args
            .anthropic_auth
            .or(preset.map(|p| p.anthropic_auth))
            .unwrap_or_default(),
        openai_base_url: openai_base_url.or(preset.and_then(|p| p.openai_base(url.root()))),
        anthropic_base_url: anthropic_base_url
            .or(preset.and_then(|p| p.anthropic_base(url.root()))),
        preset: preset.map(|p| p.id.clone()),
        headers,
        ..Profile::default()
    };

    let models = if args.check {
        match check(&name, &draft, key.clone(), ctx) {
            // The hint speaks of flags; here the question is the next step.
            Err(e) if guided => {
                ctx.note(&format!("the gateway {e:#}"))?;
                if !prompt::confirm(
                    ctx.env,
                    "Save the profile anyway (`byok doctor` explains more later)?",
                    false,
                )? {
                    return Err(nothing_saved());
                }
                Vec::new()
            }
            other => other?,
        }
    } else {
        Vec::new()
    };
    draft.model = match (model, ask) {
        (Some(m), _) => Some(m),
        (None, true) => Some(pick_model(
            ctx,
            &models,
            "Chat model (OpenAI format)",
            false,
        )?),
        (None, false) => return Err(missing("--model", "the default chat model")),
    };
    if let Some(m) = &draft.model
        && !models.is_empty()
        && !models.contains(m)
    {
        ctx.warn(&format!("the gateway does not list model `{m}`"))?;
    }
    draft.anthropic_model = match (anthropic_model, ask) {
        (Some(m), _) => Some(m),
        (None, true) => optional(pick_model(
            ctx,
            &models,
            "Anthropic-format model (for Claude Code; empty to skip)",
            true,
        )?),
        (None, false) => None,
    };
    draft.small_model = match (small_model, ask) {
        (Some(m), _) => Some(m),
        (None, true) => optional(pick_model(
            ctx,
            &models,
            "Small/fast model (empty to skip)",
            true,
        )?),
        (None, false) => None,
    };
    if args.anthropic_auth.is_none() && preset.is_none() && ask {
        let styles = [
            "Authorization: Bearer (ANTHROPIC_AUTH_TOKEN; most gateways)",
            "x-api-key (ANTHROPIC_API_KEY)",
        ];
        let i = prompt::select(
            ctx.env,
            "How should Anthropic-style clients send the key?",
            &styles,
            0,
        )?;
        draft.anthropic_auth = if i == 0 {
            AnthropicAuth::Bearer
        } else {
            AnthropicAuth::XApiKey
        };
    }

    let path = ctx.env.tilde(&profile::config_path(ctx.env));
    if guided
        && !prompt::confirm(
            ctx.env,
            &format!(
                "Save profile `{name}` ({}, model {}) to {path}?",
                url.root(),
                draft.model.as_deref().unwrap_or("-")
            ),
            true,
        )?
    {
        return Err(nothing_saved());
    }
    let opts = profile::SaveOptions {
        // Replacing was agreed to above (or by --yes); a profile of this name that
        // appeared since (another init running) is not replaced without that.
        replace: exists || args.yes,
        make_default: !args.no_default,
    };
    let keychain = keystore::keychain(ctx.env);
    if let (true, KeySource::Literal(k)) = (in_keychain, &key) {
        keychain.set(&name, k.expose())?;
    }
    let make_default = profile::save_profile(ctx.env, &name, &draft, opts)?;
    let key_text = match &key {
        KeySource::Literal(k) if in_keychain => {
            format!("{}, in {}", k.masked(), keychain.describe())
        }
        KeySource::Literal(k) => k.masked(),
        KeySource::Env { var, .. } => format!("from ${var}"),
        KeySource::Fetched(f) => format!("in {}", f.describe()),
    };
    writeln!(
        ctx.out,
        "Saved profile `{name}`{} to {path}\n  gateway  {}\n  key      {key_text}\n  model    {}",
        if make_default { " (default)" } else { "" },
        url.root(),
        draft.model.as_deref().unwrap_or("-"),
    )?;
    if let Some(p) = preset {
        writeln!(ctx.out, "  preset   {} ({})", p.id, p.note)?;
    }
    if !guided {
        writeln!(
            ctx.out,
            "Next: `byok env --install` for your shell, `byok setup --all` for your tools, `byok doctor` to check."
        )?;
    }
    Ok(ExitStatus::Success)
}

/// `byok init --list-presets`: one block per preset.
fn list_presets(ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    for p in presets::all() {
        let url = match (&p.url, &p.url_hint) {
            (Some(u), _) => u.clone(),
            (None, Some(h)) => format!("--url {h}"),
            (None, None) => "--url …".to_string(),
        };
        let key = match p.key {
            presets::KeyNeed::Required => "key required",
            presets::KeyNeed::Optional => "key optional",
            presets::KeyNeed::None => "no key",
        };
        writeln!(ctx.out, "{:<13} {}", p.id, p.name)?;
        writeln!(
            ctx.out,
            "{:<13} {url}; {key}; serves {}",
            "",
            p.routes_text()
        )?;
        if !p.headers.is_empty() {
            writeln!(
                ctx.out,
                "{:<13} needs --header {}",
                "",
                p.headers.join(", ")
            )?;
        }
        writeln!(ctx.out, "{:<13} {}", "", p.note)?;
    }
    writeln!(
        ctx.out,
        "\nUse one: byok init --preset NAME --key … --model …"
    )?;
    Ok(ExitStatus::Success)
}

/// The `--header` flags as a profile's table, checked against what the preset needs.
pub(super) fn header_args(
    args: &[String],
    preset: Option<&presets::Preset>,
) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for a in args {
        let (name, value) = profile::parse_header(a)?;
        if profile::is_secret_header(&name) && profile::header_env(&value).is_none() {
            crate::secret::register(&value);
        }
        out.insert(name, value);
    }
    require_headers(preset, &out)?;
    Ok(out)
}

/// Refuses a profile that lacks a header its preset needs.
pub(super) fn require_headers(
    preset: Option<&presets::Preset>,
    headers: &BTreeMap<String, String>,
) -> Result<()> {
    let Some(p) = preset else { return Ok(()) };
    let missing: Vec<&str> = p
        .headers
        .iter()
        .filter(|h| !headers.contains_key(&h.to_ascii_lowercase()))
        .map(String::as_str)
        .collect();
    match missing.first() {
        None => Ok(()),
        Some(first) => Err(UserError::new(format!(
            "{} needs the header {}",
            p.name,
            missing.join(", ")
        ))
        .hint(format!(
            "pass --header '{first}: env:VAR' (read from $VAR when byok calls the gateway) or --header '{first}: VALUE'"
        ))
        .into()),
    }
}

fn nothing_saved() -> anyhow::Error {
    UserError::new("nothing was saved")
        .hint("run `byok` again, or `byok init` with flags (see `byok init --help`)")
        .failure()
        .into()
}

fn missing(flag: &str, what: &str) -> anyhow::Error {
    UserError::new(format!(
        "{flag} is required: {what} (stdin is not a terminal, so byok can't ask)"
    ))
    .hint(format!(
        "pass {flag} (with the other flags) to `byok init`, or run `byok init` in a terminal"
    ))
    .into()
}

/// The store `--key-store` names, or the one the other key flags imply; a flag that
/// contradicts it is a usage error.
pub(super) fn key_store(args: &KeyArgs) -> Result<Store> {
    let implied = match (&args.key_env, &args.key_command) {
        (Some(_), _) => Some(Store::Env),
        (_, Some(_)) => Some(Store::Command),
        _ => None,
    };
    match (args.key_store, implied) {
        (Some(s), Some(i)) if s != i => Err(UserError::new(format!(
            "--key-store {} does not go with {}",
            store_name(s),
            if i == Store::Env {
                "--key-env"
            } else {
                "--key-command"
            }
        ))
        .hint("give one way to find the key")
        .into()),
        (Some(Store::Env), None) => Err(missing_flag("--key-env VAR", "--key-store env")),
        (Some(Store::Command), None) => {
            Err(missing_flag("--key-command COMMAND", "--key-store command"))
        }
        (Some(s), _) => Ok(s),
        (None, Some(i)) => Ok(i),
        (None, None) => Ok(Store::File),
    }
}

fn store_name(s: Store) -> &'static str {
    match s {
        Store::File => "file",
        Store::Env => "env",
        Store::Keychain => "keychain",
        Store::Command => "command",
    }
}

fn missing_flag(flag: &str, with: &str) -> anyhow::Error {
    UserError::new(format!("{with} needs {flag}"))
        .hint(format!("pass {flag} too"))
        .into()
}

pub(super) fn read_key(args: &KeyArgs, store: Store, ctx: &mut Ctx<'_>) -> Result<KeySource> {
    if let Some(var) = &args.key_env {
        return key_from_env(var, ctx);
    }
    if let Some(cmd) = &args.key_command {
        keystore::parse_command(cmd)?;
        return Ok(KeySource::Fetched(Fetched::command(cmd)));
    }
    match (&args.key, ctx.interactive) {
        (Some(k), _) => literal_key(k, ctx),
        (None, true) => ask_key(ctx, store),
        (None, false) => Err(missing(
            "--key, --key-env or --key-command",
            "the API key, or where to find it",
        )),
    }
}

/// Asks for the key as a hidden answer first, so a pasted key is always taken as the
/// key (a menu here turned a paste into a menu choice and aborted init); an empty
/// answer offers the alternative, a variable that holds it. A key that is unusable
/// (too short, a line break inside) is asked for again.
fn ask_key(ctx: &mut Ctx<'_>, store: Store) -> Result<KeySource> {
    let kept = if store == Store::Keychain {
        format!("stored in {}", keystore::keychain(ctx.env).describe())
    } else {
        "stored in byok's config, mode 0600".to_string()
    };
    loop {
        let raw = prompt::password(
            ctx.env,
            &format!(
                "API key (hidden; {kept}; Enter alone to read it from an environment variable instead)"
            ),
        )?;
        if raw.trim().is_empty() {
            let var = prompt::input_checked(
                ctx.env,
                "Name of the environment variable that holds the key",
                None,
                &|v| profile::validate_env_name(v).map_err(|e| explain(&e)),
            )?;
            return key_from_env(&var, ctx);
        }
        match literal_key(&raw, ctx) {
            Ok(k) => return Ok(k),
            Err(e) => ctx.note(&format!("{e:#}; try again"))?,
        }
    }
}

fn literal_key(raw: &str, ctx: &mut Ctx<'_>) -> Result<KeySource> {
    let cleaned = ApiKey::clean(raw).map_err(|e| UserError::new(format!("{e:#}")))?;
    if cleaned.trimmed {
        ctx.warn("removed whitespace or a line break around the key (a common copy-paste slip)")?;
    }
    Ok(KeySource::Literal(cleaned.key))
}

/// An error and its hint on one line, for a prompt that asks again.
fn explain(e: &anyhow::Error) -> String {
    match e.downcast_ref::<UserError>() {
        Some(UserError {
            message,
            hint: Some(h),
            ..
        }) => format!("{message} ({h})"),
        _ => format!("{e:#}"),
    }
}

fn key_from_env(var: &str, ctx: &mut Ctx<'_>) -> Result<KeySource> {
    profile::validate_env_name(var)?;
    let value = ctx
        .env
        .var(var)
        .and_then(|v| ApiKey::clean(v).ok())
        .map(|c| c.key);
    if value.is_none() {
        ctx.warn(&format!(
            "${var} is not set in this shell; byok will read it when it runs"
        ))?;
    }
    Ok(KeySource::Env {
        var: var.to_string(),
        value,
    })
}

fn check(name: &str, draft: &Profile, key: KeySource, ctx: &mut Ctx<'_>) -> Result<Vec<String>> {
    let gw = profile::from_profile(name.to_string(), draft, key)?;
    let headers = profile::request_headers(ctx.env, Some(draft))?;
    let client = crate::gateway::client_with(ctx.env, Duration::from_secs(15), &headers)?;
    let spinner = prompt::spinner(ctx.env, "checking the gateway (GET /models)…");
    let listed = crate::gateway::list_models(&client, &gw);
    if let Some(status) = spinner {
        status.clear();
    }
    match listed {
        Ok(models) => {
            let n = models.len();
            let noun = if n == 1 { "model" } else { "models" };
            ctx.note(&format!(
                "check: {}/models answered with {n} {noun}",
                gw.openai_base
            ))?;
            Ok(models)
        }
        Err(e) => Err(UserError::new(format!("check failed: {e:#}"))
            .hint("nothing was saved; fix the URL or key, or run without --check (then `byok doctor` explains more)")
            .failure()
            .into()),
    }
}

/// Asks for a model: from the gateway's list when `--check` fetched one, else typed.
/// A required model is asked for again until it passes [`profile::check_model`].
fn pick_model(ctx: &Ctx<'_>, models: &[String], question: &str, skippable: bool) -> Result<String> {
    if models.is_empty() {
        let check = |m: &str| -> std::result::Result<(), String> {
            if skippable && m.trim().is_empty() {
                return Ok(());
            }
            profile::check_model(m)
                .map(|_| ())
                .map_err(|why| format!("the model id {why}"))
        };
        let default = skippable.then_some("");
        return prompt::input_checked(ctx.env, question, default, &check);
    }
    let mut items: Vec<&str> = models.iter().map(String::as_str).collect();
    if skippable {
        items.insert(0, "(none)");
    }
    let i = prompt::fuzzy_select(ctx.env, question, &items, 0)?;
    Ok(if skippable && i == 0 {
        String::new()
    } else {
        items[i].to_string()
    })
}

fn optional(s: String) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}
