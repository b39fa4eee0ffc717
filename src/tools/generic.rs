//! The template engine: one [`Tool`] driven entirely by a [`Template`]. Everything a
//! tool's adapter used to spell out (what to read, how to detect it, what to write, what
//! to take out again, which values to watch for hand edits) comes from the template's
//! files and values, so `owned()` can't disagree with `plan()`: both walk the same list.
//!
//! Semantics of a value's class (see `templates/README.md`): `set` is written and taken
//! out by `remove` (the user's earlier value, recorded at setup, is put back); `default`
//! is written only where absent or still byok's (by the drift record's hash); `keep` is
//! written and never removed; `absent` is removed by setup. A value whose placeholders
//! have no value for this profile (`{model}` without a model) is left alone, with one note.
//!
//! Key modes: `--key-mode helper` picks a value's `helper` variant, a profile whose key
//! lives in an env var picks `env` (`{key_env}`), else `literal`; a missing variant falls
//! back to the next weaker one, then to `value`. A file that receives the key itself is
//! written 0600.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::Result;
use serde_json::Value;

pub mod entries;
mod headers;
pub mod rows;

use super::{Current, Detection, Finding, Inputs, Placed, SetupOptions, Tool, ToolId, vscode};
use crate::config_edit::{self, doc};
use crate::env::{Env, Os};
use crate::error::UserError;
use crate::plan::Plan;
use crate::profile::Gateway;
use crate::templates::render::{self, Unset, Vars};
use crate::templates::{
    Api, Class, FileSpec, Format, LabelStyle, Loaded, Template, ValueSpec, key_path,
};

pub mod hosts;
pub mod project;

/// What a template can't say, as code, named by the template's `hook = "…"`. Each
/// method has a no-op default, so a hook implements only what its tool needs; the
/// engine calls them around its own generic work.
pub trait Hook: Sync {
    /// Adds to what the engine reads (project files that may shadow the user's).
    fn inputs(&self, _env: &Env, _inputs: &mut Inputs) {}
    /// Adds evidence of installation the template's `[detect]` can't state (a state file).
    fn detect(&self, _env: &Env, _cur: &Current, _det: &mut Detection) {}
    /// Adjusts the engine's setup plan (notes, tool-specific checks).
    fn after_plan(
        &self,
        _env: &Env,
        _gw: &Gateway,
        _opts: &SetupOptions,
        _cur: &Current,
        _plan: &mut Plan,
    ) -> Result<()> {
        Ok(())
    }
    /// Adjusts the engine's removal plan.
    fn after_remove(&self, _env: &Env, _cur: &Current, _plan: &mut Plan) -> Result<()> {
        Ok(())
    }
    /// Tool-specific findings for doctor and detect (shadowing files, logins, variables).
    fn diagnose(&self, _env: &Env, _gw: &Gateway, _cur: &Current) -> Vec<Finding> {
        Vec::new()
    }
    /// Whether `remove` leaves the value at `key` of the file with id `file` (whose text
    /// is `text`) because it is the user's by a rule data can't state (e.g. Codex's
    /// `model` belongs to whichever provider is selected).
    fn keeps(&self, _file: &str, _key: &str, _text: &str) -> bool {
        false
    }
    /// The user's secrets in the gathered files that every output must mask (e.g. key
    /// fragments a tool keeps to remember an approved key).
    fn secrets(&self, _env: &Env, _cur: &Current) -> Vec<String> {
        Vec::new()
    }
    /// Adjusts the values `restorable` reads, when the hook keeps more with one owned
    /// value's prior (Cursor's model lists, kept with `useOpenAIKey`'s).
    fn restorable(&self, _env: &Env, _cur: &Current, _out: &mut [(String, Option<String>)]) {}
    /// The state the engine's `remove` works from, when the hook's priors have a form of
    /// their own (`after_remove` still gets the gathered state); `None`: as gathered.
    fn remove_input(&self, _env: &Env, _cur: &Current) -> Option<Current> {
        None
    }
    /// Whether the engine leaves the template's file with id `file` out in this state:
    /// for setup (and detect's list of files), one the tool does not read now; for
    /// remove (`setup` false), one that can hold nothing of byok's (Continue reads its
    /// legacy config.json only when there is no config.yaml).
    fn skips(&self, _env: &Env, _cur: &Current, _file: &str, _setup: bool) -> bool {
        false
    }
}

/// A tool described by a template.
pub struct TemplateTool {
    /// The loaded template and where it came from.
    pub loaded: Loaded,
    id: ToolId,
    name: &'static str,
    binaries: Vec<&'static str>,
    hook: Option<&'static dyn Hook>,
}

impl std::fmt::Debug for TemplateTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateTool")
            .field("id", &self.id)
            .field("source", &self.loaded.source)
            .field("hook", &self.loaded.template.hook)
            .finish()
    }
}

impl TemplateTool {
    /// Wraps a loaded template. Its strings live as long as the process (templates are
    /// loaded once per run).
    pub fn new(loaded: Loaded, id: ToolId, hook: Option<&'static dyn Hook>) -> Self {
        let leak = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
        Self {
            name: leak(&loaded.template.name),
            binaries: loaded
                .template
                .detect
                .binaries
                .iter()
                .map(|b| leak(b))
                .collect(),
            id,
            loaded,
            hook,
        }
    }

    fn t(&self) -> &Template {
        &self.loaded.template
    }

    /// The template's files as concrete specs: a per-host file once per host and
    /// profile the scope covers (see [`hosts`]).
    fn files(
        &self,
        env: &Env,
        roots: &Vars,
        cur: &Current,
        scope: hosts::Scope<'_>,
    ) -> Vec<FileSpec> {
        let setup = match scope {
            hosts::Scope::Setup(_) => Some(true),
            hosts::Scope::Remove(_) => Some(false),
            hosts::Scope::All => None,
        };
        let mut files = hosts::expand(env, roots, &self.t().files, cur, scope);
        if let (Some(h), Some(setup)) = (self.hook, setup) {
            files.retain(|f| !h.skips(env, cur, &f.id, setup));
        }
        files
    }

    /// The directory placeholders: built-in roots, then the template's own.
    fn roots(&self, env: &Env) -> Vars {
        let mut v = Vars::default();
        let s = |p: PathBuf| Some(p.display().to_string());
        v.set("home", s(env.home.clone()));
        v.set("xdg_config", s(env.xdg_config_home()));
        v.set("config", s(env.electron_user_data_root()));
        v.set("appdata", s(env.roaming_app_data()));
        v.set("localappdata", s(env.local_app_data()));
        v.set("data", s(env.data_dir.clone()));
        if !self.t().exports.is_empty() {
            v.set(crate::templates::STATE_ROOT, s(env.state_dir.clone()));
        }
        for (name, root) in &self.t().roots {
            let from_var = root.env.as_deref().and_then(|var| env.path_var(var));
            let value = from_var.or_else(|| {
                let default = match env.os {
                    Os::Linux => root.linux.as_ref(),
                    Os::Macos => root.macos.as_ref(),
                    Os::Windows => root.windows.as_ref(),
                }
                .or(root.default.as_ref())?;
                path_from(&v, default, env)
            });
            v.set(name, value.map(|p| p.display().to_string()));
        }
        v
    }

    /// The text of the file that holds byok's values: the one setup would edit, else
    /// another candidate that holds some (so that setting the file's variable later, or
    /// creating a preferred candidate, does not read as a hand edit of what byok wrote).
    fn owned_text(&self, env: &Env, roots: &Vars, f: &FileSpec, cur: &Current) -> String {
        let target = self.path_of(env, roots, f, Some(cur));
        let holds_byoks = |text: &str| {
            f.values.iter().any(|v| {
                v.class == Class::Set
                    && key_path(&v.key)
                        .is_ok_and(|k| matches!(doc::get(f.format, text, &k), Ok(Some(_))))
            })
        };
        let others = f
            .path
            .all()
            .into_iter()
            .filter_map(|p| path_from(roots, p, env));
        target
            .clone()
            .into_iter()
            .chain(others)
            .filter_map(|p| rows::text(cur, f, &p))
            .find(|t| holds_byoks(t))
            .or_else(|| target.and_then(|p| rows::text(cur, f, &p)))
            .unwrap_or_default()
            .to_string()
    }

    /// Every path the template's own (user-level) files may have.
    fn user_files(&self, env: &Env) -> Vec<PathBuf> {
        let roots = self.roots(env);
        self.t()
            .files
            .iter()
            .flat_map(|f| f.path.all())
            .filter_map(|p| path_from(&roots, p, env))
            .collect()
    }

    /// `vars` with every directory placeholder as `~/…`, for notes and manual steps.
    fn shown(&self, env: &Env, vars: &Vars) -> Vars {
        let mut out = vars.clone();
        let names = render::BUILTIN_ROOTS
            .iter()
            .copied()
            .chain(self.t().roots.keys().map(String::as_str));
        for name in names {
            if let Some(p) = vars.get(name) {
                out.set(name, Some(env.tilde(std::path::Path::new(p))));
            }
        }
        out
    }

    /// The file a spec names: its env override, else the first candidate that exists,
    /// else the first.
    fn path_of(
        &self,
        env: &Env,
        roots: &Vars,
        f: &FileSpec,
        cur: Option<&Current>,
    ) -> Option<PathBuf> {
        if let Some(p) = f.env.as_deref().and_then(|var| env.path_var(var)) {
            return Some(p);
        }
        let candidates: Vec<PathBuf> = f
            .path
            .all()
            .into_iter()
            .filter_map(|p| path_from(roots, p, env))
            .collect();
        let create = f
            .create
            .as_deref()
            .and_then(|c| f.path.all().iter().position(|p| *p == c))
            .unwrap_or(0);
        cur.and_then(|c| {
            candidates
                .iter()
                .find(|p| rows::text(c, f, p).is_some())
                .cloned()
        })
        .or_else(|| candidates.into_iter().nth(create))
    }

    fn vars(&self, env: &Env, gw: &Gateway, opts: &SetupOptions) -> Vars {
        let mut v = self.roots(env);
        v.extend(Vars::gateway(gw));
        v.set("byok", Some(opts.exe.clone()));
        model_fallbacks(&mut v, gw);
        let reference = self.t().headers.as_ref().and_then(|h| h.env.clone());
        v.set_headers(profile_headers(env, gw), reference);
        v
    }

    /// The error for a value a `.env` can't hold (the dotenv grammar refuses it).
    fn unwritable(
        &self,
        env: &Env,
        path: &std::path::Path,
        f: &FileSpec,
        spec: &toml::Value,
        why: &str,
    ) -> anyhow::Error {
        if !holds_key(spec) {
            return UserError::new(format!("could not write {}: {why}", env.tilde(path))).into();
        }
        let hint = if let Some(h) = &f.key_hint {
            h.clone()
        } else if self.runs_key_command() {
            format!(
                "use `--key-mode helper` so {} asks byok for the key, or ask the gateway for a key without quote characters or line breaks",
                self.name
            )
        } else {
            format!(
                "ask the gateway for a key without quote characters or line breaks, then `byok init` with it and run `byok setup {}` again",
                self.t().id
            )
        };
        UserError::new(format!(
            "could not write the key to {}: {why}",
            env.tilde(path)
        ))
        .hint(hint)
        .into()
    }

    /// The drift label of a value (or of a leaf below it): the file's id, or its `~/…`
    /// path for a file with `label = "path"`.
    fn label(env: &Env, path: Option<&std::path::Path>, f: &FileSpec, key: &str) -> String {
        // A quoted segment reads as the key it names (`"roo-cline.autoImportSettingsPath"`
        // is the setting `roo-cline.autoImportSettingsPath`), as leaves below it do.
        let joined = key_path(key).map(|k| k.join("."));
        let key = joined.as_deref().unwrap_or(key);
        match (f.label, path) {
            (LabelStyle::Path, Some(p)) => format!("{} {key}", env.tilde(p)),
            _ => format!("{} {key}", f.id),
        }
    }
}

/// How to load exports into the shell, for setup's step and doctor's hint.
const LOAD_EXPORTS: &str = "run `eval \"$(byok env)\"` (fish: `byok env | source`) in each open shell, or open a new one (`byok env --install` loads byok env at every start)";

/// An export as this shell has it compared with what `byok env` prints.
#[derive(Debug, PartialEq, Eq)]
enum InShell {
    /// The shell has byok's value.
    Yes,
    /// The variable is not set.
    Missing,
    /// Another value is set (shown redacted), or a variable byok unsets is set.
    Other(String),
}

impl TemplateTool {
    /// The tool's exports as byok's state file holds them for `byok env`, by name (none
    /// when the tool is not set up, or has no exports).
    fn stored_exports(&self, env: &Env, cur: &Current) -> Vec<(String, crate::shell::Value)> {
        let Some(f) = self
            .t()
            .files
            .iter()
            .find(|f| f.id == crate::templates::EXPORTS_FILE)
        else {
            return Vec::new();
        };
        let roots = self.roots(env);
        let Some(text) = self
            .path_of(env, &roots, f, Some(cur))
            .and_then(|p| cur.file(&p))
        else {
            return Vec::new();
        };
        // Only this tool's table: the same reader `byok env` uses, on it alone.
        let Ok(Some(mine)) = doc::get(Format::Toml, text, &[self.t().id.clone()]) else {
            return Vec::new();
        };
        let mut one = toml::Table::new();
        let Ok(table) = toml::Value::try_from(&mine) else {
            return Vec::new();
        };
        one.insert(self.t().id.clone(), table);
        let text = toml::to_string(&one).unwrap_or_default();
        crate::templates::env::tool_exports(&text, env.os).unwrap_or_default()
    }

    /// Whether this shell has each stored export as `byok env` prints it.
    fn loaded(env: &Env, exports: &[(String, crate::shell::Value)]) -> Vec<(String, InShell)> {
        use crate::shell::Value;
        exports
            .iter()
            .map(|(name, value)| {
                let now = env.var(name);
                let state = match (value, now) {
                    (Value::Unset, None) => InShell::Yes,
                    (Value::Unset, Some(_)) => InShell::Other("set".into()),
                    (_, None) => InShell::Missing,
                    (Value::Literal(s), Some(n)) if s == n => InShell::Yes,
                    (Value::FromVar(v), Some(n)) if env.var(v) == Some(n) => InShell::Yes,
                    (_, Some(n)) => InShell::Other(crate::secret::redact(n)),
                };
                (name.clone(), state)
            })
            .collect()
    }

    /// Doctor's and detect's word on the exports: on (byok env prints them) and whether
    /// this shell has them; a stale value of another setup is named.
    fn exports_findings(&self, env: &Env, cur: &Current) -> Vec<Finding> {
        let exports = self.stored_exports(env, cur);
        if exports.is_empty() {
            return Vec::new();
        }
        let what = self.exports_summary(&exports);
        let states = Self::loaded(env, &exports);
        let mut out = Vec::new();
        let missing: Vec<&str> = states
            .iter()
            .filter(|(_, s)| *s == InShell::Missing)
            .map(|(n, _)| n.as_str())
            .collect();
        for (name, state) in &states {
            if let InShell::Other(now) = state {
                let byoks = exports.iter().find(|(n, _)| n == name).map(|(_, v)| v);
                let message = if byoks == Some(&crate::shell::Value::Unset) {
                    format!(
                        "{name} is set in this shell; byok env unsets it for {}, as it would win over byok's settings",
                        self.name
                    )
                } else {
                    format!(
                        "{name} in this shell is `{now}`, not what byok env sets for {}",
                        self.name
                    )
                };
                out.push(Finding {
                    severity: super::Severity::Warn,
                    message,
                    hint: Some(LOAD_EXPORTS.to_string()),
                });
            }
        }
        if !missing.is_empty() {
            out.push(Finding {
                severity: super::Severity::Warn,
                message: format!(
                    "{what}, but this shell does not have {} yet",
                    missing.join(", ")
                ),
                hint: Some(LOAD_EXPORTS.to_string()),
            });
        }
        if out.is_empty() {
            out.push(Finding {
                severity: super::Severity::Info,
                message: format!("{what}, and this shell has them"),
                hint: None,
            });
        }
        out
    }

    /// "byok env sets A, B (and unsets C) for Tool".
    fn exports_summary(&self, exports: &[(String, crate::shell::Value)]) -> String {
        let (unset, set): (Vec<_>, Vec<_>) = exports
            .iter()
            .partition(|(_, v)| *v == crate::shell::Value::Unset);
        let list = |v: &[&(String, crate::shell::Value)]| {
            v.iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let unsets = if unset.is_empty() {
            String::new()
        } else {
            format!(" (and unsets {})", list(&unset))
        };
        format!("byok env sets {}{unsets} for {}", list(&set), self.name)
    }

    /// Setup's step when it changes the exports: this shell only has them once it loads
    /// byok env again.
    fn exports_step(&self, env: &Env, plan: &mut Plan) {
        let Some(f) = self
            .t()
            .files
            .iter()
            .find(|f| f.id == crate::templates::EXPORTS_FILE)
        else {
            return;
        };
        let roots = self.roots(env);
        let Some(path) = self.path_of(env, &roots, f, None) else {
            return;
        };
        let changed = plan.effective().any(|c| c.path == path);
        if changed {
            plan.manual_steps
                .push(format!("load {}'s settings: {LOAD_EXPORTS}", self.name));
        }
    }
}

/// The template's strings in `t` beside the file's values at the same places in `now`,
/// with the key path below: objects by key (a key with a placeholder matches each key
/// that fits it, and is itself a placed string), lists by position.
fn placed_strings(t: &Value, now: &Value) -> Vec<(Vec<String>, String, String)> {
    fn walk(
        t: &Value,
        now: &Value,
        at: &mut Vec<String>,
        out: &mut Vec<(Vec<String>, String, String)>,
    ) {
        match (t, now) {
            (Value::String(ts), Value::String(ns)) => {
                out.push((at.clone(), ts.clone(), ns.clone()))
            }
            (Value::Object(tm), Value::Object(nm)) => {
                for (k, tv) in tm {
                    if render::names(k).is_empty() {
                        if let Some(nv) = nm.get(k) {
                            at.push(k.clone());
                            walk(tv, nv, at, out);
                            at.pop();
                        }
                        continue;
                    }
                    for (nk, nv) in nm.iter().filter(|(nk, _)| render::unfill(k, nk).is_some()) {
                        at.push(nk.clone());
                        out.push((at.clone(), k.clone(), nk.clone()));
                        walk(tv, nv, at, out);
                        at.pop();
                    }
                }
            }
            (Value::Array(ta), Value::Array(na)) => {
                for (i, (tv, nv)) in ta.iter().zip(na).enumerate() {
                    at.push(i.to_string());
                    walk(tv, nv, at, out);
                    at.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(t, now, &mut Vec::new(), &mut out);
    out
}

/// A path from template text: placeholders filled from `roots`, `~/` is the home.
fn path_from(roots: &Vars, text: &str, env: &Env) -> Option<PathBuf> {
    let text = match text.strip_prefix("~/") {
        Some(rest) => format!("{}/{rest}", env.home.display()),
        None => text.to_string(),
    };
    let filled = roots.str(&text).ok()?;
    Some(PathBuf::from(filled))
}

/// The profile's extra headers as the tools get them: a header read from a variable
/// with the variable's value in byok's environment (for tools that take no reference).
fn profile_headers(env: &Env, gw: &Gateway) -> Vec<render::Header> {
    gw.headers
        .iter()
        .map(|(name, raw)| render::Header {
            name: name.clone(),
            value: match crate::profile::header_env(raw) {
                Some(var) => render::HeaderValue::FromVar {
                    var: var.to_string(),
                    value: env.var(var).map(str::to_string),
                },
                None => render::HeaderValue::Plain(raw.clone()),
            },
            secret: crate::profile::is_secret_header(name),
        })
        .collect()
}

/// Whether a rendered value holds `needle` in one of its strings.
fn holds_text(v: &Value, needle: &str) -> bool {
    match v {
        Value::String(s) => s.contains(needle),
        Value::Array(a) => a.iter().any(|x| holds_text(x, needle)),
        Value::Object(m) => m.values().any(|x| holds_text(x, needle)),
        _ => false,
    }
}

/// The labels of the leaves inside byok's table at `key` that its value doesn't have:
/// the user's (a header of their own in a headers table, a setting they added), never
/// recorded as byok's, so no later setup drops them and an edit of theirs is no drift.
fn users_leaves(
    format: Format,
    text: &str,
    key: &[String],
    value: &Value,
    label: &str,
) -> Vec<String> {
    if !value.is_object() {
        return Vec::new();
    }
    let wanted: BTreeSet<Vec<String>> = doc::value_leaves(value)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    doc::leaves(format, text, key)
        .into_iter()
        .filter(|(below, _)| !below.is_empty() && !wanted.contains(below))
        .map(|(below, _)| format!("{label}.{}", below.join(".")))
        .collect()
}

/// The headers form of a value that is one whole `{headers…}` string.
fn whole_headers(spec: &toml::Value) -> Option<render::HeadersForm> {
    spec.as_str().and_then(render::headers_form)
}

/// Whether a value's text puts the key itself in the file.
fn holds_key(v: &toml::Value) -> bool {
    render::value_names(v).iter().any(|n| n == "key")
}

/// The values a `set` value can hold when none of its variants has a placeholder (else
/// none: what byok wrote depends on the profile).
fn constants(v: &ValueSpec) -> Vec<Value> {
    let variants: Vec<&toml::Value> = [&v.value, &v.literal, &v.env, &v.helper]
        .into_iter()
        .flatten()
        .collect();
    let empty = Vars::default();
    variants
        .iter()
        .map(|x| empty.value(x).ok())
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default()
}

/// A tool's models fall back as a profile's do: `{anthropic_model}` to the chat model,
/// `{small_model}` to that (Claude Code needs a model for every alias it resolves).
fn model_fallbacks(v: &mut Vars, gw: &Gateway) {
    let anthropic = gw.anthropic_model_or_default().map(str::to_string);
    v.set("anthropic_model", anthropic.clone());
    v.set("small_model", gw.small_model.clone().or(anthropic));
}

/// Takes out of a table value the leaves byok wrote last time (the drift record says so,
/// and they are unchanged) that the new value no longer has, so a table merged key by
/// key (a model list keyed by the model's name) doesn't keep the old profile's model
/// after a switch; leaves the user added stay.
fn drop_stale_leaves(
    format: Format,
    text: &str,
    key: &[String],
    value: &Value,
    label: &str,
    cur: &Current,
) -> Result<String, config_edit::ParseError> {
    if !value.is_object() {
        return Ok(text.to_string());
    }
    let wanted: BTreeSet<Vec<String>> = doc::value_leaves(value)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let mut out = text.to_string();
    for (below, now) in doc::leaves(format, text, key) {
        if below.is_empty() || wanted.contains(&below) {
            continue;
        }
        let leaf_label = format!("{label}.{}", below.join("."));
        if !cur.byoks(&leaf_label, &now) {
            continue;
        }
        let mut path = key.to_vec();
        path.extend(below);
        out = doc::remove(format, &out, &path, true)?;
    }
    Ok(out)
}

/// Whether a value applies to the profile's Anthropic auth style.
fn for_auth(v: &ValueSpec, gw: &Gateway) -> bool {
    v.auth.is_none_or(|a| a == gw.anthropic_auth)
}

/// A file's values, the first of each key only (values of one key for different auth
/// styles are one owned value; byok's several items in one list are one each).
fn first_per_key(f: &FileSpec) -> impl Iterator<Item = &ValueSpec> {
    let mut seen = BTreeSet::new();
    f.values
        .iter()
        .filter(move |v| v.entry.is_some() || seen.insert(v.key.as_str()))
}

/// Whether the profile itself sets the placeholder `name` (a model that falls back to
/// another does not count).
fn has_own(gw: &Gateway, name: &str) -> bool {
    Vars::gateway(gw).get(name).is_some()
}

/// The fixed values byok may have written at a key, over every value for it (none when
/// any of them depends on the profile).
fn same_key_constants(f: &FileSpec, key: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for v in f.values.iter().filter(|v| v.key == key) {
        let c = constants(v);
        if c.is_empty() {
            return Vec::new();
        }
        out.extend(c);
    }
    out
}

/// What a missing placeholder means for the user, said once per plan.
fn missing_note(tool: &str, gw: &Gateway, name: &str) -> String {
    if let Some(var) = name.strip_prefix('$') {
        let header = gw
            .headers
            .iter()
            .find(|(_, v)| crate::profile::header_env(v) == Some(var))
            .map_or("a header", |(n, _)| n.as_str());
        return format!(
            "profile `{}` reads header `{header}` from ${var}, which is not set, so byok left {tool}'s headers as they were; export {var} and run setup again",
            gw.name
        );
    }
    let flag = match name {
        "model" => "--model",
        "anthropic_model" => "--anthropic-model",
        "small_model" => "--small-model",
        "key" | "key_env" => "--key",
        _ => "",
    };
    let what = name.replace('_', " ");
    if flag.is_empty() {
        format!(
            "profile `{}` has no {what}, so byok left the values that need it",
            gw.name
        )
    } else {
        format!(
            "profile `{}` has no {what}, so byok left {tool}'s settings that need one; add it with `byok init --name {} {flag} …` and run setup again",
            gw.name, gw.name
        )
    }
}

fn json_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Tool for TemplateTool {
    fn id(&self) -> ToolId {
        self.id
    }

    fn name(&self) -> &'static str {
        self.name
    }

    fn inputs(&self, env: &Env) -> Inputs {
        let roots = self.roots(env);
        let mut files = Vec::new();
        let mut rows_wanted = Inputs::default();
        for f in self.t().files.iter().filter(|f| f.hosts.is_none()) {
            let paths: Vec<PathBuf> = f
                .path
                .all()
                .into_iter()
                .filter_map(|p| path_from(&roots, p, env))
                .collect();
            if rows::add_input(f, &paths, &mut rows_wanted) {
                continue;
            }
            if let Some(p) = f.env.as_deref().and_then(|var| env.path_var(var)) {
                files.push(p);
            }
            files.extend(paths);
        }
        let mut dirs: Vec<PathBuf> = self
            .t()
            .detect
            .dirs
            .iter()
            .filter_map(|d| path_from(&roots, d, env))
            .collect();
        if !self.t().detect.extensions.is_empty() {
            dirs.extend(vscode::HOSTS.iter().map(|h| h.extensions_dir(env)));
        }
        let mut inputs = Inputs {
            files,
            dirs,
            binaries: self.binaries.clone(),
            sqlite: rows_wanted.sqlite,
            ..Inputs::default()
        };
        hosts::inputs(env, &roots, &self.t().files, &mut inputs);
        inputs.files.extend(
            project::candidates(env, &self.t().project_files, &self.user_files(env))
                .into_iter()
                .map(|(_, _, p)| p),
        );
        if let Some(h) = self.hook {
            h.inputs(env, &mut inputs);
        }
        inputs
    }

    fn more_inputs(&self, env: &Env, cur: &Current) -> Inputs {
        hosts::more_inputs(env, &self.roots(env), &self.t().files, cur)
    }

    fn detect(&self, env: &Env, cur: &Current) -> Detection {
        let roots = self.roots(env);
        let mut det = Detection {
            config_files: self
                .files(env, &roots, cur, hosts::Scope::All)
                .iter()
                .filter(|f| !self.hook.is_some_and(|h| h.skips(env, cur, &f.id, true)))
                .filter_map(|f| self.path_of(env, &roots, f, Some(cur)))
                .collect(),
            ..Detection::default()
        };
        for b in &self.binaries {
            det.note_binary(env, cur, b);
        }
        for d in &self.t().detect.dirs {
            if let Some(p) = path_from(&roots, d, env) {
                det.note_config_dir(env, cur, &p);
            }
        }
        if let Some(h) = self.hook {
            h.detect(env, cur, &mut det);
        }
        if let crate::templates::Source::User(p) = &self.loaded.source {
            det.evidence.push(format!("user template {}", env.tilde(p)));
        }
        for ext in &self.t().detect.extensions {
            for found in vscode::installed(env, cur, &ext.id).filter(|f| {
                ext.min_version
                    .as_deref()
                    .is_none_or(|m| vscode::version_at_least(&f.version, m))
            }) {
                det.installed = true;
                det.evidence.push(format!(
                    "extension {} in {}",
                    found.version, found.host.name
                ));
            }
        }
        det
    }

    fn plan(&self, env: &Env, gw: &Gateway, opts: &SetupOptions, cur: &Current) -> Result<Plan> {
        let vars = self.vars(env, gw, opts);
        let shown_vars = self.shown(env, &vars);
        let form = opts.key_form(gw);
        // A credential header is masked like a key wherever byok prints it.
        let header_secrets = vars.header_secrets();
        for s in &header_secrets {
            crate::secret::register(s);
        }
        // A template without files is steps by hand only: setup shows them and records
        // nothing, doctor doesn't call the tool set up.
        let mut plan = Plan {
            manual_only: self.t().files.is_empty(),
            ..Plan::default()
        };
        let mut missing: BTreeSet<String> = BTreeSet::new();
        let scope = hosts::Scope::Setup(opts.host.as_deref());
        for f in &self.files(env, &vars, cur, scope) {
            let Some(path) = self.path_of(env, &vars, f, Some(cur)) else {
                continue;
            };
            let before = rows::text(cur, f, &path).map(str::to_string);
            if before.is_none() && !rows::creatable(f) {
                continue;
            }
            let original = before.as_deref().unwrap_or_default();
            let bad = |e: config_edit::ParseError| {
                rows::unparsable(self.name, env, f, &path, original, &e)
            };
            let mut text = match before.as_deref() {
                Some(t) if !t.trim().is_empty() => {
                    rows::check(self.name, env, f, &path, t)?;
                    doc::check(f.format, t).map_err(bad)?;
                    t.to_string()
                }
                Some(t) => format!(
                    "{}{}",
                    config_edit::split_bom(t).0,
                    f.new.as_deref().unwrap_or("")
                ),
                None => f.new.clone().unwrap_or_default(),
            };
            // Tables that exist before byok's values go in get no comment of byok's.
            let mut uncommented = Vec::new();
            for table in f.comments.keys() {
                let key = key_path(table).map_err(anyhow::Error::msg)?;
                if doc::get(f.format, &text, &key).map_err(bad)?.is_none() {
                    uncommented.push(table);
                }
            }
            let mut secret = f.secret;
            let mut wrote = false;
            // The identity of byok's last item written in each list: the next one goes
            // after it.
            let mut items_written: std::collections::BTreeMap<String, String> =
                std::collections::BTreeMap::new();
            for v in f.values.iter().filter(|v| for_auth(v, gw)) {
                let key = key_path(&v.key).map_err(anyhow::Error::msg)?;
                let other_mode = v.modes.as_ref().is_some_and(|m| !m.contains(&form));
                if other_mode && self.hook.is_some_and(|h| h.keeps(&f.id, &v.key, &text)) {
                    continue;
                }
                if v.class == Class::Absent || other_mode {
                    // A value of another key mode goes with what it held (e.g. a whole
                    // `auth` table); an `absent` key leaves its parent.
                    text = doc::remove(f.format, &text, &key, other_mode).map_err(bad)?;
                    continue;
                }
                let Some(spec) = v.variant(form) else {
                    continue;
                };
                // `optional = "anthropic_model"`: only for a profile that sets it itself.
                let own = v.optional.needs().is_none_or(|n| has_own(gw, n));
                let whole = whole_headers(spec);
                let value = match vars.value(spec) {
                    Ok(x) => own.then_some(x),
                    // No headers of this form (any more): byok's earlier ones go below.
                    Err(Unset(name)) if name == "headers" && whole.is_some() => None,
                    // A table whose only fields are headers, and the profile has none.
                    Err(Unset(name)) if name == "headers" => continue,
                    Err(Unset(name)) => {
                        if !v.optional.is_optional() {
                            missing.insert(name);
                        }
                        None
                    }
                };
                let label = Self::label(env, Some(&path), f, &v.key);
                let value = match (whole.map(render::HeadersForm::separator), value) {
                    (None, value) => value,
                    // A headers string holds the user's own pairs too.
                    (Some(Some(sep)), wanted) => {
                        let now = doc::get(f.format, &text, &key).map_err(bad)?;
                        let base = headers::base(f.format, now.as_ref(), &label, cur);
                        let wanted = wanted.as_ref().and_then(Value::as_str);
                        let merged = headers::merge(&base, wanted, sep);
                        if wanted.is_some()
                            && let Some(m) = merged
                        {
                            Some(Value::String(m))
                        } else {
                            // No headers of byok's: what is left is the user's, and
                            // never recorded as byok's.
                            text = match merged {
                                Some(m) if now.as_ref().and_then(Value::as_str) != Some(&m) => {
                                    doc::set(f.format, &text, &key, &Value::String(m))
                                        .map_err(bad)?
                                }
                                Some(_) => text,
                                None if now.is_some() => {
                                    doc::remove(f.format, &text, &key, true).map_err(bad)?
                                }
                                None => text,
                            };
                            plan.left.push(label);
                            continue;
                        }
                    }
                    (Some(None), Some(x)) => Some(x),
                    (Some(None), None) => {
                        text = headers::clear_table(f.format, &text, &key, &label, cur)
                            .map_err(bad)?;
                        plan.left.push(label);
                        continue;
                    }
                };
                if let Some(x) = &value {
                    secret |= header_secrets.iter().any(|s| holds_text(x, s));
                }
                if v.entry.is_some() {
                    let mut list = entries::List::new(f, v, &key, label.clone());
                    list.after = items_written.get(&v.key).cloned();
                    let Some(value) = value else {
                        // An optional item goes when the profile has nothing for it (a
                        // later profile without that model).
                        if v.optional.is_optional() {
                            text = list.remove(&text, cur).map_err(bad)?;
                        }
                        continue;
                    };
                    let (after, entry) = list.upsert(&text, &value, cur).map_err(bad)?;
                    items_written.insert(v.key.clone(), entry.id.clone());
                    secret |= holds_key(spec);
                    wrote = true;
                    text = after;
                    plan.entries.insert(list.slot, entry);
                    continue;
                }
                let Some(value) = value else {
                    continue;
                };
                if v.class == Class::Default
                    && let Some(now) = doc::get(f.format, &text, &key).map_err(bad)?
                {
                    let byoks = cur.byoks(&label, &json_text(&now)) || now == value;
                    if !byoks {
                        let current = crate::secret::redact(&json_text(&now));
                        let mut note_vars = shown_vars.clone();
                        note_vars.set("file", Some(env.tilde(&path)));
                        note_vars.set("current", Some(current.clone()));
                        let note = v.note.as_deref().and_then(|n| note_vars.str(n).ok());
                        plan.notes.push(note.unwrap_or_else(|| {
                            format!(
                                "{} sets {} to {current}; byok left your choice",
                                env.tilde(&path),
                                v.key,
                            )
                        }));
                        plan.left.push(label);
                        continue;
                    }
                }
                secret |= holds_key(spec);
                wrote = true;
                text =
                    drop_stale_leaves(f.format, &text, &key, &value, &label, cur).map_err(bad)?;
                text = match doc::set(f.format, &text, &key, &value) {
                    Ok(t) => t,
                    Err(e) if f.format == Format::Dotenv => {
                        return Err(self.unwritable(env, &path, f, spec, &e.message));
                    }
                    Err(e) => return Err(bad(e)),
                };
                plan.left
                    .extend(users_leaves(f.format, &text, &key, &value, &label));
            }
            for table in uncommented {
                let key = key_path(table).map_err(anyhow::Error::msg)?;
                let key: Vec<&str> = key.iter().map(String::as_str).collect();
                text = config_edit::toml_file::comment_table(&text, &key, &f.comments[table])
                    .map_err(bad)?;
            }
            let text = rows::finish(f, before.as_deref(), text);
            // A file that would hold nothing of byok's is not created; one that holds
            // nothing any more (e.g. a `.env` whose key line another key mode took out)
            // goes, when byok created it.
            let after = match &before {
                None if !wrote => continue,
                Some(b)
                    if !wrote
                        && text != *b
                        && doc::is_blank(f.format, &text)
                        && rows::deletable(f, cur, &path) =>
                {
                    None
                }
                _ => Some(text),
            };
            if let Some(var) = f.env.as_deref().filter(|v| env.path_var(v).is_some()) {
                plan.notes
                    .push(format!("{var} is set, so byok edited {}", env.tilde(&path)));
            }
            plan.changes
                .push(rows::change(f, path, before, after, secret));
        }
        for name in &missing {
            plan.notes.push(missing_note(self.name, gw, name));
        }
        let mut shown = shown_vars.clone();
        if !opts.show_key {
            shown.set("key", gw.api_key().map(crate::secret::ApiKey::masked));
        }
        // The template's notes are about what setup changes: an up-to-date tool needs none.
        if plan.effective().next().is_some() {
            plan.notes
                .extend(self.t().notes.iter().filter_map(|n| shown.str(n).ok()));
        }
        plan.manual_steps
            .extend(self.t().manual.iter().filter_map(|m| shown.str(m).ok()));
        self.exports_step(env, &mut plan);
        if let Some(h) = self.hook {
            h.after_plan(env, gw, opts, cur, &mut plan)?;
        }
        Ok(plan)
    }

    fn remove(&self, env: &Env, opts: &SetupOptions, cur: &Current) -> Result<Plan> {
        let gathered = cur;
        let adjusted = self.hook.and_then(|h| h.remove_input(env, cur));
        let cur = adjusted.as_ref().unwrap_or(cur);
        let roots = self.roots(env);
        let mut plan = Plan::default();
        let scope = hosts::Scope::Remove(opts.host.as_deref());
        for f in &self.files(env, &roots, cur, scope) {
            let Some(path) = self.path_of(env, &roots, f, Some(cur)) else {
                continue;
            };
            let Some(before) = rows::text(cur, f, &path) else {
                continue;
            };
            let bad =
                |e: config_edit::ParseError| rows::unparsable(self.name, env, f, &path, before, &e);
            rows::check(self.name, env, f, &path, before)?;
            let mut text = before.to_string();
            let mut done: BTreeSet<&str> = BTreeSet::new();
            for v in f.values.iter().rev() {
                // Values of one key for different auth styles are one value here (not
                // byok's several items in one list).
                if matches!(v.class, Class::Keep | Class::Absent)
                    || (v.entry.is_none() && !done.insert(&v.key))
                {
                    continue;
                }
                let key = key_path(&v.key).map_err(anyhow::Error::msg)?;
                let label = Self::label(env, Some(&path), f, &v.key);
                if v.entry.is_some() {
                    let list = entries::List::new(f, v, &key, label);
                    text = list.remove(&text, cur).map_err(bad)?;
                    continue;
                }
                let Some(now) = doc::get(f.format, &text, &key).map_err(bad)? else {
                    continue;
                };
                // A default the user chose is theirs; so is a value changed since byok wrote it.
                if v.class == Class::Default && !cur.byoks(&label, &json_text(&now)) {
                    continue;
                }
                // byok only ever writes a fixed value's text: another one is the user's.
                let fixed = same_key_constants(f, &v.key);
                if !fixed.is_empty() && !fixed.contains(&now) {
                    continue;
                }
                if self.hook.is_some_and(|h| h.keeps(&f.id, &v.key, before)) {
                    continue;
                }
                // Headers byok never wrote here are the user's; of a headers table byok
                // added to, only its own entries go.
                let written = cur.written.keys().any(|l| {
                    l.strip_prefix(label.as_str())
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
                });
                let whole: Vec<render::HeadersForm> = [&v.value, &v.literal, &v.env, &v.helper]
                    .into_iter()
                    .flatten()
                    .filter_map(whole_headers)
                    .collect();
                if !whole.is_empty() && !written {
                    continue;
                }
                let headers_table = whole.iter().any(|h| h.separator().is_none());
                if headers_table && cur.prior(&label).is_none() {
                    text = headers::clear_table(f.format, &text, &key, &label, cur).map_err(bad)?;
                    continue;
                }
                text = match cur.prior(&label) {
                    Some(prior) if f.format == Format::Dotenv => {
                        super::dotenv_put_back(&text, &key[0], prior)?
                    }
                    Some(prior) => match doc::parse_prior(f.format, prior) {
                        // Set in place, so the line keeps its comment; an object replaces
                        // byok's whole object rather than merging into it.
                        Some(p) if !p.is_object() && !now.is_object() => {
                            doc::set(f.format, &text, &key, &p).map_err(bad)?
                        }
                        Some(p) => {
                            let cleared = doc::remove(f.format, &text, &key, false).map_err(bad)?;
                            doc::set(f.format, &cleared, &key, &p).map_err(bad)?
                        }
                        None => doc::remove(f.format, &text, &key, true).map_err(bad)?,
                    },
                    None => doc::remove(f.format, &text, &key, true).map_err(bad)?,
                };
            }
            let empty = doc::is_blank(f.format, &text)
                || Some(config_edit::split_bom(&text).1) == f.new.as_deref();
            let after = (!empty || !rows::deletable(f, cur, &path)).then_some(text);
            plan.changes.push(rows::change(
                f,
                path,
                Some(before.to_string()),
                after,
                f.secret,
            ));
        }
        if let Some(h) = self.hook {
            h.after_remove(env, gathered, &mut plan)?;
        }
        Ok(plan)
    }

    fn project_reads(&self, env: &Env, cur: &Current) -> Vec<super::ProjectRead> {
        project::reads(env, &self.t().project_files, &self.user_files(env), cur)
    }

    fn removed_part(
        &self,
        env: &Env,
        opts: &SetupOptions,
        cur: &Current,
        plan: &Plan,
    ) -> Option<super::Part> {
        let host = opts.host.as_deref()?;
        let roots = self.roots(env);
        let per_host: Vec<FileSpec> = self
            .t()
            .files
            .iter()
            .filter(|f| f.hosts.is_some())
            .cloned()
            .collect();
        let deleted =
            |p: &std::path::Path| plan.effective().any(|c| c.after.is_none() && c.path == p);
        // That host's files, and any other the removal deletes (an import file no host
        // points at any more).
        let scoped = hosts::expand(
            env,
            &roots,
            &per_host,
            cur,
            hosts::Scope::Remove(Some(host)),
        );
        let others: Vec<FileSpec> = self
            .files(env, &roots, cur, hosts::Scope::All)
            .into_iter()
            .filter(|f| {
                self.path_of(env, &roots, f, Some(cur))
                    .is_some_and(|p| deleted(&p))
            })
            .collect();
        let mut part = super::Part::default();
        for f in scoped.iter().chain(&others) {
            let path = self.path_of(env, &roots, f, Some(cur));
            part.files.extend(path.clone());
            part.labels
                .extend(first_per_key(f).map(|v| Self::label(env, path.as_deref(), f, &v.key)));
        }
        Some(part)
    }

    fn owned(&self, env: &Env, cur: &Current) -> Vec<(String, Option<String>)> {
        let roots = self.roots(env);
        let mut out = Vec::new();
        for f in &self.files(env, &roots, cur, hosts::Scope::All) {
            let text = self.owned_text(env, &roots, f, cur);
            let path = self.path_of(env, &roots, f, Some(cur));
            for v in first_per_key(f) {
                // `keep` values are never taken back, so they are not tracked either.
                if matches!(v.class, Class::Absent | Class::Keep) {
                    continue;
                }
                let Ok(key) = key_path(&v.key) else {
                    continue;
                };
                let label = Self::label(env, path.as_deref(), f, &v.key);
                if v.entry.is_some() {
                    let list = entries::List::new(f, v, &key, label);
                    out.extend(list.owned(&text, cur));
                    continue;
                }
                let leaves = rows::leaves(f, &text, &key);
                if leaves.is_empty() {
                    out.push((label.clone(), None));
                }
                for (below, value) in leaves {
                    let l = if below.is_empty() {
                        label.clone()
                    } else {
                        format!("{label}.{}", below.join("."))
                    };
                    out.push((l, Some(value)));
                }
            }
        }
        // In label order, not write order: what setup says it replaces reads the same
        // whichever file the template lists first.
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn restorable(&self, env: &Env, cur: &Current) -> Vec<(String, Option<String>)> {
        let roots = self.roots(env);
        let mut out = Vec::new();
        for f in &self.files(env, &roots, cur, hosts::Scope::All) {
            let text = self.owned_text(env, &roots, f, cur);
            let path = self.path_of(env, &roots, f, Some(cur));
            for v in first_per_key(f).filter(|v| !matches!(v.class, Class::Absent | Class::Keep)) {
                let Ok(key) = key_path(&v.key) else {
                    continue;
                };
                if v.entry.is_some() {
                    let label = Self::label(env, path.as_deref(), f, &v.key);
                    let list = entries::List::new(f, v, &key, label);
                    out.extend(list.restorable(&text, cur));
                    continue;
                }
                // JSON text, so `remove` writes back the same type; a `.env` holds
                // only strings, kept as they are.
                let now = doc::get(f.format, &text, &key).ok().flatten();
                let now = match f.format {
                    Format::Dotenv => now.map(|x| json_text(&x)),
                    _ => now.map(|x| x.to_string()),
                };
                out.push((Self::label(env, path.as_deref(), f, &v.key), now));
            }
        }
        if let Some(h) = self.hook {
            h.restorable(env, cur, &mut out);
        }
        out
    }

    fn template(&self) -> Option<&Template> {
        Some(self.t())
    }

    fn source(&self) -> Option<&crate::templates::Source> {
        Some(&self.loaded.source)
    }

    fn runs_key_command(&self) -> bool {
        self.t()
            .files
            .iter()
            .flat_map(|f| &f.values)
            .any(|v| v.helper.is_some())
    }

    fn secrets(&self, env: &Env, cur: &Current) -> Vec<String> {
        self.hook.map(|h| h.secrets(env, cur)).unwrap_or_default()
    }

    fn exports(&self, env: &Env, cur: &Current) -> Vec<(String, crate::shell::Value)> {
        self.stored_exports(env, cur)
    }

    fn placed(&self, env: &Env, cur: &Current) -> Vec<Placed> {
        let roots = self.roots(env);
        let mut out: Vec<Placed> = Vec::new();
        for f in &self.files(env, &roots, cur, hosts::Scope::All) {
            let text = self.owned_text(env, &roots, f, cur);
            if text.is_empty() {
                continue;
            }
            let path = self.path_of(env, &roots, f, Some(cur));
            for v in &f.values {
                if v.class == Class::Absent {
                    continue;
                }
                let Ok(key) = key_path(&v.key) else {
                    continue;
                };
                let label = Self::label(env, path.as_deref(), f, &v.key);
                let now = match &v.entry {
                    Some(_) => entries::List::new(f, v, &key, label.clone()).item(&text, cur),
                    None => doc::get(f.format, &text, &key)
                        .ok()
                        .flatten()
                        .map(|now| (label.clone(), now)),
                };
                let Some((place, now)) = now else {
                    continue;
                };
                // Shown to users: the file's `~/…` path rather than its id, and the key
                // (with the item, for a list entry: `[name=byok]`).
                let file = path
                    .as_deref()
                    .map_or_else(|| f.id.clone(), |p| env.tilde(p));
                let key = format!(
                    "{}{}",
                    key.join("."),
                    place.strip_prefix(label.as_str()).unwrap_or_default()
                );
                for variant in [&v.value, &v.literal, &v.env, &v.helper]
                    .into_iter()
                    .flatten()
                {
                    let Ok(t) = serde_json::to_value(variant) else {
                        continue;
                    };
                    for (below, template, current) in placed_strings(&t, &now) {
                        let key = if below.is_empty() {
                            key.clone()
                        } else {
                            format!("{key}.{}", below.join("."))
                        };
                        let p = Placed {
                            file: file.clone(),
                            key,
                            template,
                            current,
                        };
                        if !out.contains(&p) {
                            out.push(p);
                        }
                    }
                }
            }
        }
        out
    }

    fn diagnose(&self, env: &Env, gw: &Gateway, cur: &Current) -> Vec<Finding> {
        let mut out = self.exports_findings(env, cur);
        out.extend(
            self.hook
                .map(|h| h.diagnose(env, gw, cur))
                .unwrap_or_default(),
        );
        out
    }

    fn endpoints(&self, gw: &Gateway) -> Vec<Api> {
        self.t()
            .apis
            .iter()
            .filter(|a| a.needs().is_none_or(|n| has_own(gw, n)))
            .map(crate::templates::ApiSpec::api)
            .collect()
    }
}

/// What `byok run` needs of the engine: the placeholders, and a file rendered fresh.
impl TemplateTool {
    /// The placeholders setup fills for this profile (roots, gateway, models, `{byok}`).
    pub fn run_vars(&self, env: &Env, gw: &Gateway, opts: &SetupOptions) -> Vars {
        self.vars(env, gw, opts)
    }

    /// The text setup would create for the file with id `file` on an empty home, for a
    /// one-process override (`{file:ID}`, `{content:ID}` in `[run]`); `None` when setup
    /// would write nothing there for this profile.
    pub fn fresh_file(
        &self,
        env: &Env,
        gw: &Gateway,
        opts: &SetupOptions,
        file: &str,
    ) -> Result<Option<String>> {
        let empty = Current::default();
        let vars = self.vars(env, gw, opts);
        let Some(f) = self.t().files.iter().find(|f| f.id == file) else {
            return Ok(None);
        };
        let Some(path) = self.path_of(env, &vars, f, Some(&empty)) else {
            return Ok(None);
        };
        let plan = self.plan(env, gw, opts, &empty)?;
        Ok(plan
            .changes
            .into_iter()
            .find(|c| c.path == path)
            .and_then(|c| c.after))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::profile::AnthropicAuth;
    use crate::templates::Source;
    use crate::tools::testing::{apply, current, env, gateway};

    const KEY: &str = "sk-engine-0123456789abcdef";

    /// A state file with a legacy name that wins only when it exists, labelled by path,
    /// and one key per Anthropic auth style (the other one emptied), as Claude Code needs.
    const TEMPLATE: &str = r#"
id = "authy"
name = "Authy"
verified = "a test template, not a real tool"

[roots.authy]
env = "AUTHY_DIR"
default = "{home}/.authy"

[[file]]
id = "state"
path = ["{authy}/.legacy.json", "{home}/.authy.json"]
create = "{home}/.authy.json"
format = "json"
label = "path"

[[file.value]]
key = "env.TOKEN"
value = "{key}"
auth = "bearer"

[[file.value]]
key = "env.TOKEN"
value = ""
auth = "x-api-key"

[[file.value]]
key = "env.API_KEY"
value = "{key}"
auth = "x-api-key"

[[file.value]]
key = "env.API_KEY"
value = ""
auth = "bearer"
"#;

    fn tool() -> TemplateTool {
        let template = crate::templates::parse("authy.toml", TEMPLATE).unwrap();
        let loaded = Loaded {
            template,
            source: Source::Builtin("authy.toml"),
        };
        TemplateTool::new(loaded, ToolId::leak("authy"), None)
    }

    fn gw(auth: AnthropicAuth) -> Gateway {
        Gateway {
            anthropic_auth: auth,
            ..gateway(KEY, "m")
        }
    }

    #[test]
    fn values_follow_the_auth_style_and_one_key_is_one_owned_value() {
        let (t, e) = (tool(), env(&[]));
        let opts = SetupOptions::default();
        let state = Path::new("/h/.authy.json");
        for (auth, want) in [
            (
                AnthropicAuth::Bearer,
                format!(
                    "{{\n  \"env\": {{\n    \"TOKEN\": \"{KEY}\",\n    \"API_KEY\": \"\"\n  }}\n}}\n"
                ),
            ),
            (
                AnthropicAuth::XApiKey,
                format!(
                    "{{\n  \"env\": {{\n    \"TOKEN\": \"\",\n    \"API_KEY\": \"{KEY}\"\n  }}\n}}\n"
                ),
            ),
        ] {
            let mut c = current(&[]);
            let plan = t.plan(&e, &gw(auth), &opts, &c).unwrap();
            // No candidate exists: the one named by `create` is made, not the first.
            assert_eq!(plan.changes.len(), 1);
            assert_eq!(plan.changes[0].path, state);
            assert_eq!(plan.changes[0].after.as_deref(), Some(want.as_str()));
            apply(&mut c, &plan);
            assert!(t.plan(&e, &gw(auth), &opts, &c).unwrap().is_up_to_date());
            // Labels start with the file's `~` path, one per key whatever the styles.
            let owned = t.owned(&e, &c);
            let labels: Vec<&str> = owned.iter().map(|(l, _)| l.as_str()).collect();
            assert_eq!(
                labels,
                ["~/.authy.json env.API_KEY", "~/.authy.json env.TOKEN"]
            );
            let restorable = t.restorable(&e, &c);
            assert_eq!(restorable.len(), 2, "{restorable:?}");
            assert_eq!(restorable[0].0, "~/.authy.json env.TOKEN");
            // Remove takes both out whichever value wrote them; the file byok made goes.
            let removed = t.remove(&e, &opts, &c).unwrap();
            assert_eq!(removed.changes[0].after, None);
        }
    }

    #[test]
    fn placed_pairs_each_template_string_with_the_files_value() {
        let template = crate::templates::parse(
            "placey.toml",
            r#"
id = "placey"
name = "Placey"
verified = "a test template, not a real tool"

[[file]]
id = "cfg"
path = "{home}/.placey.json"
format = "json"

[[file.value]]
key = "providers"
entry = "name"
value = { name = "byok", models = [
  { id = "{model}", url = "{openai_base}/chat/completions" },
  { id = "{anthropic_model}", url = "{anthropic_base}/v1/messages" },
] }

[[file.value]]
key = "models"
value = { "{model}" = { name = "{model}" } }
"#,
        )
        .unwrap();
        let t = TemplateTool::new(
            Loaded {
                template,
                source: Source::Builtin("placey.toml"),
            },
            ToolId::leak("placey"),
            None,
        );
        let e = env(&[]);
        let g = Gateway {
            anthropic_model: Some("claude".into()),
            ..gw(AnthropicAuth::Bearer)
        };
        let mut c = current(&[]);
        assert!(t.placed(&e, &c).is_empty(), "not set up: nothing placed");
        let plan = t.plan(&e, &g, &SetupOptions::default(), &c).unwrap();
        apply(&mut c, &plan);
        // The drift record names byok's item, as the engine keeps it.
        c.entries.clone_from(&plan.entries);
        // The user points the chat URL elsewhere and picks another model for it.
        let path = Path::new("/h/.placey.json");
        let text = c
            .file(path)
            .unwrap()
            .replace("/v1/chat", "/chat")
            .replace("\"id\": \"m\"", "\"id\": \"m2\"");
        c.files.insert(path.to_path_buf(), Some(text));
        let got: Vec<(String, String, String)> = t
            .placed(&e, &c)
            .into_iter()
            .map(|p| (format!("{} {}", p.file, p.key), p.template, p.current))
            .collect();
        let want = [
            ("~/.placey.json providers[name=byok].name", "byok", "byok"),
            (
                "~/.placey.json providers[name=byok].models.0.id",
                "{model}",
                "m2",
            ),
            (
                "~/.placey.json providers[name=byok].models.0.url",
                "{openai_base}/chat/completions",
                "https://gw.example/chat/completions",
            ),
            (
                "~/.placey.json providers[name=byok].models.1.id",
                "{anthropic_model}",
                "claude",
            ),
            (
                "~/.placey.json providers[name=byok].models.1.url",
                "{anthropic_base}/v1/messages",
                "https://gw.example/v1/messages",
            ),
            ("~/.placey.json models.m", "{model}", "m"),
            ("~/.placey.json models.m.name", "{model}", "m"),
        ];
        let want: Vec<(String, String, String)> = want
            .iter()
            .map(|(a, b, c)| ((*a).to_string(), (*b).to_string(), (*c).to_string()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn an_existing_legacy_candidate_wins_and_a_users_value_goes_back() {
        let (t, e) = (tool(), env(&[]));
        let opts = SetupOptions::default();
        let legacy = Path::new("/h/.authy/.legacy.json");
        let mut c = current(&[(legacy, "{\"env\": {\"TOKEN\": \"mine\"}, \"x\": 1}\n")]);
        let prior = t.restorable(&e, &c);
        assert_eq!(
            prior,
            [
                (
                    "~/.authy/.legacy.json env.TOKEN".to_string(),
                    Some("\"mine\"".to_string())
                ),
                ("~/.authy/.legacy.json env.API_KEY".to_string(), None),
            ]
        );
        let plan = t.plan(&e, &gw(AnthropicAuth::XApiKey), &opts, &c).unwrap();
        assert_eq!(plan.changes[0].path, legacy);
        apply(&mut c, &plan);
        c.prior = prior
            .into_iter()
            .filter_map(|(l, v)| Some((l, v?)))
            .collect();
        let removed = t.remove(&e, &opts, &c).unwrap();
        // The user's TOKEN was replaced by byok's "" and comes back; the empty object
        // byok's API_KEY leaves is pruned only if byok's alone, so `env` stays with TOKEN.
        assert_eq!(
            removed.changes[0].after.as_deref(),
            Some("{\"env\": {\"TOKEN\": \"mine\"}, \"x\": 1}\n")
        );
    }

    #[test]
    fn create_must_name_a_candidate() {
        let bad = TEMPLATE.replace(
            "create = \"{home}/.authy.json\"",
            "create = \"{home}/.other.json\"",
        );
        let err = crate::templates::parse("authy.toml", &bad).unwrap_err();
        assert_eq!(
            err.to_string(),
            "authy.toml:13:1: file `state`: `create` must be one of its `path` candidates"
        );
    }
}
