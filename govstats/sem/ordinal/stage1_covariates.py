"""Stage 1 of ordinal SEM conditional on exogenous covariates (lavaan's ``conditional.x = TRUE``).

lavaan 0.6.14 switches to this when the model has an exogenous observed covariate x (a
regression such as ``ID ~ age2``) and some variables are ordered; read from its source
(``muthen1984`` and ``lav_samplestats_step1`` with ``eXo``, ``lav_uvord_*``, ``lav_uvreg_*``,
``lav_bvord_*``, ``lav_bvmix_*``, ``lav_bvreg_*``, ``lav_samplestats_wls_obs``):

- **Univariate.** Each ordered item: a probit regression on the covariates by ML,
  P(y <= k | x) = Phi(tau_k - x'beta): thresholds (at x = 0) and slopes. Each continuous
  outcome: a linear regression by least squares, intercept, slopes and residual variance with
  divisor N.
- **Bivariate**, with everything univariate fixed and each case's own limits tau - x'beta: the
  residual polychoric correlation of two items (ML over the cases' bivariate normal rectangle
  probabilities, ``nlminb`` within [-0.999, 0.999]; no zero-cell adjustment, since there are no
  tables), the residual polyserial correlation of an item and a continuous outcome (as without
  covariates, on the standardized residual) and the correlation of two residuals. Cases whose
  likelihood is below sqrt(machine epsilon) are left out of each maximization and score zero.
- **Statistics** (``wls.obs``): the threshold block (minus the intercept for a continuous
  outcome), then the slopes ``y~x`` (for each covariate every outcome in order), then the
  residual variances of the continuous outcomes, then the residual correlations, covariances
  where a continuous outcome is involved.
- **Gamma** = N H B^-1 (S'S) B^-T H' with the intercept rows and columns negated, as without
  covariates; each variable's A11 block now spans its thresholds (or intercept), slopes (and
  residual variance), and A21 the pair scores against the bivariate likelihood's scores in all
  of them (the slope scores are the threshold or mean scores times x).

Every score depends on the case's covariate values, so U' = H B^-1 S' is computed case by case,
all pairs at once (the polychoric pairs in chunks). Cases with the same covariate values share
their limits: a residual polychoric's likelihood is evaluated once per distinct cell
(covariate values and two categories) and Phi2 once per distinct corner of those cells.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.special import ndtr

from govstats.measurement.polychoric import _bvn_corners, _item_thresholds, _recode, fit_pairs
from govstats.sem.ordinal.stage1 import Stage1, _plain, _syrk, _warn_empty_categories
from govstats.sem.ordinal.stage1_mixed import Polyserial, pearson_scores, polyserial_start

_SQRT_EPS = float(np.sqrt(np.finfo(float).eps))
_FAR = 100.0  # lavaan's offset for the open end of the bottom and top categories
_BOUND = 0.999  # lavaan's bounds for a polychoric correlation
_SQRT_2PI = np.sqrt(2 * np.pi)
_CHUNK = 50_000  # pairs x 4 cases per chunk of polychoric pairs (small: their arrays stay in cache)


def covariate_stage1(data: pd.DataFrame, items: list[str], numeric: list[str], covariates: list[str],
                     missing: str, levels) -> Stage1:
    """Stage 1 of ``items`` (``numeric`` among them continuous) conditional on ``covariates``
    (checked by :func:`govstats.sem.ordinal.stage1.stage1`, which calls this)."""
    if missing != "listwise":
        raise ValueError(
            f"The 'missing' parameter of stage1 must be 'listwise' with 'covariates' (pairwise "
            f"deletion with them is not implemented). Got {missing!r} instead."
        )
    numeric = set(numeric)
    is_num = np.array([item in numeric for item in items])
    if is_num.all():
        raise ValueError(
            f"The 'numeric' parameter of stage1 must leave at least one ordinal item. Got {sorted(numeric)!r} instead."
        )
    full = np.column_stack([data[c].to_numpy(dtype=float) for c in [*items, *covariates]])
    full = full[~np.isnan(full).any(axis=1)]
    n, p = len(full), len(items)
    y, x = full[:, :p], full[:, p:]
    design = np.column_stack([np.ones(n), x])
    if np.linalg.matrix_rank(design) < design.shape[1]:
        raise ValueError(f"The 'covariates' parameter of stage1 must name linearly independent, non-constant "
                         f"columns. Got {covariates!r} instead.")
    ordi, num = np.flatnonzero(~is_num), np.flatnonzero(is_num)
    ord_items = [items[j] for j in ordi]
    codes, cats, counts = _recode(y[:, ordi])
    single = [item for item, c in zip(ord_items, cats) if len(c) < 2]
    if single:
        raise ValueError(f"Ordinal items need at least two observed categories; {single} have one or none.")
    _warn_empty_categories(data, ord_items, cats, levels)

    # univariate fits: per variable its parameters' scores S (cases x parameters) and U1 = S A11^-1
    fits = [None] * p
    for k, j in enumerate(ordi):
        fits[j] = _Probit(codes[:, k], _item_thresholds(counts[k]), x)
    for j in num:
        fits[j] = _Regression(y[:, j], design)
        if fits[j].var == 0:
            raise ValueError(f"Continuous variables need a nonzero residual variance; {items[j]!r} has none.")
    for f in fits:
        f.u1 = f.scores @ np.linalg.inv(f.scores.T @ f.scores)
    # the marginal polychorics, less the part the covariates explain, start the residual ones
    # (lavaan starts at the codes' correlation; the maximum is the same, this one is typically
    # 1e-4 off it, close enough for one evaluation); their warnings do not apply here
    marginal = np.eye(p)
    if len(ordi) > 1:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tables = fit_pairs(codes, [_item_thresholds(c) for c in counts], ord_items)
        marginal[ordi[tables.ia], ordi[tables.ib]] = tables.rho
        # with y* = x'beta + e and Var(e) = 1, corr(y*_a, y*_b) = (b_a'S b_b + rho) / sd_a sd_b
        slopes = np.stack([f.slopes for f in fits])
        explained = slopes @ np.atleast_2d(np.cov(x.T, bias=True)) @ slopes.T
        sd = np.sqrt(1 + np.diag(explained))
        marginal = np.clip(marginal * np.outer(sd, sd) - explained, -_BOUND, _BOUND)

    ia, ib = np.triu_indices(p, 1)
    u_pairs = np.empty((len(ia), n))
    rho = np.zeros(len(ia))
    kind = is_num[ia].astype(int) + is_num[ib]
    q_sel = np.flatnonzero(kind == 0)
    if q_sel.size:
        rho[q_sel], u_pairs[q_sel] = _polychoric_pairs(fits, ia[q_sel], ib[q_sel], x, marginal[ia[q_sel], ib[q_sel]])
    for q_sel, fitter in ((np.flatnonzero(kind == 1), _polyserial_pairs), (np.flatnonzero(kind == 2), _residual_pairs)):
        if q_sel.size:
            rho[q_sel], u_pairs[q_sel] = fitter(fits, ia[q_sel], ib[q_sel], x)

    names, rows = [], []
    for j, f in enumerate(fits):
        if is_num[j]:
            names.append(f"{items[j]}~1")
            rows.append(-f.u1[:, :1].T)  # the statistic is minus the intercept
        else:
            names.extend(f"{items[j]}|t{t + 1}" for t in range(f.n_th))
            rows.append(f.u1[:, :f.n_th].T)
    for c, cov in enumerate(covariates):
        names.extend(f"{item}~{cov}" for item in items)
        rows.append(np.stack([f.u1[:, f.slope_col + c] for f in fits]))
    names.extend(f"{items[j]}~~{items[j]}" for j in num)
    rows.append(np.stack([fits[j].u1[:, -1] for j in num]) if len(num) else np.empty((0, n)))
    names.extend(f"{items[a]}~~{items[b]}" for a, b in zip(ia, ib))
    rows.append(u_pairs)
    gamma = _syrk(np.ascontiguousarray(np.concatenate(rows)))
    gamma *= n

    corr = np.eye(p)
    corr[ia, ib] = corr[ib, ia] = rho
    return Stage1(
        items=list(items),
        thresholds=pd.Series(np.concatenate([fits[j].tau for j in ordi]),
                             index=[nm for nm in names if "|" in nm]),
        correlations=pd.DataFrame(corr, index=items, columns=items),
        gamma=pd.DataFrame(gamma, index=names, columns=names, copy=False),
        nobs=n,
        categories={item: [_plain(v) for v in c] for item, c in zip(ord_items, cats)},
        missing=missing,
        numeric=[items[j] for j in num],
        means=_by_name([fits[j].intercept for j in num], [items[j] for j in num]),
        variances=_by_name([fits[j].var for j in num], [items[j] for j in num]),
        covariates=list(covariates),
        slopes=pd.DataFrame([f.slopes for f in fits], index=items, columns=list(covariates)),
    )


def _by_name(values, names) -> pd.Series | None:
    return pd.Series(values, index=names, dtype=float) if names else None


class _Regression:
    """Least squares of a continuous outcome on the covariates; parameters: intercept, slopes,
    residual variance (divisor N), with their casewise normal-likelihood scores."""

    def __init__(self, y: np.ndarray, design: np.ndarray):
        beta = np.linalg.lstsq(design, y, rcond=None)[0]
        self.resid = y - design @ beta
        self.var = float(self.resid @ self.resid / len(y))
        self.sd = np.sqrt(self.var)
        self.intercept, self.slopes = float(beta[0]), beta[1:]
        self.slope_col = 1
        if self.var > 0:
            self.scores = np.column_stack([design * (self.resid / self.var)[:, None],
                                           (self.resid ** 2 / self.var - 1) / (2 * self.var)])


class _Probit:
    """Ordered probit regression of an item on the covariates by Newton's method:
    P(y <= k | x) = Phi(tau_k - x'beta); parameters thresholds then slopes, with their casewise
    scores. ``up`` and ``lo`` are each case's category limits minus x'beta, the open ends at
    +-100 - x'beta as lavaan has them; ``top`` and ``bottom`` mark those cases."""

    def __init__(self, codes: np.ndarray, tau0: np.ndarray, x: np.ndarray, tol: float = 1e-20, max_iter: int = 200):
        n, nx = x.shape
        self.codes, self.n_th, self.slope_col = codes, len(tau0), len(tau0)
        k = self.n_th
        self.top, self.bottom = codes == k, codes == 0
        rows = np.arange(n)
        e_up = np.zeros((n, k))
        e_up[rows[~self.top], codes[~self.top]] = 1
        e_lo = np.zeros((n, k))
        e_lo[rows[~self.bottom], codes[~self.bottom] - 1] = 1
        self._a1, self._a2 = np.hstack([e_up, -x]), np.hstack([e_lo, -x])
        self.x = x
        self._last = None
        theta = np.r_[tau0, np.zeros(nx)]  # the marginal thresholds: a start close to the estimate
        ll = self._loglik(theta)
        for _ in range(max_iter):
            score, hess = self._derivatives(theta)
            step = np.linalg.solve(-hess, score.sum(axis=0))
            for _ in range(50):  # halve steps that lower the likelihood or disorder thresholds
                new = theta + step
                ll_new = self._loglik(new)
                if ll_new >= ll - 1e-12 * abs(ll):
                    break
                step /= 2
            theta, ll = new, ll_new
            if step @ step < tol:
                break
        self.tau, self.slopes = theta[:k], theta[k:]
        self.scores = self._derivatives(theta)[0]
        # Phi of the limits, exactly 1 and 0 at the open ends: the rectangles' corners there
        self.cdf_up = np.where(self.top, 1.0, ndtr(self.up))
        self.cdf_lo = np.where(self.bottom, 0.0, ndtr(self.lo))

    def _limits(self, theta):
        if self._last is not None and np.array_equal(theta, self._last[0]):
            return self._last[1]  # the step just accepted: its derivatives come next
        tau, beta = theta[:self.n_th], theta[self.n_th:]
        eta = self.x @ beta
        edges = np.r_[0.0, tau, 0.0]
        self.up = edges[self.codes + 1] - eta + _FAR * self.top
        self.lo = edges[self.codes] - eta - _FAR * self.bottom
        prob = ndtr(self.up) - ndtr(self.lo)
        high = self.lo > 1  # the upper tails are more precise there (lavaan does the same)
        prob[high] = ndtr(-self.lo[high]) - ndtr(-self.up[high])
        self._last = (theta.copy(), prob)
        return prob

    def _loglik(self, theta) -> float:
        if np.any(np.diff(theta[:self.n_th]) <= 0):
            return -np.inf
        prob = self._limits(theta)
        return float(np.log(prob).sum()) if np.all(prob > 0) else -np.inf

    def _derivatives(self, theta):
        prob = self._limits(theta)
        f1 = np.exp(-self.up ** 2 / 2) / _SQRT_2PI
        f2 = np.exp(-self.lo ** 2 / 2) / _SQRT_2PI
        score = (f1[:, None] * self._a1 - f2[:, None] * self._a2) / prob[:, None]
        hess = ((self._a1.T * (-self.up * f1 / prob)) @ self._a1 + (self._a2.T * (self.lo * f2 / prob)) @ self._a2
                - score.T @ score)
        return score, hess


def _threshold_scores(fit: _Probit, up: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """(pairs, cases, parameters) scores in an item's thresholds and slopes from a bivariate
    likelihood's d/d(upper limit) ``up`` and d/d(lower limit) ``lo`` (pairs, cases)."""
    n_pairs, n = up.shape
    out = np.zeros((n_pairs, n, fit.n_th + fit.x.shape[1]))
    rows = np.arange(n)
    keep = ~fit.top
    out[:, rows[keep], fit.codes[keep]] += up[:, keep]
    keep = ~fit.bottom
    out[:, rows[keep], fit.codes[keep] - 1] -= lo[:, keep]
    out[:, :, fit.n_th:] = (lo - up)[:, :, None] * fit.x[None]
    return out


def _padded(arrays) -> np.ndarray:
    """Stack (cases, parameters) arrays of items with different numbers of thresholds, padding
    with zeros (a padded parameter has no score and no part in U1)."""
    width = max(a.shape[-1] for a in arrays)
    out = np.zeros((len(arrays), arrays[0].shape[0], width))
    for i, a in enumerate(arrays):
        out[i, :, :a.shape[-1]] = a
    return out


def _u_rows(score: np.ndarray, d1: np.ndarray, d2: np.ndarray, u1a: np.ndarray, u1b: np.ndarray) -> np.ndarray:
    """Rows of U' for correlations: (score - U1_a A21_a - U1_b A21_b) / A22, with
    A21 = D' score (the bivariate likelihood's scores D in each variable's parameters)."""
    a1 = np.einsum("qn,qnm->qm", score, d1)
    a2 = np.einsum("qn,qnm->qm", score, d2)
    correction = np.einsum("qnm,qm->qn", u1a, a1) + np.einsum("qnm,qm->qn", u1b, a2)
    return (score - correction) / (score * score).sum(axis=1)[:, None]


def _mean_scores(d_mu: np.ndarray, d_var: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(pairs, cases, parameters) scores in a regression's intercept, slopes and variance."""
    return np.concatenate([d_mu[:, :, None], d_mu[:, :, None] * x[None], d_var[:, :, None]], axis=2)


def _polychoric_pairs(fits, ia, ib, x, start):
    """Residual polychoric correlations of item pairs and their rows of U', in chunks.

    Cases with the same covariate values have the same limits, so a pair's likelihood is a sum
    over its distinct cells (covariate values and two categories), weighted by their counts,
    and Phi2 is needed once per distinct corner of those cells (neighbouring cells share
    corners)."""
    n = len(x)
    values, group = np.unique(x, axis=0, return_inverse=True)
    group = group.ravel()
    width = max(fits[j].n_th for j in np.r_[ia, ib]) + 2  # limit positions: -inf, thresholds, +inf
    limits, cdfs = {}, {}
    for j in np.unique(np.r_[ia, ib]):
        edges = np.full(width, np.inf)
        edges[0] = -np.inf
        edges[1:fits[j].n_th + 1] = fits[j].tau
        limits[j] = edges - (values @ fits[j].slopes)[:, None]  # (covariate values, positions)
        cdfs[j] = ndtr(limits[j])
    size = max(1, _CHUNK // (4 * n))
    rho, rows = np.empty(len(ia)), np.empty((len(ia), n))
    for first in range(0, len(ia), size):
        sel = slice(first, first + size)
        fa, fb = [fits[a] for a in ia[sel]], [fits[b] for b in ib[sel]]
        la, lb = np.stack([limits[a] for a in ia[sel]]), np.stack([limits[b] for b in ib[sel]])
        ca, cb = np.stack([cdfs[a] for a in ia[sel]]), np.stack([cdfs[b] for b in ib[sel]])
        rho[sel], rows[sel] = _polychoric_chunk(fa, fb, (la, lb, ca, cb), group, x, start[sel])
    return rho, rows


def _polychoric_chunk(fa, fb, tables, group, x, start):
    """``tables``: each pair's items' limits and their Phi, (pairs, covariate values, limit
    positions)."""
    la, lb = tables[:2]
    n_pairs, _, width = la.shape
    codes_a, codes_b = np.stack([f.codes for f in fa]), np.stack([f.codes for f in fb])
    cells, valid, case_cell = _distinct((group * width + codes_a) * width + codes_b)
    count = np.bincount((case_cell + cells.shape[1] * np.arange(n_pairs)[:, None]).ravel(),
                        minlength=cells.size).reshape(cells.shape)
    g, a, b = cells // (width * width), cells // width % width, cells % width
    # the four corners of each cell, signs + - - +: (pairs, 4, cells), as positions in the tables
    g = (g + la.shape[1] * np.arange(n_pairs)[:, None]) * width
    at_a = np.stack([g + a + 1, g + a, g + a + 1, g + a], axis=1)
    at_b = np.stack([g + b + 1, g + b + 1, g + b, g + b], axis=1)
    h, k = la.ravel()[at_a], lb.ravel()[at_b]
    corners = _CellCorners(tables, at_a, at_b, np.isfinite(h) & np.isfinite(k), count)
    rho, lik, dlik = _newton(corners, start)

    # scores at rho (lav_bvord_cor_scores): d lik / d limit is phi(limit) times the conditional
    # probability of the other item's interval, Phi((other - r limit) / sqrt(1 - r^2)) over its
    # two limits; phi is 0 at an open end, and the conditional probability up to the other's
    # open top is 1
    bad = (lik <= _SQRT_EPS) | ~valid
    lik = np.where(bad, 1.0, lik)
    cond_b, cond_a = corners.conditionals(rho)
    weight = np.where(bad, 0.0, 1 / lik) / _SQRT_2PI
    top_a, top_b = h[:, 0] == np.inf, k[:, 0] == np.inf
    up1 = np.exp(-h[:, 0] ** 2 / 2) * weight * (cond_b[:, 0] + top_b - cond_b[:, 2])
    lo1 = np.exp(-h[:, 1] ** 2 / 2) * weight * (cond_b[:, 1] + top_b - cond_b[:, 3])
    up2 = np.exp(-k[:, 0] ** 2 / 2) * weight * (cond_a[:, 0] + top_a - cond_a[:, 1])
    lo2 = np.exp(-k[:, 2] ** 2 / 2) * weight * (cond_a[:, 2] + top_a - cond_a[:, 3])
    score = np.where(bad, 0.0, dlik / lik)
    score, up1, lo1, up2, lo2 = (np.take_along_axis(v, case_cell, axis=1) for v in (score, up1, lo1, up2, lo2))
    correction = _correction(fa, score, _cross_scores(fa, score, up1, lo1, x)) \
        + _correction(fb, score, _cross_scores(fb, score, up2, lo2, x))
    return rho, (score - correction) / (score * score).sum(axis=1)[:, None]


def _distinct(keys: np.ndarray, mask: np.ndarray | None = None):
    """Each row's distinct nonnegative integer ``keys`` (where ``mask``): their values and
    presence (rows, m), padded with zeros, and each key's column there (the last column, always
    padding, where not ``mask``)."""
    n_rows = len(keys)
    span = int(keys.max(initial=0)) + 1
    key = keys + span * np.arange(n_rows).reshape((-1,) + (1,) * (keys.ndim - 1))
    key = key.ravel() if mask is None else key[mask]
    dense = n_rows * span <= 1 << 24  # mark them in a table: linear, not a sort
    if dense:
        seen = np.zeros(n_rows * span, bool)
        seen[key] = True
        distinct = np.flatnonzero(seen)
    else:
        distinct, inverse = np.unique(key, return_inverse=True)
    owner = distinct // span
    column = np.arange(len(distinct)) - np.searchsorted(owner, np.arange(n_rows))[owner]
    m = int(column.max(initial=-1)) + 2
    values, present = np.zeros((n_rows, m), keys.dtype), np.zeros((n_rows, m), bool)
    values.ravel()[owner * m + column] = distinct % span
    present.ravel()[owner * m + column] = True
    if dense:
        table = np.empty(n_rows * span, np.intp)
        table[distinct] = column
        found = table[key]
    else:
        found = column[inverse]
    if mask is None:
        return values, present, found.reshape(keys.shape)
    where = np.full(keys.shape, m - 1)
    where[mask] = found
    return values, present, where


def _cross_scores(fits, score, up, lo, x) -> np.ndarray:
    """A21 of one pair per item in ``fits``: sum over cases of the pair's score times the
    bivariate likelihood's scores in the item's thresholds and slopes (:func:`_threshold_scores`
    from ``up`` and ``lo``, zero at open ends), (pairs, widest item's parameters)."""
    n_pairs, n = up.shape
    n_th = np.array([f.n_th for f in fits])
    width = n_th.max() + x.shape[1]
    codes = np.stack([f.codes for f in fits])
    offset = width * np.arange(n_pairs)[:, None]
    out = np.bincount((offset + codes).ravel(), (score * up).ravel(), n_pairs * width)
    # a case in the bottom category has lo = 0 and no lower threshold: its 0 goes to column 0
    out -= np.bincount((offset + np.maximum(codes - 1, 0)).ravel(), (score * lo).ravel(), n_pairs * width)
    out = out.reshape(n_pairs, width)
    slopes = (score * (lo - up)) @ x
    for w in np.unique(n_th):
        sel = n_th == w
        out[sel, w:w + x.shape[1]] = slopes[sel]
    return out


def _correction(fits, score, cross) -> np.ndarray:
    """U1 A21 of each pair's item in ``fits`` (pairs, cases), item by item."""
    out = np.empty_like(score)
    owner = np.array([id(f) for f in fits])
    for f in {id(f): f for f in fits}.values():
        sel = np.flatnonzero(owner == id(f))
        out[sel] = cross[sel, :f.u1.shape[1]] @ f.u1.T
    return out


class _CellCorners:
    """Bivariate normal probabilities of each pair's cells (pairs, cells) from their corners
    (pairs, 4, cells; signs + - - +), given as flat positions ``at_a``, ``at_b`` in ``tables``
    (limits h and k and their Phi, (pairs, covariate values, limit positions)); Phi2 is
    evaluated once per distinct ``finite`` corner, a corner with an infinite limit is
    Phi(h) Phi(k), fixed. ``weight``: each cell's number of cases."""

    def __init__(self, tables, at_a: np.ndarray, at_b: np.ndarray, finite: np.ndarray, weight: np.ndarray):
        la, lb, ca, cb = (t.ravel() for t in tables)
        n_pairs, n_groups, width = tables[0].shape
        rows = np.arange(n_pairs)[:, None]
        self.weight = weight
        self.margin = self._fold(np.where(finite, 0.0, ca[at_a] * cb[at_b]))
        # a corner: its covariate values and two limit positions, within the pair
        local = rows[:, :, None] * (n_groups * width)
        keys, self.valid, index = _distinct((at_a - local) * width + at_b % width, finite)
        group_a = keys // width
        self.h = np.where(self.valid, la[group_a + rows * (n_groups * width)], 0.0)
        self.k = np.where(self.valid, lb[group_a - group_a % width + keys % width + rows * (n_groups * width)], 0.0)
        self.index = index.reshape(n_pairs, -1)
        self.hk, self.hs = self.h * self.k, (self.h ** 2 + self.k ** 2) / 2
        self.base = ndtr(self.h) * ndtr(self.k)
        self.flat = self.index + self.h.shape[1] * rows

    @staticmethod
    def _fold(v: np.ndarray) -> np.ndarray:
        return v[:, 0] - v[:, 1] - v[:, 2] + v[:, 3]

    def subset(self, sel) -> "_CellCorners":
        out = object.__new__(_CellCorners)
        for name in ("weight", "margin", "valid", "h", "k", "index", "hk", "hs", "base"):
            setattr(out, name, getattr(self, name)[sel])
        out.flat = out.index + out.h.shape[1] * np.arange(len(out.h))[:, None]
        return out

    def _cells(self, v: np.ndarray) -> np.ndarray:
        """Values at the distinct corners (pairs, m) gathered to the cells' (pairs, 4, cells)."""
        return v.ravel()[self.flat].reshape(len(v), 4, -1)

    def conditionals(self, r: np.ndarray):
        """Phi((k - r h) / sqrt(1 - r^2)) and Phi((h - r k) / sqrt(1 - r^2)) at the cells'
        finite corners, 0 where a limit is infinite."""
        rr = r[:, None]
        big_r = np.sqrt(1 - rr * rr)
        p_k = np.where(self.valid, ndtr((self.k - rr * self.h) / big_r), 0.0)
        p_h = np.where(self.valid, ndtr((self.h - rr * self.k) / big_r), 0.0)
        return self._cells(p_k), self._cells(p_h)

    def evaluate(self, r: np.ndarray, order: int = 2) -> list:
        """Each cell's probability and its derivatives in r up to ``order`` (at most 4)."""
        cdf = np.where(self.valid, _bvn_corners(self.h, self.k, self.hk, self.hs, self.base, r), 0.0)
        rr = r[:, None]
        one_minus = 1 - rr * rr
        dens = np.where(self.valid, np.exp((rr * self.hk - self.hs) / one_minus)
                        / (2 * np.pi * np.sqrt(one_minus)), 0.0)
        out = [self._fold(self._cells(cdf)) + self.margin, self._fold(self._cells(dens))]
        if order >= 2:
            # d phi2 / dr = phi2 g, g = (h k (1 - r^2) - r (h^2 - 2 r h k + k^2) + r (1 - r^2)) / (1 - r^2)^2
            g = (self.hk * one_minus - rr * (2 * self.hs - 2 * rr * self.hk) + rr * one_minus) / (one_minus ** 2)
            out.append(self._fold(self._cells(dens * g)))
        if order >= 3:  # d^2 phi2 / dr^2 = phi2 (g^2 + g'), d^3 phi2 / dr^3 = phi2 (g^3 + 3 g g' + g'')
            r2 = rr * rr
            dg = (2 * self.hk * rr * (r2 + 3) - 2 * self.hs * (3 * r2 + 1) + 1 - r2 * r2) / one_minus ** 3
            out.append(self._fold(self._cells(dens * (g * g + dg))))
        if order >= 4:
            ddg = (2 * self.hk * (3 * r2 * r2 + 18 * r2 + 3) - 24 * self.hs * rr * (r2 + 1)
                   + 2 * rr * (r2 + 3) * one_minus) / one_minus ** 4
            out.append(self._fold(self._cells(dens * (g * (g * g + 3 * dg) + ddg))))
        return out


def _terms(lik, d1, d2, weight, loglik: bool = True) -> list:
    """Each pair's log-likelihood (if ``loglik``), score, Hessian and information from its cells'
    likelihoods and their first two derivatives, cells below sqrt(machine epsilon) left out."""
    keep = lik >= _SQRT_EPS
    safe = np.where(keep, lik, 1.0)
    w = np.where(keep, weight, 0)
    ratio = d1 / safe
    wr = w * ratio
    return [(w * np.log(safe)).sum(axis=1) if loglik else None, wr.sum(axis=1),
            (w * (d2 / safe) - wr * ratio).sum(axis=1), (wr * ratio).sum(axis=1)]


def _model_maximum(lik, d1, d2, d3, d4, weight, reach: float, max_iter: int = 8):
    """The maximum of each pair's log-likelihood with its cells' likelihoods replaced by their
    quartic Taylor polynomials (no more Phi2): the step s from the point of expansion, whether it
    converged within ``reach`` (there the polynomials and their derivatives are exact to about
    s^5 and s^4 relative), and the polynomials and their derivatives at s."""
    s = np.zeros(len(lik))
    failed = np.zeros(len(lik), bool)  # not concave on the way: left to safeguarded Newton
    for _ in range(max_iter):
        t = s[:, None]
        at = [lik + t * (d1 + t / 2 * (d2 + t / 3 * (d3 + t / 4 * d4))), d1 + t * (d2 + t / 2 * (d3 + t / 3 * d4)),
              d2 + t * (d3 + t / 2 * d4)]
        _, score, hess, _ = _terms(*at, weight, loglik=False)
        failed |= hess >= 0
        step = np.where(failed, 0.0, score / np.where(failed, 1.0, -hess))
        if np.abs(step).max() < 1e-13:
            break
        s = s + np.clip(step, -reach, reach)
    ok = ~failed & (np.abs(step) < 1e-12) & (np.abs(s) <= reach)
    return s, ok, at


def _newton(corners: _CellCorners, start: np.ndarray, tol: float = 1e-10, max_iter: int = 100,
            reach: float = 2e-3):
    """Two-step ML residual polychorics; cells with a likelihood below sqrt(machine epsilon)
    left out, as lavaan. Returns rho and each cell's likelihood and its derivative in rho there,
    (pairs, cells).

    Most pairs need one evaluation of Phi2: the likelihood's maximum with the cells'
    likelihoods replaced by their quartic Taylor polynomials about the start, accepted when it is
    within ``reach`` of it (the start, adjusted marginal polychorics, is typically 1e-4 off).
    The others go on by safeguarded Newton steps from the start; a pair stops once its Newton
    step (where the log-likelihood is concave) is below sqrt(tol), that last step taken without
    evaluating the likelihoods again (rho is then within about a squared step of the maximum),
    the cells' likelihoods and derivatives carried along by Taylor's expansion."""
    def terms(r, sub):
        lik, d1, d2 = sub.evaluate(r)
        return _terms(lik, d1, d2, sub.weight) + [lik, d1, d2]

    r = np.clip(start, -_BOUND, _BOUND)
    lik, dlik, d2lik, *higher = corners.evaluate(r, order=4)
    s, ok, at = _model_maximum(lik, dlik, d2lik, *higher, corners.weight, reach)
    ok &= np.abs(r + s) <= _BOUND
    r[ok] += s[ok]
    lik[ok], dlik[ok] = at[0][ok], at[1][ok]
    if ok.all():
        return r, lik, dlik
    active = np.flatnonzero(~ok)
    sub = corners.subset(active)
    ll, score, hess, info = _terms(lik[active], dlik[active], d2lik[active], sub.weight)
    for _ in range(max_iter):
        curvature = np.where(hess < 0, -hess, np.maximum(info, 1e-300))
        old = r[active]
        new = np.clip(old + np.clip(score / curvature, -0.5, 0.5), -_BOUND, _BOUND)
        step = new - old
        done = (step * step < tol) & ((hess < 0) | (step == 0))
        if done.any():
            last, s = active[done], step[done][:, None]
            r[last] = new[done]
            lik[last] += s * (dlik[last] + s / 2 * d2lik[last])
            dlik[last] += s * d2lik[last]
            if done.all():
                break
            going = ~done
            active, sub, old, new = active[going], sub.subset(going), old[going], new[going]
            ll = ll[going]
        now = terms(new, sub)
        for _ in range(40):
            worse = now[0] < ll - 1e-12 * np.abs(ll)
            if not worse.any():
                break
            new[worse] = (old[worse] + new[worse]) / 2
            for full, piece in zip(now, terms(new[worse], sub.subset(worse))):
                full[worse] = piece
        r[active] = new
        lik[active], dlik[active], d2lik[active] = now[4], now[5], now[6]
        going = (new - old) ** 2 >= tol
        if not going.any():
            break
        ll, score, hess, info = now[:4]
        if not going.all():
            active, sub = active[going], sub.subset(going)
            ll, score, hess, info = (v[going] for v in (ll, score, hess, info))
    return r, lik, dlik


def _polyserial_pairs(fits, ia, ib, x):
    """Residual polyserial correlations (continuous outcome, item) and their rows of U'."""
    cont = [fits[a] if isinstance(fits[a], _Regression) else fits[b] for a, b in zip(ia, ib)]
    item = [fits[b] if isinstance(fits[a], _Regression) else fits[a] for a, b in zip(ia, ib)]
    z = np.stack([c.resid / c.sd for c in cont])
    sd = np.array([c.sd for c in cont])
    codes = np.stack([f.codes for f in item])
    start = polyserial_start(z, codes, [f.tau for f in item], np.arange(len(item)))
    serial = Polyserial(z, np.stack([f.up for f in item]), np.stack([f.lo for f in item]), sd, start)
    sc = serial.scores()
    d_cont = _mean_scores(sc["mu"], sc["var"], x)
    d_item = _padded([_threshold_scores(f, u[None], l_[None])[0] for f, u, l_ in zip(item, sc["up"], sc["lo"])])
    u1c, u1i = np.stack([c.u1 for c in cont]), _padded([f.u1 for f in item])
    u_cor = _u_rows(sc["rho"], d_cont, d_item, u1c, u1i)
    r = serial.rho[:, None]
    # to the covariance rho sd: d/d rho = sd, d/d residual variance = rho / (2 sd)
    return serial.rho, sd[:, None] * u_cor + r / (2 * sd[:, None]) * u1c[:, :, -1]


def _residual_pairs(fits, ia, ib, x):
    """Correlations of two regressions' residuals and their rows of U' (as covariances)."""
    f1, f2 = [fits[a] for a in ia], [fits[b] for b in ib]
    e1, e2 = np.stack([f.resid for f in f1]), np.stack([f.resid for f in f2])
    v1, v2 = np.array([f.var for f in f1]), np.array([f.var for f in f2])
    rho = (e1 * e2).mean(axis=1) / np.sqrt(v1 * v2)
    sc = pearson_scores(e1, e2, v1, v2, rho)
    u1a, u1b = np.stack([f.u1 for f in f1]), np.stack([f.u1 for f in f2])
    u_cor = _u_rows(sc["rho"], _mean_scores(sc["mu1"], sc["var1"], x), _mean_scores(sc["mu2"], sc["var2"], x),
                    u1a, u1b)
    s1, s2, r = np.sqrt(v1)[:, None], np.sqrt(v2)[:, None], rho[:, None]
    return rho, s1 * s2 * u_cor + s2 * r / (2 * s1) * u1a[:, :, -1] + s1 * r / (2 * s2) * u1b[:, :, -1]
