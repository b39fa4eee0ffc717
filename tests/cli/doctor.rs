//! `byok doctor` against the embedded mock gateway (started in this process, on
//! 127.0.0.1): each fault gets its own diagnosis, hint and exit code; requests carry the
//! right paths and headers; the key never shows.

use byok::gateway::mock::{Fault, MessagesAuth, MockGateway, Scenario};
use serde_json::Value;

use crate::common::{KEY, Output, TestEnv};

/// A mock for `sc` and a home whose default profile points at it.
fn with_mock(sc: Scenario) -> (TestEnv, MockGateway) {
    let mock = MockGateway::start(sc).unwrap();
    let t = TestEnv::new();
    t.init(&mock.url());
    (t, mock)
}

fn ok_scenario() -> Scenario {
    Scenario::new(KEY)
}

/// Runs doctor; no output may hold the key.
#[track_caller]
fn doctor(t: &TestEnv, args: &[&str]) -> Output {
    let mut all = vec!["doctor"];
    all.extend_from_slice(args);
    let out = t.run(&all);
    assert!(
        !out.stdout.contains(KEY) && !out.stderr.contains(KEY),
        "the key leaked:\n{out}"
    );
    out
}

/// Runs `doctor --json` and returns the document and the exit code.
#[track_caller]
fn doctor_json(t: &TestEnv, args: &[&str]) -> (Value, i32) {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = doctor(t, &all);
    let v: Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"));
    assert_eq!(v["exit_code"], out.code, "{out}");
    (v, out.code)
}

/// The check with this id.
#[track_caller]
fn check<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {v:#}"))
}

/// (severity, message, hint) of a check.
#[track_caller]
fn sev_msg_hint(v: &Value, id: &str) -> (String, String, String) {
    let c = check(v, id);
    (
        c["severity"].as_str().unwrap().to_string(),
        c["message"].as_str().unwrap().to_string(),
        c["hint"].as_str().unwrap_or("").to_string(),
    )
}

#[test]
fn healthy_gateway_passes_with_a_readable_report() {
    let (t, mock) = with_mock(ok_scenario());
    let url = mock.url();
    let out = doctor(&t, &[]).success();
    let text = out.stdout.replace(&url, "[URL]");
    // Times vary; everything else is fixed.
    let text = regex_like_times(&text);
    assert_eq!(
        text,
        "byok doctor: profile `default`, gateway [URL], key sk-…cdef

Configuration
  ✓ Gateway URL  [URL] (OpenAI-format clients use [URL]/v1, Anthropic-format clients [URL])
  ✓ API key      sk-…cdef from profile `default`
  ✓ Models       chat gpt-4o, Anthropic claude-sonnet-4-5
  ✓ Proxy        no proxy variables set: direct connections

Reachability
  ✓ DNS 127.0.0.1        127.0.0.1 is an IP address (no lookup) ([T])
  ✓ TCP 127.0.0.1:[PORT]  connected to 127.0.0.1:[PORT] ([T])
  - TLS handshake        plain http, no TLS

Gateway API
  ✓ GET /v1/models                      4 models; lists gpt-4o, claude-sonnet-4-5 ([T])
  ✓ POST /v1/chat/completions           answered \"ok\", 10 tokens ([T])
  ✓ POST /v1/chat/completions (stream)  3 chunks, first token after [T], ended with [DONE] ([T])
  ✓ POST /v1/messages                   answered \"ok\", 1 token ([T])
  ✓ POST /v1/messages (stream)          7 events message_start … message_stop, first token after [T] ([T])
  ✓ Anthropic key header                the gateway accepts both `x-api-key` and `Authorization: Bearer`; the profile uses Authorization: Bearer (ANTHROPIC_AUTH_TOKEN)
  ✓ POST /v1/responses                  answered \"ok\" (status completed) ([T])
  ✓ POST /v1/responses (stream)         5 events response.created … response.completed, first token after [T] ([T])

Tools
  · Tools  no supported tool detected (`byok detect` lists what byok looks for)

Shell
  · OpenAI variables     not set in this shell (OPENAI_BASE_URL, OPENAI_API_BASE, OPENAI_API_KEY); tools started from it use their own settings
  · Anthropic variables  not set in this shell (ANTHROPIC_BASE_URL, ANTHROPIC_AUTH_TOKEN); tools started from it use their own settings
  · Start-up files       no start-up file loads byok (`byok env --install` adds it)

all required checks passed: 14 ok, 1 skipped, 4 info in [T]
"
        .replace("[PORT]", &mock.addr().port().to_string())
    );
    assert_eq!(out.stderr, "", "no spinner without a terminal");
}

/// Replaces `12 ms` and `0.3 s` with `[T]`.
pub(crate) fn regex_like_times(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(|c: char| c.is_ascii_digit()) {
        let (head, tail) = rest.split_at(i);
        let num_len = tail
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(tail.len());
        let after = &tail[num_len..];
        let prev_ok = head.ends_with('(') || head.ends_with("after ") || head.ends_with("in ");
        if prev_ok && (after.starts_with(" ms") || after.starts_with(" s")) {
            out.push_str(head);
            out.push_str("[T]");
            rest = after
                .strip_prefix(" ms")
                .or(after.strip_prefix(" s"))
                .unwrap();
        } else {
            out.push_str(head);
            out.push_str(&tail[..num_len]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn requests_use_the_right_paths_and_headers() {
    let (t, mock) = with_mock(ok_scenario());
    doctor(&t, &[]).success();
    let mut seen: Vec<String> = mock
        .requests()
        .iter()
        .map(|r| {
            let auth = match (r.header("authorization"), r.header("x-api-key")) {
                (Some(a), None) => {
                    assert_eq!(a, format!("Bearer {KEY}"));
                    "bearer"
                }
                (None, Some(x)) => {
                    assert_eq!(x, KEY);
                    "x-api-key"
                }
                other => panic!("{} {}: auth headers {other:?}", r.method, r.path),
            };
            let version = r.header("anthropic-version").unwrap_or("-");
            let stream = if r.json()["stream"] == true {
                " stream"
            } else {
                ""
            };
            assert!(
                r.header("user-agent").unwrap().starts_with("byok/"),
                "{r:?}"
            );
            format!("{} {}{stream} {auth} {version}", r.method, r.path)
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            "GET /v1/models bearer -",
            "POST /v1/chat/completions bearer -",
            "POST /v1/chat/completions stream bearer -",
            "POST /v1/messages bearer 2023-06-01",
            "POST /v1/messages stream bearer 2023-06-01",
            "POST /v1/messages x-api-key 2023-06-01",
            "POST /v1/responses bearer -",
            "POST /v1/responses stream bearer -",
        ]
    );
    // Tiny requests: nobody pays for a doctor run.
    for r in mock.requests().iter().filter(|r| r.method == "POST") {
        let body = r.json();
        let limit = body["max_tokens"]
            .as_u64()
            .or(body["max_output_tokens"].as_u64())
            .unwrap();
        assert!(limit <= 16, "{}: {body}", r.path);
        assert!(body["model"] == "gpt-4o" || body["model"] == "claude-sonnet-4-5");
    }
}

#[test]
fn quick_makes_no_generation_request() {
    let (t, mock) = with_mock(ok_scenario());
    let (v, code) = doctor_json(&t, &["--quick"]);
    assert_eq!(code, 0);
    assert_eq!(v["quick"], true);
    let paths: Vec<String> = mock
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(paths, ["GET /v1/models"]);
    let ids: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["section"] == "gateway")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["models"]);
}

#[test]
fn json_has_stable_field_names() {
    let (t, mock) = with_mock(ok_scenario());
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 0);
    let keys = |o: &Value| -> Vec<String> { o.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(
        keys(&v),
        [
            "profile",
            "gateway",
            "quick",
            "checks",
            "summary",
            "exit_code"
        ]
    );
    assert_eq!(
        keys(&v["gateway"]),
        [
            "url",
            "openai_base",
            "anthropic_base",
            "key",
            "anthropic_auth",
            "model",
            "anthropic_model",
            "timeout_s"
        ]
    );
    assert_eq!(v["gateway"]["url"], mock.url());
    assert_eq!(v["gateway"]["key"], "sk-…cdef");
    assert_eq!(
        keys(&v["summary"]),
        [
            "ok",
            "info",
            "warn",
            "fail",
            "skipped",
            "required_failed",
            "duration_ms"
        ]
    );
    let ids: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(
                keys(c),
                [
                    "section",
                    "id",
                    "name",
                    "severity",
                    "required",
                    "message",
                    "hint",
                    "duration_ms",
                    "details"
                ]
            );
            c["id"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        ids,
        [
            "url",
            "key",
            "models_config",
            "proxy",
            "dns",
            "tcp",
            "tls",
            "models",
            "chat",
            "chat_stream",
            "messages",
            "messages_stream",
            "anthropic_auth",
            "responses",
            "responses_stream",
            "tools",
            "shell.openai",
            "shell.anthropic",
            "shell.startup"
        ]
    );
    let stream = check(&v, "messages_stream");
    assert_eq!(
        stream["details"]["events"],
        serde_json::json!([
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ])
    );
    assert!(stream["details"]["ttft_ms"].is_u64());
    assert_eq!(check(&v, "chat_stream")["details"]["done"], true);
    // Responses is informational when no tool needs it; chat is required.
    assert_eq!(check(&v, "responses")["required"], false);
    assert_eq!(check(&v, "chat")["required"], true);
}

// ----------------------------------------------------------------------------------
// One test per fault: its own diagnosis, hint and exit 1.
// ----------------------------------------------------------------------------------

const KEY_HINT: &str = "check the key: `byok profile show` says which one byok uses; save the right one with `byok init --key …`";

#[test]
fn wrong_key_is_rejected_with_the_header_named() {
    let (t, _mock) = with_mock(Scenario::new("sk-the-right-key-000000"));
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        sev_msg_hint(&v, "chat"),
        (
            "fail".into(),
            "401 Unauthorized: the gateway rejected the key sk-…cdef sent as `Authorization: Bearer`: \"Invalid API key provided.\"".into(),
            KEY_HINT.into()
        )
    );
    assert_eq!(
        sev_msg_hint(&v, "anthropic_auth").1,
        "the key was rejected in both headers (see above)"
    );
}

#[test]
fn unauthorized_401() {
    let (t, _mock) = with_mock(ok_scenario().fault(Fault::Unauthorized));
    let (v, code) = doctor_json(&t, &["--quick"]);
    assert_eq!(code, 1);
    let (sev, msg, hint) = sev_msg_hint(&v, "models");
    assert_eq!(sev, "fail");
    assert!(msg.starts_with("401 Unauthorized: the gateway rejected the key sk-…cdef sent as `Authorization: Bearer`"), "{msg}");
    assert_eq!(hint, KEY_HINT);
}

#[test]
fn forbidden_403() {
    let (t, _mock) = with_mock(ok_scenario().fault(Fault::Forbidden));
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        sev_msg_hint(&v, "messages"),
        (
            "fail".into(),
            "403 Forbidden: the gateway refused the key sk-…cdef sent as `Authorization: Bearer`: \"This key is not allowed to use this route.\"".into(),
            "the key is known but not allowed here: check its permissions (routes, models, budget) on the gateway, or use another key".into()
        )
    );
}

#[test]
fn litellm_no_connected_db_is_a_key_problem() {
    let (t, _mock) = with_mock(ok_scenario().fault(Fault::NoConnectedDb));
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        sev_msg_hint(&v, "chat"),
        (
            "fail".into(),
            "400 Bad Request: \"No connected db.\": LiteLLM says this when it cannot check the key sk-…cdef (a key it does not know, and no database to look it up)".into(),
            "use the gateway's master key or a key LiteLLM knows; for virtual keys, connect LiteLLM to its database".into()
        )
    );
}

#[test]
fn not_found_everywhere_says_no_variant_worked() {
    let (t, mock) = with_mock(ok_scenario().fault(Fault::NotFound));
    let (v, code) = doctor_json(&t, &["--quick"]);
    assert_eq!(code, 1);
    let url = mock.url();
    assert_eq!(
        sev_msg_hint(&v, "models"),
        (
            "fail".into(),
            format!("404 Not Found: {url}/v1/models does not exist on this gateway"),
            "no variant of the URL worked (with and without /v1, without the path prefix, under /api): check the gateway's documentation for its OpenAI base URL".into()
        )
    );
    let tried: Vec<String> = mock.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(tried, ["/v1/models", "/models", "/api/v1/models"]);
}

#[test]
fn not_found_without_v1_names_the_working_url() {
    let (t, mock) = with_mock(ok_scenario().without_v1());
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 1);
    let url = mock.url();
    assert_eq!(
        sev_msg_hint(&v, "chat"),
        (
            "fail".into(),
            format!(
                "404 Not Found: {url}/v1/chat/completions does not exist on this gateway; {url}/chat/completions answers (200 OK)"
            ),
            format!(
                "the gateway serves the OpenAI API without /v1: `byok init --openai-url {url}` (with your other settings)"
            )
        )
    );
    assert_eq!(
        sev_msg_hint(&v, "messages").2,
        format!(
            "the gateway serves Anthropic messages at {url}/messages, without /v1; Anthropic-format clients such as Claude Code always call <base>/v1/messages, so add that route on the gateway (or serve it under a base that ends in /v1)"
        )
    );
}

#[test]
fn not_found_under_a_wrong_prefix_suggests_dropping_it() {
    let mock = MockGateway::start(ok_scenario()).unwrap();
    let t = TestEnv::new();
    let url = mock.url();
    t.init(&format!("{url}/gateway"));
    let (v, code) = doctor_json(&t, &["--quick"]);
    assert_eq!(code, 1);
    assert_eq!(
        sev_msg_hint(&v, "models"),
        (
            "fail".into(),
            format!(
                "404 Not Found: {url}/gateway/v1/models does not exist on this gateway; {url}/v1/models answers (200 OK)"
            ),
            format!(
                "the API is not under /gateway: `byok init --url {url}` (with your other settings)"
            )
        )
    );
}

#[test]
fn not_found_when_the_api_lives_under_api() {
    let (t, mock) = with_mock(ok_scenario().prefix("/api"));
    let (v, code) = doctor_json(&t, &["--quick"]);
    assert_eq!(code, 1);
    let url = mock.url();
    assert_eq!(
        sev_msg_hint(&v, "models").2,
        format!("the API lives under /api: `byok init --url {url}/api` (with your other settings)")
    );
}

#[test]
fn double_v1_is_detected() {
    let mock = MockGateway::start(ok_scenario()).unwrap();
    let t = TestEnv::new();
    let url = mock.url();
    t.run(&[
        "init",
        "--url",
        &url,
        "--openai-url",
        &format!("{url}/v1/v1"),
        "--key",
        KEY,
        "--model",
        "gpt-4o",
        "--yes",
    ])
    .success();
    let (v, code) = doctor_json(&t, &["--quick"]);
    assert_eq!(code, 1);
    assert_eq!(
        sev_msg_hint(&v, "url"),
        (
            "fail".into(),
            format!("{url}/v1/v1 has /v1 twice: clients would call …/v1/v1/…"),
            format!("save the base without the extra /v1: `byok init --openai-url {url}/v1`")
        )
    );
    assert_eq!(
        sev_msg_hint(&v, "models"),
        (
            "fail".into(),
            format!(
                "404 Not Found: {url}/v1/v1/models does not exist on this gateway; the URL has /v1 twice; {url}/v1/models answers (200 OK)"
            ),
            format!(
                "the base has /v1 twice: `byok init --openai-url {url}/v1` (with your other settings)"
            )
        )
    );
}

#[test]
fn method_not_allowed_405() {
    let (t, mock) = with_mock(ok_scenario().fault(Fault::MethodNotAllowed));
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        sev_msg_hint(&v, "chat"),
        (
            "fail".into(),
            format!("405 Method Not Allowed: {}/v1/chat/completions does not take POST (it allows OPTIONS)", mock.url()),
            "this URL reaches a server that does not route this API (a web app, or another API behind the same host): check the gateway's base URL and path prefix".into()
        )
    );
}

#[test]
fn unknown_model_suggests_listed_ids() {
    let (t, _mock) =
        with_mock(ok_scenario().models(&["gpt-4o-mini", "gpt-4.1", "claude-sonnet-4-5"]));
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        sev_msg_hint(&v, "models"),
        (
            "warn".into(),
            "3 models, but not `gpt-4o` (closest: gpt-4o-mini, gpt-4.1)".into(),
            "pick a listed id with `byok init --model …` (some gateways also serve unlisted aliases; the generation checks tell)".into()
        )
    );
    assert_eq!(
        sev_msg_hint(&v, "chat"),
        (
            "fail".into(),
            "404 Not Found: model `gpt-4o` is not served by the gateway: \"The model `gpt-4o` does not exist or you do not have access to it.\"".into(),
            "the gateway lists gpt-4o-mini, gpt-4.1: use one with `byok init --model gpt-4o-mini`".into()
        )
    );
    // The Anthropic model is served: that part works.
    assert_eq!(sev_msg_hint(&v, "messages").0, "ok");
}

#[test]
fn rate_limit_429_gives_retry_after() {
    let (t, _mock) = with_mock(ok_scenario().fault(Fault::RateLimited(7)));
    let (v, code) = doctor_json(&t, &["--quick"]);
    assert_eq!(code, 1);
    assert_eq!(
        sev_msg_hint(&v, "models"),
        (
            "fail".into(),
            "429 Too Many Requests: rate limited, retry after 7 s: \"Rate limit exceeded: 10 requests per minute.\"".into(),
            "wait 7 s and run `byok doctor` again; if it keeps happening, raise the key's rate limit or budget on the gateway".into()
        )
    );
}

#[test]
fn server_error_5xx_quotes_the_gateway() {
    let (t, _mock) = with_mock(ok_scenario().fault(Fault::ServerError));
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        sev_msg_hint(&v, "messages"),
        (
            "fail".into(),
            "502 Bad Gateway: the gateway or its upstream failed: \"upstream provider error: connection reset by api.upstream.example\"".into(),
            "the gateway is up but could not serve the request: check its logs and its upstream provider settings".into()
        )
    );
}

#[test]
fn html_page_instead_of_json() {
    let (t, _mock) = with_mock(ok_scenario().fault(Fault::Html));
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        sev_msg_hint(&v, "chat"),
        (
            "fail".into(),
            "this URL serves a web page, not an API (text/html; charset=utf-8, titled \"Gateway dashboard\")".into(),
            "point byok at the gateway's API base URL, not its dashboard or login page: it often ends in /v1 or /api (`byok init --url …`)".into()
        )
    );
    // A web page says nothing about which key header works.
    assert_eq!(check(&v, "anthropic_auth")["severity"], "skipped");
}

#[test]
fn malformed_json() {
    let (t, _mock) = with_mock(ok_scenario().fault(Fault::MalformedJson));
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        sev_msg_hint(&v, "chat"),
        (
            "fail".into(),
            "the answer is not valid JSON (EOF while parsing a value at line 1 column 36): {\"id\": \"x\", \"choices\": [{\"message\":".into(),
            "the gateway (or a proxy in front of it) sent a broken body: check the gateway's logs".into()
        )
    );
}

#[test]
fn garbage_sse_fails_only_the_streams() {
    let (t, _mock) = with_mock(ok_scenario().fault(Fault::GarbageSse));
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 1);
    assert_eq!(check(&v, "chat")["severity"], "ok");
    assert_eq!(
        sev_msg_hint(&v, "chat_stream"),
        (
            "fail".into(),
            "the stream is not server-sent events: \"this is not an event stream\"".into(),
            "the gateway (or a proxy in front of it) breaks streaming: check that it passes text/event-stream through unbuffered and unchanged".into()
        )
    );
}

#[test]
fn hanging_gateway_times_out() {
    let (t, _mock) = with_mock(ok_scenario().fault(Fault::Hang));
    let (v, code) = doctor_json(&t, &["--timeout", "1"]);
    assert_eq!(code, 1);
    assert_eq!(
        sev_msg_hint(&v, "models"),
        (
            "fail".into(),
            "no answer within 1 s".into(),
            "the gateway or its upstream is slow or stuck: check its logs, or allow more time with --timeout".into()
        )
    );
    assert_eq!(check(&v, "messages_stream")["details"]["error"], "timeout");
}

#[test]
fn connection_refused() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let t = TestEnv::new();
    t.init(&format!("http://127.0.0.1:{port}"));
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        sev_msg_hint(&v, "tcp"),
        (
            "fail".into(),
            format!("connection refused at 127.0.0.1:{port}: nothing listens on port {port}"),
            "start the gateway, or check the host and port in the URL (`byok profile show`)".into()
        )
    );
    // Said once: the API probes point at the reachability section.
    assert_eq!(
        sev_msg_hint(&v, "chat"),
        (
            "skipped".into(),
            "not reached (see Reachability)".into(),
            String::new()
        )
    );
}

#[test]
fn https_to_a_plain_http_port_is_a_tls_failure() {
    let (t, mock) = with_mock(ok_scenario());
    let url = mock.url().replace("http://", "https://");
    let (v, code) = doctor_json(&t, &["--url", &url, "--quick"]);
    assert_eq!(code, 1);
    assert_eq!(
        sev_msg_hint(&v, "tls"),
        (
            "fail".into(),
            "TLS handshake failed: the server did not answer with TLS (is it plain HTTP on this port?)".into(),
            "check that this port speaks https; for a plain-HTTP gateway use an http:// URL".into()
        )
    );
    assert_eq!(check(&v, "models")["severity"], "skipped");
}

#[test]
#[cfg(target_os = "linux")]
fn dns_failure_is_named_without_touching_the_network() {
    // A 64-character label is longer than DNS allows: glibc refuses it without sending a
    // query, so this fails offline and fast (checked with strace: no socket but nscd's).
    let host = format!("{}.invalid", "a".repeat(64));
    let t = TestEnv::new();
    t.init(&format!("http://{host}"));
    let (v, code) = doctor_json(&t, &["--quick", "--timeout", "3"]);
    assert_eq!(code, 1);
    assert_eq!(
        sev_msg_hint(&v, "dns"),
        (
            "fail".into(),
            format!("DNS lookup failed for {host}: Name or service not known"),
            format!(
                "check the host name in the URL (`byok profile show`); on a VPN or company network, check that {host} resolves there"
            )
        )
    );
    assert_eq!(check(&v, "models")["severity"], "skipped");
}

// ----------------------------------------------------------------------------------
// Anthropic key header
// ----------------------------------------------------------------------------------

#[test]
fn bearer_only_messages_with_an_x_api_key_profile_says_use_auth_token() {
    let mock = MockGateway::start(ok_scenario().messages_auth(MessagesAuth::BearerOnly)).unwrap();
    let t = TestEnv::new();
    t.run(&[
        "init",
        "--url",
        &mock.url(),
        "--key",
        KEY,
        "--model",
        "gpt-4o",
        "--anthropic-model",
        "claude-sonnet-4-5",
        "--anthropic-auth",
        "x-api-key",
        "--yes",
    ])
    .success();
    let out = doctor(&t, &[]).code(1);
    assert!(
        out.stdout.contains(
            "  ✗ Anthropic key header                the gateway accepts the key only as `Authorization: Bearer` (ANTHROPIC_AUTH_TOKEN), but the profile sends `x-api-key` (ANTHROPIC_API_KEY)\n    hint: use ANTHROPIC_AUTH_TOKEN: run `byok init --anthropic-auth bearer …` (with your other settings), then `byok setup` and `byok env --install` again\n"
        ),
        "{out}"
    );
    assert!(
        out.stdout.contains("401 Unauthorized: the gateway rejected the key sk-…cdef sent as `x-api-key`: \"Invalid API key provided.\"; the gateway accepts the key as `Authorization: Bearer` instead"),
        "{out}"
    );
}

#[test]
fn bearer_only_messages_with_the_default_profile_confirms_auth_token() {
    let (t, _mock) = with_mock(ok_scenario().messages_auth(MessagesAuth::BearerOnly));
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        sev_msg_hint(&v, "anthropic_auth"),
        (
            "ok".into(),
            "the gateway accepts the key as `Authorization: Bearer`: ANTHROPIC_AUTH_TOKEN is right, as the profile has it".into(),
            String::new()
        )
    );
}

#[test]
fn x_api_key_only_gateway_with_a_bearer_profile_says_use_api_key() {
    let (t, _mock) = with_mock(ok_scenario().messages_auth(MessagesAuth::XApiKeyOnly));
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 1);
    let (sev, _, hint) = sev_msg_hint(&v, "anthropic_auth");
    assert_eq!(sev, "fail");
    assert!(
        hint.starts_with("use ANTHROPIC_API_KEY: run `byok init --anthropic-auth x-api-key …`"),
        "{hint}"
    );
}

// ----------------------------------------------------------------------------------
// Flags, exit codes, shell
// ----------------------------------------------------------------------------------

#[test]
fn flags_override_the_profile_and_need_no_config() {
    let mock = MockGateway::start(ok_scenario()).unwrap();
    let t = TestEnv::new();
    let (v, code) = doctor_json(
        &t,
        &[
            "--url",
            &format!("{}/v1", mock.url()),
            "--key",
            KEY,
            "--model",
            "gpt-4o-mini",
        ],
    );
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["profile"], "--url");
    assert_eq!(v["gateway"]["model"], "gpt-4o-mini");
    assert_eq!(sev_msg_hint(&v, "key").1, "sk-…cdef from --key");
    let chat = mock
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/chat/completions")
        .unwrap();
    assert_eq!(chat.json()["model"], "gpt-4o-mini");
    assert!(!t.exists(".config/byok/config.toml"), "doctor wrote a file");
}

#[test]
fn env_vars_reach_the_mock_too() {
    let mock = MockGateway::start(ok_scenario()).unwrap();
    let mut t = TestEnv::new();
    t.set("BYOK_BASE_URL", mock.url())
        .set("BYOK_API_KEY", format!(" {KEY}\n"))
        .set("BYOK_MODEL", "gpt-4o");
    let (v, code) = doctor_json(&t, &["--quick"]);
    assert_eq!(code, 0);
    assert_eq!(
        sev_msg_hint(&v, "key"),
        (
            "warn".into(),
            "sk-…cdef from $BYOK_API_KEY has whitespace or a line break around it (a copy-paste slip); doctor sends it trimmed, tools may not".into(),
            "save the trimmed key with `byok init --key …` (byok trims what you paste)".into()
        )
    );
}

#[test]
fn usage_and_config_errors_exit_2() {
    let t = TestEnv::new();
    let out = doctor(&t, &[]).code(2);
    assert_eq!(
        out.stderr,
        "byok: error: no gateway profile yet (~/.config/byok/config.toml does not exist or has none)\nhint: run `byok init` to create one\n"
    );
    let out = doctor(&t, &["--url", "ftp://x", "--key", KEY]).code(2);
    assert!(out.stderr.contains("invalid --url"), "{out}");
    let out = doctor(&t, &["--timeout", "0"]).code(2);
    assert!(
        out.stderr
            .contains("--timeout 0 is not a number of seconds between 0 and 3600"),
        "{out}"
    );
    let out = doctor(&t, &["--timeout", "soon"]).code(2);
    assert!(out.stderr.contains("invalid value 'soon'"), "{out}");
}

#[test]
fn missing_key_variable_is_explained() {
    let mock = MockGateway::start(ok_scenario()).unwrap();
    let t = TestEnv::new();
    t.run(&[
        "init",
        "--url",
        &mock.url(),
        "--key-env",
        "GW_KEY",
        "--model",
        "gpt-4o",
        "--yes",
    ])
    .success();
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        sev_msg_hint(&v, "key"),
        (
            "fail".into(),
            "no key: profile `default` reads it from $GW_KEY, which is not set here".into(),
            "export GW_KEY=… in this shell, or save the key with `byok init --key …`".into()
        )
    );
    assert_eq!(check(&v, "chat")["severity"], "skipped");
    assert!(mock.requests().is_empty());
}

#[test]
fn shell_variables_and_startup_files_are_checked() {
    let (mut t, mock) = with_mock(ok_scenario());
    t.set("OPENAI_BASE_URL", "https://old.example/v1")
        .set("OPENAI_API_BASE", format!("{}/v1", mock.url()))
        .set("OPENAI_API_KEY", KEY)
        .set("ANTHROPIC_API_KEY", "sk-ant-stale-0000000000");
    // `byok env >> ~/.bashrc`, twice.
    let exports = t.run(&["env", "--shell", "bash"]).success().stdout;
    t.write(".bashrc", format!("# mine\n{exports}{exports}"));
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 0, "shell findings are warnings");
    let url = mock.url();
    assert_eq!(
        sev_msg_hint(&v, "shell.openai"),
        (
            "warn".into(),
            format!("stale: OPENAI_BASE_URL is https://old.example/v1 (profile: {url}/v1); OPENAI_BASE_URL (https://old.example/v1) and OPENAI_API_BASE ({url}/v1) disagree: SDKs read one, LiteLLM and Aider the other"),
            "run `byok env --install` and open a new shell (or `eval \"$(byok env)\"` in this one); remove old exports of these variables from your start-up files".into()
        )
    );
    let (sev, msg, hint) = sev_msg_hint(&v, "shell.anthropic");
    assert_eq!(sev, "warn");
    assert_eq!(
        msg,
        "ANTHROPIC_API_KEY is set (sk-…0000): Claude Code would send it as well, and ANTHROPIC_API_KEY wins over ANTHROPIC_AUTH_TOKEN"
    );
    assert_eq!(
        hint,
        "unset ANTHROPIC_API_KEY here and remove it from your start-up files; `byok env --install` exports only ANTHROPIC_AUTH_TOKEN"
    );
    assert_eq!(
        sev_msg_hint(&v, "shell.startup"),
        (
            "warn".into(),
            "~/.bashrc has 2 byok blocks (`byok env >> ~/.bashrc` run more than once?)".into(),
            "`byok env --install` replaces them with one block that reads the profile at start-up"
                .into()
        )
    );
    // After `byok env --install` the block is single and follows the profile.
    t.run(&["env", "--install"]).success();
    let (v, _) = doctor_json(&t, &[]);
    assert_eq!(
        sev_msg_hint(&v, "shell.startup"),
        (
            "ok".into(),
            "byok is loaded by ~/.bashrc".into(),
            String::new()
        )
    );
}

#[test]
fn stale_copy_of_exports_in_a_startup_file() {
    let (t, _mock) = with_mock(ok_scenario());
    t.write(
        ".zshrc",
        "# >>> byok >>>\nexport OPENAI_BASE_URL='https://old.example/v1'\n# <<< byok <<<\n",
    );
    let (v, _) = doctor_json(&t, &[]);
    let (sev, msg, _) = sev_msg_hint(&v, "shell.startup");
    assert_eq!(sev, "warn");
    assert!(
        msg.starts_with("~/.zshrc holds a copy of old exports (OPENAI_BASE_URL=https://old.example/v1, profile: http://127.0.0.1:"),
        "{msg}"
    );
}

#[test]
fn doctor_never_writes() {
    let (t, _mock) = with_mock(ok_scenario());
    let before = t.tree();
    let config = t.read(".config/byok/config.toml");
    doctor(&t, &[]).success();
    assert_eq!(t.tree(), before);
    assert_eq!(t.read(".config/byok/config.toml"), config);
}

#[test]
fn tools_section_follows_setup_and_hand_edits() {
    let (t, mock) = with_mock(ok_scenario());
    std::fs::create_dir_all(t.home().join(".claude")).unwrap();
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 0, "a tool not set up yet is a warning");
    assert_eq!(
        sev_msg_hint(&v, "tool.claude-code"),
        (
            "warn".into(),
            "installed (config dir ~/.claude) but not set up for this gateway".into(),
            "`byok setup claude-code` (`--dry-run` shows the change first)".into()
        )
    );
    // Claude Code only uses /v1/messages: chat completions become informational.
    assert_eq!(check(&v, "messages")["required"], true);
    assert_eq!(check(&v, "chat")["required"], false);

    t.run(&["setup", "claude-code", "--yes"]).success();
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        sev_msg_hint(&v, "tool.claude-code"),
        (
            "ok".into(),
            "points at this profile's gateway, key and models (config dir ~/.claude)".into(),
            String::new()
        )
    );

    // A hand edit that points Claude Code elsewhere is drift: a required failure.
    let settings = t.read(".claude/settings.json");
    t.write(
        ".claude/settings.json",
        settings.replace(&mock.url(), "http://elsewhere.example:4000"),
    );
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 1);
    let (sev, msg, hint) = sev_msg_hint(&v, "tool.claude-code");
    assert_eq!(sev, "fail");
    assert!(
        msg.starts_with("settings byok wrote were changed by hand: "),
        "{msg}"
    );
    assert_eq!(
        hint,
        "`byok setup claude-code --dry-run` shows what byok would put back; add --force to apply it"
    );
}

#[test]
fn cursor_before_its_first_start_is_not_called_configured() {
    let (t, _mock) = with_mock(ok_scenario());
    std::fs::create_dir_all(t.home().join(".cursor/extensions")).unwrap();
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(
        sev_msg_hint(&v, "tool.cursor"),
        (
            "warn".into(),
            "installed (directory ~/.cursor); byok cannot write its settings here".into(),
            "`byok setup cursor` says why and lists the steps to do by hand".into()
        )
    );
    // Cursor's own finding: its servers cannot reach a gateway on 127.0.0.1.
    assert_eq!(check(&v, "tool.cursor.1")["severity"], "fail");
    assert_eq!(code, 1);
}

// ----------------------------------------------------------------------------------
// byok demo
// ----------------------------------------------------------------------------------

#[test]
fn demo_runs_green_offline_and_cleans_up() {
    let t = TestEnv::new();
    let out = t.run(&["demo"]).success();
    let text = &out.stdout;
    for want in [
        "── 1. sample installs of the supported tools\n  Claude Code  ~/.claude/settings.json\n",
        "--dry-run   (what would change)\nClaude Code\n--- a/~/.claude/settings.json\n",
        "+  \"apiKeyHelper\": \"'[BYOK]' print-key --profile 'demo'\"\n",
        " --yes\nClaude Code\n  updated ~/.claude/settings.json",
        "Installed byok's block in ~/.bashrc",
        "  ✓ Claude Code  points at this profile's gateway, key and models (config dir ~/.claude)\n",
        "  ✓ Start-up files       byok is loaded by ~/.bashrc\n",
        "all required checks passed: ",
        "Removed the demo home (run `byok demo --keep` to look around in it).\n",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{out}");
    }
    assert!(!text.contains("sk-byok-demo-7f3a9c2e51d8b604"), "{out}");
    assert!(
        !out.stderr.contains("sk-byok-demo-7f3a9c2e51d8b604"),
        "{out}"
    );
    let home_line = text.lines().next().unwrap();
    let demo_home = home_line.rsplit(" in ").next().unwrap();
    assert!(
        !std::path::Path::new(demo_home).exists(),
        "{demo_home} left behind"
    );
    // The user's own home is untouched.
    assert!(t.tree().is_empty(), "{:?}", t.tree());
}

#[test]
fn demo_keep_leaves_the_home_to_look_at() {
    let t = TestEnv::new();
    let out = t.run(&["demo", "--keep"]).success();
    let kept = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Kept the demo home: "))
        .and_then(|l| l.split(" (").next())
        .unwrap_or_else(|| panic!("no kept path in:\n{out}"))
        .to_string();
    let kept = std::path::PathBuf::from(kept);
    assert!(kept.join(".config/byok/config.toml").is_file());
    assert!(kept.join(".claude/settings.json").is_file());
    std::fs::remove_dir_all(kept.parent().unwrap()).unwrap();
}

#[test]
fn proxy_variables_are_shown_and_used() {
    // The mock doubles as a plain-HTTP proxy, so nothing leaves 127.0.0.1: the gateway's
    // own name is never looked up, only the proxy is dialled.
    let mock = MockGateway::start(ok_scenario()).unwrap();
    let mut t = TestEnv::new();
    t.init("http://gateway.invalid:4000");
    let proxy = mock.url();
    t.set("http_proxy", &proxy)
        .set("NO_PROXY", "localhost,.corp");
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(
        sev_msg_hint(&v, "proxy").1,
        format!(
            "HTTP_PROXY={proxy}, NO_PROXY=localhost,.corp; gateway.invalid goes through {proxy}"
        )
    );
    assert_eq!(
        sev_msg_hint(&v, "dns").1,
        "proxy 127.0.0.1 is an IP address (no lookup)"
    );
    assert_eq!(
        sev_msg_hint(&v, "tls").1,
        format!("through the proxy {proxy}; the API requests below check it")
    );
    let first = &mock.requests()[0];
    assert!(
        first.path.starts_with("http://gateway.invalid:4000/v1/"),
        "{first:?}"
    );
}

/// Issue 8 item 16: an empty model id is refused before any request, as in `init`.
#[test]
fn empty_model_flag_is_refused() {
    let t = TestEnv::new();
    t.init("http://127.0.0.1:9");
    let out = t.run(&["doctor", "--model", " ", "--quick"]).code(2);
    assert!(
        out.stderr.starts_with(
            "byok: error: --model is empty: it must name a model the gateway serves\n"
        ),
        "{out}"
    );
}

/// A home where Claude Code and Gemini CLI are installed (their directories exist).
fn with_claude_and_gemini(sc: Scenario) -> (TestEnv, MockGateway) {
    let (t, mock) = with_mock(sc);
    t.write(".claude/settings.json", "{}\n");
    t.write(".gemini/settings.json", "{}\n");
    (t, mock)
}

#[test]
fn count_tokens_and_gemini_routes_are_probed_when_their_tools_are_set_up() {
    let (t, mock) = with_claude_and_gemini(ok_scenario());
    let (v, _) = doctor_json(&t, &[]);
    let c = check(&v, "count_tokens");
    assert_eq!(c["name"], "POST /v1/messages/count_tokens");
    assert_eq!(c["required"], true);
    assert_eq!(
        sev_msg_hint(&v, "count_tokens"),
        ("ok".into(), "counted 9 input tokens".into(), String::new())
    );
    assert_eq!(
        check(&v, "gemini")["name"],
        "POST /v1beta/models/gpt-4o:generateContent"
    );
    assert_eq!(
        sev_msg_hint(&v, "gemini"),
        (
            "ok".into(),
            "answered \"ok\", 10 tokens".into(),
            String::new()
        )
    );
    assert_eq!(
        check(&v, "gemini_stream")["name"],
        "POST /v1beta/models/gpt-4o:streamGenerateContent"
    );
    let (sev, msg, _) = sev_msg_hint(&v, "gemini_stream");
    assert_eq!(sev, "ok");
    assert!(msg.starts_with("2 chunks, first token after "), "{msg}");
    assert!(msg.ends_with(", finishReason STOP"), "{msg}");
    let reqs = mock.requests();
    let gem = reqs
        .iter()
        .find(|r| r.path == "/v1beta/models/gpt-4o:streamGenerateContent?alt=sse")
        .expect("a Gemini stream request");
    assert_eq!(gem.header("x-goog-api-key"), Some(KEY));
    assert_eq!(gem.header("authorization"), None);
    let ct = reqs
        .iter()
        .find(|r| r.path == "/v1/messages/count_tokens")
        .expect("a count_tokens request");
    assert_eq!(ct.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(ct.json()["model"], "claude-sonnet-4-5");
}

#[test]
fn routes_of_tools_not_set_up_are_not_probed() {
    let (t, mock) = with_mock(ok_scenario());
    let (v, _) = doctor_json(&t, &[]);
    let ids: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert!(
        !ids.contains(&"count_tokens") && !ids.contains(&"gemini"),
        "{ids:?}"
    );
    assert!(
        mock.requests()
            .iter()
            .all(|r| !r.path.contains("count_tokens") && !r.path.starts_with("/v1beta"))
    );
}

#[test]
fn a_gateway_without_count_tokens_is_named() {
    let (t, mock) = with_claude_and_gemini(ok_scenario().fault(Fault::NoCountTokens));
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        sev_msg_hint(&v, "count_tokens"),
        (
            "fail".into(),
            format!("404 Not Found: {}/v1/messages/count_tokens does not exist on this gateway", mock.url()),
            "the gateway does not serve Anthropic token counting, which Claude Code calls: add the route on the gateway (LiteLLM serves /v1/messages/count_tokens), or point byok at a gateway that has it".into()
        )
    );
    assert_eq!(
        check(&v, "count_tokens")["details"]["error"],
        "route_missing"
    );
    assert_eq!(sev_msg_hint(&v, "messages").0, "ok");
}

#[test]
fn a_gateway_without_gemini_routes_is_named() {
    let (t, mock) = with_claude_and_gemini(ok_scenario().fault(Fault::NoGemini));
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        sev_msg_hint(&v, "gemini"),
        (
            "fail".into(),
            format!(
                "404 Not Found: {}/v1beta/models/gpt-4o:generateContent does not exist on this gateway",
                mock.url()
            ),
            format!(
                "Gemini CLI speaks only Google's Gemini API: the gateway must serve {}/v1beta/models/<model>:generateContent and :streamGenerateContent (with the key in x-goog-api-key)",
                mock.url()
            )
        )
    );
    assert_eq!(sev_msg_hint(&v, "gemini_stream").0, "fail");
    assert_eq!(sev_msg_hint(&v, "chat").0, "ok");
}

#[test]
fn gemini_faults_get_their_own_diagnosis() {
    let (t, _mock) = with_claude_and_gemini(ok_scenario().fault(Fault::GeminiCutStream));
    let (v, _) = doctor_json(&t, &[]);
    let (sev, msg, hint) = sev_msg_hint(&v, "gemini_stream");
    assert_eq!(sev, "fail");
    assert!(
        msg.starts_with("1 chunks, first token after ")
            && msg.ends_with("but none with a finishReason: the stream was cut"),
        "{msg}"
    );
    assert_eq!(
        hint,
        "the stream was cut: check the gateway's (and any proxy's) streaming timeouts and logs"
    );
    assert_eq!(sev_msg_hint(&v, "gemini").0, "ok");

    let (t, _mock) =
        with_claude_and_gemini(ok_scenario().models(&["claude-sonnet-4-5", "gpt-4o-mini"]));
    let (v, _) = doctor_json(&t, &[]);
    assert_eq!(
        sev_msg_hint(&v, "gemini"),
        (
            "fail".into(),
            "404 Not Found: model `gpt-4o` is not served by the gateway: \"models/gpt-4o is not found for API version v1beta, or is not supported for generateContent.\"".into(),
            "the gateway lists gpt-4o-mini: use one with `byok init --model gpt-4o-mini`".into()
        )
    );
    assert_eq!(
        sev_msg_hint(&v, "count_tokens").0,
        "ok",
        "count_tokens uses the Anthropic model"
    );

    let (mut t, _mock) = with_claude_and_gemini(ok_scenario());
    t.set("BYOK_API_KEY", "sk-wrong-key-999999");
    let (v, _) = doctor_json(&t, &[]);
    let (sev, msg, _) = sev_msg_hint(&v, "gemini");
    assert_eq!(sev, "fail");
    assert_eq!(
        msg,
        "400 Bad Request: the gateway rejected the key sk-…9999 sent as `x-goog-api-key`: \"API key not valid. Please pass a valid API key.\""
    );
}

#[test]
fn a_gateway_that_lists_no_models_is_not_an_error() {
    let (t, _mock) = with_mock(ok_scenario().models(&[]));
    let (v, _) = doctor_json(&t, &["--quick"]);
    assert_eq!(
        sev_msg_hint(&v, "models"),
        (
            "ok".into(),
            "the gateway lists no models (it may route any id; the generation checks tell whether yours works)".into(),
            String::new()
        )
    );
}

/// Copilot Chat calls the full endpoint URLs in its chatLanguageModels.json: while they
/// are the profile's, the route probes are their check (no request of their own); a URL
/// changed by hand is probed at that exact URL, and its failure says what it misses.
#[test]
fn a_tools_full_endpoint_url_is_probed_where_it_differs() {
    let (t, mock) = with_mock(ok_scenario());
    t.write(
        ".vscode/extensions/github.copilot-chat-0.47.0/package.json",
        "{}",
    );
    t.run(&["setup", "copilot-chat", "--yes"]).success();
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(check(&v, "route.copilot-chat")["name"], "Copilot Chat");
    assert_eq!(
        sev_msg_hint(&v, "route.copilot-chat"),
        (
            "info".into(),
            "its full endpoint URLs are the ones probed above: POST /v1/chat/completions, POST /v1/messages (in ~/.config/Code/User/chatLanguageModels.json)".into(),
            String::new()
        )
    );
    let chats = |m: &MockGateway| {
        m.requests()
            .iter()
            .filter(|r| r.path.ends_with("/chat/completions"))
            .count()
    };
    assert_eq!(chats(&mock), 2, "the route probes only (plain and stream)");

    // The chat URL loses its /v1 by hand: probed there, and named.
    let file = ".config/Code/User/chatLanguageModels.json";
    t.write(
        file,
        t.read(file)
            .replace("/v1/chat/completions", "/chat/completions"),
    );
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 1);
    let url = mock.url();
    let c = check(&v, "route.copilot-chat.chat");
    assert_eq!(c["name"], "POST /chat/completions (Copilot Chat)");
    assert_eq!(c["details"]["tool_url"], format!("{url}/chat/completions"));
    assert_eq!(
        sev_msg_hint(&v, "route.copilot-chat.chat"),
        (
            "fail".into(),
            format!(
                "404 Not Found: {url}/chat/completions does not exist on this gateway; Copilot Chat calls it (~/.config/Code/User/chatLanguageModels.json [name=byok].models.0.url)"
            ),
            format!(
                "the URL misses the gateway's path `/v1`, while the profile's {url}/v1/chat/completions works: `byok setup copilot-chat --force` puts the profile's back (it was changed by hand)"
            )
        )
    );
    assert!(
        mock.requests()
            .iter()
            .any(|r| r.path == "/chat/completions")
    );
    // The Anthropic URL is still the profile's.
    assert_eq!(
        sev_msg_hint(&v, "route.copilot-chat").1,
        "its full endpoint URLs are the ones probed above: POST /v1/messages (in ~/.config/Code/User/chatLanguageModels.json)"
    );
    // --quick sends nothing billed: no route probe either.
    let (v, _) = doctor_json(&t, &["--quick"]);
    assert!(
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| !c["id"].as_str().unwrap().starts_with("route.")),
        "{v:#}"
    );
}

/// Goose's `base_url` is a full endpoint: after the profile moved under `/api`, Goose
/// still calls the old URL, which the probe at that URL shows, with the fix.
#[test]
fn a_stale_full_endpoint_url_names_the_path_it_misses() {
    let (t, mock) = with_mock(ok_scenario().prefix("/api"));
    t.write(".config/goose/config.yaml", "GOOSE_MODE: auto\n");
    t.run(&["setup", "goose", "--yes"]).success();
    t.init(&format!("{}/api", mock.url()));
    let (v, code) = doctor_json(&t, &[]);
    assert_eq!(code, 1);
    let url = mock.url();
    assert_eq!(
        sev_msg_hint(&v, "route.goose.chat"),
        (
            "fail".into(),
            format!(
                "404 Not Found: {url}/v1/chat/completions does not exist on this gateway; Goose calls it (~/.config/goose/custom_providers/byok.json base_url)"
            ),
            format!(
                "the URL misses the gateway's path `/api`, while the profile's {url}/api/v1/chat/completions works: `byok setup goose` writes the profile's current one"
            )
        )
    );
    assert_eq!(sev_msg_hint(&v, "chat").0, "ok");

    // A gateway that fails everywhere: the profile's URL fails too, and says so first.
    let (t, mock) = with_mock(ok_scenario().fault(Fault::ServerError));
    t.write(".config/goose/config.yaml", "GOOSE_MODE: auto\n");
    t.run(&["setup", "goose", "--yes"]).success();
    t.write(
        ".config/goose/custom_providers/byok.json",
        t.read(".config/goose/custom_providers/byok.json")
            .replace("/v1/chat/completions", "/v1/v1/chat/completions"),
    );
    let (v, _) = doctor_json(&t, &[]);
    let url = mock.url();
    assert_eq!(sev_msg_hint(&v, "chat").0, "fail");
    assert_eq!(
        sev_msg_hint(&v, "route.goose.chat"),
        (
            "fail".into(),
            format!(
                "404 Not Found: {url}/v1/v1/chat/completions does not exist on this gateway; the URL has /v1 twice; Goose calls it (~/.config/goose/custom_providers/byok.json base_url)"
            ),
            format!(
                "the profile's {url}/v1/chat/completions fails too (above): fix that first, then `byok setup goose --force` puts the profile's back (it was changed by hand)"
            )
        )
    );
}

/// Each set-up tool's models are checked against GET /v1/models, not only the profile's:
/// Codex's `model` changed by hand to an unlisted id gets the closest listed ids and the
/// fix; a listed one is said to be listed; a gateway that lists none is no finding.
#[test]
fn a_tools_own_model_is_checked_against_the_list() {
    let (t, _mock) = with_mock(ok_scenario());
    t.write(".codex/config.toml", "");
    t.run(&["setup", "codex", "--yes"]).success();
    let (v, _) = doctor_json(&t, &["--quick"]);
    assert!(
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != "models.codex"),
        "the profile's model is the /models check's: {v:#}"
    );
    t.write(
        ".codex/config.toml",
        t.read(".codex/config.toml")
            .replace("model = \"gpt-4o\"", "model = \"gpt4o-mini\""),
    );
    let (v, code) = doctor_json(&t, &["--quick"]);
    assert_eq!(code, 1, "the hand edit fails the tool check");
    let c = check(&v, "models.codex");
    assert_eq!(
        (c["section"].as_str(), c["name"].as_str()),
        (Some("gateway"), Some("Codex CLI model"))
    );
    assert_eq!(
        sev_msg_hint(&v, "models.codex"),
        (
            "warn".into(),
            "Codex CLI asks for `gpt4o-mini` (~/.codex/config.toml model), which the gateway does not list (closest: gpt-4o-mini)".into(),
            "set a listed id there, or `byok setup codex --force` puts back the profile's (it was changed by hand)".into()
        )
    );
    // Right after the list it is compared with.
    let ids: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let at = ids.iter().position(|i| *i == "models").unwrap();
    assert_eq!(ids[at + 1], "models.codex");

    t.write(
        ".codex/config.toml",
        t.read(".codex/config.toml")
            .replace("model = \"gpt4o-mini\"", "model = \"claude-haiku-4-5\""),
    );
    let (v, _) = doctor_json(&t, &["--quick"]);
    assert_eq!(
        sev_msg_hint(&v, "models.codex"),
        (
            "ok".into(),
            "`claude-haiku-4-5` (~/.codex/config.toml model) listed by the gateway".into(),
            String::new()
        )
    );

    let (t, _mock) = with_mock(ok_scenario().models(&[]));
    t.write(".codex/config.toml", "model = \"gpt-5\"\n");
    t.run(&["setup", "codex", "--yes", "--force"]).success();
    t.write(
        ".codex/config.toml",
        t.read(".codex/config.toml")
            .replace("model = \"gpt-4o\"", "model = \"gpt-5\""),
    );
    let (v, _) = doctor_json(&t, &["--quick"]);
    assert!(
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != "models.codex"),
        "{v:#}"
    );
}

/// A tool the user has not set up (Cline's CLI pointing at another provider) is a warning
/// with its own findings no worse than that: doctor still exits 0.
#[test]
fn a_tool_not_set_up_warns_and_does_not_fail() {
    let (t, _mock) = with_mock(ok_scenario());
    t.copy_tree(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/cline/elsewhere/home"),
    );
    let (v, code) = doctor_json(&t, &["--quick"]);
    assert_eq!(code, 0, "{v:#}");
    let (sev, msg, _) = sev_msg_hint(&v, "tool.cline");
    assert_eq!(sev, "warn");
    assert!(msg.ends_with("but not set up for this gateway"), "{msg}");
    let cline: Vec<(&str, &str)> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "Cline")
        .map(|c| {
            (
                c["severity"].as_str().unwrap(),
                c["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(cline.iter().all(|(s, _)| *s != "fail"), "{cline:#?}");
    assert!(
        cline
            .iter()
            .any(|(s, m)| *s == "warn" && m.contains("does not point at")),
        "{cline:#?}"
    );
}
