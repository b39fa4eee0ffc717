//! API keys: cleaning pasted keys, masking them for display, and a process-wide list of
//! known secrets that every printer of user-facing text redacts.
//!
//! `ApiKey` never prints itself in full (`Debug` and `Display` mask it); the only way to
//! get the raw value is [`ApiKey::expose`], used where the key must be written out.

use std::fmt;
use std::sync::Mutex;

use anyhow::{Result, bail};

/// Registered secrets in every form they may be printed in, each with its masked text.
static KNOWN: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

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
        if trimmed.chars().count() < MIN_LEN {
            bail!(
                "the API key is shorter than {MIN_LEN} characters; if your gateway needs no key, give any placeholder such as `none-needed`"
            );
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

/// Remembers a secret so that [`redact`] masks it wherever it appears: raw, and in the
/// escaped forms it takes inside JSON/TOML/YAML strings and double-quoted dotenv or shell
/// values, plus the last-20-character fragment Claude Code stores to approve a key.
pub fn register(secret: &str) {
    // Shorter values would redact ordinary words; `ApiKey::clean` refuses such keys.
    if secret.chars().count() < MIN_LEN {
        return;
    }
    let masked = mask(secret);
    let mut forms = vec![secret.to_string()];
    let json = serde_json::Value::String(secret.to_string()).to_string();
    forms.push(json[1..json.len() - 1].to_string());
    let mut dq = String::new();
    for c in secret.chars() {
        if matches!(c, '\\' | '"' | '$' | '`') {
            dq.push('\\');
        }
        dq.push(c);
    }
    forms.push(dq);
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() > 24 {
        forms.push(chars[chars.len() - 20..].iter().collect());
    }
    let mut known = KNOWN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for form in forms {
        if !known.iter().any(|(k, _)| *k == form) {
            known.push((form, masked.clone()));
        }
    }
    // Longest first, so a key that contains another is masked whole.
    known.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
}

/// Replaces every registered secret in `text` with its masked form.
pub fn redact(text: &str) -> String {
    let known = KNOWN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut out = text.to_string();
    for (k, masked) in known.iter() {
        if out.contains(k.as_str()) {
            out = out.replace(k.as_str(), masked);
        }
    }
    out
}

/// Masks the value on a line that looks like `<…key|token|secret|password…> = value`
/// (JSON, TOML, YAML or dotenv), for secrets byok never registered, such as an old key
/// in a file it is about to replace. References (`${…}`, `{env:…}`) and variable names
/// are left as they are.
pub fn mask_assignment(line: &str) -> String {
    let lower = line.to_ascii_lowercase();
    if !["key", "token", "secret", "password"]
        .iter()
        .any(|n| lower.contains(n))
        || lower.contains("helper")
    {
        return line.to_string();
    }
    let Some(sep) = line.find([':', '=']) else {
        return line.to_string();
    };
    let (head, rest) = line.split_at(sep + 1);
    let value = rest
        .trim()
        .trim_end_matches(',')
        .trim()
        .trim_matches(['"', '\'']);
    let is_var_name = value
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if value.chars().count() < MIN_LEN
        || matches!(value, "true" | "false" | "null")
        || value.contains("${")
        || value.starts_with("{env:")
        || value.contains('…')
        || value.starts_with(['{', '['])
        || is_var_name
    {
        return line.to_string();
    }
    format!("{head}{}", rest.replacen(value, &mask(value), 1))
}

/// Keys shorter than this are refused: masking them would mangle ordinary text.
pub const MIN_LEN: usize = 4;

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
    fn escaped_and_short_forms_are_masked() {
        register(r#"sk-ab"c\d'$x-1234567890"#);
        let json = r#""ANTHROPIC_AUTH_TOKEN": "sk-ab\"c\\d'$x-1234567890""#;
        assert_eq!(redact(json), r#""ANTHROPIC_AUTH_TOKEN": "sk-…7890""#);
        let dotenv = r#"KEY="sk-ab\"c\\d'\$x-1234567890""#;
        assert_eq!(redact(dotenv), r#"KEY="sk-…7890""#);
        register("k9Zq7");
        assert_eq!(redact("Invalid API key: k9Zq7"), "Invalid API key: ***");
        register("sk-fragment-0123456789abcdefghij");
        assert_eq!(redact(r#"["0123456789abcdefghij"]"#), r#"["sk-…ghij"]"#);
        assert!(ApiKey::clean("abc").is_err());
    }

    #[test]
    fn assignments_of_unregistered_secrets_are_masked() {
        for (line, want) in [
            (
                r#"-    "ANTHROPIC_AUTH_TOKEN": "sk-old-CLAUDEOLD11","#,
                r#"-    "ANTHROPIC_AUTH_TOKEN": "sk-…LD11","#,
            ),
            (
                "-OPENAI_API_KEY=sk-old-openai-key-123",
                "-OPENAI_API_KEY=sk-…-123",
            ),
            ("+apiKey: sk-yaml-0123456789", "+apiKey: sk-…6789"),
            (
                "-api_key = \"sk-toml-0123456789\"",
                "-api_key = \"sk-…6789\"",
            ),
        ] {
            assert_eq!(mask_assignment(line), want);
        }
        for line in [
            r#" "useOpenAIKey": true,"#,
            "+apiKey: ${{ secrets.BYOK_API_KEY }}",
            r#"+env_key = "BYOK_API_KEY""#,
            r#" "apiKeyHelper": "/usr/bin/byok print-key --profile p","#,
            r#"+ "apiKey": "{env:BYOK_API_KEY}""#,
            r#" "customApiKeyResponses": {"#,
            r#" "theme": "dark","#,
        ] {
            assert_eq!(mask_assignment(line), line);
        }
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
