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
        .run(&["setup", "--project", &dir, "opencode", "qwen-code", "--yes"])
        .success();
    no_key(&out);
    assert!(
        out.stdout
            .contains("  key: a reference to $GW_KEY: no copy in its files\n")
    );
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
        t.read("proj/.qwen/settings.json"),
        r#"{
  "$version": 4,
  "modelProviders": {
    "openai": [
      {
        "id": "gpt-4o",
        "name": "gpt-4o (byok)",
        "baseUrl": "http://127.0.0.1:4000/v1",
        "envKey": "GW_KEY"
      }
    ]
  },
  "security": {
    "auth": {
      "selectedType": "openai"
    }
  },
  "model": {
    "name": "gpt-4o"
  }
}
"#
    );
    // Not 0600: nothing secret in them.
    assert_ne!(t.mode("proj/opencode.json") & 0o077, 0);
    t.run(&[
        "remove",
        "--project",
        &dir,
        "opencode",
        "qwen-code",
        "--yes",
    ])
    .success();
    assert!(!t.exists("proj/opencode.json"));
    assert!(!t.exists("proj/.qwen/settings.json"));
    // Codex ignores a project's provider settings: refused, with what works instead.
    let out = t
        .run(&["setup", "--project", &dir, "codex", "--yes"])
        .code(2);
    assert_eq!(
        out.stderr,
        "byok: error: byok knows no project-level file of Codex CLI that can give a project its own gateway\nhint: project files: claude-code, opencode, gemini-cli, qwen-code; for Codex CLI use `byok setup codex` (user scope), or `byok run codex` for one run on a profile\n"
    );
    assert!(!t.exists("proj/.codex"));
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

/// A home with profile `default` (literal key) for the user's settings of Claude Code,
/// Codex, Qwen Code, OpenCode and Gemini CLI, and profile `work` (key in `WORK_KEY`)
/// given to `~/work/app` with `setup --project` for Claude Code and Qwen Code; beside
/// byok's files, files of the team's: a shared `.claude/settings.json` pointing at their
/// proxy, a Qwen list one directory up, an OpenCode model and a Codex model of their own,
/// and a `.env` that Gemini CLI reads instead of `~/.gemini/.env`.
fn project_with_files_of_all_kinds() -> TestEnv {
    let mut t = TestEnv::new();
    t.set("WORK_KEY", "sk-work-0123456789abcdef");
    t.init("http://127.0.0.1:4000");
    t.run(&[
        "init",
        "--name",
        "work",
        "--url",
        "http://127.0.0.1:4100",
        "--key-env",
        "WORK_KEY",
        "--model",
        "m-work",
        "--no-default",
        "--yes",
    ])
    .success();
    no_key(
        &t.run(&[
            "setup",
            "claude-code",
            "codex",
            "qwen-code",
            "opencode",
            "gemini-cli",
            "--yes",
        ])
        .success(),
    );
    let proj = t.home().join("work/app");
    std::fs::create_dir_all(&proj).unwrap();
    let dir = proj.display().to_string();
    no_key(
        &t.run(&[
            "--profile",
            "work",
            "setup",
            "--project",
            &dir,
            "claude-code",
            "qwen-code",
            "--yes",
        ])
        .success(),
    );
    t.write(
        "work/app/.claude/settings.json",
        "{\n  \"permissions\": { \"allow\": [\"Bash(npm test)\"] },\n  \"env\": { \"ANTHROPIC_BASE_URL\": \"https://llm-proxy.corp.example\" }\n}\n",
    );
    t.write(
        "work/.qwen/settings.json",
        "{\n  // the team's model list\n  \"modelProviders\": {\n    \"openai\": [{ \"id\": \"qwen3-coder\", \"baseUrl\": \"https://qwen.corp.example/v1\", \"envKey\": \"CORP_KEY\" }]\n  },\n  \"model\": { \"name\": \"qwen3-coder\" }\n}\n",
    );
    t.write(
        "work/app/opencode.json",
        "{\n  \"$schema\": \"https://opencode.ai/config.json\",\n  \"model\": \"corp/big\"\n}\n",
    );
    t.write("work/app/.codex/config.toml", "model = \"gpt-5-codex\"\n");
    t.write("work/app/.env", "DATABASE_URL=postgres://localhost/app\n");
    t
}

/// `detect` in a project names, per tool, the project files read there over the user's
/// settings and which wins: byok's own names its profile, the others what they set.
#[test]
fn detect_in_a_project_names_the_files_that_win_and_the_profile() {
    let t = project_with_files_of_all_kinds();
    let proj = t.home().join("work/app").display().to_string();
    let out = t.run(&["detect", "--project", &proj]).success();
    no_key(&out);
    let shown: String = out
        .stdout
        .lines()
        .filter(|l| !l.ends_with("not installed"))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!(shown, @r#"
    Claude Code    configured (profile default)
                   note: project file ~/work/app/.claude/settings.local.json (written by byok): profile `work` wins here
                   note: project file ~/work/app/.claude/settings.json (not written by byok) sets base URL https://llm-proxy.corp.example; ~/work/app/.claude/settings.local.json wins over it
                   config dir ~/.claude
                   state file ~/.claude.json
                   config ~/.claude/settings.json
                   config ~/.claude.json
    Codex CLI      configured (profile default)
                   warning: project file ~/work/app/.codex/config.toml (not written by byok) sets model = "gpt-5-codex"
                     hint: take those out of that file if Codex CLI should use the gateway in this project
                   config dir ~/.codex
                   config ~/.codex/config.toml
                   config ~/.codex/.env (not yet created)
    OpenCode       configured (profile default)
                   warning: project file ~/work/app/opencode.json (not written by byok) sets model = "corp/big"
                     hint: `byok setup --project ~/work/app opencode` gives this project byok's settings; or take those out of that file
                   config dir ~/.config/opencode
                   config ~/.config/opencode/opencode.jsonc
    Gemini CLI     configured (profile default)
                   warning: project file ~/work/app/.env (not written by byok) is read instead of your user settings; it wins here
                     hint: `byok setup --project ~/work/app gemini-cli` gives this project byok's settings; or take those out of that file
                   config dir ~/.gemini
                   config ~/.gemini/settings.json
                   config ~/.gemini/.env
    Qwen Code      configured (profile default)
                   note: project file ~/work/app/.qwen/settings.json (written by byok): profile `work` wins here
                   note: project file ~/work/.qwen/settings.json (not written by byok) sets base URL https://qwen.corp.example/v1, modelProviders, model.name = "qwen3-coder"; ~/work/app/.qwen/settings.json wins over it
                   config dir ~/.qwen
                   config ~/.qwen/settings.json
                   config ~/.qwen/.env
    "#);
}

/// The same from the project's own directory, none elsewhere; `detect --json` carries
/// each file, `doctor` a check per file; once byok's file is removed, the team's wins.
#[test]
fn project_files_in_detect_json_and_doctor() {
    let t = project_with_files_of_all_kinds();
    let proj = t.home().join("work/app");
    let dir = proj.display().to_string();
    let flagged = t.run(&["detect", "--project", &dir]).success();
    let inside = t
        .command()
        .current_dir(&proj)
        .arg("detect")
        .output()
        .unwrap();
    assert_eq!(
        t.normalize(&String::from_utf8_lossy(&inside.stdout)),
        flagged.stdout
    );
    let elsewhere = t.run(&["detect"]).success();
    assert!(!elsewhere.stdout.contains("project file"), "{elsewhere}");

    let out = t.run(&["detect", "--json", "--project", &dir]).success();
    no_key(&out);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let claude = doc["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "claude-code")
        .unwrap();
    assert_eq!(
        t.normalize(&claude["project"].to_string()),
        serde_json::json!([
            {
                "path": "[HOME]/work/app/.claude/settings.local.json",
                "written_by_byok": true,
                "profile": "work",
                "base_urls": ["http://127.0.0.1:4100"],
                "sets": [
                    "env.ANTHROPIC_AUTH_TOKEN", "env.ANTHROPIC_API_KEY", "env.ANTHROPIC_MODEL",
                    "env.ANTHROPIC_DEFAULT_OPUS_MODEL", "env.ANTHROPIC_DEFAULT_SONNET_MODEL",
                    "env.ANTHROPIC_DEFAULT_HAIKU_MODEL", "env.ANTHROPIC_SMALL_FAST_MODEL",
                    "apiKeyHelper"
                ],
                "replaces_user_settings": false,
                "wins": true,
                "message": "project file ~/work/app/.claude/settings.local.json (written by byok): profile `work` wins here"
            },
            {
                "path": "[HOME]/work/app/.claude/settings.json",
                "written_by_byok": false,
                "profile": null,
                "base_urls": ["https://llm-proxy.corp.example"],
                "sets": [],
                "replaces_user_settings": false,
                "wins": false,
                "message": "project file ~/work/app/.claude/settings.json (not written by byok) sets base URL https://llm-proxy.corp.example; ~/work/app/.claude/settings.local.json wins over it"
            }
        ])
        .to_string()
    );

    // Doctor: one check per file, byok's a note, the team's a warning where it wins.
    no_key(
        &t.run(&["remove", "--project", &dir, "claude-code", "--yes"])
            .success(),
    );
    let out = t.run(&[
        "doctor",
        "--quick",
        "--json",
        "--project",
        &dir,
        "--url",
        "http://127.0.0.1:1",
    ]);
    no_key(&out);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let project: Vec<String> = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"].as_str().is_some_and(|id| id.contains(".project.")))
        .map(|c| {
            format!(
                "{} {} {}: {}",
                c["id"].as_str().unwrap(),
                c["severity"].as_str().unwrap(),
                c["name"].as_str().unwrap(),
                c["message"].as_str().unwrap()
            )
        })
        .collect();
    insta::assert_snapshot!(project.join("\n"), @r#"
    tool.claude-code.project.1 warn Claude Code: project file ~/work/app/.claude/settings.json (not written by byok) sets base URL https://llm-proxy.corp.example; it wins here
    tool.codex.project.1 warn Codex CLI: project file ~/work/app/.codex/config.toml (not written by byok) sets model = "gpt-5-codex"
    tool.opencode.project.1 warn OpenCode: project file ~/work/app/opencode.json (not written by byok) sets model = "corp/big"
    tool.gemini-cli.project.1 warn Gemini CLI: project file ~/work/app/.env (not written by byok) is read instead of your user settings; it wins here
    tool.qwen-code.project.1 info Qwen Code: project file ~/work/app/.qwen/settings.json (written by byok): profile `work` wins here
    tool.qwen-code.project.2 info Qwen Code: project file ~/work/.qwen/settings.json (not written by byok) sets base URL https://qwen.corp.example/v1, modelProviders, model.name = "qwen3-coder"; ~/work/app/.qwen/settings.json wins over it
    "#);
}
