//! Tools that read the gateway (or only its key) from the environment, through the real
//! binary: a template's `[[export]]` entries land in byok's state file on `setup`, join
//! `byok env` in every shell format, leave on `remove`, and `detect` says whether this
//! shell has them. Copilot CLI is exports only; Zed has its settings.json plus its key
//! variable.

use crate::common::{KEY, TestEnv, fixture, no_key};

const URL: &str = "https://gw.example.com";
const STATE: &str = ".local/state/byok/exports.toml";
const ZED: &str = ".config/zed/settings.json";
const LOAD: &str = "run `eval \"$(byok env)\"` (fish: `byok env | source`) in each open shell, or open a new one (`byok env --install` loads byok env at every start)";

/// A home whose profile reads its key from `GW_KEY`, which holds [`KEY`].
fn key_env_home() -> TestEnv {
    let mut t = TestEnv::new();
    t.set("GW_KEY", KEY);
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
    t
}

/// The lines of `byok env` after byok's own exports (the tools' ones), end marker included.
fn tool_lines(out: &str, first: &str) -> String {
    let at = out
        .find(first)
        .unwrap_or_else(|| panic!("no `{first}` in:\n{out}"));
    out[at..].to_string()
}

#[test]
fn copilot_setup_records_exports_that_byok_env_prints_in_every_shell() {
    let t = TestEnv::new();
    t.init(URL);
    let out = no_key(t.run(&["setup", "copilot-cli", "--yes"]).success());
    assert_eq!(
        out.stdout,
        format!(
            "Copilot CLI\n  created ~/{STATE} (a new file, so no backup: `byok restore` deletes it)\n  key: a key command (`byok print-key`): no copy in its files\n  still to do by hand:\n    1. load Copilot CLI's settings: {LOAD}\n"
        )
    );
    let exe = env!("CARGO_BIN_EXE_byok");
    assert_eq!(
        t.read(STATE),
        format!(
            "# Copilot CLI: `byok env` exports these; `byok remove copilot-cli` takes them out\n[copilot-cli]\nCOPILOT_PROVIDER_BASE_URL = \"https://gw.example.com/v1\"\nCOPILOT_PROVIDER_TYPE = \"openai\"\nCOPILOT_MODEL = \"gpt-4o\"\n\n[copilot-cli.COPILOT_PROVIDER_API_KEY_COMMAND]\ncommand = [\"{exe}\", \"--profile\", \"default\", \"print-key\"]\n\n[copilot-cli.COPILOT_PROVIDER_BEARER_TOKEN]\nunset = true\n"
        )
    );
    // The key itself never goes into a Copilot variable: a key command does.
    let cases = [
        (
            "bash",
            "export COPILOT_PROVIDER_BASE_URL='https://gw.example.com/v1'\nexport COPILOT_PROVIDER_TYPE='openai'\nexport COPILOT_MODEL='gpt-4o'\nexport COPILOT_PROVIDER_API_KEY_COMMAND='[BYOK] --profile default print-key'\nunset COPILOT_PROVIDER_BEARER_TOKEN\n# <<< byok <<<\n",
        ),
        (
            "fish",
            "set -gx COPILOT_PROVIDER_BASE_URL 'https://gw.example.com/v1'\nset -gx COPILOT_PROVIDER_TYPE 'openai'\nset -gx COPILOT_MODEL 'gpt-4o'\nset -gx COPILOT_PROVIDER_API_KEY_COMMAND '[BYOK] --profile default print-key'\nset -e COPILOT_PROVIDER_BEARER_TOKEN\n# <<< byok <<<\n",
        ),
        (
            "powershell",
            "$env:COPILOT_PROVIDER_BASE_URL = 'https://gw.example.com/v1'\n$env:COPILOT_PROVIDER_TYPE = 'openai'\n$env:COPILOT_MODEL = 'gpt-4o'\n$env:COPILOT_PROVIDER_API_KEY_COMMAND = '[BYOK] --profile default print-key'\nRemove-Item -ErrorAction SilentlyContinue Env:COPILOT_PROVIDER_BEARER_TOKEN\n# <<< byok <<<\n",
        ),
        (
            "nu",
            "$env.COPILOT_PROVIDER_BASE_URL = r#'https://gw.example.com/v1'#\n$env.COPILOT_PROVIDER_TYPE = r#'openai'#\n$env.COPILOT_MODEL = r#'gpt-4o'#\n$env.COPILOT_PROVIDER_API_KEY_COMMAND = r#'[BYOK] --profile default print-key'#\nhide-env -i COPILOT_PROVIDER_BEARER_TOKEN\n# <<< byok <<<\n",
        ),
        (
            "dotenv",
            "COPILOT_PROVIDER_BASE_URL='https://gw.example.com/v1'\nCOPILOT_PROVIDER_TYPE='openai'\nCOPILOT_MODEL='gpt-4o'\nCOPILOT_PROVIDER_API_KEY_COMMAND='[BYOK] --profile default print-key'\n# <<< byok <<<\n",
        ),
    ];
    for (shell, want) in cases {
        let out = t.run(&["env", "--shell", shell]).success();
        let tools = tool_lines(&out.stdout, "COPILOT_PROVIDER_BASE_URL");
        let start = want.find("COPILOT_PROVIDER_BASE_URL").unwrap();
        assert_eq!(tools, want[start..], "{shell}");
        assert!(!tools.contains(KEY), "{shell}");
    }
    let json = t.run(&["env", "--shell", "json"]).success().stdout;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["COPILOT_MODEL"], "gpt-4o");
    assert_eq!(
        v["COPILOT_PROVIDER_API_KEY_COMMAND"],
        "[BYOK] --profile default print-key"
    );
    assert!(v.get("COPILOT_PROVIDER_BEARER_TOKEN").is_none());
    // `--unset` takes them out too.
    let unset = t.run(&["env", "--shell", "bash", "--unset"]).success();
    assert!(
        unset.stdout.ends_with(
            "unset COPILOT_PROVIDER_BASE_URL\nunset COPILOT_PROVIDER_TYPE\nunset COPILOT_MODEL\nunset COPILOT_PROVIDER_API_KEY_COMMAND\nunset COPILOT_PROVIDER_BEARER_TOKEN\n"
        ),
        "{unset}"
    );
    // Setup again changes nothing; remove takes the exports out and the file byok made.
    let again = no_key(t.run(&["setup", "copilot-cli", "--yes"]).success());
    assert_eq!(again.stdout, "Copilot CLI\n  up to date\n");
    let removed = no_key(t.run(&["remove", "copilot-cli", "--yes"]).success());
    assert_eq!(
        removed.stdout,
        format!("Copilot CLI\n  deleted ~/{STATE}\n")
    );
    assert!(!t.exists(STATE));
    let after = t.run(&["env", "--shell", "bash"]).success().stdout;
    assert!(!after.contains("COPILOT"), "{after}");
}

#[test]
fn an_env_var_profile_gets_a_reference_never_the_key() {
    let t = key_env_home();
    no_key(t.run(&["setup", "copilot-cli", "--yes"]).success());
    assert!(!t.read(STATE).contains(KEY));
    let out = no_key(t.run(&["env", "--shell", "bash"]).success());
    assert_eq!(
        tool_lines(&out.stdout, "export COPILOT_PROVIDER_BASE_URL"),
        "export COPILOT_PROVIDER_BASE_URL='https://gw.example.com/v1'\nexport COPILOT_PROVIDER_TYPE='openai'\nexport COPILOT_MODEL='gpt-4o'\nunset COPILOT_PROVIDER_API_KEY_COMMAND\nexport COPILOT_PROVIDER_API_KEY=\"${GW_KEY}\"\nunset COPILOT_PROVIDER_BEARER_TOKEN\n# <<< byok <<<\n"
    );
    let fish = no_key(t.run(&["env", "--shell", "fish"]).success());
    assert!(
        fish.stdout
            .contains("set -gx COPILOT_PROVIDER_API_KEY $GW_KEY\n"),
        "{fish}"
    );
    let ps = no_key(t.run(&["env", "--shell", "powershell"]).success());
    assert!(
        ps.stdout
            .contains("$env:COPILOT_PROVIDER_API_KEY = $env:GW_KEY\n"),
        "{ps}"
    );
}

#[test]
fn detect_says_whether_this_shell_has_the_exports_and_names_a_stale_one() {
    let mut t = TestEnv::new();
    t.init(URL);
    no_key(t.run(&["setup", "copilot-cli", "--yes"]).success());
    // `detect` lists a tool once it is installed: an empty ~/.copilot is evidence.
    t.write(".copilot/config.json", "{}\n");
    let what = "byok env sets COPILOT_PROVIDER_BASE_URL, COPILOT_PROVIDER_TYPE, COPILOT_MODEL, COPILOT_PROVIDER_API_KEY_COMMAND (and unsets COPILOT_PROVIDER_BEARER_TOKEN) for Copilot CLI";
    let out = no_key(t.run(&["detect"]).success());
    assert!(
        out.stdout.contains(&format!(
            "warning: {what}, but this shell does not have COPILOT_PROVIDER_BASE_URL, COPILOT_PROVIDER_TYPE, COPILOT_MODEL, COPILOT_PROVIDER_API_KEY_COMMAND yet\n                 hint: {LOAD}\n"
        )),
        "{out}"
    );
    // A shell that loaded byok env has them: nothing to warn about.
    let exe = env!("CARGO_BIN_EXE_byok");
    t.set("COPILOT_PROVIDER_BASE_URL", "https://gw.example.com/v1")
        .set("COPILOT_PROVIDER_TYPE", "openai")
        .set("COPILOT_MODEL", "gpt-4o")
        .set(
            "COPILOT_PROVIDER_API_KEY_COMMAND",
            format!("{exe} --profile default print-key"),
        );
    let out = t.run(&["detect"]).success();
    assert!(!out.stdout.contains("COPILOT"), "{out}");
    // An old value from another setup, and a token that would win over the key.
    t.set("COPILOT_PROVIDER_BASE_URL", "https://old.example/v1")
        .set("COPILOT_PROVIDER_BEARER_TOKEN", "tok-0123456789abcdef");
    let out = t.run(&["detect"]).success();
    assert!(
        out.stdout.contains(
            "warning: COPILOT_PROVIDER_BASE_URL in this shell is `https://old.example/v1`, not what byok env sets for Copilot CLI\n"
        ),
        "{out}"
    );
    assert!(
        out.stdout.contains(
            "warning: COPILOT_PROVIDER_BEARER_TOKEN is set in this shell; byok env unsets it for Copilot CLI, as it would win over byok's settings\n"
        ),
        "{out}"
    );
}

#[test]
fn zed_setup_merges_its_provider_and_exports_the_key_variable() {
    let t = TestEnv::new();
    t.init(URL);
    let original = fixture("zed/real/settings.json");
    t.write(ZED, &original);
    let out = no_key(t.run(&["setup", "zed", "--yes"]).success());
    let backup = out
        .stdout
        .split("backup ")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .unwrap();
    assert_eq!(
        out.stdout,
        format!(
            "Zed\n  updated ~/{ZED} (original kept as backup {backup})\n  created ~/{STATE} (a new file, so no backup: `byok restore` deletes it)\n  key: a copy of it, in a file only you can read (0600)\n  note: Zed reads BYOK_GATEWAY_API_KEY from the environment it starts in: start Zed from a shell that loaded `byok env`\n  still to do by hand:\n    1. load Zed's settings: {LOAD}\n"
        )
    );
    let provider = "      \"byok-gateway\": {\n        \"api_url\": \"https://gw.example.com/v1\",\n        \"available_models\": [\n          {\n            \"name\": \"gpt-4o\",\n            \"display_name\": \"gpt-4o (byok)\",\n            \"max_tokens\": 128000\n          }\n        ]\n      },\n";
    let want = original
        .replace(
            "        ],\n      },\n    },\n  },\n",
            &format!("        ],\n      }},\n{provider}    }},\n  }},\n"),
        )
        .replace(
            "    },\n  },\n}\n",
            "    },\n  },\n  \"agent\": {\n    \"default_model\": {\n      \"provider\": \"byok-gateway\",\n      \"model\": \"gpt-4o\"\n    }\n  },\n}\n",
        );
    assert_eq!(t.read(ZED), want);
    // The key goes where byok env's own literal keys go, in a 0600 state file.
    assert_eq!(
        t.read(STATE),
        format!(
            "# Zed: `byok env` exports these; `byok remove zed` takes them out\n[zed]\nBYOK_GATEWAY_API_KEY = \"{KEY}\"\n"
        )
    );
    assert_eq!(t.mode(STATE), 0o600);
    let env = t.run(&["env", "--shell", "bash"]).success().stdout;
    assert!(
        env.ends_with(&format!(
            "export BYOK_GATEWAY_API_KEY='{KEY}'\n# <<< byok <<<\n"
        )),
        "{env}"
    );
    let again = no_key(t.run(&["setup", "zed", "--yes"]).success());
    assert_eq!(again.stdout, "Zed\n  up to date\n");
    no_key(t.run(&["remove", "zed", "--yes"]).success());
    assert_eq!(t.read(ZED), original);
    assert!(!t.exists(STATE));
}

#[test]
fn zed_with_an_env_var_profile_references_it_and_keeps_a_users_model() {
    let t = key_env_home();
    let original = fixture("zed/own-default/settings.json");
    t.write(ZED, &original);
    let out = no_key(t.run(&["setup", "zed", "--yes"]).success());
    assert!(
        out.stdout.contains(
            "  note: ~/.config/zed/settings.json selects agent provider `anthropic`; byok left it, so pick `gpt-4o` under byok-gateway in Zed's agent panel\n  note: ~/.config/zed/settings.json selects agent model `claude-sonnet-4`; byok left it\n"
        ),
        "{out}"
    );
    assert!(t.read(ZED).contains("\"provider\": \"anthropic\""));
    assert_eq!(
        t.read(STATE),
        "[zed.BYOK_GATEWAY_API_KEY]\nvar = \"GW_KEY\"\n"
    );
    let env = no_key(t.run(&["env", "--shell", "bash"]).success());
    assert!(
        env.stdout
            .ends_with("export BYOK_GATEWAY_API_KEY=\"${GW_KEY}\"\n# <<< byok <<<\n"),
        "{env}"
    );
    no_key(t.run(&["remove", "zed", "--yes"]).success());
    assert_eq!(t.read(ZED), original);
}

#[test]
fn zeds_settings_live_where_zed_reads_them_on_each_os() {
    for (os, rel) in [
        ("macos", ".config/zed/settings.json"),
        ("windows", "AppData/Roaming/Zed/settings.json"),
    ] {
        let mut t = TestEnv::new();
        t.set("BYOK_OS", os);
        t.init(URL);
        no_key(t.run(&["setup", "zed", "--yes"]).success());
        assert!(
            t.read(rel).contains("\"byok-gateway\""),
            "{os}: {:?}",
            t.tree()
        );
    }
}
