//! Tool checks: each detected tool's settings against the profile, the project files it
//! reads here over them (and which profile wins there), and what its hook finds
//! (variables and other files that win over them); and what each set-up tool calls as
//! its files say now (full endpoint URLs, models), for the probes.

use crate::engine::{self, ToolStatus};
use crate::env::Env;
use crate::gateway::probe::{Api, ToolModel, ToolRoute};
use crate::gateway::report::{Check, Section, Severity};
use crate::profile::Gateway;
use crate::templates::render::{self, Vars};
use crate::tools::{self, Current, Tool};

/// A detected tool: what was read, what detection found, and why reading failed.
pub type Detected = (&'static dyn Tool, Current, tools::Detection, Option<String>);

pub fn detected_tools(env: &Env) -> Vec<Detected> {
    tools::registry(env)
        .tools
        .iter()
        .filter_map(|tool| {
            // A tool whose files can't be read is still reported: its status says why.
            match engine::inspect(env, *tool) {
                Ok((cur, det)) => det.installed.then_some((*tool, cur, det, None)),
                Err(e) => Some((
                    *tool,
                    Current::default(),
                    tools::Detection::default(),
                    Some(format!("{e:#}")),
                )),
            }
        })
        .collect()
}

pub fn tool_checks(env: &Env, gw: &Gateway, tools: &[Detected]) -> Vec<Check> {
    if tools.is_empty() {
        let message = "no supported tool detected (`byok detect` lists what byok looks for)";
        return vec![Check::new(
            Section::Tools,
            "tools",
            "Tools",
            Severity::Info,
            message,
        )];
    }
    let mut checks = Vec::new();
    for (tool, cur, det, unreadable) in tools {
        let id = tool.id().as_str();
        if let Some(e) = unreadable {
            checks.push(
                Check::new(
                    Section::Tools,
                    format!("tool.{id}"),
                    tool.name(),
                    Severity::Fail,
                    format!("could not read its settings: {e}"),
                )
                .hint("fix the file named above, then run `byok doctor` again"),
            );
            continue;
        }
        let mut evidence = det.evidence.first().cloned().unwrap_or_default();
        // Detection lists the user template among its evidence; say it once.
        if let Some(crate::templates::Source::User(p)) = tool.source()
            && !evidence.starts_with("user template")
        {
            evidence = format!("{evidence}; user template {}", env.tilde(p));
        }
        let tool_check = |severity, message: String| {
            Check::new(
                Section::Tools,
                format!("tool.{id}"),
                tool.name(),
                severity,
                message,
            )
        };
        let status = engine::status(env, *tool, Some(gw), cur);
        let check = match &status {
            ToolStatus::Configured { .. } => tool_check(
                Severity::Ok,
                format!("points at this profile's gateway, key and models ({evidence})"),
            ),
            ToolStatus::NotConfigured => tool_check(
                Severity::Warn,
                format!("installed ({evidence}) but not set up for this gateway"),
            )
            .hint(format!("`byok setup {id}` (`--dry-run` shows the change first)")),
            ToolStatus::Outdated { profile } if *profile == gw.name => tool_check(
                Severity::Fail,
                format!("set up by byok, but its settings no longer match profile `{profile}` (URL, key or models changed since)"),
            )
            .hint(format!("`byok setup {id}` writes the current values")),
            ToolStatus::Outdated { profile } => tool_check(
                Severity::Warn,
                format!("set up by byok for profile `{profile}`, not for `{}`", gw.name),
            )
            .hint(format!(
                "`byok use {0}` moves every tool to it in one step; `byok --profile {0} setup {id}` this one only",
                gw.name
            )),
            ToolStatus::Drifted { changed } => tool_check(
                Severity::Fail,
                format!("settings byok wrote were changed by hand: {}", changed.join(", ")),
            )
            .hint(format!("`byok setup {id} --dry-run` shows what byok would put back; add --force to apply it")),
            ToolStatus::ManualOnly => tool_check(
                Severity::Warn,
                format!("installed ({evidence}); byok cannot write its settings here"),
            )
            .hint(format!("`byok setup {id}` says why and lists the steps to do by hand")),
            ToolStatus::Error(e) => tool_check(Severity::Fail, e.clone())
                .hint(format!("fix the file, then run `byok setup {id}`")),
        }
        .detail("status", status.kind());
        checks.push(check.detail("evidence", det.evidence.clone()));
        // A tool the user has not set up is not a failure: what its own checks find is
        // said, but no worse than the "not set up" warning above.
        let not_set_up = matches!(status, ToolStatus::NotConfigured);
        let project = match engine::project_files(env, *tool, cur) {
            Ok(files) => engine::project_findings(env, *tool, &files),
            Err(e) => vec![tools::Finding {
                severity: tools::Severity::Warn,
                message: format!("could not tell which project files byok wrote: {e:#}"),
                hint: None,
            }],
        };
        let numbered = |prefix: String, findings: Vec<tools::Finding>| {
            findings.into_iter().enumerate().map(move |(n, f)| {
                Check::new(
                    Section::Tools,
                    format!("{prefix}{}", n + 1),
                    tool.name(),
                    severity(f.severity, not_set_up),
                    f.message,
                )
                .hint_opt(f.hint)
            })
        };
        checks.extend(numbered(format!("tool.{id}.project."), project));
        checks.extend(numbered(format!("tool.{id}."), tool.diagnose(env, gw, cur)));
    }
    for (id, why) in &tools::registry(env).broken {
        checks.push(
            Check::new(
                Section::Tools,
                format!("tool.{id}"),
                id.clone(),
                Severity::Warn,
                format!("your template can't be used: {why}"),
            )
            .hint("fix it (`byok templates check FILE`); every other tool works meanwhile"),
        );
    }
    checks
}

/// What set-up tools call, read from their files as they are now: the full endpoint
/// URLs (each string a template writes that is a whole route URL of the profile,
/// `{openai_base}/chat/completions`) and the models that are not the profile's (a value
/// changed by hand, one the user chose where byok leaves theirs, one of an older setup).
/// Tools on another profile are left out: they call another gateway.
pub fn tool_calls(
    env: &Env,
    gw: &Gateway,
    tools: &[Detected],
    profile_models: &[&str],
) -> (Vec<ToolRoute>, Vec<ToolModel>) {
    const ROUTES: [Api; 5] = [
        Api::Chat,
        Api::Messages,
        Api::Responses,
        Api::Models,
        Api::CountTokens,
    ];
    const MODELS: [&str; 3] = ["model", "anthropic_model", "small_model"];
    let vars = Vars::gateway(gw);
    let mut routes: Vec<ToolRoute> = Vec::new();
    let mut models: Vec<ToolModel> = Vec::new();
    for (tool, cur, _, unreadable) in tools {
        let id = tool.id().as_str();
        if unreadable.is_some() {
            continue;
        }
        let (route_fix, model_fix) = match engine::status(env, *tool, Some(gw), cur) {
            ToolStatus::Configured { .. } => (format!("`byok setup {id}` writes it"), None),
            ToolStatus::Drifted { .. } => (
                format!(
                    "`byok setup {id} --force` puts the profile's back (it was changed by hand)"
                ),
                Some(format!(
                    "`byok setup {id} --force` puts back the profile's (it was changed by hand)"
                )),
            ),
            ToolStatus::Outdated { profile } if profile == gw.name => (
                format!("`byok setup {id}` writes the profile's current one"),
                Some(format!(
                    "`byok setup {id}` writes the profile's current ones"
                )),
            ),
            _ => continue,
        };
        for p in tool.placed(env, cur) {
            if let Some((name, model)) = render::unfill(&p.template, &p.current)
                && MODELS.contains(&name)
            {
                if profile_models.contains(&model) {
                    continue;
                }
                match models.iter_mut().find(|m| m.id == id && m.model == model) {
                    Some(m) => m.places.push((p.file, p.key)),
                    None => models.push(ToolModel {
                        id: id.to_string(),
                        tool: tool.name().to_string(),
                        model: model.to_string(),
                        places: vec![(p.file, p.key)],
                        fix: model_fix.clone(),
                    }),
                }
                continue;
            }
            let Ok(url) = vars.str(&p.template) else {
                continue;
            };
            let Some(api) = ROUTES.into_iter().find(|a| a.url(gw) == url) else {
                continue;
            };
            match routes
                .iter_mut()
                .find(|r| r.id == id && r.api == api && r.url == p.current)
            {
                Some(r) => r.places.push((p.file, p.key)),
                None => routes.push(ToolRoute {
                    id: id.to_string(),
                    tool: tool.name().to_string(),
                    api,
                    url: p.current,
                    places: vec![(p.file, p.key)],
                    fix: route_fix.clone(),
                }),
            }
        }
    }
    (routes, models)
}

/// A tool finding's severity as a check's; for a tool not set up, no worse than a warning.
fn severity(s: tools::Severity, not_set_up: bool) -> Severity {
    match s {
        tools::Severity::Info => Severity::Info,
        tools::Severity::Warn => Severity::Warn,
        tools::Severity::Fail if not_set_up => Severity::Warn,
        tools::Severity::Fail => Severity::Fail,
    }
}
