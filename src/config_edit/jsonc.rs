//! JSON and JSONC (VS Code-style: comments and trailing commas) edited in place with
//! `jsonc-parser`'s concrete syntax tree, so comments, order, indentation and line
//! endings of everything byok does not own stay as they were.
//!
//! Only the JSONC extensions VS Code accepts are allowed; a file with single quotes,
//! missing commas or other JSON5-isms is reported as unparsable rather than guessed at.
//! So is a raw control character (U+0000–U+001F) inside a string, which `JSON.parse`
//! rejects although the CST parser lets it through.
//!
//! Duplicate keys: `JSON.parse` (and serde) keep the *last* occurrence of a key, while the
//! CST finds the first. Rather than guess which one a tool reads, [`get`], [`set`] and
//! [`remove`] refuse with a [`ParseError`] naming every line when an object on their path
//! has the key more than once; [`parse`] keeps the last, like the tools.
//!
//! New content follows the style of the object it lands in: an object written on one
//! line (`{"a":1,"b":{"c":2}}`) gets one-line content with the same spacing after `:`
//! and `,`; a multi-line object gets the CST's pretty printing, in the file's indent unit.

use jsonc_parser::ast;
use jsonc_parser::cst::{
    CstArray, CstContainerNode, CstInputValue, CstNode, CstObject, CstObjectProp, CstRootNode,
};
use jsonc_parser::{CollectOptions, CommentCollectionStrategy, ParseOptions};
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
    let root = CstRootNode::parse(text, &options())
        .map_err(|e| ParseError::at_offset(text, e.range().start, e.kind().to_string()))?;
    check_strings(text)?;
    Ok(root)
}

/// Refuses a raw control character inside a string. `jsonc-parser` accepts one, but
/// `JSON.parse` (and so every tool) rejects the whole file, and a strict-JSON check
/// would otherwise blame it on comments. Runs on text the CST parser accepted, so
/// strings and comments are well formed.
fn check_strings(text: &str) -> Result<(), ParseError> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    match b[i] {
                        b'\\' => i += 1,
                        c if c < 0x20 => {
                            return Err(ParseError::at_offset(
                                text,
                                i,
                                format!(
                                    "raw control character U+{c:04X} inside a string; JSON allows it only escaped (\\u{c:04x}), so tools reject the file"
                                ),
                            ));
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(b.len(), |n| i + n);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 1);
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// The document as a plain tree, for reading only: without the comments, whitespace
/// and shared nodes of the editable tree [`parse_root`] builds, it costs a fraction of
/// that (detect and doctor read every tool's files many times over). The same parser
/// and options, so a text fails here exactly when it fails there, with the same error.
fn parse_ast(text: &str) -> Result<Option<ast::Value<'_>>, ParseError> {
    let collect = CollectOptions {
        comments: CommentCollectionStrategy::Off,
        tokens: false,
    };
    let parsed = jsonc_parser::parse_to_ast(text, &collect, &options())
        .map_err(|e| ParseError::at_offset(text, e.range().start, e.kind().to_string()))?;
    check_strings(text)?;
    Ok(parsed.value)
}

/// Parses a document into a value; an empty (or whitespace-only) text is `None`. A key
/// that appears twice keeps its last value, as `JSON.parse` does.
pub fn parse(text: &str) -> Result<Option<Value>, ParseError> {
    let (_, body) = split_bom(text);
    Ok(parse_ast(body)?.map(Value::from))
}

/// The value at `path` (object keys from the top), if present; an error if a key on the
/// path is written twice in its object.
pub fn get(text: &str, path: &[&str]) -> Result<Option<Value>, ParseError> {
    let (_, body) = split_bom(text);
    let Some(mut value) = parse_ast(body)? else {
        return Ok(None);
    };
    for i in 0..path.len() {
        let ast::Value::Object(obj) = value else {
            return Ok(None);
        };
        let Some(prop) = take_unique(obj, path, i, body)? else {
            return Ok(None);
        };
        value = prop.value;
    }
    Ok(Some(value.into()))
}

/// Whether [`set`]ting `path` to `value` would leave `text` as it is (an object merged
/// key by key, as the format-independent `set` does): every leaf already there, once,
/// with that value. Read from the plain tree, so an up-to-date file (what detect and
/// doctor see most) costs no editable tree. `false` whenever `set` would change or
/// refuse the text, which it then does itself.
pub fn holds(text: &str, path: &[&str], value: &Value) -> bool {
    let (_, body) = split_bom(text);
    match parse_ast(body) {
        Ok(Some(root @ ast::Value::Object(_))) => holds_below(&root, path, value),
        _ => false,
    }
}

fn holds_below(mut node: &ast::Value<'_>, path: &[&str], value: &Value) -> bool {
    for key in path {
        let ast::Value::Object(obj) = node else {
            return false;
        };
        let mut found = obj.properties.iter().filter(|p| p.name.as_str() == *key);
        // Missing, or written twice (which `set` refuses).
        let (Some(prop), None) = (found.next(), found.next()) else {
            return false;
        };
        node = &prop.value;
    }
    match value {
        Value::Object(m) if !m.is_empty() => m.iter().all(|(k, v)| holds_below(node, &[k], v)),
        _ => Value::from(node.clone()) == *value,
    }
}

/// [`unique_prop`] on the plain tree: property `path[i]` of `obj`, taken out of it.
fn take_unique<'a>(
    mut obj: ast::Object<'a>,
    path: &[&str],
    i: usize,
    text: &str,
) -> Result<Option<ast::ObjectProp<'a>>, ParseError> {
    let found: Vec<usize> = (0..obj.properties.len())
        .filter(|&n| obj.properties[n].name.as_str() == path[i])
        .collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(obj.properties.swap_remove(*one))),
        many => {
            let offsets: Vec<usize> = many
                .iter()
                .map(|&n| obj.properties[n].range.start)
                .collect();
            Err(duplicate(text, path, i, &offsets))
        }
    }
}

/// Sets `path` to `value`, creating missing parent objects; everything else is kept
/// byte for byte. Setting a value equal to the current one returns the text unchanged.
/// New content follows the style of the object it lands in; a key on the path written
/// twice is an error.
pub fn set(text: &str, path: &[&str], value: &Value) -> Result<String, ParseError> {
    assert!(!path.is_empty(), "jsonc::set needs a path");
    let (_, body) = split_bom(text);
    let was_empty = body.trim().is_empty();
    let root = parse_root(if was_empty { "" } else { body })?;
    let obj = top_object(&root, body)?;
    set_below(text, &root, obj, path, value, was_empty)
}

/// [`set`] from `obj` (the top object or one inside a list) down `path`.
fn set_below(
    text: &str,
    root: &CstRootNode,
    mut obj: CstObject,
    path: &[&str],
    value: &Value,
    was_empty: bool,
) -> Result<String, ParseError> {
    let (bom, body) = split_bom(text);
    for i in 0..path.len() {
        let Some(prop) = unique_prop(&obj, path, i, body)? else {
            // Missing from here on: one new property holding the rest of the path.
            if let Some(style) = Style::of(&obj) {
                return Ok(format!(
                    "{bom}{}",
                    style.append(&obj, path[i], &nest(&path[i + 1..], value))
                ));
            }
            let mut parent = obj;
            for key in &path[i..path.len() - 1] {
                parent = parent
                    .object_value_or_create(key)
                    .expect("a property byok just created holds an object");
            }
            parent.append(path[path.len() - 1], to_input(value));
            break;
        };
        if i + 1 < path.len() {
            obj = prop.object_value().ok_or_else(|| {
                ParseError::at_offset(
                    body,
                    offset_of(&prop.clone().into()),
                    format!("`{}` is not a JSON object", path[..=i].join(".")),
                )
            })?;
            continue;
        }
        let old = prop.value();
        if old.as_ref().and_then(CstNode::to_serde_value).as_ref() == Some(value) {
            return Ok(text.to_string());
        }
        match (Style::of(&obj), old) {
            (Some(style), Some(old)) => {
                let start = offset_of(&old);
                let end = start + old.to_string().len();
                let all = root.to_string();
                return Ok(format!(
                    "{bom}{}{}{}",
                    &all[..start],
                    style.render_over(value, &old),
                    &all[end..]
                ));
            }
            _ => prop.set_value(to_input(value)),
        }
    }
    let mut out = format!("{bom}{root}");
    if was_empty && !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// The list at `list` (object keys from the top): `None` when absent; an error when
/// something else is there.
fn list_at(root: &CstRootNode, body: &str, list: &[&str]) -> Result<Option<CstArray>, ParseError> {
    // The empty path is the document itself (a file that is one list).
    if list.is_empty() {
        return match root.value() {
            None => Ok(None),
            Some(_) => root
                .array_value()
                .map(Some)
                .ok_or_else(|| ParseError::at_offset(body, 0, "the file is not a JSON list")),
        };
    }
    let Some(mut obj) = root.object_value() else {
        return Ok(None);
    };
    for i in 0..list.len() {
        let Some(prop) = unique_prop(&obj, list, i, body)? else {
            return Ok(None);
        };
        let at = offset_of(&prop.clone().into());
        if i + 1 == list.len() {
            return match prop.value() {
                Some(v) if v.as_array().is_some() => Ok(v.as_array()),
                _ => Err(ParseError::at_offset(
                    body,
                    at,
                    format!("`{}` is not a JSON list", list.join(".")),
                )),
            };
        }
        obj = prop.object_value().ok_or_else(|| {
            ParseError::at_offset(
                body,
                at,
                format!("`{}` is not a JSON object", list[..=i].join(".")),
            )
        })?;
    }
    Ok(None)
}

/// The object at `index` of the list at `list`, with the parsed tree it belongs to.
fn element_at(
    text: &str,
    list: &[&str],
    index: usize,
) -> Result<(CstRootNode, CstObject), ParseError> {
    let (_, body) = split_bom(text);
    let root = parse_root(body)?;
    let array = list_at(&root, body, list)?
        .ok_or_else(|| ParseError::at_offset(body, 0, format!("`{}` is gone", list.join("."))))?;
    let element = array.elements().into_iter().nth(index);
    let obj = element
        .as_ref()
        .and_then(CstNode::as_object)
        .ok_or_else(|| {
            let at = element.as_ref().map_or(0, offset_of);
            ParseError::at_offset(
                body,
                at,
                format!("item {index} of `{}` is not a JSON object", list.join(".")),
            )
        })?;
    Ok((root, obj))
}

/// The items of the list at `list` (object keys from the top), if present; an error
/// when something other than a list is there.
pub fn list(text: &str, list: &[&str]) -> Result<Option<Vec<Value>>, ParseError> {
    let (_, body) = split_bom(text);
    if body.trim().is_empty() {
        return Ok(None);
    }
    let root = parse_root(body)?;
    Ok(list_at(&root, body, list)?.map(|a| {
        a.elements()
            .iter()
            .map(|e| e.to_serde_value().unwrap_or(Value::Null))
            .collect()
    }))
}

/// Sets `path` inside the object at `index` of the list at `list`, as [`set`] does from
/// the top.
pub fn set_in_item(
    text: &str,
    list: &[&str],
    index: usize,
    path: &[&str],
    value: &Value,
) -> Result<String, ParseError> {
    assert!(!path.is_empty(), "jsonc::set_in_item needs a path");
    let (root, obj) = element_at(text, list, index)?;
    set_below(text, &root, obj, path, value, false)
}

/// Removes `path` inside the object at `index` of the list at `list` (objects inside it
/// left empty go too).
pub fn remove_in_item(
    text: &str,
    list: &[&str],
    index: usize,
    path: &[&str],
) -> Result<String, ParseError> {
    let (bom, body) = split_bom(text);
    let (root, obj) = element_at(text, list, index)?;
    remove_below(obj, body, path, true)?;
    Ok(format!("{bom}{root}"))
}

/// Adds `value` to the list at `list` as item `at` (`None`, or past the end: the last),
/// creating the list (and parent objects) when missing.
pub fn insert_item(
    text: &str,
    list: &[&str],
    at: Option<usize>,
    value: &Value,
) -> Result<String, ParseError> {
    let (bom, body) = split_bom(text);
    let put = |array: CstArray| {
        let len = array.elements().len();
        match at.filter(|i| *i < len) {
            Some(i) => drop(array.insert(i, to_input(value))),
            None => drop(array.append(to_input(value))),
        }
    };
    if list.is_empty() {
        let root = parse_root(if body.trim().is_empty() { "[]\n" } else { body })?;
        list_at(&root, body, list)?;
        put(root.array_value_or_set());
        return Ok(format!("{bom}{root}"));
    }
    if body.trim().is_empty() {
        return set(text, list, &Value::Array(vec![value.clone()]));
    }
    let root = parse_root(body)?;
    match list_at(&root, body, list)? {
        None => set(text, list, &Value::Array(vec![value.clone()])),
        Some(array) => {
            put(array);
            Ok(format!("{bom}{root}"))
        }
    }
}

/// Takes out the item at `index` of the list at `list`.
pub fn remove_item(text: &str, list: &[&str], index: usize) -> Result<String, ParseError> {
    let (bom, body) = split_bom(text);
    let root = parse_root(body)?;
    if let Some(item) =
        list_at(&root, body, list)?.and_then(|a| a.elements().into_iter().nth(index))
    {
        item.remove();
    }
    Ok(format!("{bom}{root}"))
}

/// Removes the property at `path`; a missing one leaves the text unchanged. Parent
/// objects that byok's removal leaves empty are removed too when `prune` is true. A key
/// on the path written twice is an error.
pub fn remove(text: &str, path: &[&str], prune: bool) -> Result<String, ParseError> {
    assert!(!path.is_empty(), "jsonc::remove needs a path");
    let (bom, body) = split_bom(text);
    if body.trim().is_empty() {
        return Ok(text.to_string());
    }
    let root = parse_root(body)?;
    let Some(obj) = root.object_value() else {
        return Ok(text.to_string());
    };
    if !remove_below(obj, body, path, prune)? {
        return Ok(text.to_string());
    }
    Ok(format!("{bom}{root}"))
}

/// [`remove`] from `obj` down `path`; whether anything was removed.
fn remove_below(
    mut obj: CstObject,
    body: &str,
    path: &[&str],
    prune: bool,
) -> Result<bool, ParseError> {
    let mut chain = vec![];
    for i in 0..path.len() - 1 {
        let Some(next) = unique_prop(&obj, path, i, body)?.and_then(|p| p.object_value()) else {
            return Ok(false);
        };
        chain.push((obj.clone(), path[i]));
        obj = next;
    }
    let Some(prop) = unique_prop(&obj, path, path.len() - 1, body)? else {
        return Ok(false);
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
    Ok(true)
}

/// Property `path[i]` of `obj`, refusing a key written more than once: tools read the
/// last occurrence, the CST finds the first, so either choice could disagree with the
/// tool or leave its copy stale. The error names every line so the user can merge them.
fn unique_prop(
    obj: &CstObject,
    path: &[&str],
    i: usize,
    text: &str,
) -> Result<Option<CstObjectProp>, ParseError> {
    let found: Vec<CstObjectProp> = obj
        .properties()
        .into_iter()
        .filter(|p| p.decoded_name().as_deref() == Some(path[i]))
        .collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        many => {
            let offsets: Vec<usize> = many.iter().map(|p| offset_of(&p.clone().into())).collect();
            Err(duplicate(text, path, i, &offsets))
        }
    }
}

/// The refusal of key `path[i]`, written at each of `offsets` (two or more).
fn duplicate(text: &str, path: &[&str], i: usize, offsets: &[usize]) -> ParseError {
    let lines: Vec<String> = offsets
        .iter()
        .map(|o| ParseError::at_offset(text, *o, "").line.to_string())
        .collect();
    let (last, rest) = lines.split_last().expect("at least two occurrences");
    let times = match offsets.len() {
        2 => "twice".to_string(),
        n => format!("{n} times"),
    };
    ParseError::at_offset(
        text,
        offsets[0],
        format!(
            "`{}` appears {times} (lines {} and {last}); the tool reads only the last one, so merge them into one by hand",
            path[..=i].join("."),
            rest.join(", ")
        ),
    )
}

/// Byte offset of a node in its tree's text (the sum of everything printed before it).
fn offset_of(node: &CstNode) -> usize {
    let mut offset = 0;
    let mut cur = node.clone();
    loop {
        offset += cur
            .previous_siblings()
            .map(|s| s.to_string().len())
            .sum::<usize>();
        match cur.parent() {
            Some(parent) => cur = parent.into(),
            None => return offset,
        }
    }
}

/// `{"a": {"b": value}}` for `path = ["a", "b"]`; `value` itself for an empty path.
fn nest(path: &[&str], value: &Value) -> Value {
    path.iter().rev().fold(value.clone(), |v, key| {
        Value::Object(std::iter::once(((*key).to_string(), v)).collect())
    })
}

/// How a one-line object spaces its separators, which new content there copies.
struct Style {
    /// Whitespace after `:`.
    colon: String,
    /// Whitespace after `,`.
    comma: String,
}

impl Style {
    /// The style for content added to `obj`, or `None` when it is written over several
    /// lines (then the CST's pretty printing matches it). An empty object takes the
    /// style of the nearest enclosing object that has properties.
    fn of(obj: &CstObject) -> Option<Self> {
        let mut node: CstContainerNode = obj.clone().into();
        loop {
            if let Some(o) = node.as_object()
                && let Some(first) = o.properties().first()
            {
                if o.to_string().contains('\n') {
                    return None;
                }
                let colon = whitespace_after(first.children(), ':');
                let comma = if o.properties().len() > 1 {
                    whitespace_after(o.children(), ',')
                } else {
                    colon.clone()
                };
                return Some(Self { colon, comma });
            }
            node = node.parent()?;
        }
    }

    /// `value` on one line with this style's spacing.
    fn render(&self, value: &Value) -> String {
        let sep = format!(",{}", self.comma);
        match value {
            Value::Array(items) => {
                let items: Vec<String> = items.iter().map(|v| self.render(v)).collect();
                format!("[{}]", items.join(&sep))
            }
            Value::Object(map) => {
                let props: Vec<String> = map.iter().map(|(k, v)| self.property(k, v)).collect();
                format!("{{{}}}", props.join(&sep))
            }
            other => other.to_string(),
        }
    }

    /// `value` replacing the node `old`: a list keeps the text of the items it still
    /// holds (their escapes and number spellings), so adding or dropping one item leaves
    /// the others' bytes alone.
    fn render_over(&self, value: &Value, old: &CstNode) -> String {
        let (Value::Array(items), Some(array)) = (value, old.as_array()) else {
            return self.render(value);
        };
        let mut kept: Vec<Option<(Value, String)>> = array
            .elements()
            .iter()
            .map(|e| e.to_serde_value().map(|v| (v, e.to_string())))
            .collect();
        let items: Vec<String> = items
            .iter()
            .map(|item| {
                kept.iter_mut()
                    .find(|k| k.as_ref().is_some_and(|(v, _)| v == item))
                    .and_then(Option::take)
                    .map_or_else(|| self.render(item), |(_, text)| text)
            })
            .collect();
        format!("[{}]", items.join(&format!(",{}", self.comma)))
    }

    fn property(&self, key: &str, value: &Value) -> String {
        format!("{}:{}{}", Value::from(key), self.colon, self.render(value))
    }

    /// The whole text with `"key": value` added as `obj`'s last property.
    fn append(&self, obj: &CstObject, key: &str, value: &Value) -> String {
        let all = obj
            .root_node()
            .map_or_else(|| obj.to_string(), |r| r.to_string());
        let prop = self.property(key, value);
        let (at, insert) = match obj.properties().last() {
            Some(last) => {
                let node: CstNode = last.clone().into();
                (
                    offset_of(&node) + node.to_string().len(),
                    format!(",{}{prop}", self.comma),
                )
            }
            // Just after the `{`.
            None => (offset_of(&obj.clone().into()) + 1, prop),
        };
        format!("{}{insert}{}", &all[..at], &all[at..])
    }
}

/// The whitespace right after the first `token` among `children` (empty if none).
fn whitespace_after(children: Vec<CstNode>, token: char) -> String {
    children
        .into_iter()
        .skip_while(|c| c.token_char() != Some(token))
        .skip(1)
        .map_while(|c| c.as_whitespace().map(|w| w.value()))
        .collect()
}

fn top_object(root: &CstRootNode, text: &str) -> Result<CstObject, ParseError> {
    root.object_value_or_create()
        .ok_or_else(|| ParseError::at_offset(text, 0, "the top level is not a JSON object"))
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
pub(crate) mod tests {
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
    fn items_go_where_asked_and_a_missing_list_is_made() {
        let text = "{\n  \"m\": [\n    // mine\n    {\"t\": \"a\"}\n  ]\n}\n";
        let first = insert_item(text, &["m"], Some(0), &json!({"t": "b"})).unwrap();
        assert_eq!(
            list(&first, &["m"]).unwrap().unwrap(),
            [json!({"t": "b"}), json!({"t": "a"})]
        );
        assert!(first.contains("// mine"), "{first}");
        let after = insert_item(&first, &["m"], Some(1), &json!({"t": "c"})).unwrap();
        let last = insert_item(&after, &["m"], None, &json!({"t": "d"})).unwrap();
        let titles: Vec<Value> = list(&last, &["m"]).unwrap().unwrap();
        assert_eq!(
            titles,
            [
                json!({"t": "b"}),
                json!({"t": "c"}),
                json!({"t": "a"}),
                json!({"t": "d"})
            ]
        );
        let made = insert_item("{}\n", &["m"], Some(0), &json!({"t": "b"})).unwrap();
        assert_eq!(list(&made, &["m"]).unwrap().unwrap(), [json!({"t": "b"})]);
    }

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

    #[test]
    fn duplicate_keys_on_the_path_are_refused_with_every_line() {
        let text = "{\n  \"env\": {\"A\": \"1\"},\n  \"x\": 1,\n  \"env\": {\"B\": \"2\"}\n}\n";
        let want = "line 2, column 3: `env` appears twice (lines 2 and 4); the tool reads only the last one, so merge them into one by hand";
        assert_eq!(
            set(text, &["env", "C"], &json!("3"))
                .unwrap_err()
                .to_string(),
            want
        );
        assert_eq!(get(text, &["env", "B"]).unwrap_err().to_string(), want);
        assert_eq!(
            remove(text, &["env", "A"], true).unwrap_err().to_string(),
            want
        );
        // Off the path, a duplicate is the user's business; `parse` keeps the last, as tools do.
        assert_eq!(get(text, &["x"]).unwrap(), Some(json!(1)));
        assert_eq!(
            set(text, &["y"], &json!(2)).unwrap(),
            text.replace("\"B\": \"2\"}\n", "\"B\": \"2\"},\n  \"y\": 2\n")
        );
        assert_eq!(parse(text).unwrap().unwrap()["env"], json!({"B": "2"}));
        // Nested, three times, and spelled with an escape.
        let nested = "{\"p\": {\"k\": 1, \"k\": 2, \"\\u006b\": 3}}";
        let e = set(nested, &["p", "k"], &json!(4)).unwrap_err();
        assert_eq!(
            e.message,
            "`p.k` appears 3 times (lines 1, 1 and 1); the tool reads only the last one, so merge them into one by hand"
        );
        assert_eq!(get(nested, &["p", "other"]).unwrap(), None);
    }

    #[test]
    fn raw_control_characters_in_strings_are_refused() {
        for (text, line, column, code) in [
            (
                "{\"a\": \"x\u{0}y\"}",
                1,
                9,
                "U+0000 inside a string; JSON allows it only escaped (\\u0000)",
            ),
            ("{\n  \"a\": 1,\n  \"b\u{1f}\": 2\n}", 3, 5, "U+001F"),
            ("{\"a\": \"tab\there\"}", 1, 11, "U+0009"),
        ] {
            for e in [
                parse(text).unwrap_err(),
                set(text, &["z"], &json!(1)).unwrap_err(),
            ] {
                assert_eq!((e.line, e.column), (line, column), "{text:?}: {e}");
                assert!(e.message.starts_with("raw control character"), "{e}");
                assert!(e.message.contains(code), "{e}");
                assert!(!e.message.contains("comment"), "{e}");
            }
        }
        // Escaped, or inside a comment, they are fine.
        let ok = "{\n  // a\u{1}comment\n  /* and \u{0} */ \"a\": \"x\\u0000\\t\\\"\"\n}";
        assert_eq!(parse(ok).unwrap(), Some(json!({"a": "x\u{0}\t\""})));
    }

    #[test]
    fn new_content_follows_the_object_s_style() {
        let v = json!({"k": [1, "two"], "o": {}});
        for (before, path, after) in [
            // One-line objects stay on one line, with their own spacing.
            (
                r#"{"a":1,"b":{"c":2}}"#,
                &["b", "d"][..],
                r#"{"a":1,"b":{"c":2,"d":{"k":[1,"two"],"o":{}}}}"#,
            ),
            (
                r#"{"a":1,"b":{"c":2}}"#,
                &["x", "y"][..],
                r#"{"a":1,"b":{"c":2},"x":{"y":{"k":[1,"two"],"o":{}}}}"#,
            ),
            (
                r#"{"a": 1, "b": 2}"#,
                &["x"][..],
                r#"{"a": 1, "b": 2, "x": {"k": [1, "two"], "o": {}}}"#,
            ),
            (
                r#"{ "a" : 1 }"#,
                &["x"][..],
                r#"{ "a" : 1, "x": {"k": [1, "two"], "o": {}} }"#,
            ),
            (
                r#"{"a":1,"e":{}}"#,
                &["e", "x"][..],
                r#"{"a":1,"e":{"x":{"k":[1,"two"],"o":{}}}}"#,
            ),
            (
                r#"{"a":1,}"#,
                &["x"][..],
                r#"{"a":1,"x":{"k":[1,"two"],"o":{}},}"#,
            ),
            (
                r#"{"a":1,"x":null}"#,
                &["x"][..],
                r#"{"a":1,"x":{"k":[1,"two"],"o":{}}}"#,
            ),
            // A one-line object inside a pretty file keeps its line.
            (
                "{\n  \"p\": {\"a\": 1}\n}\n",
                &["p", "x"][..],
                "{\n  \"p\": {\"a\": 1, \"x\": {\"k\": [1, \"two\"], \"o\": {}}}\n}\n",
            ),
            // Pretty files keep their indent unit.
            (
                "{\n  \"a\": 1\n}\n",
                &["x"][..],
                "{\n  \"a\": 1,\n  \"x\": {\n    \"k\": [1, \"two\"],\n    \"o\": {}\n  }\n}\n",
            ),
            (
                "{\n    \"a\": {\n        \"b\": 1\n    }\n}\n",
                &["a", "x"][..],
                "{\n    \"a\": {\n        \"b\": 1,\n        \"x\": {\n            \"k\": [1, \"two\"],\n            \"o\": {}\n        }\n    }\n}\n",
            ),
            (
                "{\n\t\"a\": 1\n}\n",
                &["x", "y"][..],
                "{\n\t\"a\": 1,\n\t\"x\": {\n\t\t\"y\": {\n\t\t\t\"k\": [1, \"two\"],\n\t\t\t\"o\": {}\n\t\t}\n\t}\n}\n",
            ),
        ] {
            let out = set(before, path, &v).unwrap();
            assert_eq!(out, after, "{before} + {path:?}");
            assert_eq!(
                parse(&out)
                    .unwrap()
                    .unwrap()
                    .pointer(&format!("/{}", path.join("/"))),
                Some(&v)
            );
            assert_eq!(set(&out, path, &v).unwrap(), out, "second set is a no-op");
        }
        // Removing what was added gives the one-line text back byte for byte.
        let before = r#"{"a":1,"b":{"c":2}}"#;
        let added = set(before, &["env", "X"], &json!("1")).unwrap();
        assert_eq!(added, r#"{"a":1,"b":{"c":2},"env":{"X":"1"}}"#);
        assert_eq!(remove(&added, &["env", "X"], true).unwrap(), before);
        let added = set(before, &["b", "X"], &json!("1")).unwrap();
        assert_eq!(remove(&added, &["b", "X"], true).unwrap(), before);
        // Items a list keeps keep their bytes when another is added or dropped.
        let list = r#"{"m":["caf\u00e9",1E2,"x"]}"#;
        assert_eq!(
            set(list, &["m"], &json!(["café", 100.0, "y"])).unwrap(),
            r#"{"m":["caf\u00e9",1E2,"y"]}"#
        );
        assert_eq!(
            set(list, &["m"], &json!(["x", "café"])).unwrap(),
            r#"{"m":["x","caf\u00e9"]}"#
        );
        for (before, path, after) in [
            (
                r#"{"env":{"X":"1"},"b":2}"#,
                &["env", "X"][..],
                r#"{"b":2}"#,
            ),
            (
                r#"{"a": 1, "x": 2, "b": 3}"#,
                &["x"][..],
                r#"{"a": 1, "b": 3}"#,
            ),
            (
                r#"{"a":{"x":1,"y":2}}"#,
                &["a", "x"][..],
                r#"{"a":{"y":2}}"#,
            ),
        ] {
            assert_eq!(remove(before, path, true).unwrap(), after, "{before}");
        }
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
        docs(leaf(), "[a-z]{1,3}", 4)
    }

    /// JSON documents up to three levels deep: leaves from `leaf`, keys matching `keys`,
    /// fewer than `width` entries per list or object.
    pub(crate) fn docs(
        leaf: impl Strategy<Value = Value> + 'static,
        keys: &'static str,
        width: usize,
    ) -> impl Strategy<Value = Value> {
        leaf.prop_recursive(3, 24, 4, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..width).prop_map(Value::Array),
                prop::collection::btree_map(keys, inner, 0..width)
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
            // A one-line document stays on one line.
            if !pretty && !base.as_object().unwrap().is_empty() {
                prop_assert!(!out.contains('\n'), "{}", out);
            }
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
