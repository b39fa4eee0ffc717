//! Talking to the gateway: the one place that opens sockets. The HTTP client is built
//! once per command with explicit timeouts, byok's user agent and no hidden retries.

use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::profile::Gateway;

/// Largest response body byok reads, so a broken gateway can't exhaust memory.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// Builds the blocking HTTP client: connect and total timeouts, byok's user agent.
pub fn client(timeout: Duration) -> Result<reqwest::blocking::Client> {
    reqwest::blocking::Client::builder()
        .user_agent(concat!("byok/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .context("could not build the HTTP client")
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
}
