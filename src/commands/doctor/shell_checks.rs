//! Shell checks: the gateway variables in this environment and byok's blocks in the
//! start-up files.

use crate::env::Env;
use crate::gateway::report::{Check, Section, Severity};
use crate::profile::Gateway;
use crate::shell::{self, Shell, Value as ShellValue};

const ENV_HINT: &str = "run `byok env --install` and open a new shell (or `eval \"$(byok env)\"` in this one); remove old exports of these variables from your start-up files";

pub fn shell_checks(env: &Env, gw: &Gateway) -> Vec<Check> {
    // As `byok env` prints them: a key byok must fetch is not among them, so its
    // variables are checked only when this shell has them (`byok env --with-key`).
    let exports = shell::exports(gw, false);
    let fetched_key = |name: &str| exports.left_out.iter().any(|n| n == name);
    let want = |name: &str| -> Option<String> {
        exports
            .vars
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| match v {
                ShellValue::Literal(s) => Some(s.clone()),
                ShellValue::FromVar(var) => env.var(var).map(str::to_string),
                ShellValue::Unset => None,
            })
    };
    let show = |name: &str, value: &str| {
        if name.contains("KEY") || name.contains("TOKEN") {
            crate::secret::mask(value)
        } else {
            value.to_string()
        }
    };
    let mut checks = Vec::new();
    let groups: [(&str, &str, Vec<&str>); 2] = [
        (
            "shell.openai",
            "OpenAI variables",
            vec!["OPENAI_BASE_URL", "OPENAI_API_BASE", "OPENAI_API_KEY"],
        ),
        (
            "shell.anthropic",
            "Anthropic variables",
            vec![
                "ANTHROPIC_BASE_URL",
                gw.anthropic_auth.env_var(),
                gw.anthropic_auth.other_env_var(),
            ],
        ),
    ];
    for (id, name, vars) in groups {
        let mut stale = Vec::new();
        let mut unset = Vec::new();
        let mut matching = Vec::new();
        let mut extra = Vec::new();
        for var in vars {
            let have = env.var(var);
            if fetched_key(var) {
                // Left out of `byok env` on purpose: not missing when unset, and checked
                // against the key (read as doctor reads it anyway) when this shell has it.
                match (have, gw.api_key()) {
                    (Some(h), Some(k)) if h == k.expose() => matching.push(var.to_string()),
                    (Some(h), Some(k)) => stale.push(format!(
                        "{var} is {} (profile: {})",
                        show(var, h),
                        show(var, k.expose())
                    )),
                    _ => {}
                }
                continue;
            }
            match (want(var), have) {
                (Some(w), Some(h)) if w == h => matching.push(var.to_string()),
                (Some(w), Some(h)) => stale.push(format!(
                    "{var} is {} (profile: {})",
                    show(var, h),
                    show(var, &w)
                )),
                (Some(_), None) => unset.push(var.to_string()),
                (None, Some(h)) => extra.push(format!("{var} is set ({})", show(var, h))),
                (None, None) => {}
            }
        }
        let mut problems = stale;
        if id == "shell.openai"
            && let (Some(a), Some(b)) = (env.var("OPENAI_BASE_URL"), env.var("OPENAI_API_BASE"))
            && a != b
        {
            problems.push(format!(
                "OPENAI_BASE_URL ({a}) and OPENAI_API_BASE ({b}) disagree: SDKs read one, LiteLLM and Aider the other"
            ));
        }
        let check = if !extra.is_empty() {
            // The other Anthropic variable: Claude Code sends it too, and the API key wins.
            Check::new(
                Section::Shell,
                id,
                name,
                Severity::Warn,
                format!(
                    "{}: Claude Code would send it as well, and ANTHROPIC_API_KEY wins over ANTHROPIC_AUTH_TOKEN{}",
                    extra.join(", "),
                    if problems.is_empty() { String::new() } else { format!("; {}", problems.join("; ")) }
                ),
            )
            .hint(format!(
                "unset {} here and remove it from your start-up files; `byok env --install` exports only {}",
                gw.anthropic_auth.other_env_var(),
                gw.anthropic_auth.env_var()
            ))
        } else if !problems.is_empty() {
            Check::new(
                Section::Shell,
                id,
                name,
                Severity::Warn,
                format!("stale: {}", problems.join("; ")),
            )
            .hint(ENV_HINT)
        } else if matching.is_empty() {
            Check::new(
                Section::Shell,
                id,
                name,
                Severity::Info,
                format!(
                    "not set in this shell ({}); tools started from it use their own settings",
                    unset.join(", ")
                ),
            )
        } else if !unset.is_empty() {
            Check::new(
                Section::Shell,
                id,
                name,
                Severity::Info,
                format!(
                    "{} match the profile; {} not set",
                    matching.join(", "),
                    unset.join(", ")
                ),
            )
        } else {
            Check::new(
                Section::Shell,
                id,
                name,
                Severity::Ok,
                format!("{} match the profile", matching.join(", ")),
            )
        };
        checks.push(check);
    }
    checks.push(startup_check(env, gw));
    checks
}

fn startup_check(env: &Env, gw: &Gateway) -> Check {
    let mut loaded = Vec::new();
    let mut problems = Vec::new();
    for sh in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::Powershell] {
        let Ok(path) = sh.startup_file(env) else {
            continue;
        };
        let Ok(Some(text)) = crate::fs::read_optional(&path) else {
            continue;
        };
        let label = env.tilde(&path);
        let blocks = shell::find_blocks(&text);
        if blocks.is_empty() {
            continue;
        }
        if blocks.len() > 1 {
            problems.push(format!(
                "{label} has {} byok blocks (`byok env >> {label}` run more than once?)",
                blocks.len()
            ));
            continue;
        }
        let (s, e) = blocks[0];
        let block = &text[s..e];
        match exported_url(block, "OPENAI_BASE_URL") {
            Some(url) if url != gw.openai_base => problems.push(format!(
                "{label} holds a copy of old exports (OPENAI_BASE_URL={url}, profile: {})",
                gw.openai_base
            )),
            Some(_) => loaded.push(format!("{label} (a copy of the exports)")),
            None => loaded.push(label),
        }
    }
    if !problems.is_empty() {
        return Check::new(
            Section::Shell,
            "shell.startup",
            "Start-up files",
            Severity::Warn,
            problems.join("; "),
        )
        .hint(
            "`byok env --install` replaces them with one block that reads the profile at start-up",
        );
    }
    if loaded.is_empty() {
        return Check::new(
            Section::Shell,
            "shell.startup",
            "Start-up files",
            Severity::Info,
            "no start-up file loads byok (`byok env --install` adds it)",
        );
    }
    Check::new(
        Section::Shell,
        "shell.startup",
        "Start-up files",
        Severity::Ok,
        format!("byok is loaded by {}", loaded.join(", ")),
    )
}

/// The value a literal export line in a byok block gives `var` (any shell's syntax).
fn exported_url(block: &str, var: &str) -> Option<String> {
    block.lines().find_map(|line| {
        let at = line.find(var)?;
        let rest = &line[at + var.len()..];
        let start = rest.find('\'')? + 1;
        let len = rest[start..].find('\'')?;
        Some(rest[start..start + len].to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_blocks_are_read_in_every_syntax() {
        for block in [
            "export OPENAI_BASE_URL='https://old/v1'\n",
            "set -gx OPENAI_BASE_URL 'https://old/v1'\n",
            "$env:OPENAI_BASE_URL = 'https://old/v1'\n",
        ] {
            assert_eq!(
                exported_url(block, "OPENAI_BASE_URL").as_deref(),
                Some("https://old/v1")
            );
        }
        assert_eq!(
            exported_url(
                "if [ -x '/b/byok' ]; then eval \"$('/b/byok' env --shell bash)\"; fi\n",
                "OPENAI_BASE_URL"
            ),
            None
        );
    }
}
