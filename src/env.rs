//! The resolved context: which OS layout to use, the home and platform directories,
//! byok's own directories, the environment variables (read on demand) and the terminal flags.
//!
//! This is the only module that reads the process environment or asks `dirs` for
//! the home directory. Everything else takes an `&Env`, so tests build one that
//! points at a temporary directory (see [`Env::from_vars`]).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Overrides the home directory (tests, or a throw-away home).
pub const BYOK_HOME: &str = "BYOK_HOME";
/// Overrides byok's config dir (where `config.toml` lives).
pub const BYOK_CONFIG_DIR: &str = "BYOK_CONFIG_DIR";
/// Overrides byok's state dir (backups, manifest, lock).
pub const BYOK_STATE_DIR: &str = "BYOK_STATE_DIR";
/// Overrides byok's data dir (generated import files).
pub const BYOK_DATA_DIR: &str = "BYOK_DATA_DIR";
/// Selects the profile when `--profile` is not given.
pub const BYOK_PROFILE: &str = "BYOK_PROFILE";
/// Overrides the active profile's gateway URL.
pub const BYOK_BASE_URL: &str = "BYOK_BASE_URL";
/// Overrides the active profile's API key.
pub const BYOK_API_KEY: &str = "BYOK_API_KEY";
/// Overrides the active profile's chat model.
pub const BYOK_MODEL: &str = "BYOK_MODEL";
/// Forces an OS path layout (`linux`, `macos`, `windows`); meant for tests.
pub const BYOK_OS: &str = "BYOK_OS";

/// Every `BYOK_*` variable with a one-line description, for `--help`.
pub const BYOK_VARS: &[(&str, &str)] = &[
    (BYOK_PROFILE, "profile to use when --profile is not given"),
    (BYOK_BASE_URL, "gateway URL, overriding the profile's"),
    (BYOK_API_KEY, "API key, overriding the profile's"),
    (BYOK_MODEL, "chat model, overriding the profile's"),
    (BYOK_HOME, "home directory to use instead of $HOME"),
    (BYOK_CONFIG_DIR, "directory holding byok's config.toml"),
    (BYOK_STATE_DIR, "directory holding byok's backups and lock"),
    (
        BYOK_DATA_DIR,
        "directory holding files byok generates for tools",
    ),
    (
        BYOK_OS,
        "path layout to use: linux, macos or windows (testing)",
    ),
];

/// The operating system whose path conventions apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Linux,
    Macos,
    Windows,
}

impl Os {
    /// The OS this binary was built for.
    pub fn current() -> Self {
        if cfg!(target_os = "windows") {
            Self::Windows
        } else if cfg!(target_os = "macos") {
            Self::Macos
        } else {
            Self::Linux
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "linux" => Some(Self::Linux),
            "macos" | "darwin" | "mac" => Some(Self::Macos),
            "windows" | "win" => Some(Self::Windows),
            _ => None,
        }
    }
}

/// The resolved context every command works in.
#[derive(Debug, Clone)]
pub struct Env {
    /// Path layout in force.
    pub os: Os,
    /// The user's home directory.
    pub home: PathBuf,
    /// byok's config dir (holds `config.toml`).
    pub config_dir: PathBuf,
    /// byok's state dir (backups, manifest, lock).
    pub state_dir: PathBuf,
    /// byok's data dir (files generated for tools to import).
    pub data_dir: PathBuf,
    /// Current working directory.
    pub cwd: PathBuf,
    /// Whether stdin is a terminal (prompts are allowed only then).
    pub stdin_tty: bool,
    /// Whether stdout is a terminal.
    pub stdout_tty: bool,
    /// Whether stderr is a terminal (colours and spinners only then).
    pub stderr_tty: bool,
    /// The running byok executable, for commands written into other tools' files.
    pub exe: Option<PathBuf>,
    vars: Vars,
}

/// The environment variables an [`Env`] sees: a map given by a test, or the process's
/// own, read when asked.
///
/// The process's are not copied up front: copying them all costs about an eighth of
/// `byok env`, which runs at every shell start-up (bench/env.sh) and reads about ten.
/// byok never changes its own environment, so reading a variable later gives what a
/// copy taken at start would have held.
#[derive(Debug, Clone)]
enum Vars {
    Given(BTreeMap<String, String>),
    Process(ProcessVars),
}

/// The process environment, read on demand: each variable once, kept for the life of the
/// process (a value handed out stays valid as long as the `Env`), and the whole
/// environment copied only for [`Env::vars`].
#[derive(Default)]
struct ProcessVars {
    read: std::sync::Mutex<BTreeMap<String, &'static str>>,
    all: std::sync::OnceLock<BTreeMap<String, String>>,
}

impl ProcessVars {
    fn get(&self, key: &str) -> Option<&str> {
        if let Some(all) = self.all.get() {
            return all.get(key).map(String::as_str);
        }
        let mut read = self
            .read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(value) = read.get(key) {
            return Some(value);
        }
        // A value that is not UTF-8 counts as unset, as in `all`. A value found is leaked
        // once, so a reference to it can outlive the lock: a few short strings, and an
        // `Env` lives as long as the process anyway. Unset ones are simply asked again.
        #[allow(clippy::disallowed_methods)]
        let value: &'static str = Box::leak(std::env::var(key).ok()?.into_boxed_str());
        read.insert(key.to_string(), value);
        Some(value)
    }

    fn all(&self) -> &BTreeMap<String, String> {
        self.all.get_or_init(|| {
            #[allow(clippy::disallowed_methods)]
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect()
        })
    }
}

impl Vars {
    fn get(&self, key: &str) -> Option<&str> {
        match self {
            Self::Given(map) => map.get(key).map(String::as_str),
            Self::Process(process) => process.get(key),
        }
    }
}

impl Clone for ProcessVars {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl std::fmt::Debug for ProcessVars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProcessVars")
    }
}

impl Env {
    /// Reads the real process environment: the one constructor that does.
    #[allow(clippy::disallowed_methods)] // the single sanctioned reader of the environment
    pub fn from_process() -> Self {
        let vars = Vars::Process(ProcessVars::default());
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let fallback_home = dirs::home_dir();
        let mut env = Self::with_vars(vars, Os::current(), cwd, fallback_home);
        env.stdin_tty = std::io::stdin().is_terminal();
        env.stdout_tty = std::io::stdout().is_terminal();
        env.stderr_tty = std::io::stderr().is_terminal();
        env.exe = std::env::current_exe().ok();
        env
    }

    /// Builds a context from a variable map; pure, so tests can describe any machine.
    ///
    /// `host_os` is used unless `BYOK_OS` names another layout; `fallback_home` is
    /// used only when neither `BYOK_HOME` nor the OS's home variable is set.
    pub fn from_vars(
        vars: BTreeMap<String, String>,
        host_os: Os,
        cwd: PathBuf,
        fallback_home: Option<PathBuf>,
    ) -> Self {
        Self::with_vars(Vars::Given(vars), host_os, cwd, fallback_home)
    }

    fn with_vars(vars: Vars, host_os: Os, cwd: PathBuf, fallback_home: Option<PathBuf>) -> Self {
        let get = |k: &str| vars.get(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        let os = vars.get(BYOK_OS).and_then(Os::parse).unwrap_or(host_os);
        let home_var = if os == Os::Windows {
            "USERPROFILE"
        } else {
            "HOME"
        };
        let home = get(BYOK_HOME)
            .or_else(|| get(home_var))
            .or_else(|| get("HOME"))
            .or(fallback_home)
            .unwrap_or_else(|| cwd.clone());
        let mut env = Self {
            os,
            config_dir: PathBuf::new(),
            state_dir: PathBuf::new(),
            data_dir: PathBuf::new(),
            home,
            cwd,
            stdin_tty: false,
            stdout_tty: false,
            stderr_tty: false,
            exe: None,
            vars,
        };
        env.config_dir = get_abs(&env, BYOK_CONFIG_DIR).unwrap_or_else(|| match os {
            Os::Windows => env.roaming_app_data().join("byok"),
            // macOS CLI users expect ~/.config like on Linux (as gh, starship and jj do).
            Os::Linux | Os::Macos => env.xdg_config_home().join("byok"),
        });
        env.state_dir = get_abs(&env, BYOK_STATE_DIR).unwrap_or_else(|| match os {
            Os::Windows => env.local_app_data().join("byok").join("state"),
            Os::Macos => env.app_support().join("byok").join("state"),
            Os::Linux => env.xdg_dir("XDG_STATE_HOME", ".local/state").join("byok"),
        });
        env.data_dir = get_abs(&env, BYOK_DATA_DIR).unwrap_or_else(|| match os {
            Os::Windows => env.local_app_data().join("byok").join("data"),
            Os::Macos => env.app_support().join("byok").join("data"),
            Os::Linux => env.xdg_dir("XDG_DATA_HOME", ".local/share").join("byok"),
        });
        env
    }

    /// A variable; empty values count as unset.
    pub fn var(&self, key: &str) -> Option<&str> {
        self.vars.get(key).filter(|v| !v.is_empty())
    }

    /// A variable, even when set to the empty string.
    pub fn var_raw(&self, key: &str) -> Option<&str> {
        self.vars.get(key)
    }

    /// Every variable (for a child process's environment).
    pub fn vars(&self) -> &BTreeMap<String, String> {
        match &self.vars {
            Vars::Given(map) => map,
            Vars::Process(process) => process.all(),
        }
    }

    /// A path from a variable, made absolute against the working directory.
    pub fn path_var(&self, key: &str) -> Option<PathBuf> {
        self.var(key)
            .map(|v| self.cwd.join(expand_tilde(v, &self.home)))
    }

    /// `$XDG_CONFIG_HOME` or `~/.config` (Linux and macOS CLI tools).
    pub fn xdg_config_home(&self) -> PathBuf {
        self.xdg_dir("XDG_CONFIG_HOME", ".config")
    }

    /// `$XDG_DATA_HOME` or `~/.local/share`.
    pub fn xdg_data_home(&self) -> PathBuf {
        self.xdg_dir("XDG_DATA_HOME", ".local/share")
    }

    fn xdg_dir(&self, var: &str, default: &str) -> PathBuf {
        // The XDG spec says relative values are invalid and must be ignored.
        match self.var(var).map(PathBuf::from) {
            Some(p) if p.is_absolute() => p,
            _ => self.home.join(default),
        }
    }

    /// `~/Library/Application Support` (macOS).
    pub fn app_support(&self) -> PathBuf {
        self.home.join("Library").join("Application Support")
    }

    /// `%APPDATA%` (Windows roaming app data).
    pub fn roaming_app_data(&self) -> PathBuf {
        self.var("APPDATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| self.home.join("AppData").join("Roaming"))
    }

    /// `%LOCALAPPDATA%` (Windows local app data).
    pub fn local_app_data(&self) -> PathBuf {
        self.var("LOCALAPPDATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| self.home.join("AppData").join("Local"))
    }

    /// Where Electron apps keep their user data: `~/.config`, Application Support or %APPDATA%.
    pub fn electron_user_data_root(&self) -> PathBuf {
        match self.os {
            Os::Linux => self.xdg_config_home(),
            Os::Macos => self.app_support(),
            Os::Windows => self.roaming_app_data(),
        }
    }

    /// The directories of `PATH`, in order.
    pub fn path_dirs(&self) -> Vec<PathBuf> {
        let sep = if self.os == Os::Windows { ';' } else { ':' };
        self.var("PATH")
            .map(|p| {
                p.split(sep)
                    .filter(|s| !s.is_empty())
                    .map(PathBuf::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first file named `name` (plus `.exe`/`.cmd` on Windows) in `PATH`.
    pub fn find_on_path(&self, name: &str) -> Option<PathBuf> {
        let names: Vec<String> = if self.os == Os::Windows {
            ["exe", "cmd", "bat", "ps1"]
                .iter()
                .map(|e| format!("{name}.{e}"))
                .collect()
        } else {
            vec![name.to_string()]
        };
        self.path_dirs()
            .into_iter()
            .find_map(|dir| names.iter().map(|n| dir.join(n)).find(|p| p.is_file()))
    }

    /// The byok executable as text, for start-up files and key helpers.
    pub fn exe_string(&self) -> String {
        self.exe
            .as_ref()
            .map_or_else(|| "byok".to_string(), |p| p.display().to_string())
    }

    /// Replaces the home directory with `~` for display.
    pub fn tilde(&self, path: &Path) -> String {
        match path.strip_prefix(&self.home) {
            Ok(rest) if rest.as_os_str().is_empty() => "~".to_string(),
            Ok(rest) => format!("~/{}", rest.display()),
            Err(_) => path.display().to_string(),
        }
    }
}

fn get_abs(env: &Env, key: &str) -> Option<PathBuf> {
    env.path_var(key)
}

/// Expands a leading `~/` against `home`.
pub fn expand_tilde(value: &str, home: &Path) -> PathBuf {
    if value == "~" {
        home.to_path_buf()
    } else if let Some(rest) = value
        .strip_prefix("~/")
        .or_else(|| value.strip_prefix("~\\"))
    {
        home.join(rest)
    } else {
        PathBuf::from(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(os: Os, pairs: &[(&str, &str)]) -> Env {
        let vars = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Env::from_vars(vars, os, PathBuf::from("/cwd"), None)
    }

    #[test]
    fn byok_dirs_per_os() {
        struct Case {
            os: Os,
            vars: &'static [(&'static str, &'static str)],
            config: &'static str,
            state: &'static str,
            data: &'static str,
        }
        let cases = [
            Case {
                os: Os::Linux,
                vars: &[("HOME", "/h")],
                config: "/h/.config/byok",
                state: "/h/.local/state/byok",
                data: "/h/.local/share/byok",
            },
            Case {
                os: Os::Linux,
                vars: &[
                    ("HOME", "/h"),
                    ("XDG_CONFIG_HOME", "/x"),
                    ("XDG_STATE_HOME", "rel"),
                ],
                config: "/x/byok",
                state: "/h/.local/state/byok",
                data: "/h/.local/share/byok",
            },
            Case {
                os: Os::Macos,
                vars: &[("HOME", "/Users/u")],
                config: "/Users/u/.config/byok",
                state: "/Users/u/Library/Application Support/byok/state",
                data: "/Users/u/Library/Application Support/byok/data",
            },
            Case {
                os: Os::Windows,
                vars: &[("USERPROFILE", "/C/u"), ("APPDATA", "/C/u/AppData/Roaming")],
                config: "/C/u/AppData/Roaming/byok",
                state: "/C/u/AppData/Local/byok/state",
                data: "/C/u/AppData/Local/byok/data",
            },
            Case {
                os: Os::Linux,
                vars: &[
                    ("HOME", "/h"),
                    (BYOK_CONFIG_DIR, "cfg"),
                    (BYOK_HOME, "/fake"),
                ],
                config: "/cwd/cfg",
                state: "/fake/.local/state/byok",
                data: "/fake/.local/share/byok",
            },
        ];
        for c in cases {
            let e = env(c.os, c.vars);
            assert_eq!(e.config_dir, PathBuf::from(c.config), "{:?}", c.vars);
            assert_eq!(e.state_dir, PathBuf::from(c.state), "{:?}", c.vars);
            assert_eq!(e.data_dir, PathBuf::from(c.data), "{:?}", c.vars);
        }
    }

    #[test]
    fn byok_os_overrides_host() {
        let e = env(
            Os::Linux,
            &[("HOME", "/h"), ("USERPROFILE", "/w"), (BYOK_OS, "windows")],
        );
        assert_eq!(e.os, Os::Windows);
        assert_eq!(e.home, PathBuf::from("/w"));
        assert_eq!(
            e.electron_user_data_root(),
            PathBuf::from("/w/AppData/Roaming")
        );
    }

    #[test]
    fn empty_values_count_as_unset() {
        let e = env(Os::Linux, &[("HOME", "/h"), ("XDG_CONFIG_HOME", "")]);
        assert_eq!(e.var("XDG_CONFIG_HOME"), None);
        assert_eq!(e.var_raw("XDG_CONFIG_HOME"), Some(""));
        assert_eq!(e.xdg_config_home(), PathBuf::from("/h/.config"));
    }

    #[test]
    fn tilde_replaces_home() {
        let e = env(Os::Linux, &[("HOME", "/h")]);
        assert_eq!(e.tilde(Path::new("/h/.bashrc")), "~/.bashrc");
        assert_eq!(e.tilde(Path::new("/etc/x")), "/etc/x");
    }
}
