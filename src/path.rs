//! JSON paths in the form errors report them: `cursor_configs[2].batch_size`.
//!
//! The input itself is the empty path. Keys that are not plain identifiers are quoted
//! (`results["odd.key"]`) so that a path always names exactly one value.

use std::fmt;

/// A path from the root of an input to one of its values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JsonPath(String);

impl JsonPath {
    /// The input itself.
    pub fn root() -> Self {
        JsonPath(String::new())
    }

    /// The value under `key` of the object at this path.
    pub fn key(&self, key: &str) -> Self {
        let mut out = self.0.clone();
        push_key(&mut out, key);
        JsonPath(out)
    }

    /// The element `index` of the array at this path.
    pub fn index(&self, index: usize) -> Self {
        JsonPath(format!("{}[{}]", self.0, index))
    }

    /// This path followed by an already formatted relative path.
    pub fn join_str(&self, relative: &str) -> String {
        if self.0.is_empty() {
            relative.to_owned()
        } else if relative.is_empty() {
            self.0.clone()
        } else if relative.starts_with('[') {
            format!("{}{}", self.0, relative)
        } else {
            format!("{}.{}", self.0, relative)
        }
    }

    /// The path as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Appends `key` to a formatted path, quoting it when it is not a plain identifier.
pub(crate) fn push_key(out: &mut String, key: &str) {
    let plain = !key.is_empty()
        && !key.starts_with(|c: char| c.is_ascii_digit())
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(key);
    } else {
        out.push('[');
        out.push_str(&serde_json::to_string(key).expect("a string always serializes"));
        out.push(']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_keys_and_indexes_like_the_contract() {
        let p = JsonPath::root()
            .key("cursor_configs")
            .index(2)
            .key("batch_size");
        assert_eq!(p.as_str(), "cursor_configs[2].batch_size");
    }

    #[test]
    fn quotes_keys_that_are_not_identifiers() {
        let p = JsonPath::root().key("results").key("odd.key").key("");
        assert_eq!(p.as_str(), r#"results["odd.key"][""]"#);
    }

    #[test]
    fn joins_relative_paths() {
        let p = JsonPath::root().key("outcome");
        assert_eq!(p.join_str("cursor_configs[0]"), "outcome.cursor_configs[0]");
        assert_eq!(p.join_str("[1]"), "outcome[1]");
        assert_eq!(p.join_str(""), "outcome");
        assert_eq!(JsonPath::root().join_str("x"), "x");
    }
}
