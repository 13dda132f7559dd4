"""Stacked bootstrap refits (govstats.sem.batch_refit) against the one-by-one refits they replace:
the same estimates, standardized values and chi-squares draw by draw, for one group, two groups
with equal loadings (means in the model), fixed.x covariates (whose fixed values differ from draw
to draw), a cluster resample, and a draw whose start is not admissible."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats import fit
from govstats.sem.batch_refit import BatchML
from govstats.sem.bootstrap import _bootstrap_draws, _payload, warm_start
from govstats.sem.fit import estimate
from govstats.sem.options import normalize_options

HS = pd.read_csv(Path(__file__).resolve().parents[1] / "reference" / "data" / "HolzingerSwineford1939.csv")
CFA = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
CASES = {
    "one group": (CFA, {}),
    "two groups, equal loadings": (CFA, {"group": "school", "group_equal": ["loadings"]}),
    "fixed.x covariates": ("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual ~ ageyr + sex\n"
                           "textual ~ visual + ageyr", {}),
    "clusters": (CFA, {"cluster": "agemo", "estimator": "MLR"}),
}


def _payloads(model, kwargs):
    res = fit(model, HS.dropna(subset=["grade"]), **kwargs)
    bound = res._bound
    compiled = bound.model
    observed = list(compiled.names.ov)
    options = normalize_options(**res.options)
    columns = list(dict.fromkeys(observed + [c for c in (options.group, options.cluster) if c is not None]))
    frame = HS.dropna(subset=["grade"])[columns].reset_index(drop=True)
    labels = None if options.group is None else list(bound.statistics.group_labels)
    start = warm_start(bound, estimate(bound, res._theta))
    return res, _payload(model, options, None, compiled, start, frame, observed, None, labels=labels, bound=bound)


@pytest.mark.parametrize("name", sorted(CASES))
def test_stacked_refits_are_the_one_by_one_refits(name):
    model, kwargs = CASES[name]
    res, payload = _payloads(model, kwargs)
    assert payload.curvature is not None
    seeds = np.random.SeedSequence(11).spawn(6)
    stacked = _bootstrap_draws(payload, seeds)
    payload.curvature = None
    one_by_one = _bootstrap_draws(payload, seeds)
    for (status, values, std, chisq), (status1, values1, std1, chisq1) in zip(stacked, one_by_one):
        assert status == status1 == "ok"
        assert np.allclose(values, values1, atol=2e-6, equal_nan=True)
        assert np.allclose(std, std1, atol=2e-6, equal_nan=True)
        assert chisq == pytest.approx(chisq1, rel=1e-8)


def test_an_inadmissible_start_is_reported_not_fitted():
    res = fit(CFA, HS)
    bound = res._bound
    bad = res._theta.copy()
    variances = [k for k, (lhs, op, rhs) in enumerate(zip(bound.model.table.lhs, bound.model.table.op,
                                                              bound.model.table.rhs))
                 if op == "~~" and lhs == rhs == "x1"]
    bad[int(bound.model.table.free.iat[variances[0]]) - 1] = -50.0  # Sigma not positive definite
    theta, value, converged, message = BatchML([bound, bound]).minimize(bad, np.eye(len(bad)), 1e-6)
    assert not converged.any()
    assert "not positive definite" in message[0]


def test_constraints_ordinal_and_least_squares_keep_the_one_by_one_path():
    constrained = fit("visual =~ x1 + a*x2 + b*x3\nb == a^2", HS)._bound.model
    assert not BatchML.supports(constrained)
    assert not BatchML.supports(fit(CFA, HS, estimator="ULS")._bound.model)


def test_a_failing_draw_is_marked_and_the_others_kept():
    """A stacked Cholesky or inverse fails for the whole stack when one matrix fails: then each is
    tried on its own, and only the failing draw is marked (a non-recursive model's I - A can be
    singular at a trial point; a trial Sigma need not be positive definite)."""
    from govstats.sem.batch_refit import _each

    stack = np.stack([np.eye(3) * 2.0, np.zeros((3, 3)), np.diag([1.0, -1.0, 1.0])])
    ok = np.ones(3, dtype=bool)
    inverses = _each(np.linalg.inv, stack, ok, np.eye(3))
    assert list(ok) == [True, False, True]
    assert np.allclose(inverses[0], np.eye(3) / 2) and np.allclose(inverses[2], np.diag([1.0, -1.0, 1.0]))
    ok = np.ones(3, dtype=bool)
    _each(np.linalg.cholesky, stack, ok, np.eye(3))
    assert list(ok) == [True, False, False]
