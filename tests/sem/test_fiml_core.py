"""The FIML building blocks against brute force: the casewise likelihood row by row, its gradient
and Hessian by finite differences, the EM estimates at a stationary point, the patterns' grouping.
(The numbers against lavaan are in test_fiml_against_lavaan.py.)"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from govstats import fit
from govstats.errors import CoverageWarning
from govstats.sem.fiml import (LOG_2PI, all_padded_inverses, loglik, n_observed_cells, second_derivatives,
                               value_and_derivative)
from govstats.sem.fiml_inference import GroupTerms, information
from govstats.sem.missing_data import MissingPatterns


@pytest.fixture(scope="module")
def incomplete():
    rng = np.random.default_rng(7)
    p = 6
    a = rng.normal(size=(p, p))
    sigma = a @ a.T / p + np.eye(p)
    x = rng.multivariate_normal(np.arange(p, dtype=float), sigma, size=250)
    x[rng.random(x.shape) < 0.2] = np.nan
    x = x[~np.isnan(x).all(axis=1)]
    return x, MissingPatterns.from_rows(x)


def _brute_loglik(x, mu, sigma):
    total = 0.0
    for row in x:
        o = ~np.isnan(row)
        d = row[o] - mu[o]
        s = sigma[np.ix_(o, o)]
        total += -0.5 * (o.sum() * LOG_2PI + np.linalg.slogdet(s)[1] + d @ np.linalg.solve(s, d))
    return total


def test_patterns_group_every_row_once(incomplete):
    x, block = incomplete
    assert sum(s.freq.sum() for s in block.sets) == len(x)
    assert block.n_patterns == len(np.unique(np.isnan(x), axis=0))
    rows = np.concatenate([r for s in block.sets for r in s.rows])
    assert sorted(rows) == list(range(len(x)))


def test_likelihood_is_the_casewise_one(incomplete):
    x, block = incomplete
    mu, sigma = block.mean + 0.2, block.cov * 1.3 + 0.1 * np.eye(x.shape[1])
    assert loglik(block.sets, mu, sigma) == pytest.approx(_brute_loglik(x, mu, sigma), rel=1e-12)


def test_gradient_and_hessian_match_finite_differences(incomplete):
    x, block = incomplete
    p = x.shape[1]
    rng = np.random.default_rng(1)
    mu, sigma = block.mean + 0.1, block.cov + 0.2 * np.eye(p)

    def value(m, s):
        return value_and_derivative(block.sets, m, all_padded_inverses(block.sets, s), gradient=False)[0]

    _, W, w_mean = value_and_derivative(block.sets, mu, all_padded_inverses(block.sets, sigma))
    d1, d2 = (lambda a: a + a.T)(rng.normal(size=(p, p))), (lambda a: a + a.T)(rng.normal(size=(p, p)))
    m1, m2 = rng.normal(size=p), rng.normal(size=p)
    h = 1e-5
    slope = (value(mu + h * m1, sigma + h * d1) - value(mu - h * m1, sigma - h * d1)) / (2 * h)
    assert slope == pytest.approx(np.sum(W * d1) + w_mean @ m1, rel=1e-6)
    h = 1e-4
    f = lambda t, s: value(mu + t * m1 + s * m2, sigma + t * d1 + s * d2)
    numeric = (f(h, h) - f(h, -h) - f(-h, h) + f(-h, -h)) / (4 * h * h)
    second = second_derivatives(block.sets, mu, all_padded_inverses(block.sets, sigma))
    analytic = d1.ravel() @ second.cc @ d2.ravel() + d1.ravel() @ second.cm @ m2 + d2.ravel() @ second.cm @ m1 \
        + m1 @ second.mm @ m2
    assert analytic == pytest.approx(numeric, rel=1e-5)


def test_em_estimates_are_a_stationary_point(incomplete):
    x, block = incomplete
    h1 = block.h1
    assert h1.converged
    _, W, w_mean = value_and_derivative(block.sets, h1.mean, all_padded_inverses(block.sets, h1.cov))
    assert np.max(np.abs(W)) < 1e-6 and np.max(np.abs(w_mean)) < 1e-6
    assert h1.logl == pytest.approx(_brute_loglik(x, h1.mean, h1.cov), rel=1e-12)
    assert h1.logl >= loglik(block.sets, block.mean, block.cov)  # EM beats the available-case moments


def test_observed_information_is_the_hessian_of_the_loglik(incomplete):
    """The analytic observed information (pattern second derivatives + the model's curvature) equals
    central differences of the fitted model's analytic FIML gradient."""
    rng = np.random.default_rng(11)
    f = rng.normal(size=400)
    g = 0.5 * f + rng.normal(size=400)
    x = np.column_stack([f, f, f, g, g, g]) * [1.0, 0.8, 0.7, 1.0, 0.9, 0.6] + rng.normal(size=(400, 6))
    x[rng.random(x.shape) < 0.15] = np.nan
    data = pd.DataFrame(x, columns=[f"y{k}" for k in range(1, 7)])
    res = fit("f =~ y1 + y2 + y3\ng =~ y4 + y5 + y6\ng ~ f", data, missing="fiml")
    bound, theta = res._bound, res._theta
    groups = [GroupTerms(m, d, theta) for m, d in zip(bound.blocks, bound.statistics.blocks)]
    analytic = information(groups, theta, "observed")

    def gradient(t):
        total = np.zeros(len(t))
        for m, d in zip(bound.blocks, bound.statistics.blocks):
            sigma, mu, B, C, M = m.implied(t)
            _, W, w_mean = value_and_derivative(d.sets, mu, all_padded_inverses(d.sets, sigma))
            total += m.gradient(B, C, M, W, w_mean)
        return total / res.nobs

    numeric = np.empty_like(analytic)
    for k in range(len(theta)):
        e = np.zeros(len(theta))
        e[k] = 1e-5
        numeric[:, k] = 0.5 * (gradient(theta + e) - gradient(theta - e)) / 2e-5
    np.testing.assert_allclose(analytic, 0.5 * (numeric + numeric.T), rtol=1e-5, atol=1e-7)


def test_rows_blank_everywhere_are_left_out_and_counted():
    rng = np.random.default_rng(3)
    data = pd.DataFrame(rng.normal(size=(200, 3)) + rng.normal(size=(200, 1)), columns=["a", "b", "c"])
    data.iloc[:5] = np.nan
    data.iloc[10:40, 0] = np.nan
    res = fit("f =~ a + b + c", data, missing="fiml")
    assert res.nobs == 195 and res.n_dropped == 5
    assert any("blank on every model variable" in w for w in res.warnings_)
    assert res.coverage().loc["a", "b"] == pytest.approx(165 / 195)


def test_a_pair_never_observed_together_is_a_typed_warning():
    rng = np.random.default_rng(4)
    data = pd.DataFrame(rng.normal(size=(300, 4)) + rng.normal(size=(300, 1)), columns=["a", "b", "c", "d"])
    data.loc[:149, "a"] = np.nan
    data.loc[150:, "b"] = np.nan
    with pytest.warns(CoverageWarning, match="never observed together"):
        res = fit("f =~ a + b + c + d", data, missing="fiml", estimator="MLR")
    assert res.coverage().loc["a", "b"] == 0.0
    # the unrestricted model is not identified then: no scaled test or robust indices, and it says so
    assert "cfi_robust" not in res.fit_measures and "chisq_scaled" not in res.fit_measures
    assert any("never observed together; not computed" in w for w in res.warnings_)


def test_complete_data_give_the_complete_data_fit():
    """Without blanks FIML is ML with a mean structure: the same estimates, chi-square and SEs from the
    observed information (lavaan: information = "observed" with missing = "ml")."""
    rng = np.random.default_rng(5)
    data = pd.DataFrame(rng.normal(size=(400, 4)) + rng.normal(size=(400, 1)), columns=["a", "b", "c", "d"])
    full = fit("f =~ a + b + c + d", data, missing="fiml")
    ml = fit("f =~ a + b + c + d", data, meanstructure=True, information="observed")
    np.testing.assert_allclose(full.params.est, ml.params.est, atol=1e-6)
    np.testing.assert_allclose(full.params.se, ml.params.se, rtol=1e-5)
    for name in ("chisq", "df", "cfi", "tli", "rmsea", "srmr", "logl", "unrestricted_logl"):
        assert full.fit_measures[name] == pytest.approx(ml.fit_measures[name], rel=1e-6, abs=1e-8), name
    assert full.sample_statistics().n_patterns == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert n_observed_cells(full.sample_statistics().sets) == data.size


def test_the_optimizers_terms_equal_the_padded_inverses_ones(incomplete):
    """objective_terms (from the Cholesky factors, P formed only for patterns of several rows) gives
    what value_and_derivative gives from the padded inverses."""
    from govstats.sem.fiml import objective_terms

    x, block = incomplete
    mu, sigma = block.mean + 0.05, block.cov + 0.1 * np.eye(x.shape[1])
    assert any(s.several.any() for s in block.sets) and any((~s.several).any() for s in block.sets)
    slow = value_and_derivative(block.sets, mu, all_padded_inverses(block.sets, sigma))
    fast = objective_terms(block.sets, mu, sigma)
    assert fast[0] == pytest.approx(slow[0], rel=1e-12)
    np.testing.assert_allclose(fast[1], slow[1], atol=1e-10)
    np.testing.assert_allclose(fast[2], slow[2], atol=1e-10)
    assert objective_terms(block.sets, mu, -sigma) is None
