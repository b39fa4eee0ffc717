//! `byok doctor --live`: a fake tool per behaviour (tests/fixtures/live/*.sh, a user
//! template `fake` whose `[live]` command is `fake-tool`) runs through the recording relay
//! in front of the embedded mock gateway; each behaviour gets its exact finding, the key
//! never shows, nothing the tool starts survives, and the user's files are not written.
//! The fake tools use curl; without it the tests say so and pass.

use std::path::{Path, PathBuf};

use byok::gateway::mock::{MockGateway, Recorded, Scenario};
use serde_json::Value;

use crate::common::{KEY, Output, TestEnv, have};
use crate::guide::Tty;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/live")
        .join(name)
}

/// A home with the fake tool set up against a mock, `script` installed as `fake-tool`.
/// `None` when curl is missing (the reason is printed).
fn fake_tool(script: &str) -> Option<(TestEnv, MockGateway)> {
    if !have("curl") {
        eprintln!("skipped: the fake tools need curl, which is not installed");
        return None;
    }
    let mock = MockGateway::start(Scenario::new(KEY)).unwrap();
    let mut t = TestEnv::new();
    install(&mut t, "fake", "fake-tool", script);
    t.init(&mock.url());
    t.run(&["setup", "fake", "--yes"]).success();
    Some((t, mock))
}

/// Installs the fixture template `<id>.toml` as a user template and `script` as
/// `program` on PATH.
fn install(t: &mut TestEnv, id: &str, program: &str, script: &str) {
    t.write(
        &format!(".config/byok/templates/{id}.toml"),
        std::fs::read(fixture(&format!("{id}.toml"))).unwrap(),
    );
    let bin = t.root().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(fixture(script), bin.join(program)).unwrap();
    t.set("PATH", format!("{}:/usr/bin:/bin", bin.display()));
}

/// Runs `doctor --live --json --yes` and returns the fake tool's record; the key must
/// not show anywhere.
#[track_caller]
fn live(t: &TestEnv, extra: &[&str]) -> (Value, Output) {
    live_of(t, "fake", extra)
}

/// [`live`] for the tool `id`.
#[track_caller]
fn live_of(t: &TestEnv, id: &str, extra: &[&str]) -> (Value, Output) {
    let mut args = vec!["doctor", "--live", "--json", "--yes"];
    args.extend_from_slice(extra);
    let out = t.run(&args);
    assert!(
        !out.stdout.contains(KEY) && !out.stderr.contains(KEY),
        "the key leaked:\n{out}"
    );
    let v: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}:\n{out}"));
    let check = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == format!("live.{id}"))
        .unwrap_or_else(|| panic!("no live.{id} in {v:#}"))
        .clone();
    (check, out)
}

/// What the mock saw from the fake tools (curl), not from doctor's probes.
fn from_tool(mock: &MockGateway) -> Vec<Recorded> {
    mock.requests()
        .into_iter()
        .filter(|r| {
            r.header("user-agent")
                .is_some_and(|u| u.starts_with("curl/"))
        })
        .collect()
}

fn sev_msg_hint(c: &Value) -> (String, String, String) {
    (
        c["severity"].as_str().unwrap().to_string(),
        c["message"].as_str().unwrap().to_string(),
        c["hint"].as_str().unwrap_or("").to_string(),
    )
}

#[test]
fn the_right_request_passes_with_its_record() {
    let Some((t, mock)) = fake_tool("right.sh") else {
        return;
    };
    let before = t.read(".fake/env");
    let (c, out) = live(&t, &[]);
    let out = out.code(0);
    let (sev, msg, _) = sev_msg_hint(&c);
    assert_eq!(sev, "ok", "{out}");
    assert!(
        msg.starts_with(
            "POST /v1/chat/completions, `Authorization: Bearer` sk-…cdef, model gpt-4o, 200; printed \"{"
        ),
        "{msg}"
    );
    let d = &c["details"];
    assert_eq!(d["route"], "POST /v1/chat/completions");
    assert_eq!(d["header"], "bearer");
    assert_eq!(d["model"], "gpt-4o");
    assert_eq!(d["status"], 200);
    assert_eq!(d["exit_code"], 0);
    assert!(d["seconds"].is_number());
    // The relay forwarded it unchanged: the mock saw the tool's path, key and body (the
    // doctor's own probes come first, as `byok/…`).
    let reqs = from_tool(&mock);
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/v1/chat/completions");
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    // The user's own file is untouched (the tool ran on a copy) and no trust file leaked.
    assert_eq!(t.read(".fake/env"), before);
    assert!(!t.exists(".fake/trusted.json"));
    assert!(out.stderr.contains("one small billed request"), "{out}");
}

#[test]
fn double_v1_is_named() {
    let Some((t, _mock)) = fake_tool("v1v1.sh") else {
        return;
    };
    let (c, out) = live(&t, &[]);
    out.code(1);
    assert_eq!(
        sev_msg_hint(&c),
        (
            "fail".into(),
            "Fake Tool sent POST /v1/v1/chat/completions: /v1 twice (expected /v1/chat/completions)".into(),
            "the tool adds /v1 itself: give it the base without /v1 (`byok init --url` with the gateway's root), then `byok setup fake`".into()
        )
    );
}

#[test]
fn a_key_from_the_shell_is_named() {
    let Some((mut t, _mock)) = fake_tool("wrong-key.sh") else {
        return;
    };
    t.set("FAKE_SHELL_KEY", "sk-shell-key-99999999");
    let (c, out) = live(&t, &[]);
    out.code(1);
    assert_eq!(
        sev_msg_hint(&c),
        (
            "fail".into(),
            "Fake Tool sent a key from the shell's FAKE_SHELL_KEY (sk-…9999 in `Authorization: Bearer`), not the profile's sk-…cdef".into(),
            "unset FAKE_SHELL_KEY here and remove it from your start-up files (`byok env --install` exports the profile's), or give it the profile's key".into()
        )
    );
    assert_eq!(c["details"]["status"], 401);
}

#[test]
fn a_tool_that_sends_nothing_is_named_with_its_output() {
    let Some((t, mock)) = fake_tool("nothing.sh") else {
        return;
    };
    let (c, out) = live(&t, &[]);
    out.code(1);
    assert_eq!(
        sev_msg_hint(&c),
        (
            "fail".into(),
            "Fake Tool sent no request to the gateway (exit 2); it printed: \"error: no provider configured\"".into(),
            "it may use other settings than byok's (a project file, a shell variable, a login) or wait for input: run it yourself to see, or `byok doctor` for what overrides byok's settings for it; `byok setup fake` rewrites its files".into()
        )
    );
    assert!(from_tool(&mock).is_empty());
}

#[test]
fn a_hanging_tool_is_ended_at_the_timeout() {
    let Some((t, _mock)) = fake_tool("hang.sh") else {
        return;
    };
    let (c, out) = live(&t, &["--timeout", "1"]);
    out.code(1);
    let (sev, msg, _) = sev_msg_hint(&c);
    assert_eq!(sev, "fail");
    assert_eq!(
        msg,
        "Fake Tool did not finish within 1 s and sent no request: byok ended it"
    );
    assert_eq!(c["details"]["timed_out"], true);
}

#[test]
fn a_child_left_running_is_ended() {
    let Some((mut t, _mock)) = fake_tool("leaves-child.sh") else {
        return;
    };
    let pidfile = t.root().join("child.pid");
    t.set("FAKE_PIDFILE", pidfile.display().to_string());
    let (c, out) = live(&t, &[]);
    let out = out.code(0);
    let (sev, msg, _) = sev_msg_hint(&c);
    assert_eq!(sev, "warn", "{out}");
    assert!(
        msg.ends_with("but left a process running, which byok ended"),
        "{msg}"
    );
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    let pid = pid.trim();
    // Killed but not yet reaped (a container's PID 1 may never reap it) is dead too.
    let alive = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) if Path::new("/proc/self").exists() => false,
        Err(_) => std::process::Command::new("kill")
            .args(["-0", pid])
            .status()
            .unwrap()
            .success(),
    };
    assert!(!alive, "the child {pid} survived");
}

#[test]
fn a_key_the_tool_prints_is_masked() {
    let Some((t, _mock)) = fake_tool("prints-key.sh") else {
        return;
    };
    let (c, out) = live(&t, &[]);
    out.code(0);
    let (sev, msg, _) = sev_msg_hint(&c);
    assert_eq!(sev, "ok");
    assert!(msg.ends_with("printed \"using key sk-…cdef\""), "{msg}");
}

#[test]
fn consent_is_needed_without_a_terminal() {
    let Some((t, mock)) = fake_tool("right.sh") else {
        return;
    };
    let out = t.run(&["doctor", "--live"]).code(2);
    assert!(
        out.stderr.contains("not started without your consent")
            && out.stderr.contains("pass --yes"),
        "{out}"
    );
    assert!(mock.requests().is_empty());
    // Unknown tool names are usage errors.
    t.run(&["doctor", "--live", "--yes", "nosuchtool"]).code(2);
    // Tool names need --live.
    t.run(&["doctor", "fake"]).code(2);
}

#[test]
fn tools_without_a_one_shot_mode_are_listed() {
    let Some((t, _mock)) = fake_tool("right.sh") else {
        return;
    };
    t.write(".cursor/mcp.json", "{}\n");
    // Exit 1: the whole doctor runs, and its tool checks say Cursor can't reach a
    // loopback gateway.
    let out = t.run(&["doctor", "--live", "--yes"]).code(1);
    assert!(
        out.stdout
            .contains("  · Cursor     not testable live: an editor without a one-shot mode\n"),
        "{out}"
    );
    assert!(out.stdout.contains("Live runs\n"), "{out}");
}

/// Copilot CLI reads only variables: a live run gets what `byok env` sets for the tool
/// (its relay-bound base URL, the key command, a stale token unset), whatever this shell
/// has loaded; and byok's key command still finds the profile although XDG_CONFIG_HOME
/// is moved into the temporary home.
#[test]
fn an_env_driven_tool_runs_with_what_byok_env_sets_for_it() {
    if !have("curl") {
        eprintln!("skipped: the fake tools need curl, which is not installed");
        return;
    }
    let mock = MockGateway::start(Scenario::new(KEY)).unwrap();
    let mut t = TestEnv::new();
    install(&mut t, "fake-env", "fake-env-tool", "env-right.sh");
    let config = t.home().join(".config");
    t.set("XDG_CONFIG_HOME", config.display().to_string());
    t.init(&mock.url());
    t.run(&["setup", "fake-env", "--yes"]).success();
    t.set("FAKE_ENV_TOKEN", "sk-stale-token-99999999");
    t.set("FAKE_ENV_BASE_URL", "http://127.0.0.1:9/v1");
    let (c, out) = live_of(&t, "fake-env", &["fake-env"]);
    let out = out.code(0);
    let (sev, msg, _) = sev_msg_hint(&c);
    assert_eq!(sev, "ok", "{out}");
    assert!(
        msg.starts_with(
            "POST /v1/chat/completions, `Authorization: Bearer` sk-…cdef, model gpt-4o, 200; printed"
        ),
        "{msg}"
    );
    let reqs = from_tool(&mock);
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

/// The whole doctor reads as its sections, the live runs last, under one verdict;
/// `--live TOOL` narrows the tool checks and the runs to that tool (Cursor, installed
/// too, is left out of both).
#[test]
fn live_runs_the_whole_doctor_then_the_tools() {
    let Some((t, mock)) = fake_tool("right.sh") else {
        return;
    };
    t.write(".cursor/mcp.json", "{}\n");
    let out = t.run(&["doctor", "--live", "fake", "--yes"]).code(0);
    let port = mock.addr().port().to_string();
    let text = crate::doctor::regex_like_times(&out.to_string())
        .replace(&mock.url(), "[URL]")
        .replace(&port, "[PORT]");
    insta::assert_snapshot!(text, @r#"
    byok doctor: profile `default`, gateway [URL], key sk-…cdef

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
      ✓ POST /v1/chat/completions           answered "ok", 10 tokens ([T])
      ✓ POST /v1/chat/completions (stream)  3 chunks, first token after [T], ended with [DONE] ([T])
      ✓ POST /v1/messages                   answered "ok", 1 token ([T])
      ✓ POST /v1/messages (stream)          7 events message_start … message_stop, first token after [T] ([T])
      ✓ Anthropic key header                the gateway accepts both `x-api-key` and `Authorization: Bearer`; the profile uses Authorization: Bearer (ANTHROPIC_AUTH_TOKEN)
      ✓ POST /v1/responses                  answered "ok" (status completed) ([T])
      ✓ POST /v1/responses (stream)         5 events response.created … response.completed, first token after [T] ([T])

    Tools
      ✓ Fake Tool  points at this profile's gateway, key and models (binary [ROOT]/bin/fake-tool; user template ~/.config/byok/templates/fake.toml)

    Shell
      · OpenAI variables     not set in this shell (OPENAI_BASE_URL, OPENAI_API_BASE, OPENAI_API_KEY); tools started from it use their own settings
      · Anthropic variables  not set in this shell (ANTHROPIC_BASE_URL, ANTHROPIC_AUTH_TOKEN); tools started from it use their own settings
      · Start-up files       no start-up file loads byok (`byok env --install` adds it)

    Live runs
      ✓ Fake Tool  POST /v1/chat/completions, `Authorization: Bearer` sk-…cdef, model gpt-4o, 200; printed "{"id":"chatcmpl-mock","object":"chat.com…" ([T])

    all required checks passed: 16 ok, 1 skipped, 3 info in [T]
    ----- stderr -----
    byok doctor --live runs Fake Tool once each (at most 60 s each), in a temporary home with copies of their settings; each run sends one small billed request to [URL] through a local relay
    ----- exit 0 -----
    [EOF]
    "#);
    // JSON carries every section, in the same order.
    let out = t
        .run(&["doctor", "--live", "fake", "--json", "--yes"])
        .code(0);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let mut sections: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["section"].as_str().unwrap())
        .collect();
    sections.dedup();
    assert_eq!(
        sections,
        [
            "configuration",
            "reachability",
            "gateway",
            "tools",
            "shell",
            "live"
        ]
    );
    assert_eq!(v["exit_code"], 0);
}

/// On a terminal the quick sections come first, then the question; no runs the tools
/// and ends the report with them skipped (exit 1: the proof asked for was not made), yes
/// runs them.
#[test]
fn a_terminal_sees_the_quick_sections_before_the_question() {
    let Some((mut t, mock)) = fake_tool("right.sh") else {
        return;
    };
    t.set("TERM", "dumb");
    let mut tty = Tty::spawn(&t, &["doctor", "--live"]);
    tty.expect("no start-up file loads byok (`byok env --install` adds it)\n")
        .expect("\nbyok doctor --live runs Fake Tool once each (at most 60 s each)")
        .expect("Run them? [y/N] ")
        .answer("n");
    let (seen, code) = tty.finish();
    assert_eq!(code, Some(1), "{seen}");
    let tail = &seen[seen.find("Run them? [y/N] ").unwrap() + 16..];
    let tail = crate::doctor::regex_like_times(tail);
    insta::assert_snapshot!(tail, @r#"
    Live runs
      - Fake Tool  not run: you said no

    the other checks passed, but the live runs were not started (you said no): 15 ok, 2 skipped, 3 info in [T]
    "#);
    assert!(from_tool(&mock).is_empty());
    // The report is printed once: one heading per section.
    assert_eq!(seen.matches("\nGateway API\n").count(), 1, "{seen}");

    let mut tty = Tty::spawn(&t, &["doctor", "--live"]);
    tty.expect("Run them? [y/N] ").answer("y");
    let (seen, code) = tty.finish();
    assert_eq!(code, Some(0), "{seen}");
    assert!(
        seen.contains("Live runs\n  ✓ Fake Tool  POST /v1/chat/completions"),
        "{seen}"
    );
    assert_eq!(from_tool(&mock).len(), 1);
}

/// Without a key the runs can't be judged: the key check fails (exit 1) and the runs are
/// listed as not run, without asking (nothing would run).
#[test]
fn no_key_means_no_runs_and_no_question() {
    let Some((mut t, mock)) = fake_tool("right.sh") else {
        return;
    };
    t.run(&[
        "init",
        "--url",
        &mock.url(),
        "--key-env",
        "FAKE_GW_KEY",
        "--model",
        "gpt-4o",
        "--yes",
    ])
    .success();
    t.unset("FAKE_GW_KEY");
    let out = t.run(&["doctor", "--live", "fake"]).code(1);
    assert!(
        out.stdout.contains(
            "\nLive runs\n  - Fake Tool  not run: there is no key to give it (see API key above)\n"
        ),
        "{out}"
    );
    assert_eq!(out.stderr, "");
    assert!(from_tool(&mock).is_empty());
}
