"""The bootstrap and Monte Carlo intervals against lavaan 0.6.14 and semTools 0.5-6.

Fixture: tests/reference/sem/bootstrap/poldem_mediation.json, written by make_bootstrap.R beside
it (PoliticalDemocracy, ind60 -> dem60 -> dem65, ab := a*b):

    fb <- sem(model, data = pd, se = "bootstrap", bootstrap = 2000L, iseed = 20261202L)
    parameterEstimates(fb, boot.ci.type = "perc" | "bca.simple" | "norm" | "basic")
    fe <- sem(model, data = pd, se = "bootstrap", bootstrap = 500L, iseed = 7L)   # "exact"
    monteCarloCI(sem(model, data = pd), nRep = 20000, standardized = FALSE | TRUE)

Two kinds of check:

* exact (no Monte Carlo error): refitting on lavaan's own resamples gives lavaan's draws, and
  the interval formulas applied to lavaan's 500 draws give lavaan's intervals;
* statistical: govstats' own 2000 draws against lavaan's 2000 (independent random draws), with
  tolerances derived from the Monte Carlo error of both, stated at each test.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats import fit
from govstats.sem.bootstrap import refit_rows
from govstats.sem.distributions import norm_ppf
from govstats.sem.intervals import interval
from govstats.sem.monte_carlo import monte_carlo_ci

REPO = Path(__file__).resolve().parents[2]
REF = json.loads((REPO / "tests/reference/sem/bootstrap/poldem_mediation.json").read_text())
DATA = pd.read_csv(REPO / REF["data"])
MODEL = REF["model"]
MEDIATION = [("dem60", "~", "ind60"), ("dem65", "~", "dem60"), ("dem65", "~", "ind60"), ("ab", ":=", "a*b"),
             ("total", ":=", "c+a*b")]
LAVAAN_TYPE = {"perc": "perc", "bc": "bca.simple", "norm": "norm", "basic": "basic"}


def table(rows) -> pd.DataFrame:
    return pd.DataFrame(rows).set_index(["lhs", "op", "rhs"])


@pytest.fixture(scope="module")
def standard():
    return fit(MODEL, DATA)


def lavaan_draws(standard):
    """lavaan's 500 draws ("exact" run) as (draws x table rows) in govstats' row order."""
    ex = REF["exact"]
    boot = np.array(ex["boot"])
    names = list(standard.coef.index)
    assert names == ex["names"], "coef() names differ from lavaan's"
    free = standard.params.free.to_numpy()
    values = np.tile(standard.params.est.to_numpy(), (len(boot), 1))
    for k in range(boot.shape[1]):
        values[:, free == k + 1] = boot[:, [k]]
    a, b, c = (values[:, standard.params.label.to_numpy() == x][:, 0] for x in "abc")
    defined = standard.params.op.to_numpy() == ":="
    values[:, defined] = np.column_stack([a * b, c + a * b])
    return values


def test_refits_on_lavaans_resamples_give_lavaans_draws(standard):
    # lavaan stops at a relative change of about 1e-4 in its objective's parameters (nlminb's
    # rel.tol 1e-10 on F): measured differences are at most 1.4e-4, so 1e-3 checks the refit,
    # the statistics of the resample and the start, not lavaan's optimizer.
    ex = REF["exact"]
    idx = np.array(ex["indices"]) - 1  # R's 1-based rows
    boot = np.array(ex["boot"])
    free = standard.params.free.to_numpy()
    first = [int(np.flatnonzero(free == k)[0]) for k in range(1, free.max() + 1)]
    worst = 0.0
    for b in range(len(idx)):
        values = refit_rows(standard, DATA, idx[b])
        worst = max(worst, float(np.max(np.abs(values[first] - boot[b]) / np.maximum(1, np.abs(boot[b])))))
    assert worst < 1e-3


@pytest.mark.parametrize("kind", ["perc", "bc", "norm", "basic"])
def test_interval_formulas_on_lavaans_draws_give_lavaans_intervals(standard, kind):
    values = lavaan_draws(standard)
    ref = table(REF["exact"]["intervals"][LAVAAN_TYPE[kind]])
    p = standard.params
    # lavaan's estimates (they differ from govstats' by the optimizers' tolerance, ~1e-7)
    est = ref.loc[list(zip(p.lhs, p.op, p.rhs)), "est"].to_numpy()
    lower, upper = interval(values, est, kind)
    estimated = ((p.free > 0) | (p.op == ":=")).to_numpy()
    if kind == "norm":
        # lavaan's normal interval of a := parameter takes its bias from the definition at the
        # draws' mean parameters, def(mean(theta*)) - def(theta), where govstats (and the boot
        # package's norm.ci) use the draws of the defined parameter itself, mean(def(theta*)) -
        # def(theta); for ab = a*b they differ by cov(a*, b*). Free parameters only here.
        estimated = estimated & (p.op != ":=").to_numpy()
    key = list(zip(p.lhs, p.op, p.rhs))
    ref_lower = ref.loc[key, "ci.lower"].to_numpy()
    ref_upper = ref.loc[key, "ci.upper"].to_numpy()
    assert np.allclose(lower[estimated], ref_lower[estimated], rtol=1e-9, atol=1e-9)
    assert np.allclose(upper[estimated], ref_upper[estimated], rtol=1e-9, atol=1e-9)


def quantile_mc_se(draws: np.ndarray, p: float) -> float:
    """Monte Carlo SE of the p-quantile of B draws: sqrt(p (1 - p) / B) / f(q_p), with the
    density f from a normal kernel estimate (Silverman's bandwidth) at the quantile."""
    draws = draws[np.isfinite(draws)]
    q = np.quantile(draws, p)
    h = 1.06 * draws.std(ddof=1) * len(draws) ** -0.2
    f = np.mean(np.exp(-0.5 * ((draws - q) / h) ** 2)) / (h * np.sqrt(2 * np.pi))
    return float(np.sqrt(p * (1 - p) / len(draws)) / f)


@pytest.mark.slow  # 2000 refits: about 10 s on two cores
def test_bootstrap_agrees_with_lavaan_within_monte_carlo_error():
    res = fit(MODEL, DATA, bootstrap=2000, seed=1, ci="perc")
    assert res.bootstrap.successful == REF["bootstrap_successful"] == 2000
    draws = res.bootstrap_draws()
    p = res.params.set_index(["lhs", "op", "rhs"])
    ref = table(REF["intervals"]["perc"])
    names = dict(zip(zip(res.params.lhs, res.params.op, res.params.rhs), res.params.label))
    # SEs. An SE from B draws with kurtosis k has relative Monte Carlo SD sqrt((k - 1) / (4B))
    # (1.6% for normal draws, B = 2000); the ratio of two independent ones twice that variance:
    # 2.2-2.4% here (k = 3.0-3.4). The mediation's five parameters must agree within the issue's
    # 5% (about 2 SDs); every other free parameter within 4 SDs (31 comparisons at once: 4 SDs
    # keep the chance of one false alarm near 0.2%).
    estimated = res.params[(res.params.free > 0) | (res.params.op == ":=")]
    for lhs, op, rhs, label in zip(estimated.lhs, estimated.op, estimated.rhs, estimated.label):
        column = lhs if op == ":=" else (label or f"{lhs}{op}{rhs}")
        x = draws[column].to_numpy()
        k = float(np.mean((x - x.mean()) ** 4) / x.var() ** 2)
        sd = np.sqrt(2 * (k - 1) / (4 * len(x)))
        ratio = p.loc[(lhs, op, rhs), "se"] / ref.loc[(lhs, op, rhs), "se"]
        limit = 0.05 if (lhs, op, rhs) in MEDIATION else 4 * sd
        assert abs(ratio - 1) < limit, (lhs, op, rhs, ratio, limit)
    # Endpoints of the mediation's intervals, every type: within 3 Monte Carlo SEs of the
    # difference of two independent estimates, sqrt(2) x the quantile's MC SE (see quantile_mc_se)
    # at the interval's nominal (perc, basic) or bias-corrected (BC) level. For BC the estimated
    # bias correction z0 varies too: its SD, sqrt(p0 (1 - p0) / B) / phi(z0), moves the level by
    # 2 phi(2 z0 + z) x that, added in quadrature. norm: the SD of mean - z se from the draws.
    for kind in ("perc", "bc", "norm", "basic"):
        ref_k = table(REF["intervals"][LAVAAN_TYPE[kind]])
        ours_k = fit_tables(res, kind)
        for key in MEDIATION:
            column = key[0] if key[1] == ":=" else names[key]
            x = draws[column].to_numpy()
            est = p.loc[key, "est"]
            for side, z in (("lower", norm_ppf(0.025)), ("upper", norm_ppf(0.975))):
                ours = ours_k.loc[key, f"ci_{side}"]
                theirs = ref_k.loc[key, f"ci.{side}"]
                if kind in ("perc", "basic"):
                    level = 0.025 if (side == "lower") == (kind == "perc") else 0.975
                    se = quantile_mc_se(x, level)
                elif kind == "bc":
                    p0 = np.mean(x < est)
                    z0 = norm_ppf(p0)
                    level = float(norm_cdf(2 * z0 + z))
                    sd_z0 = np.sqrt(p0 * (1 - p0) / len(x)) / norm_pdf(z0)
                    sd_level = 2 * norm_pdf(2 * z0 + z) * sd_z0
                    se = np.hypot(quantile_mc_se(x, level), sd_level * quantile_mc_se(x, level)
                                  / np.sqrt(level * (1 - level) / len(x)))
                else:
                    k = float(np.mean((x - x.mean()) ** 4) / x.var() ** 2)
                    se = x.std() * np.sqrt(1 / len(x) + z * z * (k - 1) / (4 * len(x)))
                assert abs(ours - theirs) < 3 * np.sqrt(2) * se, (kind, key, side, ours, theirs, se)


def fit_tables(res, kind):
    """The params table of ``res`` with its draws' intervals of another type."""
    from govstats.sem.intervals import interval as make

    values = res.bootstrap.values
    est = res.params.est.to_numpy()
    lower, upper = make(values, est, kind)
    out = res.params.assign(ci_lower=lower, ci_upper=upper)
    return out.set_index(["lhs", "op", "rhs"])


def norm_cdf(x):
    from govstats.sem.distributions import norm_sf

    return norm_sf(-x)


def norm_pdf(x):
    return np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)


def test_monte_carlo_intervals_agree_with_semtools(standard):
    # semTools' 20000 draws against govstats' 20000 (independent): each endpoint within 3 SDs
    # of the difference, sqrt(2) x the quantile's Monte Carlo SE (see quantile_mc_se).
    from govstats.sem.monte_carlo import draw_tables

    mc = monte_carlo_ci(standard, seed=11, standardized=True)
    ours = mc.set_index(["lhs", "op", "rhs"])
    ref = REF["monte_carlo"]
    ref_std = REF["monte_carlo_std"]
    # the same draws again (same seed), for the Monte Carlo SEs of the quantiles
    values, std = draw_tables(standard, 20000, seed=11)
    defined = np.flatnonzero(standard.params.op.to_numpy() == ":=")
    for k, name in enumerate(ref["names"]):
        key = (name, ":=", {"ab": "a*b", "total": "c+a*b"}[name])
        col = defined[k]
        assert ours.loc[key, "est"] == pytest.approx(ref["est"][k], rel=1e-5)  # the optimizers agree to ~1e-6
        for side, prob in (("lower", 0.025), ("upper", 0.975)):
            got_raw, got_std = ours.loc[key, f"ci_{side}"], ours.loc[key, f"ci_{side}_std"]
            se = quantile_mc_se(values[:, col], prob)
            assert abs(got_raw - ref[f"ci_{side}"][k]) < 3 * np.sqrt(2) * se, (name, side)
            se_std = quantile_mc_se(std[:, col], prob)
            assert abs(got_std - ref_std[f"ci_{side}"][k]) < 3 * np.sqrt(2) * se_std, (name, side, "std")
