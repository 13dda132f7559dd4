"""Stage 1 with continuous variables beside the ordered items, against lavaan 0.6.14.

Fixtures (tests/reference/sem_ordinal/, make_fixtures.R): ``mixed_grid_wlsmv`` (30 five-point
items and the continuous outcome years2) and ``mixed_hs_wlsmv`` (Holzinger-Swineford x1..x3 in
three categories, x4..x6 binary, x7..x9 continuous), both without exogenous covariates, so
lavaan's conditional.x is FALSE.

Tolerances: thresholds, means and variances are closed forms in both (1e-10; measured 5e-15);
correlations and covariances 1e-6, because lavaan's nlminb stops within about 1e-7 of the
two-step ML estimates that govstats' Newton steps reach to about 1e-10 (measured: 3.5e-8);
Gamma 1e-6 of its largest entry (measured: 1.6e-8) and the DWLS weights 1e-6 relative.

Pairwise deletion (``mixed_hs_missing_wlsmv``: hs_mixed.csv with 3% of the x1..x9 cells blank,
``missing = "pairwise"``): the same tolerances (measured: statistics 9.6e-8, Gamma 5.4e-8 of its
largest entry) except for the polyserial x4 ~~ x8, where lavaan's nlminb stops after one step
(relative function convergence of the log-likelihood divided by N) 7.1e-6 short of the maximum
govstats reaches, which has the higher two-step log-likelihood (checked with scipy below); that
statistic and its row of Gamma are held to 1e-5 (measured 7.1e-6 and 4.2e-6 of Gamma's largest
entry), the DWLS weights to 2e-5 relative (measured 9.2e-6).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from scipy.stats import norm

from govstats.errors import EmptyCategoryWarning
from govstats.sem.ordinal.stage1 import stage1
from tests_support import lavaan_gamma
from tests_support import load_ordinal_case as load

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "tests" / "reference" / "sem_ordinal"
CASES = ["mixed_grid_wlsmv", "mixed_hs_wlsmv"]




def observed(case: dict) -> list[str]:
    """The model's observed variables in lavaan's order (the rows of its covariance matrix)."""
    return case["sampstat"]["cov"]["rows"]


@pytest.fixture(scope="module", params=CASES)
def computed(request):
    case = load(request.param)
    data = pd.read_csv(REPO / case["data_file"], encoding="utf-8")
    return case, data, stage1(data, observed(case), numeric=case["numeric"])


def test_statistics_are_named_ordered_and_laid_out_as_lavaan(computed):
    case, _, s = computed
    assert s.names == case["stage1_names"]
    assert s.nobs == case["nobs"]
    assert s.numeric == case["numeric"]
    assert list(s.thresholds.index) == case["sample_th"]["names"]
    assert s.categories == {item: c["codes"] for item, c in case["categories"].items()}
    assert s.zero_cell_pairs == case["zero_cell_pairs"]
    lay = s.layout
    assert list(lay.columns) == ["name", "kind", "item", "item2", "k"]
    assert lay["name"].tolist() == s.names
    # lavaan's names tell the kinds apart: x|tk, x~1, x~~x, a~~b
    kinds = ["threshold" if "|" in n else "mean" if n.endswith("~1") else
             "variance" if n.split("~~")[0] == n.split("~~")[-1] else "pair" for n in s.names]
    assert lay["kind"].tolist() == kinds
    means = lay[lay.kind == "mean"]
    assert means["item"].tolist() == case["numeric"] and means["k"].isna().all()
    th = lay[lay.kind == "threshold"]
    assert (th["item"] + "|t" + th["k"].astype(str)).tolist() == th["name"].tolist()
    pairs = lay[lay.kind == "pair"]
    assert (pairs["item"] + "~~" + pairs["item2"]).tolist() == pairs["name"].tolist()
    assert lay.loc[lay.kind != "pair", "item2"].isna().all()


def test_statistics_match_lavaan(computed):
    case, _, s = computed
    values, ref = s.values, np.array(case["wls_obs"])
    exact = (s.layout["kind"] != "pair").to_numpy()
    np.testing.assert_allclose(values[exact], ref[exact], rtol=0, atol=1e-10)
    np.testing.assert_allclose(values[~exact], ref[~exact], rtol=0, atol=1e-6)
    # lavInspect(fit, "sampstat"): thresholds, means (0 for ordinal items), covariances
    sampstat = case["sampstat"]
    np.testing.assert_allclose(s.thresholds, sampstat["th"]["values"], rtol=0, atol=1e-10)
    mean = dict(zip(sampstat["mean"]["names"], sampstat["mean"]["values"]))
    np.testing.assert_allclose(s.means, [mean[v] for v in s.numeric], rtol=0, atol=1e-10)
    assert all(mean[item] == 0 for item in s.items if item not in s.numeric)
    cov = np.array(sampstat["cov"]["values"])
    np.testing.assert_allclose(s.covariances.to_numpy(), cov, rtol=0, atol=1e-6)
    sd = np.sqrt(np.diag(cov))
    np.testing.assert_allclose(s.correlations.to_numpy(), cov / np.outer(sd, sd), rtol=0, atol=1e-6)


def test_gamma_matches_lavaan(computed):
    case, _, s = computed
    ref = lavaan_gamma(case)
    np.testing.assert_allclose(s.gamma.to_numpy(), ref, rtol=0, atol=1e-6 * np.abs(ref).max())
    np.testing.assert_allclose(1 / np.diag(s.gamma), case["wls_v_diag"], rtol=1e-6)


def test_means_and_variances_have_divisor_n(computed):
    """lavaan's mean and variance of a continuous variable are the normal ML estimates
    (lav_uvreg_fit): the variance divides by N, and wls.obs holds minus the mean."""
    case, data, s = computed
    y = data[s.numeric]
    np.testing.assert_allclose(s.means, y.mean(), rtol=1e-14)
    np.testing.assert_allclose(s.variances, y.var(ddof=0), rtol=1e-12)
    assert not np.allclose(s.variances, y.var(ddof=1), rtol=1e-6)
    names = s.names
    for v in s.numeric:
        assert s.values[names.index(f"{v}~1")] == pytest.approx(-y[v].mean(), rel=1e-14)
        assert s.values[names.index(f"{v}~~{v}")] == pytest.approx(y[v].var(ddof=0), rel=1e-12)


def test_polyserial_is_the_two_step_ml_estimate():
    """Olsson's two-step estimator, recomputed by scipy: with the item's thresholds and the
    continuous variable's mean and variance fixed, rho maximizes sum log P(category | y), with
    P(c | y) = Phi((tau_c - rho z) / R) - Phi((tau_{c-1} - rho z) / R), z = (y - mean) / sd,
    R = sqrt(1 - rho^2). lavaan's values within 1e-6."""
    case = load("mixed_hs_wlsmv")
    data = pd.read_csv(REPO / case["data_file"])
    s = stage1(data, observed(case), numeric=case["numeric"])
    cov = pd.DataFrame(case["sampstat"]["cov"]["values"], index=observed(case), columns=observed(case))
    for item, var in [("x1", "x9"), ("x5", "x7")]:
        z = (data[var] - data[var].mean()) / data[var].std(ddof=0)
        codes = pd.factorize(data[item], sort=True)[0]
        tau = np.r_[-np.inf, s.thresholds[s.thresholds.index.str.startswith(f"{item}|")], np.inf]

        def negloglik(r):
            big_r = np.sqrt(1 - r * r)
            p = norm.cdf((tau[codes + 1] - r * z) / big_r) - norm.cdf((tau[codes] - r * z) / big_r)
            return -np.log(p).sum()

        rho = optimize.minimize_scalar(negloglik, bounds=(-0.99, 0.99), method="bounded",
                                       options={"xatol": 1e-10}).x
        assert s.correlations.loc[item, var] == pytest.approx(rho, abs=1e-7)
        # the statistic is the covariance rho sd (lavaan: 0.029 for x1 ~~ x7, not the correlation)
        assert cov.loc[item, var] == pytest.approx(rho * data[var].std(ddof=0), abs=1e-6)
        assert s.covariances.loc[item, var] == pytest.approx(cov.loc[item, var], abs=1e-6)


def test_pearson_between_continuous_variables():
    case = load("mixed_hs_wlsmv")
    data = pd.read_csv(REPO / case["data_file"])
    s = stage1(data, observed(case), numeric=case["numeric"])
    cont = data[["x7", "x8", "x9"]]
    np.testing.assert_allclose(s.correlations.loc[cont.columns, cont.columns], cont.corr(), rtol=0, atol=1e-14)
    np.testing.assert_allclose(s.covariances.loc[cont.columns, cont.columns], cont.cov(ddof=0), rtol=1e-12)


def test_gamma_of_a_subset_is_the_subset_of_gamma():
    """Every row of U = S B^-T H' involves only the variables of its statistic (B is block
    triangular by variable and pair), so Gamma of some of the variables is the corresponding
    block of the whole Gamma: here with a single ordinal item, and in another order."""
    case = load("mixed_hs_wlsmv")
    data = pd.read_csv(REPO / case["data_file"])
    full = stage1(data, observed(case), numeric=case["numeric"])
    part = stage1(data, ["x8", "x2", "x7"], numeric=["x7", "x8"])
    assert part.names == ["x8~1", "x2|t1", "x2|t2", "x7~1", "x8~~x8", "x7~~x7", "x8~~x2", "x8~~x7", "x2~~x7"]
    same = [n if n.count("~~") == 0 or n.split("~~")[0] == n.split("~~")[1]
            else "~~".join(sorted(n.split("~~"), key=observed(case).index)) for n in part.names]
    np.testing.assert_allclose(part.gamma.to_numpy(), full.gamma.loc[same, same].to_numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(part.values, full.values[[full.names.index(n) for n in same]], rtol=1e-10)


def test_all_ordinal_gamma_is_unchanged_by_a_continuous_neighbour():
    """The ordinal statistics' block of Gamma does not depend on the continuous variables: it is
    the all-ordinal stage 1 of the same rows."""
    case = load("mixed_grid_wlsmv")
    data = pd.read_csv(REPO / case["data_file"])
    items = case["ordered"]
    mixed = stage1(data, observed(case), numeric=["years2"])
    plain = stage1(data, items)
    np.testing.assert_allclose(mixed.gamma.loc[plain.names, plain.names], plain.gamma, rtol=1e-12, atol=1e-14)


def test_rows_with_a_blank_are_left_out():
    case = load("mixed_hs_wlsmv")
    data = pd.read_csv(REPO / case["data_file"])
    items = observed(case)
    holed = data.astype(float)
    holed.loc[:4, "x8"] = np.nan
    holed.loc[5:6, "x2"] = np.nan
    s = stage1(holed, items, numeric=case["numeric"])
    assert s.nobs == len(data) - 7
    ref = stage1(data.iloc[7:], items, numeric=case["numeric"])
    np.testing.assert_allclose(s.gamma.to_numpy(), ref.gamma.to_numpy(), rtol=1e-12, atol=1e-12)
    assert s.means["x8"] == pytest.approx(data["x8"].iloc[7:].mean(), rel=1e-14)


def test_empty_categories_warn_for_ordinal_items_only():
    case = load("mixed_grid_wlsmv")
    data = pd.read_csv(REPO / case["data_file"])
    data.loc[data.VS1 == 1, "VS1"] = 2
    with pytest.warns(EmptyCategoryWarning, match="item VS1: nobody chose 1") as record:
        s = stage1(data, ["VS1", "VS2", "years2"], numeric=["years2"], levels=range(1, 6))
    assert "years2" not in str(record[0].message)
    assert s.categories == {"VS1": [2, 3, 4, 5], "VS2": [1, 2, 3, 4, 5]}


def test_bad_numeric_arguments_name_the_problem():
    df = pd.DataFrame({"a": [1, 2, 3, 1, 2], "b": [2, 1, 2, 1, 1], "y": [0.5, 1.5, 2.0, 3.1, 0.2],
                       "c": [4.0] * 5})
    with pytest.raises(ValueError, match=r"'numeric' parameter of stage1 must be a list of names in 'items'.*'z'"):
        stage1(df, ["a", "b", "y"], numeric=["z"])
    with pytest.raises(ValueError, match="'numeric' parameter of stage1 must be a list"):
        stage1(df, ["a", "b", "y"], numeric="y")
    with pytest.raises(ValueError, match="'numeric' parameter of stage1 must leave at least one ordinal item"):
        stage1(df, ["y", "c"], numeric=["y", "c"])
    with pytest.raises(ValueError, match=r"nonzero variance; \['c'\]"):
        stage1(df, ["a", "c"], numeric=["c"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert stage1(df, ["a", "b"], numeric=[]).numeric == []  # an empty list: all ordinal
    # pairwise: a continuous variable never observed, or observed beside an item only once
    holed = df.assign(w=np.nan, y=[np.nan, np.nan, np.nan, 3.1, 0.2], a=[1, 2, 3, 1, np.nan])
    with pytest.raises(ValueError, match=r"nonzero variance; \['w'\] are constant \(or never observed\)"):
        stage1(holed, ["a", "w"], numeric=["w"], missing="pairwise")
    with pytest.raises(ValueError, match="Items 'a' and 'y' are answered together by fewer than two respondents"):
        stage1(holed, ["a", "y"], numeric=["y"], missing="pairwise")


# ---- pairwise deletion ----------------------------------------------------------------------------
MISSING_CASE = "mixed_hs_missing_wlsmv"
LAVAAN_EARLY_STOP = "x4~~x8"  # lavaan's nlminb stops 7.1e-6 short of the maximum here (see above)


@pytest.fixture(scope="module")
def pairwise():
    case = load(MISSING_CASE)
    data = pd.read_csv(REPO / case["data_file"], encoding="utf-8")
    return case, data, stage1(data, observed(case), numeric=case["numeric"], missing="pairwise")


def test_pairwise_statistics_match_lavaan(pairwise):
    case, data, s = pairwise
    assert s.names == case["stage1_names"]
    assert s.nobs == case["nobs"] == len(data)  # every row has a value
    assert s.categories == {item: c["codes"] for item, c in case["categories"].items()}
    values, ref = s.values, np.array(case["wls_obs"])
    exact = (s.layout["kind"] != "pair").to_numpy()
    early = np.array([n == LAVAAN_EARLY_STOP for n in s.names])
    np.testing.assert_allclose(values[exact], ref[exact], rtol=0, atol=1e-10)
    np.testing.assert_allclose(values[~exact & ~early], ref[~exact & ~early], rtol=0, atol=1e-6)
    np.testing.assert_allclose(values[early], ref[early], rtol=0, atol=1e-5)
    # every pair from the rows observing both
    seen = data[s.items].notna().astype(int)
    pd.testing.assert_frame_equal(s.pair_nobs, seen.T @ seen, check_names=False)


def test_pairwise_gamma_matches_lavaan(pairwise):
    case, _, s = pairwise
    ref, gamma = lavaan_gamma(case), s.gamma.to_numpy()
    other = np.array([n != LAVAAN_EARLY_STOP for n in s.names])
    scale = np.abs(ref).max()
    np.testing.assert_allclose(gamma[np.ix_(other, other)], ref[np.ix_(other, other)], rtol=0, atol=1e-6 * scale)
    np.testing.assert_allclose(gamma, ref, rtol=0, atol=1e-5 * scale)
    np.testing.assert_allclose(1 / np.diag(gamma), case["wls_v_diag"], rtol=2e-5)
    np.testing.assert_allclose((1 / np.diag(gamma))[other], np.array(case["wls_v_diag"])[other], rtol=1e-6)


def test_pairwise_moments_use_the_cases_observed(pairwise):
    """lav_uvreg_init_cache drops a variable's blanks: mean and variance (divisor the number
    observed, not N) of the cases observed on it."""
    _, data, s = pairwise
    y = data[s.numeric]
    assert y.isna().sum().min() > 0
    np.testing.assert_allclose(s.means, y.mean(), rtol=1e-14)  # pandas skips blanks
    np.testing.assert_allclose(s.variances, y.var(ddof=0), rtol=1e-12)
    assert not np.allclose(s.variances, ((y - y.mean()) ** 2).sum() / len(y), rtol=1e-4)


def test_pairwise_polyserial_is_the_two_step_estimate_of_the_complete_pairs(pairwise):
    """Each polyserial uses the rows observing both variables, with the thresholds and the
    moments from each variable's own observed rows; at x4 ~~ x8 govstats' estimate has the
    higher log-likelihood than lavaan's (which stopped early)."""
    case, data, s = pairwise
    ref = pd.DataFrame(case["sampstat"]["cov"]["values"], index=observed(case), columns=observed(case))
    for item, var in [("x1", "x9"), ("x4", "x8")]:
        both = data[[item, var]].dropna()
        z = ((both[var] - s.means[var]) / np.sqrt(s.variances[var])).to_numpy()
        codes = pd.factorize(both[item], sort=True)[0]
        tau = np.r_[-np.inf, s.thresholds[s.thresholds.index.str.startswith(f"{item}|")], np.inf]

        def loglik(r):
            big_r = np.sqrt(1 - r * r)
            return np.log(norm.cdf((tau[codes + 1] - r * z) / big_r) - norm.cdf((tau[codes] - r * z) / big_r)).sum()

        rho = optimize.minimize_scalar(lambda r: -loglik(r), bounds=(-0.99, 0.99), method="bounded",
                                       options={"xatol": 1e-10}).x
        ours = s.correlations.loc[item, var]
        assert ours == pytest.approx(rho, abs=1e-7)
        lavaans = ref.loc[item, var] / np.sqrt(ref.loc[var, var])
        assert loglik(ours) >= loglik(lavaans)
    assert abs(ours - lavaans) > 5e-6  # x4 ~~ x8: lavaan stopped short


def test_pairwise_pearson_is_the_two_step_ml_estimate_with_blanks(pairwise):
    """With blanks lavaan's correlation of two continuous variables is not Pearson's but the
    bivariate normal ML estimate over the rows observing both, means and variances fixed at
    their univariate estimates (lav_bvreg_cor_twostep_fit)."""
    _, data, s = pairwise
    both = data[["x7", "x8"]].dropna()
    z = ((both - s.means[["x7", "x8"]]) / np.sqrt(s.variances[["x7", "x8"]])).to_numpy()

    def negloglik(r):
        q = (z[:, 0] ** 2 - 2 * r * z[:, 0] * z[:, 1] + z[:, 1] ** 2) / (1 - r * r)
        return (np.log(1 - r * r) / 2 + q / 2).sum()

    rho = optimize.minimize_scalar(negloglik, bounds=(-0.99, 0.99), method="bounded", options={"xatol": 1e-10}).x
    assert s.correlations.loc["x7", "x8"] == pytest.approx(rho, abs=1e-7)
    assert abs(s.correlations.loc["x7", "x8"] - both.corr().iloc[0, 1]) > 1e-4


def test_pairwise_without_blanks_is_listwise():
    case = load("mixed_hs_wlsmv")
    data = pd.read_csv(REPO / case["data_file"])
    listwise = stage1(data, observed(case), numeric=case["numeric"])
    pairwise = stage1(data, observed(case), numeric=case["numeric"], missing="pairwise")
    np.testing.assert_array_equal(pairwise.values, listwise.values)
    np.testing.assert_array_equal(pairwise.gamma.to_numpy(), listwise.gamma.to_numpy())
    assert pairwise.pair_nobs.to_numpy().min() == len(data) and listwise.pair_nobs is None


def test_pairwise_keeps_rows_with_any_value_and_drops_empty_ones(pairwise):
    """N is the number of rows with at least one value (lav_data_full's empty.idx); a row
    blank everywhere changes nothing."""
    case, data, s = pairwise
    padded = pd.concat([data, pd.DataFrame(np.nan, index=[len(data)], columns=data.columns)])
    t = stage1(padded, observed(case), numeric=case["numeric"], missing="pairwise")
    assert t.nobs == s.nobs == len(data)
    np.testing.assert_array_equal(t.values, s.values)
    holed = data.copy()
    holed.loc[0, s.items[1:]] = np.nan  # a row with only x1
    u = stage1(holed, observed(case), numeric=case["numeric"], missing="pairwise")
    assert u.nobs == len(data) and u.pair_nobs.loc["x1", "x1"] == s.pair_nobs.loc["x1", "x1"]
