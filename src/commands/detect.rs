//! `byok detect`: every supported tool, whether it is installed, where its settings
//! live and whether they point at the active profile. Reads the file system only.
//!
//! "Configured" compares the tool's files with what setup would write; that alone can
//! say success while something else makes the tool ignore those settings (a Codex
//! `profile` selecting another provider, a `.env` in the working directory overriding
//! Continue's key). So detect also shows each tool's Warn and Fail findings from
//! [`Tool::diagnose`](crate::tools::Tool::diagnose), the same ones `byok doctor` lists, under the status line, and a
//! configured tool with a Fail finding is reported as "configured, but: …".
//!
//! Run in a project (or with `--project DIR`), it also names the project files each tool
//! reads there over the user's settings (the templates' `[[project_file]]`s) and which
//! of them wins: a file byok wrote with `setup --project` names its profile, another
//! what it sets ([`engine::project_files`]).

use anyhow::Result;

use super::Ctx;
use crate::cli::DetectArgs;
use crate::engine::{self, ToolStatus};
use crate::error::ExitStatus;
use crate::profile;
use crate::tools::{self, Current, Detection, Finding, Severity};

/// Prints the detection table (or JSON).
pub fn run(args: &DetectArgs, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let moved = super::in_project(ctx.env, args.project.as_deref())?;
    let env = moved.as_ref().unwrap_or(ctx.env);
    let cfg = profile::load(env)?;
    // Without any profile detection still works; status then says nothing about a gateway.
    let gw = if cfg.profiles.is_empty() && env.var(crate::env::BYOK_BASE_URL).is_none() {
        None
    } else {
        Some(profile::resolve(env, &cfg, ctx.profile.as_deref())?)
    };
    // One look at the file system for the whole table: files, dirs and the drift record
    // that several tools share are read once.
    let survey = engine::Survey::new(env);
    let mut rows = Vec::new();
    for tool in tools::registry(env).tools.iter() {
        // A file that can't be read (a FIFO, a bad link) is that tool's error, not detect's.
        let (cur, det, status) = match survey.inspect(*tool) {
            // An absent tool's status is never shown, so it is not worked out.
            Ok((cur, det)) if !det.installed => (cur, det, ToolStatus::NotConfigured),
            Ok((cur, det)) => {
                let status = survey.status(*tool, gw.as_ref(), &cur);
                (cur, det, status)
            }
            Err(e) => (
                Current::default(),
                Detection {
                    installed: true,
                    ..Detection::default()
                },
                ToolStatus::Error(crate::error::sanitize(&format!("{e:#}"))),
            ),
        };
        // Findings need a gateway to compare with, say nothing about an absent tool, and
        // only repeat "not set up" for one byok has not configured (the status says it).
        let findings = match &gw {
            Some(gw) if det.installed && status != ToolStatus::NotConfigured => {
                engine::problems(tool.diagnose(env, gw, &cur))
            }
            _ => Vec::new(),
        };
        // Which project files win over the user's settings here, profile or not.
        let project = if det.installed {
            engine::project_files(env, *tool, &cur)?
        } else {
            Vec::new()
        };
        rows.push((tool, det, status, findings, project));
    }
    if args.json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|(tool, det, status, findings, project)| {
                serde_json::json!({
                    "id": tool.id().as_str(),
                    "name": tool.name(),
                    "installed": det.installed,
                    // An absent tool's files say nothing worth a status.
                    "status": if det.installed { kind(status, findings) } else { "not-installed" },
                    "status_detail": if det.installed { label(status, findings) } else { "not installed".to_string() },
                    "evidence": det.evidence,
                    "config_files": det.config_files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
                    // How byok handed it the key at setup: command, reference or copy.
                    "key_form": survey.record(**tool).ok().flatten().and_then(|r| r.key_form),
                    "findings": findings.iter().map(|f| serde_json::json!({
                        // The names doctor's --json uses.
                        "severity": if f.severity == Severity::Fail { "fail" } else { "warn" },
                        "message": f.message,
                        "hint": f.hint,
                    })).collect::<Vec<_>>(),
                    // Project files read here over the user's settings, highest precedence first.
                    "project": project.iter().zip(engine::project_findings(env, **tool, project)).map(|(p, f)| serde_json::json!({
                        "path": p.read.path.display().to_string(),
                        "written_by_byok": p.profile.is_some(),
                        "profile": p.profile,
                        "base_urls": p.read.base_urls.iter().map(|u| crate::secret::redact(u)).collect::<Vec<_>>(),
                        "sets": p.read.sets.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
                        "replaces_user_settings": p.read.replaces,
                        "wins": p.wins,
                        "message": f.message,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let mut list = list;
        // A user template that can't be used is still a tool the user expects to see.
        for (id, why) in &tools::registry(env).broken {
            list.push(serde_json::json!({
                "id": id,
                "installed": false,
                "status": "error",
                "status_detail": format!("template can't be used: {why}"),
            }));
        }
        let doc =
            serde_json::json!({ "profile": gw.as_ref().map(|g| g.name.clone()), "tools": list });
        writeln!(ctx.out, "{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(ExitStatus::Success);
    }
    if gw.is_none() {
        writeln!(
            ctx.err,
            "no gateway profile yet, so no status is shown; run `byok init`"
        )?;
    }
    for (tool, det, status, findings, project) in &rows {
        let state = match (det.installed, &gw) {
            (false, _) => "not installed".to_string(),
            (true, None) => "installed".to_string(),
            // The findings follow on their own lines, right below.
            (true, Some(_)) => match status {
                ToolStatus::Configured { .. } if has_fail(findings) => {
                    format!("{}, but:", status.label())
                }
                _ => status.label(),
            },
        };
        writeln!(ctx.out, "{:<14} {state}", tool.name())?;
        for f in findings
            .iter()
            .chain(&engine::project_findings(env, **tool, project))
        {
            writeln!(
                ctx.out,
                "{:<14} {}: {}",
                "",
                engine::severity_name(f.severity),
                f.message
            )?;
            if let Some(hint) = &f.hint {
                writeln!(ctx.out, "{:<14}   hint: {hint}", "")?;
            }
        }
        for e in &det.evidence {
            writeln!(ctx.out, "{:<14} {e}", "")?;
        }
        if det.installed {
            for f in &det.config_files {
                let exists = if f.exists() { "" } else { " (not yet created)" };
                writeln!(ctx.out, "{:<14} config {}{exists}", "", env.tilde(f))?;
            }
        }
    }
    for (id, why) in &tools::registry(env).broken {
        writeln!(ctx.out, "{id:<14} error: template can't be used: {why}")?;
    }
    Ok(ExitStatus::Success)
}

fn has_fail(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Fail)
}

/// `--json`'s status detail: a configured tool with a Fail finding is not reported as
/// plain "configured" (warnings are listed, the status stands).
fn label(status: &ToolStatus, findings: &[Finding]) -> String {
    match (status, findings.first()) {
        (ToolStatus::Configured { .. }, Some(worst)) if worst.severity == Severity::Fail => {
            let more = match findings.len() {
                1 => String::new(),
                n => format!(" (and {} more below)", n - 1),
            };
            format!("{}, but: {}{more}", status.label(), worst.message)
        }
        _ => status.label(),
    }
}

/// `--json`'s status: `configured-with-problems` when a Fail finding means the tool
/// won't use the gateway despite byok's settings.
fn kind(status: &ToolStatus, findings: &[Finding]) -> &'static str {
    match status {
        ToolStatus::Configured { .. } if has_fail(findings) => "configured-with-problems",
        _ => status.kind(),
    }
}
