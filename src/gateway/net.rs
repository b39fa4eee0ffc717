//! Reachability: DNS, TCP connect and the TLS handshake, each timed on its own, so a
//! failure names the layer that broke (a typo in the host, a firewall, a self-signed
//! certificate) instead of a generic "request failed".
//!
//! The TLS check uses rustls with the ring provider and the same roots reqwest trusts
//! (the system store plus the Mozilla list), so a certificate it rejects is one the API
//! requests would reject too.

use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use super::report::{Check, Section, Severity};

/// A host to reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name or IP literal (without brackets).
    pub host: String,
    /// Port (the scheme's default when the URL has none).
    pub port: u16,
    /// Whether to do a TLS handshake.
    pub tls: bool,
}

impl Endpoint {
    /// From a gateway URL.
    pub fn from_url(url: &str) -> Option<Self> {
        let u = reqwest::Url::parse(url).ok()?;
        let host = u
            .host_str()?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        Some(Self {
            host,
            port: u.port_or_known_default()?,
            tls: u.scheme() == "https",
        })
    }

    fn label(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// DNS, TCP and TLS checks for `target`. When `proxy` is set, requests go through it:
/// DNS and TCP are checked against the proxy and TLS is left to the API requests.
/// `suffix` keeps ids unique when several hosts are checked (`""` for the first).
pub fn reachability(
    target: &Endpoint,
    proxy: Option<&str>,
    timeout: Duration,
    suffix: &str,
) -> Vec<Check> {
    let deadline = Instant::now() + timeout;
    let via = proxy.and_then(|p| Endpoint::from_url(p).map(|e| (p, e)));
    let (dial, what) = match &via {
        Some((_, e)) => (e.clone(), "proxy "),
        None => (target.clone(), ""),
    };
    let id = |base: &str| format!("{base}{suffix}");
    let mut checks = Vec::new();

    let started = Instant::now();
    let addrs = match resolve(&dial, deadline) {
        Ok((addrs, literal)) => {
            let list: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
            let message = if literal {
                format!("{what}{} is an IP address (no lookup)", dial.host)
            } else {
                format!("{what}{} → {}", dial.host, shorten(&list, 3))
            };
            checks.push(
                Check::new(
                    Section::Reachability,
                    id("dns"),
                    format!("DNS {}", dial.host),
                    Severity::Ok,
                    message,
                )
                .took(started.elapsed())
                .detail("addresses", list),
            );
            addrs
        }
        Err(e) => {
            let (message, hint) = match e {
                Lookup::Timeout => (
                    format!(
                        "looking up {what}{} took longer than {} s",
                        dial.host,
                        timeout.as_secs_f64()
                    ),
                    "the DNS server does not answer: check your network, VPN or resolver"
                        .to_string(),
                ),
                Lookup::Failed(err) => (
                    format!("DNS lookup failed for {what}{}: {err}", dial.host),
                    format!(
                        "check the host name in the URL (`byok profile show`); on a VPN or company network, check that {} resolves there",
                        dial.host
                    ),
                ),
            };
            checks.push(
                Check::new(
                    Section::Reachability,
                    id("dns"),
                    format!("DNS {}", dial.host),
                    Severity::Fail,
                    message,
                )
                .hint(hint)
                .took(started.elapsed()),
            );
            checks.push(skipped(
                id("tcp"),
                format!("TCP {}", dial.label()),
                "no address to connect to",
            ));
            checks.push(skipped(id("tls"), "TLS handshake".into(), "no connection"));
            return checks;
        }
    };

    let started = Instant::now();
    let stream = match connect(&addrs, deadline) {
        Ok((stream, addr)) => {
            checks.push(
                Check::new(
                    Section::Reachability,
                    id("tcp"),
                    format!("TCP {}", dial.label()),
                    Severity::Ok,
                    format!("connected to {what}{addr}"),
                )
                .took(started.elapsed()),
            );
            stream
        }
        Err((kind, addr)) => {
            let kind_label = kind_name(&kind);
            let (message, hint) = match kind {
                Connect::Refused => (
                    format!("connection refused at {what}{addr}: nothing listens on port {}", dial.port),
                    "start the gateway, or check the host and port in the URL (`byok profile show`)".to_string(),
                ),
                Connect::Timeout => (
                    format!("no answer from {what}{addr} within {} s", timeout.as_secs_f64()),
                    "a firewall may drop the connection, or the port is wrong: check the URL and your network".to_string(),
                ),
                Connect::Other(e) => (
                    format!("could not connect to {what}{addr}: {e}"),
                    "check the URL and your network (route, VPN, firewall)".to_string(),
                ),
            };
            checks.push(
                Check::new(
                    Section::Reachability,
                    id("tcp"),
                    format!("TCP {}", dial.label()),
                    Severity::Fail,
                    message,
                )
                .hint(hint)
                .took(started.elapsed())
                .detail("error", kind_label),
            );
            checks.push(skipped(id("tls"), "TLS handshake".into(), "no connection"));
            return checks;
        }
    };

    if let Some((p, _)) = via {
        checks.push(skipped(
            id("tls"),
            "TLS handshake".into(),
            &format!("through the proxy {p}; the API requests below check it"),
        ));
    } else if !target.tls {
        checks.push(skipped(
            id("tls"),
            "TLS handshake".into(),
            "plain http, no TLS",
        ));
    } else {
        let started = Instant::now();
        let check = match handshake(stream, &target.host, deadline) {
            Ok(version) => Check::new(
                Section::Reachability,
                id("tls"),
                "TLS handshake".to_string(),
                Severity::Ok,
                format!("{version}, certificate valid for {}", target.host),
            ),
            Err(Handshake::Certificate(reason)) => Check::new(
                Section::Reachability,
                id("tls"),
                "TLS handshake".to_string(),
                Severity::Fail,
                format!("certificate rejected: {reason}"),
            )
            .hint("install the gateway's CA certificate in this machine's trust store, or fix the gateway's certificate")
            .detail("error", "certificate"),
            Err(Handshake::Other(reason)) => Check::new(
                Section::Reachability,
                id("tls"),
                "TLS handshake".to_string(),
                Severity::Fail,
                format!("TLS handshake failed: {reason}"),
            )
            .hint("check that this port speaks https; for a plain-HTTP gateway use an http:// URL")
            .detail("error", "tls"),
        };
        checks.push(check.took(started.elapsed()));
    }
    checks
}

fn skipped(id: String, name: String, why: &str) -> Check {
    Check::new(Section::Reachability, id, name, Severity::Skipped, why)
}

fn shorten(items: &[String], n: usize) -> String {
    if items.len() <= n {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..n].join(", "), items.len() - n)
    }
}

enum Lookup {
    Timeout,
    Failed(String),
}

/// Resolves in a helper thread so a stuck resolver can't outlive the deadline.
fn resolve(e: &Endpoint, deadline: Instant) -> Result<(Vec<SocketAddr>, bool), Lookup> {
    if let Ok(ip) = e.host.parse::<IpAddr>() {
        return Ok((vec![SocketAddr::new(ip, e.port)], true));
    }
    let (tx, rx) = mpsc::channel();
    let (host, port) = (e.host.clone(), e.port);
    // Detached on purpose: getaddrinfo can't be cancelled; the process exit ends it.
    let spawned = std::thread::Builder::new()
        .name("byok-dns".into())
        .spawn(move || {
            let r = (host.as_str(), port)
                .to_socket_addrs()
                .map(Iterator::collect::<Vec<_>>);
            let _ = tx.send(r);
        });
    if let Err(err) = spawned {
        return Err(Lookup::Failed(err.to_string()));
    }
    match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok((addrs, false)),
        Ok(Ok(_)) => Err(Lookup::Failed("no addresses".into())),
        Ok(Err(err)) => Err(Lookup::Failed(clean_dns_error(&err.to_string()))),
        Err(_) => Err(Lookup::Timeout),
    }
}

fn clean_dns_error(s: &str) -> String {
    // "failed to lookup address information: Name or service not known"
    s.strip_prefix("failed to lookup address information: ")
        .unwrap_or(s)
        .to_string()
}

enum Connect {
    Refused,
    Timeout,
    Other(String),
}

fn kind_name(k: &Connect) -> &'static str {
    match k {
        Connect::Refused => "refused",
        Connect::Timeout => "timeout",
        Connect::Other(_) => "other",
    }
}

fn connect(
    addrs: &[SocketAddr],
    deadline: Instant,
) -> Result<(TcpStream, SocketAddr), (Connect, SocketAddr)> {
    let mut last = None;
    for addr in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err((Connect::Timeout, *addr));
        }
        match TcpStream::connect_timeout(addr, left) {
            Ok(s) => return Ok((s, *addr)),
            Err(e) => {
                let kind = match e.kind() {
                    std::io::ErrorKind::ConnectionRefused => Connect::Refused,
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                        Connect::Timeout
                    }
                    _ => Connect::Other(e.to_string()),
                };
                last = Some((kind, *addr));
            }
        }
    }
    Err(last.unwrap_or((
        Connect::Other("no address".into()),
        SocketAddr::from(([0, 0, 0, 0], 0)),
    )))
}

enum Handshake {
    Certificate(String),
    Other(String),
}

fn tls_config() -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

fn handshake(mut sock: TcpStream, host: &str, deadline: Instant) -> Result<String, Handshake> {
    let config = tls_config().map_err(Handshake::Other)?;
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| Handshake::Other(format!("`{host}` is not a valid TLS server name: {e}")))?;
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| Handshake::Other(e.to_string()))?;
    while conn.is_handshaking() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Handshake::Other("no TLS answer before the timeout".into()));
        }
        let _ = sock.set_read_timeout(Some(left));
        let _ = sock.set_write_timeout(Some(left));
        if let Err(e) = conn.complete_io(&mut sock) {
            return Err(
                match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                    Some(rustls::Error::InvalidCertificate(c)) => {
                        Handshake::Certificate(super::http::certificate_reason(c))
                    }
                    Some(other) => Handshake::Other(super::http::tls_reason(other)),
                    None if matches!(
                        e.kind(),
                        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                    ) =>
                    {
                        Handshake::Other("no TLS answer before the timeout".into())
                    }
                    None if e.kind() == std::io::ErrorKind::UnexpectedEof => Handshake::Other(
                        "the server closed the connection during the handshake".into(),
                    ),
                    None => Handshake::Other(e.to_string()),
                },
            );
        }
    }
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3",
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2",
        _ => "TLS",
    };
    Ok(version.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_from_urls() {
        assert_eq!(
            Endpoint::from_url("https://gw.example.com/v1"),
            Some(Endpoint {
                host: "gw.example.com".into(),
                port: 443,
                tls: true
            })
        );
        let e = Endpoint::from_url("http://[::1]:4000").unwrap();
        assert_eq!((e.host.as_str(), e.port, e.tls), ("::1", 4000, false));
        assert_eq!(e.label(), "[::1]:4000");
    }

    #[test]
    fn loopback_tcp_ok_and_refused() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let e = Endpoint {
            host: "127.0.0.1".into(),
            port,
            tls: false,
        };
        let checks = reachability(&e, None, Duration::from_secs(2), "");
        let sev: Vec<_> = checks.iter().map(|c| (c.id.as_str(), c.severity)).collect();
        assert_eq!(
            sev,
            [
                ("dns", Severity::Ok),
                ("tcp", Severity::Ok),
                ("tls", Severity::Skipped)
            ]
        );
        drop(l);
        let checks = reachability(&e, None, Duration::from_secs(2), ".2");
        assert_eq!(checks[1].id, "tcp.2");
        assert_eq!(checks[1].severity, Severity::Fail);
        assert_eq!(
            checks[1].message,
            format!("connection refused at 127.0.0.1:{port}: nothing listens on port {port}")
        );
    }

    #[test]
    fn tls_to_a_plain_http_port_is_named() {
        let mock = crate::gateway::mock::MockGateway::start(crate::gateway::mock::Scenario::new(
            "k-123456",
        ))
        .unwrap();
        let e = Endpoint {
            host: "127.0.0.1".into(),
            port: mock.addr().port(),
            tls: true,
        };
        let checks = reachability(&e, None, Duration::from_secs(5), "");
        let tls = &checks[2];
        assert_eq!(tls.severity, Severity::Fail, "{tls:?}");
        assert_eq!(
            tls.message,
            "TLS handshake failed: the server did not answer with TLS (is it plain HTTP on this port?)"
        );
    }
}
