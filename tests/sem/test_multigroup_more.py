"""More multiple-group models against lavaan 0.6.14: group.partial, every group.equal kind,
std.lv with equal loadings, and MLR (scaled test of the model and of the baseline).

Fixture: tests/reference/sem/multigroup/hs_multigroup_more.json (make_multigroup_more.R beside it).
Tolerances: estimates and standardized values 1e-4 (lavaan stops at its own tolerance), SEs 1e-4
relative, chi-squares 1e-6 relative, other fit measures 1e-5.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats import fit
from tests_support import assert_fit_measures_match

REPO = Path(__file__).resolve().parents[2]
FIXTURE = json.loads((REPO / "tests" / "reference" / "sem" / "multigroup" / "hs_multigroup_more.json")
                     .read_text(encoding="utf-8"))


def _kwargs(args: dict) -> dict:
    out = {}
    for key, value in args.items():
        out[key.replace(".", "_")] = value
    return out


@pytest.fixture(scope="module", params=FIXTURE["cases"], ids=lambda c: c["id"])
def case(request):
    data = pd.read_csv(REPO / FIXTURE["data_file"])
    return request.param, fit(FIXTURE["model"], data, group="school", **_kwargs(request.param["args"]))


def test_estimates(case):
    ref, res = case
    lav = pd.DataFrame(ref["params"])
    lav["rhs"] = lav["rhs"].fillna("")
    ours = res.params.set_index(["lhs", "op", "rhs", "group"]).loc[list(zip(lav.lhs, lav.op, lav.rhs, lav.group))]
    np.testing.assert_allclose(ours.est, lav.est, atol=1e-4)  # lavaan stops at its own tolerance
    free = lav.se.to_numpy() > 0
    np.testing.assert_allclose(ours.se.to_numpy()[free], lav.se.to_numpy()[free], rtol=1e-4)
    np.testing.assert_allclose(ours.std_all, lav["std.all"], atol=1e-4)
    np.testing.assert_allclose(ours.std_lv, lav["std.lv"], atol=1e-4)


def test_fit_measures(case):
    ref, res = case
    assert_fit_measures_match(res.fit_measures, ref["fit"])
