//! Targets are data: triple, toolchain kind, dependencies, configure flags and runner. The
//! emscripten targets (node, browser, dynamic linking, pthreads) are new values here, not new
//! drivers. Every stage reads this; it imports none of them.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolchainKind {
    WasiSdk,
    Emscripten,
}

impl ToolchainKind {
    /// The name patch series use for the targets of this toolchain (`targets = ["emscripten"]`).
    pub fn series_name(self) -> &'static str {
        match self {
            ToolchainKind::WasiSdk => "wasi",
            ToolchainKind::Emscripten => "emscripten",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    Wasmtime,
    Node,
    Browser,
}

/// Where the interpreter of a target finds its stdlib.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stdlib {
    /// The source tree's `Lib/`, as a build tree does.
    SourceLib,
    /// The zip of the web bundle (its `bundle.json` names the path inside the interpreter).
    BundleZip,
}

/// How `dist` packages a target's build (dist/layout.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Package {
    /// CPython's own WASI package layout: `bin/pythonX.Y.wasmtime`, `lib/pythonX.Y/lib-wasm/`.
    Wasmtime,
    /// The same layout with the module under Node: `bin/pythonX.Y.node`, the side modules in
    /// `lib-dynload/`.
    Node,
    /// The web bundle as `serve` serves it.
    WebBundle,
}

/// What a built target offers, for the tests and commands that run it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offers {
    /// `sys.platform` of the interpreter.
    pub platform: &'static str,
    pub stdlib: Stdlib,
    /// `_ctypes` (libffi has no WASI port).
    pub ctypes: bool,
    pub threads: bool,
    /// Imports C extensions built as side modules (emscripten dynamic linking).
    pub side_modules: bool,
    /// The extension directory is on the interpreter's path already (the bundle's lib-dynload).
    pub side_modules_installed: bool,
    /// A JS host that can raise KeyboardInterrupt through the signal buffer (`test --suite
    /// interrupt`).
    pub interrupt_host: bool,
    /// Carries CPython's test package (`test --suite full`); the bundle's zip leaves it out.
    pub test_suite: bool,
}

const WASI_OFFERS: Offers = Offers {
    platform: "wasi",
    stdlib: Stdlib::SourceLib,
    ctypes: false,
    threads: false,
    side_modules: false,
    side_modules_installed: false,
    interrupt_host: false,
    test_suite: true,
};

const NODE_OFFERS: Offers =
    Offers { platform: "emscripten", ctypes: true, side_modules: true, interrupt_host: true, ..WASI_OFFERS };

/// A program the machine must have for a target: any one of `programs`, looked up on the PATH
/// every build step gets (process::SYSTEM_PATH).
#[derive(Debug)]
pub struct HostProgram {
    pub programs: &'static [&'static str],
    pub why: &'static str,
    /// The Debian package that provides it.
    pub package: &'static str,
    /// Whether a build cannot go on without it (else only a test needs it).
    pub blocking: bool,
}

/// Free space a target's first build needs, in MB, with the real toolchains: the work dir
/// (sources, trees, the build Python, the target build) and the cache (downloads, the installed
/// toolchain, the library builds). Estimates from measured builds (README, docs/bootstrap.md).
#[derive(Debug, Clone, Copy)]
pub struct Disk {
    pub work_mb: u64,
    pub cache_mb: u64,
}

const MAKE: HostProgram = HostProgram {
    programs: &["make"],
    why: "runs CPython's and the libraries' builds",
    package: "make",
    blocking: true,
};
const NATIVE_CC: HostProgram = HostProgram {
    programs: &["cc", "gcc", "clang"],
    why: "compiles the build Python, which the cross build runs",
    package: "gcc",
    blocking: true,
};
const PYTHON3: HostProgram =
    HostProgram { programs: &["python3"], why: "runs emcc and emscripten's tools", package: "python3", blocking: true };
const CHROMIUM: HostProgram = HostProgram {
    programs: &["chromium", "chromium-browser", "google-chrome"],
    why: "drives the web REPL in a real browser (e2e/browser.mjs); the build and `serve` do not need it",
    package: "chromium",
    blocking: false,
};

#[derive(Debug)]
pub struct Target {
    /// The name used for the build directory and in messages.
    pub name: &'static str,
    pub triple: &'static str,
    pub offers: Offers,
    pub toolchain: ToolchainKind,
    /// The libraries built for this target, by manifest component (recipes in `deps`).
    pub libraries: &'static [&'static str],
    /// Compiler flags for the dependencies.
    pub dep_cflags: &'static [&'static str],
    /// `--host` for a dependency's own configure (what its config.sub knows this target as).
    pub dep_host: &'static str,
    /// CFLAGS for the host configure. Emscripten needs PY_CALL_TRAMPOLINE (bpo-47162), so that
    /// function-pointer casts in C extensions go through the call trampoline.
    pub configure_cflags: &'static [&'static str],
    /// Extra configure arguments after --host/--build/--with-build-python: those of the
    /// toolchain, then those of this flavour of it.
    pub configure_args: &'static [&'static str],
    pub flavour_args: &'static [&'static str],
    /// CONFIG_SITE candidates, relative to the source root; the first that exists is used
    /// (the file moved between CPython lines).
    pub config_site: &'static [&'static str],
    pub runner: Runner,
    /// The interpreter file make produces in the build directory; the first that exists is
    /// used (the name changed between CPython lines).
    pub programs: &'static [&'static str],
    /// The name of this target's pthreads variant (`--threads`), if it has one.
    pub threads_variant: Option<&'static str>,
    pub package: Package,
    /// What the dist archive's name says after the version (`python-3.13.5-wasm32-wasip1`).
    pub dist_name: &'static str,
    /// What the machine must have (doctor, and bootstrap before it downloads anything).
    pub host: &'static [HostProgram],
    pub disk: Disk,
}

pub const WASI: Target = Target {
    name: "wasi",
    triple: "wasm32-wasip1",
    offers: WASI_OFFERS,
    toolchain: ToolchainKind::WasiSdk,
    // libffi has no WASI port: `_ctypes` is not available on WASI.
    libraries: &["zlib", "bzip2", "mpdecimal", "sqlite"],
    dep_cflags: &["-O2", "-fPIC"],
    dep_host: "wasm32-unknown-wasi",
    configure_cflags: &[],
    configure_args: &[],
    flavour_args: &[],
    config_site: &[
        "Platforms/WASI/config.site-wasm32-wasi",
        "Tools/wasm/wasi/config.site-wasm32-wasi",
        "Tools/wasm/config.site-wasm32-wasi",
    ],
    runner: Runner::Wasmtime,
    programs: &["python.wasm"],
    threads_variant: None,
    package: Package::Wasmtime,
    dist_name: "wasm32-wasip1",
    host: &[MAKE, NATIVE_CC],
    disk: Disk { work_mb: 1000, cache_mb: 900 },
};

/// What CPython's own emscripten build passes (Tools/wasm/emscripten, 3.14+).
const EMSCRIPTEN_CONFIGURE_ARGS: &[&str] = &[
    "--without-pymalloc",
    "--disable-shared",
    "--disable-ipv6",
    "--enable-big-digits=30",
    "--enable-wasm-dynamic-linking",
];

pub const EMSCRIPTEN_NODE: Target = Target {
    name: "emscripten-node",
    triple: "wasm32-emscripten",
    offers: NODE_OFFERS,
    toolchain: ToolchainKind::Emscripten,
    libraries: &["zlib", "bzip2", "libffi", "mpdecimal", "sqlite"],
    // CPython's Platforms/emscripten/make_libffi.sh flags, for every library.
    dep_cflags: &["-O2", "-fPIC", "-DWASM_BIGINT"],
    // What CPython's make_libffi.sh passes; libffi's configure.host maps it to its wasm32 port.
    dep_host: "wasm32-unknown-linux",
    configure_cflags: &["-DPY_CALL_TRAMPOLINE"],
    configure_args: EMSCRIPTEN_CONFIGURE_ARGS,
    flavour_args: &["--with-emscripten-target=node"],
    config_site: &[
        "Platforms/emscripten/config.site-wasm32-emscripten",
        "Tools/wasm/emscripten/config.site-wasm32-emscripten",
        "Tools/wasm/config.site-wasm32-emscripten",
    ],
    runner: Runner::Node,
    // 3.13 links python.js; 3.14 and later an ES module.
    programs: &["python.mjs", "python.js"],
    threads_variant: Some("emscripten-node-threads"),
    package: Package::Node,
    dist_name: "wasm32-emscripten-node",
    host: &[MAKE, NATIVE_CC, PYTHON3],
    disk: Disk { work_mb: 1500, cache_mb: 2500 },
};

pub const EMSCRIPTEN_BROWSER: Target = Target {
    name: "emscripten-browser",
    runner: Runner::Browser,
    threads_variant: None,
    offers: Offers { stdlib: Stdlib::BundleZip, side_modules_installed: true, test_suite: false, ..NODE_OFFERS },
    flavour_args: &["--with-emscripten-target=browser"],
    package: Package::WebBundle,
    dist_name: "wasm32-emscripten-browser",
    host: &[MAKE, NATIVE_CC, PYTHON3, CHROMIUM],
    ..EMSCRIPTEN_NODE
};

/// The node target built with pthreads (`--threads`): the interpreter's main thread runs in a
/// worker (-sPROXY_TO_PTHREAD, from configure), threads are more workers, and every object
/// linked into it, the dependencies' too, is compiled with -pthread (shared memory needs atomics
/// in all of them).
pub const EMSCRIPTEN_NODE_THREADS: Target = Target {
    name: "emscripten-node-threads",
    threads_variant: None,
    // The interpreter's main runs in a worker (PROXY_TO_PTHREAD): interrupt.cjs cannot reach it.
    offers: Offers { threads: true, interrupt_host: false, ..NODE_OFFERS },
    dep_cflags: &["-O2", "-fPIC", "-DWASM_BIGINT", "-pthread"],
    configure_args: EMSCRIPTEN_THREADS_CONFIGURE_ARGS,
    dist_name: "wasm32-emscripten-node-threads",
    ..EMSCRIPTEN_NODE
};

const EMSCRIPTEN_THREADS_CONFIGURE_ARGS: &[&str] = &[
    "--without-pymalloc",
    "--disable-shared",
    "--disable-ipv6",
    "--enable-big-digits=30",
    "--enable-wasm-dynamic-linking",
    "--enable-wasm-pthreads",
];

impl Target {
    /// configure's `--host`: the triple, which for WASI is the line's (line.rs).
    pub fn configure_host(&self, profile: &crate::line::Profile) -> &'static str {
        match self.toolchain {
            ToolchainKind::WasiSdk => profile.wasi_host,
            ToolchainKind::Emscripten => self.triple,
        }
    }
}

/// What `bootstrap --target all` builds, in this order.
pub const BUILT: [&Target; 3] = [&WASI, &EMSCRIPTEN_NODE, &EMSCRIPTEN_BROWSER];

/// Every target.
pub const ALL: [&Target; 4] = [&WASI, &EMSCRIPTEN_NODE, &EMSCRIPTEN_BROWSER, &EMSCRIPTEN_NODE_THREADS];

/// The target of a name, as the run record and known-failures.toml store it.
pub fn by_name(name: &str) -> Option<&'static Target> {
    ALL.into_iter().find(|t| t.name == name)
}

/// A target in a record: stored by its name, read back as the target.
pub mod as_name {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(target: &&'static super::Target, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(target.name)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static super::Target, D::Error> {
        let name = String::deserialize(d)?;
        super::by_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format!("`{name}` is not a target of this version: run bootstrap again"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_names_are_unique_and_name_their_build_directory() {
        let names: std::collections::BTreeSet<_> = ALL.iter().map(|t| t.name).collect();
        assert_eq!(names.len(), ALL.len());
        assert!(ALL.iter().all(|t| !t.programs.is_empty() && !t.libraries.is_empty()));
        assert!(ALL.iter().all(|t| by_name(t.name).is_some_and(|found| found.name == t.name)));
        for variant in ALL.iter().filter_map(|t| t.threads_variant) {
            assert!(by_name(variant).is_some_and(|v| v.offers.threads), "{variant}");
        }
    }

    #[test]
    fn what_a_target_offers_follows_its_toolchain_and_flavour() {
        for target in ALL {
            let emscripten = target.toolchain == ToolchainKind::Emscripten;
            assert_eq!(target.offers.ctypes, emscripten, "{}", target.name);
            assert_eq!(target.offers.side_modules, emscripten, "{}", target.name);
            assert_eq!(target.offers.test_suite, target.offers.stdlib == Stdlib::SourceLib, "{}", target.name);
        }
        let threads: Vec<&str> = ALL.iter().filter(|t| t.offers.threads).map(|t| t.name).collect();
        assert_eq!(threads, ["emscripten-node-threads"]);
        let zipped: Vec<&str> = ALL.iter().filter(|t| t.offers.stdlib == Stdlib::BundleZip).map(|t| t.name).collect();
        assert_eq!(zipped, ["emscripten-browser"]);
    }
}
