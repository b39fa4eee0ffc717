//! `byok setup|remove|restore` for Codex CLI, OpenCode and Gemini CLI, on real-looking fixtures.

use std::path::PathBuf;

use crate::common::{KEY, TestEnv};

const URL: &str = "https://gw.example";
const CODEX_CFG: &str = ".codex/config.toml";
const CODEX_ENV: &str = ".codex/.env";
const OC_JSONC: &str = ".config/opencode/opencode.jsonc";
const OC_JSON: &str = ".config/opencode/opencode.json";
const MANAGED: &str = "# managed by byok: `byok remove codex` takes this out";

fn fixture(rel: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn setup_env() -> TestEnv {
    let t = TestEnv::new();
    t.init(URL);
    t
}

/// Asserts the key never appears in what byok printed.
#[track_caller]
fn no_key(out: &crate::common::Output) {
    assert!(
        !out.stdout.contains(KEY) && !out.stderr.contains(KEY),
        "{out}"
    );
}

fn codex_table() -> String {
    format!(
        "\n{MANAGED}\n[model_providers.byok]\nname = \"byok\"\nbase_url = \"{URL}/v1\"\n\
         wire_api = \"responses\"\nenv_key = \"BYOK_API_KEY\"\n"
    )
}

fn codex_real_after() -> String {
    let original = fixture("codex/real/config.toml");
    original
        .replace(
            "model = \"gpt-5.1-codex\"  # default",
            "model = \"gpt-4o\"  # default",
        )
        .replace(
            "file_opener = \"vscode\"\n",
            "file_opener = \"vscode\"\nmodel_provider = \"byok\"\n",
        )
        + &codex_table()
}

#[test]
fn codex_real_config_keeps_every_table_and_comment() {
    let t = setup_env();
    t.write(CODEX_CFG, fixture("codex/real/config.toml"));
    t.write(CODEX_ENV, fixture("codex/real/.env"));
    let out = t
        .run(&["setup", "codex", "--key-mode", "literal", "--yes"])
        .success();
    no_key(&out);
    assert!(out.stdout.contains("updated ~/.codex/config.toml"), "{out}");
    assert!(out.stdout.contains("/v1/responses"), "{out}");
    assert_eq!(t.read(CODEX_CFG), codex_real_after());
    assert_eq!(
        t.read(CODEX_ENV),
        format!(
            "{}BYOK_API_KEY='{KEY}' # managed by byok\n",
            fixture("codex/real/.env")
        )
    );
    assert_eq!(t.mode(CODEX_ENV), 0o600);

    let again = t
        .run(&["setup", "codex", "--key-mode", "literal", "--yes"])
        .success();
    assert_eq!(again.stdout, "Codex CLI\n  up to date\n");
    let detect = t.run(&["detect"]).success();
    assert!(
        detect
            .stdout
            .contains("Codex CLI      configured (profile default)"),
        "{detect}"
    );
}

#[test]
fn codex_fresh_home_dry_run_masks_the_key_and_writes_nothing() {
    let t = setup_env();
    let before = t.tree();
    let out = t
        .run(&["setup", "codex", "--key-mode", "literal", "--dry-run"])
        .success();
    no_key(&out);
    assert_eq!(t.tree(), before);
    assert_eq!(
        out.stdout,
        format!(
            "Codex CLI
--- /dev/null
+++ b/~/.codex/config.toml
@@ -0,0 +1,9 @@
+model = \"gpt-4o\"
+model_provider = \"byok\"
+
+{MANAGED}
+[model_providers.byok]
+name = \"byok\"
+base_url = \"https://gw.example/v1\"
+wire_api = \"responses\"
+env_key = \"BYOK_API_KEY\"
--- /dev/null
+++ b/~/.codex/.env
@@ -0,0 +1 @@
+BYOK_API_KEY='sk-…cdef' # managed by byok
  note: Codex sends every request to https://gw.example/v1/responses (the Responses API); the gateway must serve it, streaming
"
        )
    );
}

#[test]
fn codex_restore_gives_back_the_original_bytes() {
    let t = setup_env();
    let original = fixture("codex/real/config.toml");
    t.write(CODEX_CFG, &original);
    t.run(&["setup", "codex", "--yes"]).success();
    assert_ne!(t.read(CODEX_CFG), original);
    no_key(&t.run(&["restore", "--yes"]).success());
    assert_eq!(t.read(CODEX_CFG), original);
    assert!(
        !t.exists(CODEX_ENV),
        "byok created .env, so restore removes it"
    );
}

#[test]
fn codex_remove_takes_out_only_byoks_settings() {
    let t = setup_env();
    t.write(CODEX_CFG, fixture("codex/real/config.toml"));
    t.write(CODEX_ENV, fixture("codex/real/.env"));
    t.run(&["setup", "codex", "--yes"]).success();
    // The user keeps working: a new MCP server after byok's table.
    let edited = format!(
        "{}\n[mcp_servers.sentry]\ncommand = \"npx\"\n",
        t.read(CODEX_CFG)
    );
    t.write(CODEX_CFG, &edited);
    let out = t.run(&["remove", "codex", "--yes"]).success();
    no_key(&out);
    // byok's settings go; the user's own `model` comes back (issue 8, item 7).
    let want = fixture("codex/real/config.toml") + "\n[mcp_servers.sentry]\ncommand = \"npx\"\n";
    assert_eq!(t.read(CODEX_CFG), want);
    assert_eq!(t.read(CODEX_ENV), fixture("codex/real/.env"));
    let again = t.run(&["remove", "codex", "--yes"]).success();
    assert!(
        again.stdout.contains("nothing of byok's to remove"),
        "{again}"
    );
}

#[test]
fn codex_crlf_and_bom_are_kept() {
    let t = setup_env();
    let original = fixture("codex/crlf/config.toml");
    t.write(CODEX_CFG, &original);
    t.run(&["setup", "codex", "--key-mode", "literal", "--yes"])
        .success();
    let want = original.replace(
        "model = \"o4-mini\"\r\n",
        "model = \"gpt-4o\"\r\nmodel_provider = \"byok\"\r\n",
    ) + &codex_table().replace('\n', "\r\n");
    assert_eq!(t.read(CODEX_CFG), want);
    t.run(&["remove", "codex", "--yes"]).success();
    assert_eq!(t.read(CODEX_CFG), original);
}

#[test]
fn codex_malformed_config_is_left_alone() {
    let t = setup_env();
    let original = fixture("codex/malformed/config.toml");
    t.write(CODEX_CFG, &original);
    let out = t.run(&["setup", "codex", "--yes"]).code(2);
    assert!(
        out.stderr
            .contains("could not parse ~/.codex/config.toml: line 3, column"),
        "{out}"
    );
    no_key(&out);
    assert_eq!(t.read(CODEX_CFG), original);
    assert!(!t.exists(CODEX_ENV));
    t.run(&["remove", "codex", "--yes"]).code(2);
    assert_eq!(t.read(CODEX_CFG), original);
}

#[test]
fn codex_home_is_honoured_and_helper_mode_writes_no_key() {
    let mut t = setup_env();
    let alt = t.home().join("alt-codex");
    t.set("CODEX_HOME", alt.display().to_string());
    let out = t
        .run(&["setup", "codex", "--yes", "--key-mode", "helper"])
        .success();
    no_key(&out);
    assert!(!t.exists(".codex"));
    assert!(!t.exists("alt-codex/.env"));
    let cfg = t.read("alt-codex/config.toml");
    let cfg = t.normalize(&cfg);
    assert!(
        cfg.ends_with(
            "[model_providers.byok.auth]\ncommand = \"[BYOK]\"\nargs = [\"--profile\", \"default\", \"print-key\"]\n"
        ),
        "{cfg}"
    );
    assert!(!cfg.contains("env_key"));
    let again = t
        .run(&["setup", "codex", "--yes", "--key-mode", "helper"])
        .success();
    assert_eq!(
        again.stdout,
        "Codex CLI\n  up to date\n  note: Codex runs `byok print-key` for the key, so no key is written\n"
    );
}

fn opencode_provider(indent: &str) -> String {
    let body = format!(
        "\"byok\": {{
  \"npm\": \"@ai-sdk/openai-compatible\",
  \"name\": \"byok\",
  \"options\": {{
    \"baseURL\": \"{URL}/v1\",
    \"apiKey\": \"{KEY}\"
  }},
  \"models\": {{
    \"gpt-4o\": {{
      \"name\": \"gpt-4o\"
    }}
  }}
}}"
    );
    body.lines()
        .map(|l| format!("{indent}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn opencode_jsonc_keeps_comments_and_other_providers() {
    let t = setup_env();
    let original = fixture("opencode/jsonc/opencode.jsonc");
    t.write(OC_JSONC, &original);
    let out = t.run(&["setup", "opencode", "--yes"]).success();
    no_key(&out);
    let want = original
        .replace(
            "      },\n    },\n  },\n\n  \"mcp\"",
            &format!(
                "      }},\n    }},\n{},\n  }},\n\n  \"mcp\"",
                opencode_provider("    ")
            ),
        )
        .replace(
            "\"edit\": \"allow\" },\n}",
            "\"edit\": \"allow\" },\n  \"model\": \"byok/gpt-4o\",\n}",
        );
    assert_eq!(t.read(OC_JSONC), want);
    assert_eq!(t.mode(OC_JSONC), 0o600);
    let again = t.run(&["setup", "opencode", "--yes"]).success();
    assert_eq!(again.stdout, "OpenCode\n  up to date\n");

    // Remove after a later user edit: byok's provider and model go, the edit stays.
    let edited = t.read(OC_JSONC).replace("\"tokyonight\"", "\"nord\"");
    t.write(OC_JSONC, &edited);
    no_key(&t.run(&["remove", "opencode", "--yes"]).success());
    assert_eq!(
        t.read(OC_JSONC),
        original.replace("\"tokyonight\"", "\"nord\"")
    );
}

#[test]
fn opencode_keeps_another_selected_model_and_says_so() {
    let t = setup_env();
    let original = fixture("opencode/other-model/opencode.json");
    t.write(OC_JSON, &original);
    let out = t.run(&["setup", "opencode", "--yes"]).success();
    no_key(&out);
    assert!(
        out.stdout.contains(
            "note: ~/.config/opencode/opencode.json selects model `anthropic/claude-sonnet-4-5`; byok left it"
        ),
        "{out}"
    );
    assert!(!t.exists(OC_JSONC), "the existing opencode.json is edited");
    let after = t.read(OC_JSON);
    assert!(after.contains("\"model\": \"anthropic/claude-sonnet-4-5\""));
    assert!(after.contains(&format!("\"apiKey\": \"{KEY}\"")));
    t.run(&["remove", "opencode", "--yes"]).success();
    assert_eq!(t.read(OC_JSON), original);
}

#[test]
fn opencode_dry_run_then_restore() {
    let t = setup_env();
    let original = fixture("opencode/jsonc/opencode.jsonc");
    t.write(OC_JSONC, &original);
    let out = t.run(&["setup", "opencode", "--dry-run"]).success();
    no_key(&out);
    assert!(
        out.stdout.contains("+        \"apiKey\": \"sk-…cdef\""),
        "{out}"
    );
    assert_eq!(t.read(OC_JSONC), original);
    t.run(&["setup", "opencode", "--yes"]).success();
    t.run(&["restore", "--yes"]).success();
    assert_eq!(t.read(OC_JSONC), original);
}

#[test]
fn opencode_fresh_home_creates_jsonc_and_remove_deletes_it() {
    let t = setup_env();
    t.run(&["setup", "opencode", "--yes"]).success();
    assert_eq!(
        t.read(OC_JSONC),
        format!(
            "{{\n  \"$schema\": \"https://opencode.ai/config.json\",\n  \"provider\": {{\n{}\n  }},\n  \"model\": \"byok/gpt-4o\"\n}}\n",
            opencode_provider("    ")
        )
    );
    t.run(&["remove", "opencode", "--yes"]).success();
    assert!(!t.exists(OC_JSONC));
}

#[test]
fn opencode_crlf_and_bom_are_kept() {
    let t = setup_env();
    let original = fixture("opencode/crlf/opencode.jsonc");
    t.write(OC_JSONC, &original);
    t.run(&["setup", "opencode", "--yes"]).success();
    let after = t.read(OC_JSONC);
    assert!(
        after.starts_with("\u{feff}{\r\n  // Windows box\r\n"),
        "{after:?}"
    );
    assert_eq!(after.matches('\n').count(), after.matches("\r\n").count());
    t.run(&["remove", "opencode", "--yes"]).success();
    assert_eq!(t.read(OC_JSONC), original);
}

#[test]
fn opencode_malformed_config_is_left_alone() {
    let t = setup_env();
    let original = fixture("opencode/malformed/opencode.jsonc");
    t.write(OC_JSONC, &original);
    let out = t.run(&["setup", "opencode", "--yes"]).code(2);
    no_key(&out);
    assert!(
        out.stderr
            .contains("could not parse ~/.config/opencode/opencode.jsonc: line 2"),
        "{out}"
    );
    assert_eq!(t.read(OC_JSONC), original);
}

#[test]
fn opencode_honours_opencode_config_and_xdg_config_home() {
    let mut t = TestEnv::new();
    t.set(
        "XDG_CONFIG_HOME",
        t.home().join("xdg").display().to_string(),
    );
    t.init(URL);
    t.run(&["setup", "opencode", "--yes"]).success();
    assert!(t.exists("xdg/opencode/opencode.jsonc"));
    t.set(
        "OPENCODE_CONFIG",
        t.home().join("team/oc.json").display().to_string(),
    );
    t.write("team/oc.json", "{ \"share\": \"manual\" }\n");
    let out = t.run(&["setup", "opencode", "--yes"]).success();
    assert!(
        out.stdout
            .contains("note: OPENCODE_CONFIG is set, so byok edited ~/team/oc.json"),
        "{out}"
    );
    assert!(
        t.read("team/oc.json")
            .contains("\"baseURL\": \"https://gw.example/v1\"")
    );
}

const GEM_SETTINGS: &str = ".gemini/settings.json";
const GEM_ENV: &str = ".gemini/.env";

#[test]
fn gemini_real_files_keep_their_content() {
    let t = setup_env();
    let settings = fixture("gemini/real/settings.json");
    let dotenv = fixture("gemini/real/.env");
    t.write(GEM_SETTINGS, &settings);
    t.write(GEM_ENV, &dotenv);
    let out = t.run(&["setup", "gemini-cli", "--yes"]).success();
    no_key(&out);
    assert!(
        out.stdout.contains(
            "note: replaces your settings.json security.auth.selectedType (oauth-personal); `byok remove gemini-cli` puts it back"
        ),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("the gateway must serve https://gw.example/v1beta/models/"),
        "{out}"
    );
    assert!(out.stdout.contains("only in folders you trust"), "{out}");
    assert_eq!(
        t.read(GEM_SETTINGS),
        settings.replace("\"oauth-personal\"", "\"gemini-api-key\"")
    );
    assert_eq!(
        t.read(GEM_ENV),
        format!(
            "{dotenv}GOOGLE_GEMINI_BASE_URL='{URL}' # managed by byok\r\n\
             GEMINI_API_KEY='{KEY}' # managed by byok\r\n\
             GEMINI_MODEL='gpt-4o' # managed by byok\r\n"
        )
    );
    assert_eq!(t.mode(GEM_ENV), 0o600);
    let again = t.run(&["setup", "gemini-cli", "--yes"]).success();
    assert_eq!(again.stdout, "Gemini CLI\n  up to date\n");

    // remove: byok's lines and its sign-in choice go; the rest stays.
    no_key(&t.run(&["remove", "gemini-cli", "--yes"]).success());
    assert_eq!(t.read(GEM_ENV), dotenv);
    // The sign-in choice byok made goes; the one it replaced comes back (issue 8, item 7).
    assert_eq!(t.read(GEM_SETTINGS), settings);

    t.run(&["setup", "gemini-cli", "--yes"]).success();
    t.run(&["restore", "--yes"]).success();
    assert_eq!(t.read(GEM_SETTINGS), settings);
    assert_eq!(t.read(GEM_ENV), dotenv);
}

#[test]
fn gemini_fresh_home_dry_run_then_setup_and_remove() {
    let mut t = setup_env();
    let alt = t.home().join("gem-home");
    t.set("GEMINI_CLI_HOME", alt.display().to_string());
    let before = t.tree();
    let out = t.run(&["setup", "gemini-cli", "--dry-run"]).success();
    no_key(&out);
    assert_eq!(t.tree(), before);
    assert!(
        out.stdout.contains("+++ b/~/gem-home/.gemini/.env\n"),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("+GEMINI_API_KEY='sk-…cdef' # managed by byok\n"),
        "{out}"
    );
    t.run(&["setup", "gemini-cli", "--yes"]).success();
    assert!(!t.exists(".gemini"));
    assert_eq!(
        t.read("gem-home/.gemini/settings.json"),
        "{\n  \"security\": {\n    \"auth\": {\n      \"selectedType\": \"gemini-api-key\"\n    }\n  }\n}\n"
    );
    assert_eq!(t.mode("gem-home/.gemini/.env"), 0o600);
    t.run(&["remove", "gemini-cli", "--yes"]).success();
    assert!(!t.exists("gem-home/.gemini/settings.json"));
    assert!(!t.exists("gem-home/.gemini/.env"));
}

#[test]
fn gemini_malformed_settings_are_left_alone() {
    let t = setup_env();
    let original = fixture("gemini/malformed/settings.json");
    t.write(GEM_SETTINGS, &original);
    let out = t.run(&["setup", "gemini-cli", "--yes"]).code(2);
    no_key(&out);
    assert!(
        out.stderr
            .contains("could not parse ~/.gemini/settings.json: line 3"),
        "{out}"
    );
    assert_eq!(t.read(GEM_SETTINGS), original);
    assert!(!t.exists(GEM_ENV));
}
