//! Browser storage adapters.

pub mod idb;

pub use idb::IdbStore;
