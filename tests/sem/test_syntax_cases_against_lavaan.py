"""Models as people write them, against lavaan 0.6.14: the growth-model tutorial (intercepts
written in the syntax, covariates), a latent change score model (phantom variables, a shared
label, fixed intercepts), a semTools::measEq.syntax() model (every term repeated with two
modifier vectors, which lavaan merges), a Heywood case with a residual covariance and a formative
composite (``<~``: weights as regressions, no disturbance, its components fixed.x covariates). Each was once
silently wrong (NaN SEs and a wrong df; a free residual variance lavaan fixes; the configural
model instead of the scalar one; a NaN std.all where lavaan divides by sqrt(abs()) of the
negative residual variance).

Fixture: tests/reference/sem/syntax/syntax_cases.json (make_syntax_cases.R beside it).
Measured agreement: estimates 3e-6, SEs 2e-6 relative, fit measures 1e-8; tolerances as below.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats import fit
from govstats.errors import HeywoodWarning
from tests_support import assert_estimates_match, assert_fit_measures_match

REPO = Path(__file__).resolve().parents[2]
FIXTURE = json.loads((REPO / "tests" / "reference" / "sem" / "syntax" / "syntax_cases.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=FIXTURE["cases"], ids=lambda c: c["id"])
def case(request):
    ref = request.param
    data = pd.read_csv(REPO / ref["data"])
    if ref["id"].startswith("heywood"):  # lavaan warns too: "some estimated ov variances are negative"
        with pytest.warns(HeywoodWarning):
            return ref, fit(ref["model"], data, **(ref["args"] or {}))
    return ref, fit(ref["model"], data, **(ref["args"] or {}))


def test_estimates_and_standard_errors(case):
    ref, res = case
    assert res.converged
    assert_estimates_match(res.params, ref["params"], est_atol=5e-5, se_rtol=5e-5, std_atol=5e-5)


def test_fit_measures(case):
    ref, res = case
    assert_fit_measures_match(res.fit_measures, ref["fit"])


def test_parameter_table(case):
    ref, res = case
    lav = pd.DataFrame(ref["partable"])
    lav = lav[~lav.op.isin(["==", ":="])]
    lav["rhs"] = lav["rhs"].fillna("")
    ours = res.partable()
    ours = ours[~ours.op.isin(["==", ":="])]
    assert list(zip(ours.lhs, ours.op, ours.rhs, ours.group)) == list(zip(lav.lhs, lav.op, lav.rhs, lav.group))
    np.testing.assert_array_equal(ours.free.to_numpy() > 0, lav.free.to_numpy() > 0)
    fixed = (lav.free == 0).to_numpy() & lav.ustart.notna().to_numpy()
    np.testing.assert_allclose(ours.ustart.to_numpy()[fixed].astype(float), lav.ustart.to_numpy()[fixed].astype(float))


def test_composites_refuse_what_is_not_checked_against_lavaan():
    res = fit("f <~ 1*x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\ntextual + speed ~ f",
              pd.read_csv(REPO / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv"))
    assert "Composites:" in res.summary()
    with pytest.raises(ValueError, match="composites"):
        res.modindices()
    with pytest.raises(ValueError, match="composites"):
        res.predict()
