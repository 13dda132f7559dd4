"""fit() with ordered items: recovery of the truth, argument checks, CLI and output.

The simulation test is the ordinal-SEM issue's: on a large synthetic sample WLSMV recovers the
instrument's true standardized loadings, while ML on the raw five-point codes attenuates them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats import fit, load_instrument, simulate
from govstats.cli import main
from govstats.resources import seed_instrument_path

REPO = Path(__file__).resolve().parents[2]
BINARY = REPO / "tests" / "reference" / "sem_ordinal" / "hs_binary.csv"
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


@pytest.fixture(scope="module")
def large_sample():
    inst = load_instrument(seed_instrument_path("grid_governance"))
    # 2,000 communities of 10: the between-community share of the factors (ICC .06-.14) then
    # barely inflates the sampling error (design effect about 1.9 instead of 80 with 30 communities)
    return inst, simulate(inst, 20_000, seed=11, communities=2_000)


def test_wlsmv_recovers_true_loadings_where_ml_on_codes_is_biased_down(large_sample):
    inst, sim = large_sample
    truth = sim.truth.params
    truth = truth[truth.op == "=~"].set_index(["lhs", "rhs"]).est.astype(float).abs()
    wlsmv = fit(inst, sim.responses, ordered=True)
    ml = fit(inst, sim.responses, estimator="ML")
    get = lambda res: res.params[res.params.op == "=~"].set_index(["lhs", "rhs"]).std_all.abs().loc[truth.index]
    err_wlsmv, err_ml = get(wlsmv) - truth, get(ml) - truth
    # 20,000 respondents: the SE of a standardized loading is about .006; .025 is 4 of them
    assert np.abs(err_wlsmv).max() < 0.025
    assert abs(err_wlsmv.mean()) < 0.005
    # five categories lose information: ML on the codes understates every loading, by .03 to .06 here
    assert err_ml.mean() < -0.02
    assert (err_ml < 0).mean() > 0.9


def test_wlsmv_structural_paths_match_the_population(large_sample):
    inst, sim = large_sample
    truth = sim.truth.params
    truth = truth[truth.op == "~"].set_index(["lhs", "rhs"]).est.astype(float)
    res = fit(inst, sim.responses, ordered=True)
    paths = res.params[res.params.op == "~"].set_index(["lhs", "rhs"]).std_all.loc[truth.index]
    assert np.abs(paths - truth).max() < 0.04  # SE of a path about .01


@pytest.mark.parametrize("kwargs, match", [
    (dict(estimator="ML", ordered=True), "With ordered items the estimator must be one of"),
    (dict(estimator="MLR", ordered=True), "leave out 'ordered'"),
    (dict(estimator="WLSMV"), "pass ordered=True"),
    (dict(ordered=["age", "sex"]), "None of the model's variables is in 'ordered'"),
    (dict(ordered=True, parameterization="gamma"), "'parameterization' parameter"),
    (dict(ordered=True, missing="fiml"), "'missing' parameter"),
    (dict(ordered=True, cluster="x1"), "not available in this version"),
    (dict(ordered=True, se="robust.huber.white"), "'se' parameter"),
    (dict(ordered=3), "'ordered' parameter"),
])
def test_bad_arguments_are_clear_errors(kwargs, match):
    data = pd.read_csv(BINARY)
    with pytest.raises(ValueError, match=match):
        fit(HS_MODEL, data, **kwargs)


def test_an_ordered_exogenous_covariate_is_a_clear_error():
    data = pd.read_csv(BINARY).assign(age=np.arange(301) % 40 + 20.0)
    with pytest.raises(ValueError, match=r"covariate\(s\) \['age'\] are in 'ordered'"):
        fit(HS_MODEL + "\nvisual ~ age", data, ordered=[f"x{i}" for i in range(1, 10)] + ["age"])


def test_a_single_category_item_is_an_error_naming_it():
    data = pd.read_csv(BINARY)
    data["x5"] = 1
    with pytest.raises(ValueError, match="x5"):
        fit(HS_MODEL, data, ordered=True)


def test_listwise_deletion_is_counted():
    data = pd.read_csv(BINARY).astype(float)
    data.loc[[3, 10, 11], "x2"] = np.nan
    res = fit(HS_MODEL, data, ordered=True)
    assert res.nobs == 298 and res.n_dropped == 3


def test_summary_json_and_no_modindices():
    res = fit(HS_MODEL, pd.read_csv(BINARY), ordered=True)
    text = res.summary()
    assert "Thresholds:" in text and "x1|t1" in text and "Shift parameter" in text
    assert "AIC" not in text  # no likelihood for WLSMV, as lavaan
    assert res.to_dict()["params"][0]["op"] == "=~"
    with pytest.raises(ValueError, match="not yet for ordered items"):
        res.modindices()


def test_theta_and_delta_parameterizations_give_the_same_fit_and_standardized_solution():
    # Same model, same data: the parameterizations are reparameterizations (identical fit), and
    # the standardized solution does not depend on them.
    data = pd.read_csv(BINARY)
    delta = fit(HS_MODEL, data, ordered=True)
    theta = fit(HS_MODEL, data, ordered=True, parameterization="theta")
    assert theta.fit_measures["chisq"] == pytest.approx(delta.fit_measures["chisq"], rel=1e-6)
    np.testing.assert_allclose(theta.params.std_all, delta.params.std_all, atol=1e-6)


def test_cli_fit_ordered(tmp_path, capsys):
    model = tmp_path / "hs.lav"
    model.write_text(HS_MODEL, encoding="utf-8")
    out = tmp_path / "fit.json"
    assert main(["fit", str(model), str(BINARY), "--ordered", "all", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    # lavaan's layout: WLSMV is printed as its DWLS estimator (summary(fit) in lavaan 0.6.14)
    assert "ended normally" in printed and re.search(r"Estimator +DWLS\n", printed) and "Thresholds:" in printed
    report = json.loads(out.read_text(encoding="utf-8"))
    # lavaan 0.6.14 on the same data (tests/reference/sem_ordinal/hs_binary_wlsmv.json)
    assert report["fit"]["chisq_scaled"] == pytest.approx(41.818, abs=2e-3)
    names = ",".join(f"x{i}" for i in range(1, 10))
    assert main(["fit", str(model), str(BINARY), "--ordered", names, "--estimator", "ULSMV"]) == 0
    assert re.search(r"Estimator +ULS\n", capsys.readouterr().out)


@pytest.mark.slow  # the whole demo, twice (shared with the other demo tests)
def test_demo_fits_wlsmv_by_default_and_ml_on_request(demo_run, demo_run_ml):
    out = demo_run[0]
    assert "Step 6. Fit the instrument's SEM (WLSMV" in out
    assert "  standard " in out and "  scaled " in out
    assert "(ML, the codes as continuous)" in demo_run_ml[0]


def test_empty_categories_warn_naming_item_and_code_and_fit_as_lavaan():
    from govstats.errors import EmptyCategoryWarning

    inst = load_instrument(seed_instrument_path("grid_governance"))
    data = pd.read_csv(REPO / "tests" / "reference" / "sem_ordinal" / "grid_governance_empty_category.csv")
    # with the instrument, the unused end category of VS1 (1) is known too, not only the gap in IS1 (3)
    with pytest.warns(EmptyCategoryWarning, match=r"VS1: nobody chose 1.*IS1: nobody chose 3") as caught:
        res = fit(inst, data, ordered=True)
    assert caught[0].filename == __file__  # points at the caller's fit(), not at govstats
    assert any("VS1: nobody chose 1" in note for note in res.warnings_)
    ref = json.loads((REPO / "tests" / "reference" / "sem_ordinal" / "empty_category_wlsmv.json").read_text())
    assert res.fit_measures["chisq_scaled"] == pytest.approx(ref["fit"]["chisq.scaled"], rel=1e-4)
    assert list(res.params.query("lhs == 'IS1' and op == '|'").rhs) == ["t1", "t2", "t3"]


def test_identical_binary_items_are_an_error_naming_the_pair():
    data = pd.read_csv(BINARY)
    data["x2"] = data["x1"]
    with pytest.warns(Warning), pytest.raises(ValueError, match=r"x1~~x2 is undefined"):
        fit(HS_MODEL, data, ordered=True)


def test_negative_residual_variance_of_a_latent_response_is_a_heywood_warning():
    from govstats.errors import HeywoodWarning

    # a's loading is fixed at 1 and the factor variance at 1.3: in the delta parameterization its
    # residual variance is 1 - 1.3 < 0
    rng = np.random.default_rng(3)
    f = rng.standard_normal(2000)
    y = np.column_stack([0.99 * f + 0.14 * rng.standard_normal(2000), 0.3 * f + rng.standard_normal(2000),
                         0.3 * f + rng.standard_normal(2000)])
    codes = pd.DataFrame((y > 0).astype(int) + (y > 1).astype(int), columns=["a", "b", "c"])
    model = "f =~ a + b + c\nf ~~ 1.3*f"
    with pytest.warns(HeywoodWarning, match="for a "):
        res = fit(model, codes, ordered=True)
    assert res.params.query("lhs == 'a' and op == '~~'").est.iloc[0] < 0


def test_defined_indirect_effect_matches_lavaan():
    # tests/reference/sem_ordinal/defined/make_defined.R: lavaan 0.6.14, ind := a*b under WLSMV
    ref = json.loads((REPO / "tests" / "reference" / "sem_ordinal" / "defined" / "grid_indirect_wlsmv.json")
                     .read_text(encoding="utf-8"))
    res = fit((REPO / ref["model_file"]).read_text(encoding="utf-8"), pd.read_csv(REPO / ref["data_file"]),
              ordered=True)
    ours = res.params.set_index(["lhs", "op", "rhs"])
    std = res.standardized.set_index(["lhs", "op", "rhs"])
    for row in ref["params"]:
        mine = ours.loc[(row["lhs"], row["op"], row["rhs"])]
        assert mine.est == pytest.approx(row["est"], abs=2e-3)
        assert mine.se == pytest.approx(row["se"], rel=0.02)
        assert mine.std_all == pytest.approx(row["std.all"], abs=1e-3)
    for row in ref["std_solution"]:
        mine = std.loc[(row["lhs"], row["op"], row["rhs"])]
        assert mine.est_std == pytest.approx(row["est.std"], abs=1e-3)
        assert mine.se == pytest.approx(row["se"], abs=1e-3)


def test_ordered_true_leaves_exogenous_covariates_continuous_as_lavaan():
    # lavaan's ordered = TRUE: every observed variable but the exogenous covariates
    data = pd.read_csv(REPO / "tests" / "reference" / "sem_ordinal" / "hs_mixed.csv")
    model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual + textual ~ agec"
    everything = fit(model, data, ordered=True)
    named = fit(model, data, ordered=[f"x{i}" for i in range(1, 7)])
    assert everything.converged and "x1~agec" in everything.sample_statistics().names
    np.testing.assert_allclose(everything.params.est, named.params.est, rtol=1e-12)
    assert everything.fit_measures["chisq_scaled"] == pytest.approx(named.fit_measures["chisq_scaled"], rel=1e-12)
