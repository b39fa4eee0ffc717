//! Issue 12: a profile's extra headers (`byok init --header`) written into the tools that
//! can send them, as each one wants them (Claude Code's `ANTHROPIC_CUSTOM_HEADERS`
//! lines, Codex's `http_headers`/`env_http_headers`, OpenCode's `options.headers` with
//! `{env:VAR}`), credentials masked and their files 0600; headers taken out of the
//! profile leave the tools, the user's own headers beside byok's stay.

use crate::common::{KEY, Output, TestEnv, no_secrets};

const CONFIG: &str = ".config/byok/config.toml";
const PORTKEY: &str = "pk-literal-0123456789";
const TOKEN: &str = "cf-token-secret-0123456789";
const SETTINGS: &str = ".claude/settings.json";
const CODEX: &str = ".codex/config.toml";
const OPENCODE: &str = ".config/opencode/opencode.jsonc";

/// Runs byok; no output holds the key or a credential header.
#[track_caller]
fn run(t: &TestEnv, args: &[&str]) -> Output {
    no_secrets(t.run(args), &[KEY, PORTKEY, TOKEN])
}

/// A profile with a plain header, a credential header and one read from a variable.
fn with_headers() -> TestEnv {
    let mut t = TestEnv::new();
    t.set("CF_AIG_TOKEN", TOKEN);
    run(
        &t,
        &[
            "init",
            "--url",
            "https://gw.example.com",
            "--key",
            KEY,
            "--model",
            "gpt-4o",
            "--header",
            "cf-aig-authorization: env:CF_AIG_TOKEN",
            "--header",
            "X-Team: blue",
            "--header",
            &format!("x-portkey-api-key: {PORTKEY}"),
            "--yes",
        ],
    )
    .success();
    t
}

/// Sets the profile's headers table in config.toml, as a hand edit or `init` would.
fn set_headers(t: &TestEnv, table: &str) {
    let cfg = t.read(CONFIG);
    let start = cfg.find("headers = {").expect("headers in config");
    let end = start + cfg[start..].find('\n').unwrap();
    let line = if table.is_empty() {
        String::new()
    } else {
        format!("headers = {{ {table} }}")
    };
    let mut out = cfg.clone();
    out.replace_range(start..end, &line);
    t.write(CONFIG, out.replace("\n\n\n", "\n\n"));
}

#[test]
fn issue_12_headers_go_into_each_tool_as_it_wants_them() {
    let t = with_headers();
    t.write(
        SETTINGS,
        "{\n  \"env\": {\n    \"ANTHROPIC_CUSTOM_HEADERS\": \"X-Mine: 1\"\n  }\n}\n",
    );
    t.write(
        CODEX,
        "[model_providers.byok.http_headers]\n# mine\nX-Mine = \"1\"\n",
    );
    let out = run(&t, &["setup", "claude-code", "codex", "opencode", "--yes"]).success();
    assert!(!out.stderr.contains("extra headers"), "{out}");

    let settings: serde_json::Value = serde_json::from_str(&t.read(SETTINGS)).unwrap();
    assert_eq!(
        settings["env"]["ANTHROPIC_CUSTOM_HEADERS"],
        format!(
            "X-Mine: 1\ncf-aig-authorization: {TOKEN}\nx-portkey-api-key: {PORTKEY}\nx-team: blue"
        )
    );
    assert_eq!(
        t.mode(SETTINGS),
        0o600,
        "a credential header makes it private"
    );
    assert_eq!(
        t.read(CODEX),
        format!(
            "model = \"gpt-4o\"\nmodel_provider = \"byok\"\n\n[model_providers.byok]\nname = \"byok\"\nbase_url = \"https://gw.example.com/v1\"\nwire_api = \"responses\"\n[model_providers.byok.http_headers]\n# mine\nX-Mine = \"1\"\nx-portkey-api-key = \"{PORTKEY}\"\nx-team = \"blue\"\n\n[model_providers.byok.auth]\ncommand = \"{}\"\nargs = [\"--profile\", \"default\", \"print-key\"]\n\n[model_providers.byok.env_http_headers]\ncf-aig-authorization = \"CF_AIG_TOKEN\"\n",
            env!("CARGO_BIN_EXE_byok")
        )
    );
    assert_eq!(t.mode(CODEX), 0o600);
    let opencode: serde_json::Value =
        serde_json::from_str(&strip_comments(&t.read(OPENCODE))).unwrap();
    assert_eq!(
        opencode["provider"]["byok"]["options"]["headers"],
        serde_json::json!({
            "cf-aig-authorization": "{env:CF_AIG_TOKEN}",
            "x-portkey-api-key": PORTKEY,
            "x-team": "blue"
        })
    );
    // A dry run shows the credentials masked; a second setup changes nothing.
    let out = run(&t, &["setup", "claude-code", "codex", "opencode", "--yes"]).success();
    assert_eq!(
        out.stdout,
        "Claude Code\n  up to date\nCodex CLI\n  up to date\n  note: Codex runs `byok print-key` for the key, so no key is written\nOpenCode\n  up to date\n"
    );

    // x-team leaves the profile: it leaves the tools; the user's own headers stay.
    set_headers(
        &t,
        &format!("cf-aig-authorization = \"env:CF_AIG_TOKEN\", x-portkey-api-key = \"{PORTKEY}\""),
    );
    let out = run(
        &t,
        &["setup", "claude-code", "codex", "opencode", "--dry-run"],
    )
    .success();
    assert!(out.stdout.contains("-x-team = \"blue\"\n"), "{out}");
    assert!(out.stdout.contains("pk-…6789"), "{out}");
    run(&t, &["setup", "claude-code", "codex", "opencode", "--yes"]).success();
    let settings: serde_json::Value = serde_json::from_str(&t.read(SETTINGS)).unwrap();
    assert_eq!(
        settings["env"]["ANTHROPIC_CUSTOM_HEADERS"],
        format!("X-Mine: 1\ncf-aig-authorization: {TOKEN}\nx-portkey-api-key: {PORTKEY}")
    );
    assert!(
        t.read(CODEX).contains(&format!(
            "[model_providers.byok.http_headers]\n# mine\nX-Mine = \"1\"\nx-portkey-api-key = \"{PORTKEY}\"\n\n"
        )),
        "{}",
        t.read(CODEX)
    );

    // No headers at all: byok's entries go, the user's stay as they were.
    set_headers(&t, "");
    run(&t, &["setup", "claude-code", "codex", "opencode", "--yes"]).success();
    assert!(
        t.read(SETTINGS)
            .contains("\"ANTHROPIC_CUSTOM_HEADERS\": \"X-Mine: 1\""),
        "{}",
        t.read(SETTINGS)
    );
    let codex = t.read(CODEX);
    assert!(
        codex.contains("[model_providers.byok.http_headers]\n# mine\nX-Mine = \"1\"\n"),
        "{codex}"
    );
    assert!(
        !codex.contains("env_http_headers") && !codex.contains(PORTKEY),
        "{codex}"
    );
    assert!(
        !t.read(OPENCODE).contains("headers"),
        "{}",
        t.read(OPENCODE)
    );
    // Remove gives back exactly what the user had.
    run(&t, &["remove", "claude-code", "codex", "--yes"]).success();
    assert_eq!(
        t.read(SETTINGS),
        "{\n  \"env\": {\n    \"ANTHROPIC_CUSTOM_HEADERS\": \"X-Mine: 1\"\n  }\n}\n"
    );
    assert_eq!(
        t.read(CODEX),
        "[model_providers.byok.http_headers]\n# mine\nX-Mine = \"1\"\n"
    );
}

/// JSONC without its comment lines (the file byok creates has none of the user's).
fn strip_comments(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A header whose variable is not set is named; the tool's headers are left as they were.
#[test]
fn issue_12_a_header_variable_not_set_is_named() {
    let mut t = with_headers();
    t.unset("CF_AIG_TOKEN");
    let out = run(&t, &["setup", "claude-code", "--yes"]).success();
    assert!(
        out.stdout.contains(
            "  note: profile `default` reads header `cf-aig-authorization` from $CF_AIG_TOKEN, which is not set, so byok left Claude Code's headers as they were; export CF_AIG_TOKEN and run setup again\n"
        ),
        "{out}"
    );
    assert!(!t.read(SETTINGS).contains("ANTHROPIC_CUSTOM_HEADERS"));
    // OpenCode references the variable, so it needs no value now.
    run(&t, &["setup", "opencode", "--yes"]).success();
    assert!(
        t.read(OPENCODE)
            .contains("\"cf-aig-authorization\": \"{env:CF_AIG_TOKEN}\"")
    );
}

/// In a list item (Qwen Code's model, Droid's custom model) the headers are fields of
/// byok's item; taken out of the profile, they leave it.
#[test]
fn issue_12_headers_in_list_items_come_and_go() {
    let t = with_headers();
    run(&t, &["setup", "qwen-code", "droid", "--yes"]).success();
    let qwen: serde_json::Value = serde_json::from_str(&t.read(".qwen/settings.json")).unwrap();
    assert_eq!(
        qwen["modelProviders"]["openai"][0]["generationConfig"]["customHeaders"],
        serde_json::json!({"cf-aig-authorization": TOKEN, "x-portkey-api-key": PORTKEY, "x-team": "blue"})
    );
    assert_eq!(t.mode(".qwen/settings.json"), 0o600);
    let droid: serde_json::Value = serde_json::from_str(&t.read(".factory/settings.json")).unwrap();
    assert_eq!(
        droid["customModels"][0]["extraHeaders"],
        serde_json::json!({"cf-aig-authorization": TOKEN, "x-portkey-api-key": PORTKEY, "x-team": "blue"})
    );
    set_headers(&t, "");
    run(&t, &["setup", "qwen-code", "droid", "--yes"]).success();
    assert_eq!(
        t.read(".qwen/settings.json"),
        "{\n  \"$version\": 4,\n  \"modelProviders\": {\n    \"openai\": [\n      {\n        \"id\": \"gpt-4o\",\n        \"name\": \"gpt-4o (byok)\",\n        \"baseUrl\": \"https://gw.example.com/v1\",\n        \"envKey\": \"BYOK_QWEN_API_KEY\"\n      }\n    ]\n  },\n  \"security\": {\n    \"auth\": {\n      \"selectedType\": \"openai\"\n    }\n  },\n  \"model\": {\n    \"name\": \"gpt-4o\"\n  }\n}\n"
    );
    assert!(!t.read(".factory/settings.json").contains("extraHeaders"));
}
