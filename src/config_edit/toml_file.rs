//! TOML edited in place with `toml_edit`, so comments, blank lines, key order, quoting
//! and line endings of everything byok does not own stay as they were.
//!
//! The approach is starship's `configure`: parse into a `DocumentMut`, walk the dotted
//! path, and when a value is replaced carry the old value's decor (spacing and trailing
//! comment) over to the new one. Tables byok has to create go at the end of the file
//! (parents that hold nothing else stay implicit, so no empty `[a]` header appears).
//!
//! Named `toml_file` so it does not shadow the `toml` crate.

use toml_edit::{DocumentMut, InlineTable, Item, Table, TableLike, Value};

use super::{ParseError, split_bom};

/// Parses a document; the error gives the line and column, never the offending text.
pub fn parse(text: &str) -> Result<DocumentMut, ParseError> {
    let (_, body) = split_bom(text);
    body.parse::<DocumentMut>().map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        ParseError::at_offset(body, offset, e.message().trim().to_string())
    })
}

/// The item at `path` (keys from the top), if present.
pub fn get(text: &str, path: &[&str]) -> Result<Option<Item>, ParseError> {
    let doc = parse(text)?;
    let mut cur = doc.as_item();
    for key in path {
        match cur.as_table_like().and_then(|t| t.get(key)) {
            Some(next) => cur = next,
            None => return Ok(None),
        }
    }
    Ok(Some(cur.clone()))
}

/// The string at `path`, if present and a string.
pub fn get_str(text: &str, path: &[&str]) -> Result<Option<String>, ParseError> {
    Ok(get(text, path)?.and_then(|i| i.as_str().map(str::to_string)))
}

/// Sets `path` to `value`, creating missing tables; everything else is kept byte for
/// byte. Setting a value equal to the current one returns the text unchanged.
pub fn set(text: &str, path: &[&str], value: impl Into<Value>) -> Result<String, ParseError> {
    assert!(!path.is_empty(), "toml_file::set needs a path");
    let value = value.into();
    let (bom, body) = split_bom(text);
    let mut doc = parse(text)?;
    let next_position = max_position(doc.as_table()) + 1;
    let (parents, last) = path.split_at(path.len() - 1);
    let mut cur = doc.as_item_mut();
    for (i, key) in parents.iter().enumerate() {
        cur = child_or_create(cur, key, next_position)
            .ok_or_else(|| not_a_table(body, &path[..=i]))?;
    }
    let last = last[0];
    match cur {
        Item::Table(t) => match t.get_mut(last) {
            Some(Item::Value(old)) => {
                if same(old, &value) {
                    return Ok(text.to_string());
                }
                *old = with_decor_of(value, old);
            }
            _ => {
                t.insert(last, Item::Value(value));
            }
        },
        Item::Value(Value::InlineTable(t)) => match t.get_mut(last) {
            Some(old) => {
                if same(old, &value) {
                    return Ok(text.to_string());
                }
                *old = with_decor_of(value, old);
            }
            None => {
                t.insert(last, value);
            }
        },
        _ => return Err(not_a_table(body, parents)),
    }
    Ok(render(bom, body, &doc))
}

/// Removes the value or table at `path`; a missing one leaves the text unchanged.
/// Tables that the removal leaves empty are removed too when `prune` is true.
///
/// Comments above a removed first key of the file (often a file header) are kept.
pub fn remove(text: &str, path: &[&str], prune: bool) -> Result<String, ParseError> {
    assert!(!path.is_empty(), "toml_file::remove needs a path");
    let (bom, body) = split_bom(text);
    let mut doc = parse(text)?;
    let mut header = None;
    if !remove_in(doc.as_item_mut(), path, prune, &mut header) {
        return Ok(text.to_string());
    }
    if let Some(header) = header {
        let existing = doc
            .decor()
            .prefix()
            .and_then(|p| p.as_str())
            .unwrap_or("")
            .to_string();
        doc.decor_mut().set_prefix(format!("{existing}{header}"));
    }
    Ok(render(bom, body, &doc))
}

/// Puts `comment` (a `# …` line) above the header of the table at `path`, unless a
/// comment is already there or the table does not exist.
pub fn comment_table(text: &str, path: &[&str], comment: &str) -> Result<String, ParseError> {
    let (bom, body) = split_bom(text);
    let mut doc = parse(text)?;
    let mut cur = doc.as_item_mut();
    for key in path {
        match cur.as_table_like_mut().and_then(|t| t.get_mut(key)) {
            Some(next) => cur = next,
            None => return Ok(text.to_string()),
        }
    }
    let Item::Table(table) = cur else {
        return Ok(text.to_string());
    };
    let prefix = table
        .decor()
        .prefix()
        .and_then(|p| p.as_str())
        .unwrap_or("");
    if prefix.contains('#') {
        return Ok(text.to_string());
    }
    table.decor_mut().set_prefix(format!("\n{comment}\n"));
    let out = render(bom, body, &doc);
    // A table that opens the file gets no blank line above its comment.
    Ok(match out.strip_prefix(&format!("{bom}\n")) {
        Some(rest) if rest.starts_with(comment) => format!("{bom}{rest}"),
        _ => out,
    })
}

fn render(bom: &str, body: &str, doc: &DocumentMut) -> String {
    let mut out = doc.to_string();
    // toml_edit ends every line it writes with "\n"; a file that used CRLF throughout
    // keeps CRLF throughout.
    if uses_crlf_only(body) {
        out = out.replace("\r\n", "\n").replace('\n', "\r\n");
    }
    format!("{bom}{out}")
}

fn uses_crlf_only(text: &str) -> bool {
    let lf = text.matches('\n').count();
    lf > 0 && text.matches("\r\n").count() == lf
}

fn not_a_table(text: &str, path: &[&str]) -> ParseError {
    ParseError::at_offset(text, 0, format!("`{}` is not a table", path.join(".")))
}

/// The child table `key` of a table (or inline table), created when missing.
fn child_or_create<'a>(item: &'a mut Item, key: &str, position: isize) -> Option<&'a mut Item> {
    match item {
        Item::Table(t) => {
            let dotted = t.is_dotted();
            let child = t.entry(key).or_insert_with(|| {
                let mut new = Table::new();
                new.set_implicit(true);
                new.set_dotted(dotted);
                new.set_position(position);
                Item::Table(new)
            });
            child.is_table_like().then_some(child)
        }
        Item::Value(Value::InlineTable(t)) => {
            if !t.contains_key(key) {
                t.insert(key, Value::InlineTable(InlineTable::new()));
            }
            let child = TableLike::get_mut(t, key)?;
            child.is_table_like().then_some(child)
        }
        _ => None,
    }
}

/// The highest document position of any table, so new tables go after all of them.
fn max_position(table: &Table) -> isize {
    let mut max = table.position().unwrap_or(0);
    for (_, item) in table.iter() {
        match item {
            Item::Table(t) => max = max.max(max_position(t)),
            Item::ArrayOfTables(a) => {
                for t in a.iter() {
                    max = max.max(max_position(t));
                }
            }
            _ => {}
        }
    }
    max
}

fn remove_in(item: &mut Item, path: &[&str], prune: bool, header: &mut Option<String>) -> bool {
    let Some(table) = item.as_table_like_mut() else {
        return false;
    };
    if let [key] = path {
        if !table.contains_key(key) {
            return false;
        }
        let first = table.iter().next().is_some_and(|(k, _)| k == *key);
        if first && let Some(prefix) = leading_block(table, key) {
            *header = Some(prefix);
        }
        table.remove(key);
        return true;
    }
    let Some(child) = table.get_mut(path[0]) else {
        return false;
    };
    let removed = remove_in(child, &path[1..], prune, header);
    *header = None; // only a file header (a root key) is carried over
    if removed && prune && child.as_table_like().is_some_and(TableLike::is_empty) {
        table.remove(path[0]);
    } else if removed
        && prune
        && let Item::Table(t) = child
        && t.iter().all(|(_, i)| i.is_table())
    {
        // Only tables left below it: its header goes, as before byok wrote a value
        // there (`[a.b.c]` alone needs no `[a.b]`).
        t.set_implicit(true);
    }
    removed
}

/// A key's leading comment lines, if any: above the first key of a file they are as
/// likely a file header as the key's own comment, so they are kept.
fn leading_block(table: &dyn TableLike, key: &str) -> Option<String> {
    let prefix = table.key(key)?.leaf_decor().prefix()?.as_str()?;
    prefix.contains('#').then(|| prefix.replace("\r\n", "\n"))
}

fn with_decor_of(mut value: Value, old: &Value) -> Value {
    *value.decor_mut() = old.decor().clone();
    value
}

/// Semantic equality, ignoring formatting.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.value() == y.value(),
        (Value::Integer(x), Value::Integer(y)) => x.value() == y.value(),
        (Value::Boolean(x), Value::Boolean(y)) => x.value() == y.value(),
        (Value::Float(x), Value::Float(y)) => x.value() == y.value(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| same(p, q))
        }
        (Value::InlineTable(x), Value::InlineTable(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a.to_string().trim() == b.to_string().trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODEX: &str = r#"# Codex settings
# (hand-written)

model = "o3"  # my favourite
approval_policy = "on-request"

[mcp_servers.docs]
command = "npx"
args = ["-y", "docs-mcp"]

# work profile
[profiles.work]
model = "gpt-5"

[projects."/home/u/src/app"]
trust_level = "trusted"
"#;

    #[test]
    fn set_replaces_value_keeping_its_comment() {
        let out = set(CODEX, &["model"], "gw-model").unwrap();
        assert_eq!(
            out,
            CODEX.replace(r#"model = "o3""#, r#"model = "gw-model""#)
        );
    }

    #[test]
    fn set_new_root_key_goes_after_root_keys() {
        let out = set(CODEX, &["model_provider"], "byok").unwrap();
        assert_eq!(
            out,
            CODEX.replace(
                "approval_policy = \"on-request\"\n",
                "approval_policy = \"on-request\"\nmodel_provider = \"byok\"\n"
            )
        );
    }

    #[test]
    fn set_new_table_goes_at_the_end_without_empty_parent_header() {
        let mut out = set(CODEX, &["model_providers", "byok", "name"], "byok").unwrap();
        out = set(&out, &["model_providers", "byok", "wire_api"], "responses").unwrap();
        assert_eq!(
            out,
            format!("{CODEX}\n[model_providers.byok]\nname = \"byok\"\nwire_api = \"responses\"\n")
        );
    }

    #[test]
    fn set_into_existing_table_appends_to_it() {
        let text = "[model_providers.byok]\nname = \"x\" # mine\n\n[other]\na = 1\n";
        let mut out = set(text, &["model_providers", "byok", "name"], "byok").unwrap();
        out = set(&out, &["model_providers", "byok", "env_key"], "K").unwrap();
        assert_eq!(
            out,
            "[model_providers.byok]\nname = \"byok\" # mine\nenv_key = \"K\"\n\n[other]\na = 1\n"
        );
    }

    #[test]
    fn set_equal_value_returns_text_unchanged() {
        let text = "model = 'o3'   # literal quotes\n";
        assert_eq!(set(text, &["model"], "o3").unwrap(), text);
    }

    #[test]
    fn set_inside_dotted_and_inline_tables() {
        let dotted = "model_providers.byok.name = \"x\"\n";
        assert_eq!(
            set(dotted, &["model_providers", "byok", "name"], "byok").unwrap(),
            "model_providers.byok.name = \"byok\"\n"
        );
        let inline = "model_providers = { byok = { name = \"x\" } }\n";
        let out = set(inline, &["model_providers", "byok", "env_key"], "K").unwrap();
        assert_eq!(
            get_str(&out, &["model_providers", "byok", "env_key"]).unwrap(),
            Some("K".to_string())
        );
        assert_eq!(
            get_str(&out, &["model_providers", "byok", "name"]).unwrap(),
            Some("x".to_string())
        );
    }

    #[test]
    fn set_through_a_value_is_an_error() {
        let e = set(
            "model_providers = \"x\"\n",
            &["model_providers", "byok", "name"],
            "b",
        )
        .unwrap_err();
        assert_eq!(e.message, "`model_providers` is not a table");
    }

    #[test]
    fn crlf_and_bom_are_kept() {
        let text = "\u{feff}# c\r\nmodel = \"o3\"\r\n\r\n[t]\r\na = 1\r\n";
        let out = set(text, &["model_provider"], "byok").unwrap();
        assert_eq!(
            out,
            "\u{feff}# c\r\nmodel = \"o3\"\r\nmodel_provider = \"byok\"\r\n\r\n[t]\r\na = 1\r\n"
        );
        assert_eq!(remove(&out, &["model_provider"], false).unwrap(), text);
    }

    #[test]
    fn empty_text_gets_a_table() {
        let out = set("", &["model_providers", "byok", "name"], "byok").unwrap();
        assert_eq!(out, "[model_providers.byok]\nname = \"byok\"\n");
        let out = set("", &["model"], "m").unwrap();
        assert_eq!(out, "model = \"m\"\n");
    }

    #[test]
    fn remove_table_prunes_empty_parent_and_keeps_the_rest() {
        let with = set(CODEX, &["model_providers", "byok", "name"], "byok").unwrap();
        let out = remove(&with, &["model_providers", "byok"], true).unwrap();
        assert_eq!(out, CODEX);
        assert_eq!(remove(CODEX, &["nope", "x"], true).unwrap(), CODEX);
    }

    #[test]
    fn remove_keeps_comments_above_the_first_key_only() {
        let text = "# header\n\n# the model\nmodel = \"m\"\nother = 1\n";
        assert_eq!(
            remove(text, &["model"], false).unwrap(),
            "# header\n\n# the model\nother = 1\n"
        );
        let text = "a = 1\n# the model\nmodel = \"m\"\n\n[t]\nb = 1\n";
        assert_eq!(
            remove(text, &["model"], false).unwrap(),
            "a = 1\n\n[t]\nb = 1\n"
        );
        let text = "[t]\n# mine\nx = 1\ny = 2\n";
        assert_eq!(remove(text, &["t", "x"], false).unwrap(), "[t]\ny = 2\n");
    }

    #[test]
    fn comment_table_once() {
        let text = "a = 1\n\n[t]\nb = 2\n";
        let out = comment_table(text, &["t"], "# mine").unwrap();
        assert_eq!(out, "a = 1\n\n# mine\n[t]\nb = 2\n");
        assert_eq!(comment_table(&out, &["t"], "# other").unwrap(), out);
        assert_eq!(comment_table(text, &["x"], "# c").unwrap(), text);
        let first = comment_table("[t]\nb = 2\n", &["t"], "# c").unwrap();
        assert_eq!(first, "# c\n[t]\nb = 2\n");
    }

    #[test]
    fn malformed_reports_position() {
        let e = parse("a = 1\nb = = 2\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse("[t]\nx = 1\n[t]\n").unwrap_err();
        assert!(e.line >= 1, "{e}");
    }

    mod prop {
        use std::collections::BTreeMap;

        use proptest::prelude::*;

        use super::super::*;

        fn scalar() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<i32>().prop_map(|i| i.to_string()),
                any::<bool>().prop_map(|b| b.to_string()),
                "[a-zA-Z0-9 ./'#-]{0,12}".prop_map(|s| format!("{s:?}")),
                "[a-z]{1,5}".prop_map(|s| format!("[\"{s}\", 1]")),
            ]
        }

        fn pairs() -> impl Strategy<Value = BTreeMap<String, String>> {
            proptest::collection::btree_map("[a-z]{1,6}", scalar(), 0..5)
        }

        fn document() -> impl Strategy<Value = String> {
            (
                pairs(),
                proptest::collection::btree_map("[a-z]{1,6}", pairs(), 0..4),
                any::<bool>(),
                any::<bool>(),
            )
                .prop_map(|(root, tables, comments, crlf)| {
                    let mut out = String::new();
                    let skip = |k: &str| k.starts_with("model");
                    for (k, v) in root.iter().filter(|(k, _)| !skip(k)) {
                        if comments {
                            out.push_str(&format!("# about {k}\n"));
                        }
                        out.push_str(&format!("{k} = {v}\n"));
                    }
                    let tables = tables
                        .iter()
                        .filter(|(k, _)| !skip(k) && !root.contains_key(*k));
                    for (name, body) in tables {
                        out.push_str(&format!("\n[{name}]  # table {name}\n"));
                        for (k, v) in body {
                            out.push_str(&format!("{k} = {v}\n"));
                        }
                    }
                    if crlf { out.replace('\n', "\r\n") } else { out }
                })
        }

        fn without_byok(text: &str) -> ::toml::Table {
            let mut t: ::toml::Table = ::toml::from_str(text).expect("valid TOML");
            t.remove("model");
            t.remove("model_provider");
            t.remove("model_providers");
            t
        }

        proptest! {
            #[test]
            fn byok_edits_change_nothing_else(doc in document()) {
                let mut out = set(&doc, &["model"], "gw").unwrap();
                out = set(&out, &["model_provider"], "byok").unwrap();
                for key in ["name", "base_url", "env_key"] {
                    out = set(&out, &["model_providers", "byok", key], "v").unwrap();
                }
                prop_assert_eq!(without_byok(&out), without_byok(&doc));
                for line in doc.lines() {
                    prop_assert!(out.contains(line), "lost line {:?}", line);
                }
                let mut back = remove(&out, &["model_providers", "byok"], true).unwrap();
                back = remove(&back, &["model_provider"], false).unwrap();
                back = remove(&back, &["model"], false).unwrap();
                prop_assert_eq!(back, doc);
            }
        }
    }

    #[test]
    fn get_reads_nested_values() {
        assert_eq!(
            get_str(CODEX, &["profiles", "work", "model"]).unwrap(),
            Some("gpt-5".to_string())
        );
        assert_eq!(get_str(CODEX, &["missing"]).unwrap(), None);
        assert!(get(CODEX, &["mcp_servers", "docs"]).unwrap().is_some());
    }
}
