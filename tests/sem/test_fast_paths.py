"""The shortcuts of warm refits (bootstrap draws, power replications) against the general
computations they replace: the expected information from small products against the one built
from the p x p x q Jacobian, the triangular (I - A)^-1 against LAPACK's inverse, the observed
rows of the implied moments against the whole, a draw's warm refit against a cold fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govstats import fit
from govstats.resources import instruments_dir
from govstats.sem.ml import information_matrix

HERE = __import__("pathlib").Path(__file__).parent
HS = pd.read_csv(HERE.parent / "reference" / "data" / "HolzingerSwineford1939.csv")
DATA = pd.read_csv(instruments_dir().parent / "data" / "synthetic" / "platform_dilemma.csv")

CHAIN = """
GP =~ GP1 + GP2 + GP3 + GP4
RD =~ RD1 + RD2 + RD3 + RD4
AU =~ AU1 + AU2 + AU3 + AU4
RD ~ a*GP
AU ~ b*RD + GP
ab := a*b
"""
CASES = {
    "chain": (CHAIN, DATA, {}),
    "covariances and means": ("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\n"
                              "x1 ~~ x4\nx2 ~~ x7", HS, {"meanstructure": True}),
    "groups with equal loadings": ("visual =~ x1 + a*x2 + a*x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\n"
                                   "speed ~ visual", HS, {"group": "school", "group_equal": ("loadings",)}),
    "observed regression": ("visual =~ x1 + x2 + x3\nx4 ~ visual + x5", HS, {}),
    "non-recursive": ("x1 ~ x2 + x3\nx2 ~ x1 + x4", HS, {}),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def fitted(request):
    syntax, data, kwargs = CASES[request.param]
    return fit(syntax, data, **kwargs)


def test_expected_information_from_small_products_is_the_jacobians(fitted):
    for ram in fitted._bound.blocks:
        sigma, _, B, C, M = ram.implied(fitted._theta)
        inv = np.linalg.inv(sigma)
        dS, dmu = ram.jacobian(fitted._theta, B, C, M)
        expected = information_matrix(inv, dS)
        assert np.allclose(ram.covariance_information(inv, B, C), expected, rtol=1e-12, atol=1e-12)
        assert np.allclose(ram.covariance_information(inv, B, C[:ram.p]), expected, rtol=1e-12, atol=1e-12)
        assert np.array_equal(ram.mean_jacobian(B, M), dmu)


def test_observed_rows_of_the_implied_moments_are_the_whole_ones(fitted):
    for ram in fitted._bound.blocks:
        sigma, mu, B, C, M = ram.implied(fitted._theta)
        sigma2, mu2, B2, Q, M2 = ram.implied_observed(fitted._theta)
        assert np.allclose(sigma2, sigma, atol=1e-13) and np.allclose(mu2, mu, atol=1e-13)
        assert np.allclose(Q, C[:ram.p], atol=1e-13)
        A, S, _ = ram.matrices(fitted._theta)
        assert np.allclose(B, np.linalg.inv(np.eye(ram.m) - A), atol=1e-13)


def test_one_vectors_variances_are_the_batchs(fitted):
    ram = fitted._bound.blocks[0]
    thetas = np.vstack([fitted._theta, fitted._theta * 1.01])
    assert np.allclose(ram.variance_batch(thetas[:1])[0], ram.variance_batch(thetas)[0], atol=1e-13)


def test_a_non_recursive_model_has_no_causal_order():
    res = fit(CASES["non-recursive"][0], HS)
    assert res._bound.blocks[0].causal_order is None
    assert fit(CHAIN, DATA)._bound.blocks[0].causal_order is not None


def test_a_warm_refitted_draw_matches_a_cold_fit_of_its_rows():
    # each draw starts from the fit's estimates (scoring steps, then BFGS) with the same stopping
    # rule as fit(): its estimates must be those of a fit of the resampled rows from scratch
    from govstats.sem.bootstrap import _bootstrap_draws, _payload, warm_start
    from govstats.sem.fit import estimate
    from govstats.sem.options import normalize_options
    from govstats.sem.start import start_values

    res = fit(CHAIN, DATA)
    bound = res._bound
    compiled = bound.model
    observed = list(compiled.names.ov)
    frame = DATA[observed].dropna().reset_index(drop=True)
    payload = _payload(CHAIN, normalize_options(**res.options), None, compiled,
                       warm_start(bound, estimate(bound, start_values(bound))), frame, observed, None, bound=bound)
    shown = compiled.table.op.isin(set(res.params.op)).to_numpy()
    seeds = np.random.SeedSequence(3).spawn(3)
    assert payload.curvature is not None
    stacked = _bootstrap_draws(payload, seeds)  # the three refitted together (govstats.sem.batch_refit)
    payload.curvature = None
    one_by_one = _bootstrap_draws(payload, seeds)
    for seed, (status, values, std, chisq), single in zip(seeds, stacked, one_by_one):
        rows = np.random.default_rng(seed).integers(0, len(frame), len(frame))
        cold = fit(CHAIN, frame.iloc[rows].reset_index(drop=True))
        assert status == "ok" and single[0] == "ok"
        assert np.allclose(values[shown], cold.params.est, atol=1e-6)
        assert np.allclose(single[1][shown], cold.params.est, atol=1e-6)
        assert np.allclose(std[shown], cold.params.std_all, atol=1e-6)
        assert chisq == pytest.approx(cold.fit_measures["chisq"], rel=1e-8)


def test_a_constant_column_is_found_exactly():
    from govstats.sem.bootstrap import _has_constant_column

    x = np.random.default_rng(1).normal(size=(50, 3))
    assert not _has_constant_column(x)
    x[:, 1] = 0.1  # the mean of fifty 0.1s is not exactly 0.1: x.std(), the check before, missed this
    assert x[:, 1].std() != 0
    assert _has_constant_column(x)
