//! One file per command.

mod bootstrap;
mod fetch;
mod mirror;
mod patch;
mod run;
mod test;
mod tools;
