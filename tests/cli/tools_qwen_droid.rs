//! Qwen Code (`qwen-code`) and Factory Droid (`droid`), template tools that own one item
//! in a JSON list (`modelProviders.openai`, `customModels`), through the real binary:
//! exact file text after setup on real-looking fixtures, an idempotent second run, the
//! original bytes after remove, drift on byok's item, a profile change that replaces the
//! item instead of adding one, a user's item with byok's identity given back, env-key and
//! literal profiles (0600), and the Windows and macOS layouts.

use crate::common::{KEY, TestEnv, fixture, no_key};

const URL: &str = "https://gw.example.com";
const QWEN: &str = ".qwen/settings.json";
const QWEN_ENV: &str = ".qwen/.env";
const DROID: &str = ".factory/settings.json";

fn init_env_key(t: &mut TestEnv, model: &str) {
    t.run(&[
        "init",
        "--url",
        URL,
        "--key-env",
        "GW_KEY",
        "--model",
        model,
        "--yes",
    ])
    .success();
    t.set("GW_KEY", KEY);
}

/// byok's Qwen item for model `m` with `envKey` `var`, as a line list at 6 spaces.
fn qwen_item(m: &str, var: &str) -> String {
    format!(
        "      {{\n        \"id\": \"{m}\",\n        \"name\": \"{m} (byok)\",\n        \"baseUrl\": \"https://gw.example.com/v1\",\n        \"envKey\": \"{var}\"\n      }}"
    )
}

#[test]
fn qwen_real_file_gets_byoks_item_and_remove_gives_the_bytes_back() {
    let t = TestEnv::new();
    t.init(URL);
    let original = fixture("qwen-code/real/settings.json");
    let dotenv = fixture("qwen-code/real/.env");
    t.write(QWEN, &original);
    t.write(QWEN_ENV, &dotenv);
    let out = no_key(t.run(&["setup", "qwen-code", "--yes"]).success());
    assert!(
        out.stdout.contains("  note: replaces your settings.json model.name (qwen3-coder-plus); `byok remove qwen-code` puts it back\n"),
        "{out}"
    );
    let want = original
        .replace(
            "        \"envKey\": \"DASHSCOPE_API_KEY\"\n      }\n",
            &format!(
                "        \"envKey\": \"DASHSCOPE_API_KEY\"\n      }},\n{}\n",
                qwen_item("gpt-4o", "BYOK_QWEN_API_KEY")
            ),
        )
        .replace("\"qwen-oauth\"", "\"openai\"")
        .replace("\"name\": \"qwen3-coder-plus\"", "\"name\": \"gpt-4o\"");
    assert_eq!(t.read(QWEN), want);
    assert_eq!(
        t.read(QWEN_ENV),
        format!("{dotenv}BYOK_QWEN_API_KEY='{KEY}' # managed by byok\n")
    );
    assert_eq!(t.mode(QWEN_ENV), 0o600, "it holds the key");
    assert_eq!(
        t.run(&["setup", "qwen-code", "--yes"]).success().stdout,
        "Qwen Code\n  up to date\n"
    );
    // A hand edit inside byok's item is drift on that leaf.
    let edited = want.replace("\"gpt-4o (byok)\"", "\"mine\"");
    t.write(QWEN, &edited);
    let det = t.run(&["detect"]).success();
    assert!(
        det.stdout.contains(
            "drifted: changed by hand: settings.json modelProviders.openai[id=gpt-4o].name\n"
        ),
        "{det}"
    );
    t.write(QWEN, &want);
    no_key(t.run(&["remove", "qwen-code", "--yes"]).success());
    assert_eq!(t.read(QWEN), original);
    assert_eq!(t.read(QWEN_ENV), dotenv);
}

#[test]
fn qwen_env_key_profile_new_file_has_version_4_and_no_dotenv() {
    let mut t = TestEnv::new();
    init_env_key(&mut t, "gpt-4o");
    no_key(t.run(&["setup", "qwen-code", "--yes"]).success());
    assert_eq!(
        t.read(QWEN),
        format!(
            "{{\n  \"$version\": 4,\n  \"modelProviders\": {{\n    \"openai\": [\n{}\n    ]\n  }},\n  \"security\": {{\n    \"auth\": {{\n      \"selectedType\": \"openai\"\n    }}\n  }},\n  \"model\": {{\n    \"name\": \"gpt-4o\"\n  }}\n}}\n",
            qwen_item("gpt-4o", "GW_KEY")
        )
    );
    assert!(!t.exists(QWEN_ENV), "the key stays in GW_KEY");
    t.run(&["remove", "qwen-code", "--yes"]).success();
    assert!(!t.exists(QWEN), "byok created it and nothing else is in it");
}

#[test]
fn qwen_profile_change_replaces_byoks_item_and_a_users_item_comes_back() {
    let mut t = TestEnv::new();
    // The user's own `gpt-4o` item: byok takes it over, then gives it back.
    let original = fixture("qwen-code/same-model/settings.json");
    t.write(QWEN, &original);
    init_env_key(&mut t, "gpt-4o");
    no_key(t.run(&["setup", "qwen-code", "--yes"]).success());
    let text = t.read(QWEN);
    assert!(
        text.contains("        \"id\": \"gpt-4o\",\n        \"name\": \"gpt-4o (byok)\",\n        \"baseUrl\": \"https://gw.example.com/v1\",\n        \"envKey\": \"GW_KEY\",\n        \"generationConfig\": { \"contextWindowSize\": 128000 }\n"),
        "{text}"
    );
    assert_eq!(
        text.matches("\"id\"").count(),
        2,
        "merged, not added: {text}"
    );
    // Another model: the user's gpt-4o item is theirs again, byok's is one new item.
    init_env_key(&mut t, "o4-mini");
    no_key(t.run(&["setup", "qwen-code", "--yes"]).success());
    let text = t.read(QWEN);
    assert!(
        text.starts_with(&original[..original.find("      { \"id\": \"o3\"").unwrap()]),
        "{text}"
    );
    assert!(text.contains(&qwen_item("o4-mini", "GW_KEY")), "{text}");
    assert_eq!(text.matches("\"id\"").count(), 3, "{text}");
    t.run(&["remove", "qwen-code", "--yes"]).success();
    assert_eq!(t.read(QWEN), original);
}

#[test]
fn qwen_follows_qwen_home_and_the_windows_layout() {
    for os in ["windows", "macos"] {
        let mut t = TestEnv::new();
        t.set("BYOK_OS", os);
        t.init(URL);
        no_key(t.run(&["setup", "qwen-code", "--yes"]).success());
        assert!(t.exists(QWEN) && t.exists(QWEN_ENV), "{os}");
    }
    let mut t = TestEnv::new();
    let dir = t.home().join("dot/qwen");
    t.set("QWEN_HOME", dir.display().to_string());
    t.init(URL);
    no_key(t.run(&["setup", "qwen-code", "--yes"]).success());
    assert!(t.exists("dot/qwen/settings.json") && !t.exists(QWEN));
}

#[test]
fn qwen_project_settings_with_their_own_list_are_reported() {
    let t = TestEnv::new();
    t.init(URL);
    t.write(QWEN, "{}\n");
    t.write(
        "work/app/.qwen/settings.json",
        "{ \"modelProviders\": { \"openai\": [] } }\n",
    );
    no_key(t.run(&["setup", "qwen-code", "--yes"]).success());
    let det = t
        .command()
        .current_dir(t.home().join("work/app"))
        .arg("detect")
        .output()
        .unwrap();
    let det = String::from_utf8_lossy(&det.stdout).replace(&t.home().display().to_string(), "~");
    assert!(
        det.contains("Qwen Code      configured (profile default)\n               warning: project file ~/work/app/.qwen/settings.json (not written by byok) sets modelProviders\n                 hint: `byok setup --project ~/work/app qwen-code` gives this project byok's settings; or take those out of that file\n"),
        "{det}"
    );
}

#[test]
fn droid_real_file_literal_key_is_0600_and_remove_gives_the_bytes_back() {
    let t = TestEnv::new();
    t.init(URL);
    let original = fixture("droid/real/settings.json");
    t.write(DROID, &original);
    let out = no_key(t.run(&["setup", "droid", "--yes"]).success());
    assert!(
        out.stdout.contains("  note: replaces your settings.json sessionDefaultSettings.model (custom:Llama-3.1-(local)-0); `byok remove droid` puts it back\n"),
        "{out}"
    );
    let want = original
        .replace(
            "      \"maxOutputTokens\": 8192\n    }\n",
            &format!("      \"maxOutputTokens\": 8192\n    }},\n    {{\n      \"id\": \"custom:byok-gpt-4o\",\n      \"model\": \"gpt-4o\",\n      \"displayName\": \"gpt-4o (byok)\",\n      \"baseUrl\": \"https://gw.example.com/v1\",\n      \"apiKey\": \"{KEY}\",\n      \"provider\": \"generic-chat-completion-api\"\n    }}\n"),
        )
        .replace("\"custom:Llama-3.1-(local)-0\"", "\"custom:byok-gpt-4o\"");
    assert_eq!(t.read(DROID), want);
    assert_eq!(t.mode(DROID), 0o600, "it holds the key");
    assert_eq!(
        t.run(&["setup", "droid", "--yes"]).success().stdout,
        "Droid\n  up to date\n"
    );
    t.write(
        DROID,
        want.replace("https://gw.example.com/v1", "https://mine/v1"),
    );
    let det = t.run(&["detect"]).success();
    assert!(
        det.stdout.contains(
            "drifted: changed by hand: settings.json customModels[id=custom:byok-gpt-4o].baseUrl\n"
        ),
        "{det}"
    );
    t.write(DROID, &want);
    no_key(t.run(&["remove", "droid", "--yes"]).success());
    assert_eq!(t.read(DROID), original);
}

#[test]
fn droid_env_key_is_a_reference_and_a_users_empty_list_stays() {
    let mut t = TestEnv::new();
    init_env_key(&mut t, "gpt-4o");
    let original = fixture("droid/empty-list/settings.json");
    t.write(DROID, &original);
    t.write(".factory/config.json", "{ \"custom_models\": [] }\n");
    no_key(t.run(&["setup", "droid", "--yes"]).success());
    assert_eq!(
        t.read(DROID),
        "{\n  \"customModels\": [\n    {\n      \"id\": \"custom:byok-gpt-4o\",\n      \"model\": \"gpt-4o\",\n      \"displayName\": \"gpt-4o (byok)\",\n      \"baseUrl\": \"https://gw.example.com/v1\",\n      \"apiKey\": \"${GW_KEY}\",\n      \"provider\": \"generic-chat-completion-api\"\n    }\n  ],\n  \"sessionDefaultSettings\": {\n    \"model\": \"custom:byok-gpt-4o\"\n  }\n}\n"
    );
    t.run(&["remove", "droid", "--yes"]).success();
    assert_eq!(t.read(DROID), original, "the user's `[]` stays");
    assert_eq!(
        t.read(".factory/config.json"),
        "{ \"custom_models\": [] }\n"
    );
}

#[test]
fn droid_on_an_empty_home_creates_the_list_and_remove_deletes_the_file() {
    for os in ["linux", "windows"] {
        let mut t = TestEnv::new();
        t.set("BYOK_OS", os);
        t.init(URL);
        no_key(t.run(&["setup", "droid", "--yes"]).success());
        assert!(
            t.read(DROID).starts_with("{\n  \"customModels\": [\n"),
            "{os}"
        );
        t.run(&["remove", "droid", "--yes"]).success();
        assert!(!t.exists(DROID), "{os}");
    }
}
