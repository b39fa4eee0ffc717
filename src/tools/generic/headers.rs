//! The profile's extra headers in a tool's file (a template value that is one of the
//! `{headers…}` forms, see `templates/README.md`): which of them byok owns, so a header
//! taken out of the profile goes from the tool and the user's own headers stay.
//!
//! A table (`{headers}`, `{headers:plain}`, `{headers:vars}`) is an ordinary table value
//! to the engine: merged key by key, byok's earlier leaves dropped when the profile no
//! longer has them, the user's entries never recorded as byok's. Here: what a table
//! value with no headers leaves. A string (`{headers:lines}`, `{headers:commas}`) holds
//! byok's pairs after the user's own: the pairs the user had before byok's first write
//! (its recorded prior) or has now, with byok's in place of the same-named ones.

use serde_json::Value;

use crate::config_edit::{ParseError, doc};
use crate::templates::Format;
use crate::tools::Current;

/// `Name: value` pairs of a headers string, in order (a piece without `:` is kept
/// whole, as its own pair with an empty value, so nothing of the user's is dropped).
fn pairs(text: &str, sep: &str) -> Vec<(String, String)> {
    let split: Vec<&str> = if sep == "\n" {
        text.lines().collect()
    } else {
        text.split(sep.trim()).collect()
    };
    split
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once(':') {
            Some((n, v)) => (n.trim().to_string(), v.trim().to_string()),
            None => (p.to_string(), String::new()),
        })
        .collect()
}

fn join(pairs: &[(String, String)], sep: &str) -> String {
    pairs
        .iter()
        .map(|(n, v)| {
            if v.is_empty() {
                n.clone()
            } else {
                format!("{n}: {v}")
            }
        })
        .collect::<Vec<_>>()
        .join(sep)
}

/// The text a headers string is merged onto: what the user had before byok first wrote
/// it (its prior; nothing when there was none), or, before that, what is there now.
pub(super) fn base(format: Format, now: Option<&Value>, label: &str, cur: &Current) -> String {
    if !cur.written.contains_key(label) {
        return now.and_then(Value::as_str).unwrap_or_default().to_string();
    }
    match (format, cur.prior(label)) {
        (_, None) => String::new(),
        (Format::Dotenv, Some(p)) => p.to_string(),
        (_, Some(p)) => serde_json::from_str::<Value>(p)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
    }
}

/// `base`'s pairs whose names byok's (`wanted`) don't have, then byok's; `None` when
/// nothing is left.
pub(super) fn merge(base: &str, wanted: Option<&str>, sep: &str) -> Option<String> {
    let ours = wanted.map(|w| pairs(w, sep)).unwrap_or_default();
    let mut out: Vec<(String, String)> = pairs(base, sep)
        .into_iter()
        .filter(|(n, _)| !ours.iter().any(|(o, _)| o.eq_ignore_ascii_case(n)))
        .collect();
    out.extend(ours);
    (!out.is_empty()).then(|| join(&out, sep))
}

/// A headers table at `key` once the profile has no headers of its form: byok's
/// recorded entries go (as the profile dropped them), and the table too when that
/// leaves it empty; the user's entries stay.
pub(super) fn clear_table(
    format: Format,
    text: &str,
    key: &[String],
    label: &str,
    cur: &Current,
) -> Result<String, ParseError> {
    let mut out = text.to_string();
    let mut took = false;
    for (below, now) in doc::leaves(format, text, key) {
        let leaf = format!("{label}.{}", below.join("."));
        if below.is_empty() || !cur.byoks(&leaf, &now) {
            continue;
        }
        let mut path = key.to_vec();
        path.extend(below);
        out = doc::remove(format, &out, &path, true)?;
        took = true;
    }
    let empty = matches!(doc::get(format, &out, key)?, Some(Value::Object(m)) if m.is_empty());
    if took && empty {
        out = doc::remove(format, &out, key, true)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_keeps_the_users_pairs_and_replaces_same_named_ones() {
        assert_eq!(
            merge("X-Mine: 1\nx-team: old", Some("X-Team: blue\nx-b: 2"), "\n").as_deref(),
            Some("X-Mine: 1\nX-Team: blue\nx-b: 2")
        );
        assert_eq!(
            merge("a: 1, b: 2", Some("b: 3"), ", ").as_deref(),
            Some("a: 1, b: 3")
        );
        assert_eq!(merge("", None, "\n"), None);
        assert_eq!(merge("odd piece", None, "\n").as_deref(), Some("odd piece"));
    }
}
