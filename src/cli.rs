//! The clap command tree: validated input only, no I/O. Doc comments are the help text.

// Help text shows URLs as typed; rustdoc would want them as links.
#![allow(rustdoc::bare_urls)]

use clap::{Args, Parser, Subcommand};

use crate::profile::AnthropicAuth;
use crate::shell::Shell;
pub use crate::tools::KeyMode;
use crate::tools::ToolId;

const AFTER_HELP: &str = "\
Environment variables:
  BYOK_PROFILE     profile to use when --profile is not given
  BYOK_BASE_URL    gateway URL, overriding the profile's
  BYOK_API_KEY     API key, overriding the profile's
  BYOK_MODEL       chat model, overriding the profile's
  BYOK_HOME        home directory to use instead of $HOME
  BYOK_CONFIG_DIR  directory holding byok's config.toml
  BYOK_STATE_DIR   directory holding byok's backups and lock
  BYOK_DATA_DIR    directory holding files byok generates for tools
  BYOK_OS          path layout to use: linux, macos or windows (testing)
  NO_COLOR         turn off colours

Exit codes: 0 ok, 1 a check failed or you declined, 2 usage or configuration error.";

/// Point your AI coding tools at your own API gateway
// A command is required as far as clap knows, so help, usage and errors read as they
// always did; [`parse`] lifts that only for a person at a terminal (the guided run).
#[derive(Debug, Parser)]
#[command(
    name = "byok",
    version,
    about,
    after_help = AFTER_HELP,
    propagate_version = true,
    subcommand_required = true,
    arg_required_else_help = true
)]
pub struct Cli {
    /// Gateway profile to use (default: BYOK_PROFILE, then the default profile)
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// The command to run; `None` only from [`parse`] on a terminal: the guided run
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Parses the command line. Without a command, on a terminal (`interactive`), the result
/// has no command and `byok` guides the user; anywhere else clap's own answer stands
/// (the help on stderr, exit 2), byte for byte, so scripts and CI never wait on a prompt.
pub fn parse(
    args: impl IntoIterator<Item = std::ffi::OsString>,
    interactive: bool,
) -> Result<Cli, clap::Error> {
    use clap::error::ErrorKind;
    use clap::{CommandFactory, FromArgMatches};
    let args: Vec<std::ffi::OsString> = args.into_iter().collect();
    match Cli::try_parse_from(&args) {
        Err(e)
            if interactive
                && matches!(
                    e.kind(),
                    ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
                        | ErrorKind::MissingSubcommand
                ) =>
        {
            let mut matches = Cli::command()
                .subcommand_required(false)
                .arg_required_else_help(false)
                .try_get_matches_from(&args)?;
            Cli::from_arg_matches_mut(&mut matches)
        }
        other => other,
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Save a gateway profile (URL, key, models)
    Init(InitArgs),
    /// List, show, select or remove gateway profiles
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Move every tool byok set up (and new shells) to another profile, in one step
    Use(UseArgs),
    /// Set, show, test or rotate a profile's key and where it lives
    #[command(subcommand)]
    Key(KeyCommand),
    /// Print shell exports for the active profile, or install them in your shell's start-up file
    Env(EnvArgs),
    /// Show which tools are installed, where their config lives and whether they use the gateway
    Detect(DetectArgs),
    /// Write each tool's gateway settings, keeping everything else in its files
    Setup(SetupArgs),
    /// Put files back exactly as they were before byok changed them
    Restore(RestoreArgs),
    /// Start one tool on a profile for this process only; its files stay as they are
    Run(RunArgs),
    /// Take out only what byok added to a tool's settings
    Remove(RemoveArgs),
    /// Check that the gateway works and that each tool's settings really reach it
    Doctor(DoctorArgs),
    /// Show the whole product against a built-in mock gateway in a throw-away home
    Demo(DemoArgs),
    /// List, show or check tool templates (yours go in byok's config dir, under templates/)
    #[command(subcommand)]
    Templates(TemplatesCommand),
    /// Print a shell completion script
    Completions(CompletionsArgs),
    /// Print the API key of the active profile (for tools' key helpers)
    #[command(hide = true)]
    PrintKey,
}

/// `byok init`
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Gateway URL, e.g. https://gw.example.com (a trailing /v1 is fine)
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Where the key comes from
    #[command(flatten)]
    pub keys: KeyArgs,
    /// Default OpenAI-format chat model
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Model for Anthropic-format clients such as Claude Code
    #[arg(long, value_name = "MODEL")]
    pub anthropic_model: Option<String>,
    /// Small, fast model for background work
    #[arg(long, value_name = "MODEL")]
    pub small_model: Option<String>,
    /// How Anthropic-style clients send the key
    #[arg(long, value_enum, value_name = "STYLE")]
    pub anthropic_auth: Option<AnthropicAuth>,
    /// Separate base URL for OpenAI-format requests (e.g. https://openrouter.ai/api/v1)
    #[arg(long, value_name = "URL")]
    pub openai_url: Option<String>,
    /// Separate base URL for Anthropic-format requests (e.g. https://openrouter.ai/api)
    #[arg(long, value_name = "URL")]
    pub anthropic_url: Option<String>,
    /// Profile name
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Don't ask: replace an existing profile of the same name
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Keep the current default profile instead of making this one the default
    #[arg(long)]
    pub no_default: bool,
    /// Call GET /v1/models once to confirm the URL and key
    #[arg(long)]
    pub check: bool,
    /// Start from a known gateway's settings (URL, routes, auth); see --list-presets
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// List the gateway presets and exit
    #[arg(long, exclusive = true)]
    pub list_presets: bool,
    /// An extra header byok's requests send, 'Name: value' or 'Name: env:VAR' (repeatable)
    #[arg(long = "header", value_name = "'NAME: VALUE'")]
    pub headers: Vec<String>,
    /// Make the profile from a ccswitch://v1/import?… link (URL, key and model)
    #[arg(long, value_name = "LINK", conflicts_with_all = ["url", "preset", "key", "key_env", "key_command"])]
    pub from_link: Option<String>,
}

/// How a command that changes many tools' files at once asks first.
#[derive(Debug, Args, Default, Clone)]
pub struct StepArgs {
    /// Show the diff and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Show the diff before asking
    #[arg(long)]
    pub diff: bool,
    /// Don't ask (needed without a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Overwrite values changed by hand since byok wrote them
    #[arg(long)]
    pub force: bool,
}

/// `byok use`
#[derive(Debug, Args)]
pub struct UseArgs {
    /// The profile to move every tool to; without it, show which profile each tool uses
    #[arg(value_name = "PROFILE")]
    pub name: Option<String>,
    #[command(flatten)]
    pub step: StepArgs,
}

/// `byok key …`
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Change the key or where it lives (config file, env var, OS credential store, command)
    Set(KeyArgs),
    /// Show the key, masked, and where it lives
    Show,
    /// Read the key and check that the gateway accepts it (GET /v1/models)
    Test,
    /// A new key for the profile: tools holding a copy are rewritten in one all-or-nothing step
    Rotate {
        #[command(flatten)]
        keys: KeyArgs,
        #[command(flatten)]
        step: StepArgs,
        /// Don't check the new key at the gateway afterwards
        #[arg(long)]
        no_check: bool,
    },
}

/// The key and where it lives (`byok init`, `byok key set`, `byok key rotate`).
#[derive(Debug, Args, Default, Clone)]
pub struct KeyArgs {
    /// The gateway API key (stored in byok's config, mode 0600, or with --key-store keychain in the OS credential store)
    #[arg(long, value_name = "KEY", conflicts_with_all = ["key_env", "key_command"])]
    pub key: Option<String>,
    /// Name of an environment variable that holds the key (nothing secret is stored)
    #[arg(long, value_name = "VAR", conflicts_with = "key_command")]
    pub key_env: Option<String>,
    /// A command that prints the key, e.g. 'op read op://Private/gateway/credential' (run without a shell when the key is needed)
    #[arg(long, value_name = "COMMAND")]
    pub key_command: Option<String>,
    /// Where the key lives: byok's config file, an env var, the OS credential store, or a command
    #[arg(long, value_enum, value_name = "STORE")]
    pub key_store: Option<crate::keystore::Store>,
}

/// `byok profile …`
#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// List profiles (the default is marked with *)
    List,
    /// Show a profile (the active one by default); the key is masked
    Show {
        /// Profile name
        name: Option<String>,
    },
    /// Make a profile the default
    Use {
        /// Profile name
        name: String,
    },
    /// Delete a profile
    Remove {
        /// Profile name
        name: String,
    },
    /// Print a profile for teammates, without its key (URL, models, headers, where the key lives)
    Export {
        /// Profile name (default: the active one)
        name: Option<String>,
        /// Write it to this file instead of stdout
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<std::path::PathBuf>,
    },
    /// Save a profile from a shared file (`-` for stdin) or a ccswitch://v1/import?… link
    Import(ImportArgs),
}

/// `byok profile import`
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A file written by `byok profile export`, `-` for stdin, or a ccswitch:// link
    #[arg(value_name = "FILE|-|LINK")]
    pub source: String,
    /// Save it under this name instead of the one in the file or link
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Replace an existing profile of the same name
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// The key, or where it lives, instead of what the file names (asked on a terminal)
    #[command(flatten)]
    pub keys: KeyArgs,
    /// An extra header the file left out, 'Name: value' (repeatable)
    #[arg(long = "header", value_name = "'NAME: VALUE'")]
    pub headers: Vec<String>,
}

/// `byok env`
#[derive(Debug, Args)]
pub struct EnvArgs {
    /// Output format (default: from $SHELL)
    #[arg(long, value_enum)]
    pub shell: Option<Shell>,
    /// Write (or replace) byok's block in the shell's start-up file
    #[arg(long, conflicts_with_all = ["uninstall", "unset"])]
    pub install: bool,
    /// Remove byok's block from the shell's start-up file
    #[arg(long, conflicts_with = "unset")]
    pub uninstall: bool,
    /// Print commands that unset every variable byok sets
    #[arg(long)]
    pub unset: bool,
    /// Also export the key of a profile kept in the OS credential store or a command
    ///
    /// Without it, `byok env` never reads the credential store or runs the key command
    /// (it runs at every shell start, and a password manager would ask each time): the
    /// key variables are left out, with a comment saying why. Tools set up by byok run
    /// `byok print-key` themselves. With it, the key is read now and exported.
    #[arg(long, conflicts_with_all = ["install", "uninstall", "unset"])]
    pub with_key: bool,
}

/// `byok detect`
#[derive(Debug, Args)]
pub struct DetectArgs {
    /// Machine-readable output
    #[arg(long)]
    pub json: bool,
    /// Look at the project files of DIR instead of the working directory's
    #[arg(long, value_name = "DIR")]
    pub project: Option<String>,
}

/// `byok setup`
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Tools to configure (on a terminal, none: pick from the detected ones)
    #[arg(value_parser = ToolName, value_name = "TOOLS")]
    pub tools: Vec<String>,
    /// Configure every detected tool
    #[arg(long, conflicts_with = "tools")]
    pub all: bool,
    /// Show the diff and write nothing
    ///
    /// Exits 1 when setup would refuse: values byok wrote were changed by hand since
    /// (they are named; `--force` overwrites them).
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// Show the diff before asking
    #[arg(long)]
    pub diff: bool,
    /// Apply without asking
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Overwrite values changed by hand since byok wrote them
    #[arg(long)]
    pub force: bool,
    /// How to hand the key to tools that support a key command
    ///
    /// Without it, each tool gets the strongest form it takes: a key command (`byok
    /// print-key`) where it can run one, else a reference to the key's variable for a
    /// profile keeping its key in one, else a copy in a file only you can read (0600).
    /// A tool with a reference to the profile's variable keeps it. `literal` writes
    /// the key itself everywhere.
    /// With `helper`, setup stops (exit 2) if a chosen tool cannot run a key command,
    /// unless `--allow-literal-keys` accepts the key being written into its files.
    #[arg(long, value_enum)]
    pub key_mode: Option<KeyMode>,
    /// With `--key-mode helper`, write the key itself into tools that can't run a key command
    #[arg(long)]
    pub allow_literal_keys: bool,
    /// Only this VS Code-family host (code, cursor, vscodium, ...)
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// Write the tools' project-level files in DIR (default: the working directory)
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "", conflicts_with_all = ["all", "host"])]
    pub project: Option<String>,
    /// Show the key in manual steps instead of masking it
    #[arg(long)]
    pub show_key: bool,
}

/// `byok run`
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The tool to start (byok's own flags go before it)
    #[arg(value_parser = ToolName, value_name = "TOOL")]
    pub tool: String,
    /// Print the command line to copy into a terminal, script or tmux binding instead
    #[arg(long)]
    pub print: bool,
    /// With --print, show the key instead of masking it
    #[arg(long, requires = "print")]
    pub show_key: bool,
    /// Arguments passed on to the tool (after TOOL, or after `--`)
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    pub args: Vec<String>,
}

/// `byok restore`
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Backup id (back to the original), or a write id (back to just before that write);
    /// see --list. All backups when omitted
    pub backup: Option<String>,
    /// List backups
    #[arg(long, conflicts_with_all = ["backup", "tool"])]
    pub list: bool,
    /// Restore every file backed up for this tool
    #[arg(long, value_name = "TOOL", conflicts_with = "backup")]
    pub tool: Option<String>,
    /// Restore even files with edits byok did not make (those edits are lost)
    #[arg(long)]
    pub force: bool,
    /// Apply without asking
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `byok remove`
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// Tools to clean up
    #[arg(value_parser = ToolName, value_name = "TOOLS", required_unless_present = "project")]
    pub tools: Vec<String>,
    /// Show the diff and write nothing
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// Apply without asking
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Only this VS Code-family host
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// Take byok's project-level files out of DIR (default: the working directory)
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "", conflicts_with = "host")]
    pub project: Option<String>,
}

/// `byok doctor`
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Gateway URL to check instead of the profile's
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// API key to use instead of the profile's
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,
    /// Model to test instead of the profile's
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Only configuration, reachability and /models (nothing billed)
    #[arg(long)]
    pub quick: bool,
    /// Machine-readable output
    #[arg(long)]
    pub json: bool,
    /// Per-check timeout in seconds [default: 20; with --live, 60 per tool]
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Look at the project files of DIR instead of the working directory's
    #[arg(long, value_name = "DIR")]
    pub project: Option<String>,
    /// `--live`: run each tool once through a recording relay
    #[command(flatten)]
    pub live: LiveArgs,
}

/// `byok doctor --live [TOOL…]`
#[derive(Debug, Default, Args)]
pub struct LiveArgs {
    /// After the other checks, run each installed tool once in its one-shot mode through a recording relay (one small billed request per tool)
    #[arg(long)]
    pub live: bool,
    /// Only these tools, in the tool checks and the live runs (with --live)
    #[arg(value_name = "TOOL", requires = "live")]
    pub tools: Vec<String>,
    /// Start the live runs without asking (needed without a terminal)
    #[arg(long, short = 'y', requires = "live")]
    pub yes: bool,
}

/// `byok demo`
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the temporary home and print its path
    #[arg(long)]
    pub keep: bool,
}

/// `byok completions`
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// Shell to generate for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        super::Cli::command().debug_assert();
    }

    #[test]
    fn no_command_is_a_guided_run_only_on_a_terminal() {
        use clap::error::ErrorKind;
        let args = |a: &[&str]| a.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        let cli = super::parse(args(&["byok"]), true).unwrap();
        assert!(cli.command.is_none());
        let cli = super::parse(args(&["byok", "--profile", "work"]), true).unwrap();
        assert_eq!(
            (cli.command.is_none(), cli.profile.as_deref()),
            (true, Some("work"))
        );
        let e = super::parse(args(&["byok"]), false).unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        );
        let e = super::parse(args(&["byok", "--profile", "w"]), false).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MissingSubcommand);
        // --help and real commands parse as before, terminal or not.
        for interactive in [true, false] {
            let e = super::parse(args(&["byok", "--help"]), interactive).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::DisplayHelp);
            let cli = super::parse(args(&["byok", "detect"]), interactive).unwrap();
            assert!(matches!(cli.command, Some(super::Command::Detect(_))));
        }
    }

    #[test]
    fn help_lists_every_byok_variable() {
        for (name, what) in crate::env::BYOK_VARS {
            let line = format!("  {name:<16} {what}");
            assert!(super::AFTER_HELP.contains(&line), "--help lacks `{line}`");
        }
    }
}

/// A tool name on the command line: any id (a user's template may add one), checked
/// against the registry by the command; help and completions offer the built-in ones.
#[derive(Debug, Clone, Copy)]
pub struct ToolName;

impl clap::builder::TypedValueParser for ToolName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        value
            .to_str()
            .map(str::to_string)
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidUtf8).with_cmd(cmd))
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            ToolId::BUILTIN
                .iter()
                .map(|id| clap::builder::PossibleValue::new(id.as_str())),
        ))
    }
}

/// `byok templates`
#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// List every tool, with where its template comes from
    List,
    /// Print a tool's effective template
    Show {
        /// The tool's id
        id: String,
    },
    /// Check a template file and show what `setup` would write with it on an empty home
    Check {
        /// The template file
        file: std::path::PathBuf,
    },
}
