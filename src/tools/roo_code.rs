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

use anyhow::Result;

use super::auto_import::{self, Flavor};
use super::{Current, Detection, Endpoint, Finding, Inputs, SetupOptions, Tool, ToolId};
use crate::env::Env;
use crate::plan::Plan;
use crate::profile::Gateway;

/// Roo Code as a [`Flavor`] of the import route.
pub static FLAVOR: Flavor = Flavor {
    name: "Roo Code",
    cli_id: "roo-code",
    extension: "rooveterinaryinc.roo-cline",
    setting: "roo-cline.autoImportSettingsPath",
    file_name: "roo-code-settings.json",
    replaced_from: None,
};

/// The Roo Code adapter.
pub struct RooCode;

impl Tool for RooCode {
    fn id(&self) -> ToolId {
        ToolId::RooCode
    }

    fn name(&self) -> &'static str {
        FLAVOR.name
    }

    fn inputs(&self, env: &Env) -> Inputs {
        auto_import::inputs(&FLAVOR, env)
    }

    fn detect(&self, env: &Env, cur: &Current) -> Detection {
        auto_import::detect(&FLAVOR, env, cur)
    }

    fn plan(&self, env: &Env, gw: &Gateway, opts: &SetupOptions, cur: &Current) -> Result<Plan> {
        auto_import::plan(&FLAVOR, env, gw, opts, cur)
    }

    fn remove(&self, env: &Env, opts: &SetupOptions, cur: &Current) -> Result<Plan> {
        auto_import::remove(&FLAVOR, env, opts, cur)
    }

    fn owned(&self, env: &Env, cur: &Current) -> Vec<(String, Option<String>)> {
        auto_import::owned(&FLAVOR, env, cur)
    }

    fn endpoints(&self, gw: &Gateway) -> Vec<Endpoint> {
        auto_import::endpoints(gw)
    }

    fn diagnose(&self, env: &Env, _gw: &Gateway, cur: &Current) -> Vec<Finding> {
        auto_import::diagnose(&FLAVOR, env, cur)
    }
}
