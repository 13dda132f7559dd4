"""GLS, ULS, DWLS and WLS on continuous data against lavaan 0.6.14 (Political Democracy, as the
engine issue asks, and Holzinger-Swineford with groups and a mean structure).

Fixture: tests/reference/sem/least_squares/least_squares.json (make_least_squares.R beside it).
Tolerances: estimates 1e-4, SEs 1e-3 relative, chi-squares 1e-6 relative, other measures 1e-5.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from govstats import fit
from tests_support import assert_estimates_match, assert_fit_measures_match

REPO = Path(__file__).resolve().parents[2]
FIXTURE = json.loads((REPO / "tests" / "reference" / "sem" / "least_squares" / "least_squares.json")
                     .read_text(encoding="utf-8"))
DATA = {"pd": REPO / "tests" / "reference" / "data" / "PoliticalDemocracy.csv",
        "hs": REPO / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv"}


@pytest.fixture(scope="module", params=FIXTURE["cases"], ids=lambda c: c["id"])
def case(request):
    ref = request.param
    kwargs = {key.replace(".", "_"): value for key, value in ref["args"].items()}
    return ref, fit(ref["model"], pd.read_csv(DATA[ref["data"]]), **kwargs)


def test_estimates_and_standard_errors(case):
    ref, res = case
    assert res.converged and ref["converged"]
    assert_estimates_match(res.params, ref["params"])


def test_fit_measures(case):
    ref, res = case
    lavaan = {k: v for k, v in ref["fit"].items() if k.replace(".", "_") in res.fit_measures or v is None}
    assert len(lavaan) >= 25
    assert_fit_measures_match(res.fit_measures, lavaan)
    assert "logl" not in res.fit_measures and "aic" not in res.fit_measures  # no likelihood, as lavaan


def test_least_squares_refuses_what_it_does_not_compute():
    data = pd.read_csv(DATA["pd"])
    with pytest.raises(ValueError, match="se"):
        fit("ind60 =~ x1 + x2 + x3", data, estimator="GLS", se="robust.huber.white")
    with pytest.raises(ValueError, match="exogenous covariates"):
        fit("ind60 =~ x1 + x2 + x3\nind60 ~ y1", data, estimator="ULS")


def test_results_accessors_work_for_least_squares_fits():
    res = fit("ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem60 ~ ind60", pd.read_csv(DATA["pd"]),
              estimator="GLS")
    text = res.summary()
    assert "Estimator" in text and " GLS\n" in text and "GAUSS-NEWTON" in text
    assert res.predict().shape == (75, 2) and res.fitted()["cov"].shape == (7, 7)
    with pytest.raises(ValueError, match="Modification indices are available for ML-family fits"):
        res.modindices()
