//! Roo Code (`RooVeterinaryInc.roo-cline`), an agent extension for any VS Code-family
//! editor.
//!
//! Roo keeps its provider profiles in VS Code's encrypted SecretStorage (key
//! `roo_cline_config_api_config`), so byok uses Roo's own import route (see
//! [`super::auto_import`]): it writes `<byok data dir>/roo-code-settings.json` (mode
//! 0600) with a `byok` profile (`apiProvider: "openai"`, `openAiBaseUrl` with `/v1`,
//! `openAiApiKey`, `openAiModelId`) and, when the gateway profile has an Anthropic model,
//! a `byok-anthropic` profile (`apiProvider: "anthropic"`, `anthropicBaseUrl` without
//! `/v1`, `apiKey`, `apiModelId`, `anthropicUseAuthToken` for Bearer auth), then sets
//! `roo-cline.autoImportSettingsPath` in each host's user `settings.json`:
//!
//! - Linux: `~/.config/<Code|Code - Insiders|VSCodium|Cursor|Windsurf>/User/settings.json`,
//!   `~/.local/share/code-server/User/settings.json`
//! - macOS: `~/Library/Application Support/<host>/User/settings.json`
//! - Windows: `%APPDATA%\<host>\User\settings.json`
//!
//! byok owns that one setting and the import file. Roo re-imports the file at every
//! start, replacing edits to the `byok` profiles.
//!
//! Source: <https://github.com/RooCodeInc/Roo-Code> (`src/utils/autoImportSettings.ts`,
//! `src/core/config/importExport.ts`, `packages/types/src/provider-settings.ts`,
//! `src/api/providers/anthropic.ts`, `src/package.json`); verified against Roo Code
//! 3.52.1 (commit cb836567), 2026-11-27.

use super::ToolId;
use super::auto_import::Flavor;

/// Roo Code as a [`Flavor`] of the import route.
pub static FLAVOR: Flavor = Flavor {
    id: ToolId::RooCode,
    name: "Roo Code",
    cli_id: "roo-code",
    extension: "rooveterinaryinc.roo-cline",
    setting: "roo-cline.autoImportSettingsPath",
    file_name: "roo-code-settings.json",
    replaced_from: None,
};
