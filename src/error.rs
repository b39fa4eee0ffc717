//! Exit statuses and the one typed error `main` tells apart from others.
//!
//! Commands return `anyhow::Result<ExitStatus>`; an error that should reach the user
//! with a hint is a [`UserError`]. `main` downcasts, prints and picks the exit code.
//! Everything printed as an error, clap's own included, goes through [`sanitize`].

use std::fmt;
use std::process::ExitCode;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Success, or nothing to do.
    Success,
    /// A check failed or the user declined.
    Failure,
    /// Usage, configuration or runtime error.
    Error,
    /// A program byok ran ended with this code (`byok run` passes the tool's on).
    Code(u8),
}

impl ExitStatus {
    /// The process exit code: 0, 1, 2, or the code a program byok ran ended with.
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Failure => 1,
            Self::Error => 2,
            Self::Code(c) => c,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> Self {
        Self::from(s.code())
    }
}

/// An error with a next step for the user.
#[derive(Debug, Clone)]
pub struct UserError {
    /// What went wrong, lowercase, naming the file or key.
    pub message: String,
    /// What to do next.
    pub hint: Option<String>,
    /// The exit status to end with.
    pub status: ExitStatus,
}

impl UserError {
    /// A usage or configuration error (exit 2).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
            status: ExitStatus::Error,
        }
    }

    /// Adds the next step.
    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Ends with exit 1 (a failed check or a declined prompt) instead of 2.
    #[must_use]
    pub fn failure(mut self) -> Self {
        self.status = ExitStatus::Failure;
        self
    }
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UserError {}

/// True when the error is a broken pipe on stdout (`byok env | head`): a quiet exit 0.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Renders an error the way `main` prints it, with causes and the hint.
pub fn render(err: &anyhow::Error) -> (String, ExitStatus) {
    let mut text = String::new();
    let (message, hint, status) = match err.downcast_ref::<UserError>() {
        Some(u) => (u.message.clone(), u.hint.clone(), u.status),
        None => (format!("{err:#}"), None, ExitStatus::Error),
    };
    text.push_str("byok: error: ");
    text.push_str(&message);
    text.push('\n');
    if let Some(h) = hint {
        text.push_str("hint: ");
        text.push_str(&h);
        text.push('\n');
    }
    (sanitize(&text), status)
}

/// Masks what an error may echo: every registered key in any form, then words that look
/// like keys (a key pasted where a tool, profile or URL belongs is not registered).
pub fn sanitize(text: &str) -> String {
    crate::secret::mask_lookalikes(&crate::secret::redact(text))
}
