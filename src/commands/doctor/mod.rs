//! `byok doctor`: proves the gateway and every detected tool work, and explains each
//! failure with the one step that fixes it.
//!
//! Sections, each in its own place: configuration checks, reachability and API probes
//! (`gateway::probe`: request building, status diagnosis, body and stream judging, model
//! suggestions; network, all at once), tool checks ([`tool_checks`]: each detected tool's
//! settings against the profile, and what set-up tools call: full endpoint URLs and
//! their own models, which the probes check), shell checks ([`shell_checks`]: variables
//! in this environment, byok blocks in start-up files), live runs ([`live`], only with
//! `--live`, after all of the above: each tool run once through a recording relay) and
//! the report (`gateway::report`), one for all sections.
//! Nothing of the user's is written. Exit 0 when every required check passes, 1 when one
//! fails, 2 when the profile or flags are wrong.

use crate::gateway::probe::Api;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::{Map, json};

use super::Ctx;

mod live;
mod shell_checks;
mod tool_checks;

use crate::base_url::BaseUrl;
use crate::cli::DoctorArgs;
use crate::env::{self, Env};
use crate::error::{ExitStatus, UserError};
use crate::gateway::net;
use crate::gateway::probe::{self, KeyInfo, Plan, Target};
use crate::gateway::report::{Part, Report, Section};
use crate::profile::{self, Gateway, KeySource, Profile};
use crate::secret::ApiKey;
use crate::tools::ToolId;
use shell_checks::shell_checks;
use tool_checks::{detected_tools, tool_calls, tool_checks};

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
///
/// With `--live` the whole doctor runs, then the tools. On a terminal the question comes
/// after the quick sections, which are printed first: they are what `byok doctor` does
/// without asking (files read, tiny probes), and a careful user decides better once they
/// show whether the gateway takes the key and each tool's settings are right, and which
/// tools would run. Without a terminal and without `--yes` doctor stops before anything,
/// so a script learns at once that it forgot `--yes`.
pub fn run(args: &DoctorArgs, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let seconds = |default: f64| -> Result<Duration> {
        let s = args.timeout.unwrap_or(default);
        if !(s.is_finite() && s > 0.0 && s <= 3600.0) {
            return Err(UserError::new(format!(
                "--timeout {s} is not a number of seconds between 0 and 3600"
            ))
            .hint("e.g. --timeout 5 or --timeout 0.5")
            .into());
        }
        Ok(Duration::from_secs_f64(s))
    };
    let timeout = seconds(20.0)?;
    let live_timeout = seconds(60.0)?;
    let colour = ctx.env.stdout_tty && ctx.env.var("NO_COLOR").is_none();
    let mut opts = Options {
        url: args.url.clone(),
        key: args.key.clone(),
        model: args
            .model
            .as_deref()
            .map(|m| profile::model_arg("--model", m))
            .transpose()?,
        quick: args.quick,
        timeout,
        spinner: !args.json && super::prompt::shows_progress(ctx.env),
        only: None,
    };
    let moved = super::in_project(ctx.env, args.project.as_deref())?;
    let base: &Env = ctx.env;
    let env = moved.as_ref().unwrap_or(base);
    let home = ctx.env.home.display().to_string();
    let (report, shown_before) = if args.live.live {
        with_live(args, env, ctx, &mut opts, (live_timeout, colour))?
    } else {
        (build_report(env, ctx.profile.as_deref(), &opts)?, false)
    };
    if args.json {
        let doc = report.to_json(&home);
        writeln!(ctx.out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        let part = if shown_before {
            Part::From(Section::Live)
        } else {
            Part::Whole
        };
        ctx.out
            .write_all(report.render_part(colour, &home, part).as_bytes())?;
    }
    Ok(if report.exit_code() == 0 {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// The whole doctor, then the live runs: the report (which says whether the user said
/// no) and whether the part before the live runs is printed already (asked on a terminal).
fn with_live(
    args: &DoctorArgs,
    env: &Env,
    ctx: &mut Ctx<'_>,
    opts: &mut Options,
    (live_timeout, colour): (Duration, bool),
) -> Result<(Report, bool)> {
    let (gw, info) = resolve(env, ctx.profile.as_deref(), opts)?;
    let named = live::named(env, &args.live.tools)?;
    if !named.is_empty() {
        opts.only = Some(named);
    }
    let lineup = live::lineup(env, &gw, opts.only.as_deref());
    let key = gw
        .api_key()
        .map(|k| ApiKey::new(k.expose().trim().to_string()));
    let runs = !lineup.runnable.is_empty() && key.is_some();
    let ask = runs && !args.live.yes;
    if ask && !(ctx.env.stdin_tty && ctx.env.stderr_tty) {
        return Err(UserError::new(format!(
            "{}: not started without your consent",
            lineup.notice(&gw, live_timeout)
        ))
        .hint("pass --yes to run them (no terminal to ask on)")
        .into());
    }
    let started = Instant::now();
    let mut report = report_for(env, &gw, &info, opts)?;
    let shown_before = ask && !args.json;
    if shown_before {
        let home = ctx.env.home.display().to_string();
        let text = report.render_part(colour, &home, Part::Before(Section::Live));
        ctx.out.write_all(text.as_bytes())?;
        ctx.out.flush()?;
    }
    let mut declined = false;
    let checks = match key {
        Some(key) if runs => {
            let notice = lineup.notice(&gw, live_timeout);
            if ask {
                writeln!(ctx.err, "\n{notice}")?;
                declined = !super::prompt::confirm(ctx.env, "Run them?", false)?;
            } else {
                writeln!(ctx.err, "{notice}")?;
            }
            if declined {
                lineup.not_run("you said no")
            } else {
                run_live(lineup, env, &gw, &key, live_timeout, opts.spinner)
            }
        }
        None if !lineup.runnable.is_empty() => {
            lineup.not_run("there is no key to give it (see API key above)")
        }
        _ => lineup.checks,
    };
    report.checks.extend(checks);
    report
        .gateway
        .insert("live_timeout_s".into(), json!(live_timeout.as_secs_f64()));
    report.elapsed = started.elapsed();
    report.declined = declined;
    Ok((report, shown_before))
}

/// Runs the lineup with a spinner naming the tool that runs (drawn from this thread only,
/// between runs: the command holds the stderr lock).
fn run_live(
    lineup: live::Lineup,
    env: &Env,
    gw: &Gateway,
    key: &ApiKey,
    timeout: Duration,
    spinner: bool,
) -> Vec<crate::gateway::report::Check> {
    let status = spinner.then(|| super::prompt::Status::new("running the live checks…"));
    let progress = |i: usize, n: usize, name: &str| {
        if let Some(status) = &status {
            status.set(&format!("running {name}… {}/{n}", i + 1));
        }
    };
    let checks = lineup.run(env, gw, key, timeout, &progress);
    if let Some(status) = status {
        status.clear();
    }
    checks
}

/// Routes a tool calls beyond the chat route in its template's `apis`: Claude Code sizes
/// its context with count_tokens, Gemini CLI speaks only Google's API. Templates may name
/// them in `apis` too (`count-tokens`, `gemini`); this covers the built-in ones until
/// they do.
pub fn extra_routes(tool: &str) -> &'static [Api] {
    match tool {
        "claude-code" => &[Api::CountTokens],
        "gemini-cli" => &[Api::Gemini],
        _ => &[],
    }
}

/// Resolves the gateway and runs every check; shared with `byok demo`.
pub fn build_report(env: &Env, profile_flag: Option<&str>, opts: &Options) -> Result<Report> {
    let (gw, info) = resolve(env, profile_flag, opts)?;
    report_for(env, &gw, &info, opts)
}

/// Every section but the live runs, for a resolved gateway.
fn report_for(env: &Env, gw: &Gateway, info: &KeyInfo, opts: &Options) -> Result<Report> {
    let started = Instant::now();
    // A key with stray whitespace is sent trimmed, so doctor can tell whether the rest works.
    let trimmed = gw
        .api_key()
        .map(|k| ApiKey::new(k.expose().trim().to_string()));
    let model = opts.model.clone().or_else(|| gw.model.clone());
    let anthropic_model = gw.anthropic_model.clone().or_else(|| model.clone());
    // A gateway that needs extra headers (the profile's `--header`s) is probed with them.
    let headers = {
        let cfg = profile::load(env).ok();
        profile::request_headers(env, cfg.as_ref().and_then(|c| c.profiles.get(&gw.name)))?
    };
    let client = crate::gateway::client_with(env, opts.timeout, &headers)?;
    let target = Target {
        client: &client,
        gw,
        key: trimmed.as_ref(),
        model: model.as_deref(),
        anthropic_model: anthropic_model.as_deref(),
        timeout: opts.timeout,
    };

    let mut checks = vec![
        probe::check_url(gw),
        probe::check_key(trimmed.as_ref(), info, &gw.name),
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
        required.extend(tool.endpoints(gw));
        required.extend(extra_routes(tool.id().as_str()));
    }
    if tools.is_empty() {
        // No tool to ask: the profile's own exports are what the user's tools will use.
        required.extend([Api::Models, Api::Chat]);
        if gw.anthropic_model.is_some() {
            required.insert(Api::Messages);
        }
    }
    // A gateway preset knows which routes it serves: the others are said, not probed
    // (count_tokens goes with messages; Gemini's routes are probed as the tool asks).
    let served = profile::load(env)
        .ok()
        .and_then(|c| c.profiles.get(&gw.name).cloned())
        .and_then(|p| Some((crate::presets::routes(&p)?.to_vec(), p.preset?)));
    if let Some((served, preset)) = served {
        let claimed = |a: &Api| match a {
            Api::CountTokens => served.contains(&Api::Messages),
            Api::Gemini | Api::Models => true,
            other => served.contains(other),
        };
        let skipped: Vec<String> = required
            .iter()
            .filter(|a| !claimed(a))
            .map(|a| a.url(gw))
            .collect();
        if !skipped.is_empty() {
            required.retain(|a| claimed(a));
            checks.push(crate::gateway::report::Check::new(
                crate::gateway::report::Section::Gateway,
                "preset.routes",
                "Preset",
                crate::gateway::report::Severity::Info,
                format!(
                    "preset `{preset}` does not serve {}: not probed (setup warns before configuring a tool that needs it)",
                    skipped.join(", ")
                ),
            ));
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
    let profile_models: Vec<&str> = [model.as_deref(), anthropic_model.as_deref()]
        .into_iter()
        .chain([gw.anthropic_model.as_deref(), gw.small_model.as_deref()])
        .flatten()
        .collect();
    let (routes, models) = tool_calls(env, gw, &tools, &profile_models);
    let plan = Plan {
        quick: opts.quick,
        required,
        hosts,
        routes,
        models,
    };

    // Drawn from this thread only: the command holds the stderr lock while it runs.
    let spinner = opts
        .spinner
        .then(|| super::prompt::Status::new("checking the gateway…"));
    let progress = |done: usize, total: usize| {
        if let Some(status) = &spinner {
            status.set(&format!("checking the gateway… {done}/{total}"));
        }
    };
    let local = || {
        let mut local = tool_checks(env, gw, &tools);
        local.extend(shell_checks(env, gw));
        local
    };
    checks.extend(probe::run(&target, &plan, &progress, local));
    if let Some(status) = spinner {
        status.clear();
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
        declined: false,
    })
}

/// The gateway under test: the active profile, with `--url`, `--key` and `--model` on top.
pub(super) fn resolve(env: &Env, flag: Option<&str>, opts: &Options) -> Result<(Gateway, KeyInfo)> {
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
