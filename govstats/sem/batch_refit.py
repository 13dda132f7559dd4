"""Many ML refits at once: the bootstrap's draws as stacked arrays.

A warm refit of the 30-item, 10-factor benchmark SEM takes about seven iterations, and most of
each iteration's 0.3 ms is the overhead of some forty numpy calls on 30 x 30 and 40 x 40
matrices (a value and gradient is about 0.3 MFLOP). Stacked over k draws, each of those calls
works on k matrices at once (numpy's batched linalg and matmul), so the overhead is paid once a
batch.

The iteration is BFGS as in :func:`govstats.sem.optimizer.minimize`, draw by draw, with the
same backtracking (Armijo) line search and stopping rule, started from the fit's estimates and
the inverse of its expected information (see :meth:`BatchML.minimize`); a draw leaves the batch
when it converges. It covers what :meth:`BatchML.supports` says: complete-data ML-family
moments, RAM models (any number of groups, fixed.x covariates), no explicit constraints.
"""

from __future__ import annotations

import numpy as np

from govstats.sem.ram import RAMModel


class _GroupStack:
    """One group's RAM model over k draws: their cell values (fixed.x cells are each draw's sample
    moments) and sample moments, stacked."""

    def __init__(self, rams: list, moments: list):
        ram = rams[0]
        self.ram, self.p, self.m = ram, ram.p, ram.m
        self.values = [np.stack([getattr(r, name).value for r in rams]) for name in ("A", "S", "M")]
        self.cov = np.stack([d.cov for d in moments])
        self.mean = np.stack([d.mean for d in moments])
        self.logdet_s = np.array([d.logdet for d in moments])
        self.n = np.array([float(d.n) for d in moments])
        self.indicator = ram.cell_indicator()
        a, s = ram.A.free, ram.S.free
        self.s_weight = np.where(ram.S.row[s] != ram.S.col[s], 2.0, 1.0)
        self.a_cells = (ram.A.row[a], ram.A.col[a])
        self.s_cells = (ram.S.row[s], ram.S.col[s])
        self.m_rows = ram.M.row[ram.M.free]
        # variables that affect no other (A's column empty: indicators, pure outcomes) need no inverse:
        # with the others ("core") B[core, core] = (I - A[core, core])^-1, B[pure, core] = A[pure, core]
        # B[core, core], and B's pure columns are unit vectors; the benchmark SEM inverts 10 x 10, not
        # 40 x 40 (numpy's batched inverse: 24 us a 40 x 40 matrix against about 3 us)
        causes = np.zeros(self.m, dtype=bool)
        causes[ram.A.col] = True
        self.core, self.pure = np.flatnonzero(causes), np.flatnonzero(~causes)

    def _fill(self, which: int, theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
        cells = (self.ram.A, self.ram.S, self.ram.M)[which]
        vals = self.values[which][idx].copy()
        free = cells.free
        vals[:, free] = theta[:, cells.param[free]]
        if which == 2:
            out = np.zeros((len(idx), self.m))
            out[:, cells.row] = vals
            return out
        out = np.zeros((len(idx), self.m, self.m))
        out[:, cells.row, cells.col] = vals
        if which == 1:
            out[:, cells.col, cells.row] = vals
        return out

    def terms(self, theta: np.ndarray, idx: np.ndarray, meanstructure: bool):
        """The implied moments and what the value and gradient share; ``ok`` marks
        the draws whose Sigma is positive definite."""
        p, m = self.p, self.m
        A, S, M = self._fill(0, theta, idx), self._fill(1, theta, idx), self._fill(2, theta, idx)
        B, ok = self._reduced_form(A)
        P = B[:, :p, :]
        Q = P @ S @ B.transpose(0, 2, 1)
        sigma = Q[:, :, :p]
        chol = _each(np.linalg.cholesky, sigma, ok, np.eye(p))
        chol_inv = np.linalg.inv(chol)
        inv = chol_inv.transpose(0, 2, 1) @ chol_inv
        logdet = 2.0 * np.log(np.abs(np.diagonal(chol, axis1=1, axis2=2))).sum(axis=1)
        mu_all = (B @ M[:, :, None])[:, :, 0]
        diff = self.mean[idx] - mu_all[:, :p] if meanstructure else None
        return dict(B=B, P=P, Q=Q, M=M, mu_all=mu_all, inv=inv, logdet=logdet, diff=diff, ok=ok)

    def _reduced_form(self, A: np.ndarray):
        """(B = (I - A)^-1 for every draw, inverting only the core block; which draws have one: a
        non-recursive model's I - A can be singular at a trial point)."""
        core, pure = self.core, self.pure
        B = np.zeros_like(A)
        B[:, pure, pure] = 1.0
        ok = np.ones(len(A), dtype=bool)
        if len(core):
            eye = np.eye(len(core))
            inner = _each(np.linalg.inv, eye - A[:, core][:, :, core], ok, eye)
            B[np.ix_(np.arange(len(A)), core, core)] = inner
            B[np.ix_(np.arange(len(A)), pure, core)] = A[:, pure][:, :, core] @ inner
        return B, ok

    def value(self, t: dict, idx: np.ndarray) -> np.ndarray:
        f = t["logdet"] + np.einsum("kij,kij->k", self.cov[idx], t["inv"]) - self.logdet_s[idx] - self.p
        if t["diff"] is not None:
            f = f + np.einsum("ki,kij,kj->k", t["diff"], t["inv"], t["diff"])
        return np.where(t["ok"], f, np.inf)

    def gradient(self, t: dict, idx: np.ndarray) -> np.ndarray:
        """RAMModel.gradient for every draw: d F_g / d theta from P' W Q and P' W P."""
        inv, P, Q = t["inv"], t["P"], t["Q"]
        outer = self.cov[idx]
        pm = None
        if t["diff"] is not None:
            diff = t["diff"]
            outer = outer + diff[:, :, None] * diff[:, None, :]
            pm = (P.transpose(0, 2, 1) @ (-2.0 * (inv @ diff[:, :, None])))[:, :, 0]
        W = inv - inv @ outer @ inv
        PW = P.transpose(0, 2, 1) @ W
        parts = []
        i, j = self.a_cells
        if len(i):
            value = 2.0 * (PW @ Q)[:, i, j]
            if pm is not None:
                value = value + pm[:, i] * t["mu_all"][:, j]
            parts.append(value)
        i, j = self.s_cells
        if len(i):
            parts.append(self.s_weight * (PW @ P)[:, i, j])
        if len(self.m_rows):
            parts.append(pm[:, self.m_rows] if pm is not None else np.zeros((len(idx), len(self.m_rows))))
        return np.concatenate(parts, axis=1) @ self.indicator


class BatchML:
    """The ML objective of k bound models (one compiled model on k draws' moments) at once."""

    def __init__(self, bounds: list):
        model = bounds[0].model
        self.meanstructure = model.meanstructure
        self.groups = [_GroupStack([b.blocks[g] for b in bounds], [b.statistics.blocks[g] for b in bounds])
                       for g in range(len(model.blocks))]
        total = sum(g.n for g in self.groups)
        self.weights = [g.n / total for g in self.groups]

    @staticmethod
    def supports(compiled) -> bool:
        """RAM models (not ordinal, not least squares) without explicit constraints: on
        complete-data moments their objective is ML's."""
        return (compiled.constraints is None and not compiled.is_ordinal
                and all(type(b) is RAMModel for b in compiled.blocks))

    def evaluate(self, theta: np.ndarray, idx: np.ndarray):
        """(F, gradient) of the draws ``idx`` at ``theta`` (len(idx) x q); F is inf where a
        draw's Sigma is not positive definite."""
        value = np.zeros(len(idx))
        grad = np.zeros_like(theta)
        for w, group in zip(self.weights, self.groups):
            t = group.terms(theta, idx, self.meanstructure)
            wk = w[idx]
            value += wk * group.value(t, idx)
            grad += wk[:, None] * group.gradient(t, idx)
        return value, grad

    def minimize(self, start: np.ndarray, inverse_hessian: np.ndarray, tol: float, max_iter: int = 500):
        """(theta, F, converged, message) per draw, by BFGS from the common ``start`` and
        ``inverse_hessian`` (the inverse expected information of the fit's F at its estimates).

        That start beats optimizer.minimize's two Fisher scoring steps here: on 200 resamples of
        the benchmark SEM, 0.94 ms CPU a draw against 1.87 ms (10.0 evaluations of F against 8.7,
        but none of the information and its inverse, 0.13 ms each a draw), and the estimates are
        within 4.2e-7 of refits to 1e-12 (2.4e-7 with scoring). The state of the draws still
        iterating is kept compact (their rows only), so that each iteration works on contiguous
        arrays; a draw's results are written out when it leaves."""
        k = len(self.weights[0])
        theta_out = np.repeat(start[None, :], k, axis=0)
        value_out = np.full(k, np.inf)
        converged = np.zeros(k, dtype=bool)
        message = np.array([""] * k, dtype=object)
        ids = np.arange(k)
        value, grad = self.evaluate(theta_out, ids)
        bad = ~np.isfinite(value)
        message[bad] = "the starting values imply a covariance matrix that is not positive definite"
        ids, theta, value, grad = ids[~bad], theta_out[~bad], value[~bad], grad[~bad]
        inv_h = np.repeat(inverse_hessian[None], len(ids), axis=0)
        for _ in range(max_iter):
            if not len(ids):
                break
            direction = -np.einsum("kij,kj->ki", inv_h, grad)
            slope = np.einsum("ki,ki->k", grad, direction)
            uphill = slope >= 0  # not a descent direction: restart from the fit's curvature
            if uphill.any():
                inv_h[uphill] = inverse_hessian
                direction[uphill] = -grad[uphill] @ inverse_hessian
                slope[uphill] = np.einsum("ki,ki->k", grad[uphill], direction[uphill])
            scale = np.ones(len(ids))
            candidate = theta + direction
            new_value, new_grad = self.evaluate(candidate, ids)
            pending = ~(new_value <= value + 1e-4 * slope)
            while pending.any():  # backtracking, for the draws whose step was too long
                scale[pending] /= 2
                rows = np.flatnonzero(pending)
                candidate[rows] = theta[rows] + scale[rows, None] * direction[rows]
                v, g = self.evaluate(candidate[rows], ids[rows])
                new_value[rows], new_grad[rows] = v, g
                pending[rows] = ~((v <= value[rows] + 1e-4 * scale[rows] * slope[rows]) | (scale[rows] < 1e-10))
            step = scale[:, None] * direction
            # the BFGS update of the inverse Hessian, as govstats.sem.optimizer.minimize; none where s'y <= 0
            y = new_grad - grad
            sy = np.einsum("ki,ki->k", step, y)
            rho = np.where(sy > 1e-16, 1.0 / np.where(sy > 1e-16, sy, 1.0), 0.0)
            hy = np.einsum("kij,kj->ki", inv_h, y)
            yhy = np.einsum("ki,ki->k", y, hy)
            left = (rho * rho * yhy + rho)[:, None] * step - rho[:, None] * hy
            inv_h += step[:, :, None] * left[:, None, :] - (rho[:, None] * hy)[:, :, None] * step[:, None, :]
            theta, value, grad = candidate, new_value, new_grad
            stuck = ~np.isfinite(value)
            done = stuck | (np.max(np.abs(step), axis=1) < tol * np.maximum(1.0, np.max(np.abs(theta), axis=1))) \
                | (np.max(np.abs(grad), axis=1) < 1e-11)
            if done.any():
                message[ids[stuck]] = "no admissible step from the current estimates"
                finished = done & ~stuck
                converged[ids[finished]] = True
                theta_out[ids[finished]], value_out[ids[finished]] = theta[finished], value[finished]
                keep = ~done
                ids, theta, value, grad, inv_h = ids[keep], theta[keep], value[keep], grad[keep], inv_h[keep]
        message[ids] = f"no convergence in {max_iter} iterations"
        return theta_out, value_out, converged, message


def _each(function, matrices: np.ndarray, ok: np.ndarray, placeholder: np.ndarray) -> np.ndarray:
    """``function`` (a numpy linalg one) on the stack; where it fails for the whole stack, draw by
    draw, marking in ``ok`` the draws it fails for (their result: ``placeholder``)."""
    try:
        return function(matrices)
    except np.linalg.LinAlgError:
        out = np.repeat(placeholder[None], len(matrices), axis=0)
        for k in range(len(matrices)):
            try:
                out[k] = function(matrices[k])
            except np.linalg.LinAlgError:
                ok[k] = False
        return out
