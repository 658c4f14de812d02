//! The dynamic-linking test of the emscripten targets: the interpreter imports the C extension the
//! build compiled as a side module (cpython/xtask_ext.c) and calls into it. On emscripten-node the
//! module is found in the build's extension directory; the browser bundle carries it in
//! lib-dynload, where the page's worker puts it.

use anyhow::{bail, Context};

use crate::process::Env;
use crate::text::printable;
use crate::text::PathText;
use crate::workdir::{RunRecord, WorkDir};

const SCRIPT: &str = r#"
import sys
if sys.argv[1]:
    sys.path.insert(0, sys.argv[1])
import xtask_ext
assert xtask_ext.add(40, 2) == 42
print("extension ok:", xtask_ext.greet(sys.platform), "from", xtask_ext.__file__)
"#;

pub fn run(record: &RunRecord, work: &WorkDir, env: &Env) -> anyhow::Result<()> {
    let offers = record.target.offers;
    if !offers.side_modules {
        bail!("the extension test loads an emscripten side module: it runs on the emscripten targets, not {} (WASI has no dynamic linking)", record.target.name);
    }
    let dir = match offers.side_modules_installed {
        true => String::new(),
        false => work.extension_dir().plain(),
    };
    let args = ["-c", SCRIPT, &dir].map(str::to_owned);
    let (output, errors) = super::interpreter(record, &work.root, env, &args)
        .read_both()
        .context("extension test: the interpreter failed to import the side module")?;
    if !errors.trim().is_empty() {
        bail!("extension test: the interpreter wrote to stderr: {}", printable(errors.trim()));
    }
    if !output.starts_with("extension ok: side module says hello to emscripten") {
        bail!("extension test: unexpected result: `{}`", printable(output.trim()));
    }
    eprintln!("test: {}", printable(output.trim()));
    Ok(())
}
