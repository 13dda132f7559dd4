"""The lavaan fixtures in tests/reference/sem/ are complete and consistent with their inputs.

These tests check only that the fixtures are well-formed and were made from the committed
models and data; the comparisons of the engine with them live with the engine's tests.
Regenerate the fixtures with ``Rscript tests/reference/sem/make_fixtures.R`` from the repository
root (see tests/reference/sem/README.md).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats import load_instrument
from govstats.resources import seed_instrument_path

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "tests" / "reference" / "sem"

EXPECTED_CASES = {
    "hs_cfa_ml",
    "hs_cfa_mlr",
    "hs_cfa_ml_stdlv",
    "poldem_sem_ml",
    "poldem_sem_mlr",
    "poldem_sem_indirect_ml",
    "poldem_sem_indirect_mlr",
    "ri_asset_ml",
    "ri_asset_mlr",
    "ri_asset_cluster",
    "platform_dilemma_ml",
    "platform_dilemma_mlr",
    "platform_dilemma_cluster",
}
# Other fixtures (hs_multigroup.json, from its own script) share the folder; these are
# the ones make_fixtures.R writes.
CASE_PATHS = [REFERENCE / f"{case}.json" for case in sorted(EXPECTED_CASES)]

PARAM_KEYS = {
    "lhs", "op", "rhs", "group", "label", "free", "est", "se", "z", "pvalue",
    "ci.lower", "ci.upper", "std.lv", "std.all", "std.nox",
}
FIT_KEYS = {
    "npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli", "rmsea",
    "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr", "logl", "aic", "bic", "bic2",
}
ROBUST_FIT_KEYS = {
    "chisq.scaled", "df.scaled", "pvalue.scaled", "chisq.scaling.factor", "cfi.scaled",
    "tli.scaled", "rmsea.scaled", "cfi.robust", "tli.robust", "rmsea.robust",
}
MI_KEYS = {"lhs", "op", "rhs", "mi", "epc", "sepc.lv", "sepc.all", "sepc.nox"}
Z_975 = 1.959963984540054  # lavaan's default 95% Wald intervals


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def matrix(entry: dict) -> pd.DataFrame:
    return pd.DataFrame(entry["values"], index=entry["names"], columns=entry["names"], dtype=float)


def is_robust(case: dict) -> bool:
    return case["options"]["se"] != ["standard"]


def test_every_planned_case_has_a_fixture():
    missing = [p.name for p in CASE_PATHS if not p.is_file()]
    assert not missing


@pytest.mark.parametrize("path", CASE_PATHS, ids=lambda p: p.stem)
def test_header_records_version_call_and_inputs(path):
    case = load(path)
    assert case["case"] == path.stem
    assert re.fullmatch(r"0\.6\.\d+", case["lavaan_version"])
    assert case["environment"]["lavaan_version"] == case["lavaan_version"]
    assert re.fullmatch(r"(cfa|sem)\(model = model, data = \w+.*\)", case["call"])
    assert case["converged"] is True
    model_text = (REPO / case["model_file"]).read_text(encoding="utf-8")
    # R's readLines drops the final newline.
    assert case["model"] == model_text.rstrip("\n")
    for key in ("estimator", "se", "test", "information", "h1.information",
                "observed.information", "meanstructure", "likelihood", "std.lv", "fixed.x",
                "mimic"):
        assert key in case["options"], key
    timing = case["timing"]
    assert timing["reps"] == len(timing["seconds"]) == 20
    assert timing["median_seconds"] == pytest.approx(float(np.median(timing["seconds"])))
    assert timing["median_seconds"] > 0
    assert len(timing["cpu_seconds"]) == 20 and timing["median_cpu_seconds"] > 0


@pytest.mark.parametrize("path", CASE_PATHS, ids=lambda p: p.stem)
def test_params_are_complete_and_npar_counts_the_free_ones(path):
    case = load(path)
    params = case["params"]
    assert params and all(set(p) == PARAM_KEYS for p in params)
    free = [p for p in params if p["free"] > 0]
    assert len(free) == case["npar"] == case["fit"]["npar"]
    assert sorted(p["free"] for p in free) == list(range(1, case["npar"] + 1))
    for p in free:
        assert math.isfinite(p["est"]) and p["se"] > 0, p
        # The stored intervals are the Wald intervals of the stored estimate and SE.
        assert p["ci.lower"] == pytest.approx(p["est"] - Z_975 * p["se"], rel=1e-9, abs=1e-12)
        assert p["ci.upper"] == pytest.approx(p["est"] + Z_975 * p["se"], rel=1e-9, abs=1e-12)
    for p in params:
        if p["free"] == 0 and p["op"] != ":=":
            assert p["se"] == 0, p
    defined = [p for p in params if p["op"] == ":="]
    if "indirect" in case["case"]:
        by_label = {p["label"]: p for p in params if p["label"]}
        ind = next(p for p in defined if p["lhs"] == "ind")
        assert ind["est"] == pytest.approx(by_label["a"]["est"] * by_label["b"]["est"], rel=1e-9)
        assert ind["se"] > 0
    else:
        assert not defined


@pytest.mark.parametrize("path", CASE_PATHS, ids=lambda p: p.stem)
def test_fit_measures_and_degrees_of_freedom(path):
    case = load(path)
    fit = case["fit"]
    required = FIT_KEYS | (ROBUST_FIT_KEYS if is_robust(case) else set())
    for key in required:
        assert fit.get(key) is not None and math.isfinite(fit[key]), key
    if not is_robust(case):
        assert fit.get("chisq.scaled") is None
    # df = sample moments - free parameters (means count when there is a mean structure).
    p = len(case["sample_cov"]["names"])
    moments = p * (p + 1) // 2 + (p if case["options"]["meanstructure"] else 0)
    assert fit["df"] == moments - case["npar"]
    assert fit["chisq"] > 0 and 0 <= fit["srmr"] < 1 and 0 <= fit["rmsea"] < 1


@pytest.mark.parametrize("path", CASE_PATHS, ids=lambda p: p.stem)
def test_standardized_solution_matches_params(path):
    case = load(path)
    params, std = case["params"], case["std_solution"]
    assert [(s["lhs"], s["op"], s["rhs"]) for s in std] == [
        (p["lhs"], p["op"], p["rhs"]) for p in params
    ]
    for p, s in zip(params, std):
        if p["std.all"] is None:
            assert s["est.std"] is None
            continue
        assert s["est.std"] == pytest.approx(p["std.all"], rel=1e-9, abs=1e-12)
        if p["free"] > 0:
            # A standardized exogenous latent variance is 1 by construction, with SE 0.
            constant = p["op"] == "~~" and p["lhs"] == p["rhs"] and s["est.std"] == 1
            assert s["se"] == 0 if constant else s["se"] > 0, s


@pytest.mark.parametrize("path", CASE_PATHS, ids=lambda p: p.stem)
def test_modindices_r2_and_matrices(path):
    case = load(path)
    mi = case["modindices"]
    assert len(mi) == 20 and all(set(m) == MI_KEYS for m in mi)
    values = [m["mi"] for m in mi]
    assert values == sorted(values, reverse=True)

    implied, sample = matrix(case["implied_cov"]), matrix(case["sample_cov"])
    assert list(implied.index) == list(sample.index)
    for m in (implied, sample):
        assert np.allclose(m.to_numpy(), m.to_numpy().T, rtol=0, atol=1e-12)
        assert np.linalg.eigvalsh(m.to_numpy()).min() > 0

    observed = set(sample.index)
    latent = {p["lhs"] for p in case["params"] if p["op"] == "=~"}
    assert set(case["r2"]) <= observed | latent
    assert all(0 <= v <= 1 for v in case["r2"].values())


@pytest.mark.parametrize("path", CASE_PATHS, ids=lambda p: p.stem)
def test_sample_statistics_come_from_the_committed_data(path):
    case = load(path)
    data = pd.read_csv(REPO / case["data_file"], encoding="utf-8")
    names = case["sample_cov"]["names"]
    used = data[names].dropna()
    assert len(used) == case["nobs"]
    # lavaan's sample covariance divides by N.
    np.testing.assert_allclose(
        matrix(case["sample_cov"]).to_numpy(), used.cov(ddof=0).to_numpy(), rtol=1e-10, atol=1e-12
    )
    if case["cluster"] is not None:
        assert case["nclusters"] == data[case["cluster"]].nunique()


def test_instrument_models_are_the_instruments_current_syntax():
    # A changed instrument makes its fixtures stale: rerun make_fixtures.R when this fails.
    for name in ("ri_asset", "platform_dilemma"):
        syntax = load_instrument(seed_instrument_path(name)).model_syntax()
        assert (REFERENCE / "models" / f"{name}.lav").read_text(encoding="utf-8") == syntax


def test_robust_cases_record_what_lavaan_used():
    mlr = load(REFERENCE / "hs_cfa_mlr.json")["options"]
    assert mlr["se"] == ["robust.huber.white"] and mlr["test"] == ["yuan.bentler.mplus"]
    for name in ("ri_asset_cluster", "platform_dilemma_cluster"):
        case = load(REFERENCE / f"{name}.json")
        assert case["cluster"] == "community_id" and case["nclusters"] == 30
        assert case["options"]["se"] == ["robust.cluster"]
        assert "yuan.bentler.mplus" in case["options"]["test"]
