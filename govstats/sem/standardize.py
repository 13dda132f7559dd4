"""Standardized solutions (lavaan's std.lv and std.all) and defined (:=) parameters.

std.all divides by total standard deviations: a loading lambda becomes lambda sd(f)/sd(x),
a regression b becomes b sd(x)/sd(y), a residual variance its share of the total
variance, and a (residual) covariance between two different variables becomes the
correlation of the two residuals (divided by the square roots of the two residual
variances, as lavaan does). std.lv does the same for latent variables only.
"""

from __future__ import annotations

import math
import re

import numpy as np

_SAFE = {name: getattr(math, name) for name in ("exp", "log", "sqrt", "sin", "cos", "tan", "pi")}
_SAFE["abs"] = abs


def standardize(engine, theta: np.ndarray, kind: str) -> np.ndarray:
    """Standardized value of every (non-defined) row of the parameter table."""
    table = engine.table
    values = engine.values(theta)
    out = np.full(len(table), np.nan)
    for g, model in enumerate(engine.models, start=1):
        _, _, _, C, _ = model.implied(theta)
        var_total = np.diag(C).copy()
        is_lv = np.zeros(model.m, dtype=bool)
        is_lv[model.p:] = True
        index = {v: i for i, v in enumerate(model.names)}
        residual = {}
        for r in table[(table.group == g) & (table.op == "~~") & (table.lhs == table.rhs)].itertuples():
            residual[r.lhs] = values[r.Index]

        def scale(v):
            i = index[v]
            if kind == "std.lv" and not is_lv[i]:
                return 1.0
            return math.sqrt(var_total[i]) if var_total[i] > 0 else float("nan")

        for r in table[(table.group == g) & (table.op != ":=")].itertuples():
            x = values[r.Index]
            if r.op == "=~":
                out[r.Index] = x * scale(r.lhs) / scale(r.rhs)
            elif r.op == "~":
                out[r.Index] = x * scale(r.rhs) / scale(r.lhs)
            elif r.op == "~1":
                out[r.Index] = x / scale(r.lhs)
            elif r.op == "~~" and r.lhs == r.rhs:
                out[r.Index] = x / scale(r.lhs) ** 2
            elif r.op == "~~":
                a, b = residual.get(r.lhs, np.nan), residual.get(r.rhs, np.nan)
                if kind == "std.lv" and not (is_lv[index[r.lhs]] and is_lv[index[r.rhs]]):
                    out[r.Index] = x
                else:
                    out[r.Index] = x / math.sqrt(a * b) if a > 0 and b > 0 else np.nan
    return out


def _r_to_python(expression: str) -> str:
    return expression.replace("^", "**")


def defined_values(engine, theta: np.ndarray, std: np.ndarray | None = None) -> np.ndarray:
    """Values of the := rows from the labeled parameters (or their standardized values)."""
    table = engine.table
    values = engine.values(theta) if std is None else std
    scope = dict(_SAFE)
    for r in table[table.label.astype(bool) & (table.op != ":=")].itertuples():
        scope.setdefault(r.label, values[r.Index])
    out = []
    for r in table[table.op == ":="].itertuples():
        try:
            value = float(eval(compile(_r_to_python(r.rhs), "<defined>", "eval"), {"__builtins__": {}}, scope))
        except NameError as exc:
            name = re.search(r"'(.+?)'", str(exc))
            raise ValueError(f"The defined parameter '{r.lhs} := {r.rhs}' uses "
                             f"'{name.group(1) if name else exc}', which is not a parameter label.") from None
        scope[r.lhs] = value
        out.append(value)
    return np.array(out)


def delta_se(function, theta: np.ndarray, vcov: np.ndarray, step: float = 1e-6) -> np.ndarray:
    """Delta-method standard errors of function(theta), with a central-difference Jacobian."""
    base = function(theta)
    jac = np.empty((len(base), len(theta)))
    for k in range(len(theta)):
        e = np.zeros(len(theta))
        e[k] = step * max(1.0, abs(theta[k]))
        jac[:, k] = (function(theta + e) - function(theta - e)) / (2 * e[k])
    var = np.einsum("ik,kl,il->i", jac, vcov, jac)
    return np.sqrt(np.clip(var, 0, None))
