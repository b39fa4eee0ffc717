//! Doctor results: [`Check`], its [`Severity`] and [`Section`], the text and JSON
//! renderings, and the exit decision.
//!
//! Rendering is pure: it takes the checks and returns text, so the command only decides
//! where to print. Every string goes through [`crate::secret::redact`] and has the home
//! directory replaced by `~`, because people paste doctor output into issues.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Map, Value, json};

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Works.
    Ok,
    /// Worth knowing; nothing to fix.
    Info,
    /// Works, but something may surprise the user (or a check nobody relies on failed).
    Warn,
    /// Does not work as configured.
    Fail,
    /// Not run (`--quick`, no model configured, an earlier step failed).
    Skipped,
}

impl Severity {
    /// The stable JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Fail => "fail",
            Self::Skipped => "skipped",
        }
    }

    /// The one-character marker in the text report.
    pub fn marker(self) -> &'static str {
        match self {
            Self::Ok => "✓",
            Self::Info => "·",
            Self::Warn => "!",
            Self::Fail => "✗",
            Self::Skipped => "-",
        }
    }

    fn colour(self) -> &'static str {
        match self {
            Self::Ok => "\x1b[32m",
            Self::Info | Self::Skipped => "\x1b[2m",
            Self::Warn => "\x1b[33m",
            Self::Fail => "\x1b[31m",
        }
    }
}

/// The report's sections, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    /// The profile: URL shape, key, models, proxies.
    Configuration,
    /// DNS, TCP, TLS.
    Reachability,
    /// The gateway's API endpoints.
    Gateway,
    /// Each detected tool's settings.
    Tools,
    /// Variables in this shell and start-up files.
    Shell,
    /// `--live`: each tool run once through byok's recording relay.
    Live,
}

impl Section {
    /// The stable JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Configuration => "configuration",
            Self::Reachability => "reachability",
            Self::Gateway => "gateway",
            Self::Tools => "tools",
            Self::Shell => "shell",
            Self::Live => "live",
        }
    }

    /// The heading in the text report.
    pub fn title(self) -> &'static str {
        match self {
            Self::Configuration => "Configuration",
            Self::Reachability => "Reachability",
            Self::Gateway => "Gateway API",
            Self::Tools => "Tools",
            Self::Shell => "Shell",
            Self::Live => "Live runs",
        }
    }

    const ALL: [Self; 6] = [
        Self::Configuration,
        Self::Reachability,
        Self::Gateway,
        Self::Tools,
        Self::Shell,
        Self::Live,
    ];
}

/// Which part of the text report [`Report::render_part`] renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Everything.
    Whole,
    /// The first line and the sections before this one.
    Before(Section),
    /// This section and those after it, and the verdict.
    From(Section),
}

/// One result line.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Where it is shown.
    pub section: Section,
    /// Stable identifier (`chat_stream`, `tool.claude-code`), for JSON and tests.
    pub id: String,
    /// Short human label (`POST /v1/chat/completions (stream)`).
    pub name: String,
    /// How it ended.
    pub severity: Severity,
    /// What was found, one line.
    pub message: String,
    /// The next step, for failures and warnings.
    pub hint: Option<String>,
    /// Whether a configured tool (or the profile itself) depends on it: only a failed
    /// required check makes doctor exit 1.
    pub required: bool,
    /// How long it took, for timed checks.
    pub duration: Option<Duration>,
    /// Machine-readable facts (status code, URL, time to first token, models...).
    pub details: Map<String, Value>,
}

impl Check {
    /// A check with the given outcome; required by default.
    pub fn new(
        section: Section,
        id: impl Into<String>,
        name: impl Into<String>,
        severity: Severity,
        message: impl Into<String>,
    ) -> Self {
        Self {
            section,
            id: id.into(),
            name: name.into(),
            severity,
            message: message.into(),
            hint: None,
            required: true,
            duration: None,
            details: Map::new(),
        }
    }

    /// Adds the next step.
    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a hint when there is one.
    #[must_use]
    pub fn hint_opt(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    /// Records the time taken.
    #[must_use]
    pub fn took(mut self, d: Duration) -> Self {
        self.duration = Some(d);
        self
    }

    /// Adds a machine-readable fact.
    #[must_use]
    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_string(), value.into());
        self
    }

    /// Sets whether a failure counts for the exit code.
    #[must_use]
    pub fn required(mut self, required: bool) -> Self {
        self.required = required;
        self
    }

    /// A failure that nothing configured relies on is shown as a warning instead.
    #[must_use]
    pub fn settle(mut self) -> Self {
        if self.severity == Severity::Fail && !self.required {
            self.severity = Severity::Warn;
            self.message.push_str(" (no configured tool uses this)");
        }
        self
    }

    /// True when this check makes doctor exit 1.
    pub fn is_blocking(&self) -> bool {
        self.severity == Severity::Fail && self.required
    }
}

/// The whole doctor run.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Profile name.
    pub profile: String,
    /// Masked facts about the gateway under test (url, key, ...).
    pub gateway: Map<String, Value>,
    /// Whether `--quick` limited the probes.
    pub quick: bool,
    /// Every check, in run order (rendering groups them by section).
    pub checks: Vec<Check>,
    /// Wall time of the whole run.
    pub elapsed: Duration,
    /// The user said no to `doctor --live`'s runs: nothing failed, but nothing was
    /// proven either, so the run exits 1 and the verdict says why.
    pub declined: bool,
}

/// Counts per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Passed.
    pub ok: usize,
    /// Informational.
    pub info: usize,
    /// Warnings.
    pub warn: usize,
    /// Failures (required or not).
    pub fail: usize,
    /// Not run.
    pub skipped: usize,
    /// Failures of required checks.
    pub blocking: usize,
}

impl Report {
    /// Counts the checks.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.checks {
            match c.severity {
                Severity::Ok => s.ok += 1,
                Severity::Info => s.info += 1,
                Severity::Warn => s.warn += 1,
                Severity::Fail => s.fail += 1,
                Severity::Skipped => s.skipped += 1,
            }
            if c.is_blocking() {
                s.blocking += 1;
            }
        }
        s
    }

    /// Exit 0 when every required check passed (and no asked-for run was declined), else 1.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.summary().blocking > 0 || self.declined)
    }

    /// The readable report. `colour` adds ANSI colours; `home` is replaced by `~`.
    pub fn render_text(&self, colour: bool, home: &str) -> String {
        self.render_part(colour, home, Part::Whole)
    }

    /// One part of the readable report: `Before(s)` then `From(s)` read as the whole, so
    /// `doctor --live` can show what it found before it asks to run the tools.
    pub fn render_part(&self, colour: bool, home: &str, part: Part) -> String {
        let paint = |sev: Severity, s: &str| {
            if colour {
                format!("{}{s}\x1b[0m", sev.colour())
            } else {
                s.to_string()
            }
        };
        let bold = |s: &str| {
            if colour {
                format!("\x1b[1m{s}\x1b[0m")
            } else {
                s.to_string()
            }
        };
        let mut out = String::new();
        let shown = |s: Section| match part {
            Part::Whole => true,
            Part::Before(at) => s < at,
            Part::From(at) => s >= at,
        };
        let head = !matches!(part, Part::From(_));
        let verdict = !matches!(part, Part::Before(_));
        let url = self
            .gateway
            .get("url")
            .and_then(Value::as_str)
            .unwrap_or("");
        let key = self
            .gateway
            .get("key")
            .and_then(Value::as_str)
            .unwrap_or("-");
        if head {
            let _ = writeln!(
                out,
                "byok doctor: profile `{}`, gateway {url}, key {key}{}",
                self.profile,
                if self.quick { " (--quick)" } else { "" }
            );
        }
        for section in Section::ALL.into_iter().filter(|s| shown(*s)) {
            let checks: Vec<&Check> = self
                .checks
                .iter()
                .filter(|c| c.section == section)
                .collect();
            if checks.is_empty() {
                continue;
            }
            let width = checks
                .iter()
                .map(|c| c.name.chars().count())
                .max()
                .unwrap_or(0);
            let _ = writeln!(out, "\n{}", bold(section.title()));
            let mut last_hint: Option<&str> = None;
            for c in checks {
                let pad = " ".repeat(width - c.name.chars().count());
                let time = match c.duration {
                    Some(d) if c.severity != Severity::Skipped => format!(" ({})", ms(d)),
                    _ => String::new(),
                };
                let _ = writeln!(
                    out,
                    "  {} {}{pad}  {}{time}",
                    paint(c.severity, c.severity.marker()),
                    c.name,
                    c.message
                );
                if let Some(h) = &c.hint
                    && matches!(c.severity, Severity::Fail | Severity::Warn)
                {
                    // Eight probes failing for one reason need the fix spelled out once.
                    let text = if last_hint == Some(h.as_str()) {
                        "as above"
                    } else {
                        h.as_str()
                    };
                    let _ = writeln!(out, "    {} {text}", paint(c.severity, "hint:"));
                    last_hint = Some(h);
                }
            }
        }
        if !verdict {
            return scrub(&out, home);
        }
        let s = self.summary();
        let mut parts = vec![format!("{} ok", s.ok)];
        if s.warn > 0 {
            parts.push(format!("{} warning{}", s.warn, plural(s.warn)));
        }
        if s.fail > 0 {
            parts.push(format!("{} failed", s.fail));
        }
        if s.skipped > 0 {
            parts.push(format!("{} skipped", s.skipped));
        }
        if s.info > 0 {
            parts.push(format!("{} info", s.info));
        }
        let verdict = if s.blocking > 0 {
            paint(
                Severity::Fail,
                &format!("{} required check{} failed", s.blocking, plural(s.blocking)),
            )
        } else if self.declined {
            paint(
                Severity::Warn,
                "the other checks passed, but the live runs were not started (you said no)",
            )
        } else {
            paint(Severity::Ok, "all required checks passed")
        };
        let _ = writeln!(
            out,
            "\n{verdict}: {} in {:.1} s",
            parts.join(", "),
            self.elapsed.as_secs_f64()
        );
        scrub(&out, home)
    }

    /// The JSON document (`--json`): the same results with stable field names.
    pub fn to_json(&self, home: &str) -> Value {
        let s = self.summary();
        let checks: Vec<Value> = self
            .checks
            .iter()
            .map(|c| {
                json!({
                    "section": c.section.as_str(),
                    "id": c.id,
                    "name": c.name,
                    "severity": c.severity.as_str(),
                    "required": c.required,
                    "message": c.message,
                    "hint": c.hint,
                    "duration_ms": c.duration.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                    "details": c.details,
                })
            })
            .collect();
        let doc = json!({
            "profile": self.profile,
            "gateway": self.gateway,
            "quick": self.quick,
            "checks": checks,
            "summary": {
                "ok": s.ok,
                "info": s.info,
                "warn": s.warn,
                "fail": s.fail,
                "skipped": s.skipped,
                "required_failed": s.blocking,
                "duration_ms": u64::try_from(self.elapsed.as_millis()).unwrap_or(u64::MAX),
            },
            "exit_code": self.exit_code(),
        });
        // Scrub every string, wherever it sits.
        scrub_value(doc, home)
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `12 ms` or `1.3 s`.
pub fn ms(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Masks keys and replaces the home directory with `~`.
pub fn scrub(text: &str, home: &str) -> String {
    let text = crate::secret::redact(text);
    // A home of `/` (or empty) would mangle every path.
    if home.len() > 1 {
        text.replace(home, "~")
    } else {
        text
    }
}

fn scrub_value(v: Value, home: &str) -> Value {
    match v {
        Value::String(s) => Value::String(scrub(&s, home)),
        Value::Array(a) => Value::Array(a.into_iter().map(|v| scrub_value(v, home)).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (k, scrub_value(v, home)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(checks: Vec<Check>) -> Report {
        let mut gateway = Map::new();
        gateway.insert("url".into(), json!("https://gw.example"));
        gateway.insert("key".into(), json!("sk-…cdef"));
        Report {
            profile: "work".into(),
            gateway,
            quick: false,
            checks,
            elapsed: Duration::from_millis(420),
            declined: false,
        }
    }

    #[test]
    fn the_parts_before_and_from_a_section_read_as_the_whole() {
        let r = report(vec![
            Check::new(Section::Tools, "tool.x", "X", Severity::Ok, "set up"),
            Check::new(Section::Live, "live.x", "X", Severity::Ok, "ran"),
            Check::new(Section::Configuration, "url", "URL", Severity::Ok, "fine"),
        ]);
        let before = r.render_part(false, "/h", Part::Before(Section::Live));
        let from = r.render_part(false, "/h", Part::From(Section::Live));
        assert_eq!(
            before,
            "byok doctor: profile `work`, gateway https://gw.example, key sk-…cdef\n\nConfiguration\n  ✓ URL  fine\n\nTools\n  ✓ X  set up\n"
        );
        assert_eq!(
            from,
            "\nLive runs\n  ✓ X  ran\n\nall required checks passed: 3 ok in 0.4 s\n"
        );
        assert_eq!(before + &from, r.render_text(false, "/h"));
    }

    #[test]
    fn text_groups_by_section_with_hints_and_summary() {
        let r = report(vec![
            Check::new(
                Section::Gateway,
                "chat",
                "POST /v1/chat/completions",
                Severity::Fail,
                "401 Unauthorized",
            )
            .hint("check the key")
            .took(Duration::from_millis(12)),
            Check::new(
                Section::Configuration,
                "url",
                "Gateway URL",
                Severity::Ok,
                "https://gw.example",
            ),
            Check::new(
                Section::Gateway,
                "responses",
                "POST /v1/responses",
                Severity::Fail,
                "404 Not Found",
            )
            .hint("not used")
            .required(false)
            .settle(),
            Check::new(
                Section::Shell,
                "startup",
                "Start-up files",
                Severity::Info,
                "/home/u/.bashrc loads byok",
            ),
        ]);
        assert_eq!(
            r.render_text(false, "/home/u"),
            "byok doctor: profile `work`, gateway https://gw.example, key sk-…cdef

Configuration
  ✓ Gateway URL  https://gw.example

Gateway API
  ✗ POST /v1/chat/completions  401 Unauthorized (12 ms)
    hint: check the key
  ! POST /v1/responses         404 Not Found (no configured tool uses this)
    hint: not used

Shell
  · Start-up files  ~/.bashrc loads byok

1 required check failed: 1 ok, 1 warning, 1 failed, 1 info in 0.4 s
"
        );
        assert_eq!(r.exit_code(), 1);
    }

    #[test]
    fn json_has_stable_fields() {
        let r = report(vec![
            Check::new(
                Section::Gateway,
                "models",
                "GET /v1/models",
                Severity::Ok,
                "4 models",
            )
            .detail("count", 4)
            .took(Duration::from_millis(3)),
        ]);
        let v = r.to_json("/home/u");
        assert_eq!(
            v,
            json!({
                "profile": "work",
                "gateway": {"url": "https://gw.example", "key": "sk-…cdef"},
                "quick": false,
                "checks": [{
                    "section": "gateway", "id": "models", "name": "GET /v1/models",
                    "severity": "ok", "required": true, "message": "4 models", "hint": null,
                    "duration_ms": 3, "details": {"count": 4}
                }],
                "summary": {"ok": 1, "info": 0, "warn": 0, "fail": 0, "skipped": 0,
                            "required_failed": 0, "duration_ms": 420},
                "exit_code": 0
            })
        );
    }

    #[test]
    fn colours_only_when_asked() {
        let r = report(vec![Check::new(
            Section::Gateway,
            "x",
            "X",
            Severity::Ok,
            "fine",
        )]);
        assert!(!r.render_text(false, "/h").contains('\x1b'));
        assert!(r.render_text(true, "/h").contains("\x1b[32m✓\x1b[0m"));
    }
}
