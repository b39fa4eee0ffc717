//! `byok setup --project [DIR] TOOL` and `remove --project`: a tool's project-level file
//! with a key reference or key command (never the key), the refusals (a tool that can
//! only hold the key itself, a file git tracks), the `.git/info/exclude` line byok adds
//! and takes out again, and `remove --project` giving back the original bytes.

use std::path::Path;
use std::process::Command;

use crate::common::{self, KEY, TestEnv};

/// A git repository at `dir` (real git when there is one, else just the `.git`
/// directory byok looks for), with `exclude` as its `.git/info/exclude`.
fn repo(t: &TestEnv, dir: &Path, exclude: &str) {
    std::fs::create_dir_all(dir).unwrap();
    if common::have("git") {
        git(t, dir, &["init", "-q", "."]);
    }
    std::fs::create_dir_all(dir.join(".git/info")).unwrap();
    std::fs::write(dir.join(".git/info/exclude"), exclude).unwrap();
}

fn git(t: &TestEnv, dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("HOME", t.home())
        .env("PATH", "/usr/bin:/bin")
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

fn no_key(out: &common::Output) {
    assert!(!out.stdout.contains(KEY) && !out.stderr.contains(KEY));
}

const EXCLUDE: &str = "# git ls-files --others --exclude-from=.git/info/exclude\n*.swp\n";

#[test]
fn claude_code_project_file_runs_a_key_command_and_is_kept_out_of_git() {
    let t = TestEnv::new();
    t.init("http://127.0.0.1:4000");
    let proj = t.home().join("proj");
    repo(&t, &proj, EXCLUDE);
    let dir = proj.display().to_string();
    let out = t
        .run(&["setup", "--project", &dir, "claude-code", "--yes"])
        .success();
    no_key(&out);
    assert_eq!(
        t.normalize(&out.stdout),
        "Claude Code (project ~/proj)\n\
         \x20 created ~/proj/.claude/settings.local.json (a new file, so no backup: `byok restore` deletes it)\n\
         \x20 updated ~/proj/.git/info/exclude (original kept as backup "
            .to_string()
            + out.stdout.split("original kept as backup ").nth(1).unwrap().split(')').next().unwrap()
            + ")\n\
         \x20 key: a key command (`byok print-key`): no copy in its files\n\
         \x20 note: keeps ~/proj/.claude/settings.local.json out of git: added `/.claude/settings.local.json` to ~/proj/.git/info/exclude\n"
    );
    assert_eq!(
        t.normalize(&t.read("proj/.claude/settings.local.json")),
        r#"{
  "env": {
    "ANTHROPIC_BASE_URL": "http://127.0.0.1:4000",
    "ANTHROPIC_AUTH_TOKEN": "",
    "ANTHROPIC_API_KEY": "",
    "ANTHROPIC_MODEL": "claude-sonnet-4-5",
    "ANTHROPIC_DEFAULT_OPUS_MODEL": "claude-sonnet-4-5",
    "ANTHROPIC_DEFAULT_SONNET_MODEL": "claude-sonnet-4-5",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL": "claude-sonnet-4-5",
    "ANTHROPIC_SMALL_FAST_MODEL": "claude-sonnet-4-5"
  },
  "apiKeyHelper": "'[BYOK]' print-key --profile 'default'"
}
"#
    );
    assert_eq!(
        t.read("proj/.git/info/exclude"),
        format!(
            "{EXCLUDE}# added by `byok setup --project`; `byok remove --project` takes it out\n/.claude/settings.local.json\n"
        )
    );
    // The user's own settings are not touched.
    assert!(!t.exists(".claude/settings.json"));
    if common::have("git") {
        let st = Command::new("git")
            .args(["status", "--porcelain", "--untracked-files=all"])
            .current_dir(&proj)
            .env_clear()
            .env("HOME", t.home())
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&st.stdout),
            "",
            "git sees no new file"
        );
    }
    // remove --project (DIR defaults to the working directory; here named) gives back
    // the exclude file's bytes and deletes the file byok created.
    let out = t
        .run(&["remove", "--project", &dir, "claude-code", "--yes"])
        .success();
    no_key(&out);
    assert_eq!(
        t.normalize(&out.stdout),
        "Claude Code (project ~/proj)\n  deleted ~/proj/.claude/settings.local.json\n  updated ~/proj/.git/info/exclude\n"
    );
    assert!(!t.exists("proj/.claude/settings.local.json"));
    assert_eq!(t.read("proj/.git/info/exclude"), EXCLUDE);
}

#[test]
fn an_existing_project_file_gets_its_bytes_back_on_remove() {
    let t = TestEnv::new();
    t.init("http://127.0.0.1:4000");
    // Claude Code reads strict JSON, so a user's file has no comments; odd spacing stays.
    let mine = "{\n  \"permissions\": {\"allow\": [\"Bash(npm test)\"]},\n  \"env\": {\"ANTHROPIC_MODEL\": \"claude-opus-4-1\"}\n}\n";
    t.write("proj/.claude/settings.local.json", mine);
    let dir = t.home().join("proj").display().to_string();
    let out = t
        .run(&["setup", "--project", &dir, "claude-code", "--yes"])
        .success();
    no_key(&out);
    let text = t.read("proj/.claude/settings.local.json");
    assert!(text.contains("\"Bash(npm test)\""), "{text}");
    assert!(
        text.contains("\"ANTHROPIC_MODEL\": \"claude-sonnet-4-5\""),
        "{text}"
    );
    assert!(!text.contains(KEY));
    // No git work tree: no exclude file anywhere.
    assert!(!t.exists("proj/.git"));
    let out = t
        .run(&["remove", "--project", &dir, "claude-code", "--yes"])
        .success();
    no_key(&out);
    assert_eq!(t.read("proj/.claude/settings.local.json"), mine);
}

#[test]
fn a_profile_keeping_its_key_in_a_variable_gets_references() {
    let mut t = TestEnv::new();
    t.set("GW_KEY", KEY);
    t.run(&[
        "init",
        "--url",
        "http://127.0.0.1:4000",
        "--key-env",
        "GW_KEY",
        "--model",
        "gpt-4o",
        "--yes",
    ])
    .success();
    let dir = t.home().join("proj");
    std::fs::create_dir_all(&dir).unwrap();
    let dir = dir.display().to_string();
    let out = t
        .run(&["setup", "--project", &dir, "opencode", "codex", "--yes"])
        .success();
    no_key(&out);
    assert!(
        out.stdout
            .contains("  key: a reference to $GW_KEY: no copy in its files\n")
    );
    assert!(out.stdout.contains(
        "  note: Codex reads ~/proj/.codex/config.toml only once you trust the project (Codex asks when you first start it there)\n"
    ));
    assert_eq!(
        t.read("proj/opencode.json"),
        r#"{
  "$schema": "https://opencode.ai/config.json",
  "provider": {
    "byok": {
      "npm": "@ai-sdk/openai-compatible",
      "name": "byok",
      "options": {
        "baseURL": "http://127.0.0.1:4000/v1",
        "apiKey": "{env:GW_KEY}"
      },
      "models": {
        "gpt-4o": {
          "name": "gpt-4o"
        }
      }
    }
  },
  "model": "byok/gpt-4o"
}
"#
    );
    assert_eq!(
        t.read("proj/.codex/config.toml"),
        "model = \"gpt-4o\"\nmodel_provider = \"byok\"\n\n# managed by byok: `byok remove codex` takes this out\n[model_providers.byok]\nname = \"byok\"\nbase_url = \"http://127.0.0.1:4000/v1\"\nwire_api = \"responses\"\nenv_key = \"GW_KEY\"\n"
    );
    // Not 0600: nothing secret in them.
    assert_ne!(t.mode("proj/opencode.json") & 0o077, 0);
    t.run(&["remove", "--project", &dir, "opencode", "codex", "--yes"])
        .success();
    assert!(!t.exists("proj/opencode.json"));
    assert!(!t.exists("proj/.codex/config.toml"));
}

#[test]
fn gemini_cli_with_a_literal_key_is_refused() {
    let t = TestEnv::new();
    t.init("http://127.0.0.1:4000");
    let dir = t.home().join("proj");
    std::fs::create_dir_all(&dir).unwrap();
    let out = t
        .run(&[
            "setup",
            "--project",
            &dir.display().to_string(),
            "gemini-cli",
            "--yes",
        ])
        .code(2);
    no_key(&out);
    assert_eq!(
        out.stderr,
        "byok: error: Gemini CLI can only hold the key itself in .gemini/.env, and byok never writes a key into a project file; keep the key in an environment variable (`byok key set --key-env VAR`) and byok leaves it out of the file\nhint: `byok setup gemini-cli` sets Gemini CLI up for your user instead\n"
    );
    assert!(!t.exists("proj/.gemini"));
    // OpenCode runs no key command: a literal profile is refused there too.
    t.run(&[
        "setup",
        "--project",
        &dir.display().to_string(),
        "opencode",
        "--yes",
    ])
    .code(2);
    assert!(!t.exists("proj/opencode.json"));
}

#[test]
fn a_file_git_tracks_is_refused() {
    if !common::have("git") {
        println!("skipped: git is not on PATH, so there is no tracked file to refuse");
        return;
    }
    let t = TestEnv::new();
    t.init("http://127.0.0.1:4000");
    let proj = t.home().join("proj");
    repo(&t, &proj, EXCLUDE);
    let shared = "{\n  \"env\": {}\n}\n";
    t.write("proj/.claude/settings.local.json", shared);
    git(&t, &proj, &["add", ".claude/settings.local.json"]);
    let out = t
        .run(&[
            "setup",
            "--project",
            &proj.display().to_string(),
            "claude-code",
            "--yes",
        ])
        .code(2);
    assert!(
        t.normalize(&out.stderr).starts_with(
            "byok: error: git tracks ~/proj/.claude/settings.local.json: byok does not write its gateway settings into a file that gets committed\n"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(t.read("proj/.claude/settings.local.json"), shared);
    assert_eq!(t.read("proj/.git/info/exclude"), EXCLUDE);
}
