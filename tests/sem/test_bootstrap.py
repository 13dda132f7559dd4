"""The bootstrap in fit(): executors, resampling units, estimators, failed draws, Bollen-Stine,
Monte Carlo intervals. (Agreement with lavaan: test_bootstrap_against_lavaan.py.)"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govstats import fit
from govstats.resources import instruments_dir

DATA = pd.read_csv(instruments_dir().parent / "data" / "synthetic" / "platform_dilemma.csv")
# a chain from the platform-dilemma instrument: GP -> RD -> AU, with the indirect effect labelled
CHAIN = """
GP =~ GP1 + GP2 + GP3 + GP4
RD =~ RD1 + RD2 + RD3 + RD4
AU =~ AU1 + AU2 + AU3 + AU4
RD ~ a*GP
AU ~ b*RD + GP
ab := a*b
"""


def same_numbers(x, y) -> None:
    for col in ("est", "se", "ci_lower", "ci_upper"):
        assert np.array_equal(x.params[col].to_numpy(), y.params[col].to_numpy(), equal_nan=True), col
    assert x.bootstrap_draws().equals(y.bootstrap_draws())


def test_serial_and_processes_give_identical_numbers():
    serial = fit(CHAIN, DATA, bootstrap=24, seed=5, executor="serial")
    same_numbers(serial, fit(CHAIN, DATA, bootstrap=24, seed=5, executor="processes", workers=2))


@pytest.mark.slow  # a LocalCluster of two worker processes: about 8 s
def test_serial_and_dask_give_identical_numbers():
    distributed = pytest.importorskip("distributed")
    serial = fit(CHAIN, DATA, bootstrap=24, seed=5, executor="serial")
    cluster = distributed.LocalCluster(host="127.0.0.1", n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, timeout="60s")
    try:
        with distributed.Client(cluster, timeout="60s") as client:
            same_numbers(serial, fit(CHAIN, DATA, bootstrap=24, seed=5, executor=client))
    finally:
        cluster.close(timeout=30)


def test_the_seed_decides_the_draws():
    a = fit(CHAIN, DATA, bootstrap=12, seed=3, executor="serial")
    b = fit(CHAIN, DATA, bootstrap=12, seed=np.random.SeedSequence(3), executor="serial")
    c = fit(CHAIN, DATA, bootstrap=12, seed=4, executor="serial")
    same_numbers(a, b)
    assert not np.allclose(a.params.se, c.params.se)
    assert a.bootstrap.seed == 3
    # seed=None draws fresh entropy and records it, so the run can be repeated
    d = fit(CHAIN, DATA, bootstrap=12, executor="serial")
    same_numbers(d, fit(CHAIN, DATA, bootstrap=12, seed=d.bootstrap.seed, executor="serial"))


def test_bootstrap_tables_come_from_the_draws():
    res = fit(CHAIN, DATA, bootstrap=40, seed=2, ci="perc", executor="serial")
    assert res.se_type == "bootstrap" and res.options["ci"] == "perc"
    draws = res.bootstrap_draws()
    assert list(draws.status.unique()) == ["ok"] and len(draws) == 40
    p = res.params.set_index("label")
    for name in ("a", "b", "ab"):
        x = draws[name].to_numpy()
        assert p.loc[name, "se"] == pytest.approx(x.std(), rel=1e-12)  # divisor B, as lavaan
        assert p.loc[name, "ci_lower"] >= x.min() and p.loc[name, "ci_upper"] <= x.max()
    # the standardized solution re-standardized in each draw, not the delta method
    std = res.standardized.set_index(["lhs", "op", "rhs"])
    assert std.loc[("ab", ":=", "a*b"), "se"] == pytest.approx(draws["std.all:ab"].std(ddof=0), rel=1e-12)
    # vcov is the draws' covariance (as lavaan's vcov() after se = "bootstrap")
    assert res.vcov.loc["a", "a"] == pytest.approx(draws["a"].var(ddof=0), rel=1e-10)
    text = res.summary()  # lavaan's lines after se = "bootstrap"
    assert "Number of requested bootstrap draws" in text and "Number of successful bootstrap draws" in text


@pytest.mark.parametrize("ci", ["bc", "bca", "norm", "basic"])
def test_every_interval_type_brackets_the_estimate_of_a_clear_effect(ci):
    data = DATA.iloc[:200]  # BCa's jackknife refits once per respondent
    res = fit(CHAIN, data, bootstrap=30, seed=8, ci=ci, executor="serial")
    row = res.params[res.params.label == "a"].iloc[0]
    assert row.ci_lower < row.est < row.ci_upper
    if ci == "bca":
        assert res.bootstrap.jackknife_values.shape[0] == res.nobs  # one leave-one-out fit per respondent


def test_every_estimator_keeps_its_own_test():
    mlr = fit(CHAIN, DATA, estimator="MLR", bootstrap=10, seed=1, executor="serial")
    plain = fit(CHAIN, DATA, estimator="MLR")
    assert mlr.test_type == "yuan.bentler.mplus"
    assert mlr.fit_measures["chisq_scaled"] == pytest.approx(plain.fit_measures["chisq_scaled"], rel=1e-12)
    assert np.allclose(mlr.params.est, plain.params.est)
    wlsmv = fit("AU =~ AU1 + AU2 + AU3 + AU4", DATA, ordered=True, bootstrap=8, seed=1, executor="serial")
    assert wlsmv.se_type == "bootstrap" and wlsmv.test_type == "scaled.shifted"
    assert wlsmv.bootstrap.successful == 8
    assert (wlsmv.params.loc[wlsmv.params.op == "|", "se"] > 0).all()


def test_clusters_and_groups_are_resampled_as_units():
    clustered = fit(CHAIN, DATA, estimator="MLR", cluster="community_id", bootstrap=10, seed=1, executor="serial")
    assert clustered.test_type == "yuan.bentler.mplus" and clustered.bootstrap.successful == 10
    grouped = fit("AU =~ AU1 + AU2 + AU3 + AU4", DATA, group="district", bootstrap=10, seed=1, executor="serial")
    loadings = grouped.params[(grouped.params.op == "=~") & (grouped.params.free > 0)]
    assert loadings.group.nunique() == grouped.fit_measures.get("ngroups", len(grouped.group_labels))
    assert (loadings.se > 0).all()


def test_failed_draws_are_counted_reported_and_left_out():
    data = DATA.copy()
    # one respondent alone in category 1 of AU1: a resample without them has one threshold less
    data["AU1"] = data["AU1"].clip(lower=2)
    data.loc[data.index[0], "AU1"] = 1
    res = fit("AU =~ AU1 + AU2 + AU3 + AU4", data, ordered=True, bootstrap=20, seed=2, executor="serial")
    failures = res.bootstrap.failures
    assert sum(failures.values()) + res.bootstrap.successful == 20
    assert "failed: an ordered item has an empty category in the resample" in failures
    assert any("bootstrap draws were left out" in w for w in res.warnings_)
    assert "bootstrap draws were left out" in res.summary()
    draws = res.bootstrap_draws()
    assert draws.loc[draws.status != "ok"].drop(columns="status").isna().all().all()


def test_bollen_stine_p_value():
    good = fit(CHAIN, DATA, test="bollen.stine", bootstrap=30, seed=1, executor="serial")
    assert good.se_type == "standard"  # only the test is bootstrapped
    assert 0 <= good.fit_measures["bollen_stine_pvalue"] <= 1
    # a model that ignores the path between two strongly related factors fits worse than every
    # draw from data rotated to fit it exactly
    bad = fit(CHAIN.replace("AU ~ b*RD + GP", "AU ~ 0*RD + 0*GP").replace("ab := a*b\n", ""), DATA,
              test="bollen.stine", bootstrap=30, seed=1, executor="serial")
    assert bad.fit_measures["bollen_stine_pvalue"] == 0.0
    assert "Bollen-Stine bootstrap p-value" in bad.summary()


def test_monte_carlo_intervals_in_fit():
    a = fit(CHAIN, DATA, ci="monte_carlo", seed=1)
    wald = fit(CHAIN, DATA)
    ab = (a.params.label == "ab").to_numpy()
    assert not np.isclose(a.params.ci_lower[ab], wald.params.ci_lower[ab]).any()
    free = (a.params.free > 0).to_numpy()
    assert np.array_equal(a.params.ci_lower[free], wald.params.ci_lower[free])  # Wald for free parameters
    assert a.params.equals(fit(CHAIN, DATA, ci="monte_carlo", seed=1).params)


def test_bootstrap_draws_without_a_bootstrap_is_an_error():
    with pytest.raises(ValueError, match="no bootstrap draws"):
        fit(CHAIN, DATA).bootstrap_draws()


@pytest.mark.parametrize("kwargs", [{}, {"group": "district"}, {"estimator": "MLR", "cluster": "community_id"}])
def test_a_draws_moments_are_what_compile_model_computes(kwargs):
    # Complete-data ML-family draws take their moments straight from the float matrix instead
    # of compile_model (a data frame per draw cost more than many refits): a full fit on the
    # same resampled rows must give the same estimates.
    res = fit(CHAIN, DATA, **kwargs)
    rows = np.random.default_rng(4).integers(0, len(DATA), len(DATA))
    from govstats.sem.bootstrap import refit_rows

    values = refit_rows(res, DATA, rows)
    refitted = fit(CHAIN, DATA.iloc[rows].reset_index(drop=True), **kwargs)
    shown = res._bound.model.table.op.isin(set(res.params.op)).to_numpy()
    order = refitted.params.group.to_numpy() if "group" in kwargs else None
    if order is None:
        assert np.allclose(values[shown], refitted.params.est, atol=1e-6)
    else:  # the refitted data may list the groups in another order: compare group by label
        labels = dict(enumerate(refitted.group_labels, start=1))
        ours = res.params.assign(est=values[shown], g=res.params.group.map(dict(enumerate(res.group_labels, 1))))
        theirs = refitted.params.assign(g=refitted.params.group.map(labels))
        merged = ours.merge(theirs, on=["lhs", "op", "rhs", "g"], suffixes=("", "_full"))
        assert len(merged) == len(ours)
        assert np.allclose(merged.est, merged.est_full, atol=1e-6)


def test_the_seed_is_recorded_in_the_options_and_json(tmp_path):
    import json

    res = fit(CHAIN, DATA, bootstrap=5, executor="serial")  # no seed: fresh entropy, recorded
    assert res.options["seed"] == res.bootstrap.seed
    again = fit(CHAIN, DATA, **res.options, executor="serial")
    assert np.array_equal(again.params.se, res.params.se)
    child = fit(CHAIN, DATA, bootstrap=5, seed=np.random.SeedSequence(9).spawn(1)[0], executor="serial")
    child.to_json(tmp_path / "fit.json")
    saved = json.loads((tmp_path / "fit.json").read_text(encoding="utf-8"))
    assert saved["options"]["seed"] == "SeedSequence(entropy=9, spawn_key=(0,))"
    with pytest.raises(ValueError, match="'seed' parameter of fit"):
        fit(CHAIN, DATA, **saved["options"])


def test_conf_int_after_the_bootstrap_gives_bootstrap_intervals():
    res = fit(CHAIN, DATA, bootstrap=40, seed=6, ci="bc", executor="serial")
    ci95 = res.conf_int(0.95)
    est = res.params[(res.params.free > 0) | (res.params.op == ":=")].reset_index(drop=True)
    assert np.allclose(ci95.ci_lower, est.ci_lower) and np.allclose(ci95.ci_upper, est.ci_upper)
    ci80 = res.conf_int(0.80)
    assert ((ci80.ci_upper - ci80.ci_lower) <= (ci95.ci_upper - ci95.ci_lower) + 1e-12).all()


def test_fiml_is_bootstrapped_through_the_statistics_layer():
    # FIML draws go through compile_model (missing-data patterns recomputed on each resample);
    # rows with some answers are resampled, as the fit uses them
    data = DATA.copy()
    rng = np.random.default_rng(1)
    for c in ("AU1", "AU2", "AU3", "AU4", "RD1", "RD2", "RD3", "RD4"):
        data.loc[rng.random(len(data)) < 0.1, c] = np.nan
    model = "AU =~ AU1 + AU2 + AU3 + AU4\nRD =~ RD1 + RD2 + RD3 + RD4\nAU ~ a*RD"
    plain = fit(model, data, missing="fiml")
    boot = fit(model, data, missing="fiml", bootstrap=20, seed=1, executor="serial")
    assert boot.bootstrap.successful == 20 and boot.nobs == plain.nobs == len(data)
    assert np.allclose(boot.params.est, plain.params.est)
    a = boot.params[boot.params.label == "a"].iloc[0]
    draws = boot.bootstrap_draws()["a"]
    assert a.se == pytest.approx(draws.std(ddof=0)) and a.ci_lower < a.est < a.ci_upper
