//! The `byok` binary: read the environment, run, exit.
//!
//! On Linux with glibc the binary brings its own C `main` (`no_main`) instead of Rust's
//! start-up, because `byok env` runs at every shell start and its budget is 1.5× the
//! cost of `/bin/true` (bench/env.sh). Rust's start-up reads and parses
//! `/proc/self/maps` to find the main thread's stack guard and maps an alternate signal
//! stack, all to print "has overflowed its stack" instead of a plain segmentation fault:
//! about a sixth of `byok env`'s instructions and six system calls. The two parts of
//! that start-up byok's behaviour relies on are kept, as Rust does them
//! (`std::sys::pal::unix::init`): fds 0–2 are made valid (so a file byok opens can never
//! become stdout), and SIGPIPE is ignored (a closed pipe is an `EPIPE` error that
//! `byok env | head` ends quietly on, and the tools `byok run` starts get Rust's usual
//! default disposition back). Arguments still come from `std::env::args_os` (glibc hands
//! them to Rust's runtime before `main`), a panic still prints its message and exits
//! 101, and `std::process::exit` flushes stdout as returning from Rust's `main` would.
//! Elsewhere Rust's own `main` stands.

// Not in `cargo test`'s build of this file: the test harness brings its own `main`.
#![cfg_attr(all(target_os = "linux", target_env = "gnu", not(test)), no_main)]

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn main() -> std::process::ExitCode {
    let env = byok::env::Env::from_process();
    byok::run(std::env::args_os(), &env).into()
}

/// The C entry point glibc calls; see the module docs for what it keeps of Rust's.
// SAFETY: the one `main` symbol in the program: `no_main` above tells rustc not to
// emit its own, so nothing else defines it.
#[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    lean::start();
    // Unwinding out of an `extern "C"` function aborts: stop a panic here.
    let _ = std::panic::catch_unwind(|| {
        let env = byok::env::Env::from_process();
        let status = byok::run(std::env::args_os(), &env);
        // Exits here, so `env` is never dropped: freeing it piece by piece is work the
        // OS does at once when it takes the heap back.
        std::process::exit(status.code().into());
    });
    // Only a panic gets here; the panic hook has printed its message. 101 is the code
    // Rust's own `main` exits with after a panic.
    std::process::exit(101)
}

/// The parts of Rust's Unix start-up byok keeps.
#[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
mod lean {
    use std::os::fd::{AsFd, IntoRawFd};

    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use nix::sys::signal::{SigHandler, Signal, signal};

    /// Makes fds 0–2 valid and ignores SIGPIPE, as Rust's start-up does.
    pub fn start() {
        standard_fds_open();
        // SAFETY: SIG_IGN installs no handler code, and no other thread exists yet. It
        // can't fail for SIGPIPE; if it did, a closed pipe would end byok by the signal.
        #[allow(unsafe_code)]
        let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigIgn) };
    }

    /// Opens /dev/null on any of fds 0–2 that is closed, lowest first, so it takes that
    /// number; aborts when it can't, as Rust does (a later `open` would get the number).
    fn standard_fds_open() {
        let (stdin, stdout, stderr) = (std::io::stdin(), std::io::stdout(), std::io::stderr());
        let mut fds = [
            PollFd::new(stdin.as_fd(), PollFlags::empty()),
            PollFd::new(stdout.as_fd(), PollFlags::empty()),
            PollFd::new(stderr.as_fd(), PollFlags::empty()),
        ];
        if poll(&mut fds, PollTimeout::ZERO).is_err() {
            return;
        }
        for fd in &fds {
            if fd
                .revents()
                .is_some_and(|r| r.contains(PollFlags::POLLNVAL))
            {
                match std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open("/dev/null")
                {
                    // Kept open for the life of the process: it *is* the standard fd now.
                    Ok(file) => _ = file.into_raw_fd(),
                    Err(_) => std::process::abort(),
                }
            }
        }
    }
}
