//! Kilo Code (`kilocode.kilo-code`), an agent extension for any VS Code-family editor,
//! in two generations under the same extension id:
//!
//! - **Legacy (up to 5.x)**, a Roo Code fork: same import route as Roo (see
//!   [`super::auto_import`]) with the setting `kilo-code.autoImportSettingsPath` and
//!   byok's file `<byok data dir>/kilo-code-settings.json`, declared in
//!   `templates/kilo-code.toml` (its per-host `settings.json` only where the extension
//!   is older than 6.0: `hosts.below`).
//! - **7.x**, rebuilt on OpenCode: it keeps providers in the Kilo CLI config
//!   (`~/.config/kilo/kilo.json`) and treats `kilo-code.autoImportSettingsPath` as a
//!   legacy setting to clear (`clearLegacyData` in
//!   `packages/kilo-vscode/src/legacy-migration/migration-service.ts`). Here this hook
//!   prints the steps and points at `byok setup kilo` (template `templates/kilo.toml`),
//!   which writes that file.
//!
//! Sources: <https://github.com/Kilo-Org/kilocode-legacy> (`src/package.json`,
//! `src/utils/autoImportSettings.ts`, `src/core/config/importExport.ts`,
//! `packages/types/src/provider-settings.ts`), verified against Kilo Code 5.10.4 (commit
//! 56b73d3b), 2026-11-27; <https://github.com/Kilo-Org/kilocode>
//! (`packages/kilo-vscode`, 7.4.x), read 2026-11-27. The exact first version of the new
//! generation was not found; byok treats 6.0 and later as new.

use super::auto_import::{Flavor, Replacement};
use crate::profile::Gateway;

/// Kilo Code's hook (`hook = "kilo-code"`).
pub static KILO_HOOK: Flavor = Flavor {
    name: "Kilo Code",
    cli_id: "kilo-code",
    extension: "kilocode.kilo-code",
    setting: "kilo-code.autoImportSettingsPath",
    file_name: "kilo-code-settings.json",
    replaced_from: Some(Replacement {
        version: "6.0.0",
        what: "the OpenCode-based Kilo (7.x)",
        steps: new_kilo_steps,
    }),
};

/// What to do by hand in the OpenCode-based Kilo, which keeps providers in its own config.
fn new_kilo_steps(gw: &Gateway, key: &str, host: &str, version: &str) -> Vec<String> {
    let model = gw.model.as_deref().unwrap_or("<your model id>");
    vec![format!(
        "Kilo Code {version} in {host} no longer reads kilo-code.autoImportSettingsPath: in Kilo's settings add an \"OpenAI Compatible\" provider with base URL {}, API key {key} and model {model} (Kilo stores it in ~/.config/kilo/kilo.json); or let byok write that file: `byok setup kilo`",
        gw.openai_base
    )]
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use super::*;
    use crate::env::{Env, Os};
    use crate::profile::{KeySource, Profile, from_profile};
    use crate::secret::ApiKey;
    use crate::tools::vscode::Host;
    use crate::tools::{Current, SetupOptions, Tool, ToolId};

    fn tool() -> &'static dyn Tool {
        crate::tools::get(ToolId::KiloCode).unwrap()
    }

    fn env() -> Env {
        let mut vars = BTreeMap::new();
        vars.insert("HOME".to_string(), "/home/u".to_string());
        Env::from_vars(vars, Os::Linux, PathBuf::from("/"), None)
    }

    fn cur(e: &Env, exts: &[(&str, &str)]) -> Current {
        let mut cur = Current::default();
        for (host, folder) in exts {
            let h = Host::by_id(host).unwrap();
            cur.dirs
                .insert(h.extensions_dir(e), Some(vec![(*folder).to_string()]));
        }
        cur
    }

    fn gw() -> Gateway {
        let p = Profile {
            base_url: "https://gw.example.com/v1".to_string(),
            model: Some("gpt-4o".to_string()),
            ..Profile::default()
        };
        from_profile(
            "p".into(),
            &p,
            KeySource::Literal(ApiKey::new("sk-kilo-0123456789abcdef")),
        )
        .unwrap()
    }

    #[test]
    fn legacy_kilo_uses_its_own_setting_and_file() {
        let e = env();
        let c = cur(&e, &[("vscodium", "kilocode.kilo-code-5.10.4")]);
        let plan = tool()
            .plan(&e, &gw(), &SetupOptions::default(), &c)
            .unwrap();
        assert_eq!(
            plan.changes[0].path,
            PathBuf::from("/home/u/.local/share/byok/kilo-code-settings.json")
        );
        assert_eq!(
            plan.changes[1].after.as_deref(),
            Some(
                "{\n  \"kilo-code.autoImportSettingsPath\": \"/home/u/.local/share/byok/kilo-code-settings.json\"\n}\n"
            )
        );
        assert!(plan.manual_steps[0].starts_with("reload VSCodium"));
    }

    #[test]
    fn new_kilo_gets_steps_only() {
        let e = env();
        let c = cur(
            &e,
            &[
                ("code", "kilocode.kilo-code-7.4.19"),
                ("vscodium", "kilocode.kilo-code-5.10.4"),
            ],
        );
        let det = tool().detect(&e, &c);
        assert_eq!(
            det.evidence,
            [
                "extension 7.4.19 in VS Code (~/.vscode/extensions/kilocode.kilo-code-7.4.19): the OpenCode-based Kilo (7.x), set up by hand",
                "extension 5.10.4 in VSCodium (~/.vscode-oss/extensions/kilocode.kilo-code-5.10.4)",
            ]
        );
        let plan = tool()
            .plan(&e, &gw(), &SetupOptions::default(), &c)
            .unwrap();
        // VSCodium's legacy Kilo is written; VS Code's new Kilo gets a step.
        assert_eq!(plan.changes.len(), 2);
        assert_eq!(
            plan.changes[1].path,
            PathBuf::from("/home/u/.config/VSCodium/User/settings.json")
        );
        assert_eq!(
            plan.manual_steps,
            [
                "reload VSCodium (Command Palette → \"Developer: Reload Window\") so Kilo Code imports the `byok` profile",
                "Kilo Code 7.4.19 in VS Code no longer reads kilo-code.autoImportSettingsPath: in Kilo's settings add an \"OpenAI Compatible\" provider with base URL https://gw.example.com/v1, API key sk-…cdef (shown masked; rerun with --show-key to see it) and model gpt-4o (Kilo stores it in ~/.config/kilo/kilo.json); or let byok write that file: `byok setup kilo`",
            ]
        );
        let only_new = cur(&e, &[("code", "kilocode.kilo-code-7.4.19")]);
        let plan = tool()
            .plan(&e, &gw(), &SetupOptions::default(), &only_new)
            .unwrap();
        assert!(plan.changes.is_empty());
        assert_eq!(plan.manual_steps.len(), 1);
        assert_eq!(tool().diagnose(&e, &gw(), &only_new).len(), 1);
    }
}
