use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The prompt box: Enter sends, Shift+Enter starts a new line.
#[component]
pub fn Composer(
    text: RwSignal<String>,
    #[prop(into)] enabled: Signal<bool>,
    #[prop(into)] placeholder: Signal<String>,
    #[prop(into)] on_send: Callback<()>,
    #[prop(into)] on_random: Callback<()>,
) -> impl IntoView {
    let send = move || {
        if enabled.get_untracked() && !text.get_untracked().trim().is_empty() {
            on_send.run(());
        }
    };
    view! {
        <form class="composer" on:submit=move |ev| {
            ev.prevent_default();
            send();
        }>
            <textarea
                data-testid="prompt-input"
                aria-label="Prompt"
                rows="3"
                placeholder=move || placeholder.get()
                prop:value=move || text.get()
                disabled=move || !enabled.get()
                on:input=move |ev| {
                    let t: web_sys::HtmlTextAreaElement = ev.target().unwrap().unchecked_into();
                    text.set(t.value());
                }
                on:keydown=move |ev| {
                    if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        send();
                    }
                }
            ></textarea>
            <div class="composer-actions">
                <button type="button" class="button" data-testid="random-prompt"
                    disabled=move || !enabled.get()
                    on:click=move |_| on_random.run(())>
                    "Random prompt"
                </button>
                <button type="submit" class="button primary" data-testid="send-button"
                    disabled=move || !enabled.get() || text.get().trim().is_empty()>
                    "Send"
                </button>
            </div>
        </form>
    }
}
