//! An insertion-ordered set of strings: the users, lists and ids a request names, kept once
//! each, in linear time (a `Vec::contains` per item is quadratic in what a client sends, and
//! the engine holds its lock meanwhile).

use crate::hash::HashSet;

/// Strings in first-insertion order, each once.
#[derive(Default)]
pub(crate) struct Unique {
    items: Vec<String>,
    seen: HashSet<String>,
}

impl Unique {
    /// Adds `s` unless it is already there; whether it was added.
    pub fn insert(&mut self, s: String) -> bool {
        if self.seen.contains(&s) {
            return false;
        }
        self.seen.insert(s.clone());
        self.items.push(s);
        true
    }

    /// Whether `s` is there.
    pub fn contains(&self, s: &str) -> bool {
        self.seen.contains(s)
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The strings, in insertion order.
    pub fn into_vec(self) -> Vec<String> {
        self.items
    }
}

impl FromIterator<String> for Unique {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Self {
        let mut u = Unique::default();
        for s in iter {
            u.insert(s);
        }
        u
    }
}

impl Extend<String> for Unique {
    fn extend<I: IntoIterator<Item = String>>(&mut self, iter: I) {
        for s in iter {
            self.insert(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_first_occurrences_in_order() {
        let u: Unique = ["b", "a", "b", "c", "a"]
            .map(String::from)
            .into_iter()
            .collect();
        assert!(u.contains("c") && !u.contains("d"));
        assert_eq!(u.len(), 3);
        assert_eq!(u.into_vec(), ["b", "a", "c"]);
    }
}
