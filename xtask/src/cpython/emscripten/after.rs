//! What the emscripten driver does after make: refuses a build that downloaded ports, copies the
//! node entry next to the module, builds the side module (extension.rs), and for the browser
//! assembles the web bundle (crate::web).

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::probe;
use crate::cpython::steps::Steps;
use crate::cpython::{extension, stamp};
use crate::files::{self, sha256_file};
use crate::process::Env;
use crate::source::{fingerprint, SourceTree};
use crate::text::PathText;
use crate::toolchains::emscripten::Emscripten;
use crate::web;
use crate::workdir::{PathMap, WorkDir};

pub struct AfterMake<'a> {
    pub work: &'a WorkDir,
    pub tree: &'a SourceTree,
    /// The bundle's stdlib zip name (the line's).
    pub zip_name: String,
    /// The environment of the build Python, which compiles the bundle's stdlib.
    pub base: &'a Env,
    pub make_env: &'a Env,
    /// The build's host directories and their stable names, for the sysconfig data it ships.
    pub paths: &'a PathMap,
}

/// What the steps after make need to know of its result, read once: the module's wasm digest,
/// and from the Makefile (expanded by make) the extension suffix and the prefix compiled into
/// getpath (3.14 on set `host_prefix`, `/` on emscripten, apart from the install prefix; 3.13
/// has only `prefix`).
pub struct Built {
    module: PathBuf,
    wasm_digest: String,
    ext_suffix: String,
    prefix: String,
}

impl AfterMake<'_> {
    pub fn no_ports_downloaded(&self, emscripten: &Emscripten) -> anyhow::Result<()> {
        let ports = emscripten.downloaded_ports();
        if !ports.is_empty() {
            anyhow::bail!(
                "emcc downloaded ports during the build ({}, in {}): a library configure took from a port instead of the dependency stage; remove them and report this",
                ports.join(", "),
                emscripten.ports_dir().shown()
            );
        }
        Ok(())
    }

    /// Copies the node entry files of the tree next to the module (after make: `make clean` would
    /// not remove them, and a changed tree brings its new ones).
    pub fn install_node_entry(&self) -> anyhow::Result<()> {
        for name in probe::node_entry(&self.tree.root) {
            let text = fs_err::read(self.tree.root.join(probe::ENTRY_DIR).join(name))?;
            files::write_atomic(&self.work.target_build.join(name), text)?;
        }
        Ok(())
    }

    pub fn read_build(&self, module: &Path) -> anyhow::Result<Built> {
        let names = ["EXT_SUFFIX", "host_prefix", "prefix"];
        let [ext_suffix, host_prefix, prefix] =
            extension::makefile_values(&self.work.target_build, self.make_env, &names)?
                .try_into()
                .map_err(|_| anyhow::anyhow!("make printed the wrong number of values"))?;
        let prefix = [host_prefix, prefix].into_iter().find(|v| !v.is_empty()).unwrap_or_else(|| "/".into());
        let wasm_digest = sha256_file(&module.with_extension("wasm"))?;
        Ok(Built { module: module.to_owned(), wasm_digest, ext_suffix, prefix })
    }

    /// The side module (extension.rs), rebuilt when the interpreter or its source changes.
    pub fn extension(&self, steps: &mut Steps, host_key: &str, built: &Built) -> anyhow::Result<PathBuf> {
        let (build, out) = (&self.work.target_build, self.work.extension_dir());
        let key = stamp::key([host_key, &built.wasm_digest, extension::SOURCE]);
        steps.step("extension", &key, |log| extension::build(build, &out, self.make_env, log).map(drop))?;
        Ok(out.join(format!("{}{}", extension::NAME, built.ext_suffix)))
    }

    /// The browser target's web bundle, rebuilt when the interpreter, the extension, the source
    /// tree or the page changes.
    pub fn web_bundle(&self, steps: &mut Steps, host_key: &str, built: &Built, extension: &Path) -> anyhow::Result<()> {
        let (work, tree) = (self.work, self.tree);
        let module = built.module.as_path();
        let digests = [sha256_file(module)?, built.wasm_digest.clone(), sha256_file(extension)?];
        let page = web::shipped_texts();
        let parts = [host_key, &fingerprint(&tree.root)?, &page, &built.prefix];
        let key = stamp::key(parts.into_iter().chain(digests.iter().map(String::as_str)));
        let sysconfigdata = self.stable_sysconfigdata()?;
        let extensions = [extension.to_owned()];
        let inputs = web::Inputs {
            module,
            version: tree.line,
            zip_name: self.zip_name.clone(),
            prefix: &built.prefix,
            lib: &tree.root.join("Lib"),
            sysconfigdata: &sysconfigdata,
            extensions: &extensions,
        };
        let scratch = work.target_build.join("web-stdlib");
        let python = work.build_python.join("python");
        let compiler = web::stdlib::StdlibCompiler { python: &python, scratch: &scratch, env: self.base };
        let bundle = work.web_bundle();
        steps.step("web bundle", &key, |log| {
            let zip = web::assemble(&bundle, &inputs, &compiler)?;
            let line = format!("{} modules in {} ({} as {})", zip.entries, zip.path.shown(), zip.name, zip.inside);
            fs_err::write(log, format!("{line}\n")).context("write the web bundle's log")?;
            eprintln!("build: web bundle: {line}");
            Ok(())
        })?;
        Ok(())
    }

    /// The build's sysconfig data with the host directories replaced by their stable names
    /// (workdir::PathMap), written beside the build for the bundle: what a page ships does not
    /// depend on where the work dir or the cache was.
    fn stable_sysconfigdata(&self) -> anyhow::Result<Vec<PathBuf>> {
        let dir = self.work.target_build.join("web-sysconfig");
        let mut stable = vec![];
        for file in web::sysconfigdata(&self.work.target_build)? {
            let text = fs_err::read_to_string(&file)?;
            let copy = dir.join(web::name_of(&file));
            files::write_atomic(&copy, self.paths.rewrite_python(&text))?;
            stable.push(copy);
        }
        Ok(stable)
    }
}
