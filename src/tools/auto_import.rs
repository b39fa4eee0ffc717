//! The hook shared by Roo Code and the legacy Kilo Code (a Roo fork): what their
//! templates (`templates/roo-code.toml`, `templates/kilo-code.toml`) can't say.
//!
//! Both keep their provider profiles in VS Code's encrypted SecretStorage, which no other
//! program can write. What they do read is a VS Code setting,
//! `<extension>.autoImportSettingsPath`, checked on every extension start: when it names
//! an existing JSON file `{ "providerProfiles": { "currentApiConfigName", "apiConfigs" } }`,
//! its profiles are merged by name over the stored ones and the current profile is
//! switched (Roo-Code `src/utils/autoImportSettings.ts`, `src/core/config/importExport.ts`).
//!
//! The templates declare both files: byok's import file in its data dir (mode 0600: it
//! holds the key) and the setting in the user `settings.json` of every VS Code-family
//! host and profile where the extension is installed (`{vscode_user}`, see
//! [`super::generic::hosts`]); the engine writes, tracks and removes them. VS Code
//! profiles: the setting has no `scope` in Roo's manifest, so it is a window setting and
//! each profile reads its own `User/profiles/<id>/settings.json` (microsoft/vscode
//! `configurationExtensionPoint.ts`, `userDataProfile.ts`; verified 2026-11-27).
//!
//! This hook adds the rest, as the adapter it replaces did:
//! - setup fails when the extension is installed nowhere (and no `--host` names an
//!   editor), or the profile has no model; `--host` writes the setting even where the
//!   extension is not installed yet; a remote host (no local user data) gets a step;
//! - which profile is current (`byok`, else `byok-anthropic`), and profiles the gateway
//!   profile no longer has go from the import file;
//! - a later generation that no longer reads the setting (Kilo Code 6+) gets steps;
//! - notes (a setting that pointed elsewhere, the re-import at every start) and the reload
//!   step;
//! - `remove` leaves a setting that points elsewhere, keeps a `settings.json` byok created
//!   (the editor's own file), and deletes the import file once no host still uses it.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::{Value, json};

use super::KeyMode;
use super::generic::Hook;
use crate::config_edit::{self, jsonc};
use crate::env::{Env, expand_tilde};
use crate::error::UserError;
use crate::plan::{Change, Plan};
use crate::profile::{Gateway, KeySource};
use crate::tools::vscode::{self, HOSTS, Host, InstalledExtension};
use crate::tools::{Current, Detection, Finding, SetupOptions, Severity};

/// Name (and id) of the OpenAI-compatible profile byok writes.
pub const OPENAI_PROFILE: &str = "byok";
/// Name (and id) of the Anthropic profile byok writes when the gateway profile has an
/// Anthropic model.
pub const ANTHROPIC_PROFILE: &str = "byok-anthropic";

/// One extension that reads a Roo-style settings-import file; its hook.
#[derive(Debug)]
pub struct Flavor {
    /// Display name ("Roo Code"), as in the template.
    pub name: &'static str,
    /// The CLI spelling, for hints ("roo-code").
    pub cli_id: &'static str,
    /// Marketplace id `publisher.name` (matched case-insensitively).
    pub extension: &'static str,
    /// The VS Code setting that names the import file.
    pub setting: &'static str,
    /// File name of byok's import file in its data dir (the template's `{data}/…`).
    pub file_name: &'static str,
    /// Extension versions from this one on no longer read the setting, with the steps
    /// to print for them instead; `None` when every version reads it.
    pub replaced_from: Option<Replacement>,
}

/// A later generation of an extension that no longer reads the import setting.
#[derive(Debug)]
pub struct Replacement {
    /// First version of the new generation (the template's `hosts.below`).
    pub version: &'static str,
    /// What to call it in messages.
    pub what: &'static str,
    /// The manual steps for it: (gateway, key as shown, host name, version).
    pub steps: fn(&Gateway, &str, &str, &str) -> Vec<String>,
}

impl Flavor {
    /// byok's import file for this extension.
    pub fn import_file(&self, env: &Env) -> PathBuf {
        env.data_dir.join(self.file_name)
    }

    fn reads_setting(&self, version: &str) -> bool {
        self.replaced_from
            .as_ref()
            .is_none_or(|r| !vscode::version_at_least(version, r.version))
    }
}

/// The key as manual steps show it: masked unless `--show-key`, or where it comes from.
pub fn key_for_steps(gw: &Gateway, opts: &SetupOptions) -> String {
    match (gw.api_key(), &gw.key) {
        (Some(k), _) if opts.show_key => k.expose().to_string(),
        (Some(k), _) => format!(
            "{} (shown masked; rerun with --show-key to see it)",
            k.masked()
        ),
        (None, KeySource::Env { var, .. }) => format!("the value of ${var}"),
        (None, KeySource::Fetched(f)) => format!("the key in {}", f.describe()),
        (None, KeySource::Literal(_)) => "your gateway key".to_string(),
    }
}

impl Hook for Flavor {
    fn detect(&self, env: &Env, cur: &Current, det: &mut Detection) {
        detect(self, env, cur, det);
    }

    fn after_plan(
        &self,
        env: &Env,
        gw: &Gateway,
        opts: &SetupOptions,
        cur: &Current,
        plan: &mut Plan,
    ) -> Result<()> {
        after_plan(self, env, gw, opts, cur, plan)
    }

    fn after_remove(&self, env: &Env, cur: &Current, plan: &mut Plan) -> Result<()> {
        after_remove(self, env, cur, plan)
    }

    fn diagnose(&self, env: &Env, _gw: &Gateway, cur: &Current) -> Vec<Finding> {
        diagnose(self, env, cur)
    }
}

/// A host's settings files: the default profile's `User/settings.json`, then each listed
/// profile's `settings.json` that was gathered (present or missing). Empty for a host
/// without local user data.
pub fn settings_files(host: &Host, env: &Env, cur: &Current) -> Vec<PathBuf> {
    let Some(default) = host.settings_json(env) else {
        return Vec::new();
    };
    let mut out = vec![default];
    if let Some(dir) = host.profiles_dir(env) {
        out.extend(
            cur.entries(&dir)
                .iter()
                .map(|id| dir.join(id).join("settings.json"))
                .filter(|p| cur.files.contains_key(p)),
        );
    }
    out
}

/// Every host where the extension is installed (any generation), in table order.
pub fn installed(f: &Flavor, env: &Env, cur: &Current) -> Vec<InstalledExtension> {
    HOSTS
        .iter()
        .filter_map(|host| {
            let dir = host.extensions_dir(env);
            vscode::find_extension(host, &dir, cur.entries(&dir), f.extension)
        })
        .collect()
}

/// One evidence line per host, naming the extension's folder and a generation byok
/// can only describe; the config files are those of hosts that read the setting, and
/// any that holds it.
fn detect(f: &Flavor, env: &Env, cur: &Current, det: &mut Detection) {
    let found = installed(f, env, cur);
    let reading: Vec<PathBuf> = found
        .iter()
        .filter(|e| f.reads_setting(&e.version))
        .flat_map(|e| settings_files(e.host, env, cur))
        .collect();
    let import = f.import_file(env);
    det.config_files.retain(|p| {
        if *p == import {
            !reading.is_empty() || cur.file(p).is_some()
        } else {
            reading.contains(p) || cur.file(p).and_then(|t| setting_value(f, t)).is_some()
        }
    });
    for ext in found {
        det.installed = true;
        let mut line = format!(
            "extension {} in {} ({})",
            ext.version,
            ext.host.name,
            env.tilde(&ext.dir)
        );
        if !f.reads_setting(&ext.version)
            && let Some(r) = &f.replaced_from
        {
            line.push_str(&format!(": {}, set up by hand", r.what));
        }
        det.evidence.push(line);
    }
}

/// Looks up a `--host` value, or says which ones exist.
pub fn host_by_id(id: &str) -> Result<&'static Host> {
    Host::by_id(id).ok_or_else(|| {
        let ids: Vec<&str> = HOSTS.iter().map(|h| h.id).collect();
        UserError::new(format!("unknown host `{id}`"))
            .hint(format!("use one of: {}", ids.join(", ")))
            .into()
    })
}

/// The hosts a plan covers: `--host`, or every host with the extension installed.
fn targets(
    f: &Flavor,
    env: &Env,
    opts: &SetupOptions,
    cur: &Current,
) -> Result<Vec<(&'static Host, Option<InstalledExtension>)>> {
    let found = installed(f, env, cur);
    match &opts.host {
        Some(id) => {
            let host = host_by_id(id)?;
            let ext = found.into_iter().find(|e| e.host.id == host.id);
            Ok(vec![(host, ext)])
        }
        None => Ok(found.into_iter().map(|e| (e.host, Some(e))).collect()),
    }
}

/// Completes the engine's setup plan: errors it can't give, the current profile, steps
/// for hosts it can't write, `--host` without the extension, notes.
fn after_plan(
    f: &Flavor,
    env: &Env,
    gw: &Gateway,
    opts: &SetupOptions,
    cur: &Current,
    plan: &mut Plan,
) -> Result<()> {
    let targets = targets(f, env, opts, cur)?;
    if targets.is_empty() {
        return Err(UserError::new(format!(
            "{} is not installed in any VS Code-family editor",
            f.name
        ))
        .hint(format!(
            "install it first, or name the editor with `byok setup {} --host <id>` to write the setting anyway",
            f.cli_id
        ))
        .into());
    }
    let import = f.import_file(env);
    let value = import.display().to_string();
    let key_shown = key_for_steps(gw, opts);
    let mut notes = Vec::new();
    let mut steps = Vec::new();
    let mut extra = Vec::new();
    let mut reload = Vec::new();
    let mut uses_import = false;
    for (host, ext) in &targets {
        if let Some(ext) = ext
            && !f.reads_setting(&ext.version)
            && let Some(r) = &f.replaced_from
        {
            steps.extend((r.steps)(gw, &key_shown, host.name, &ext.version));
            continue;
        }
        uses_import = true;
        if ext.is_none() {
            notes.push(format!(
                "{} is not installed in {} yet; the setting takes effect once it is",
                f.name, host.name
            ));
        }
        let files = settings_files(host, env, cur);
        if files.is_empty() {
            steps.push(format!(
                "{}: open the remote window's settings (Command Palette → \"Preferences: Open Remote Settings (JSON)\"), add \"{}\": \"{value}\" and reload the window",
                host.name, f.setting
            ));
            continue;
        }
        for path in files {
            let before = cur.file(&path);
            let text = before.unwrap_or("");
            let unparsable = |e| config_edit::unparsable(env, &path, &e);
            if let Some(Value::String(old)) = jsonc::get(text, &[f.setting]).map_err(unparsable)?
                && !old.trim().is_empty()
                && resolve(&old, env) != import
            {
                notes.push(format!(
                    "{} in {} pointed at {old}; it now points at byok's file (the old file is left as it is)",
                    f.setting,
                    env.tilde(&path)
                ));
            }
            // The engine writes only where the extension is installed; `--host` names
            // an editor where it is not (yet).
            if ext.is_none() {
                let after = jsonc::set(text, &[f.setting], &json!(value)).map_err(unparsable)?;
                extra.push(Change::file(
                    path.clone(),
                    before.map(str::to_string),
                    Some(after),
                    false,
                ));
            }
        }
        reload.push(host.name);
    }
    if uses_import {
        current_profile(f, env, gw, plan, &import)?;
        if opts.key_mode == KeyMode::Helper {
            notes.push(format!(
                "{} cannot run a command to get its key, so the key itself is in {} (mode 0600)",
                f.name,
                env.tilde(&import)
            ));
        }
    } else {
        // Only generations that no longer read the setting: nothing to import.
        plan.changes.retain(|c| c.path != import);
    }
    plan.changes.extend(extra);
    plan.notes.extend(notes);
    if uses_import && !plan.is_up_to_date() {
        plan.notes.push(format!(
            "{} re-imports {} every time it starts: edits to the `{OPENAI_PROFILE}` profiles made inside {} are replaced then (`byok remove {}` stops this)",
            f.name,
            env.tilde(&import),
            f.name,
            f.cli_id
        ));
    }
    if !reload.is_empty() && !plan.is_up_to_date() {
        plan.manual_steps.push(format!(
            "reload {} (Command Palette → \"Developer: Reload Window\") so {} imports the `{OPENAI_PROFILE}` profile",
            reload.join(", "),
            f.name
        ));
    }
    plan.manual_steps.extend(steps);
    Ok(())
}

/// The import file holds exactly the gateway profile's models: `byok` (chat model) is
/// current when there is one, else `byok-anthropic`; a profile the gateway profile has
/// no model for goes (the template leaves it alone: its values are `optional`).
fn current_profile(
    f: &Flavor,
    env: &Env,
    gw: &Gateway,
    plan: &mut Plan,
    import: &Path,
) -> Result<()> {
    // The engine's `{key}` is empty for a variable that is not set: say so.
    gw.require_key()?;
    let current = match (&gw.model, &gw.anthropic_model) {
        (Some(_), _) => OPENAI_PROFILE,
        (None, Some(_)) => ANTHROPIC_PROFILE,
        (None, None) => {
            return Err(UserError::new(format!(
                "profile `{}` has no model, and {} needs one",
                gw.name, f.name
            ))
            .hint(format!(
                "run `byok init --name {} --model <id>` (and --anthropic-model for an Anthropic profile)",
                gw.name
            ))
            .into());
        }
    };
    let Some(change) = plan.changes.iter_mut().find(|c| c.path == import) else {
        return Ok(());
    };
    let Some(text) = change.after.clone() else {
        return Ok(());
    };
    let bad = |e| config_edit::unparsable(env, import, &e);
    let configs = ["providerProfiles", "apiConfigs"];
    let mut text = jsonc::set(
        &text,
        &["providerProfiles", "currentApiConfigName"],
        &json!(current),
    )
    .map_err(bad)?;
    for (name, has) in [
        (OPENAI_PROFILE, gw.model.is_some()),
        (ANTHROPIC_PROFILE, gw.anthropic_model.is_some()),
    ] {
        if !has {
            text = jsonc::remove(&text, &[configs[0], configs[1], name], false).map_err(bad)?;
        }
    }
    change.after = Some(text);
    change.secret = true;
    Ok(())
}

/// Where the extension would look for a setting value (`~/`, absolute, else home-relative),
/// as `resolvePath` in Roo-Code `src/utils/autoImportSettings.ts` does.
fn resolve(value: &str, env: &Env) -> PathBuf {
    let value = value.trim();
    let p = expand_tilde(value, &env.home);
    if p.is_absolute() || Path::new(value).has_root() {
        p
    } else {
        env.home.join(p)
    }
}

/// The setting's value in a host's `settings.json`, if it is a non-blank string.
fn setting_value(f: &Flavor, text: &str) -> Option<String> {
    match jsonc::get(text, &[f.setting]) {
        Ok(Some(Value::String(s))) if !s.trim().is_empty() => Some(s),
        _ => None,
    }
}

/// Completes the engine's removal: a setting that points elsewhere stays, a
/// `settings.json` stays even when byok created it, and the import file goes once no
/// host still points at it (`--host` removes from one editor only).
fn after_remove(f: &Flavor, env: &Env, cur: &Current, plan: &mut Plan) -> Result<()> {
    let import = f.import_file(env);
    let mut notes = Vec::new();
    let mut taken_out = Vec::new();
    for c in plan.changes.iter_mut().filter(|c| c.path != import) {
        let Some(before) = c.before.clone() else {
            continue;
        };
        if c.after.is_none() {
            // The editor's own settings file stays (even one byok created), without
            // byok's setting.
            let unparsable = |e| config_edit::unparsable(env, &c.path, &e);
            c.after = Some(jsonc::remove(&before, &[f.setting], false).map_err(unparsable)?);
        }
        let Some(value) = setting_value(f, &before) else {
            continue;
        };
        if resolve(&value, env) != import {
            notes.push(format!(
                "left {} in {} alone: it points at {value}, not at byok's file",
                f.setting,
                env.tilde(&c.path)
            ));
            c.after = Some(before);
            continue;
        }
        taken_out.push(c.path.clone());
    }
    let still_used = HOSTS
        .iter()
        .flat_map(|h| settings_files(h, env, cur))
        .filter(|p| !taken_out.contains(p))
        .filter_map(|p| cur.file(&p).and_then(|t| setting_value(f, t)))
        .any(|v| resolve(&v, env) == import);
    if still_used {
        plan.changes.retain(|c| c.path != import);
    } else if let Some(c) = plan.changes.iter_mut().find(|c| c.path == import) {
        c.after = None;
        c.secret = true;
    }
    plan.notes.extend(notes);
    if !plan.is_up_to_date() {
        plan.notes.push(format!(
            "the `{OPENAI_PROFILE}` profiles already imported stay in {}'s profile list until you delete them there",
            f.name
        ));
    }
    Ok(())
}

/// Settings that point at a missing import file, and installs byok can only describe.
fn diagnose(f: &Flavor, env: &Env, cur: &Current) -> Vec<Finding> {
    let mut out = Vec::new();
    for ext in installed(f, env, cur) {
        if !f.reads_setting(&ext.version) {
            if let Some(r) = &f.replaced_from {
                out.push(Finding {
                    severity: Severity::Info,
                    message: format!(
                        "{} {} in {} is {}, which byok cannot configure by file",
                        f.name, ext.version, ext.host.name, r.what
                    ),
                    hint: Some(format!(
                        "`byok setup {}` prints the steps to do in its settings",
                        f.cli_id
                    )),
                });
            }
            continue;
        }
        for path in settings_files(ext.host, env, cur) {
            let Some(value) = cur.file(&path).and_then(|t| setting_value(f, t)) else {
                continue;
            };
            let target = resolve(&value, env);
            if target == f.import_file(env) && cur.file(&target).is_none() {
                out.push(Finding {
                    severity: Severity::Warn,
                    message: format!(
                        "{} in {} points at {}, which does not exist",
                        f.setting,
                        env.tilde(&path),
                        env.tilde(&target)
                    ),
                    hint: Some(format!("run `byok setup {}` again", f.cli_id)),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Os;
    use crate::gateway::probe::Api;
    use crate::plan::Target;
    use crate::profile::{AnthropicAuth, Profile, from_profile};
    use crate::secret::ApiKey;
    use crate::tools::{Tool, ToolId};

    const KEY: &str = "sk-unit-0123456789abcdef";

    fn roo() -> &'static dyn Tool {
        crate::tools::get(ToolId::RooCode).unwrap()
    }

    fn env(os: Os) -> Env {
        crate::tools::testing::native_env(os)
    }

    fn gw(model: Option<&str>, anthropic: Option<&str>, auth: AnthropicAuth) -> Gateway {
        let p = Profile {
            base_url: "https://gw.example.com".to_string(),
            model: model.map(str::to_string),
            anthropic_model: anthropic.map(str::to_string),
            anthropic_auth: auth,
            ..Profile::default()
        };
        from_profile("work".into(), &p, KeySource::Literal(ApiKey::new(KEY))).unwrap()
    }

    fn opts() -> SetupOptions {
        SetupOptions::default()
    }

    /// A home where the extension folders `exts` exist in the given hosts' dirs, with
    /// `settings` as each of those hosts' settings.json.
    fn home(env: &Env, exts: &[(&str, &str)], settings: Option<&str>) -> Current {
        let mut cur = Current::default();
        for (host, folder) in exts {
            let h = Host::by_id(host).unwrap();
            cur.dirs
                .entry(h.extensions_dir(env))
                .or_insert_with(|| Some(Vec::new()))
                .as_mut()
                .unwrap()
                .push((*folder).to_string());
            if let Some(path) = h.settings_json(env) {
                cur.files.insert(path, settings.map(str::to_string));
            }
        }
        cur
    }

    /// What the engine would see after applying `plan`.
    fn applied(mut cur: Current, plan: &Plan) -> Current {
        for c in &plan.changes {
            assert_eq!(c.target, Target::File);
            cur.files.insert(c.path.clone(), c.after.clone());
        }
        cur
    }

    fn paths(plan: &Plan) -> Vec<&Path> {
        plan.changes.iter().map(|c| c.path.as_path()).collect()
    }

    const SETTINGS: &str = "{\n    // my editor\n    \"editor.fontSize\": 14,\n    \"files.exclude\": {\"**/.git\": true,},\n}\n";

    /// The import file byok writes for `g` in a home with Roo in VS Code.
    fn import_text(g: &Gateway) -> Result<String> {
        let e = env(Os::Linux);
        let cur = home(&e, &[("code", "rooveterinaryinc.roo-cline-3.52.1")], None);
        let plan = roo().plan(&e, g, &opts(), &cur)?;
        assert_eq!(plan.changes[0].path, ROO_IMPORT(&e));
        assert!(plan.changes[0].secret);
        Ok(plan.changes[0].after.clone().unwrap())
    }

    #[allow(non_snake_case)]
    fn ROO_IMPORT(e: &Env) -> PathBuf {
        crate::tools::roo_code::ROO_HOOK.import_file(e)
    }

    #[test]
    fn import_file_has_both_profiles() {
        let text = import_text(&gw(
            Some("gpt-4o"),
            Some("claude-sonnet-4-5"),
            AnthropicAuth::Bearer,
        ))
        .unwrap();
        assert_eq!(
            text,
            r#"{
  "providerProfiles": {
    "currentApiConfigName": "byok",
    "apiConfigs": {
      "byok": {
        "id": "byok",
        "apiProvider": "openai",
        "openAiBaseUrl": "https://gw.example.com/v1",
        "openAiApiKey": "sk-unit-0123456789abcdef",
        "openAiModelId": "gpt-4o"
      },
      "byok-anthropic": {
        "id": "byok-anthropic",
        "apiProvider": "anthropic",
        "anthropicBaseUrl": "https://gw.example.com",
        "apiKey": "sk-unit-0123456789abcdef",
        "apiModelId": "claude-sonnet-4-5",
        "anthropicUseAuthToken": true
      }
    }
  }
}
"#
        );
        let x = import_text(&gw(None, Some("claude"), AnthropicAuth::XApiKey)).unwrap();
        let v: Value = serde_json::from_str(&x).unwrap();
        assert_eq!(
            v["providerProfiles"]["currentApiConfigName"],
            "byok-anthropic"
        );
        assert_eq!(
            v["providerProfiles"]["apiConfigs"]["byok-anthropic"]["anthropicUseAuthToken"],
            false
        );
        assert!(v["providerProfiles"]["apiConfigs"].get("byok").is_none());
        // Without an Anthropic model there is no Anthropic profile (no fallback to the
        // chat model).
        let o = import_text(&gw(Some("gpt-4o"), None, AnthropicAuth::Bearer)).unwrap();
        let v: Value = serde_json::from_str(&o).unwrap();
        assert!(
            v["providerProfiles"]["apiConfigs"]
                .get("byok-anthropic")
                .is_none()
        );
        let err = import_text(&gw(None, None, AnthropicAuth::Bearer)).unwrap_err();
        assert!(err.to_string().contains("has no model"), "{err}");
    }

    #[test]
    fn plan_writes_import_file_and_setting_per_host() {
        let e = env(Os::Linux);
        let cur = home(
            &e,
            &[
                ("code", "rooveterinaryinc.roo-cline-3.52.1"),
                ("vscodium", "RooVeterinaryInc.roo-cline-3.50.0-linux-x64"),
            ],
            Some(SETTINGS),
        );
        let g = gw(Some("gpt-4o"), None, AnthropicAuth::Bearer);
        let plan = roo().plan(&e, &g, &opts(), &cur).unwrap();
        assert_eq!(
            paths(&plan),
            [
                Path::new("/home/u/.local/share/byok/roo-code-settings.json"),
                Path::new("/home/u/.config/Code/User/settings.json"),
                Path::new("/home/u/.config/VSCodium/User/settings.json"),
            ]
        );
        assert!(plan.changes[0].secret);
        assert!(plan.changes[0].before.is_none());
        assert!(!plan.changes[1].secret);
        assert_eq!(
            plan.changes[1].after.as_deref().unwrap(),
            "{\n    // my editor\n    \"editor.fontSize\": 14,\n    \"files.exclude\": {\"**/.git\": true,},\n    \"roo-cline.autoImportSettingsPath\": \"/home/u/.local/share/byok/roo-code-settings.json\",\n}\n"
        );
        assert_eq!(
            plan.manual_steps,
            [
                "reload VS Code, VSCodium (Command Palette → \"Developer: Reload Window\") so Roo Code imports the `byok` profile"
            ]
        );
        assert!(plan.notes.iter().any(|n| n.contains("re-imports")));
        let after = applied(cur, &plan);
        let again = roo().plan(&e, &g, &opts(), &after).unwrap();
        assert!(again.is_up_to_date(), "{again:#?}");
        assert!(again.manual_steps.is_empty() && again.notes.is_empty());
        // A new model rewrites only the import file.
        let g2 = gw(Some("gpt-5"), None, AnthropicAuth::Bearer);
        let third = roo().plan(&e, &g2, &opts(), &after).unwrap();
        let eff: Vec<&Change> = third.effective().collect();
        assert_eq!(eff.len(), 1);
        assert!(eff[0].after.as_deref().unwrap().contains("gpt-5"));
    }

    #[test]
    fn host_option_and_missing_installs() {
        let e = env(Os::Linux);
        let g = gw(Some("m"), None, AnthropicAuth::Bearer);
        let empty = Current::default();
        let err = roo().plan(&e, &g, &opts(), &empty).unwrap_err();
        assert!(err.to_string().contains("not installed"), "{err}");
        let bad = SetupOptions {
            host: Some("emacs".into()),
            ..opts()
        };
        let err = roo().plan(&e, &g, &bad, &empty).unwrap_err();
        let ue = err.downcast_ref::<UserError>().unwrap();
        assert_eq!(ue.message, "unknown host `emacs`");
        assert_eq!(
            ue.hint.as_deref(),
            Some(
                "use one of: code, code-insiders, vscodium, cursor, windsurf, code-server, vscode-server"
            )
        );
        // --host limits the plan to that host, installed or not.
        let cur = home(&e, &[("code", "rooveterinaryinc.roo-cline-3.52.1")], None);
        let only = SetupOptions {
            host: Some("Cursor".into()),
            ..opts()
        };
        let p = roo().plan(&e, &g, &only, &cur).unwrap();
        assert_eq!(p.changes.len(), 2);
        assert_eq!(
            p.changes[1].path,
            PathBuf::from("/home/u/.config/Cursor/User/settings.json")
        );
        assert_eq!(
            p.changes[1].after.as_deref(),
            Some(
                "{\n  \"roo-cline.autoImportSettingsPath\": \"/home/u/.local/share/byok/roo-code-settings.json\"\n}\n"
            )
        );
        assert!(p.notes[0].contains("not installed in Cursor yet"), "{p:#?}");
        // Once written there, Cursor's file is byok's to track and remove.
        let after = applied(cur, &p);
        assert!(roo().plan(&e, &g, &only, &after).unwrap().is_up_to_date());
        let owned = roo().owned(&e, &after);
        assert!(owned.iter().any(|(l, v)| l
            == "~/.config/Cursor/User/settings.json roo-cline.autoImportSettingsPath"
            && v.is_some()));
    }

    #[test]
    fn remote_host_gets_a_manual_step() {
        let e = env(Os::Linux);
        let g = gw(Some("m"), None, AnthropicAuth::Bearer);
        let cur = home(
            &e,
            &[("vscode-server", "rooveterinaryinc.roo-cline-3.52.1")],
            None,
        );
        let p = roo().plan(&e, &g, &opts(), &cur).unwrap();
        assert_eq!(paths(&p), [ROO_IMPORT(&e).as_path()]);
        assert_eq!(
            p.manual_steps,
            [
                "VS Code Server (remote): open the remote window's settings (Command Palette → \"Preferences: Open Remote Settings (JSON)\"), add \"roo-cline.autoImportSettingsPath\": \"/home/u/.local/share/byok/roo-code-settings.json\" and reload the window"
            ]
        );
    }

    #[test]
    fn existing_setting_elsewhere_is_replaced_with_a_note() {
        let e = env(Os::Linux);
        let g = gw(Some("m"), None, AnthropicAuth::Bearer);
        let text =
            "{ \"roo-cline.autoImportSettingsPath\": \"~/Documents/roo-code-settings.json\" }";
        let cur = home(
            &e,
            &[("code", "rooveterinaryinc.roo-cline-3.52.1")],
            Some(text),
        );
        let p = roo().plan(&e, &g, &opts(), &cur).unwrap();
        assert_eq!(
            p.changes[1].after.as_deref(),
            Some(
                "{ \"roo-cline.autoImportSettingsPath\": \"/home/u/.local/share/byok/roo-code-settings.json\" }"
            )
        );
        assert!(
            p.notes[0].starts_with(
                "roo-cline.autoImportSettingsPath in ~/.config/Code/User/settings.json pointed at ~/Documents/roo-code-settings.json"
            ),
            "{:?}",
            p.notes
        );
        // remove leaves a foreign value alone.
        let r = roo().remove(&e, &opts(), &cur).unwrap();
        assert!(r.is_up_to_date());
        assert!(r.notes[0].starts_with("left roo-cline.autoImportSettingsPath"));
    }

    #[test]
    fn malformed_settings_is_an_error() {
        let e = env(Os::Linux);
        let g = gw(Some("m"), None, AnthropicAuth::Bearer);
        let cur = home(
            &e,
            &[("code", "rooveterinaryinc.roo-cline-3.52.1")],
            Some("{\n  \"a\": 1\n  \"b\": 2\n}\n"),
        );
        let err = roo().plan(&e, &g, &opts(), &cur).unwrap_err();
        assert_eq!(
            err.to_string(),
            "could not parse ~/.config/Code/User/settings.json: line 2, column 9: Expected comma"
        );
    }

    #[test]
    fn remove_clears_setting_and_deletes_file() {
        let e = env(Os::Macos);
        let g = gw(Some("m"), Some("c"), AnthropicAuth::Bearer);
        let cur = home(
            &e,
            &[
                ("code", "rooveterinaryinc.roo-cline-3.52.1"),
                ("cursor", "rooveterinaryinc.roo-cline-3.52.1"),
            ],
            Some(SETTINGS),
        );
        let p = roo().plan(&e, &g, &opts(), &cur).unwrap();
        let import = ROO_IMPORT(&e);
        assert_eq!(
            import,
            PathBuf::from("/Users/u/Library/Application Support/byok/data/roo-code-settings.json")
        );
        let after = applied(cur, &p);
        // Only one host: the file stays for the other.
        let one = SetupOptions {
            host: Some("code".into()),
            ..opts()
        };
        let r1 = roo().remove(&e, &one, &after).unwrap();
        let eff: Vec<&Change> = r1.effective().collect();
        assert_eq!(eff.len(), 1);
        assert_eq!(eff[0].after.as_deref(), Some(SETTINGS));
        let r = roo().remove(&e, &opts(), &after).unwrap();
        let eff: Vec<&Change> = r.effective().collect();
        assert_eq!(eff.len(), 3);
        assert!(eff[0].path == import && eff[0].after.is_none() && eff[0].secret);
        assert_eq!(eff[1].after.as_deref(), Some(SETTINGS));
        assert_eq!(eff[2].after.as_deref(), Some(SETTINGS));
        let gone = applied(after, &r);
        assert!(roo().remove(&e, &opts(), &gone).unwrap().is_up_to_date());
        assert_eq!(roo().endpoints(&g), [Api::Chat, Api::Messages]);
    }

    #[test]
    fn detect_lists_every_host_with_version() {
        let e = env(Os::Windows);
        let cur = home(
            &e,
            &[
                ("code", "rooveterinaryinc.roo-cline-3.52.1"),
                ("windsurf", "rooveterinaryinc.roo-cline-3.40.0"),
                ("code-insiders", "saoudrizwan.claude-dev-3.9.0"),
            ],
            None,
        );
        let d = roo().detect(&e, &cur);
        assert!(d.installed);
        assert_eq!(
            d.evidence,
            [
                "extension 3.52.1 in VS Code (~/.vscode/extensions/rooveterinaryinc.roo-cline-3.52.1)",
                "extension 3.40.0 in Windsurf (~/.windsurf/extensions/rooveterinaryinc.roo-cline-3.40.0)",
            ]
        );
        assert_eq!(
            d.config_files,
            [
                PathBuf::from("/C/Users/u/AppData/Local/byok/data/roo-code-settings.json"),
                PathBuf::from("/C/Users/u/AppData/Roaming/Code/User/settings.json"),
                PathBuf::from("/C/Users/u/AppData/Roaming/Windsurf/User/settings.json"),
            ]
        );
        assert!(!roo().detect(&e, &Current::default()).installed);
    }

    #[test]
    fn owned_tracks_setting_and_import_values() {
        let e = env(Os::Linux);
        let g = gw(Some("m"), None, AnthropicAuth::Bearer);
        let cur = home(
            &e,
            &[("code", "rooveterinaryinc.roo-cline-3.52.1")],
            Some("{}"),
        );
        let after = applied(cur.clone(), &roo().plan(&e, &g, &opts(), &cur).unwrap());
        let owned = roo().owned(&e, &after);
        let get = |label: &str| {
            owned
                .iter()
                .find(|(l, _)| l == label)
                .unwrap_or_else(|| panic!("{label} in {owned:?}"))
                .1
                .clone()
        };
        assert_eq!(
            get("~/.config/Code/User/settings.json roo-cline.autoImportSettingsPath").as_deref(),
            Some("/home/u/.local/share/byok/roo-code-settings.json")
        );
        let import = "~/.local/share/byok/roo-code-settings.json providerProfiles";
        assert_eq!(
            get(&format!("{import}.apiConfigs.byok.openAiApiKey")).as_deref(),
            Some(KEY)
        );
        assert_eq!(get(&format!("{import}.apiConfigs.byok-anthropic")), None);
        // restorable: what `remove` puts back, as JSON text.
        let restorable = roo().restorable(&e, &cur);
        assert!(restorable.contains(&(
            "~/.config/Code/User/settings.json roo-cline.autoImportSettingsPath".to_string(),
            None
        )));
    }

    #[test]
    fn profiles_get_the_setting_too() {
        let e = env(Os::Linux);
        let g = gw(Some("m"), None, AnthropicAuth::Bearer);
        let mut cur = home(
            &e,
            &[("code", "rooveterinaryinc.roo-cline-3.52.1")],
            Some("{}"),
        );
        let profiles = PathBuf::from("/home/u/.config/Code/User/profiles");
        cur.dirs.insert(
            profiles.clone(),
            Some(vec!["-4a5b6c7d".into(), "1f2e3d".into()]),
        );
        // What the second read gathers: each profile's settings.json.
        let second = roo().more_inputs(&e, &cur);
        assert_eq!(
            second.files,
            [
                profiles.join("-4a5b6c7d/settings.json"),
                profiles.join("1f2e3d/settings.json"),
            ]
        );
        let with = profiles.join("-4a5b6c7d/settings.json");
        let without = profiles.join("1f2e3d/settings.json");
        cur.files.insert(with.clone(), Some(SETTINGS.to_string()));
        cur.files.insert(without.clone(), None);
        let p = roo().plan(&e, &g, &opts(), &cur).unwrap();
        assert_eq!(
            paths(&p),
            [
                ROO_IMPORT(&e).as_path(),
                Path::new("/home/u/.config/Code/User/settings.json"),
                with.as_path(),
                without.as_path(),
            ]
        );
        assert_eq!(
            p.changes[2].after.as_deref(),
            Some(
                "{\n    // my editor\n    \"editor.fontSize\": 14,\n    \"files.exclude\": {\"**/.git\": true,},\n    \"roo-cline.autoImportSettingsPath\": \"/home/u/.local/share/byok/roo-code-settings.json\",\n}\n"
            )
        );
        assert!(p.changes[3].before.is_none());
        assert_eq!(
            p.changes[3].after.as_deref(),
            Some(
                "{\n  \"roo-cline.autoImportSettingsPath\": \"/home/u/.local/share/byok/roo-code-settings.json\"\n}\n"
            )
        );
        let after = applied(cur, &p);
        assert!(roo().plan(&e, &g, &opts(), &after).unwrap().is_up_to_date());
        let owned = roo().owned(&e, &after);
        assert!(owned.contains(&(
            "~/.config/Code/User/profiles/-4a5b6c7d/settings.json roo-cline.autoImportSettingsPath".to_string(),
            Some("/home/u/.local/share/byok/roo-code-settings.json".to_string())
        )));
        // remove takes the setting out of every file, then the import file goes.
        let r = roo().remove(&e, &opts(), &after).unwrap();
        let removed: Vec<&Path> = r.effective().map(|c| c.path.as_path()).collect();
        assert_eq!(
            removed,
            [
                ROO_IMPORT(&e).as_path(),
                Path::new("/home/u/.config/Code/User/settings.json"),
                with.as_path(),
                without.as_path(),
            ]
        );
        assert_eq!(r.changes[2].after.as_deref(), Some(SETTINGS));
        // The profile's file byok created stays, without the setting (the editor's own).
        assert_eq!(r.changes[3].after.as_deref(), Some("{}\n"));
        let gone = applied(after, &r);
        assert!(roo().remove(&e, &opts(), &gone).unwrap().is_up_to_date());
        assert!(roo().owned(&e, &gone).iter().all(|(_, v)| v.is_none()));
    }

    #[test]
    fn key_in_steps_is_masked_unless_asked() {
        let g = gw(Some("m"), None, AnthropicAuth::Bearer);
        assert_eq!(
            key_for_steps(&g, &opts()),
            "sk-…cdef (shown masked; rerun with --show-key to see it)"
        );
        let show = SetupOptions {
            show_key: true,
            ..opts()
        };
        assert_eq!(key_for_steps(&g, &show), KEY);
        let mut env_key = g.clone();
        env_key.key = KeySource::Env {
            var: "GW_KEY".into(),
            value: None,
        };
        assert_eq!(key_for_steps(&env_key, &show), "the value of $GW_KEY");
    }

    #[test]
    fn resolve_follows_roo() {
        let e = env(Os::Linux);
        assert_eq!(resolve("~/x.json", &e), PathBuf::from("/home/u/x.json"));
        assert_eq!(resolve("/etc/x.json", &e), PathBuf::from("/etc/x.json"));
        assert_eq!(
            resolve("cfg/x.json", &e),
            PathBuf::from("/home/u/cfg/x.json")
        );
    }
}
