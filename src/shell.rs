//! Shell output for `byok env`: which variables a profile exports, how each shell
//! quotes them, the marked block, and the start-up file each shell reads.
//!
//! Every literal is single-quoted in the shell's own rules, so a key or URL holding
//! `'`, `"`, `$`, backticks, `;` or spaces can never run a command. Keys read from
//! another variable are referenced by name (validated), never expanded by byok.
//! Which variables and values are data, in `templates/env.toml` (loaded by
//! [`crate::templates::env`]); this module turns them into each shell's syntax.
//! `--shell dotenv` is not a shell: it uses the `.env` grammar of
//! [`crate::config_edit::dotenv`], shared with the `.env` files byok edits, and refuses
//! a value no `.env` quoting carries intact.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Result;

use crate::config_edit::dotenv;
use crate::env::{Env, Os};
use crate::error::UserError;
use crate::profile::Gateway;
use crate::templates::{self, env::EnvTemplate};

/// First line of byok's block.
pub const BEGIN: &str = "# >>> byok >>>";
/// Last line of byok's block.
pub const END: &str = "# <<< byok <<<";

/// An output format for `byok env`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    /// POSIX sh (dash, ksh).
    Sh,
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
    /// PowerShell (pwsh and Windows PowerShell).
    Powershell,
    /// Nushell.
    Nu,
    /// A `.env` file (KEY='value').
    Dotenv,
    /// A JSON object.
    Json,
}

pub use crate::templates::env::Value;

/// The variables a profile exports, in output order, as `templates/env.toml` says; a
/// key byok must fetch (OS credential store, key command) only with `fetch_key`.
pub fn exports(gw: &Gateway, fetch_key: bool) -> crate::templates::env::Exports {
    env_template().exports(gw, fetch_key)
}

/// The embedded exports template; loading it can't fail at run time because
/// `templates::env`'s unit test loads the same embedded text.
fn env_template() -> EnvTemplate {
    templates::env::builtin().expect("templates/env.toml is checked by a unit test")
}

impl Shell {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Self; 8] = [
        Self::Sh,
        Self::Bash,
        Self::Zsh,
        Self::Fish,
        Self::Powershell,
        Self::Nu,
        Self::Dotenv,
        Self::Json,
    ];

    /// The format the CLI spells `name` ([`Self::name`]); clap's parser is not touched
    /// on `byok env`'s fast path.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Picks the shell from the environment: `$SHELL`'s basename, then PowerShell/Nu markers.
    pub fn detect(env: &Env) -> Result<Self> {
        if let Some(sh) = env.var("SHELL") {
            let base = sh
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or(sh)
                .trim_end_matches(".exe");
            let found = match base {
                "bash" => Some(Self::Bash),
                "zsh" => Some(Self::Zsh),
                "fish" => Some(Self::Fish),
                "sh" | "dash" | "ksh" | "mksh" | "ash" => Some(Self::Sh),
                "pwsh" | "powershell" => Some(Self::Powershell),
                "nu" => Some(Self::Nu),
                _ => None,
            };
            if let Some(s) = found {
                return Ok(s);
            }
        }
        if env.var("NU_VERSION").is_some() {
            return Ok(Self::Nu);
        }
        if env.var("PSModulePath").is_some() && env.os == Os::Windows {
            return Ok(Self::Powershell);
        }
        Err(
            UserError::new("could not tell which shell this is ($SHELL is unset or unknown)")
                .hint("pass --shell with one of: sh, bash, zsh, fish, powershell, nu, dotenv, json")
                .into(),
        )
    }

    /// The CLI spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sh => "sh",
            Self::Bash => "bash",
            Self::Zsh => "zsh",
            Self::Fish => "fish",
            Self::Powershell => "powershell",
            Self::Nu => "nu",
            Self::Dotenv => "dotenv",
            Self::Json => "json",
        }
    }

    /// Quotes a literal so the shell reads it back byte for byte.
    pub fn quote(self, s: &str) -> String {
        match self {
            Self::Sh | Self::Bash | Self::Zsh => {
                let mut out = String::with_capacity(s.len() + 2);
                out.push('\'');
                for c in s.chars() {
                    match c {
                        '\'' => out.push_str(r"'\''"),
                        c => out.push(c),
                    }
                }
                out.push('\'');
                out
            }
            Self::Fish => format!("'{}'", s.replace('\\', r"\\").replace('\'', r"\'")),
            // PowerShell also treats the typographic quotes as single quotes.
            Self::Powershell => {
                let mut out = String::from("'");
                for c in s.chars() {
                    if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
                        out.push(c);
                    }
                    out.push(c);
                }
                out.push('\'');
                out
            }
            // Nushell raw strings have no escapes; pick enough `#` that none can close early.
            Self::Nu => {
                let mut hashes = 1;
                while s.contains(&format!("'{}", "#".repeat(hashes))) {
                    hashes += 1;
                }
                let h = "#".repeat(hashes);
                format!("r{h}'{s}'{h}")
            }
            // One grammar for every .env file byok writes (config_edit::dotenv). `render`
            // refuses a value without a dotenv form before it gets here; the POSIX
            // fallback only keeps this function total.
            Self::Dotenv => dotenv::quote(s).unwrap_or_else(|_| Self::Sh.quote(s)),
            Self::Json => serde_json::Value::String(s.to_string()).to_string(),
        }
    }

    fn set_line(
        self,
        name: &str,
        value: &Value,
        resolve: &dyn Fn(&str) -> Option<String>,
    ) -> Option<String> {
        Some(match (self, value) {
            (Self::Sh | Self::Bash | Self::Zsh, Value::Literal(s)) => {
                let quoted = self.quote(s);
                let mut line = String::with_capacity(8 + name.len() + quoted.len());
                line.push_str("export ");
                line.push_str(name);
                line.push('=');
                line.push_str(&quoted);
                line
            }
            (Self::Sh | Self::Bash | Self::Zsh, Value::FromVar(v)) => {
                format!("export {name}=\"${{{v}}}\"")
            }
            (Self::Sh | Self::Bash | Self::Zsh, Value::Unset) => format!("unset {name}"),
            (Self::Fish, Value::Literal(s)) => format!("set -gx {name} {}", self.quote(s)),
            (Self::Fish, Value::FromVar(v)) => format!("set -gx {name} ${v}"),
            (Self::Fish, Value::Unset) => format!("set -e {name}"),
            (Self::Powershell, Value::Literal(s)) => format!("$env:{name} = {}", self.quote(s)),
            (Self::Powershell, Value::FromVar(v)) => format!("$env:{name} = $env:{v}"),
            (Self::Powershell, Value::Unset) => {
                format!("Remove-Item -ErrorAction SilentlyContinue Env:{name}")
            }
            (Self::Nu, Value::Literal(s)) => format!("$env.{name} = {}", self.quote(s)),
            (Self::Nu, Value::FromVar(v)) => format!("$env.{name} = $env.{v}?"),
            (Self::Nu, Value::Unset) => format!("hide-env -i {name}"),
            // A .env file can't reference the shell, so the key's current value is written.
            (Self::Dotenv, _) => format!("{name}={}", self.quote(&current(value, resolve)?)),
            (Self::Json, _) => return None,
        })
    }

    /// Renders the marked block (or the JSON object) for these variables.
    ///
    /// `resolve` looks up a variable's current value, for formats that cannot
    /// reference one (dotenv, JSON). Fails only for dotenv, on a value that no .env
    /// quoting carries intact (see [`dotenv::quote`]); the error names the variable.
    pub fn render(
        self,
        vars: &[(impl AsRef<str>, Value)],
        comment: &str,
        resolve: &dyn Fn(&str) -> Option<String>,
    ) -> Result<String> {
        if self == Self::Dotenv {
            for (name, value) in vars {
                let name = name.as_ref();
                if let Some(Err(why)) = current(value, resolve).as_deref().map(dotenv::quote) {
                    return Err(UserError::new(format!(
                        "can't write {name} as a .env line: its value {why}"
                    ))
                    .hint("use a shell format instead (e.g. --shell bash or --shell json), which carries any value")
                    .into());
                }
            }
        }
        if self == Self::Json {
            let mut map = serde_json::Map::new();
            for (name, value) in vars {
                if let Some(v) = current(value, resolve) {
                    map.insert(name.as_ref().to_string(), serde_json::Value::String(v));
                }
            }
            return Ok(format!("{}\n", serde_json::Value::Object(map)));
        }
        let mut out = String::with_capacity(1024);
        out.push_str(BEGIN);
        out.push('\n');
        for line in comment.lines() {
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
        for (name, value) in vars {
            if let Some(line) = self.set_line(name.as_ref(), value, resolve) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        out.push_str(END);
        out.push('\n');
        Ok(out)
    }

    /// Renders the commands that remove every variable byok may set: its own and
    /// `extra`, the set-up tools' (each once).
    pub fn render_unset(self, extra: &[&str]) -> Result<String> {
        let template = env_template();
        let mut names = template.names();
        for n in extra {
            if !names.contains(n) {
                names.push(n);
            }
        }
        let vars: Vec<(&str, Value)> = names.into_iter().map(|n| (n, Value::Unset)).collect();
        match self {
            Self::Dotenv | Self::Json => Err(UserError::new(format!(
                "--unset makes no sense for --shell {}",
                self.name()
            ))
            .into()),
            _ => Ok(vars
                .iter()
                .filter_map(|(n, v)| self.set_line(n, v, &|_| None))
                .map(|l| l + "\n")
                .collect()),
        }
    }

    /// The start-up file `--install` edits for this shell.
    pub fn startup_file(self, env: &Env) -> Result<PathBuf> {
        Ok(match self {
            Self::Bash => env.home.join(".bashrc"),
            Self::Zsh => env
                .path_var("ZDOTDIR")
                .unwrap_or_else(|| env.home.clone())
                .join(".zshrc"),
            Self::Sh => env
                .path_var("ENV")
                .unwrap_or_else(|| env.home.join(".profile")),
            Self::Fish => env
                .xdg_config_home()
                .join("fish")
                .join("conf.d")
                .join("byok.fish"),
            Self::Powershell => match env.os {
                Os::Windows => env.home.join("Documents").join("PowerShell"),
                Os::Linux | Os::Macos => env.xdg_config_home().join("powershell"),
            }
            .join("Microsoft.PowerShell_profile.ps1"),
            Self::Nu => match env.os {
                Os::Linux => env.xdg_config_home(),
                Os::Macos => env.app_support(),
                Os::Windows => env.roaming_app_data(),
            }
            .join("nushell")
            .join("env.nu"),
            Self::Dotenv | Self::Json => {
                return Err(UserError::new(format!(
                    "--install needs a shell, not --shell {}",
                    self.name()
                ))
                .hint("write the output to a file yourself: `byok env --shell dotenv > .env`")
                .into());
            }
        })
    }

    /// The block `--install` writes: it runs byok at start-up, so no key sits in the rc file.
    pub fn install_block(self, exe: &str, profile: Option<&str>) -> String {
        let q = |s: &str| self.quote(s);
        let mut args = format!("env --shell {}", self.name());
        if let Some(p) = profile {
            let _ = write!(args, " --profile {}", q(p));
        }
        let body = match self {
            Self::Sh | Self::Bash | Self::Zsh => format!(
                "if [ -x {exe} ]; then eval \"$({exe} {args})\"; fi",
                exe = q(exe)
            ),
            Self::Fish => format!(
                "if test -x {exe}\n    {exe} {args} | source\nend",
                exe = q(exe)
            ),
            Self::Powershell => format!(
                "if (Test-Path {exe}) {{ & {exe} {args} | Out-String | Invoke-Expression }}",
                exe = q(exe)
            ),
            Self::Nu => format!(
                "load-env (^{exe} {} | from json)",
                args.replace("--shell nu", "--shell json"),
                exe = q(exe)
            ),
            Self::Dotenv | Self::Json => String::new(),
        };
        format!(
            "{BEGIN}\n# Gateway settings from byok; `byok env --uninstall` removes this block.\n{body}\n{END}\n"
        )
    }
}

/// Where byok's blocks sit in a text: (start, end) byte ranges, end after the end line.
pub fn find_blocks(text: &str) -> Vec<(usize, usize)> {
    let mut blocks = Vec::new();
    let mut offset = 0;
    let mut start = None;
    for line in text.split_inclusive('\n') {
        let t = line.trim_end_matches(['\n', '\r']);
        if t == BEGIN && start.is_none() {
            start = Some(offset);
        } else if t == END
            && let Some(s) = start.take()
        {
            blocks.push((s, offset + line.len()));
        }
        offset += line.len();
    }
    blocks
}

/// Puts `block` in place of byok's existing block(s), or appends it.
pub fn upsert_block(text: &str, block: &str) -> String {
    let blocks = find_blocks(text);
    let crlf = text.contains("\r\n");
    let block = if crlf {
        block.replace('\n', "\r\n")
    } else {
        block.to_string()
    };
    match blocks.first() {
        Some(&(s, e)) => {
            let mut out = String::new();
            out.push_str(&text[..s]);
            out.push_str(&block);
            let mut last = e;
            // Later duplicates (from `byok env >> ~/.bashrc` run twice) are removed.
            for &(s2, e2) in &blocks[1..] {
                out.push_str(&text[last..s2]);
                last = e2;
            }
            out.push_str(&text[last..]);
            out
        }
        None if text.is_empty() => block,
        None if text.ends_with('\n') => format!("{text}{block}"),
        None => format!("{text}{}{block}", if crlf { "\r\n" } else { "\n" }),
    }
}

/// Removes byok's block(s); `original` is the pre-byok content, when known, so that a
/// newline byok had to add before its block is taken away too.
pub fn remove_blocks(text: &str, original: Option<&str>) -> String {
    let mut out = String::new();
    let mut last = 0;
    for (s, e) in find_blocks(text) {
        out.push_str(&text[last..s]);
        last = e;
    }
    out.push_str(&text[last..]);
    if let Some(orig) = original {
        for sep in ["\r\n", "\n"] {
            if let Some(stripped) = out.strip_suffix(sep)
                && stripped == orig
            {
                return orig.to_string();
            }
        }
    }
    out
}

/// A variable's value for formats that can't reference another variable (dotenv,
/// JSON): the literal, or the referenced variable's current value; `None` for unset.
fn current(value: &Value, resolve: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    match value {
        Value::Literal(s) => Some(s.clone()),
        Value::FromVar(var) => resolve(var),
        Value::Unset => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NASTY: &[&str] = &[
        "plain",
        "it's",
        "a\"b",
        "$HOME",
        "`id`",
        "$(touch /tmp/p)",
        "a b\tc",
        "x;rm -rf /",
        "back\\slash",
        "\\'",
        "'#",
        "ü‘quote’",
        "",
    ];

    #[test]
    fn posix_quoting() {
        assert_eq!(Shell::Bash.quote("it's"), r"'it'\''s'");
        assert_eq!(Shell::Bash.quote("$(x)"), "'$(x)'");
    }

    #[test]
    fn fish_quoting() {
        assert_eq!(Shell::Fish.quote(r"a\'b"), r"'a\\\'b'");
    }

    #[test]
    fn powershell_quoting() {
        assert_eq!(Shell::Powershell.quote("it's ‘x’"), "'it''s ‘‘x’’'");
    }

    #[test]
    fn nu_quoting() {
        assert_eq!(Shell::Nu.quote("a'b"), "r#'a'b'#");
        assert_eq!(Shell::Nu.quote("a'#b"), "r##'a'#b'##");
    }

    #[test]
    fn dotenv_quoting_is_the_dotenv_files_grammar() {
        assert_eq!(Shell::Dotenv.quote("sk-1"), "'sk-1'");
        assert_eq!(Shell::Dotenv.quote("a$b\"`\\c"), "'a$b\"`\\c'");
        assert_eq!(Shell::Dotenv.quote("it's"), "\"it's\"");
        let vars = [("OPENAI_API_KEY", Value::Literal("sk-it's$HOME".into()))];
        let err = Shell::Dotenv.render(&vars, "c", &|_| None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "can't write OPENAI_API_KEY as a .env line: its value holds ' together with \", $, ` or \\, which npm dotenv, python-dotenv and shells read differently in every quoting"
        );
        // Shells carry the same value.
        assert!(Shell::Bash.render(&vars, "c", &|_| None).is_ok());
    }

    #[test]
    fn every_shell_keeps_nasty_values_inside_quotes() {
        for shell in [
            Shell::Sh,
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::Powershell,
            Shell::Nu,
        ] {
            for v in NASTY {
                let q = shell.quote(v);
                assert!(!q.contains('\n'), "{shell:?} {v:?}");
                assert!(q.len() >= v.len() + 2, "{shell:?} {v:?}");
            }
        }
    }

    #[test]
    fn blocks_upsert_and_remove() {
        let block = format!("{BEGIN}\nexport A='1'\n{END}\n");
        let orig = "alias ll='ls -l'";
        let once = upsert_block(orig, &block);
        assert_eq!(once, format!("alias ll='ls -l'\n{block}"));
        assert_eq!(upsert_block(&once, &block), once);
        let twice = format!("{once}# mine\n{block}");
        assert_eq!(upsert_block(&twice, &block), format!("{once}# mine\n"));
        assert_eq!(remove_blocks(&once, Some(orig)), orig);
        assert_eq!(remove_blocks(&once, None), "alias ll='ls -l'\n");
        let crlf = "a\r\nb\r\n";
        let c = upsert_block(crlf, &block);
        assert_eq!(c, format!("a\r\nb\r\n{}", block.replace('\n', "\r\n")));
        assert_eq!(remove_blocks(&c, Some(crlf)), crlf);
        assert_eq!(upsert_block("", &block), block);
    }
}
