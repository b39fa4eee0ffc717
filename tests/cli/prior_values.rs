//! Issue 8, items 7 and 18: `remove` gives back what the user had before byok. Setup
//! names each of the user's own values it takes over ("replaces your …") and keeps it in
//! the drift record; `remove` writes it back ("puts back your earlier …") instead of
//! deleting it, and a file the user had stays, with what it had. Each test runs the real
//! binary on a fake home and compares whole files byte for byte.

use crate::common::{KEY, Output, TestEnv};

const URL: &str = "https://gw.example";

fn home() -> TestEnv {
    let t = TestEnv::new();
    t.init(URL);
    t
}

/// Neither the gateway key nor `secret` (a key of the user's) is printed.
#[track_caller]
fn no_secrets(out: &Output, secret: &str) {
    for s in [KEY, secret] {
        assert!(
            !out.stdout.contains(s) && !out.stderr.contains(s),
            "{s} printed:\n{out}"
        );
    }
}

/// The `note:` lines of an output.
fn notes(out: &Output) -> Vec<&str> {
    out.stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  note: "))
        .collect()
}

const CLAUDE: &str = ".claude/settings.json";
const CLAUDE_BEFORE: &str = r#"{
  "env": {
    "ANTHROPIC_BASE_URL": "https://llm-proxy.corp.example",
    "ANTHROPIC_MODEL": "claude-opus-4-1",
    "HTTPS_PROXY": "http://proxy.corp.example:3128"
  },
  "permissions": {
    "allow": ["Bash(npm test)", "Read(~/src/**)"]
  },
  "statusLine": { "type": "command", "command": "~/.claude/statusline.sh" }
}
"#;

#[test]
fn claude_code_corporate_values_come_back_on_remove() {
    let t = home();
    t.write(CLAUDE, CLAUDE_BEFORE);
    let out = t.run(&["setup", "claude-code", "--yes"]).success();
    no_secrets(&out, KEY);
    assert_eq!(
        notes(&out)[..2],
        [
            "replaces your ~/.claude/settings.json env.ANTHROPIC_BASE_URL (https://llm-proxy.corp.example); `byok remove claude-code` puts it back",
            "replaces your ~/.claude/settings.json env.ANTHROPIC_MODEL (claude-opus-4-1); `byok remove claude-code` puts it back",
        ],
        "{out}"
    );
    assert!(
        t.read(CLAUDE)
            .contains("\"ANTHROPIC_BASE_URL\": \"https://gw.example\"")
    );

    let out = t.run(&["remove", "claude-code", "--yes"]).success();
    no_secrets(&out, KEY);
    assert_eq!(
        notes(&out)[..2],
        [
            "puts back your earlier ~/.claude/settings.json env.ANTHROPIC_BASE_URL (https://llm-proxy.corp.example)",
            "puts back your earlier ~/.claude/settings.json env.ANTHROPIC_MODEL (claude-opus-4-1)",
        ],
        "{out}"
    );
    assert_eq!(t.read(CLAUDE), CLAUDE_BEFORE);
}

#[test]
fn claude_code_dry_run_names_the_replaced_values_too() {
    let t = home();
    t.write(CLAUDE, CLAUDE_BEFORE);
    let out = t.run(&["setup", "claude-code", "--dry-run"]).success();
    assert!(
        out.stdout.contains(
            "  note: replaces your ~/.claude/settings.json env.ANTHROPIC_BASE_URL (https://llm-proxy.corp.example); `byok remove claude-code` puts it back\n"
        ),
        "{out}"
    );
    assert_eq!(t.read(CLAUDE), CLAUDE_BEFORE);
}

const CODEX: &str = ".codex/config.toml";
const CODEX_BEFORE: &str = r#"# my Codex settings
model = "o3"  # the one I like
model_provider = "openai"
approval_policy = "on-request"

[mcp_servers.docs]
command = "npx"
args = ["-y", "docs-mcp"]
"#;

#[test]
fn codex_model_and_provider_come_back_even_after_a_second_setup() {
    let t = home();
    t.write(CODEX, CODEX_BEFORE);
    let out = t.run(&["setup", "codex", "--yes"]).success();
    no_secrets(&out, KEY);
    assert_eq!(
        notes(&out)[..2],
        [
            "replaces your config.toml model (o3); `byok remove codex` puts it back",
            "replaces your config.toml model_provider (openai); `byok remove codex` puts it back",
        ],
        "{out}"
    );
    // A second setup for another gateway: byok's own values are not taken for the user's.
    t.run(&[
        "init",
        "--url",
        "https://gw2.example",
        "--key",
        KEY,
        "--model",
        "gpt-5",
        "--yes",
    ])
    .success();
    let out = t.run(&["setup", "codex", "--yes"]).success();
    assert!(!out.stdout.contains("replaces your"), "{out}");
    assert!(
        t.read(CODEX)
            .contains("model = \"gpt-5\"  # the one I like\n")
    );

    let out = t.run(&["remove", "codex", "--yes"]).success();
    no_secrets(&out, KEY);
    assert_eq!(
        notes(&out),
        [
            "puts back your earlier config.toml model (o3)",
            "puts back your earlier config.toml model_provider (openai)",
        ],
        "{out}"
    );
    assert_eq!(t.read(CODEX), CODEX_BEFORE);
    assert!(
        !t.exists(".codex/.env"),
        "byok created .env, so remove deletes it"
    );
}

const CLINE: &str = ".cline/data/settings/providers.json";
const CLINE_BEFORE: &str = r#"{
  "version": 1,
  "lastUsedProvider": "anthropic",
  "modes": {},
  "providers": {
    "anthropic": {
      "settings": { "provider": "anthropic", "model": "claude-sonnet-4-5" },
      "updatedAt": "2026-05-01T08:30:00.000Z",
      "tokenSource": "manual"
    }
  }
}
"#;

#[test]
fn cline_last_used_provider_comes_back() {
    let t = home();
    t.write(CLINE, CLINE_BEFORE);
    let out = t.run(&["setup", "cline", "--yes"]).success();
    no_secrets(&out, KEY);
    assert_eq!(
        notes(&out)[0],
        "replaces your ~/.cline/data/settings/providers.json lastUsedProvider (anthropic); `byok remove cline` puts it back",
        "{out}"
    );
    assert!(
        t.read(CLINE)
            .contains("\"lastUsedProvider\": \"openai-compatible\"")
    );

    let out = t.run(&["remove", "cline", "--yes"]).success();
    no_secrets(&out, KEY);
    assert_eq!(
        notes(&out),
        [
            "puts back your earlier ~/.cline/data/settings/providers.json lastUsedProvider (anthropic)"
        ],
        "{out}"
    );
    assert_eq!(t.read(CLINE), CLINE_BEFORE);
    // The other two files were byok's own: they go again.
    assert!(!t.exists(".cline/data/globalState.json") && !t.exists(".cline/data/secrets.json"));
}

const GEM_SETTINGS: &str = ".gemini/settings.json";
const GEM_ENV: &str = ".gemini/.env";
const GEM_SETTINGS_BEFORE: &str = r#"{
  // mine
  "ui": { "theme": "GitHub" },
  "security": { "auth": { "selectedType": "oauth-personal" } }
}
"#;
/// The user's own Gemini key, which byok takes over and must give back unprinted.
const USER_KEY: &str = "AIzaSyUserOwnKey0123456789abcd";

#[test]
fn gemini_sign_in_and_dotenv_lines_come_back_unprinted() {
    let t = home();
    let dotenv =
        format!("# Vertex project\nGOOGLE_CLOUD_PROJECT=acme-dev-123\nGEMINI_API_KEY={USER_KEY}\n");
    t.write(GEM_SETTINGS, GEM_SETTINGS_BEFORE);
    t.write(GEM_ENV, &dotenv);
    let out = t.run(&["setup", "gemini-cli", "--yes"]).success();
    no_secrets(&out, USER_KEY);
    assert_eq!(
        notes(&out)[..2],
        [
            "replaces your .env GEMINI_API_KEY (AIz…abcd); `byok remove gemini-cli` puts it back",
            "replaces your settings.json security.auth.selectedType (oauth-personal); `byok remove gemini-cli` puts it back",
        ],
        "{out}"
    );
    assert!(!t.read(GEM_ENV).contains(USER_KEY));
    // The record holding the user's key is private.
    assert_eq!(t.mode(".local/state/byok/owned.json"), 0o600);

    let out = t.run(&["remove", "gemini-cli", "--yes"]).success();
    no_secrets(&out, USER_KEY);
    assert_eq!(
        notes(&out),
        [
            "puts back your earlier .env GEMINI_API_KEY (AIz…abcd)",
            "puts back your earlier settings.json security.auth.selectedType (oauth-personal)",
        ],
        "{out}"
    );
    assert_eq!(t.read(GEM_SETTINGS), GEM_SETTINGS_BEFORE);
    assert_eq!(t.read(GEM_ENV), dotenv);
}

#[test]
fn gemini_empty_settings_of_the_users_survive_remove() {
    let t = home();
    t.write(GEM_SETTINGS, "{}");
    t.run(&["setup", "gemini-cli", "--yes"]).success();
    assert_ne!(t.read(GEM_SETTINGS), "{}");
    t.run(&["remove", "gemini-cli", "--yes"]).success();
    assert_eq!(t.read(GEM_SETTINGS), "{}");
    assert!(
        !t.exists(GEM_ENV),
        "byok created .env, so remove deletes it"
    );

    // A file byok created itself still goes.
    let t = home();
    t.run(&["setup", "gemini-cli", "--yes"]).success();
    t.run(&["remove", "gemini-cli", "--yes"]).success();
    assert!(!t.exists(GEM_SETTINGS) && !t.exists(GEM_ENV));
}

#[test]
fn a_blank_dotenv_of_the_users_comes_back_blank() {
    let t = home();
    t.write(GEM_ENV, "\n");
    t.run(&["setup", "gemini-cli", "--yes"]).success();
    t.run(&["remove", "gemini-cli", "--yes"]).success();
    assert_eq!(t.read(GEM_ENV), "\n");
}

#[test]
fn remove_without_a_record_leaves_look_alike_settings_alone() {
    // The user's own Codex provider named like byok's, never set up by byok.
    let t = home();
    let own = "model = \"gpt-4o\"\nmodel_provider = \"byok\"\n\n[model_providers.byok]\nname = \"byok\"\nbase_url = \"https://mine.example/v1\"\n";
    t.write(CODEX, own);
    let out = t.run(&["remove", "codex", "--yes"]).success();
    assert_eq!(out.stdout, "Codex CLI\n  nothing of byok's to remove\n");
    assert_eq!(t.read(CODEX), own);
}

const ROO_EXT: &str = ".vscode/extensions/rooveterinaryinc.roo-cline-3.52.1/package.json";
const VSCODE_SETTINGS: &str = ".config/Code/User/settings.json";
const ROO_SETTINGS_BEFORE: &str = r#"{
    // my editor
    "editor.fontSize": 14,
    "roo-cline.autoImportSettingsPath": "~/Documents/roo-team-settings.json",
    "files.exclude": {"**/.git": true,},
}
"#;

#[test]
fn roo_code_own_import_path_comes_back_on_remove() {
    let t = home();
    t.write(ROO_EXT, "{}");
    t.write(VSCODE_SETTINGS, ROO_SETTINGS_BEFORE);
    let out = t.run(&["setup", "roo-code", "--yes"]).success();
    no_secrets(&out, KEY);
    assert_eq!(
        notes(&out)[0],
        "replaces your ~/.config/Code/User/settings.json roo-cline.autoImportSettingsPath (~/Documents/roo-team-settings.json); `byok remove roo-code` puts it back",
        "{out}"
    );
    assert!(!t.read(VSCODE_SETTINGS).contains("roo-team-settings"));

    let out = t.run(&["remove", "roo-code", "--yes"]).success();
    no_secrets(&out, KEY);
    assert_eq!(
        notes(&out)[0],
        "puts back your earlier ~/.config/Code/User/settings.json roo-cline.autoImportSettingsPath (~/Documents/roo-team-settings.json)",
        "{out}"
    );
    assert_eq!(t.read(VSCODE_SETTINGS), ROO_SETTINGS_BEFORE);
    assert!(!t.exists(".local/share/byok/roo-code-settings.json"));
}

#[test]
fn kilo_code_own_import_path_comes_back_on_remove() {
    let t = home();
    let before = ROO_SETTINGS_BEFORE.replace("roo-cline.", "kilo-code.");
    t.write(
        ".vscode/extensions/kilocode.kilo-code-4.60.0/package.json",
        "{}",
    );
    t.write(VSCODE_SETTINGS, &before);
    no_secrets(&t.run(&["setup", "kilo-code", "--yes"]).success(), KEY);
    assert!(!t.read(VSCODE_SETTINGS).contains("roo-team-settings"));
    no_secrets(&t.run(&["remove", "kilo-code", "--yes"]).success(), KEY);
    assert_eq!(t.read(VSCODE_SETTINGS), before);
}

const CLAUDE_STATE: &str = ".claude.json";

/// `init` with the x-api-key scheme, so setup also approves the key in `~/.claude.json`.
fn x_api_key_home() -> TestEnv {
    let t = TestEnv::new();
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
    t
}

#[test]
fn claude_code_files_byok_created_go_again_on_remove() {
    let t = x_api_key_home();
    no_secrets(&t.run(&["setup", "claude-code", "--yes"]).success(), KEY);
    assert!(t.exists(CLAUDE) && t.exists(CLAUDE_STATE));
    let out = t.run(&["remove", "claude-code", "--yes"]).success();
    no_secrets(&out, KEY);
    assert!(
        !out.stdout.contains("hasCompletedOnboarding stays"),
        "{out}"
    );
    assert!(!t.exists(CLAUDE), "{}", t.read(CLAUDE));
    assert!(!t.exists(CLAUDE_STATE), "{}", t.read(CLAUDE_STATE));
}

#[test]
fn claude_code_files_byok_created_stay_once_they_hold_more() {
    let t = x_api_key_home();
    t.run(&["setup", "claude-code", "--yes"]).success();
    // The user adds a setting; Claude Code records its first start.
    let settings = t.read(CLAUDE).replacen('{', "{\n  \"theme\": \"dark\",", 1);
    t.write(CLAUDE, &settings);
    let state = t
        .read(CLAUDE_STATE)
        .replacen('{', "{\n  \"numStartups\": 1,", 1);
    t.write(CLAUDE_STATE, &state);
    let out = t.run(&["remove", "claude-code", "--yes"]).success();
    no_secrets(&out, KEY);
    assert_eq!(t.read(CLAUDE), "{\n  \"theme\": \"dark\"\n}\n");
    assert_eq!(
        t.read(CLAUDE_STATE),
        "{\n  \"numStartups\": 1,\n  \"hasCompletedOnboarding\": true\n}\n"
    );
}

#[test]
fn claude_code_masks_approved_fragments_of_deleted_keys() {
    // The last 20 characters of a key from a profile deleted since: a secret too.
    let old = "Qz8rT1vW3xY5aB7cD9eF";
    let t = x_api_key_home();
    t.write(
        CLAUDE_STATE,
        format!(
            "{{\n  \"hasCompletedOnboarding\": true,\n  \"customApiKeyResponses\": {{\n    \"approved\": [\"{old}\"],\n    \"rejected\": []\n  }}\n}}\n"
        ),
    );
    let out = t
        .run(&["setup", "claude-code", "--key-mode", "literal", "--dry-run"])
        .success();
    no_secrets(&out, old);
    assert!(out.stdout.contains("customApiKeyResponses"), "{out}");
}

const CONTINUE_JSON: &str = ".continue/config.json";

#[test]
fn continue_empty_config_json_comes_back_empty() {
    let t = home();
    t.write(CONTINUE_JSON, "{}");
    no_secrets(&t.run(&["setup", "continue", "--yes"]).success(), KEY);
    assert!(t.read(CONTINUE_JSON).contains("\"byok (OpenAI)\""));
    let out = t.run(&["remove", "continue", "--yes"]).success();
    no_secrets(&out, KEY);
    assert_eq!(t.read(CONTINUE_JSON), "{}");
    assert!(!t.exists(".continue/config.yaml"));
}

#[test]
fn continue_users_own_models_list_stays_even_when_empty() {
    let t = home();
    let before = "{\n  // mine\n  \"models\": [],\n  \"allowAnonymousTelemetry\": false\n}\n";
    t.write(CONTINUE_JSON, before);
    t.run(&["setup", "continue", "--yes"]).success();
    t.run(&["remove", "continue", "--yes"]).success();
    assert_eq!(t.read(CONTINUE_JSON), before);
}

const CURSOR_DB: &str = ".config/Cursor/User/globalStorage/state.vscdb";
const CURSOR_BLOB: &str = "src.vs.platform.reactivestorage.browser.reactiveStorageServiceImpl.persistentStorage.applicationUser";

/// A Cursor `state.vscdb` holding the realistic settings blob, edited by `edit`.
fn cursor_home(edit: impl Fn(String) -> String) -> (TestEnv, String) {
    let t = TestEnv::new();
    t.init("https://gw.example.com");
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cursor/realistic/applicationUser.json");
    let blob = edit(std::fs::read_to_string(fixture).unwrap());
    let path = t.home().join(CURSOR_DB);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);")
        .unwrap();
    conn.execute(
        "INSERT INTO ItemTable (key, value) VALUES (?1, ?2)",
        (CURSOR_BLOB, &blob),
    )
    .unwrap();
    (t, blob)
}

fn cursor_blob(t: &TestEnv) -> String {
    let conn = rusqlite::Connection::open(t.home().join(CURSOR_DB)).unwrap();
    conn.query_row(
        "SELECT value FROM ItemTable WHERE key = ?1",
        [CURSOR_BLOB],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn cursor_own_base_url_and_models_come_back_on_remove() {
    let _g = crate::setup_editors::cursor_lock();
    // The user's own OpenAI proxy, switched on; gpt-4o switched off in Cursor.
    let (t, before) = cursor_home(|b| {
        b.replacen(
            "\"openAIBaseUrl\":null,\"useOpenAIKey\":false",
            "\"openAIBaseUrl\":\"https://openai-proxy.corp.example/v1\",\"useOpenAIKey\":true",
            1,
        )
    });
    assert!(before.contains("corp.example"));
    let out = t.run(&["setup", "cursor", "--yes"]).success();
    no_secrets(&out, KEY);
    assert_eq!(
        notes(&out)[0],
        "replaces your ~/.config/Cursor/User/globalStorage/state.vscdb openAIBaseUrl (\"https://openai-proxy.corp.example/v1\"); `byok remove cursor` puts it back",
        "{out}"
    );
    assert!(cursor_blob(&t).contains("\"openAIBaseUrl\":\"https://gw.example.com/v1\""));

    let out = t.run(&["remove", "cursor", "--yes"]).success();
    no_secrets(&out, KEY);
    assert_eq!(
        notes(&out)[0],
        "puts back your earlier ~/.config/Cursor/User/globalStorage/state.vscdb openAIBaseUrl (\"https://openai-proxy.corp.example/v1\")",
        "{out}"
    );
    assert_eq!(cursor_blob(&t), before);
}

#[test]
fn cursor_override_off_comes_back_off_with_the_models_as_they_were() {
    let _g = crate::setup_editors::cursor_lock();
    let (t, before) = cursor_home(|b| b);
    t.run(&["setup", "cursor", "--yes"]).success();
    assert_ne!(cursor_blob(&t), before);
    let out = t.run(&["remove", "cursor", "--yes"]).success();
    assert!(!out.stdout.contains("model ids byok added stay"), "{out}");
    assert_eq!(cursor_blob(&t), before);
}
