//! One HTTP exchange with the gateway, bounded in time and size, and the small parsers
//! doctor needs to judge the answer: server-sent events, the gateway's own error
//! message, transport errors by kind.
//!
//! Every read is checked against a deadline and a size cap, so a gateway that trickles
//! bytes, never ends a stream or sends gigabytes cannot keep doctor waiting: the worst
//! case is the deadline plus one read timeout (both the `--timeout` value).

use std::io::Read;
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::Value;

use crate::secret::ApiKey;

/// Largest body doctor reads (a `/models` list of a big router is a few hundred KiB).
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// How the key is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// `x-api-key: <key>`.
    XApiKey,
    /// `x-goog-api-key: <key>` (Google's Gemini API).
    GoogApiKey,
}

impl Auth {
    /// The header as shown to the user.
    pub fn header(self) -> &'static str {
        match self {
            Self::Bearer => "Authorization: Bearer",
            Self::XApiKey => "x-api-key",
            Self::GoogApiKey => "x-goog-api-key",
        }
    }
}

/// A request to make.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    /// `GET` when there is no body, else `POST`.
    pub body: Option<Value>,
    /// The full URL.
    pub url: String,
    /// How the key is sent.
    pub auth: Auth,
    /// The key (`None` sends no key).
    pub key: Option<&'a ApiKey>,
    /// Adds `anthropic-version: 2023-06-01`.
    pub anthropic: bool,
}

impl Call<'_> {
    /// `GET` or `POST`.
    pub fn method(&self) -> &'static str {
        if self.body.is_some() { "POST" } else { "GET" }
    }
}

/// What came back.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    /// The status code.
    pub status: u16,
    /// `Content-Type` (lowercased, may be empty).
    pub content_type: String,
    /// `Retry-After`, as sent.
    pub retry_after: Option<String>,
    /// `Allow`, as sent (for 405).
    pub allow: Option<String>,
    /// The body, up to [`MAX_BODY`].
    pub body: Vec<u8>,
    /// The body was longer than [`MAX_BODY`] and was cut.
    pub truncated: bool,
    /// Reading the body stopped early (deadline, reset): why.
    pub cut_short: Option<Failure>,
    /// `(body length so far, time since the request started)` after each read.
    pub arrivals: Vec<(usize, Duration)>,
    /// Time until the response headers arrived.
    pub headers_after: Duration,
    /// Total time.
    pub elapsed: Duration,
}

impl Exchange {
    /// When the body had reached `offset` bytes.
    pub fn time_at(&self, offset: usize) -> Option<Duration> {
        self.arrivals
            .iter()
            .find(|(len, _)| *len >= offset)
            .map(|(_, t)| *t)
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why no HTTP answer came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The host name did not resolve.
    Dns(String),
    /// Nothing listens on the port.
    Refused,
    /// The certificate was rejected.
    Certificate(String),
    /// The TLS handshake failed for another reason.
    Tls(String),
    /// The deadline passed.
    Timeout,
    /// The connection dropped or another transport error.
    Other(String),
}

/// Sends `call` and reads the answer, giving up at `timeout` after the start.
pub fn send(client: &Client, call: &Call<'_>, timeout: Duration) -> Result<Exchange, Failure> {
    let start = Instant::now();
    let mut req = match &call.body {
        Some(b) => client.post(&call.url).json(b),
        None => client.get(&call.url),
    };
    req = req.timeout(timeout);
    if let Some(k) = call.key {
        req = match call.auth {
            Auth::Bearer => req.bearer_auth(k.expose()),
            Auth::XApiKey => req.header("x-api-key", k.expose()),
            Auth::GoogApiKey => req.header("x-goog-api-key", k.expose()),
        };
    }
    if call.anthropic {
        req = req.header("anthropic-version", "2023-06-01");
    }
    let resp = req.send().map_err(|e| classify(&e))?;
    let headers_after = start.elapsed();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let mut ex = Exchange {
        status: resp.status().as_u16(),
        content_type: header("content-type")
            .unwrap_or_default()
            .to_ascii_lowercase(),
        retry_after: header("retry-after"),
        allow: header("allow"),
        headers_after,
        ..Exchange::default()
    };
    read_capped(resp, &mut ex, start, timeout);
    ex.elapsed = start.elapsed();
    Ok(ex)
}

fn read_capped(mut resp: impl Read, ex: &mut Exchange, start: Instant, timeout: Duration) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        if start.elapsed() >= timeout {
            ex.cut_short = Some(Failure::Timeout);
            return;
        }
        match resp.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                let room = MAX_BODY - ex.body.len();
                ex.body.extend_from_slice(&buf[..n.min(room)]);
                ex.arrivals.push((ex.body.len(), start.elapsed()));
                if n > room {
                    ex.truncated = true;
                    return;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                ex.cut_short = Some(if is_timeout_io(&e) || start.elapsed() >= timeout {
                    Failure::Timeout
                } else {
                    Failure::Other(crate::secret::redact(&e.to_string()))
                });
                return;
            }
        }
    }
}

fn is_timeout_io(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    ) || e.to_string().contains("timed out")
}

/// Sorts a reqwest error into a [`Failure`].
pub fn classify(err: &reqwest::Error) -> Failure {
    let mut chain: Vec<String> = Vec::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(f) = known_failure(e, 0) {
            return f;
        }
        chain.push(e.to_string());
        source = e.source();
    }
    let text = chain.join(": ");
    let lower = text.to_ascii_lowercase();
    if err.is_timeout() || lower.contains("timed out") {
        Failure::Timeout
    } else if lower.contains("dns error") || lower.contains("failed to lookup address") {
        let detail = chain.last().cloned().unwrap_or_default();
        Failure::Dns(crate::secret::redact(&detail))
    } else if lower.contains("connection refused") {
        Failure::Refused
    } else {
        Failure::Other(crate::secret::redact(&dedupe(&chain)))
    }
}

/// Joins an error chain, dropping links that repeat the previous one.
fn dedupe(chain: &[String]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in chain {
        if !out.last().is_some_and(|l| l.contains(c.as_str())) {
            out.push(c);
        }
    }
    out.join(": ")
}

/// A TLS error or a refused connection, looking inside nested `io::Error`s (whose
/// `source()` skips the wrapped error itself).
fn known_failure(e: &(dyn std::error::Error + 'static), depth: usize) -> Option<Failure> {
    if let Some(f) = tls_failure(e) {
        return Some(f);
    }
    let io = e.downcast_ref::<std::io::Error>()?;
    if io.kind() == std::io::ErrorKind::ConnectionRefused {
        return Some(Failure::Refused);
    }
    let inner: &(dyn std::error::Error + 'static) = io.get_ref()?;
    if depth < 8 {
        known_failure(inner, depth + 1)
    } else {
        None
    }
}

fn tls_failure(e: &(dyn std::error::Error + 'static)) -> Option<Failure> {
    let r = e.downcast_ref::<rustls::Error>()?;
    Some(match r {
        rustls::Error::InvalidCertificate(c) => Failure::Certificate(certificate_reason(c)),
        other => Failure::Tls(tls_reason(other)),
    })
}

/// A certificate error in words.
pub fn certificate_reason(c: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    match c {
        C::Expired | C::ExpiredContext { .. } => "the certificate has expired".to_string(),
        C::NotValidYet | C::NotValidYetContext { .. } => {
            "the certificate is not valid yet (check this machine's clock)".to_string()
        }
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "the certificate was issued for another host name".to_string()
        }
        C::UnknownIssuer => {
            "the certificate is not signed by a trusted authority (self-signed or a private CA)"
                .to_string()
        }
        C::Revoked => "the certificate has been revoked".to_string(),
        C::BadSignature => "the certificate's signature is invalid".to_string(),
        other => format!("{other:?}"),
    }
}

/// A non-certificate TLS error in words.
pub fn tls_reason(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "the server did not answer with TLS (is it plain HTTP on this port?)".to_string()
        }
        rustls::Error::AlertReceived(a) => format!("the server ended the handshake ({a:?})"),
        rustls::Error::NoApplicationProtocol => "no common application protocol".to_string(),
        other => other.to_string(),
    }
}

/// One server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, if any.
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// Byte offset just after the event in the body (for arrival times).
    pub end: usize,
}

/// A parsed event stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sse {
    /// Complete events, in order.
    pub events: Vec<SseEvent>,
    /// Lines that are not `field: value` (a sign the body is not an event stream).
    pub junk: Vec<String>,
}

/// Parses a body as server-sent events (WHATWG rules, lenient about `\r\n`).
pub fn parse_sse(body: &[u8]) -> Sse {
    let mut out = Sse::default();
    let mut event: Option<String> = None;
    let mut data: Vec<String> = Vec::new();
    let mut offset = 0;
    let text = String::from_utf8_lossy(body);
    for raw in text.split_inclusive('\n') {
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        if line.is_empty() {
            if !data.is_empty() || event.is_some() {
                out.events.push(SseEvent {
                    event: event.take(),
                    data: data.join("\n"),
                    end: offset,
                });
                data.clear();
            }
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => data.push(value.to_string()),
            "event" => event = Some(value.to_string()),
            "id" | "retry" => {}
            _ => out.junk.push(line.to_string()),
        }
    }
    // A final event without its blank line still counts (some servers close right after).
    if !data.is_empty() {
        out.events.push(SseEvent {
            event,
            data: data.join("\n"),
            end: offset,
        });
    }
    out
}

/// The gateway's own error message from a body: `error.message`, `error`, `message`,
/// `detail`; else the start of the text. Sanitised and capped.
pub fn gateway_message(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let found = match serde_json::from_str::<Value>(&text) {
        Ok(v) => json_message(&v),
        Err(_) if looks_like_html(&text) => html_title(&text).map(|t| format!("HTML page: {t}")),
        Err(_) => Some(text.to_string()),
    }?;
    let clean = super::sanitize(&found, 200);
    (!clean.is_empty()).then_some(clean)
}

fn json_message(v: &Value) -> Option<String> {
    let candidates = [
        &v["error"]["message"],
        &v["error"]["error"]["message"],
        &v["error"],
        &v["message"],
        &v["detail"],
        &v["detail"][0]["msg"],
        &v["msg"],
    ];
    candidates
        .iter()
        .find_map(|c| c.as_str().filter(|s| !s.trim().is_empty()))
        .map(str::to_string)
}

/// True when a body is an HTML document.
pub fn looks_like_html(text: &str) -> bool {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    let head: String = t.chars().take(15).collect::<String>().to_ascii_lowercase();
    head.starts_with("<!doctype html") || head.starts_with("<html") || head.starts_with("<head")
}

/// The `<title>` of an HTML page, if short and present.
pub fn html_title(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    let title = super::sanitize(&text[start..end], 80);
    (!title.is_empty()).then_some(title)
}

/// Whether the answer claims to be HTML (by header or by content).
pub fn is_html(ex: &Exchange) -> bool {
    ex.content_type.starts_with("text/html") || looks_like_html(&ex.text())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_events_with_offsets_and_junk() {
        let body = b"event: a\ndata: {\"x\":1}\n\n: comment\ndata: one\ndata: two\r\n\r\nnot a field\ndata: [DONE]";
        let sse = parse_sse(body);
        assert_eq!(
            sse.events,
            [
                SseEvent {
                    event: Some("a".into()),
                    data: "{\"x\":1}".into(),
                    end: 24
                },
                SseEvent {
                    event: None,
                    data: "one\ntwo".into(),
                    end: 57
                },
                SseEvent {
                    event: None,
                    data: "[DONE]".into(),
                    end: body.len()
                },
            ]
        );
        assert_eq!(sse.junk, ["not a field"]);
    }

    #[test]
    fn gateway_messages() {
        let m = |s: &str| gateway_message(s.as_bytes());
        assert_eq!(
            m(r#"{"error":{"message":"No connected db.","type":"no_db_connection"}}"#).as_deref(),
            Some("No connected db.")
        );
        assert_eq!(
            m(r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#).as_deref(),
            Some("invalid x-api-key")
        );
        assert_eq!(m(r#"{"detail":"Not Found"}"#).as_deref(), Some("Not Found"));
        assert_eq!(m(r#"{"error":"bad key"}"#).as_deref(), Some("bad key"));
        assert_eq!(
            m("<!DOCTYPE html><html><head><title>Login\x1b[0m</title>").as_deref(),
            Some("HTML page: Login[0m")
        );
        assert_eq!(
            m("upstream\nconnect error").as_deref(),
            Some("upstream connect error")
        );
        assert_eq!(m("{}"), None);
        assert_eq!(m(""), None);
    }

    #[test]
    fn arrival_times_by_offset() {
        let ex = Exchange {
            arrivals: vec![
                (10, Duration::from_millis(5)),
                (30, Duration::from_millis(50)),
            ],
            ..Exchange::default()
        };
        assert_eq!(ex.time_at(8), Some(Duration::from_millis(5)));
        assert_eq!(ex.time_at(11), Some(Duration::from_millis(50)));
        assert_eq!(ex.time_at(31), None);
    }

    #[test]
    fn certificate_errors_are_named() {
        assert_eq!(
            certificate_reason(&rustls::CertificateError::UnknownIssuer),
            "the certificate is not signed by a trusted authority (self-signed or a private CA)"
        );
        assert_eq!(
            certificate_reason(&rustls::CertificateError::Expired),
            "the certificate has expired"
        );
        assert_eq!(
            tls_reason(&rustls::Error::InvalidMessage(
                rustls::InvalidMessage::InvalidContentType
            )),
            "the server did not answer with TLS (is it plain HTTP on this port?)"
        );
    }
}
