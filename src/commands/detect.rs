//! `byok detect`: every supported tool, whether it is installed, where its settings
//! live and whether they point at the active profile. Reads the file system only.

use anyhow::Result;

use super::Ctx;
use super::engine;
use crate::cli::DetectArgs;
use crate::error::ExitStatus;
use crate::profile;
use crate::tools::TOOLS;

/// Prints the detection table (or JSON).
pub fn run(args: &DetectArgs, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let env = ctx.env;
    let cfg = profile::load(env)?;
    // Without any profile detection still works; status then says nothing about a gateway.
    let gw = if cfg.profiles.is_empty() && env.var(crate::env::BYOK_BASE_URL).is_none() {
        None
    } else {
        Some(profile::resolve(env, &cfg, ctx.profile.as_deref())?)
    };
    let mut rows = Vec::new();
    for tool in TOOLS {
        let (cur, det) = engine::inspect(env, *tool)?;
        let status = engine::status(env, *tool, gw.as_ref(), &cur);
        rows.push((tool, det, status));
    }
    if args.json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|(tool, det, status)| {
                serde_json::json!({
                    "id": tool.id().as_str(),
                    "name": tool.name(),
                    "installed": det.installed,
                    // An absent tool's files say nothing worth a status.
                    "status": if det.installed { status.kind() } else { "not-installed" },
                    "status_detail": if det.installed { status.label() } else { "not installed".to_string() },
                    "evidence": det.evidence,
                    "config_files": det.config_files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
                })
            })
            .collect();
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
    for (tool, det, status) in &rows {
        let state = match (det.installed, &gw) {
            (false, _) => "not installed".to_string(),
            (true, None) => "installed".to_string(),
            (true, Some(_)) => status.label(),
        };
        writeln!(ctx.out, "{:<14} {state}", tool.name())?;
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
    Ok(ExitStatus::Success)
}
