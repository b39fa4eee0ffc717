//! Issue 8, items 18 (Continue), 19, 21 and 22: `byok remove continue` gives back the
//! user's shape, valid Continue YAML (flow lists, anchors, aliases) is edited or refused
//! with the construct, line and fix named, every Continue error names its file and the
//! next step, and `byok detect` shows the same Warn/Fail findings as `byok doctor`.

use crate::common::{KEY, Output, TestEnv};

const YAML: &str = ".continue/config.yaml";

#[track_caller]
fn assert_no_key(out: &Output) {
    assert!(
        !out.stdout.contains(KEY) && !out.stderr.contains(KEY),
        "{out}"
    );
}

// ---------------------------------------------------------------------------------------
// Item 21: detect shows diagnose's findings
// ---------------------------------------------------------------------------------------

const CODEX_FAST: &str = "\
# my codex config
profile = \"fast\"

[profiles.fast]
model_provider = \"openai\" # the real OpenAI, for quick questions
model = \"gpt-5-mini\"

[mcp_servers.docs]
command = \"docs-mcp\"
";

const FAST_WARNING: &str = "~/.codex/config.toml makes profile `fast` the default, and it selects model_provider `openai`, which wins over byok's";

/// Issue 8 item 21: Codex set up by byok, but `profile = "fast"` selects another
/// provider; detect used to say plain "configured (profile default)".
#[test]
fn detect_shows_a_shadowing_codex_profile() {
    let t = TestEnv::new();
    t.write(".codex/config.toml", CODEX_FAST);
    // A closed loopback port: doctor below reaches nothing beyond this machine.
    t.init("http://127.0.0.1:9");
    // Setup writes the files but does not read as plain success: it names the problem.
    let out = t
        .run(&["setup", "codex", "--key-mode", "literal", "--yes"])
        .success();
    assert!(
        out.stdout.contains(&format!("  problem: {FAST_WARNING}\n")),
        "{out}"
    );

    let out = t.run(&["detect"]).success();
    assert_no_key(&out);
    let want = format!(
        "\
Codex CLI      configured (profile default), but:
               problem: {FAST_WARNING}
                 hint: remove `model_provider` from [profiles.fast], or `profile = \"fast\"`
               config dir ~/.codex
               config ~/.codex/config.toml
               config ~/.codex/.env
"
    );
    assert!(out.stdout.contains(&want), "{out}");
    // Tools without findings keep their plain lines.
    assert!(
        out.stdout.starts_with("Claude Code    not installed\n"),
        "{out}"
    );

    let out = t.run(&["detect", "--json"]).success();
    assert_no_key(&out);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let codex = v["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "codex")
        .unwrap();
    // Codex always starts with the default profile: byok's provider is never used.
    assert_eq!(codex["status"], "configured-with-problems");
    assert_eq!(
        codex["status_detail"],
        format!("configured (profile default), but: {FAST_WARNING}")
    );
    assert_eq!(
        codex["findings"],
        serde_json::json!([{
            "severity": "fail",
            "message": FAST_WARNING,
            "hint": "remove `model_provider` from [profiles.fast], or `profile = \"fast\"`",
        }])
    );
    // Doctor says the same.
    let doctor = t.run(&["doctor", "--quick", "--timeout", "1"]);
    assert!(doctor.stdout.contains(FAST_WARNING), "{doctor}");

    // Without the shadowing profile: plain "configured", no findings.
    let fixed = t
        .read(".codex/config.toml")
        .replace("profile = \"fast\"\n", "");
    t.write(".codex/config.toml", fixed);
    let out = t.run(&["detect"]).success();
    assert!(
        out.stdout
            .contains("Codex CLI      configured (profile default)\n               config dir"),
        "{out}"
    );
    let out = t.run(&["detect", "--json"]).success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let codex = &v["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "codex")
        .unwrap();
    assert_eq!(codex["status"], "configured");
    assert_eq!(codex["findings"], serde_json::json!([]));
}

/// Issue 8 item 21: settings.json with a comment, which Claude Code refuses to read
/// (a Fail): detect said plain "configured" although Claude Code ignores the file.
#[test]
fn detect_does_not_call_a_tool_with_a_fail_plainly_configured() {
    let t = TestEnv::new();
    let settings = "{\n  // my settings\n  \"theme\": \"dark\",\n}\n";
    t.write(".claude/settings.json", settings);
    t.init("https://gw.example.com");
    t.run(&["setup", "claude-code", "--yes"]).success();
    let problem = "Claude Code ignores ~/.claude/settings.json: it is not strict JSON (line 2, column 3: comments and trailing commas are not allowed in strict JSON)";
    let hint = "remove the comments and trailing commas from ~/.claude/settings.json";

    let out = t.run(&["detect"]).success();
    assert_no_key(&out);
    assert!(
        out.stdout.starts_with(&format!(
            "Claude Code    configured (profile default), but:\n               problem: {problem}\n                 hint: {hint}\n               config dir ~/.claude\n"
        )),
        "{out}"
    );
    let out = t.run(&["detect", "--json"]).success();
    assert_no_key(&out);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let claude = &v["tools"][0];
    assert_eq!(claude["id"], "claude-code");
    assert_eq!(claude["status"], "configured-with-problems");
    assert_eq!(
        claude["status_detail"],
        format!("configured (profile default), but: {problem}")
    );
    assert_eq!(
        claude["findings"],
        serde_json::json!([{"severity": "fail", "message": problem, "hint": hint}])
    );
}

/// Issue 8 item 21: a `.env` in the working directory that `cn` loads with another key
/// (a Continue Warn), and no findings at all without a profile.
#[test]
fn detect_shows_continue_findings_and_skips_them_without_a_profile() {
    let t = TestEnv::new();
    t.write(YAML, "name: mine\nversion: 1.0.0\nschema: v1\nmodels: []\n");
    std::fs::write(t.root().join(".env"), "BYOK_API_KEY=sk-stale-other-key\n").unwrap();
    let out = t.run(&["detect", "--json"]).success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(
        v["tools"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["findings"] == serde_json::json!([]))
    );

    t.init("https://gw.example.com");
    t.run(&["setup", "continue", "--yes"]).success();
    let out = t.run(&["detect"]).success();
    assert_no_key(&out);
    assert!(
        out.stdout.contains(
            "Continue       configured (profile default)\n               warning: [ROOT]/.env sets BYOK_API_KEY to another key; `cn` started in [ROOT] loads it and uses it instead of ~/.continue/.env\n                 hint: remove the BYOK_API_KEY line from [ROOT]/.env\n"
        ),
        "{out}"
    );
}

// ---------------------------------------------------------------------------------------
// Item 22: every Continue error names the file and the next step
// ---------------------------------------------------------------------------------------

/// Issue 8 item 22: a key `.env` can't quote used to fail with only
/// "this value can't be quoted for a .env file", naming no file and no way out.
#[test]
fn unquotable_key_names_the_env_file_and_the_way_out() {
    let t = TestEnv::new();
    let key = "sk-it's-\"odd\"-`key`-0123456789";
    t.run(&[
        "init",
        "--url",
        "https://gw.example",
        "--key",
        key,
        "--model",
        "m",
        "--yes",
    ])
    .success();
    let yaml = "# mine\nname: mine\nversion: 1.0.0\nschema: v1\nmodels: []\n";
    t.write(YAML, yaml);

    let out = t.run(&["setup", "continue", "--yes"]).code(2);
    assert_eq!(
        out.stderr,
        "byok: error: could not write the key to ~/.continue/.env: can't write BYOK_API_KEY to a .env file: its value holds ' together with \", $, ` or \\, which npm dotenv, python-dotenv and shells read differently in every quoting\n\
         hint: Continue reads secrets only from .env files and can't run a key command; ask the gateway for a key without quote characters or line breaks, then `byok init` with it and run `byok setup continue` again\n"
    );
    assert!(
        !out.stdout.contains(key) && !out.stderr.contains(key),
        "{out}"
    );
    assert_eq!(t.read(YAML), yaml);
    assert!(!t.exists(".continue/.env"));
}

// ---------------------------------------------------------------------------------------
// Item 18: remove gives back the user's shape
// ---------------------------------------------------------------------------------------

fn fixture(case: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/continue/{case}/home/.continue/config.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// byok's entries as setup writes them for `TestEnv::init`'s profile, at `indent`.
fn entries() -> String {
    "  - name: byok (OpenAI) # managed by byok
    provider: openai
    model: gpt-4o
    apiBase: https://gw.example.com/v1
    apiKey: \"${{ secrets.BYOK_API_KEY }}\"
    roles: [chat, edit, apply]
  - name: byok (Anthropic) # managed by byok
    provider: anthropic
    model: claude-sonnet-4-5
    apiBase: https://gw.example.com/v1
    apiKey: \"${{ secrets.BYOK_API_KEY }}\"
    roles: [chat, edit, apply]
"
    .to_string()
}

/// Issue 8 item 18: a config.yaml without `models` used to keep `models: []` after
/// remove.
#[test]
fn remove_takes_out_the_models_key_byok_added() {
    let t = TestEnv::new();
    let original = fixture("no-models");
    t.write(YAML, &original);
    t.init("https://gw.example.com");
    let out = t.run(&["setup", "continue", "--yes"]).success();
    assert_no_key(&out);
    assert_eq!(
        t.read(YAML),
        format!("{original}models: # managed by byok\n{}", entries())
    );
    t.run(&["setup", "continue", "--yes"]).success();
    let out = t.run(&["remove", "continue", "--yes"]).success();
    assert_no_key(&out);
    assert_eq!(t.read(YAML), original);
    assert!(!t.exists(".continue/.env"));
}

/// Issue 8 item 18: a comments-only config.yaml used to keep a skeleton
/// (`name`, `version`, `schema`, `models: []`) after remove.
#[test]
fn remove_gives_a_comments_only_config_back_its_comments() {
    let t = TestEnv::new();
    let original = fixture("comments-only");
    t.write(YAML, &original);
    t.init("https://gw.example.com");
    t.run(&["setup", "continue", "--yes"]).success();
    assert_eq!(
        t.read(YAML),
        format!(
            "{original}name: byok # managed by byok\nversion: 1.0.0 # managed by byok\nschema: v1 # managed by byok\nmodels: # managed by byok\n{}",
            entries()
        )
    );
    t.run(&["remove", "continue", "--yes"]).success();
    assert_eq!(t.read(YAML), original);
}

/// Issue 8 item 18: a config.yaml byok created goes when nothing else is in it, and keeps
/// what the user added otherwise (without the `models` key byok created).
#[test]
fn remove_deletes_a_created_config_only_when_nothing_else_is_in_it() {
    let t = TestEnv::new();
    t.init("https://gw.example.com");
    t.run(&["setup", "continue", "--yes"]).success();
    let created = t.read(YAML);
    t.run(&["remove", "continue", "--yes"]).success();
    assert!(
        !t.exists(YAML) && !t.exists(".continue/.env"),
        "{:?}",
        t.tree()
    );

    t.run(&["setup", "continue", "--yes"]).success();
    assert_eq!(t.read(YAML), created);
    t.write(YAML, format!("{created}rules:\n  - Be brief\n"));
    t.run(&["remove", "continue", "--yes"]).success();
    assert_eq!(
        t.read(YAML),
        "# Continue config created by byok. byok changes only the entries marked \"managed by byok\".\nname: byok\nversion: 1.0.0\nschema: v1\nrules:\n  - Be brief\n"
    );
}

// ---------------------------------------------------------------------------------------
// Item 19: valid YAML is edited, or refused with the construct, line and fix
// ---------------------------------------------------------------------------------------

/// Issue 8 item 19: `models: &local_models` (with anchors and merge keys inside) used to
/// be refused with "could not parse"; nothing reuses the list, so byok edits it.
#[test]
fn anchored_models_list_is_edited_and_removed_exactly() {
    let t = TestEnv::new();
    let original = fixture("anchored");
    t.write(YAML, &original);
    t.init("https://gw.example.com");
    let out = t.run(&["setup", "continue", "--yes"]).success();
    assert_no_key(&out);
    assert_eq!(
        t.read(YAML),
        original.replace(
            "models: &local_models   # local first\n",
            &format!("models: &local_models   # local first\n{}", entries())
        )
    );
    let again = t.run(&["setup", "continue", "--yes"]).success();
    assert!(again.stdout.contains("up to date"), "{again}");
    t.run(&["remove", "continue", "--yes"]).success();
    assert_eq!(t.read(YAML), original);
}

/// Issue 8 item 19: a flow list was "could not parse … fix that line by hand"; now the
/// error says what byok can't edit, where, and what to write instead.
#[test]
fn flow_list_is_refused_with_the_construct_line_and_fix() {
    let t = TestEnv::new();
    let original = fixture("flow-list");
    t.write(YAML, &original);
    t.init("https://gw.example.com");
    let out = t.run(&["setup", "continue", "--yes"]).code(2);
    assert_no_key(&out);
    assert_eq!(
        out.stderr,
        "byok: error: byok can't edit ~/.continue/config.yaml: line 7, column 9: `models` is a flow list `[...]`; byok edits block lists only: write each entry of `models` as a `- ` item on its own line\n\
         hint: byok left the file untouched; make that change by hand and run the command again\n"
    );
    assert_eq!(t.read(YAML), original);
    assert!(!t.exists(".continue/.env"));

    // Written as a block list, the same models are edited.
    let block = original.replace(
        "models: [{name: Llama, provider: ollama, model: \"llama3.1:8b\"}]\n",
        "models:\n  - {name: Llama, provider: ollama, model: \"llama3.1:8b\"}\n",
    );
    t.write(YAML, &block);
    t.run(&["setup", "continue", "--yes"]).success();
    t.run(&["remove", "continue", "--yes"]).success();
    assert_eq!(t.read(YAML), block);
}

/// Issue 8 item 19: editing through an alias, or an anchored list reused elsewhere, would
/// change the other place too: refused with both lines named.
#[test]
fn aliased_models_are_refused_with_both_places_named() {
    let t = TestEnv::new();
    t.init("https://gw.example.com");
    let aliased = "name: A\nversion: 1.0.0\nx-team: &team\n  - name: Llama\n    provider: ollama\n    model: llama3\nmodels: *team\n";
    t.write(YAML, aliased);
    let out = t.run(&["setup", "continue", "--yes"]).code(2);
    assert_eq!(
        out.stderr,
        "byok: error: byok can't edit ~/.continue/config.yaml: line 7, column 9: `models` is the alias `*team` of the list anchored on line 3; byok would have to change that list and every other place that reuses it: write the list out under `models` (one `- ` item per model)\n\
         hint: byok left the file untouched; make that change by hand and run the command again\n"
    );
    assert_eq!(t.read(YAML), aliased);

    let reused = "name: A\nversion: 1.0.0\nmodels: &team\n  - name: Llama\n    model: llama3\nx-copy: *team\n";
    t.write(YAML, reused);
    let out = t.run(&["setup", "continue", "--yes"]).code(2);
    assert!(
        out.stderr.starts_with("byok: error: byok can't edit ~/.continue/config.yaml: line 3, column 9: `models` is anchored as `&team` and reused as `*team` on line 6, so byok's change would change that place too; copy the list there instead of `*team`, or remove the anchor\n"),
        "{out}"
    );
    // Nothing of byok's in it: remove has nothing to do and says so.
    t.run(&["remove", "continue", "--yes"]).success();
    assert_eq!(t.read(YAML), reused);
}
