//! Roo Code and the legacy Kilo Code as templates (`templates/roo-code.toml`,
//! `templates/kilo-code.toml`, hook `src/tools/auto_import.rs`), through the real
//! binary: what the older adapter tests in setup_editors.rs don't reach. Kilo Code 7.x
//! alone gets steps and no file; a hand edit of the setting is drift on its exact label;
//! `remove --host` keeps the import file another editor still reads, and a setting the
//! user pointed elsewhere since stays; the macOS and Windows layouts; a key kept in an
//! environment variable still lands in the import file (the extensions can't read one).

use crate::common::{KEY, Output, TestEnv};

const URL: &str = "https://gw.example.com";
const ROO_EXT: &str = ".vscode/extensions/rooveterinaryinc.roo-cline-3.52.1/package.json";
const ROO_IMPORT: &str = ".local/share/byok/roo-code-settings.json";
const CODE_SETTINGS: &str = ".config/Code/User/settings.json";
const CURSOR_SETTINGS: &str = ".config/Cursor/User/settings.json";

/// A user's own settings.json: a comment and settings of theirs.
const USERS: &str =
    "{\n  // mine\n  \"editor.fontSize\": 13,\n  \"kilo-code.allowedCommands\": [\"ls\"]\n}\n";

#[track_caller]
fn no_key(out: Output) -> Output {
    assert!(
        !out.stdout.contains(KEY) && !out.stderr.contains(KEY),
        "key leaked:\n{out}"
    );
    out
}

/// The one-profile import file byok writes for `init` (chat and Anthropic model, Bearer).
fn import_for(key: &str) -> String {
    format!(
        "{{\n  \"providerProfiles\": {{\n    \"currentApiConfigName\": \"byok\",\n    \"apiConfigs\": {{\n      \"byok\": {{\n        \"id\": \"byok\",\n        \"apiProvider\": \"openai\",\n        \"openAiBaseUrl\": \"https://gw.example.com/v1\",\n        \"openAiApiKey\": \"{key}\",\n        \"openAiModelId\": \"gpt-4o\"\n      }},\n      \"byok-anthropic\": {{\n        \"id\": \"byok-anthropic\",\n        \"apiProvider\": \"anthropic\",\n        \"anthropicBaseUrl\": \"https://gw.example.com\",\n        \"apiKey\": \"{key}\",\n        \"apiModelId\": \"claude-sonnet-4-5\",\n        \"anthropicUseAuthToken\": true\n      }}\n    }}\n  }}\n}}\n"
    )
}

/// The settings.json `USERS` with byok's setting for `setting` pointing at `import`.
fn users_with(setting: &str, import: &str) -> String {
    USERS.replace(
        "[\"ls\"]\n",
        &format!("[\"ls\"],\n  \"{setting}\": \"{import}\"\n"),
    )
}

/// Kilo Code 7.x alone reads no import setting: setup writes nothing, prints the steps
/// towards `byok setup kilo`, and detect says so.
#[test]
fn kilo_code_7_only_gets_steps_and_no_file() {
    let t = TestEnv::new();
    t.init(URL);
    t.write(
        ".vscode/extensions/kilocode.kilo-code-7.4.19/package.json",
        "{}",
    );
    t.write(CODE_SETTINGS, USERS);
    let before = t.tree();
    let out = no_key(t.run(&["setup", "kilo-code", "--yes"]).success());
    assert_eq!(
        out.stdout,
        "Kilo Code\n  up to date\n  still to do by hand:\n    1. Kilo Code 7.4.19 in VS Code no longer reads kilo-code.autoImportSettingsPath: in Kilo's settings add an \"OpenAI Compatible\" provider with base URL https://gw.example.com/v1, API key sk-…cdef (shown masked; rerun with --show-key to see it) and model gpt-4o (Kilo stores it in ~/.config/kilo/kilo.json); or let byok write that file: `byok setup kilo`\n"
    );
    assert_eq!(t.tree(), before);
    assert_eq!(t.read(CODE_SETTINGS), USERS);
    let out = no_key(t.run(&["detect"]).success());
    assert!(
        out.stdout.contains(
            "Kilo Code      configured (profile default)\n               extension 7.4.19 in VS Code (~/.vscode/extensions/kilocode.kilo-code-7.4.19): the OpenCode-based Kilo (7.x), set up by hand\nContinue"
        ),
        "{out}"
    );
    let out = no_key(t.run(&["remove", "kilo-code", "--yes"]).success());
    assert_eq!(out.stdout, "Kilo Code\n  nothing of byok's to remove\n");
}

/// Roo Code in VS Code and Cursor: a hand edit of the setting is drift on exactly its
/// label; `remove --host cursor` then deletes the import file, as VS Code's setting now
/// points elsewhere, and a later `remove` leaves that setting of the user's alone.
#[test]
fn roo_code_drift_and_remove_per_host() {
    let t = TestEnv::new();
    t.init(URL);
    t.write(ROO_EXT, "{}");
    t.write(
        ".cursor/extensions/rooveterinaryinc.roo-cline-3.52.1/package.json",
        "{}",
    );
    t.write(CODE_SETTINGS, USERS);
    no_key(t.run(&["setup", "roo-code", "--yes"]).success());
    let import = t.home().join(ROO_IMPORT).display().to_string();
    assert_eq!(
        t.read(CODE_SETTINGS),
        users_with("roo-cline.autoImportSettingsPath", &import)
    );
    assert_eq!(t.read(ROO_IMPORT), import_for(KEY));
    assert_eq!(t.mode(ROO_IMPORT), 0o600);

    // The user points VS Code at their own file: drift on that one label.
    t.write(
        CODE_SETTINGS,
        users_with("roo-cline.autoImportSettingsPath", "~/team-roo.json"),
    );
    let out = no_key(t.run(&["detect"]).success());
    assert!(
        out.stdout.contains(
            "Roo Code       drifted: changed by hand: ~/.config/Code/User/settings.json roo-cline.autoImportSettingsPath\n"
        ),
        "{out}"
    );

    // Cursor only: its settings.json (byok made it) stays, without the setting; VS
    // Code's setting is the user's now, so the import file goes with Cursor's.
    let out = no_key(
        t.run(&["remove", "roo-code", "--host", "cursor", "--yes"])
            .success(),
    );
    assert_eq!(
        out.stdout,
        "Roo Code\n  deleted ~/.local/share/byok/roo-code-settings.json\n  updated ~/.config/Cursor/User/settings.json\n  note: the `byok` profiles already imported stay in Roo Code's profile list until you delete them there\n"
    );
    assert_eq!(t.read(CURSOR_SETTINGS), "{}\n");
    assert!(!t.exists(ROO_IMPORT));
    let out = no_key(t.run(&["remove", "roo-code", "--yes"]).success());
    assert_eq!(out.stdout, "Roo Code\n  nothing of byok's to remove\n");
    assert_eq!(
        t.read(CODE_SETTINGS),
        users_with("roo-cline.autoImportSettingsPath", "~/team-roo.json")
    );
}

/// `remove --host` leaves the import file while another editor still points at it.
#[test]
fn roo_code_remove_one_host_keeps_the_import_file_for_the_other() {
    let t = TestEnv::new();
    t.init(URL);
    t.write(ROO_EXT, "{}");
    t.write(
        ".cursor/extensions/rooveterinaryinc.roo-cline-3.52.1/package.json",
        "{}",
    );
    t.write(CODE_SETTINGS, USERS);
    no_key(t.run(&["setup", "roo-code", "--yes"]).success());
    let out = no_key(
        t.run(&["remove", "roo-code", "--host", "code", "--yes"])
            .success(),
    );
    assert_eq!(
        out.stdout,
        "Roo Code\n  updated ~/.config/Code/User/settings.json\n  note: the `byok` profiles already imported stay in Roo Code's profile list until you delete them there\n"
    );
    assert_eq!(t.read(CODE_SETTINGS), USERS);
    assert_eq!(t.read(ROO_IMPORT), import_for(KEY));
    let import = t.home().join(ROO_IMPORT).display().to_string();
    assert_eq!(
        t.read(CURSOR_SETTINGS),
        format!("{{\n  \"roo-cline.autoImportSettingsPath\": \"{import}\"\n}}\n")
    );
}

/// The legacy Kilo Code in VSCodium on the macOS and Windows layouts: the setting in
/// that host's user dir, byok's import file in its data dir (0600); remove gives the
/// user's bytes back.
#[test]
fn kilo_code_legacy_on_macos_and_windows() {
    for (os, user, data) in [
        (
            "macos",
            "Library/Application Support/VSCodium/User/settings.json",
            "Library/Application Support/byok/data/kilo-code-settings.json",
        ),
        (
            "windows",
            "AppData/Roaming/VSCodium/User/settings.json",
            "AppData/Local/byok/data/kilo-code-settings.json",
        ),
    ] {
        let mut t = TestEnv::new();
        t.set("BYOK_OS", os);
        t.init(URL);
        t.write(
            ".vscode-oss/extensions/kilocode.kilo-code-5.10.4/package.json",
            "{}",
        );
        t.write(user, USERS);
        let out = no_key(t.run(&["setup", "kilo-code", "--yes"]).success());
        assert!(
            out.stdout.ends_with(
                "  still to do by hand:\n    1. reload VSCodium (Command Palette → \"Developer: Reload Window\") so Kilo Code imports the `byok` profile\n"
            ),
            "{os}: {out}"
        );
        let import = t.home().join(data).display().to_string();
        assert_eq!(
            t.read(user),
            users_with("kilo-code.autoImportSettingsPath", &import),
            "{os}"
        );
        assert_eq!(t.read(data), import_for(KEY), "{os}");
        assert_eq!(t.mode(data), 0o600, "{os}");
        let out = no_key(t.run(&["setup", "kilo-code", "--yes"]).success());
        assert_eq!(out.stdout, "Kilo Code\n  up to date\n", "{os}");
        no_key(t.run(&["remove", "kilo-code", "--yes"]).success());
        assert_eq!(t.read(user), USERS, "{os}");
        assert!(!t.exists(data), "{os}");
    }
}

/// A profile that keeps its key in an environment variable: Roo can't read one, so the
/// import file holds the variable's value (0600), never shown.
#[test]
fn roo_code_with_a_key_in_an_environment_variable() {
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
        "--anthropic-model",
        "claude-sonnet-4-5",
        "--yes",
    ])
    .success();
    t.write(ROO_EXT, "{}");
    no_key(t.run(&["setup", "roo-code", "--yes"]).success());
    assert_eq!(t.read(ROO_IMPORT), import_for(KEY));
    assert_eq!(t.mode(ROO_IMPORT), 0o600);
    // Without the variable there is no key to write: an error, nothing changes.
    t.unset("GW_KEY");
    let before = t.tree();
    let out = t.run(&["setup", "roo-code", "--yes"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr.starts_with(
            "byok: error: profile `default` reads its key from $GW_KEY, which is not set\n"
        ),
        "{out}"
    );
    assert_eq!(t.tree(), before);
}

/// `templates show` names the hook; the template is the file as shipped.
#[test]
fn templates_show_names_the_hook() {
    let t = TestEnv::new();
    for (id, text) in [
        ("roo-code", include_str!("../../templates/roo-code.toml")),
        ("kilo-code", include_str!("../../templates/kilo-code.toml")),
    ] {
        let out = t.run(&["templates", "show", id]).success();
        assert_eq!(
            out.stdout,
            format!("# built-in template templates/{id}.toml (with hook `{id}`)\n{text}")
        );
    }
}
