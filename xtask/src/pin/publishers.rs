//! Where each component's checksum record and file are published, by host: data, in one place.
//! A base URL per publisher can be replaced (`--record-base NAME=URL`), so tests serve real-shaped
//! records on loopback.

use std::collections::BTreeMap;

use clap::ValueEnum;

/// What `pin` can pin: each manifest component it knows the publisher of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Component {
    Cpython,
    Emscripten,
    Node,
    WasiSdk,
    Wasmtime,
    Zlib,
    Bzip2,
    Libffi,
    Mpdecimal,
    Sqlite,
}

impl Component {
    /// The manifest's `component` value.
    pub fn name(self) -> &'static str {
        match self {
            Component::Cpython => "cpython",
            Component::Emscripten => "emscripten",
            Component::Node => "node",
            Component::WasiSdk => "wasi-sdk",
            Component::Wasmtime => "wasmtime",
            Component::Zlib => "zlib",
            Component::Bzip2 => "bzip2",
            Component::Libffi => "libffi",
            Component::Mpdecimal => "mpdecimal",
            Component::Sqlite => "sqlite",
        }
    }

    /// Host binaries: one entry per host.
    pub fn per_host(self) -> bool {
        matches!(self, Component::Emscripten | Component::Node | Component::WasiSdk | Component::Wasmtime)
    }

    /// Built for a CPython line, so an entry must say which lines it serves (an entry serving every
    /// line would be chosen for lines it was never meant for).
    pub fn needs_lines(self) -> bool {
        self.per_host() || self == Component::Cpython
    }

    /// The entry's name: by version where several are kept side by side, by major where a tree
    /// pins the major, plain where a newer pin replaces the older.
    pub fn entry_name(self, version: &str) -> String {
        let major = crate::toolchains::major(version);
        match self {
            Component::Cpython | Component::Emscripten => format!("{}-{version}", self.name()),
            Component::Node | Component::WasiSdk => format!("{}-{major}", self.name()),
            _ => self.name().to_owned(),
        }
    }
}

/// How each publisher names a host.
pub struct Host {
    pub name: &'static str,
    pub emsdk_dir: &'static str,
    pub emsdk_suffix: &'static str,
    pub emsdk_key: &'static str,
    pub node: &'static str,
    pub node_ext: &'static str,
    pub wasi_sdk: &'static str,
    pub wasmtime: &'static str,
}

pub const HOSTS: [Host; 4] = [
    Host {
        name: "x86_64-linux",
        emsdk_dir: "linux",
        emsdk_suffix: "",
        emsdk_key: "sha_linux",
        node: "linux-x64",
        node_ext: "tar.xz",
        wasi_sdk: "x86_64-linux",
        wasmtime: "x86_64-linux",
    },
    Host {
        name: "aarch64-linux",
        emsdk_dir: "linux",
        emsdk_suffix: "-arm64",
        emsdk_key: "sha_linux_arm64",
        node: "linux-arm64",
        node_ext: "tar.xz",
        wasi_sdk: "arm64-linux",
        wasmtime: "aarch64-linux",
    },
    Host {
        name: "x86_64-macos",
        emsdk_dir: "mac",
        emsdk_suffix: "",
        emsdk_key: "sha_mac",
        node: "darwin-x64",
        node_ext: "tar.gz",
        wasi_sdk: "x86_64-macos",
        wasmtime: "x86_64-macos",
    },
    Host {
        name: "aarch64-macos",
        emsdk_dir: "mac",
        emsdk_suffix: "-arm64",
        emsdk_key: "sha_mac_arm64",
        node: "darwin-arm64",
        node_ext: "tar.gz",
        wasi_sdk: "arm64-macos",
        wasmtime: "aarch64-macos",
    },
];

pub fn host(name: &str) -> Option<&'static Host> {
    HOSTS.iter().find(|h| h.name == name)
}

/// The publishers' base URLs, by name.
pub const DEFAULT_BASES: [(&str, &str); 9] = [
    ("emsdk", "https://raw.githubusercontent.com/emscripten-core/emsdk"),
    ("emscripten-builds", "https://storage.googleapis.com/webassembly/emscripten-releases-builds"),
    ("nodejs", "https://nodejs.org/dist"),
    ("github-api", "https://api.github.com"),
    ("python", "https://www.python.org/ftp/python"),
    ("zlib", "https://zlib.net"),
    ("sourceware", "https://sourceware.org"),
    ("bytereef", "https://www.bytereef.org"),
    ("sqlite", "https://www.sqlite.org"),
];

/// The base URLs in use: the defaults with the user's replacements.
#[derive(Debug, Clone)]
pub struct Bases(BTreeMap<String, String>);

impl Bases {
    /// `given` holds `NAME=URL` pairs; an unknown name or a URL the manifest would refuse is an
    /// error naming the known ones.
    pub fn new(given: &[String]) -> anyhow::Result<Bases> {
        let mut map: BTreeMap<String, String> =
            DEFAULT_BASES.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        for pair in given {
            let (name, url) = pair.split_once('=').ok_or_else(|| {
                anyhow::anyhow!("--record-base `{}`: expected NAME=URL", crate::text::printable(pair))
            })?;
            if !map.contains_key(name) {
                let known: Vec<&str> = DEFAULT_BASES.iter().map(|(k, _)| *k).collect();
                anyhow::bail!(
                    "--record-base: unknown publisher `{}`; known: {}",
                    crate::text::printable(name),
                    known.join(", ")
                );
            }
            crate::manifest::check_url(url).map_err(|problem| anyhow::anyhow!("--record-base {name}: {problem}"))?;
            map.insert(name.to_owned(), url.trim_end_matches('/').to_owned());
        }
        Ok(Bases(map))
    }

    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).expect("every publisher has a default base")
    }
}
