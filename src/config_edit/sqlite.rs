//! VS Code-style SQLite state databases (`state.vscdb`): one `ItemTable(key, value)`.
//!
//! Only single rows are read or written, inside one immediate transaction; every other
//! row is left alone. Callers back up the database and its `-wal`/`-shm` files first.

use std::path::Path;

use anyhow::{Context, Result};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};

/// Reads one row's value as text; `None` when the database or the row is missing.
pub fn read_item(db: &Path, key: &str) -> Result<Option<String>> {
    if !db.exists() {
        return Ok(None);
    }
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("could not open {}", db.display()))?;
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
