//! The vector primitives under the packed-block kernels, one implementation per instruction
//! set: AVX2 (x86_64, chosen at run time), `simd128` (wasm32, chosen at build time) and a
//! portable fallback.
//!
//! Written by hand because no crate does this well: it is the inner loop of every matrix
//! product, LLVM does not vectorise the block loops on its own (perf showed scalar `imul`s),
//! and the portable-SIMD crates either need nightly or lack the 16 × 16 → 32-bit
//! multiply-add (`pmaddwd`, `i32x4.dot_i16x8`) this needs.
//!
//! A kernel is generic over [`Backend`]: per block of 32 weights it gets the 32 unpacked
//! integer weights (as bytes) and the 32 16-bit activations, multiplies and adds pairs into
//! an integer vector (`Backend::I`), converts that to f32 and accumulates it with the block's
//! scale into an f32 vector (`Backend::F`) that is summed across lanes once per row.

#![allow(unsafe_code)]

/// One instruction set's vector operations. A value of a backend type is proof that the CPU
/// supports it (see [`Avx2::detect`]).
pub trait Backend: Copy {
    type I: Copy;
    type F: Copy;
    fn zero(self) -> Self::F;
    /// Pairwise products of 32 unsigned bytes (0–127, little-endian in four words: unpacking
    /// builds them in registers, and handing them over as bytes in memory would cost a
    /// store-forwarding stall per block) with 32 activations.
    fn dot_u8(self, q: [u64; 4], x: &[i16; 32]) -> Self::I;
    /// Pairwise products of 32 signed bytes with 32 activations.
    fn dot_i8(self, q: &[u8; 32], x: &[i16; 32]) -> Self::I;
    /// As `dot_u8`, for the first and the second 16 separately.
    fn dot_u8_halves(self, q: [u64; 4], x: &[i16; 32]) -> (Self::I, Self::I);
    /// `acc + s · i` lane-wise (i converted to f32).
    fn fma(self, acc: Self::F, i: Self::I, s: f32) -> Self::F;
    fn sum(self, acc: Self::F) -> f32;
}

/// Plain Rust; what runs where neither AVX2 nor simd128 is available.
#[derive(Debug, Clone, Copy)]
pub struct Scalar;

impl Backend for Scalar {
    type I = i32;
    type F = f32;
    #[inline(always)]
    fn zero(self) -> f32 {
        0.0
    }
    #[inline(always)]
    fn dot_u8(self, q: [u64; 4], x: &[i16; 32]) -> i32 {
        let (a, b) = self.dot_u8_halves(q, x);
        a + b
    }
    #[inline(always)]
    fn dot_i8(self, q: &[u8; 32], x: &[i16; 32]) -> i32 {
        q.iter()
            .zip(x)
            .map(|(&a, &b)| i32::from(a as i8) * i32::from(b))
            .sum()
    }
    #[inline(always)]
    fn dot_u8_halves(self, q: [u64; 4], x: &[i16; 32]) -> (i32, i32) {
        let mut bytes = [0u8; 32];
        for (o, w) in bytes.chunks_exact_mut(8).zip(q) {
            o.copy_from_slice(&w.to_le_bytes());
        }
        let h = |r: std::ops::Range<usize>| {
            bytes[r.clone()]
                .iter()
                .zip(&x[r])
                .map(|(&a, &b)| i32::from(a) * i32::from(b))
                .sum()
        };
        (h(0..16), h(16..32))
    }
    #[inline(always)]
    fn fma(self, acc: f32, i: i32, s: f32) -> f32 {
        acc + i as f32 * s
    }
    #[inline(always)]
    fn sum(self, acc: f32) -> f32 {
        acc
    }
}

#[cfg(target_arch = "x86_64")]
pub use avx2::Avx2;

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256, __m256i, _mm_add_ps, _mm_cvtss_f32, _mm_movehl_ps, _mm_set_epi64x, _mm_shuffle_ps,
        _mm256_add_epi32, _mm256_castps256_ps128, _mm256_castsi256_si128, _mm256_cvtepi8_epi16,
        _mm256_cvtepi32_ps, _mm256_cvtepu8_epi16, _mm256_extractf128_ps, _mm256_extracti128_si256,
        _mm256_fmadd_ps, _mm256_loadu_si256, _mm256_madd_epi16, _mm256_set1_ps, _mm256_setzero_ps,
    };

    use super::Backend;

    /// AVX2 and FMA. Only [`Avx2::detect`] makes one, after checking the CPU.
    #[derive(Debug, Clone, Copy)]
    pub struct Avx2(());

    impl Avx2 {
        pub fn detect() -> Option<Avx2> {
            (std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma"))
                .then_some(Avx2(()))
        }
    }

    #[inline(always)]
    fn load(p: &[i16; 32], half: usize) -> __m256i {
        let s: &[i16; 16] = p[half * 16..half * 16 + 16].try_into().expect("16 lanes");
        // SAFETY: `s` is 32 readable bytes; the load has no alignment requirement. AVX2 is
        // present because an `Avx2` value exists (all callers take `self`).
        unsafe { _mm256_loadu_si256(s.as_ptr().cast()) }
    }

    // SAFETY (every `unsafe` below): the intrinsics need AVX2/FMA, which holding an `Avx2`
    // proves; the one memory access is an unaligned 32-byte load from a `&[u8; 32]`.
    impl Backend for Avx2 {
        type I = __m256i;
        type F = __m256;
        #[inline(always)]
        fn zero(self) -> __m256 {
            unsafe { _mm256_setzero_ps() }
        }
        #[inline(always)]
        fn dot_u8(self, q: [u64; 4], x: &[i16; 32]) -> __m256i {
            let (a, b) = self.dot_u8_halves(q, x);
            unsafe { _mm256_add_epi32(a, b) }
        }
        #[inline(always)]
        fn dot_i8(self, q: &[u8; 32], x: &[i16; 32]) -> __m256i {
            unsafe {
                let v = _mm256_loadu_si256(q.as_ptr().cast());
                let lo = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(v));
                let hi = _mm256_cvtepi8_epi16(_mm256_extracti128_si256::<1>(v));
                _mm256_add_epi32(
                    _mm256_madd_epi16(lo, load(x, 0)),
                    _mm256_madd_epi16(hi, load(x, 1)),
                )
            }
        }
        #[inline(always)]
        fn dot_u8_halves(self, q: [u64; 4], x: &[i16; 32]) -> (__m256i, __m256i) {
            unsafe {
                let lo = _mm256_cvtepu8_epi16(_mm_set_epi64x(q[1] as i64, q[0] as i64));
                let hi = _mm256_cvtepu8_epi16(_mm_set_epi64x(q[3] as i64, q[2] as i64));
                (
                    _mm256_madd_epi16(lo, load(x, 0)),
                    _mm256_madd_epi16(hi, load(x, 1)),
                )
            }
        }
        #[inline(always)]
        fn fma(self, acc: __m256, i: __m256i, s: f32) -> __m256 {
            unsafe { _mm256_fmadd_ps(_mm256_cvtepi32_ps(i), _mm256_set1_ps(s), acc) }
        }
        #[inline(always)]
        fn sum(self, acc: __m256) -> f32 {
            unsafe {
                let v = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps::<1>(acc));
                let v = _mm_add_ps(v, _mm_movehl_ps(v, v));
                let v = _mm_add_ps(v, _mm_shuffle_ps::<1>(v, v));
                _mm_cvtss_f32(v)
            }
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub use wasm::Simd128;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm {
    use std::arch::wasm32::{
        f32x4_add, f32x4_convert_i32x4, f32x4_extract_lane, f32x4_mul, f32x4_splat,
        i16x8_extend_high_i8x16, i16x8_extend_high_u8x16, i16x8_extend_low_i8x16,
        i16x8_extend_low_u8x16, i32x4_add, i32x4_dot_i16x8, u64x2, v128, v128_load,
    };

    use super::Backend;

    /// wasm's 128-bit SIMD, present whenever the module was built with `+simd128`.
    #[derive(Debug, Clone, Copy)]
    pub struct Simd128;

    #[inline(always)]
    fn load<T>(p: &[T], at_bytes: usize) -> v128 {
        let bytes = std::mem::size_of_val(p);
        assert!(at_bytes + 16 <= bytes);
        // SAFETY: the 16 bytes at `at_bytes` lie inside `p` (checked above); v128_load
        // allows unaligned addresses.
        unsafe { v128_load(p.as_ptr().cast::<u8>().add(at_bytes).cast()) }
    }

    #[inline(always)]
    fn dot16(q: v128, x: &[i16; 32], at: usize, signed: bool) -> v128 {
        let (lo, hi) = if signed {
            (i16x8_extend_low_i8x16(q), i16x8_extend_high_i8x16(q))
        } else {
            (i16x8_extend_low_u8x16(q), i16x8_extend_high_u8x16(q))
        };
        i32x4_add(
            i32x4_dot_i16x8(lo, load(x, at * 2)),
            i32x4_dot_i16x8(hi, load(x, at * 2 + 16)),
        )
    }

    impl Backend for Simd128 {
        type I = v128;
        type F = v128;
        #[inline(always)]
        fn zero(self) -> v128 {
            f32x4_splat(0.0)
        }
        #[inline(always)]
        fn dot_u8(self, q: [u64; 4], x: &[i16; 32]) -> v128 {
            let (a, b) = self.dot_u8_halves(q, x);
            i32x4_add(a, b)
        }
        #[inline(always)]
        fn dot_i8(self, q: &[u8; 32], x: &[i16; 32]) -> v128 {
            i32x4_add(
                dot16(load(q, 0), x, 0, true),
                dot16(load(q, 16), x, 16, true),
            )
        }
        #[inline(always)]
        fn dot_u8_halves(self, q: [u64; 4], x: &[i16; 32]) -> (v128, v128) {
            (
                dot16(u64x2(q[0], q[1]), x, 0, false),
                dot16(u64x2(q[2], q[3]), x, 16, false),
            )
        }
        #[inline(always)]
        fn fma(self, acc: v128, i: v128, s: f32) -> v128 {
            f32x4_add(acc, f32x4_mul(f32x4_convert_i32x4(i), f32x4_splat(s)))
        }
        #[inline(always)]
        fn sum(self, acc: v128) -> f32 {
            f32x4_extract_lane::<0>(acc)
                + f32x4_extract_lane::<1>(acc)
                + f32x4_extract_lane::<2>(acc)
                + f32x4_extract_lane::<3>(acc)
        }
    }
}
