//! Shared fixtures for adapter unit tests: an `Env` on a fake home, a gateway, a
//! `Current` from literal files, and applying a plan to it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::env::{Env, Os};
use crate::plan::Plan;
use crate::profile::{AnthropicAuth, Gateway, KeySource};
use crate::secret::ApiKey;
use crate::tools::Current;

/// An `Env` for `os` with home `/h` (`/C/Users/u` as USERPROFILE), cwd `/h/src/app`.
pub fn env_os(os: Os, vars: &[(&str, &str)]) -> Env {
    let mut map: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    map.entry("HOME".into()).or_insert_with(|| "/h".into());
    map.entry("USERPROFILE".into())
        .or_insert_with(|| "/C/Users/u".into());
    Env::from_vars(map, os, PathBuf::from("/h/src/app"), None)
}

/// An `Env` with each OS's usual home (`/home/u`, `/Users/u`, `/C/Users/u`), cwd `/`.
pub fn native_env(os: Os) -> Env {
    let home = match os {
        Os::Windows => "/C/Users/u",
        Os::Macos => "/Users/u",
        Os::Linux => "/home/u",
    };
    let mut vars = BTreeMap::new();
    vars.insert("HOME".to_string(), home.to_string());
    vars.insert("USERPROFILE".to_string(), home.to_string());
    Env::from_vars(vars, os, PathBuf::from("/"), None)
}

/// A Linux `Env`, see [`env_os`].
pub fn env(vars: &[(&str, &str)]) -> Env {
    env_os(Os::Linux, vars)
}

/// A gateway at `https://gw.example` with a literal key and one chat model.
pub fn gateway(key: &str, model: &str) -> Gateway {
    Gateway {
        name: "default".into(),
        base: crate::base_url::BaseUrl::parse("https://gw.example")
            .expect("valid URL")
            .url,
        openai_base: "https://gw.example/v1".into(),
        anthropic_base: "https://gw.example".into(),
        key: KeySource::Literal(ApiKey::new(key)),
        model: Some(model.into()),
        anthropic_model: None,
        small_model: None,
        anthropic_auth: AnthropicAuth::default(),
        headers: Default::default(),
    }
}

/// A `Current` holding these files.
pub fn current(files: &[(&Path, &str)]) -> Current {
    let mut c = Current::default();
    for (p, t) in files {
        c.files.insert(p.to_path_buf(), Some((*t).to_string()));
    }
    c
}

/// Applies a plan's file changes to `c`, as `byok setup` would on disk.
pub fn apply(c: &mut Current, plan: &Plan) {
    for ch in &plan.changes {
        c.files.insert(ch.path.clone(), ch.after.clone());
    }
}
