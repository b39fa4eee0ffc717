//! Keys out of plain files (issue 12): the OS credential store (through its test double,
//! `BYOK_TEST_KEYCHAIN`, and a real Secret Service when one is reachable), key commands
//! and their failure modes, `byok key set | show | test | rotate`, and rotation as one
//! all-or-nothing step over the tools that hold a copy of the key.

use byok::gateway::mock::{MockGateway, Scenario};

use crate::common::{KEY, Output, TestEnv};

const NEW: &str = "sk-rotated-9876543210zyxw";
const URL: &str = "http://127.0.0.1:9";

/// Fails when the key, or the new one, shows in any output.
#[track_caller]
fn no_key(out: Output) -> Output {
    for k in [KEY, NEW] {
        assert!(
            !out.stdout.contains(k) && !out.stderr.contains(k),
            "a key leaked:\n{out}"
        );
    }
    out
}

/// A home whose credential store is the test double.
fn with_keychain() -> TestEnv {
    let mut t = TestEnv::new();
    let store = t.root().join("keychain.json").display().to_string();
    t.set("BYOK_TEST_KEYCHAIN", store);
    t
}

fn keychain_file(t: &TestEnv) -> String {
    std::fs::read_to_string(t.root().join("keychain.json")).unwrap()
}

#[test]
fn init_keeps_the_key_in_the_credential_store_not_the_config() {
    let t = with_keychain();
    let out = no_key(t.run(&[
        "init",
        "--url",
        URL,
        "--key",
        KEY,
        "--key-store",
        "keychain",
        "--model",
        "m",
        "--yes",
    ]))
    .success();
    let store = "[ROOT]/keychain.json";
    assert!(
        out.stdout
            .contains(&format!("key      sk-…cdef, in the key file {store}")),
        "{out}"
    );
    assert_eq!(
        t.read(".config/byok/config.toml"),
        "# byok gateway profiles, managed by byok (`byok init`, `byok profile`).\n\
         # Comments you add here are kept.\n\
         default = \"default\"\n\n\
         [profiles.default]\n\
         base_url = \"http://127.0.0.1:9\"\n\
         api_key_keychain = true\n\
         model = \"m\"\n\
         anthropic_auth = \"bearer\"\n"
    );
    assert_eq!(
        keychain_file(&t),
        format!("{{\n  \"default\": \"{KEY}\"\n}}\n")
    );
    let mode = std::fs::metadata(t.root().join("keychain.json")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o600
    );
    assert_eq!(t.run(&["print-key"]).success().stdout, format!("{KEY}\n"));
    let show = no_key(t.run(&["key", "show"])).success();
    assert_eq!(
        show.stdout,
        format!("profile  default\nkey      sk-…cdef\nfrom     the key file {store}\n")
    );
    // A tool that can run a key command gets one (the key stays out of its files); one
    // that can't gets the key read from the store, in a 0600 file.
    let out = no_key(t.run(&["setup", "codex", "--yes"])).success();
    assert!(
        out.stdout
            .contains("  key: a key command (`byok print-key`): no copy in its files\n"),
        "{out}"
    );
    assert!(!t.exists(".codex/.env"));
    assert!(t.read(".codex/config.toml").contains("print-key"));
    let out = no_key(t.run(&["setup", "opencode", "--yes"])).success();
    assert!(
        out.stdout
            .contains("  key: a copy of it, in a file only you can read (0600)\n"),
        "{out}"
    );
    assert!(t.read(".config/opencode/opencode.jsonc").contains(KEY));
    let json = t.run(&["detect", "--json"]).success().stdout;
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let form = |id: &str| {
        doc["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .unwrap()["key_form"]
            .clone()
    };
    assert_eq!(form("codex"), "command");
    assert_eq!(form("opencode"), "copy");
    assert_eq!(form("claude-code"), serde_json::Value::Null);
}

#[test]
fn an_unreachable_credential_store_is_named_and_nothing_is_saved() {
    // The harness clears the environment: no D-Bus session, so no Secret Service.
    let t = TestEnv::new();
    let out = no_key(t.run(&[
        "init",
        "--url",
        URL,
        "--key",
        KEY,
        "--key-store",
        "keychain",
        "--model",
        "m",
        "--yes",
    ]))
    .code(2);
    assert!(out.stderr.contains("is not reachable here"), "{out}");
    assert!(
        out.stderr.contains(
            "hint: keep the key elsewhere: an environment variable (--key-env VAR), a command that prints it (--key-command 'op read …'), or byok's config file, mode 0600 (--key)"
        ),
        "{out}"
    );
    assert!(!t.exists(".config/byok/config.toml"));
}

/// A real Secret Service, when this machine has one: store, read back, delete.
#[test]
fn a_real_secret_service_when_one_is_reachable() {
    let Ok(bus) = std::env::var("DBUS_SESSION_BUS_ADDRESS") else {
        eprintln!(
            "skipped: no D-Bus session (DBUS_SESSION_BUS_ADDRESS unset), so no Secret Service to test against"
        );
        return;
    };
    let mut t = TestEnv::new();
    t.set("DBUS_SESSION_BUS_ADDRESS", bus);
    let name = format!("byok-test-{}", std::process::id());
    let out = t.run(&[
        "init",
        "--name",
        &name,
        "--url",
        URL,
        "--key",
        KEY,
        "--key-store",
        "keychain",
        "--model",
        "m",
        "--yes",
    ]);
    if out.code == 2 && out.stderr.contains("is not reachable here") {
        eprintln!(
            "skipped: a D-Bus session but no Secret Service on it:\n{}",
            out.stderr
        );
        return;
    }
    out.success();
    assert_eq!(
        t.run(&["--profile", &name, "print-key"]).success().stdout,
        format!("{KEY}\n")
    );
    // Moving the key back to the file deletes byok's credential-store entry.
    t.run(&[
        "--profile",
        &name,
        "key",
        "set",
        "--key",
        KEY,
        "--key-store",
        "file",
    ])
    .success();
}

/// A key command: its output's first line is the key; each failure is named.
#[test]
fn key_commands_print_the_key_or_fail_clearly() {
    let t = TestEnv::new();
    let script = t.write(
        "bin/get-key",
        format!("#!/bin/sh\necho \"  {KEY}  \"\necho second line\n"),
    );
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut std::fs::metadata(&script).unwrap().permissions(),
        0o755,
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let cmd = format!("'{}' --vault 'My Vault'", script.display());
    no_key(t.run(&[
        "init",
        "--url",
        URL,
        "--key-command",
        &cmd,
        "--model",
        "m",
        "--yes",
    ]))
    .success();
    assert!(
        t.read(".config/byok/config.toml").contains(&format!(
            "api_key_command = \"{}\"",
            cmd.replace('"', "\\\"")
        )),
        "{}",
        t.read(".config/byok/config.toml")
    );
    assert_eq!(t.run(&["print-key"]).success().stdout, format!("{KEY}\n"));

    for (name, body, why) in [
        (
            "fails",
            "#!/bin/sh\necho locked >&2\nexit 1\n",
            "failed (exit status: 1)",
        ),
        ("silent", "#!/bin/sh\nexit 0\n", "printed nothing"),
    ] {
        let p = t.write(&format!("bin/{name}"), body);
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let cmd = p.display().to_string();
        let shown = format!("[HOME]/bin/{name}");
        t.run(&[
            "init",
            "--name",
            name,
            "--url",
            URL,
            "--key-command",
            &cmd,
            "--model",
            "m",
            "--no-default",
            "--yes",
        ])
        .success();
        let out = t.run(&["--profile", name, "print-key"]).code(2);
        assert_eq!(out.stdout, "", "print-key prints only a key");
        assert!(
            out.stderr
                .contains(&format!("the key command `{shown}` {why}")),
            "{name}: {out}"
        );
    }
    let out = t
        .run(&[
            "init",
            "--name",
            "bad",
            "--url",
            URL,
            "--key-command",
            "op read 'unclosed",
            "--model",
            "m",
            "--yes",
        ])
        .code(2);
    assert!(
        out.stderr
            .contains("key command `op read 'unclosed`: missing closing quote"),
        "{out}"
    );
}

/// `key set` moves the key between stores; `key test` asks the gateway.
#[test]
fn key_set_moves_the_key_and_key_test_checks_it() {
    let mock = MockGateway::start(Scenario::new(NEW)).unwrap();
    let t = with_keychain();
    t.init(&mock.url());
    let out = no_key(t.run(&["key", "test"])).code(1);
    assert!(out.stderr.contains("the key check failed"), "{out}");
    let out = no_key(t.run(&["key", "set", "--key", NEW, "--key-store", "keychain"])).success();
    let store = "[ROOT]/keychain.json";
    assert_eq!(
        out.stdout,
        format!(
            "Profile `default`: key sk-…zyxw now in the key file {store}\n\
             Tools holding a copy of the old key keep it: `byok key rotate` rewrites them too.\n"
        )
    );
    assert!(!t.read(".config/byok/config.toml").contains("api_key ="));
    let out = no_key(t.run(&["key", "test"])).success();
    assert_eq!(
        out.stdout,
        format!(
            "ok: the gateway accepted the key: GET {}/v1/models answered with 4 models\n",
            mock.url()
        )
    );
    // Back to an environment variable: the credential-store entry goes.
    no_key(t.run(&["key", "set", "--key-env", "GW_KEY"])).success();
    assert_eq!(keychain_file(&t), "{}\n");
    assert!(
        t.read(".config/byok/config.toml")
            .contains("api_key_env = \"GW_KEY\"")
    );
}

/// Files below home with their bytes.
fn snapshot(t: &TestEnv) -> Vec<(String, String)> {
    t.tree()
        .into_iter()
        .map(|p| {
            let b = String::from_utf8_lossy(&t.read_bytes(&p).unwrap()).into_owned();
            (p, b)
        })
        .collect()
}

/// A home with Claude Code on a key command (the default for a tool that runs one),
/// Codex holding a copy (`--key-mode literal`) and OpenCode holding one (it runs no key
/// command).
fn rotated_home() -> TestEnv {
    let t = TestEnv::new();
    t.write(".claude/settings.json", "{\n  \"theme\": \"dark\"\n}\n");
    t.write(".codex/config.toml", "# mine\nmodel = \"o3\"\n");
    t.init(URL);
    no_key(t.run(&["setup", "claude-code", "--yes"])).success();
    no_key(t.run(&["setup", "codex", "--key-mode", "literal", "--yes"])).success();
    no_key(t.run(&["setup", "opencode", "--yes"])).success();
    t
}

/// With the default key forms, only the tools that can't run a key command hold a
/// copy: rotation rewrites exactly those, the key commands need nothing.
#[test]
fn rotate_after_default_setup_rewrites_only_the_copies() {
    let t = TestEnv::new();
    t.init(URL);
    let tools = [
        "claude-code",
        "codex",
        "pi",
        "crush",
        "copilot-cli",
        "opencode",
        "qwen-code",
    ];
    let mut args = vec!["setup"];
    args.extend(tools);
    args.push("--yes");
    no_key(t.run(&args)).success();
    let out = no_key(t.run(&["detect", "--json"])).success();
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let forms: Vec<(String, String)> = json["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["key_form"].is_string())
        .map(|x| {
            (
                x["id"].as_str().unwrap().to_string(),
                x["key_form"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("claude-code", "command"),
        ("codex", "command"),
        ("opencode", "copy"),
        ("qwen-code", "copy"),
        ("pi", "command"),
        ("copilot-cli", "command"),
        ("crush", "command"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(forms, want);
    let before = snapshot(&t);
    let out = no_key(t.run(&["key", "rotate", "--key", NEW, "--yes", "--no-check"])).success();
    assert!(out.stdout.ends_with("; 2 tools rewritten.\n"), "{out}");
    // The tools' files and byok's config; byok's state dir gains backups and records.
    let after = snapshot(&t);
    let changed: Vec<&str> = after
        .iter()
        .filter(|(p, _)| !p.starts_with(".local/state/"))
        .filter(|x| !before.contains(x))
        .map(|(p, _)| p.as_str())
        .collect();
    assert_eq!(
        changed,
        [
            ".config/byok/config.toml",
            ".config/opencode/opencode.jsonc",
            ".qwen/.env"
        ]
    );
}

#[test]
fn rotate_rewrites_literal_copies_and_leaves_references() {
    let t = rotated_home();
    let claude = t.read(".claude/settings.json");
    let out = no_key(t.run(&["key", "rotate", "--key", NEW, "--yes", "--no-check"])).success();
    assert!(
        out.stdout
            .ends_with("Rotated the key of profile `default`: now in ~/.config/byok/config.toml (mode 0600); 2 tools rewritten.\n"),
        "{out}"
    );
    assert!(
        out.stdout
            .starts_with("Claude Code\n  up to date\nCodex CLI\n"),
        "{out}"
    );
    assert_eq!(
        t.read(".claude/settings.json"),
        claude,
        "a reference needs nothing"
    );
    assert_eq!(
        t.read(".codex/.env"),
        format!("BYOK_API_KEY='{NEW}' # managed by byok\n")
    );
    assert!(t.read(".config/opencode/opencode.jsonc").contains(NEW));
    assert!(!t.read(".config/opencode/opencode.jsonc").contains(KEY));
    assert!(
        t.read(".config/byok/config.toml")
            .contains(&format!("api_key = \"{NEW}\""))
    );
    assert_eq!(t.run(&["print-key"]).success().stdout, format!("{NEW}\n"));
    // Nothing is left to do: a second rotation to the same key changes no file.
    let before = snapshot(&t);
    no_key(t.run(&["key", "rotate", "--key", NEW, "--yes", "--no-check"])).success();
    assert_eq!(snapshot(&t), before);
}

#[test]
fn rotate_is_all_or_nothing() {
    let mut t = rotated_home();
    let before = snapshot(&t);
    let config = t.read(".config/byok/config.toml");
    t.set("BYOK_TEST_FAIL_AFTER", "1");
    let out = no_key(t.run(&["key", "rotate", "--key", NEW, "--yes", "--no-check"])).code(2);
    assert!(
        out.stderr
            .contains("injected failure (BYOK_TEST_FAIL_AFTER)"),
        "{out}"
    );
    assert!(
        out.stderr.contains(
            "hint: every file this step had written was put back as it was; nothing changed"
        ),
        "{out}"
    );
    t.unset("BYOK_TEST_FAIL_AFTER");
    assert_eq!(snapshot(&t), before, "every tool file as before the step");
    assert_eq!(
        t.read(".config/byok/config.toml"),
        config,
        "the old key stays"
    );
    // The backups are as before too: restore still gives back the user's originals.
    no_key(t.run(&["restore", "--yes"])).success();
    assert_eq!(t.read(".codex/config.toml"), "# mine\nmodel = \"o3\"\n");
    assert_eq!(
        t.read(".claude/settings.json"),
        "{\n  \"theme\": \"dark\"\n}\n"
    );
}

#[test]
fn rotate_needs_a_key_without_a_terminal() {
    let t = TestEnv::new();
    t.init(URL);
    let out = t.run(&["key", "rotate", "--yes"]).code(2);
    assert!(
        out.stderr
            .contains("no new key given (stdin is not a terminal, so byok can't ask)"),
        "{out}"
    );
}

/// Issue 12: a profile keeping its key in a variable gives a tool that takes a reference
/// the reference (Pi: the variable's name, Crush `$VAR`), a tool that would copy the
/// key a key command instead (Claude Code, Codex), and `--key-mode literal` still a copy.
#[test]
fn an_env_var_key_keeps_references_and_replaces_copies_by_the_key_command() {
    let mut t = TestEnv::new();
    t.set("GW_KEY", KEY);
    no_key(t.run(&[
        "init",
        "--url",
        URL,
        "--key-env",
        "GW_KEY",
        "--model",
        "gpt-4o",
        "--yes",
    ]))
    .success();
    let out = no_key(t.run(&["setup", "pi", "crush", "claude-code", "codex", "--yes"])).success();
    assert_eq!(
        out.stdout
            .lines()
            .filter(|l| l.starts_with("  key: "))
            .collect::<Vec<_>>(),
        [
            "  key: a reference to $GW_KEY: no copy in its files",
            "  key: a reference to $GW_KEY: no copy in its files",
            "  key: a key command (`byok print-key`): no copy in its files",
            "  key: a key command (`byok print-key`): no copy in its files",
        ],
        "{out}"
    );
    let pi: serde_json::Value = serde_json::from_str(&t.read(".pi/agent/models.json")).unwrap();
    assert_eq!(pi["providers"]["byok"]["apiKey"], "GW_KEY");
    assert!(
        t.read(".config/crush/crush.json")
            .contains("\"api_key\": \"$GW_KEY\"")
    );
    assert!(t.read(".claude/settings.json").contains("print-key"));
    assert!(t.read(".codex/config.toml").contains("print-key"));
    for f in [
        ".claude/settings.json",
        ".codex/config.toml",
        ".config/crush/crush.json",
        ".pi/agent/models.json",
    ] {
        assert!(!t.read(f).contains(KEY), "{f}");
    }
    assert!(!t.exists(".codex/.env"));
    let out = no_key(t.run(&["setup", "codex", "--key-mode", "literal", "--yes"])).success();
    assert!(
        out.stdout
            .contains("  key: a copy of it, in a file only you can read (0600)\n"),
        "{out}"
    );
    assert_eq!(
        t.read(".codex/.env"),
        format!("BYOK_API_KEY='{KEY}' # managed by byok\n")
    );
}
