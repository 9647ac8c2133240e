//! What the numbers leave out: the filter summary, style coefficients, preference cycles.

use arena_core::ratings::{Cycle, FilterSummary, StyleCoefficient};
use leptos::prelude::*;

use super::Names;

#[component]
pub fn FilterSummaryNote(summary: FilterSummary) -> impl IntoView {
    let s = summary;
    let parts: Vec<String> = [
        (s.after_reveal, "voted after the names were shown"),
        (s.flagged, "flagged as identity leaks"),
        (s.named, "side-by-side (named)"),
        (s.other_category, "in other categories"),
        (s.deduplicated, "repeated prompts down-sampled"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    let left_out = if parts.is_empty() {
        "Nothing was left out.".to_string()
    } else {
        format!("Left out: {}.", parts.join(", "))
    };
    view! {
        <p class="summary" data-testid="filter-summary">
            <strong>{format!("{} of {} votes rated.", s.used, s.records)}</strong>
            " "
            {left_out}
        </p>
    }
}

#[component]
pub fn StyleCoefficients(coefficients: Vec<StyleCoefficient>) -> impl IntoView {
    let rows = coefficients
        .into_iter()
        .map(|c| {
            let feature = c.feature.replace('_', " ");
            view! {
                <tr>
                    <th scope="row">{feature}</th>
                    <td class="num">{format!("{:+.3}", c.coefficient)}</td>
                    <td class="num">{format!("{:+.3} to {:+.3}", c.ci_lower, c.ci_upper)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table" data-testid="style-coefficients">
            <thead>
                <tr>
                    <th scope="col">"Feature"</th>
                    <th scope="col" class="num">"Coefficient"</th>
                    <th scope="col" class="num">"95 % CI"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

#[component]
pub fn CyclesNote(cycles: Vec<Cycle>, names: Names) -> impl IntoView {
    if cycles.is_empty() {
        return view! {
            <p data-testid="cycles">"No significant preference cycles: the ranking is consistent."</p>
        }
            .into_any();
    }
    let items = cycles
        .into_iter()
        .map(|c| {
            let [a, b, d] = c.models.clone().map(|m| names.get(&m));
            let [wab, wbc, wca] = c.win_fractions;
            view! {
                <li>
                    {format!(
                        "{a} beats {b} ({:.0} %), {b} beats {d} ({:.0} %), {d} beats {a} ({:.0} %); weakest edge z = {:.1}",
                        wab * 100.0,
                        wbc * 100.0,
                        wca * 100.0,
                        c.min_z,
                    )}
                </li>
            }
        })
        .collect_view();
    view! { <ul class="cycles" data-testid="cycles">{items}</ul> }.into_any()
}
