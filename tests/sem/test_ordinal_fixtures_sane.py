"""The lavaan WLSMV fixtures in tests/reference/sem_ordinal/ are complete and consistent.

These tests check only that the fixtures are well-formed and were made from the committed models
and data (and document what lavaan's stage-1 statistics are, in which order); comparisons of
govstats with them live with the code they test. Regenerate them with
``Rscript tests/reference/sem_ordinal/make_fixtures.R`` from the repository root (see the README
in that folder).
"""

from __future__ import annotations

import gzip
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from govstats import load_instrument
from govstats.resources import seed_instrument_path

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "tests" / "reference" / "sem_ordinal"
CASES = ["hs_binary_wlsmv", "ri_asset_wlsmv", "grid_governance_wlsmv"]
PARAM_KEYS = {
    "lhs", "op", "rhs", "group", "label", "free", "est", "se", "z", "pvalue",
    "ci.lower", "ci.upper", "std.lv", "std.all", "std.nox",
}
FIT_KEYS = {
    "npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
    "chisq.scaling.factor", "baseline.chisq.scaled", "cfi",
    "cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr",
}


def load(case: str) -> dict:
    return json.loads((REFERENCE / f"{case}.json").read_text(encoding="utf-8"))


def read_gamma(case: dict) -> np.ndarray:
    """Gamma from its gzipped lower triangle (row by row), as the README describes."""
    with gzip.open(REPO / case["gamma_file"], "rt") as fh:
        vals = np.loadtxt(fh)
    k = len(case["stage1_names"])
    out = np.zeros((k, k))
    rows, cols = np.tril_indices(k)  # row by row: (0,0), (1,0), (1,1), (2,0), ...
    out[rows, cols] = vals
    out[cols, rows] = vals
    return out


def data_of(case: dict) -> pd.DataFrame:
    return pd.read_csv(REPO / case["data_file"], encoding="utf-8")[case["ordered"]]


@pytest.mark.parametrize("name", CASES)
def test_header_options_and_inputs(name):
    case = load(name)
    assert case["case"] == name
    assert re.fullmatch(r"0\.6\.\d+", case["lavaan_version"])
    assert case["call"] == (
        f"sem(model = model, data = {case['data_file'].split('/')[-1][:-4]}, "
        'ordered = items, estimator = "WLSMV")'
    )
    assert case["converged"] is True and case["warnings"] == []
    assert case["model"] == (REPO / case["model_file"]).read_text(encoding="utf-8").rstrip("\n")
    o = case["options"]
    # What estimator = "WLSMV" means in lavaan 0.6.14.
    assert o["estimator"] == "DWLS" and o["se"] == ["robust.sem"]
    assert o["test"] == ["scaled.shifted"] and o["parameterization"] == "delta"
    assert o["meanstructure"] is True and o["missing"] == "listwise"
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
    # estimates are the sample thresholds.
    th = {f"{p['lhs']}|{p['rhs']}": p["est"] for p in params if p["op"] == "|"}
    assert list(th) == case["sample_th"]["names"]
    np.testing.assert_allclose(list(th.values()), case["sample_th"]["values"], atol=1e-8)
    # Delta parameterization: the latent responses have unit variance, so the residual variance
    # of each item is fixed at 1 - R^2.
    resid = {p["lhs"]: p for p in params if p["op"] == "~~" and p["lhs"] == p["rhs"]}
    for item in case["ordered"]:
        assert resid[item]["free"] == 0
        assert resid[item]["est"] == pytest.approx(1 - case["r2"][item], abs=1e-8)
    std = case["std_solution"]
    keys = [(p["lhs"], p["op"], p["rhs"]) for p in params]
    assert [(s["lhs"], s["op"], s["rhs"]) for s in std] == keys


@pytest.mark.parametrize("name", CASES)
def test_fit_measures(name):
    case = load(name)
    fit = case["fit"]
    for key in FIT_KEYS:
        assert fit.get(key) is not None and math.isfinite(fit[key]), key
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
    # inverts only its diagonal).
    eig = np.linalg.eigvalsh(gamma)
    assert eig.min() > -1e-9 * eig.max()
    rank = int((eig > 1e-9 * eig.max()).sum())
    assert rank == min(len(gamma), case["nobs"] - 1)
    # The DWLS weights are the inverse of Gamma's diagonal.
    np.testing.assert_allclose(case["wls_v_diag"], 1 / np.diag(gamma), rtol=1e-10)


@pytest.mark.parametrize("name", CASES)
def test_sample_thresholds_come_from_the_committed_data(name):
    case = load(name)
    data = data_of(case)
    assert len(data.dropna()) == case["nobs"]
    expected = []
    for item in case["ordered"]:
        shares = data[item].value_counts(normalize=True).sort_index().cumsum().to_numpy()[:-1]
        expected.extend(stats.norm.ppf(shares))
    np.testing.assert_allclose(case["sample_th"]["values"], expected, atol=1e-12)


def test_gamma_of_a_threshold_is_its_scaled_asymptotic_variance():
    # Gamma is N times the asymptotic covariance: for one threshold tau = qnorm(p),
    # N var(tau) = p (1 - p) / phi(tau)^2.
    case = load("hs_binary_wlsmv")
    data = data_of(case)
    share = (data == 0).mean().to_numpy()
    tau = stats.norm.ppf(share)
    expected = share * (1 - share) / stats.norm.pdf(tau) ** 2
    np.testing.assert_allclose(np.diag(read_gamma(case))[:9], expected, rtol=1e-10)
