//! `byok run`: a fake tool on PATH (tests/fixtures/run/fake-tool.sh) records what byok
//! started it with, proving the variables, the stale ones removed, no key in argv, the
//! exit code passed on, and the private temporary file gone after exit, also when the
//! tool was killed; `--print`'s exact lines.

#![cfg(unix)]

use std::path::PathBuf;

use crate::common::{KEY, TestEnv};

const URL: &str = "http://127.0.0.1:9";

/// A home with the standard profile and the fake tool on PATH as `names`.
fn home(names: &[&str]) -> (TestEnv, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let mut t = TestEnv::new();
    t.init(URL);
    let bin = t.root().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/run/fake-tool.sh"
    );
    for n in names {
        let p = bin.join(n);
        std::fs::copy(script, &p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let record = t.root().join("record.txt");
    t.set("PATH", format!("{}:/usr/bin:/bin", bin.display()));
    t.set("FAKE_OUT", record.display().to_string());
    (t, record)
}

/// The recorded lines starting with `prefix` (without it).
fn lines(record: &str, prefix: &str) -> Vec<String> {
    record
        .lines()
        .filter_map(|l| l.strip_prefix(prefix))
        .map(str::to_string)
        .collect()
}

/// The temporary file the tool was given (`file <path> mode <m>`), and its mode.
fn temp_file(record: &str) -> (PathBuf, String) {
    let line = lines(record, "file ").pop().expect("a file argument");
    let (path, mode) = line.rsplit_once(" mode ").unwrap();
    (PathBuf::from(path), mode.to_string())
}

#[test]
fn claude_code_gets_a_private_settings_file_that_is_gone_after_exit() {
    let (mut t, record) = home(&["claude"]);
    t.write(
        ".claude/settings.json",
        "{\n  \"env\": { \"ANTHROPIC_AUTH_TOKEN\": \"sk-user-old\" }\n}\n",
    );
    let before = t.tree();
    let settings = t.read(".claude/settings.json");
    t.set("ANTHROPIC_API_KEY", "sk-stale-shell-key");
    t.set("FAKE_END", "3");
    let out = t.run(&["run", "claude-code", "--", "-p", "hi"]).code(3);
    assert_eq!(out.stdout, "");
    let rec = std::fs::read_to_string(&record).unwrap();
    let (file, mode) = temp_file(&rec);
    let args = lines(&rec, "arg ");
    assert_eq!(
        args,
        ["--settings", &file.display().to_string(), "-p", "hi"]
    );
    assert_eq!(mode, "600");
    assert!(file.ends_with("settings.json"));
    assert!(!file.exists(), "the temporary file outlived the tool");
    assert!(
        !file.parent().unwrap().exists(),
        "the temporary directory outlived the tool"
    );
    // The stale key is not passed on; the settings file runs byok for the key.
    let env = lines(&rec, "env ");
    assert!(
        !env.iter().any(|l| l.starts_with("ANTHROPIC_API_KEY=")),
        "{env:?}"
    );
    assert!(
        rec.contains("\"ANTHROPIC_BASE_URL\": \"http://127.0.0.1:9\""),
        "{rec}"
    );
    assert!(
        rec.contains("\"ANTHROPIC_MODEL\": \"claude-sonnet-4-5\""),
        "{rec}"
    );
    assert!(rec.contains("print-key --profile 'default'\""), "{rec}");
    assert!(
        !rec.contains(KEY),
        "the key reached argv or the temporary file:\n{rec}"
    );
    // The user's files are untouched.
    assert_eq!(t.tree(), before);
    assert_eq!(t.read(".claude/settings.json"), settings);
}

#[test]
fn a_killed_tool_still_has_its_temporary_file_removed() {
    for (end, code) in [("kill", 128 + 9), ("term", 128 + 15)] {
        let (mut t, record) = home(&["claude"]);
        t.set("FAKE_END", end);
        t.run(&["run", "claude-code"]).code(code);
        let rec = std::fs::read_to_string(&record).unwrap();
        let (file, _) = temp_file(&rec);
        assert!(
            !file.parent().unwrap().exists(),
            "{end}: {}",
            file.display()
        );
    }
}

/// byok itself killed (SIGKILL: no chance to clean up) leaves its temporary directory;
/// the next `byok run` deletes it, and only it: not a live process's directory, not a
/// link named like one, not anything else in byok's run dir.
#[test]
fn a_directory_left_by_a_killed_byok_goes_at_the_next_run() {
    let (mut t, record) = home(&["claude"]);
    t.set("FAKE_END", "kill-parent");
    t.run(&["run", "claude-code"]).code(-1);
    let rec = std::fs::read_to_string(&record).unwrap();
    let (file, _) = temp_file(&rec);
    let left = file.parent().unwrap().to_path_buf();
    assert!(left.exists(), "byok was killed before it could clean up");
    let run_dir = left.parent().unwrap().to_path_buf();
    let dead = left.file_name().unwrap().to_str().unwrap().to_string();
    // Decoys: a live process's directory, a link named like a dead one's (pointing at a
    // directory of the user's), and a directory of another name.
    let live = run_dir.join(format!("byok-run-{}-live", std::process::id()));
    std::fs::create_dir(&live).unwrap();
    std::fs::write(live.join("settings.json"), "{}").unwrap();
    let mine = t.write("keep/notes.txt", "mine");
    let link = run_dir.join(format!("{dead}-link"));
    std::os::unix::fs::symlink(mine.parent().unwrap(), &link).unwrap();
    let other = run_dir.join("other-dir");
    std::fs::create_dir(&other).unwrap();
    t.set("FAKE_END", "0");
    t.run(&["run", "claude-code"]).success();
    assert!(!left.exists(), "the killed byok's directory is gone");
    assert!(live.join("settings.json").exists());
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(t.read("keep/notes.txt"), "mine");
    assert!(other.exists());
    let mut names: Vec<String> = std::fs::read_dir(&run_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut want = [
        format!("{dead}-link"),
        format!("byok-run-{}-live", std::process::id()),
        "other-dir".to_string(),
    ];
    names.sort();
    want.sort();
    assert_eq!(names, want);
}

#[test]
fn codex_gets_config_overrides_and_the_key_in_a_variable_only() {
    let (mut t, record) = home(&["codex"]);
    t.write(".codex/.env", "BYOK_API_KEY='sk-other-profile'\n");
    t.set("FAKE_END", "5");
    t.run(&["run", "codex", "exec", "say hi"]).code(5);
    let rec = std::fs::read_to_string(&record).unwrap();
    assert_eq!(
        lines(&rec, "arg "),
        [
            "-c",
            "model_provider=\"byok_run\"",
            "-c",
            "model=\"gpt-4o\"",
            "-c",
            "model_providers.byok_run.name=\"byok\"",
            "-c",
            "model_providers.byok_run.base_url=\"http://127.0.0.1:9/v1\"",
            "-c",
            "model_providers.byok_run.wire_api=\"responses\"",
            "-c",
            "model_providers.byok_run.env_key=\"BYOK_RUN_API_KEY\"",
            "exec",
            "say hi",
        ]
    );
    assert!(lines(&rec, "env ").contains(&format!("BYOK_RUN_API_KEY={KEY}")));
    assert_eq!(t.read(".codex/.env"), "BYOK_API_KEY='sk-other-profile'\n");
}

#[test]
fn continue_gets_a_private_config_and_the_key_in_a_variable_only() {
    let (mut t, record) = home(&["cn"]);
    let dotenv = "BYOK_API_KEY='sk-other-profile'\n";
    t.write(".continue/.env", dotenv);
    let before = t.tree();
    t.set("FAKE_END", "4");
    t.run(&["run", "continue", "--", "-p", "hi"]).code(4);
    let rec = std::fs::read_to_string(&record).unwrap();
    let (file, mode) = temp_file(&rec);
    assert_eq!(
        lines(&rec, "arg "),
        ["--config", &file.display().to_string(), "-p", "hi"]
    );
    assert_eq!(mode, "600");
    assert!(
        !file.parent().unwrap().exists(),
        "the temporary directory outlived cn"
    );
    // The config setup would create, naming the secret `cn` reads from its environment.
    for want in [
        "  - name: byok (OpenAI) # managed by byok\n    provider: openai\n    model: gpt-4o\n    apiBase: http://127.0.0.1:9/v1\n    apiKey: \"${{ secrets.BYOK_API_KEY }}\"\n",
        "  - name: byok (Anthropic) # managed by byok\n",
    ] {
        assert!(rec.contains(want), "{want} missing:\n{rec}");
    }
    assert!(lines(&rec, "env ").contains(&format!("BYOK_API_KEY={KEY}")));
    assert!(
        !lines(&rec, "arg ").iter().any(|a| a.contains(KEY))
            && !rec.contains(&format!("apiKey: {KEY}")),
        "{rec}"
    );
    assert_eq!(t.tree(), before);
    assert_eq!(t.read(".continue/.env"), dotenv);
}

#[test]
fn copilot_cli_gets_its_exports_and_loses_a_stale_token() {
    let (mut t, record) = home(&["copilot"]);
    t.set("COPILOT_PROVIDER_BEARER_TOKEN", "stale");
    t.run(&["run", "copilot-cli", "-p", "hi"]).success();
    let rec = std::fs::read_to_string(&record).unwrap();
    let env = lines(&rec, "env ");
    for want in [
        "COPILOT_PROVIDER_BASE_URL=http://127.0.0.1:9/v1",
        "COPILOT_PROVIDER_TYPE=openai",
        "COPILOT_MODEL=gpt-4o",
    ] {
        assert!(env.iter().any(|l| l == want), "{want} missing: {env:?}");
    }
    assert!(
        env.iter()
            .any(|l| l.starts_with("COPILOT_PROVIDER_API_KEY_COMMAND=")
                && l.ends_with(" --profile default print-key")),
        "{env:?}"
    );
    assert!(
        !env.iter()
            .any(|l| l.starts_with("COPILOT_PROVIDER_BEARER_TOKEN="))
    );
    assert!(!rec.contains(KEY));
}

#[test]
fn print_shows_the_line_to_copy_with_the_key_masked_or_referenced() {
    let (t, _) = home(&[]);
    let out = t.run(&["run", "--print", "aider"]).success();
    assert_eq!(
        out.stdout,
        "env -u OPENAI_BASE_URL -u OPENAI_API_BASE AIDER_MODEL=openai/gpt-4o AIDER_OPENAI_API_BASE=http://127.0.0.1:9/v1 AIDER_OPENAI_API_KEY='sk-…cdef' aider\n"
    );
    assert!(!out.stdout.contains(KEY) && !out.stderr.contains(KEY));
    let out = t
        .run(&[
            "run",
            "--print",
            "--show-key",
            "qwen-code",
            "--",
            "-p",
            "say hi",
        ])
        .success();
    assert_eq!(
        out.stdout,
        format!(
            "env OPENAI_BASE_URL=http://127.0.0.1:9/v1 OPENAI_API_KEY={KEY} OPENAI_MODEL=gpt-4o qwen --auth-type openai --model gpt-4o -p 'say hi'\n"
        )
    );
    // A run that needs a temporary file is byok's own.
    let out = t.run(&["run", "--print", "claude-code"]).success();
    assert_eq!(out.stdout, "'[BYOK]' run --profile 'default' claude-code\n");
    // A profile keeping its key in a variable: a reference, never the key.
    let mut t = t;
    t.set("GW_KEY", KEY);
    t.run(&[
        "init",
        "--name",
        "envkey",
        "--url",
        URL,
        "--key-env",
        "GW_KEY",
        "--model",
        "m1",
        "--yes",
    ])
    .success();
    let out = t
        .run(&[
            "run",
            "--profile",
            "envkey",
            "--print",
            "--show-key",
            "codex",
        ])
        .success();
    assert_eq!(
        out.stdout,
        format!(
            "env BYOK_RUN_API_KEY={KEY} codex -c 'model_provider=\"byok_run\"' -c 'model=\"m1\"' -c 'model_providers.byok_run.name=\"byok\"' -c 'model_providers.byok_run.base_url=\"http://127.0.0.1:9/v1\"' -c 'model_providers.byok_run.wire_api=\"responses\"' -c 'model_providers.byok_run.env_key=\"BYOK_RUN_API_KEY\"'\n"
        )
    );
    let out = t
        .run(&["run", "--profile", "envkey", "--print", "gemini-cli"])
        .success();
    assert_eq!(out.stdout, "'[BYOK]' run --profile 'envkey' gemini-cli\n");
    let out = t
        .run(&["run", "--profile", "envkey", "--print", "copilot-cli"])
        .success();
    assert_eq!(
        out.stdout,
        "env -u COPILOT_PROVIDER_API_KEY_COMMAND -u COPILOT_PROVIDER_BEARER_TOKEN COPILOT_PROVIDER_BASE_URL=http://127.0.0.1:9/v1 COPILOT_PROVIDER_TYPE=openai COPILOT_MODEL=m1 COPILOT_PROVIDER_API_KEY=\"$GW_KEY\" copilot\n"
    );
    let out = t
        .run(&["run", "--profile", "envkey", "--print", "aider"])
        .success();
    assert!(
        out.stdout
            .contains("AIDER_OPENAI_API_KEY=\"$GW_KEY\" aider"),
        "{out}"
    );
}

#[test]
fn a_tool_without_a_one_process_override_is_a_usage_error() {
    let (t, _) = home(&[]);
    let out = t.run(&["run", "zed"]).code(2);
    assert_eq!(
        out.stderr,
        "byok: error: Zed has no one-process override; use `byok setup zed` (or `byok env` for env-driven tools)\n"
    );
}
