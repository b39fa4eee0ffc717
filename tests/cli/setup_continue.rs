//! `byok setup continue` on fixture homes: exact results, comments intact, idempotence,
//! dry runs, restore, remove, malformed files, CONTINUE_GLOBAL_DIR, drift, masking.

use std::path::Path;

use crate::common::{Output, TestEnv};

const URL: &str = "https://gw.example";
const KEY: &str = "sk-gw-continue-0123456789";
const MASKED: &str = "sk-…6789";

const YAML: &str = ".continue/config.yaml";
const JSON: &str = ".continue/config.json";
const DOTENV: &str = ".continue/.env";
const FILES: [(&str, &str); 3] = [
    (YAML, "config.yaml"),
    (JSON, "config.json"),
    (DOTENV, ".env"),
];

/// Every case with expected results; `fresh` has no files at all.
const CASES: [&str; 9] = [
    "full",
    "crlf",
    "bom",
    "empty",
    "default",
    "legacy-json",
    "both",
    "outdated",
    "fresh",
];

/// The user's other secrets in the fixtures, which must never be printed.
const USER_SECRETS: [&str; 5] = [
    "sk-openai-user-0000",
    "ghp_example token with spaces",
    "sk-old-openai-key-1234",
    "mistral-user-key-0000",
    "sk-old-gateway-key-9999",
];

fn fixtures() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/continue"
    ))
}

/// A home with the profile the fixtures' expected files were made for.
fn home() -> TestEnv {
    let t = TestEnv::new();
    t.run(&[
        "init",
        "--url",
        URL,
        "--key",
        KEY,
        "--model",
        "gw-model",
        "--anthropic-model",
        "claude-gw",
        "--yes",
    ])
    .success();
    t
}

/// Copies `<case>/home/**` (if any) into the test home.
fn with_case(t: &TestEnv, case: &str) {
    t.copy_tree(&fixtures().join(case).join("home"));
}

/// A file of `<case>/<dir>/`, or `None` when the case expects it absent.
fn expected(case: &str, dir: &str, name: &str) -> Option<Vec<u8>> {
    std::fs::read(fixtures().join(case).join(dir).join(name)).ok()
}

/// Every file below home with its bytes (byok's own config and state left out).
fn snapshot(t: &TestEnv) -> Vec<(String, Vec<u8>)> {
    t.tree()
        .into_iter()
        .filter(|p| !p.starts_with(".config/byok") && !p.starts_with(".local/"))
        .map(|p| {
            let bytes = t.read_bytes(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

#[track_caller]
fn assert_masked(out: &Output) {
    for secret in std::iter::once(KEY).chain(USER_SECRETS) {
        assert!(!out.stdout.contains(secret), "{secret}: {out}");
        assert!(!out.stderr.contains(secret), "{secret}: {out}");
    }
}

fn text(bytes: Option<Vec<u8>>) -> Option<String> {
    bytes.map(|b| String::from_utf8(b).unwrap())
}

#[test]
fn setup_merges_exactly_and_is_idempotent() {
    for case in CASES {
        let t = home();
        with_case(&t, case);
        let before = snapshot(&t);
        let out = t.run(&["setup", "continue", "--yes"]).success();
        assert_masked(&out);
        assert!(
            out.stdout
                .contains("reload Continue in your editor (Command Palette: \"Developer: Reload Window\") and pick the model \"byok (OpenAI)\""),
            "{case}: {out}"
        );
        for (rel, name) in FILES {
            assert_eq!(
                text(t.read_bytes(rel)),
                text(expected(case, "expected", name)),
                "{case} {rel}"
            );
        }
        // Every comment line of the user's files is still there, in order.
        for (path, bytes) in &before {
            let old = String::from_utf8(bytes.clone()).unwrap();
            let new = t.read(path);
            let mut rest = new.as_str();
            for comment in old
                .lines()
                .filter(|l| l.trim_start().starts_with(['#', '/']))
            {
                let at = rest
                    .find(comment)
                    .unwrap_or_else(|| panic!("{case} {path}: lost {comment:?}"));
                rest = &rest[at + comment.len()..];
            }
        }
        #[cfg(unix)]
        {
            if t.exists(DOTENV) {
                assert_eq!(t.mode(DOTENV), 0o600, "{case}");
            }
            if case == "legacy-json" {
                assert_eq!(t.mode(JSON), 0o600, "{case}");
            }
        }
        let after = snapshot(&t);
        let again = t.run(&["setup", "continue", "--yes"]).success();
        let notes = match case {
            "legacy-json" => {
                "  note: ~/.continue/config.json is deprecated, but it is the config Continue reads here, so byok edited it and did not create a config.yaml (which would hide it); config.json can't reference secrets, so the key is written into it (mode 0600); the `cn` CLI reads only config.yaml\n"
            }
            "both" => {
                "  note: ~/.continue/config.json is ignored by Continue because ~/.continue/config.yaml exists\n"
            }
            _ => "",
        };
        assert_eq!(
            again.stdout,
            format!("Continue\n  up to date\n{notes}"),
            "{case}"
        );
        assert_eq!(snapshot(&t), after, "{case}");
        let detect = t.run(&["detect"]).success();
        assert!(
            detect
                .stdout
                .contains("Continue       configured (profile default)\n"),
            "{case}: {detect}"
        );
    }
}

#[test]
fn notes_say_which_file_and_how_the_key_is_sent() {
    let t = home();
    with_case(&t, "both");
    let out = t.run(&["setup", "continue", "--yes"]).success();
    assert!(
        out.stdout.contains(
            "  note: ~/.continue/config.json is ignored by Continue because ~/.continue/config.yaml exists\n"
        ),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("  note: Continue's Anthropic provider sends the key as `x-api-key`"),
        "{out}"
    );

    let t = home();
    with_case(&t, "legacy-json");
    let out = t.run(&["setup", "continue", "--yes"]).success();
    assert!(
        out.stdout.contains(
            "  note: ~/.continue/config.json is deprecated, but it is the config Continue reads here, so byok edited it and did not create a config.yaml"
        ),
        "{out}"
    );
    assert!(!t.exists(YAML) && !t.exists(DOTENV));
}

#[test]
fn dry_run_writes_nothing_and_masks_the_key() {
    for case in ["full", "legacy-json", "fresh"] {
        let t = home();
        with_case(&t, case);
        let before = snapshot(&t);
        let out = t.run(&["setup", "continue", "--dry-run"]).success();
        assert_masked(&out);
        match case {
            "legacy-json" => assert!(
                out.stdout
                    .contains(&format!("+      \"apiKey\": \"{MASKED}\",\n")),
                "{out}"
            ),
            _ => assert!(
                out.stdout
                    .contains(&format!("+BYOK_API_KEY='{MASKED}' # managed by byok\n")),
                "{out}"
            ),
        }
        if case == "full" {
            // The user's other secrets in the diff's context lines are masked too.
            assert!(
                out.stdout.contains(" export GITHUB_TOKEN=\"ghp…aces\"\n"),
                "{out}"
            );
            assert!(
                out.stdout
                    .contains("+    apiKey: \"${{ secrets.BYOK_API_KEY }}\"\n"),
                "{out}"
            );
        }
        assert_eq!(snapshot(&t), before, "{case}");
    }
}

#[test]
fn restore_gives_back_the_original_bytes() {
    for case in ["full", "crlf", "bom", "legacy-json"] {
        let t = home();
        with_case(&t, case);
        let before = snapshot(&t);
        t.run(&["setup", "continue", "--yes"]).success();
        assert_ne!(snapshot(&t), before, "{case}");
        t.run(&["restore", "--yes"]).success();
        assert_eq!(snapshot(&t), before, "{case}");
    }
    // On a fresh home, restore deletes what byok created.
    let t = home();
    t.run(&["setup", "continue", "--yes"]).success();
    assert!(t.exists(YAML) && t.exists(DOTENV));
    t.run(&["restore", "--yes"]).success();
    assert!(!t.exists(YAML) && !t.exists(DOTENV));
}

#[test]
fn remove_keeps_the_users_content() {
    for case in CASES {
        let t = home();
        with_case(&t, case);
        t.run(&["setup", "continue", "--yes"]).success();
        let out = t.run(&["remove", "continue", "--yes"]).success();
        assert_masked(&out);
        for (rel, name) in FILES {
            assert_eq!(
                text(t.read_bytes(rel)),
                text(expected(case, "removed", name)),
                "{case} {rel}"
            );
        }
        assert_eq!(
            t.run(&["remove", "continue", "--yes"]).success().stdout,
            "Continue\n  nothing of byok's to remove\n",
            "{case}"
        );
    }
    // Where byok's entries were never there, remove gives the original bytes back.
    for case in ["full", "crlf", "bom", "default", "legacy-json", "both"] {
        for (rel, name) in FILES {
            let original = std::fs::read(fixtures().join(case).join("home").join(rel)).ok();
            if original.is_some() {
                assert_eq!(expected(case, "removed", name), original, "{case} {rel}");
            }
        }
    }
}

#[test]
fn malformed_config_is_reported_and_left_untouched() {
    let t = home();
    with_case(&t, "malformed");
    let before = snapshot(&t);
    let out = t.run(&["setup", "continue", "--yes"]).code(2);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "byok: error: could not parse ~/.continue/config.yaml: line 6, column 11: mapping values are not allowed in this context\n\
         hint: byok left the file untouched; fix that line by hand (or move the file aside) and run the command again\n"
    );
    assert!(!out.stderr.contains("sk-user-secret-do-not-print"), "{out}");
    assert_masked(&out);
    assert_eq!(snapshot(&t), before);
    let dry = t.run(&["setup", "continue", "--dry-run"]).code(2);
    assert!(dry.stderr.contains("line 6, column 11"), "{dry}");
    let rm = t.run(&["remove", "continue", "--yes"]).code(2);
    assert!(
        rm.stderr
            .contains("could not parse ~/.continue/config.yaml"),
        "{rm}"
    );
    assert_eq!(snapshot(&t), before);
}

#[test]
fn continue_global_dir_is_honoured() {
    let mut t = home();
    t.set("CONTINUE_GLOBAL_DIR", "elsewhere/continue");
    // Relative values are resolved against the working directory (the test root).
    let out = t.run(&["setup", "continue", "--yes"]).success();
    assert!(!t.exists(".continue"), "{out}");
    let dir = t.root().join("elsewhere/continue");
    let yaml = std::fs::read_to_string(dir.join("config.yaml")).unwrap();
    assert!(
        yaml.contains("    apiBase: https://gw.example/v1\n"),
        "{yaml}"
    );
    let env = std::fs::read_to_string(dir.join(".env")).unwrap();
    assert_eq!(env, format!("BYOK_API_KEY='{KEY}' # managed by byok\n"));
}

#[test]
fn hand_edits_to_byoks_entries_need_force() {
    let t = home();
    with_case(&t, "full");
    t.run(&["setup", "continue", "--yes"]).success();
    let edited = t
        .read(YAML)
        .replacen("    model: gw-model\n", "    model: my-choice\n", 1);
    t.write(YAML, &edited);
    let out = t.run(&["setup", "continue", "--yes"]).code(2);
    assert!(
        out.stdout
            .contains("changed by hand since byok wrote them: config.yaml models/byok (OpenAI)"),
        "{out}"
    );
    assert_eq!(t.read(YAML), edited);
    t.run(&["setup", "continue", "--yes", "--force"]).success();
    assert_eq!(
        t.read_bytes(YAML),
        expected("full", "expected", "config.yaml")
    );
}

#[test]
fn detect_shows_extension_cli_and_files() {
    let t = home();
    t.write(
        ".vscode/extensions/continue.continue-1.3.40-linux-x64/package.json",
        "{}",
    );
    let bin = t.root().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let cn = bin.join("cn");
    std::fs::write(&cn, "#!/bin/sh\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cn, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut t = t;
    t.set("PATH", format!("{}:/usr/bin:/bin", bin.display()));
    let out = t.run(&["detect"]).success();
    assert!(
        out.stdout.contains(
            "Continue       not configured\n               binary [ROOT]/bin/cn\n               extension 1.3.40 in VS Code\n               config ~/.continue/config.yaml (not yet created)\n               config ~/.continue/.env (not yet created)\n"
        ),
        "{out}"
    );
}
