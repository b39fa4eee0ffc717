//! Tools described by templates (`templates/*.toml`), through the real binary: Kilo Code
//! 7.x as the built-in proof of the format.

use std::path::Path;

use crate::common::{KEY, Output, TestEnv};

const KILO: &str = ".config/kilo/kilo.jsonc";
const URL: &str = "https://gw.example.com";

fn fixture(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[track_caller]
fn no_key(out: Output) -> Output {
    assert!(
        !out.stdout.contains(KEY) && !out.stderr.contains(KEY),
        "the key leaked:\n{out}"
    );
    out
}

#[test]
fn kilo_setup_merges_into_a_commented_config_and_remove_gives_it_back() {
    let t = TestEnv::new();
    t.init(URL);
    let original = fixture("kilo/commented/kilo.jsonc");
    t.write(KILO, &original);
    let out = no_key(t.run(&["setup", "kilo", "--yes"]).success());
    assert_eq!(
        out.stdout,
        "Kilo 7.x\n  updated ~/.config/kilo/kilo.jsonc (original kept as backup [ID])\n".replace(
            "[ID]",
            out.stdout
                .split("backup ")
                .nth(1)
                .unwrap_or("")
                .trim_end_matches(")\n")
        ),
    );
    let want = original
        .replace(
            "      \"models\": { \"qwen2.5-coder:7b\": {} },\n    },\n  },",
            &format!(
                "      \"models\": {{ \"qwen2.5-coder:7b\": {{}} }},\n    }},\n    \"byok\": {{\n      \"npm\": \"@ai-sdk/openai-compatible\",\n      \"name\": \"byok\",\n      \"options\": {{\n        \"baseURL\": \"https://gw.example.com/v1\",\n        \"apiKey\": \"{KEY}\"\n      }},\n      \"models\": {{\n        \"gpt-4o\": {{\n          \"name\": \"gpt-4o\"\n        }}\n      }}\n    }},\n  }},"
            ),
        )
        .replace(
            "    \"bash\": \"ask\", // never \"allow\" on this machine\n  },\n}",
            "    \"bash\": \"ask\", // never \"allow\" on this machine\n  },\n  \"model\": \"byok/gpt-4o\",\n}",
        );
    assert_eq!(t.read(KILO), want);
    #[cfg(unix)]
    assert_eq!(t.mode(KILO), 0o600, "it holds the key");
    assert_eq!(
        t.run(&["setup", "kilo", "--yes"]).success().stdout,
        "Kilo 7.x\n  up to date\n"
    );
    let det = t.run(&["detect"]).success();
    assert!(
        det.stdout
            .contains("Kilo 7.x       configured (profile default)\n               config dir ~/.config/kilo\n               config ~/.config/kilo/kilo.jsonc\n"),
        "{det}"
    );
    no_key(t.run(&["remove", "kilo", "--yes"]).success());
    assert_eq!(t.read(KILO), original);
}

#[test]
fn kilo_new_config_references_an_env_key_and_goes_away_on_remove() {
    let mut t = TestEnv::new();
    t.run(&[
        "init",
        "--url",
        URL,
        "--key-env",
        "GW_KEY",
        "--model",
        "gpt-4o",
        "--yes",
    ])
    .success();
    t.set("GW_KEY", KEY);
    std::fs::create_dir_all(t.home().join(".config/kilo")).unwrap();
    no_key(t.run(&["setup", "kilo", "--yes"]).success());
    assert_eq!(
        t.read(KILO),
        "{\n  \"$schema\": \"https://app.kilo.ai/config.json\",\n  \"provider\": {\n    \"byok\": {\n      \"npm\": \"@ai-sdk/openai-compatible\",\n      \"name\": \"byok\",\n      \"options\": {\n        \"baseURL\": \"https://gw.example.com/v1\",\n        \"apiKey\": \"{env:GW_KEY}\"\n      },\n      \"models\": {\n        \"gpt-4o\": {\n          \"name\": \"gpt-4o\"\n        }\n      }\n    }\n  },\n  \"model\": \"byok/gpt-4o\"\n}\n"
    );
    // A second write to a file byok created still has no original to keep.
    t.init(URL);
    let out = no_key(t.run(&["setup", "kilo", "--yes"]).success());
    assert_eq!(
        out.stdout,
        "Kilo 7.x\n  updated ~/.config/kilo/kilo.jsonc (byok created it: `byok restore` deletes it)\n"
    );
    t.run(&["remove", "kilo", "--yes"]).success();
    assert!(!t.exists(KILO), "byok created it and nothing else is in it");
}

#[test]
fn kilo_keeps_a_model_the_user_chose_and_follows_kilo_config() {
    let mut t = TestEnv::new();
    t.init(URL);
    let custom = t.write(
        "dotfiles/kilo.json",
        "{\n  \"model\": \"ollama/qwen2.5-coder:7b\"\n}\n",
    );
    t.set("KILO_CONFIG", custom.display().to_string());
    t.write(
        ".vscode/extensions/kilocode.kilo-code-7.2.0-linux-x64/package.json",
        "{}",
    );
    let out = t.run(&["setup", "kilo", "--yes"]).success();
    assert!(
        out.stdout.contains(
            "  note: ~/dotfiles/kilo.json sets model to ollama/qwen2.5-coder:7b; byok left your choice\n"
        ),
        "{out}"
    );
    let text = t.read("dotfiles/kilo.json");
    assert!(
        text.starts_with("{\n  \"model\": \"ollama/qwen2.5-coder:7b\",\n  \"provider\": {"),
        "{text}"
    );
    assert!(!t.exists(KILO));
    let det = t.run(&["detect"]).success();
    assert!(
        det.stdout
            .contains("               extension 7.2.0 in VS Code\n"),
        "{det}"
    );
    t.run(&["remove", "kilo", "--yes"]).success();
    assert_eq!(
        t.read("dotfiles/kilo.json"),
        "{\n  \"model\": \"ollama/qwen2.5-coder:7b\"\n}\n"
    );
}

/// The legacy extension (5.x) and 7.x are different tools; 5.x is not Kilo 7.x.
#[test]
fn kilo_legacy_extension_is_not_kilo_7() {
    let t = TestEnv::new();
    t.init(URL);
    t.write(
        ".vscode/extensions/kilocode.kilo-code-5.10.4/package.json",
        "{}",
    );
    let det = t.run(&["detect"]).success();
    assert!(
        det.stdout.contains("Kilo 7.x       not installed\n"),
        "{det}"
    );
}
