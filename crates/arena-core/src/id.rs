//! Record ids: UUIDv7 strings, ordered by creation time.
//!
//! The core takes the clock and the random bits as arguments (it reads neither); the browser
//! passes `Date.now()` and `crypto.getRandomValues`.

/// A UUIDv7 from a Unix time in milliseconds and 10 random bytes.
pub fn uuid_v7(unix_ms: u64, random: [u8; 10]) -> String {
    uuid::Builder::from_unix_timestamp_millis(unix_ms, &random)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// Namespace of Arena's name-based ids (a fixed, random UUID).
pub(crate) const CONTENT_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x5d6c_2f0e_8a41_4c3b_9e27_1b0f_6a4d_93c2);

/// A name-based UUIDv5 of `key`: the same key always gives the same id. Used for imported
/// records that carry no id (FastChat data), so importing the same file twice adds nothing.
pub fn content_id(key: &str) -> String {
    uuid::Uuid::new_v5(&CONTENT_NAMESPACE, key.as_bytes())
        .hyphenated()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::{content_id, uuid_v7};

    #[test]
    fn content_ids_are_version_5_and_depend_only_on_the_key() {
        let a = content_id("q1\u{0}a\u{0}b");
        assert_eq!(a, content_id("q1\u{0}a\u{0}b"));
        assert_ne!(a, content_id("q1\u{0}a\u{0}c"));
        assert_eq!(uuid::Uuid::parse_str(&a).unwrap().get_version_num(), 5);
    }

    #[test]
    fn ids_are_version_7_and_sort_by_time() {
        let a = uuid_v7(1_700_000_000_000, [0xff; 10]);
        let b = uuid_v7(1_700_000_000_001, [0x00; 10]);
        let parsed = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(parsed.get_version_num(), 7);
        assert_eq!(a.len(), 36);
        assert!(a < b, "{a} < {b}");
        // The millisecond timestamp is the first 48 bits.
        assert_eq!(&a[..13], "018bcfe5-6800");
        assert_ne!(uuid_v7(5, [1; 10]), uuid_v7(5, [2; 10]));
    }
}
