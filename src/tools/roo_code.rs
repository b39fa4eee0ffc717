//! Roo Code (`RooVeterinaryInc.roo-cline`), an agent extension for any VS Code-family
//! editor: `templates/roo-code.toml` declares byok's import file and the setting
//! `roo-cline.autoImportSettingsPath` in each host's and profile's `settings.json`; this
//! is its hook, the import route shared with the legacy Kilo Code
//! ([`super::auto_import`]).
//!
//! Source: <https://github.com/RooCodeInc/Roo-Code> (`src/utils/autoImportSettings.ts`,
//! `src/core/config/importExport.ts`, `packages/types/src/provider-settings.ts`,
//! `src/api/providers/anthropic.ts`, `src/package.json`); verified against Roo Code
//! 3.52.1 (commit cb836567), 2026-11-27.

use super::auto_import::Flavor;

/// Roo Code's hook (`hook = "roo-code"`).
pub static ROO_HOOK: Flavor = Flavor {
    name: "Roo Code",
    cli_id: "roo-code",
    extension: "rooveterinaryinc.roo-cline",
    setting: "roo-cline.autoImportSettingsPath",
    file_name: "roo-code-settings.json",
    replaced_from: None,
};
