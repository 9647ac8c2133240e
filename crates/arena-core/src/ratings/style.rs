//! Style control (LMArena, Aug 2024): the Bradley–Terry model with per-battle style features.
//!
//! Features, per side: assistant tokens, markdown headers, list items, bold spans. For each,
//! the battle's feature is the normalised difference `(a − b) / (a + b + 1)`, standardised over
//! the data set (mean 0, population standard deviation 1). The logistic model is
//! `P(a wins) = σ(θa − θb + γ · f)`, fitted by Newton's method on the sum of the per-battle
//! log-losses plus the L2 penalty `0.5 · Σ β²` over all parameters β = (θ, γ), as FastChat does.

use serde_json::Value;

use super::bt::{log_sigmoid, sigmoid};
use super::linalg::{cholesky_in_place, cholesky_solve, matmul, spd_inverse};
use crate::record::VoteRecord;

/// Names of the style features, in coefficient order.
pub const STYLE_FEATURES: [&str; 4] = ["assistant_tokens", "headers", "list_items", "bold"];

/// The L2 penalty weight: the loss carries `STYLE_L2 · Σ β²`.
pub const STYLE_L2: f64 = 0.5;

/// Raw style counts of one side of a battle.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StyleCounts {
    pub tokens: f64,
    pub headers: f64,
    pub list_items: f64,
    pub bold: f64,
}

impl StyleCounts {
    fn as_array(self) -> [f64; 4] {
        [self.tokens, self.headers, self.list_items, self.bold]
    }
}

/// Counts markdown features of one text the way FastChat does: fenced code blocks removed
/// first; headers are lines starting with 1–6 `#` and a space; list items are lines starting
/// (after indentation) with `-`, `*` or `+` and a space, or digits, `.` and a space; bold spans
/// are `**…**` or `__…__` on one line. Tokens are estimated as ⌈chars / 4⌉.
pub fn text_style_counts(text: &str) -> StyleCounts {
    let mut c = StyleCounts {
        tokens: (text.chars().count() as f64 / 4.0).ceil(),
        ..StyleCounts::default()
    };
    let mut in_code = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let hashes = line.bytes().take_while(|&b| b == b'#').count();
        if (1..=6).contains(&hashes) && line[hashes..].starts_with([' ', '\t']) {
            c.headers += 1.0;
        }
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        let ordered = digits > 0 && t[digits..].starts_with(". ");
        let unordered = t.starts_with("- ") || t.starts_with("* ") || t.starts_with("+ ");
        if ordered || unordered {
            c.list_items += 1.0;
        }
        c.bold += bold_spans(line, "**") + bold_spans(line, "__");
    }
    c
}

fn bold_spans(line: &str, marker: &str) -> f64 {
    let mut n = 0.0;
    let mut rest = line;
    while let Some(open) = rest.find(marker) {
        let after = &rest[open + marker.len()..];
        match after.find(marker) {
            Some(close) if close > 0 => {
                n += 1.0;
                rest = &after[close + marker.len()..];
            }
            _ => break,
        }
    }
    n
}

fn meta_sum(meta: &Value, key: &str) -> Option<f64> {
    match meta.get(key)? {
        Value::Number(x) => x.as_f64(),
        Value::Object(m) => Some(m.values().filter_map(Value::as_f64).sum()),
        _ => None,
    }
}

/// Style counts of both sides: from FastChat's `conv_metadata` when it has them
/// (`sum_assistant_a_tokens`, `header_count_a`, `list_count_a`, `bold_count_a` and the `_b`
/// ones, the nested counts summed), otherwise counted from the assistant messages.
pub fn record_style_counts(record: &VoteRecord) -> (StyleCounts, StyleCounts) {
    let from_meta = |side: &str| -> Option<StyleCounts> {
        let m = record.conv_metadata.as_ref()?;
        Some(StyleCounts {
            tokens: meta_sum(m, &format!("sum_assistant_{side}_tokens"))?,
            headers: meta_sum(m, &format!("header_count_{side}"))?,
            list_items: meta_sum(m, &format!("list_count_{side}"))?,
            bold: meta_sum(m, &format!("bold_count_{side}"))?,
        })
    };
    let from_text = |conv: &[crate::record::Message]| -> StyleCounts {
        let mut c = StyleCounts::default();
        for m in conv.iter().filter(|m| m.role == "assistant") {
            let x = text_style_counts(&m.content);
            c.tokens += x.tokens;
            c.headers += x.headers;
            c.list_items += x.list_items;
            c.bold += x.bold;
        }
        c
    };
    (
        from_meta("a").unwrap_or_else(|| from_text(&record.conversation_a)),
        from_meta("b").unwrap_or_else(|| from_text(&record.conversation_b)),
    )
}

/// Standardised style features of each battle.
pub fn style_features(sides: &[(StyleCounts, StyleCounts)]) -> Vec<[f64; 4]> {
    let mut f: Vec<[f64; 4]> = sides
        .iter()
        .map(|(a, b)| {
            let (a, b) = (a.as_array(), b.as_array());
            std::array::from_fn(|k| (a[k] - b[k]) / (a[k] + b[k] + 1.0))
        })
        .collect();
    let n = f.len() as f64;
    for k in 0..4 {
        let mean = f.iter().map(|x| x[k]).sum::<f64>() / n;
        let var = f.iter().map(|x| (x[k] - mean).powi(2)).sum::<f64>() / n;
        let sd = var.sqrt();
        for x in &mut f {
            x[k] = if sd > 0.0 { (x[k] - mean) / sd } else { 0.0 };
        }
    }
    f
}

/// One battle for the style-controlled fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StyleBattle {
    pub a: usize,
    pub b: usize,
    /// Score of a: 1, 0.5 or 0.
    pub y: f64,
    pub features: [f64; 4],
}

/// A style-controlled fit: ratings and coefficients (natural scale) with sandwich errors.
#[derive(Debug, Clone, PartialEq)]
pub struct StyleFit {
    pub theta: Vec<f64>,
    pub coefficients: [f64; 4],
    pub theta_se: Vec<f64>,
    pub coefficient_se: [f64; 4],
    pub converged: bool,
}

fn assemble(
    n: usize,
    battles: &[StyleBattle],
    w: &[f64],
    beta: &[f64],
    hess: &mut [f64],
    grad: &mut [f64],
    gcov: Option<&mut [f64]>,
) -> f64 {
    let p_dim = n + 4;
    hess.fill(0.0);
    grad.fill(0.0);
    let mut gcov = gcov;
    if let Some(g) = gcov.as_deref_mut() {
        g.fill(0.0);
    }
    let mut ll = 0.0;
    let mut idx = [0usize; 6];
    let mut val = [0.0f64; 6];
    for (bt, &wi) in battles.iter().zip(w) {
        if wi == 0.0 {
            continue;
        }
        let mut x = beta[bt.a] - beta[bt.b];
        for k in 0..4 {
            x += beta[n + k] * bt.features[k];
        }
        let ls = log_sigmoid(x);
        ll += wi * (bt.y * ls + (1.0 - bt.y) * (ls - x));
        let p = sigmoid(x);
        let r = bt.y - p;
        // Sparse design row: +1 at a, −1 at b, features at n..n+4.
        idx[0] = bt.a;
        val[0] = 1.0;
        idx[1] = bt.b;
        val[1] = -1.0;
        for k in 0..4 {
            idx[2 + k] = n + k;
            val[2 + k] = bt.features[k];
        }
        let v = wi * p * (1.0 - p);
        for s in 0..6 {
            grad[idx[s]] += wi * r * val[s];
            for t in 0..6 {
                hess[idx[s] * p_dim + idx[t]] += v * val[s] * val[t];
            }
        }
        if let Some(g) = gcov.as_deref_mut() {
            let u = (wi * r) * (wi * r);
            for s in 0..6 {
                for t in 0..6 {
                    g[idx[s] * p_dim + idx[t]] += u * val[s] * val[t];
                }
            }
        }
    }
    ll
}

/// Fits the style-controlled model; `weights` multiply the battles (bootstrap draws).
pub fn fit_style(
    n_models: usize,
    battles: &[StyleBattle],
    weights: Option<&[f64]>,
    start: Option<&[f64]>,
) -> StyleFit {
    let n = n_models;
    let p_dim = n + 4;
    let w: Vec<f64> = weights.map_or_else(|| vec![1.0; battles.len()], <[f64]>::to_vec);
    let mut beta = start.map_or_else(|| vec![0.0; p_dim], <[f64]>::to_vec);
    let mut h = vec![0.0; p_dim * p_dim];
    let mut g = vec![0.0; p_dim];
    let objective = |ll: f64, beta: &[f64]| ll - STYLE_L2 * beta.iter().map(|b| b * b).sum::<f64>();
    let mut obj = objective(assemble(n, battles, &w, &beta, &mut h, &mut g, None), &beta);
    let mut converged = false;
    let mut h2 = h.clone();
    let mut g2 = g.clone();
    for _ in 0..100 {
        // Penalised gradient and Hessian.
        let mut a = h.clone();
        let mut step = g.clone();
        for i in 0..p_dim {
            a[i * p_dim + i] += 2.0 * STYLE_L2;
            step[i] -= 2.0 * STYLE_L2 * beta[i];
        }
        if !cholesky_in_place(&mut a, p_dim) {
            break;
        }
        cholesky_solve(&a, p_dim, &mut step);
        let max_step = step.iter().fold(0.0f64, |m, d| m.max(d.abs()));
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..60 {
            let trial: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b + t * s).collect();
            let o2 = objective(
                assemble(n, battles, &w, &trial, &mut h2, &mut g2, None),
                &trial,
            );
            if o2 >= obj - 1e-12 * (1.0 + obj.abs()) {
                beta = trial;
                std::mem::swap(&mut h, &mut h2);
                std::mem::swap(&mut g, &mut g2);
                obj = o2;
                accepted = true;
                break;
            }
            t *= 0.5;
        }
        if !accepted || max_step * t < 1e-10 {
            converged = accepted || max_step < 1e-10;
            break;
        }
    }
    // Sandwich errors for the penalised fit: H = Hessian + penalty, G from the scores.
    let mut gcov = vec![0.0; p_dim * p_dim];
    assemble(n, battles, &w, &beta, &mut h, &mut g, Some(&mut gcov));
    for i in 0..p_dim {
        h[i * p_dim + i] += 2.0 * STYLE_L2;
    }
    let se: Vec<f64> = spd_inverse(&h, p_dim).map_or_else(
        || vec![f64::NAN; p_dim],
        |hinv| {
            let cov = matmul(&matmul(&hinv, &gcov, p_dim), &hinv, p_dim);
            (0..p_dim)
                .map(|i| cov[i * p_dim + i].max(0.0).sqrt())
                .collect()
        },
    );
    StyleFit {
        theta: beta[..n].to_vec(),
        coefficients: std::array::from_fn(|k| beta[n + k]),
        theta_se: se[..n].to_vec(),
        coefficient_se: std::array::from_fn(|k| se[n + k]),
        converged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_counts() {
        let t = "# Title\n## Sub\n#nohdr\n- a\n* b\n+ c\n  1. d\n12. e\n**bold** and __also__ **x**\n```\n# not a header\n- not a list\n```\n";
        let c = text_style_counts(t);
        assert!((c.headers - 2.0).abs() < 1e-12, "{c:?}");
        assert!((c.list_items - 5.0).abs() < 1e-12, "{c:?}");
        assert!((c.bold - 3.0).abs() < 1e-12, "{c:?}");
    }

    #[test]
    fn metadata_counts_are_used_when_present() {
        let r: VoteRecord = serde_json::from_str(
            r#"{"model_a":"x","model_b":"y","winner":"tie","conv_metadata":{
            "sum_assistant_a_tokens":100,"sum_assistant_b_tokens":50,
            "header_count_a":{"h1":1,"h2":2,"h3":0,"h4":0,"h5":0,"h6":0},
            "header_count_b":{"h1":0,"h2":0,"h3":0,"h4":0,"h5":0,"h6":0},
            "list_count_a":{"ordered":3,"unordered":1},"list_count_b":{"ordered":0,"unordered":0},
            "bold_count_a":{"**":2,"__":1},"bold_count_b":{"**":0,"__":0}}}"#,
        )
        .unwrap();
        let (a, b) = record_style_counts(&r);
        assert_eq!(
            a,
            StyleCounts {
                tokens: 100.0,
                headers: 3.0,
                list_items: 4.0,
                bold: 3.0
            }
        );
        assert!((b.tokens - 50.0).abs() < 1e-12);
    }

    #[test]
    fn a_length_bias_is_absorbed_by_the_length_coefficient() {
        // Model 0 and 1 are equal, but the longer answer always wins: ratings stay close, the
        // token coefficient is clearly positive.
        let mut sides = Vec::new();
        let mut raw = Vec::new();
        for i in 0..400 {
            let long_a = i % 2 == 0;
            let (ta, tb) = if long_a {
                (300.0, 100.0)
            } else {
                (100.0, 300.0)
            };
            let a = StyleCounts {
                tokens: ta,
                ..Default::default()
            };
            let b = StyleCounts {
                tokens: tb,
                ..Default::default()
            };
            sides.push((a, b));
            let (ma, mb) = if i % 4 < 2 { (0, 1) } else { (1, 0) };
            let y = if (i * 7) % 10 < 8 {
                f64::from(u8::from(long_a))
            } else {
                f64::from(u8::from(!long_a))
            };
            raw.push((ma, mb, y));
        }
        let f = style_features(&sides);
        let battles: Vec<StyleBattle> = raw
            .iter()
            .zip(&f)
            .map(|(&(a, b, y), f)| StyleBattle {
                a,
                b,
                y,
                features: *f,
            })
            .collect();
        let fit = fit_style(2, &battles, None, None);
        assert!(fit.converged);
        assert!(fit.coefficients[0] > 0.5, "{:?}", fit.coefficients);
        assert!((fit.theta[0] - fit.theta[1]).abs() < 0.2, "{:?}", fit.theta);
    }
}
