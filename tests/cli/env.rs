//! `byok env`: exports per shell, quoting that survives hostile values, `--install`.

use std::process::Command;

use crate::common::{KEY, TestEnv, have};

/// A key built to break naive quoting: quotes, `$()`, backticks, `;`, backslashes, spaces.
const NASTY: &str = "sk-x'$(touch MARKER)\"`touch MARKER`;touch MARKER \\' ü\\";

fn nasty_env() -> TestEnv {
    let t = TestEnv::new();
    let marker = t.root().join("MARKER").display().to_string();
    let key = NASTY.replace("MARKER", &marker);
    t.run(&[
        "init",
        "--url",
        " https://gw.example.com/v1/ ",
        "--key",
        &key,
        "--model",
        "gpt-4o",
        "--anthropic-model",
        "claude's $(model)",
        "--small-model",
        "haiku`x`",
        "--yes",
    ])
    .success();
    t
}

fn expected_key(t: &TestEnv) -> String {
    NASTY.replace("MARKER", &t.root().join("MARKER").display().to_string())
}

/// Runs the shell's own reading of byok's output and returns the variables it set.
fn round_trip(t: &TestEnv, shell: &str, program: &str, args: &[&str], script: &str) -> Vec<String> {
    // Unnormalised: the values must come back with the real paths in them.
    let out = t
        .command()
        .args(["env", "--shell", shell])
        .output()
        .unwrap();
    assert!(out.status.success());
    let file = t.root().join(format!("env.{shell}"));
    std::fs::write(&file, &out.stdout).unwrap();
    let script = script.replace("FILE", &file.display().to_string());
    let res = Command::new(program)
        .args(args)
        .arg(&script)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{shell}: {}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(
        !t.root().join("MARKER").exists(),
        "{shell} ran a command hidden in a value"
    );
    String::from_utf8(res.stdout)
        .unwrap()
        .split('\0')
        .map(str::to_string)
        .collect()
}

const NAMES: &str = "OPENAI_BASE_URL OPENAI_API_BASE OPENAI_API_KEY ANTHROPIC_BASE_URL ANTHROPIC_AUTH_TOKEN ANTHROPIC_MODEL ANTHROPIC_DEFAULT_HAIKU_MODEL";

fn check_values(t: &TestEnv, got: &[String]) {
    let key = expected_key(t);
    assert_eq!(
        got[..7],
        [
            "https://gw.example.com/v1",
            "https://gw.example.com/v1",
            key.as_str(),
            "https://gw.example.com",
            key.as_str(),
            "claude's $(model)",
            "haiku`x`",
        ]
    );
}

#[test]
fn bash_round_trip() {
    let t = nasty_env();
    let script = format!(
        "set -eu; ANTHROPIC_API_KEY=stale; eval \"$(cat FILE)\"; for n in {NAMES}; do printf '%s\\0' \"${{!n}}\"; done; printf '%s\\0' \"${{ANTHROPIC_API_KEY-unset}}\""
    );
    let got = round_trip(
        &t,
        "bash",
        "bash",
        &["--noprofile", "--norc", "-c"],
        &script,
    );
    check_values(&t, &got);
    assert_eq!(
        got[7], "unset",
        "a stale ANTHROPIC_API_KEY must not survive"
    );
}

#[test]
fn sh_round_trip() {
    let t = nasty_env();
    let script = "set -eu; . FILE; printf '%s\\0' \"$OPENAI_BASE_URL\" \"$OPENAI_API_BASE\" \"$OPENAI_API_KEY\" \"$ANTHROPIC_BASE_URL\" \"$ANTHROPIC_AUTH_TOKEN\" \"$ANTHROPIC_MODEL\" \"$ANTHROPIC_DEFAULT_HAIKU_MODEL\"";
    let got = round_trip(&t, "sh", "sh", &["-c"], script);
    check_values(&t, &got);
}

#[test]
fn zsh_round_trip() {
    if !have("zsh") {
        eprintln!("zsh not installed; skipped");
        return;
    }
    let t = nasty_env();
    let script = format!(
        "set -eu; eval \"$(cat FILE)\"; for n in {NAMES}; do printf '%s\\0' \"${{(P)n}}\"; done"
    );
    let got = round_trip(&t, "zsh", "zsh", &["-f", "-c"], &script);
    check_values(&t, &got);
}

#[test]
fn fish_round_trip() {
    if !have("fish") {
        eprintln!("fish not installed; skipped");
        return;
    }
    let t = nasty_env();
    let script = format!("source FILE; for n in {NAMES}; printf '%s\\0' $$n; end");
    let got = round_trip(&t, "fish", "fish", &["--no-config", "-c"], &script);
    check_values(&t, &got);
}

#[test]
fn output_parses_with_n() {
    let t = nasty_env();
    for (shell, program, args) in [
        ("bash", "bash", &["-n"][..]),
        ("sh", "sh", &["-n"]),
        ("zsh", "zsh", &["-n"]),
        ("fish", "fish", &["-n"]),
    ] {
        if !have(program) {
            continue;
        }
        let out = t.run(&["env", "--shell", shell]).success();
        let file = t.root().join(format!("n.{shell}"));
        std::fs::write(&file, &out.stdout).unwrap();
        let res = Command::new(program)
            .args(args)
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            res.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&res.stderr)
        );
    }
}

#[test]
fn exact_bash_output() {
    let t = TestEnv::new();
    t.init("https://gw.example.com/v1");
    let out = t.run(&["env"]).success();
    assert_eq!(
        out.stdout,
        format!(
            "# >>> byok >>>
# Gateway settings for byok profile `default`.
export OPENAI_BASE_URL='https://gw.example.com/v1'
export OPENAI_API_BASE='https://gw.example.com/v1'
export OPENAI_API_KEY='{KEY}'
export ANTHROPIC_BASE_URL='https://gw.example.com'
export ANTHROPIC_AUTH_TOKEN='{KEY}'
unset ANTHROPIC_API_KEY
export ANTHROPIC_MODEL='claude-sonnet-4-5'
# <<< byok <<<
"
        )
    );
    assert_eq!(out.stderr, "");
}

#[test]
fn key_env_is_referenced_not_copied() {
    let mut t = TestEnv::new();
    t.run(&[
        "init",
        "--url",
        "https://gw",
        "--key-env",
        "GW_KEY",
        "--model",
        "m",
        "--anthropic-auth",
        "x-api-key",
    ])
    .success();
    t.set("GW_KEY", KEY);
    let bash = t.run(&["env", "--shell", "bash"]).success().stdout;
    assert!(
        bash.contains("export OPENAI_API_KEY=\"${GW_KEY}\"\n"),
        "{bash}"
    );
    assert!(
        bash.contains("export ANTHROPIC_API_KEY=\"${GW_KEY}\"\nunset ANTHROPIC_AUTH_TOKEN\n"),
        "{bash}"
    );
    assert!(!bash.contains(KEY));
    let fish = t.run(&["env", "--shell", "fish"]).success().stdout;
    assert!(fish.contains("set -gx OPENAI_API_KEY $GW_KEY\n"), "{fish}");
    let ps = t.run(&["env", "--shell", "powershell"]).success().stdout;
    assert!(ps.contains("$env:OPENAI_API_KEY = $env:GW_KEY\n"), "{ps}");
    // Formats that can't reference a variable get its current value.
    let json = t.run(&["env", "--shell", "json"]).success().stdout;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["OPENAI_API_KEY"], KEY);
    assert_eq!(v["ANTHROPIC_BASE_URL"], "https://gw");
    let got = Command::new("bash")
        .args([
            "--noprofile",
            "--norc",
            "-c",
            &format!("GW_KEY='{KEY}'; eval \"$1\"; printf %s \"$ANTHROPIC_API_KEY\""),
            "-",
            &bash,
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&got.stdout), KEY);
}

#[test]
fn other_formats_exact() {
    let t = TestEnv::new();
    t.run(&[
        "init",
        "--url",
        "https://gw",
        "--key",
        "sk-it's-a-key-123",
        "--model",
        "m",
    ])
    .success();
    let ps = t.run(&["env", "--shell", "powershell"]).success().stdout;
    assert!(
        ps.contains("$env:OPENAI_API_KEY = 'sk-it''s-a-key-123'\n"),
        "{ps}"
    );
    assert!(
        ps.contains("Remove-Item -ErrorAction SilentlyContinue Env:ANTHROPIC_API_KEY\n"),
        "{ps}"
    );
    let nu = t.run(&["env", "--shell", "nu"]).success().stdout;
    assert!(
        nu.contains("$env.OPENAI_API_KEY = r#'sk-it's-a-key-123'#\n"),
        "{nu}"
    );
    let dotenv = t.run(&["env", "--shell", "dotenv"]).success().stdout;
    assert!(
        dotenv.contains("OPENAI_API_KEY=\"sk-it's-a-key-123\"\n"),
        "{dotenv}"
    );
    assert!(
        dotenv.contains("OPENAI_BASE_URL='https://gw/v1'\n"),
        "{dotenv}"
    );
}

#[test]
fn unset_prints_removals() {
    let t = TestEnv::new();
    let out = t.run(&["env", "--unset", "--shell", "fish"]).success();
    assert_eq!(
        out.stdout,
        "set -e OPENAI_BASE_URL\nset -e OPENAI_API_BASE\nset -e OPENAI_API_KEY\nset -e ANTHROPIC_BASE_URL\n\
         set -e ANTHROPIC_AUTH_TOKEN\nset -e ANTHROPIC_API_KEY\nset -e ANTHROPIC_MODEL\n\
         set -e ANTHROPIC_DEFAULT_HAIKU_MODEL\nset -e ANTHROPIC_SMALL_FAST_MODEL\n"
    );
}

#[test]
fn unknown_shell_lists_choices() {
    let mut t = TestEnv::new();
    t.init("https://gw");
    t.set("SHELL", "/usr/bin/tcsh");
    let out = t.run(&["env"]).code(2);
    assert_eq!(
        out.stderr,
        "byok: error: could not tell which shell this is ($SHELL is unset or unknown)\n\
         hint: pass --shell with one of: sh, bash, zsh, fish, powershell, nu, dotenv, json\n"
    );
}

#[test]
fn no_profile_says_run_init() {
    let t = TestEnv::new();
    let out = t.run(&["env"]).code(2);
    assert!(out.stderr.contains("no gateway profile yet"), "{out}");
    assert!(
        out.stderr.contains("hint: run `byok init` to create one"),
        "{out}"
    );
}

#[test]
fn install_twice_leaves_one_block_and_uninstall_restores_bytes() {
    let t = TestEnv::new();
    t.init("https://gw");
    // No trailing newline: the hardest case for giving the original bytes back.
    let original = "# my bashrc\r\nalias ll='ls -l'\r\nexport PATH=\"$HOME/bin:$PATH\"";
    t.write(".bashrc", original);
    let out = t.run(&["env", "--install"]).success();
    assert!(
        out.stdout
            .starts_with("Installed byok's block in ~/.bashrc (backup "),
        "{out}"
    );
    let once = t.read(".bashrc");
    t.run(&["env", "--install"]).success();
    let out = t.run(&["env", "--install"]).success();
    assert_eq!(
        out.stdout,
        "~/.bashrc already loads byok (profile `default`); nothing to do\n"
    );
    assert_eq!(t.read(".bashrc"), once);
    assert_eq!(once.matches("# >>> byok >>>").count(), 1);
    assert_eq!(
        once,
        format!(
            "{original}\r\n# >>> byok >>>\r\n# Gateway settings from byok; `byok env --uninstall` removes this block.\r\n\
             if [ -x '{exe}' ]; then eval \"$('{exe}' env --shell bash)\"; fi\r\n# <<< byok <<<\r\n",
            exe = env!("CARGO_BIN_EXE_byok")
        )
    );
    assert!(!once.contains(KEY), "no key in the start-up file");
    // The installed line really works.
    let res = Command::new("bash")
        .args(["--noprofile", "--norc", "-c", "eval \"$(tr -d '\\r' < \"$1\" | sed -n '/>>> byok/,/<<< byok/p')\"; printf %s \"$OPENAI_API_KEY\"", "-"])
        .arg(t.home().join(".bashrc"))
        .env_clear()
        .env("HOME", t.home())
        .env("BYOK_HOME", t.home())
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&res.stdout),
        KEY,
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    t.run(&["env", "--uninstall"]).success();
    assert_eq!(t.read_bytes(".bashrc").unwrap(), original.as_bytes());
}

#[test]
fn install_into_missing_file_and_uninstall_deletes_it() {
    let mut t = TestEnv::new();
    t.init("https://gw");
    t.set("SHELL", "/usr/bin/fish");
    t.run(&["env", "--install"]).success();
    let text = t.read(".config/fish/conf.d/byok.fish");
    assert!(text.contains("env --shell fish | source\n"), "{text}");
    t.run(&["env", "--uninstall"]).success();
    assert!(!t.exists(".config/fish/conf.d/byok.fish"));
    let out = t.run(&["env", "--uninstall"]).success();
    assert_eq!(
        out.stdout,
        "~/.config/fish/conf.d/byok.fish does not exist; nothing to remove\n"
    );
}

#[test]
fn install_collapses_blocks_appended_twice() {
    let t = TestEnv::new();
    t.init("https://gw");
    let block = t.run(&["env"]).success().stdout;
    t.write(
        ".zshrc",
        format!("setopt autocd\n{block}{block}bindkey -e\n"),
    );
    t.run(&["env", "--install", "--shell", "zsh"]).success();
    let text = t.read(".zshrc");
    assert_eq!(text.matches("# >>> byok >>>").count(), 1, "{text}");
    assert!(
        text.starts_with("setopt autocd\n# >>> byok >>>\n"),
        "{text}"
    );
    assert!(text.ends_with("# <<< byok <<<\nbindkey -e\n"), "{text}");
}

/// Hostile keys for `env --shell dotenv`, with the `OPENAI_API_KEY` line byok prints
/// (`None`: refused, exit 2). The forms are the ones npm dotenv and python-dotenv both
/// read back exactly (issue 8, item 10).
const HOSTILE_KEYS: &[(&str, Option<&str>)] = &[
    ("sk-plain-0123456789", Some("'sk-plain-0123456789'")),
    ("sk-with space-0123", Some("'sk-with space-0123'")),
    ("sk-hash#0123456789", Some("'sk-hash#0123456789'")),
    ("sk-dq\"0123456789", Some("'sk-dq\"0123456789'")),
    ("sk-$HOME-$(id)-`id`", Some("'sk-$HOME-$(id)-`id`'")),
    ("sk-back\\slash\\n\\t", Some("'sk-back\\slash\\n\\t'")),
    ("sk-all\"$`#\\x-0123", Some("'sk-all\"$`#\\x-0123'")),
    ("sk-it's-0123456789", Some("\"sk-it's-0123456789\"")),
    ("sk-it's #1-0123456", Some("\"sk-it's #1-0123456\"")),
    ("sk-it's$HOME-01234", None),
    ("sk-it's`id`-012345", None),
    ("sk-it's\\x-0123456", None),
    ("sk-it's\"-01234567", None),
    ("sk-a'b\"c\\d-012345", None),
    ("sk-double\\\\-01234", None),
    ("sk-trailing-01234\\", None),
    ("sk-${HOME}-0123456", None),
];

/// Issue 8, item 10: values holding `'` with `$`, backticks, `\` or `"` were
/// double-quoted with shell escapes that npm dotenv and python-dotenv read back wrong.
#[test]
fn dotenv_output_uses_a_form_every_reader_agrees_on() {
    for (key, want) in HOSTILE_KEYS {
        let t = TestEnv::new();
        t.run(&[
            "init",
            "--url",
            "https://gw.example.com",
            "--key",
            key,
            "--model",
            "gpt-4o",
        ])
        .success();
        let out = t.run(&["env", "--shell", "dotenv"]);
        match want {
            Some(line) => {
                let out = out.success();
                assert_eq!(
                    out.stdout,
                    format!(
                        "# >>> byok >>>\n# Gateway settings for byok profile `default`.\n\
                         OPENAI_BASE_URL='https://gw.example.com/v1'\n\
                         OPENAI_API_BASE='https://gw.example.com/v1'\n\
                         OPENAI_API_KEY={line}\n\
                         ANTHROPIC_BASE_URL='https://gw.example.com'\n\
                         ANTHROPIC_AUTH_TOKEN={line}\n\
                         # <<< byok <<<\n"
                    ),
                    "{key:?}"
                );
                assert_eq!(out.stderr, "", "{key:?}");
            }
            None => {
                let out = out.code(2);
                assert_eq!(out.stdout, "", "{key:?}");
                assert!(
                    out.stderr.starts_with(
                        "byok: error: can't write OPENAI_API_KEY as a .env line: its value holds "
                    ),
                    "{key:?}: {out}"
                );
                assert!(
                    out.stderr.ends_with(
                        "hint: use a shell format instead (e.g. --shell bash or --shell json), which carries any value\n"
                    ),
                    "{out}"
                );
                assert!(!out.stderr.contains(key), "{out}");
                // The same key still reaches shells intact.
                t.run(&["env", "--shell", "bash"]).success();
            }
        }
    }
}

/// True when `program` runs `args` successfully (a reader library is installed).
fn runs(program: &str, args: &[&str]) -> bool {
    std::process::Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Issue 8, item 10: every accepted `env --shell dotenv` output reads back byte for byte
/// in npm dotenv, python-dotenv and a POSIX shell sourcing it. Skipped where a reader is
/// missing (`npm i dotenv@16` with NODE_PATH, and `pip install python-dotenv`).
#[test]
fn dotenv_output_round_trips_through_real_readers() {
    let node = runs("node", &["-e", "require('dotenv')"]);
    let python = runs("python3", &["-c", "import dotenv"]);
    if !node || !python {
        eprintln!("skipped: needs node with `dotenv` and python3 with `python-dotenv`");
        return;
    }
    for (key, want) in HOSTILE_KEYS {
        if want.is_none() {
            continue;
        }
        let t = TestEnv::new();
        t.run(&[
            "init",
            "--url",
            "https://gw.example.com",
            "--key",
            key,
            "--model",
            "gpt-4o",
        ])
        .success();
        let text = t.run(&["env", "--shell", "dotenv"]).success().stdout;
        let file = t.write("out.env", &text);
        let file = file.to_str().unwrap();
        let read = |program: &str, args: &[&str]| {
            let out = std::process::Command::new(program)
                .args(args)
                .output()
                .unwrap();
            assert!(out.status.success(), "{program}: {out:?}");
            String::from_utf8(out.stdout).unwrap()
        };
        let npm = read(
            "node",
            &[
                "-e",
                "const p = require('dotenv').parse(require('fs').readFileSync(process.argv[1])); process.stdout.write(p.OPENAI_API_KEY)",
                file,
            ],
        );
        let py = read(
            "python3",
            &[
                "-c",
                "import sys, dotenv; sys.stdout.write(dotenv.dotenv_values(sys.argv[1])['OPENAI_API_KEY'])",
                file,
            ],
        );
        let sh = read(
            "sh",
            &[
                "-c",
                "set -a; . \"$1\"; printf %s \"$OPENAI_API_KEY\"",
                "sh",
                file,
            ],
        );
        assert_eq!(
            (npm.as_str(), py.as_str(), sh.as_str()),
            (*key, *key, *key),
            "{text}"
        );
    }
}

/// Issue 8, item 23: a CR-only (old Mac) `.env` gets its new line with `\r`, not `\n`.
#[test]
fn dotenv_files_keep_a_cr_only_line_ending() {
    let t = TestEnv::new();
    t.init("https://gw.example.com");
    let before =
        "# Secrets for Continue\rMISTRAL_KEY='mistral-user-key-0000'\rexport OTHER=x # mine\r";
    t.write(".continue/.env", before);
    t.write(
        ".continue/config.yaml",
        "name: Local Assistant\nversion: 1.0.0\nschema: v1\nmodels: []\n",
    );
    let out = t.run(&["setup", "continue", "--yes"]).success();
    assert!(
        !out.stdout.contains(KEY) && !out.stderr.contains(KEY),
        "{out}"
    );
    assert_eq!(
        t.read(".continue/.env"),
        format!("{before}BYOK_API_KEY='{KEY}' # managed by byok\r")
    );
    // A second run finds the key in place (the file parses as separate lines).
    let again = t.run(&["setup", "continue", "--yes"]).success();
    assert!(again.stdout.contains("up to date"), "{again}");
}

/// A variable name typed by hand into config.toml is printed into shell code by
/// `byok env`: one that isn't a plain name is refused, not printed.
#[test]
fn a_hand_edited_key_variable_must_be_a_name() {
    let t = TestEnv::new();
    t.write(
        ".config/byok/config.toml",
        "default = \"p\"\n\n[profiles.p]\nbase_url = \"https://gw.example.com\"\napi_key_env = \"X}; touch /tmp/byok-pwned; #\"\n",
    );
    let out = t.run(&["env", "--shell", "bash"]).code(2);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.starts_with(
            "byok: error: profile `p`: api_key_env `X}; touch /tmp/byok-pwned; #` is not a valid environment variable name\n"
        ),
        "{out}"
    );
}

/// A profile whose key a command prints; the command notes each run in `runs`.
fn key_command_env() -> (TestEnv, std::path::PathBuf) {
    let t = TestEnv::new();
    let runs = t.root().join("runs");
    let script = t.write(
        "bin/get-key",
        format!(
            "#!/bin/sh\necho run >> '{}'\necho '{KEY}'\n",
            runs.display()
        ),
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    t.run(&[
        "init",
        "--name",
        "work",
        "--url",
        "https://gw.example.com",
        "--key-command",
        &script.display().to_string(),
        "--model",
        "gpt-4o",
        "--yes",
    ])
    .success();
    (t, runs)
}

fn runs_of(runs: &std::path::Path) -> usize {
    std::fs::read_to_string(runs).map_or(0, |s| s.lines().count())
}

/// Issue 12: `byok env` runs at every shell start, so for a key behind a command (or in
/// the OS credential store) it never runs the command: the key variables are left out
/// and a comment says why, in every shell's syntax.
#[test]
fn issue_12_a_key_command_is_never_run_by_env() {
    let (t, runs) = key_command_env();
    let before = runs_of(&runs);
    let mut outs = Vec::new();
    for sh in ["bash", "zsh", "fish", "powershell"] {
        let out = t.run(&["env", "--shell", sh]).success();
        assert_eq!(out.stderr, "", "{sh}");
        outs.push(out.stdout);
    }
    assert_eq!(runs_of(&runs), before, "byok env ran the key command");
    insta::assert_snapshot!(outs.join("----\n"), @r"
    # >>> byok >>>
    # Gateway settings for byok profile `work`.
    # OPENAI_API_KEY, ANTHROPIC_AUTH_TOKEN left out: profile `work` keeps its key in a key command,
    # which byok env does not read at shell start-up (tools set up by byok run
    # `byok print-key`); `byok env --with-key` exports it.
    export OPENAI_BASE_URL='https://gw.example.com/v1'
    export OPENAI_API_BASE='https://gw.example.com/v1'
    export ANTHROPIC_BASE_URL='https://gw.example.com'
    unset ANTHROPIC_API_KEY
    # <<< byok <<<
    ----
    # >>> byok >>>
    # Gateway settings for byok profile `work`.
    # OPENAI_API_KEY, ANTHROPIC_AUTH_TOKEN left out: profile `work` keeps its key in a key command,
    # which byok env does not read at shell start-up (tools set up by byok run
    # `byok print-key`); `byok env --with-key` exports it.
    export OPENAI_BASE_URL='https://gw.example.com/v1'
    export OPENAI_API_BASE='https://gw.example.com/v1'
    export ANTHROPIC_BASE_URL='https://gw.example.com'
    unset ANTHROPIC_API_KEY
    # <<< byok <<<
    ----
    # >>> byok >>>
    # Gateway settings for byok profile `work`.
    # OPENAI_API_KEY, ANTHROPIC_AUTH_TOKEN left out: profile `work` keeps its key in a key command,
    # which byok env does not read at shell start-up (tools set up by byok run
    # `byok print-key`); `byok env --with-key` exports it.
    set -gx OPENAI_BASE_URL 'https://gw.example.com/v1'
    set -gx OPENAI_API_BASE 'https://gw.example.com/v1'
    set -gx ANTHROPIC_BASE_URL 'https://gw.example.com'
    set -e ANTHROPIC_API_KEY
    # <<< byok <<<
    ----
    # >>> byok >>>
    # Gateway settings for byok profile `work`.
    # OPENAI_API_KEY, ANTHROPIC_AUTH_TOKEN left out: profile `work` keeps its key in a key command,
    # which byok env does not read at shell start-up (tools set up by byok run
    # `byok print-key`); `byok env --with-key` exports it.
    $env:OPENAI_BASE_URL = 'https://gw.example.com/v1'
    $env:OPENAI_API_BASE = 'https://gw.example.com/v1'
    $env:ANTHROPIC_BASE_URL = 'https://gw.example.com'
    Remove-Item -ErrorAction SilentlyContinue Env:ANTHROPIC_API_KEY
    # <<< byok <<<
    ");
    // The comment is only comments: the block still loads in a real shell.
    let bash = &outs[0];
    let got = Command::new("bash")
        .args([
            "--noprofile",
            "--norc",
            "-euc",
            "eval \"$1\"; printf %s \"$OPENAI_BASE_URL\"",
            "-",
            bash,
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&got.stdout),
        "https://gw.example.com/v1"
    );

    // Asked for explicitly, the key is read (once) and exported.
    let out = t.run(&["env", "--shell", "bash", "--with-key"]).success();
    assert_eq!(runs_of(&runs), before + 1);
    assert!(
        out.stdout
            .contains(&format!("export OPENAI_API_KEY='{KEY}'\n")),
        "{out}"
    );
    assert!(
        out.stdout
            .contains(&format!("export ANTHROPIC_AUTH_TOKEN='{KEY}'\n")),
        "{out}"
    );
    assert!(!out.stdout.contains("left out"), "{out}");
    // Not with --install: a start-up file would read the store at every shell start.
    let out = t.run(&["env", "--install", "--with-key"]).code(2);
    assert!(out.stderr.contains("cannot be used with"), "{out}");
}

/// A key in the OS credential store is named as such, and doctor's shell check does not
/// call the left-out variables missing.
#[test]
fn issue_12_a_keychain_key_is_left_out_and_doctor_agrees() {
    let mut t = TestEnv::new();
    let store = t.root().join("keychain.json").display().to_string();
    t.set("BYOK_TEST_KEYCHAIN", &store);
    t.run(&[
        "init",
        "--url",
        "http://127.0.0.1:9",
        "--key",
        KEY,
        "--key-store",
        "keychain",
        "--model",
        "gpt-4o",
        "--yes",
    ])
    .success();
    let out = t.run(&["env", "--shell", "bash"]).success();
    assert!(
        out.stdout.contains("# OPENAI_API_KEY, ANTHROPIC_AUTH_TOKEN left out: profile `default` keeps its key in the OS credential store,\n"),
        "{out}"
    );
    assert!(!out.stdout.contains(KEY));
    // This shell loaded byok env: the base URLs match and no key variable is "not set".
    t.set("OPENAI_BASE_URL", "http://127.0.0.1:9/v1");
    t.set("OPENAI_API_BASE", "http://127.0.0.1:9/v1");
    t.set("ANTHROPIC_BASE_URL", "http://127.0.0.1:9");
    let out = t.run(&["doctor", "--quick"]).code(1);
    assert!(
        out.stdout
            .contains("OPENAI_BASE_URL, OPENAI_API_BASE match the profile\n"),
        "{out}"
    );
    assert!(!out.stdout.contains("not set"), "{out}");
    // With the key exported (`byok env --with-key`) it is checked against the store.
    t.set("OPENAI_API_KEY", "sk-stale-0000000000000000");
    let out = t.run(&["doctor", "--quick"]).code(1);
    assert!(
        out.stdout
            .contains("stale: OPENAI_API_KEY is sk-…0000 (profile: sk-…cdef)"),
        "{out}"
    );
}
