//! `byok setup|remove|restore claude-code` on real-looking Claude Code homes
//! (tests/fixtures/claude-code/<case>/), run through the real binary.

use std::path::Path;

use crate::common::{KEY, Output, TestEnv};

const SETTINGS: &str = ".claude/settings.json";
const STATE: &str = ".claude.json";
const URL: &str = "https://gw.example.com";

fn fixture(case: &str, file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/claude-code")
        .join(case)
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A home holding `case`'s settings.json and the big state file, with the standard profile.
fn home_with(case: &str) -> TestEnv {
    let t = TestEnv::new();
    t.write(SETTINGS, fixture(case, "settings.json"));
    t.write(STATE, fixture("full", ".claude.json"));
    t.init(URL);
    t
}

/// The state fixture as setup leaves it with the default (bearer) profile.
fn state_after_setup() -> String {
    fixture("full", ".claude.json").replace(
        "\"hasCompletedOnboarding\": false,",
        "\"hasCompletedOnboarding\": true,",
    )
}

#[track_caller]
fn assert_no_key(out: &Output) {
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(!all.contains(KEY), "the key leaked:\n{out}");
}

#[test]
fn setup_writes_the_expected_files_and_keeps_everything_else() {
    for case in ["full", "commented", "crlf", "bom", "empty", "previous"] {
        let t = home_with(case);
        let out = t
            .run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
            .success();
        assert_no_key(&out);
        assert_eq!(
            t.read(SETTINGS),
            fixture(case, "expected.settings.json"),
            "{case}"
        );
        assert_eq!(t.read(STATE), state_after_setup(), "{case}");
        #[cfg(unix)]
        {
            assert_eq!(
                t.mode(SETTINGS),
                0o600,
                "{case}: settings.json holds the key"
            );
            assert_eq!(t.mode(STATE), 0o600, "{case}");
        }
    }
}

#[test]
fn setup_output_names_files_and_backups() {
    let t = home_with("full");
    let out = t
        .run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
        .success();
    let lines: Vec<String> = out
        .stdout
        .lines()
        .map(|l| l.split(" (original kept").next().unwrap().to_string())
        .collect();
    assert_eq!(
        lines,
        [
            "Claude Code",
            "  updated ~/.claude/settings.json",
            "  updated ~/.claude.json",
            "  key: a copy of it, in a file only you can read (0600)"
        ]
    );
    assert_eq!(out.stderr, "");
}

#[test]
fn second_setup_is_up_to_date_and_writes_nothing() {
    let t = home_with("full");
    t.run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
        .success();
    let settings = t.read_bytes(SETTINGS);
    let state = t.read_bytes(STATE);
    let tree = t.tree();
    let out = t
        .run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
        .success();
    assert_eq!(out.stdout, "Claude Code\n  up to date\n");
    assert_eq!(t.read_bytes(SETTINGS), settings);
    assert_eq!(t.read_bytes(STATE), state);
    assert_eq!(t.tree(), tree);
    let out = t.run(&["detect"]).success();
    assert!(
        out.stdout
            .lines()
            .any(|l| l == "Claude Code    configured (profile default)"),
        "{out}"
    );
}

#[test]
fn dry_run_writes_nothing_and_masks_the_key() {
    let t = home_with("full");
    let tree = t.tree();
    let out = t
        .run(&["setup", "claude-code", "--key-mode", "literal", "--dry-run"])
        .success();
    assert_no_key(&out);
    assert!(
        out.stdout
            .contains("+    \"ANTHROPIC_AUTH_TOKEN\": \"sk-…cdef\",\n"),
        "{out}"
    );
    assert!(
        out.stdout.contains(
            "-  \"hasCompletedOnboarding\": false,\n+  \"hasCompletedOnboarding\": true,\n"
        ),
        "{out}"
    );
    assert_eq!(t.read(SETTINGS), fixture("full", "settings.json"));
    assert_eq!(t.read(STATE), fixture("full", ".claude.json"));
    assert_eq!(t.tree(), tree);
}

#[test]
fn restore_gives_back_the_original_bytes() {
    for case in ["full", "crlf", "bom", "empty"] {
        let t = home_with(case);
        #[cfg(unix)]
        let mode = t.mode(SETTINGS);
        t.run(&["setup", "claude-code", "--yes"]).success();
        let out = t.run(&["restore", "--yes"]).success();
        assert_no_key(&out);
        assert_eq!(
            t.read_bytes(SETTINGS).unwrap(),
            fixture(case, "settings.json").into_bytes(),
            "{case}"
        );
        assert_eq!(
            t.read_bytes(STATE).unwrap(),
            fixture("full", ".claude.json").into_bytes()
        );
        #[cfg(unix)]
        assert_eq!(t.mode(SETTINGS), mode, "{case}");
    }
    // Files byok created are removed again.
    let t = TestEnv::new();
    t.init(URL);
    t.run(&["setup", "claude-code", "--yes"]).success();
    assert!(t.exists(SETTINGS) && t.exists(STATE));
    t.run(&["restore", "--yes"]).success();
    assert!(!t.exists(SETTINGS) && !t.exists(STATE));
}

#[test]
fn remove_leaves_the_users_content() {
    let t = home_with("full");
    t.run(&["setup", "claude-code", "--yes"]).success();
    // The user edits their own settings afterwards.
    let edited = t.read(SETTINGS).replace(
        "\"defaultMode\": \"acceptEdits\"",
        "\"defaultMode\": \"plan\"",
    );
    t.write(SETTINGS, &edited);
    let out = t.run(&["remove", "claude-code", "--yes"]).success();
    assert_no_key(&out);
    assert_eq!(
        t.read(SETTINGS),
        fixture("full", "settings.json").replace(
            "\"defaultMode\": \"acceptEdits\"",
            "\"defaultMode\": \"plan\""
        )
    );
    // Onboarding stays done, and the note says so.
    assert_eq!(t.read(STATE), state_after_setup());
    assert!(
        out.stdout
            .contains("note: hasCompletedOnboarding stays true"),
        "{out}"
    );
    let again = t.run(&["remove", "claude-code", "--yes"]).success();
    assert_eq!(again.stdout, "Claude Code\n  nothing of byok's to remove\n");
}

#[test]
fn x_api_key_profile_approves_the_key_and_remove_takes_it_back() {
    let t = TestEnv::new();
    t.write(SETTINGS, fixture("full", "settings.json"));
    t.write(STATE, fixture("full", ".claude.json"));
    t.run(&[
        "init",
        "--url",
        URL,
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
    let out = t
        .run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
        .success();
    assert_no_key(&out);
    let settings = t.read(SETTINGS);
    assert!(settings.contains(&format!("\"ANTHROPIC_API_KEY\": \"{KEY}\",")));
    assert!(settings.contains("\"ANTHROPIC_AUTH_TOKEN\": \"\","));
    let fragment = &KEY[KEY.len() - 20..];
    assert_eq!(
        t.read(STATE),
        state_after_setup().replace(
            "\"approved\": [\n      \"Wx2cQe9Lk0Rm3Tp5Vn7A\"\n    ],",
            &format!("\"approved\": [\"Wx2cQe9Lk0Rm3Tp5Vn7A\", \"{fragment}\"],")
        )
    );
    t.run(&["remove", "claude-code", "--yes"]).success();
    assert_eq!(t.read(SETTINGS), fixture("full", "settings.json"));
    assert!(!t.read(STATE).contains(fragment));
    assert!(t.read(STATE).contains("\"Wx2cQe9Lk0Rm3Tp5Vn7A\""));
}

#[test]
fn malformed_files_are_left_untouched() {
    let t = home_with("malformed");
    let out = t.run(&["setup", "claude-code", "--yes"]).code(2);
    assert_eq!(
        out.stderr,
        "byok: error: could not parse ~/.claude/settings.json: line 4, column 4: Expected comma\n\
         hint: byok left the file untouched; fix that line by hand (or move the file aside) and run the command again\n"
    );
    assert_eq!(t.read(SETTINGS), fixture("malformed", "settings.json"));
    assert_eq!(t.read(STATE), fixture("full", ".claude.json"));
    t.run(&["remove", "claude-code", "--yes"]).code(2);
    assert_eq!(t.read(SETTINGS), fixture("malformed", "settings.json"));

    // A broken state file stops the whole tool: settings.json stays as it was too.
    let t = TestEnv::new();
    t.write(SETTINGS, fixture("full", "settings.json"));
    t.write(STATE, "{\n  \"projects\": {\n    \"/x\": {,}\n  }\n}\n");
    t.init(URL);
    let out = t.run(&["setup", "claude-code", "--yes"]).code(2);
    assert!(
        out.stderr
            .starts_with("byok: error: could not parse ~/.claude.json: line 3, column"),
        "{out}"
    );
    assert_eq!(t.read(SETTINGS), fixture("full", "settings.json"));
}

#[test]
fn commented_settings_get_a_note() {
    let t = home_with("commented");
    let out = t.run(&["setup", "claude-code", "--yes"]).success();
    assert!(
        out.stdout.contains(
            "note: Claude Code ignores ~/.claude/settings.json entirely while it has comments or trailing commas (line 2, column 3"
        ),
        "{out}"
    );
}

#[test]
fn claude_config_dir_is_honoured() {
    let mut t = TestEnv::new();
    let dir = t.root().join("claude-cfg");
    t.set("CLAUDE_CONFIG_DIR", dir.display().to_string());
    t.init(URL);
    let out = t.run(&["setup", "claude-code", "--yes"]).success();
    assert!(
        out.stdout
            .contains("  created [ROOT]/claude-cfg/settings.json"),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("  created [ROOT]/claude-cfg/.claude.json"),
        "{out}"
    );
    let settings = std::fs::read_to_string(dir.join("settings.json")).unwrap();
    assert!(settings.contains("\"ANTHROPIC_BASE_URL\": \"https://gw.example.com\""));
    assert!(!t.exists(SETTINGS) && !t.exists(STATE));
}

#[test]
fn helper_mode_keeps_the_key_out_and_the_helper_prints_it() {
    let t = home_with("full");
    let out = t
        .run(&["setup", "claude-code", "--key-mode", "helper", "--yes"])
        .success();
    assert_no_key(&out);
    assert!(out.stdout.contains("anthropics/claude-code#38314"), "{out}");
    let settings = t.read(SETTINGS);
    assert!(!settings.contains(KEY), "{settings}");
    assert!(settings.contains("\"ANTHROPIC_AUTH_TOKEN\": \"\""));
    assert!(settings.contains("\"ANTHROPIC_API_KEY\": \"\""));
    let helper: serde_json::Value = serde_json::from_str(&settings).unwrap();
    let helper = helper["apiKeyHelper"].as_str().unwrap().to_string();
    assert_eq!(
        t.normalize(&helper),
        "'[BYOK]' print-key --profile 'default'"
    );
    // Claude Code runs it through /bin/sh: it must print exactly the key.
    let printed = std::process::Command::new("/bin/sh")
        .args(["-c", &helper])
        .env_clear()
        .envs([("HOME", t.home()), ("BYOK_HOME", t.home())])
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert!(printed.status.success(), "{printed:?}");
    assert_eq!(
        String::from_utf8(printed.stdout).unwrap(),
        format!("{KEY}\n")
    );
    // Back to a literal key: byok's helper goes, the file is as a plain setup leaves it.
    t.run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
        .success();
    assert_eq!(t.read(SETTINGS), fixture("full", "expected.settings.json"));
}

#[test]
fn hand_edits_of_byok_values_are_not_overwritten_without_force() {
    let t = home_with("full");
    t.run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
        .success();
    let edited = t.read(SETTINGS).replace(
        "\"ANTHROPIC_MODEL\": \"claude-sonnet-4-5\"",
        "\"ANTHROPIC_MODEL\": \"my-model\"",
    );
    t.write(SETTINGS, &edited);
    let out = t
        .run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
        .code(2);
    assert!(
        out.stdout.contains(
            "changed by hand since byok wrote them: ~/.claude/settings.json env.ANTHROPIC_MODEL"
        ),
        "{out}"
    );
    assert_eq!(t.read(SETTINGS), edited);
    t.run(&[
        "setup",
        "claude-code",
        "--key-mode",
        "literal",
        "--yes",
        "--force",
    ])
    .success();
    assert_eq!(t.read(SETTINGS), fixture("full", "expected.settings.json"));
}

/// Issue 12: without `--key-mode`, a profile whose key is in byok's config file gives
/// Claude Code the key command, not a copy; setup says so.
#[test]
fn issue_12_the_default_is_the_key_command_for_a_file_store_key() {
    let t = home_with("full");
    let out = t.run(&["setup", "claude-code", "--yes"]).success();
    assert_no_key(&out);
    assert!(
        out.stdout
            .contains("  key: a key command (`byok print-key`): no copy in its files\n"),
        "{out}"
    );
    let settings: serde_json::Value = serde_json::from_str(&t.read(SETTINGS)).unwrap();
    assert_eq!(
        t.normalize(settings["apiKeyHelper"].as_str().unwrap()),
        "'[BYOK]' print-key --profile 'default'"
    );
    assert_eq!(settings["env"]["ANTHROPIC_AUTH_TOKEN"], "");
    assert_eq!(settings["env"]["ANTHROPIC_API_KEY"], "");
    assert!(!t.read(SETTINGS).contains(KEY));
    let out = t.run(&["setup", "claude-code", "--yes"]).success();
    assert_eq!(out.stdout, "Claude Code\n  up to date\n");
}

/// Issue 12: where Claude Code's VS Code extension is installed (it ignores apiKeyHelper),
/// the default is a copy, and setup says why; `--key-mode helper` still gives the command.
#[test]
fn issue_12_the_vscode_extension_keeps_a_copy_by_default() {
    let t = home_with("full");
    t.write(
        ".vscode/extensions/anthropic.claude-code-2.1.197-linux-x64/package.json",
        "{}",
    );
    let out = t.run(&["setup", "claude-code", "--yes"]).success();
    assert_no_key(&out);
    assert!(
        out.stdout.contains(
            "  key: a copy of it, in a file only you can read (0600): its extension in VS Code \
             ignores a key command (anthropics/claude-code#38314); `--key-mode helper` gives \
             the terminal CLI one\n"
        ),
        "{out}"
    );
    assert_eq!(t.read(SETTINGS), fixture("full", "expected.settings.json"));
    let out = t.run(&["setup", "claude-code", "--yes"]).success();
    assert_eq!(out.stdout, "Claude Code\n  up to date\n");
    t.run(&["setup", "claude-code", "--key-mode", "helper", "--yes"])
        .success();
    assert!(!t.read(SETTINGS).contains(KEY));
}

/// Issue 12: a setup made with the key itself moves to the key command on the next plain
/// setup, as a shown change; a value of byok's edited by hand since is not rolled back
/// without `--force`.
#[test]
fn issue_12_a_rerun_moves_byoks_copy_to_the_key_command() {
    let t = home_with("full");
    t.run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
        .success();
    assert_eq!(t.read(SETTINGS), fixture("full", "expected.settings.json"));
    let out = t.run(&["setup", "claude-code", "--dry-run"]).success();
    assert_no_key(&out);
    assert!(
        out.stdout.contains(
            "-    \"ANTHROPIC_AUTH_TOKEN\": \"sk-…cdef\",\n+    \"ANTHROPIC_AUTH_TOKEN\": \"\",\n"
        ),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("+  \"apiKeyHelper\": \"'[BYOK]' print-key --profile 'default'\"\n"),
        "{out}"
    );
    t.run(&["setup", "claude-code", "--yes"]).success();
    assert!(!t.read(SETTINGS).contains(KEY));

    // Back to a copy, then a token of the user's own in its place: not rolled back.
    t.run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
        .success();
    let mine = t.read(SETTINGS).replace(KEY, "sk-my-own-token-0000000000");
    t.write(SETTINGS, &mine);
    let out = t.run(&["setup", "claude-code", "--yes"]).code(2);
    assert!(
        out.stderr.contains(
            "byok: error: Claude Code: not changed, because settings byok wrote were edited by hand\n"
        ),
        "{out}"
    );
    assert_eq!(t.read(SETTINGS), mine);
}
