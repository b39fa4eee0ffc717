//! The only module that writes files: atomic replace, backups with a manifest, and the
//! lock that keeps two byok processes from interleaving writes.
//!
//! Backups live in `<state dir>/backups/`: one copy per file, taken before byok first
//! changes it, plus `manifest.json` which `byok restore` reads. A file that already has
//! a backup is not backed up again, so restore always returns the user's original.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::env::Env;

/// Reads a file as UTF-8 text; `None` when it does not exist.
pub fn read_optional(path: &Path) -> Result<Option<String>> {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| anyhow::anyhow!("{} is not valid UTF-8 text", path.display())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("could not read {}", path.display())),
    }
}

/// Reads a file's bytes; `None` when it does not exist.
pub fn read_bytes_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("could not read {}", path.display())),
    }
}

/// How permissions are chosen for a written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Keep an existing file's mode; new files get the default (umask).
    Keep,
    /// The file holds a secret: new files get 0600, existing ones lose group/other bits.
    Secret,
}

/// Replaces `path` atomically: temp file in the same directory, fsync, rename.
///
/// A symlink is followed, so the link (a dotfiles manager's) stays a link.
pub fn write_atomic(path: &Path, contents: &[u8], mode: Mode) -> Result<()> {
    let target = resolve_symlink(path);
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir)
        .with_context(|| format!("could not create directory {}", dir.display()))?;
    let existing = fs::metadata(&target).ok().map(|m| m.permissions());
    let mut tmp = tempfile::Builder::new()
        .prefix(".byok-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("could not create a temporary file in {}", dir.display()))?;
    tmp.write_all(contents)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("could not write {}", target.display()))?;
    set_mode(tmp.path(), existing, mode)
        .with_context(|| format!("could not set permissions on {}", target.display()))?;
    tmp.persist(&target)
        .map_err(|e| e.error)
        .with_context(|| format!("could not replace {}", target.display()))?;
    sync_dir(dir);
    Ok(())
}

/// Removes a file; a missing file is fine.
pub fn remove_file(path: &Path) -> Result<()> {
    match fs::remove_file(resolve_symlink(path)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("could not remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Creates a directory and its parents.
pub fn create_dir_all(path: &Path) -> Result<()> {
    fs::create_dir_all(path)
        .with_context(|| format!("could not create directory {}", path.display()))
}

fn resolve_symlink(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

#[cfg(unix)]
fn set_mode(tmp: &Path, existing: Option<fs::Permissions>, mode: Mode) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let bits = match (existing.map(|p| p.mode() & 0o7777), mode) {
        (Some(m), Mode::Keep) => m,
        (Some(m), Mode::Secret) => m & 0o700 | 0o600,
        (None, Mode::Secret) => 0o600,
        // tempfile creates 0600; a new ordinary file should get what the umask allows.
        (None, Mode::Keep) => 0o666 & !current_umask(),
    };
    fs::set_permissions(tmp, fs::Permissions::from_mode(bits))
}

#[cfg(not(unix))]
fn set_mode(tmp: &Path, existing: Option<fs::Permissions>, _mode: Mode) -> io::Result<()> {
    if let Some(p) = existing {
        fs::set_permissions(tmp, p)?;
    }
    Ok(())
}

#[cfg(unix)]
fn current_umask() -> u32 {
    // Reading the umask needs a syscall that also sets it; 022 is the near-universal default.
    0o022
}

fn sync_dir(dir: &Path) {
    // Makes the rename durable; not supported on every platform, so best effort.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// The file mode bits, where the platform has them.
pub fn file_mode(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path)
            .ok()
            .map(|m| m.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An exclusive lock on byok's state dir, held until dropped.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Takes the lock, waiting for another byok process to finish.
    pub fn acquire(env: &Env) -> Result<Self> {
        create_dir_all(&env.state_dir)?;
        let path = env.state_dir.join("lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("could not open lock file {}", path.display()))?;
        file.lock()
            .with_context(|| format!("could not lock {}", path.display()))?;
        Ok(Self { _file: file })
    }
}

/// One backed-up original.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BackupEntry {
    /// Short id used by `byok restore ID`.
    pub id: String,
    /// The original file's path.
    pub path: PathBuf,
    /// Whether the file existed before byok touched it (if not, restore deletes it).
    pub existed: bool,
    /// Unix permission bits of the original.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
    /// SHA-256 of the original bytes (empty when it did not exist).
    pub sha256: String,
    /// When the backup was taken (RFC 3339, UTC).
    pub time: String,
    /// Which tool's setup caused it (`claude-code`, `shell`, ...).
    pub tool: String,
    /// The profile in use.
    pub profile: String,
    /// The copy, relative to the backups dir (absent when the file did not exist).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy: Option<PathBuf>,
    /// SHA-256 of what byok last wrote there (empty when it deleted the file), so
    /// restore can tell whether the user edited the file since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_sha256: Option<String>,
}

/// The manifest of all backups that have not been restored.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Manifest {
    /// Entries, oldest first.
    pub entries: Vec<BackupEntry>,
}

/// Where backups and their manifest live.
#[derive(Debug, Clone)]
pub struct BackupStore {
    dir: PathBuf,
}

impl BackupStore {
    /// The store in this context's state dir.
    pub fn new(env: &Env) -> Self {
        Self {
            dir: env.state_dir.join("backups"),
        }
    }

    /// The backups directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn manifest_path(&self) -> PathBuf {
        self.dir.join("manifest.json")
    }

    /// Reads the manifest (empty when there is none).
    pub fn load(&self) -> Result<Manifest> {
        let path = self.manifest_path();
        match read_optional(&path)? {
            None => Ok(Manifest::default()),
            Some(text) => serde_json::from_str(&text)
                .with_context(|| format!("could not parse the backup manifest {}", path.display())),
        }
    }

    fn save(&self, m: &Manifest) -> Result<()> {
        let text =
            serde_json::to_string_pretty(m).context("could not serialise the backup manifest")?;
        write_atomic(
            &self.manifest_path(),
            format!("{text}\n").as_bytes(),
            Mode::Secret,
        )
    }

    /// The active backup of `path`, if any.
    pub fn find(&self, path: &Path) -> Result<Option<BackupEntry>> {
        Ok(self.load()?.entries.into_iter().find(|e| e.path == path))
    }

    /// Backs `path` up unless a backup of it already exists; returns the entry in force.
    pub fn backup_once(&self, path: &Path, tool: &str, profile: &str) -> Result<BackupEntry> {
        let mut manifest = self.load()?;
        if let Some(e) = manifest.entries.iter().find(|e| e.path == path) {
            return Ok(e.clone());
        }
        let original = read_bytes_optional(path)?;
        let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
        let stamp: String = now.chars().filter(char::is_ascii_alphanumeric).collect();
        let id = format!(
            "{}-{}",
            stamp.to_lowercase(),
            &sha256_hex(path.to_string_lossy().as_bytes())[..6]
        );
        let copy = match &original {
            Some(bytes) => {
                let rel = PathBuf::from("files").join(&id);
                // Backups may hold keys, so they are private whatever the original's mode.
                write_atomic(&self.dir.join(&rel), bytes, Mode::Secret)?;
                Some(rel)
            }
            None => None,
        };
        let entry = BackupEntry {
            id,
            path: path.to_path_buf(),
            existed: original.is_some(),
            mode: file_mode(path),
            sha256: original.as_deref().map(sha256_hex).unwrap_or_default(),
            time: now,
            tool: tool.to_string(),
            profile: profile.to_string(),
            copy,
            written_sha256: None,
        };
        manifest.entries.push(entry.clone());
        self.save(&manifest)?;
        Ok(entry)
    }

    /// Records what byok just wrote to `path` (`None`: it deleted the file).
    pub fn record_written(&self, path: &Path, contents: Option<&[u8]>) -> Result<()> {
        let mut manifest = self.load()?;
        let Some(e) = manifest.entries.iter_mut().find(|e| e.path == path) else {
            return Ok(());
        };
        e.written_sha256 = Some(contents.map(sha256_hex).unwrap_or_default());
        self.save(&manifest)
    }

    /// The original bytes of a backup (`None` when the file did not exist).
    pub fn original(&self, entry: &BackupEntry) -> Result<Option<Vec<u8>>> {
        match &entry.copy {
            None => Ok(None),
            Some(rel) => {
                let p = self.dir.join(rel);
                let bytes = fs::read(&p)
                    .with_context(|| format!("could not read backup {}", p.display()))?;
                if sha256_hex(&bytes) != entry.sha256 {
                    anyhow::bail!(
                        "backup {} does not match its recorded checksum",
                        p.display()
                    );
                }
                Ok(Some(bytes))
            }
        }
    }

    /// Puts the original back (bytes and mode; deletes files byok created) and forgets the entry.
    pub fn restore(&self, entry: &BackupEntry) -> Result<()> {
        match self.original(entry)? {
            Some(bytes) => {
                write_atomic(&entry.path, &bytes, Mode::Keep)?;
                restore_mode(&entry.path, entry.mode)?;
            }
            None => remove_file(&entry.path)?,
        }
        self.forget(entry)
    }

    /// Drops an entry (and its copy) without restoring it.
    pub fn forget(&self, entry: &BackupEntry) -> Result<()> {
        let mut manifest = self.load()?;
        manifest.entries.retain(|e| e.id != entry.id);
        self.save(&manifest)?;
        if let Some(rel) = &entry.copy {
            remove_file(&self.dir.join(rel))?;
        }
        Ok(())
    }
}

fn restore_mode(path: &Path, mode: Option<u32>) -> Result<()> {
    #[cfg(unix)]
    if let Some(bits) = mode {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(resolve_symlink(path), fs::Permissions::from_mode(bits))
            .with_context(|| format!("could not set permissions on {}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn atomic_write_modes() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/secret.json");
        write_atomic(&p, b"x", Mode::Secret).unwrap();
        assert_eq!(file_mode(&p), Some(0o600));
        let q = dir.path().join("plain");
        write_atomic(&q, b"x", Mode::Keep).unwrap();
        assert_eq!(file_mode(&q), Some(0o644));
        fs::set_permissions(&q, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&q, b"y", Mode::Keep).unwrap();
        assert_eq!(file_mode(&q), Some(0o640));
        write_atomic(&q, b"z", Mode::Secret).unwrap();
        assert_eq!(file_mode(&q), Some(0o600));
        assert_eq!(fs::read(&q).unwrap(), b"z");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temp files left"
        );
    }

    #[cfg(unix)]
    #[test]
    fn writes_through_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("dotfiles-bashrc");
        fs::File::create(&real).unwrap();
        let link = dir.path().join(".bashrc");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, b"new", Mode::Keep).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&real).unwrap(), b"new");
    }
}
