"""Analytic power against R (tests/reference/power/make_power.R): the RMSEA tests of MacCallum,
Browne & Sugawara (1996) and Satorra & Saris' power of parameters, computed in R with qchisq /
pchisq(ncp =) from the same formulas (semPower itself is not installable here), the parameters'
F from lavaan 0.6.14 fitting the restricted model to the population moments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govstats.planning import chisq_power, parameter_power, rmsea_power

FIXTURE = json.loads((Path(__file__).parents[1] / "reference" / "power" / "power.json").read_text(encoding="utf-8"))


def test_semPower_example_df100_rmsea05_gives_164():
    # semPower::semPower.aPriori(effect = .05, effect.measure = "RMSEA", alpha = .05, power = .80, df = 100): N = 164
    res = rmsea_power(100, 0.0, 0.05, alpha=0.05, power=0.80)
    assert res.n == 164 and res.power >= 0.80 and res.analysis == "a priori" and res.test == "exact fit"
    assert rmsea_power(100, 0.0, 0.05, n=163).power < 0.80


@pytest.mark.parametrize("case", FIXTURE["rmsea"], ids=lambda c: f"{c['analysis']}-{c['df']}-{c['rmsea0']}-"
                                                             f"{c['rmsea1']}-{c.get('n', '')}-{c.get('abratio', '')}")
def test_rmsea_power_matches_r(case):
    if case["analysis"] == "a priori":
        res = rmsea_power(case["df"], case["rmsea0"], case["rmsea1"], alpha=case["alpha"], power=case["power_target"])
        assert res.n == case["n"]  # the smallest N, exactly
    elif case["analysis"] == "post hoc":
        res = rmsea_power(case["df"], case["rmsea0"], case["rmsea1"], alpha=case["alpha"], n=case["n"])
    else:
        res = rmsea_power(case["df"], case["rmsea0"], case["rmsea1"], n=case["n"], abratio=case["abratio"])
        assert res.alpha == pytest.approx(case["alpha"], rel=1e-6)
    # R's pnchisq warns of reduced precision far in the tails: 1e-6 relative, or 1e-9 absolute
    assert res.power == pytest.approx(case["power"], rel=1e-6, abs=1e-9)
    assert res.critical == pytest.approx(case["critical"], rel=1e-7)


@pytest.mark.parametrize("case", FIXTURE["restricted"], ids=lambda c: ",".join(c["restrict"]))
def test_parameter_power_matches_lavaan_restricted_fit(case):
    pop = FIXTURE["population"][0]["model"]
    post = parameter_power(pop, case["restrict"], n=200, analysis=FIXTURE["analysis"])
    assert post.f1 == pytest.approx(case["f"], rel=1e-7)  # lavaan's chisq / N of the restricted fit
    assert post.df == case["df"]
    assert post.power == pytest.approx(case["power_n200"], rel=1e-7)
    assert parameter_power(pop, case["restrict"], power=0.8, analysis=FIXTURE["analysis"]).n == case["n_power80"]


def test_wald_and_lr_noncentralities_are_close_for_a_small_effect():
    pop = FIXTURE["population"][0]["model"]
    lr = parameter_power(pop, "f3~f1", n=1000, analysis=FIXTURE["analysis"])
    wald = parameter_power(pop, "f3~f1", n=1000, analysis=FIXTURE["analysis"], method="wald")
    assert wald.f1 == pytest.approx(lr.f1, rel=0.05)  # asymptotically equal; not identical


def test_not_close_fit_rejects_small_statistics():
    res = rmsea_power(50, 0.05, 0.0, power=0.8)
    assert res.test == "not-close fit" and res.power >= 0.8
    assert rmsea_power(50, 0.05, 0.0, n=res.n - 1).power < 0.8


def test_compromise_balances_the_errors():
    res = rmsea_power(30, 0.0, 0.08, n=150, abratio=1)
    assert res.alpha == pytest.approx(res.beta, rel=1e-8)


@pytest.mark.parametrize("kwargs, message", [
    ({"df": 0, "rmsea0": 0, "rmsea1": 0.05, "n": 100}, "'df' parameter of rmsea_power"),
    ({"df": 10, "rmsea0": -1, "rmsea1": 0.05, "n": 100}, "'rmsea0' parameter"),
    ({"df": 10, "rmsea0": 0.05, "rmsea1": 0.05, "n": 100}, "must differ"),
    ({"df": 10, "rmsea0": 0, "rmsea1": 0.05}, "exactly one of 'n'"),
    ({"df": 10, "rmsea0": 0, "rmsea1": 0.05, "n": 100, "power": 0.8}, "exactly one of 'n'"),
    ({"df": 10, "rmsea0": 0, "rmsea1": 0.05, "power": 1.5}, "'power' parameter of rmsea_power"),
    ({"df": 10, "rmsea0": 0, "rmsea1": 0.05, "n": 1}, "'n' parameter of rmsea_power must be at least 2"),
    ({"df": 10, "rmsea0": 0, "rmsea1": 0.05, "n": 100, "alpha": 0}, "'alpha' parameter"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        rmsea_power(**kwargs)


def test_parameter_power_refuses_unknown_names():
    with pytest.raises(ValueError, match=r"\['f9~f1'\] are not written"):
        parameter_power(FIXTURE["population"][0]["model"], "f9~f1", n=100)
    with pytest.raises(ValueError, match="'method' parameter"):
        parameter_power(FIXTURE["population"][0]["model"], "f2~f1", n=100, method="score")
    with pytest.raises(ValueError, match="'f0' and 'f1'"):
        chisq_power(0.1, 0.1, 3, n=100)
