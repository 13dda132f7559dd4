"""Polychoric correlations by two-step maximum likelihood, vectorized over item pairs.

Step 1: each item's thresholds from its marginal proportions (qnorm of the cumulative shares of
the categories observed). Step 2: for every pair at once, the correlation maximizing the
bivariate-normal likelihood of the pair's contingency table with the thresholds fixed, as
lavaan's ``lavCor(ordered = ...)`` (``lav_bvord_cor_twostep_fit`` in lavaan 0.6.14). Shared with
ordinal SEM (WLSMV, :mod:`govstats.sem.ordinal.stage1`), EFA and ordinal reliability.

Step 2 is Newton's method on all pairs at once: d Phi2(h, k; r) / dr = phi2(h, k; r), so the
derivatives of the cell probabilities in r are second differences of the bivariate density over
the cell corners (and their derivatives in r, for the Hessian, those of phi2 times a quadratic
in h and k). It starts from the correlation that matches the covariance of the codes through
Mehler's series (within about 0.02 of the estimate on five-point items) and takes 3 or 4 steps
to reach the maximum to about 1e-10; lavaan's ``nlminb`` stops within about 1e-7 of it. Steps
that lower the likelihood are halved; r stays in [-0.999, 0.999], lavaan's bounds.

The bivariate normal CDF is Genz's algorithm (Genz 2004, "Numerical computation of rectangular
bivariate and trivariate normal and t probabilities", Statistics and Computing 14, 251-260), the
one behind R's ``pbivnorm`` that lavaan calls: Gauss-Legendre quadrature of Plackett's integral
in asin(r) with 6, 12 or 20 nodes for |r| < 0.3, 0.75, 0.925 and a series with a corrected
quadrature above; double precision throughout.

What lavaan does with sparse tables, done the same here (``zero.add = c(0.5, 0)``,
``zero.keep.margins = TRUE``): in a 2 x 2 table with one empty cell, 0.5 is added to that cell
and to its diagonal partner and subtracted from the other two (the margins stay), for the
estimate of the correlation only; with two empty cells the correlation is +-1 (with a warning);
a 2 x 2 table with f11 f22 = f12 f21 has r = 0, and one whose thresholds are both exactly 0 has
the closed form r = -cos(2 pi f11 / n). Larger tables are used as observed (``zero.add[2]`` is
0). Cells whose probability falls below sqrt(machine epsilon) are floored there in the
likelihood and left out of its derivatives, as lavaan does.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from govstats.errors import GovstatsWarning

_SQRT_EPS = float(np.sqrt(np.finfo(float).eps))  # lavaan's floor for cell probabilities
_BOUND = 0.999  # lavaan's bounds for a polychoric correlation
_TWO_PI = 2 * np.pi
# Genz's rules: Gauss-Legendre nodes on [-1, 1] and weights; (upper |r|, rule) in order
_RULES = [(bound, np.polynomial.legendre.leggauss(n)) for bound, n in ((0.3, 6), (0.75, 12), (0.925, 20))]
_HIGH_RULE = np.polynomial.legendre.leggauss(20)
_MISSING_VALUES = ("listwise", "pairwise")


def thresholds(x: np.ndarray) -> list[np.ndarray]:
    """Per item (column of codes) the thresholds between its observed categories.

    Blanks (NaN) are left out: each item's thresholds come from the cases that answered it.

    Examples
    --------
    >>> import numpy as np
    >>> [t.round(4).tolist() for t in thresholds(np.array([[1, 2], [2, 2], [2, 1], [3, np.nan]]))]
    [[-0.6745, 0.6745], [-0.4307]]
    """
    return [_item_thresholds(counts) for counts in _recode(np.asarray(x, float))[2]]


def _item_thresholds(counts: np.ndarray) -> np.ndarray:
    return ndtri(np.cumsum(counts)[:-1] / counts.sum())


def _recode(x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Codes 0..K-1 over each column's observed categories (-1 for a blank), the categories,
    and their counts."""
    n, p = x.shape
    seen = ~np.isnan(x)
    if p == 0 or not seen.any(axis=0).all():
        return _recode_slow(x)
    filled = np.where(seen, x, np.nanmin(x, axis=0))
    low = filled.min(axis=0)
    span = int((filled.max(axis=0) - low).max()) + 1
    if not (np.array_equal(filled, np.round(filled)) and span <= 64):
        return _recode_slow(x)
    # small integer codes: one bincount over all columns instead of a sort per column
    shifted = (filled - low).astype(np.intp) + np.arange(p) * span
    tally = np.bincount(shifted[seen], minlength=p * span).reshape(p, span)
    present = tally > 0
    lookup = np.cumsum(present, axis=1) - 1
    codes = np.where(seen, lookup.ravel()[shifted], -1)
    values = low[:, None] + np.arange(span)
    categories = [values[j, present[j]] for j in range(p)]
    counts = [tally[j, present[j]] for j in range(p)]
    return codes, categories, counts


def _recode_slow(x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    n, p = x.shape  # any codes (np.unique per column)
    codes = np.full((n, p), -1, dtype=np.intp)
    categories, counts = [], []
    for j in range(p):
        col = x[:, j]
        seen = ~np.isnan(col)
        cats, inverse, count = np.unique(col[seen], return_inverse=True, return_counts=True)
        codes[seen, j] = inverse
        categories.append(cats)
        counts.append(count)
    return codes, categories, counts


def _edges(taus: list[np.ndarray], kmax: int) -> np.ndarray:
    """(items, kmax + 1) category limits: -inf, the thresholds, then +inf up to the widest item."""
    edges = np.full((len(taus), kmax + 1), np.inf)
    edges[:, 0] = -np.inf
    for j, t in enumerate(taus):
        edges[j, 1:len(t) + 1] = t
    return edges


# --------------------------------------------------------------------------------------------
# bivariate normal CDF (Genz)


def _plackett(hk, hs, r, rule):
    """Phi2(h, k; r) - Phi(h) Phi(k) for |r| < 0.925, given h k and (h^2 + k^2) / 2 at
    (pairs, corners) and r per pair."""
    x, w = rule
    asr = np.arcsin(r)
    sn = np.sin(asr[:, None] * (x + 1) / 2)  # (pairs, nodes): depends on r only
    inv = 1 / (1 - sn * sn)
    f = np.exp((sn[:, None, :] * hk[:, :, None] - hs[:, :, None]) * inv[:, None, :])
    return (f @ w) * (asr / (2 * _TWO_PI))[:, None]


def _bvn_upper_high(h, k, r):
    """P(X > h, Y > k) for 0.925 <= |r| < 1 (Genz's second branch), flat arrays."""
    x, w = _HIGH_RULE
    neg = r < 0
    k = np.where(neg, -k, k)
    hk = h * k
    as_ = (1 - r) * (1 + r)
    a = np.sqrt(as_)
    bs = (h - k) ** 2
    c = (4 - hk) / 8
    d = (12 - hk) / 16
    bvn = a * np.exp(-(bs / as_ + hk) / 2) * (1 - c * (bs - as_) * (1 - d * bs / 5) / 3 + c * d * as_ * as_ / 5)
    b = np.sqrt(bs)
    tail = np.exp(-hk / 2) * np.sqrt(_TWO_PI) * ndtr(-b / a) * b * (1 - c * bs * (1 - d * bs / 5) / 3)
    bvn = bvn - np.where(hk > -160, tail, 0.0)
    half = a / 2
    xs = (half[:, None] * (x + 1)) ** 2
    rs = np.sqrt(1 - xs)
    hk2, bs2, c2, d2 = hk[:, None], bs[:, None], c[:, None], d[:, None]
    terms = np.exp(-(bs2 / xs + hk2) / 2) * (np.exp(-hk2 * (1 - rs) / (2 * (1 + rs))) / rs
                                             - (1 + c2 * xs * (1 + d2 * xs)))
    bvn = -(bvn + half * (terms @ w)) / _TWO_PI
    pos = bvn + ndtr(-np.maximum(h, k))
    gap = np.where(h < 0, ndtr(k) - ndtr(h), ndtr(-h) - ndtr(-k))
    negative = -bvn + np.where(k > h, gap, 0.0)
    return np.where(neg, negative, pos)


def _bvn_corners(h, k, hk, hs, base, r):
    """Phi2(h, k; r) at finite corners: h, k, h k, (h^2 + k^2) / 2, Phi(h) Phi(k) as
    (pairs, corners), r (pairs,) with |r| < 1."""
    size = np.abs(r)
    lower = 0.0
    out = None
    for upper, rule in _RULES:
        sel = (size >= lower) & (size < upper)
        lower = upper
        if not sel.any():
            continue
        if sel.all():
            return base + _plackett(hk, hs, r, rule)
        if out is None:
            out = np.empty(h.shape)
        out[sel] = base[sel] + _plackett(hk[sel], hs[sel], r[sel], rule)
    if out is None:
        out = np.empty(h.shape)
    sel = size >= 0.925
    if sel.any():
        hh, kk = h[sel], k[sel]
        rr = np.broadcast_to(r[sel][:, None], hh.shape)
        out[sel] = _bvn_upper_high(-hh.ravel(), -kk.ravel(), rr.ravel()).reshape(hh.shape)
    return out


def bivariate_normal_cdf(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Phi2(h, k; r), the standard bivariate normal CDF, broadcast over h, k and r.

    Genz's algorithm, the same that :func:`polychoric` uses and that R's ``pbivnorm`` (lavaan)
    uses, accurate to about 1e-15. Infinite limits may be given as ``np.inf`` or as large
    numbers (+-8 is infinite to 1e-15); ``|r| = 1`` gives the degenerate limits.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(bivariate_normal_cdf(np.array(0.0), np.array(0.0), np.array(0.5))), 12)
    0.333333333333
    >>> p = bivariate_normal_cdf(np.array([0.3, -1.2]), np.array([-0.5, 0.7]), np.array([0.5, 0.95]))
    >>> [round(float(v), 12) for v in p]  # R: pbivnorm(c(.3, -1.2), c(-.5, .7), rho = c(.5, .95))
    [0.256807467094, 0.115069670203]
    """
    h, k, r = np.broadcast_arrays(*(np.asarray(a, float) for a in (h, k, r)))
    shape = h.shape
    h, k, r = h.ravel(), k.ravel(), r.ravel()
    out = ndtr(h) * ndtr(k)
    # degenerate correlations: X = Y or X = -Y
    one = r >= 1
    out[one] = ndtr(np.minimum(h[one], k[one]))
    minus = r <= -1
    out[minus] = np.maximum(ndtr(h[minus]) - ndtr(-k[minus]), 0.0)
    inner = np.isfinite(h) & np.isfinite(k) & ~one & ~minus
    if inner.any():
        hh, kk = h[inner][:, None], k[inner][:, None]
        out[inner] = _bvn_corners(hh, kk, hh * kk, (hh * hh + kk * kk) / 2, out[inner][:, None], r[inner])[:, 0]
    return np.clip(out, 0.0, 1.0).reshape(shape)


# --------------------------------------------------------------------------------------------
# pairs


@dataclass
class PairTables:
    """Every item pair's contingency table and its likelihood pieces at the fitted correlations.

    Private to govstats (used by :mod:`govstats.sem.ordinal.stage1`); arrays are indexed by
    pair ``q`` (``ia[q] < ib[q]``, numpy's ``triu_indices`` order) and cell ``(i, j)``.
    """

    ia: np.ndarray
    ib: np.ndarray
    ext: np.ndarray          # (items, cases) int32 codes, kmax for a blank
    cells: np.ndarray        # (pairs, cases): a case's cell in its pair's (kmax + 1)^2 table, the
                             # last row and column for a blank, offset by pair: q (kmax + 1)^2 + ...
    counts: np.ndarray       # (pairs, kmax, kmax) observed counts, cases seen on both items
    rho: np.ndarray          # (pairs,)
    prob: np.ndarray         # (pairs, kmax, kmax) cell probabilities at rho
    dprob: np.ndarray        # their derivative in rho
    valid: np.ndarray        # cells with probability above sqrt(eps) (lavaan's floor)
    iterations: int
    special: dict            # pair index -> what lavaan's 2 x 2 rules did


class _Corners:
    """The fixed geometry of all pairs' tables: the thresholds at the inner corners."""

    def __init__(self, e1: np.ndarray | None = None, e2: np.ndarray | None = None):
        if e1 is None:
            return
        kmax = e1.shape[1] - 1
        n_pairs = len(e1)
        h = np.broadcast_to(e1[:, 1:-1, None], (n_pairs, kmax - 1, kmax - 1)).reshape(n_pairs, -1)
        k = np.broadcast_to(e2[:, None, 1:-1], (n_pairs, kmax - 1, kmax - 1)).reshape(n_pairs, -1)
        self.finite = np.isfinite(h) & np.isfinite(k)
        self.margin = ndtr(h) * ndtr(k)  # exact where a limit is infinite (a padded category)
        # finite stand-ins at padded limits, where the result is overwritten by the margin
        self.h = np.where(self.finite, h, 0.0)
        self.k = np.where(self.finite, k, 0.0)
        self.hk = self.h * self.k
        self.hs = (self.h ** 2 + self.k ** 2) / 2
        self.base = ndtr(self.h) * ndtr(self.k)
        # the full grid of Phi2 with its borders (Phi of each limit) filled in once
        self.template = np.zeros((n_pairs, kmax + 1, kmax + 1))
        self.template[:, -1, :] = ndtr(e2)
        self.template[:, :, -1] = ndtr(e1)

    def subset(self, sel: np.ndarray) -> "_Corners":
        out = _Corners()
        for name in ("finite", "margin", "h", "k", "hk", "hs", "base", "template"):
            setattr(out, name, getattr(self, name)[sel])
        return out

    def evaluate(self, r: np.ndarray, second: bool = False):
        """Cell probabilities and their first (and second) derivatives in r, (pairs, K, K)."""
        n_pairs, side = len(r), self.template.shape[1]
        inner = _bvn_corners(self.h, self.k, self.hk, self.hs, self.base, r)
        one_minus = 1 - r * r
        dens = np.exp((r[:, None] * self.hk - self.hs) / one_minus[:, None]) \
            / (_TWO_PI * np.sqrt(one_minus))[:, None]
        if not self.finite.all():
            inner = np.where(self.finite, inner, self.margin)
            dens = np.where(self.finite, dens, 0.0)
        grid = self.template.copy()
        grid[:, 1:-1, 1:-1] = inner.reshape(n_pairs, side - 2, side - 2)
        prob = _rectangles(grid)
        dgrid = np.zeros_like(grid)
        dgrid[:, 1:-1, 1:-1] = dens.reshape(n_pairs, side - 2, side - 2)
        dprob = _rectangles(dgrid)
        if not second:
            return prob, dprob, None
        # d phi2 / dr = phi2 (h k (1 - r^2) - r (h^2 - 2 r h k + k^2) + r (1 - r^2)) / (1 - r^2)^2
        rr, om = r[:, None], one_minus[:, None]
        guv = (self.hk * om - rr * (2 * self.hs - 2 * rr * self.hk) + rr * om) / (om * om)
        dgrid[:, 1:-1, 1:-1] = (dens * guv).reshape(n_pairs, side - 2, side - 2)
        return prob, dprob, _rectangles(dgrid)


def _rectangles(grid: np.ndarray) -> np.ndarray:
    """Second differences of a (pairs, K + 1, K + 1) grid over each cell's corners."""
    return grid[:, 1:, 1:] - grid[:, :-1, 1:] - grid[:, 1:, :-1] + grid[:, :-1, :-1]


def _loglik(freq, prob):
    return (freq * np.log(np.maximum(prob, _SQRT_EPS))).sum(axis=(1, 2))


def _newton(corners: _Corners, freq: np.ndarray, start: np.ndarray, tol: float, max_iter: int = 100):
    """Two-step ML correlations of all pairs by safeguarded Newton.

    Returns rho, the number of iterations and (prob, dprob) at rho. A pair stops when its step
    is below sqrt(tol): Newton converges quadratically, so its error is then of order tol.
    """
    r = np.clip(start, -_BOUND, _BOUND)
    total = freq.sum(axis=(1, 2))
    prob, dprob, d2prob = corners.evaluate(r, second=True)
    ll = _loglik(freq, prob)
    active = np.arange(len(r))
    sub = corners
    iterations = 0
    for iterations in range(1, max_iter + 1):
        f, p, dp, d2p, ll_old = freq[active], prob[active], dprob[active], d2prob[active], ll[active]
        valid = p > _SQRT_EPS
        safe = np.where(valid, p, 1.0)
        ratio = np.where(valid, dp / safe, 0.0)
        fr = f * ratio
        score = fr.sum(axis=(1, 2))
        hess = (f * np.where(valid, d2p / safe, 0.0) - fr * ratio).sum(axis=(1, 2))
        # Newton where the log-likelihood is concave, Fisher scoring elsewhere
        fisher = total[active] * (dp * ratio).sum(axis=(1, 2))
        curvature = np.where(hess < 0, -hess, np.maximum(fisher, 1e-300))
        step = np.clip(score / curvature, -0.5, 0.5)
        r_old = r[active]
        r_new = np.clip(r_old + step, -_BOUND, _BOUND)
        new = sub.evaluate(r_new, second=True)
        ll_new = _loglik(f, new[0])
        # halve steps that lower the likelihood (rare: the two-step likelihood is unimodal)
        worse = ll_new < ll_old - 1e-12 * np.abs(ll_old)
        halvings = 0
        while worse.any() and halvings < 40:
            halvings += 1
            idx = np.flatnonzero(worse)
            r_new[idx] = (r_old[idx] + r_new[idx]) / 2
            part = sub.subset(idx).evaluate(r_new[idx], second=True)
            for full, piece in zip(new, part):
                full[idx] = piece
            ll_new[idx] = _loglik(f[idx], part[0])
            worse[idx] = ll_new[idx] < ll_old[idx] - 1e-12 * np.abs(ll_old[idx])
        r[active] = r_new
        prob[active], dprob[active], d2prob[active] = new
        ll[active] = ll_new
        going = np.abs(r_new - r_old) ** 2 >= tol
        if not going.any():
            break
        if not going.all():
            active = active[going]
            sub = sub.subset(going)
    return r, iterations, (prob, dprob)


def _start(codes: np.ndarray, taus: list[np.ndarray], ia: np.ndarray, ib: np.ndarray, terms: int = 6) -> np.ndarray:
    """Starting correlations: the covariance of the codes matched by Mehler's series.

    For codes counting the thresholds below a standard normal pair with correlation r,
    cov(a, b) = sum_k r^k / k! A_k B_k with A_k = sum_t He_{k-1}(tau_t) phi(tau_t). Six terms
    put the start within about 0.02 of the ML estimate on five-point items (the Pearson
    correlation of the codes, lavaan's start, is 0.06 off), which saves a Newton step.
    """
    seen = (codes >= 0).astype(float)
    x = np.where(codes >= 0, codes, 0).astype(float)
    n = seen.T @ seen
    sx = x.T @ seen          # sx[a, b]: sum of item a over the cases seen on both
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = ((x.T @ x) - sx * sx.T / n)[ia, ib] / n[ia, ib]
    padded = np.full((len(taus), max(len(t) for t in taus)), np.inf)  # phi(inf) = 0: no term
    for j, t in enumerate(taus):
        padded[j, :len(t)] = t
    dens = np.exp(-padded * padded / 2) / np.sqrt(_TWO_PI)
    coef = np.empty((len(taus), terms))
    finite = np.where(np.isfinite(padded), padded, 0.0)
    he_prev, he = np.zeros_like(finite), np.ones_like(finite)  # He_{-1}, He_0
    for m in range(terms):
        coef[:, m] = (he * dens).sum(axis=1)
        he_prev, he = he, finite * he - m * he_prev
    fact = np.cumprod(np.arange(1, terms + 1))
    c = coef[ia] * coef[ib] / fact
    r = np.clip(np.where(np.isfinite(cov), cov, 0.0) / c[:, 0], -0.95, 0.95)
    powers = np.arange(1, terms + 1)
    for _ in range(8):
        pw = np.vander(r, terms, increasing=True)  # r^0 .. r^(terms - 1)
        value = (c * pw * r[:, None]).sum(axis=1) - cov
        slope = (c * powers * pw).sum(axis=1)
        r = np.clip(r - value / np.where(slope > 0, slope, np.inf), -0.95, 0.95)
    return np.where(np.isfinite(r), r, 0.0)


def _two_by_two(freq: np.ndarray, widths: np.ndarray, taus: list[np.ndarray], ia, ib, names):
    """lavaan's rules for 2 x 2 tables (zero.add = c(0.5, 0), zero.keep.margins = TRUE).

    Returns the tables to fit (adjusted), {pair: fixed rho} and {pair: what was done}.
    """
    fit_freq = freq
    fixed, reasons = {}, {}
    for q in np.flatnonzero((widths[ia] == 2) & (widths[ib] == 2)):
        t = freq[q, :2, :2].astype(float)
        empty = np.flatnonzero(t.ravel() == 0)
        a, b = names[ia[q]], names[ib[q]]
        if len(empty) == 2:
            rho = 1.0 if t[0, 0] > 0 else -1.0
            warnings.warn(
                f"Items {a} and {b}: two empty cells in their 2 x 2 table, so their tetrachoric "
                f"correlation is {rho:+.0f} (lavaan sets it so too); its rows of the asymptotic "
                f"covariance matrix are NaN.", GovstatsWarning, stacklevel=4)
            fixed[q], reasons[q] = rho, "two empty cells"
            continue
        if len(empty) == 1:
            # 0.5 to the empty cell and its diagonal partner, taken from the other two
            sign = 1.0 if empty[0] in (0, 3) else -1.0
            t += sign * 0.5 * np.array([[1.0, -1.0], [-1.0, 1.0]])
            if fit_freq is freq:
                fit_freq = freq.copy()
            fit_freq[q, :2, :2] = t
            reasons[q] = "one empty cell: 0.5 added, margins kept"
        if t[0, 0] * t[1, 1] == t[0, 1] * t[1, 0]:
            fixed[q] = 0.0
        elif taus[ia[q]][0] == 0 and taus[ib[q]][0] == 0:
            fixed[q] = -np.cos(2 * np.pi * t[0, 0] / t.sum())
    return fit_freq, fixed, reasons


def fit_pairs(codes: np.ndarray, taus: list[np.ndarray], names: list[str], tol: float = 1e-10) -> PairTables:
    """Two-step ML polychoric correlations of every pair of recoded items (codes -1 = blank)."""
    n, p = codes.shape
    kmax = max(len(t) for t in taus) + 1
    side = kmax + 1  # categories and a blank
    ia, ib = np.triu_indices(p, 1)
    n_pairs = len(ia)
    # every case's cell in every pair's table, pairs along the rows (row gathers are fast);
    # int32 indices: building them in int64 took 6 times as long
    ext = np.ascontiguousarray(np.where(codes >= 0, codes, kmax).T, dtype=np.int32)
    cells = ext[ia] * side
    cells += ext[ib]
    cells += (np.arange(n_pairs, dtype=np.int32) * side * side)[:, None]
    # the tables from indicator cross-products (float32 counts are exact below 2^24 cases)
    starts = np.concatenate([[0], np.cumsum([len(t) + 1 for t in taus])]).astype(np.intp)
    onehot = np.zeros((n, starts[-1] + 1), dtype=np.float32)  # last column: padding, all zero
    seen = codes >= 0
    onehot[np.nonzero(seen)[0], (starts[:-1] + codes)[seen]] = 1.0
    cross = (onehot.T @ onehot).astype(float)
    slot = np.arange(kmax)
    width = np.diff(starts)
    rows = np.where(slot < width[ia][:, None], starts[ia][:, None] + slot, starts[-1])
    cols = np.where(slot < width[ib][:, None], starts[ib][:, None] + slot, starts[-1])
    counts = cross[rows[:, :, None], cols[:, None, :]]
    jointly = counts.sum(axis=(1, 2))
    if np.any(jointly == 0):
        q = int(np.flatnonzero(jointly == 0)[0])
        raise ValueError(f"Items {names[ia[q]]!r} and {names[ib[q]]!r} are never answered by the same "
                         f"respondent: their polychoric correlation cannot be estimated.")
    edges = _edges(taus, kmax)
    corners = _Corners(edges[ia], edges[ib])
    fit_freq, fixed, reasons = _two_by_two(counts, width, taus, ia, ib, names)
    rho = np.zeros(n_pairs)
    prob = np.zeros_like(counts)
    dprob = np.zeros_like(counts)
    iterations = 0
    free = np.ones(n_pairs, bool)
    free[list(fixed)] = False
    if free.any():
        sel = np.flatnonzero(free)
        sub = corners if free.all() else corners.subset(sel)
        start = _start(codes, taus, ia[sel], ib[sel])
        rho[sel], iterations, (prob[sel], dprob[sel]) = _newton(sub, fit_freq[sel], start, tol)
    if fixed:
        sel = np.array(sorted(fixed))
        rho[sel] = [fixed[q] for q in sel]
        interior = sel[np.abs(rho[sel]) < 1]
        if interior.size:
            prob[interior], dprob[interior], _ = corners.subset(interior).evaluate(rho[interior])
    near = np.flatnonzero(np.abs(rho) > 0.99)
    if near.size:
        listed = ", ".join(f"{names[ia[q]]}~~{names[ib[q]]} ({rho[q]:.3f})" for q in near)
        warnings.warn(f"Polychoric correlation(s) (nearly) 1.0: {listed}. lavaan warns the same; the items may "
                      f"measure the same thing twice or their table may be too sparse.", GovstatsWarning,
                      stacklevel=3)
    return PairTables(ia=ia, ib=ib, ext=ext, cells=cells, counts=counts, rho=rho, prob=prob, dprob=dprob,
                      valid=prob > _SQRT_EPS, iterations=iterations, special=reasons)


def polychoric(data: pd.DataFrame, tol: float = 1e-10, missing: str = "listwise") -> pd.DataFrame:
    """Polychoric correlation matrix of ordinal items (two-step ML, as lavaan's ``lavCor``).

    Parameters
    ----------
    data : DataFrame
        Integer-coded ordinal items.
    tol : float
        Precision of each correlation: Newton's method stops when its step is below sqrt(tol);
        it converges quadratically, so the error is then of order tol.
    missing : {"listwise", "pairwise"}
        ``"listwise"`` (lavaan's default) leaves out every row with a blank; ``"pairwise"`` takes
        each item's thresholds from the cases that answered it and each correlation from the
        cases that answered both items (``lavCor(missing = "pairwise")``).

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
    if missing not in _MISSING_VALUES:
        raise ValueError(f"The 'missing' parameter of polychoric must be one of {set(_MISSING_VALUES)}. "
                         f"Got {missing!r} instead.")
    frame = data.dropna() if missing == "listwise" else data
    x = frame.to_numpy(dtype=float)
    names = list(data.columns)
    codes, _, counts = _recode(x)
    taus = [_item_thresholds(c) for c in counts]
    single = [name for name, t in zip(names, taus) if len(t) == 0]
    if single:
        raise ValueError(f"Ordinal items need at least two observed categories; {single} have one or none.")
    pairs = fit_pairs(codes, taus, names, tol=tol)
    out = np.eye(len(names))
    out[pairs.ia, pairs.ib] = out[pairs.ib, pairs.ia] = pairs.rho
    return pd.DataFrame(out, index=names, columns=names)
