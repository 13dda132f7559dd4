"""Stage 1 of ordinal SEM against lavaan 0.6.14 (tests/reference/sem_ordinal/).

lavaan's thresholds, polychoric correlations (``lavInspect(fit, "sampstat")``) and Gamma
(``lavInspect(fit, "gamma")``, the NACOV behind the WLSMV weights and robust SEs) for the binary
Holzinger-Swineford CFA and the ri_asset and grid_governance synthetic data.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats.sem.ordinal_stage1 import stage1

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "tests" / "reference" / "sem_ordinal"
CASES = ["hs_binary_wlsmv", "ri_asset_wlsmv", "grid_governance_wlsmv"]


def load(name: str) -> dict:
    return json.loads((REFERENCE / f"{name}.json").read_text(encoding="utf-8"))


def lavaan_gamma(case: dict) -> np.ndarray:
    with gzip.open(REPO / case["gamma_file"], "rt") as fh:
        vals = np.loadtxt(fh)
    k = len(case["stage1_names"])
    out = np.zeros((k, k))
    rows, cols = np.tril_indices(k)
    out[rows, cols] = vals
    out[cols, rows] = vals
    return out


@pytest.fixture(scope="module", params=CASES)
def computed(request):
    case = load(request.param)
    data = pd.read_csv(REPO / case["data_file"], encoding="utf-8")
    return case, stage1(data, case["ordered"])


def test_statistics_are_named_and_ordered_as_lavaan(computed):
    case, s = computed
    assert s.names == case["stage1_names"]
    assert list(s.thresholds.index) == case["sample_th"]["names"]
    assert list(s.correlations.index) == case["sample_cov"]["names"]
    assert s.nobs == case["nobs"]


def test_thresholds_and_polychorics_match_lavaan(computed):
    case, s = computed
    th = case["sample_th"]["values"]
    np.testing.assert_allclose(s.thresholds.to_numpy(), th, rtol=0, atol=1e-10)
    # lavaan's optimizer stops within about 1e-7 of the two-step ML correlation.
    cor = case["sample_cov"]["values"]
    np.testing.assert_allclose(s.correlations.to_numpy(), cor, rtol=0, atol=1e-6)
    np.testing.assert_allclose(s.values, case["wls_obs"], rtol=0, atol=1e-6)


def test_gamma_matches_lavaan(computed):
    case, s = computed
    ref = lavaan_gamma(case)
    scale = np.abs(ref).max()
    np.testing.assert_allclose(s.gamma.to_numpy(), ref, rtol=0, atol=1e-6 * scale)
    # The DWLS weights are the inverse of Gamma's diagonal.
    np.testing.assert_allclose(1 / np.diag(s.gamma), case["wls_v_diag"], rtol=1e-6)


def test_listwise_deletion_of_incomplete_rows():
    case = load("hs_binary_wlsmv")
    data = pd.read_csv(REPO / case["data_file"]).astype(float)
    full = stage1(data, case["ordered"])
    data.loc[:9, "x1"] = np.nan
    part = stage1(data, case["ordered"])
    assert part.nobs == full.nobs - 10
    np.testing.assert_allclose(part.thresholds, stage1(data.dropna(), case["ordered"]).thresholds)
    assert not np.allclose(part.thresholds, full.thresholds)


def test_bad_arguments_name_the_problem():
    df = pd.DataFrame({"a": [1, 2, 3, 1], "b": [2, 2, 2, 2], "c": [1, 1, 2, 2]})
    with pytest.raises(ValueError, match="'items' parameter of stage1.*'zz'"):
        stage1(df, ["a", "zz"])
    with pytest.raises(ValueError, match="at least two items"):
        stage1(df, ["a"])
    with pytest.raises(ValueError, match=r"\['b'\]"):
        stage1(df, ["a", "b", "c"])
