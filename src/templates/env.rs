//! The shell exports as data: `templates/env.toml` says which variables `byok env`
//! sets and to what; [`crate::shell`] keeps the shell syntax and quoting.
//!
//! This is its own small format, not a tool template: `byok env` runs at every shell
//! start-up, so it parses only this file (embedded, about 2 kB), never the tool
//! templates. Placeholders are the tool templates' (`{openai_base}`, `{key}`, …),
//! filled by the same [`Vars`]. A variable name is printed unquoted into shell code, so
//! loading checks every name; a key variable is referenced, never expanded by byok.

use serde::Deserialize;

use super::TemplateError;
use super::render::{self, Unset, Vars};
use crate::profile::{AnthropicAuth, Gateway, KeySource};

/// The embedded `templates/env.toml`.
pub const TEXT: &str = include_str!("../../templates/env.toml");

/// The parsed exports template.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EnvTemplate {
    /// The variables, in output order.
    #[serde(rename = "export")]
    pub exports: Vec<Export>,
}

/// One variable and the value it gets.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Export {
    /// The variable's name (letters, digits and `_`, not starting with a digit).
    pub name: String,
    /// Only for profiles with this Anthropic auth style.
    pub auth: Option<AnthropicAuth>,
    /// The value in every key mode.
    pub value: Option<String>,
    /// The value when the profile stores the key itself.
    pub literal: Option<String>,
    /// The name of the variable to reference when the profile reads its key from one.
    pub env: Option<String>,
    /// Remove the variable instead.
    #[serde(default)]
    pub unset: bool,
}

/// An export's value for one profile: what [`crate::shell`] turns into shell syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A literal string.
    Literal(String),
    /// The value of another environment variable, by name.
    FromVar(String),
    /// Remove the variable.
    Unset,
}

/// Whether `s` can be printed unquoted as a variable name in every shell byok writes.
pub fn is_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses and checks an exports template; errors name `origin`, line and column.
pub fn parse(origin: &str, text: &str) -> Result<EnvTemplate, TemplateError> {
    let at = |offset: usize, message: String| super::error_at(origin, text, offset, message);
    let t: EnvTemplate = super::from_toml(origin, text)?;
    // Semantic mistakes point at the entry's `name = "…"` line.
    for (i, x) in t.exports.iter().enumerate() {
        check(x).map_err(|m| {
            // Found only when there is something to report: the i-th entry's name, after
            // the earlier entries' names (a name may repeat, as ANTHROPIC_API_KEY does).
            let mut offset = 0;
            for (j, earlier) in t.exports[..=i].iter().enumerate() {
                let from = if j == 0 { 0 } else { offset + 1 };
                let needle = format!("\"{}\"", earlier.name);
                offset = text[from..].find(&needle).map_or(offset, |o| from + o);
            }
            at(offset, m)
        })?;
    }
    Ok(t)
}

fn check(x: &Export) -> Result<(), String> {
    let name = &x.name;
    if !is_var_name(name) {
        return Err(format!(
            "`{name}` is not a variable name: use letters, digits and `_`, not starting with a digit"
        ));
    }
    let per_mode = x.literal.is_some() || x.env.is_some();
    match (x.unset, x.value.is_some(), per_mode) {
        (true, false, false) | (false, true, false) | (false, false, true) => {}
        (false, false, false) => {
            return Err(format!(
                "`{name}` has no value: give `value`, `literal` and `env`, or `unset = true`"
            ));
        }
        _ => {
            return Err(format!(
                "`{name}`: give only one of `value`, `literal`/`env` or `unset = true`"
            ));
        }
    }
    for text in [&x.value, &x.literal].into_iter().flatten() {
        render::check_text(text, &[])?;
        // Names and paths of this machine have no business in an export.
        if let Some(n) = render::names(text)
            .into_iter()
            .find(|n| !render::GATEWAY.contains(n))
        {
            return Err(format!(
                "`{name}` uses `{{{n}}}`: exports take profile values only"
            ));
        }
    }
    if let Some(env) = &x.env {
        // The reference is printed unquoted (`${VAR}`), so it must stay a bare name.
        if env != "{key_env}" && !is_var_name(env) {
            return Err(format!(
                "`{name}`: `env` names the variable to reference: `{{key_env}}` or a variable name"
            ));
        }
    }
    Ok(())
}

/// The built-in exports template, from the constants build.rs made of it; the TOML is
/// read only when build.rs could not make them (then its mistake is reported). A unit
/// test proves the constants give exactly what parsing and checking the TOML gives.
pub fn builtin() -> Result<EnvTemplate, TemplateError> {
    super::env_exports()
        .and_then(from_pairs)
        .map_or_else(|| parse("templates/env.toml", TEXT), Ok)
}

/// The template from each export's (field, value) pairs; `None` on anything unexpected.
fn from_pairs(exports: &[&[(&str, &str)]]) -> Option<EnvTemplate> {
    let mut out = Vec::with_capacity(exports.len());
    for fields in exports {
        let mut x = Export {
            name: String::new(),
            auth: None,
            value: None,
            literal: None,
            env: None,
            unset: false,
        };
        for (field, v) in *fields {
            let v = (*v).to_string();
            match *field {
                "name" => x.name = v,
                "auth" => x.auth = Some(AnthropicAuth::from_name(&v)?),
                "value" => x.value = Some(v),
                "literal" => x.literal = Some(v),
                "env" => x.env = Some(v),
                "unset" => x.unset = v == "true",
                _ => return None,
            }
        }
        out.push(x);
    }
    Some(EnvTemplate { exports: out })
}

/// What `byok env` exports for a profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exports {
    /// The variables, in order.
    pub vars: Vec<(String, Value)>,
    /// The variables left out because they would hold a key byok must fetch (from the OS
    /// credential store or a key command), by name.
    pub left_out: Vec<String>,
}

impl EnvTemplate {
    /// The variables a profile exports, in order: entries for another auth style, and
    /// entries whose placeholders have no value for this profile, are left out. A key
    /// kept in the OS credential store or printed by a command is read only with
    /// `fetch_key` (a password manager may prompt): without it, the variables that
    /// would hold it are left out and named in [`Exports::left_out`].
    pub fn exports(&self, gw: &Gateway, fetch_key: bool) -> Exports {
        let vars = Vars::gateway(gw);
        let key_in_var = matches!(gw.key, KeySource::Env { .. });
        let fetched = matches!(gw.key, KeySource::Fetched(_));
        let mut out = Exports::default();
        for x in &self.exports {
            if x.auth.is_some_and(|a| a != gw.anthropic_auth) {
                continue;
            }
            let value = if x.unset {
                Ok(Value::Unset)
            } else if let (true, Some(var)) = (key_in_var, &x.env) {
                vars.str(var).map(Value::FromVar)
            } else if let Some(text) = x.value.as_ref().or(x.literal.as_ref()) {
                if fetched && !fetch_key && render::names(text).contains(&"key") {
                    out.left_out.push(x.name.clone());
                    continue;
                }
                vars.str(text).map(Value::Literal)
            } else {
                // Only `env` is given and the key is stored: nothing to reference.
                Err(Unset("key_env".into()))
            };
            if let Ok(v) = value {
                out.vars.push((x.name.clone(), v));
            }
        }
        out
    }

    /// Every name the template may set, once each, in order (for `byok env --unset`).
    pub fn names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for x in &self.exports {
            if !out.contains(&x.name.as_str()) {
                out.push(&x.name);
            }
        }
        out
    }
}

/// The exports of the tools set up with byok, from byok's state file (the text of
/// `exports.toml`: a table per tool, a value per variable, as
/// [`super::exports_file`] has setup write them), in file order. The file is byok's but
/// may have been edited by hand, so every name is checked again before it reaches shell
/// code; the error says which.
pub fn tool_exports(text: &str, os: crate::env::Os) -> Result<Vec<(String, Value)>, String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| e.message().trim().to_string())?;
    let mut out = Vec::new();
    for (tool, vars) in &table {
        let toml::Value::Table(vars) = vars else {
            return Err(format!("`{tool}` is not a table"));
        };
        for (name, v) in vars {
            if !is_var_name(name) {
                return Err(format!("`{tool}.{name}` is not a variable name"));
            }
            out.push((
                name.clone(),
                stored(v, os)
                    .ok_or_else(|| format!("`{tool}.{name}` has a value byok does not write"))?,
            ));
        }
    }
    Ok(out)
}

/// One stored export: a string, `{ var }`, `{ command }` or `{ unset = true }`.
fn stored(v: &toml::Value, os: crate::env::Os) -> Option<Value> {
    match v {
        toml::Value::String(s) => Some(Value::Literal(s.clone())),
        toml::Value::Table(t) if t.len() == 1 => match t.iter().next()? {
            (k, toml::Value::String(var)) if k == "var" && is_var_name(var) => {
                Some(Value::FromVar(var.clone()))
            }
            (k, toml::Value::Array(words)) if k == "command" => {
                let words: Option<Vec<&str>> = words.iter().map(toml::Value::as_str).collect();
                Some(Value::Literal(command_line(&words?, os)))
            }
            (k, toml::Value::Boolean(true)) if k == "unset" => Some(Value::Unset),
            _ => None,
        },
        _ => None,
    }
}

/// A command line the tool hands to the OS's shell: each word as it is when it needs no
/// quotes, else quoted (POSIX single quotes; on Windows double quotes, which cmd and
/// PowerShell both read).
pub fn command_line(words: &[&str], os: crate::env::Os) -> String {
    let plain = |w: &str| {
        !w.is_empty()
            && w.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || "_-./:=@%+,".contains(c)
                    || (c == '\\' && os == crate::env::Os::Windows)
            })
    };
    words
        .iter()
        .map(|w| match (plain(w), os) {
            (true, _) => (*w).to_string(),
            (false, crate::env::Os::Windows) => format!("\"{}\"", w.replace('"', "\"\"")),
            (false, _) => format!("'{}'", w.replace('\'', r"'\''")),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base_url::BaseUrl;
    use crate::secret::ApiKey;

    fn gateway(key: KeySource, auth: AnthropicAuth, models: bool) -> Gateway {
        Gateway {
            name: "work".into(),
            base: BaseUrl::parse("https://gw.example.com/v1").unwrap().url,
            openai_base: "https://gw.example.com/v1".into(),
            anthropic_base: "https://gw.example.com".into(),
            key,
            model: models.then(|| "gpt-4o".into()),
            anthropic_model: models.then(|| "claude-sonnet-4-5".into()),
            small_model: models.then(|| "claude-haiku-4-5".into()),
            anthropic_auth: auth,
            headers: Default::default(),
        }
    }

    fn lit(s: &str) -> Value {
        Value::Literal(s.into())
    }

    #[test]
    fn the_builtin_parses_and_every_variable_renders() {
        let t = builtin().unwrap_or_else(|e| panic!("{e}"));
        // What a start reads (build.rs's constants, unchecked) is the checked TOML.
        let checked = parse("templates/env.toml", TEXT).unwrap_or_else(|e| panic!("{e}"));
        let compiled = super::super::env_exports().and_then(from_pairs);
        assert_eq!(compiled.as_ref(), Some(&checked));
        assert_eq!(t, checked);
        let key = KeySource::Literal(ApiKey::new("sk-test-0123456789"));
        let mut rendered = Vec::new();
        for auth in [AnthropicAuth::Bearer, AnthropicAuth::XApiKey] {
            let gw = gateway(key.clone(), auth, true);
            rendered.extend(t.exports(&gw, false).vars.into_iter().map(|(n, _)| n));
        }
        for name in t.names() {
            assert!(rendered.iter().any(|n| n == name), "{name} never renders");
        }
        let gw = gateway(key, AnthropicAuth::Bearer, true);
        assert_eq!(
            t.exports(&gw, false).vars,
            [
                ("OPENAI_BASE_URL".into(), lit("https://gw.example.com/v1")),
                ("OPENAI_API_BASE".into(), lit("https://gw.example.com/v1")),
                ("OPENAI_API_KEY".into(), lit("sk-test-0123456789")),
                ("ANTHROPIC_BASE_URL".into(), lit("https://gw.example.com")),
                ("ANTHROPIC_AUTH_TOKEN".into(), lit("sk-test-0123456789")),
                ("ANTHROPIC_API_KEY".into(), Value::Unset),
                ("ANTHROPIC_MODEL".into(), lit("claude-sonnet-4-5")),
                (
                    "ANTHROPIC_DEFAULT_HAIKU_MODEL".into(),
                    lit("claude-haiku-4-5")
                ),
                ("ANTHROPIC_SMALL_FAST_MODEL".into(), lit("claude-haiku-4-5")),
            ]
        );
    }

    #[test]
    fn a_key_in_a_variable_is_referenced_and_missing_models_are_left_out() {
        let t = builtin().unwrap();
        let key = KeySource::Env {
            var: "GW_KEY".into(),
            value: Some(ApiKey::new("sk-test-0123456789")),
        };
        let gw = gateway(key, AnthropicAuth::XApiKey, false);
        let from = || Value::FromVar("GW_KEY".into());
        assert_eq!(
            t.exports(&gw, false).vars,
            [
                ("OPENAI_BASE_URL".into(), lit("https://gw.example.com/v1")),
                ("OPENAI_API_BASE".into(), lit("https://gw.example.com/v1")),
                ("OPENAI_API_KEY".into(), from()),
                ("ANTHROPIC_BASE_URL".into(), lit("https://gw.example.com")),
                ("ANTHROPIC_API_KEY".into(), from()),
                ("ANTHROPIC_AUTH_TOKEN".into(), Value::Unset),
            ]
        );
    }

    /// A key in the credential store or behind a command is never read for `byok env`
    /// unless asked: its variables are left out and named; the unset of the other
    /// Anthropic variable stays.
    #[test]
    fn a_fetched_key_is_left_out_unless_asked_for() {
        let t = builtin().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ran = dir.path().join("ran");
        let fetched = crate::keystore::Fetched::command(&format!("touch {}", ran.display()));
        let gw = gateway(KeySource::Fetched(fetched), AnthropicAuth::Bearer, false);
        let out = t.exports(&gw, false);
        assert_eq!(
            out.vars,
            [
                ("OPENAI_BASE_URL".into(), lit("https://gw.example.com/v1")),
                ("OPENAI_API_BASE".into(), lit("https://gw.example.com/v1")),
                ("ANTHROPIC_BASE_URL".into(), lit("https://gw.example.com")),
                ("ANTHROPIC_API_KEY".into(), Value::Unset),
            ]
        );
        assert_eq!(out.left_out, ["OPENAI_API_KEY", "ANTHROPIC_AUTH_TOKEN"]);
        assert!(!ran.exists(), "the key command ran");
    }

    #[test]
    fn names_are_each_variable_once_in_order() {
        assert_eq!(
            builtin().unwrap().names(),
            [
                "OPENAI_BASE_URL",
                "OPENAI_API_BASE",
                "OPENAI_API_KEY",
                "ANTHROPIC_BASE_URL",
                "ANTHROPIC_AUTH_TOKEN",
                "ANTHROPIC_API_KEY",
                "ANTHROPIC_MODEL",
                "ANTHROPIC_DEFAULT_HAIKU_MODEL",
                "ANTHROPIC_SMALL_FAST_MODEL",
            ]
        );
    }

    fn err(text: &str) -> String {
        parse("env.toml", text).unwrap_err().to_string()
    }

    #[test]
    fn mistakes_are_named_with_their_position() {
        assert_eq!(
            err("[[export]]\nname = \"A\"\nvalue = \"{modle}\"\n"),
            "env.toml:2:8: unknown placeholder `{modle}`; known: {openai_base}, {root}, {anthropic_base}, {key}, {key_env}, {model}, {anthropic_model}, {small_model}, {profile}, {byok}, {home}, {xdg_config}, {config}, {appdata}, {localappdata}, {data}"
        );
        assert_eq!(
            err("[[export]]\nname = \"A\"\nvalue = \"{home}\"\n"),
            "env.toml:2:8: `A` uses `{home}`: exports take profile values only"
        );
        assert_eq!(
            err(
                "[[export]]\nname = \"A\"\nvalue = \"x\"\n[[export]]\nname = \"B; id\"\nunset = true\n"
            ),
            "env.toml:5:8: `B; id` is not a variable name: use letters, digits and `_`, not starting with a digit"
        );
        assert_eq!(
            err("[[export]]\nname = \"A\"\nvalue = \"x\"\nunset = true\n"),
            "env.toml:2:8: `A`: give only one of `value`, `literal`/`env` or `unset = true`"
        );
        assert_eq!(
            err("[[export]]\nname = \"A\"\n"),
            "env.toml:2:8: `A` has no value: give `value`, `literal` and `env`, or `unset = true`"
        );
        assert_eq!(
            err("[[export]]\nname = \"A\"\nenv = \"$(id)\"\n"),
            "env.toml:2:8: `A`: `env` names the variable to reference: `{key_env}` or a variable name"
        );
        assert_eq!(
            err("[[export]]\nname = \"A\"\nauth = \"basic\"\nunset = true\n"),
            "env.toml:3:8: unknown variant `basic`, expected `bearer` or `x-api-key`"
        );
    }

    #[test]
    fn tool_exports_read_byoks_state_file() {
        use crate::env::Os;
        let text = "# Copilot CLI\n[copilot-cli]\nA = \"x\"\nB = { var = \"GW_KEY\" }\n[copilot-cli.C]\ncommand = [\"/opt/my byok\", \"--profile\", \"it's\", \"print-key\"]\n[copilot-cli.D]\nunset = true\n";
        assert_eq!(
            tool_exports(text, Os::Linux).unwrap(),
            [
                ("A".into(), lit("x")),
                ("B".into(), Value::FromVar("GW_KEY".into())),
                (
                    "C".into(),
                    lit(r"'/opt/my byok' --profile 'it'\''s' print-key")
                ),
                ("D".into(), Value::Unset),
            ]
        );
        let win = tool_exports(
            &text.replace("/opt/my byok", r"C:\\b yok\\byok.exe"),
            Os::Windows,
        )
        .unwrap();
        assert_eq!(
            win[2].1,
            lit(r#""C:\b yok\byok.exe" --profile "it's" print-key"#)
        );
        // A hand edit never reaches shell code unchecked.
        assert_eq!(
            tool_exports("[t]\n\"A;id\" = \"x\"\n", Os::Linux).unwrap_err(),
            "`t.A;id` is not a variable name"
        );
        assert_eq!(
            tool_exports("[t]\nA = { var = \"$(id)\" }\n", Os::Linux).unwrap_err(),
            "`t.A` has a value byok does not write"
        );
    }
}
