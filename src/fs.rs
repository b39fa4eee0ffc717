//! The only module that writes files: atomic replace, backups with a manifest, the
//! write-ahead journal that makes a batch of writes all-or-nothing across a crash, and
//! the lock that keeps two byok processes from interleaving writes.
//!
//! Backups live in `<state dir>/backups/`: one copy per file, taken before byok first
//! changes it, plus `manifest.json` which `byok restore` reads. A file that already has
//! a backup is not backed up again, so restore always returns the user's original.
//! Writes are recorded by a [`Batch`], which loads the manifest once and saves it once
//! (with the caller's drift record) per command or step.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::env::Env;
use crate::error::UserError;

/// Reads a file as UTF-8 text; `None` when it does not exist.
///
/// Anything that is not a regular file (a FIFO would block the read forever, a device
/// could be endless) is refused with an error naming what it is.
pub fn read_optional(path: &Path) -> Result<Option<String>> {
    match read_bytes_optional(path)? {
        None => Ok(None),
        Some(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| anyhow::anyhow!("{} is not valid UTF-8 text", path.display())),
    }
}

/// Reads a file's bytes; `None` when it does not exist. Only regular files are read.
pub fn read_bytes_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    if !check_regular(path)? {
        return Ok(None);
    }
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("could not read {}", path.display())),
    }
}

/// Whether `path` (links followed) exists as a regular file: `false` when nothing is
/// there (a dangling link included), an error for a directory, FIFO, socket or device.
pub fn check_regular(path: &Path) -> Result<bool> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e).with_context(|| format!("could not read {}", path.display())),
    };
    if meta.is_file() {
        return Ok(true);
    }
    let via = match fs::read_link(path) {
        Ok(to) => format!(" (a link to {})", to.display()),
        Err(_) => String::new(),
    };
    Err(UserError::new(format!(
        "{}{via} is {}, not a regular file; byok reads and writes only regular files",
        path.display(),
        describe_kind(&meta)
    ))
    .hint("move it aside (or point the link at a regular file) and run the command again")
    .into())
}

fn describe_kind(meta: &fs::Metadata) -> &'static str {
    let ft = meta.file_type();
    if ft.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_char_device() || ft.is_block_device() {
            return "a device";
        }
    }
    "a special file"
}

/// How permissions are chosen for a written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Keep an existing file's mode; new files get the default (umask).
    Keep,
    /// The file holds a secret: new files get 0600, existing ones lose group/other bits.
    Secret,
}

/// Replaces `path` atomically: temp file in the same directory, fsync, rename, fsync of
/// the directory.
///
/// A symlink is followed to its final target, even a dangling one (the target is
/// created), so a dotfiles manager's link stays a link. The file keeps its mode, owner
/// and group; a new file gets what the umask allows (0600 for secrets) and, when byok
/// runs as root in another user's directory, that directory's owner.
pub fn write_atomic(path: &Path, contents: &[u8], mode: Mode) -> Result<()> {
    let dir = replace(path, contents, mode)?;
    sync_dirs([dir.as_path()]);
    Ok(())
}

/// [`write_atomic`] without the directory's fsync: returns the directory, which the
/// caller syncs once for all the files a batch wrote there ([`sync_dirs`]) before it
/// records them as written.
pub fn replace(path: &Path, contents: &[u8], mode: Mode) -> Result<PathBuf> {
    let target = resolve_link(path)?;
    check_regular(&target)?;
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_dir_all(dir)?;
    sweep_stale_temps(dir);
    let existing = fs::metadata(&target).ok();
    let mut builder = tempfile::Builder::new();
    let prefix = format!("{TEMP_PREFIX}{}-", std::process::id());
    builder.prefix(&prefix).suffix(TEMP_SUFFIX);
    #[cfg(unix)]
    if existing.is_none() && mode == Mode::Keep {
        use std::os::unix::fs::PermissionsExt;
        // open(2) applies the umask to this, as for any new file.
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder
        .tempfile_in(dir)
        .with_context(|| format!("could not create a temporary file in {}", dir.display()))?;
    tmp.write_all(contents)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("could not write {}", target.display()))?;
    set_mode(tmp.path(), existing.as_ref(), mode)
        .with_context(|| format!("could not set permissions on {}", target.display()))?;
    keep_owner(tmp.as_file(), existing.as_ref(), dir)
        .with_context(|| format!("could not keep the owner of {}", target.display()))?;
    tmp.persist(&target)
        .map_err(|e| e.error)
        .with_context(|| format!("could not replace {}", target.display()))?;
    Ok(dir.to_path_buf())
}

/// The directory holding the file a path finally names (links followed), which a
/// write or removal there changes.
pub fn dir_of(path: &Path) -> Result<PathBuf> {
    let target = resolve_link(path)?;
    Ok(target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf())
}

/// Removes a file (a link's target, keeping the link); a missing file is fine.
pub fn remove_file(path: &Path) -> Result<()> {
    let target = resolve_link(path)?;
    if !check_regular(&target)? {
        return Ok(());
    }
    match fs::remove_file(&target) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("could not remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Creates a directory and its parents. When byok runs as root inside a directory that
/// belongs to someone else (sudo keeping HOME), the new directories get that owner.
pub fn create_dir_all(path: &Path) -> Result<()> {
    let existing_ancestor = path.ancestors().find(|a| a.exists()).map(Path::to_path_buf);
    fs::create_dir_all(path)
        .with_context(|| format!("could not create directory {}", path.display()))?;
    #[cfg(unix)]
    if let Some(anc) = existing_ancestor {
        use std::os::unix::fs::MetadataExt;
        let (Ok(owner), Ok(made)) = (fs::metadata(&anc), fs::metadata(path)) else {
            return Ok(());
        };
        if made.uid() == 0 && owner.uid() != 0 {
            for dir in path.ancestors().take_while(|a| *a != anc) {
                std::os::unix::fs::chown(dir, Some(owner.uid()), Some(owner.gid()))
                    .with_context(|| format!("could not give {} to its owner", dir.display()))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = existing_ancestor;
    Ok(())
}

/// The final target of a chain of symlinks, even when it does not exist yet; `path`
/// itself when it is not a link. A loop is an error.
pub fn resolve_link(path: &Path) -> Result<PathBuf> {
    let mut cur = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&cur) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = fs::read_link(&cur)
                    .with_context(|| format!("could not read the link {}", cur.display()))?;
                cur = match cur.parent() {
                    Some(parent) if to.is_relative() => parent.join(to),
                    _ => to,
                };
            }
            _ => return Ok(cur),
        }
    }
    Err(UserError::new(format!(
        "{} is a symlink loop (more than 40 links deep)",
        path.display()
    ))
    .hint("point the link at a regular file and run the command again")
    .into())
}

/// Temp files are `.byok-<pid>-<random>.tmp`: the pid tells a live writer's from one a
/// killed byok left behind.
const TEMP_PREFIX: &str = ".byok-";
const TEMP_SUFFIX: &str = ".tmp";

/// Deletes temp files that a killed byok left in `dir` (they may hold a key). A file is
/// stale when its writer is gone, or where processes can't be looked up, when it is
/// older than any write takes.
fn sweep_stale_temps(dir: &Path) {
    let Ok(rd) = fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix(TEMP_PREFIX))
            .and_then(|n| n.strip_suffix(TEMP_SUFFIX))
        else {
            continue;
        };
        let alive = owner_pid(rest).and_then(process_alive);
        let stale = match alive {
            Some(alive) => !alive,
            None => e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > std::time::Duration::from_secs(120)),
        };
        if stale && e.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// The pid a byok temp name carries after its prefix: `<pid>-<random>`.
fn owner_pid(rest: &str) -> Option<u32> {
    rest.split_once('-').and_then(|(p, _)| p.parse().ok())
}

/// Whether process `pid` is running; `None` where that can't be told. A zombie is not
/// running (where PID 1 does not reap, as in containers, a killed byok stays one).
pub fn process_alive(pid: u32) -> Option<bool> {
    if cfg!(target_os = "linux") && Path::new("/proc/self").exists() {
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            return Some(false);
        };
        // `pid (comm) state …`: comm may hold spaces, so the state follows the last `)`.
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next());
        return Some(!matches!(state, Some("Z" | "X")));
    }
    #[cfg(unix)]
    {
        use nix::errno::Errno;
        let pid = nix::unistd::Pid::from_raw(i32::try_from(pid).ok()?);
        match nix::sys::signal::kill(pid, None) {
            Ok(()) | Err(Errno::EPERM) => Some(true),
            Err(Errno::ESRCH) => Some(false),
            Err(_) => None,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        None
    }
}

/// Creates a private (0700) directory `<prefix><pid>-<random>` in `base` for this
/// process's temporary files, first deleting the ones a killed byok left there: only
/// directories (never a link) of byok's own naming, owned like `base`, whose process is
/// gone (where that can't be told, none is deleted).
pub fn private_temp_dir(base: &Path, prefix: &str) -> Result<tempfile::TempDir> {
    create_dir_all(base)?;
    sweep_stale_dirs(base, prefix);
    tempfile::Builder::new()
        .prefix(&format!("{prefix}{}-", std::process::id()))
        .tempdir_in(base)
        .with_context(|| {
            format!(
                "could not create a temporary directory in {}",
                base.display()
            )
        })
}

fn sweep_stale_dirs(base: &Path, prefix: &str) {
    let Ok(rd) = fs::read_dir(base) else {
        return;
    };
    #[cfg(unix)]
    let owner = {
        use std::os::unix::fs::MetadataExt;
        fs::symlink_metadata(base).map(|m| m.uid()).ok()
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix))
            .and_then(owner_pid)
        else {
            continue;
        };
        // `file_type` does not follow links: a link named like byok's is not touched.
        let Ok(meta) = fs::symlink_metadata(e.path()) else {
            continue;
        };
        if !meta.file_type().is_dir() {
            continue;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if owner != Some(meta.uid()) {
                continue;
            }
        }
        if process_alive(pid) == Some(false) {
            // Removes what is inside without following links out of it.
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

#[cfg(unix)]
fn set_mode(tmp: &Path, existing: Option<&fs::Metadata>, mode: Mode) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let bits = match (existing.map(|m| m.permissions().mode() & 0o7777), mode) {
        (Some(m), Mode::Keep) => m,
        (Some(m), Mode::Secret) => m & 0o700 | 0o600,
        (None, Mode::Secret) => 0o600,
        // Created with 0666 minus the umask: already right.
        (None, Mode::Keep) => return Ok(()),
    };
    fs::set_permissions(tmp, fs::Permissions::from_mode(bits))
}

#[cfg(not(unix))]
fn set_mode(tmp: &Path, existing: Option<&fs::Metadata>, _mode: Mode) -> io::Result<()> {
    if let Some(m) = existing {
        fs::set_permissions(tmp, m.permissions())?;
    }
    Ok(())
}

/// Gives the temp file the replaced file's owner and group (or, for a new file written
/// by root, the directory's), so a rename never hands a user's file to root.
#[cfg(unix)]
fn keep_owner(tmp: &File, existing: Option<&fs::Metadata>, dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let mine = tmp.metadata()?;
    let (uid, gid, must) = match existing {
        Some(m) => (m.uid(), m.gid(), true),
        None if mine.uid() == 0 => {
            let d = fs::metadata(dir)?;
            (d.uid(), d.gid(), false)
        }
        None => return Ok(()),
    };
    if uid != mine.uid() {
        let done = std::os::unix::fs::fchown(tmp, Some(uid), Some(gid));
        if must {
            done?;
        }
    } else if gid != mine.gid() {
        // Another group of the same user's: best effort (the user may have left it).
        let _ = std::os::unix::fs::fchown(tmp, None, Some(gid));
    }
    Ok(())
}

#[cfg(not(unix))]
fn keep_owner(_tmp: &File, _existing: Option<&fs::Metadata>, _dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Makes the renames and removals in each directory durable, once per directory; not
/// supported on every platform (Windows can't open a directory), so best effort.
pub fn sync_dirs<'a>(dirs: impl IntoIterator<Item = &'a Path>) {
    for dir in dirs {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
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

/// An exclusive lock on byok's state dir, held until dropped. Re-entrant within the
/// process: a step that holds it (`byok key rotate`) can save the profile, which takes
/// it too (an flock taken twice by one process would wait for itself).
#[derive(Debug)]
pub struct Lock {
    _file: Option<File>,
}

/// How many [`Lock`]s this process holds.
static LOCK_DEPTH: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl Drop for Lock {
    fn drop(&mut self) {
        LOCK_DEPTH.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Lock {
    /// Takes the lock, waiting for another byok process to finish.
    pub fn acquire(env: &Env) -> Result<Self> {
        use std::sync::atomic::Ordering;
        if LOCK_DEPTH.fetch_add(1, Ordering::SeqCst) > 0 {
            return Ok(Self { _file: None });
        }
        Self::take(env).inspect_err(|_| {
            LOCK_DEPTH.fetch_sub(1, Ordering::SeqCst);
        })
    }

    fn take(env: &Env) -> Result<Self> {
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
        Ok(Self { _file: Some(file) })
    }
}

/// One backed-up original, with every write byok made to the file since.
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
    /// Every write byok made to the file, oldest first: together they tell each edit
    /// byok did not make (one write's result differs from the next one's starting point).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub writes: Vec<WriteRecord>,
}

/// One write byok made: the file's content before and after, by hash, with copies kept
/// in the backups dir's content-addressed `blobs/` (up to [`BLOB_LIMIT`] bytes).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct WriteRecord {
    /// Id for `byok restore ID`: puts the file back as it was just before this write.
    pub id: String,
    /// When (RFC 3339, UTC).
    pub time: String,
    /// The tool (or `shell`) whose command wrote.
    pub tool: String,
    /// SHA-256 of the content before the write (empty: the file did not exist).
    pub before: String,
    /// Unix permission bits before the write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_mode: Option<u32>,
    /// SHA-256 of the content byok left (empty: it deleted the file).
    pub after: String,
}

/// Files larger than this (an editor's SQLite database) are tracked by hash only.
pub const BLOB_LIMIT: usize = 1 << 20;

/// The manifest of all backups that have not been restored.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Manifest {
    /// Entries, oldest first.
    pub entries: Vec<BackupEntry>,
}

/// A change to a file that byok did not make, found between two of its writes or since
/// its last one. Contents are `None` where the file was absent or no copy was kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignEdit {
    /// What byok had left (or the original).
    pub from: Option<Vec<u8>>,
    /// What the file held next.
    pub to: Option<Vec<u8>>,
    /// Whether both sides could be shown (copies exist or the file was absent).
    pub shown: bool,
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

    /// Stores `bytes` under its hash (small files only; the directory's fsync is left to
    /// the batch, in `dirs`); returns the hash ("" for none).
    fn keep_blob(&self, bytes: Option<&[u8]>, dirs: &mut BTreeSet<PathBuf>) -> Result<String> {
        let Some(bytes) = bytes else {
            return Ok(String::new());
        };
        let hash = sha256_hex(bytes);
        let p = self.dir.join("blobs").join(&hash);
        if bytes.len() <= BLOB_LIMIT && !p.exists() {
            dirs.insert(replace(&p, bytes, Mode::Secret)?);
        }
        Ok(hash)
    }

    /// The content with this hash: `Some(None)` for "absent" (empty hash), `None` when
    /// no copy was kept.
    fn blob(&self, entry: &BackupEntry, hash: &str) -> Result<Option<Option<Vec<u8>>>> {
        if hash.is_empty() {
            return Ok(Some(None));
        }
        if hash == entry.sha256 {
            return Ok(Some(self.original(entry)?));
        }
        let p = self.dir.join("blobs").join(hash);
        match read_bytes_optional(&p)? {
            Some(bytes) if sha256_hex(&bytes) == hash => Ok(Some(Some(bytes))),
            Some(_) => anyhow::bail!("backup {} does not match its checksum", p.display()),
            None => Ok(None),
        }
    }

    /// Every change to the file that byok did not make, from the state `write` (or,
    /// with `None`, the original) up to the file as it is now.
    pub fn foreign_edits(
        &self,
        entry: &BackupEntry,
        from_write: Option<&str>,
    ) -> Result<Vec<ForeignEdit>> {
        let now = read_bytes_optional(&entry.path)?;
        let now_hash = now.as_deref().map(sha256_hex).unwrap_or_default();
        let start = match from_write {
            None => 0,
            Some(id) => entry
                .writes
                .iter()
                .position(|w| w.id == id)
                .with_context(|| format!("no write `{id}` for {}", entry.path.display()))?,
        };
        let mut out = Vec::new();
        if entry.writes.is_empty() {
            // A manifest from before write records: only the last write is known.
            if let Some(written) = &entry.written_sha256
                && *written != now_hash
            {
                out.push(self.edit(entry, written, Some(now))?);
            }
            return Ok(out);
        }
        let mut prev: Option<&WriteRecord> = None;
        for w in &entry.writes[start..] {
            if let Some(p) = prev
                && p.after != w.before
            {
                let to = self.blob(entry, &w.before)?;
                out.push(self.edit(entry, &p.after, to)?);
            }
            prev = Some(w);
        }
        if let Some(last) = prev
            && last.after != now_hash
        {
            out.push(self.edit(entry, &last.after, Some(now))?);
        }
        Ok(out)
    }

    /// The edit from the content with `from_hash` to `to` (`None`: no copy was kept).
    fn edit(
        &self,
        entry: &BackupEntry,
        from_hash: &str,
        to: Option<Option<Vec<u8>>>,
    ) -> Result<ForeignEdit> {
        let from = self.blob(entry, from_hash)?;
        let shown = from.is_some() && to.is_some();
        Ok(ForeignEdit {
            from: from.flatten(),
            to: to.flatten(),
            shown,
        })
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

    /// Puts the file back as it was just before write `id` and forgets that write and
    /// every later one; stepping back over the first write is a full [`Self::restore`].
    pub fn step_back(&self, entry: &BackupEntry, id: &str) -> Result<()> {
        let pos = entry
            .writes
            .iter()
            .position(|w| w.id == id)
            .with_context(|| format!("no write `{id}` for {}", entry.path.display()))?;
        if pos == 0 {
            return self.restore(entry);
        }
        let w = &entry.writes[pos];
        let Some(content) = self.blob(entry, &w.before)? else {
            return Err(UserError::new(format!(
                "byok kept no copy of {} from before write {id} (the file is larger than {} KiB)",
                entry.path.display(),
                BLOB_LIMIT / 1024
            ))
            .hint("restore the original instead: `byok restore` with the file's backup id")
            .into());
        };
        match content {
            Some(bytes) => {
                write_atomic(&entry.path, &bytes, Mode::Keep)?;
                restore_mode(&entry.path, w.before_mode)?;
            }
            None => remove_file(&entry.path)?,
        }
        let mut manifest = self.load()?;
        if let Some(e) = manifest.entries.iter_mut().find(|e| e.id == entry.id) {
            e.writes.truncate(pos);
            e.written_sha256 = e.writes.last().map(|w| w.after.clone());
        }
        self.save(&manifest)?;
        self.collect_garbage(&manifest)
    }

    /// Drops an entry (and its copies) without restoring it.
    pub fn forget(&self, entry: &BackupEntry) -> Result<()> {
        let mut manifest = self.load()?;
        manifest.entries.retain(|e| e.id != entry.id);
        self.save(&manifest)?;
        if let Some(rel) = &entry.copy {
            remove_file(&self.dir.join(rel))?;
        }
        self.collect_garbage(&manifest)
    }

    /// Deletes blobs no write record refers to any more.
    fn collect_garbage(&self, manifest: &Manifest) -> Result<()> {
        let used: std::collections::BTreeSet<&str> = manifest
            .entries
            .iter()
            .flat_map(|e| e.writes.iter())
            .flat_map(|w| [w.before.as_str(), w.after.as_str()])
            .collect();
        let Ok(rd) = fs::read_dir(self.dir.join("blobs")) else {
            return Ok(());
        };
        for e in rd.flatten() {
            let name = e.file_name();
            if name.to_str().is_some_and(|n| !used.contains(n)) {
                remove_file(&e.path())?;
            }
        }
        Ok(())
    }
}

/// The write-ahead journal of a [`Batch`], in the state dir.
const JOURNAL: &str = "journal.json";

/// What a batch is about to do, saved (0600: the records it installs may hold a user's
/// replaced secrets) before its first write: the writes, and once they are all made, the
/// record files to install. A journal left behind by a crash is finished or undone by
/// [`recover`].
#[derive(Debug, Default, Serialize, Deserialize)]
struct Journal {
    /// The writes, in order.
    writes: Vec<Intent>,
    /// Backup copies the batch made (relative to the backups dir), deleted when it is undone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    copies: Vec<PathBuf>,
    /// Set when every write is made: the records to install (the manifest first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    commit: Vec<Install>,
}

/// One write a batch makes, by hash, with where its before-state is kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Intent {
    path: PathBuf,
    /// SHA-256 of the content before (empty: the file did not exist).
    before: String,
    /// The copy of the content before, relative to the backups dir (none kept: too large).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    before_copy: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    before_mode: Option<u32>,
    /// SHA-256 of the content after (empty: deleted); `None` when only known once
    /// written (a database row changes the file in ways byok can't predict).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after: Option<String>,
}

/// A record file a committed batch installs.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Install {
    path: PathBuf,
    text: String,
}

/// Writes recorded as one: the backup manifest is loaded once, and it and the caller's
/// records (the drift record) are saved once, at [`Batch::commit`].
///
/// Order, which is what makes a crash at any point leave the old or the new state:
/// 1. backup copies and blobs are written (each fsynced; each directory once);
/// 2. the journal, naming every write with its before and after hash, is made durable;
/// 3. the caller writes the files ([`replace`], each fsynced), each directory synced once
///    after the last write ([`Batch::commit`] does it: the renames must be durable before
///    anything says they happened);
/// 4. the journal gains the records to install and is made durable: the commit point;
/// 5. the records are installed and the journal removed.
///
/// A crash before 4 is undone by [`recover`] at the next start (each file whose content
/// is still what the batch wrote is put back); after 4 it is finished. An error is undone
/// at once by [`Batch::roll_back`], with the same code.
#[derive(Debug)]
pub struct Batch {
    store: BackupStore,
    journal_path: PathBuf,
    manifest: Manifest,
    journal: Journal,
    /// Directories of backup copies and blobs, synced before the journal.
    backup_dirs: BTreeSet<PathBuf>,
    /// Directories the batch wrote in after the journal, synced before the commit.
    dirs: BTreeSet<PathBuf>,
    begun: bool,
}

impl Batch {
    /// Loads the manifest for a batch; the caller holds the [`Lock`].
    pub fn new(env: &Env) -> Result<Self> {
        let store = BackupStore::new(env);
        let manifest = store.load()?;
        Ok(Self {
            store,
            journal_path: env.state_dir.join(JOURNAL),
            manifest,
            journal: Journal::default(),
            backup_dirs: BTreeSet::new(),
            dirs: BTreeSet::new(),
            begun: false,
        })
    }

    /// Backs `path` up unless a backup of it exists (one copy per file, taken before byok
    /// first changes it, so restore always returns the user's original); returns the entry.
    pub fn backup_once(&mut self, path: &Path, tool: &str, profile: &str) -> Result<BackupEntry> {
        if let Some(e) = self.manifest.entries.iter().find(|e| e.path == path) {
            return Ok(e.clone());
        }
        let original = read_bytes_optional(path)?;
        let now = now_rfc3339();
        let id = new_id(&now, path);
        let copy = match &original {
            Some(bytes) => {
                let rel = PathBuf::from("files").join(&id);
                // Backups may hold keys, so they are private whatever the original's mode.
                let dir = replace(&self.store.dir.join(&rel), bytes, Mode::Secret)?;
                self.backup_dirs.insert(dir);
                self.journal.copies.push(rel.clone());
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
            writes: Vec::new(),
        };
        self.manifest.entries.push(entry.clone());
        Ok(entry)
    }

    /// Names a write the batch will make to `path` (backed up already), before the first
    /// write: the content before and its mode, and after (`None`: not known until written;
    /// `Some(None)`: the file is deleted). Returns its index for [`Self::written`].
    pub fn intend(
        &mut self,
        path: &Path,
        before: Option<&[u8]>,
        before_mode: Option<u32>,
        after: Option<Option<&[u8]>>,
    ) -> Result<usize> {
        let original = self
            .manifest
            .entries
            .iter()
            .find(|e| e.path == path)
            .map(|e| (e.sha256.clone(), e.copy.clone()));
        let before_hash = before.map(sha256_hex).unwrap_or_default();
        let before_copy = match (before, original) {
            (None, _) => None,
            (Some(_), Some((sha, Some(copy)))) if sha == before_hash => Some(copy),
            (Some(bytes), _) => {
                let hash = self.store.keep_blob(Some(bytes), &mut self.backup_dirs)?;
                (bytes.len() <= BLOB_LIMIT).then(|| PathBuf::from("blobs").join(hash))
            }
        };
        let after = match after {
            Some(a) => Some(self.store.keep_blob(a, &mut self.backup_dirs)?),
            None => None,
        };
        self.journal.writes.push(Intent {
            path: path.to_path_buf(),
            before: before_hash,
            before_copy,
            before_mode,
            after,
        });
        Ok(self.journal.writes.len() - 1)
    }

    /// Sets intended write `i`'s before-state to what the file holds just before it is
    /// written (a database an earlier write of the batch changed since it was staged).
    /// The journal keeps the staged state, which undoing reaches all the same.
    pub fn rebase(&mut self, i: usize, before: Option<&[u8]>) -> Result<()> {
        let hash = before.map(sha256_hex).unwrap_or_default();
        if self.journal.writes[i].before == hash {
            return Ok(());
        }
        self.store.keep_blob(before, &mut self.dirs)?;
        let w = &mut self.journal.writes[i];
        w.before_copy = before
            .filter(|b| b.len() <= BLOB_LIMIT)
            .map(|_| PathBuf::from("blobs").join(&hash));
        w.before = hash;
        Ok(())
    }

    /// Makes the journal durable (with the copies and blobs it names): from here on a
    /// crash is undone at the next start.
    pub fn begin(&mut self) -> Result<()> {
        sync_dirs(self.backup_dirs.iter().map(PathBuf::as_path));
        self.save_journal()?;
        self.begun = true;
        Ok(())
    }

    fn save_journal(&self) -> Result<()> {
        let text = serde_json::to_string_pretty(&self.journal)
            .context("could not serialise the journal")?;
        write_atomic(&self.journal_path, text.as_bytes(), Mode::Secret)
    }

    /// Records that intended write `i` was made by `tool`, in directory `dir` (synced at
    /// the commit), leaving `written` (`None`: deleted); returns the write's id for `byok
    /// restore ID`.
    pub fn written(
        &mut self,
        i: usize,
        tool: &str,
        dir: PathBuf,
        written: Option<&[u8]>,
    ) -> Result<Option<String>> {
        self.dirs.insert(dir);
        let intent = &self.journal.writes[i];
        let after = match &intent.after {
            Some(hash) => hash.clone(),
            // A database: its new bytes are kept now, and synced with the files.
            None => self.store.keep_blob(written, &mut self.dirs)?,
        };
        let Some(e) = self
            .manifest
            .entries
            .iter_mut()
            .find(|e| e.path == intent.path)
        else {
            return Ok(None);
        };
        let now = now_rfc3339();
        let id = format!("{}-w{}", new_id(&now, &intent.path), e.writes.len() + 1);
        e.written_sha256 = Some(after.clone());
        e.writes.push(WriteRecord {
            id: id.clone(),
            time: now,
            tool: tool.to_string(),
            before: intent.before.clone(),
            before_mode: intent.before_mode,
            after,
        });
        Ok(Some(id))
    }

    /// Commits: every directory written in is synced, the journal gains the records
    /// (the manifest and `installs`, each `(path, text)`, written 0600) and is made
    /// durable, then they are installed and the journal removed.
    pub fn commit(mut self, installs: Vec<(PathBuf, String)>) -> Result<()> {
        if self.journal.writes.is_empty() && installs.is_empty() {
            return if self.begun {
                remove_file(&self.journal_path)
            } else {
                Ok(())
            };
        }
        if let Err(e) = self.seal(installs) {
            // Not committed: undone like any failure of the batch.
            self.journal.commit.clear();
            let wrote = !self.dirs.is_empty();
            let left = self.roll_back();
            return Err(
                UserError::new(format!("could not record the change: {e:#}"))
                    .hint(undone_hint(wrote, &left))
                    .into(),
            );
        }
        install(&self.journal.commit).map_err(|e| {
            UserError::new(format!("{e:#}"))
                .hint("the change is made; the next byok command finishes recording it")
        })?;
        // Not synced: should the removal be lost, the next start installs the same again.
        remove_file(&self.journal_path)
    }

    /// The commit point: every directory written in is synced, then the journal gains
    /// the records to install and is made durable.
    fn seal(&mut self, installs: Vec<(PathBuf, String)>) -> Result<()> {
        sync_dirs(self.dirs.iter().map(PathBuf::as_path));
        let manifest = serde_json::to_string_pretty(&self.manifest)
            .context("could not serialise the backup manifest")?;
        self.journal.commit = std::iter::once((self.store.manifest_path(), manifest + "\n"))
            .chain(installs)
            .map(|(path, text)| Install { path, text })
            .collect();
        self.save_journal()
    }

    /// Undoes the batch after an error: every file it wrote is put back (newest write
    /// first), its new backup copies and the journal go. Returns what could not be put
    /// back, with why, which the caller must name.
    pub fn roll_back(self) -> Vec<String> {
        let mut left = undo(&self.store, &self.journal);
        if let Err(e) = remove_file(&self.journal_path) {
            left.push(format!("{e:#}"));
        }
        left
    }
}

/// What the user is told once a batch was rolled back: that nothing changed, or which
/// files `left` could not be put back.
pub fn undone_hint(wrote: bool, left: &[String]) -> String {
    if !left.is_empty() {
        format!(
            "these could not be put back: {}; `byok restore` lists every backup",
            left.join("; ")
        )
    } else if wrote {
        "every file this step had written was put back as it was; nothing changed".into()
    } else {
        "nothing was changed".into()
    }
}

/// Installs committed records: each written atomically, in order.
fn install(records: &[Install]) -> Result<()> {
    for r in records {
        write_atomic(&r.path, r.text.as_bytes(), Mode::Secret)?;
    }
    Ok(())
}

/// Puts back, newest first, each write of `journal` whose file still holds what the batch
/// wrote (a file at its before-state was not written; one holding something else was
/// changed since, and is left); then deletes the batch's backup copies and the blobs the
/// manifest on disk does not name. Returns what could not be put back, with why.
fn undo(store: &BackupStore, journal: &Journal) -> Vec<String> {
    let mut left = Vec::new();
    for w in journal.writes.iter().rev() {
        if let Err(e) = undo_one(store, w) {
            left.push(format!("{}: {e:#}", w.path.display()));
        }
    }
    for rel in &journal.copies {
        if let Err(e) = remove_file(&store.dir.join(rel)) {
            left.push(format!("{e:#}"));
        }
    }
    if let Err(e) = store.load().and_then(|m| store.collect_garbage(&m)) {
        left.push(format!("{e:#}"));
    }
    left
}

fn undo_one(store: &BackupStore, w: &Intent) -> Result<()> {
    let now = read_bytes_optional(&w.path)?;
    let now_hash = now.as_deref().map(sha256_hex).unwrap_or_default();
    if now_hash == w.before {
        return Ok(());
    }
    if w.after.as_ref().is_some_and(|a| *a != now_hash) {
        anyhow::bail!("changed since byok wrote it, so it was left as it is");
    }
    if w.before.is_empty() {
        return remove_file(&w.path);
    }
    let Some(rel) = &w.before_copy else {
        anyhow::bail!(
            "byok kept no copy of it (larger than {} KiB)",
            BLOB_LIMIT / 1024
        );
    };
    let p = store.dir.join(rel);
    let bytes = fs::read(&p).with_context(|| format!("could not read backup {}", p.display()))?;
    if sha256_hex(&bytes) != w.before {
        anyhow::bail!("backup {} does not match its checksum", p.display());
    }
    write_atomic(&w.path, &bytes, Mode::Keep)?;
    restore_mode(&w.path, w.before_mode)
}

/// What [`recover`] did with a batch a crash interrupted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovered {
    /// Every write had been made: its records were installed.
    Finished,
    /// It was undone; what could not be put back, with why.
    Undone(Vec<String>),
}

/// Finishes or undoes a batch that a crash (a killed byok, a power cut) interrupted,
/// from its journal; `None` when there was none. Waits for a byok that is still working.
pub fn recover(env: &Env) -> Result<Option<Recovered>> {
    let path = env.state_dir.join(JOURNAL);
    if !path.exists() {
        return Ok(None);
    }
    let _lock = Lock::acquire(env)?;
    // A running byok may have finished it while this one waited.
    let Some(text) = read_optional(&path)? else {
        return Ok(None);
    };
    let journal: Journal = serde_json::from_str(&text).map_err(|e| {
        UserError::new(format!(
            "byok's journal of an interrupted change, {}, is damaged ({e})",
            env.tilde(&path)
        ))
        .hint(format!(
            "`byok restore --list` shows every backup; move the journal aside to go on: mv {0} {0}.damaged",
            env.tilde(&path)
        ))
    })?;
    if !journal.commit.is_empty() {
        install(&journal.commit)?;
        remove_file(&path)?;
        return Ok(Some(Recovered::Finished));
    }
    let left = undo(&BackupStore::new(env), &journal);
    remove_file(&path)?;
    Ok(Some(Recovered::Undone(left)))
}

fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

fn new_id(now: &str, path: &Path) -> String {
    let stamp: String = now.chars().filter(char::is_ascii_alphanumeric).collect();
    format!(
        "{}-{}",
        stamp.to_lowercase(),
        &sha256_hex(path.to_string_lossy().as_bytes())[..6]
    )
}

fn restore_mode(path: &Path, mode: Option<u32>) -> Result<()> {
    #[cfg(unix)]
    if let Some(bits) = mode {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(resolve_link(path)?, fs::Permissions::from_mode(bits))
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

    fn test_env(dir: &Path) -> Env {
        let mut vars = std::collections::BTreeMap::new();
        vars.insert("HOME".to_string(), dir.display().to_string());
        Env::from_vars(vars, crate::env::Os::Linux, dir.to_path_buf(), None)
    }

    /// A batch that wrote `a` (which existed) and created `b`, stopped where `sealed` says:
    /// before its commit point, or just after it.
    fn interrupted(env: &Env, sealed: bool) -> (PathBuf, PathBuf) {
        let (a, b) = (env.home.join("a.json"), env.home.join("new/b.json"));
        write_atomic(&a, b"mine\n", Mode::Keep).unwrap();
        let mut batch = Batch::new(env).unwrap();
        let mut intents = Vec::new();
        for (p, before, after) in [
            (&a, Some(&b"mine\n"[..]), &b"byok\n"[..]),
            (&b, None, b"new\n"),
        ] {
            batch.backup_once(p, "t", "p").unwrap();
            let i = batch
                .intend(p, before, file_mode(p), Some(Some(after)))
                .unwrap();
            intents.push((p, i, after));
        }
        batch.begin().unwrap();
        for (p, i, after) in intents {
            let dir = replace(p, after, Mode::Keep).unwrap();
            batch.written(i, "t", dir, Some(after)).unwrap();
        }
        if sealed {
            let owned = (env.state_dir.join("owned.json"), "{}\n".to_string());
            batch.seal(vec![owned]).unwrap();
        }
        // The process dies here: nothing else runs.
        std::mem::forget(batch);
        (a, b)
    }

    #[test]
    fn a_batch_cut_off_before_its_commit_is_undone() {
        let dir = tempfile::tempdir().unwrap();
        let env = test_env(dir.path());
        let (a, b) = interrupted(&env, false);
        assert_eq!(fs::read(&a).unwrap(), b"byok\n");
        assert_eq!(recover(&env).unwrap(), Some(Recovered::Undone(Vec::new())));
        assert_eq!(fs::read(&a).unwrap(), b"mine\n");
        assert!(!b.exists());
        let store = BackupStore::new(&env);
        assert!(store.load().unwrap().entries.is_empty());
        // No copy of the user's file is left behind, nor the journal.
        assert_eq!(fs::read_dir(store.dir().join("files")).unwrap().count(), 0);
        assert!(!env.state_dir.join(JOURNAL).exists());
        assert_eq!(recover(&env).unwrap(), None);
    }

    #[test]
    fn a_batch_cut_off_after_its_commit_is_finished() {
        let dir = tempfile::tempdir().unwrap();
        let env = test_env(dir.path());
        let (a, b) = interrupted(&env, true);
        assert_eq!(recover(&env).unwrap(), Some(Recovered::Finished));
        assert_eq!(fs::read(&a).unwrap(), b"byok\n");
        assert_eq!(fs::read(&b).unwrap(), b"new\n");
        let m = BackupStore::new(&env).load().unwrap();
        assert_eq!(m.entries.len(), 2);
        assert_eq!(m.entries[0].writes.len(), 1);
        assert_eq!(m.entries[0].writes[0].after, sha256_hex(b"byok\n"));
        assert!(!m.entries[1].existed);
        assert_eq!(fs::read(env.state_dir.join("owned.json")).unwrap(), b"{}\n");
        assert!(!env.state_dir.join(JOURNAL).exists());
    }

    #[test]
    fn undoing_leaves_a_file_changed_since() {
        let dir = tempfile::tempdir().unwrap();
        let env = test_env(dir.path());
        let (a, b) = interrupted(&env, false);
        write_atomic(&a, b"edited\n", Mode::Keep).unwrap();
        let Some(Recovered::Undone(left)) = recover(&env).unwrap() else {
            panic!("not undone");
        };
        assert_eq!(left.len(), 1, "{left:?}");
        assert!(left[0].ends_with("changed since byok wrote it, so it was left as it is"));
        assert_eq!(fs::read(&a).unwrap(), b"edited\n");
        assert!(!b.exists());
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
