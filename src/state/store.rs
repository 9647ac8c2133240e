//! The open IndexedDB store, shared by every page.

use std::rc::Rc;

use arena_core::store::StoreError;
use leptos::prelude::*;

use crate::store::IdbStore;
use crate::store::idb::DB_NAME;

pub type StoreResource = LocalResource<Result<Rc<IdbStore>, StoreError>>;

/// Bumped after every write to the votes, so views that count or rank votes refresh.
#[derive(Debug, Clone, Copy)]
pub struct VotesChanged(pub RwSignal<u64>);

/// Provides the open store, its `VotesChanged` counter and the shared data worker that
/// reads the same database off the main thread (ratings for pairing, exports).
pub fn provide_store() {
    provide_context::<StoreResource>(LocalResource::new(|| async {
        IdbStore::open(DB_NAME).await.map(Rc::new)
    }));
    let votes = VotesChanged(RwSignal::new(0));
    provide_context(votes);
    super::provide_data_worker(DB_NAME, votes);
}

pub fn use_store() -> StoreResource {
    expect_context()
}

pub fn use_votes_changed() -> VotesChanged {
    expect_context()
}
