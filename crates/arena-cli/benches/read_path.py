#!/usr/bin/env python3
"""End to end: `arena leaderboard` on large files, side by side with a scipy fit. Prints figures.

    pip install numpy scipy
    cargo build --release -p arena-cli
    python3 crates/arena-cli/benches/read_path.py [--battles 1000000] [--models 100] [--runs 5]
        [--fastchat 1700000]

Writes, into a temporary folder, the same seeded battles as a battle CSV
(`question_id,model_a,model_b,winner,judge,tstamp,anony`) and as JSONL of Arena's own records
(id, schema, models, verdict, judge, turn, anony, language, time), and optionally N records
shaped like FastChat's public `clean_battle` release (its metadata: `conv_metadata` with the
style counts, `dedup_tag`, `category_tag`, language, turn; no conversations, as published).

For each file it runs the release binary with 100 bootstrap rounds on one core (pinned,
`ARENA_THREADS=1`) and on every core, and reports the median wall time and the peak RSS of
the process (from `wait4`). The strong baseline is a scipy L-BFGS fit of the same
Bradley-Terry model on the *distinct cells* (pair x verdict, with counts), with 100 bootstrap
rounds that redraw the cell counts multinomially and refit from the fit: the fit alone (cells
already built) and with Python's reading of the CSV, timed once.
"""

import argparse
import csv
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

# One thread for BLAS: its spinning worker threads only slow these small problems down.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
ARENA = os.path.join(TARGET, "release", "arena")
LABELS = ["model_a", "model_b", "tie", "tie (bothbad)"]


def battles(n, m, seed):
    rnd = random.Random(seed)
    strength = [-1 + 2 * i / (m - 1) for i in range(m)]
    t = 1_700_000_000.0
    for i in range(n):
        a = rnd.randrange(m)
        b = rnd.randrange(m - 1)
        b += b >= a
        u = rnd.random()
        if u < 0.08:
            w = 2
        elif u < 0.1:
            w = 3
        else:
            p = 1 / (1 + math.exp(strength[b] - strength[a]))
            w = 0 if rnd.random() < p else 1
        t += rnd.random() * 2
        yield i, a, b, w, rnd.randrange(5000), t


def write_files(d, n, m):
    csv_path, jsonl_path = os.path.join(d, "battles.csv"), os.path.join(d, "battles.jsonl")
    with open(csv_path, "w") as c, open(jsonl_path, "w") as j:
        c.write("question_id,model_a,model_b,winner,judge,tstamp,anony\n")
        for i, a, b, w, judge, t in battles(n, m, 7):
            c.write(f"q{i:07d},model-{a:03d},model-{b:03d},{LABELS[w]},judge-{judge},{t:.3f},true\n")
            ms = int(t * 1000)
            vid = f"{ms >> 16:08x}-{ms & 0xffff:04x}-7{i & 0xfff:03x}-8{i >> 12 & 0xfff:03x}-{i:012x}"
            j.write(json.dumps({
                "id": vid, "schema": 1, "question_id": f"q{i:07d}",
                "model_a": f"model-{a:03d}", "model_b": f"model-{b:03d}", "winner": LABELS[w],
                "judge": f"judge-{judge}", "turn": 1, "anony": True, "language": "English",
                "tstamp": round(t, 3),
            }, separators=(",", ":")) + "\n")
    return csv_path, jsonl_path


def write_fastchat(d, n, m):
    """FastChat clean_battle-shaped JSONL: the published fields and metadata."""
    path = os.path.join(d, "clean_battle.jsonl")
    rnd = random.Random(3)
    langs = ["English"] * 6 + ["Chinese", "German", "Russian", "Spanish"]
    with open(path, "w") as f:
        for i, a, b, w, judge, t in battles(n, m, 11):
            k = lambda: rnd.randrange(12)
            rec = {
                "question_id": f"{i:032x}", "model_a": f"model-{a:03d}",
                "model_b": f"model-{b:03d}", "winner": LABELS[w], "judge": f"arena_user_{judge}",
                "turn": 1 + (i % 7 == 0), "anony": i % 13 != 0, "language": langs[i % 10],
                "tstamp": round(t, 3),
                "conv_metadata": {
                    "sum_user_tokens": rnd.randrange(2000),
                    "sum_assistant_a_tokens": rnd.randrange(1500),
                    "sum_assistant_b_tokens": rnd.randrange(1500),
                    "context_a_tokens": rnd.randrange(3000), "context_b_tokens": rnd.randrange(3000),
                    "turns": 1,
                    "header_count_a": {f"h{x}": k() % 3 for x in range(1, 7)},
                    "list_count_a": {"ordered": k(), "unordered": k()},
                    "bold_count_a": {"**": k(), "__": 0},
                    "header_count_b": {f"h{x}": k() % 3 for x in range(1, 7)},
                    "list_count_b": {"ordered": k(), "unordered": k()},
                    "bold_count_b": {"**": k(), "__": 0},
                },
                "is_code": i % 5 == 0, "is_refusal": False,
                "dedup_tag": {"high_freq": i % 50 == 0, "sampled": i % 50 != 0 or i % 100 == 0},
                "category_tag": {
                    "criteria_v0.1": {"specificity": i % 2 == 0, "domain_knowledge": i % 3 == 0,
                                      "complexity": i % 4 == 0, "problem_solving": i % 5 == 0,
                                      "creativity": i % 6 == 0, "technical_accuracy": i % 7 == 0,
                                      "real_world": True},
                    "if_v0.1": {"if": i % 8 == 0, "score": i % 6},
                    "math_v0.1": {"math": i % 9 == 0},
                },
            }
            f.write(json.dumps(rec, separators=(",", ":")) + "\n")
    return path


def run_arena(path, one_core):
    env = dict(os.environ)
    if one_core:
        env["ARENA_THREADS"] = "1"
    start = time.perf_counter()
    p = subprocess.Popen(
        [ARENA, "leaderboard", path, "--format", "csv", "--bootstrap", "100"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
        preexec_fn=(lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}))
        if one_core else None,
    )
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    err = p.stderr.read().decode()
    if status != 0:
        sys.exit(f"arena failed on {path}:\n{err}")
    return wall, usage.ru_maxrss / 1024


def scipy_cells(csv_path, m, rounds):
    import numpy as np
    from scipy.optimize import minimize

    t0 = time.perf_counter()
    index = {f"model-{i:03d}": i for i in range(m)}
    score = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5, "tie (bothbad)": 0.5}
    with open(csv_path, newline="") as f:
        rows = csv.reader(f)
        next(rows)
        triples = [(index[r[1]], index[r[2]], score[r[3]]) for r in rows]
    t_read = time.perf_counter() - t0

    t1 = time.perf_counter()
    arr = np.array(triples)
    cells, counts = np.unique(arr, axis=0, return_counts=True)
    a, b, y = cells[:, 0].astype(int), cells[:, 1].astype(int), cells[:, 2]

    def loss(theta, w):
        d = theta[a] - theta[b]
        # -[y log s(d) + (1-y) log s(-d)], summed with weights; its gradient.
        l = np.logaddexp(0, -d) * y + np.logaddexp(0, d) * (1 - y)
        g = (1 / (1 + np.exp(-d)) - y) * w
        grad = np.bincount(a, g, m) - np.bincount(b, g, m)
        return float(np.dot(w, l)), grad

    def fit(w, x0):
        r = minimize(loss, x0, args=(w,), jac=True, method="L-BFGS-B")
        return r.x - r.x.mean()

    theta = fit(counts.astype(float), np.zeros(m))
    rng = np.random.default_rng(42)
    p = counts / counts.sum()
    boot = [fit(rng.multinomial(counts.sum(), p).astype(float), theta) for _ in range(rounds)]
    t_fit = time.perf_counter() - t1
    ratings = 1000 + 400 / math.log(10) * theta
    lo = 1000 + 400 / math.log(10) * np.percentile(boot, 2.5, axis=0)
    return t_read, t_fit, len(cells), ratings, lo


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--battles", type=int, default=1_000_000)
    ap.add_argument("--models", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--fastchat", type=int, default=0, help="also N FastChat-shaped records")
    args = ap.parse_args()
    if not os.path.exists(ARENA):
        sys.exit(f"{ARENA} is missing: cargo build --release -p arena-cli")
    cores = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as d:
        csv_path, jsonl_path = write_files(d, args.battles, args.models)
        files = [("battle CSV", csv_path), ("Arena JSONL", jsonl_path)]
        if args.fastchat:
            files.append(("FastChat clean_battle JSONL", write_fastchat(d, args.fastchat, 130)))
        print(f"{args.battles:,} battles, {args.models} models, 100 bootstrap rounds, "
              f"median of {args.runs} runs, {cores} cores")
        print(f"{'input':<30}{'MiB':>8}{'1 core s':>10}{'peak MiB':>10}"
              f"{f'{cores} cores s':>12}{'peak MiB':>10}")
        for name, path in files:
            size = os.path.getsize(path) / 2**20
            one = [run_arena(path, True) for _ in range(args.runs)]
            all_ = [run_arena(path, False) for _ in range(args.runs)]
            med = lambda xs, k: statistics.median(x[k] for x in xs)
            print(f"{name:<30}{size:>8.1f}{med(one, 0):>10.3f}{max(x[1] for x in one):>10.1f}"
                  f"{med(all_, 0):>12.3f}{max(x[1] for x in all_):>10.1f}")
        try:
            t_read, t_fit, n_cells, _, _ = scipy_cells(csv_path, args.models, 100)
            print(f"scipy L-BFGS on {n_cells:,} distinct cells, 100 bootstrap rounds: "
                  f"fit {t_fit:.3f} s; with Python reading the CSV {t_read + t_fit:.3f} s")
        except ImportError:
            print("scipy baseline skipped: pip install numpy scipy")


if __name__ == "__main__":
    main()
