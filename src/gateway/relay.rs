//! The recording relay behind `byok doctor --live`: a plain-HTTP listener on 127.0.0.1
//! that forwards every request, unchanged, to the profile's gateway and streams the
//! answer back, recording what the tool sent (method, path, headers, body) and what the
//! gateway answered (status, time).
//!
//! Only the scheme, host and port change between the tool and the gateway: the path,
//! query, headers and body go upstream as they came, so what the record shows is what
//! the gateway would have seen from the tool. One request per connection
//! (`Connection: close`), answers framed by closing the connection, so streams pass
//! through as they arrive.

use std::io::{BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use reqwest::blocking::Client;

use super::mock::Recorded;

/// Largest request body the relay forwards (a first agent request with its system prompt
/// and tool list is a few hundred KiB).
const MAX_REQUEST: usize = 16 * 1024 * 1024;

/// Headers that belong to one connection, not to the request: never forwarded.
const HOP_BY_HOP: &[&str] = &[
    "host",
    "connection",
    "keep-alive",
    "content-length",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "expect",
    "proxy-connection",
    "proxy-authorization",
];

/// One request as the tool sent it, and the gateway's answer.
#[derive(Debug, Clone)]
pub struct Relayed {
    /// The request, as received.
    pub request: Recorded,
    /// The gateway's status (`None`: it could not be reached).
    pub status: Option<u16>,
    /// Why the gateway could not be reached.
    pub error: Option<String>,
    /// Time from the request to the end of the answer.
    pub elapsed: Duration,
}

struct Shared {
    upstream: String,
    client: Client,
    stop: AtomicBool,
    records: Mutex<Vec<Relayed>>,
}

/// A running relay; stops when dropped.
pub struct Relay {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl Relay {
    /// Listens on `127.0.0.1` (ephemeral port) and forwards to `upstream`, an origin such
    /// as `https://gw.example.com:8443`.
    pub fn start(upstream: &str, client: Client) -> Result<Self> {
        let listener =
            TcpListener::bind(("127.0.0.1", 0)).context("could not bind the relay on 127.0.0.1")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_string(),
            client,
            stop: AtomicBool::new(false),
            records: Mutex::new(Vec::new()),
        });
        let s = Arc::clone(&shared);
        let acceptor = std::thread::Builder::new()
            .name("byok-relay-accept".into())
            .spawn(move || accept_loop(&listener, &s))
            .context("could not start the relay thread")?;
        Ok(Self {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// `http://127.0.0.1:<port>`: what replaces the gateway's origin in the tool's files.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every exchange so far, in arrival order.
    pub fn records(&self) -> Vec<Relayed> {
        self.shared
            .records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops accepting; exchanges in flight finish on their own.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(handle) = self.acceptor.take()
            && TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok()
        {
            let _ = handle.join();
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop();
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = conn else { continue };
        let s = Arc::clone(shared);
        let _ = std::thread::Builder::new()
            .name("byok-relay-conn".into())
            .spawn(move || {
                let _ = handle(stream, &s);
            });
    }
}

fn handle(mut stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let Some(request) = read_request(&mut stream)? else {
        return Ok(());
    };
    let started = Instant::now();
    let record = |status: Option<u16>, error: Option<String>| {
        shared
            .records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Relayed {
                request: request.clone(),
                status,
                error,
                elapsed: started.elapsed(),
            });
    };
    let url = format!("{}{}", shared.upstream, request.path);
    let method =
        reqwest::Method::from_bytes(request.method.as_bytes()).unwrap_or(reqwest::Method::POST);
    let mut req = shared.client.request(method, &url);
    for (k, v) in &request.headers {
        if !HOP_BY_HOP.contains(&k.as_str()) {
            req = req.header(k.as_str(), v.as_str());
        }
    }
    if !request.body.is_empty() || request.method == "POST" {
        req = req.body(request.body.clone());
    }
    let mut resp = match req.send() {
        Ok(r) => r,
        Err(e) => {
            let why = crate::secret::redact(&format!("{e:#}"));
            let body = serde_json::json!({"error": {"message": format!("byok relay: could not reach the gateway: {why}")}}).to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            record(None, Some(why));
            let _ = stream.shutdown(Shutdown::Both);
            return Ok(());
        }
    };
    let status = resp.status();
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    for (k, v) in resp.headers() {
        let name = k.as_str();
        if HOP_BY_HOP.contains(&name) {
            continue;
        }
        if let Ok(v) = v.to_str() {
            head.push_str(&format!("{name}: {v}\r\n"));
        }
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut result = stream.write_all(head.as_bytes());
    let mut buf = [0u8; 16 * 1024];
    while result.is_ok() {
        match resp.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => result = stream.write_all(&buf[..n]).and_then(|()| stream.flush()),
        }
    }
    record(Some(status.as_u16()), None);
    let _ = stream.shutdown(Shutdown::Both);
    Ok(())
}

/// Reads one request: the request line, headers, and a body framed by `Content-Length`
/// or chunked transfer encoding.
fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Recorded>> {
    super::mock::parse_request(&mut BufReader::new(stream), MAX_REQUEST)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::mock::{MockGateway, Scenario};

    #[test]
    fn forwards_unchanged_and_records() {
        let mock = MockGateway::start(Scenario::new("sk-relay-123456")).unwrap();
        let relay = Relay::start(&mock.url(), Client::new()).unwrap();
        let mut s = TcpStream::connect(relay.addr).unwrap();
        let body = r#"{"model":"gpt-4o","stream":true,"messages":[]}"#;
        write!(
            s,
            "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: r\r\nAuthorization: Bearer sk-relay-123456\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
        assert!(out.ends_with("data: [DONE]\n\n"), "{out}");
        let seen = &mock.requests()[0];
        assert_eq!(seen.path, "/v1/chat/completions?x=1");
        assert_eq!(seen.header("authorization"), Some("Bearer sk-relay-123456"));
        assert_eq!(seen.body, body);
        let rec = relay.records();
        assert_eq!(rec.len(), 1);
        assert_eq!(rec[0].status, Some(200));
        assert_eq!(rec[0].request.json()["model"], "gpt-4o");
    }
}
