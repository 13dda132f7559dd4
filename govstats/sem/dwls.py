"""Stage 2 of ordinal SEM: DWLS estimates, robust standard errors and the scaled-shifted test.

Groundwork for ``fit(..., estimator="WLSMV")`` (not wired into ``fit`` yet: the params table,
fit measures, standardized solution and CLI follow in the ordinal-SEM issue). Delta
parameterization: the latent responses have unit variance, so their residual variances are
not parameters and only the implied correlations (off the diagonal) enter the fit; with
free thresholds the thresholds are fitted exactly and drop out of the test.

    F = (r - sigma(theta))' W (r - sigma(theta)),   W = diag(Gamma_cc)^-1

Gauss-Newton converges in 10 to 30 steps from the ML starting values. Against lavaan 0.6.14
(tests/reference/sem_ordinal): estimates agree to 4e-6 and the traces of U Gamma to 1e-8;
lavaan's chi-square is (N - 1) F and its covariance matrix of the estimates is the
sandwich with (N - 1) / N^2, which this module follows (measured: both off by exactly
N / (N - 1) otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from govstats.sem.engine import CompiledModel
from govstats.sem.ml import GroupData
from govstats.sem.ordinal_stage1 import Stage1, stage1


@dataclass(frozen=True)
class DWLSFit:
    """Estimates and test of a DWLS fit (one group)."""

    table: pd.DataFrame        # parameter table with est and se (thresholds not included)
    thresholds: pd.Series
    chisq: float
    df: int
    chisq_scaled: float       # mean-and-variance adjusted (scaled and shifted)
    scaling_factor: float
    shift: float
    trace_ugamma: float
    iterations: int
    converged: bool
    stage1: Stage1


def fit_dwls(syntax: str, data: pd.DataFrame, max_iter: int = 200, tol: float = 1e-10) -> DWLSFit:
    """DWLS with robust SEs and the scaled-shifted test, every indicator treated as ordered."""
    probe = CompiledModel(syntax)
    items = list(probe.names.ov)
    # Latent-response residual variances are 1 - R^2, not parameters: fix them at 0 so that
    # they drop out of theta (they do not affect the implied correlations).
    engine = CompiledModel(syntax + "\n" + "\n".join(f"{v} ~~ 0*{v}" for v in items))
    s1 = stage1(data, items)
    p = len(items)
    rows, cols = np.triu_indices(p, 1)
    r = s1.correlations.loc[items, items].to_numpy()[rows, cols]
    n_th = len(s1.thresholds)
    gamma = s1.gamma.to_numpy()[n_th:, n_th:]
    w = 1.0 / np.diag(gamma)
    corr = s1.correlations.loc[items, items].to_numpy()
    model = engine.models[0]
    start_data = GroupData(n=s1.nobs, mean=np.zeros(p), cov=corr, raw=None, logdet=np.linalg.slogdet(corr)[1])
    theta = engine.start([start_data])
    converged = False
    for iteration in range(1, max_iter + 1):
        sigma, _, B, C, M = model.implied(theta)
        dS, _ = model.jacobian(theta, B, C, M)
        J = dS[rows, cols, :]
        step = np.linalg.solve(J.T @ (w[:, None] * J), J.T @ (w * (r - sigma[rows, cols])))
        theta = theta + step
        if np.max(np.abs(step)) < tol * max(1.0, np.max(np.abs(theta))):
            converged = True
            break
    sigma, _, B, C, M = model.implied(theta)
    dS, _ = model.jacobian(theta, B, C, M)
    J = dS[rows, cols, :]
    resid = r - sigma[rows, cols]
    n = s1.nobs
    chisq = (n - 1) * float(resid @ (w * resid))
    wj = w[:, None] * J
    a_inv = np.linalg.inv(J.T @ wj)
    vcov = a_inv @ (wj.T @ gamma @ wj) @ a_inv * (n - 1) / n ** 2
    u = np.diag(w) - wj @ a_inv @ wj.T
    ug = u @ gamma
    trace, trace2 = float(np.trace(ug)), float(np.sum(ug * ug.T))
    df = len(r) - len(theta)
    a = np.sqrt(df / trace2)
    shift = df - a * trace
    table = engine.table.copy()
    table["est"] = engine.values(theta)
    free = table.free.to_numpy()
    se = np.sqrt(np.clip(np.diag(vcov), 0, None))
    table["se"] = np.where(free > 0, se[np.maximum(free, 1) - 1], 0.0)
    # residual variances of the latent responses: 1 - R^2 (delta parameterization)
    residual = (table.op == "~~") & (table.lhs == table.rhs) & table.lhs.isin(items)
    explained = np.diag(sigma)
    table.loc[residual, "est"] = [1.0 - explained[items.index(v)] for v in table.loc[residual, "lhs"]]
    return DWLSFit(table=table, thresholds=s1.thresholds, chisq=chisq, df=df, chisq_scaled=a * chisq + shift,
                   scaling_factor=1.0 / a, shift=shift, trace_ugamma=trace, iterations=iteration,
                   converged=converged, stage1=s1)
