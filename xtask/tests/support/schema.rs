//! The part of JSON Schema that docs/events.schema.json uses, to check every event a test sees
//! against the published schema (the e2e tier checks its events with Python's jsonschema).

use serde_json::Value;

/// The published event schema.
pub fn events() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/events.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Parses each stdout line as an event valid under `schema`; panics naming the first that is not.
pub fn parse_events(schema: &Value, stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| {
            let event: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            if let Err(why) = check(schema, schema, &event) {
                panic!("event does not match docs/events.schema.json ({why}): {line}");
            }
            event
        })
        .collect()
}

fn check(root: &Value, schema: &Value, value: &Value) -> Result<(), String> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.strip_prefix("#/$defs/").ok_or(format!("unsupported $ref {reference}"))?;
        return check(root, &root["$defs"][name], value);
    }
    if let Some(types) = schema.get("type") {
        let allowed: Vec<&str> = match types {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => return Err("bad type".into()),
        };
        if !allowed.iter().any(|t| is_type(t, value)) {
            return Err(format!("{value} is not {allowed:?}"));
        }
    }
    if let Some(wanted) = schema.get("const") {
        if wanted != value {
            return Err(format!("{value} is not {wanted}"));
        }
    }
    if let Some(Value::Array(options)) = schema.get("enum") {
        if !options.contains(value) {
            return Err(format!("{value} is not one of {options:?}"));
        }
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        assert_eq!(pattern, "^[0-9a-f]{64}$", "a pattern this checker does not know");
        let text = value.as_str().unwrap_or_default();
        if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(format!("{value} is not a sha256"));
        }
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_f64), value.as_f64()) {
        if n < min {
            return Err(format!("{n} < {min}"));
        }
    }
    if let (Some(max), Some(n)) = (schema.get("maximum").and_then(Value::as_f64), value.as_f64()) {
        if n > max {
            return Err(format!("{n} > {max}"));
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for item in array {
            check(root, items, item)?;
        }
    }
    if let Some(object) = value.as_object() {
        for required in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let name = required.as_str().unwrap_or_default();
            if !object.contains_key(name) {
                return Err(format!("no `{name}`"));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (name, field) in object {
            match properties.and_then(|p| p.get(name)) {
                Some(sub) => check(root, sub, field).map_err(|e| format!("{name}: {e}"))?,
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return Err(format!("`{name}` is not in the schema"))
                }
                None => {}
            }
        }
    }
    if let Some(Value::Array(options)) = schema.get("oneOf") {
        let matching = options.iter().filter(|option| check(root, option, value).is_ok()).count();
        if matching != 1 {
            let why: Vec<String> = options.iter().filter_map(|o| check(root, o, value).err()).collect();
            return Err(format!("matches {matching} of the event shapes; {}", why.join(" | ")));
        }
    }
    Ok(())
}

fn is_type(name: &str, value: &Value) -> bool {
    match name {
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        _ => false,
    }
}
