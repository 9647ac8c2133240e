//! API keys, one per provider preset (one OpenRouter key serves every OpenRouter
//! contestant): saved in the `secrets` object store, or kept in memory for this session only.
//!
//! Every read of a key goes through [`Keyring::key`], which looks in memory first, then in
//! the store. A key is kept in one place at a time: saving it for the session removes a saved
//! copy, and saving it in the browser drops the session copy.

use std::collections::HashMap;

use arena_core::store::{Store, StoreError};
use leptos::prelude::*;

/// Where a provider's key is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPlace {
    /// In this browser's IndexedDB (`secrets`), until deleted.
    Saved,
    /// In memory; gone when the tab closes or reloads.
    Session,
}

/// Why a key was not kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("Type or paste the key first.")]
    Empty,
    #[error("A key is one line without spaces; check what was pasted.")]
    Whitespace,
    #[error("The key could not be saved: {0}")]
    Store(#[from] StoreError),
}

/// The session keys and a change counter; `Copy`, so closures can take it freely.
#[derive(Debug, Clone, Copy)]
pub struct Keyring {
    session: StoredValue<HashMap<String, String>, LocalStorage>,
    /// Bumped on every change, so views that show where keys are kept refresh.
    pub changed: RwSignal<u64>,
}

impl Default for Keyring {
    fn default() -> Self {
        Self::new()
    }
}

impl Keyring {
    pub fn new() -> Keyring {
        Keyring {
            session: StoredValue::new_local(HashMap::new()),
            changed: RwSignal::new(0),
        }
    }

    /// The key for `preset`: the session's, else the saved one.
    pub async fn key(self, store: &impl Store, preset: &str) -> Option<String> {
        if let Some(k) = self.session.with_value(|m| m.get(preset).cloned()) {
            return Some(k);
        }
        store.secret(preset).await.ok().flatten()
    }

    /// Where the key for `preset` is kept, if there is one.
    pub async fn place(self, store: &impl Store, preset: &str) -> Option<KeyPlace> {
        if self.session.with_value(|m| m.contains_key(preset)) {
            return Some(KeyPlace::Session);
        }
        match store.secret(preset).await {
            Ok(Some(_)) => Some(KeyPlace::Saved),
            _ => None,
        }
    }

    /// Keeps `key` for `preset` in `place`, replacing any other copy.
    pub async fn set(
        self,
        store: &impl Store,
        preset: &str,
        key: &str,
        place: KeyPlace,
    ) -> Result<(), KeyError> {
        let key = key.trim();
        if key.is_empty() {
            return Err(KeyError::Empty);
        }
        if key.chars().any(char::is_whitespace) {
            return Err(KeyError::Whitespace);
        }
        match place {
            KeyPlace::Saved => {
                store.put_secret(preset, key).await?;
                self.session.update_value(|m| {
                    m.remove(preset);
                });
            }
            KeyPlace::Session => {
                self.session.update_value(|m| {
                    m.insert(preset.to_string(), key.to_string());
                });
                store.delete_secret(preset).await?;
            }
        }
        self.changed.update(|n| *n += 1);
        Ok(())
    }

    /// Forgets the key for `preset`, wherever it is kept.
    pub async fn forget(self, store: &impl Store, preset: &str) -> Result<(), KeyError> {
        self.session.update_value(|m| {
            m.remove(preset);
        });
        let deleted = store.delete_secret(preset).await;
        self.changed.update(|n| *n += 1);
        deleted.map_err(KeyError::from)
    }
}

pub fn provide_keyring() {
    provide_context(Keyring::new());
}

pub fn use_keyring() -> Keyring {
    expect_context()
}
