"""The traces behind MLMV's and MLMVS's tests, against lavaan's formula written out.

``second_order_traces`` avoids the k x k matrix U; here U Gamma is built as lavaan's
``lav_test_satorra_bentler_trace_original`` builds it (V = bdiag(f_g W_g), Gamma = bdiag(Gamma_g /
f_g), U = V - V Delta E^-1 Delta' V) and the two must agree to 1e-9 relative, with groups, equal
loadings (a constrained E^-1) and fixed.x covariates. The baseline traces must reproduce the
Satorra-Bentler baseline scaling factor that the MLM fixtures check against lavaan.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import block_diag

from govstats import fit
from govstats.sem.ml_inference import expected_information
from govstats.sem.robust_test import (baseline_scaling, baseline_second_order_traces, moment_deviations,
                                      moment_weight, second_order_traces)

REPO = Path(__file__).resolve().parents[2]
MIMIC = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual + textual ~ agec + sex"


@pytest.fixture(scope="module")
def hs():
    data = pd.read_csv(REPO / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv")
    return data.assign(agec=data.ageyr - data.ageyr.mean())


def _explicit_traces(models, data, theta, meanstructure, e_inv, exo):
    n_total = sum(d.n for d in data)
    v, gammas, deltas = [], [], []
    for model, d in zip(models, data):
        f = d.n / n_total
        sigma, mu, B, C, M = model.implied(theta)
        dS, dmu = model.jacobian(theta, B, C, M)
        rows, cols = np.tril_indices(model.p)
        delta = dS[rows, cols, :]
        if meanstructure:
            delta = np.vstack([dmu, delta])
        z = moment_deviations(d, meanstructure, exo)
        v.append(f * moment_weight(np.linalg.inv(sigma), meanstructure))
        gammas.append(z.T @ z / d.n / f)
        deltas.append(delta)
    v_all, gamma_all, delta_all = block_diag(*v), block_diag(*gammas), np.vstack(deltas)
    u = v_all - v_all @ delta_all @ e_inv @ delta_all.T @ v_all
    ug = u @ gamma_all
    return float(np.trace(ug)), float(np.sum(ug * ug.T))


@pytest.mark.parametrize("kwargs", [
    dict(estimator="MLMV"),
    dict(estimator="MLMVS", group="school", group_equal="loadings"),
    dict(estimator="MLMV", group="school", meanstructure=True),
    dict(estimator="MLMV", fixed_x=False),
], ids=["single", "groups_equal_loadings", "groups_means", "free_x"])
def test_traces_equal_lavaans_explicit_formula(hs, kwargs):
    res = fit(MIMIC, hs, **kwargs)
    bound, theta = res._bound, res._theta
    models, data = bound.blocks, bound.statistics.blocks
    meanstructure = bound.model.meanstructure
    names = bound.model.names
    exo = [i for i, v in enumerate(names.ov) if v in set(names.ov_x)] if res.options["fixed_x"] else []
    info = expected_information(models, data, theta, meanstructure)
    constraints = bound.model.constraints
    basis = None if constraints is None else constraints.basis()
    e_inv = np.linalg.inv(info) if basis is None else basis.inverse(info)
    fast = second_order_traces(models, data, theta, meanstructure, e_inv, exo)
    explicit = _explicit_traces(models, data, theta, meanstructure, e_inv, exo)
    np.testing.assert_allclose(fast, explicit, rtol=1e-9)
    # and the fit's own measures come from them
    trace, trace2 = fast
    fm = res.fit_measures
    if res.test_type == "scaled.shifted":
        assert fm["chisq_scaling_factor"] == pytest.approx(np.sqrt(trace2 / fm["df"]), rel=1e-6)
    else:
        assert fm["df_scaled"] == pytest.approx(trace ** 2 / trace2, rel=1e-6)


@pytest.mark.parametrize("kwargs", [dict(), dict(group="school"), dict(fixed_x=False), dict(meanstructure=True)],
                         ids=["single", "groups", "free_x", "means"])
def test_baseline_trace_is_the_satorra_bentler_baseline_factor(hs, kwargs):
    """tr(U Gamma) / df of the independence model is the Satorra-Bentler baseline scaling factor
    (checked against lavaan by the MLM fixtures), computed here another way."""
    res = fit(MIMIC, hs, estimator="MLMV", **kwargs)
    bound = res._bound
    data = bound.statistics.blocks
    names = bound.model.names
    x = [i for i, v in enumerate(names.ov) if v in set(names.ov_x)]
    exo, free_x = (x, []) if res.options["fixed_x"] else ([], x)
    meanstructure = bound.model.meanstructure
    base_df = res.fit_measures["baseline_df"]
    trace, trace2 = baseline_second_order_traces(data, meanstructure, exo, free_x)
    sb = baseline_scaling(data, meanstructure, base_df, False, exo, satorra_bentler=True, free_x=free_x)
    assert trace / base_df == pytest.approx(sb, rel=1e-9)
    assert trace2 > 0
