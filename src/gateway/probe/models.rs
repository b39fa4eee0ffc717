//! Model suggestions: configured models against `GET /models`, and the closest listed ids.

use serde_json::{Value, json};

use super::judge::{Judged, shape};
use super::request::probe_models;
use super::{Api, Target};
use crate::gateway::report::{Check, Section, Severity};

/// The hint for an unknown model: the closest ids the gateway lists.
pub(super) fn model_hint(t: &Target<'_>, api: Api, model: &str) -> String {
    let flag = if api.is_anthropic() {
        "--anthropic-model"
    } else {
        "--model"
    };
    let listed = probe_models(t).models.unwrap_or_default();
    let near = closest(model, &listed, 3);
    if near.is_empty() {
        format!(
            "use a model id the gateway serves (GET {}/models lists them): `byok init {flag} …`",
            t.gw.openai_base
        )
    } else {
        format!(
            "the gateway lists {}: use one with `byok init {flag} {}`",
            near.join(", "),
            near[0]
        )
    }
}

pub(super) fn judge_models(t: &Target<'_>, v: &Value) -> Judged {
    let list = v["data"]
        .as_array()
        .or_else(|| v.as_array())
        .or_else(|| v["models"].as_array());
    let Some(list) = list else {
        return shape(Api::Models, "data[] list of models");
    };
    let ids: Vec<String> = list
        .iter()
        .filter_map(|m| {
            m["id"]
                .as_str()
                .or_else(|| m["name"].as_str())
                .or_else(|| m.as_str())
                .map(str::to_string)
        })
        .collect();
    let mut wanted: Vec<&str> = [
        t.model,
        t.gw.anthropic_model.as_deref(),
        t.gw.small_model.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    wanted.dedup();
    let missing: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|w| !ids.iter().any(|i| i == w))
        .collect();
    let present: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|w| !missing.contains(w))
        .collect();
    // Some gateways route any id and list none: nothing to compare against, not a fault.
    if ids.is_empty() {
        return Judged {
            severity: Severity::Ok,
            message: "the gateway lists no models (it may route any id; the generation checks tell whether yours works)".into(),
            hint: None,
            models: Some(ids),
            details: vec![("models", json!([])), ("missing", json!([]))],
        };
    }
    let count = format!(
        "{} model{}",
        ids.len(),
        if ids.len() == 1 { "" } else { "s" }
    );
    let details = vec![
        ("models", json!(ids.iter().take(200).collect::<Vec<_>>())),
        ("missing", json!(missing)),
    ];
    if missing.is_empty() {
        let listed = if present.is_empty() {
            String::new()
        } else {
            format!("; lists {}", present.join(", "))
        };
        return Judged {
            severity: Severity::Ok,
            message: format!("{count}{listed}"),
            hint: None,
            models: Some(ids),
            details,
        };
    }
    let parts: Vec<String> = missing
        .iter()
        .map(|m| {
            let near = closest(m, &ids, 3);
            if near.is_empty() {
                format!("`{m}`")
            } else {
                format!("`{m}` (closest: {})", near.join(", "))
            }
        })
        .collect();
    Judged {
        severity: Severity::Warn,
        message: format!("{count}, but not {}", parts.join(", ")),
        hint: Some("pick a listed id with `byok init --model …` (some gateways also serve unlisted aliases; the generation checks tell)".into()),
        models: Some(ids),
        details,
    }
}

/// A model a set-up tool's files name that is not one of the profile's (those the
/// `/models` check covers itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolModel {
    /// The tool's id, for check ids.
    pub id: String,
    /// The tool's display name.
    pub tool: String,
    /// The model id as the tool sends it.
    pub model: String,
    /// Where the files name it: `(file, key)`.
    pub places: Vec<(String, String)>,
    /// The step that puts the profile's models back, when setup can (`None`: a value
    /// byok leaves to the user).
    pub fix: Option<String>,
}

/// One line per tool for the models its files name beyond the profile's: listed, or not
/// (with the closest listed ids). Nothing when the gateway lists no models (it may route
/// any id) or the list could not be read (the `/models` check says why).
pub(super) fn check_tool_models(listed: Option<&[String]>, models: &[ToolModel]) -> Vec<Check> {
    let Some(ids) = listed.filter(|l| !l.is_empty()) else {
        return Vec::new();
    };
    let mut tools: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    tools.dedup();
    let mut out = Vec::new();
    for id in tools {
        let mine: Vec<&ToolModel> = models.iter().filter(|m| m.id == id).collect();
        let name = &mine[0].tool;
        let said = |m: &ToolModel| {
            let places: Vec<String> = m.places.iter().map(|(f, k)| format!("{f} {k}")).collect();
            format!("`{}` ({})", m.model, places.join(", "))
        };
        let missing: Vec<&&ToolModel> = mine.iter().filter(|m| !ids.contains(&m.model)).collect();
        let label = format!("{name} model{}", if mine.len() == 1 { "" } else { "s" });
        let check = if missing.is_empty() {
            let all: Vec<String> = mine.iter().map(|m| said(m)).collect();
            Check::new(
                Section::Gateway,
                format!("models.{id}"),
                label,
                Severity::Ok,
                format!("{} listed by the gateway", all.join(", ")),
            )
        } else {
            let near = |m: &ToolModel| {
                let near = closest(&m.model, ids, 3);
                (!near.is_empty()).then(|| format!("closest: {}", near.join(", ")))
            };
            let message = match missing.as_slice() {
                [m] => format!(
                    "{name} asks for {}, which the gateway does not list{}",
                    said(m),
                    near(m).map(|n| format!(" ({n})")).unwrap_or_default()
                ),
                _ => {
                    let parts: Vec<String> = missing
                        .iter()
                        .map(|m| match near(m) {
                            Some(n) => format!("{} {n}", said(m)),
                            None => said(m),
                        })
                        .collect();
                    format!(
                        "{name} asks for models the gateway does not list: {}",
                        parts.join("; ")
                    )
                }
            };
            let fix = missing.iter().find_map(|m| m.fix.clone());
            Check::new(
                Section::Gateway,
                format!("models.{id}"),
                label,
                Severity::Warn,
                message,
            )
            .hint(match fix {
                Some(f) => format!("set a listed id there, or {f}"),
                None => format!("set a listed id there (in {name}, or in the file)"),
            })
        };
        let listed: Vec<&str> = mine.iter().map(|m| m.model.as_str()).collect();
        out.push(check.detail("tool_models", listed));
    }
    out
}

/// Up to `n` listed ids closest to `wanted` (edit distance on normalised ids, ignoring a
/// `vendor/` prefix), closest first; only reasonably close ones.
pub fn closest(wanted: &str, ids: &[String], n: usize) -> Vec<String> {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['.', '_', ':'], "-");
    let w = norm(wanted);
    let mut scored: Vec<(usize, usize, &String)> = ids
        .iter()
        .map(|id| {
            let full = norm(id);
            let tail = full.rsplit('/').next().unwrap_or(&full).to_string();
            let mut d = levenshtein(&w, &full).min(levenshtein(&w, &tail));
            // `gpt-4o` → `gpt-4o-mini`: one id inside the other is a strong hint.
            if d > 0 && (tail.contains(&w) || w.contains(&tail)) {
                d = 1;
            }
            (d, w.len().abs_diff(tail.len()), id)
        })
        .filter(|(d, _, _)| *d <= (w.len() / 2).max(3))
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(n)
        .map(|(_, _, id)| id.clone())
        .collect()
}

/// Edit distance between two names (close model ids, mistyped tool names).
pub(crate) fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
