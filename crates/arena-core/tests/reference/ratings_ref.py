#!/usr/bin/env python3
"""Independent reference for Arena's ratings; writes the JSON fixtures the Rust tests read.

Regenerate (CI never runs this; it only reads the committed fixtures):

    pip install numpy scipy
    python3 crates/arena-core/tests/reference/ratings_ref.py

This is written from the definitions in DESIGN.md §2, not from the Rust code, and it uses a
different formulation on purpose: Bradley–Terry and style control are fitted with scipy's
L-BFGS on the per-battle loss (the Rust side runs Newton's method on cell counts), and the
sandwich matrices are summed per battle (the Rust side assembles them per cell).

Fixture contents (fixtures/ratings.json), per case:
  models            sorted model names
  battles           [model_a, model_b, winner, tstamp] in file order (not time order)
  elo               online Elo after the battles in time order (stable sort by tstamp)
  bt                Bradley–Terry ratings, 400 scale, mean 1000 or the anchor
  sandwich_lower/_upper   rating ± 1.96 · sandwich standard error
  cells, rounds     for the bootstrap: the distinct (a, b, y) cells and, per round, the
                    multinomial counts drawn here with numpy; both sides refit on exactly these
  bootstrap_lower/_upper  2.5 % / 97.5 % quantiles (numpy 'linear') of the refits
  style             (style case only) raw per-side counts and the fitted ratings/coefficients
"""

import json
import math
import os

import numpy as np
from scipy.optimize import minimize

SCALE = 400.0 / math.log(10.0)
WINNERS = ["model_a", "model_b", "tie", "tie (bothbad)"]
HERE = os.path.dirname(os.path.abspath(__file__))


def score_a(w):
    return {"model_a": 1.0, "model_b": 0.0, "tie": 0.5, "tie (bothbad)": 0.5}[w]


def online_elo(models, battles, k=4.0, base=10.0, scale=400.0, init=1000.0):
    r = {m: init for m in models}
    order = sorted(range(len(battles)), key=lambda i: battles[i][3])  # stable
    for i in order:
        a, b, w, _ = battles[i]
        ea = 1.0 / (1.0 + base ** ((r[b] - r[a]) / scale))
        eb = 1.0 / (1.0 + base ** ((r[a] - r[b]) / scale))
        sa = score_a(w)
        r[a] += k * (sa - ea)
        r[b] += k * (1.0 - sa - eb)
    return [r[m] for m in models]


def arrays(models, battles):
    idx = {m: i for i, m in enumerate(models)}
    ia = np.array([idx[b[0]] for b in battles])
    ib = np.array([idx[b[1]] for b in battles])
    y = np.array([score_a(b[2]) for b in battles])
    return ia, ib, y


def fit_lbfgs(n, ia, ib, y, w, feats=None, l2=0.0):
    """Maximum likelihood of P(a wins) = sigmoid(θa − θb [+ γ·f]) with weights w."""
    nf = 0 if feats is None else feats.shape[1]

    def f(params):
        th, g = params[:n], params[n:]
        x = th[ia] - th[ib]
        if nf:
            x = x + feats @ g
        # -[y log σ(x) + (1-y) log(1-σ(x))] = softplus(x) - y x
        loss = np.sum(w * (np.logaddexp(0.0, x) - y * x)) + l2 * np.sum(params**2)
        r = w * (1.0 / (1.0 + np.exp(-x)) - y)
        grad = np.zeros_like(params)
        np.add.at(grad, ia, r)
        np.add.at(grad, ib, -r)
        if nf:
            grad[n:] = feats.T @ r
        grad += 2.0 * l2 * params
        return loss, grad

    res = minimize(f, np.zeros(n + nf), jac=True, method="L-BFGS-B",
                   options=dict(maxiter=100000, maxcor=50, gtol=1e-12, ftol=1e-16))
    _, g = f(res.x)
    assert np.max(np.abs(g)) < 1e-5 * max(1.0, np.sum(w)) ** 0.5, ("not converged", np.max(np.abs(g)))
    return res.x


def to_ratings(models, theta, anchor):
    theta = theta - theta.mean()
    if anchor is not None:
        m, r = anchor
        return r + SCALE * (theta - theta[models.index(m)]), theta
    return 1000.0 + SCALE * theta, theta


def sandwich(n, ia, ib, y, theta, w, weighted):
    """Per-battle sums: H = Σ w p(1−p) d dᵀ + reg·I, G = Σ (w (y − p))² d dᵀ, d = e_a − e_b."""
    p = 1.0 / (1.0 + np.exp(-(theta[ia] - theta[ib])))
    h = np.zeros((n, n))
    g = np.zeros((n, n))
    for vals, m in ((w * p * (1 - p), h), ((w * (y - p)) ** 2, g)):
        np.add.at(m, (ia, ia), vals)
        np.add.at(m, (ib, ib), vals)
        np.add.at(m, (ia, ib), -vals)
        np.add.at(m, (ib, ia), -vals)
    reg = 1e-5 if weighted else 1e-5 * len(ia)
    h += reg * np.eye(n)
    hinv = np.linalg.inv(h)
    cov = hinv @ g @ hinv
    return np.sqrt(np.diag(cov))


def make_battles(rng, models, strength, n, tie_rate=0.15, t0=1.7e9):
    out = []
    for _ in range(n):
        i, j = rng.choice(len(models), size=2, replace=False)
        p = 1.0 / (1.0 + math.exp(-(strength[i] - strength[j])))
        u = rng.random()
        if u < tie_rate:
            w = "tie" if rng.random() < 0.6 else "tie (bothbad)"
        elif rng.random() < p:
            w = "model_a"
        else:
            w = "model_b"
        # Coarse timestamps, so several battles share one and the sort must be stable.
        out.append([models[i], models[j], w, t0 + float(rng.integers(0, n // 3))])
    return out


def case(name, rng, models, strength, n, reweight=False, anchor=None, rounds=20, skew=None):
    battles = make_battles(rng, models, strength, n)
    if skew is not None:  # over-sample one pair, for the reweighting case
        a, b, extra = skew
        for _ in range(extra):
            w = "model_a" if rng.random() < 0.7 else "model_b"
            battles.append([a, b, w, 1.7e9 + float(rng.integers(0, n))])
    models = sorted(models)
    n_m = len(models)
    ia, ib, y = arrays(models, battles)
    if reweight:
        pair = {}
        for a, b in zip(ia, ib):
            k = (min(a, b), max(a, b))
            pair[k] = pair.get(k, 0) + 1
        w = np.array([1.0 / max(pair[(min(a, b), max(a, b))], 50) for a, b in zip(ia, ib)])
    else:
        w = np.ones(len(battles))
    theta = fit_lbfgs(n_m, ia, ib, y, w)
    ratings, theta_c = to_ratings(models, theta, anchor)
    se = sandwich(n_m, ia, ib, y, theta_c, w, reweight)
    out = {
        "name": name,
        "reweight": reweight,
        "anchor": None if anchor is None else {"model": anchor[0], "rating": anchor[1]},
        "models": models,
        "battles": battles,
        "elo": online_elo(models, battles),
        "bt": ratings.tolist(),
        "sandwich_lower": (ratings - 1.96 * SCALE * se).tolist(),
        "sandwich_upper": (ratings + 1.96 * SCALE * se).tolist(),
    }
    if rounds and not reweight:
        # Distinct cells in canonical orientation (a < b), y = score of a.
        cells = {}
        for a, b, yy in zip(ia, ib, y):
            key = (a, b, yy) if a < b else (b, a, 1.0 - yy)
            cells[key] = cells.get(key, 0) + 1
        keys = sorted(cells)
        counts = np.array([cells[k] for k in keys], dtype=float)
        draws = rng.multinomial(int(counts.sum()), counts / counts.sum(), size=rounds)
        ca = np.array([k[0] for k in keys])
        cb = np.array([k[1] for k in keys])
        cy = np.array([k[2] for k in keys])
        boot = []
        for d in draws:
            th = fit_lbfgs(n_m, ca, cb, cy, d.astype(float))
            r, _ = to_ratings(models, th, anchor)
            boot.append(r)
        boot = np.array(boot)
        out["cells"] = [[int(a), int(b), float(yy)] for a, b, yy in keys]
        out["rounds"] = draws.astype(int).tolist()
        out["bootstrap_lower"] = np.quantile(boot, 0.025, axis=0).tolist()
        out["bootstrap_upper"] = np.quantile(boot, 0.975, axis=0).tolist()
    return out


def style_case(rng):
    models = ["alpha", "beta", "gamma", "delta"]
    strength = [0.4, 0.0, -0.3, 0.1]
    n = 1000
    battles, sides = [], []
    for _ in range(n):
        i, j = rng.choice(4, size=2, replace=False)
        ta, tb = rng.integers(20, 800, size=2)
        ha, hb = rng.integers(0, 6, size=2)
        la, lb = rng.integers(0, 12, size=2)
        ba, bb = rng.integers(0, 8, size=2)
        # Longer answers win more often, beyond the models' strengths.
        x = strength[i] - strength[j] + 1.2 * (ta - tb) / (ta + tb + 1) + 0.3 * (la - lb) / (la + lb + 1)
        u = rng.random()
        w = "tie" if u < 0.1 else ("model_a" if rng.random() < 1 / (1 + math.exp(-x)) else "model_b")
        battles.append([models[i], models[j], w, 1.7e9 + len(battles)])
        sides.append([[int(ta), int(ha), int(la), int(ba)], [int(tb), int(hb), int(lb), int(bb)]])
    models_s = sorted(models)
    ia, ib, y = arrays(models_s, battles)
    raw = np.array(sides, dtype=float)  # (n, 2, 4)
    a, b = raw[:, 0, :], raw[:, 1, :]
    f = (a - b) / (a + b + 1.0)
    f = (f - f.mean(axis=0)) / f.std(axis=0)
    params = fit_lbfgs(4, ia, ib, y, np.ones(n), feats=f, l2=0.5)
    theta = params[:4] - params[:4].mean()
    return {
        "name": "style",
        "models": models_s,
        "battles": battles,
        "sides": sides,
        "style_ratings": (1000.0 + SCALE * theta).tolist(),
        "style_coefficients": params[4:].tolist(),
    }


def main():
    rng = np.random.default_rng(20240601)
    names = ["gpt-4o", "claude-3-5-sonnet", "llama-3-70b", "gemma-2-9b", "qwen2-7b", "phi-3-mini"]
    strength = [0.9, 0.8, 0.3, 0.0, -0.2, -0.6]
    cases = [
        case("main", rng, names, strength, 2000),
        case("anchored", rng, names[:4] + ["mixtral-8x7b-instruct-v0.1"], [0.9, 0.6, 0.2, -0.1, 0.1], 1200,
             anchor=("mixtral-8x7b-instruct-v0.1", 1114.0), rounds=10),
        case("reweighted", rng, names[:4], strength[:4], 800, reweight=True, rounds=0,
             skew=("gpt-4o", "gemma-2-9b", 1500)),
        style_case(rng),
    ]
    path = os.path.join(HERE, "fixtures", "ratings.json")
    with open(path, "w") as fh:
        json.dump({"generator": "ratings_ref.py", "cases": cases}, fh, separators=(",", ":"))
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
