#!/usr/bin/env python3
"""Side-by-side: Arena's Rust leaderboard vs a scipy L-BFGS Bradley–Terry fit, same data.

    pip install numpy scipy
    python3 crates/arena-core/benches/compare_scipy.py [--battles 1000000] [--models 100] [--runs 5]

Generates the battles (seeded), writes them as JSON lines to a temporary folder, runs the Rust
bench binary on that file (`cargo bench -p arena-core --bench leaderboard -- --data FILE`),
then fits the same Bradley–Terry model with scipy's L-BFGS on the per-battle loss, as
FastChat-style scripts do, and prints both timings (medians of several runs) and the ratios.

The scipy bootstrap is measured in full too, once (`--scipy-bootstrap-runs`): the fit, then
N rounds that each resample the battles with replacement and refit from zero, as FastChat
does. The Rust figure is the whole leaderboard: filters, Elo, fit, all bootstrap rounds,
matrices, cycles, judges.
"""

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import tempfile
import time

import numpy as np
from scipy.optimize import minimize

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def generate(n, m, seed):
    rng = np.random.default_rng(seed)
    strength = np.linspace(-1.0, 1.0, m)
    a = rng.integers(0, m, n)
    b = rng.integers(0, m - 1, n)
    b = b + (b >= a)
    p = 1.0 / (1.0 + np.exp(strength[b] - strength[a]))
    u = rng.random(n)
    y = np.where(u < 0.1, 0.5, (rng.random(n) < p).astype(float))
    return a, b, y


def write_jsonl(path, a, b, y):
    label = {1.0: "model_a", 0.0: "model_b", 0.5: "tie"}
    with open(path, "w") as fh:
        for i, (x, z, w) in enumerate(zip(a.tolist(), b.tolist(), y.tolist())):
            fh.write(json.dumps({"model_a": f"model-{x:03d}", "model_b": f"model-{z:03d}",
                                 "winner": label[w], "tstamp": float(i)}) + "\n")


def scipy_fit(a, b, y, m):
    def f(theta):
        x = theta[a] - theta[b]
        loss = np.sum(np.logaddexp(0.0, x) - y * x)
        r = 1.0 / (1.0 + np.exp(-x)) - y
        g = np.bincount(a, weights=r, minlength=m) - np.bincount(b, weights=r, minlength=m)
        return loss, g

    res = minimize(f, np.zeros(m), jac=True, method="L-BFGS-B", options=dict(maxiter=1000))
    th = res.x - res.x.mean()
    return 1000.0 + 400.0 / math.log(10.0) * th


def scipy_bootstrap(a, b, y, m, rounds, seed):
    rng = np.random.default_rng(seed)
    n = len(a)
    fits = [scipy_fit(a, b, y, m)]
    for _ in range(rounds):
        idx = rng.integers(0, n, n)
        fits.append(scipy_fit(a[idx], b[idx], y[idx], m))
    lo, hi = np.quantile(np.array(fits[1:]), [0.025, 0.975], axis=0)
    return fits[0], lo, hi


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--battles", type=int, default=1_000_000)
    ap.add_argument("--models", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scipy-bootstrap-runs", type=int, default=1)
    args = ap.parse_args()

    a, b, y = generate(args.battles, args.models, 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "battles.jsonl")
        write_jsonl(path, a, b, y)
        out = subprocess.run(
            ["cargo", "bench", "-q", "-p", "arena-core", "--bench", "leaderboard", "--",
             "--data", path, "--runs", str(args.runs), "--rounds", str(args.rounds)],
            cwd=REPO, check=True, capture_output=True, text=True).stdout
    print(out.strip())
    figures = dict(re.findall(r"(rust_\w+_median_s)=([0-9.]+)", out))
    rust_fit = float(figures["rust_bt_fit_median_s"])
    rust_board = float(figures["rust_leaderboard_bootstrap_median_s"])

    times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        ratings = scipy_fit(a, b, y, args.models)
        times.append(time.perf_counter() - t)
    scipy_fit_s = statistics.median(times)
    boot_times = []
    for _ in range(args.scipy_bootstrap_runs):
        t = time.perf_counter()
        scipy_bootstrap(a, b, y, args.models, args.rounds, 42)
        boot_times.append(time.perf_counter() - t)
    scipy_boot_s = statistics.median(boot_times)
    print(f"scipy_lbfgs_fit_median_s={scipy_fit_s:.6}  (runs: {', '.join(f'{t:.3f}' for t in times)})")
    print(f"scipy_lbfgs_fit_plus_{args.rounds}_rounds_measured_s={scipy_boot_s:.3f}  "
          f"(runs: {', '.join(f'{t:.2f}' for t in boot_times)})")
    print(f"ratio single fit (scipy / rust) = {scipy_fit_s / rust_fit:.1f}x")
    print(f"ratio fit with {args.rounds} bootstrap rounds (scipy) / whole leaderboard with "
          f"{args.rounds} rounds (rust) = {scipy_boot_s / rust_board:.1f}x")
    print(f"(scipy top model: {int(np.argmax(ratings))}, rating {ratings.max():.2f})")


if __name__ == "__main__":
    main()
