"""Standardized solutions (lavaan's std.lv and std.all) and defined (:=) parameters.

std.all divides by total standard deviations: a loading lambda becomes lambda sd(f)/sd(x),
a regression b becomes b sd(x)/sd(y), a residual variance its share of the total
variance, and a (residual) covariance between two different variables becomes the
correlation of the two residuals (divided by the square roots of the two residual
variances, as lavaan does). std.lv does the same for latent variables only.
"""

from __future__ import annotations

import numpy as np


class _Plan:
    """Index arrays for vectorized standardization, built once per compiled model (the delta
    method standardizes q + 1 parameter vectors: a pandas loop took 9.7 s for q = 101, this 40 ms)."""

    OPS = {"=~": 0, "~": 1, "<~": 1, "~1": 2, "~~": 3, "|": 2, "~*~": 4}

    def __init__(self, model, display_models):
        table = model.table
        self.rows = np.flatnonzero(table.op.isin(list(self.OPS)).to_numpy())
        sub = table.iloc[self.rows]
        self.group = sub.group.to_numpy()
        self.op = np.array([self.OPS[o] for o in sub.op])
        self.lhs = np.zeros(len(sub), dtype=int)
        self.rhs = np.zeros(len(sub), dtype=int)
        self.var_row = []  # per group: for each variable, the table row of its (residual) variance or -1
        self.is_lv = []
        for g, ram in enumerate(display_models, start=1):
            index = {v: i for i, v in enumerate(ram.names)}
            mask = self.group == g
            self.lhs[mask] = [index[v] for v in sub.lhs[mask]]
            self.rhs[mask] = [index.get(v, 0) for v in sub.rhs[mask]]
            rows = np.full(ram.m, -1)
            lhs, op, rhs = sub.lhs.to_numpy(), sub.op.to_numpy(), sub.rhs.to_numpy()
            for pos in np.flatnonzero(mask & (op == "~~") & (lhs == rhs)):
                rows[index[lhs[pos]]] = self.rows[pos]
            self.var_row.append(rows)
            lv = np.zeros(ram.m, dtype=bool)
            lv[ram.p:] = True
            self.is_lv.append(lv)
        self.diag = (self.op == 3) & (self.lhs == self.rhs)


def _plan(bound) -> _Plan:
    model = bound.model
    if getattr(model, "_std_plan", None) is None:  # a pure cache: the plan depends on the model only
        model._std_plan = _Plan(model, bound.display_models)
    return model._std_plan


def standardize_batch(bound, thetas: np.ndarray, kind: str, values: np.ndarray | None = None) -> np.ndarray:
    """Standardized values of every table row for many parameter vectors (k x rows; NaN for
    := and constraint rows)."""
    plan = _plan(bound)
    extended = bound.extended_batch(thetas)
    if values is None:
        values = bound.values_batch(thetas, extended)
    out = np.full(values.shape, np.nan)
    v = values[:, plan.rows]
    result = np.full(v.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        for g, ram in enumerate(bound.display_models, start=1):
            mask = plan.group == g
            var = ram.variance_batch(extended)
            sd = np.sqrt(np.where(var > 0, var, np.nan))
            # a variance over the total variance itself, as lavaan: finite when a negative residual
            # variance makes the total negative (std.all 17.4 on a two-level fixture), not NaN
            total = np.where(var != 0, var, np.nan)
            if kind == "std.lv":
                sd = np.where(plan.is_lv[g - 1][None, :], sd, 1.0)
                total = np.where(plan.is_lv[g - 1][None, :], total, 1.0)
            rows = plan.var_row[g - 1]
            residual = np.where(rows >= 0, values[:, np.maximum(rows, 0)], np.nan)
            li, ri, op = plan.lhs[mask], plan.rhs[mask], plan.op[mask]
            x = v[:, mask]
            # a (residual) covariance over the residual sds, with lavaan's sqrt(abs()) so that a
            # negative residual variance (a Heywood case) still gives a number, as lavaan reports
            product = np.abs(residual[:, li] * residual[:, ri])
            res = np.select(
                [op == 0, op == 1, op == 2, plan.diag[mask], op == 4],
                [x * sd[:, li] / sd[:, ri], x * sd[:, ri] / sd[:, li], x / sd[:, li], x / total[:, li],
                 np.ones_like(x) if kind == "std.all" else x],
                default=x / np.sqrt(product),
            )
            if kind == "std.lv":
                # as lavaan: a (residual) covariance is divided by the residual sds of its latent
                # variables only (an observed one counts 1; two observed stay unstandardized)
                lv = plan.is_lv[g - 1]
                scale = np.abs(np.where(lv[li], residual[:, li], 1.0) * np.where(lv[ri], residual[:, ri], 1.0))
                res = np.where((op == 3) & ~plan.diag[mask], x / np.sqrt(scale), res)
            result[:, mask] = res
    out[:, plan.rows] = result
    defined = bound.model.row_map.defined
    if defined.any():
        out[:, defined] = bound.defined(out)
    return out


def row_values_batch(bound, thetas: np.ndarray) -> np.ndarray:
    """Every row's value, := rows included, for many parameter vectors."""
    values = bound.values_batch(thetas)
    defined = bound.model.row_map.defined
    if defined.any():
        values[:, defined] = bound.defined(values)
    return values


def delta_se(batch, theta: np.ndarray, vcov: np.ndarray, step: float = 1e-7) -> np.ndarray:
    """Delta-method standard errors of batch(theta) (a function of a k x q matrix), with a
    forward-difference Jacobian: q + 1 evaluations in one batch. The 1e-7 relative step keeps
    truncation and rounding errors near 1e-7, far below the agreement asked of the SEs."""
    steps = step * np.maximum(1.0, np.abs(theta))
    values = batch(np.vstack([theta, theta + np.diag(steps)]))
    jac = ((values[1:] - values[0]) / steps[:, None]).T
    # BLAS: einsum over three operands took 377 us for 53 x 70 Jacobians, this 26 us
    var = np.sum((jac @ vcov) * jac, axis=1)
    return np.sqrt(np.clip(var, 0, None))
