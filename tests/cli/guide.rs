//! `byok` alone on a terminal (issue 14): the guided first run and the status, driven
//! through a pseudo-terminal on a fake home against the loopback mock gateway; and the
//! paths without a terminal, which must stay exactly as they were.
//!
//! Most runs set `TERM=dumb`, so prompts are plain lines without escape codes and the
//! transcript can be compared exactly; one run goes through dialoguer on an xterm.

use std::process::Command;

use byok::gateway::mock::{MockGateway, Scenario};
use rexpect::session::PtySession;

use crate::common::{KEY, TestEnv};

/// Claude Code's settings as a user keeps them: strict JSON, unrelated keys, odd spacing.
const CLAUDE: &str = "{\n  \"permissions\": { \"allow\": [\"Bash(ls:*)\"] },\n  \"env\": {\n    \"NODE_OPTIONS\":   \"--max-old-space-size=8192\"\n  }\n}\n";

/// A byok run in a pseudo-terminal, with everything it printed so far.
pub(crate) struct Tty {
    p: PtySession,
    seen: String,
}

impl Tty {
    /// Starts byok in a pseudo-terminal with the home's cleared environment.
    pub(crate) fn spawn(t: &TestEnv, args: &[&str]) -> Self {
        let base = t.command();
        let mut cmd = Command::new(base.get_program());
        cmd.env_clear();
        for (k, v) in base.get_envs() {
            if let Some(v) = v {
                cmd.env(k, v);
            }
        }
        cmd.current_dir(base.get_current_dir().unwrap()).args(args);
        let p = rexpect::session::spawn_command(cmd, Some(30_000)).unwrap();
        Self {
            p,
            seen: String::new(),
        }
    }

    /// Waits for `needle` (ASCII) and keeps what came before it.
    #[track_caller]
    pub(crate) fn expect(&mut self, needle: &str) -> &mut Self {
        // The terminal ends lines with \r\n.
        let needle = &needle.replace('\n', "\r\n");
        match self.p.exp_string(needle) {
            Ok(before) => {
                self.seen.push_str(&before);
                self.seen.push_str(needle);
            }
            Err(e) => panic!("no `{needle}` ({e}) after:\n{}", utf8(&self.seen)),
        }
        self
    }

    /// Answers the prompt just seen.
    pub(crate) fn answer(&mut self, line: &str) -> &mut Self {
        self.p.send_line(line).unwrap();
        self
    }

    /// Types `keys` at a dialoguer prompt. dialoguer (console) switches the terminal to
    /// raw mode with TCSAFLUSH, which drops what was typed before: wait for that first.
    fn keys(&mut self, keys: &str) -> &mut Self {
        std::thread::sleep(std::time::Duration::from_millis(400));
        self.p.send(keys).unwrap();
        self.p.flush().unwrap();
        self
    }

    /// Presses Ctrl-C.
    fn interrupt(&mut self) {
        self.p.send_control('c').unwrap();
    }

    /// Reads to the end and returns the whole transcript (`\r\n` as `\n`) and exit code.
    pub(crate) fn finish(mut self) -> (String, Option<i32>) {
        let rest = match self.p.exp_eof() {
            Ok(rest) => rest,
            Err(e) => {
                // Still waiting at a prompt: end it rather than wait forever.
                let _ = self.p.process_mut().exit();
                panic!("byok did not finish ({e}) after:\n{}", utf8(&self.seen));
            }
        };
        self.seen.push_str(&rest);
        let code = match self.p.process().wait() {
            Ok(rexpect::process::WaitStatus::Exited(_, c)) => Some(c),
            _ => None,
        };
        (utf8(&self.seen).replace("\r\n", "\n"), code)
    }
}

/// rexpect hands over bytes as chars; put the UTF-8 (`✓`, `…`) back together.
fn utf8(s: &str) -> String {
    if s.chars().all(|c| (c as u32) < 256) {
        String::from_utf8_lossy(&s.chars().map(|c| c as u8).collect::<Vec<u8>>()).into_owned()
    } else {
        s.to_string()
    }
}

/// A dumb-terminal home with Claude Code installed, and a mock gateway for `KEY`.
fn first_run_home() -> (TestEnv, MockGateway) {
    let mock = MockGateway::start(Scenario::new(KEY)).unwrap();
    let mut t = TestEnv::new();
    t.set("TERM", "dumb");
    t.write(".claude/settings.json", CLAUDE);
    (t, mock)
}

/// Step 1 up to the save question: URL, key, the gateway's models in a menu, key style.
fn answer_gateway_questions(tty: &mut Tty, url: &str) {
    tty.expect("Gateway URL (e.g. https://gw.example.com): ")
        .answer(url)
        .expect("Enter alone to read it from an environment variable instead): ")
        .answer(KEY)
        // The gateway was checked at once: its models come as a menu.
        .expect("  4) claude-haiku-4-5\nnumber [1]: ")
        .answer("1")
        .expect("number [1]: ")
        .answer("claude-sonnet-4-5")
        .expect("number [1]: ")
        .answer("")
        .expect("How should Anthropic-style clients send the key?")
        .expect("number [1]: ")
        .answer("");
}

fn files(t: &TestEnv) -> Vec<String> {
    t.tree()
        .into_iter()
        // Backup blobs are named by their hash, backup ids by the time.
        .filter(|f| !f.contains("/backups/"))
        .collect()
}

#[test]
fn first_run_goes_from_an_empty_home_to_a_passing_doctor() {
    let (t, mock) = first_run_home();
    let url = mock.url();
    let mut tty = Tty::spawn(&t, &[]);
    answer_gateway_questions(&mut tty, &url);
    tty.expect("to ~/.config/byok/config.toml? [Y/n] ")
        .answer("y")
        .expect("`none` for none: ")
        .answer("")
        .expect("Apply these changes to Claude Code? [Y/n] ")
        .answer("y")
        .expect("Change ~/.bashrc? [Y/n] ")
        .answer("y")
        .expect("Run `byok doctor` now (a few tiny requests to the gateway)? [Y/n] ")
        .answer("y");
    let (text, code) = tty.finish();
    let text = t.normalize(&text).replace(&url, "[URL]");
    assert!(!text.contains(KEY), "the key leaked:\n{text}");
    assert_eq!(code, Some(0), "{text}");

    let start = "Welcome to byok: it points your AI coding tools at your own API gateway.
Four steps: your gateway, your tools, your shell, a check. Nothing is written
before you say yes to a step, and Ctrl-C stops at any point.

Step 1 of 4: your gateway
Gateway URL (e.g. https://gw.example.com): ";
    assert!(text.starts_with(start), "{text}");
    for part in [
        "check: [URL]/v1/models answered with 4 models\nChat model (OpenAI format)\n  1) gpt-4o\n",
        "Save profile `default` ([URL], model gpt-4o) to ~/.config/byok/config.toml? [Y/n] \
         Saved profile `default` (default) to ~/.config/byok/config.toml\n  gateway  [URL]\n  key      sk-…cdef\n  model    gpt-4o\n\nStep 2 of 4: your tools\nClaude Code    not configured\n",
        "Which tools should use the gateway?\n  [x] 1) Claude Code (not configured)\nnumbers separated by spaces",
        "+    \"ANTHROPIC_BASE_URL\": \"[URL]\",\n",
        "Apply these changes to Claude Code? [Y/n] Claude Code\n  updated ~/.claude/settings.json (original kept as backup ",
        "\nStep 3 of 4: your shell\n`byok env --install` adds a block to ~/.bashrc so that new bash shells export",
        "Change ~/.bashrc? [Y/n] Installed byok's block in ~/.bashrc (backup ",
        "\nStep 4 of 4: a check\n",
        "Claude Code  points at this profile's gateway, key and models",
        "\nall required checks passed: ",
        "\nNothing is left to do by hand.\n\nDone. Run `byok` again for a short status, `byok --help` for everything else.\n",
    ] {
        assert!(text.contains(part), "no\n{part}\nin\n{text}");
    }
    // Only the key prompt saw the key, hidden; what the tools got is masked in the diff.
    assert!(text.contains("sk-…cdef"));

    assert_eq!(
        files(&t),
        [
            ".bashrc",
            ".claude.json",
            ".claude/settings.json",
            ".config/byok/config.toml",
            ".local/state/byok/lock",
            ".local/state/byok/owned.json",
        ]
    );
    let settings = t.read(".claude/settings.json");
    assert!(settings.contains("\"NODE_OPTIONS\":   \"--max-old-space-size=8192\""));
    assert!(settings.contains(&format!("\"ANTHROPIC_BASE_URL\": \"{url}\"")));
    assert!(
        t.read(".bashrc").starts_with("# >>> byok >>>\n"),
        "{}",
        t.read(".bashrc")
    );
    // The gateway heard the check and doctor, with the key.
    assert!(mock.requests().iter().all(|r| r.header("authorization")
        == Some(&format!("Bearer {KEY}"))
        || r.header("x-api-key") == Some(KEY)));
    // What the guide did is what the commands see.
    t.run(&["doctor", "--quick"]).success();
}

#[test]
fn a_pasted_key_is_taken_as_the_key() {
    let (t, mock) = first_run_home();
    let mut tty = Tty::spawn(&t, &[]);
    tty.expect("Gateway URL (e.g. https://gw.example.com): ")
        .answer(&mock.url())
        .expect("environment variable instead): ");
    // A paste: the key with the blank and line break a copy picks up, in one write.
    tty.p.send(&format!(" {KEY} \n")).unwrap();
    tty.expect("removed whitespace or a line break around the key")
        .expect("Chat model (OpenAI format)");
    tty.interrupt();
    let (text, _) = tty.finish();
    assert!(!text.contains(KEY), "{text}");
    // The key was checked against the gateway: it accepted it as sent.
    assert!(
        mock.requests()
            .iter()
            .any(|r| r.header("authorization") == Some(&format!("Bearer {KEY}"))),
        "{text}"
    );
}

/// Ctrl-C at each question leaves the home as the last confirmed step left it.
#[test]
fn ctrl_c_at_each_step_leaves_no_partial_file() {
    let list = |files: &[&str]| files.iter().map(|f| f.to_string()).collect::<Vec<_>>();
    let installed = list(&[".claude/settings.json"]);
    // Saving the profile takes byok's lock (an empty file that stays).
    let saved = list(&[
        ".claude/settings.json",
        ".config/byok/config.toml",
        ".local/state/byok/lock",
    ]);
    let set_up = list(&[
        ".claude.json",
        ".claude/settings.json",
        ".config/byok/config.toml",
        ".local/state/byok/lock",
        ".local/state/byok/owned.json",
    ]);
    let mut shell = set_up.clone();
    shell.insert(0, ".bashrc".to_string());
    for answered in 0..=10 {
        let (t, mock) = first_run_home();
        let url = mock.url();
        // Each question, and the answer given when it is not the one interrupted.
        let steps: [(&str, &str); 11] = [
            ("Gateway URL (e.g. https://gw.example.com): ", &url),
            ("environment variable instead): ", KEY),
            ("Chat model (OpenAI format)", "1"),
            ("Anthropic-format model", ""),
            ("Small/fast model", ""),
            ("How should Anthropic-style clients send the key?", ""),
            ("to ~/.config/byok/config.toml? [Y/n] ", "y"),
            ("`none` for none: ", ""),
            ("Apply these changes to Claude Code? [Y/n] ", "y"),
            ("Change ~/.bashrc? [Y/n] ", "y"),
            ("Run `byok doctor` now", "y"),
        ];
        let mut tty = Tty::spawn(&t, &[]);
        for (question, answer) in &steps[..answered] {
            tty.expect(question);
            if question.contains("model") || question.contains("send the key") {
                tty.expect("number [1]: ");
            }
            tty.answer(answer);
        }
        tty.expect(steps[answered].0);
        tty.interrupt();
        let (text, code) = tty.finish();
        assert_eq!(code, None, "Ctrl-C ends byok by the signal:\n{text}");
        assert!(!text.contains(KEY), "{text}");
        let want = match answered {
            0..=6 => &installed,
            7 | 8 => &saved,
            9 => &set_up,
            _ => &shell,
        };
        assert_eq!(&files(&t), want, "Ctrl-C after {answered} answers:\n{text}");
        if answered <= 8 {
            assert_eq!(t.read(".claude/settings.json"), CLAUDE, "{answered}");
        }
    }
}

#[test]
fn with_a_profile_byok_shows_a_status_and_next_steps() {
    let (t, mock) = first_run_home();
    t.init(&mock.url());
    let (text, code) = Tty::spawn(&t, &[]).finish();
    let text = t.normalize(&text).replace(&mock.url(), "[URL]");
    assert_eq!(
        text,
        "byok: profile `default`, gateway [URL], key sk-…cdef, model gpt-4o
gateway   answers (`byok doctor --quick` passed)
tools
  Claude Code    not configured
next
  `byok setup claude-code` points the tools not yet set up at the gateway (`byok setup` alone lets you pick)
  `byok env --install` loads the profile in new shells (~/.bashrc)
  `byok doctor` checks every tool end to end
  `byok init --name NAME` adds another gateway profile; `byok --help` lists everything
"
    );
    assert_eq!(code, Some(0));
}

#[test]
fn setup_without_tools_on_a_terminal_offers_the_detected_ones() {
    let (t, mock) = first_run_home();
    t.write(".codex/config.toml", "# mine\nmodel = \"o3\"\n");
    t.init(&mock.url());
    let mut tty = Tty::spawn(&t, &["setup", "--dry-run"]);
    tty.expect("Which tools should use the gateway?\n")
        .expect("`none` for none: ")
        .answer("1");
    let (text, code) = tty.finish();
    assert!(
        text.contains(
            "  [x] 1) Claude Code (not configured)\n  [x] 2) Codex CLI (not configured)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("`none` for none: Claude Code\n--- a/~/.claude/settings.json\n"),
        "{text}"
    );
    assert!(
        !text.contains("\nCodex CLI\n"),
        "only the one picked:\n{text}"
    );
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(t.read(".claude/settings.json"), CLAUDE, "a dry run");
}

/// The same first run through dialoguer's prompts (raw keys, escape codes, colours).
#[test]
fn first_run_works_through_dialoguer_on_an_xterm() {
    let (mut t, mock) = first_run_home();
    t.set("TERM", "xterm-256color").unset("NO_COLOR");
    let mut tty = Tty::spawn(&t, &[]);
    tty.expect("Gateway URL").keys(&format!("{}\r", mock.url()));
    tty.expect("API key").keys(&format!("{KEY}\r"));
    // Fuzzy menus take Enter for the highlighted item; Confirm takes `y` at once.
    for question in [
        "Chat model",
        "Anthropic-format model",
        "Small/fast model",
        "send the key",
    ] {
        tty.expect(question).keys("\r");
    }
    tty.expect("Save profile").keys("y");
    tty.expect("Which tools should use the gateway?").keys("\r");
    tty.expect("Apply these changes to Claude Code?").keys("y");
    tty.expect("Change ~/.bashrc?").keys("n");
    tty.expect("Run `byok doctor` now").keys("n");
    let (text, code) = tty.finish();
    assert!(!text.contains(KEY), "{text}");
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("Skipped: `byok env --install` does it later."),
        "{text}"
    );
    assert!(!t.exists(".bashrc"));
    let cfg = t.read(".config/byok/config.toml");
    assert!(cfg.contains("model = \"gpt-4o\""), "{cfg}");
    assert!(t.read(".claude/settings.json").contains(&mock.url()));
}

#[test]
fn without_a_terminal_byok_alone_prints_the_help_and_exits_2_as_before() {
    let t = TestEnv::new();
    let help = t.run(&["--help"]).success();
    let out = t.run(&[]).code(2);
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, help.stdout);
    assert!(
        out.stderr.starts_with(
            "Point AI coding tools at your own API gateway\n\nUsage: byok [OPTIONS] <COMMAND>\n"
        ),
        "{out}"
    );
    let out = t.run(&["--profile", "work"]).code(2);
    assert_eq!(
        out.stderr,
        "error: 'byok' requires a subcommand but one was not provided
  [subcommands: init, profile, use, key, env, detect, setup, restore, run, remove, doctor, demo, templates, completions, print-key, help]

Usage: byok [OPTIONS] <COMMAND>

For more information, try '--help'.
"
    );
    assert!(t.tree().is_empty(), "{:?}", t.tree());
}

#[test]
fn without_a_terminal_setup_alone_names_all_and_the_tools() {
    let t = TestEnv::new();
    t.init("https://gw.example.com");
    let out = t.run(&["setup"]).code(2);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "byok: error: `byok setup` needs the tools to configure (stdin is not a terminal, so byok can't ask which)
hint: name them (claude-code, cursor, roo-code, cline, kilo-code, continue, codex, opencode, gemini-cli, kilo, qwen-code, droid, pi, aider, copilot-cli, zed, copilot-chat, goose, crush, claude-desktop, jetbrains-ai, trae, warp), or pass --all for every detected tool; `byok detect` shows which are installed
"
    );
}

#[test]
fn a_failing_gateway_check_asks_before_saving_anything() {
    let mock = MockGateway::start(Scenario::new("sk-another-key-000000000")).unwrap();
    let mut t = TestEnv::new();
    t.set("TERM", "dumb");
    let mut tty = Tty::spawn(&t, &[]);
    tty.expect("Gateway URL (e.g. https://gw.example.com): ")
        .answer(&mock.url())
        .expect("environment variable instead): ")
        .answer(KEY)
        .expect("\nthe gateway check failed: ")
        .expect("Save the profile anyway (`byok doctor` explains more later)? [y/N] ")
        .answer("");
    let (text, code) = tty.finish();
    assert!(!text.contains(KEY), "{text}");
    assert!(
        text.ends_with(
            "[y/N] byok: error: nothing was saved\nhint: run `byok` again, or `byok init` with flags (see `byok init --help`)\n"
        ),
        "{text}"
    );
    assert_eq!(code, Some(1));
    assert!(t.tree().is_empty(), "{:?}", t.tree());
}
