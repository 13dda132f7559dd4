"""Polychoric correlations by two-step maximum likelihood, vectorized over item pairs.

Step 1: each item's thresholds from its marginal proportions (qnorm of the cumulative shares).
Step 2: for every pair at once, the correlation maximizing the bivariate-normal likelihood of the
pair's contingency table with thresholds fixed, as lavaan's ``lavCor(ordered = ...)``.
Shared with ordinal SEM (WLSMV), which needs the same matrix.

The bivariate normal CDF uses Plackett's identity, Phi2(h, k; r) = Phi(h) Phi(k) +
int_0^r phi2(h, k; s) ds, by Gauss-Legendre quadrature, so whole arrays of rectangles are
evaluated in one numpy expression instead of a loop over pairs and cells.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(40)
_BIG = 8.0  # stands for an infinite threshold; Phi(8) = 1 - 6e-16
_GOLDEN = (np.sqrt(5) - 1) / 2


def thresholds(x: np.ndarray) -> list[np.ndarray]:
    """Per item (column of integer codes, no blanks) the thresholds between its observed categories."""
    out = []
    for col in x.T:
        _, counts = np.unique(col, return_counts=True)
        out.append(stats.norm.ppf(np.cumsum(counts)[:-1] / counts.sum()))
    return out


def _bvn_integral(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Phi2(h, k; r) - Phi(h) Phi(k), broadcast over h, k and r (r in (-1, 1))."""
    s = r[..., None] * (_NODES + 1) / 2  # nodes mapped to [0, r]
    hh, kk = h[..., None], k[..., None]
    dens = np.exp(-(hh**2 - 2 * s * hh * kk + kk**2) / (2 * (1 - s**2))) / (2 * np.pi * np.sqrt(1 - s**2))
    return (dens * _WEIGHTS).sum(axis=-1) * r / 2


def bivariate_normal_cdf(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Phi2(h, k; r), the standard bivariate normal CDF, broadcast over h, k and r.

    The same quadrature as :func:`polychoric` uses, for code (ordinal SEM's weight matrix) that
    needs the cell probabilities at its estimates. Infinite limits are written as +-8.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(bivariate_normal_cdf(np.array(0.0), np.array(0.0), np.array(0.5))), 6)
    0.333333
    """
    h, k, r = np.asarray(h, float), np.asarray(k, float), np.asarray(r, float)
    return stats.norm.cdf(h) * stats.norm.cdf(k) + _bvn_integral(h, k, r)


def polychoric(data: pd.DataFrame, tol: float = 1e-9) -> pd.DataFrame:
    """Polychoric correlation matrix of ordinal items (two-step ML, as lavaan's ``lavCor``).

    Parameters
    ----------
    data : DataFrame
        Integer-coded ordinal items; rows with a blank are left out listwise.
    tol : float
        Precision of each correlation.

    Returns
    -------
    DataFrame
        Items x items, 1 on the diagonal.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> z = rng.multivariate_normal([0, 0], [[1, .6], [.6, 1]], size=4000)
    >>> codes = pd.DataFrame(np.digitize(z, [-1, 0, 1]), columns=["a", "b"])
    >>> round(float(polychoric(codes).loc["a", "b"]), 2)
    0.6
    """
    x = data.dropna().to_numpy()
    names = list(data.columns)
    p = x.shape[1]
    # recode each item to 0..K-1 over its observed categories
    codes = np.column_stack([np.unique(col, return_inverse=True)[1] for col in x.T])
    taus = thresholds(x)
    kmax = int(codes.max()) + 1
    edges = np.full((p, kmax + 1), _BIG)
    for j, t in enumerate(taus):
        edges[j, 0] = -_BIG
        edges[j, 1:len(t) + 1] = np.clip(t, -_BIG, _BIG)
    ia, ib = np.triu_indices(p, 1)
    # contingency tables of all pairs at once: (pairs, kmax, kmax)
    flat = codes[:, ia] * kmax + codes[:, ib]
    tables = np.zeros((len(ia), kmax * kmax))
    np.add.at(tables, (np.broadcast_to(np.arange(len(ia)), flat.shape), flat), 1)
    tables = tables.reshape(len(ia), kmax, kmax)
    # Phi2 on the grid of each pair's category edges; the cells are its second differences. Only
    # the inner edges need the quadrature: at +-infinity the integral term vanishes.
    ea, eb = edges[ia][:, :, None], edges[ib][:, None, :]
    base = stats.norm.cdf(ea) * stats.norm.cdf(eb)
    inner_a, inner_b = ea[:, 1:-1], eb[:, :, 1:-1]

    def negloglik(r: np.ndarray) -> np.ndarray:
        grid = base.copy()
        grid[:, 1:-1, 1:-1] += _bvn_integral(inner_a, inner_b, r[:, None, None])
        prob = grid[:, 1:, 1:] - grid[:, :-1, 1:] - grid[:, 1:, :-1] + grid[:, :-1, :-1]
        return -(tables * np.log(np.clip(prob, 1e-300, None))).sum(axis=(1, 2))

    # golden-section search on every pair at once; the two-step likelihood is unimodal in r
    a, b = np.full(len(ia), -0.995), np.full(len(ia), 0.995)
    c, d = b - _GOLDEN * (b - a), a + _GOLDEN * (b - a)
    fc, fd = negloglik(c), negloglik(d)
    while np.max(b - a) > tol:
        left = fc < fd
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        c_new = b - _GOLDEN * (b - a)
        d_new = a + _GOLDEN * (b - a)
        # reuse the interior point that survives, evaluate only the new one
        c, d = np.where(left, c_new, d), np.where(left, c, d_new)
        fresh = negloglik(np.where(left, c, d))
        fc, fd = np.where(left, fresh, fd), np.where(left, fc, fresh)
    rho = (a + b) / 2
    out = np.eye(p)
    out[ia, ib] = out[ib, ia] = rho
    return pd.DataFrame(out, index=names, columns=names)
