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

#[cfg(test)]
mod tests {
    use super::uuid_v7;

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
