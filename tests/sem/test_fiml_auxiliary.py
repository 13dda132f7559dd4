"""FIML with auxiliary variables (saturated correlates) against semTools 0.5-6's sem.auxiliary
(lavaan 0.6.14): the auxiliary variables' covariances, the unchanged df, semTools' baseline model
(auxiliary variables correlated with everything) for CFI/TLI, and lavaan's FIML-corrected robust
indices, whose baseline stays the independence model.

Fixture: tests/reference/sem/fiml/auxiliary.json (make_auxiliary.R beside it). Tolerances: estimates
1e-4, SEs 0.5% relative, chi-squares and log-likelihoods 1e-6 relative (scaled ones 1e-5), other
measures 1e-4.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

from govstats import fit
from tests_support import assert_estimates_match, assert_partable_matches

FOLDER = Path(__file__).resolve().parents[2] / "tests" / "reference" / "sem" / "fiml"
FIXTURE = json.loads((FOLDER / "auxiliary.json").read_text(encoding="utf-8"))
LIKELIHOOD = ("chisq", "baseline.chisq", "logl", "unrestricted.logl", "aic", "bic", "chisq.scaled",
              "baseline.chisq.scaled")
SKIP = ("srmr_within", "srmr_between")  # not reported for single-level models


@pytest.fixture(scope="module", params=FIXTURE["cases"], ids=lambda c: c["id"])
def case(request):
    ref = request.param
    data = pd.read_csv(FOLDER / "data" / f"{ref['data']}.csv")
    aux = ref["aux"] if isinstance(ref["aux"], list) else [ref["aux"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ref, fit(ref["model"], data, missing="fiml", auxiliary=aux, **ref["args"])


def test_estimates_and_standard_errors(case):
    ref, res = case
    assert_estimates_match(res.params, ref["params"], est_atol=1e-4, se_rtol=5e-3, std_atol=1e-4)


def test_fit_measures(case):
    ref, res = case
    compared = 0
    for name, value in ref["fit"].items():
        key = name.replace(".", "_")
        if value is None or key not in res.fit_measures:
            continue
        if name in LIKELIHOOD:
            # the scaled baseline statistic rests on lavaan's numerical Hessian of its baseline fit: 2e-6
            rel = 1e-5 if name.endswith("scaled") else 1e-6
            assert res.fit_measures[key] == pytest.approx(value, rel=rel), name
        else:
            assert res.fit_measures[key] == pytest.approx(value, abs=1e-4), name
        compared += 1
    assert compared >= 30
    assert {"cfi", "tli", "baseline_df", "cfi_robust", "tli_robust"} <= set(res.fit_measures)


def test_auxiliary_needs_fiml_and_a_column_outside_the_model():
    data = pd.read_csv(FOLDER / "data" / "hs_cov.csv")
    with pytest.raises(ValueError, match="needs missing='fiml'"):
        fit("visual =~ x1 + x2 + x3", data, auxiliary=["agec"])
    with pytest.raises(ValueError, match="in the model already"):
        fit("visual =~ x1 + x2 + x3", data, missing="fiml", auxiliary=["x1"])
    with pytest.raises(ValueError, match="the data do not have"):
        fit("visual =~ x1 + x2 + x3", data, missing="fiml", auxiliary=["income"])
    with pytest.raises(ValueError, match="need fixed_x=False"):
        fit("visual =~ x1 + x2 + x3\nvisual ~ sexc", data, missing="fiml", auxiliary=["agec"])


def test_parameter_table_as_lavaan(case):
    """semTools appends the auxiliary rows to lavaan's table; here they come with the model's rows."""
    ref, res = case
    assert_partable_matches(ref["partable"], res.partable(), same_order=False)
