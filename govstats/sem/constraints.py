"""A model's explicit constraints: equalities (``a == b``, ``a1 == a2 + a3``, ``b1 == (b2 + b3)^2``)
and inequalities (``a > 0.6``, ``b < a``, ``a*b > 0.5``), on labelled free parameters or on
defined (``:=``) parameters.

Linear equalities R theta = r leave theta = theta_p + K x with K an orthonormal basis of R's
null space: the optimizer works on x (reparameterization, as lavaan does for linear
constraints), and every inverse of an information matrix becomes K (K' I K)^-1 K' (the
covariance of constrained estimates, whose rank is q minus the number of independent
constraints). Nonlinear constraints are linearized at the estimates for the same purpose: lavaan
inverts the information bordered by the constraints' Jacobian H, whose top-left block is
K (K' I K)^-1 K' with K the null space of H. Inequalities are enforced by an active set
(:mod:`govstats.sem.constrained_fit`).
"""

from __future__ import annotations

import numpy as np

from govstats.sem.expressions import defined_jacobian, evaluate_defined, parse_constraint
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


class NonlinearConstraint:
    """One constraint that is not linear in the free parameters, or that uses a defined (``:=``)
    parameter: its oriented residual (0 for ``==``, non-negative for ``<`` and ``>``) and gradient
    as functions of the free parameters theta."""

    def __init__(self, constraint, free_label: dict, definitions, q: int):
        self.constraint, self.op, self.line = constraint, constraint.op, constraint.line
        self.free_label, self.q = free_label, q
        self.definitions = definitions  # only those the constraint needs, in syntax order
        self.labels = sorted({n for n in _names_used(constraint.names, definitions) if n in free_label})

    def _scope(self, theta: np.ndarray) -> tuple[dict, dict]:
        labels = {name: float(theta[self.free_label[name]]) for name in self.labels}
        scope = dict(labels)
        scope.update(evaluate_defined(self.definitions, labels))
        return labels, scope

    def residual(self, theta: np.ndarray) -> float:
        return float(self.constraint.residual(self._scope(theta)[1]))

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        labels, scope = self._scope(theta)
        out = np.zeros(self.q)
        derivatives = self.constraint.gradient(scope)
        defined = [name for name, _ in self.definitions]
        through = defined_jacobian(self.definitions, labels, self.labels) if defined else None
        for name, derivative in derivatives.items():
            if name in labels:
                out[self.free_label[name]] += derivative
            else:  # a defined parameter: the chain rule through its definition
                row = through[defined.index(name)]
                for label, d in zip(self.labels, row):
                    out[self.free_label[label]] += derivative * d
        return out


def _names_used(names, definitions) -> set:
    """The names a constraint uses, with everything the definitions it uses use in turn."""
    by_name = dict(definitions)
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            if name in by_name:
                todo.extend(by_name[name].names)
    return seen


class ConstraintSet:
    """A model's constraints: linear equalities R theta = r and inequalities G theta - h >= 0, and
    the nonlinear ones (equalities, then inequalities, after the linear rows of each kind).

    An inequality that binds at the solution is treated as an equality (lavaan then reports the
    parameter on the boundary; its standard errors and df treat the bound as it treats inequality
    constraints: the df do not change)."""

    def __init__(self, equalities, targets, inequalities, bounds, lines, nonlinear=()):
        self.equalities, self.targets = equalities, targets
        self.inequalities, self.bounds = inequalities, bounds
        self.nonlinear_equalities = [c for c in nonlinear if c.op == "=="]
        self.nonlinear_inequalities = [c for c in nonlinear if c.op != "=="]
        # the syntax line of each inequality
        self.lines = list(lines) + [c.line for c in self.nonlinear_inequalities]
        linear_rank = int(np.linalg.matrix_rank(equalities)) if len(equalities) else 0
        # lavaan's npar: less the rank of the equalities' Jacobian (taken as full for the nonlinear ones;
        # constrained_fit warns when it is not at the estimates)
        self.count = linear_rank + len(self.nonlinear_equalities)
        self.is_linear = not nonlinear
        self._bases = {}

    @property
    def n_inequalities(self) -> int:
        return len(self.inequalities) + len(self.nonlinear_inequalities)

    @property
    def has_inequalities(self) -> bool:
        return self.n_inequalities > 0

    def slack(self, theta: np.ndarray) -> np.ndarray:
        """Every inequality's residual: non-negative where it holds."""
        linear = self.inequalities @ theta - self.bounds if len(self.inequalities) else np.zeros(0)
        return np.concatenate([linear, [c.residual(theta) for c in self.nonlinear_inequalities]])

    def active_is_linear(self, active) -> bool:
        return not self.nonlinear_equalities and all(i < len(self.inequalities) for i in active)

    def residuals(self, theta: np.ndarray, active=()) -> np.ndarray:
        """The equalities' residuals, then those of the ``active`` inequalities (all zero at a solution)."""
        linear = self.equalities @ theta - self.targets if len(self.equalities) else np.zeros(0)
        return np.concatenate([linear, [c.residual(theta) for c in self.nonlinear_equalities],
                               self.slack(theta)[list(active)]])

    def jacobian(self, theta: np.ndarray, active=()) -> np.ndarray:
        """Rows: the gradients of :meth:`residuals`."""
        q = len(theta)
        rows = [self.equalities.reshape(-1, q), np.array([c.gradient(theta) for c in self.nonlinear_equalities])
                .reshape(-1, q)]
        n_linear = len(self.inequalities)
        for i in active:
            rows.append((self.inequalities[i] if i < n_linear
                         else self.nonlinear_inequalities[i - n_linear].gradient(theta)).reshape(1, q))
        return np.vstack(rows)

    def basis(self, active=()) -> LinearConstraints | None:
        """theta = theta_p + K x satisfying the linear equalities and the ``active`` (linear)
        inequalities as equalities."""
        if not self.active_is_linear(active):
            raise ValueError("the model has nonlinear constraints; their linearization depends on the estimates "
                             "(govstats.sem.constrained_fit.linearized)")
        active = tuple(sorted(active))
        if active not in self._bases:
            matrix = np.vstack([self.equalities] + [self.inequalities[list(active)]]) if active else self.equalities
            target = np.concatenate([self.targets, self.bounds[list(active)]]) if active else self.targets
            self._bases[active] = _null_space(matrix, target, self.lines) if len(matrix) else None
        return self._bases[active]


def null_space(matrix: np.ndarray, rtol: float = 1e-10) -> tuple[np.ndarray, int]:
    """(an orthonormal basis of the null space of ``matrix``, as columns; its rank), singular values
    below ``rtol`` times the largest counted as zero."""
    _, singular, vt = np.linalg.svd(matrix)
    rank = int((singular > rtol * singular[0]).sum()) if len(singular) and singular[0] > 0 else 0
    return vt[rank:].T, rank


def _null_space(matrix: np.ndarray, target: np.ndarray, lines) -> LinearConstraints:
    basis, rank = null_space(matrix)
    particular = np.linalg.lstsq(matrix, target, rcond=None)[0]
    if not np.allclose(matrix @ particular, target, atol=1e-10):
        raise ModelSyntaxError(f"line {lines[0] if lines else '?'}: the constraints contradict each other; no "
                               "parameter values satisfy all of them.")
    return LinearConstraints(basis, particular, rank)


def constraint_set(table, formulas, definitions=()) -> ConstraintSet | None:
    """The model's ``==``, ``<`` and ``>`` constraints on labelled free parameters and on defined
    (``:=``) parameters (``definitions``: (name, Expression) in syntax order), or None."""
    rows = [f for f in formulas if f.op in ("==", "<", ">")]
    if not rows:
        return None
    free_label = {}
    for label, free in zip(table.label, table.free):
        if label and free > 0:
            free_label.setdefault(label, int(free) - 1)
    q = int(table.free.max())
    defined = dict(definitions)
    equal, equal_target, unequal, unequal_target, lines, nonlinear = [], [], [], [], [], []
    for f in rows:
        text = f"{f.lhs} {f.op} {f.expression}"
        constraint = parse_constraint(f.lhs, f.op, f.expression, line=f.line)
        used = _names_used(constraint.names, definitions)
        unknown = sorted(n for n in used if n not in free_label and n not in defined)
        if unknown:
            raise ModelSyntaxError(f"line {f.line}: '{text}' uses {', '.join(repr(n) for n in unknown)}, which "
                                   "is not the label of a free parameter or a defined (:=) parameter (constraints "
                                   "on fixed parameters are not available in this version).")
        if not constraint.is_linear or any(n in defined for n in constraint.names):
            needed = [(name, e) for name, e in definitions if name in used]
            item = NonlinearConstraint(constraint, free_label, needed, q)
            probe = np.random.default_rng(0).uniform(0.3, 0.9, q)
            if not np.any(item.gradient(probe)) and not np.any(item.gradient(probe + 0.1)):
                raise ModelSyntaxError(f"line {f.line}: '{text}' constrains nothing (its parameters cancel out).")
            nonlinear.append(item)
            continue
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
                         lines, nonlinear)
