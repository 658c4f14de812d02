//! `cargo xtask`: builds CPython for WebAssembly from pinned, verified inputs.
//!
//! The layout follows the pipeline: manifest → fetch → toolchains → deps → patches → build → run.

mod build;
mod commands;
mod context;
mod deps;
mod fetch;
mod flags;
mod manifest;
mod patches;
mod process;
mod run;
mod toolchains;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so printing to a closed pipe panics; a command-line filter should end
    // quietly instead, as Unix tools do.
    // SAFETY: at the start of main, before any thread exists; restores the default action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let flags = flags::Xtask::parse();
    let env = std::env::vars().collect();
    match run(flags, env) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(flags: flags::Xtask, env: std::collections::BTreeMap<String, String>) -> anyhow::Result<()> {
    let context = context::Context::from_flags(&flags.global, env)?;
    match flags.command {
        flags::Command::Fetch(cmd) => cmd.run(&context),
        flags::Command::Mirror(flags::MirrorCommand::Export(cmd)) => cmd.run(&context),
        flags::Command::Bootstrap(cmd) => cmd.run(&context),
        flags::Command::Run(cmd) => cmd.run(&context),
        flags::Command::Test(cmd) => cmd.run(&context),
        flags::Command::Patch(cmd) => cmd.run(&context),
    }
}
