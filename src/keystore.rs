//! Where a profile's key lives when it is not in byok's own `config.toml` or an
//! environment variable: the OS credential store (macOS Keychain, Windows Credential
//! Manager, the Secret Service on Linux, through the `keyring` crate) or a command the
//! user names (`op read op://…`, `pass show …`).
//!
//! Both are read lazily ([`Fetched`]): only a command that needs the key itself (a
//! probe, `print-key`, a literal copy into a tool) asks the store or runs the command,
//! so `detect` never triggers a password-manager prompt.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::env::Env;
use crate::error::UserError;
use crate::fs;
use crate::secret::{self, ApiKey};

/// The service name byok's keys are stored under; the account is the profile name.
pub const SERVICE: &str = "byok";

/// Names a JSON file that stands in for the OS credential store (tests and machines
/// without one). Never set by byok itself.
pub const BYOK_TEST_KEYCHAIN: &str = "BYOK_TEST_KEYCHAIN";

/// How long a key command may take before byok gives up on it.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// Where a profile's key lives (`--key-store`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Store {
    /// byok's config.toml (mode 0600)
    File,
    /// An environment variable (--key-env)
    Env,
    /// The OS credential store: macOS Keychain, Windows Credential Manager, Secret Service
    Keychain,
    /// A command that prints the key (--key-command)
    Command,
}

/// A credential store byok can keep a profile's key in.
pub trait Keychain {
    /// What the store is, for messages ("the Secret Service", a file).
    fn describe(&self) -> String;
    /// The key stored for `account`, if any.
    fn get(&self, account: &str) -> Result<Option<String>>;
    /// Stores `secret` for `account`, replacing any earlier one.
    fn set(&self, account: &str, secret: &str) -> Result<()>;
    /// Deletes `account`'s key; whether there was one.
    fn delete(&self, account: &str) -> Result<bool>;
}

/// The store this environment uses: the OS one, or the file named by
/// [`BYOK_TEST_KEYCHAIN`].
pub fn keychain(env: &Env) -> Box<dyn Keychain> {
    match double_path(env) {
        Some(path) => Box::new(FileKeychain { path }),
        None => Box::new(OsKeychain),
    }
}

fn double_path(env: &Env) -> Option<PathBuf> {
    env.var(BYOK_TEST_KEYCHAIN).map(PathBuf::from)
}

/// The platform's credential store.
struct OsKeychain;

impl OsKeychain {
    fn entry(account: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(SERVICE, account).map_err(unreachable_store)
    }
}

fn os_store_name() -> &'static str {
    if cfg!(target_os = "macos") {
        "the macOS Keychain"
    } else if cfg!(windows) {
        "the Windows Credential Manager"
    } else {
        "the Secret Service (GNOME Keyring, KWallet)"
    }
}

/// The error for a store that can't be reached: say so, and offer the other stores.
fn unreachable_store(e: keyring::Error) -> anyhow::Error {
    UserError::new(format!(
        "{} is not reachable here: {e}",
        os_store_name()
    ))
    .hint(
        "keep the key elsewhere: an environment variable (--key-env VAR), a command that prints it (--key-command 'op read …'), or byok's config file, mode 0600 (--key)",
    )
    .into()
}

impl Keychain for OsKeychain {
    fn describe(&self) -> String {
        os_store_name().to_string()
    }

    fn get(&self, account: &str) -> Result<Option<String>> {
        match Self::entry(account)?.get_password() {
            Ok(k) => Ok(Some(k)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e @ (keyring::Error::NoStorageAccess(_) | keyring::Error::PlatformFailure(_))) => {
                Err(unreachable_store(e))
            }
            Err(e) => Err(anyhow::anyhow!(
                "reading the key from {}: {e}",
                os_store_name()
            )),
        }
    }

    fn set(&self, account: &str, secret: &str) -> Result<()> {
        Self::entry(account)?
            .set_password(secret)
            .map_err(unreachable_store)
    }

    fn delete(&self, account: &str) -> Result<bool> {
        match Self::entry(account)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(unreachable_store(e)),
        }
    }
}

/// A JSON object `{account: key}` in a 0600 file: the test double behind the same trait.
struct FileKeychain {
    path: PathBuf,
}

impl FileKeychain {
    fn load(&self) -> Result<serde_json::Map<String, serde_json::Value>> {
        match fs::read_optional(&self.path)? {
            None => Ok(serde_json::Map::new()),
            Some(t) => serde_json::from_str(&t)
                .with_context(|| format!("{} is not a JSON object", self.path.display())),
        }
    }

    fn save(&self, map: &serde_json::Map<String, serde_json::Value>) -> Result<()> {
        let text = serde_json::to_string_pretty(map)? + "\n";
        fs::write_atomic(&self.path, text.as_bytes(), fs::Mode::Secret)
    }
}

impl Keychain for FileKeychain {
    fn describe(&self) -> String {
        format!("the key file {}", self.path.display())
    }

    fn get(&self, account: &str) -> Result<Option<String>> {
        Ok(self
            .load()?
            .get(account)
            .and_then(|v| v.as_str())
            .map(str::to_string))
    }

    fn set(&self, account: &str, secret: &str) -> Result<()> {
        let mut map = self.load()?;
        map.insert(account.to_string(), secret.into());
        self.save(&map)
    }

    fn delete(&self, account: &str) -> Result<bool> {
        let mut map = self.load()?;
        let had = map.remove(account).is_some();
        if had {
            self.save(&map)?;
        }
        Ok(had)
    }
}

/// How a lazily read key is obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch {
    /// From the credential store, under the profile's name.
    Keychain {
        /// The account (profile name).
        account: String,
        /// The test double's file, when one is configured.
        double: Option<PathBuf>,
    },
    /// Printed by this command (split like a shell splits words, run without one).
    Command(String),
}

/// A key read on first use and then kept for the rest of the process.
#[derive(Clone)]
pub struct Fetched {
    /// Where the key comes from.
    pub how: Fetch,
    cell: Arc<OnceLock<std::result::Result<ApiKey, UserError>>>,
}

impl std::fmt::Debug for Fetched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetched").field("how", &self.how).finish()
    }
}

impl PartialEq for Fetched {
    fn eq(&self, other: &Self) -> bool {
        self.how == other.how
    }
}

impl Eq for Fetched {}

impl Fetched {
    /// A key from the credential store, for profile `account`.
    pub fn keychain(env: &Env, account: &str) -> Self {
        Self::new(Fetch::Keychain {
            account: account.to_string(),
            double: double_path(env),
        })
    }

    /// A key printed by `command`.
    pub fn command(command: &str) -> Self {
        Self::new(Fetch::Command(command.to_string()))
    }

    fn new(how: Fetch) -> Self {
        Self {
            how,
            cell: Arc::new(OnceLock::new()),
        }
    }

    /// The key, reading it the first time; the error says what failed and what to do.
    pub fn get(&self) -> std::result::Result<&ApiKey, &UserError> {
        self.cell
            .get_or_init(|| {
                self.read()
                    .map_err(|e| match e.downcast_ref::<UserError>() {
                        Some(u) => u.clone(),
                        None => UserError::new(format!("{e:#}")),
                    })
            })
            .as_ref()
    }

    /// The key if it was read already; never reads it.
    pub fn cached(&self) -> Option<&ApiKey> {
        self.cell.get().and_then(|r| r.as_ref().ok())
    }

    /// One line naming the store, for `profile show` and `key show`.
    pub fn describe(&self) -> String {
        match &self.how {
            Fetch::Keychain { double: None, .. } => os_store_name().to_string(),
            Fetch::Keychain {
                double: Some(p), ..
            } => format!("the key file {}", p.display()),
            Fetch::Command(c) => format!("the command `{c}`"),
        }
    }

    fn read(&self) -> Result<ApiKey> {
        let raw = match &self.how {
            Fetch::Keychain { account, double } => {
                let store: Box<dyn Keychain> = match double {
                    Some(path) => Box::new(FileKeychain { path: path.clone() }),
                    None => Box::new(OsKeychain),
                };
                store.get(account)?.ok_or_else(|| {
                    UserError::new(format!(
                        "{} holds no key for profile `{account}`",
                        store.describe()
                    ))
                    .hint(format!(
                        "run `byok key set --profile {account}` to store one"
                    ))
                })?
            }
            Fetch::Command(c) => run_command(c, COMMAND_TIMEOUT)?,
        };
        let key = ApiKey::clean(&raw)
            .map_err(|e| UserError::new(format!("the key from {}: {e:#}", self.describe())))?
            .key;
        secret::register(key.expose());
        Ok(key)
    }
}

/// Splits `command` into words and checks it can be run; the error names the problem.
pub fn parse_command(command: &str) -> Result<Vec<String>> {
    let words = shell_words::split(command).map_err(|e| {
        UserError::new(format!("key command `{command}`: {e}"))
            .hint("quote it as a shell would, e.g. --key-command 'op read \"op://Private/gateway/credential\"'")
    })?;
    if words.is_empty() {
        return Err(UserError::new("the key command is empty")
            .hint("give a command that prints the key, e.g. --key-command 'pass show gateway'")
            .into());
    }
    Ok(words)
}

/// Runs a key command without a shell and returns the first line it prints. It may
/// prompt on the terminal (stdin and stderr stay the user's); it is ended after
/// `timeout`.
pub fn run_command(command: &str, timeout: Duration) -> Result<String> {
    let words = parse_command(command)?;
    let mut child = Command::new(&words[0])
        .args(&words[1..])
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            UserError::new(format!("could not run the key command `{command}`: {e}"))
                .hint("check that the program is installed and on PATH, or change it with `byok key set --key-command …`")
        })?;
    let mut stdout = child.stdout.take().context("key command stdout")?;
    // Read on a thread so a command that prints a lot can't block on a full pipe.
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if started.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(UserError::new(format!(
                "the key command `{command}` did not finish within {}",
                humantime::format_duration(timeout)
            ))
            .hint("run it by hand to see whether it waits for input (a locked vault, a login)")
            .into());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        return Err(
            UserError::new(format!("the key command `{command}` failed ({status})"))
                .hint("run it by hand to see why (a locked vault, a wrong item name)")
                .into(),
        );
    }
    let text = String::from_utf8_lossy(&out);
    let key = text.lines().map(str::trim).find(|l| !l.is_empty());
    match key {
        Some(k) => Ok(k.to_string()),
        None => Err(
            UserError::new(format!("the key command `{command}` printed nothing"))
                .hint("it must print the key on its standard output")
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_split_like_a_shell_and_refuse_bad_quoting() {
        assert_eq!(
            parse_command("op read 'op://Private/gw key/credential'").unwrap(),
            ["op", "read", "op://Private/gw key/credential"]
        );
        let e = parse_command("op read 'unclosed").unwrap_err();
        assert!(
            format!("{e:#}").contains("key command `op read 'unclosed`"),
            "{e:#}"
        );
        assert!(parse_command("   ").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_command_prints_the_key_or_fails_clearly() {
        assert_eq!(
            run_command("printf '\\n  sk-abc  \\nrest'", COMMAND_TIMEOUT).unwrap(),
            "sk-abc"
        );
        let e = run_command("false", COMMAND_TIMEOUT).unwrap_err();
        assert!(format!("{e:#}").contains("`false` failed"), "{e:#}");
        let e = run_command("true", COMMAND_TIMEOUT).unwrap_err();
        assert!(format!("{e:#}").contains("printed nothing"), "{e:#}");
        let e = run_command("sleep 5", Duration::from_millis(100)).unwrap_err();
        assert!(
            format!("{e:#}").contains("did not finish within 100ms"),
            "{e:#}"
        );
        let e = run_command("/nonexistent/byok-key-cmd", COMMAND_TIMEOUT).unwrap_err();
        assert!(format!("{e:#}").contains("could not run"), "{e:#}");
    }
}
