//! Goose and Crush (template tools that write files: exact text after setup, idempotence,
//! drift, `remove` giving the user's bytes back, paths per OS) and the tools byok can
//! only list steps for (Claude Desktop, JetBrains AI, Trae, Warp: exact steps, nothing
//! written, Warp's warning for a gateway its servers can't reach, detection per OS).

use crate::common::{KEY, TestEnv, fixture, no_key};

const URL: &str = "https://gw.example.com";
const GOOSE_YAML: &str = ".config/goose/config.yaml";
const GOOSE_JSON: &str = ".config/goose/custom_providers/byok.json";
const CRUSH: &str = ".config/crush/crush.json";

/// byok's provider file for a profile whose key Goose reads from `var`.
fn goose_provider(var: &str) -> String {
    format!(
        "{{\n  \"name\": \"byok\",\n  \"engine\": \"openai\",\n  \"display_name\": \"byok (default)\",\n  \"description\": \"Your gateway, set up by byok\",\n  \"api_key_env\": \"{var}\",\n  \"base_url\": \"https://gw.example.com/v1/chat/completions\",\n  \"models\": [\n    {{\n      \"name\": \"gpt-4o\",\n      \"context_limit\": 128000\n    }}\n  ]\n}}\n"
    )
    .replace(
        "\n  ]\n}",
        "\n  ],\n  \"supports_streaming\": true\n}",
    )
}

#[test]
fn goose_selects_byok_in_a_real_config_and_remove_gives_it_back() {
    let t = TestEnv::new();
    t.init(URL);
    let original = fixture("goose/real/config.yaml");
    t.write(GOOSE_YAML, &original);
    let out = no_key(t.run(&["setup", "goose", "--yes"]).success());
    assert!(
        out.stdout.contains(
            "  note: replaces your config.yaml GOOSE_PROVIDER (anthropic); `byok remove goose` puts it back\n"
        ) && out.stdout.contains(
            "  note: Goose reads the key from $OPENAI_API_KEY (environment first, then its keyring), never from a file: `byok env --install` exports it with this profile's key\n"
        ),
        "{out}"
    );
    assert_eq!(
        t.read(GOOSE_YAML),
        original
            .replace("GOOSE_PROVIDER: anthropic", "GOOSE_PROVIDER: byok")
            .replace("GOOSE_MODEL: claude-sonnet-4-5 ", "GOOSE_MODEL: gpt-4o ")
    );
    assert_eq!(t.read(GOOSE_JSON), goose_provider("OPENAI_API_KEY"));
    assert!(!t.read(GOOSE_JSON).contains(KEY), "no key in Goose's files");
    assert_eq!(
        t.run(&["setup", "goose", "--yes"]).success().stdout,
        "Goose\n  up to date\n"
    );
    // A hand edit of a value byok wrote is drift.
    t.write(
        GOOSE_YAML,
        t.read(GOOSE_YAML)
            .replace("GOOSE_MODEL: gpt-4o", "GOOSE_MODEL: gpt-4.1"),
    );
    let det = t.run(&["detect"]).success();
    assert!(
        det.stdout
            .contains("drifted: changed by hand: config.yaml GOOSE_MODEL\n"),
        "{det}"
    );
    t.write(
        GOOSE_YAML,
        t.read(GOOSE_YAML)
            .replace("GOOSE_MODEL: gpt-4.1", "GOOSE_MODEL: gpt-4o"),
    );
    no_key(t.run(&["remove", "goose", "--yes"]).success());
    assert_eq!(t.read(GOOSE_YAML), original);
    assert!(!t.exists(GOOSE_JSON), "byok created it");
}

#[test]
fn goose_names_the_profiles_variable_on_every_layout() {
    for (os, dir) in [
        ("linux", ".config/goose"),
        ("macos", ".config/goose"),
        ("windows", "AppData/Roaming/Block/goose/config"),
    ] {
        let mut t = TestEnv::new();
        t.set("BYOK_OS", os);
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
        t.set("GW_KEY", KEY);
        no_key(t.run(&["setup", "goose", "--yes"]).success());
        assert_eq!(
            t.read(&format!("{dir}/custom_providers/byok.json")),
            goose_provider("GW_KEY"),
            "{os}"
        );
        assert_eq!(
            t.read(&format!("{dir}/config.yaml")),
            "GOOSE_PROVIDER: byok\nGOOSE_MODEL: gpt-4o\n",
            "{os}"
        );
        let det = t.run(&["detect"]).success();
        assert!(
            det.stdout.contains(&format!("config dir ~/{dir}\n")),
            "{os}: {det}"
        );
        t.run(&["remove", "goose", "--yes"]).success();
        assert!(
            t.tree().iter().all(|p| !p.contains("goose")),
            "{os}: {:?}",
            t.tree()
        );
    }
}

#[test]
fn goose_doctor_names_variables_that_win_over_its_config() {
    let mut t = TestEnv::new();
    // Doctor probes the gateway: a closed loopback port, never the network.
    t.init("http://127.0.0.1:1");
    no_key(t.run(&["setup", "goose", "--yes"]).success());
    t.set("GOOSE_PROVIDER", "anthropic");
    t.set("GOOSE_PATH_ROOT", t.home().join("g").display().to_string());
    let out = no_key(t.run(&["doctor", "--quick", "--timeout", "1"]));
    for want in [
        "GOOSE_PROVIDER=anthropic is set in the environment and wins over Goose's config.yaml\n",
        "GOOSE_PATH_ROOT is set, so Goose reads ~/g/config instead of the files byok wrote\n",
        "$OPENAI_API_KEY is not set in this shell, so Goose started here looks for the key in its keyring\n",
    ] {
        assert!(out.stdout.contains(want), "missing {want:?}:\n{out}");
    }
}

#[test]
fn crush_adds_its_provider_to_a_real_config_and_remove_gives_it_back() {
    let t = TestEnv::new();
    t.init(URL);
    let original = fixture("crush/real/crush.json");
    t.write(CRUSH, &original);
    no_key(
        t.run(&["setup", "crush", "--key-mode", "literal", "--yes"])
            .success(),
    );
    let want = original
        .replace(
            "      ]\n    }\n  },\n  \"models\"",
            &format!(
                "      ]\n    }},\n    \"byok\": {{\n      \"name\": \"byok\",\n      \"type\": \"openai-compat\",\n      \"base_url\": \"https://gw.example.com/v1\",\n      \"api_key\": \"{KEY}\",\n      \"models\": [\n        {{\n          \"id\": \"gpt-4o\",\n          \"name\": \"gpt-4o\",\n          \"context_window\": 128000\n        }}\n      ]\n    }}\n  }},\n  \"models\""
            ),
        )
        .replace(
            "{ \"model\": \"claude-sonnet-4-5\", \"provider\": \"anthropic\",",
            "{ \"model\": \"gpt-4o\", \"provider\": \"byok\",",
        )
        .replace(
            "{ \"model\": \"qwen2.5-coder:7b\", \"provider\": \"ollama\" }",
            "{ \"model\": \"gpt-4o\", \"provider\": \"byok\" }",
        );
    assert_eq!(t.read(CRUSH), want);
    #[cfg(unix)]
    assert_eq!(t.mode(CRUSH), 0o600, "it holds the key");
    assert_eq!(
        t.run(&["setup", "crush", "--key-mode", "literal", "--yes"])
            .success()
            .stdout,
        "Crush\n  up to date\n"
    );
    t.write(
        CRUSH,
        t.read(CRUSH)
            .replace("https://gw.example.com/v1", "https://other.example.com/v1"),
    );
    let det = t.run(&["detect"]).success();
    assert!(
        det.stdout
            .contains("drifted: changed by hand: crush.json providers.byok.base_url\n"),
        "{det}"
    );
    t.write(
        CRUSH,
        t.read(CRUSH)
            .replace("https://other.example.com/v1", "https://gw.example.com/v1"),
    );
    let out = no_key(t.run(&["remove", "crush", "--yes"]).success());
    assert!(
        out.stdout.contains(
            "  note: puts back your earlier crush.json models.large.model (claude-sonnet-4-5)\n"
        ),
        "{out}"
    );
    assert_eq!(t.read(CRUSH), original);
}

#[test]
fn crush_references_an_env_key_or_runs_byok_for_it() {
    let mut t = TestEnv::new();
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
    t.set("GW_KEY", KEY);
    no_key(t.run(&["setup", "crush", "--yes"]).success());
    let text = t.read(CRUSH);
    assert!(
        text.starts_with("{\n  \"$schema\": \"https://charm.land/crush.json\",\n  \"providers\": {\n    \"byok\": {")
            && text.contains("      \"api_key\": \"$GW_KEY\",\n"),
        "{text}"
    );
    t.run(&["remove", "crush", "--yes"]).success();
    assert!(!t.exists(CRUSH));

    t.init(URL);
    no_key(
        t.run(&["setup", "crush", "--yes", "--key-mode", "helper"])
            .success(),
    );
    let text = t.read(CRUSH);
    let line = text
        .lines()
        .find(|l| l.contains("\"api_key\""))
        .unwrap()
        .to_string();
    assert!(
        line.starts_with("      \"api_key\": \"$('")
            && line.ends_with("' --profile 'default' print-key)\","),
        "{line}"
    );
    assert!(!text.contains(KEY));
}

#[test]
fn crush_doctor_finds_a_ui_key_and_a_crushrc_that_win() {
    let t = TestEnv::new();
    t.init("http://127.0.0.1:1");
    no_key(t.run(&["setup", "crush", "--yes"]).success());
    t.write(
        ".local/share/crush/crush.json",
        "{\n  \"providers\": { \"byok\": { \"api_key\": \"sk-old-typed-in-ui\" } }\n}\n",
    );
    t.write(
        ".config/crush/crushrc",
        "# my crush\nprovider add anthropic --type anthropic\nmodel large anthropic/claude-sonnet-4-5\n",
    );
    let out = t.run(&["doctor", "--quick", "--timeout", "1"]);
    for want in [
        "~/.local/share/crush/crush.json sets providers.byok.api_key, which wins over the config byok wrote\n",
        "~/.config/crush/crushrc runs `model large anthropic/claude-sonnet-4-5`, which wins over the crush.json byok wrote\n",
    ] {
        assert!(out.stdout.contains(want), "missing {want:?}:\n{out}");
    }
    assert!(!out.stdout.contains("sk-old-typed-in-ui"), "{out}");
}

/// Setup of a steps-only tool as the user sees it, with the home byte for byte the same.
fn steps(t: &TestEnv, tool: &str) -> String {
    let before: Vec<(String, Option<Vec<u8>>)> = t
        .tree()
        .into_iter()
        .map(|p| (p.clone(), t.read_bytes(&p)))
        .collect();
    let out = no_key(t.run(&["setup", tool, "--yes"]).success());
    let after: Vec<(String, Option<Vec<u8>>)> = t
        .tree()
        .into_iter()
        .map(|p| (p.clone(), t.read_bytes(&p)))
        .collect();
    assert_eq!(
        before
            .iter()
            .filter(|(p, _)| !p.ends_with("byok/lock"))
            .collect::<Vec<_>>(),
        after
            .iter()
            .filter(|(p, _)| !p.ends_with("byok/lock"))
            .collect::<Vec<_>>(),
        "{tool}: steps only, yet something was written"
    );
    out.stdout
}

#[test]
fn steps_only_tools_print_exact_steps_and_write_nothing() {
    let t = TestEnv::new();
    t.init(URL);
    assert_eq!(
        steps(&t, "jetbrains-ai"),
        "JetBrains AI\n  cannot be set up automatically\n  still to do by hand:\n    1. In the IDE: Settings → Tools → AI Assistant → Providers & API keys (or AI Chat → Use API Key or Local Models)\n    2. Add a third-party provider of type OpenAI-compatible with URL https://gw.example.com/v1\n    3. API key: sk-…cdef\n    4. Pick model gpt-4o for chat (and for completion, if you want it there too)\n"
    );
    assert_eq!(
        steps(&t, "trae"),
        "Trae\n  cannot be set up automatically\n  still to do by hand:\n    1. In Trae: Settings → Models → Add Model → Custom Config\n    2. API Format: OpenAI Chat Completions\n    3. Custom Request URL: https://gw.example.com/v1 with \"Full URL\" off (Trae adds /chat/completions)\n    4. Model ID: gpt-4o\n    5. API Key: sk-…cdef\n"
    );
    assert_eq!(
        steps(&t, "warp"),
        "Warp\n  cannot be set up automatically\n  still to do by hand:\n    1. In Warp: Settings → AI → Custom inference endpoint → add an endpoint\n    2. Endpoint URL: https://gw.example.com/v1 (OpenAI Chat Completions)\n    3. API key: sk-…cdef\n    4. Model: gpt-4o\n"
    );
    assert_eq!(
        steps(&t, "claude-desktop"),
        "Claude Desktop\n  cannot be set up automatically\n  note: Claude Desktop has no Linux release (macOS and Windows only), so there is nothing to set up here\n"
    );
    // --show-key shows the key in the steps, and only there.
    let shown = t.run(&["setup", "trae", "--yes", "--show-key"]).success();
    assert!(
        shown.stdout.contains(&format!("    5. API Key: {KEY}\n")),
        "{shown}"
    );
    // Nothing was recorded, so there is nothing to take out or restore.
    for tool in ["jetbrains-ai", "trae", "warp", "claude-desktop"] {
        let out = t.run(&["remove", tool, "--yes"]).success();
        assert!(
            out.stdout.ends_with("  nothing of byok's to remove\n"),
            "{tool}: {out}"
        );
    }
    assert_eq!(
        t.run(&["restore", "--yes"]).success().stdout,
        "nothing to restore\n"
    );
}

#[test]
fn warp_warns_that_its_servers_cannot_reach_a_local_gateway() {
    let t = TestEnv::new();
    t.init("http://127.0.0.1:4000");
    let out = steps(&t, "warp");
    assert!(
        out.contains(
            "  note: Warp sends requests from its own servers, so http://127.0.0.1:4000/v1 (a loopback address) can't work there: give Warp a public HTTPS URL for the gateway\n"
        ),
        "{out}"
    );
    let t = TestEnv::new();
    t.init("http://192.168.1.20:4000");
    assert!(steps(&t, "warp").contains("(a private-network address) can't work there"));
}

#[test]
fn claude_desktop_steps_follow_the_auth_style_on_macos_and_windows() {
    for os in ["macos", "windows"] {
        let mut t = TestEnv::new();
        t.set("BYOK_OS", os);
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
        assert_eq!(
            steps(&t, "claude-desktop"),
            "Claude Desktop\n  cannot be set up automatically\n  still to do by hand:\n    1. In Claude Desktop: Help → Troubleshooting → Enable Developer Mode\n    2. Developer → Configure Third-Party Inference → Inference provider: Gateway\n    3. Gateway base URL: https://gw.example.com (the root: Claude Desktop adds /v1/messages)\n    4. API key: sk-…cdef\n    5. Auth scheme: x-api-key; apply, then quit and reopen Claude Desktop\n",
            "{os}"
        );
    }
}

#[test]
fn steps_only_tools_are_detected_where_each_os_keeps_them() {
    for (os, tool, dir) in [
        ("linux", "JetBrains AI", ".config/JetBrains"),
        (
            "macos",
            "JetBrains AI",
            "Library/Application Support/JetBrains",
        ),
        ("windows", "JetBrains AI", "AppData/Roaming/JetBrains"),
        ("linux", "Trae", ".config/Trae"),
        ("macos", "Trae", "Library/Application Support/Trae"),
        ("windows", "Trae", "AppData/Roaming/Trae"),
        ("linux", "Warp", ".config/warp-terminal"),
        ("macos", "Warp", ".warp"),
        ("windows", "Warp", "AppData/Local/warp/Warp"),
        (
            "macos",
            "Claude Desktop",
            "Library/Application Support/Claude",
        ),
        ("windows", "Claude Desktop", "AppData/Roaming/Claude"),
    ] {
        let mut t = TestEnv::new();
        t.set("BYOK_OS", os);
        t.init("http://127.0.0.1:1");
        std::fs::create_dir_all(t.home().join(dir)).unwrap();
        let det = t.run(&["detect"]).success();
        let line = det
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{tool} ")))
            .unwrap_or_else(|| panic!("{os} {tool}: {det}"));
        assert!(line.contains("manual setup only"), "{os} {tool}: {det}");
        assert!(
            det.stdout.contains(&format!("config dir ~/{dir}\n")),
            "{os} {tool}: {det}"
        );
        let doctor = t.run(&["doctor", "--quick", "--timeout", "1"]);
        assert!(
            doctor
                .stdout
                .contains("byok cannot write its settings here"),
            "{os} {tool}: {doctor}"
        );
    }
}
