"""Exogenous observed covariates (fixed.x) against lavaan 0.6.14, ML, MLR and cluster-robust.

The scaled test's saturated model leaves out the covariates' own means and (co)variances (they
are fixed at the sample's): with them in, the MIMIC model's scaling factor was 1.1022 against
lavaan's 1.0095. Fixture: tests/reference/sem/covariates/covariates.json (make_covariates.R).
Tolerances: estimates 1e-4, SEs 1e-3 relative, chi-squares 1e-6 relative, other measures 1e-5.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from govstats import fit
from tests_support import assert_estimates_match, assert_fit_measures_match, assert_partable_matches

REPO = Path(__file__).resolve().parents[2]
FIXTURE = json.loads((REPO / "tests" / "reference" / "sem" / "covariates" / "covariates.json")
                     .read_text(encoding="utf-8"))


def _data(name: str) -> pd.DataFrame:
    if name == "hs":
        hs = pd.read_csv(REPO / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv")
        return hs.assign(agec=hs.ageyr - hs.ageyr.mean(), sexc=hs.sex - 1.5)
    return pd.read_csv(REPO / "data" / "synthetic" / "ri_asset.csv")


@pytest.fixture(scope="module", params=FIXTURE["cases"], ids=lambda c: c["id"])
def case(request):
    ref = request.param
    return ref, fit(ref["model"], _data(ref["data"]), **{k.replace(".", "_"): v for k, v in (ref["args"] or {}).items()})


def test_estimates_and_standard_errors(case):
    ref, res = case
    assert_estimates_match(res.params, ref["params"])


def test_fit_measures(case):
    ref, res = case
    assert_fit_measures_match(res.fit_measures, ref["fit"])


def test_parameter_table_as_lavaan(case):
    ref, res = case
    assert_partable_matches(ref["partable"], res.partable())
