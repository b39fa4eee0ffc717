//! Pi (`templates/pi.toml`) and Aider (`templates/aider.toml`) through the real binary on
//! real-looking fixtures: the exact files after setup, a second setup up to date, remove
//! giving back the original bytes, drift, a key kept in an env var versus the key itself
//! (and the file modes that follow), the Windows and macOS layouts, and the doctor
//! findings each tool's hook adds.

use crate::common::{KEY, TestEnv, fixture, no_key};

const URL: &str = "https://gw.example.com";
const PI_MODELS: &str = ".pi/agent/models.json";
const PI_SETTINGS: &str = ".pi/agent/settings.json";

/// The output with each backup id replaced by `[ID]`.
fn ids(s: &str) -> String {
    s.split("backup ")
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part.to_string()
            } else {
                let end = part.find(')').unwrap_or(0);
                format!("[ID]{}", &part[end..])
            }
        })
        .collect::<Vec<_>>()
        .join("backup ")
}

/// A home with the standard profile and Pi's `real` fixture.
fn pi_home() -> TestEnv {
    let t = TestEnv::new();
    t.init(URL);
    t.write(PI_MODELS, fixture("pi/real/models.json"));
    t.write(PI_SETTINGS, fixture("pi/real/settings.json"));
    t
}

/// What byok adds to the `real` models.json, with `api_key` as `apiKey`.
fn pi_models_after(t: &TestEnv, api_key: &str) -> String {
    let original = fixture("pi/real/models.json");
    let byok = format!(
        "    }},\n    \"byok\": {{\n      \"baseUrl\": \"https://gw.example.com/v1\",\n      \"api\": \"openai-completions\",\n      \"apiKey\": \"{api_key}\",\n      \"models\": [\n        {{\n          \"id\": \"gpt-4o\",\n          \"name\": \"gpt-4o\"\n        }}\n      ]\n    }}\n  }}\n}}\n"
    );
    let cut = original.rfind("    }\n  }\n}\n").unwrap();
    let _ = t;
    format!("{}{byok}", &original[..cut])
}

#[test]
fn pi_setup_adds_a_provider_with_a_key_command_and_remove_gives_the_files_back() {
    let t = pi_home();
    let out = no_key(t.run(&["setup", "pi", "--yes"]).success());
    assert_eq!(
        ids(&out.stdout),
        "Pi\n  updated ~/.pi/agent/models.json (original kept as backup [ID])\n  updated ~/.pi/agent/settings.json (original kept as backup [ID])\n  key: a key command (`byok print-key`): no copy in its files\n"
    );
    let command = format!(
        "!'{}' print-key --profile 'default'",
        env!("CARGO_BIN_EXE_byok")
    );
    assert_eq!(t.read(PI_MODELS), pi_models_after(&t, &command));
    assert!(!t.read(PI_MODELS).contains(KEY), "a command, not the key");
    assert_eq!(
        t.read(PI_SETTINGS),
        fixture("pi/real/settings.json").replace(
            "\n  ]\n}\n",
            "\n  ],\n  \"defaultProvider\": \"byok\",\n  \"defaultModel\": \"gpt-4o\"\n}\n"
        )
    );
    assert_eq!(
        t.run(&["setup", "pi", "--yes"]).success().stdout,
        "Pi\n  up to date\n"
    );
    // The command prints the profile's key, which is what Pi sends.
    let printed = t.run(&["print-key", "--profile", "default"]).success();
    assert_eq!(printed.stdout.trim_end(), KEY);
    let det = t.run(&["detect"]).success();
    assert!(
        det.stdout.contains(
            "Pi             configured (profile default)\n               config dir ~/.pi/agent\n"
        ),
        "{det}"
    );
    no_key(t.run(&["remove", "pi", "--yes"]).success());
    assert_eq!(t.read(PI_MODELS), fixture("pi/real/models.json"));
    assert_eq!(t.read(PI_SETTINGS), fixture("pi/real/settings.json"));
}

#[test]
fn pi_env_key_profile_writes_the_variable_name_and_new_files_go_on_remove() {
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
    no_key(t.run(&["setup", "pi", "--yes"]).success());
    assert_eq!(
        t.read(PI_MODELS),
        "{\n  \"providers\": {\n    \"byok\": {\n      \"baseUrl\": \"https://gw.example.com/v1\",\n      \"api\": \"openai-completions\",\n      \"apiKey\": \"GW_KEY\",\n      \"models\": [\n        {\n          \"id\": \"gpt-4o\",\n          \"name\": \"gpt-4o\"\n        }\n      ]\n    }\n  }\n}\n"
    );
    assert_eq!(
        t.read(PI_SETTINGS),
        "{\n  \"defaultProvider\": \"byok\",\n  \"defaultModel\": \"gpt-4o\"\n}\n"
    );
    #[cfg(unix)]
    {
        // No key in either file: nothing makes them private.
        assert_eq!(
            t.mode(PI_MODELS) & 0o077 != 0,
            t.mode(PI_SETTINGS) & 0o077 != 0
        );
    }
    // Pi looks the name up in its environment; without the variable it sends the name.
    t.unset("GW_KEY");
    let out = t.run(&["doctor", "--quick", "--url", "http://127.0.0.1:1"]);
    assert!(
        out.stdout.contains(
            "  ! Pi  GW_KEY is not set here; Pi started without it sends the name `GW_KEY` itself as the key\n    hint: export GW_KEY in the shell you start Pi from\n"
        ),
        "{out}"
    );
    t.set("GW_KEY", KEY);
    no_key(t.run(&["remove", "pi", "--yes"]).success());
    assert!(!t.exists(PI_MODELS) && !t.exists(PI_SETTINGS));
}

#[test]
fn pi_leaves_a_default_provider_the_user_chose_and_doctor_says_so() {
    let t = TestEnv::new();
    t.init(URL);
    let own = fixture("pi/own-default/settings.json");
    t.write(PI_SETTINGS, &own);
    let out = no_key(t.run(&["setup", "pi", "--yes"]).success());
    assert_eq!(
        ids(&out.stdout),
        "Pi\n  created ~/.pi/agent/models.json (a new file, so no backup: `byok restore` deletes it)\n  key: a key command (`byok print-key`): no copy in its files\n  note: ~/.pi/agent/settings.json starts Pi with provider `anthropic`; byok left it, so pick byok/gpt-4o with /model in Pi\n  note: ~/.pi/agent/settings.json sets defaultModel to claude-sonnet-4-5; byok left your choice\n"
    );
    assert_eq!(t.read(PI_SETTINGS), own);
    // A project's .pi/settings.json (the tests run in the temp root) wins over both.
    std::fs::create_dir_all(t.root().join(".pi")).unwrap();
    std::fs::write(
        t.root().join(".pi/settings.json"),
        "{\"defaultProvider\": \"openai\", \"defaultModel\": \"gpt-5\"}\n",
    )
    .unwrap();
    let out = t.run(&["doctor", "--quick", "--url", "http://127.0.0.1:1"]);
    assert!(
        out.stdout.contains(
            "  ! Pi  project file [ROOT]/.pi/settings.json (not written by byok) sets defaultProvider = \"openai\", defaultModel = \"gpt-5\"\n    hint: take those out of that file if Pi should use the gateway in this project\n  ! Pi  ~/.pi/agent/settings.json starts Pi with provider `anthropic`, not byok's gateway\n    hint: pick a byok model with /model in Pi\n"
        ),
        "{out}"
    );
    no_key(t.run(&["remove", "pi", "--yes"]).success());
    assert_eq!(t.read(PI_SETTINGS), own);
    assert!(!t.exists(PI_MODELS));
}

#[test]
fn pi_hand_edit_is_drift_and_setup_refuses_without_force() {
    let t = pi_home();
    no_key(t.run(&["setup", "pi", "--yes"]).success());
    let edited = t
        .read(PI_MODELS)
        .replace("https://gw.example.com/v1", "https://other.example/v1");
    t.write(PI_MODELS, &edited);
    let out = no_key(t.run(&["setup", "pi", "--yes"]).code(2));
    assert_eq!(
        out.stdout,
        "Pi\n  changed by hand since byok wrote them: models.json providers.byok.baseUrl\n"
    );
    assert_eq!(t.read(PI_MODELS), edited);
    no_key(t.run(&["setup", "pi", "--yes", "--force"]).success());
    assert!(
        t.read(PI_MODELS)
            .contains("\"baseUrl\": \"https://gw.example.com/v1\"")
    );
}

#[test]
fn pi_uses_home_dot_pi_on_windows_and_macos_and_follows_pi_coding_agent_dir() {
    for os in ["windows", "macos"] {
        let mut t = TestEnv::new();
        t.set("BYOK_OS", os);
        t.init(URL);
        no_key(t.run(&["setup", "pi", "--yes"]).success());
        assert!(t.exists(PI_MODELS) && t.exists(PI_SETTINGS), "{os}");
    }
    let mut t = TestEnv::new();
    t.init(URL);
    t.set("PI_CODING_AGENT_DIR", "~/dotfiles/pi");
    let out = no_key(t.run(&["setup", "pi", "--yes"]).success());
    assert!(
        out.stdout
            .contains("  created ~/dotfiles/pi/models.json (a new file"),
        "{out}"
    );
    assert!(!t.exists(PI_MODELS));
}

const AIDER_CONF: &str = ".aider.conf.yml";
const AIDER_META: &str = ".aider.model.metadata.json";

/// byok's entry for `openai/gpt-4o` as the metadata file holds it, indented by `indent`.
fn aider_entry(indent: &str) -> String {
    let i = indent;
    format!(
        "{i}\"openai/gpt-4o\": {{\n{i}{i}\"max_tokens\": 8192,\n{i}{i}\"max_input_tokens\": 128000,\n{i}{i}\"max_output_tokens\": 8192,\n{i}{i}\"input_cost_per_token\": 0,\n{i}{i}\"output_cost_per_token\": 0,\n{i}{i}\"litellm_provider\": \"openai\",\n{i}{i}\"mode\": \"chat\"\n{i}}}\n"
    )
}

#[test]
fn aider_setup_appends_to_a_commented_conf_and_remove_gives_both_files_back() {
    let t = TestEnv::new();
    t.init(URL);
    let conf = fixture("aider/real/.aider.conf.yml");
    let meta = fixture("aider/real/.aider.model.metadata.json");
    t.write(AIDER_CONF, &conf);
    t.write(AIDER_META, &meta);
    let out = no_key(t.run(&["setup", "aider", "--yes"]).success());
    assert_eq!(
        ids(&out.stdout),
        "Aider\n  updated ~/.aider.conf.yml (original kept as backup [ID])\n  updated ~/.aider.model.metadata.json (original kept as backup [ID])\n  key: a copy of it, in a file only you can read (0600)\n  note: Aider exits 0 even when the gateway refuses a request: read its output, or run `byok doctor`\n"
    );
    assert_eq!(
        t.read(AIDER_CONF),
        format!(
            "{conf}model: openai/gpt-4o\nopenai-api-base: https://gw.example.com/v1\nopenai-api-key: {KEY}\n"
        )
    );
    #[cfg(unix)]
    assert_eq!(t.mode(AIDER_CONF), 0o600, "it holds the key");
    assert_eq!(
        t.read(AIDER_META),
        format!(
            "{}    }},\n{}}}\n",
            meta.strip_suffix("    }\n}\n").unwrap(),
            aider_entry("    ")
        )
    );
    assert_eq!(
        t.run(&["setup", "aider", "--yes"]).success().stdout,
        "Aider\n  up to date\n"
    );
    no_key(t.run(&["remove", "aider", "--yes"]).success());
    assert_eq!(t.read(AIDER_CONF), conf);
    assert_eq!(t.read(AIDER_META), meta);
}

#[test]
fn aider_replaces_the_users_model_and_key_and_remove_puts_them_back() {
    let t = TestEnv::new();
    t.init(URL);
    let conf = fixture("aider/own-model/.aider.conf.yml");
    t.write(AIDER_CONF, &conf);
    let out = no_key(t.run(&["setup", "aider", "--yes"]).success());
    // The user's own key is a secret too: masked in the note.
    assert_eq!(
        ids(&out.stdout),
        "Aider\n  updated ~/.aider.conf.yml (original kept as backup [ID])\n  created ~/.aider.model.metadata.json (a new file, so no backup: `byok restore` deletes it)\n  key: a copy of it, in a file only you can read (0600)\n  note: replaces your .aider.conf.yml model (sonnet); `byok remove aider` puts it back\n  note: replaces your .aider.conf.yml openai-api-key (sk-…0000); `byok remove aider` puts it back\n  note: Aider exits 0 even when the gateway refuses a request: read its output, or run `byok doctor`\n"
    );
    assert_eq!(
        t.read(AIDER_CONF),
        conf.replace("model: sonnet  ", "model: openai/gpt-4o  ")
            .replace("sk-proj-users-own-key-0000", KEY)
            + "openai-api-base: https://gw.example.com/v1\n"
    );
    // A hand edit of byok's model is drift: setup stops and says which value.
    let edited = t.read(AIDER_CONF).replace("openai/gpt-4o", "openai/o3");
    t.write(AIDER_CONF, &edited);
    let out = no_key(t.run(&["setup", "aider", "--yes"]).code(2));
    assert_eq!(
        out.stdout,
        "Aider\n  changed by hand since byok wrote them: .aider.conf.yml model\n"
    );
    t.write(AIDER_CONF, edited.replace("openai/o3", "openai/gpt-4o"));
    no_key(t.run(&["remove", "aider", "--yes"]).success());
    assert_eq!(t.read(AIDER_CONF), conf);
    assert!(
        !t.exists(AIDER_META),
        "byok created it and only its entry was in it"
    );
}

#[test]
fn aider_env_key_profile_writes_no_key_and_says_what_to_export() {
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
    let out = no_key(t.run(&["setup", "aider", "--yes"]).success());
    assert!(
        out.stdout.ends_with(
            "  note: Aider reads the key from OPENAI_API_KEY, not GW_KEY: export OPENAI_API_KEY=\"$GW_KEY\" in the shell you start Aider from\n"
        ),
        "{out}"
    );
    assert_eq!(
        t.read(AIDER_CONF),
        "model: openai/gpt-4o\nopenai-api-base: https://gw.example.com/v1\n"
    );
    assert_eq!(t.read(AIDER_META), format!("{{\n{}}}\n", aider_entry("  ")));
    #[cfg(unix)]
    assert_ne!(t.mode(AIDER_CONF), 0o600, "no key, so nothing to hide");
    // Aider keeps caches in ~/.aider, which is how byok tells it is installed here.
    t.write(".aider/analytics.json", "{}");
    let out = t.run(&["doctor", "--quick", "--url", "http://127.0.0.1:1"]);
    assert!(
        out.stdout.contains(
            "  ! Aider  OPENAI_API_KEY is not set here, so Aider has no key for the gateway\n    hint: export OPENAI_API_KEY=\"$GW_KEY\" before starting Aider\n"
        ),
        "{out}"
    );
    // A profile whose variable is OPENAI_API_KEY needs no note.
    let mut t = TestEnv::new();
    t.set("OPENAI_API_KEY", KEY);
    t.run(&[
        "init",
        "--url",
        URL,
        "--key-env",
        "OPENAI_API_KEY",
        "--model",
        "gpt-4o",
        "--yes",
    ])
    .success();
    let out = no_key(t.run(&["setup", "aider", "--yes"]).success());
    assert!(!out.stdout.contains("Aider reads the key"), "{out}");
    no_key(t.run(&["remove", "aider", "--yes"]).success());
    assert!(!t.exists(AIDER_CONF) && !t.exists(AIDER_META));
}

#[test]
fn aider_doctor_names_the_variables_dotenv_and_project_conf_that_win() {
    let mut t = TestEnv::new();
    t.init(URL);
    no_key(t.run(&["setup", "aider", "--yes"]).success());
    t.write(".aider/analytics.json", "{}");
    t.set("OPENAI_BASE_URL", "https://api.openai.com/v1");
    t.write(".env", "# shared by every tool\nAIDER_MODEL=gpt-4o-mini\n");
    std::fs::write(t.root().join(AIDER_CONF), "model: sonnet\n").unwrap();
    let out = no_key(t.run(&["doctor", "--quick", "--url", "http://127.0.0.1:1"]));
    assert!(
        out.stdout.contains(
            "  ! Aider  project file [ROOT]/.aider.conf.yml (not written by byok) sets model = \"sonnet\"\n    hint: take those out of that file if Aider should use the gateway in this project\n  ! Aider  OPENAI_BASE_URL is set to https://api.openai.com/v1 in this shell and wins over ~/.aider.conf.yml\n    hint: unset OPENAI_BASE_URL before starting Aider\n  ! Aider  ~/.env sets AIDER_MODEL; Aider loads it over the shell and it wins over ~/.aider.conf.yml\n    hint: take those lines out of that file\n"
        ),
        "{out}"
    );
    // The same base URL in OPENAI_BASE_URL is no trap.
    t.set("OPENAI_BASE_URL", "https://gw.example.com/v1");
    let out = t.run(&["doctor", "--quick", "--url", "http://127.0.0.1:1"]);
    assert!(!out.stdout.contains("OPENAI_BASE_URL is set"), "{out}");
}

#[test]
fn aider_files_sit_in_the_home_on_windows_and_macos() {
    for os in ["windows", "macos"] {
        let mut t = TestEnv::new();
        t.set("BYOK_OS", os);
        t.init(URL);
        no_key(t.run(&["setup", "aider", "--yes"]).success());
        assert!(t.exists(AIDER_CONF) && t.exists(AIDER_META), "{os}");
    }
}
