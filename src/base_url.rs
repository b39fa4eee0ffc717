//! Gateway URL normalisation: users paste `https://gw`, `https://gw/v1/`, full endpoint
//! URLs or text with a trailing newline; byok stores one canonical root and derives
//! the form each kind of client wants.
//!
//! OpenAI-style clients want `<root>/v1` and append `/chat/completions`; Anthropic-style
//! clients (Claude Code, the Anthropic SDKs) want `<root>` and append `/v1/messages`.
//! Deriving both from one root is what makes `/v1/v1` impossible.

use std::fmt;

use anyhow::{Result, bail};
use reqwest::Url;

/// Endpoint paths people paste by mistake after the base; stripped with a note.
const ENDPOINT_SUFFIXES: &[&str] = &[
    "/chat/completions",
    "/completions",
    "/messages",
    "/responses",
    "/models",
    "/embeddings",
];

/// A validated gateway root: scheme, host, port and path prefix, never ending in `/` or `/v1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    root: String,
}

/// What normalisation changed, for the user to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    /// The canonical URL.
    pub url: BaseUrl,
    /// Human-readable notes about what was removed or fixed.
    pub notes: Vec<String>,
}

impl BaseUrl {
    /// Parses and normalises a pasted gateway URL.
    pub fn parse(input: &str) -> Result<Normalized> {
        let mut notes = Vec::new();
        let trimmed = input.trim();
        if trimmed != input {
            notes.push("removed surrounding whitespace".to_string());
        }
        let url = parse_http_url(trimmed)?;
        let mut path = url.path().trim_end_matches('/').to_string();
        for suffix in ENDPOINT_SUFFIXES {
            if let Some(rest) = strip_suffix_ci(&path, suffix) {
                notes.push(format!(
                    "removed the endpoint path `{suffix}`: byok adds it per tool"
                ));
                path = rest.trim_end_matches('/').to_string();
                break;
            }
        }
        let mut stripped_v1 = 0;
        while let Some(rest) = strip_suffix_ci(&path, "/v1") {
            path = rest.trim_end_matches('/').to_string();
            stripped_v1 += 1;
        }
        if stripped_v1 > 1 {
            notes.push("collapsed a repeated `/v1/v1`".to_string());
        }
        let root = format!("{}{}", origin(&url), path);
        Ok(Normalized {
            url: Self { root },
            notes,
        })
    }

    /// The root, for Anthropic-style clients (they append `/v1/messages`).
    pub fn root(&self) -> &str {
        &self.root
    }

    /// The `/v1` form, for OpenAI-style clients.
    pub fn openai(&self) -> String {
        format!("{}/v1", self.root)
    }

    /// The host name (without port).
    pub fn host(&self) -> String {
        Url::parse(&self.root)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// True for plain `http://` to a host that is not loopback: the key would travel in clear.
    pub fn is_insecure_remote(&self) -> bool {
        is_insecure_remote(&self.root)
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.root)
    }
}

/// Validates an explicit per-format base URL override, keeping its path as given.
pub fn parse_override(input: &str) -> Result<String> {
    let url = parse_http_url(input.trim())?;
    Ok(format!(
        "{}{}",
        origin(&url),
        url.path().trim_end_matches('/')
    ))
}

/// Validates an Anthropic-style base override: like [`parse_override`], minus a trailing `/v1`.
pub fn parse_anthropic_override(input: &str) -> Result<String> {
    let mut s = parse_override(input)?;
    while let Some(rest) = strip_suffix_ci(&s, "/v1") {
        s = rest.trim_end_matches('/').to_string();
    }
    Ok(s)
}

/// True for plain `http://` to a host that is not loopback.
pub fn is_insecure_remote(url: &str) -> bool {
    let Ok(u) = Url::parse(url) else { return false };
    u.scheme() == "http" && !is_loopback_host(u.host_str().unwrap_or(""))
}

/// True for `localhost`, `127.0.0.0/8` and `::1`.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

fn parse_http_url(s: &str) -> Result<Url> {
    if s.is_empty() {
        bail!("the gateway URL is empty");
    }
    if s.chars().any(char::is_whitespace) {
        bail!("the gateway URL `{s}` contains whitespace");
    }
    let url = match Url::parse(s) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            bail!("`{s}` has no scheme: did you mean https://{s} ?")
        }
        Err(e) => bail!("`{s}` is not a valid URL: {e}"),
    };
    match url.scheme() {
        "http" | "https" => {}
        // `gw.example.com:8080/v1` parses with scheme `gw.example.com`.
        other
            if !s.contains("://")
                && s.split_once(':')
                    .is_some_and(|(_, rest)| rest.starts_with(|c: char| c.is_ascii_digit())) =>
        {
            bail!("`{s}` has no scheme: did you mean https://{s} ? (read `{other}` as a scheme)")
        }
        other => bail!(
            "unsupported scheme `{other}://`: the gateway URL must start with https:// or http://"
        ),
    }
    if !url.username().is_empty() || url.password().is_some() {
        bail!(
            "the gateway URL must not contain credentials (`user:password@`): give the key with --key or --key-env instead"
        );
    }
    if url.host_str().is_none_or(str::is_empty) {
        bail!("`{s}` has no host");
    }
    if url.query().is_some() || url.fragment().is_some() {
        bail!("the gateway URL must not contain `?query` or `#fragment`: `{s}`");
    }
    Ok(url)
}

fn origin(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    match url.port() {
        Some(p) => format!("{}://{host}:{p}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

fn strip_suffix_ci<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    (s.is_char_boundary(cut) && s[cut..].eq_ignore_ascii_case(suffix)).then(|| &s[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn root(input: &str) -> String {
        BaseUrl::parse(input).unwrap().url.root().to_string()
    }

    #[test]
    fn pasted_forms_all_normalise_to_one_root() {
        for input in [
            "https://gw",
            "https://gw/",
            "https://gw/v1",
            "https://gw/v1/",
            " https://gw/v1/ ",
            "https://gw/v1\n",
            "\thttps://gw\r\n",
            "HTTPS://GW/V1",
            "https://gw//",
            "https://gw/v1/v1",
            "https://gw/v1/chat/completions",
            "https://gw/v1/messages",
            "https://gw/v1/models/",
            "https://gw/chat/completions",
        ] {
            assert_eq!(root(input), "https://gw", "input {input:?}");
        }
    }

    #[test]
    fn prefixes_and_ports_are_kept() {
        assert_eq!(
            root("https://openrouter.ai/api/v1"),
            "https://openrouter.ai/api"
        );
        assert_eq!(root("https://gw/api/v1/"), "https://gw/api");
        assert_eq!(root("http://127.0.0.1:4000"), "http://127.0.0.1:4000");
        assert_eq!(root("http://[::1]:4000/v1"), "http://[::1]:4000");
        assert_eq!(root("https://gw:443/v1"), "https://gw");
        assert_eq!(root("https://gw/v10"), "https://gw/v10");
        assert_eq!(
            root("https://gw/proxy/openai/v1"),
            "https://gw/proxy/openai"
        );
    }

    #[test]
    fn derived_forms_never_double_v1() {
        for input in [
            "https://gw",
            "https://gw/v1",
            "https://gw/v1/v1/",
            "https://gw/api/v1",
        ] {
            let u = BaseUrl::parse(input).unwrap().url;
            assert!(!u.openai().contains("/v1/v1"), "{input}");
            assert!(u.openai().ends_with("/v1"));
            assert!(!u.root().ends_with("/v1"));
            assert!(!u.root().ends_with('/'));
        }
    }

    #[test]
    fn notes_say_what_changed() {
        let n = BaseUrl::parse(" https://gw/v1/v1/chat/completions\n").unwrap();
        assert_eq!(
            n.notes,
            [
                "removed surrounding whitespace",
                "removed the endpoint path `/chat/completions`: byok adds it per tool",
                "collapsed a repeated `/v1/v1`",
            ]
        );
        assert!(BaseUrl::parse("https://gw/v1").unwrap().notes.is_empty());
    }

    #[test]
    fn rejects_bad_urls_with_a_reason() {
        let cases = [
            ("", "empty"),
            ("ftp://gw", "unsupported scheme `ftp://`"),
            ("file:///etc/passwd", "unsupported scheme"),
            (
                "gw.example.com/v1",
                "did you mean https://gw.example.com/v1",
            ),
            (
                "gw.example.com:8080",
                "did you mean https://gw.example.com:8080",
            ),
            ("https://user:pw@gw/v1", "must not contain credentials"),
            ("https://user@gw", "must not contain credentials"),
            ("https://gw/v1?key=x", "?query"),
            ("https://gw/a b", "whitespace"),
            ("https://", "not a valid URL"),
            ("javascript:alert(1)", "unsupported scheme"),
        ];
        for (input, want) in cases {
            let err = BaseUrl::parse(input).unwrap_err().to_string();
            assert!(err.contains(want), "{input:?}: {err}");
        }
    }

    #[test]
    fn insecure_remote_detection() {
        let insecure = |s: &str| BaseUrl::parse(s).unwrap().url.is_insecure_remote();
        assert!(insecure("http://gw.example.com"));
        assert!(insecure("http://10.0.0.5:4000"));
        assert!(!insecure("https://gw.example.com"));
        assert!(!insecure("http://localhost:4000"));
        assert!(!insecure("http://127.0.0.2"));
        assert!(!insecure("http://[::1]:8080"));
    }

    #[test]
    fn overrides() {
        assert_eq!(
            parse_override(" https://openrouter.ai/api/v1/ ").unwrap(),
            "https://openrouter.ai/api/v1"
        );
        assert_eq!(
            parse_anthropic_override("https://openrouter.ai/api/v1").unwrap(),
            "https://openrouter.ai/api"
        );
        assert!(parse_override("ftp://x").is_err());
    }
}
