//! Gateway presets (`byok init --preset`), extra headers per profile, shared team
//! profiles (`byok profile export|import`) and `ccswitch://` links: exact files, exact
//! warnings and errors, headers seen by a loopback gateway, no key in exported bytes or
//! in any output, and hostile input that writes nothing.

use byok::gateway::mock::{MockGateway, Scenario};

use crate::common::{KEY, Output, TestEnv};

const CONFIG: &str = ".config/byok/config.toml";

/// Runs byok; no output may hold the key.
#[track_caller]
fn run(t: &TestEnv, args: &[&str]) -> Output {
    let out = t.run(args);
    no_key(&out, KEY);
    out
}

#[track_caller]
fn no_key(out: &Output, key: &str) {
    assert!(
        !out.stdout.contains(key) && !out.stderr.contains(key),
        "the key leaked:\n{out}"
    );
}

#[test]
fn every_preset_loads_and_is_listed() {
    let t = TestEnv::new();
    let out = run(&t, &["init", "--list-presets"]).success();
    for p in byok::presets::all() {
        assert!(
            out.stdout.contains(&format!("{:<13} {}\n", p.id, p.name)),
            "{} missing:\n{out}",
            p.id
        );
    }
    for id in [
        "litellm",
        "openrouter",
        "new-api",
        "one-api",
        "portkey",
        "cloudflare",
        "vercel",
        "azure-openai",
        "ollama",
        "lm-studio",
        "vllm",
    ] {
        assert!(byok::presets::find(id).is_ok(), "{id}");
    }
    assert!(!t.exists(CONFIG));
}

#[test]
fn init_preset_openrouter_writes_exact_config() {
    let t = TestEnv::new();
    let out = run(
        &t,
        &[
            "init",
            "--preset",
            "openrouter",
            "--key",
            KEY,
            "--model",
            "anthropic/claude-sonnet-4.5",
        ],
    )
    .success();
    assert_eq!(
        t.read(CONFIG),
        format!(
            r#"# byok gateway profiles, managed by byok (`byok init`, `byok profile`).
# Comments you add here are kept.
default = "default"

[profiles.default]
base_url = "https://openrouter.ai/api"
api_key = "{KEY}"
model = "anthropic/claude-sonnet-4.5"
anthropic_auth = "bearer"
preset = "openrouter"
"#
        )
    );
    assert!(out.stdout.contains("  preset   openrouter ("), "{out}");
    let show = run(&t, &["profile", "show"]).success();
    assert!(
        show.stdout
            .contains("openai           https://openrouter.ai/api/v1\nanthropic        https://openrouter.ai/api\n"),
        "{show}"
    );
}

#[test]
fn presets_that_need_more_refuse_and_write_nothing() {
    let t = TestEnv::new();
    let out = run(
        &t,
        &[
            "init",
            "--preset",
            "azure-openai",
            "--key",
            KEY,
            "--model",
            "m",
        ],
    )
    .code(2);
    assert!(
        out.stderr.starts_with("byok: error: preset `azure-openai` can't be set up: Azure OpenAI takes the key in an `api-key` header"),
        "{out}"
    );
    let out = run(
        &t,
        &[
            "init",
            "--preset",
            "cloudflare",
            "--url",
            "https://gateway.ai.cloudflare.com/v1/acct/gw",
            "--key",
            KEY,
            "--model",
            "m",
        ],
    )
    .code(2);
    assert_eq!(
        out.stderr,
        "byok: error: Cloudflare AI Gateway needs the header cf-aig-authorization\nhint: pass --header 'cf-aig-authorization: env:VAR' (read from $VAR when byok calls the gateway) or --header 'cf-aig-authorization: VALUE'\n"
    );
    let out = run(
        &t,
        &["init", "--preset", "new-api", "--key", KEY, "--model", "m"],
    )
    .code(2);
    assert_eq!(
        out.stderr,
        "byok: error: --url is required: new-api (QuantumNous) has no address of its own\nhint: pass --url https://new-api.example.com\n"
    );
    assert!(!t.exists(CONFIG));
}

#[test]
fn local_presets_store_a_placeholder_key_and_cloudflare_its_bases() {
    let t = TestEnv::new();
    let out = run(
        &t,
        &["init", "--preset", "ollama", "--model", "qwen3-coder"],
    )
    .success();
    assert!(
        out.stderr
            .contains("note: Ollama needs no key here; byok stores a placeholder"),
        "{out}"
    );
    let cfg = t.read(CONFIG);
    assert!(
        cfg.contains("base_url = \"http://localhost:11434\"\napi_key = \"ollama-no-key\"\n"),
        "{cfg}"
    );
    run(
        &t,
        &[
            "init",
            "--name",
            "cf",
            "--preset",
            "cloudflare",
            "--url",
            "https://gateway.ai.cloudflare.com/v1/acct/gw",
            "--key",
            KEY,
            "--model",
            "openai/gpt-4o",
            "--header",
            "cf-aig-authorization: env:CF_AIG_TOKEN",
        ],
    )
    .success();
    let cfg = t.read(CONFIG);
    assert!(
        cfg.contains(
            "openai_base_url = \"https://gateway.ai.cloudflare.com/v1/acct/gw/openai\"\nanthropic_base_url = \"https://gateway.ai.cloudflare.com/v1/acct/gw/anthropic\"\npreset = \"cloudflare\"\nheaders = { cf-aig-authorization = \"env:CF_AIG_TOKEN\" }\n"
        ),
        "{cfg}"
    );
}

#[test]
fn setup_warns_before_configuring_a_tool_on_a_route_the_preset_lacks() {
    let t = TestEnv::new();
    run(
        &t,
        &[
            "init",
            "--preset",
            "one-api",
            "--url",
            "https://one.example.com",
            "--key",
            KEY,
            "--model",
            "gpt-4o",
        ],
    )
    .success();
    let out = run(&t, &["setup", "codex", "--yes"]).success();
    assert!(
        out.stderr.starts_with(
            "warning: Codex CLI calls /v1/responses, which one-api (songquanpeng) does not serve (preset `one-api` serves: models, chat): its requests will fail there\n"
        ),
        "{out}"
    );
    // A tool on a route the preset serves gets no warning.
    let out = run(&t, &["setup", "opencode", "--yes"]).success();
    assert!(!out.stderr.contains("does not serve"), "{out}");
    // Doctor says which route it leaves out, and probes none the preset doesn't claim.
    let out = run(&t, &["doctor", "--quick", "--json", "--timeout", "1"]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let checks = doc["checks"].as_array().unwrap();
    let preset = checks
        .iter()
        .find(|c| c["id"] == "preset.routes")
        .unwrap_or_else(|| panic!("no preset check: {out}"));
    assert_eq!(
        preset["message"],
        "preset `one-api` does not serve https://one.example.com/v1/responses: not probed (setup warns before configuring a tool that needs it)"
    );
    assert!(
        !checks
            .iter()
            .any(|c| c["id"].as_str().is_some_and(|id| id.contains("responses"))),
        "{out}"
    );
}

#[test]
fn headers_are_stored_sent_masked_and_warned_about() {
    let mock = MockGateway::start(Scenario::new(KEY)).unwrap();
    let mut t = TestEnv::new();
    let token = "cf-token-secret-0123456789";
    t.set("CF_AIG_TOKEN", token);
    let out = run(
        &t,
        &[
            "init",
            "--url",
            &mock.url(),
            "--key",
            KEY,
            "--model",
            "gpt-4o",
            "--check",
            "--header",
            "cf-aig-authorization: env:CF_AIG_TOKEN",
            "--header",
            "X-Team: blue",
            "--header",
            "x-portkey-api-key: pk-literal-0123456789",
        ],
    )
    .success();
    no_key(&out, token);
    no_key(&out, "pk-literal-0123456789");
    let cfg = t.read(CONFIG);
    assert!(
        cfg.contains("headers = { cf-aig-authorization = \"env:CF_AIG_TOKEN\", x-portkey-api-key = \"pk-literal-0123456789\", x-team = \"blue\" }\n"),
        "{cfg}"
    );
    let out = run(&t, &["key", "test"]).success();
    no_key(&out, token);
    let reqs = mock.requests();
    let models: Vec<_> = reqs
        .iter()
        .filter(|r| r.path.ends_with("/models"))
        .collect();
    assert_eq!(models.len(), 2, "{reqs:?}");
    for r in models {
        assert_eq!(r.header("cf-aig-authorization"), Some(token));
        assert_eq!(r.header("x-team"), Some("blue"));
        assert_eq!(r.header("x-portkey-api-key"), Some("pk-literal-0123456789"));
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
    }
    // Doctor probes the gateway with them too.
    let before = mock.requests().len();
    let out = run(&t, &["doctor", "--quick"]);
    no_key(&out, token);
    let reqs = mock.requests();
    assert!(reqs.len() > before, "doctor sent nothing: {out}");
    for r in &reqs[before..] {
        assert_eq!(r.header("x-team"), Some("blue"), "{} {}", r.method, r.path);
        assert_eq!(r.header("cf-aig-authorization"), Some(token));
    }
    let show = run(&t, &["profile", "show"]).success();
    assert!(
        show.stdout.contains(
            "header           cf-aig-authorization: env:CF_AIG_TOKEN\nheader           x-portkey-api-key: pk-…6789\nheader           x-team: blue\n"
        ),
        "{show}"
    );
    // A tool that can send them gets them (tests/cli/headers.rs); one that can't is named.
    let out = run(&t, &["setup", "zed", "--yes"]).success();
    assert!(
        out.stderr.contains(
            "warning: Zed can't be given the profile's extra headers (cf-aig-authorization, x-portkey-api-key, x-team): its requests will go without them\n"
        ),
        "{out}"
    );
    let out = run(&t, &["setup", "claude-code", "--yes"]).success();
    assert!(!out.stderr.contains("extra headers"), "{out}");
    // A reference to an unset variable is a clear error, not a request without it.
    t.unset("CF_AIG_TOKEN");
    let out = run(&t, &["key", "test"]).code(1);
    assert!(
        out.stderr
            .contains("header `cf-aig-authorization` reads $CF_AIG_TOKEN, which is not set"),
        "{out}"
    );
    let out = run(
        &t,
        &[
            "init", "--name", "x", "--url", "http://h", "--key", KEY, "--model", "m", "--header",
            "no colon",
        ],
    )
    .code(2);
    assert!(
        out.stderr.starts_with("byok: error: --header needs a `:`"),
        "{out}"
    );
}

#[test]
fn export_import_round_trip_carries_no_key() {
    let t = TestEnv::new();
    run(
        &t,
        &[
            "init",
            "--name",
            "team",
            "--preset",
            "litellm",
            "--url",
            "https://llm.corp.example",
            "--key",
            KEY,
            "--model",
            "gpt-4o",
            "--anthropic-model",
            "claude-sonnet-4-5",
            "--header",
            "x-team: blue",
            "--header",
            "x-gw-token: env:GW_TOKEN",
        ],
    )
    .success();
    let out = run(&t, &["profile", "export", "team", "--output", "team.toml"]).success();
    assert_eq!(
        out.stderr,
        "wrote profile `team` (no key) to team.toml\nnote: the key itself is left out: each teammate gives theirs on import (key_store = \"file\")\nnote: header `x-team` holds a value, not an env:VAR reference: left out; teammates add it with `byok profile import … --header 'x-team: …'`\n"
    );
    let bytes = std::fs::read(t.root().join("team.toml")).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert!(!text.contains(KEY) && !text.contains("sk-"), "{text}");
    assert_eq!(
        text,
        r#"# byok shared profile: import with `byok profile import FILE`.
# It holds no key; key_store says where each teammate keeps theirs.
name = "team"
base_url = "https://llm.corp.example"
model = "gpt-4o"
anthropic_model = "claude-sonnet-4-5"
anthropic_auth = "bearer"
preset = "litellm"
key_store = "file"

[headers]
x-gw-token = "env:GW_TOKEN"
"#
    );

    // A teammate's home: without a terminal byok can't ask, so --key is needed.
    let mate = TestEnv::new();
    std::fs::copy(t.root().join("team.toml"), mate.root().join("team.toml")).unwrap();
    let out = run(&mate, &["profile", "import", "team.toml"]).code(2);
    assert_eq!(
        out.stderr,
        "byok: error: the profile needs your key (kept in byok's config file), and stdin is not a terminal, so byok can't ask\nhint: pass --key KEY, or --key-env VAR / --key-command COMMAND to keep it elsewhere\n"
    );
    assert!(!mate.exists(CONFIG));
    let mine = "sk-mate-9876543210zyx";
    let out = mate
        .run(&[
            "profile",
            "import",
            "team.toml",
            "--key",
            mine,
            "--header",
            "x-team: blue",
        ])
        .success();
    no_key(&out, mine);
    assert_eq!(
        out.stdout,
        "Imported profile `team` (default) to ~/.config/byok/config.toml\n  gateway  https://llm.corp.example\n  key      sk-…0zyx\n  model    gpt-4o\n"
    );
    let cfg = mate.read(CONFIG);
    assert!(
        cfg.ends_with(&format!(
            "[profiles.team]\nbase_url = \"https://llm.corp.example\"\napi_key = \"{mine}\"\nmodel = \"gpt-4o\"\nanthropic_model = \"claude-sonnet-4-5\"\nanthropic_auth = \"bearer\"\npreset = \"litellm\"\nheaders = {{ x-gw-token = \"env:GW_TOKEN\", x-team = \"blue\" }}\n"
        )),
        "{cfg}"
    );
    // Importing again needs --yes; stdin works too.
    let out = run(&mate, &["profile", "import", "team.toml", "--key", mine]).code(2);
    assert_eq!(
        out.stderr,
        "byok: error: profile `team` already exists\nhint: pass --yes to replace it, or --name to import it under another name\n"
    );
    let out = mate
        .run_stdin(
            &[
                "profile",
                "import",
                "-",
                "--name",
                "team2",
                "--key-env",
                "GW_KEY",
            ],
            &text,
        )
        .success();
    assert!(out.stdout.contains("  key      from $GW_KEY\n"), "{out}");
}

#[test]
fn an_env_profile_exports_its_variable_and_imports_without_asking() {
    let t = TestEnv::new();
    run(
        &t,
        &[
            "init",
            "--url",
            "https://gw.example.com",
            "--key-env",
            "GATEWAY_KEY",
            "--model",
            "gpt-4o",
        ],
    )
    .success();
    let out = run(&t, &["profile", "export"]).success();
    assert!(
        out.stdout
            .contains("key_store = \"env\"\nkey_env = \"GATEWAY_KEY\"\n"),
        "{out}"
    );
    let mate = TestEnv::new();
    let out = mate
        .run_stdin(&["profile", "import", "-"], &out.stdout)
        .success();
    assert!(
        out.stdout.contains("  key      from $GATEWAY_KEY\n"),
        "{out}"
    );
}

#[test]
fn bad_shared_files_name_file_line_and_column_and_write_nothing() {
    let t = TestEnv::new();
    let cases = [
        (
            "base_url = \"https://gw.example.com\"\napi_key = \"sk-smuggled-123456\"\n",
            "team.toml:2:1: unknown field `api_key`",
        ),
        (
            "base_url = \"ftp://gw.example.com\"\n",
            "team.toml:1:12: base_url:",
        ),
        ("base_url = \"https://gw\"\nmodel = [\n", "team.toml:2:"),
        (
            "base_url = \"https://gw\"\n[headers]\nx-api-key = \"sk-literal-12345\"\n",
            "team.toml:3:13: headers.x-api-key holds a credential",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(t.root().join("team.toml"), text).unwrap();
        let out = t
            .run(&["profile", "import", "team.toml", "--key", KEY])
            .code(2);
        assert!(
            out.stderr.starts_with(&format!("byok: error: {want}")),
            "{want}:\n{out}"
        );
        assert!(
            !out.stderr.contains("sk-smuggled") && !out.stderr.contains("sk-literal"),
            "{out}"
        );
        assert!(!t.exists(CONFIG));
    }
}

const LINK: &str = "ccswitch://v1/import?resource=provider&app=claude&name=Acme%20Relay&endpoint=https%3A%2F%2Frelay.example.com&apiKey=sk-link-0123456789abcdef&model=claude-sonnet-4-5&haikuModel=claude-haiku-4-5";
const LINK_KEY: &str = "sk-link-0123456789abcdef";

#[test]
fn a_ccswitch_link_becomes_a_profile_and_never_echoes_its_key() {
    let t = TestEnv::new();
    let out = t.run(&["profile", "import", LINK]).success();
    no_key(&out, LINK_KEY);
    assert_eq!(
        out.stdout,
        "Imported profile `acme-relay` from a ccswitch link (app claude) (default) to ~/.config/byok/config.toml\n  gateway  https://relay.example.com\n  key      sk-…cdef\n  model    claude-sonnet-4-5\n"
    );
    assert!(
        t.read(CONFIG).ends_with(&format!(
            "[profiles.acme-relay]\nbase_url = \"https://relay.example.com\"\napi_key = \"{LINK_KEY}\"\nanthropic_model = \"claude-sonnet-4-5\"\nsmall_model = \"claude-haiku-4-5\"\nanthropic_auth = \"bearer\"\n"
        ))
    );
    // The credential store, through init --from-link.
    let mut t = TestEnv::new();
    let store = t.root().join("keychain.json");
    t.set("BYOK_TEST_KEYCHAIN", store.display().to_string());
    let out = t
        .run(&[
            "init",
            "--from-link",
            LINK,
            "--key-store",
            "keychain",
            "--name",
            "relay",
        ])
        .success();
    no_key(&out, LINK_KEY);
    assert!(!t.read(CONFIG).contains(LINK_KEY));
    assert!(t.read(CONFIG).contains("api_key_keychain = true\n"));
    assert!(std::fs::read_to_string(store).unwrap().contains(LINK_KEY));
}

#[test]
fn hostile_links_exit_2_with_their_error_and_write_nothing() {
    let big = format!("{LINK}&notes={}", "x".repeat(3000));
    let huge = format!("{LINK}&notes={}", "x".repeat(9000));
    let cases: Vec<(String, &str)> = vec![
        (
            LINK.replace("ccswitch://", "ccswitchx://"),
            "ccswitch link: the link's scheme is `ccswitchx`, not ccswitch://",
        ),
        (
            LINK.replace("resource=provider", "resource=mcp"),
            "ccswitch link: the link imports a `mcp`; byok imports only providers (resource=provider)",
        ),
        (
            LINK.replace("&endpoint=https%3A%2F%2Frelay.example.com", ""),
            "ccswitch link: the link has no `endpoint`",
        ),
        (
            LINK.replace(&format!("&apiKey={LINK_KEY}"), ""),
            "ccswitch link: the link has no `apiKey`",
        ),
        (
            format!("{LINK}&config=eyJlbnYiOnt9fQ%3D%3D&configFormat=json"),
            "ccswitch link: the link carries `config` (a whole tool config); byok imports only endpoint, apiKey and models",
        ),
        (
            format!("{LINK}&configUrl=https%3A%2F%2Fevil.example%2Fc.json"),
            "ccswitch link: the link carries `configUrl` (a whole tool config); byok imports only endpoint, apiKey and models",
        ),
        (
            big,
            "ccswitch link: `notes` in the link is 3000 bytes long; byok reads values up to 2048 bytes",
        ),
        (
            huge,
            "ccswitch link: the link is 9199 bytes long; byok reads links up to 8192 bytes",
        ),
        (
            LINK.replace("model=claude-sonnet", "model=claude%0Asonnet"),
            "ccswitch link: `model` in the link holds a line break or another control character",
        ),
        (
            LINK.replace("https%3A%2F%2Frelay", "file%3A%2F%2Frelay"),
            "ccswitch link: `endpoint` in the link is not an http(s) URL",
        ),
        (
            LINK.replace("app=claude", "app=opencode"),
            "ccswitch link: the link is for app `opencode`; byok reads claude, codex and gemini links",
        ),
    ];
    for (link, want) in cases {
        let t = TestEnv::new();
        let out = t.run(&["profile", "import", &link]).code(2);
        no_key(&out, LINK_KEY);
        assert!(
            out.stderr
                .starts_with(&format!("byok: error: {want}\nhint: nothing was written")),
            "{want}:\n{out}"
        );
        assert_eq!(t.tree(), Vec::<String>::new(), "{want}");
    }
}
