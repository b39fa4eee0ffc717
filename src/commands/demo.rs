//! `byok demo`: the whole product against the embedded mock gateway, in a throw-away
//! home, with no network beyond 127.0.0.1.
//!
//! It starts the mock, writes sample installs of every supported tool into a temporary
//! home, then runs the real commands there, each through its own code path: `init`,
//! `setup --all --dry-run` (the diffs), `setup --all --yes`, `env --install` and
//! `doctor`. The home is deleted at the end unless `--keep` is given. Nothing outside
//! the temporary directory is read for configuration or written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};

use super::{Ctx, doctor, env as env_cmd, init, setup};
use crate::cli::{DemoArgs, EnvArgs, InitArgs, KeyArgs, SetupArgs};
use crate::env::{self, Env};
use crate::error::ExitStatus;
use crate::fs;
use crate::gateway::mock::{MockGateway, Scenario};
use crate::secret::ApiKey;
use crate::shell::Shell;
use crate::tools::vscode::Host;
use crate::tools::{self, ToolId};

/// The demo's key: registered like any key, so it is masked everywhere.
const DEMO_KEY: &str = "sk-byok-demo-7f3a9c2e51d8b604";

/// Runs the demo.
pub fn run(args: &DemoArgs, ctx: &mut Ctx<'_>) -> Result<ExitStatus> {
    let key = ApiKey::new(DEMO_KEY);
    let mock = MockGateway::start(Scenario::new(DEMO_KEY))?;
    let dir = tempfile::Builder::new()
        .prefix("byok-demo-")
        .tempdir()
        .context("could not create a temporary directory for the demo")?;
    let home = dir.path().join("home");
    fs::create_dir_all(&home)?;
    let env = demo_env(ctx.env, &home);
    let url = mock.url();

    writeln!(
        ctx.out,
        "byok demo: a mock gateway on {url} and a throw-away home in {}\n(nothing outside it is touched; no network beyond 127.0.0.1)",
        home.display()
    )?;

    step(ctx, "1", "sample installs of the supported tools")?;
    let (installed, lines) = sample_installs(&env)?;
    for (tool, what) in lines {
        writeln!(ctx.out, "  {tool:<12} {what}")?;
    }
    // Named explicitly: a tool detected some other way (a running editor) stays out.
    let names: Vec<&str> = installed.iter().map(|t| t.as_str()).collect();

    let mut status = ExitStatus::Success;
    let mut sub = Ctx {
        env: &env,
        out: &mut *ctx.out,
        err: &mut *ctx.err,
        interactive: false,
        profile: None,
    };
    step(
        &mut sub,
        "2",
        &format!(
            "byok init --url {url} --key {} --model gpt-4o --anthropic-model claude-sonnet-4-5 --small-model claude-haiku-4-5",
            key.masked()
        ),
    )?;
    let init_args = InitArgs {
        url: Some(url.clone()),
        keys: KeyArgs {
            key: Some(DEMO_KEY.to_string()),
            ..KeyArgs::default()
        },
        model: Some("gpt-4o".into()),
        anthropic_model: Some("claude-sonnet-4-5".into()),
        small_model: Some("claude-haiku-4-5".into()),
        anthropic_auth: None,
        openai_url: None,
        anthropic_url: None,
        name: Some("demo".into()),
        yes: true,
        no_default: false,
        check: false,
        preset: None,
        list_presets: false,
        headers: Vec::new(),
        from_link: None,
    };
    status = worst(status, init::run(&init_args, &mut sub)?);

    let setup_args = |dry_run: bool| SetupArgs {
        tools: installed.iter().map(|i| i.as_str().to_string()).collect(),
        all: false,
        dry_run,
        diff: false,
        yes: !dry_run,
        force: false,
        key_mode: None,
        allow_literal_keys: false,
        host: None,
        show_key: false,
        project: None,
    };
    step(
        &mut sub,
        "3",
        &format!(
            "byok setup {} --dry-run   (what would change)",
            names.join(" ")
        ),
    )?;
    status = worst(status, setup::run(&setup_args(true), &mut sub)?);
    step(
        &mut sub,
        "4",
        &format!("byok setup {} --yes", names.join(" ")),
    )?;
    status = worst(status, setup::run(&setup_args(false), &mut sub)?);
    step(&mut sub, "5", "byok env --install --shell bash")?;
    let env_args = EnvArgs {
        shell: Some(Shell::Bash),
        install: true,
        uninstall: false,
        unset: false,
        with_key: false,
    };
    status = worst(status, env_cmd::run(&env_args, &mut sub)?);

    step(&mut sub, "6", "byok doctor")?;
    let opts = doctor::Options {
        url: None,
        key: None,
        model: None,
        quick: false,
        timeout: Duration::from_secs(10),
        spinner: false,
        only: Some(installed.clone()),
    };
    let report = doctor::build_report(&env, None, &opts)?;
    let colour = ctx.env.stdout_tty && ctx.env.var("NO_COLOR").is_none();
    let text = report.render_text(colour, &env.home.display().to_string());
    sub.out.write_all(text.as_bytes())?;
    if report.exit_code() != 0 {
        status = worst(status, ExitStatus::Failure);
    }

    let requests = mock.requests().len();
    drop(mock);
    writeln!(
        ctx.out,
        "\nThe mock answered {requests} requests. Next, with your own gateway: `byok init`, then `byok setup --all`, `byok env --install` and `byok doctor`."
    )?;
    if args.keep {
        let kept = dir.keep();
        writeln!(
            ctx.out,
            "Kept the demo home: {} (look around with HOME={} or BYOK_HOME; delete it when done).",
            kept.join("home").display(),
            kept.join("home").display()
        )?;
    } else {
        writeln!(
            ctx.out,
            "Removed the demo home (run `byok demo --keep` to look around in it)."
        )?;
        dir.close()
            .context("could not remove the demo's temporary directory")?;
    }
    Ok(status)
}

fn step(ctx: &mut Ctx<'_>, n: &str, title: &str) -> Result<()> {
    writeln!(ctx.out, "\n── {n}. {title}")?;
    Ok(())
}

fn worst(a: ExitStatus, b: ExitStatus) -> ExitStatus {
    let rank = |s| match s {
        ExitStatus::Success => 0,
        ExitStatus::Failure => 1,
        ExitStatus::Error | ExitStatus::Code(_) => 2,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// An environment that sees only the demo home: no PATH (no real binaries), no proxies,
/// no gateway variables; the terminal flags and the byok executable are the real ones.
fn demo_env(real: &Env, home: &Path) -> Env {
    let h = home.display().to_string();
    let mut vars = BTreeMap::new();
    for k in ["HOME", "USERPROFILE", env::BYOK_HOME] {
        vars.insert(k.to_string(), h.clone());
    }
    vars.insert("SHELL".into(), "/bin/bash".into());
    if let Some(v) = real.var("NO_COLOR") {
        vars.insert("NO_COLOR".into(), v.to_string());
    }
    let mut env = Env::from_vars(vars, real.os, home.to_path_buf(), None);
    env.stdin_tty = false;
    env.stdout_tty = real.stdout_tty;
    env.stderr_tty = real.stderr_tty;
    env.exe.clone_from(&real.exe);
    env
}

/// Writes what each adapter's detection looks for, as a fresh install leaves it, plus a
/// user setting or two so the diffs show byok keeping them. Returns the tools installed
/// and a (tool, what) line for each file written or tool left out.
#[allow(clippy::type_complexity)]
fn sample_installs(env: &Env) -> Result<(Vec<ToolId>, Vec<(&'static str, String)>)> {
    let code = Host::by_id("code").context("VS Code is in the host table")?;
    let ext = |name: &str| code.extensions_dir(env).join(name).join("package.json");
    let mut written = Vec::new();
    let mut installed = Vec::new();
    for tool in tools::registry(env).tools.iter() {
        // By CLI name, so a tool added later gets the generic sample until it has its own.
        let files: Vec<(PathBuf, String)> = match tool.id().as_str() {
            "claude-code" => vec![(
                env.home.join(".claude").join("settings.json"),
                "{\n  \"permissions\": {\n    \"allow\": [\"Bash(git status)\"]\n  },\n  \"theme\": \"dark\"\n}\n".into(),
            )],
            "cursor" => {
                written.push((
                    tool.name(),
                    "left out: Cursor calls the gateway from Cursor's servers, which cannot reach a mock on 127.0.0.1".to_string(),
                ));
                Vec::new()
            }
            "roo-code" => vec![
                (
                    ext("rooveterinaryinc.roo-cline-3.52.1"),
                    "{\"name\": \"roo-cline\", \"version\": \"3.52.1\"}\n".into(),
                ),
                vscode_settings(env, code)?,
            ],
            "cline" => vec![(
                ext("saoudrizwan.claude-dev-3.70.0"),
                "{\"name\": \"claude-dev\", \"version\": \"3.70.0\"}\n".into(),
            )],
            "kilo-code" => vec![
                (
                    ext("kilocode.kilo-code-5.10.4"),
                    "{\"name\": \"kilo-code\", \"version\": \"5.10.4\"}\n".into(),
                ),
                vscode_settings(env, code)?,
            ],
            "continue" => vec![(
                env.home.join(".continue").join("config.yaml"),
                "name: My config\nversion: 1.0.0\nschema: v1\nmodels: []\n".into(),
            )],
            // A tool byok only lists steps for has nothing to show against a mock.
            _ if tool.template().is_some_and(|t| t.files.is_empty()) => Vec::new(),
            // The first directory the adapter reads is usually what detection looks for.
            _ => match tool.inputs(env).dirs.first() {
                Some(d) => {
                    fs::create_dir_all(d)?;
                    written.push((tool.name(), env.tilde(d)));
                    installed.push(tool.id());
                    Vec::new()
                }
                None => Vec::new(),
            },
        };
        if !files.is_empty() {
            installed.push(tool.id());
        }
        for (path, text) in files {
            if fs::read_optional(&path)?.is_none() {
                if let Some(parent) = path.parent() {
                    fs::create_dir_all(parent)?;
                }
                fs::write_atomic(&path, text.as_bytes(), fs::Mode::Keep)?;
                written.push((tool.name(), env.tilde(&path)));
            }
        }
    }
    Ok((installed, written))
}

fn vscode_settings(env: &Env, code: &Host) -> Result<(PathBuf, String)> {
    let path = code
        .settings_json(env)
        .context("VS Code has a user settings file")?;
    Ok((
        path,
        "{\n  // my editor settings\n  \"editor.fontSize\": 14,\n  \"files.autoSave\": \"afterDelay\",\n}\n"
            .into(),
    ))
}
