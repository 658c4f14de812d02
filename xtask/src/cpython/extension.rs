//! A C extension (xtask_ext.c) built as an emscripten side module after make, with the build's
//! own compiler, flags and shared-module link line, as a distributor's wheel build takes them:
//! `$(CC) $(PY_CFLAGS) $(CCSHARED) -I$(srcdir)/Include -I.` and `$(BLDSHARED)`, named with
//! `$(EXT_SUFFIX)`. The values come from the build's Makefile, expanded by make itself.

use std::path::{Path, PathBuf};

use anyhow::Context;
use fs_err as fs;

use crate::files::{remove_tree_if_exists, write_atomic};
use crate::process::{shell_quote, Cmd, Env};
use crate::text::PathText;

pub const SOURCE: &str = include_str!("xtask_ext.c");
pub const NAME: &str = "xtask_ext";

const VARIABLES: [&str; 6] = ["CC", "PY_CFLAGS", "CCSHARED", "BLDSHARED", "EXT_SUFFIX", "srcdir"];

/// The values of `names` in the Makefile of `build`, as make expands them.
pub fn makefile_values(build: &Path, env: &Env, names: &[&str]) -> anyhow::Result<Vec<String>> {
    let probe = build.join("xtask-values.mk");
    let rules: String = names.iter().map(|name| format!("\t$(info {name}=$({name}))\n")).collect();
    write_atomic(&probe, format!("xtask-values:\n{rules}\t@:\n"))?;
    let output = Cmd::new("make", build, env)
        .args(["-s", "--no-print-directory", "-f", "Makefile", "-f", "xtask-values.mk", "xtask-values"])
        .read()
        .with_context(|| format!("read {} from {}", names.join(", "), build.join("Makefile").shown()))?;
    fs::remove_file(&probe)?;
    names
        .iter()
        .map(|name| {
            let prefix = format!("{name}=");
            output
                .lines()
                .find_map(|line| line.strip_prefix(&prefix))
                .map(|value| value.trim().to_owned())
                .with_context(|| format!("make printed no value for {name} in {}", build.shown()))
        })
        .collect()
}

/// Compiles and links the side module into `out` (emptied first); returns its path.
pub fn build(build: &Path, out: &Path, env: &Env, log: &Path) -> anyhow::Result<PathBuf> {
    let values = makefile_values(build, env, &VARIABLES)?;
    let [cc, cflags, ccshared, bldshared, suffix, srcdir] = &values[..] else { unreachable!() };
    remove_tree_if_exists(out)?;
    fs::create_dir_all(out)?;
    let source = out.join(format!("{NAME}.c"));
    write_atomic(&source, SOURCE)?;
    let object = out.join(format!("{NAME}.o"));
    let module = out.join(format!("{NAME}{suffix}"));
    let quote = |path: &Path| shell_quote(&path.plain());
    let include = build.join(srcdir).join("Include");
    let compile =
        format!("{cc} {cflags} {ccshared} -I{} -I. -c {} -o {}", quote(&include), quote(&source), quote(&object));
    let link = format!("{bldshared} {} -o {}", quote(&object), quote(&module));
    let script = format!("set -e\n{compile}\n{link}\n");
    Cmd::new("/bin/sh", build, env).args(["-c", &script]).run_logged("extension", log)?;
    fs::remove_file(&object)?;
    Ok(module)
}
