//! `byok init` and `byok profile`.

use crate::common::{KEY, TestEnv};

#[test]
fn init_from_flags_writes_a_private_config() {
    let t = TestEnv::new();
    let out = t
        .run(&[
            "init",
            "--url",
            " https://gw.example.com/v1/ \n",
            "--key",
            &format!(" {KEY}\n"),
            "--model",
            "gpt-4o",
            "--yes",
        ])
        .success();
    assert_eq!(
        out.to_string(),
        "Saved profile `default` (default) to ~/.config/byok/config.toml
  gateway  https://gw.example.com
  key      sk-…cdef
  model    gpt-4o
Next: `byok env --install` for your shell, `byok setup --all` for your tools, `byok doctor` to check.
----- stderr -----
note: removed surrounding whitespace
warning: removed whitespace or a line break around the key (a common copy-paste slip)
----- exit 0 -----
[EOF]"
    );
    assert_eq!(
        t.read(".config/byok/config.toml"),
        format!(
            "# byok gateway profiles, managed by byok (`byok init`, `byok profile`).
# Comments you add here are kept.
default = \"default\"

[profiles.default]
base_url = \"https://gw.example.com\"
api_key = \"{KEY}\"
model = \"gpt-4o\"
anthropic_auth = \"bearer\"
"
        )
    );
    #[cfg(unix)]
    assert_eq!(t.mode(".config/byok/config.toml"), 0o600);
}

#[test]
fn init_without_a_terminal_names_the_missing_flag() {
    let t = TestEnv::new();
    let out = t.run(&["init", "--key", KEY, "--model", "m"]).code(2);
    assert_eq!(
        out.stderr,
        "byok: error: --url is required: the gateway URL (stdin is not a terminal, so byok can't ask)\n\
         hint: pass --url (with the other flags) to `byok init`, or run `byok init` in a terminal\n"
    );
    let out = t
        .run(&["init", "--url", "https://gw", "--model", "m"])
        .code(2);
    assert!(
        out.stderr
            .contains("--key, --key-env or --key-command is required"),
        "{out}"
    );
    let out = t
        .run(&["init", "--url", "https://gw", "--key", KEY])
        .code(2);
    assert!(out.stderr.contains("--model is required"), "{out}");
    assert!(!t.exists(".config/byok/config.toml"));
}

#[test]
fn init_rejects_bad_urls() {
    let t = TestEnv::new();
    for (url, want) in [
        ("ftp://gw", "unsupported scheme `ftp://`"),
        ("gw.example.com", "did you mean https://gw.example.com ?"),
        ("https://me:pw@gw", "must not contain credentials"),
    ] {
        let out = t
            .run(&["init", "--url", url, "--key", KEY, "--model", "m"])
            .code(2);
        assert!(out.stderr.contains(want), "{url}: {out}");
    }
}

#[test]
fn init_warns_about_plain_http_to_remote_hosts() {
    let t = TestEnv::new();
    let out = t
        .run(&[
            "init",
            "--url",
            "http://gw.example.com",
            "--key",
            KEY,
            "--model",
            "m",
        ])
        .success();
    assert!(
        out.stderr
            .contains("uses plain http to a host that is not this machine"),
        "{out}"
    );
    let out = t
        .run(&[
            "init",
            "--url",
            "http://127.0.0.1:4000",
            "--key",
            KEY,
            "--model",
            "m",
            "--yes",
        ])
        .success();
    assert!(!out.stderr.contains("plain http"), "{out}");
}

#[test]
fn existing_profile_needs_yes() {
    let t = TestEnv::new();
    t.init("https://gw");
    let out = t
        .run(&[
            "init",
            "--url",
            "https://other",
            "--key",
            KEY,
            "--model",
            "m",
        ])
        .code(2);
    assert!(
        out.stderr.contains("profile `default` already exists"),
        "{out}"
    );
    assert!(t.read(".config/byok/config.toml").contains("https://gw\""));
}

#[test]
fn key_env_stores_no_secret() {
    let mut t = TestEnv::new();
    let out = t
        .run(&[
            "init",
            "--url",
            "https://gw",
            "--key-env",
            "GW_KEY",
            "--model",
            "m",
        ])
        .success();
    assert!(
        out.stderr.contains("$GW_KEY is not set in this shell"),
        "{out}"
    );
    let cfg = t.read(".config/byok/config.toml");
    assert!(cfg.contains("api_key_env = \"GW_KEY\""));
    assert!(!cfg.contains("api_key ="));
    t.set("GW_KEY", KEY);
    let out = t.run(&["profile", "show"]).success();
    assert!(
        out.stdout
            .contains("key              $GW_KEY (now sk-…cdef)"),
        "{out}"
    );
    let out = t
        .run(&[
            "init",
            "--name",
            "bad",
            "--url",
            "https://gw",
            "--key-env",
            "2BAD",
            "--model",
            "m",
        ])
        .code(2);
    assert!(
        out.stderr.contains("not a valid environment variable name"),
        "{out}"
    );
}

#[test]
fn corrupt_config_is_reported_and_never_overwritten() {
    let t = TestEnv::new();
    let bad = format!("[profiles.default]\nbase_url = \"https://gw\"\napi_key = {KEY}\n");
    t.write(".config/byok/config.toml", &bad);
    let out = t.run(&["env", "--shell", "bash"]).code(2);
    assert_eq!(
        out.stderr,
        "byok: error: could not parse ~/.config/byok/config.toml: line 3, column 11: string values must be quoted, expected literal string\n\
         hint: fix that line by hand (byok never overwrites a file it cannot read), or move the file aside and run `byok init`\n"
    );
    let out = t
        .run(&[
            "init",
            "--url",
            "https://gw",
            "--key",
            KEY,
            "--model",
            "m",
            "--yes",
        ])
        .code(2);
    assert!(!out.stderr.contains(KEY), "{out}");
    assert_eq!(t.read(".config/byok/config.toml"), bad);
}

#[test]
fn profiles_list_use_remove() {
    let t = TestEnv::new();
    t.init("https://gw.one");
    t.run(&[
        "init",
        "--name",
        "two",
        "--url",
        "https://openrouter.ai/api/v1",
        "--key",
        KEY,
        "--model",
        "m",
        "--no-default",
    ])
    .success();
    let out = t.run(&["profile", "list"]).success();
    assert_eq!(
        out.stdout,
        "* default          https://gw.one\n  two              https://openrouter.ai/api\n"
    );
    t.run(&["profile", "use", "two"]).success();
    let out = t.run(&["profile", "list"]).success();
    assert_eq!(
        out.stdout,
        "  default          https://gw.one\n* two              https://openrouter.ai/api\n"
    );
    let out = t
        .run(&["--profile", "default", "profile", "show"])
        .success();
    assert!(
        out.stdout.starts_with("profile          default\n"),
        "{out}"
    );
    let out = t.run(&["profile", "use", "nope"]).code(2);
    assert!(out.stderr.contains("known profiles: default, two"), "{out}");
    t.run(&["profile", "remove", "two"]).success();
    let out = t.run(&["profile", "list"]).success();
    // The only profile left is used, though no longer marked default.
    assert_eq!(out.stdout, "  default          https://gw.one (active)\n");
}

#[test]
fn user_comments_in_config_survive_init() {
    let t = TestEnv::new();
    t.init("https://gw.one");
    let path = ".config/byok/config.toml";
    let with_comment = t.read(path).replace(
        "[profiles.default]\n",
        "[profiles.default]\n# my work gateway\n",
    );
    t.write(path, &with_comment);
    t.run(&[
        "init",
        "--url",
        "https://gw.two",
        "--key",
        KEY,
        "--model",
        "m2",
        "--yes",
    ])
    .success();
    let text = t.read(path);
    assert!(
        text.contains("# my work gateway\nbase_url = \"https://gw.two\""),
        "{text}"
    );
}

#[test]
fn no_command_prints_the_key() {
    let t = TestEnv::new();
    t.init("https://gw");
    for args in [
        &["profile", "show"][..],
        &["profile", "list"],
        &["env", "--install", "--shell", "bash"],
    ] {
        let out = t.run(args).success();
        assert!(!out.to_string().contains(KEY), "{args:?}: {out}");
    }
}

#[test]
fn completions_and_version() {
    let t = TestEnv::new();
    let out = t.run(&["completions", "bash"]).success();
    assert!(out.stdout.contains("_byok()"), "{}", &out.stdout[..200]);
    let out = t.run(&["--version"]).success();
    assert_eq!(out.stdout, format!("byok {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn check_lists_models_and_refuses_a_bad_key() {
    use byok::gateway::mock::{MockGateway, Scenario};
    let mock =
        MockGateway::start(Scenario::new(KEY).models(&["gpt-4o", "claude-sonnet-4-5"])).unwrap();
    let t = TestEnv::new();
    let url = format!("{}/v1", mock.url());
    let out = t
        .run(&[
            "init", "--url", &url, "--key", KEY, "--model", "gpt-4o", "--check",
        ])
        .success();
    assert_eq!(
        out.stderr,
        format!("check: {}/v1/models answered with 2 models\n", mock.url())
    );
    let req = &mock.requests()[0];
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("GET", "/v1/models")
    );
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );

    let t = TestEnv::new();
    let out = t
        .run(&[
            "init",
            "--url",
            &url,
            "--key",
            "sk-wrong-0000000000000",
            "--model",
            "m",
            "--check",
        ])
        .code(1);
    assert!(
        out.stderr.starts_with("byok: error: check failed: GET "),
        "{out}"
    );
    assert!(out.stderr.contains("hint: nothing was saved"), "{out}");
    assert!(!out.stderr.contains("sk-wrong-0000000000000"), "{out}");
    assert!(!t.exists(".config/byok/config.toml"));
    // A model the gateway doesn't list is saved, with a warning.
    let t = TestEnv::new();
    let out = t
        .run(&[
            "init", "--url", &url, "--key", KEY, "--model", "gpt-5", "--check",
        ])
        .success();
    assert!(
        out.stderr
            .contains("warning: the gateway does not list model `gpt-5`"),
        "{out}"
    );
}

/// Audit regression: keys holding `"` or `\` were shown JSON-escaped in diffs, short keys
/// were never masked, and a key already in a user's file showed in `-` lines.
#[test]
fn diffs_mask_escaped_short_and_old_keys() {
    let nasty = r#"sk-ab"c\d'$x-1234567890"#;
    let t = TestEnv::new();
    t.write(
        ".claude/settings.json",
        "{\n  \"env\": {\n    \"ANTHROPIC_AUTH_TOKEN\": \"sk-old-CLAUDEOLD11\"\n  }\n}\n",
    );
    // (Codex, Continue and Gemini CLI are left out: their .env files refuse a key
    // holding `'` with `"`, `$` or `\`, which no .env quoting carries intact; see below.)
    for dir in [".config/opencode", ".cline"] {
        std::fs::create_dir_all(t.home().join(dir)).unwrap();
    }
    t.run(&[
        "init",
        "--url",
        "https://gw.example.com",
        "--key",
        nasty,
        "--model",
        "m",
        "--yes",
    ])
    .success();
    let out = t.run(&["setup", "--all", "--dry-run"]).success();
    let text = out.to_string();
    let json_escaped = serde_json::Value::String(nasty.into()).to_string();
    for form in [
        nasty,
        &json_escaped[1..json_escaped.len() - 1],
        "1234567890\"",
        "sk-old-CLAUDEOLD11",
    ] {
        assert!(!text.contains(form), "{form} leaked:\n{text}");
    }
    assert!(
        text.contains(r#"-    "ANTHROPIC_AUTH_TOKEN": "sk-…LD11""#),
        "{text}"
    );
    std::fs::create_dir_all(t.home().join(".gemini")).unwrap();
    let out = t.run(&["setup", "gemini-cli", "--dry-run"]).code(2);
    assert!(
        out.stderr
            .contains("can't write GEMINI_API_KEY to a .env file: its value holds ' together with"),
        "{out}"
    );
    assert!(!out.to_string().contains(nasty), "{out}");

    let t = TestEnv::new();
    std::fs::create_dir_all(t.home().join(".claude")).unwrap();
    let out = t
        .run(&[
            "init",
            "--url",
            "https://gw",
            "--key",
            "k9Z",
            "--model",
            "m",
        ])
        .code(2);
    assert!(out.stderr.contains("shorter than 4 characters"), "{out}");
    t.run(&[
        "init",
        "--url",
        "https://gw",
        "--key",
        "k9Zq7",
        "--model",
        "m",
    ])
    .success();
    let out = t.run(&["setup", "claude-code", "--dry-run"]).success();
    assert!(!out.stdout.contains("k9Zq7"), "{out}");
}

/// Issue 8, item 8: ten `byok init`s at once each keep their profile, because every
/// command that writes config.toml takes the lock before it reads the file.
#[test]
fn concurrent_inits_keep_every_profile() {
    for round in 0..3 {
        let t = TestEnv::new();
        let children: Vec<_> = (0..10)
            .map(|i| {
                let mut cmd = t.command();
                // Half name the profile with --name, half with the global --profile.
                let flag = if i % 2 == 0 { "--name" } else { "--profile" };
                cmd.args([
                    "init",
                    flag,
                    &format!("p{i}"),
                    "--url",
                    &format!("https://gw{i}.example.com"),
                    "--key",
                    KEY,
                    "--model",
                    "gpt-4o",
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
                cmd.spawn().expect("spawn byok")
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "round {round}: {out:?}");
        }
        let text = t.read(".config/byok/config.toml");
        for i in 0..10 {
            assert!(
                text.contains(&format!(
                    "[profiles.p{i}]\nbase_url = \"https://gw{i}.example.com\"\n"
                )),
                "round {round}: p{i} lost:\n{text}"
            );
        }
        // The header is written once, by whichever init created the file.
        assert_eq!(text.matches("# byok gateway profiles").count(), 1, "{text}");
        let out = t.run(&["profile", "list"]).success();
        assert_eq!(out.stdout.lines().count(), 10, "{out}");
        // Concurrent `profile remove`s likewise each take effect.
        let children: Vec<_> = (0..5)
            .map(|i| {
                let mut cmd = t.command();
                cmd.args(["profile", "remove", &format!("p{i}")])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null());
                cmd.spawn().expect("spawn byok")
            })
            .collect();
        for mut child in children {
            assert!(child.wait().unwrap().success());
        }
        let out = t.run(&["profile", "list"]).success();
        let names: Vec<&str> = out
            .stdout
            .lines()
            .map(|l| l[2..].split_whitespace().next().unwrap())
            .collect();
        assert_eq!(names, ["p5", "p6", "p7", "p8", "p9"], "{out}");
    }
}

/// Issue 8: the comments that open config.toml sit on its first line's key, so removing
/// or re-pointing the default profile used to delete them.
#[test]
fn opening_comments_survive_profile_use_and_remove() {
    let t = TestEnv::new();
    let header = "# My gateways: work is the corporate one.\n# Ask #infra for a key.\n";
    let profiles = format!(
        "[profiles.work]  # corp\nbase_url = \"https://gw.work.example\"\napi_key = \"{KEY}\"\n\n[profiles.home]\nbase_url = \"https://openrouter.ai/api\"\napi_key_env = \"OR_KEY\"\n"
    );
    t.write(
        ".config/byok/config.toml",
        format!("{header}default = \"work\"\n\n{profiles}"),
    );
    t.run(&["profile", "use", "home"]).success();
    assert_eq!(
        t.read(".config/byok/config.toml"),
        format!("{header}default = \"home\"\n\n{profiles}")
    );
    t.run(&["profile", "remove", "home"]).success();
    assert_eq!(
        t.read(".config/byok/config.toml"),
        format!(
            "{header}\n[profiles.work]  # corp\nbase_url = \"https://gw.work.example\"\napi_key = \"{KEY}\"\n"
        )
    );
    t.run(&["profile", "remove", "work"]).success();
    assert_eq!(t.read(".config/byok/config.toml"), header);
}

/// Issue 8, item 16: an empty or blank model id is refused for every model flag (it
/// used to be saved as `model = ""` and turn into `byok/` ids in tools' settings).
#[test]
fn empty_model_ids_are_refused() {
    let t = TestEnv::new();
    for (flag, value) in [
        ("--model", ""),
        ("--model", "   "),
        ("--anthropic-model", ""),
        ("--small-model", " \t"),
        ("--small-model", "gpt\n4o"),
    ] {
        let mut args = vec!["init", "--url", "https://gw.example.com", "--key", KEY];
        if flag != "--model" {
            args.extend(["--model", "gpt-4o"]);
        }
        args.extend([flag, value]);
        let out = t.run(&args).code(2);
        let why = if value.contains('\n') {
            "holds a line break or another control character"
        } else {
            "is empty"
        };
        assert_eq!(
            out.stderr,
            format!(
                "byok: error: {flag} {why}: it must name a model the gateway serves\n\
                 hint: pass a model id, e.g. {flag} gpt-4o (`byok init --check` lists the gateway's models), or leave {flag} out\n"
            ),
            "{flag} {value:?}"
        );
        assert!(!out.stderr.contains(KEY));
        assert!(!t.exists(".config/byok/config.toml"));
    }
    // Surrounding whitespace is a paste slip, not part of the id.
    t.run(&[
        "init",
        "--url",
        "https://gw.example.com",
        "--key",
        KEY,
        "--model",
        " gpt-4o ",
    ])
    .success();
    assert!(
        t.read(".config/byok/config.toml")
            .contains("model = \"gpt-4o\"\n")
    );
    // A blank BYOK_MODEL is refused too, naming the variable.
    let mut t2 = TestEnv::new();
    t2.init("https://gw.example.com");
    t2.set("BYOK_MODEL", "  ");
    let out = t2.run(&["env", "--shell", "bash"]).code(2);
    assert!(
        out.stderr.starts_with("byok: error: BYOK_MODEL is empty"),
        "{out}"
    );
}

/// Issue 8, item 16: a `model = ""` written by hand is reported with its profile and key
/// instead of reaching tools' settings.
#[test]
fn empty_stored_model_is_reported() {
    let t = TestEnv::new();
    t.write(
        ".config/byok/config.toml",
        format!(
            "[profiles.work]\nbase_url = \"https://gw.example.com\"\napi_key = \"{KEY}\"\nmodel = \"gpt-4o\"\nsmall_model = \"\"\n"
        ),
    );
    let out = t.run(&["env", "--shell", "bash"]).code(2);
    assert_eq!(
        out.stderr,
        "byok: error: `small_model` in profile `work` is empty\n\
         hint: run `byok init --name work --yes …` with --small-model, or delete that line from config.toml\n"
    );
}

/// Issue 8, item 23: `profile show` prints what the profile stores and lists `BYOK_*`
/// overrides apart, instead of passing a one-shell override off as the stored value.
#[test]
fn profile_show_keeps_overrides_apart() {
    let mut t = TestEnv::new();
    t.init("https://gw.example.com");
    let override_key = "sk-override-9876543210fedcba";
    t.set("BYOK_MODEL", "other-model")
        .set("BYOK_API_KEY", override_key)
        .set("BYOK_BASE_URL", "http://127.0.0.1:9/v1");
    let out = t.run(&["profile", "show"]).success();
    assert_eq!(
        out.to_string(),
        "profile          default
base_url         https://gw.example.com (overridden by BYOK_BASE_URL for this shell)
openai           https://gw.example.com/v1
anthropic        https://gw.example.com
key              sk-…cdef (overridden by BYOK_API_KEY for this shell)
model            gpt-4o (overridden by BYOK_MODEL for this shell)
anthropic_model  claude-sonnet-4-5
small_model      -
anthropic_auth   bearer

overrides in this shell (byok uses these instead of the stored values):
  BYOK_BASE_URL  http://127.0.0.1:9/v1
  BYOK_API_KEY   sk-…dcba
  BYOK_MODEL     other-model
----- exit 0 -----
[EOF]"
    );
    assert!(!out.stdout.contains(KEY) && !out.stdout.contains(override_key));
    // Without a stored profile the variables are all there is, and show says so.
    let mut t = TestEnv::new();
    t.set("BYOK_BASE_URL", "http://127.0.0.1:9")
        .set("BYOK_API_KEY", override_key);
    let out = t.run(&["profile", "show"]).success();
    assert!(
        out.stdout
            .starts_with("profile          env (not stored: made from BYOK_* variables)\nbase_url         http://127.0.0.1:9\n"),
        "{out}"
    );
    assert!(!out.stdout.contains("overrides in this shell"), "{out}");
    assert!(!out.stdout.contains(override_key), "{out}");
}
