//! VS Code-style SQLite state databases (`state.vscdb`): one `ItemTable(key, value)`.
//!
//! Only single rows are read or written, inside one immediate transaction; every other
//! row is left alone. Callers back up the database and its `-wal`/`-shm` files first.
//! Reading leaves no side files behind: a database without a `-wal` is opened immutable.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};

/// Reads one row's value as text; `None` when the database or the row is missing.
pub fn read_item(db: &Path, key: &str) -> Result<Option<String>> {
    // A FIFO or device in the database's place would block or mislead SQLite.
    if !crate::fs::check_regular(db)? {
        return Ok(None);
    }
    let conn = open_read_only(db).with_context(|| format!("could not open {}", db.display()))?;
    let value: Option<rusqlite::types::Value> = conn
        .query_row("SELECT value FROM ItemTable WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()
        .with_context(|| format!("could not read {key} from {}", db.display()))?;
    Ok(value.and_then(|v| match v {
        rusqlite::types::Value::Text(t) => Some(t),
        rusqlite::types::Value::Blob(b) => String::from_utf8(b).ok(),
        _ => None,
    }))
}

/// `<db><suffix>`, e.g. the `-wal` beside a database.
pub fn side_file(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A read-only connection that creates no `-wal`/`-shm` files.
///
/// Even a read-only open of a WAL-mode database creates both side files, and they stay
/// when the directory is read-only or the process dies. Without a `-wal` (or rollback
/// `-journal`) nobody has uncommitted data there, so the file is opened `immutable=1`:
/// no locks, no side files. With one (the editor is running or crashed), a normal
/// read-only open sees its data; the side files exist already.
fn open_read_only(db: &Path) -> rusqlite::Result<Connection> {
    let quiet = !side_file(db, "-wal").exists() && !side_file(db, "-journal").exists();
    if quiet && let Some(uri) = immutable_uri(db) {
        return Connection::open_with_flags(
            uri,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
        );
    }
    Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
}

/// `file:///…?immutable=1` with the path percent-encoded (`?`, `#`, `%`, spaces, non-ASCII).
fn immutable_uri(db: &Path) -> Option<String> {
    let abs = std::path::absolute(db).ok()?;
    let url = url::Url::from_file_path(abs).ok()?;
    Some(format!("{url}?immutable=1"))
}

/// Sets (or with `None`, deletes) one row in a single immediate transaction.
pub fn write_item(db: &Path, key: &str, value: Option<&str>) -> Result<()> {
    let mut conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .with_context(|| format!("could not open {}", db.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(2))?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .with_context(|| format!("could not lock {} (is the editor running?)", db.display()))?;
    match value {
        Some(v) => tx.execute(
            "INSERT OR REPLACE INTO ItemTable (key, value) VALUES (?1, ?2)",
            (key, v),
        ),
        None => tx.execute("DELETE FROM ItemTable WHERE key = ?1", [key]),
    }
    .with_context(|| format!("could not write {key} in {}", db.display()))?;
    tx.commit()
        .with_context(|| format!("could not commit to {}", db.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wal_db(dir: &Path, name: &str) -> PathBuf {
        let db = dir.join(name);
        let conn = Connection::open(&db).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        conn.execute_batch(
            "CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);
             INSERT INTO ItemTable VALUES ('k', 'v');",
        )
        .unwrap();
        drop(conn);
        db
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn reading_a_wal_database_leaves_no_side_files() {
        let dir = tempfile::tempdir().unwrap();
        // Characters a URI would otherwise misread: `?` starts a query, `#` a fragment.
        let name = "state 100%?x=1#y é.vscdb";
        let db = wal_db(dir.path(), name);
        assert_eq!(names(dir.path()), [name], "closing removed the side files");
        let before = std::fs::read(&db).unwrap();
        assert_eq!(read_item(&db, "k").unwrap().as_deref(), Some("v"));
        assert_eq!(read_item(&db, "missing").unwrap(), None);
        assert_eq!(names(dir.path()), [name]);
        assert_eq!(std::fs::read(&db).unwrap(), before);
    }

    #[test]
    fn an_open_writer_s_wal_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let db = wal_db(dir.path(), "state.vscdb");
        // A second connection kept open, like a running editor: its commit sits in -wal.
        let editor = Connection::open(&db).unwrap();
        editor
            .execute_batch("PRAGMA wal_autocheckpoint=0; UPDATE ItemTable SET value = 'new';")
            .unwrap();
        assert!(side_file(&db, "-wal").metadata().unwrap().len() > 0);
        assert_eq!(read_item(&db, "k").unwrap().as_deref(), Some("new"));
        drop(editor);
    }
}
