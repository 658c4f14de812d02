//! The keyboard-interrupt test of the emscripten node target: a JS host raises KeyboardInterrupt
//! in a running `while True: pass` through the shared signal buffer (interrupt.cjs says how).

use std::collections::BTreeMap;
use std::fs;

use anyhow::{bail, Context};

use crate::build::env::RunRecord;
use crate::build::Layout;
use crate::process::Cmd;

const SCRIPT: &str = include_str!("interrupt.cjs");

pub fn run(record: &RunRecord, layout: &Layout, outer_env: &BTreeMap<String, String>) -> anyhow::Result<()> {
    if record.target != "emscripten-node" {
        bail!("the interrupt test needs a JS host: it runs on --target emscripten-node, not {}", record.target);
    }
    let dir = layout.host.join("interrupt");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    let script = dir.join("interrupt.cjs");
    fs::write(&script, SCRIPT).with_context(|| format!("write {}", script.display()))?;
    let env = super::runner_env(outer_env);
    let (output, errors) = Cmd::new(&record.runner.program, &layout.work, &env)
        .arg(script.display().to_string())
        .arg(record.runner.module.display().to_string())
        .arg(dir.display().to_string())
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
