//! The emscripten target build: emconfigure and make with the pinned emscripten, Node as the
//! runner. With `--with-emscripten-target=node` CPython links with NODERAWFS, so the interpreter
//! sees the host's files and finds its stdlib in the build tree, as a native build does.

use super::env::{base, configure_libraries, library_flags, module, ConfigureLibrary};
use super::BuildPlan;
use crate::files;
use crate::process::Env;
use crate::toolchains::emscripten::Emscripten;
use crate::toolchains::node::Node;
use crate::workdir::{RunnerCommand, WorkDir};
use fs_err as fs;

/// The files of CPython's node entry (3.14 on), copied from `Platforms/emscripten` next to the
/// module after make, as CPython's own build script does.
const ENTRY_FILES: [&str; 2] = ["node_entry.mjs", "streams.mjs"];

pub fn runner(work: &WorkDir, plan: &BuildPlan, node: &Node) -> RunnerCommand {
    let mut args: Vec<String> = plan.profile.node_flags.iter().map(|f| f.to_string()).collect();
    let mut entry = vec![];
    if has_node_entry(plan) {
        // Node 24 has JSPI behind this flag (later releases have it on, earlier ones a different
        // API); CPython's own python.sh passes it on 24 only.
        if node.major == 24 {
            args.push("--experimental-wasm-jspi".into());
        }
        entry.push(work.target_build.join(ENTRY_FILES[0]).display().to_string());
        entry.push(format!("--this-program={}", work.python_sh().display()));
    }
    RunnerCommand { program: node.binary.clone(), args, module: module(work, plan), entry, dirs: vec![], dir_syntax: Default::default() }
}

/// From 3.14 on the module is an ES module (`python.mjs`) that `Platforms/emscripten/node_entry.mjs`
/// starts, mounting the host's directories; 3.13's `python.js` runs by itself under NODERAWFS.
fn has_node_entry(plan: &BuildPlan) -> bool {
    entry_dir(plan).join(ENTRY_FILES[0]).is_file()
}

fn entry_dir(plan: &BuildPlan) -> std::path::PathBuf {
    plan.source.root.join("Platforms/emscripten")
}

/// Copies the node entry files of the tree next to the module (after make: `make clean` would not
/// remove them, and a changed tree brings its new ones).
pub fn install_node_entry(work: &WorkDir, plan: &BuildPlan) -> anyhow::Result<()> {
    if !has_node_entry(plan) {
        return Ok(());
    }
    for name in ENTRY_FILES {
        let from = entry_dir(plan).join(name);
        if from.is_file() {
            let text = fs::read(&from)?;
            files::write_atomic(&work.target_build.join(name), text)?;
        }
    }
    Ok(())
}

/// The flavour option (`--with-emscripten-target=node|browser`), where the tree's configure still
/// has it: 3.14 dropped it (one build serves node and the browser) and warns about it as unknown.
pub fn flavour_args(plan: &BuildPlan) -> anyhow::Result<Vec<&'static str>> {
    let configure = plan.source.root.join("configure");
    let text = fs::read(&configure)?;
    let knows = text.windows(FLAVOUR_OPTION.len()).any(|w| w == FLAVOUR_OPTION.as_bytes());
    Ok(if knows { plan.target.flavour_args.to_vec() } else { vec![] })
}

const FLAVOUR_OPTION: &str = "with-emscripten-target";

pub fn configure_env(
    work: &WorkDir,
    plan: &BuildPlan,
    emscripten: &Emscripten,
    node: &Node,
    runner: &RunnerCommand,
) -> Env {
    let mut env = emscripten.env(node, &base(work, plan));
    env.insert("HOSTRUNNER".into(), runner.command_line());
    // emconfigure puts the sysroot's pkg-config directories first; nothing of the host's.
    env.insert("EM_PKG_CONFIG_PATH".into(), String::new());
    env.insert("PKG_CONFIG_PATH".into(), String::new());
    // Every library configure would take from an emscripten port (zlib, bzip2, sqlite3) has its
    // flags set here, from the dependency stage: emcc is never asked for a port, which it would
    // download in the middle of the build.
    env.extend(main_module_library_flags(plan));
    env
}

/// The libraries for a MAIN_MODULE link. `--enable-wasm-dynamic-linking` links python.js with
/// -sMAIN_MODULE, and emcc then wraps the whole link line in --whole-archive: an archive named
/// twice defines each of its symbols twice, and zlib is named by both the zlib and the binascii
/// module (configure copies ZLIB_LIBS into BINASCII_LIBS). So every library is named once, in
/// LIBS, with its directory in LDFLAGS; `<NAME>_CFLAGS` point at the headers, and an empty
/// `<NAME>_LIBS` (set, so configure uses neither pkg-config's answer nor emscripten's port)
/// keeps the modules from naming it again.
fn main_module_library_flags(plan: &BuildPlan) -> Env {
    let mut flags = library_flags(plan);
    let libraries = configure_libraries(plan);
    for name in libraries.iter().flat_map(ConfigureLibrary::libs_variables) {
        flags.insert(name, String::new());
    }
    let mut ldflags: Vec<String> = libraries.iter().map(|l| format!("-L{}", l.lib_dir.display())).collect();
    ldflags.extend(plan.profile.emscripten_ldflags.iter().map(|f| f.to_string()));
    flags.insert("LDFLAGS".into(), ldflags.join(" "));
    flags.insert("LIBS".into(), libraries.iter().map(|l| l.link).collect::<Vec<_>>().join(" "));
    flags
}

/// From 3.14 on, make's default goal on emscripten also builds CPython's web example, and its rule
/// for `web_example/python.mjs` copies into `web_example/` without creating it: only another
/// rule's `mkdir -p`, run first by luck of a parallel make, makes it work (with `make -j1` it
/// fails: "cp: cannot create regular file 'web_example/python.mjs'", seen on the 3.15 branch).
/// The directory is made before make.
pub fn prepare_build_dir(work: &WorkDir) -> anyhow::Result<()> {
    fs::create_dir_all(work.target_build.join("web_example"))?;
    Ok(())
}

/// The runner of the browser target: Node running the web bundle as the page's worker sets it up
/// (`bundle-run.mjs WEB_DIR`), so `run` and the smoke test load what the page loads.
pub fn browser_runner(work: &WorkDir, node: &Node) -> RunnerCommand {
    RunnerCommand {
        program: node.binary.clone(),
        args: vec![],
        module: work.web_bundle(),
        entry: vec![browser_node_runner(work).display().to_string(), work.web_bundle().display().to_string()],
        dirs: vec![],
        dir_syntax: Default::default(),
    }
}

pub fn browser_node_runner(work: &WorkDir) -> std::path::PathBuf {
    work.target_build.join("bundle-run.mjs")
}

/// Make variables for the browser flavour of 3.13, whose configure links the stdlib into
/// `python.data` (`--preload-file`), zipped by its own wasm_assets.py with the files' mtimes and
/// timestamp-checked `.pyc`: not reproducible. The bundle carries its own zip instead, so make
/// gets LINKFORSHARED without the preload and LIBRARY_DEPS without the upstream page assets.
/// Nothing for other flavours and lines (3.14 on has no preload).
pub fn make_vars(plan: &BuildPlan, build: &std::path::Path) -> anyhow::Result<Vec<String>> {
    if plan.target.runner != crate::target::Runner::Browser {
        return Ok(vec![]);
    }
    Ok(browser_make_vars(&fs::read_to_string(build.join("Makefile"))?))
}

fn browser_make_vars(makefile: &str) -> Vec<String> {
    let value = |name: &str| {
        makefile.lines().find_map(|line| line.strip_prefix(name)?.trim_start().strip_prefix('=')).map(str::trim)
    };
    let mut vars = vec![];
    if let Some(link) = value("LINKFORSHARED").filter(|v| v.contains("--preload-file")) {
        let kept: Vec<&str> = link.split_whitespace().filter(|w| !w.starts_with("--preload-file")).collect();
        vars.push(format!("LINKFORSHARED={}", kept.join(" ")));
    }
    if let Some(deps) = value("LIBRARY_DEPS").filter(|v| v.contains("$(WASM_STDLIB)")) {
        let upstream = ["$(WASM_STDLIB)", "python.html", "python.worker.js"];
        let kept: Vec<&str> = deps.split_whitespace().filter(|w| !upstream.contains(w)).collect();
        vars.push(format!("LIBRARY_DEPS={}", kept.join(" ")));
    }
    vars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_flavour_links_without_the_upstream_preload_and_page() {
        let makefile = "LINKFORSHARED=\t -sMAIN_MODULE --preload-file=$(WASM_ASSETS_DIR) -O2 -g0\n\
                        LIBRARY_DEPS=\t$(PY3LIBRARY) $(WASM_STDLIB) python.html python.worker.js\n";
        assert_eq!(browser_make_vars(makefile), ["LINKFORSHARED=-sMAIN_MODULE -O2 -g0", "LIBRARY_DEPS=$(PY3LIBRARY)"]);
        // 3.14 on (and the node flavour): nothing to take out, nothing passed.
        let node = "LINKFORSHARED=\t -sMAIN_MODULE -sEXIT_RUNTIME -O2 -g0\nLIBRARY_DEPS=\t$(LIBRARY) $(PY3LIBRARY)\n";
        assert!(browser_make_vars(node).is_empty());
    }
}
