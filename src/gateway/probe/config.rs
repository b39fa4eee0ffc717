//! Configuration checks (pure): the URL's shape, the key, the models, the proxies.

use super::Target;
use crate::env::Env;
use crate::gateway::report::{Check, Section, Severity};
use crate::profile::Gateway;
use crate::secret::ApiKey;

pub(super) fn config(
    id: &str,
    name: &str,
    severity: Severity,
    message: impl Into<String>,
) -> Check {
    Check::new(Section::Configuration, id, name, severity, message)
}

/// The URL's shape: the two derived bases, `/v1/v1`, plain http to another host.
pub fn check_url(gw: &Gateway) -> Check {
    let doubled = [&gw.openai_base, &gw.anthropic_base]
        .into_iter()
        .find(|u| u.to_ascii_lowercase().contains("/v1/v1"));
    let check = if let Some(u) = doubled {
        config(
            "url",
            "Gateway URL",
            Severity::Fail,
            format!("{u} has /v1 twice: clients would call …/v1/v1/…"),
        )
        .hint(format!(
            "save the base without the extra /v1: `byok init --openai-url {}`",
            collapse_v1(u)
        ))
    } else if gw.base.is_insecure_remote() {
        config(
            "url",
            "Gateway URL",
            Severity::Warn,
            format!(
                "{} uses plain http to a host that is not this machine: the key travels unencrypted",
                gw.base
            ),
        )
        .hint("use https:// if the gateway offers it (`byok init --url https://…`)")
    } else {
        config(
            "url",
            "Gateway URL",
            Severity::Ok,
            format!(
                "{} (OpenAI-format clients use {}, Anthropic-format clients {})",
                gw.base, gw.openai_base, gw.anthropic_base
            ),
        )
    };
    check
        .detail("base_url", gw.base.root())
        .detail("openai_base", gw.openai_base.as_str())
        .detail("anthropic_base", gw.anthropic_base.as_str())
}

pub(super) fn collapse_v1(u: &str) -> String {
    let mut s = u.to_string();
    while let Some(i) = s.to_ascii_lowercase().find("/v1/v1") {
        s.replace_range(i..i + 6, "/v1");
    }
    s
}

/// Where the key came from, for the key check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// "the profile", "--key", "$BYOK_API_KEY", "$GW_KEY".
    pub source: String,
    /// The key as found (before trimming) had whitespace around or inside it.
    pub whitespace: bool,
    /// The key variable named by the profile is unset (`Some(var)`).
    pub missing_var: Option<String>,
}

/// Key present, from where, and free of stray whitespace.
pub fn check_key(key: Option<&ApiKey>, info: &KeyInfo, profile: &str) -> Check {
    match key {
        None => {
            let (message, hint) = match &info.missing_var {
                Some(var) => (
                    format!("no key: profile `{profile}` reads it from ${var}, which is not set here"),
                    format!("export {var}=… in this shell, or save the key with `byok init --key …`"),
                ),
                None => (
                    "no key".to_string(),
                    "save one with `byok init --key …`, or pass --key".to_string(),
                ),
            };
            config("key", "API key", Severity::Fail, message).hint(hint)
        }
        Some(k) if info.whitespace => config(
            "key",
            "API key",
            Severity::Warn,
            format!(
                "{} from {} has whitespace or a line break around it (a copy-paste slip); doctor sends it trimmed, tools may not",
                k.masked(),
                info.source
            ),
        )
        .hint("save the trimmed key with `byok init --key …` (byok trims what you paste)")
        .detail("key", k.masked()),
        Some(k) => config(
            "key",
            "API key",
            Severity::Ok,
            format!("{} from {}", k.masked(), info.source),
        )
        .detail("key", k.masked()),
    }
}

/// Which models are configured.
pub fn check_models_config(t: &Target<'_>) -> Check {
    let mut parts = Vec::new();
    if let Some(m) = t.model {
        parts.push(format!("chat {m}"));
    }
    if let Some(m) = t.gw.anthropic_model.as_deref() {
        parts.push(format!("Anthropic {m}"));
    }
    if let Some(m) = t.gw.small_model.as_deref() {
        parts.push(format!("small {m}"));
    }
    if t.model.is_none() && t.anthropic_model.is_none() {
        return config(
            "models_config",
            "Models",
            Severity::Warn,
            "no model configured: the generation checks are skipped",
        )
        .hint("save one with `byok init --model …`, or pass `byok doctor --model …`");
    }
    config("models_config", "Models", Severity::Ok, parts.join(", "))
}

/// The proxy variables in effect, and which hosts go through a proxy.
pub fn check_proxy(env: &Env, urls: &[&str]) -> Check {
    let vars: Vec<String> = ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"]
        .iter()
        .filter_map(|v| {
            crate::gateway::proxy_var(env, v).map(|val| format!("{v}={}", hide_password(val)))
        })
        .collect();
    if vars.is_empty() {
        return config(
            "proxy",
            "Proxy",
            Severity::Ok,
            "no proxy variables set: direct connections",
        );
    }
    let mut routed = Vec::new();
    for u in urls {
        let host = reqwest::Url::parse(u)
            .ok()
            .and_then(|x| x.host_str().map(str::to_string))
            .unwrap_or_default();
        match crate::gateway::proxy_for(env, u) {
            Some(p) => routed.push(format!("{host} goes through {}", hide_password(p))),
            None => routed.push(format!("{host} is reached directly")),
        }
    }
    routed.dedup();
    config(
        "proxy",
        "Proxy",
        Severity::Info,
        format!("{}; {}", vars.join(", "), routed.join(", ")),
    )
    .detail("variables", vars)
}

/// `http://user:secret@proxy` → `http://user:***@proxy`.
pub(super) fn hide_password(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}
