//! Tools described by templates (`templates/*.toml`), through the real binary: Kilo Code
//! 7.x as the built-in proof of the format, a user's own template, `setup` then `restore`
//! byte for byte for every template tool on each of its fixtures, and snapshots of
//! `templates list|show` and of setup plans on real-looking fixtures.

use std::path::Path;

use crate::common::{KEY, TestEnv, fixture, no_key};

const KILO: &str = ".config/kilo/kilo.jsonc";
const URL: &str = "https://gw.example.com";

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
        "Kilo 7.x\n  updated ~/.config/kilo/kilo.jsonc (byok created it: `byok restore` deletes it)\n  key: a copy of it, in a file only you can read (0600)\n"
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
            "format.toml:7:10: unknown variant `ini`, expected one of `json`, `jsonc`, `toml`, `dotenv`, `yaml`",
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
    // Continue, the last tool that was Rust code, is a template with a hook too.
    let out = t.run(&["templates", "show", "continue"]).success();
    assert!(
        out.stdout.starts_with(
            "# built-in template templates/continue.toml (with hook `continue`)\n# Continue"
        ),
        "{out}"
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

/// `(file name, directory below home)` for each file a tool's fixtures hold.
type Places = &'static [(&'static str, &'static str)];

/// Each template tool's id, its `tests/fixtures/` directory and where its fixture files
/// go in a Linux home.
const TEMPLATE_HOMES: &[(&str, &str, Places)] = &[
    // First, as `templates list` shows it; `expected.*` (the tool's own tests compare
    // with it) sits beside settings.json, a file Claude Code doesn't read.
    (
        "claude-code",
        "claude-code",
        &[
            ("settings.json", ".claude"),
            ("expected.settings.json", ".claude"),
            (".claude.json", "."),
        ],
    ),
    // Cursor's settings are a row of a SQLite database that only Cursor creates: an
    // empty home gets steps only; tests/cli/cursor_template.rs covers the databases.
    ("cursor", "", &[]),
    // Files per VS Code host: in VS Code, where [`EXTENSIONS`] installs the extension;
    // `settings.after.json` is what Roo's own tests compare with, and the user's own
    // import file sits where their setting points.
    (
        "roo-code",
        "roo-code",
        &[
            ("settings.json", ".config/Code/User"),
            ("settings.after.json", ".config/Code/User"),
            ("roo-code-settings.json", "Documents"),
        ],
    ),
    // Each case's flat files; its `home/`, `expected/` and `removed/` are for
    // tests/cli/setup_cline.rs.
    (
        "cline",
        "cline",
        &[
            ("globalState.json", ".cline/data"),
            ("secrets.json", ".cline/data"),
            ("providers.json", ".cline/data/settings"),
        ],
    ),
    (
        "kilo-code",
        "kilo-code",
        &[("settings.json", ".config/Code/User")],
    ),
    // Each case's flat files; its `home/`, `expected/` and `removed/` are for
    // tests/cli/setup_continue.rs.
    (
        "continue",
        "continue",
        &[
            ("config.yaml", ".continue"),
            (".env", ".continue"),
            ("config.json", ".continue"),
        ],
    ),
    (
        "codex",
        "codex",
        &[("config.toml", ".codex"), (".env", ".codex")],
    ),
    (
        "opencode",
        "opencode",
        &[
            ("opencode.json", ".config/opencode"),
            ("opencode.jsonc", ".config/opencode"),
        ],
    ),
    (
        "gemini-cli",
        "gemini",
        &[("settings.json", ".gemini"), (".env", ".gemini")],
    ),
    ("kilo", "kilo", &[("kilo.jsonc", ".config/kilo")]),
    (
        "qwen-code",
        "qwen-code",
        &[("settings.json", ".qwen"), (".env", ".qwen")],
    ),
    ("droid", "droid", &[("settings.json", ".factory")]),
    (
        "pi",
        "pi",
        &[("models.json", ".pi/agent"), ("settings.json", ".pi/agent")],
    ),
    (
        "aider",
        "aider",
        &[
            (".aider.conf.yml", "."),
            (".aider.model.metadata.json", "."),
        ],
    ),
    (
        "copilot-cli",
        "copilot-cli",
        &[("exports.toml", ".local/state/byok")],
    ),
    ("zed", "zed", &[("settings.json", ".config/zed")]),
    (
        "copilot-chat",
        "copilot-chat",
        &[("chatLanguageModels.json", ".config/Code/User")],
    ),
    (
        "goose",
        "goose",
        &[
            ("config.yaml", ".config/goose"),
            ("byok.json", ".config/goose/custom_providers"),
        ],
    ),
    ("crush", "crush", &[("crush.json", ".config/crush")]),
    // Steps by hand only: no files, no fixtures; setup must write nothing.
    ("claude-desktop", "", &[]),
    ("jetbrains-ai", "", &[]),
    ("trae", "", &[]),
    ("warp", "", &[]),
    ("acme", "acme", &[("config.json", ".acme")]),
];

/// The extension each per-host tool needs in every home of [`TEMPLATE_HOMES`] (an
/// extension folder in VS Code), or setup has no editor to write to.
const EXTENSIONS: &[(&str, &str)] = &[
    (
        "copilot-chat",
        ".vscode/extensions/github.copilot-chat-0.47.0/package.json",
    ),
    (
        "roo-code",
        ".vscode/extensions/rooveterinaryinc.roo-cline-3.52.1/package.json",
    ),
    (
        "kilo-code",
        ".vscode/extensions/kilocode.kilo-code-5.10.4/package.json",
    ),
];

/// Copies a fixture case's files to where the tool reads them (`places`, from [`TEMPLATE_HOMES`]).
fn place_fixture(t: &TestEnv, places: &[(&str, &str)], case: &Path) {
    // Folders in a case belong to the tool's own tests (Cline's `home/`, `expected/`).
    for e in std::fs::read_dir(case)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
    {
        let name = e.file_name().to_string_lossy().into_owned();
        let (_, at) = places
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("{}: no place for {name}", case.display()));
        t.write(&format!("{at}/{name}"), std::fs::read(e.path()).unwrap());
    }
}

/// Every file in the home that is not byok's own (profile, record, backups), with its bytes.
fn users_files(t: &TestEnv) -> std::collections::BTreeMap<String, Vec<u8>> {
    t.tree()
        .into_iter()
        // byok's exports file holds tool settings (`[[export]]`), so it counts.
        .filter(|p| !p.split('/').any(|c| c == "byok") || p.ends_with("byok/exports.toml"))
        .map(|p| {
            let bytes = t.read_bytes(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

/// Issue 9: for every template tool (the built-in ones and a user's), on an empty home and
/// on each of its fixtures, `setup` then `restore --yes` gives every file back byte for
/// byte and deletes the files byok created; a file it can't parse is left untouched.
#[test]
fn restore_after_setup_is_byte_exact_for_every_template_tool() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    // Every template tool is in the table, so a new one can't skip this test.
    let list = with_acme().run(&["templates", "list"]).success().stdout;
    let listed: Vec<&str> = list
        .lines()
        .filter(|l| l.contains("built-in template ") || l.contains("user template "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let ids: Vec<&str> = TEMPLATE_HOMES.iter().map(|(id, _, _)| *id).collect();
    assert_eq!(listed, ids);
    for (id, dir, places) in TEMPLATE_HOMES {
        let mut cases: Vec<_> = match places.is_empty() {
            true => Vec::new(),
            false => std::fs::read_dir(root.join(dir))
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect(),
        };
        cases.sort();
        let cases = std::iter::once(None).chain(cases.into_iter().map(Some));
        for case in cases {
            let what = format!(
                "{id}, {}",
                case.as_deref()
                    .map_or("empty home".into(), |c| c.display().to_string())
            );
            let t = with_acme();
            for (_, marker) in EXTENSIONS.iter().filter(|(tool, _)| tool == id) {
                t.write(marker, "{}");
            }
            if let Some(case) = &case {
                place_fixture(&t, places, case);
            }
            let original = users_files(&t);
            let setup = no_key(t.run(&["setup", id, "--yes"]));
            if what.ends_with("malformed") {
                assert_eq!(setup.code, 2, "{what}:\n{setup}");
                assert_eq!(users_files(&t), original, "{what}: touched");
                continue;
            }
            assert_eq!(setup.code, 0, "{what}:\n{setup}");
            if places.is_empty() {
                assert_eq!(users_files(&t), original, "{what}: steps only, yet written");
                continue;
            }
            assert_ne!(users_files(&t), original, "{what}: setup wrote nothing");
            no_key(t.run(&["restore", "--yes"]).success());
            let now = users_files(&t);
            assert_eq!(
                now.keys().collect::<Vec<_>>(),
                original.keys().collect::<Vec<_>>(),
                "{what}: files byok created must go, the user's stay"
            );
            for (path, bytes) in &original {
                assert!(
                    now[path] == *bytes,
                    "{what}: {path} differs:\n{}",
                    String::from_utf8_lossy(&now[path])
                );
            }
        }
    }
}

/// `byok setup <tool> --dry-run` on a home holding one fixture case, as the user sees it.
fn dry_run(id: &str, case: &str) -> String {
    let (_, dir, places) = TEMPLATE_HOMES.iter().find(|(i, ..)| *i == id).unwrap();
    let t = TestEnv::new();
    t.init(URL);
    let case = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
        .join(case);
    place_fixture(&t, places, &case);
    let before = users_files(&t);
    let out = no_key(t.run(&["setup", id, "--dry-run"]).success());
    assert_eq!(users_files(&t), before, "a dry run writes nothing");
    out.stdout
}

#[test]
fn templates_list_names_each_tools_source() {
    let t = with_acme();
    let out = t.run(&["templates", "list"]).success();
    insta::assert_snapshot!(out.stdout, @r"
    claude-code    Claude Code    built-in template templates/claude-code.toml (with hook `claude-code`)
    cursor         Cursor         built-in template templates/cursor.toml (with hook `cursor`)
    roo-code       Roo Code       built-in template templates/roo-code.toml (with hook `roo-code`)
    cline          Cline          built-in template templates/cline.toml (with hook `cline`)
    kilo-code      Kilo Code      built-in template templates/kilo-code.toml (with hook `kilo-code`)
    continue       Continue       built-in template templates/continue.toml (with hook `continue`)
    codex          Codex CLI      built-in template templates/codex.toml (with hook `codex`)
    opencode       OpenCode       built-in template templates/opencode.toml (with hook `opencode`)
    gemini-cli     Gemini CLI     built-in template templates/gemini-cli.toml (with hook `gemini-cli`)
    kilo           Kilo 7.x       built-in template templates/kilo.toml
    qwen-code      Qwen Code      built-in template templates/qwen-code.toml (with hook `qwen-code`)
    droid          Droid          built-in template templates/droid.toml (with hook `droid`)
    pi             Pi             built-in template templates/pi.toml (with hook `pi`)
    aider          Aider          built-in template templates/aider.toml (with hook `aider`)
    copilot-cli    Copilot CLI    built-in template templates/copilot-cli.toml
    zed            Zed            built-in template templates/zed.toml
    copilot-chat   Copilot Chat   built-in template templates/copilot-chat.toml
    goose          Goose          built-in template templates/goose.toml (with hook `goose`)
    crush          Crush          built-in template templates/crush.toml (with hook `crush`)
    claude-desktop Claude Desktop built-in template templates/claude-desktop.toml (with hook `claude-desktop`)
    jetbrains-ai   JetBrains AI   built-in template templates/jetbrains-ai.toml
    trae           Trae           built-in template templates/trae.toml
    warp           Warp           built-in template templates/warp.toml (with hook `warp`)
    acme           Acme Agent     user template ~/.config/byok/templates/acme.toml
    your templates: ~/.config/byok/templates (`byok templates check FILE` tests one)
    ");
}

/// `templates show` prints where the template comes from, then the template itself; the
/// snapshot holds the header and the roots, detection and first file of Codex's.
#[test]
fn templates_show_prints_the_effective_template() {
    let t = with_acme();
    let out = t.run(&["templates", "show", "codex"]).success();
    assert_eq!(
        out.stdout,
        format!(
            "# built-in template templates/codex.toml (with hook `codex`)\n{}",
            include_str!("../../templates/codex.toml")
        )
    );
    let lines: Vec<&str> = out.stdout.lines().collect();
    let roots = lines.iter().position(|l| *l == "[roots.codex]").unwrap();
    let shown = [&lines[..1], &lines[roots..roots + 16]].concat().join("\n");
    insta::assert_snapshot!(shown, @r##"
    # built-in template templates/codex.toml (with hook `codex`)
    [roots.codex]
    env = "CODEX_HOME"
    default = "{home}/.codex"

    [detect]
    binaries = ["codex"]
    dirs = ["{codex}"]

    [[file]]
    id = "config.toml"
    path = "{codex}/config.toml"
    format = "toml"

    [file.comments]
    "model_providers.byok" = "# managed by byok: `byok remove codex` takes this out"
    "##);
    let out = t.run(&["templates", "show", "acme"]).success();
    assert_eq!(
        out.stdout,
        format!(
            "# user template ~/.config/byok/templates/acme.toml\n{}",
            fixture("user-templates/acme.toml")
        )
    );
}

#[test]
fn setup_plan_codex_real() {
    insta::assert_snapshot!(dry_run("codex", "real"), @r#"
    Codex CLI
    --- a/~/.codex/config.toml
    +++ b/~/.codex/config.toml
    @@ -1,11 +1,12 @@
     # Codex CLI settings (see https://developers.openai.com/codex/config-reference)
     # Edited by hand; keep the MCP servers in sync with the team wiki.
     
    -model = "gpt-5.1-codex"  # default for new sessions
    +model = "gpt-4o"  # default for new sessions
     model_reasoning_effort = "high"
     approval_policy = "on-request"
     sandbox_mode = "workspace-write"
     file_opener = "vscode"
    +model_provider = "byok"
     
     [sandbox_workspace_write]
     network_access = false
    @@ -49,3 +50,13 @@
     
     [tui]
     notifications = ["agent-turn-complete", "approval-requested"]
    +
    +# managed by byok: `byok remove codex` takes this out
    +[model_providers.byok]
    +name = "byok"
    +base_url = "https://gw.example.com/v1"
    +wire_api = "responses"
    +
    +[model_providers.byok.auth]
    +command = "[BYOK]"
    +args = ["--profile", "default", "print-key"]
      note: replaces your config.toml model (gpt-5.1-codex); `byok remove codex` puts it back
      note: Codex sends every request to https://gw.example.com/v1/responses (the Responses API); the gateway must serve it, streaming
      note: Codex runs `byok print-key` for the key, so no key is written
    "#);
}

#[test]
fn setup_plan_opencode_jsonc() {
    insta::assert_snapshot!(dry_run("opencode", "jsonc"), @r#"
    OpenCode
    --- a/~/.config/opencode/opencode.jsonc
    +++ b/~/.config/opencode/opencode.jsonc
    @@ -19,6 +19,19 @@
             "qwen2.5-coder:14b": { "name": "Qwen 2.5 Coder 14B" },
           },
         },
    +    "byok": {
    +      "npm": "@ai-sdk/openai-compatible",
    +      "name": "byok",
    +      "options": {
    +        "baseURL": "https://gw.example.com/v1",
    +        "apiKey": "sk-…cdef"
    +      },
    +      "models": {
    +        "gpt-4o": {
    +          "name": "gpt-4o"
    +        }
    +      }
    +    },
       },
     
       "mcp": {
    @@ -28,4 +41,5 @@
         },
       },
       "permission": { "bash": "ask", "edit": "allow" },
    +  "model": "byok/gpt-4o",
     }
    "#);
}

#[test]
fn setup_plan_gemini_real() {
    insta::assert_snapshot!(dry_run("gemini-cli", "real"), @r#"
    Gemini CLI
    --- a/~/.gemini/settings.json
    +++ b/~/.gemini/settings.json
    @@ -10,7 +10,7 @@
       },
       "security": {
         "auth": {
    -      "selectedType": "oauth-personal"
    +      "selectedType": "gemini-api-key"
         },
         "folderTrust": { "enabled": true }
       },
    --- a/~/.gemini/.env
    +++ b/~/.gemini/.env
    @@ -1,3 +1,6 @@
     # Vertex project for work
     GOOGLE_CLOUD_PROJECT=acme-dev-123
     GOOGLE_CLOUD_LOCATION=europe-west4
    +GOOGLE_GEMINI_BASE_URL='https://gw.example.com' # managed by byok
    +GEMINI_API_KEY='sk-…cdef' # managed by byok
    +GEMINI_MODEL='gpt-4o' # managed by byok
      note: replaces your settings.json security.auth.selectedType (oauth-personal); `byok remove gemini-cli` puts it back
      note: Gemini CLI speaks only Google's Gemini API: the gateway must serve https://gw.example.com/v1beta/models/<model>:streamGenerateContent
      note: Gemini CLI reads ~/.gemini/.env only in folders you trust (it asks when you first start it in a folder); elsewhere export GOOGLE_GEMINI_BASE_URL and GEMINI_API_KEY in your shell
    "#);
}

#[test]
fn setup_plan_kilo_commented() {
    insta::assert_snapshot!(dry_run("kilo", "commented"), @r#"
    Kilo 7.x
    --- a/~/.config/kilo/kilo.jsonc
    +++ b/~/.config/kilo/kilo.jsonc
    @@ -8,6 +8,19 @@
           "options": { "baseURL": "http://localhost:11434/v1" },
           "models": { "qwen2.5-coder:7b": {} },
         },
    +    "byok": {
    +      "npm": "@ai-sdk/openai-compatible",
    +      "name": "byok",
    +      "options": {
    +        "baseURL": "https://gw.example.com/v1",
    +        "apiKey": "sk-…cdef"
    +      },
    +      "models": {
    +        "gpt-4o": {
    +          "name": "gpt-4o"
    +        }
    +      }
    +    },
       },
       "mcp": {
         "docs": { "type": "local", "command": ["docs-mcp", "--stdio"] },
    @@ -15,4 +28,5 @@
       "permission": {
         "bash": "ask", // never "allow" on this machine
       },
    +  "model": "byok/gpt-4o",
     }
    "#);
}

const YAMMER: &str = ".yammer/config.yaml";

#[test]
fn a_yaml_template_edits_mapping_keys_and_remove_gives_the_original_bytes() {
    let t = TestEnv::new();
    t.init(URL);
    t.write(
        ".config/byok/templates/yammer.toml",
        fixture("user-templates-yaml/yammer.toml"),
    );
    let original = "# Yammer settings\r\nmodel: old-model   # my pick\r\n\r\nprovider:\r\n    # tuned by hand\r\n    timeout: 30\r\ndark-mode: true\r\n";
    t.write(YAMMER, original);
    no_key(t.run(&["setup", "yammer", "--yes"]).success());
    let written = t.read(YAMMER);
    assert_eq!(
        written.replace(KEY, "KEY"),
        "# Yammer settings\r\nmodel: gpt-4o   # my pick\r\n\r\nprovider:\r\n    # tuned by hand\r\n    timeout: 30\r\n    openai-api-base: https://gw.example.com/v1\r\n    openai-api-key: KEY\r\ndark-mode: true\r\n"
    );
    assert_eq!(
        t.run(&["setup", "yammer", "--yes"]).success().stdout,
        "Yammer\n  up to date\n"
    );
    no_key(t.run(&["remove", "yammer", "--yes"]).success());
    assert_eq!(
        t.read(YAMMER),
        original,
        "byok's keys out, the user's `model` back, every comment and CRLF kept"
    );
    t.run(&["restore", "--yes", "--force"]).success();
    assert_eq!(t.read(YAMMER), original);
}
