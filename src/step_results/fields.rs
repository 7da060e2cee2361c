//! The fields the reducers read, as one set: looked up by name in constant time, so that
//! reading a result is linear in its keys however many reducers there are (a linear scan of the
//! fields for every key was quadratic: issue 9, item 1).

use std::collections::HashMap;

use super::store::{known, KNOWN};

/// The reducers' fields, in the order the reducers were given, with an index by name and the
/// known names (counters, `errors`, wrappers...) among them as a bit set.
#[derive(Clone, Debug, Default)]
pub(crate) struct Fields {
    names: Vec<String>,
    /// Name to position in `names`, for more than [`Fields::SCAN_LIMIT`] names (a few are
    /// found faster by comparing them than by hashing the name looked up).
    index: Option<HashMap<String, usize>>,
    /// Bit `k` set when the known name `k` is one of the fields.
    known: u32,
}

/// No fields: the readers that read the counters and `errors` only.
pub(crate) static NO_FIELDS: Fields = Fields {
    names: Vec::new(),
    index: None,
    known: 0,
};

impl Fields {
    /// The fields `names`, in their order (each name once: they are the keys of one object).
    /// Up to this many names, a lookup compares the names; beyond, it hashes.
    const SCAN_LIMIT: usize = 8;

    pub(crate) fn new(names: Vec<String>) -> Self {
        let index = (names.len() > Self::SCAN_LIMIT).then(|| {
            names
                .iter()
                .enumerate()
                .map(|(i, name)| (name.clone(), i))
                .collect()
        });
        let known = names
            .iter()
            .filter_map(|name| known(name))
            .fold(0, |bits, k| bits | 1 << k);
        Fields {
            names,
            index,
            known,
        }
    }

    /// The names, in their order.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// The position of `name` among the fields.
    pub(crate) fn position(&self, name: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(name).copied(),
            None => self.names.iter().position(|n| n == name),
        }
    }

    /// How many names there are.
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether `name` is one of the fields.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// Whether the known name `k` is one of the fields.
    pub(crate) fn has_known(&self, k: usize) -> bool {
        self.known & 1 << k != 0
    }

    /// The known names among the fields, as their indices into the known names.
    pub(crate) fn known(&self) -> impl Iterator<Item = usize> + '_ {
        (0..KNOWN.len()).filter(|&k| self.has_known(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_fields_up_by_name_and_knows_the_known_ones() {
        let fields = Fields::new(
            ["zeta", "items_failed", "alpha", "result"]
                .map(String::from)
                .to_vec(),
        );
        assert_eq!(fields.position("alpha"), Some(2));
        assert_eq!(fields.position("zeta"), Some(0));
        assert_eq!(fields.position("beta"), None);
        assert!(fields.contains("result"));
        assert_eq!(fields.known().collect::<Vec<_>>(), [2, 8]);
        assert!(NO_FIELDS.known().next().is_none() && !NO_FIELDS.contains(""));
    }

    #[test]
    fn many_fields_are_looked_up_by_hash_with_the_same_answers() {
        let names: Vec<String> = (0..40).map(|i| format!("f{i}")).collect();
        let fields = Fields::new(names.clone());
        assert!(fields.index.is_some());
        for (i, name) in names.iter().enumerate() {
            assert_eq!(fields.position(name), Some(i));
        }
        assert_eq!(fields.position("f40"), None);
        assert_eq!(fields.len(), 40);
    }
}
