"""Two-level FIML: the incomplete-data likelihood and its derivatives, its agreement with the
complete-data likelihood, which rows are left out, and what is refused.
(Numbers against lavaan: test_two_level_fiml_against_lavaan.py.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats import fit
from govstats.errors import DataError
from govstats.sem import two_level as tl
from govstats.sem import two_level_fit as tf
from govstats.sem import two_level_missing as tm
from govstats.sem.two_level_fiml import TwoLevelMissingObjective

FOLDER = Path(__file__).resolve().parents[2] / "tests" / "reference" / "sem" / "twolevel"
DEMO = "level: 1\n fw =~ y1 + y2 + y3\n fw ~ x1 + x2 + x3\nlevel: 2\n fb =~ y1 + y2 + y3\n fb ~ w1 + w2"
WITHIN_ONLY = "level: 1\n fw =~ y1 + y2 + y3 + y4\n fw ~ x1\nlevel: 2\n fb =~ y1 + y2 + y3\n fb ~ w1"
WITHIN = ["y1", "y2", "y3", "x1", "x2", "x3"]


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return pd.read_csv(FOLDER / "data" / "demo_twolevel.csv")


@pytest.fixture(scope="module")
def blanks() -> pd.DataFrame:
    return pd.read_csv(FOLDER / "data" / "demo_twolevel_blanks.csv")


def _random_moments(rng, p_y: int, p_z: int, within_only: np.ndarray) -> tl.Moments2L:
    pc = p_z + p_y
    a, b = rng.normal(size=(p_y, p_y)) * 0.3, rng.normal(size=(pc, pc)) * 0.3
    sigma_b = b @ b.T + 0.5 * np.eye(pc)
    drop = np.flatnonzero(np.concatenate([np.zeros(p_z, bool), within_only]))
    sigma_b[drop, :] = 0.0
    sigma_b[:, drop] = 0.0
    return tl.Moments2L(sigma_w=a @ a.T + 0.5 * np.eye(p_y), sigma_b=sigma_b, mu=rng.normal(size=pc) * 0.1)


def test_complete_rows_give_the_complete_data_likelihood(demo):
    """Without blanks the Woodbury form is the cluster-size form of the complete-data likelihood."""
    y, z, ids = demo[WITHIN].to_numpy(float), demo[["w1", "w2"]].to_numpy(float), demo.cluster.to_numpy()
    complete = tl.ClusterStatistics.from_rows(y, z, ids, WITHIN, ["w1", "w2"])
    missing = tm.MissingClusterStatistics.from_rows(y, z, ids, WITHIN, ["w1", "w2"])
    within_only = np.array([False] * 3 + [True] * 3)
    m = _random_moments(np.random.default_rng(3), 6, 2, within_only)
    assert tm.evaluate(missing, m, ~within_only).value == pytest.approx(tl.minus2_loglik(complete, m), rel=1e-12)
    assert missing.constant() == pytest.approx(complete.constant())


@pytest.mark.parametrize("p_z", [0, 2])
def test_matrix_gradient_matches_finite_differences(demo, p_z):
    """d(-2 log L) with respect to Sigma_W, Sigma_B (over (z, y)) and mu, with blanks (in y and in the
    level-2-only z), against central differences (symmetric perturbations of the covariance matrices)."""
    rng = np.random.default_rng(7)
    y = demo[WITHIN].to_numpy(float).copy()
    y[:, :3][rng.random((len(y), 3)) < 0.2] = np.nan
    z = demo[["w1", "w2"][:p_z]].to_numpy(float).copy()
    if p_z:  # blank community characteristics: w1 in clusters 1-20, both in 21-25, w2 in one row of cluster 30
        z[demo.cluster.between(1, 20), 0] = np.nan
        z[demo.cluster.between(21, 25), :] = np.nan
        z[np.flatnonzero(demo.cluster == 30)[0], 1] = np.nan
    stats = tm.MissingClusterStatistics.from_rows(y, z, demo.cluster.to_numpy(), WITHIN, ["w1", "w2"][:p_z])
    within_only = np.array([False] * 3 + [True] * 3)
    m = _random_moments(rng, 6, p_z, within_only)
    pieces = tm.evaluate(stats, m, ~within_only)
    g_w, g_b, g_mu = tm.matrix_gradient(stats, pieces)
    h = 1e-5

    def value(**change):
        return tm.evaluate(stats, tl.Moments2L(**{**m.__dict__, **change}), ~within_only).value

    def bump(matrix, i, j, step):
        out = matrix.copy()
        out[i, j] += step
        if i != j:
            out[j, i] += step
        return out

    for i, j in [(0, 0), (0, 1), (2, 4), (3, 5), (5, 5)]:
        numeric = (value(sigma_w=bump(m.sigma_w, i, j, h)) - value(sigma_w=bump(m.sigma_w, i, j, -h))) / (2 * h)
        assert numeric == pytest.approx(g_w[i, j] * (1 if i == j else 2), rel=1e-6, abs=1e-5)
    assert not p_z or (stats.z_pattern_freq.size == 4 and np.isnan(stats.z).any())
    split = [k for k in range(p_z + 6) if k < p_z + 3]
    for i in split:
        for j in split:
            if j < i:
                continue
            numeric = (value(sigma_b=bump(m.sigma_b, i, j, h)) - value(sigma_b=bump(m.sigma_b, i, j, -h))) / (2 * h)
            assert numeric == pytest.approx(g_b[i, j] * (1 if i == j else 2), rel=1e-6, abs=1e-5)
    for i in range(p_z + 6):
        e = np.zeros(p_z + 6)
        e[i] = h
        numeric = (value(mu=m.mu + e) - value(mu=m.mu - e)) / (2 * h)
        assert numeric == pytest.approx(g_mu[i], rel=1e-6, abs=1e-5)


def test_parameter_gradient_matches_finite_differences(blanks):
    options = tf.two_level_options(None, None, "fiml", "cluster", None, (), (), None, 0, None, {})
    model, statistics, h1, moments = tf.compile_two_level(DEMO, blanks, options)
    bound = model.bind(statistics, moments)
    objective = TwoLevelMissingObjective(bound)
    theta = tf.start_values_two_level(bound)
    h = 1e-6
    numeric = np.array([(objective.value(theta + h * e) - objective.value(theta - h * e)) / (2 * h)
                        for e in np.eye(len(theta))])
    np.testing.assert_allclose(objective.gradient(theta), numeric, rtol=1e-5, atol=1e-7)


def test_fiml_on_complete_data_is_ml(demo):
    ml = fit(DEMO, demo, cluster="cluster")
    fiml = fit(DEMO, demo, cluster="cluster", missing="fiml")
    np.testing.assert_allclose(fiml.params.est, ml.params.est)
    np.testing.assert_allclose(fiml.params.se, ml.params.se)
    assert fiml.options["missing"] == "fiml"


def test_rows_left_out_are_counted(blanks):
    """A blank fixed.x covariate (x1) leaves the row out, as lavaan; with fixed_x=False it is modeled."""
    res = fit(DEMO, blanks, cluster="cluster", missing="fiml")
    n_x = int(blanks.x1.isna().sum())
    assert res.n_dropped == n_x and res.nobs == len(blanks) - n_x
    assert any("fixed.x covariate" in w for w in res.warnings_)
    empty = blanks.copy()
    empty.loc[[0, 1], ["y1", "y2", "y3"]] = np.nan
    empty.loc[[0, 1], "x1"] = 0.5
    out = fit(DEMO, empty, cluster="cluster", missing="fiml", fixed_x=False, se="none")
    assert out.n_dropped == 0  # x observed: the row is not empty


@pytest.mark.parametrize("kwargs, match", [
    ({"estimator": "MLR"}, "MLR"),
    ({"missing": "fiml.x"}, "fiml.x"),
    ({"missing": "pairwise"}, "missing"),
    ({"information": "expected"}, "information"),
    ({"se": "robust.huber.white"}, "robust"),
])
def test_unavailable_options_are_refused(blanks, kwargs, match):
    args = {"missing": "fiml", **kwargs}
    with pytest.raises(ValueError, match=match):
        fit(WITHIN_ONLY, blanks, cluster="cluster", **args)


def test_level2_values_must_be_constant_with_blanks(blanks):
    """Blanks in a level-2-only variable are modeled; values that vary within a cluster are still refused."""
    data = blanks.copy()
    data.loc[data.cluster == 3, "w1"] = np.nan
    syntax = "level: 1\n fw =~ y1 + y2 + y3\nlevel: 2\n fb =~ y1 + y2 + y3 + w1"
    res = fit(syntax, data, cluster="cluster", missing="fiml", se="none")
    assert res.n_dropped == 0  # rows blank on y1-y3 but with w1 stay (lavaan drops only rows blank on everything)
    data.loc[data.index[data.cluster == 4][0], "w1"] += 1.0
    with pytest.raises(DataError, match="w1"):
        fit(syntax, data, cluster="cluster", missing="fiml")


def test_unrestricted_model_keeps_lavaans_floor():
    """On a seed instrument's communities (ICCs near zero) the unconstrained maximum has an indefinite
    between matrix; lavaan's unrestricted model (Sigma = LL' + 1e-4 I) stops at the floor, and so does
    govstats's: the between matrix's smallest eigenvalues sit at 1e-4, none below."""
    data = pd.read_csv(FOLDER / "data" / "grid_twolevel.csv")
    items = [f"VS{i}" for i in range(1, 5)] + [f"IS{i}" for i in range(1, 5)]
    rng = np.random.default_rng(5)
    values = data[items].to_numpy(float)
    values[rng.random(values.shape) < 0.1] = np.nan
    data[items] = values
    syntax = ("level: 1\n VSw =~ VS1 + VS2 + VS3 + VS4\n ISw =~ IS1 + IS2 + IS3 + IS4\n"
              "level: 2\n VSb =~ VS1 + VS2 + VS3 + VS4\n ISb =~ IS1 + IS2 + IS3 + IS4")
    options = tf.two_level_options(None, None, "fiml", "community_id", None, (), (), None, 0, None, {})
    _, _, h1, _ = tf.compile_two_level(syntax, data, options)
    eigenvalues = np.linalg.eigvalsh(h1.sigma_b)
    assert h1.converged
    assert eigenvalues.min() > 1e-4 - 1e-8 and eigenvalues.min() < 1.01e-4
