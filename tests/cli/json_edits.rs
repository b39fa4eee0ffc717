//! Issue 8 ("Never lose a user's edit, never print a piece of a key"), the JSON items, through
//! the real binary: a key written twice (item 3) is refused with both lines and never
//! reported as configured; a raw control character in a string (item 20) is refused for
//! what it is; a one-line settings file stays on one line (item 23); Cursor's settings
//! blob keeps every byte byok does not own, big integers included (item 17).

use std::path::{Path, PathBuf};

use crate::common::{KEY, Output, TestEnv};
use crate::setup_editors::cursor_lock;

const URL: &str = "https://gw.example.com";
const CLAUDE: &str = ".claude/settings.json";
const GEMINI: &str = ".gemini/settings.json";
const OPENCODE: &str = ".config/opencode/opencode.jsonc";
const CURSOR_DB: &str = ".config/Cursor/User/globalStorage/state.vscdb";
const BLOB_KEY: &str = "src.vs.platform.reactivestorage.browser.reactiveStorageServiceImpl.persistentStorage.applicationUser";

fn fixture(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

/// Fails if the key appears anywhere in the output.
#[track_caller]
fn masked(out: Output) -> Output {
    assert!(
        !out.stdout.contains(KEY) && !out.stderr.contains(KEY),
        "key leaked:\n{out}"
    );
    out
}

fn home() -> TestEnv {
    let t = TestEnv::new();
    t.init(URL);
    t
}

/// `text` with `property` added as the top object's last member (a second copy of a key).
fn with_last(text: &str, property: &str) -> String {
    let end = text.rfind("\n}").expect("a pretty JSON object");
    format!("{},\n{property}{}", &text[..end], &text[end..])
}

/// Runs setup on a file holding a key twice: refused, file untouched, detect not "configured".
#[track_caller]
fn assert_duplicate_refused(t: &TestEnv, tool: &str, label: &str, rel: &str, error: &str) {
    let before = t.read_bytes(rel).unwrap();
    let out = masked(t.run(&["setup", tool, "--yes"]).code(2));
    assert!(
        out.stderr.starts_with(&format!(
            "byok: error: {error}\nhint: byok left the file untouched"
        )),
        "{out}"
    );
    assert_eq!(
        t.read_bytes(rel).unwrap(),
        before,
        "{tool}: the file was changed"
    );
    let out = masked(t.run(&["detect"]).success());
    let status = format!("{label:<15}error: {error}\n");
    assert!(out.stdout.contains(&status), "{out}");
    assert!(
        !out.stdout.contains(&format!("{label:<15}configured")),
        "{out}"
    );
    assert_eq!(t.read_bytes(rel).unwrap(), before);
}

/// Issue 8 item 3: byok edited the first `env`, Claude Code reads the last.
#[test]
fn claude_code_env_twice_is_refused_and_not_configured() {
    let t = home();
    t.write(
        CLAUDE,
        "{\n  \"$schema\": \"https://json.schemastore.org/claude-code-settings.json\",\n  \"permissions\": {\"allow\": [\"Bash(ls)\"]}\n}\n",
    );
    masked(t.run(&["setup", "claude-code", "--yes"]).success());
    let configured = t.read(CLAUDE);
    assert!(configured.contains("\"env\": {\n"), "{configured}");
    // The user pastes a snippet from a blog at the end: Claude Code now reads only this `env`.
    let twice = with_last(
        &configured,
        "  \"env\": {\n    \"DISABLE_TELEMETRY\": \"1\"\n  }",
    );
    let second = twice.lines().count() - 3;
    t.write(CLAUDE, &twice);
    assert_duplicate_refused(
        &t,
        "claude-code",
        "Claude Code",
        CLAUDE,
        &format!(
            "could not parse ~/.claude/settings.json: line 4, column 3: `env` appears twice (lines 4 and {second}); the tool reads only the last one, so merge them into one by hand"
        ),
    );
}

/// Issue 8 item 3: Gemini CLI reads the last `security`, which still says `oauth-personal`.
#[test]
fn gemini_security_twice_is_refused_and_not_configured() {
    let t = home();
    t.write(GEMINI, fixture("gemini/real/settings.json"));
    masked(t.run(&["setup", "gemini-cli", "--yes"]).success());
    let twice = with_last(
        &t.read(GEMINI),
        "  \"security\": {\n    \"auth\": { \"selectedType\": \"oauth-personal\" }\n  }",
    );
    t.write(GEMINI, &twice);
    assert_duplicate_refused(
        &t,
        "gemini-cli",
        "Gemini CLI",
        GEMINI,
        "could not parse ~/.gemini/settings.json: line 11, column 3: `security` appears twice (lines 11 and 25); the tool reads only the last one, so merge them into one by hand",
    );
}

/// Issue 8 item 3: OpenCode reads the last `provider`, which has no `byok`.
#[test]
fn opencode_provider_twice_is_refused_and_not_configured() {
    let t = home();
    masked(t.run(&["setup", "opencode", "--yes"]).success());
    let twice = with_last(
        &t.read(OPENCODE),
        "  // timeouts for the built-in provider\n  \"provider\": {\n    \"openai\": { \"options\": { \"timeout\": 600000 } }\n  }",
    );
    t.write(OPENCODE, &twice);
    assert_duplicate_refused(
        &t,
        "opencode",
        "OpenCode",
        OPENCODE,
        "could not parse ~/.config/opencode/opencode.jsonc: line 3, column 3: `provider` appears twice (lines 3 and 20); the tool reads only the last one, so merge them into one by hand",
    );
    // doctor judges what OpenCode reads: the last `provider`, without byok's.
    let out = masked(t.run(&["doctor", "--quick", "--url", "http://127.0.0.1:1"]));
    assert!(
        out.stdout
            .contains("~/.config/opencode/opencode.jsonc has no `provider.byok`"),
        "{out}"
    );
}

/// Issue 8 item 20: a raw NUL in a string was accepted and the note blamed comments.
#[test]
fn raw_nul_in_a_string_is_refused_for_what_it_is() {
    let t = home();
    let text = "{\n  \"model\": \"opus\",\n  \"statusLine\": {\"type\": \"command\", \"command\": \"echo \u{0}hi\"}\n}\n";
    t.write(CLAUDE, text);
    let error = "could not parse ~/.claude/settings.json: line 3, column 54: raw control character U+0000 inside a string; JSON allows it only escaped (\\u0000), so tools reject the file";
    let out = masked(t.run(&["setup", "claude-code", "--yes"]).code(2));
    assert!(
        out.stderr.starts_with(&format!("byok: error: {error}\n")),
        "{out}"
    );
    assert_eq!(t.read(CLAUDE), text);
    assert!(!t.exists(".claude.json"), "nothing else was written");
    let out = masked(t.run(&["doctor", "--quick", "--url", "http://127.0.0.1:1"]));
    assert!(out.stdout.contains(error), "{out}");
    assert!(!out.stdout.contains("comments"), "{out}");
    assert_eq!(t.read(CLAUDE), text);
}

/// Issue 8 item 23: keys added to a one-line file came out pretty-printed in the middle of it.
#[test]
fn compact_settings_stay_compact_and_remove_gives_them_back() {
    for before in [
        "{\"model\":\"opus\",\"env\":{\"DISABLE_TELEMETRY\":\"1\"},\"permissions\":{\"allow\":[\"Bash(ls)\",\"Read(**)\"],\"deny\":[]}}\n",
        "{\"model\": \"opus\", \"permissions\": {\"allow\": [\"Bash(ls)\"]}}",
    ] {
        let t = home();
        t.write(CLAUDE, before);
        masked(
            t.run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
                .success(),
        );
        let after = t.read(CLAUDE);
        let (colon, comma) = if before.contains(": ") {
            (": ", ", ")
        } else {
            (":", ",")
        };
        let env = [
            ("ANTHROPIC_BASE_URL", URL),
            ("ANTHROPIC_AUTH_TOKEN", KEY),
            ("ANTHROPIC_API_KEY", ""),
            ("ANTHROPIC_MODEL", "claude-sonnet-4-5"),
            ("ANTHROPIC_DEFAULT_OPUS_MODEL", "claude-sonnet-4-5"),
            ("ANTHROPIC_DEFAULT_SONNET_MODEL", "claude-sonnet-4-5"),
            ("ANTHROPIC_DEFAULT_HAIKU_MODEL", "claude-sonnet-4-5"),
            ("ANTHROPIC_SMALL_FAST_MODEL", "claude-sonnet-4-5"),
        ]
        .map(|(k, v)| format!("\"{k}\"{colon}\"{v}\""))
        .join(comma);
        let want = if before.contains("\"env\"") {
            before.replace(
                "\"DISABLE_TELEMETRY\":\"1\"",
                &format!("\"DISABLE_TELEMETRY\":\"1\",{env}"),
            )
        } else {
            before.replace("]}}", &format!("]}}{comma}\"env\"{colon}{{{env}}}}}"))
        };
        assert_eq!(after, want);
        assert_eq!(after.trim_end().lines().count(), 1);
        let out = masked(
            t.run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
                .success(),
        );
        assert!(out.stdout.contains("up to date"), "{out}");
        masked(t.run(&["remove", "claude-code", "--yes"]).success());
        assert_eq!(t.read(CLAUDE), before);
    }
}

fn make_db(t: &TestEnv, blob: &str) -> PathBuf {
    let path = t.home().join(CURSOR_DB);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);
         INSERT INTO ItemTable VALUES ('workbench.panel.markers.hidden', '[]');",
    )
    .unwrap();
    conn.execute("INSERT INTO ItemTable VALUES (?1, ?2)", (BLOB_KEY, blob))
        .unwrap();
    path
}

fn read_blob(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(
        "SELECT value FROM ItemTable WHERE key = ?1",
        [BLOB_KEY],
        |r| r.get(0),
    )
    .unwrap()
}

/// Issue 8 item 17: the blob was re-serialised, so 12345678901234567890123 lost its digits.
#[test]
fn cursor_blob_keeps_big_numbers_and_every_other_byte() {
    let _g = cursor_lock();
    let t = home();
    let blob = fixture("cursor/big-numbers/applicationUser.json");
    for kept in [
        "\"machineSeq\":12345678901234567890123",
        "\"lastEventId\":18446744073709551617",
        "\"sampleRate\":1.0000000000000002",
        "\"smallest\":5e-324,\"offset\":-0.0,\"scaled\":1E+2",
        r#""displayName":"Ada Lovela\u00e7e \/ R&D""#,
    ] {
        assert!(blob.contains(kept), "fixture lacks {kept}");
    }
    let db = make_db(&t, &blob);
    masked(t.run(&["setup", "cursor", "--yes"]).success());
    let configured = blob
        .replacen(
            "\"openAIBaseUrl\":null",
            "\"openAIBaseUrl\":\"https://gw.example.com/v1\"",
            1,
        )
        .replacen("\"useOpenAIKey\":false", "\"useOpenAIKey\":true", 1)
        .replacen(
            "\"userAddedModels\":[\"deepseek-chat\"]",
            "\"userAddedModels\":[\"deepseek-chat\",\"gpt-4o\"]",
            1,
        )
        .replacen(
            "\"o3\"],\"modelOverrideDisabled\":[\"gpt-4o\",",
            "\"o3\",\"gpt-4o\"],\"modelOverrideDisabled\":[",
            1,
        );
    assert_ne!(configured, blob);
    assert_eq!(read_blob(&db), configured);
    let out = masked(t.run(&["detect"]).success());
    assert!(
        out.stdout
            .contains("Cursor         configured (profile default)"),
        "{out}"
    );
    masked(t.run(&["remove", "cursor", "--yes"]).success());
    // Remove gives back the user's values and model lists (issue 8, items 7 and 18).
    assert_eq!(read_blob(&db), blob);
}
