//! The files a tool reads from a project over the user's settings (`[[project_file]]` in
//! its template): where to look (the working directory, and for a file with `parents`
//! each directory above it up to the home, closest first) and what each one found sets
//! there: the gateway's URL, other settings that win over the user's, or the whole file
//! read instead of the user's. Pure: the engine gathers the files, and says which of
//! them byok wrote (its drift record knows).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::config_edit::{ParseError, doc};
use crate::env::Env;
use crate::templates::{Format, ProjectFileSpec, key_path};
use crate::tools::{Current, ProjectRead};

/// How many directories up from the working directory are looked at, at most.
const MAX_DEPTH: usize = 32;

/// Every place a project file may be, in precedence order: `(project dir, spec, file)`.
/// The home is no project, and a file that is one of the tool's user files is left out.
pub fn candidates<'a>(
    env: &Env,
    specs: &'a [ProjectFileSpec],
    user_files: &[PathBuf],
) -> Vec<(PathBuf, &'a ProjectFileSpec, PathBuf)> {
    let mut out = Vec::new();
    let dirs = env
        .cwd
        .ancestors()
        .take(MAX_DEPTH)
        .take_while(|d| *d != env.home);
    for (depth, dir) in dirs.enumerate() {
        for spec in specs.iter().filter(|s| depth == 0 || s.parents) {
            let file = spec
                .path
                .split('/')
                .fold(dir.to_path_buf(), |p, s| p.join(s));
            if !user_files.contains(&file) {
                out.push((dir.to_path_buf(), spec, file));
            }
        }
    }
    out
}

/// What each project file found sets, in precedence order; files that set nothing the
/// template names are left out.
pub fn reads(
    env: &Env,
    specs: &[ProjectFileSpec],
    user_files: &[PathBuf],
    cur: &Current,
) -> Vec<ProjectRead> {
    candidates(env, specs, user_files)
        .into_iter()
        .filter_map(|(dir, spec, path)| {
            let text = cur.file(&path)?;
            let read = read(spec, text);
            let mut out = ProjectRead {
                path,
                dir,
                rel: spec.path.clone(),
                replaces: spec.replaces,
                ..ProjectRead::default()
            };
            match read {
                Ok((base_urls, sets)) => {
                    out.base_urls = base_urls;
                    out.sets = sets;
                }
                Err(e) => out.unparsable = Some(e.to_string()),
            }
            out.is_relevant().then_some(out)
        })
        .collect()
}

/// The base URLs a file sets and its other settings that win (a scalar with its value).
type Facts = (Vec<String>, Vec<(String, Option<String>)>);

fn read(spec: &ProjectFileSpec, text: &str) -> Result<Facts, ParseError> {
    doc::check(spec.format, text)?;
    let mut base_urls = Vec::new();
    for key in &spec.base_url {
        for v in find(spec.format, text, key)? {
            if let Some(url) = v.as_str().filter(|u| !base_urls.iter().any(|b| b == u)) {
                base_urls.push(url.to_string());
            }
        }
    }
    let mut sets = Vec::new();
    for key in &spec.keys {
        for v in find(spec.format, text, key)? {
            let shown = match v {
                Value::String(s) => Some(s),
                Value::Number(_) | Value::Bool(_) => Some(v.to_string()),
                _ => None,
            };
            sets.push((key.clone(), shown));
        }
    }
    Ok((base_urls, sets))
}

/// The values at a key path, `*` standing for every key of an object or item of a list.
fn find(format: Format, text: &str, key: &str) -> Result<Vec<Value>, ParseError> {
    // Checked when the template was loaded.
    let Ok(path) = key_path(key) else {
        return Ok(Vec::new());
    };
    let star = path.iter().position(|s| s == "*").unwrap_or(path.len());
    let mut out = Vec::new();
    if let Some(root) = doc::get(format, text, &path[..star])? {
        walk(&root, &path[star..], &mut out);
    }
    Ok(out)
}

fn walk(v: &Value, rest: &[String], out: &mut Vec<Value>) {
    match rest.split_first() {
        None => out.push(v.clone()),
        Some((head, tail)) if head == "*" => match v {
            Value::Object(m) => m.values().for_each(|x| walk(x, tail, out)),
            Value::Array(a) => a.iter().for_each(|x| walk(x, tail, out)),
            _ => {}
        },
        Some((head, tail)) => {
            if let Some(x) = v.get(head.as_str()) {
                walk(x, tail, out);
            }
        }
    }
}

/// Whether `path` is the file `setup --project` writes in `dir` for a `[project] path`.
pub fn is_project_file(dir: &Path, rel: &str, path: &Path) -> bool {
    rel.split('/').fold(dir.to_path_buf(), |p, s| p.join(s)) == path
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::testing::{current, env};

    fn spec(path: &str, format: Format, parents: bool) -> ProjectFileSpec {
        ProjectFileSpec {
            path: path.into(),
            format,
            parents,
            replaces: false,
            base_url: vec!["providers.*.base_url".into()],
            keys: vec!["model".into(), "providers".into()],
        }
    }

    #[test]
    fn closest_directory_first_and_parents_only_where_asked() {
        let e = env(&[]);
        let specs = [
            spec(".t/config.json", Format::Json, true),
            spec("t.json", Format::Json, false),
        ];
        let user = [e.cwd.join("t.json")];
        let got: Vec<PathBuf> = candidates(&e, &specs, &[])
            .into_iter()
            .map(|(_, _, p)| p)
            .collect();
        assert_eq!(
            got,
            [
                e.cwd.join(".t/config.json"),
                e.cwd.join("t.json"),
                e.home.join("src/.t/config.json"),
            ]
        );
        // A user file is never a project file.
        assert_eq!(candidates(&e, &specs, &user).len(), 2);
    }

    #[test]
    fn what_a_file_sets_with_wildcards_and_values() {
        let e = env(&[]);
        let specs = [spec("t.json", Format::Jsonc, false)];
        let path = e.cwd.join("t.json");
        let cur = current(&[(
            path.as_path(),
            r#"{ // theirs
              "model": "corp/m1",
              "providers": { "corp": { "base_url": "https://corp.example/v1" }, "x": {} }
            }"#,
        )]);
        let got = reads(&e, &specs, &[], &cur);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].base_urls, ["https://corp.example/v1"]);
        assert_eq!(
            got[0].sets,
            [
                ("model".to_string(), Some("corp/m1".to_string())),
                ("providers".to_string(), None)
            ]
        );
        // Nothing the template names: not reported; a broken file is.
        let cur = current(&[(path.as_path(), r#"{"theme": "dark"}"#)]);
        assert!(reads(&e, &specs, &[], &cur).is_empty());
        let cur = current(&[(path.as_path(), r#"{"model": "#)]);
        assert!(reads(&e, &specs, &[], &cur)[0].unparsable.is_some());
    }
}
