//! Terminal prompts: the one place that decides how byok asks, so every command's
//! questions look alike and honour the user's terminal settings.
//!
//! Three looks, chosen from the environment snapshot (never `std::env`):
//! - `TERM=dumb` ([`Look::Dumb`]): no escape codes at all. dialoguer always moves the
//!   cursor and clears lines (`\r\x1b[2K`, `\x1b[?25l`), which a dumb terminal (Emacs
//!   `M-x shell`, some CI log viewers) prints as garbage, so these prompts are plain
//!   lines: the question on stderr, the answer read from stdin in cooked mode, a menu
//!   as a numbered list. Hidden input only switches terminal echo off (termios).
//! - `NO_COLOR` (any non-empty value, <https://no-color.org>) or `CLICOLOR=0`
//!   ([`Look::Plain`]): dialoguer with its colourless `SimpleTheme`.
//! - otherwise ([`Look::Colour`]): dialoguer's `ColorfulTheme`.
//!
//! Callers must only prompt when `Ctx::interactive` is set; these functions assume a
//! terminal and fail (rather than hang) when input ends.

use std::io::{self, BufRead, Write};

use anyhow::{Result, bail};
use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use dialoguer::{Confirm, FuzzySelect, Input, MultiSelect, Password, Select};

use crate::env::Env;

/// How prompts are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// dialoguer's colourful theme.
    Colour,
    /// dialoguer without colour (`NO_COLOR`, `CLICOLOR=0`).
    Plain,
    /// Plain lines without any escape code (`TERM=dumb`).
    Dumb,
}

impl Look {
    /// Picks the look from the environment snapshot.
    pub fn from_env(env: &Env) -> Self {
        if env.var("TERM") == Some("dumb") {
            Self::Dumb
        } else if env.var("NO_COLOR").is_some() || env.var("CLICOLOR") == Some("0") {
            Self::Plain
        } else {
            Self::Colour
        }
    }

    fn theme(self) -> Box<dyn Theme> {
        match self {
            Self::Colour => Box::new(ColorfulTheme::default()),
            Self::Plain | Self::Dumb => Box::new(SimpleTheme),
        }
    }
}

/// Asks a yes/no question.
pub fn confirm(env: &Env, prompt: &str, default: bool) -> Result<bool> {
    let look = Look::from_env(env);
    if look == Look::Dumb {
        let hint = if default { "[Y/n]" } else { "[y/N]" };
        loop {
            let answer = ask_line(&format!("{prompt} {hint} "))?;
            match parse_yes_no(&answer, default) {
                Some(b) => return Ok(b),
                None => say("please answer y or n")?,
            }
        }
    }
    Ok(Confirm::with_theme(&*look.theme())
        .with_prompt(prompt)
        .default(default)
        .interact()?)
}

/// Asks for a line of text until `check` accepts it, saying why it didn't: `default` is
/// taken on an empty answer (`Some("")` allows an empty answer without showing one).
pub fn input_checked(
    env: &Env,
    prompt: &str,
    default: Option<&str>,
    check: &dyn Fn(&str) -> std::result::Result<(), String>,
) -> Result<String> {
    let look = Look::from_env(env);
    if look == Look::Dumb {
        let shown = match default {
            Some(d) if !d.is_empty() => format!("{prompt} [{d}]: "),
            _ => format!("{prompt}: "),
        };
        loop {
            let answer = ask_line(&shown)?;
            let answer = match (answer.trim(), default) {
                ("", Some(d)) => d.to_string(),
                ("", None) => continue,
                (a, _) => a.to_string(),
            };
            match check(&answer) {
                Ok(()) => return Ok(answer),
                Err(why) => say(&why)?,
            }
        }
    }
    let theme = look.theme();
    let mut q = Input::<String>::with_theme(&*theme)
        .with_prompt(prompt)
        .validate_with(|s: &String| check(s.trim()));
    if let Some(d) = default {
        q = q
            .default(d.to_string())
            .show_default(!d.is_empty())
            .allow_empty(d.is_empty());
    }
    Ok(q.interact_text()?.trim().to_string())
}

/// Asks for a secret without echoing it; an empty answer is returned as is.
pub fn password(env: &Env, prompt: &str) -> Result<String> {
    let look = Look::from_env(env);
    if look == Look::Dumb {
        write_prompt(&format!("{prompt}: "))?;
        // Only switches echo off (termios); prints no escape code.
        return Ok(dialoguer::console::Term::stderr().read_secure_line()?);
    }
    Ok(Password::with_theme(&*look.theme())
        .with_prompt(prompt)
        .allow_empty_password(true)
        .interact()?)
}

/// Asks to pick one of `items`; returns its index.
pub fn select(env: &Env, prompt: &str, items: &[&str], default: usize) -> Result<usize> {
    let look = Look::from_env(env);
    if look == Look::Dumb {
        return numbered(prompt, items, default);
    }
    Ok(Select::with_theme(&*look.theme())
        .with_prompt(prompt)
        .items(items)
        .default(default)
        .interact()?)
}

/// Like [`select`], with type-to-filter for long lists (a model list).
pub fn fuzzy_select(env: &Env, prompt: &str, items: &[&str], default: usize) -> Result<usize> {
    let look = Look::from_env(env);
    if look == Look::Dumb {
        return numbered(prompt, items, default);
    }
    Ok(FuzzySelect::with_theme(&*look.theme())
        .with_prompt(prompt)
        .items(items)
        .default(default)
        .interact()?)
}

/// Asks to pick any number of `items` (`checked[i]`: ticked at first); returns the
/// indices picked, in order. None picked is a valid answer: the step is skipped.
pub fn multi_select(
    env: &Env,
    prompt: &str,
    items: &[&str],
    checked: &[bool],
) -> Result<Vec<usize>> {
    let look = Look::from_env(env);
    if look == Look::Dumb {
        let mut list = format!("{prompt}\n");
        for (i, item) in items.iter().enumerate() {
            let tick = if checked.get(i).copied().unwrap_or(false) {
                "x"
            } else {
                " "
            };
            list.push_str(&format!("  [{tick}] {}) {item}\n", i + 1));
        }
        write_prompt(&list)?;
        loop {
            let answer = ask_line(
                "numbers separated by spaces, Enter for the ticked ones, `none` for none: ",
            )?;
            match parse_choices(&answer, items, checked) {
                Some(picked) => return Ok(picked),
                None => say(&format!(
                    "please give numbers from 1 to {}, or `none`",
                    items.len()
                ))?,
            }
        }
    }
    Ok(MultiSelect::with_theme(&*look.theme())
        .with_prompt(format!("{prompt} (space toggles, Enter accepts)"))
        .items(items)
        .defaults(checked)
        .interact()?)
}

/// Whether progress is drawn (for doctor and the guided run alike): not where it would
/// be noise (stderr not a terminal, `NO_COLOR`, `CLICOLOR=0`, `TERM=dumb`).
pub fn shows_progress(env: &Env) -> bool {
    env.stderr_tty && Look::from_env(env) == Look::Colour
}

/// A spinner on stderr for a step that waits (the network), or `None` where
/// [`shows_progress`] says no.
pub fn spinner(env: &Env, message: &str) -> Option<Status> {
    shows_progress(env).then(|| Status::new(message))
}

/// A one-line status on stderr: a spinner frame and a message, redrawn by each
/// [`set`](Self::set), erased by [`clear`](Self::clear) or when dropped. It is
/// redrawn only when the command reports progress, from the command's own thread (which
/// holds the stderr lock), so there is no timer thread. Not `indicatif`: a progress bar
/// library for this one line loaded the maths library into every byok start, which
/// `byok env`'s budget can't afford (bench/env.sh).
pub struct Status {
    term: console::Term,
    frame: std::cell::Cell<usize>,
}

impl Status {
    const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

    /// Draws the first frame with `message`.
    pub fn new(message: &str) -> Self {
        let status = Self {
            term: console::Term::stderr(),
            frame: std::cell::Cell::new(0),
        };
        status.set(message);
        status
    }

    /// Shows `message` with the next frame, cut to the terminal's width so the line
    /// never wraps (a wrapped line could not be erased).
    pub fn set(&self, message: &str) {
        let frame = self.frame.get();
        self.frame.set(frame.wrapping_add(1));
        let width = usize::from(self.term.size().1).saturating_sub(3);
        let line = format!(
            "{} {}",
            Self::FRAMES[frame % Self::FRAMES.len()],
            console::truncate_str(message, width, "…")
        );
        // A status line that can't be drawn is no reason to stop the command.
        let _ = self
            .term
            .clear_line()
            .and_then(|()| self.term.write_str(&line));
    }

    /// Erases the line.
    pub fn clear(self) {}
}

impl Drop for Status {
    fn drop(&mut self) {
        let _ = self.term.clear_line();
    }
}

/// A menu for dumb terminals: a numbered list, answered by number or by the item itself.
fn numbered(prompt: &str, items: &[&str], default: usize) -> Result<usize> {
    let mut list = format!("{prompt}\n");
    for (i, item) in items.iter().enumerate() {
        list.push_str(&format!("  {}) {item}\n", i + 1));
    }
    write_prompt(&list)?;
    loop {
        let answer = ask_line(&format!("number [{}]: ", default + 1))?;
        match parse_choice(&answer, items, default) {
            Some(i) => return Ok(i),
            None => say(&format!("please give a number from 1 to {}", items.len()))?,
        }
    }
}

/// Reads a yes/no answer; `None` when it is neither.
fn parse_yes_no(answer: &str, default: bool) -> Option<bool> {
    match answer.trim().to_ascii_lowercase().as_str() {
        "" => Some(default),
        "y" | "yes" => Some(true),
        "n" | "no" => Some(false),
        _ => None,
    }
}

/// Reads a menu answer: empty for the default, a 1-based number, or an item's text.
fn parse_choice(answer: &str, items: &[&str], default: usize) -> Option<usize> {
    let a = answer.trim();
    if a.is_empty() {
        return Some(default);
    }
    if let Ok(n) = a.parse::<usize>() {
        return (1..=items.len()).contains(&n).then(|| n - 1);
    }
    items.iter().position(|i| *i == a)
}

/// Reads a multi-choice answer: empty for the ticked items, `none`, or 1-based numbers
/// (or items' text) separated by spaces or commas; `None` when a part is neither.
fn parse_choices(answer: &str, items: &[&str], checked: &[bool]) -> Option<Vec<usize>> {
    let a = answer.trim();
    if a.is_empty() {
        return Some(
            (0..items.len())
                .filter(|i| checked.get(*i).copied().unwrap_or(false))
                .collect(),
        );
    }
    if a.eq_ignore_ascii_case("none") {
        return Some(Vec::new());
    }
    let mut picked = Vec::new();
    for part in a.split([' ', ',']).filter(|p| !p.is_empty()) {
        let i = match part.parse::<usize>() {
            Ok(n) => (1..=items.len()).contains(&n).then(|| n - 1)?,
            Err(_) => items.iter().position(|i| *i == part)?,
        };
        if !picked.contains(&i) {
            picked.push(i);
        }
    }
    picked.sort_unstable();
    Some(picked)
}

fn write_prompt(text: &str) -> Result<()> {
    let mut err = io::stderr().lock();
    err.write_all(text.as_bytes())?;
    err.flush()?;
    Ok(())
}

fn say(text: &str) -> Result<()> {
    write_prompt(&format!("{text}\n"))
}

/// Prints `prompt` and reads one line; the end of input is an error, never a loop.
fn ask_line(prompt: &str) -> Result<String> {
    write_prompt(prompt)?;
    let mut line = String::new();
    if io::stdin().lock().read_line(&mut line)? == 0 {
        bail!("no answer: input ended");
    }
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::env::Os;

    fn env(pairs: &[(&str, &str)]) -> Env {
        let vars = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Env::from_vars(vars, Os::Linux, PathBuf::from("/"), Some("/h".into()))
    }

    #[test]
    fn look_follows_term_and_no_color() {
        assert_eq!(Look::from_env(&env(&[])), Look::Colour);
        assert_eq!(
            Look::from_env(&env(&[("TERM", "xterm-256color")])),
            Look::Colour
        );
        assert_eq!(Look::from_env(&env(&[("NO_COLOR", "1")])), Look::Plain);
        // no-color.org: an empty NO_COLOR does not count.
        assert_eq!(Look::from_env(&env(&[("NO_COLOR", "")])), Look::Colour);
        assert_eq!(Look::from_env(&env(&[("CLICOLOR", "0")])), Look::Plain);
        assert_eq!(Look::from_env(&env(&[("TERM", "dumb")])), Look::Dumb);
        assert_eq!(
            Look::from_env(&env(&[("TERM", "dumb"), ("NO_COLOR", "1")])),
            Look::Dumb
        );
    }

    #[test]
    fn dumb_answers() {
        assert_eq!(parse_yes_no("", true), Some(true));
        assert_eq!(parse_yes_no(" YES\r", false), Some(true));
        assert_eq!(parse_yes_no("n", true), Some(false));
        assert_eq!(parse_yes_no("sk-pasted-key", true), None);
        let items = ["bearer", "x-api-key"];
        assert_eq!(parse_choice("", &items, 1), Some(1));
        assert_eq!(parse_choice("1", &items, 1), Some(0));
        assert_eq!(parse_choice("x-api-key", &items, 0), Some(1));
        assert_eq!(parse_choice("3", &items, 0), None);
        assert_eq!(parse_choice("0", &items, 0), None);
        assert_eq!(parse_choice("sk-pasted-key", &items, 0), None);
    }

    #[test]
    fn dumb_multi_answers() {
        let items = ["claude-code", "codex", "cline"];
        let ticked = [true, false, true];
        assert_eq!(parse_choices("", &items, &ticked), Some(vec![0, 2]));
        assert_eq!(parse_choices(" None ", &items, &ticked), Some(vec![]));
        assert_eq!(parse_choices("3, 1 3", &items, &ticked), Some(vec![0, 2]));
        assert_eq!(parse_choices("codex", &items, &ticked), Some(vec![1]));
        assert_eq!(parse_choices("4", &items, &ticked), None);
        assert_eq!(parse_choices("1 x", &items, &ticked), None);
    }
}
