//! YAML (Continue's `config.yaml`): byok's entries in a top-level list, edited as one
//! unit, with every other byte of the file kept as it was.
//!
//! Approach, and why: the two comment-preserving YAML editors were tried on real-looking
//! Continue files (comments, several models, rules, MCP servers, anchors, block and flow
//! styles, CRLF, BOM). `yamlpatch` 1.32 needs rustc 1.97 (via `tree-sitter-iter`) and a C
//! build of tree-sitter, so it cannot be built here. `yaml-edit` 0.3.6 kept comments,
//! indentation, CRLF and BOM through add/update/remove, but its parser is lenient: it
//! accepted 9 of 13 malformed documents (bad indentation, duplicate keys, tabs, unknown
//! aliases, `a: b: c`), so a file Continue cannot load would be edited instead of refused,
//! and it would still need a second YAML crate to validate. So byok does it the way the
//! issue allows as a fallback:
//!
//! - `serde_yaml_ng` (libyaml's grammar) only validates the input, reads values, and
//!   checks the output; it never writes the file.
//! - byok's entries are the items of a top-level block list (`models:`) whose identifying
//!   field (`name`) is one of byok's ids. They are found by scanning lines (indentation,
//!   `- ` item starts) and cross-checked against the parsed list; they are replaced,
//!   inserted (first in the list, right after another of byok's, or after the last
//!   entry) or removed as whole lines.
//!   Everything else is kept byte for byte, BOM and line endings included.
//! - Every result is parsed again and compared with the input: all values outside byok's
//!   entries must be identical (same order too) and byok's entries must read back exactly
//!   as intended. If not, the edit is refused rather than written.
//!
//! - What byok adds besides its entries (the list key, a header in an empty document)
//!   carries the same marker, unless the file is one byok created ([`OwnedList::created`]),
//!   so that removing the entries takes those out again and gives back the user's shape.
//!
//! An anchored list (`models: &m`) is edited like any other while nothing reuses it. Valid
//! YAML byok can't edit without changing more than its entries is refused, naming the
//! construct, its line and what to write instead: a flow list with entries
//! (`models: [{...}]`: byok edits block lists only), an alias (`models: *m`) or an
//! anchored list reused elsewhere (an edit would change the other place too), a tag, a
//! top level that is not a block mapping. `models: []` (what Continue itself writes)
//! becomes a block list.

use serde_json::Value as Json;
pub use serde_yaml_ng::Value;

use super::{ParseError, line_ending, split_bom};

/// The comment byok puts on the first line of each list entry it writes.
pub const MARKER: &str = "managed by byok";

/// Parses a document into a value; an empty document (nothing but blank lines, comments
/// and markers) is `None`.
pub fn parse(text: &str) -> Result<Option<Value>, ParseError> {
    let (_, body) = split_bom(text);
    parse_body(body)
}

fn parse_body(body: &str) -> Result<Option<Value>, ParseError> {
    match serde_yaml_ng::from_str::<Value>(body) {
        Ok(Value::Null) => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(e) => Err(to_parse_error(body, &e)),
    }
}

/// libyaml's message without its position suffix (which [`ParseError`] carries). The
/// messages name the problem, never the line's content.
fn to_parse_error(body: &str, e: &serde_yaml_ng::Error) -> ParseError {
    let text = e.to_string();
    let (line, column, message) = match e.location() {
        Some(loc) => {
            let suffix = format!(" at line {} column {}", loc.line(), loc.column());
            (loc.line(), loc.column(), text.replacen(&suffix, "", 1))
        }
        None => (1, 1, text),
    };
    let (line, column) = duplicate_key_position(body, &message).unwrap_or((line, column));
    ParseError {
        line,
        column,
        message,
    }
}

/// libyaml reports a duplicate key without a position: point at the key's second line
/// at the same indentation.
fn duplicate_key_position(body: &str, message: &str) -> Option<(usize, usize)> {
    let key = message
        .strip_prefix("duplicate entry with key \"")?
        .strip_suffix('"')?;
    let doc = Doc::new(body);
    let mut seen: Vec<usize> = Vec::new();
    for (i, l) in doc.lines.iter().enumerate() {
        let t = doc.line_text(l);
        let t = t[l.indent..].strip_prefix("- ").unwrap_or(&t[l.indent..]);
        if l.kind == Kind::Content && key_colon(t, key).is_some() {
            if seen.contains(&l.indent) {
                return Some((i + 1, l.indent + 1));
            }
            seen.push(l.indent);
        }
    }
    None
}

/// byok's entries in one top-level list: `models` items whose `name` is one of `ids`.
#[derive(Debug, Clone, Copy)]
pub struct OwnedList<'a> {
    /// The top-level key holding the list (`models`).
    pub key: &'a str,
    /// The field that identifies an entry (`name`).
    pub field: &'a str,
    /// Values of `field` that mark byok's entries.
    pub ids: &'a [&'a str],
    /// Where entries go in a list that holds none of byok's yet.
    pub at: At<'a>,
    /// The first line of a file byok creates. In such a file the header and the list key
    /// are byok's without a marker; elsewhere byok marks each one it adds, so that
    /// removing its entries can take them out again.
    pub created: Option<&'a str>,
}

/// Where [`OwnedList::set`] adds entries to a list that holds none of byok's yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At<'a> {
    /// After the last entry.
    Last,
    /// Before the first entry (where Continue finds its default model).
    First,
    /// Right after the entry whose identifying field is this one (another of byok's,
    /// so byok's entries stay together), else after the last entry.
    After(&'a str),
}

impl OwnedList<'_> {
    /// byok's entries as they are now, in file order.
    pub fn owned(&self, text: &str) -> Result<Vec<Value>, ParseError> {
        let Some(v) = parse(text)? else {
            return Ok(Vec::new());
        };
        Ok(self.owned_values(&v))
    }

    /// Makes byok's entries exactly `items` (in that order), replacing the old ones where
    /// the first of them stood, or adding them after the last entry of the list. An empty
    /// document gets `header` (top-level key/values, e.g. `name`, `version`) first. A text
    /// whose entries already read as `items` is returned unchanged.
    ///
    /// What byok adds besides its entries (the list key, the header) is marked unless the
    /// file is one byok created, and with `items` empty it goes again: the list key when
    /// the list is left empty, the header when nothing else is left. So removing gives
    /// back the user's shape: no `models` where there was none, only the comments of a
    /// comments-only file.
    pub fn set(
        &self,
        text: &str,
        items: &[Json],
        header: &[(&str, Json)],
    ) -> Result<String, ParseError> {
        let (bom, body) = split_bom(text);
        let eol = line_ending(body);
        let created = self
            .created
            .is_some_and(|c| !c.is_empty() && body.starts_with(c));
        let want: Vec<Value> = items.iter().map(to_value).collect();
        let (body, before) = match parse_body(body)? {
            Some(v) => (body.to_string(), v),
            None if is_empty_document(body) => {
                if items.is_empty() {
                    return Ok(text.to_string());
                }
                let mut b = body.to_string();
                if !b.is_empty() && !b.ends_with('\n') {
                    b.push_str(eol);
                }
                for (k, v) in header {
                    render_entry(&mut b, k, v, 0, eol);
                    if !created {
                        mark_last_line(&mut b, eol);
                    }
                }
                let v = parse_body(&b)?.unwrap_or(Value::Null);
                (b, v)
            }
            None => return Err(not_a_mapping(body)),
        };
        let out = self.edit(&body, &before, &want, eol, created)?;
        let (out, dropped) = if want.is_empty() {
            drop_header(&out, header, created)
        } else {
            (out, Vec::new())
        };
        if out == body {
            return Ok(format!("{bom}{body}"));
        }
        self.verify(&before, &out, &want, &dropped)
            .map_err(|_| self.refusal(&body))?;
        Ok(format!("{bom}{out}"))
    }

    /// Takes byok's entries out. A list left empty goes too if byok added its key (marked,
    /// or in a file byok created), else it becomes `[]` (Continue rejects a null list);
    /// a header byok added goes when nothing else is left.
    pub fn remove(&self, text: &str, header: &[(&str, Json)]) -> Result<String, ParseError> {
        self.set(text, &[], header)
    }

    fn is_owned(&self, item: &Value) -> bool {
        item.as_mapping()
            .and_then(|m| m.get(self.field))
            .and_then(Value::as_str)
            .is_some_and(|s| self.ids.contains(&s))
    }

    fn owned_values(&self, doc: &Value) -> Vec<Value> {
        match doc.get(self.key) {
            Some(Value::Sequence(items)) => {
                items.iter().filter(|i| self.is_owned(i)).cloned().collect()
            }
            _ => Vec::new(),
        }
    }

    /// The document without byok's entries, and without the list if that leaves it empty.
    fn without_owned(&self, doc: &Value) -> Value {
        let mut doc = doc.clone();
        if let Some(map) = doc.as_mapping_mut() {
            let keep = match map.get_mut(self.key) {
                Some(Value::Sequence(items)) => {
                    items.retain(|i| !self.is_owned(i));
                    !items.is_empty()
                }
                Some(Value::Null) => false,
                _ => true,
            };
            if !keep {
                map.remove(self.key);
            }
        }
        doc
    }

    /// Checks an edit: byok's entries read as `want`, and everything else as before but
    /// for the header keys in `dropped`.
    fn verify(
        &self,
        before: &Value,
        out: &str,
        want: &[Value],
        dropped: &[String],
    ) -> Result<(), ()> {
        let after = parse_body(out)
            .map_err(|_| ())?
            .unwrap_or_else(|| Value::Mapping(serde_yaml_ng::Mapping::new()));
        let mut rest = self.without_owned(before);
        if let Some(map) = rest.as_mapping_mut() {
            for k in dropped {
                map.remove(k.as_str());
            }
        }
        let same_rest = canonical(&rest) == canonical(&self.without_owned(&after));
        let same_owned = canonical_all(&self.owned_values(&after)) == canonical_all(want);
        if same_rest && same_owned {
            Ok(())
        } else {
            Err(())
        }
    }

    fn refusal(&self, body: &str) -> ParseError {
        let doc = Doc::new(body);
        let line = doc
            .find_key(self.key)
            .ok()
            .flatten()
            .map_or(1, |(i, _, _)| i + 1);
        ParseError {
            line,
            column: 1,
            message: format!(
                "byok could not change `{}` here without touching other entries; edit it by hand",
                self.key
            ),
        }
    }

    /// The edited text (not yet verified); the input itself when nothing changes.
    fn edit(
        &self,
        body: &str,
        parsed: &Value,
        want: &[Value],
        eol: &str,
        created: bool,
    ) -> Result<String, ParseError> {
        let doc = Doc::new(body);
        let Some(map) = parsed.as_mapping() else {
            return Err(not_a_mapping(body));
        };
        // Nothing to change (a remove where byok wrote nothing): no need to edit, so no
        // refusal of a shape byok can't edit either.
        let have: Vec<Value> = self.owned_values(parsed);
        if canonical_all(&have) == canonical_all(want) {
            return Ok(body.to_string());
        }
        let c0 = doc.top_indent()?;
        let located = doc.find_key(self.key)?;
        let parsed_list = map.get(self.key);
        let Some((key_line, colon, shape)) = located else {
            if parsed_list.is_some() {
                return Err(unsupported(self.key, 1, 1));
            }
            // No list yet: append one at the end (before a closing `...`, if any).
            let mut at = body.len();
            if let Some(last) = doc.lines.iter().rev().find(|l| l.kind == Kind::Content)
                && doc.line_text(last).trim_end() == "..."
            {
                at = last.start;
            }
            let mut add = String::new();
            if at == body.len() && !body.is_empty() && !body.ends_with('\n') {
                add.push_str(eol);
            }
            add.push_str(&" ".repeat(c0));
            add.push_str(&plain_or_quoted(self.key, false));
            add.push(':');
            if !created {
                // So that removing byok's entries takes the key out again.
                add.push_str(" # ");
                add.push_str(MARKER);
            }
            add.push_str(eol);
            for item in want {
                render_item(&mut add, item, c0 + 2, 2, eol);
            }
            return Ok(splice(body, &[(at, at, add)]));
        };
        let kl = &doc.lines[key_line];
        let expected = match parsed_list {
            Some(Value::Sequence(items)) => items.len(),
            Some(Value::Null) => 0,
            _ => return Err(unsupported(self.key, key_line + 1, kl.indent + 1)),
        };
        match shape {
            Shape::EmptyFlow { open } => {
                if expected != 0 {
                    return Err(unsupported(self.key, key_line + 1, kl.indent + 1));
                }
                // `models: []` -> `models:` followed by the entries (a comment stays).
                let line = doc.line_text(kl);
                let after = line[open + 2..].trim_start();
                let mut new_line = line[..open].trim_end().to_string();
                if !after.is_empty() {
                    new_line.push(' ');
                    new_line.push_str(after);
                }
                let mut add = String::new();
                for item in want {
                    render_item(&mut add, item, c0 + 2, 2, eol);
                }
                Ok(splice(
                    body,
                    &[(kl.start, kl.body_end, new_line), (kl.end, kl.end, add)],
                ))
            }
            Shape::Block { items, indent } => {
                if items.len() != expected {
                    return Err(unsupported(self.key, key_line + 1, kl.indent + 1));
                }
                let values: Vec<&Value> = match parsed_list {
                    Some(Value::Sequence(v)) => v.iter().collect(),
                    _ => Vec::new(),
                };
                let owned: Vec<&Item> = items
                    .iter()
                    .zip(&values)
                    .filter(|(_, v)| self.is_owned(v))
                    .map(|(i, _)| i)
                    .collect();
                let s = indent.unwrap_or(c0 + 2);
                let gap = items.first().map_or(2, |i| doc.dash_gap(i.start));
                let mut rendered = String::new();
                for item in want {
                    render_item(&mut rendered, item, s, gap, eol);
                }
                let mut edits: Vec<(usize, usize, String)> = Vec::new();
                match owned.split_first() {
                    None => {
                        let field = |v: &Value| {
                            v.as_mapping()
                                .and_then(|m| m.get(self.field))
                                .and_then(Value::as_str)
                                .map(str::to_string)
                        };
                        let after = match self.at {
                            At::After(id) => values
                                .iter()
                                .position(|v| field(v).as_deref() == Some(id))
                                .and_then(|i| items.get(i)),
                            At::Last => items.last(),
                            At::First => None,
                        };
                        let after = after.or(match self.at {
                            At::After(_) => items.last(),
                            _ => None,
                        });
                        let at = after.map_or(kl.end, |i| doc.lines[i.core_end].end);
                        let mut add = String::new();
                        if at == body.len() && !body.ends_with('\n') {
                            add.push_str(eol);
                        }
                        add.push_str(&rendered);
                        edits.push((at, at, add));
                    }
                    Some((first, rest)) => {
                        let range =
                            |i: &Item| (doc.lines[i.start].start, doc.lines[i.core_end].end);
                        let (a, b) = range(first);
                        edits.push((a, b, rendered));
                        for i in rest {
                            let (a, b) = range(i);
                            edits.push((a, b, String::new()));
                        }
                        let line = doc.line_text(kl);
                        if want.is_empty() && owned.len() == items.len() {
                            if created || is_marker(&line[colon + 1..]) {
                                // byok added the key: it goes with the last entry.
                                edits.push((kl.start, kl.end, String::new()));
                                return Ok(splice(body, &edits));
                            }
                            // Continue rejects `models:` with nothing in it: leave `[]`
                            // (after the list's anchor, if it has one).
                            let mut after = line[colon + 1..].trim_start();
                            let mut new_line = line[..=colon].to_string();
                            if let Some(anchor) = after.strip_prefix('&') {
                                let name = node_name(anchor);
                                new_line.push_str(&format!(" &{name}"));
                                after = anchor[name.len()..].trim_start();
                            }
                            new_line.push_str(" []");
                            if !after.is_empty() {
                                new_line.push(' ');
                                new_line.push_str(after);
                            }
                            edits.push((kl.start, kl.body_end, new_line));
                        }
                    }
                }
                Ok(splice(body, &edits))
            }
        }
    }
}

/// The items of the top-level list `key` as JSON, for a template's list item (`entry`):
/// `None` when the key is absent, none for `key:` or `key: []`; an error naming the line
/// when something else is there.
pub fn list_items(text: &str, key: &str) -> Result<Option<Vec<Json>>, ParseError> {
    let (_, body) = split_bom(text);
    let Some(doc) = parse_body(body)? else {
        return Ok(None);
    };
    let Some(map) = doc.as_mapping() else {
        return Err(not_a_mapping(body));
    };
    match map.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(Vec::new())),
        Some(Value::Sequence(items)) => Ok(Some(
            items
                .iter()
                .map(|i| serde_json::to_value(i).unwrap_or(Json::Null))
                .collect(),
        )),
        // The key finder names the construct and its position.
        Some(_) => Err(Doc::new(body).find_key(key).err().unwrap_or(ParseError {
            line: 1,
            column: 1,
            message: format!("`{key}` is not a list; it must be a list of `- ` items"),
        })),
    }
}

/// True when `rest` (what follows a key's `:`) is only byok's marker comment.
fn is_marker(rest: &str) -> bool {
    rest.trim()
        .strip_prefix('#')
        .is_some_and(|c| c.trim() == MARKER)
}

/// Puts byok's marker at the end of the last line of `out` (which ends with `eol`).
fn mark_last_line(out: &mut String, eol: &str) {
    let at = out.len() - eol.len();
    out.insert_str(at, &format!(" # {MARKER}"));
}

/// Takes out the header byok added when it is all that is left of the document: every
/// content line must be a top-level `key: value` of `header` with byok's value, marked
/// (or in a file byok created). Returns the text and the keys taken out.
fn drop_header(text: &str, header: &[(&str, Json)], created: bool) -> (String, Vec<String>) {
    let doc = Doc::new(text);
    let mut edits = Vec::new();
    let mut keys = Vec::new();
    for l in doc.lines.iter().filter(|l| l.kind == Kind::Content) {
        let t = doc.line_text(l);
        if is_marker_line(t) {
            continue;
        }
        let ours = header.iter().find(|(k, v)| {
            l.indent == 0
                && key_colon(t, k).is_some_and(|c| {
                    let rest = &t[c + 1..];
                    let (value, marked) = match rest.rfind(" # ") {
                        Some(i) if is_marker(&rest[i..]) => (&rest[..i], true),
                        _ => (rest, false),
                    };
                    (marked || created)
                        && parse_body(value).ok().flatten().as_ref() == Some(&to_value(v))
                })
        });
        match ours {
            Some((k, _)) => {
                edits.push((l.start, l.end, String::new()));
                keys.push((*k).to_string());
            }
            None => return (text.to_string(), Vec::new()),
        }
    }
    (splice(text, &edits), keys)
}

/// Applies non-overlapping `(start, end, replacement)` edits.
fn splice(text: &str, edits: &[(usize, usize, String)]) -> String {
    let mut edits: Vec<&(usize, usize, String)> = edits.iter().collect();
    edits.sort_by_key(|(a, b, _)| (*a, *b));
    let mut out = String::with_capacity(text.len() + 256);
    let mut at = 0;
    for (a, b, s) in edits {
        out.push_str(&text[at..*a]);
        out.push_str(s);
        at = *b;
    }
    out.push_str(&text[at..]);
    out
}

fn not_a_mapping(body: &str) -> ParseError {
    let doc = Doc::new(body);
    let (line, column) = doc
        .lines
        .iter()
        .enumerate()
        .find(|(_, l)| l.kind == Kind::Content)
        .map_or((1, 1), |(i, l)| (i + 1, l.indent + 1));
    ParseError {
        line,
        column,
        message: "the top level is not a block mapping (`key: value` lines)".to_string(),
    }
}

fn unsupported(key: &str, line: usize, column: usize) -> ParseError {
    ParseError {
        line,
        column,
        message: format!(
            "`{key}` is not a plain block list (one `- ` entry per item), the only form byok edits"
        ),
    }
}

/// True when a text holds no YAML node: blank lines, comments, directives, markers.
fn is_empty_document(body: &str) -> bool {
    Doc::new(body)
        .lines
        .iter()
        .all(|l| l.kind != Kind::Content || is_marker_line(&body[l.start..l.body_end]))
}

/// A document marker (`---`, `...`) or directive (`%YAML`) line.
fn is_marker_line(line: &str) -> bool {
    let t = line.trim();
    t == "---" || t == "..." || t.starts_with('%')
}

pub(super) fn canonical(v: &Value) -> String {
    serde_yaml_ng::to_string(v).unwrap_or_default()
}

fn canonical_all(v: &[Value]) -> Vec<String> {
    v.iter().map(canonical).collect()
}

fn to_value(j: &Json) -> Value {
    serde_yaml_ng::to_value(j).unwrap_or(Value::Null)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Blank,
    Comment,
    Content,
}

/// One physical line: byte offsets into the text and its indentation (spaces).
#[derive(Debug, Clone)]
pub(super) struct Line {
    pub(super) start: usize,
    /// Before the line break (`\r\n` or `\n`).
    pub(super) body_end: usize,
    /// After the line break.
    pub(super) end: usize,
    pub(super) indent: usize,
    pub(super) kind: Kind,
}

#[derive(Debug, Clone)]
struct Item {
    /// The line of its `- `.
    start: usize,
    /// Its last line that is content or a comment indented past the dash.
    core_end: usize,
}

#[derive(Debug)]
enum Shape {
    /// `key:` followed by `- ` items (none when the value is null).
    Block {
        items: Vec<Item>,
        /// Column of the dashes, when there are items.
        indent: Option<usize>,
    },
    /// `key: []`; `open` is the offset of `[` in the line.
    EmptyFlow { open: usize },
}

/// A text split into lines; the YAML key editor ([`super::yaml_keys`]) shares it.
pub(super) struct Doc<'t> {
    pub(super) text: &'t str,
    pub(super) lines: Vec<Line>,
}

impl<'t> Doc<'t> {
    /// Splits `text` into lines, keeping every byte's offset.
    pub(super) fn new(text: &'t str) -> Self {
        let mut lines = Vec::new();
        let mut start = 0;
        for piece in text.split_inclusive('\n') {
            let end = start + piece.len();
            let mut body = piece.strip_suffix('\n').unwrap_or(piece);
            body = body.strip_suffix('\r').unwrap_or(body);
            let indent = body.len() - body.trim_start_matches(' ').len();
            let rest = body.trim_start_matches([' ', '\t']);
            let kind = if rest.trim_end().is_empty() {
                Kind::Blank
            } else if rest.starts_with('#') {
                Kind::Comment
            } else {
                Kind::Content
            };
            lines.push(Line {
                start,
                body_end: start + body.len(),
                end,
                indent,
                kind,
            });
            start = end;
        }
        Self { text, lines }
    }

    fn line_text(&self, l: &Line) -> &'t str {
        &self.text[l.start..l.body_end]
    }

    /// Index of the first line of the top-level node (after directives and `---`).
    fn top_line(&self) -> Result<Option<usize>, ParseError> {
        for (i, l) in self.lines.iter().enumerate() {
            if l.kind != Kind::Content {
                continue;
            }
            let t = self.line_text(l);
            if l.indent == 0 && t.starts_with('%') {
                continue;
            }
            if let Some(rest) = t.strip_prefix("---")
                && (rest.is_empty() || rest.starts_with([' ', '\t']))
            {
                let rest = rest.trim();
                if rest.is_empty() || rest.starts_with('#') {
                    continue;
                }
                return Err(ParseError {
                    line: i + 1,
                    column: 1,
                    message:
                        "content on the `---` line is not supported; start it on the next line"
                            .to_string(),
                });
            }
            return Ok(Some(i));
        }
        Ok(None)
    }

    /// The indentation of the top-level mapping's keys.
    fn top_indent(&self) -> Result<usize, ParseError> {
        let Some(i) = self.top_line()? else {
            return Ok(0);
        };
        let l = &self.lines[i];
        let t = self.line_text(l)[l.indent..].trim_start();
        if t.starts_with(['{', '[', '-', '?', '&', '!', '*', '|', '>']) {
            return Err(ParseError {
                line: i + 1,
                column: l.indent + 1,
                message: "the top level is not a block mapping (`key: value` lines)".to_string(),
            });
        }
        Ok(l.indent)
    }

    /// Where `key` is among the top-level keys, and the shape of its value.
    /// Returns the line index, the offset of the key's `:` in that line, and the shape.
    fn find_key(&self, key: &str) -> Result<Option<(usize, usize, Shape)>, ParseError> {
        let Some(top) = self.top_line()? else {
            return Ok(None);
        };
        let c0 = self.lines[top].indent;
        for i in top..self.lines.len() {
            let l = &self.lines[i];
            if l.kind != Kind::Content || l.indent != c0 {
                continue;
            }
            let t = self.line_text(l);
            let Some(colon) = key_colon(&t[c0..], key).map(|c| c + c0) else {
                continue;
            };
            let mut value = t[colon + 1..].trim_start_matches([' ', '\t']);
            // An anchored list (`models: &m`) is edited like any other unless something
            // reuses it: an edit would then change that place too.
            if let Some(anchor) = value.strip_prefix('&') {
                let name = node_name(anchor);
                if let Some(use_line) = self.alias_line(name) {
                    return Err(ParseError {
                        line: i + 1,
                        column: t.len() - value.len() + 1,
                        message: format!(
                            "`{key}` is anchored as `&{name}` and reused as `*{name}` on line {}, so byok's change would change that place too; copy the list there instead of `*{name}`, or remove the anchor",
                            use_line + 1
                        ),
                    });
                }
                value = anchor[name.len()..].trim_start_matches([' ', '\t']);
            }
            if value.is_empty() || value.starts_with('#') {
                return Ok(Some((i, colon, self.block_items(i, c0))));
            }
            if let Some(rest) = value.strip_prefix("[]") {
                let rest = rest.trim();
                if rest.is_empty() || rest.starts_with('#') {
                    let open = t.len() - value.len();
                    return Ok(Some((i, colon, Shape::EmptyFlow { open })));
                }
            }
            let column = t.len() - value.len() + 1;
            let message = if let Some(alias) = value.strip_prefix('*') {
                let name = node_name(alias);
                let anchored = self
                    .anchor_line(name)
                    .map_or(String::new(), |l| format!(" on line {}", l + 1));
                format!(
                    "`{key}` is the alias `*{name}` of the list anchored{anchored}; byok would have to change that list and every other place that reuses it: write the list out under `{key}` (one `- ` item per model)"
                )
            } else if value.starts_with('[') {
                format!(
                    "`{key}` is a flow list `[...]`; byok edits block lists only: write each entry of `{key}` as a `- ` item on its own line"
                )
            } else if value.starts_with('!') {
                format!(
                    "`{key}` has a tag byok does not edit through; write it as a plain list of `- ` items"
                )
            } else {
                format!("`{key}` is not a list; it must be a list of `- ` items")
            };
            return Err(ParseError {
                line: i + 1,
                column,
                message,
            });
        }
        Ok(None)
    }

    /// The first content line that uses `*name` as an alias.
    fn alias_line(&self, name: &str) -> Option<usize> {
        self.node_token_line('*', name)
    }

    /// The first content line that defines `&name`.
    fn anchor_line(&self, name: &str) -> Option<usize> {
        self.node_token_line('&', name)
    }

    fn node_token_line(&self, sigil: char, name: &str) -> Option<usize> {
        let token = format!("{sigil}{name}");
        self.lines.iter().position(|l| {
            l.kind == Kind::Content && {
                let t = self.line_text(l);
                t.match_indices(&token).any(|(at, _)| {
                    let before_ok = t[..at]
                        .chars()
                        .next_back()
                        .is_none_or(|c| matches!(c, ' ' | '\t' | '[' | '{' | ',' | ':' | '-'));
                    let after = &t[at + token.len()..];
                    before_ok && node_name(after).is_empty()
                })
            }
        })
    }

    fn is_item(&self, l: &Line) -> bool {
        let t = &self.line_text(l)[l.indent..];
        t == "-" || t.starts_with("- ") || t.starts_with("-\t")
    }

    /// Spaces from the dash to the item's content, plus one (`- name` is 2).
    fn dash_gap(&self, line: usize) -> usize {
        let l = &self.lines[line];
        let after = &self.line_text(l)[l.indent + 1..];
        let spaces = after.len() - after.trim_start_matches(' ').len();
        if after.trim().is_empty() || !(1..=4).contains(&spaces) {
            2
        } else {
            spaces + 1
        }
    }

    fn block_items(&self, key_line: usize, c0: usize) -> Shape {
        let mut starts = Vec::new();
        let mut indent = None;
        let mut end = self.lines.len();
        for i in key_line + 1..self.lines.len() {
            let l = &self.lines[i];
            if l.kind != Kind::Content {
                continue;
            }
            match indent {
                None => {
                    if l.indent >= c0 && self.is_item(l) {
                        indent = Some(l.indent);
                        starts.push(i);
                    } else {
                        end = i;
                        break;
                    }
                }
                Some(s) => {
                    if l.indent < s || (l.indent == s && !self.is_item(l)) {
                        end = i;
                        break;
                    }
                    if l.indent == s {
                        starts.push(i);
                    }
                }
            }
        }
        let s = indent.unwrap_or(c0);
        let items = starts
            .iter()
            .enumerate()
            .map(|(k, &start)| {
                let stop = starts.get(k + 1).copied().unwrap_or(end);
                let core_end = (start..stop)
                    .rev()
                    .find(|&j| {
                        let l = &self.lines[j];
                        l.kind == Kind::Content || (l.kind == Kind::Comment && l.indent > s)
                    })
                    .unwrap_or(start);
                Item { start, core_end }
            })
            .collect();
        Shape::Block { items, indent }
    }
}

/// The anchor or alias name at the start of `t` (after its `&` or `*`).
fn node_name(t: &str) -> &str {
    let end = t
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '{' | '}'))
        .unwrap_or(t.len());
    &t[..end]
}

/// The offset of the `:` after `key` at the start of `t` (plain or quoted), if it is that key.
fn key_colon(t: &str, key: &str) -> Option<usize> {
    for spelled in [key.to_string(), format!("\"{key}\""), format!("'{key}'")] {
        if let Some(rest) = t.strip_prefix(&spelled) {
            let trimmed = rest.trim_start_matches([' ', '\t']);
            let after = trimmed.strip_prefix(':')?;
            if after.is_empty() || after.starts_with([' ', '\t']) {
                return Some(t.len() - trimmed.len());
            }
        }
    }
    None
}

/// Appends one list item: `- first: v  # managed by byok` then the other fields.
fn render_item(out: &mut String, item: &Value, indent: usize, gap: usize, eol: &str) {
    let dash = format!("{}-{}", " ".repeat(indent), " ".repeat(gap - 1));
    match item.as_mapping().filter(|m| !m.is_empty()) {
        Some(map) => {
            for (n, (k, v)) in map.iter().enumerate() {
                let mut entry = String::new();
                render_yaml_entry(&mut entry, k, v, indent + gap, eol);
                if n == 0 {
                    // Swap the first line's indentation for the dash and mark it.
                    let first_end = entry.find(eol).unwrap_or(entry.len());
                    let first = &entry[indent + gap..first_end];
                    out.push_str(&dash);
                    out.push_str(first);
                    out.push_str(" # ");
                    out.push_str(MARKER);
                    out.push_str(&entry[first_end..]);
                } else {
                    out.push_str(&entry);
                }
            }
        }
        None => {
            out.push_str(&dash);
            out.push_str(&inline(item, false));
            out.push_str(" # ");
            out.push_str(MARKER);
            out.push_str(eol);
        }
    }
}

fn render_entry(out: &mut String, key: &str, value: &Json, indent: usize, eol: &str) {
    render_yaml_entry(
        out,
        &Value::String(key.to_string()),
        &to_value(value),
        indent,
        eol,
    );
}

/// `key: value` at `indent`; mappings become nested blocks, lists of scalars flow lists.
fn render_yaml_entry(out: &mut String, key: &Value, value: &Value, indent: usize, eol: &str) {
    out.push_str(&" ".repeat(indent));
    out.push_str(&inline(key, false));
    out.push(':');
    match value {
        Value::Mapping(m) if !m.is_empty() => {
            out.push_str(eol);
            for (k, v) in m {
                render_yaml_entry(out, k, v, indent + 2, eol);
            }
        }
        _ => {
            out.push(' ');
            out.push_str(&inline(value, false));
            out.push_str(eol);
        }
    }
}

/// A value on one line: plain scalars where both YAML 1.1 and 1.2 read them back as the
/// same string, double quotes otherwise, flow lists, JSON for anything nested deeper.
pub(super) fn inline(v: &Value, in_flow: bool) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => plain_or_quoted(s, in_flow),
        Value::Sequence(items) if items.iter().all(is_scalar) => {
            let parts: Vec<String> = items.iter().map(|i| inline(i, true)).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Mapping(m) if m.is_empty() => "{}".to_string(),
        other => serde_json::to_string(other).unwrap_or_else(|_| "null".to_string()),
    }
}

fn is_scalar(v: &Value) -> bool {
    matches!(
        v,
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_)
    )
}

/// Plain when unambiguous in YAML 1.1 (libyaml) and 1.2 (Continue's `yaml` package).
fn plain_or_quoted(s: &str, in_flow: bool) -> String {
    const RESERVED: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
    ];
    let safe_char = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(c, ' ' | '.' | '_' | '-' | '/' | '(' | ')' | '+' | '@')
            || (c == ':' && !in_flow)
    };
    // `1.0.0` is a string in both (neither an int nor a float); `1.0` is not.
    let version = s.split('.').count() >= 3
        && s.split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    let plain = version
        || s.starts_with(|c: char| c.is_ascii_alphabetic())
            && !s.ends_with([' ', ':'])
            && s.chars().all(safe_char)
            && !s.contains(": ")
            && !RESERVED.contains(&s.to_ascii_lowercase().as_str());
    if plain {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const IDS: &[&str] = &["byok (OpenAI)", "byok (Anthropic)"];
    const LIST: OwnedList<'static> = OwnedList {
        key: "models",
        field: "name",
        ids: IDS,
        at: At::Last,
        created: Some("# created by byok"),
    };
    const FIRST: OwnedList<'static> = OwnedList {
        at: At::First,
        ..LIST
    };

    fn openai() -> Json {
        json!({
            "name": "byok (OpenAI)",
            "provider": "openai",
            "model": "gw-model",
            "apiBase": "http://127.0.0.1:8080/v1",
            "apiKey": "${{ secrets.BYOK_API_KEY }}",
            "roles": ["chat", "edit", "apply"],
        })
    }

    fn anthropic() -> Json {
        json!({
            "name": "byok (Anthropic)",
            "provider": "anthropic",
            "model": "claude-x",
            "apiBase": "http://127.0.0.1:8080/v1",
            "apiKey": "${{ secrets.BYOK_API_KEY }}",
        })
    }

    fn header() -> Vec<(&'static str, Json)> {
        vec![
            ("name", json!("byok")),
            ("version", json!("1.0.0")),
            ("schema", json!("v1")),
        ]
    }

    const ENTRIES: &str = r#"  - name: byok (OpenAI) # managed by byok
    provider: openai
    model: gw-model
    apiBase: http://127.0.0.1:8080/v1
    apiKey: "${{ secrets.BYOK_API_KEY }}"
    roles: [chat, edit, apply]
"#;

    #[test]
    fn adds_after_the_last_entry_keeping_comments() {
        let text = "\
# my config
name: Mine   # hi
version: 0.0.1
models:
  # local first
  - name: Local
    provider: ollama
    model: llama3
  # - name: disabled

rules:
  - Be brief
";
        let out = LIST.set(text, &[openai()], &header()).unwrap();
        let want = format!(
            "\
# my config
name: Mine   # hi
version: 0.0.1
models:
  # local first
  - name: Local
    provider: ollama
    model: llama3
{ENTRIES}  # - name: disabled

rules:
  - Be brief
"
        );
        assert_eq!(out, want);
        // Again: unchanged. Removing gives the original bytes back.
        assert_eq!(LIST.set(&out, &[openai()], &header()).unwrap(), out);
        assert_eq!(LIST.remove(&out, &header()).unwrap(), text);
        assert_eq!(LIST.owned(&out).unwrap(), vec![to_value(&openai())]);
    }

    #[test]
    fn prepends_after_the_key_line() {
        let text =
            "models: # mine\n  # local first\n  - name: Local\n    model: llama3\nrules: []\n";
        let out = FIRST.set(text, &[openai()], &[]).unwrap();
        assert_eq!(
            out,
            format!(
                "models: # mine\n{ENTRIES}  # local first\n  - name: Local\n    model: llama3\nrules: []\n"
            )
        );
        assert_eq!(FIRST.remove(&out, &header()).unwrap(), text);
        // Entries already there stay where the user put them.
        let moved = format!("models:\n  - name: Local\n{ENTRIES}");
        assert_eq!(FIRST.set(&moved, &[openai()], &[]).unwrap(), moved);
        let unterminated = "models:";
        assert_eq!(
            FIRST.set(unterminated, &[openai()], &[]).unwrap(),
            format!("models:\n{ENTRIES}")
        );
    }

    #[test]
    fn adds_right_after_another_entry_of_byoks() {
        let text = format!(
            "models:\n  - name: Mine\n    model: m\n{ENTRIES}  - name: Other\n    model: o\n"
        );
        let list = |at| OwnedList {
            ids: &["byok (Anthropic)"],
            at,
            ..LIST
        };
        let out = list(At::After("byok (OpenAI)"))
            .set(&text, &[anthropic()], &[])
            .unwrap();
        let mut want = String::new();
        render_item(&mut want, &to_value(&anthropic()), 2, 2, "\n");
        assert_eq!(
            out,
            text.replace("  - name: Other\n", &format!("{want}  - name: Other\n"))
        );
        // Without that entry in the list: after the last one.
        let out = list(At::After("gone"))
            .set(&text, &[anthropic()], &[])
            .unwrap();
        assert_eq!(out, format!("{text}{want}"));
    }

    #[test]
    fn updates_in_place_and_adds_the_second_entry_beside_the_first() {
        let text = format!(
            "name: a\nversion: 1\nmodels:\n  - name: Mine\n    model: m\n{ENTRIES}  - name: Other\n    model: o\n"
        );
        let mut changed = openai();
        changed["model"] = json!("new-model");
        let out = LIST.set(&text, &[changed, anthropic()], &[]).unwrap();
        assert_eq!(
            out,
            concat!(
                "name: a\nversion: 1\nmodels:\n  - name: Mine\n    model: m\n",
                "  - name: byok (OpenAI) # managed by byok\n    provider: openai\n    model: new-model\n",
                "    apiBase: http://127.0.0.1:8080/v1\n    apiKey: \"${{ secrets.BYOK_API_KEY }}\"\n",
                "    roles: [chat, edit, apply]\n",
                "  - name: byok (Anthropic) # managed by byok\n    provider: anthropic\n    model: claude-x\n",
                "    apiBase: http://127.0.0.1:8080/v1\n    apiKey: \"${{ secrets.BYOK_API_KEY }}\"\n",
                "  - name: Other\n    model: o\n"
            )
        );
        // Only the Anthropic entry goes.
        let back = LIST.set(&out, &[openai()], &[]).unwrap();
        assert_eq!(back, text);
    }

    /// Issue 8 item 18: what byok adds to an empty document is marked, and removing
    /// gives back exactly the comments that were there.
    #[test]
    fn empty_documents_get_a_marked_header_that_remove_takes_out() {
        for text in ["", "\n", "# just a comment\n# and another\n", "---\n"] {
            let out = LIST.set(text, &[openai()], &header()).unwrap();
            assert_eq!(
                out,
                format!(
                    "{text}name: byok # managed by byok\nversion: 1.0.0 # managed by byok\nschema: v1 # managed by byok\nmodels: # managed by byok\n{ENTRIES}"
                )
            );
            assert_eq!(LIST.remove(&out, &header()).unwrap(), text);
            assert_eq!(LIST.remove(text, &header()).unwrap(), text);
        }
        let out = LIST.set("# no newline", &[openai()], &header()).unwrap();
        assert!(
            out.starts_with("# no newline\nname: byok # managed by byok\n"),
            "{out}"
        );

        // The user added something: the header stays (Continue needs name and version).
        let out = LIST.set("# mine\n", &[openai()], &header()).unwrap();
        let edited = format!("{out}rules:\n  - Be brief\n");
        assert_eq!(
            LIST.remove(&edited, &header()).unwrap(),
            "# mine\nname: byok # managed by byok\nversion: 1.0.0 # managed by byok\nschema: v1 # managed by byok\nrules:\n  - Be brief\n"
        );
        // A header the user changed is theirs.
        let renamed = out.replace("name: byok #", "name: Mine #");
        assert!(
            LIST.remove(&renamed, &header())
                .unwrap()
                .contains("name: Mine")
        );
    }

    /// In a file byok created (its first line says so) nothing is marked, and removing
    /// leaves only that first line, which the caller deletes.
    #[test]
    fn created_files_are_unmarked_and_emptied_to_their_first_line() {
        let created = "# created by byok\n";
        let out = LIST.set(created, &[openai()], &header()).unwrap();
        assert_eq!(
            out,
            format!("{created}name: byok\nversion: 1.0.0\nschema: v1\nmodels:\n{ENTRIES}")
        );
        assert_eq!(LIST.remove(&out, &header()).unwrap(), created);
        // With the user's rules added, the key byok created still goes; the header stays.
        let edited = format!("{out}rules:\n  - Be brief\n");
        assert_eq!(
            LIST.remove(&edited, &header()).unwrap(),
            format!("{created}name: byok\nversion: 1.0.0\nschema: v1\nrules:\n  - Be brief\n")
        );
    }

    #[test]
    fn missing_list_is_appended_and_empty_flow_list_becomes_block() {
        // Issue 8 item 18: a key byok adds is marked and goes again with byok's entries.
        let text = "name: a\nversion: 1\nrules:\n  - Be brief # mine\n";
        let out = LIST.set(text, &[openai()], &[]).unwrap();
        assert_eq!(out, format!("{text}models: # managed by byok\n{ENTRIES}"));
        assert_eq!(LIST.remove(&out, &header()).unwrap(), text);
        // Entries the user added under byok's key keep it.
        let shared = format!("{out}  - name: Mine\n");
        assert_eq!(
            LIST.remove(&shared, &header()).unwrap(),
            format!("{text}models: # managed by byok\n  - name: Mine\n")
        );
        let out = LIST.set("name: a\nversion: 1", &[openai()], &[]).unwrap();
        assert_eq!(
            out,
            format!("name: a\nversion: 1\nmodels: # managed by byok\n{ENTRIES}")
        );

        let text =
            "name: Main Config\nversion: 1.0.0\nschema: v1\nmodels: [] # none\ncontext: []\n";
        let out = LIST.set(text, &[openai()], &[]).unwrap();
        assert_eq!(
            out,
            format!(
                "name: Main Config\nversion: 1.0.0\nschema: v1\nmodels: # none\n{ENTRIES}context: []\n"
            )
        );
        // Removing the only entries leaves `[]` again, comment kept.
        assert_eq!(LIST.remove(&out, &header()).unwrap(), text);

        let null_list = "name: a\nmodels:\nrules: []\n";
        let out = LIST.set(null_list, &[openai()], &[]).unwrap();
        assert_eq!(out, format!("name: a\nmodels:\n{ENTRIES}rules: []\n"));
        assert_eq!(
            LIST.remove(&out, &header()).unwrap(),
            "name: a\nmodels: []\nrules: []\n"
        );
    }

    #[test]
    fn crlf_bom_and_odd_indentation_survive() {
        let text = "\u{feff}name: w\r\nmodels:\r\n- name: Mine\r\n  model: m\r\nrules:\r\n- x\r\n";
        let out = LIST.set(text, &[anthropic()], &[]).unwrap();
        assert_eq!(
            out,
            concat!(
                "\u{feff}name: w\r\nmodels:\r\n- name: Mine\r\n  model: m\r\n",
                "- name: byok (Anthropic) # managed by byok\r\n  provider: anthropic\r\n  model: claude-x\r\n",
                "  apiBase: http://127.0.0.1:8080/v1\r\n  apiKey: \"${{ secrets.BYOK_API_KEY }}\"\r\n",
                "rules:\r\n- x\r\n"
            )
        );
        assert_eq!(LIST.remove(&out, &header()).unwrap(), text);

        let wide = "models:\n    -   name: Mine\n        model: m\n";
        let out = LIST.set(wide, &[anthropic()], &[]).unwrap();
        assert!(
            out.starts_with("models:\n    -   name: Mine\n        model: m\n    -   name: byok (Anthropic) # managed by byok\n        provider: anthropic\n"),
            "{out}"
        );
        assert_eq!(LIST.remove(&out, &header()).unwrap(), wide);
    }

    #[test]
    fn last_line_without_newline() {
        let text = "models:\n  - name: Mine";
        let out = LIST.set(text, &[openai()], &[]).unwrap();
        assert_eq!(out, format!("models:\n  - name: Mine\n{ENTRIES}"));
        let ours_last = format!("models:\n  - name: Mine\n{}", ENTRIES.trim_end());
        assert_eq!(
            LIST.remove(&ours_last, &header()).unwrap(),
            "models:\n  - name: Mine\n"
        );
    }

    #[test]
    fn anchors_aliases_and_flow_styles_elsewhere_are_kept() {
        let text = "\
x-shared: &fast {temperature: 0.2}
models:
  - name: A
    defaultCompletionOptions: *fast
    roles: [ chat ]
  - {name: B, provider: ollama}
mcpServers:
  - name: fs
    args: [\"-y\", \"x\"]
";
        let out = LIST.set(text, &[openai()], &[]).unwrap();
        assert_eq!(
            out,
            text.replace(
                "  - {name: B, provider: ollama}\n",
                &format!("  - {{name: B, provider: ollama}}\n{ENTRIES}")
            )
        );
        assert_eq!(LIST.remove(&out, &header()).unwrap(), text);
    }

    #[test]
    fn duplicates_are_folded_into_one() {
        let text = format!("models:\n{ENTRIES}  - name: Mine\n{ENTRIES}");
        let out = LIST.set(&text, &[openai()], &[]).unwrap();
        assert_eq!(out, format!("models:\n{ENTRIES}  - name: Mine\n"));
    }

    #[test]
    fn refuses_what_it_cannot_edit_safely() {
        let cases = [
            ("- a\n- b\n", 1, "top level is not a block mapping"),
            ("{models: []}\n", 1, "top level is not a block mapping"),
            ("name: x\nmodels:\n  a: 1\n", 2, "not a plain block list"),
            ("--- {a: 1}\n", 1, "`---`"),
            ("just a string\n", 1, "top level is not a block mapping"),
        ];
        for (text, line, msg) in cases {
            let e = LIST.set(text, &[openai()], &[]).unwrap_err();
            assert_eq!(e.line, line, "{text}: {e}");
            assert!(e.message.contains(msg), "{text}: {e}");
        }
    }

    /// Issue 8 item 19: valid YAML byok can't edit is refused with the construct, its
    /// line and what to write instead (it was "could not parse … fix that line").
    #[test]
    fn refusals_name_the_construct_its_line_and_the_fix() {
        let cases = [
            (
                "name: x\n# mine\nmodels: [{name: a, provider: ollama}]\n",
                (3, 9),
                "`models` is a flow list `[...]`; byok edits block lists only: write each entry of `models` as a `- ` item on its own line",
            ),
            (
                "x-base: &m\n  - name: a\nmodels: *m\n",
                (3, 9),
                "`models` is the alias `*m` of the list anchored on line 1; byok would have to change that list and every other place that reuses it: write the list out under `models` (one `- ` item per model)",
            ),
            (
                "models: &m # shared\n  - name: a\nbackup: *m\n",
                (1, 9),
                "`models` is anchored as `&m` and reused as `*m` on line 3, so byok's change would change that place too; copy the list there instead of `*m`, or remove the anchor",
            ),
            (
                "models: &m [{name: a}]\n",
                (1, 12),
                "`models` is a flow list `[...]`; byok edits block lists only: write each entry of `models` as a `- ` item on its own line",
            ),
            (
                "models: {a: 1}\n",
                (1, 9),
                "`models` is not a list; it must be a list of `- ` items",
            ),
            (
                "models: !!seq\n  - a\n",
                (1, 9),
                "`models` has a tag byok does not edit through; write it as a plain list of `- ` items",
            ),
        ];
        for (text, (line, column), message) in cases {
            assert_eq!(LIST.remove(text, &header()).unwrap(), text);
            {
                let e = LIST.set(text, &[openai()], &[]).unwrap_err();
                assert_eq!(
                    e,
                    ParseError {
                        line,
                        column,
                        message: message.to_string()
                    },
                    "{text}"
                );
                assert!(parse(text).is_ok(), "{text} is valid YAML");
            }
        }
    }

    /// Issue 8 item 19: an anchored list nothing reuses is edited like any other; the
    /// anchor stays on the key line.
    #[test]
    fn anchored_list_without_aliases_is_edited() {
        let text = "models: &mine # my models\n  - &local\n    name: Local\n    model: llama3\nautocomplete: *local\n";
        let out = FIRST.set(text, &[openai()], &[]).unwrap();
        assert_eq!(
            out,
            format!(
                "models: &mine # my models\n{ENTRIES}  - &local\n    name: Local\n    model: llama3\nautocomplete: *local\n"
            )
        );
        assert_eq!(FIRST.set(&out, &[openai()], &[]).unwrap(), out);
        assert_eq!(FIRST.remove(&out, &header()).unwrap(), text);
        // Only byok's entries present and the list anchored: `[]` keeps the anchor.
        let only = format!("models: &mine\n{ENTRIES}rules: []\n");
        assert_eq!(
            FIRST.remove(&only, &header()).unwrap(),
            "models: &mine []\nrules: []\n"
        );
    }

    #[test]
    fn parse_errors_have_positions_and_never_quote_the_line() {
        let text =
            "name: x\nmodels:\n  - name: a\n    provider: openai\n     model: sk-secret-value\n";
        let e = LIST.set(text, &[openai()], &[]).unwrap_err();
        assert_eq!((e.line, e.column), (5, 11));
        assert_eq!(e.message, "mapping values are not allowed in this context");
        assert!(!e.to_string().contains("sk-secret"));
        let e = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = parse("a: [1, 2\n").unwrap_err();
        assert!(
            e.message.starts_with("did not find expected ',' or ']'"),
            "{e}"
        );
        assert!(!e.message.contains("at line 2 column 1"), "{e}");
    }

    #[test]
    fn scalars_read_back_as_written() {
        for s in [
            "gpt-4o",
            "yes",
            "No",
            "on",
            "null",
            "~",
            "1.5",
            "0x1f",
            "12:30",
            "a: b",
            "a #b",
            "",
            " lead",
            "trail ",
            "${{ secrets.X }}",
            "quote\"back\\slash",
            "tab\tnl\n",
            "del\u{7f}",
            "http://h:8080/v1",
            "1.0.0",
            "1.0",
            "1..0",
            "qwen2.5-coder:1.5b",
            "-dash",
            "@at",
            "é",
        ] {
            let yaml = format!(
                "k: {}\nl: {}\n",
                plain_or_quoted(s, false),
                inline(&Value::Sequence(vec![Value::String(s.into())]), false)
            );
            let v = parse(&yaml).unwrap().unwrap();
            assert_eq!(v.get("k").and_then(Value::as_str), Some(s), "{yaml}");
            assert_eq!(v["l"][0].as_str(), Some(s), "{yaml}");
        }
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        fn word() -> impl Strategy<Value = String> {
            prop_oneof![
                "[a-z][a-z0-9_-]{0,8}",
                Just("yes".to_string()),
                Just("12".to_string()),
                Just("a: b".to_string()),
                Just("#x".to_string()),
                Just("byok (OpenAI)".to_string()),
            ]
        }

        /// A scalar written in one of several styles.
        fn scalar() -> impl Strategy<Value = String> {
            (word(), 0..4u8).prop_map(|(w, style)| match style {
                0 => plain_or_quoted(&w, false),
                1 => format!("'{}'", w.replace('\'', "''")),
                2 => format!("\"{}\"", w.replace('\\', "\\\\").replace('"', "\\\"")),
                _ => "42".to_string(),
            })
        }

        /// One list item as lines (without the list's indentation).
        fn item() -> impl Strategy<Value = Vec<String>> {
            prop_oneof![
                scalar().prop_map(|s| vec![format!("- {s}")]),
                (
                    word(),
                    scalar(),
                    proptest::collection::vec(scalar(), 0..3),
                    any::<bool>()
                )
                    .prop_map(|(name, v, list, comment)| {
                        let mut l = vec![format!("- name: {}", plain_or_quoted(&name, false))];
                        if comment {
                            l.push("  # a comment inside".to_string());
                        }
                        l.push(format!("  provider: {v}"));
                        l.push(format!("  roles: [{}]", list.join(", ")));
                        l.push("  rule: |".to_string());
                        l.push("    text line".to_string());
                        l
                    }),
                Just(vec!["- {name: flow, model: m}".to_string()]),
                Just(vec![
                    "- name: aliased".to_string(),
                    "  defaultCompletionOptions: *fast".to_string(),
                    "  <<: *base".to_string(),
                ]),
                Just(vec![
                    "- name: byok (OpenAI) # managed by byok".to_string(),
                    "  model: old".to_string(),
                ]),
            ]
        }

        fn doc() -> impl Strategy<Value = String> {
            (
                proptest::collection::vec(item(), 0..5),
                0..3usize,
                any::<bool>(),
                any::<bool>(),
                any::<bool>(),
                0..3u8,
                any::<bool>(),
            )
                .prop_map(
                    |(items, indent, crlf, bom, blank_between, where_models, anchored)| {
                        let mut lines = vec![
                            "# Continue config".to_string(),
                            "name: Generated".to_string(),
                            "version: 0.0.1".to_string(),
                            "x-shared: &fast {temperature: 0.2}".to_string(),
                            "x-base: &base".to_string(),
                            "  provider: openai".to_string(),
                        ];
                        // An anchored list nothing reuses is edited like any other.
                        let key = if anchored {
                            "models: &list   # the list"
                        } else {
                            "models:   # the list"
                        };
                        let mut models = vec![key.to_string()];
                        if items.is_empty() && where_models == 0 {
                            models = vec!["models: []".to_string()];
                        }
                        for it in &items {
                            for l in it {
                                models.push(format!("{}{l}", " ".repeat(indent)));
                            }
                            if blank_between {
                                models.push(String::new());
                                models.push("# a note at column 0".to_string());
                            }
                        }
                        let rest = vec![
                            "rules:".to_string(),
                            "  - Always test".to_string(),
                            "mcpServers:".to_string(),
                            "  - name: fs".to_string(),
                            "    args: [\"-y\", x]".to_string(),
                            "# trailing".to_string(),
                        ];
                        match where_models {
                            0 | 1 => {
                                lines.extend(models);
                                lines.extend(rest);
                            }
                            _ => {
                                lines.extend(rest);
                                if !items.is_empty() {
                                    lines.extend(models);
                                }
                            }
                        }
                        let eol = if crlf { "\r\n" } else { "\n" };
                        let mut text = lines.join(eol);
                        text.push_str(eol);
                        if bom {
                            text.insert(0, '\u{feff}');
                        }
                        text
                    },
                )
        }

        proptest! {
            #[test]
            fn set_changes_nothing_outside_byoks_entries(text in doc(), two in any::<bool>(), first in any::<bool>()) {
                let list = if first { FIRST } else { LIST };
                let before = parse(&text).unwrap().unwrap();
                let items = if two { vec![openai(), anthropic()] } else { vec![openai()] };
                let out = list.set(&text, &items, &header()).unwrap();
                let after = parse(&out).unwrap().unwrap();
                prop_assert_eq!(canonical(&list.without_owned(&before)), canonical(&list.without_owned(&after)));
                let want: Vec<Value> = items.iter().map(to_value).collect();
                prop_assert_eq!(list.owned(&out).unwrap(), want);
                // Idempotent, and the BOM and line endings stay.
                prop_assert_eq!(list.set(&out, &items, &header()).unwrap(), out.clone());
                prop_assert_eq!(out.starts_with('\u{feff}'), text.starts_with('\u{feff}'));
                if text.contains("\r\n") {
                    prop_assert_eq!(out.matches('\n').count(), out.matches("\r\n").count());
                } else {
                    prop_assert!(!out.contains('\r'));
                }
                // Removing takes out only byok's entries.
                let removed = list.remove(&out, &header()).unwrap();
                let gone = parse(&removed).unwrap().unwrap();
                prop_assert!(list.owned(&removed).unwrap().is_empty());
                prop_assert_eq!(canonical(&list.without_owned(&before)), canonical(&list.without_owned(&gone)));
                // A file byok had not touched comes back byte for byte.
                // So does one without a `models` key (byok's marked key goes again).
                let had_entries = matches!(before.get("models"), Some(Value::Sequence(s)) if !s.is_empty());
                let had_no_list = before.get("models").is_none();
                if list.owned(&text).unwrap().is_empty() && (had_entries || had_no_list) {
                    prop_assert_eq!(removed, text);
                }
            }
        }
    }
}
