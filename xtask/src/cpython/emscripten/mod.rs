//! The emscripten driver: emconfigure and make with the pinned emscripten, Node as the runner.
//! With `--with-emscripten-target=node` (3.13) CPython links with NODERAWFS, so the interpreter
//! sees the host's files and finds its stdlib in the build tree, as a native build does; from
//! 3.14 on CPython's node entry mounts the host's directories. After make (after.rs): the ports
//! check, the node entry, the side module and, for the browser, the web bundle.

mod after;
mod probe;

use std::path::{Path, PathBuf};

use super::env::{library_flags, libs_variables, module};
use super::steps::Steps;
use super::{BuildPlan, Driver};
use crate::compiler_cache::CompilerCache;
use crate::deps::Library;
use crate::line::Profile;
use crate::process::{Cmd, Env};
use crate::source::SourceTree;
use crate::target::{Runner, Target};
use crate::text::PathText;
use crate::toolchains::emscripten::Emscripten as Toolchain;
use crate::toolchains::node::Node;
use crate::workdir::{PathMap, RunnerCommand, WorkDir};

pub struct Emscripten<'a> {
    work: &'a WorkDir,
    tree: &'a SourceTree,
    target: &'static Target,
    profile: &'static Profile,
    libraries: &'a [Library],
    emscripten: &'a Toolchain,
    node: &'a Node,
    base: Env,
    paths: &'a PathMap,
}

impl<'a> Emscripten<'a> {
    pub fn new(work: &'a WorkDir, plan: &BuildPlan<'a>, emscripten: &'a Toolchain, node: &'a Node, base: Env) -> Self {
        let (tree, target, profile, libraries) = (plan.source, plan.target, plan.profile, plan.libraries);
        Emscripten { work, tree, target, profile, libraries, emscripten, node, base, paths: plan.paths }
    }
}

impl Driver for Emscripten<'_> {
    fn runner(&self) -> RunnerCommand {
        let work = self.work;
        let mut args: Vec<String> = self.profile.node_flags.iter().map(|f| f.to_string()).collect();
        let mut entry = vec![];
        if let Some(entry_file) = probe::node_entry(&self.tree.root).first() {
            // Node 24 has JSPI behind this flag (later releases have it on, earlier ones a
            // different API); CPython's own python.sh passes it on 24 only.
            if self.node.major == 24 {
                args.push("--experimental-wasm-jspi".into());
            }
            entry.push(work.target_build.join(entry_file).plain());
            entry.push(format!("--this-program={}", work.python_sh().plain()));
        }
        let module = module(work, self.target.programs);
        RunnerCommand { program: self.node.binary.clone(), args, module, entry, ..Default::default() }
    }

    fn configure_env(&self, runner: &RunnerCommand) -> Env {
        let mut env = self.emscripten.env(self.node, &self.base);
        env.insert("HOSTRUNNER".into(), runner.command_line());
        // emconfigure puts the sysroot's pkg-config directories first; nothing of the host's.
        env.insert("EM_PKG_CONFIG_PATH".into(), String::new());
        env.insert("PKG_CONFIG_PATH".into(), String::new());
        // Every library configure would take from an emscripten port (zlib, bzip2, sqlite3) has
        // its flags set here, from the dependency stage: emcc is never asked for a port, which it
        // would download in the middle of the build.
        env.extend(main_module_library_flags(self.libraries, self.profile.emscripten_ldflags));
        env
    }

    /// emcc runs its clang through EM_COMPILER_WRAPPER: ccache then sees a plain clang call.
    fn cached_env(&self, cache: &CompilerCache) -> Env {
        Env::from([("EM_COMPILER_WRAPPER".to_owned(), cache.program.plain())])
    }

    fn configure_program(&self, dir: &Path, env: &Env) -> Cmd {
        Cmd::new(self.emscripten.tool("emconfigure"), dir, env).arg("/bin/sh")
    }

    /// The flavour option (`--with-emscripten-target=node|browser`), where the tree's configure
    /// still has it: 3.14 dropped it (one build serves node and the browser).
    fn configure_args(&self) -> anyhow::Result<Vec<String>> {
        let knows = probe::has_flavour_option(&self.tree.root)?;
        let flavour = if knows { self.target.flavour_args } else { &[] };
        Ok(flavour.iter().map(|arg| arg.to_string()).collect())
    }

    /// From 3.14 on, make's default goal on emscripten also builds CPython's web example, and its
    /// rule for `web_example/python.mjs` copies into `web_example/` without creating it: only
    /// another rule's `mkdir -p`, run first by luck of a parallel make, makes it work (with
    /// `make -j1` it fails: "cp: cannot create regular file 'web_example/python.mjs'", seen on
    /// the 3.15 branch). The directory is made before make.
    fn before_make(&self) -> anyhow::Result<()> {
        fs_err::create_dir_all(self.work.target_build.join("web_example"))?;
        Ok(())
    }

    /// For the browser flavour of 3.13, whose configure links the stdlib into `python.data`
    /// (`--preload-file`), zipped by its own wasm_assets.py with the files' mtimes and
    /// timestamp-checked `.pyc`: not reproducible. The bundle carries its own zip instead, so
    /// make gets LINKFORSHARED without the preload and LIBRARY_DEPS without the upstream page
    /// assets. Nothing for other flavours and lines (3.14 on has no preload).
    fn make_vars(&self, build: &Path) -> anyhow::Result<Vec<String>> {
        if self.target.runner != Runner::Browser {
            return Ok(vec![]);
        }
        Ok(browser_make_vars(&fs_err::read_to_string(build.join("Makefile"))?))
    }

    fn after_make(
        &self,
        steps: &mut Steps,
        host_key: &str,
        make_env: &Env,
        runner: RunnerCommand,
    ) -> anyhow::Result<RunnerCommand> {
        let after = after::AfterMake {
            work: self.work,
            tree: self.tree,
            zip_name: self.profile.zip_name.of(self.tree.line),
            base: &self.base,
            make_env,
            paths: self.paths,
        };
        after.no_ports_downloaded(self.emscripten)?;
        after.install_node_entry()?;
        let built = after.read_build(&runner.module)?;
        let extension = after.extension(steps, host_key, &built)?;
        if self.target.runner != Runner::Browser {
            return Ok(runner);
        }
        after.web_bundle(steps, host_key, &built, &extension)?;
        let runner_file = browser_node_runner(self.work);
        crate::files::write_atomic(&runner_file, crate::web::NODE_RUNNER)?;
        crate::files::write_atomic(&runner_file.with_file_name(crate::web::EMBED_FILE), crate::web::EMBED)?;
        Ok(browser_runner(self.work, self.node, &runner.module))
    }
}

/// The libraries for a MAIN_MODULE link. `--enable-wasm-dynamic-linking` links python.js with
/// -sMAIN_MODULE, and emcc then wraps the whole link line in --whole-archive: an archive named
/// twice defines each of its symbols twice, and zlib is named by both the zlib and the binascii
/// module (configure copies ZLIB_LIBS into BINASCII_LIBS). So every library is named once, in
/// LIBS, with its directory in LDFLAGS; `<NAME>_CFLAGS` point at the headers, and an empty
/// `<NAME>_LIBS` (set, so configure uses neither pkg-config's answer nor emscripten's port)
/// keeps the modules from naming it again. `line_ldflags` are the line's own (line.rs).
fn main_module_library_flags(libraries: &[Library], line_ldflags: &[&str]) -> Env {
    let mut flags = library_flags(libraries);
    for name in libraries.iter().flat_map(libs_variables) {
        flags.insert(name, String::new());
    }
    let mut ldflags: Vec<String> = libraries.iter().map(|l| format!("-L{}", l.prefix.join("lib").plain())).collect();
    ldflags.extend(line_ldflags.iter().map(|f| f.to_string()));
    flags.insert("LDFLAGS".into(), ldflags.join(" "));
    flags.insert("LIBS".into(), libraries.iter().map(|l| l.cpython.link).collect::<Vec<_>>().join(" "));
    flags
}

/// The runner of the browser target: Node running the web bundle as the page's worker sets it up
/// (`bundle-run.mjs WEB_DIR`), so `run` and the smoke test load what the page loads. Its module
/// is the bundle's copy of the one make built.
fn browser_runner(work: &WorkDir, node: &Node, built: &Path) -> RunnerCommand {
    RunnerCommand {
        program: node.binary.clone(),
        args: vec![],
        module: work.web_bundle().join(built.file_name().unwrap_or_default()),
        entry: vec![browser_node_runner(work).plain(), work.web_bundle().plain()],
        ..Default::default()
    }
}

fn browser_node_runner(work: &WorkDir) -> PathBuf {
    work.target_build.join("bundle-run.mjs")
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
