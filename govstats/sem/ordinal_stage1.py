"""Stage 1 of ordinal SEM (WLSMV): thresholds, polychorics and their asymptotic covariance.

lavaan's ``muthen1984()`` (lavaan 0.6.14): the thresholds (normal quantiles of the cumulative
proportions) and the two-step polychoric correlations come from
:mod:`govstats.measurement.polychoric`; their joint asymptotic covariance Gamma comes from the
casewise scores of the univariate threshold likelihoods and of the bivariate (pairwise)
likelihoods in the correlation. With S the N x K matrix of scores, A the block-triangular
derivative of the estimating equations estimated by score cross-products (A11: each item's
threshold block of S'S; A21: cross-products of the correlation scores with the bivariate
likelihood's threshold scores; A22: diagonal of the correlation scores' squares),

    Gamma = N A^-1 (S'S) A^-T = N U'U,   U = S A^-T,

so that Gamma / N is the sampling covariance of the stage-1 estimates (lavaan's ``NACOV``,
``lavInspect(fit, "gamma")``; N, not N - 1). U is built without dense products: a case's row of
U depends only on its categories, item by item (thresholds) and pair by pair (correlations),
so each column of U is a lookup in a small table per item or pair. The statistics are ordered
as lavaan orders them: every item's thresholds, item by item, then the correlations below the
diagonal column by column (``a~~b`` for a before b in item order).

Missing values, from lavaan 0.6.14's source (``lav_options_set``, ``lav_data_full``,
``lav_samplestats_from_data``, ``muthen1984``, ``lav_uvord_*``, ``lav_bvord_*``, read with
``Rscript -e 'lavaan:::muthen1984'`` and so on):

- the default is ``missing = "listwise"`` for every estimator with ordered data, WLSMV included
  (``lav_options_set``: ``"default"`` becomes ``"ml"`` only for ``mimic = "Mplus"`` with continuous
  data and ML; Mplus's own default for WLSMV is pairwise, lavaan's is not): rows with a blank in
  any item are dropped before anything is computed;
- ``missing = "pairwise"``: each item's thresholds come from the cases that answered it, each
  polychoric from the cases that answered both items, and Gamma from the casewise scores in
  which a blank contributes zero (lavaan's scores are NA there and its ``lav_matrix_crossprod``
  sums with ``na.rm = TRUE``); N is the number of rows with at least one item answered
  (``lav_data_full``: ``nobs = nrow - length(empty.idx)``), and Gamma is ``N A^-1 (S'S) A^-T`` with
  that N.

Empty categories: with integer codes lavaan uses only the categories that occur (an item coded
1 to 5 where nobody chose 1 gets thresholds t1..t3); so does this module, with an
:class:`~govstats.errors.EmptyCategoryWarning` naming the item and the unused codes.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.linalg.blas import dsyrk
from scipy.special import ndtr

from govstats.errors import EmptyCategoryWarning
from govstats.measurement.polychoric import _edges, _item_thresholds, _recode, fit_pairs

_MISSING = ("listwise", "pairwise")
_SQRT_2PI = np.sqrt(2 * np.pi)


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
        Number of rows used: complete rows (listwise), rows with at least one item answered
        (pairwise).
    categories : dict
        Item -> the codes observed, in order; threshold ``t<k>`` lies between the k-th and the
        (k+1)-th of them.
    missing : str
        ``"listwise"`` or ``"pairwise"``.
    pair_nobs : DataFrame or None
        Under ``missing="pairwise"``: the number of cases that answered both items of each pair.
    zero_cell_pairs : list of str
        The pairs (``"a~~b"``) whose table of observed categories has an empty cell, as lavaan's
        ``lavInspect(fit, "zero.cell.tables")``; only 2 x 2 tables are adjusted (see
        :mod:`govstats.measurement.polychoric`).
    """

    items: list[str]
    thresholds: pd.Series
    correlations: pd.DataFrame
    gamma: pd.DataFrame
    nobs: int
    categories: dict = field(default_factory=dict)
    missing: str = "listwise"
    pair_nobs: pd.DataFrame | None = None
    zero_cell_pairs: list = field(default_factory=list)

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


def stage1(data: pd.DataFrame, items: list[str], missing: str = "listwise",
           levels: Mapping[str, Sequence] | Sequence | None = None) -> Stage1:
    """Thresholds, polychoric correlations and their asymptotic covariance (Gamma), as lavaan.

    Parameters
    ----------
    data : DataFrame
        Integer-coded ordinal responses.
    items : list of str
        Columns of ``data`` to use, at least two.
    missing : {"listwise", "pairwise"}
        ``"listwise"`` (lavaan's default, also for WLSMV) leaves out rows with a blank in any item;
        ``"pairwise"`` uses every answer, as lavaan's ``missing = "pairwise"``.
    levels : dict or sequence, optional
        The codes each item could take (e.g. its scale's codes), as ``{item: codes}`` or one
        sequence for every item; used only to tell which codes nobody chose. Without it, the
        codes of a pandas Categorical column are used, otherwise the integers between an item's
        smallest and largest observed code.

    Returns
    -------
    Stage1
        Thresholds, correlations and Gamma in lavaan's order.

    Raises
    ------
    ValueError
        If ``items`` names columns that are not in ``data``, has fewer than two items, an item
        has a single observed category, or ``missing`` is not one of its values.

    Warns
    -----
    EmptyCategoryWarning
        When some item has a code nobody chose: its thresholds are estimated for the categories
        observed, as lavaan does.

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
    >>> df.loc[:99, "a"] = np.nan
    >>> stage1(df, ["a", "b"], missing="pairwise").nobs
    2000
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
    if missing not in _MISSING:
        raise ValueError(
            f"The 'missing' parameter of stage1 must be one of {set(_MISSING)}. Got {missing!r} instead."
        )
    x = np.column_stack([data[item].to_numpy(dtype=float) for item in items])
    seen = ~np.isnan(x)
    keep = seen.all(axis=1) if missing == "listwise" else seen.any(axis=1)
    if not keep.all():
        x = x[keep]
    n, p = x.shape
    codes, cats, counts = _recode(x)
    single = [item for item, c in zip(items, cats) if len(c) < 2]
    if single:
        raise ValueError(f"Ordinal items need at least two observed categories; {single} have one or none.")
    _warn_empty_categories(data, items, cats, levels)
    taus = [_item_thresholds(c) for c in counts]
    pairs = fit_pairs(codes, taus, items)

    gamma = _gamma_inner(codes, taus, counts, pairs)
    gamma *= n

    th_names = [f"{item}|t{k + 1}" for item, t in zip(items, taus) for k in range(len(t))]
    names = th_names + [f"{items[a]}~~{items[b]}" for a, b in zip(pairs.ia, pairs.ib)]
    rho = np.eye(p)
    rho[pairs.ia, pairs.ib] = rho[pairs.ib, pairs.ia] = pairs.rho
    size = np.array([len(t) + 1 for t in taus])
    inside = (np.arange(pairs.counts.shape[1])[None, :, None] < size[pairs.ia][:, None, None]) \
        & (np.arange(pairs.counts.shape[2])[None, None, :] < size[pairs.ib][:, None, None])
    zero = ((pairs.counts == 0) & inside).any(axis=(1, 2))
    pair_nobs = None
    if missing == "pairwise":
        both = seen[keep].astype(float)
        pair_nobs = pd.DataFrame((both.T @ both).astype(int), index=items, columns=items)
    return Stage1(
        items=items,
        thresholds=pd.Series(np.concatenate(taus), index=th_names),
        correlations=pd.DataFrame(rho, index=items, columns=items),
        gamma=pd.DataFrame(gamma, index=names, columns=names, copy=False),
        nobs=n,
        categories={item: [_plain(v) for v in c] for item, c in zip(items, cats)},
        missing=missing,
        pair_nobs=pair_nobs,
        zero_cell_pairs=[names[len(th_names) + q] for q in np.flatnonzero(zero)],
    )


def _plain(v: float):
    """A code as the user wrote it: 3, not 3.0."""
    return int(v) if float(v).is_integer() else float(v)


def _warn_empty_categories(data: pd.DataFrame, items, cats, levels) -> None:
    notes = []
    for item, observed in zip(items, cats):
        if isinstance(levels, Mapping):
            possible = levels.get(item)
        elif levels is not None:
            possible = levels
        elif isinstance(data[item].dtype, pd.CategoricalDtype):
            possible = list(data[item].cat.categories)
        elif np.array_equal(observed, np.round(observed)):
            possible = range(int(observed[0]), int(observed[-1]) + 1)
        else:
            possible = None
        if possible is None:
            continue
        seen = set(observed.tolist())
        unused = [_plain(v) for v in possible if float(v) not in seen]
        if unused:
            codes = [str(v) for v in unused]
            listed = ", ".join(codes[:-1]) + (" or " if len(codes) > 1 else "") + codes[-1]
            notes.append(f"item {item}: nobody chose {listed}; its thresholds are estimated for the "
                         f"{len(observed)} categories observed (t1..t{len(observed) - 1})")
    if notes:
        warnings.warn("; ".join(notes) + ", as lavaan does with integer codes (it uses only the categories "
                      "that occur and numbers their thresholds from t1).", EmptyCategoryWarning, stacklevel=3)


def _gamma_inner(codes: np.ndarray, taus: list[np.ndarray], counts: list[np.ndarray], pairs) -> np.ndarray:
    """U'U with U = S A^-T (Gamma / N), built from per-item and per-pair lookup tables.

    U is held transposed (statistics x cases), so that filling it gathers whole rows.
    """
    n, p = codes.shape
    n_th = np.array([len(t) for t in taus])
    n_thr = int(n_th.sum())
    kmax = int(n_th.max()) + 1
    side = kmax + 1  # categories and a blank
    ut = np.empty((n_thr + len(pairs.ia), n))

    # Items: a response in category c scores phi(tau_c) / P_c on tau_c and -phi(tau_{c-1}) / P_c
    # on tau_{c-1}; V[j, c] = A11_j^-1 s_j(c) is that case's part of U (zero for a blank). All
    # items at once, padded to kmax categories (a padded threshold is +inf: no density, no score).
    limits = _edges(taus, kmax)
    tau = limits[:, 1:-1]
    prob = np.diff(ndtr(limits), axis=1)  # (items, kmax); 0 for padding
    safe = np.where(prob > 0, prob, 1.0)
    dens = np.exp(-np.where(np.isfinite(tau), tau, 0.0) ** 2 / 2) / _SQRT_2PI * np.isfinite(tau)
    s = np.zeros((p, kmax, kmax - 1))
    t_idx = np.arange(kmax - 1)
    s[:, t_idx, t_idx] = dens / safe[:, :-1]
    s[:, t_idx + 1, t_idx] = -dens / safe[:, 1:]
    count = np.zeros((p, kmax))
    for j, c in enumerate(counts):
        count[j, :len(c)] = c
    a11 = np.einsum("jct,jc,jcu->jtu", s, count, s)
    a11[:, t_idx, t_idx] += ~np.isfinite(tau)  # identity on padding: V stays zero there
    V = np.zeros((p, side, kmax - 1))
    V[:, :kmax] = s @ np.linalg.inv(a11)
    # U1: row of threshold t of item j, column of a case = V[j, its category, t]
    item_of = np.repeat(np.arange(p), n_th)
    which = np.concatenate([np.arange(k) for k in n_th])
    vt = V[item_of, :, which]  # (thresholds, side)
    index = pairs.ext[item_of] + (np.arange(n_thr, dtype=np.int32) * side)[:, None]
    np.take(vt.ravel(), index, out=ut[:n_thr], mode="clip")

    # Pairs: the correlation scores, A22 (their sums of squares) and A21 (cross-products with the
    # bivariate likelihood's threshold scores) from the cell counts.
    ia, ib = pairs.ia, pairs.ib
    safe = np.where(pairs.valid, pairs.prob, 1.0)
    score = np.where(pairs.valid, pairs.dprob / safe, 0.0)
    a22 = (pairs.counts * score * score).sum(axis=(1, 2))
    w = np.where(pairs.valid, pairs.counts * score / safe, 0.0)
    d1, d2 = _threshold_cross(taus, kmax, ia, ib, pairs.rho, w)
    # U1 A21' for a case is V_a(c_a) . A21[q, a] + V_b(c_b) . A21[q, b]: one number per category
    l1 = np.einsum("qct,qt->qc", V[ia], d1)
    l2 = np.einsum("qct,qt->qc", V[ib], d2)
    table = np.zeros((len(ia), side, side))
    table[:, :kmax, :kmax] = score
    table -= l1[:, :, None] + l2[:, None, :]
    fixed = a22 == 0  # a correlation set to +-1 (two empty cells in a 2 x 2 table): no scores
    table /= np.where(fixed, 1.0, a22)[:, None, None]
    table[fixed] = np.nan
    np.take(table.ravel(), pairs.cells, out=ut[n_thr:], mode="clip")  # 'raise' would buffer
    # U'U by a symmetric rank-k update (one triangle), then mirrored
    inner = _syrk(ut)
    return inner


def _syrk(ut: np.ndarray) -> np.ndarray:
    """ut @ ut.T through BLAS dsyrk, which computes one triangle: half the work of a product."""
    out = dsyrk(1.0, ut.T, trans=1)  # ut.T is Fortran-ordered: no copy
    # mirror the upper triangle in blocks: no matrix-sized temporaries (fresh pages cost here)
    size, block = len(out), 64
    for start in range(block, size, block):
        out[start:start + block, :start] = out[:start, start:start + block].T
    for start in range(0, size, block):
        stop = min(start + block, size)
        diag = out[start:stop, start:stop]
        diag[np.tril_indices(stop - start, -1)] = diag.T[np.tril_indices(stop - start, -1)]
    return out


def _threshold_cross(taus, kmax, ia, ib, rho, w):
    """A21's entries: sum over cells of W times the derivative of the cell probability in each
    threshold of the pair's first (d1) and second (d2) item, (pairs, kmax - 1) each.

    Threshold t is limit t of its item: the upper limit of category t - 1 and the lower limit of
    category t, so it enters those two cells with opposite signs.
    """
    limits = _edges(taus, kmax)
    inner = limits[:, 1:-1]
    finite = np.isfinite(inner)
    r = rho[:, None, None]
    s = np.sqrt(np.clip(1 - r * r, 1e-300, None))

    def deriv(a, b):
        # the thresholds of item a (pairs, kmax - 1) against the category limits of item b
        h = np.where(finite[a], inner[a], 0.0)[:, :, None]
        other = limits[b][:, None, :]
        band = np.diff(ndtr((other - r * h) / s), axis=2)
        return np.exp(-h * h / 2) / _SQRT_2PI * band * finite[a][:, :, None]

    g1 = deriv(ia, ib)  # (pairs, thresholds of a, categories of b)
    g2 = deriv(ib, ia)
    d1 = (g1 * (w[:, :-1, :] - w[:, 1:, :])).sum(axis=2)
    d2 = (g2 * (w[:, :, :-1] - w[:, :, 1:]).transpose(0, 2, 1)).sum(axis=2)
    return d1, d2
