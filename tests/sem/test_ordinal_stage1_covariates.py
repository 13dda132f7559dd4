"""Stage 1 conditional on exogenous covariates (lavaan's conditional.x = TRUE), against lavaan 0.6.14.

Fixtures (tests/reference/sem_ordinal/, make_fixtures.R): ``covariate_grid_wlsmv`` (30 five-point
items, ``ID ~ age2``) and ``covariate_hs_wlsmv`` (x1..x6 ordered in three or two categories,
x7..x9 continuous outcomes, ``visual + textual + speed ~ agec``).

Tolerances: thresholds and slopes of the probit regressions 1e-6 (lavaan's nlminb stops within
about 2e-8 of the ML estimates, which govstats' Newton steps reach to about 1e-12); intercepts,
slopes and residual variances of least squares 1e-10 (closed forms; measured 7e-15);
correlations and covariances 1e-6 (measured 2.4e-8); Gamma 1e-6 of its largest entry (measured
1.2e-8) and the DWLS weights 1e-6 relative.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from scipy.stats import norm

import govstats.sem.ordinal.stage1_covariates as covariates_module
from govstats.measurement.polychoric import bivariate_normal_cdf
from govstats.sem.ordinal.stage1 import stage1
from tests_support import lavaan_gamma
from tests_support import load_ordinal_case as load

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "tests" / "reference" / "sem_ordinal"
CASES = ["covariate_grid_wlsmv", "covariate_hs_wlsmv"]




def arguments(case: dict) -> dict:
    """stage1's arguments for a fixture: the outcomes in lavaan's order, which of them are
    continuous, the covariates."""
    items = case["sampstat"]["res.cov"]["rows"]
    return {"items": items, "numeric": [v for v in case["numeric"] if v in items], "covariates": case["exogenous"]}


@pytest.fixture(scope="module", params=CASES)
def computed(request):
    case = load(request.param)
    data = pd.read_csv(REPO / case["data_file"], encoding="utf-8")
    return case, data, stage1(data, **arguments(case))


def test_statistics_are_named_and_laid_out_as_lavaan(computed):
    case, _, s = computed
    assert s.names == case["stage1_names"]
    assert s.nobs == case["nobs"] and s.covariates == case["exogenous"]
    assert s.categories == {item: c["codes"] for item, c in case["categories"].items()}
    lay = s.layout
    slopes = lay[lay.kind == "slope"]
    assert (slopes["item"] + "~" + slopes["item2"]).tolist() == slopes["name"].tolist()
    assert slopes["item"].tolist() == s.items * len(s.covariates)
    assert lay["kind"].value_counts().get("mean", 0) == len(s.numeric) == lay["kind"].value_counts().get("variance", 0)


def test_statistics_match_lavaan(computed):
    case, _, s = computed
    values, ref = s.values, np.array(case["wls_obs"])
    kind = s.layout["kind"].to_numpy()
    probit = (kind == "threshold") | ((kind == "slope") & ~s.layout["item"].isin(s.numeric).to_numpy())
    closed = ~probit & (kind != "pair")
    np.testing.assert_allclose(values[probit], ref[probit], rtol=0, atol=1e-6)
    np.testing.assert_allclose(values[closed], ref[closed], rtol=0, atol=1e-10)
    np.testing.assert_allclose(values[kind == "pair"], ref[kind == "pair"], rtol=0, atol=1e-6)
    ss = case["sampstat"]
    np.testing.assert_allclose(s.thresholds, ss["res.th"]["values"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(s.slopes.to_numpy(), ss["res.slopes"]["values"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(s.covariances.to_numpy(), ss["res.cov"]["values"], rtol=0, atol=1e-6)
    res_int = dict(zip(ss["res.int"]["names"], ss["res.int"]["values"]))
    if s.numeric:
        np.testing.assert_allclose(s.means, [res_int[v] for v in s.numeric], rtol=0, atol=1e-10)
    else:
        assert s.means is None and s.variances is None and set(res_int.values()) == {0}


def test_gamma_matches_lavaan(computed):
    case, _, s = computed
    ref = lavaan_gamma(case)
    np.testing.assert_allclose(s.gamma.to_numpy(), ref, rtol=0, atol=1e-6 * np.abs(ref).max())
    np.testing.assert_allclose(1 / np.diag(s.gamma), case["wls_v_diag"], rtol=1e-6)


def test_probit_regression_is_the_ordered_probit_ml_estimate():
    """x2 (three categories) and x6 (binary) on agec, recomputed by scipy: P(y <= k | x) =
    Phi(tau_k - x beta), thresholds at x = 0."""
    case = load("covariate_hs_wlsmv")
    data = pd.read_csv(REPO / case["data_file"])
    s = stage1(data, **arguments(case))
    x = data["agec"].to_numpy()
    for item in ("x2", "x6"):
        codes = pd.factorize(data[item], sort=True)[0]
        k = codes.max()

        def negloglik(theta):
            edges = np.r_[-np.inf, theta[:k], np.inf]
            eta = theta[k] * x
            return -np.log(norm.cdf(edges[codes + 1] - eta) - norm.cdf(edges[codes] - eta)).sum()

        start = np.r_[norm.ppf(np.cumsum(np.bincount(codes))[:-1] / len(codes)), 0.0]  # marginal
        est = optimize.minimize(negloglik, start, method="BFGS", options={"gtol": 1e-9}).x
        th = s.thresholds[s.thresholds.index.str.startswith(f"{item}|")]
        np.testing.assert_allclose(th, est[:k], rtol=0, atol=1e-6)
        assert s.slopes.loc[item, "agec"] == pytest.approx(est[k], abs=1e-6)


@pytest.mark.parametrize("jitter", [0.0, 0.3])
def test_residual_polychoric_is_the_ml_estimate(jitter):
    """x1 and x3 on agec, the residual polychoric recomputed as the root of the score over each
    case's own rectangle (limits tau - x beta from stage 1). With agec as it is (55 values) the
    cases share cells and corners, and the start is close enough for one evaluation of Phi2;
    jittered, every case has its own."""
    case = load("covariate_hs_wlsmv")
    data = pd.read_csv(REPO / case["data_file"])
    data["agec"] += np.random.default_rng(5).normal(0, jitter, len(data))
    s = stage1(data, ["x1", "x3"], covariates=["agec"])
    x = data["agec"].to_numpy()
    (up_a, lo_a), (up_b, lo_b) = (_case_limits(s, data, item, x) for item in ("x1", "x3"))
    corners = ((1, up_a, up_b), (-1, lo_a, up_b), (-1, up_a, lo_b), (1, lo_a, lo_b))

    def score(r):
        lik = sum(sign * bivariate_normal_cdf(h, k, r) for sign, h, k in corners)
        return (sum(sign * _bvn_density(h, k, r) for sign, h, k in corners) / lik).sum()

    est = optimize.brentq(score, -0.9, 0.9, xtol=1e-14)
    assert s.correlations.loc["x1", "x3"] == pytest.approx(est, abs=1e-10)


def _case_limits(s, data, item, x):
    codes = pd.factorize(data[item], sort=True)[0]
    edges = np.r_[-np.inf, s.thresholds[s.thresholds.index.str.startswith(f"{item}|")].to_numpy(), np.inf]
    eta = s.slopes.loc[item, "agec"] * x
    return edges[codes + 1] - eta, edges[codes] - eta


def _bvn_density(h, k, r):
    finite = np.isfinite(h) & np.isfinite(k)
    h, k = np.where(finite, h, 0.0), np.where(finite, k, 0.0)
    dens = np.exp(-(h * h - 2 * r * h * k + k * k) / (2 * (1 - r * r))) / (2 * np.pi * np.sqrt(1 - r * r))
    return np.where(finite, dens, 0.0)


def test_residual_polychorics_from_a_poor_start_reach_the_same_maximum(monkeypatch):
    """Started at 0, beyond the reach of the one-evaluation shortcut, every pair goes by
    safeguarded Newton steps to the same estimates and scores."""
    case = load("covariate_grid_wlsmv")
    data = pd.read_csv(REPO / case["data_file"])
    items = case["sampstat"]["res.cov"]["rows"][:8]
    usual = stage1(data, items, covariates=case["exogenous"])
    pairs = covariates_module._polychoric_pairs
    monkeypatch.setattr(covariates_module, "_polychoric_pairs",
                        lambda fits, ia, ib, x, start: pairs(fits, ia, ib, x, np.zeros_like(start)))
    poor = stage1(data, items, covariates=case["exogenous"])
    np.testing.assert_allclose(poor.values, usual.values, rtol=0, atol=1e-9)
    np.testing.assert_allclose(poor.gamma.to_numpy(), usual.gamma.to_numpy(), rtol=0,
                               atol=1e-9 * np.abs(usual.gamma.to_numpy()).max())


def test_continuous_outcomes_are_least_squares_with_residual_correlations():
    case = load("covariate_hs_wlsmv")
    data = pd.read_csv(REPO / case["data_file"])
    s = stage1(data, **arguments(case))
    design = np.column_stack([np.ones(len(data)), data["agec"]])
    cont = ["x7", "x8", "x9"]
    beta = np.linalg.lstsq(design, data[cont].to_numpy(), rcond=None)[0]
    resid = data[cont].to_numpy() - design @ beta
    np.testing.assert_allclose(s.means[cont], beta[0], rtol=1e-12)
    np.testing.assert_allclose(s.slopes.loc[cont, "agec"], beta[1], rtol=1e-10)
    np.testing.assert_allclose(s.variances[cont], resid.var(axis=0), rtol=1e-12)  # divisor N
    np.testing.assert_allclose(s.correlations.loc[cont, cont], np.corrcoef(resid.T), rtol=0, atol=1e-13)
    # the statistic of a continuous outcome is minus its intercept
    assert s.values[s.names.index("x7~1")] == pytest.approx(-beta[0, 0], rel=1e-12)


def test_gamma_of_a_subset_is_the_subset_of_gamma():
    """As without covariates, every row of U involves only its statistic's variables (and the
    covariates), so stage 1 of a subset is a block of the whole."""
    case = load("covariate_hs_wlsmv")
    data = pd.read_csv(REPO / case["data_file"])
    full = stage1(data, **arguments(case))
    part = stage1(data, ["x2", "x5", "x8"], numeric=["x8"], covariates=["agec"])
    np.testing.assert_allclose(part.gamma.to_numpy(), full.gamma.loc[part.names, part.names].to_numpy(),
                               rtol=1e-8, atol=1e-10 * np.abs(full.gamma.to_numpy()).max())


def test_rows_with_a_blank_covariate_are_left_out():
    case = load("covariate_hs_wlsmv")
    data = pd.read_csv(REPO / case["data_file"])
    holed = data.copy()
    holed.loc[:2, "agec"] = np.nan
    s = stage1(holed, ["x1", "x4", "x7"], numeric=["x7"], covariates=["agec"])
    ref = stage1(data.iloc[3:], ["x1", "x4", "x7"], numeric=["x7"], covariates=["agec"])
    assert s.nobs == len(data) - 3
    np.testing.assert_allclose(s.gamma.to_numpy(), ref.gamma.to_numpy(), rtol=1e-10, atol=1e-12)


def test_bad_covariate_arguments_name_the_problem():
    case = load("covariate_hs_wlsmv")
    data = pd.read_csv(REPO / case["data_file"])
    with pytest.raises(ValueError, match=r"'covariates' parameter of stage1 must be a list of columns.*'age'"):
        stage1(data, ["x1", "x2"], covariates=["age"])
    with pytest.raises(ValueError, match=r"'covariates' parameter of stage1 must be a list of columns.*'x2'"):
        stage1(data, ["x1", "x2"], covariates=["x2"])
    with pytest.raises(ValueError, match="'covariates' parameter of stage1 must be a list"):
        stage1(data, ["x1", "x2"], covariates="agec")
    with pytest.raises(ValueError, match="non-constant"):
        stage1(data.assign(one=1.0), ["x1", "x2"], covariates=["one"])
    with pytest.raises(ValueError, match="'missing' parameter of stage1 must be 'listwise' with 'covariates'"):
        stage1(data, ["x1", "x2"], covariates=["agec"], missing="pairwise")
