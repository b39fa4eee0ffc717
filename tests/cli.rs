//! The one integration-test binary: a module per area.

// Test helpers panic on purpose and write fixtures directly.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

#[path = "cli/env.rs"]
mod env;
#[path = "cli/init.rs"]
mod init;
#[path = "cli/setup_more.rs"]
mod setup_more;
