//! The Models page: the arena's contestants (from `arena.json`, read-only) and the judge's own
//! (in this browser's storage: add, edit, delete, test), and the API keys per provider.

use arena_core::config::ProviderKind;
use arena_core::store::Store;
use arena_providers::Preset;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::models::{
    ContestantEditor, ContestantList, Draft, KeyManager, LocalModelList,
};
use crate::components::notice::{ErrorNotice, Loading};
use crate::state::{use_config_parts, use_store};

#[component]
pub fn ModelsPage() -> impl IntoView {
    let parts = use_config_parts();
    let store = use_store();
    let editing = RwSignal::new(None::<Draft>);
    let error = RwSignal::new(None::<String>);

    let on_edit = Callback::new(move |c| {
        editing.set(Some(Draft::edit(&c)));
        scroll_to_editor();
    });
    let on_delete = Callback::new(move |id: String| {
        let Some(Ok(s)) = store.get_untracked() else {
            return;
        };
        spawn_local(async move {
            match s.delete_contestant(&id).await {
                Ok(()) => {
                    if editing
                        .with_untracked(|d| d.as_ref().and_then(|d| d.id.as_deref()) == Some(&id))
                    {
                        editing.set(None);
                    }
                    parts.reload_user();
                }
                Err(e) => error.set(Some(format!("The contestant was not deleted: {e}"))),
            }
        });
    });
    let on_done = Callback::new(move |()| editing.set(None));

    view! {
        <section class="hero">
            <h1>"Models"</h1>
            <p class="lede">
                "The contestants of this arena and how each is reached. Add your own: they join \
                 the battles in this browser."
            </p>
        </section>
        {move || error.get().map(|e| view! { <ErrorNotice message=e /> })}
        <Suspense fallback=|| view! { <Loading what="contestants" /> }>
            {move || match (parts.base.get(), parts.user.get()) {
                (Some(Err(e)), _) => Some(view! { <ErrorNotice message=e /> }.into_any()),
                (Some(Ok(base)), Some(user)) => {
                    let (user, storage_error) = match user {
                        Ok(u) => (u, None),
                        Err(e) => (Vec::new(), Some(format!("Your own contestants could not be read: {e}"))),
                    };
                    let (_, skipped) = base.with_user_contestants(&user);
                    let shadowed = (!skipped.is_empty()).then(|| format!(
                        "arena.json now uses the id of your contestant(s) {}; theirs take part, yours \
                         are left out until you delete them.",
                        skipped.join(", ")
                    ));
                    let taken: Vec<String> = base.contestants.iter().chain(&user).map(|c| c.id.clone()).collect();
                    let local: Vec<_> = base.contestants.iter().chain(&user)
                        .filter(|c| c.provider == ProviderKind::Local).cloned().collect();
                    Some(view! {
                        {storage_error.map(|e| view! { <ErrorNotice message=e /> })}
                        {shadowed.map(|e| view! { <ErrorNotice message=e /> })}
                        <ContestantList config=base.contestants user=user on_edit=on_edit on_delete=on_delete />
                        <div class="models-actions">
                            <button type="button" class="button primary" data-testid="add-contestant"
                                disabled=move || editing.with(Option::is_some)
                                on:click=move |_| {
                                    editing.set(Some(Draft::new(Preset::OpenAi)));
                                    scroll_to_editor();
                                }>
                                "Add contestant"
                            </button>
                        </div>
                        {move || editing.get().map(|d| {
                            let taken = taken.clone();
                            view! { <ContestantEditor draft=d taken=taken on_done=on_done /> }
                        })}
                        <LocalModelList contestants=local />
                    }.into_any())
                }
                _ => None,
            }}
        </Suspense>
        <KeyManager />
    }
}

/// Brings the editor into view once it is rendered.
fn scroll_to_editor() {
    request_animation_frame(|| {
        if let Some(el) = document()
            .query_selector("[data-testid=contestant-form]")
            .ok()
            .flatten()
        {
            el.scroll_into_view();
        }
    });
}
