"""compare() of nested MLMV / MLMVS fits against lavaan 0.6.14's lavTestLRT: for both tests its
default is Satorra's (2000) scaled and shifted difference (W the normal-theory weight at the larger
model's implied moments, Gamma the sample's), with groups and equal loadings, zero-fixed paths of
a MIMIC model (fixed.x covariates) and ML with test="scaled.shifted".

Fixture: tests/reference/sem/mlm/mlmv_lrt.json (make_mlmv_lrt.R beside it).
Tolerances: 1e-5 relative (the groups cases: lavaan's optimizer stops 5e-6 from ours and the
difference statistic follows, 3e-6 relative).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from govstats import compare, fit

REPO = Path(__file__).resolve().parents[2]
FIXTURE = json.loads((REPO / "tests" / "reference" / "sem" / "mlm" / "mlmv_lrt.json").read_text(encoding="utf-8"))


def _kwargs(args) -> dict:
    return {key.replace(".", "_"): value for key, value in (args or {}).items()}


@pytest.fixture(scope="module")
def hs():
    data = pd.read_csv(REPO / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv")
    return data.assign(agec=data.ageyr - data.ageyr.mean())


@pytest.mark.parametrize("ref", FIXTURE["cases"], ids=lambda c: c["id"])
def test_difference_test_matches_lavTestLRT(hs, ref):
    larger = fit(ref["larger"], hs, **_kwargs(ref["args"]))
    smaller = fit(ref["smaller"], hs, **_kwargs(ref["args"]), **_kwargs(ref["smaller_args"]))
    result = compare(larger, smaller)
    assert result.method == "satorra.2000" and "satorra.2000" in ref["heading"]
    row = result.table.iloc[-1]
    assert row["df_diff"] == ref["df_diff"]
    assert row["chisq_diff"] == pytest.approx(ref["chisq_diff"], rel=1e-5)
    assert row["scale"] == pytest.approx(ref["scale"], rel=1e-5)
    assert row["shift"] == pytest.approx(ref["shift"], rel=1e-5)
    assert row["pvalue_diff"] == pytest.approx(ref["pvalue"], rel=1e-4)


def test_score_tests_of_mlmv_fits_are_the_ordinary_ones(hs):
    """lavaan's lavTestScore after MLM, MLMV or MLMVS falls back to the ordinary score test (it warns
    "se is not `standard'"): HolzingerSwineford1939 by school with equal loadings, total X2 = 7.256 on
    6 df for ML, MLM, MLMV and MLMVS alike (lavaan 0.6.14, make_mlmv_lrt.R's data)."""
    from govstats.sem.score_tests import score_tests

    model = FIXTURE["cases"][0]["larger"]
    totals = [score_tests(fit(model, hs, estimator=e, group="school", group_equal="loadings")).total
              for e in ("ML", "MLMV", "MLMVS")]
    for total in totals:
        assert int(total["df"]) == 6
        assert float(total["X2"]) == pytest.approx(7.256, abs=5e-4)
