//! `byok setup cline` on fixture homes: exact results, idempotence, dry runs, restore,
//! remove, modes, masking, CLINE_DIR, and the manual steps for old extensions.

use std::path::Path;

use crate::common::TestEnv;

const URL: &str = "https://gw.example";
const KEY: &str = "sk-gw-0123456789abcdef";
const MASKED: &str = "sk-…cdef";
/// The time the unit tests stamp; integration runs stamp the real time, replaced by this.
const NOW: &str = "2026-11-27T08:00:00.000Z";

const GLOBAL_STATE: &str = ".cline/data/globalState.json";
const SECRETS: &str = ".cline/data/secrets.json";
const PROVIDERS: &str = ".cline/data/settings/providers.json";
const FILES: [(&str, &str); 3] = [
    (GLOBAL_STATE, "globalState.json"),
    (SECRETS, "secrets.json"),
    (PROVIDERS, "settings/providers.json"),
];

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/cline"))
}

/// A home with the profile the fixtures' expected files were made for.
fn home() -> TestEnv {
    let t = TestEnv::new();
    t.run(&[
        "init", "--url", URL, "--key", KEY, "--model", "gw-model", "--yes",
    ])
    .success();
    t
}

/// Copies `<case>/home/**` into the test home.
fn with_case(t: &TestEnv, case: &str) {
    t.copy_tree(&fixtures().join(case).join("home"));
}

fn expected(case: &str, dir: &str, rel: &str) -> Option<String> {
    std::fs::read_to_string(fixtures().join(case).join(dir).join(rel)).ok()
}

/// The file with byok's `updatedAt` (checked to be a UTC time) replaced by [`NOW`].
fn stamped(t: &TestEnv, rel: &str) -> String {
    let text = t.read(rel);
    if rel != PROVIDERS {
        return text;
    }
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let stamp = doc["providers"]["openai-compatible"]["updatedAt"]
        .as_str()
        .unwrap();
    assert!(
        stamp.len() == NOW.len() && stamp.starts_with("20") && stamp.ends_with('Z'),
        "{stamp}"
    );
    text.replace(stamp, NOW)
}

/// Every file below home with its bytes.
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

fn assert_masked(out: &crate::common::Output) {
    assert!(!out.stdout.contains(KEY), "{out}");
    assert!(!out.stderr.contains(KEY), "{out}");
}

#[test]
fn setup_merges_exactly_and_is_idempotent() {
    for case in ["existing", "elsewhere", "empty"] {
        let t = home();
        with_case(&t, case);
        let before = snapshot(&t);
        let out = t.run(&["setup", "cline", "--yes"]).success();
        assert_masked(&out);
        assert!(
            out.stdout
                .contains("Restart your editor (if Cline runs in one) and any running `cline` CLI"),
            "{out}"
        );
        for (rel, name) in FILES {
            assert_eq!(
                Some(stamped(&t, rel)),
                expected(case, "expected", name),
                "{case} {rel}"
            );
        }
        // Files byok does not own are untouched.
        for (path, bytes) in &before {
            if !FILES.iter().any(|(rel, _)| rel == path) {
                assert_eq!(t.read_bytes(path).as_ref(), Some(bytes), "{case} {path}");
            }
        }
        #[cfg(unix)]
        {
            assert_eq!(t.mode(SECRETS), 0o600, "{case}");
            assert_eq!(t.mode(PROVIDERS), 0o600, "{case}");
        }
        let after = snapshot(&t);
        let again = t.run(&["setup", "cline", "--yes"]).success();
        assert_eq!(again.stdout, "Cline\n  up to date\n", "{case}");
        assert_eq!(snapshot(&t), after, "{case}");
    }
}

#[test]
fn dry_run_writes_nothing_and_masks_the_key() {
    let t = home();
    with_case(&t, "existing");
    let before = snapshot(&t);
    let out = t.run(&["setup", "cline", "--dry-run"]).success();
    assert_masked(&out);
    assert!(
        out.stdout
            .contains(&format!("+  \"openAiApiKey\": \"{MASKED}\"\n")),
        "{out}"
    );
    // The user's own keys next to byok's are masked too.
    for other in [
        "sk-ant-api03-userkeyAAAAAAAAAAAAAAAA",
        "sk-or-v1-userkeyBBBBBBBBBBBBBBBB",
        "eyJhbGciOi.fake.token",
    ] {
        assert!(!out.stdout.contains(other), "{other}: {out}");
    }
    assert!(out.stdout.contains("\"apiKey\": \"sk-…AAAA\","), "{out}");
    assert!(
        out.stdout
            .contains("-  \"actModeApiProvider\": \"anthropic\",\n-  \"planModeApiProvider\": \"openrouter\",\n+  \"actModeApiProvider\": \"openai\",\n"),
        "{out}"
    );
    assert_eq!(snapshot(&t), before);
}

#[test]
fn restore_gives_back_the_original_bytes() {
    let t = home();
    with_case(&t, "existing");
    let before = snapshot(&t);
    t.run(&["setup", "cline", "--yes"]).success();
    assert_ne!(snapshot(&t), before);
    t.run(&["restore", "--yes"]).success();
    assert_eq!(snapshot(&t), before);

    // On a fresh home, restore deletes what byok created.
    let t = home();
    t.run(&["setup", "cline", "--yes"]).success();
    assert!(t.exists(PROVIDERS));
    t.run(&["restore", "--yes"]).success();
    assert!(!t.exists(GLOBAL_STATE) && !t.exists(SECRETS) && !t.exists(PROVIDERS));
}

#[test]
fn remove_leaves_the_users_content() {
    for case in ["existing", "elsewhere", "empty"] {
        let t = home();
        with_case(&t, case);
        t.run(&["setup", "cline", "--yes"]).success();
        let out = t.run(&["remove", "cline", "--yes"]).success();
        assert_masked(&out);
        for (rel, name) in FILES {
            // The user's own provider entry comes back, re-stamped (issue 8, item 7).
            let now = if case == "elsewhere" && rel == PROVIDERS {
                Some(stamped(&t, rel))
            } else {
                t.read_bytes(rel).map(|b| String::from_utf8(b).unwrap())
            };
            assert_eq!(now, expected(case, "removed", name), "{case} {rel}");
        }
        assert_eq!(
            t.run(&["remove", "cline", "--yes"]).success().stdout,
            "Cline\n  nothing of byok's to remove\n",
            "{case}"
        );
    }
}

#[test]
fn malformed_state_is_reported_and_left_untouched() {
    let t = home();
    with_case(&t, "malformed");
    let before = snapshot(&t);
    let out = t.run(&["setup", "cline", "--yes"]).code(2);
    assert!(
        out.stderr
            .contains("could not parse ~/.cline/data/globalState.json: line 4"),
        "{out}"
    );
    assert_masked(&out);
    assert_eq!(snapshot(&t), before);
}

#[test]
fn cline_dir_and_data_dir_are_honoured() {
    let mut t = home();
    let dir = t.root().join("elsewhere/cline");
    t.set("CLINE_DIR", dir.display().to_string());
    t.run(&["setup", "cline", "--yes"]).success();
    assert!(!t.exists(".cline"));
    let provider = std::fs::read_to_string(dir.join("data/settings/providers.json")).unwrap();
    assert!(provider.contains("\"baseUrl\": \"https://gw.example/v1\""));
    assert!(dir.join("data/globalState.json").is_file());

    // CLINE_DATA_DIR wins over CLINE_DIR.
    let mut t = home();
    t.set("CLINE_DIR", dir.display().to_string());
    let data = t.root().join("data-only");
    t.set("CLINE_DATA_DIR", data.display().to_string());
    t.run(&["setup", "cline", "--yes"]).success();
    assert!(data.join("secrets.json").is_file());
    assert!(data.join("settings/providers.json").is_file());
}

#[test]
fn old_extension_gets_manual_steps_and_no_files() {
    let t = home();
    with_case(&t, "old-extension");
    let before = snapshot(&t);
    let out = t.run(&["setup", "cline", "--yes"]).success();
    assert_eq!(
        out.stdout,
        format!(
            "Cline\n  cannot be set up automatically\n  note: Cline 3.52.1 in VS Code keeps its settings in the editor's encrypted \
             storage, which byok cannot write; updating Cline to 3.66.0 or later enables automatic setup\n  \
             still to do by hand:\n    1. In VS Code, open Cline's settings (the gear icon in the Cline panel) \
             and set API Provider \"OpenAI Compatible\", Base URL https://gw.example/v1, API Key {MASKED}, \
             Model ID gw-model; then click Done\n"
        )
    );
    assert_eq!(snapshot(&t), before);
    let shown = t.run(&["setup", "cline", "--yes", "--show-key"]).success();
    assert!(shown.stdout.contains(&format!("API Key {KEY},")), "{shown}");

    let detect = t.run(&["detect"]).success();
    assert!(
        detect
            .stdout
            .contains("extension 3.52.1 in VS Code (settings in the editor's storage: update to 3.66+ for automatic setup)"),
        "{detect}"
    );
}
