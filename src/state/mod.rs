//! Shared app state, provided once in [`crate::App`] and read with the `use_*` helpers.

pub mod battle;
mod config;
pub mod keys;
mod local_models;
mod store;
mod sync;
mod worker;

pub use config::{
    ConfigConsent, ConfigParts, ConfigResource, load_config, provide_config, use_config,
    use_config_parts,
};
pub use keys::{KeyPlace, Keyring, provide_keyring, use_keyring};
pub use local_models::{LocalModels, provide_local_models, use_local_models};
pub use store::{StoreResource, VotesChanged, provide_store, use_store, use_votes_changed};
pub use sync::{SyncCtl, SyncSettings, provide_sync, sync_settings, use_sync};
pub use worker::{DataWorker, RATINGS_TIMEOUT, provide_data_worker, use_data_worker};
