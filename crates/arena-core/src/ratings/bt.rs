//! Bradley–Terry maximum likelihood on cell counts, by Newton's method.
//!
//! Parameters `theta` are on the natural log-odds scale: P(a beats b) = σ(θa − θb). The
//! rating scale is `1000 + theta · 400 / ln 10`. A tie (either kind) is half a win and half
//! a loss, which is the Bernoulli likelihood with y = 0.5. No regularisation.
//!
//! The Hessian of the log-likelihood is a weighted graph Laplacian, singular along the all-ones
//! direction (ratings are only defined up to a shift). Each Newton step solves
//! `(H + s·11ᵀ + ε I) δ = g`: since `g` sums to zero and `H1 = 0`, this gives the exact Newton
//! step restricted to zero-sum changes. The fixed point (zero gradient) does not depend on the
//! preconditioner, so ε only guards a disconnected comparison graph.

use super::cells::Cells;
use super::linalg::{cholesky_in_place, cholesky_solve};

/// Result of a fit: natural-scale parameters, centred to mean zero.
#[derive(Debug, Clone, PartialEq)]
pub struct BtFit {
    pub theta: Vec<f64>,
    pub iterations: usize,
    /// False when the iteration limit was reached first (e.g. an unbeaten model, whose
    /// maximum-likelihood rating is infinite).
    pub converged: bool,
}

/// Solver settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BtSolver {
    pub max_iter: usize,
    /// Converged when the largest Newton step is below this (natural units).
    pub step_tol: f64,
}

impl Default for BtSolver {
    fn default() -> Self {
        BtSolver {
            max_iter: 200,
            step_tol: 1e-10,
        }
    }
}

/// log σ(x), computed without overflow.
#[inline]
pub(crate) fn log_sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        -(-x).exp().ln_1p()
    } else {
        x - x.exp().ln_1p()
    }
}

/// σ(x).
#[inline]
pub(crate) fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Log-likelihood, gradient and (negated) Hessian at `theta`, for cell weights `w`.
/// The cells folded into unordered model pairs (i < j): the pair's total weight and the
/// weight of i's score (a win counts 1, a tie ½). The likelihood, gradient and Hessian depend
/// only on these two sums per pair, so one pass over the pairs replaces one over the cells
/// (up to six cells per pair: two orientations × three outcomes), and each exponential is
/// computed once per pair rather than once per cell.
struct Pairs {
    i: Vec<usize>,
    j: Vec<usize>,
    w: Vec<f64>,
    s: Vec<f64>,
}

/// Above this many models the dense pair index (n² entries) is not worth building.
const MAX_DENSE_PAIRS: usize = 2048;

fn fold_pairs(cells: &Cells, w: &[f64]) -> Pairs {
    let n = cells.n_models;
    let mut index = vec![u32::MAX; n * n];
    let mut p = Pairs {
        i: Vec::new(),
        j: Vec::new(),
        w: Vec::new(),
        s: Vec::new(),
    };
    for (c, &wc) in cells.cells.iter().zip(w) {
        if wc == 0.0 || c.a == c.b {
            continue;
        }
        let (lo, hi, score) = if c.a < c.b {
            (c.a, c.b, c.y)
        } else {
            (c.b, c.a, 1.0 - c.y)
        };
        let slot = &mut index[lo * n + hi];
        if *slot == u32::MAX {
            // At most n² / 2 pairs, and n ≤ MAX_DENSE_PAIRS: fits in u32.
            #[allow(clippy::cast_possible_truncation)]
            {
                *slot = p.i.len() as u32;
            }
            p.i.push(lo);
            p.j.push(hi);
            p.w.push(0.0);
            p.s.push(0.0);
        }
        let k = *slot as usize;
        p.w[k] += wc;
        p.s[k] += wc * score;
    }
    p
}

/// `(log σ(x), σ(x))` from one exponential, stable for any `x`.
fn log_sigmoid_and_sigmoid(x: f64) -> (f64, f64) {
    let e = (-x.abs()).exp();
    if x >= 0.0 {
        (-e.ln_1p(), 1.0 / (1.0 + e))
    } else {
        (x - e.ln_1p(), e / (1.0 + e))
    }
}

fn evaluate_pairs(p: &Pairs, n: usize, theta: &[f64], g: &mut [f64], h: &mut [f64]) -> f64 {
    evaluate_pairs_into(p, n, theta, g, Some(h))
}

/// The log-likelihood and gradient over folded pairs, and the Hessian when `h` is given.
fn evaluate_pairs_into(
    p: &Pairs,
    n: usize,
    theta: &[f64],
    g: &mut [f64],
    mut h: Option<&mut [f64]>,
) -> f64 {
    g.fill(0.0);
    if let Some(h) = h.as_deref_mut() {
        h.fill(0.0);
    }
    let mut ll = 0.0;
    for k in 0..p.i.len() {
        let (a, b, w, s) = (p.i[k], p.j[k], p.w[k], p.s[k]);
        let x = theta[a] - theta[b];
        let (ls, prob) = log_sigmoid_and_sigmoid(x);
        ll += s * ls + (w - s) * (ls - x);
        let r = s - w * prob;
        g[a] += r;
        g[b] -= r;
        if let Some(h) = h.as_deref_mut() {
            let v = w * prob * (1.0 - prob);
            h[a * n + a] += v;
            h[b * n + b] += v;
            h[a * n + b] -= v;
            h[b * n + a] -= v;
        }
    }
    ll
}

/// The log-likelihood at `theta`, with its gradient and Hessian written to `g` and `h`:
/// over the folded pairs when there are any, else over the cells.
fn evaluate_any(
    cells: &Cells,
    pairs: Option<&Pairs>,
    w: &[f64],
    theta: &[f64],
    g: &mut [f64],
    h: &mut [f64],
) -> f64 {
    match pairs {
        Some(p) => evaluate_pairs(p, cells.n_models, theta, g, h),
        None => evaluate(cells, w, theta, g, h),
    }
}

fn evaluate(cells: &Cells, w: &[f64], theta: &[f64], g: &mut [f64], h: &mut [f64]) -> f64 {
    let n = cells.n_models;
    g.fill(0.0);
    h.fill(0.0);
    let mut ll = 0.0;
    for (c, &wc) in cells.cells.iter().zip(w) {
        if wc == 0.0 {
            continue;
        }
        let x = theta[c.a] - theta[c.b];
        // One exponential per cell: e = exp(−|x|) gives both log σ(x) and σ(x).
        let e = (-x.abs()).exp();
        let (ls, p) = if x >= 0.0 {
            (-e.ln_1p(), 1.0 / (1.0 + e))
        } else {
            (x - e.ln_1p(), e / (1.0 + e))
        };
        // log(1 − σ(x)) = log σ(x) − x
        ll += wc * (c.y * ls + (1.0 - c.y) * (ls - x));
        let r = wc * (c.y - p);
        g[c.a] += r;
        g[c.b] -= r;
        let v = wc * p * (1.0 - p);
        h[c.a * n + c.a] += v;
        h[c.b * n + c.b] += v;
        h[c.a * n + c.b] -= v;
        h[c.b * n + c.a] -= v;
    }
    ll
}

/// Fits Bradley–Terry by Newton's method with backtracking.
///
/// `counts` are the per-cell battle counts to use (the data's own, or a bootstrap draw);
/// `cell_weights`, when given, multiply them (reweighting). `start` is the initial point
/// (zeros, or the full-data fit to warm-start a bootstrap round).
pub fn fit_bt(
    cells: &Cells,
    counts: &[f64],
    cell_weights: Option<&[f64]>,
    start: Option<&[f64]>,
    solver: BtSolver,
) -> BtFit {
    let n = cells.n_models;
    let w: Vec<f64> = match cell_weights {
        Some(cw) => counts.iter().zip(cw).map(|(c, x)| c * x).collect(),
        None => counts.to_vec(),
    };
    let mut theta = start.map_or_else(|| vec![0.0; n], <[f64]>::to_vec);
    if n == 0 {
        return BtFit {
            theta,
            iterations: 0,
            converged: true,
        };
    }
    let pairs = (n <= MAX_DENSE_PAIRS).then(|| fold_pairs(cells, &w));
    let pairs = pairs.as_ref();
    let mut g = vec![0.0; n];
    let mut h = vec![0.0; n * n];
    let mut ll = evaluate_any(cells, pairs, &w, &theta, &mut g, &mut h);
    let mut trial = vec![0.0; n];
    let mut g2 = vec![0.0; n];
    let mut h2 = vec![0.0; n * n];
    let mut converged = false;
    let mut iterations = 0;
    while iterations < solver.max_iter {
        iterations += 1;
        // Preconditioned system (see the module docs).
        let Some(a) = precondition_and_factor(&h, n) else {
            break;
        };
        let mut delta = g.clone();
        cholesky_solve(&a, n, &mut delta);
        let max_step = delta.iter().fold(0.0f64, |m, d| m.max(d.abs()));
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..60 {
            for i in 0..n {
                trial[i] = theta[i] + t * delta[i];
            }
            let ll2 = evaluate_any(cells, pairs, &w, &trial, &mut g2, &mut h2);
            if ll2 >= ll - 1e-12 * (1.0 + ll.abs()) {
                std::mem::swap(&mut theta, &mut trial);
                std::mem::swap(&mut g, &mut g2);
                std::mem::swap(&mut h, &mut h2);
                ll = ll2;
                accepted = true;
                break;
            }
            t *= 0.5;
        }
        if !accepted || max_step * t < solver.step_tol {
            converged = accepted || max_step < solver.step_tol;
            break;
        }
    }
    centre(&mut theta);
    BtFit {
        theta,
        iterations,
        converged,
    }
}

/// The preconditioned Hessian of a fit, factorised once, for refitting data close to it
/// (bootstrap rounds) by the chord method: Newton's iteration with this fixed matrix, so each
/// step costs a gradient and a triangular solve instead of a Hessian and a factorisation.
#[derive(Debug, Clone)]
pub struct ChordFactor {
    l: Vec<f64>,
    n: usize,
}

/// Adds the rank-one term that pins the mean (the likelihood is flat along it), as `fit_bt`
/// does, and factorises. `None` when the matrix is not positive definite.
fn precondition_and_factor(h: &[f64], n: usize) -> Option<Vec<f64>> {
    let trace: f64 = (0..n).map(|i| h[i * n + i]).sum();
    let s = (trace / n as f64).max(1e-300);
    let mut a = h.to_vec();
    for i in 0..n {
        for j in 0..n {
            a[i * n + j] += s / n as f64;
        }
        a[i * n + i] += 1e-12 * s + 1e-300;
    }
    cholesky_in_place(&mut a, n).then_some(a)
}

impl ChordFactor {
    /// The factor at `theta` for the cells' own counts (times `cell_weights`, if any).
    pub fn at(cells: &Cells, cell_weights: Option<&[f64]>, theta: &[f64]) -> Option<ChordFactor> {
        let n = cells.n_models;
        if n == 0 || n > MAX_DENSE_PAIRS {
            return None;
        }
        let w: Vec<f64> = match cell_weights {
            Some(cw) => cells.counts.iter().zip(cw).map(|(c, x)| c * x).collect(),
            None => cells.counts.clone(),
        };
        let pairs = fold_pairs(cells, &w);
        let (mut g, mut h) = (vec![0.0; n], vec![0.0; n * n]);
        evaluate_pairs(&pairs, n, theta, &mut g, &mut h);
        precondition_and_factor(&h, n).map(|l| ChordFactor { l, n })
    }
}

/// The gradient alone over folded pairs: one exponential per pair, no logarithm.
fn gradient_pairs(p: &Pairs, theta: &[f64], g: &mut [f64]) {
    g.fill(0.0);
    for k in 0..p.i.len() {
        let (a, b) = (p.i[k], p.j[k]);
        let r = p.s[k] - p.w[k] * sigmoid(theta[a] - theta[b]);
        g[a] += r;
        g[b] -= r;
    }
}

/// Refits `counts` from `start` by the chord method with `factor`. Converges linearly, at a
/// rate set by how far this data's Hessian is from the factor's (a bootstrap round's is
/// close), so it stops when a step is below `step_tol / 100`. `None` when it does not settle
/// — a step no shorter than the one before (the fixed matrix is too far from this data's for
/// the iteration to contract), or `max_iter` steps — and the caller then runs [`fit_bt`].
/// The likelihood itself is never needed, which saves a logarithm per pair and step.
pub fn refit_chord(
    cells: &Cells,
    counts: &[f64],
    cell_weights: Option<&[f64]>,
    start: &[f64],
    factor: &ChordFactor,
    solver: BtSolver,
) -> Option<BtFit> {
    let n = factor.n;
    if cells.n_models != n {
        return None;
    }
    let w: Vec<f64> = match cell_weights {
        Some(cw) => counts.iter().zip(cw).map(|(c, x)| c * x).collect(),
        None => counts.to_vec(),
    };
    let pairs = fold_pairs(cells, &w);
    let mut theta = start.to_vec();
    let mut g = vec![0.0; n];
    let tol = solver.step_tol / 100.0;
    let mut last_step = f64::INFINITY;
    for iterations in 1..=solver.max_iter {
        gradient_pairs(&pairs, &theta, &mut g);
        cholesky_solve(&factor.l, n, &mut g);
        // `f64::max` skips NaN, so a NaN step is caught here, and a step that does not
        // shrink below.
        if g.iter().any(|d| !d.is_finite()) {
            return None;
        }
        let max_step = g.iter().fold(0.0f64, |m, d| m.max(d.abs()));
        if max_step >= last_step {
            return None;
        }
        for (t, d) in theta.iter_mut().zip(&g) {
            *t += d;
        }
        if max_step < tol {
            centre(&mut theta);
            return Some(BtFit {
                theta,
                iterations,
                converged: true,
            });
        }
        last_step = max_step;
    }
    None
}

/// Shifts `theta` to mean zero.
pub(crate) fn centre(theta: &mut [f64]) {
    if theta.is_empty() {
        return;
    }
    let mean = theta.iter().sum::<f64>() / theta.len() as f64;
    for t in theta.iter_mut() {
        *t -= mean;
    }
}

/// Gradient of the log-likelihood at `theta` (for tests and diagnostics).
pub fn gradient(cells: &Cells, counts: &[f64], theta: &[f64]) -> Vec<f64> {
    let n = cells.n_models;
    let mut g = vec![0.0; n];
    let mut h = vec![0.0; n * n];
    evaluate(cells, counts, theta, &mut g, &mut h);
    g
}

#[cfg(test)]
mod tests {
    use super::super::cells::Battle;
    use super::*;
    use crate::record::Winner;

    #[test]
    fn folded_pairs_give_the_likelihood_gradient_and_hessian_of_the_cells() {
        let records = crate::ratings::synthetic::synthetic_battles(3_000, 7, 3);
        let refs: Vec<&crate::VoteRecord> = records.iter().collect();
        let (names, battles) = crate::ratings::index_battles(&refs);
        let n = names.len();
        let cells = Cells::from_battles(n, battles);
        let theta: Vec<f64> = (0..n).map(|i| 0.3 * i as f64 - 0.8).collect();
        let (mut g1, mut h1) = (vec![0.0; n], vec![0.0; n * n]);
        let (mut g2, mut h2) = (vec![0.0; n], vec![0.0; n * n]);
        let ll1 = evaluate(&cells, &cells.counts, &theta, &mut g1, &mut h1);
        let pairs = fold_pairs(&cells, &cells.counts);
        assert!(pairs.i.len() < cells.cells.len());
        let ll2 = evaluate_pairs(&pairs, n, &theta, &mut g2, &mut h2);
        assert!((ll1 - ll2).abs() < 1e-9 * ll1.abs(), "{ll1} vs {ll2}");
        for (a, b) in g1.iter().zip(&g2).chain(h1.iter().zip(&h2)) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
    }

    #[test]
    fn two_models_fit_the_log_odds_of_their_score() {
        // 30 wins, 10 losses, 10 ties → score 35/50 = 0.7 → θa − θb = ln(0.7/0.3).
        let mut battles = vec![Battle::new(0, 1, Winner::ModelA); 30];
        battles.extend(vec![Battle::new(1, 0, Winner::ModelA); 10]);
        battles.extend(vec![Battle::new(0, 1, Winner::Tie); 10]);
        let cells = Cells::from_battles(2, battles);
        let fit = fit_bt(&cells, &cells.counts, None, None, BtSolver::default());
        assert!(fit.converged);
        let diff = fit.theta[0] - fit.theta[1];
        assert!((diff - (0.7f64 / 0.3).ln()).abs() < 1e-10, "{diff}");
        assert!((fit.theta[0] + fit.theta[1]).abs() < 1e-12);
    }

    #[test]
    fn sigmoid_helpers_are_stable() {
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-15);
        assert!(log_sigmoid(-800.0).is_finite());
        assert!(log_sigmoid(800.0).abs() < 1e-300);
        assert!((sigmoid(-800.0)).abs() < 1e-300);
    }
}
