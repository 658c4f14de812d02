//! Looking after the machine and the cache, outside the pipeline: `doctor` checks before a build
//! (bootstrap runs its blocking part first), `prune` removes what nothing pins after.

pub mod doctor;
pub mod inventory;
pub mod prune;
