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
mod compiler_cache;
mod deps;
mod cpython;
mod dist;
mod run;
mod web;
mod serve;
mod upkeep;

// What every stage may use.
pub mod files;
mod once;
pub mod process;
mod target;
mod bundle;
mod line;
pub mod text;
mod workdir;
mod events;
mod exit;

use std::process::ExitCode;

use clap::Parser;

/// The `cargo xtask` command line: parses the flags, reads the environment once, runs the command,
/// and exits with a code that says what kind of failure it was (exit.rs, docs/events.md).
pub fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so printing to a closed pipe panics; a command-line filter should end
    // quietly instead, as Unix tools do.
    // SAFETY: at the start of main, before any thread exists; restores the default action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let started = std::time::Instant::now();
    let flags = match flags::Xtask::try_parse() {
        Ok(flags) => flags,
        Err(error) => return usage_error(error, started),
    };
    events::set_json(flags.global.message_format == flags::MessageFormat::Json);
    if let Some(limit) = flags.global.step_timeout {
        process::set_step_timeout(limit);
    }
    process::stop_on_signals();
    let command = flags.command.name();
    events::emit(&events::Event::Start { schema: events::SCHEMA, command, tool_version: env!("CARGO_PKG_VERSION") });
    let env = std::env::vars().collect();
    let (code, failure, error) = match run(flags, env) {
        Ok(code) => (code, None, None),
        Err(error) => {
            // Messages can carry text from archives and servers: no control characters but
            // the line breaks of a log tail reach the terminal.
            eprintln!("error: {}", text::error_text(&error));
            let failure = exit::classify(&error).or(process::interrupted().then_some(exit::Failure::Interrupted));
            (failure.map_or(1, exit::Failure::code), failure, Some(events::first_line(&error)))
        }
    };
    events::emit(&events::Event::Result {
        command,
        ok: error.is_none() && code == 0,
        exit_code: code,
        failure,
        error,
        seconds: events::round(started.elapsed().as_secs_f64()),
    });
    ExitCode::from(code)
}

/// A command line clap refuses: its message, exit 2, and (with `--message-format json`) the
/// result event. `--help` and `--version` print and exit 0.
fn usage_error(error: clap::Error, started: std::time::Instant) -> ExitCode {
    use clap::error::ErrorKind;
    let shown = matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
    let _ = error.print();
    if shown || matches!(error.kind(), ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand) {
        return ExitCode::from(if shown { 0 } else { exit::Failure::Usage.code() });
    }
    let args: Vec<String> = std::env::args().collect();
    let json = args.windows(2).any(|w| w[0] == "--message-format" && w[1] == "json")
        || args.iter().any(|a| a == "--message-format=json");
    events::set_json(json);
    // The command, if one was named: the first argument that is a subcommand's name.
    let names: Vec<String> =
        <flags::Xtask as clap::CommandFactory>::command().get_subcommands().map(|c| c.get_name().to_owned()).collect();
    let command = args.iter().skip(1).find(|a| names.contains(a)).map_or("", String::as_str);
    events::emit(&events::Event::Start { schema: events::SCHEMA, command, tool_version: env!("CARGO_PKG_VERSION") });
    let message = error.render().to_string();
    events::emit(&events::Event::Result {
        command,
        ok: false,
        exit_code: exit::Failure::Usage.code(),
        failure: Some(exit::Failure::Usage),
        error: Some(text::printable(message.lines().next().unwrap_or_default())),
        seconds: events::round(started.elapsed().as_secs_f64()),
    });
    ExitCode::from(exit::Failure::Usage.code())
}

/// Runs the command; returns the process's exit status (`run` hands up the interpreter's).
fn run(flags: flags::Xtask, env: std::collections::BTreeMap<String, String>) -> anyhow::Result<u8> {
    // `pin --overlay NEW` writes the overlay it names, so it may not exist yet.
    let writes_overlay = matches!(flags.command, flags::Command::Pin(_));
    let context = context::Context::from_flags(&flags.global, env, writes_overlay)?;
    let done = match flags.command {
        flags::Command::Run(cmd) => return cmd.run(&context),
        flags::Command::Doctor(cmd) => cmd.run(&context),
        flags::Command::Prune(cmd) => cmd.run(&context),
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
    done.map(|()| 0)
}
