"""Stage 1 of ordinal SEM (WLSMV): thresholds, polychorics and their asymptotic covariance.

lavaan's ``muthen1984()``: the thresholds (normal quantiles of the cumulative proportions) and the
two-step polychoric correlations come from :mod:`govstats.measurement.polychoric`; their joint
asymptotic covariance Gamma comes from the casewise scores of the univariate threshold
likelihoods and of the bivariate (pairwise) likelihoods in the correlation. With S the N x K
matrix of scores, A the block-triangular derivative of the estimating equations estimated by
score cross-products (A11: each item's threshold block of S'S; A21: cross-products of the
correlation scores with the bivariate likelihood's threshold scores; A22: diagonal of the
correlation scores' squares),

    Gamma = N A^-1 (S'S) A^-T,

so that Gamma / N is the sampling covariance of the stage-1 estimates (lavaan's ``NACOV``,
``lavInspect(fit, "gamma")``; N, not N - 1). The statistics are ordered as lavaan orders them:
every item's thresholds, item by item, then the correlations below the diagonal column by
column (``a~~b`` for a before b in item order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from govstats.measurement.polychoric import bivariate_normal_cdf, polychoric, thresholds

_BIG = 8.0  # an infinite threshold, as in govstats.measurement.polychoric


@dataclass(frozen=True)
class Stage1:
    """Stage-1 statistics of ordinal items, in lavaan's order.

    Attributes
    ----------
    items : list of str
        The items, in the order given.
    thresholds : Series
        Indexed ``"item|t1"``, ``"item|t2"``, ... item by item.
    correlations : DataFrame
        The polychoric correlation matrix, items x items.
    gamma : DataFrame
        N times the asymptotic covariance of (thresholds, correlations below the diagonal);
        rows and columns named as :attr:`names`.
    nobs : int
        Number of complete rows used.
    """

    items: list[str]
    thresholds: pd.Series
    correlations: pd.DataFrame
    gamma: pd.DataFrame
    nobs: int

    @property
    def names(self) -> list[str]:
        """Names of the stage-1 statistics: thresholds, then ``a~~b`` pairs."""
        return list(self.gamma.index)

    @property
    def values(self) -> np.ndarray:
        """The statistics as one vector in :attr:`names` order (lavaan's ``wls.obs``)."""
        r = self.correlations.to_numpy()
        ia, ib = np.triu_indices(len(self.items), 1)
        return np.concatenate([self.thresholds.to_numpy(), r[ia, ib]])


def stage1(data: pd.DataFrame, items: list[str]) -> Stage1:
    """Thresholds, polychoric correlations and their asymptotic covariance (Gamma), as lavaan.

    Parameters
    ----------
    data : DataFrame
        Integer-coded ordinal responses.
    items : list of str
        Columns of ``data`` to use, at least two. Rows with a blank in any of them are left out
        (lavaan's default ``missing = "listwise"``).

    Returns
    -------
    Stage1
        Thresholds, correlations and Gamma in lavaan's order.

    Raises
    ------
    ValueError
        If ``items`` names columns that are not in ``data``, has fewer than two items, or an item
        has a single observed category.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> z = rng.multivariate_normal([0, 0], [[1, .5], [.5, 1]], size=2000)
    >>> df = pd.DataFrame(np.digitize(z, [-1, 0, 1]) + 1, columns=["a", "b"])
    >>> s = stage1(df, ["a", "b"])
    >>> s.names
    ['a|t1', 'a|t2', 'a|t3', 'b|t1', 'b|t2', 'b|t3', 'a~~b']
    >>> round(float(s.correlations.loc["a", "b"]), 1)
    0.5
    >>> s.gamma.shape
    (7, 7)
    """
    items = list(items)
    unknown = [c for c in items if c not in data.columns]
    if unknown:
        raise ValueError(
            f"The 'items' parameter of stage1 must name columns of 'data'. Got {unknown!r} instead."
        )
    if len(items) < 2:
        raise ValueError(
            f"The 'items' parameter of stage1 must name at least two items. Got {items!r} instead."
        )
    frame = data[items].dropna()
    x = frame.to_numpy(dtype=float)
    n, p = x.shape
    single = [item for item, col in zip(items, x.T) if len(np.unique(col)) < 2]
    if single:
        raise ValueError(f"Ordinal items need at least two observed categories; {single} have one.")

    taus = thresholds(x)
    codes = np.column_stack([np.unique(col, return_inverse=True)[1] for col in x.T])
    rho_matrix = polychoric(frame).to_numpy()
    n_th = np.array([len(t) for t in taus])
    th_start = np.concatenate([[0], np.cumsum(n_th)[:-1]])
    kmax = int(n_th.max()) + 1

    # edges[j] = (-inf, tau_1, ..., tau_{K-1}, +inf, +inf ...) padded to kmax + 1
    edges = np.full((p, kmax + 1), _BIG)
    edges[:, 0] = -_BIG
    for j, t in enumerate(taus):
        edges[j, 1:len(t) + 1] = t

    sc_th = _threshold_scores(codes, edges, n_th, th_start)
    a11 = np.zeros((n_th.sum(), n_th.sum()))
    for j in range(p):
        block = slice(th_start[j], th_start[j] + n_th[j])
        a11[block, block] = sc_th[:, block].T @ sc_th[:, block]

    ia, ib = np.triu_indices(p, 1)
    rho = rho_matrix[ia, ib]
    sc_cor, a21, a22 = _pair_scores(codes, edges, n_th, th_start, ia, ib, rho, kmax)

    scores = np.hstack([sc_th, sc_cor])
    inner = scores.T @ scores
    a11_inv = np.linalg.inv(a11)
    a21_inv = -(a21 / a22[:, None]) @ a11_inv
    b_inv = np.block([
        [a11_inv, np.zeros((len(a11), len(a22)))],
        [a21_inv, np.diag(1 / a22)],
    ])
    gamma = n * (b_inv @ inner @ b_inv.T)
    gamma = (gamma + gamma.T) / 2

    th_names = [f"{item}|t{k + 1}" for item, t in zip(items, taus) for k in range(len(t))]
    names = th_names + [f"{items[a]}~~{items[b]}" for a, b in zip(ia, ib)]
    return Stage1(
        items=items,
        thresholds=pd.Series(np.concatenate(taus), index=th_names),
        correlations=pd.DataFrame(rho_matrix, index=items, columns=items),
        gamma=pd.DataFrame(gamma, index=names, columns=names),
        nobs=n,
    )


def _threshold_scores(codes: np.ndarray, edges: np.ndarray, n_th: np.ndarray,
                      th_start: np.ndarray) -> np.ndarray:
    """Casewise scores of each item's univariate likelihood in its thresholds (N x thresholds).

    A response in category c scores phi(tau_c) / P_c on tau_c and -phi(tau_{c-1}) / P_c on
    tau_{c-1}.
    """
    n, p = codes.shape
    out = np.zeros((n, n_th.sum()))
    rows = np.arange(n)
    for j in range(p):
        c = codes[:, j]
        e = edges[j]
        prob = stats.norm.cdf(e[c + 1]) - stats.norm.cdf(e[c])
        upper = c < n_th[j]  # tau_c exists (c is not the top category)
        lower = c > 0
        out[rows[upper], th_start[j] + c[upper]] = stats.norm.pdf(e[c[upper] + 1]) / prob[upper]
        out[rows[lower], th_start[j] + c[lower] - 1] = -stats.norm.pdf(e[c[lower]]) / prob[lower]
    return out


def _pair_scores(codes, edges, n_th, th_start, ia, ib, rho, kmax):
    """Correlation scores of all pairs, and the A21 and A22 blocks, from the pairs' tables.

    Every response in the same cell of a pair's table has the same scores, so the cross-products
    are sums over cells weighted by the cell counts: W[a, b] = n_ab * s_rho(a, b) / P_ab times the
    derivative of P_ab in a threshold, which enters cell a (edge a + 1) positively and cell a + 1
    (edge a + 1 again, as its lower limit) negatively.
    """
    n_pairs = len(ia)
    flat = codes[:, ia] * kmax + codes[:, ib]
    cell = flat + np.arange(n_pairs) * kmax * kmax  # unique cell id across all pairs
    tables = np.bincount(cell.ravel(), minlength=n_pairs * kmax * kmax).astype(float)
    tables = tables.reshape(n_pairs, kmax, kmax)

    e1, e2 = edges[ia], edges[ib]  # (pairs, kmax + 1)
    r = rho[:, None, None]
    h, k = e1[:, :, None], e2[:, None, :]
    grid = bivariate_normal_cdf(h, k, r)  # Phi2 at every corner
    prob = grid[:, 1:, 1:] - grid[:, :-1, 1:] - grid[:, 1:, :-1] + grid[:, :-1, :-1]
    s = np.sqrt(1 - r**2)
    dens = np.exp(-(h**2 - 2 * r * h * k + k**2) / (2 * s**2)) / (2 * np.pi * s)
    dprob = dens[:, 1:, 1:] - dens[:, :-1, 1:] - dens[:, 1:, :-1] + dens[:, :-1, :-1]
    observed = tables > 0
    score_rho = np.where(observed, dprob / np.where(observed, prob, 1), 0.0)

    sc_cor = score_rho.ravel()[cell]  # (N, pairs)
    a22 = (tables * score_rho**2).sum(axis=(1, 2))
    w = np.where(observed, tables * score_rho / np.where(observed, prob, 1), 0.0)

    # g1[p, m, b]: d Phi2-rectangle of column b w.r.t. the edge m of item 1 (m = 0..kmax)
    g1 = stats.norm.pdf(h) * (stats.norm.cdf((k[:, :, 1:] - r * h) / s)
                              - stats.norm.cdf((k[:, :, :-1] - r * h) / s))
    hh, kk = e1[:, None, :], e2[:, :, None]  # roles swapped: edges of item 2 along axis 1
    g2 = stats.norm.pdf(kk) * (stats.norm.cdf((hh[:, :, 1:] - r * kk) / s)
                               - stats.norm.cdf((hh[:, :, :-1] - r * kk) / s))
    # threshold t (1-based) is edge t: cell t-1 has it as upper limit, cell t as lower limit
    d1 = (g1[:, 1:-1, :] * (w[:, :-1, :] - w[:, 1:, :])).sum(axis=2)  # (pairs, kmax - 1)
    d2 = (g2[:, 1:-1, :] * (w[:, :, :-1] - w[:, :, 1:]).transpose(0, 2, 1)).sum(axis=2)

    a21 = np.zeros((n_pairs, n_th.sum()))
    for q, (a, b) in enumerate(zip(ia, ib)):
        a21[q, th_start[a]:th_start[a] + n_th[a]] = d1[q, :n_th[a]]
        a21[q, th_start[b]:th_start[b] + n_th[b]] = d2[q, :n_th[b]]
    return sc_cor, a21, a22
