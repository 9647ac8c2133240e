//! Randomness and ids from the browser's CSPRNG (`crypto.getRandomValues`).

pub(crate) fn fill(buf: &mut [u8]) {
    let crypto = leptos::prelude::window()
        .crypto()
        .expect("crypto.getRandomValues is available in every supported browser");
    crypto
        .get_random_values_with_u8_array(buf)
        .expect("getRandomValues accepts up to 65,536 bytes");
}

/// A fresh UUIDv7 string.
pub fn new_id() -> String {
    let mut random = [0u8; 10];
    fill(&mut random);
    // Milliseconds since the epoch fit an f64 exactly for the next 285,000 years.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let ms = js_sys::Date::now() as u64;
    arena_core::id::uuid_v7(ms, random)
}

/// A seed for the core's seeded generators.
pub fn seed() -> [u8; 32] {
    let mut s = [0u8; 32];
    fill(&mut s);
    s
}
