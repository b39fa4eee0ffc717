//! Format-preserving editors, one per format. Each takes the file's text and returns new
//! text in which only the addressed values changed: comments, order, indentation and
//! line endings of everything else stay as they were.
//!
//! Editors are pure. A text that does not parse yields a [`ParseError`] with its
//! position, which the command turns into "could not parse `<file>`: line `<n>`, column `<m>`".

use std::fmt;
use std::path::Path;

use crate::env::Env;
use crate::error::UserError;

pub mod doc;
pub mod dotenv;
pub mod jsonc;
pub mod sqlite;
pub mod toml_file;
pub mod yaml;
pub mod yaml_keys;

/// Why a file could not be parsed, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What the parser said (never quoting the line, which may hold a key).
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ParseError {}

impl ParseError {
    /// Builds an error from a byte offset into `text`.
    pub fn at_offset(text: &str, offset: usize, message: impl Into<String>) -> Self {
        let before = &text[..floor_char_boundary(text, offset.min(text.len()))];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Self {
            line,
            column,
            message: message.into(),
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The error for a file byok cannot parse: names the file and position, says it was left alone.
pub fn unparsable(env: &Env, path: &Path, e: &ParseError) -> anyhow::Error {
    UserError::new(format!("could not parse {}: {e}", env.tilde(path)))
        .hint("byok left the file untouched; fix that line by hand (or move the file aside) and run the command again")
        .into()
}

/// The error for a file that parses but holds something byok won't edit (what, where,
/// and what to write instead is in `e`).
pub fn refused(env: &Env, path: &Path, e: &ParseError) -> anyhow::Error {
    UserError::new(format!("byok can't edit {}: {e}", env.tilde(path)))
        .hint("byok left the file untouched; make that change by hand and run the command again")
        .into()
}

/// The line ending a text mostly uses, so new lines match it.
pub fn line_ending(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r\n" } else { "\n" }
}

/// Splits off a UTF-8 byte-order mark, which editors must keep in place.
pub fn split_bom(text: &str) -> (&'static str, &str) {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_error_position() {
        let e = ParseError::at_offset("ab\ncdé\nx", 7, "bad");
        assert_eq!((e.line, e.column), (2, 4));
        assert_eq!(e.to_string(), "line 2, column 4: bad");
    }
}
