//! One interface over the format editors for the template engine: get, set (merging
//! objects key by key, so keys a user adds inside byok's objects stay), remove, and the
//! leaves under a path for drift labels. Values travel as JSON; each editor keeps the
//! file's own formatting.

use serde_json::Value;

use super::{ParseError, dotenv, jsonc, toml_file, yaml_keys};
use crate::templates::Format;

/// Checks that a text parses in `format`.
pub fn check(format: Format, text: &str) -> Result<(), ParseError> {
    match format {
        Format::Json | Format::Jsonc => jsonc::parse(text).map(drop),
        Format::Toml => toml_file::parse(text).map(drop),
        Format::Dotenv => Ok(()),
        Format::Yaml => yaml_keys::check(text),
    }
}

fn strs(path: &[String]) -> Vec<&str> {
    path.iter().map(String::as_str).collect()
}

/// The value at `path`, if present.
pub fn get(format: Format, text: &str, path: &[String]) -> Result<Option<Value>, ParseError> {
    let p = strs(path);
    match format {
        Format::Json | Format::Jsonc => jsonc::get(text, &p),
        Format::Toml => Ok(toml_file::get(text, &p)?.and_then(|i| toml_to_json(&i))),
        Format::Dotenv => Ok(dotenv::get(text, &path[0]).map(Value::String)),
        Format::Yaml => yaml_keys::get(text, &p),
    }
}

/// Sets `path` to `value`. An object is merged key by key; anything else replaces what
/// is there. Unchanged text when it already holds the value.
pub fn set(
    format: Format,
    text: &str,
    path: &[String],
    value: &Value,
) -> Result<String, ParseError> {
    // Most sets find their value already there (every up-to-date status check): a
    // JSON file says so from one read-only parse rather than an edit per key.
    if matches!(format, Format::Json | Format::Jsonc) && jsonc::holds(text, &strs(path), value) {
        return Ok(text.to_string());
    }
    edit(format, text, path, value)
}

/// [`set`] by editing, key by key.
fn edit(format: Format, text: &str, path: &[String], value: &Value) -> Result<String, ParseError> {
    if let Value::Object(m) = value
        && !m.is_empty()
        && format != Format::Dotenv
    {
        // A table merges into a table; a plain value where it goes is replaced whole
        // (a key that becomes a reference `{ var = … }`), else its keys couldn't go in.
        let mut out = match get(format, text, path)? {
            Some(old) if !old.is_object() && !path.is_empty() => remove(format, text, path, false)?,
            _ => text.to_string(),
        };
        for (k, v) in m {
            let mut child = path.to_vec();
            child.push(k.clone());
            out = edit(format, &out, &child, v)?;
        }
        return Ok(out);
    }
    let p = strs(path);
    match format {
        Format::Json | Format::Jsonc => jsonc::set(text, &p, value),
        Format::Toml => toml_file::set(text, &p, json_to_toml(value)),
        Format::Yaml => yaml_keys::set(text, &p, value),
        Format::Dotenv => {
            let s = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            dotenv::set(text, &path[0], &s)
                .map_err(|e| ParseError::at_offset(text, 0, format!("{e:#}")))
        }
    }
}

/// Removes `path` (parents it leaves empty too, with `prune`).
pub fn remove(
    format: Format,
    text: &str,
    path: &[String],
    prune: bool,
) -> Result<String, ParseError> {
    let p = strs(path);
    match format {
        Format::Json | Format::Jsonc => jsonc::remove(text, &p, prune),
        Format::Toml => toml_file::remove(text, &p, prune),
        Format::Dotenv => Ok(dotenv::remove(text, &path[0])),
        Format::Yaml => yaml_keys::remove(text, &p, prune),
    }
}

/// The refusal for list items in a format byok edits only by key (template loading
/// refuses such a template first).
fn no_items(format: Format) -> ParseError {
    ParseError {
        line: 1,
        column: 1,
        message: format!("byok edits list items only in JSON and JSONC files, not {format:?}"),
    }
}

/// The items of the list at `path`, if present; an error when something else is there.
pub fn items(
    format: Format,
    text: &str,
    path: &[String],
) -> Result<Option<Vec<Value>>, ParseError> {
    match format {
        Format::Json | Format::Jsonc => jsonc::list(text, &strs(path)),
        _ => Err(no_items(format)),
    }
}

/// Sets `below` inside the object at `index` of the list at `path`; an object is merged
/// key by key, as [`set`] does.
pub fn set_in_item(
    format: Format,
    text: &str,
    path: &[String],
    index: usize,
    below: &[String],
    value: &Value,
) -> Result<String, ParseError> {
    if let Value::Object(m) = value
        && (!m.is_empty() || below.is_empty())
    {
        let mut out = text.to_string();
        for (k, v) in m {
            let mut child = below.to_vec();
            child.push(k.clone());
            out = set_in_item(format, &out, path, index, &child, v)?;
        }
        return Ok(out);
    }
    match format {
        Format::Json | Format::Jsonc => {
            jsonc::set_in_item(text, &strs(path), index, &strs(below), value)
        }
        _ => Err(no_items(format)),
    }
}

/// Removes `below` inside the object at `index` of the list at `path` (objects it leaves
/// empty inside the item go too).
pub fn remove_in_item(
    format: Format,
    text: &str,
    path: &[String],
    index: usize,
    below: &[String],
) -> Result<String, ParseError> {
    match format {
        Format::Json | Format::Jsonc => {
            jsonc::remove_in_item(text, &strs(path), index, &strs(below))
        }
        _ => Err(no_items(format)),
    }
}

/// Adds `value` to the list at `path` as item `at` (`None`: the last), creating the list
/// when missing.
pub fn insert_item(
    format: Format,
    text: &str,
    path: &[String],
    at: Option<usize>,
    value: &Value,
) -> Result<String, ParseError> {
    match format {
        Format::Json | Format::Jsonc => jsonc::insert_item(text, &strs(path), at, value),
        _ => Err(no_items(format)),
    }
}

/// Takes the item at `index` out of the list at `path`.
pub fn remove_item(
    format: Format,
    text: &str,
    path: &[String],
    index: usize,
) -> Result<String, ParseError> {
    match format {
        Format::Json | Format::Jsonc => jsonc::remove_item(text, &strs(path), index),
        _ => Err(no_items(format)),
    }
}

/// The leaves of a value with their values as text (see [`leaves`]).
pub fn value_leaves(v: &Value) -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    flatten(v, &mut Vec::new(), &mut out);
    out
}

/// Whether a file holds nothing worth keeping: blank, or (JSON) an empty object
/// without comments, which is what a file byok created shrinks to.
pub fn is_blank(format: Format, text: &str) -> bool {
    let body = super::split_bom(text).1;
    if body.trim().is_empty() {
        return true;
    }
    matches!(format, Format::Json | Format::Jsonc)
        && !body.contains("//")
        && !body.contains("/*")
        && matches!(jsonc::parse(body), Ok(Some(Value::Object(m))) if m.is_empty())
}

/// A value kept as text by `restorable` (JSON text; TOML value text in records an older
/// byok wrote for TOML files), back as a value.
pub fn parse_prior(format: Format, text: &str) -> Option<Value> {
    if let Ok(v) = serde_json::from_str(text) {
        return Some(v);
    }
    if format == Format::Toml {
        let v: toml_edit::Value = text.parse().ok()?;
        return Some(toml_value_to_json(&v));
    }
    None
}

/// The leaves at and below `path` with their values as text, for drift labels:
/// `(["options", "baseURL"], "https://…")`; an absent path has none.
pub fn leaves(format: Format, text: &str, path: &[String]) -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    if let Ok(Some(v)) = get(format, text, path) {
        flatten(&v, &mut Vec::new(), &mut out);
    }
    out
}

fn flatten(v: &Value, at: &mut Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                at.push(k.clone());
                flatten(x, at, out);
                at.pop();
            }
        }
        Value::String(s) => out.push((at.clone(), s.clone())),
        other => out.push((at.clone(), other.to_string())),
    }
}

/// A TOML item as JSON (`None` for an empty item).
pub fn toml_to_json(item: &toml_edit::Item) -> Option<Value> {
    match item {
        toml_edit::Item::None => None,
        toml_edit::Item::Value(v) => Some(toml_value_to_json(v)),
        toml_edit::Item::Table(t) => Some(Value::Object(
            t.iter()
                .filter_map(|(k, i)| Some((k.to_string(), toml_to_json(i)?)))
                .collect(),
        )),
        toml_edit::Item::ArrayOfTables(a) => Some(Value::Array(
            a.iter()
                .map(|t| toml_to_json(&toml_edit::Item::Table(t.clone())).unwrap_or(Value::Null))
                .collect(),
        )),
    }
}

fn toml_value_to_json(v: &toml_edit::Value) -> Value {
    match v {
        toml_edit::Value::String(s) => Value::String(s.value().clone()),
        toml_edit::Value::Integer(i) => Value::from(*i.value()),
        toml_edit::Value::Float(f) => Value::from(*f.value()),
        toml_edit::Value::Boolean(b) => Value::Bool(*b.value()),
        toml_edit::Value::Datetime(d) => Value::String(d.value().to_string()),
        toml_edit::Value::Array(a) => Value::Array(a.iter().map(toml_value_to_json).collect()),
        toml_edit::Value::InlineTable(t) => Value::Object(
            t.iter()
                .map(|(k, x)| (k.to_string(), toml_value_to_json(x)))
                .collect(),
        ),
    }
}

/// JSON as a TOML value (`null` has no TOML form: an empty string).
pub fn json_to_toml(v: &Value) -> toml_edit::Value {
    match v {
        Value::Null => toml_edit::Value::from(""),
        Value::Bool(b) => toml_edit::Value::from(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => toml_edit::Value::from(i),
            None => toml_edit::Value::from(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => toml_edit::Value::from(s.as_str()),
        Value::Array(a) => toml_edit::Value::Array(a.iter().map(json_to_toml).collect()),
        Value::Object(m) => {
            let mut t = toml_edit::InlineTable::new();
            for (k, x) in m {
                t.insert(k, json_to_toml(x));
            }
            toml_edit::Value::InlineTable(t)
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn p(s: &str) -> Vec<String> {
        s.split('.').map(str::to_string).collect()
    }

    #[test]
    fn objects_merge_and_leaves_list_them() {
        let text = "{\n  // mine\n  \"provider\": { \"byok\": { \"extra\": 1 } }\n}\n";
        let v = json!({"npm": "x", "options": {"baseURL": "https://gw/v1"}});
        let out = set(Format::Jsonc, text, &p("provider.byok"), &v).unwrap();
        assert_eq!(
            get(Format::Jsonc, &out, &p("provider.byok")).unwrap(),
            Some(json!({"extra": 1, "npm": "x", "options": {"baseURL": "https://gw/v1"}}))
        );
        assert!(out.contains("// mine"));
        assert_eq!(
            leaves(Format::Jsonc, &out, &p("provider.byok")),
            [
                (p("extra"), "1".to_string()),
                (p("npm"), "x".to_string()),
                (p("options.baseURL"), "https://gw/v1".to_string())
            ]
        );
        let back = remove(Format::Jsonc, &out, &p("provider.byok"), true).unwrap();
        assert_eq!(back, "{\n  // mine\n}\n");
    }

    #[test]
    fn toml_and_dotenv_through_one_interface() {
        let text = "# mine\nmodel = \"o3\"\n";
        let out = set(
            Format::Toml,
            text,
            &p("providers.byok"),
            &json!({"base_url": "u", "n": 2}),
        )
        .unwrap();
        assert_eq!(
            out,
            "# mine\nmodel = \"o3\"\n\n[providers.byok]\nbase_url = \"u\"\nn = 2\n"
        );
        assert_eq!(
            get(Format::Toml, &out, &p("providers.byok.n")).unwrap(),
            Some(json!(2))
        );
        let env = set(Format::Dotenv, "A=1\n", &p("K"), &json!("v")).unwrap();
        assert_eq!(
            get(Format::Dotenv, &env, &p("K")).unwrap(),
            Some(json!("v"))
        );
        assert_eq!(
            remove(Format::Dotenv, &env, &p("K"), true).unwrap(),
            "A=1\n"
        );
    }

    /// Documents whose keys the paths below often hit.
    fn doc() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (0..3i32).prop_map(|n| json!(n)),
            "[xy]{0,2}".prop_map(Value::String),
        ];
        jsonc::tests::docs(leaf, "[ab]", 3)
    }

    proptest! {
        /// `set`'s read-only shortcut says "already there" exactly when editing would
        /// leave the text as it is, and the plain-tree `get` reads what is there.
        #[test]
        fn the_shortcut_agrees_with_editing(
            base in doc(),
            path in prop::collection::vec("[ab]", 1..3),
            same in any::<bool>(),
            other in doc(),
            pretty in any::<bool>(),
        ) {
            let text = if pretty { serde_json::to_string_pretty(&base).unwrap() } else { base.to_string() };
            let there = base.pointer(&format!("/{}", path.join("/")));
            let value = match there {
                Some(v) if same => v.clone(),
                _ => other,
            };
            let unchanged = edit(Format::Jsonc, &text, &path, &value).is_ok_and(|t| t == text);
            prop_assert_eq!(jsonc::holds(&text, &strs(&path), &value), unchanged);
            if base.is_object() {
                prop_assert_eq!(get(Format::Jsonc, &text, &path).unwrap(), there.cloned());
            }
        }
    }
}
