//! API keys: cleaning pasted keys, masking them for display, and a process-wide list of
//! known secrets that every printer of user-facing text redacts.
//!
//! `ApiKey` never prints itself in full (`Debug` and `Display` mask it); the only way to
//! get the raw value is [`ApiKey::expose`], used where the key must be written out.

use std::fmt;
use std::sync::Mutex;

use anyhow::{Result, bail};

static KNOWN: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// A gateway API key.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

/// A key after cleaning, with whether whitespace was removed.
#[derive(Debug)]
pub struct Cleaned {
    /// The cleaned key.
    pub key: ApiKey,
    /// True when surrounding whitespace or newlines were stripped.
    pub trimmed: bool,
}

impl ApiKey {
    /// Wraps a key known to be clean (e.g. read back from byok's config) and registers it.
    pub fn new(raw: impl Into<String>) -> Self {
        let key = Self(raw.into());
        register(&key.0);
        key
    }

    /// Cleans a pasted key: strips surrounding whitespace, rejects control characters.
    pub fn clean(raw: &str) -> Result<Cleaned> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            bail!("the API key is empty");
        }
        if trimmed.chars().any(|c| c.is_control()) {
            bail!(
                "the API key contains a control character or line break inside it; paste it again"
            );
        }
        Ok(Cleaned {
            key: Self::new(trimmed),
            trimmed: trimmed.len() != raw.len(),
        })
    }

    /// The raw key, for writing into a config file or a request header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The masked form, e.g. `sk-…3f9a`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({})", self.masked())
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Masks a secret: up to three leading characters and the last four, only for keys
/// long enough that this reveals little; short ones are hidden entirely.
pub fn mask(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 12 {
        return "***".to_string();
    }
    let head: String = chars.iter().take(3).collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// Remembers a secret so that [`redact`] masks it wherever it appears.
pub fn register(secret: &str) {
    // Very short values would redact ordinary words; they are masked at the source instead.
    if secret.len() < 6 {
        return;
    }
    let mut known = KNOWN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !known.iter().any(|k| k == secret) {
        known.push(secret.to_string());
        // Longest first, so a key that contains another is masked whole.
        known.sort_by_key(|k| std::cmp::Reverse(k.len()));
    }
}

/// Replaces every registered secret in `text` with its masked form.
pub fn redact(text: &str) -> String {
    let known = KNOWN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut out = text.to_string();
    for k in known.iter() {
        if out.contains(k.as_str()) {
            out = out.replace(k.as_str(), &mask(k));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_show_little() {
        assert_eq!(mask("sk-abcdefghijkl3f9a"), "sk-…3f9a");
        assert_eq!(mask("short"), "***");
        assert_eq!(mask("sk-x'$(touch /tmp/p)"), "sk-…p/p)");
        assert_eq!(
            format!("{:?}", ApiKey::new("sk-0123456789abcdef")),
            "ApiKey(sk-…cdef)"
        );
        assert_eq!(ApiKey::new("sk-0123456789abcdef").to_string(), "sk-…cdef");
    }

    #[test]
    fn clean_strips_and_reports() {
        let c = ApiKey::clean("  sk-live-123456789\n").unwrap();
        assert_eq!(c.key.expose(), "sk-live-123456789");
        assert!(c.trimmed);
        assert!(!ApiKey::clean("sk-live-123456789").unwrap().trimmed);
        assert!(ApiKey::clean(" \n ").is_err());
        assert!(ApiKey::clean("sk-a\nb-cdefgh").is_err());
    }

    #[test]
    fn redact_masks_registered_secrets_everywhere() {
        register("sk-redact-test-0000111122223333");
        let text = "Authorization: Bearer sk-redact-test-0000111122223333 and again sk-redact-test-0000111122223333";
        assert_eq!(
            redact(text),
            "Authorization: Bearer sk-…3333 and again sk-…3333"
        );
    }
}
