//! Hooks of the desktop apps byok can only give steps for (templates with no files):
//! Claude Desktop's auth-scheme step and its missing Linux build, and Warp, whose
//! requests leave from Warp's servers, so a gateway on a loopback or private address
//! can't work there.

use std::net::IpAddr;

use super::generic::Hook;
use super::{Current, Finding, SetupOptions, Severity};
use crate::env::{Env, Os};
use crate::plan::Plan;
use crate::profile::{AnthropicAuth, Gateway};

/// Claude Desktop's hook.
pub struct ClaudeDesktopHook;

impl Hook for ClaudeDesktopHook {
    fn after_plan(
        &self,
        env: &Env,
        gw: &Gateway,
        _opts: &SetupOptions,
        _cur: &Current,
        plan: &mut Plan,
    ) -> anyhow::Result<()> {
        if env.os == Os::Linux {
            plan.manual_steps.clear();
            plan.notes.push(
                "Claude Desktop has no Linux release (macOS and Windows only), so there is nothing to set up here".to_string(),
            );
            return Ok(());
        }
        let scheme = match gw.anthropic_auth {
            AnthropicAuth::Bearer => "Bearer",
            AnthropicAuth::XApiKey => "x-api-key",
        };
        plan.manual_steps.push(format!(
            "Auth scheme: {scheme}; apply, then quit and reopen Claude Desktop"
        ));
        Ok(())
    }
}

/// Warp's hook.
pub struct WarpHook;

/// Why Warp's servers can't reach `url`, if they can't: a loopback or private address,
/// or a name only a local network resolves.
fn unreachable_from_warp(url: &str) -> Option<&'static str> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']');
    if crate::base_url::is_loopback_host(host) {
        return Some("a loopback address");
    }
    let private = match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_private() || ip.is_link_local() || ip.is_unspecified(),
        // fc00::/7 (unique local) and fe80::/10 (link-local).
        Ok(IpAddr::V6(ip)) => {
            (ip.segments()[0] & 0xfe00) == 0xfc00 || (ip.segments()[0] & 0xffc0) == 0xfe80
        }
        Err(_) => {
            let h = host.to_ascii_lowercase();
            !h.contains('.')
                || [".local", ".lan", ".internal", ".home.arpa", ".corp"]
                    .iter()
                    .any(|s| h.ends_with(s))
        }
    };
    private.then_some("a private-network address")
}

/// The warning for a gateway Warp can't use, if it is one.
fn warning(gw: &Gateway) -> Option<String> {
    let why = unreachable_from_warp(&gw.openai_base)?;
    Some(format!(
        "Warp sends requests from its own servers, so {} ({why}) can't work there: give Warp a public HTTPS URL for the gateway",
        gw.openai_base
    ))
}

impl Hook for WarpHook {
    fn after_plan(
        &self,
        _env: &Env,
        gw: &Gateway,
        _opts: &SetupOptions,
        _cur: &Current,
        plan: &mut Plan,
    ) -> anyhow::Result<()> {
        plan.notes.extend(warning(gw));
        Ok(())
    }

    fn diagnose(&self, _env: &Env, gw: &Gateway, _cur: &Current) -> Vec<Finding> {
        warning(gw)
            .map(|message| Finding {
                severity: Severity::Warn,
                message,
                hint: Some(
                    "expose the gateway on a public HTTPS URL for Warp, or use another tool"
                        .to_string(),
                ),
            })
            .into_iter()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warp_cannot_reach_loopback_or_private_gateways() {
        for (url, want) in [
            ("http://127.0.0.1:4000/v1", Some("a loopback address")),
            ("http://localhost:4000/v1", Some("a loopback address")),
            ("http://[::1]:4000/v1", Some("a loopback address")),
            ("http://10.1.2.3/v1", Some("a private-network address")),
            (
                "http://192.168.1.5:4000/v1",
                Some("a private-network address"),
            ),
            ("http://172.16.0.9/v1", Some("a private-network address")),
            ("http://[fd00::1]/v1", Some("a private-network address")),
            ("http://litellm:4000/v1", Some("a private-network address")),
            (
                "https://gw.corp.internal/v1",
                Some("a private-network address"),
            ),
            ("https://gw.example.com/v1", None),
            ("https://8.8.8.8/v1", None),
        ] {
            assert_eq!(unreachable_from_warp(url), want, "{url}");
        }
    }
}
