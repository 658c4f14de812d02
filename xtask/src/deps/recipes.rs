//! The recipes: each library's source, how it is built and what it installs, as data.

pub struct Recipe {
    /// The manifest component holding the source.
    pub component: &'static str,
    /// The archive installed into `lib/`.
    pub library: &'static str,
    pub build: Build,
    /// How CPython's configure takes the built library.
    pub cpython: ForCPython,
}

/// A library as CPython's configure sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForCPython {
    /// The prefix of its variables: `ZLIB` for ZLIB_CFLAGS and ZLIB_LIBS.
    pub variable: &'static str,
    /// Its link flag.
    pub link: &'static str,
    /// More variables configure reads the link flags from (3.11 and 3.12 read LIBMPDEC_LDFLAGS;
    /// later lines LIBMPDEC_LIBS).
    pub more_libs_variables: &'static [&'static str],
    /// configure options that choose the built library over a bundled copy.
    pub configure_args: &'static [&'static str],
}

const fn for_cpython(variable: &'static str, link: &'static str) -> ForCPython {
    ForCPython { variable, link, more_libs_variables: &[], configure_args: &[] }
}

pub enum Build {
    /// The sources are compiled one by one with the target's compiler, no build system.
    Sources {
        sources: &'static [&'static str],
        headers: &'static [&'static str],
        /// What the library's own configure would define.
        defines: &'static [&'static str],
        /// Files of ours written into the source before it is compiled (name, text).
        own: &'static [(&'static str, &'static str)],
    },
    /// The library's own configure (`--host`, static only), then make.
    Configure {
        args: &'static [&'static str],
        /// Variables for configure, beside CC, CFLAGS, AR and RANLIB.
        vars: &'static [(&'static str, &'static str)],
        /// Added to CFLAGS.
        defines: &'static [&'static str],
        /// Directory and targets for make.
        make: (&'static str, &'static [&'static str]),
        /// Where make leaves the archive, relative to the source.
        archive: &'static str,
        /// Headers to install (relative to the source; installed under their file name).
        headers: &'static [&'static str],
    },
}

impl Recipe {
    /// Everything of the recipe that decides its output, for the cache key. For Sources the
    /// order is sources, headers, defines, then our own files' names and texts (keys of existing
    /// caches depend on it).
    pub fn key_parts(&self) -> Vec<&'static str> {
        match &self.build {
            Build::Sources { sources, headers, defines, own } => {
                let files = own.iter().flat_map(|(name, text)| [*name, *text]);
                sources.iter().chain(headers.iter()).chain(defines.iter()).copied().chain(files).collect()
            }
            Build::Configure { args, vars, defines, make, archive, headers } => {
                let mut parts = vec!["configure"];
                parts.extend(args.iter().chain(defines.iter()).copied());
                for (name, value) in vars.iter() {
                    parts.extend([*name, *value]);
                }
                parts.push(make.0);
                parts.extend(make.1.iter().copied());
                parts.push(archive);
                parts.extend(headers.iter().copied());
                parts
            }
        }
    }
}

pub const ZLIB: Recipe = Recipe {
    component: "zlib",
    cpython: for_cpython("ZLIB", "-lz"),
    library: "libz.a",
    build: Build::Sources {
        sources: &[
            "adler32.c",
            "compress.c",
            "crc32.c",
            "deflate.c",
            "gzclose.c",
            "gzlib.c",
            "gzread.c",
            "gzwrite.c",
            "infback.c",
            "inffast.c",
            "inflate.c",
            "inftrees.c",
            "trees.c",
            "uncompr.c",
            "zutil.c",
        ],
        headers: &["zlib.h", "zconf.h"],
        // zlib's configure defines this where unistd.h exists; gzlib.c needs lseek from it.
        defines: &["-DHAVE_UNISTD_H"],
        own: &[],
    },
};

pub const BZIP2: Recipe = Recipe {
    component: "bzip2",
    cpython: for_cpython("BZIP2", "-lbz2"),
    library: "libbz2.a",
    build: Build::Sources {
        sources: &["blocksort.c", "huffman.c", "crctable.c", "randtable.c", "compress.c", "decompress.c", "bzlib.c"],
        headers: &["bzlib.h"],
        defines: &[],
        own: &[],
    },
};

/// libmpdec through its own configure, which writes mpdecimal.h for the machine: `ansi32` is
/// the portable 32-bit configuration (no assembly, no 128-bit type), what wasm32 is. Its
/// default trap handler raises SIGFPE: WASI has signals only as an emulation, which CPython's
/// WASI build links (-lwasi-emulated-signal); the define is inert on emscripten.
pub const MPDECIMAL: Recipe = Recipe {
    component: "mpdecimal",
    // --with-system-libmpdec is the default from 3.13 on; 3.11 and 3.12 would use their copy.
    cpython: ForCPython {
        variable: "LIBMPDEC",
        link: "-lmpdec",
        more_libs_variables: &["LIBMPDEC_LDFLAGS"],
        configure_args: &["--with-system-libmpdec"],
    },
    library: "libmpdec.a",
    build: Build::Configure {
        args: &["--disable-shared", "--disable-cxx"],
        vars: &[("MACHINE", "ansi32")],
        defines: &["-D_WASI_EMULATED_SIGNAL"],
        make: ("libmpdec", &["libmpdec.a"]),
        archive: "libmpdec/libmpdec.a",
        headers: &["libmpdec/mpdecimal.h"],
    },
};

/// libffi as CPython's Platforms/emscripten/make_libffi.sh builds it (emscripten only: libffi
/// has no WASI port), plus the two headers that script copies by hand.
pub const LIBFFI: Recipe = Recipe {
    component: "libffi",
    cpython: for_cpython("LIBFFI", "-lffi"),
    library: "libffi.a",
    build: Build::Configure {
        args: &[
            "--enable-static",
            "--disable-shared",
            "--disable-dependency-tracking",
            "--disable-builddir",
            "--disable-multi-os-directory",
            "--disable-raw-api",
            "--disable-docs",
        ],
        vars: &[],
        defines: &[],
        make: (".", &[]),
        archive: ".libs/libffi.a",
        headers: &["include/ffi.h", "include/ffitarget.h", "fficonfig.h", "include/ffi_common.h"],
    },
};

/// The sqlite amalgamation: one file. No threads (neither target has them by default), no
/// loadable extensions (no dlopen on WASI; on emscripten they would be side modules, which
/// CPython's own build does not offer either), no memory-mapped I/O and no WAL (its shared
/// memory needs mmap, which WASI lacks). On WASI, the "unix" VFS with in-process locking instead
/// of the amalgamation's "unix-dotfile" default (sqlite3-xtask.c says why). The shared cache
/// stays compiled in: 3.11's configure requires `sqlite3_enable_shared_cache` and leaves
/// `_sqlite3` out without it ("missing").
pub const SQLITE: Recipe = Recipe {
    component: "sqlite",
    cpython: for_cpython("LIBSQLITE3", "-lsqlite3"),
    library: "libsqlite3.a",
    build: Build::Sources {
        sources: &["sqlite3-xtask.c"],
        headers: &["sqlite3.h", "sqlite3ext.h"],
        defines: &[
            "-DSQLITE_THREADSAFE=0",
            "-DSQLITE_OMIT_LOAD_EXTENSION",
            "-DSQLITE_OMIT_WAL",
            "-DSQLITE_MAX_MMAP_SIZE=0",
            "-DSQLITE_ENABLE_MATH_FUNCTIONS",
            "-D_WASI_EMULATED_GETPID",
        ],
        own: &[("sqlite3-xtask.c", include_str!("sqlite3-xtask.c"))],
    },
};

/// Every recipe, by manifest component.
pub const ALL: [&Recipe; 5] = [&ZLIB, &BZIP2, &MPDECIMAL, &LIBFFI, &SQLITE];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_keeps_what_the_oldest_line_s_configure_requires() {
        // 3.11's configure checks these and leaves _sqlite3 out if one is omitted.
        let Build::Sources { defines, .. } = SQLITE.build else { panic!("sqlite is built from sources") };
        for needed in ["SHARED_CACHE", "PROGRESS_CALLBACK", "AUTHORIZATION", "TRACE", "COMPLETE", "DECLTYPE"] {
            assert!(!defines.iter().any(|d| d.starts_with("-DSQLITE_OMIT_") && d.contains(needed)), "{needed}");
        }
    }
}
