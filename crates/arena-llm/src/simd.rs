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
    fn add(self, a: Self::F, b: Self::F) -> Self::F;

    // Unpack-and-multiply for each packed layout. The defaults unpack eight values at a time
    // in u64 words and call `dot_u8`; the vector backends unpack in vector registers.

    /// Q4_0/Q4_1: 16 bytes whose low nibbles are values 0–15 and high nibbles 16–31.
    #[inline(always)]
    fn dot_nib(self, qs: &[u8; 16], x: &[i16; 32]) -> Self::I {
        self.dot_u8(swar::nibbles(qs), x)
    }
    /// Q5_0: as `dot_nib`, plus bit j of `qh` as bit 4 of value j.
    #[inline(always)]
    fn dot_nib5(self, qs: &[u8; 16], qh: u32, x: &[i16; 32]) -> Self::I {
        let mut w = swar::nibbles(qs);
        for (k, wk) in w.iter_mut().enumerate() {
            *wk |= swar::HIGH_BIT[(qh >> (8 * k)) as usize & 0xFF];
        }
        self.dot_u8(w, x)
    }
    /// Q4_K: the low nibbles of 32 bytes times `xa`, the high nibbles times `xb`.
    #[inline(always)]
    fn dot_nib_pair(self, p: &[u8; 32], xa: &[i16; 32], xb: &[i16; 32]) -> (Self::I, Self::I) {
        let w = swar::words(p);
        (
            self.dot_u8(w.map(|v| v & swar::M4), xa),
            self.dot_u8(w.map(|v| (v >> 4) & swar::M4), xb),
        )
    }
    /// Q6_K: values = (low or high nibble of `ql`) | (bits `shift`, `shift`+1 of `qh`) << 4,
    /// multiplied by `x`, first and second 16 separately.
    #[inline(always)]
    fn dot_q6(
        self,
        ql: &[u8; 32],
        high_nibble: bool,
        qh: &[u8; 32],
        shift: u32,
        x: &[i16; 32],
    ) -> (Self::I, Self::I) {
        let (l, h) = (swar::words(ql), swar::words(qh));
        let nib = if high_nibble { 4 } else { 0 };
        let w: [u64; 4] = std::array::from_fn(|k| {
            ((l[k] >> nib) & swar::M4) | (((h[k] >> shift) & 0x0303_0303_0303_0303) << 4)
        });
        self.dot_u8_halves(w, x)
    }
    /// An IEEE half (a block scale) as f32.
    #[inline(always)]
    fn f16(self, bits: u16) -> f32 {
        crate::cpu::f16_to_f32(bits)
    }
}

/// A finite IEEE half as f32 in four scalar operations and no branch: shift the exponent and
/// mantissa into place and rescale by 2^112 (exact for normals and subnormals alike). Inf and
/// NaN come out finite, which only a damaged file's block scale can be.
#[inline(always)]
pub fn finite_f16(h: u16) -> f32 {
    let magnitude = f32::from_bits((u32::from(h) & 0x7fff) << 13) * f32::from_bits(0x7780_0000);
    f32::from_bits(magnitude.to_bits() | ((u32::from(h) & 0x8000) << 16))
}

/// Unpacking eight values at a time in u64 words (the portable path).
mod swar {
    pub const M4: u64 = 0x0F0F_0F0F_0F0F_0F0F;

    #[inline(always)]
    pub fn words<const N: usize>(b: &[u8; N]) -> [u64; 4] {
        std::array::from_fn(|k| {
            if 8 * k + 8 <= N {
                u64::from_le_bytes(b[8 * k..8 * k + 8].try_into().expect("8 bytes"))
            } else {
                0
            }
        })
    }

    /// 16 packed bytes → their 16 low nibbles, then their 16 high nibbles.
    #[inline(always)]
    pub fn nibbles(qs: &[u8; 16]) -> [u64; 4] {
        let w = words(qs);
        [w[0] & M4, w[1] & M4, (w[0] >> 4) & M4, (w[1] >> 4) & M4]
    }

    /// Byte k of `HIGH_BIT[b]` is bit k of `b` moved to bit 4: Q5_0's fifth bits, 8 at a time.
    pub const HIGH_BIT: [u64; 256] = {
        let mut t = [0u64; 256];
        let mut b = 0;
        while b < 256 {
            let mut k = 0;
            while k < 8 {
                if b >> k & 1 == 1 {
                    t[b] |= 0x10 << (8 * k);
                }
                k += 1;
            }
            b += 1;
        }
        t
    };
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
    #[inline(always)]
    fn add(self, a: f32, b: f32) -> f32 {
        a + b
    }
}

#[cfg(target_arch = "x86_64")]
pub use avx2::Avx2;

#[cfg(target_arch = "x86_64")]
mod avx2 {
    #[allow(clippy::wildcard_imports)]
    use std::arch::x86_64::*;

    use super::Backend;

    /// AVX2, FMA and F16C. Only [`Avx2::detect`] makes one, after checking the CPU.
    #[derive(Debug, Clone, Copy)]
    pub struct Avx2(());

    impl Avx2 {
        pub fn detect() -> Option<Avx2> {
            (std::is_x86_feature_detected!("avx2")
                && std::is_x86_feature_detected!("fma")
                && std::is_x86_feature_detected!("f16c"))
            .then_some(Avx2(()))
        }

        /// 32 unsigned bytes in a vector times 32 activations, pairwise summed.
        #[inline(always)]
        #[allow(clippy::unused_self)] // `self` is the proof that AVX2 is present
        fn madd_u8(self, q: __m256i, x: &[i16; 32]) -> __m256i {
            unsafe {
                let lo = _mm256_cvtepu8_epi16(_mm256_castsi256_si128(q));
                let hi = _mm256_cvtepu8_epi16(_mm256_extracti128_si256::<1>(q));
                _mm256_add_epi32(
                    _mm256_madd_epi16(lo, load(x, 0)),
                    _mm256_madd_epi16(hi, load(x, 1)),
                )
            }
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
        fn dot_nib(self, qs: &[u8; 16], x: &[i16; 32]) -> __m256i {
            unsafe {
                let v = _mm_loadu_si128(qs.as_ptr().cast());
                let m = _mm_set1_epi8(0x0F);
                let lo = _mm256_cvtepu8_epi16(_mm_and_si128(v, m));
                let hi = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16::<4>(v), m));
                _mm256_add_epi32(
                    _mm256_madd_epi16(lo, load(x, 0)),
                    _mm256_madd_epi16(hi, load(x, 1)),
                )
            }
        }
        #[inline(always)]
        fn dot_nib5(self, qs: &[u8; 16], qh: u32, x: &[i16; 32]) -> __m256i {
            unsafe {
                let v = _mm_loadu_si128(qs.as_ptr().cast());
                let m = _mm_set1_epi8(0x0F);
                // Spread bit j of qh to byte j: replicate each byte of qh over eight bytes,
                // keep bit (j mod 8) of each, and turn a set bit into 0x10.
                let bits = _mm_set1_epi32(qh as i32);
                let bit = _mm_set1_epi64x(0x8040_2010_0804_0201_u64 as i64);
                let spread = |order: __m128i| {
                    let b = _mm_and_si128(_mm_shuffle_epi8(bits, order), bit);
                    _mm_and_si128(_mm_cmpeq_epi8(b, bit), _mm_set1_epi8(0x10))
                };
                let h0 = spread(_mm_set_epi64x(0x0101_0101_0101_0101, 0));
                let h1 = spread(_mm_set_epi64x(0x0303_0303_0303_0303, 0x0202_0202_0202_0202));
                let lo = _mm256_cvtepu8_epi16(_mm_or_si128(_mm_and_si128(v, m), h0));
                let hi = _mm256_cvtepu8_epi16(_mm_or_si128(
                    _mm_and_si128(_mm_srli_epi16::<4>(v), m),
                    h1,
                ));
                _mm256_add_epi32(
                    _mm256_madd_epi16(lo, load(x, 0)),
                    _mm256_madd_epi16(hi, load(x, 1)),
                )
            }
        }
        #[inline(always)]
        fn dot_nib_pair(self, p: &[u8; 32], xa: &[i16; 32], xb: &[i16; 32]) -> (__m256i, __m256i) {
            unsafe {
                let v = _mm256_loadu_si256(p.as_ptr().cast());
                let m = _mm256_set1_epi8(0x0F);
                let lo = _mm256_and_si256(v, m);
                let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(v), m);
                (self.madd_u8(lo, xa), self.madd_u8(hi, xb))
            }
        }
        #[inline(always)]
        fn dot_q6(
            self,
            ql: &[u8; 32],
            high_nibble: bool,
            qh: &[u8; 32],
            shift: u32,
            x: &[i16; 32],
        ) -> (__m256i, __m256i) {
            unsafe {
                let l = _mm256_loadu_si256(ql.as_ptr().cast());
                let h = _mm256_loadu_si256(qh.as_ptr().cast());
                let l = if high_nibble {
                    _mm256_srli_epi16::<4>(l)
                } else {
                    l
                };
                let l = _mm256_and_si256(l, _mm256_set1_epi8(0x0F));
                let h = _mm256_srl_epi16(h, _mm_cvtsi32_si128(shift as i32));
                let h = _mm256_slli_epi16::<4>(_mm256_and_si256(h, _mm256_set1_epi8(0x03)));
                let q = _mm256_or_si256(l, h);
                let lo = _mm256_cvtepu8_epi16(_mm256_castsi256_si128(q));
                let hi = _mm256_cvtepu8_epi16(_mm256_extracti128_si256::<1>(q));
                (
                    _mm256_madd_epi16(lo, load(x, 0)),
                    _mm256_madd_epi16(hi, load(x, 1)),
                )
            }
        }
        #[inline(always)]
        fn f16(self, bits: u16) -> f32 {
            // Not `vcvtph2ps`: LLVM loads its operand with `vpinsrw` into whatever register is
            // free, often the accumulator, which chained every block to the last one (17
            // cycles a block on the Q8_0 output matrix). See `finite_f16`.
            super::finite_f16(bits)
        }
        #[inline(always)]
        fn add(self, a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_add_ps(a, b) }
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
    #[allow(clippy::wildcard_imports)]
    use std::arch::wasm32::*;

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
        fn add(self, a: v128, b: v128) -> v128 {
            f32x4_add(a, b)
        }
        #[inline(always)]
        fn sum(self, acc: v128) -> f32 {
            f32x4_extract_lane::<0>(acc)
                + f32x4_extract_lane::<1>(acc)
                + f32x4_extract_lane::<2>(acc)
                + f32x4_extract_lane::<3>(acc)
        }
        #[inline(always)]
        fn f16(self, bits: u16) -> f32 {
            super::finite_f16(bits)
        }
        #[inline(always)]
        fn dot_nib(self, qs: &[u8; 16], x: &[i16; 32]) -> v128 {
            let v = load(qs, 0);
            let m = u8x16_splat(0x0F);
            let lo = v128_and(v, m);
            let hi = v128_and(u16x8_shr(v, 4), m);
            i32x4_add(dot16(lo, x, 0, false), dot16(hi, x, 16, false))
        }
        #[inline(always)]
        fn dot_nib_pair(self, p: &[u8; 32], xa: &[i16; 32], xb: &[i16; 32]) -> (v128, v128) {
            let m = u8x16_splat(0x0F);
            let (v0, v1) = (load(p, 0), load(p, 16));
            let a = i32x4_add(
                dot16(v128_and(v0, m), xa, 0, false),
                dot16(v128_and(v1, m), xa, 16, false),
            );
            let b = i32x4_add(
                dot16(v128_and(u16x8_shr(v0, 4), m), xb, 0, false),
                dot16(v128_and(u16x8_shr(v1, 4), m), xb, 16, false),
            );
            (a, b)
        }
        #[inline(always)]
        fn dot_q6(
            self,
            ql: &[u8; 32],
            high_nibble: bool,
            qh: &[u8; 32],
            shift: u32,
            x: &[i16; 32],
        ) -> (v128, v128) {
            let m4 = u8x16_splat(0x0F);
            let m2 = u8x16_splat(0x03);
            let nib = if high_nibble { 4 } else { 0 };
            let q = |at: usize| {
                let l = v128_and(u16x8_shr(load(ql, at), nib), m4);
                let h = u16x8_shl(v128_and(u16x8_shr(load(qh, at), shift), m2), 4);
                v128_or(l, h)
            };
            (dot16(q(0), x, 0, false), dot16(q(16), x, 16, false))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn finite_f16_is_exact_for_every_finite_half() {
        for h in 0..=u16::MAX {
            let want = half::f16::from_bits(h);
            if want.is_finite() {
                assert_eq!(
                    super::finite_f16(h).to_bits(),
                    want.to_f32().to_bits(),
                    "{h:#x}"
                );
            }
        }
    }
}
