//! Tool templates: each tool's knowledge as data (`templates/<id>.toml`), loaded,
//! checked and rendered here; [`crate::tools::generic`] is the engine that turns a
//! template into detection, plans, removal and drift tracking.
//!
//! The format is documented for users in `templates/README.md`. Built-in templates are
//! embedded from an explicit list ([`BUILTIN`]); a user's own files in
//! `<byok config dir>/templates/` add tools or replace a built-in that has no hook.
//!
//! Loading checks everything a later run would trip over (unknown fields, placeholders,
//! formats, key paths, roots) and names the template, line and column, so a broken user
//! template is reported once, up front, and never half-applied.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use crate::gateway::probe::Api;

pub mod env;
pub mod render;

/// The built-in templates, embedded at build time: `(file name, text)`.
pub const BUILTIN: &[(&str, &str)] = &[
    ("codex.toml", include_str!("../../templates/codex.toml")),
    (
        "opencode.toml",
        include_str!("../../templates/opencode.toml"),
    ),
    (
        "gemini-cli.toml",
        include_str!("../../templates/gemini-cli.toml"),
    ),
    ("kilo.toml", include_str!("../../templates/kilo.toml")),
    (
        "claude-code.toml",
        include_str!("../../templates/claude-code.toml"),
    ),
    (
        "qwen-code.toml",
        include_str!("../../templates/qwen-code.toml"),
    ),
    ("droid.toml", include_str!("../../templates/droid.toml")),
    ("pi.toml", include_str!("../../templates/pi.toml")),
    ("aider.toml", include_str!("../../templates/aider.toml")),
    (
        "copilot-cli.toml",
        include_str!("../../templates/copilot-cli.toml"),
    ),
    ("zed.toml", include_str!("../../templates/zed.toml")),
    (
        "copilot-chat.toml",
        include_str!("../../templates/copilot-chat.toml"),
    ),
    ("goose.toml", include_str!("../../templates/goose.toml")),
    ("crush.toml", include_str!("../../templates/crush.toml")),
    (
        "claude-desktop.toml",
        include_str!("../../templates/claude-desktop.toml"),
    ),
    (
        "jetbrains-ai.toml",
        include_str!("../../templates/jetbrains-ai.toml"),
    ),
    ("trae.toml", include_str!("../../templates/trae.toml")),
    ("warp.toml", include_str!("../../templates/warp.toml")),
    ("cursor.toml", include_str!("../../templates/cursor.toml")),
    (
        "roo-code.toml",
        include_str!("../../templates/roo-code.toml"),
    ),
    (
        "kilo-code.toml",
        include_str!("../../templates/kilo-code.toml"),
    ),
    ("cline.toml", include_str!("../../templates/cline.toml")),
    (
        "continue.toml",
        include_str!("../../templates/continue.toml"),
    ),
];

/// One tool's template, as written.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// The CLI spelling (`byok setup <id>`): lowercase letters, digits and `-`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Links to the tool's docs and source that the template rests on.
    #[serde(default)]
    pub docs: Vec<String>,
    /// The tool version (and date) this template was checked against, and how.
    pub verified: String,
    /// A named piece of code for what data can't say (see `tools::generic::Hook`);
    /// only built-in templates may name one.
    pub hook: Option<String>,
    /// The wire APIs the tool calls as byok sets it up (doctor probes these).
    #[serde(default)]
    pub apis: Vec<ApiSpec>,
    /// Named directories, with an env-var override and per-OS defaults.
    #[serde(default)]
    pub roots: BTreeMap<String, Root>,
    /// How to tell the tool is installed.
    #[serde(default)]
    pub detect: Detect,
    /// The files byok writes, in order.
    #[serde(default, rename = "file")]
    pub files: Vec<FileSpec>,
    /// Things worth knowing after setup (placeholders allowed).
    #[serde(default)]
    pub notes: Vec<String>,
    /// Steps byok cannot do (placeholders allowed; `{key}` is masked unless asked).
    #[serde(default)]
    pub manual: Vec<String>,
    /// Variables the tool reads from the environment, which join `byok env` once the
    /// tool is set up (kept in byok's state file [`EXPORTS_PATH`], see [`exports_file`]).
    #[serde(default, rename = "export")]
    pub exports: Vec<ExportSpec>,
    /// How `byok run` starts the tool on a profile for one process, files untouched.
    pub run: Option<RunSpec>,
    /// How `byok doctor --live` runs the tool once (none: not testable live).
    pub live: Option<Live>,
    /// Why the tool can't be run once (an editor, an extension), for a template without
    /// `[live]`; doctor says it on the tool's "not testable live" line.
    pub not_live: Option<String>,
    /// The tool's project-level file (`byok setup --project`).
    pub project: Option<ProjectSpec>,
    /// Files the tool reads from a project over the user's settings, highest precedence
    /// first (`byok detect` and `byok doctor` say which of them wins there).
    #[serde(default, rename = "project_file")]
    pub project_files: Vec<ProjectFileSpec>,
    /// How the tool takes a header read from a variable (`{headers}` values).
    pub headers: Option<HeadersSpec>,
}

/// `[headers]`: what the `{headers…}` values need beyond the profile's headers.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HeadersSpec {
    /// How the tool references a variable in a header's value, `{var}` standing for its
    /// name (OpenCode's `{env:{var}}`), for `{headers}`; without it a header the profile
    /// reads from a variable is written as that variable's value.
    pub env: Option<String>,
}

/// Checks `[headers]` and where the profile's headers go; the error carries text to
/// locate it by.
fn check_headers(t: &Template) -> Result<(), (Option<String>, String)> {
    let forms = |v: &ValueSpec| -> Vec<render::HeadersForm> {
        [&v.value, &v.literal, &v.env, &v.helper]
            .into_iter()
            .flatten()
            .flat_map(headers_forms)
            .collect()
    };
    for f in &t.files {
        for v in &f.values {
            let used = forms(v);
            let table = used.iter().any(|x| x.separator().is_none());
            if table && f.format == Format::Dotenv {
                return Err((
                    Some(format!("key = \"{}\"", v.key)),
                    format!(
                        "`{}`: a dotenv value is a string: use {{headers:lines}} or {{headers:commas}}",
                        v.key
                    ),
                ));
            }
            if table && f.id == EXPORTS_FILE {
                let name = v.key.rsplit('.').next().unwrap_or(&v.key);
                return Err((
                    Some(format!("name = \"{name}\"")),
                    format!(
                        "export `{name}`: a variable holds a string: use {{headers:lines}} or {{headers:commas}}"
                    ),
                ));
            }
        }
    }
    let Some(reference) = t.headers.as_ref().and_then(|h| h.env.as_deref()) else {
        return Ok(());
    };
    let at = Some("[headers]".to_string());
    if !reference.contains("{var}") || !render::names(&reference.replace("{var}", "")).is_empty() {
        return Err((
            at,
            format!(
                "[headers] env `{reference}` must hold `{{var}}` (the variable's name) and no other placeholder"
            ),
        ));
    }
    let uses_table = t
        .files
        .iter()
        .flat_map(|f| &f.values)
        .any(|v| forms(v).contains(&render::HeadersForm::Table));
    if !uses_table {
        return Err((
            at,
            "[headers] env is for `{headers}` values, and this template has none".to_string(),
        ));
    }
    Ok(())
}

/// The headers forms a value holds (as a whole, or as a field of a table or list).
fn headers_forms(v: &toml::Value) -> Vec<render::HeadersForm> {
    match v {
        toml::Value::String(s) => render::headers_form(s).into_iter().collect(),
        toml::Value::Array(a) => a.iter().flat_map(headers_forms).collect(),
        toml::Value::Table(t) => t.values().flat_map(headers_forms).collect(),
        _ => Vec::new(),
    }
}

impl ValueSpec {
    /// Whether it holds the profile's extra headers (a `{headers…}` form) in some
    /// variant, or (with `form`) in the variant written in that key form.
    pub fn holds_headers(&self, form: Option<KeyModeName>) -> bool {
        let variants: Vec<&toml::Value> = match form {
            Some(f) => self.variant(f).into_iter().collect(),
            None => [&self.value, &self.literal, &self.env, &self.helper]
                .into_iter()
                .flatten()
                .collect(),
        };
        variants.into_iter().any(|x| !headers_forms(x).is_empty())
    }
}

impl ValueSpec {
    /// Takes the profile's extra headers out of it (a project file never holds them: a
    /// header's value may be a credential): a `{headers…}` field of a table goes with
    /// its key, the rest stays. `false` when nothing but headers was in it.
    pub fn strip_headers(&mut self) -> bool {
        /// Strips `v`; `true` when it held only headers (so it goes as a whole).
        fn strip(v: &mut toml::Value) -> bool {
            match v {
                toml::Value::String(s) => render::headers_form(s).is_some(),
                toml::Value::Array(a) => {
                    let had = !a.is_empty();
                    a.retain_mut(|x| !strip(x));
                    had && a.is_empty()
                }
                toml::Value::Table(t) => {
                    let had = !t.is_empty();
                    t.retain(|_, x| !strip(x));
                    had && t.is_empty()
                }
                _ => false,
            }
        }
        let mut any = false;
        for slot in [
            &mut self.value,
            &mut self.literal,
            &mut self.env,
            &mut self.helper,
        ] {
            if slot.as_mut().is_some_and(strip) {
                *slot = None;
            }
            any |= slot.is_some();
        }
        any
    }
}

impl Template {
    /// Whether setup gives the tool the profile's extra headers (a `{headers…}` value).
    pub fn sends_headers(&self) -> bool {
        self.files
            .iter()
            .flat_map(|f| &f.values)
            .any(|v| v.holds_headers(None))
    }
}

/// One wire API a template names: always called (`"chat"`), or only for a profile that
/// has a value of its own (`{ api = "messages", optional = "anthropic_model" }`: the
/// tool's Anthropic model entry, which byok writes only then).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiSpec {
    /// Always called.
    Always(Api),
    /// Called only when the profile sets `optional` itself.
    When {
        /// The API.
        api: Api,
        /// The profile value it needs (a placeholder name, no braces).
        optional: String,
    },
}

impl ApiSpec {
    /// The API.
    pub fn api(&self) -> Api {
        match self {
            Self::Always(a) | Self::When { api: a, .. } => *a,
        }
    }

    /// The profile value it needs, if any.
    pub fn needs(&self) -> Option<&str> {
        match self {
            Self::Always(_) => None,
            Self::When { optional, .. } => Some(optional),
        }
    }
}

// By hand rather than `untagged`, so a misspelt API keeps serde's "unknown variant"
// and its position.
impl<'de> Deserialize<'de> for ApiSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{self, value};
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct When {
            api: Api,
            optional: String,
        }
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = ApiSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an API name or `{ api = \"…\", optional = \"…\" }`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ApiSpec, E> {
                Api::deserialize(value::StrDeserializer::<E>::new(v)).map(ApiSpec::Always)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<ApiSpec, A::Error> {
                let w = When::deserialize(value::MapAccessDeserializer::new(map))?;
                Ok(ApiSpec::When {
                    api: w.api,
                    optional: w.optional,
                })
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// A tool's one-process override, as `[run]` says (`byok run TOOL`): variables and
/// arguments for that process only; the user's files are not written.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// The program to start (default: the first of `[detect] binaries`).
    pub program: Option<String>,
    /// Words put before the user's arguments. Never `{key}`: other users see argv.
    #[serde(default)]
    pub args: Vec<String>,
    /// Variables set for the tool (private to its process, so `{key}` may be here).
    #[serde(default)]
    pub env: toml::Table,
    /// Variables taken out of the tool's environment (stale ones that would win).
    #[serde(default)]
    pub unset: Vec<String>,
    /// The template's `[[export]]`s become the tool's variables too.
    #[serde(default)]
    pub exports: bool,
    /// The key mode `{file:ID}` and `{content:ID}` are rendered in (`helper`: a key
    /// command, so no key is written even to the temporary file).
    pub key_mode: Option<KeyModeName>,
}

/// `{file:ID}` in `[run]`: a fresh rendering of the template's file `ID`, as a 0600
/// temporary file, replaced by its path.
pub const RUN_FILE: &str = "file";
/// `{content:ID}` in `[run]`: a fresh rendering of the template's file `ID`, inline.
pub const RUN_CONTENT: &str = "content";

/// The `{file:ID}` and `{content:ID}` references in a `[run]` string, as
/// `(start, end, kind, id)` byte ranges, in order.
pub fn run_refs(s: &str) -> Vec<(usize, usize, &str, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = s[from..].find('{').map(|i| i + from) {
        let rest = &s[open + 1..];
        let hit = [RUN_FILE, RUN_CONTENT].into_iter().find_map(|kind| {
            let id_start = rest.strip_prefix(kind)?.strip_prefix(':')?;
            let close = id_start.find('}')?;
            Some((kind, &id_start[..close]))
        });
        match hit {
            Some((kind, id)) if !id.is_empty() && !id.contains('{') => {
                let end = open + 1 + kind.len() + 1 + id.len() + 1;
                out.push((open, end, kind, id));
                from = end;
            }
            _ => from = open + 1,
        }
    }
    out
}

/// Checks a template's `[run]`; the error carries text to locate it by.
fn check_run(t: &Template) -> Result<(), (Option<String>, String)> {
    let Some(run) = &t.run else {
        return Ok(());
    };
    let at = |s: &str| Some(s.to_string());
    if run.program.is_none() && t.detect.binaries.is_empty() {
        return Err((
            at("[run]"),
            "[run] needs `program` (or `[detect] binaries` to take the first of)".to_string(),
        ));
    }
    let roots: Vec<&str> = t.roots.keys().map(String::as_str).collect();
    let text = |s: &str| -> Result<(), (Option<String>, String)> {
        let mut plain = s.to_string();
        for (start, end, _, id) in run_refs(s).into_iter().rev() {
            if !t.files.iter().any(|f| f.id == id && f.hosts.is_none()) {
                return Err((
                    at(s),
                    format!("`{}` names no file of this template", &s[start..end]),
                ));
            }
            plain.replace_range(start..end, "");
        }
        render::check_text(&plain, &roots).map_err(|m| (at(s), m))
    };
    for a in &run.args {
        text(a)?;
        if render::names(a).contains(&"key") || run_refs(a).iter().any(|r| r.2 == RUN_CONTENT) {
            return Err((
                at(a),
                "`[run] args` can't hold {key} or {content:…}: other users see a command line (`ps`); pass the key in `[run.env]`".to_string(),
            ));
        }
    }
    for (name, v) in &run.env {
        if !env::is_var_name(name) {
            return Err((at(name), format!("`{name}` is not a variable name")));
        }
        match v {
            toml::Value::String(s) => text(s)?,
            _ => return Err((at(name), format!("`[run.env] {name}` must be a string"))),
        }
    }
    for name in &run.unset {
        if !env::is_var_name(name) {
            return Err((at(name), format!("`{name}` is not a variable name")));
        }
    }
    Ok(())
}

/// One variable a tool reads from the environment, by key mode, as `[[export]]` says.
/// Each variant is a string (placeholders filled), `{ var = "{key_env}" }` (a reference
/// the shell expands), `{ command = ["{byok}", …] }` (a command line, each word quoted
/// for the OS) or `{ unset = true }`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExportSpec {
    /// The variable's name (letters, digits and `_`, not starting with a digit).
    pub name: String,
    /// The value in every key mode.
    pub value: Option<toml::Value>,
    /// The value when the key itself is written.
    pub literal: Option<toml::Value>,
    /// The value when the profile keeps its key in an env var.
    pub env: Option<toml::Value>,
    /// The value with `--key-mode helper`.
    pub helper: Option<toml::Value>,
    /// The key modes it is exported in (all when not given).
    pub modes: Option<Vec<KeyModeName>>,
    /// Only for profiles with this Anthropic auth style.
    pub auth: Option<crate::profile::AnthropicAuth>,
}

/// The id of the file a template's exports live in: byok's own state file, one table
/// per tool (`[copilot-cli]`), which `byok env` reads at every shell start-up.
pub const EXPORTS_FILE: &str = "exports";
/// The placeholder of byok's state directory, which only the exports file uses.
pub const STATE_ROOT: &str = "byok_state";
/// Where the exports file is.
pub const EXPORTS_PATH: &str = "{byok_state}/exports.toml";
/// The exports file's name in byok's state directory (what `byok env` reads).
pub const EXPORTS_NAME: &str = "exports.toml";

/// The exports of a template as a file the engine edits like any other: byok's state
/// file, the tool's table in it, a value per variable (`exports <id>.<NAME>` in drift
/// labels), so setup, remove, restore and drift tracking need nothing of their own.
pub fn exports_file(t: &Template) -> Option<FileSpec> {
    if t.exports.is_empty() {
        return None;
    }
    let values = t
        .exports
        .iter()
        .map(|x| ValueSpec {
            key: format!("{}.{}", t.id, x.name),
            value: x.value.clone(),
            literal: x.literal.clone(),
            env: x.env.clone(),
            helper: x.helper.clone(),
            class: Class::Set,
            modes: x.modes.clone(),
            note: None,
            auth: x.auth,
            entry: None,
            optional: Optional::default(),
            position: Position::default(),
            whole: false,
        })
        .collect();
    Some(FileSpec {
        id: EXPORTS_FILE.to_string(),
        path: Paths::One(EXPORTS_PATH.to_string()),
        env: None,
        format: Format::Toml,
        secret: false,
        new: None,
        comments: BTreeMap::from([(
            t.id.clone(),
            format!(
                "# {}: `byok env` exports these; `byok remove {}` takes them out",
                t.name, t.id
            ),
        )]),
        values,
        label: LabelStyle::Id,
        create: None,
        hosts: None,
        sqlite_item: None,
        key_hint: None,
    })
}

/// Checks a template's `[[export]]` entries; the error carries text to locate it by.
fn check_exports(t: &Template) -> Result<(), (Option<String>, String)> {
    if t.exports.is_empty() {
        return Ok(());
    }
    if t.files.iter().any(|f| f.id == EXPORTS_FILE) {
        return Err((
            Some(format!("id = \"{EXPORTS_FILE}\"")),
            format!("the file id `{EXPORTS_FILE}` names the template's exports; pick another"),
        ));
    }
    if t.id.contains('.') {
        return Err((None, "an id with exports can't hold `.`".to_string()));
    }
    for x in &t.exports {
        let at = || Some(format!("\"{}\"", x.name));
        let name = &x.name;
        if !env::is_var_name(name) {
            return Err((
                at(),
                format!(
                    "`{name}` is not a variable name: use letters, digits and `_`, not starting with a digit"
                ),
            ));
        }
        let variants = [&x.value, &x.literal, &x.env, &x.helper];
        let given = variants.iter().filter(|v| v.is_some()).count();
        if given == 0 {
            return Err((
                at(),
                format!(
                    "export `{name}` has no value: give `value`, or `literal`/`env`/`helper` per key mode"
                ),
            ));
        }
        if x.value.is_some() && given > 1 {
            return Err((
                at(),
                format!(
                    "export `{name}` has `value` and a per-key-mode value; use one or the other"
                ),
            ));
        }
        if x.modes.as_ref().is_some_and(Vec::is_empty) {
            return Err((
                at(),
                format!("export `{name}` has `modes = []`, so it would never be exported"),
            ));
        }
        for v in variants.into_iter().flatten() {
            check_export_value(v).map_err(|m| (at(), format!("export `{name}`: {m}")))?;
        }
    }
    Ok(())
}

/// One export value's shape: a string, `{ var }`, `{ command }` or `{ unset = true }`,
/// with profile placeholders only (a path of this machine has no business there, but
/// `{byok}` runs byok).
fn check_export_value(v: &toml::Value) -> Result<(), String> {
    let shape = "a value is a string, `{ var = \"{key_env}\" }`, `{ command = [\"{byok}\", …] }` or `{ unset = true }`";
    let text = |s: &str| -> Result<(), String> {
        render::check_text(s, &[])?;
        match render::names(s)
            .into_iter()
            .find(|n| !render::GATEWAY.contains(n))
        {
            Some(n) => Err(format!(
                "`{{{n}}}` is not a profile value; exports take those only"
            )),
            None => Ok(()),
        }
    };
    match v {
        toml::Value::String(s) if render::headers_form(s).is_some() => Ok(()),
        toml::Value::String(s) => text(s),
        toml::Value::Table(t) if t.len() == 1 => match t.iter().next() {
            Some((k, toml::Value::String(s))) if k == "var" => {
                if s == "{key_env}" || env::is_var_name(s) {
                    Ok(())
                } else {
                    Err(
                        "`var` names the variable to reference: `{key_env}` or a variable name"
                            .to_string(),
                    )
                }
            }
            Some((k, toml::Value::Array(words))) if k == "command" && !words.is_empty() => {
                for w in words {
                    match w {
                        toml::Value::String(s) => text(s)?,
                        _ => return Err("`command` is a list of strings".to_string()),
                    }
                }
                Ok(())
            }
            Some((k, toml::Value::Boolean(true))) if k == "unset" => Ok(()),
            _ => Err(shape.to_string()),
        },
        _ => Err(shape.to_string()),
    }
}

/// `[live]`: the tool's one-shot mode, for `byok doctor --live`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Live {
    /// The program and its arguments; `{prompt}` is replaced by doctor's prompt.
    pub command: Vec<String>,
    /// Variables set for the run (telemetry and update checks off, where the tool has a
    /// switch).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Files written into the temporary home only, relative to it, to pre-answer trust
    /// and onboarding prompts; `{cwd}` is the run's working directory, `{home}` the
    /// temporary home (JSON-escaped).
    #[serde(default)]
    pub write: BTreeMap<String, String>,
}

/// Checks a `[live]` table: a program, `{prompt}` in the arguments, relative paths.
fn check_live(live: &Live) -> Result<(), (Option<String>, String)> {
    let Some(program) = live.command.first() else {
        return Err((
            Some("[live]".into()),
            "[live] command is empty: give the program and its arguments".into(),
        ));
    };
    if program.is_empty() || program.contains('{') {
        return Err((
            Some(program.clone()),
            "[live] command must start with a program name".into(),
        ));
    }
    if !live.command.iter().any(|a| a.contains("{prompt}")) {
        return Err((
            Some("[live]".into()),
            "[live] command must pass `{prompt}` to the tool".into(),
        ));
    }
    for path in live.write.keys() {
        let p = std::path::Path::new(path);
        if p.is_absolute()
            || p.components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return Err((
                Some(path.clone()),
                format!("[live] write path `{path}` must be relative to the temporary home"),
            ));
        }
    }
    Ok(())
}

/// A named directory: `env` wins when set, else the OS's default.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Root {
    /// A variable naming the directory (e.g. `CODEX_HOME`).
    pub env: Option<String>,
    /// The default on every OS (placeholders allowed: `{home}`, `{xdg_config}`, …).
    pub default: Option<String>,
    /// Linux default, when it differs.
    pub linux: Option<String>,
    /// macOS default, when it differs.
    pub macos: Option<String>,
    /// Windows default, when it differs.
    pub windows: Option<String>,
}

/// Evidence of installation.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Detect {
    /// Program names on PATH.
    #[serde(default)]
    pub binaries: Vec<String>,
    /// Directories whose existence counts (placeholders allowed).
    #[serde(default)]
    pub dirs: Vec<String>,
    /// VS Code-family extensions, found in every host.
    #[serde(default)]
    pub extensions: Vec<Extension>,
}

/// A VS Code-family extension that counts as the tool.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// `publisher.name`.
    pub id: String,
    /// Only this version or later counts (an older one is another generation).
    pub min_version: Option<String>,
    /// Why this extension, though it reads the tool's files, does not run the tool's key
    /// command: where it is installed, setup gives the tool a copy of the key unless
    /// `--key-mode helper` asks for the command.
    pub ignores_key_command: Option<String>,
}

/// The file formats byok edits in place.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// JSON (comments refused by the tool; byok keeps them but can't add any).
    Json,
    /// JSON with comments and trailing commas.
    Jsonc,
    /// TOML.
    Toml,
    /// `KEY=value` lines.
    Dotenv,
    /// YAML block mappings (flow mappings, anchors, aliases and tags on byok's keys are
    /// refused).
    Yaml,
}

/// One file byok writes.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    /// Short name, used in drift labels and messages.
    pub id: String,
    /// The path, or candidates: the first that exists is edited, else the first is created.
    pub path: Paths,
    /// A variable naming the file instead (e.g. `KILO_CONFIG`).
    pub env: Option<String>,
    /// How the file is edited.
    pub format: Format,
    /// Mode 0600 even without a literal key in it (a file with one always is).
    #[serde(default)]
    pub secret: bool,
    /// What a new (or blank) file starts as before byok's values go in.
    pub new: Option<String>,
    /// TOML only: a `# …` comment line to put above a table (by key path) when byok
    /// creates that table.
    #[serde(default)]
    pub comments: BTreeMap<String, String>,
    /// The values byok manages, in write order.
    #[serde(default, rename = "value")]
    pub values: Vec<ValueSpec>,
    /// How drift labels name the file: by `id` (default) or by its `~/…` path (so labels
    /// stay those an adapter recorded before it became a template).
    #[serde(default)]
    pub label: LabelStyle,
    /// Which candidate is created when none exists (default: the first). A tool may read
    /// a legacy name only when it exists and create its current one otherwise.
    pub create: Option<String>,
    /// The file exists once per VS Code-family host (and profile) where an extension is
    /// installed; its paths start with `{vscode_user}` (see `tools::generic::hosts`).
    pub hosts: Option<HostFilter>,
    /// The file is a VS Code-style SQLite database and byok's values live in the JSON
    /// text of this `ItemTable` row (Cursor's settings blob; see `tools::generic::rows`).
    pub sqlite_item: Option<String>,
    /// The hint when the key can't be written here (a `.env` refusing its quotes), for a
    /// tool that reads its key from nowhere else.
    pub key_hint: Option<String>,
}

/// Which VS Code-family hosts a per-host file is written in.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HostFilter {
    /// The extension (`publisher.name`) that must be installed in the host.
    pub extension: String,
    /// Only this version of it or later counts.
    pub min_version: Option<String>,
    /// Only versions before this one count (a later generation that no longer reads
    /// the file, e.g. Kilo Code 6+ after the 5.x settings import).
    #[serde(default)]
    pub below: Option<String>,
}

/// The path root of a per-host file: a host's `User` dir, or one of its profiles' dirs.
pub const VSCODE_USER: &str = "vscode_user";

/// How a file is named in drift labels.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum LabelStyle {
    /// `<file id> <key>`.
    #[default]
    Id,
    /// `<file as ~/…> <key>`.
    Path,
}

/// One path or several candidates.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Paths {
    /// A single path.
    One(String),
    /// Candidates, in order of preference.
    Many(Vec<String>),
}

impl Paths {
    /// The candidates as a list.
    pub fn all(&self) -> Vec<&str> {
        match self {
            Self::One(p) => vec![p.as_str()],
            Self::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// What byok does with a value.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// byok owns it: written by setup, taken out (or the user's earlier value put back) by remove.
    #[default]
    Set,
    /// Written only where absent or still byok's; a user's own choice is left.
    Default,
    /// Written, never removed (e.g. an onboarding flag).
    Keep,
    /// Removed by setup: it would override byok's values.
    Absent,
}

/// One value at a key path, by key mode.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ValueSpec {
    /// The key path: dot-separated, a segment with dots in `"…"`. No placeholders, so
    /// `remove` can find it without a profile.
    pub key: String,
    /// The value in every key mode (placeholders fill strings, also object keys).
    pub value: Option<toml::Value>,
    /// The value when the key itself is written.
    pub literal: Option<toml::Value>,
    /// The value when the profile keeps its key in an env var (`{key_env}`).
    pub env: Option<toml::Value>,
    /// The value with `--key-mode helper` (a key command: `{byok} print-key …`).
    pub helper: Option<toml::Value>,
    /// What byok does with it.
    #[serde(default)]
    pub class: Class,
    /// The key modes it is written in (all when not given); in the others setup takes
    /// it out (e.g. `env_key` when a helper command supplies the key instead).
    pub modes: Option<Vec<KeyModeName>>,
    /// A `default` only: the note when setup leaves the user's own value; besides the
    /// usual placeholders `{file}` (the file, as `~/…`) and `{current}` (their value).
    pub note: Option<String>,
    /// Only for profiles with this Anthropic auth style (`bearer`, `x-api-key`); another
    /// value with the same key may cover the other style.
    pub auth: Option<crate::profile::AnthropicAuth>,
    /// Left alone without a note when its placeholders have no value for the profile
    /// (a model the profile may not name); see [`Optional`].
    #[serde(default)]
    pub optional: Optional,
    /// The value is byok's item in the list at `key`, told apart from the user's items by
    /// this field (e.g. `id`); the value is a table holding it.
    pub entry: Option<String>,
    /// A list item only: where a new item goes (after byok's item before it in the
    /// template, when that one is in the list).
    #[serde(default)]
    pub position: Position,
    /// A list item only: drift tracks the item as one value, labelled `<file> <key>/<id>`,
    /// rather than leaf by leaf.
    #[serde(default)]
    pub whole: bool,
}

impl ValueSpec {
    /// The identity of a list item that is the same for every profile (no placeholder
    /// in its identifying field), so byok finds the item without its drift record.
    pub fn fixed_identity(&self) -> Option<String> {
        let field = self.entry.as_deref()?;
        let mut ids = [&self.value, &self.literal, &self.env, &self.helper]
            .into_iter()
            .flatten()
            .map(|v| v.get(field).and_then(toml::Value::as_str));
        let first = ids.next()??;
        let same = ids.all(|id| id == Some(first));
        (same && render::names(first).is_empty()).then(|| first.to_string())
    }
}

/// A value's `optional`: `true`, or the name of a profile value the profile must set
/// itself (`"anthropic_model"`: a model that would fall back to the chat model counts as
/// missing), for a value that only makes sense with it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Optional {
    /// `true` or `false`.
    Flag(bool),
    /// A placeholder name (without braces).
    Needs(String),
}

impl Default for Optional {
    fn default() -> Self {
        Self::Flag(false)
    }
}

impl Optional {
    /// Whether the value is optional at all.
    pub fn is_optional(&self) -> bool {
        !matches!(self, Self::Flag(false))
    }

    /// The profile value it needs of its own, if named.
    pub fn needs(&self) -> Option<&str> {
        match self {
            Self::Needs(n) => Some(n),
            Self::Flag(_) => None,
        }
    }
}

/// Where byok adds its item to a list that has none of byok's yet.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Position {
    /// After the last item.
    #[default]
    Last,
    /// Before the first item (where a tool takes its default from).
    First,
}

/// A key mode, as templates spell it.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum KeyModeName {
    /// The key itself is written.
    Literal,
    /// The profile keeps its key in an environment variable (`{key_env}`).
    Env,
    /// A key command (`--key-mode helper`).
    Helper,
}

impl KeyModeName {
    /// The variant written in this key form: its own, else a weaker form's (`helper`
    /// falls back to `env`, `env` to `literal`), else `value`.
    pub fn pick<'a>(
        self,
        value: &'a Option<toml::Value>,
        literal: &'a Option<toml::Value>,
        env: &'a Option<toml::Value>,
        helper: &'a Option<toml::Value>,
    ) -> Option<&'a toml::Value> {
        let order: &[&Option<toml::Value>] = match self {
            Self::Helper => &[helper, env, literal],
            Self::Env => &[env, literal],
            Self::Literal => &[literal],
        };
        order.iter().find_map(|x| x.as_ref()).or(value.as_ref())
    }
}

impl ValueSpec {
    /// The value written in key form `form` (see [`KeyModeName::pick`]).
    pub fn variant(&self, form: KeyModeName) -> Option<&toml::Value> {
        form.pick(&self.value, &self.literal, &self.env, &self.helper)
    }

    /// Whether it is written in key form `form` (its `modes`).
    pub fn written_in(&self, form: KeyModeName) -> bool {
        self.modes.as_ref().is_none_or(|m| m.contains(&form))
    }

    /// Whether, written in key form `form`, it uses placeholder `name` (`key`: the key
    /// itself; `key_env`: its variable).
    pub fn uses(&self, form: KeyModeName, name: &str) -> bool {
        self.written_in(form)
            && self
                .variant(form)
                .is_some_and(|x| render::value_names(x).iter().any(|n| n == name))
    }
}

impl ExportSpec {
    /// The value exported in key form `form` (see [`KeyModeName::pick`]).
    pub fn variant(&self, form: KeyModeName) -> Option<&toml::Value> {
        form.pick(&self.value, &self.literal, &self.env, &self.helper)
    }
}

impl Template {
    /// Whether key form `form` writes the key itself into one of the tool's files (a
    /// copy) rather than a reference or a key command.
    pub fn copies_key(&self, form: KeyModeName) -> bool {
        self.files
            .iter()
            .flat_map(|f| &f.values)
            .any(|v| v.uses(form, "key"))
    }
}

/// The extra placeholders a `default` value's `note` may use.
pub const NOTE_PLACEHOLDERS: &[&str] = &["file", "current"];

/// A template as loaded: where it came from and its checked contents.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The template.
    pub template: Template,
    /// Where it came from.
    pub source: Source,
}

/// A template's origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Embedded in byok (`templates/<file>` in the repository).
    Builtin(&'static str),
    /// A user's file.
    User(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Builtin(name) => write!(f, "built-in templates/{name}"),
            Self::User(p) => write!(f, "user template {}", p.display()),
        }
    }
}

/// Why a template can't be used, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// The template's name for messages (file name or path).
    pub origin: String,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub column: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.origin, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.origin, self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for TemplateError {}

/// An error at a byte offset of a template's text.
pub fn error_at(origin: &str, text: &str, offset: usize, message: String) -> TemplateError {
    let e = crate::config_edit::ParseError::at_offset(text, offset, message);
    TemplateError {
        origin: origin.to_string(),
        line: e.line,
        column: e.column,
        message: e.message,
    }
}

/// Deserialises a template file's TOML; a mistake names the place toml points at.
pub fn from_toml<T: serde::de::DeserializeOwned>(
    origin: &str,
    text: &str,
) -> Result<T, TemplateError> {
    toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        error_at(origin, text, offset, e.message().trim().to_string())
    })
}

/// Parses and checks one template's text.
pub fn parse(origin: &str, text: &str) -> Result<Template, TemplateError> {
    let at = |offset: usize, message: String| error_at(origin, text, offset, message);
    let template: Template = from_toml(origin, text)?;
    // Semantic mistakes point at the first place the offending text appears.
    check(&template)
        .and_then(|()| check_exports(&template))
        .and_then(|()| check_run(&template))
        .and_then(|()| check_project(&template))
        .and_then(|()| {
            // Exports are checked as the file the engine writes them to.
            let mut all = template.clone();
            all.files.extend(exports_file(&template));
            check_headers(&all)
        })
        .and_then(|()| check_project_files(&template))
        .map_err(|(needle, message)| {
            // An unknown placeholder is found by itself; anything else by the text given.
            let placeholder = message
                .strip_prefix("unknown placeholder `")
                .and_then(|m| m.split('`').next());
            let offset = placeholder
                .or(needle.as_deref())
                .and_then(|n| text.find(n))
                .unwrap_or(0);
            at(offset, message)
        })?;
    Ok(with_exports(template))
}

/// A checked template with its exports as a file of byok's state ([`exports_file`]).
fn with_exports(mut template: Template) -> Template {
    template.files.extend(exports_file(&template));
    template
}

/// The checks a parsed template must pass; the error carries text to locate it by.
fn check(t: &Template) -> Result<(), (Option<String>, String)> {
    if let Some(live) = &t.live {
        check_live(live)?;
        if t.not_live.is_some() {
            return Err((
                Some("not_live".into()),
                "give `[live]` or `not_live`, not both: `not_live` says why a tool can't be run once".into(),
            ));
        }
    }
    let valid_id = !t.id.is_empty()
        && t.id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid_id {
        return Err((
            Some(format!("\"{}\"", t.id)),
            format!(
                "id `{}` must be lowercase letters, digits and `-` (it is typed as `byok setup <id>`)",
                t.id
            ),
        ));
    }
    let roots: Vec<&str> = t.roots.keys().map(String::as_str).collect();
    for (name, root) in &t.roots {
        if render::BUILTIN_ROOTS.contains(&name.as_str())
            || render::is_placeholder(name)
            || name == VSCODE_USER
        {
            return Err((
                Some(format!("[roots.{name}]")),
                format!("root `{name}` has the name of a built-in placeholder; pick another"),
            ));
        }
        let defaults = [&root.default, &root.linux, &root.macos, &root.windows];
        if root.default.is_none()
            && [&root.linux, &root.macos, &root.windows]
                .iter()
                .any(|d| d.is_none())
        {
            return Err((
                Some(format!("[roots.{name}]")),
                format!("root `{name}` needs `default`, or all of `linux`, `macos` and `windows`"),
            ));
        }
        // A default may start with a root resolved before this one (roots resolve in
        // name order), e.g. Cline's `cline_data` below `{cline}`.
        let earlier: Vec<&str> = roots
            .iter()
            .copied()
            .filter(|r| *r < name.as_str())
            .collect();
        for d in defaults.into_iter().flatten() {
            render::check_path(d, &earlier).map_err(|m| (Some(d.clone()), m))?;
        }
    }
    for dir in &t.detect.dirs {
        render::check_path(dir, &roots).map_err(|m| (Some(dir.clone()), m))?;
    }
    let mut ids = Vec::new();
    for f in &t.files {
        if ids.contains(&f.id.as_str()) {
            return Err((
                Some(format!("id = \"{}\"", f.id)),
                format!("two files have the id `{}`", f.id),
            ));
        }
        ids.push(&f.id);
        check_hosts(f)?;
        check_sqlite_item(f)?;
        let mut file_roots = roots.clone();
        if f.hosts.is_some() {
            file_roots.push(VSCODE_USER);
        }
        for p in f.path.all() {
            render::check_path(p, &file_roots).map_err(|m| (Some(p.to_string()), m))?;
        }
        if let Some(c) = f.create.as_deref().filter(|c| !f.path.all().contains(c)) {
            return Err((
                Some(format!("create = \"{c}\"")),
                format!(
                    "file `{}`: `create` must be one of its `path` candidates",
                    f.id
                ),
            ));
        }
        for v in &f.values {
            let path = key_path(&v.key).map_err(|m| (Some(v.key.clone()), m))?;
            if f.format == Format::Dotenv && path.len() != 1 {
                return Err((
                    Some(v.key.clone()),
                    format!("`{}`: a dotenv file has only top-level names", v.key),
                ));
            }
            let variants = [&v.value, &v.literal, &v.env, &v.helper];
            let given = variants.iter().filter(|x| x.is_some()).count();
            match (v.class, given) {
                (Class::Absent, 0) => {}
                (Class::Absent, _) => {
                    return Err((
                        Some(v.key.clone()),
                        format!("`{}` is class \"absent\": it takes no value", v.key),
                    ));
                }
                (_, 0) => {
                    return Err((
                        Some(v.key.clone()),
                        format!(
                            "`{}` has no value: give `value`, or `literal`/`env`/`helper` per key mode",
                            v.key
                        ),
                    ));
                }
                _ if v.value.is_some() && given > 1 => {
                    return Err((
                        Some(v.key.clone()),
                        format!(
                            "`{}` has `value` and a per-key-mode value; use one or the other",
                            v.key
                        ),
                    ));
                }
                _ => {}
            }
            for x in variants.into_iter().flatten() {
                render::check_value(x, &roots).map_err(|m| {
                    // A misplaced `{headers…}` is found at its value's key line.
                    let at = if m.contains("the profile's headers are a whole value") {
                        format!("key = \"{}\"", v.key)
                    } else {
                        v.key.clone()
                    };
                    (Some(at), m)
                })?;
            }
            if f.format == Format::Dotenv
                && variants
                    .into_iter()
                    .flatten()
                    .any(|x| !matches!(x, toml::Value::String(_)))
            {
                return Err((
                    Some(v.key.clone()),
                    format!("`{}`: dotenv values are strings", v.key),
                ));
            }
            if let Some(note) = &v.note {
                if v.class != Class::Default {
                    return Err((
                        Some("note =".to_string()),
                        format!(
                            "`{}` has a `note`, which only a class \"default\" value can use (it is shown when setup leaves the user's own value)",
                            v.key
                        ),
                    ));
                }
                let mut known = roots.clone();
                known.extend_from_slice(NOTE_PLACEHOLDERS);
                render::check_text(note, &known).map_err(|m| (Some(note.clone()), m))?;
            }
            if v.key.is_empty() && v.entry.is_none() {
                return Err((
                    None,
                    "an empty `key` names the whole file: only a list item (`entry`) may use it, in a file that is one list".to_string(),
                ));
            }
            if let Some(field) = &v.entry {
                check_entry(f, v, field).map_err(|m| (Some(v.key.clone()), m))?;
            } else if v.whole || v.position != Position::Last {
                let field = if v.whole { "whole =" } else { "position =" };
                return Err((
                    Some(field.to_string()),
                    format!(
                        "`{}`: `position` and `whole` are for a list item (`entry`)",
                        v.key
                    ),
                ));
            }
            if let Some(name) = v.optional.needs() {
                check_needs(name).map_err(|m| (Some(format!("\"{name}\"")), m))?;
            }
            if v.modes.as_ref().is_some_and(Vec::is_empty) {
                return Err((
                    Some("modes = []".to_string()),
                    format!(
                        "`{}` has `modes = []`, so it would never be written; leave `modes` out for every key mode",
                        v.key
                    ),
                ));
            }
        }
        for (table, comment) in &f.comments {
            key_path(table).map_err(|m| (Some(table.clone()), m))?;
            if f.format != Format::Toml {
                return Err((
                    Some(table.clone()),
                    format!(
                        "file `{}`: `comments` are for TOML tables; a {:?} file gets none",
                        f.id, f.format
                    ),
                ));
            }
            if !comment.starts_with('#') || comment.contains('\n') {
                return Err((
                    Some(comment.clone()),
                    format!("the comment for `{table}` must be one line starting with `#`"),
                ));
            }
        }
        if let Some(new) = &f.new
            && f.format != Format::Dotenv
            && crate::config_edit::doc::check(f.format, new).is_err()
        {
            return Err((
                Some("new =".to_string()),
                format!(
                    "the `new` text of file `{}` does not parse as {:?}",
                    f.id, f.format
                ),
            ));
        }
    }
    for text in t.notes.iter().chain(&t.manual) {
        render::check_text(text, &roots).map_err(|m| (Some(text.clone()), m))?;
    }
    for name in t.apis.iter().filter_map(ApiSpec::needs) {
        check_needs(name).map_err(|m| (Some(format!("\"{name}\"")), m))?;
    }
    Ok(())
}

/// An `optional` that names a profile value: one of the profile's placeholders.
fn check_needs(name: &str) -> Result<(), String> {
    if render::GATEWAY.contains(&name) {
        return Ok(());
    }
    Err(format!(
        "`optional = \"{name}\"` names no profile value; give `true`, or one of: {}",
        render::GATEWAY.join(", ")
    ))
}

/// A per-host file's rules: every path starts with `{vscode_user}`, and only such a file
/// uses it (a template root can't take the name).
fn check_hosts(f: &FileSpec) -> Result<(), (Option<String>, String)> {
    let root = format!("{{{VSCODE_USER}}}");
    for p in f.path.all() {
        match (&f.hosts, p.starts_with(&root)) {
            (Some(_), false) => {
                return Err((
                    Some(p.to_string()),
                    format!(
                        "file `{}` has `hosts`, so its path must start with {root} (each host's or profile's user dir)",
                        f.id
                    ),
                ));
            }
            (None, true) => {
                return Err((
                    Some(p.to_string()),
                    format!(
                        "file `{}`: {root} needs `hosts = {{ extension = \"publisher.name\" }}` (which hosts the file is written in)",
                        f.id
                    ),
                ));
            }
            _ => {}
        }
    }
    if let Some(h) = &f.hosts
        && (h.extension.split('.').count() != 2 || h.extension.contains(char::is_whitespace))
    {
        return Err((
            Some(h.extension.clone()),
            format!(
                "file `{}`: `hosts.extension` must be an extension id `publisher.name`",
                f.id
            ),
        ));
    }
    Ok(())
}

/// A settings row's rules: one JSON file (the database), none of what a text file may
/// have that a row can't (`env`, `new`, `hosts`, `create`, `secret`: a row is never
/// created and holds no key).
fn check_sqlite_item(f: &FileSpec) -> Result<(), (Option<String>, String)> {
    let Some(row) = &f.sqlite_item else {
        return Ok(());
    };
    let at = Some(format!("sqlite_item = \"{row}\""));
    if row.trim().is_empty() {
        return Err((
            at,
            format!("file `{}`: `sqlite_item` names the row's key", f.id),
        ));
    }
    let extras = f.env.is_some()
        || f.new.is_some()
        || f.hosts.is_some()
        || f.create.is_some()
        || f.secret
        || matches!(f.path, Paths::Many(_));
    if f.format != Format::Json || extras {
        return Err((
            at,
            format!(
                "file `{}`: a `sqlite_item` row is `format = \"json\"` with one `path` (the database) and no `env`, `new`, `hosts`, `create` or `secret`",
                f.id
            ),
        ));
    }
    // A database can't be made 0600 for one row: the key itself never goes in.
    fn holds_key(v: &toml::Value) -> bool {
        match v {
            toml::Value::String(s) => render::names(s).contains(&"key"),
            toml::Value::Array(a) => a.iter().any(holds_key),
            toml::Value::Table(t) => t.iter().any(|(k, x)| k.contains("{key}") || holds_key(x)),
            _ => false,
        }
    }
    for v in &f.values {
        if [&v.value, &v.literal, &v.env, &v.helper]
            .into_iter()
            .flatten()
            .any(holds_key)
        {
            return Err((
                Some(v.key.clone()),
                format!(
                    "`{}`: a `sqlite_item` row can't hold {{key}} (the database is not private to the user)",
                    v.key
                ),
            ));
        }
    }
    Ok(())
}

/// The rules for a list item (`entry`): JSON, JSONC or a top-level YAML list, class `set`, one value per key,
/// and every variant a table whose identifying field is a string without the key.
fn check_entry(f: &FileSpec, v: &ValueSpec, field: &str) -> Result<(), String> {
    let key = &v.key;
    if !matches!(f.format, Format::Json | Format::Jsonc | Format::Yaml) {
        return Err(format!(
            "`{key}`: list items (`entry`) are supported in JSON, JSONC and YAML files, not in a {:?} file",
            f.format
        ));
    }
    if f.format == Format::Yaml && key_path(key).is_ok_and(|p| p.len() > 1) {
        return Err(format!(
            "`{key}`: in a YAML file a list item (`entry`) goes in a top-level list"
        ));
    }
    if v.class != Class::Set || v.auth.is_some() || v.modes.is_some() {
        return Err(format!(
            "`{key}`: a list item (`entry`) is class \"set\" and takes no `auth` or `modes`"
        ));
    }
    // Several items of byok's in one list are told apart by their identities, which
    // therefore can't depend on the profile (two models could be the same).
    let siblings: Vec<&ValueSpec> = f.values.iter().filter(|o| o.key == *key).collect();
    if siblings.len() > 1 {
        let ids: Vec<Option<String>> = siblings.iter().map(|o| o.fixed_identity()).collect();
        let distinct = ids
            .iter()
            .flatten()
            .collect::<std::collections::BTreeSet<_>>();
        if ids.iter().any(Option::is_none) || distinct.len() != ids.len() {
            return Err(format!(
                "`{key}`: several items of byok's in one list need each a fixed `{field}` (no placeholders), different from the others', so byok tells them apart"
            ));
        }
        if siblings.iter().any(|o| o.entry.as_deref() != Some(field)) {
            return Err(format!(
                "`{key}`: byok's items in one list are told apart by one field; give them all `entry = \"{field}\"`"
            ));
        }
    }
    for x in [&v.value, &v.literal, &v.env, &v.helper]
        .into_iter()
        .flatten()
    {
        let Some(table) = x.as_table() else {
            return Err(format!("`{key}`: a list item (`entry`) must be a table"));
        };
        match table.get(field) {
            Some(toml::Value::String(s)) if !render::names(s).contains(&"key") => {}
            Some(toml::Value::String(_)) => {
                return Err(format!(
                    "`{key}`: the identifying field `{field}` can't hold {{key}} (byok records it in plain text)"
                ));
            }
            _ => {
                return Err(format!(
                    "`{key}`: the item must have the identifying field `{field}` as a string"
                ));
            }
        }
        if table.keys().any(|k| k.contains('{')) {
            return Err(format!(
                "`{key}`: the item's field names are fixed (so `remove` knows them); put placeholders in values"
            ));
        }
    }
    Ok(())
}

/// Splits a key path: `a.b`, `"x.y".z` (a quoted segment keeps its dots).
pub fn key_path(key: &str) -> Result<Vec<String>, String> {
    // The document itself: only a list item (`entry`) may name it (checked at load).
    if key.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = key.chars().peekable();
    let mut quoted_segment = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if cur.is_empty() && !quoted_segment => {
                for q in chars.by_ref() {
                    if q == '"' {
                        quoted_segment = true;
                        break;
                    }
                    cur.push(q);
                }
                if !quoted_segment {
                    return Err(format!("key path `{key}` has an unclosed `\"`"));
                }
                if !matches!(chars.peek(), None | Some('.')) {
                    return Err(format!(
                        "key path `{key}`: a `.` must follow a quoted segment"
                    ));
                }
            }
            '.' => {
                if cur.is_empty() && !quoted_segment {
                    return Err(format!("key path `{key}` has an empty segment"));
                }
                out.push(std::mem::take(&mut cur));
                quoted_segment = false;
            }
            '{' | '}' if !quoted_segment => {
                return Err(format!(
                    "key path `{key}` holds a placeholder; key paths are fixed so that `remove` finds them (put placeholders in the value)"
                ));
            }
            _ => cur.push(c),
        }
    }
    if cur.is_empty() && !quoted_segment {
        return Err(format!("key path `{key}` has an empty segment"));
    }
    out.push(cur);
    Ok(out)
}

/// Every built-in template, loaded (a broken built-in is a bug the registry test catches).
pub fn builtins() -> Vec<Result<Loaded, TemplateError>> {
    BUILTIN
        .iter()
        .map(|(name, text)| {
            let template = match compiled::<Template>(name) {
                Some(t) => Ok(with_exports(t)),
                None => parse(&format!("templates/{name}"), text),
            };
            template.map(|template| Loaded {
                template,
                source: Source::Builtin(name),
            })
        })
        .collect()
}

/// `templates/env.toml`'s exports as the constants build.rs made of them.
pub fn env_exports() -> Option<&'static [&'static [(&'static str, &'static str)]]> {
    json::ENV_EXPORTS
}

/// The JSON form build.rs made of each file in `templates/` (and `env.toml`'s exports).
mod json {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

/// A built-in template file read from its JSON form, which serde reads several times
/// faster than the TOML it was made from: every command that lists the tools loads
/// every template, and `byok env` loads `env.toml` at each shell start. The JSON skips
/// the checks, which hold for built-ins whenever the tests pass (they compare both
/// forms of each file). `None` when there is no usable JSON form: read the TOML then.
pub fn compiled<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    let (_, text) = json::JSON.iter().find(|(n, _)| *n == name)?;
    serde_json::from_str(text).ok()
}

/// The user's templates in `dir` (`*.toml`, sorted by name); a missing dir is none.
pub fn user_templates(dir: &Path) -> Vec<Result<Loaded, TemplateError>> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let origin = p.display().to_string();
            let text = crate::fs::read_optional(&p)
                .map_err(|e| TemplateError {
                    origin: origin.clone(),
                    line: 0,
                    column: 0,
                    message: format!("{e:#}"),
                })?
                .unwrap_or_default();
            parse(&origin, &text).map(|template| Loaded {
                template,
                source: Source::User(p),
            })
        })
        .collect()
}

/// A tool's project-level file, as `[project]` says (`byok setup --project DIR TOOL`):
/// one of the template's files, written at a path relative to the project directory.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProjectSpec {
    /// The id of the template's file whose values go into the project file.
    pub file: String,
    /// Where, relative to the project directory (`/`-separated, no `..`).
    pub path: String,
    /// Shown after a project setup (the tool must trust the project first, say).
    pub note: Option<String>,
    /// The tool can't read a key reference in this file: for a profile whose key lives
    /// in a variable, values holding the key are left out and this is said (a literal
    /// profile is refused).
    pub key_note: Option<String>,
    /// Values' `env` variants at project scope, by key: a key reference the tool reads
    /// in its project file (`{env:{key_env}}`) where its user file holds the key.
    #[serde(default)]
    pub env: toml::Table,
}

/// A file a tool reads from a project (the working directory, and with `parents` each
/// directory above it up to the home) over its user settings, as `[[project_file]]` says.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProjectFileSpec {
    /// Where, relative to the project directory (`/`-separated, no `..`).
    pub path: String,
    /// Its format.
    pub format: Format,
    /// Also read in each parent of the working directory (closest first).
    #[serde(default)]
    pub parents: bool,
    /// The tool reads it instead of its user file, not over it (Gemini CLI's `.env`).
    #[serde(default)]
    pub replaces: bool,
    /// Key paths where it sets the gateway's URL (`*` stands for any key or list item).
    #[serde(default)]
    pub base_url: Vec<String>,
    /// Other key paths whose value there wins over the user's (provider, model, key).
    #[serde(default)]
    pub keys: Vec<String>,
}

/// Checks a template's `[[project_file]]`s.
fn check_project_files(t: &Template) -> Result<(), (Option<String>, String)> {
    for f in &t.project_files {
        let at = || Some(f.path.clone());
        if !is_plain_relative(&f.path) {
            return Err((
                at(),
                format!(
                    "`[[project_file]] path = \"{}\"` must be a plain relative path below the project (`/`-separated, no `..`, no placeholders)",
                    f.path
                ),
            ));
        }
        for key in f.base_url.iter().chain(&f.keys) {
            let path = key_path(key).map_err(|m| (Some(key.clone()), m))?;
            if f.format == Format::Dotenv && (path.len() != 1 || path[0] == "*") {
                return Err((
                    Some(key.clone()),
                    format!("`{key}`: a .env file has only top-level names"),
                ));
            }
        }
    }
    Ok(())
}

/// A path below a directory: `/`-separated, no `..`, `.`, placeholders or drive letters.
fn is_plain_relative(path: &str) -> bool {
    !(path.is_empty()
        || path.starts_with(['/', '~'])
        || path.contains(['\\', '{', ':'])
        || path
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == ".."))
}

/// The placeholder of the project directory in `[project]` notes.
pub const PROJECT_ROOT: &str = "project";

/// Checks a template's `[project]`; the error carries text to locate it by.
fn check_project(t: &Template) -> Result<(), (Option<String>, String)> {
    let Some(p) = &t.project else {
        return Ok(());
    };
    let at = |s: &str| Some(s.to_string());
    let Some(f) = t.files.iter().find(|f| f.id == p.file) else {
        return Err((
            at(&p.file),
            format!(
                "`[project] file = \"{}\"` names no file of this template",
                p.file
            ),
        ));
    };
    if f.hosts.is_some() || f.sqlite_item.is_some() {
        return Err((
            at(&p.file),
            "`[project] file` can't be a per-host file or a database row".to_string(),
        ));
    }
    if !is_plain_relative(&p.path) {
        return Err((
            at(&p.path),
            format!(
                "`[project] path = \"{}\"` must be a plain relative path below the project (`/`-separated, no `..`, no placeholders)",
                p.path
            ),
        ));
    }
    for key in p.env.keys() {
        if !f.values.iter().any(|v| &v.key == key) {
            return Err((
                at(key),
                format!("`[project.env] \"{key}\"` is no value of file `{}`", f.id),
            ));
        }
    }
    let mut roots: Vec<&str> = t.roots.keys().map(String::as_str).collect();
    roots.push(PROJECT_ROOT);
    for n in [&p.note, &p.key_note].into_iter().flatten() {
        render::check_text(n, &roots).map_err(|m| (at(n), m))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_template_loads() {
        for t in builtins() {
            let t = t.unwrap_or_else(|e| panic!("{e}"));
            assert!(
                t.template.verified.len() > 10,
                "{}: say what was verified",
                t.template.id
            );
        }
        // What a start reads (the JSON form, unchecked) is the checked TOML.
        for (name, text) in BUILTIN {
            let checked = parse(name, text).unwrap_or_else(|e| panic!("{e}"));
            let fast = compiled(name).unwrap_or_else(|| panic!("{name} has no JSON form"));
            assert_eq!(with_exports(fast), checked, "{name}");
        }
    }

    #[test]
    fn key_paths() {
        assert_eq!(key_path("a.b").unwrap(), ["a", "b"]);
        assert_eq!(
            key_path("\"roo-cline.autoImportSettingsPath\"").unwrap(),
            ["roo-cline.autoImportSettingsPath"]
        );
        assert_eq!(key_path("env.\"A.B\"").unwrap(), ["env", "A.B"]);
        assert!(key_path("a..b").is_err());
        assert!(key_path("provider.{model}").is_err());
        assert!(key_path("\"a").is_err());
    }

    fn err(text: &str) -> String {
        parse("t.toml", text).unwrap_err().to_string()
    }

    const HEAD: &str = "id = \"x\"\nname = \"X\"\nverified = \"X 1.0, checked by hand\"\n";

    #[test]
    fn live_tables_are_checked() {
        let ok = parse(
            "t.toml",
            &format!("{HEAD}[live]\ncommand = [\"x\", \"-p\", \"{{prompt}}\"]\nenv = {{ X_NO_UPDATE = \"1\" }}\n"),
        )
        .unwrap();
        let live = ok.live.unwrap();
        assert_eq!(live.command, ["x", "-p", "{prompt}"]);
        assert_eq!(live.env["X_NO_UPDATE"], "1");
        assert_eq!(
            err(&format!("{HEAD}[live]\ncommand = [\"x\", \"-p\"]\n")),
            "t.toml:4:1: [live] command must pass `{prompt}` to the tool"
        );
        assert_eq!(
            err(&format!(
                "{HEAD}[live]\ncommand = [\"x\", \"{{prompt}}\"]\nwrite = {{ \"../.x\" = \"\" }}\n"
            )),
            "t.toml:6:12: [live] write path `../.x` must be relative to the temporary home"
        );
        let why = parse("t.toml", &format!("{HEAD}not_live = \"an editor\"\n")).unwrap();
        assert_eq!(why.not_live.as_deref(), Some("an editor"));
        assert_eq!(
            err(&format!(
                "{HEAD}not_live = \"an editor\"\n[live]\ncommand = [\"x\", \"{{prompt}}\"]\n"
            )),
            "t.toml:4:1: give `[live]` or `not_live`, not both: `not_live` says why a tool can't be run once"
        );
    }

    #[test]
    fn header_values_are_checked_with_their_position() {
        let file = |format: &str, value: &str| {
            format!(
                "{HEAD}[[file]]\nid = \"c\"\npath = \"{{home}}/x\"\nformat = \"{format}\"\n[[file.value]]\nkey = \"a\"\nvalue = {value}\n"
            )
        };
        assert_eq!(
            err(&file("json", "\"X: {headers}\"")),
            "t.toml:9:1: `X: {headers}`: the profile's headers are a whole value, one of {headers}, {headers:plain}, {headers:vars}, {headers:lines}, {headers:commas}"
        );
        assert_eq!(
            err(&file("dotenv", "\"{headers}\"")),
            "t.toml:9:1: `a`: a dotenv value is a string: use {headers:lines} or {headers:commas}"
        );
        assert!(parse("t.toml", &file("dotenv", "\"{headers:commas}\"")).is_ok());
        assert!(parse("t.toml", &file("json", "{ h = \"{headers}\" }")).is_ok());
        assert_eq!(
            err(&format!(
                "{}[headers]\nenv = \"{{env:NAME}}\"\n",
                file("json", "\"{headers}\"")
            )),
            "t.toml:11:1: [headers] env `{env:NAME}` must hold `{var}` (the variable's name) and no other placeholder"
        );
        assert_eq!(
            err(&format!(
                "{}[headers]\nenv = \"{{var}}{{model}}\"\n",
                file("json", "\"{headers}\"")
            )),
            "t.toml:11:1: [headers] env `{var}{model}` must hold `{var}` (the variable's name) and no other placeholder"
        );
        assert_eq!(
            err(&format!(
                "{}[headers]\nenv = \"{{var}}\"\n",
                file("json", "\"{headers:lines}\"")
            )),
            "t.toml:11:1: [headers] env is for `{headers}` values, and this template has none"
        );
        let export = format!("{HEAD}[[export]]\nname = \"H\"\nvalue = \"{{headers}}\"\n");
        assert_eq!(
            err(&export),
            "t.toml:5:1: export `H`: a variable holds a string: use {headers:lines} or {headers:commas}"
        );
        let t = parse(
            "t.toml",
            &format!("{HEAD}[[export]]\nname = \"H\"\nvalue = \"{{headers:lines}}\"\n"),
        )
        .unwrap();
        assert!(t.sends_headers());
    }

    #[test]
    fn mistakes_are_named_with_their_position() {
        assert_eq!(
            err("id = \"x\"\nname = 3\n"),
            "t.toml:2:8: invalid type: integer `3`, expected a string"
        );
        assert_eq!(
            err(&format!("{HEAD}colour = 1\n")),
            "t.toml:4:1: unknown field `colour`, expected one of `id`, `name`, `docs`, `verified`, `hook`, `apis`, `roots`, `detect`, `file`, `notes`, `manual`, `export`, `run`, `live`, `not_live`, `project`, `project_file`, `headers`"
        );
        let unknown = format!(
            "{HEAD}[[file]]\nid = \"c\"\npath = \"{{home}}/.x.json\"\nformat = \"json\"\n[[file.value]]\nkey = \"a\"\nvalue = \"{{modle}}\"\n"
        );
        assert_eq!(
            err(&unknown),
            "t.toml:10:10: unknown placeholder `{modle}`; known: {openai_base}, {root}, {anthropic_base}, {key}, {key_env}, {model}, {anthropic_model}, {small_model}, {profile}, {byok}, {home}, {xdg_config}, {config}, {appdata}, {localappdata}, {data}"
        );
        let format =
            format!("{HEAD}[[file]]\nid = \"c\"\npath = \"{{home}}/x\"\nformat = \"ini\"\n");
        assert_eq!(
            err(&format),
            "t.toml:7:10: unknown variant `ini`, expected one of `json`, `jsonc`, `toml`, `dotenv`, `yaml`"
        );
        let outside =
            format!("{HEAD}[[file]]\nid = \"c\"\npath = \"/etc/x.json\"\nformat = \"json\"\n");
        assert_eq!(
            err(&outside),
            "t.toml:6:9: path `/etc/x.json` must start with a root such as {home}, {xdg_config} or one of the template's [roots]; byok writes only below the user's home and the tool's own directories"
        );
    }

    #[test]
    fn list_items_are_checked() {
        let file = |format: &str, value: &str| {
            format!(
                "{HEAD}[[file]]\nid = \"c\"\npath = \"{{home}}/x\"\nformat = \"{format}\"\n[[file.value]]\nkey = \"models\"\nentry = \"id\"\n{value}\n"
            )
        };
        let good = "value = { id = \"{model}\", url = \"{openai_base}\" }";
        assert!(parse("t.toml", &file("jsonc", good)).is_ok());
        assert!(parse("t.toml", &file("yaml", good)).is_ok());
        assert_eq!(
            err(&file("toml", good)),
            "t.toml:9:8: `models`: list items (`entry`) are supported in JSON, JSONC and YAML files, not in a Toml file"
        );
        let nested = file("yaml", good).replace("key = \"models\"", "key = \"a.models\"");
        assert_eq!(
            err(&nested),
            "t.toml:9:8: `a.models`: in a YAML file a list item (`entry`) goes in a top-level list"
        );
        assert_eq!(
            err(&file("json", "value = { name = \"{model}\" }")),
            "t.toml:9:8: `models`: the item must have the identifying field `id` as a string"
        );
        assert_eq!(
            err(&file("json", "value = { id = \"{key}\" }")),
            "t.toml:9:8: `models`: the identifying field `id` can't hold {key} (byok records it in plain text)"
        );
    }

    #[test]
    fn several_list_items_and_their_options_are_checked() {
        let file = |values: &str| {
            format!(
                "{HEAD}[[file]]\nid = \"c\"\npath = \"{{home}}/x\"\nformat = \"yaml\"\n{values}"
            )
        };
        let item = |name: &str, extra: &str| {
            format!(
                "[[file.value]]\nkey = \"models\"\nentry = \"name\"\n{extra}value = {{ name = \"{name}\", model = \"{{model}}\" }}\n"
            )
        };
        let two = file(&format!(
            "{}{}",
            item("byok (OpenAI)", "position = \"first\"\nwhole = true\n"),
            item("byok (Anthropic)", "optional = \"anthropic_model\"\n")
        ));
        let t = parse("t.toml", &two).unwrap();
        let v = &t.files[0].values[1];
        assert_eq!(v.optional.needs(), Some("anthropic_model"));
        assert_eq!(v.fixed_identity().as_deref(), Some("byok (Anthropic)"));
        assert_eq!(t.files[0].values[0].position, Position::First);
        assert_eq!(
            err(&file(&format!("{}{}", item("a", ""), item("{model}", "")))),
            "t.toml:9:8: `models`: several items of byok's in one list need each a fixed `name` (no placeholders), different from the others', so byok tells them apart"
        );
        assert_eq!(
            err(&file(&format!("{}{}", item("a", ""), item("a", "")))),
            "t.toml:9:8: `models`: several items of byok's in one list need each a fixed `name` (no placeholders), different from the others', so byok tells them apart"
        );
        assert_eq!(
            err(&file(
                "[[file.value]]\nkey = \"m\"\nvalue = \"x\"\nposition = \"first\"\n"
            )),
            "t.toml:11:1: `m`: `position` and `whole` are for a list item (`entry`)"
        );
        assert_eq!(
            err(&file(&item("a", "optional = \"claude\"\n"))),
            "t.toml:11:12: `optional = \"claude\"` names no profile value; give `true`, or one of: openai_base, root, anthropic_base, key, key_env, model, anthropic_model, small_model, profile, byok"
        );
        // `apis` take the same `optional`; a misspelt API is named as before.
        let apis = |a: &str| format!("{HEAD}apis = [{a}]\n");
        let t = parse(
            "t.toml",
            &apis("\"chat\", { api = \"messages\", optional = \"anthropic_model\" }"),
        )
        .unwrap();
        assert_eq!(t.apis[1].api(), Api::Messages);
        assert_eq!(t.apis[1].needs(), Some("anthropic_model"));
        assert_eq!(
            err(&apis("\"chatt\"")),
            "t.toml:4:9: unknown variant `chatt`, expected one of `models`, `chat`, `messages`, `responses`, `count-tokens`, `gemini`"
        );
        assert_eq!(
            err(&apis("{ api = \"messages\", optional = \"claude\" }")),
            "t.toml:4:40: `optional = \"claude\"` names no profile value; give `true`, or one of: openai_base, root, anthropic_base, key, key_env, model, anthropic_model, small_model, profile, byok"
        );
    }

    #[test]
    fn value_options_are_checked() {
        let file = |format: &str, extra: &str| {
            format!(
                "{HEAD}[[file]]\nid = \"c\"\npath = \"{{home}}/x\"\nformat = \"{format}\"\n{extra}"
            )
        };
        assert_eq!(
            err(&file(
                "json",
                "[[file.value]]\nkey = \"m\"\nvalue = \"x\"\nnote = \"{file} has {current}\"\n"
            )),
            "t.toml:11:1: `m` has a `note`, which only a class \"default\" value can use (it is shown when setup leaves the user's own value)"
        );
        assert!(
            parse(
                "t.toml",
                &file(
                    "json",
                    "[[file.value]]\nkey = \"m\"\nvalue = \"x\"\nclass = \"default\"\nnote = \"{file} has {current}, not {model}\"\n"
                )
            )
            .is_ok()
        );
        assert_eq!(
            err(&file(
                "json",
                "[[file.value]]\nkey = \"m\"\nvalue = \"x\"\nclass = \"default\"\nnote = \"{curent}\"\n"
            ))
            .split(';')
            .next()
            .unwrap(),
            "t.toml:12:9: unknown placeholder `{curent}`"
        );
        assert_eq!(
            err(&file(
                "json",
                "[[file.value]]\nkey = \"m\"\nvalue = \"x\"\nmodes = []\n"
            )),
            "t.toml:11:1: `m` has `modes = []`, so it would never be written; leave `modes` out for every key mode"
        );
        assert_eq!(
            err(&file(
                "json",
                "[[file.value]]\nkey = \"m\"\nvalue = \"x\"\nmodes = [\"sometimes\"]\n"
            )),
            "t.toml:11:10: unknown variant `sometimes`, expected one of `literal`, `env`, `helper`"
        );
        assert_eq!(
            err(&file("json", "comments = { \"a.b\" = \"# mine\" }\n")),
            "t.toml:8:15: file `c`: `comments` are for TOML tables; a Json file gets none"
        );
        assert_eq!(
            err(&file("toml", "comments = { \"a.b\" = \"mine\" }\n")),
            "t.toml:8:23: the comment for `a.b` must be one line starting with `#`"
        );
    }

    #[test]
    fn exports_become_a_table_of_byoks_state_file() {
        let t = parse(
            "t.toml",
            &format!("{HEAD}[[export]]\nname = \"X_URL\"\nvalue = \"{{openai_base}}\"\n[[export]]\nname = \"X_KEY\"\nliteral = {{ command = [\"{{byok}}\", \"print-key\"] }}\nenv = {{ var = \"{{key_env}}\" }}\n"),
        )
        .unwrap();
        let f = t.files.last().unwrap();
        assert_eq!((f.id.as_str(), f.format), (EXPORTS_FILE, Format::Toml));
        assert_eq!(f.path, Paths::One(EXPORTS_PATH.into()));
        let keys: Vec<&str> = f.values.iter().map(|v| v.key.as_str()).collect();
        assert_eq!(keys, ["x.X_URL", "x.X_KEY"]);
    }

    #[test]
    fn export_mistakes_are_named() {
        let bad = |body: &str| err(&format!("{HEAD}[[export]]\n{body}"));
        assert_eq!(
            bad("name = \"A B\"\nvalue = \"x\"\n"),
            "t.toml:5:8: `A B` is not a variable name: use letters, digits and `_`, not starting with a digit"
        );
        assert_eq!(
            bad("name = \"A\"\n"),
            "t.toml:5:8: export `A` has no value: give `value`, or `literal`/`env`/`helper` per key mode"
        );
        assert_eq!(
            bad("name = \"A\"\nvalue = \"{home}/x\"\n"),
            "t.toml:5:8: export `A`: `{home}` is not a profile value; exports take those only"
        );
        assert_eq!(
            bad("name = \"A\"\nvalue = { var = \"$(id)\" }\n"),
            "t.toml:5:8: export `A`: `var` names the variable to reference: `{key_env}` or a variable name"
        );
        assert_eq!(
            bad("name = \"A\"\nvalue = { unset = false }\n"),
            "t.toml:5:8: export `A`: a value is a string, `{ var = \"{key_env}\" }`, `{ command = [\"{byok}\", …] }` or `{ unset = true }`"
        );
    }

    /// Zed reads an `openai_compatible` provider's key from `<ID>_API_KEY`, the id in
    /// upper snake case: the template's provider id and its export must agree.
    #[test]
    fn zeds_provider_id_names_its_key_variable() {
        let zed = BUILTIN.iter().find(|(n, _)| *n == "zed.toml").unwrap().1;
        let t = parse("zed.toml", zed).unwrap();
        let prefix = "language_models.openai_compatible.";
        let ids: std::collections::BTreeSet<String> = t
            .files
            .iter()
            .flat_map(|f| &f.values)
            .filter_map(|v| v.key.strip_prefix(prefix))
            .map(|rest| key_path(rest).unwrap()[0].clone())
            .collect();
        assert_eq!(ids.len(), 1, "{ids:?}");
        let id = ids.first().unwrap();
        let var = format!("{}_API_KEY", id.replace(['-', ' '], "_").to_uppercase());
        assert!(
            t.exports.iter().any(|x| x.name == var),
            "{var} is not exported"
        );
        assert_ne!(
            var,
            crate::env::BYOK_API_KEY,
            "byok's own override variable"
        );
    }

    #[test]
    fn the_exports_path_names_the_exports_file() {
        assert_eq!(EXPORTS_PATH, format!("{{{STATE_ROOT}}}/{EXPORTS_NAME}"));
    }
}
