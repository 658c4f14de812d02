//! One file per command.

mod bootstrap;
mod fetch;
mod mirror;
mod run;
mod test;
