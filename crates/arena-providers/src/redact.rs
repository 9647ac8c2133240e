//! Keeping keys out of error text.
//!
//! Provider error bodies sometimes quote the key back, whole or masked ("Incorrect API key
//! provided: sk-proj-****abcd"). Every provider-supplied string that ends up in a
//! [`crate::ProviderError`] passes through a [`Scrubber`] first: it removes the exact keys the
//! request carried and anything shaped like a key.

use std::fmt;

/// What replaces a secret.
pub const REDACTED: &str = "<redacted>";

/// Longest provider detail kept in an error, in characters.
const MAX_DETAIL: usize = 400;

/// Key prefixes of the providers we talk to (and a few others users paste).
const KEY_PREFIXES: [&str; 9] = [
    "sk-", "sk_", "gsk_", "xai-", "AIza", "pplx-", "hf_", "r8_", "key-",
];

/// Removes known secrets and key-shaped tokens from text.
#[derive(Clone, Default)]
pub struct Scrubber {
    secrets: Vec<String>,
}

impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scrubber({} secrets)", self.secrets.len())
    }
}

impl Scrubber {
    /// A scrubber for these exact secrets (empty ones are skipped).
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let mut secrets: Vec<String> = secrets
            .into_iter()
            .map(str::trim)
            .filter(|s| s.len() >= 4)
            .map(str::to_owned)
            .collect();
        // Longest first, so a key that contains another is removed whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Self { secrets }
    }

    /// The text with secrets removed, cut to a readable length.
    pub fn clean(&self, text: &str) -> String {
        let mut s = text.to_owned();
        for secret in &self.secrets {
            if s.contains(secret.as_str()) {
                s = s.replace(secret.as_str(), REDACTED);
            }
        }
        let s = mask_key_shaped(&s);
        let s = s.trim();
        if s.chars().count() > MAX_DETAIL {
            let mut cut: String = s.chars().take(MAX_DETAIL).collect();
            cut.push('…');
            cut
        } else {
            s.to_owned()
        }
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*' | '.')
}

fn looks_like_key(token: &str) -> bool {
    let token = token.trim_end_matches('.');
    if KEY_PREFIXES.iter().any(|p| token.starts_with(p)) && token.len() >= 12 {
        return true;
    }
    // A long opaque run of letters and digits (Mistral and Together keys have no prefix).
    // Hyphens are left out so long model names are not taken for keys.
    token.len() >= 32
        && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && token.chars().any(|c| c.is_ascii_digit())
        && token.chars().any(|c| c.is_ascii_alphabetic())
}

fn mask_key_shaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let start = rest.find(is_token_char).unwrap_or(rest.len());
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find(|c| !is_token_char(c)).unwrap_or(rest.len());
        let token = &rest[..end];
        if looks_like_key(token) {
            out.push_str(REDACTED);
            // Keep a sentence-ending dot.
            if token.ends_with('.') {
                out.push('.');
            }
        } else {
            out.push_str(token);
        }
        rest = &rest[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(secrets: &[&str], input: &str, expected: &str) {
        assert_eq!(
            Scrubber::new(secrets.iter().copied()).clean(input),
            expected
        );
    }

    #[test]
    fn exact_secret_is_removed() {
        check(
            &["zz-plain-key"],
            "bad key zz-plain-key here",
            "bad key <redacted> here",
        );
    }

    #[test]
    fn masked_openai_key_is_removed() {
        check(
            &[],
            "Incorrect API key provided: sk-proj-********************abcd. You can find your API key at x.",
            "Incorrect API key provided: <redacted>. You can find your API key at x.",
        );
    }

    #[test]
    fn prefixless_long_keys_are_removed_but_model_names_stay() {
        check(
            &[],
            "key 0123456789abcdef0123456789abcdef0123 for meta-llama-3.1-405b-instruct-turbo-2024",
            "key <redacted> for meta-llama-3.1-405b-instruct-turbo-2024",
        );
    }

    #[test]
    fn gemini_style_key_is_removed() {
        check(
            &[],
            "key AIzaSyA1234567890abcdefghijk rejected",
            "key <redacted> rejected",
        );
    }

    #[test]
    fn long_detail_is_cut() {
        let long = "word ".repeat(200);
        let got = Scrubber::default().clean(&long);
        assert_eq!(got.chars().count(), MAX_DETAIL + 1);
        assert!(got.ends_with('…'));
    }

    #[test]
    fn debug_shows_no_secret() {
        let s = Scrubber::new(["topsecretvalue"]);
        assert_eq!(format!("{s:?}"), "Scrubber(1 secrets)");
    }
}
