use leptos::prelude::*;

#[component]
pub fn AboutPage() -> impl IntoView {
    view! {
        <section class="hero">
            <h1>"About"</h1>
            <p class="lede">"A private, browser-only arena for blind battles between language models."</p>
        </section>
        <div class="card prose">
            <h2>"How it works"</h2>
            <p>
                "Each round, two contestants are drawn at random and answer your prompt without \
                 their names. You judge the answers; the names appear only after your vote, and \
                 a vote cast after the names are shown does not count."
            </p>
            <h2>"Privacy"</h2>
            <p>
                "Votes and conversations are stored in this browser's IndexedDB. API keys are kept \
                 in a separate store and are sent only to their own provider — never in exports, \
                 sync, logs or URLs."
            </p>
            <h2>"Ratings"</h2>
            <p>
                "Ratings follow Chatbot Arena's conventions: online Elo (K = 4) and a \
                 Bradley–Terry fit with confidence intervals, so exported votes can be analysed \
                 with the same tools."
            </p>
        </div>
    }
}
