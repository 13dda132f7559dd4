"""The estimation core: derivatives against finite differences, exact recovery, refits.

Analytic derivatives are what the optimizer, the information matrices and the delta method
stand on; a wrong one gives wrong SEs silently. Each is compared with central differences
(step 1e-6, agreement to 1e-6 relative). A covariance matrix implied by the model itself must
be recovered exactly (chisq 0), and a refit of a compiled model must equal a fresh fit
without changing the model.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats import fit
from govstats.sem.fit import compile_model, refit
from govstats.sem.objectives import objective_for
from govstats.sem.options import normalize_options
from govstats.sem.statistics import Moments, Statistics

REPO = Path(__file__).resolve().parents[2]
HS = REPO / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv"
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
POLDEM = (REPO / "tests" / "reference" / "sem" / "models" / "poldem_sem_indirect.lav").read_text()
GRID = REPO / "data" / "synthetic" / "grid_governance.csv"
GRID_MODEL = "VS =~ VS1 + VS2 + VS3 + VS4\nIS =~ IS1 + IS2 + IS3 + IS4\nIS ~ VS"


def _bound(syntax, data, **options):
    compiled, stats = compile_model(syntax, data, normalize_options(**options))
    return compiled, stats, compiled.bind(stats)


def _central(f, theta, step=1e-6):
    out = []
    for k in range(len(theta)):
        e = np.zeros(len(theta))
        e[k] = step * max(1.0, abs(theta[k]))
        out.append((f(theta + e) - f(theta - e)) / (2 * e[k]))
    return np.array(out).T


@pytest.mark.parametrize("syntax, path, options", [
    (HS_MODEL, HS, {}),
    (HS_MODEL, HS, {"group": "school", "group_equal": ["loadings", "intercepts"]}),
    (POLDEM, REPO / "tests" / "reference" / "data" / "PoliticalDemocracy.csv", {}),
    (GRID_MODEL, GRID, {"ordered": True}),
    (GRID_MODEL, GRID, {"ordered": True, "parameterization": "theta"}),
    (GRID_MODEL, GRID, {"ordered": True, "group": "district", "group_equal": ["thresholds", "loadings"]}),
], ids=["ml", "ml-groups", "ml-sem", "wlsmv", "wlsmv-theta", "wlsmv-groups"])
def test_gradient_matches_finite_differences(syntax, path, options):
    data = pd.read_csv(path)
    compiled, stats, bound = _bound(syntax, data, **options)
    objective = objective_for(bound)
    theta = refit(compiled, stats).theta
    theta = theta + np.random.default_rng(1).normal(0, 0.02, len(theta))  # away from the optimum
    _, grad, _ = objective.evaluate(theta, information=False)
    numeric = _central(lambda t: np.array([objective.value(t)]), theta)[0]
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("options", [{}, {"parameterization": "theta"},
                                     {"group": "district", "group_equal": ["thresholds", "loadings"]}],
                         ids=["delta", "theta", "groups"])
def test_ordinal_jacobian_matches_finite_differences(options):
    data = pd.read_csv(GRID)
    compiled, stats, bound = _bound(GRID_MODEL, data, ordered=True, **options)
    theta = refit(compiled, stats).theta + 0.01
    for block in bound.blocks:
        analytic = block.jacobian(theta)
        numeric = _central(lambda t: block.moments(t)[0], theta)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


def _model_implied_statistics():
    """(compiled HS model, its estimates, statistics whose covariance matrix the model implies exactly)."""
    compiled, stats, bound = _bound(HS_MODEL, pd.read_csv(HS))
    theta = refit(compiled, stats).theta
    sigma = bound.blocks[0].implied(theta)[0]
    exact = Statistics([Moments(n=301, mean=np.zeros(9), cov=sigma, raw=None,
                                logdet=float(np.linalg.slogdet(sigma)[1]))], [None])
    return compiled, theta, exact


def test_ml_information_is_the_hessian_at_a_perfect_fit():
    """At a covariance matrix the model implies, F = 0 and the expected Hessian equals the Hessian."""
    compiled, theta, exact = _model_implied_statistics()
    objective = objective_for(compiled.bind(exact))
    _, _, hess = objective.evaluate(theta)
    numeric = _central(lambda t: objective.evaluate(t, information=False)[1], theta)
    np.testing.assert_allclose(hess, numeric, rtol=1e-4, atol=1e-6)


def test_exact_recovery_of_a_model_implied_covariance_matrix():
    compiled, truth, exact = _model_implied_statistics()
    opt = refit(compiled, exact)
    assert opt.converged and opt.fmin < 1e-12
    np.testing.assert_allclose(opt.theta, truth, atol=1e-7)


def test_refit_equals_a_fresh_fit_and_leaves_the_model_unchanged():
    data = pd.read_csv(REPO / "data" / "synthetic" / "ri_asset.csv")
    from govstats import load_instrument

    syntax = load_instrument(REPO / "instruments" / "ri_asset.yaml").model_syntax()
    compiled, stats = compile_model(syntax, data, normalize_options())
    table = compiled.table.copy()
    blocks = copy.deepcopy(compiled.blocks)
    first = refit(compiled, stats)
    fresh = fit(syntax, data)
    np.testing.assert_allclose(first.theta, fresh.coef.to_numpy(), atol=1e-8)  # no equalities: coef is theta
    rows = np.random.default_rng(3).integers(0, len(data), len(data))
    resample = data.iloc[rows].reset_index(drop=True)
    _, stats_b = compile_model(syntax, resample, normalize_options())
    warm = refit(compiled, stats_b, start=first.theta)
    cold = fit(syntax, resample)
    np.testing.assert_allclose(warm.theta, cold.coef.to_numpy(), atol=1e-6)
    pd.testing.assert_frame_equal(compiled.table, table)
    for before, after in zip(blocks, compiled.blocks):
        for name in ("A", "S", "M"):
            np.testing.assert_array_equal(getattr(before, name).value, getattr(after, name).value)


def test_refit_with_exogenous_covariates_does_not_keep_the_first_samples_moments():
    data = pd.read_csv(REPO / "tests" / "reference" / "data" / "PoliticalDemocracy.csv")
    syntax = "dem60 =~ y1 + y2 + y3 + y4\ndem60 ~ x1 + x2"
    compiled, stats = compile_model(syntax, data, normalize_options(meanstructure=True))
    refit(compiled, stats)
    half = data.iloc[:50].reset_index(drop=True)
    _, stats_half = compile_model(syntax, half, normalize_options(meanstructure=True))
    ours = refit(compiled, stats_half)
    fresh = fit(syntax, half, meanstructure=True)
    np.testing.assert_allclose(ours.fmin * 50, fresh.fit_measures["chisq"], rtol=1e-8)


def test_defined_parameter_outside_the_whitelist_is_refused_with_its_line():
    from govstats.sem.expressions import ExpressionError

    data = pd.read_csv(REPO / "tests" / "reference" / "data" / "PoliticalDemocracy.csv")
    model = "dem60 =~ y1 + y2\ndem60 ~ a*x1\nd := (a).__class__.__mro__[1].__subclasses__().__len__()"
    with pytest.raises(ExpressionError, match="line 3"):
        fit(model, data)


@pytest.mark.parametrize("line, message", [
    ("group: 1", "'group:' blocks"),
    ('efa("b1")*f1 ~ x1', "modifier of the factors on the left of '=~' only"),
    ("x1 ~*~ x1", "scale factors apply to an ordered item"), ("visual =~ start(a)*x2", "start values"),
])
def test_lavaan_syntax_not_available_is_refused_by_name_and_line(line, message):
    from govstats.sem.syntax import ModelSyntaxError

    with pytest.raises(ModelSyntaxError, match=f"line 2: .*{message}"):
        fit(f"{HS_MODEL.splitlines()[0]}\n{line}", pd.read_csv(HS))


def test_start_values_per_group_and_latent_single_indicators_as_lavaan():
    """start(0.5, 0.6)*x gives one start value per group; a latent variable that is the only
    indicator of another (a phantom variable) gets its residual variance fixed at 0 (auto.fix.single)."""
    res = fit("visual =~ x1 + start(0.5, 0.6)*x2 + x3", pd.read_csv(HS), group="school")
    assert res.converged
    table = fit("l1 =~ 1*x1\nl2 =~ 1*x2\nl2 ~ 1*l1\nd2 =~ 1*l2\nd2 ~~ 0.2*d2\nx1 ~~ e*x1\nx2 ~~ e*x2",
                pd.read_csv(HS)).partable().set_index(["lhs", "op", "rhs"])
    assert table.loc[("l2", "~~", "l2"), "free"] == 0 and table.loc[("l2", "~~", "l2"), "ustart"] == 0
    assert table.loc[("l1", "~~", "l1"), "free"] > 0


def test_group_partial_naming_a_parameter_the_model_lacks_is_refused():
    with pytest.raises(ValueError, match=r"group_partial.*visual=~zz"):
        fit(HS_MODEL, pd.read_csv(HS), group="school", group_equal="loadings", group_partial="visual=~zz")


def test_a_defined_parameter_with_unknown_labels_names_them():
    from govstats.sem.expressions import ExpressionError

    with pytest.raises(ExpressionError, match=r"line 4: 'd := a\*b': 'a', 'b' are not parameter labels"):
        fit(HS_MODEL + "\nd := a*b", pd.read_csv(HS))


def test_group_weights_are_refused_by_name():
    from govstats.sem.syntax import ModelSyntaxError

    with pytest.raises(ModelSyntaxError, match=r"line 2: .*group weights \('%'\)"):
        fit(f"{HS_MODEL.splitlines()[0]}\ngroup % c(w1, w2)*w", pd.read_csv(HS))
