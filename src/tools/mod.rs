//! The tool registry: each supported tool is data plus a small adapter implementing
//! [`Tool`]. Adapters are pure: the command gathers what they ask for into a
//! [`Current`], they answer with a [`Detection`] or a [`Plan`].
//!
//! Adding a tool: one module, one [`ToolId`] variant, one line in [`TOOLS`], fixtures.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use anyhow::Result;

use crate::env::Env;
use crate::gateway::probe::Api;
use crate::plan::Plan;
use crate::profile::Gateway;

pub mod aider;
pub mod auto_import;
pub mod claude_code;
pub mod cline;
pub mod codex;
pub mod continue_dev;
pub mod crush;
pub mod cursor;
pub mod droid;
pub mod gemini;
pub mod generic;
pub mod goose;
pub mod kilo_code;
pub mod manual_apps;
pub mod opencode;
pub mod pi;
pub mod qwen;
pub mod roo_code;
#[cfg(test)]
pub mod testing;
pub mod vscode;

/// A tool's id, as spelled on the command line, in state files and in JSON
/// (`claude-code`). Built-in tools have a constant each; a user template's id is made at
/// run time ([`ToolId::leak`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ToolId(&'static str);

// The constants keep the spelling of the enum they replace, so `ToolId::ClaudeCode` reads
// as before across the adapters.
#[allow(non_upper_case_globals)]
impl ToolId {
    /// Claude Code (CLI and IDE extensions)
    pub const ClaudeCode: Self = Self("claude-code");
    /// Continue (VS Code / JetBrains extension and the `cn` CLI)
    pub const Continue: Self = Self("continue");
    /// Cline (VS Code-family extension, JetBrains plugin and the `cline` CLI)
    pub const Cline: Self = Self("cline");
    /// Cursor (the VS Code fork's own OpenAI-key and base-URL settings)
    pub const Cursor: Self = Self("cursor");
    /// Roo Code (VS Code-family extension)
    pub const RooCode: Self = Self("roo-code");
    /// Kilo Code 5.x (the legacy Roo fork extension; 7.x is `kilo`)
    pub const KiloCode: Self = Self("kilo-code");
    /// OpenAI Codex CLI
    pub const Codex: Self = Self("codex");
    /// OpenCode (terminal agent)
    pub const Opencode: Self = Self("opencode");
    /// Gemini CLI
    pub const GeminiCli: Self = Self("gemini-cli");
    /// Kilo Code 7.x (the Kilo CLI and the OpenCode-based extension; template `kilo.toml`)
    pub const Kilo: Self = Self("kilo");
    /// Qwen Code (terminal agent; template `qwen-code.toml`)
    pub const QwenCode: Self = Self("qwen-code");
    /// Factory Droid (terminal agent; template `droid.toml`)
    pub const Droid: Self = Self("droid");
    /// Pi coding agent (template `pi.toml`)
    pub const Pi: Self = Self("pi");
    /// Aider (template `aider.toml`)
    pub const Aider: Self = Self("aider");
    /// GitHub Copilot CLI (environment variables only, through `byok env`)
    pub const CopilotCli: Self = Self("copilot-cli");
    /// Zed (settings.json, its key variable through `byok env`)
    pub const Zed: Self = Self("zed");
    /// GitHub Copilot Chat in VS Code-family editors (template `copilot-chat.toml`)
    pub const CopilotChat: Self = Self("copilot-chat");
    /// Goose (Block's agent; template `goose.toml`)
    pub const Goose: Self = Self("goose");
    /// Crush (Charm's terminal agent; template `crush.toml`)
    pub const Crush: Self = Self("crush");
    /// Claude Desktop (third-party inference gateway; steps by hand only)
    pub const ClaudeDesktop: Self = Self("claude-desktop");
    /// JetBrains AI Assistant (steps by hand only)
    pub const JetbrainsAi: Self = Self("jetbrains-ai");
    /// Trae (ByteDance's editor; steps by hand only)
    pub const Trae: Self = Self("trae");
    /// Warp (terminal; steps by hand only)
    pub const Warp: Self = Self("warp");

    /// Every built-in id, in the order `--help` lists them.
    pub const BUILTIN: &[Self] = &[
        Self::ClaudeCode,
        Self::Cursor,
        Self::RooCode,
        Self::Cline,
        Self::KiloCode,
        Self::Continue,
        Self::Codex,
        Self::Opencode,
        Self::GeminiCli,
        Self::Kilo,
        Self::QwenCode,
        Self::Droid,
        Self::Pi,
        Self::Aider,
        Self::CopilotCli,
        Self::Zed,
        Self::CopilotChat,
        Self::Goose,
        Self::Crush,
        Self::ClaudeDesktop,
        Self::JetbrainsAi,
        Self::Trae,
        Self::Warp,
    ];

    /// The spelling used on the CLI, in state files and in JSON.
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// The built-in id spelled `s`, if there is one.
    pub fn parse(s: &str) -> Option<Self> {
        Self::BUILTIN.iter().copied().find(|id| id.as_str() == s)
    }

    /// An id for a user's template: the built-in one when it has that spelling, else a
    /// new one that lives as long as the process.
    pub fn leak(s: &str) -> Self {
        Self::parse(s).unwrap_or_else(|| Self(Box::leak(s.to_string().into_boxed_str())))
    }
}

impl std::fmt::Display for ToolId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// How a key is written into tools that can run a command to get it (owned by the tools;
/// `--key-mode` on the command line picks it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyMode {
    /// Write the key itself (files get mode 0600)
    #[default]
    Literal,
    /// Have the tool run `byok print-key` (Claude Code's apiKeyHelper, Codex's auth command)
    Helper,
}

/// Options that shape a setup plan.
#[derive(Debug, Clone, Default)]
pub struct SetupOptions {
    /// Literal key or a key command.
    pub key_mode: KeyMode,
    /// Restrict VS Code-family tools to one host.
    pub host: Option<String>,
    /// Absolute path of the running byok, for key helpers.
    pub exe: String,
    /// Show keys in manual steps instead of masking them.
    pub show_key: bool,
    /// No `--key-mode` was given: setup picks the strongest form each tool takes.
    pub auto_key: bool,
    /// Why a tool that can run a key command got a copy anyway (an installed extension
    /// of it ignores the command); `setup` says it next to the key's form.
    pub copy_reason: Option<String>,
    /// The current time (RFC 3339, UTC), for tools whose files carry a timestamp;
    /// adapters must keep an existing stamp when nothing else changes.
    pub now: String,
}

impl SetupOptions {
    /// The form the key is written in for `gw`: a key command, the variable's reference
    /// for a profile keeping its key in one, else the key itself.
    pub fn key_form(&self, gw: &Gateway) -> crate::templates::KeyModeName {
        use crate::templates::KeyModeName;
        match (self.key_mode, &gw.key) {
            (KeyMode::Helper, _) => KeyModeName::Helper,
            (_, crate::profile::KeySource::Env { .. }) => KeyModeName::Env,
            _ => KeyModeName::Literal,
        }
    }
}

/// What an adapter needs read before it can detect or plan.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Text files to read (missing files are fine).
    pub files: Vec<PathBuf>,
    /// Directories whose entry names to list (missing dirs are fine).
    pub dirs: Vec<PathBuf>,
    /// `(database, key)` rows of VS Code-style `ItemTable`s to read.
    pub sqlite: Vec<(PathBuf, String)>,
    /// Program names to look up on PATH.
    pub binaries: Vec<&'static str>,
    /// Process names whose running instances matter (e.g. `Cursor`).
    pub processes: Vec<&'static str>,
}

/// A program found on PATH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binary {
    /// Where it is.
    pub path: PathBuf,
    /// Its version, when a package manifest beside it says so (never by running it).
    pub version: Option<String>,
}

impl Binary {
    /// Evidence text: `binary ~/.local/bin/claude (2.1.197)`.
    pub fn describe(&self, env: &Env) -> String {
        match &self.version {
            Some(v) => format!("binary {} ({v})", env.tilde(&self.path)),
            None => format!("binary {}", env.tilde(&self.path)),
        }
    }
}

/// The gathered state of the file system for some [`Inputs`].
#[derive(Debug, Clone, Default)]
pub struct Current {
    /// File contents; `None` when missing.
    pub files: BTreeMap<PathBuf, Option<String>>,
    /// Directory entry names (sorted); `None` when missing.
    pub dirs: BTreeMap<PathBuf, Option<Vec<String>>>,
    /// SQLite rows; `None` when the database or row is missing.
    pub sqlite: BTreeMap<(PathBuf, String), Option<String>>,
    /// Binaries found on PATH, by name.
    pub binaries: BTreeMap<String, Binary>,
    /// Names of the requested processes that are running.
    pub running: BTreeSet<String>,
    /// The user's own values that byok's setup replaced, by [`Tool::owned`] label, in
    /// the form [`Tool::restorable`] reads them; filled from the drift record so the pure
    /// `remove` can put them back. May hold secrets: never print them unmasked.
    pub prior: BTreeMap<String, String>,
    /// The files that held nothing of the user's before byok's setup (missing, or
    /// blank), from the drift record; `None` when unknown (no record, or one written by
    /// an older byok). `remove` deletes no other file; the command gives a blank one its
    /// bytes back.
    pub created: Option<BTreeSet<PathBuf>>,
    /// SHA-256 of each value byok last wrote, by label, from the drift record.
    pub written: BTreeMap<String, String>,
    /// byok's item in each list a template writes, by the list's label, from the drift
    /// record (or, projected, from the plan that writes it).
    pub entries: BTreeMap<String, crate::plan::ListEntry>,
}

impl Current {
    /// A file's content, if it exists (and was gathered).
    pub fn file(&self, path: &Path) -> Option<&str> {
        self.files.get(path).and_then(Option::as_deref)
    }

    /// Whether a gathered file or directory exists.
    pub fn exists(&self, path: &Path) -> bool {
        self.file(path).is_some() || self.dirs.get(path).is_some_and(Option::is_some)
    }

    /// A gathered directory's entries (empty when missing).
    pub fn entries(&self, dir: &Path) -> &[String] {
        self.dirs.get(dir).and_then(Option::as_deref).unwrap_or(&[])
    }

    /// The user's value that setup replaced under an [`Tool::owned`] label, if recorded.
    pub fn prior(&self, label: &str) -> Option<&str> {
        self.prior.get(label).map(String::as_str)
    }

    /// A prior recorded as JSON text (the JSON and JSONC tools' form), parsed.
    pub fn prior_json(&self, label: &str) -> Option<serde_json::Value> {
        self.prior(label).and_then(|t| serde_json::from_str(t).ok())
    }

    /// Whether `value` is what byok last wrote at `label` (so it is still byok's).
    pub fn byoks(&self, label: &str, value: &str) -> bool {
        self.written
            .get(label)
            .is_some_and(|h| *h == crate::fs::sha256_hex(value.as_bytes()))
    }

    /// Whether `remove` may delete `path` once nothing of the user's is left in it: only
    /// a file byok created, so a file the user had (even `{}` or a blank `.env`) stays.
    /// Without a record, the old rule holds (a file reduced to nothing goes).
    pub fn may_delete(&self, path: &Path) -> bool {
        self.created.as_ref().is_none_or(|c| c.contains(path))
    }

    /// A gathered SQLite row.
    pub fn sqlite_item(&self, db: &Path, key: &str) -> Option<&str> {
        self.sqlite
            .get(&(db.to_path_buf(), key.to_string()))
            .and_then(Option::as_deref)
    }
}

/// What detection found for one tool.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detection {
    /// Some evidence of the tool exists.
    pub installed: bool,
    /// Human-readable evidence: "binary ~/.local/bin/claude (2.1.197)", "extension 3.52.1 in VS Code".
    pub evidence: Vec<String>,
    /// The config files byok would edit (existing or not).
    pub config_files: Vec<PathBuf>,
}

/// How serious a doctor finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Works, but something may surprise the user.
    Warn,
    /// Will not reach the gateway as configured.
    Fail,
}

/// A tool-specific diagnosis for `byok doctor` (shadowing, stale state, unsupported setups).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How serious.
    pub severity: Severity,
    /// What is wrong, naming the file or variable.
    pub message: String,
    /// The one command or step that fixes it.
    pub hint: Option<String>,
}

/// A string a template writes beside the value the tool's file holds in its place now:
/// what doctor reads to check what the tool really calls (a full endpoint URL, a model).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The file it is in (`~/…`, or as drift labels name it).
    pub file: String,
    /// Its key path in the file.
    pub key: String,
    /// The template's text there, placeholders unfilled (`{openai_base}/chat/completions`).
    pub template: String,
    /// The value there now.
    pub current: String,
}

impl Detection {
    /// Counts `name` on PATH as evidence of installation.
    pub fn note_binary(&mut self, env: &Env, cur: &Current, name: &str) {
        if let Some(bin) = cur.binaries.get(name) {
            self.installed = true;
            self.evidence.push(bin.describe(env));
        }
    }

    /// Counts an existing config dir as evidence of installation.
    pub fn note_config_dir(&mut self, env: &Env, cur: &Current, dir: &Path) {
        if cur.exists(dir) {
            self.installed = true;
            self.evidence.push(format!("config dir {}", env.tilde(dir)));
        }
    }
}

/// One supported tool.
pub trait Tool: Sync {
    /// CLI identity.
    fn id(&self) -> ToolId;
    /// Display name.
    fn name(&self) -> &'static str;
    /// What to read; pure.
    fn inputs(&self, env: &Env) -> Inputs;
    /// What else to read once the first read is in (e.g. each VS Code profile found); pure.
    fn more_inputs(&self, _env: &Env, _cur: &Current) -> Inputs {
        Inputs::default()
    }
    /// Whether and where it is installed; pure.
    fn detect(&self, env: &Env, cur: &Current) -> Detection;
    /// The changes that point it at the gateway; pure.
    fn plan(&self, env: &Env, gw: &Gateway, opts: &SetupOptions, cur: &Current) -> Result<Plan>;
    /// The changes that take out exactly what `plan` adds; pure.
    fn remove(&self, env: &Env, opts: &SetupOptions, cur: &Current) -> Result<Plan>;
    /// The current values of the settings byok owns, labelled, for drift detection; pure.
    fn owned(&self, env: &Env, cur: &Current) -> Vec<(String, Option<String>)>;
    /// The owned values `remove` can put back, labelled as in [`Tool::owned`] and in the
    /// form `remove` writes them back from [`Current::prior`] (e.g. JSON text, so a
    /// number stays a number); empty when `remove` restores nothing; pure.
    fn restorable(&self, _env: &Env, _cur: &Current) -> Vec<(String, Option<String>)> {
        Vec::new()
    }
    /// Whether the tool can run a command for its key (`--key-mode helper`); the others
    /// get the key itself written into their files.
    fn runs_key_command(&self) -> bool {
        false
    }
    /// The gateway endpoints this tool calls as byok configures it.
    fn endpoints(&self, gw: &Gateway) -> Vec<Api>;
    /// The user's own secrets in the gathered files (keys of other providers, tokens),
    /// so everything byok prints masks them; pure (the engine registers them).
    fn secrets(&self, _env: &Env, _cur: &Current) -> Vec<String> {
        Vec::new()
    }
    /// The variables `byok env` sets (or unsets) for this tool, as byok's state file holds
    /// them; empty when it has none or is not set up.
    fn exports(&self, _env: &Env, _cur: &Current) -> Vec<(String, crate::shell::Value)> {
        Vec::new()
    }
    /// Each string its template writes, with the value the tool's files hold in its place
    /// now (only where they hold one); empty for tools without a template; pure.
    fn placed(&self, _env: &Env, _cur: &Current) -> Vec<Placed> {
        Vec::new()
    }
    /// The template this tool is built from, if it is one.
    fn template(&self) -> Option<&crate::templates::Template> {
        None
    }
    /// Where that template comes from.
    fn source(&self) -> Option<&crate::templates::Source> {
        None
    }
    /// Tool-specific problems for `byok doctor`: settings shadowed by a shell variable or
    /// a project file, a second config file that wins, a login that overrides the key.
    fn diagnose(&self, _env: &Env, _gw: &Gateway, _cur: &Current) -> Vec<Finding> {
        Vec::new()
    }
    /// The project files in the working directory (and above it) that set something of
    /// the tool's over the user's settings, highest precedence first; pure.
    fn project_reads(&self, _env: &Env, _cur: &Current) -> Vec<ProjectRead> {
        Vec::new()
    }
    /// What a removal plan (`remove` with `opts`) takes out of the tool when it covers
    /// only part of it (`--host`), so the drift record forgets that part alone; `None`:
    /// the whole tool; pure.
    fn removed_part(
        &self,
        _env: &Env,
        _opts: &SetupOptions,
        _cur: &Current,
        _plan: &Plan,
    ) -> Option<Part> {
        None
    }
}

/// A project file a tool reads over its user settings, and what it sets there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectRead {
    /// The file.
    pub path: PathBuf,
    /// The project directory it belongs to.
    pub dir: PathBuf,
    /// Its path below `dir`, as the template names it.
    pub rel: String,
    /// The gateway URLs it sets.
    pub base_urls: Vec<String>,
    /// The other settings it sets that win over the user's: key path, and the value of a
    /// scalar (which may be a secret: shown masked).
    pub sets: Vec<(String, Option<String>)>,
    /// The tool reads it instead of its user file.
    pub replaces: bool,
    /// Why it could not be parsed.
    pub unparsable: Option<String>,
}

impl ProjectRead {
    /// Whether it changes anything of the tool's settings there.
    pub fn is_relevant(&self) -> bool {
        self.replaces
            || self.unparsable.is_some()
            || !self.base_urls.is_empty()
            || !self.sets.is_empty()
    }

    /// Whether it decides the gateway there: it names one, or replaces the user's file.
    pub fn decides(&self) -> bool {
        self.replaces || !self.base_urls.is_empty()
    }
}

/// Part of a tool's settings, as the drift record knows them: owned labels (each with
/// what lies below it) and files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Part {
    /// [`Tool::owned`] labels.
    pub labels: Vec<String>,
    /// Files.
    pub files: Vec<PathBuf>,
}

impl Part {
    /// Whether a label is one of the part's, or lies below one.
    pub fn has_label(&self, label: &str) -> bool {
        self.labels.iter().any(|l| {
            label
                .strip_prefix(l.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        })
    }
}

/// `text` with `key` reading `value` again, as the user's own line: like
/// [`crate::config_edit::dotenv::set`], but without byok's marker, and unquoted when the
/// value needs no quotes (the usual hand-written `KEY=value`, so a line byok took over
/// comes back byte for byte).
pub fn dotenv_put_back(text: &str, key: &str, value: &str) -> Result<String> {
    use crate::config_edit::dotenv;
    let set = dotenv::set(text, key, value)?;
    if value.contains('\'') {
        return Ok(set);
    }
    let written = format!("{key}='{value}' # {}", dotenv::MARKER);
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:@+".contains(c));
    let own = if plain {
        format!("{key}={value}")
    } else {
        format!("{key}='{value}'")
    };
    Ok(set
        .split_inclusive('\n')
        .map(|line| {
            let body = line.trim_end_matches(['\r', '\n']);
            if body == written {
                format!("{own}{}", &line[body.len()..])
            } else {
                line.to_string()
            }
        })
        .collect())
}

/// Every supported tool, in display order: the tools described by built-in templates.
pub static TOOLS: LazyLock<Vec<&'static dyn Tool>> = LazyLock::new(|| {
    let mut tools: Vec<&'static dyn Tool> = Vec::new();
    for loaded in crate::templates::builtins() {
        // Built-in templates are checked by the registry tests; one that fails is left out.
        let Ok(loaded) = loaded else { continue };
        let Some(id) = ToolId::parse(&loaded.template.id) else {
            continue;
        };
        let hook = match loaded.template.hook.as_deref() {
            None => None,
            Some(name) => match hook_named(name) {
                Some(h) => Some(h),
                None => continue,
            },
        };
        let tool: &'static generic::TemplateTool =
            Box::leak(Box::new(generic::TemplateTool::new(loaded, id, hook)));
        tools.push(tool);
    }
    // The display order is `ToolId::BUILTIN`'s, whether a tool is a template or code.
    tools.sort_by_key(|t| ToolId::BUILTIN.iter().position(|b| *b == t.id()));
    tools
});

/// The code a built-in template names with `hook = "…"`, by name.
pub const HOOKS: &[(&str, &dyn generic::Hook)] = &[
    ("codex", &codex::CodexHook),
    ("opencode", &opencode::OpencodeHook),
    ("gemini-cli", &gemini::GeminiHook),
    ("claude-code", &claude_code::ClaudeHook),
    ("goose", &goose::GooseHook),
    ("crush", &crush::CrushHook),
    ("claude-desktop", &manual_apps::ClaudeDesktopHook),
    ("warp", &manual_apps::WarpHook),
    ("qwen-code", &qwen::QwenHook),
    ("droid", &droid::DroidHook),
    ("pi", &pi::PiHook),
    ("aider", &aider::AiderHook),
    ("cursor", &cursor::CursorHook),
    ("roo-code", &roo_code::ROO_HOOK),
    ("kilo-code", &kilo_code::KILO_HOOK),
    ("cline", &cline::ClineHook),
    ("continue", &continue_dev::ContinueHook),
];

/// The hook called `name`.
pub fn hook_named(name: &str) -> Option<&'static dyn generic::Hook> {
    HOOKS.iter().find(|(n, _)| *n == name).map(|(_, h)| *h)
}

/// The built-in adapter or template tool for an id.
pub fn get(id: ToolId) -> Option<&'static dyn Tool> {
    TOOLS.iter().copied().find(|t| t.id() == id)
}

/// The tools of this run: the built-in ones, with the user's templates
/// (`<byok config dir>/templates/*.toml`) added or replacing built-in templates that
/// have no hook. A user template that can't be used is kept in `broken`, so only a
/// command that names it fails.
pub struct Registry {
    /// Every usable tool, in display order.
    pub tools: Vec<&'static dyn Tool>,
    /// User templates that can't be used: the id they claim (the file name's stem) and why.
    pub broken: Vec<(String, String)>,
}

static REGISTRY: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();

/// The registry for this process (built once, from the first context asked with).
pub fn registry(env: &Env) -> &'static Registry {
    REGISTRY.get_or_init(|| build_registry(&env.config_dir.join("templates")))
}

/// Whether a user's template may join `tools`: `Ok(Some(i))` when it replaces the
/// built-in template at `i`, `Ok(None)` when it adds a tool, else why not.
pub fn admit(t: &crate::templates::Template, tools: &[&dyn Tool]) -> Result<Option<usize>, String> {
    if t.hook.is_some() {
        return Err("`hook` is for built-in templates only; remove it".to_string());
    }
    let at = tools.iter().position(|x| x.id().as_str() == t.id);
    match at {
        Some(i) if tools[i].template().is_none_or(|b| b.hook.is_some()) => Err(format!(
            "`{}` is built into byok with code a template can't replace; give your template another id",
            t.id
        )),
        _ => Ok(at),
    }
}

/// Builds a registry from the built-ins and the user templates in `dir`.
pub fn build_registry(dir: &Path) -> Registry {
    let mut tools: Vec<&'static dyn Tool> = TOOLS.clone();
    let mut broken = Vec::new();
    for loaded in crate::templates::user_templates(dir) {
        let loaded = match loaded {
            Ok(l) => l,
            Err(e) => {
                let stem = Path::new(&e.origin)
                    .file_stem()
                    .map(|s| s.to_string_lossy().to_string())
                    .unwrap_or_default();
                broken.push((stem, e.to_string()));
                continue;
            }
        };
        let t = &loaded.template;
        let at = match admit(t, &tools) {
            Ok(at) => at,
            Err(why) => {
                let origin = match &loaded.source {
                    crate::templates::Source::User(p) => p.display().to_string(),
                    crate::templates::Source::Builtin(n) => (*n).to_string(),
                };
                broken.push((t.id.clone(), format!("{origin}: {why}")));
                continue;
            }
        };
        let id = ToolId::leak(&t.id);
        let tool: &'static generic::TemplateTool =
            Box::leak(Box::new(generic::TemplateTool::new(loaded, id, None)));
        match at {
            Some(i) => tools[i] = tool,
            None => tools.push(tool),
        }
    }
    Registry { tools, broken }
}

impl Registry {
    /// The tool named `name`; an unknown name gets "did you mean", a broken user
    /// template its error (exit 2 either way).
    pub fn find(&self, name: &str) -> Result<&'static dyn Tool> {
        if let Some(t) = self.tools.iter().find(|t| t.id().as_str() == name) {
            return Ok(*t);
        }
        if let Some((_, why)) = self.broken.iter().find(|(id, _)| id == name) {
            return Err(crate::error::UserError::new(format!(
                "the template for `{name}` can't be used: {why}"
            ))
            .hint("fix the template (`byok templates check FILE` shows what is wrong), then run the command again")
            .into());
        }
        let ids = self.ids();
        let near = ids
            .iter()
            .copied()
            .filter(|id| close(id, name))
            .collect::<Vec<_>>();
        let hint = match near.as_slice() {
            [] => format!("known tools: {}", ids.join(", ")),
            some => format!(
                "did you mean {}? (known tools: {})",
                some.iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(" or "),
                ids.join(", ")
            ),
        };
        Err(
            crate::error::UserError::new(format!("unknown tool `{name}`"))
                .hint(hint)
                .into(),
        )
    }

    /// Every usable tool id, in display order.
    pub fn ids(&self) -> Vec<&'static str> {
        self.tools.iter().map(|t| t.id().as_str()).collect()
    }
}

/// Whether two names are one typo apart (edit distance at most 2, or one contains the other).
fn close(a: &str, b: &str) -> bool {
    // A typed part of an id, or an id inside what was typed (`codex-cli`); a short id
    // such as `pi` inside a pasted key is no match.
    if a.contains(b) {
        return b.len() >= 3;
    }
    if b.contains(a) {
        return a.len() >= 3;
    }
    crate::gateway::probe::levenshtein(a, b) <= 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Plan;

    #[test]
    fn ids_are_unique_and_registered() {
        let mut seen = BTreeSet::new();
        for t in TOOLS.iter() {
            assert!(seen.insert(t.id()), "{:?} twice", t.id());
        }
        for id in ToolId::BUILTIN {
            assert!(get(*id).is_some(), "{id:?} has no adapter in TOOLS");
        }
        assert_eq!(TOOLS.len(), ToolId::BUILTIN.len());
    }

    #[test]
    fn unknown_names_get_a_suggestion() {
        let reg = build_registry(Path::new("/nonexistent"));
        let e = reg.find("codx").err().unwrap();
        let u = e.downcast_ref::<crate::error::UserError>().unwrap();
        assert_eq!(u.message, "unknown tool `codx`");
        assert!(
            u.hint
                .as_deref()
                .unwrap()
                .starts_with("did you mean `codex`?"),
            "{u:?}"
        );
        assert!(reg.find("claude").is_err());
        assert!(close("claude-code", "claude"));
        assert!(!close("cursor", "zed"));
    }

    #[test]
    fn dotenv_put_back_restores_the_users_line() {
        let text = "A=1\r\nK='gw' # managed by byok\r\nB=2\r\n";
        assert_eq!(
            dotenv_put_back(text, "K", "AIza-own_key.1").unwrap(),
            "A=1\r\nK=AIza-own_key.1\r\nB=2\r\n"
        );
        assert_eq!(
            dotenv_put_back(text, "K", "two words").unwrap(),
            "A=1\r\nK='two words'\r\nB=2\r\n"
        );
    }

    #[test]
    fn every_tool_has_fixtures() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        // A template with no files (steps by hand only) has nothing to edit.
        for t in TOOLS.iter().filter(|t| !steps_only(**t)) {
            let id = t.id().as_str();
            let dir = [id, id.trim_end_matches("-cli")].map(|n| root.join(n));
            assert!(dir.iter().any(|d| d.is_dir()), "no tests/fixtures/{id}");
        }
    }

    /// A home where every tool is installed: each extension in every host, Cursor's
    /// settings row present, config dirs present.
    fn installed_everywhere(env: &Env) -> Current {
        let mut cur = Current::default();
        for t in TOOLS.iter() {
            let inputs = t.inputs(env);
            for f in inputs.files {
                cur.files.entry(f).or_insert(None);
            }
            for d in inputs.dirs {
                let names = [
                    "rooveterinaryinc.roo-cline-3.52.1",
                    "saoudrizwan.claude-dev-4.1.13",
                    "kilocode.kilo-code-5.10.4",
                    "continue.continue-1.3.40",
                    "github.copilot-chat-0.47.0",
                    "state.vscdb",
                ];
                cur.dirs
                    .insert(d, Some(names.iter().map(|s| (*s).to_string()).collect()));
            }
            for (db, key) in inputs.sqlite {
                cur.sqlite.insert((db, key), Some("{}".to_string()));
            }
        }
        cur
    }

    /// Nothing read yet, but Copilot Chat installed in VS Code (a per-host template
    /// writes only where its extension is; one host keeps one file per file spec).
    fn extensions_installed(env: &Env) -> Current {
        let mut cur = Current::default();
        let code = vscode::Host::by_id("code").expect("VS Code is a known host");
        cur.dirs.insert(
            code.extensions_dir(env),
            Some(vec!["github.copilot-chat-0.47.0".to_string()]),
        );
        cur
    }

    fn apply_to(cur: &mut Current, plan: &Plan) {
        cur.entries.extend(plan.entries.clone());
        for c in plan.effective() {
            match &c.target {
                crate::plan::Target::File => {
                    cur.files.insert(c.path.clone(), c.after.clone());
                }
                crate::plan::Target::SqliteItem { key } => {
                    cur.sqlite
                        .insert((c.path.clone(), key.clone()), c.after.clone());
                }
            }
        }
    }

    /// A home at `/h` on `os`'s layout, working directory `/w`.
    fn home_h(os: crate::env::Os) -> Env {
        let mut vars = BTreeMap::new();
        vars.insert("HOME".to_string(), "/h".to_string());
        vars.insert("USERPROFILE".to_string(), "/h".to_string());
        Env::from_vars(vars, os, PathBuf::from("/w"), None)
    }

    /// Setup then setup again plans nothing; remove then plans nothing more; on every OS layout.
    #[test]
    fn setup_is_idempotent_and_remove_is_complete_for_every_tool() {
        use crate::env::Os;
        use crate::profile::{KeySource, Profile, from_profile};
        for os in [Os::Linux, Os::Macos, Os::Windows] {
            let env = home_h(os);
            let p = Profile {
                base_url: "https://gw.example.com".into(),
                model: Some("gpt-4o".into()),
                anthropic_model: Some("claude-sonnet-4-5".into()),
                small_model: Some("claude-haiku-4-5".into()),
                ..Profile::default()
            };
            let key = KeySource::Literal(crate::secret::ApiKey::new("sk-registry-0123456789"));
            let gw = from_profile("p".into(), &p, key).unwrap();
            let opts = SetupOptions {
                now: "2026-11-27T00:00:00.000Z".into(),
                exe: "/bin/byok".into(),
                ..SetupOptions::default()
            };
            for t in TOOLS.iter().filter(|t| !steps_only(**t)) {
                let mut cur = installed_everywhere(&env);
                assert!(t.detect(&env, &cur).installed, "{} on {os:?}", t.name());
                let plan = t.plan(&env, &gw, &opts, &cur).unwrap();
                assert!(
                    plan.effective().next().is_some(),
                    "{} on {os:?} plans nothing",
                    t.name()
                );
                apply_to(&mut cur, &plan);
                let again = t.plan(&env, &gw, &opts, &cur).unwrap();
                assert!(
                    again.is_up_to_date(),
                    "{} on {os:?} is not idempotent: {:?}",
                    t.name(),
                    again.changes
                );
                let removal = t.remove(&env, &opts, &cur).unwrap();
                apply_to(&mut cur, &removal);
                let twice = t.remove(&env, &opts, &cur).unwrap();
                assert!(
                    twice.is_up_to_date(),
                    "{} on {os:?}: remove is not complete: {:?}",
                    t.name(),
                    twice.changes
                );
            }
        }
    }

    /// Doctor reads what each set-up tool calls from its files: every template tool that
    /// writes a model (or a full endpoint URL) has it found again after setup, on every
    /// OS layout, so each tool's models are checked against the gateway's list.
    #[test]
    fn every_tools_models_and_full_urls_are_found_in_its_files() {
        use crate::env::Os;
        use crate::templates::render;
        fn strings(v: &toml::Value, out: &mut Vec<String>) {
            match v {
                toml::Value::String(s) => out.push(s.clone()),
                toml::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
                toml::Value::Table(t) => t.iter().for_each(|(k, x)| {
                    out.push(k.clone());
                    strings(x, out);
                }),
                _ => {}
            }
        }
        let models = ["model", "anthropic_model", "small_model"];
        let gw = registry_gateway(false);
        let profile = ["gpt-4o", "claude-sonnet-4-5", "claude-haiku-4-5"];
        for os in [Os::Linux, Os::Macos, Os::Windows] {
            let env = home_h(os);
            let opts = SetupOptions {
                exe: "/bin/byok".into(),
                ..SetupOptions::default()
            };
            for t in TOOLS.iter().filter(|t| !steps_only(**t)) {
                let Some(template) = t.template() else {
                    continue;
                };
                let mut written = Vec::new();
                for v in template.files.iter().flat_map(|f| &f.values) {
                    for x in [&v.value, &v.literal, &v.env, &v.helper]
                        .into_iter()
                        .flatten()
                    {
                        strings(x, &mut written);
                    }
                }
                let writes_model = written
                    .iter()
                    .any(|s| render::names(s).iter().any(|n| models.contains(n)));
                let writes_url = written.iter().any(|s| s.contains("_base}/"));
                let mut cur = installed_everywhere(&env);
                let plan = t.plan(&env, &gw, &opts, &cur).unwrap();
                apply_to(&mut cur, &plan);
                let placed = t.placed(&env, &cur);
                let shown: Vec<(&str, &str)> = placed
                    .iter()
                    .map(|p| (p.key.as_str(), p.template.as_str()))
                    .take(12)
                    .collect();
                let found_model = placed.iter().any(|p| {
                    render::unfill(&p.template, &p.current)
                        .is_some_and(|(n, m)| models.contains(&n) && profile.contains(&m))
                });
                assert_eq!(
                    found_model,
                    writes_model,
                    "{} on {os:?}: {shown:?}",
                    t.name()
                );
                let found_url = placed.iter().any(|p| {
                    p.template.contains("_base}/")
                        && p.current.starts_with("https://gw.example.com")
                });
                assert_eq!(found_url, writes_url, "{} on {os:?}: {shown:?}", t.name());
            }
        }
    }

    /// Every leaf of a file as `(key path, value text)`.
    fn leaves_of(format: crate::templates::Format, text: &str) -> BTreeMap<Vec<String>, String> {
        use crate::config_edit::{doc, dotenv};
        if format == crate::templates::Format::Dotenv {
            return dotenv::values(text)
                .into_iter()
                .map(|(k, v)| (vec![k], v))
                .collect();
        }
        doc::leaves(format, text, &[]).into_iter().collect()
    }

    /// The registry's template tools with their templates.
    /// The template tools that write files (not the ones that only list steps by hand).
    fn template_tools() -> Vec<(crate::templates::Template, &'static dyn Tool)> {
        crate::templates::builtins()
            .into_iter()
            .map(|l| {
                let t = l.unwrap_or_else(|e| panic!("{e}")).template;
                let tool = ToolId::parse(&t.id).and_then(get).expect("registered");
                (t, tool)
            })
            .filter(|(_, tool)| {
                !steps_only(*tool) && !per_host(*tool) && !steps_only_when_empty(*tool)
            })
            .collect()
    }

    /// A template tool with no files: setup only lists steps by hand.
    fn steps_only(tool: &dyn Tool) -> bool {
        tool.template().is_some_and(|t| t.files.is_empty())
    }

    /// Steps only on an empty home: no files, or only database rows (`sqlite_item`),
    /// which only the editor creates (Cursor's are covered with databases by
    /// tests/cli/cursor_template.rs and setup_editors.rs, and above with `{}` rows).
    fn steps_only_when_empty(tool: &dyn Tool) -> bool {
        tool.template()
            .is_some_and(|t| t.files.iter().all(|f| f.sqlite_item.is_some()))
    }

    /// A template tool with files per VS Code-family host (`hosts`): the template tests
    /// below place one file per template file on a home without editors, so they leave
    /// it to its own tests (src/tools/auto_import.rs, tests/cli/roo_kilo_template.rs).
    fn per_host(tool: &dyn Tool) -> bool {
        tool.template()
            .is_some_and(|t| t.files.iter().any(|f| f.hosts.is_some()))
    }

    fn registry_gateway(key_env: bool) -> crate::profile::Gateway {
        use crate::profile::{KeySource, Profile, from_profile};
        let p = Profile {
            base_url: "https://gw.example.com".into(),
            model: Some("gpt-4o".into()),
            anthropic_model: Some("claude-sonnet-4-5".into()),
            small_model: Some("claude-haiku-4-5".into()),
            ..Profile::default()
        };
        let secret = crate::secret::ApiKey::new("sk-registry-0123456789");
        let key = if key_env {
            KeySource::Env {
                var: "GW_KEY".into(),
                value: Some(secret),
            }
        } else {
            KeySource::Literal(secret)
        };
        from_profile("p".into(), &p, key).unwrap()
    }

    /// Issue 9: for every template tool, each key path `plan` adds, changes or takes out
    /// lies under a value the template declares, and `owned` tracks every one it writes,
    /// so a hand edit of anything byok wrote shows up as drift; in every key mode, on
    /// the Linux, macOS and Windows layouts. Setup on an empty home then again is up to date.
    #[test]
    fn template_tools_own_every_key_they_write() {
        use crate::env::Os;
        use crate::templates::{Class, key_path};
        use crate::tools::testing::native_env;
        for (t, tool) in template_tools() {
            for os in [Os::Linux, Os::Macos, Os::Windows] {
                let env = native_env(os);
                let modes = if tool.runs_key_command() {
                    vec![KeyMode::Literal, KeyMode::Helper]
                } else {
                    vec![KeyMode::Literal]
                };
                for (key_mode, key_env) in modes.into_iter().flat_map(|m| [(m, false), (m, true)]) {
                    let gw = registry_gateway(key_env);
                    let opts = SetupOptions {
                        key_mode,
                        exe: "/bin/byok".into(),
                        ..SetupOptions::default()
                    };
                    let mut cur = extensions_installed(&env);
                    let case = format!("{} on {os:?}, {key_mode:?}, key env {key_env}", t.id);
                    let plan = tool.plan(&env, &gw, &opts, &cur).unwrap();
                    assert!(plan.effective().next().is_some(), "{case}: plans nothing");
                    let paths = file_paths(&t, tool, &env, &cur);
                    apply_to(&mut cur, &plan);
                    let owned: BTreeSet<String> = tool
                        .owned(&env, &cur)
                        .into_iter()
                        .filter_map(|(l, v)| v.map(|_| l))
                        .collect();
                    for (f, path) in t.files.iter().zip(&paths) {
                        let Some(c) = plan.changes.iter().find(|c| c.path == *path) else {
                            continue;
                        };
                        let before = leaves_of(f.format, c.before.as_deref().unwrap_or(""));
                        let after = leaves_of(f.format, c.after.as_deref().unwrap_or(""));
                        let declared: Vec<(Vec<String>, Class)> = f
                            .values
                            .iter()
                            .map(|v| (key_path(&v.key).unwrap(), v.class))
                            .collect();
                        // A new file's skeleton (`new`) is byok's too, but nothing to track.
                        let skeleton = match c.before.as_deref() {
                            Some(b) if !b.trim().is_empty() => BTreeMap::new(),
                            _ => leaves_of(f.format, f.new.as_deref().unwrap_or("")),
                        };
                        let keys: BTreeSet<&Vec<String>> =
                            before.keys().chain(after.keys()).collect();
                        for k in keys {
                            // An empty document is one leaf with no path.
                            if k.is_empty()
                                || before.get(k) == after.get(k)
                                || skeleton.get(k) == after.get(k)
                            {
                                continue;
                            }
                            assert!(
                                declared.iter().any(|(d, _)| k.starts_with(d)),
                                "{case}: {} {} is written but not declared",
                                f.id,
                                k.join(".")
                            );
                            // `keep` values are written, never taken back, so not tracked.
                            let kept = declared
                                .iter()
                                .any(|(d, c)| k.starts_with(d) && *c == Class::Keep);
                            if after.contains_key(k) && !kept {
                                let label = owned_label(&env, f, path, &k.join("."));
                                // A list holding byok's items is tracked by the items'
                                // leaves, or by each item whole (`<label>/<id>`).
                                let (item, whole) = (format!("{label}["), format!("{label}/"));
                                assert!(
                                    owned.contains(&label)
                                        || owned
                                            .iter()
                                            .any(|l| l.starts_with(&item) || l.starts_with(&whole)),
                                    "{case}: `{label}` is written but owned() does not track it: {owned:?}"
                                );
                            }
                        }
                    }
                    let again = tool.plan(&env, &gw, &opts, &cur).unwrap();
                    assert!(
                        again.is_up_to_date(),
                        "{case}: not idempotent: {:?}",
                        again.changes
                    );
                }
            }
        }
    }

    /// Each of a template's files where `tool` reads it in `cur` (the first candidate that
    /// exists, else the one setup creates), also those a hook leaves out of `detect`
    /// (Continue's config.json beside a config.yaml).
    fn file_paths(
        t: &crate::templates::Template,
        tool: &dyn Tool,
        env: &Env,
        cur: &Current,
    ) -> Vec<PathBuf> {
        // `inputs` lists each file's candidates in template order (no variable names a
        // file on these homes).
        let mut inputs = tool.inputs(env).files.into_iter();
        t.files
            .iter()
            .map(|f| {
                assert!(f.hosts.is_none() && f.sqlite_item.is_none(), "{}", t.id);
                let all = f.path.all();
                let candidates: Vec<PathBuf> = inputs.by_ref().take(all.len()).collect();
                let create = f
                    .create
                    .as_deref()
                    .and_then(|c| all.iter().position(|p| *p == c))
                    .unwrap_or(0);
                candidates
                    .iter()
                    .find(|p| cur.file(p).is_some())
                    .unwrap_or(&candidates[create])
                    .clone()
            })
            .collect()
    }

    /// The files of one fixture case, by file name.
    fn fixture_case(dir: &Path) -> BTreeMap<String, String> {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .filter(|e| e.path().is_file())
            .map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(e.path()).unwrap())
            })
            .collect()
    }

    /// Every template tool of a registry that has the sample user template
    /// (`tests/fixtures/user-templates/acme.toml`) besides the built-in ones.
    fn all_template_tools() -> Vec<(crate::templates::Template, &'static dyn Tool)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/user-templates");
        let reg = build_registry(&dir);
        assert!(reg.broken.is_empty(), "{:?}", reg.broken);
        let tools: Vec<_> = reg
            .tools
            .iter()
            .filter_map(|t| Some((t.template()?.clone(), *t)))
            .filter(|(_, t)| !steps_only(*t) && !per_host(*t) && !steps_only_when_empty(*t))
            .collect();
        assert!(
            tools.iter().any(|(t, _)| t.id == "acme"),
            "no user template"
        );
        let builtin = TOOLS
            .iter()
            .filter(|t| {
                t.template().is_some()
                    && !steps_only(**t)
                    && !per_host(**t)
                    && !steps_only_when_empty(**t)
            })
            .count();
        assert_eq!(
            tools.len(),
            builtin + 1,
            "every built-in template tool and acme"
        );
        tools
    }

    /// A tool's fixture cases, `tests/fixtures/<id>/<case>/` (a `-cli` suffix dropped),
    /// each as its files by name; the empty home first.
    fn fixture_cases(id: &str) -> Vec<(String, BTreeMap<String, String>)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let dirs = [id, id.trim_end_matches("-cli")].map(|n| root.join(n));
        let Some(dir) = dirs.iter().find(|d| d.is_dir()) else {
            panic!("no tests/fixtures/{id}");
        };
        let mut cases: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        cases.sort();
        let mut out = vec![("empty home".to_string(), BTreeMap::new())];
        out.extend(
            cases
                .iter()
                .map(|c| (c.display().to_string(), fixture_case(c))),
        );
        out
    }

    /// The drift label `owned` gives `key` of file `f` at `path` (the file's `label`).
    fn owned_label(env: &Env, f: &crate::templates::FileSpec, path: &Path, key: &str) -> String {
        match f.label {
            crate::templates::LabelStyle::Path => format!("{} {key}", env.tilde(path)),
            crate::templates::LabelStyle::Id => format!("{} {key}", f.id),
        }
    }

    /// Where each owned label of `tool` lives in `cur`: the file, its format and the
    /// full key path, found the way `owned` labels the leaves below a declared key.
    fn owned_places(
        t: &crate::templates::Template,
        tool: &dyn Tool,
        env: &Env,
        cur: &Current,
    ) -> BTreeMap<String, (PathBuf, crate::templates::Format, Vec<String>)> {
        use crate::config_edit::doc;
        use crate::templates::{Class, key_path};
        let paths = file_paths(t, tool, env, cur);
        let mut out = BTreeMap::new();
        for (f, path) in t.files.iter().zip(paths) {
            let text = cur.file(&path).unwrap_or("");
            for v in f
                .values
                .iter()
                .filter(|v| !matches!(v.class, Class::Absent | Class::Keep))
            {
                let key = key_path(&v.key).unwrap();
                if let Some(field) = &v.entry {
                    // byok's list item: its leaves, the item's index as a `#n` segment; an
                    // item tracked whole is one value, edited at its first other field.
                    // The n-th item of byok's in a list has its record under `<list>#n`.
                    let list = owned_label(env, f, &path, &v.key);
                    let slot = generic::entries::record_key(f, v, &list);
                    let Some(id) = cur
                        .entries
                        .get(&slot)
                        .map(|e| e.id.clone())
                        .or_else(|| v.fixed_identity())
                    else {
                        panic!("no list entry for `{slot}`");
                    };
                    let items = match f.format {
                        crate::templates::Format::Yaml => {
                            crate::config_edit::yaml::list_items(text, &key[0])
                        }
                        _ => doc::items(f.format, text, &key),
                    };
                    let items = items.ok().flatten().unwrap_or_default();
                    // Not written for this profile or in this state (config.json beside a
                    // config.yaml).
                    let Some(i) = items.iter().position(|x| x[field] == *id) else {
                        continue;
                    };
                    let mut at = key.clone();
                    at.push(format!("#{i}"));
                    if v.whole {
                        let first = doc::value_leaves(&items[i])
                            .into_iter()
                            .find(|(below, _)| below[0] != *field)
                            .map(|(below, _)| below)
                            .unwrap_or_default();
                        at.extend(first);
                        out.insert(format!("{list}/{id}"), (path.clone(), f.format, at));
                        continue;
                    }
                    for (below, _) in doc::value_leaves(&items[i]) {
                        let label = format!("{list}[{field}={id}].{}", below.join("."));
                        let mut full = at.clone();
                        full.extend(below);
                        out.insert(label, (path.clone(), f.format, full));
                    }
                    continue;
                }
                for (below, _) in doc::leaves(f.format, text, &key) {
                    let mut label = owned_label(env, f, &path, &v.key);
                    if !below.is_empty() {
                        label = format!("{label}.{}", below.join("."));
                    }
                    let full = key.iter().chain(&below).cloned().collect();
                    out.insert(label, (path.clone(), f.format, full));
                }
            }
        }
        out
    }

    /// `text` with the leaf `key[at + 1..]` of the item `key[at]` (`#n`) of the top-level
    /// YAML list `key[0]` set to `value`, the item rewritten whole (found by its first
    /// field, which identifies it in byok's templates).
    fn edit_yaml_item(
        text: &str,
        key: &[String],
        at: usize,
        value: &str,
    ) -> Result<String, crate::config_edit::ParseError> {
        use crate::config_edit::yaml;
        let i: usize = key[at][1..].parse().unwrap();
        let items = yaml::list_items(text, &key[0])?.unwrap();
        let mut item = items[i].clone();
        let (field, id) = item
            .as_object()
            .and_then(|m| m.iter().next())
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .unwrap();
        let mut leaf = &mut item;
        for k in &key[at + 1..] {
            leaf = &mut leaf[k.as_str()];
        }
        *leaf = serde_json::json!(value);
        let list = yaml::OwnedList {
            key: &key[0],
            field: &field,
            ids: &[id.as_str()],
            at: yaml::At::Last,
            created: None,
        };
        list.set(text, &[item], &[])
    }

    /// Issue 9: every template tool, built-in and a user's (the sample in
    /// `tests/fixtures/user-templates/`), on the Linux, macOS and Windows layouts, on an
    /// empty home and on every fixture in `tests/fixtures/<tool>/`: setup then again is up
    /// to date; a hand edit of any one owned value is drift on exactly that label; remove
    /// gives back the original bytes (the user's replaced values put back, as the drift
    /// record keeps them; keys of class `absent` stay out) and files byok created are gone.
    #[test]
    fn template_tools_round_trip_every_fixture_on_every_layout() {
        use crate::config_edit::doc;
        use crate::env::Os;
        use crate::templates::{Class, key_path};
        use crate::tools::testing::native_env;
        const EDIT: &str = "edited-by-hand";
        for (t, tool) in all_template_tools() {
            for (case, files) in fixture_cases(&t.id) {
                for os in [Os::Linux, Os::Macos, Os::Windows] {
                    let what = format!("{} on {os:?}, {case}", t.id);
                    let env = native_env(os);
                    let gw = registry_gateway(false);
                    let opts = SetupOptions {
                        exe: "/bin/byok".into(),
                        ..SetupOptions::default()
                    };
                    let mut cur = extensions_installed(&env);
                    let candidates: Vec<PathBuf> = tool.inputs(&env).files;
                    for f in &candidates {
                        cur.files.insert(f.clone(), None);
                    }
                    // Each fixture file goes where the tool has a candidate of that name.
                    let mut placed = Vec::new();
                    // `expected.*` files are what a tool's own tests compare with.
                    for (name, text) in files.iter().filter(|(n, _)| !n.starts_with("expected.")) {
                        let path = candidates
                            .iter()
                            .find(|p| p.file_name().is_some_and(|n| *n == **name))
                            .unwrap_or_else(|| panic!("{what}: no place for {name}"));
                        cur.files.insert(path.clone(), Some(text.clone()));
                        placed.push((path.clone(), text.clone()));
                    }
                    let Ok(plan) = tool.plan(&env, &gw, &opts, &cur) else {
                        // A file the tool can't parse: remove refuses too, touching nothing.
                        assert!(case.ends_with("malformed"), "{what}: setup fails");
                        assert!(tool.remove(&env, &opts, &cur).is_err(), "{what}");
                        continue;
                    };
                    assert!(!case.ends_with("malformed"), "{what}: setup plans");
                    assert!(plan.effective().next().is_some(), "{what}: plans nothing");
                    let before = cur.clone();
                    apply_to(&mut cur, &plan);
                    let again = tool.plan(&env, &gw, &opts, &cur).unwrap();
                    assert!(
                        again.is_up_to_date(),
                        "{what}: not idempotent: {:?}",
                        again.changes
                    );

                    // Drift: the record is built from the after-state, as `byok setup`
                    // writes it (without what the plan left the user's, e.g. their own
                    // headers); then each owned value alone is edited by hand.
                    let users = |l: &str| {
                        plan.left.iter().any(|x| {
                            l == x
                                || l.strip_prefix(x.as_str())
                                    .is_some_and(|r| r.starts_with(['.', '[']))
                        })
                    };
                    let owned: Vec<(String, Option<String>)> = tool
                        .owned(&env, &cur)
                        .into_iter()
                        .filter(|(l, _)| !users(l))
                        .collect();
                    let record = crate::engine::OwnedRecord {
                        profile: "p".into(),
                        values: owned
                            .iter()
                            .map(|(l, v)| {
                                let h = v.as_deref().map(|v| crate::fs::sha256_hex(v.as_bytes()));
                                (l.clone(), h.unwrap_or_default())
                            })
                            .collect(),
                        ..Default::default()
                    };
                    assert_eq!(
                        crate::engine::drifted(&env, tool, &record, &cur),
                        Vec::<String>::new(),
                        "{what}"
                    );
                    let mut places = owned_places(&t, tool, &env, &cur);
                    places.retain(|l, _| !users(l));
                    let present: Vec<&String> = owned
                        .iter()
                        .filter_map(|(l, v)| v.as_ref().map(|_| l))
                        .collect();
                    assert!(!present.is_empty(), "{what}: owns nothing");
                    // Every value under a declared key is tracked, none is left out.
                    assert_eq!(
                        places.keys().collect::<Vec<_>>(),
                        present,
                        "{what}: owned() and the template's values differ"
                    );
                    let present_all: Vec<String> = present.iter().map(|l| (*l).clone()).collect();
                    for label in present {
                        let Some((path, format, key)) = places.get(label) else {
                            panic!("{what}: owned label `{label}` is not in the template's files");
                        };
                        let text = cur.file(path).unwrap();
                        let item = key.iter().position(|k| k.starts_with('#'));
                        let edited = match item {
                            // A YAML item is rewritten whole, as the engine does.
                            Some(at) if *format == crate::templates::Format::Yaml => {
                                edit_yaml_item(text, key, at, EDIT)
                            }
                            Some(at) => doc::set_in_item(
                                *format,
                                text,
                                &key[..at],
                                key[at][1..].parse().unwrap(),
                                &key[at + 1..],
                                &serde_json::json!(EDIT),
                            ),
                            None => doc::set(*format, text, key, &serde_json::json!(EDIT)),
                        }
                        .unwrap_or_else(|e| panic!("{what}: {label}: {e:?}"));
                        assert_ne!(edited, text, "{what}: {label}");
                        let mut by_hand = cur.clone();
                        by_hand.files.insert(path.clone(), Some(edited));
                        // Editing a list item's identity loses the whole item.
                        let want: Vec<String> = match label.rsplit_once("].") {
                            Some((item, leaf))
                                if item
                                    .rsplit_once('[')
                                    .is_some_and(|(_, f)| f.split('=').next() == Some(leaf)) =>
                            {
                                let prefix = format!("{item}].");
                                present_all
                                    .iter()
                                    .filter(|l| l.starts_with(&prefix))
                                    .cloned()
                                    .collect()
                            }
                            _ => vec![label.clone()],
                        };
                        assert_eq!(
                            crate::engine::drifted(&env, tool, &record, &by_hand),
                            want,
                            "{what}: editing `{label}`"
                        );
                    }

                    // Remove, with what `byok setup` records: hashes of what it wrote,
                    // the user's values it replaced, the files it created.
                    cur.written = record.values.clone();
                    cur.written.retain(|_, h| !h.is_empty());
                    // As `engine::replaced` reads it: with the list items byok now owns.
                    let before = Current {
                        entries: cur.entries.clone(),
                        ..before.clone()
                    };
                    let restorable: BTreeMap<String, Option<String>> =
                        tool.restorable(&env, &before).into_iter().collect();
                    cur.prior = tool
                        .owned(&env, &before)
                        .into_iter()
                        .filter(|(_, v)| v.is_some())
                        .filter_map(|(l, _)| Some((l.clone(), restorable.get(&l).cloned()??)))
                        .collect();
                    cur.created = Some(
                        plan.changes
                            .iter()
                            .filter(|c| c.before.as_deref().is_none_or(|b| b.trim().is_empty()))
                            .map(|c| c.path.clone())
                            .collect(),
                    );
                    let removal = tool.remove(&env, &opts, &cur).unwrap();
                    apply_to(&mut cur, &removal);
                    let twice = tool.remove(&env, &opts, &cur).unwrap();
                    assert!(
                        twice.is_up_to_date(),
                        "{what}: remove is not complete: {:?}",
                        twice.changes
                    );
                    for (path, text) in &placed {
                        // Keys that would override byok's (`absent`) stay out after remove.
                        let mut want = text.clone();
                        for f in &t.files {
                            if !path.file_name().is_some_and(|n| {
                                f.path
                                    .all()
                                    .iter()
                                    .any(|p| p.ends_with(&*n.to_string_lossy()))
                            }) {
                                continue;
                            }
                            for v in f.values.iter().filter(|v| v.class == Class::Absent) {
                                let key = key_path(&v.key).unwrap();
                                want = doc::remove(f.format, &want, &key, false).unwrap();
                            }
                            // `keep` values stay as setup wrote them, unless a hook took
                            // out the object holding them (Cline's provider entry, which
                            // Cline refuses without the `settings` remove took out).
                            for v in f.values.iter().filter(|v| v.class == Class::Keep) {
                                let key = key_path(&v.key).unwrap();
                                let holder = &key[..key.len() - 1];
                                let now = cur.file(path).unwrap_or("");
                                if t.hook.is_some()
                                    && !holder.is_empty()
                                    && !matches!(doc::get(f.format, now, holder), Ok(Some(_)))
                                {
                                    continue;
                                }
                                let after = plan.changes.iter().find(|c| c.path == *path);
                                let kept = after.and_then(|c| {
                                    doc::get(f.format, c.after.as_deref()?, &key).ok()?
                                });
                                if let Some(kept) = kept {
                                    want = doc::set(f.format, &want, &key, &kept).unwrap();
                                }
                            }
                        }
                        // A blank file counts as created: remove deletes it, and the
                        // command gives its bytes back.
                        let want = Some(want.as_str()).filter(|w| !w.trim().is_empty());
                        assert_eq!(
                            cur.file(path).filter(|t| !t.trim().is_empty()),
                            want,
                            "{what}: {}",
                            path.display()
                        );
                    }
                    for c in &plan.changes {
                        if before.file(&c.path).is_none() {
                            assert_eq!(
                                cur.file(&c.path),
                                None,
                                "{what}: {} stays",
                                c.path.display()
                            );
                        }
                    }
                }
            }
        }
    }
}
