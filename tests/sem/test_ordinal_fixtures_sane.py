"""The lavaan WLSMV fixtures in tests/reference/sem_ordinal/ are complete and consistent.

These tests check only that the fixtures are well-formed and were made from the committed models
and data (and document what lavaan's stage-1 statistics are, in which order, and how lavaan treats
ULSMV, the theta parameterization, missing values, empty categories and empty cells); comparisons
of govstats with them live with the code they test. Regenerate them with
``Rscript tests/reference/sem_ordinal/make_fixtures.R`` from the repository root (see the README
in that folder).

Tolerances: identities lavaan computes exactly (thresholds as qnorm of proportions, the
scaled-shifted formula, weights as 1 / diag(Gamma)) hold to 1e-10 relative or 1e-12 absolute;
what depends on lavaan's optimizer stopping (theta against delta, a tetrachoric correlation
recomputed here by quadrature) to 1e-5 or 1e-6 as stated at each assertion.
"""

from __future__ import annotations

import gzip
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, special, stats

from govstats import load_instrument
from govstats.resources import seed_instrument_path
from tests_support import lavaan_gamma as read_gamma
from tests_support import load_ordinal_case as load

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "tests" / "reference" / "sem_ordinal"
# case -> the sem() arguments after model, data and ordered, as the call records them
CASE_OPTIONS = {
    "hs_binary_wlsmv": 'estimator = "WLSMV"',
    "ri_asset_wlsmv": 'estimator = "WLSMV"',
    "grid_governance_wlsmv": 'estimator = "WLSMV"',
    "grid_governance_missing_wlsmv": 'estimator = "WLSMV", missing = "pairwise"',
    "grid_governance_ulsmv": 'estimator = "ULSMV"',
    "hs_binary_ulsmv": 'estimator = "ULSMV"',
    "hs_binary_theta": 'estimator = "WLSMV", parameterization = "theta"',
    "grid_governance_theta": 'estimator = "WLSMV", parameterization = "theta"',
    "empty_category_wlsmv": 'estimator = "WLSMV"',
    "hs_binary_sparse_wlsmv": 'estimator = "WLSMV"',
}
CASES = list(CASE_OPTIONS)
# the same stage 1 fitted by WLSMV in the delta parameterization
SAME_STAGE1 = {
    "grid_governance_ulsmv": "grid_governance_wlsmv",
    "hs_binary_ulsmv": "hs_binary_wlsmv",
    "hs_binary_theta": "hs_binary_wlsmv",
    "grid_governance_theta": "grid_governance_wlsmv",
}
GRID_GOVERNANCE = REPO / "data" / "synthetic" / "grid_governance.csv"
HOLZINGER = REPO / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv"
PARAM_KEYS = {
    "lhs", "op", "rhs", "group", "label", "free", "est", "se", "z", "pvalue",
    "ci.lower", "ci.upper", "std.lv", "std.all", "std.nox",
}
FIT_KEYS = {
    "npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
    "chisq.scaling.factor", "baseline.chisq.scaled", "cfi",
    "cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr",
}




def data_of(case: dict) -> pd.DataFrame:
    return pd.read_csv(REPO / case["data_file"], encoding="utf-8")[case["ordered"]]


def called_with(case: dict, key: str, default: str) -> str:
    """The value of one sem() argument in the recorded call."""
    found = re.search(rf'{re.escape(key)} = "([^"]+)"', case["call"])
    return found.group(1) if found else default


def is_theta(case: dict) -> bool:
    return called_with(case, "parameterization", "delta") == "theta"


def tetrachoric(table: np.ndarray, h: float, k: float) -> float:
    """ML correlation of a 2x2 table of counts with the thresholds h (rows) and k (columns) fixed."""
    def phi2(r):  # P(Z1 < h, Z2 < k) for correlation r, by Plackett's identity (quadrature in r)
        density = lambda t: np.exp(-(h * h - 2 * t * h * k + k * k) / (2 * (1 - t * t))) / (
            2 * np.pi * np.sqrt(1 - t * t))
        return stats.norm.cdf(h) * stats.norm.cdf(k) + integrate.quad(density, 0, r, epsabs=1e-14,
                                                                       epsrel=1e-13)[0]

    def nll(r):
        p00, p0_, p_0 = phi2(r), stats.norm.cdf(h), stats.norm.cdf(k)
        probs = np.array([[p00, p0_ - p00], [p_0 - p00, 1 - p0_ - p_0 + p00]])
        return -special.xlogy(table, probs).sum()  # an empty cell adds nothing

    return optimize.minimize_scalar(nll, bounds=(-0.999, 0.999), method="bounded",
                                    options={"xatol": 1e-10}).x


@pytest.mark.parametrize("name", CASES)
def test_header_options_and_inputs(name):
    case = load(name)
    assert case["case"] == name
    assert re.fullmatch(r"0\.6\.\d+", case["lavaan_version"])
    assert case["call"] == (
        f"sem(model = model, data = {case['data_file'].split('/')[-1][:-4]}, "
        f"ordered = items, {CASE_OPTIONS[name]})"
    )
    # lavaan warns about none of them: not about empty categories, nor about empty cells
    # (zero.cell.warn is FALSE), nor about pairwise deletion.
    assert case["converged"] is True and case["warnings"] == []
    assert case["model"] == (REPO / case["model_file"]).read_text(encoding="utf-8").rstrip("\n")
    o = case["options"]
    # What estimator = "WLSMV" (and "ULSMV") means in lavaan 0.6.14.
    estimator = {"WLSMV": "DWLS", "ULSMV": "ULS"}[called_with(case, "estimator", "")]
    assert o["estimator"] == estimator and o["se"] == ["robust.sem"]
    assert o["test"] == ["scaled.shifted"]
    assert o["parameterization"] == called_with(case, "parameterization", "delta")
    assert o["meanstructure"] is True and o["missing"] == called_with(case, "missing", "listwise")
    assert o["zero.add"] == [0.5, 0] and o["zero.keep.margins"] is True and o["zero.cell.warn"] is False
    timing = case["timing"]
    assert timing["reps"] == len(timing["seconds"]) == len(timing["cpu_seconds"]) == 5
    assert timing["median_seconds"] == pytest.approx(float(np.median(timing["seconds"])))
    assert timing["median_cpu_seconds"] > 0


def test_instrument_models_are_the_instruments_current_syntax():
    for name in ("ri_asset", "grid_governance"):
        syntax = load_instrument(seed_instrument_path(name)).model_syntax()
        assert (REFERENCE / "models" / f"{name}.lav").read_text(encoding="utf-8") == syntax


def test_binary_data_are_holzinger_swineford_split_at_the_median():
    hs = pd.read_csv(REPO / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv")
    binary = pd.read_csv(REFERENCE / "hs_binary.csv")
    items = [f"x{i}" for i in range(1, 10)]
    assert list(binary.columns) == items
    expected = (hs[items] > hs[items].median()).astype(int)
    pd.testing.assert_frame_equal(binary, expected)


@pytest.mark.parametrize("name", CASES)
def test_params_thresholds_and_standardized_solution(name):
    case = load(name)
    params = case["params"]
    assert all(set(p) == PARAM_KEYS for p in params)
    free = [p for p in params if p["free"] > 0]
    assert len(free) == case["npar"] == case["fit"]["npar"]
    assert sorted(p["free"] for p in free) == list(range(1, case["npar"] + 1))
    assert all(math.isfinite(p["est"]) and p["se"] > 0 for p in free)
    # Thresholds are free parameters "item | t<k>"; with a saturated threshold structure their
    # standardized values are the sample thresholds: the estimates themselves in the delta
    # parameterization, the estimates times the scaling factors (below) in the theta one.
    th = {f"{p['lhs']}|{p['rhs']}": p for p in params if p["op"] == "|"}
    assert list(th) == case["sample_th"]["names"] == case["th"]["names"]
    assert all(p["free"] > 0 for p in th.values())
    scale = dict(zip(case["scaling_factors"]["names"], case["scaling_factors"]["values"]))
    assert list(scale) == case["ordered"]
    standardized = [p["est"] * scale[p["lhs"]] for p in th.values()]
    np.testing.assert_allclose(standardized, case["implied_th"]["values"], atol=1e-12)
    np.testing.assert_allclose(case["th"]["values"], case["implied_th"]["values"], atol=1e-15)
    # theta: equal to the optimizer's tolerance only (delta: exactly)
    np.testing.assert_allclose(standardized, case["sample_th"]["values"], atol=1e-5 if is_theta(case) else 1e-8)
    # The scaling factors are fixed "item ~*~ item" rows: 1 / the model-implied SD of the latent
    # response. Delta: the latent responses have unit variance, the factors are 1 and each
    # item's residual variance is fixed at 1 - R^2. Theta: the residual variances are fixed at 1,
    # so the latent response's variance is 1 / (1 - R^2) and its scaling factor sqrt(1 - R^2).
    resid = {p["lhs"]: p for p in params if p["op"] == "~~" and p["lhs"] == p["rhs"]}
    scaling = {p["lhs"]: p for p in params if p["op"] == "~*~"}
    assert list(scaling) == case["ordered"]
    for item in case["ordered"]:
        assert resid[item]["free"] == scaling[item]["free"] == 0
        assert scaling[item]["est"] == pytest.approx(scale[item], abs=1e-12)
        if is_theta(case):
            assert resid[item]["est"] == 1
            assert scale[item] ** 2 == pytest.approx(1 - case["r2"][item], abs=1e-10)
        else:
            assert scale[item] == 1
            assert resid[item]["est"] == pytest.approx(1 - case["r2"][item], abs=1e-8)
    std = case["std_solution"]
    keys = [(p["lhs"], p["op"], p["rhs"]) for p in params]
    assert [(s["lhs"], s["op"], s["rhs"]) for s in std] == keys


@pytest.mark.parametrize("name", CASES)
def test_fit_measures(name):
    case = load(name)
    fit = case["fit"]
    uls = case["options"]["estimator"] == "ULS"
    for key in FIT_KEYS - ({"pvalue"} if uls else set()):
        assert fit.get(key) is not None and math.isfinite(fit[key]), key
    if uls:
        # The ULS fit function times N is not chi-square distributed: lavaan reports the unscaled
        # statistic with refdistr "unknown" and no p-values (pvalue, baseline.pvalue are NA).
        assert fit["pvalue"] is None and fit["baseline.pvalue"] is None
        assert case["test"]["standard"]["refdistr"] == "unknown"
        assert case["test"]["standard"]["pvalue"] is None
    p = len(case["ordered"])
    n_th = len(case["sample_th"]["names"])
    # df = thresholds + polychorics - free parameters.
    assert fit["df"] == n_th + p * (p - 1) // 2 - case["npar"]
    # Scaled and shifted: the df are kept and chisq.scaled = chisq / c + shift, with c and the
    # shift as lavaan stores them in lavInspect(fit, "test") (fitMeasures has no shift).
    test = case["test"]["scaled.shifted"]
    assert case["test"]["standard"]["stat"] == pytest.approx(fit["chisq"], rel=1e-12)
    assert fit["df.scaled"] == fit["df"] == test["df"]
    assert test["scaling.factor"] == pytest.approx(fit["chisq.scaling.factor"], rel=1e-12)
    assert fit["chisq.scaled"] == pytest.approx(
        fit["chisq"] / test["scaling.factor"] + test["shift.parameter"], rel=1e-10
    )
    # lavaan's simple second-order correction: c = sqrt(tr((U Gamma)^2) / df),
    # shift = df - sqrt(df tr(U Gamma)^2 / tr((U Gamma)^2)).
    df, t1, t2 = test["df"], test["trace.UGamma"], test["trace.UGamma2"]
    assert test["scaling.factor"] == pytest.approx(np.sqrt(t2 / df), rel=1e-10)
    assert test["shift.parameter"] == pytest.approx(df - np.sqrt(df * t1**2 / t2), rel=1e-10)


@pytest.mark.parametrize("name", CASES)
def test_stage1_order_weights_and_gamma(name):
    case = load(name)
    items = case["ordered"]
    th_names = case["sample_th"]["names"]
    # Thresholds first, item by item in model order, then the polychorics below the diagonal
    # column by column: x1~~x2, x1~~x3, ..., x2~~x3, ...
    cor_names = [f"{a}~~{b}" for i, a in enumerate(items) for b in items[i + 1:]]
    assert case["stage1_names"] == th_names + cor_names
    assert [n.split("|")[0] for n in th_names] == sorted(
        (n.split("|")[0] for n in th_names), key=items.index
    )
    cov = np.array(case["sample_cov"]["values"])
    assert case["sample_cov"]["names"] == items
    np.testing.assert_allclose(np.diag(cov), 1)
    rows, cols = np.triu_indices(len(items), 1)
    expected = np.r_[case["sample_th"]["values"], cov[rows, cols]]
    np.testing.assert_array_equal(case["wls_obs"], expected)
    gamma = read_gamma(case)
    np.testing.assert_allclose(np.diag(gamma), case["gamma_diag"], rtol=1e-11)
    # Gamma = N A^-1 (S'S) A^-T from N casewise score rows that sum to zero, so its rank is at
    # most N - 1: ri_asset has 984 statistics and N = 600, a singular Gamma of rank 599 (DWLS
    # inverts only its diagonal). A 2x2 table with an empty cell has three occupied cells, so
    # that pair's correlation scores are a combination of its two items' threshold scores: one
    # rank less per such table (hs_binary_sparse: 45 statistics, rank 43). Larger tables with
    # empty cells (most five-point cases here) lose nothing.
    eig = np.linalg.eigvalsh(gamma)
    assert eig.min() > -1e-9 * eig.max()
    rank = int((eig > 1e-9 * eig.max()).sum())
    binary = {item for item, c in case["categories"].items() if len(c["codes"]) == 2}
    empty_2x2 = [p for p in case["zero_cell_pairs"] if set(p.split("~~")) <= binary]
    assert rank == min(len(gamma), case["nobs"] - 1) - len(empty_2x2)
    if case["options"]["estimator"] == "DWLS":
        # The DWLS weights are the inverse of Gamma's diagonal.
        np.testing.assert_allclose(case["wls_v_diag"], 1 / np.diag(gamma), rtol=1e-10)
    else:
        # ULS: unit weights; Gamma still enters the robust SEs and the scaled-shifted test.
        assert case["wls_v_diag"] == [1] * len(gamma)


@pytest.mark.parametrize("name", sorted(SAME_STAGE1))
def test_ulsmv_and_theta_share_stage1_with_wlsmv(name):
    # The estimator and the parameterization change only stage 2: thresholds, polychorics and
    # Gamma are those of the delta-parameterized WLSMV fit of the same data.
    case, wlsmv = load(name), load(SAME_STAGE1[name])
    assert case["data_file"] == wlsmv["data_file"] and case["model"] == wlsmv["model"]
    for key in ("stage1_names", "wls_obs", "sample_th", "sample_cov", "gamma_diag"):
        assert case[key] == wlsmv[key], key
    with gzip.open(REPO / case["gamma_file"], "rb") as a, gzip.open(REPO / wlsmv["gamma_file"], "rb") as b:
        assert a.read() == b.read()
    assert case["npar"] == wlsmv["npar"] and case["fit"]["df"] == wlsmv["fit"]["df"]


@pytest.mark.parametrize("name", ["hs_binary_theta", "grid_governance_theta"])
def test_theta_is_a_reparameterization_of_delta(name):
    # Same model, same fit: the test statistics, fit measures and standardized solution agree
    # with the delta parameterization to lavaan's optimizer tolerance (observed: 1e-7 relative
    # for the fit measures, 1e-5 absolute for the standardized solution).
    case, delta = load(name), load(SAME_STAGE1[name])
    for key in ("chisq", "chisq.scaled", "cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr"):
        assert case["fit"][key] == pytest.approx(delta["fit"][key], rel=1e-6), key
    std = {(s["lhs"], s["op"], s["rhs"]): s["est.std"] for s in delta["std_solution"]}
    for s in case["std_solution"]:
        if s["op"] != "~*~":  # delta's scaling factors are all 1
            assert s["est.std"] == pytest.approx(std[s["lhs"], s["op"], s["rhs"]], abs=2e-5)
    np.testing.assert_allclose(case["implied_cov"]["values"], delta["implied_cov"]["values"], atol=2e-5)


@pytest.mark.parametrize("name", CASES)
def test_sample_thresholds_come_from_the_committed_data(name):
    case = load(name)
    data = data_of(case)
    # Listwise: the complete rows. Pairwise (the missing-value case): every row, each item's
    # thresholds from the values observed on that item.
    complete = case["options"]["missing"] == "listwise"
    assert case["nobs"] == (len(data.dropna()) if complete else len(data))
    expected, names = [], []
    for item in case["ordered"]:
        counts = data[item].value_counts().sort_index()
        assert case["categories"][item] == {
            "codes": counts.index.tolist(), "counts": counts.tolist(), "n_missing": int(data[item].isna().sum())
        }
        shares = (counts.cumsum() / counts.sum()).to_numpy()[:-1]
        expected.extend(stats.norm.ppf(shares))
        # thresholds are numbered over the categories that occur, whatever their codes
        names.extend(f"{item}|t{k}" for k in range(1, len(counts)))
    assert case["sample_th"]["names"] == names
    np.testing.assert_allclose(case["sample_th"]["values"], expected, atol=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_zero_cell_pairs_are_the_empty_cells_of_the_data(name):
    case = load(name)
    data = data_of(case)
    items = case["ordered"]
    codes = {item: pd.factorize(data[item], sort=True)[0] for item in items}  # -1 for missing
    empty = []
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            ka, kb = codes[a].max() + 1, codes[b].max() + 1
            seen = (codes[a] >= 0) & (codes[b] >= 0)
            table = np.bincount(codes[a][seen] * kb + codes[b][seen], minlength=ka * kb)
            if (table == 0).any():
                empty.append(f"{a}~~{b}")
    assert case["zero_cell_pairs"] == empty


def test_missing_values_are_three_percent_of_the_item_cells_at_random():
    case = load("grid_governance_missing_wlsmv")
    full = pd.read_csv(GRID_GOVERNANCE, encoding="utf-8")
    blanked = pd.read_csv(REPO / case["data_file"], encoding="utf-8")
    items = case["ordered"]
    assert list(blanked.columns) == list(full.columns)
    others = [c for c in full.columns if c not in items]
    pd.testing.assert_frame_equal(blanked[others], full[others])
    missing = blanked[items].isna()
    assert int(missing.to_numpy().sum()) == round(0.03 * missing.size) == 540
    observed = ~missing.to_numpy()
    np.testing.assert_array_equal(blanked[items].to_numpy()[observed], full[items].to_numpy()[observed])
    # completely at random: spread over items and respondents, no respondent left without answers
    assert missing.sum().min() == 9 and missing.sum().max() == 27 and missing.sum(axis=1).max() == 5
    assert not missing.all(axis=1).any()


def test_empty_categories_are_recodes_of_the_first_400_respondents():
    case = load("empty_category_wlsmv")
    data = pd.read_csv(REPO / case["data_file"], encoding="utf-8")
    expected = pd.read_csv(GRID_GOVERNANCE, encoding="utf-8").head(400)
    expected["VS1"] = expected["VS1"].replace(1, 2)
    expected["IS1"] = expected["IS1"].replace(3, 4)
    pd.testing.assert_frame_equal(data, expected)
    # VS1 lost its bottom category, IS1 its middle one; lavaan silently fits three thresholds
    # for each, numbered t1..t3 over the codes that occur (VS1: 2|3, 3|4, 4|5; IS1: 1|2, 2|4, 4|5).
    assert case["categories"]["VS1"]["codes"] == [2, 3, 4, 5]
    assert case["categories"]["IS1"]["codes"] == [1, 2, 4, 5]
    names = case["sample_th"]["names"]
    assert [n for n in names if n.startswith(("VS1|", "IS1|"))] == [
        "VS1|t1", "VS1|t2", "VS1|t3", "IS1|t1", "IS1|t2", "IS1|t3"]
    assert len(names) == 4 * 30 - 2 and case["npar"] == 159 - 2
    # Gamma is 553 x 553 from 400 rows: rank 399
    assert len(case["stage1_names"]) > case["nobs"]


def test_sparse_binary_data_are_rare_splits_of_holzinger_swineford():
    case = load("hs_binary_sparse_wlsmv")
    data = pd.read_csv(REPO / case["data_file"], encoding="utf-8")
    expected = pd.read_csv(REFERENCE / "hs_binary.csv").head(120)
    raw = pd.read_csv(HOLZINGER).head(120)
    for item, q in (("x4", 0.90), ("x8", 0.93)):  # R's quantile type 1 is numpy's inverted_cdf
        expected[item] = (raw[item] > np.quantile(raw[item], q, method="inverted_cdf")).astype("int64")
    pd.testing.assert_frame_equal(data, expected)
    assert data[["x4", "x8"]].sum().tolist() == [12, 8]
    assert case["zero_cell_pairs"] == ["x4~~x8", "x7~~x8"]


def test_empty_cells_of_2x2_tables_get_half_a_count_keeping_the_margins():
    # zero.add = c(0.5, 0) with zero.keep.margins = TRUE: in a 2x2 table with one empty cell,
    # lavaan adds 0.5 to that cell and to the other cell on its diagonal and takes 0.5 from the
    # two cells off it, so the margins (and thresholds) stay; larger tables get nothing
    # (zero.add[2] = 0). The tetrachoric is then the ML estimate from the adjusted table.
    # Recomputed here by quadrature: lavaan's values within 1e-6 (observed 2e-8); from the
    # unadjusted tables the correlations would be far off (-0.945 and 0.980).
    case = load("hs_binary_sparse_wlsmv")
    data = data_of(case)
    names = case["sample_cov"]["names"]
    cov = np.array(case["sample_cov"]["values"])
    for a, b, off_diagonal in (("x4", "x8", False), ("x7", "x8", True)):
        table = pd.crosstab(data[a], data[b]).to_numpy().astype(float)
        empty = table == 0
        assert empty.sum() == 1 and bool(empty[0, 1] or empty[1, 0]) == off_diagonal
        h, k = stats.norm.ppf(table[0].sum() / table.sum()), stats.norm.ppf(table[:, 0].sum() / table.sum())
        sign = 1 if off_diagonal else -1
        adjusted = table + sign * 0.5 * np.array([[-1, 1], [1, -1]])
        np.testing.assert_array_equal(adjusted.sum(axis=0), table.sum(axis=0))
        lavaan_rho = cov[names.index(a), names.index(b)]
        assert lavaan_rho == pytest.approx(tetrachoric(adjusted, h, k), abs=1e-6)
        assert abs(lavaan_rho - tetrachoric(table, h, k)) > 0.3
    # a table without empty cells is left alone
    table = pd.crosstab(data["x1"], data["x2"]).to_numpy().astype(float)
    h, k = stats.norm.ppf(table[0].sum() / table.sum()), stats.norm.ppf(table[:, 0].sum() / table.sum())
    assert cov[names.index("x1"), names.index("x2")] == pytest.approx(tetrachoric(table, h, k), abs=1e-6)


def test_gamma_of_a_threshold_is_its_scaled_asymptotic_variance():
    # Gamma is N times the asymptotic covariance: for one threshold tau = qnorm(p),
    # N var(tau) = p (1 - p) / phi(tau)^2.
    case = load("hs_binary_wlsmv")
    data = data_of(case)
    share = (data == 0).mean().to_numpy()
    tau = stats.norm.ppf(share)
    expected = share * (1 - share) / stats.norm.pdf(tau) ** 2
    np.testing.assert_allclose(np.diag(read_gamma(case))[:9], expected, rtol=1e-10)


# ---- continuous variables beside the ordered items ---------------------------------------------
# case -> (its continuous variables, the exogenous ones among them); all are WLSMV fits
MIXED = {
    "mixed_grid_wlsmv": (["years2"], []),
    "mixed_hs_wlsmv": (["x7", "x8", "x9"], []),
    "covariate_grid_wlsmv": (["age2"], ["age2"]),
    "covariate_hs_wlsmv": (["x7", "x8", "x9", "agec"], ["agec"]),
    "mixed_hs_missing_wlsmv": (["x7", "x8", "x9"], []),
}
# the mixed cases fitted with missing = "pairwise" (the others: lavaan's default, listwise)
MIXED_PAIRWISE = {"mixed_hs_missing_wlsmv"}
# the added line of each derived model (after a comment line) and the model it extends
EXTENDED_MODELS = {
    "grid_governance_mixed": ("grid_governance", "years2 ~ ID + CN"),
    "grid_governance_covariate": ("grid_governance", "ID ~ age2"),
    "hs_covariate": ("hs_binary_cfa", "visual + textual + speed ~ agec"),
}


def endogenous(case: dict) -> list[str]:
    """The model's observed variables other than exogenous covariates, in lavaan's order."""
    key = "res.cov" if case["conditional_x"] else "cov"
    return case["sampstat"][key]["rows"]


@pytest.mark.parametrize("name", sorted(MIXED))
def test_mixed_header_options_and_inputs(name):
    case = load(name)
    numeric, exogenous = MIXED[name]
    assert case["case"] == name
    pairwise = name in MIXED_PAIRWISE
    assert case["call"] == (f"sem(model = model, data = {case['data_file'].split('/')[-1][:-4]}, "
                            f"ordered = items, estimator = \"WLSMV\""
                            + (', missing = "pairwise")' if pairwise else ")"))
    assert case["converged"] is True and case["warnings"] == []
    assert case["model"] == (REPO / case["model_file"]).read_text(encoding="utf-8").rstrip("\n")
    assert case["numeric"] == numeric and case["exogenous"] == exogenous
    # an exogenous observed covariate switches lavaan to conditional.x = TRUE (its default)
    assert case["conditional_x"] is bool(exogenous) and case["options"]["conditional.x"] is bool(exogenous)
    o = case["options"]
    assert o["estimator"] == "DWLS" and o["se"] == ["robust.sem"] and o["test"] == ["scaled.shifted"]
    assert o["parameterization"] == "delta" and o["missing"] == ("pairwise" if pairwise else "listwise")
    assert o["fixed.x"] is bool(exogenous)  # lavaan's fixed.x = "default" resolves so
    # ordered = every observed variable that is not continuous, in model order
    rows = endogenous(case)
    assert case["ordered"] == [v for v in rows if v not in numeric]
    assert case["sample_cov"]["names"] == rows and case["implied_cov"]["names"] == rows
    assert case["timing"]["reps"] == len(case["timing"]["cpu_seconds"]) == 5


def test_mixed_models_extend_the_committed_models_by_one_line():
    for name, (base, line) in EXTENDED_MODELS.items():
        text = (REFERENCE / "models" / f"{name}.lav").read_text(encoding="utf-8")
        lines = (REFERENCE / "models" / f"{base}.lav").read_text(encoding="utf-8").splitlines()
        extra = text.splitlines()[len(lines):]
        assert text.splitlines()[:len(lines)] == lines
        assert len(extra) == 2 and extra[0].startswith("# ") and extra[1] == line


def test_mixed_data_are_derived_from_the_committed_data():
    grid = pd.read_csv(GRID_GOVERNANCE, encoding="utf-8")
    mixed = pd.read_csv(REFERENCE / "grid_governance_mixed.csv", encoding="utf-8")
    assert list(mixed.columns) == list(grid.columns) + ["age2", "years2"]
    pd.testing.assert_frame_equal(mixed[grid.columns], grid)
    np.testing.assert_array_equal(mixed["age2"], grid["age"] / 10)
    np.testing.assert_array_equal(mixed["years2"], grid["years_in_community"] / 10)

    raw = pd.read_csv(HOLZINGER)
    hs = pd.read_csv(REFERENCE / "hs_mixed.csv")
    assert list(hs.columns) == [f"x{i}" for i in range(1, 10)] + ["agec"]
    for item in ("x1", "x2", "x3"):  # tertiles, R's quantile type 1 = numpy's inverted_cdf
        cuts = np.quantile(raw[item], [1 / 3, 2 / 3], method="inverted_cdf")
        np.testing.assert_array_equal(hs[item], 1 + (raw[item] > cuts[0]) + (raw[item] > cuts[1]))
        assert hs[item].value_counts().min() >= 84  # three well-filled categories
    binary = pd.read_csv(REFERENCE / "hs_binary.csv")
    pd.testing.assert_frame_equal(hs[["x4", "x5", "x6"]], binary[["x4", "x5", "x6"]])
    pd.testing.assert_frame_equal(hs[["x7", "x8", "x9"]], raw[["x7", "x8", "x9"]])
    np.testing.assert_allclose(hs["agec"], raw["ageyr"] + raw["agemo"] / 12 - 13, rtol=0, atol=1e-13)

    # hs_mixed_missing.csv: exactly 3% of the x1..x9 cells blank (81 of 301 x 9), the rest as
    # in hs_mixed.csv; no row blank everywhere (so lavaan's N is every row)
    holed = pd.read_csv(REFERENCE / "hs_mixed_missing.csv")
    items = [f"x{i}" for i in range(1, 10)]
    assert list(holed.columns) == list(hs.columns)
    blank = holed[items].isna()
    assert int(blank.to_numpy().sum()) == round(0.03 * blank.size) == 81
    assert blank.sum().min() >= 5 and not blank.all(axis=1).any() and not holed["agec"].isna().any()
    np.testing.assert_array_equal(holed[items].to_numpy()[~blank.to_numpy()], hs[items].to_numpy()[~blank.to_numpy()])
    np.testing.assert_array_equal(holed["agec"], hs["agec"])


@pytest.mark.parametrize("name", sorted(MIXED))
def test_mixed_stage1_statistics_are_the_sample_statistics_in_lavaans_order(name):
    """wls.obs (and Gamma's rows) in lavaan's order, from lavInspect(fit, "sampstat"):

    - conditional.x = FALSE: the threshold block item by item, where a continuous x stands as
      ``x~1`` with value MINUS its mean; then ``x~~x``, the continuous variables' variances;
      then the pairs below the diagonal column by column (numpy's triu order), covariances
      (polyserial rho times sd; Pearson covariances) wherever a continuous variable is involved;
    - conditional.x = TRUE: the same with the residual (intercept) thresholds and minus the
      intercepts of continuous outcomes, then the slopes ``y~x`` (for each covariate, every
      outcome in order: vec of the outcomes x covariates matrix), then the residual variances
      and residual covariances.
    """
    case = load(name)
    numeric, exogenous = MIXED[name]
    rows = endogenous(case)
    ss = case["sampstat"]
    th = dict(zip(case["sample_th"]["names"], case["sample_th"]["values"]))
    cont = [v for v in rows if v in numeric]
    cov = np.array(ss["res.cov" if exogenous else "cov"]["values"])
    mean = dict(zip(*(ss["res.int" if exogenous else "mean"][k] for k in ("names", "values"))))
    names, values = [], []
    for v in rows:
        if v in numeric:
            names.append(f"{v}~1")
            values.append(-mean[v])
        else:
            own = [k for k in th if k.split("|")[0] == v]
            names.extend(own)
            values.extend(th[k] for k in own)
    if exogenous:
        slopes = np.array(ss["res.slopes"]["values"])
        assert ss["res.slopes"]["rows"] == rows and ss["res.slopes"]["cols"] == exogenous
        for c, x in enumerate(exogenous):
            names.extend(f"{v}~{x}" for v in rows)
            values.extend(slopes[:, c])
    for v in cont:
        names.append(f"{v}~~{v}")
        values.append(cov[rows.index(v), rows.index(v)])
    ia, ib = np.triu_indices(len(rows), 1)
    names.extend(f"{rows[a]}~~{rows[b]}" for a, b in zip(ia, ib))
    values.extend(cov[ia, ib])
    assert case["stage1_names"] == names
    # the same numbers (the JSON's 15 significant digits can round them differently)
    np.testing.assert_allclose(case["wls_obs"], values, rtol=1e-14, atol=0)
    # correlations between ordered items (unit diagonal), covariances elsewhere
    ordinal = [rows.index(v) for v in rows if v not in numeric]
    np.testing.assert_array_equal(np.diag(cov)[ordinal], 1)
    assert len(names) - case["npar"] == case["fit"]["df"]


@pytest.mark.parametrize("name", sorted(MIXED))
def test_mixed_moments_of_continuous_variables(name):
    """Means and variances of continuous outcomes are normal ML estimates (divisor N); the
    exogenous covariates' moments (cov.x, fixed in the parameter table as x ~~ x) divide by
    N - 1. With a covariate, a continuous outcome's intercept, slope and residual variance are
    those of least squares (residual variance SSR / N)."""
    case = load(name)
    numeric, exogenous = MIXED[name]
    data = pd.read_csv(REPO / case["data_file"], encoding="utf-8")
    ss = case["sampstat"]
    cont = [v for v in endogenous(case) if v in numeric]
    if not exogenous:
        mean = dict(zip(ss["mean"]["names"], ss["mean"]["values"]))
        cov = pd.DataFrame(ss["cov"]["values"], index=ss["cov"]["rows"], columns=ss["cov"]["cols"])
        for v in cont:
            assert mean[v] == pytest.approx(data[v].mean(), rel=1e-13)
            assert cov.loc[v, v] == pytest.approx(data[v].var(ddof=0), rel=1e-10)
        return
    x = data[exogenous].to_numpy()
    np.testing.assert_allclose(ss["mean.x"]["values"], x.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(ss["cov.x"]["values"], np.atleast_2d(np.cov(x.T, ddof=1)), rtol=1e-12)
    fixed = {(p["lhs"], p["op"], p["rhs"]): p for p in case["params"] if p["lhs"] in exogenous}
    assert fixed[exogenous[0], "~~", exogenous[0]]["free"] == 0
    assert fixed[exogenous[0], "~~", exogenous[0]]["est"] == pytest.approx(np.var(x[:, 0], ddof=1), rel=1e-12)
    design = np.column_stack([np.ones(len(x)), x])
    rows = endogenous(case)
    res_int = dict(zip(ss["res.int"]["names"], ss["res.int"]["values"]))
    slopes = np.array(ss["res.slopes"]["values"])
    res_cov = np.array(ss["res.cov"]["values"])
    for v in cont:
        beta, ssr, *_ = np.linalg.lstsq(design, data[v].to_numpy(), rcond=None)
        assert res_int[v] == pytest.approx(beta[0], abs=1e-8)
        np.testing.assert_allclose(slopes[rows.index(v)], beta[1:], rtol=0, atol=1e-8)
        assert res_cov[rows.index(v), rows.index(v)] == pytest.approx(ssr[0] / len(x), rel=1e-8)
    # ordered items have no intercept (thresholds instead)
    assert all(res_int[v] == 0 for v in rows if v not in numeric)


@pytest.mark.parametrize("name", sorted(MIXED))
def test_mixed_gamma_weights_and_test(name):
    case = load(name)
    gamma = read_gamma(case)
    np.testing.assert_allclose(np.diag(gamma), case["gamma_diag"], rtol=1e-11)
    np.testing.assert_allclose(case["wls_v_diag"], 1 / np.diag(gamma), rtol=1e-10)
    eig = np.linalg.eigvalsh(gamma)
    assert eig.min() > -1e-9 * eig.max()
    # no 2x2 table with an empty cell here: full rank when N - 1 allows it
    assert int((eig > 1e-9 * eig.max()).sum()) == min(len(gamma), case["nobs"] - 1)
    fit, test = case["fit"], case["test"]["scaled.shifted"]
    for key in FIT_KEYS:
        assert fit.get(key) is not None and math.isfinite(fit[key]), key
    df, t1, t2 = test["df"], test["trace.UGamma"], test["trace.UGamma2"]
    assert fit["df"] == df and test["scaling.factor"] == pytest.approx(np.sqrt(t2 / df), rel=1e-10)
    assert fit["chisq.scaled"] == pytest.approx(
        fit["chisq"] / test["scaling.factor"] + df - np.sqrt(df * t1 ** 2 / t2), rel=1e-10)


@pytest.mark.parametrize("name", sorted(MIXED))
def test_mixed_params(name):
    """Thresholds are free and saturated (estimates = sample thresholds in delta); continuous
    outcomes have a free intercept equal to their sample mean (or regression intercept) and a
    free residual variance; their scaling factor (delta matrix) is 1; exogenous covariates'
    mean and variance are fixed at the sample values (fixed.x)."""
    case = load(name)
    numeric, exogenous = MIXED[name]
    params = case["params"]
    assert all(set(p) == PARAM_KEYS for p in params)
    free = [p for p in params if p["free"] > 0]
    assert len(free) == case["npar"] and sorted(p["free"] for p in free) == list(range(1, case["npar"] + 1))
    assert all(p["se"] > 0 for p in free)
    th = [p for p in params if p["op"] == "|"]
    assert [f"{p['lhs']}|{p['rhs']}" for p in th] == case["sample_th"]["names"]
    np.testing.assert_allclose([p["est"] for p in th], case["sample_th"]["values"], atol=1e-8)
    by_key = {(p["lhs"], p["op"], p["rhs"]): p for p in params}
    rows = endogenous(case)
    mean = case["sampstat"]["res.int" if exogenous else "mean"]
    mean = dict(zip(mean["names"], mean["values"]))
    scale = dict(zip(case["scaling_factors"]["names"], case["scaling_factors"]["values"]))
    assert list(scale) == rows and set(scale.values()) == {1}
    for v in numeric:
        intercept, resid = by_key[v, "~1", ""], by_key[v, "~~", v]
        if v in exogenous:
            assert intercept["free"] == resid["free"] == 0
            continue
        assert intercept["free"] > 0 and resid["free"] > 0
        assert intercept["est"] == pytest.approx(mean[v], abs=1e-6)
    std = case["std_solution"]
    assert [(s["lhs"], s["op"], s["rhs"]) for s in std] == [(p["lhs"], p["op"], p["rhs"]) for p in params]
