"""GLS, ULS, DWLS and WLS on continuous data against lavaan 0.6.14 (Political Democracy, as the
engine issue asks, and Holzinger-Swineford with groups and a mean structure), also with exogenous
observed covariates: lavaan's default fixed.x = FALSE for these estimators (the covariates' moments
are statistics like the others and their variances free parameters) and fixed.x = TRUE (fixed at
the N - 1 sample moments, WLS/DWLS weights from lavaan's fixed.x Gamma); the baseline keeps the
covariates' block.

Fixture: tests/reference/sem/least_squares/least_squares.json (make_least_squares.R beside it).
Tolerances: estimates 1e-4 (poldem_cov_uls_means uses 9.6e-5 of it: the ULS criterion is flat along
the intercepts-slopes direction there, and the two chi-squares agree to 1e-11), SEs 1e-3 relative,
chi-squares 1e-6 relative, other measures 1e-5; lavaan's NA (the p-values of ULS) is NaN here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats import fit
from tests_support import assert_estimates_match, assert_fit_measures_match, assert_partable_matches

REPO = Path(__file__).resolve().parents[2]
FIXTURE = json.loads((REPO / "tests" / "reference" / "sem" / "least_squares" / "least_squares.json")
                     .read_text(encoding="utf-8"))
DATA = {"pd": REPO / "tests" / "reference" / "data" / "PoliticalDemocracy.csv",
        "hs": REPO / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv"}


@pytest.fixture(scope="module", params=FIXTURE["cases"], ids=lambda c: c["id"])
def case(request):
    ref = request.param
    kwargs = {key.replace(".", "_"): value for key, value in ref["args"].items()}
    data = pd.read_csv(DATA[ref["data"]])
    if ref["data"] == "hs":
        data["agec"] = data.ageyr - data.ageyr.mean()  # as make_least_squares.R
    return ref, fit(ref["model"], data, **kwargs)


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
    for name, value in ref["fit"].items():
        if value is None:  # lavaan's NA: ULS's p-values
            assert np.isnan(res.fit_measures[name.replace(".", "_")]), name


def test_fixed_x_resolves_as_lavaan(case):
    ref, res = case
    assert res.options["fixed_x"] == ref["fixed_x"]


def test_least_squares_refuses_what_it_does_not_compute():
    data = pd.read_csv(DATA["pd"])
    with pytest.raises(ValueError, match="se"):
        fit("ind60 =~ x1 + x2 + x3", data, estimator="GLS", se="robust.huber.white")


REFUSALS = json.loads((REPO / "tests" / "reference" / "sem" / "least_squares" / "ls_cluster_refusals.json")
                      .read_text(encoding="utf-8"))


@pytest.mark.parametrize("ref", REFUSALS["cases"], ids=lambda c: c["estimator"])
def test_cluster_is_refused_as_lavaan_refuses_it(ref):
    """lavaan 0.6.14 stops on least squares with cluster= (make_ls_cluster_refusals.R records its
    messages); fit() refuses the same fits and names lavaan's reason."""
    assert ref["refused"] and ref["message"].startswith("lavaan ERROR")
    hs = pd.read_csv(DATA["hs"])
    model = (REPO / "tests" / "reference" / "sem" / "models" / "hs_cfa.lav").read_text(encoding="utf-8")
    with pytest.raises(ValueError) as info:
        fit(model, hs, estimator=ref["estimator"], cluster=REFUSALS["cluster"])
    text = str(info.value)
    assert f"estimator={ref['estimator']!r} with 'cluster' is refused, as lavaan 0.6.14 refuses it" in text
    if "first.order" in ref["message"]:
        assert "first-order information" in text
    else:
        assert "yuan.bentler.mplus" in ref["message"] and "Yuan-Bentler test" in text


def test_covariates_are_free_by_default_and_fixed_on_request():
    """lavaan's default fixed.x = FALSE for least squares: the covariates' (co)variances are free
    parameters with standard errors; with fixed_x=True they are fixed at the sample's (N - 1) and
    the degrees of freedom are the same (their moments are fitted exactly either way)."""
    data = pd.read_csv(DATA["pd"])
    model = "dem60 =~ y1 + y2 + y3 + y4\ndem60 ~ x1 + x2"
    free = fit(model, data, estimator="DWLS")
    fixed = fit(model, data, estimator="DWLS", fixed_x=True)
    row = lambda res: res.params.query("lhs == 'x1' and op == '~~' and rhs == 'x2'").iloc[0]
    assert row(free).free and row(free).se > 0 and not row(fixed).free
    assert row(fixed).est == pytest.approx(data.x1.cov(data.x2), rel=1e-12)
    assert free.fit_measures["df"] == fixed.fit_measures["df"] == 8
    assert free.fit_measures["npar"] == fixed.fit_measures["npar"] + 3


def test_results_accessors_work_for_least_squares_fits():
    res = fit("ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem60 ~ ind60", pd.read_csv(DATA["pd"]),
              estimator="GLS")
    text = res.summary()
    assert "Estimator" in text and " GLS\n" in text and "GAUSS-NEWTON" in text
    assert res.predict().shape == (75, 2) and res.fitted()["cov"].shape == (7, 7)
    with pytest.raises(ValueError, match="Modification indices are available for ML-family fits"):
        res.modindices()


def test_parameter_table_as_lavaan(case):
    ref, res = case
    assert_partable_matches(ref["partable"], res.partable())
