//! `byok templates list | show ID | check FILE`: where each tool's knowledge comes from,
//! the effective template, and a check of a user's template file with what `setup`
//! would write on an empty home (keys masked).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;

use super::Ctx;
use crate::cli::TemplatesCommand;
use crate::env::Env;
use crate::error::{ExitStatus, UserError};
use crate::plan;
use crate::profile::{self, Gateway, KeySource, Profile};
use crate::secret::ApiKey;
use crate::templates::{self, Loaded, Source};
use crate::tools::{self, Current, Tool, ToolId, generic::TemplateTool};

/// Runs a `byok templates` subcommand.
pub fn run(cmd: &TemplatesCommand, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    match cmd {
        TemplatesCommand::List => list(ctx),
        TemplatesCommand::Show { id } => show(id, ctx),
        TemplatesCommand::Check { file } => check(file, ctx),
    }
}

/// Where a tool's knowledge comes from, for people.
pub fn origin(env: &Env, tool: &dyn Tool) -> String {
    match tool.source() {
        None => "built into byok (code; no template yet)".to_string(),
        Some(Source::Builtin(name)) => match tool.template().and_then(|t| t.hook.as_deref()) {
            Some(hook) => format!("built-in template templates/{name} (with hook `{hook}`)"),
            None => format!("built-in template templates/{name}"),
        },
        Some(Source::User(p)) => format!("user template {}", env.tilde(p)),
    }
}

fn list(ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let env = ctx.env;
    let reg = tools::registry(env);
    for tool in &reg.tools {
        writeln!(
            ctx.out,
            "{:<14} {:<14} {}",
            tool.id().as_str(),
            tool.name(),
            origin(env, *tool)
        )?;
    }
    for (id, why) in &reg.broken {
        writeln!(ctx.out, "{id:<14} {:<14} can't be used: {why}", "(broken)")?;
    }
    writeln!(
        ctx.out,
        "your templates: {} (`byok templates check FILE` tests one)",
        env.tilde(&env.config_dir.join("templates"))
    )?;
    Ok(ExitStatus::Success)
}

fn show(id: &str, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let tool = tools::registry(ctx.env).find(id)?;
    let text = match tool.source() {
        Some(Source::Builtin(name)) => templates::BUILTIN
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| (*t).to_string()),
        Some(Source::User(p)) => crate::fs::read_optional(p)?,
        None => None,
    };
    let Some(text) = text else {
        return Err(UserError::new(format!(
            "`{id}` is built into byok as code and has no template yet"
        ))
        .hint("`byok templates list` shows which tools come from templates")
        .into());
    };
    writeln!(ctx.out, "# {}", origin(ctx.env, tool))?;
    ctx.out.write_all(text.as_bytes())?;
    Ok(ExitStatus::Success)
}

fn check(file: &std::path::Path, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let env = ctx.env;
    let path = env.cwd.join(file);
    let Some(text) = crate::fs::read_optional(&path)? else {
        return Err(UserError::new(format!("{} does not exist", env.tilde(&path)))
            .hint("give the path of a template file (`byok templates show kilo` prints an example)")
            .into());
    };
    let origin = env.tilde(&path);
    let template = templates::parse(&origin, &text).map_err(|e| {
        UserError::new(format!("{e}")).hint("fix that place in the template and check it again")
    })?;
    // The same rule the registry applies to the user's templates.
    if let Err(why) = tools::admit(&template, &tools::TOOLS) {
        return Err(UserError::new(format!("{origin}: {why}")).into());
    }
    writeln!(
        ctx.out,
        "{origin}: template `{}` ({}) is valid",
        template.id, template.name
    )?;
    let id = ToolId::leak(&template.id);
    let tool = TemplateTool::new(
        Loaded {
            template,
            source: Source::User(path.clone()),
        },
        id,
        None,
    );
    let home = empty_home(env);
    let gw = sample_gateway(env, ctx.profile.as_deref())?;
    writeln!(
        ctx.out,
        "what `byok setup {id}` would write on an empty home for profile `{}`:",
        gw.name
    )?;
    let opts = crate::engine::options(&home, crate::cli::KeyMode::Literal, None, false);
    let planned = tool.plan(&home, &gw, &opts, &Current::default())?;
    for change in planned.effective() {
        ctx.out.write_all(plan::diff(&home, change).as_bytes())?;
    }
    for note in &planned.notes {
        writeln!(ctx.out, "note: {}", crate::secret::redact(note))?;
    }
    for step in &planned.manual_steps {
        writeln!(ctx.out, "still to do by hand: {step}")?;
    }
    Ok(ExitStatus::Success)
}

/// A context whose home holds nothing: the same OS layout, no variables but the home.
fn empty_home(env: &Env) -> Env {
    let mut vars = BTreeMap::new();
    let home = PathBuf::from(if env.os == crate::env::Os::Windows {
        "C:\\Users\\you"
    } else {
        "/home/you"
    });
    for k in ["HOME", "USERPROFILE"] {
        vars.insert(k.to_string(), home.display().to_string());
    }
    let os = env.os;
    vars.insert(
        crate::env::BYOK_OS.to_string(),
        format!("{os:?}").to_lowercase(),
    );
    Env::from_vars(vars, os, home.clone(), Some(home))
}

/// The active profile when there is one, else an example gateway.
fn sample_gateway(env: &Env, flag: Option<&str>) -> Result<Gateway> {
    let cfg = profile::load(env)?;
    if let Ok(gw) = profile::resolve(env, &cfg, flag) {
        return Ok(gw);
    }
    let p = Profile {
        base_url: "https://gw.example.com".into(),
        model: Some("gpt-4o".into()),
        anthropic_model: Some("claude-sonnet-4-5".into()),
        small_model: Some("claude-haiku-4-5".into()),
        ..Profile::default()
    };
    profile::from_profile(
        "example".into(),
        &p,
        KeySource::Literal(ApiKey::new("sk-example-0123456789abcdef")),
    )
}
