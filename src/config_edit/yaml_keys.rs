//! YAML mapping keys (Aider's `.aider.conf.yml`, Goose's `config.yaml`): get, set and
//! remove one key path, keeping every byte outside the edited key's lines.
//!
//! Same approach as [`super::yaml`] (see its module doc for why no YAML editor crate is
//! used): `serde_yaml_ng` only validates and reads; the edit is a line splice found by
//! scanning indentation and `key:` lines. A set replaces only the value text on the key's
//! line (a trailing comment stays) or inserts new `key: value` lines after the parent
//! mapping's last line, at its children's indentation; a remove takes out the key's lines.
//! Every result is parsed again and must equal the input with only the target changed
//! (same key order too), else the edit is refused rather than written.
//!
//! Block mappings only: a flow mapping (`{…}`), an anchor, alias or tag on byok's path,
//! a top level that is not a block mapping and a file of several documents are refused,
//! naming the line, column and construct.

use serde_json::Value as Json;
use serde_yaml_ng::{Mapping, Value};

use super::yaml::{Doc, Kind, canonical, inline};
use super::{ParseError, line_ending, split_bom};

/// Checks that a text is one YAML document whose top level is a block mapping (or empty).
pub fn check(text: &str) -> Result<(), ParseError> {
    Doc::new(split_bom(text).1).check()?;
    super::yaml::parse(text).map(drop)
}

/// The value at `path`, if present.
pub fn get(text: &str, path: &[&str]) -> Result<Option<Json>, ParseError> {
    let body = split_bom(text).1;
    let doc = Doc::new(body);
    doc.check()?;
    let Some(root) = super::yaml::parse(text)? else {
        return Ok(None);
    };
    Ok(lookup(&root, path).and_then(|v| serde_json::to_value(v).ok()))
}

/// Sets `path` to `value` (a scalar, list or empty object), creating parent mappings as
/// block mappings. Unchanged text when it already holds the value.
pub fn set(text: &str, path: &[&str], value: &Json) -> Result<String, ParseError> {
    let (bom, body) = split_bom(text);
    let doc = Doc::new(body);
    doc.check()?;
    let before = super::yaml::parse(text)?;
    let new = serde_yaml_ng::to_value(value).unwrap_or(Value::Null);
    if before.as_ref().and_then(|r| lookup(r, path)) == Some(&new) {
        return Ok(text.to_string());
    }
    let found = doc.walk(path)?;
    let eol = line_ending(body);
    let rendered = inline(&new, false);
    let out = if found.len() == path.len() {
        let f = &found[path.len() - 1];
        let line = &doc.lines[f.line];
        let lt = &body[line.start..line.body_end];
        let new_line = if f.vstart == f.vend {
            format!("{}: {rendered}{}", &lt[..f.colon], &lt[f.colon + 1..])
        } else {
            format!("{}{rendered}{}", &lt[..f.vstart], &lt[f.vend..])
        };
        let end = doc.lines[f.block_end].body_end;
        format!("{}{new_line}{}", &body[..line.start], &body[end..])
    } else {
        let depth = found.len();
        let (after, indent) = match found.last() {
            Some(f) => {
                if f.vstart != f.vend {
                    return Err(ParseError {
                        line: f.line + 1,
                        column: f.vstart + 1,
                        message: format!(
                            "`{}` holds a value, not a mapping, so byok can't set `{}` under it; make it a mapping or remove it",
                            path[..depth].join("."),
                            path.join(".")
                        ),
                    });
                }
                let child = doc.first_content(f.line + 1, f.block_end + 1);
                let indent = child.map_or(doc.lines[f.line].indent + doc.step(), |i| {
                    doc.lines[i].indent
                });
                (Some(f.block_end), indent)
            }
            None => {
                let last = doc.last_content(doc.top(), doc.lines.len());
                let indent = doc
                    .first_content(doc.top(), doc.lines.len())
                    .map_or(0, |i| doc.lines[i].indent);
                (last, indent)
            }
        };
        let mut lines = Vec::new();
        for (n, seg) in path[depth..].iter().enumerate() {
            let key = inline(&Value::String((*seg).to_string()), false);
            let pad = " ".repeat(indent + n * doc.step());
            if depth + n + 1 == path.len() {
                lines.push(format!("{pad}{key}: {rendered}"));
            } else {
                lines.push(format!("{pad}{key}:"));
            }
        }
        let at = after.map_or(body.len(), |i| doc.lines[i].end);
        let ends_open = at > 0 && !body[..at].ends_with('\n');
        let insert = if ends_open {
            format!("{eol}{}", lines.join(eol))
        } else {
            format!("{}{eol}", lines.join(eol))
        };
        format!("{}{insert}{}", &body[..at], &body[at..])
    };
    let mut expected = before.clone().unwrap_or(Value::Mapping(Mapping::new()));
    put(&mut expected, path, new);
    verify(&out, &expected, path)?;
    Ok(format!("{bom}{out}"))
}

/// Removes `path` (and, with `prune`, the parent mappings it leaves empty). Unchanged
/// text when the path is absent.
pub fn remove(text: &str, path: &[&str], prune: bool) -> Result<String, ParseError> {
    let (bom, body) = split_bom(text);
    let doc = Doc::new(body);
    doc.check()?;
    let Some(before) = super::yaml::parse(text)? else {
        return Ok(text.to_string());
    };
    let found = doc.walk(path)?;
    if found.len() < path.len() {
        return Ok(text.to_string());
    }
    let f = &found[path.len() - 1];
    let mut start = doc.lines[f.line].start;
    let end = doc.lines[f.block_end].end;
    if end == body.len() && !body.ends_with('\n') && f.line > 0 {
        // The last line had no line break: take the one before it instead.
        start = doc.lines[f.line - 1].body_end;
    }
    let out = format!("{}{}", &body[..start], &body[end..]);
    let mut expected = before.clone();
    take(&mut expected, path);
    verify(&out, &expected, path)?;
    let mut out = format!("{bom}{out}");
    if prune && path.len() > 1 {
        let parent = &path[..path.len() - 1];
        let (_, body) = split_bom(&out);
        let is_empty = super::yaml::parse(&out)?
            .as_ref()
            .and_then(|r| lookup(r, parent))
            .is_some_and(Value::is_null);
        let doc = Doc::new(body);
        let found = doc.walk(parent)?;
        if is_empty
            && let Some(p) = found.get(parent.len() - 1)
            && p.vstart == p.vend
            && p.block_end == p.line
        {
            out = remove(&out, parent, true)?;
        }
    }
    Ok(out)
}

fn lookup<'v>(root: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(root, |v, k| v.as_mapping()?.get(*k))
}

/// Sets `path` in a parsed value, creating mappings (and replacing non-mappings) on the way.
fn put(root: &mut Value, path: &[&str], new: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut v = root;
    for k in parents {
        if !v.is_mapping() {
            *v = Value::Mapping(Mapping::new());
        }
        let Value::Mapping(m) = v else { return };
        v = m
            .entry(Value::String((*k).to_string()))
            .or_insert_with(|| Value::Mapping(Mapping::new()));
    }
    if !v.is_mapping() {
        *v = Value::Mapping(Mapping::new());
    }
    if let Value::Mapping(m) = v {
        m.insert(Value::String((*last).to_string()), new);
    }
}

fn take(root: &mut Value, path: &[&str]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut v = root;
    for k in parents {
        match v.as_mapping_mut().and_then(|m| m.get_mut(*k)) {
            Some(x) => v = x,
            None => return,
        }
    }
    if let Some(m) = v.as_mapping_mut() {
        m.shift_remove(*last);
    }
}

/// The safety net: the edited text parses to exactly `expected`, key order included.
fn verify(out: &str, expected: &Value, path: &[&str]) -> Result<(), ParseError> {
    let got = super::yaml::parse(out)?.unwrap_or(Value::Null);
    if canonical(&emptied(&got)) == canonical(&emptied(expected)) {
        return Ok(());
    }
    Err(ParseError {
        line: 1,
        column: 1,
        message: format!(
            "byok's edit of `{}` would change more than that key, so it was not made; set it by hand",
            path.join(".")
        ),
    })
}

/// A mapping left without keys reads back as null (`key:` with nothing under it).
fn emptied(v: &Value) -> Value {
    match v {
        Value::Mapping(m) if m.is_empty() => Value::Null,
        Value::Mapping(m) => {
            Value::Mapping(m.iter().map(|(k, x)| (k.clone(), emptied(x))).collect())
        }
        other => other.clone(),
    }
}

/// A key found on byok's path. Offsets are within its line.
#[derive(Debug, Clone)]
struct Found {
    line: usize,
    colon: usize,
    /// The value text on the key's line, without a trailing comment (empty for a nested
    /// block or null).
    vstart: usize,
    vend: usize,
    /// The key's last line: the last content line of its nested block or continuation.
    block_end: usize,
}

impl<'t> Doc<'t> {
    fn text_of(&self, i: usize) -> &'t str {
        let l = &self.lines[i];
        &self.text[l.start..l.body_end]
    }

    fn is_marker(&self, i: usize) -> bool {
        let t = self.text_of(i);
        let t = t.split(" #").next().unwrap_or(t).trim_end();
        t == "---" || t == "..." || t.starts_with('%')
    }

    /// The first line of the top-level node (after directives and `---`).
    fn top(&self) -> usize {
        (0..self.lines.len())
            .find(|&i| self.lines[i].kind == Kind::Content && !self.is_marker(i))
            .unwrap_or(self.lines.len())
    }

    /// Refuses several documents and a top level that is not a block mapping.
    fn check(&self) -> Result<(), ParseError> {
        let top = self.top();
        for i in top..self.lines.len() {
            if self.lines[i].kind == Kind::Content && self.is_marker(i) {
                let more = (i + 1..self.lines.len()).any(|j| self.lines[j].kind == Kind::Content);
                if more || self.text_of(i).starts_with("---") {
                    return Err(ParseError {
                        line: i + 1,
                        column: 1,
                        message: "the file holds several YAML documents (`---`); byok edits single-document files only".to_string(),
                    });
                }
            }
        }
        if top < self.lines.len() {
            let l = &self.lines[top];
            let t = &self.text_of(top)[l.indent..];
            if t.starts_with(['{', '[', '-', '?', '&', '!', '*', '|', '>', '"', '\''])
                && split_key(t).is_none()
            {
                return Err(ParseError {
                    line: top + 1,
                    column: l.indent + 1,
                    message: "the top level is not a block mapping (`key: value` lines)"
                        .to_string(),
                });
            }
        }
        Ok(())
    }

    fn first_content(&self, lo: usize, hi: usize) -> Option<usize> {
        (lo..hi).find(|&i| self.lines[i].kind == Kind::Content)
    }

    fn last_content(&self, lo: usize, hi: usize) -> Option<usize> {
        (lo..hi)
            .rev()
            .find(|&i| self.lines[i].kind == Kind::Content)
    }

    /// The indentation step of nested mappings in this file (2 when it has none).
    fn step(&self) -> usize {
        for i in 0..self.lines.len() {
            let l = &self.lines[i];
            if l.kind != Kind::Content {
                continue;
            }
            let t = &self.text_of(i)[l.indent..];
            let Some((_, colon)) = split_key(t) else {
                continue;
            };
            if !value_span(&t[colon + 1..]).is_empty() {
                continue;
            }
            if let Some(j) = self.first_content(i + 1, self.lines.len())
                && self.lines[j].indent > l.indent
            {
                return self.lines[j].indent - l.indent;
            }
        }
        2
    }

    /// The last line of the node whose key is on line `i` at `indent`.
    fn block_end(&self, i: usize, indent: usize) -> usize {
        let mut end = i;
        for j in i + 1..self.lines.len() {
            let l = &self.lines[j];
            if l.kind != Kind::Content {
                continue;
            }
            let t = &self.text_of(j)[l.indent..];
            let same_level_item = l.indent == indent && (t == "-" || t.starts_with("- "));
            if l.indent > indent || same_level_item {
                end = j;
            } else {
                break;
            }
        }
        end
    }

    /// The keys of `path` that exist, outermost first (stops at the first absent one).
    /// Refuses flow mappings, anchors, aliases and tags on the way.
    fn walk(&self, path: &[&str]) -> Result<Vec<Found>, ParseError> {
        let (mut lo, mut hi) = (self.top(), self.lines.len());
        let mut out: Vec<Found> = Vec::new();
        for (depth, seg) in path.iter().enumerate() {
            let Some(c) = self.first_content(lo, hi).map(|i| self.lines[i].indent) else {
                break;
            };
            let mut hit = None;
            for i in lo..hi {
                let l = &self.lines[i];
                if l.kind != Kind::Content || l.indent != c {
                    continue;
                }
                let t = &self.text_of(i)[c..];
                if let Some((key, colon)) = split_key(t)
                    && key == *seg
                {
                    let rest = &t[colon + 1..];
                    let span = value_span(rest);
                    let vstart = c + colon + 1 + (span.as_ptr() as usize - rest.as_ptr() as usize);
                    hit = Some(Found {
                        line: i,
                        colon: c + colon,
                        vstart,
                        vend: vstart + span.len(),
                        block_end: self.block_end(i, c),
                    });
                    break;
                }
            }
            let Some(f) = hit else { break };
            let value = &self.text_of(f.line)[f.vstart..f.vend];
            let construct = match value.chars().next() {
                Some('{') => {
                    Some("a flow mapping (`{…}`); write it as indented `key: value` lines")
                }
                Some('&') => Some("an anchor (`&…`); copy the value instead of anchoring it"),
                Some('*') => Some("an alias (`*…`); write the value out instead"),
                Some('!') => Some("a tag (`!…`); remove the tag"),
                Some('[') if depth + 1 < path.len() => Some("a flow list (`[…]`), not a mapping"),
                _ => None,
            };
            if let Some(what) = construct {
                return Err(ParseError {
                    line: f.line + 1,
                    column: f.vstart + 1,
                    message: format!(
                        "`{}` is {what}; byok edits block mappings only",
                        path[..=depth].join(".")
                    ),
                });
            }
            lo = f.line + 1;
            hi = f.block_end + 1;
            out.push(f);
        }
        Ok(out)
    }
}

/// A `key:` line's key (plain or quoted, decoded) and the offset of its `:`.
fn split_key(t: &str) -> Option<(String, usize)> {
    if t.starts_with(['"', '\'']) {
        let q = t.chars().next()?;
        let mut i = 1;
        let bytes = t.as_bytes();
        while i < bytes.len() {
            if q == '"' && bytes[i] == b'\\' {
                i += 2;
                continue;
            }
            if bytes[i] == q as u8 {
                if q == '\'' && bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                break;
            }
            i += 1;
        }
        let raw = t.get(..=i)?;
        let after = &t[raw.len()..];
        let trimmed = after.trim_start_matches([' ', '\t']);
        let rest = trimmed.strip_prefix(':')?;
        if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
            return None;
        }
        let key: String = serde_yaml_ng::from_str(raw).ok()?;
        return Some((key, t.len() - trimmed.len()));
    }
    if t.starts_with(['-', '?', '#', '{', '[', '&', '*', '!', '|', '>']) {
        return None;
    }
    let bytes = t.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && i > 0 && matches!(bytes[i - 1], b' ' | b'\t') {
            return None;
        }
        if b == b':' && matches!(bytes.get(i + 1), None | Some(b' ' | b'\t')) {
            return Some((t[..i].trim_end().to_string(), i));
        }
    }
    None
}

/// The value text after a key's `:`: without leading blanks and a trailing comment.
fn value_span(rest: &str) -> &str {
    let v = rest.trim_start_matches([' ', '\t']);
    let bytes = v.as_bytes();
    let mut quote = None;
    let mut end = v.len();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(b'"') if b == b'\\' => i += 1,
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if i == 0 && (b == b'"' || b == b'\'') => quote = Some(b),
            None if b == b'#' && (i == 0 || matches!(bytes[i - 1], b' ' | b'\t')) => {
                end = i;
                break;
            }
            None => {}
        }
        i += 1;
    }
    v[..end].trim_end_matches([' ', '\t'])
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const AIDER: &str = "# Aider settings\n\
        model: gpt-4o   # the default\n\
        \n\
        # where the API lives\n\
        openai-api-base: https://old.example/v1\n\
        dark-mode: true\n";

    const GOOSE: &str = "\u{feff}extensions:\r\n    developer:\r\n        enabled: true # keep\r\n        name: developer\r\n# provider below\r\nGOOSE_MODEL: gpt-4o\r\n";

    fn p(s: &str) -> Vec<&str> {
        s.split('.').collect()
    }

    #[test]
    fn sets_keep_comments_and_added_keys_remove_to_the_original_bytes() {
        // (file, path, value, text after set)
        let cases: &[(&str, &str, Json, &str)] = &[
            (
                AIDER,
                "model",
                json!("byok/claude"),
                "# Aider settings\nmodel: byok/claude   # the default\n\n# where the API lives\nopenai-api-base: https://old.example/v1\ndark-mode: true\n",
            ),
            (
                AIDER,
                "openai-api-key",
                json!("sk: #1 'x'"),
                "# Aider settings\nmodel: gpt-4o   # the default\n\n# where the API lives\nopenai-api-base: https://old.example/v1\ndark-mode: true\nopenai-api-key: \"sk: #1 'x'\"\n",
            ),
            (
                AIDER,
                "a.b.c",
                json!("yes"),
                "# Aider settings\nmodel: gpt-4o   # the default\n\n# where the API lives\nopenai-api-base: https://old.example/v1\ndark-mode: true\na:\n  b:\n    c: \"yes\"\n",
            ),
            (
                GOOSE,
                "extensions.developer.timeout",
                json!(300),
                "\u{feff}extensions:\r\n    developer:\r\n        enabled: true # keep\r\n        name: developer\r\n        timeout: 300\r\n# provider below\r\nGOOSE_MODEL: gpt-4o\r\n",
            ),
            (
                GOOSE,
                "extensions.byok.url",
                json!("http://127.0.0.1:4000"),
                "\u{feff}extensions:\r\n    developer:\r\n        enabled: true # keep\r\n        name: developer\r\n    byok:\r\n        url: http://127.0.0.1:4000\r\n# provider below\r\nGOOSE_MODEL: gpt-4o\r\n",
            ),
            (
                GOOSE,
                "GOOSE_PROVIDER",
                json!("openai"),
                "\u{feff}extensions:\r\n    developer:\r\n        enabled: true # keep\r\n        name: developer\r\n# provider below\r\nGOOSE_MODEL: gpt-4o\r\nGOOSE_PROVIDER: openai\r\n",
            ),
            ("", "model", json!("1.0"), "model: \"1.0\"\n"),
            (
                "# only a comment",
                "x.y",
                json!(true),
                "# only a comment\nx:\n  \"y\": true",
            ),
            ("a: 1", "b", json!(null), "a: 1\nb: null"),
        ];
        for (text, path, value, want) in cases {
            let path = p(path);
            let out = set(text, &path, value).unwrap();
            assert_eq!(&out, want, "{path:?}");
            assert_eq!(get(&out, &path).unwrap().as_ref(), Some(value));
            assert_eq!(
                set(&out, &path, value).unwrap(),
                out,
                "second set is a no-op"
            );
            if get(text, &path).unwrap().is_none() {
                assert_eq!(&remove(&out, &path, true).unwrap(), text, "{path:?}");
            }
        }
    }

    #[test]
    fn get_reads_nested_absent_and_quoted_keys() {
        assert_eq!(
            get(GOOSE, &p("extensions.developer.enabled")).unwrap(),
            Some(json!(true))
        );
        assert_eq!(get(GOOSE, &p("extensions.nope.enabled")).unwrap(), None);
        assert_eq!(get("'a b': x\n", &["a b"]).unwrap(), Some(json!("x")));
        assert_eq!(get("", &["a"]).unwrap(), None);
    }

    #[test]
    fn removes_existing_keys_with_their_nested_lines_and_prunes() {
        let text = "keep: 1\nouter:\n  # note\n  inner:\n    x: 1\n    y: |\n      two\n      lines\nlast: 2 # c\n";
        assert_eq!(
            remove(text, &p("outer.inner.y"), false).unwrap(),
            "keep: 1\nouter:\n  # note\n  inner:\n    x: 1\nlast: 2 # c\n"
        );
        assert_eq!(
            remove(text, &p("outer.inner"), true).unwrap(),
            "keep: 1\n  # note\nlast: 2 # c\n",
            "the emptied parent goes; the comment in it stays"
        );
        assert_eq!(
            remove(text, &p("last"), false).unwrap(),
            "keep: 1\nouter:\n  # note\n  inner:\n    x: 1\n    y: |\n      two\n      lines\n"
        );
        assert_eq!(remove(text, &p("nope.x"), true).unwrap(), text);
        // Replacing a multi-line value takes all its lines.
        assert_eq!(
            set(text, &p("outer.inner.y"), &json!("one")).unwrap(),
            "keep: 1\nouter:\n  # note\n  inner:\n    x: 1\n    y: one\nlast: 2 # c\n"
        );
    }

    #[test]
    fn refusals_name_the_construct_and_its_position() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "a: 1\nprovider: {name: x}\n",
                "provider.name",
                "line 2, column 11: `provider` is a flow mapping (`{…}`); write it as indented `key: value` lines; byok edits block mappings only",
            ),
            (
                "base: &b\n  x: 1\n",
                "base.x",
                "line 1, column 7: `base` is an anchor (`&…`); copy the value instead of anchoring it; byok edits block mappings only",
            ),
            (
                "base: &b\n  x: 1\nother: *b\n",
                "other.x",
                "line 3, column 8: `other` is an alias (`*…`); write the value out instead; byok edits block mappings only",
            ),
            (
                "model: !secret x\n",
                "model",
                "line 1, column 8: `model` is a tag (`!…`); remove the tag; byok edits block mappings only",
            ),
            (
                "a: 1\n---\nb: 2\n",
                "a",
                "line 2, column 1: the file holds several YAML documents (`---`); byok edits single-document files only",
            ),
            (
                "{a: 1}\n",
                "a",
                "line 1, column 1: the top level is not a block mapping (`key: value` lines)",
            ),
            (
                "a: 5\n",
                "a.b",
                "line 1, column 4: `a` holds a value, not a mapping, so byok can't set `a.b` under it; make it a mapping or remove it",
            ),
        ];
        for (text, path, want) in cases {
            let e = set(text, &p(path), &json!("v")).unwrap_err();
            assert_eq!(e.to_string(), *want, "{text:?}");
        }
        assert!(remove("a: {b: 1}\n", &p("a.b"), true).is_err());
    }

    mod props {
        use proptest::prelude::*;

        use super::*;

        fn word() -> impl Strategy<Value = String> {
            "[a-z][a-z0-9_-]{0,6}"
        }

        fn scalar() -> impl Strategy<Value = String> {
            prop_oneof![
                word(),
                Just("\"quoted: #x\"".to_string()),
                Just("42".to_string()),
                Just("true".to_string()),
                Just("https://h.example/v1 # note".to_string()),
            ]
        }

        /// A block mapping of depth 2 with comments and blank lines between entries.
        fn doc() -> impl Strategy<Value = String> {
            let entry = (
                word(),
                prop::option::of(prop::collection::vec((word(), scalar()), 1..3)),
                scalar(),
                any::<bool>(),
            );
            prop::collection::vec(entry, 0..5).prop_map(|entries| {
                let mut out = String::from("# head\n");
                let mut seen = Vec::new();
                for (k, nested, v, comment) in entries {
                    if seen.contains(&k) {
                        continue;
                    }
                    seen.push(k.clone());
                    if comment {
                        out.push_str("\n# about it\n");
                    }
                    match nested {
                        Some(kids) => {
                            out.push_str(&format!("{k}:\n"));
                            let mut kseen = Vec::new();
                            for (kk, vv) in kids {
                                if !kseen.contains(&kk) {
                                    out.push_str(&format!("  {kk}: {vv}\n"));
                                    kseen.push(kk);
                                }
                            }
                        }
                        None => out.push_str(&format!("{k}: {v}\n")),
                    }
                }
                out
            })
        }

        proptest! {
            #[test]
            fn set_changes_only_the_target(text in doc(), a in word(), b in prop::option::of(word()), v in "[ -~]{0,12}") {
                let path: Vec<&str> = match &b { Some(b) => vec![a.as_str(), b.as_str()], None => vec![a.as_str()] };
                let Ok(out) = set(&text, &path, &json!(v)) else { return Ok(()) };
                let mut want = crate::config_edit::yaml::parse(&text).unwrap().unwrap_or(Value::Mapping(Mapping::new()));
                put(&mut want, &path, Value::String(v.clone()));
                let got = crate::config_edit::yaml::parse(&out).unwrap().unwrap();
                prop_assert_eq!(canonical(&got), canonical(&want));
                prop_assert_eq!(get(&out, &path).unwrap(), Some(json!(v)));
                if get(&text, &path).unwrap().is_none() {
                    prop_assert_eq!(remove(&out, &path, true).unwrap(), text);
                }
            }
        }
    }
}
