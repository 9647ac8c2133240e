//! The CPU backend's matrix products, with a runtime-dispatched AVX2 build on x86_64.
//!
//! The kernels in `quant` are plain Rust written so LLVM vectorises them. Natively the crate
//! is compiled for the baseline CPU (SSE2), so `matmul` calls a copy of the same loops compiled
//! with AVX2 and FMA when the CPU has them; in wasm the module is built with `simd128`
//! (see `.cargo/config.toml`), which the same loops use directly.

use crate::quant::{GgmlType, QAct, dot_row_with};
use crate::simd::Backend;

/// A weight matrix: `rows` rows of `cols` elements, packed as `ty`, borrowed from the file.
#[derive(Debug, Clone, Copy)]
pub struct Matrix<'a> {
    pub ty: GgmlType,
    pub cols: usize,
    pub rows: usize,
    pub bytes: &'a [u8],
}

impl Matrix<'_> {
    pub fn row(&self, r: usize) -> &[u8] {
        let rb = self.ty.row_bytes(self.cols);
        &self.bytes[r * rb..(r + 1) * rb]
    }
}

/// `out[t * rows + r] = W[r] · x[t]` for every token `t` of `xs`.
///
/// Rows are the outer loop, so a row's packed bytes are read from memory once for all tokens
/// of a prefill batch.
pub fn matmul(w: &Matrix<'_>, xs: &[QAct], out: &mut [f32]) {
    assert_eq!(out.len(), xs.len() * w.rows, "matmul: output size");
    assert!(xs.iter().all(|x| x.len() == w.cols), "matmul: input width");
    #[cfg(target_arch = "x86_64")]
    {
        if let Some(avx2) = crate::simd::Avx2::detect() {
            #[allow(unsafe_code)]
            // SAFETY: `matmul_avx2` only requires the AVX2 and FMA instructions, which
            // `detect` just found; it reads nothing but its (bounds-checked) slices.
            unsafe {
                matmul_avx2(avx2, w, xs, out);
            }
            return;
        }
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        matmul_generic(crate::simd::Simd128, w, xs, out);
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        matmul_generic(crate::simd::Scalar, w, xs, out);
    }
}

/// The generic loop compiled with AVX2 and FMA enabled, so the backend's intrinsics inline.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
fn matmul_avx2(be: crate::simd::Avx2, w: &Matrix<'_>, xs: &[QAct], out: &mut [f32]) {
    matmul_generic(be, w, xs, out);
}

#[inline(always)]
fn matmul_generic<B: Backend>(be: B, w: &Matrix<'_>, xs: &[QAct], out: &mut [f32]) {
    let rb = w.ty.row_bytes(w.cols);
    let n = xs.len();
    for (r, row) in w.bytes.chunks_exact(rb).take(w.rows).enumerate() {
        for (t, x) in xs.iter().enumerate() {
            out[t * w.rows + r] = dot_row_with(be, w.ty, row, x);
        }
    }
    debug_assert_eq!(out.len(), n * w.rows);
}

/// ggml's f16 → f32 without tables or per-call feature checks (the `half` crate's portable
/// path re-checks CPU features on every call, which costs more than the conversion).
#[inline(always)]
pub fn f16_to_f32(h: u16) -> f32 {
    const SHIFTED_EXP: u32 = 0x7c00 << 13;
    let mut o = (u32::from(h) & 0x7fff) << 13;
    let exp = SHIFTED_EXP & o;
    o += (127 - 15) << 23;
    let f = if exp == SHIFTED_EXP {
        f32::from_bits(o + ((128 - 16) << 23))
    } else if exp == 0 {
        f32::from_bits(o + (1 << 23)) - f32::from_bits(113 << 23)
    } else {
        f32::from_bits(o)
    };
    f32::from_bits(f.to_bits() | ((u32::from(h) & 0x8000) << 16))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::dot_row;
    use crate::quant::tests::random_row;

    #[test]
    fn f16_conversion_matches_half_for_every_value() {
        for h in 0..=u16::MAX {
            let want = half::f16::from_bits(h).to_f32();
            let got = f16_to_f32(h);
            assert!(
                want.to_bits() == got.to_bits() || (want.is_nan() && got.is_nan()),
                "{h:#x}"
            );
        }
    }

    #[test]
    fn matmul_rows_and_tokens() {
        for ty in [
            GgmlType::Q4_0,
            GgmlType::Q4_1,
            GgmlType::Q5_0,
            GgmlType::Q8_0,
            GgmlType::Q4_K,
            GgmlType::Q6_K,
            GgmlType::F16,
        ] {
            let (cols, rows) = (256, 5);
            let bytes: Vec<u8> = (0..rows)
                .flat_map(|r| random_row(ty, cols, r as u64 + 3))
                .collect();
            let w = Matrix {
                ty,
                cols,
                rows,
                bytes: &bytes,
            };
            let xs: Vec<QAct> = (0..3)
                .map(|t| {
                    let x: Vec<f32> = (0..cols)
                        .map(|i| ((i + t * 5) as f32 * 0.1).cos())
                        .collect();
                    let mut a = QAct::default();
                    a.quantize(&x);
                    a
                })
                .collect();
            let mut out = vec![0f32; 3 * rows];
            matmul(&w, &xs, &mut out);
            for t in 0..3 {
                for r in 0..rows {
                    // The vector backends sum in another order than the portable one.
                    let want = dot_row(ty, w.row(r), &xs[t]);
                    let got = out[t * rows + r];
                    assert!(
                        (got - want).abs() <= 1e-5 * want.abs().max(1.0),
                        "{ty:?}: {got} vs {want}"
                    );
                }
            }
        }
    }
}
