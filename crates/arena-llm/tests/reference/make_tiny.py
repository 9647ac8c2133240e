"""Tiny random llama / qwen2 / gemma3 models written as GGUF with llama.cpp's conventions, and
their logits from PyTorch `transformers` (float32, eager attention).

    HF_HUB_OFFLINE=1 python make_tiny.py [--out DIR] [--all]

Writes tiny-{arch}-{type}.gguf and tiny-{arch}-{type}.json into DIR (default ../fixtures).
Without --all only the committed variants are written (see COMMITTED).

The reference for every variant is built from the GGUF bytes just written: each tensor is read
back with gguf.GGUFReader, dequantised with gguf.quants.dequantize, the llama.cpp conversions are
undone (llama Q/K un-permuted, gemma norms minus 1) and the result is loaded into the
`transformers` model. Independently, the file is also loaded by transformers' own GGUF loader
(`from_pretrained(gguf_file=...)`) and its logits must agree, which checks the tensor names,
permutation, norm offset and metadata against transformers' reading of llama.cpp's format.
"""
import argparse
import importlib.metadata
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import torch
import gguf
from gguf import GGMLQuantizationType as T, LlamaFileType as FT
import transformers
from transformers import (AutoConfig, AutoModelForCausalLM, Gemma3ForCausalLM, Gemma3TextConfig, LlamaConfig,
                          LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kquants  # noqa: E402

HERE = Path(__file__).resolve().parent
VOCAB = 258  # 256 byte tokens (GPT-2 byte-to-unicode spelling) + <bos> + <eos>
BOS, EOS = 256, 257
# "<bos>Hello, w": 10 prompt tokens; the window (4) of gemma3's sliding layers matters within it
TOKENS = [BOS] + list(b"Hello, w")
TOKENS = TOKENS + [ord("o")]  # 10 tokens
N_GREEDY = 8

# per architecture: the base config (F32, 8-bit and 4/5-bit block quants need rows % 32 == 0)
# and, for K-quants, a config whose quantised rows are multiples of 256.
BASE = {
    "llama": dict(hidden=64, inter=64, layers=2, heads=4, kv=2, head_dim=16),
    "qwen2": dict(hidden=64, inter=64, layers=2, heads=4, kv=2, head_dim=16),
    # 6 layers so that layer 5 is global under gemma3's fixed rule (layer i global iff (i+1) % 6 == 0)
    "gemma3": dict(hidden=32, inter=32, layers=6, heads=4, kv=2, head_dim=16),
}
KQUANT = {
    "llama": dict(hidden=256, inter=32, layers=2, heads=2, kv=1, head_dim=16),
    "qwen2": dict(hidden=256, inter=32, layers=2, heads=2, kv=1, head_dim=16),
    # 2 layers (both sliding) to keep the file small; the base gemma3 config covers the global layer
    "gemma3": dict(hidden=256, inter=32, layers=2, heads=2, kv=1, head_dim=16),
}
TYPES = ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q4_K", "Q6_K"]
COMMITTED = {
    "llama": ["F32", "Q4_1", "Q8_0", "F16"],
    "qwen2": ["F32", "Q4_0", "Q5_0", "BF16"],
    "gemma3": ["F32", "Q4_K", "Q6_K", "Q8_0"],
}
FILE_TYPE = {"F32": FT.ALL_F32, "F16": FT.MOSTLY_F16, "BF16": FT.MOSTLY_BF16, "Q8_0": FT.MOSTLY_Q8_0,
             "Q4_0": FT.MOSTLY_Q4_0, "Q4_1": FT.MOSTLY_Q4_1, "Q5_0": FT.MOSTLY_Q5_0,
             "Q4_K": FT.MOSTLY_Q4_K_M, "Q6_K": FT.MOSTLY_Q6_K}
# llama.cpp's fallback when a row length is not a multiple of 256 (llama-quant.cpp)
K_FALLBACK = {"Q4_K": "Q5_0", "Q6_K": "Q8_0"}
SEED = {"llama": 1, "qwen2": 2, "gemma3": 3}
WINDOW = 4
LOGIT_SCALE = 4.0


def hf_config(arch, d):
    common = dict(vocab_size=VOCAB, hidden_size=d["hidden"], intermediate_size=d["inter"],
                  num_hidden_layers=d["layers"], num_attention_heads=d["heads"],
                  num_key_value_heads=d["kv"], head_dim=d["head_dim"], rms_norm_eps=1e-6,
                  max_position_embeddings=128, bos_token_id=BOS, eos_token_id=EOS, pad_token_id=EOS)
    if arch == "llama":
        return LlamaConfig(**common, rope_theta=10000.0, tie_word_embeddings=True, attention_bias=False,
                           mlp_bias=False, hidden_act="silu")
    if arch == "qwen2":
        return Qwen2Config(**common, rope_theta=10000.0, tie_word_embeddings=False, hidden_act="silu",
                           use_sliding_window=False)
    if arch == "gemma3":
        layer_types = ["full_attention" if (i + 1) % 6 == 0 else "sliding_attention" for i in range(d["layers"])]
        return Gemma3TextConfig(**common, rope_theta=1_000_000.0, rope_local_base_freq=10000.0,
                                sliding_window=WINDOW, layer_types=layer_types,
                                query_pre_attn_scalar=d["head_dim"], tie_word_embeddings=True,
                                hidden_activation="gelu_pytorch_tanh", final_logit_softcapping=None,
                                attn_logit_softcapping=None)
    raise ValueError(arch)


def build_model(arch, d, seed):
    cfg = hf_config(arch, d)
    cls = {"llama": LlamaForCausalLM, "qwen2": Qwen2ForCausalLM, "gemma3": Gemma3ForCausalLM}[arch]
    torch.manual_seed(seed)
    model = cls._from_config(cfg, attn_implementation="eager", dtype=torch.float32).eval()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if arch == "gemma3" and name == "model.norm.weight":
                # Gemma's residual starts as embedding * sqrt(hidden); with a small embedding and a
                # large final norm the logits are not dominated by the input token's own row
                stored = (3.5 + 0.25 * torch.randn(p.shape, generator=g)).clamp(2.5, 4.0)
                p.copy_(stored - 1.0)
            elif arch == "gemma3" and ("post_attention" in name or "post_feedforward" in name):
                # large post-norms, as in real Gemma checkpoints, so the blocks move the residual
                stored = (3.0 + 0.25 * torch.randn(p.shape, generator=g)).clamp(2.0, 4.0)
                p.copy_(stored - 1.0)
            elif name.endswith("norm.weight"):
                if arch == "gemma3":
                    # Gemma computes x * (1 + w); GGUF stores 1 + w. Draw the stored value in
                    # [0.5, 4] so that both 1 + w and stored - 1 are exact in float32.
                    stored = (1.0 + 0.15 * torch.randn(p.shape, generator=g)).clamp(0.5, 1.9)
                    p.copy_(stored - 1.0)
                else:
                    p.copy_((1.0 + 0.15 * torch.randn(p.shape, generator=g)).clamp(0.5, 1.9))
            elif name.endswith("bias"):
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
            elif "embed_tokens" in name or "lm_head" in name:  # logits with std about 4
                scale = 1.0 if arch == "gemma3" else LOGIT_SCALE
                p.copy_(scale / d["hidden"] ** 0.5 * torch.randn(p.shape, generator=g))
            else:  # [out, in] linear weights
                p.copy_(1.5 / p.shape[1] ** 0.5 * torch.randn(p.shape, generator=g))
    if cfg.tie_word_embeddings:
        assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    return model


# --- llama.cpp conventions ---------------------------------------------------------------------

def permute(w, n_head, n_head_kv):
    """convert_hf_to_gguf.py LlamaModel.permute: RoPE pairs (i, i + d/2) become (2i, 2i + 1)."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def unpermute(w, n_head, n_head_kv):
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def gguf_name(arch, hf):
    if hf == "model.embed_tokens.weight":
        return "token_embd.weight"
    if hf == "model.norm.weight":
        return "output_norm.weight"
    if hf == "lm_head.weight":
        return "output.weight"
    parts = hf.split(".")
    assert parts[0] == "model" and parts[1] == "layers", hf
    n, rest = parts[2], ".".join(parts[3:])
    table = {
        "input_layernorm": "attn_norm",
        "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
        "self_attn.o_proj": "attn_output",
        "self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm",
        "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down",
    }
    if arch == "gemma3":
        table.update({"post_attention_layernorm": "post_attention_norm",
                      "pre_feedforward_layernorm": "ffn_norm",
                      "post_feedforward_layernorm": "post_ffw_norm"})
    else:
        table["post_attention_layernorm"] = "ffn_norm"
    mod, suffix = rest.rsplit(".", 1)
    return f"blk.{n}.{table[mod]}.{suffix}"


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def tensor_type(name, qtype, row_len):
    """Type stored for one tensor: norms and biases F32, 2-D weights qtype (with llama.cpp's K fallback)."""
    if name.endswith(".bias") or "norm" in name:
        return "F32"
    if qtype in ("Q4_K", "Q6_K") and row_len % 256 != 0:
        return K_FALLBACK[qtype]
    return qtype


class Writer(gguf.GGUFWriter):
    """gguf-py refuses empty arrays; GGUF itself allows them (element type, count 0), and
    llama.cpp requires tokenizer.ggml.merges to exist for a "gpt2" tokenizer."""

    def _pack_val(self, val, vtype, add_vtype, sub_type=None):
        if vtype == gguf.GGUFValueType.ARRAY and len(val) == 0 and sub_type is not None:
            head = self._pack("I", vtype) if add_vtype else b""
            return head + self._pack("I", sub_type) + self._pack("Q", 0)
        return super()._pack_val(val, vtype, add_vtype, sub_type)


def write_gguf(path, arch, d, model, qtype):
    cfg = model.config
    w = Writer(str(path), arch)
    w.add_name(f"tiny-{arch}-{qtype}")
    w.add_context_length(cfg.max_position_embeddings)
    w.add_embedding_length(d["hidden"])
    w.add_block_count(d["layers"])
    w.add_feed_forward_length(d["inter"])
    w.add_head_count(d["heads"])
    w.add_head_count_kv(d["kv"])
    w.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    if arch == "gemma3":
        w.add_rope_freq_base(1_000_000.0)  # global layers; llama.cpp hard-codes 10000 for local ones
        w.add_sliding_window(WINDOW)
    else:
        w.add_rope_freq_base(10000.0)
    w.add_key_length(d["head_dim"])
    w.add_value_length(d["head_dim"])
    if arch == "llama":
        w.add_rope_dimension_count(d["head_dim"])
        w.add_vocab_size(VOCAB)
    w.add_file_type(FILE_TYPE[qtype])
    if qtype not in ("F32", "F16", "BF16"):
        w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    # minimal byte-level tokenizer
    b2u = bytes_to_unicode()
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("default")
    w.add_token_list([b2u[i] for i in range(256)] + ["<bos>", "<eos>"])
    w.add_token_types([gguf.TokenType.NORMAL] * 256 + [gguf.TokenType.CONTROL] * 2)
    w.add_key_value(gguf.Keys.Tokenizer.MERGES, [], gguf.GGUFValueType.ARRAY, sub_type=gguf.GGUFValueType.STRING)
    w.add_bos_token_id(BOS)
    w.add_eos_token_id(EOS)
    w.add_pad_token_id(EOS)
    w.add_add_bos_token(arch == "gemma3")
    w.add_add_eos_token(False)

    types = {}
    for hf, p in model.state_dict().items():
        if hf == "lm_head.weight" and cfg.tie_word_embeddings:
            continue
        if "rotary_emb" in hf or "embed_scale" in hf:
            continue
        name = gguf_name(arch, hf)
        a = p.detach().cpu().numpy().astype(np.float32)
        if arch == "llama" and name.endswith("attn_q.weight"):
            a = permute(a, d["heads"], d["heads"])
        if arch == "llama" and name.endswith("attn_k.weight"):
            a = permute(a, d["heads"], d["kv"])
        if arch == "gemma3" and name.endswith("norm.weight"):
            a = a + np.float32(1.0)
        t = tensor_type(name, qtype, a.shape[-1])
        types[name] = t
        if t == "F32":
            w.add_tensor(name, a)
        elif t == "F16":
            w.add_tensor(name, a.astype(np.float16))
        else:
            q = kquants.quantize(a, T[t])
            w.add_tensor(name, q, raw_dtype=T[t])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return types


def load_reference(path, arch, d, model):
    """Overwrite the model's weights with the dequantised GGUF tensors (conventions undone)."""
    r = gguf.GGUFReader(str(path))
    tensors = {}
    for t in r.tensors:
        shape = [int(x) for x in reversed(t.shape)]  # GGUF ne order -> numpy [out, in]
        a = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32).reshape(shape)
        if arch == "llama" and t.name.endswith("attn_q.weight"):
            a = unpermute(a, d["heads"], d["heads"])
        if arch == "llama" and t.name.endswith("attn_k.weight"):
            a = unpermute(a, d["heads"], d["kv"])
        if arch == "gemma3" and t.name.endswith("norm.weight"):
            a = a - np.float32(1.0)
        tensors[t.name] = a
    sd = model.state_dict()
    new = {}
    for hf in sd:
        if "rotary_emb" in hf or "embed_scale" in hf:
            continue
        if hf == "lm_head.weight" and model.config.tie_word_embeddings:
            continue
        a = tensors.pop(gguf_name(arch, hf))
        assert tuple(a.shape) == tuple(sd[hf].shape), (hf, a.shape, sd[hf].shape)
        new[hf] = torch.from_numpy(a.copy())
    assert not tensors, tensors.keys()
    model.load_state_dict(new, strict=False)
    if model.config.tie_word_embeddings:
        assert torch.equal(model.lm_head.weight, new["model.embed_tokens.weight"])
    return model


@torch.no_grad()
def logits_of(model, ids):
    return model(torch.tensor([ids])).logits[0].double().numpy()


@torch.no_grad()
def greedy(model, ids, n):
    """Greedy continuation by full recomputation (no KV cache), with the smallest top-1 margin."""
    ids = list(ids)
    out, margin = [], float("inf")
    for _ in range(n):
        last = logits_of(model, ids)[-1]
        top2 = np.sort(last)[-2:]
        margin = min(margin, float(top2[1] - top2[0]))
        nxt = int(np.argmax(last))
        out.append(nxt)
        ids.append(nxt)
    return out, margin


def g7(x):
    return float(f"{x:.7g}")


def make_variant(arch, qtype, outdir):
    d = (KQUANT if qtype in ("Q4_K", "Q6_K") else BASE)[arch]
    model = build_model(arch, d, SEED[arch])
    stem = f"tiny-{arch}-{qtype}"
    path = outdir / f"{stem}.gguf"
    types = write_gguf(path, arch, d, model, qtype)
    ref = load_reference(path, arch, d, build_model(arch, d, SEED[arch]))
    logits = logits_of(ref, TOKENS)
    cont, margin = greedy(ref, TOKENS, N_GREEDY)

    # independent check: transformers' own GGUF loader on the same file
    # transformers reads head_dim from key_length for llama and gemma3 but not for qwen2; gemma3's
    # query_pre_attn_scalar is not in the GGUF (llama.cpp scales by 1/sqrt(key_length))
    hf_cfg = AutoConfig.from_pretrained(str(outdir), gguf_file=path.name)
    hf_cfg.head_dim = d["head_dim"]
    if arch == "gemma3":
        hf_cfg.query_pre_attn_scalar = d["head_dim"]
    hf = AutoModelForCausalLM.from_pretrained(str(outdir), gguf_file=path.name, config=hf_cfg, dtype=torch.float32,
                                              attn_implementation="eager").eval()
    if arch == "gemma3":
        assert hf.config.layer_types == ref.config.layer_types, hf.config.layer_types
        assert hf.config.sliding_window == WINDOW
    hf_logits = logits_of(hf, TOKENS)
    hf_diff = float(np.abs(hf_logits - logits).max())
    assert hf_diff < 1e-4, (stem, hf_diff)

    if arch == "gemma3":
        # the window must matter: without it the logits change from position WINDOW on, not before
        ref.config.sliding_window = 10_000
        wide = logits_of(ref, TOKENS)
        ref.config.sliding_window = WINDOW
        assert np.abs(wide[:WINDOW] - logits[:WINDOW]).max() < 1e-5
        assert np.abs(wide[WINDOW:] - logits[WINDOW:]).min(axis=1).max() > 0 and \
            np.abs(wide[WINDOW:] - logits[WINDOW:]).max() > 0.1, "sliding window has no effect"
        assert np.abs(logits_of(ref, TOKENS) - logits).max() == 0

    # quantisation error against the unquantised model, for information
    q_diff = float(np.abs(logits_of(model, TOKENS) - logits).max())
    doc = {
        "gguf": path.name, "arch": arch, "type": qtype,
        "config": {**d, "vocab": VOCAB, "rms_eps": 1e-6,
                   **({"sliding_window": WINDOW, "rope_base_global": 1e6, "rope_base_local": 1e4,
                       "layer_types": ref.config.layer_types} if arch == "gemma3" else {"rope_base": 1e4}),
                   "tied": bool(ref.config.tie_word_embeddings)},
        "tensor_types": sorted(set(types.values())),
        "tokens": TOKENS,
        "logits": [[g7(v) for v in row] for row in logits],
        "greedy": cont,
        "greedy_min_margin": g7(margin),
        "logit_std": g7(float(logits.std())),
        "max_abs_diff_vs_transformers_gguf_loader": g7(hf_diff),
        "max_abs_diff_vs_unquantised": g7(q_diff),
    }
    (outdir / f"{stem}.json").write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"{stem}: {path.stat().st_size} B gguf, types {doc['tensor_types']}, logit std {doc['logit_std']}, "
          f"greedy {cont} (min margin {margin:.3g}), vs transformers-gguf {hf_diff:.2e}, vs f32 {q_diff:.3g}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(HERE.parent / "fixtures"))
    ap.add_argument("--all", action="store_true", help="every arch x type, not only the committed ones")
    ap.add_argument("--only", nargs="*", help="e.g. llama:F32 gemma3:Q4_K")
    args = ap.parse_args()
    outdir = Path(args.out)
    outdir.mkdir(parents=True, exist_ok=True)
    kquants.check()
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, gguf {importlib.metadata.version('gguf')}")
    if args.only:
        jobs = [tuple(s.split(":")) for s in args.only]
    elif args.all:
        jobs = [(a, t) for a in BASE for t in TYPES]
    else:
        jobs = [(a, t) for a in BASE for t in COMMITTED[a]]
    for arch, qtype in jobs:
        make_variant(arch, qtype, outdir)


if __name__ == "__main__":
    main()
