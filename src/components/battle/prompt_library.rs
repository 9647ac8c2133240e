//! The prompt library: built-in sets, the arena's sets, and the judge's own prompts, with
//! import and export of prompt-set files. Choosing a prompt fills the composer.

use std::rc::Rc;

use arena_core::config::PromptSet;
use arena_core::prompts::{built_in, parse_prompt_sets, write_prompt_sets};
use arena_core::store::Store;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::browser::download::download_text;
use crate::store::IdbStore;

/// The set the judge's own prompts go into.
const MINE: &str = "my-prompts";

#[component]
pub fn PromptLibrary(
    store: Rc<IdbStore>,
    /// The arena config's prompt sets.
    configured: Vec<PromptSet>,
    /// Called with a prompt and its category when the judge picks one.
    #[prop(into)]
    on_pick: Callback<(String, Option<String>)>,
) -> impl IntoView {
    let store = StoredValue::new_local(store);
    let user_sets = RwSignal::new(Vec::<PromptSet>::new());
    let message = RwSignal::new(None::<(bool, String)>);
    let draft = RwSignal::new(String::new());
    let reload = move || {
        spawn_local(async move {
            match store.get_value().prompt_sets().await {
                Ok(s) => user_sets.set(s),
                Err(e) => message.set(Some((false, e.to_string()))),
            }
        });
    };
    reload();
    let fixed = StoredValue::new({
        let mut s = built_in();
        s.extend(configured);
        s
    });
    let all = move || {
        let mut s = fixed.get_value();
        s.extend(user_sets.get());
        s
    };

    let add = move |_| {
        let text = draft.get_untracked().trim().to_string();
        if text.is_empty() {
            return;
        }
        let mine = with_prompt(user_sets.get_untracked(), text);
        spawn_local(async move {
            match store.get_value().put_prompt_set(&mine).await {
                Ok(()) => {
                    draft.set(String::new());
                    reload();
                }
                Err(e) => message.set(Some((false, e.to_string()))),
            }
        });
    };
    let import = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = ev.target().unwrap().unchecked_into();
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        spawn_local(async move {
            let outcome = import_sets(&store.get_value(), file).await;
            message.set(Some((
                outcome.is_ok(),
                outcome.clone().unwrap_or_else(|e| e),
            )));
            if outcome.is_ok() {
                reload();
            }
        });
    };
    let export = move |_| {
        let text = write_prompt_sets(&all());
        if download_text("arena-prompts.json", "application/json", &text).is_err() {
            message.set(Some((false, "The browser refused the download.".into())));
        }
    };
    let delete = Callback::new(move |id: String| {
        spawn_local(async move {
            if let Err(e) = store.get_value().delete_prompt_set(&id).await {
                message.set(Some((false, e.to_string())));
            }
            reload();
        });
    });

    view! {
        <details class="card prompt-library" data-testid="prompt-library">
            <summary>"Prompt library"</summary>
            <div class="library-tools">
                <input
                    class="library-draft"
                    type="text"
                    aria-label="New prompt"
                    placeholder="Save a prompt of your own…"
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                />
                <button type="button" class="button" data-testid="prompt-add" on:click=add>"Save"</button>
                <label class="button file-button">
                    "Import…"
                    <input type="file" accept=".json,application/json" data-testid="prompt-import" on:change=import />
                </label>
                <button type="button" class="button" data-testid="prompt-export" on:click=export>"Export all"</button>
            </div>
            {move || message.get().map(|(ok, m)| view! { <p class=status_class(ok) role="status">{m}</p> })}
            <div class="library-sets">
                {move || {
                    let user_ids: Vec<String> = user_sets.get().into_iter().map(|s| s.id).collect();
                    all()
                        .into_iter()
                        .map(|set| {
                            let removable = user_ids.contains(&set.id);
                            view! { <SetView set=set removable=removable on_pick=on_pick on_delete=delete /> }
                        })
                        .collect_view()
                }}
            </div>
        </details>
    }
}

fn status_class(ok: bool) -> &'static str {
    if ok { "status" } else { "status error" }
}

/// The judge's own set with `text` added (created on first use).
fn with_prompt(sets: Vec<PromptSet>, text: String) -> PromptSet {
    let mut mine = sets
        .into_iter()
        .find(|s| s.id == MINE)
        .unwrap_or_else(|| PromptSet {
            id: MINE.into(),
            name: "My prompts".into(),
            category: None,
            prompts: Vec::new(),
        });
    mine.prompts.push(text);
    mine
}

/// Reads a prompt-set file and stores its sets; the sentence says what happened.
async fn import_sets(store: &IdbStore, file: web_sys::File) -> Result<String, String> {
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(|_| "The file could not be read.".to_string())?
        .as_string()
        .unwrap_or_default();
    let sets = parse_prompt_sets(&text).map_err(|e| format!("Nothing was imported: {e}."))?;
    for s in &sets {
        store.put_prompt_set(s).await.map_err(|e| e.to_string())?;
    }
    let prompts: usize = sets.iter().map(|s| s.prompts.len()).sum();
    Ok(format!(
        "Imported {} set(s) with {prompts} prompts.",
        sets.len()
    ))
}

/// One prompt set: its name and size, a delete button for the judge's own sets, and its
/// prompts as buttons.
#[component]
fn SetView(
    set: PromptSet,
    removable: bool,
    on_pick: Callback<(String, Option<String>)>,
    on_delete: Callback<String>,
) -> impl IntoView {
    let id = set.id.clone();
    let category = set.category.clone();
    view! {
        <section class="library-set" data-testid="prompt-set" data-set=set.id.clone()>
            <h3>
                {set.name.clone()}
                <span class="count">{format!(" · {}", set.prompts.len())}</span>
                {removable.then(|| {
                    view! {
                        <button type="button" class="link-button" on:click=move |_| on_delete.run(id.clone())>
                            "delete"
                        </button>
                    }
                })}
            </h3>
            <ul>
                {set
                    .prompts
                    .into_iter()
                    .map(|p| {
                        let (p2, c) = (p.clone(), category.clone());
                        view! {
                            <li>
                                <button type="button" class="prompt-pick" on:click=move |_| on_pick.run((p2.clone(), c.clone()))>
                                    {p}
                                </button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}
