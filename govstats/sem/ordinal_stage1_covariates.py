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
all pairs at once (the polychoric pairs in chunks, for the bivariate normal probabilities at
four corners per case).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.special import ndtr

from govstats.measurement.polychoric import _bvn_corners, _item_thresholds, _recode, fit_pairs
from govstats.sem.ordinal_stage1 import Stage1, _plain, _syrk, _warn_empty_categories
from govstats.sem.ordinal_stage1_mixed import Polyserial, pearson_scores, polyserial_start

_SQRT_EPS = float(np.sqrt(np.finfo(float).eps))
_FAR = 100.0  # lavaan's offset for the open end of the bottom and top categories
_BOUND = 0.999  # lavaan's bounds for a polychoric correlation
_SQRT_2PI = np.sqrt(2 * np.pi)
_CHUNK = 200_000  # case corners per chunk of polychoric pairs


def covariate_stage1(data: pd.DataFrame, items: list[str], numeric: list[str], covariates: list[str],
                     missing: str, levels) -> Stage1:
    """Stage 1 of ``items`` (``numeric`` among them continuous) conditional on ``covariates``
    (checked by :func:`govstats.sem.ordinal_stage1.stage1`, which calls this)."""
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
    # the marginal polychorics start the residual ones (lavaan starts at the codes' correlation;
    # the maximum is the same, this saves a Newton step); their warnings do not apply here
    marginal = np.eye(p)
    if len(ordi) > 1:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tables = fit_pairs(codes, [_item_thresholds(c) for c in counts], ord_items)
        marginal[ordi[tables.ia], ordi[tables.ib]] = tables.rho

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

    def _limits(self, theta):
        tau, beta = theta[:self.n_th], theta[self.n_th:]
        eta = self.x @ beta
        edges = np.r_[0.0, tau, 0.0]
        self.up = edges[self.codes + 1] - eta + _FAR * self.top
        self.lo = edges[self.codes] - eta - _FAR * self.bottom
        prob = ndtr(self.up) - ndtr(self.lo)
        high = self.lo > 1  # the upper tails are more precise there (lavaan does the same)
        prob[high] = ndtr(-self.lo[high]) - ndtr(-self.up[high])
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
    """Residual polychoric correlations of item pairs and their rows of U', in chunks."""
    n = len(x)
    size = max(1, _CHUNK // (4 * n))
    rho, rows = np.empty(len(ia)), np.empty((len(ia), n))
    for first in range(0, len(ia), size):
        sel = slice(first, first + size)
        rho[sel], rows[sel] = _polychoric_chunk([fits[a] for a in ia[sel]], [fits[b] for b in ib[sel]], x, start[sel])
    return rho, rows


def _polychoric_chunk(fa, fb, x, start):
    up_a, lo_a = np.stack([f.up for f in fa]), np.stack([f.lo for f in fa])
    up_b, lo_b = np.stack([f.up for f in fb]), np.stack([f.lo for f in fb])
    open_up_a, open_lo_a = np.stack([f.top for f in fa]), np.stack([f.bottom for f in fa])
    open_up_b, open_lo_b = np.stack([f.top for f in fb]), np.stack([f.bottom for f in fb])
    # the four corners of each case's rectangle, signs + - - +; an open end is infinite
    h = np.concatenate([np.where(open_up_a, np.inf, up_a), np.where(open_lo_a, -np.inf, lo_a)] * 2, axis=1)
    k = np.concatenate([np.where(open_up_b, np.inf, up_b)] * 2 + [np.where(open_lo_b, -np.inf, lo_b)] * 2, axis=1)
    rho, lik, dlik = _newton(_CaseCorners(h, k), start)

    # scores at rho (lav_bvord_cor_scores), from lavaan's finite limits
    bad = lik <= _SQRT_EPS
    lik = np.where(bad, 1.0, lik)
    r = rho[:, None]
    big_r = np.sqrt(1 - r * r)

    def side(u1, l1, u2, l2):
        f_up, f_lo = np.exp(-u1 * u1 / 2) / _SQRT_2PI, np.exp(-l1 * l1 / 2) / _SQRT_2PI
        z1 = f_up * (ndtr((u2 - r * u1) / big_r) - ndtr((l2 - r * u1) / big_r))
        z2 = f_lo * (ndtr((u2 - r * l1) / big_r) - ndtr((l2 - r * l1) / big_r))
        return np.where(bad, 0.0, z1 / lik), np.where(bad, 0.0, z2 / lik)

    up1, lo1 = side(up_a, lo_a, up_b, lo_b)
    up2, lo2 = side(up_b, lo_b, up_a, lo_a)
    score = np.where(bad, 0.0, dlik / lik)
    d1 = _padded([_threshold_scores(f, u[None], l_[None])[0] for f, u, l_ in zip(fa, up1, lo1)])
    d2 = _padded([_threshold_scores(f, u[None], l_[None])[0] for f, u, l_ in zip(fb, up2, lo2)])
    u1a, u1b = _padded([f.u1 for f in fa]), _padded([f.u1 for f in fb])
    return rho, _u_rows(score, d1, d2, u1a, u1b)


class _CaseCorners:
    """Bivariate normal probabilities of each case's rectangle, (pairs, 4 cases) corners."""

    def __init__(self, h: np.ndarray, k: np.ndarray):
        n = h.shape[1] // 4
        self.sign = np.repeat([1.0, -1.0, -1.0, 1.0], n)
        self.finite = np.isfinite(h) & np.isfinite(k)
        self.margin = ndtr(h) * ndtr(k)  # exact where a limit is infinite
        self.h, self.k = np.where(self.finite, h, 0.0), np.where(self.finite, k, 0.0)
        self.hk, self.hs = self.h * self.k, (self.h ** 2 + self.k ** 2) / 2
        self.base = ndtr(self.h) * ndtr(self.k)

    def subset(self, sel) -> "_CaseCorners":
        out = object.__new__(_CaseCorners)
        out.sign = self.sign
        for name in ("finite", "margin", "h", "k", "hk", "hs", "base"):
            setattr(out, name, getattr(self, name)[sel])
        return out

    def evaluate(self, r: np.ndarray, second: bool = False):
        """Each case's rectangle probability and its first (and second) derivative in r."""
        n = self.h.shape[1] // 4
        cdf = np.where(self.finite, _bvn_corners(self.h, self.k, self.hk, self.hs, self.base, r), self.margin)
        one_minus = (1 - r * r)[:, None]
        dens = np.where(self.finite, np.exp((r[:, None] * self.hk - self.hs) / one_minus)
                        / (2 * np.pi * np.sqrt(one_minus)), 0.0)
        fold = lambda v: (v * self.sign).reshape(len(r), 4, n).sum(axis=1)  # noqa: E731
        if not second:
            return fold(cdf), fold(dens), None
        rr = r[:, None]
        guv = (self.hk * one_minus - rr * (2 * self.hs - 2 * rr * self.hk) + rr * one_minus) / (one_minus ** 2)
        return fold(cdf), fold(dens), fold(dens * guv)


def _newton(corners: _CaseCorners, start: np.ndarray, tol: float = 1e-10, max_iter: int = 100):
    """Two-step ML residual polychorics by safeguarded Newton; cases with a likelihood below
    sqrt(machine epsilon) left out, as lavaan. Returns rho and each case's likelihood and its
    derivative in rho there, (pairs, cases)."""
    def terms(r, sub):
        lik, d1, d2 = sub.evaluate(r, second=True)
        keep = lik >= _SQRT_EPS
        safe = np.where(keep, lik, 1.0)
        ratio = np.where(keep, d1 / safe, 0.0)
        ll = np.where(keep, np.log(safe), 0.0).sum(axis=1)
        hess = (np.where(keep, d2 / safe, 0.0) - ratio * ratio).sum(axis=1)
        return ll, ratio.sum(axis=1), hess, (ratio * ratio).sum(axis=1), lik, d1

    r = np.clip(start, -_BOUND, _BOUND)
    active = np.arange(len(r))
    sub = corners
    ll, score, hess, info, lik, dlik = terms(r, sub)
    for _ in range(max_iter):
        curvature = np.where(hess < 0, -hess, np.maximum(info, 1e-300))
        old = r[active]
        new = np.clip(old + np.clip(score / curvature, -0.5, 0.5), -_BOUND, _BOUND)
        now = list(terms(new, sub))
        for _ in range(40):
            worse = now[0] < ll - 1e-12 * np.abs(ll)
            if not worse.any():
                break
            new[worse] = (old[worse] + new[worse]) / 2
            for full, piece in zip(now, terms(new[worse], sub.subset(worse))):
                full[worse] = piece
        r[active] = new
        lik[active], dlik[active] = now[4], now[5]
        going = (new - old) ** 2 >= tol
        if not going.any():
            break
        active, sub = active[going], sub.subset(going)
        ll, score, hess, info = (v[going] for v in now[:4])
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
