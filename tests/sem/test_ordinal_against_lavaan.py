"""Ordinal SEM (WLSMV, ULSMV; delta and theta) against lavaan 0.6.14 on every committed fixture.

Fixtures and the R script that wrote them: tests/reference/sem_ordinal/. The ordinal-SEM issue
asked for estimates within 2e-3, SEs within 2% relative, chisq.scaled within 0.2% relative and
cfi/tli/rmsea.scaled and srmr within 1e-3; each tolerance below is about ten times the worst
difference measured over the fifteen fixtures (never below 1e-8 absolute / 1e-7 relative):

  quantity                                 measured (worst)                         tolerance
  estimates                                5.6e-6; grid_governance_theta 4.9e-5     1e-4; 5e-4
  SEs, relative                            5.4e-6; grid_governance_theta 5.2e-5     1e-4; 1e-3
  std.all                                  8.1e-6 (grid_governance_theta)           1e-4
  std.lv                                   5.4e-6; grid_governance_theta 3.6e-5     1e-4; 5e-4
  standardizedSolution est.std / se        8.1e-6 / 4.9e-7                          1e-4 / 5e-6
  R-squared of the latent responses        8.1e-6 (grid_governance_theta)           1e-4
  sample thresholds                        5e-15; conditional.x 1.8e-8              1e-8; 2e-7
  wls.obs / sampstat moments               9.6e-8; mixed_hs_missing x4~~x8 7.1e-6   1e-6; 1e-4
  fit: chi-squares (relative)              6.4e-8; mixed_hs_missing 3.6e-6          1e-6; 5e-5
  fit: .robust measures                    2.3e-7; hs_binary_ulsmv 2.9e-6           5e-6; 5e-5
  fit: the rest (scaled indices, rmsea,    1.5e-7 (pvalue.scaled);                  2e-6;
       p-values, srmr, scaling factors)    mixed_hs_missing 5.4e-6 (rmsea.pvalue)   1e-4

The exceptions, and why (see the comments at LOOSER):
- grid_governance_theta: lavaan's theta fit stops further from the optimum than its delta fit of
  the same model: its own delta and theta standardized solutions differ by 9.4e-6.
- mixed_hs_missing_wlsmv: lavaan's nlminb stops the polyserial x4 ~~ x8 7.1e-6 below its maximum
  (tests/reference/sem_ordinal/README.md, "Pairwise missing values"); the fit measures follow.
- hs_binary_ulsmv: its cfi/tli/rmsea.robust agree ten times less well than any other case's
  (2.9e-6 in rmsea.notclose.pvalue.robust, 1.2e-6 in tli.robust); not investigated.
- covariates (conditional.x): lavaan's thresholds come from iterative probit regressions, not qnorm.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats import fit

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "sem_ordinal"
REPO = Path(__file__).resolve().parents[2]
CASES = sorted(p.stem for p in REFERENCE.glob("*.json"))
CHISQ_LIKE = {"chisq", "chisq_scaled", "baseline_chisq", "baseline_chisq_scaled"}
NOT_COMPUTED = re.compile(r"^cn_|gfi|^mfi|^wrmr|^srmr_mplus")  # lavaan extras (see fit_measures)
# Tolerances (the docstring has the measured agreement); LOOSER overrides some of them per case.
TOL = {"est": 1e-4, "se_rel": 1e-4, "std_all": 1e-4, "std_lv": 1e-4, "chisq_rel": 1e-6, "robust": 5e-6,
       "fit": 2e-6, "stage1": 1e-6}
LOOSER = {
    # lavaan's theta fit stops further from the optimum (its delta and theta std.all differ by 9.4e-6):
    # estimates 4.9e-5, SEs 5.2e-5 relative, std.lv 3.6e-5
    "grid_governance_theta": {"est": 5e-4, "se_rel": 1e-3, "std_lv": 5e-4},
    # lavaan's polyserial x4 ~~ x8 stopped 7.1e-6 below its maximum (README, "Pairwise missing
    # values"): that statistic 7.1e-6 (STAGE1_EARLY_STOP), chi-squares 3.6e-6 relative, the other
    # fit measures 5.4e-6 (rmsea.pvalue)
    "mixed_hs_missing_wlsmv": {"chisq_rel": 5e-5, "fit": 1e-4},
    # cfi/tli/rmsea.robust and their CI and p-values: 2.9e-6 (rmsea.notclose.pvalue.robust), others <= 2.3e-7
    "hs_binary_ulsmv": {"robust": 5e-5},
}
STAGE1_EARLY_STOP = {"mixed_hs_missing_wlsmv": ("x4~~x8", 1e-4)}


def tol(ref: dict, quantity: str) -> float:
    return LOOSER.get(ref["case"], {}).get(quantity, TOL[quantity])


def fit_tolerance(ref: dict, name: str) -> dict:
    """pytest.approx keywords for lavaan's fit measure ``name`` (dots as underscores)."""
    if name in CHISQ_LIKE:
        return {"rel": tol(ref, "chisq_rel")}
    return {"abs": tol(ref, "robust" if name.endswith("_robust") else "fit")}


def call_option(ref: dict, name: str, default: str) -> str:
    found = re.search(rf'{name} = "([^"]+)"', ref["call"])
    return found.group(1) if found else default


@pytest.fixture(scope="module", params=CASES)
def case(request):
    ref = json.loads((REFERENCE / f"{request.param}.json").read_text(encoding="utf-8"))
    data = pd.read_csv(REPO / ref["data_file"])
    with pytest.warns() if ref["warnings"] else _no_warning_context():
        res = fit(ref["model"], data, ordered=ref["ordered"], estimator=call_option(ref, "estimator", "WLSMV"),
                  missing=call_option(ref, "missing", "listwise"),
                  parameterization=call_option(ref, "parameterization", "delta"))
    return ref, res


class _no_warning_context:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def keyed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(key=frame.lhs + frame.op + frame.rhs.astype(str)).set_index("key")


def test_fixture_set():
    assert {"hs_binary_wlsmv", "grid_governance_wlsmv", "ri_asset_wlsmv"} <= set(CASES)


def test_settings(case):
    ref, res = case
    assert res.converged and ref["converged"]
    assert res.nobs == ref["nobs"]
    assert int(res.fit_measures["npar"]) == ref["npar"]
    assert int(res.fit_measures["df"]) == ref["fit"]["df"]
    assert res.se_type == "robust.sem" and res.test_type == "scaled.shifted"


def test_parameter_rows_as_lavaan(case):
    ref, res = case
    assert set(keyed(res.params).index) == set(keyed(pd.DataFrame(ref["params"])).index)


def test_estimates_and_standard_errors(case):
    ref, res = case
    lav = keyed(pd.DataFrame(ref["params"]))
    ours = keyed(res.params).loc[lav.index]
    np.testing.assert_allclose(ours.est, lav.est, atol=tol(ref, "est"))
    free = lav.free.to_numpy() > 0
    np.testing.assert_allclose(ours.se[free], lav.se[free], rtol=tol(ref, "se_rel"))
    np.testing.assert_allclose(ours.se[~free], 0, atol=1e-12)
    np.testing.assert_allclose(ours.std_all, lav["std.all"], atol=tol(ref, "std_all"))
    np.testing.assert_allclose(ours.std_lv, lav["std.lv"], atol=tol(ref, "std_lv"))


def test_standardized_solution(case):
    ref, res = case
    lav = keyed(pd.DataFrame(ref["std_solution"]))
    ours = keyed(res.standardized).loc[lav.index]
    np.testing.assert_allclose(ours.est_std, lav["est.std"], atol=1e-4)  # measured 8.1e-6
    np.testing.assert_allclose(ours.se, lav.se, atol=5e-6)  # measured 4.9e-7


def test_r2_of_latent_responses(case):
    ref, res = case
    r2 = res.r2()
    for name, value in ref["r2"].items():
        assert r2[name] == pytest.approx(value, abs=1e-4), name  # measured 8.1e-6


def test_sample_statistics(case):
    ref, res = case
    th = pd.Series(ref["sample_th"]["values"], index=ref["sample_th"]["names"])
    stats = res.sample_statistics()
    # qnorm of proportions (5e-15); with covariates lavaan's probit regressions (1.8e-8)
    np.testing.assert_allclose(stats.stage1.thresholds.loc[th.index], th,
                               atol=2e-7 if ref["options"]["conditional.x"] else 1e-8)
    assert stats.names == ref["stage1_names"]
    early, early_tol = STAGE1_EARLY_STOP.get(ref["case"], (None, 0.0))
    usual = np.array(stats.names) != early
    values, wls_obs = np.asarray(stats.values), np.asarray(ref["wls_obs"])
    np.testing.assert_allclose(values[usual], wls_obs[usual], atol=TOL["stage1"])  # measured 9.6e-8
    np.testing.assert_allclose(values[~usual], wls_obs[~usual], atol=early_tol)
    if ref["options"]["conditional.x"]:
        return  # lavaan's sampstat then holds residual moments and slopes: wls_obs above has them
    # lavaan's sampstat: polychoric correlations, and covariances where continuous variables are
    names = ref["sample_cov"]["names"]
    observed = list(res.fitted()["cov"].index)
    ours = pd.DataFrame(res._bound.blocks[0].sample_moments(stats).cov, index=observed, columns=observed)
    usual = np.ones((len(names), len(names)), dtype=bool)
    if early:
        a, b = (names.index(v) for v in early.split("~~"))
        usual[a, b] = usual[b, a] = False
    ours, theirs = ours.loc[names, names].to_numpy(), np.asarray(ref["sample_cov"]["values"])
    np.testing.assert_allclose(ours[usual], theirs[usual], atol=TOL["stage1"])
    np.testing.assert_allclose(ours[~usual], theirs[~usual], atol=early_tol)


def test_fit_measures(case):
    ref, res = case
    f = res.fit_measures
    lav = {k.replace(".", "_"): v for k, v in ref["fit"].items() if v is not None}
    for name in ("chisq_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled", "srmr"):  # the measures
        assert f[name] == pytest.approx(lav[name], **fit_tolerance(ref, name)), name
    compared = 0
    for name, value in lav.items():
        if NOT_COMPUTED.search(name):
            assert name not in f  # never a number that is not lavaan's
            continue
        assert f[name] == pytest.approx(value, **fit_tolerance(ref, name)), name
        compared += 1
    assert compared >= 45
    # where lavaan reports NA (ULS's unscaled p-values, robust indices with continuous variables),
    # a number here would be one lavaan does not give
    missing = [k.replace(".", "_") for k, v in ref["fit"].items() if v is None]
    assert [k for k in missing if k in f and np.isfinite(f[k])] == []
