//! Claude Code as a template tool (`templates/claude-code.toml` driven by the engine,
//! hook `claude-code`): the same home-relative files on the macOS and Windows layouts,
//! the template shown by `templates show`, a user's own `apiKeyHelper` kept through
//! setup and remove, model fallbacks, a profile without its key, and the
//! shell-quoted key command of `--key-mode helper`.

use crate::common::{KEY, TestEnv, no_key};

const SETTINGS: &str = ".claude/settings.json";
const STATE: &str = ".claude.json";
const URL: &str = "https://gw.example.com";

/// What setup writes to an empty home for `t.init`'s profile (bearer auth).
fn settings_for(key: &str) -> String {
    format!(
        "{{\n  \"env\": {{\n    \"ANTHROPIC_BASE_URL\": \"{URL}\",\n    \"ANTHROPIC_AUTH_TOKEN\": \"{key}\",\n    \"ANTHROPIC_API_KEY\": \"\",\n    \"ANTHROPIC_MODEL\": \"claude-sonnet-4-5\",\n    \"ANTHROPIC_DEFAULT_OPUS_MODEL\": \"claude-sonnet-4-5\",\n    \"ANTHROPIC_DEFAULT_SONNET_MODEL\": \"claude-sonnet-4-5\",\n    \"ANTHROPIC_DEFAULT_HAIKU_MODEL\": \"claude-sonnet-4-5\",\n    \"ANTHROPIC_SMALL_FAST_MODEL\": \"claude-sonnet-4-5\"\n  }}\n}}\n"
    )
}

#[test]
fn macos_and_windows_use_the_same_home_relative_files() {
    for os in ["macos", "windows"] {
        let mut t = TestEnv::new();
        t.set("BYOK_OS", os);
        t.init(URL);
        let out = no_key(
            t.run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
                .success(),
        );
        assert_eq!(
            out.stdout,
            "Claude Code\n  created ~/.claude/settings.json (a new file, so no backup: `byok restore` deletes it)\n  created ~/.claude.json (a new file, so no backup: `byok restore` deletes it)\n  key: a copy of it, in a file only you can read (0600)\n",
            "{os}"
        );
        assert_eq!(t.read(SETTINGS), settings_for(KEY), "{os}");
        assert_eq!(t.read(STATE), "{\n  \"hasCompletedOnboarding\": true\n}\n");
        let out = t
            .run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
            .success();
        assert_eq!(out.stdout, "Claude Code\n  up to date\n", "{os}");
        no_key(t.run(&["remove", "claude-code", "--yes"]).success());
        assert!(!t.exists(SETTINGS) && !t.exists(STATE), "{os}");
    }
}

#[test]
fn templates_show_prints_the_claude_code_template() {
    let t = TestEnv::new();
    let out = t.run(&["templates", "show", "claude-code"]).success();
    assert_eq!(
        out.stdout,
        format!(
            "# built-in template templates/claude-code.toml (with hook `claude-code`)\n{}",
            include_str!("../../templates/claude-code.toml")
        )
    );
}

/// A user's own key command stays through a literal setup (with a note) and remove;
/// the old proxy's values are replaced and come back.
#[test]
fn a_users_own_api_key_helper_is_kept_and_the_rest_comes_back() {
    let t = TestEnv::new();
    let before = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/claude-code/previous/settings.json"
    ))
    .unwrap();
    t.write(SETTINGS, &before);
    t.init(URL);
    let out = no_key(
        t.run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
            .success(),
    );
    assert!(
        out.stdout.contains(
            "  note: ~/.claude/settings.json also has an apiKeyHelper of your own; Claude Code uses the key byok wrote instead, so it is left as it is\n"
        ),
        "{out}"
    );
    let settings: serde_json::Value = serde_json::from_str(&t.read(SETTINGS)).unwrap();
    assert_eq!(settings["apiKeyHelper"], "~/bin/get-anthropic-key.sh");
    assert_eq!(settings["env"]["ANTHROPIC_AUTH_TOKEN"], KEY);
    let out = no_key(t.run(&["remove", "claude-code", "--yes"]).success());
    assert!(out.stdout.contains("puts back your earlier"), "{out}");
    assert_eq!(t.read(SETTINGS), before);
}

/// A profile with only a chat model gives it to every Claude alias; a small model goes
/// to the haiku alias and the background model.
#[test]
fn models_fall_back_to_the_chat_model() {
    let t = TestEnv::new();
    t.run(&[
        "init",
        "--url",
        URL,
        "--key",
        KEY,
        "--model",
        "gpt-4o",
        "--small-model",
        "gw-mini",
        "--yes",
    ])
    .success();
    no_key(t.run(&["setup", "claude-code", "--yes"]).success());
    let settings: serde_json::Value = serde_json::from_str(&t.read(SETTINGS)).unwrap();
    let env = &settings["env"];
    for (k, want) in [
        ("ANTHROPIC_MODEL", "gpt-4o"),
        ("ANTHROPIC_DEFAULT_OPUS_MODEL", "gpt-4o"),
        ("ANTHROPIC_DEFAULT_SONNET_MODEL", "gpt-4o"),
        ("ANTHROPIC_DEFAULT_HAIKU_MODEL", "gw-mini"),
        ("ANTHROPIC_SMALL_FAST_MODEL", "gw-mini"),
    ] {
        assert_eq!(env[k], want, "{k}");
    }
}

/// A literal setup needs the key: a profile whose variable is not set is an error that
/// says which variable, and nothing is written.
#[test]
fn a_literal_setup_without_the_key_is_an_error() {
    let mut t = TestEnv::new();
    t.set("GW_KEY", KEY);
    t.run(&[
        "init",
        "--url",
        URL,
        "--key-env",
        "GW_KEY",
        "--model",
        "gpt-4o",
        "--yes",
    ])
    .success();
    t.unset("GW_KEY");
    let out = t
        .run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
        .code(2);
    assert!(
        out.stderr.starts_with(
            "byok: error: profile `default` reads its key from $GW_KEY, which is not set\n"
        ),
        "{out}"
    );
    assert!(!t.exists(SETTINGS) && !t.exists(STATE));
    // The key helper reads the variable when Claude Code runs it, so that setup works.
    let out = no_key(
        t.run(&["setup", "claude-code", "--key-mode", "helper", "--yes"])
            .success(),
    );
    assert!(
        out.stdout.contains(
            "note: the key helper reads $GW_KEY: start claude from a shell where it is set"
        ),
        "{out}"
    );
}

/// The key command is shell-quoted (the executable and the profile, each one word) and
/// prints exactly the key through `/bin/sh`.
#[test]
fn the_key_command_quotes_the_profile_for_sh() {
    let t = TestEnv::new();
    t.run(&[
        "init",
        "--name",
        "team-2.gw",
        "--url",
        URL,
        "--key",
        KEY,
        "--model",
        "gpt-4o",
        "--yes",
    ])
    .success();
    no_key(
        t.run(&[
            "setup",
            "claude-code",
            "--profile",
            "team-2.gw",
            "--key-mode",
            "helper",
            "--yes",
        ])
        .success(),
    );
    let settings: serde_json::Value = serde_json::from_str(&t.read(SETTINGS)).unwrap();
    let helper = settings["apiKeyHelper"].as_str().unwrap();
    assert_eq!(
        t.normalize(helper),
        "'[BYOK]' print-key --profile 'team-2.gw'"
    );
    let printed = std::process::Command::new("/bin/sh")
        .args(["-c", helper])
        .env_clear()
        .envs([("HOME", t.home()), ("BYOK_HOME", t.home())])
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&printed.stdout),
        format!("{KEY}\n"),
        "{printed:?}"
    );
}
