//! API keys: cleaning pasted keys, masking them for display, and a process-wide list of
//! known secrets that every printer of user-facing text redacts.
//!
//! `ApiKey` never prints itself in full (`Debug` and `Display` mask it); the only way to
//! get the raw value is [`ApiKey::expose`], used where the key must be written out.

use std::fmt;
use std::sync::Mutex;

use anyhow::{Result, bail};

/// Registered secrets: those not yet expanded, and every form they may be printed in,
/// each with its masked text.
static KNOWN: Mutex<Known> = Mutex::new(Known {
    pending: Vec::new(),
    forms: Vec::new(),
});

/// The list behind [`register`] and [`redact`]. A secret's forms are worked out when
/// text is first redacted, not when it is registered: `byok env` registers the key at
/// every shell start-up and prints nothing that needs redacting.
struct Known {
    pending: Vec<String>,
    forms: Vec<(String, String)>,
}

impl Known {
    /// The list with every registered secret's forms worked out.
    fn lock() -> std::sync::MutexGuard<'static, Self> {
        let mut known = KNOWN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for secret in std::mem::take(&mut known.pending) {
            known.expand(&secret);
        }
        known
    }

    fn expand(&mut self, secret: &str) {
        let masked = mask(secret);
        let chars: Vec<char> = secret.chars().collect();
        let fragment: String = chars[chars.len().saturating_sub(APPROVED_SUFFIX)..]
            .iter()
            .collect();
        let mut forms = escaped_forms(secret);
        forms.extend(escaped_forms(&fragment));
        for form in forms {
            if !self.forms.iter().any(|(k, _)| *k == form) {
                self.forms.push((form, masked.clone()));
            }
        }
        // Longest first, so a key that contains another is masked whole.
        self.forms.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
    }
}

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

/// How many trailing characters of a key Claude Code stores in `~/.claude.json`
/// (`customApiKeyResponses.approved`) to remember that the user approved it.
const APPROVED_SUFFIX: usize = 20;

/// Remembers a secret so that [`redact`] masks it wherever it appears, in every form a
/// tool may store or byok may print: raw; the escaped forms it takes inside JSON/TOML/YAML
/// strings, double-quoted dotenv or shell values, and single-quoted POSIX or PowerShell
/// strings; and the same for its last-20-character fragment, which Claude Code stores to
/// approve a key (for a key of 20 characters or fewer, the fragment is the key itself).
pub fn register(secret: &str) {
    // Shorter values would redact ordinary words; `ApiKey::clean` refuses such keys.
    if secret.chars().count() < MIN_LEN {
        return;
    }
    let mut known = KNOWN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !known.pending.iter().any(|s| s == secret) {
        known.pending.push(secret.to_string());
    }
}

/// `s` as it appears raw and inside the quoted strings of the formats byok edits or prints.
fn escaped_forms(s: &str) -> Vec<String> {
    let json = serde_json::Value::String(s.to_string()).to_string();
    let escape = |special: &[char]| -> String {
        let mut out = String::new();
        for c in s.chars() {
            if special.contains(&c) {
                out.push('\\');
            }
            out.push(c);
        }
        out
    };
    vec![
        s.to_string(),
        json[1..json.len() - 1].to_string(),
        escape(&['\\', '"', '$', '`']),
        s.replace('\'', r"'\''"),
        s.replace('\'', "''"),
    ]
}

/// Replaces every registered secret in `text` with its masked form.
pub fn redact(text: &str) -> String {
    let known = Known::lock();
    let mut out = text.to_string();
    for (k, masked) in &known.forms {
        if out.contains(k.as_str()) {
            out = out.replace(k.as_str(), masked);
        }
    }
    out
}

/// Names of settings whose value is a secret in the files byok edits or shows next to
/// its own lines, matched whole and case-sensitively (as the formats are). An exact list,
/// not a guess from substrings: `keybindings`, `monkey` or Cline's `tokenSource` are not
/// secrets, and a value masked by mistake hides the very change a diff should show.
pub const SECRET_NAMES: &[&str] = &[
    // Environment variables (settings.json `env`, dotenv files, shell start-up files).
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
    "AZURE_OPENAI_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "BYOK_API_KEY",
    "OPENROUTER_API_KEY",
    "DEEPSEEK_API_KEY",
    "GROQ_API_KEY",
    "MISTRAL_API_KEY",
    "XAI_API_KEY",
    "TOGETHER_API_KEY",
    "FIREWORKS_API_KEY",
    "PERPLEXITY_API_KEY",
    "COHERE_API_KEY",
    "LITELLM_API_KEY",
    "LITELLM_MASTER_KEY",
    "PORTKEY_API_KEY",
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    // Tool settings: Continue, OpenCode, Cline, Roo/Kilo Code, Claude Code, Codex, Cursor.
    "apiKey",
    "api_key",
    "api-key",
    "x-api-key",
    "openAiApiKey",
    "openAiNativeApiKey",
    "anthropicApiKey",
    "geminiApiKey",
    "openRouterApiKey",
    "deepSeekApiKey",
    "mistralApiKey",
    "xaiApiKey",
    "groqApiKey",
    "litellmApiKey",
    "requestyApiKey",
    "glamaApiKey",
    "openAIKey",
    "primaryApiKey",
    // Aider's `~/.aider.conf.yml` option names.
    "openai-api-key",
    "anthropic-api-key",
    "experimental_bearer_token",
    "bearer_token",
    "Authorization",
    "authorization",
    // Generic names users give their own secrets.
    "token",
    "apiToken",
    "api_token",
    "authToken",
    "auth_token",
    "accessToken",
    "access_token",
    "refreshToken",
    "refresh_token",
    "idToken",
    "id_token",
    "secret",
    "clientSecret",
    "client_secret",
    "password",
];

/// True when a setting of this exact name holds a secret (see [`SECRET_NAMES`]).
pub fn is_secret_name(name: &str) -> bool {
    SECRET_NAMES.contains(&name)
}

/// Masks the values assigned to a [`SECRET_NAMES`] setting anywhere on a line of JSON,
/// TOML, YAML, dotenv or shell (`"apiKey": "…"`, `api_key = '…'`, `apiKey: …`,
/// `export OPENAI_API_KEY=…`, `$env:OPENAI_API_KEY = '…'`), for secrets byok never
/// registered, such as an old key in a file it is about to replace. References
/// (`${…}`, `{env:…}`, `$VAR`), variable names and already masked values stay visible.
pub fn mask_assignment(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    // A diff line's `+`/`-` marker is not part of the first name (`-OPENAI_API_KEY=…`).
    let mut rest = match line.strip_prefix(['+', '-']) {
        Some(body) => {
            out.push_str(&line[..1]);
            body
        }
        None => line,
    };
    while let Some((start, end)) = next_secret_value(rest) {
        let value = &rest[start..end];
        out.push_str(&rest[..start]);
        if is_literal_secret(value) {
            out.push_str(&mask(value));
        } else {
            out.push_str(value);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The byte range of the first value assigned to a secret name in `text`, unquoted.
fn next_secret_value(text: &str) -> Option<(usize, usize)> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-');
    let mut from = 0;
    while from < text.len() {
        // The earliest whole-word occurrence of any secret name after `from`.
        let (at, name) = SECRET_NAMES
            .iter()
            .filter_map(|n| {
                let mut i = from;
                while let Some(p) = text[i..].find(n) {
                    let s = i + p;
                    let e = s + n.len();
                    let before_ok = !text[..s].chars().next_back().is_some_and(is_word);
                    let after_ok = !text[e..].chars().next().is_some_and(is_word);
                    if before_ok && after_ok {
                        return Some((s, *n));
                    }
                    i = e;
                }
                None
            })
            .min_by_key(|(s, n)| (*s, std::cmp::Reverse(n.len())))?;
        let after_name = at + name.len();
        if let Some(range) = assigned_value(text, after_name) {
            return Some(range);
        }
        from = after_name;
    }
    None
}

/// After a setting's name: an optional closing quote, `:` or `=`, and the value's range.
fn assigned_value(text: &str, mut i: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    if matches!(bytes.get(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    while matches!(bytes.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    if !matches!(bytes.get(i), Some(b':' | b'=')) {
        return None;
    }
    i += 1;
    while matches!(bytes.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    match bytes.get(i) {
        Some(&q @ (b'"' | b'\'')) => {
            let start = i + 1;
            let mut j = start;
            while j < bytes.len() {
                match bytes[j] {
                    b'\\' if q == b'"' => j += 2,
                    c if c == q => return Some((start, j)),
                    _ => j += 1,
                }
            }
            Some((start, bytes.len().max(start)))
        }
        // Unquoted (YAML, dotenv, JSON literals): up to the next delimiter or comment.
        Some(_) => {
            let stop = [",", "}", "]", " #", "\t#"]
                .iter()
                .filter_map(|d| text[i..].find(d))
                .min()
                .map_or(text.len(), |p| i + p);
            let end = i + text[i..stop].trim_end().len();
            Some((i, end))
        }
        None => None,
    }
}

/// True for a value worth masking: not empty or tiny, not a literal, reference or name.
fn is_literal_secret(value: &str) -> bool {
    let is_var_name = value.contains('_')
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    !(value.chars().count() < MIN_LEN
        || matches!(value, "true" | "false" | "null")
        || value.starts_with('$')
        || value.contains("${")
        || value.starts_with("{env:")
        || value.contains('…')
        || value.starts_with(['{', '['])
        || is_var_name)
}

/// Masks the words of `text` that look like secrets, for text that may echo what a user
/// typed (error messages, clap's "invalid value" errors): a key pasted into the wrong
/// argument is not registered, so [`redact`] cannot know it. Masked are words with a
/// common key prefix (`sk-`, `AIza`, `ghp_`, …), long tokens with a random-looking run of
/// letters and digits, and the password and query values of URLs.
pub fn mask_lookalikes(text: &str) -> String {
    let is_sep = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '\'' | '"' | '`' | '(' | ')' | '<' | '>' | '[' | ']' | '{' | '}' | ',' | ';'
            )
    };
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    for c in text.chars() {
        if is_sep(c) {
            out.push_str(&mask_word(&word));
            word.clear();
            out.push(c);
        } else {
            word.push(c);
        }
    }
    out.push_str(&mask_word(&word));
    out
}

/// Prefixes of the API keys of common providers and gateways.
const KEY_PREFIXES: &[&str] = &[
    "sk-",
    "sk_",
    "AIza",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "hf_",
    "gsk_",
    "xai-",
    "pplx-",
    "eyJ",
];

fn mask_word(word: &str) -> String {
    if word.contains('…') {
        return word.to_string();
    }
    if word.contains("://") {
        return mask_url(word);
    }
    // Sentence punctuation after a word is not part of it.
    let core = word.trim_end_matches(['.', ':', '!', '?']);
    if looks_like_key(core) {
        return format!("{}{}", mask(core), &word[core.len()..]);
    }
    word.to_string()
}

/// A key shape: a known prefix, or 20+ characters holding a run of 16+ letters and digits
/// with at least three of each (random-looking, unlike model names such as
/// `claude-sonnet-4-5-20250929` or byok's backup ids `20250101t120000z-abc123`). Paths
/// (with `/`) are left alone.
fn looks_like_key(word: &str) -> bool {
    if word.contains('/') {
        return false;
    }
    if word.len() >= 10 && KEY_PREFIXES.iter().any(|p| word.starts_with(p)) {
        return true;
    }
    word.chars().count() >= 20
        && word.split(|c: char| !c.is_ascii_alphanumeric()).any(|run| {
            let letters = run.chars().filter(char::is_ascii_alphabetic).count();
            let digits = run.chars().filter(char::is_ascii_digit).count();
            run.len() >= 16 && letters >= 3 && digits >= 3
        })
}

/// Masks a URL's userinfo password (`user:secret@`) and its query values (`?key=…`),
/// plus a username that looks like a key.
fn mask_url(word: &str) -> String {
    let Some(scheme_end) = word.find("://").map(|i| i + 3) else {
        return word.to_string();
    };
    let (head, rest) = word.split_at(scheme_end);
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(auth_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let userinfo = match userinfo.split_once(':') {
                Some((user, pass)) => format!("{}:{}", mask_word(user), mask(pass)),
                None => mask_word(userinfo),
            };
            format!("{userinfo}@{host}")
        }
        None => authority.to_string(),
    };
    let path = match path.split_once('?') {
        Some((p, query)) => {
            let (query, fragment) = query
                .split_once('#')
                .map_or((query, None), |(q, f)| (q, Some(f)));
            let masked: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, v)) if !v.is_empty() => format!("{k}={}", mask(v)),
                    _ => pair.to_string(),
                })
                .collect();
            let fragment = fragment.map(|f| format!("#{f}")).unwrap_or_default();
            format!("{p}?{}{fragment}", masked.join("&"))
        }
        None => path.to_string(),
    };
    format!("{head}{authority}{path}")
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
    fn every_key_length_registers_its_approval_fragment() {
        // Claude Code stores the last 20 characters; 21-24 character keys were missed.
        for key in [
            "sk-fr21-0123456789ab",
            "sk-frag24-0123456789abcd",
            "k8-frag8",
        ] {
            register(key);
            let chars: Vec<char> = key.chars().collect();
            let fragment: String = chars[chars.len().saturating_sub(20)..].iter().collect();
            let text = format!(r#""approved": ["{fragment}"]"#);
            assert!(
                !redact(&text).contains(&fragment),
                "{key}: {}",
                redact(&text)
            );
        }
        register("sk-quote'd-0123456789");
        assert_eq!(redact(r"K='sk-quote'\''d-0123456789'"), "K='sk-…6789'");
    }

    #[test]
    fn assignments_match_whole_secret_names_only() {
        for line in [
            r#"+  "keybindings": "vim-monkey-keys-please","#,
            r#"   "monkey": "banana-banana-banana","#,
            r#"+      "selectedType": "gemini-api-key""#,
            r#" "tokenSource": "migration","#,
            r#"+    "ANTHROPIC_BASE_URL": "https://keyless-gateway.example.com","#,
            r#"+base_url = "https://portkey-gw.example.com/v1""#,
            "+OPENAI_API_KEY=$GW_KEY",
            r#"+ "apiKeyHelper": "/usr/bin/byok print-key","#,
        ] {
            assert_eq!(mask_assignment(line), line);
        }
        for (line, want) in [
            (
                r#"-{"keybindings":"vim-monkey-keys-please","apiKey":"sk-one-line-123456","theme":"dark"}"#,
                r#"-{"keybindings":"vim-monkey-keys-please","apiKey":"sk-…3456","theme":"dark"}"#,
            ),
            (
                "+export OPENAI_API_KEY='sk-shell-0123456789' # mine",
                "+export OPENAI_API_KEY='sk-…6789' # mine",
            ),
            (
                r#" models = [{ name = "x", api_key = "sk-inline-0123456789" }]"#,
                r#" models = [{ name = "x", api_key = "sk-…6789" }]"#,
            ),
            (
                " x-api-key: gw-bare-0123456789 # team key",
                " x-api-key: gw-…6789 # team key",
            ),
            (
                r#"+experimental_bearer_token = "tok-\"q\"-0123456789""#,
                r#"+experimental_bearer_token = "tok…6789""#,
            ),
        ] {
            assert_eq!(mask_assignment(line), want);
        }
    }

    #[test]
    fn lookalikes_are_masked_in_error_text() {
        for (text, want) in [
            (
                "error: invalid value 'sk-ant-api03-abcdefgh' for '<TOOLS>...'",
                "error: invalid value 'sk-…efgh' for '<TOOLS>...'",
            ),
            (
                "no profile named `gw9f8e7d6c5b4a3f2e1d0c`.",
                "no profile named `gw9…1d0c`.",
            ),
            (
                "no backup with id `AIzaSyA-0123456789`",
                "no backup with id `AIz…6789`",
            ),
            (
                "bad URL https://u:pw-secret-123@gw.example.com/v1?key=abc12345&x=&y#top",
                "bad URL https://u:pw-…-123@gw.example.com/v1?key=***&x=&y#top",
            ),
        ] {
            assert_eq!(mask_lookalikes(text), want);
        }
        for text in [
            "unknown model claude-sonnet-4-5-20250929 (see gpt-4o-2024-08-06)",
            "no backup with id `20250101t120000z-abcdef`",
            "could not read ~/.config/Code/User/globalStorage/state.vscdb: permission denied",
            "ANTHROPIC_DEFAULT_SONNET_MODEL sk-…cdef http://127.0.0.1:8080/v1",
        ] {
            assert_eq!(mask_lookalikes(text), text);
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
