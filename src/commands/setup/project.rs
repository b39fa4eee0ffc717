//! `byok setup --project DIR TOOL` and `remove --project`: the template's `[project]`
//! file as a template of its own (one file, below the project directory), the key form
//! that keeps the key out of it, and the `.git/info/exclude` line that keeps it out of
//! git. Pure, except [`git_tracked`] and [`git_dir`], which look at the disk and run git.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::templates::{KeyModeName, LabelStyle, Paths, ProjectSpec, Root, Template, ValueSpec};

/// The root of the project directory in the derived template.
const ROOT: &str = crate::templates::PROJECT_ROOT;

/// The comment line byok puts above its own line in `.git/info/exclude`.
pub(super) const EXCLUDE_MARK: &str =
    "# added by `byok setup --project`; `byok remove --project` takes it out";

/// The template for the project file: the `[project]` file alone, at `dir/<path>`, its
/// values with the project's `env` variants; `drop_key` leaves out values that would
/// hold the key itself in `form`. `None` when the template has no `[project]`.
pub(super) fn derive(
    t: &Template,
    dir: &Path,
    form: KeyModeName,
    drop_key: bool,
) -> Option<Template> {
    let spec = t.project.as_ref()?;
    let mut file = t.files.iter().find(|f| f.id == spec.file)?.clone();
    file.path = Paths::One(format!("{{{ROOT}}}/{}", spec.path));
    file.env = None;
    file.create = None;
    file.label = LabelStyle::Path;
    // Never the key (see `key_form`), so no 0600 of its own.
    file.secret = false;
    for v in &mut file.values {
        if let Some(e) = spec.env.get(&v.key) {
            v.env = Some(e.clone());
        }
    }
    if drop_key {
        file.values.retain(|v| !v.uses(form, "key"));
    }
    // A header's value may be a credential, which a project file never holds either.
    file.values.retain_mut(ValueSpec::strip_headers);
    let mut roots = t.roots.clone();
    roots.insert(
        ROOT.to_string(),
        Root {
            env: None,
            default: Some(dir.display().to_string()),
            linux: None,
            macos: None,
            windows: None,
        },
    );
    Some(Template {
        files: vec![file],
        roots,
        hook: None,
        exports: Vec::new(),
        run: None,
        notes: spec.note.iter().cloned().collect(),
        manual: Vec::new(),
        detect: Default::default(),
        project_files: Vec::new(),
        ..t.clone()
    })
}

/// How the project file gets the key: by reference (`env`) for a profile keeping it in
/// a variable, else a key command (`helper`) where the file has one; `Ok((form, true))`
/// when the key's values are left out (`key_note`). `Err` says why no form fits.
pub(super) fn key_form(t: &Template, env_profile: bool) -> Result<(KeyModeName, bool), String> {
    let spec = t
        .project
        .as_ref()
        .ok_or_else(|| "no [project]".to_string())?;
    let Some(f) = t.files.iter().find(|f| f.id == spec.file) else {
        return Err("no [project] file".into());
    };
    let mut values: Vec<ValueSpec> = f.values.clone();
    for v in &mut values {
        if let Some(e) = spec.env.get(&v.key) {
            v.env = Some(e.clone());
        }
    }
    let fits = |form: KeyModeName| {
        values
            .iter()
            .all(|v| !v.uses(form, "key") && (env_profile || !v.uses(form, "key_env")))
            && (form != KeyModeName::Helper || values.iter().any(|v| v.helper.is_some()))
    };
    let forms: &[KeyModeName] = if env_profile {
        &[KeyModeName::Env, KeyModeName::Helper]
    } else {
        &[KeyModeName::Helper]
    };
    if let Some(form) = forms.iter().copied().find(|f| fits(*f)) {
        return Ok((form, false));
    }
    if env_profile && spec.key_note.is_some() {
        return Ok((KeyModeName::Env, true));
    }
    let name = &t.name;
    let file = &spec.path;
    Err(if spec.key_note.is_some() {
        format!(
            "{name} can only hold the key itself in {file}, and byok never writes a key into a project file; keep the key in an environment variable (`byok key set --key-env VAR`) and byok leaves it out of the file"
        )
    } else if env_profile || values.iter().any(|v| v.helper.is_some()) {
        format!(
            "{name}'s {file} can't take this profile's key without holding the key itself, and byok never writes a key into a project file"
        )
    } else {
        format!(
            "{name} can't run a key command, so its {file} needs the key from an environment variable, and byok never writes a key into a project file; keep the key in one (`byok key set --key-env VAR`)"
        )
    })
}

/// The project file's path, from the spec.
pub(super) fn file_path(spec: &ProjectSpec, dir: &Path) -> PathBuf {
    spec.path
        .split('/')
        .fold(dir.to_path_buf(), |p, s| p.join(s))
}

/// The `.git` directory of the work tree holding `dir` (the first `.git` directory up
/// the tree) and that work tree's root.
pub(super) fn git_dir(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    dir.ancestors()
        .find(|d| d.join(".git").is_dir())
        .map(|d| (d.join(".git"), d.to_path_buf()))
}

/// Whether git tracks `path` (`git ls-files --error-unmatch`); `None` when git is not
/// on PATH or could not say.
pub(super) fn git_tracked(git: &Path, dir: &Path, path: &Path) -> Option<bool> {
    let status = Command::new(git)
        .arg("-C")
        .arg(dir)
        .args(["ls-files", "--error-unmatch", "--"])
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    Some(status.success())
}

/// The exclude line for `path` below the work tree `root`: `/a/b`, anchored.
pub(super) fn exclude_line(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(format!("/{}", parts.join("/")))
}

/// `text` (an exclude file, `None` when absent) with byok's mark and `line` appended;
/// `None` when the line is already there.
pub(super) fn exclude_add(text: Option<&str>, line: &str) -> Option<String> {
    let text = text.unwrap_or("");
    if text.lines().any(|l| l.trim_end() == line) {
        return None;
    }
    let sep = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    Some(format!("{text}{sep}{EXCLUDE_MARK}\n{line}\n"))
}

/// `text` without byok's mark and `line` below it; `None` when byok's pair isn't there.
pub(super) fn exclude_remove(text: &str, line: &str) -> Option<String> {
    let pair = format!("{EXCLUDE_MARK}\n{line}\n");
    if let Some(i) = text.find(&pair) {
        return Some(format!("{}{}", &text[..i], &text[i + pair.len()..]));
    }
    let last = format!("{EXCLUDE_MARK}\n{line}");
    text.strip_suffix(&last).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclude_lines_go_in_and_out_byte_exact() {
        let orig = "# git ls-files --others --exclude-from=.git/info/exclude\n*.swp";
        let added = exclude_add(Some(orig), "/.claude/settings.local.json").unwrap();
        assert_eq!(
            added,
            format!("{orig}\n{EXCLUDE_MARK}\n/.claude/settings.local.json\n")
        );
        assert_eq!(
            exclude_add(Some(&added), "/.claude/settings.local.json"),
            None
        );
        let back = exclude_remove(&added, "/.claude/settings.local.json").unwrap();
        assert_eq!(back, format!("{orig}\n"));
        assert_eq!(exclude_remove(orig, "/x"), None);
    }

    #[test]
    fn key_form_prefers_a_reference_then_a_key_command() {
        let claude = crate::templates::parse(
            "claude-code.toml",
            include_str!("../../../templates/claude-code.toml"),
        )
        .unwrap();
        assert_eq!(key_form(&claude, false), Ok((KeyModeName::Helper, false)));
        assert_eq!(key_form(&claude, true), Ok((KeyModeName::Helper, false)));
        let gemini = crate::templates::parse(
            "gemini-cli.toml",
            include_str!("../../../templates/gemini-cli.toml"),
        )
        .unwrap();
        assert!(key_form(&gemini, false).is_err());
        assert_eq!(key_form(&gemini, true), Ok((KeyModeName::Env, true)));
    }
}
