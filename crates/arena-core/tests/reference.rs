//! Agreement with the independent Python reference (`reference/ratings_ref.py`).
//!
//! The fixture was made by that script with numpy/scipy; these tests only read it. Online Elo
//! must agree to 1e-9, Bradley–Terry ratings and sandwich intervals to 0.01 rating points, and
//! bootstrap quantiles to 0.01 points when both sides refit on the very same resampled counts.

// Test code: short names for fixture values, casts of small known integers.
#![allow(
    clippy::many_single_char_names,
    clippy::similar_names,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

use arena_core::ratings::{
    self, Cell, Cells, CiMethod, FilterOptions, LeaderboardOptions, SCALE, ci, compute_leaderboard,
    style,
};
use arena_core::{VoteRecord, Winner};
use serde_json::Value;

const FIXTURE: &str = include_str!("reference/fixtures/ratings.json");

fn cases() -> Vec<Value> {
    let v: Value = serde_json::from_str(FIXTURE).unwrap();
    v["cases"].as_array().unwrap().clone()
}

fn case(name: &str) -> Value {
    cases().into_iter().find(|c| c["name"] == name).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn names(c: &Value) -> Vec<String> {
    c["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect()
}

fn records(c: &Value) -> Vec<VoteRecord> {
    c["battles"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let mut r: VoteRecord = serde_json::from_value(serde_json::json!({
                "id": format!("v{i}"),
                "model_a": b[0], "model_b": b[1], "winner": b[2], "tstamp": b[3],
            }))
            .unwrap();
            r.judge = format!("judge{}", i % 7);
            r
        })
        .collect()
}

fn options(c: &Value) -> LeaderboardOptions {
    LeaderboardOptions {
        reweight: c["reweight"].as_bool().unwrap_or(false),
        filter: FilterOptions::default(),
        ..LeaderboardOptions::default()
    }
}

/// Rating of `model` in a leaderboard, with its interval.
fn row(lb: &ratings::Leaderboard, model: &str) -> (f64, f64, f64, f64) {
    let r = lb.rows.iter().find(|r| r.model == model).unwrap();
    (r.rating, r.ci_lower, r.ci_upper, r.online_elo)
}

fn check_close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} (tolerance {tol})"
    );
}

#[test]
fn online_elo_matches_reference_to_1e_9() {
    for c in cases().into_iter().filter(|c| c.get("elo").is_some()) {
        let recs = records(&c);
        let lb = compute_leaderboard(&recs, &options(&c)).unwrap();
        let want = floats(&c["elo"]);
        for (m, w) in names(&c).iter().zip(want) {
            check_close(&format!("{} elo {m}", c["name"]), row(&lb, m).3, w, 1e-9);
        }
    }
}

#[test]
fn bradley_terry_and_sandwich_match_reference() {
    for name in ["main", "anchored", "reweighted"] {
        let c = case(name);
        let lb = compute_leaderboard(&records(&c), &options(&c)).unwrap();
        let (bt, lo, hi) = (
            floats(&c["bt"]),
            floats(&c["sandwich_lower"]),
            floats(&c["sandwich_upper"]),
        );
        for (i, m) in names(&c).iter().enumerate() {
            let (r, l, u, _) = row(&lb, m);
            check_close(&format!("{name} bt {m}"), r, bt[i], 0.01);
            check_close(&format!("{name} sandwich lower {m}"), l, lo[i], 0.01);
            check_close(&format!("{name} sandwich upper {m}"), u, hi[i], 0.01);
        }
        if name == "anchored" {
            let a = lb.anchor.as_ref().expect("mixtral anchors by default");
            assert_eq!(a.model, "mixtral-8x7b-instruct-v0.1");
            check_close("anchor", row(&lb, &a.model).0, 1114.0, 1e-9);
        }
    }
}

/// The reference's cells, as a `Cells` in its order.
fn fixture_cells(c: &Value) -> Cells {
    let cells: Vec<Cell> = c["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| Cell {
            a: usize::try_from(x[0].as_u64().unwrap()).unwrap(),
            b: usize::try_from(x[1].as_u64().unwrap()).unwrap(),
            y: x[2].as_f64().unwrap(),
        })
        .collect();
    let counts = vec![0.0; cells.len()];
    Cells {
        n_models: names(c).len(),
        cells,
        counts,
    }
}

#[test]
fn our_cells_are_the_reference_cells() {
    let c = case("main");
    let recs = records(&c);
    let refs: Vec<&VoteRecord> = recs.iter().collect();
    let (models, battles) = ratings::index_battles(&refs);
    assert_eq!(models, names(&c));
    let ours = Cells::from_battles(models.len(), battles);
    let key = |c: &Cell| (c.a, c.b, (c.y * 2.0) as u8);
    let mut theirs: Vec<_> = fixture_cells(&c).cells.iter().map(key).collect();
    theirs.sort_unstable();
    let mut mine: Vec<_> = ours.cells.iter().map(key).collect();
    mine.sort_unstable();
    assert_eq!(mine, theirs);
    // Every bootstrap round of the reference draws as many battles as there are.
    for r in c["rounds"].as_array().unwrap() {
        assert!((floats(r).iter().sum::<f64>() - ours.total()).abs() < 1e-9);
    }
}

#[test]
fn bootstrap_quantiles_match_reference_on_the_same_draws() {
    for name in ["main", "anchored"] {
        let c = case(name);
        let models = names(&c);
        let cells = fixture_cells(&c);
        let rounds: Vec<Vec<f64>> = c["rounds"].as_array().unwrap().iter().map(floats).collect();
        let start = vec![0.0; models.len()];
        let thetas = ci::bootstrap_thetas(&cells, &rounds, None, &start);
        // To the rating scale as the leaderboard does: mean 1000, or the anchor.
        let anchor = c["anchor"]["model"]
            .as_str()
            .map(|m| models.iter().position(|x| x == m).unwrap());
        let ratings: Vec<Vec<f64>> = thetas
            .iter()
            .map(|t| {
                let off = anchor.map_or(1000.0, |i| 1114.0 - SCALE * t[i]);
                t.iter().map(|x| off + SCALE * x).collect()
            })
            .collect();
        let (lo, hi) = ratings::bootstrap_bounds(&ratings, models.len());
        let (want_lo, want_hi) = (floats(&c["bootstrap_lower"]), floats(&c["bootstrap_upper"]));
        for (i, m) in models.iter().enumerate() {
            check_close(&format!("{name} boot lower {m}"), lo[i], want_lo[i], 0.01);
            check_close(&format!("{name} boot upper {m}"), hi[i], want_hi[i], 0.01);
        }
    }
}

#[test]
fn bootstrap_leaderboard_is_seeded_and_reports_the_full_fit() {
    let c = case("main");
    let recs = records(&c);
    let opts = LeaderboardOptions {
        ci: CiMethod::Bootstrap { rounds: 50 },
        seed: 7,
        ..LeaderboardOptions::default()
    };
    let a = compute_leaderboard(&recs, &opts).unwrap();
    let b = compute_leaderboard(&recs, &opts).unwrap();
    assert_eq!(a, b, "same seed, same leaderboard");
    let other = compute_leaderboard(&recs, &LeaderboardOptions { seed: 8, ..opts }).unwrap();
    assert_ne!(a.rows, other.rows, "another seed draws other rounds");
    let bt = floats(&c["bt"]);
    for (i, m) in names(&c).iter().enumerate() {
        let (r, l, u, _) = row(&a, m);
        check_close(
            &format!("bootstrap reports the full fit for {m}"),
            r,
            bt[i],
            0.01,
        );
        assert!(l < r && r < u, "{m}: {l} < {r} < {u}");
    }
}

#[test]
fn style_control_matches_reference() {
    let c = case("style");
    let models = names(&c);
    let battles = c["battles"].as_array().unwrap();
    let sides: Vec<(style::StyleCounts, style::StyleCounts)> = c["sides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let side = |v: &Value| {
                let f = floats(v);
                style::StyleCounts {
                    tokens: f[0],
                    headers: f[1],
                    list_items: f[2],
                    bold: f[3],
                }
            };
            (side(&s[0]), side(&s[1]))
        })
        .collect();
    let features = style::style_features(&sides);
    let sb: Vec<style::StyleBattle> = battles
        .iter()
        .zip(&features)
        .map(|(b, f)| style::StyleBattle {
            a: models.iter().position(|m| b[0] == *m).unwrap(),
            b: models.iter().position(|m| b[1] == *m).unwrap(),
            y: Winner::from_label(b[2].as_str().unwrap())
                .unwrap()
                .score_a(),
            features: *f,
        })
        .collect();
    let fit = style::fit_style(models.len(), &sb, None, None);
    assert!(fit.converged);
    let mean = fit.theta.iter().sum::<f64>() / models.len() as f64;
    let want = floats(&c["style_ratings"]);
    for (i, m) in models.iter().enumerate() {
        check_close(
            &format!("style rating {m}"),
            1000.0 + SCALE * (fit.theta[i] - mean),
            want[i],
            0.01,
        );
    }
    for (k, w) in floats(&c["style_coefficients"]).into_iter().enumerate() {
        check_close(
            &format!("style coefficient {k}"),
            fit.coefficients[k],
            w,
            1e-5,
        );
    }
}
