//! `cargo xtask`: builds CPython for WebAssembly from pinned, verified inputs.
//!
//! The stages, in pipeline order (docs/architecture.md):
//! manifest (and pin, which writes it) → fetch → source → patches → toolchains → deps → cpython → dist → run.
//! Beneath them: process (every external command), files, once (install once), target and
//! line (targets and CPython lines as data), text (outside text made printable), bundle
//! (bundle.json) and workdir (the work dir and run record). Above them: the edge (flags,
//! context, selection) and one file per command.
//!
//! The binary `xtask` is [`main`]. The library also serves the test tiers' fixture builder
//! (`src/bin/fixtures`), which reuses the manifest checks, the verified fetch layer, the cache
//! and the one helper for external commands; nothing else is public.

// The edge.
mod commands;
mod context;
mod flags;
mod selection;

// The stages, in pipeline order.
pub mod manifest;
mod pin;
pub mod fetch;
mod source;
mod plan;
mod patches;
mod toolchains;
mod deps;
mod cpython;
mod dist;
mod run;
mod web;
mod serve;

// What every stage may use.
pub mod files;
mod once;
pub mod process;
mod target;
mod bundle;
mod line;
pub mod text;
mod workdir;

use std::process::ExitCode;

use clap::Parser;

/// The `cargo xtask` command line: parses the flags, reads the environment once, runs the command.
pub fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so printing to a closed pipe panics; a command-line filter should end
    // quietly instead, as Unix tools do.
    // SAFETY: at the start of main, before any thread exists; restores the default action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let flags = flags::Xtask::parse();
    let env = std::env::vars().collect();
    match run(flags, env) {
        Ok(code) => code,
        Err(error) => {
            // Messages can carry text from archives and servers: no control characters but
            // the line breaks of a log tail reach the terminal.
            eprintln!("error: {}", text::printable_lines(&format!("{error:#}")));
            ExitCode::FAILURE
        }
    }
}

/// Runs the command; returns the process's exit status (`run` hands up the interpreter's).
fn run(flags: flags::Xtask, env: std::collections::BTreeMap<String, String>) -> anyhow::Result<ExitCode> {
    // `pin --overlay NEW` writes the overlay it names, so it may not exist yet.
    let writes_overlay = matches!(flags.command, flags::Command::Pin(_));
    let context = context::Context::from_flags(&flags.global, env, writes_overlay)?;
    let done = match flags.command {
        flags::Command::Run(cmd) => return cmd.run(&context),
        flags::Command::Fetch(cmd) => cmd.run(&context),
        flags::Command::Mirror(flags::MirrorCommand::Export(cmd)) => cmd.run(&context),
        flags::Command::Bootstrap(cmd) => cmd.run(&context),
        flags::Command::Test(cmd) => cmd.run(&context),
        flags::Command::Patch(cmd) => cmd.run(&context),
        flags::Command::Serve(cmd) => cmd.run(&context),
        flags::Command::Dist(cmd) => cmd.run(&context),
        flags::Command::Verify(cmd) => cmd.run(&context),
        flags::Command::Pin(cmd) => cmd.run(&context),
    };
    done.map(|()| ExitCode::SUCCESS)
}
