//! `cargo xtask`: see the library's documentation and docs/architecture.md.

fn main() -> std::process::ExitCode {
    xtask::main()
}
