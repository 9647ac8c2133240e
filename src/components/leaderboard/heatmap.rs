//! Pairwise heatmaps: observed win fraction, predicted win rate, battle counts. Row model
//! against column model, in leaderboard order; cells are shaded with the theme's colours
//! (CSS classes, opacity as an SVG attribute), so both themes read well.

use arena_core::ratings::Matrix;
use leptos::prelude::*;

use super::Names;
use super::chart::shade;

/// At most this many models (the best rated) are drawn; the note says so.
pub const MAX_MODELS: usize = 20;
const CELL: f64 = 34.0;
const LEFT: f64 = 190.0;
const TOP: f64 = 120.0;
const LEGEND: f64 = 56.0;
/// Room right of the grid for the last column's label, which is drawn at 45°.
const RIGHT: f64 = 110.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeatmapKind {
    /// Share of decisive battles the row model won against the column model.
    WinFraction,
    /// P(row beats column) from the ratings.
    Predicted,
    /// Battles between the two.
    Counts,
}

impl HeatmapKind {
    fn testid(self) -> &'static str {
        match self {
            HeatmapKind::WinFraction => "heatmap-win-fraction",
            HeatmapKind::Predicted => "heatmap-predicted",
            HeatmapKind::Counts => "heatmap-battles",
        }
    }

    fn label(self) -> &'static str {
        match self {
            HeatmapKind::WinFraction => {
                "Observed win fraction of the row model against the column model (ties excluded)"
            }
            HeatmapKind::Predicted => {
                "Predicted win rate of the row model against the column model, from the ratings"
            }
            HeatmapKind::Counts => "Battles between the row model and the column model",
        }
    }
}

fn short(name: &str) -> String {
    const MAX: usize = 24;
    if name.chars().count() > MAX {
        let cut: String = name.chars().take(MAX - 1).collect();
        format!("{cut}…")
    } else {
        name.to_string()
    }
}

/// (class, opacity, text) of one cell.
fn cell(kind: HeatmapKind, v: f64, max: f64) -> (&'static str, f64, String) {
    match kind {
        HeatmapKind::WinFraction | HeatmapKind::Predicted => (
            if v >= 0.5 { "hm-hi" } else { "hm-lo" },
            shade(v, 0.5, 0.5),
            format!("{v:.2}"),
        ),
        HeatmapKind::Counts => ("hm-count", shade(v, 0.0, max), format!("{v:.0}")),
    }
}

// One view tree with its handlers, read top to bottom.
#[allow(clippy::too_many_lines)]
#[component]
pub fn Heatmap(matrix: Matrix, kind: HeatmapKind, names: Names) -> impl IntoView {
    let n_all = matrix.models.len();
    let n = n_all.min(MAX_MODELS);
    let max = (0..n)
        .flat_map(|i| (0..n).map(move |j| (i, j)))
        .filter_map(|(i, j)| matrix.get(i, j))
        .fold(0.0, f64::max);
    let side = CELL * n as f64;
    let width = LEFT + side + RIGHT;
    let height = TOP + side + LEGEND;
    let labels: Vec<String> = matrix.models[..n].iter().map(|m| names.get(m)).collect();
    let col_labels = labels
        .iter()
        .enumerate()
        .map(|(j, l)| {
            let x = LEFT + CELL * (j as f64 + 0.5);
            let y = TOP - 8.0;
            view! {
                <text class="label" x=x y=y transform=format!("rotate(-45 {x} {y})")>
                    {short(l)}
                </text>
            }
        })
        .collect_view();
    let row_labels = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            view! {
                <text class="label" x=LEFT - 8.0 y=TOP + CELL * (i as f64 + 0.5) + 4.0 text-anchor="end">
                    {short(l)}
                </text>
            }
        })
        .collect_view();
    let mut cells = Vec::with_capacity(n * n);
    for i in 0..n {
        for j in 0..n {
            let x = LEFT + CELL * j as f64;
            let y = TOP + CELL * i as f64;
            let tip_pair = format!("{} vs {}", labels[i], labels[j]);
            cells.push(match matrix.get(i, j) {
                Some(v) => {
                    let (class, opacity, text) = cell(kind, v, max);
                    view! {
                        <g>
                            <title>{format!("{tip_pair}: {text}")}</title>
                            <rect class=format!("hm-cell {class}") x=x y=y width=CELL height=CELL fill-opacity=format!("{opacity:.3}") />
                            <text class="hm-value" x=x + CELL / 2.0 y=y + CELL / 2.0 + 4.0 text-anchor="middle">
                                {text}
                            </text>
                        </g>
                    }
                        .into_any()
                }
                None => {
                    view! { <rect class="hm-cell hm-empty" x=x y=y width=CELL height=CELL /> }
                        .into_any()
                }
            });
        }
    }
    // Legend: eleven swatches over the value range.
    let (lo, hi) = match kind {
        HeatmapKind::Counts => (0.0, max),
        _ => (0.0, 1.0),
    };
    let legend_y = TOP + side + 18.0;
    let swatch = (side.max(CELL * 4.0)) / 11.0;
    let swatches = (0..11)
        .map(|k| {
            let v = lo + (hi - lo) * f64::from(k) / 10.0;
            let (class, opacity, _) = cell(kind, v, max);
            view! {
                <rect class=format!("hm-cell {class}") x=LEFT + swatch * f64::from(k) y=legend_y width=swatch height="12" fill-opacity=format!("{opacity:.3}") />
            }
        })
        .collect_view();
    let fmt = |v: f64| match kind {
        HeatmapKind::Counts => format!("{v:.0}"),
        _ => format!("{v:.1}"),
    };
    let note = (n < n_all).then(|| {
        view! {
            <p class="chart-note">
                {format!("The {n} best-rated of {n_all} models are shown.")}
            </p>
        }
    });
    view! {
        <svg
            class="chart heatmap"
            data-testid=kind.testid()
            viewBox=format!("0 0 {width} {height}")
            role="img"
            aria-label=kind.label()
        >
            {col_labels}
            {row_labels}
            {cells}
            <g class="legend">
                {swatches}
                <text class="tick" x=LEFT y=legend_y + 28.0>{fmt(lo)}</text>
                <text class="tick" x=LEFT + swatch * 11.0 y=legend_y + 28.0 text-anchor="end">{fmt(hi)}</text>
                {(kind != HeatmapKind::Counts).then(|| view! {
                    <text class="tick" x=LEFT + swatch * 5.5 y=legend_y + 28.0 text-anchor="middle">"0.5"</text>
                })}
            </g>
        </svg>
        {note}
    }
}
