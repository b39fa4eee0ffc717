//! `.env` files as the `dotenv` npm package (16.x, which Continue bundles) reads them:
//! get, set and remove one `KEY=value` assignment, keeping every other line, comment and
//! line ending byte for byte.
//!
//! dotenv's grammar (`lib/main.js`, `LINE`): line breaks are `\n`, `\r\n` or a lone `\r`
//! (old Mac files); optional `export `, a key of `[\w.-]`, `=` (or `: `), then a value
//! that is single-, double- or backtick-quoted (quotes may span lines; inside double
//! quotes `\n` and `\r` are expanded; nothing else is unescaped) or unquoted (up to `#`
//! or the end of the line, trimmed). A later assignment of the same key wins. Lines
//! byok adds end the way most of the file's lines do.
//!
//! # How byok writes a value ([`quote`])
//!
//! The files byok writes are read by npm `dotenv` (Continue, Gemini CLI), by
//! python-dotenv (Python tools, people's own scripts) and sometimes by a shell
//! (`set -a; . ./.env`). The readers disagree on escapes, so byok writes only forms
//! that npm dotenv 16.6.1 and python-dotenv 1.2.4 were both checked to read back byte
//! for byte (a table of hostile values through both; see the tests here and in
//! `tests/cli/env.rs`), and that a POSIX shell sourcing the file reads as a literal:
//!
//! | form    | used when the value has                  | other values, because |
//! |---------|------------------------------------------|-----------------------|
//! | `'v'`   | no `'`, no `\\`, no trailing `\`         | python-dotenv reads `\\` as `\` and `\'` as `'`; npm keeps both |
//! | `"v"`   | a `'` but no `"`, `\`, `$` or backtick   | python-dotenv decodes `\t`, `\\`, ...; npm only `\n`, `\r`; a shell expands `$`, backticks, `\` |
//! | refused | anything else, a line break, or `${…}`   | no form reads back the same everywhere |
//!
//! `${…}` is refused in any form: python-dotenv expands it even inside single quotes.
//! Backticks never quote: python-dotenv does not know them. A bare (unquoted) value would
//! carry some refused values through both readers, but a shell sourcing the file would
//! run whatever follows a `;` in it. Errors name the variable, never the value.
//!
//! Simplification: dotenv's regex may skip line breaks between `=` and an opening quote;
//! this reader treats such an assignment as empty. byok never writes that form.

use anyhow::{Result, bail};

/// The comment byok puts after the assignments it writes.
pub const MARKER: &str = "managed by byok";

/// One assignment: its key, decoded value and the byte range of its line(s).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Assignment {
    key: String,
    value: String,
    /// Start of its first line.
    start: usize,
    /// After the line break of its last line (or the end of the text).
    end: usize,
}

/// The value dotenv reads for `key`, if the text assigns it (the last assignment wins).
pub fn get(text: &str, key: &str) -> Option<String> {
    assignments(text)
        .into_iter()
        .rev()
        .find(|a| a.key == key)
        .map(|a| a.value)
}

/// Every assignment as dotenv reads it, in file order (keys may repeat).
pub fn values(text: &str) -> Vec<(String, String)> {
    assignments(text)
        .into_iter()
        .map(|a| (a.key, a.value))
        .collect()
}

/// Makes `key` read as `value`: the first assignment is replaced (later ones, which would
/// win, are removed) or a line is appended. Unchanged when it already reads so from a
/// single assignment.
pub fn set(text: &str, key: &str, value: &str) -> Result<String> {
    let quoted = match quote(value) {
        Ok(q) => q,
        Err(why) => bail!("can't write {key} to a .env file: its value {why}"),
    };
    let line = format!("{key}={quoted} # {MARKER}");
    let found: Vec<Assignment> = assignments(text)
        .into_iter()
        .filter(|a| a.key == key)
        .collect();
    if let [only] = found.as_slice()
        && only.value == value
    {
        return Ok(text.to_string());
    }
    let eol = line_ending(text);
    let mut out = String::with_capacity(text.len() + line.len() + 2);
    match found.split_first() {
        None => {
            out.push_str(text);
            if !text.is_empty() && !text.ends_with(['\n', '\r']) {
                out.push_str(eol);
            }
            out.push_str(&line);
            out.push_str(eol);
        }
        Some((first, rest)) => {
            out.push_str(&text[..first.start]);
            out.push_str(&line);
            out.push_str(line_break(&text[first.start..first.end]));
            let mut at = first.end;
            for a in rest {
                out.push_str(&text[at..a.start]);
                at = a.end;
            }
            out.push_str(&text[at..]);
        }
    }
    Ok(out)
}

/// Removes every assignment of `key`; other lines stay as they are.
pub fn remove(text: &str, key: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for a in assignments(text).into_iter().filter(|a| a.key == key) {
        out.push_str(&text[at..a.start]);
        at = a.end;
    }
    out.push_str(&text[at..]);
    out
}

fn line_break(s: &str) -> &'static str {
    if s.ends_with("\r\n") {
        "\r\n"
    } else if s.ends_with('\n') {
        "\n"
    } else if s.ends_with('\r') {
        "\r"
    } else {
        ""
    }
}

/// The line ending most of a text's lines use (`\r\n`, `\n` or a lone `\r`).
///
/// Local rather than `config_edit::line_ending`, which knows only `\r\n` and `\n`:
/// dotenv and python-dotenv both accept a lone `\r`, so old Mac `.env` files work, and
/// a line added with `\n` would merge into the last line for other readers.
fn line_ending(text: &str) -> &'static str {
    let crlf = text.matches("\r\n").count();
    let lf = text.matches('\n').count() - crlf;
    let cr = text.matches('\r').count() - crlf;
    if crlf > 0 && crlf >= lf && crlf >= cr {
        "\r\n"
    } else if cr > lf {
        "\r"
    } else {
        "\n"
    }
}

/// The form in which `value` reads back exactly in npm dotenv and python-dotenv and
/// stays a literal for a shell (see the module doc), or why there is none.
pub fn quote(value: &str) -> std::result::Result<String, &'static str> {
    if value.contains(['\n', '\r']) {
        return Err("holds a line break");
    }
    if let Some(at) = value.find("${")
        && value[at..].contains('}')
    {
        return Err("holds `${…}`, which python-dotenv expands even inside quotes");
    }
    if !value.contains('\'') && !value.contains("\\\\") && !value.ends_with('\\') {
        return Ok(format!("'{value}'"));
    }
    if value.contains('\'') && !value.contains(['"', '\\', '$', '`']) {
        return Ok(format!("\"{value}\""));
    }
    Err(if value.contains('\'') {
        "holds ' together with \", $, ` or \\, which npm dotenv, python-dotenv and shells read differently in every quoting"
    } else {
        "holds \\\\ or ends in \\, which npm dotenv and python-dotenv read differently"
    })
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Every assignment dotenv would read, in order.
fn assignments(text: &str) -> Vec<Assignment> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let line_end = next_line(text, start);
        match assignment_at(text, start) {
            Some(a) => {
                start = a.end.max(line_end);
                out.push(a);
            }
            None => start = line_end,
        }
    }
    out
}

/// The offset after the line break (`\n`, `\r\n` or a lone `\r`) of the line starting
/// at `at`, or the text's end.
fn next_line(text: &str, at: usize) -> usize {
    let end = content_end(text, at);
    match text.as_bytes().get(end) {
        Some(b'\r') if text.as_bytes().get(end + 1) == Some(&b'\n') => end + 2,
        Some(_) => end + 1,
        None => end,
    }
}

/// The end of the line's content (before `\r\n`, `\n` or `\r`).
fn content_end(text: &str, at: usize) -> usize {
    text[at..].find(['\n', '\r']).map_or(text.len(), |i| at + i)
}

fn assignment_at(text: &str, start: usize) -> Option<Assignment> {
    let line = &text[start..content_end(text, start)];
    let body = line.trim_start();
    let offset = start + (line.len() - body.len());
    // `export KEY=…`, or a key that is itself called `export`.
    if let Some(rest) = body.strip_prefix("export")
        && rest.starts_with(char::is_whitespace)
    {
        let trimmed = rest.trim_start();
        let at = offset + (body.len() - trimmed.len());
        if let Some(a) = key_and_value(text, start, at) {
            return Some(a);
        }
    }
    key_and_value(text, start, offset)
}

fn key_and_value(text: &str, start: usize, at: usize) -> Option<Assignment> {
    let line_end = content_end(text, at);
    let s = &text[at..line_end];
    let key_len = s.find(|c: char| !is_key_char(c)).unwrap_or(s.len());
    if key_len == 0 {
        return None;
    }
    let key = &s[..key_len];
    let after_key = &s[key_len..];
    let spaced = after_key.trim_start_matches([' ', '\t']);
    let value_at = if let Some(v) = spaced.strip_prefix('=') {
        line_end - v.len()
    } else if let Some(v) = after_key.strip_prefix(':')
        && v.starts_with([' ', '\t'])
    {
        line_end - v.len()
    } else {
        return None;
    };
    let (value, end) = value_at_offset(text, value_at, line_end);
    Some(Assignment {
        key: key.to_string(),
        value,
        start,
        end,
    })
}

/// Reads the value starting at `at`; returns it and the end of its last line.
fn value_at_offset(text: &str, at: usize, line_end: usize) -> (String, usize) {
    let lead = &text[at..line_end];
    let trimmed = lead.trim_start_matches([' ', '\t']);
    let open = line_end - trimmed.len();
    if let Some(q) = trimmed
        .chars()
        .next()
        .filter(|c| matches!(c, '\'' | '"' | '`'))
    {
        for close in closing_quotes(text, open, q) {
            let rest_end = content_end(text, close);
            let rest = text[close + 1..rest_end].trim_start_matches([' ', '\t']);
            if rest.is_empty() || rest.starts_with('#') {
                let inner = &text[open + 1..close];
                // dotenv turns every line break into `\n` before parsing.
                let inner = inner.replace("\r\n", "\n").replace('\r', "\n");
                let value = if q == '"' {
                    inner.replace("\\n", "\n").replace("\\r", "\r")
                } else {
                    inner
                };
                return (value, next_line(text, close));
            }
        }
    }
    // Unquoted: up to `#` or the end of the line, trimmed.
    let raw = &text[at..line_end];
    let raw = raw.split('#').next().unwrap_or("");
    (raw.trim().to_string(), next_line(text, at))
}

/// Where a quoted value opened at `open` may close, in the order dotenv's regex tries
/// them: the first unescaped quote, then escaped ones before it, nearest last.
fn closing_quotes(text: &str, open: usize, q: char) -> Vec<usize> {
    let bytes = text.as_bytes();
    let q = q as u8;
    let mut escaped = Vec::new();
    let mut first = None;
    let mut j = open + 1;
    while j < bytes.len() {
        if bytes[j] == b'\\' && bytes.get(j + 1) == Some(&q) {
            escaped.push(j + 1);
            j += 2;
            continue;
        }
        if bytes[j] == q {
            first = Some(j);
            break;
        }
        j += 1;
    }
    first.into_iter().chain(escaped.into_iter().rev()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = "# Secrets for config.yaml\r\nOPENAI_API_KEY=sk-openai-user-0000\r\nexport GITHUB_TOKEN=\"ghp example\"  # work\r\nCORP_KEY='single # not a comment'\r\nMULTI=\"line one\r\nline two\"\r\n\r\n";

    #[test]
    fn reads_like_dotenv() {
        let text = "A=plain value # comment\nB = 'single \\n kept'\nC=\"double\\nexpanded\"\nD=`back'tick`\nexport E=e\nF: colon\nG=un#quoted\nH=\nI='unclosed\nexport=k\nJ='it\\'s'\n  K  =  ' padded '  \nA=second\n";
        let get = |k| get(text, k);
        assert_eq!(get("A").as_deref(), Some("second"));
        assert_eq!(get("B").as_deref(), Some("single \\n kept"));
        assert_eq!(get("C").as_deref(), Some("double\nexpanded"));
        assert_eq!(get("D").as_deref(), Some("back'tick"));
        assert_eq!(get("E").as_deref(), Some("e"));
        assert_eq!(get("F").as_deref(), Some("colon"));
        assert_eq!(get("G").as_deref(), Some("un"));
        assert_eq!(get("H").as_deref(), Some(""));
        assert_eq!(get("I").as_deref(), Some("'unclosed"));
        assert_eq!(get("export").as_deref(), Some("k"));
        assert_eq!(get("J").as_deref(), Some("it\\'s"));
        assert_eq!(get("K").as_deref(), Some(" padded "));
        assert_eq!(get("Z"), None);
        assert_eq!(values("A=1\nB='2'\nA=3").len(), 3);
        assert_eq!(
            super::get(USER, "MULTI").as_deref(),
            Some("line one\nline two")
        );
        assert_eq!(
            super::get(USER, "CORP_KEY").as_deref(),
            Some("single # not a comment")
        );
        assert_eq!(
            super::get(USER, "GITHUB_TOKEN").as_deref(),
            Some("ghp example")
        );
    }

    #[test]
    fn set_appends_replaces_and_keeps_the_rest() {
        let out = set(USER, "BYOK_API_KEY", "sk-1").unwrap();
        assert_eq!(
            out,
            format!("{USER}BYOK_API_KEY='sk-1' # managed by byok\r\n")
        );
        assert_eq!(set(&out, "BYOK_API_KEY", "sk-1").unwrap(), out);
        let again = set(&out, "BYOK_API_KEY", "sk-2").unwrap();
        assert_eq!(
            again,
            format!("{USER}BYOK_API_KEY='sk-2' # managed by byok\r\n")
        );
        assert_eq!(remove(&again, "BYOK_API_KEY"), USER);

        // A user's own assignment is replaced where it is; later duplicates go.
        let text = "A=1\nexport BYOK_API_KEY=old\nB=2\nBYOK_API_KEY=older\nC=3";
        let out = set(text, "BYOK_API_KEY", "sk-new").unwrap();
        assert_eq!(
            out,
            "A=1\nBYOK_API_KEY='sk-new' # managed by byok\nB=2\nC=3"
        );
        // A same value written by hand is left alone.
        assert_eq!(
            set("BYOK_API_KEY=sk-x\n", "BYOK_API_KEY", "sk-x").unwrap(),
            "BYOK_API_KEY=sk-x\n"
        );
        // No final newline: one is added before the new line.
        assert_eq!(
            set("A=1", "K", "v").unwrap(),
            "A=1\nK='v' # managed by byok\n"
        );
        assert_eq!(set("", "K", "v").unwrap(), "K='v' # managed by byok\n");
        assert_eq!(remove("K='v' # managed by byok\n", "K"), "");
        // A multi-line assignment is removed whole.
        assert_eq!(
            remove(USER, "MULTI"),
            "# Secrets for config.yaml\r\nOPENAI_API_KEY=sk-openai-user-0000\r\nexport GITHUB_TOKEN=\"ghp example\"  # work\r\nCORP_KEY='single # not a comment'\r\n\r\n"
        );
    }

    /// Hostile values and the line byok writes for each (`None`: refused). Every
    /// accepted form was read back byte for byte by npm dotenv 16.6.1 and python-dotenv
    /// 1.2.4 (`tests/cli/env.rs` repeats that when both are installed).
    const HOSTILE: &[(&str, Option<&str>)] = &[
        ("sk-abc", Some("'sk-abc'")),
        ("", Some("''")),
        ("with space", Some("'with space'")),
        (" padded ", Some("' padded '")),
        ("has#hash", Some("'has#hash'")),
        ("a #b", Some("'a #b'")),
        ("dq\"x", Some("'dq\"x'")),
        ("$HOME", Some("'$HOME'")),
        ("$(id)", Some("'$(id)'")),
        ("`id`", Some("'`id`'")),
        ("back\\slash", Some("'back\\slash'")),
        ("\\n", Some("'\\n'")),
        ("\\t\\\"", Some("'\\t\\\"'")),
        ("all\"$`#\\x", Some("'all\"$`#\\x'")),
        ("it's", Some("\"it's\"")),
        ("it's #1", Some("\"it's #1\"")),
        ("'", Some("\"'\"")),
        ("it's$x", None),
        ("it's`id`", None),
        ("it's\\x", None),
        ("it's\"", None),
        ("a'b\"c\\d", None),
        ("double\\\\", None),
        ("trailing\\", None),
        ("${HOME}", None),
        ("x${A:-b}y", None),
        ("line\nbreak", None),
        ("cr\rx", None),
    ];

    #[test]
    fn hostile_values_get_a_form_every_reader_agrees_on() {
        for (value, want) in HOSTILE {
            match (quote(value), want) {
                (Ok(got), Some(w)) => assert_eq!(&got, w, "{value:?}"),
                (Err(_), None) => {}
                (got, _) => panic!("{value:?}: got {got:?}, want {want:?}"),
            }
            let text = set("X=1\n", "K", value);
            match want {
                Some(w) => {
                    let text = text.unwrap();
                    assert_eq!(text, format!("X=1\nK={w} # managed by byok\n"));
                    // byok's own reader (npm's grammar) agrees.
                    assert_eq!(get(&text, "K").as_deref(), Some(*value), "{text}");
                    assert_eq!(get(&text, "X").as_deref(), Some("1"));
                }
                None => {
                    let err = text.unwrap_err().to_string();
                    assert!(
                        err.starts_with("can't write K to a .env file: its value "),
                        "{err}"
                    );
                    // The refusal never quotes the value (it is usually a key).
                    if value.len() > 2 {
                        assert!(!err.contains(value), "{err}");
                    }
                }
            }
        }
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(
            quote("it's$x").unwrap_err(),
            "holds ' together with \", $, ` or \\, which npm dotenv, python-dotenv and shells read differently in every quoting"
        );
        assert_eq!(
            quote("a\\\\b").unwrap_err(),
            "holds \\\\ or ends in \\, which npm dotenv and python-dotenv read differently"
        );
        assert_eq!(
            quote("${X}").unwrap_err(),
            "holds `${…}`, which python-dotenv expands even inside quotes"
        );
    }

    /// Issue 8, item 23: a CR-only (old Mac) file gets `\r` lines, not a stray `\n`.
    #[test]
    fn new_lines_use_the_files_own_line_ending() {
        let mac = "# old mac\rA=1\rB='two'\r";
        assert_eq!(get(mac, "A").as_deref(), Some("1"));
        assert_eq!(get(mac, "B").as_deref(), Some("two"));
        let out = set(mac, "K", "v").unwrap();
        assert_eq!(out, format!("{mac}K='v' # managed by byok\r"));
        // Replacing in place keeps that line's own ending; removing leaves the rest.
        let out2 = set(&out, "A", "9").unwrap();
        assert_eq!(
            out2,
            "# old mac\rA='9' # managed by byok\rB='two'\rK='v' # managed by byok\r"
        );
        assert_eq!(remove(&out, "K"), mac);
        // No final line break: the file's own one goes before the new line.
        assert_eq!(
            set("A=1\rB=2", "K", "v").unwrap(),
            "A=1\rB=2\rK='v' # managed by byok\r"
        );
        assert_eq!(
            set("A=1\r\nB=2", "K", "v").unwrap(),
            "A=1\r\nB=2\r\nK='v' # managed by byok\r\n"
        );
        // Mixed files follow the majority.
        assert_eq!(line_ending("a\rb\rc\n"), "\r");
        assert_eq!(line_ending("a\r\nb\nc\r\n"), "\r\n");
        assert_eq!(line_ending("a\nb\rc\n"), "\n");
        assert_eq!(line_ending(""), "\n");
        // A multi-line value with lone CRs reads as dotenv does (breaks become `\n`).
        assert_eq!(get("M=\"a\rb\"\rN=1", "M").as_deref(), Some("a\nb"));
        assert_eq!(get("M=\"a\rb\"\rN=1", "N").as_deref(), Some("1"));
    }
}
