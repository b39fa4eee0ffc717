//! `byok run`'s core: a tool's one-process override (`[run]` in its template) turned
//! into the child's program, arguments, variables and temporary files, and into the
//! one-liner `byok run --print` shows. Pure: the command creates the temporary
//! directory, writes the files and starts the tool.
//!
//! The key never goes on the command line (`[run] args` can't hold it, checked at
//! load), because every user of the machine can read a process's argv.

use std::path::Path;

use crate::env::Os;
use crate::profile::AnthropicAuth;
use crate::templates::render::{Unset, Vars};
use crate::templates::{self, KeyModeName, RUN_CONTENT, Template};

/// One variable of the child's environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    /// This text.
    Text(String),
    /// The value of byok's own variable of this name (`{ var = "{key_env}" }`), so a
    /// printed line references it instead of showing the key.
    FromVar(String),
}

/// What to start, and how.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Planned {
    /// The program, as named in the template (looked up on PATH by the command).
    pub program: String,
    /// Arguments before the user's.
    pub args: Vec<String>,
    /// Variables set, in order (a later one of the same name wins).
    pub set: Vec<(String, Setting)>,
    /// Variables taken out of the inherited environment.
    pub unset: Vec<String>,
    /// Files for the private temporary directory: `(name, content)`.
    pub files: Vec<(String, String)>,
}

/// Why a run can't be planned (the command turns it into a message with a next step).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The template has no `[run]`.
    NoOverride,
    /// The profile lacks a value the override needs (`model`, `key` …).
    Missing(String),
    /// Setup would write nothing to a referenced file for this profile.
    Empty(String),
}

/// Plans a run. `render` gives a fresh rendering of one of the template's files (what
/// setup would create on an empty home) in `form`; `temp_dir` is where `{file:ID}`
/// files go (only its path is used here).
pub fn plan(
    t: &Template,
    vars: &Vars,
    form: KeyModeName,
    auth: AnthropicAuth,
    os: Os,
    render: &mut dyn FnMut(&str) -> anyhow::Result<Option<String>>,
    temp_dir: &Path,
) -> anyhow::Result<Result<Planned, Problem>> {
    let Some(run) = &t.run else {
        return Ok(Err(Problem::NoOverride));
    };
    let mut out = Planned {
        program: run
            .program
            .clone()
            .or_else(|| t.detect.binaries.first().cloned())
            .unwrap_or_else(|| t.id.clone()),
        ..Planned::default()
    };
    let missing = |Unset(name)| Problem::Missing(name);
    // Fills `{file:ID}` and `{content:ID}`, then the profile's placeholders.
    let mut fill = |s: &str, out: &mut Planned| -> anyhow::Result<Result<String, Problem>> {
        let mut text = String::new();
        let mut last = 0;
        for (start, end, kind, id) in templates::run_refs(s) {
            let Some(content) = render(id)? else {
                return Ok(Err(Problem::Empty(id.to_string())));
            };
            let before = match vars.str(&s[last..start]) {
                Ok(x) => x,
                Err(e) => return Ok(Err(missing(e))),
            };
            text.push_str(&before);
            if kind == RUN_CONTENT {
                text.push_str(&content);
            } else {
                let name = id.to_string();
                text.push_str(&temp_dir.join(&name).display().to_string());
                if !out.files.iter().any(|(n, _)| *n == name) {
                    out.files.push((name, content));
                }
            }
            last = end;
        }
        Ok(vars
            .str(&s[last..])
            .map(|rest| text + &rest)
            .map_err(missing))
    };
    if run.exports {
        for x in t
            .exports
            .iter()
            .filter(|x| x.auth.is_none_or(|a| a == auth))
        {
            if x.modes.as_ref().is_some_and(|m| !m.contains(&form)) {
                continue;
            }
            let Some(v) = x.variant(form) else {
                continue;
            };
            // The profile's headers (`{headers:lines}`): set when it has some.
            if v.as_str()
                .and_then(templates::render::headers_form)
                .is_some()
            {
                match vars.value(v) {
                    Ok(serde_json::Value::String(text)) => {
                        out.set.push((x.name.clone(), Setting::Text(text)));
                    }
                    Err(e) if e.0 != "headers" => return Ok(Err(missing(e))),
                    _ => {}
                }
                continue;
            }
            match export_setting(v, vars, os) {
                Ok(Some(s)) => out.set.push((x.name.clone(), s)),
                Ok(None) => out.unset.push(x.name.clone()),
                Err(e) => return Ok(Err(missing(e))),
            }
        }
    }
    for (name, v) in &run.env {
        let Some(s) = v.as_str() else { continue };
        match fill(s, &mut out)? {
            Ok(text) => out.set.push((name.clone(), Setting::Text(text))),
            Err(p) => return Ok(Err(p)),
        }
    }
    for a in &run.args {
        match fill(a, &mut out)? {
            Ok(text) => out.args.push(text),
            Err(p) => return Ok(Err(p)),
        }
    }
    for name in &run.unset {
        if !out.unset.contains(name) {
            out.unset.push(name.clone());
        }
    }
    let set = out.set.clone();
    out.unset.retain(|u| !set.iter().any(|(n, _)| n == u));
    Ok(Ok(out))
}

/// An `[[export]]` value as a setting; `None` for `{ unset = true }`.
fn export_setting(v: &toml::Value, vars: &Vars, os: Os) -> Result<Option<Setting>, Unset> {
    Ok(match v {
        toml::Value::String(s) => Some(Setting::Text(vars.str(s)?)),
        toml::Value::Table(t) => match t.iter().next() {
            Some((k, toml::Value::String(s))) if k == "var" => Some(Setting::FromVar(vars.str(s)?)),
            Some((k, toml::Value::Array(words))) if k == "command" => {
                let words = words
                    .iter()
                    .filter_map(toml::Value::as_str)
                    .map(|w| vars.str(w))
                    .collect::<Result<Vec<_>, _>>()?;
                let words: Vec<&str> = words.iter().map(String::as_str).collect();
                Some(Setting::Text(templates::env::command_line(&words, os)))
            }
            _ => None,
        },
        _ => None,
    })
}

/// How the key shows in a printed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyShown {
    /// A reference to the variable holding it: `"$GW_KEY"`.
    Var(String),
    /// This text (the key masked, or with `--show-key` the key).
    Text(String),
}

/// The one-liner for a terminal, a script or a tmux binding, POSIX shell syntax:
/// `env -u STALE VAR='…' … program args…`. `planned` was planned with `sentinel` as
/// the key, so each place the key is in becomes `key`.
pub fn one_liner(
    planned: &Planned,
    user_args: &[String],
    sentinel: &str,
    key: &KeyShown,
) -> String {
    let word = |text: &str| -> String {
        let parts: Vec<&str> = text.split(sentinel).collect();
        let mut out = String::new();
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                match key {
                    KeyShown::Var(v) => out.push_str(&format!("\"${v}\"")),
                    KeyShown::Text(t) => out.push_str(&plain_or_quoted(t)),
                }
            }
            if !part.is_empty() || parts.len() == 1 {
                out.push_str(&plain_or_quoted(part));
            }
        }
        out
    };
    let mut words = vec!["env".to_string()];
    for u in &planned.unset {
        words.push(format!("-u {u}"));
    }
    // The last setting of a name is the one the tool sees.
    let mut sets: Vec<(&String, &Setting)> = Vec::new();
    for (name, s) in &planned.set {
        sets.retain(|(n, _)| *n != name);
        sets.push((name, s));
    }
    for (name, s) in sets {
        let value = match s {
            Setting::Text(t) => word(t),
            Setting::FromVar(v) => format!("\"${v}\""),
        };
        words.push(format!("{name}={value}"));
    }
    words.push(plain_or_quoted(&planned.program));
    words.extend(planned.args.iter().map(|a| word(a)));
    if !user_args.is_empty() {
        words.extend(user_args.iter().map(|a| plain_or_quoted(a)));
    }
    words.join(" ")
}

/// A word as it is when the shell reads it back unchanged, else single-quoted.
fn plain_or_quoted(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c));
    if plain {
        s.to_string()
    } else {
        crate::shell::Shell::Sh.quote(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(run: &str) -> Template {
        let text = format!(
            "id = \"x\"\nname = \"X\"\nverified = \"X 1.0, by hand\"\n[detect]\nbinaries = [\"xtool\"]\n[[file]]\nid = \"s.json\"\npath = \"{{home}}/s.json\"\nformat = \"json\"\n[[file.value]]\nkey = \"k\"\nvalue = \"{{key}}\"\n{run}"
        );
        templates::parse("t.toml", &text).unwrap()
    }

    fn vars() -> Vars {
        let mut v = Vars::default();
        v.set("key", Some("KEY".into()));
        v.set("model", Some("m 1".into()));
        v.set("openai_base", Some("http://gw/v1".into()));
        v
    }

    fn planned(t: &Template) -> Result<Planned, Problem> {
        let mut render = |id: &str| Ok(Some(format!("<{id} KEY>")));
        plan(
            t,
            &vars(),
            KeyModeName::Literal,
            AnthropicAuth::Bearer,
            Os::Linux,
            &mut render,
            Path::new("/tmp/d"),
        )
        .unwrap()
    }

    #[test]
    fn env_args_files_and_unset_are_planned() {
        let t = template(
            "[run]\nargs = [\"--settings\", \"{file:s.json}\", \"--model\", \"{model}\"]\nunset = [\"OLD\", \"X_KEY\"]\n[run.env]\nX_KEY = \"{key}\"\nX_CONF = \"{content:s.json}\"\n",
        );
        let p = planned(&t).unwrap();
        assert_eq!(p.program, "xtool");
        assert_eq!(p.args, ["--settings", "/tmp/d/s.json", "--model", "m 1"]);
        assert_eq!(
            p.set,
            [
                ("X_KEY".to_string(), Setting::Text("KEY".into())),
                ("X_CONF".to_string(), Setting::Text("<s.json KEY>".into())),
            ]
        );
        assert_eq!(p.unset, ["OLD"]);
        assert_eq!(
            p.files,
            [("s.json".to_string(), "<s.json KEY>".to_string())]
        );
        assert_eq!(
            one_liner(
                &p,
                &["-p".into(), "hi there".into()],
                "KEY",
                &KeyShown::Var("GW".into())
            ),
            "env -u OLD X_KEY=\"$GW\" X_CONF='<s.json '\"$GW\"'>' xtool --settings /tmp/d/s.json --model 'm 1' -p 'hi there'"
        );
    }

    #[test]
    fn a_key_on_the_command_line_is_a_load_error() {
        let bad = |run: &str| {
            let text = format!(
                "id = \"x\"\nname = \"X\"\nverified = \"X 1.0, by hand\"\n[detect]\nbinaries = [\"x\"]\n{run}"
            );
            templates::parse("t.toml", &text).unwrap_err().message
        };
        assert!(bad("[run]\nargs = [\"--key={key}\"]\n").contains("can't hold {key}"));
        assert!(bad("[run]\nargs = [\"{file:nope}\"]\n").contains("names no file"));
        assert!(bad("[run]\nunset = [\"A B\"]\n").contains("not a variable name"));
    }

    #[test]
    fn a_missing_model_is_named() {
        let t = template("[run]\nargs = [\"{small_model}\"]\n");
        assert_eq!(planned(&t), Err(Problem::Missing("small_model".into())));
    }
}
