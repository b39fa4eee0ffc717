//! `byok detect`: the table and `--json` for installed, configured, drifted and absent tools.

use crate::common::TestEnv;

#[test]
fn json_reports_each_state() {
    let t = TestEnv::new();
    t.write(".claude/settings.json", "{}\n");
    t.write(
        ".continue/config.yaml",
        "name: mine\nversion: 1.0.0\nschema: v1\nmodels: []\n",
    );
    t.init("https://gw.example.com");
    t.run(&["setup", "claude-code", "continue", "--yes"])
        .success();
    // Change a value byok wrote: Continue is now drifted.
    let yaml = t
        .read(".continue/config.yaml")
        .replace("model: gpt-4o", "model: my-own");
    t.write(".continue/config.yaml", yaml);

    let out = t.run(&["detect", "--json"]).success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["profile"], "default");
    let by_id = |id: &str| {
        v["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id("claude-code")["status"], "configured");
    assert_eq!(by_id("claude-code")["installed"], true);
    assert_eq!(by_id("continue")["status"], "drifted");
    assert!(
        by_id("continue")["status_detail"]
            .as_str()
            .unwrap()
            .starts_with("drifted: changed by hand: ")
    );
    for absent in [
        "cursor",
        "roo-code",
        "cline",
        "kilo-code",
        "codex",
        "opencode",
        "gemini-cli",
    ] {
        assert_eq!(by_id(absent)["status"], "not-installed", "{absent}");
    }

    let out = t.run(&["detect"]).success();
    assert!(
        out.stdout
            .starts_with("Claude Code    configured (profile default)\n"),
        "{out}"
    );
    assert!(
        out.stdout.contains("\nCursor         not installed\n"),
        "{out}"
    );
}

/// A tool byok has not set up is "not configured"; its doctor findings (which only say
/// the same) are not listed under it.
#[test]
fn not_configured_tools_list_no_findings() {
    let t = TestEnv::new();
    t.init("https://gw.example.com");
    std::fs::create_dir_all(t.home().join(".codex")).unwrap();
    let out = t.run(&["detect"]).success();
    assert!(
        out.stdout
            .contains("Codex CLI      not configured\n               config dir ~/.codex\n"),
        "{out}"
    );
    assert!(!out.stdout.contains("problem:"), "{out}");
}
