//! Running every network check at once: one thread per probe, one shared client.

use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use super::endpoint::{ToolRoute, probe_route, probed_above, route_check};
use super::judge::judge_anthropic_auth;
use super::models::check_tool_models;
use super::request::{
    probe_chat, probe_count_tokens, probe_gemini, probe_messages, probe_models, probe_responses,
};
use super::{Api, Outcome, Plan, Target, Verdict};
use crate::gateway::http::Auth;
use crate::gateway::net;
use crate::gateway::report::{Check, Section, Severity};
use crate::profile::AnthropicAuth;

/// Reports a finished check when dropped, so a panicking probe is counted too.
pub(super) struct Finished(mpsc::Sender<()>);

impl Drop for Finished {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// Runs reachability and the API probes concurrently (one thread each, one shared
/// client), while `local` runs on the calling thread. `progress(done, total)` is called
/// on the calling thread only, as checks finish and every 80 ms (the workers never touch
/// the terminal: stderr is locked by the command for its whole run). Returns
/// reachability and gateway checks, then `local`'s.
pub fn run(
    t: &Target<'_>,
    plan: &Plan,
    progress: &dyn Fn(usize, usize),
    local: impl FnOnce() -> Vec<Check>,
) -> Vec<Check> {
    let mine = match t.gw.anthropic_auth {
        AnthropicAuth::Bearer => Auth::Bearer,
        AnthropicAuth::XApiKey => Auth::XApiKey,
    };
    let other = match mine {
        Auth::XApiKey => Auth::Bearer,
        _ => Auth::XApiKey,
    };
    // Routes only some tools call are probed when such a tool is set up.
    let count_tokens = !plan.quick && plan.required.contains(&Api::CountTokens);
    let gemini = !plan.quick && plan.required.contains(&Api::Gemini);
    // A tool's own full endpoint URL is probed where the route's probe did not call it.
    let routes: Vec<&ToolRoute> = if plan.quick {
        Vec::new()
    } else {
        plan.routes.iter().filter(|r| !r.is_probed(t.gw)).collect()
    };
    let (tx, rx) = mpsc::channel();
    let total = plan.hosts.len()
        + if plan.quick { 1 } else { 8 }
        + usize::from(count_tokens)
        + 2 * usize::from(gemini)
        + routes.len();
    let (reach, mut outcomes, other_verdict, route_outcomes, local_checks) =
        std::thread::scope(|s| {
            let finished = &tx;
            let reach: Vec<_> = plan
                .hosts
                .iter()
                .enumerate()
                .map(|(i, (host, proxy))| {
                    s.spawn(move || {
                        let _done = Finished(finished.clone());
                        let suffix = if i == 0 {
                            String::new()
                        } else {
                            format!(".{}", i + 1)
                        };
                        net::reachability(host, proxy.as_deref(), t.timeout, &suffix)
                    })
                })
                .collect();
            let spawn = |f: fn(&Target<'_>) -> Outcome| {
                s.spawn(move || {
                    let _done = Finished(finished.clone());
                    f(t)
                })
            };
            let mut probes = vec![spawn(probe_models)];
            let mut other_handle = None;
            if !plan.quick {
                probes.push(spawn(|t| probe_chat(t, false)));
                probes.push(spawn(|t| probe_chat(t, true)));
                probes.push(s.spawn(move || {
                    let _done = Finished(finished.clone());
                    probe_messages(t, mine, false)
                }));
                probes.push(s.spawn(move || {
                    let _done = Finished(finished.clone());
                    probe_messages(t, mine, true)
                }));
                probes.push(spawn(|t| probe_responses(t, false)));
                probes.push(spawn(|t| probe_responses(t, true)));
                if count_tokens {
                    probes.push(s.spawn(move || {
                        let _done = Finished(finished.clone());
                        probe_count_tokens(t, mine)
                    }));
                }
                if gemini {
                    probes.push(spawn(|t| probe_gemini(t, false)));
                    probes.push(spawn(|t| probe_gemini(t, true)));
                }
                other_handle = Some(s.spawn(move || {
                    let _done = Finished(finished.clone());
                    probe_messages(t, other, false).verdict
                }));
            }
            let route_handles: Vec<_> = routes
                .iter()
                .map(|r| {
                    s.spawn(move || {
                        let _done = Finished(finished.clone());
                        probe_route(t, r, mine)
                    })
                })
                .collect();
            let local_checks = local();
            let mut n = 0;
            while n < total {
                progress(n, total);
                match rx.recv_timeout(Duration::from_millis(80)) {
                    Ok(()) => n += 1,
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
            progress(n, total);
            let reach: Vec<Check> = reach
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|_| vec![crashed("reachability")]))
                .collect();
            let outcomes = joined(probes, "probe");
            let other_verdict = other_handle.map(|h| h.join().unwrap_or(Verdict::Unknown));
            let route_outcomes = joined(route_handles, "route");
            (reach, outcomes, other_verdict, route_outcomes, local_checks)
        });

    let mut checks = reach;
    let reach_failed = checks.iter().any(|c| c.severity == Severity::Fail);
    let mut auth_check = None;
    if let Some(ov) = other_verdict
        && let Some(m) = outcomes.iter_mut().find(|o| o.check.id == "messages")
    {
        let verdict = m.verdict;
        auth_check = Some(judge_anthropic_auth(t.gw, &mut m.check, verdict, ov));
    }
    let listed = outcomes
        .iter()
        .find(|o| o.check.id == "models")
        .and_then(|o| o.models.clone());
    let mut gateway: Vec<Check> = outcomes.into_iter().map(|o| o.check).collect();
    if let Some(a) = auth_check {
        let at = gateway
            .iter()
            .position(|c| c.id == "messages_stream")
            .map_or(gateway.len(), |i| i + 1);
        gateway.insert(at, a);
    }
    for c in &mut gateway {
        let endpoint = match c.id.as_str() {
            "models" => Api::Models,
            "chat" | "chat_stream" => Api::Chat,
            "messages" | "messages_stream" | "anthropic_auth" => Api::Messages,
            "count_tokens" => Api::CountTokens,
            "gemini" | "gemini_stream" => Api::Gemini,
            _ => Api::Responses,
        };
        c.required = plan.required.contains(&endpoint) || (plan.quick && c.id == "models");
        // The reachability section already names a failure to connect; say it once.
        let kind = c.details.get("error").and_then(Value::as_str);
        if reach_failed
            && c.severity == Severity::Fail
            && matches!(kind, Some("dns" | "refused" | "tls" | "certificate"))
        {
            c.severity = Severity::Skipped;
            c.message = "not reached (see Reachability)".into();
            c.hint = None;
        }
    }
    // Each tool's full endpoint URLs, after the route probes they are compared with.
    let mut probed: Vec<Check> = Vec::new();
    for (r, out) in routes.iter().zip(route_outcomes) {
        let ours = gateway
            .iter()
            .find(|c| c.id == r.api.id(false))
            .is_some_and(|c| matches!(c.severity, Severity::Ok | Severity::Warn));
        probed.push(route_check(t.gw, r, out, ours));
    }
    if !plan.quick {
        let mut tools: Vec<&str> = plan.routes.iter().map(|r| r.id.as_str()).collect();
        tools.dedup();
        for id in tools {
            let same: Vec<&ToolRoute> = plan
                .routes
                .iter()
                .filter(|r| r.id == id && r.is_probed(t.gw))
                .collect();
            probed.extend(probed_above(t.gw, &same));
        }
    }
    // Each tool's own models, right after the list they are compared with.
    let at = gateway
        .iter()
        .position(|c| c.id == "models")
        .map_or(0, |i| i + 1);
    gateway.splice(at..at, check_tool_models(listed.as_deref(), &plan.models));
    checks.extend(gateway.into_iter().map(Check::settle));
    checks.extend(probed);
    checks.extend(local_checks);
    checks
}

/// The outcomes of probe threads, in order; a thread that panicked is a crashed `what`.
fn joined(handles: Vec<std::thread::ScopedJoinHandle<'_, Outcome>>, what: &str) -> Vec<Outcome> {
    handles
        .into_iter()
        .map(|h| {
            h.join().unwrap_or_else(|_| Outcome {
                check: crashed(what),
                verdict: Verdict::Unknown,
                models: None,
            })
        })
        .collect()
}

pub(super) fn crashed(what: &str) -> Check {
    Check::new(
        Section::Gateway,
        what,
        what,
        Severity::Fail,
        "the check crashed (a bug in byok; please report it)",
    )
}
