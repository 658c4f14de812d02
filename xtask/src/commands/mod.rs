//! One file per command.

mod fetch;
mod mirror;
