//! One file per command. A command turns its flags into values (selection.rs) and calls the
//! stages in pipeline order; it owns no stage and calls no other command.

mod bootstrap;
mod dist;
mod doctor;
mod fetch;
mod mirror;
mod patch;
mod prune;
pub(crate) mod pin;
mod run;
mod serve;
mod test;
mod verify;
