//! Confidence-interval plot: one row per model, a dot at the rating and a whisker over its
//! interval, on a shared rating axis.

use std::sync::Arc;

use arena_core::Leaderboard;
use leptos::prelude::*;

use super::Names;
use super::chart::{Scale, ticks};

const WIDTH: f64 = 720.0;
const LEFT: f64 = 200.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 12.0;
const ROW: f64 = 22.0;
const AXIS: f64 = 36.0;

fn name_fit(name: &str) -> String {
    const MAX: usize = 28;
    if name.chars().count() > MAX {
        let cut: String = name.chars().take(MAX - 1).collect();
        format!("{cut}…")
    } else {
        name.to_string()
    }
}

#[component]
pub fn CiPlot(leaderboard: Arc<Leaderboard>, names: Names) -> impl IntoView {
    let rows = &leaderboard.rows;
    let lo = rows
        .iter()
        .map(|r| r.ci_lower)
        .fold(f64::INFINITY, f64::min);
    let hi = rows
        .iter()
        .map(|r| r.ci_upper)
        .fold(f64::NEG_INFINITY, f64::max);
    let (tick_values, d0, d1) = ticks(lo, hi, 6);
    let x = Scale {
        d0,
        d1,
        r0: LEFT,
        r1: WIDTH - RIGHT,
    };
    let height = TOP + ROW * rows.len() as f64 + AXIS;
    let axis_y = TOP + ROW * rows.len() as f64;
    let grid = tick_values
        .iter()
        .map(|&t| {
            let tx = x.at(t);
            view! {
                <line class="grid" x1=tx x2=tx y1=TOP y2=axis_y />
                <text class="tick" x=tx y=axis_y + 16.0 text-anchor="middle">
                    {format!("{t:.0}")}
                </text>
            }
        })
        .collect_view();
    let marks = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let y = TOP + ROW * (i as f64 + 0.5);
            let name = names.get(&r.model);
            view! {
                <g class="ci-row" data-model=r.model.clone()>
                    <title>
                        {format!(
                            "{name}: {:.1} (95 % CI {:.1} to {:.1})",
                            r.rating,
                            r.ci_lower,
                            r.ci_upper,
                        )}
                    </title>
                    <text class="label" x=LEFT - 10.0 y=y + 4.0 text-anchor="end">
                        {name_fit(&name)}
                    </text>
                    <line class="whisker" x1=x.at(r.ci_lower) x2=x.at(r.ci_upper) y1=y y2=y />
                    <line class="cap" x1=x.at(r.ci_lower) x2=x.at(r.ci_lower) y1=y - 5.0 y2=y + 5.0 />
                    <line class="cap" x1=x.at(r.ci_upper) x2=x.at(r.ci_upper) y1=y - 5.0 y2=y + 5.0 />
                    <circle class="dot" cx=x.at(r.rating) cy=y r="4.5" />
                </g>
            }
        })
        .collect_view();
    view! {
        <svg
            class="chart ci-plot"
            data-testid="ci-plot"
            viewBox=format!("0 0 {WIDTH} {height}")
            role="img"
            aria-label="Ratings with 95 % confidence intervals, one row per model"
        >
            {grid}
            <line class="axis" x1=LEFT x2=WIDTH - RIGHT y1=axis_y y2=axis_y />
            <text class="axis-title" x=(LEFT + WIDTH - RIGHT) / 2.0 y=height - 4.0 text-anchor="middle">
                "Rating (95 % confidence interval)"
            </text>
            {marks}
        </svg>
    }
}
