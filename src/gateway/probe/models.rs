//! Model suggestions: configured models against `GET /models`, and the closest listed ids.

use serde_json::{Value, json};

use super::judge::{Judged, shape};
use super::request::probe_models;
use super::{Api, Target};
use crate::gateway::report::Severity;

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
