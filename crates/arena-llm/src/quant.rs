//! ggml's tensor types: block layouts (ggml-common.h), dequantisation, and dot products on the
//! packed blocks.
//!
//! At decode the engine never expands a weight row to f32: activations are quantised once per
//! matrix product to 16-bit integers in blocks of 32 with one scale each ([`QAct`], plus the
//! integer sums the offset terms need), and each weight type has a kernel that multiplies its
//! packed integers by those values and applies the block scales once per 32 (or 16) values.
//!
//! Why 16 bits and not ggml's 8 (`Q8_0`/`Q8_K` activations): small models have outlier
//! activations, and one outlier in a block of 32 leaves its neighbours a handful of 8-bit
//! levels. Measured on SmolLM2-135M Q4_1: 8-bit activations move the chat answer's top logit
//! by 0.7 and change the greedy answer; 16-bit ones stay within 1e-3 of f32 activations. The
//! products still fit 16 × 16 → 32-bit multiply-adds (`pmaddwd`, wasm's `i32x4.dot_i16x8`).
//! Float weights (F32, F16, BF16) are multiplied with the f32 activations directly.
//!
//! The kernels are written as fixed-size loops over one block so that LLVM vectorises them
//! (AVX2 through `cpu::simd`'s target-feature entry points natively, `simd128` in wasm);
//! `dequantize` is the scalar reference the tests check them against.

use half::{bf16, f16};

use crate::simd::Backend;

/// Elements per block of the 32-wide formats and per sub-block of the K formats.
pub const QK: usize = 32;
/// Elements per K-quant super-block.
pub const QK_K: usize = 256;

#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GgmlType {
    F32,
    F16,
    BF16,
    Q4_0,
    Q4_1,
    Q5_0,
    Q8_0,
    Q4_K,
    Q6_K,
}

impl GgmlType {
    /// ggml's numeric id (`enum ggml_type`).
    pub fn from_id(id: u32) -> Option<Self> {
        Some(match id {
            0 => Self::F32,
            1 => Self::F16,
            2 => Self::Q4_0,
            3 => Self::Q4_1,
            6 => Self::Q5_0,
            8 => Self::Q8_0,
            12 => Self::Q4_K,
            14 => Self::Q6_K,
            30 => Self::BF16,
            _ => return None,
        })
    }
    pub fn id(self) -> u32 {
        match self {
            Self::F32 => 0,
            Self::F16 => 1,
            Self::Q4_0 => 2,
            Self::Q4_1 => 3,
            Self::Q5_0 => 6,
            Self::Q8_0 => 8,
            Self::Q4_K => 12,
            Self::Q6_K => 14,
            Self::BF16 => 30,
        }
    }
    /// Elements per block.
    pub fn block_size(self) -> usize {
        match self {
            Self::F32 | Self::F16 | Self::BF16 => 1,
            Self::Q4_0 | Self::Q4_1 | Self::Q5_0 | Self::Q8_0 => QK,
            Self::Q4_K | Self::Q6_K => QK_K,
        }
    }
    /// Bytes per block.
    pub fn type_size(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::F16 | Self::BF16 => 2,
            Self::Q4_0 => 2 + 16,
            Self::Q4_1 => 2 + 2 + 16,
            Self::Q5_0 => 2 + 4 + 16,
            Self::Q8_0 => 2 + 32,
            Self::Q4_K => 2 + 2 + 12 + 128,
            Self::Q6_K => 128 + 64 + 16 + 2,
        }
    }
    /// Bytes of a row of `n` elements (`n` a multiple of the block size).
    pub fn row_bytes(self, n: usize) -> usize {
        n / self.block_size() * self.type_size()
    }
    pub fn is_float(self) -> bool {
        matches!(self, Self::F32 | Self::F16 | Self::BF16)
    }
}

#[inline(always)]
fn f16_at(b: &[u8], i: usize) -> f32 {
    crate::cpu::f16_to_f32(u16::from_le_bytes([b[i], b[i + 1]]))
}

/// Q4_K's packed 6-bit scale and min of sub-block `j` (ggml's `get_scale_min_k4`).
#[inline(always)]
fn scale_min_k4(j: usize, q: &[u8]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}

/// Dequantises `bytes` (whole blocks) of type `ty` into `out` (the scalar reference).
pub fn dequantize(ty: GgmlType, bytes: &[u8], out: &mut [f32]) {
    let bs = ty.block_size();
    let ts = ty.type_size();
    assert_eq!(bytes.len() / ts * bs, out.len(), "dequantize: sizes differ");
    match ty {
        GgmlType::F32 => {
            for (o, c) in out.iter_mut().zip(bytes.chunks_exact(4)) {
                *o = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            }
        }
        GgmlType::F16 => {
            for (o, c) in out.iter_mut().zip(bytes.chunks_exact(2)) {
                *o = f16::from_le_bytes([c[0], c[1]]).to_f32();
            }
        }
        GgmlType::BF16 => {
            for (o, c) in out.iter_mut().zip(bytes.chunks_exact(2)) {
                *o = bf16::from_le_bytes([c[0], c[1]]).to_f32();
            }
        }
        _ => {
            for (o, b) in out.chunks_exact_mut(bs).zip(bytes.chunks_exact(ts)) {
                dequantize_block(ty, b, o);
            }
        }
    }
}

fn dequantize_block(ty: GgmlType, b: &[u8], y: &mut [f32]) {
    match ty {
        GgmlType::Q4_0 => {
            let d = f16_at(b, 0);
            for j in 0..16 {
                y[j] = (f32::from(b[2 + j] & 0xF) - 8.0) * d;
                y[j + 16] = (f32::from(b[2 + j] >> 4) - 8.0) * d;
            }
        }
        GgmlType::Q4_1 => {
            let (d, m) = (f16_at(b, 0), f16_at(b, 2));
            for j in 0..16 {
                y[j] = f32::from(b[4 + j] & 0xF) * d + m;
                y[j + 16] = f32::from(b[4 + j] >> 4) * d + m;
            }
        }
        GgmlType::Q5_0 => {
            let d = f16_at(b, 0);
            let qh = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
            for j in 0..16 {
                let h0 = ((qh >> j) << 4) & 0x10;
                let h1 = (qh >> (j + 12)) & 0x10;
                y[j] = (((u32::from(b[6 + j]) & 0xF) | h0) as f32 - 16.0) * d;
                y[j + 16] = (((u32::from(b[6 + j]) >> 4) | h1) as f32 - 16.0) * d;
            }
        }
        GgmlType::Q8_0 => {
            let d = f16_at(b, 0);
            for j in 0..32 {
                y[j] = f32::from(b[2 + j] as i8) * d;
            }
        }
        GgmlType::Q4_K => {
            let (d, dmin) = (f16_at(b, 0), f16_at(b, 2));
            let scales = &b[4..16];
            let qs = &b[16..144];
            for chunk in 0..4 {
                let (sc0, m0) = scale_min_k4(chunk * 2, scales);
                let (sc1, m1) = scale_min_k4(chunk * 2 + 1, scales);
                let q = &qs[chunk * 32..chunk * 32 + 32];
                for l in 0..32 {
                    y[chunk * 64 + l] =
                        d * f32::from(sc0) * f32::from(q[l] & 0xF) - dmin * f32::from(m0);
                    y[chunk * 64 + 32 + l] =
                        d * f32::from(sc1) * f32::from(q[l] >> 4) - dmin * f32::from(m1);
                }
            }
        }
        GgmlType::Q6_K => {
            let ql = &b[0..128];
            let qh = &b[128..192];
            let sc = &b[192..208];
            let d = f16_at(b, 208);
            for e in 0..QK_K {
                y[e] = d * f32::from(sc[e / 16] as i8) * f32::from(q6k_value(ql, qh, e) as i8 - 32);
            }
        }
        GgmlType::F32 | GgmlType::F16 | GgmlType::BF16 => {
            unreachable!("float types have no blocks")
        }
    }
}

/// Q6_K's 6-bit unsigned value of element `e` of a super-block.
///
/// Element `e` = 128·chunk + 32·quarter + l: its low four bits are in `ql[64·chunk + 32·(quarter
/// mod 2) + l]` (low nibble for quarters 0–1, high for 2–3) and its top two bits in
/// `qh[32·chunk + l]` at bit `2·quarter`. Consecutive runs of 16 share scale `e / 16`.
#[inline(always)]
fn q6k_value(ql: &[u8], qh: &[u8], e: usize) -> u8 {
    let (chunk, quarter, l) = (e / 128, (e % 128) / 32, e % 32);
    let lo = ql[chunk * 64 + (quarter % 2) * 32 + l];
    let lo = if quarter < 2 { lo & 0xF } else { lo >> 4 };
    let hi = (qh[chunk * 32 + l] >> (2 * quarter)) & 3;
    lo | (hi << 4)
}

/// Activations quantised for the integer kernels: 16-bit values in blocks of 32 with one f32
/// scale per block, and the sum of each half-block's values (the K and offset formats need
/// Σx to apply their minimums without touching x again).
#[derive(Debug, Clone, Default)]
pub struct QAct {
    pub qs: Vec<i16>,
    pub d: Vec<f32>,
    /// Σ qs over each run of 16 (two per block).
    pub sum16: Vec<i32>,
    /// Σ x of each block as the integers represent it (`d · Σ qs`).
    pub sum: Vec<f32>,
    /// The unquantised activations, for float weights.
    pub f: Vec<f32>,
}

impl QAct {
    pub fn with_len(n: usize) -> Self {
        let mut a = Self::default();
        a.resize(n);
        a
    }
    fn resize(&mut self, n: usize) {
        self.qs.resize(n, 0);
        self.d.resize(n.div_ceil(QK), 0.0);
        self.sum16.resize(n.div_ceil(16), 0);
        self.sum.resize(n.div_ceil(QK), 0.0);
        self.f.resize(n, 0.0);
    }
    pub fn len(&self) -> usize {
        self.f.len()
    }
    pub fn is_empty(&self) -> bool {
        self.f.is_empty()
    }
    /// Quantises `x` (length a multiple of 32) in place of the previous contents.
    pub fn quantize(&mut self, x: &[f32]) {
        debug_assert_eq!(x.len() % QK, 0);
        self.resize(x.len());
        self.f.copy_from_slice(x);
        for (bi, xb) in x.chunks_exact(QK).enumerate() {
            let amax = xb.iter().fold(0f32, |m, v| m.max(v.abs()));
            let d = amax / 32767.0;
            let id = if d > 0.0 { 1.0 / d } else { 0.0 };
            self.d[bi] = d;
            let q = &mut self.qs[bi * QK..bi * QK + QK];
            for (qi, &v) in q.iter_mut().zip(xb) {
                *qi = (v * id).round() as i16;
            }
            let s0: i32 = q[..16].iter().map(|&v| i32::from(v)).sum();
            let s1: i32 = q[16..].iter().map(|&v| i32::from(v)).sum();
            self.sum16[bi * 2] = s0;
            self.sum16[bi * 2 + 1] = s1;
            self.sum[bi] = d * (s0 + s1) as f32;
        }
    }
}

#[inline(always)]
fn block(x: &QAct, bi: usize) -> &[i16; 32] {
    x.qs[bi * 32..bi * 32 + 32]
        .try_into()
        .expect("32 activations")
}

/// Dot product of one packed weight row with quantised activations (portable backend).
pub fn dot_row(ty: GgmlType, row: &[u8], x: &QAct) -> f32 {
    dot_row_with(crate::simd::Scalar, ty, row, x)
}

/// Dot product of one packed weight row with quantised activations.
#[inline(always)]
pub fn dot_row_with<B: Backend>(be: B, ty: GgmlType, row: &[u8], x: &QAct) -> f32 {
    match ty {
        GgmlType::F32 => {
            let mut acc = [0f32; 8];
            for (c, xs) in row.chunks_exact(32).zip(x.f.chunks_exact(8)) {
                for i in 0..8 {
                    acc[i] +=
                        f32::from_le_bytes([c[4 * i], c[4 * i + 1], c[4 * i + 2], c[4 * i + 3]])
                            * xs[i];
                }
            }
            acc.iter().sum()
        }
        GgmlType::F16 => {
            let mut acc = [0f32; 8];
            for (c, xs) in row.chunks_exact(16).zip(x.f.chunks_exact(8)) {
                for i in 0..8 {
                    acc[i] += crate::cpu::f16_to_f32(u16::from_le_bytes([c[2 * i], c[2 * i + 1]]))
                        * xs[i];
                }
            }
            acc.iter().sum()
        }
        GgmlType::BF16 => {
            let mut acc = [0f32; 8];
            for (c, xs) in row.chunks_exact(16).zip(x.f.chunks_exact(8)) {
                for i in 0..8 {
                    // bf16 is the top half of an f32.
                    let bits = u32::from(u16::from_le_bytes([c[2 * i], c[2 * i + 1]])) << 16;
                    acc[i] += f32::from_bits(bits) * xs[i];
                }
            }
            acc.iter().sum()
        }
        GgmlType::Q4_0 => sum_blocks(
            be,
            row,
            18,
            #[inline(always)]
            |bi, b| {
                // Σ d·dx·(q − 8)·x = d·dx·Σ q·x − 8·d·(dx·Σx).
                let d = be.f16(u16::from_le_bytes([b[0], b[1]]));
                (
                    be.dot_nib(arr(&b[2..18]), block(x, bi)),
                    d * x.d[bi],
                    -8.0 * d * x.sum[bi],
                )
            },
        ),
        GgmlType::Q4_1 => sum_blocks(
            be,
            row,
            20,
            #[inline(always)]
            |bi, b| {
                // Σ dx·(d·q + m)·x = d·dx·Σ q·x + m·(dx·Σx).
                let d = be.f16(u16::from_le_bytes([b[0], b[1]]));
                let m = be.f16(u16::from_le_bytes([b[2], b[3]]));
                (
                    be.dot_nib(arr(&b[4..20]), block(x, bi)),
                    d * x.d[bi],
                    m * x.sum[bi],
                )
            },
        ),
        GgmlType::Q5_0 => sum_blocks(
            be,
            row,
            22,
            #[inline(always)]
            |bi, b| {
                let d = be.f16(u16::from_le_bytes([b[0], b[1]]));
                let qh = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
                (
                    be.dot_nib5(arr(&b[6..22]), qh, block(x, bi)),
                    d * x.d[bi],
                    -16.0 * d * x.sum[bi],
                )
            },
        ),
        GgmlType::Q8_0 => sum_blocks(
            be,
            row,
            34,
            #[inline(always)]
            |bi, b| {
                let d = be.f16(u16::from_le_bytes([b[0], b[1]]));
                (be.dot_i8(arr(&b[2..34]), block(x, bi)), d * x.d[bi], 0.0)
            },
        ),
        GgmlType::Q4_K => {
            let (mut acc, mut acc2, mut corr) = (be.zero(), be.zero(), 0f32);
            for (sb, b) in row.chunks_exact(144).enumerate() {
                let d = be.f16(u16::from_le_bytes([b[0], b[1]]));
                let dmin = be.f16(u16::from_le_bytes([b[2], b[3]]));
                let scales = &b[4..16];
                for chunk in 0..4 {
                    let (j, bi) = (chunk * 2, sb * 8 + chunk * 2);
                    let (sc0, m0) = scale_min_k4(j, scales);
                    let (sc1, m1) = scale_min_k4(j + 1, scales);
                    let p = arr(&b[16 + chunk * 32..48 + chunk * 32]);
                    let (i0, i1) = be.dot_nib_pair(p, block(x, bi), block(x, bi + 1));
                    acc = be.fma(acc, i0, d * f32::from(sc0) * x.d[bi]);
                    acc2 = be.fma(acc2, i1, d * f32::from(sc1) * x.d[bi + 1]);
                    corr += dmin * (f32::from(m0) * x.sum[bi] + f32::from(m1) * x.sum[bi + 1]);
                }
            }
            be.sum(be.add(acc, acc2)) - corr
        }
        GgmlType::Q6_K => {
            let (mut acc, mut acc2, mut corr) = (be.zero(), be.zero(), 0f32);
            for (sb, b) in row.chunks_exact(210).enumerate() {
                let (ql, qh, sc) = (&b[0..128], &b[128..192], &b[192..208]);
                let d = be.f16(u16::from_le_bytes([b[208], b[209]]));
                for chunk in 0..2 {
                    let h = arr(&qh[chunk * 32..chunk * 32 + 32]);
                    for quarter in 0..4 {
                        // See `q6k_value` for where each value's bits live.
                        let lbase = chunk * 64 + (quarter % 2) * 32;
                        let l = arr(&ql[lbase..lbase + 32]);
                        let bi = sb * 8 + chunk * 4 + quarter;
                        let g = (chunk * 4 + quarter) * 2;
                        let s0 = d * x.d[bi] * f32::from(sc[g] as i8);
                        let s1 = d * x.d[bi] * f32::from(sc[g + 1] as i8);
                        let (i0, i1) =
                            be.dot_q6(l, quarter >= 2, h, 2 * quarter as u32, block(x, bi));
                        acc = be.fma(acc, i0, s0);
                        acc2 = be.fma(acc2, i1, s1);
                        corr += s0 * x.sum16[2 * bi] as f32 + s1 * x.sum16[2 * bi + 1] as f32;
                    }
                }
            }
            be.sum(be.add(acc, acc2)) - 32.0 * corr
        }
    }
}

/// Σ over a row's blocks of `size` bytes: `f` gives each block's integer products, their
/// scale and a scalar term. Two accumulators, alternating, so one block's multiply-add does
/// not wait on the last one's (the loop is otherwise bound by the FMA latency).
#[inline(always)]
fn sum_blocks<B: Backend>(
    be: B,
    row: &[u8],
    size: usize,
    mut f: impl FnMut(usize, &[u8]) -> (B::I, f32, f32),
) -> f32 {
    let (mut a0, mut a1, mut c) = (be.zero(), be.zero(), 0f32);
    let mut pairs = row.chunks_exact(2 * size);
    let mut bi = 0;
    for p in &mut pairs {
        let (i0, s0, c0) = f(bi, &p[..size]);
        let (i1, s1, c1) = f(bi + 1, &p[size..]);
        a0 = be.fma(a0, i0, s0);
        a1 = be.fma(a1, i1, s1);
        c += c0 + c1;
        bi += 2;
    }
    for b in pairs.remainder().chunks_exact(size) {
        let (i, s, c0) = f(bi, b);
        a0 = be.fma(a0, i, s);
        c += c0;
        bi += 1;
    }
    be.sum(be.add(a0, a1)) + c
}

#[inline(always)]
fn arr<const N: usize>(b: &[u8]) -> &[u8; N] {
    b.try_into().expect("block bytes")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A deterministic pseudo-random byte stream for test blocks.
    pub(crate) fn bytes(n: usize, seed: u64) -> Vec<u8> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 24) as u8
            })
            .collect()
    }

    /// Random blocks of `ty` with sane (finite, small) f16 scales.
    pub(crate) fn random_row(ty: GgmlType, n: usize, seed: u64) -> Vec<u8> {
        let mut b = bytes(ty.row_bytes(n), seed);
        let ts = ty.type_size();
        let put = |b: &mut [u8], at: usize, v: f32| {
            b[at..at + 2].copy_from_slice(&f16::from_f32(v).to_le_bytes());
        };
        for (i, blk) in b.chunks_exact_mut(ts).enumerate() {
            let v = 0.01 + (i % 7) as f32 * 0.003;
            match ty {
                GgmlType::Q4_0 | GgmlType::Q5_0 | GgmlType::Q8_0 => put(blk, 0, v),
                GgmlType::Q4_1 | GgmlType::Q4_K => {
                    put(blk, 0, v);
                    put(blk, 2, -v * 0.5);
                }
                GgmlType::Q6_K => put(blk, 208, v),
                GgmlType::F16 => put(blk, 0, (i as f32 * 0.37).sin()),
                GgmlType::BF16 => {
                    blk.copy_from_slice(&bf16::from_f32((i as f32 * 0.37).cos()).to_le_bytes());
                }
                GgmlType::F32 => blk.copy_from_slice(&((i as f32) * 0.11).sin().to_le_bytes()),
            }
        }
        b
    }

    const ALL: [GgmlType; 9] = [
        GgmlType::F32,
        GgmlType::F16,
        GgmlType::BF16,
        GgmlType::Q4_0,
        GgmlType::Q4_1,
        GgmlType::Q5_0,
        GgmlType::Q8_0,
        GgmlType::Q4_K,
        GgmlType::Q6_K,
    ];

    #[test]
    fn block_sizes_match_ggml_common_h() {
        let sizes: Vec<_> = ALL
            .iter()
            .map(|t| (t.block_size(), t.type_size()))
            .collect();
        assert_eq!(
            sizes,
            [
                (1, 4),
                (1, 2),
                (1, 2),
                (32, 18),
                (32, 20),
                (32, 22),
                (32, 34),
                (256, 144),
                (256, 210)
            ]
        );
        for t in ALL {
            assert_eq!(GgmlType::from_id(t.id()), Some(t));
        }
    }

    /// Each packed kernel equals the dequantised row times the dequantised activations
    /// (the only difference allowed is f32 summation order).
    #[test]
    fn packed_dot_equals_dequantised_dot() {
        let n = 512;
        let x: Vec<f32> = (0..n)
            .map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.25 + (i as f32 * 0.01).sin())
            .collect();
        let mut act = QAct::default();
        act.quantize(&x);
        // What the integer kernels see: x rounded to its 8-bit blocks.
        let xq: Vec<f32> = (0..n)
            .map(|i| f32::from(act.qs[i]) * act.d[i / 32])
            .collect();
        for ty in ALL {
            for seed in 0..4 {
                let row = random_row(ty, n, seed + 10 * ty.id() as u64);
                let mut w = vec![0f32; n];
                dequantize(ty, &row, &mut w);
                let xs = if ty.is_float() { &x } else { &xq };
                let want: f64 = w
                    .iter()
                    .zip(xs)
                    .map(|(&a, &b)| f64::from(a) * f64::from(b))
                    .sum();
                let got = f64::from(dot_row(ty, &row, &act));
                let scale: f64 = w
                    .iter()
                    .zip(xs)
                    .map(|(&a, &b)| (f64::from(a) * f64::from(b)).abs())
                    .sum();
                assert!(
                    (got - want).abs() <= 1e-5 * scale.max(1.0),
                    "{ty:?} seed {seed}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn activation_quantisation_error_is_small() {
        let x: Vec<f32> = (0..64).map(|i| (i as f32 * 0.3).sin() * 3.0).collect();
        let mut a = QAct::default();
        a.quantize(&x);
        for (i, &v) in x.iter().enumerate() {
            let back = f32::from(a.qs[i]) * a.d[i / 32];
            assert!((back - v).abs() <= a.d[i / 32] * 0.5 + 1e-6);
        }
        let zero = vec![0f32; 32];
        a.quantize(&zero);
        assert!(a.qs.iter().all(|&q| q == 0) && a.d[0] == 0.0);
    }
}
