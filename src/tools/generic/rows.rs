//! A file kind for the engine: a JSON blob in one row of a VS Code-style SQLite
//! `ItemTable` (`sqlite_item = "<row key>"` on a `[[file]]`, `format = "json"`), such as
//! Cursor's settings in `state.vscdb`.
//!
//! The row is edited like a JSON file (every byte byok doesn't own stays as the editor
//! wrote it), with these differences, because the editor owns the database:
//!
//! - It is read from the gathered rows ([`Current::sqlite`], read by
//!   [`crate::config_edit::sqlite`] at the edge) and written as a
//!   [`Target::SqliteItem`] change (one transaction, after the database and its
//!   `-wal`/`-shm` are backed up).
//! - It is never created: a missing database or row means the editor has not saved its
//!   settings yet, so nothing is written (a hook says what to do instead). It is never
//!   deleted either, even when byok's values leave `{}`.
//! - A row holding `{}` gets byok's values on its one line, serialised compactly as
//!   editors write it; any other blob is edited in place.
//! - Owned values read as JSON text (`"https://…/v1"`, `true`), as the drift records of
//!   the Cursor adapter did before it became a template.
//! - A blob that doesn't parse, or isn't an object, is an error naming the row.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::config_edit::{self, ParseError, doc, jsonc};
use crate::env::Env;
use crate::error::UserError;
use crate::plan::{Change, Target};
use crate::templates::{FileSpec, Format};
use crate::tools::{Current, Inputs};

/// Whether `f` is a row rather than a text file.
pub fn is_row(f: &FileSpec) -> bool {
    f.sqlite_item.is_some()
}

/// The file's text (for a row, the row's value), if it exists.
pub fn text<'a>(cur: &'a Current, f: &FileSpec, path: &Path) -> Option<&'a str> {
    match &f.sqlite_item {
        Some(key) => cur.sqlite_item(path, key),
        None => cur.file(path),
    }
}

/// Asks for a row file's row instead of reading the database as text; `false` for a
/// text file (the caller reads it as one).
pub fn add_input(f: &FileSpec, paths: &[PathBuf], inputs: &mut Inputs) -> bool {
    let Some(key) = &f.sqlite_item else {
        return false;
    };
    for p in paths {
        inputs.sqlite.push((p.clone(), key.clone()));
    }
    true
}

/// Whether setup may create the file when it is missing (a row: never).
pub fn creatable(f: &FileSpec) -> bool {
    !is_row(f)
}

/// Whether `remove` may delete the file once it holds nothing (a row: never).
pub fn deletable(f: &FileSpec, cur: &Current, path: &Path) -> bool {
    !is_row(f) && cur.may_delete(path)
}

/// The change that writes `after`.
pub fn change(
    f: &FileSpec,
    path: PathBuf,
    before: Option<String>,
    after: Option<String>,
    secret: bool,
) -> Change {
    match &f.sqlite_item {
        Some(key) => Change {
            path,
            target: Target::SqliteItem { key: key.clone() },
            before,
            after,
            secret: false,
        },
        None => Change::file(path, before, after, secret),
    }
}

/// A row that held `{}` comes out compact, on one line; anything else as edited.
pub fn finish(f: &FileSpec, before: Option<&str>, after: String) -> String {
    if is_row(f) {
        compact_if_was_empty(before, after)
    } else {
        after
    }
}

/// `after` serialised compactly when `before` was `{}` (nothing of the editor's to keep
/// in place), so a blob stays on one line as editors write it; else `after` as it is.
pub fn compact_if_was_empty(before: Option<&str>, after: String) -> String {
    let was_empty = matches!(
        before.map(jsonc::parse),
        Some(Ok(Some(Value::Object(m)))) if m.is_empty()
    );
    if !was_empty {
        return after;
    }
    match jsonc::parse(&after) {
        Ok(Some(v)) => serde_json::to_string(&v).unwrap_or(after),
        _ => after,
    }
}

/// Checks a row's blob before it is edited: JSON, and an object.
pub fn check(tool: &str, env: &Env, f: &FileSpec, path: &Path, text: &str) -> anyhow::Result<()> {
    if !is_row(f) {
        return Ok(());
    }
    match jsonc::parse(text) {
        Ok(Some(Value::Object(_))) => Ok(()),
        Ok(_) => Err(blob_error(tool, env, f, path, "it is not a JSON object")),
        Err(e) => Err(blob_error(
            tool,
            env,
            f,
            path,
            &format!("it is not valid JSON ({e})"),
        )),
    }
}

/// The error for a text (`text`, as gathered) byok can't edit: a row's names the row and
/// says how the editor rewrites it; valid YAML in a form byok's YAML editor refuses (a
/// flow list, an alias) says so and what to write instead; else "could not parse".
pub fn unparsable(
    tool: &str,
    env: &Env,
    f: &FileSpec,
    path: &Path,
    text: &str,
    e: &ParseError,
) -> anyhow::Error {
    if is_row(f) {
        blob_error(tool, env, f, path, &e.to_string())
    } else if f.format == Format::Yaml && config_edit::yaml::parse(text).is_ok() {
        config_edit::refused(env, path, e)
    } else {
        config_edit::unparsable(env, path, e)
    }
}

fn blob_error(tool: &str, env: &Env, f: &FileSpec, path: &Path, what: &str) -> anyhow::Error {
    row_error(
        tool,
        env,
        path,
        f.sqlite_item.as_deref().unwrap_or_default(),
        what,
    )
}

/// The error for a row's blob byok can't edit (`what` says why), naming the row.
pub fn row_error(tool: &str, env: &Env, path: &Path, key: &str, what: &str) -> anyhow::Error {
    UserError::new(format!(
        "could not read {tool}'s settings in {} [{key}]: {what}",
        env.tilde(path)
    ))
    .hint(format!(
        "byok left the database untouched; start and quit {tool} once so it rewrites its settings, then run the command again"
    ))
    .into()
}

/// The owned leaves at `key`, as [`doc::leaves`] reads them; in a row, as JSON text.
pub fn leaves(f: &FileSpec, text: &str, key: &[String]) -> Vec<(Vec<String>, String)> {
    if !is_row(f) {
        return doc::leaves(f.format, text, key);
    }
    match doc::get(f.format, text, key) {
        Ok(Some(v)) => json_leaves(&v, &mut Vec::new()),
        _ => Vec::new(),
    }
}

fn json_leaves(v: &Value, at: &mut Vec<String>) -> Vec<(Vec<String>, String)> {
    match v {
        Value::Object(m) if !m.is_empty() => {
            let mut out = Vec::new();
            for (k, x) in m {
                at.push(k.clone());
                out.extend(json_leaves(x, at));
                at.pop();
            }
            out
        }
        other => vec![(at.clone(), other.to_string())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> FileSpec {
        let t = crate::templates::parse(
            "r.toml",
            "id = \"r\"\nname = \"R\"\nverified = \"a test\"\n[[file]]\nid = \"db\"\npath = \"{home}/state.vscdb\"\nformat = \"json\"\nsqlite_item = \"blob\"\nlabel = \"path\"\n[[file.value]]\nkey = \"url\"\nvalue = \"{openai_base}\"\n",
        )
        .unwrap();
        t.files[0].clone()
    }

    #[test]
    fn an_empty_blob_gets_one_compact_line_others_are_kept() {
        let f = row();
        let after = "{\n  \"a\": 1,\n  \"b\": [1, 2]\n}\n".to_string();
        assert_eq!(
            finish(&f, Some("{}"), after.clone()),
            r#"{"a":1,"b":[1,2]}"#
        );
        assert_eq!(finish(&f, Some("{\"x\":1}"), after.clone()), after);
        assert_eq!(
            leaves(
                &f,
                r#"{"url":"https://x/v1","o":{"t":true}}"#,
                &["url".into()]
            ),
            [(vec![], "\"https://x/v1\"".to_string())]
        );
        assert_eq!(
            leaves(&f, r#"{"o":{"t":true}}"#, &["o".into()]),
            [(vec!["t".to_string()], "true".to_string())]
        );
    }

    #[test]
    fn rows_are_refused_what_a_row_cannot_have() {
        let base = "id = \"r\"\nname = \"R\"\nverified = \"a test\"\n[[file]]\nid = \"db\"\npath = \"{home}/state.vscdb\"\nsqlite_item = \"blob\"\n";
        let err = |extra: &str| {
            crate::templates::parse("r.toml", &format!("{base}{extra}"))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err("format = \"jsonc\"\n"),
            "r.toml:7:1: file `db`: a `sqlite_item` row is `format = \"json\"` with one `path` (the database) and no `env`, `new`, `hosts`, `create` or `secret`"
        );
        assert_eq!(
            err("format = \"json\"\n[[file.value]]\nkey = \"k\"\nvalue = \"{key}\"\n"),
            "r.toml:10:1: `k`: a `sqlite_item` row can't hold {key} (the database is not private to the user)"
        );
    }
}
