//! The whole command line, in one place. The doc comments are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Build CPython for WebAssembly from pinned, verified inputs.
///
/// Every download is checked against the sha256 and size in sdk-manifest.toml. Builds run with a
/// scrubbed environment and are skipped when none of their inputs changed.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version, max_term_width = 100)]
pub struct Xtask {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// The heading of the flags every command takes, shown after a command's own.
const SHARED: &str = "Shared options (any command, before or after its name)";

/// Flags accepted by every subcommand, before or after its name.
#[derive(Debug, Args)]
pub struct Global {
    /// The manifest of pinned artifacts [default: sdk-manifest.toml at the workspace root]
    #[arg(long, global = true, help_heading = SHARED, value_name = "FILE")]
    pub manifest: Option<PathBuf>,

    /// A manifest whose entries replace those with the same (name, host) or add new ones;
    /// repeatable, applied in order
    #[arg(long, global = true, help_heading = SHARED, value_name = "FILE")]
    pub overlay: Vec<PathBuf>,

    /// Take every artifact from this mirror instead of upstream: an http(s):// URL, a file:// URL
    /// or a directory, laid out as `mirror export` writes it. A miss is an error
    #[arg(long, global = true, help_heading = SHARED, value_name = "URL", env = "BOOTSTRAP_MIRROR")]
    pub mirror: Option<String>,

    /// Use no network at all: only the cache and file:// mirrors
    #[arg(long, global = true, help_heading = SHARED, env = "BOOTSTRAP_OFFLINE", value_parser = clap::builder::FalseyValueParser::new())]
    pub offline: bool,

    /// Where verified downloads and installed toolchains are kept [default: the user's cache dir,
    /// e.g. ~/.cache/cpython-wasm-xtask]
    #[arg(long, global = true, help_heading = SHARED, value_name = "DIR", env = "BOOTSTRAP_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Hash cached files again instead of trusting their stamps (size, mtime and sha256 recorded
    /// when they were verified)
    #[arg(long, global = true, help_heading = SHARED)]
    pub verify: bool,

    /// Seconds to wait for a connection and for the whole response head (status and headers,
    /// however slowly they trickle), then the longest silence allowed within the body. A wait
    /// that runs out is retried, but a server that lets it run out twice running is given up
    /// on. A large download may take as long as it needs while data keeps coming
    #[arg(long, global = true, help_heading = SHARED, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,

    /// How results are printed on stdout: `human`, or `json`: one event per line for every step,
    /// download, suite and the result (docs/events.md); the human text goes to stderr either way
    #[arg(long, global = true, help_heading = SHARED, value_enum, default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,

    /// Progress display on stderr [default: a bar on a terminal, plain lines otherwise]
    #[arg(long, global = true, help_heading = SHARED, value_enum)]
    pub progress: Option<ProgressFlag>,

    /// Stop any one build or test step (configure, make, a library build, the test suite) that
    /// runs longer than this, with its whole process group, and exit 124: `90m`, `2h`, `600s` or
    /// seconds [default: no limit]
    #[arg(long, global = true, help_heading = SHARED, value_name = "DURATION", value_parser = parse_duration, env = "BOOTSTRAP_STEP_TIMEOUT")]
    pub step_timeout: Option<std::time::Duration>,

    /// Run the build's compilers through a compiler cache: `ccache` (Debian's package), its
    /// objects kept in CACHE/ccache, or `none`. The outputs are the same bytes either way;
    /// bootstrap reports the hit rate of every step, the run record names the cache
    /// [default: none, or ccache when --compiler-cache-remote is given]
    #[arg(long, global = true, help_heading = SHARED, value_enum, value_name = "KIND", env = "BOOTSTRAP_COMPILER_CACHE")]
    pub compiler_cache: Option<CompilerCacheFlag>,

    /// A remote storage the compiler cache shares with other machines (a fleet of buildbots):
    /// redis://HOST:PORT or http://HOST:PORT/PATH, ccache's own remote storage. A remote that is
    /// down or answers garbage is left out of a step after one probe; it never fails a build
    #[arg(long, global = true, help_heading = SHARED, value_name = "URL", value_parser = remote_url, env = "BOOTSTRAP_COMPILER_CACHE_REMOTE")]
    pub compiler_cache_remote: Option<String>,

    /// Say more: lines that repeat on every run (such as what configure left out)
    #[arg(short, long, global = true, help_heading = SHARED)]
    pub verbose: bool,
}

/// `3.13` or `3.13.5`, of a line this tool builds: checked when the flags are read, so a typo is a
/// usage error naming the flag.
pub fn python_version(text: &str) -> Result<String, String> {
    let (line, _) = crate::line::PythonLine::parse_version(text)
        .map_err(|_| format!("`{text}` is not a CPython line or version: give X.Y (3.13) or X.Y.Z (3.13.5)"))?;
    crate::line::profile(line).map_err(|e| e.to_string())?;
    Ok(text.to_owned())
}

/// `90m`, `2h`, `600s`, `600`: a duration for --step-timeout.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(format!("`{text}` is not a duration: give seconds, or a number with s, m or h (`90m`)")),
    };
    match number.parse::<u64>() {
        Ok(n) if n > 0 => Ok(std::time::Duration::from_secs(n.saturating_mul(scale))),
        _ => Err(format!("`{text}` is not a duration: give a positive number of seconds, or with s, m or h (`90m`)")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompilerCacheFlag {
    None,
    Ccache,
}

/// A remote for --compiler-cache-remote: checked when the flags are read.
pub fn remote_url(text: &str) -> Result<String, String> {
    crate::compiler_cache::Remote::parse(text).map(|_| text.to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressFlag {
    Bar,
    Lines,
    Quiet,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check this machine for a build before anything is downloaded: host programs per target,
    /// free space, the cache (size, leftovers, entries nothing pins), a checkout's pins against
    /// the manifest. One line per problem with what to do; exits 7 when something blocks a build
    Doctor(Doctor),
    /// Download and verify artifacts into the cache (default: every artifact for this host)
    Fetch(Fetch),
    /// Work with offline mirrors
    #[command(subcommand)]
    Mirror(MirrorCommand),
    /// Build CPython for a target: source → patches → toolchains → dependencies → configure/make →
    /// smoke test, each step skipped when its inputs are unchanged
    Bootstrap(Bootstrap),
    /// Run the built interpreter with the target's runner (wasmtime for wasi, node for emscripten-node,
    /// node loading the web bundle as the page does for emscripten-browser)
    Run(Run),
    /// Run the smoke test, the KeyboardInterrupt test (`--suite interrupt`), the side-module test
    /// (`--suite extension`) or CPython's own test suite (`--suite full`)
    Test(Test),
    /// Apply, check, revert or refresh the CPython patch series of a line (patches/X.Y/series.toml)
    /// in the work dir's tree of that series (WORK/trees/wasi or emscripten); the source, a
    /// release or your checkout, is never written
    Patch(Patch),
    /// Serve the browser target's web bundle on loopback, cross-origin isolated (COOP/COEP), until
    /// Ctrl-C
    Serve(Serve),
    /// Package a bootstrap's build as a reproducible archive: CPython's own WASI package layout
    /// (bin/pythonX.Y.wasmtime, lib/pythonX.Y/lib-wasm/), the same for Node, or the web bundle;
    /// with SHA256SUMS, an SPDX 2.3 SBOM and an in-toto/SLSA provenance statement
    Dist(Dist),
    /// Check a dist archive (or its unpacked directory) against its SHA256SUMS and provenance;
    /// with --rebuild, build it again from the provenance's pins and compare
    Verify(Verify),
    /// Add or update manifest entries from each publisher's own checksum record (emsdk's
    /// revisions.bzl, Node's SHASUMS256.txt, GitHub's release digests, python.org's Sigstore
    /// bundles, the libraries' download pages); each file is downloaded once and checked against
    /// its record before anything is written, into the manifest or the last --overlay (created if
    /// missing)
    #[command(
        after_help = "Examples:\n  cargo xtask pin emscripten 6.0.10 --host all --python 3.16\n  cargo xtask pin node 24.19.0 --host aarch64-macos\n  cargo xtask pin cpython 3.12.14\n  cargo xtask pin --from-tree ~/cpython --host all\n  cargo xtask --overlay pins.toml pin --from-tree ~/cpython"
    )]
    Pin(Pin),
    /// Remove cache entries the manifest (with its overlays) no longer pins: downloads, installed
    /// toolchains, library builds, leftovers of interrupted runs; with --work-dir also the build
    /// trees of a work dir. Never what a running bootstrap holds; says what it freed
    Prune(Prune),
}

impl Command {
    /// The command's name, as events and the run record give it.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Doctor(_) => "doctor",
            Command::Prune(_) => "prune",
            Command::Fetch(_) => "fetch",
            Command::Mirror(_) => "mirror export",
            Command::Bootstrap(_) => "bootstrap",
            Command::Run(_) => "run",
            Command::Test(_) => "test",
            Command::Patch(_) => "patch",
            Command::Serve(_) => "serve",
            Command::Dist(_) => "dist",
            Command::Verify(_) => "verify",
            Command::Pin(_) => "pin",
        }
    }
}

#[derive(Debug, Args)]
pub struct Doctor {
    /// The targets to check for (wasi, emscripten-node, emscripten-browser, all); repeatable
    /// [default: wasi]
    #[arg(long = "target", value_enum, value_name = "TARGET")]
    pub targets: Vec<TargetFlag>,

    /// A CPython checkout whose Platforms/*/config.toml pins are checked against the manifest
    #[arg(long, value_name = "DIR")]
    pub python_source: Option<PathBuf>,

    /// The work dir whose free space is checked [default: target/bootstrap in the workspace]
    #[arg(long, value_name = "DIR", env = "BOOTSTRAP_WORK_DIR")]
    pub work_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct Prune {
    /// Say what would be removed and how much it would free; remove nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Keep the entries of this manifest name (e.g. `emscripten-6.0.8`) even if nothing pins it;
    /// repeatable
    #[arg(long, value_name = "NAME")]
    pub keep: Vec<String>,

    /// Also remove the build trees (build/, trees/, src/) of this work dir; the next bootstrap
    /// there starts cold. Skipped while a bootstrap holds the work dir; repeatable
    #[arg(long = "work-dir", value_name = "DIR")]
    pub work_dirs: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct Pin {
    /// The component
    #[arg(value_enum, required_unless_present = "from_tree")]
    pub component: Option<crate::pin::Component>,

    /// Its version (`6.0.8`, `24.19.0`, `34` for a WASI SDK, `3.12.14`)
    #[arg(required_unless_present = "from_tree")]
    pub version: Option<String>,

    /// Pin what a CPython checkout's Platforms/*/config.toml names (emscripten version, Node and
    /// WASI SDK majors) and the manifest lacks for the hosts asked for
    #[arg(long, value_name = "DIR", conflicts_with_all = ["component", "version"])]
    pub from_tree: Option<PathBuf>,

    /// A host to pin a toolchain for: x86_64-linux, aarch64-linux, x86_64-macos, aarch64-macos,
    /// or `all`; repeatable [default: this machine]
    #[arg(long = "host", value_name = "HOST")]
    pub hosts: Vec<String>,

    /// A CPython line (X.Y) the entry serves, added to those an entry of the same name (another
    /// host's) already serves; repeatable [default: those lines, or the tree's line]
    #[arg(long, value_name = "X.Y")]
    pub python: Vec<String>,

    /// The emsdk tag or commit whose records are read [default: the emscripten version, which
    /// emsdk tags]
    #[arg(long, value_name = "REF")]
    pub emsdk_ref: Option<String>,

    /// Pin a file its publisher gives no checksum for, by the sha256 of the bytes downloaded now;
    /// the entry's `record` says so
    #[arg(long)]
    pub trust_download: bool,

    /// Replace a publisher's base URL (emsdk, emscripten-builds, nodejs, github-api, python, zlib,
    /// sourceware, bytereef, sqlite): for a proxy of the publisher, or a test server; repeatable
    #[arg(long = "record-base", value_name = "NAME=URL", env = "XTASK_RECORD_BASES", value_delimiter = ',')]
    pub record_bases: Vec<String>,
}

#[derive(Debug, Args)]
pub struct Dist {
    #[command(flatten)]
    pub selection: SourceSelection,

    /// Where the archive goes [default: target/dist in the workspace]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct Verify {
    /// The dist: a `.tar.xz` written by `cargo xtask dist`, or the directory it unpacks to
    pub path: PathBuf,

    /// Build it again from the pins its provenance records (from the cache, the --mirror or the
    /// network; --offline allowed), in a scratch work dir with this tool's patches, and compare
    /// the archive byte for byte; reports the first file that differs
    #[arg(long)]
    pub rebuild: bool,

    /// With --rebuild: the scratch directory (emptied first) [default: target/rebuild in the
    /// workspace]. The rebuilt archive is left in SCRATCH/dist
    #[arg(long, value_name = "DIR", requires = "rebuild")]
    pub scratch: Option<PathBuf>,

    /// With --rebuild of a dist built from a checkout: the checkout (at the commit the
    /// provenance names)
    #[arg(long, value_name = "DIR", requires = "rebuild")]
    pub python_source: Option<PathBuf>,

    /// With --rebuild: the patch series directory [default: patches/ in the workspace]; its
    /// patches must have the digests the provenance records
    #[arg(long, value_name = "DIR", requires = "rebuild")]
    pub patches: Option<PathBuf>,

    /// With --rebuild of a dist built with configure arguments: each of them, given again (a
    /// dist's own record is not trusted to choose what configure runs); repeatable
    #[arg(long, value_name = "ARG", allow_hyphen_values = true, requires = "rebuild")]
    pub configure_arg: Vec<String>,
}

#[derive(Debug, Args)]
pub struct Serve {
    /// The target whose bundle to serve (only the browser target has one)
    #[arg(long, value_enum, default_value_t = ServeTarget::EmscriptenBrowser)]
    pub target: ServeTarget,

    /// All build trees live here [default: target/bootstrap in the workspace]
    #[arg(long, value_name = "DIR", env = "BOOTSTRAP_WORK_DIR")]
    pub work_dir: Option<PathBuf>,

    /// Serve this directory instead of the target's bundle (e.g. a CPython build's web_example)
    #[arg(long, value_name = "DIR", conflicts_with = "work_dir")]
    pub dir: Option<PathBuf>,

    /// The port; 0 picks a free one (the URL printed says which)
    #[arg(long, default_value_t = 8000)]
    pub port: u16,

    /// The address to listen on. Anything but loopback lets other machines load the page
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
}

#[derive(Debug, Args)]
pub struct Fetch {
    /// Artifact names from the manifest
    #[arg(value_name = "NAME", conflicts_with = "targets")]
    pub names: Vec<String>,

    #[command(flatten)]
    pub build: ForBuild,

    /// Also extract each archive into the cache's toolchains directory, as bootstrap does
    /// (pre-warms a machine that will build offline)
    #[arg(long)]
    pub install: bool,
}

#[derive(Debug, Subcommand)]
pub enum MirrorCommand {
    /// Copy verified artifacts into DIR as `<name>/<file>` plus a manifest.toml; serve DIR with
    /// any static file server, or pass it to --mirror directly
    Export(MirrorExport),
}

#[derive(Debug, Args)]
pub struct MirrorExport {
    /// The mirror directory (created if needed)
    pub dir: PathBuf,
    /// Artifact names (default: every artifact for this host)
    #[arg(value_name = "NAME", conflicts_with = "targets")]
    pub names: Vec<String>,

    #[command(flatten)]
    pub build: ForBuild,
}

/// Instead of names: exactly the artifacts bootstrap would use for some targets and a source.
#[derive(Debug, Args, Clone)]
pub struct ForBuild {
    /// Take what bootstrap uses for this target (wasi, emscripten-node, emscripten-browser, or
    /// all): the release, the compiler and runner for this host, the libraries; repeatable
    #[arg(long = "target", value_enum, value_name = "TARGET")]
    pub targets: Vec<TargetFlag>,

    /// With --target: the CPython release, X.Y or X.Y.Z [default: the newest line the manifest
    /// pins]
    #[arg(long, value_name = "X.Y[.Z]", requires = "targets", conflicts_with = "python_source", value_parser = python_version)]
    pub python: Option<String>,

    /// With --target: a CPython checkout, whose Platforms/*/config.toml choose the toolchains
    #[arg(long, value_name = "DIR", requires = "targets")]
    pub python_source: Option<PathBuf>,
}

/// Which CPython source and target: shared by bootstrap, patch, run and test.
#[derive(Debug, Args, Clone)]
pub struct SourceSelection {
    /// The build target; `all` (bootstrap only) builds wasi, emscripten-node and
    /// emscripten-browser one after another in one work dir, sharing the build Python and the
    /// dependency builds
    #[arg(long, value_enum, default_value_t = TargetFlag::Wasi)]
    pub target: TargetFlag,

    /// With --target emscripten-node: the pthreads variant (--enable-wasm-pthreads, the
    /// interpreter's main in a worker, threads as more workers), built in its own directory
    /// (emscripten-node-threads) next to the plain one
    #[arg(long)]
    pub threads: bool,

    /// The CPython line to build from its pinned release tarball (X.Y: the release the manifest
    /// names `cpython-X.Y`; X.Y.Z: that pinned release) [default: the newest line the manifest
    /// pins]
    #[arg(long, value_name = "X.Y[.Z]", conflicts_with = "python_source", value_parser = python_version)]
    pub python: Option<String>,

    /// Build from this CPython checkout instead of a release tarball
    #[arg(long, value_name = "DIR")]
    pub python_source: Option<PathBuf>,

    /// All build trees live here [default: target/bootstrap in the workspace]
    #[arg(long, value_name = "DIR", env = "BOOTSTRAP_WORK_DIR")]
    pub work_dir: Option<PathBuf>,
}

/// What to build with: the source selection plus the toolchains.
#[derive(Debug, Args, Clone)]
pub struct BuildSelection {
    #[command(flatten)]
    pub source: SourceSelection,

    /// Use this WASI SDK instead of the pinned one (checked against the pin's version)
    #[arg(long, value_name = "PATH", env = "WASI_SDK_PATH")]
    pub wasi_sdk: Option<PathBuf>,

    /// Use this wasmtime binary instead of the pinned one
    #[arg(long, value_name = "PATH")]
    pub wasmtime: Option<PathBuf>,

    /// Use this emscripten release instead of the pinned one: the `install` directory of emsdk's
    /// wasm-binaries archive, holding bin/ and emscripten/ (checked against the pin's version)
    #[arg(long, value_name = "PATH")]
    pub emscripten: Option<PathBuf>,

    /// Use this node binary instead of the pinned one (Node 18 or newer)
    #[arg(long, value_name = "PATH")]
    pub node: Option<PathBuf>,
}

/// The targets `serve` can serve: those with a web bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ServeTarget {
    /// The web bundle of wasm32-emscripten for the browser
    EmscriptenBrowser,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetFlag {
    /// wasm32-wasip1, run under wasmtime
    Wasi,
    /// wasm32-emscripten for Node (NODERAWFS: the interpreter sees the host's files), run
    /// under the pinned node
    EmscriptenNode,
    /// wasm32-emscripten for the browser: a web bundle (module, wasm, REPL page and worker, stdlib
    /// zip) that `serve` serves; run and tested under the pinned node as the page's worker loads it
    EmscriptenBrowser,
    /// Every target, one after another (bootstrap only)
    All,
}

#[derive(Debug, Args)]
pub struct Bootstrap {
    #[command(flatten)]
    pub selection: BuildSelection,

    /// The patch series directory, holding X.Y/series.toml per CPython line [default: patches/ in
    /// the workspace]
    #[arg(long, value_name = "DIR")]
    pub patches: Option<PathBuf>,

    /// An extra argument for the target's configure (for example `--with-pydebug`); repeatable.
    /// Changing it re-runs configure and make for the target only
    #[arg(long, value_name = "ARG", allow_hyphen_values = true)]
    pub configure_arg: Vec<String>,

    /// Parallel make jobs [default: the number of cores]
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Stop after the build; skip the smoke test
    #[arg(long)]
    pub no_test: bool,

    /// The build's timestamp, for every date the build writes [default: the release's date (its
    /// configure's mtime in the tarball), or a checkout's last commit]. Recorded in inputs.json
    /// and the dist's provenance
    #[arg(long, value_name = "SECONDS")]
    pub source_date_epoch: Option<u64>,

    /// When the source pins a toolchain the manifest lacks for this host (Platforms/*/config.toml),
    /// pin it first from its publisher's record, as `cargo xtask pin --from-tree` does, writing the
    /// manifest (or the last --overlay). Needs the network
    #[arg(long, conflicts_with = "dry_run")]
    pub pin_missing: bool,

    /// Replace a publisher's base URL for --pin-missing (see `pin --help`); repeatable
    #[arg(long = "record-base", value_name = "NAME=URL", env = "XTASK_RECORD_BASES", value_delimiter = ',')]
    pub record_bases: Vec<String>,

    /// List the artifacts this build would use (release, toolchains, libraries), with their sizes
    /// and whether the cache has them, and build nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct Patch {
    #[command(flatten)]
    pub selection: SourceSelection,

    /// The patch series directory, holding X.Y/series.toml per CPython line [default: patches/ in
    /// the workspace]
    #[arg(long, value_name = "DIR")]
    pub patches: Option<PathBuf>,

    /// Report each patch's state (not applied, applied, already applied upstream) and change
    /// nothing; fails if a patch does not apply
    #[arg(long, conflicts_with = "revert")]
    pub check: bool,

    /// Revert every patch this tool applied to the series' tree
    #[arg(long, conflicts_with = "refresh")]
    pub revert: bool,

    /// After applying the series and editing the tree by hand, write each patch file again from
    /// the tree (headers kept; a file's edits go to the last patch that touches it)
    #[arg(long, conflicts_with = "check")]
    pub refresh: bool,
}

#[derive(Debug, Args)]
pub struct Run {
    #[command(flatten)]
    pub selection: SourceSelection,

    /// Arguments for the interpreter, after `--`
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct Test {
    #[command(flatten)]
    pub selection: SourceSelection,

    /// `smoke` checks the build quickly; `interrupt` (emscripten-node, and emscripten-browser's
    /// bundle under Node) raises KeyboardInterrupt in a busy loop from the JS host; `extension`
    /// (emscripten) imports a C extension built as a side module; `full` runs CPython's test
    /// suite as its CI does, in the line's single-process mode
    #[arg(long, value_enum, default_value_t = Suite::Smoke)]
    pub suite: Suite,

    /// Seconds each test of the full suite may take
    #[arg(long, value_name = "SECS", default_value_t = 900)]
    pub per_test_timeout: u64,

    /// Also run the tests `--suite full` leaves out as known failures of this line and target
    /// (tests whose expectations do not hold on wasm; each listed with its reason in
    /// xtask/src/run/known-failures.toml and docs/support-matrix.md)
    #[arg(long)]
    pub with_known_failures: bool,

    /// Extra regrtest arguments for `--suite full`, after `--`
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Suite {
    Smoke,
    Interrupt,
    Extension,
    Full,
}
