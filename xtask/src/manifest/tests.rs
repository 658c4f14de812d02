use super::*;

const SHA: &str = "9a93b2b7dfdac77ceba5a558a580e74667dd6fede4585b91eefb60f03b72df23";

fn entry(name: &str, extra: &str) -> String {
    format!(
        "[[artifact]]\nname = \"{name}\"\nversion = \"1.0\"\nurl = \"https://example.org/{name}-1.0.tar.gz\"\nsha256 = \"{SHA}\"\n{extra}\n"
    )
}

fn parse(text: &str) -> Result<Manifest, ManifestError> {
    Manifest::parse(text, Path::new("m.toml"))
}

#[test]
fn parses_a_valid_manifest() {
    let m =
        parse(&format!("schema = 1\n{}{}", entry("zlib", "size = 10"), entry("wasmtime", "host = \"x86_64-linux\"")))
            .unwrap();
    assert_eq!(m.artifacts.len(), 2);
    assert_eq!(m.artifacts[0].size, Some(10));
    assert_eq!(m.artifacts[0].file_name(), "zlib-1.0.tar.gz");
    assert_eq!(m.artifacts[0].format, ArchiveFormat::TarGz);
    assert_eq!(m.artifacts[1].host.as_deref(), Some("x86_64-linux"));
}

#[test]
fn unknown_field_names_file_and_line() {
    let err = parse(&format!("schema = 1\n{}", entry("zlib", "colour = \"red\""))).unwrap_err().to_string();
    assert!(err.starts_with("m.toml:7:"), "{err}");
    assert!(err.contains("unknown field `colour`"), "{err}");
}

#[test]
fn malformed_sha256_names_the_field() {
    let text = format!("schema = 1\n{}", entry("zlib", "")).replace(SHA, "ABCD");
    let err = parse(&text).unwrap_err().to_string();
    assert_eq!(err, "m.toml:6: artifact `zlib`: field `sha256`: expected 64 lowercase hex digits, got `ABCD`");
}

#[test]
fn duplicate_name_and_host_is_an_error() {
    let err = parse(&format!("schema = 1\n{}{}", entry("zlib", ""), entry("zlib", ""))).unwrap_err().to_string();
    assert!(err.contains("m.toml:8:") && err.contains("duplicate") && err.contains("line 2"), "{err}");
    // The same name for two hosts is fine.
    parse(&format!("schema = 1\n{}{}", entry("w", "host = \"a\""), entry("w", "host = \"b\""))).unwrap();
}

#[test]
fn plain_http_is_refused_except_loopback() {
    let text = format!("schema = 1\n{}", entry("zlib", ""));
    let err = parse(&text.replace("https://example.org", "http://example.org")).unwrap_err().to_string();
    assert!(err.contains("field `url`") && err.contains("plain http"), "{err}");
    parse(&text.replace("https://example.org", "http://127.0.0.1:8080")).unwrap();
    parse(&text.replace("https://example.org", "file:///srv/mirror")).unwrap();
    let err = parse(&text.replace("https://example.org", "ftp://example.org")).unwrap_err().to_string();
    assert!(err.contains("not an https://"), "{err}");
}

#[test]
fn wrong_schema_is_refused() {
    let err = parse("schema = 2\n").unwrap_err().to_string();
    assert!(err.contains("m.toml:1:") && err.contains("schema 2"), "{err}");
}

#[test]
fn overlay_replaces_by_name_and_host_and_adds_new_entries() {
    let mut base = parse(&format!("schema = 1\n{}{}", entry("zlib", ""), entry("w", "host = \"a\""))).unwrap();
    let overlay = parse(&format!(
        "schema = 1\n{}{}",
        entry("zlib", "size = 5").replace("1.0", "1.1"),
        entry("w", "host = \"b\"")
    ))
    .unwrap();
    assert_eq!(base.apply_overlay(overlay), []);
    assert_eq!(base.artifacts.len(), 3);
    assert_eq!(base.artifacts[0].version, "1.1");
    assert_eq!(base.artifacts[0].size, Some(5));
    assert_eq!(base.for_machine("b").map(|a| a.name.as_str()).collect::<Vec<_>>(), ["zlib", "w"]);
}

#[test]
fn an_overlay_that_takes_lines_away_says_which() {
    let mut base = parse(&format!("schema = 1\n{}", entry("w", "python = [\"3.13\", \"3.15\"]"))).unwrap();
    let overlay = parse(&format!("schema = 1\n{}", entry("w", "python = [\"3.13\"]"))).unwrap();
    assert_eq!(base.apply_overlay(overlay), [("w".to_owned(), "any host".to_owned(), "CPython 3.15".to_owned())]);
    let wider = parse(&format!("schema = 1\n{}", entry("w", "python = [\"3.13\", \"3.14\"]"))).unwrap();
    assert_eq!(base.apply_overlay(wider), []);
}

#[test]
fn component_lookup_respects_python_line() {
    let m = parse(&format!(
        "schema = 1\n{}{}",
        entry("wasi-sdk-24", "component = \"wasi-sdk\"\npython = [\"3.13\", \"3.14\"]"),
        entry("wasi-sdk-34", "component = \"wasi-sdk\"\npython = [\"3.15\"]")
    ))
    .unwrap();
    assert_eq!(m.component("wasi-sdk", "3.14", "x").unwrap().name, "wasi-sdk-24");
    assert_eq!(m.component("wasi-sdk", "3.15", "x").unwrap().name, "wasi-sdk-34");
    assert!(m.component("wasi-sdk", "3.12", "x").is_err());
}

#[test]
fn fields_that_become_paths_are_single_safe_components() {
    let cases = [
        (entry("zlib", "").replace("version = \"1.0\"", "version = \"x/../../../tmp/y\""), "field `version`"),
        (entry("..", ""), "field `name`: `..` cannot name a file"),
        (entry("zlib", "strip = \"..\""), "field `strip`: `..` cannot name a file"),
        (entry("zlib", "strip = \"a/b\""), "field `strip`: `a/b` must be a single file name"),
        (entry("zlib", "").replace("zlib-1.0.tar.gz", ""), "field `url`: `` cannot name a file"),
        (entry("zlib", "").replace("zlib-1.0.tar.gz", ".."), "field `url`: `..` cannot name a file"),
        (entry("zlib", "").replace("1.0\"", "1.0\\u001b[2J\""), "must be a single file name"),
    ];
    for (text, expected) in cases {
        let err = parse(&format!("schema = 1\n{text}")).unwrap_err().to_string();
        assert!(err.contains(expected), "{err}");
        assert!(!err.contains('\u{1b}'), "control characters are escaped: {err}");
    }
}

#[test]
fn the_file_name_is_the_last_segment_of_the_url_path() {
    assert_eq!(url_file_name("https://h/a/b-1.tar.gz?download=1#x"), "b-1.tar.gz");
    assert_eq!(url_file_name("https://h/a/"), "");
    assert_eq!(url_file_name("https://h"), "");
    assert_eq!(url_file_name("file:///srv/m/x.tar.xz"), "x.tar.xz");
}

#[test]
fn a_type_error_names_the_artifact_and_the_field() {
    let text = format!("schema = 1\n{}{}", entry("zlib", ""), entry("bzip2", "size = \"big\""));
    let err = parse(&text).unwrap_err().to_string();
    assert!(err.starts_with("m.toml:13: artifact `bzip2`: field `size`: invalid type"), "{err}");
}

#[test]
fn an_unreadable_manifest_names_the_file_without_a_line() {
    let err = Manifest::load(Path::new("/nonexistent/m.toml")).unwrap_err().to_string();
    assert!(err.starts_with("/nonexistent/m.toml: cannot read the manifest:"), "{err}");
    assert!(err.contains("--manifest"), "{err}");
}

#[test]
fn unpacked_size_is_read() {
    let m = parse(&format!("schema = 1\n{}", entry("zlib", "unpacked_size = 1000"))).unwrap();
    assert_eq!(m.artifacts[0].unpacked_size, Some(1000));
}
