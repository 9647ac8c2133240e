use leptos::prelude::*;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <section class="hero">
            <h1>"Page not found"</h1>
            <p class="lede">
                "There is no page at this address. " <a href="#/">"Back to the arena"</a> "."
            </p>
        </section>
    }
}
