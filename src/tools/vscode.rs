//! VS Code-family hosts: where each editor keeps its user data, user `settings.json`,
//! global state database and extensions, on Linux, macOS and Windows.
//!
//! Roo Code, Cline, Kilo Code and Continue are extensions that can live in any of these
//! hosts; their adapters ask this table where to look. Paths: code.visualstudio.com
//! "settings file locations" for VS Code; the others follow the same Electron
//! convention (see ../shared/reference/tools.md section 2a).

use std::path::{Path, PathBuf};

use crate::env::Env;

/// One VS Code-family editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Host {
    /// Short name used with `--host` (`code`, `cursor`, ...).
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Folder name of the user-data dir under the platform's app-data root; `None` when
    /// the host has no local user data (VS Code Server keeps settings on the client).
    user_data: Option<&'static str>,
    /// Extensions dir relative to home.
    extensions: &'static str,
}

/// Every known host, in display order.
pub const HOSTS: &[Host] = &[
    Host {
        id: "code",
        name: "VS Code",
        user_data: Some("Code"),
        extensions: ".vscode/extensions",
    },
    Host {
        id: "code-insiders",
        name: "VS Code Insiders",
        user_data: Some("Code - Insiders"),
        extensions: ".vscode-insiders/extensions",
    },
    Host {
        id: "vscodium",
        name: "VSCodium",
        user_data: Some("VSCodium"),
        extensions: ".vscode-oss/extensions",
    },
    Host {
        id: "cursor",
        name: "Cursor",
        user_data: Some("Cursor"),
        extensions: ".cursor/extensions",
    },
    Host {
        id: "windsurf",
        name: "Windsurf",
        user_data: Some("Windsurf"),
        extensions: ".windsurf/extensions",
    },
    Host {
        id: "code-server",
        name: "code-server",
        user_data: Some(CODE_SERVER),
        extensions: ".local/share/code-server/extensions",
    },
    Host {
        id: "vscode-server",
        name: "VS Code Server (remote)",
        user_data: None,
        extensions: ".vscode-server/extensions",
    },
];

// code-server keeps its user data in ~/.local/share/code-server on every OS.
const CODE_SERVER: &str = "\0code-server";

impl Host {
    /// The user-data dir (holds `User/settings.json`), if the host has one.
    pub fn user_data_dir(&self, env: &Env) -> Option<PathBuf> {
        let name = self.user_data?;
        if name == CODE_SERVER {
            return Some(env.home.join(".local/share/code-server"));
        }
        Some(env.electron_user_data_root().join(name))
    }

    /// The user `settings.json` (JSONC).
    pub fn settings_json(&self, env: &Env) -> Option<PathBuf> {
        self.user_data_dir(env)
            .map(|d| d.join("User").join("settings.json"))
    }

    /// The dir holding one folder per non-default profile (`User/profiles/<location>`,
    /// each with its own `settings.json`), if the host has user data.
    pub fn profiles_dir(&self, env: &Env) -> Option<PathBuf> {
        self.user_data_dir(env)
            .map(|d| d.join("User").join("profiles"))
    }

    /// The global state database (`state.vscdb`, SQLite).
    pub fn state_db(&self, env: &Env) -> Option<PathBuf> {
        self.user_data_dir(env)
            .map(|d| d.join("User").join("globalStorage").join("state.vscdb"))
    }

    /// The extensions dir.
    pub fn extensions_dir(&self, env: &Env) -> PathBuf {
        self.extensions
            .split('/')
            .fold(env.home.clone(), |p, part| p.join(part))
    }

    /// Looks a host up by `--host` spelling.
    pub fn by_id(id: &str) -> Option<&'static Self> {
        HOSTS.iter().find(|h| h.id.eq_ignore_ascii_case(id))
    }
}

/// An installed extension found in a host's extensions dir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledExtension {
    /// The host it is installed in.
    pub host: &'static Host,
    /// Its folder.
    pub dir: PathBuf,
    /// Version from the folder name (`publisher.name-1.2.3[-platform]`).
    pub version: String,
}

/// Finds `publisher.name` (case-insensitive) among a host's extension folder names and
/// returns the newest version found.
pub fn find_extension(
    host: &'static Host,
    ext_dir: &Path,
    entries: &[String],
    id: &str,
) -> Option<InstalledExtension> {
    let prefix = format!("{}-", id.to_ascii_lowercase());
    entries
        .iter()
        .filter_map(|e| {
            let rest = e.to_ascii_lowercase().strip_prefix(&prefix)?.to_string();
            let version = version_from(&rest)?;
            Some((parse_version(&version), version, e))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, version, e)| InstalledExtension {
            host,
            dir: ext_dir.join(e),
            version,
        })
}

/// Extension `id` in every host where the gathered files (`cur`, which read the hosts'
/// extension dirs) show it installed.
pub fn installed<'a>(
    env: &'a Env,
    cur: &'a super::Current,
    id: &'a str,
) -> impl Iterator<Item = InstalledExtension> + 'a {
    HOSTS.iter().filter_map(move |host| {
        let dir = host.extensions_dir(env);
        find_extension(host, &dir, cur.entries(&dir), id)
    })
}

/// `3.52.1-darwin-arm64` → `3.52.1`; `None` if it does not start with a digit.
fn version_from(rest: &str) -> Option<String> {
    if !rest.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let mut parts = Vec::new();
    for (i, part) in rest.split('-').enumerate() {
        // Pre-release tags stay; a platform suffix (`darwin`, `linux`, `win32`) ends it.
        if i > 0 && ["darwin", "linux", "win32", "alpine", "web"].contains(&part) {
            break;
        }
        parts.push(part);
    }
    Some(parts.join("-"))
}

/// Numeric version parts for ordering (`3.66.0` → [3, 66, 0]).
pub fn parse_version(v: &str) -> Vec<u64> {
    v.split(['.', '-']).map_while(|p| p.parse().ok()).collect()
}

/// True when `v` is at least `min` (both dotted numbers).
pub fn version_at_least(v: &str, min: &str) -> bool {
    parse_version(v) >= parse_version(min)
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::env::Os;

    fn env(os: Os) -> Env {
        crate::tools::testing::native_env(os)
    }

    #[test]
    fn path_table_all_oses() {
        let cases: &[(Os, &str, Option<&str>, &str)] = &[
            (
                Os::Linux,
                "code",
                Some("/home/u/.config/Code/User/settings.json"),
                "/home/u/.vscode/extensions",
            ),
            (
                Os::Linux,
                "vscodium",
                Some("/home/u/.config/VSCodium/User/settings.json"),
                "/home/u/.vscode-oss/extensions",
            ),
            (
                Os::Linux,
                "code-server",
                Some("/home/u/.local/share/code-server/User/settings.json"),
                "/home/u/.local/share/code-server/extensions",
            ),
            (
                Os::Linux,
                "vscode-server",
                None,
                "/home/u/.vscode-server/extensions",
            ),
            (
                Os::Macos,
                "code",
                Some("/Users/u/Library/Application Support/Code/User/settings.json"),
                "/Users/u/.vscode/extensions",
            ),
            (
                Os::Macos,
                "cursor",
                Some("/Users/u/Library/Application Support/Cursor/User/settings.json"),
                "/Users/u/.cursor/extensions",
            ),
            (
                Os::Macos,
                "code-insiders",
                Some("/Users/u/Library/Application Support/Code - Insiders/User/settings.json"),
                "/Users/u/.vscode-insiders/extensions",
            ),
            (
                Os::Windows,
                "code",
                Some("/C/Users/u/AppData/Roaming/Code/User/settings.json"),
                "/C/Users/u/.vscode/extensions",
            ),
            (
                Os::Windows,
                "windsurf",
                Some("/C/Users/u/AppData/Roaming/Windsurf/User/settings.json"),
                "/C/Users/u/.windsurf/extensions",
            ),
        ];
        for &(os, id, settings, ext) in cases {
            let e = env(os);
            let h = Host::by_id(id).unwrap();
            assert_eq!(
                h.settings_json(&e),
                settings.map(PathBuf::from),
                "{os:?} {id}"
            );
            assert_eq!(h.extensions_dir(&e), PathBuf::from(ext), "{os:?} {id}");
        }
        let e = env(Os::Windows);
        assert_eq!(
            Host::by_id("cursor").unwrap().state_db(&e),
            Some(PathBuf::from(
                "/C/Users/u/AppData/Roaming/Cursor/User/globalStorage/state.vscdb"
            ))
        );
    }

    #[test]
    fn finds_newest_extension_version() {
        let host = Host::by_id("code").unwrap();
        let entries: Vec<String> = [
            "rooveterinaryinc.roo-cline-3.50.0",
            "RooVeterinaryInc.roo-cline-3.52.1",
            "rooveterinaryinc.roo-cline-nightly-1.0.0",
            "saoudrizwan.claude-dev-3.9.0",
            "continue.continue-1.3.40-darwin-arm64",
            ".obsolete",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let dir = Path::new("/x");
        let roo = find_extension(host, dir, &entries, "RooVeterinaryInc.roo-cline").unwrap();
        assert_eq!(roo.version, "3.52.1");
        assert_eq!(roo.dir, Path::new("/x/RooVeterinaryInc.roo-cline-3.52.1"));
        let cont = find_extension(host, dir, &entries, "continue.continue").unwrap();
        assert_eq!(cont.version, "1.3.40");
        assert!(find_extension(host, dir, &entries, "kilocode.kilo-code").is_none());
        // 3.9.0 < 3.66.0 numerically, not lexically.
        assert!(!version_at_least("3.9.0", "3.66.0"));
        assert!(version_at_least("4.1.13", "3.66.0"));
    }
}
