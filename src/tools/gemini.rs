//! Gemini CLI: placeholder until the adapter is written.

use anyhow::Result;

use super::{Current, Detection, Endpoint, Inputs, SetupOptions, Tool, ToolId};
use crate::env::Env;
use crate::plan::Plan;
use crate::profile::Gateway;

/// The Gemini CLI adapter.
pub struct GeminiCli;

impl Tool for GeminiCli {
    fn id(&self) -> ToolId {
        ToolId::GeminiCli
    }
    fn name(&self) -> &'static str {
        "Gemini CLI"
    }
    fn inputs(&self, _env: &Env) -> Inputs {
        Inputs::default()
    }
    fn detect(&self, _env: &Env, _cur: &Current) -> Detection {
        Detection::default()
    }
    fn plan(&self, _e: &Env, _g: &Gateway, _o: &SetupOptions, _c: &Current) -> Result<Plan> {
        Ok(Plan::default())
    }
    fn remove(&self, _e: &Env, _o: &SetupOptions, _c: &Current) -> Result<Plan> {
        Ok(Plan::default())
    }
    fn owned(&self, _e: &Env, _c: &Current) -> Vec<(String, Option<String>)> {
        Vec::new()
    }
    fn endpoints(&self, _gw: &Gateway) -> Vec<Endpoint> {
        Vec::new()
    }
}
