//! The recipes: each library's sources, headers and defines, as data.

pub struct Recipe {
    /// The manifest component holding the source.
    pub component: &'static str,
    pub library: &'static str,
    pub sources: &'static [&'static str],
    pub headers: &'static [&'static str],
    /// What the library's own configure would define.
    pub defines: &'static [&'static str],
}

pub const ZLIB: Recipe = Recipe {
    component: "zlib",
    library: "libz.a",
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
};

pub const BZIP2: Recipe = Recipe {
    component: "bzip2",
    library: "libbz2.a",
    sources: &["blocksort.c", "huffman.c", "crctable.c", "randtable.c", "compress.c", "decompress.c", "bzlib.c"],
    headers: &["bzlib.h"],
    defines: &[],
};

/// Every recipe, by manifest component.
pub const ALL: [&Recipe; 2] = [&ZLIB, &BZIP2];
