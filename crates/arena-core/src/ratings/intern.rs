//! Name interning for the rating passes: each distinct model or judge name gets a dense
//! index in order of first appearance.
//!
//! A million records mean millions of lookups of short names, so two things matter: the
//! hash (rustc's `FxHash`, not SipHash) and the equality check after a hash match. `str`
//! equality calls libc's `memcmp`, whose AVX-512 variant in glibc does a masked load even
//! for zero bytes; at the dangling pointer of an empty `String` (records without a judge)
//! that load takes a fault-suppression assist, which cost about 80 ns a comparison here, a
//! third of the whole leaderboard on a million records. [`same`] compares a word at a time,
//! inline, and never reads an empty name.

use std::hash::{Hash, Hasher};

use rustc_hash::FxHashMap;

/// A name compared by [`same`].
#[derive(Debug, Clone, Copy, Eq)]
struct Name<'a>(&'a str);

impl PartialEq for Name<'_> {
    fn eq(&self, other: &Self) -> bool {
        same(self.0, other.0)
    }
}

/// `a == b`, without libc's `memcmp` (see the module docs).
pub(crate) fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let (mut wa, mut wb) = (a.chunks_exact(8), b.chunks_exact(8));
    let word = |c: &[u8]| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
    for (x, y) in (&mut wa).zip(&mut wb) {
        if word(x) != word(y) {
            return false;
        }
    }
    wa.remainder()
        .iter()
        .zip(wb.remainder())
        .all(|(x, y)| x == y)
}

impl Hash for Name<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

/// Dense indices for names, in order of first appearance.
#[derive(Debug, Default)]
pub(crate) struct Interner<'a> {
    index: FxHashMap<Name<'a>, usize>,
    names: Vec<&'a str>,
}

impl<'a> Interner<'a> {
    /// The index of `name`, a new one if it was not seen before.
    pub(crate) fn id(&mut self, name: &'a str) -> usize {
        let next = self.names.len();
        let id = *self.index.entry(Name(name)).or_insert(next);
        if id == next {
            self.names.push(name);
        }
        id
    }

    /// The names, by index.
    #[cfg(test)]
    pub(crate) fn names(&self) -> &[&'a str] {
        &self.names
    }

    /// The names and, for each index, its position when the names are sorted.
    pub(crate) fn into_sorted(self) -> (Vec<&'a str>, Vec<usize>) {
        let mut order: Vec<usize> = (0..self.names.len()).collect();
        order.sort_unstable_by_key(|&i| self.names[i]);
        let mut rank = vec![0; order.len()];
        for (sorted, &i) in order.iter().enumerate() {
            rank[i] = sorted;
        }
        (order.into_iter().map(|i| self.names[i]).collect(), rank)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_get_dense_indices_in_order_of_first_appearance() {
        let mut i = Interner::default();
        let long = "a-model-name-longer-than-sixteen-bytes";
        let ids: Vec<usize> = ["b", long, "b", "", "model-001", "model-002", long, ""]
            .into_iter()
            .map(|n| i.id(n))
            .collect();
        assert_eq!(ids, [0, 1, 0, 2, 3, 4, 1, 2]);
        assert_eq!(i.names(), ["b", long, "", "model-001", "model-002"]);
        let (sorted, rank) = i.into_sorted();
        assert_eq!(sorted, ["", long, "b", "model-001", "model-002"]);
        assert_eq!(rank, [2, 1, 0, 3, 4]);
    }

    #[test]
    fn names_equal_only_when_every_byte_is() {
        let n = |s| Name(s);
        assert_eq!(n("model-0001"), n("model-0001"));
        assert_ne!(n("model-0001"), n("model-0002"));
        assert_ne!(n("model-0001"), n("xodel-0001"));
        assert_ne!(n("model-000"), n("model-0001"));
        assert_eq!(n(""), n(""));
    }
}
