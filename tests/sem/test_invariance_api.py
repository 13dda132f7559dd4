"""invariance(), compare() and score_tests(): arguments, refusals, the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import govstats
from govstats.sem.compare import ComparisonWarning

DATA = Path(__file__).resolve().parents[1] / "reference" / "sem" / "invariance" / "data" / "district_likert.csv"
MODEL = "IS =~ IS1 + IS2 + IS3 + IS4\nCN =~ CN1 + CN2 + CN3 + CN4"


@pytest.fixture(scope="module")
def likert():
    return pd.read_csv(DATA)


@pytest.mark.parametrize("kwargs,match", [
    ({"group": "nope"}, "not a column"),
    ({"group": "district", "levels": ["metric"]}, "start with 'configural'"),
    ({"group": "district", "levels": ["configural", "thresholds"]}, "distinct steps"),
    ({"group": "district", "partial": ["CN2 loads"]}, "single parameters"),
    ({"group": "district", "group_equal": ["loadings"]}, "chooses group_equal"),
    ({"group": "district", "alpha": 2}, "between 0 and 1"),
])
def test_bad_arguments_name_the_parameter(likert, kwargs, match):
    with pytest.raises(ValueError, match=match):
        govstats.invariance(MODEL, likert, **kwargs)


def test_one_group_is_refused(likert):
    with pytest.raises(ValueError, match="at least two groups"):
        govstats.invariance(MODEL, likert[likert.district == "D1"], group="district")


def test_structural_lines_are_refused(likert):
    with pytest.raises(ValueError, match="measurement model: line 3"):
        govstats.invariance(MODEL + "\nCN ~ IS", likert, group="district")


def test_partial_frees_the_planted_parameters(likert):
    inv = govstats.invariance(MODEL, likert, group="district", partial=["CN=~CN2", "IS3~1"],
                              levels=("configural", "metric", "scalar"))
    assert list(inv.table.decision[1:]) == ["holds", "holds"]
    p = inv.fits["scalar"].params
    loadings = p[(p.lhs == "CN") & (p.op == "=~") & (p.rhs == "CN2")].est
    assert loadings.nunique() == 3          # free in every group
    means = inv.latent_means()
    assert set(means.group_label) == {"D2", "D3"}


def test_suggest_partial_finds_the_planted_loading(likert):
    inv = govstats.invariance(MODEL, likert, group="district", levels=("configural", "metric"))
    s = inv.suggest_partial("metric")
    assert s.free.iloc[0] == "CN=~CN2"
    assert s.decision.iloc[-1] == "holds"


def test_compare_refuses_different_data_and_estimators(likert):
    a = govstats.fit(MODEL, likert, group="district")
    b = govstats.fit(MODEL, likert.iloc[:-30], group="district", group_equal=["loadings"])
    with pytest.raises(ValueError, match="same data"):
        govstats.compare(a, b)
    c = govstats.fit(MODEL, likert, group="district", group_equal=["loadings"], estimator="MLR")
    with pytest.raises(ValueError, match="different estimators"):
        govstats.compare(a, c)
    with pytest.raises(ValueError, match="at least two"):
        govstats.compare(a)


def test_compare_warns_when_the_smaller_model_fits_better(likert):
    a = govstats.fit(MODEL, likert, group="district")
    b = govstats.fit(MODEL, likert, group="district", group_equal=["loadings"])
    # swapped degrees of freedom cannot happen: compare sorts by df; same df warns
    with pytest.warns(ComparisonWarning, match="same degrees of freedom"):
        govstats.compare(a, govstats.fit(MODEL, likert, group="district", std_lv=True))
    table = govstats.compare(b, a).table
    assert list(table.index) == ["model2", "model1"]


def test_score_tests_refuse_what_they_do_not_compute(likert):
    a = govstats.fit(MODEL, likert, group="district")
    with pytest.raises(ValueError, match="no equality constraints"):
        govstats.score_tests(a)
    w = govstats.fit("IS =~ IS1 + IS2 + IS3 + IS4", likert, group="district", ordered=True,
                     group_equal=["loadings"])
    with pytest.raises(ValueError, match="ML, MLR, MLM, MLMV and MLMVS"):
        govstats.score_tests(w)


def test_command_line_prints_the_sequence_and_suggestion(tmp_path):
    model = tmp_path / "m.lav"
    model.write_text(MODEL, encoding="utf-8")
    out = tmp_path / "table.csv"
    run = subprocess.run([sys.executable, "-m", "govstats", "invariance", str(model), str(DATA), "--group", "district",
                          "--suggest", "--csv", str(out)], capture_output=True, text=True, encoding="utf-8")
    assert run.returncode == 0, run.stderr
    assert "metric" in run.stdout and "fails" in run.stdout
    assert "CN=~CN2" in run.stdout
    assert out.read_text(encoding="utf-8-sig").startswith("model,")
    bad = subprocess.run([sys.executable, "-m", "govstats", "invariance", str(model), str(DATA), "--group", "nope"],
                         capture_output=True, text=True, encoding="utf-8")
    assert bad.returncode != 0 and "Traceback" not in bad.stderr and "nope" in bad.stderr


def test_simulate_command_plants_differences_in_the_truth(tmp_path):
    out, truth = tmp_path / "d.csv", tmp_path / "t.json"
    run = subprocess.run([sys.executable, "-m", "govstats", "simulate", "instruments/grid_governance.yaml", "-n", "60",
                          "--seed", "3", "-o", str(out), "--truth", str(truth),
                          "--difference", "CN2@D3:loading=0.4", "--difference", "IS3@D2:intercept=0.6"],
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    assert run.returncode == 0, run.stderr
    import json

    params = pd.DataFrame(json.loads(truth.read_text(encoding="utf-8"))["params"])
    planted = params[params.group != ""]
    assert sorted(zip(planted.lhs, planted.op, planted.rhs, planted.group, planted.est)) == [
        ("CN", "=~", "CN2", "D3", 0.4), ("IS3", "~1", "", "D2", 0.6)]
    bad = subprocess.run([sys.executable, "-m", "govstats", "simulate", "instruments/grid_governance.yaml", "-n", "6",
                          "-o", str(out), "--difference", "CN2@D3:slope=1"],
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    assert bad.returncode == 2 and "ITEM@GROUP:loading=VALUE" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.slow
def test_demo_step_finds_the_planted_differences(capsys):
    from govstats.data import simulate
    from govstats.resources import seed_instrument_path
    from govstats.sem.invariance_demo import DEMO_DIFFERENCES, demo_invariance

    inst = govstats.load_instrument(seed_instrument_path("ri_asset"))
    sim = simulate(inst, 600, seed=20261121, differences=DEMO_DIFFERENCES)
    demo_invariance(inst, sim.responses, sim.truth, "en")
    out = capsys.readouterr().out
    assert "CD2's loading 0.35 in D3" in out and "CI3's intercept +0.6 in D2" in out
    freed = out[out.index("Partial invariance, "):].splitlines()[0]
    assert "CD=~CD2" in freed and "CI3~1" in freed
    assert "Latent means against D1" in out
