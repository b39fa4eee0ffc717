//! The settings-import route shared by Roo Code and the legacy Kilo Code (a Roo fork).
//!
//! Both keep their provider profiles in VS Code's encrypted SecretStorage, which no other
//! program can write. What they do read is a VS Code setting,
//! `<extension>.autoImportSettingsPath`, checked on every extension start: when it names
//! an existing JSON file `{ "providerProfiles": { "currentApiConfigName", "apiConfigs" } }`,
//! its profiles are merged by name over the stored ones and the current profile is
//! switched (Roo-Code `src/utils/autoImportSettings.ts`, `src/core/config/importExport.ts`).
//!
//! So byok writes one import file per extension into its data dir (mode 0600: it holds
//! the key) and points the setting at it in the user `settings.json` of every
//! VS Code-family host where the extension is installed (or the one `--host`), editing
//! the JSONC in place. The file is byok's own and is regenerated whole; the setting is
//! the only value byok owns in `settings.json`. Because the import re-runs at every
//! start, `remove` clears the setting and deletes the file; where the user's own setting
//! pointed elsewhere before setup, the drift record keeps it and `remove` writes it back.
//!
//! VS Code profiles: the setting has no `scope` in Roo's manifest (Roo-Code
//! `src/package.json`, `contributes.configuration.properties["roo-cline.autoImportSettingsPath"]`
//! is `{ "type": "string", "default": "" }`, checked at v3.31.1 and a later commit), and
//! VS Code gives a scope-less extension setting `ConfigurationScope.WINDOW`
//! (microsoft/vscode `src/vs/workbench/api/common/configurationExtensionPoint.ts`,
//! `validateProperties`). Window settings are per profile: a non-default profile reads
//! `User/profiles/<location>/settings.json` (`toUserDataProfile` in
//! `src/vs/platform/userDataProfile/common/userDataProfile.ts`: `location` =
//! `<user data>/User/profiles/<id>`, `settingsResource` = `<location>/settings.json`; the
//! profiles are listed under `userDataProfiles` in `User/globalStorage/storage.json`).
//! So besides each host's default `User/settings.json`, byok sets the value in the
//! `settings.json` of every folder under `User/profiles/` (creating the file when the
//! folder has none), and `remove`/`owned`/`detect` cover the same files. The folder list
//! comes from [`inputs`]; the files inside are known only after that listing, so they
//! are read through [`profile_inputs`], and a profile file that was not gathered is left
//! alone (never written blind). Verified against those sources, 2026-11-27.
//!
//! Roo Code and Kilo Code are each a [`Flavor`] (data) plus a thin adapter calling the
//! functions here.

use crate::gateway::probe::Api;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::{Value, json};

use super::KeyMode;
use crate::config_edit::{self, jsonc};
use crate::env::{Env, expand_tilde};
use crate::error::UserError;
use crate::plan::{Change, Plan};
use crate::profile::{AnthropicAuth, Gateway, KeySource};
use crate::tools::vscode::{self, HOSTS, Host, InstalledExtension};
use crate::tools::{Current, Detection, Finding, Inputs, SetupOptions, Severity, Tool, ToolId};

/// Name (and id) of the OpenAI-compatible profile byok writes.
pub const OPENAI_PROFILE: &str = "byok";
/// Name (and id) of the Anthropic profile byok writes when the gateway profile has an
/// Anthropic model.
pub const ANTHROPIC_PROFILE: &str = "byok-anthropic";

/// One extension that reads a Roo-style settings-import file.
#[derive(Debug)]
pub struct Flavor {
    /// The tool's CLI identity.
    pub id: ToolId,
    /// Display name ("Roo Code").
    pub name: &'static str,
    /// The CLI spelling, for hints ("roo-code").
    pub cli_id: &'static str,
    /// Marketplace id `publisher.name` (matched case-insensitively).
    pub extension: &'static str,
    /// The VS Code setting that names the import file.
    pub setting: &'static str,
    /// File name of byok's import file in its data dir.
    pub file_name: &'static str,
    /// Extension versions from this one on no longer read the setting, with the steps
    /// to print for them instead; `None` when every version reads it.
    pub replaced_from: Option<Replacement>,
}

/// A later generation of an extension that no longer reads the import setting.
#[derive(Debug)]
pub struct Replacement {
    /// First version of the new generation.
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

// Each extension that uses the import route is one `Flavor` value; this impl is the adapter.
impl Tool for Flavor {
    fn id(&self) -> ToolId {
        self.id
    }

    fn name(&self) -> &'static str {
        self.name
    }

    fn inputs(&self, env: &Env) -> Inputs {
        inputs(self, env)
    }

    fn more_inputs(&self, env: &Env, cur: &Current) -> Inputs {
        profile_inputs(env, cur)
    }

    fn detect(&self, env: &Env, cur: &Current) -> Detection {
        detect(self, env, cur)
    }

    fn plan(&self, env: &Env, gw: &Gateway, opts: &SetupOptions, cur: &Current) -> Result<Plan> {
        plan(self, env, gw, opts, cur)
    }

    fn remove(&self, env: &Env, opts: &SetupOptions, cur: &Current) -> Result<Plan> {
        remove(self, env, opts, cur)
    }

    fn owned(&self, env: &Env, cur: &Current) -> Vec<(String, Option<String>)> {
        owned(self, env, cur)
    }

    fn restorable(&self, env: &Env, cur: &Current) -> Vec<(String, Option<String>)> {
        restorable(self, env, cur)
    }

    fn endpoints(&self, gw: &Gateway) -> Vec<Api> {
        endpoints(gw)
    }

    fn diagnose(&self, env: &Env, _gw: &Gateway, cur: &Current) -> Vec<Finding> {
        diagnose(self, env, cur)
    }
}

/// Everything to read: each host's extensions dir, user `settings.json` and profiles
/// dir, and the import file.
pub fn inputs(f: &Flavor, env: &Env) -> Inputs {
    let mut inputs = Inputs::default();
    for host in HOSTS {
        inputs.dirs.push(host.extensions_dir(env));
        if let Some(settings) = host.settings_json(env) {
            inputs.files.push(settings);
        }
        if let Some(profiles) = host.profiles_dir(env) {
            inputs.dirs.push(profiles);
        }
    }
    inputs.files.push(f.import_file(env));
    inputs
}

/// The second read, once [`inputs`] is gathered: the `settings.json` of every profile
/// folder listed under each host's `User/profiles/`.
pub fn profile_inputs(env: &Env, cur: &Current) -> Inputs {
    let mut inputs = Inputs::default();
    for host in HOSTS {
        if let Some(dir) = host.profiles_dir(env) {
            inputs.files.extend(
                cur.entries(&dir)
                    .iter()
                    .map(|id| dir.join(id).join("settings.json")),
            );
        }
    }
    inputs
}

/// A host's settings files byok edits: the default profile's `User/settings.json`, then
/// each listed profile's `settings.json` that was gathered (present or missing). Empty
/// for a host without local user data.
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

/// Every host where the extension is installed, in table order.
pub fn installed(f: &Flavor, env: &Env, cur: &Current) -> Vec<InstalledExtension> {
    HOSTS
        .iter()
        .filter_map(|host| {
            let dir = host.extensions_dir(env);
            vscode::find_extension(host, &dir, cur.entries(&dir), f.extension)
        })
        .collect()
}

/// One evidence line per host, plus the files setup would edit.
pub fn detect(f: &Flavor, env: &Env, cur: &Current) -> Detection {
    let found = installed(f, env, cur);
    let mut det = Detection {
        installed: !found.is_empty(),
        ..Detection::default()
    };
    for ext in &found {
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
        if f.reads_setting(&ext.version) {
            det.config_files.extend(settings_files(ext.host, env, cur));
        }
    }
    if found.iter().any(|e| f.reads_setting(&e.version)) {
        det.config_files.push(f.import_file(env));
    }
    det
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

/// Looks up a `--host` value, or says which ones exist.
pub fn host_by_id(id: &str) -> Result<&'static Host> {
    Host::by_id(id).ok_or_else(|| {
        let ids: Vec<&str> = HOSTS.iter().map(|h| h.id).collect();
        UserError::new(format!("unknown host `{id}`"))
            .hint(format!("use one of: {}", ids.join(", ")))
            .into()
    })
}

/// The import file's content for `gw`.
pub fn render(gw: &Gateway) -> Result<String> {
    let key = gw.require_key()?.expose();
    let mut configs = serde_json::Map::new();
    if let Some(model) = &gw.model {
        configs.insert(
            OPENAI_PROFILE.to_string(),
            json!({
                "id": OPENAI_PROFILE,
                "apiProvider": "openai",
                "openAiBaseUrl": gw.openai_base,
                "openAiApiKey": key,
                "openAiModelId": model,
            }),
        );
    }
    if let Some(model) = &gw.anthropic_model {
        configs.insert(
            ANTHROPIC_PROFILE.to_string(),
            json!({
                "id": ANTHROPIC_PROFILE,
                "apiProvider": "anthropic",
                "anthropicBaseUrl": gw.anthropic_base,
                "apiKey": key,
                "apiModelId": model,
                "anthropicUseAuthToken": gw.anthropic_auth == AnthropicAuth::Bearer,
            }),
        );
    }
    let Some(current) = configs.keys().next().cloned() else {
        return Err(UserError::new(format!(
            "profile `{}` has no model, and Roo-style extensions need one",
            gw.name
        ))
        .hint(format!(
            "run `byok init --name {} --model <id>` (and --anthropic-model for an Anthropic profile)",
            gw.name
        ))
        .into());
    };
    let doc = json!({
        "providerProfiles": {
            "currentApiConfigName": current,
            "apiConfigs": configs,
        }
    });
    let text = serde_json::to_string_pretty(&doc).expect("a JSON value always serialises");
    Ok(format!("{text}\n"))
}

/// The changes that make every target host import byok's profiles.
pub fn plan(
    f: &Flavor,
    env: &Env,
    gw: &Gateway,
    opts: &SetupOptions,
    cur: &Current,
) -> Result<Plan> {
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
    let mut plan = Plan::default();
    let mut settings_changes = Vec::new();
    let mut reload = Vec::new();
    let mut uses_import = false;
    for (host, ext) in &targets {
        if let Some(ext) = ext
            && !f.reads_setting(&ext.version)
            && let Some(r) = &f.replaced_from
        {
            plan.manual_steps
                .extend((r.steps)(gw, &key_shown, host.name, &ext.version));
            continue;
        }
        if ext.is_none() {
            plan.notes.push(format!(
                "{} is not installed in {} yet; the setting takes effect once it is",
                f.name, host.name
            ));
        }
        uses_import = true;
        let files = settings_files(host, env, cur);
        if files.is_empty() {
            plan.manual_steps.push(format!(
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
                plan.notes.push(format!(
                    "{} in {} pointed at {old}; it now points at byok's file (the old file is left as it is)",
                    f.setting,
                    env.tilde(&path)
                ));
            }
            let after = jsonc::set(text, &[f.setting], &json!(value)).map_err(unparsable)?;
            settings_changes.push(Change::file(
                path.clone(),
                before.map(str::to_string),
                Some(after),
                false,
            ));
        }
        reload.push(host.name);
    }
    if uses_import {
        if opts.key_mode == KeyMode::Helper {
            plan.notes.push(format!(
                "{} cannot run a command to get its key, so the key itself is in {} (mode 0600)",
                f.name,
                env.tilde(&import)
            ));
        }
        plan.changes.push(Change::file(
            import.clone(),
            cur.file(&import).map(str::to_string),
            Some(render(gw)?),
            true,
        ));
    }
    plan.changes.extend(settings_changes);
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
        plan.manual_steps.insert(
            0,
            format!(
                "reload {} (Command Palette → \"Developer: Reload Window\") so {} imports the `{OPENAI_PROFILE}` profile",
                reload.join(", "),
                f.name
            ),
        );
    }
    Ok(plan)
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

/// The setting's value in a host's `settings.json`, if it is a string.
fn setting_value(f: &Flavor, text: &str) -> Option<String> {
    match jsonc::get(text, &[f.setting]) {
        Ok(Some(Value::String(s))) => Some(s),
        _ => None,
    }
}

/// Clears the setting where it points at byok's file and deletes the file once no host
/// still uses it.
pub fn remove(f: &Flavor, env: &Env, opts: &SetupOptions, cur: &Current) -> Result<Plan> {
    let only = opts.host.as_deref().map(host_by_id).transpose()?;
    let import = f.import_file(env);
    let mut plan = Plan::default();
    let mut still_used = false;
    for (host, path) in HOSTS
        .iter()
        .flat_map(|h| settings_files(h, env, cur).into_iter().map(move |p| (h, p)))
    {
        let Some(text) = cur.file(&path) else {
            continue;
        };
        let unparsable = |e| config_edit::unparsable(env, &path, &e);
        let value = match jsonc::get(text, &[f.setting]).map_err(unparsable)? {
            Some(Value::String(s)) if !s.trim().is_empty() => s,
            _ => continue,
        };
        let ours = resolve(&value, env) == import;
        if only.is_some_and(|h| h.id != host.id) {
            still_used |= ours;
            continue;
        }
        if !ours {
            plan.notes.push(format!(
                "left {} in {} alone: it points at {value}, not at byok's file",
                f.setting,
                env.tilde(&path)
            ));
            continue;
        }
        // The user's own setting from before setup comes back; without one, the key goes.
        let label = setting_label(f, env, &path);
        let prior = cur
            .prior_json(&label)
            .filter(|v| v.as_str().is_none_or(|s| resolve(s, env) != import));
        let after = match prior {
            Some(v) => jsonc::set(text, &[f.setting], &v),
            None => jsonc::remove(text, &[f.setting], false),
        }
        .map_err(unparsable)?;
        plan.changes.push(Change::file(
            path.clone(),
            Some(text.to_string()),
            Some(after),
            false,
        ));
    }
    if !still_used && let Some(text) = cur.file(&import) {
        plan.changes
            .push(Change::file(import, Some(text.to_string()), None, true));
    }
    if !plan.is_up_to_date() {
        plan.notes.push(format!(
            "the `{OPENAI_PROFILE}` profiles already imported stay in {}'s profile list until you delete them there",
            f.name
        ));
    }
    Ok(plan)
}

/// The setting in every host's `settings.json` (default and profiles) and the import
/// file, for drift detection.
pub fn owned(f: &Flavor, env: &Env, cur: &Current) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = HOSTS
        .iter()
        .flat_map(|host| settings_files(host, env, cur))
        .map(|path| {
            let value = cur.file(&path).and_then(|t| setting_value(f, t));
            (setting_label(f, env, &path), value)
        })
        .collect();
    let import = f.import_file(env);
    out.push((env.tilde(&import), cur.file(&import).map(str::to_string)));
    out
}

/// The [`owned`] label of the setting in one `settings.json`.
fn setting_label(f: &Flavor, env: &Env, path: &Path) -> String {
    format!("{} {}", env.tilde(path), f.setting)
}

/// The setting in every host's `settings.json` as JSON text, so `remove` writes back the
/// user's own value where setup replaced it (the import file is byok's alone).
pub fn restorable(f: &Flavor, env: &Env, cur: &Current) -> Vec<(String, Option<String>)> {
    HOSTS
        .iter()
        .flat_map(|host| settings_files(host, env, cur))
        .map(|path| {
            let value = cur
                .file(&path)
                .and_then(|t| jsonc::get(t, &[f.setting]).ok().flatten())
                .map(|v| v.to_string());
            (setting_label(f, env, &path), value)
        })
        .collect()
}

/// What the written profiles call: chat completions, plus messages for the Anthropic one.
pub fn endpoints(gw: &Gateway) -> Vec<Api> {
    let mut out = Vec::new();
    if gw.model.is_some() {
        out.push(Api::Chat);
    }
    if gw.anthropic_model.is_some() {
        out.push(Api::Messages);
    }
    out
}

/// Settings that point at a missing import file, and installs byok can only describe.
pub fn diagnose(f: &Flavor, env: &Env, cur: &Current) -> Vec<Finding> {
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
    use crate::plan::Target;
    use crate::profile::{Profile, from_profile};
    use crate::secret::ApiKey;
    use crate::tools::roo_code::FLAVOR as ROO;

    const KEY: &str = "sk-unit-0123456789abcdef";

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

    const SETTINGS: &str = "{\n    // my editor\n    \"editor.fontSize\": 14,\n    \"files.exclude\": {\"**/.git\": true,},\n}\n";

    #[test]
    fn import_file_has_both_profiles() {
        let text = render(&gw(
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
        let x = render(&gw(None, Some("claude"), AnthropicAuth::XApiKey)).unwrap();
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
        let err = render(&gw(None, None, AnthropicAuth::Bearer)).unwrap_err();
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
        let plan = plan(&ROO, &e, &g, &opts(), &cur).unwrap();
        let paths: Vec<String> = plan
            .changes
            .iter()
            .map(|c| c.path.display().to_string())
            .collect();
        assert_eq!(
            paths,
            [
                "/home/u/.local/share/byok/roo-code-settings.json",
                "/home/u/.config/Code/User/settings.json",
                "/home/u/.config/VSCodium/User/settings.json",
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
        let again = super::plan(&ROO, &e, &g, &opts(), &after).unwrap();
        assert!(again.is_up_to_date(), "{again:#?}");
        assert!(again.manual_steps.is_empty());
        // A new model rewrites only the import file.
        let g2 = gw(Some("gpt-5"), None, AnthropicAuth::Bearer);
        let third = super::plan(&ROO, &e, &g2, &opts(), &after).unwrap();
        let eff: Vec<&Change> = third.effective().collect();
        assert_eq!(eff.len(), 1);
        assert!(eff[0].after.as_deref().unwrap().contains("gpt-5"));
    }

    #[test]
    fn host_option_and_missing_installs() {
        let e = env(Os::Linux);
        let g = gw(Some("m"), None, AnthropicAuth::Bearer);
        let empty = Current::default();
        let err = plan(&ROO, &e, &g, &opts(), &empty).unwrap_err();
        assert!(err.to_string().contains("not installed"), "{err}");
        let bad = SetupOptions {
            host: Some("emacs".into()),
            ..opts()
        };
        let err = plan(&ROO, &e, &g, &bad, &empty).unwrap_err();
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
        let p = plan(&ROO, &e, &g, &only, &cur).unwrap();
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
        let p = plan(&ROO, &e, &g, &opts(), &cur).unwrap();
        assert_eq!(p.changes.len(), 1);
        assert_eq!(p.changes[0].path, ROO.import_file(&e));
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
        let p = plan(&ROO, &e, &g, &opts(), &cur).unwrap();
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
        let r = remove(&ROO, &e, &opts(), &cur).unwrap();
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
        let err = plan(&ROO, &e, &g, &opts(), &cur).unwrap_err();
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
        let p = plan(&ROO, &e, &g, &opts(), &cur).unwrap();
        assert_eq!(
            p.changes[0].path,
            PathBuf::from("/Users/u/Library/Application Support/byok/data/roo-code-settings.json")
        );
        let after = applied(cur, &p);
        // Only one host: the file stays for the other.
        let one = SetupOptions {
            host: Some("code".into()),
            ..opts()
        };
        let r1 = remove(&ROO, &e, &one, &after).unwrap();
        assert_eq!(r1.changes.len(), 1);
        assert_eq!(r1.changes[0].after.as_deref(), Some(SETTINGS));
        let r = remove(&ROO, &e, &opts(), &after).unwrap();
        assert_eq!(r.changes.len(), 3);
        assert_eq!(r.changes[0].after.as_deref(), Some(SETTINGS));
        assert_eq!(r.changes[1].after.as_deref(), Some(SETTINGS));
        assert!(r.changes[2].after.is_none() && r.changes[2].secret);
        let gone = applied(after, &r);
        assert!(remove(&ROO, &e, &opts(), &gone).unwrap().is_up_to_date());
        assert_eq!(endpoints(&g), [Api::Chat, Api::Messages]);
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
        let d = detect(&ROO, &e, &cur);
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
                PathBuf::from("/C/Users/u/AppData/Roaming/Code/User/settings.json"),
                PathBuf::from("/C/Users/u/AppData/Roaming/Windsurf/User/settings.json"),
                PathBuf::from("/C/Users/u/AppData/Local/byok/data/roo-code-settings.json"),
            ]
        );
        assert!(!detect(&ROO, &e, &Current::default()).installed);
    }

    #[test]
    fn owned_tracks_setting_and_file() {
        let e = env(Os::Linux);
        let g = gw(Some("m"), None, AnthropicAuth::Bearer);
        let cur = home(
            &e,
            &[("code", "rooveterinaryinc.roo-cline-3.52.1")],
            Some("{}"),
        );
        let after = applied(cur.clone(), &plan(&ROO, &e, &g, &opts(), &cur).unwrap());
        let owned = owned(&ROO, &e, &after);
        assert_eq!(owned.len(), 7, "six hosts with user data, plus the file");
        assert_eq!(
            owned[0],
            (
                "~/.config/Code/User/settings.json roo-cline.autoImportSettingsPath".to_string(),
                Some("/home/u/.local/share/byok/roo-code-settings.json".to_string())
            )
        );
        assert_eq!(owned[6].0, "~/.local/share/byok/roo-code-settings.json");
        assert!(owned[6].1.as_deref().unwrap().contains(KEY));
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
            Some(vec!["-4a5b6c7d".into(), "1f2e3d".into(), "unread".into()]),
        );
        // What the second read gathers: one profile with settings, one without.
        let second = profile_inputs(&e, &cur);
        assert_eq!(
            second.files,
            [
                profiles.join("-4a5b6c7d/settings.json"),
                profiles.join("1f2e3d/settings.json"),
                profiles.join("unread/settings.json"),
            ]
        );
        let with = profiles.join("-4a5b6c7d/settings.json");
        let without = profiles.join("1f2e3d/settings.json");
        cur.files.insert(with.clone(), Some(SETTINGS.to_string()));
        cur.files.insert(without.clone(), None);
        let p = plan(&ROO, &e, &g, &opts(), &cur).unwrap();
        let paths: Vec<&Path> = p.changes.iter().map(|c| c.path.as_path()).collect();
        // The profile whose file was not gathered is left alone.
        assert_eq!(
            paths,
            [
                ROO.import_file(&e).as_path(),
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
        assert_eq!(
            detect(&ROO, &e, &cur).config_files,
            [
                PathBuf::from("/home/u/.config/Code/User/settings.json"),
                with.clone(),
                without.clone(),
                ROO.import_file(&e),
            ]
        );
        let after = applied(cur, &p);
        assert!(plan(&ROO, &e, &g, &opts(), &after).unwrap().is_up_to_date());
        let owned = owned(&ROO, &e, &after);
        assert_eq!(
            owned[1],
            (
                "~/.config/Code/User/profiles/-4a5b6c7d/settings.json roo-cline.autoImportSettingsPath".to_string(),
                Some("/home/u/.local/share/byok/roo-code-settings.json".to_string())
            )
        );
        assert_eq!(owned.len(), 9, "six default files, two profiles, the file");
        // remove takes the setting out of every file, then the import file.
        let r = remove(&ROO, &e, &opts(), &after).unwrap();
        let removed: Vec<&Path> = r.changes.iter().map(|c| c.path.as_path()).collect();
        assert_eq!(
            removed,
            [
                Path::new("/home/u/.config/Code/User/settings.json"),
                with.as_path(),
                without.as_path(),
                ROO.import_file(&e).as_path(),
            ]
        );
        assert_eq!(r.changes[1].after.as_deref(), Some(SETTINGS));
        let gone = applied(after, &r);
        assert!(remove(&ROO, &e, &opts(), &gone).unwrap().is_up_to_date());
        assert!(owned_is_clear(&ROO, &e, &gone));
    }

    fn owned_is_clear(f: &Flavor, e: &Env, cur: &Current) -> bool {
        owned(f, e, cur).iter().all(|(_, v)| v.is_none())
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
