//! A miniature CPython release and a toolchain made of the host's own C compiler, as real
//! archives, for testing how the bootstrap stages are wired: the source has a real `configure`
//! that writes a real Makefile, and make compiles a real program. The "WASI SDK" compiles
//! objects (`-c`, the libraries) with Debian's clang-19 for wasm32, so the dependency stage's
//! PIC check reads real wasm objects, and links programs with the host's `cc`; the "wasmtime"
//! runs the module it is given, so `run` works end to end.

use std::path::{Path, PathBuf};

use std::process::Output;

use super::{sha256, stderr, xtask};

pub const CONFIGURE: &str = r##"#!/bin/sh
# A miniature configure: records its arguments and writes the Makefile from Makefile.in.
srcdir=$(dirname "$0")
exe=
for arg in "$@"; do
  case $arg in
    -C) [ -f config.cache ] && cp config.cache config.seeded
        echo "ac_cv_build_dir=$(pwd)" > config.cache ;;
    --host=*) exe=.wasm ;;
  esac
done
printf '%s\n' "$@" > configure.args
sed -e "s|@srcdir@|$srcdir|g" -e "s|@CC@|${CC:-cc}|g" -e "s|@CFLAGS@|$CFLAGS|g" -e "s|@EXE@|$exe|g" \
  "$srcdir/Makefile.in" > Makefile
"##;

/// The program, linked in one step, and one object compiled on its own (`-c`: what a compiler
/// cache can keep), which includes a header of the tree.
pub const MAKEFILE_IN: &str = "all: python@EXE@ module.o\n\npython@EXE@: @srcdir@/Programs/python.c\n\t@CC@ @CFLAGS@ -o $@ @srcdir@/Programs/python.c\n\n\
     module.o: @srcdir@/Modules/module.c @srcdir@/Modules/module.h\n\t@CC@ @CFLAGS@ $(ZLIB_CFLAGS) -g -c -o $@ @srcdir@/Modules/module.c\n";

/// The object: a header of the tree and, for the target, one of a library (its directory is
/// named in the debug information, as CPython's modules name zlib's).
const MODULE_C: &str =
    "#include \"module.h\"\n#ifdef __wasm__\n#include <zlib.h>\nmini_z_int module_z = 1;\n#endif\nint module_value(void) { return MODULE_VALUE; }\n";

pub const PYTHON_C: &str = "#include <stdio.h>\nint main(int argc, char **argv) {\n    printf(\"mini python:\");\n    for (int i = 1; i < argc; i++) printf(\" %s\", argv[i]);\n    printf(\"\\n\");\n    return argc == 2 && argv[1][0] == '!' ? 7 : 0;\n}\n";

/// The compiler wrapper, without the sysroot that names an empty directory: objects for wasm32
/// with clang-19, programs with the host's cc.
const CLANG: &str = "#!/bin/sh\nobject=\nfor a in \"$@\"; do shift; case $a in --sysroot=*) ;; -c) object=1; set -- \"$@\" \"$a\" ;; *) set -- \"$@\" \"$a\" ;; esac; done\n[ -n \"$object\" ] && exec clang-19 --target=wasm32-unknown-unknown \"$@\"\nexec cc \"$@\"\n";

/// A library's own configure (mpdecimal's shape): writes libmpdec/Makefile, which builds the
/// archive with the CC, CFLAGS and AR it is given.
const MPDEC_CONFIGURE: &str = "#!/bin/sh\nprintf 'libmpdec.a: mpdecimal.c\\n\\t$(CC) $(CFLAGS) -c mpdecimal.c -o mpdecimal.o\\n\\t$(AR) rcs libmpdec.a mpdecimal.o\\n' > libmpdec/Makefile\n";

/// `wasmtime --version`, and `wasmtime run [FLAGS…] MODULE ARGS…` runs MODULE natively.
pub const WASMTIME: &str = "#!/bin/sh\n[ \"$1\" = --version ] && { echo 'wasmtime 49.0.3 (miniature)'; exit 0; }\nshift\nwhile [ $# -gt 0 ]; do case $1 in -*) shift ;; *) break ;; esac; done\nexec \"$@\"\n";

/// One file of an archive: its path, mode and text.
pub struct File(pub String, pub u32, pub String);

/// A real .tar.gz with the files under `top/`, and fixed mtimes.
pub fn tar_gz(top: &str, files: &[File]) -> Vec<u8> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    for File(path, mode, text) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(*mode);
        header.set_mtime(1_700_000_000);
        header.set_cksum();
        builder.append_data(&mut header, format!("{top}/{path}"), text.as_bytes()).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

fn c_files(names: &[&str]) -> Vec<File> {
    names
        .iter()
        .map(|name| {
            let symbol = name.replace(['.', '-', '/'], "_");
            File(name.to_string(), 0o644, format!("int {symbol}_compiled = 1;\n"))
        })
        .collect()
}

/// Every archive of the miniature pipeline, written into `dir`, and a manifest naming them by
/// file:// URL. Returns the manifest's path.
pub fn write_release(dir: &Path) -> PathBuf {
    let (cpython, sdk, wasmtime) = (cpython(), sdk(), wasmtime());
    let (zlib, bzip2) = libraries();
    let (mpdecimal, sqlite) = more_libraries();
    let mut manifest = String::from("schema = 1\n");
    for (name, component, version, file, top, body) in [
        ("cpython-3.13", "cpython", "3.13.99", "Python-3.13.99.tar.gz", "Python-3.13.99", &cpython),
        ("wasi-sdk-24", "wasi-sdk", "24.0", "wasi-sdk-24.0-x86_64-linux.tar.gz", "wasi-sdk-24.0-x86_64-linux", &sdk),
        (
            "wasmtime",
            "wasmtime",
            "49.0.3",
            "wasmtime-v49.0.3-x86_64-linux.tar.gz",
            "wasmtime-v49.0.3-x86_64-linux",
            &wasmtime,
        ),
        ("zlib", "zlib", "1.3.1", "zlib-1.3.1.tar.gz", "zlib-1.3.1", &zlib),
        ("bzip2", "bzip2", "1.0.8", "bzip2-1.0.8.tar.gz", "bzip2-1.0.8", &bzip2),
        ("mpdecimal", "mpdecimal", "4.0.1", "mpdecimal-4.0.1.tar.gz", "mpdecimal-4.0.1", &mpdecimal),
        ("sqlite", "sqlite", "3.50.4", "sqlite-amalgamation-3500400.tar.gz", "sqlite-amalgamation-3500400", &sqlite),
    ] {
        let path = dir.join(file);
        std::fs::write(&path, body).unwrap();
        manifest += &format!(
            "\n[[artifact]]\nname = \"{name}\"\ncomponent = \"{component}\"\nversion = \"{version}\"\nurl = \"file://{}\"\nsha256 = \"{}\"\nsize = {}\nstrip = \"{top}\"\npython = [\"3.13\"]\n",
            path.display(),
            sha256(body),
            body.len()
        );
    }
    let path = dir.join("manifest.toml");
    std::fs::write(&path, manifest).unwrap();
    path
}

fn cpython() -> Vec<u8> {
    tar_gz(
        "Python-3.13.99",
        &[
            File("configure".into(), 0o755, CONFIGURE.into()),
            File("config.guess".into(), 0o755, "#!/bin/sh\necho x86_64-pc-linux-gnu\n".into()),
            File("Makefile.in".into(), 0o644, MAKEFILE_IN.into()),
            File("Tools/wasm/config.site-wasm32-wasi".into(), 0o644, "ac_cv_file__dev_ptmx=no\n".into()),
            File("Programs/python.c".into(), 0o644, PYTHON_C.into()),
            File("Modules/module.c".into(), 0o644, MODULE_C.into()),
            File("Modules/module.h".into(), 0o644, "#define MODULE_VALUE 42\n".into()),
            File(
                "Include/patchlevel.h".into(),
                0o644,
                "#define PY_MAJOR_VERSION 3\n#define PY_MINOR_VERSION 13\n#define PY_VERSION \"3.13.0\"\n".into(),
            ),
        ],
    )
}

fn sdk() -> Vec<u8> {
    let mut sdk_files: Vec<File> =
        ["clang", "clang++", "clang-cpp"].iter().map(|name| File(format!("bin/{name}"), 0o755, CLANG.into())).collect();
    sdk_files.push(File("bin/llvm-ar".into(), 0o755, "#!/bin/sh\nexec llvm-ar-19 \"$@\"\n".into()));
    sdk_files.push(File("bin/ranlib".into(), 0o755, "#!/bin/sh\nexec ranlib \"$@\"\n".into()));
    sdk_files.push(File("share/wasi-sysroot/README".into(), 0o644, "empty\n".into()));
    sdk_files.push(File("VERSION".into(), 0o644, "24.0\n".into()));
    tar_gz("wasi-sdk-24.0-x86_64-linux", &sdk_files)
}

fn wasmtime() -> Vec<u8> {
    tar_gz("wasmtime-v49.0.3-x86_64-linux", &[File("wasmtime".into(), 0o755, WASMTIME.into())])
}

/// zlib and bzip2 source trees with the files their recipes name.
fn libraries() -> (Vec<u8>, Vec<u8>) {
    let zlib_sources = [
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
    ];
    let mut zlib_files = c_files(&zlib_sources);
    zlib_files.push(File("zlib.h".into(), 0o644, "/* zlib */\ntypedef int mini_z_int;\n".into()));
    zlib_files.push(File("zconf.h".into(), 0o644, "/* zconf */\n".into()));
    let zlib = tar_gz("zlib-1.3.1", &zlib_files);
    let bzip2_sources =
        ["blocksort.c", "huffman.c", "crctable.c", "randtable.c", "compress.c", "decompress.c", "bzlib.c"];
    let mut bzip2_files = c_files(&bzip2_sources);
    bzip2_files.push(File("bzlib.h".into(), 0o644, "/* bzlib */\n".into()));
    let bzip2 = tar_gz("bzip2-1.0.8", &bzip2_files);
    (zlib, bzip2)
}

/// mpdecimal (its own configure and make) and the sqlite amalgamation.
fn more_libraries() -> (Vec<u8>, Vec<u8>) {
    let mut mpdecimal_files = vec![File("configure".into(), 0o755, MPDEC_CONFIGURE.into())];
    mpdecimal_files.extend(c_files(&["libmpdec/mpdecimal.c"]));
    mpdecimal_files.push(File("libmpdec/mpdecimal.h".into(), 0o644, "/* mpdecimal */\n".into()));
    let mpdecimal = tar_gz("mpdecimal-4.0.1", &mpdecimal_files);
    let mut sqlite_files = c_files(&["sqlite3.c"]);
    sqlite_files.push(File("sqlite3.h".into(), 0o644, "/* sqlite3 */\n".into()));
    sqlite_files.push(File("sqlite3ext.h".into(), 0o644, "/* sqlite3ext */\n".into()));
    let sqlite = tar_gz("sqlite-amalgamation-3500400", &sqlite_files);
    (mpdecimal, sqlite)
}

/// A miniature release in a scratch dir, and the xtask command lines that build it.
pub struct Mini {
    pub dir: tempfile::TempDir,
    pub manifest: PathBuf,
}

impl Mini {
    pub fn new() -> Mini {
        let dir = tempfile::tempdir().unwrap();
        let manifest = write_release(dir.path());
        Mini { dir, manifest }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub fn xtask(&self, command: &str, extra: &[&str]) -> Output {
        let work = self.path("work").display().to_string();
        self.xtask_from(command, &["--work-dir", &work, "--python", "3.13"], extra)
    }

    /// `xtask COMMAND` with the given work dir and source flags.
    pub fn xtask_from(&self, command: &str, source: &[&str], extra: &[&str]) -> Output {
        let (manifest, cache) = (self.manifest.display().to_string(), self.path("cache").display().to_string());
        let mut args = vec![command, "--manifest", &manifest, "--progress", "lines", "--offline"];
        args.extend(["--cache-dir", &cache, "--target", "wasi"]);
        args.extend_from_slice(source);
        args.extend_from_slice(extra);
        xtask(&args, &[])
    }

    /// A bootstrap that must succeed; returns the build steps it ran, in order.
    pub fn bootstrap(&self, extra: &[&str]) -> (Vec<String>, String) {
        let mut args = vec!["--no-test"];
        args.extend_from_slice(extra);
        let out = self.xtask("bootstrap", &args);
        let err = stderr(&out);
        assert!(out.status.success(), "{err}");
        let ran = err
            .lines()
            .filter_map(|l| l.strip_prefix("build: ").and_then(|rest| rest.split_once(" (log:")).map(|(step, _)| step))
            .map(str::to_owned)
            .collect();
        (ran, err)
    }

    pub fn source_file(&self) -> PathBuf {
        self.path("work/src/Python-3.13.99/Programs/python.c")
    }
}
