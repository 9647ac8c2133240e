//! Printing a leaderboard as a table, CSV or JSON.

use std::fmt::Write as _;

use arena_core::ratings::Leaderboard;
use serde::Serialize;

/// The contract's columns, in order.
pub const COLUMNS: [&str; 8] = [
    "rank_ub",
    "model",
    "rating",
    "ci_lower",
    "ci_upper",
    "online_elo",
    "battles",
    "win_rate",
];

#[derive(Serialize)]
struct JsonRow<'a> {
    rank_ub: usize,
    model: &'a str,
    rating: f64,
    ci_lower: f64,
    ci_upper: f64,
    online_elo: f64,
    battles: u64,
    win_rate: Option<f64>,
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn csv(lb: &Leaderboard) -> String {
    let mut out = COLUMNS.join(",");
    out.push('\n');
    for r in &lb.rows {
        let _ = writeln!(
            out,
            "{},{},{:.4},{:.4},{:.4},{:.4},{},{}",
            r.rank_ub,
            csv_field(&r.model),
            r.rating,
            r.ci_lower,
            r.ci_upper,
            r.online_elo,
            r.battles,
            r.win_rate.map_or_else(String::new, |w| format!("{w:.6}"))
        );
    }
    out
}

pub fn json(lb: &Leaderboard) -> String {
    let rows: Vec<JsonRow> = lb
        .rows
        .iter()
        .map(|r| JsonRow {
            rank_ub: r.rank_ub,
            model: &r.model,
            rating: r.rating,
            ci_lower: r.ci_lower,
            ci_upper: r.ci_upper,
            online_elo: r.online_elo,
            battles: r.battles,
            win_rate: r.win_rate,
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

pub fn table(lb: &Leaderboard) -> String {
    let head = [
        "Rank (UB)",
        "Model",
        "Rating",
        "95% CI",
        "Online Elo",
        "Battles",
        "Win rate",
    ];
    let rows: Vec<[String; 7]> = lb
        .rows
        .iter()
        .map(|r| {
            [
                r.rank_ub.to_string(),
                r.model.clone(),
                format!("{:.1}", r.rating),
                format!(
                    "+{:.1}/-{:.1}",
                    r.ci_upper - r.rating,
                    r.rating - r.ci_lower
                ),
                format!("{:.1}", r.online_elo),
                r.battles.to_string(),
                r.win_rate
                    .map_or_else(|| "-".into(), |w| format!("{:.1}%", w * 100.0)),
            ]
        })
        .collect();
    let mut width: [usize; 7] = std::array::from_fn(|i| head[i].chars().count());
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = width[i] - c.chars().count();
            if i == 1 {
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            } else {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            }
            if i + 1 < cells.len() {
                s.push_str("  ");
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(&head.map(String::from));
    out.push_str(&line(&width.map(|w| "-".repeat(w))));
    for r in &rows {
        out.push_str(&line(r));
    }
    if let Some(coefs) = &lb.style_coefficients {
        out.push_str("\nStyle coefficients (per standard deviation, log-odds):\n");
        for c in coefs {
            let _ = writeln!(
                out,
                "  {:<18} {:+.4}  [{:+.4}, {:+.4}]",
                c.feature, c.coefficient, c.ci_lower, c.ci_upper
            );
        }
    }
    out
}
