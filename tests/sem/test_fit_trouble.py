"""fit(): bad arguments, bad data and estimation trouble give clear errors or typed warnings."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats import fit, load_instrument, simulate
from govstats.cli import main
from govstats.errors import HeywoodWarning, IdentificationWarning
from govstats.resources import seed_instrument_path
from govstats.sem.syntax import ModelSyntaxError

REPO = Path(__file__).resolve().parents[2]
HS = REPO / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv"
MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


@pytest.fixture(scope="module")
def hs():
    return pd.read_csv(HS)


@pytest.mark.parametrize("kwargs, match", [
    (dict(estimator="LS"), "'estimator' parameter"),
    (dict(estimator="WLSMV"), "for ordered items"),
    (dict(missing="pairwise"), "'missing' parameter"),
    (dict(missing="fiml", estimator="MLM"), "cannot be combined with missing='fiml'"),
    (dict(cluster="school_id"), "'cluster' parameter"),
    (dict(group="region"), "'group' parameter"),
])
def test_bad_arguments(hs, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit(MODEL, hs, **kwargs)


def test_missing_column_is_named(hs):
    with pytest.raises(ValueError, match=r"\['x10'\]"):
        fit(MODEL + " + x10", hs)


def test_constant_column_is_named(hs):
    with pytest.raises(ValueError, match="x2"):
        fit(MODEL, hs.assign(x2=1.0))


def test_syntax_error_names_the_line(hs):
    with pytest.raises(ModelSyntaxError, match="line 2"):
        fit("visual =~ x1 + x2 + x3\ntextual x4 + x5", hs)


def test_listwise_deletion_is_reported_not_silent(hs):
    data = hs.copy()
    data.loc[:9, "x1"] = np.nan
    res = fit(MODEL, data)
    assert res.nobs == len(hs) - 10 and res.n_dropped == 10
    # lavaan's layout: "Used" and "Total" columns of the number of observations
    assert re.search(rf"Used +Total\n +Number of observations +{len(hs) - 10} +{len(hs)}\n", res.summary())


def test_unidentified_model_warns_and_gives_no_standard_errors(hs):
    # Two indicators of one factor, its variance and both loadings free: not identified.
    with pytest.warns(IdentificationWarning):
        res = fit("f =~ NA*x1 + x2\nf ~~ f", hs)
    assert res.params.loc[res.params.op == "=~", "se"].isna().all()
    assert any("identified" in w for w in res.warnings_)


def test_heywood_case_is_flagged():
    # Sample correlations r12 = r13 = .8, r23 = .4: the just-identified one-factor model
    # needs lambda1^2 phi = r12 r13 / r23 = 1.6 > 1, so the residual variance of y1 is -0.6.
    target = np.array([[1, .8, .8], [.8, 1, .4], [.8, .4, 1]])
    z = np.random.default_rng(0).normal(size=(500, 3))
    z = (z - z.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False, bias=True))).T
    data = pd.DataFrame(z @ np.linalg.cholesky(target).T, columns=["y1", "y2", "y3"])
    with pytest.warns(HeywoodWarning, match="y1"):
        res = fit("f =~ y1 + y2 + y3", data)
    theta = res.params.query("lhs == 'y1' and op == '~~' and rhs == 'y1'").est.iloc[0]
    assert theta == pytest.approx(-0.6, abs=1e-4)
    assert any("Heywood" in w for w in res.warnings_)


def test_fit_an_instrument_finds_columns_by_id():
    inst = load_instrument(seed_instrument_path("platform_dilemma"))
    data = simulate(inst, 500, seed=3).responses
    res = fit(inst, data)  # other columns (ids, times, demographics) are ignored
    assert res.converged and res.nobs == 500
    paths = res.params[res.params.op == "~"].set_index(["lhs", "rhs"]).std_all
    # the population says pressure lowers autonomy: the estimate has that sign
    assert paths[("AU", "GP")] < 0 and paths[("AU", "RD")] < 0


def test_effects_table_multiplies_paths():
    inst = load_instrument(seed_instrument_path("party_building"))
    res = fit(inst, simulate(inst, 800, seed=2).responses)
    eff = res.effects()
    pair = eff[(eff.predictor == "SI") & (eff.outcome == "GE")].set_index("effect")
    direct = res.params[res.params.op == "~"].set_index(["lhs", "rhs"]).est
    assert pair.loc["indirect", "est"] == pytest.approx(direct[("MP", "SI")] * direct[("GE", "MP")])
    assert "direct" not in pair.index  # the model has no path SI -> GE


def test_json_and_cli(tmp_path, capsys, hs):
    model = tmp_path / "hs.lav"
    model.write_text(MODEL, encoding="utf-8")
    out = tmp_path / "fit.json"
    assert main(["fit", str(model), str(HS), "--estimator", "MLR", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Scaling correction factor" in printed and "Latent Variables" in printed
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["estimator"] == "MLR" and report["nobs"] == 301 and report["converged"] is True
    assert report["fit"]["chisq"] == pytest.approx(85.306, abs=1e-3)  # lavaan's value for this model
    assert report["seconds"] > 0 and "provenance" in report
    assert {"lhs", "op", "rhs", "est", "se", "std_all"} <= set(report["params"][0])


def test_cli_fits_an_instrument_yaml(tmp_path, capsys):
    inst_path = seed_instrument_path("grid_governance")
    data = simulate(load_instrument(inst_path), 400, seed=5).responses
    csv = tmp_path / "grid.csv"
    data.to_csv(csv, index=False)
    assert main(["fit", str(inst_path), str(csv), "--cluster", "community_id"]) == 0
    # lavaan's layout: the regression "QE ~ ID" as a "QE ~" header over an "ID" row
    assert re.search(r"\n  QE ~ +\n    ID +0\.", capsys.readouterr().out)


def test_cluster_sandwich_of_low_rank_warns_as_lavaan_does():
    # 30 communities and 142 parameters: the cluster-robust covariance matrix has rank <= 30.
    from govstats.errors import NotPositiveDefiniteWarning

    data = pd.read_csv(REPO / "data" / "synthetic" / "ri_asset.csv")
    with pytest.warns(NotPositiveDefiniteWarning, match="30 clusters for 142 parameters"):
        fit(load_instrument(seed_instrument_path("ri_asset")), data, cluster="community_id")


@pytest.mark.parametrize("model, match", [
    ("f =~ x1 + x2 + x3\nx1 ~~ -1*x1", "not positive definite"),  # lavaan: initial Sigma not PD, an error
    ("x2 ~~ 0.5*x2", "no free parameters"),
])
def test_models_lavaan_refuses_before_optimizing(hs, model, match):
    with pytest.raises(ValueError, match=match):
        fit(model, hs)


def test_tiny_scales_give_a_warning_not_a_crash(hs):
    """Items scaled by 1e-3: the observed information's steps shrink to stay admissible; the information
    is then too ill-conditioned for SEs (lavaan: NA as well), which the warning explains."""
    small = hs.assign(x1=hs.x1 * 1e-3, x2=hs.x2 * 1e-3, x3=hs.x3 * 1e-3)
    with pytest.warns(IdentificationWarning):
        res = fit("f =~ x1 + x2 + x3", small, estimator="MLR")
    assert res.converged and any("rescale" in w for w in res.warnings_)


def test_fit_indices_lavaan_leaves_undefined(hs):
    """One variable: the baseline has a zero statistic and no df; lavaan 0.6.14 reports cfi, tli,
    nnfi, rfi 1 and nfi, pnfi, ifi, rni NA (fitMeasures(sem("x1 ~~ x1", HolzingerSwineford1939)))."""
    f = fit("x1 ~~ x1", hs).fit_measures
    assert [f[k] for k in ("cfi", "tli", "nnfi", "rfi")] == [1.0, 1.0, 1.0, 1.0]
    assert all(np.isnan(f[k]) for k in ("nfi", "pnfi", "ifi", "rni"))
