//! `byok doctor --live [TOOL…]`: each installed tool runs once in its one-shot mode
//! (its template's `[live]` table) through a recording relay, and what it sent is judged.
//!
//! Each run gets an empty working directory and a temporary home holding copies of the
//! tool's own files as byok finds them, with only the gateway's scheme, host and port
//! replaced by the relay's (path prefixes kept); variables that point into the real home
//! point into the temporary one, and a tool that reads only variables (Copilot CLI) gets
//! what `byok env` sets for it, as after `eval "$(byok env)"`, on the relay. byok's own
//! directories stay the user's, so a key command byok wrote still finds the profile. The
//! user's files are never written. Doctor's other sections run first ([`super::run`]
//! orders them and asks); this module finds the tools ([`lineup`]) and runs them. The tool runs in its
//! own process group, which is ended on time-out and after the tool exits, so nothing it
//! started outlives the run. Its output is captured and masked.
//!
//! The judgement ([`judge`]) is pure: a request arrived, on a route the template expects,
//! without `/v1/v1` or a missing `/v1`, with the profile's key in the expected header and
//! the profile's model; the gateway answered 2xx; the tool exited 0 and printed something.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::engine::{self, ToolStatus};
use crate::env::Env;
use crate::error::UserError;
use crate::gateway::http::Auth;
use crate::gateway::mock::Recorded;
use crate::gateway::probe::Api;
use crate::gateway::relay::{Relay, Relayed};
use crate::gateway::report::{Check, Section, Severity};
use crate::profile::{AnthropicAuth, Gateway};
use crate::secret::ApiKey;
use crate::templates::Live;
use crate::tools::{self, Current, Tool, ToolId};

/// The prompt each tool gets.
pub const PROMPT: &str = "Reply with the single word: ok";

/// Largest output kept from one stream of a tool.
const MAX_OUTPUT: usize = 256 * 1024;

/// A tool `--live` runs, with what byok read of it.
pub struct Runnable {
    tool: &'static dyn Tool,
    live: Live,
    cur: Current,
}

/// What `--live` does: the tools it runs, and a line for each tool it can't run.
pub struct Lineup {
    /// The tools to run, in registry order.
    pub runnable: Vec<Runnable>,
    /// Why the other installed (or named) tools are not run.
    pub checks: Vec<Check>,
}

/// The tools `byok doctor --live TOOL…` names; an unknown name is a usage error.
pub fn named(env: &Env, names: &[String]) -> Result<Vec<ToolId>> {
    let registry = tools::registry(env);
    names
        .iter()
        .map(|name| {
            registry
                .tools
                .iter()
                .find(|t| t.id().as_str() == name)
                .map(|t| t.id())
                .ok_or_else(|| {
                    UserError::new(format!("unknown tool `{name}`"))
                        .hint("`byok detect` lists the tools byok knows")
                        .into()
                })
        })
        .collect()
}

/// The tools to run: installed, with a `[live]` table whose program is on PATH, and set
/// up for this gateway; `only` narrows them to the named ones.
pub fn lineup(env: &Env, gw: &Gateway, only: Option<&[ToolId]>) -> Lineup {
    let registry = tools::registry(env);
    let mut checks = Vec::new();
    let mut runnable = Vec::new();
    for tool in &registry.tools {
        let id = tool.id().as_str();
        if only.is_some_and(|o| !o.contains(&tool.id())) {
            continue;
        }
        let Ok((cur, det)) = engine::inspect(env, *tool) else {
            continue;
        };
        if !det.installed {
            if only.is_some() {
                checks.push(info(*tool, "not installed here"));
            }
            continue;
        }
        let template = tool.template();
        let Some(live) = template.and_then(|t| t.live.clone()) else {
            let why = template
                .and_then(|t| t.not_live.as_deref())
                .unwrap_or("its template has no [live] table");
            checks.push(info(*tool, &format!("not testable live: {why}")));
            continue;
        };
        if env.find_on_path(&live.command[0]).is_none() {
            checks.push(info(
                *tool,
                &format!("not testable live: `{}` is not on PATH", live.command[0]),
            ));
            continue;
        }
        match engine::status(env, *tool, Some(gw), &cur) {
            ToolStatus::Configured { .. } => runnable.push(Runnable {
                tool: *tool,
                live,
                cur,
            }),
            _ => checks.push(
                info(
                    *tool,
                    "not set up for this profile's gateway: nothing to prove",
                )
                .hint(format!("`byok setup {id}` first")),
            ),
        }
    }
    if runnable.is_empty() && checks.is_empty() {
        checks.push(Check::new(
            Section::Live,
            "live",
            "Live runs",
            Severity::Info,
            "no installed tool to run (`byok detect` lists what byok looks for)",
        ));
    }
    Lineup { runnable, checks }
}

impl Lineup {
    /// What running the lineup does, said before it starts (and asked about on a terminal).
    pub fn notice(&self, gw: &Gateway, timeout: Duration) -> String {
        let names: Vec<&str> = self.runnable.iter().map(|r| r.tool.name()).collect();
        format!(
            "byok doctor --live runs {} once each (at most {} s each), in a temporary home with copies of their settings; each run sends one small billed request to {} through a local relay",
            names.join(", "),
            timeout.as_secs_f64(),
            gw.base.root()
        )
    }

    /// The lines for a lineup that is not run, saying `why`.
    pub fn not_run(self, why: &str) -> Vec<Check> {
        let mut checks = self.checks;
        for r in &self.runnable {
            checks.push(Check::new(
                Section::Live,
                format!("live.{}", r.tool.id().as_str()),
                r.tool.name(),
                Severity::Skipped,
                format!("not run: {why}"),
            ));
        }
        checks
    }

    /// Runs each tool once through the relay and judges what it sent; `progress(i, n,
    /// name)` is called before each run.
    pub fn run(
        self,
        env: &Env,
        gw: &Gateway,
        key: &ApiKey,
        timeout: Duration,
        progress: &dyn Fn(usize, usize, &str),
    ) -> Vec<Check> {
        crate::secret::register(key.expose());
        let mut checks = self.checks;
        let n = self.runnable.len();
        for (i, r) in self.runnable.iter().enumerate() {
            progress(i, n, r.tool.name());
            let check = run_one(env, gw, key, r, timeout).unwrap_or_else(|e| {
                Check::new(
                    Section::Live,
                    format!("live.{}", r.tool.id().as_str()),
                    r.tool.name(),
                    Severity::Fail,
                    format!(
                        "could not run it: {}",
                        crate::secret::redact(&format!("{e:#}"))
                    ),
                )
            });
            checks.push(check);
        }
        checks
    }
}

fn info(tool: &dyn Tool, message: &str) -> Check {
    Check::new(
        Section::Live,
        format!("live.{}", tool.id().as_str()),
        tool.name(),
        Severity::Info,
        message,
    )
}

/// The origins a tool's files may name: the gateway's root and its two bases.
fn origins(gw: &Gateway) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for u in [
        gw.base.root(),
        gw.openai_base.as_str(),
        gw.anthropic_base.as_str(),
    ] {
        if let Ok(url) = reqwest::Url::parse(u) {
            let o = url.origin().ascii_serialization();
            if !out.contains(&o) {
                out.push(o);
            }
        }
    }
    out
}

/// What one run produced, for [`judge`].
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// What the relay saw, in order.
    pub records: Vec<Relayed>,
    /// The exit code (`None`: killed or ended by a signal).
    pub exit: Option<i32>,
    /// Ended by byok at the time-out.
    pub timed_out: bool,
    /// Something it started was still running after it exited (byok ended it).
    pub leftovers: bool,
    /// Standard output, masked.
    pub stdout: String,
    /// Standard error, masked.
    pub stderr: String,
    /// Wall time.
    pub elapsed: Duration,
}

fn run_one(
    env: &Env,
    gw: &Gateway,
    key: &ApiKey,
    r: &Runnable,
    timeout: Duration,
) -> Result<Check> {
    let (tool, live) = (r.tool, &r.live);
    let dir = tempfile::Builder::new()
        .prefix("byok-live-")
        .tempdir()
        .context("could not create a temporary directory")?;
    let home = dir.path().join("home");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&home)?;
    std::fs::create_dir_all(&work)?;

    let client = crate::gateway::client_for(env, timeout)?;
    let mut relays = Vec::new();
    for origin in origins(gw) {
        let relay = Relay::start(&origin, client.clone())?;
        relays.push((origin, relay));
    }
    let swap = |text: &str| {
        let mut t = text.to_string();
        for (origin, relay) in &relays {
            t = t.replace(origin.as_str(), &relay.origin());
        }
        t
    };

    // The tool's own files, as byok finds them, below the temporary home.
    for file in tool.inputs(env).files {
        let Ok(rel) = file.strip_prefix(&env.home) else {
            continue;
        };
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        let target = home.join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let out = match String::from_utf8(bytes) {
            Ok(text) => swap(&text).into_bytes(),
            Err(e) => e.into_bytes(),
        };
        crate::fs::write_atomic(&target, &out, crate::fs::Mode::Secret)?;
    }
    let json_escape = |p: &Path| {
        let s = serde_json::to_string(&p.display().to_string()).unwrap_or_default();
        s[1..s.len() - 1].to_string()
    };
    for (rel, text) in &live.write {
        let target = home.join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let text = text
            .replace("{cwd}", &json_escape(&work))
            .replace("{home}", &json_escape(&home));
        crate::fs::write_atomic(&target, text.as_bytes(), crate::fs::Mode::Secret)?;
    }

    // The user's environment, moved into the temporary home and onto the relay.
    let real_home = env.home.display().to_string();
    let new_home = home.display().to_string();
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in env.vars() {
        let v = match v.strip_prefix(&real_home) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') || rest.starts_with('\\') => {
                format!("{new_home}{rest}")
            }
            _ => v.clone(),
        };
        vars.insert(k.clone(), swap(&v));
    }
    // An env-driven tool (Copilot CLI) gets what `byok env` sets for it, as after
    // `eval "$(byok env)"`: byok's values win over the shell's, on the relay.
    for (name, value) in tool.exports(env, &r.cur) {
        match value {
            crate::shell::Value::Literal(v) => {
                vars.insert(name, swap(&v));
            }
            crate::shell::Value::FromVar(var) => match env.var_raw(&var) {
                Some(v) => {
                    vars.insert(name, v.to_string());
                }
                None => {
                    vars.remove(&name);
                }
            },
            crate::shell::Value::Unset => {
                vars.remove(&name);
            }
        }
    }
    // byok itself (a key helper) keeps reading the user's profile, whatever the
    // variables moved into the temporary home say.
    vars.insert(
        crate::env::BYOK_HOME.into(),
        env.var(crate::env::BYOK_HOME)
            .map_or_else(|| real_home.clone(), str::to_string),
    );
    for (var, dir) in [
        (crate::env::BYOK_CONFIG_DIR, &env.config_dir),
        (crate::env::BYOK_STATE_DIR, &env.state_dir),
        (crate::env::BYOK_DATA_DIR, &env.data_dir),
    ] {
        vars.insert(var.into(), dir.display().to_string());
    }
    vars.insert("HOME".into(), new_home.clone());
    vars.insert("USERPROFILE".into(), new_home);
    vars.insert("PWD".into(), work.display().to_string());
    for (k, v) in &live.env {
        vars.insert(k.clone(), v.clone());
    }

    let program = env
        .find_on_path(&live.command[0])
        .unwrap_or_else(|| PathBuf::from(&live.command[0]));
    let args: Vec<String> = live.command[1..]
        .iter()
        .map(|a| a.replace("{prompt}", PROMPT))
        .collect();
    let mut run = execute(&program, &args, &work, &vars, timeout)?;
    for (_, relay) in &mut relays {
        relay.stop();
        run.records.extend(relay.records());
    }
    let mask = |s: &str| crate::secret::redact(&s.replace(key.expose(), &key.masked()));
    run.stdout = mask(&run.stdout);
    run.stderr = mask(&run.stderr);
    let expect = Expect::new(env, gw, key, tool, timeout);
    Ok(judge(&expect, &run))
}

/// Runs the tool in its own process group, capturing its output, and ends the group on
/// time-out and after the tool exits.
fn execute(
    program: &Path,
    args: &[String],
    cwd: &Path,
    vars: &BTreeMap<String, String>,
    timeout: Duration,
) -> Result<Run> {
    let started = Instant::now();
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .env_clear()
        .envs(vars)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("could not start {}", program.display()))?;
    let pgid = child.id();
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(p) = pipe {
                let _ = p.take(MAX_OUTPUT as u64).read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break Some(s);
        }
        if started.elapsed() >= timeout {
            timed_out = true;
            kill_group(pgid);
            let _ = child.kill();
            break child.wait().ok();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    // Anything the tool started and left behind is in its group: end it. A helper that
    // exited with the tool may not be reaped yet, so the group gets a moment to empty.
    let grace = Instant::now();
    while !timed_out && group_alive(pgid) && grace.elapsed() < Duration::from_millis(500) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let leftovers = !timed_out && group_alive(pgid);
    kill_group(pgid);
    let gone = Instant::now();
    while group_alive(pgid) && gone.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    Ok(Run {
        records: Vec::new(),
        exit: if timed_out {
            None
        } else {
            status.and_then(|s| s.code())
        },
        timed_out,
        leftovers,
        stdout,
        stderr,
        elapsed,
    })
}

/// Sends SIGKILL to every process in the group (`kill -KILL -- -PGID`).
fn kill_group(pgid: u32) {
    if cfg!(unix) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pgid}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Whether any process of the group is still running. Zombies don't count: a helper
/// that exited after the tool is reparented, and where PID 1 does not reap (containers)
/// it stays a zombie forever. Linux reads /proc; elsewhere `kill -0 -- -PGID`.
fn group_alive(pgid: u32) -> bool {
    if !cfg!(unix) {
        return false;
    }
    if let Ok(dir) = std::fs::read_dir("/proc") {
        return dir.flatten().any(|e| {
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                return false;
            };
            // `pid (comm) state ppid pgrp …`: comm may hold spaces, so split after `)`.
            let Some((_, rest)) = stat.rsplit_once(')') else {
                return false;
            };
            let mut f = rest.split_whitespace();
            let state = f.next();
            let group = f.nth(1).and_then(|g| g.parse::<u32>().ok());
            group == Some(pgid) && state != Some("Z") && state != Some("X")
        });
    }
    Command::new("kill")
        .args(["-0", "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// What a correct run sends, from the profile and the tool's template.
#[derive(Debug, Clone)]
pub struct Expect {
    /// Tool id and display name.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The routes the tool should call, as `(api, path)` (Gemini: the path prefix).
    pub routes: Vec<(Api, String)>,
    /// The profile's key.
    pub key: ApiKey,
    /// The header the key belongs in for Anthropic routes.
    pub anthropic_auth: AnthropicAuth,
    /// Models the profile names (chat, Anthropic, small).
    pub models: Vec<String>,
    /// The user's variables, to name the one a stray key came from.
    pub vars: BTreeMap<String, String>,
    /// The time-out.
    pub timeout: Duration,
}

impl Expect {
    fn new(env: &Env, gw: &Gateway, key: &ApiKey, tool: &dyn Tool, timeout: Duration) -> Self {
        let mut apis = tool.endpoints(gw);
        apis.extend(super::extra_routes(tool.id().as_str()));
        let mut routes = Vec::new();
        for api in apis {
            if api == Api::Models {
                continue;
            }
            let url = match api {
                Api::Gemini => format!("{}/", api.url(gw)),
                _ => api.url(gw),
            };
            let path = reqwest::Url::parse(&url).map_or(url, |u| u.path().to_string());
            if !routes.iter().any(|(_, p)| p == &path) {
                routes.push((api, path));
            }
        }
        let mut models: Vec<String> = [&gw.model, &gw.anthropic_model, &gw.small_model]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        models.dedup();
        Self {
            id: tool.id().as_str().to_string(),
            name: tool.name().to_string(),
            routes,
            key: key.clone(),
            anthropic_auth: gw.anthropic_auth,
            models,
            vars: env.vars().clone(),
            timeout,
        }
    }

    fn matches(&self, path: &str) -> Option<Api> {
        self.routes.iter().find_map(|(api, p)| {
            let hit = if *api == Api::Gemini {
                path.starts_with(p.as_str())
            } else {
                path == p
            };
            hit.then_some(*api)
        })
    }

    fn header_for(&self, api: Api) -> Auth {
        match api {
            Api::Gemini => Auth::GoogApiKey,
            a if a.is_anthropic() => match self.anthropic_auth {
                AnthropicAuth::Bearer => Auth::Bearer,
                AnthropicAuth::XApiKey => Auth::XApiKey,
            },
            _ => Auth::Bearer,
        }
    }
}

fn path_only(r: &Recorded) -> &str {
    r.path.split('?').next().unwrap_or(&r.path)
}

/// The keys a request carries, by header.
fn keys_sent(r: &Recorded) -> Vec<(Auth, String)> {
    let mut out = Vec::new();
    if let Some(v) = r.header("authorization") {
        let k = v.strip_prefix("Bearer ").unwrap_or(v);
        out.push((Auth::Bearer, k.trim().to_string()));
    }
    if let Some(v) = r.header("x-api-key") {
        out.push((Auth::XApiKey, v.trim().to_string()));
    }
    if let Some(v) = r.header("x-goog-api-key") {
        out.push((Auth::GoogApiKey, v.trim().to_string()));
    }
    out
}

fn header_style(a: Auth) -> &'static str {
    match a {
        Auth::Bearer => "bearer",
        Auth::XApiKey => "x-api-key",
        Auth::GoogApiKey => "x-goog-api-key",
    }
}

fn model_sent(r: &Recorded, api: Api) -> Option<String> {
    if api == Api::Gemini {
        let p = path_only(r);
        return p
            .rsplit_once("/models/")
            .and_then(|(_, m)| m.rsplit_once(':'))
            .map(|(m, _)| m.to_string());
    }
    r.json()["model"].as_str().map(str::to_string)
}

fn last_lines(s: &str) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(3)..].join(" | ");
    crate::gateway::sanitize(&tail, 200)
}

/// Judges one run; pure.
pub fn judge(e: &Expect, run: &Run) -> Check {
    let secs = (run.elapsed.as_secs_f64() * 10.0).round() / 10.0;
    let mut details: Vec<(&str, Value)> = vec![
        ("seconds", json!(secs)),
        ("exit_code", json!(run.exit)),
        ("requests", json!(run.records.len())),
        ("timed_out", json!(run.timed_out)),
        ("left_running", json!(run.leftovers)),
    ];
    let expected: Vec<&str> = e.routes.iter().map(|(_, p)| p.as_str()).collect();
    let expected_text = if expected.is_empty() {
        "-".to_string()
    } else {
        expected.join(" or ")
    };
    let output = || {
        let o = last_lines(&run.stdout);
        let o = if o.is_empty() {
            last_lines(&run.stderr)
        } else {
            o
        };
        if o.is_empty() {
            "it printed nothing".to_string()
        } else {
            format!("it printed: \"{o}\"")
        }
    };
    let mut finish = |severity: Severity,
                      message: String,
                      hint: Option<String>,
                      d: Vec<(&'static str, Value)>| {
        details.extend(d);
        let mut c = Check::new(
            Section::Live,
            format!("live.{}", e.id),
            e.name.clone(),
            severity,
            message,
        )
        .hint_opt(hint);
        for (k, v) in details.drain(..) {
            c = c.detail(k, v);
        }
        c.took(run.elapsed)
    };
    let run_it =
        "run it yourself to see, or `byok doctor` for what overrides byok's settings for it"
            .to_string();

    if run.records.is_empty() {
        let why = if run.timed_out {
            format!(
                "did not finish within {} s and sent no request: byok ended it",
                e.timeout.as_secs_f64()
            )
        } else {
            format!(
                "sent no request to the gateway (exit {}); {}",
                run.exit.map_or("-".to_string(), |c| c.to_string()),
                output()
            )
        };
        return finish(
            Severity::Fail,
            format!("{} {why}", e.name),
            Some(format!(
                "it may use other settings than byok's (a project file, a shell variable, a login) or wait for input: {run_it}; `byok setup {}` rewrites its files",
                e.id
            )),
            Vec::new(),
        );
    }

    let main = run
        .records
        .iter()
        .find_map(|r| e.matches(path_only(&r.request)).map(|api| (r, api)));
    let Some((rec, api)) = main else {
        let sent: Vec<String> = run
            .records
            .iter()
            .map(|r| format!("{} {}", r.request.method, path_only(&r.request)))
            .collect();
        let d = vec![("route", json!(sent[0].clone()))];
        if let Some(r) = run.records.iter().find(|r| {
            path_only(&r.request)
                .to_ascii_lowercase()
                .contains("/v1/v1")
        }) {
            return finish(
                Severity::Fail,
                format!(
                    "{} sent {} {}: /v1 twice (expected {expected_text})",
                    e.name,
                    r.request.method,
                    path_only(&r.request)
                ),
                Some(format!(
                    "the tool adds /v1 itself: give it the base without /v1 (`byok init --url` with the gateway's root), then `byok setup {}`",
                    e.id
                )),
                d,
            );
        }
        if let Some(r) = run.records.iter().find(|r| {
            let p = path_only(&r.request);
            expected
                .iter()
                .any(|x| x.replacen("/v1/", "/", 1) == p && x.contains("/v1/"))
        }) {
            return finish(
                Severity::Fail,
                format!(
                    "{} sent {} {}: /v1 missing (expected {expected_text})",
                    e.name,
                    r.request.method,
                    path_only(&r.request)
                ),
                Some(format!(
                    "its base URL must end in /v1: `byok setup {}` writes it so",
                    e.id
                )),
                d,
            );
        }
        return finish(
            Severity::Fail,
            format!("{} sent {}, not {expected_text}", e.name, sent.join(", ")),
            Some(format!(
                "it speaks another API than byok set up: {run_it}; `byok setup {}` rewrites its files",
                e.id
            )),
            d,
        );
    };

    let route = format!("{} {}", rec.request.method, path_only(&rec.request));
    let want = e.header_for(api);
    let sent = keys_sent(&rec.request);
    let style = sent.first().map(|(a, _)| header_style(*a));
    let model = model_sent(&rec.request, api);
    let mut d = vec![
        ("route", json!(route)),
        ("header", json!(style)),
        ("model", json!(model)),
        ("status", json!(rec.status)),
    ];
    let mine = e.key.expose();
    if let Some((a, _)) = sent.iter().find(|(_, k)| k == mine) {
        if *a != want {
            let hint = match api {
                a2 if a2.is_anthropic() => format!(
                    "if the gateway takes it there, `byok init --anthropic-auth {}` (with your other settings), then `byok setup {}`; else `byok setup {}` rewrites the tool's files",
                    if *a == Auth::XApiKey {
                        "x-api-key"
                    } else {
                        "bearer"
                    },
                    e.id,
                    e.id
                ),
                _ => format!("`byok setup {}` rewrites the tool's files", e.id),
            };
            return finish(
                Severity::Fail,
                format!(
                    "{} sent the key in `{}`, not `{}` ({route})",
                    e.name,
                    a.header(),
                    want.header()
                ),
                Some(hint),
                std::mem::take(&mut d),
            );
        }
    } else if let Some((a, other)) = sent.first() {
        let masked = ApiKey::new(other.clone()).masked();
        let from = e
            .vars
            .iter()
            .find(|(_, v)| v.trim() == other)
            .map(|(k, _)| k.clone());
        let (message, hint) = match from {
            Some(var) => (
                format!(
                    "{} sent a key from the shell's {var} ({masked} in `{}`), not the profile's {}",
                    e.name,
                    a.header(),
                    e.key.masked()
                ),
                format!(
                    "unset {var} here and remove it from your start-up files (`byok env --install` exports the profile's), or give it the profile's key"
                ),
            ),
            None => (
                format!(
                    "{} sent another key ({masked} in `{}`), not the profile's {}",
                    e.name,
                    a.header(),
                    e.key.masked()
                ),
                format!(
                    "`byok setup {}` writes the profile's key; `byok doctor` names what overrides it",
                    e.id
                ),
            ),
        };
        return finish(Severity::Fail, message, Some(hint), std::mem::take(&mut d));
    } else {
        return finish(
            Severity::Fail,
            format!("{} sent no key ({route})", e.name),
            Some(format!("`byok setup {}` writes the profile's key", e.id)),
            std::mem::take(&mut d),
        );
    }
    match &model {
        Some(m) if e.models.iter().any(|x| x == m) => {}
        other => {
            return finish(
                Severity::Fail,
                format!(
                    "{} asked for model {}, not the profile's {}",
                    e.name,
                    other
                        .as_deref()
                        .map_or("(none)".to_string(), |m| format!("`{m}`")),
                    e.models.join(" or ")
                ),
                Some(format!(
                    "`byok setup {}` writes the profile's model; a project file or flag may choose another",
                    e.id
                )),
                std::mem::take(&mut d),
            );
        }
    }
    match (rec.status, &rec.error) {
        (Some(s), _) if (200..300).contains(&s) => {}
        (Some(s), _) => {
            return finish(
                Severity::Fail,
                format!(
                    "{} sent {route} as expected, and the gateway answered {s}",
                    e.name
                ),
                Some("`byok doctor` diagnoses the gateway's answer".into()),
                std::mem::take(&mut d),
            );
        }
        (None, err) => {
            return finish(
                Severity::Fail,
                format!(
                    "{} sent {route} as expected, but the gateway could not be reached: {}",
                    e.name,
                    err.as_deref().unwrap_or("-")
                ),
                Some("`byok doctor` checks reachability".into()),
                std::mem::take(&mut d),
            );
        }
    }
    let summary = format!(
        "{route}, `{}` {}, model {}, {}",
        want.header(),
        e.key.masked(),
        model.as_deref().unwrap_or("-"),
        rec.status.unwrap_or(0)
    );
    if run.timed_out {
        return finish(
            Severity::Fail,
            format!(
                "{summary}; but it did not finish within {} s: byok ended it",
                e.timeout.as_secs_f64()
            ),
            Some(format!(
                "it may wait for input or retry: {run_it}; or allow more time with --timeout"
            )),
            std::mem::take(&mut d),
        );
    }
    if run.exit != Some(0) {
        return finish(
            Severity::Fail,
            format!(
                "{summary}; but it exited {} and {}",
                run.exit
                    .map_or("by a signal".to_string(), |c| c.to_string()),
                output()
            ),
            Some(run_it),
            std::mem::take(&mut d),
        );
    }
    if run.stdout.trim().is_empty() {
        return finish(
            Severity::Fail,
            format!("{summary}; but it exited 0 without printing an answer"),
            Some(run_it),
            std::mem::take(&mut d),
        );
    }
    let answer = crate::gateway::sanitize(run.stdout.trim(), 40);
    if run.leftovers {
        return finish(
            Severity::Warn,
            format!(
                "{summary}; printed \"{answer}\", but left a process running, which byok ended"
            ),
            Some("harmless here; if it lingers after your own runs too, report it to the tool's authors".into()),
            std::mem::take(&mut d),
        );
    }
    finish(
        Severity::Ok,
        format!("{summary}; printed \"{answer}\""),
        None,
        std::mem::take(&mut d),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(routes: &[(Api, &str)]) -> Expect {
        Expect {
            id: "t".into(),
            name: "Tool".into(),
            routes: routes.iter().map(|(a, p)| (*a, (*p).to_string())).collect(),
            key: ApiKey::new("sk-unit-0123456789"),
            anthropic_auth: AnthropicAuth::Bearer,
            models: vec!["gpt-4o".into(), "claude-sonnet-4-5".into()],
            vars: BTreeMap::new(),
            timeout: Duration::from_secs(60),
        }
    }

    fn run(path: &str, headers: &[(&str, &str)], body: &str, status: u16) -> Run {
        Run {
            records: vec![Relayed {
                request: Recorded {
                    method: "POST".into(),
                    path: path.into(),
                    headers: headers
                        .iter()
                        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                        .collect(),
                    body: body.into(),
                },
                status: Some(status),
                error: None,
                elapsed: Duration::from_millis(5),
            }],
            exit: Some(0),
            stdout: "ok\n".into(),
            ..Run::default()
        }
    }

    #[test]
    fn findings_are_named() {
        let e = expect(&[(Api::Chat, "/v1/chat/completions")]);
        let bearer = [("authorization", "Bearer sk-unit-0123456789")];
        let good = r#"{"model":"gpt-4o"}"#;
        let c = judge(&e, &run("/chat/completions", &bearer, good, 404));
        assert_eq!(
            c.message,
            "Tool sent POST /chat/completions: /v1 missing (expected /v1/chat/completions)"
        );
        let c = judge(
            &e,
            &run("/v1/chat/completions", &bearer, r#"{"model":"gpt-5"}"#, 200),
        );
        assert_eq!(
            c.message,
            "Tool asked for model `gpt-5`, not the profile's gpt-4o or claude-sonnet-4-5"
        );
        let c = judge(&e, &run("/v1/chat/completions", &bearer, good, 502));
        assert_eq!(
            c.message,
            "Tool sent POST /v1/chat/completions as expected, and the gateway answered 502"
        );
        let c = judge(&e, &run("/v1/chat/completions", &[], good, 401));
        assert_eq!(c.message, "Tool sent no key (POST /v1/chat/completions)");
        let mut silent = run("/v1/chat/completions", &bearer, good, 200);
        silent.stdout = String::new();
        assert_eq!(
            judge(&e, &silent).message,
            "POST /v1/chat/completions, `Authorization: Bearer` sk-…6789, model gpt-4o, 200; but it exited 0 without printing an answer"
        );

        let e = expect(&[(Api::Messages, "/v1/messages")]);
        let c = judge(
            &e,
            &run(
                "/v1/messages?beta=true",
                &[("x-api-key", "sk-unit-0123456789")],
                r#"{"model":"claude-sonnet-4-5"}"#,
                200,
            ),
        );
        assert_eq!(c.severity, Severity::Fail);
        assert_eq!(
            c.message,
            "Tool sent the key in `x-api-key`, not `Authorization: Bearer` (POST /v1/messages)"
        );
        assert!(
            c.hint.unwrap().starts_with(
                "if the gateway takes it there, `byok init --anthropic-auth x-api-key`"
            )
        );
    }

    #[test]
    fn gemini_routes_carry_the_model_in_the_path() {
        let e = expect(&[(Api::Gemini, "/v1beta/models/")]);
        let c = judge(
            &e,
            &run(
                "/v1beta/models/gpt-4o:streamGenerateContent?alt=sse",
                &[("x-goog-api-key", "sk-unit-0123456789")],
                "{}",
                200,
            ),
        );
        assert_eq!(c.severity, Severity::Ok, "{}", c.message);
        assert_eq!(
            c.details.get("route").and_then(Value::as_str),
            Some("POST /v1beta/models/gpt-4o:streamGenerateContent")
        );
    }
}
