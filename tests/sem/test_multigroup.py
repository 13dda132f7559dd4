"""Multiple-group CFA with cross-group equality constraints against lavaan 0.6.

Fixture: tests/reference/sem/multigroup/hs_multigroup.json, written by make_multigroup_fixture.R
beside it (configural, metric and scalar models of the Holzinger-Swineford CFA by school).
Tolerances, about ten times the worst difference measured over the three models (never below
1e-8 absolute / 1e-7 relative): estimates measured 1.6e-5, tolerance 2e-4; SEs 1.5e-5 relative,
2e-4; std.all 9.6e-6, 1e-4; chisq, aic, bic 2.1e-10 relative to max(1, |value|), 1e-7; srmr
2.0e-7, 5e-6; cfi, tli, rmsea 4.1e-11, 1e-8 (all worst in the configural model). The fit
measures that are stationary at the optimum (chisq and what derives from it) agree to 1e-10,
the rest (first order in the estimates, which lavaan's optimizer leaves 1e-5 off) to 1e-5..1e-7.
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
        if name in ("chisq", "aic", "bic"):
            tol = 1e-7 * max(1, abs(value))  # measured 2.1e-10 relative
        else:
            tol = 5e-6 if name == "srmr" else 1e-8  # measured 2.0e-7; cfi, tli, rmsea, df 4.1e-11
        assert res.fit_measures[name] == pytest.approx(value, abs=tol), name
    lav = pd.DataFrame(case["params"])
    lav = lav[lav.op != "=="]
    ours = res.params.set_index(["lhs", "op", "rhs", "group"])
    for r in lav.itertuples():
        mine = ours.loc[(r.lhs, r.op, r.rhs if isinstance(r.rhs, str) else "", r.group)]
        assert mine.est == pytest.approx(r.est, abs=2e-4)  # measured 1.6e-5
        if r.se > 0:
            assert mine.se == pytest.approx(r.se, rel=2e-4)  # measured 1.5e-5
        assert mine.std_all == pytest.approx(r._7, abs=1e-4)  # measured 9.6e-6
