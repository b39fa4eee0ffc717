//! The integration-test harness: the real `byok` binary in a fake home with a cleared
//! environment. No test reaches the real home or the network beyond 127.0.0.1.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A throw-away home and the variables byok runs with.
pub struct TestEnv {
    dir: tempfile::TempDir,
    vars: BTreeMap<String, String>,
    _shared: Option<std::sync::RwLockReadGuard<'static, ()>>,
}

/// Running processes are machine-wide: a fake `Cursor` started by one test makes every
/// other test's byok see "Cursor is running". Each home holds this lock shared; the test
/// that starts such a process holds it alone ([`TestEnv::alone`]).
static MACHINE: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// What one run printed and how it exited, with the home path normalised to `[HOME]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.stdout)?;
        if !self.stderr.is_empty() {
            write!(f, "----- stderr -----\n{}", self.stderr)?;
        }
        write!(f, "----- exit {} -----\n[EOF]", self.code)
    }
}

impl Output {
    /// Panics with the whole output unless the exit code is `code`.
    #[track_caller]
    pub fn code(self, code: i32) -> Self {
        assert_eq!(self.code, code, "unexpected exit code:\n{self}");
        self
    }

    /// Exit 0.
    #[track_caller]
    pub fn success(self) -> Self {
        self.code(0)
    }
}

pub const KEY: &str = "sk-test-0123456789abcdef";

impl TestEnv {
    pub fn new() -> Self {
        let shared = MACHINE
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Self {
            _shared: Some(shared),
            ..Self::unshared()
        }
    }

    /// A home for a test that changes machine-wide state (starts a process other tests'
    /// byok would see): returns the exclusive guard to hold while that state lasts.
    pub fn alone() -> (std::sync::RwLockWriteGuard<'static, ()>, Self) {
        let guard = MACHINE
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (guard, Self::unshared())
    }

    fn unshared() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let mut vars = BTreeMap::new();
        let h = home.display().to_string();
        vars.insert("HOME".into(), h.clone());
        vars.insert("USERPROFILE".into(), h.clone());
        vars.insert("BYOK_HOME".into(), h);
        vars.insert("BYOK_OS".into(), "linux".into());
        vars.insert("PATH".into(), "/usr/bin:/bin".into());
        vars.insert("SHELL".into(), "/bin/bash".into());
        vars.insert("NO_COLOR".into(), "1".into());
        Self {
            dir,
            vars,
            _shared: None,
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.vars.insert(key.into(), value.into());
        self
    }

    pub fn unset(&mut self, key: &str) -> &mut Self {
        self.vars.remove(key);
        self
    }

    /// A command with the cleared environment, ready for more args.
    pub fn command(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_byok"));
        cmd.env_clear()
            .envs(&self.vars)
            .current_dir(self.dir.path());
        cmd.stdin(std::process::Stdio::null());
        cmd
    }

    /// Runs byok with `args` and returns the normalised output.
    #[must_use = "check the exit code with .success() or .code(n)"]
    pub fn run(&self, args: &[&str]) -> Output {
        let out = self.command().args(args).output().expect("run byok");
        self.output(out)
    }

    /// Runs byok with `args` feeding `stdin`.
    #[must_use = "check the exit code with .success() or .code(n)"]
    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Output {
        use std::io::Write;
        let mut cmd = self.command();
        cmd.args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("spawn byok");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        self.output(out)
    }

    fn output(&self, out: std::process::Output) -> Output {
        Output {
            stdout: self.normalize(&String::from_utf8_lossy(&out.stdout)),
            stderr: self.normalize(&String::from_utf8_lossy(&out.stderr)),
            code: out.status.code().unwrap_or(-1),
        }
    }

    /// Replaces the temp paths and the binary's path with placeholders.
    pub fn normalize(&self, s: &str) -> String {
        s.replace(&self.home().display().to_string(), "[HOME]")
            .replace(&self.dir.path().display().to_string(), "[ROOT]")
            .replace(env!("CARGO_BIN_EXE_byok"), "[BYOK]")
    }

    /// Writes a file below the home directory.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.home().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, contents).unwrap();
        p
    }

    /// Copies every file below `src` into the home, keeping relative paths.
    pub fn copy_tree(&self, src: &Path) {
        fn copy(src: &Path, rel: &Path, t: &TestEnv) {
            let Ok(rd) = std::fs::read_dir(src) else {
                return;
            };
            for e in rd.flatten() {
                let rel = rel.join(e.file_name());
                if e.path().is_dir() {
                    copy(&e.path(), &rel, t);
                } else {
                    t.write(rel.to_str().unwrap(), std::fs::read(e.path()).unwrap());
                }
            }
        }
        copy(src, Path::new(""), self);
    }

    /// Reads a file below the home directory as text.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.home().join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// Reads a file below the home directory as bytes, `None` if missing.
    pub fn read_bytes(&self, rel: &str) -> Option<Vec<u8>> {
        std::fs::read(self.home().join(rel)).ok()
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.home().join(rel).exists()
    }

    /// Unix mode bits of a file below home.
    #[cfg(unix)]
    pub fn mode(&self, rel: &str) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(self.home().join(rel))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    }

    /// Saves the standard test profile (`default`) pointing at `url`.
    pub fn init(&self, url: &str) {
        self.run(&[
            "init",
            "--url",
            url,
            "--key",
            KEY,
            "--model",
            "gpt-4o",
            "--anthropic-model",
            "claude-sonnet-4-5",
            "--yes",
        ])
        .success();
    }

    /// Every file below home (relative paths), sorted.
    pub fn tree(&self) -> Vec<String> {
        fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
            let Ok(rd) = std::fs::read_dir(dir) else {
                return;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(base, &p, out);
                } else {
                    out.push(p.strip_prefix(base).unwrap().display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.home(), &self.home(), &mut out);
        out.sort();
        out
    }
}

/// True when a program is on this machine's PATH (shell round-trip tests skip otherwise).
pub fn have(program: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A fixture file's text (`tests/fixtures/<rel>`).
pub fn fixture(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Fails when the standard test key shows in any output; passes the output on.
#[track_caller]
pub fn no_key(out: Output) -> Output {
    no_secrets(out, &[KEY])
}

/// Fails when any of `secrets` (keys, credential headers) shows in any output; passes
/// the output on.
#[track_caller]
pub fn no_secrets(out: Output, secrets: &[&str]) -> Output {
    for s in secrets {
        assert!(
            !out.stdout.contains(s) && !out.stderr.contains(s),
            "{s} leaked:\n{out}"
        );
    }
    out
}
