//! `byok doctor --live`: a fake tool per behaviour (tests/fixtures/live/*.sh, a user
//! template `fake` whose `[live]` command is `fake-tool`) runs through the recording relay
//! in front of the embedded mock gateway; each behaviour gets its exact finding, the key
//! never shows, nothing the tool starts survives, and the user's files are not written.
//! The fake tools use curl; without it the tests say so and pass.

use std::path::{Path, PathBuf};

use byok::gateway::mock::{MockGateway, Recorded, Scenario};
use serde_json::Value;

use crate::common::{KEY, Output, TestEnv, have};

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
