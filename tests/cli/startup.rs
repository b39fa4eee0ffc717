//! The binary's own start-up (src/main.rs): on Linux with glibc byok brings its own C
//! `main` instead of Rust's, so what Rust's start-up did for it is tested here.

use std::process::{Command, Stdio};

use crate::common::{KEY, TestEnv};

const INIT: &[&str] = &[
    "init",
    "--url",
    "https://gw.example.com/v1",
    "--key",
    KEY,
    "--model",
    "gpt-4o",
    "--yes",
];

/// Runs byok through `sh` with its stdout closed, and returns its exit code.
fn run_with_stdout_closed(t: &TestEnv, args: &[&str]) -> Option<i32> {
    let status = Command::new("/bin/sh")
        .arg("-c")
        .arg(r#"exec "$0" "$@" >&-"#)
        .arg(env!("CARGO_BIN_EXE_byok"))
        .args(args)
        .env_clear()
        .envs(t.command().get_envs().filter_map(|(k, v)| Some((k, v?))))
        .current_dir(t.root())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    status.code()
}

#[test]
fn a_closed_stdout_never_becomes_a_file_byok_writes() {
    // With fd 1 closed, the first file byok opens would get that number: setup's lock,
    // held while setup prints its report into "stdout".
    let setup = ["setup", "claude-code", "--yes"];
    let t = TestEnv::new();
    t.run(INIT).success();
    assert_eq!(run_with_stdout_closed(&t, &setup), Some(0));
    let reference = TestEnv::new();
    reference.run(INIT).success();
    reference.run(&setup).success();
    assert_eq!(t.tree(), reference.tree());
    for file in [
        ".local/state/byok/lock",
        ".claude/settings.json",
        ".claude.json",
        ".config/byok/config.toml",
    ] {
        assert_eq!(
            t.normalize(&t.read(file)),
            reference.normalize(&reference.read(file)),
            "{file}"
        );
    }
    assert_eq!(t.read(".local/state/byok/lock"), "");
}

#[test]
fn a_closed_pipe_ends_byok_env_quietly() {
    // SIGPIPE stays ignored: writing to a pipe nobody reads is an error byok ends on
    // with exit 0 and no message (`byok env | head`), not death by a signal.
    let t = TestEnv::new();
    t.run(INIT).success();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = t
        .command()
        .args(["env", "--shell", "bash"])
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
