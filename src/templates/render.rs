//! Placeholders: `{name}` inside a template's strings (and object keys), filled from the
//! profile, the options and the resolved roots. Only string contents are filled, never
//! syntax, so a key holding `"` or `\` can't break a file: the editors quote it.
//!
//! `{` starts a placeholder only when an identifier and `}` follow (`{model}`); anything
//! else is literal text, so a tool's own reference syntax such as OpenCode's
//! `{env:VAR}` or Continue's `${{ secrets.X }}` needs no escaping.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::keystore::Fetched;
use crate::profile::{Gateway, KeySource};

/// Placeholders filled from the profile and options.
pub const GATEWAY: &[&str] = &[
    "openai_base",
    "root",
    "anthropic_base",
    "key",
    "key_env",
    "model",
    "anthropic_model",
    "small_model",
    "profile",
    "byok",
];

/// Directory placeholders every template can use.
pub const BUILTIN_ROOTS: &[&str] = &[
    "home",
    "xdg_config",
    "config",
    "appdata",
    "localappdata",
    "data",
];

/// How a whole-string headers value renders the profile's extra headers
/// (`--header 'Name: value'`); see [`headers_form`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadersForm {
    /// `{headers}`: a table, name → value; a header read from a variable as the
    /// template's `[headers] env` writes a reference, else its value.
    Table,
    /// `{headers:plain}`: a table of the headers that have a value of their own.
    Plain,
    /// `{headers:vars}`: a table of the headers read from a variable, name → its name.
    Vars,
    /// `{headers:lines}`: `Name: value` lines joined by a line break (Claude Code's
    /// `ANTHROPIC_CUSTOM_HEADERS`, Copilot CLI's `COPILOT_PROVIDER_HEADERS`).
    Lines,
    /// `{headers:commas}`: `Name: value` pairs joined by `, ` (Gemini CLI's
    /// `GEMINI_CLI_CUSTOM_HEADERS`).
    Commas,
}

impl HeadersForm {
    /// The forms, as templates spell them.
    pub const ALL: &[(&str, Self)] = &[
        ("{headers}", Self::Table),
        ("{headers:plain}", Self::Plain),
        ("{headers:vars}", Self::Vars),
        ("{headers:lines}", Self::Lines),
        ("{headers:commas}", Self::Commas),
    ];

    /// The text a string form joins its pairs with (`None` for the table forms).
    pub fn separator(self) -> Option<&'static str> {
        match self {
            Self::Lines => Some("\n"),
            Self::Commas => Some(", "),
            _ => None,
        }
    }
}

/// The headers form a string is, when it is one whole (`{headers}`, `{headers:lines}` …).
pub fn headers_form(s: &str) -> Option<HeadersForm> {
    HeadersForm::ALL
        .iter()
        .find(|(text, _)| *text == s)
        .map(|(_, f)| *f)
}

/// Where a value mentions headers other than as one whole headers value, the mistake.
fn check_headers_text(s: &str) -> Result<(), String> {
    if headers_form(s).is_none() && s.contains("{headers") {
        let forms: Vec<&str> = HeadersForm::ALL.iter().map(|(t, _)| *t).collect();
        return Err(format!(
            "`{s}`: the profile's headers are a whole value, one of {}",
            forms.join(", ")
        ));
    }
    Ok(())
}

/// A profile's extra header as a tool gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The header's name.
    pub name: String,
    /// Its value.
    pub value: HeaderValue,
    /// A credential (masked in output, its file made 0600 when written as a value).
    pub secret: bool,
}

/// A header's value: its own, or read from a variable (`env:VAR` in the profile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    /// The value itself.
    Plain(String),
    /// Read from `var`; `value` is its content in byok's environment, if set.
    FromVar {
        /// The variable's name.
        var: String,
        /// Its value now.
        value: Option<String>,
    },
}

/// Whether `name` is a built-in placeholder.
pub fn is_placeholder(name: &str) -> bool {
    GATEWAY.contains(&name) || BUILTIN_ROOTS.contains(&name)
}

/// What follows a placeholder's name to quote its value for a POSIX shell
/// (`{byok:sh}`): a key command Claude Code runs through `/bin/sh` needs the executable
/// and profile as single words whatever they hold.
const SH_SUFFIX: &str = ":sh}";

/// A placeholder's name without its `:sh` suffix, and whether it had one.
fn base_name(var: &str) -> (&str, bool) {
    match var.strip_suffix(":sh") {
        Some(base) => (base, true),
        None => (var, false),
    }
}

/// A piece of a string: literal text or a placeholder name.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Var(&'a str),
}

fn pieces(s: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let (mut i, mut start) = (0, 0);
    while i < bytes.len() {
        if bytes[i] == b'{' {
            let name_start = i + 1;
            let mut j = name_start;
            while j < bytes.len()
                && (bytes[j].is_ascii_lowercase()
                    || bytes[j] == b'_'
                    || (j > name_start && bytes[j].is_ascii_digit()))
            {
                j += 1;
            }
            // `{name:sh}`: the value quoted for a POSIX shell (see [`SH_SUFFIX`]).
            let end = if j > name_start && s[j..].starts_with(SH_SUFFIX) {
                j + SH_SUFFIX.len() - 1
            } else {
                j
            };
            if j > name_start && end < bytes.len() && bytes[end] == b'}' {
                if start < i {
                    out.push(Piece::Text(&s[start..i]));
                }
                out.push(Piece::Var(&s[name_start..end]));
                i = end + 1;
                start = i;
                continue;
            }
        }
        i += 1;
    }
    if start < s.len() {
        out.push(Piece::Text(&s[start..]));
    }
    out
}

/// The placeholder names a string uses (`{byok:sh}` uses `byok`).
pub fn names(s: &str) -> Vec<&str> {
    pieces(s)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Var(v) => Some(base_name(v).0),
            Piece::Text(_) => None,
        })
        .collect()
}

/// What fills the one placeholder of `pattern` in `filled`: `byok/{model}` and
/// `byok/gpt-4o` give `("model", "gpt-4o")`. `None` when the pattern holds no placeholder
/// or several, or `filled` does not fit its literal text (a value the user chose).
pub fn unfill<'a>(pattern: &'a str, filled: &'a str) -> Option<(&'a str, &'a str)> {
    let (mut before, mut name, mut after) = ("", None, "");
    for p in pieces(pattern) {
        match (p, name) {
            (Piece::Text(t), None) => before = t,
            (Piece::Text(t), Some(_)) => after = t,
            (Piece::Var(v), None) => name = Some(base_name(v).0),
            (Piece::Var(_), Some(_)) => return None,
        }
    }
    let middle = filled.strip_prefix(before)?.strip_suffix(after)?;
    (!middle.is_empty()).then_some((name?, middle))
}

/// The placeholder names a value uses, in its strings and table keys.
pub fn value_names(v: &toml::Value) -> Vec<String> {
    match v {
        toml::Value::String(s) => names(s).into_iter().map(String::from).collect(),
        toml::Value::Array(a) => a.iter().flat_map(value_names).collect(),
        toml::Value::Table(t) => t
            .iter()
            .flat_map(|(k, v)| {
                let mut n: Vec<String> = names(k).into_iter().map(String::from).collect();
                n.extend(value_names(v));
                n
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn unknown(name: &str, roots: &[&str]) -> String {
    let mut known: Vec<String> = GATEWAY
        .iter()
        .chain(BUILTIN_ROOTS)
        .chain(roots)
        .map(|n| format!("{{{n}}}"))
        .collect();
    known.dedup();
    format!(
        "unknown placeholder `{{{name}}}`; known: {}",
        known.join(", ")
    )
}

/// Checks that a text uses only known placeholders.
pub fn check_text(s: &str, roots: &[&str]) -> Result<(), String> {
    for n in names(s) {
        if !is_placeholder(n) && !roots.contains(&n) {
            return Err(unknown(n, roots));
        }
    }
    Ok(())
}

/// Checks a value: every string and object key uses only known placeholders, and the
/// profile's headers only as one whole value.
pub fn check_value(v: &toml::Value, roots: &[&str]) -> Result<(), String> {
    match v {
        toml::Value::String(s) if headers_form(s).is_some() => Ok(()),
        toml::Value::String(s) => {
            check_headers_text(s)?;
            check_text(s, roots)
        }
        toml::Value::Array(a) => a.iter().try_for_each(|x| check_value(x, roots)),
        toml::Value::Table(t) => t.iter().try_for_each(|(k, x)| {
            check_text(k, roots)?;
            check_value(x, roots)
        }),
        _ => Ok(()),
    }
}

/// Checks a path: it starts with a root placeholder (or `~/`) and uses only roots, so a
/// template can't aim byok at files outside the user's and the tool's directories.
pub fn check_path(p: &str, roots: &[&str]) -> Result<(), String> {
    let first = pieces(p).into_iter().next();
    let rooted = match first {
        Some(Piece::Var(v)) => BUILTIN_ROOTS.contains(&v) || roots.contains(&v),
        Some(Piece::Text(t)) => t.starts_with("~/"),
        None => false,
    };
    if !rooted {
        return Err(format!(
            "path `{p}` must start with a root such as {{home}}, {{xdg_config}} or one of the template's [roots]; byok writes only below the user's home and the tool's own directories"
        ));
    }
    for n in names(p) {
        if GATEWAY.contains(&n) {
            return Err(format!(
                "path `{p}` uses `{{{n}}}`: paths may use roots only, not profile values"
            ));
        }
        if !BUILTIN_ROOTS.contains(&n) && !roots.contains(&n) {
            return Err(unknown(n, roots));
        }
    }
    if p.split(['/', '\\']).any(|seg| seg == "..") {
        return Err(format!(
            "path `{p}` must not climb out of its root with `..`"
        ));
    }
    Ok(())
}

/// The values placeholders are filled with; `None` means "not set for this profile".
#[derive(Debug, Clone, Default)]
pub struct Vars {
    values: BTreeMap<String, Option<String>>,
    /// A key read only if a value needs it (a password manager may prompt).
    lazy_key: Option<Fetched>,
    /// The profile's extra headers, for the headers values.
    headers: Vec<Header>,
    /// How the tool writes a header read from a variable (`{var}` is its name), for
    /// `{headers}`; without it such a header's value is written.
    header_ref: Option<String>,
}

/// A value could not be rendered because a placeholder has no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unset(pub String);

impl Vars {
    /// The placeholders a profile fills (every one in [`GATEWAY`] but `{byok}`, which is
    /// the running executable).
    pub fn gateway(gw: &Gateway) -> Self {
        let mut v = Self::default();
        v.set("openai_base", Some(gw.openai_base.clone()));
        v.set("root", Some(gw.base.to_string()));
        v.set("anthropic_base", Some(gw.anthropic_base.clone()));
        match &gw.key {
            KeySource::Fetched(f) => v.lazy_key = Some(f.clone()),
            _ => v.set("key", gw.api_key().map(|k| k.expose().to_string())),
        }
        v.set("key_env", gw.key.env_var().map(str::to_string));
        v.set("model", gw.model.clone());
        v.set("anthropic_model", gw.anthropic_model.clone());
        v.set("small_model", gw.small_model.clone());
        v.set("profile", Some(gw.name.clone()));
        v
    }

    /// Adds `other`'s placeholders (replacing any of the same name).
    pub fn extend(&mut self, other: Self) {
        self.values.extend(other.values);
        if other.lazy_key.is_some() {
            self.lazy_key = other.lazy_key;
        }
        if !other.headers.is_empty() {
            self.headers = other.headers;
        }
    }

    /// Sets the profile's extra headers, and how the tool references a variable in one.
    pub fn set_headers(&mut self, headers: Vec<Header>, reference: Option<String>) {
        self.headers = headers;
        self.header_ref = reference;
    }

    /// The values of the credential headers a headers value may write (to mask, and to
    /// make a file holding one 0600).
    pub fn header_secrets(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|h| h.secret)
            .filter_map(|h| match &h.value {
                HeaderValue::Plain(v) => Some(v.as_str()),
                HeaderValue::FromVar { value, .. } => value.as_deref(),
            })
            .collect()
    }

    /// A headers value for this profile; [`Unset`] `headers` when it has none of that
    /// form, `$VAR` when a header's variable is not set and its value is needed.
    pub fn headers(&self, form: HeadersForm) -> Result<Value, Unset> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for h in &self.headers {
            let value = match (&h.value, form) {
                (HeaderValue::Plain(_), HeadersForm::Vars)
                | (HeaderValue::FromVar { .. }, HeadersForm::Plain) => continue,
                (HeaderValue::Plain(v), _) => v.clone(),
                (HeaderValue::FromVar { var, .. }, HeadersForm::Vars) => var.clone(),
                (HeaderValue::FromVar { var, .. }, HeadersForm::Table)
                    if self.header_ref.is_some() =>
                {
                    self.header_ref
                        .as_deref()
                        .unwrap_or_default()
                        .replace("{var}", var)
                }
                (HeaderValue::FromVar { var, value }, _) => {
                    value.clone().ok_or_else(|| Unset(format!("${var}")))?
                }
            };
            pairs.push((h.name.clone(), value));
        }
        if pairs.is_empty() {
            return Err(Unset("headers".into()));
        }
        Ok(match form.separator() {
            Some(sep) => Value::String(
                pairs
                    .iter()
                    .map(|(n, v)| format!("{n}: {v}"))
                    .collect::<Vec<_>>()
                    .join(sep),
            ),
            None => Value::Object(
                pairs
                    .into_iter()
                    .map(|(n, v)| (n, Value::String(v)))
                    .collect(),
            ),
        })
    }

    /// Sets a placeholder.
    pub fn set(&mut self, name: &str, value: Option<String>) {
        self.values.insert(name.to_string(), value);
    }

    /// A placeholder's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        match self.values.get(name) {
            Some(v) => v.as_deref(),
            None if name == "key" => self
                .lazy_key
                .as_ref()
                .and_then(|f| f.get().ok())
                .map(crate::secret::ApiKey::expose),
            None => None,
        }
    }

    /// Fills a string.
    pub fn str(&self, s: &str) -> Result<String, Unset> {
        let mut out = String::new();
        for p in pieces(s) {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(v) => {
                    let (name, sh) = base_name(v);
                    let value = self.get(name).ok_or_else(|| Unset(name.to_string()))?;
                    if sh {
                        out.push_str(&crate::shell::Shell::Sh.quote(value));
                    } else {
                        out.push_str(value);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Fills a value, converting it to JSON (the editors' common currency).
    pub fn value(&self, v: &toml::Value) -> Result<Value, Unset> {
        Ok(match v {
            toml::Value::String(s) => match headers_form(s) {
                Some(form) => self.headers(form)?,
                None => Value::String(self.str(s)?),
            },
            toml::Value::Integer(i) => Value::from(*i),
            toml::Value::Float(f) => Value::from(*f),
            toml::Value::Boolean(b) => Value::Bool(*b),
            toml::Value::Datetime(d) => Value::String(d.to_string()),
            toml::Value::Array(a) => {
                Value::Array(a.iter().map(|x| self.value(x)).collect::<Result<_, _>>()?)
            }
            toml::Value::Table(t) => {
                let mut m = serde_json::Map::new();
                let mut omitted = false;
                for (k, x) in t {
                    // A table's headers field is left out when the profile has none,
                    // and a table holding nothing else with it.
                    let value = match self.value(x) {
                        Err(Unset(n)) if n == "headers" => {
                            omitted = true;
                            continue;
                        }
                        other => other?,
                    };
                    m.insert(self.str(k)?, value);
                }
                if omitted && m.is_empty() {
                    return Err(Unset("headers".into()));
                }
                Value::Object(m)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_identifiers_in_braces_are_placeholders() {
        let mut v = Vars::default();
        v.set("key_env", Some("GW_KEY".into()));
        v.set("model", None);
        assert_eq!(v.str("{env:{key_env}}").unwrap(), "{env:GW_KEY}");
        assert_eq!(v.str("${{ secrets.X }}").unwrap(), "${{ secrets.X }}");
        assert_eq!(v.str("byok/{model}"), Err(Unset("model".into())));
        assert_eq!(v.str("{}{ a}{A}").unwrap(), "{}{ a}{A}");
        assert_eq!(names("{a}{b_2}x{c"), ["a", "b_2"]);
    }

    #[test]
    fn unfill_finds_what_fills_the_one_placeholder() {
        assert_eq!(
            unfill("byok/{model}", "byok/gpt-4o"),
            Some(("model", "gpt-4o"))
        );
        assert_eq!(
            unfill(
                "{openai_base}/chat/completions",
                "http://gw/v1/chat/completions"
            ),
            Some(("openai_base", "http://gw/v1"))
        );
        assert_eq!(unfill("{model}", "gpt-4o"), Some(("model", "gpt-4o")));
        assert_eq!(unfill("byok/{model}", "anthropic/claude"), None);
        assert_eq!(unfill("byok/{model}", "byok/"), None);
        assert_eq!(unfill("{a}/{b}", "x/y"), None);
        assert_eq!(unfill("plain", "plain"), None);
    }

    #[test]
    fn a_sh_suffix_quotes_the_value_for_a_posix_shell() {
        let mut v = Vars::default();
        v.set("byok", Some("/opt/my tools/byok".into()));
        v.set("profile", Some("it's".into()));
        assert_eq!(
            v.str("{byok:sh} print-key --profile {profile:sh}").unwrap(),
            "'/opt/my tools/byok' print-key --profile 'it'\\''s'"
        );
        assert_eq!(names("{byok:sh} {env:X} {a:shx}"), ["byok"]);
        assert_eq!(v.str("{env:sh}"), Err(Unset("env".into())));
    }

    #[test]
    fn values_fill_strings_and_keys_only() {
        let mut v = Vars::default();
        v.set("model", Some("gpt\"4".into()));
        let t: toml::Value =
            toml::from_str("x = { \"{model}\" = { name = \"{model}\", n = 1 } }").unwrap();
        assert_eq!(
            v.value(&t["x"]).unwrap(),
            serde_json::json!({"gpt\"4": {"name": "gpt\"4", "n": 1}})
        );
    }

    #[test]
    fn headers_render_in_each_form() {
        let mut v = Vars::default();
        let h = |name: &str, value: HeaderValue| Header {
            name: name.into(),
            value,
            secret: name.contains("key"),
        };
        v.set_headers(
            vec![
                h("x-team", HeaderValue::Plain("blue".into())),
                h(
                    "cf-aig-authorization",
                    HeaderValue::FromVar {
                        var: "CF".into(),
                        value: Some("tok".into()),
                    },
                ),
                h("x-portkey-api-key", HeaderValue::Plain("pk".into())),
            ],
            Some("{env:{var}}".into()),
        );
        let form = |v: &Vars, s: &str| v.value(&toml::Value::String(s.into()));
        assert_eq!(
            form(&v, "{headers}").unwrap(),
            serde_json::json!({"x-team": "blue", "cf-aig-authorization": "{env:CF}", "x-portkey-api-key": "pk"})
        );
        assert_eq!(
            form(&v, "{headers:plain}").unwrap(),
            serde_json::json!({"x-team": "blue", "x-portkey-api-key": "pk"})
        );
        assert_eq!(
            form(&v, "{headers:vars}").unwrap(),
            serde_json::json!({"cf-aig-authorization": "CF"})
        );
        assert_eq!(
            form(&v, "{headers:lines}").unwrap(),
            "x-team: blue\ncf-aig-authorization: tok\nx-portkey-api-key: pk"
        );
        assert_eq!(
            form(&v, "{headers:commas}").unwrap(),
            "x-team: blue, cf-aig-authorization: tok, x-portkey-api-key: pk"
        );
        assert_eq!(v.header_secrets(), ["pk"]);
        // A variable not set is named where its value is needed.
        v.headers[1].value = HeaderValue::FromVar {
            var: "CF".into(),
            value: None,
        };
        assert_eq!(form(&v, "{headers:lines}"), Err(Unset("$CF".into())));
        assert!(form(&v, "{headers}").is_ok());
        // No headers: a whole value is unset, a table leaves the field (and itself) out.
        v.set_headers(Vec::new(), None);
        assert_eq!(form(&v, "{headers}"), Err(Unset("headers".into())));
        let t: toml::Value =
            toml::from_str("x = { a = \"1\", h = \"{headers}\", g = { h = \"{headers}\" } }")
                .unwrap();
        assert_eq!(v.value(&t["x"]).unwrap(), serde_json::json!({"a": "1"}));
    }

    #[test]
    fn paths_start_at_a_root() {
        assert!(check_path("{home}/.x", &[]).is_ok());
        assert!(check_path("~/.x", &[]).is_ok());
        assert!(check_path("{kilo}/kilo.json", &["kilo"]).is_ok());
        assert!(check_path("/etc/passwd", &[]).is_err());
        assert!(check_path("{home}/../x", &[]).is_err());
        assert!(check_path("{home}/{model}.json", &[]).is_err());
    }
}
