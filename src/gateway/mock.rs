//! An embedded mock gateway on `127.0.0.1`: OpenAI (`/v1/models`, `/v1/chat/completions`,
//! `/v1/responses`), Anthropic (`/v1/messages`, `/v1/messages/count_tokens`) and Gemini
//! (`/v1beta/models/<m>:generateContent`, `:streamGenerateContent`) formats, streaming and
//! not, with injectable faults.
//!
//! `byok demo`, the integration tests and the doctor benchmark all use it, so it is part
//! of the library rather than a test helper. It is deliberately small: std sockets, one
//! thread per connection, one request per connection (`Connection: close`), bodies framed
//! by `Content-Length` or, for server-sent events, by closing the connection. It records
//! every request so tests can check paths and headers, and it stops on
//! [`MockGateway::stop`] or drop; a connection left hanging by [`Fault::Hang`] gives up
//! after [`HANG_LIMIT`] even if nobody stops the mock.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{Value, json};

/// The longest a [`Fault::Hang`] connection stays open.
pub const HANG_LIMIT: Duration = Duration::from_secs(60);

/// Largest request body the mock reads.
const MAX_REQUEST: usize = 1024 * 1024;

/// A failure the mock injects into its answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answers normally.
    None,
    /// `401` on every request, whatever the key.
    Unauthorized,
    /// `403` on every request.
    Forbidden,
    /// `404` on every path.
    NotFound,
    /// `405` on every request.
    MethodNotAllowed,
    /// `429` with a `retry-after` header of this many seconds.
    RateLimited(u32),
    /// `502` with an upstream error message.
    ServerError,
    /// A `200` HTML page instead of JSON (a web UI or a captive portal).
    Html,
    /// A `200` with a truncated JSON body.
    MalformedJson,
    /// Streams answer with text that is not server-sent events; the rest works.
    GarbageSse,
    /// Reads the request and never answers.
    Hang,
    /// LiteLLM without a database: `400 {"error":{"message":"No connected db."}}` for any key.
    NoConnectedDb,
    /// `404` on `/v1/messages/count_tokens` only (a gateway without token counting).
    NoCountTokens,
    /// `404` on the Gemini routes only (an OpenAI/Anthropic-only gateway).
    NoGemini,
    /// Gemini streams stop before the chunk with a `finishReason`; the rest works.
    GeminiCutStream,
}

/// Which headers `/v1/messages` accepts the key in (the OpenAI routes take either).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessagesAuth {
    /// `x-api-key` or `Authorization: Bearer`.
    Both,
    /// Only `Authorization: Bearer` (many proxies).
    BearerOnly,
    /// Only `x-api-key` (Anthropic's own API).
    XApiKeyOnly,
}

/// How the mock behaves.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The keys it accepts (an empty list accepts any non-empty key).
    pub keys: Vec<String>,
    /// The model ids it serves.
    pub models: Vec<String>,
    /// Delay before each answer.
    pub latency: Duration,
    /// The injected failure.
    pub fault: Fault,
    /// Headers `/v1/messages` accepts.
    pub messages_auth: MessagesAuth,
    /// Path prefix the API lives under, e.g. `/api` (empty for none).
    pub prefix: String,
    /// Whether API paths carry `/v1` (`/v1/models`) or not (`/models`).
    pub v1: bool,
    /// The text every completion answers with.
    pub reply: String,
}

/// The models a default scenario serves.
pub const MODELS: &[&str] = &[
    "gpt-4o",
    "gpt-4o-mini",
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
];

impl Scenario {
    /// A healthy gateway accepting `key`.
    pub fn new(key: &str) -> Self {
        Self {
            keys: vec![key.to_string()],
            models: MODELS.iter().map(|m| (*m).to_string()).collect(),
            latency: Duration::ZERO,
            fault: Fault::None,
            messages_auth: MessagesAuth::Both,
            prefix: String::new(),
            v1: true,
            reply: "ok".to_string(),
        }
    }

    /// With an injected failure.
    #[must_use]
    pub fn fault(mut self, fault: Fault) -> Self {
        self.fault = fault;
        self
    }

    /// With a delay before each answer.
    #[must_use]
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// With `/v1/messages` accepting only some headers.
    #[must_use]
    pub fn messages_auth(mut self, auth: MessagesAuth) -> Self {
        self.messages_auth = auth;
        self
    }

    /// Serving the API under a path prefix such as `/api`.
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.trim_end_matches('/').to_string();
        self
    }

    /// Serving `/models` etc. without `/v1`.
    #[must_use]
    pub fn without_v1(mut self) -> Self {
        self.v1 = false;
        self
    }

    /// Serving these model ids.
    #[must_use]
    pub fn models(mut self, models: &[&str]) -> Self {
        self.models = models.iter().map(|m| (*m).to_string()).collect();
        self
    }
}

/// One request as the mock received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path with the query string.
    pub path: String,
    /// Headers, names lowercased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy).
    pub body: String,
}

impl Recorded {
    /// A header's value (name matched case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON (`Null` when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

struct Shared {
    scenario: Scenario,
    stop: AtomicBool,
    requests: Mutex<Vec<Recorded>>,
}

/// A running mock gateway; stops when dropped.
pub struct MockGateway {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl MockGateway {
    /// Binds `127.0.0.1` on an ephemeral port and starts serving.
    pub fn start(scenario: Scenario) -> Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .context("could not bind the mock gateway on 127.0.0.1")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            scenario,
            stop: AtomicBool::new(false),
            requests: Mutex::new(Vec::new()),
        });
        let s = Arc::clone(&shared);
        let acceptor = std::thread::Builder::new()
            .name("byok-mock-accept".into())
            .spawn(move || accept_loop(&listener, &s))
            .context("could not start the mock gateway thread")?;
        Ok(Self {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops accepting and tells hanging connections to give up.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(handle) = self.acceptor.take() {
            // Wake the blocking accept; if that fails the thread is left to the OS.
            if TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok() {
                let _ = handle.join();
            }
        }
    }
}

impl Drop for MockGateway {
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
            .name("byok-mock-conn".into())
            .spawn(move || {
                let _ = handle(stream, &s);
            });
    }
}

fn handle(mut stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    let Some(req) = read_request(&mut stream)? else {
        return Ok(());
    };
    if shared.stop.load(Ordering::SeqCst) {
        return Ok(());
    }
    shared
        .requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(req.clone());
    let sc = &shared.scenario;
    if sc.fault == Fault::Hang {
        let start = Instant::now();
        while !shared.stop.load(Ordering::SeqCst) && start.elapsed() < HANG_LIMIT {
            std::thread::sleep(Duration::from_millis(20));
        }
        return Ok(());
    }
    if !sc.latency.is_zero() {
        std::thread::sleep(sc.latency);
    }
    let answer = respond(sc, &req);
    write_answer(&mut stream, &answer)?;
    let _ = stream.shutdown(Shutdown::Both);
    Ok(())
}

fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Recorded>> {
    let mut reader = BufReader::new(stream);
    // A TLS ClientHello on this plain-HTTP port gets what nginx sends: a 400 in clear text.
    if reader.fill_buf()?.first() == Some(&0x16) {
        reader.get_mut().write_all(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(None);
    }
    parse_request(&mut reader, MAX_REQUEST)
}

/// Reads one HTTP/1.1 request (a `100 Continue` answered, a chunked body joined); `None`
/// for a closed, malformed or oversized one. The mock and the relay both read with it.
pub(super) fn parse_request(
    reader: &mut BufReader<&mut TcpStream>,
    max_body: usize,
) -> std::io::Result<Option<Recorded>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
        return Ok(None);
    };
    let (method, path) = (method.to_string(), path.to_string());
    let mut headers = Vec::new();
    let mut header_bytes = 0;
    loop {
        let mut h = String::new();
        let n = reader.read_line(&mut h)?;
        header_bytes += n;
        if n == 0 || header_bytes > 256 * 1024 {
            return Ok(None);
        }
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if header("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        reader
            .get_mut()
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let mut body = Vec::new();
    if header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        loop {
            let mut size = String::new();
            if reader.read_line(&mut size)? == 0 {
                break;
            }
            let hex = size.trim().split(';').next().unwrap_or("");
            let n = usize::from_str_radix(hex, 16).unwrap_or(0);
            if n == 0 {
                // Trailers, up to the blank line.
                loop {
                    let mut t = String::new();
                    if reader.read_line(&mut t)? == 0 || t.trim().is_empty() {
                        break;
                    }
                }
                break;
            }
            if body.len() + n > max_body {
                return Ok(None);
            }
            let start = body.len();
            body.resize(start + n, 0);
            reader.read_exact(&mut body[start..])?;
            let mut crlf = String::new();
            reader.read_line(&mut crlf)?;
        }
    } else {
        let len = header("content-length")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0)
            .min(max_body);
        body.resize(len, 0);
        reader.read_exact(&mut body)?;
    }
    Ok(Some(Recorded {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }))
}

/// What the mock sends back.
enum Answer {
    Body {
        status: u16,
        content_type: &'static str,
        extra: Vec<(&'static str, String)>,
        body: String,
    },
    Events(Vec<String>),
}

fn json_answer(status: u16, body: &Value) -> Answer {
    Answer::Body {
        status,
        content_type: "application/json",
        extra: Vec::new(),
        body: body.to_string(),
    }
}

fn write_answer(stream: &mut TcpStream, answer: &Answer) -> std::io::Result<()> {
    match answer {
        Answer::Body {
            status,
            content_type,
            extra,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
                reason(*status),
                body.len()
            );
            for (k, v) in extra {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            stream.write_all(head.as_bytes())?;
            stream.write_all(body.as_bytes())?;
        }
        Answer::Events(events) => {
            stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
            )?;
            for e in events {
                stream.write_all(e.as_bytes())?;
                stream.flush()?;
            }
        }
    }
    stream.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        _ => "Unknown",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Models,
    Chat,
    Messages,
    Responses,
    CountTokens,
    /// Gemini's generateContent (`stream`: `:streamGenerateContent`).
    Gemini {
        stream: bool,
    },
}

fn route(sc: &Scenario, path: &str) -> Option<Route> {
    let path = path.split('?').next().unwrap_or(path);
    // Absolute form (`GET http://gw/v1/models`): the mock is being used as an HTTP proxy.
    let path = match path.strip_prefix("http://") {
        Some(rest) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => path,
    };
    let rest = path.strip_prefix(sc.prefix.as_str())?;
    // Gemini's routes carry their own version, `/v1beta`, and the model in the path.
    if let Some(call) = rest.strip_prefix("/v1beta/models/") {
        return match call.rsplit_once(':') {
            Some((m, "generateContent")) if !m.is_empty() => Some(Route::Gemini { stream: false }),
            Some((m, "streamGenerateContent")) if !m.is_empty() => {
                Some(Route::Gemini { stream: true })
            }
            _ => None,
        };
    }
    let rest = if sc.v1 {
        rest.strip_prefix("/v1")?
    } else {
        rest
    };
    match rest.trim_end_matches('/') {
        "/models" => Some(Route::Models),
        "/chat/completions" => Some(Route::Chat),
        "/messages" => Some(Route::Messages),
        "/responses" => Some(Route::Responses),
        "/messages/count_tokens" => Some(Route::CountTokens),
        _ => None,
    }
}

fn respond(sc: &Scenario, req: &Recorded) -> Answer {
    let Some(route) = route(sc, &req.path) else {
        return json_answer(404, &json!({"detail": "Not Found"}));
    };
    let anthropic = matches!(route, Route::Messages | Route::CountTokens);
    if let Route::Gemini { stream } = route {
        return respond_gemini(sc, req, stream);
    }
    match sc.fault {
        Fault::NotFound => return json_answer(404, &json!({"detail": "Not Found"})),
        Fault::NoCountTokens if route == Route::CountTokens => {
            return json_answer(404, &json!({"detail": "Not Found"}));
        }
        Fault::MethodNotAllowed => {
            return Answer::Body {
                status: 405,
                content_type: "application/json",
                extra: vec![("Allow", "OPTIONS".to_string())],
                body: json!({"detail": "Method Not Allowed"}).to_string(),
            };
        }
        _ => {}
    }
    let wanted = if route == Route::Models {
        "GET"
    } else {
        "POST"
    };
    if req.method != wanted {
        return Answer::Body {
            status: 405,
            content_type: "application/json",
            extra: vec![("Allow", wanted.to_string())],
            body: json!({"detail": "Method Not Allowed"}).to_string(),
        };
    }
    match sc.fault {
        Fault::Unauthorized => return auth_error(401, anthropic, "Invalid API key provided."),
        Fault::Forbidden => {
            return auth_error(403, anthropic, "This key is not allowed to use this route.");
        }
        Fault::NoConnectedDb => {
            return json_answer(
                400,
                &json!({"error": {"message": "No connected db.", "type": "no_db_connection", "param": null, "code": "400"}}),
            );
        }
        _ => {}
    }
    if !authorized(sc, req, anthropic) {
        return auth_error(401, anthropic, "Invalid API key provided.");
    }
    match sc.fault {
        Fault::RateLimited(secs) => {
            return Answer::Body {
                status: 429,
                content_type: "application/json",
                extra: vec![("Retry-After", secs.to_string())],
                body: json!({"error": {"message": "Rate limit exceeded: 10 requests per minute.", "type": "rate_limit_error"}}).to_string(),
            };
        }
        Fault::ServerError => {
            return json_answer(
                502,
                &json!({"error": {"message": "upstream provider error: connection reset by api.upstream.example", "type": "api_error"}}),
            );
        }
        Fault::Html => {
            return Answer::Body {
                status: 200,
                content_type: "text/html; charset=utf-8",
                extra: Vec::new(),
                body: "<!doctype html>\n<html><head><title>Gateway dashboard</title></head><body><div id=\"app\">Sign in</div></body></html>\n".to_string(),
            };
        }
        Fault::MalformedJson => {
            return Answer::Body {
                status: 200,
                content_type: "application/json",
                extra: Vec::new(),
                body: "{\"id\": \"x\", \"choices\": [{\"message\": ".to_string(),
            };
        }
        _ => {}
    }
    let body = req.json();
    let model = body["model"].as_str().unwrap_or_default().to_string();
    if route != Route::Models && !sc.models.contains(&model) {
        return if anthropic {
            json_answer(
                404,
                &json!({"type": "error", "error": {"type": "not_found_error", "message": format!("model: {model}")}}),
            )
        } else {
            json_answer(
                404,
                &json!({"error": {"message": format!("The model `{model}` does not exist or you do not have access to it."), "type": "invalid_request_error", "param": "model", "code": "model_not_found"}}),
            )
        };
    }
    if route == Route::CountTokens {
        return json_answer(200, &json!({"input_tokens": 9}));
    }
    let stream = body["stream"].as_bool().unwrap_or(false);
    if stream && sc.fault == Fault::GarbageSse {
        return Answer::Events(vec![
            "this is not an event stream\n".to_string(),
            "{\"partial\": tr\n\n".to_string(),
        ]);
    }
    let reply = sc.reply.as_str();
    match (route, stream) {
        (Route::CountTokens | Route::Gemini { .. }, _) => {
            json_answer(404, &json!({"detail": "Not Found"}))
        }
        (Route::Models, _) => json_answer(
            200,
            &json!({"object": "list", "data": sc.models.iter().map(|m| json!({"id": m, "object": "model", "created": 0, "owned_by": "byok-mock"})).collect::<Vec<_>>()}),
        ),
        (Route::Chat, false) => json_answer(
            200,
            &json!({
                "id": "chatcmpl-mock", "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10}
            }),
        ),
        (Route::Chat, true) => {
            let chunk = |delta: Value, finish: Value| {
                sse(
                    None,
                    &json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 0, "model": model,
                            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}),
                )
            };
            Answer::Events(vec![
                chunk(json!({"role": "assistant", "content": ""}), Value::Null),
                chunk(json!({"content": reply}), Value::Null),
                chunk(json!({}), json!("stop")),
                "data: [DONE]\n\n".to_string(),
            ])
        }
        (Route::Messages, false) => json_answer(
            200,
            &json!({
                "id": "msg_mock", "type": "message", "role": "assistant", "model": model,
                "content": [{"type": "text", "text": reply}],
                "stop_reason": "end_turn", "stop_sequence": null,
                "usage": {"input_tokens": 9, "output_tokens": 1}
            }),
        ),
        (Route::Messages, true) => Answer::Events(vec![
            sse(
                Some("message_start"),
                &json!({"type": "message_start", "message": {"id": "msg_mock", "type": "message", "role": "assistant", "model": model, "content": [], "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 9, "output_tokens": 0}}}),
            ),
            sse(
                Some("content_block_start"),
                &json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            ),
            sse(Some("ping"), &json!({"type": "ping"})),
            sse(
                Some("content_block_delta"),
                &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": reply}}),
            ),
            sse(
                Some("content_block_stop"),
                &json!({"type": "content_block_stop", "index": 0}),
            ),
            sse(
                Some("message_delta"),
                &json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 1}}),
            ),
            sse(Some("message_stop"), &json!({"type": "message_stop"})),
        ]),
        (Route::Responses, false) => json_answer(200, &response_object(&model, reply, "completed")),
        (Route::Responses, true) => {
            let item = json!({"type": "message", "id": "msg_mock", "status": "completed", "role": "assistant",
                              "content": [{"type": "output_text", "text": reply, "annotations": []}]});
            Answer::Events(vec![
                sse(
                    Some("response.created"),
                    &json!({"type": "response.created", "sequence_number": 0, "response": response_object(&model, "", "in_progress")}),
                ),
                sse(
                    Some("response.output_item.added"),
                    &json!({"type": "response.output_item.added", "sequence_number": 1, "output_index": 0,
                            "item": {"type": "message", "id": "msg_mock", "status": "in_progress", "role": "assistant", "content": []}}),
                ),
                sse(
                    Some("response.output_text.delta"),
                    &json!({"type": "response.output_text.delta", "sequence_number": 2, "item_id": "msg_mock", "output_index": 0, "content_index": 0, "delta": reply}),
                ),
                sse(
                    Some("response.output_item.done"),
                    &json!({"type": "response.output_item.done", "sequence_number": 3, "output_index": 0, "item": item}),
                ),
                sse(
                    Some("response.completed"),
                    &json!({"type": "response.completed", "sequence_number": 4, "response": response_object(&model, reply, "completed")}),
                ),
            ])
        }
    }
}

/// Google's Gemini API: the key in `x-goog-api-key` (or `?key=`), the model in the path,
/// Google's error shapes.
fn respond_gemini(sc: &Scenario, req: &Recorded, stream: bool) -> Answer {
    let google_error = |status: u16, message: &str, state: &str| {
        json_answer(
            status,
            &json!({"error": {"code": status, "message": message, "status": state}}),
        )
    };
    match sc.fault {
        Fault::NotFound | Fault::NoGemini => {
            return json_answer(404, &json!({"detail": "Not Found"}));
        }
        Fault::Unauthorized => {
            return google_error(
                401,
                "API key not valid. Please pass a valid API key.",
                "UNAUTHENTICATED",
            );
        }
        Fault::Forbidden => {
            return google_error(
                403,
                "This key is not allowed to use this route.",
                "PERMISSION_DENIED",
            );
        }
        _ => {}
    }
    if req.method != "POST" {
        return Answer::Body {
            status: 405,
            content_type: "application/json",
            extra: vec![("Allow", "POST".to_string())],
            body: json!({"detail": "Method Not Allowed"}).to_string(),
        };
    }
    let path = req.path.split('?').next().unwrap_or(&req.path);
    let model = path
        .rsplit_once("/models/")
        .and_then(|(_, m)| m.rsplit_once(':'))
        .map_or("", |(m, _)| m)
        .to_string();
    let query_key = req
        .path
        .split_once('?')
        .and_then(|(_, q)| q.split('&').find_map(|kv| kv.strip_prefix("key=")));
    let key = req.header("x-goog-api-key").or(query_key).unwrap_or("");
    if key.is_empty() || !(sc.keys.is_empty() || sc.keys.iter().any(|k| k == key)) {
        return google_error(
            400,
            "API key not valid. Please pass a valid API key.",
            "INVALID_ARGUMENT",
        );
    }
    match sc.fault {
        Fault::ServerError => {
            return google_error(
                502,
                "upstream provider error: connection reset by api.upstream.example",
                "UNAVAILABLE",
            );
        }
        Fault::RateLimited(secs) => {
            return Answer::Body {
                status: 429,
                content_type: "application/json",
                extra: vec![("Retry-After", secs.to_string())],
                body: json!({"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED"}}).to_string(),
            };
        }
        _ => {}
    }
    if !sc.models.contains(&model) {
        return google_error(
            404,
            &format!(
                "models/{model} is not found for API version v1beta, or is not supported for generateContent."
            ),
            "NOT_FOUND",
        );
    }
    let chunk = |text: &str, finish: Option<&str>| {
        let mut c = json!({"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}],
                           "modelVersion": model});
        if let Some(f) = finish {
            c["candidates"][0]["finishReason"] = json!(f);
            c["usageMetadata"] =
                json!({"promptTokenCount": 9, "candidatesTokenCount": 1, "totalTokenCount": 10});
        }
        c
    };
    if !stream {
        return json_answer(200, &chunk(&sc.reply, Some("STOP")));
    }
    if sc.fault == Fault::GarbageSse {
        return Answer::Events(vec!["this is not an event stream\n".to_string()]);
    }
    let mut events = vec![sse(None, &chunk(&sc.reply, None))];
    if sc.fault != Fault::GeminiCutStream {
        events.push(sse(None, &chunk("", Some("STOP"))));
    }
    Answer::Events(events)
}

fn response_object(model: &str, reply: &str, status: &str) -> Value {
    let output = if reply.is_empty() {
        json!([])
    } else {
        json!([{"type": "message", "id": "msg_mock", "status": "completed", "role": "assistant",
                "content": [{"type": "output_text", "text": reply, "annotations": []}]}])
    };
    json!({"id": "resp_mock", "object": "response", "created_at": 0, "status": status, "model": model,
           "output": output, "usage": {"input_tokens": 9, "output_tokens": 1, "total_tokens": 10}})
}

fn sse(event: Option<&str>, data: &Value) -> String {
    match event {
        Some(e) => format!("event: {e}\ndata: {data}\n\n"),
        None => format!("data: {data}\n\n"),
    }
}

fn authorized(sc: &Scenario, req: &Recorded, anthropic: bool) -> bool {
    let bearer = req
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "));
    let x_api_key = req.header("x-api-key");
    let (bearer, x_api_key) = match (anthropic, sc.messages_auth) {
        (true, MessagesAuth::BearerOnly) => (bearer, None),
        (true, MessagesAuth::XApiKeyOnly) => (None, x_api_key),
        _ => (bearer, x_api_key),
    };
    let ok = |k: &str| !k.is_empty() && (sc.keys.is_empty() || sc.keys.iter().any(|a| a == k));
    bearer.is_some_and(ok) || x_api_key.is_some_and(ok)
}

fn auth_error(status: u16, anthropic: bool, message: &str) -> Answer {
    if anthropic {
        let kind = if status == 403 {
            "permission_error"
        } else {
            "authentication_error"
        };
        json_answer(
            status,
            &json!({"type": "error", "error": {"type": kind, "message": message}}),
        )
    } else {
        json_answer(
            status,
            &json!({"error": {"message": message, "type": "invalid_request_error", "code": "invalid_api_key"}}),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(addr: SocketAddr, request: &str) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    fn post(path: &str, headers: &str, body: &str) -> String {
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\n{headers}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
    }

    #[test]
    fn serves_models_and_records_requests() {
        let mut m = MockGateway::start(Scenario::new("sk-mock-123456")).unwrap();
        let out = raw(
            m.addr(),
            "GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-mock-123456\r\n\r\n",
        );
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
        assert!(out.contains("\"id\":\"claude-sonnet-4-5\""), "{out}");
        let reqs = m.requests();
        assert_eq!(reqs.len(), 1);
        assert_eq!(reqs[0].method, "GET");
        assert_eq!(reqs[0].path, "/v1/models");
        assert_eq!(
            reqs[0].header("Authorization"),
            Some("Bearer sk-mock-123456")
        );
        m.stop();
        assert!(TcpStream::connect_timeout(&m.addr(), Duration::from_millis(200)).is_err());
    }

    #[test]
    fn checks_keys_per_route() {
        let m = MockGateway::start(
            Scenario::new("sk-mock-123456").messages_auth(MessagesAuth::BearerOnly),
        )
        .unwrap();
        let body = r#"{"model":"claude-sonnet-4-5","max_tokens":1,"messages":[]}"#;
        let x = raw(
            m.addr(),
            &post("/v1/messages", "x-api-key: sk-mock-123456\r\n", body),
        );
        assert!(x.starts_with("HTTP/1.1 401"), "{x}");
        let b = raw(
            m.addr(),
            &post(
                "/v1/messages",
                "Authorization: Bearer sk-mock-123456\r\n",
                body,
            ),
        );
        assert!(b.starts_with("HTTP/1.1 200"), "{b}");
        assert!(b.contains(r#""type":"message""#), "{b}");
        let wrong = raw(
            m.addr(),
            &post(
                "/v1/chat/completions",
                "Authorization: Bearer sk-other-99\r\n",
                body,
            ),
        );
        assert!(wrong.starts_with("HTTP/1.1 401"), "{wrong}");
    }

    #[test]
    fn streams_events_and_closes() {
        let m = MockGateway::start(Scenario::new("k-123456")).unwrap();
        let out = raw(
            m.addr(),
            &post(
                "/v1/messages",
                "x-api-key: k-123456\r\n",
                r#"{"model":"claude-sonnet-4-5","stream":true}"#,
            ),
        );
        let events: Vec<&str> = out
            .lines()
            .filter_map(|l| l.strip_prefix("event: "))
            .collect();
        assert_eq!(
            events,
            [
                "message_start",
                "content_block_start",
                "ping",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop"
            ]
        );
        let out = raw(
            m.addr(),
            &post(
                "/v1/chat/completions",
                "Authorization: Bearer k-123456\r\n",
                r#"{"model":"gpt-4o","stream":true}"#,
            ),
        );
        assert!(out.ends_with("data: [DONE]\n\n"), "{out}");
    }

    #[test]
    fn routes_follow_prefix_and_v1() {
        let sc = Scenario::new("k").prefix("/api/").without_v1();
        assert_eq!(route(&sc, "/api/models"), Some(Route::Models));
        assert_eq!(route(&sc, "/api/v1/models"), None);
        assert_eq!(route(&sc, "/models"), None);
        let sc = Scenario::new("k");
        assert_eq!(route(&sc, "/v1/messages?beta=true"), Some(Route::Messages));
        assert_eq!(route(&sc, "/v1/v1/messages"), None);
        assert_eq!(
            route(&sc, "http://gw.example:4000/v1/models"),
            Some(Route::Models)
        );
    }

    #[test]
    fn hang_ends_on_stop() {
        let mut m = MockGateway::start(Scenario::new("k-123456").fault(Fault::Hang)).unwrap();
        let mut s = TcpStream::connect(m.addr()).unwrap();
        s.write_all(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        s.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let mut buf = [0u8; 16];
        assert!(s.read(&mut buf).is_err(), "a hanging mock answered");
        m.stop();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert_eq!(s.read(&mut buf).unwrap(), 0, "closed after stop");
    }
}
