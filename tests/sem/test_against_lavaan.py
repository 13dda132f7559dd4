"""govstats.fit against lavaan 0.6 on every committed fixture (tests/reference/sem/*.json).

The fixtures and the R script that wrote them are in tests/reference/sem/. The SEM issue asked
for estimates within 1e-3, SEs within 1% relative (robust: 2%) and fit measures within 1e-3; we
agree far better, and each tolerance is about ten times the worst difference measured over the
thirteen fixtures (never below 1e-8 absolute / 1e-7 relative):

  quantity                                  measured (worst)                   tolerance
  estimates (free and fixed)                1.1e-5 (ri_asset)                  2e-4
  SEs, relative                             2.8e-6; ri_asset 2.8e-5            5e-5; ri_asset 5e-4
  std.all / std.lv                          1.1e-5 / 6.8e-6                    2e-4 / 1e-4
  standardizedSolution est.std / se         1.1e-5 / 7.2e-7                    2e-4 / 1e-5
  fit: ML chi-squares, likelihoods (rel.)   1.3e-10                            1e-7
  fit: other ML measures                    3.2e-9 (rmsea.ci.upper)            5e-8
  fit: rmr, srmr                            1.1e-7 (rmr, poldem_sem)           2e-6
  fit: robust (scaled, robust, scaling)     1.4e-7 (pvalue.scaled);            2e-6
                                            chisq.scaled 1.1e-7 rel.
  modification indices: mi (rel.)           3.6e-5 (poldem_sem)                5e-4
                        epc / sepc.all      1.9e-5 / 1.6e-5 (poldem_sem)       2e-4
  R-squared                                 5.4e-6 (ri_asset)                  1e-4
  defined ind: est / se (rel.) / std.all    1.5e-6 / 8.4e-7 / 1.7e-7           2e-5 / 1e-5 / 2e-6

The estimates differ by what lavaan's nlminb leaves at its stopping rule; the ML chi-square and
likelihoods are stationary there and agree to 1e-10, while whatever is first-order in the
estimates (SEs, robust corrections, residuals, MIs) agrees to 1e-7..1e-5. "rel." is relative to
max(1, |value|) for fit measures and MIs, to |value| for SEs.
"""

from __future__ import annotations

import json
import re
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
# ri_asset (41 items, 10 factors, the largest model): lavaan stops with estimates 1.8e-5 relative
# from ours (the RIE block), and the SEs follow (2.8e-5 relative, unsystematic); every other
# fixture's SEs agree to 2.8e-6.
SE_RTOL = {"ri_asset_ml": 5e-4, "ri_asset_mlr": 5e-4, "ri_asset_cluster": 5e-4}


def fit_tolerance(name: str, value: float) -> float:
    """Absolute tolerance for lavaan's fit measure ``name`` (dots as underscores); see the docstring."""
    if re.search(r"scaled|robust|scaling", name):
        tol = 2e-6  # robust (MLR, cluster): measured 1.4e-7 (pvalue.scaled), chisq.scaled 1.1e-7 relative
    elif "rmr" in name:
        tol = 2e-6  # rmr, srmr (first order in the estimates): measured 1.1e-7
    elif name in RELATIVE:
        tol = 1e-7  # ML chi-squares and likelihoods: measured 1.3e-10 relative (the floor)
    else:
        tol = 5e-8  # cfi, tli, rmsea and its CI and p-values, ...: measured 3.2e-9
    return tol * max(1.0, abs(value)) if name in RELATIVE else tol


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
    np.testing.assert_allclose(ours.est, lav.est, atol=2e-4)  # measured 1.1e-5
    free = lav.se > 0
    np.testing.assert_allclose(ours.se[free], lav.se[free], rtol=SE_RTOL.get(ref["case"], 5e-5))  # 2.8e-6
    np.testing.assert_allclose(ours.std_all, lav["std.all"], atol=2e-4)  # measured 1.1e-5
    np.testing.assert_allclose(ours.std_lv, lav["std.lv"], atol=1e-4)  # measured 6.8e-6


def test_standardized_solution(case):
    ref, res = case
    lav, ours = keyed(pd.DataFrame(ref["std_solution"])), keyed(res.standardized)
    ours = ours.loc[lav.index]
    np.testing.assert_allclose(ours.est_std, lav["est.std"], atol=2e-4)  # measured 1.1e-5
    np.testing.assert_allclose(ours.se.fillna(0), lav.se.fillna(0), atol=1e-5)  # measured 7.2e-7


def test_fit_measures(case):
    ref, res = case
    compared = 0
    for name, value in ref["fit"].items():
        ours = res.fit_measures.get(name.replace(".", "_"))
        if ours is None or value is None:
            continue
        assert ours == pytest.approx(value, abs=fit_tolerance(name.replace(".", "_"), value)), name
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
        assert row.mi == pytest.approx(r.mi, abs=5e-4 * max(1.0, r.mi)), key  # measured 3.6e-5 relative
        assert row.epc == pytest.approx(r.epc, abs=2e-4), key  # measured 1.9e-5
        assert row.sepc_all == pytest.approx(r._8, abs=2e-4), key  # sepc.all; measured 1.6e-5


def test_r_squared(case):
    ref, res = case
    ours = res.r2()
    for name, value in ref["r2"].items():
        assert ours[name] == pytest.approx(value, abs=1e-4), name  # measured 5.4e-6


def test_defined_indirect_effect_with_delta_se():
    ref, res = load("poldem_sem_indirect_ml")
    lav = pd.DataFrame(ref["params"]).query("op == ':='").iloc[0]
    ours = res.params.query("op == ':='").iloc[0]
    assert ours.est == pytest.approx(lav.est, abs=2e-5)  # measured 1.5e-6
    assert ours.se == pytest.approx(lav.se, rel=1e-5)  # measured 8.4e-7
    assert ours.std_all == pytest.approx(lav["std.all"], abs=2e-6)  # measured 1.7e-7
