"""Decode and prefill speed of arena-llm's CPU path beside llama.cpp, one thread each, same files.

    python3 crates/arena-llm/benches/compare_llamacpp.py [--runs 5] [--tokens 64]

Needs `llama-cpp-python` (builds llama.cpp from source: CMAKE_ARGS="-DGGML_NATIVE=ON" pip
install llama-cpp-python, about 15 minutes); a benchmark peer, never a test dependency. Both
engines get the same 64-token prompt of ids, then decode one token at a time; runs alternate
between the engines so machine load hits both alike. Prints medians.
"""
import argparse, re, statistics, subprocess, time
from pathlib import Path

from llama_cpp import Llama

ROOT = Path(__file__).resolve().parents[3]
MODELS = ["SmolLM2-135M-Instruct.Q4_1.gguf", "gemma-3-270m-q4_k_m.gguf"]

p = argparse.ArgumentParser()
p.add_argument("--runs", type=int, default=5)
p.add_argument("--tokens", type=int, default=64)
p.add_argument("--prompt-tokens", type=int, default=64)
a = p.parse_args()

subprocess.run(["cargo", "bench", "-q", "-p", "arena-llm", "--bench", "decode", "--no-run"], cwd=ROOT, check=True)
bench = sorted((ROOT / "target/release/deps").glob("decode-*"), key=lambda f: f.stat().st_mtime)
bench = [b for b in bench if b.suffix == ""][-1]

prompt = [100 + i * 7 % 1000 for i in range(a.prompt_tokens)]

def ours(model):
    r = subprocess.run([str(bench), str(model), "--runs", "1", "--tokens", str(a.tokens),
                        "--prompt-tokens", str(a.prompt_tokens)], capture_output=True, text=True, check=True)
    pre = float(re.search(r"prefill ([\d.]+) tok/s", r.stdout).group(1))
    dec = float(re.search(r"decode ([\d.]+) tok/s", r.stdout).group(1))
    return pre, dec

def theirs(llm):
    llm.reset()
    t = time.perf_counter()
    llm.eval(prompt)
    pre = len(prompt) / (time.perf_counter() - t)
    t = time.perf_counter()
    for i in range(a.tokens):
        llm.eval([200 + i])
    return pre, a.tokens / (time.perf_counter() - t)

for name in MODELS:
    path = ROOT / "public/models" / name
    llm = Llama(model_path=str(path), n_threads=1, n_threads_batch=1, n_ctx=512, n_batch=512, verbose=False)
    o, l = [], []
    for _ in range(a.runs):
        o.append(ours(path))
        l.append(theirs(llm))
    med = lambda xs, k: statistics.median(x[k] for x in xs)
    print(f"{name} (one thread, median of {a.runs}; prompt {a.prompt_tokens} tokens, {a.tokens} decoded)")
    print(f"  arena-llm : prefill {med(o, 0):6.1f} tok/s · decode {med(o, 1):6.1f} tok/s")
    print(f"  llama.cpp : prefill {med(l, 0):6.1f} tok/s · decode {med(l, 1):6.1f} tok/s")
    print(f"  ratio     : prefill {med(o, 0) / med(l, 0):.2f}× · decode {med(o, 1) / med(l, 1):.2f}×")
