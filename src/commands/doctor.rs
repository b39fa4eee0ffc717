//! `byok doctor`: proves the gateway and every detected tool work, and explains each
//! failure with the one step that fixes it.
//!
//! Sections: configuration (pure), reachability and the gateway API (network, all at
//! once), tools (each detected tool's settings against the profile) and shell (variables
//! in this environment, byok blocks in start-up files). Nothing is written. Exit 0 when
//! every required check passes, 1 when one fails, 2 when the profile or flags are wrong.

use crate::gateway::probe::Api;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::{Map, json};

use super::Ctx;
use crate::base_url::BaseUrl;
use crate::cli::DoctorArgs;
use crate::engine::{self, ToolStatus};
use crate::env::{self, Env};
use crate::error::{ExitStatus, UserError};
use crate::gateway::net;
use crate::gateway::probe::{self, KeyInfo, Plan, Target};
use crate::gateway::report::{Check, Report, Section, Severity};
use crate::profile::{self, Gateway, KeySource, Profile};
use crate::secret::ApiKey;
use crate::shell::{self, Shell, Value as ShellValue};
use crate::tools::{self, Current, Tool, ToolId};

/// What to check and how, after flags and the environment are resolved.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--url`.
    pub url: Option<String>,
    /// `--key`.
    pub key: Option<String>,
    /// `--model`.
    pub model: Option<String>,
    /// `--quick`.
    pub quick: bool,
    /// `--timeout`.
    pub timeout: Duration,
    /// Show a spinner on stderr.
    pub spinner: bool,
    /// Only these tools in the tool section (`byok demo`: the ones it installed).
    pub only: Option<Vec<ToolId>>,
}

/// Runs doctor and prints the report.
pub fn run(args: &DoctorArgs, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 3600.0) {
        return Err(UserError::new(format!(
            "--timeout {} is not a number of seconds between 0 and 3600",
            args.timeout
        ))
        .hint("e.g. --timeout 5 or --timeout 0.5")
        .into());
    }
    let colour = ctx.env.stdout_tty && ctx.env.var("NO_COLOR").is_none();
    let opts = Options {
        url: args.url.clone(),
        key: args.key.clone(),
        model: args
            .model
            .as_deref()
            .map(|m| profile::model_arg("--model", m))
            .transpose()?,
        quick: args.quick,
        timeout: Duration::from_secs_f64(args.timeout),
        spinner: !args.json && super::prompt::shows_progress(ctx.env),
        only: None,
    };
    let report = build_report(ctx.env, ctx.profile.as_deref(), &opts)?;
    let home = ctx.env.home.display().to_string();
    if args.json {
        let doc = report.to_json(&home);
        writeln!(ctx.out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        ctx.out
            .write_all(report.render_text(colour, &home).as_bytes())?;
    }
    Ok(if report.exit_code() == 0 {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// Resolves the gateway and runs every check; shared with `byok demo`.
pub fn build_report(env: &Env, profile_flag: Option<&str>, opts: &Options) -> Result<Report> {
    let started = Instant::now();
    let (gw, info) = resolve(env, profile_flag, opts)?;
    // A key with stray whitespace is sent trimmed, so doctor can tell whether the rest works.
    let trimmed = gw
        .api_key()
        .map(|k| ApiKey::new(k.expose().trim().to_string()));
    let model = opts.model.clone().or_else(|| gw.model.clone());
    let anthropic_model = gw.anthropic_model.clone().or_else(|| model.clone());
    let client = crate::gateway::client_for(env, opts.timeout)?;
    let target = Target {
        client: &client,
        gw: &gw,
        key: trimmed.as_ref(),
        model: model.as_deref(),
        anthropic_model: anthropic_model.as_deref(),
        timeout: opts.timeout,
    };

    let mut checks = vec![
        probe::check_url(&gw),
        probe::check_key(trimmed.as_ref(), &info, &gw.name),
        probe::check_models_config(&target),
        probe::check_proxy(env, &[&gw.openai_base, &gw.anthropic_base]),
    ];

    // The tool section reads files; it runs on this thread while the probes wait on the network.
    let mut tools = detected_tools(env);
    if let Some(only) = &opts.only {
        tools.retain(|(t, ..)| only.contains(&t.id()));
    }
    let mut required: BTreeSet<Api> = BTreeSet::new();
    for (tool, ..) in &tools {
        required.extend(tool.endpoints(&gw));
    }
    if tools.is_empty() {
        // No tool to ask: the profile's own exports are what the user's tools will use.
        required.extend([Api::Models, Api::Chat]);
        if gw.anthropic_model.is_some() {
            required.insert(Api::Messages);
        }
    }
    let mut hosts: Vec<(net::Endpoint, Option<String>)> = Vec::new();
    for url in [&gw.openai_base, &gw.anthropic_base] {
        if let Some(e) = net::Endpoint::from_url(url)
            && !hosts.iter().any(|(h, _)| h == &e)
        {
            hosts.push((e, crate::gateway::proxy_for(env, url).map(str::to_string)));
        }
    }
    let plan = Plan {
        quick: opts.quick,
        required,
        hosts,
    };

    // Drawn from this thread only: the command holds the stderr lock while it runs.
    let spinner = opts.spinner.then(|| {
        let pb = indicatif::ProgressBar::new_spinner();
        pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        pb.set_message("checking the gateway…");
        pb
    });
    let progress = |done: usize, total: usize| {
        if let Some(pb) = &spinner {
            pb.set_message(format!("checking the gateway… {done}/{total}"));
            pb.tick();
        }
    };
    let local = || {
        let mut local = tool_checks(env, &gw, &tools);
        local.extend(shell_checks(env, &gw));
        local
    };
    checks.extend(probe::run(&target, &plan, &progress, local));
    if let Some(pb) = spinner {
        pb.finish_and_clear();
    }

    let mut facts = Map::new();
    facts.insert("url".into(), json!(gw.base.root()));
    facts.insert("openai_base".into(), json!(gw.openai_base));
    facts.insert("anthropic_base".into(), json!(gw.anthropic_base));
    facts.insert(
        "key".into(),
        json!(
            trimmed
                .as_ref()
                .map_or_else(|| "-".to_string(), ApiKey::masked)
        ),
    );
    facts.insert("anthropic_auth".into(), json!(gw.anthropic_auth.as_str()));
    facts.insert("model".into(), json!(model));
    facts.insert("anthropic_model".into(), json!(anthropic_model));
    facts.insert("timeout_s".into(), json!(opts.timeout.as_secs_f64()));
    Ok(Report {
        profile: gw.name.clone(),
        gateway: facts,
        quick: opts.quick,
        checks,
        elapsed: started.elapsed(),
    })
}

/// The gateway under test: the active profile, with `--url`, `--key` and `--model` on top.
fn resolve(env: &Env, flag: Option<&str>, opts: &Options) -> Result<(Gateway, KeyInfo)> {
    let cfg = profile::load(env)?;
    let resolved = profile::resolve(env, &cfg, flag);
    let mut gw = match (&opts.url, resolved) {
        (None, r) => r?,
        (Some(url), r) => {
            let base = BaseUrl::parse(url).map_err(|e| {
                UserError::new(format!("invalid --url: {e:#}"))
                    .hint("give the URL you use with curl, e.g. --url https://gw.example.com/v1")
            })?;
            let p = Profile {
                base_url: base.url.root().to_string(),
                ..Profile::default()
            };
            match r {
                // Keep the profile's key and models; the URL replaces all of its bases.
                Ok(mut g) => {
                    let fresh = profile::from_profile(g.name.clone(), &p, g.key.clone())?;
                    g.base = fresh.base;
                    g.openai_base = fresh.openai_base;
                    g.anthropic_base = fresh.anthropic_base;
                    g
                }
                Err(_) => profile::from_profile(
                    "--url".into(),
                    &p,
                    KeySource::Env {
                        var: env::BYOK_API_KEY.into(),
                        value: env
                            .var(env::BYOK_API_KEY)
                            .and_then(|k| ApiKey::clean(k).ok())
                            .map(|c| c.key),
                    },
                )?,
            }
        }
    };
    if let Some(m) = &opts.model {
        gw.model = Some(m.clone());
    }
    let info = if let Some(raw) = &opts.key {
        let cleaned = ApiKey::clean(raw).map_err(|e| {
            UserError::new(format!("invalid --key: {e:#}"))
                .hint("pass the key as the gateway issued it")
        })?;
        gw.key = KeySource::Literal(cleaned.key);
        KeyInfo {
            source: "--key".into(),
            whitespace: cleaned.trimmed,
            missing_var: None,
        }
    } else if let Some(raw) = env.var(env::BYOK_API_KEY) {
        KeyInfo {
            source: format!("${}", env::BYOK_API_KEY),
            whitespace: raw.trim() != raw,
            missing_var: None,
        }
    } else {
        match &gw.key {
            KeySource::Literal(k) => KeyInfo {
                source: format!("profile `{}`", gw.name),
                whitespace: k.expose().trim() != k.expose(),
                missing_var: None,
            },
            KeySource::Env { var, value } => KeyInfo {
                source: format!("${var}"),
                whitespace: env.var_raw(var).is_some_and(|r| r.trim() != r),
                missing_var: value.is_none().then(|| var.clone()),
            },
            KeySource::Fetched(f) => KeyInfo {
                source: f.describe(),
                whitespace: false,
                missing_var: None,
            },
        }
    };
    Ok((gw, info))
}

// ---------------------------------------------------------------------------------------
// Tools
// ---------------------------------------------------------------------------------------

/// A detected tool: what was read, what detection found, and why reading failed.
type Detected = (&'static dyn Tool, Current, tools::Detection, Option<String>);

fn detected_tools(env: &Env) -> Vec<Detected> {
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

fn tool_checks(env: &Env, gw: &Gateway, tools: &[Detected]) -> Vec<Check> {
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
            .hint(format!("`byok --profile {} setup {id}` if this tool should use it", gw.name)),
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
        for (n, f) in tool.diagnose(env, gw, cur).into_iter().enumerate() {
            let severity = match f.severity {
                tools::Severity::Info => Severity::Info,
                tools::Severity::Warn => Severity::Warn,
                tools::Severity::Fail => Severity::Fail,
            };
            checks.push(
                Check::new(
                    Section::Tools,
                    format!("tool.{id}.{}", n + 1),
                    tool.name(),
                    severity,
                    f.message,
                )
                .hint_opt(f.hint),
            );
        }
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

// ---------------------------------------------------------------------------------------
// Shell
// ---------------------------------------------------------------------------------------

const ENV_HINT: &str = "run `byok env --install` and open a new shell (or `eval \"$(byok env)\"` in this one); remove old exports of these variables from your start-up files";

fn shell_checks(env: &Env, gw: &Gateway) -> Vec<Check> {
    let exports = shell::exports(gw);
    let want = |name: &str| -> Option<String> {
        exports
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| match v {
                ShellValue::Literal(s) => Some(s.clone()),
                ShellValue::FromVar(var) => env.var(var).map(str::to_string),
                ShellValue::Unset => None,
            })
    };
    let show = |name: &str, value: &str| {
        if name.contains("KEY") || name.contains("TOKEN") {
            crate::secret::mask(value)
        } else {
            value.to_string()
        }
    };
    let mut checks = Vec::new();
    let groups: [(&str, &str, Vec<&str>); 2] = [
        (
            "shell.openai",
            "OpenAI variables",
            vec!["OPENAI_BASE_URL", "OPENAI_API_BASE", "OPENAI_API_KEY"],
        ),
        (
            "shell.anthropic",
            "Anthropic variables",
            vec![
                "ANTHROPIC_BASE_URL",
                gw.anthropic_auth.env_var(),
                gw.anthropic_auth.other_env_var(),
            ],
        ),
    ];
    for (id, name, vars) in groups {
        let mut stale = Vec::new();
        let mut unset = Vec::new();
        let mut matching = Vec::new();
        let mut extra = Vec::new();
        for var in vars {
            let have = env.var(var);
            match (want(var), have) {
                (Some(w), Some(h)) if w == h => matching.push(var.to_string()),
                (Some(w), Some(h)) => stale.push(format!(
                    "{var} is {} (profile: {})",
                    show(var, h),
                    show(var, &w)
                )),
                (Some(_), None) => unset.push(var.to_string()),
                (None, Some(h)) => extra.push(format!("{var} is set ({})", show(var, h))),
                (None, None) => {}
            }
        }
        let mut problems = stale;
        if id == "shell.openai"
            && let (Some(a), Some(b)) = (env.var("OPENAI_BASE_URL"), env.var("OPENAI_API_BASE"))
            && a != b
        {
            problems.push(format!(
                "OPENAI_BASE_URL ({a}) and OPENAI_API_BASE ({b}) disagree: SDKs read one, LiteLLM and Aider the other"
            ));
        }
        let check = if !extra.is_empty() {
            // The other Anthropic variable: Claude Code sends it too, and the API key wins.
            Check::new(
                Section::Shell,
                id,
                name,
                Severity::Warn,
                format!(
                    "{}: Claude Code would send it as well, and ANTHROPIC_API_KEY wins over ANTHROPIC_AUTH_TOKEN{}",
                    extra.join(", "),
                    if problems.is_empty() { String::new() } else { format!("; {}", problems.join("; ")) }
                ),
            )
            .hint(format!(
                "unset {} here and remove it from your start-up files; `byok env --install` exports only {}",
                gw.anthropic_auth.other_env_var(),
                gw.anthropic_auth.env_var()
            ))
        } else if !problems.is_empty() {
            Check::new(
                Section::Shell,
                id,
                name,
                Severity::Warn,
                format!("stale: {}", problems.join("; ")),
            )
            .hint(ENV_HINT)
        } else if matching.is_empty() {
            Check::new(
                Section::Shell,
                id,
                name,
                Severity::Info,
                format!(
                    "not set in this shell ({}); tools started from it use their own settings",
                    unset.join(", ")
                ),
            )
        } else if !unset.is_empty() {
            Check::new(
                Section::Shell,
                id,
                name,
                Severity::Info,
                format!(
                    "{} match the profile; {} not set",
                    matching.join(", "),
                    unset.join(", ")
                ),
            )
        } else {
            Check::new(
                Section::Shell,
                id,
                name,
                Severity::Ok,
                format!("{} match the profile", matching.join(", ")),
            )
        };
        checks.push(check);
    }
    checks.push(startup_check(env, gw));
    checks
}

fn startup_check(env: &Env, gw: &Gateway) -> Check {
    let mut loaded = Vec::new();
    let mut problems = Vec::new();
    for sh in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::Powershell] {
        let Ok(path) = sh.startup_file(env) else {
            continue;
        };
        let Ok(Some(text)) = crate::fs::read_optional(&path) else {
            continue;
        };
        let label = env.tilde(&path);
        let blocks = shell::find_blocks(&text);
        if blocks.is_empty() {
            continue;
        }
        if blocks.len() > 1 {
            problems.push(format!(
                "{label} has {} byok blocks (`byok env >> {label}` run more than once?)",
                blocks.len()
            ));
            continue;
        }
        let (s, e) = blocks[0];
        let block = &text[s..e];
        match exported_url(block, "OPENAI_BASE_URL") {
            Some(url) if url != gw.openai_base => problems.push(format!(
                "{label} holds a copy of old exports (OPENAI_BASE_URL={url}, profile: {})",
                gw.openai_base
            )),
            Some(_) => loaded.push(format!("{label} (a copy of the exports)")),
            None => loaded.push(label),
        }
    }
    if !problems.is_empty() {
        return Check::new(
            Section::Shell,
            "shell.startup",
            "Start-up files",
            Severity::Warn,
            problems.join("; "),
        )
        .hint(
            "`byok env --install` replaces them with one block that reads the profile at start-up",
        );
    }
    if loaded.is_empty() {
        return Check::new(
            Section::Shell,
            "shell.startup",
            "Start-up files",
            Severity::Info,
            "no start-up file loads byok (`byok env --install` adds it)",
        );
    }
    Check::new(
        Section::Shell,
        "shell.startup",
        "Start-up files",
        Severity::Ok,
        format!("byok is loaded by {}", loaded.join(", ")),
    )
}

/// The value a literal export line in a byok block gives `var` (any shell's syntax).
fn exported_url(block: &str, var: &str) -> Option<String> {
    block.lines().find_map(|line| {
        let at = line.find(var)?;
        let rest = &line[at + var.len()..];
        let start = rest.find('\'')? + 1;
        let len = rest[start..].find('\'')?;
        Some(rest[start..start + len].to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_blocks_are_read_in_every_syntax() {
        for block in [
            "export OPENAI_BASE_URL='https://old/v1'\n",
            "set -gx OPENAI_BASE_URL 'https://old/v1'\n",
            "$env:OPENAI_BASE_URL = 'https://old/v1'\n",
        ] {
            assert_eq!(
                exported_url(block, "OPENAI_BASE_URL").as_deref(),
                Some("https://old/v1")
            );
        }
        assert_eq!(
            exported_url(
                "if [ -x '/b/byok' ]; then eval \"$('/b/byok' env --shell bash)\"; fi\n",
                "OPENAI_BASE_URL"
            ),
            None
        );
    }
}
