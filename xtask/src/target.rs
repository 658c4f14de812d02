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

pub struct Target {
    /// The name used for the build directory and in messages.
    pub name: &'static str,
    pub triple: &'static str,
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
}

pub const WASI: Target = Target {
    name: "wasi",
    triple: "wasm32-wasip1",
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
};

pub const EMSCRIPTEN_BROWSER: Target = Target {
    name: "emscripten-browser",
    runner: Runner::Browser,
    flavour_args: &["--with-emscripten-target=browser"],
    ..EMSCRIPTEN_NODE
};

/// The node target built with pthreads (`--threads`): the interpreter's main thread runs in a
/// worker (-sPROXY_TO_PTHREAD, from configure), threads are more workers, and every object
/// linked into it, the dependencies' too, is compiled with -pthread (shared memory needs atomics
/// in all of them).
pub const EMSCRIPTEN_NODE_THREADS: Target = Target {
    name: "emscripten-node-threads",
    dep_cflags: &["-O2", "-fPIC", "-DWASM_BIGINT", "-pthread"],
    configure_args: EMSCRIPTEN_THREADS_CONFIGURE_ARGS,
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

/// Every target, for tests that check data naming targets.
#[cfg(test)]
pub const ALL: [&Target; 4] = [&WASI, &EMSCRIPTEN_NODE, &EMSCRIPTEN_BROWSER, &EMSCRIPTEN_NODE_THREADS];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_names_are_unique_and_name_their_build_directory() {
        let names: std::collections::BTreeSet<_> = ALL.iter().map(|t| t.name).collect();
        assert_eq!(names.len(), ALL.len());
        assert!(ALL.iter().all(|t| !t.programs.is_empty() && !t.libraries.is_empty()));
    }
}
