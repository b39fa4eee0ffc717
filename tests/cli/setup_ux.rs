//! Issue 8, items 11, 12 and 23: setup says what it will do before it does it.
//! `--key-mode helper` stops (exit 2) before writing a key into tools that can't run a key
//! command, unless `--allow-literal-keys`; a dry run over values changed by hand shows the
//! diff, names them and exits 1 like the real run would refuse; and a file setup creates
//! is reported as new, not as "original kept as backup".

use crate::common::{KEY, TestEnv};

const URL: &str = "https://gw.example";
const CLAUDE: &str = ".claude/settings.json";

/// A home where `--all` finds Claude Code (runs a key command) and Gemini CLI (does not).
fn claude_and_gemini() -> TestEnv {
    let t = TestEnv::new();
    t.init(URL);
    std::fs::create_dir_all(t.home().join(".claude")).unwrap();
    std::fs::create_dir_all(t.home().join(".gemini")).unwrap();
    t
}

#[test]
fn helper_mode_refuses_tools_without_a_key_command() {
    let t = claude_and_gemini();
    let before = t.tree();
    for mode in ["--yes", "--dry-run"] {
        let out = t
            .run(&["setup", "--all", "--key-mode", "helper", mode])
            .code(2);
        assert_eq!(out.stdout, "");
        assert_eq!(
            out.stderr,
            "byok: error: Gemini CLI can't run a key command: with --key-mode helper byok would still write the key itself into its files\n\
             hint: pass --allow-literal-keys to write the key into its files anyway, or leave it out: `byok setup claude-code --key-mode helper`\n"
        );
    }
    assert_eq!(t.tree(), before, "nothing was written");

    // Only tools without a key command: the hint offers the literal mode.
    let out = t
        .run(&["setup", "gemini-cli", "--key-mode", "helper", "--yes"])
        .code(2);
    assert!(
        out.stderr.ends_with(
            "hint: pass --allow-literal-keys to write the key into its files anyway, or leave --key-mode out: each tool then gets the strongest form it takes\n"
        ),
        "{out}"
    );
    // Tools that all run a key command need no flag.
    t.run(&["setup", "claude-code", "--key-mode", "helper", "--yes"])
        .success();
}

#[test]
fn helper_mode_with_allow_literal_keys_says_so_up_front() {
    let t = claude_and_gemini();
    let out = t
        .run(&[
            "setup",
            "--all",
            "--key-mode",
            "helper",
            "--allow-literal-keys",
            "--yes",
        ])
        .success();
    assert!(
        out.stdout.starts_with(
            "note: Gemini CLI can't run a key command, so the key itself is written into its files (mode 0600)\nClaude Code\n"
        ),
        "{out}"
    );
    assert!(!out.stdout.contains(KEY) && !out.stderr.contains(KEY));
    assert!(!t.read(CLAUDE).contains(KEY));
    assert!(t.read(".gemini/.env").contains(KEY));
}

#[test]
fn dry_run_over_hand_edits_shows_the_drift_and_exits_1() {
    let t = TestEnv::new();
    t.init(URL);
    t.run(&["setup", "claude-code", "--yes"]).success();
    let edited = t.read(CLAUDE).replace(
        "\"ANTHROPIC_MODEL\": \"claude-sonnet-4-5\"",
        "\"ANTHROPIC_MODEL\": \"my-model\"",
    );
    t.write(CLAUDE, &edited);

    let out = t.run(&["setup", "claude-code", "--dry-run"]).code(1);
    assert!(
        out.stdout.contains(
            "-    \"ANTHROPIC_MODEL\": \"my-model\",\n+    \"ANTHROPIC_MODEL\": \"claude-sonnet-4-5\",\n"
        ),
        "{out}"
    );
    assert!(
        out.stdout.ends_with(
            "  changed by hand since byok wrote them: ~/.claude/settings.json env.ANTHROPIC_MODEL; `--force` needed to overwrite\n"
        ),
        "{out}"
    );
    assert_eq!(out.stderr, "");
    assert!(!out.stdout.contains(KEY));
    assert_eq!(t.read(CLAUDE), edited, "a dry run writes nothing");

    // The real run refuses the same way; with --force both go ahead.
    t.run(&["setup", "claude-code", "--yes"]).code(2);
    let out = t
        .run(&["setup", "claude-code", "--dry-run", "--force"])
        .success();
    assert!(!out.stdout.contains("changed by hand"), "{out}");
    assert_eq!(t.read(CLAUDE), edited);
}

#[test]
fn new_files_are_reported_as_created_not_backed_up() {
    let t = TestEnv::new();
    t.init(URL);
    t.write(
        ".gemini/settings.json",
        "{\n  \"ui\": { \"theme\": \"GitHub\" }\n}\n",
    );
    let out = t.run(&["setup", "gemini-cli", "--yes"]).success();
    let lines: Vec<&str> = out.stdout.lines().take(3).collect();
    assert_eq!(lines[0], "Gemini CLI");
    assert!(
        lines[1].starts_with("  updated ~/.gemini/settings.json (original kept as backup ")
            && lines[1].ends_with(')'),
        "{out}"
    );
    assert_eq!(
        lines[2],
        "  created ~/.gemini/.env (a new file, so no backup: `byok restore` deletes it)"
    );
    t.run(&["restore", "--yes"]).success();
    assert!(!t.exists(".gemini/.env"), "restore deletes the new file");
}
