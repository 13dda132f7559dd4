"""Stage 1 of ordinal SEM against lavaan 0.6.14 (tests/reference/sem_ordinal/).

lavaan's thresholds, polychoric correlations (``lavInspect(fit, "sampstat")``) and Gamma
(``lavInspect(fit, "gamma")``, the NACOV behind the WLSMV weights and robust SEs) for the binary
Holzinger-Swineford CFA, the ri_asset and grid_governance synthetic data, grid_governance with 3%
of the answers blank (``missing = "pairwise"``), with two empty categories, and a sparse binary
data set with an empty cell in two 2 x 2 tables (make_fixtures.R); and small edge cases of
lavCor (tests/reference/polychoric/make_polychoric_edge_cases.R).

Tolerances: thresholds are qnorm of proportions in both (1e-10); correlations 1e-6, because
lavaan's nlminb stops within about 1e-7 of the maximum while govstats' Newton steps go to about
1e-10 (measured: 4e-8 at most); Gamma 1e-6 of its largest entry (measured: 1.5e-8) and the DWLS
weights 1e-6 relative.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from scipy.stats import norm

from govstats.errors import EmptyCategoryWarning, GovstatsWarning
from govstats.measurement.polychoric import bivariate_normal_cdf
from govstats.sem.ordinal.stage1 import stage1
from tests_support import lavaan_gamma
from tests_support import load_ordinal_case as load

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "tests" / "reference" / "sem_ordinal"
CASES = ["hs_binary_wlsmv", "ri_asset_wlsmv", "grid_governance_wlsmv", "grid_governance_missing_wlsmv",
         "empty_category_wlsmv", "hs_binary_sparse_wlsmv"]




@pytest.fixture(scope="module", params=CASES)
def computed(request):
    case = load(request.param)
    data = pd.read_csv(REPO / case["data_file"], encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyCategoryWarning)  # tested below
        return case, stage1(data, case["ordered"], missing=case["options"]["missing"])


def test_statistics_are_named_and_ordered_as_lavaan(computed):
    case, s = computed
    assert s.names == case["stage1_names"]
    assert list(s.thresholds.index) == case["sample_th"]["names"]
    assert list(s.correlations.index) == case["sample_cov"]["names"]
    assert s.nobs == case["nobs"]
    assert s.missing == case["options"]["missing"]
    # the codes each threshold separates, as lavaan counted them (only categories that occur)
    assert s.categories == {item: c["codes"] for item, c in case["categories"].items()}
    # lavInspect(fit, "zero.cell.tables"): the pairs with an empty cell in their table
    assert s.zero_cell_pairs == case["zero_cell_pairs"]


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


def test_pairwise_uses_every_answer():
    """grid_governance with 3% blanks: lavaan's missing = "pairwise" (compared in full above)
    against listwise deletion, which keeps only the 226 complete rows."""
    case = load("grid_governance_missing_wlsmv")
    data = pd.read_csv(REPO / case["data_file"])
    items = case["ordered"]
    pairwise = stage1(data, items, missing="pairwise")
    listwise = stage1(data, items)
    assert (pairwise.nobs, listwise.nobs) == (600, 226)
    # each threshold from the cases that answered the item: VS1 has 15 blanks
    observed = data["VS1"].dropna()
    assert len(observed) == 585
    share = np.cumsum(observed.value_counts().sort_index().to_numpy())[:-1] / len(observed)
    np.testing.assert_allclose(pairwise.thresholds[[f"VS1|t{k}" for k in range(1, 5)]], norm.ppf(share),
                               rtol=0, atol=1e-12)
    both = data[items].notna().astype(int)
    np.testing.assert_array_equal(pairwise.pair_nobs.to_numpy(), both.T @ both)
    assert listwise.pair_nobs is None
    assert np.abs(pairwise.values - listwise.values).max() > 0.01


def test_pairwise_drops_only_empty_rows_from_n():
    """lavaan's nobs under missing = "pairwise" is the number of rows with any answer
    (lav_data_full); a row with every item blank contributes no score and does not count."""
    case = load("grid_governance_missing_wlsmv")
    data = pd.read_csv(REPO / case["data_file"])
    items = case["ordered"]
    ref = stage1(data, items, missing="pairwise")
    extra = pd.concat([data, pd.DataFrame({item: [np.nan, np.nan] for item in items})], ignore_index=True)
    more = stage1(extra, items, missing="pairwise")
    assert more.nobs == ref.nobs == 600
    np.testing.assert_allclose(more.gamma.to_numpy(), ref.gamma.to_numpy(), rtol=1e-12, atol=1e-12)


def test_empty_category_warns_and_keeps_the_observed_categories():
    """IS1 has codes 1, 2, 4, 5 and VS1 has 2..5 in empty_category_wlsmv: lavaan estimates three
    thresholds for each (compared above). The gap in IS1 is visible in the data; that nobody
    chose VS1's 1 only the scale can tell, so ``levels`` names it."""
    case = load("empty_category_wlsmv")
    data = pd.read_csv(REPO / case["data_file"])
    items = case["ordered"]
    with pytest.warns(EmptyCategoryWarning) as record:
        s = stage1(data, items)
    assert len(record) == 1
    message = str(record[0].message)
    assert "item IS1: nobody chose 3" in message and "4 categories observed" in message
    assert "as lavaan does" in message and "VS1" not in message
    assert s.categories["IS1"] == [1, 2, 4, 5] and s.categories["VS1"] == [2, 3, 4, 5]
    assert [n for n in s.names if n.startswith("IS1|")] == ["IS1|t1", "IS1|t2", "IS1|t3"]
    with pytest.warns(EmptyCategoryWarning) as record:
        stage1(data, items, levels={item: [1, 2, 3, 4, 5] for item in items})
    message = str(record[0].message)
    assert "item VS1: nobody chose 1;" in message and "item IS1: nobody chose 3;" in message
    with pytest.warns(EmptyCategoryWarning, match="item VS1: nobody chose 1"):
        stage1(data, items, levels=range(1, 6))
    with warnings.catch_warnings():
        warnings.simplefilter("error", EmptyCategoryWarning)
        stage1(load_grid(), items)  # every code chosen: no warning


def load_grid() -> pd.DataFrame:
    return pd.read_csv(REPO / load("grid_governance_wlsmv")["data_file"])


def test_empty_category_of_a_categorical_column():
    data = load_grid()[["VS1", "VS2", "VS3"]].copy()
    data.loc[data.VS1 == 5, "VS1"] = 4
    data["VS1"] = pd.Categorical(data.VS1.astype(int), categories=[1, 2, 3, 4, 5], ordered=True)
    with pytest.warns(EmptyCategoryWarning, match="item VS1: nobody chose 5; .* 4 categories observed"):
        s = stage1(data, ["VS1", "VS2", "VS3"])
    assert s.categories["VS1"] == [1, 2, 3, 4]


def test_sparse_two_by_two_tables_follow_lavaan():
    """hs_binary_sparse: x4 x x8 has an empty cell on the diagonal, x7 x x8 one off it. lavaan
    adds 0.5 to the empty cell and its diagonal partner and takes it from the other two before
    estimating the tetrachoric (zero.add = c(0.5, 0), zero.keep.margins = TRUE); the fixture
    comparison above would fail without that: the plain ML estimates differ by far more than 1e-6."""
    case = load("hs_binary_sparse_wlsmv")
    data = pd.read_csv(REPO / case["data_file"])
    s = stage1(data, case["ordered"])
    ref = pd.DataFrame(case["sample_cov"]["values"], index=s.items, columns=s.items)
    for a, b in [("x4", "x8"), ("x7", "x8")]:
        table = pd.crosstab(data[a], data[b]).to_numpy()
        assert (table == 0).sum() == 1
        ta, tb = s.thresholds[f"{a}|t1"], s.thresholds[f"{b}|t1"]

        def negloglik(r):
            p00 = bivariate_normal_cdf(ta, tb, r)
            p01, p10 = norm.cdf(ta) - p00, norm.cdf(tb) - p00
            p = np.array([[p00, p01], [p10, 1 - p00 - p01 - p10]])
            return -(table * np.log(np.clip(p, 1e-300, None))).sum()

        plain = optimize.minimize_scalar(negloglik, bounds=(-0.999, 0.999), method="bounded",
                                         options={"xatol": 1e-10}).x
        assert s.correlations.loc[a, b] == pytest.approx(ref.loc[a, b], abs=1e-6)
        assert abs(plain - ref.loc[a, b]) > 1e-3


EDGE_DIR = REPO / "tests" / "reference" / "polychoric"
EDGE = json.loads((EDGE_DIR / "polychoric_edge_cases.json").read_text(encoding="utf-8"))
EDGE_DATA = pd.read_csv(EDGE_DIR / "polychoric_edge_cases.csv")


@pytest.mark.parametrize("name", [k for k, v in EDGE.items() if isinstance(v, dict) and "gamma" in v])
def test_gamma_of_edge_cases_matches_lavaan(name):
    """make_polychoric_edge_cases.R: 2 x 2 tables solved in closed form (both thresholds 0:
    r = -cos(2 pi f11 / n); f11 f22 = f12 f21: r = 0), one empty cell, and correlations above
    0.925 (Genz's second branch). Gamma to 1e-8 of its largest entry (measured: 5e-9)."""
    case = EDGE[name]
    s = stage1(EDGE_DATA[EDGE_DATA.case == name], case["items"])
    assert s.names == case["stage1_names"]
    assert s.nobs == case["nobs"]
    np.testing.assert_allclose(s.correlations.to_numpy(), case["cor"], rtol=0, atol=1e-7)
    ref = np.array(case["gamma"])
    np.testing.assert_allclose(s.gamma.to_numpy(), ref, rtol=0, atol=1e-8 * np.abs(ref).max())


def test_two_empty_cells_give_one_with_warnings_and_no_scores():
    """lavaan sets the tetrachoric of a 2 x 2 table with two empty cells to +-1 and warns; its
    Gamma rows for that pair are not usable, so govstats fills them with NaN."""
    case = EDGE["two_empty"]
    data = EDGE_DATA[EDGE_DATA.case == "two_empty"]
    with pytest.warns(GovstatsWarning) as record:
        s = stage1(data, case["items"])
    messages = " | ".join(str(r.message) for r in record)
    assert "two empty cells" in messages and "(nearly) 1.0: a~~b (1.000)" in messages
    assert s.correlations.loc["a", "b"] == 1.0
    np.testing.assert_allclose(s.correlations.to_numpy(), case["cor"], rtol=0, atol=1e-7)
    gamma = s.gamma
    assert gamma.loc["a~~b"].isna().all() and gamma["a~~b"].isna().all()
    rest = [n for n in s.names if n != "a~~b"]
    assert np.isfinite(gamma.loc[rest, rest].to_numpy()).all()


def test_missing_must_be_listwise_or_pairwise():
    df = load_grid()
    with pytest.raises(ValueError, match=r"'missing' parameter of stage1 must be one of .*'fiml'"):
        stage1(df, ["VS1", "VS2"], missing="fiml")


def test_items_never_answered_together_are_an_error():
    df = pd.DataFrame({"a": [1, 2, 1, 2, np.nan, np.nan], "b": [np.nan, np.nan, 1, 2, 2, 1],
                       "c": [np.nan, np.nan, np.nan, np.nan, 1, 2]})
    with pytest.raises(ValueError, match="'a' and 'c' are never answered by the same respondent"):
        stage1(df, ["a", "b", "c"], missing="pairwise")


def test_layout_of_all_ordinal_statistics():
    """Stage1.layout tells stage 2 what each statistic is: here thresholds and correlations."""
    case = load("hs_binary_wlsmv")
    s = stage1(pd.read_csv(REPO / case["data_file"]), case["ordered"])
    lay = s.layout
    assert lay["name"].tolist() == s.names
    assert lay["kind"].value_counts().to_dict() == {"pair": 36, "threshold": 9}
    th = lay[lay.kind == "threshold"]
    assert th["item"].tolist() == case["ordered"] and th["k"].tolist() == [1] * 9
    pairs = lay[lay.kind == "pair"]
    assert (pairs["item"] + "~~" + pairs["item2"]).tolist() == pairs["name"].tolist()
    assert s.numeric == [] and s.means is None and s.variances is None
    assert s.covariances is s.correlations
