//! Masking (issue 8 items 2, 13 and 14, "Never lose a user's edit, never print a piece of
//! a key"): every derived form of every profile's key is masked in every command, only
//! values of known secret settings are masked in diffs, and a key pasted where something
//! else belongs is masked in the error that echoes it.

use std::path::Path;

use crate::common::{Output, TestEnv};

const STATE: &str = ".claude.json";
/// A gateway whose host contains "key": its URL is no secret.
const PORTKEY_URL: &str = "https://keyless-gateway.example.com";

/// Keys of 8, 16, 21, 24 and 40 characters: Claude Code's approval entry is the last 20
/// characters, so it is the whole key, a 1-4 character shorter tail, or a real fragment.
const KEYS: [&str; 5] = [
    "k8Zq7wPx",
    "gw16a1b2c3d4e5f6",
    "sk-21-abcdefghij01234",
    "sk-ant-24-abcdefghij0123",
    "sk-ant-api03-abcdefghijklmnop0123456789AB",
];

/// A lived-in `~/.claude.json`: user values whose names contain "key", an old approval,
/// and the user's own API key next to what byok changes.
const CLAUDE_STATE: &str = r#"{
  "numStartups": 12,
  "keybindings": "vim-monkey-keys-please",
  "monkey": "banana-banana-banana",
  "customApiKeyResponses": {
    "approved": ["Wx2cQe9Lk0Rm3Tp5Vn7A"],
    "rejected": []
  },
  "primaryApiKey": "sk-ant-api03-olduser-ZZZZ9999",
  "theme": "dark"
}
"#;

/// A home whose default profile sends `key` as `x-api-key` to a Portkey-like gateway.
fn x_api_key_home(key: &str) -> TestEnv {
    let t = TestEnv::new();
    t.write(STATE, CLAUDE_STATE);
    t.write(
        ".claude/settings.json",
        "{\n  // mine\n  \"model\": \"opus\"\n}\n",
    );
    t.run(&[
        "init",
        "--url",
        PORTKEY_URL,
        "--key",
        key,
        "--anthropic-auth",
        "x-api-key",
        "--model",
        "gpt-4o",
        "--anthropic-model",
        "claude-sonnet-4-5",
        "--yes",
    ])
    .success();
    t
}

/// Fails when the output holds `key` or any 8-character piece of it (its approval
/// fragment included).
#[track_caller]
fn assert_no_piece(out: &Output, key: &str) {
    let all = format!("{}{}", out.stdout, out.stderr);
    let chars: Vec<char> = key.chars().collect();
    for piece in chars.windows(8.min(chars.len())) {
        let piece: String = piece.iter().collect();
        assert!(!all.contains(&piece), "`{piece}` of {key} leaked:\n{out}");
    }
}

#[test]
fn issue_8_x_api_key_fragments_never_show_in_setup_or_remove() {
    for key in KEYS {
        let t = x_api_key_home(key);
        let dry = t
            .run(&["setup", "claude-code", "--key-mode", "literal", "--dry-run"])
            .success();
        assert_no_piece(&dry, key);
        let diff = t
            .run(&[
                "setup",
                "claude-code",
                "--key-mode",
                "literal",
                "--diff",
                "--yes",
            ])
            .success();
        assert_no_piece(&diff, key);
        let applied = t
            .run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
            .success();
        assert_no_piece(&applied, key);
        // The approval entry really is in the file: only its display is masked.
        let chars: Vec<char> = key.chars().collect();
        let fragment: String = chars[chars.len().saturating_sub(20)..].iter().collect();
        assert!(
            t.read(STATE).contains(&format!(
                "\"approved\": [\"Wx2cQe9Lk0Rm3Tp5Vn7A\", \"{fragment}\"]"
            )),
            "{key}: {}",
            t.read(STATE)
        );
        // `remove` resolves no profile, yet masks the key and the fragment it takes out.
        let remove = t.run(&["remove", "claude-code", "--dry-run"]).success();
        assert_no_piece(&remove, key);
        assert!(
            remove.stdout.contains("-    \"ANTHROPIC_API_KEY\": \""),
            "{remove}"
        );
        assert_no_piece(&t.run(&["remove", "claude-code", "--yes"]).success(), key);
    }
}

#[test]
fn issue_8_keys_of_every_profile_are_masked_not_only_the_active_one() {
    // Set up with `old`, then make another profile the default: `remove` still masks `old`.
    let old = KEYS[2];
    let t = x_api_key_home(old);
    t.run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
        .success();
    t.run(&[
        "init",
        "--name",
        "other",
        "--url",
        "https://gw.example.com",
        "--key",
        "sk-other-0123456789abcdef",
        "--model",
        "gpt-4o",
        "--no-default",
        "--yes",
    ])
    .success();
    let out = t.run(&["remove", "claude-code", "--dry-run"]).success();
    assert_no_piece(&out, old);
    assert!(
        out.stdout
            .contains("-    \"approved\": [\"Wx2…Vn7A\", \"sk-…1234\"]"),
        "{out}"
    );
}

#[test]
fn issue_8_non_secrets_stay_visible_in_diffs() {
    let t = x_api_key_home(KEYS[4]);
    let out = t
        .run(&["setup", "claude-code", "--key-mode", "literal", "--dry-run"])
        .success();
    // A gateway URL whose host contains "key", and user values named like keys.
    assert!(
        out.stdout.contains(&format!(
            "+    \"ANTHROPIC_BASE_URL\": \"{PORTKEY_URL}\",\n"
        )),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("   \"keybindings\": \"vim-monkey-keys-please\",\n"),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("   \"monkey\": \"banana-banana-banana\",\n"),
        "{out}"
    );
    // The user's own key, which byok never registered, is still masked by its name.
    assert!(
        out.stdout.contains("   \"primaryApiKey\": \"sk-…9999\",\n"),
        "{out}"
    );
    assert!(!out.stdout.contains("olduser"), "{out}");

    // Gemini CLI's sign-in method `gemini-api-key` is a value, not a key.
    let g = TestEnv::new();
    g.init("https://gw.example");
    let settings = fixture("gemini/real/settings.json");
    g.write(".gemini/settings.json", &settings);
    let out = g.run(&["setup", "gemini-cli", "--dry-run"]).success();
    assert!(
        out.stdout
            .contains("+      \"selectedType\": \"gemini-api-key\"\n"),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("-      \"selectedType\": \"oauth-personal\"\n"),
        "{out}"
    );

    // Cline's `tokenSource` says where a key came from; it is no token.
    let c = TestEnv::new();
    c.copy_tree(&fixtures().join("cline/elsewhere/home"));
    c.init("https://gw.example.com");
    let out = c.run(&["setup", "cline", "--dry-run"]).success();
    for line in [
        "-      \"tokenSource\": \"migration\"\n",
        "+      \"tokenSource\": \"manual\"\n",
    ] {
        assert!(out.stdout.contains(line), "{out}");
    }
}

#[test]
fn issue_8_pasted_keys_are_masked_in_errors() {
    let t = x_api_key_home(KEYS[1]);
    // A profile's own key (too short to look like one) and an unknown key-shaped one.
    for key in [KEYS[1], "sk-ant-api03-Pasted0123456789abcdef"] {
        for args in [
            vec!["setup", key],
            vec!["remove", key],
            vec!["env", "--shell", key],
            vec!["restore", key],
            vec!["--profile", key, "setup", "claude-code", "--dry-run"],
            vec!["--profile", key, "env"],
        ] {
            let out = t.run(&args).code(2);
            assert!(
                !out.stdout.contains(key) && !out.stderr.contains(key),
                "{args:?}:\n{out}"
            );
            assert_no_piece(&out, key);
        }
    }
    // Tool names are checked against the registry (user templates add tools): the
    // unknown name is masked in byok's own error.
    let out = t
        .run(&["setup", "sk-ant-api03-Pasted0123456789abcdef", "--dry-run"])
        .code(2);
    assert!(
        out.stderr
            .starts_with("byok: error: unknown tool `sk-…cdef`\nhint: known tools: claude-code,"),
        "{out}"
    );
    // clap's own errors keep their wording; only the value is masked.
    let out = t
        .run(&["env", "--shell", "sk-ant-api03-Pasted0123456789abcdef"])
        .code(2);
    assert!(
        out.stderr
            .starts_with("error: invalid value 'sk-…cdef' for '--shell <SHELL>'"),
        "{out}"
    );
    assert!(
        out.stderr
            .ends_with("For more information, try '--help'.\n"),
        "{out}"
    );
    let out = t.run(&["restore", KEYS[1]]).code(2);
    assert_eq!(
        out.stderr,
        "byok: error: no backup with id `gw1…e5f6`\nhint: list them with `byok restore --list`\n"
    );

    // Credentials and query values in URLs.
    for (url, secret) in [
        ("https://u:pw-secret-123@gw.example.com", "pw-secret-123"),
        (
            "https://gw.example.com/v1?key=AIzaSyQuery0123456789",
            "AIzaSyQuery0123456789",
        ),
    ] {
        let out = t
            .run(&["init", "--url", url, "--key", "sk-zzzz-0123456789", "--yes"])
            .code(2);
        assert!(
            !out.stdout.contains(secret) && !out.stderr.contains(secret),
            "{url}:\n{out}"
        );
    }
    let out = t
        .run(&[
            "init",
            "--url",
            "https://gw.example.com/v1?key=AIzaSyQuery0123456789",
            "--key",
            "sk-zzzz-0123456789",
            "--yes",
        ])
        .code(2);
    assert!(
        out.stderr
            .contains("`https://gw.example.com/v1?key=AIz…6789`"),
        "{out}"
    );
}

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))
}

fn fixture(rel: &str) -> String {
    std::fs::read_to_string(fixtures().join(rel)).unwrap()
}
