//! The tests of CPython's suite that the full run leaves out on a line and target, because their
//! expectations do not hold there (known-failures.toml says which and why).

use serde::Deserialize;

const LIST: &str = include_str!("known-failures.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct List {
    failure: Vec<Failure>,
}

/// A group of test ids that fail for one reason.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Failure {
    pub tests: Vec<String>,
    lines: Vec<String>,
    targets: Vec<String>,
    pub why: String,
}

/// The known failures of `line` (`3.14`) on `target` (`wasi`).
pub fn for_build(line: &str, target: &str) -> Vec<Failure> {
    let list: List = toml::from_str(LIST).expect("known-failures.toml is checked by a unit test");
    list.failure
        .into_iter()
        .filter(|f| f.lines.iter().any(|l| l == line) && f.targets.iter().any(|t| t == target))
        .collect()
}

/// regrtest's arguments for leaving them out.
pub fn ignore_args(failures: &[Failure]) -> Vec<String> {
    failures.iter().flat_map(|f| &f.tests).flat_map(|id| ["--ignore".to_owned(), id.clone()]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_parses_and_each_entry_is_complete() {
        let list: List = toml::from_str(LIST).unwrap();
        for failure in &list.failure {
            assert!(!failure.tests.is_empty() && !failure.lines.is_empty() && !failure.targets.is_empty());
            assert!(!failure.why.trim().is_empty());
            for id in &failure.tests {
                assert!(id.starts_with("test.") && !id.contains(char::is_whitespace), "{id}");
            }
            for target in &failure.targets {
                assert!(crate::target::ALL.iter().any(|t| t.name == target), "{target}");
            }
        }
    }

    #[test]
    fn failures_are_chosen_by_line_and_target() {
        let ctypes = for_build("3.13", "emscripten-node");
        assert_eq!(ignore_args(&ctypes).len(), 6);
        assert_eq!(ignore_args(&ctypes)[0], "--ignore");
        assert_eq!(for_build("3.12", "wasi").len(), 2);
        assert!(for_build("3.12", "emscripten-node").is_empty());
        assert!(for_build("3.14", "emscripten-node").is_empty());
        assert_eq!(for_build("3.15", "wasi").len(), 1);
    }
}
