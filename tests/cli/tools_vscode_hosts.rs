//! Files that exist once per VS Code-family host and profile (`[[file]] hosts = …`,
//! paths under `{vscode_user}`): setup writes each place where the extension is
//! installed, drift and notes name the host (and profile), `remove` gives the original
//! bytes back, and a host without the extension is left alone. Run on the Linux, macOS
//! and Windows layouts, through a user template (an object-shaped file the engine can
//! edit today) and through GitHub Copilot Chat's built-in template.

use crate::common::{KEY, Output, TestEnv};

const URL: &str = "https://gw.example.com";

fn no_key(out: Output) -> Output {
    assert!(
        !out.stdout.contains(KEY) && !out.stderr.contains(KEY),
        "{out}"
    );
    out
}

/// A user's template for an extension `acme.helper` that keeps `helper.json` in each
/// host's user dir.
const HELPER: &str = r#"
id = "acme-helper"
name = "Acme Helper"
verified = "Acme Helper 2.0, a test template"
apis = ["chat"]

[detect]
extensions = [{ id = "acme.helper" }]

[[file]]
id = "helper.json"
path = "{vscode_user}/helper.json"
hosts = { extension = "acme.helper", min_version = "2.0.0" }
format = "jsonc"

[[file.value]]
key = "gateway.url"
value = "{openai_base}"

[[file.value]]
key = "gateway.key"
value = "{key}"
"#;

/// Where the user dirs of VS Code, Cursor and VSCodium live in each layout.
const LAYOUTS: &[(&str, &str)] = &[
    ("linux", ".config"),
    ("macos", "Library/Application Support"),
    ("windows", "AppData/Roaming"),
];

/// A user's own `helper.json`: a comment and a setting of theirs.
const USERS: &str = "{\n  // mine\n  \"theme\": \"dark\"\n}\n";

fn after_users() -> String {
    format!(
        "{{\n  // mine\n  \"theme\": \"dark\",\n  \"gateway\": {{\n    \"url\": \"https://gw.example.com/v1\",\n    \"key\": \"{KEY}\"\n  }}\n}}\n"
    )
}

fn created() -> String {
    format!(
        "{{\n  \"gateway\": {{\n    \"url\": \"https://gw.example.com/v1\",\n    \"key\": \"{KEY}\"\n  }}\n}}\n"
    )
}

/// VS Code (with a profile named Work) and Cursor have the extension; VSCodium has an
/// older one and a `helper.json` of the user's.
fn home(os: &str, data: &str) -> TestEnv {
    let mut t = TestEnv::new();
    t.set("BYOK_OS", os);
    t.init(URL);
    let templates = match os {
        "windows" => "AppData/Roaming/byok/templates",
        _ => ".config/byok/templates",
    };
    t.write(&format!("{templates}/acme-helper.toml"), HELPER);
    t.write(".vscode/extensions/acme.helper-2.1.0/package.json", "{}");
    t.write(
        ".cursor/extensions/acme.helper-2.0.0-linux-x64/package.json",
        "{}",
    );
    t.write(
        ".vscode-oss/extensions/acme.helper-1.9.0/package.json",
        "{}",
    );
    t.write(&format!("{data}/Code/User/helper.json"), USERS);
    t.write(
        &format!("{data}/Code/User/globalStorage/storage.json"),
        "{\"userDataProfiles\": [{\"location\": \"-5f3e\", \"name\": \"Work\"}]}\n",
    );
    t.write(
        &format!("{data}/Code/User/profiles/-5f3e/settings.json"),
        "{}\n",
    );
    t.write(&format!("{data}/VSCodium/User/helper.json"), USERS);
    t
}

#[test]
fn a_per_host_file_is_written_in_each_host_and_profile_on_every_layout() {
    for &(os, data) in LAYOUTS {
        let t = home(os, data);
        let code = format!("{data}/Code/User/helper.json");
        let work = format!("{data}/Code/User/profiles/-5f3e/helper.json");
        let cursor = format!("{data}/Cursor/User/helper.json");
        let codium = format!("{data}/VSCodium/User/helper.json");
        no_key(t.run(&["setup", "acme-helper", "--yes"]).success());
        assert_eq!(t.read(&code), after_users(), "{os}");
        assert_eq!(t.read(&work), created(), "{os}");
        assert_eq!(t.read(&cursor), created(), "{os}");
        assert_eq!(t.mode(&cursor), 0o600, "{os}");
        // VSCodium's extension is older than `min_version`: its file is untouched.
        assert_eq!(t.read(&codium), USERS, "{os}");
        assert_eq!(
            t.run(&["setup", "acme-helper", "--yes"]).success().stdout,
            "Acme Helper\n  up to date\n",
            "{os}"
        );
        // A hand edit in one place is reported with that place's host and profile.
        t.write(
            &work,
            created().replace("https://gw.example.com/v1", "https://mine/v1"),
        );
        let det = t.run(&["detect"]).success();
        assert!(
            det.stdout.contains(
                "drifted: changed by hand: VS Code (profile Work) helper.json gateway.url\n"
            ),
            "{os}: {det}"
        );
        t.write(&work, created());
        no_key(t.run(&["remove", "acme-helper", "--yes"]).success());
        assert_eq!(t.read(&code), USERS, "{os}");
        assert!(!t.exists(&work) && !t.exists(&cursor), "{os}");
        assert_eq!(t.read(&codium), USERS, "{os}");
    }
}

#[test]
fn host_option_restricts_setup_and_remove_to_one_host() {
    let t = home("linux", ".config");
    let code = ".config/Code/User/helper.json";
    let cursor = ".config/Cursor/User/helper.json";
    let out = no_key(
        t.run(&["setup", "acme-helper", "--host", "cursor", "--dry-run"])
            .success(),
    );
    assert!(
        out.stdout.contains("~/.config/Cursor/User/helper.json")
            && !out.stdout.contains("~/.config/Code/"),
        "{out}"
    );
    no_key(
        t.run(&["setup", "acme-helper", "--host", "cursor", "--yes"])
            .success(),
    );
    assert_eq!(t.read(cursor), created());
    assert_eq!(t.read(code), USERS);
    no_key(t.run(&["setup", "acme-helper", "--yes"]).success());
    no_key(
        t.run(&["remove", "acme-helper", "--host", "code", "--yes"])
            .success(),
    );
    assert_eq!(t.read(code), USERS);
    assert_eq!(t.read(cursor), created());
}

/// `remove --host` forgets only that host's part of the drift record: the other host is
/// still byok's, so its hand edits are drift and a later `remove` still takes its values.
#[test]
fn remove_one_host_keeps_the_record_of_the_others() {
    let t = home("linux", ".config");
    let code = ".config/Code/User/helper.json";
    let cursor = ".config/Cursor/User/helper.json";
    no_key(t.run(&["setup", "acme-helper", "--yes"])).success();
    no_key(
        t.run(&["remove", "acme-helper", "--host", "code", "--yes"])
            .success(),
    );
    assert_eq!(t.read(code), USERS);
    // VS Code has the extension, so setup would write it again; Cursor is still byok's.
    let out = no_key(t.run(&["detect"])).success();
    assert!(
        out.stdout
            .contains("Acme Helper    out of date (last set up for profile default)\n"),
        "{out}"
    );
    t.write(
        cursor,
        created().replace("https://gw.example.com/v1", "https://mine/v1"),
    );
    let out = no_key(t.run(&["detect"])).success();
    assert!(
        out.stdout
            .contains("Acme Helper    drifted: changed by hand: Cursor helper.json gateway.url\n"),
        "{out}"
    );
    t.write(cursor, created());
    let out = no_key(t.run(&["remove", "acme-helper", "--yes"])).success();
    assert!(
        out.stdout
            .contains("deleted ~/.config/Cursor/User/helper.json"),
        "{out}"
    );
    assert!(!t.exists(cursor));
    assert!(
        !t.read(".local/state/byok/owned.json")
            .contains("acme-helper")
    );
}

#[test]
fn a_template_rejects_vscode_user_without_hosts() {
    let t = TestEnv::new();
    let bad = HELPER.replace(
        "hosts = { extension = \"acme.helper\", min_version = \"2.0.0\" }\n",
        "",
    );
    let file = t.write("bad.toml", bad);
    let out = t
        .run(&["templates", "check", file.to_str().unwrap()])
        .code(2);
    assert!(
        out.stderr.contains(
            "~/bad.toml:12:9: file `helper.json`: {vscode_user} needs `hosts = { extension = \"publisher.name\" }` (which hosts the file is written in)"
        ),
        "{out}"
    );
}

/// GitHub Copilot Chat's template, also loaded as a user template (which replaces the
/// built-in one of the same id) so the test covers a user's copy of it too.
const COPILOT: &str = include_str!("../../templates/copilot-chat.toml");

/// The user's own `chatLanguageModels.json`: another vendor's group and a comment.
fn copilot_fixture() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/copilot-chat/other-vendor/chatLanguageModels.json"
    ))
    .unwrap()
}

/// byok's group as the engine appends it (profile `default`: model gpt-4o, Anthropic
/// model claude-sonnet-4-5), indented as an element of the top-level array.
fn byok_group() -> String {
    let model = |id: &str, name: &str, url: &str, api: &str, input: u32| {
        format!(
            "      {{\n        \"id\": \"{id}\",\n        \"name\": \"{name}\",\n        \"url\": \"{url}\",\n        \"apiType\": \"{api}\",\n        \"toolCalling\": true,\n        \"vision\": false,\n        \"maxInputTokens\": {input},\n        \"maxOutputTokens\": 16384\n      }}"
        )
    };
    format!(
        "  {{\n    \"name\": \"byok\",\n    \"vendor\": \"customendpoint\",\n    \"apiKey\": \"{KEY}\",\n    \"models\": [\n{},\n{}\n    ]\n  }}\n",
        model(
            "gpt-4o",
            "gpt-4o (byok)",
            "https://gw.example.com/v1/chat/completions",
            "chat-completions",
            128000
        ),
        model(
            "claude-sonnet-4-5",
            "claude-sonnet-4-5 (byok, Anthropic)",
            "https://gw.example.com/v1/messages",
            "messages",
            200000
        ),
    )
}

#[test]
fn copilot_chat_models_in_each_host_and_profile_on_every_layout() {
    for &(os, data) in LAYOUTS {
        let mut t = TestEnv::new();
        t.set("BYOK_OS", os);
        t.init(URL);
        let templates = match os {
            "windows" => "AppData/Roaming/byok/templates",
            _ => ".config/byok/templates",
        };
        t.write(&format!("{templates}/copilot-chat.toml"), COPILOT);
        // VS Code and Cursor have Copilot Chat, Cursor with a profile; VSCodium has a
        // file of the user's but not the extension.
        t.write(
            ".vscode/extensions/github.copilot-chat-0.47.0/package.json",
            "{}",
        );
        t.write(
            ".cursor/extensions/github.copilot-chat-0.47.1/package.json",
            "{}",
        );
        let code = format!("{data}/Code/User/chatLanguageModels.json");
        let cursor = format!("{data}/Cursor/User/chatLanguageModels.json");
        let work = format!("{data}/Cursor/User/profiles/3c9d/chatLanguageModels.json");
        let codium = format!("{data}/VSCodium/User/chatLanguageModels.json");
        let original = copilot_fixture();
        t.write(&code, &original);
        t.write(&codium, &original);
        t.write(
            &format!("{data}/Cursor/User/globalStorage/storage.json"),
            "{\"userDataProfiles\": [{\"location\": \"3c9d\", \"name\": \"Work\"}]}\n",
        );
        t.write(
            &format!("{data}/Cursor/User/profiles/3c9d/settings.json"),
            "{}\n",
        );

        let out = no_key(t.run(&["setup", "copilot-chat", "--yes"]).success());
        assert!(
            out.stdout.contains("Copilot Chat can't read a key from an environment variable or a command, so byok wrote the key itself into each chatLanguageModels.json (mode 0600)"),
            "{os}: {out}"
        );
        let mut after = original
            .trim_end()
            .trim_end_matches(']')
            .trim_end()
            .to_string();
        after.push_str(",\n");
        after.push_str(&byok_group());
        after.push_str("]\n");
        assert_eq!(t.read(&code), after, "{os}");
        let created = format!("[\n{}]\n", byok_group());
        assert_eq!(t.read(&cursor), created, "{os}");
        assert_eq!(t.read(&work), created, "{os}");
        for f in [&code, &cursor, &work] {
            assert_eq!(t.mode(f), 0o600, "{os} {f}");
        }
        assert_eq!(t.read(&codium), original, "{os}");
        assert_eq!(
            t.run(&["setup", "copilot-chat", "--yes"]).success().stdout,
            "Copilot Chat\n  up to date\n",
            "{os}"
        );
        t.write(
            &work,
            created.replace("https://gw.example.com/v1/", "https://mine/v1/"),
        );
        let det = t.run(&["detect"]).success();
        assert!(
            det.stdout
                .contains("changed by hand: Cursor (profile Work) chatLanguageModels.json"),
            "{os}: {det}"
        );
        t.write(&work, &created);
        no_key(t.run(&["remove", "copilot-chat", "--yes"]).success());
        assert_eq!(t.read(&code), original, "{os}");
        assert!(!t.exists(&cursor) && !t.exists(&work), "{os}");
        assert_eq!(t.read(&codium), original, "{os}");
    }
}
