//! The one integration-test binary: a module per area.

// Test helpers panic on purpose and write fixtures directly.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

#[path = "cli/claude_template.rs"]
mod claude_template;
#[path = "cli/cline_template.rs"]
mod cline_template;
#[path = "cli/continue_yaml.rs"]
mod continue_yaml;
#[path = "cli/cursor_template.rs"]
mod cursor_template;
#[path = "cli/detect.rs"]
mod detect;
#[path = "cli/doctor.rs"]
mod doctor;
#[path = "cli/doctor_live.rs"]
mod doctor_live;
#[path = "cli/env.rs"]
mod env;
#[path = "cli/guide.rs"]
mod guide;
#[path = "cli/headers.rs"]
mod headers;
#[path = "cli/init.rs"]
mod init;
#[path = "cli/json_edits.rs"]
mod json_edits;
#[path = "cli/keys.rs"]
mod keys;
#[path = "cli/masking.rs"]
mod masking;
#[path = "cli/presets_profiles.rs"]
mod presets_profiles;
#[path = "cli/prior_values.rs"]
mod prior_values;
#[path = "cli/project.rs"]
mod project;
#[path = "cli/reliability.rs"]
mod reliability;
#[path = "cli/restore.rs"]
mod restore;
#[path = "cli/roo_kilo_template.rs"]
mod roo_kilo_template;
#[path = "cli/run_project.rs"]
mod run_project;
#[path = "cli/setup_claude.rs"]
mod setup_claude;
#[path = "cli/setup_cline.rs"]
mod setup_cline;
#[path = "cli/setup_continue.rs"]
mod setup_continue;
#[path = "cli/setup_editors.rs"]
mod setup_editors;
#[path = "cli/setup_more.rs"]
mod setup_more;
#[path = "cli/setup_ux.rs"]
mod setup_ux;
#[path = "cli/startup.rs"]
mod startup;
#[path = "cli/switch.rs"]
mod switch;
#[path = "cli/templates.rs"]
mod templates;
#[path = "cli/tools_env_only.rs"]
mod tools_env_only;
#[path = "cli/tools_manual_goose.rs"]
mod tools_manual_goose;
#[path = "cli/tools_pi_aider.rs"]
mod tools_pi_aider;
#[path = "cli/tools_qwen_droid.rs"]
mod tools_qwen_droid;
#[path = "cli/tools_vscode_hosts.rs"]
mod tools_vscode_hosts;
