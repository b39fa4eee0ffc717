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

const ACME: &str = ".acme/config.json";

/// A home with the user's template for a tool byok doesn't ship.
fn with_acme() -> TestEnv {
    let t = TestEnv::new();
    t.init(URL);
    t.write(
        ".config/byok/templates/acme.toml",
        fixture("user-templates/acme.toml"),
    );
    t
}

#[test]
fn a_user_template_adds_a_tool_for_every_command() {
    let t = with_acme();
    let original = "{\n  \"theme\": \"dark\",\n  \"telemetry\": { \"endpoint\": \"https://t.acme.example\" }\n}\n";
    t.write(ACME, original);
    let out = no_key(t.run(&["setup", "acme", "--dry-run"]).success());
    insta::assert_snapshot!(out.stdout, @r#"
    Acme Agent
    --- a/~/.acme/config.json
    +++ b/~/.acme/config.json
    @@ -1,4 +1,9 @@
     {
       "theme": "dark",
    -  "telemetry": { "endpoint": "https://t.acme.example" }
    +  "telemetry": {},
    +  "gateway": {
    +    "url": "https://gw.example.com/v1",
    +    "api_key": "sk-…cdef"
    +  },
    +  "model": "gpt-4o"
     }
    "#);
    no_key(t.run(&["setup", "acme", "--yes"]).success());
    assert_eq!(
        t.run(&["setup", "acme", "--yes"]).success().stdout,
        "Acme Agent\n  up to date\n"
    );
    let det = t.run(&["detect"]).success();
    assert!(
        det.stdout.contains(
            "Acme Agent     configured (profile default)\n               config dir ~/.acme\n               user template ~/.config/byok/templates/acme.toml\n"
        ),
        "{det}"
    );
    // Drift on a value the template owns is seen like a built-in tool's.
    let edited = t
        .read(ACME)
        .replace("https://gw.example.com/v1", "https://mine/v1");
    t.write(ACME, &edited);
    let det = t.run(&["detect"]).success();
    assert!(
        det.stdout
            .contains("Acme Agent     drifted: changed by hand: config.json gateway.url\n"),
        "{det}"
    );
    t.write(
        ACME,
        edited.replace("https://mine/v1", "https://gw.example.com/v1"),
    );
    no_key(t.run(&["remove", "acme", "--yes"]).success());
    assert_eq!(
        t.read(ACME),
        "{\n  \"theme\": \"dark\",\n  \"telemetry\": {}\n}\n",
        "byok's values out, the absent one stays out"
    );
    t.run(&["restore", "--yes", "--force"]).success();
    assert_eq!(t.read(ACME), original);
}

#[test]
fn a_user_template_replaces_a_built_in_template_but_not_a_built_in_adapter() {
    let t = TestEnv::new();
    t.init(URL);
    let mine = fixture("user-templates/acme.toml")
        .replace("id = \"acme\"", "id = \"kilo\"")
        .replace("name = \"Acme Agent\"", "name = \"My Kilo\"");
    t.write(".config/byok/templates/kilo.toml", &mine);
    t.write(
        ".config/byok/templates/codex.toml",
        mine.replace("id = \"kilo\"", "id = \"codex\""),
    );
    let out = t.run(&["templates", "list"]).success();
    assert!(
        out.stdout.contains(
            "kilo           My Kilo        user template ~/.config/byok/templates/kilo.toml\n"
        ),
        "{out}"
    );
    assert!(
        out.stdout.contains(
            "codex          (broken)       can't be used: [HOME]/.config/byok/templates/codex.toml: `codex` is built into byok with code a template can't replace; give your template another id\n"
        ),
        "{out}"
    );
    // The built-in Codex still works; only the broken template is reported.
    t.write(".codex/config.toml", "");
    t.run(&["setup", "codex", "--dry-run"]).success();
}

#[test]
fn a_broken_user_template_fails_only_the_command_that_names_it() {
    let t = with_acme();
    for (file, text, want) in [
        (
            "bad-toml.toml",
            "id = \"bad-toml\"\nname = \n",
            "bad-toml.toml:2:8: string values must be quoted, expected literal string",
        ),
        (
            "placeholder.toml",
            "id = \"placeholder\"\nname = \"P\"\nverified = \"P 1, by hand\"\n[[file]]\nid = \"c\"\npath = \"{home}/.p.json\"\nformat = \"json\"\n[[file.value]]\nkey = \"url\"\nvalue = \"{opanai_base}\"\n",
            "placeholder.toml:10:10: unknown placeholder `{opanai_base}`",
        ),
        (
            "format.toml",
            "id = \"format\"\nname = \"F\"\nverified = \"F 1, by hand\"\n[[file]]\nid = \"c\"\npath = \"{home}/.f\"\nformat = \"ini\"\n",
            "format.toml:7:10: unknown variant `ini`, expected one of `json`, `jsonc`, `toml`, `dotenv`",
        ),
        (
            "outside.toml",
            "id = \"outside\"\nname = \"O\"\nverified = \"O 1, by hand\"\n[[file]]\nid = \"c\"\npath = \"/etc/outside.json\"\nformat = \"json\"\n",
            "outside.toml:6:9: path `/etc/outside.json` must start with a root such as {home}, {xdg_config} or one of the template's [roots]",
        ),
    ] {
        let path = t.write(&format!(".config/byok/templates/{file}"), text);
        let id = file.trim_end_matches(".toml");
        let out = t.run(&["setup", id, "--dry-run"]).code(2);
        assert!(out.stderr.contains(want), "{file}:\n{out}");
        let out = t
            .run(&["templates", "check", path.to_str().unwrap()])
            .code(2);
        assert!(out.stderr.contains(want), "{file}:\n{out}");
        // Every other tool keeps working.
        t.run(&["setup", "acme", "--dry-run"]).success();
        let det = t.run(&["detect"]).success();
        assert!(
            det.stdout
                .contains(&format!("{id:<14} error: template can't be used: ")),
            "{det}"
        );
        std::fs::remove_file(path).unwrap();
    }
}

#[test]
fn templates_show_and_check() {
    let t = with_acme();
    let out = t.run(&["templates", "show", "kilo"]).success();
    assert!(
        out.stdout
            .starts_with("# built-in template templates/kilo.toml\n# Kilo Code 7.x"),
        "{out}"
    );
    let out = t.run(&["templates", "show", "cursor"]).code(2);
    assert_eq!(
        out.stderr,
        "byok: error: `cursor` is built into byok as code and has no template yet\nhint: `byok templates list` shows which tools come from templates\n"
    );
    let file = t.home().join(".config/byok/templates/acme.toml");
    let out = no_key(
        t.run(&["templates", "check", file.to_str().unwrap()])
            .success(),
    );
    insta::assert_snapshot!(out.stdout, @r#"
    ~/.config/byok/templates/acme.toml: template `acme` (Acme Agent) is valid
    what `byok setup acme` would write on an empty home for profile `default`:
    --- /dev/null
    +++ b/~/.acme/config.json
    @@ -0,0 +1,7 @@
    +{
    +  "gateway": {
    +    "url": "https://gw.example.com/v1",
    +    "api_key": "sk-…cdef"
    +  },
    +  "model": "gpt-4o"
    +}
    "#);
}
