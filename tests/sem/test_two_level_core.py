"""Two-level SEM: the likelihood's derivatives, the syntax, what is refused, and the results object.
(Numbers against lavaan: test_two_level_against_lavaan.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats import fit
from govstats.errors import DataError
from govstats.sem import two_level as tl
from govstats.sem import two_level_fit as tf
from govstats.sem.syntax import ModelSyntaxError
from govstats.sem.two_level_inference import cluster_score_matrix
from govstats.sem.two_level_objective import TwoLevelObjective

FOLDER = Path(__file__).resolve().parents[2] / "tests" / "reference" / "sem" / "twolevel"
DEMO = "level: 1\n fw =~ y1 + y2 + y3\n fw ~ x1 + x2 + x3\nlevel: 2\n fb =~ y1 + y2 + y3\n fb ~ w1 + w2"


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return pd.read_csv(FOLDER / "data" / "demo_twolevel.csv")


@pytest.fixture(scope="module")
def demo_fit(demo):
    return fit(DEMO, demo, cluster="cluster")


@pytest.fixture(scope="module")
def bound(demo):
    """The demo model bound to its statistics, at a point off the optimum (the start)."""
    options = tf.two_level_options(None, None, "listwise", "cluster", None, (), (), None, 0, None, {})
    model, statistics, h1, moments = tf.compile_two_level(DEMO, demo, options)
    b = model.bind(statistics, moments)
    return b, tf.start_values_two_level(b)


def test_gradient_matches_finite_differences(bound):
    b, theta = bound
    objective = TwoLevelObjective(b)
    grad = objective.gradient(theta)
    h = 1e-6
    numeric = np.array([(objective.value(theta + h * e) - objective.value(theta - h * e)) / (2 * h)
                        for e in np.eye(len(theta))])
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def test_cluster_scores_sum_to_the_gradient(bound):
    """Each cluster's scores (with the full Jacobian) add up to d logL / d theta = -N/2 dF/dtheta."""
    b, theta = bound
    objective = TwoLevelObjective(b)
    m, within, between = objective.moments(theta)
    g_w, g_b, g_mu = tl.cluster_scores(objective.stats, m)
    dW, dB, dmu = objective.jacobians(theta, within, between)
    J, q = g_w.shape[0], len(theta)
    scores = g_w.reshape(J, -1) @ dW.reshape(-1, q) + g_b.reshape(J, -1) @ dB.reshape(-1, q) + g_mu @ dmu
    np.testing.assert_allclose(scores.sum(axis=0), -0.5 * objective.stats.n * objective.gradient(theta),
                               rtol=1e-8, atol=1e-6)
    # lavaan's Jacobian for MLR leaves out the within means of split variables: a different B0
    assert not np.allclose(cluster_score_matrix(objective, theta), scores)


def test_expected_hessian_is_the_average_outer_product_at_the_truth():
    """E[d2(-2 logL)] = 4 Var(d logL): simulate two-level data from the model's own moments."""
    rng = np.random.default_rng(7)
    sizes = np.repeat([3, 5, 8], 40)
    sw, sb = np.array([[1.0, 0.3], [0.3, 1.2]]), np.array([[0.4, 0.1], [0.1, 0.3]])
    rows, ids = [], []
    for j, n in enumerate(sizes):
        b = rng.multivariate_normal([0, 0], sb)
        rows.append(b + rng.multivariate_normal([0, 0], sw, size=n))
        ids += [j] * n
    data = pd.DataFrame(np.vstack(rows), columns=["a", "b"])
    data["c"] = ids
    model = "level: 1\n a ~~ b\nlevel: 2\n a ~~ b"
    res = fit(model, data, cluster="c", information="expected")
    observed = fit(model, data, cluster="c")
    np.testing.assert_allclose(res.params.se, observed.params.se, rtol=0.1, atol=1e-12)


def test_within_between_labels_and_comments(demo, demo_fit):
    text = ("# the within part\nlevel: within\n fw =~ y1 + y2 + y3\n fw ~ x1 + x2 + x3\n"
            "level: between  # communities\n fb =~ y1 + y2 + y3\n fb ~ w1 + w2")
    res = fit(text, demo, cluster="cluster")
    np.testing.assert_allclose(res.params.est, demo_fit.params.est)
    assert res.level_labels == ["within", "between"]


def test_mlr_summary_prints_lavaan_scaling_factors(demo):
    """lavaan 0.6.14: scaling.factor.h0 1.036023, scaling.factor.h1 1.013573 (Demo.twolevel, MLR)."""
    res = fit(DEMO, demo, cluster="cluster", estimator="MLR")
    h0, h1 = res.scaling_factors
    assert h0 == pytest.approx(1.036023, abs=2e-4) and h1 == pytest.approx(1.013573, abs=1e-5)
    assert "Yuan-Bentler correction (Mplus variant)" in res.summary()


def test_results_object(demo, demo_fit):
    res = demo_fit
    assert set(res.params.level) == {1, 2} and set(res.params.group) == {1}
    assert "fb=~y2.l2" in res.coef.index and "fw=~y2" in res.coef.index
    assert res.vcov.shape == (20, 20)
    assert res.nclusters == 200 and res.nobs == 2500
    assert repr(res).startswith("<SEMResults ML: converged, N = 2500, npar = 20, chisq = 8.092, df = 10")
    assert res.conf_int().query("lhs == 'y1' and op == '~1'").level.tolist() == [2]
    assert res.r2()[(2, "y1")] == pytest.approx(0.941852, abs=1e-5)  # lavaan: 0.942
    text = res.summary()
    assert "Level 1 [within]:" in text and "Level 2 [cluster]:" in text
    assert "Number of clusters [cluster]" in text
    assert "SRMR (within covariance matrix)                0.004" in text  # lavaan's lines
    assert "SRMR (between covariance matrix)               0.034" in text
    implied = res.fitted()
    assert list(implied["between"]["cov"].index) == ["y1", "y2", "y3", "w1", "w2"]
    out = res.to_dict()
    assert out["icc"]["y1"] == pytest.approx(0.3314654, abs=1e-6)
    json.dumps(out)
    again = fit(**res.options, model=DEMO, data=demo)
    np.testing.assert_allclose(again.params.est, res.params.est)
    for call in (res.predict, res.modindices, res.effects):
        with pytest.raises(ValueError, match="two-level"):
            call()


def test_listwise_blanks_leave_rows_out(demo, demo_fit):
    blank = demo.copy()
    blank.loc[[3, 50, 700], "y2"] = np.nan
    res = fit(DEMO, blank, cluster="cluster")
    same = fit(DEMO, demo.drop(index=[3, 50, 700]), cluster="cluster")
    np.testing.assert_allclose(res.params.est, same.params.est)
    assert res.n_dropped == 3 and any("Listwise deletion left out 3" in w for w in res.warnings_)


@pytest.mark.parametrize("kwargs, match", [
    ({}, "cluster"),
    ({"cluster": "cluster", "missing": "fiml", "estimator": "MLR"}, "MLR"),
    ({"cluster": "cluster", "estimator": "WLSMV"}, "estimator"),
    ({"cluster": "cluster", "ordered": True}, "ordered"),
    ({"cluster": "cluster", "group": "w1"}, "groups"),
    ({"cluster": "cluster", "se": "bootstrap", "bootstrap": 10}, "bootstrap"),
    ({"cluster": "cluster", "se": "robust.cluster"}, "se"),
    ({"cluster": "nope"}, "nope"),
    ({"cluster": "cluster", "test": "yuan.bentler.mplus"}, "estimator='MLR'"),
])
def test_unavailable_options_are_refused(demo, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit(DEMO, demo, **kwargs)


def test_fiml_models_the_blanks(demo):
    """missing='fiml' keeps rows with blanks in level-1 variables (two-level FIML; numbers against lavaan in
    test_two_level_fiml_against_lavaan.py)."""
    blank = demo.copy()
    blank.loc[[1, 2], "y1"] = np.nan
    res = fit(DEMO, blank, cluster="cluster", missing="fiml", se="none")
    assert res.n_dropped == 0 and res.nobs == len(demo)


@pytest.mark.parametrize("text, match", [
    ("fw =~ y1 + y2\nlevel: 1\n fw =~ y3\nlevel: 2\n fb =~ y1 + y2 + y3", "line 1: .*before the first"),
    ("fw =~ y1 + y2 + y3\nlevel: 1", "line 1: .*two-level model"),
    ("level: 1\n fw =~ y1 + y2 + y3", "exactly two"),
    ("level: 1\n fw =~ y1 + y2 + y3\nlevel: 2\n fb =~ y1 + y2 + y3\nlevel: 3\n fc =~ y1 + y2", "exactly two"),
    ("level: 1\nlevel: 2\n fb =~ y1 + y2 + y3", "empty"),
    ("level: 1\n fw =~ y1 + y2 + y3\nlevel: 1\n fb =~ y1 + y2 + y3", "same label"),
    ("level: 1\n f =~ y1 + y2 + y3\nlevel: 2\n f =~ y1 + y2 + y3", "own names"),
])
def test_syntax_errors(demo, text, match):
    with pytest.raises(ModelSyntaxError, match=match):
        fit(text, demo, cluster="cluster")


def test_a_defined_parameter_named_level_is_not_a_level_block(demo):
    from govstats.sem.two_level_model import has_levels

    assert not has_levels("f =~ y1 + a*y2 + b*y3\nlevel := a - b")
    assert has_levels("level:1\n f =~ y1 + y2 + y3\nlevel:2\n g =~ y1 + y2 + y3")
    res = fit("f =~ y1 + a*y2 + b*y3\nlevel := a - b", demo)
    assert "level" in set(res.params.lhs[res.params.op == ":="])


def test_split_covariate_with_fixed_x_is_refused(demo):
    text = "level: 1\n fw =~ y1 + y2 + y3\n fw ~ x1\nlevel: 2\n fb =~ y1 + y2 + y3\n fb ~ x1"
    with pytest.raises(ValueError, match="fixed_x=False"):
        fit(text, demo, cluster="cluster")


def test_level2_variable_must_be_constant_in_a_cluster(demo):
    bad = demo.copy()
    bad.loc[0, "w1"] = bad.loc[0, "w1"] + 1.0
    with pytest.raises(DataError, match="w1"):
        fit(DEMO, bad, cluster="cluster")


def test_em_matches_its_own_likelihood(bound):
    """lavaan's EM raises the log-likelihood at every step and stops at a change below 1e-4: its
    reported logl is the likelihood at its reported moments."""
    b, _ = bound
    stats = b.statistics.blocks[0]
    h1 = tl.em_h1(stats, b.model.within_only, fixed_x=True)
    pz = stats.p_z
    m = tl.Moments2L(sigma_w=h1.sigma_w, sigma_b=h1.sigma_b, mu=h1.mu_b + np.concatenate([np.zeros(pz), h1.mu_w]))
    assert tl.loglik(stats, m, True) == pytest.approx(h1.logl, abs=1e-9)
    assert h1.converged and h1.iterations == 19


def test_batched_gradients_equal_one_at_a_time(bound):
    from govstats.sem.two_level_hessian import observed_hessian_stepwise, gradient_batch, observed_hessian

    b, theta = bound
    objective = TwoLevelObjective(b)
    thetas = theta + np.random.default_rng(3).normal(scale=1e-3, size=(4, len(theta)))
    batch = gradient_batch(objective, thetas)
    np.testing.assert_allclose(batch, np.vstack([objective.gradient(t) for t in thetas]), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(observed_hessian(objective, theta), observed_hessian_stepwise(objective, theta),
                               rtol=1e-7, atol=1e-9)
