//! A JSON tree that keeps the text of numbers and strings as written (digits beyond 64 bits,
//! `1.50`, escapes, lone surrogates) and every member of an object in order, duplicates
//! included: what the structure-aware target edits. serde_json's `Value` would round big
//! numbers (the core's serde_json has no `arbitrary_precision`, and this crate must not add it)
//! and could hold neither a lone surrogate nor a key given twice.

/// One JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number, as its text.
    Number(String),
    /// A string, as the text between its quotes (escapes kept).
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object: members in order, a key possibly twice; keys as the text between quotes.
    Object(Vec<(String, Json)>),
}

/// Values nested deeper than this are not read (the vectors that test nesting go far deeper;
/// the target leaves them to the byte-level one) and no mutation nests past it.
pub const MAX_DEPTH: usize = 400;

impl Json {
    /// Reads `text`, which the caller trusts to be one JSON value; `None` when it is not, or
    /// nests deeper than [`MAX_DEPTH`].
    pub fn parse(text: &str) -> Option<Json> {
        let mut reader = Reader {
            bytes: text.as_bytes(),
            at: 0,
        };
        let value = reader.value(0)?;
        reader.space();
        (reader.at == reader.bytes.len()).then_some(value)
    }

    /// The compact JSON text.
    pub fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::String(s) => {
                out.push('"');
                out.push_str(s);
                out.push('"');
            }
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push('"');
                    out.push_str(key);
                    out.push_str("\":");
                    value.write(out);
                }
                out.push('}');
            }
        }
    }

    /// How many values the tree holds (itself included).
    pub fn size(&self) -> usize {
        1 + match self {
            Json::Array(items) => items.iter().map(Json::size).sum(),
            Json::Object(members) => members.iter().map(|(_, v)| v.size()).sum(),
            _ => 0,
        }
    }

    /// How deep the tree nests (a scalar is 0).
    pub fn depth(&self) -> usize {
        match self {
            Json::Array(items) => 1 + items.iter().map(Json::depth).max().unwrap_or(0),
            Json::Object(members) => 1 + members.iter().map(|(_, v)| v.depth()).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// The value at position `n` of a preorder walk, counted modulo [`Json::size`]: any `n`
    /// names some value, so every fuzzer choice is used. Linear in `n`.
    pub fn nth_mut(&mut self, n: usize) -> &mut Json {
        let mut left = n % self.size();
        let mut route = Vec::new();
        assert!(self.route_to(&mut left, &mut route), "n is below the size");
        route.iter().fold(self, |value, &i| match value {
            Json::Array(items) => &mut items[i],
            Json::Object(members) => &mut members[i].1,
            _ => unreachable!("a route goes through arrays and objects"),
        })
    }

    /// Walks in preorder until `left` values have been passed, recording the child indexes
    /// taken; true when the value was found in this subtree.
    fn route_to(&self, left: &mut usize, route: &mut Vec<usize>) -> bool {
        if *left == 0 {
            return true;
        }
        *left -= 1;
        let children: Box<dyn Iterator<Item = &Json>> = match self {
            Json::Array(items) => Box::new(items.iter()),
            Json::Object(members) => Box::new(members.iter().map(|(_, v)| v)),
            _ => return false,
        };
        for (i, child) in children.enumerate() {
            route.push(i);
            if child.route_to(left, route) {
                return true;
            }
            route.pop();
        }
        false
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn space(&mut self) {
        while matches!(self.bytes.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.space();
        (self.bytes.get(self.at) == Some(&byte)).then(|| self.at += 1)
    }

    fn peek(&mut self) -> Option<u8> {
        self.space();
        self.bytes.get(self.at).copied()
    }

    fn value(&mut self, depth: usize) -> Option<Json> {
        match self.peek()? {
            b'{' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.at += 1;
                let mut members = Vec::new();
                if self.eat(b'}').is_some() {
                    return Some(Json::Object(members));
                }
                loop {
                    self.eat(b'"')?;
                    let key = self.string_body()?;
                    self.eat(b':')?;
                    members.push((key, self.value(depth + 1)?));
                    if self.eat(b',').is_none() {
                        self.eat(b'}')?;
                        return Some(Json::Object(members));
                    }
                }
            }
            b'[' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.at += 1;
                let mut items = Vec::new();
                if self.eat(b']').is_some() {
                    return Some(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(b',').is_none() {
                        self.eat(b']')?;
                        return Some(Json::Array(items));
                    }
                }
            }
            b'"' => {
                self.at += 1;
                self.string_body().map(Json::String)
            }
            b't' => self.word("true", Json::Bool(true)),
            b'f' => self.word("false", Json::Bool(false)),
            b'n' => self.word("null", Json::Null),
            b'-' | b'0'..=b'9' => {
                let start = self.at;
                while matches!(
                    self.bytes.get(self.at),
                    Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                ) {
                    self.at += 1;
                }
                let text = std::str::from_utf8(&self.bytes[start..self.at]).ok()?;
                Some(Json::Number(text.to_owned()))
            }
            _ => None,
        }
    }

    fn word(&mut self, word: &str, value: Json) -> Option<Json> {
        let end = self.at + word.len();
        (self.bytes.get(self.at..end) == Some(word.as_bytes())).then(|| {
            self.at = end;
            value
        })
    }

    /// The text up to the closing quote (the opening one is read), escapes kept.
    fn string_body(&mut self) -> Option<String> {
        let start = self.at;
        loop {
            match self.bytes.get(self.at)? {
                b'"' => break,
                b'\\' => self.at += 2,
                _ => self.at += 1,
            }
        }
        let body = std::str::from_utf8(self.bytes.get(start..self.at)?).ok()?;
        self.at += 1;
        Some(body.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> String {
        let mut out = String::new();
        Json::parse(text).expect("valid").write(&mut out);
        out
    }

    #[test]
    fn numbers_strings_and_duplicate_keys_keep_their_text() {
        assert_eq!(
            round_trip(
                r#" {"a": [1.50, 100000000000000000000000000000000000000000], "a": "\ud800\"x"} "#
            ),
            r#"{"a":[1.50,100000000000000000000000000000000000000000],"a":"\ud800\"x"}"#
        );
    }

    #[test]
    fn preorder_positions_name_every_value() {
        let mut tree = Json::parse(r#"{"a":[1,2],"b":{"c":null}}"#).unwrap();
        assert_eq!(tree.size(), 6);
        assert_eq!(*tree.nth_mut(3), Json::Number("2".into()));
        assert_eq!(*tree.nth_mut(5), Json::Null);
        assert_eq!(*tree.nth_mut(6 + 2), Json::Number("1".into()));
    }

    #[test]
    fn too_deep_or_invalid_text_is_not_read() {
        assert!(Json::parse(&"[".repeat(MAX_DEPTH + 1)).is_none());
        assert!(Json::parse("[1,").is_none());
        assert!(Json::parse("{} x").is_none());
    }
}
