//! Ratings computed in the browser from the stored votes, in the data worker.
//!
//! The page holds the filter signals; whenever the filters or the votes change
//! (`VotesChanged`) it asks the app's shared data worker (`DataWorker::leaderboard`) and
//! shows only the answer to the newest request. The worker keeps the votes it has read for
//! the app's life, so coming back to the page after a vote reads only that vote.

use std::collections::HashMap;
use std::sync::Arc;

use arena_core::Leaderboard;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::leaderboard::{
    CiPlot, CyclesNote, FilterSummaryNote, Filters, Heatmap, HeatmapKind, LeaderboardFilters,
    Names, RatingsTable, StyleCoefficients,
};
use crate::components::notice::{ErrorNotice, InfoNotice, Loading};
use crate::state::{use_config, use_data_worker, use_votes_changed};
use crate::worker::protocol::Response;

/// What the page shows below the filters.
#[derive(Debug, Clone, PartialEq)]
enum Shown {
    /// No answer yet.
    Waiting,
    /// No votes stored at all.
    Empty,
    /// Votes are stored, but none passed the filters (or the fit failed): the reason.
    Nothing(String),
    Ready(Arc<Leaderboard>),
}

/// How long the last ranking took, shown under the filters (milliseconds).
#[derive(Debug, Clone, Copy, PartialEq)]
#[allow(clippy::struct_field_names)] // the worker's names for the same figures
struct Timing {
    load_ms: f64,
    compute_ms: f64,
    storage_ms: f64,
    decode_ms: f64,
}

impl Timing {
    /// The status line: how long ranking took, and reading the votes when that took a while.
    fn words(self) -> String {
        let read = if self.storage_ms + self.decode_ms >= 1.0 {
            format!(
                ": storage {:.0} ms, decoding {:.0} ms",
                self.storage_ms, self.decode_ms
            )
        } else {
            String::new()
        };
        format!(
            "Ranked in {:.0} ms (votes read in {:.0} ms{read}).",
            self.compute_ms, self.load_ms
        )
    }
}

// One view tree with its handlers, read top to bottom.
#[allow(clippy::too_many_lines)]
#[component]
pub fn LeaderboardPage() -> impl IntoView {
    let config = use_config();
    let changed = use_votes_changed();
    let filters = Filters::default();
    let shown = RwSignal::new(Shown::Waiting);
    let computing = RwSignal::new(true);
    let generation = RwSignal::new(0u64);
    let timing = RwSignal::new(None::<Timing>);
    let failure = RwSignal::new(None::<String>);
    let latest = StoredValue::new(0u64);
    // How many votes are stored, as the worker's answer says: counting the votes store here
    // would hold up the worker's read (IndexedDB runs one origin's transactions in turn, and
    // counting a million records takes seconds).
    let stored_votes = RwSignal::new(None::<usize>);

    let worker = use_data_worker();
    Effect::new(move |_| {
        let options = filters.options();
        changed.0.track();
        let id = latest.get_value() + 1;
        latest.set_value(id);
        computing.set(true);
        let answer = worker.leaderboard(options);
        spawn_local(async move {
            let answer = answer.await;
            // The page may be gone, or a newer request sent, by the time it answers.
            if shown.is_disposed() || id != latest.get_value() {
                return;
            }
            let next = match answer {
                Ok(Response::Leaderboard {
                    stored,
                    result,
                    load_ms,
                    compute_ms,
                    storage_ms,
                    decode_ms,
                    ..
                }) => {
                    timing.set(Some(Timing {
                        load_ms,
                        compute_ms,
                        storage_ms,
                        decode_ms,
                    }));
                    stored_votes.set(Some(stored));
                    match result {
                        _ if stored == 0 => Shown::Empty,
                        Ok(lb) => Shown::Ready(Arc::from(lb)),
                        Err(e) => Shown::Nothing(e),
                    }
                }
                Ok(Response::Failed { message, .. }) => Shown::Nothing(message),
                Ok(_) => Shown::Nothing("The background worker sent a wrong answer.".into()),
                Err(message) => {
                    computing.set(false);
                    failure.set(Some(message));
                    return;
                }
            };
            shown.set(next);
            computing.set(false);
            generation.set(id);
        });
    });

    let names = Signal::derive(move || {
        let map: HashMap<String, String> = match config.get() {
            Some(Ok(c)) => c
                .contestants
                .iter()
                .map(|c| (c.id.clone(), c.name.clone()))
                .collect(),
            _ => HashMap::new(),
        };
        Names(Arc::new(map))
    });
    let categories = Signal::derive(move || match config.get() {
        Some(Ok(c)) => c.categories.clone(),
        _ => Vec::new(),
    });

    let body = move || {
        let names = names.get();
        match shown.get() {
            Shown::Waiting => view! { <Loading what="the leaderboard" /> }.into_any(),
            Shown::Empty => view! {
                <InfoNotice>
                    <span data-testid="leaderboard-empty">
                        "No votes yet. Judge a few battles in the Arena, or import votes on the "
                        <a href="#/data">"Data"</a>
                        " page, and the ratings appear here."
                    </span>
                </InfoNotice>
            }
            .into_any(),
            Shown::Nothing(reason) => view! {
                <InfoNotice>
                    <span data-testid="leaderboard-nothing">
                        {format!("Nothing to rate with these filters: {reason}.")}
                    </span>
                </InfoNotice>
            }
            .into_any(),
            Shown::Ready(lb) => {
                let style = lb.style_coefficients.clone().map(|c| {
                    view! {
                        <section class="card">
                            <h2>"Style coefficients"</h2>
                            <p class="hint">
                                "Effect of each style feature (per standard deviation) on the \
                                 log-odds of winning; the ratings above are controlled for them."
                            </p>
                            <StyleCoefficients coefficients=c />
                        </section>
                    }
                });
                let converged = (!lb.converged).then(|| {
                    view! {
                        <p class="hint warn">
                            "The fit did not converge (a model that never lost or never won?): \
                             treat its rating as a bound."
                        </p>
                    }
                });
                view! {
                    <section class="card">
                        <h2>"Ratings"</h2>
                        <FilterSummaryNote summary=lb.summary.clone() />
                        {converged}
                        <RatingsTable leaderboard=lb.clone() names=names.clone() />
                    </section>
                    <section class="card">
                        <h2>"Confidence intervals"</h2>
                        <CiPlot leaderboard=lb.clone() names=names.clone() />
                    </section>
                    {style}
                    <section class="card">
                        <h2>"Preference cycles"</h2>
                        <CyclesNote cycles=lb.cycles.clone() names=names.clone() />
                    </section>
                    <div class="heatmaps">
                        <section class="card">
                            <h2>"Observed win fraction"</h2>
                            <p class="hint">"Row model against column model, ties excluded."</p>
                            <Heatmap matrix=lb.win_fraction.clone() kind=HeatmapKind::WinFraction names=names.clone() />
                        </section>
                        <section class="card">
                            <h2>"Predicted win rate"</h2>
                            <p class="hint">"From the ratings: P(row beats column)."</p>
                            <Heatmap matrix=lb.predicted_win_rate.clone() kind=HeatmapKind::Predicted names=names.clone() />
                        </section>
                        <section class="card">
                            <h2>"Battle counts"</h2>
                            <p class="hint">"Battles between each pair, ties included."</p>
                            <Heatmap matrix=lb.battle_counts.clone() kind=HeatmapKind::Counts names=names.clone() />
                        </section>
                    </div>
                }
                    .into_any()
            }
        }
    };

    view! {
        <section class="hero">
            <h1>"Leaderboard"</h1>
            <p class="lede">
                "Bradley–Terry ratings with confidence intervals and online Elo, computed \
                 from the votes in this browser."
            </p>
        </section>
        {move || {
            stored_votes
                .get()
                .map(|n| {
                    view! {
                        <p class="card" data-testid="vote-count">
                            {format!("{n} vote{} stored.", if n == 1 { "" } else { "s" })}
                        </p>
                    }
                })
        }}
        <LeaderboardFilters filters=filters config_categories=categories />
        <p
            class="status"
            role="status"
            data-testid="leaderboard-status"
            aria-busy=move || computing.get().to_string()
        >
            {move || {
                if computing.get() {
                    "Computing…".to_string()
                } else if let Some(t) = timing.get() {
                    t.words()
                } else {
                    String::new()
                }
            }}
        </p>
        {move || failure.get().map(|e| view! { <ErrorNotice message=e /> })}
        <div
            class="leaderboard"
            data-testid="leaderboard"
            data-state=move || if computing.get() { "computing" } else { "ready" }
            data-generation=move || generation.get().to_string()
        >
            {body}
        </div>
    }
}
