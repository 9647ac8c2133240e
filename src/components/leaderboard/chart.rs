//! Plot arithmetic, kept apart from the markup so it can be tested: a linear scale, round
//! tick values, and the shading of heatmap cells.

/// Maps `[d0, d1]` onto `[r0, r1]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    pub d0: f64,
    pub d1: f64,
    pub r0: f64,
    pub r1: f64,
}

impl Scale {
    pub fn at(&self, x: f64) -> f64 {
        if (self.d1 - self.d0).abs() < f64::EPSILON {
            return f64::midpoint(self.r0, self.r1);
        }
        self.r0 + (x - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }
}

/// About `count` round tick values (steps of 1, 2 or 5 × 10^k) covering `[lo, hi]`, and the
/// widened domain they span.
pub fn ticks(lo: f64, hi: f64, count: usize) -> (Vec<f64>, f64, f64) {
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 1.0, lo + 1.0)
    };
    let raw = (hi - lo) / count.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let start = (lo / step).floor() * step;
    let end = (hi / step).ceil() * step;
    // A small positive whole number: at most a few times `count`.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = ((end - start) / step).round() as usize;
    let values = (0..=n).map(|i| start + i as f64 * step).collect();
    (values, start, end)
}

/// Opacity of a heatmap cell: faint for values near `centre`, strong towards the ends; never
/// fully opaque, so the cell's text (drawn in the theme's text colour) stays readable.
pub fn shade(value: f64, centre: f64, span: f64) -> f64 {
    if span <= 0.0 {
        return 0.1;
    }
    0.08 + 0.6 * ((value - centre).abs() / span).clamp(0.0, 1.0)
}
