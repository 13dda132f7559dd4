"""The RAM representation of a model: implied moments and their derivatives.

All variables (observed first, then latent) are indexed ``0..m-1``. ``A[i, j]`` is the
effect of ``j`` on ``i`` (loadings and regressions), ``S`` holds variances and
covariances, ``M`` intercepts. The implied moments of the observed variables are

    Sigma = F B S B' F',   mu = F B M,   B = (I - A)^-1.

The Jacobian of ``(vech(Sigma), mu)`` with respect to the free parameters is computed
analytically and vectorized over parameters; one free index may fill several cells
(equality constraints).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.linalg import lapack

from govstats.sem.partable import VariableNames


@dataclass
class Cells:
    """Where parameters go: matrix cells and the parameter (free index - 1, or -1 if fixed)."""

    row: np.ndarray
    col: np.ndarray
    param: np.ndarray
    value: np.ndarray  # fixed values (used where param == -1)
    exo: np.ndarray    # fixed.x cells: their value is the sample's, set by with_exogenous

    @cached_property
    def free(self) -> np.ndarray:
        """Positions of the cells that carry a parameter."""
        return np.flatnonzero(self.param >= 0)

    def base(self, shape, symmetric: bool) -> np.ndarray:
        """The matrix with the fixed cells filled and the free ones zero, built once: a refit fills
        thousands of matrices, and filling only the free cells into a copy of this took 6 us where
        filling every cell with np.where took 18 us (three matrices, 30-item SEM)."""
        cache = self.__dict__.setdefault("_bases", {})
        key = (shape, symmetric)
        if key not in cache:
            out = np.zeros(shape)
            fixed = self.param < 0
            out[self.row[fixed], self.col[fixed]] = self.value[fixed]
            if symmetric:
                out[self.col[fixed], self.row[fixed]] = self.value[fixed]
            cache[key] = out
        return cache[key]  # (cells are not changed after a model's first fill: with_exogenous copies)


class RAMModel:
    """One group's model, compiled from the parameter table once and evaluated many times."""

    def __init__(self, table: pd.DataFrame, names: VariableNames, group: int, n_free: int):
        self.ov = list(names.ov)
        self.lv = list(names.lv)
        self.names = self.ov + self.lv
        self.p, self.m = len(self.ov), len(self.names)
        self.n_free = n_free
        index = {v: i for i, v in enumerate(self.names)}
        rows = table[(table.group == group) & table.op.isin(["=~", "~", "<~", "~~", "~1"])]
        a, s, mm = [], [], []
        # plain zips over columns: itertuples cost 1 ms a model (a fit compiles one per group)
        columns = (rows.lhs.to_numpy(), rows.op.to_numpy(), rows.rhs.to_numpy(), rows.free.to_numpy(),
                   rows.ustart.to_numpy(dtype=float), rows.exo.to_numpy())
        for lhs, op, rhs, free, ustart, exo in zip(*columns):
            param = int(free) - 1
            value = 0.0 if np.isnan(ustart) else float(ustart)
            exo = bool(exo) and param < 0
            if op == "=~":
                a.append((index[rhs], index[lhs], param, value, False))
            elif op in ("~", "<~"):  # a composite's weights are regressions on its components
                a.append((index[lhs], index[rhs], param, value, False))
            elif op == "~~":
                s.append((index[lhs], index[rhs], param, value, exo))
            else:
                mm.append((index[lhs], 0, param, value, exo))
        self.A = self._cells(a)
        self.S = self._cells(s)
        self.M = self._cells(mm)
        self.meanstructure = len(mm) > 0
        self.rows = rows
        self.power_order = self._power_order()
        self.causal_order = self._causal_order() if self.power_order is not None else None
        self.vech_rows, self.vech_cols = np.tril_indices(self.p)
        self._indicator = None
        self.cell_indicator()

    @staticmethod
    def _cells(entries) -> Cells:
        if not entries:
            e = np.zeros(0, dtype=int)
            return Cells(e, e, e, np.zeros(0), np.zeros(0, dtype=bool))
        r, c, p, v, x = zip(*entries)
        return Cells(np.array(r), np.array(c), np.array(p), np.array(v, dtype=float), np.array(x, dtype=bool))

    def with_exogenous(self, mean: np.ndarray, cov: np.ndarray) -> "RAMModel":
        """A copy whose fixed.x cells hold the sample's means and covariances (indexed over the
        observed variables); self is unchanged, so one compiled model serves every refit."""
        if not (self.S.exo.any() or self.M.exo.any()):
            return self
        out = copy.copy(self)
        s, m = self.S, self.M
        s_value = s.value.copy()
        s_value[s.exo] = cov[s.row[s.exo], s.col[s.exo]]
        m_value = m.value.copy()
        m_value[m.exo] = mean[m.row[m.exo]]
        out.S = Cells(s.row, s.col, s.param, s_value, s.exo)
        out.M = Cells(m.row, m.col, m.param, m_value, m.exo)
        return out

    # -- matrices -------------------------------------------------------------------------
    def _fill(self, cells: Cells, theta: np.ndarray, shape, symmetric=False) -> np.ndarray:
        out = cells.base(shape, symmetric).copy()
        free = cells.free
        if len(free):
            row, col, vals = cells.row[free], cells.col[free], theta[cells.param[free]]
            out[row, col] = vals
            if symmetric:
                out[col, row] = vals
        return out

    def variance_batch(self, thetas: np.ndarray) -> np.ndarray:
        """diag(B S B') for many parameter vectors at once (k x m): the delta method
        perturbs every parameter, and one batched product beats k separate evaluations."""
        k = len(thetas)
        if k == 1:  # one vector (a bootstrap draw): the triangular inverse, 104 -> 53 us at m = 40
            A, S, _ = self.matrices(thetas[0])
            B = self.reduced_form(A)
            return np.sum((B @ S) * B, axis=1)[None, :]
        A = np.zeros((k, self.m, self.m))
        S = np.zeros((k, self.m, self.m))
        for cells, target, symmetric in ((self.A, A, False), (self.S, S, True)):
            vals = np.where(cells.param >= 0, thetas[:, np.maximum(cells.param, 0)], cells.value)
            target[:, cells.row, cells.col] = vals
            if symmetric:
                target[:, cells.col, cells.row] = vals
        if self.power_order is None:
            B = np.linalg.inv(np.eye(self.m) - A)
        else:
            B = np.eye(self.m) + A
            power = A
            for _ in range(self.power_order - 1):
                power = power @ A
                B += power
        return np.sum((B @ S) * B, axis=2)

    def matrices(self, theta: np.ndarray):
        A = self._fill(self.A, theta, (self.m, self.m))
        S = self._fill(self.S, theta, (self.m, self.m), symmetric=True)
        M = self._fill(self.M, theta, (self.m, 1))[:, 0]
        return A, S, M

    def _power_order(self) -> int | None:
        """k with A^(k+1) = 0 for every value of the parameters (a recursive model), else None.

        Then (I - A)^-1 = I + A + ... + A^k: k matrix products of 51 x 51 took 0.1 ms where
        LAPACK's inverse took 0.2 to 0.7 ms on the 2-core machine.
        """
        pattern = np.zeros((self.m, self.m))
        pattern[self.A.row, self.A.col] = 1.0
        power, order = pattern.copy(), 0
        while power.any():
            order += 1
            if order > self.m:
                return None  # a cycle: non-recursive model
            power = (power @ pattern > 0).astype(float)
        return order

    def _causal_order(self) -> tuple[np.ndarray, np.ndarray]:
        """(order, its inverse): the variables with every cause before its effects, so that
        I - A permuted by ``order`` is unit lower triangular (a recursive model has one)."""
        pattern = np.zeros((self.m, self.m), dtype=bool)
        pattern[self.A.row, self.A.col] = True
        order, placed = [], np.zeros(self.m, dtype=bool)
        while len(order) < self.m:
            ready = np.flatnonzero(~placed & ~(pattern & ~placed[None, :]).any(axis=1))
            order.extend(ready)
            placed[ready] = True
        order = np.array(order)
        return order, np.argsort(order)

    def reduced_form(self, A: np.ndarray) -> np.ndarray:
        """B = (I - A)^-1."""
        if self.causal_order is not None:
            # a triangular inverse in causal order instead of the power series I + A + ... + A^10:
            # implied() 106 -> 50 us on the 30-item SEM with a chain of ten factors (m = 40)
            order, inverse = self.causal_order
            lower = np.eye(self.m) - A.take(order, axis=0).take(order, axis=1)
            inv, info = lapack.dtrtri(lower, lower=1, unitdiag=1)
            if info == 0:
                return inv.take(inverse, axis=0).take(inverse, axis=1)
        if self.power_order is None:
            return np.linalg.inv(np.eye(self.m) - A)
        B = np.eye(self.m) + A
        power = A
        for _ in range(self.power_order - 1):
            power = power @ A
            B += power
        return B

    def implied(self, theta: np.ndarray):
        """(Sigma, mu, B, C) with C = B S B' the moments of all variables."""
        A, S, M = self.matrices(theta)
        B = self.reduced_form(A)
        C = B @ S @ B.T
        p = self.p
        return C[:p, :p], (B @ M)[:p], B, C, M

    def implied_observed(self, theta: np.ndarray):
        """(Sigma, mu, B, Q, M) with Q = C[:p, :] = F B S B': what the ML discrepancy and its
        gradient need. Q costs two p x m x m products where the whole C of :meth:`implied` costs
        two m x m x m ones, and a diagonal S is a scaling (30-item SEM, m = 40: 47 us against 50 us
        for :meth:`implied`, CPU, best of seven; the gain grows with m)."""
        A, S, M = self.matrices(theta)
        B = self.reduced_form(A)
        P = B[:self.p, :]
        PS = P * S.diagonal() if self._s_diagonal else P @ S
        Q = PS @ B.T
        return Q[:, :self.p], P @ M, B, Q, M

    @cached_property
    def _s_diagonal(self) -> bool:
        return bool(np.all(self.S.row == self.S.col))

    def cell_indicator(self) -> np.ndarray:
        """Cells (A, then S, then M free cells) x parameters: 1 where a cell carries a parameter."""
        if getattr(self, "_indicator", None) is None:
            params = np.concatenate([c.param[c.param >= 0] for c in (self.A, self.S, self.M)])
            ind = np.zeros((len(params), self.n_free))
            ind[np.arange(len(params)), params] = 1.0
            self._indicator = ind
        return self._indicator

    def gradient(self, B, C, M, W: np.ndarray, w_mean: np.ndarray | None) -> np.ndarray:
        """sum_uv W_uv dSigma_uv/dtheta + sum_u w_mean_u dmu_u/dtheta, without forming dSigma.

        For a loading or regression a_ij the Sigma part is 2 (P' W Q)_ij (P = F B, Q = F C),
        for a (co)variance s_ij it is (2 - [i = j]) (P' W P)_ij: O(p^2 m) where the full
        Jacobian is O(p^2 q); the BFGS steps and the numerical Hessian use this form.
        """
        p = self.p
        P, Q = B[:p, :], C[:p, :]
        PW = P.T @ W
        parts = []
        a, s, mm = self.A.free, self.S.free, self.M.free
        pm = P.T @ w_mean if w_mean is not None else None
        # whole m x m products, then the free cells: for m = 40 two BLAS products cost less than
        # einsum over fancy-indexed rows (gradient 48 -> 25 us on the 30-item SEM, CPU, best of seven)
        if len(a):
            i, j = self.A.row[a], self.A.col[a]
            value = 2.0 * (PW @ Q)[i, j]
            if pm is not None:
                value = value + pm[i] * (B @ M)[j]
            parts.append(value)
        if len(s):
            i, j = self.S.row[s], self.S.col[s]
            parts.append(self._s_weight * (PW @ P)[i, j])
        if len(mm):
            parts.append(pm[self.M.row[mm]] if pm is not None else np.zeros(len(mm)))
        if not parts:
            return np.zeros(self.n_free)
        # each cell's derivative into its parameter's slot; cells sharing a parameter add up
        return np.bincount(self._free_params, weights=np.concatenate(parts), minlength=self.n_free)

    @cached_property
    def _free_params(self) -> np.ndarray:
        return np.concatenate([c.param[c.free] for c in (self.A, self.S, self.M)])

    @cached_property
    def _s_weight(self) -> np.ndarray:
        s = self.S.free
        return np.where(self.S.row[s] != self.S.col[s], 2.0, 1.0)

    def covariance_information(self, inv: np.ndarray, B: np.ndarray, C: np.ndarray) -> np.ndarray:
        """tr(Sigma^-1 dSigma_a Sigma^-1 dSigma_b) for all free parameters a, b (q x q), without
        forming dSigma (``C`` may be the observed rows C[:p, :] only).

        Every free cell's dSigma is c (u v' + v u') with u, v columns of R = [P, Q] (P = F B,
        Q = F C): a loading or regression a_ij has u = P_i, v = Q_j, c = 1; a covariance s_ij
        u = P_i, v = P_j, c = 1; a variance s_ii c = 1/2. With G = R' Sigma^-1 R,
        tr(Sigma^-1 X_a Sigma^-1 X_b) = 2 c_a c_b (G[v_a, u_b] G[v_b, u_a] + G[v_a, v_b] G[u_a, u_b]).
        This costs one (2m x p) (p x p) (p x 2m) product where the p x p x q Jacobian and its
        products cost O(q p^3): 1.0 ms -> 0.13 ms CPU on the 30-item, 10-factor SEM (q = 70); tested
        against :func:`govstats.sem.ml.information_matrix`.
        """
        u, v, weight, params, order = self._information_cells
        q = self.n_free
        if not len(u):
            return np.zeros((q, q))
        p = self.p
        R = np.hstack([B[:p, :], C[:p, :]])
        G = R.T @ inv @ R
        # rows, then columns, with take: 33 us where np.ix_ gathers took 135 us (70 cells)
        G_v, G_u = G.take(v, axis=0), G.take(u, axis=0)
        G_vu = G_v.take(u, axis=1)
        cells = weight * (G_vu * G_vu.T + G_v.take(v, axis=1) * G_u.take(u, axis=1))
        if order is not None:  # every parameter in one cell: a permutation
            return cells.take(order, axis=0).take(order, axis=1)
        if len(np.unique(params)) == len(params):
            out = np.zeros((q, q))
            out[np.ix_(params, params)] = cells
            return out
        indicator = np.zeros((len(params), q))  # cells sharing a parameter (equality constraints) add up
        indicator[np.arange(len(params)), params] = 1.0
        return indicator.T @ cells @ indicator

    @cached_property
    def _information_cells(self):
        """(u, v, 2 c c', parameter, order) of the free A and S cells, u and v as columns of R = [P, Q]."""
        a, s = self.A.free, self.S.free
        u = np.concatenate([self.A.row[a], self.S.row[s]])
        v = np.concatenate([self.m + self.A.col[a], self.S.col[s]])
        c = np.concatenate([np.ones(len(a)), np.where(self.S.row[s] == self.S.col[s], 0.5, 1.0)])
        params = np.concatenate([self.A.param[a], self.S.param[s]]).astype(int)
        # the parameters' order among the cells when each of 0..q-1 has exactly one cell
        order = np.argsort(params) if np.array_equal(np.sort(params), np.arange(self.n_free)) else None
        return u.astype(int), v.astype(int), 2.0 * np.outer(c, c), params, order

    def casewise(self, B, C, M, inv: np.ndarray, Z: np.ndarray, meanstructure: bool) -> np.ndarray:
        """n x q casewise scores d logL_i / d theta, with Z = (x_i - mu)' Sigma^-1 as rows."""
        p = self.p
        P, Q = B[:p, :], C[:p, :]
        PiQ, PiP = P.T @ inv @ Q, P.T @ inv @ P
        ZP, ZQ = Z @ P, Z @ Q
        mu_all = B @ M
        parts = []
        a, s, mm = self.A.param >= 0, self.S.param >= 0, self.M.param >= 0
        if a.any():
            i, j = self.A.row[a], self.A.col[a]
            value = ZP[:, i] * ZQ[:, j] - PiQ[i, j]
            if meanstructure:
                value = value + ZP[:, i] * mu_all[j]
            parts.append(value)
        if s.any():
            i, j = self.S.row[s], self.S.col[s]
            parts.append(np.where(i != j, 1.0, 0.5) * (ZP[:, i] * ZP[:, j] - PiP[i, j]))
        if mm.any():
            parts.append(ZP[:, self.M.row[mm]] if meanstructure else np.zeros((len(Z), mm.sum())))
        return np.hstack(parts) @ self.cell_indicator()

    def mean_jacobian(self, B: np.ndarray, M: np.ndarray) -> np.ndarray:
        """d mu (p x q): what :meth:`jacobian` gives as its second part, without d Sigma."""
        p = self.p
        P = B[:p, :]
        mu_all = B @ M
        terms, ks = [], []
        a, mm = self.A.free, self.M.free
        if len(a):
            terms.append(P[:, self.A.row[a]] * mu_all[self.A.col[a]][None, :])
            ks.append(self.A.param[a])
        if len(mm):
            terms.append(P[:, self.M.row[mm]])
            ks.append(self.M.param[mm])
        return _place(np.concatenate(terms, axis=1) if terms else np.zeros((p, 0)),
                      np.concatenate(ks) if ks else np.zeros(0, dtype=int), self.n_free)

    def jacobian(self, theta: np.ndarray, B=None, C=None, M=None):
        """d Sigma (p x p x q, symmetric in the first two axes) and d mu (p x q)."""
        if B is None:
            _, _, B, C, M = self.implied(theta)
        p, q = self.p, self.n_free
        P = B[:p, :]             # F B
        Q = C[:p, :]             # F C
        mu_all = B @ M
        terms, mu_terms, ks, mu_ks = [], [], [], []
        a = self.A.param >= 0
        if a.any():
            i, j, k = self.A.row[a], self.A.col[a], self.A.param[a]
            # d C / d a_ij = B E_ij C + (B E_ij C)'  ->  rows of F: P[:, i] Q[:, j]' + transpose
            term = P[:, i][:, None, :] * Q[:, j][None, :, :]
            terms.append(term + term.transpose(1, 0, 2))
            ks.append(k)
            mu_terms.append(P[:, i] * mu_all[j][None, :])
            mu_ks.append(k)
        s = self.S.param >= 0
        if s.any():
            i, j, k = self.S.row[s], self.S.col[s], self.S.param[s]
            term = P[:, i][:, None, :] * P[:, j][None, :, :]
            off = i != j
            term[:, :, off] += term.transpose(1, 0, 2)[:, :, off]
            terms.append(term)
            ks.append(k)
        mm = self.M.param >= 0
        if mm.any():
            mu_terms.append(P[:, self.M.row[mm]])
            mu_ks.append(self.M.param[mm])
        dS = _place(np.concatenate(terms, axis=2) if terms else np.zeros((p, p, 0)),
                    np.concatenate(ks) if ks else np.zeros(0, dtype=int), q)
        dmu = _place(np.concatenate(mu_terms, axis=1) if mu_terms else np.zeros((p, 0)),
                     np.concatenate(mu_ks) if mu_ks else np.zeros(0, dtype=int), q)
        return dS, dmu


def _place(values: np.ndarray, k: np.ndarray, q: int) -> np.ndarray:
    """Put each cell's derivative in its parameter's slot (last axis); cells sharing a
    parameter (equality constraints) are summed."""
    out = np.zeros(values.shape[:-1] + (q,))
    if len(np.unique(k)) == len(k):
        out[..., k] = values
    else:
        for n, idx in enumerate(k):
            out[..., idx] += values[..., n]
    return out
