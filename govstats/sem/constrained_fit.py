"""The optimizer under a model's explicit constraints (``==``, ``<``, ``>``; see
:mod:`govstats.sem.constraints`).

Inequalities by an active set: fit with the equalities, make the most violated inequality an
equality and refit, and release a binding one whose Kuhn-Tucker multiplier has the wrong sign
(the objective would decrease moving into the feasible side).

Linear equalities (and active linear inequalities) are solved by reparameterization. Nonlinear
ones by the linearly constrained Lagrangian method (Robinson 1972; the outer loop of MINOS): at
theta_k with multipliers lambda_k, minimize F(theta) - lambda_k' (c(theta) - c_k - J_k (theta -
theta_k)) on the plane J_k (theta - theta_k) = -c_k with the one optimizer, take the plane's
multipliers as lambda_{k+1}, and repeat from there. Its fixed points satisfy the Kuhn-Tucker
conditions, and its convergence is fast near the solution because the Lagrangian's curvature is
in the subproblem. lavaan uses an augmented Lagrangian (nlminb.constr) instead; at convergence
both stand at the same constrained optimum.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from govstats.errors import IdentificationWarning
from govstats.sem.constraints import LinearConstraints, ReducedObjective, null_space
from govstats.sem.optimizer import Optimum, minimize

OUTER_ITERATIONS = 100
FEASIBLE = 1e-10  # largest |c(theta)| accepted as satisfied


def minimize_constrained(objective, start: np.ndarray, constraint_set,
                         inverse_hessian: np.ndarray | None = None, tol: float = 1e-9) -> Optimum:
    """The constrained optimum, with :attr:`Optimum.constraints` the linear constraints that
    hold at it (the equalities and binding inequalities, linearized there) for inference.
    ``tol``: the optimizer's, for linear constraints (the nonlinear ones keep their own)."""
    active: tuple = ()
    opt = None
    for _ in range(2 * constraint_set.n_inequalities + 1):
        opt = _equality_constrained(objective, start, constraint_set, active,
                                    inverse_hessian if not active else None, tol)
        if not opt.converged:
            return opt
        slack = constraint_set.slack(opt.theta)
        violated = [i for i in np.argsort(slack) if slack[i] < -1e-9 and i not in active]
        if violated:
            active = active + (int(violated[0]),)
            continue
        released = _wrong_sign_multipliers(objective, opt.theta, constraint_set, active)
        if not released:
            return opt
        active = tuple(i for i in active if i not in released)
    return dataclasses.replace(opt, converged=False, message="the inequality constraints did not settle")


def _equality_constrained(objective, start, constraint_set, active, inverse_hessian, tol) -> Optimum:
    if constraint_set.active_is_linear(active):
        constraints = constraint_set.basis(active)
        if constraints is None:
            return minimize(objective, start, inverse_hessian=inverse_hessian, tol=tol)
        opt = minimize(ReducedObjective(objective, constraints), constraints.reduce(start),
                       inverse_hessian=inverse_hessian, tol=tol)
        return dataclasses.replace(opt, theta=constraints.expand(opt.theta), constraints=constraints)
    return _linearly_constrained_lagrangian(objective, start, constraint_set, active)


def linearized(constraint_set, theta: np.ndarray, active=()) -> LinearConstraints:
    """The plane J (t - theta) = -c(theta) of the constraints linearized at ``theta``; at a solution
    (c = 0) its basis K gives the constrained covariance K (K' I K)^-1 K'."""
    jac = constraint_set.jacobian(theta, active)
    residual = constraint_set.residuals(theta, active)
    basis, rank = null_space(jac)
    step = np.linalg.lstsq(jac, -residual, rcond=None)[0]
    return LinearConstraints(basis, theta + step, rank)


class _SubproblemObjective:
    """F(theta) - lambda' (c(theta) - c_k - J_k (theta - theta_k)): the objective of one outer
    iteration; its Hessian approximation is F's (the information)."""

    def __init__(self, objective, constraint_set, active, multipliers, theta_k):
        self.objective, self.constraint_set, self.active = objective, constraint_set, active
        self.multipliers, self.theta_k = multipliers, theta_k
        self.residual_k = constraint_set.residuals(theta_k, active)
        self.jacobian_k = constraint_set.jacobian(theta_k, active)
        self.scoring_steps = objective.scoring_steps

    def _penalty(self, theta):
        departure = (self.constraint_set.residuals(theta, self.active) - self.residual_k
                     - self.jacobian_k @ (theta - self.theta_k))
        return float(self.multipliers @ departure)

    def value(self, theta):
        value = self.objective.value(theta)
        return value - self._penalty(theta) if np.isfinite(value) else value

    def evaluate(self, theta, information=True):
        value, grad, hess = self.objective.evaluate(theta, information)
        if grad is None:
            return value, None, None
        jac = self.constraint_set.jacobian(theta, self.active)
        return value - self._penalty(theta), grad - (jac - self.jacobian_k).T @ self.multipliers, hess


def _linearly_constrained_lagrangian(objective, start, constraint_set, active) -> Optimum:
    theta = np.array(start, dtype=float)
    n_rows = len(constraint_set.residuals(theta, active))
    multipliers = np.zeros(n_rows)
    iterations = 0
    for _ in range(OUTER_ITERATIONS):
        plane = linearized(constraint_set, theta, active)
        sub = _SubproblemObjective(objective, constraint_set, active, multipliers, theta)
        opt = minimize(ReducedObjective(sub, plane), plane.reduce(theta))
        iterations += opt.iterations
        new = plane.expand(opt.theta)
        if not opt.converged:
            return dataclasses.replace(opt, theta=new, iterations=iterations, inverse_hessian=None)
        _, grad, _ = sub.evaluate(new, information=False)
        multipliers = np.linalg.lstsq(sub.jacobian_k.T, grad, rcond=None)[0]
        moved = np.max(np.abs(new - theta))
        theta = new
        if np.max(np.abs(constraint_set.residuals(theta, active)), initial=0.0) < FEASIBLE \
                and moved < 1e-7 * max(1.0, np.max(np.abs(theta))):
            _check_rank(constraint_set, theta)
            value = objective.value(theta)
            return Optimum(theta, value, iterations, True, "", None, linearized(constraint_set, theta, active))
    return Optimum(theta, objective.value(theta), iterations, False,
                   f"the nonlinear constraints were not met after {OUTER_ITERATIONS} outer iterations")


def _check_rank(constraint_set, theta) -> None:
    """lavaan counts the equality constraints by the rank of their Jacobian at the estimates; npar and
    df here count them as independent (constraint_set.count): say so where they are not."""
    jac = constraint_set.jacobian(theta)
    rank = int(np.linalg.matrix_rank(jac)) if len(jac) else 0
    if rank < constraint_set.count:
        warnings.warn(f"fit: the {constraint_set.count} equality constraints are not independent at the estimates "
                      f"(their Jacobian has rank {rank}); lavaan would count {rank}, so npar and the degrees of "
                      f"freedom here differ from lavaan's by {constraint_set.count - rank}.", IdentificationWarning,
                      stacklevel=5)


def _wrong_sign_multipliers(objective, theta, constraint_set, active) -> list[int]:
    """Binding inequalities g_i(theta) >= 0 whose multiplier in grad F = sum mu_i grad g_i (with the
    equalities' free multipliers) is negative."""
    if not active:
        return []
    _, grad, _ = objective.evaluate(theta, information=False)
    rows = constraint_set.jacobian(theta, active)
    multipliers = np.linalg.lstsq(rows.T, grad, rcond=None)[0][len(rows) - len(active):]
    return [i for i, mu in zip(active, multipliers) if mu < -1e-8]
