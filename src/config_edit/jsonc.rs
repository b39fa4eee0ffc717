//! JSON and JSONC (VS Code-style: comments and trailing commas) edited in place with
//! `jsonc-parser`'s concrete syntax tree, so comments, order, indentation and line
//! endings of everything byok does not own stay as they were.
//!
//! Only the JSONC extensions VS Code accepts are allowed; a file with single quotes,
//! missing commas or other JSON5-isms is reported as unparsable rather than guessed at.

use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstInputValue, CstObject, CstRootNode};
use serde_json::Value;

use super::{ParseError, split_bom};

/// The JSONC dialect VS Code-style files use: comments and trailing commas, nothing looser.
pub fn options() -> ParseOptions {
    ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

fn parse_root(text: &str) -> Result<CstRootNode, ParseError> {
    CstRootNode::parse(text, &options())
        .map_err(|e| ParseError::at_offset(text, e.range().start, e.kind().to_string()))
}

/// Parses a document into a value; an empty (or whitespace-only) text is `None`.
pub fn parse(text: &str) -> Result<Option<Value>, ParseError> {
    let (_, body) = split_bom(text);
    let root = parse_root(body)?;
    Ok(root.value().and_then(|v| v.to_serde_value()))
}

/// The value at `path` (object keys from the top), if present.
pub fn get(text: &str, path: &[&str]) -> Result<Option<Value>, ParseError> {
    let Some(mut cur) = parse(text)? else {
        return Ok(None);
    };
    for key in path {
        cur = match cur {
            Value::Object(mut m) => match m.remove(*key) {
                Some(v) => v,
                None => return Ok(None),
            },
            _ => return Ok(None),
        };
    }
    Ok(Some(cur))
}

/// Sets `path` to `value`, creating missing parent objects; everything else is kept
/// byte for byte. Setting a value equal to the current one returns the text unchanged.
pub fn set(text: &str, path: &[&str], value: &Value) -> Result<String, ParseError> {
    assert!(!path.is_empty(), "jsonc::set needs a path");
    let (bom, body) = split_bom(text);
    let was_empty = body.trim().is_empty();
    let root = parse_root(if was_empty { "" } else { body })?;
    let obj = top_object(&root, body)?;
    let parent = walk_create(&obj, &path[..path.len() - 1], body)?;
    let last = path[path.len() - 1];
    match parent.get(last) {
        Some(prop) => {
            if prop.value().and_then(|v| v.to_serde_value()).as_ref() == Some(value) {
                return Ok(text.to_string());
            }
            prop.set_value(to_input(value));
        }
        None => {
            parent.append(last, to_input(value));
        }
    }
    let mut out = format!("{bom}{root}");
    if was_empty && !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// Removes the property at `path`; a missing one leaves the text unchanged. Parent
/// objects that byok's removal leaves empty are removed too when `prune` is true.
pub fn remove(text: &str, path: &[&str], prune: bool) -> Result<String, ParseError> {
    assert!(!path.is_empty(), "jsonc::remove needs a path");
    let (bom, body) = split_bom(text);
    if body.trim().is_empty() {
        return Ok(text.to_string());
    }
    let root = parse_root(body)?;
    let Some(mut obj) = root.object_value() else {
        return Ok(text.to_string());
    };
    let mut chain = vec![];
    for key in &path[..path.len() - 1] {
        let Some(next) = obj.object_value(key) else {
            return Ok(text.to_string());
        };
        chain.push((obj.clone(), *key));
        obj = next;
    }
    let Some(prop) = obj.get(path[path.len() - 1]) else {
        return Ok(text.to_string());
    };
    prop.remove();
    if prune {
        let mut child = obj;
        while let Some((parent, key)) = chain.pop() {
            if !child.properties().is_empty() {
                break;
            }
            if let Some(p) = parent.get(key) {
                p.remove();
            }
            child = parent;
        }
    }
    Ok(format!("{bom}{root}"))
}

fn top_object(root: &CstRootNode, text: &str) -> Result<CstObject, ParseError> {
    root.object_value_or_create()
        .ok_or_else(|| ParseError::at_offset(text, 0, "the top level is not a JSON object"))
}

fn walk_create(obj: &CstObject, keys: &[&str], text: &str) -> Result<CstObject, ParseError> {
    let mut cur = obj.clone();
    for (i, key) in keys.iter().enumerate() {
        cur = cur.object_value_or_create(key).ok_or_else(|| {
            ParseError::at_offset(
                text,
                0,
                format!("`{}` is not a JSON object", keys[..=i].join(".")),
            )
        })?;
    }
    Ok(cur)
}

/// Converts a serde value into the CST's input form, keeping key order.
pub fn to_input(v: &Value) -> CstInputValue {
    match v {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(a) => CstInputValue::Array(a.iter().map(to_input).collect()),
        Value::Object(m) => {
            CstInputValue::Object(m.iter().map(|(k, v)| (k.clone(), to_input(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    const SETTINGS: &str = r#"{
    // Theme chosen after a long search
    "workbench.colorTheme": "Solarized Dark",
    "editor.fontSize": 13, /* inline */
    "env": {
        "FOO": "bar", // keep me
    },
    "permissions": {"allow": ["Bash(ls)"]},
}
"#;

    #[test]
    fn set_existing_and_new_keeps_everything_else() {
        let out = set(
            SETTINGS,
            &["env", "ANTHROPIC_BASE_URL"],
            &json!("https://gw"),
        )
        .unwrap();
        assert_eq!(
            out,
            r#"{
    // Theme chosen after a long search
    "workbench.colorTheme": "Solarized Dark",
    "editor.fontSize": 13, /* inline */
    "env": {
        "FOO": "bar", // keep me
        "ANTHROPIC_BASE_URL": "https://gw",
    },
    "permissions": {"allow": ["Bash(ls)"]},
}
"#
        );
        let again = set(&out, &["env", "ANTHROPIC_BASE_URL"], &json!("https://gw")).unwrap();
        assert_eq!(again, out);
        let changed = set(&out, &["editor.fontSize"], &json!(14)).unwrap();
        assert_eq!(
            changed,
            out.replace("\"editor.fontSize\": 13", "\"editor.fontSize\": 14")
        );
    }

    #[test]
    fn creates_parents_and_empty_files() {
        let out = set("", &["env", "A"], &json!("1")).unwrap();
        assert_eq!(parse(&out).unwrap(), Some(json!({"env": {"A": "1"}})));
        assert!(out.ends_with('\n'));
        let out = set("{}\n", &["a", "b", "c"], &json!(true)).unwrap();
        assert_eq!(parse(&out).unwrap(), Some(json!({"a": {"b": {"c": true}}})));
    }

    #[test]
    fn crlf_and_bom_survive() {
        let text = "\u{feff}{\r\n  \"a\": 1\r\n}\r\n";
        let out = set(text, &["b"], &json!("x")).unwrap();
        assert!(out.starts_with('\u{feff}'));
        assert!(!out.replace("\r\n", "").contains('\n'), "{out:?}");
        assert_eq!(parse(&out).unwrap(), Some(json!({"a": 1, "b": "x"})));
    }

    #[test]
    fn remove_and_prune() {
        let out = set(SETTINGS, &["env", "X"], &json!("1")).unwrap();
        assert_eq!(remove(&out, &["env", "X"], true).unwrap(), SETTINGS);
        let only = set("{\n  \"a\": 1\n}\n", &["env", "X"], &json!("1")).unwrap();
        assert_eq!(
            remove(&only, &["env", "X"], true).unwrap(),
            "{\n  \"a\": 1\n}\n"
        );
        assert_eq!(remove(SETTINGS, &["nope", "x"], true).unwrap(), SETTINGS);
    }

    #[test]
    fn errors_have_positions() {
        let e = parse("{\n  \"a\": 1\n  \"b\": 2\n}").unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (2, "Expected comma"), "{e}");
        let e = set("[1, 2]", &["a"], &json!(1)).unwrap_err();
        assert!(e.message.contains("not a JSON object"), "{e}");
        let e = set("{\"env\": 3}", &["env", "A"], &json!(1)).unwrap_err();
        assert_eq!(e.message, "`env` is not a JSON object");
        assert!(parse("{'a': 1}").is_err());
    }

    #[test]
    fn get_paths() {
        assert_eq!(get(SETTINGS, &["env", "FOO"]).unwrap(), Some(json!("bar")));
        assert_eq!(get(SETTINGS, &["env", "NO"]).unwrap(), None);
        assert_eq!(get("", &["a"]).unwrap(), None);
    }

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(|n| json!(n)),
            "[a-z \"\\\\/\n]{0,8}".prop_map(Value::String),
        ]
    }

    fn doc() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z]{1,3}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Setting byok's key never changes any other value, whatever the document.
        #[test]
        fn set_touches_only_the_target(
            base in prop::collection::btree_map("[a-z]{1,3}", doc(), 0..5),
            pretty in any::<bool>(),
            v in leaf(),
        ) {
            let base = Value::Object(base.into_iter().collect());
            let text = if pretty { serde_json::to_string_pretty(&base).unwrap() } else { base.to_string() };
            let out = set(&text, &["env", "BYOK"], &v).unwrap_or_else(|_| text.clone());
            let mut got = parse(&out).unwrap().unwrap();
            if base.get("env").is_some_and(Value::is_object) || base.get("env").is_none() {
                prop_assert_eq!(got.pointer("/env/BYOK"), Some(&v));
                let env = got.get_mut("env").unwrap().as_object_mut().unwrap();
                env.remove("BYOK");
                if env.is_empty() && base.get("env").is_none() {
                    got.as_object_mut().unwrap().remove("env");
                }
            }
            prop_assert_eq!(got, base);
        }
    }
}
