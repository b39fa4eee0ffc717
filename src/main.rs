//! The `byok` binary: read the environment, run, exit.

use std::process::ExitCode;

fn main() -> ExitCode {
    let env = byok::env::Env::from_process();
    byok::run(std::env::args_os(), &env)
}
