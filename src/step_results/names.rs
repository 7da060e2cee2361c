//! Step names given twice: one check for every list of step names a request carries (the keys
//! of `dependency_results` and `batch_results`, whether read once or kept as text, and
//! `dependency_names`).

use std::collections::hash_map::{Entry, RandomState};
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

/// The step names read so far, to find one given twice.
///
/// While names come in increasing order (shorter first, then by bytes: the order of worker
/// names `{template}_{batch_id}`), each is new by being greater than the one before, and
/// nothing is hashed. From the first name out of order on, each name is hashed once (with the
/// standard library's keyed hasher) into a table of hashes and where each was first seen.
/// The names themselves stay where the caller keeps them.
#[derive(Default)]
pub(crate) struct UniqueNames {
    keys: RandomState,
    first: Option<HashMap<u64, usize, BuildHasherDefault<Prehashed>>>,
}

impl UniqueNames {
    /// Notes `name`, the name at position `next`; `earlier(i)` is the name at each earlier
    /// position. False when an earlier name is `name`.
    pub(crate) fn insert<'n>(
        &mut self,
        name: &str,
        next: usize,
        earlier: impl Fn(usize) -> &'n str,
    ) -> bool {
        let first = match &mut self.first {
            Some(first) => first,
            None => {
                let previous = next.checked_sub(1).map(&earlier);
                if previous.is_none_or(|p| (p.len(), p) < (name.len(), name)) {
                    return true;
                }
                let keys = &self.keys;
                self.first
                    .insert((0..next).map(|i| (keys.hash_one(earlier(i)), i)).collect())
            }
        };
        match first.entry(self.keys.hash_one(name)) {
            Entry::Vacant(slot) => {
                slot.insert(next);
                true
            }
            Entry::Occupied(seen) if earlier(*seen.get()) == name => false,
            // Two names with one hash: compare with every name (practically never).
            Entry::Occupied(_) => (0..next).all(|i| earlier(i) != name),
        }
    }
}

/// A hasher for keys that are hashes already.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The position of the first name given again, if any.
    fn first_repeat(names: &[&str]) -> Option<usize> {
        let mut seen = UniqueNames::default();
        (0..names.len()).find(|&i| !seen.insert(names[i], i, |j| names[j]))
    }

    #[test]
    fn names_in_increasing_order_are_new_without_hashing() {
        let names = ["w_999", "w_1000", "w_1001"];
        assert_eq!(first_repeat(&names), None);
        let mut seen = UniqueNames::default();
        for (i, name) in names.iter().enumerate() {
            assert!(seen.insert(name, i, |j| names[j]));
        }
        assert!(seen.first.is_none(), "no table while names increase");
    }

    #[test]
    fn a_repeat_is_found_in_any_order() {
        for (names, repeat) in [
            (&["a", "b", "c"][..], None),
            (&["b", "a", "c", "a"], Some(3)),
            (&["a", "b", "b"], Some(2)),
            (&["a", "b", "a"], Some(2)),
            (&["x", "x"], Some(1)),
            (&["c", "b", "a", "d"], None),
        ] {
            assert_eq!(first_repeat(names), repeat, "{names:?}");
        }
    }

    #[test]
    fn names_that_share_a_hash_are_still_told_apart() {
        let names = ["b", "a", "c"];
        let mut seen = UniqueNames::default();
        assert!(seen.insert(names[0], 0, |j| names[j]));
        assert!(seen.insert(names[1], 1, |j| names[j]));
        // Pretend "c" hashes like "b": the names are compared, not only their hashes.
        let hash_b = seen.keys.hash_one("b");
        let table = seen.first.as_mut().unwrap();
        let at = table.remove(&hash_b).unwrap();
        table.insert(seen.keys.hash_one("c"), at);
        assert!(seen.insert("c", 2, |j| names[j]));
        assert!(!seen.insert("a", 3, |j| names[j]));
    }
}
