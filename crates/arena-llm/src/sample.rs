//! Seeded sampling: greedy, temperature, top-k, top-p and a repetition penalty.
//!
//! The same seed, logits and history always give the same token (xoshiro256++, no OS
//! entropy), so a battle's local answers are reproducible.

use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};

/// Sampling parameters. `temperature <= 0` means greedy.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplerConfig {
    pub temperature: f32,
    /// Keep only the `top_k` most likely tokens (0: all).
    pub top_k: usize,
    /// Keep the smallest set whose probability reaches `top_p` (1.0: all).
    pub top_p: f32,
    /// Divide positive logits (multiply negative ones) of tokens already seen by this.
    pub repetition_penalty: f32,
    /// How many recent tokens the penalty looks at.
    pub repetition_window: usize,
    pub seed: u64,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        Self {
            temperature: 0.0,
            top_k: 40,
            top_p: 0.95,
            repetition_penalty: 1.0,
            repetition_window: 64,
            seed: 0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Sampler {
    pub config: SamplerConfig,
    rng: Xoshiro256PlusPlus,
    candidates: Vec<(u32, f32)>,
}

impl Sampler {
    pub fn new(config: SamplerConfig) -> Self {
        let rng = Xoshiro256PlusPlus::seed_from_u64(config.seed);
        Self {
            config,
            rng,
            candidates: Vec::new(),
        }
    }

    /// Picks the next token from `logits`, given the tokens so far.
    pub fn sample(&mut self, logits: &mut [f32], history: &[u32]) -> u32 {
        let c = &self.config;
        if c.repetition_penalty > 0.0 && (c.repetition_penalty - 1.0).abs() > f32::EPSILON {
            let start = history.len().saturating_sub(c.repetition_window);
            let mut seen: Vec<u32> = history[start..].to_vec();
            seen.sort_unstable();
            seen.dedup();
            for t in seen {
                if let Some(l) = logits.get_mut(t as usize) {
                    *l = if *l > 0.0 {
                        *l / c.repetition_penalty
                    } else {
                        *l * c.repetition_penalty
                    };
                }
            }
        }
        if c.temperature <= 0.0 {
            return argmax(logits);
        }
        let k = if c.top_k == 0 {
            logits.len()
        } else {
            c.top_k.min(logits.len())
        };
        self.candidates.clear();
        self.candidates
            .extend(logits.iter().enumerate().map(|(i, &l)| (i as u32, l)));
        let by_logit = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if k < self.candidates.len() {
            self.candidates.select_nth_unstable_by(k - 1, by_logit);
            self.candidates.truncate(k);
        }
        self.candidates.sort_unstable_by(by_logit);
        let max = self.candidates[0].1;
        let inv_t = 1.0 / c.temperature;
        let mut sum = 0f64;
        for cand in &mut self.candidates {
            cand.1 = ((cand.1 - max) * inv_t).exp();
            sum += f64::from(cand.1);
        }
        // Top-p on the sorted, normalised weights.
        if c.top_p < 1.0 {
            let mut acc = 0f64;
            let mut keep = self.candidates.len();
            for (i, cand) in self.candidates.iter().enumerate() {
                acc += f64::from(cand.1) / sum;
                if acc >= f64::from(c.top_p) {
                    keep = i + 1;
                    break;
                }
            }
            self.candidates.truncate(keep);
            sum = self.candidates.iter().map(|c| f64::from(c.1)).sum();
        }
        // A uniform draw in [0, sum) from 53 random bits.
        let u = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * sum;
        let mut acc = 0f64;
        for &(id, w) in &self.candidates {
            acc += f64::from(w);
            if u < acc {
                return id;
            }
        }
        self.candidates.last().map_or(0, |c| c.0)
    }
}

/// The index of the largest logit (the lowest index on ties).
pub fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &l) in logits.iter().enumerate() {
        if l > logits[best] {
            best = i;
        }
    }
    best as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sampler(temperature: f32, top_k: usize, top_p: f32, seed: u64) -> Sampler {
        Sampler::new(SamplerConfig {
            temperature,
            top_k,
            top_p,
            seed,
            ..SamplerConfig::default()
        })
    }

    #[test]
    fn greedy_takes_the_first_maximum() {
        let mut s = sampler(0.0, 40, 1.0, 1);
        assert_eq!(s.sample(&mut [0.1, 3.0, 3.0, -1.0], &[]), 1);
    }

    #[test]
    fn same_seed_same_tokens_and_frequencies_follow_softmax() {
        let logits = [0.0f32, 1.0, 2.0];
        let draw = |seed| {
            let mut s = sampler(1.0, 0, 1.0, seed);
            (0..20_000)
                .map(|_| s.sample(&mut logits.clone(), &[]))
                .collect::<Vec<_>>()
        };
        let a = draw(7);
        assert_eq!(a, draw(7));
        assert_ne!(a, draw(8));
        let z: f64 = logits.iter().map(|&l| f64::from(l).exp()).sum();
        for id in 0..3u32 {
            let want = f64::from(logits[id as usize]).exp() / z;
            let got = a.iter().filter(|&&t| t == id).count() as f64 / a.len() as f64;
            assert!((got - want).abs() < 0.015, "token {id}: {got} vs {want}");
        }
    }

    #[test]
    fn top_k_and_top_p_cut_the_tail() {
        let logits = [5.0f32, 4.0, 0.0, -1.0];
        let mut s = sampler(1.0, 2, 1.0, 3);
        assert!((0..2000).all(|_| s.sample(&mut logits.clone(), &[]) < 2));
        // p(0) ≈ 0.72, so top-p 0.5 keeps only token 0.
        let mut s = sampler(1.0, 0, 0.5, 3);
        assert!((0..2000).all(|_| s.sample(&mut logits.clone(), &[]) == 0));
    }

    #[test]
    fn repetition_penalty_lowers_seen_tokens() {
        let mut s = Sampler::new(SamplerConfig {
            repetition_penalty: 2.0,
            ..SamplerConfig::default()
        });
        let mut logits = [3.0f32, 2.0, -1.0];
        assert_eq!(s.sample(&mut logits, &[0]), 1);
        assert_eq!(
            logits.map(f32::to_bits),
            [1.5f32, 2.0, -1.0].map(f32::to_bits)
        );
    }
}
