//! What goes where in a dist: CPython's own WASI package layout (Platforms/WASI, main), the same
//! for Node, or the web bundle. Every file the build wrote that can name a host directory
//! (`_sysconfigdata`, python-config, the pkg-config files) is rewritten through the build's
//! [`PathMap`]; files from the source tree are taken as they are.

use std::path::{Path, PathBuf};

use anyhow::Context;
use fs_err as fs;

use crate::line::{Profile, PythonLine};
use crate::target::Package;
use crate::text::printable;
use crate::text::PathText;
use crate::workdir::{PathMap, RunnerCommand};

/// One member of the package, by its path below the top directory (`/`-separated).
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: String,
    pub content: Content,
}

#[derive(Debug, Clone)]
pub enum Content {
    File {
        from: PathBuf,
        executable: bool,
    },
    Bytes {
        bytes: Vec<u8>,
        executable: bool,
    },
    /// A relative symbolic link.
    Link(String),
    /// An empty directory (other directories come with their files).
    Dir,
}

/// Where a build's parts are.
pub struct Sources<'a> {
    /// The target build directory (`WORK/<target>`).
    pub build: &'a Path,
    /// The series tree the build used.
    pub tree: &'a Path,
    pub runner: &'a RunnerCommand,
    pub paths: &'a PathMap,
    pub line: PythonLine,
    pub profile: &'a Profile,
    /// The web bundle (browser only).
    pub bundle: &'a Path,
}

pub fn entries(package: Package, s: &Sources) -> anyhow::Result<Vec<Entry>> {
    let mut out = Out(vec![]);
    match package {
        Package::WebBundle => {
            tree_files(s.bundle, "", &mut out)?;
            out.file("LICENSE.txt", s.tree.join("LICENSE"));
        }
        Package::Wasmtime | Package::Node => installed(package, s, &mut out)?,
    }
    out.0.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out.0)
}

struct Out(Vec<Entry>);

impl Out {
    fn file(&mut self, path: impl Into<String>, from: PathBuf) {
        self.0.push(Entry { path: path.into(), content: Content::File { from, executable: false } });
    }
    fn bytes(&mut self, path: impl Into<String>, bytes: Vec<u8>, executable: bool) {
        self.0.push(Entry { path: path.into(), content: Content::Bytes { bytes, executable } });
    }
    fn link(&mut self, path: impl Into<String>, to: &str) {
        self.0.push(Entry { path: path.into(), content: Content::Link(to.to_owned()) });
    }
}

/// The layout of an installed Python (`bin/`, `etc/`, `include/`, `lib/`, `share/`).
fn installed(package: Package, s: &Sources, out: &mut Out) -> anyhow::Result<()> {
    let (major, xy) = (s.line.major, s.line.to_string());
    let py = format!("python{xy}");
    let lib = format!("lib/{py}");
    let rewritten = |path: &Path| -> anyhow::Result<Vec<u8>> {
        let text = fs::read_to_string(path).with_context(|| format!("package {}", path.shown()))?;
        let python = path.extension().is_some_and(|e| e == "py");
        Ok(if python { s.paths.rewrite_python(&text) } else { s.paths.rewrite(&text) }.into_bytes())
    };

    out.bytes(format!("bin/{py}-config"), rewritten(&s.build.join("Misc/python-config.sh"))?, true);
    out.link(format!("bin/python{major}-config"), &format!("{py}-config"));
    let launcher = match package {
        Package::Wasmtime => {
            let config = s.tree.join("Platforms/WASI/wasmtime.toml");
            let config = match config.is_file() {
                true => fs::read(&config)?,
                false => format!("[wasm]\nmax-wasm-stack = {}\n", s.profile.wasi_stack).into_bytes(),
            };
            out.bytes(format!("etc/{py}/wasmtime.toml"), config, false);
            out.file(format!("{lib}/lib-wasm/{py}.wasm"), s.runner.module.clone());
            (format!("{py}.wasmtime"), wasmtime_script(&xy))
        }
        _ => {
            let started = node_files(s, &lib, out)?;
            (format!("{py}.node"), node_script(&xy, &s.runner.args, &started, !s.runner.entry.is_empty()))
        }
    };
    out.bytes(format!("bin/{}", launcher.0), launcher.1.into_bytes(), true);
    out.link(format!("bin/python{major}.{}", launcher.0.rsplit('.').next().unwrap_or_default()), &launcher.0);

    out.file(format!("include/{py}/pyconfig.h"), s.build.join("pyconfig.h"));
    tree_files(&s.tree.join("Include"), &format!("include/{py}/"), out)?;
    out.file(format!("{lib}/LICENSE.txt"), s.tree.join("LICENSE"));
    tree_files(&s.tree.join("Lib"), &format!("{lib}/"), out)?;
    let dynload = format!("{lib}/lib-dynload");
    let mut shared_modules = 0;
    for (path, name, is_link) in build_dir_files(s.build)? {
        match is_link {
            // The build directory links its shared modules (emscripten's side modules).
            true if package == Package::Node => {
                out.file(format!("{dynload}/{name}"), fs::canonicalize(&path)?);
                shared_modules += 1;
            }
            true => {}
            false => out.bytes(format!("{lib}/{name}"), rewritten(&path)?, false),
        }
    }
    if shared_modules == 0 {
        out.0.push(Entry { path: dynload, content: Content::Dir });
    }

    for (suffix, from) in [("", "python.pc"), ("-embed", "python-embed.pc")] {
        out.bytes(format!("lib/pkgconfig/python-{xy}{suffix}.pc"), rewritten(&s.build.join("Misc").join(from))?, false);
        out.link(format!("lib/pkgconfig/python{major}{suffix}.pc"), &format!("python-{xy}{suffix}.pc"));
    }
    out.file(format!("share/man/man1/{py}.1"), s.tree.join("Misc/python.man"));
    out.link(format!("share/man/man1/python{major}.1"), &format!("{py}.1"));
    Ok(())
}

/// The module, its wasm and the node entry (3.14 on) into `lib-wasm/`; returns the file Node
/// starts.
fn node_files(s: &Sources, lib: &str, out: &mut Out) -> anyhow::Result<String> {
    let module = &s.runner.module;
    let mut files = vec![module.clone(), module.with_extension("wasm")];
    let entry = s.runner.entry.first().map(PathBuf::from);
    files.extend(entry.clone());
    for file in files {
        out.file(format!("{lib}/lib-wasm/{}", name(&file)?), file);
    }
    name(&entry.unwrap_or_else(|| module.clone()))
}

/// The files of `build`'s `pybuilddir.txt` directory, as (path, name, is a link): the
/// sysconfig data and build details, and the links to shared modules.
fn build_dir_files(build: &Path) -> anyhow::Result<Vec<(PathBuf, String, bool)>> {
    let named = fs::read_to_string(build.join("pybuilddir.txt"))?;
    let dir = build.join(named.trim());
    let mut found = vec![];
    for entry in fs::read_dir(&dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_file() || kind.is_symlink() {
            found.push((entry.path(), name(&entry.path())?, kind.is_symlink()));
        }
    }
    found.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(found)
}

/// Every regular file under `dir` (no `__pycache__`), as `prefix` + its relative path.
fn tree_files(dir: &Path, prefix: &str, out: &mut Out) -> anyhow::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = name(&path)?;
        let kind = entry.file_type()?;
        if kind.is_dir() && name != "__pycache__" {
            tree_files(&path, &format!("{prefix}{name}/"), out)?;
        } else if kind.is_file() {
            let executable = std::os::unix::fs::PermissionsExt::mode(&entry.metadata()?.permissions()) & 0o111 != 0;
            out.0.push(Entry { path: format!("{prefix}{name}"), content: Content::File { from: path, executable } });
        }
    }
    Ok(())
}

fn name(path: &Path) -> anyhow::Result<String> {
    let name = path.file_name().unwrap_or_default();
    let text = name.to_str().filter(|n| !n.contains(['\n', '\\']));
    text.map(str::to_owned)
        .with_context(|| format!("{} has a name a package cannot carry; rename or remove it", printable(&path.plain())))
}

/// `bin/pythonX.Y.wasmtime`: upstream's wrapper, which finds the package from its own path.
fn wasmtime_script(xy: &str) -> String {
    format!(
        "#!/bin/sh\n\
         # Runs the packaged interpreter under wasmtime (on PATH), the host's / visible to it.\n\
         set -eu\n\n\
         script_dir=$(CDPATH= cd \"$(dirname \"$0\")\" && pwd -P)\n\
         root=$(CDPATH= cd \"$script_dir/..\" && pwd -P)\n\
         wasm_file=\"$root/lib/python{xy}/lib-wasm/python{xy}.wasm\"\n\n\
         exec wasmtime run \\\n    --argv0 \"$wasm_file\" \\\n    --config \"$root/etc/python{xy}/wasmtime.toml\" \\\n    --dir \"/\" \\\n    \"$wasm_file\" \"$@\"\n"
    )
}

/// `bin/pythonX.Y.node`: the module under Node (on PATH) with the build's Node flags. The
/// interpreter takes its own location from the script that started it.
fn node_script(xy: &str, flags: &[String], started: &str, entry: bool) -> String {
    let flags: String = flags.iter().map(|f| format!("{} ", crate::process::shell_quote(f))).collect();
    let this_program = if entry { " --this-program=\"$0\"" } else { "" };
    format!(
        "#!/bin/sh\n\
         # Runs the packaged interpreter under Node (on PATH); the host's files are its files.\n\
         set -eu\n\n\
         script_dir=$(CDPATH= cd \"$(dirname \"$0\")\" && pwd -P)\n\
         root=$(CDPATH= cd \"$script_dir/..\" && pwd -P)\n\n\
         exec node {flags}\"$root/lib/python{xy}/lib-wasm/{started}\"{this_program} \"$@\"\n"
    )
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A build directory and a tree with one file of each kind the layout takes, under
    /// `root/work` (the sysconfig data names `root/cache` and the tree).
    pub fn fake_build(root: &Path) -> (PathBuf, PathBuf) {
        let (build, tree) = (root.join("work/wasi"), root.join("work/trees/wasi"));
        let files = [
            (build.join("Misc/python-config.sh"), "prefix_build=\"/usr/local\"\n"),
            (build.join("Misc/python.pc"), "prefix=/usr/local\n"),
            (build.join("Misc/python-embed.pc"), "prefix=/usr/local\n"),
            (build.join("pyconfig.h"), "#define X 1\n"),
            (build.join("pybuilddir.txt"), "build/lib.wasi-wasm32-3.13\n"),
            (build.join("python.wasm"), "\0asm"),
            (tree.join("Include/Python.h"), ""),
            (tree.join("Include/cpython/object.h"), ""),
            (tree.join("Lib/os.py"), ""),
            (tree.join("Lib/json/__init__.py"), ""),
            (tree.join("Lib/__pycache__/os.cpython-313.pyc"), ""),
            (tree.join("LICENSE"), ""),
            (tree.join("Misc/python.man"), ""),
        ];
        for (path, text) in files {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        let data = build.join("build/lib.wasi-wasm32-3.13/_sysconfigdata__wasi_wasm32-wasi.py");
        fs::create_dir_all(data.parent().unwrap()).unwrap();
        let cache = root.join("cache");
        let text = format!(
            "build_time_vars = {{'CC': '{}/toolchains/wasi-sdk/bin/clang', 'srcdir': '{}'}}\n",
            cache.shown(),
            tree.shown()
        );
        fs::write(data, text).unwrap();
        (build, tree)
    }

    #[test]
    fn the_wasi_package_has_upstreams_layout_and_no_host_path() {
        let dir = tempfile::tempdir().unwrap();
        let (build, tree) = fake_build(dir.path());
        let runner = RunnerCommand { module: build.join("python.wasm"), ..Default::default() };
        let paths = PathMap::new(
            &dir.path().join("work"),
            &dir.path().join("cache"),
            &dir.path().join("cache/deps"),
            &dir.path().join("cache/toolchains"),
        );
        let line = PythonLine { major: 3, minor: 13 };
        let profile = crate::line::profile(line).unwrap();
        let sources = Sources {
            build: &build,
            tree: &tree,
            runner: &runner,
            paths: &paths,
            line,
            profile,
            bundle: Path::new("/none"),
        };
        let entries = entries(Package::Wasmtime, &sources).unwrap();
        let shown: Vec<String> = entries
            .iter()
            .map(|e| match &e.content {
                Content::Link(to) => format!("{} -> {to}", e.path),
                Content::Dir => format!("{}/", e.path),
                _ => e.path.clone(),
            })
            .collect();
        // Platforms/WASI/_package.py (CPython main): gather() for a release build of 3.13.
        let upstream = [
            "bin/python3-config -> python3.13-config",
            "bin/python3.13-config",
            "bin/python3.13.wasmtime",
            "bin/python3.wasmtime -> python3.13.wasmtime",
            "etc/python3.13/wasmtime.toml",
            "include/python3.13/Python.h",
            "include/python3.13/cpython/object.h",
            "include/python3.13/pyconfig.h",
            "lib/pkgconfig/python-3.13-embed.pc",
            "lib/pkgconfig/python-3.13.pc",
            "lib/pkgconfig/python3-embed.pc -> python-3.13-embed.pc",
            "lib/pkgconfig/python3.pc -> python-3.13.pc",
            "lib/python3.13/LICENSE.txt",
            "lib/python3.13/_sysconfigdata__wasi_wasm32-wasi.py",
            "lib/python3.13/json/__init__.py",
            "lib/python3.13/lib-dynload/",
            "lib/python3.13/lib-wasm/python3.13.wasm",
            "lib/python3.13/os.py",
            "share/man/man1/python3.1 -> python3.13.1",
            "share/man/man1/python3.13.1",
        ];
        assert_eq!(shown, upstream);
        let data = entries.iter().find(|e| e.path.ends_with("_sysconfigdata__wasi_wasm32-wasi.py")).unwrap();
        let Content::Bytes { bytes, .. } = &data.content else { panic!("rewritten") };
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(
            text,
            "build_time_vars = {'CC': '/xtask-toolchains/wasi-sdk/bin/clang', 'srcdir': '/xtask-work/trees/wasi'}\n"
        );
        let stack = entries.iter().find(|e| e.path == "etc/python3.13/wasmtime.toml").unwrap();
        let Content::Bytes { bytes, .. } = &stack.content else { panic!("written") };
        assert_eq!(String::from_utf8_lossy(bytes), format!("[wasm]\nmax-wasm-stack = {}\n", profile.wasi_stack));
    }

    #[test]
    fn the_wasmtime_wrapper_is_upstreams_command() {
        let script = wasmtime_script("3.13");
        assert!(script.contains("--argv0 \"$wasm_file\""));
        assert!(script.contains("--config \"$root/etc/python3.13/wasmtime.toml\""));
        assert!(script.contains("wasm_file=\"$root/lib/python3.13/lib-wasm/python3.13.wasm\""));
    }
}
