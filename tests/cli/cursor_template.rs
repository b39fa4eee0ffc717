//! Cursor as a template (`templates/cursor.toml` + hook `cursor`) and the engine's
//! `sqlite_item` file kind it rests on, through the real binary on fake homes: a blob of
//! `{}` gets byok's values on one line, a hand edit of an owned value is drift while a
//! model toggle in Cursor is not, the macOS and Windows layouts, `templates show`, and a
//! user's own template for a VS Code fork that keeps its settings in a row.

use std::path::{Path, PathBuf};

use crate::common::{TestEnv, no_key};
use crate::setup_editors::cursor_lock;

const BLOB_KEY: &str = "src.vs.platform.reactivestorage.browser.reactiveStorageServiceImpl.persistentStorage.applicationUser";
const MAC_DB: &str = "Library/Application Support/Cursor/User/globalStorage/state.vscdb";
const WIN_DB: &str = "AppData/Roaming/Cursor/User/globalStorage/state.vscdb";

/// A `state.vscdb` with an `ItemTable` holding `rows`, plus a row of Cursor's own.
fn make_db(t: &TestEnv, rel: &str, rows: &[(&str, &str)]) -> PathBuf {
    let path = t.home().join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);
         INSERT INTO ItemTable VALUES ('workbench.activity.pinnedViewlets2', '[{\"id\":\"workbench.view.explorer\",\"pinned\":true}]');",
    )
    .unwrap();
    for (k, v) in rows {
        conn.execute("INSERT INTO ItemTable (key, value) VALUES (?1, ?2)", (k, v))
            .unwrap();
    }
    path
}

fn row(db: &Path, key: &str) -> Option<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("SELECT value FROM ItemTable WHERE key = ?1", [key], |r| {
        r.get(0)
    })
    .ok()
}

fn set_row(db: &Path, key: &str, value: &str) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute(
        "INSERT OR REPLACE INTO ItemTable (key, value) VALUES (?1, ?2)",
        (key, value),
    )
    .unwrap();
}

#[test]
fn cursor_template_an_empty_blob_gets_one_line_and_only_owned_values_drift() {
    let _g = cursor_lock();
    let mut t = TestEnv::new();
    t.set("BYOK_OS", "macos");
    t.init("https://gw.example.com");
    let db = make_db(&t, MAC_DB, &[(BLOB_KEY, "{}")]);
    let original = std::fs::read(&db).unwrap();
    no_key(t.run(&["setup", "cursor", "--yes"]).success());
    let configured = r#"{"openAIBaseUrl":"https://gw.example.com/v1","useOpenAIKey":true,"aiSettings":{"userAddedModels":["gpt-4o"],"modelOverrideEnabled":["gpt-4o"]}}"#;
    assert_eq!(row(&db, BLOB_KEY).unwrap(), configured);
    let det = no_key(t.run(&["detect"]).success());
    assert!(
        det.stdout
            .contains("Cursor         configured (profile default)\n"),
        "{det}"
    );
    // The user switches byok's model off in Cursor: setup would switch it on again, but
    // it is no hand edit of byok's values (the lists aren't owned).
    set_row(
        &db,
        BLOB_KEY,
        &configured.replace(
            r#""modelOverrideEnabled":["gpt-4o"]"#,
            r#""modelOverrideEnabled":[],"modelOverrideDisabled":["gpt-4o"]"#,
        ),
    );
    let det = no_key(t.run(&["detect"]).success());
    assert!(
        det.stdout
            .contains("Cursor         out of date (last set up for profile default)\n"),
        "{det}"
    );
    // A hand edit of the base URL is drift, named by the database and field.
    set_row(
        &db,
        BLOB_KEY,
        &configured.replace("https://gw.example.com/v1", "https://mine.example/v1"),
    );
    let det = no_key(t.run(&["detect"]).success());
    assert!(
        det.stdout.contains(
            "Cursor         drifted: changed by hand: ~/Library/Application Support/Cursor/User/globalStorage/state.vscdb openAIBaseUrl\n"
        ),
        "{det}"
    );
    no_key(t.run(&["restore", "--yes", "--force"]).success());
    assert_eq!(std::fs::read(&db).unwrap(), original);
}

#[test]
fn cursor_template_windows_remove_gives_the_blob_back_and_show_names_the_hook() {
    let _g = cursor_lock();
    let mut t = TestEnv::new();
    t.set("BYOK_OS", "windows");
    t.init("https://gw.example.com");
    let blob = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/cursor/big-numbers/applicationUser.json"),
    )
    .unwrap();
    let db = make_db(&t, WIN_DB, &[(BLOB_KEY, &blob)]);
    let out = no_key(t.run(&["setup", "cursor", "--dry-run"]).success());
    assert!(
        out.stdout.contains(&format!(
            "--- a/~/AppData/Roaming/Cursor/User/globalStorage/state.vscdb [{BLOB_KEY}]\n"
        )),
        "{out}"
    );
    assert_eq!(
        row(&db, BLOB_KEY).unwrap(),
        blob,
        "a dry run writes nothing"
    );
    no_key(t.run(&["setup", "cursor", "--yes"]).success());
    let now = row(&db, BLOB_KEY).unwrap();
    assert!(
        now.contains(r#""openAIBaseUrl":"https://gw.example.com/v1""#),
        "{now}"
    );
    let out = no_key(t.run(&["remove", "cursor", "--yes"]).success());
    assert!(!out.stdout.contains("model ids byok added stay"), "{out}");
    assert_eq!(row(&db, BLOB_KEY).unwrap(), blob);
    assert_eq!(
        row(&db, "workbench.activity.pinnedViewlets2").unwrap(),
        "[{\"id\":\"workbench.view.explorer\",\"pinned\":true}]"
    );

    let out = t.run(&["templates", "show", "cursor"]).success();
    assert_eq!(
        out.stdout,
        format!(
            "# built-in template templates/cursor.toml (with hook `cursor`)\n{}",
            include_str!("../../templates/cursor.toml")
        )
    );
}

/// A fictional VS Code fork, "Quill Editor", whose AI settings are a JSON row: a user's
/// template says so with `sqlite_item`, no code needed.
const QUILL: &str = r#"id = "quill-editor"
name = "Quill Editor"
verified = "a test template, not a real tool"

[roots.quilled]
default = "{config}/QuillEd"

[[file]]
id = "state.vscdb"
path = "{quilled}/User/globalStorage/state.vscdb"
format = "json"
sqlite_item = "quill.ai"

[[file.value]]
key = "ai.baseUrl"
value = "{openai_base}"

[[file.value]]
key = "ai.model"
value = "{model}"
"#;

#[test]
fn a_user_template_edits_a_settings_row_and_never_creates_one() {
    let t = TestEnv::new();
    t.init("https://gw.example.com");
    t.write(".config/byok/templates/quill-editor.toml", QUILL);
    let rel = ".config/QuillEd/User/globalStorage/state.vscdb";
    // No row yet: nothing is written, and setup still succeeds.
    let db = make_db(&t, rel, &[]);
    let original = std::fs::read(&db).unwrap();
    no_key(t.run(&["setup", "quill-editor", "--yes"]).success());
    assert_eq!(std::fs::read(&db).unwrap(), original);
    assert_eq!(row(&db, "quill.ai"), None);

    set_row(
        &db,
        "quill.ai",
        r#"{"theme":"dark","ai":{"temperature":0.20}}"#,
    );
    let out = no_key(t.run(&["setup", "quill-editor", "--yes"]).success());
    assert!(
        out.stdout.starts_with(
            "Quill Editor\n  updated ~/.config/QuillEd/User/globalStorage/state.vscdb [quill.ai]"
        ),
        "{out}"
    );
    let written = row(&db, "quill.ai").unwrap();
    assert_eq!(
        written,
        r#"{"theme":"dark","ai":{"temperature":0.20,"baseUrl":"https://gw.example.com/v1","model":"gpt-4o"}}"#
    );
    assert_eq!(
        no_key(t.run(&["setup", "quill-editor", "--yes"]).success()).stdout,
        "Quill Editor\n  up to date\n"
    );
    no_key(t.run(&["remove", "quill-editor", "--yes"]).success());
    assert_eq!(
        row(&db, "quill.ai").unwrap(),
        r#"{"theme":"dark","ai":{"temperature":0.20}}"#
    );
}
