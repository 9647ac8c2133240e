//! The ratings table (the CLI's columns).

use std::sync::Arc;

use arena_core::Leaderboard;
use leptos::prelude::*;

use super::Names;

#[component]
pub fn RatingsTable(leaderboard: Arc<Leaderboard>, names: Names) -> impl IntoView {
    let rows = leaderboard
        .rows
        .iter()
        .map(|r| {
            let name = names.get(&r.model);
            let plus = r.ci_upper - r.rating;
            let minus = r.rating - r.ci_lower;
            let win_rate = r
                .win_rate
                .map_or_else(|| "—".to_string(), |w| format!("{:.1} %", w * 100.0));
            view! {
                <tr
                    data-testid="leaderboard-row"
                    data-model=r.model.clone()
                    data-rating=format!("{:.2}", r.rating)
                    data-rank=r.rank_ub.to_string()
                >
                    <td class="num">{r.rank_ub}</td>
                    <th scope="row" class="model" title=r.model.clone()>{name}</th>
                    <td class="num rating">{format!("{:.1}", r.rating)}</td>
                    <td class="num ci">{format!("+{plus:.1} / \u{2212}{minus:.1}")}</td>
                    <td class="num">{format!("{:.1}", r.online_elo)}</td>
                    <td class="num">{r.battles}</td>
                    <td class="num">{win_rate}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table class="table leaderboard-table" data-testid="leaderboard-table">
                <thead>
                    <tr>
                        <th scope="col" class="num" title="1 + models whose lower bound is above this one's upper bound">
                            "Rank (UB)"
                        </th>
                        <th scope="col">"Model"</th>
                        <th scope="col" class="num">"Rating"</th>
                        <th scope="col" class="num">"95 % CI"</th>
                        <th scope="col" class="num">"Online Elo"</th>
                        <th scope="col" class="num">"Battles"</th>
                        <th scope="col" class="num" title="Ties excluded">"Win rate"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
