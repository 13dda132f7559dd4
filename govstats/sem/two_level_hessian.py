"""The observed information of a two-level model: central differences of the analytic gradient,
all 2q perturbed parameter vectors evaluated in one batch (stacked RAM moments, stacked cluster-size
covariances, stacked chain rule). One evaluation at a time cost 2q passes of some 40 small numpy
calls each, the largest single part of a two-level fit; the batch is the same arithmetic."""

from __future__ import annotations

import numpy as np

HESSIAN_STEP = 1e-5


class _Cells:
    """A RAM's free cells (A, S, M) and the matrix that sums them into the parameters."""

    def __init__(self, ram, q: int):
        a, s, m = ram.A.param >= 0, ram.S.param >= 0, ram.M.param >= 0
        self.a_row, self.a_col = ram.A.row[a], ram.A.col[a]
        self.s_row, self.s_col = ram.S.row[s], ram.S.col[s]
        self.m_row = ram.M.row[m]
        params = np.concatenate([ram.A.param[a], ram.S.param[s], ram.M.param[m]])
        self.indicator = np.zeros((len(params), q))
        self.indicator[np.arange(len(params)), params] = 1.0


def _fill(cells, thetas: np.ndarray, shape, symmetric: bool = False) -> np.ndarray:
    out = np.zeros((len(thetas),) + shape)
    values = np.where(cells.param >= 0, thetas[:, np.maximum(cells.param, 0)], cells.value) if thetas.shape[1] \
        else np.broadcast_to(cells.value, (len(thetas), len(cells.value)))
    out[:, cells.row, cells.col] = values
    if symmetric:
        out[:, cells.col, cells.row] = values
    return out


def _implied(ram, thetas: np.ndarray):
    """Stacked (Sigma, mu, B, C, BM) of a RAM for k parameter vectors."""
    m, p = ram.m, ram.p
    A = _fill(ram.A, thetas, (m, m))
    S = _fill(ram.S, thetas, (m, m), symmetric=True)
    M = _fill(ram.M, thetas, (m, 1))[:, :, 0]
    B = np.linalg.inv(np.eye(m)[None] - A)
    C = B @ S @ B.transpose(0, 2, 1)
    BM = np.einsum("kij,kj->ki", B, M)
    return C[:, :p, :p], BM[:, :p], B, C, BM


def _ram_gradient(ram, cells: _Cells, B, C, BM, W, w_mean) -> np.ndarray:
    """Stacked sum_uv W_uv dSigma_uv/dtheta + w_mean' dmu/dtheta (as RAMModel.gradient, k at once)."""
    p = ram.p
    P, Q = B[:, :p, :], C[:, :p, :]
    PW = P.transpose(0, 2, 1) @ W                     # (k, m, p)
    pm = np.einsum("kli,kl->ki", P, w_mean)           # (k, m)
    parts = []
    if len(cells.a_row):
        i, j = cells.a_row, cells.a_col
        value = 2.0 * np.einsum("kcl,klc->kc", PW[:, i, :], Q[:, :, j]) + pm[:, i] * BM[:, j]
        parts.append(value)
    if len(cells.s_row):
        i, j = cells.s_row, cells.s_col
        value = np.einsum("kcl,klc->kc", PW[:, i, :], P[:, :, j])
        parts.append(np.where(i != j, 2.0, 1.0)[None] * value)
    if len(cells.m_row):
        parts.append(pm[:, cells.m_row])
    return np.concatenate(parts, axis=1) @ cells.indicator


def gradient_batch(objective, thetas: np.ndarray) -> np.ndarray:
    """dF/dtheta (F = -2 log L / N) at each row of ``thetas``; LinAlgError when one row is outside
    the admissible region."""
    stats = objective.stats
    q = thetas.shape[1]
    pz, py = stats.p_z, stats.p_y
    pc = pz + py
    pos = objective.position
    sw, mw, B1, C1, BM1 = _implied(objective.within, thetas)
    sb, mb, B2, C2, BM2 = _implied(objective.between, thetas)
    k = len(thetas)
    sigma_b = np.zeros((k, pc, pc))
    sigma_b[:, pos[:, None], pos[None, :]] = sb
    mu = np.zeros((k, pc))
    mu[:, pos] = mb
    mu[:, pz:] += mw
    v = np.repeat(sigma_b[:, None], len(stats.sizes), axis=1)
    v[:, :, pz:, pz:] += sw[:, None] / stats.sizes[None, :, None, None]
    np.linalg.cholesky(v)       # raises outside the admissible region
    np.linalg.cholesky(sw)
    inv = np.linalg.inv(v)                                  # (k, S, pc, pc)
    w_inv = np.linalg.inv(sw)                               # (k, py, py)
    d = stats.mean_d[None] - mu[:, None, :]                 # (k, S, pc)
    outer = stats.cov_d[None] + d[..., :, None] * d[..., None, :]
    g = stats.counts[None, :, None, None] * (inv - inv @ outer @ inv)
    g_b = g.sum(axis=1)
    g_w = (stats.n - stats.n_clusters) * (w_inv - w_inv @ stats.s_pw[None] @ w_inv) \
        + (g[:, :, pz:, pz:] / stats.sizes[None, :, None, None]).sum(axis=1)
    g_mu = -2.0 * np.einsum("s,ksij,ksj->ki", stats.counts, inv, d)
    cells = objective.batch_cells
    if cells is None:
        cells = (_Cells(objective.within, q), _Cells(objective.between, q))
        objective.batch_cells = cells
    grad = _ram_gradient(objective.within, cells[0], B1, C1, BM1, g_w, g_mu[:, pz:])
    grad += _ram_gradient(objective.between, cells[1], B2, C2, BM2, g_b[:, pos[:, None], pos[None, :]], g_mu[:, pos])
    return grad / objective.scale


def observed_hessian(objective, theta: np.ndarray) -> np.ndarray:
    """Hessian of F = -2 log L / N by central differences of the analytic gradient (relative step
    1e-5: truncation error near 1e-10), symmetrized; one batch, or (a step outside the admissible
    region) step by step with shrinking steps."""
    q = len(theta)
    steps = HESSIAN_STEP * np.maximum(1.0, np.abs(theta))
    shifts = np.diag(steps)
    try:
        grads = gradient_batch(objective, np.vstack([theta + shifts, theta - shifts]))
    except np.linalg.LinAlgError:
        return observed_hessian_stepwise(objective, theta)
    out = ((grads[:q] - grads[q:]) / (2 * steps[:, None])).T
    return 0.5 * (out + out.T)


def observed_hessian_stepwise(objective, theta: np.ndarray) -> np.ndarray:
    """The same Hessian one gradient at a time (steps shrunk where they leave the admissible region)."""
    q = len(theta)
    out = np.empty((q, q))
    for k in range(q):
        h = HESSIAN_STEP * max(1.0, abs(theta[k]))
        for _ in range(30):
            e = np.zeros(q)
            e[k] = h
            plus, minus = objective.gradient(theta + e), objective.gradient(theta - e)
            if plus is not None and minus is not None:
                break
            h /= 4
        else:
            raise np.linalg.LinAlgError("no admissible step for the observed information")
        out[:, k] = (plus - minus) / (2 * h)
    return 0.5 * (out + out.T)
