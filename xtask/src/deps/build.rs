//! Building one recipe into a prefix (include/ and lib/), with the target's compiler, in the
//! extracted source.

use std::path::Path;

use fs_err as fs;

use super::recipes::{Build, Recipe};
use super::LibraryBuild;
use crate::files::remove_file_if_exists;
use crate::process::Cmd;
use crate::text::PathText;

pub fn run(recipe: &Recipe, how: &LibraryBuild, source: &Path, prefix: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(prefix.join("include"))?;
    fs::create_dir_all(prefix.join("lib"))?;
    let log = how.logs.join(format!("deps-{}-{}.log", recipe.component, how.triple));
    remove_file_if_exists(&log)?;
    let step = format!("deps: {}", recipe.component);
    let library = prefix.join("lib").join(recipe.library);
    let headers = match &recipe.build {
        Build::Sources { sources, headers, defines, own } => {
            for (name, text) in own.iter() {
                fs::write(source.join(name), text)?;
            }
            compile_sources(how, source, sources, defines, &library, &step, &log)?;
            headers
        }
        Build::Configure { args, vars, defines, make, archive, headers } => {
            let variables = Variables { vars, defines };
            configure_and_make(how, source, args, &variables, make, &step, &log)?;
            fs::copy(source.join(archive), &library)?;
            headers
        }
    };
    for header in headers.iter() {
        let name = Path::new(header).file_name().unwrap_or_default();
        fs::copy(source.join(header), prefix.join("include").join(name))?;
    }
    Ok(())
}

/// Each source compiled on its own, then one archive (deterministic: `D`).
fn compile_sources(
    how: &LibraryBuild,
    source: &Path,
    sources: &[&str],
    defines: &[&str],
    library: &Path,
    step: &str,
    log: &Path,
) -> anyhow::Result<()> {
    let compiler = how.compiler;
    let mut objects = Vec::new();
    for file in sources {
        let object = format!("{}.o", file.trim_end_matches(".c"));
        Cmd::new(&compiler.cc[0], source, &compiler.env)
            .args(compiler.cc[1..].iter().cloned())
            .args(how.cflags.iter().copied())
            .args(defines.iter().copied())
            .args(["-c", file, "-o", &object])
            .run_logged(step, log)?;
        objects.push(object);
    }
    Cmd::new(&compiler.ar, source, &compiler.env).arg("rcsD").arg(library.plain()).args(objects).run_logged(step, log)
}

/// A Configure recipe's variables and defines.
struct Variables<'a> {
    vars: &'a [(&'a str, &'a str)],
    defines: &'a [&'a str],
}

/// The library's own configure for `--host`, with the target's compiler, archiver and flags
/// given as variables (nothing of the caller's environment), then make.
fn configure_and_make(
    how: &LibraryBuild,
    source: &Path,
    args: &[&str],
    variables: &Variables,
    make: &(&str, &[&str]),
    step: &str,
    log: &Path,
) -> anyhow::Result<()> {
    let compiler = how.compiler;
    let ar = compiler.ar.plain();
    let mut cflags: Vec<String> = how.cflags.iter().chain(variables.defines).map(|f| f.to_string()).collect();
    // The scratch directory's path stays out of anything compiled in.
    cflags.push(format!("-ffile-prefix-map={}=.", source.plain()));
    let mut env = compiler.env.clone();
    env.insert("CC".into(), compiler.cc.join(" "));
    env.insert("CFLAGS".into(), cflags.join(" "));
    env.insert("AR".into(), ar.clone());
    env.insert("RANLIB".into(), format!("{ar} s"));
    env.insert("ARFLAGS".into(), "cr".into());
    env.insert("PKG_CONFIG_PATH".into(), String::new());
    env.insert("PKG_CONFIG_LIBDIR".into(), String::new());
    for (name, value) in variables.vars {
        env.insert(name.to_string(), value.to_string());
    }
    Cmd::new(source.join("configure"), source, &env)
        .arg(format!("--host={}", how.configure_host))
        .args(args.iter().copied())
        .run_logged(step, log)?;
    Cmd::new("make", source, &env)
        .arg(format!("-j{}", how.jobs.max(1)))
        .args(["-C", make.0])
        .args(make.1.iter().copied())
        .run_logged(step, log)
}
