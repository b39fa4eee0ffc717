//! Roo Code, Kilo Code and Cursor in fake homes (Linux, macOS and Windows layouts):
//! exact results, idempotence, dry runs, restore, remove, malformed input, masked keys.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use crate::common::{KEY, Output, TestEnv};

const ROO: &str = ".vscode/extensions/rooveterinaryinc.roo-cline-3.52.1/package.json";
const CURSOR_DB: &str = ".config/Cursor/User/globalStorage/state.vscdb";
const BLOB_KEY: &str = "src.vs.platform.reactivestorage.browser.reactiveStorageServiceImpl.persistentStorage.applicationUser";

fn fixture(rel: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

fn fixture_text(rel: &str) -> String {
    String::from_utf8(fixture(rel)).unwrap()
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

fn import_file(t: &TestEnv, rel: &str) -> String {
    t.home().join(rel).display().to_string()
}

/// The import file byok writes for the standard test profile.
fn expected_import() -> String {
    format!(
        r#"{{
  "providerProfiles": {{
    "currentApiConfigName": "byok",
    "apiConfigs": {{
      "byok": {{
        "id": "byok",
        "apiProvider": "openai",
        "openAiBaseUrl": "https://gw.example.com/v1",
        "openAiApiKey": "{KEY}",
        "openAiModelId": "gpt-4o"
      }},
      "byok-anthropic": {{
        "id": "byok-anthropic",
        "apiProvider": "anthropic",
        "anthropicBaseUrl": "https://gw.example.com",
        "apiKey": "{KEY}",
        "apiModelId": "claude-sonnet-4-5",
        "anthropicUseAuthToken": true
      }}
    }}
  }}
}}
"#
    )
}

const ROO_IMPORT: &str = ".local/share/byok/roo-code-settings.json";

#[test]
fn roo_code_linux_vscode_and_cursor_hosts() {
    let t = TestEnv::new();
    t.init("https://gw.example.com");
    let original = fixture("roo-code/linux-vscode/settings.json");
    t.write(ROO, "{}");
    t.write(
        ".cursor/extensions/rooveterinaryinc.roo-cline-3.50.2-linux-x64/package.json",
        "{}",
    );
    t.write(".config/Code/User/settings.json", &original);
    // Cursor has no settings.json yet: byok creates it.

    let out = masked(t.run(&["detect"]).success());
    assert!(
        out.stdout.contains(
            "Roo Code       not configured\n               extension 3.52.1 in VS Code (~/.vscode/extensions/rooveterinaryinc.roo-cline-3.52.1)\n               extension 3.50.2 in Cursor (~/.cursor/extensions/rooveterinaryinc.roo-cline-3.50.2-linux-x64)\n"
        ),
        "{out}"
    );

    let out = masked(t.run(&["setup", "roo-code", "--yes"]).success());
    assert!(
        out.stdout.contains("still to do by hand:\n    1. reload VS Code, Cursor (Command Palette → \"Developer: Reload Window\") so Roo Code imports the `byok` profile\n"),
        "{out}"
    );
    let import = import_file(&t, ROO_IMPORT);
    assert_eq!(t.read(ROO_IMPORT), expected_import());
    assert_eq!(t.mode(ROO_IMPORT), 0o600);
    assert_eq!(
        t.read(".config/Code/User/settings.json"),
        fixture_text("roo-code/linux-vscode/settings.after.json").replace("{IMPORT}", &import)
    );
    assert_eq!(
        t.read(".config/Cursor/User/settings.json"),
        format!("{{\n  \"roo-cline.autoImportSettingsPath\": \"{import}\"\n}}\n")
    );

    let out = masked(t.run(&["setup", "roo-code", "--yes"]).success());
    assert_eq!(out.stdout, "Roo Code\n  up to date\n");
    let out = masked(t.run(&["detect"]).success());
    assert!(
        out.stdout
            .contains("Roo Code       configured (profile default)"),
        "{out}"
    );

    // remove gives the user's file back byte for byte and deletes the import file.
    let out = masked(t.run(&["remove", "roo-code", "--yes"]).success());
    assert!(
        out.stdout
            .contains("  deleted ~/.local/share/byok/roo-code-settings.json\n"),
        "{out}"
    );
    assert_eq!(
        t.read_bytes(".config/Code/User/settings.json").unwrap(),
        original
    );
    assert_eq!(t.read(".config/Cursor/User/settings.json"), "{}\n");
    assert!(!t.exists(ROO_IMPORT));
    let out = t.run(&["remove", "roo-code", "--yes"]).success();
    assert_eq!(out.stdout, "Roo Code\n  nothing of byok's to remove\n");
}

#[test]
fn roo_code_dry_run_writes_nothing_and_restore_gives_originals_back() {
    let t = TestEnv::new();
    t.init("https://gw.example.com");
    let original = fixture("roo-code/linux-vscode/settings.json");
    t.write(ROO, "{}");
    t.write(".config/Code/User/settings.json", &original);
    let before = t.tree();

    let out = masked(t.run(&["setup", "roo-code", "--dry-run"]).success());
    assert!(
        out.stdout
            .contains("+        \"openAiApiKey\": \"sk-…cdef\",\n"),
        "{out}"
    );
    assert!(
        out.stdout.contains(
            &format!(
                "+    \"roo-cline.autoImportSettingsPath\": \"{}\",\n",
                import_file(&t, ROO_IMPORT)
            )
            .replace(&t.home().display().to_string(), "[HOME]")
        ),
        "{out}"
    );
    assert_eq!(t.tree(), before);
    assert_eq!(
        t.read_bytes(".config/Code/User/settings.json").unwrap(),
        original
    );

    masked(t.run(&["setup", "roo-code", "--yes"]).success());
    assert!(t.exists(ROO_IMPORT));
    masked(t.run(&["restore", "--yes"]).success());
    assert_eq!(
        t.read_bytes(".config/Code/User/settings.json").unwrap(),
        original
    );
    assert!(!t.exists(ROO_IMPORT));
}

#[test]
fn roo_code_existing_import_setting_is_replaced_and_restorable() {
    let t = TestEnv::new();
    t.init("https://gw.example.com");
    let settings = fixture("roo-code/existing-import/settings.json");
    let theirs = fixture("roo-code/existing-import/roo-code-settings.json");
    t.write(ROO, "{}");
    t.write(".config/Code/User/settings.json", &settings);
    t.write("Documents/roo-code-settings.json", &theirs);
    // A stale import file from an earlier byok run, for another model.
    t.write(ROO_IMPORT, expected_import().replace("gpt-4o", "gpt-4.1"));

    let out = masked(t.run(&["setup", "roo-code", "--yes"]).success());
    assert!(
        out.stdout.contains("note: roo-cline.autoImportSettingsPath in ~/.config/Code/User/settings.json pointed at ~/Documents/roo-code-settings.json; it now points at byok's file"),
        "{out}"
    );
    assert_eq!(
        t.read(".config/Code/User/settings.json"),
        fixture_text("roo-code/existing-import/settings.json").replace(
            "~/Documents/roo-code-settings.json",
            &import_file(&t, ROO_IMPORT)
        )
    );
    assert_eq!(t.read(ROO_IMPORT), expected_import());
    assert_eq!(t.mode(ROO_IMPORT), 0o600);
    assert_eq!(
        t.read_bytes("Documents/roo-code-settings.json").unwrap(),
        theirs
    );

    masked(t.run(&["restore", "--yes"]).success());
    assert_eq!(
        t.read_bytes(".config/Code/User/settings.json").unwrap(),
        settings
    );
    assert_eq!(
        t.read(ROO_IMPORT),
        expected_import().replace("gpt-4o", "gpt-4.1")
    );
}

#[test]
fn roo_code_malformed_settings_is_left_alone() {
    let t = TestEnv::new();
    t.init("https://gw.example.com");
    let bad = fixture("roo-code/malformed/settings.json");
    t.write(ROO, "{}");
    t.write(".config/Code/User/settings.json", &bad);
    let before = t.tree();
    let out = masked(t.run(&["setup", "roo-code", "--yes"]).code(2));
    assert!(
        out.stderr.contains(
            "could not parse ~/.config/Code/User/settings.json: line 2, column 26: Expected comma"
        ),
        "{out}"
    );
    assert_eq!(
        t.read_bytes(".config/Code/User/settings.json").unwrap(),
        bad
    );
    assert_eq!(t.tree(), before);
    assert!(!t.exists(ROO_IMPORT));
}

#[test]
fn roo_code_macos_layout() {
    let mut t = TestEnv::new();
    t.set("BYOK_OS", "macos");
    t.init("https://gw.example.com");
    let original = fixture("roo-code/linux-vscode/settings.json");
    t.write(ROO, "{}");
    t.write(
        "Library/Application Support/Code/User/settings.json",
        &original,
    );
    masked(t.run(&["setup", "roo-code", "--yes"]).success());
    let rel = "Library/Application Support/byok/data/roo-code-settings.json";
    assert_eq!(t.read(rel), expected_import());
    assert_eq!(t.mode(rel), 0o600);
    assert_eq!(
        t.read("Library/Application Support/Code/User/settings.json"),
        fixture_text("roo-code/linux-vscode/settings.after.json")
            .replace("{IMPORT}", &import_file(&t, rel))
    );
    let out = t.run(&["setup", "roo-code", "--yes"]).success();
    assert_eq!(out.stdout, "Roo Code\n  up to date\n");
}

#[test]
fn roo_code_windows_layout_keeps_crlf_and_bom() {
    let mut t = TestEnv::new();
    t.set("BYOK_OS", "windows");
    t.init("https://gw.example.com");
    let original = fixture("roo-code/windows-crlf-bom/settings.json");
    t.write(
        ".vscode-insiders/extensions/rooveterinaryinc.roo-cline-3.52.1/package.json",
        "{}",
    );
    t.write(
        "AppData/Roaming/Code - Insiders/User/settings.json",
        &original,
    );
    masked(t.run(&["setup", "roo-code", "--yes"]).success());
    let rel = "AppData/Local/byok/data/roo-code-settings.json";
    assert_eq!(t.read(rel), expected_import());
    let import = import_file(&t, rel);
    let want = format!(
        "\u{feff}{{\r\n  // Windows machine\r\n  \"window.zoomLevel\": 1,\r\n  \"terminal.integrated.defaultProfile.windows\": \"PowerShell\",\r\n  \"editor.fontFamily\": \"Consolas, 'Courier New', monospace\",\r\n  \"files.eol\": \"\\r\\n\",\r\n  \"roo-cline.autoImportSettingsPath\": \"{import}\",\r\n}}\r\n"
    );
    assert_eq!(
        t.read("AppData/Roaming/Code - Insiders/User/settings.json"),
        want
    );
    masked(t.run(&["remove", "roo-code", "--yes"]).success());
    assert_eq!(
        t.read_bytes("AppData/Roaming/Code - Insiders/User/settings.json")
            .unwrap(),
        original
    );
}

#[test]
fn roo_code_host_option() {
    let t = TestEnv::new();
    t.init("https://gw.example.com");
    t.write(ROO, "{}");
    t.write(
        ".vscode-oss/extensions/rooveterinaryinc.roo-cline-3.52.1/package.json",
        "{}",
    );
    let out = t
        .run(&["setup", "roo-code", "--host", "emacs", "--yes"])
        .code(2);
    assert!(
        out.stderr.contains("unknown host `emacs`")
            && out.stderr.contains(
                "code, code-insiders, vscodium, cursor, windsurf, code-server, vscode-server"
            ),
        "{out}"
    );
    masked(
        t.run(&["setup", "roo-code", "--host", "vscodium", "--yes"])
            .success(),
    );
    assert!(t.exists(".config/VSCodium/User/settings.json"));
    assert!(!t.exists(".config/Code/User/settings.json"));
}

#[test]
fn roo_code_not_installed_is_an_error() {
    let t = TestEnv::new();
    t.init("https://gw.example.com");
    let out = t.run(&["setup", "roo-code", "--yes"]).code(2);
    assert!(
        out.stderr
            .contains("Roo Code is not installed in any VS Code-family editor"),
        "{out}"
    );
    assert!(!t.exists(ROO_IMPORT));
}

#[test]
fn kilo_code_legacy_written_new_generation_gets_steps() {
    let t = TestEnv::new();
    t.init("https://gw.example.com");
    let original = fixture("kilo-code/vscodium/settings.json");
    t.write(
        ".vscode-oss/extensions/kilocode.kilo-code-5.10.4/package.json",
        "{}",
    );
    t.write(
        ".vscode/extensions/kilocode.kilo-code-7.4.19/package.json",
        "{}",
    );
    t.write(".config/VSCodium/User/settings.json", &original);
    t.write(".config/Code/User/settings.json", "{}\n");

    let out = masked(t.run(&["setup", "kilo-code", "--yes"]).success());
    assert!(
        out.stdout.contains("2. Kilo Code 7.4.19 in VS Code no longer reads kilo-code.autoImportSettingsPath: in Kilo's settings add an \"OpenAI Compatible\" provider with base URL https://gw.example.com/v1, API key sk-…cdef (shown masked; rerun with --show-key to see it) and model gpt-4o"),
        "{out}"
    );
    let rel = ".local/share/byok/kilo-code-settings.json";
    assert_eq!(t.read(rel), expected_import());
    assert_eq!(t.mode(rel), 0o600);
    let import = import_file(&t, rel);
    assert_eq!(
        t.read(".config/VSCodium/User/settings.json"),
        fixture_text("kilo-code/vscodium/settings.json").replace(
            "  \"workbench.startupEditor\": \"none\",\n",
            &format!(
                "  \"workbench.startupEditor\": \"none\",\n  \"kilo-code.autoImportSettingsPath\": \"{import}\",\n"
            )
        )
    );
    assert_eq!(t.read(".config/Code/User/settings.json"), "{}\n");
    let out = t
        .run(&["setup", "kilo-code", "--yes", "--show-key"])
        .success();
    assert!(out.stdout.contains("  up to date\n"), "{out}");
    assert!(
        out.stdout.contains(&format!("API key {KEY} and model")),
        "{out}"
    );

    masked(t.run(&["remove", "kilo-code", "--yes"]).success());
    assert_eq!(
        t.read_bytes(".config/VSCodium/User/settings.json").unwrap(),
        original
    );
    assert!(!t.exists(rel));
}

// ---- Cursor ----

/// Cursor tests share the process table (a fake `Cursor` process makes every Cursor
/// test see a running Cursor), so they run one at a time.
static CURSOR: Mutex<()> = Mutex::new(());

pub(crate) fn cursor_lock() -> MutexGuard<'static, ()> {
    CURSOR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn other_rows() -> BTreeMap<String, String> {
    serde_json::from_slice(&fixture("cursor/realistic/other-rows.json")).unwrap()
}

/// A `state.vscdb` like VS Code's, holding `blob` (if any) and the other rows.
fn make_db(t: &TestEnv, rel: &str, blob: Option<&str>) -> PathBuf {
    let path = t.home().join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);")
        .unwrap();
    let mut rows = other_rows();
    if let Some(b) = blob {
        rows.insert(BLOB_KEY.to_string(), b.to_string());
    }
    for (k, v) in &rows {
        conn.execute("INSERT INTO ItemTable (key, value) VALUES (?1, ?2)", (k, v))
            .unwrap();
    }
    path
}

fn db_rows(path: &Path) -> BTreeMap<String, String> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut stmt = conn.prepare("SELECT key, value FROM ItemTable").unwrap();
    stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn blob() -> String {
    fixture_text("cursor/realistic/applicationUser.json")
}

/// The fixture blob with byok's values, every other byte as it was.
fn configured_blob() -> String {
    let b = blob();
    let replace = |s: String, from: &str, to: &str| {
        assert!(s.contains(from), "fixture lacks {from}");
        s.replacen(from, to, 1)
    };
    let b = replace(
        b,
        "\"openAIBaseUrl\":null",
        "\"openAIBaseUrl\":\"https://gw.example.com/v1\"",
    );
    let b = replace(b, "\"useOpenAIKey\":false", "\"useOpenAIKey\":true");
    let b = replace(
        b,
        "\"userAddedModels\":[\"deepseek-chat\"]",
        "\"userAddedModels\":[\"deepseek-chat\",\"gpt-4o\"]",
    );
    let b = replace(
        b,
        "\"modelOverrideEnabled\":[\"claude-4-sonnet\",\"gpt-5\",\"deepseek-chat\",\"o3\"]",
        "\"modelOverrideEnabled\":[\"claude-4-sonnet\",\"gpt-5\",\"deepseek-chat\",\"o3\",\"gpt-4o\"]",
    );
    replace(
        b,
        "\"modelOverrideDisabled\":[\"gpt-4o\",\"gemini-2.5-pro\",\"grok-4\"]",
        "\"modelOverrideDisabled\":[\"gemini-2.5-pro\",\"grok-4\"]",
    )
}

#[test]
fn cursor_writes_the_blob_and_keeps_every_other_row() {
    let _g = cursor_lock();
    let t = TestEnv::new();
    t.init("https://gw.example.com");
    let db = make_db(&t, CURSOR_DB, Some(&blob()));
    t.write(".cursor/extensions/extensions.json", "[]");
    let original = std::fs::read(&db).unwrap();

    let out = masked(t.run(&["detect"]).success());
    assert!(
        out.stdout.contains("Cursor         not configured\n               directory ~/.config/Cursor\n               directory ~/.cursor\n               config ~/.config/Cursor/User/globalStorage/state.vscdb\n"),
        "{out}"
    );

    let out = masked(t.run(&["setup", "cursor", "--dry-run"]).success());
    assert!(
        out.stdout.contains(&format!(
            "--- a/~/.config/Cursor/User/globalStorage/state.vscdb [{BLOB_KEY}]"
        )),
        "{out}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), original);

    let out = masked(t.run(&["setup", "cursor", "--yes"]).success());
    assert_eq!(
        out.stdout.split_once("  still to do by hand:\n").unwrap().1,
        "    1. in Cursor: Cursor Settings → Models → API Keys: turn on \"OpenAI API Key\" and paste sk-…cdef (shown masked; rerun with --show-key to see it) (byok cannot write it: Cursor encrypts it with the OS keychain)\n    2. check that \"Override OpenAI Base URL\" is on and reads https://gw.example.com/v1 (byok set it), then click \"Verify\"\n    3. pick gpt-4o in the chat's model menu (Ask mode works most reliably with your own key; Tab completion always uses Cursor's models)\n"
    );
    let mut want = other_rows();
    want.insert(BLOB_KEY.to_string(), configured_blob());
    assert_eq!(db_rows(&db), want);

    let out = masked(t.run(&["setup", "cursor", "--yes"]).success());
    assert!(out.stdout.starts_with("Cursor\n  up to date\n"), "{out}");
    let out = masked(t.run(&["detect"]).success());
    assert!(
        out.stdout
            .contains("Cursor         configured (profile default)"),
        "{out}"
    );

    masked(t.run(&["restore", "--yes"]).success());
    assert_eq!(std::fs::read(&db).unwrap(), original);
}

#[test]
fn cursor_remove_turns_the_override_off() {
    let _g = cursor_lock();
    let t = TestEnv::new();
    t.init("https://gw.example.com");
    let db = make_db(&t, CURSOR_DB, Some(&blob()));
    masked(t.run(&["setup", "cursor", "--yes"]).success());
    let out = masked(t.run(&["remove", "cursor", "--yes"]).success());
    assert!(
        out.stdout
            .contains("delete the gateway key under Cursor Settings"),
        "{out}"
    );
    let rows = db_rows(&db);
    // The user's values and model lists come back (issue 8, items 7 and 18).
    assert_eq!(rows[BLOB_KEY], blob());
    for (k, v) in other_rows() {
        assert_eq!(rows[&k], v, "{k}");
    }
}

#[test]
fn cursor_macos_and_windows_layouts() {
    let _g = cursor_lock();
    for (os, rel) in [
        (
            "macos",
            "Library/Application Support/Cursor/User/globalStorage/state.vscdb",
        ),
        (
            "windows",
            "AppData/Roaming/Cursor/User/globalStorage/state.vscdb",
        ),
    ] {
        let mut t = TestEnv::new();
        t.set("BYOK_OS", os);
        t.init("https://gw.example.com");
        let db = make_db(&t, rel, Some(&blob()));
        masked(t.run(&["setup", "cursor", "--yes"]).success());
        assert_eq!(db_rows(&db)[BLOB_KEY], configured_blob(), "{os}");
    }
}

#[test]
fn cursor_malformed_blob_is_left_alone() {
    let _g = cursor_lock();
    let t = TestEnv::new();
    t.init("https://gw.example.com");
    let db = make_db(&t, CURSOR_DB, Some("{\"openAIBaseUrl\":"));
    let original = std::fs::read(&db).unwrap();
    let out = masked(t.run(&["setup", "cursor", "--yes"]).code(2));
    assert!(
        out.stderr.contains(
            "could not read Cursor's settings in ~/.config/Cursor/User/globalStorage/state.vscdb"
        ),
        "{out}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), original);
}

#[test]
fn cursor_without_saved_settings_prints_all_steps() {
    let _g = cursor_lock();
    let t = TestEnv::new();
    t.init("https://gw.example.com");
    let db = make_db(&t, CURSOR_DB, None);
    let original = std::fs::read(&db).unwrap();
    let out = masked(t.run(&["setup", "cursor", "--yes"]).success());
    assert!(
        out.stdout.contains("has no saved Cursor settings yet")
            && out
                .stdout
                .contains("turn on \"Override OpenAI Base URL\", enter https://gw.example.com/v1")
            && out.stdout.contains("\"+ Add model\": gpt-4o"),
        "{out}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), original);
}

#[test]
fn cursor_warns_about_a_local_gateway() {
    let _g = cursor_lock();
    let t = TestEnv::new();
    t.init("http://127.0.0.1:4000");
    make_db(&t, CURSOR_DB, Some("{}"));
    let out = masked(t.run(&["setup", "cursor", "--yes"]).success());
    assert!(
        out.stdout.contains("note: warning: Cursor calls the gateway from Cursor's servers, and 127.0.0.1 is a loopback address they cannot reach"),
        "{out:?}"
    );
}

/// A copy of `sleep` named `Cursor`, killed when dropped.
#[cfg(target_os = "linux")]
struct FakeCursor(std::process::Child);

#[cfg(target_os = "linux")]
impl Drop for FakeCursor {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(target_os = "linux")]
#[test]
fn cursor_running_is_refused() {
    let _g = cursor_lock();
    // Its fake `Cursor` process is seen machine-wide: no other test may run meanwhile.
    let (_alone, t) = TestEnv::alone();
    t.init("https://gw.example.com");
    let db = make_db(&t, CURSOR_DB, Some(&blob()));
    let original = std::fs::read(&db).unwrap();
    let exe = t.root().join("Cursor");
    std::fs::copy("/bin/sleep", &exe).unwrap();
    let fake = FakeCursor(std::process::Command::new(&exe).arg("60").spawn().unwrap());
    let out = masked(t.run(&["setup", "cursor", "--yes"]).code(2));
    assert!(
        out.stderr.contains(
            "Cursor is running; byok edits its settings database only while Cursor is quit"
        ) && out.stderr.contains("quit Cursor completely"),
        "{out}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), original);
    let out = masked(t.run(&["detect"]).success());
    assert!(out.stdout.contains("running now"), "{out}");
    drop(fake);
    masked(t.run(&["setup", "cursor", "--yes"]).success());
    assert_eq!(db_rows(&db)[BLOB_KEY], configured_blob());
    // Once configured, a running Cursor is no obstacle to a setup with nothing to write.
    let _fake = FakeCursor(std::process::Command::new(&exe).arg("60").spawn().unwrap());
    let out = masked(t.run(&["setup", "cursor", "--yes"]).success());
    assert!(out.stdout.starts_with("Cursor\n  up to date\n"), "{out}");
    let configured = std::fs::read(&db).unwrap();
    let out = masked(t.run(&["remove", "cursor", "--yes"]).code(2));
    assert!(out.stderr.contains("Cursor is running"), "{out}");
    assert_eq!(std::fs::read(&db).unwrap(), configured);
}

/// The issue's acceptance home: VS Code + Roo Code + Cline, VSCodium + Kilo Code, Cursor quit.
#[test]
fn setup_all_configures_each_editor() {
    let _g = cursor_lock();
    let t = TestEnv::new();
    t.init("https://gw.example.com");
    t.write(ROO, "{}");
    t.write(
        ".vscode/extensions/saoudrizwan.claude-dev-3.70.0/package.json",
        "{}",
    );
    t.write(
        ".config/Code/User/settings.json",
        fixture("roo-code/linux-vscode/settings.json"),
    );
    t.write(
        ".vscode-oss/extensions/kilocode.kilo-code-5.10.4/package.json",
        "{}",
    );
    t.write(
        ".config/VSCodium/User/settings.json",
        fixture("kilo-code/vscodium/settings.json"),
    );
    let db = make_db(&t, CURSOR_DB, Some(&blob()));
    let out = masked(t.run(&["setup", "--all", "--yes"]).success());
    for name in ["Cursor\n", "Roo Code\n", "Cline\n", "Kilo Code\n"] {
        assert!(out.stdout.contains(name), "{out}");
    }
    assert_eq!(db_rows(&db)[BLOB_KEY], configured_blob());
    assert_eq!(t.read(ROO_IMPORT), expected_import());
    assert_eq!(
        t.read(".local/share/byok/kilo-code-settings.json"),
        expected_import()
    );
    let out = masked(t.run(&["detect"]).success());
    for line in [
        "Cursor         configured (profile default)",
        "Roo Code       configured (profile default)",
        "Cline          configured (profile default)",
        "Kilo Code      configured (profile default)",
        "extension 5.10.4 in VSCodium (~/.vscode-oss/extensions/kilocode.kilo-code-5.10.4)",
    ] {
        assert!(out.stdout.contains(line), "{line}\n{out}");
    }
}

#[test]
fn roo_code_reaches_vscode_profiles() {
    let t = TestEnv::new();
    t.init("https://gw.example.com");
    t.write(ROO, "{}");
    let profile = ".config/Code/User/profiles/-4a5b6c7d/settings.json";
    let original = "{\n  // Work profile\n  \"editor.fontSize\": 15,\n}\n";
    t.write(profile, original);
    std::fs::create_dir_all(t.home().join(".config/Code/User/profiles/3f2e1d0c")).unwrap();
    masked(t.run(&["setup", "roo-code", "--yes"]).success());
    let import = t.home().join(ROO_IMPORT).display().to_string();
    assert_eq!(
        t.read(profile),
        format!(
            "{{\n  // Work profile\n  \"editor.fontSize\": 15,\n  \"roo-cline.autoImportSettingsPath\": \"{import}\",\n}}\n"
        )
    );
    assert_eq!(
        t.read(".config/Code/User/profiles/3f2e1d0c/settings.json"),
        format!("{{\n  \"roo-cline.autoImportSettingsPath\": \"{import}\"\n}}\n")
    );
    assert!(t.read(".config/Code/User/settings.json").contains(&import));
    let again = t.run(&["setup", "roo-code", "--yes"]).success();
    assert_eq!(again.stdout, "Roo Code\n  up to date\n");
    masked(t.run(&["remove", "roo-code", "--yes"]).success());
    assert_eq!(t.read(profile), original);
    assert!(!t.exists(ROO_IMPORT));
}
