"""Multiple-group CFA with cross-group equality constraints against lavaan 0.6.

Fixture: tests/reference/sem/multigroup/hs_multigroup.json, written by make_multigroup_fixture.R
beside it (configural, metric and scalar models of the Holzinger-Swineford CFA by school).
Tolerances as the single-group tests: estimates 1e-3, SEs 1% relative, fit 1e-3.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats import fit

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "sem" / "multigroup" / "hs_multigroup.json"
REPO = Path(__file__).resolve().parents[2]
FIXTURE = json.loads(REFERENCE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: "+".join(np.atleast_1d(c["group_equal"])))
def test_multigroup_against_lavaan(case):
    data = pd.read_csv(REPO / FIXTURE["data_file"])
    equal = [] if case["group_equal"] == "none" else list(np.atleast_1d(case["group_equal"]))
    res = fit(FIXTURE["model"], data, group="school", group_equal=equal)
    assert res.group_labels == case["group_labels"]
    for name, value in case["fit"].items():
        tol = 1e-3 * max(1, abs(value)) if name in ("chisq", "aic", "bic") else 1e-3
        assert res.fit_measures[name] == pytest.approx(value, abs=tol), name
    lav = pd.DataFrame(case["params"])
    lav = lav[lav.op != "=="]
    ours = res.params.set_index(["lhs", "op", "rhs", "group"])
    for r in lav.itertuples():
        mine = ours.loc[(r.lhs, r.op, r.rhs if isinstance(r.rhs, str) else "", r.group)]
        assert mine.est == pytest.approx(r.est, abs=1e-3)
        if r.se > 0:
            assert mine.se == pytest.approx(r.se, rel=0.01)
        assert mine.std_all == pytest.approx(r._7, abs=1e-3)
