//! Online Elo, exactly as FastChat's `compute_online_elo`: battles in time order, K = 4,
//! base 10, scale 400, initial rating 1000, a tie of either kind scores 0.5.

use super::cells::Battle;

/// Parameters of the online Elo update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EloParams {
    pub k: f64,
    pub base: f64,
    pub scale: f64,
    pub init: f64,
}

impl Default for EloParams {
    fn default() -> Self {
        EloParams {
            k: 4.0,
            base: 10.0,
            scale: 400.0,
            init: 1000.0,
        }
    }
}

/// Runs the online Elo update over `battles` in the order given (the caller sorts by time).
pub fn online_elo(
    n_models: usize,
    battles: impl IntoIterator<Item = Battle>,
    params: EloParams,
) -> Vec<f64> {
    let mut r = vec![params.init; n_models];
    // base^(d / scale) = exp(d · ln(base) / scale)
    let c = params.base.ln() / params.scale;
    for battle in battles {
        let ((a, b), winner) = (battle.models(), battle.winner);
        let ea = 1.0 / (1.0 + ((r[b] - r[a]) * c).exp());
        let eb = 1.0 / (1.0 + ((r[a] - r[b]) * c).exp());
        let sa = winner.score_a();
        r[a] += params.k * (sa - ea);
        r[b] += params.k * (1.0 - sa - eb);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Winner;

    #[test]
    fn one_win_from_equal_ratings_moves_two_points() {
        let r = online_elo(2, [Battle::new(0, 1, Winner::ModelA)], EloParams::default());
        assert!((r[0] - 1002.0).abs() < 1e-12);
        assert!((r[1] - 998.0).abs() < 1e-12);
    }

    #[test]
    fn tie_between_equals_changes_nothing() {
        let r = online_elo(
            2,
            [Battle::new(1, 0, Winner::TieBothBad)],
            EloParams::default(),
        );
        assert_eq!(r, vec![1000.0, 1000.0]);
    }
}
