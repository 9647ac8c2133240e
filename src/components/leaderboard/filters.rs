//! The leaderboard's filters: category, interval method, style control, which votes count.

use arena_core::categories::{DERIVED_CATEGORIES, USER_CATEGORIES, normalise};
use arena_core::ratings::{CiMethod, DEFAULT_BOOTSTRAP_ROUNDS, FilterOptions, LeaderboardOptions};
use leptos::prelude::*;

/// The filter settings as signals; [`Filters::options`] turns them into the core's options
/// (the CLI's defaults for everything not shown).
#[derive(Debug, Clone, Copy)]
pub struct Filters {
    /// Normalised category name, `""` for all battles.
    pub category: RwSignal<String>,
    pub bootstrap: RwSignal<bool>,
    pub rounds: RwSignal<usize>,
    pub style_control: RwSignal<bool>,
    pub include_flagged: RwSignal<bool>,
    pub include_named: RwSignal<bool>,
}

impl Default for Filters {
    fn default() -> Self {
        Filters {
            category: RwSignal::new(String::new()),
            bootstrap: RwSignal::new(false),
            rounds: RwSignal::new(DEFAULT_BOOTSTRAP_ROUNDS),
            style_control: RwSignal::new(false),
            include_flagged: RwSignal::new(false),
            include_named: RwSignal::new(false),
        }
    }
}

impl Filters {
    pub fn options(&self) -> LeaderboardOptions {
        let category = self.category.get();
        LeaderboardOptions {
            ci: if self.bootstrap.get() {
                CiMethod::Bootstrap {
                    rounds: self.rounds.get().clamp(1, 10_000),
                }
            } else {
                CiMethod::Sandwich
            },
            style_control: self.style_control.get(),
            filter: FilterOptions {
                category: (!category.is_empty()).then_some(category),
                include_flagged: self.include_flagged.get(),
                include_named: self.include_named.get(),
                ..FilterOptions::default()
            },
            ..LeaderboardOptions::default()
        }
    }
}

/// Category choices: the config's, then the judge's built-in ones, then the derived ones,
/// each once (compared normalised). Values are normalised names, labels as written.
fn category_choices(config: &[String]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let derived = DERIVED_CATEGORIES.iter().map(|d| match *d {
        "multi-turn" => (*d, "Multi-turn (2+ turns)"),
        "long-query" => (*d, "Long query (500+ tokens)"),
        "no-tie" => (*d, "Excluding ties"),
        other => (other, other),
    });
    let named = config
        .iter()
        .map(|c| (c.as_str(), c.as_str()))
        .chain(USER_CATEGORIES.iter().map(|c| (*c, *c)));
    for (value, label) in named.chain(derived) {
        let v = normalise(value);
        if !v.is_empty() && !out.iter().any(|(o, _)| *o == v) {
            let mut l = label.replace('-', " ");
            if let Some(first) = l.get(..1) {
                l = first.to_uppercase() + &l[1..];
            }
            out.push((v, l));
        }
    }
    out
}

#[component]
pub fn LeaderboardFilters(
    filters: Filters,
    #[prop(into)] config_categories: Signal<Vec<String>>,
) -> impl IntoView {
    let f = filters;
    view! {
        <form class="card filters" data-testid="leaderboard-filters" on:submit=|e| e.prevent_default()>
            <label class="field">
                <span>"Category"</span>
                <select
                    data-testid="filter-category"
                    prop:value=move || f.category.get()
                    on:change=move |e| f.category.set(event_target_value(&e))
                >
                    <option value="">"All battles"</option>
                    {move || {
                        category_choices(&config_categories.get())
                            .into_iter()
                            .map(|(v, l)| view! { <option value=v>{l}</option> })
                            .collect_view()
                    }}
                </select>
            </label>
            <label class="field">
                <span>"Intervals"</span>
                <select
                    data-testid="filter-ci"
                    prop:value=move || if f.bootstrap.get() { "bootstrap" } else { "sandwich" }
                    on:change=move |e| f.bootstrap.set(event_target_value(&e) == "bootstrap")
                >
                    <option value="sandwich">"Sandwich (robust, instant)"</option>
                    <option value="bootstrap">"Bootstrap"</option>
                </select>
            </label>
            <label class="field" class:hidden=move || !f.bootstrap.get()>
                <span>"Rounds"</span>
                <input
                    type="number"
                    min="1"
                    max="10000"
                    step="1"
                    data-testid="filter-rounds"
                    prop:value=move || f.rounds.get().to_string()
                    on:change=move |e| {
                        if let Ok(n) = event_target_value(&e).trim().parse::<usize>() {
                            f.rounds.set(n.clamp(1, 10_000));
                        }
                    }
                />
            </label>
            <label class="check">
                <input
                    type="checkbox"
                    data-testid="filter-style"
                    prop:checked=move || f.style_control.get()
                    on:change=move |e| f.style_control.set(event_target_checked(&e))
                />
                <span>"Style control"</span>
            </label>
            <label class="check">
                <input
                    type="checkbox"
                    data-testid="filter-flagged"
                    prop:checked=move || f.include_flagged.get()
                    on:change=move |e| f.include_flagged.set(event_target_checked(&e))
                />
                <span>"Include flagged votes (identity leaks)"</span>
            </label>
            <label class="check">
                <input
                    type="checkbox"
                    data-testid="filter-named"
                    prop:checked=move || f.include_named.get()
                    on:change=move |e| f.include_named.set(event_target_checked(&e))
                />
                <span>"Include side-by-side (named) votes"</span>
            </label>
        </form>
    }
}
