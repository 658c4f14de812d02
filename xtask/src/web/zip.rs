//! The deterministic stdlib zip: entries in byte order of their names, every timestamp the zip
//! epoch (1980-01-01 00:00), the same permissions and deflate level for all, so the same files
//! give the same bytes. zipimport reads stored and deflated entries only.

use std::io::Write;
use std::path::Path;

use crate::text::PathText;
use anyhow::Context;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// Writes `entries` (name inside the zip, contents) into `dest`, sorted by name. Names use `/`.
pub fn write(dest: &Path, mut entries: Vec<(String, Vec<u8>)>) -> anyhow::Result<()> {
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(pair) = entries.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        anyhow::bail!("the stdlib zip {} would hold {} twice", dest.shown(), pair[0].0);
    }
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(9))
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644);
    let mut bytes = std::io::Cursor::new(Vec::new());
    let mut zip = ZipWriter::new(&mut bytes);
    for (name, contents) in &entries {
        zip.start_file(name.as_str(), options).with_context(|| format!("zip {name}"))?;
        zip.write_all(contents)?;
    }
    zip.finish().with_context(|| format!("finish {}", dest.shown()))?;
    crate::files::write_atomic(dest, bytes.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> Vec<(String, Vec<u8>)> {
        vec![("b/c.pyc".into(), b"second".repeat(100)), ("a.pyc".into(), b"first".to_vec())]
    }

    #[test]
    fn the_same_entries_give_the_same_bytes_in_any_order() {
        let dir = tempfile::tempdir().unwrap();
        let (one, two) = (dir.path().join("one.zip"), dir.path().join("two.zip"));
        write(&one, entries()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        write(&two, entries().into_iter().rev().collect()).unwrap();
        assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());
        let mut archive = zip::ZipArchive::new(std::fs::File::open(&one).unwrap()).unwrap();
        let names: Vec<_> = archive.file_names().map(str::to_owned).collect();
        assert_eq!(names, ["a.pyc", "b/c.pyc"]);
        let entry = archive.by_name("b/c.pyc").unwrap();
        assert_eq!(entry.compression(), CompressionMethod::Deflated);
        assert_eq!(entry.last_modified(), Some(DateTime::default()));
    }

    #[test]
    fn a_name_given_twice_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let twice = vec![("a.pyc".into(), vec![]), ("a.pyc".into(), vec![1])];
        let error = write(&dir.path().join("x.zip"), twice).unwrap_err().to_string();
        assert!(error.contains("a.pyc twice"), "{error}");
    }
}
