"""Monte Carlo power: the numbers do not depend on the executor, the summary is what the
replications say, an interrupted run resumes, and (slow) the simulation is right: coverage and
bias for a correctly specified model, simulated power against the analytic Wald power."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govstats.planning import parameter_power, power
from govstats.planning import montecarlo
from govstats.planning.montecarlo import required_sizes

POP = """f1 =~ 0.7*x1 + 0.7*x2 + 0.6*x3
f2 =~ 0.7*y1 + 0.6*y2 + 0.7*y3
f3 =~ 0.7*z1 + 0.7*z2 + 0.6*z3
f2 ~ 0.3*f1
f3 ~ 0.35*f2 + 0.15*f1"""
NUMBERS = ["est", "se", "pvalue", "chisq", "rmsea"]


def small_run(**kwargs):
    return power(POP, n=[120, 240], reps=6, seed=11, **kwargs)


@pytest.fixture(scope="module")
def serial():
    return small_run(executor="serial")


def test_summary_is_what_the_replications_say(serial):
    reps = serial.replications
    assert len(reps) == 2 * 6 * 4  # sizes x replications x (three paths and one indirect effect)
    assert set(serial.summary.target) == {"f2~f1", "f3~f2", "f3~f1", "f1 -> f2 -> f3"}
    for (n, target), g in reps[reps.status == "ok"].groupby(["n", "target"]):
        row = serial.summary[(serial.summary.n == n) & (serial.summary.target == target)].iloc[0]
        assert row.power == pytest.approx(np.mean(g.pvalue < 0.05))
        assert row.coverage == pytest.approx(np.mean(np.abs(g.est - g.truth) <= 1.959963984540054 * g.se))
        assert row.bias == pytest.approx((g.est.mean() - g.truth.iloc[0]) / g.truth.iloc[0])
    indirect = serial.summary[serial.summary.target == "f1 -> f2 -> f3"].truth.iloc[0]
    assert indirect == pytest.approx(0.3 * 0.35, abs=1e-6)
    assert set(serial.fit_tests.columns) >= {"n", "chisq_reject", "rmsea_above_05"}
    assert set(reps.status) <= {"ok", "not converged"}


def test_processes_give_the_serial_numbers(serial):
    processes = small_run(executor=2)
    pd.testing.assert_frame_equal(serial.replications, processes.replications)


@pytest.mark.slow  # a LocalCluster starts in 10-40 s on the shared machine
def test_dask_local_cluster_gives_the_serial_numbers(serial):
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(host="127.0.0.1", n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, timeout="60s")
    try:
        dask = small_run(executor=cluster)
    finally:
        cluster.close(timeout=30)
    pd.testing.assert_frame_equal(serial.replications, dask.replications)


def test_a_replication_does_not_depend_on_the_other_sizes(serial):
    alone = power(POP, n=[240], reps=6, seed=11, executor="serial")
    pd.testing.assert_frame_equal(serial.replications[serial.replications.n == 240].reset_index(drop=True),
                                  alone.replications)


def test_an_interrupted_run_resumes_where_it_stopped(tmp_path, monkeypatch, serial):
    path = tmp_path / "run.parquet"
    calls = {"n": 0}
    real = montecarlo.replicate

    def interrupted(design, task):
        calls["n"] += 1
        if calls["n"] > 5:
            raise KeyboardInterrupt
        return real(design, task)

    monkeypatch.setattr(montecarlo, "replicate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        small_run(executor="serial", resume=path, batch_size=4)
    monkeypatch.setattr(montecarlo, "replicate", real)
    saved = pd.read_parquet(path)
    assert len(saved.drop_duplicates(["n", "rep"])) == 4  # the first batch; the second was lost mid-way
    counted = {"n": 0}

    def counting(design, task):
        counted["n"] += 1
        return real(design, task)

    monkeypatch.setattr(montecarlo, "replicate", counting)
    resumed = small_run(executor="serial", resume=path, batch_size=4)
    assert counted["n"] == 12 - 4
    pd.testing.assert_frame_equal(resumed.replications, serial.replications)
    pd.testing.assert_frame_equal(resumed.summary, serial.summary)
    with pytest.raises(ValueError, match="other settings .*seed: stored 11, now 12"):
        power(POP, n=[120, 240], reps=1, seed=12, executor="serial", resume=path)


def test_required_n_is_interpolated_with_its_monte_carlo_range():
    summary = pd.DataFrame({"n": [100, 200, 300], "target": "a", "kind": "path", "truth": 0.2,
                            "power": [0.5, 0.7, 0.9], "power_mcse": [0.05, 0.045, 0.03]})
    row = required_sizes(summary, 0.8).iloc[0]
    assert row.n_required == pytest.approx(250)
    assert row.n_low < 250 < row.n_high
    summary["power"] = [0.1, 0.2, 0.3]
    assert required_sizes(summary, 0.8).iloc[0].note == "not reached"


def test_ordered_and_blank_data_go_through_the_engine():
    ordinal = POP + "\n" + "\n".join(f"{v} | -0.8*t1 + 0.3*t2 + 1.2*t3" for v in
                                     ("x1", "x2", "x3", "y1", "y2", "y3", "z1", "z2", "z3"))
    res = power(ordinal, n=[250], reps=2, seed=2, executor="serial", standardized=True, targets=["f3~f2"])
    assert res.settings["estimator"] == "WLSMV" and (res.replications.status == "ok").all()
    assert res.summary.truth.iloc[0] == pytest.approx(0.35, abs=1e-6)  # standardized: the value as written
    blanks = power(POP, n=[250], reps=2, seed=2, executor="serial", missing=0.1, targets=["f3~f2"])
    assert blanks.settings["missing_method"] == "fiml" and (blanks.replications.status == "ok").all()


@pytest.mark.parametrize("kwargs, message", [
    ({"n": [1]}, "'n' parameter of power"),
    ({"reps": 0}, "'reps' parameter of power"),
    ({"alpha": 2}, "'alpha' parameter of power"),
    ({"seed": "x"}, "'seed' parameter of power"),
    ({"cluster_size": 10}, "apply to an instrument's population"),
    ({"targets": ["f9~f1"]}, "'targets' parameter names 'f9~f1'"),
])
def test_bad_arguments_are_named(kwargs, message):
    args = {"n": [100], "reps": 2, "executor": "serial"} | kwargs
    with pytest.raises(ValueError, match=message):
        power(POP, **args)


CHECK = """f1 =~ 0.7*x1 + 0.7*x2 + 0.6*x3
f2 =~ 0.7*y1 + 0.6*y2 + 0.7*y3
f3 =~ 0.7*z1 + 0.7*z2 + 0.6*z3
f2 ~ 0.4*f1
f3 ~ 0.3*f2 + 0.3*f1"""


@pytest.mark.slow
def test_ml_coverage_and_bias_for_a_correct_model_at_n_1000():
    # Muthen & Muthen's checks on a correctly specified continuous model. 1000 replications give
    # each coverage a Monte Carlo SE of 0.007 and each relative bias one of 0.4% (paths of .3 with
    # SEs near .035): the bands [.93, .97] and 2% are about three Monte Carlo SEs wide.
    res = power(CHECK, n=[1000], reps=1000, seed=5, executor=2,
                targets=["f2~f1", "f3~f2", "f3~f1", "f1=~x2", "f2=~y3", "f3=~z3", "f1 -> f2 -> f3"])
    summary = res.summary.set_index("target")
    print(summary[["truth", "mean_est", "bias", "se_bias", "coverage"]])
    parameters = summary.drop(index="f1 -> f2 -> f3")
    assert parameters.coverage.between(0.93, 0.97).all()
    assert (summary.bias.abs() < 0.02).all()
    assert (summary.converged == 1).all()
    # the indirect effect's delta-method (Sobel) interval is symmetric around a skewed product: measured
    # 0.925 in this run (seed 5), inside Muthen & Muthen's band though below the parameters'
    assert 0.91 <= summary.coverage["f1 -> f2 -> f3"] <= 0.98  # Muthen & Muthen's band


@pytest.mark.slow
def test_simulated_power_of_one_path_matches_the_analytic_wald_power():
    # at N = 600 the path's estimates are close to normal with the asymptotic SE; at N = 150 they
    # are not (measured: SD of the estimates .217 against the asymptotic .163, simulated power
    # .114 against .151), which is why a simulation is worth running at small N at all
    n, reps = 600, 800
    analytic = parameter_power(POP, "f3~f1", n=n, method="wald").power
    res = power(POP, n=[n], reps=reps, seed=9, executor=2, targets=["f3~f1"])
    simulated = res.summary.power.iloc[0]
    mcse = np.sqrt(analytic * (1 - analytic) / reps)
    print(f"analytic Wald power {analytic:.4f}, simulated {simulated:.4f} (MC SE {mcse:.4f})")
    assert abs(simulated - analytic) < 3 * mcse


def test_top_level_power_is_the_function_even_after_the_package_is_imported():
    # why the package is govstats.planning, not govstats.power: importing a subpackage named
    # power would set govstats.power to the module and shadow the public function
    import govstats
    import govstats.planning.montecarlo  # noqa: F401

    assert govstats.power is power and callable(govstats.power)
    assert govstats.rmsea_power(100, 0.0, 0.05, power=0.8).n == 164


@pytest.mark.parametrize("kwargs", [{}, {"missing": 0.1}], ids=["short route", "FIML through the engine"])
def test_a_replication_reports_what_fit_gives_on_its_sample(kwargs):
    # the replication's estimates, SEs and chi-square are fit()'s on the same rows (fit is tested
    # against lavaan); tolerances cover the short route's 1e-7 stopping rule
    from govstats import fit
    from govstats.planning.design import build_design
    from govstats.planning.replicate import draw_sample, replicate, task_seed

    missing = kwargs.get("missing", 0.0)
    design = build_design(POP, 300, None, None, missing, None, None, None, 0.0, None, 0.05, None, False, {})
    assert design.fast is (missing == 0)
    seed = task_seed(3, 300, 7)
    out = replicate(design, (300, 7, seed))
    sample = draw_sample(design, 300, np.random.default_rng(seed))
    frame = pd.DataFrame(sample, columns=design.population.names) if design.fast else sample
    res = fit(design.syntax, frame, missing=design.options.missing)
    params = res.params.assign(name=res.params.lhs + res.params.op + res.params.rhs).set_index("name")
    for j, target in enumerate(design.targets[:3]):  # the three paths
        assert out["est"][j] == pytest.approx(params.est[target.name], abs=1e-6)
        assert out["se"][j] == pytest.approx(params.se[target.name], rel=1e-5)
        assert out["pvalue"][j] == pytest.approx(params.pvalue[target.name], abs=1e-6)
    effects = res.effects().set_index("path")
    assert out["est"][3] == pytest.approx(effects.est["f1 -> f2 -> f3"], abs=1e-6)
    assert out["se"][3] == pytest.approx(effects.se["f1 -> f2 -> f3"], rel=1e-4)
    assert out["chisq"] == pytest.approx(res.fit_measures["chisq"], rel=1e-6)
    assert out["rmsea"] == pytest.approx(res.fit_measures["rmsea"], abs=1e-6)
