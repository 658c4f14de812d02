//! The keyboard-interrupt test of the emscripten targets: a JS host raises KeyboardInterrupt in a
//! running `while True: pass` through the shared signal buffer (interrupt.cjs says how), with
//! the interpreter loaded as every host of this tool loads it (web/embed.js): a node build's, or
//! a web bundle's as the page's worker sets it up.

use anyhow::{bail, Context};
use fs_err as fs;

use crate::files::remove_tree_if_exists;
use crate::process::{Cmd, Env};
use crate::text::PathText;
use crate::workdir::{RunRecord, WorkDir};

const SCRIPT: &str = include_str!("interrupt.cjs");

pub fn run(record: &RunRecord, work: &WorkDir, env: &Env) -> anyhow::Result<()> {
    if !record.target.offers.interrupt_host {
        bail!(
            "the interrupt test needs a JS host: it runs on the emscripten targets with one (emscripten-node, emscripten-browser), not {}",
            record.target.name
        );
    }
    let dir = work.target_build.join("interrupt");
    remove_tree_if_exists(&dir)?;
    fs::create_dir_all(&dir)?;
    let script = dir.join("interrupt.cjs");
    fs::write(&script, SCRIPT)?;
    fs::write(dir.join(crate::web::EMBED_FILE), crate::web::EMBED)?;
    let (output, errors) = Cmd::new(&record.runner.program, &work.root, env)
        .args(record.runner.args.iter().cloned())
        .arg(script.plain())
        .arg(record.runner.module.plain())
        .arg(dir.plain())
        .read_both()
        .context("interrupt test failed")?;
    for line in output.lines() {
        eprintln!("test: {line}");
    }
    if !errors.trim().is_empty() {
        bail!("interrupt test: the interpreter wrote to stderr: {}", errors.trim());
    }
    if !output.contains("KeyboardInterrupt raised in the loop") {
        bail!("interrupt test: the loop ended without KeyboardInterrupt; it printed `{}`", output.trim());
    }
    Ok(())
}
