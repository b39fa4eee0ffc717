//! `.env` files as the `dotenv` npm package (16.x, which Continue bundles) reads them:
//! get, set and remove one `KEY=value` assignment, keeping every other line, comment and
//! line ending byte for byte.
//!
//! dotenv's grammar (`lib/main.js`, `LINE`): optional `export `, a key of `[\w.-]`, `=`
//! (or `: `), then a value that is single-, double- or backtick-quoted (quotes may span
//! lines; inside double quotes `\n` and `\r` are expanded; nothing else is unescaped) or
//! unquoted (up to `#` or the end of the line, trimmed). A later assignment of the same
//! key wins. byok writes single quotes, which dotenv returns verbatim, so the value it
//! reads is exactly the one written; backticks or double quotes serve values holding `'`.
//!
//! Simplification: dotenv's regex may skip line breaks between `=` and an opening quote;
//! this reader treats such an assignment as empty. byok never writes that form.

use anyhow::{Result, bail};

use super::line_ending;

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
    let line = format!("{key}={} # {MARKER}", quote(value)?);
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
            if !text.is_empty() && !text.ends_with('\n') {
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
    } else {
        ""
    }
}

/// A value quoted so that dotenv reads back exactly `value`.
fn quote(value: &str) -> Result<String> {
    if value.contains(['\n', '\r']) {
        bail!("a value with a line break can't be written to a .env file");
    }
    if !value.contains('\'') {
        return Ok(format!("'{value}'"));
    }
    if !value.contains('`') {
        return Ok(format!("`{value}`"));
    }
    if !value.contains('"') && !value.contains("\\n") && !value.contains("\\r") {
        return Ok(format!("\"{value}\""));
    }
    bail!("this value can't be quoted for a .env file (it holds ', \" and ` at once)")
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

/// The offset after the line break of the line starting at `at` (or the text's end).
fn next_line(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |i| at + i + 1)
}

/// The end of the line's content (before `\r\n` or `\n`).
fn content_end(text: &str, at: usize) -> usize {
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    if end > at && text.as_bytes()[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
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
                let inner = inner.replace("\r\n", "\n");
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

    #[test]
    fn values_round_trip() {
        for v in [
            "sk-abc",
            "with space",
            "has#hash",
            "it's",
            "a'b`c",
            "$HOME",
            "\\n",
            "",
            " x ",
        ] {
            let text = set("X=1\n", "K", v).unwrap();
            assert_eq!(get(&text, "K").as_deref(), Some(v), "{text}");
            assert_eq!(get(&text, "X").as_deref(), Some("1"));
        }
        assert!(set("", "K", "a'b`c\"d").is_err());
        assert!(set("", "K", "line\nbreak").is_err());
    }
}
