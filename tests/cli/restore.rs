//! `byok restore` where it could lose data: an unsaved SQLite `-wal`, a settings file
//! shared by two tools, a mistyped `--tool`; and reads that must leave no side files.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::common::{KEY, Output, TestEnv};

const CURSOR_DB: &str = ".config/Cursor/User/globalStorage/state.vscdb";
const MANIFEST: &str = ".local/state/byok/backups/manifest.json";
const VSCODE_SETTINGS: &str = ".config/Code/User/settings.json";
const ROO_EXT: &str = ".vscode/extensions/rooveterinaryinc.roo-cline-3.52.1/package.json";
const KILO_EXT: &str = ".vscode/extensions/kilocode.kilo-code-5.10.4/package.json";
const ROO_IMPORT: &str = ".local/share/byok/roo-code-settings.json";
const KILO_IMPORT: &str = ".local/share/byok/kilo-code-settings.json";
const SETTINGS: &str =
    "{\n  // my editor\n  \"editor.fontSize\": 13,\n  \"files.autoSave\": \"afterDelay\"\n}\n";

#[track_caller]
fn masked(out: Output) -> Output {
    assert!(
        !out.stdout.contains(KEY) && !out.stderr.contains(KEY),
        "key leaked:\n{out}"
    );
    out
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn side(db: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", db.display()))
}

fn value(db: &Path) -> String {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.query_row("SELECT value FROM ItemTable WHERE key = 'k'", [], |r| {
        r.get(0)
    })
    .unwrap()
}

/// A WAL-mode `state.vscdb` holding `k = original`, closed cleanly (no side files).
fn wal_db(t: &TestEnv) -> PathBuf {
    let db = t.home().join(CURSOR_DB);
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    conn.execute_batch(
        "CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);
         INSERT INTO ItemTable VALUES ('k', 'original'), ('other', 'row');",
    )
    .unwrap();
    drop(conn);
    assert!(!side(&db, "-wal").exists() && !side(&db, "-shm").exists());
    db
}

/// Sets `k` and leaves the change only in `-wal`, as a crashed (or running) editor does.
fn crash_with(db: &Path, v: &str) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch("PRAGMA wal_autocheckpoint=0;").unwrap();
    conn.execute("UPDATE ItemTable SET value = ?1 WHERE key = 'k'", [v])
        .unwrap();
    let files: Vec<(PathBuf, Vec<u8>)> = [db.to_path_buf(), side(db, "-wal"), side(db, "-shm")]
        .into_iter()
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    drop(conn);
    for (p, b) in files {
        std::fs::write(p, b).unwrap();
    }
    assert!(std::fs::metadata(side(db, "-wal")).unwrap().len() > 0);
}

#[test]
fn reading_a_wal_database_leaves_no_side_files() {
    let t = TestEnv::new();
    let db = wal_db(&t);
    let before = std::fs::read(&db).unwrap();
    masked(t.run(&["detect"]).success());
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert!(!side(&db, "-wal").exists(), "{:?}", t.tree());
    assert!(!side(&db, "-shm").exists(), "{:?}", t.tree());
}

#[test]
fn unsaved_wal_is_refused_then_forced_restore_drops_stale_side_files() {
    let t = TestEnv::new();
    let db = wal_db(&t);
    let original = std::fs::read(&db).unwrap();
    // What byok wrote (committed and checkpointed), then Cursor's unsaved change.
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute("UPDATE ItemTable SET value = 'byok' WHERE key = 'k'", [])
            .unwrap();
    }
    let written = std::fs::read(&db).unwrap();
    assert_ne!(written, original);
    crash_with(&db, "cursor");
    // The backup setup would have taken: the database, and a -wal that did not exist.
    let copy = t.home().join(".local/state/byok/backups/files/db1");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::write(&copy, &original).unwrap();
    let manifest = serde_json::json!({"entries": [
        {"id": "db1", "path": db, "existed": true, "mode": 0o644, "sha256": sha(&original),
         "time": "2025-01-01T00:00:00Z", "tool": "cursor", "profile": "default",
         "copy": "files/db1", "written_sha256": sha(&written)},
        {"id": "wal1", "path": side(&db, "-wal"), "existed": false, "sha256": "",
         "time": "2025-01-01T00:00:00Z", "tool": "cursor", "profile": "default"},
    ]});
    t.write(MANIFEST, serde_json::to_string_pretty(&manifest).unwrap());
    let wal = std::fs::read(side(&db, "-wal")).unwrap();

    let out = t.run(&["restore", "db1", "--yes"]).code(2);
    assert_eq!(
        out.stderr,
        "byok: error: ~/.config/Cursor/User/globalStorage/state.vscdb has unsaved changes in ~/.config/Cursor/User/globalStorage/state.vscdb-wal (is Cursor running?)\nhint: quit Cursor, then run the command again; --force discards them\n"
    );
    assert_eq!(out.stdout, "");
    assert_eq!(std::fs::read(&db).unwrap(), written);
    assert_eq!(std::fs::read(side(&db, "-wal")).unwrap(), wal);
    assert_eq!(value(&db), "cursor", "the -wal still holds Cursor's change");

    let out = t.run(&["restore", "db1", "--yes", "--force"]).success();
    assert_eq!(
        out.stdout,
        "restored ~/.config/Cursor/User/globalStorage/state.vscdb\n\
         removed ~/.config/Cursor/User/globalStorage/state.vscdb-shm\n\
         removed (byok created it) ~/.config/Cursor/User/globalStorage/state.vscdb-wal\n"
    );
    assert_eq!(std::fs::read(&db).unwrap(), original);
    assert!(!side(&db, "-wal").exists() && !side(&db, "-shm").exists());
    assert_eq!(value(&db), "original", "no stale -wal replayed onto it");
    assert_eq!(
        t.run(&["restore", "--list"]).success().stdout,
        "no backups\n"
    );
}

#[test]
fn database_without_unsaved_wal_restores_without_force() {
    let t = TestEnv::new();
    let db = wal_db(&t);
    let original = std::fs::read(&db).unwrap();
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute("UPDATE ItemTable SET value = 'byok' WHERE key = 'k'", [])
            .unwrap();
    }
    let written = std::fs::read(&db).unwrap();
    let copy = t.home().join(".local/state/byok/backups/files/db1");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::write(&copy, &original).unwrap();
    let manifest = serde_json::json!({"entries": [
        {"id": "db1", "path": db, "existed": true, "sha256": sha(&original),
         "time": "2025-01-01T00:00:00Z", "tool": "cursor", "profile": "default",
         "copy": "files/db1", "written_sha256": sha(&written)},
    ]});
    t.write(MANIFEST, serde_json::to_string_pretty(&manifest).unwrap());
    // An empty -wal (a cleanly idle editor) holds nothing to lose.
    std::fs::write(side(&db, "-wal"), b"").unwrap();
    let out = t.run(&["restore", "--tool", "cursor", "--yes"]).success();
    assert_eq!(
        out.stdout,
        "restored ~/.config/Cursor/User/globalStorage/state.vscdb\n"
    );
    assert_eq!(std::fs::read(&db).unwrap(), original);
    assert_eq!(value(&db), "original");
}

/// VS Code with Roo Code and Kilo Code: both point one settings.json at their import file.
fn roo_and_kilo(t: &TestEnv) {
    t.init("https://gw.example.com");
    t.write(ROO_EXT, "{}");
    t.write(KILO_EXT, "{}");
    t.write(VSCODE_SETTINGS, SETTINGS);
    masked(t.run(&["setup", "roo-code", "--yes"]).success());
    masked(t.run(&["setup", "kilo-code", "--yes"]).success());
    let both = t.read(VSCODE_SETTINGS);
    assert!(
        both.contains("\"roo-cline.autoImportSettingsPath\"")
            && both.contains("\"kilo-code.autoImportSettingsPath\""),
        "{both}"
    );
}

#[test]
fn restoring_one_tool_of_a_shared_settings_file_is_refused() {
    let t = TestEnv::new();
    roo_and_kilo(&t);
    let both = t.read(VSCODE_SETTINGS);

    let out = t.run(&["restore", "--tool", "roo-code", "--yes"]).code(2);
    assert_eq!(
        out.stderr,
        "byok: error: ~/.config/Code/User/settings.json also holds byok's settings for Kilo Code; restoring it would take those out too\n\
         hint: `byok remove roo-code` takes out only Roo Code's settings; --force restores the whole file (then run `byok setup kilo-code` again)\n"
    );
    assert_eq!(out.stdout, "");
    assert_eq!(t.read(VSCODE_SETTINGS), both);
    assert!(t.exists(ROO_IMPORT));

    let out = masked(
        t.run(&["restore", "--tool", "roo-code", "--yes", "--force"])
            .success(),
    );
    assert_eq!(
        out.stdout,
        "removed (byok created it) ~/.local/share/byok/roo-code-settings.json\nrestored ~/.config/Code/User/settings.json\n"
    );
    assert_eq!(t.read_bytes(VSCODE_SETTINGS).unwrap(), SETTINGS.as_bytes());
    assert!(!t.exists(ROO_IMPORT));
    // Kilo Code lost its setting with the file: out of date, not "changed by hand".
    let out = masked(t.run(&["detect"]).success());
    assert!(
        out.stdout.contains("Kilo Code      not configured\n"),
        "{out}"
    );
    assert!(!out.stdout.contains("changed by hand"), "{out}");
    masked(t.run(&["setup", "kilo-code", "--yes"]).success());
    assert!(
        t.read(VSCODE_SETTINGS)
            .contains("\"kilo-code.autoImportSettingsPath\""),
    );
}

#[test]
fn restoring_every_tool_of_a_shared_settings_file_needs_no_force() {
    let t = TestEnv::new();
    roo_and_kilo(&t);
    masked(t.run(&["restore", "--yes"]).success());
    assert_eq!(t.read_bytes(VSCODE_SETTINGS).unwrap(), SETTINGS.as_bytes());
    assert!(!t.exists(ROO_IMPORT) && !t.exists(KILO_IMPORT));
    let out = masked(t.run(&["detect"]).success());
    assert!(!out.stdout.contains("changed by hand"), "{out}");
}

#[test]
fn a_tool_in_another_editor_does_not_share_the_file() {
    let t = TestEnv::new();
    t.init("https://gw.example.com");
    t.write(ROO_EXT, "{}");
    t.write(VSCODE_SETTINGS, SETTINGS);
    t.write(
        ".vscode-oss/extensions/kilocode.kilo-code-5.10.4/package.json",
        "{}",
    );
    t.write(".config/VSCodium/User/settings.json", "{}\n");
    masked(t.run(&["setup", "roo-code", "--yes"]).success());
    masked(t.run(&["setup", "kilo-code", "--yes"]).success());
    let kilo = t.read(".config/VSCodium/User/settings.json");
    masked(t.run(&["restore", "--tool", "roo-code", "--yes"]).success());
    assert_eq!(t.read_bytes(VSCODE_SETTINGS).unwrap(), SETTINGS.as_bytes());
    assert_eq!(t.read(".config/VSCodium/User/settings.json"), kilo);
    let out = masked(t.run(&["detect"]).success());
    assert!(
        out.stdout
            .contains("Kilo Code      configured (profile default)"),
        "{out}"
    );
}

#[test]
fn unknown_tool_is_an_error() {
    let t = TestEnv::new();
    let out = t.run(&["restore", "--tool", "bogus", "--yes"]).code(2);
    assert_eq!(
        out.stderr,
        "byok: error: unknown tool `bogus`\nhint: valid names: claude-code, cursor, roo-code, cline, kilo-code, continue, codex, opencode, gemini-cli, kilo, qwen-code, droid, pi, aider, copilot-cli, zed, copilot-chat, goose, crush, claude-desktop, jetbrains-ai, trae, warp, shell\n"
    );
    assert_eq!(out.stdout, "");
    // A real name with nothing backed up is fine.
    let out = t.run(&["restore", "--tool", "shell", "--yes"]).success();
    assert_eq!(out.stdout, "nothing to restore\n");
}
