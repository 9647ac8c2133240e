"""References for the two real GGUF models (fetched by scripts/fetch-models.sh into public/models/),
from PyPI `transformers` loading the GGUF files themselves (dequantised by gguf-py, float32).

    HF_HUB_OFFLINE=1 python make_real.py [--models DIR] [--out DIR] [--only smollm2|gemma3 ...]

Writes into DIR (default ../fixtures):
    real-{name}-logits.json     chat-templated prompt: tokens, top-20 logits at the last position,
                                32 greedy tokens (full recomputation each step, no KV cache); and
                                the same for a plain-text prompt ("plain", 16 greedy tokens)
    tokenizer-{name}.json       ~40 strings: ids without / with special tokens, decode(ids)
    tokenizer-{name}-hf.json    the tokenizer.json transformers built from the GGUF, with the big
                                vocab / merges (and gemma's <unusedN> run) replaced by counts + hashes
    chat-{name}.json            the GGUF's chat template and three rendered conversations
    gguf-meta-{name}.json       scalar GGUF metadata, token-type counts, special tokens
    dequant-real.json           first 512 values, sum and sum of squares of one tensor per quant type
"""
import argparse
import hashlib
import json
import os
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import torch
import gguf
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
MODELS = {
    "smollm2": "SmolLM2-135M-Instruct.Q4_1.gguf",
    "gemma3": "gemma-3-270m-q4_k_m.gguf",
}
PROMPT = "What is the capital of France?"
N_GREEDY = 32
PLAIN = "The capital of France is"
N_PLAIN = 16

# The Gemma 3 270M GGUF carries no tokenizer.chat_template. This is the template of Google's Gemma 3
# instruction-tuned checkpoints (tokenizer_config.json of google/gemma-3-*-it), used here as the
# fallback an engine needs for gemma3 files without one.
GEMMA3_TEMPLATE = (
    "{{ bos_token }}\n"
    "{%- if messages[0]['role'] == 'system' -%}\n"
    "    {%- if messages[0]['content'] is string -%}\n"
    "        {%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}\n"
    "    {%- else -%}\n"
    "        {%- set first_user_prefix = messages[0]['content'][0]['text'] + '\n\n' -%}\n"
    "    {%- endif -%}\n"
    "    {%- set loop_messages = messages[1:] -%}\n"
    "{%- else -%}\n"
    "    {%- set first_user_prefix = \"\" -%}\n"
    "    {%- set loop_messages = messages -%}\n"
    "{%- endif -%}\n"
    "{%- for message in loop_messages -%}\n"
    "    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}\n"
    "        {{ raise_exception(\"Conversation roles must alternate user/assistant/user/assistant/...\") }}\n"
    "    {%- endif -%}\n"
    "    {%- if (message['role'] == 'assistant') -%}\n"
    "        {%- set role = \"model\" -%}\n"
    "    {%- else -%}\n"
    "        {%- set role = message['role'] -%}\n"
    "    {%- endif -%}\n"
    "    {{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else \"\") }}\n"
    "    {%- if message['content'] is string -%}\n"
    "        {{ message['content'] | trim }}\n"
    "    {%- elif message['content'] is iterable -%}\n"
    "        {%- for item in message['content'] -%}\n"
    "            {%- if item['type'] == 'image' -%}\n"
    "                {{ '<start_of_image>' }}\n"
    "            {%- elif item['type'] == 'text' -%}\n"
    "                {{ item['text'] | trim }}\n"
    "            {%- endif -%}\n"
    "        {%- endfor -%}\n"
    "    {%- else -%}\n"
    "        {{ raise_exception(\"Invalid content type\") }}\n"
    "    {%- endif -%}\n"
    "    {{ '<end_of_turn>\n' }}\n"
    "{%- endfor -%}\n"
    "{%- if add_generation_prompt -%}\n"
    "    {{'<start_of_turn>model\n'}}\n"
    "{%- endif -%}\n"
)

CONVERSATIONS = [
    [{"role": "user", "content": PROMPT}],
    [{"role": "system", "content": "You are a terse assistant."},
     {"role": "user", "content": "Name a prime number."},
     {"role": "assistant", "content": "7"},
     {"role": "user", "content": "  Another one, please.  "}],
    [{"role": "user", "content": "Hi!"},
     {"role": "assistant", "content": "Hello! How can I help?"},
     {"role": "user", "content": "Tell me a joke.\nMake it short."}],
]

STRINGS = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    " leading space",
    "trailing space ",
    "multiple   spaces    between     words",
    "   ",
    "tab\tseparated\tvalues\t\tdouble",
    "line1\nline2\n\nline4\n\n\n\nend\n",
    "\n\n\n",
    "mixed \t \n whitespace\r\nwindows line",
    "def f(x):\n    if x > 0:\n        return x * 2\n    return -x\n",
    "fn main() {\n\tprintln!(\"{}\", 42);\n}\n",
    "1234567890",
    "3.14159265358979 and 1,000,000 and 2024-01-15 and 007",
    "x1y22z333 v2.0.1",
    "I've it's we're they'll she'd I'm don't",
    "CAPS'S IT'S 'quoted' \"double\"",
    "café naïve résumé Ångström",
    "e\u0301 a\u0308 n\u0303 (combining marks)",
    "Z\u0351\u036b\u0343a\u0314l\u0342g\u0310o",
    "中文分词测试，你好世界。",
    "日本語のテキスト、カタカナ",
    "한국어 텍스트",
    "مرحبا بالعالم",
    "Привет, мир!",
    "नमस्ते दुनिया",
    "emoji 😀 🎉 👍🏽",
    "👨‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 👩🏾‍💻 coder",
    "€100 £50 ¥1000 ₹ ∑∫√∞≠≤≥",
    "https://example.com/path?query=1&b=2#frag",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "bell\x07 del\x7f nul\x00 end",
    "",
]
SPECIAL_STRINGS = {
    "smollm2": ["<|im_start|>user\nhi<|im_end|>", "<|endoftext|>text<|im_start|>", "<start_of_turn>user\nhi<end_of_turn>"],
    "gemma3": ["<start_of_turn>user\nhi<end_of_turn>", "<bos>text<eos>", "<|im_start|>user\nhi<|im_end|>"],
}

# one tensor per quant type
DEQUANT = [
    ("smollm2", "blk.0.attn_k.weight"),      # Q4_1
    ("smollm2", "token_embd.weight"),        # Q8_0 (tied output)
    ("gemma3", "blk.0.attn_output.weight"),  # Q4_K
    ("gemma3", "blk.0.attn_k.weight"),       # Q5_0
    ("gemma3", "blk.0.ffn_down.weight"),     # Q6_K
    ("gemma3", "blk.0.attn_v.weight"),       # Q8_0
    ("gemma3", "blk.0.attn_q_norm.weight"),  # F32 (stored with Gemma's +1)
]


def g7(x):
    return float(f"{x:.7g}")


def dump(path, doc, compact=False):
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":") if compact else None,
                      indent=None if compact else 1)
    path.write_text(text + "\n", encoding="utf-8")
    print(f"  {path.name}: {path.stat().st_size} B")


def sha(obj):
    return hashlib.sha256(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def field_value(f):
    try:
        return f.contents()
    except Exception:  # noqa: BLE001
        return None


def gguf_meta(path):
    r = gguf.GGUFReader(str(path))
    scalars = {}
    for k, f in r.fields.items():
        if k.startswith("GGUF."):
            continue
        if k in ("tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type", "tokenizer.ggml.merges"):
            scalars[k] = {"array_len": len(f.data)}
            continue
        if k == "tokenizer.chat_template":
            scalars[k] = {"string_len": len(field_value(f))}
            continue
        scalars[k] = field_value(f)
    tokens = r.fields["tokenizer.ggml.tokens"].contents()
    types = r.fields["tokenizer.ggml.token_type"].contents()
    by_type = Counter(types)
    names = {1: "NORMAL", 2: "UNKNOWN", 3: "CONTROL", 4: "USER_DEFINED", 5: "UNUSED", 6: "BYTE"}
    non_normal = [[i, tokens[i], names.get(types[i], types[i])] for i in range(len(tokens))
                  if types[i] != 1 and not (tokens[i].startswith("<unused") or tokens[i].startswith("<0x"))]
    special_ids = {k: scalars[k] for k in scalars if k.endswith("_token_id")}
    return r, {
        "file": path.name,
        "metadata": scalars,
        "token_type_counts": {names.get(t, str(t)): n for t, n in sorted(by_type.items())},
        "special_token_texts": {k: tokens[v] for k, v in special_ids.items()},
        "eot_candidates": {t: tokens.index(t) for t in ("<|im_end|>", "<end_of_turn>", "<|endoftext|>", "<eos>")
                           if t in tokens},
        "non_normal_tokens": non_normal if len(non_normal) < 400 else non_normal[:400],
        "notes": "token types: 1 NORMAL, 2 UNKNOWN, 3 CONTROL, 4 USER_DEFINED, 5 UNUSED, 6 BYTE; non_normal_tokens "
                 "lists every non-NORMAL token except <unusedN> and <0xNN>",
        "tensor_types": dict(Counter(t.tensor_type.name for t in r.tensors)),
        "tensor_count": len(r.tensors),
    }


def compact_hf_tokenizer(tok):
    j = json.loads(tok.backend_tokenizer.to_str())
    model = j["model"]
    for key in ("vocab", "merges"):
        if key in model:
            model[key] = {"stripped": True, "count": len(model[key]), "sha256": sha(model[key]),
                          "first": list(model[key].items())[:5] if isinstance(model[key], dict) else model[key][:5]}
    added = j.get("added_tokens", [])
    keep, unused = [], []
    for a in added:
        if a["content"].startswith("<unused") and a["content"][7:-1].isdigit():
            unused.append(a)
        else:
            keep.append(a)
    if unused:
        flags = {k: v for k, v in unused[0].items() if k not in ("id", "content")}
        assert all({k: v for k, v in u.items() if k not in ("id", "content")} == flags for u in unused)
        j["added_tokens"] = keep
        j["added_tokens_unused_run"] = {"count": len(unused), "first": unused[0], "last": unused[-1],
                                        "sha256": sha(unused), **flags}
    return j


def tokenizer_cases(name, tok):
    out = []
    for text in STRINGS + SPECIAL_STRINGS[name]:
        ids = tok(text, add_special_tokens=False).input_ids
        ids_special = tok(text, add_special_tokens=True).input_ids
        decoded = tok.decode(ids)
        out.append({"text": text, "ids": ids, "ids_special": ids_special, "decoded": decoded,
                    "pieces": tok.convert_ids_to_tokens(ids)})
        if decoded != text:
            print(f"  note: decode differs for {text!r}: {decoded!r}")
    return out


@torch.no_grad()
def greedy(model, ids, n):
    ids = list(ids)
    out, margins = [], []
    for _ in range(n):
        last = model(torch.tensor([ids]), use_cache=False).logits[0, -1].double()
        top2 = torch.topk(last, 2).values
        margins.append(float(top2[0] - top2[1]))
        nxt = int(torch.argmax(last))
        out.append(nxt)
        ids.append(nxt)
    return out, margins


def config_summary(cfg):
    keys = ["model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
            "num_key_value_heads", "head_dim", "rms_norm_eps", "rope_parameters", "rope_theta", "tie_word_embeddings",
            "sliding_window", "layer_types", "query_pre_attn_scalar", "final_logit_softcapping",
            "attn_logit_softcapping", "hidden_activation", "hidden_act", "max_position_embeddings"]
    return {k: getattr(cfg, k) for k in keys if hasattr(cfg, k)}


def do_model(name, models_dir, outdir):
    fname = MODELS[name]
    path = models_dir / fname
    print(f"{name}: {path}")
    _, meta = gguf_meta(path)
    dump(outdir / f"gguf-meta-{name}.json", meta)

    tok = AutoTokenizer.from_pretrained(str(models_dir), gguf_file=fname)
    dump(outdir / f"tokenizer-{name}.json", tokenizer_cases(name, tok))
    dump(outdir / f"tokenizer-{name}-hf.json", compact_hf_tokenizer(tok))

    template = tok.chat_template
    own = template is not None
    if not own:
        assert name == "gemma3"
        tok.chat_template = GEMMA3_TEMPLATE
    chat = {"gguf_chat_template": template,
            "template_used": tok.chat_template,
            "template_source": "tokenizer.chat_template of the GGUF" if own else
            "the GGUF has no tokenizer.chat_template; the Gemma 3 instruction-tuned template (google/gemma-3-*-it) is used",
            "conversations": []}
    for conv in CONVERSATIONS:
        text = tok.apply_chat_template(conv, tokenize=False, add_generation_prompt=True)
        chat["conversations"].append({"messages": conv, "add_generation_prompt": True, "text": text,
                                      "ids": tok(text, add_special_tokens=False).input_ids})
    dump(outdir / f"chat-{name}.json", chat)

    prompt_text = chat["conversations"][0]["text"]
    tokens = chat["conversations"][0]["ids"]  # the template writes <bos> itself where the model wants one
    model = AutoModelForCausalLM.from_pretrained(str(models_dir), gguf_file=fname, dtype=torch.float32,
                                                 attn_implementation="eager").eval()
    with torch.no_grad():
        logits = model(torch.tensor([tokens]), use_cache=False).logits[0, -1].double()
    top = torch.topk(logits, 20)
    cont, margins = greedy(model, tokens, N_GREEDY)
    # a plain-text prompt too (the Gemma 3 270M file is the base model, which does not follow turns)
    plain_tokens = tok(PLAIN, add_special_tokens=True).input_ids
    with torch.no_grad():
        plain_logits = model(torch.tensor([plain_tokens]), use_cache=False).logits[0, -1].double()
    plain_top = torch.topk(plain_logits, 20)
    plain_cont, plain_margins = greedy(model, plain_tokens, N_PLAIN)
    doc = {
        "gguf": fname, "prompt": PROMPT, "prompt_text": prompt_text, "tokens": tokens,
        "top20": [[int(i), g7(float(v))] for v, i in zip(top.values, top.indices)],
        "greedy": cont, "greedy_text": tok.decode(cont),
        "greedy_margins": [g7(m) for m in margins],
        "eos_token_id": tok.eos_token_id,
        "plain": {"text": PLAIN, "tokens": plain_tokens,
                  "top20": [[int(i), g7(float(v))] for v, i in zip(plain_top.values, plain_top.indices)],
                  "greedy": plain_cont, "greedy_text": tok.decode(plain_cont),
                  "greedy_margins": [g7(m) for m in plain_margins]},
        "transformers_config": config_summary(model.config),
        "method": "transformers AutoModelForCausalLM.from_pretrained(gguf_file=...) float32, eager attention; "
                  "greedy by full recomputation (use_cache=False), not stopped at end-of-turn",
    }
    dump(outdir / f"real-{name}-logits.json", doc)
    print(f"  greedy: {tok.decode(cont)!r}, min margin {min(margins):.3g}")
    print(f"  plain: {PLAIN!r} -> {tok.decode(plain_cont)!r}, min margin {min(plain_margins):.3g}")
    del model


def do_dequant(models_dir, outdir):
    readers = {}
    out = []
    for name, tensor in DEQUANT:
        if name not in readers:
            readers[name] = gguf.GGUFReader(str(models_dir / MODELS[name]))
        t = next(t for t in readers[name].tensors if t.name == tensor)
        v = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32).reshape(-1)
        v64 = v.astype(np.float64)
        out.append({"file": MODELS[name], "tensor": tensor, "type": t.tensor_type.name,
                    "ne": [int(x) for x in t.shape], "n": int(v.size),
                    "first": [g7(float(x)) for x in v[:512]],
                    "sum": float(v64.sum()), "sumsq": float((v64 * v64).sum())})
        print(f"  {tensor} {t.tensor_type.name}: n {v.size}, sum {v64.sum():.6g}")
    dump(outdir / "dequant-real.json", out, compact=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=str(ROOT / "public" / "models"))
    ap.add_argument("--out", default=str(HERE.parent / "fixtures"))
    ap.add_argument("--only", nargs="*", choices=list(MODELS) + ["dequant"])
    args = ap.parse_args()
    models_dir, outdir = Path(args.models), Path(args.out)
    outdir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    import importlib.metadata as md
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, gguf {md.version('gguf')}, "
          f"tokenizers {md.version('tokenizers')}")
    jobs = args.only or list(MODELS) + ["dequant"]
    for job in jobs:
        if job == "dequant":
            do_dequant(models_dir, outdir)
        else:
            do_model(job, models_dir, outdir)


if __name__ == "__main__":
    main()
