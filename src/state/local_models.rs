//! The app's local-model workers ([`crate::llm::Pool`]), shared by every page, so a model
//! loaded for a battle is still loaded in side by side and on the Models page.

use std::rc::Rc;

use leptos::prelude::*;

use crate::llm::Pool;

/// Handle to the shared pool; `Copy`, so closures can take it freely.
#[derive(Debug, Clone, Copy)]
pub struct LocalModels(StoredValue<Rc<Pool>, LocalStorage>);

impl LocalModels {
    /// The pool, unless the app is gone.
    pub fn pool(self) -> Option<Rc<Pool>> {
        self.0.try_get_value()
    }
}

pub fn provide_local_models() {
    provide_context(LocalModels(StoredValue::new_local(
        Rc::new(Pool::default()),
    )));
}

/// The shared pool, if the app provides one (browser tests of single parts may not).
pub fn use_local_models() -> Option<LocalModels> {
    use_context()
}
