//! `byok use` (issue 11): every tool byok set up, and a shell block that names a
//! profile, move to another profile in one step; there and back gives the first state
//! byte for byte; a failure in the middle leaves every file as it was.

use crate::common::{KEY, Output, TestEnv};

const TWO_KEY: &str = "sk-two-abcdefghijklmnop";

#[track_caller]
fn no_key(out: Output) -> Output {
    for k in [KEY, TWO_KEY] {
        assert!(
            !out.stdout.contains(k) && !out.stderr.contains(k),
            "a key leaked:\n{out}"
        );
    }
    out
}

fn snapshot(t: &TestEnv) -> Vec<(String, String)> {
    t.tree()
        .into_iter()
        .filter(|p| !p.starts_with(".local/state/byok"))
        .map(|p| {
            let b = String::from_utf8_lossy(&t.read_bytes(&p).unwrap()).into_owned();
            (p, b)
        })
        .collect()
}

/// Two profiles; Claude Code, Codex, OpenCode and Gemini CLI set up on the first, and a
/// bash block pinned to it.
fn two_profiles() -> TestEnv {
    let mut t = TestEnv::new();
    t.set("TWO_KEY", TWO_KEY);
    t.write(".claude/settings.json", "{\n  \"theme\": \"dark\"\n}\n");
    t.write(".codex/config.toml", "# mine\nmodel = \"o3\"\n");
    t.write(".bashrc", "# my bashrc\nalias ll='ls -l'\n");
    t.init("http://127.0.0.1:9");
    no_key(t.run(&[
        "init",
        "--name",
        "two",
        "--url",
        "http://127.0.0.1:8",
        "--key-env",
        "TWO_KEY",
        "--model",
        "m2",
        "--no-default",
        "--yes",
    ]))
    .success();
    no_key(t.run(&[
        "setup",
        "claude-code",
        "codex",
        "opencode",
        "gemini-cli",
        "--yes",
    ]))
    .success();
    no_key(t.run(&[
        "env",
        "--install",
        "--shell",
        "bash",
        "--profile",
        "default",
    ]))
    .success();
    t
}

#[test]
fn use_moves_every_tool_and_back_byte_for_byte() {
    let t = two_profiles();
    let first = snapshot(&t);
    let out = no_key(t.run(&["use"])).success();
    assert_eq!(
        out.stdout,
        "default profile  default\n\
         Claude Code  default\n\
         Codex CLI    default\n\
         OpenCode     default\n\
         Gemini CLI   default\n\
         ~/.bashrc    default  (shell block)\n"
    );
    let out = no_key(t.run(&["use", "two", "--yes"])).success();
    assert!(
        out.stdout.ends_with(
            "Now on profile `two`: 4 tools moved; new shells load it (in an open one: eval \"$(byok env)\").\n"
        ),
        "{out}"
    );
    assert!(
        t.read(".claude/settings.json")
            .contains("\"ANTHROPIC_BASE_URL\": \"http://127.0.0.1:8\"")
    );
    assert!(
        t.read(".codex/config.toml")
            .contains("base_url = \"http://127.0.0.1:8/v1\"")
    );
    assert!(
        t.read(".bashrc")
            .contains("env --shell bash --profile 'two'"),
        "{}",
        t.read(".bashrc")
    );
    assert!(
        t.read(".config/byok/config.toml")
            .contains("default = \"two\"")
    );
    let out = no_key(t.run(&["use"])).success();
    assert!(
        out.stdout
            .starts_with("default profile  two\nClaude Code  two\n"),
        "{out}"
    );
    // A second run has nothing to do.
    let out = no_key(t.run(&["use", "two", "--yes"])).success();
    assert_eq!(
        out.stdout.lines().last(),
        Some("Every tool already uses profile `two`.")
    );
    no_key(t.run(&["use", "default", "--yes"])).success();
    assert_eq!(snapshot(&t), first, "there and back gives the first state");
}

#[test]
fn use_shows_a_mixed_state() {
    let t = two_profiles();
    no_key(t.run(&["--profile", "two", "setup", "codex", "--yes"])).success();
    let out = no_key(t.run(&["use"])).success();
    assert_eq!(
        out.stdout,
        "default profile  default\n\
         Claude Code  default\n\
         Codex CLI    two  (not the default)\n\
         OpenCode     default\n\
         Gemini CLI   default\n\
         ~/.bashrc    default  (shell block)\n\
         Tools point at different profiles: `byok use PROFILE` moves them all to one.\n"
    );
}

#[test]
fn a_failure_in_the_middle_leaves_every_file_as_it_was() {
    let mut t = two_profiles();
    let first = snapshot(&t);
    for after in ["1", "3"] {
        t.set("BYOK_TEST_FAIL_AFTER", after);
        let out = no_key(t.run(&["use", "two", "--yes"])).code(2);
        assert!(out.stderr.contains("injected failure"), "{out}");
        assert!(
            out.stderr
                .contains("every file this step had written was put back as it was"),
            "{out}"
        );
        assert_eq!(snapshot(&t), first, "after {after} writes");
    }
    t.unset("BYOK_TEST_FAIL_AFTER");
    // Still whole: the step goes through afterwards, and remove gives the originals.
    no_key(t.run(&["use", "two", "--yes"])).success();
    no_key(t.run(&["restore", "--yes"])).success();
    assert_eq!(t.read(".codex/config.toml"), "# mine\nmodel = \"o3\"\n");
    assert_eq!(t.read(".bashrc"), "# my bashrc\nalias ll='ls -l'\n");
}

/// byok killed in the middle of a step (after some files were written) leaves a journal;
/// the next command, even one that only reads, puts back every file the step wrote and
/// keeps the records as they were, so nothing reads as half switched or edited by hand.
#[test]
fn a_crash_in_the_middle_is_undone_by_the_next_command() {
    let mut t = two_profiles();
    let first = snapshot(&t);
    let records = |t: &TestEnv| {
        ["owned.json", "backups/manifest.json"].map(|f| t.read(&format!(".local/state/byok/{f}")))
    };
    let recorded = records(&t);
    t.set("BYOK_TEST_CRASH_AFTER", "2");
    let out = t.run(&["use", "two", "--yes"]);
    assert_ne!(out.code, 0, "{out}");
    t.unset("BYOK_TEST_CRASH_AFTER");
    assert!(t.exists(".local/state/byok/journal.json"));
    assert_ne!(snapshot(&t), first, "the crash came after some writes");
    let out = no_key(t.run(&["use"])).success();
    assert_eq!(
        out.stderr,
        "byok: undid a change that was interrupted: every file it had written is back as it was\n"
    );
    assert!(
        out.stdout
            .starts_with("default profile  default\nClaude Code  default\n"),
        "{out}"
    );
    assert_eq!(snapshot(&t), first);
    assert_eq!(records(&t), recorded);
    assert!(!t.exists(".local/state/byok/journal.json"));
    // Nothing is left to recover, and the step goes through now.
    assert_eq!(no_key(t.run(&["detect"])).success().stderr, "");
    no_key(t.run(&["use", "two", "--yes"])).success();
    no_key(t.run(&["use", "default", "--yes"])).success();
    assert_eq!(snapshot(&t), first);
}

#[test]
fn use_refuses_an_unknown_profile_and_hand_edits() {
    let t = two_profiles();
    let out = t.run(&["use", "three", "--yes"]).code(2);
    assert!(out.stderr.contains("no profile named `three`"), "{out}");
    assert!(out.stderr.contains("known profiles: default, two"), "{out}");
    let text = t.read(".codex/config.toml").replace(
        "base_url = \"http://127.0.0.1:9/v1\"",
        "base_url = \"http://127.0.0.1:7/v1\"",
    );
    t.write(".codex/config.toml", &text);
    let before = snapshot(&t);
    let out = no_key(t.run(&["use", "two", "--yes"])).code(2);
    assert!(
        out.stderr
            .contains("changed by hand since byok wrote them: Codex CLI ("),
        "{out}"
    );
    assert_eq!(snapshot(&t), before, "nothing written");
    no_key(t.run(&["use", "two", "--yes", "--force"])).success();
}

/// A `default` value the user chose (OpenCode's `model`) is theirs: setup leaves it, a
/// second setup and a switch leave it too, and remove doesn't take it.
#[test]
fn a_default_the_user_chose_stays_theirs_across_setups_and_switches() {
    let t = two_profiles();
    let mine = "{\n  // mine\n  \"model\": \"anthropic/claude-opus\"\n}\n";
    t.write(".config/opencode/opencode.jsonc", mine);
    no_key(t.run(&["remove", "opencode", "--yes"])).success();
    t.write(".config/opencode/opencode.jsonc", mine);
    for _ in 0..2 {
        let out = no_key(t.run(&["setup", "opencode", "--yes"])).success();
        assert!(
            t.read(".config/opencode/opencode.jsonc")
                .contains("\"model\": \"anthropic/claude-opus\""),
            "{out}"
        );
    }
    no_key(t.run(&["use", "two", "--yes"])).success();
    let text = t.read(".config/opencode/opencode.jsonc");
    assert!(
        text.contains("\"model\": \"anthropic/claude-opus\""),
        "{text}"
    );
    assert!(text.contains("\"m2\""), "{text}");
    assert!(
        !text.contains("gpt-4o"),
        "the old profile's model goes: {text}"
    );
    no_key(t.run(&["remove", "opencode", "--yes"])).success();
    assert_eq!(t.read(".config/opencode/opencode.jsonc"), mine);
}

/// Two tools sharing one file (Copilot CLI's and Zed's exports live in byok's
/// `exports.toml`) move in one step: each is planned over the other's change, so the
/// step neither trips over its own first write nor loses one tool's values.
#[test]
fn tools_sharing_a_file_move_together() {
    let t = two_profiles();
    no_key(t.run(&["setup", "copilot-cli", "zed", "--yes"])).success();
    let out = no_key(t.run(&["use", "two", "--yes"])).success();
    assert!(out.stdout.contains("6 tools moved"), "{out}");
    let exports = t.read(".local/state/byok/exports.toml");
    assert!(
        exports.contains("[copilot-cli]") && exports.contains("[zed]"),
        "{exports}"
    );
    assert!(exports.contains("http://127.0.0.1:8/v1"), "{exports}");
    assert!(!exports.contains("http://127.0.0.1:9"), "{exports}");
    let first = snapshot(&t);
    no_key(t.run(&["use", "default", "--yes"])).success();
    no_key(t.run(&["use", "two", "--yes"])).success();
    assert_eq!(snapshot(&t), first);
}

/// Doctor names a tool left on another profile, and the one step that moves them all.
#[test]
fn doctor_flags_a_tool_left_on_another_profile() {
    let t = two_profiles();
    no_key(t.run(&["--profile", "two", "setup", "codex", "--yes"])).success();
    let out = no_key(t.run(&["doctor", "--quick", "--json"]));
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let codex = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "tool.codex")
        .unwrap_or_else(|| panic!("no codex check: {out}"));
    assert_eq!(codex["severity"], "warn", "{codex}");
    assert_eq!(
        codex["message"],
        "set up by byok for profile `two`, not for `default`"
    );
    assert_eq!(
        codex["hint"],
        "`byok use default` moves every tool to it in one step; `byok --profile default setup codex` this one only"
    );
}
