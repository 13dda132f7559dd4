"""The polychoric module (two-step ML, vectorized Newton, Genz's bivariate normal CDF).

References: R's ``pbivnorm`` (the bivariate normal CDF lavaan calls) and ``lavaan::lavCor``
0.6.14 on the edge cases of tests/reference/polychoric/make_polychoric_edge_cases.R and on the
grid_governance data with blanks (``missing = "pairwise"``, make_fixtures.R). The comparisons of
whole stage-1 statistics with Gamma are in tests/sem/test_ordinal_stage1.py; EFA and ordinal
reliability on polychorics in test_against_psych_semtools.py.
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

from govstats.errors import GovstatsWarning
from govstats.measurement import polychoric as poly
from govstats.measurement.polychoric import bivariate_normal_cdf, polychoric, thresholds

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "tests" / "reference" / "sem_ordinal"

# R 4.x, pbivnorm 0.6.0:
#   h <- c(0.3, -1.2, 2.0, -0.5, 1.5, -2.5, 0.8, -0.3, 1.1, -1.7, 0.0, 2.2)
#   k <- c(-0.5, 0.7, 1.9, -0.4, 1.4, -2.6, -0.9, 0.2, 1.3, 1.6, 0.0, -2.1)
#   r <- c(0.1, 0.95, -0.97, 0.5, 0.999, -0.2, 0.8, -0.6, 0.93, -0.94, 0.6, 0.9249)
#   sprintf("%.17g", pbivnorm(h, k, rho = r))
# Every branch of Genz's algorithm: |r| < 0.3 (6 nodes), < 0.75 (12), < 0.925 (20) and above,
# both signs.
PBIVNORM = [
    (0.3, -0.5, 0.1, 0.20399014718887234),
    (-1.2, 0.7, 0.95, 0.11506967020336292),
    (2, 1.9, -0.97, 0.94853330823581894),
    (-0.5, -0.4, 0.5, 0.17684742614324347),
    (1.5, 1.4, 0.999, 0.91921586063186611),
    (-2.5, -2.6, -0.2, 3.9200170884677899e-06),
    (0.8, -0.9, 0.8, 0.18376970769819453),
    (-0.3, 0.2, -0.6, 0.12414360837197459),
    (1.1, 1.3, 0.93, 0.85077834330622459),
    (-1.7, 1.6, -0.94, 0.0094927020460134678),
    (0, 0, 0.6, 0.35241638234956674),
    (2.2, -2.1, 0.9249, 0.017864420562816556),
]

EDGE_DIR = REPO / "tests" / "reference" / "polychoric"
EDGE = json.loads((EDGE_DIR / "polychoric_edge_cases.json").read_text(encoding="utf-8"))
EDGE_DATA = pd.read_csv(EDGE_DIR / "polychoric_edge_cases.csv")
EDGE_CASES = [name for name, case in EDGE.items() if isinstance(case, dict)]


def test_bivariate_normal_cdf_matches_pbivnorm():
    """Double precision: 1e-15 absolute (measured on 20 000 random points: 3.3e-16)."""
    h, k, r, ref = map(np.array, zip(*PBIVNORM))
    np.testing.assert_allclose(bivariate_normal_cdf(h, k, r), ref, rtol=0, atol=1e-15)
    # one at a time (each branch alone) gives the same numbers as the mixed batch
    one = [float(bivariate_normal_cdf(a, b, c)) for a, b, c in zip(h, k, r)]
    np.testing.assert_allclose(one, ref, rtol=0, atol=1e-15)


def test_bivariate_normal_cdf_limits():
    inf = np.inf
    # an infinite limit leaves the other margin; r = +-1 the degenerate distributions
    np.testing.assert_allclose(bivariate_normal_cdf([inf, 0.4, -inf, 8.0], [0.4, inf, 0.4, 0.4], 0.7),
                               [norm.cdf(0.4), norm.cdf(0.4), 0.0, norm.cdf(0.4)], rtol=0, atol=1e-15)
    np.testing.assert_allclose(bivariate_normal_cdf([0.3, 0.3], [-0.2, -0.2], [1.0, -1.0]),
                               [norm.cdf(-0.2), norm.cdf(0.3) - norm.cdf(0.2)], rtol=0, atol=1e-15)
    assert bivariate_normal_cdf(np.zeros((2, 3)), 0.0, 0.5).shape == (2, 3)


@pytest.mark.parametrize("name", EDGE_CASES)
def test_polychoric_matches_lavcor_on_edge_cases(name):
    """lavCor(x, ordered = names(x)) on the 2 x 2 rules (two empty cells: r = 1; both
    thresholds exactly 0: -cos(2 pi f11 / n); f11 f22 = f12 f21: 0; one empty cell: half a count
    moved, margins kept), correlations above 0.925, and two identical items (lavaan's bound
    0.999). lavaan's optimizer stops within 1e-7; measured here: 5e-9 at most."""
    case = EDGE[name]
    data = EDGE_DATA[EDGE_DATA.case == name][case["items"]]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        r = polychoric(data)
    np.testing.assert_allclose(r.to_numpy(), case["cor"], rtol=0, atol=1e-7)
    # lavaan warns about two empty cells and about correlations above 0.99; so does govstats
    ours = " | ".join(str(w.message) for w in record if issubclass(w.category, GovstatsWarning))
    assert ("two empty cells" in ours) == any("two empty cells" in w for w in case["warnings"])
    assert ("(nearly) 1.0" in ours) == any("(nearly) 1.0" in w for w in case["warnings"])


def test_closed_forms_are_the_maximum_likelihood():
    """The 2 x 2 closed forms lavaan uses are the exact ML estimates: check them against a
    direct maximization of the bivariate likelihood."""
    for name, f11, n in [("half_split", 14, 40), ("independent", None, 50)]:
        data = EDGE_DATA[EDGE_DATA.case == name]
        table = pd.crosstab(data.a, data.b).to_numpy()
        ta, tb = norm.ppf(table.sum(axis=1)[0] / n), norm.ppf(table.sum(axis=0)[0] / n)

        def negloglik(r):
            p00 = bivariate_normal_cdf(ta, tb, r)
            p = np.array([[p00, norm.cdf(ta) - p00], [norm.cdf(tb) - p00, 1 + p00 - norm.cdf(ta) - norm.cdf(tb)]])
            return -(table * np.log(p)).sum()

        best = optimize.minimize_scalar(negloglik, bounds=(-0.99, 0.99), method="bounded",
                                        options={"xatol": 1e-12}).x
        r = polychoric(data[["a", "b"]]).loc["a", "b"]
        assert r == pytest.approx(best, abs=1e-7)
        if f11 is not None:
            assert r == pytest.approx(-np.cos(2 * np.pi * f11 / n), abs=1e-15)
        else:
            assert r == 0.0


def test_pairwise_matches_lavaan():
    """grid_governance with 3% blanks, lavaan's missing = "pairwise": each item's thresholds
    from its own answers, each correlation from the answers to both (1e-6; measured 4e-8)."""
    case = json.loads((REFERENCE / "grid_governance_missing_wlsmv.json").read_text(encoding="utf-8"))
    data = pd.read_csv(REPO / case["data_file"])[case["ordered"]]
    r = polychoric(data, missing="pairwise")
    np.testing.assert_allclose(r.to_numpy(), case["sample_cov"]["values"], rtol=0, atol=1e-6)
    th = np.concatenate(thresholds(data.to_numpy(dtype=float)))
    np.testing.assert_allclose(th, case["sample_th"]["values"], rtol=0, atol=1e-10)
    listwise = polychoric(data)
    np.testing.assert_allclose(listwise.to_numpy(), polychoric(data.dropna()).to_numpy(), rtol=0, atol=1e-12)
    assert np.abs(listwise.to_numpy() - r.to_numpy()).max() > 0.01


def test_thresholds_skip_blanks_and_unused_codes():
    x = np.array([[1, 0], [2, 0], [2, 1], [5, np.nan], [5, 1]])
    t = thresholds(x)
    np.testing.assert_allclose(t[0], norm.ppf([1 / 5, 3 / 5]), rtol=0, atol=1e-15)
    np.testing.assert_allclose(t[1], norm.ppf([2 / 4]), rtol=0, atol=1e-15)
    # non-integer codes take the general path and give the same
    np.testing.assert_allclose(thresholds(x / 2)[0], t[0], rtol=0, atol=1e-15)


def test_newton_reaches_the_same_maximum_from_poor_starts():
    """The safeguarded Newton iteration (Fisher scoring where the likelihood is not concave,
    step halving) converges from anywhere in (-0.95, 0.95) to the maximum a bounded scalar
    search finds (1e-8)."""
    case = EDGE["high"]
    data = EDGE_DATA[EDGE_DATA.case == "high"][case["items"]].to_numpy(dtype=float)
    codes, _, counts = poly._recode(data)
    taus = [poly._item_thresholds(c) for c in counts]
    pairs = poly.fit_pairs(codes, taus, case["items"])
    edges = poly._edges(taus, 5)
    corners = poly._Corners(edges[pairs.ia], edges[pairs.ib])
    for start in (-0.95, -0.5, 0.0, 0.5, 0.95):
        rho, _, _ = poly._newton(corners, pairs.counts, np.full(len(pairs.ia), start), 1e-10)
        np.testing.assert_allclose(rho, pairs.rho, rtol=0, atol=1e-8)

    def negloglik(r, q):
        # lavaan's objective: cell probabilities floored at sqrt(eps) (padded cells are empty)
        prob = corners.subset([q]).evaluate(np.array([r]))[0][0]
        return -(pairs.counts[q] * np.log(np.maximum(prob, np.sqrt(np.finfo(float).eps)))).sum()

    for q in range(len(pairs.ia)):
        best = optimize.minimize_scalar(negloglik, args=(q,), bounds=(-0.999, 0.999), method="bounded",
                                        options={"xatol": 1e-12}).x
        assert pairs.rho[q] == pytest.approx(best, abs=1e-8)


def test_bad_arguments():
    df = pd.DataFrame({"a": [1, 2, 1, 2], "b": [1, 1, 2, 2], "c": [3, 3, 3, 3]})
    with pytest.raises(ValueError, match=r"'missing' parameter of polychoric must be one of .*'all'"):
        polychoric(df[["a", "b"]], missing="all")
    with pytest.raises(ValueError, match=r"\['c'\] have one"):
        polychoric(df)
