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
    let mut elo = OnlineElo::new(n_models, params);
    for battle in battles {
        elo.step(battle);
    }
    elo.ratings
}

/// Online Elo fed one battle at a time: [`online_elo`] of the battles so far.
#[derive(Debug, Clone)]
pub struct OnlineElo {
    pub ratings: Vec<f64>,
    params: EloParams,
    /// ln(base) / scale: base^(d / scale) = exp(d · c).
    c: f64,
}

impl OnlineElo {
    pub fn new(n_models: usize, params: EloParams) -> Self {
        OnlineElo {
            ratings: vec![params.init; n_models],
            params,
            c: params.base.ln() / params.scale,
        }
    }

    /// Room for models up to `n_models` (new ones start at the initial rating).
    pub fn grow(&mut self, n_models: usize) {
        if self.ratings.len() < n_models {
            self.ratings.resize(n_models, self.params.init);
        }
    }

    #[inline]
    pub fn step(&mut self, battle: Battle) {
        let (r, p, c) = (&mut self.ratings, self.params, self.c);
        let ((a, b), winner) = (battle.models(), battle.winner);
        let ea = 1.0 / (1.0 + ((r[b] - r[a]) * c).exp());
        let eb = 1.0 / (1.0 + ((r[a] - r[b]) * c).exp());
        let sa = winner.score_a();
        r[a] += p.k * (sa - ea);
        r[b] += p.k * (1.0 - sa - eb);
    }
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
