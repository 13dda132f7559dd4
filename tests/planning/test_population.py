"""Population moments from syntax with population values against lavaan::simulateData (0.6.14):
the fixture records the moments of simulateData(..., empirical = TRUE), which equal the
population's (tests/reference/power/make_power.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from govstats.planning.design import population_fit
from govstats.planning.population import free_syntax, population_from_syntax

FIXTURE = json.loads((Path(__file__).parents[1] / "reference" / "power" / "power.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", FIXTURE["population"], ids=lambda c: c["id"])
def test_population_moments_match_simulateData(case):
    pop = population_from_syntax(case["model"], standardized=case["standardized"])
    order = [pop.names.index(v) for v in case["names"]]
    np.testing.assert_allclose(pop.sigma[np.ix_(order, order)], np.array(case["cov"]), atol=1e-10)
    np.testing.assert_allclose(pop.mu[order], np.array(case["mean"]), atol=1e-10)
    if case["standardized"]:
        np.testing.assert_allclose(np.diag(pop.sigma), 1.0, atol=1e-12)


def test_standardized_chain_has_unit_variances_where_lavaan_one_pass_does_not():
    # lavaan's one pass over the latent variables leaves var(f3) = 1 + 0.25 * 0.75 here (f2's
    # residual variance unset when f3's is computed); the repeated passes give 1 throughout
    pop = population_from_syntax("f1 =~ x1 + x2\nf2 =~ y1 + y2\nf3 =~ z1 + z2\nf2 ~ 0.5*f1\nf3 ~ 0.5*f2",
                                 standardized=True)
    np.testing.assert_allclose(np.diag(pop.sigma), 1.0, atol=1e-12)
    z1, z2 = pop.names.index("z1"), pop.names.index("z2")
    assert pop.sigma[z1, z2] == pytest.approx(0.49, abs=1e-12)  # 0.7 * 0.7 * var(f3) = 1


def test_analysis_truth_matches_lavaan_on_population_moments():
    pop = population_from_syntax(FIXTURE["population"][0]["model"])
    bound, opt = population_fit(FIXTURE["analysis"], pop.sigma, pop.mu, pop.names)
    from govstats.sem.standardize import row_values_batch

    values = row_values_batch(bound, opt.theta[None, :])[0]
    table = bound.model.table
    ours = {(a, o, b): v for a, o, b, v in zip(table.lhs, table.op, table.rhs, values)}
    truth = FIXTURE["truth"]
    for lhs, op, rhs, est in zip(truth["lhs"], truth["op"], truth["rhs"], truth["est"]):
        assert ours[(lhs, op, rhs)] == pytest.approx(est, abs=2e-6), (lhs, op, rhs)
    assert opt.fmin == pytest.approx(0.0, abs=1e-10)  # correctly specified


def test_free_syntax_frees_values_and_drops_thresholds():
    text = free_syntax("f =~ 0.7*x1 + b*x2 + x3\nf ~~ 1*f\nx1 | -0.5*t1 + 0.5*t2\ny ~ 0.5*1")
    assert text == "f =~ x1 + b*x2 + x3\nf ~~ f\ny ~ 1\n"


def test_thresholds_cut_the_draws():
    pop = population_from_syntax("f =~ 0.7*x1 + 0.7*x2 + 0.7*x3\nx1 | -0.5*t1 + 0.5*t2")
    x = pop.draw(4000, np.random.default_rng(1))
    assert set(np.unique(x[:, 0])) == {1.0, 2.0, 3.0}
    share = np.mean(x[:, 0] == 1)
    from scipy.stats import norm

    assert share == pytest.approx(norm.cdf(-0.5 / np.sqrt(1.49)), abs=0.03)


@pytest.mark.parametrize("syntax, kwargs, message", [
    ("y ~ x1 + 0.2*x2", {}, "regression y ~ x1 has no population value"),
    ("f =~ 0.7*x1 + 0.7*x2 + 0.7*x3\nx1 ~~ 0.5*x1", {"standardized": True}, "sets the residual variance of x1"),
    ("f =~ 0.7*x1 + 0.7*x2 + 0.7*x3\nx1 | 0.5*t1 + -0.5*t2", {}, "must increase"),
    ("f =~ 0.7*x1 + 0.7*x2 + 0.7*x3\nx1 | t1", {}, "needs a population value"),
    ("f =~ 0.7*x1 + 0.7*x2 + 0.7*x3\nx1 ~~ -0.5*x1", {}, "not positive definite"),
    ("", {}, "'model' parameter"),
])
def test_bad_population_syntax_is_refused_clearly(syntax, kwargs, message):
    with pytest.raises(ValueError, match=message):
        population_from_syntax(syntax, **kwargs)
