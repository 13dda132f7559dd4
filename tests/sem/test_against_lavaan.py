"""govstats.fit against lavaan 0.6 on every committed fixture (tests/reference/sem/*.json).

The fixtures and the R script that wrote them are in tests/reference/sem/. Tolerances are
the SEM issue's: free estimates within 1e-3, standard errors within 1% relative (robust:
2%), fit measures within 1e-3 (chi-square and likelihood-based ones within 1e-3
relative), standardized estimates and their delta-method SEs within 1e-3, the top ten
modification indices within 1e-3.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats import fit

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "sem"
REPO = Path(__file__).resolve().parents[2]
CASES = sorted(p.stem for p in REFERENCE.glob("*.json"))
RELATIVE = {"chisq", "chisq_scaled", "baseline_chisq", "baseline_chisq_scaled", "logl", "unrestricted_logl",
            "aic", "bic", "bic2", "sabic"}


def load(case):
    ref = json.loads((REFERENCE / f"{case}.json").read_text(encoding="utf-8"))
    data = pd.read_csv(REPO / ref["data_file"])
    options = ref["options"]
    kwargs = {"estimator": "MLR" if options["se"] == ["robust.huber.white"] else "ML", "std_lv": options["std.lv"]}
    if ref.get("cluster"):
        kwargs["cluster"] = ref["cluster"]
    return ref, fit(ref["model"], data, **kwargs)


@pytest.fixture(scope="module", params=CASES)
def case(request):
    return load(request.param)


def keyed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(key=frame.lhs + frame.op + frame.rhs.astype(str)).set_index("key")


def test_fixtures_exist():
    assert len(CASES) >= 13


def test_settings_match_lavaan(case):
    ref, res = case
    assert res.converged and ref["converged"]
    assert res.nobs == ref["nobs"]
    assert int(res.fit_measures["npar"]) == ref["npar"]
    assert res.se_type == ref["options"]["se"][0]


def test_estimates_and_standard_errors(case):
    ref, res = case
    lav, ours = keyed(pd.DataFrame(ref["params"])), keyed(res.params)
    assert set(lav.index) == set(ours.index)  # the same parameters, free and fixed
    ours = ours.loc[lav.index]
    np.testing.assert_allclose(ours.est, lav.est, atol=1e-3)
    free = lav.se > 0
    robust = ref["options"]["se"][0] != "standard"
    np.testing.assert_allclose(ours.se[free], lav.se[free], rtol=0.02 if robust else 0.01)
    np.testing.assert_allclose(ours.std_all, lav["std.all"], atol=1e-3)
    np.testing.assert_allclose(ours.std_lv, lav["std.lv"], atol=1e-3)


def test_standardized_solution(case):
    ref, res = case
    lav, ours = keyed(pd.DataFrame(ref["std_solution"])), keyed(res.standardized)
    ours = ours.loc[lav.index]
    np.testing.assert_allclose(ours.est_std, lav["est.std"], atol=1e-3)
    np.testing.assert_allclose(ours.se.fillna(0), lav.se.fillna(0), atol=1e-3)


def test_fit_measures(case):
    ref, res = case
    compared = 0
    for name, value in ref["fit"].items():
        ours = res.fit_measures.get(name.replace(".", "_"))
        if ours is None or value is None:
            continue
        tol = 1e-3 * max(1.0, abs(value)) if name.replace(".", "_") in RELATIVE else 1e-3
        assert ours == pytest.approx(value, abs=tol), name
        compared += 1
    assert compared >= (45 if "chisq.scaled" in ref["fit"] else 30)


def test_modification_indices(case):
    ref, res = case
    lav = pd.DataFrame(ref["modindices"]).head(10)
    ours = keyed(res.modindices())
    for r in lav.itertuples():
        key = f"{r.lhs}{r.op}{r.rhs}"
        assert key in ours.index, key
        row = ours.loc[key]
        assert row.mi == pytest.approx(r.mi, abs=1e-3 * max(1.0, r.mi)), key
        assert row.epc == pytest.approx(r.epc, abs=1e-3), key
        assert row.sepc_all == pytest.approx(r._8, abs=1e-3), key  # sepc.all


def test_r_squared(case):
    ref, res = case
    ours = res.r2()
    for name, value in ref["r2"].items():
        assert ours[name] == pytest.approx(value, abs=1e-3), name


def test_defined_indirect_effect_with_delta_se():
    ref, res = load("poldem_sem_indirect_ml")
    lav = pd.DataFrame(ref["params"]).query("op == ':='").iloc[0]
    ours = res.params.query("op == ':='").iloc[0]
    assert ours.est == pytest.approx(lav.est, abs=1e-3)
    assert ours.se == pytest.approx(lav.se, rel=0.01)
    assert ours.std_all == pytest.approx(lav["std.all"], abs=1e-3)
