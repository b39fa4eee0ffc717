//! Issue 8's file-safety classes, through the real binary: restore sees every edit byok
//! did not make (not only the last write), steps back one write; symlinks (dangling ones
//! too) stay links; special files are refused, never read or replaced; owner and umask
//! are honoured; one real file reached by two paths is planned once; temp files a killed
//! byok left behind are swept.

use std::path::Path;

use crate::common::{KEY, Output, TestEnv};

const SETTINGS: &str = ".claude/settings.json";
const STATE: &str = ".claude.json";
const URL: &str = "https://gw.example.com";
const SECOND_KEY: &str = "sk-second-key-9876543210zyx";
const ORIGINAL: &str = "{\n  // mine\n  \"model\": \"sonnet\",\n  \"env\": {\n    \"DISABLE_TELEMETRY\": \"1\"\n  }\n}\n";

#[track_caller]
fn no_keys(out: Output) -> Output {
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        !all.contains(KEY) && !all.contains(SECOND_KEY),
        "a key leaked:\n{out}"
    );
    out
}

fn home() -> TestEnv {
    let t = TestEnv::new();
    t.write(SETTINGS, ORIGINAL);
    t.init(URL);
    t
}

fn reinit_with_second_key(t: &TestEnv) {
    t.run(&[
        "init",
        "--url",
        URL,
        "--key",
        SECOND_KEY,
        "--model",
        "gpt-4o",
        "--anthropic-model",
        "claude-sonnet-4-5",
        "--yes",
    ])
    .success();
}

/// A user edit between two byok writes (setup, key change, setup) used to be rolled back
/// silently because restore compared the file only with byok's latest write.
#[test]
fn restore_refuses_to_drop_an_edit_made_between_two_byok_writes() {
    let t = home();
    no_keys(
        t.run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
            .success(),
    );
    let edited = t
        .read(SETTINGS)
        .replacen("{\n", "{\n  \"alwaysThinkingEnabled\": true,\n", 1);
    t.write(SETTINGS, &edited);
    reinit_with_second_key(&t);
    no_keys(
        t.run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
            .success(),
    );
    let now = t.read(SETTINGS);
    assert!(now.contains("alwaysThinkingEnabled") && now.contains(SECOND_KEY));

    let out = no_keys(t.run(&["restore", "--yes"]).code(2));
    assert!(
        out.stderr
            .contains("edits to ~/.claude/settings.json that byok did not make"),
        "{out}"
    );
    assert!(
        out.stderr.contains("+  \"alwaysThinkingEnabled\": true,"),
        "the lost edit is shown:\n{out}"
    );
    assert!(
        out.stderr.contains(
            "byok: error: changed since byok wrote them, by you or another program: ~/.claude/settings.json\n"
        ),
        "{out}"
    );
    assert_eq!(t.read(SETTINGS), now, "a refused restore writes nothing");

    no_keys(t.run(&["restore", "--yes", "--force"]).success());
    assert_eq!(t.read(SETTINGS), ORIGINAL);
    assert!(!t.exists(STATE), "byok created it, restore deletes it");
}

/// setup → remove → hand edit → setup: the edit sits between byok's second and third writes.
#[test]
fn restore_sees_an_edit_made_after_remove() {
    let t = home();
    t.run(&["setup", "claude-code", "--yes"]).success();
    t.run(&["remove", "claude-code", "--yes"]).success();
    let edited = t.read(SETTINGS).replace("\"sonnet\"", "\"opus\"");
    t.write(SETTINGS, &edited);
    t.run(&["setup", "claude-code", "--yes"]).success();
    let out = no_keys(
        t.run(&["restore", "--tool", "claude-code", "--yes"])
            .code(2),
    );
    assert!(out.stderr.contains("-  \"model\": \"sonnet\","), "{out}");
    assert!(out.stderr.contains("+  \"model\": \"opus\","), "{out}");
}

/// Without foreign edits restore still goes through, across many writes.
#[test]
fn restore_after_several_clean_writes_needs_no_force() {
    let t = home();
    t.run(&["setup", "claude-code", "--yes"]).success();
    reinit_with_second_key(&t);
    t.run(&["setup", "claude-code", "--yes"]).success();
    t.run(&["remove", "claude-code", "--yes"]).success();
    no_keys(t.run(&["restore", "--yes"]).success());
    assert_eq!(t.read(SETTINGS), ORIGINAL);
}

fn write_ids(t: &TestEnv, file: &str) -> Vec<String> {
    let list = t.run(&["restore", "--list"]).success().stdout;
    let mut ids = Vec::new();
    let mut in_file = false;
    for line in list.lines() {
        if !line.starts_with(' ') {
            in_file = line.contains(&format!(" {file}  "));
        } else if in_file {
            ids.push(line.split_whitespace().next().unwrap().to_string());
        }
    }
    ids
}

#[test]
fn restore_steps_back_one_write() {
    let t = home();
    t.run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
        .success();
    let after_first = t.read(SETTINGS);
    reinit_with_second_key(&t);
    t.run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
        .success();
    let ids = write_ids(&t, "~/.claude/settings.json");
    assert_eq!(ids.len(), 2, "{ids:?}");

    let out = no_keys(t.run(&["restore", &ids[1], "--yes"]).success());
    assert!(
        out.stdout
            .starts_with("restored ~/.claude/settings.json to before write ")
    );
    assert_eq!(t.read(SETTINGS), after_first);
    assert_eq!(write_ids(&t, "~/.claude/settings.json"), ids[..1]);
    // Then all the way back.
    t.run(&["restore", &ids[0], "--yes"]).success();
    assert_eq!(t.read(SETTINGS), ORIGINAL);
}

#[test]
fn stepping_back_refuses_to_drop_a_later_edit() {
    let t = home();
    t.run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
        .success();
    reinit_with_second_key(&t);
    t.run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
        .success();
    let ids = write_ids(&t, "~/.claude/settings.json");
    let edited = t.read(SETTINGS).replace("\"sonnet\"", "\"opus\"");
    t.write(SETTINGS, &edited);
    let out = no_keys(t.run(&["restore", &ids[1], "--yes"]).code(2));
    assert!(out.stderr.contains("+  \"model\": \"opus\","), "{out}");
    assert_eq!(t.read(SETTINGS), edited);
}

#[cfg(unix)]
fn is_link(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
}

/// A dotfiles manager's link whose target does not exist yet: byok writes the target and
/// keeps the link; restore deletes what byok created, the link stays.
#[cfg(unix)]
#[test]
fn a_dangling_link_is_written_through_and_kept() {
    let t = TestEnv::new();
    t.init(URL);
    std::fs::create_dir_all(t.home().join("dotfiles")).unwrap();
    std::fs::create_dir_all(t.home().join(".claude")).unwrap();
    let link = t.home().join(SETTINGS);
    std::os::unix::fs::symlink("../dotfiles/claude-settings.json", &link).unwrap();

    t.run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
        .success();
    assert!(is_link(&link), "the link was replaced");
    let written = t.read("dotfiles/claude-settings.json");
    assert!(written.contains("\"ANTHROPIC_BASE_URL\": \"https://gw.example.com\""));
    assert_eq!(
        t.run(&["setup", "claude-code", "--key-mode", "literal", "--yes"])
            .success()
            .stdout,
        "Claude Code\n  up to date\n"
    );

    t.run(&["restore", "--yes"]).success();
    assert!(is_link(&link), "restore deleted the link");
    assert!(!t.exists("dotfiles/claude-settings.json"));
}

#[cfg(unix)]
#[test]
fn a_link_to_a_device_is_refused_and_left_alone() {
    let t = TestEnv::new();
    t.init(URL);
    std::fs::create_dir_all(t.home().join(".claude")).unwrap();
    let link = t.home().join(SETTINGS);
    std::os::unix::fs::symlink("/dev/null", &link).unwrap();
    let out = t.run(&["setup", "claude-code", "--yes"]).code(2);
    assert!(
        out.stderr
            .contains("byok: error: [HOME]/.claude/settings.json (a link to /dev/null) is a device, not a regular file; byok reads and writes only regular files\n"),
        "{out}"
    );
    assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("/dev/null"));
}

/// Reading a FIFO blocks until someone writes to it: detect and setup hung forever.
#[cfg(unix)]
#[test]
fn a_fifo_config_is_refused_without_hanging() {
    let t = TestEnv::new();
    t.init("http://127.0.0.1:9");
    std::fs::create_dir_all(t.home().join(".claude")).unwrap();
    let fifo = t.home().join(SETTINGS);
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let out = run_bounded(&t, &["setup", "claude-code", "--yes"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr
            .contains("settings.json is a named pipe (FIFO), not a regular file"),
        "{out}"
    );
    // detect and doctor name it as that tool's error and go on with the others.
    let out = run_bounded(&t, &["detect"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.starts_with(
            "Claude Code    error: [HOME]/.claude/settings.json is a named pipe (FIFO), not a regular file"
        ),
        "{out}"
    );
    assert!(
        out.stdout.contains("\nCodex CLI      not installed\n"),
        "{out}"
    );
    let out = run_bounded(&t, &["doctor", "--quick", "--timeout", "1"]);
    assert!(
        out.stdout.contains("could not read its settings: "),
        "{out}"
    );
}

/// Runs byok, failing the test instead of hanging when byok blocks.
fn run_bounded(t: &TestEnv, args: &[&str]) -> Output {
    let mut child = t
        .command()
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("byok {args:?} hung");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Output {
        stdout: t.normalize(&String::from_utf8_lossy(&out.stdout)),
        stderr: t.normalize(&String::from_utf8_lossy(&out.stderr)),
        code: out.status.code().unwrap_or(-1),
    }
}

fn uid(p: &Path) -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).unwrap().uid()
}

/// `sudo byok setup …` keeping HOME: files and directories byok writes in the user's
/// home keep (or get) the user's owner, not root.
#[cfg(unix)]
#[test]
fn files_keep_their_owner_when_run_as_root() {
    let t = home();
    if uid(t.root()) != 0 {
        return; // only root can give files away; CI runs as root
    }
    let chown = std::process::Command::new("chown")
        .args(["-R", "1234:1234"])
        .arg(t.home())
        .status()
        .unwrap();
    assert!(chown.success());
    t.run(&["setup", "claude-code", "--yes"]).success();
    for rel in [SETTINGS, STATE, ".local/state/byok/backups/manifest.json"] {
        assert_eq!(uid(&t.home().join(rel)), 1234, "{rel}");
    }
    t.run(&["restore", "--yes"]).success();
    assert_eq!(uid(&t.home().join(SETTINGS)), 1234);
}

fn run_with_umask(t: &TestEnv, umask: &str, args: &[&str]) -> Output {
    let byok = t.command();
    let mut cmd = std::process::Command::new("sh");
    cmd.env_clear();
    for (k, v) in byok.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    cmd.current_dir(t.root())
        .arg("-c")
        .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
        .arg(byok.get_program())
        .args(args);
    let out = cmd.output().unwrap();
    Output {
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// New files follow the user's umask (the key-holding ones stay 0600 whatever it says).
#[cfg(unix)]
#[test]
fn new_files_honour_the_umask() {
    for (umask, want) in [("077", 0o600), ("002", 0o664), ("022", 0o644)] {
        let t = TestEnv::new();
        t.init(URL);
        run_with_umask(&t, umask, &["env", "--install", "--shell", "bash"]).success();
        assert_eq!(t.mode(".bashrc"), want, "umask {umask}");
        run_with_umask(
            &t,
            umask,
            &["setup", "claude-code", "--key-mode", "literal", "--yes"],
        )
        .success();
        assert_eq!(t.mode(SETTINGS), 0o600, "umask {umask}: it holds the key");
    }
}

/// Temp files of a byok killed mid-write (they may hold the key) are swept by the next
/// write in that directory; a live writer's are left alone.
#[test]
fn stale_temp_files_are_swept() {
    let t = home();
    let dead = ".claude/.byok-999999999-AbCdEf.tmp";
    let live = format!(".claude/.byok-{}-GhIjKl.tmp", std::process::id());
    t.write(dead, KEY);
    t.write(&live, "x");
    t.write(".claude/.byok-notmine.txt", "x");
    t.run(&["setup", "claude-code", "--yes"]).success();
    assert!(!t.exists(dead), "a dead writer's temp file stays");
    assert!(t.exists(&live), "a live writer's temp file was removed");
    assert!(t.exists(".claude/.byok-notmine.txt"));
}

/// Two editor hosts whose settings.json is one file (a symlink): each real file is
/// planned once, so setup and remove no longer fail half-way with "changed while byok
/// was working".
#[cfg(unix)]
#[test]
fn one_settings_file_shared_by_two_hosts_is_planned_once() {
    let t = TestEnv::new();
    t.init(URL);
    let settings = "{\n  // shared between editors\n  \"editor.fontSize\": 13\n}\n";
    t.write(".config/Code/User/settings.json", settings);
    std::fs::create_dir_all(t.home().join(".config/VSCodium/User")).unwrap();
    std::os::unix::fs::symlink(
        t.home().join(".config/Code/User/settings.json"),
        t.home().join(".config/VSCodium/User/settings.json"),
    )
    .unwrap();
    t.write(
        ".vscode/extensions/rooveterinaryinc.roo-cline-3.52.1/package.json",
        "{}",
    );
    t.write(
        ".vscode-oss/extensions/rooveterinaryinc.roo-cline-3.52.1/package.json",
        "{}",
    );
    let out = no_keys(t.run(&["setup", "roo-code", "--yes"]).success());
    assert_eq!(
        out.stdout.matches("User/settings.json").count(),
        1,
        "one real file, one write:\n{out}"
    );
    let written = t.read(".config/Code/User/settings.json");
    assert_eq!(
        written.matches("roo-cline.autoImportSettingsPath").count(),
        1
    );
    assert!(is_link(
        &t.home().join(".config/VSCodium/User/settings.json")
    ));
    t.run(&["setup", "roo-code", "--yes"]).success();
    no_keys(t.run(&["remove", "roo-code", "--yes"]).success());
    assert_eq!(t.read(".config/Code/User/settings.json"), settings);
}

/// One editable tool file for the lifecycle property: where it is, how it starts, how a
/// user adds a top-level key by hand, and how to read it back.
struct Subject {
    tool: &'static str,
    file: &'static str,
    original: &'static str,
    add: fn(&str, &str, &str) -> String,
    parse: fn(&str) -> serde_json::Value,
}

fn json_add(text: &str, k: &str, v: &str) -> String {
    text.replacen('{', &format!("{{\n  \"{k}\": \"{v}\","), 1)
}

fn json_parse(text: &str) -> serde_json::Value {
    byok::config_edit::jsonc::parse(text).unwrap().unwrap()
}

fn toml_add(text: &str, k: &str, v: &str) -> String {
    format!("{k} = \"{v}\"\n{text}")
}

fn toml_parse(text: &str) -> serde_json::Value {
    serde_json::to_value(toml::from_str::<toml::Table>(text).unwrap()).unwrap()
}

const SUBJECTS: [Subject; 3] = [
    Subject {
        tool: "claude-code",
        file: SETTINGS,
        original: ORIGINAL,
        add: json_add,
        parse: json_parse,
    },
    Subject {
        tool: "codex",
        file: ".codex/config.toml",
        original: "# my codex\napproval_policy = \"on-request\"\n\n[mcp_servers.docs]\ncommand = \"docs-mcp\"\n",
        add: toml_add,
        parse: toml_parse,
    },
    Subject {
        tool: "gemini-cli",
        file: ".gemini/settings.json",
        original: "{\n  \"ui\": { \"theme\": \"GitHub\" }\n}\n",
        add: json_add,
        parse: json_parse,
    },
];

#[derive(Debug, Clone)]
enum Op {
    Setup,
    Remove,
    Edit,
    Restore,
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        Just(Op::Setup),
        Just(Op::Remove),
        Just(Op::Edit),
        Just(Op::Restore)
    ]
}

/// Runs one sequence of setup / hand edit / remove / restore and checks after every step
/// that each hand edit is still there, or that restore refused (changing nothing).
fn lifecycle(s: &Subject, ops: &[Op]) {
    let t = TestEnv::new();
    t.write(s.file, s.original);
    t.init(URL);
    let mut edits: Vec<(String, String)> = Vec::new();
    let (mut backed_up, mut edited_since_backup) = (false, false);
    for (i, op) in ops.iter().enumerate() {
        let before = t.read(s.file);
        match op {
            Op::Setup => {
                no_keys(t.run(&["setup", s.tool, "--yes"]).success());
                backed_up = true;
            }
            Op::Remove => {
                no_keys(t.run(&["remove", s.tool, "--yes"]).success());
            }
            Op::Edit => {
                let (k, v) = (format!("user_{i}"), format!("value {i}"));
                t.write(s.file, (s.add)(&before, &k, &v));
                edits.push((k, v));
                edited_since_backup |= backed_up;
            }
            Op::Restore => {
                let out = no_keys(t.run(&["restore", "--yes"]));
                if edited_since_backup {
                    assert_eq!(out.code, 2, "{ops:?}: restore must refuse:\n{out}");
                    assert_eq!(t.read(s.file), before, "{ops:?}: a refused restore wrote");
                } else {
                    assert_eq!(out.code, 0, "{ops:?}\n{out}");
                    backed_up = false;
                }
            }
        }
        let now = (s.parse)(&t.read(s.file));
        for (k, v) in &edits {
            assert_eq!(
                now.get(k).and_then(|x| x.as_str()),
                Some(v.as_str()),
                "{}: after {ops:?}[..={i}] the hand edit {k} is gone",
                s.tool
            );
        }
    }
    // Whatever happened, a forced restore gives back the very first bytes plus nothing.
    t.run(&["restore", "--yes", "--force"]).success();
    if !edited_since_backup && edits.is_empty() {
        assert_eq!(t.read(s.file), s.original, "{}: {ops:?}", s.tool);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 10, ..Default::default() })]
    /// Any sequence of setup, hand edit, remove and restore keeps the user's edits or
    /// refuses, for a JSONC, a TOML and a JSON tool.
    #[test]
    fn hand_edits_survive_any_lifecycle(ops in proptest::collection::vec(op(), 1..7)) {
        for s in &SUBJECTS {
            lifecycle(s, &ops);
        }
    }
}

/// Issue 9: a damaged drift record used to be read as empty and then overwritten,
/// forgetting what byok owns and the values it must give back.
#[test]
fn a_damaged_drift_record_is_reported_and_kept() {
    let t = home();
    t.run(&["setup", "claude-code", "--yes"]).success();
    let record = ".local/state/byok/owned.json";
    t.write(record, "{\n  \"tools\": {\n    \"claude-code\": [oops\n");
    let out = t.run(&["setup", "claude-code", "--yes", "--force"]).code(2);
    assert!(
        out.stderr.contains(
            "byok: error: byok's record of what it wrote, ~/.local/state/byok/owned.json, is damaged (line 3, column 21); byok left it as it is\n"
        ),
        "{out}"
    );
    t.run(&["remove", "claude-code", "--yes"]).code(2);
    assert_eq!(
        t.read(record),
        "{\n  \"tools\": {\n    \"claude-code\": [oops\n"
    );
    let det = t.run(&["detect"]).success();
    assert!(
        det.stdout
            .contains("Claude Code    error: byok's record of what it wrote"),
        "{det}"
    );
}
