//! Talking to the gateway: the one place that opens sockets. The HTTP client is built
//! once per command with explicit timeouts, byok's user agent and no hidden retries.
//!
//! - [`probe`]: doctor's checks, one function per endpoint, each returning a [`report::Check`].
//! - [`net`]: DNS, TCP and TLS, each timed on its own.
//! - [`http`]: one bounded exchange (deadline, size cap) and the parsers for its answer.
//! - [`report`]: severities, the text and JSON report, the exit decision.
//! - [`relay`]: the recording relay behind `byok doctor --live`.
//! - [`mock`]: the embedded mock gateway behind `byok demo`, the tests and the benchmark.

use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::env::Env;
use crate::profile::Gateway;

pub mod http;
pub mod mock;
pub mod net;
pub mod probe;
pub mod relay;
pub mod report;

/// Largest response body byok reads, so a broken gateway can't exhaust memory.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// Builds the blocking HTTP client: connect and total timeouts, byok's user agent, no
/// hidden retries, and the proxies taken from `env` (`HTTPS_PROXY`, `HTTP_PROXY`,
/// `ALL_PROXY`, `NO_PROXY`, upper or lower case) rather than from the process, so what
/// doctor reports as "in effect" is exactly what is used.
pub fn client_for(env: &Env, timeout: Duration) -> Result<reqwest::blocking::Client> {
    client_with(env, timeout, &[])
}

/// [`client_for`], also sending a profile's extra `headers` on every request (Portkey,
/// Cloudflare AI Gateway; see [`crate::profile::request_headers`]).
pub fn client_with(
    env: &Env,
    timeout: Duration,
    headers: &[(String, String)],
) -> Result<reqwest::blocking::Client> {
    let mut map = reqwest::header::HeaderMap::new();
    for (name, value) in headers {
        let n = reqwest::header::HeaderName::from_bytes(name.as_bytes())
            .with_context(|| format!("`{name}` is not a valid header name"))?;
        let mut v = reqwest::header::HeaderValue::from_str(value)
            .with_context(|| format!("the value of header `{name}` is not valid in a header"))?;
        v.set_sensitive(crate::profile::is_secret_header(name));
        map.insert(n, v);
    }
    let mut b = reqwest::blocking::Client::builder()
        .default_headers(map)
        .user_agent(concat!("byok/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::limited(3))
        .no_proxy();
    let no_proxy = proxy_var(env, "NO_PROXY").and_then(reqwest::NoProxy::from_string);
    for var in ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"] {
        if let Some(url) = proxy_var(env, var) {
            let made = match var {
                "HTTPS_PROXY" => reqwest::Proxy::https(url),
                "HTTP_PROXY" => reqwest::Proxy::http(url),
                _ => reqwest::Proxy::all(url),
            };
            let p = made.map_err(|e| {
                crate::error::UserError::new(format!("${var} is not a valid proxy URL: {e}"))
            })?;
            b = b.proxy(p.no_proxy(no_proxy.clone()));
        }
    }
    b.build().context("could not build the HTTP client")
}

/// A proxy variable, upper case first, then lower case (as curl and reqwest read them).
pub fn proxy_var<'a>(env: &'a Env, name: &str) -> Option<&'a str> {
    env.var(name)
        .or_else(|| env.var(&name.to_ascii_lowercase()))
}

/// The proxy a request to `url` goes through, given `env`'s proxy variables.
pub fn proxy_for<'a>(env: &'a Env, url: &str) -> Option<&'a str> {
    let u = reqwest::Url::parse(url).ok()?;
    let host = u.host_str()?.trim_start_matches('[').trim_end_matches(']');
    if let Some(list) = proxy_var(env, "NO_PROXY")
        && no_proxy_matches(list, host)
    {
        return None;
    }
    let specific = if u.scheme() == "https" {
        proxy_var(env, "HTTPS_PROXY")
    } else {
        proxy_var(env, "HTTP_PROXY")
    };
    specific.or_else(|| proxy_var(env, "ALL_PROXY"))
}

/// `NO_PROXY` matching: `*`, exact hosts or IPs, and domain suffixes (`.corp` or `corp`).
fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            let entry = entry.to_ascii_lowercase();
            if entry == "*" {
                return true;
            }
            // Drop a port (`example.com:8080`) that some people write.
            let entry = match entry.rsplit_once(':') {
                Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => {
                    h.to_string()
                }
                _ => entry,
            };
            let bare = entry.trim_start_matches('.');
            host == bare || host.ends_with(&format!(".{bare}"))
        })
}

/// Reads a response body up to [`MAX_BODY`] bytes.
pub fn read_body(resp: reqwest::blocking::Response) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut buf = Vec::new();
    resp.take(MAX_BODY as u64 + 1)
        .read_to_end(&mut buf)
        .context("could not read the gateway's response")?;
    if buf.len() > MAX_BODY {
        bail!(
            "the gateway's response is larger than {} MiB",
            MAX_BODY / 1024 / 1024
        );
    }
    Ok(buf)
}

/// `GET {openai_base}/models`: the model ids the gateway offers.
pub fn list_models(client: &reqwest::blocking::Client, gw: &Gateway) -> Result<Vec<String>> {
    let key = gw.require_key()?;
    let url = format!("{}/models", gw.openai_base);
    let resp = client
        .get(&url)
        .bearer_auth(key.expose())
        .send()
        .map_err(|e| {
            anyhow::anyhow!(
                "could not reach {url}: {}",
                crate::secret::redact(&format!("{e:#}"))
            )
        })?;
    let status = resp.status();
    let body = read_body(resp)?;
    if !status.is_success() {
        let text = sanitize(&String::from_utf8_lossy(&body), 200);
        bail!("GET {url} answered {status}: {text}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&body).with_context(|| format!("GET {url} did not return JSON"))?;
    let ids = json["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Ok(ids)
}

/// Makes server text safe to print: control characters dropped, length capped, keys masked.
pub fn sanitize(text: &str, max_chars: usize) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect();
    let cleaned = cleaned.trim();
    let mut out: String = cleaned.chars().take(max_chars).collect();
    if cleaned.chars().count() > max_chars {
        out.push('…');
    }
    crate::secret::redact(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_strips_controls_and_caps() {
        assert_eq!(sanitize("a\x1b[31mb\nc", 100), "a[31mb c");
        assert_eq!(sanitize("abcdef", 3), "abc…");
    }

    #[test]
    fn proxies_from_env() {
        let env = |pairs: &[(&str, &str)]| {
            Env::from_vars(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                crate::env::Os::Linux,
                "/".into(),
                Some("/h".into()),
            )
        };
        let e = env(&[
            ("https_proxy", "http://proxy:3128"),
            ("ALL_PROXY", "socks5://s:1080"),
            ("NO_PROXY", "localhost, .corp.example,10.0.0.1:443"),
        ]);
        assert_eq!(
            proxy_for(&e, "https://gw.example.com/v1"),
            Some("http://proxy:3128")
        );
        assert_eq!(
            proxy_for(&e, "http://gw.example.com/v1"),
            Some("socks5://s:1080")
        );
        assert_eq!(proxy_for(&e, "https://llm.corp.example"), None);
        assert_eq!(proxy_for(&e, "https://corp.example"), None);
        assert_eq!(
            proxy_for(&e, "https://notcorp.example"),
            Some("http://proxy:3128")
        );
        assert_eq!(proxy_for(&e, "http://10.0.0.1"), None);
        assert_eq!(proxy_for(&e, "http://localhost:4000"), None);
        assert_eq!(proxy_for(&env(&[]), "https://gw"), None);
        assert!(client_for(&e, Duration::from_secs(1)).is_ok());
        assert!(client_for(&env(&[("HTTPS_PROXY", "::nope")]), Duration::from_secs(1)).is_err());
    }
}
