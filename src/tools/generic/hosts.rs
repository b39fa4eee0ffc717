//! Files that exist once per VS Code-family host and profile (`[[file]] hosts = …`).
//!
//! An extension such as GitHub Copilot Chat keeps its settings in the user dir of
//! whichever editor it runs in (VS Code, Insiders, VSCodium, Cursor, Windsurf,
//! code-server: [`vscode::HOSTS`]), and each VS Code profile has its own copy under
//! `User/profiles/<folder>/` (VS Code `toUserDataProfile`: a profile's resources live
//! in its `location`; the profiles and their names are listed under `userDataProfiles`
//! in `User/globalStorage/storage.json`).
//!
//! A template says so with a path rooted at `{vscode_user}` and `hosts = { extension =
//! "…" }`. Here that one spec becomes one ordinary spec per place: the host's `User`
//! dir, then each profile folder, with `{vscode_user}` filled in and the id prefixed with
//! the place (`VS Code chatLanguageModels.json`, `Cursor (profile Work) …`), so plans,
//! drift labels and notes name the host. The engine then treats each like any file.
//!
//! Setup writes only where the extension is installed (and only the `--host` one when
//! given); `remove`, drift and detection also cover a place whose file exists, so
//! byok's values are still found after the extension is uninstalled. Order is fixed:
//! hosts in table order, the default profile first, then profile folders by name.

use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::templates::render::Vars;
use crate::templates::{FileSpec, HostFilter, Paths, VSCODE_USER};
use crate::tools::vscode::{self, HOSTS, Host};
use crate::tools::{Current, Inputs};

/// One user dir a per-host file lives in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The editor.
    pub host: &'static Host,
    /// The profile's display name (its folder name when unnamed); `None` for the
    /// default profile.
    pub profile: Option<String>,
    /// What `{vscode_user}` stands for here.
    pub dir: PathBuf,
}

impl Place {
    /// How plans and drift labels name it: `VS Code`, `Cursor (profile Work)`.
    pub fn label(&self) -> String {
        match &self.profile {
            Some(p) => format!("{} (profile {p})", self.host.name),
            None => self.host.name.to_string(),
        }
    }
}

/// A host's `User/globalStorage/storage.json`, where VS Code lists its profiles.
fn storage_json(host: &Host, env: &Env) -> Option<PathBuf> {
    host.user_data_dir(env)
        .map(|d| d.join("User").join("globalStorage").join("storage.json"))
}

/// The first read: every host's extensions dir, profiles dir and profile list, and the
/// default profile's candidates of each per-host file.
pub fn inputs(env: &Env, roots: &Vars, specs: &[FileSpec], inputs: &mut Inputs) {
    let per_host: Vec<&FileSpec> = specs.iter().filter(|f| f.hosts.is_some()).collect();
    if per_host.is_empty() {
        return;
    }
    for host in HOSTS {
        inputs.dirs.push(host.extensions_dir(env));
        let (Some(profiles), Some(storage)) = (host.profiles_dir(env), storage_json(host, env))
        else {
            continue;
        };
        inputs.dirs.push(profiles.clone());
        inputs.files.push(storage);
        if let Some(user) = profiles.parent() {
            for f in &per_host {
                inputs.files.extend(candidates(env, roots, f, user));
            }
        }
    }
}

/// The second read, once the profiles dirs are listed: each profile folder's candidates.
pub fn more_inputs(env: &Env, roots: &Vars, specs: &[FileSpec], cur: &Current) -> Inputs {
    let mut inputs = Inputs::default();
    for f in specs.iter().filter(|f| f.hosts.is_some()) {
        for host in HOSTS {
            let Some(profiles) = host.profiles_dir(env) else {
                continue;
            };
            for folder in cur.entries(&profiles) {
                inputs
                    .files
                    .extend(candidates(env, roots, f, &profiles.join(folder)));
            }
        }
    }
    inputs
}

/// A spec's candidate paths with `{vscode_user}` = `dir`.
fn candidates(env: &Env, roots: &Vars, f: &FileSpec, dir: &Path) -> Vec<PathBuf> {
    let vars = with_dir(roots, dir);
    f.path
        .all()
        .into_iter()
        .filter_map(|p| super::path_from(&vars, p, env))
        .collect()
}

fn with_dir(roots: &Vars, dir: &Path) -> Vars {
    let mut vars = roots.clone();
    vars.set(VSCODE_USER, Some(dir.display().to_string()));
    vars
}

/// Whether the filter's extension (at its minimum version) is installed in `host`.
fn installed(env: &Env, cur: &Current, host: &'static Host, filter: &HostFilter) -> bool {
    let dir = host.extensions_dir(env);
    vscode::find_extension(host, &dir, cur.entries(&dir), &filter.extension).is_some_and(|e| {
        let from = filter.min_version.as_deref();
        let below = filter.below.as_deref();
        from.is_none_or(|m| vscode::version_at_least(&e.version, m))
            && below.is_none_or(|b| !vscode::version_at_least(&e.version, b))
    })
}

/// The profile names in a host's `storage.json`, by folder name.
fn profile_names(env: &Env, cur: &Current, host: &Host) -> Vec<(String, String)> {
    let Some(text) = storage_json(host, env).and_then(|p| cur.file(&p).map(str::to_string)) else {
        return Vec::new();
    };
    let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    let Some(list) = value.get("userDataProfiles").and_then(|v| v.as_array()) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|p| {
            // Older releases stored the full location URI, newer ones the folder name.
            let location = p.get("location")?.as_str()?;
            let folder = location.trim_end_matches('/').rsplit('/').next()?;
            let name = p.get("name")?.as_str()?;
            Some((folder.to_string(), name.to_string()))
        })
        .collect()
}

/// Every place of a host: its `User` dir, then each listed profile folder (by name).
fn host_places(env: &Env, cur: &Current, host: &'static Host) -> Vec<Place> {
    let Some(profiles) = host.profiles_dir(env) else {
        return Vec::new();
    };
    let Some(user) = profiles.parent() else {
        return Vec::new();
    };
    let names = profile_names(env, cur, host);
    let mut out = vec![Place {
        host,
        profile: None,
        dir: user.to_path_buf(),
    }];
    for folder in cur.entries(&profiles) {
        let name = names
            .iter()
            .find(|(f, _)| f == folder)
            .map_or(folder.clone(), |(_, n)| n.clone());
        out.push(Place {
            host,
            profile: Some(name),
            dir: profiles.join(folder),
        });
    }
    out
}

/// Which places a pass covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Setup: hosts where the extension is installed, or only this `--host` one.
    Setup(Option<&'a str>),
    /// Remove (optionally one `--host`): also places whose file exists.
    Remove(Option<&'a str>),
    /// Detection and drift: every place with the extension or the file.
    All,
}

/// The concrete specs for a template's files, in order: a plain file as it is, a
/// per-host one once per place the scope covers.
pub fn expand(
    env: &Env,
    roots: &Vars,
    specs: &[FileSpec],
    cur: &Current,
    scope: Scope<'_>,
) -> Vec<FileSpec> {
    let mut out = Vec::new();
    for f in specs {
        let Some(filter) = &f.hosts else {
            out.push(f.clone());
            continue;
        };
        let (only, must_be_installed) = match scope {
            Scope::Setup(h) => (h, true),
            Scope::Remove(h) => (h, false),
            Scope::All => (None, false),
        };
        for host in HOSTS {
            if only.is_some_and(|h| !h.eq_ignore_ascii_case(host.id)) {
                continue;
            }
            let installed = installed(env, cur, host, filter);
            for place in host_places(env, cur, host) {
                let exists = candidates(env, roots, f, &place.dir)
                    .iter()
                    .any(|p| cur.file(p).is_some());
                if installed || (!must_be_installed && exists) {
                    out.push(concrete(f, &place));
                }
            }
        }
    }
    out
}

/// A per-host spec for one place: `{vscode_user}` filled in, the id prefixed with the
/// place's label.
pub fn concrete(f: &FileSpec, place: &Place) -> FileSpec {
    // Only `{vscode_user}` is filled here; the engine fills the rest as for any file.
    let dir = place.dir.display().to_string();
    let fill = |p: &str| p.replacen(&format!("{{{VSCODE_USER}}}"), &dir, 1);
    FileSpec {
        id: format!("{} {}", place.label(), f.id),
        path: match &f.path {
            Paths::One(p) => Paths::One(fill(p)),
            Paths::Many(v) => Paths::Many(v.iter().map(|p| fill(p)).collect()),
        },
        create: f.create.as_deref().map(fill),
        hosts: None,
        ..f.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Os;
    use crate::templates::Format;

    fn spec() -> FileSpec {
        FileSpec {
            id: "models.json".into(),
            path: Paths::One("{vscode_user}/models.json".into()),
            env: None,
            format: Format::Jsonc,
            secret: false,
            new: None,
            comments: Default::default(),
            values: Vec::new(),
            label: Default::default(),
            create: None,
            hosts: Some(HostFilter {
                extension: "pub.ext".into(),
                min_version: Some("1.2.0".into()),
                below: None,
            }),
            sqlite_item: None,
            key_hint: None,
        }
    }

    /// A gathered state: the extension in VS Code (new enough) and Cursor (too old),
    /// plus Windsurf (new enough), a VS Code profile named in `storage.json`, an unnamed
    /// one, and a file in VSCodium without the extension.
    fn state(env: &Env) -> Current {
        let mut cur = Current::default();
        let host = |id: &str| -> &'static Host { Host::by_id(id).unwrap() };
        let ext = |id: &str, v: &str| {
            (
                host(id).extensions_dir(env),
                Some(vec![format!("pub.ext-{v}"), "other.one-9.0.0".to_string()]),
            )
        };
        cur.dirs.extend([
            ext("code", "1.2.0"),
            ext("cursor", "1.1.9"),
            ext("windsurf", "2.0.0-linux-x64"),
        ]);
        let code_profiles = host("code").profiles_dir(env).unwrap();
        cur.dirs.insert(
            code_profiles.clone(),
            Some(vec!["-1a2b".into(), "7f".into()]),
        );
        cur.files.insert(
            storage_json(host("code"), env).unwrap(),
            Some(r#"{"userDataProfiles":[{"location":"-1a2b","name":"Work"}]}"#.into()),
        );
        let codium = host("vscodium").profiles_dir(env).unwrap();
        cur.files.insert(
            codium.parent().unwrap().join("models.json"),
            Some("{}".into()),
        );
        cur
    }

    fn paths(specs: &[FileSpec]) -> Vec<(String, String)> {
        specs
            .iter()
            .map(|f| (f.id.clone(), f.path.all()[0].to_string()))
            .collect()
    }

    #[test]
    fn one_spec_per_host_and_profile_on_every_os() {
        let cases: &[(Os, &str, &str)] = &[
            (
                Os::Linux,
                "/home/u/.config/Code/User",
                "/home/u/.config/Windsurf/User",
            ),
            (
                Os::Macos,
                "/Users/u/Library/Application Support/Code/User",
                "/Users/u/Library/Application Support/Windsurf/User",
            ),
            (
                Os::Windows,
                "/C/Users/u/AppData/Roaming/Code/User",
                "/C/Users/u/AppData/Roaming/Windsurf/User",
            ),
        ];
        for &(os, code, windsurf) in cases {
            let env = crate::tools::testing::native_env(os);
            let cur = state(&env);
            let roots = Vars::default();
            let specs = [spec()];
            let setup = expand(&env, &roots, &specs, &cur, Scope::Setup(None));
            assert_eq!(
                paths(&setup),
                [
                    ("VS Code models.json".into(), format!("{code}/models.json")),
                    (
                        "VS Code (profile Work) models.json".into(),
                        format!("{code}/profiles/-1a2b/models.json")
                    ),
                    (
                        "VS Code (profile 7f) models.json".into(),
                        format!("{code}/profiles/7f/models.json")
                    ),
                    (
                        "Windsurf models.json".into(),
                        format!("{windsurf}/models.json")
                    ),
                ],
                "{os:?}"
            );
            assert!(setup.iter().all(|f| f.hosts.is_none()));
            // `--host` narrows setup to that host.
            let one = expand(&env, &roots, &specs, &cur, Scope::Setup(Some("windsurf")));
            assert_eq!(paths(&one), paths(&setup[3..]), "{os:?}");
            // Remove and drift also find VSCodium's file, where the extension is gone.
            let all = expand(&env, &roots, &specs, &cur, Scope::All);
            assert_eq!(all.len(), 5, "{os:?}");
            assert_eq!(all[3].id, "VSCodium models.json");
            let inputs = more_inputs(&env, &roots, &specs, &cur);
            assert_eq!(
                inputs.files,
                [
                    PathBuf::from(format!("{code}/profiles/-1a2b/models.json")),
                    PathBuf::from(format!("{code}/profiles/7f/models.json")),
                ]
            );
        }
    }

    #[test]
    fn a_template_without_per_host_files_is_unchanged() {
        let env = crate::tools::testing::native_env(Os::Linux);
        let plain = FileSpec {
            hosts: None,
            path: Paths::One("{home}/.x.json".into()),
            ..spec()
        };
        let mut inputs = Inputs::default();
        inputs_for(&env, &plain, &mut inputs);
        assert!(inputs.files.is_empty() && inputs.dirs.is_empty());
        let out = expand(
            &env,
            &Vars::default(),
            std::slice::from_ref(&plain),
            &Current::default(),
            Scope::All,
        );
        assert_eq!(out, [plain]);
    }

    fn inputs_for(env: &Env, f: &FileSpec, inputs: &mut Inputs) {
        super::inputs(env, &Vars::default(), std::slice::from_ref(f), inputs);
    }
}
