//! The `format` field of an artifact: how its file is unpacked.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    TarGz,
    TarXz,
    TarBz2,
    Zip,
    /// A single file used as is (a wheel, a script).
    File,
}

impl ArchiveFormat {
    pub fn from_name(name: &str) -> Option<ArchiveFormat> {
        Some(match name {
            "tar.gz" | "tgz" => ArchiveFormat::TarGz,
            "tar.xz" | "txz" => ArchiveFormat::TarXz,
            "tar.bz2" | "tbz2" => ArchiveFormat::TarBz2,
            "zip" => ArchiveFormat::Zip,
            "file" => ArchiveFormat::File,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ArchiveFormat::TarGz => "tar.gz",
            ArchiveFormat::TarXz => "tar.xz",
            ArchiveFormat::TarBz2 => "tar.bz2",
            ArchiveFormat::Zip => "zip",
            ArchiveFormat::File => "file",
        }
    }

    pub fn from_file_name(name: &str) -> ArchiveFormat {
        let lower = name.to_ascii_lowercase();
        for (suffix, format) in [
            (".tar.gz", ArchiveFormat::TarGz),
            (".tgz", ArchiveFormat::TarGz),
            (".tar.xz", ArchiveFormat::TarXz),
            (".txz", ArchiveFormat::TarXz),
            (".tar.bz2", ArchiveFormat::TarBz2),
            (".tbz2", ArchiveFormat::TarBz2),
            (".zip", ArchiveFormat::Zip),
        ] {
            if lower.ends_with(suffix) {
                return format;
            }
        }
        ArchiveFormat::File
    }
}
