"""MLM against lavaan 0.6.14: ML estimates with robust.sem standard errors (expected information
around the sample's Gamma) and the Satorra-Bentler scaled test, with its scaled and robust fit
indices; also se="robust" and test="satorra.bentler" with ML, several groups, covariates and the
observed information.

Fixture: tests/reference/sem/mlm/mlm.json (make_mlm.R beside it).
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
FIXTURE = json.loads((REPO / "tests" / "reference" / "sem" / "mlm" / "mlm.json").read_text(encoding="utf-8"))


def _data(name: str) -> pd.DataFrame:
    if name == "hs":
        hs = pd.read_csv(REPO / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv")
        return hs.assign(agec=hs.ageyr - hs.ageyr.mean())
    return pd.read_csv(REPO / "tests" / "reference" / "data" / "PoliticalDemocracy.csv")


def _kwargs(args: dict) -> dict:
    return {key.replace(".", "_"): value for key, value in (args or {}).items()}


@pytest.fixture(scope="module", params=FIXTURE["cases"], ids=lambda c: c["id"])
def case(request):
    ref = request.param
    return ref, fit(ref["model"], _data(ref["data"]), **_kwargs(ref["args"]))


def test_options_resolve_as_lavaan(case):
    ref, res = case
    assert res.options["se"] == ref["options"]["se"]
    assert res.options["information"] == ref["options"]["information"][0]
    lavaan_tests = ref["options"]["test"] if isinstance(ref["options"]["test"], list) else [ref["options"]["test"]]
    assert res.options["test"] in lavaan_tests


def test_estimates_and_standard_errors(case):
    ref, res = case
    assert_estimates_match(res.params, ref["params"])


def test_fit_measures(case):
    ref, res = case
    assert_fit_measures_match(res.fit_measures, ref["fit"])
