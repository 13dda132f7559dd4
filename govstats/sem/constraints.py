"""Linear constraints: equalities (``a == b``, ``a1 == a2 + a3``, ``b1 == 2*b2 - 0.5``) by
reparameterization, as lavaan does for linear constraints, and inequalities (``a > 0.6``,
``b < a``) by an active set.

The constraints R theta = r on the free parameters leave theta = theta_p + K x with K an
orthonormal basis of R's null space: the optimizer works on x, and every inverse of an
information matrix becomes K (K' I K)^-1 K' (the covariance of constrained estimates, whose
rank is q minus the number of independent constraints). Nonlinear constraints are refused with
the line they stand on.
"""

from __future__ import annotations

import numpy as np

from govstats.sem.expressions import parse_constraint
from govstats.sem.syntax import ModelSyntaxError


class LinearConstraints:
    """theta = theta_p + K x for the parameters that satisfy every constraint."""

    def __init__(self, basis: np.ndarray, particular: np.ndarray, count: int):
        self.basis = basis
        self.particular = particular
        self.count = count  # independent constraints: npar = q - count

    def reduce(self, theta: np.ndarray) -> np.ndarray:
        return self.basis.T @ (theta - self.particular)

    def expand(self, x: np.ndarray) -> np.ndarray:
        return self.particular + self.basis @ x

    def inverse(self, information: np.ndarray) -> np.ndarray:
        """K (K' I K)^-1 K': the inverse of an information matrix under the constraints."""
        k = self.basis
        return k @ np.linalg.inv(k.T @ information @ k) @ k.T

    def reduced_information(self, information: np.ndarray) -> np.ndarray:
        return self.basis.T @ information @ self.basis


class ReducedObjective:
    """An objective of x (theta = theta_p + K x), for the one optimizer."""

    def __init__(self, objective, constraints: LinearConstraints):
        self.objective = objective
        self.constraints = constraints
        self.scoring_steps = objective.scoring_steps

    def value(self, x: np.ndarray) -> float:
        return self.objective.value(self.constraints.expand(x))

    def evaluate(self, x: np.ndarray, information: bool = True):
        value, grad, hess = self.objective.evaluate(self.constraints.expand(x), information)
        if grad is None:
            return value, None, None
        k = self.constraints.basis
        return value, k.T @ grad, None if hess is None else k.T @ hess @ k


class ConstraintSet:
    """A model's linear constraints: equalities R theta = r, and inequalities G theta - h >= 0
    (``a > 0.6``, ``b < a``), which are enforced by an active set: an inequality that binds at
    the solution is treated as an equality (lavaan then reports the parameter on the boundary;
    its standard errors and df treat the bound as it treats inequality constraints: the df do not
    change)."""

    def __init__(self, equalities, targets, inequalities, bounds, lines):
        self.equalities, self.targets = equalities, targets
        self.inequalities, self.bounds = inequalities, bounds
        self.lines = lines  # the syntax line of each inequality
        self.count = int(np.linalg.matrix_rank(equalities)) if len(equalities) else 0
        self._bases = {}

    @property
    def has_inequalities(self) -> bool:
        return len(self.inequalities) > 0

    def slack(self, theta: np.ndarray) -> np.ndarray:
        """G theta - h: non-negative where every inequality holds."""
        return self.inequalities @ theta - self.bounds if self.has_inequalities else np.zeros(0)

    def basis(self, active=()) -> LinearConstraints | None:
        """theta = theta_p + K x satisfying the equalities and the ``active`` inequalities as equalities."""
        active = tuple(sorted(active))
        if active not in self._bases:
            matrix = np.vstack([self.equalities] + [self.inequalities[list(active)]]) if active else self.equalities
            target = np.concatenate([self.targets, self.bounds[list(active)]]) if active else self.targets
            self._bases[active] = _null_space(matrix, target, self.lines) if len(matrix) else None
        return self._bases[active]


def _null_space(matrix: np.ndarray, target: np.ndarray, lines) -> LinearConstraints:
    _, singular, vt = np.linalg.svd(matrix)
    rank = int((singular > 1e-10 * singular[0]).sum())
    particular = np.linalg.lstsq(matrix, target, rcond=None)[0]
    if not np.allclose(matrix @ particular, target, atol=1e-10):
        raise ModelSyntaxError(f"line {lines[0] if lines else '?'}: the constraints contradict each other; no "
                               "parameter values satisfy all of them.")
    return LinearConstraints(vt[rank:].T, particular, rank)


def linear_constraints(table, formulas) -> ConstraintSet | None:
    """The model's ``==``, ``<`` and ``>`` constraints on labelled free parameters, or None."""
    rows = [f for f in formulas if f.op in ("==", "<", ">")]
    if not rows:
        return None
    free_label = {}
    for label, free in zip(table.label, table.free):
        if label and free > 0:
            free_label.setdefault(label, int(free) - 1)
    q = int(table.free.max())
    equal, equal_target, unequal, unequal_target, lines = [], [], [], [], []
    for f in rows:
        text = f"{f.lhs} {f.op} {f.expression}"
        constraint = parse_constraint(f.lhs, f.op, f.expression, line=f.line)
        unknown = [n for n in constraint.names if n not in free_label]
        if unknown:
            raise ModelSyntaxError(f"line {f.line}: '{text}' uses {', '.join(repr(n) for n in unknown)}, which "
                                   "is not the label of a free parameter (constraints on defined (:=) or fixed "
                                   "parameters are not available in this version).")
        if not constraint.is_linear:
            raise ModelSyntaxError(f"line {f.line}: '{text}' is not linear in the parameters; nonlinear "
                                   "constraints are not available in this version.")
        coefficients, constant = constraint.linear_coefficients()  # residual = row . theta + constant
        row = np.zeros(q)
        for name, value in coefficients.items():
            row[free_label[name]] += value
        if not row.any():
            raise ModelSyntaxError(f"line {f.line}: '{text}' constrains nothing (its parameters cancel out).")
        if f.op == "==":
            equal.append(row)
            equal_target.append(-constant)
        else:
            unequal.append(row)
            unequal_target.append(-constant)
            lines.append(f.line)
    equal = np.array(equal).reshape(-1, q)
    equal_target = np.array(equal_target, dtype=float)
    if len(equal):
        _null_space(equal, equal_target, [f.line for f in rows if f.op == "=="])  # contradictions now
    return ConstraintSet(equal, equal_target, np.array(unequal).reshape(-1, q), np.array(unequal_target, dtype=float),
                         lines)
