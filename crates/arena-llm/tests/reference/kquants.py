"""Numpy quantisers for ggml's Q4_K and Q6_K blocks (gguf-py 0.19 dequantises them but cannot
quantise them). Block layouts follow ggml-common.h; the scale choice is a plain min/max one
(not llama.cpp's iterative search), which is fine for test fixtures: the reference model uses
gguf.quants.dequantize of exactly the bytes written, and check() proves the layout by a
round trip through gguf-py's own dequantiser.

block_q4_K (144 bytes per 256 values):
    f16 d; f16 dmin; u8 scales[12]; u8 qs[128]
    8 sub-blocks of 32; value = d * sc[j] * q - dmin * m[j], sc/m 6-bit, q 4-bit.
    scales: bytes 0..3 low 6 bits = sc[0..3], bytes 4..7 low 6 bits = m[0..3],
            bytes 8..11 = sc[4..7] low 4 bits | m[4..7] low 4 bits << 4,
            sc[4..7] high 2 bits in bytes 0..3 bits 6..7, m[4..7] high 2 bits in bytes 4..7 bits 6..7.
    qs: for each 64-value group g (0..3), qs[32g + l] = q[64g + l] | q[64g + 32 + l] << 4.

block_q6_K (210 bytes per 256 values):
    u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d
    16 sub-blocks of 16; value = d * scales[j] * (q - 32), q 6-bit.
    per 128-value half h: ql[64h + l]      = q[128h + l]      & 15 | (q[128h + 64 + l] & 15) << 4
                          ql[64h + 32 + l] = q[128h + 32 + l] & 15 | (q[128h + 96 + l] & 15) << 4
                          qh[32h + l] = q[128h+l]>>4 | (q[128h+32+l]>>4)<<2 | (q[128h+64+l]>>4)<<4
                                        | (q[128h+96+l]>>4)<<6          (l in 0..31)
"""
import numpy as np
from gguf import GGMLQuantizationType as T
import gguf.quants

QK_K = 256


def _f16(x):
    return x.astype(np.float16)


def quantize_q4_k(x: np.ndarray) -> np.ndarray:
    rows, n = x.shape
    assert n % QK_K == 0
    b = x.astype(np.float32).reshape(-1, 8, 32)  # blocks, sub-blocks, values
    nb = b.shape[0]
    mn = np.minimum(b.min(axis=2), 0.0)  # value = scale*q + mn, q in 0..15
    mx = b.max(axis=2)
    scale = (mx - mn) / 15.0
    minv = -mn  # >= 0, stored as dmin * m
    d = _f16(scale.max(axis=1) / 63.0)
    dmin = _f16(minv.max(axis=1) / 63.0)
    df = d.astype(np.float32)[:, None]
    dmf = dmin.astype(np.float32)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        sc = np.where(df > 0, np.rint(scale / df), 0).clip(0, 63).astype(np.uint8)
        m = np.where(dmf > 0, np.rint(minv / dmf), 0).clip(0, 63).astype(np.uint8)
        eff_scale = (df * sc)[:, :, None]
        eff_min = (dmf * m)[:, :, None]
        q = np.where(eff_scale > 0, np.rint((b + eff_min) / eff_scale), 0).clip(0, 15).astype(np.uint8)
    scales = np.zeros((nb, 12), dtype=np.uint8)
    scales[:, 0:4] = (sc[:, 0:4] & 63) | ((sc[:, 4:8] >> 4) << 6)
    scales[:, 4:8] = (m[:, 0:4] & 63) | ((m[:, 4:8] >> 4) << 6)
    scales[:, 8:12] = (sc[:, 4:8] & 15) | ((m[:, 4:8] & 15) << 4)
    q = q.reshape(nb, 4, 2, 32)  # group of 64 = two sub-blocks of 32
    qs = (q[:, :, 0, :] | (q[:, :, 1, :] << 4)).reshape(nb, 128)
    out = np.concatenate([d.reshape(nb, 1).view(np.uint8), dmin.reshape(nb, 1).view(np.uint8), scales, qs], axis=1)
    assert out.shape[1] == 144
    return out.reshape(rows, n // QK_K * 144)


def quantize_q6_k(x: np.ndarray) -> np.ndarray:
    rows, n = x.shape
    assert n % QK_K == 0
    b = x.astype(np.float32).reshape(-1, 16, 16)
    nb = b.shape[0]
    amax_idx = np.abs(b).argmax(axis=2)
    vmax = np.take_along_axis(b, amax_idx[:, :, None], axis=2)[:, :, 0]
    scale = -vmax / 32.0  # like ggml: the value of largest magnitude maps to -32
    smax_idx = np.abs(scale).argmax(axis=1)
    smax = np.take_along_axis(scale, smax_idx[:, None], axis=1)[:, 0]
    d = _f16(-smax / 128.0)
    df = d.astype(np.float32)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        sc = np.where(df != 0, np.rint(scale / df), 0).clip(-128, 127).astype(np.int8)
        eff = (df * sc.astype(np.float32))[:, :, None]
        q = np.where(eff != 0, np.rint(b / eff), 0).clip(-32, 31).astype(np.int16) + 32
    q = q.astype(np.uint8).reshape(nb, 2, 4, 32)  # halves, quarter (32 values), l
    ql = np.empty((nb, 2, 64), dtype=np.uint8)
    ql[:, :, 0:32] = (q[:, :, 0] & 15) | ((q[:, :, 2] & 15) << 4)
    ql[:, :, 32:64] = (q[:, :, 1] & 15) | ((q[:, :, 3] & 15) << 4)
    qh = (q[:, :, 0] >> 4) | ((q[:, :, 1] >> 4) << 2) | ((q[:, :, 2] >> 4) << 4) | ((q[:, :, 3] >> 4) << 6)
    out = np.concatenate([ql.reshape(nb, 128), qh.reshape(nb, 64), sc.view(np.uint8), d.reshape(nb, 1).view(np.uint8)], axis=1)
    assert out.shape[1] == 210
    return out.reshape(rows, n // QK_K * 210)


QUANTISERS = {T.Q4_K: quantize_q4_k, T.Q6_K: quantize_q6_k}


def quantize(x: np.ndarray, qtype: T) -> np.ndarray:
    if qtype in QUANTISERS:
        return QUANTISERS[qtype](x)
    return gguf.quants.quantize(x, qtype)


def check(seed: int = 0) -> None:
    """Round trip through gguf-py's dequantiser: the error must be within the quantisation step."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((8, 512)) * rng.uniform(0.01, 3.0, (8, 1))).astype(np.float32)
    x[0, :256] = 0.0  # an all-zero block
    x[1] = np.abs(x[1])  # all positive (min > 0)
    for qtype, bits in ((T.Q4_K, 4), (T.Q6_K, 6)):
        y = gguf.quants.dequantize(QUANTISERS[qtype](x), qtype)
        assert y.shape == x.shape
        err = np.abs(y - x).max(axis=1)
        rng_row = x.max(axis=1) - np.minimum(x.min(axis=1), 0)
        rel = err / np.maximum(rng_row, 1e-30)
        limit = 1.5 / (2 ** bits - 1) + 0.02  # half a step plus the 6/8-bit scale rounding
        assert np.all(rel < limit), (qtype.name, rel, limit)
        assert np.all(y[0, :256] == 0.0)


if __name__ == "__main__":
    check()
    print("kquants ok")
