//! Cline as a template tool (`templates/cline.toml` driven by the engine, hook `cline`):
//! the same home-relative files on the macOS and Windows layouts, the CLI's file moved by
//! `CLINE_PROVIDER_SETTINGS_PATH`, Cline's own re-stamping of `updatedAt` (no drift) next
//! to a hand edit (drift), an unknown `providers.json` version refused, `version` and
//! `modes` added to a file that lacks them, and the template shown by `templates show`.

use crate::common::{KEY, TestEnv, no_key};

const URL: &str = "https://gw.example.com";
const GLOBAL_STATE: &str = ".cline/data/globalState.json";
const SECRETS: &str = ".cline/data/secrets.json";
const PROVIDERS: &str = ".cline/data/settings/providers.json";
/// What byok's stamp is replaced by before comparing (it is the real time).
const STAMP: &str = "<updatedAt>";

/// `text` with byok's entry's `updatedAt` (checked to be a UTC time as Cline wants it)
/// replaced by [`STAMP`].
#[track_caller]
fn unstamped(text: &str) -> String {
    let doc: serde_json::Value = serde_json::from_str(text).unwrap();
    let stamp = doc["providers"]["openai-compatible"]["updatedAt"]
        .as_str()
        .unwrap();
    assert!(
        stamp.len() == "2026-12-02T09:00:00.000Z".len()
            && stamp.starts_with("20")
            && stamp.ends_with('Z'),
        "{stamp}"
    );
    text.replace(stamp, STAMP)
}

/// What setup writes to an empty home for `t.init`'s profile.
fn global_state() -> String {
    "{\n  \"actModeApiProvider\": \"openai\",\n  \"planModeApiProvider\": \"openai\",\n  \"openAiBaseUrl\": \"https://gw.example.com/v1\",\n  \"actModeOpenAiModelId\": \"gpt-4o\",\n  \"planModeOpenAiModelId\": \"gpt-4o\"\n}\n".to_string()
}

fn providers() -> String {
    format!(
        "{{\n  \"version\": 1,\n  \"lastUsedProvider\": \"openai-compatible\",\n  \"modes\": {{}},\n  \"providers\": {{\n    \"openai-compatible\": {{\n      \"settings\": {{\n        \"provider\": \"openai-compatible\",\n        \"apiKey\": \"{KEY}\",\n        \"model\": \"gpt-4o\",\n        \"baseUrl\": \"https://gw.example.com/v1\"\n      }},\n      \"updatedAt\": \"{STAMP}\",\n      \"tokenSource\": \"manual\"\n    }}\n  }}\n}}\n"
    )
}

const RESTART: &str = "  still to do by hand:\n    1. Restart your editor (if Cline runs in one) and any running `cline` CLI: Cline reads these files only at start\n";

#[test]
fn macos_and_windows_use_the_same_home_relative_files() {
    for os in ["macos", "windows"] {
        let mut t = TestEnv::new();
        t.set("BYOK_OS", os);
        t.init(URL);
        let out = no_key(t.run(&["setup", "cline", "--yes"]).success());
        assert_eq!(
            out.stdout,
            format!(
                "Cline\n  created ~/.cline/data/globalState.json (a new file, so no backup: `byok restore` deletes it)\n  created ~/.cline/data/secrets.json (a new file, so no backup: `byok restore` deletes it)\n  created ~/.cline/data/settings/providers.json (a new file, so no backup: `byok restore` deletes it)\n  key: a copy of it, in a file only you can read (0600)\n{RESTART}"
            ),
            "{os}"
        );
        assert_eq!(t.read(GLOBAL_STATE), global_state(), "{os}");
        assert_eq!(
            t.read(SECRETS),
            format!("{{\n  \"openAiApiKey\": \"{KEY}\"\n}}\n"),
            "{os}"
        );
        assert_eq!(unstamped(&t.read(PROVIDERS)), providers(), "{os}");
        let out = t.run(&["setup", "cline", "--yes"]).success();
        assert_eq!(out.stdout, "Cline\n  up to date\n", "{os}");
        let out = no_key(t.run(&["remove", "cline", "--yes"]).success());
        assert_eq!(
            out.stdout,
            format!(
                "Cline\n  deleted ~/.cline/data/globalState.json\n  deleted ~/.cline/data/secrets.json\n  deleted ~/.cline/data/settings/providers.json\n{RESTART}"
            ),
            "{os}"
        );
        assert!(
            !t.exists(GLOBAL_STATE) && !t.exists(SECRETS) && !t.exists(PROVIDERS),
            "{os}"
        );
    }
}

#[test]
fn cline_provider_settings_path_moves_the_cli_file() {
    let mut t = TestEnv::new();
    t.init(URL);
    let custom = t.home().join("team/cline-providers.json");
    t.set("CLINE_PROVIDER_SETTINGS_PATH", custom.display().to_string());
    let out = no_key(t.run(&["setup", "cline", "--yes"]).success());
    assert!(
        out.stdout.contains(
            "  note: CLINE_PROVIDER_SETTINGS_PATH is set, so byok edited ~/team/cline-providers.json\n"
        ),
        "{out}"
    );
    assert_eq!(unstamped(&t.read("team/cline-providers.json")), providers());
    assert!(!t.exists(PROVIDERS));
    // globalState.json and secrets.json stay where the extension reads them.
    assert_eq!(t.read(GLOBAL_STATE), global_state());
    no_key(t.run(&["remove", "cline", "--yes"]).success());
    assert!(!t.exists("team/cline-providers.json") && !t.exists(GLOBAL_STATE));
}

#[test]
fn cline_restamping_its_entry_is_no_drift_but_a_hand_edit_is() {
    let t = TestEnv::new();
    t.init(URL);
    no_key(t.run(&["setup", "cline", "--yes"]).success());
    // What every run of the CLI does: it saves byok's entry again with a new stamp.
    let text = t.read(PROVIDERS);
    let restamped = unstamped(&text).replace(STAMP, "2027-01-01T10:00:00.000Z");
    t.write(PROVIDERS, &restamped);
    assert_eq!(
        t.run(&["setup", "cline", "--yes"]).success().stdout,
        "Cline\n  up to date\n"
    );
    assert_eq!(
        t.read(PROVIDERS),
        restamped,
        "an unchanged entry keeps its stamp"
    );
    let detect = t.run(&["detect"]).success();
    assert!(
        detect
            .stdout
            .contains("Cline          configured (profile default)\n"),
        "{detect}"
    );
    // A hand edit of a value byok owns is drift, named by file and key.
    t.write(
        PROVIDERS,
        restamped.replace("https://gw.example.com/v1", "https://other.example/v1"),
    );
    let detect = t.run(&["detect"]).success();
    assert!(
        detect.stdout.contains(
            "~/.cline/data/settings/providers.json providers.openai-compatible.settings.baseUrl"
        ),
        "{detect}"
    );
    // Setup leaves it, saying why; `--force` puts byok's value back and stamps the
    // entry anew.
    let out = no_key(t.run(&["setup", "cline", "--yes"]).code(2));
    assert!(
        out.stderr
            .contains("Cline: not changed, because settings byok wrote were edited by hand"),
        "{out}"
    );
    no_key(t.run(&["setup", "cline", "--yes", "--force"]).success());
    let now = t.read(PROVIDERS);
    assert_eq!(unstamped(&now), providers());
    assert!(!now.contains("2027-01-01T10:00:00.000Z"), "{now}");
}

#[test]
fn an_unknown_providers_version_is_refused_and_nothing_is_written() {
    let t = TestEnv::new();
    t.init(URL);
    let theirs = "{\n  \"version\": 2,\n  \"providers\": {}\n}\n";
    t.write(PROVIDERS, theirs);
    let out = no_key(t.run(&["setup", "cline", "--yes"]).code(2));
    assert_eq!(
        out.stderr,
        "byok: error: ~/.cline/data/settings/providers.json has version 2, which byok does not know\nhint: byok left it untouched; configure the CLI with `cline auth -p openai-compatible -k <key> -m gpt-4o -b https://gw.example.com/v1`\n"
    );
    assert_eq!(t.read(PROVIDERS), theirs);
    assert!(!t.exists(GLOBAL_STATE) && !t.exists(SECRETS));
}

#[test]
fn a_file_without_version_or_modes_gets_them_and_restore_gives_it_back() {
    let t = TestEnv::new();
    t.init(URL);
    // An older Cline's file, by hand: one provider, no `version`, no `modes`.
    let theirs = "{\n  \"lastUsedProvider\": \"anthropic\",\n  \"providers\": {\n    \"anthropic\": {\n      \"settings\": { \"provider\": \"anthropic\", \"model\": \"claude-sonnet-4-5\" },\n      \"updatedAt\": \"2026-05-01T08:30:00.000Z\"\n    }\n  }\n}\n";
    t.write(PROVIDERS, theirs);
    no_key(t.run(&["setup", "cline", "--yes"]).success());
    assert_eq!(
        unstamped(&t.read(PROVIDERS)),
        format!(
            "{{\n  \"lastUsedProvider\": \"openai-compatible\",\n  \"providers\": {{\n    \"anthropic\": {{\n      \"settings\": {{ \"provider\": \"anthropic\", \"model\": \"claude-sonnet-4-5\" }},\n      \"updatedAt\": \"2026-05-01T08:30:00.000Z\"\n    }},\n    \"openai-compatible\": {{\n      \"settings\": {{\n        \"provider\": \"openai-compatible\",\n        \"apiKey\": \"{KEY}\",\n        \"model\": \"gpt-4o\",\n        \"baseUrl\": \"https://gw.example.com/v1\"\n      }},\n      \"updatedAt\": \"{STAMP}\",\n      \"tokenSource\": \"manual\"\n    }}\n  }},\n  \"version\": 1,\n  \"modes\": {{}}\n}}\n"
        )
    );
    // `remove` takes byok's entry out and puts the user's provider back; the two fields
    // Cline requires stay.
    no_key(t.run(&["remove", "cline", "--yes"]).success());
    assert_eq!(
        t.read(PROVIDERS),
        theirs.replace("  }\n}\n", "  },\n  \"version\": 1,\n  \"modes\": {}\n}\n")
    );
    // `restore` gives back the bytes.
    no_key(t.run(&["setup", "cline", "--yes"]).success());
    no_key(t.run(&["restore", "--yes"]).success());
    assert_eq!(t.read(PROVIDERS), theirs);
}

#[test]
fn templates_show_prints_the_cline_template() {
    let t = TestEnv::new();
    let out = t.run(&["templates", "show", "cline"]).success();
    assert_eq!(
        out.stdout,
        format!(
            "# built-in template templates/cline.toml (with hook `cline`)\n{}",
            include_str!("../../templates/cline.toml")
        )
    );
}
