//! Full endpoint URLs: a tool whose files give a route's whole URL (Copilot Chat's model
//! `url`, Goose's `base_url`) calls exactly that URL, not the profile's base plus the
//! route. Where it is the URL the route's own probe called, that probe is its check (a
//! line says so, with no request of its own); where it differs (a hand edit, a profile
//! changed since setup), it is probed at that exact URL, and a failure says how the URL
//! differs from the profile's and which command writes the profile's back.

use super::request::{Spec, origin_of, path_of, probe};
use super::{Api, Outcome, Target};
use crate::gateway::http::Auth;
use crate::gateway::report::{Check, Section, Severity};
use crate::profile::Gateway;

/// A route a set-up tool calls at a full URL its files give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolRoute {
    /// The tool's id, for check ids.
    pub id: String,
    /// The tool's display name.
    pub tool: String,
    /// The API it speaks there.
    pub api: Api,
    /// The URL as the files hold it.
    pub url: String,
    /// Where the files hold it: `(file, key)`.
    pub places: Vec<(String, String)>,
    /// The step that writes the profile's URL back (`byok setup ID`, with `--force` after
    /// a hand edit).
    pub fix: String,
}

impl ToolRoute {
    /// Whether the route's own probe already called this exact URL.
    pub fn is_probed(&self, gw: &Gateway) -> bool {
        self.url == self.api.url(gw)
    }
}

/// Probes the tool's URL once, not streaming, with the profile's models; Anthropic
/// routes carry the key in `auth`, the profile's header.
pub(super) fn probe_route(t: &Target<'_>, r: &ToolRoute, auth: Auth) -> Outcome {
    let (auth, model) = if r.api.is_anthropic() {
        (auth, t.anthropic_model)
    } else {
        (Auth::Bearer, t.model)
    };
    probe(
        t,
        &Spec {
            api: r.api,
            stream: false,
            auth,
            model,
            url: Some(&r.url),
        },
    )
}

/// The line for a probed route: the probe's finding, said of the tool's URL; when it
/// failed where the profile's URL works, the hint names how the two differ.
pub(super) fn route_check(gw: &Gateway, r: &ToolRoute, out: Outcome, profile_ok: bool) -> Check {
    let mut c = out.check;
    c.id = format!("route.{}.{}", r.id, r.api.id(false));
    c.name = format!("{} {} ({})", method(r.api), path_of(&r.url), r.tool);
    let places = r
        .places
        .iter()
        .map(|(file, key)| format!("{file} {key}"))
        .collect::<Vec<_>>()
        .join(", ");
    let ours = r.api.url(gw);
    match c.severity {
        Severity::Fail => {
            c.message = format!("{}; {} calls it ({places})", c.message, r.tool);
            if profile_ok {
                c.hint = Some(format!(
                    "{}, while the profile's {ours} works: {}",
                    difference(&ours, &r.url),
                    r.fix
                ));
            } else if c.hint.as_deref().is_none_or(str::is_empty) {
                c.hint = Some(format!(
                    "the profile's {ours} fails too (above): fix that first, then {}",
                    r.fix
                ));
            }
        }
        Severity::Skipped => {}
        _ => {
            c.message = format!(
                "{} at {}'s own URL {} ({places}), not the profile's {ours}",
                c.message, r.tool, r.url
            );
        }
    }
    c.detail("tool_url", r.url.as_str())
        .detail("profile_url", ours)
}

/// The line for a tool whose full endpoint URLs are all the ones the route probes called.
pub(super) fn probed_above(gw: &Gateway, routes: &[&ToolRoute]) -> Option<Check> {
    let first = routes.first()?;
    let mut paths: Vec<String> = Vec::new();
    let mut places: Vec<&str> = Vec::new();
    for r in routes {
        let p = format!("{} {}", method(r.api), path_of(&r.api.url(gw)));
        if !paths.contains(&p) {
            paths.push(p);
        }
        for (file, _) in &r.places {
            if !places.contains(&file.as_str()) {
                places.push(file);
            }
        }
    }
    Some(Check::new(
        Section::Gateway,
        format!("route.{}", first.id),
        first.tool.clone(),
        Severity::Info,
        format!(
            "its full endpoint URLs are the ones probed above: {} (in {})",
            paths.join(", "),
            places.join(", ")
        ),
    ))
}

fn method(api: Api) -> &'static str {
    if api == Api::Models { "GET" } else { "POST" }
}

/// How the tool's URL differs from the profile's, for the hint.
pub(super) fn difference(ours: &str, theirs: &str) -> String {
    let (o, t) = (origin_of(ours), origin_of(theirs));
    if o != t {
        return format!("the URL points at {t}, not the profile's gateway {o}");
    }
    let (op, tp) = (path_of(ours), path_of(theirs));
    if let Some(missing) = op.strip_suffix(tp.as_str()).filter(|m| !m.is_empty()) {
        return format!("the URL misses the gateway's path `{missing}`");
    }
    if let Some(extra) = tp.strip_suffix(op.as_str()).filter(|m| !m.is_empty()) {
        return format!("the URL has `{extra}` before the gateway's path");
    }
    format!("the URL's path {tp} is not the gateway's {op}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_difference_is_named() {
        let ours = "http://gw:8/api/v1/chat/completions";
        assert_eq!(
            difference(ours, "http://gw:8/chat/completions"),
            "the URL misses the gateway's path `/api/v1`"
        );
        assert_eq!(
            difference(ours, "http://gw:8/v1/chat/completions"),
            "the URL misses the gateway's path `/api`"
        );
        assert_eq!(
            difference(
                "http://gw:8/v1/chat/completions",
                "http://gw:8/v1/v1/chat/completions"
            ),
            "the URL has `/v1` before the gateway's path"
        );
        assert_eq!(
            difference(ours, "https://old.example/api/v1/chat/completions"),
            "the URL points at https://old.example, not the profile's gateway http://gw:8"
        );
        assert_eq!(
            difference(ours, "http://gw:8/api/v1/chat"),
            "the URL's path /api/v1/chat is not the gateway's /api/v1/chat/completions"
        );
    }
}
