"""govstats.multilevel: inputs, blanks, small clusters, bad input, the population ICCs and their recovery."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_normal, norm

import govstats
from govstats import load_instrument, simulate
from govstats.errors import DataError
from govstats.measurement.aggregation import one_way, rwg_j, within_between
from govstats.measurement.icc_truth import icc_truth_table, icc_truth_text
from govstats.measurement.multilevel import multilevel
from govstats.measurement.population_icc import code_covariance, code_variance, population_iccs
from govstats.resources import seed_instrument_path


@pytest.fixture(scope="module")
def ri():
    inst = load_instrument(seed_instrument_path("ri_asset"))
    return inst, simulate(inst, 600, seed=11).responses


def test_public_name_and_the_three_kinds_of_model(ri):
    inst, df = ri
    assert govstats.multilevel is multilevel and "multilevel" in govstats.__all__
    by_instrument = multilevel(inst, df, mixed=False)
    items = {c.id: list(c.item_ids) for c in inst.constructs}
    syntax = "\n".join(f"{c} =~ {' + '.join(its)}" for c, its in items.items())
    by_syntax = multilevel(syntax, df, reverse=["PS4"], categories=5, mixed=False)
    by_mapping = multilevel(items, df, reverse=["PS4"], categories=5, mixed=False)
    for other in (by_syntax, by_mapping):
        pd.testing.assert_frame_equal(other.table, by_instrument.table, check_exact=False, rtol=1e-12)
        pd.testing.assert_frame_equal(other.items, by_instrument.items, check_exact=False, rtol=1e-12)
    # without reversing PS4 the PS score is another variable: its ICC changes
    assert multilevel(items, df, categories=5, mixed=False).table.loc["PS", "icc1"] != pytest.approx(
        by_instrument.table.loc["PS", "icc1"], abs=1e-6)


def test_blanks_pairwise_per_item_listwise_per_scale_and_rows_without_a_cluster():
    df = pd.DataFrame({"c": ["a", "a", "a", "b", "b", "b", "c", "c", None],
                       "x1": [1, 2, np.nan, 4, 5, 4, 3, 3, 2], "x2": [2, 2, 1, 5, np.nan, 4, 3, 2, 3]})
    res = multilevel({"F": ["x1", "x2"]}, df, cluster="c", categories=5, mixed=False)
    assert res.exclusions == {"no_cluster": 1} and res.nobs == 8
    assert res.items.loc["x1", "n"] == 7 and res.items.loc["x2", "n"] == 7
    assert res.table.loc["F", "n"] == 6  # both items answered
    score = df.loc[[0, 1, 3, 5, 6, 7], ["x1", "x2"]].mean(axis=1).to_numpy()
    expected = one_way(score, np.array([0, 0, 1, 1, 2, 2]))
    assert res.table.loc["F", "icc1"] == pytest.approx(expected.icc1, abs=1e-14)
    assert "1 respondents without a 'c' label" in res.text()


def test_cluster_of_one_counts_in_the_icc_but_has_no_rwg():
    df = pd.DataFrame({"c": [1, 1, 2, 2, 3], "x": [1.0, 2, 4, 5, 3], "y": [2.0, 2, 5, 4, 3]})
    res = multilevel({"F": ["x", "y"]}, df, cluster="c", categories=5, mixed=False)
    row = res.table.loc["F"]
    assert (row.clusters, row.singletons, row.rwg_clusters) == (3, 1, 2)
    assert np.isnan(res.rwg.loc["3", "F"])
    assert row.mean_size == pytest.approx(5 / 3)


def test_items_without_variance_give_nan_not_errors():
    df = pd.DataFrame({"c": list("aabbcc"), "x": [3] * 6, "y": [1, 1, 2, 2, 3, 3]})
    res = multilevel({"F": ["x", "y"]}, df, cluster="c", categories=5)
    assert np.isnan(res.items.loc["x", "icc1"]) and not res.items.loc["x", "icc1_ok"]
    assert res.items.loc["y", "icc1"] == 1.0  # all variance between clusters
    assert any("x: no MixedLM estimate" in n for n in res.notes)
    assert "low ICC1/ICC2" in res.text()


def test_rwg_caps_disagreement_beyond_the_null_at_zero():
    # answers 1 and 5 on a five-point scale: variance 8 > (25 - 1) / 12 = 2
    assert rwg_j(np.array([[1.0], [5.0], [3.0], [3.0]]), np.array([0, 0, 1, 1]), 5).tolist() == [0.0, 1.0]


def test_within_between_definitions():
    x = pd.DataFrame({"a": [1.0, 2, 3, 4, 6, 8], "b": [2.0, 1, 4, 3, 9, 5]})
    codes = np.array([0, 0, 1, 1, 2, 2])
    within, between = within_between(x, codes)
    means = x.groupby(codes).transform("mean")
    assert within.loc["a", "b"] == pytest.approx(np.corrcoef(x["a"] - means["a"], x["b"] - means["b"])[0, 1])
    assert between.loc["a", "b"] == pytest.approx(np.corrcoef(means["a"], means["b"])[0, 1])


def test_categories_inferred_without_an_instrument_and_said_so():
    df = pd.DataFrame({"c": list("aabbcc"), "x": [2, 3, 3, 4, 2, 4], "y": [3, 3, 4, 4, 2, 3]})
    res = multilevel({"F": ["x", "y"]}, df, cluster="c", mixed=False)
    assert res.table.loc["F", "categories"] == 3
    assert any("observed range" in n and "F: 2..4 -> 3" in n for n in res.notes)
    mixed_scales = multilevel({"F": ["x", "y"]}, df, cluster="c", categories={"x": 5, "y": 7}, mixed=False)
    assert np.isnan(mixed_scales.table.loc["F", "rwg_mean"]) and not mixed_scales.table.loc["F", "rwg_ok"]
    assert any("different numbers of categories" in n for n in mixed_scales.notes)


def test_flags_follow_the_cutoffs(ri):
    inst, df = ri
    t = multilevel(inst, df, mixed=False).table
    assert (t["icc1_ok"] == (t["icc1"] > 0.059)).all() and (t["icc2_ok"] == (t["icc2"] > 0.70)).all()
    assert (t["rwg_ok"] == (t["rwg_mean"] > 0.70)).all()
    assert (t["model_clustering"] == (t["design_effect"] > 2)).all()
    assert t["design_effect"].to_numpy() == pytest.approx(1 + (t["mean_size"] - 1).to_numpy() * t["icc1"].to_numpy())
    assert t["n_effective"].to_numpy() == pytest.approx((t["n"] / t["design_effect"]).to_numpy())


def test_bad_input_gives_clear_errors(ri):
    inst, df = ri
    with pytest.raises(DataError, match="'cluster' parameter of multilevel names the column 'village'"):
        multilevel(inst, df, cluster="village")
    with pytest.raises(DataError, match="has 1 cluster among the 600 respondents"):
        multilevel(inst, df.assign(community_id="C01"), mixed=False)
    with pytest.raises(ValueError, match="'cluster' parameter of multilevel must be the name"):
        multilevel(inst, df, cluster=3)
    with pytest.raises(ValueError, match="'data' parameter of multilevel must be a pandas DataFrame"):
        multilevel(inst, df.to_numpy())
    with pytest.raises(ValueError, match="'categories' parameter of multilevel"):
        multilevel({"F": ["IC1", "IC2"]}, df, categories=1)
    with pytest.raises(ValueError, match="'level' parameter"):
        multilevel(inst, df, level=95)
    with pytest.raises(ValueError, match="'reverse' parameter"):
        multilevel({"F": ["IC1", "IC2"]}, df, reverse=["XX"])
    with pytest.raises(ValueError, match="no column for"):
        multilevel({"F": ["IC1", "nope"]}, df)
    bad = df.astype({"IC2": object})
    bad.loc[7, "IC2"] = "four"
    with pytest.raises(DataError, match="column 'IC2' holds 'four' at row 9"):
        multilevel({"F": ["IC1", "IC2"]}, bad, mixed=False)
    with pytest.raises(DataError, match="no column"):  # an instrument whose items the data lack
        multilevel(inst, df.drop(columns=["IC1"]))


def test_text_json_and_html(ri, tmp_path):
    inst, df = ri
    res = multilevel(inst, df, mixed=False)
    text = res.text()
    assert "Table. Clustering and aggregation of the construct scores" in text and "rwg mean" in text
    assert "Table. Clustering of the items" in text and "RIE5" in text
    assert "Table. Clustering of the items" not in res.text(items=False)
    data = json.loads(res.to_json(tmp_path / "m.json").read_text(encoding="utf-8"))
    assert data["constructs"]["IC"]["icc1"] == pytest.approx(res.table.loc["IC", "icc1"])
    assert data["constructs"]["IC"]["icc1_mixed"] is None  # NaN as null
    assert "<table>" in res._repr_html_()


def test_chinese_column_and_cluster_names():
    df = pd.DataFrame({"社区": list("甲甲甲乙乙乙丙丙丙"), "认同1": [1, 2, 2, 4, 5, 4, 3, 3, 2],
                       "认同2": [2, 2, 1, 5, 4, 4, 3, 2, 3]})
    res = multilevel("认同 =~ 认同1 + 认同2", df, cluster="社区", categories=5, mixed=False)
    assert res.table.loc["认同", "clusters"] == 3 and "认同" in res.text()


def test_code_covariance_is_the_bivariate_normal_difference():
    thresholds = [-1.2, -0.3, 0.4, 1.1]
    for rho in (-0.6, 0.05, 0.3, 0.8):
        exact = 0.0
        for s in thresholds:
            for t in thresholds:
                p = multivariate_normal([0, 0], [[1, rho], [rho, 1]]).cdf([-s, -t])  # P(Y1 > s, Y2 > t)
                exact += p - norm.sf(s) * norm.sf(t)
        assert code_covariance(thresholds, [1] * 4, thresholds, [1] * 4, rho) == pytest.approx(exact, abs=1e-6)
    # rho -> 1: the covariance tends to the variance of the codes
    assert code_covariance(thresholds, [1] * 4, thresholds, [1] * 4, 0.999) == pytest.approx(
        code_variance(thresholds, [1, 2, 3, 4, 5]), rel=0.02)


def test_population_icc_of_codes_is_below_the_latent_icc():
    inst = load_instrument(seed_instrument_path("grid_governance"))
    pop = population_iccs(inst)
    items = pop[pop["kind"] == "item"]
    assert (items["icc"] < items["latent_icc"]).all()
    lam = {i.id: i.loading for i in inst.items}
    # cutting into five categories attenuates the latent response's ICC (loading^2 * icc), a little
    ratio = items["icc"] / np.array([lam[i] ** 2 for i in items.index]) / items["latent_icc"]
    assert ratio.between(0.8, 1.0).all()


def test_icc_of_a_simulated_sample_recovers_the_population(ri):
    # 10 000 respondents in 400 communities: the SE of an ICC near .1 is about .01
    inst = ri[0]
    sim = simulate(inst, 10_000, seed=7, communities=400)
    res = multilevel(inst, sim.responses, mixed=False)
    pop = population_iccs(inst)
    for table in (res.table, res.items):
        se = (table["icc1_ci_upper"] - table["icc1_ci_lower"]) / (2 * 1.96)
        z = (table["icc1"] - pop.loc[table.index, "icc"]) / se
        assert (z.abs() < 4).all(), z[z.abs() >= 4]
    covered = ((res.items["icc1_ci_lower"] <= pop.loc[res.items.index, "icc"])
               & (pop.loc[res.items.index, "icc"] <= res.items["icc1_ci_upper"]))
    assert covered.mean() >= 0.85
    t = icc_truth_table(inst, sim.responses, truth=sim.truth, result=res)
    assert t["latent_icc"].to_dict() == sim.truth.settings["icc"]
    assert "covers" in icc_truth_text(inst, sim.responses, truth=sim.truth, result=res)


@pytest.mark.slow
def test_icc_of_a_large_simulated_sample_recovers_the_population():
    # 100 000 respondents in 2 500 communities: SEs about .0025 (4 SE = .01); the MixedLM ICC of two
    # constructs on the first 40 000 too
    inst = load_instrument(seed_instrument_path("grid_governance"))
    sim = simulate(inst, 100_000, seed=19, communities=2_500)
    res = multilevel(inst, sim.responses, mixed=False)
    pop = population_iccs(inst)
    for table in (res.table, res.items):
        assert np.abs(table["icc1"] - pop.loc[table.index, "icc"]).max() < 0.01
    from govstats.measurement.aggregation import mixed_icc

    df = sim.responses.iloc[:40_000]
    codes, labels = pd.factorize(df["community_id"])
    for c in ("CN", "VS"):
        y = df[list(inst.construct(c).item_ids)].astype(float).mean(axis=1).to_numpy()
        icc, _ = mixed_icc(y, labels[codes], one_way(y, codes))
        assert icc == pytest.approx(pop.loc[c, "icc"], abs=0.02)


def test_command_line_prints_the_aggregation_table(tmp_path, capsys):
    from govstats.cli import main
    from govstats.data.simulate import write_csv

    inst = load_instrument(seed_instrument_path("grid_governance"))
    path = tmp_path / "grid.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        write_csv(simulate(inst, 300, seed=2).responses, fh)
    yaml = str(seed_instrument_path("grid_governance"))
    assert main(["multilevel", yaml, str(path), "--no-mixed", "--json", str(tmp_path / "m.json")]) == 0
    out = capsys.readouterr().out
    assert "Clustering and aggregation of the construct scores" in out and "QE" in out
    assert json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))["n_clusters"] == 30
    assert main(["multilevel", yaml, str(path), "--cluster", "village", "--no-mixed"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "--cluster names the column 'village'" in err and str(path) in err


def test_command_line_runs_as_a_program():
    # once through the console entry point: help and argument parsing without importing numpy
    out = subprocess.run([sys.executable, "-m", "govstats", "multilevel", "--help"], capture_output=True, text=True,
                         encoding="utf-8")
    assert out.returncode == 0 and "--cluster" in out.stdout and "--no-mixed" in out.stdout
