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

Continuous variables beside the ordered items (``numeric=``) are handled in
:mod:`govstats.sem.ordinal.stage1_mixed`: means and variances, polyserial and Pearson
correlations, reported as covariances, as lavaan does (listwise or pairwise); exogenous covariates (``covariates=``,
lavaan's ``conditional.x``) in :mod:`govstats.sem.ordinal.stage1_covariates`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

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
    """Stage-1 statistics of ordinal items (and continuous variables), in lavaan's order.

    Attributes
    ----------
    items : list of str
        The items, in the order given.
    thresholds : Series
        Indexed ``"item|t1"``, ``"item|t2"``, ... ordinal item by ordinal item.
    correlations : DataFrame
        The correlation matrix, items x items: polychoric between ordinal items, polyserial
        between an ordinal item and a continuous variable, Pearson between continuous ones.
    gamma : DataFrame
        N times the asymptotic covariance of the statistics (:attr:`values`); rows and columns
        named as :attr:`names`.
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
    numeric : list of str
        The continuous variables among :attr:`items` (empty when every item is ordinal).
    means, variances : Series or None
        The continuous variables' means and variances (divisor N, as lavaan); None without any.
        With covariates: their intercepts and residual variances.
    covariates : list of str
        Exogenous covariates the statistics are conditional on (lavaan's ``conditional.x``);
        then thresholds, means, variances and correlations are those of the regressions on them.
    slopes : DataFrame or None
        With covariates: items x covariates, the probit (ordinal items) or least-squares
        (continuous) slopes.
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
    numeric: list = field(default_factory=list)
    means: pd.Series | None = None
    variances: pd.Series | None = None
    covariates: list = field(default_factory=list)
    slopes: pd.DataFrame | None = None

    @property
    def names(self) -> list[str]:
        """Names of the stage-1 statistics (lavaan's): thresholds ``item|t1`` (and ``x~1`` for
        the mean of a continuous x, at its place in item order), with covariates the slopes
        ``item~cov`` (covariate by covariate), then ``x~~x`` (variances of continuous
        variables), then the ``a~~b`` pairs."""
        return list(self.gamma.index)

    @property
    def covariances(self) -> pd.DataFrame:
        """:attr:`correlations` scaled by the continuous variables' standard deviations
        (ordinal items have unit variance): lavaan's ``sampstat$cov``."""
        if not self.numeric:
            return self.correlations
        sd = pd.Series(1.0, index=self.items)
        sd[self.numeric] = np.sqrt(self.variances.to_numpy())
        return self.correlations * np.outer(sd, sd)

    @property
    def values(self) -> np.ndarray:
        """The statistics as one vector in :attr:`names` order (lavaan's ``wls.obs``): the
        thresholds, **minus** the means of continuous variables, their variances, and the
        correlations between ordinal items or the covariances where a continuous variable is
        involved."""
        ia, ib = np.triu_indices(len(self.items), 1)
        if not self.numeric and not self.covariates:
            return np.concatenate([self.thresholds.to_numpy(), self.correlations.to_numpy()[ia, ib]])
        lay = self.layout
        out = np.empty(len(lay))
        kind = lay["kind"].to_numpy()
        out[kind == "threshold"] = self.thresholds.to_numpy()
        if self.numeric:
            out[kind == "mean"] = -self.means.to_numpy()
            out[kind == "variance"] = self.variances.to_numpy()
        if self.covariates:
            out[kind == "slope"] = self.slopes.to_numpy().ravel(order="F")  # covariate by covariate
        out[kind == "pair"] = self.covariances.to_numpy()[ia, ib]
        return out

    @cached_property
    def layout(self) -> pd.DataFrame:
        """What each statistic is, in :attr:`names` order: one row per statistic with ``name``,
        ``kind`` (``"threshold"``, ``"mean"`` (its value is minus the mean, or the intercept
        with covariates), ``"slope"``, ``"variance"`` or ``"pair"`` (a correlation, or a
        covariance when a continuous variable is involved)), ``item``, ``item2`` (the second
        item of a pair, the covariate of a slope, else missing) and ``k`` (the threshold's
        number, else missing)."""
        numeric = set(self.numeric)
        th_items = self.thresholds.index.str.rsplit("|", n=1).str[0].to_numpy()
        rows = []
        for item in self.items:
            if item in numeric:
                rows.append((f"{item}~1", "mean", item, None, None))
            else:
                rows.extend((f"{item}|t{k}", "threshold", item, None, k)
                            for k in range(1, int((th_items == item).sum()) + 1))
        rows.extend((f"{item}~{cov}", "slope", item, cov, None) for cov in self.covariates for item in self.items)
        rows.extend((f"{item}~~{item}", "variance", item, None, None) for item in self.items if item in numeric)
        ia, ib = np.triu_indices(len(self.items), 1)
        rows.extend((f"{self.items[a]}~~{self.items[b]}", "pair", self.items[a], self.items[b], None)
                    for a, b in zip(ia, ib))
        out = pd.DataFrame(rows, columns=["name", "kind", "item", "item2", "k"])
        out["k"] = out["k"].astype("Int64")
        return out


def stage1(data: pd.DataFrame, items: list[str], missing: str = "listwise",
           levels: Mapping[str, Sequence] | Sequence | None = None,
           numeric: Sequence[str] | None = None, covariates: Sequence[str] | None = None) -> Stage1:
    """Thresholds, polychoric correlations and their asymptotic covariance (Gamma), as lavaan.

    Parameters
    ----------
    data : DataFrame
        Integer-coded ordinal responses (and the continuous variables named in ``numeric``).
    items : list of str
        Columns of ``data`` to use, at least two, in model order.
    missing : {"listwise", "pairwise"}
        ``"listwise"`` (lavaan's default, also for WLSMV) leaves out rows with a blank in any item;
        ``"pairwise"`` uses every answer, as lavaan's ``missing = "pairwise"``.
    levels : dict or sequence, optional
        The codes each item could take (e.g. its scale's codes), as ``{item: codes}`` or one
        sequence for every item; used only to tell which codes nobody chose. Without it, the
        codes of a pandas Categorical column are used, otherwise the integers between an item's
        smallest and largest observed code.
    numeric : sequence of str, optional
        Which of ``items`` are continuous (lavaan's observed variables not in ``ordered``, with
        ``conditional.x = FALSE``): each contributes its mean and variance, and its
        correlations with the others (polyserial with ordinal items, Pearson with continuous
        ones) enter as covariances (see :mod:`govstats.sem.ordinal.stage1_mixed`). At least
        one item must stay ordinal. With ``missing="pairwise"`` their moments come from the
        cases observing each, their correlations from the cases observing both.
    covariates : sequence of str, optional
        Exogenous covariates (columns of ``data``, not in ``items``) to condition on, as lavaan
        does by default when the model has exogenous observed variables (``conditional.x``):
        probit regressions of the ordinal items and linear regressions of the continuous ones
        on them, residual correlations (see :mod:`govstats.sem.ordinal.stage1_covariates`).
        Only ``missing="listwise"``.

    Returns
    -------
    Stage1
        Thresholds, correlations and Gamma in lavaan's order.

    Raises
    ------
    ValueError
        If ``items`` names columns that are not in ``data``, has fewer than two items, an item
        has a single observed category, a continuous variable is constant, ``numeric`` names
        something that is not in ``items`` or every item, ``covariates`` names something not
        in ``data`` or in ``items`` or columns that are constant or collinear, or ``missing`` is
        not one of its values (or is ``"pairwise"`` with covariates).

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

    A continuous variable beside the items: its (negated) mean and variance join the statistics
    and its polyserial correlations enter as covariances.

    >>> df["y"] = 2 * z[:, 0] + 10
    >>> m = stage1(df.dropna(), ["a", "b", "y"], numeric=["y"])
    >>> m.names[-5:]
    ['y~1', 'y~~y', 'a~~b', 'a~~y', 'b~~y']
    >>> round(float(m.correlations.loc["b", "y"]), 1), round(float(m.covariances.loc["b", "y"]), 1)
    (0.5, 1.0)

    Conditional on a covariate: probit slopes join the statistics, and the correlation is the
    residual one (here all that a and b share is the covariate w).

    >>> w = rng.standard_normal(2000)
    >>> latent = 0.8 * w[:, None] + 0.6 * rng.standard_normal((2000, 2))
    >>> d2 = pd.DataFrame(np.digitize(latent, [-1, 0, 1]), columns=["a", "b"]).assign(w=w)
    >>> c = stage1(d2, ["a", "b"], covariates=["w"])
    >>> c.names[-3:]
    ['a~w', 'b~w', 'a~~b']
    >>> round(float(stage1(d2, ["a", "b"]).correlations.loc["a", "b"]), 1)
    0.6
    >>> abs(float(c.correlations.loc["a", "b"])) < 0.1
    True
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
    if numeric is not None and (isinstance(numeric, str) or not set(numeric) <= set(items)):
        raise ValueError(
            f"The 'numeric' parameter of stage1 must be a list of names in 'items'. Got {numeric!r} instead."
        )
    if covariates is not None and (isinstance(covariates, str) or not set(covariates) <= set(data.columns)
                                   or set(covariates) & set(items)):
        raise ValueError(
            f"The 'covariates' parameter of stage1 must be a list of columns of 'data' that are not in "
            f"'items'. Got {covariates!r} instead."
        )
    if covariates:
        from govstats.sem.ordinal.stage1_covariates import covariate_stage1  # builds on this module
        return covariate_stage1(data, items, list(numeric or []), list(covariates), missing, levels)
    if numeric:
        from govstats.sem.ordinal.stage1_mixed import mixed_stage1  # it builds on this module
        return mixed_stage1(data, items, list(numeric), missing, levels)
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
        zero_cell_pairs=[names[len(th_names) + q] for q in _zero_cells(pairs, taus)],
    )


def _zero_cells(pairs, taus) -> np.ndarray:
    """The pairs whose table has an empty cell among the categories their items have."""
    size = np.array([len(t) + 1 for t in taus])
    inside = (np.arange(pairs.counts.shape[1])[None, :, None] < size[pairs.ia][:, None, None]) \
        & (np.arange(pairs.counts.shape[2])[None, None, :] < size[pairs.ib][:, None, None])
    return np.flatnonzero(((pairs.counts == 0) & inside).any(axis=(1, 2)))


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
    """U'U with U = S A^-T (Gamma / N), built from per-item and per-pair lookup tables."""
    return _syrk(_ordinal_u(codes, taus, counts, pairs)[0])


def _ordinal_u(codes: np.ndarray, taus: list[np.ndarray], counts: list[np.ndarray], pairs):
    """U' (statistics x cases: thresholds, then the pairs) and V, the per-category rows of U1.

    U is held transposed, so that filling it gathers whole rows. V[j, c] = A11_j^-1 s_j(c) is
    the threshold part of U for a case in category c of item j (zero for a blank), which the
    pairs of an ordinal item with a continuous variable need too.
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
    return ut, V


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
