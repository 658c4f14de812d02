//! Is every object of a static library position-independent wasm? A side module (and a main
//! module with dynamic linking) can only take PIC code: code that reaches memory and the
//! function table through `__memory_base`, `__table_base` and the GOT. A non-PIC object shows
//! in its relocations: absolute memory addresses and table indices patched into code
//! (`R_WASM_MEMORY_ADDR_LEB`/`_SLEB`, `R_WASM_TABLE_INDEX_SLEB`, and their 64-bit forms). Data
//! relocations are fine either way (the loader applies them).
//!
//! Reads the archive (`!<arch>`, GNU and BSD names) and each member's `reloc.*` sections
//! (https://github.com/WebAssembly/tool-conventions/blob/main/Linking.md); no external tool.

use std::path::Path;

use anyhow::{bail, Context};

use crate::text::printable;
use crate::text::PathText;

/// Checks every member of the archive at `path`; the error names the member and why.
pub fn check(path: &Path) -> anyhow::Result<()> {
    let bytes = fs_err::read(path)?;
    let members = members(&bytes).with_context(|| format!("{} is not a readable archive", path.shown()))?;
    if members.is_empty() {
        bail!("{} holds no objects", path.shown());
    }
    for (name, data) in members {
        let problem = match object_problem(data) {
            Ok(None) => continue,
            Ok(Some(problem)) => problem,
            Err(err) => format!("unreadable wasm object ({err})"),
        };
        bail!(
            "{} is not position-independent: member `{}`: {problem}; build it with -fPIC (a non-PIC object fails at the side-module link)",
            path.shown(),
            printable(&name)
        );
    }
    Ok(())
}

/// The object members of an ar archive, by name (the symbol table and name table skipped).
fn members(bytes: &[u8]) -> anyhow::Result<Vec<(String, &[u8])>> {
    let mut rest = bytes.strip_prefix(b"!<arch>\n").context("no `!<arch>` header")?;
    let mut long_names: &[u8] = &[];
    let mut out = Vec::new();
    while !rest.is_empty() {
        if rest.len() < 60 {
            bail!("truncated member header");
        }
        let (header, body) = rest.split_at(60);
        let field = |range: std::ops::Range<usize>| String::from_utf8_lossy(&header[range]).trim().to_owned();
        let size: usize = field(48..58).parse().context("bad member size")?;
        let data = body.get(..size).context("truncated member")?;
        rest = &body[size.min(body.len())..];
        if size % 2 == 1 && !rest.is_empty() {
            rest = &rest[1..];
        }
        let raw = field(0..16);
        let (name, data) = match raw.as_str() {
            "/" | "/SYM64/" | "__.SYMDEF" | "__.SYMDEF SORTED" => continue,
            "//" => {
                long_names = data;
                continue;
            }
            _ if raw.starts_with("#1/") => {
                let length: usize = raw[3..].parse().context("bad BSD name length")?;
                let name = data.get(..length).context("truncated BSD name")?;
                let name = String::from_utf8_lossy(name).trim_end_matches('\0').to_owned();
                if name.starts_with("__.SYMDEF") {
                    continue;
                }
                (name, &data[length..])
            }
            _ if raw.starts_with('/') => {
                let offset: usize = raw[1..].parse().context("bad long-name offset")?;
                let tail = long_names.get(offset..).context("long-name offset out of range")?;
                let end = tail.iter().position(|&b| b == b'\n').unwrap_or(tail.len());
                (String::from_utf8_lossy(&tail[..end]).trim_end_matches('/').to_owned(), data)
            }
            _ => (raw.trim_end_matches('/').to_owned(), data),
        };
        out.push((name, data));
    }
    Ok(out)
}

/// `None` for a PIC wasm object; else what is wrong with it.
fn object_problem(data: &[u8]) -> anyhow::Result<Option<String>> {
    let Some(mut rest) = data.strip_prefix(b"\0asm\x01\0\0\0") else {
        return Ok(Some("not a wasm object (built with the wrong compiler?)".into()));
    };
    while !rest.is_empty() {
        let id = rest[0];
        let mut reader = Reader(&rest[1..]);
        let size = reader.uleb()? as usize;
        let body = reader.0.get(..size).context("section runs past the end")?;
        rest = &reader.0[size..];
        if id != 0 {
            continue;
        }
        let mut section = Reader(body);
        let name_len = section.uleb()? as usize;
        let name = section.take(name_len)?;
        if name.starts_with(b"reloc.") {
            if let Some(kind) = non_pic_relocation(&mut section)? {
                return Ok(Some(format!("relocation {kind} in {}", String::from_utf8_lossy(name))));
            }
        }
    }
    Ok(None)
}

/// The first relocation of a `reloc.*` section body that only non-PIC code has.
fn non_pic_relocation(section: &mut Reader) -> anyhow::Result<Option<&'static str>> {
    section.uleb()?; // the section these relocations apply to
    let count = section.uleb()?;
    for _ in 0..count {
        let kind = section.take(1)?[0];
        section.uleb()?; // offset
        section.uleb()?; // symbol index
        if has_addend(kind) {
            section.sleb()?;
        }
        let name = match kind {
            1 => "R_WASM_TABLE_INDEX_SLEB",
            3 => "R_WASM_MEMORY_ADDR_LEB",
            4 => "R_WASM_MEMORY_ADDR_SLEB",
            14 => "R_WASM_MEMORY_ADDR_LEB64",
            15 => "R_WASM_MEMORY_ADDR_SLEB64",
            18 => "R_WASM_TABLE_INDEX_SLEB64",
            _ => continue,
        };
        return Ok(Some(name));
    }
    Ok(None)
}

/// Relocation types that carry an addend (Linking.md: memory addresses, offsets).
fn has_addend(kind: u8) -> bool {
    matches!(kind, 3 | 4 | 5 | 8 | 9 | 11 | 14 | 15 | 16 | 17 | 21 | 22 | 23 | 25)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> anyhow::Result<&'a [u8]> {
        let taken = self.0.get(..n).context("unexpected end of section")?;
        self.0 = &self.0[n..];
        Ok(taken)
    }

    fn uleb(&mut self) -> anyhow::Result<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        bail!("LEB128 number too long")
    }

    fn sleb(&mut self) -> anyhow::Result<i64> {
        let mut value = 0i64;
        let mut shift = 0;
        loop {
            let byte = self.take(1)?[0];
            value |= i64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 {
                    value |= -1 << shift;
                }
                return Ok(value);
            }
            if shift >= 64 {
                bail!("LEB128 number too long");
            }
        }
    }
}

#[cfg(test)]
mod tests;
